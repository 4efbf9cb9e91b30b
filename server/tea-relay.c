/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * TeaRelay: dispatch of incoming datagrams, session lifetimes, timers and
 * batched output. The handshake, the requests and the legacy clients live
 * in tea-relay-handshake.c, tea-relay-requests.c and tea-relay-legacy.c.
 */
#include "config.h"

#include <sodium.h>

#include "tea-packet.h"
#include "tea-random.h"
#include "tea-relay-private.h"

#define OUTBOX_CAP 64

G_DEFINE_FINAL_TYPE (TeaRelay, tea_relay, G_TYPE_OBJECT)

static guint
bytes_hash (const guint8 *p, gsize len)
{
  guint h = 2166136261u;

  for (gsize i = 0; i < len; i++)
    h = (h ^ p[i]) * 16777619u;
  return h;
}

static guint
token_hash (gconstpointer key)
{
  return bytes_hash (key, TEA_RESUME_TOKEN_LEN);
}

static gboolean
token_equal (gconstpointer a, gconstpointer b)
{
  return memcmp (a, b, TEA_RESUME_TOKEN_LEN) == 0;
}

static guint
ephemeral_hash (gconstpointer key)
{
  return bytes_hash (key, TEA_KEY_LEN);
}

static gboolean
ephemeral_equal (gconstpointer a, gconstpointer b)
{
  return memcmp (a, b, TEA_KEY_LEN) == 0;
}

static guint
addr_hash (gconstpointer key)
{
  return tea_addr_hash (key);
}

static gboolean
addr_equal (gconstpointer a, gconstpointer b)
{
  return tea_addr_equal (a, b);
}

static void
session_free (TeaSession *session)
{
  tea_conn_free (session->conn);
  g_clear_object (&session->socket_address);
  g_ptr_array_unref (session->memberships);
  g_free (session->nick);
  g_free (session->nick_key);
  g_free (session->accept_packet);
  sodium_memzero (session->resume_token, sizeof session->resume_token);
  g_free (session);
}

static void
clear_outbox (TeaRelay *relay)
{
  for (guint i = 0; i < relay->outbox_len; i++)
    g_clear_object (&relay->outbox[i].socket_address);
  relay->outbox_len = 0;
}

static void
tea_relay_finalize (GObject *object)
{
  TeaRelay *relay = TEA_RELAY (object);

  clear_outbox (relay);
  g_free (relay->outbox);
  g_hash_table_destroy (relay->sessions_by_nick);
  g_hash_table_destroy (relay->sessions_by_token);
  g_hash_table_destroy (relay->sessions_by_ephemeral);
  g_hash_table_destroy (relay->legacy_by_addr);
  g_hash_table_destroy (relay->rooms_by_id);
  g_hash_table_destroy (relay->rooms_by_key);
  g_hash_table_destroy (relay->sessions);
  g_hash_table_destroy (relay->handshake_limits);
  g_ptr_array_unref (relay->dirty);
  g_ptr_array_unref (relay->doomed);
  tea_relay_config_clear (&relay->config);
  tea_cookie_jar_clear (&relay->cookies);
  sodium_memzero (&relay->key, sizeof relay->key);
  sodium_memzero (relay->reset_key, sizeof relay->reset_key);

  G_OBJECT_CLASS (tea_relay_parent_class)->finalize (object);
}

static void
tea_relay_class_init (TeaRelayClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = tea_relay_finalize;
}

static gint64
default_wall_clock (void)
{
  return g_get_real_time () / 1000;
}

