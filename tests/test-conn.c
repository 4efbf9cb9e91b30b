/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The session layer over a simulated lossy link: exactly-once, in-order
 * delivery, key updates, replay and forgery rejection, timeouts, queue caps
 * and path validation.
 */
#include <string.h>

#include "tea-conn.h"
#include "tea-rtt.h"
#include "tea-test-link.h"

typedef struct
{
  guint n_messages;
} Expect;

static GBytes *
make_message (guint side, guint i)
{
  /* Every 50th message spans several fragments. */
  gsize len = (i % 50 == 7) ? 5000 + i : 20 + i % 200;
  guint8 *data = g_malloc (len);

  for (gsize k = 0; k < len; k++)
    data[k] = (guint8) (side * 131 + i * 7 + k);
  memcpy (data, &i, sizeof i);
  return g_bytes_new_take (data, len);
}

static void
queue_messages (TeaTestLink *link, guint side, guint n)
{
  for (guint i = 0; i < n; i++)
    {
      g_autoptr (GBytes) msg = make_message (side, i);
      g_assert_true (tea_conn_queue_message (tea_test_link_conn (link, side), msg));
    }
}

static gboolean
all_received (TeaTestLink *link, gpointer user_data)
{
  Expect *expect = user_data;

  return tea_test_link_endpoint (link, 0)->received->len >= expect->n_messages &&
         tea_test_link_endpoint (link, 1)->received->len >= expect->n_messages &&
         !tea_conn_has_unacked (tea_test_link_conn (link, 0)) &&
         !tea_conn_has_unacked (tea_test_link_conn (link, 1));
}

static void
assert_exactly_once_in_order (TeaTestLink *link, guint n)
{
  for (guint side = 0; side < 2; side++)
    {
      GPtrArray *received = tea_test_link_endpoint (link, side)->received;

      g_assert_cmpuint (received->len, ==, n);
      for (guint i = 0; i < n; i++)
        {
          g_autoptr (GBytes) expected = make_message (1 - side, i);
          g_assert_true (g_bytes_equal (expected, received->pdata[i]));
        }
    }
}

static TeaTestLink *
make_link (guint32 seed, double loss, double dup, gint64 jitter_us)
{
  TeaImpairConfig lc = { .loss = loss, .duplicate = dup, .delay_us = 10000, .jitter_us = jitter_us };
  TeaConnConfig cc, sc;
  TeaTestLink *link = tea_test_link_new (seed, &lc);

  tea_conn_config_init (&cc);
  cc.keepalive_us = 25 * G_USEC_PER_SEC;
  tea_conn_config_init (&sc);
  tea_test_link_make_pair (link, &cc, &sc);
  return link;
}

static void
test_clean (void)
{
  TeaTestLink *link = make_link (1, 0, 0, 0);
  Expect expect = { 1000 };

  queue_messages (link, 0, 1000);
  queue_messages (link, 1, 1000);
  g_assert_true (tea_test_link_run (link, 60 * G_USEC_PER_SEC, all_received, &expect));
  assert_exactly_once_in_order (link, 1000);
  g_assert_cmpuint (tea_conn_get_stats (tea_test_link_conn (link, 0))->frames_retransmitted, ==, 0);
  tea_test_link_free (link);
}

static void
test_lossy (gconstpointer data)
{
  guint32 seed = GPOINTER_TO_UINT (data);
  TeaTestLink *link = make_link (seed, 0.30, 0.10, 40000);
  Expect expect = { 1000 };
  gint64 start = tea_test_link_now (link);
  const TeaConnStats *stats;

  queue_messages (link, 0, 1000);
  queue_messages (link, 1, 1000);
  g_assert_true (tea_test_link_run (link, 600 * G_USEC_PER_SEC, all_received, &expect));
  assert_exactly_once_in_order (link, 1000);
  stats = tea_conn_get_stats (tea_test_link_conn (link, 1));
  g_test_message ("seed %u: 1000 messages each way through 30%% loss, 10%% duplication, "
                  "10-50 ms delay in %.2f s simulated; server retransmitted %" G_GUINT64_FORMAT
                  " frames, %" G_GUINT64_FORMAT " duplicates dropped",
                  seed, (tea_test_link_now (link) - start) / 1e6,
                  stats->frames_retransmitted, stats->duplicate_frames);
  g_assert_cmpuint (stats->frames_retransmitted, >, 0);
  tea_test_link_free (link);
}

