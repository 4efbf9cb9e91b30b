/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Centres its child and keeps it at most maximum-width pixels wide, like
 * AdwClamp (which we do not depend on). Pages of wrapped text and forms
 * stay readable in a wide window, and a GtkBox of wrapping labels cannot
 * widen itself to save height.
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define TEA_TYPE_CLAMP (tea_clamp_get_type ())
G_DECLARE_FINAL_TYPE (TeaClamp, tea_clamp, TEA, CLAMP, GtkWidget)

GtkWidget *tea_clamp_new (void);
void tea_clamp_set_child (TeaClamp *clamp, GtkWidget *child);
void tea_clamp_set_maximum_width (TeaClamp *clamp, int maximum_width);

G_END_DECLS
