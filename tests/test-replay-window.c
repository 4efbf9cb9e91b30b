/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The anti-replay window: every packet number is accepted at most once, and
 * anything 2048 or more below the highest is refused as too old to tell.
 */
#include "tea-replay-window.h"

#define TEST_SEED 0x5eed2048

/* Check, and if it passes record, as the session layer does. */
static gboolean
receive (TeaReplayWindow *window, guint64 pn)
{
  if (!tea_replay_window_check (window, pn))
    return FALSE;
  tea_replay_window_update (window, pn);
  return TRUE;
}

static void
test_replay_window_in_order (void)
{
  TeaReplayWindow window;

  tea_replay_window_init (&window);
  for (guint64 pn = 0; pn < 10000; pn++)
    {
      g_assert_true (tea_replay_window_check (&window, pn));
      g_assert_true (tea_replay_window_update (&window, pn));
      /* Just seen, and its predecessor too. */
      g_assert_false (tea_replay_window_check (&window, pn));
      if (pn > 0)
        g_assert_false (tea_replay_window_check (&window, pn - 1));
    }
}

static void
test_replay_window_duplicates (void)
{
  TeaReplayWindow window;

  tea_replay_window_init (&window);
  /* Packet number 0 is an ordinary packet number. */
  g_assert_true (receive (&window, 0));
  g_assert_false (receive (&window, 0));
  g_assert_true (receive (&window, 5));
  g_assert_true (receive (&window, 3));
  g_assert_false (receive (&window, 3));
  g_assert_false (receive (&window, 5));
  g_assert_true (receive (&window, 4));
  g_assert_true (receive (&window, 1));
  g_assert_true (receive (&window, 2));
  for (guint64 pn = 0; pn <= 5; pn++)
    g_assert_false (tea_replay_window_check (&window, pn));
  g_assert_true (tea_replay_window_check (&window, 6));
}

static void
test_replay_window_reorder (void)
{
  const guint64 base = 100000;
  TeaReplayWindow window;

  /* The highest first, then every older one still inside the window, in
   * descending order: each accepted once. */
  tea_replay_window_init (&window);
  g_assert_true (receive (&window, base));
  for (guint64 pn = base - 1; pn > base - TEA_REPLAY_WINDOW_SIZE; pn--)
    {
      g_assert_true (tea_replay_window_check (&window, pn));
      g_assert_false (tea_replay_window_update (&window, pn)); /* not the highest */
      g_assert_false (tea_replay_window_check (&window, pn));
    }
  for (guint64 pn = base - TEA_REPLAY_WINDOW_SIZE + 1; pn <= base; pn++)
    g_assert_false (tea_replay_window_check (&window, pn));

  /* Exactly 2048 below the highest, and anything older: too old to tell. */
  g_assert_false (tea_replay_window_check (&window, base - TEA_REPLAY_WINDOW_SIZE));
  g_assert_false (tea_replay_window_check (&window, base - TEA_REPLAY_WINDOW_SIZE - 1));
  g_assert_false (tea_replay_window_check (&window, 0));

  /* 2047 below a fresh highest is still inside. */
  tea_replay_window_init (&window);
  g_assert_true (receive (&window, base));
  g_assert_true (receive (&window, base - TEA_REPLAY_WINDOW_SIZE + 1));
  g_assert_false (receive (&window, base - TEA_REPLAY_WINDOW_SIZE));
}

static void
test_replay_window_highest (void)
{
  TeaReplayWindow window;

  tea_replay_window_init (&window);
  /* The first packet is the highest so far, whatever its number. */
  g_assert_true (tea_replay_window_update (&window, 500));
  g_assert_false (tea_replay_window_update (&window, 499));
  g_assert_true (tea_replay_window_update (&window, 501));
  g_assert_true (tea_replay_window_update (&window, 600));
  g_assert_false (tea_replay_window_update (&window, 550));
  g_assert_true (tea_replay_window_update (&window, 100000));

  tea_replay_window_init (&window);
  g_assert_true (tea_replay_window_update (&window, 0));
  g_assert_true (tea_replay_window_update (&window, 1));
}

/* After window (highest h) sees a jump to h + distance, packets seen before
 * the jump that are still inside the new window must read as seen, packets
 * not seen must read as unseen, and the ring slots they share must not leak
 * one into the other. */
static void
check_jump (guint64 distance)
{
  const guint64 h = 10 * TEA_REPLAY_WINDOW_SIZE + 17;
  const guint64 top = h + distance;
  TeaReplayWindow window;

  tea_replay_window_init (&window);
  /* Every even number in the full window below h, plus h itself. */
  for (guint64 pn = h - TEA_REPLAY_WINDOW_SIZE + 1; pn <= h; pn++)
    if (pn % 2 == 0 || pn == h)
      g_assert_true (receive (&window, pn));

  g_assert_true (tea_replay_window_check (&window, top));
  g_assert_true (tea_replay_window_update (&window, top));

  for (guint64 pn = h - 2 * TEA_REPLAY_WINDOW_SIZE; pn <= top + 3; pn++)
    {
      gboolean expected;

      if (pn > top)
        expected = TRUE;                        /* new */
      else if (top - pn >= TEA_REPLAY_WINDOW_SIZE)
        expected = FALSE;                       /* too old */
      else if (pn == top)
        expected = FALSE;                       /* just seen */
      else if (pn > h)
        expected = TRUE;                        /* skipped by the jump */
      else
        expected = pn % 2 != 0 && pn != h;      /* as before the jump */
      if (tea_replay_window_check (&window, pn) != expected)
        g_error ("jump %" G_GUINT64_FORMAT ": pn %" G_GUINT64_FORMAT " (h %" G_GUINT64_FORMAT
                 ", top %" G_GUINT64_FORMAT ") should be %s",
                 distance, pn, h, top, expected ? "acceptable" : "refused");
    }
}

