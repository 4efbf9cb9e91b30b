/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The timing wheel against a model, with a fake clock. What a caller relies
 * on: a timer pops exactly once, never before its deadline, and no later
 * than one tick after the first pop_expired() call made at or after it;
 * next_wakeup() is never later than the earliest deadline (rounded up to
 * the tick), so a loop that sleeps until next_wakeup() is never late.
 */
#include "tea-timer-wheel.h"

#define TEST_SEED 0x71e5
#define TICK TEA_TIMER_WHEEL_TICK_US
#define SECOND G_USEC_PER_SEC
#define DAY (G_GINT64_CONSTANT (86400) * SECOND)
/* Timers due within this many ticks live on level l (0-based). */
#define LEVEL_SPAN(l) (G_GINT64_CONSTANT (1) << (8 * ((l) + 1)))

typedef struct
{
  TeaTimer timer;
  gint64 deadline; /* the model's; G_MAXINT64 when not scheduled */
  gint64 due_call; /* first pop_expired() time at or after deadline, or -1 */
} Item;

typedef struct
{
  TeaTimerWheel wheel;
  Item *items;
  guint n_items;
  guint n_scheduled;
  gint64 now;
  GRand *rand;
  guint n_popped;
} Harness;

static gint64
ceil_tick (gint64 us)
{
  return us <= 0 ? 0 : (us + TICK - 1) / TICK * TICK;
}

static Item *
item_of (TeaTimer *timer)
{
  return (Item *) ((char *) timer - G_STRUCT_OFFSET (Item, timer));
}

static void
harness_init (Harness *h, guint32 seed, guint n_items, gint64 start)
{
  h->items = g_new0 (Item, n_items);
  h->n_items = n_items;
  h->n_scheduled = 0;
  h->n_popped = 0;
  h->now = start;
  h->rand = g_rand_new_with_seed (seed);
  for (guint i = 0; i < n_items; i++)
    {
      h->items[i].deadline = G_MAXINT64;
      h->items[i].due_call = -1;
    }
  tea_timer_wheel_init (&h->wheel, start);
}

static void
harness_clear (Harness *h)
{
  g_clear_pointer (&h->items, g_free);
  g_clear_pointer (&h->rand, g_rand_free);
}

static void
harness_schedule (Harness *h, Item *item, gint64 deadline)
{
  tea_timer_wheel_schedule (&h->wheel, &item->timer, deadline);
  if (item->deadline == G_MAXINT64 && deadline != G_MAXINT64)
    h->n_scheduled++;
  else if (item->deadline != G_MAXINT64 && deadline == G_MAXINT64)
    h->n_scheduled--;
  item->deadline = deadline;
  item->due_call = -1;
}

static void
harness_cancel (Harness *h, Item *item)
{
  tea_timer_wheel_cancel (&h->wheel, &item->timer);
  if (item->deadline != G_MAXINT64)
    h->n_scheduled--;
  item->deadline = G_MAXINT64;
  item->due_call = -1;
}

static void
harness_check (Harness *h)
{
  gint64 earliest = G_MAXINT64;
  gint64 wakeup = tea_timer_wheel_next_wakeup (&h->wheel);

  g_assert_cmpuint (tea_timer_wheel_count (&h->wheel), ==, h->n_scheduled);
  for (guint i = 0; i < h->n_items; i++)
    {
      g_assert_cmpint (tea_timer_is_scheduled (&h->items[i].timer), ==, h->items[i].deadline != G_MAXINT64);
      earliest = MIN (earliest, h->items[i].deadline);
    }
  if (earliest == G_MAXINT64)
    {
      g_assert_cmpint (wakeup, ==, G_MAXINT64);
      return;
    }
  /* A deadline already in the past can only be asked for "now". */
  if (wakeup > MAX (ceil_tick (earliest), h->now))
    g_error ("next_wakeup %" G_GINT64_FORMAT " is later than the earliest deadline %" G_GINT64_FORMAT
             " (now %" G_GINT64_FORMAT ")", wakeup, earliest, h->now);
}

/* One pop_expired() round at h->now: what pops must be due, and what is
 * overdue by a tick since its first chance must have popped. */
