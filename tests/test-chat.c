/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The desktop client's model (TeaChat, rooms, lines) against a real relay,
 * without a display: own messages pending then delivered (or failed with
 * a reason), unread counts and mentions, private conversations, edits,
 * member lists, commands, and what survives a lost connection.
 */
#include <string.h>

#include "tea-chat.h"
#include "tea-member.h"
#include "tea-message-list.h"
#include "tea-netem.h"
#include "tea-test-util.h"

typedef struct
{
  TeaChat *chat;
  TeaRoom *room;
  const char *text;
  TeaChatMessageState state;
  guint n;
} LineWait;

static TeaChatMessage *
find_line (TeaRoom *room, const char *text)
{
  TeaMessageList *list = tea_room_get_messages (room);

  for (guint i = tea_message_list_get_n_items_fast (list); i > 0; i--)
    {
      TeaChatMessage *m = tea_message_list_get (list, i - 1);

      if (strstr (tea_chat_message_get_text (m), text))
        return m;
    }
  return NULL;
}

static gboolean
line_in_state (gpointer user_data)
{
  LineWait *w = user_data;
  TeaChatMessage *m = find_line (w->room, w->text);

  return m && tea_chat_message_get_state (m) == w->state;
}

static void
wait_line (TeaRoom *room, const char *text, TeaChatMessageState state)
{
  LineWait w = { NULL, room, text, state, 0 };

  if (!tea_test_wait (line_in_state, &w, 10000))
    g_error ("no line “%s” in state %d in %s", text, state, tea_room_get_name (room));
}

static gboolean
chat_connected (gpointer user_data)
{
  TeaChat *chat = user_data;
  return tea_client_get_state (tea_chat_get_client (chat)) == TEA_CLIENT_STATE_CONNECTED;
}

static gboolean
room_joined (gpointer user_data)
{
  return tea_room_get_joined (user_data);
}

static TeaChat *
connect_chat (guint16 port, const char *nick, const char *room_name, TeaRoom **room)
{
  TeaChat *chat = tea_chat_new ("127.0.0.1", port, nick, NULL);

  *room = tea_chat_join (chat, room_name);
  tea_chat_connect (chat);
  g_assert_true (tea_test_wait (chat_connected, chat, 10000));
  g_assert_true (tea_test_wait (room_joined, *room, 10000));
  return chat;
}

static guint
count_kind (TeaRoom *room, TeaChatMessageKind kind)
{
  TeaMessageList *list = tea_room_get_messages (room);
  guint n = 0;

  for (guint i = 0; i < tea_message_list_get_n_items_fast (list); i++)
    if (tea_chat_message_get_kind (tea_message_list_get (list, i)) == kind)
      n++;
  return n;
}

static void
test_pending_then_delivered (void)
{
  g_autoptr (TeaTestRelay) relay = tea_test_relay_new (NULL);
  g_autoptr (TeaTestPeer) bob = tea_test_peer_new (relay->port, "bob");
  TeaRoom *room;
  g_autoptr (TeaChat) chat = connect_chat (relay->port, "alice", "tea", &room);
  TeaChatMessage *line;

  tea_test_peer_connect (bob, "tea");
  g_assert_true (tea_chat_send (chat, room, "hello bob", NULL));
  /* Shown at once, as pending, before the relay has answered. */
  line = find_line (room, "hello bob");
  g_assert_nonnull (line);
  g_assert_true (tea_chat_message_get_own (line));
  g_assert_cmpint (tea_chat_message_get_state (line), ==, TEA_CHAT_MESSAGE_PENDING);
  wait_line (room, "hello bob", TEA_CHAT_MESSAGE_DELIVERED);
  /* Confirmed in place, not duplicated by the relay's echo. */
  g_assert_cmpuint (tea_chat_message_get_seq (line), >, 0);
  tea_test_peer_wait_count (bob, "MESSAGE", "hello bob", 1);
  {
    guint copies = 0;
    TeaMessageList *list = tea_room_get_messages (room);

    for (guint i = 0; i < tea_message_list_get_n_items_fast (list); i++)
      if (g_str_equal (tea_chat_message_get_text (tea_message_list_get (list, i)), "hello bob"))
        copies++;
    g_assert_cmpuint (copies, ==, 1);
  }
}

static void
test_refused_and_retried (void)
{
  TeaRelayConfig config;
  g_autoptr (TeaTestRelay) relay = NULL;
  TeaRoom *room;
  g_autoptr (TeaChat) chat = NULL;
  g_autofree char *too_long = g_strnfill (TEA_MAX_TEXT + 1, 'x');
  TeaChatMessage *line;

  tea_relay_config_init (&config);
  config.flood_burst = 1;
  config.flood_rate = 5;
  relay = tea_test_relay_new (&config);
  chat = connect_chat (relay->port, "alice", "tea", &room);

  /* Over the flood limit the relay says when to try again: the line
   * waits (pending) and goes out then, by itself, after the first. */
  tea_chat_send (chat, room, "first", NULL);
  tea_chat_send (chat, room, "too fast", NULL);
  wait_line (room, "first", TEA_CHAT_MESSAGE_DELIVERED);
  g_assert_cmpint (tea_chat_message_get_state (find_line (room, "too fast")), ==, TEA_CHAT_MESSAGE_PENDING);
  wait_line (room, "too fast", TEA_CHAT_MESSAGE_DELIVERED);
  g_assert_cmpuint (tea_relay_get_stats (relay->relay)->requests_refused, >=, 1);

  /* A line the relay refuses for good fails, with the reason, and the
   * person can try again (here it is refused again). */
  tea_chat_send (chat, room, too_long, NULL);
  wait_line (room, "xxxxxxxx", TEA_CHAT_MESSAGE_FAILED);
  line = find_line (room, "xxxxxxxx");
  g_assert_nonnull (tea_chat_message_get_error (line));
  tea_chat_retry (chat, room, line);
  g_assert_cmpint (tea_chat_message_get_state (line), ==, TEA_CHAT_MESSAGE_PENDING);
  wait_line (room, "xxxxxxxx", TEA_CHAT_MESSAGE_FAILED);
  tea_relay_config_clear (&config);
}

