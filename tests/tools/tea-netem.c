/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "tea-netem.h"

typedef struct _Mapping Mapping;

struct _TeaNetem
{
  GObject parent_instance;

  GSocket *front; /* where clients send */
  GSource *front_source;
  GSocketAddress *upstream;
  TeaImpairConfig config[TEA_NETEM_N_DIRECTIONS];
  TeaImpair *impair[TEA_NETEM_N_DIRECTIONS];
  GHashTable *mappings; /* "address:port" of the client -> Mapping */
  GSource *timer;       /* the next datagram due */
  GSource *housekeeping;
  gint64 rebind_interval_us;
  gint64 mapping_timeout_us;
  guint64 n_rebinds;
  gboolean capture;
  GPtrArray *captured;
};

/* One client address and our socket towards the upstream for it. */
struct _Mapping
{
  TeaNetem *netem;
  char *key;
  GSocketAddress *client;
  GSocket *socket;
  GSource *source;
  gint64 last_active;
  gint64 rebind_at;
};

G_DEFINE_FINAL_TYPE (TeaNetem, tea_netem, G_TYPE_OBJECT)

static void
mapping_close_socket (Mapping *mapping)
{
  if (mapping->source)
    {
      g_source_destroy (mapping->source);
      g_clear_pointer (&mapping->source, g_source_unref);
    }
  g_clear_object (&mapping->socket);
}

static void
mapping_free (Mapping *mapping)
{
  for (guint d = 0; d < TEA_NETEM_N_DIRECTIONS; d++)
    tea_impair_forget (mapping->netem->impair[d], mapping);
  mapping_close_socket (mapping);
  g_clear_object (&mapping->client);
  g_free (mapping->key);
  g_free (mapping);
}

static void
arm_timer (TeaNetem *netem)
{
  gint64 due = MIN (tea_impair_next_due (netem->impair[TEA_NETEM_UP]),
                    tea_impair_next_due (netem->impair[TEA_NETEM_DOWN]));

  g_source_set_ready_time (netem->timer, due == G_MAXINT64 ? -1 : due);
}

static void
offer (TeaNetem *netem, TeaNetemDirection direction, Mapping *mapping, const guint8 *data, gsize len)
{
  gint64 now = g_get_monotonic_time ();

  if (netem->capture)
    g_ptr_array_add (netem->captured, g_bytes_new (data, len));
  mapping->last_active = now;
  tea_impair_push (netem->impair[direction], now, data, len, mapping);
  arm_timer (netem);
}

static gboolean
on_upstream_readable (GSocket *socket, GIOCondition condition, gpointer user_data)
{
  Mapping *mapping = user_data;
  guint8 buffer[TEA_IMPAIR_MAX_DATAGRAM];

  for (;;)
    {
      g_autoptr (GError) error = NULL;
      gssize n = g_socket_receive (socket, (char *) buffer, sizeof buffer, NULL, &error);

      if (n >= 0)
        offer (mapping->netem, TEA_NETEM_DOWN, mapping, buffer, n);
      /* Nothing listens upstream (a relay restarting): the kernel says
       * so once; carry on reading. */
      else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED))
        break;
    }
  return G_SOURCE_CONTINUE;
}

/* A new socket, so a new source port, towards the upstream. */
static void
mapping_open_socket (Mapping *mapping)
{
  TeaNetem *netem = mapping->netem;
  GInetAddress *upstream_ip = g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (netem->upstream));
  GSocketFamily family = g_inet_address_get_family (upstream_ip);
  g_autoptr (GInetAddress) ip = g_inet_address_get_is_loopback (upstream_ip) ? g_inet_address_new_loopback (family)
                                                                           : g_inet_address_new_any (family);
  g_autoptr (GSocketAddress) local = g_inet_socket_address_new (ip, 0);
  g_autoptr (GError) error = NULL;

  mapping_close_socket (mapping);
  mapping->socket = g_socket_new (family, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, &error);
  /* Connected: like a NAT, only the upstream may answer through it. */
  if (mapping->socket == NULL || !g_socket_bind (mapping->socket, local, FALSE, &error) ||
      !g_socket_connect (mapping->socket, netem->upstream, NULL, &error))
    {
      g_warning ("Cannot open a socket towards the upstream: %s", error->message);
      g_clear_object (&mapping->socket);
      return;
    }
  g_socket_set_blocking (mapping->socket, FALSE);
  mapping->source = g_socket_create_source (mapping->socket, G_IO_IN, NULL);
  g_source_set_callback (mapping->source, G_SOURCE_FUNC (on_upstream_readable), mapping, NULL);
  g_source_attach (mapping->source, g_main_context_get_thread_default ());
  mapping->rebind_at = g_get_monotonic_time () + netem->rebind_interval_us;
}