static void
harness_pop (Harness *h)
{
  TeaTimer *timer;

  for (guint i = 0; i < h->n_items; i++)
    if (h->items[i].deadline <= h->now && h->items[i].due_call < 0)
      h->items[i].due_call = h->now;

  while ((timer = tea_timer_wheel_pop_expired (&h->wheel, h->now)) != NULL)
    {
      Item *item = item_of (timer);

      g_assert_false (tea_timer_is_scheduled (timer));
      if (item->deadline == G_MAXINT64)
        g_error ("timer %u popped but not scheduled (now %" G_GINT64_FORMAT ")",
                 (guint) (item - h->items), h->now);
      if (item->deadline > h->now)
        g_error ("timer %u popped early: deadline %" G_GINT64_FORMAT " now %" G_GINT64_FORMAT,
                 (guint) (item - h->items), item->deadline, h->now);
      item->deadline = G_MAXINT64;
      item->due_call = -1;
      h->n_scheduled--;
      h->n_popped++;
    }

  for (guint i = 0; i < h->n_items; i++)
    {
      Item *item = &h->items[i];

      if (item->due_call >= 0 && h->now >= item->due_call + TICK)
        g_error ("timer %u late: deadline %" G_GINT64_FORMAT ", due since the call at %" G_GINT64_FORMAT
                 ", still waiting at %" G_GINT64_FORMAT, i, item->deadline, item->due_call, h->now);
    }
}

/* A delay that lands on a random level, with sub-tick offsets, sometimes in
 * the past or exactly now; at most about two days. */
static gint64
random_delay (GRand *rand)
{
  guint level = g_rand_int_range (rand, 0, TEA_TIMER_WHEEL_LEVELS);
  guint r = g_rand_int_range (rand, 0, 100);
  gint64 span = MIN (LEVEL_SPAN (level) * TICK, 2 * DAY);

  if (r < 3)
    return -g_rand_int_range (rand, 0, 10 * SECOND);
  if (r < 6)
    return 0;
  if (r < 12)
    return g_rand_int_range (rand, 0, TICK);
  if (r < 20) /* on a tick boundary */
    return (gint64) g_rand_double_range (rand, 0, span / TICK) * TICK;
  return (gint64) g_rand_double_range (rand, 0, span);
}

static gint64
random_step (GRand *rand)
{
  guint r = g_rand_int_range (rand, 0, 1000);

  if (r < 100)
    return 0;
  if (r < 300)
    return g_rand_int_range (rand, 1, TICK);
  if (r < 600)
    return g_rand_int_range (rand, 1, 5 * TICK);
  if (r < 800)
    return g_rand_int_range (rand, 1, 300 * TICK);
  if (r < 950)
    return (gint64) g_rand_double_range (rand, 1, 70 * SECOND);
  if (r < 995)
    return (gint64) g_rand_double_range (rand, 1, G_GINT64_CONSTANT (5) * 3600 * SECOND);
  return (gint64) g_rand_double_range (rand, 1, 2 * DAY);
}