static gboolean
has_mentions (gpointer room)
{
  return tea_room_get_mentions (room) > 0;
}

static void
test_unread_and_mentions (void)
{
  g_autoptr (TeaTestRelay) relay = tea_test_relay_new (NULL);
  g_autoptr (TeaTestPeer) bob = tea_test_peer_new (relay->port, "bob");
  TeaRoom *room;
  g_autoptr (TeaChat) chat = connect_chat (relay->port, "Alice", "tea", &room);

  tea_test_peer_connect (bob, "tea");
  tea_client_say (bob->client, "tea", "is alicent here?", TEA_TEXT_KIND_MESSAGE);  /* not a mention */
  tea_client_say (bob->client, "tea", "ALICE: tea is ready", TEA_TEXT_KIND_MESSAGE); /* a mention */
  g_assert_true (tea_test_wait (has_mentions, room, 10000));
  tea_test_run_for (200);
  g_assert_cmpuint (tea_room_get_unread (room), ==, 2);
  g_assert_cmpuint (tea_room_get_mentions (room), ==, 1);
  g_assert_true (tea_chat_message_get_mention (find_line (room, "tea is ready")));
  g_assert_false (tea_chat_message_get_mention (find_line (room, "alicent")));
  /* Looking at the room clears both; while it is shown nothing counts. */
  tea_room_set_active (room, TRUE);
  g_assert_cmpuint (tea_room_get_unread (room), ==, 0);
  g_assert_cmpuint (tea_room_get_mentions (room), ==, 0);
  tea_client_say (bob->client, "tea", "alice?", TEA_TEXT_KIND_MESSAGE);
  wait_line (room, "alice?", TEA_CHAT_MESSAGE_DELIVERED);
  g_assert_cmpuint (tea_room_get_unread (room), ==, 0);
}

static gboolean
room_exists (gpointer user_data)
{
  LineWait *w = user_data;

  if (w->text)
    return tea_chat_find_room (w->chat, w->text) != NULL;
  return g_list_model_get_n_items (tea_chat_get_rooms (w->chat)) >= w->n;
}

static void
test_private_conversation (void)
{
  g_autoptr (TeaTestRelay) relay = tea_test_relay_new (NULL);
  g_autoptr (TeaTestPeer) bob = tea_test_peer_new (relay->port, "bob");
  TeaRoom *room;
  g_autoptr (TeaChat) chat = connect_chat (relay->port, "alice", "tea", &room);
  LineWait w = { chat, NULL, NULL, 0, 2 };
  TeaRoom *conversation;

  tea_test_peer_connect (bob, NULL);
  tea_client_privmsg (bob->client, "alice", "psst", TEA_TEXT_KIND_MESSAGE);
  g_assert_true (tea_test_wait (room_exists, &w, 10000));
  conversation = g_list_model_get_item (tea_chat_get_rooms (chat), 1);
  g_object_unref (conversation);
  g_assert_true (tea_chat_room_is_private (chat, conversation));
  g_assert_cmpstr (tea_room_get_name (conversation), ==, "bob");
  wait_line (conversation, "psst", TEA_CHAT_MESSAGE_DELIVERED);
  g_assert_true (tea_chat_message_get_mention (find_line (conversation, "psst")));
  /* Answering in the conversation sends a private message back. */
  tea_chat_send (chat, conversation, "hi bob", NULL);
  wait_line (conversation, "hi bob", TEA_CHAT_MESSAGE_DELIVERED);
  tea_test_peer_wait_message (bob, "PRIVATE alice hi bob");
  /* /msg from a room opens the same conversation. */
  g_assert_true (tea_chat_send (chat, room, "/msg bob again", NULL));
  wait_line (conversation, "again", TEA_CHAT_MESSAGE_DELIVERED);
  g_assert_cmpuint (g_list_model_get_n_items (tea_chat_get_rooms (chat)), ==, 2);
}

static gboolean
members_are (gpointer user_data)
{
  LineWait *w = user_data;
  return g_list_model_get_n_items (tea_room_get_members (w->room)) == w->n;
}

