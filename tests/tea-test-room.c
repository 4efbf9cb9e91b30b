/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "tea-netem.h"
#include "tea-test-room.h"
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

TeaTestRelay *
tea_test_room_relay_new (void)
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

/* Lines are "room seq kind nick text": every text sent ("m ROUND from
 * PEER") is there exactly once, in rising seq order, and every member has
 * the very same lines in the same order. */
static void
assert_exactly_once_same_order (TeaTestPeer **peers, guint n, guint per_peer)
{
  g_autoptr (GPtrArray) reference = tea_test_peer_chat_lines (peers[0]);
  g_autoptr (GHashTable) texts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  guint64 last_seq = 0;

  g_assert_cmpuint (reference->len, ==, n * per_peer);
  for (guint i = 0; i < reference->len; i++)
    {
      g_auto (GStrv) fields = g_strsplit (reference->pdata[i], " ", 5);
      guint64 seq = g_ascii_strtoull (fields[1], NULL, 10);

      g_assert_cmpuint (seq, >, last_seq);
      last_seq = seq;
      g_assert_true (g_hash_table_add (texts, g_strdup (fields[4]))); /* not twice */
    }
  for (guint round = 0; round < per_peer; round++)
    for (guint p = 0; p < n; p++)
      {
        g_autofree char *text = g_strdup_printf ("m %u from %u", round, p);
        g_assert_true (g_hash_table_contains (texts, text)); /* not lost */
      }
  for (guint p = 1; p < n; p++)
    {
      g_autoptr (GPtrArray) lines = tea_test_peer_chat_lines (peers[p]);

      g_assert_cmpuint (lines->len, ==, reference->len);
      for (guint i = 0; i < lines->len; i++)
        g_assert_cmpstr (lines->pdata[i], ==, reference->pdata[i]);
    }
}

