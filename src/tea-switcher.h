/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The quick switcher: type part of a room's name, pick it with the arrow
 * keys and Enter.
 */
#pragma once

#include <gtk/gtk.h>

#include "tea-room.h"

G_BEGIN_DECLS

#define TEA_TYPE_SWITCHER (tea_switcher_get_type ())
G_DECLARE_FINAL_TYPE (TeaSwitcher, tea_switcher, TEA, SWITCHER, GtkWindow)

/* rooms: a GListModel of TeaRoom */
TeaSwitcher *tea_switcher_new (GListModel *rooms);

G_END_DECLS
