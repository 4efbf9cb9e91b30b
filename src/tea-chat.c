/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "tea-chat.h"
#include "tea-code.h"
#include "tea-member.h"
#include "tea-names.h"
#include "tea-outbox.h"

/* Events of history asked for on a first join. */
#define JOIN_HISTORY 50

struct _TeaChat
{
  GObject parent_instance;

  TeaClient *client;
  GListStore *rooms;
  GHashTable *private_rooms; /* TeaRoom -> itself: rooms that are conversations */
  GHashTable *requests;      /* req_id -> TeaRoom (not owned) it was made in */
  GHashTable *names_open;    /* TeaRoom with a NAMES reply in progress */
  GPtrArray *room_list;      /* TeaRoomInfo, while a ROOMS reply arrives */
  GHashTable *outboxes;      /* TeaRoom -> TeaOutbox (owned): own lines on their way */
};

enum {
  PROP_0,
  PROP_STATE,
  N_PROPS
};

enum {
  SIGNAL_MESSAGE_ADDED,
  SIGNAL_ROOM_LIST,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (TeaChat, tea_chat, G_TYPE_OBJECT)
static G_DEFINE_QUARK (tea-chat-error-quark, tea_chat_error)

static void track (TeaChat *chat, TeaRoom *room, guint32 req_id);
static void remove_room (TeaChat *chat, guint position);

gboolean
tea_chat_room_is_private (TeaChat *chat, TeaRoom *room)
{
  return g_hash_table_contains (chat->private_rooms, room);
}

/* A room of the relay, or (private) a conversation with that nick. */
static TeaRoom *
find_room_of_kind (TeaChat *chat, const char *name, gboolean private, guint *position)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (chat->rooms));

  for (guint i = 0; i < n; i++)
    {
      g_autoptr (TeaRoom) room = g_list_model_get_item (G_LIST_MODEL (chat->rooms), i);

      if (tea_chat_room_is_private (chat, room) == private &&
          tea_names_equal (tea_room_get_name (room), -1, name, -1))
        {
          if (position)
            *position = i;
          return room;
        }
    }
  return NULL;
}

static TeaRoom *
find_room (TeaChat *chat, const char *name, guint *position)
{
  return find_room_of_kind (chat, name, FALSE, position);
}

static TeaRoom *
find_room_by_id (TeaChat *chat, guint32 room_id)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (chat->rooms));

  for (guint i = 0; i < n; i++)
    {
      g_autoptr (TeaRoom) room = g_list_model_get_item (G_LIST_MODEL (chat->rooms), i);

      if (!tea_chat_room_is_private (chat, room) &&
          GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (room), "room-id")) == room_id)
        return room;
    }
  return NULL;
}

TeaRoom *
tea_chat_find_room (TeaChat *chat, const char *name)
{
  return find_room (chat, name, NULL);
}

static void
add_line (TeaChat *chat, TeaRoom *room, TeaChatMessage *message)
{
  tea_room_add_message (room, message);
  g_signal_emit (chat, signals[SIGNAL_MESSAGE_ADDED], 0, room, message);
}

static void
add_status (TeaChat *chat, TeaRoom *room, const char *text)
{
  g_autoptr (TeaChatMessage) message =
    tea_chat_message_new (TEA_CHAT_MESSAGE_STATUS, 0, g_get_real_time () / 1000, NULL, text);

  add_line (chat, room, message);
}

static gboolean
is_me (TeaChat *chat, TeaStr nick)
{
  const char *me = tea_client_get_nick (chat->client);
  return me && tea_names_equal (nick.str, nick.len, me, -1);
}

/* ---- Room events ------------------------------------------------------- */

