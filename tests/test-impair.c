/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * TeaImpair, the one model of a bad network (tea-netem, the tests' proxy
 * and the simulated link use it), on a fake clock: each impairment does
 * what it says, and a seed gives the same fate to the same datagrams.
 */
#include <string.h>

#include "tea-impair.h"

#define T0 (1000 * G_USEC_PER_SEC)

#define SENDER GUINT_TO_POINTER (1)

/* Offers n datagrams of len bytes at `at`, all from one sender; datagram
 * i carries i. */
static void
push_numbered (TeaImpair *impair, gint64 at, guint first, guint n, gsize len)
{
  guint8 data[2048] = { 0 };

  g_assert_cmpuint (len, >=, sizeof (guint32));
  for (guint i = first; i < first + n; i++)
    {
      memcpy (data, &i, sizeof i);
      tea_impair_push (impair, at, data, len, SENDER);
    }
}

typedef struct
{
  guint32 number;
  gint64 at;
} Out;

/* Everything that comes out, stepping the clock from one due time to the
 * next. */
static GArray *
drain (TeaImpair *impair)
{
  GArray *out = g_array_new (FALSE, FALSE, sizeof (Out));
  guint8 data[TEA_IMPAIR_MAX_DATAGRAM];
  gint64 now;

  while ((now = tea_impair_next_due (impair)) != G_MAXINT64)
    {
      gsize len;
      gpointer tag;

      while (tea_impair_pop (impair, now, data, &len, &tag))
        {
          Out o = { 0, now };

          memcpy (&o.number, data, sizeof o.number);
          g_assert_true (tag == SENDER);
          g_array_append_val (out, o);
        }
    }
  return out;
}

static void
test_clean_is_fifo (void)
{
  TeaImpairConfig config = { .delay_us = 5000 };
  g_autoptr (TeaImpair) impair = tea_impair_new (&config, 1, 0);
  g_autoptr (GArray) out = NULL;

  /* Many at the same instant: they leave in the order they came. */
  push_numbered (impair, T0, 0, 100, 100);
  out = drain (impair);
  g_assert_cmpuint (out->len, ==, 100);
  for (guint i = 0; i < out->len; i++)
    {
      g_assert_cmpuint (g_array_index (out, Out, i).number, ==, i);
      g_assert_cmpint (g_array_index (out, Out, i).at, ==, T0 + 5000);
    }
  g_assert_cmpuint (tea_impair_get_stats (impair)->forwarded, ==, 100);
  g_assert_cmpuint (tea_impair_get_stats (impair)->reordered, ==, 0);
}

/* Reordering is counted per sender: one overtaking another's datagram
 * reorders nothing. */
static void
test_reordered_per_sender (void)
{
  TeaImpairConfig config = { 0 };
  g_autoptr (TeaImpair) impair = tea_impair_new (&config, 1, 0);
  guint8 data[16] = { 0 }, out[TEA_IMPAIR_MAX_DATAGRAM];
  gpointer tag;
  gsize len;

  tea_impair_push (impair, T0 + 1000, data, sizeof data, GUINT_TO_POINTER (1));
  tea_impair_push (impair, T0, data, sizeof data, GUINT_TO_POINTER (2));
  tea_impair_push (impair, T0, data, sizeof data, GUINT_TO_POINTER (1));
  g_assert_true (tea_impair_pop (impair, T0, out, &len, &tag));
  g_assert_true (tag == GUINT_TO_POINTER (2));
  g_assert_true (tea_impair_pop (impair, T0, out, &len, &tag));
  g_assert_true (tea_impair_pop (impair, T0 + 1000, out, &len, &tag));
  g_assert_true (tag == GUINT_TO_POINTER (1));
  /* Sender 1's first left after its second. */
  g_assert_cmpuint (tea_impair_get_stats (impair)->reordered, ==, 1);
}

