/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The window that lists the relay's rooms, busiest first, to search and
 * join one.
 */
#pragma once

#include <gtk/gtk.h>

#include "tea-chat.h"

G_BEGIN_DECLS

#define TEA_TYPE_ROOM_BROWSER (tea_room_browser_get_type ())
G_DECLARE_FINAL_TYPE (TeaRoomBrowser, tea_room_browser, TEA, ROOM_BROWSER, GtkWindow)

TeaRoomBrowser *tea_room_browser_new (TeaChat *chat);

G_END_DECLS