static void
deliver_text (TeaChat *chat, TeaRoom *room, const TeaEvent *event)
{
  g_autofree char *nick = tea_str_dup (event->nick);
  g_autofree char *text = tea_str_dup (event->text);
  TeaMessageList *list = tea_room_get_messages (room);
  TeaChatMessage *pending = tea_message_list_find_seq (list, event->seq);
  TeaChatMessageKind kind = event->kind == TEA_EVENT_ACTION ? TEA_CHAT_MESSAGE_ACTION : TEA_CHAT_MESSAGE_TEXT;
  g_autoptr (TeaChatMessage) message = NULL;

  /* A line of ours the catch-up shows did arrive before we lost touch. */
  if (pending == NULL && is_me (chat, event->nick))
    {
      TeaChatMessage *arrived = tea_outbox_confirm (g_hash_table_lookup (chat->outboxes, room), kind, text,
                                                    event->seq);
      if (arrived)
        {
          tea_message_list_move_to_end (list, arrived);
          return;
        }
    }
  /* The line we showed as pending: the relay confirmed it with this seq. */
  if (pending && tea_chat_message_get_own (pending) &&
      tea_chat_message_get_state (pending) != TEA_CHAT_MESSAGE_DELIVERED)
    {
      tea_chat_message_set_state (pending, TEA_CHAT_MESSAGE_DELIVERED);
      tea_message_list_move_to_end (list, pending);
      return;
    }
  message = tea_chat_message_new (kind, event->seq, event->time_ms, nick, text);
  tea_chat_message_set_own (message, is_me (chat, event->nick));
  tea_chat_message_set_unencrypted (message, event->flags & TEA_MEMBER_FLAG_UNENCRYPTED);
  if (!tea_chat_message_get_own (message))
    tea_chat_message_set_mention (message, tea_text_mentions (text, tea_client_get_nick (chat->client)));
  add_line (chat, room, message);
}

static void
update_members (TeaRoom *room, const TeaEvent *event)
{
  g_autofree char *nick = tea_str_dup (event->nick);
  g_autofree char *new_nick = NULL;

  switch (event->kind)
    {
    case TEA_EVENT_JOIN:
      tea_room_add_member (room, nick, event->flags & TEA_MEMBER_FLAG_UNENCRYPTED);
      break;
    case TEA_EVENT_PART:
    case TEA_EVENT_QUIT:
    case TEA_EVENT_TIMEOUT:
      tea_room_remove_member (room, nick);
      break;
    case TEA_EVENT_NICK:
      new_nick = tea_str_dup (event->new_nick);
      tea_room_rename_member (room, nick, new_nick);
      break;
    default:
      break;
    }
}

static void
deliver_notice (TeaChat *chat, TeaRoom *room, const TeaEvent *event)
{
  g_autofree char *text = tea_event_describe (event);
  g_autofree char *nick = tea_str_dup (event->nick);
  g_autoptr (TeaChatMessage) message =
    tea_chat_message_new (TEA_CHAT_MESSAGE_NOTICE, event->seq, event->time_ms, nick, text);

  tea_chat_message_set_is_presence (message, event->kind != TEA_EVENT_TOPIC);
  if (event->kind == TEA_EVENT_TOPIC)
    {
      g_autofree char *topic = tea_str_dup (event->text);
      tea_room_set_topic (room, topic);
    }
  update_members (room, event);
  add_line (chat, room, message);
}

static void
deliver_edit (TeaChat *chat, TeaRoom *room, const TeaEvent *event)
{
  TeaMessageList *list = tea_room_get_messages (room);
  TeaChatMessage *target = tea_message_list_find_seq (list, event->target);

  if (target == NULL)
    return; /* older than what we hold */
  if (event->kind == TEA_EVENT_EDIT)
    {
      g_autofree char *text = tea_str_dup (event->text);
      tea_chat_message_mark_edited (target, text);
    }
  else
    {
      tea_chat_message_mark_deleted (target);
    }
  tea_message_list_changed (list, target);
}

static void
on_event (TeaClient *client, const char *name, gpointer event_ptr, gpointer user_data)
{
  TeaChat *chat = user_data;
  const TeaEvent *event = event_ptr;
  TeaRoom *room = find_room (chat, name, NULL);

  if (room == NULL)
    return;
  switch (event->kind)
    {
    case TEA_EVENT_MESSAGE:
    case TEA_EVENT_ACTION:
      deliver_text (chat, room, event);
      break;
    case TEA_EVENT_EDIT:
    case TEA_EVENT_DELETE:
      deliver_edit (chat, room, event);
      break;
    default:
      deliver_notice (chat, room, event);
      break;
    }
  /* Our own PART is the last event of a room for us. */
  if (event->kind == TEA_EVENT_PART && is_me (chat, event->nick))
    {
      guint position;

      if (find_room (chat, name, &position))
        remove_room (chat, position);
    }
}