static void
run_model (guint32 seed, gint64 start, guint n_items, guint n_steps)
{
  Harness h;

  g_test_message ("seed %u start %" G_GINT64_FORMAT, seed, start);
  harness_init (&h, seed, n_items, start);
  harness_check (&h);

  /* Start with most timers scheduled so that every level is populated. */
  for (guint i = 0; i < n_items; i += 2)
    harness_schedule (&h, &h.items[i], h.now + random_delay (h.rand));
  harness_check (&h);

  for (guint step = 0; step < n_steps; step++)
    {
      Item *item = &h.items[g_rand_int_range (h.rand, 0, n_items)];
      guint action = g_rand_int_range (h.rand, 0, 100);

      if (action < 30)
        {
          harness_schedule (&h, item, h.now + random_delay (h.rand));
        }
      else if (action < 45 && item->deadline != G_MAXINT64)
        {
          /* Move an armed timer: later is the lazy path, earlier moves it. */
          gint64 delta = random_delay (h.rand);
          gint64 deadline = g_rand_boolean (h.rand) ? item->deadline + delta : item->deadline - delta / 2;

          harness_schedule (&h, item, MAX (deadline, 0));
        }
      else if (action < 52)
        {
          harness_cancel (&h, item); /* scheduled or not */
        }
      else if (action < 55)
        {
          harness_schedule (&h, item, G_MAXINT64);
        }
      else if (action < 58)
        {
          /* Overdue, then pushed later before anyone popped it: the lazy
           * path for a timer sitting in the expired list. */
          harness_schedule (&h, item, h.now - g_rand_int_range (h.rand, 0, 3 * TICK));
          harness_schedule (&h, item, h.now + random_delay (h.rand) + 1);
        }
      else
        {
          h.now += random_step (h.rand);
          harness_pop (&h);
        }
      harness_check (&h);
    }

  /* Drain: follow next_wakeup() until nothing is left. */
  for (guint i = 0; h.n_scheduled > 0; i++)
    {
      gint64 wakeup = tea_timer_wheel_next_wakeup (&h.wheel);

      g_assert_cmpuint (i, <, 100000);
      g_assert_cmpint (wakeup, !=, G_MAXINT64);
      h.now = MAX (h.now, wakeup);
      harness_pop (&h);
      harness_check (&h);
    }
  g_assert_cmpint (tea_timer_wheel_next_wakeup (&h.wheel), ==, G_MAXINT64);
  g_assert_cmpuint (h.n_popped, >, n_items / 2);
  harness_clear (&h);
}

static void
test_timer_wheel_model (void)
{
  /* Starts on and off tick boundaries, near zero and far from it. */
  static const gint64 starts[] = {
    0, 1, 999, 1000, 1500, G_GINT64_CONSTANT (1000000000000), G_GINT64_CONSTANT (1000000000777),
    G_GINT64_CONSTANT (1) << 40,
  };

  for (gsize i = 0; i < G_N_ELEMENTS (starts); i++)
    run_model (TEST_SEED + i, starts[i], 3000, 6000);
}

/* Sleeping exactly until next_wakeup() each time: every timer fires at the
 * first wakeup at or after its deadline, and that is never later than its
 * deadline rounded up to the tick. */
static void
test_timer_wheel_follow_wakeup (void)
{
  static const gint64 ticks[] = {
    0, 1, 2, 255, 256, 257, 511, 512, 65535, 65536, 65537, 70000,
    (1 << 24) - 1, 1 << 24, (1 << 24) + 1, 100000000, 172800000,
  };
  static const gint64 offsets[] = { -TICK + 1, -1, 0, 1, TICK / 2, TICK - 1 };
  const gint64 start = G_GINT64_CONSTANT (5000000000) + 321;
  guint n = G_N_ELEMENTS (ticks) * G_N_ELEMENTS (offsets);
  g_autofree Item *items = g_new0 (Item, n);
  TeaTimerWheel wheel;
  gint64 now = start;
  guint popped = 0, wakeups = 0;

  tea_timer_wheel_init (&wheel, start);
  for (gsize t = 0; t < G_N_ELEMENTS (ticks); t++)
    for (gsize o = 0; o < G_N_ELEMENTS (offsets); o++)
      {
        Item *item = &items[t * G_N_ELEMENTS (offsets) + o];

        item->deadline = start + ticks[t] * TICK + offsets[o];
        tea_timer_wheel_schedule (&wheel, &item->timer, item->deadline);
      }
  g_assert_cmpuint (tea_timer_wheel_count (&wheel), ==, n);

  while (popped < n)
    {
      gint64 wakeup = tea_timer_wheel_next_wakeup (&wheel);
      TeaTimer *timer;

      g_assert_cmpint (wakeup, !=, G_MAXINT64);
      g_assert_cmpuint (++wakeups, <, 10000);
      now = MAX (now, wakeup);
      while ((timer = tea_timer_wheel_pop_expired (&wheel, now)) != NULL)
        {
          Item *item = item_of (timer);

          g_assert_cmpint (item->deadline, <=, now);
          g_assert_cmpint (now, <=, MAX (ceil_tick (item->deadline), start));
          item->deadline = G_MAXINT64;
          popped++;
        }
    }
  g_assert_cmpuint (tea_timer_wheel_count (&wheel), ==, 0);
  g_assert_cmpint (tea_timer_wheel_next_wakeup (&wheel), ==, G_MAXINT64);
  /* Skipping empty slots keeps a two-day horizon cheap. */
  g_assert_cmpuint (wakeups, <, 3000);
}

