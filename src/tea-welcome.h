/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The first-run page: a nickname and a server, or hosting a room here.
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define TEA_TYPE_WELCOME (tea_welcome_get_type ())
G_DECLARE_FINAL_TYPE (TeaWelcome, tea_welcome, TEA, WELCOME, GtkWidget)

void tea_welcome_set_values (TeaWelcome *welcome, const char *nick, const char *server);
void tea_welcome_show_error (TeaWelcome *welcome, const char *message);
void tea_welcome_focus (TeaWelcome *welcome);

G_END_DECLS