static void
test_rekey_under_load (void)
{
  TeaImpairConfig lc = { .loss = 0.2, .duplicate = 0.05, .delay_us = 5000, .jitter_us = 20000 };
  TeaConnConfig cc, sc;
  TeaTestLink *link = tea_test_link_new (7, &lc);
  Expect expect = { 1000 };

  tea_conn_config_init (&cc);
  cc.rekey_interval_us = 20000;
  tea_conn_config_init (&sc);
  sc.rekey_interval_us = 30000;
  tea_test_link_make_pair (link, &cc, &sc);
  queue_messages (link, 0, 1000);
  queue_messages (link, 1, 1000);
  g_assert_true (tea_test_link_run (link, 600 * G_USEC_PER_SEC, all_received, &expect));
  assert_exactly_once_in_order (link, 1000);
  g_assert_cmpuint (tea_conn_get_stats (tea_test_link_conn (link, 0))->key_updates_sent, >, 5);
  /* The last update may be on packets the server has not needed yet. */
  g_assert_cmpuint (tea_conn_get_stats (tea_test_link_conn (link, 1))->key_updates_received + 1, >=,
                    tea_conn_get_stats (tea_test_link_conn (link, 0))->key_updates_sent);
  tea_test_link_free (link);
}

static gboolean
one_message_each (TeaTestLink *link, gpointer user_data)
{
  return all_received (link, user_data);
}

static void
test_replay_and_forgery (void)
{
  TeaTestLink *link = make_link (3, 0, 0, 0);
  Expect expect = { 1 };
  GPtrArray *captured;
  TeaConn *server = tea_test_link_conn (link, 1);
  guint8 packet[TEA_MAX_DATAGRAM];
  gsize len;
  gboolean highest;

  tea_test_link_set_capture (link, TRUE);
  queue_messages (link, 0, 1);
  queue_messages (link, 1, 1);
  g_assert_true (tea_test_link_run (link, 10 * G_USEC_PER_SEC, one_message_each, &expect));
  captured = tea_test_link_captured (link, 0);
  g_assert_cmpuint (captured->len, >, 0);

  /* Replaying the client's first packet: refused by the window. */
  len = g_bytes_get_size (captured->pdata[0]);
  memcpy (packet, g_bytes_get_data (captured->pdata[0], NULL), len);
  g_assert_cmpint (tea_conn_receive (server, packet, len, TRUE, tea_test_link_now (link), &highest), ==,
                   TEA_CONN_RECV_REPLAY);
  g_assert_false (highest);

  /* Each byte flipped in turn, with a fresh packet number so the window
   * does not hide the check: authentication fails. */
  for (gsize i = 0; i < len; i++)
    {
      memcpy (packet, g_bytes_get_data (captured->pdata[0], NULL), len);
      packet[19] = 0x7f; /* packet number far ahead of anything seen */
      packet[i] ^= 0x01;
      if (i < 4 || (i >= 4 && i < 12))
        continue; /* header fields that route or classify, tested below */
      g_assert_cmpint (tea_conn_receive (server, packet, len, TRUE, tea_test_link_now (link), &highest), ==,
                       TEA_CONN_RECV_AUTH);
    }
  /* A wrong session ID never reaches the cipher. */
  memcpy (packet, g_bytes_get_data (captured->pdata[0], NULL), len);
  packet[11] ^= 1;
  g_assert_cmpint (tea_conn_receive (server, packet, len, TRUE, tea_test_link_now (link), &highest), ==,
                   TEA_CONN_RECV_AUTH);
  g_assert_cmpuint (tea_conn_get_stats (server)->dropped_replay, ==, 1);
  g_assert_cmpuint (tea_conn_get_stats (server)->dropped_auth, >=, len - 12);
  g_assert_cmpint (tea_conn_get_state (server), ==, TEA_CONN_OPEN);
  tea_test_link_free (link);
}

