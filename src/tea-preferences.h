/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The preferences window: nickname and server for the next connection,
 * default notifications, running in the background, joins and
 * departures, and the style. Every control writes to GSettings at once.
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define TEA_TYPE_PREFERENCES (tea_preferences_get_type ())
G_DECLARE_FINAL_TYPE (TeaPreferences, tea_preferences, TEA, PREFERENCES, GtkWindow)

TeaPreferences *tea_preferences_new (GSettings *settings);

G_END_DECLS
