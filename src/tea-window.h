/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The main window: the welcome page, and the chat: rooms in a sidebar, the
 * current room's messages and composer, its people, the connection's state
 * always in view, and a clear warning when a server's key changes.
 */
#pragma once

#include <gtk/gtk.h>

#include "tea-application.h"
#include "tea-chat.h"

G_BEGIN_DECLS

#define TEA_TYPE_WINDOW (tea_window_get_type ())
G_DECLARE_FINAL_TYPE (TeaWindow, tea_window, TEA, WINDOW, GtkApplicationWindow)

TeaWindow *tea_window_new (TeaApplication *app);
/* Accelerators for the win.* actions; called once at startup. */
void tea_window_add_accels (GtkApplication *app);
void tea_window_set_chat (TeaWindow *window, TeaChat *chat);
void tea_window_select_room (TeaWindow *window, const char *name);
TeaRoom *tea_window_get_room (TeaWindow *window);
void tea_window_show_welcome (TeaWindow *window);
void tea_window_show_error (TeaWindow *window, const char *title, const char *message);

/* Used by message rows. */
void tea_window_retry_message (TeaWindow *window, TeaChatMessage *message);
void tea_window_edit_message (TeaWindow *window, TeaChatMessage *message);
void tea_window_delete_message (TeaWindow *window, TeaChatMessage *message);
gboolean tea_window_can_edit (TeaWindow *window, TeaChatMessage *message);

G_END_DECLS
