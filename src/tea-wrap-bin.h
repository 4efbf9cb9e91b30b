/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Holds one widget that wraps (a message's text) and takes whatever width
 * it is given, without asking the child how wide it would like to be. A
 * wrapping GtkLabel answers that by laying its whole text out twice more
 * (as narrow as it goes, and on one line), which in a list view of
 * messages cost more than everything else in a frame. Only the child's
 * height for the width it gets is measured.
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define TEA_TYPE_WRAP_BIN (tea_wrap_bin_get_type ())
G_DECLARE_FINAL_TYPE (TeaWrapBin, tea_wrap_bin, TEA, WRAP_BIN, GtkWidget)

GtkWidget *tea_wrap_bin_new (GtkWidget *child);

G_END_DECLS
