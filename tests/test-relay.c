/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The relay on loopback with real clients: chat order, joins and leaves,
 * timeouts, nick rules, private messages, topics, flood control, limits,
 * roaming, catch-up after an outage, and the shutdown notice.
 */
#include <string.h>

#include "tea-netem.h"
#include "tea-test-resolver.h"
#include "tea-test-util.h"

static void
say (TeaTestPeer *peer, const char *room, const char *text)
{
  g_assert_cmpuint (tea_client_say (peer->client, room, text, TEA_TEXT_KIND_MESSAGE), !=, 0);
}

static void
assert_same_lines (GPtrArray *a, GPtrArray *b)
{
  g_assert_cmpuint (a->len, ==, b->len);
  for (guint i = 0; i < a->len; i++)
    g_assert_cmpstr (a->pdata[i], ==, b->pdata[i]);
}

static void
test_chat_order (void)
{
  g_autoptr (TeaTestRelay) relay = NULL;
  TeaTestPeer *peers[3];
  TeaRelayConfig config;
  const char *nicks[] = { "alice", "bob", "carol" };

  tea_relay_config_init (&config);
  config.flood_burst = 100;
  relay = tea_test_relay_new (&config);
  for (guint i = 0; i < 3; i++)
    {
      peers[i] = tea_test_peer_new (relay->port, nicks[i]);
      tea_test_peer_connect (peers[i], "tea");
    }
  /* Interleaved from three senders at once: the relay picks one order,
   * and every member must see exactly that order. */
  for (guint n = 0; n < 20; n++)
    for (guint i = 0; i < 3; i++)
      {
        g_autofree char *text = g_strdup_printf ("%s-%u", nicks[i], n);
        say (peers[i], "tea", text);
      }
  for (guint i = 0; i < 3; i++)
    tea_test_peer_wait_count (peers[i], "MESSAGE", NULL, 60);
  {
    g_autoptr (GPtrArray) a = tea_test_peer_chat_lines (peers[0]);
    g_autoptr (GPtrArray) b = tea_test_peer_chat_lines (peers[1]);
    g_autoptr (GPtrArray) c = tea_test_peer_chat_lines (peers[2]);

    assert_same_lines (a, b);
    assert_same_lines (a, c);
    g_assert_cmpuint (a->len, ==, 60);
  }
  for (guint i = 0; i < 3; i++)
    tea_test_peer_free (peers[i]);
  tea_relay_config_clear (&config);
}

static void
test_join_part_quit (void)
{
  g_autoptr (TeaTestRelay) relay = tea_test_relay_new (NULL);
  g_autoptr (TeaTestPeer) alice = tea_test_peer_new (relay->port, "alice");
  g_autoptr (TeaTestPeer) bob = tea_test_peer_new (relay->port, "bob");
  g_autoptr (TeaTestPeer) carol = tea_test_peer_new (relay->port, "carol");

  tea_test_peer_connect (alice, "tea");
  tea_test_peer_connect (bob, "tea");
  tea_test_peer_wait_count (alice, "JOIN", "bob", 1);
  g_assert_cmpuint (tea_client_part (bob->client, "tea", "tea is cold"), !=, 0);
  tea_test_peer_wait_count (alice, "PART", "bob tea is cold", 1);
  /* The leaver sees its own departure as the last event of the room. */
  tea_test_peer_wait_count (bob, "PART", "bob", 1);
  g_assert_false (tea_client_in_room (bob->client, "tea"));

  tea_test_peer_connect (carol, "tea");
  tea_client_disconnect (carol->client, "bye 再见");
  tea_test_peer_wait_count (alice, "QUIT", "carol bye 再见", 1);
  g_assert_cmpuint (tea_relay_get_n_sessions (relay->relay), ==, 2);
}

static gboolean
in_garden (gpointer peer)
{
  return tea_client_in_room (((TeaTestPeer *) peer)->client, "garden");
}

/* A room given up while its JOIN was on the way: the relay made us a
 * member anyway, so the client leaves at once instead of staying in it
 * unseen, and says nothing of it. */
static void
test_join_given_up (void)
{
  g_autoptr (TeaTestRelay) relay = tea_test_relay_new (NULL);
  g_autoptr (TeaTestPeer) alice = tea_test_peer_new (relay->port, "alice");
  g_autoptr (TeaTestPeer) bob = tea_test_peer_new (relay->port, "bob");

  tea_test_peer_connect (alice, "garden");
  tea_test_peer_connect (bob, "tea");
  g_assert_cmpuint (tea_client_join (bob->client, "garden", 0), !=, 0);
  tea_client_forget_room (bob->client, "garden");
  tea_test_peer_wait_count (alice, "JOIN", "bob", 1);
  tea_test_peer_wait_count (alice, "PART", "bob", 1);
  g_assert_false (tea_client_in_room (bob->client, "garden"));
  g_assert_cmpuint (tea_test_peer_count (bob, "PART", "bob"), ==, 0);

  /* Wanted again: a new stay, after the PART. */
  g_assert_cmpuint (tea_client_join (bob->client, "garden", 0), !=, 0);
  tea_test_peer_wait_count (alice, "JOIN", "bob", 2);
  g_assert_true (tea_test_wait (in_garden, bob, 5000));
}