static void
test_members_and_notices (void)
{
  g_autoptr (TeaTestRelay) relay = tea_test_relay_new (NULL);
  g_autoptr (TeaTestPeer) bob = tea_test_peer_new (relay->port, "bob");
  TeaRoom *room;
  g_autoptr (TeaChat) chat = connect_chat (relay->port, "alice", "tea", &room);
  LineWait w = { chat, room, NULL, 0, 2 };
  g_autoptr (TeaMember) first = NULL;

  tea_test_peer_connect (bob, "tea");
  g_assert_true (tea_test_wait (members_are, &w, 10000));
  first = g_list_model_get_item (tea_room_get_members (room), 0);
  g_assert_cmpstr (tea_member_get_nick (first), ==, "alice"); /* sorted */
  tea_client_change_nick (bob->client, "robert");
  wait_line (room, "robert", TEA_CHAT_MESSAGE_DELIVERED);
  g_assert_true (tea_chat_message_get_is_presence (find_line (room, "robert")));
  tea_client_set_topic (bob->client, "tea", "Pu-erh");
  wait_line (room, "Pu-erh", TEA_CHAT_MESSAGE_DELIVERED);
  g_assert_cmpstr (tea_room_get_topic (room), ==, "Pu-erh");
  g_assert_false (tea_chat_message_get_is_presence (find_line (room, "Pu-erh")));
  tea_client_disconnect (bob->client, "bye");
  w.n = 1;
  g_assert_true (tea_test_wait (members_are, &w, 10000));
  g_assert_cmpuint (count_kind (room, TEA_CHAT_MESSAGE_NOTICE), >=, 4);
}

static void
test_edit_and_delete (void)
{
  g_autoptr (TeaTestRelay) relay = tea_test_relay_new (NULL);
  g_autoptr (TeaTestPeer) bob = tea_test_peer_new (relay->port, "bob");
  TeaRoom *room;
  g_autoptr (TeaChat) chat = connect_chat (relay->port, "alice", "tea", &room);
  TeaChatMessage *line;

  tea_test_peer_connect (bob, "tea");
  tea_chat_send (chat, room, "teh", NULL);
  wait_line (room, "teh", TEA_CHAT_MESSAGE_DELIVERED);
  line = tea_message_list_last_own (tea_room_get_messages (room));
  g_assert_nonnull (line);
  g_assert_true (tea_chat_edit (chat, room, line, "tea", NULL));
  tea_test_peer_wait_count (bob, "EDIT", "tea", 1);
  wait_line (room, "tea", TEA_CHAT_MESSAGE_DELIVERED);
  g_assert_true (tea_chat_message_get_edited (line));
  g_assert_true (tea_chat_delete (chat, room, line, NULL));
  tea_test_peer_wait_count (bob, "DELETE", "alice", 1);
  tea_test_run_for (100);
  g_assert_true (tea_chat_message_get_deleted (line));
  g_assert_null (tea_message_list_last_own (tea_room_get_messages (room)));
}

static void
test_commands (void)
{
  g_autoptr (TeaTestRelay) relay = tea_test_relay_new (NULL);
  TeaRoom *room;
  g_autoptr (TeaChat) chat = connect_chat (relay->port, "alice", "tea", &room);
  g_autoptr (GError) error = NULL;
  LineWait w = { chat, NULL, "coffee", 0, G_MAXUINT };

  g_assert_true (tea_chat_send (chat, room, "/me pours", NULL));
  wait_line (room, "pours", TEA_CHAT_MESSAGE_DELIVERED);
  g_assert_cmpint (tea_chat_message_get_kind (find_line (room, "pours")), ==, TEA_CHAT_MESSAGE_ACTION);
  g_assert_true (tea_chat_send (chat, room, "//not a command", NULL));
  wait_line (room, "/not a command", TEA_CHAT_MESSAGE_DELIVERED);
  g_assert_true (tea_chat_send (chat, room, "/join coffee", NULL));
  g_assert_true (tea_test_wait (room_exists, &w, 10000));
  g_assert_false (tea_chat_send (chat, room, "/frobnicate", &error));
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, "/join"));
}

static TeaChatMessage *
append_line (TeaMessageList *list, TeaChatMessageKind kind, gint64 time_ms, const char *nick, const char *text)
{
  g_autoptr (TeaChatMessage) m = tea_chat_message_new (kind, 0, time_ms, nick, text);

  tea_message_list_append (list, m);
  return m;
}

/* Lines by one sender group under one header, /me actions included; a
 * notice, another sender or a long pause starts a new group. */
