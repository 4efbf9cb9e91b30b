/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <string.h>

#include "tea-test-proxy.h"

#define MAX_DATAGRAM 2048

typedef struct _Flow Flow;

struct _TeaTestProxy
{
  TeaTestProxyConfig config;
  GRand *rand;
  GSocket *front;
  GSource *front_source;
  GSocketAddress *upstream;
  GHashTable *flows; /* client address string -> Flow */
  GQueue queue;      /* Pending, by due time */
  GSource *timer;
  guint64 forwarded;
  guint64 dropped;
  gboolean capture;
  GPtrArray *captured;
};

struct _Flow
{
  TeaTestProxy *proxy;
  GSocketAddress *client;
  GSocket *socket; /* our socket towards the server for this client */
  GSource *source;
};

typedef struct
{
  gint64 due;
  gboolean to_server;
  Flow *flow;
  gsize len;
  guint8 data[MAX_DATAGRAM];
} Pending;

static void
flow_close (Flow *flow)
{
  if (flow->source)
    {
      g_source_destroy (flow->source);
      g_clear_pointer (&flow->source, g_source_unref);
    }
  g_clear_object (&flow->socket);
}

static void
flow_free (Flow *flow)
{
  flow_close (flow);
  g_clear_object (&flow->client);
  g_free (flow);
}

static void
send_now (TeaTestProxy *proxy, Pending *p)
{
  if (p->to_server)
    g_socket_send_to (p->flow->socket, proxy->upstream, (const char *) p->data, p->len, NULL, NULL);
  else
    g_socket_send_to (proxy->front, p->flow->client, (const char *) p->data, p->len, NULL, NULL);
  proxy->forwarded++;
}

static void
arm (TeaTestProxy *proxy)
{
  Pending *head = g_queue_peek_head (&proxy->queue);
  g_source_set_ready_time (proxy->timer, head ? head->due : -1);
}

static gboolean
on_timer (gpointer user_data)
{
  TeaTestProxy *proxy = user_data;
  gint64 now = g_get_monotonic_time ();
  Pending *p;

  while ((p = g_queue_peek_head (&proxy->queue)) && p->due <= now)
    {
      g_queue_pop_head (&proxy->queue);
      if (p->flow->socket)
        send_now (proxy, p);
      g_free (p);
    }
  arm (proxy);
  return G_SOURCE_CONTINUE;
}

static gint
by_due (gconstpointer a, gconstpointer b, gpointer user_data)
{
  const Pending *x = a, *y = b;
  return x->due < y->due ? -1 : x->due > y->due;
}

static void
impair_and_queue (TeaTestProxy *proxy, Flow *flow, gboolean to_server, const guint8 *data, gsize len)
{
  TeaTestProxyConfig *c = &proxy->config;
  double loss = to_server ? c->loss_up : c->loss_down;
  guint copies = 1;

  if (proxy->capture)
    g_ptr_array_add (proxy->captured, g_bytes_new (data, len));
  if (c->blackout || g_rand_double (proxy->rand) < loss)
    {
      proxy->dropped++;
      return;
    }
  if (g_rand_double (proxy->rand) < c->duplicate)
    copies = 2;
  for (guint i = 0; i < copies; i++)
    {
      Pending *p = g_new (Pending, 1);
      gint64 jitter = c->jitter_us > 0 ? g_rand_int_range (proxy->rand, 0, c->jitter_us) : 0;

      p->due = g_get_monotonic_time () + c->delay_us + jitter;
      p->to_server = to_server;
      p->flow = flow;
      p->len = len;
      memcpy (p->data, data, len);
      g_queue_insert_sorted (&proxy->queue, p, by_due, NULL);
    }
  arm (proxy);
}

static gboolean
on_upstream (GSocket *socket, GIOCondition condition, gpointer user_data)
{
  Flow *flow = user_data;
  guint8 buffer[MAX_DATAGRAM];
  gssize n;

  while ((n = g_socket_receive (socket, (char *) buffer, sizeof buffer, NULL, NULL)) > 0)
    impair_and_queue (flow->proxy, flow, FALSE, buffer, n);
  return G_SOURCE_CONTINUE;
}

static void
flow_open (Flow *flow)
{
  g_autoptr (GInetAddress) any = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) local = g_inet_socket_address_new (any, 0);

  flow_close (flow);
  flow->socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, NULL);
  g_socket_set_blocking (flow->socket, FALSE);
  g_socket_bind (flow->socket, local, FALSE, NULL);
  flow->source = g_socket_create_source (flow->socket, G_IO_IN, NULL);
  g_source_set_callback (flow->source, G_SOURCE_FUNC (on_upstream), flow, NULL);
  g_source_attach (flow->source, NULL);
}

