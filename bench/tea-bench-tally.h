/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Exactly-once accounting: every receiver must get every message of every
 * sender once. Both systems deliver each sender's messages in order (a
 * Teahouse room is totally ordered; IRC runs over TCP), so one counter per
 * receiver and sender suffices: the next sequence number expected. A lower
 * one is a duplicate, a higher one means some went missing (counted as
 * out of order; what never arrives shows up as loss at the end).
 */
#pragma once

#include <glib.h>

#include "tea-bench-histogram.h"

G_BEGIN_DECLS

typedef struct
{
  guint n_receivers;
  guint n_senders;
  guint64 *next_seq; /* [receiver * n_senders + sender] */
  guint64 received;  /* distinct deliveries */
  guint64 duplicates;
  guint64 out_of_order;
  gint64 last_delivery_ns;
  TeaBenchHistogram latency; /* ns, from the timestamp in the text */
} TeaBenchTally;

void tea_bench_tally_init (TeaBenchTally *tally, guint n_receivers, guint n_senders);
void tea_bench_tally_clear (TeaBenchTally *tally);
/* Returns TRUE if this delivery was new. */
gboolean tea_bench_tally_record (TeaBenchTally *tally,
                                 guint receiver,
                                 guint sender,
                                 guint64 seq,
                                 gint64 sent_ns,
                                 gint64 now_ns);

G_END_DECLS