/* The same, when flood control refuses that PART (the member had just
 * spent its burst): the client sends it again once told it may, rather
 * than stay in the room, a member the others see and it never shows. */
static void
test_join_given_up_flooded (void)
{
  TeaRelayConfig config;
  g_autoptr (TeaTestRelay) relay = NULL;
  g_autoptr (TeaTestPeer) alice = NULL;
  g_autoptr (TeaTestPeer) bob = NULL;

  tea_relay_config_init (&config);
  config.flood_burst = 2;
  config.flood_rate = 4;
  relay = tea_test_relay_new (&config);
  alice = tea_test_peer_new (relay->port, "alice");
  bob = tea_test_peer_new (relay->port, "bob");
  tea_test_peer_connect (alice, "garden");
  tea_test_peer_connect (bob, "tea");
  for (guint i = 0; i < 2; i++)
    g_assert_cmpuint (tea_client_say (bob->client, "tea", "the kettle is on", TEA_TEXT_KIND_MESSAGE), !=, 0);
  g_assert_cmpuint (tea_client_join (bob->client, "garden", 0), !=, 0);
  tea_client_forget_room (bob->client, "garden");

  tea_test_peer_wait_count (alice, "JOIN", "bob", 1);
  tea_test_peer_wait_error (bob, TEA_CODE_FLOOD);
  tea_test_peer_wait_count (alice, "PART", "bob", 1);
  g_assert_false (tea_client_in_room (bob->client, "garden"));
  g_assert_cmpuint (tea_test_peer_count (bob, "PART", "bob"), ==, 0);
  g_assert_cmpuint (tea_test_peer_count (bob, "MESSAGE", "the kettle is on"), ==, 2);
  tea_relay_config_clear (&config);
}

static void
test_timeout (void)
{
  TeaRelayConfig config;
  g_autoptr (TeaTestRelay) relay = NULL;
  g_autoptr (TeaTestPeer) alice = NULL;
  TeaTestPeer *ghost;

  tea_relay_config_init (&config);
  config.idle_timeout_s = 2;
  config.keepalive_s = 1;
  relay = tea_test_relay_new (&config);
  alice = tea_test_peer_new (relay->port, "alice");
  ghost = tea_test_peer_new (relay->port, "ghost");
  tea_test_peer_connect (alice, "tea");
  tea_test_peer_connect (ghost, "tea");
  /* A crash: the client vanishes without a word. */
  tea_test_peer_free (ghost);
  /* Alice keeps her session with keepalives; the ghost is expired. */
  tea_test_peer_wait_count (alice, "TIMEOUT", "ghost idle", 1);
  g_assert_cmpint (tea_client_get_state (alice->client), ==, TEA_CLIENT_STATE_CONNECTED);
  g_assert_cmpuint (tea_relay_get_n_sessions (relay->relay), ==, 1);
  tea_relay_config_clear (&config);
}

/* A short idle timeout (teahoused --idle-timeout 5, say) with the keepalive
 * left at its default of 25 s: a quiet client must still be asked to speak
 * often enough to keep its session. */
static void
test_short_idle_timeout (void)
{
  TeaRelayConfig config;
  g_autoptr (TeaTestRelay) relay = NULL;
  g_autoptr (TeaTestPeer) alice = NULL;
  guint64 session;

  tea_relay_config_init (&config);
  config.idle_timeout_s = 2;
  relay = tea_test_relay_new (&config);
  alice = tea_test_peer_new (relay->port, "alice");
  tea_test_peer_connect (alice, "tea");
  session = tea_client_get_session_id (alice->client);
  tea_test_run_for (3500);
  g_assert_cmpint (tea_client_get_state (alice->client), ==, TEA_CLIENT_STATE_CONNECTED);
  g_assert_cmpuint (tea_client_get_session_id (alice->client), ==, session);
  g_assert_cmpuint (tea_relay_get_stats (relay->relay)->sessions_ended, ==, 0);
  tea_relay_config_clear (&config);
}

static gboolean
has_failed (gpointer peer)
{
  return tea_client_get_state (((TeaTestPeer *) peer)->client) == TEA_CLIENT_STATE_FAILED;
}

static void
assert_login_fails (guint16 port, const char *nick, gint code)
{
  g_autoptr (TeaTestPeer) peer = tea_test_peer_new (port, nick);

  tea_client_connect (peer->client);
  g_assert_true (tea_test_wait (has_failed, peer, 10000));
  g_assert_error ((GError *) tea_client_get_error (peer->client), TEA_CLIENT_ERROR, code);
}