static void
test_grouping (void)
{
  g_autoptr (TeaMessageList) list = tea_message_list_new ();
  g_autoptr (GDateTime) noon = g_date_time_new_local (2026, 11, 23, 12, 0, 0);
  gint64 t = g_date_time_to_unix (noon) * 1000; /* all lines on one local day */
  TeaChatMessage *a = append_line (list, TEA_CHAT_MESSAGE_TEXT, t, "bob", "hello");
  TeaChatMessage *b = append_line (list, TEA_CHAT_MESSAGE_TEXT, t + 1000, "bob", "again");
  TeaChatMessage *c = append_line (list, TEA_CHAT_MESSAGE_ACTION, t + 2000, "bob", "waves");
  TeaChatMessage *d = append_line (list, TEA_CHAT_MESSAGE_TEXT, t + 3000, "carol", "hi bob");
  TeaChatMessage *e = append_line (list, TEA_CHAT_MESSAGE_NOTICE, t + 4000, "dave", "joined");
  TeaChatMessage *f = append_line (list, TEA_CHAT_MESSAGE_TEXT, t + 5000, "carol", "hi dave");
  TeaChatMessage *g = append_line (list, TEA_CHAT_MESSAGE_TEXT, t + 3600 * 1000, "carol", "an hour later");

  g_assert_true (tea_chat_message_get_first_in_group (a));
  g_assert_false (tea_chat_message_get_first_in_group (b));
  g_assert_false (tea_chat_message_get_first_in_group (c));
  g_assert_true (tea_chat_message_get_first_in_group (d));
  (void) e;
  g_assert_true (tea_chat_message_get_first_in_group (f));
  g_assert_true (tea_chat_message_get_first_in_group (g));
  /* One day separator before the first line, none after. */
  g_assert_cmpint (tea_chat_message_get_kind (tea_message_list_get (list, 0)), ==, TEA_CHAT_MESSAGE_DAY);
  g_assert_cmpuint (tea_message_list_get_n_items_fast (list), ==, 8);
}

static void
check_items_changed (GListModel *model, guint position, guint removed, guint added, guint *n_seen)
{
  /* When the signal is emitted the model must already look like it says:
   * views and filter models read it from inside the handler. */
  *n_seen = *n_seen - removed + added;
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, *n_seen);
  for (guint i = position; i < position + added; i++)
    {
      g_autoptr (GObject) item = g_list_model_get_item (model, i);
      g_assert_nonnull (item);
    }
}

/* An own line confirmed after others moves to the end (where the relay
 * put it): the model stays consistent with every signal on the way. */
static void
test_model_signals (void)
{
  g_autoptr (TeaMessageList) list = tea_message_list_new ();
  g_autoptr (GDateTime) noon = g_date_time_new_local (2026, 11, 23, 12, 0, 0);
  gint64 t = g_date_time_to_unix (noon) * 1000;
  guint n_seen = 0;
  TeaChatMessage *own;

  g_signal_connect (list, "items-changed", G_CALLBACK (check_items_changed), &n_seen);
  own = append_line (list, TEA_CHAT_MESSAGE_TEXT, t, "alice", "pending");
  append_line (list, TEA_CHAT_MESSAGE_TEXT, t + 1, "bob", "one");
  append_line (list, TEA_CHAT_MESSAGE_TEXT, t + 2, "bob", "two");
  tea_message_list_move_to_end (list, own);
  g_assert_true (tea_message_list_get (list, n_seen - 1) == own);
  tea_message_list_move_to_end (list, own); /* already last */
  tea_message_list_changed (list, own);
  g_assert_cmpuint (n_seen, ==, 4);
}

static gboolean
is_reconnecting (gpointer chat)
{
  return tea_client_get_state (tea_chat_get_client (chat)) == TEA_CLIENT_STATE_RECONNECTING;
}

/* Edits, deletions and commands are not held while disconnected (unlike
 * lines): they are refused with a reason, so the window keeps the text. */
static void
test_requests_while_disconnected (void)
{
  TeaRelayConfig config;
  g_autoptr (TeaTestRelay) relay = NULL;
  g_autoptr (TeaNetem) proxy = NULL;
  g_autoptr (TeaChat) chat = NULL;
  g_autoptr (GError) error = NULL;
  TeaChatMessage *line;
  TeaRoom *room;

  tea_relay_config_init (&config);
  config.idle_timeout_s = 2;
  config.keepalive_s = 1;
  relay = tea_test_relay_new (&config);
  proxy = tea_netem_new_loopback (relay->port, 7);
  chat = connect_chat (tea_netem_get_port (proxy), "alice", "tea", &room);
  tea_chat_send (chat, room, "soon edited", NULL);
  wait_line (room, "soon edited", TEA_CHAT_MESSAGE_DELIVERED);
  line = find_line (room, "soon edited");

  tea_netem_set_blackout (proxy, TRUE);
  g_assert_true (tea_test_wait (is_reconnecting, chat, 10000));
  g_assert_false (tea_chat_edit (chat, room, line, "edited", &error));
  g_assert_nonnull (error);
  g_clear_error (&error);
  g_assert_false (tea_chat_delete (chat, room, line, &error));
  g_assert_nonnull (error);
  g_clear_error (&error);
  g_assert_false (tea_chat_send (chat, room, "/nick zed", &error));
  g_assert_nonnull (error);
  g_clear_error (&error);
  g_assert_false (tea_chat_send (chat, room, "/topic while away", &error));
  g_assert_nonnull (error);
  g_assert_cmpstr (tea_chat_message_get_text (line), ==, "soon edited");
  tea_relay_config_clear (&config);
}

