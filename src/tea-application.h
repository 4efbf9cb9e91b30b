/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The Teahouse desktop application: one instance, the app.* actions, the
 * settings, the connection (TeaChat), the relay when hosting a room,
 * notifications, and running on in the background.
 */
#pragma once

#include <gtk/gtk.h>

#include "tea-chat.h"

G_BEGIN_DECLS

#define TEA_TYPE_APPLICATION (tea_application_get_type ())
G_DECLARE_FINAL_TYPE (TeaApplication, tea_application, TEA, APPLICATION, GtkApplication)

TeaApplication *tea_application_new (void);
GSettings *tea_application_get_settings (TeaApplication *app);
/* The current connection, or NULL before the welcome page is done. */
TeaChat *tea_application_get_chat (TeaApplication *app);
/* Connects as nick to host:port (or hosts a relay first), replacing any
 * previous connection. fingerprint (from a link) pins the relay's key. */
void tea_application_start_chat (TeaApplication *app, const char *nick, const char *server, gboolean host,
                                 const char *fingerprint);
/* The window is being closed: TRUE if the app keeps running without it. */
gboolean tea_application_window_closing (TeaApplication *app);
/* "192.168.1.20:9999, [fd00::1]:9999" while hosting, else NULL. */
char *tea_application_dup_host_addresses (TeaApplication *app);
TeaKnownServers *tea_application_get_known_servers (TeaApplication *app);

G_END_DECLS
