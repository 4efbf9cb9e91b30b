/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * How one line of a room looks: avatar and name at the start of a group,
 * the text with clickable links (and nothing else interpreted as markup),
 * the delivery state of one's own messages, notices, day separators and
 * gaps. Rows are recycled (see TeaMessageSlot); set_message rebinds one.
 */
#pragma once

#include <gtk/gtk.h>

#include "tea-chat-message.h"

G_BEGIN_DECLS

#define TEA_TYPE_MESSAGE_ROW (tea_message_row_get_type ())
G_DECLARE_FINAL_TYPE (TeaMessageRow, tea_message_row, TEA, MESSAGE_ROW, GtkWidget)

TeaMessageRow *tea_message_row_new (void);
void tea_message_row_set_message (TeaMessageRow *row, TeaChatMessage *message);
TeaChatMessage *tea_message_row_get_message (TeaMessageRow *row);
/* Whether the row shows message as it is now. */
gboolean tea_message_row_shows (TeaMessageRow *row, TeaChatMessage *message);

/* Pango markup for chat text: everything escaped, URLs made links. */
char *tea_text_to_markup (const char *text);
/* The CSS color class (color-0 … color-7) a nick is drawn with. */
guint tea_nick_color (const char *nick);

G_END_DECLS