static void
test_catch_up_after_outage (void)
{
  TeaRelayConfig config;
  g_autoptr (TeaTestRelay) relay = NULL;
  g_autoptr (TeaNetem) proxy = NULL;
  g_autoptr (TeaTestPeer) bob = NULL;
  g_autoptr (TeaChat) chat = NULL;
  TeaRoom *room;

  tea_relay_config_init (&config);
  config.idle_timeout_s = 2;
  config.keepalive_s = 1;
  relay = tea_test_relay_new (&config);
  proxy = tea_netem_new_loopback (relay->port, 7);
  bob = tea_test_peer_new (relay->port, "bob");
  chat = connect_chat (tea_netem_get_port (proxy), "alice", "tea", &room);
  tea_test_peer_connect (bob, "tea");

  /* Alice's network goes away; she writes anyway, on a session that is
   * about to expire; bob talks meanwhile. */
  tea_netem_set_blackout (proxy, TRUE);
  tea_chat_send (chat, room, "lost in transit", NULL);
  tea_client_say (bob->client, "tea", "while you were away", TEA_TEXT_KIND_MESSAGE);
  g_assert_true (tea_test_wait (is_reconnecting, chat, 10000));
  /* Typed while the window says "reconnecting": waits, pending. */
  tea_chat_send (chat, room, "typed while reconnecting", NULL);
  g_assert_cmpint (tea_chat_message_get_state (find_line (room, "typed while reconnecting")), ==,
                   TEA_CHAT_MESSAGE_PENDING);
  tea_netem_set_blackout (proxy, FALSE);
  g_assert_true (tea_test_wait (chat_connected, chat, 15000));

  /* She catches up on bob's line, once. The catch-up shows her first line
   * never reached the room, so it goes out again; the second goes out for
   * the first time. Each arrives once, in the order she wrote them. */
  wait_line (room, "while you were away", TEA_CHAT_MESSAGE_DELIVERED);
  wait_line (room, "lost in transit", TEA_CHAT_MESSAGE_DELIVERED);
  wait_line (room, "typed while reconnecting", TEA_CHAT_MESSAGE_DELIVERED);
  tea_test_peer_wait_count (bob, "MESSAGE", "typed while reconnecting", 1);
  tea_test_run_for (300);
  g_assert_cmpuint (tea_test_peer_count (bob, "MESSAGE", "lost in transit"), ==, 1);
  g_assert_cmpuint (tea_test_peer_count (bob, "MESSAGE", "typed while reconnecting"), ==, 1);
  {
    g_autoptr (GPtrArray) lines = tea_test_peer_chat_lines (bob);
    gint lost = -1, typed = -1;

    for (guint i = 0; i < lines->len; i++)
      {
        if (strstr (lines->pdata[i], "lost in transit"))
          lost = i;
        if (strstr (lines->pdata[i], "typed while reconnecting"))
          typed = i;
      }
    g_assert_cmpint (lost, <, typed);
  }
  tea_relay_config_clear (&config);
}

/* After a relay restart its history is gone: whether a line sent just
 * before cannot be known, so it is not sent twice behind anyone's back;
 * it is marked, with Retry. A line typed during the restart simply goes
 * out once the room is back. */
static void
test_lines_across_relay_restart (void)
{
  g_autoptr (TeaTestRelay) relay = tea_test_relay_new (NULL);
  g_autoptr (TeaTestPeer) bob = NULL;
  g_autoptr (TeaChat) chat = NULL;
  TeaRoom *room;

  chat = connect_chat (relay->port, "alice", "tea", &room);

  tea_test_relay_stop (relay);
  tea_chat_send (chat, room, "into the void", NULL);
  tea_test_run_for (200);
  tea_test_relay_start_again (relay);
  bob = tea_test_peer_new (relay->port, "bob");
  tea_test_peer_connect (bob, "tea");
  tea_client_network_changed (tea_chat_get_client (chat));
  g_assert_true (tea_test_wait (is_reconnecting, chat, 5000) || chat_connected (chat));
  tea_chat_send (chat, room, "after the restart", NULL);
  g_assert_true (tea_test_wait (chat_connected, chat, 10000));

  wait_line (room, "into the void", TEA_CHAT_MESSAGE_FAILED);
  wait_line (room, "after the restart", TEA_CHAT_MESSAGE_DELIVERED);
  tea_test_peer_wait_count (bob, "MESSAGE", "after the restart", 1);
  g_assert_cmpuint (tea_test_peer_count (bob, "MESSAGE", "into the void"), ==, 0);
}


/* A line typed in a room whose JOIN is not answered yet (just joined, or
 * rejoining after a reconnection) waits for the room, then goes out. */
static void
test_line_before_joined (void)
{
  g_autoptr (TeaTestRelay) relay = tea_test_relay_new (NULL);
  g_autoptr (TeaTestPeer) bob = tea_test_peer_new (relay->port, "bob");
  TeaRoom *room, *coffee;
  g_autoptr (TeaChat) chat = connect_chat (relay->port, "alice", "tea", &room);
  LineWait w = { NULL, NULL, "first words in coffee", TEA_CHAT_MESSAGE_DELIVERED, 0 };

  tea_test_peer_connect (bob, "coffee");
  coffee = tea_chat_join (chat, "coffee");
  w.room = coffee;
  tea_chat_send (chat, coffee, "first words in coffee", NULL);
  g_test_message ("req id %u", tea_chat_message_get_req_id (find_line (coffee, "first words in coffee")));
  g_assert_true (tea_test_wait (room_joined, coffee, 5000));
  if (!tea_test_wait (line_in_state, &w, 3000))
    g_error ("line stuck in state %d, req %u; bob saw it %u times",
             tea_chat_message_get_state (find_line (coffee, "first words in coffee")),
             tea_chat_message_get_req_id (find_line (coffee, "first words in coffee")),
             tea_test_peer_count (bob, "MESSAGE", "first words in coffee"));
}

