/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The sd_notify(3) protocol, done by hand: a datagram to $NOTIFY_SOCKET.
 * Thirty lines are not worth a libsystemd dependency.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Sends state ("READY=1", "STOPPING=1", ...) if systemd asked for it. */
void tea_sd_notify (const char *state);
/* Pings the watchdog at half of $WATCHDOG_USEC, if set for us. Returns the
 * source id (0 if none). */
guint tea_sd_watchdog_start (void);

G_END_DECLS