static void
tea_relay_init (TeaRelay *relay)
{
  relay->sessions = g_hash_table_new_full (g_int64_hash, g_int64_equal, NULL, (GDestroyNotify) session_free);
  relay->sessions_by_nick = g_hash_table_new (g_str_hash, g_str_equal);
  relay->sessions_by_token = g_hash_table_new (token_hash, token_equal);
  relay->sessions_by_ephemeral = g_hash_table_new (ephemeral_hash, ephemeral_equal);
  relay->legacy_by_addr = g_hash_table_new (addr_hash, addr_equal);
  relay->rooms_by_key = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) _tea_room_free);
  relay->rooms_by_id = g_hash_table_new (g_int_hash, g_int_equal);
  relay->handshake_limits = g_hash_table_new_full (addr_hash, addr_equal, g_free, NULL);
  relay->dirty = g_ptr_array_new ();
  relay->doomed = g_ptr_array_new ();
  relay->outbox = g_new (TeaDatagram, OUTBOX_CAP);
  relay->wall_clock = default_wall_clock;
  relay->next_room_id = 1;
}

TeaRelay *
tea_relay_new (const TeaRelayConfig *config, const TeaKeypair *server_key, gint64 now_us)
{
  TeaRelay *relay = g_object_new (TEA_TYPE_RELAY, NULL);
  static const char reset_label[] = "teahouse stateless reset v1";

  tea_crypto_init ();
  tea_relay_config_copy (&relay->config, config);
  relay->key = *server_key;
  /* Reset tokens must survive a restart (that is when they are needed), so
   * they derive from the persistent static key, never revealing it. */
  crypto_generichash (relay->reset_key, sizeof relay->reset_key,
                      (const guint8 *) reset_label, sizeof reset_label - 1,
                      server_key->private_key, sizeof server_key->private_key);
  tea_cookie_jar_init (&relay->cookies, now_us);
  tea_timer_wheel_init (&relay->wheel, now_us);
  tea_token_bucket_init (&relay->reset_limit, TEA_RESET_BURST, now_us);
  relay->now = now_us;
  return relay;
}

void
tea_relay_set_output_func (TeaRelay *relay, TeaRelayOutputFunc func, gpointer user_data)
{
  relay->output = func;
  relay->output_data = user_data;
}

void
tea_relay_set_wall_clock (TeaRelay *relay, gint64 (*now_ms) (void))
{
  relay->wall_clock = now_ms ? now_ms : default_wall_clock;
}

void
tea_relay_reconfigure (TeaRelay *relay, const TeaRelayConfig *config)
{
  tea_relay_config_clear (&relay->config);
  tea_relay_config_copy (&relay->config, config);
}

const TeaRelayConfig *
tea_relay_get_config (TeaRelay *relay)
{
  return &relay->config;
}

const TeaRelayStats *
tea_relay_get_stats (TeaRelay *relay)
{
  return &relay->stats;
}

guint
tea_relay_get_n_sessions (TeaRelay *relay)
{
  return g_hash_table_size (relay->sessions);
}

guint
tea_relay_get_n_rooms (TeaRelay *relay)
{
  return g_hash_table_size (relay->rooms_by_key);
}

const guint8 *
tea_relay_get_public_key (TeaRelay *relay)
{
  return relay->key.public_key;
}

gint64
_tea_relay_wall_ms (TeaRelay *relay)
{
  return relay->wall_clock ();
}

/* ---- Output ------------------------------------------------------------ */

static void
emit_outbox (TeaRelay *relay)
{
  if (relay->outbox_len == 0)
    return;
  if (relay->output)
    relay->output (relay->outbox, relay->outbox_len, relay->output_data);
  clear_outbox (relay);
}

static TeaDatagram *
outbox_reserve (TeaRelay *relay, const TeaAddr *to, GSocketAddress *socket_address)
{
  TeaDatagram *d;

  if (relay->outbox_len == OUTBOX_CAP)
    emit_outbox (relay);
  d = &relay->outbox[relay->outbox_len++];
  d->addr = *to;
  d->socket_address = socket_address ? g_object_ref (socket_address) : NULL;
  d->len = 0;
  return d;
}

static void
outbox_commit (TeaRelay *relay, TeaDatagram *d, gsize len)
{
  if (len == 0)
    {
      g_clear_object (&d->socket_address);
      relay->outbox_len--;
      return;
    }
  d->len = len;
  relay->stats.datagrams_sent++;
  relay->stats.bytes_sent += len;
}

