/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <string.h>

#include "tea-replay-window.h"

#define N_WORDS (TEA_REPLAY_WINDOW_SIZE / 64)

void
tea_replay_window_init (TeaReplayWindow *window)
{
  memset (window, 0, sizeof *window);
}

static gboolean
bit_is_set (const TeaReplayWindow *window, guint64 pn)
{
  guint64 index = pn % TEA_REPLAY_WINDOW_SIZE;
  return (window->bits[index / 64] >> (index % 64)) & 1;
}

gboolean
tea_replay_window_check (const TeaReplayWindow *window, guint64 pn)
{
  if (!window->any || pn > window->highest)
    return TRUE;
  if (window->highest - pn >= TEA_REPLAY_WINDOW_SIZE)
    return FALSE;
  return !bit_is_set (window, pn);
}

/* Clears the bits of packet numbers (old_highest, new_highest] so the ring
 * can hold them; at most the whole window. */
static void
advance (TeaReplayWindow *window, guint64 pn)
{
  guint64 distance = window->any ? pn - window->highest : TEA_REPLAY_WINDOW_SIZE;

  if (distance >= TEA_REPLAY_WINDOW_SIZE)
    {
      memset (window->bits, 0, sizeof window->bits);
    }
  else
    {
      /* Counted, not "p <= pn": that never ends when pn is G_MAXUINT64. */
      for (guint64 i = 1; i <= distance; i++)
        {
          guint64 index = (window->highest + i) % TEA_REPLAY_WINDOW_SIZE;
          window->bits[index / 64] &= ~(G_GUINT64_CONSTANT (1) << (index % 64));
        }
    }
  window->highest = pn;
  window->any = TRUE;
}

gboolean
tea_replay_window_update (TeaReplayWindow *window, guint64 pn)
{
  gboolean highest = !window->any || pn > window->highest;
  guint64 index = pn % TEA_REPLAY_WINDOW_SIZE;

  if (highest)
    advance (window, pn);
  window->bits[index / 64] |= G_GUINT64_CONSTANT (1) << (index % 64);
  return highest;
}
