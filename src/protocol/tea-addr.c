/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <string.h>

#include "tea-addr.h"

static gboolean
from_inet (TeaAddr *addr, GInetAddress *inet, guint16 port)
{
  gsize size = g_inet_address_get_native_size (inet);

  memset (addr, 0, sizeof *addr);
  if (size != 4 && size != 16)
    return FALSE;
  addr->family = size == 4 ? 4 : 6;
  addr->port = port;
  memcpy (addr->ip, g_inet_address_to_bytes (inet), size);
  return TRUE;
}

gboolean
tea_addr_from_socket_address (TeaAddr *addr, GSocketAddress *socket_address)
{
  GInetSocketAddress *isa;

  if (!G_IS_INET_SOCKET_ADDRESS (socket_address))
    return FALSE;
  isa = G_INET_SOCKET_ADDRESS (socket_address);
  return from_inet (addr, g_inet_socket_address_get_address (isa),
                    g_inet_socket_address_get_port (isa));
}

GSocketAddress *
tea_addr_to_socket_address (const TeaAddr *addr)
{
  g_autoptr (GInetAddress) inet =
    g_inet_address_new_from_bytes (addr->ip, addr->family == 4 ? G_SOCKET_FAMILY_IPV4 : G_SOCKET_FAMILY_IPV6);
  return g_inet_socket_address_new (inet, addr->port);
}

gboolean
tea_addr_same_host (const TeaAddr *a, const TeaAddr *b)
{
  return a->family == b->family && memcmp (a->ip, b->ip, sizeof a->ip) == 0;
}

gboolean
tea_addr_equal (const TeaAddr *a, const TeaAddr *b)
{
  return a->port == b->port && tea_addr_same_host (a, b);
}

guint
tea_addr_host_hash (const TeaAddr *addr)
{
  guint h = addr->family;

  /* FNV-1a; tables keyed by address are bounded, so collisions only cost time. */
  for (gsize i = 0; i < sizeof addr->ip; i++)
    h = (h ^ addr->ip[i]) * 16777619u;
  return h;
}

guint
tea_addr_hash (const TeaAddr *addr)
{
  return (tea_addr_host_hash (addr) ^ addr->port) * 16777619u;
}

char *
tea_addr_to_string (const TeaAddr *addr)
{
  g_autoptr (GInetAddress) inet =
    g_inet_address_new_from_bytes (addr->ip, addr->family == 4 ? G_SOCKET_FAMILY_IPV4 : G_SOCKET_FAMILY_IPV6);
  g_autofree char *ip = g_inet_address_to_string (inet);

  if (addr->family == 6)
    return g_strdup_printf ("[%s]:%u", ip, addr->port);
  return g_strdup_printf ("%s:%u", ip, addr->port);
}

gboolean
tea_addr_parse (TeaAddr *addr, const char *ip, guint16 port)
{
  g_autoptr (GInetAddress) inet = g_inet_address_new_from_string (ip);

  return inet != NULL && from_inet (addr, inet, port);
}