static void
test_nick_rules (void)
{
  g_autoptr (TeaTestRelay) relay = tea_test_relay_new (NULL);
  g_autoptr (TeaTestPeer) alice = tea_test_peer_new (relay->port, "Alice");
  g_autoptr (TeaTestPeer) bob = tea_test_peer_new (relay->port, "小明");

  tea_test_peer_connect (alice, "tea");
  tea_test_peer_connect (bob, "tea");
  assert_login_fails (relay->port, "ALICE", 5);                           /* taken, any case */
  assert_login_fails (relay->port, "has space", 4);                       /* bad */
  assert_login_fails (relay->port, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 4); /* 31 characters */
  assert_login_fails (relay->port, "", 4);
  assert_login_fails (relay->port, "esc\033[31m", 4);
  assert_login_fails (relay->port, "tab\t", 4);
  /* Thirty characters is fine, even at three bytes each. */
  {
    g_autoptr (TeaTestPeer) thirty = tea_test_peer_new (relay->port, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
    g_autoptr (TeaTestPeer) han = tea_test_peer_new (relay->port, "茶茶茶茶茶茶茶茶茶茶茶茶茶茶茶茶茶茶茶茶茶茶茶茶茶茶茶茶茶茶");

    tea_test_peer_connect (thirty, NULL);
    tea_test_peer_connect (han, NULL);
  }

  g_assert_cmpuint (tea_client_change_nick (bob->client, "ALICE"), !=, 0);
  tea_test_peer_wait_error (bob, 5);
  g_assert_cmpuint (tea_client_change_nick (bob->client, "小红"), !=, 0);
  tea_test_peer_wait_count (alice, "NICK", "小明 小红", 1);
  tea_test_peer_wait_count (bob, "NICK", "小明 小红", 1);
  g_assert_cmpstr (tea_client_get_nick (bob->client), ==, "小红");
  /* The old nick is free again. */
  {
    g_autoptr (TeaTestPeer) carol = tea_test_peer_new (relay->port, "小明");
    tea_test_peer_connect (carol, NULL);
  }
}

static void
test_private_and_topic (void)
{
  g_autoptr (TeaTestRelay) relay = tea_test_relay_new (NULL);
  g_autoptr (TeaTestPeer) alice = tea_test_peer_new (relay->port, "alice");
  g_autoptr (TeaTestPeer) bob = tea_test_peer_new (relay->port, "bob");
  g_autoptr (TeaTestPeer) carol = tea_test_peer_new (relay->port, "carol");
  g_autofree char *long_topic = g_strnfill (391, 't');

  tea_test_peer_connect (alice, "tea");
  tea_test_peer_connect (bob, "tea");
  g_assert_cmpuint (tea_client_privmsg (alice->client, "BOB", "psst", TEA_TEXT_KIND_MESSAGE), !=, 0);
  g_assert_cmpuint (tea_client_privmsg (alice->client, "nobody", "hello?", TEA_TEXT_KIND_MESSAGE), !=, 0);
  tea_test_peer_wait_error (alice, 8);
  tea_test_peer_wait_message (bob, "PRIVATE alice psst");

  g_assert_cmpuint (tea_client_set_topic (alice->client, "tea", "Oolong only"), !=, 0);
  tea_test_peer_wait_count (bob, "TOPIC", "alice Oolong only", 1);
  g_assert_cmpuint (tea_client_set_topic (alice->client, "tea", long_topic), !=, 0);
  tea_test_peer_wait_error (alice, 18);
  tea_test_peer_connect (carol, "tea");
  g_assert_true (tea_test_peer_has_message (carol, "JOINED tea Oolong only"));
}

static void
test_flood (void)
{
  g_autoptr (TeaTestRelay) relay = tea_test_relay_new (NULL);
  g_autoptr (TeaTestPeer) alice = tea_test_peer_new (relay->port, "alice");
  g_autoptr (TeaTestPeer) bob = tea_test_peer_new (relay->port, "bob");
  guint floods = 0;

  tea_test_peer_connect (alice, "tea");
  tea_test_peer_connect (bob, "tea");
  /* Burst 10, then 2 per second: 15 at once means at least 4 refused,
   * each with an error, none silently dropped. */
  for (guint i = 0; i < 15; i++)
    {
      g_autofree char *text = g_strdup_printf ("spam %u", i);
      say (alice, "tea", text);
    }
  tea_test_peer_wait_error (alice, 11);
  tea_test_run_for (300);
  for (guint i = 0; i < alice->messages->len; i++)
    if (g_str_has_prefix (alice->messages->pdata[i], "ERROR 11 "))
      {
        floods++;
        g_assert_false (g_str_has_suffix (alice->messages->pdata[i], " 0")); /* retry_after given */
      }
  g_assert_cmpuint (floods, >=, 4);
  g_assert_cmpuint (floods + alice->n_said_ok, ==, 15);
  tea_test_peer_wait_count (bob, "MESSAGE", "spam", alice->n_said_ok);
  g_assert_cmpuint (tea_test_peer_count (bob, "MESSAGE", "spam"), ==, alice->n_said_ok);
}

static void
test_limits (void)
{
  TeaRelayConfig config;
  g_autoptr (TeaTestRelay) relay = NULL;
  g_autoptr (TeaTestPeer) alice = NULL;
  g_autoptr (TeaTestPeer) bob = NULL;
  g_autofree char *big = g_strnfill (TEA_MAX_TEXT, 'x');
  g_autofree char *too_big = g_strnfill (TEA_MAX_TEXT + 1, 'x');

  tea_relay_config_init (&config);
  config.max_rooms_per_session = 2;
  config.max_members_per_room = 2;
  config.max_sessions = 2;
  relay = tea_test_relay_new (&config);
  alice = tea_test_peer_new (relay->port, "alice");
  bob = tea_test_peer_new (relay->port, "bob");
  tea_test_peer_connect (alice, "one");
  tea_test_peer_connect (bob, "one");
  assert_login_fails (relay->port, "carol", 10); /* server full */

  tea_client_join (alice->client, "two", 0);
  tea_client_join (alice->client, "three", 0);
  tea_test_peer_wait_error (alice, 9); /* too many rooms */
  tea_client_join (alice->client, "bad room", 0);
  tea_test_peer_wait_error (alice, 6);

  say (alice, "one", big);
  tea_test_peer_wait_count (bob, "MESSAGE", big, 1);
  say (alice, "one", too_big);
  tea_test_peer_wait_error (alice, 2);
  say (alice, "one", "colour \033[31mred");
  tea_test_peer_wait_error (alice, 3);
  tea_relay_config_clear (&config);
}

/* Rooms on the whole relay: a full relay says so, and a room that empties
 * makes space for another. */
static void
test_rooms_on_server (void)
{
  TeaRelayConfig config;
  g_autoptr (TeaTestRelay) relay = NULL;
  g_autoptr (TeaTestPeer) alice = NULL;
  g_autoptr (TeaTestPeer) bob = NULL;
  g_autoptr (TeaTestPeer) carol = NULL;

  tea_relay_config_init (&config);
  config.max_rooms = 2;
  relay = tea_test_relay_new (&config);
  alice = tea_test_peer_new (relay->port, "alice");
  bob = tea_test_peer_new (relay->port, "bob");
  carol = tea_test_peer_new (relay->port, "carol");
  tea_test_peer_connect (alice, "one");
  tea_test_peer_connect (bob, "two");
  tea_test_peer_connect (carol, "one");
  tea_client_join (carol->client, "three", 0);
  tea_test_peer_wait_error (carol, 16);
  g_assert_false (tea_client_in_room (carol->client, "three"));
  g_assert_cmpuint (tea_relay_get_n_rooms (relay->relay), ==, 2);
  /* An existing room can still be joined. */
  tea_client_join (carol->client, "two", 0);
  tea_test_peer_wait_count (bob, "JOIN", "carol", 1);

  g_assert_cmpuint (tea_client_part (bob->client, "two", NULL), !=, 0);
  g_assert_cmpuint (tea_client_part (carol->client, "two", NULL), !=, 0);
  tea_test_peer_wait_count (carol, "PART", "carol", 1);
  tea_client_forget_room (carol->client, "three");
  tea_client_join (carol->client, "three", 0);
  tea_test_peer_wait_count (carol, "JOIN", "carol", 3);
  g_assert_true (tea_client_in_room (carol->client, "three"));
  g_assert_cmpuint (tea_relay_get_n_rooms (relay->relay), ==, 2);
  tea_relay_config_clear (&config);
}

typedef struct
{
  TeaTestPeer *peer;
  guint n;
} ErrorsWait;

static gboolean
errors_reached (gpointer user_data)
{
  ErrorsWait *w = user_data;
  return w->peer->error_codes->len >= w->n;
}

/* Waits for the peer's n-th ERROR and returns its code. */
static guint16
wait_nth_error (TeaTestPeer *peer, guint n)
{
  ErrorsWait w = { peer, n };

  g_assert_true (tea_test_wait (errors_reached, &w, 10000));
  return g_array_index (peer->error_codes, guint16, n - 1);
}

/* Room names as section 9.1 has them: 1 to 40 printable characters
 * without white space, the same room however it is cased or written. */
static void
test_room_name_rules (void)
{
  g_autoptr (TeaTestRelay) relay = tea_test_relay_new (NULL);
  g_autoptr (TeaTestPeer) alice = tea_test_peer_new (relay->port, "alice");
  g_autoptr (TeaTestPeer) bob = tea_test_peer_new (relay->port, "bob");
  g_autofree char *forty = g_strnfill (40, 'r');
  g_autofree char *forty_one = g_strnfill (41, 'r');
  g_autofree char *forty_han = NULL;
  g_autoptr (GString) han = g_string_new (NULL);
  const char *bad[] = { forty_one, "two words", "tab\there", "bell\a", "" };
  guint n_errors;

  for (guint i = 0; i < 40; i++)
    g_string_append (han, "茶");
  forty_han = g_strdup (han->str);
  tea_test_peer_connect (alice, "Tea");
  tea_test_peer_connect (bob, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      n_errors = bob->error_codes->len;
      tea_client_join (bob->client, bad[i], 0);
      g_assert_cmpuint (wait_nth_error (bob, n_errors + 1), ==, 6);
      g_assert_false (tea_client_in_room (bob->client, bad[i]));
      tea_client_forget_room (bob->client, bad[i]);
    }
  /* Forty characters, not forty bytes: 120 bytes of 茶 is a fine name. */
  tea_client_join (alice->client, forty, 0);
  tea_client_join (alice->client, forty_han, 0);
  tea_test_peer_wait_count (alice, "JOIN", "alice", 3);
  g_assert_true (tea_client_in_room (alice->client, forty));
  g_assert_true (tea_client_in_room (alice->client, forty_han));

  /* "TEA" and fullwidth "ｔｅａ" are the room Alice made as "Tea". */
  tea_client_join (bob->client, "TEA", 0);
  tea_test_peer_wait_count (alice, "JOIN", "bob", 1);
  tea_client_join (bob->client, "ｔｅａ", 0);
  tea_test_peer_wait_message (bob, "JOINED Tea");
  g_assert_cmpuint (tea_test_peer_count (alice, "JOIN", "bob"), ==, 1);
  g_assert_cmpuint (tea_relay_get_n_rooms (relay->relay), ==, 3);
  g_assert_cmpuint (bob->error_codes->len, ==, G_N_ELEMENTS (bad));
}

static void
test_room_full (void)
{
  TeaRelayConfig config;
  g_autoptr (TeaTestRelay) relay = NULL;
  TeaTestPeer *peers[3];

  tea_relay_config_init (&config);
  config.max_members_per_room = 2;
  relay = tea_test_relay_new (&config);
  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *nick = g_strdup_printf ("p%u", i);
      peers[i] = tea_test_peer_new (relay->port, nick);
      tea_test_peer_connect (peers[i], i < 2 ? "small" : NULL);
    }
  tea_client_join (peers[2]->client, "small", 0);
  tea_test_peer_wait_error (peers[2], 15);
  for (guint i = 0; i < 3; i++)
    tea_test_peer_free (peers[i]);
  tea_relay_config_clear (&config);
}

