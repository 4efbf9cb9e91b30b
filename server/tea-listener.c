/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <glib/gi18n.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "tea-gso.h"
#include "tea-listener.h"

#define BATCH 64
/* Room for a legacy line longer than our own datagrams; longer is cut. */
#define RECV_BUFFER 2048
/* Datagrams handled per wakeup before timers get their turn. */
#define MAX_BATCHES_PER_WAKEUP 16
#define SOCKET_BUFFER_BYTES (4 * 1024 * 1024)

typedef struct
{
  GSocket *socket;
  GSource *source;
  TeaGsoSender *gso; /* NULL without UDP GSO, or once the kernel refused it */
} Endpoint;

struct _TeaListener
{
  GObject parent_instance;

  TeaRelay *relay;
  GArray *endpoints; /* Endpoint */
  GSource *timer;
  guint8 *buffers;
  GInputVector in_vectors[BATCH];
  GInputMessage in_messages[BATCH];
  GSocketAddress *in_addresses[BATCH];
  GOutputVector out_vectors[BATCH];
  GOutputMessage out_messages[BATCH];
};

G_DEFINE_FINAL_TYPE (TeaListener, tea_listener, G_TYPE_OBJECT)

static void
endpoint_clear (gpointer data)
{
  Endpoint *e = data;

  if (e->source)
    {
      g_source_destroy (e->source);
      g_source_unref (e->source);
    }
  g_clear_pointer (&e->gso, tea_gso_sender_free);
  g_clear_object (&e->socket);
}

static void
tea_listener_finalize (GObject *object)
{
  TeaListener *listener = TEA_LISTENER (object);

  tea_relay_set_output_func (listener->relay, NULL, NULL);
  g_array_unref (listener->endpoints);
  if (listener->timer)
    {
      g_source_destroy (listener->timer);
      g_source_unref (listener->timer);
    }
  g_free (listener->buffers);
  g_clear_object (&listener->relay);
  G_OBJECT_CLASS (tea_listener_parent_class)->finalize (object);
}

static void
tea_listener_class_init (TeaListenerClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = tea_listener_finalize;
}

static void
tea_listener_init (TeaListener *listener)
{
  listener->endpoints = g_array_new (FALSE, TRUE, sizeof (Endpoint));
  g_array_set_clear_func (listener->endpoints, endpoint_clear);
  listener->buffers = g_malloc (BATCH * RECV_BUFFER);
  for (guint i = 0; i < BATCH; i++)
    {
      listener->in_vectors[i].buffer = listener->buffers + i * RECV_BUFFER;
      listener->in_vectors[i].size = RECV_BUFFER;
      listener->in_messages[i].address = &listener->in_addresses[i];
      listener->in_messages[i].vectors = &listener->in_vectors[i];
      listener->in_messages[i].num_vectors = 1;
    }
}

static Endpoint *
endpoint_for (TeaListener *listener, const TeaAddr *addr)
{
  GSocketFamily family = addr->family == 4 ? G_SOCKET_FAMILY_IPV4 : G_SOCKET_FAMILY_IPV6;

  for (guint i = 0; i < listener->endpoints->len; i++)
    {
      Endpoint *e = &g_array_index (listener->endpoints, Endpoint, i);

      if (g_socket_get_family (e->socket) == family)
        return e;
    }
  return listener->endpoints->len > 0 ? &g_array_index (listener->endpoints, Endpoint, 0) : NULL;
}

/* Sends a run of datagrams that share a socket in as few calls as the
 * kernel allows, without GSO. A full socket buffer drops the rest: the
 * sessions' retransmission recovers, exactly as if the network had lost
 * them. */
static void
send_plain (TeaListener *listener, GSocket *socket, TeaDatagram *datagrams, guint n)
{
  g_autoptr (GPtrArray) made = g_ptr_array_new_with_free_func (g_object_unref);
  guint sent = 0;

  for (guint i = 0; i < n; i++)
    {
      GSocketAddress *address = datagrams[i].socket_address;

      if (address == NULL)
        {
          address = tea_addr_to_socket_address (&datagrams[i].addr);
          g_ptr_array_add (made, address);
        }
      listener->out_vectors[i].buffer = datagrams[i].data;
      listener->out_vectors[i].size = datagrams[i].len;
      listener->out_messages[i] = (GOutputMessage) {
        .address = address,
        .vectors = &listener->out_vectors[i],
        .num_vectors = 1,
      };
    }
  while (sent < n)
    {
      g_autoptr (GError) error = NULL;
      gint r = g_socket_send_messages (socket, listener->out_messages + sent, n - sent,
                                       G_SOCKET_MSG_NONE, NULL, &error);
      if (r <= 0)
        {
          if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
            g_debug ("send failed: %s", error ? error->message : "nothing sent");
          /* One datagram's error (e.g. an unreachable address) must not
           * hold back the others. */
          sent++;
          continue;
        }
      sent += r;
    }
}

