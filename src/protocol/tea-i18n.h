/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Gettext set-up shared by every program (relay, terminal and desktop
 * clients, tools).
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Takes the locale from the environment and binds the text domain, in
 * UTF-8. TEAHOUSE_LOCALEDIR, if set, overrides the installed catalogue
 * directory, so an uninstalled build can be run in any language. */
void tea_i18n_init (void);

G_END_DECLS