static void
on_gap (TeaClient *client, const char *name, guint64 first, guint64 last, guint reason, gpointer user_data)
{
  TeaChat *chat = user_data;
  TeaRoom *room = find_room (chat, name, NULL);
  g_autofree char *text = tea_gap_describe (first, last, reason);
  g_autoptr (TeaChatMessage) message = NULL;

  if (room == NULL)
    return;
  tea_outbox_history_gap (g_hash_table_lookup (chat->outboxes, room));
  if (reason == TEA_GAP_REASON_HISTORY_RESET)
    tea_message_list_forget_seqs (tea_room_get_messages (room));
  message = tea_chat_message_new (TEA_CHAT_MESSAGE_GAP, 0, g_get_real_time () / 1000, NULL, text);
  add_line (chat, room, message);
}

/* ---- Replies ----------------------------------------------------------- */

static TeaRoom *
room_of_request (TeaChat *chat, guint32 req_id)
{
  return g_hash_table_lookup (chat->requests, GUINT_TO_POINTER (req_id));
}

static void
handle_ok (TeaChat *chat, const TeaMessage *msg)
{
  TeaRoom *room = room_of_request (chat, msg->req_id);

  g_hash_table_remove (chat->requests, GUINT_TO_POINTER (msg->req_id));
  if (room)
    tea_outbox_handle_ok (g_hash_table_lookup (chat->outboxes, room), msg->req_id, msg->ok.value);
}

static void
handle_error (TeaChat *chat, const TeaMessage *msg)
{
  TeaRoom *room = room_of_request (chat, msg->req_id);
  g_autofree char *detail = tea_str_dup (msg->error.detail);
  /* Translators: an error sentence, then what it is about (e.g. a nickname) */
  g_autofree char *text = *detail ? g_strdup_printf (C_("error and what it is about", "%s: %s"),
                                                     tea_code_describe (msg->error.code), detail)
                                  : g_strdup (tea_code_describe (msg->error.code));

  g_hash_table_remove (chat->requests, GUINT_TO_POINTER (msg->req_id));
  if (room == NULL)
    return;
  /* About a line: the outbox fails it (or holds it, if told to slow down);
   * anything else is said in the room. */
  if (!tea_outbox_handle_error (g_hash_table_lookup (chat->outboxes, room), msg->req_id, msg->error.code,
                                msg->error.retry_after_ms, text))
    add_status (chat, room, text);
}

static void
handle_joined (TeaChat *chat, const TeaMessage *msg)
{
  g_autofree char *name = tea_str_dup (msg->joined.room);
  g_autofree char *topic = tea_str_dup (msg->joined.topic);
  TeaRoom *room = find_room (chat, name, NULL);

  if (room == NULL)
    return;
  /* Names the room in NAMES replies of this session. */
  g_object_set_data (G_OBJECT (room), "room-id", GUINT_TO_POINTER (msg->joined.room_id));
  tea_room_set_name (room, name);
  tea_room_set_topic (room, topic);
  tea_room_set_joined (room, TRUE);
}

static void
handle_names (TeaChat *chat, const TeaMessage *msg)
{
  TeaRoom *room = find_room_by_id (chat, msg->list.room_id);
  TeaReader r;
  TeaStr nick;
  guint8 flags;

  if (room == NULL)
    return;
  if (!g_hash_table_contains (chat->names_open, room))
    {
      tea_room_clear_members (room);
      /* The NAMES that follows a JOIN ends its catch-up. */
      if (msg->req_id == 0)
        tea_outbox_catch_up_done (g_hash_table_lookup (chat->outboxes, room), TRUE);
    }
  tea_reader_init (&r, msg->list.entries, msg->list.entries_len);
  while (tea_names_entry_next (&r, &nick, &flags))
    {
      g_autofree char *name = tea_str_dup (nick);
      tea_room_add_member (room, name, flags & TEA_MEMBER_FLAG_UNENCRYPTED);
    }
  if (msg->list.more)
    g_hash_table_add (chat->names_open, room);
  else
    g_hash_table_remove (chat->names_open, room);
}

static void
room_info_free (TeaRoomInfo *info)
{
  g_free (info->name);
  g_free (info->topic);
  g_free (info);
}