/* A line typed while disconnected goes out after a long catch-up too. */
static void
test_long_catch_up (void)
{
  TeaRelayConfig config;
  g_autoptr (TeaTestRelay) relay = NULL;
  g_autoptr (TeaNetem) proxy = NULL;
  g_autoptr (TeaTestPeer) bob = NULL;
  g_autoptr (TeaChat) chat = NULL;
  TeaRoom *room;
  LineWait w = { NULL, NULL, "typed while away", TEA_CHAT_MESSAGE_DELIVERED, 0 };

  tea_relay_config_init (&config);
  config.idle_timeout_s = 2;
  config.keepalive_s = 1;
  config.flood_burst = 1000;
  config.flood_rate = 1000;
  relay = tea_test_relay_new (&config);
  proxy = tea_netem_new_loopback (relay->port, 7);
  bob = tea_test_peer_new (relay->port, "bob");
  chat = connect_chat (tea_netem_get_port (proxy), "alice", "tea", &room);
  w.room = room;
  tea_test_peer_connect (bob, "tea");

  tea_netem_set_blackout (proxy, TRUE);
  g_assert_true (tea_test_wait (is_reconnecting, chat, 10000));
  tea_chat_send (chat, room, "typed while away", NULL);
  for (guint i = 0; i < 250; i++)
    {
      g_autofree char *text = g_strdup_printf ("chatter %u", i);
      tea_client_say (bob->client, "tea", text, TEA_TEXT_KIND_MESSAGE);
    }
  tea_test_peer_wait_count (bob, "MESSAGE", "chatter 249", 1);
  tea_netem_set_blackout (proxy, FALSE);
  g_assert_true (tea_test_wait (chat_connected, chat, 15000));
  wait_line (room, "chatter 249", TEA_CHAT_MESSAGE_DELIVERED);
  if (!tea_test_wait (line_in_state, &w, 3000))
    g_error ("line stuck in state %d, req %u; bob saw it %u times",
             tea_chat_message_get_state (find_line (room, "typed while away")),
             tea_chat_message_get_req_id (find_line (room, "typed while away")),
             tea_test_peer_count (bob, "MESSAGE", "typed while away"));
  tea_relay_config_clear (&config);
}


/* The line reaches the relay but neither its OK nor its event reaches
 * alice before the session is lost: the catch-up confirms it, and it is
 * not sent again. */
static void
test_reached_but_unconfirmed (void)
{
  TeaRelayConfig config;
  g_autoptr (TeaTestRelay) relay = NULL;
  g_autoptr (TeaNetem) proxy = NULL;
  g_autoptr (TeaTestPeer) bob = NULL;
  g_autoptr (TeaChat) chat = NULL;
  TeaRoom *room;

  tea_relay_config_init (&config);
  config.idle_timeout_s = 2;
  config.keepalive_s = 1;
  relay = tea_test_relay_new (&config);
  proxy = tea_netem_new_loopback (relay->port, 7);
  bob = tea_test_peer_new (relay->port, "bob");
  chat = connect_chat (tea_netem_get_port (proxy), "alice", "tea", &room);
  tea_test_peer_connect (bob, "tea");

  tea_netem_get_config (proxy, TEA_NETEM_DOWN)->loss = 1.0;
  tea_chat_send (chat, room, "reached the room", NULL);
  tea_test_peer_wait_count (bob, "MESSAGE", "reached the room", 1);
  tea_netem_set_blackout (proxy, TRUE);
  g_assert_true (tea_test_wait (is_reconnecting, chat, 10000));
  tea_netem_get_config (proxy, TEA_NETEM_DOWN)->loss = 0;
  tea_netem_set_blackout (proxy, FALSE);
  g_assert_true (tea_test_wait (chat_connected, chat, 15000));
  wait_line (room, "reached the room", TEA_CHAT_MESSAGE_DELIVERED);
  tea_test_run_for (500);
  g_assert_cmpuint (tea_test_peer_count (bob, "MESSAGE", "reached the room"), ==, 1);
  {
    guint copies = 0;
    TeaMessageList *list = tea_room_get_messages (room);

    for (guint i = 0; i < tea_message_list_get_n_items_fast (list); i++)
      if (g_str_equal (tea_chat_message_get_text (tea_message_list_get (list, i)), "reached the room"))
        copies++;
    g_assert_cmpuint (copies, ==, 1);
  }
  tea_relay_config_clear (&config);
}


/* As above, but the relay's backlog no longer holds the line when alice
 * catches up (a GAP "expired"): nobody can tell whether it arrived, so it
 * is not sent a second time behind her back; it fails, with Retry. */
