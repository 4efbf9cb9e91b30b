/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The desktop client's conversation with one relay, without any widgets:
 * it turns TeaClient's events into rooms and lines, keeps own messages
 * pending until the relay confirms them, runs the slash commands, and
 * says what deserves a notification. The window only displays it.
 */
#pragma once

#include <gio/gio.h>

#include "tea-client.h"
#include "tea-room.h"

G_BEGIN_DECLS

#define TEA_TYPE_CHAT (tea_chat_get_type ())
G_DECLARE_FINAL_TYPE (TeaChat, tea_chat, TEA, CHAT, GObject)

typedef struct
{
  char *name;
  guint members;
  char *topic;
} TeaRoomInfo;

TeaChat *tea_chat_new (const char *host, guint16 port, const char *nick, TeaKnownServers *known);
TeaClient *tea_chat_get_client (TeaChat *chat);
const char *tea_chat_get_nick (TeaChat *chat);
/* TeaRoom: joined rooms and private conversations, in the order opened. */
GListModel *tea_chat_get_rooms (TeaChat *chat);
TeaRoom *tea_chat_find_room (TeaChat *chat, const char *name);

void tea_chat_connect (TeaChat *chat);
void tea_chat_disconnect (TeaChat *chat, const char *reason);
/* Opens (and joins) a room, or returns it if already open. */
TeaRoom *tea_chat_join (TeaChat *chat, const char *name);
void tea_chat_part (TeaChat *chat, TeaRoom *room, const char *reason);
/* A line the user typed in a room: text, or a /command. FALSE with an
 * error (in words) for an unknown command or wrong use. */
gboolean tea_chat_send (TeaChat *chat, TeaRoom *room, const char *line, GError **error);
void tea_chat_retry (TeaChat *chat, TeaRoom *room, TeaChatMessage *message);
/* Replaces or removes the user's latest message in a room. */
/* FALSE, with error, when there is no connection to send them on. */
gboolean tea_chat_edit (TeaChat *chat, TeaRoom *room, TeaChatMessage *message, const char *text, GError **error);
gboolean tea_chat_delete (TeaChat *chat, TeaRoom *room, TeaChatMessage *message, GError **error);
/* Asks the relay for its rooms; the answer comes as "room-list". */
void tea_chat_list_rooms (TeaChat *chat);
/* A private conversation; it is a TeaRoom that is not on the relay. */
TeaRoom *tea_chat_open_private (TeaChat *chat, const char *nick);
gboolean tea_chat_room_is_private (TeaChat *chat, TeaRoom *room);

G_END_DECLS
