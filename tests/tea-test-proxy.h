/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A UDP proxy on loopback, in the test's main context, that impairs what it
 * forwards: loss per direction, duplication, delay and jitter (which
 * reorders), blackouts, and NAT-like rebinding of its upstream ports. The
 * kernel here has no netem; this stands in for it.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct
{
  double loss_up;    /* client to server */
  double loss_down;  /* server to client */
  double duplicate;
  gint64 delay_us;
  gint64 jitter_us;
  gboolean blackout;
} TeaTestProxyConfig;

typedef struct _TeaTestProxy TeaTestProxy;

TeaTestProxy *tea_test_proxy_new (guint16 upstream_port, guint32 seed);
void tea_test_proxy_free (TeaTestProxy *proxy);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TeaTestProxy, tea_test_proxy_free)
guint16 tea_test_proxy_get_port (TeaTestProxy *proxy);
TeaTestProxyConfig *tea_test_proxy_config (TeaTestProxy *proxy);
/* Every client flow continues from a new upstream port, as after a NAT
 * rebinding. */
void tea_test_proxy_rebind (TeaTestProxy *proxy);
guint64 tea_test_proxy_get_forwarded (TeaTestProxy *proxy);
/* Keeps a copy of every datagram seen, both ways (GBytes), from now on. */
void tea_test_proxy_set_capture (TeaTestProxy *proxy, gboolean capture);
GPtrArray *tea_test_proxy_get_captured (TeaTestProxy *proxy);
/* Sends a datagram to every client as if from the server: what an attacker
 * who can spoof the relay's address does. */
void tea_test_proxy_inject_to_clients (TeaTestProxy *proxy, const guint8 *data, gsize len);
guint64 tea_test_proxy_get_dropped (TeaTestProxy *proxy);

G_END_DECLS