static char *
address_key (GSocketAddress *address)
{
  GInetSocketAddress *isa = G_INET_SOCKET_ADDRESS (address);
  g_autofree char *ip = g_inet_address_to_string (g_inet_socket_address_get_address (isa));

  return g_strdup_printf ("%s:%u", ip, g_inet_socket_address_get_port (isa));
}

static gboolean
on_front (GSocket *socket, GIOCondition condition, gpointer user_data)
{
  TeaTestProxy *proxy = user_data;
  guint8 buffer[MAX_DATAGRAM];
  GSocketAddress *from = NULL;
  gssize n;

  while ((n = g_socket_receive_from (socket, &from, (char *) buffer, sizeof buffer, NULL, NULL)) > 0)
    {
      g_autofree char *key = address_key (from);
      Flow *flow = g_hash_table_lookup (proxy->flows, key);

      if (flow == NULL)
        {
          flow = g_new0 (Flow, 1);
          flow->proxy = proxy;
          flow->client = g_object_ref (from);
          flow_open (flow);
          g_hash_table_insert (proxy->flows, g_steal_pointer (&key), flow);
        }
      impair_and_queue (proxy, flow, TRUE, buffer, n);
      g_clear_object (&from);
    }
  return G_SOURCE_CONTINUE;
}

static gboolean
timer_dispatch (GSource *source, GSourceFunc callback, gpointer user_data)
{
  return callback (user_data);
}

static GSourceFuncs timer_funcs = { .dispatch = timer_dispatch };

TeaTestProxy *
tea_test_proxy_new (guint16 upstream_port, guint32 seed)
{
  TeaTestProxy *proxy = g_new0 (TeaTestProxy, 1);
  g_autoptr (GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) local = g_inet_socket_address_new (loopback, 0);

  proxy->rand = g_rand_new_with_seed (seed);
  proxy->captured = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  proxy->upstream = g_inet_socket_address_new (loopback, upstream_port);
  proxy->flows = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) flow_free);
  g_queue_init (&proxy->queue);
  proxy->front = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, NULL);
  g_socket_set_blocking (proxy->front, FALSE);
  g_assert_true (g_socket_bind (proxy->front, local, FALSE, NULL));
  proxy->front_source = g_socket_create_source (proxy->front, G_IO_IN, NULL);
  g_source_set_callback (proxy->front_source, G_SOURCE_FUNC (on_front), proxy, NULL);
  g_source_attach (proxy->front_source, NULL);
  proxy->timer = g_source_new (&timer_funcs, sizeof (GSource));
  g_source_set_callback (proxy->timer, on_timer, proxy, NULL);
  g_source_attach (proxy->timer, NULL);
  return proxy;
}

void
tea_test_proxy_free (TeaTestProxy *proxy)
{
  g_source_destroy (proxy->front_source);
  g_source_unref (proxy->front_source);
  g_source_destroy (proxy->timer);
  g_source_unref (proxy->timer);
  g_queue_clear_full (&proxy->queue, g_free);
  g_hash_table_unref (proxy->flows);
  g_object_unref (proxy->front);
  g_object_unref (proxy->upstream);
  g_rand_free (proxy->rand);
  g_ptr_array_unref (proxy->captured);
  g_free (proxy);
}

guint16
tea_test_proxy_get_port (TeaTestProxy *proxy)
{
  g_autoptr (GSocketAddress) local = g_socket_get_local_address (proxy->front, NULL);
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local));
}

TeaTestProxyConfig *
tea_test_proxy_config (TeaTestProxy *proxy)
{
  return &proxy->config;
}

void
tea_test_proxy_rebind (TeaTestProxy *proxy)
{
  GHashTableIter iter;
  Flow *flow;

  g_hash_table_iter_init (&iter, proxy->flows);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &flow))
    flow_open (flow);
}

guint64
tea_test_proxy_get_forwarded (TeaTestProxy *proxy)
{
  return proxy->forwarded;
}

guint64
tea_test_proxy_get_dropped (TeaTestProxy *proxy)
{
  return proxy->dropped;
}

void
tea_test_proxy_set_capture (TeaTestProxy *proxy, gboolean capture)
{
  proxy->capture = capture;
}

GPtrArray *
tea_test_proxy_get_captured (TeaTestProxy *proxy)
{
  return proxy->captured;
}

void
tea_test_proxy_inject_to_clients (TeaTestProxy *proxy, const guint8 *data, gsize len)
{
  GHashTableIter iter;
  Flow *flow;

  g_hash_table_iter_init (&iter, proxy->flows);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &flow))
    g_socket_send_to (proxy->front, flow->client, (const char *) data, len, NULL, NULL);
}