static void
send_run (TeaListener *listener, Endpoint *e, TeaDatagram *datagrams, guint n)
{
  guint done = 0;

  if (e->gso)
    {
      done = tea_gso_sender_send (e->gso, datagrams, n);
      if (done < n)
        {
          g_debug ("UDP GSO refused (%s); sending without it", g_strerror (errno));
          g_clear_pointer (&e->gso, tea_gso_sender_free);
        }
    }
  if (done < n)
    send_plain (listener, e->socket, datagrams + done, n - done);
}

static void
on_relay_output (TeaDatagram *datagrams, guint n, gpointer user_data)
{
  TeaListener *listener = user_data;
  Endpoint *run_endpoint = NULL;
  guint run_start = 0;

  g_assert (n <= BATCH);
  for (guint i = 0; i < n; i++)
    {
      Endpoint *e = endpoint_for (listener, &datagrams[i].addr);

      if (e != run_endpoint && i > run_start)
        {
          send_run (listener, run_endpoint, datagrams + run_start, i - run_start);
          run_start = i;
        }
      run_endpoint = e;
    }
  if (n > run_start && run_endpoint)
    send_run (listener, run_endpoint, datagrams + run_start, n - run_start);
}

static void
arm_timer (TeaListener *listener)
{
  gint64 deadline = tea_relay_next_deadline (listener->relay);

  g_source_set_ready_time (listener->timer, deadline == G_MAXINT64 ? -1 : deadline);
}

static gboolean
on_timer (gpointer user_data)
{
  TeaListener *listener = user_data;
  gint64 now = g_get_monotonic_time ();

  tea_relay_handle_timeouts (listener->relay, now);
  tea_relay_flush (listener->relay, now);
  arm_timer (listener);
  return G_SOURCE_CONTINUE;
}

static gboolean
timer_dispatch (GSource *source, GSourceFunc callback, gpointer user_data)
{
  return callback (user_data);
}

static GSourceFuncs timer_funcs = {
  .dispatch = timer_dispatch,
};

/* Handles one batch; returns how many datagrams there were. */
static gint
receive_batch (TeaListener *listener, GSocket *socket, gint64 now)
{
  g_autoptr (GError) error = NULL;
  gint n;

  for (guint i = 0; i < BATCH; i++)
    {
      listener->in_messages[i].flags = 0;
      listener->in_addresses[i] = NULL;
    }
  n = g_socket_receive_messages (socket, listener->in_messages, BATCH, G_SOCKET_MSG_NONE, NULL, &error);
  if (n < 0)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        g_debug ("receive failed: %s", error->message);
      return 0;
    }
  for (gint i = 0; i < n; i++)
    {
      GInputMessage *m = &listener->in_messages[i];
      TeaAddr from;

      if (!(m->flags & MSG_TRUNC) && tea_addr_from_socket_address (&from, listener->in_addresses[i]))
        tea_relay_receive (listener->relay, &from, m->vectors[0].buffer, m->bytes_received, now);
      else
        tea_relay_count_oversized (listener->relay);
      g_clear_object (&listener->in_addresses[i]);
    }
  return n;
}

static gboolean
on_readable (GSocket *socket, GIOCondition condition, gpointer user_data)
{
  TeaListener *listener = user_data;
  gint64 now = g_get_monotonic_time ();

  for (guint b = 0; b < MAX_BATCHES_PER_WAKEUP; b++)
    if (receive_batch (listener, socket, now) < BATCH)
      break;
  /* Timers first, then one flush: replies to the whole batch leave
   * together, coalesced per recipient. */
  tea_relay_handle_timeouts (listener->relay, now);
  tea_relay_flush (listener->relay, now);
  arm_timer (listener);
  return G_SOURCE_CONTINUE;
}

