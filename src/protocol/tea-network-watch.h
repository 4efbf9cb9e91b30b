/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Tells when the network has changed or the computer has woken from
 * suspend: the moments a chat session is most likely broken without
 * knowing it yet.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define TEA_TYPE_NETWORK_WATCH (tea_network_watch_get_type ())
G_DECLARE_FINAL_TYPE (TeaNetworkWatch, tea_network_watch, TEA, NETWORK_WATCH, GObject)

/* Emits "changed" (debounced) after GNetworkMonitor reports a change while
 * the network is available, and after logind reports a resume. */
TeaNetworkWatch *tea_network_watch_new (void);

G_END_DECLS
