/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>

#include "tea-bench-histogram.h"
#include "tea-bench-tally.h"
#include "tea-bench-workload.h"

static void
test_histogram_quantiles (void)
{
  g_autofree TeaBenchHistogram *h = g_new (TeaBenchHistogram, 1);
  guint64 p50, p99;

  tea_bench_histogram_init (h);
  g_assert_cmpuint (tea_bench_histogram_quantile (h, 0.5), ==, 0);
  for (guint64 v = 1; v <= 100000; v++)
    tea_bench_histogram_record (h, v * 1000);
  p50 = tea_bench_histogram_quantile (h, 0.5);
  p99 = tea_bench_histogram_quantile (h, 0.99);
  /* Within the histogram's 1.6 % resolution. */
  g_assert_cmpfloat (fabs ((double) p50 - 50000000.0) / 50000000.0, <, 0.016);
  g_assert_cmpfloat (fabs ((double) p99 - 99000000.0) / 99000000.0, <, 0.016);
  g_assert_cmpuint (tea_bench_histogram_quantile (h, 1.0), ==, 100000000);
}

static void
test_histogram_small_and_huge (void)
{
  g_autofree TeaBenchHistogram *h = g_new (TeaBenchHistogram, 1);

  tea_bench_histogram_init (h);
  tea_bench_histogram_record (h, 5);
  g_assert_cmpuint (tea_bench_histogram_quantile (h, 0.5), ==, 5);
  tea_bench_histogram_record (h, G_MAXUINT64);
  g_assert_cmpuint (tea_bench_histogram_quantile (h, 1.0), ==, G_MAXUINT64);
}

static void
test_tally_loss_and_duplicates (void)
{
  TeaBenchTally tally;

  tea_bench_tally_init (&tally, 2, 1);
  g_assert_true (tea_bench_tally_record (&tally, 0, 0, 0, 0, 10));
  g_assert_true (tea_bench_tally_record (&tally, 0, 0, 1, 0, 10));
  g_assert_false (tea_bench_tally_record (&tally, 0, 0, 1, 0, 10));
  /* Receiver 1 misses seq 0. */
  g_assert_true (tea_bench_tally_record (&tally, 1, 0, 1, 0, 10));
  g_assert_cmpuint (tally.received, ==, 3);
  g_assert_cmpuint (tally.duplicates, ==, 1);
  g_assert_cmpuint (tally.out_of_order, ==, 1);
  tea_bench_tally_clear (&tally);
}

static void
test_text_round_trip (void)
{
  char buf[128];
  guint sender;
  guint64 seq;
  gint64 stamp;
  gsize len = tea_bench_format_text (buf, 64, 7, 123456789, G_GINT64_CONSTANT (98765432101234));

  g_assert_cmpuint (len, ==, 64);
  g_assert_true (tea_bench_parse_text (buf, len, &sender, &seq, &stamp));
  g_assert_cmpuint (sender, ==, 7);
  g_assert_cmpuint (seq, ==, 123456789);
  g_assert_cmpint (stamp, ==, G_GINT64_CONSTANT (98765432101234));
  g_assert_false (tea_bench_parse_text ("tb 1 2", 6, &sender, &seq, &stamp));
  g_assert_false (tea_bench_parse_text ("hello there", 11, &sender, &seq, &stamp));
  g_assert_true (tea_bench_is_sync_text (TEA_BENCH_SYNC_TEXT, strlen (TEA_BENCH_SYNC_TEXT)));
}

static void
test_workload_closed_loop (void)
{
  TeaBenchWorkload w;
  guint sender, taken = 0;
  guint64 seq;
  gint64 stamp;

  tea_bench_workload_init (&w, 2, 3, 64, 5, 0, 0);
  tea_bench_workload_start (&w, 0);
  while (tea_bench_workload_take (&w, 1, &sender, &seq, &stamp))
    taken++;
  g_assert_cmpuint (taken, ==, 6); /* two senders, three in flight each */
  tea_bench_workload_echo (&w, 0);
  g_assert_true (tea_bench_workload_take (&w, 2, &sender, &seq, &stamp));
  g_assert_cmpuint (sender, ==, 0);
  g_assert_cmpuint (seq, ==, 3);
  g_assert_false (tea_bench_workload_finished (&w, 3));
  tea_bench_workload_clear (&w);
}