TeaListener *
tea_listener_new (TeaRelay *relay)
{
  TeaListener *listener = g_object_new (TEA_TYPE_LISTENER, NULL);

  listener->relay = g_object_ref (relay);
  tea_relay_set_output_func (relay, on_relay_output, listener);
  listener->timer = g_source_new (&timer_funcs, sizeof (GSource));
  g_source_set_callback (listener->timer, on_timer, listener, NULL);
  g_source_set_name (listener->timer, "teahouse relay timers");
  g_source_attach (listener->timer, NULL);
  return listener;
}

TeaRelay *
tea_listener_get_relay (TeaListener *listener)
{
  return listener->relay;
}

gboolean
tea_listener_adopt_socket (TeaListener *listener, GSocket *socket, GError **error)
{
  Endpoint e = { 0 };

  g_socket_set_blocking (socket, FALSE);
  /* Larger buffers absorb fan-out bursts; the kernel caps them at its
   * rmem_max/wmem_max, which is fine. */
  g_socket_set_option (socket, SOL_SOCKET, SO_RCVBUF, SOCKET_BUFFER_BYTES, NULL);
  g_socket_set_option (socket, SOL_SOCKET, SO_SNDBUF, SOCKET_BUFFER_BYTES, NULL);
  e.socket = g_object_ref (socket);
  e.gso = tea_gso_sender_new (socket);
  e.source = g_socket_create_source (socket, G_IO_IN, NULL);
  g_source_set_callback (e.source, G_SOURCE_FUNC (on_readable), listener, NULL);
  g_source_set_name (e.source, "teahouse relay socket");
  g_source_attach (e.source, NULL);
  g_array_append_val (listener->endpoints, e);
  return TRUE;
}

static GSocket *
bind_socket (GSocketFamily family, GInetAddress *address, guint16 port, gboolean v6_only, GError **error)
{
  g_autoptr (GSocket) socket = g_socket_new (family, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, error);
  g_autoptr (GSocketAddress) socket_address = NULL;

  if (socket == NULL)
    return NULL;
  if (family == G_SOCKET_FAMILY_IPV6 &&
      !g_socket_set_option (socket, IPPROTO_IPV6, IPV6_V6ONLY, v6_only, error))
    return NULL;
  socket_address = g_inet_socket_address_new (address, port);
  if (!g_socket_bind (socket, socket_address, TRUE, error))
    return NULL;
  return g_steal_pointer (&socket);
}

gboolean
tea_listener_listen (TeaListener *listener, const char *bind_address, guint16 port, GError **error)
{
  g_autoptr (GSocket) socket = NULL;
  g_autoptr (GInetAddress) address = NULL;
  g_autoptr (GError) v6_error = NULL;

  if (bind_address)
    {
      address = g_inet_address_new_from_string (bind_address);
      if (address == NULL)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       _("“%s” is not an IP address"), bind_address);
          return FALSE;
        }
      socket = bind_socket (g_inet_address_get_family (address), address, port, TRUE, error);
    }
  else
    {
      /* One dual-stack socket serves IPv6 and IPv4 alike; a host without
       * IPv6 gets an IPv4 socket instead. */
      address = g_inet_address_new_any (G_SOCKET_FAMILY_IPV6);
      socket = bind_socket (G_SOCKET_FAMILY_IPV6, address, port, FALSE, &v6_error);
      if (socket == NULL)
        {
          g_clear_object (&address);
          address = g_inet_address_new_any (G_SOCKET_FAMILY_IPV4);
          socket = bind_socket (G_SOCKET_FAMILY_IPV4, address, port, FALSE, error);
        }
    }
  if (socket == NULL)
    return FALSE;
  return tea_listener_adopt_socket (listener, socket, error);
}

guint16
tea_listener_get_port (TeaListener *listener)
{
  g_autoptr (GSocketAddress) local = NULL;

  if (listener->endpoints->len == 0)
    return 0;
  local = g_socket_get_local_address (g_array_index (listener->endpoints, Endpoint, 0).socket, NULL);
  return local ? g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local)) : 0;
}

void
tea_listener_shutdown (TeaListener *listener)
{
  tea_relay_shutdown (listener->relay, g_get_monotonic_time ());
  g_array_set_size (listener->endpoints, 0);
}