static void
test_expired_gap_duplicate (void)
{
  TeaRelayConfig config;
  g_autoptr (TeaTestRelay) relay = NULL;
  g_autoptr (TeaNetem) proxy = NULL;
  g_autoptr (TeaTestPeer) bob = NULL;
  g_autoptr (TeaChat) chat = NULL;
  TeaRoom *room;

  tea_relay_config_init (&config);
  config.idle_timeout_s = 2;
  config.keepalive_s = 1;
  config.backlog = 20;
  config.flood_burst = 1000;
  config.flood_rate = 1000;
  relay = tea_test_relay_new (&config);
  proxy = tea_netem_new_loopback (relay->port, 7);
  bob = tea_test_peer_new (relay->port, "bob");
  chat = connect_chat (tea_netem_get_port (proxy), "alice", "tea", &room);
  tea_test_peer_connect (bob, "tea");

  tea_netem_get_config (proxy, TEA_NETEM_DOWN)->loss = 1.0;
  tea_chat_send (chat, room, "reached the room", NULL);
  tea_test_peer_wait_count (bob, "MESSAGE", "reached the room", 1);
  tea_netem_set_blackout (proxy, TRUE);
  for (guint i = 0; i < 30; i++)
    {
      g_autofree char *text = g_strdup_printf ("chatter %u", i);
      tea_client_say (bob->client, "tea", text, TEA_TEXT_KIND_MESSAGE);
    }
  g_assert_true (tea_test_wait (is_reconnecting, chat, 10000));
  tea_netem_get_config (proxy, TEA_NETEM_DOWN)->loss = 0;
  tea_netem_set_blackout (proxy, FALSE);
  g_assert_true (tea_test_wait (chat_connected, chat, 15000));
  wait_line (room, "chatter 29", TEA_CHAT_MESSAGE_DELIVERED);
  tea_test_run_for (1000);
  wait_line (room, "reached the room", TEA_CHAT_MESSAGE_FAILED);
  g_assert_cmpuint (tea_test_peer_count (bob, "MESSAGE", "reached the room"), ==, 1);
  tea_relay_config_clear (&config);
}


/* Lines go out in the order they were typed: one typed while the
 * catch-up is still arriving waits behind those typed while offline. */
static void
test_order_during_catch_up (void)
{
  TeaRelayConfig config;
  g_autoptr (TeaTestRelay) relay = NULL;
  g_autoptr (TeaNetem) proxy = NULL;
  g_autoptr (TeaTestPeer) bob = NULL;
  g_autoptr (TeaChat) chat = NULL;
  TeaRoom *room;

  tea_relay_config_init (&config);
  config.idle_timeout_s = 2;
  config.keepalive_s = 1;
  config.flood_burst = 1000;
  config.flood_rate = 1000;
  relay = tea_test_relay_new (&config);
  proxy = tea_netem_new_loopback (relay->port, 7);
  bob = tea_test_peer_new (relay->port, "bob");
  chat = connect_chat (tea_netem_get_port (proxy), "alice", "tea", &room);
  tea_test_peer_connect (bob, "tea");

  tea_netem_set_blackout (proxy, TRUE);
  g_assert_true (tea_test_wait (is_reconnecting, chat, 10000));
  tea_chat_send (chat, room, "first, typed offline", NULL);
  for (guint i = 0; i < 190; i++)
    {
      g_autofree char *text = g_strdup_printf ("chatter %u %s", i, "padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding");
      tea_client_say (bob->client, "tea", text, TEA_TEXT_KIND_MESSAGE);
    }
  tea_test_peer_wait_count (bob, "MESSAGE", "chatter 189", 1);
  tea_netem_set_config (proxy, &(TeaImpairConfig) { .delay_us = 20000, .jitter_us = 20000 });
  tea_netem_get_config (proxy, TEA_NETEM_DOWN)->loss = 0.2;
  g_assert_true (tea_test_wait (room_joined, room, 15000));
  g_test_message ("joined; rows so far %u", tea_message_list_get_n_items_fast (tea_room_get_messages (room)));
  tea_chat_send (chat, room, "second, typed once back", NULL);
  tea_test_peer_wait_count (bob, "MESSAGE", "second, typed once back", 1);
  tea_test_peer_wait_count (bob, "MESSAGE", "first, typed offline", 1);
  {
    g_autoptr (GPtrArray) lines = tea_test_peer_chat_lines (bob);
    gint first = -1, second = -1;

    for (guint i = 0; i < lines->len; i++)
      {
        if (strstr (lines->pdata[i], "first, typed offline"))
          first = i;
        if (strstr (lines->pdata[i], "second, typed once back"))
          second = i;
      }
    g_test_message ("first at %d, second at %d", first, second);
    g_assert_cmpint (first, <, second);
  }
  tea_relay_config_clear (&config);
}


/* Lines typed at a normal pace during an outage meet the relay's flood
 * limit (burst 10) when they go out together: they wait their turn, and
 * every one arrives. */
