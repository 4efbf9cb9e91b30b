/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What the senders send and when, the same for every system under test:
 * closed-loop (each sender keeps at most `window` messages in flight, a
 * message leaving flight when the sender receives its own copy back) or
 * paced at a rate (open loop: latency counts from when a message was due,
 * not from when it could go, so a stalled system cannot hide its queueing).
 *
 * A message's text is "tb SENDER SEQ STAMP_NS " padded with 'x' to its size.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define TEA_BENCH_SYNC_TEXT "tb-sync"
#define TEA_BENCH_MIN_SIZE 48

typedef struct
{
  guint n_senders;
  guint window;        /* most messages in flight per sender */
  guint size;          /* text bytes */
  guint64 per_sender;  /* messages per sender; G_MAXUINT64: until stop_ns */
  double rate;         /* messages per second in all; 0 = closed loop */
  gint64 duration_ns;  /* sending stops this long after start; 0 = never */

  gint64 start_ns;
  gint64 stop_ns;
  guint cursor;        /* round robin over senders (closed loop) */
  guint64 scheduled;   /* messages handed out (paced) */
  guint *in_flight;
  guint64 *sent;
  guint64 total_sent;
  gboolean saturated; /* paced: a due message waited (window, send queue) */
} TeaBenchWorkload;

void tea_bench_workload_init (TeaBenchWorkload *w,
                              guint n_senders,
                              guint window,
                              guint size,
                              guint64 per_sender,
                              double rate,
                              gint64 duration_ns);
void tea_bench_workload_clear (TeaBenchWorkload *w);
void tea_bench_workload_start (TeaBenchWorkload *w, gint64 now_ns);

/* The next message to send now, if any: which sender, its sequence number
 * and the timestamp to put in it. */
gboolean tea_bench_workload_take (TeaBenchWorkload *w,
                                  gint64 now_ns,
                                  guint *sender,
                                  guint64 *seq,
                                  gint64 *stamp_ns);
/* The driver could not send the message it just took (its sender's send
 * queue is full): it is not sent, and the next take hands it out again,
 * with the same sequence number (and, paced, the same due time). */
void tea_bench_workload_take_back (TeaBenchWorkload *w, guint sender, guint64 seq);
/* A sender got its own message back. */
void tea_bench_workload_echo (TeaBenchWorkload *w, guint sender);
/* When the next paced message is due; G_MAXINT64 if I/O decides. */
gint64 tea_bench_workload_next_due (const TeaBenchWorkload *w);
gboolean tea_bench_workload_finished (const TeaBenchWorkload *w, gint64 now_ns);

/* Writes the text of a message into buf (at least size + 1 bytes);
 * returns its length. */
gsize tea_bench_format_text (char *buf, guint size, guint sender, guint64 seq, gint64 stamp_ns);
/* Parses a text of tea_bench_format_text; FALSE for anything else. */
gboolean tea_bench_parse_text (const char *text,
                               gsize len,
                               guint *sender,
                               guint64 *seq,
                               gint64 *stamp_ns);
gboolean tea_bench_is_sync_text (const char *text, gsize len);

G_END_DECLS
