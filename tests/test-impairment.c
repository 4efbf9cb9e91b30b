/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The real relay and real clients through a hostile network (TeaNetem):
 * loss, duplication, reordering and jitter, heavy loss, and NAT
 * rebinding. Every member must see every room message exactly once and in
 * the same order. Durations are printed, not asserted (CI machines vary);
 * each case has a generous bound so a livelock still fails.
 */
#include <string.h>

#include "tea-netem.h"
#include "tea-test-util.h"

typedef struct
{
  TeaTestPeer **peers;
  guint n_peers;
  guint expected;
} AllSeen;

static gboolean
all_seen (gpointer user_data)
{
  AllSeen *w = user_data;

  for (guint i = 0; i < w->n_peers; i++)
    if (tea_test_peer_count (w->peers[i], "MESSAGE", "m") < w->expected)
      return FALSE;
  return TRUE;
}

static TeaTestRelay *
unthrottled_relay (void)
{
  TeaRelayConfig config;
  TeaTestRelay *relay;

  tea_relay_config_init (&config);
  /* The point is the network, not flood control. */
  config.flood_burst = 1e6;
  config.flood_rate = 1e6;
  config.handshake_burst = 100;
  relay = tea_test_relay_new (&config);
  tea_relay_config_clear (&config);
  return relay;
}

static void
assert_exactly_once_same_order (TeaTestPeer **peers, guint n, guint expected)
{
  g_autoptr (GPtrArray) reference = tea_test_peer_chat_lines (peers[0]);
  g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);

  g_assert_cmpuint (reference->len, ==, expected);
  for (guint i = 0; i < reference->len; i++)
    g_assert_true (g_hash_table_add (seen, reference->pdata[i])); /* no duplicate */
  for (guint p = 1; p < n; p++)
    {
      g_autoptr (GPtrArray) lines = tea_test_peer_chat_lines (peers[p]);

      g_assert_cmpuint (lines->len, ==, expected);
      for (guint i = 0; i < lines->len; i++)
        g_assert_cmpstr (lines->pdata[i], ==, reference->pdata[i]);
    }
}

/* Sends round n (one message from each peer) when its time comes. */
static guint
send_due_rounds (TeaTestPeer **peers, guint n_peers, guint per_peer, guint sent_rounds,
                 gint64 start, guint pace_ms)
{
  gint64 now = g_get_monotonic_time ();

  while (sent_rounds < per_peer && (pace_ms == 0 || now >= start + (gint64) sent_rounds * pace_ms * 1000))
    {
      for (guint i = 0; i < n_peers; i++)
        {
          g_autofree char *text = g_strdup_printf ("m %u from %u", sent_rounds, i);
          g_assert_cmpuint (tea_client_say (peers[i]->client, "storm", text, TEA_TEXT_KIND_MESSAGE), !=, 0);
        }
      sent_rounds++;
    }
  return sent_rounds;
}

static void
run_room (const TeaImpairConfig *impairment, guint n_peers, guint per_peer, guint32 seed,
          guint pace_ms, gboolean rebind, const char *label)
{
  g_autoptr (TeaTestRelay) relay = unthrottled_relay ();
  g_autoptr (TeaNetem) proxy = tea_netem_new_loopback (relay->port, seed);
  g_autofree TeaTestPeer **peers = g_new0 (TeaTestPeer *, n_peers);
  AllSeen wait = { peers, n_peers, n_peers * per_peer };
  gint64 start, rebind_at, last_rebind;
  guint64 sessions_before;
  guint rebinds = 0, rounds = 0;

  for (guint i = 0; i < n_peers; i++)
    {
      g_autofree char *nick = g_strdup_printf ("peer%u", i);

      peers[i] = tea_test_peer_new (tea_netem_get_port (proxy), nick);
      tea_test_peer_connect (peers[i], "storm");
    }
  sessions_before = tea_relay_get_stats (relay->relay)->sessions_created;
  tea_netem_set_config (proxy, impairment);

  start = g_get_monotonic_time ();
  last_rebind = start;
  /* Send (all at once, or one round per pace_ms) and wait, rebinding the
   * "NAT" every 2 s if asked. */
  while (!all_seen (&wait))
    {
      rounds = send_due_rounds (peers, n_peers, per_peer, rounds, start, pace_ms);
      rebind_at = last_rebind + 2 * G_USEC_PER_SEC;
      tea_test_wait (all_seen, &wait, pace_ms ? pace_ms : 100);
      if (rebind && g_get_monotonic_time () >= rebind_at)
        {
          tea_netem_rebind (proxy);
          last_rebind = g_get_monotonic_time ();
          rebinds++;
        }
      if (g_get_monotonic_time () - start > 240 * G_USEC_PER_SEC)
        g_error ("%s: not delivered in 240 s", label);
    }
  g_test_message ("%s: %u members x %u messages delivered to all in %.2f s "
                  "(proxy dropped %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT " datagrams%s)",
                  label, n_peers, per_peer, (g_get_monotonic_time () - start) / 1e6,
                  tea_netem_get_dropped (proxy),
                  tea_netem_get_dropped (proxy) + tea_netem_get_forwarded (proxy),
                  rebind ? ", rebound every 2 s" : "");
  assert_exactly_once_same_order (peers, n_peers, n_peers * per_peer);
  /* Nobody had to start a new session: the sessions rode it out. */
  g_assert_cmpuint (tea_relay_get_stats (relay->relay)->sessions_created, ==, sessions_before);
  if (rebind)
    {
      g_assert_cmpuint (rebinds, >, 0);
      g_assert_cmpuint (tea_relay_get_stats (relay->relay)->migrations, >=, n_peers);
    }
  for (guint i = 0; i < n_peers; i++)
    tea_test_peer_free (peers[i]);
}

static void
test_thousand_through_30_percent (void)
{
  TeaImpairConfig impairment = { .loss = 0.3 };
  run_room (&impairment, 2, 500, 1, 0, FALSE, "1000 messages at once, 30% loss each way");
}

static void
test_storm (void)
{
  TeaImpairConfig impairment = {
    .loss = 0.2, .duplicate = 0.05, .jitter_us = 50000,
  };
  run_room (&impairment, 5, 200, 2, 0, FALSE, "20% loss, 5% duplication, 0-50 ms jitter");
}

static void
test_storm_paced (void)
{
  TeaImpairConfig impairment = {
    .loss = 0.2, .duplicate = 0.05, .jitter_us = 50000,
  };
  run_room (&impairment, 5, 200, 5, 20, FALSE, "20% loss, 5% duplication, 0-50 ms jitter, one round per 20 ms");
}

static void
test_half_lost (void)
{
  TeaImpairConfig impairment = { .loss = 0.5, .jitter_us = 10000 };
  run_room (&impairment, 3, 30, 3, 50, FALSE, "50% loss each way, one round per 50 ms");
}

static void
test_rebinding (void)
{
  TeaImpairConfig impairment = { .loss = 0.05, .jitter_us = 5000 };
  run_room (&impairment, 3, 200, 4, 30, TRUE, "NAT rebinding, one round per 30 ms");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/tea/impairment/1000-through-30-percent-loss", test_thousand_through_30_percent);
  g_test_add_func ("/tea/impairment/storm", test_storm);
  g_test_add_func ("/tea/impairment/storm-paced", test_storm_paced);
  g_test_add_func ("/tea/impairment/50-percent-loss", test_half_lost);
  g_test_add_func ("/tea/impairment/rebinding", test_rebinding);
  return g_test_run ();
}