static void
test_same_seed_same_fate (void)
{
  TeaImpairConfig config = { .loss = 0.2, .duplicate = 0.1, .jitter_us = 30000, .reorder = 0.1 };
  g_autoptr (TeaImpair) a = tea_impair_new (&config, 42, 0);
  g_autoptr (TeaImpair) b = tea_impair_new (&config, 42, 0);
  g_autoptr (TeaImpair) other_direction = tea_impair_new (&config, 42, 1);
  g_autoptr (GArray) out_a = NULL;
  g_autoptr (GArray) out_b = NULL;
  g_autoptr (GArray) out_c = NULL;

  push_numbered (a, T0, 0, 1000, 64);
  push_numbered (b, T0, 0, 1000, 64);
  push_numbered (other_direction, T0, 0, 1000, 64);
  out_a = drain (a);
  out_b = drain (b);
  out_c = drain (other_direction);
  g_assert_cmpuint (out_a->len, ==, out_b->len);
  g_assert_cmpmem (out_a->data, out_a->len * sizeof (Out), out_b->data, out_b->len * sizeof (Out));
  /* Each direction draws from its own stream. */
  g_assert_false (out_a->len == out_c->len &&
                  memcmp (out_a->data, out_c->data, out_a->len * sizeof (Out)) == 0);
}

static void
test_loss_and_duplication (void)
{
  TeaImpairConfig config = { .loss = 0.3, .duplicate = 0.1 };
  g_autoptr (TeaImpair) impair = tea_impair_new (&config, 7, 0);
  g_autoptr (GArray) out = NULL;
  const TeaImpairStats *stats = tea_impair_get_stats (impair);

  push_numbered (impair, T0, 0, 10000, 64);
  out = drain (impair);
  g_assert_cmpuint (stats->received, ==, 10000);
  g_assert_cmpuint (stats->dropped[TEA_IMPAIR_DROP_LOSS], >, 2800);
  g_assert_cmpuint (stats->dropped[TEA_IMPAIR_DROP_LOSS], <, 3200);
  g_assert_cmpuint (stats->duplicated, >, 550);
  g_assert_cmpuint (stats->duplicated, <, 850);
  g_assert_cmpuint (stats->forwarded, ==, stats->received - tea_impair_stats_dropped (stats) + stats->duplicated);
  g_assert_cmpuint (out->len, ==, stats->forwarded);
}

/* p 5%, r 25%: 1/6 lost, in runs of 4 on average. */
static void
test_burst_loss (void)
{
  TeaImpairConfig config = { .burst_p = 0.05, .burst_r = 0.25, .burst_loss_bad = 1 };
  g_autoptr (TeaImpair) impair = tea_impair_new (&config, 3, 0);
  g_autoptr (GArray) out = NULL;
  guint lost = 0, runs = 0;
  guint expected = 0;

  push_numbered (impair, T0, 0, 20000, 64);
  out = drain (impair);
  for (guint i = 0; i < out->len; i++, expected++)
    {
      guint32 number = g_array_index (out, Out, i).number;

      if (number > expected)
        {
          runs++;
          lost += number - expected;
        }
      expected = number;
    }
  g_assert_cmpuint (lost, ==, tea_impair_get_stats (impair)->dropped[TEA_IMPAIR_DROP_BURST]);
  g_test_message ("burst loss: %u of 20000 lost in %u runs (%.2f per run)", lost, runs, (double) lost / runs);
  g_assert_cmpfloat ((double) lost / 20000, >, 0.14);
  g_assert_cmpfloat ((double) lost / 20000, <, 0.19);
  g_assert_cmpfloat ((double) lost / runs, >, 3.0);
  g_assert_cmpfloat ((double) lost / runs, <, 5.0);
}

static void
test_delay_and_jitter (void)
{
  TeaImpairConfig config = { .delay_us = 10000, .jitter_us = 40000 };
  g_autoptr (TeaImpair) impair = tea_impair_new (&config, 5, 0);
  g_autoptr (GArray) out = NULL;

  for (guint i = 0; i < 1000; i++)
    push_numbered (impair, T0 + i * 1000, i, 1, 64);
  out = drain (impair);
  g_assert_cmpuint (out->len, ==, 1000);
  for (guint i = 0; i < out->len; i++)
    {
      Out *o = &g_array_index (out, Out, i);
      gint64 sent = T0 + o->number * 1000;

      g_assert_cmpint (o->at, >=, sent + 10000);
      g_assert_cmpint (o->at, <, sent + 50000);
    }
  g_assert_cmpuint (tea_impair_get_stats (impair)->reordered, >, 0);
}