static void
handle_rooms (TeaChat *chat, const TeaMessage *msg)
{
  g_autoptr (GPtrArray) done = NULL;
  TeaReader r;
  TeaStr name, topic;
  guint32 members;

  if (chat->room_list == NULL)
    chat->room_list = g_ptr_array_new_with_free_func ((GDestroyNotify) room_info_free);
  tea_reader_init (&r, msg->list.entries, msg->list.entries_len);
  while (tea_rooms_entry_next (&r, &name, &members, &topic))
    {
      TeaRoomInfo *info = g_new0 (TeaRoomInfo, 1);

      info->name = tea_str_dup (name);
      info->members = members;
      info->topic = tea_str_dup (topic);
      g_ptr_array_add (chat->room_list, info);
    }
  if (msg->list.more)
    return;
  done = g_steal_pointer (&chat->room_list);
  g_signal_emit (chat, signals[SIGNAL_ROOM_LIST], 0, done);
}

static void
handle_private (TeaChat *chat, const TeaMessage *msg)
{
  g_autofree char *from = tea_str_dup (msg->private_msg.from);
  g_autofree char *text = tea_str_dup (msg->private_msg.text);
  TeaRoom *room = tea_chat_open_private (chat, from);
  g_autoptr (TeaChatMessage) message =
    tea_chat_message_new (msg->private_msg.kind == TEA_TEXT_KIND_ACTION ? TEA_CHAT_MESSAGE_ACTION : TEA_CHAT_MESSAGE_TEXT,
                          0, msg->private_msg.time_ms, from, text);

  tea_chat_message_set_unencrypted (message, msg->private_msg.from_flags & TEA_MEMBER_FLAG_UNENCRYPTED);
  /* A private message is meant for you: it notifies like a mention. */
  tea_chat_message_set_mention (message, TRUE);
  add_line (chat, room, message);
}

static void
handle_notice (TeaChat *chat, const TeaMessage *msg)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (chat->rooms));

  for (guint i = 0; i < n; i++)
    {
      g_autoptr (TeaRoom) room = g_list_model_get_item (G_LIST_MODEL (chat->rooms), i);
      add_status (chat, room, tea_code_describe (msg->notice.code));
    }
}

static void
on_message (TeaClient *client, gpointer msg_ptr, gpointer user_data)
{
  TeaChat *chat = user_data;
  const TeaMessage *msg = msg_ptr;

  switch (msg->type)
    {
    case TEA_MSG_OK:
      handle_ok (chat, msg);
      break;
    case TEA_MSG_ERROR:
      handle_error (chat, msg);
      break;
    case TEA_MSG_JOINED:
      handle_joined (chat, msg);
      break;
    case TEA_MSG_NAMES_REPLY:
      handle_names (chat, msg);
      break;
    case TEA_MSG_ROOMS_REPLY:
      handle_rooms (chat, msg);
      break;
    case TEA_MSG_PRIVATE:
      handle_private (chat, msg);
      break;
    case TEA_MSG_NOTICE:
      handle_notice (chat, msg);
      break;
    default:
      break;
    }
  if (msg->type == TEA_MSG_OK || msg->type == TEA_MSG_ERROR)
    g_hash_table_remove (chat->requests, GUINT_TO_POINTER (msg->req_id));
}

static void
on_state (GObject *object, GParamSpec *pspec, gpointer user_data)
{
  TeaChat *chat = user_data;
  TeaClientState state = tea_client_get_state (chat->client);
  guint n = g_list_model_get_n_items (G_LIST_MODEL (chat->rooms));

  for (guint i = 0; i < n; i++)
    {
      g_autoptr (TeaRoom) room = g_list_model_get_item (G_LIST_MODEL (chat->rooms), i);
      TeaOutbox *outbox = g_hash_table_lookup (chat->outboxes, room);

      if (state != TEA_CLIENT_STATE_CONNECTED)
        {
          tea_room_set_joined (room, tea_chat_room_is_private (chat, room));
          tea_outbox_session_lost (outbox);
        }
      else if (tea_chat_room_is_private (chat, room))
        {
          /* No catch-up for a conversation: a line lost in flight is
           * unknowable; the rest go out now. Rooms wait for theirs. */
          tea_outbox_catch_up_done (outbox, FALSE);
        }
    }
  g_object_notify_by_pspec (G_OBJECT (chat), properties[PROP_STATE]);
}

/* ---- GObject ----------------------------------------------------------- */