static void
test_edit_delete (void)
{
  g_autoptr (TeaTestRelay) relay = tea_test_relay_new (NULL);
  g_autoptr (TeaTestPeer) alice = tea_test_peer_new (relay->port, "alice");
  g_autoptr (TeaTestPeer) bob = tea_test_peer_new (relay->port, "bob");
  guint64 first, second;

  tea_test_peer_connect (alice, "tea");
  tea_test_peer_connect (bob, "tea");
  say (alice, "tea", "teh");
  tea_test_peer_wait_count (alice, "MESSAGE", "teh", 1);
  first = tea_client_get_last_seq (alice->client, "tea");
  say (alice, "tea", "second");
  tea_test_peer_wait_count (alice, "MESSAGE", "second", 1);
  second = tea_client_get_last_seq (alice->client, "tea");
  tea_client_edit (alice->client, "tea", first, "tea");
  tea_test_peer_wait_error (alice, 17); /* only the latest */
  tea_client_edit (alice->client, "tea", second, "second!");
  tea_test_peer_wait_count (bob, "EDIT", "second!", 1);
  tea_client_delete (bob->client, "tea", second);
  tea_test_peer_wait_error (bob, 17); /* not bob's */
  tea_client_delete (alice->client, "tea", second);
  tea_test_peer_wait_count (bob, "DELETE", "alice", 1);
}