void
_tea_relay_send_raw (TeaRelay *relay, const TeaAddr *to, GSocketAddress *socket_address,
                     const guint8 *data, gsize len)
{
  TeaDatagram *d = outbox_reserve (relay, to, socket_address);

  g_assert (len <= TEA_MAX_DATAGRAM);
  memcpy (d->data, data, len);
  outbox_commit (relay, d, len);
}

static void
transmit_session (TeaRelay *relay, TeaSession *session, gint64 now_us)
{
  for (;;)
    {
      TeaDatagram *d = outbox_reserve (relay, &session->addr, session->socket_address);
      gsize len = tea_conn_poll_transmit (session->conn, now_us, d->data);

      outbox_commit (relay, d, len);
      if (len == 0)
        break;
    }
}

/* ---- Sessions ---------------------------------------------------------- */

TeaSession *
_tea_relay_session_new (TeaRelay *relay, const TeaAddr *addr)
{
  TeaSession *session = g_new0 (TeaSession, 1);

  do
    session->id = tea_random_u64_nonzero ();
  while (g_hash_table_contains (relay->sessions, &session->id));
  session->memberships = g_ptr_array_new_with_free_func (g_free);
  _tea_relay_session_set_addr (relay, session, addr);
  g_hash_table_insert (relay->sessions, &session->id, session);
  relay->stats.sessions_created++;
  return session;
}

void
_tea_relay_session_set_addr (TeaRelay *relay, TeaSession *session, const TeaAddr *addr)
{
  session->addr = *addr;
  g_clear_object (&session->socket_address);
  session->socket_address = tea_addr_to_socket_address (addr);
}

void
_tea_relay_mark_dirty (TeaRelay *relay, TeaSession *session)
{
  if (session->dirty || session->conn == NULL)
    return;
  session->dirty = TRUE;
  g_ptr_array_add (relay->dirty, session);
}

void
_tea_relay_reschedule (TeaRelay *relay, TeaSession *session)
{
  gint64 deadline;

  if (session->conn)
    deadline = tea_conn_next_deadline (session->conn);
  else
    deadline = session->legacy_last_heard + (gint64) relay->config.legacy_idle_timeout_s * G_USEC_PER_SEC;
  if (deadline <= relay->now)
    _tea_relay_mark_dirty (relay, session);
  else
    tea_timer_wheel_schedule (&relay->wheel, &session->timer, deadline);
}

static void
forget_session (TeaRelay *relay, TeaSession *session)
{
  tea_timer_wheel_cancel (&relay->wheel, &session->timer);
  if (session->dirty)
    g_ptr_array_remove_fast (relay->dirty, session);
  if (session->doomed)
    g_ptr_array_remove_fast (relay->doomed, session);
  if (session->nick_key &&
      g_hash_table_lookup (relay->sessions_by_nick, session->nick_key) == session)
    g_hash_table_remove (relay->sessions_by_nick, session->nick_key);
  if (g_hash_table_lookup (relay->sessions_by_token, session->resume_token) == session)
    g_hash_table_remove (relay->sessions_by_token, session->resume_token);
  if (g_hash_table_lookup (relay->sessions_by_ephemeral, session->client_ephemeral) == session)
    g_hash_table_remove (relay->sessions_by_ephemeral, session->client_ephemeral);
  if (session->conn == NULL)
    g_hash_table_remove (relay->legacy_by_addr, &session->addr);
  relay->stats.sessions_ended++;
  g_hash_table_remove (relay->sessions, &session->id);
}

void
_tea_relay_end_session (TeaRelay *relay, TeaSession *session, guint8 kind, guint16 code, TeaStr reason)
{
  _tea_relay_leave_all_rooms (relay, session, kind, code, reason);
  if (session->conn && tea_conn_get_state (session->conn) != TEA_CONN_CLOSED)
    {
      /* Best effort: the peer learns why at once instead of timing out. */
      tea_conn_close (session->conn, code, relay->now);
      transmit_session (relay, session, relay->now);
    }
  g_debug ("session %016" G_GINT64_MODIFIER "x (%s) ended: code %u",
           session->id, session->nick ? session->nick : "-", code);
  forget_session (relay, session);
}