static gboolean
never (TeaTestLink *link, gpointer user_data)
{
  return FALSE;
}

static gboolean
both_closed (TeaTestLink *link, gpointer user_data)
{
  return tea_conn_get_state (tea_test_link_conn (link, 0)) == TEA_CONN_CLOSED &&
         tea_conn_get_state (tea_test_link_conn (link, 1)) == TEA_CONN_CLOSED;
}

static void
test_idle_timeout (void)
{
  TeaImpairConfig lc = { .delay_us = 1000 };
  TeaConnConfig cc, sc;
  TeaTestLink *link = tea_test_link_new (5, &lc);

  /* Without keepalives both ends time out after the idle timeout. */
  tea_conn_config_init (&cc);
  tea_conn_config_init (&sc);
  tea_test_link_make_pair (link, &cc, &sc);
  g_assert_true (tea_test_link_run (link, 91 * G_USEC_PER_SEC, both_closed, NULL));
  g_assert_cmpint (tea_conn_get_close_code (tea_test_link_conn (link, 1)), ==, TEA_CODE_IDLE_TIMEOUT);
  tea_test_link_free (link);

  /* With the client's 25 s keepalive, ten minutes of silence keep it open. */
  link = make_link (6, 0, 0, 0);
  g_assert_false (tea_test_link_run (link, 600 * G_USEC_PER_SEC, never, NULL));
  g_assert_cmpint (tea_conn_get_state (tea_test_link_conn (link, 1)), ==, TEA_CONN_OPEN);
  g_assert_cmpuint (tea_conn_get_stats (tea_test_link_conn (link, 0))->packets_sent, >=, 600 / 25);
  g_assert_cmpuint (tea_conn_get_stats (tea_test_link_conn (link, 0))->packets_sent, <=, 600 / 25 + 2);
  tea_test_link_free (link);
}

static void
test_outage (void)
{
  TeaTestLink *link = make_link (9, 0.05, 0, 10000);
  Expect expect = { 300 };

  /* Ten seconds of total outage with data in flight both ways. */
  queue_messages (link, 0, 100);
  queue_messages (link, 1, 100);
  tea_test_link_config (link)->blackout = TRUE;
  g_assert_false (tea_test_link_run (link, 10 * G_USEC_PER_SEC, never, NULL));
  tea_test_link_config (link)->blackout = FALSE;
  queue_messages (link, 0, 300);
  queue_messages (link, 1, 300);
  expect.n_messages = 400;
  g_assert_true (tea_test_link_run (link, 30 * G_USEC_PER_SEC, all_received, &expect));
  g_assert_cmpint (tea_conn_get_state (tea_test_link_conn (link, 0)), ==, TEA_CONN_OPEN);
  tea_test_link_free (link);
}

static void
test_queue_cap (void)
{
  TeaTestLink *link = make_link (11, 0, 0, 0);
  TeaConn *server = tea_test_link_conn (link, 1);
  g_autoptr (GBytes) small = g_bytes_new_static ("x", 1);
  guint queued = 0;

  while (tea_conn_queue_message (server, small))
    queued++;
  g_assert_cmpuint (queued, ==, 4096);
  g_assert_cmpuint (tea_conn_get_queued_frames (server), ==, 4096);
  tea_test_link_free (link);
}