static void
test_replay_window_jumps (void)
{
  static const guint64 distances[] = {
    1, 2, 63, 64, 65, 1000, TEA_REPLAY_WINDOW_SIZE - 2, TEA_REPLAY_WINDOW_SIZE - 1,
    TEA_REPLAY_WINDOW_SIZE, TEA_REPLAY_WINDOW_SIZE + 1, TEA_REPLAY_WINDOW_SIZE + 64,
    2 * TEA_REPLAY_WINDOW_SIZE - 1, 2 * TEA_REPLAY_WINDOW_SIZE, 2 * TEA_REPLAY_WINDOW_SIZE + 1,
    5000, 1000000,
  };

  for (gsize i = 0; i < G_N_ELEMENTS (distances); i++)
    check_jump (distances[i]);
}

static void
test_replay_window_top_of_range (void)
{
  const guint64 max = G_MAXUINT64;
  TeaReplayWindow window;

  /* Packet numbers near 2^64 must not wrap anything around: the window
   * moves up to the last one and stays sane. */
  tea_replay_window_init (&window);
  g_assert_true (receive (&window, max - 100));
  g_assert_true (receive (&window, max - 1));
  g_assert_true (receive (&window, max));
  g_assert_false (tea_replay_window_check (&window, max));
  g_assert_false (tea_replay_window_check (&window, max - 1));
  g_assert_false (tea_replay_window_check (&window, max - 100));
  g_assert_true (tea_replay_window_check (&window, max - 50));
  g_assert_false (tea_replay_window_check (&window, 0));
  g_assert_false (tea_replay_window_check (&window, max - TEA_REPLAY_WINDOW_SIZE));

  /* A first packet at the very top. */
  tea_replay_window_init (&window);
  g_assert_true (receive (&window, max));
  g_assert_true (receive (&window, max - 1));
  g_assert_false (receive (&window, max));
}

/* A random stream of packet numbers (reordering, duplicates, jumps of every
 * size) against a set that remembers everything. */
static void
test_replay_window_model (void)
{
  for (guint seed = 0; seed < 20; seed++)
    {
      g_autoptr (GRand) rand = g_rand_new_with_seed (TEST_SEED + seed);
      g_autoptr (GHashTable) seen = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
      TeaReplayWindow window;
      guint64 highest = 0;
      gboolean any = FALSE;

      g_test_message ("seed %u", TEST_SEED + seed);
      tea_replay_window_init (&window);
      for (guint i = 0; i < 20000; i++)
        {
          guint64 pn;
          guint choice = g_rand_int_range (rand, 0, 100);
          gboolean expected, accepted;

          if (!any || choice < 40)
            pn = highest + g_rand_int_range (rand, 1, 4);                  /* in order-ish */
          else if (choice < 75)
            pn = highest - MIN (highest, (guint64) g_rand_int_range (rand, 0, 2200)); /* late */
          else if (choice < 90)
            pn = highest - MIN (highest, (guint64) g_rand_int_range (rand, 0, 40));   /* duplicate-prone */
          else if (choice < 98)
            pn = highest + g_rand_int_range (rand, 2, 3 * TEA_REPLAY_WINDOW_SIZE);  /* jump */
          else
            pn = highest + g_rand_int_range (rand, 1, 1 << 30);           /* huge jump */

          expected = !g_hash_table_contains (seen, &pn) &&
                     !(any && pn <= highest && highest - pn >= TEA_REPLAY_WINDOW_SIZE);
          accepted = tea_replay_window_check (&window, pn);
          if (accepted != expected)
            g_error ("seed %u step %u: pn %" G_GUINT64_FORMAT " highest %" G_GUINT64_FORMAT ": got %d",
                     TEST_SEED + seed, i, pn, highest, accepted);
          if (!accepted)
            continue;

          /* update() says TRUE exactly for a new highest. */
          g_assert_cmpint (tea_replay_window_update (&window, pn), ==, !any || pn > highest);
          g_hash_table_add (seen, g_memdup2 (&pn, sizeof pn));
          if (!any || pn > highest)
            highest = pn;
          any = TRUE;
          g_assert_false (tea_replay_window_check (&window, pn));
        }
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/tea/replay-window/in-order", test_replay_window_in_order);
  g_test_add_func ("/tea/replay-window/duplicates", test_replay_window_duplicates);
  g_test_add_func ("/tea/replay-window/reorder", test_replay_window_reorder);
  g_test_add_func ("/tea/replay-window/highest", test_replay_window_highest);
  g_test_add_func ("/tea/replay-window/jumps", test_replay_window_jumps);
  g_test_add_func ("/tea/replay-window/top-of-range", test_replay_window_top_of_range);
  g_test_add_func ("/tea/replay-window/model", test_replay_window_model);

  return g_test_run ();
}
