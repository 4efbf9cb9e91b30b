/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "tea-member.h"
#include "tea-names.h"
#include "tea-room.h"

#define MAX_INPUT_HISTORY 200

struct _TeaRoom
{
  GObject parent_instance;

  char *name;
  char *topic;
  TeaMessageList *messages;
  GListStore *members;
  guint unread;
  guint mentions;
  gboolean active;
  gboolean joined;
  char *draft;
  GPtrArray *input_history;
  TeaNotifyLevel notify_level;
};

enum {
  PROP_0,
  PROP_NAME,
  PROP_TOPIC,
  PROP_UNREAD,
  PROP_MENTIONS,
  PROP_JOINED,
  PROP_NOTIFY_LEVEL,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (TeaRoom, tea_room, G_TYPE_OBJECT)

static void
tea_room_finalize (GObject *object)
{
  TeaRoom *room = TEA_ROOM (object);

  g_free (room->name);
  g_free (room->topic);
  g_free (room->draft);
  g_object_unref (room->messages);
  g_object_unref (room->members);
  g_ptr_array_unref (room->input_history);
  G_OBJECT_CLASS (tea_room_parent_class)->finalize (object);
}

static void
tea_room_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  TeaRoom *room = TEA_ROOM (object);

  switch (prop_id)
    {
    case PROP_NAME:
      g_value_set_string (value, room->name);
      break;
    case PROP_TOPIC:
      g_value_set_string (value, room->topic);
      break;
    case PROP_UNREAD:
      g_value_set_uint (value, room->unread);
      break;
    case PROP_MENTIONS:
      g_value_set_uint (value, room->mentions);
      break;
    case PROP_JOINED:
      g_value_set_boolean (value, room->joined);
      break;
    case PROP_NOTIFY_LEVEL:
      g_value_set_int (value, room->notify_level);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tea_room_class_init (TeaRoomClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags flags = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->finalize = tea_room_finalize;
  object_class->get_property = tea_room_get_property;
  properties[PROP_NAME] = g_param_spec_string ("name", NULL, NULL, NULL, flags);
  properties[PROP_TOPIC] = g_param_spec_string ("topic", NULL, NULL, NULL, flags);
  properties[PROP_UNREAD] = g_param_spec_uint ("unread", NULL, NULL, 0, G_MAXUINT, 0, flags);
  properties[PROP_MENTIONS] = g_param_spec_uint ("mentions", NULL, NULL, 0, G_MAXUINT, 0, flags);
  properties[PROP_JOINED] = g_param_spec_boolean ("joined", NULL, NULL, FALSE, flags);
  properties[PROP_NOTIFY_LEVEL] = g_param_spec_int ("notify-level", NULL, NULL, 0, 2, 1, flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
tea_room_init (TeaRoom *room)
{
  room->topic = g_strdup ("");
  room->messages = tea_message_list_new ();
  room->members = g_list_store_new (TEA_TYPE_MEMBER);
  room->input_history = g_ptr_array_new_with_free_func (g_free);
  room->notify_level = TEA_NOTIFY_MENTIONS;
}

TeaRoom *
tea_room_new (const char *name)
{
  TeaRoom *room = g_object_new (TEA_TYPE_ROOM, NULL);

  room->name = g_strdup (name);
  return room;
}

const char *
tea_room_get_name (TeaRoom *room)
{
  return room->name;
}

void
tea_room_set_name (TeaRoom *room, const char *name)
{
  if (g_strcmp0 (room->name, name) == 0)
    return;
  g_free (room->name);
  room->name = g_strdup (name);
  g_object_notify_by_pspec (G_OBJECT (room), properties[PROP_NAME]);
}

const char *
tea_room_get_topic (TeaRoom *room)
{
  return room->topic;
}

void
tea_room_set_topic (TeaRoom *room, const char *topic)
{
  if (g_strcmp0 (room->topic, topic) == 0)
    return;
  g_free (room->topic);
  room->topic = g_strdup (topic ? topic : "");
  g_object_notify_by_pspec (G_OBJECT (room), properties[PROP_TOPIC]);
}

TeaMessageList *
tea_room_get_messages (TeaRoom *room)
{
  return room->messages;
}

GListModel *
tea_room_get_members (TeaRoom *room)
{
  return G_LIST_MODEL (room->members);
}

guint
tea_room_get_unread (TeaRoom *room)
{
  return room->unread;
}

guint
tea_room_get_mentions (TeaRoom *room)
{
  return room->mentions;
}

void
tea_room_mark_read (TeaRoom *room)
{
  if (room->unread)
    {
      room->unread = 0;
      g_object_notify_by_pspec (G_OBJECT (room), properties[PROP_UNREAD]);
    }
  if (room->mentions)
    {
      room->mentions = 0;
      g_object_notify_by_pspec (G_OBJECT (room), properties[PROP_MENTIONS]);
    }
}

void
tea_room_set_active (TeaRoom *room, gboolean active)
{
  room->active = active;
  if (active)
    tea_room_mark_read (room);
}

gboolean
tea_room_get_active (TeaRoom *room)
{
  return room->active;
}

gboolean
tea_room_get_joined (TeaRoom *room)
{
  return room->joined;
}

void
tea_room_set_joined (TeaRoom *room, gboolean joined)
{
  if (room->joined == joined)
    return;
  room->joined = joined;
  g_object_notify_by_pspec (G_OBJECT (room), properties[PROP_JOINED]);
}

void
tea_room_add_message (TeaRoom *room, TeaChatMessage *message)
{
  TeaChatMessageKind kind = tea_chat_message_get_kind (message);

  tea_message_list_append (room->messages, message);
  if (room->active || tea_chat_message_get_own (message) ||
      (kind != TEA_CHAT_MESSAGE_TEXT && kind != TEA_CHAT_MESSAGE_ACTION))
    return;
  room->unread++;
  g_object_notify_by_pspec (G_OBJECT (room), properties[PROP_UNREAD]);
  if (tea_chat_message_get_mention (message))
    {
      room->mentions++;
      g_object_notify_by_pspec (G_OBJECT (room), properties[PROP_MENTIONS]);
    }
}

static gint
compare_members (gconstpointer a, gconstpointer b, gpointer user_data)
{
  g_autofree char *ka = g_utf8_casefold (tea_member_get_nick ((TeaMember *) a), -1);
  g_autofree char *kb = g_utf8_casefold (tea_member_get_nick ((TeaMember *) b), -1);

  return g_utf8_collate (ka, kb);
}

static gboolean
find_member (TeaRoom *room, const char *nick, guint *position)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (room->members));

  for (guint i = 0; i < n; i++)
    {
      g_autoptr (TeaMember) member = g_list_model_get_item (G_LIST_MODEL (room->members), i);

      if (tea_names_equal (tea_member_get_nick (member), -1, nick, -1))
        {
          *position = i;
          return TRUE;
        }
    }
  return FALSE;
}

void
tea_room_clear_members (TeaRoom *room)
{
  g_list_store_remove_all (room->members);
}

void
tea_room_add_member (TeaRoom *room, const char *nick, gboolean unencrypted)
{
  g_autoptr (TeaMember) member = NULL;
  guint position;

  if (find_member (room, nick, &position))
    return;
  member = tea_member_new (nick, unencrypted);
  g_list_store_insert_sorted (room->members, member, compare_members, NULL);
}

void
tea_room_remove_member (TeaRoom *room, const char *nick)
{
  guint position;

  if (find_member (room, nick, &position))
    g_list_store_remove (room->members, position);
}

void
tea_room_rename_member (TeaRoom *room, const char *old_nick, const char *new_nick)
{
  guint position;
  gboolean unencrypted = FALSE;

  if (find_member (room, old_nick, &position))
    {
      g_autoptr (TeaMember) member = g_list_model_get_item (G_LIST_MODEL (room->members), position);

      unencrypted = tea_member_get_unencrypted (member);
      g_list_store_remove (room->members, position);
    }
  tea_room_add_member (room, new_nick, unencrypted);
}

GPtrArray *
tea_room_complete_nick (TeaRoom *room, const char *prefix)
{
  GPtrArray *matches = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *folded_prefix = g_utf8_casefold (prefix, -1);
  guint n = g_list_model_get_n_items (G_LIST_MODEL (room->members));

  for (guint i = 0; i < n; i++)
    {
      g_autoptr (TeaMember) member = g_list_model_get_item (G_LIST_MODEL (room->members), i);
      g_autofree char *folded = g_utf8_casefold (tea_member_get_nick (member), -1);

      if (g_str_has_prefix (folded, folded_prefix))
        g_ptr_array_add (matches, g_strdup (tea_member_get_nick (member)));
    }
  return matches;
}

const char *
tea_room_get_draft (TeaRoom *room)
{
  return room->draft ? room->draft : "";
}

void
tea_room_set_draft (TeaRoom *room, const char *draft)
{
  g_free (room->draft);
  room->draft = g_strdup (draft);
}

void
tea_room_remember_input (TeaRoom *room, const char *line)
{
  if (room->input_history->len > 0 &&
      g_strcmp0 (g_ptr_array_index (room->input_history, room->input_history->len - 1), line) == 0)
    return;
  g_ptr_array_add (room->input_history, g_strdup (line));
  if (room->input_history->len > MAX_INPUT_HISTORY)
    g_ptr_array_remove_index (room->input_history, 0);
}

GPtrArray *
tea_room_get_input_history (TeaRoom *room)
{
  return room->input_history;
}

TeaNotifyLevel
tea_room_get_notify_level (TeaRoom *room)
{
  return room->notify_level;
}

void
tea_room_set_notify_level (TeaRoom *room, TeaNotifyLevel level)
{
  if (room->notify_level == level)
    return;
  room->notify_level = level;
  g_object_notify_by_pspec (G_OBJECT (room), properties[PROP_NOTIFY_LEVEL]);
}
