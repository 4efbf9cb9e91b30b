/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A room as the desktop client keeps it: its lines, its members, what is
 * unread, the user's draft and input history, and how it notifies.
 */
#pragma once

#include <gio/gio.h>

#include "tea-chat-message.h"
#include "tea-message-list.h"

G_BEGIN_DECLS

typedef enum {
  TEA_NOTIFY_ALL,
  TEA_NOTIFY_MENTIONS,
  TEA_NOTIFY_OFF,
} TeaNotifyLevel;

#define TEA_TYPE_ROOM (tea_room_get_type ())
G_DECLARE_FINAL_TYPE (TeaRoom, tea_room, TEA, ROOM, GObject)

TeaRoom *tea_room_new (const char *name);
const char *tea_room_get_name (TeaRoom *room);
void tea_room_set_name (TeaRoom *room, const char *name);
const char *tea_room_get_topic (TeaRoom *room);
void tea_room_set_topic (TeaRoom *room, const char *topic);
TeaMessageList *tea_room_get_messages (TeaRoom *room);
/* TeaMember, sorted by name. */
GListModel *tea_room_get_members (TeaRoom *room);

guint tea_room_get_unread (TeaRoom *room);
guint tea_room_get_mentions (TeaRoom *room);
/* While a room is shown in a focused window nothing counts as unread. */
void tea_room_set_active (TeaRoom *room, gboolean active);
gboolean tea_room_get_active (TeaRoom *room);
void tea_room_mark_read (TeaRoom *room);
/* In the room on the relay right now (FALSE while reconnecting). */
gboolean tea_room_get_joined (TeaRoom *room);
void tea_room_set_joined (TeaRoom *room, gboolean joined);

/* Adds a line; counts it as unread or as a mention if it is one. */
void tea_room_add_message (TeaRoom *room, TeaChatMessage *message);

void tea_room_clear_members (TeaRoom *room);
void tea_room_add_member (TeaRoom *room, const char *nick, gboolean unencrypted);
void tea_room_remove_member (TeaRoom *room, const char *nick);
void tea_room_rename_member (TeaRoom *room, const char *old_nick, const char *new_nick);
/* Nicks starting with prefix (case-insensitive), for completion. */
GPtrArray *tea_room_complete_nick (TeaRoom *room, const char *prefix);

const char *tea_room_get_draft (TeaRoom *room);
void tea_room_set_draft (TeaRoom *room, const char *draft);
/* Lines the user sent here, oldest first. */
void tea_room_remember_input (TeaRoom *room, const char *line);
GPtrArray *tea_room_get_input_history (TeaRoom *room);

TeaNotifyLevel tea_room_get_notify_level (TeaRoom *room);
void tea_room_set_notify_level (TeaRoom *room, TeaNotifyLevel level);

G_END_DECLS