static gboolean
path_event_seen (TeaTestLink *link, gpointer user_data)
{
  TeaPathEvent *event = user_data;

  *event = tea_conn_take_path_event (tea_test_link_conn (link, 1));
  return *event != TEA_PATH_EVENT_NONE;
}

static void
test_path_validation (void)
{
  TeaTestLink *link = make_link (13, 0, 0, 0);
  TeaConn *server = tea_test_link_conn (link, 1);
  TeaPathEvent event = TEA_PATH_EVENT_NONE;
  guint8 out[TEA_MAX_DATAGRAM];
  guint64 sent = 0;
  gsize len;

  /* The peer answers the challenge: validated. */
  tea_conn_path_changed (server, 100, tea_test_link_now (link));
  g_assert_false (tea_conn_path_is_validated (server));
  g_assert_true (tea_test_link_run (link, 5 * G_USEC_PER_SEC, path_event_seen, &event));
  g_assert_cmpint (event, ==, TEA_PATH_EVENT_VALIDATED);
  g_assert_true (tea_conn_path_is_validated (server));

  /* Nobody answers: at most 3x the 100 bytes received go out, then failure. */
  tea_conn_path_changed (server, 100, tea_test_link_now (link));
  queue_messages (link, 1, 50);
  while ((len = tea_conn_poll_transmit (server, tea_test_link_now (link), out)) > 0)
    sent += len;
  g_assert_cmpuint (sent, <=, 300);
  g_assert_cmpuint (sent, >, 0);
  tea_test_link_config (link)->blackout = TRUE;
  g_assert_true (tea_test_link_run (link, 10 * G_USEC_PER_SEC, path_event_seen, &event));
  g_assert_cmpint (event, ==, TEA_PATH_EVENT_FAILED);
  tea_test_link_free (link);
}

/* ---- Two TeaConns joined by hand: each datagram goes across when the
 * test says, so it can watch what each one sends. */

typedef struct
{
  TeaConn *client;
  TeaConn *server;
  gint64 now;
  guint client_messages; /* counted by the client's message func */
} Pair;

static void
count_message (const guint8 *data, gsize len, gpointer user_data)
{
  Pair *p = user_data;

  g_assert_cmpuint (len, ==, 100);
  g_assert_cmpuint (data[0], ==, (guint8) p->client_messages);
  p->client_messages++;
}

static void
pair_init_full (Pair *p, gboolean count, gint64 client_keepalive_us)
{
  guint8 c2s[TEA_KEY_LEN], s2c[TEA_KEY_LEN];
  TeaConnConfig client_config, server_config;

  memset (c2s, 1, sizeof c2s);
  memset (s2c, 2, sizeof s2c);
  tea_conn_config_init (&client_config);
  client_config.keepalive_us = client_keepalive_us;
  tea_conn_config_init (&server_config);
  p->now = 1000000;
  p->client_messages = 0;
  p->client = tea_conn_new (TRUE, 0x0102030405060708, c2s, s2c, &client_config, p->now);
  p->server = tea_conn_new (FALSE, 0x0102030405060708, s2c, c2s, &server_config, p->now);
  if (count)
    tea_conn_set_message_func (p->client, count_message, p);
}

static void
pair_init (Pair *p, gboolean count)
{
  pair_init_full (p, count, 0);
}

static void
pair_clear (Pair *p)
{
  tea_conn_free (p->client);
  tea_conn_free (p->server);
}

static void
queue_numbered (TeaConn *conn, guint i)
{
  guint8 data[100];
  g_autoptr (GBytes) message = NULL;

  memset (data, 'm', sizeof data);
  data[0] = (guint8) i;
  message = g_bytes_new (data, sizeof data);
  g_assert_true (tea_conn_queue_message (conn, message));
}

static GBytes *
poll_one (TeaConn *conn, gint64 now)
{
  guint8 out[TEA_MAX_DATAGRAM];
  gsize len = tea_conn_poll_transmit (conn, now, out);

  return len > 0 ? g_bytes_new (out, len) : NULL;
}

