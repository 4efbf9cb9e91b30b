/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Holds one widget that wraps (a message's text) and takes whatever width
 * it is given from the child's minimum up, without asking how wide the
 * child would like to be. A wrapping GtkLabel answers that by laying its
 * whole text out on one line, and asked for a height without a width, at
 * that width and again at its natural one; in a list view of messages
 * that cost more than everything else in a frame. The child is measured
 * for its minimum width (cheap with width-chars set) and for its height
 * at the width it gets.
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define TEA_TYPE_WRAP_BIN (tea_wrap_bin_get_type ())
G_DECLARE_FINAL_TYPE (TeaWrapBin, tea_wrap_bin, TEA, WRAP_BIN, GtkWidget)

GtkWidget *tea_wrap_bin_new (GtkWidget *child);
void tea_wrap_bin_set_text_key (TeaWrapBin *bin, const char *text_key);

G_END_DECLS
