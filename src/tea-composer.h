/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Where the user writes: a multi-line GtkTextView (so input methods work as
 * everywhere else), Enter to send and Shift+Enter for a new line, a draft
 * kept per room, input history, nick completion with Tab, an emoji
 * chooser, editing one's last message, and a counter near the size limit.
 */
#pragma once

#include <gtk/gtk.h>

#include "tea-room.h"

G_BEGIN_DECLS

#define TEA_TYPE_COMPOSER (tea_composer_get_type ())
G_DECLARE_FINAL_TYPE (TeaComposer, tea_composer, TEA, COMPOSER, GtkWidget)

/* Saves the draft of the room it had, and shows this room's. */
void tea_composer_set_room (TeaComposer *composer, TeaRoom *room);
char *tea_composer_get_text (TeaComposer *composer);
void tea_composer_set_text (TeaComposer *composer, const char *text);
/* Editing: the next send replaces message instead of adding a line. */
void tea_composer_begin_edit (TeaComposer *composer, TeaChatMessage *message);
void tea_composer_end_edit (TeaComposer *composer);
TeaChatMessage *tea_composer_get_editing (TeaComposer *composer);
GtkTextView *tea_composer_get_text_view (TeaComposer *composer);
gboolean tea_composer_grab_focus (TeaComposer *composer);

G_END_DECLS
