/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Connects a TeaRelay to UDP sockets in the thread-default main context:
 * datagrams are received and sent in batches, one wakeup per batch, and
 * one timer source follows the relay's next deadline.
 */
#pragma once

#include <gio/gio.h>

#include "tea-relay.h"

G_BEGIN_DECLS

#define TEA_TYPE_LISTENER (tea_listener_get_type ())
G_DECLARE_FINAL_TYPE (TeaListener, tea_listener, TEA, LISTENER, GObject)

TeaListener *tea_listener_new (TeaRelay *relay);
TeaRelay *tea_listener_get_relay (TeaListener *listener);
/* bind_address NULL listens on every IPv6 and IPv4 address; port 0 picks a
 * free port (see tea_listener_get_port). */
gboolean tea_listener_listen (TeaListener *listener, const char *bind_address, guint16 port, GError **error);
/* Takes a socket already bound, e.g. from systemd socket activation. */
gboolean tea_listener_adopt_socket (TeaListener *listener, GSocket *socket, GError **error);
guint16 tea_listener_get_port (TeaListener *listener);
/* Sends the relay's goodbyes and stops listening. */
void tea_listener_shutdown (TeaListener *listener);

G_END_DECLS
