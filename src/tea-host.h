/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * "Host a room on this computer": the relay (TeaRelay) running inside the
 * app, listening on the network so others can join, with its key kept in
 * the user's data directory.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define TEA_TYPE_HOST (tea_host_get_type ())
G_DECLARE_FINAL_TYPE (TeaHost, tea_host, TEA, HOST, GObject)

/* state_dir NULL: $XDG_DATA_HOME/teahouse/host */
TeaHost *tea_host_new (const char *state_dir);
gboolean tea_host_start (TeaHost *host, guint16 port, GError **error);
void tea_host_stop (TeaHost *host);
guint16 tea_host_get_port (TeaHost *host);
/* Where others reach us: "192.168.1.20:9999" and the like, LAN first. */
GStrv tea_host_dup_addresses (TeaHost *host);
const char *tea_host_get_fingerprint (TeaHost *host);

G_END_DECLS