static void
test_list_and_names (void)
{
  g_autoptr (TeaTestRelay) relay = tea_test_relay_new (NULL);
  g_autoptr (TeaTestPeer) alice = tea_test_peer_new (relay->port, "alice");
  g_autoptr (TeaTestPeer) bob = tea_test_peer_new (relay->port, "bob");

  tea_test_peer_connect (alice, "tea");
  tea_test_peer_connect (bob, "coffee");
  tea_client_join (bob->client, "tea", 0);
  tea_test_peer_wait_count (alice, "JOIN", "bob", 1);
  tea_client_list (alice->client);
  tea_client_names (alice->client, "tea");
  tea_test_peer_wait_message (alice, "ROOMS 2");
  tea_test_peer_wait_message (alice, "NAMES alice bob");
}

typedef struct
{
  TeaTestPeer *a;
  TeaTestPeer *b;
} Pair;

static void
test_roaming (void)
{
  g_autoptr (TeaTestRelay) relay = tea_test_relay_new (NULL);
  g_autoptr (TeaTestPeer) alice = tea_test_peer_new (relay->port, "alice");
  g_autoptr (TeaTestPeer) bob = tea_test_peer_new (relay->port, "bob");
  g_autoptr (GError) error = NULL;
  guint64 session;

  tea_test_peer_connect (alice, "tea");
  tea_test_peer_connect (bob, "tea");
  say (alice, "tea", "from the old port");
  tea_test_peer_wait_count (bob, "MESSAGE", "old port", 1);
  session = tea_client_get_session_id (alice->client);

  /* Wi-Fi to wired: a new socket, a new source port, same session. */
  g_assert_true (tea_client_rebind (alice->client, &error));
  g_assert_no_error (error);
  say (bob, "tea", "can you hear me");
  say (alice, "tea", "from the new port");
  tea_test_peer_wait_count (alice, "MESSAGE", "hear me", 1);
  tea_test_peer_wait_count (bob, "MESSAGE", "new port", 1);
  g_assert_cmpuint (tea_client_get_session_id (alice->client), ==, session);
  g_assert_cmpuint (tea_relay_get_stats (relay->relay)->migrations, >=, 1);
  g_assert_cmpuint (tea_relay_get_stats (relay->relay)->sessions_created, ==, 2);
  {
    g_autoptr (GPtrArray) a = tea_test_peer_chat_lines (alice);
    g_autoptr (GPtrArray) b = tea_test_peer_chat_lines (bob);
    assert_same_lines (a, b);
  }
}

static gboolean
is_reconnecting (gpointer peer)
{
  return tea_client_get_state (((TeaTestPeer *) peer)->client) == TEA_CLIENT_STATE_RECONNECTING;
}