static void
test_workload_paced (void)
{
  TeaBenchWorkload w;
  guint sender;
  guint64 seq;
  gint64 stamp;

  /* 1000 messages per second: one due every millisecond. */
  tea_bench_workload_init (&w, 1, 100, 64, 0, 1000, 0);
  tea_bench_workload_start (&w, 0);
  g_assert_true (tea_bench_workload_take (&w, 0, &sender, &seq, &stamp));
  g_assert_false (tea_bench_workload_take (&w, 999999, &sender, &seq, &stamp));
  g_assert_cmpint (tea_bench_workload_next_due (&w), ==, 1000000);
  g_assert_true (tea_bench_workload_take (&w, 5000000, &sender, &seq, &stamp));
  /* Late sends keep the time they were due: latency counts from there. */
  g_assert_cmpint (stamp, ==, 1000000);
  tea_bench_workload_clear (&w);
}

/* A message its sender had no room to send is neither sent nor lost: it
 * goes later, with its own sequence number and due time, and the run is
 * not finished while a message due before the stop still waits. */
static void
test_workload_take_back (void)
{
  TeaBenchWorkload w;
  guint sender;
  guint64 seq;
  gint64 stamp;

  /* 2 senders, 1000 messages per second in all, for 3 ms. */
  tea_bench_workload_init (&w, 2, 100, 64, 0, 1000, 3000000);
  tea_bench_workload_start (&w, 0);
  g_assert_true (tea_bench_workload_take (&w, 0, &sender, &seq, &stamp));
  g_assert_true (tea_bench_workload_take (&w, 1000000, &sender, &seq, &stamp));
  g_assert_cmpuint (sender, ==, 1);
  g_assert_cmpuint (seq, ==, 0);
  tea_bench_workload_take_back (&w, sender, seq);
  g_assert_cmpuint (w.total_sent, ==, 1);
  g_assert_true (w.saturated);
  g_assert_false (tea_bench_workload_finished (&w, 5000000));
  g_assert_true (tea_bench_workload_take (&w, 5000000, &sender, &seq, &stamp));
  g_assert_cmpuint (sender, ==, 1);
  g_assert_cmpuint (seq, ==, 0);
  g_assert_cmpint (stamp, ==, 1000000);
  g_assert_false (tea_bench_workload_finished (&w, 5000000));
  g_assert_true (tea_bench_workload_take (&w, 5000000, &sender, &seq, &stamp));
  g_assert_cmpuint (sender, ==, 0);
  g_assert_cmpuint (seq, ==, 1);
  g_assert_false (tea_bench_workload_take (&w, 5000000, &sender, &seq, &stamp));
  g_assert_true (tea_bench_workload_finished (&w, 5000000));
  g_assert_cmpuint (w.total_sent, ==, 3);
  tea_bench_workload_clear (&w);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/tea/bench/histogram/quantiles", test_histogram_quantiles);
  g_test_add_func ("/tea/bench/histogram/small-and-huge", test_histogram_small_and_huge);
  g_test_add_func ("/tea/bench/tally/loss-and-duplicates", test_tally_loss_and_duplicates);
  g_test_add_func ("/tea/bench/text/round-trip", test_text_round_trip);
  g_test_add_func ("/tea/bench/workload/closed-loop", test_workload_closed_loop);
  g_test_add_func ("/tea/bench/workload/paced", test_workload_paced);
  g_test_add_func ("/tea/bench/workload/take-back", test_workload_take_back);
  return g_test_run ();
}