static void
test_flush_meets_flood_limit (void)
{
  TeaRelayConfig config;
  g_autoptr (TeaTestRelay) relay = NULL;
  g_autoptr (TeaNetem) proxy = NULL;
  g_autoptr (TeaChat) chat = NULL;
  TeaRoom *room;
  guint failed = 0, delivered = 0;

  tea_relay_config_init (&config);
  config.idle_timeout_s = 2;
  config.keepalive_s = 1;
  relay = tea_test_relay_new (&config);
  proxy = tea_netem_new_loopback (relay->port, 7);
  chat = connect_chat (tea_netem_get_port (proxy), "alice", "tea", &room);

  tea_netem_set_blackout (proxy, TRUE);
  g_assert_true (tea_test_wait (is_reconnecting, chat, 10000));
  for (guint i = 0; i < 15; i++)
    {
      g_autofree char *text = g_strdup_printf ("offline line %u", i);
      tea_chat_send (chat, room, text, NULL);
    }
  tea_netem_set_blackout (proxy, FALSE);
  g_assert_true (tea_test_wait (chat_connected, chat, 15000));
  tea_test_run_for (1500);
  {
    TeaMessageList *list = tea_room_get_messages (room);
    for (guint i = 0; i < tea_message_list_get_n_items_fast (list); i++)
      {
        TeaChatMessage *m = tea_message_list_get (list, i);
        if (!strstr (tea_chat_message_get_text (m) ? tea_chat_message_get_text (m) : "", "offline line"))
          continue;
        if (tea_chat_message_get_state (m) == TEA_CHAT_MESSAGE_FAILED)
          {
            failed++;
            g_test_message ("%s: %s", tea_chat_message_get_text (m), tea_chat_message_get_error (m));
          }
        else if (tea_chat_message_get_state (m) == TEA_CHAT_MESSAGE_DELIVERED)
          delivered++;
      }
  }
  g_test_message ("delivered %u, failed %u", delivered, failed);
  g_assert_cmpuint (failed, ==, 0);
  tea_relay_config_clear (&config);
}


/* A line moved to the end (confirmed after others) leaves the line that
 * followed it starting its own group under its own sender. */
static void
test_group_after_move (void)
{
  g_autoptr (TeaMessageList) list = tea_message_list_new ();
  g_autoptr (GDateTime) noon = g_date_time_new_local (2026, 11, 23, 12, 0, 0);
  gint64 t = g_date_time_to_unix (noon) * 1000;
  TeaChatMessage *l1, *l2;

  append_line (list, TEA_CHAT_MESSAGE_TEXT, t, "carol", "hello");
  l1 = append_line (list, TEA_CHAT_MESSAGE_TEXT, t + 1, "alice", "one");
  l2 = append_line (list, TEA_CHAT_MESSAGE_TEXT, t + 2, "alice", "two");
  append_line (list, TEA_CHAT_MESSAGE_TEXT, t + 3, "bob", "meanwhile");
  g_assert_false (tea_chat_message_get_first_in_group (l2));
  tea_message_list_move_to_end (list, l1);
  /* l2 now follows carol's line: it needs its own header. */
  g_assert_true (tea_message_list_get (list, 2) == l2);
  g_assert_true (tea_chat_message_get_first_in_group (l2));
}


/* After a relay restart, old lines are not found by their old numbers,
 * even after they change. */
static void
test_forgotten_seqs (void)
{
  g_autoptr (TeaMessageList) list = tea_message_list_new ();
  g_autoptr (TeaChatMessage) m = tea_chat_message_new (TEA_CHAT_MESSAGE_TEXT, 0, 1000, "alice", "pending");

  tea_message_list_append (list, m);
  tea_chat_message_set_seq (m, 5); /* the OK arrived, the event did not */
  tea_message_list_changed (list, m);
  tea_message_list_forget_seqs (list); /* the relay restarted */
  g_assert_null (tea_message_list_find_seq (list, 5));
  tea_message_list_changed (list, m); /* fail_pending / send_waiting_lines */
  g_assert_null (tea_message_list_find_seq (list, 5));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/tea/chat/pending-then-delivered", test_pending_then_delivered);
  g_test_add_func ("/tea/chat/refused-and-retried", test_refused_and_retried);
  g_test_add_func ("/tea/chat/unread-and-mentions", test_unread_and_mentions);
  g_test_add_func ("/tea/chat/private-conversation", test_private_conversation);
  g_test_add_func ("/tea/chat/members-and-notices", test_members_and_notices);
  g_test_add_func ("/tea/chat/edit-and-delete", test_edit_and_delete);
  g_test_add_func ("/tea/chat/commands", test_commands);
  g_test_add_func ("/tea/chat/grouping", test_grouping);
  g_test_add_func ("/tea/chat/model-signals", test_model_signals);
  g_test_add_func ("/tea/chat/catch-up-after-outage", test_catch_up_after_outage);
  g_test_add_func ("/tea/chat/requests-while-disconnected", test_requests_while_disconnected);
  g_test_add_func ("/tea/chat/lines-across-relay-restart", test_lines_across_relay_restart);
  g_test_add_func ("/tea/chat/line-before-joined", test_line_before_joined);
  g_test_add_func ("/tea/chat/long-catch-up", test_long_catch_up);
  g_test_add_func ("/tea/chat/reached-but-unconfirmed", test_reached_but_unconfirmed);
  g_test_add_func ("/tea/chat/expired-gap-duplicate", test_expired_gap_duplicate);
  g_test_add_func ("/tea/chat/order-during-catch-up", test_order_during_catch_up);
  g_test_add_func ("/tea/chat/flush-meets-flood-limit", test_flush_meets_flood_limit);
  g_test_add_func ("/tea/chat/group-after-move", test_group_after_move);
  g_test_add_func ("/tea/chat/forgotten-seq", test_forgotten_seqs);
  return g_test_run ();
}
