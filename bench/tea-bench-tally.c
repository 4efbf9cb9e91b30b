/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "tea-bench-tally.h"

void
tea_bench_tally_init (TeaBenchTally *tally, guint n_receivers, guint n_senders)
{
  tally->n_receivers = n_receivers;
  tally->n_senders = n_senders;
  tally->next_seq = g_new0 (guint64, (gsize) n_receivers * n_senders);
  tally->received = tally->duplicates = tally->out_of_order = 0;
  tally->last_delivery_ns = 0;
  tea_bench_histogram_init (&tally->latency);
}

void
tea_bench_tally_clear (TeaBenchTally *tally)
{
  g_clear_pointer (&tally->next_seq, g_free);
}

gboolean
tea_bench_tally_record (TeaBenchTally *tally,
                        guint receiver,
                        guint sender,
                        guint64 seq,
                        gint64 sent_ns,
                        gint64 now_ns)
{
  guint64 *next;

  g_return_val_if_fail (receiver < tally->n_receivers && sender < tally->n_senders, FALSE);
  next = &tally->next_seq[(gsize) receiver * tally->n_senders + sender];
  if (seq < *next)
    {
      tally->duplicates++;
      return FALSE;
    }
  if (seq > *next)
    tally->out_of_order++;
  *next = seq + 1;
  tally->received++;
  tally->last_delivery_ns = now_ns;
  tea_bench_histogram_record (&tally->latency, now_ns > sent_ns ? (guint64) (now_ns - sent_ns) : 0);
  return TRUE;
}