static char *
address_key (GSocketAddress *address)
{
  GInetSocketAddress *isa = G_INET_SOCKET_ADDRESS (address);
  g_autofree char *ip = g_inet_address_to_string (g_inet_socket_address_get_address (isa));

  return g_strdup_printf ("%s:%u", ip, g_inet_socket_address_get_port (isa));
}

static Mapping *
mapping_for (TeaNetem *netem, GSocketAddress *client)
{
  g_autofree char *key = address_key (client);
  Mapping *mapping = g_hash_table_lookup (netem->mappings, key);

  if (mapping == NULL)
    {
      mapping = g_new0 (Mapping, 1);
      mapping->netem = netem;
      mapping->key = g_steal_pointer (&key);
      mapping->client = g_object_ref (client);
      mapping_open_socket (mapping);
      g_hash_table_insert (netem->mappings, mapping->key, mapping);
    }
  return mapping;
}

static gboolean
on_front_readable (GSocket *socket, GIOCondition condition, gpointer user_data)
{
  TeaNetem *netem = user_data;
  guint8 buffer[TEA_IMPAIR_MAX_DATAGRAM];
  gssize n;

  for (;;)
    {
      g_autoptr (GSocketAddress) from = NULL;

      n = g_socket_receive_from (socket, &from, (char *) buffer, sizeof buffer, NULL, NULL);
      if (n < 0)
        break;
      if (G_IS_INET_SOCKET_ADDRESS (from))
        offer (netem, TEA_NETEM_UP, mapping_for (netem, from), buffer, n);
    }
  return G_SOURCE_CONTINUE;
}

static void
send_due (TeaNetem *netem, TeaNetemDirection direction, gint64 now)
{
  guint8 buffer[TEA_IMPAIR_MAX_DATAGRAM];
  gpointer tag;
  gsize len;

  while (tea_impair_pop (netem->impair[direction], now, buffer, &len, &tag))
    {
      Mapping *mapping = tag;

      if (direction == TEA_NETEM_UP && mapping->socket)
        g_socket_send (mapping->socket, (const char *) buffer, len, NULL, NULL);
      else if (direction == TEA_NETEM_DOWN)
        g_socket_send_to (netem->front, mapping->client, (const char *) buffer, len, NULL, NULL);
    }
}

static gboolean
on_timer (gpointer user_data)
{
  TeaNetem *netem = user_data;
  gint64 now = g_get_monotonic_time ();

  send_due (netem, TEA_NETEM_UP, now);
  send_due (netem, TEA_NETEM_DOWN, now);
  arm_timer (netem);
  return G_SOURCE_CONTINUE;
}

static gboolean
timer_dispatch (GSource *source, GSourceFunc callback, gpointer user_data)
{
  return callback (user_data);
}

static GSourceFuncs timer_funcs = { .dispatch = timer_dispatch };

/* Once a second: mappings due move to a new port, idle ones go away. */
static gboolean
on_housekeeping (gpointer user_data)
{
  TeaNetem *netem = user_data;
  gint64 now = g_get_monotonic_time ();
  GHashTableIter iter;
  Mapping *mapping;

  g_hash_table_iter_init (&iter, netem->mappings);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &mapping))
    {
      if (netem->mapping_timeout_us && now - mapping->last_active > netem->mapping_timeout_us)
        {
          g_hash_table_iter_remove (&iter);
          continue;
        }
      if (netem->rebind_interval_us && now >= mapping->rebind_at)
        {
          mapping_open_socket (mapping);
          netem->n_rebinds++;
        }
    }
  return G_SOURCE_CONTINUE;
}

static void
update_housekeeping (TeaNetem *netem)
{
  if (netem->housekeeping)
    {
      g_source_destroy (netem->housekeeping);
      g_clear_pointer (&netem->housekeeping, g_source_unref);
    }
  if (netem->rebind_interval_us == 0 && netem->mapping_timeout_us == 0)
    return;
  netem->housekeeping = g_timeout_source_new_seconds (1);
  g_source_set_callback (netem->housekeeping, on_housekeeping, netem, NULL);
  g_source_attach (netem->housekeeping, g_main_context_get_thread_default ());
}