/* A held datagram leaves right after `window` later ones. */
static void
test_reorder_window (void)
{
  TeaImpairConfig config = { .reorder = 0.2, .reorder_window = 2 };
  g_autoptr (TeaImpair) impair = tea_impair_new (&config, 11, 0);
  g_autoptr (GArray) out = NULL;
  g_autoptr (GHashTable) seen = g_hash_table_new (NULL, NULL);
  guint held = 0;

  push_numbered (impair, T0, 0, 1000, 64);
  out = drain (impair);
  g_assert_cmpuint (out->len, ==, 1000);
  for (guint i = 0; i < out->len; i++)
    {
      guint32 number = g_array_index (out, Out, i).number;
      guint overtaken_by = 0;

      g_assert_true (g_hash_table_add (seen, GUINT_TO_POINTER (number + 1)));
      for (guint j = 0; j < i; j++)
        if (g_array_index (out, Out, j).number > number)
          overtaken_by++;
      /* The last few may have no later ones to wait for: they leave when
       * their hold runs out instead. */
      if (number < 990)
        g_assert_true (overtaken_by == 0 || overtaken_by == 2);
      held += overtaken_by > 0;
    }
  g_assert_cmpuint (held, >, 150);
  g_assert_cmpuint (tea_impair_get_stats (impair)->reordered, ==, held);
}

static void
test_rate_and_queue (void)
{
  TeaImpairConfig config = { .rate = 10000, .rate_burst = 1000, .queue_limit = 2000 };
  g_autoptr (TeaImpair) impair = tea_impair_new (&config, 1, 0);
  g_autoptr (GArray) out = NULL;

  /* 50 datagrams of 100 bytes at once: the bucket's 1000 bytes leave at
   * once, 2000 more wait their turn at 10 kB/s, the rest find the queue
   * full. */
  push_numbered (impair, T0, 0, 50, 100);
  out = drain (impair);
  g_assert_cmpuint (out->len, ==, 30);
  g_assert_cmpuint (tea_impair_get_stats (impair)->dropped[TEA_IMPAIR_DROP_QUEUE], ==, 20);
  for (guint i = 0; i < out->len; i++)
    {
      Out *o = &g_array_index (out, Out, i);

      g_assert_cmpuint (o->number, ==, i);
      g_assert_cmpint (o->at, ==, T0 + (i < 10 ? 0 : (gint64) (i - 9) * 10000));
    }
}

static void
test_mtu_blackout_forget (void)
{
  TeaImpairConfig config = { .mtu = 1200, .delay_us = 1000 };
  g_autoptr (TeaImpair) impair = tea_impair_new (&config, 1, 0);
  const TeaImpairStats *stats = tea_impair_get_stats (impair);
  guint8 data[1300] = { 0 };
  guint8 out[TEA_IMPAIR_MAX_DATAGRAM];
  gsize len;
  gpointer tag;

  tea_impair_push (impair, T0, data, 1201, NULL);
  tea_impair_push (impair, T0, data, 1200, GUINT_TO_POINTER (1));
  tea_impair_push (impair, T0, data, 1200, GUINT_TO_POINTER (2));
  g_assert_cmpuint (stats->dropped[TEA_IMPAIR_DROP_MTU], ==, 1);
  config.blackout = TRUE;
  tea_impair_push (impair, T0, data, 10, GUINT_TO_POINTER (3));
  g_assert_cmpuint (stats->dropped[TEA_IMPAIR_DROP_BLACKOUT], ==, 1);
  /* What its sender no longer needs is dropped from the queue. */
  tea_impair_forget (impair, GUINT_TO_POINTER (1));
  g_assert_false (tea_impair_pop (impair, T0, out, &len, &tag));
  g_assert_true (tea_impair_pop (impair, T0 + 1000, out, &len, &tag));
  g_assert_cmpuint (len, ==, 1200);
  g_assert_cmpuint (GPOINTER_TO_UINT (tag), ==, 2);
  g_assert_cmpint (tea_impair_next_due (impair), ==, G_MAXINT64);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/tea/impair/clean-is-fifo", test_clean_is_fifo);
  g_test_add_func ("/tea/impair/reordered-per-sender", test_reordered_per_sender);
  g_test_add_func ("/tea/impair/same-seed-same-fate", test_same_seed_same_fate);
  g_test_add_func ("/tea/impair/loss-and-duplication", test_loss_and_duplication);
  g_test_add_func ("/tea/impair/burst-loss", test_burst_loss);
  g_test_add_func ("/tea/impair/delay-and-jitter", test_delay_and_jitter);
  g_test_add_func ("/tea/impair/reorder-window", test_reorder_window);
  g_test_add_func ("/tea/impair/rate-and-queue", test_rate_and_queue);
  g_test_add_func ("/tea/impair/mtu-blackout-forget", test_mtu_blackout_forget);
  return g_test_run ();
}