static void
test_catch_up (gconstpointer data)
{
  guint backlog = GPOINTER_TO_UINT (data);
  TeaRelayConfig config;
  g_autoptr (TeaTestRelay) relay = NULL;
  g_autoptr (TeaNetem) proxy = NULL;
  g_autoptr (TeaTestPeer) alice = NULL;
  g_autoptr (TeaTestPeer) bob = NULL;

  tea_relay_config_init (&config);
  config.idle_timeout_s = 2;
  config.keepalive_s = 1;
  config.backlog = backlog;
  relay = tea_test_relay_new (&config);
  proxy = tea_netem_new_loopback (relay->port, 1);
  alice = tea_test_peer_new (tea_netem_get_port (proxy), "alice");
  bob = tea_test_peer_new (relay->port, "bob");
  tea_test_peer_connect (alice, "tea");
  tea_test_peer_connect (bob, "tea");
  say (bob, "tea", "before 1");
  say (bob, "tea", "before 2");
  tea_test_peer_wait_count (alice, "MESSAGE", "before", 2);

  /* Alice's network goes away for longer than the idle timeout: both ends
   * give the session up. Bob keeps talking. */
  tea_netem_set_blackout (proxy, TRUE);
  for (guint i = 0; i < 5; i++)
    {
      g_autofree char *text = g_strdup_printf ("during %u", i);
      say (bob, "tea", text);
    }
  g_assert_true (tea_test_wait (is_reconnecting, alice, 10000));
  tea_netem_set_blackout (proxy, FALSE);

  /* She comes back by herself, rejoins and catches up: each missed
   * message once, in order, or an explicit gap for what is gone. */
  tea_test_peer_wait_count (alice, "MESSAGE", "during 4", 1);
  g_assert_true (tea_test_wait (tea_test_peer_is_connected, alice, 10000));
  if (backlog >= 100)
    {
      g_autoptr (GPtrArray) a = tea_test_peer_chat_lines (alice);
      g_autoptr (GPtrArray) b = tea_test_peer_chat_lines (bob);

      assert_same_lines (a, b);
      g_assert_false (tea_test_peer_has_message (alice, "GAP"));
    }
  else
    {
      /* Backlog of 3: only the newest events survive; the gap says which
       * were lost instead of skipping them silently. */
      g_assert_cmpuint (tea_test_peer_count (alice, "MESSAGE", "during"), <, 5);
      g_assert_true (tea_test_peer_has_message (alice, "GAP tea 5 "));
    }
  g_assert_cmpuint (tea_test_peer_count (alice, "MESSAGE", "during 4"), ==, 1);
  tea_relay_config_clear (&config);
}

static void
test_shutdown_notice (void)
{
  g_autoptr (TeaTestRelay) relay = tea_test_relay_new (NULL);
  g_autoptr (TeaTestPeer) alice = tea_test_peer_new (relay->port, "alice");

  tea_test_peer_connect (alice, "tea");
  tea_listener_shutdown (relay->listener);
  g_assert_true (tea_test_wait (is_reconnecting, alice, 5000));
  g_assert_true (tea_test_peer_has_message (alice, "NOTICE 101"));
  g_assert_error ((GError *) tea_client_get_error (alice->client), TEA_CLIENT_ERROR, 101);
}

static void
test_restart (void)
{
  g_autoptr (TeaTestRelay) relay = tea_test_relay_new (NULL);
  g_autoptr (TeaTestPeer) alice = NULL;
  g_autoptr (TeaTestPeer) bob = NULL;
  g_autoptr (TeaTestPeer) carol = NULL;

  alice = tea_test_peer_new (relay->port, "alice");
  tea_test_peer_connect (alice, "tea");
  carol = tea_test_peer_new (relay->port, "carol");
  tea_test_peer_connect (carol, "tea");

  /* The relay dies without a word (no shutdown notice) and comes back on
   * the same port with the same key. */
  tea_test_relay_restart (relay);

  /* Alice's next packet draws a stateless reset; she reconnects at once. */
  bob = tea_test_peer_new (relay->port, "bob");
  tea_test_peer_connect (bob, "tea");
  tea_client_say (alice->client, "tea", "anyone?", TEA_TEXT_KIND_MESSAGE);
  tea_test_peer_wait_count (bob, "JOIN", "alice", 1);
  g_assert_cmpuint (tea_relay_get_stats (relay->relay)->resets_sent, >=, 1);
  g_assert_true (tea_test_wait (tea_test_peer_is_connected, alice, 5000));
  g_assert_true (tea_test_peer_has_message (alice, "GAP tea 0 0 2"));

  /* Carol comes back after the room was made again and used: she is told
   * the old room is gone, and gets all of the new one, which happened
   * while she was away. */
  tea_client_say (alice->client, "tea", "back", TEA_TEXT_KIND_MESSAGE);
  tea_test_peer_wait_count (bob, "MESSAGE", "alice back", 1);
  tea_client_network_changed (carol->client);
  tea_test_peer_wait_count (carol, "MESSAGE", "alice back", 1);
  g_assert_true (tea_test_peer_has_message (carol, "GAP tea 0 0 2"));
  g_assert_cmpuint (tea_test_peer_count (carol, "JOIN", "bob"), ==, 1);
}

