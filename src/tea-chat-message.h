/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One line of a room as the window shows it: a message, an action, a
 * notice, a day separator or a gap marker. Immutable except for the
 * delivery state and edits, which the list model announces as changes.
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

typedef enum {
  TEA_CHAT_MESSAGE_TEXT,
  TEA_CHAT_MESSAGE_ACTION,
  TEA_CHAT_MESSAGE_NOTICE, /* joins, leaves, nick and topic changes */
  TEA_CHAT_MESSAGE_DAY,    /* a day separator */
  TEA_CHAT_MESSAGE_GAP,    /* messages that could not be recovered */
  TEA_CHAT_MESSAGE_STATUS, /* what this client says: connection lost, errors */
} TeaChatMessageKind;

typedef enum {
  TEA_CHAT_MESSAGE_DELIVERED,
  TEA_CHAT_MESSAGE_PENDING, /* own message, not yet acknowledged by the relay */
  TEA_CHAT_MESSAGE_FAILED,  /* own message the relay refused or never got */
} TeaChatMessageState;

#define TEA_TYPE_CHAT_MESSAGE (tea_chat_message_get_type ())
G_DECLARE_FINAL_TYPE (TeaChatMessage, tea_chat_message, TEA, CHAT_MESSAGE, GObject)

TeaChatMessage *tea_chat_message_new (TeaChatMessageKind kind, guint64 seq, gint64 time_ms,
                                      const char *nick, const char *text);
TeaChatMessageKind tea_chat_message_get_kind (TeaChatMessage *message);
guint64 tea_chat_message_get_seq (TeaChatMessage *message);
void tea_chat_message_set_seq (TeaChatMessage *message, guint64 seq);
gint64 tea_chat_message_get_time (TeaChatMessage *message);
const char *tea_chat_message_get_nick (TeaChatMessage *message);
const char *tea_chat_message_get_text (TeaChatMessage *message);
void tea_chat_message_set_text (TeaChatMessage *message, const char *text);

TeaChatMessageState tea_chat_message_get_state (TeaChatMessage *message);
void tea_chat_message_set_state (TeaChatMessage *message, TeaChatMessageState state);
/* Why a FAILED message failed, in words. */
const char *tea_chat_message_get_error (TeaChatMessage *message);
void tea_chat_message_set_error (TeaChatMessage *message, const char *error);
guint32 tea_chat_message_get_req_id (TeaChatMessage *message);
void tea_chat_message_set_req_id (TeaChatMessage *message, guint32 req_id);

gboolean tea_chat_message_get_own (TeaChatMessage *message);
void tea_chat_message_set_own (TeaChatMessage *message, gboolean own);
gboolean tea_chat_message_get_mention (TeaChatMessage *message);
void tea_chat_message_set_mention (TeaChatMessage *message, gboolean mention);
gboolean tea_chat_message_get_unencrypted (TeaChatMessage *message);
void tea_chat_message_set_unencrypted (TeaChatMessage *message, gboolean unencrypted);
/* The first of a run of messages by one person (the row shows the name). */
gboolean tea_chat_message_get_first_in_group (TeaChatMessage *message);
void tea_chat_message_set_first_in_group (TeaChatMessage *message, gboolean first);
gboolean tea_chat_message_get_edited (TeaChatMessage *message);
gboolean tea_chat_message_get_deleted (TeaChatMessage *message);
void tea_chat_message_mark_edited (TeaChatMessage *message, const char *text);
void tea_chat_message_mark_deleted (TeaChatMessage *message);
/* Joins, leaves and nick changes, hidden when the user asks. */
gboolean tea_chat_message_get_is_presence (TeaChatMessage *message);
void tea_chat_message_set_is_presence (TeaChatMessage *message, gboolean presence);
/* Changes with every setter: a view that remembers the revision it showed
 * knows whether it is still current. */
guint tea_chat_message_get_revision (TeaChatMessage *message);

/* Whole-word, case-insensitive: does text mention nick? */
gboolean tea_text_mentions (const char *text, const char *nick);

/* A time in milliseconds since 1970 in the local time zone, or NULL. */
GDateTime *tea_local_date_time (gint64 time_ms);

G_END_DECLS
