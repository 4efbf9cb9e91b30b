/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The two desktop portals plain GTK 4.8 does not use for us: the system's
 * color scheme (org.freedesktop.appearance), and permission to keep running
 * in the background when sandboxed.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define TEA_TYPE_COLOR_SCHEME (tea_color_scheme_get_type ())
G_DECLARE_FINAL_TYPE (TeaColorScheme, tea_color_scheme, TEA, COLOR_SCHEME, GObject)

/* Applies the "color-scheme" setting, following the system while it is
 * "default", for as long as it lives. */
TeaColorScheme *tea_color_scheme_new (GSettings *settings);
gboolean tea_color_scheme_is_dark (TeaColorScheme *scheme);

/* Asks the Background portal to let us run without a window (sandboxed
 * only; outside a sandbox nothing is needed). */
void tea_portal_request_background (void);

G_END_DECLS