static gboolean
client_connected (gpointer client)
{
  return tea_client_get_state (client) == TEA_CLIENT_STATE_CONNECTED;
}

/* A name's first answers can be dead ends: nothing listening there (the
 * kernel refuses) or silence (a firewall). The client moves on to the
 * next address. ("localhost" is ::1 then 127.0.0.1 to GLib, and relays
 * bound to 127.0.0.1 alone are common.) */
static void
test_every_address (void)
{
  g_autoptr (TeaTestRelay) relay = tea_test_relay_new (NULL);
  const char *addresses[] = { "127.0.0.3", "127.0.0.2", "127.0.0.1", NULL };
  g_autoptr (GResolver) fake = tea_test_resolver_new ("relay.test", addresses);
  g_autoptr (GResolver) real = g_resolver_get_default ();
  g_autoptr (GInetAddress) silent_ip = g_inet_address_new_from_string ("127.0.0.3");
  g_autoptr (GSocketAddress) silent_address = g_inet_socket_address_new (silent_ip, relay->port);
  g_autoptr (GSocket) silent = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM, 0, NULL);
  g_autoptr (TeaClient) client = NULL;

  g_assert_true (g_socket_bind (silent, silent_address, FALSE, NULL));
  g_resolver_set_default (fake);
  client = tea_client_new ("relay.test", relay->port, "alice");
  tea_client_connect (client);
  g_assert_true (tea_test_wait (client_connected, client, 10000));
  /* The silent address was tried first, and heard the hellos. */
  g_assert_cmpint (g_socket_get_available_bytes (silent), >, 0);
  g_assert_cmpuint (tea_relay_get_stats (relay->relay)->sessions_created, ==, 1);
  g_resolver_set_default (real);
}

/* A new session, back in room "tea". */
static gboolean
session_changed (gpointer user_data)
{
  TeaTestPeer *peer = ((gpointer *) user_data)[0];
  guint64 old_session = *(guint64 *) ((gpointer *) user_data)[1];

  return tea_test_peer_is_connected (peer) && tea_client_get_session_id (peer->client) != old_session &&
         tea_client_in_room (peer->client, "tea");
}

/* After a suspend the relay may have restarted or forgotten us while an
 * idle client would only notice at its next keepalive (25 s). Told that
 * the network changed, it checks at once: a fresh socket, a PING, the
 * relay's RESET, a new session in its rooms. */
static void
test_network_changed (void)
{
  g_autoptr (TeaTestRelay) relay = tea_test_relay_new (NULL);
  g_autoptr (TeaTestPeer) alice = NULL;
  guint64 first_session;
  gpointer wait[2] = { NULL, &first_session };
  gint64 start;

  alice = tea_test_peer_new (relay->port, "alice");
  tea_test_peer_connect (alice, "tea");
  first_session = tea_client_get_session_id (alice->client);
  wait[0] = alice;
  tea_test_run_for (500); /* every ack sent: alice is idle */

  /* The relay restarts while alice is idle ("asleep"). */
  tea_test_relay_restart (relay);
  tea_test_run_for (300);
  g_assert_cmpuint (tea_client_get_session_id (alice->client), ==, first_session);

  start = g_get_monotonic_time ();
  tea_client_network_changed (alice->client);
  g_assert_true (tea_test_wait (session_changed, wait, 5000));
  g_test_message ("new session %.0f ms after the network change", (g_get_monotonic_time () - start) / 1000.0);
  g_assert_cmpuint (tea_relay_get_n_sessions (relay->relay), ==, 1);
}

static gboolean
press_reconnect_now (gpointer user_data)
{
  TeaClient *client = user_data;

  if (tea_client_get_state (client) == TEA_CLIENT_STATE_RECONNECTING)
    tea_client_reconnect_now (client);
  return G_SOURCE_CONTINUE;
}

static gboolean
back_in_room (gpointer peer)
{
  return tea_test_peer_is_connected (peer) && tea_client_in_room (((TeaTestPeer *) peer)->client, "tea");
}

/* "Reconnect now" pressed over and over while the client is already
 * reconnecting (the desktop client does it when a line is typed, and on
 * every network change): one attempt, one new session, nothing orphaned. */
static void
test_reconnect_now_while_trying (void)
{
  g_autoptr (TeaTestRelay) relay = tea_test_relay_new (NULL);
  g_autoptr (TeaTestPeer) alice = NULL;
  GSource *presser;
  guint64 first_session;
  gpointer wait[2] = { NULL, &first_session };

  alice = tea_test_peer_new (relay->port, "alice");
  tea_test_peer_connect (alice, "tea");
  wait[0] = alice;

  tea_test_relay_restart (relay);

  presser = g_idle_source_new ();
  g_source_set_priority (presser, G_PRIORITY_DEFAULT);
  g_source_set_callback (presser, press_reconnect_now, alice->client, NULL);
  g_source_attach (presser, NULL);
  first_session = tea_client_get_session_id (alice->client);
  g_assert_cmpuint (tea_client_say (alice->client, "tea", "anyone?", TEA_TEXT_KIND_MESSAGE), !=, 0);
  g_assert_true (tea_test_wait (session_changed, wait, 10000));
  g_source_destroy (presser);
  g_source_unref (presser);
  tea_test_run_for (300);

  g_assert_true (back_in_room (alice));
  g_test_message ("reconnected with %" G_GUINT64_FORMAT " HELLO, %" G_GUINT64_FORMAT " session",
                  tea_relay_get_stats (relay->relay)->hellos, tea_relay_get_stats (relay->relay)->sessions_created);
  g_assert_cmpuint (tea_relay_get_stats (relay->relay)->sessions_created, ==, 1);
  g_assert_cmpuint (tea_relay_get_n_sessions (relay->relay), ==, 1);
}