static void
deliver (TeaConn *to, GBytes *datagram, gint64 now)
{
  guint8 packet[TEA_MAX_DATAGRAM];
  gsize len = g_bytes_get_size (datagram);
  gboolean highest;

  memcpy (packet, g_bytes_get_data (datagram, NULL), len);
  g_assert_cmpint (tea_conn_receive (to, packet, len, TRUE, now, &highest), ==, TEA_CONN_RECV_OK);
}

/* Datagrams the client sends now (it has nothing queued: ACKs only). */
static guint
client_acks (Pair *p)
{
  guint n = 0;
  GBytes *datagram;

  while ((datagram = poll_one (p->client, p->now)))
    {
      deliver (p->server, datagram, p->now);
      g_bytes_unref (datagram);
      n++;
    }
  return n;
}

static void
test_ack_threshold (void)
{
  Pair p;
  g_autoptr (GPtrArray) packets = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);

  pair_init (&p, TRUE);
  /* One message per packet. */
  for (guint i = 0; i < 20; i++)
    {
      queue_numbered (p.server, i);
      g_ptr_array_add (packets, poll_one (p.server, p.now));
      g_assert_nonnull (packets->pdata[i]);
    }
  /* In order: an ACK for every eighth packet, nothing in between. */
  for (guint i = 0; i < 16; i++)
    {
      deliver (p.client, packets->pdata[i], p.now);
      g_assert_cmpuint (client_acks (&p), ==, (i + 1) % 8 == 0 ? 1 : 0);
    }
  g_assert_cmpuint (p.client_messages, ==, 16);
  /* Packet 17 lost: 18 leaves a gap, acknowledged at once. */
  deliver (p.client, packets->pdata[16], p.now);
  g_assert_cmpuint (client_acks (&p), ==, 0);
  deliver (p.client, packets->pdata[18], p.now);
  g_assert_cmpuint (client_acks (&p), ==, 1);
  g_assert_cmpuint (p.client_messages, ==, 17);
  /* In order again: within the ack delay, not before. */
  deliver (p.client, packets->pdata[19], p.now);
  g_assert_cmpuint (client_acks (&p), ==, 0);
  p.now += TEA_MAX_ACK_DELAY_US - 1;
  g_assert_cmpuint (client_acks (&p), ==, 0);
  p.now += 1;
  g_assert_cmpuint (client_acks (&p), ==, 1);
  /* The lost packet, late: at once, and the stream goes on in order. */
  deliver (p.client, packets->pdata[17], p.now);
  g_assert_cmpuint (client_acks (&p), ==, 1);
  g_assert_cmpuint (p.client_messages, ==, 20);
  g_assert_false (tea_conn_has_unacked (p.server));
  pair_clear (&p);
}

static void
test_full_packets_padded (void)
{
  Pair p;
  g_autoptr (GPtrArray) packets = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  GBytes *datagram;

  pair_init (&p, FALSE);
  for (guint i = 0; i < 40; i++)
    queue_numbered (p.server, i);
  while ((datagram = poll_one (p.server, p.now)))
    g_ptr_array_add (packets, datagram);
  /* A train to one peer: every packet that another follows is full (UDP
   * GSO wants one size), the last is not padded. */
  g_assert_cmpuint (packets->len, >=, 3);
  for (guint i = 0; i < packets->len; i++)
    {
      gsize len = g_bytes_get_size (packets->pdata[i]);

      if (i + 1 < packets->len)
        g_assert_cmpuint (len, ==, TEA_MAX_DATAGRAM);
      else
        g_assert_cmpuint (len, <, TEA_MAX_DATAGRAM);
      deliver (p.client, packets->pdata[i], p.now);
    }
  for (guint i = 0; i < 40; i++)
    {
      g_autoptr (GBytes) message = tea_conn_pop_message (p.client);

      g_assert_nonnull (message);
      g_assert_cmpuint (g_bytes_get_size (message), ==, 100);
      g_assert_cmpuint (((const guint8 *) g_bytes_get_data (message, NULL))[0], ==, i);
    }
  g_assert_null (tea_conn_pop_message (p.client));
  pair_clear (&p);
}