void
_tea_relay_doom (TeaRelay *relay, TeaSession *session, guint16 code)
{
  if (session->doomed)
    return;
  session->doomed = TRUE;
  session->doom_code = code;
  g_ptr_array_add (relay->doomed, session);
}

void
_tea_relay_process_doomed (TeaRelay *relay)
{
  /* Ending one session may doom others (their queues overflow with the
   * departure notice), hence the loop. */
  while (relay->doomed->len > 0)
    {
      TeaSession *session = g_ptr_array_steal_index (relay->doomed, relay->doomed->len - 1);

      session->doomed = FALSE;
      _tea_relay_end_session (relay, session, TEA_EVENT_TIMEOUT, session->doom_code, tea_str_from (NULL));
    }
}

void
_tea_relay_send_bytes (TeaRelay *relay, TeaSession *session, GBytes *bytes)
{
  if (session->doomed || session->conn == NULL)
    return;
  if (!tea_conn_queue_message (session->conn, bytes))
    {
      /* The member stopped reading: holding more for it would let one
       * stalled client grow the relay's memory without bound. */
      _tea_relay_doom (relay, session, TEA_CODE_SLOW_READER);
      return;
    }
  _tea_relay_mark_dirty (relay, session);
}

void
_tea_relay_send (TeaRelay *relay, TeaSession *session, const TeaMessage *msg)
{
  g_autoptr (GBytes) bytes = tea_message_encode_bytes (msg);

  g_return_if_fail (bytes != NULL);
  _tea_relay_send_bytes (relay, session, bytes);
}

void
_tea_relay_send_error (TeaRelay *relay, TeaSession *session, guint32 req_id,
                       TeaCode code, const char *detail, gint64 retry_after_us)
{
  TeaMessage msg = { .type = TEA_MSG_ERROR, .req_id = req_id };

  msg.error.code = code;
  msg.error.retry_after_ms = retry_after_us > 0 ? (guint32) MIN (retry_after_us / 1000 + 1, G_MAXUINT32) : 0;
  msg.error.detail = tea_str_from (detail);
  if (msg.error.detail.len > G_MAXUINT8)
    msg.error.detail.len = 0;
  relay->stats.requests_refused++;
  _tea_relay_send (relay, session, &msg);
}

/* ---- Incoming ---------------------------------------------------------- */

static void
handle_path_event (TeaRelay *relay, TeaSession *session)
{
  switch (tea_conn_take_path_event (session->conn))
    {
    case TEA_PATH_EVENT_VALIDATED:
      session->has_old_addr = FALSE;
      break;
    case TEA_PATH_EVENT_FAILED:
      if (session->has_old_addr)
        {
          TeaAddr old = session->old_addr;
          _tea_relay_session_set_addr (relay, session, &old);
          session->has_old_addr = FALSE;
        }
      break;
    case TEA_PATH_EVENT_NONE:
      break;
    }
}

static void
migrate (TeaRelay *relay, TeaSession *session, const TeaAddr *from, gsize len)
{
  /* Keep the last address that was proven, not an unproven one in between. */
  if (tea_conn_path_is_validated (session->conn))
    {
      session->old_addr = session->addr;
      session->has_old_addr = TRUE;
    }
  _tea_relay_session_set_addr (relay, session, from);
  tea_conn_path_changed (session->conn, len, relay->now);
  relay->stats.migrations++;
}

static void
after_conn_activity (TeaRelay *relay, TeaSession *session)
{
  TeaConn *conn = session->conn;

  handle_path_event (relay, session);
  if (session->doomed)
    return;
  if (tea_conn_get_state (conn) == TEA_CONN_CLOSED)
    {
      guint16 code = tea_conn_get_close_code (conn);

      if (tea_conn_closed_by_peer (conn))
        _tea_relay_end_session (relay, session, TEA_EVENT_QUIT, code, tea_str_from (NULL));
      else
        _tea_relay_end_session (relay, session, TEA_EVENT_TIMEOUT, code, tea_str_from (NULL));
      return;
    }
  _tea_relay_mark_dirty (relay, session);
}