static void
tea_chat_dispose (GObject *object)
{
  TeaChat *chat = TEA_CHAT (object);

  if (chat->client)
    g_signal_handlers_disconnect_by_data (chat->client, chat);
  g_clear_object (&chat->client);
  G_OBJECT_CLASS (tea_chat_parent_class)->dispose (object);
}

static void
tea_chat_finalize (GObject *object)
{
  TeaChat *chat = TEA_CHAT (object);

  g_object_unref (chat->rooms);
  g_hash_table_unref (chat->private_rooms);
  g_hash_table_unref (chat->requests);
  g_hash_table_unref (chat->names_open);
  g_clear_pointer (&chat->room_list, g_ptr_array_unref);
  g_hash_table_unref (chat->outboxes);
  G_OBJECT_CLASS (tea_chat_parent_class)->finalize (object);
}

static void
tea_chat_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  TeaChat *chat = TEA_CHAT (object);

  switch (prop_id)
    {
    case PROP_STATE:
      g_value_set_int (value, chat->client ? tea_client_get_state (chat->client) : 0);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tea_chat_class_init (TeaChatClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = tea_chat_dispose;
  object_class->finalize = tea_chat_finalize;
  object_class->get_property = tea_chat_get_property;
  properties[PROP_STATE] = g_param_spec_int ("state", NULL, NULL, 0, TEA_CLIENT_STATE_FAILED, 0,
                                             G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * TeaChat::message-added:
   *
   * A line was added to a room (for notifications and announcements).
   */
  signals[SIGNAL_MESSAGE_ADDED] = g_signal_new ("message-added", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                                0, NULL, NULL, NULL, G_TYPE_NONE, 2, TEA_TYPE_ROOM,
                                                TEA_TYPE_CHAT_MESSAGE);
  /**
   * TeaChat::room-list:
   * @rooms: (type gpointer): a GPtrArray of TeaRoomInfo, valid during emission
   *
   * The relay's rooms, after tea_chat_list_rooms().
   */
  signals[SIGNAL_ROOM_LIST] = g_signal_new ("room-list", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                            0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_POINTER);
}

static void
tea_chat_init (TeaChat *chat)
{
  chat->rooms = g_list_store_new (TEA_TYPE_ROOM);
  chat->private_rooms = g_hash_table_new (NULL, NULL);
  chat->requests = g_hash_table_new (NULL, NULL);
  chat->names_open = g_hash_table_new (NULL, NULL);
  chat->outboxes = g_hash_table_new_full (NULL, NULL, NULL, g_object_unref);
}

TeaChat *
tea_chat_new (const char *host, guint16 port, const char *nick, TeaKnownServers *known)
{
  TeaChat *chat = g_object_new (TEA_TYPE_CHAT, NULL);

  chat->client = tea_client_new (host, port, nick);
  tea_client_set_known_servers (chat->client, known);
  tea_client_set_client_name (chat->client, "teahouse/" PACKAGE_VERSION);
  g_signal_connect (chat->client, "event", G_CALLBACK (on_event), chat);
  g_signal_connect (chat->client, "gap", G_CALLBACK (on_gap), chat);
  g_signal_connect (chat->client, "message", G_CALLBACK (on_message), chat);
  g_signal_connect (chat->client, "notify::state", G_CALLBACK (on_state), chat);
  return chat;
}

TeaClient *
tea_chat_get_client (TeaChat *chat)
{
  return chat->client;
}

const char *
tea_chat_get_nick (TeaChat *chat)
{
  return tea_client_get_nick (chat->client);
}

GListModel *
tea_chat_get_rooms (TeaChat *chat)
{
  return G_LIST_MODEL (chat->rooms);
}

void
tea_chat_connect (TeaChat *chat)
{
  tea_client_connect (chat->client);
}

void
tea_chat_disconnect (TeaChat *chat, const char *reason)
{
  tea_client_disconnect (chat->client, reason);
}

static void
track (TeaChat *chat, TeaRoom *room, guint32 req_id)
{
  if (req_id)
    g_hash_table_insert (chat->requests, GUINT_TO_POINTER (req_id), room);
}

static void
on_outbox_sent (TeaOutbox *outbox, TeaRoom *room, guint32 req_id, gpointer user_data)
{
  track (user_data, room, req_id);
}

/* Takes the new room (a reference) into the list, with its outbox. */
static void
add_room (TeaChat *chat, TeaRoom *room, gboolean private_conversation)
{
  TeaOutbox *outbox = tea_outbox_new (chat->client, room, private_conversation, on_outbox_sent, chat);

  if (private_conversation)
    g_hash_table_add (chat->private_rooms, room);
  g_hash_table_insert (chat->outboxes, room, outbox);
  /* A conversation takes lines whenever there is a session; a room only
   * once joined and caught up (handle_names). */
  tea_outbox_set_ready (outbox, private_conversation && tea_client_get_state (chat->client) == TEA_CLIENT_STATE_CONNECTED);
  g_list_store_append (chat->rooms, room);
  g_object_unref (room);
}

static void
remove_room (TeaChat *chat, guint position)
{
  g_autoptr (TeaRoom) room = g_list_model_get_item (G_LIST_MODEL (chat->rooms), position);
  GHashTableIter iter;
  gpointer value;

  /* Answers still to come for this room go nowhere. */
  g_hash_table_iter_init (&iter, chat->requests);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (value == room)
      g_hash_table_iter_remove (&iter);
  g_hash_table_remove (chat->outboxes, room);
  g_hash_table_remove (chat->private_rooms, room);
  g_hash_table_remove (chat->names_open, room);
  g_list_store_remove (chat->rooms, position);
}

TeaRoom *
tea_chat_join (TeaChat *chat, const char *name)
{
  TeaRoom *room = find_room (chat, name, NULL);

  if (room)
    return room;
  room = tea_room_new (name);
  add_room (chat, room, FALSE);
  track (chat, room, tea_client_join (chat->client, name, JOIN_HISTORY));
  return room;
}

TeaRoom *
tea_chat_open_private (TeaChat *chat, const char *nick)
{
  TeaRoom *room = find_room_of_kind (chat, nick, TRUE, NULL);

  if (room)
    return room;
  room = tea_room_new (nick);
  tea_room_set_joined (room, TRUE);
  add_room (chat, room, TRUE);
  return room;
}

void
tea_chat_part (TeaChat *chat, TeaRoom *room, const char *reason)
{
  guint position;

  if (tea_chat_room_is_private (chat, room) || !tea_room_get_joined (room))
    {
      /* Not on the relay (a conversation, or not joined yet): just close. */
      if (!tea_chat_room_is_private (chat, room))
        tea_client_forget_room (chat->client, tea_room_get_name (room));
      if (g_list_store_find (chat->rooms, room, &position))
        remove_room (chat, position);
      return;
    }
  track (chat, room, tea_client_part (chat->client, tea_room_get_name (room), reason));
}

/* Shows the line at once as pending; the relay's OK and event confirm it. */
static void
say (TeaChat *chat, TeaRoom *room, const char *text, TeaTextKind kind)
{
  g_autoptr (TeaChatMessage) message =
    tea_chat_message_new (kind == TEA_TEXT_KIND_ACTION ? TEA_CHAT_MESSAGE_ACTION : TEA_CHAT_MESSAGE_TEXT, 0,
                          g_get_real_time () / 1000, tea_client_get_nick (chat->client), text);

  tea_chat_message_set_own (message, TRUE);
  add_line (chat, room, message);
  tea_outbox_push (g_hash_table_lookup (chat->outboxes, room), message);
}

void
tea_chat_retry (TeaChat *chat, TeaRoom *room, TeaChatMessage *message)
{
  if (tea_chat_message_get_state (message) != TEA_CHAT_MESSAGE_FAILED)
    return;
  tea_outbox_push (g_hash_table_lookup (chat->outboxes, room), message);
}

/* Requests other than lines are not held while disconnected: the person
 * is told, and tries again when the connection is back. */
static gboolean
sent_or_say_why (TeaChat *chat, TeaRoom *room, guint32 req, GError **error)
{
  if (req == 0)
    {
      g_set_error_literal (error, tea_chat_error_quark (), 0,
                           _("Not connected right now; try again once the connection is back"));
      return FALSE;
    }
  track (chat, room, req);
  return TRUE;
}

gboolean
tea_chat_edit (TeaChat *chat, TeaRoom *room, TeaChatMessage *message, const char *text, GError **error)
{
  return sent_or_say_why (chat, room,
                          tea_client_edit (chat->client, tea_room_get_name (room),
                                           tea_chat_message_get_seq (message), text),
                          error);
}

gboolean
tea_chat_delete (TeaChat *chat, TeaRoom *room, TeaChatMessage *message, GError **error)
{
  return sent_or_say_why (chat, room,
                          tea_client_delete (chat->client, tea_room_get_name (room),
                                             tea_chat_message_get_seq (message)),
                          error);
}

void
tea_chat_list_rooms (TeaChat *chat)
{
  tea_client_list (chat->client);
}

/* ---- Slash commands ---------------------------------------------------- */

static gboolean
usage (GError **error, const char *text)
{
  g_set_error_literal (error, tea_chat_error_quark (), 0, text);
  return FALSE;
}

static void
show_names (TeaChat *chat, TeaRoom *room)
{
  g_autoptr (GString) names = g_string_new (NULL);
  GListModel *members = tea_room_get_members (room);
  g_autofree char *line = NULL;

  for (guint i = 0; i < g_list_model_get_n_items (members); i++)
    {
      g_autoptr (TeaMember) member = g_list_model_get_item (members, i);

      if (names->len)
        g_string_append (names, ", ");
      g_string_append (names, tea_member_get_nick (member));
    }
  /* Translators: followed by the list of nicknames in the room */
  line = g_strdup_printf (_("In the room: %s"), names->str);
  add_status (chat, room, line);
}

static gboolean
run_command (TeaChat *chat, TeaRoom *room, const char *command, const char *rest, GError **error)
{
  if (g_str_equal (command, "me"))
    {
      if (*rest == '\0')
        return usage (error, _("Usage: /me ACTION"));
      say (chat, room, rest, TEA_TEXT_KIND_ACTION);
    }
  else if (g_str_equal (command, "join"))
    {
      if (*rest == '\0' || strchr (rest, ' '))
        return usage (error, _("Usage: /join ROOM"));
      tea_chat_join (chat, rest);
    }
  else if (g_str_equal (command, "part") || g_str_equal (command, "leave"))
    tea_chat_part (chat, room, rest);
  else if (g_str_equal (command, "nick"))
    {
      if (*rest == '\0' || strchr (rest, ' '))
        return usage (error, _("Usage: /nick NAME"));
      return sent_or_say_why (chat, room, tea_client_change_nick (chat->client, rest), error);
    }
  else if (g_str_equal (command, "msg") || g_str_equal (command, "query"))
    {
      const char *space = strchr (rest, ' ');
      g_autofree char *nick = space ? g_strndup (rest, space - rest) : g_strdup (rest);
      TeaRoom *conversation;

      if (*nick == '\0')
        return usage (error, _("Usage: /msg NICK TEXT"));
      conversation = tea_chat_open_private (chat, nick);
      if (space && space[1])
        say (chat, conversation, space + 1, TEA_TEXT_KIND_MESSAGE);
    }
  else if (g_str_equal (command, "topic"))
    return sent_or_say_why (chat, room, tea_client_set_topic (chat->client, tea_room_get_name (room), rest), error);
  else if (g_str_equal (command, "names"))
    show_names (chat, room);
  else if (g_str_equal (command, "list"))
    tea_chat_list_rooms (chat);
  else if (g_str_equal (command, "quit"))
    tea_chat_disconnect (chat, rest);
  else
    return usage (error, _("Commands: /join ROOM, /part [REASON], /nick NAME, /msg NICK TEXT, "
                           "/me ACTION, /topic [TEXT], /names, /list, /quit [REASON]"));
  return TRUE;
}

gboolean
tea_chat_send (TeaChat *chat, TeaRoom *room, const char *line, GError **error)
{
  if (line[0] == '/' && line[1] != '/')
    {
      const char *space = strchr (line, ' ');
      g_autofree char *command = space ? g_strndup (line + 1, space - line - 1) : g_strdup (line + 1);
      g_autofree char *lower = g_ascii_strdown (command, -1);
      const char *rest = space ? space + 1 : "";

      while (*rest == ' ')
        rest++;
      return run_command (chat, room, lower, rest, error);
    }
  say (chat, room, line[0] == '/' ? line + 1 : line, TEA_TEXT_KIND_MESSAGE);
  return TRUE;
}