/* A NAT rebinding seen from the relay: the session moved to the client's
 * new address on a small packet, and the challenge was lost, both copies.
 * The next packet the relay sends, here the ACK of the client's next message,
 * carries the challenge again, long before its timer would repeat it.
 * Before it did, the relay could run out of budget while the client, with
 * nothing in flight and only ACKs received, stayed silent until its
 * keepalive: a listener's messages arrived 25 s late. */
static void
test_challenge_in_every_packet (void)
{
  Pair p;
  g_autoptr (GBytes) message = NULL;
  g_autoptr (GBytes) ack = NULL;
  g_autoptr (GBytes) answer = NULL;

  pair_init (&p, FALSE);
  tea_conn_path_changed (p.server, TEA_SESSION_OVERHEAD + 1, p.now); /* on a PING */
  for (guint copy = 0; copy < 2; copy++)
    {
      g_autoptr (GBytes) challenge = poll_one (p.server, p.now); /* lost */

      g_assert_nonnull (challenge);
      g_assert_cmpuint (g_bytes_get_size (challenge), ==, TEA_SESSION_OVERHEAD + 1 + TEA_PATH_CHALLENGE_LEN);
    }
  g_assert_null (poll_one (p.server, p.now)); /* the timer repeats them, not every poll */

  queue_numbered (p.client, 0);
  message = poll_one (p.client, p.now);
  deliver (p.server, message, p.now);
  p.now += TEA_MAX_ACK_DELAY_US;
  tea_conn_handle_timeout (p.server, p.now);
  ack = poll_one (p.server, p.now);
  g_assert_nonnull (ack);
  g_assert_false (tea_conn_path_is_validated (p.server));

  deliver (p.client, ack, p.now);
  answer = poll_one (p.client, p.now);
  g_assert_nonnull (answer);
  deliver (p.server, answer, p.now);
  g_assert_true (tea_conn_path_is_validated (p.server));
  g_assert_cmpint (tea_conn_take_path_event (p.server), ==, TEA_PATH_EVENT_VALIDATED);
  pair_clear (&p);
}

/* Both sides exchange every datagram at once until p->now passes until,
 * the clock jumping to the next deadline; when the client sent, in times. */
static void
pair_run (Pair *p, gint64 until, GArray *times)
{
  for (;;)
    {
      gboolean moved;
      gint64 next;

      do
        {
          GBytes *datagram;

          moved = FALSE;
          while ((datagram = poll_one (p->client, p->now)))
            {
              g_array_append_val (times, p->now);
              deliver (p->server, datagram, p->now);
              g_bytes_unref (datagram);
              moved = TRUE;
            }
          while ((datagram = poll_one (p->server, p->now)))
            {
              deliver (p->client, datagram, p->now);
              g_bytes_unref (datagram);
              moved = TRUE;
            }
        }
      while (moved);
      next = MIN (tea_conn_next_deadline (p->client), tea_conn_next_deadline (p->server));
      if (next > until)
        break;
      p->now = MAX (p->now, next);
      tea_conn_handle_timeout (p->client, p->now);
      tea_conn_handle_timeout (p->server, p->now);
    }
  p->now = until;
}

/* A listener in a pause between a room's messages: after the relay fell
 * silent it sent a PING, which was answered; then its NAT may have moved
 * the mapping, and the relay's next message would go to the old one. So
 * it asks again after twice the wait, and again, until the waits reach the
 * keepalive's interval: a few PINGs, then only keepalives. Before, it sent
 * nothing more until the keepalive, and a mass rebinding in the soak left
 * messages up to 24.9 s late. */
