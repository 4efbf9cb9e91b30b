/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A total outage (nothing passes either way) shorter than the idle
 * timeout: the sessions survive it and catch up by retransmission, with
 * nothing lost, duplicated or marked as a gap (tea-test-room.c checks).
 * Outages longer than the idle timeout are in test-relay (catch-up) and
 * test-chat; relay restarts in test-relay and test-daemon. A binary of its
 * own because it takes a fixed 10 s, so it runs beside test-impairment.
 */
#include "tea-test-room.h"

/* Ten seconds of nothing either way for two members (the third is
 * elsewhere and keeps talking): well under the idle timeout, so their
 * sessions must survive and catch up by retransmission alone. */
static void
test_ten_seconds (void)
{
  const TeaTestRoomScenario s = {
    "10 s total outage for 2 of 3 members, one round per 250 ms",
    .n_peers = 2, .n_direct = 1, .per_peer = 56, .seed = 6, .pace_ms = 250,
    .outage_at_ms = 2000, .outage_ms = 10000,
  };
  tea_test_room_run (&s);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/tea/outage/10-seconds", test_ten_seconds);
  return g_test_run ();
}
