/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "tea-chat-message.h"

struct _TeaChatMessage
{
  GObject parent_instance;

  TeaChatMessageKind kind;
  TeaChatMessageState state;
  guint64 seq;
  gint64 time_ms;
  char *nick;
  char *text;
  char *error;
  guint32 req_id;
  /* Counts changes, so that a view can tell its copy is current. */
  guint revision;
  guint own : 1;
  guint mention : 1;
  guint unencrypted : 1;
  guint first_in_group : 1;
  guint edited : 1;
  guint deleted : 1;
  guint presence : 1;
};

G_DEFINE_FINAL_TYPE (TeaChatMessage, tea_chat_message, G_TYPE_OBJECT)

static void
tea_chat_message_finalize (GObject *object)
{
  TeaChatMessage *message = TEA_CHAT_MESSAGE (object);

  g_free (message->nick);
  g_free (message->text);
  g_free (message->error);
  G_OBJECT_CLASS (tea_chat_message_parent_class)->finalize (object);
}

static void
tea_chat_message_class_init (TeaChatMessageClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = tea_chat_message_finalize;
}

static void
tea_chat_message_init (TeaChatMessage *message)
{
}

TeaChatMessage *
tea_chat_message_new (TeaChatMessageKind kind, guint64 seq, gint64 time_ms,
                      const char *nick, const char *text)
{
  TeaChatMessage *message = g_object_new (TEA_TYPE_CHAT_MESSAGE, NULL);

  message->kind = kind;
  message->seq = seq;
  message->time_ms = time_ms;
  message->nick = g_strdup (nick ? nick : "");
  message->text = g_strdup (text ? text : "");
  return message;
}

TeaChatMessageKind
tea_chat_message_get_kind (TeaChatMessage *message)
{
  return message->kind;
}

guint64
tea_chat_message_get_seq (TeaChatMessage *message)
{
  return message->seq;
}

void
tea_chat_message_set_seq (TeaChatMessage *message, guint64 seq)
{
  message->seq = seq;
  message->revision++;
}

gint64
tea_chat_message_get_time (TeaChatMessage *message)
{
  return message->time_ms;
}

const char *
tea_chat_message_get_nick (TeaChatMessage *message)
{
  return message->nick;
}

const char *
tea_chat_message_get_text (TeaChatMessage *message)
{
  return message->text;
}

void
tea_chat_message_set_text (TeaChatMessage *message, const char *text)
{
  g_free (message->text);
  message->text = g_strdup (text);
  message->revision++;
}

TeaChatMessageState
tea_chat_message_get_state (TeaChatMessage *message)
{
  return message->state;
}

void
tea_chat_message_set_state (TeaChatMessage *message, TeaChatMessageState state)
{
  message->state = state;
  message->revision++;
}

const char *
tea_chat_message_get_error (TeaChatMessage *message)
{
  return message->error;
}

void
tea_chat_message_set_error (TeaChatMessage *message, const char *error)
{
  g_free (message->error);
  message->error = g_strdup (error);
  message->revision++;
}

guint32
tea_chat_message_get_req_id (TeaChatMessage *message)
{
  return message->req_id;
}

void
tea_chat_message_set_req_id (TeaChatMessage *message, guint32 req_id)
{
  message->req_id = req_id;
  message->revision++;
}

gboolean
tea_chat_message_get_own (TeaChatMessage *message)
{
  return message->own;
}

void
tea_chat_message_set_own (TeaChatMessage *message, gboolean own)
{
  message->own = !!own;
  message->revision++;
}

gboolean
tea_chat_message_get_mention (TeaChatMessage *message)
{
  return message->mention;
}

void
tea_chat_message_set_mention (TeaChatMessage *message, gboolean mention)
{
  message->mention = !!mention;
  message->revision++;
}

gboolean
tea_chat_message_get_unencrypted (TeaChatMessage *message)
{
  return message->unencrypted;
}

void
tea_chat_message_set_unencrypted (TeaChatMessage *message, gboolean unencrypted)
{
  message->unencrypted = !!unencrypted;
  message->revision++;
}

gboolean
tea_chat_message_get_first_in_group (TeaChatMessage *message)
{
  return message->first_in_group;
}

void
tea_chat_message_set_first_in_group (TeaChatMessage *message, gboolean first)
{
  message->first_in_group = !!first;
  message->revision++;
}

gboolean
tea_chat_message_get_edited (TeaChatMessage *message)
{
  return message->edited;
}

gboolean
tea_chat_message_get_deleted (TeaChatMessage *message)
{
  return message->deleted;
}

void
tea_chat_message_mark_edited (TeaChatMessage *message, const char *text)
{
  tea_chat_message_set_text (message, text);
  message->edited = TRUE;
}

void
tea_chat_message_mark_deleted (TeaChatMessage *message)
{
  tea_chat_message_set_text (message, "");
  message->deleted = TRUE;
}

guint
tea_chat_message_get_revision (TeaChatMessage *message)
{
  return message->revision;
}

gboolean
tea_chat_message_get_is_presence (TeaChatMessage *message)
{
  return message->presence;
}

void
tea_chat_message_set_is_presence (TeaChatMessage *message, gboolean presence)
{
  message->presence = !!presence;
  message->revision++;
}

static gboolean
is_word_char (gunichar c)
{
  return g_unichar_isalnum (c) || c == '_' || c == '-';
}

gboolean
tea_text_mentions (const char *text, const char *nick)
{
  g_autofree char *folded_text = NULL;
  g_autofree char *folded_nick = NULL;
  gsize nick_len;

  if (text == NULL || nick == NULL || *nick == '\0')
    return FALSE;
  folded_text = g_utf8_casefold (text, -1);
  folded_nick = g_utf8_casefold (nick, -1);
  nick_len = strlen (folded_nick);
  for (const char *p = strstr (folded_text, folded_nick); p; p = strstr (p + 1, folded_nick))
    {
      const char *before = p > folded_text ? g_utf8_find_prev_char (folded_text, p) : NULL;
      const char *after = p + nick_len;

      /* "tea" must not match "teapot", nor "ateam". */
      if ((before == NULL || !is_word_char (g_utf8_get_char (before))) &&
          (*after == '\0' || !is_word_char (g_utf8_get_char (after))))
        return TRUE;
    }
  return FALSE;
}

/* GLib 2.74 reads the zone file again for each g_time_zone_new_local ()
 * while TZ is unset, and every message row shown formats two times; the
 * zone is kept for a minute, so a change of zone shows within one. */
static GTimeZone *
local_time_zone (void)
{
  static GTimeZone *zone;
  static gint64 loaded;
  gint64 now = g_get_monotonic_time ();

  if (zone == NULL || now - loaded > 60 * G_USEC_PER_SEC)
    {
      g_clear_pointer (&zone, g_time_zone_unref);
      zone = g_time_zone_new_local ();
      loaded = now;
    }
  return zone;
}

GDateTime *
tea_local_date_time (gint64 time_ms)
{
  g_autoptr (GDateTime) utc = g_date_time_new_from_unix_utc (time_ms / 1000);

  return utc ? g_date_time_to_timezone (utc, local_time_zone ()) : NULL;
}
