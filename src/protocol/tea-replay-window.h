/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Sliding anti-replay window over packet numbers (RFC 6479's idea, as
 * WireGuard uses it): check before opening a packet, update after it
 * authenticated, so forged packets cannot move the window.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define TEA_REPLAY_WINDOW_SIZE 2048

typedef struct
{
  guint64 highest;
  gboolean any;
  guint64 bits[TEA_REPLAY_WINDOW_SIZE / 64];
} TeaReplayWindow;

void tea_replay_window_init (TeaReplayWindow *window);
/* FALSE if pn was seen or is too old to tell. */
gboolean tea_replay_window_check (const TeaReplayWindow *window, guint64 pn);
/* Records pn (which must have passed check). Returns TRUE if pn is the
 * highest seen so far. */
gboolean tea_replay_window_update (TeaReplayWindow *window, guint64 pn);

G_END_DECLS