static void
tea_netem_dispose (GObject *object)
{
  TeaNetem *netem = TEA_NETEM (object);

  g_clear_pointer (&netem->mappings, g_hash_table_unref);
  if (netem->housekeeping)
    g_source_destroy (netem->housekeeping);
  g_clear_pointer (&netem->housekeeping, g_source_unref);
  if (netem->front_source)
    g_source_destroy (netem->front_source);
  g_clear_pointer (&netem->front_source, g_source_unref);
  if (netem->timer)
    g_source_destroy (netem->timer);
  g_clear_pointer (&netem->timer, g_source_unref);
  g_clear_object (&netem->front);
  g_clear_object (&netem->upstream);
  G_OBJECT_CLASS (tea_netem_parent_class)->dispose (object);
}

static void
tea_netem_finalize (GObject *object)
{
  TeaNetem *netem = TEA_NETEM (object);

  for (guint d = 0; d < TEA_NETEM_N_DIRECTIONS; d++)
    tea_impair_free (netem->impair[d]);
  g_ptr_array_unref (netem->captured);
  G_OBJECT_CLASS (tea_netem_parent_class)->finalize (object);
}

static void
tea_netem_class_init (TeaNetemClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = tea_netem_dispose;
  object_class->finalize = tea_netem_finalize;
}

static void
tea_netem_init (TeaNetem *netem)
{
  netem->captured = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
}

TeaNetem *
tea_netem_new (GSocketAddress *listen_address, GSocketAddress *upstream, guint32 seed, GError **error)
{
  g_autoptr (TeaNetem) netem = g_object_new (TEA_TYPE_NETEM, NULL);
  GMainContext *context = g_main_context_get_thread_default ();

  g_return_val_if_fail (G_IS_INET_SOCKET_ADDRESS (listen_address), NULL);
  g_return_val_if_fail (G_IS_INET_SOCKET_ADDRESS (upstream), NULL);

  netem->upstream = g_object_ref (upstream);
  for (guint d = 0; d < TEA_NETEM_N_DIRECTIONS; d++)
    netem->impair[d] = tea_impair_new (&netem->config[d], seed, d);
  netem->mappings = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) mapping_free);
  netem->front = g_socket_new (g_socket_address_get_family (listen_address), G_SOCKET_TYPE_DATAGRAM,
                               G_SOCKET_PROTOCOL_UDP, error);
  if (netem->front == NULL || !g_socket_bind (netem->front, listen_address, FALSE, error))
    return NULL;
  g_socket_set_blocking (netem->front, FALSE);
  netem->front_source = g_socket_create_source (netem->front, G_IO_IN, NULL);
  g_source_set_callback (netem->front_source, G_SOURCE_FUNC (on_front_readable), netem, NULL);
  g_source_attach (netem->front_source, context);
  netem->timer = g_source_new (&timer_funcs, sizeof (GSource));
  g_source_set_callback (netem->timer, on_timer, netem, NULL);
  g_source_set_name (netem->timer, "tea-netem: next datagram due");
  g_source_attach (netem->timer, context);
  return g_steal_pointer (&netem);
}

TeaNetem *
tea_netem_new_loopback (guint16 upstream_port, guint32 seed)
{
  g_autoptr (GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) listen_address = g_inet_socket_address_new (loopback, 0);
  g_autoptr (GSocketAddress) upstream = g_inet_socket_address_new (loopback, upstream_port);
  g_autoptr (GError) error = NULL;
  TeaNetem *netem = tea_netem_new (listen_address, upstream, seed, &error);

  g_assert_no_error (error);
  return netem;
}

guint16
tea_netem_get_port (TeaNetem *netem)
{
  g_autoptr (GSocketAddress) local = g_socket_get_local_address (netem->front, NULL);
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local));
}

TeaImpairConfig *
tea_netem_get_config (TeaNetem *netem, TeaNetemDirection direction)
{
  g_return_val_if_fail (direction < TEA_NETEM_N_DIRECTIONS, NULL);
  return &netem->config[direction];
}

void
tea_netem_set_config (TeaNetem *netem, const TeaImpairConfig *config)
{
  for (guint d = 0; d < TEA_NETEM_N_DIRECTIONS; d++)
    netem->config[d] = *config;
}