static void
handle_session_packet (TeaRelay *relay, const TeaAddr *from, guint8 *data, gsize len)
{
  TeaSessionHeader header;
  TeaSession *session;
  gboolean on_path, highest;
  GBytes *message;

  if (!tea_session_header_decode (data, len, &header))
    {
      relay->stats.dropped_malformed++;
      return;
    }
  session = g_hash_table_lookup (relay->sessions, &header.session_id);
  if (session == NULL || session->conn == NULL || session->doomed)
    {
      relay->stats.dropped_unknown_session++;
      _tea_relay_send_reset (relay, from, header.session_id, len);
      return;
    }
  on_path = tea_addr_equal (from, &session->addr);
  switch (tea_conn_receive (session->conn, data, len, on_path, relay->now, &highest))
    {
    case TEA_CONN_RECV_REPLAY:
      relay->stats.dropped_replay++;
      return;
    case TEA_CONN_RECV_AUTH:
      relay->stats.dropped_auth++;
      return;
    case TEA_CONN_RECV_MALFORMED:
      relay->stats.dropped_malformed++;
      break;
    case TEA_CONN_RECV_OK:
    case TEA_CONN_RECV_CLOSED:
      break;
    }
  /* A packet under the session keys proves the client has its ACCEPT. */
  g_clear_pointer (&session->accept_packet, g_free);
  if (highest && !on_path)
    migrate (relay, session, from, len);
  while (!session->doomed && (message = tea_conn_pop_message (session->conn)))
    {
      _tea_relay_handle_message (relay, session, message);
      g_bytes_unref (message);
      if (!g_hash_table_contains (relay->sessions, &header.session_id))
        return; /* QUIT ended it */
    }
  after_conn_activity (relay, session);
}

static void
handle_bad_version (TeaRelay *relay, const TeaAddr *from, gsize len)
{
  guint8 reply[8];
  gsize reply_len;

  /* Only a padded first datagram earns an answer, as with HELLO. */
  if (len < TEA_HANDSHAKE_PADDED_LEN)
    {
      relay->stats.dropped_bad_version++;
      return;
    }
  reply_len = tea_version_negotiation_encode (reply, sizeof reply);
  relay->stats.unvalidated_bytes_received += len;
  relay->stats.unvalidated_bytes_sent += reply_len;
  _tea_relay_send_raw (relay, from, NULL, reply, reply_len);
}

void
tea_relay_count_oversized (TeaRelay *relay)
{
  relay->stats.datagrams_received++;
  relay->stats.dropped_oversized++;
}

void
tea_relay_receive (TeaRelay *relay, const TeaAddr *from, guint8 *data, gsize len, gint64 now_us)
{
  TeaPacketClass class;
  guint8 type;

  relay->now = now_us;
  relay->stats.datagrams_received++;
  relay->stats.bytes_received += len;
  class = tea_packet_classify (data, len, &type);
  /* No Teahouse peer sends more; only a legacy line may be longer. */
  if (len > TEA_MAX_DATAGRAM && class != TEA_PACKET_CLASS_FOREIGN)
    {
      relay->stats.dropped_oversized++;
      return;
    }
  switch (class)
    {
    case TEA_PACKET_CLASS_FOREIGN:
      if (relay->config.legacy)
        _tea_relay_handle_legacy (relay, from, data, len);
      else
        relay->stats.dropped_foreign++;
      break;
    case TEA_PACKET_CLASS_BAD_VERSION:
      /* A seed client called "THOMAS" starts with our magic too; only a
       * padded datagram can be a future version's handshake. */
      if (relay->config.legacy && len < TEA_HANDSHAKE_PADDED_LEN)
        _tea_relay_handle_legacy (relay, from, data, len);
      else
        handle_bad_version (relay, from, len);
      break;
    case TEA_PACKET_CLASS_NATIVE:
      if (type == TEA_PACKET_HELLO)
        _tea_relay_handle_hello (relay, from, data, len);
      else if (type == TEA_PACKET_INIT)
        _tea_relay_handle_init (relay, from, data, len);
      else if ((type & ~1) == TEA_PACKET_SESSION)
        handle_session_packet (relay, from, data, len);
      else
        relay->stats.dropped_malformed++;
      break;
    }
  _tea_relay_process_doomed (relay);
}

