/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "tea-bench-workload.h"

void
tea_bench_workload_init (TeaBenchWorkload *w,
                         guint n_senders,
                         guint window,
                         guint size,
                         guint64 per_sender,
                         double rate,
                         gint64 duration_ns)
{
  memset (w, 0, sizeof *w);
  w->n_senders = n_senders;
  w->window = window;
  w->size = MAX (size, TEA_BENCH_MIN_SIZE);
  w->per_sender = per_sender ? per_sender : G_MAXUINT64;
  w->rate = rate;
  w->duration_ns = duration_ns;
  w->in_flight = g_new0 (guint, n_senders);
  w->sent = g_new0 (guint64, n_senders);
}

void
tea_bench_workload_clear (TeaBenchWorkload *w)
{
  g_clear_pointer (&w->in_flight, g_free);
  g_clear_pointer (&w->sent, g_free);
}

void
tea_bench_workload_start (TeaBenchWorkload *w, gint64 now_ns)
{
  w->start_ns = now_ns;
  w->stop_ns = w->duration_ns > 0 ? now_ns + w->duration_ns : G_MAXINT64;
}

static gboolean
sender_may_send (const TeaBenchWorkload *w, guint sender)
{
  return w->in_flight[sender] < w->window && w->sent[sender] < w->per_sender;
}

static void
hand_out (TeaBenchWorkload *w, guint sender, guint64 *seq)
{
  *seq = w->sent[sender]++;
  w->in_flight[sender]++;
  w->total_sent++;
}

static gint64
due_time (const TeaBenchWorkload *w, guint64 k)
{
  return w->start_ns + (gint64) ((double) k * 1e9 / w->rate);
}

static gboolean
take_paced (TeaBenchWorkload *w, gint64 now_ns, guint *sender, guint64 *seq, gint64 *stamp_ns)
{
  gint64 due = due_time (w, w->scheduled);
  guint s = w->scheduled % w->n_senders;

  if (due > now_ns || due >= w->stop_ns || w->sent[s] >= w->per_sender)
    return FALSE;
  if (w->in_flight[s] >= w->window)
    {
      /* Open loop means the schedule does not wait for the system; the
       * window is only a safety net, and hitting it is reported. */
      w->saturated = TRUE;
      return FALSE;
    }
  w->scheduled++;
  *sender = s;
  *stamp_ns = due;
  hand_out (w, s, seq);
  return TRUE;
}

static gboolean
take_closed_loop (TeaBenchWorkload *w, gint64 now_ns, guint *sender, guint64 *seq, gint64 *stamp_ns)
{
  if (now_ns >= w->stop_ns)
    return FALSE;
  for (guint i = 0; i < w->n_senders; i++)
    {
      guint s = (w->cursor + i) % w->n_senders;

      if (!sender_may_send (w, s))
        continue;
      w->cursor = (s + 1) % w->n_senders;
      *sender = s;
      *stamp_ns = now_ns;
      hand_out (w, s, seq);
      return TRUE;
    }
  return FALSE;
}

gboolean
tea_bench_workload_take (TeaBenchWorkload *w, gint64 now_ns, guint *sender, guint64 *seq, gint64 *stamp_ns)
{
  if (w->rate > 0)
    return take_paced (w, now_ns, sender, seq, stamp_ns);
  return take_closed_loop (w, now_ns, sender, seq, stamp_ns);
}

void
tea_bench_workload_take_back (TeaBenchWorkload *w, guint sender, guint64 seq)
{
  g_return_if_fail (sender < w->n_senders && w->sent[sender] == seq + 1 && w->total_sent > 0);
  w->sent[sender]--;
  w->in_flight[sender]--;
  w->total_sent--;
  if (w->rate > 0)
    {
      /* Paced messages go strictly in schedule order, so the one taken
       * back is the last one scheduled. */
      w->scheduled--;
      w->saturated = TRUE;
    }
  else
    w->cursor = sender;
}

void
tea_bench_workload_echo (TeaBenchWorkload *w, guint sender)
{
  g_return_if_fail (sender < w->n_senders);
  if (w->in_flight[sender] > 0)
    w->in_flight[sender]--;
}

gint64
tea_bench_workload_next_due (const TeaBenchWorkload *w)
{
  guint s;

  if (w->rate <= 0)
    return G_MAXINT64;
  s = w->scheduled % w->n_senders;
  if (w->in_flight[s] >= w->window || w->sent[s] >= w->per_sender)
    return G_MAXINT64; /* an echo will wake us */
  return due_time (w, w->scheduled);
}

gboolean
tea_bench_workload_finished (const TeaBenchWorkload *w, gint64 now_ns)
{
  if (now_ns >= w->stop_ns)
    /* Paced messages that fell due before the stop but had to wait
     * still go, late, rather than silently never. */
    return w->rate <= 0 || due_time (w, w->scheduled) >= w->stop_ns ||
           w->sent[w->scheduled % w->n_senders] >= w->per_sender;
  for (guint s = 0; s < w->n_senders; s++)
    if (w->sent[s] < w->per_sender)
      return FALSE;
  return TRUE;
}

gsize
tea_bench_format_text (char *buf, guint size, guint sender, guint64 seq, gint64 stamp_ns)
{
  gint n = g_snprintf (buf, size + 1, "tb %u %" G_GUINT64_FORMAT " %" G_GINT64_FORMAT " ",
                       sender, seq, stamp_ns);

  g_assert (n > 0 && (guint) n < size);
  memset (buf + n, 'x', size - n);
  buf[size] = '\0';
  return size;
}

/* A decimal number of at most 19 digits followed by a space; advances *p
 * past the space. Runs once per field per delivery, hence the tight loop. */
static gboolean
parse_number (const char **p, const char *end, guint64 *value)
{
  const char *start = *p, *q = start;
  guint64 v = 0;

  while (q < end && (guint) (*q - '0') < 10)
    v = v * 10 + (guint) (*q++ - '0');
  if (q == start || q - start > 19 || q == end || *q != ' ')
    return FALSE;
  *p = q + 1;
  *value = v;
  return TRUE;
}

gboolean
tea_bench_parse_text (const char *text, gsize len, guint *sender, guint64 *seq, gint64 *stamp_ns)
{
  const char *p = text + 3, *end = text + len;
  guint64 s, q, t;

  if (len < 3 || memcmp (text, "tb ", 3) != 0)
    return FALSE;
  if (!parse_number (&p, end, &s) || !parse_number (&p, end, &q) || !parse_number (&p, end, &t) ||
      s > G_MAXUINT || t > G_MAXINT64)
    return FALSE;
  *sender = (guint) s;
  *seq = q;
  *stamp_ns = (gint64) t;
  return TRUE;
}

gboolean
tea_bench_is_sync_text (const char *text, gsize len)
{
  return len == strlen (TEA_BENCH_SYNC_TEXT) && memcmp (text, TEA_BENCH_SYNC_TEXT, len) == 0;
}