static void
on_state_changed (GObject *client, GParamSpec *pspec, gpointer user_data)
{
  guint *changes = user_data;
  (*changes)++;
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

void
tea_test_room_run (const TeaTestRoomScenario *scenario)
{
  g_autoptr (TeaTestRelay) relay = tea_test_room_relay_new ();
  g_autoptr (TeaNetem) proxy = tea_netem_new_loopback (relay->port, scenario->seed);
  guint n = scenario->n_peers + scenario->n_direct;
  g_autofree TeaTestPeer **peers = g_new0 (TeaTestPeer *, n);
  g_autofree guint64 *session_ids = g_new0 (guint64, n);
  g_autofree guint *state_changes = g_new0 (guint, n);
  AllSeen wait = { peers, n, n * scenario->per_peer };
  gint64 start, outage_start = 0, outage_end = 0;
  g_autofree char *after_outage = NULL;
  const TeaImpairStats *up, *down;
  guint64 sessions_before;
  guint rounds = 0;

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *nick = g_strdup_printf ("peer%u", i);
      gboolean direct = i >= scenario->n_peers;

      peers[i] = tea_test_peer_new (direct ? relay->port : tea_netem_get_port (proxy), nick);
      tea_test_peer_connect (peers[i], "storm");
      session_ids[i] = tea_client_get_session_id (peers[i]->client);
      g_signal_connect (peers[i]->client, "notify::state", G_CALLBACK (on_state_changed), &state_changes[i]);
    }
  sessions_before = tea_relay_get_stats (relay->relay)->sessions_created;
  tea_netem_set_config (proxy, &scenario->impairment);
  tea_netem_set_rebind_interval (proxy, scenario->rebind_s);

  /* Send (all at once, or one round per pace_ms) and wait, with an outage
   * on the way if asked. */
  start = g_get_monotonic_time ();
  while (!all_seen (&wait))
    {
      gint64 elapsed_ms = (g_get_monotonic_time () - start) / 1000;

      rounds = send_due_rounds (peers, n, scenario->per_peer, rounds, start, scenario->pace_ms);
      if (scenario->outage_ms && outage_start == 0 && elapsed_ms >= scenario->outage_at_ms)
        {
          tea_netem_set_blackout (proxy, TRUE);
          outage_start = g_get_monotonic_time ();
        }
      if (outage_start && outage_end == 0 && elapsed_ms >= scenario->outage_at_ms + scenario->outage_ms)
        {
          tea_netem_set_blackout (proxy, FALSE);
          outage_end = g_get_monotonic_time ();
        }
      tea_test_wait (all_seen, &wait, scenario->pace_ms ? scenario->pace_ms : 100);
      if (g_get_monotonic_time () - start > 240 * G_USEC_PER_SEC)
        g_error ("%s: not delivered in 240 s", scenario->label);
    }
  up = tea_netem_get_stats (proxy, TEA_NETEM_UP);
  down = tea_netem_get_stats (proxy, TEA_NETEM_DOWN);
  if (outage_end)
    after_outage = g_strdup_printf (", %.2f s after the outage ended", (g_get_monotonic_time () - outage_end) / 1e6);
  g_test_message ("%s: %u members x %u messages delivered to all in %.2f s%s "
                  "(proxy dropped %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT " datagrams, duplicated %"
                  G_GUINT64_FORMAT ", reordered %" G_GUINT64_FORMAT ", rebound %" G_GUINT64_FORMAT " times)",
                  scenario->label, n, scenario->per_peer, (g_get_monotonic_time () - start) / 1e6,
                  after_outage ? after_outage : "", tea_netem_get_dropped (proxy), up->received + down->received,
                  up->duplicated + down->duplicated, up->reordered + down->reordered, tea_netem_get_n_rebinds (proxy));
  /* Nobody had to start a new session, or was ever told of trouble: the
   * sessions rode it out, and nothing needed to be marked as a gap. */
  for (guint i = 0; i < n; i++)
    {
      const GError *error = tea_client_get_error (peers[i]->client);

      if (state_changes[i] > 0 || tea_client_get_session_id (peers[i]->client) != session_ids[i])
        g_error ("%s: peer%u lost its session (%u state changes; last error %d, %s)", scenario->label, i,
                 state_changes[i], error ? error->code : 0, error ? error->message : "none");
      g_assert_false (tea_test_peer_has_message (peers[i], "GAP"));
    }
  g_assert_cmpuint (tea_relay_get_stats (relay->relay)->sessions_created, ==, sessions_before);
  assert_exactly_once_same_order (peers, n, scenario->per_peer);
  /* The network really was that bad. */
  if (scenario->impairment.duplicate > 0)
    g_assert_cmpuint (down->duplicated, >, 0);
  if (scenario->impairment.reorder > 0)
    g_assert_cmpuint (down->reordered, >, 0);
  if (scenario->impairment.burst_p > 0)
    g_assert_cmpuint (down->dropped[TEA_IMPAIR_DROP_BURST], >, 0);
  if (scenario->impairment.rate > 0)
    g_assert_cmpuint (down->dropped[TEA_IMPAIR_DROP_QUEUE], >, 0);
  if (scenario->outage_ms)
    {
      g_assert_cmpuint (outage_end, >, 0);
      for (guint d = 0; d < TEA_NETEM_N_DIRECTIONS; d++)
        g_assert_cmpuint (tea_netem_get_stats (proxy, d)->dropped[TEA_IMPAIR_DROP_BLACKOUT], >, 0);
    }
  if (scenario->rebind_s)
    {
      g_assert_cmpuint (tea_netem_get_n_rebinds (proxy), >, 0);
      g_assert_cmpuint (tea_relay_get_stats (relay->relay)->migrations, >=, scenario->n_peers);
    }
  for (guint i = 0; i < n; i++)
    {
      g_signal_handlers_disconnect_by_data (peers[i]->client, &state_changes[i]);
      tea_test_peer_free (peers[i]);
    }
}

