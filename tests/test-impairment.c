/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The real relay and real clients through a hostile network (TeaNetem, the
 * proxy tea-netem is made of): loss, burst loss, duplication, reordering
 * and jitter, heavy loss, a bandwidth bottleneck and NAT rebinding. Every
 * member must see every room message exactly once and in the same order,
 * without a new session or a gap (tea-test-room.c checks). Durations are
 * printed, not asserted (CI machines vary); each case has a generous bound
 * so a livelock still fails.
 */
#include "tea-test-room.h"

static void
test_thousand_through_30_percent (void)
{
  const TeaTestRoomScenario s = {
    "1000 messages at once, 30% loss each way",
    .impairment = { .loss = 0.3 }, .n_peers = 2, .per_peer = 500, .seed = 1,
  };
  tea_test_room_run (&s);
}

/* The acceptance case of issue 6: 5 members, 200 messages each. */
static const TeaImpairConfig storm = {
  .loss = 0.2, .duplicate = 0.05, .reorder = 0.1, .reorder_window = 3, .jitter_us = 50000,
};

static void
test_storm (void)
{
  const TeaTestRoomScenario s = {
    "20% loss, 5% duplication, 10% reordered, 0-50 ms jitter, all at once",
    .impairment = storm, .n_peers = 5, .per_peer = 200, .seed = 2,
  };
  tea_test_room_run (&s);
}

static void
test_storm_paced (void)
{
  const TeaTestRoomScenario s = {
    "20% loss, 5% duplication, 10% reordered, 0-50 ms jitter, one round per 20 ms",
    .impairment = storm, .n_peers = 5, .per_peer = 200, .seed = 5, .pace_ms = 20,
  };
  tea_test_room_run (&s);
}

static void
test_half_lost (void)
{
  const TeaTestRoomScenario s = {
    "50% loss each way, one round per 50 ms",
    .impairment = { .loss = 0.5, .jitter_us = 10000 }, .n_peers = 3, .per_peer = 30, .seed = 3, .pace_ms = 50,
  };
  tea_test_room_run (&s);
}

/* Gilbert–Elliott: bursts of 4 datagrams on average (1/r), 1 in 6 lost
 * overall (p / (p + r)). */
static void
test_burst_loss (void)
{
  const TeaTestRoomScenario s = {
    "burst loss (p 5%, r 25%), one round per 30 ms",
    .impairment = { .burst_p = 0.05, .burst_r = 0.25, .burst_loss_bad = 1, .jitter_us = 5000 },
    .n_peers = 3, .per_peer = 100, .seed = 8, .pace_ms = 30,
  };
  tea_test_room_run (&s);
}

/* A slow link with a short queue: tail drops under load, and nothing
 * bigger than 1200 bytes ever needs to pass. */
static void
test_bottleneck (void)
{
  const TeaTestRoomScenario s = {
    "64 kB/s each way, 8 KiB queue, 1200-byte MTU, 600 messages at once",
    .impairment = { .rate = 64000, .queue_limit = 8192, .mtu = 1200, .delay_us = 20000 },
    .n_peers = 2, .per_peer = 300, .seed = 9,
  };
  tea_test_room_run (&s);
}

static void
test_rebinding (void)
{
  const TeaTestRoomScenario s = {
    "NAT rebinding every 2 s, 5% loss, one round per 30 ms",
    .impairment = { .loss = 0.05, .jitter_us = 5000 }, .n_peers = 3, .per_peer = 200, .seed = 4,
    .pace_ms = 30, .rebind_s = 2,
  };
  tea_test_room_run (&s);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/tea/impairment/1000-through-30-percent-loss", test_thousand_through_30_percent);
  g_test_add_func ("/tea/impairment/storm", test_storm);
  g_test_add_func ("/tea/impairment/storm-paced", test_storm_paced);
  g_test_add_func ("/tea/impairment/50-percent-loss", test_half_lost);
  g_test_add_func ("/tea/impairment/burst-loss", test_burst_loss);
  g_test_add_func ("/tea/impairment/bottleneck", test_bottleneck);
  g_test_add_func ("/tea/impairment/rebinding", test_rebinding);
  return g_test_run ();
}