static void
test_quiet_probes_back_off (void)
{
  const gint64 keepalive = 25 * G_USEC_PER_SEC;
  g_autoptr (GArray) times = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr (GBytes) message = NULL;
  gint64 start, interval = 2 * TEA_RTO_INITIAL_US; /* two PTOs (no RTT sample yet) */
  guint n_probes = 0;
  Pair p;

  pair_init_full (&p, TRUE, keepalive);
  queue_numbered (p.server, 0);
  message = poll_one (p.server, p.now);
  deliver (p.client, message, p.now);
  start = p.now;
  /* The relay says nothing more: it only acknowledges. */
  pair_run (&p, start + 60 * G_USEC_PER_SEC, times);

  g_assert_cmpuint (p.client_messages, ==, 1);
  g_assert_cmpuint (times->len, >, 2);
  g_assert_cmpint (g_array_index (times, gint64, 0), <=, start + TEA_MAX_ACK_DELAY_US); /* the ACK */
  for (guint i = 1; i < times->len; i++)
    {
      gint64 at = g_array_index (times, gint64, i);
      gint64 wait = at - g_array_index (times, gint64, i - 1);

      if (i == 1)
        g_assert_cmpint (at - start, ==, interval);
      else if (wait < keepalive)
        {
          /* Twice the last wait, from the ACK, which a lone PING gets after
           * the relay's ack delay. */
          interval *= 2;
          g_assert_cmpint (wait, ==, interval + TEA_MAX_ACK_DELAY_US);
          n_probes++;
        }
      else
        g_assert_cmpint (wait, ==, keepalive); /* then only keepalives */
    }
  g_test_message ("PINGs after the relay fell silent: at %.1f s, then %u more before the keepalive",
                  (g_array_index (times, gint64, 1) - start) / 1e6, n_probes);
  g_assert_cmpuint (n_probes, >=, 4);
  g_assert_cmpuint (n_probes, <=, 7);
  pair_clear (&p);
}

static void
test_close (void)
{
  TeaTestLink *link = make_link (15, 0, 0, 0);

  tea_conn_close (tea_test_link_conn (link, 1), TEA_CODE_SERVER_SHUTDOWN, tea_test_link_now (link));
  g_assert_true (tea_test_link_run (link, G_USEC_PER_SEC, both_closed, NULL));
  g_assert_true (tea_conn_closed_by_peer (tea_test_link_conn (link, 0)));
  g_assert_cmpint (tea_conn_get_close_code (tea_test_link_conn (link, 0)), ==, TEA_CODE_SERVER_SHUTDOWN);
  tea_test_link_free (link);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/tea/conn/clean", test_clean);
  for (guint32 seed = 1; seed <= 5; seed++)
    {
      g_autofree char *path = g_strdup_printf ("/tea/conn/lossy/%u", seed);
      g_test_add_data_func (path, GUINT_TO_POINTER (seed), test_lossy);
    }
  g_test_add_func ("/tea/conn/rekey-under-load", test_rekey_under_load);
  g_test_add_func ("/tea/conn/replay-and-forgery", test_replay_and_forgery);
  g_test_add_func ("/tea/conn/idle-timeout", test_idle_timeout);
  g_test_add_func ("/tea/conn/outage", test_outage);
  g_test_add_func ("/tea/conn/queue-cap", test_queue_cap);
  g_test_add_func ("/tea/conn/path-validation", test_path_validation);
  g_test_add_func ("/tea/conn/challenge-in-every-packet", test_challenge_in_every_packet);
  g_test_add_func ("/tea/conn/quiet-probes-back-off", test_quiet_probes_back_off);
  g_test_add_func ("/tea/conn/close", test_close);
  g_test_add_func ("/tea/conn/ack-threshold", test_ack_threshold);
  g_test_add_func ("/tea/conn/full-packets-padded", test_full_packets_padded);
  return g_test_run ();
}
