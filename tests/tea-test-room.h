/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A room of real clients on a real relay (in-process, loopback), some of
 * them behind a TeaNetem, chatting through whatever the scenario does to
 * the network; then the proof: every member saw every message exactly
 * once, in the same order, without a new session, a state change or a
 * gap. test-impairment and test-outage run their scenarios through it.
 */
#pragma once

#include "tea-impair.h"
#include "tea-test-util.h"

G_BEGIN_DECLS

typedef struct
{
  const char *label;
  TeaImpairConfig impairment; /* both directions */
  guint n_peers;              /* members behind the proxy ... */
  guint n_direct;             /* ... and straight to the relay */
  guint per_peer;             /* messages each sends */
  guint pace_ms;              /* one from each every pace_ms; 0: all at once */
  guint32 seed;
  guint rebind_s;             /* the proxy moves every mapping this often */
  guint outage_at_ms;         /* nothing passes the proxy either way ... */
  guint outage_ms;            /* ... for this long */
} TeaTestRoomScenario;

/* Runs it, printing how long delivery took; fails the test otherwise. */
void tea_test_room_run (const TeaTestRoomScenario *scenario);
/* A relay whose flood control never gets in the way: the tests are about
 * the network. */
TeaTestRelay *tea_test_room_relay_new (void);

G_END_DECLS
