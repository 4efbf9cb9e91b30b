/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What a message list's item shows: a TeaMessageRow, and the one it showed
 * before, kept laid out. GTK 4.8's list view binds an item to the message
 * it had two frames earlier some thirty times a frame while scrolling; the
 * slot then shows the kept row again instead of building one anew.
 */
#pragma once

#include <gtk/gtk.h>

#include "tea-chat-message.h"
#include "tea-message-row.h"

G_BEGIN_DECLS

#define TEA_TYPE_MESSAGE_SLOT (tea_message_slot_get_type ())
G_DECLARE_FINAL_TYPE (TeaMessageSlot, tea_message_slot, TEA, MESSAGE_SLOT, GtkWidget)

GtkWidget *tea_message_slot_new (void);
void tea_message_slot_set_message (TeaMessageSlot *slot, TeaChatMessage *message);
/* The row shown. */
TeaMessageRow *tea_message_slot_get_row (TeaMessageSlot *slot);

G_END_DECLS
