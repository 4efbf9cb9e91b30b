/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A compact, hashable UDP peer address. The relay keys tables and cookies by
 * it; GSocketAddress objects are made only where a datagram is sent.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct
{
  guint8 family; /* 4 or 6 */
  guint16 port;
  guint8 ip[16]; /* first 4 bytes for IPv4; the rest zero */
} TeaAddr;

gboolean tea_addr_from_socket_address (TeaAddr *addr, GSocketAddress *socket_address);
GSocketAddress *tea_addr_to_socket_address (const TeaAddr *addr);
gboolean tea_addr_equal (const TeaAddr *a, const TeaAddr *b);
/* Same host, any port (per-source-address limits). */
gboolean tea_addr_same_host (const TeaAddr *a, const TeaAddr *b);
guint tea_addr_hash (const TeaAddr *addr);
guint tea_addr_host_hash (const TeaAddr *addr);
/* "192.0.2.1:9999" or "[2001:db8::1]:9999" */
char *tea_addr_to_string (const TeaAddr *addr);
/* Builds an address from a literal IP and a port (tests, tools). */
gboolean tea_addr_parse (TeaAddr *addr, const char *ip, guint16 port);

G_END_DECLS