/* Minimal case: right after init in the middle of a tick, a timer due
 * later in that same tick. */
static void
test_timer_wheel_init_mid_tick (void)
{
  TeaTimerWheel wheel;
  TeaTimer timer = { 0 };

  tea_timer_wheel_init (&wheel, 1500);
  tea_timer_wheel_schedule (&wheel, &timer, 1800);
  g_assert_null (tea_timer_wheel_pop_expired (&wheel, 1500));
  g_assert_cmpint (tea_timer_wheel_next_wakeup (&wheel), <=, 2000);
  g_assert_null (tea_timer_wheel_pop_expired (&wheel, 1799));
  g_assert_true (tea_timer_wheel_pop_expired (&wheel, 2000) == &timer);
  g_assert_cmpuint (tea_timer_wheel_count (&wheel), ==, 0);
}

static void
test_timer_wheel_past_deadline (void)
{
  TeaTimerWheel wheel;
  TeaTimer timer = { 0 };

  /* A deadline already passed is due at once. */
  tea_timer_wheel_init (&wheel, 10 * SECOND);
  tea_timer_wheel_schedule (&wheel, &timer, 3 * SECOND);
  g_assert_cmpint (tea_timer_wheel_next_wakeup (&wheel), <=, 10 * SECOND);
  g_assert_true (tea_timer_wheel_pop_expired (&wheel, 10 * SECOND) == &timer);
  g_assert_null (tea_timer_wheel_pop_expired (&wheel, 10 * SECOND));

  /* Negative times are before everything. */
  tea_timer_wheel_schedule (&wheel, &timer, -5);
  g_assert_true (tea_timer_wheel_pop_expired (&wheel, 10 * SECOND) == &timer);
}

static void
test_timer_wheel_reschedule (void)
{
  TeaTimerWheel wheel;
  TeaTimer timer = { 0 };
  const gint64 t0 = 100 * SECOND;

  tea_timer_wheel_init (&wheel, t0);

  /* Later: stays filed early but must not fire at the old deadline. */
  tea_timer_wheel_schedule (&wheel, &timer, t0 + 10 * TICK);
  tea_timer_wheel_schedule (&wheel, &timer, t0 + 5 * SECOND);
  g_assert_cmpuint (tea_timer_wheel_count (&wheel), ==, 1);
  g_assert_null (tea_timer_wheel_pop_expired (&wheel, t0 + 10 * TICK));
  g_assert_null (tea_timer_wheel_pop_expired (&wheel, t0 + 5 * SECOND - 1));
  g_assert_true (tea_timer_wheel_pop_expired (&wheel, t0 + 5 * SECOND) == &timer);

  /* Earlier: moves. */
  tea_timer_wheel_schedule (&wheel, &timer, t0 + G_GINT64_CONSTANT (3600) * SECOND);
  tea_timer_wheel_schedule (&wheel, &timer, t0 + 6 * SECOND);
  g_assert_cmpint (tea_timer_wheel_next_wakeup (&wheel), <=, t0 + 6 * SECOND);
  g_assert_true (tea_timer_wheel_pop_expired (&wheel, t0 + 6 * SECOND) == &timer);

  /* Later while already sitting in the expired list. */
  tea_timer_wheel_schedule (&wheel, &timer, t0);
  tea_timer_wheel_schedule (&wheel, &timer, t0 + 7 * SECOND + 1);
  g_assert_null (tea_timer_wheel_pop_expired (&wheel, t0 + 7 * SECOND));
  g_assert_true (tea_timer_is_scheduled (&timer));
  g_assert_true (tea_timer_wheel_pop_expired (&wheel, t0 + 7 * SECOND + TICK) == &timer);
}

