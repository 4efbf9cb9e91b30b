/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The lines of one room, as a GListModel for GtkListView. An array, so
 * that a room of 100,000 messages costs O(1) per row the view asks for;
 * day separators and sender grouping are worked out as lines are added.
 */
#pragma once

#include <gio/gio.h>

#include "tea-chat-message.h"

G_BEGIN_DECLS

#define TEA_TYPE_MESSAGE_LIST (tea_message_list_get_type ())
G_DECLARE_FINAL_TYPE (TeaMessageList, tea_message_list, TEA, MESSAGE_LIST, GObject)

TeaMessageList *tea_message_list_new (void);
/* Appends a line, with a day separator first if the local date changed. */
void tea_message_list_append (TeaMessageList *list, TeaChatMessage *message);
/* Tells views that a line changed (state, text) so its row is redrawn. */
void tea_message_list_changed (TeaMessageList *list, TeaChatMessage *message);
/* Gives a line its seq (0: none), so tea_message_list_find_seq finds it. */
void tea_message_list_set_seq (TeaMessageList *list, TeaChatMessage *message, guint64 seq);
/* Moves a line to the end (an own message delivered after others). */
void tea_message_list_move_to_end (TeaMessageList *list, TeaChatMessage *message);
TeaChatMessage *tea_message_list_find_seq (TeaMessageList *list, guint64 seq);
/* The room's numbering started over (its relay restarted): the lines held
 * keep their place but are no longer found by seq. */
void tea_message_list_forget_seqs (TeaMessageList *list);
TeaChatMessage *tea_message_list_find_req (TeaMessageList *list, guint32 req_id);
/* The latest delivered TEXT or ACTION line written by nick, or NULL. */
TeaChatMessage *tea_message_list_last_own (TeaMessageList *list);
guint tea_message_list_get_n_items_fast (TeaMessageList *list);
TeaChatMessage *tea_message_list_get (TeaMessageList *list, guint position);

G_END_DECLS