void
tea_netem_set_blackout (TeaNetem *netem, gboolean blackout)
{
  for (guint d = 0; d < TEA_NETEM_N_DIRECTIONS; d++)
    netem->config[d].blackout = blackout;
}

void
tea_netem_set_rebind_interval (TeaNetem *netem, guint seconds)
{
  GHashTableIter iter;
  Mapping *mapping;

  netem->rebind_interval_us = (gint64) seconds * G_USEC_PER_SEC;
  g_hash_table_iter_init (&iter, netem->mappings);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &mapping))
    mapping->rebind_at = g_get_monotonic_time () + netem->rebind_interval_us;
  update_housekeeping (netem);
}

void
tea_netem_set_mapping_timeout (TeaNetem *netem, guint seconds)
{
  netem->mapping_timeout_us = (gint64) seconds * G_USEC_PER_SEC;
  update_housekeeping (netem);
}

void
tea_netem_rebind (TeaNetem *netem)
{
  GHashTableIter iter;
  Mapping *mapping;

  g_hash_table_iter_init (&iter, netem->mappings);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &mapping))
    {
      mapping_open_socket (mapping);
      netem->n_rebinds++;
    }
}

const TeaImpairStats *
tea_netem_get_stats (TeaNetem *netem, TeaNetemDirection direction)
{
  g_return_val_if_fail (direction < TEA_NETEM_N_DIRECTIONS, NULL);
  return tea_impair_get_stats (netem->impair[direction]);
}

guint64
tea_netem_get_forwarded (TeaNetem *netem)
{
  return tea_netem_get_stats (netem, TEA_NETEM_UP)->forwarded + tea_netem_get_stats (netem, TEA_NETEM_DOWN)->forwarded;
}

guint64
tea_netem_get_dropped (TeaNetem *netem)
{
  return tea_impair_stats_dropped (tea_netem_get_stats (netem, TEA_NETEM_UP)) +
         tea_impair_stats_dropped (tea_netem_get_stats (netem, TEA_NETEM_DOWN));
}

guint
tea_netem_get_n_mappings (TeaNetem *netem)
{
  return g_hash_table_size (netem->mappings);
}

guint64
tea_netem_get_n_rebinds (TeaNetem *netem)
{
  return netem->n_rebinds;
}

char *
tea_netem_format_stats (TeaNetem *netem)
{
  GString *s = g_string_new ("direction   received  forwarded duplicated  reordered");
  const char *names[] = { "up", "down" };

  for (guint r = 0; r < TEA_IMPAIR_N_DROP_REASONS; r++)
    g_string_append_printf (s, " %10s", tea_impair_drop_reason_name (r));
  g_string_append (s, "\n");
  for (guint d = 0; d < TEA_NETEM_N_DIRECTIONS; d++)
    {
      const TeaImpairStats *stats = tea_netem_get_stats (netem, d);

      g_string_append_printf (s, "%-9s %10" G_GUINT64_FORMAT " %10" G_GUINT64_FORMAT " %10" G_GUINT64_FORMAT
                              " %10" G_GUINT64_FORMAT,
                              names[d], stats->received, stats->forwarded, stats->duplicated, stats->reordered);
      for (guint r = 0; r < TEA_IMPAIR_N_DROP_REASONS; r++)
        g_string_append_printf (s, " %10" G_GUINT64_FORMAT, stats->dropped[r]);
      g_string_append (s, "\n");
    }
  g_string_append_printf (s, "(drop columns: datagrams dropped for that reason)\n"
                             "mappings %u, rebinds %" G_GUINT64_FORMAT "\n",
                          tea_netem_get_n_mappings (netem), netem->n_rebinds);
  return g_string_free (s, FALSE);
}

void
tea_netem_set_capture (TeaNetem *netem, gboolean capture)
{
  netem->capture = capture;
}

GPtrArray *
tea_netem_get_captured (TeaNetem *netem)
{
  return netem->captured;
}

void
tea_netem_inject_to_clients (TeaNetem *netem, const guint8 *data, gsize len)
{
  GHashTableIter iter;
  Mapping *mapping;

  g_hash_table_iter_init (&iter, netem->mappings);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &mapping))
    g_socket_send_to (netem->front, mapping->client, (const char *) data, len, NULL, NULL);
}