/* A network change while an attempt is resolving does not start a second
 * attempt beside it, and a late lookup never restarts the handshake under
 * a live session: one session, kept. */
static void
test_stale_lookup (void)
{
  g_autoptr (TeaTestRelay) relay = tea_test_relay_new (NULL);
  const char *addresses[] = { "127.0.0.1", NULL };
  g_autoptr (GResolver) fake = tea_test_resolver_new ("relay.test", addresses);
  g_autoptr (GResolver) real = g_resolver_get_default ();
  g_autoptr (TeaClient) client = NULL;
  guint64 session;

  g_resolver_set_default (fake);
  client = tea_client_new ("relay.test", relay->port, "alice");
  tea_client_connect (client);
  g_assert_true (tea_test_wait (client_connected, client, 10000));
  tea_test_run_for (300);

  tea_test_relay_restart (relay);

  /* A slow DNS answer, as on a network that just changed. */
  tea_test_resolver_set_delay (TEA_TEST_RESOLVER (fake), 1500);
  tea_client_network_changed (client);
  {
    gint64 t0 = g_get_monotonic_time ();
    while (tea_client_get_state (client) != TEA_CLIENT_STATE_RECONNECTING && g_get_monotonic_time () - t0 < 5000000)
      g_main_context_iteration (NULL, TRUE);
    g_test_message ("reconnecting after %.0f ms", (g_get_monotonic_time () - t0) / 1000.0);
  }
  tea_test_run_for (100);
  g_assert_cmpint (tea_client_get_state (client), ==, TEA_CLIENT_STATE_RECONNECTING);
  tea_test_resolver_set_delay (TEA_TEST_RESOLVER (fake), 0);
  tea_client_network_changed (client); /* the network settles: another change */
  g_assert_true (tea_test_wait (client_connected, client, 5000));
  tea_test_run_for (300);
  session = tea_client_get_session_id (client);
  g_test_message ("connected, session %" G_GUINT64_FORMAT ", relay has %u sessions", session, tea_relay_get_n_sessions (relay->relay));
  tea_test_run_for (2500);
  g_test_message ("later: state %d, session %" G_GUINT64_FORMAT ", relay has %u sessions, created %" G_GUINT64_FORMAT,
                  tea_client_get_state (client), tea_client_get_session_id (client), tea_relay_get_n_sessions (relay->relay),
                  (guint64) tea_relay_get_stats (relay->relay)->sessions_created);
  g_assert_cmpuint (tea_client_get_session_id (client), ==, session);
  g_assert_cmpuint (tea_relay_get_stats (relay->relay)->sessions_created, ==, 1);
  g_resolver_set_default (real);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/tea/relay/chat-order", test_chat_order);
  g_test_add_func ("/tea/relay/every-address", test_every_address);
  g_test_add_func ("/tea/relay/stale-lookup", test_stale_lookup);
  g_test_add_func ("/tea/relay/network-changed", test_network_changed);
  g_test_add_func ("/tea/relay/join-part-quit", test_join_part_quit);
  g_test_add_func ("/tea/relay/join-given-up", test_join_given_up);
  g_test_add_func ("/tea/relay/join-given-up-flooded", test_join_given_up_flooded);
  g_test_add_func ("/tea/relay/timeout", test_timeout);
  g_test_add_func ("/tea/relay/short-idle-timeout", test_short_idle_timeout);
  g_test_add_func ("/tea/relay/nick-rules", test_nick_rules);
  g_test_add_func ("/tea/relay/private-and-topic", test_private_and_topic);
  g_test_add_func ("/tea/relay/flood", test_flood);
  g_test_add_func ("/tea/relay/limits", test_limits);
  g_test_add_func ("/tea/relay/room-full", test_room_full);
  g_test_add_func ("/tea/relay/rooms-on-server", test_rooms_on_server);
  g_test_add_func ("/tea/relay/room-name-rules", test_room_name_rules);
  g_test_add_func ("/tea/relay/edit-delete", test_edit_delete);
  g_test_add_func ("/tea/relay/list-and-names", test_list_and_names);
  g_test_add_func ("/tea/relay/roaming", test_roaming);
  g_test_add_data_func ("/tea/relay/catch-up/complete", GUINT_TO_POINTER (1000), test_catch_up);
  g_test_add_data_func ("/tea/relay/catch-up/gap", GUINT_TO_POINTER (3), test_catch_up);
  g_test_add_func ("/tea/relay/shutdown-notice", test_shutdown_notice);
  g_test_add_func ("/tea/relay/restart", test_restart);
  g_test_add_func ("/tea/relay/reconnect-now-while-trying", test_reconnect_now_while_trying);
  return g_test_run ();
}