/* ---- Timers and flushing ----------------------------------------------- */

static TeaSession *
session_of_timer (TeaTimer *timer)
{
  return (TeaSession *) ((guint8 *) timer - G_STRUCT_OFFSET (TeaSession, timer));
}

void
tea_relay_handle_timeouts (TeaRelay *relay, gint64 now_us)
{
  TeaTimer *timer;

  relay->now = now_us;
  while ((timer = tea_timer_wheel_pop_expired (&relay->wheel, now_us)))
    {
      TeaSession *session = session_of_timer (timer);

      if (session->conn == NULL)
        {
          _tea_relay_legacy_timeout (relay, session, now_us);
          continue;
        }
      tea_conn_handle_timeout (session->conn, now_us);
      after_conn_activity (relay, session);
    }
  _tea_relay_process_doomed (relay);
}

void
tea_relay_flush (TeaRelay *relay, gint64 now_us)
{
  relay->now = now_us;
  do
    {
      _tea_relay_process_doomed (relay);
      while (relay->dirty->len > 0)
        {
          TeaSession *session = g_ptr_array_steal_index_fast (relay->dirty, relay->dirty->len - 1);

          session->dirty = FALSE;
          transmit_session (relay, session, now_us);
          if (tea_conn_get_state (session->conn) == TEA_CONN_CLOSED)
            after_conn_activity (relay, session);
          else
            tea_timer_wheel_schedule (&relay->wheel, &session->timer, tea_conn_next_deadline (session->conn));
        }
    }
  while (relay->doomed->len > 0);
  emit_outbox (relay);
}

gint64
tea_relay_next_deadline (TeaRelay *relay)
{
  if (relay->dirty->len > 0 || relay->doomed->len > 0)
    return relay->now;
  return tea_timer_wheel_next_wakeup (&relay->wheel);
}

void
tea_relay_shutdown (TeaRelay *relay, gint64 now_us)
{
  GHashTableIter iter;
  TeaSession *session;
  TeaMessage notice = { .type = TEA_MSG_NOTICE };
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (GPtrArray) all = g_ptr_array_new ();

  relay->now = now_us;
  notice.notice.code = TEA_CODE_SERVER_SHUTDOWN;
  bytes = tea_message_encode_bytes (&notice);
  g_hash_table_iter_init (&iter, relay->sessions);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &session))
    g_ptr_array_add (all, session);
  /* The notice goes on the reliable stream, then CLOSE right behind it, so
   * a client that misses the CLOSE still reads the notice on retransmit
   * while its session times out. */
  for (guint i = 0; i < all->len; i++)
    {
      session = g_ptr_array_index (all, i);
      if (session->conn == NULL)
        continue;
      tea_conn_queue_message (session->conn, bytes);
      transmit_session (relay, session, now_us);
      tea_conn_close (session->conn, TEA_CODE_SERVER_SHUTDOWN, now_us);
      transmit_session (relay, session, now_us);
    }
  for (guint i = 0; i < all->len; i++)
    {
      session = g_ptr_array_index (all, i);
      /* Nobody is left to tell; skip the per-room departure events. */
      g_ptr_array_set_size (session->memberships, 0);
      forget_session (relay, session);
    }
  g_hash_table_remove_all (relay->rooms_by_id);
  g_hash_table_remove_all (relay->rooms_by_key);
  emit_outbox (relay);
}
