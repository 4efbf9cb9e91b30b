/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <ifaddrs.h>
#include <netinet/in.h>
#include <sodium.h>

#include "tea-fingerprint.h"
#include "tea-host.h"
#include "tea-listener.h"
#include "tea-relay.h"
#include "tea-server-key.h"

struct _TeaHost
{
  GObject parent_instance;

  char *state_dir;
  TeaRelay *relay;
  TeaListener *listener;
  char *fingerprint;
};

G_DEFINE_FINAL_TYPE (TeaHost, tea_host, G_TYPE_OBJECT)

static void
tea_host_finalize (GObject *object)
{
  TeaHost *host = TEA_HOST (object);

  tea_host_stop (host);
  g_free (host->state_dir);
  g_free (host->fingerprint);
  G_OBJECT_CLASS (tea_host_parent_class)->finalize (object);
}

static void
tea_host_class_init (TeaHostClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = tea_host_finalize;
}

static void
tea_host_init (TeaHost *host)
{
}

TeaHost *
tea_host_new (const char *state_dir)
{
  TeaHost *host = g_object_new (TEA_TYPE_HOST, NULL);

  host->state_dir = state_dir ? g_strdup (state_dir)
                              : g_build_filename (g_get_user_data_dir (), "teahouse", "host", NULL);
  return host;
}

gboolean
tea_host_start (TeaHost *host, guint16 port, GError **error)
{
  TeaRelayConfig config;
  TeaKeypair key;
  gboolean created;

  if (host->relay)
    return TRUE;
  if (!tea_server_key_load_or_create (host->state_dir, &key, &created, error))
    return FALSE;
  tea_relay_config_init (&config);
  host->relay = tea_relay_new (&config, &key, g_get_monotonic_time ());
  host->listener = tea_listener_new (host->relay);
  host->fingerprint = tea_fingerprint_from_key (key.public_key);
  sodium_memzero (&key, sizeof key);
  tea_relay_config_clear (&config);
  if (!tea_listener_listen (host->listener, NULL, port, error))
    {
      tea_host_stop (host);
      return FALSE;
    }
  return TRUE;
}

void
tea_host_stop (TeaHost *host)
{
  if (host->listener)
    tea_listener_shutdown (host->listener);
  g_clear_object (&host->listener);
  g_clear_object (&host->relay);
}

guint16
tea_host_get_port (TeaHost *host)
{
  return host->listener ? tea_listener_get_port (host->listener) : 0;
}

const char *
tea_host_get_fingerprint (TeaHost *host)
{
  return host->fingerprint;
}

static gboolean
is_useful (struct ifaddrs *ifa)
{
  if (ifa->ifa_addr == NULL)
    return FALSE;
  if (ifa->ifa_addr->sa_family == AF_INET)
    return (ntohl (((struct sockaddr_in *) ifa->ifa_addr)->sin_addr.s_addr) >> 24) != 127;
  if (ifa->ifa_addr->sa_family == AF_INET6)
    {
      struct in6_addr *a = &((struct sockaddr_in6 *) ifa->ifa_addr)->sin6_addr;
      /* Link-local addresses need a zone id nobody will type. */
      return !IN6_IS_ADDR_LOOPBACK (a) && !IN6_IS_ADDR_LINKLOCAL (a);
    }
  return FALSE;
}

GStrv
tea_host_dup_addresses (TeaHost *host)
{
  g_autoptr (GPtrArray) v4 = g_ptr_array_new ();
  g_autoptr (GPtrArray) v6 = g_ptr_array_new ();
  struct ifaddrs *list = NULL;
  guint16 port = tea_host_get_port (host);

  if (getifaddrs (&list) == 0)
    {
      for (struct ifaddrs *ifa = list; ifa; ifa = ifa->ifa_next)
        {
          g_autoptr (GSocketAddress) address = NULL;
          g_autofree char *ip = NULL;
          gboolean is_v4;

          if (!is_useful (ifa))
            continue;
          is_v4 = ifa->ifa_addr->sa_family == AF_INET;
          address = g_socket_address_new_from_native (ifa->ifa_addr, is_v4 ? sizeof (struct sockaddr_in)
                                                                           : sizeof (struct sockaddr_in6));
          if (address == NULL)
            continue;
          ip = g_inet_address_to_string (g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (address)));
          if (is_v4)
            g_ptr_array_add (v4, g_strdup_printf ("%s:%u", ip, port));
          else
            g_ptr_array_add (v6, g_strdup_printf ("[%s]:%u", ip, port));
        }
      freeifaddrs (list);
    }
  /* IPv4 first: that is what people read out to each other. */
  g_ptr_array_extend_and_steal (v4, g_steal_pointer (&v6));
  if (v4->len == 0)
    g_ptr_array_add (v4, g_strdup_printf ("localhost:%u", port));
  g_ptr_array_add (v4, NULL);
  return (GStrv) g_ptr_array_steal (v4, NULL);
}