static void
test_timer_wheel_cancel (void)
{
  TeaTimerWheel wheel;
  TeaTimer a = { 0 }, b = { 0 };

  tea_timer_wheel_init (&wheel, 0);
  g_assert_cmpint (tea_timer_wheel_next_wakeup (&wheel), ==, G_MAXINT64);

  /* Never scheduled. */
  tea_timer_wheel_cancel (&wheel, &a);
  g_assert_cmpuint (tea_timer_wheel_count (&wheel), ==, 0);

  tea_timer_wheel_schedule (&wheel, &a, 5 * TICK);
  tea_timer_wheel_schedule (&wheel, &b, 7 * TICK);
  g_assert_cmpuint (tea_timer_wheel_count (&wheel), ==, 2);
  tea_timer_wheel_cancel (&wheel, &a);
  tea_timer_wheel_cancel (&wheel, &a); /* twice */
  g_assert_false (tea_timer_is_scheduled (&a));
  g_assert_cmpuint (tea_timer_wheel_count (&wheel), ==, 1);

  /* Cancelling through schedule(G_MAXINT64), and once more. */
  tea_timer_wheel_schedule (&wheel, &b, G_MAXINT64);
  tea_timer_wheel_schedule (&wheel, &b, G_MAXINT64);
  g_assert_cmpuint (tea_timer_wheel_count (&wheel), ==, 0);
  g_assert_cmpint (tea_timer_wheel_next_wakeup (&wheel), ==, G_MAXINT64);
  g_assert_null (tea_timer_wheel_pop_expired (&wheel, DAY));

  /* After popping, a timer is unscheduled and cancelling it is harmless. */
  tea_timer_wheel_schedule (&wheel, &a, DAY + 1);
  tea_timer_wheel_schedule (&wheel, &b, DAY + 2 * SECOND);
  g_assert_true (tea_timer_wheel_pop_expired (&wheel, DAY + SECOND) == &a);
  tea_timer_wheel_cancel (&wheel, &a);
  g_assert_cmpuint (tea_timer_wheel_count (&wheel), ==, 1);
  g_assert_true (tea_timer_wheel_pop_expired (&wheel, DAY + 3 * SECOND) == &b);
  g_assert_cmpuint (tea_timer_wheel_count (&wheel), ==, 0);
}

/* A long sleep with something expiring early in it must not make the
 * wheel walk every remaining tick one by one. */
static void
test_timer_wheel_long_sleep (void)
{
  TeaTimerWheel wheel;
  TeaTimer early = { 0 }, late = { 0 };
  gint64 t0 = 1000 * SECOND;
  gint64 before = g_get_monotonic_time ();

  tea_timer_wheel_init (&wheel, t0);
  tea_timer_wheel_schedule (&wheel, &early, t0 + SECOND);
  tea_timer_wheel_schedule (&wheel, &late, t0 + 30 * DAY);
  g_assert_true (tea_timer_wheel_pop_expired (&wheel, t0 + 20 * DAY) == &early);
  g_assert_null (tea_timer_wheel_pop_expired (&wheel, t0 + 20 * DAY));
  g_assert_true (tea_timer_wheel_pop_expired (&wheel, t0 + 60 * DAY) == &late);
  /* 60 days are 5e9 ticks: seconds of work if walked tick by tick even
   * without a sanitizer; skipping empty slots takes microseconds. */
  g_assert_cmpint (g_get_monotonic_time () - before, <, 2 * SECOND);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/tea/timer-wheel/init-mid-tick", test_timer_wheel_init_mid_tick);
  g_test_add_func ("/tea/timer-wheel/past-deadline", test_timer_wheel_past_deadline);
  g_test_add_func ("/tea/timer-wheel/reschedule", test_timer_wheel_reschedule);
  g_test_add_func ("/tea/timer-wheel/cancel", test_timer_wheel_cancel);
  g_test_add_func ("/tea/timer-wheel/long-sleep", test_timer_wheel_long_sleep);
  g_test_add_func ("/tea/timer-wheel/follow-wakeup", test_timer_wheel_follow_wakeup);
  g_test_add_func ("/tea/timer-wheel/model", test_timer_wheel_model);

  return g_test_run ();
}
