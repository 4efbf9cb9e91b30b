/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A room in the sidebar: its name, and badges for unread messages and
 * mentions of the user.
 */
#pragma once

#include <gtk/gtk.h>

#include "tea-room.h"

G_BEGIN_DECLS

#define TEA_TYPE_ROOM_ROW (tea_room_row_get_type ())
G_DECLARE_FINAL_TYPE (TeaRoomRow, tea_room_row, TEA, ROOM_ROW, GtkListBoxRow)

TeaRoomRow *tea_room_row_new (TeaRoom *room, gboolean is_private);
TeaRoom *tea_room_row_get_room (TeaRoomRow *row);

G_END_DECLS
