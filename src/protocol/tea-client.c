/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <glib/gi18n-lib.h>
#include <sodium.h>

#include "tea-client.h"
#include "tea-code.h"
#include "tea-fingerprint.h"
#include "tea-names.h"
#include "tea-network-watch.h"
#include "tea-noise.h"
#include "tea-packet.h"
#include "tea-random.h"

#define PROLOGUE "teahouse/1"
#define HANDSHAKE_FIRST_RETRY_US (500 * 1000)
#define HANDSHAKE_MAX_RETRY_US (3 * G_USEC_PER_SEC)
#define ATTEMPT_TIMEOUT_US (10 * G_USEC_PER_SEC)
#define RECONNECT_MAX_DELAY_US (30 * G_USEC_PER_SEC)
#define RECV_BUFFER 2048

typedef enum {
  HANDSHAKE_IDLE,
  HANDSHAKE_RESOLVING,
  HANDSHAKE_HELLO,
  HANDSHAKE_INIT,
  HANDSHAKE_DONE,
} HandshakeStep;

typedef struct
{
  char *name;
  char *key;
  guint32 id;      /* this session's id for the room; 0 until JOINED */
  guint64 epoch;
  guint64 last_seq;
  guint16 history; /* events of history wanted on a first join */
  guint32 join_req; /* the JOIN in flight, 0 if none */
  gboolean abandoned; /* forgotten while its JOIN was in flight */
  guint32 part_req;   /* the PART leaving it so, 0 if none */
  GSource *part_retry; /* that PART again, after flood control refused it */
} Room;

struct _TeaClient
{
  GObject parent_instance;

  char *host;
  guint16 port;
  char *nick;
  char *client_name;
  TeaKnownServers *known;
  char *pinned_fingerprint;
  gboolean accept_new_key;
  gint64 connect_timeout_us;

  TeaClientState state;
  GError *error;
  GCancellable *cancellable;
  GSocketAddress *server_address;
  GList *other_addresses; /* GInetAddress: untried answers of the lookup */
  GSocket *socket;
  GSource *socket_source;
  GSource *timer;
  gboolean ever_connected;
  gboolean quitting;
  gboolean refused;
  guint reconnect_attempt;
  gint64 reconnect_at;
  gint64 attempt_deadline;

  HandshakeStep step;
  guint8 client_token[TEA_CLIENT_TOKEN_LEN];
  guint8 server_key[TEA_KEY_LEN];
  char *server_fingerprint;
  TeaNoiseHandshake noise;
  guint8 init_packet[TEA_MAX_DATAGRAM];
  gsize init_len;
  gint64 handshake_interval;
  gint64 handshake_next;

  TeaConn *conn;
  guint64 session_id;
  guint8 reset_token[TEA_RESET_TOKEN_LEN];
  guint8 resume_token[TEA_RESUME_TOKEN_LEN];
  char *resume_file;
  gboolean logged_in;
  guint32 login_req;
  guint32 next_req_id;

  GHashTable *rooms; /* key -> Room */
  TeaNetworkWatch *network_watch;
};

enum {
  PROP_0,
  PROP_STATE,
  PROP_NICK,
  N_PROPS
};

enum {
  SIGNAL_EVENT,
  SIGNAL_GAP,
  SIGNAL_MESSAGE,
  SIGNAL_SERVER_KEY,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (TeaClient, tea_client, G_TYPE_OBJECT)
G_DEFINE_QUARK (tea-client-error-quark, tea_client_error)

static void start_attempt (TeaClient *client);
static void finish_disconnect (TeaClient *client);
static void transmit (TeaClient *client);

static void
room_free (Room *room)
{
  if (room->part_retry)
    {
      g_source_destroy (room->part_retry);
      g_source_unref (room->part_retry);
    }
  g_free (room->name);
  g_free (room->key);
  g_free (room);
}

/* ---- Plumbing: socket, timer, state ------------------------------------ */

static void
close_socket (TeaClient *client)
{
  if (client->socket_source)
    {
      g_source_destroy (client->socket_source);
      g_clear_pointer (&client->socket_source, g_source_unref);
    }
  if (client->socket)
    g_socket_close (client->socket, NULL);
  g_clear_object (&client->socket);
}

static void
drop_session (TeaClient *client)
{
  GHashTableIter iter;
  Room *room;

  g_clear_pointer (&client->conn, tea_conn_free);
  tea_noise_clear (&client->noise);
  client->logged_in = FALSE;
  client->step = HANDSHAKE_IDLE;
  g_hash_table_iter_init (&iter, client->rooms);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &room))
    {
      room->id = 0;
      room->join_req = 0;
    }
}

static void
set_state (TeaClient *client, TeaClientState state)
{
  if (client->state == state)
    return;
  client->state = state;
  g_object_notify_by_pspec (G_OBJECT (client), properties[PROP_STATE]);
}

static void
set_error (TeaClient *client, guint code, const char *message)
{
  g_clear_error (&client->error);
  client->error = g_error_new_literal (TEA_CLIENT_ERROR, code, message);
}

static void
fail (TeaClient *client, guint code, const char *message)
{
  g_cancellable_cancel (client->cancellable);
  drop_session (client);
  close_socket (client);
  set_error (client, code, message);
  g_source_set_ready_time (client->timer, -1);
  set_state (client, TEA_CLIENT_STATE_FAILED);
}

static void
arm_timer (TeaClient *client)
{
  gint64 deadline = G_MAXINT64;

  if (client->state == TEA_CLIENT_STATE_FAILED || client->state == TEA_CLIENT_STATE_DISCONNECTED)
    {
      g_source_set_ready_time (client->timer, -1);
      return;
    }
  if (client->conn)
    deadline = tea_conn_next_deadline (client->conn);
  if (client->step == HANDSHAKE_HELLO || client->step == HANDSHAKE_INIT)
    deadline = MIN (deadline, client->handshake_next);
  if (client->step != HANDSHAKE_DONE && client->attempt_deadline)
    deadline = MIN (deadline, client->attempt_deadline);
  if (client->reconnect_at)
    deadline = MIN (deadline, client->reconnect_at);
  g_source_set_ready_time (client->timer, deadline == G_MAXINT64 ? -1 : MAX (deadline, 0));
}

static void
send_datagram (TeaClient *client, const guint8 *data, gsize len)
{
  g_autoptr (GError) error = NULL;

  if (client->socket == NULL)
    return;
  if (g_socket_send (client->socket, (const char *) data, len, NULL, &error) < 0 &&
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED))
    client->refused = TRUE;
}

static const char *
describe_loss (guint code)
{
  switch (code)
    {
    case TEA_CLIENT_ERROR_UNREACHABLE:
      return _("The server does not answer");
    case TEA_CLIENT_ERROR_RESOLVE:
      return _("The server’s name cannot be found");
    case TEA_CLIENT_ERROR_NETWORK:
      return _("The network is unavailable");
    default:
      return tea_code_describe (code);
    }
}

/* Connection lost: start over with a new session after a backoff, keeping
 * the rooms so they are rejoined and caught up. */
static void
lose_session (TeaClient *client, guint code, gboolean at_once)
{
  gint64 delay = 0;

  drop_session (client);
  close_socket (client);
  if (client->quitting)
    {
      set_state (client, TEA_CLIENT_STATE_DISCONNECTED);
      return;
    }
  set_error (client, code, describe_loss (code));
  if (!at_once || client->reconnect_attempt > 0)
    {
      /* 1, 2, 4 … 30 s, with jitter so a restarted relay is not hit by
       * every client in the same millisecond. */
      delay = MIN (G_USEC_PER_SEC << MIN (client->reconnect_attempt, 5), RECONNECT_MAX_DELAY_US);
      delay = delay * (80 + randombytes_uniform (41)) / 100;
    }
  client->reconnect_attempt++;
  client->reconnect_at = g_get_monotonic_time () + delay;
  set_state (client, TEA_CLIENT_STATE_RECONNECTING);
  arm_timer (client);
}

/* ---- Handshake --------------------------------------------------------- */

static void
send_hello (TeaClient *client)
{
  TeaHello hello;
  guint8 out[TEA_MAX_DATAGRAM];
  gsize len;

  memcpy (hello.client_token, client->client_token, TEA_CLIENT_TOKEN_LEN);
  len = tea_hello_encode (&hello, out, sizeof out);
  send_datagram (client, out, len);
}

static void
begin_hello (TeaClient *client)
{
  tea_random_bytes (client->client_token, sizeof client->client_token);
  client->step = HANDSHAKE_HELLO;
  client->handshake_interval = HANDSHAKE_FIRST_RETRY_US;
  client->handshake_next = g_get_monotonic_time () + client->handshake_interval;
  send_hello (client);
  arm_timer (client);
}

static gboolean try_next_address (TeaClient *client);

static void
retransmit_handshake (TeaClient *client)
{
  /* Silence from this address ("localhost" is ::1 and 127.0.0.1, a host
   * may have a dead IPv6 route): after two hellos, try the next one. */
  if (client->step == HANDSHAKE_HELLO && client->handshake_interval >= 2 * HANDSHAKE_FIRST_RETRY_US &&
      try_next_address (client))
    return;
  client->handshake_interval = MIN (client->handshake_interval * 2, HANDSHAKE_MAX_RETRY_US);
  client->handshake_next = g_get_monotonic_time () + client->handshake_interval;
  if (client->step == HANDSHAKE_HELLO)
    send_hello (client);
  else
    send_datagram (client, client->init_packet, client->init_len);
}

/* Pinning, like SSH: a relay seen for the first time is remembered; a
 * different key for a known relay is refused unless the user said so. */
static gboolean
check_server_key (TeaClient *client, const guint8 *key)
{
  g_autofree char *fingerprint = tea_fingerprint_from_key (key);
  const char *pinned = client->known ? tea_known_servers_lookup (client->known, client->host, client->port) : NULL;
  gboolean first_time = FALSE;
  gboolean replaced = FALSE;

  g_free (client->server_fingerprint);
  client->server_fingerprint = g_strdup (fingerprint);
  if (client->pinned_fingerprint)
    {
      if (!tea_fingerprint_matches (client->pinned_fingerprint, key))
        return FALSE;
      first_time = pinned == NULL || g_strcmp0 (pinned, fingerprint) != 0;
    }
  else if (pinned && g_strcmp0 (pinned, fingerprint) != 0)
    {
      if (!client->accept_new_key)
        return FALSE;
      first_time = replaced = TRUE;
    }
  else if (pinned == NULL)
    {
      first_time = TRUE;
    }
  if (first_time && client->known)
    {
      g_autoptr (GError) error = NULL;

      if (!tea_known_servers_remember (client->known, client->host, client->port, fingerprint, &error))
        {
          /* Trusted for this connection, but not pinned: server-key would
           * have the user told it is remembered, which is not true. */
          g_warning (_("Could not remember the server key: %s"), error->message);
          return TRUE;
        }
    }
  if (first_time)
    g_signal_emit (client, signals[SIGNAL_SERVER_KEY], 0, fingerprint, !replaced);
  return TRUE;
}

static void
handle_cookie (TeaClient *client, const guint8 *data, gsize len)
{
  TeaCookieReply reply;
  TeaInit init = { 0 };
  guint8 noise[128];
  gssize noise_len;

  if (client->step != HANDSHAKE_HELLO || !tea_cookie_reply_decode (data, len, &reply) ||
      memcmp (reply.client_token, client->client_token, TEA_CLIENT_TOKEN_LEN) != 0)
    return;
  if (!check_server_key (client, reply.server_key))
    {
      g_autofree char *message = NULL;

      if (client->pinned_fingerprint)
        {
          message = g_strdup_printf (_("The server’s key is not the one the link names. Someone may be "
                                       "intercepting the connection, or the link is wrong. The server "
                                       "offered %s."),
                                     client->server_fingerprint);
          fail (client, TEA_CLIENT_ERROR_WRONG_KEY, message);
          return;
        }
      message = g_strdup_printf (
        _("The server’s identity has changed. Someone may be intercepting the connection, "
          "or the server was reinstalled. Its key is now %s. Connect only if its operator "
          "confirms this key."),
        client->server_fingerprint);
      fail (client, TEA_CLIENT_ERROR_KEY_CHANGED, message);
      return;
    }
  memcpy (client->server_key, reply.server_key, TEA_KEY_LEN);
  tea_noise_init_initiator (&client->noise, (const guint8 *) PROLOGUE, strlen (PROLOGUE), client->server_key);
  noise_len = tea_noise_write_message (&client->noise, NULL, 0, noise, sizeof noise);
  g_assert (noise_len > 0);
  memcpy (init.client_token, client->client_token, TEA_CLIENT_TOKEN_LEN);
  memcpy (init.cookie, reply.cookie, TEA_COOKIE_LEN);
  init.noise = noise;
  init.noise_len = noise_len;
  client->init_len = tea_init_encode (&init, client->init_packet, sizeof client->init_packet);
  client->step = HANDSHAKE_INIT;
  client->handshake_interval = HANDSHAKE_FIRST_RETRY_US;
  client->handshake_next = g_get_monotonic_time () + client->handshake_interval;
  send_datagram (client, client->init_packet, client->init_len);
}

static guint32
next_req_id (TeaClient *client)
{
  if (++client->next_req_id == 0)
    client->next_req_id = 1;
  return client->next_req_id;
}

static guint32
send_message (TeaClient *client, TeaMessage *msg)
{
  g_autoptr (GBytes) bytes = NULL;

  if (client->conn == NULL)
    return 0;
  msg->req_id = next_req_id (client);
  bytes = tea_message_encode_bytes (msg);
  if (bytes == NULL || !tea_conn_queue_message (client->conn, bytes))
    return 0;
  /* Sent from the timer on this main loop turn, so requests made together
   * leave together. */
  g_source_set_ready_time (client->timer, 0);
  return msg->req_id;
}

static void
send_login (TeaClient *client)
{
  TeaMessage msg = { .type = TEA_MSG_LOGIN };

  msg.login.nick = tea_str_from (client->nick);
  memcpy (msg.login.resume_token, client->resume_token, TEA_RESUME_TOKEN_LEN);
  msg.login.client_name = tea_str_from (client->client_name);
  client->login_req = send_message (client, &msg);
}

static void
handle_accept (TeaClient *client, const guint8 *data, gsize len)
{
  TeaAccept accept;
  TeaAcceptParams params;
  TeaConnConfig config;
  guint8 payload[128], c2s[TEA_KEY_LEN], s2c[TEA_KEY_LEN];
  gssize payload_len;

  if (client->step != HANDSHAKE_INIT || !tea_accept_decode (data, len, &accept) ||
      memcmp (accept.client_token, client->client_token, TEA_CLIENT_TOKEN_LEN) != 0)
    return;
  payload_len = tea_noise_read_message (&client->noise, accept.noise, accept.noise_len, payload, sizeof payload);
  if (payload_len < 0 || !tea_accept_params_decode (payload, payload_len, &params))
    return; /* forged or corrupted: keep waiting for the real one */
  tea_noise_split (&client->noise, c2s, s2c);
  tea_noise_clear (&client->noise);
  tea_conn_config_init (&config);
  config.idle_timeout_us = (gint64) params.idle_timeout_s * G_USEC_PER_SEC;
  config.keepalive_us = (gint64) params.keepalive_s * G_USEC_PER_SEC;
  client->conn = tea_conn_new (TRUE, params.session_id, c2s, s2c, &config, g_get_monotonic_time ());
  sodium_memzero (c2s, sizeof c2s);
  sodium_memzero (s2c, sizeof s2c);
  client->session_id = params.session_id;
  memcpy (client->reset_token, params.reset_token, TEA_RESET_TOKEN_LEN);
  client->step = HANDSHAKE_DONE;
  send_login (client);
}

static void
handle_reject (TeaClient *client, const guint8 *data, gsize len)
{
  TeaReject reject;

  if ((client->step != HANDSHAKE_INIT && client->step != HANDSHAKE_HELLO) ||
      !tea_reject_decode (data, len, &reject) ||
      memcmp (reject.client_token, client->client_token, TEA_CLIENT_TOKEN_LEN) != 0)
    return;
  switch (reject.code)
    {
    case TEA_CODE_BAD_COOKIE:
      begin_hello (client);
      break;
    case TEA_CODE_RATE_LIMITED:
      client->step = HANDSHAKE_HELLO;
      client->handshake_next = g_get_monotonic_time () + (gint64) reject.retry_after_ms * 1000;
      break;
    default:
      if (client->ever_connected)
        lose_session (client, reject.code, FALSE);
      else
        fail (client, reject.code, tea_code_describe (reject.code));
      break;
    }
}

static void
handle_reset (TeaClient *client, const guint8 *data, gsize len)
{
  TeaReset reset;

  /* Only a reset that knows our session's secret token counts: anyone can
   * send one, but only the relay (even restarted) can make the token. */
  if (client->conn == NULL || !tea_reset_decode (data, len, &reset) ||
      reset.session_id != client->session_id ||
      sodium_memcmp (reset.token, client->reset_token, TEA_RESET_TOKEN_LEN) != 0)
    return;
  lose_session (client, TEA_CODE_SESSION_UNKNOWN, TRUE);
}

/* ---- Messages ---------------------------------------------------------- */

static Room *
room_by_id (TeaClient *client, guint32 id)
{
  GHashTableIter iter;
  Room *room;

  g_hash_table_iter_init (&iter, client->rooms);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &room))
    if (room->id == id && id != 0)
      return room;
  return NULL;
}

static Room *
room_by_name (TeaClient *client, const char *name)
{
  g_autofree char *key = tea_name_fold (name, strlen (name));
  return g_hash_table_lookup (client->rooms, key);
}

static Room *
want_room (TeaClient *client, const char *name, guint16 history)
{
  Room *room = room_by_name (client, name);

  if (room == NULL)
    {
      room = g_new0 (Room, 1);
      room->name = g_strdup (name);
      room->key = tea_name_fold (name, strlen (name));
      room->history = history;
      g_hash_table_insert (client->rooms, room->key, room);
    }
  return room;
}

static guint32
send_join (TeaClient *client, Room *room)
{
  TeaMessage msg = { .type = TEA_MSG_JOIN };

  msg.join.room = tea_str_from (room->name);
  msg.join.epoch = room->epoch;
  msg.join.last_seq = room->last_seq;
  msg.join.history = room->last_seq > 0 ? 0 : room->history;
  room->join_req = send_message (client, &msg);
  return room->join_req;
}

/* Without the token on disk, a restarted client cannot take its session
 * back: its rooms see it leave and join again. Worth a warning in the log,
 * not a failure. */
static void
save_resume_token (TeaClient *client)
{
  g_autofree char *dir = NULL;
  g_autofree char *hex = NULL;
  g_autoptr (GError) error = NULL;

  if (client->resume_file == NULL)
    return;
  dir = g_path_get_dirname (client->resume_file);
  hex = g_malloc (TEA_RESUME_TOKEN_LEN * 2 + 1);
  sodium_bin2hex (hex, TEA_RESUME_TOKEN_LEN * 2 + 1, client->resume_token, TEA_RESUME_TOKEN_LEN);
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved_errno = errno;
      g_warning ("Could not keep the resume token: cannot create %s: %s", dir, g_strerror (saved_errno));
    }
  else if (!g_file_set_contents_full (client->resume_file, hex, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600, &error))
    {
      g_warning ("Could not keep the resume token: %s", error->message);
    }
  sodium_memzero (hex, strlen (hex));
}

static void
handle_welcome (TeaClient *client, const TeaMessage *msg)
{
  GHashTableIter iter;
  Room *room;

  g_free (client->nick);
  client->nick = tea_str_dup (msg->welcome.nick);
  memcpy (client->resume_token, msg->welcome.resume_token, TEA_RESUME_TOKEN_LEN);
  save_resume_token (client);
  client->logged_in = TRUE;
  client->ever_connected = TRUE;
  client->reconnect_attempt = 0;
  client->attempt_deadline = 0;
  g_clear_error (&client->error);
  g_object_notify_by_pspec (G_OBJECT (client), properties[PROP_NICK]);
  /* Rejoin with the last seq seen in each room: the relay sends what we
   * missed, or says what it no longer has. */
  g_hash_table_iter_init (&iter, client->rooms);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &room))
    {
      if (room->abandoned)
        g_hash_table_iter_remove (&iter);
      else
        send_join (client, room);
    }
  set_state (client, TEA_CLIENT_STATE_CONNECTED);
}

/* The room was forgotten while its JOIN was on the way, and the relay
 * made us a member anyway: leave at once, or we would stay in it unseen
 * (and be rejoined after every reconnect). Its events, until our PART,
 * are not passed on. */
static void
leave_abandoned (TeaClient *client, Room *room)
{
  TeaMessage msg = { .type = TEA_MSG_PART };

  msg.room_text.room_id = room->id;
  msg.room_text.text = tea_str_from ("");
  room->part_req = send_message (client, &msg);
}

typedef struct
{
  TeaClient *client;
  Room *room; /* destroys this source when freed */
} PartRetry;

static gboolean
retry_part (gpointer user_data)
{
  PartRetry *retry = user_data;
  Room *room = retry->room;

  g_clear_pointer (&room->part_retry, g_source_unref);
  if (room->abandoned && room->id != 0 && retry->client->logged_in)
    leave_abandoned (retry->client, room);
  return G_SOURCE_REMOVE;
}

static void
schedule_part_retry (TeaClient *client, Room *room, guint32 after_ms)
{
  PartRetry *retry;

  g_return_if_fail (room->part_retry == NULL);
  retry = g_new (PartRetry, 1);
  *retry = (PartRetry) { client, room };
  room->part_retry = g_timeout_source_new (MAX (after_ms, 1));
  g_source_set_callback (room->part_retry, retry_part, retry, g_free);
  g_source_attach (room->part_retry, g_main_context_get_thread_default ());
}

static void
handle_joined (TeaClient *client, const TeaMessage *msg)
{
  g_autofree char *name = tea_str_dup (msg->joined.room);
  Room *room = want_room (client, name, 0);

  /* The relay's spelling of the name wins (it created the room). */
  g_free (room->name);
  room->name = g_steal_pointer (&name);
  room->id = msg->joined.room_id;
  if (room->epoch != msg->joined.epoch)
    room->last_seq = 0; /* a new room of that name: its numbering restarted */
  room->epoch = msg->joined.epoch;
  room->join_req = 0;
  if (room->abandoned)
    leave_abandoned (client, room);
}

/* A request the relay refused. A room forgotten while its JOIN was on
 * the way can go now. The PART leaving such a room, if flood control
 * refused it, goes again when allowed: the relay would otherwise keep us
 * in the room, a member the others see and we never show. */
static void
handle_refused (TeaClient *client, const TeaMessage *msg)
{
  GHashTableIter iter;
  Room *room;

  if (msg->req_id == 0)
    return;
  g_hash_table_iter_init (&iter, client->rooms);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &room))
    if (room->join_req == msg->req_id)
      {
        room->join_req = 0;
        if (room->abandoned)
          g_hash_table_iter_remove (&iter);
        return;
      }
    else if (room->part_req == msg->req_id)
      {
        room->part_req = 0;
        if (msg->error.code == TEA_CODE_FLOOD)
          schedule_part_retry (client, room, msg->error.retry_after_ms);
        else
          g_hash_table_iter_remove (&iter); /* not a member after all */
        return;
      }
}

static gboolean
is_own_nick (TeaClient *client, const TeaStr *nick)
{
  return client->nick != NULL && tea_names_equal (nick->str, nick->len, client->nick, -1);
}

static void
handle_event (TeaClient *client, const TeaMessage *msg)
{
  const TeaEvent *event = &msg->event;
  Room *room = room_by_id (client, event->room_id);
  g_autofree char *name = NULL;

  if (room == NULL || event->seq <= room->last_seq)
    return; /* already delivered before a reconnect */
  room->last_seq = event->seq;
  if (room->abandoned)
    {
      if (event->kind == TEA_EVENT_PART && is_own_nick (client, &event->nick))
        g_hash_table_remove (client->rooms, room->key);
      return;
    }
  name = g_strdup (room->name);
  if (event->kind == TEA_EVENT_NICK && client->nick &&
      tea_names_equal (event->nick.str, event->nick.len, client->nick, -1))
    {
      g_free (client->nick);
      client->nick = tea_str_dup (event->new_nick);
      g_object_notify_by_pspec (G_OBJECT (client), properties[PROP_NICK]);
    }
  g_signal_emit (client, signals[SIGNAL_EVENT], 0, name, event);
  if (event->kind == TEA_EVENT_PART && is_own_nick (client, &event->nick))
    g_hash_table_remove (client->rooms, room->key);
}

static void
handle_gap (TeaClient *client, const TeaMessage *msg)
{
  Room *room = room_by_id (client, msg->gap.room_id);

  if (room)
    g_signal_emit (client, signals[SIGNAL_GAP], 0, room->name, msg->gap.first, msg->gap.last, (guint) msg->gap.reason);
}

static void
handle_login_error (TeaClient *client, const TeaMessage *msg)
{
  client->quitting = TRUE;
  fail (client, msg->error.code, tea_code_describe (msg->error.code));
}

static void
handle_message (TeaClient *client, GBytes *bytes)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (bytes, &len);
  TeaMessage msg;

  if (tea_message_decode (data, len, &msg) != TEA_CODE_NONE)
    {
      g_debug ("dropped a malformed message from the relay");
      return;
    }
  switch (msg.type)
    {
    case TEA_MSG_WELCOME:
      handle_welcome (client, &msg);
      break;
    case TEA_MSG_JOINED:
      handle_joined (client, &msg);
      break;
    case TEA_MSG_EVENT:
      handle_event (client, &msg);
      return;
    case TEA_MSG_GAP:
      handle_gap (client, &msg);
      return;
    case TEA_MSG_ERROR:
      if (msg.req_id == client->login_req && !client->logged_in)
        {
          handle_login_error (client, &msg);
          return;
        }
      handle_refused (client, &msg);
      break;
    case TEA_MSG_NOTICE:
      if (msg.notice.code == TEA_CODE_SERVER_SHUTDOWN)
        set_error (client, msg.notice.code, tea_code_describe (msg.notice.code));
      break;
    default:
      break;
    }
  g_signal_emit (client, signals[SIGNAL_MESSAGE], 0, &msg);
}

static void
after_conn_activity (TeaClient *client)
{
  GBytes *message;

  g_object_ref (client);
  while (client->conn && (message = tea_conn_pop_message (client->conn)))
    {
      handle_message (client, message);
      g_bytes_unref (message);
    }
  if (client->conn && tea_conn_get_state (client->conn) == TEA_CONN_CLOSED)
    lose_session (client, tea_conn_get_close_code (client->conn),
                  tea_conn_get_close_code (client->conn) != TEA_CODE_SERVER_SHUTDOWN);
  else
    transmit (client);
  g_object_unref (client);
}

static void
handle_session_packet (TeaClient *client, guint8 *data, gsize len)
{
  gboolean highest;

  if (client->conn == NULL)
    return;
  tea_conn_receive (client->conn, data, len, TRUE, g_get_monotonic_time (), &highest);
  after_conn_activity (client);
}

static void
handle_datagram (TeaClient *client, guint8 *data, gsize len)
{
  guint8 type;

  if (tea_packet_classify (data, len, &type) != TEA_PACKET_CLASS_NATIVE)
    return;
  switch (type)
    {
    case TEA_PACKET_COOKIE:
      handle_cookie (client, data, len);
      break;
    case TEA_PACKET_ACCEPT:
      handle_accept (client, data, len);
      break;
    case TEA_PACKET_REJECT:
      handle_reject (client, data, len);
      break;
    case TEA_PACKET_RESET:
      handle_reset (client, data, len);
      break;
    case TEA_PACKET_SESSION:
    case TEA_PACKET_SESSION | 1:
      handle_session_packet (client, data, len);
      break;
    default:
      break;
    }
}

static gboolean
on_readable (GSocket *socket, GIOCondition condition, gpointer user_data)
{
  TeaClient *client = user_data;
  guint8 buffer[RECV_BUFFER];

  g_object_ref (client);
  while (client->socket == socket)
    {
      g_autoptr (GError) error = NULL;
      gssize n = g_socket_receive (socket, (char *) buffer, sizeof buffer, NULL, &error);

      if (n < 0)
        {
          if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED))
            client->refused = TRUE;
          else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
            g_debug ("receive failed: %s", error->message);
          if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED))
            break;
          continue;
        }
      if (n <= TEA_MAX_DATAGRAM)
        handle_datagram (client, buffer, n);
    }
  /* Nothing listens there: the next address, if the name had several. */
  if (client->refused && client->step == HANDSHAKE_HELLO)
    try_next_address (client);
  arm_timer (client);
  g_object_unref (client);
  return G_SOURCE_CONTINUE;
}

static void
transmit (TeaClient *client)
{
  guint8 out[TEA_MAX_DATAGRAM];
  gsize len;

  if (client->conn == NULL)
    return;
  while ((len = tea_conn_poll_transmit (client->conn, g_get_monotonic_time (), out)) > 0)
    send_datagram (client, out, len);
}

static gboolean
open_socket (TeaClient *client, GError **error)
{
  g_autoptr (GSocket) socket = g_socket_new (g_socket_address_get_family (client->server_address),
                                             G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, error);

  if (socket == NULL)
    return FALSE;
  g_socket_set_blocking (socket, FALSE);
  /* Connected: the kernel keeps other senders out, and reports refusals. */
  if (!g_socket_connect (socket, client->server_address, NULL, error))
    return FALSE;
  close_socket (client);
  client->socket = g_steal_pointer (&socket);
  client->socket_source = g_socket_create_source (client->socket, G_IO_IN, NULL);
  g_source_set_callback (client->socket_source, G_SOURCE_FUNC (on_readable), client, NULL);
  g_source_attach (client->socket_source, g_main_context_get_thread_default ());
  return TRUE;
}

static void
on_resolved (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (TeaClient) client = user_data;
  g_autoptr (GError) error = NULL;
  GList *addresses = g_resolver_lookup_by_name_finish (G_RESOLVER (source), result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (client->step != HANDSHAKE_RESOLVING)
    {
      g_resolver_free_addresses (addresses);
      return;
    }
  if (addresses == NULL)
    {
      g_autofree char *message = g_strdup_printf (_("Cannot find the server “%s”: %s"), client->host, error->message);
      if (client->ever_connected)
        lose_session (client, TEA_CLIENT_ERROR_RESOLVE, FALSE);
      else
        fail (client, TEA_CLIENT_ERROR_RESOLVE, message);
      return;
    }
  g_list_free_full (client->other_addresses, g_object_unref);
  client->other_addresses = addresses;
  if (!try_next_address (client))
    {
      if (client->ever_connected)
        lose_session (client, TEA_CLIENT_ERROR_NETWORK, FALSE);
      else
        fail (client, TEA_CLIENT_ERROR_NETWORK, _("No network reaches the server’s address"));
    }
}

/* Moves this attempt to the next address the server's name resolved to
 * that a socket can be opened for. */
static gboolean
try_next_address (TeaClient *client)
{
  while (client->other_addresses)
    {
      g_autoptr (GInetAddress) address = client->other_addresses->data;
      g_autoptr (GError) error = NULL;

      client->other_addresses = g_list_delete_link (client->other_addresses, client->other_addresses);
      client->refused = FALSE;
      g_clear_object (&client->server_address);
      client->server_address = g_inet_socket_address_new (address, client->port);
      if (open_socket (client, &error))
        {
          begin_hello (client);
          return TRUE;
        }
      g_debug ("cannot use an address of %s: %s", client->host, error->message);
    }
  return FALSE;
}

static void
start_attempt (TeaClient *client)
{
  g_autoptr (GResolver) resolver = g_resolver_get_default ();

  client->reconnect_at = 0;
  client->refused = FALSE;
  client->step = HANDSHAKE_RESOLVING;
  client->attempt_deadline = g_get_monotonic_time () +
                             (client->ever_connected ? ATTEMPT_TIMEOUT_US : client->connect_timeout_us);
  /* A lookup of an earlier attempt must not complete into this one. */
  if (client->cancellable)
    g_cancellable_cancel (client->cancellable);
  g_clear_object (&client->cancellable);
  client->cancellable = g_cancellable_new ();
  g_resolver_lookup_by_name_async (resolver, client->host, client->cancellable, on_resolved, g_object_ref (client));
  arm_timer (client);
}

static void
attempt_timed_out (TeaClient *client)
{
  g_autofree char *message = NULL;

  if (client->ever_connected)
    {
      lose_session (client, TEA_CLIENT_ERROR_UNREACHABLE, FALSE);
      return;
    }
  if (client->refused)
    message = g_strdup_printf (_("No Teahouse server is running at %s port %u"), client->host, client->port);
  else
    message = g_strdup_printf (_("The server %s port %u does not answer"), client->host, client->port);
  fail (client, TEA_CLIENT_ERROR_UNREACHABLE, message);
}

static gboolean
on_timer (gpointer user_data)
{
  TeaClient *client = user_data;
  gint64 now = g_get_monotonic_time ();

  g_object_ref (client);
  if (client->quitting && client->attempt_deadline && now >= client->attempt_deadline)
    {
      finish_disconnect (client);
    }
  else if (client->reconnect_at && now >= client->reconnect_at)
    {
      set_state (client, TEA_CLIENT_STATE_RECONNECTING);
      start_attempt (client);
    }
  else if (client->step != HANDSHAKE_DONE && client->attempt_deadline && now >= client->attempt_deadline)
    {
      attempt_timed_out (client);
    }
  else if ((client->step == HANDSHAKE_HELLO || client->step == HANDSHAKE_INIT) && now >= client->handshake_next)
    {
      retransmit_handshake (client);
    }
  else if (client->conn)
    {
      if (tea_conn_next_deadline (client->conn) <= now)
        tea_conn_handle_timeout (client->conn, now);
      after_conn_activity (client);
    }
  arm_timer (client);
  g_object_unref (client);
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

/* ---- GObject ----------------------------------------------------------- */

static void
tea_client_dispose (GObject *object)
{
  TeaClient *client = TEA_CLIENT (object);

  if (client->network_watch)
    g_signal_handlers_disconnect_by_data (client->network_watch, client);
  g_clear_object (&client->network_watch);
  if (client->cancellable)
    g_cancellable_cancel (client->cancellable);
  close_socket (client);
  if (client->timer)
    {
      g_source_destroy (client->timer);
      g_clear_pointer (&client->timer, g_source_unref);
    }
  G_OBJECT_CLASS (tea_client_parent_class)->dispose (object);
}

static void
tea_client_finalize (GObject *object)
{
  TeaClient *client = TEA_CLIENT (object);

  drop_session (client);
  g_clear_object (&client->cancellable);
  g_clear_object (&client->server_address);
  g_list_free_full (client->other_addresses, g_object_unref);
  g_clear_error (&client->error);
  g_hash_table_unref (client->rooms);
  g_free (client->host);
  g_free (client->nick);
  g_free (client->client_name);
  g_free (client->pinned_fingerprint);
  g_free (client->server_fingerprint);
  sodium_memzero (client->resume_token, sizeof client->resume_token);
  g_free (client->resume_file);
  G_OBJECT_CLASS (tea_client_parent_class)->finalize (object);
}

static void
tea_client_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  TeaClient *client = TEA_CLIENT (object);

  switch (prop_id)
    {
    case PROP_STATE:
      g_value_set_int (value, client->state);
      break;
    case PROP_NICK:
      g_value_set_string (value, client->nick);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tea_client_class_init (TeaClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = tea_client_dispose;
  object_class->finalize = tea_client_finalize;
  object_class->get_property = tea_client_get_property;

  properties[PROP_STATE] = g_param_spec_int ("state", NULL, NULL,
                                             TEA_CLIENT_STATE_DISCONNECTED, TEA_CLIENT_STATE_FAILED,
                                             TEA_CLIENT_STATE_DISCONNECTED,
                                             G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_NICK] = g_param_spec_string ("nick", NULL, NULL, NULL,
                                               G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * TeaClient::event:
   * @room: the room's name
   * @event: (type gpointer): the TeaEvent, valid during emission
   *
   * A room event, each exactly once even across reconnections.
   */
  signals[SIGNAL_EVENT] = g_signal_new ("event", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                        G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_POINTER);
  /**
   * TeaClient::gap:
   *
   * Events first..last of a room could not be recovered (reason is a
   * TeaGapReason).
   */
  signals[SIGNAL_GAP] = g_signal_new ("gap", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                      G_TYPE_NONE, 4, G_TYPE_STRING, G_TYPE_UINT64, G_TYPE_UINT64, G_TYPE_UINT);
  /**
   * TeaClient::message:
   * @message: (type gpointer): the TeaMessage, valid during emission
   *
   * Any other message from the relay: replies (OK, ERROR, JOINED, lists),
   * private messages and notices.
   */
  signals[SIGNAL_MESSAGE] = g_signal_new ("message", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                          G_TYPE_NONE, 1, G_TYPE_POINTER);
  /**
   * TeaClient::server-key:
   * @fingerprint: the relay's key fingerprint
   * @first_time: TRUE on first contact, FALSE when a changed key was
   *   accepted on request
   *
   * A relay key was pinned: remembered in the known-servers file, if the
   * client has one (if that fails, a warning is logged instead).
   */
  signals[SIGNAL_SERVER_KEY] = g_signal_new ("server-key", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                             G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_BOOLEAN);
}

static void
tea_client_init (TeaClient *client)
{
  client->rooms = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) room_free);
  client->connect_timeout_us = 10 * G_USEC_PER_SEC;
  client->client_name = g_strdup ("teahouse/" PACKAGE_VERSION);
  client->timer = g_source_new (&timer_funcs, sizeof (GSource));
  g_source_set_callback (client->timer, on_timer, client, NULL);
  g_source_set_name (client->timer, "teahouse client timers");
  g_source_attach (client->timer, g_main_context_get_thread_default ());
}

TeaClient *
tea_client_new (const char *host, guint16 port, const char *nick)
{
  TeaClient *client = g_object_new (TEA_TYPE_CLIENT, NULL);

  tea_crypto_init ();
  client->host = g_strdup (host);
  client->port = port;
  client->nick = g_strdup (nick);
  return client;
}

void
tea_client_set_known_servers (TeaClient *client, TeaKnownServers *known)
{
  client->known = known;
}

void
tea_client_set_pinned_fingerprint (TeaClient *client, const char *fingerprint)
{
  g_free (client->pinned_fingerprint);
  client->pinned_fingerprint = g_strdup (fingerprint);
}

void
tea_client_set_accept_new_key (TeaClient *client, gboolean accept)
{
  client->accept_new_key = accept;
}

void
tea_client_set_connect_timeout (TeaClient *client, guint seconds)
{
  client->connect_timeout_us = (gint64) seconds * G_USEC_PER_SEC;
}

void
tea_client_set_resume_file (TeaClient *client, const char *path)
{
  g_autofree char *hex = NULL;
  gsize len = 0;

  g_free (client->resume_file);
  client->resume_file = g_strdup (path);
  if (path && g_file_get_contents (path, &hex, &len, NULL))
    {
      g_strstrip (hex);
      if (sodium_hex2bin (client->resume_token, TEA_RESUME_TOKEN_LEN, hex, strlen (hex), NULL, &len, NULL) != 0 ||
          len != TEA_RESUME_TOKEN_LEN)
        sodium_memzero (client->resume_token, TEA_RESUME_TOKEN_LEN);
      sodium_memzero (hex, strlen (hex));
    }
}

void
tea_client_set_client_name (TeaClient *client, const char *name)
{
  g_free (client->client_name);
  client->client_name = g_strdup (name);
}

void
tea_client_connect (TeaClient *client)
{
  client->quitting = FALSE;
  client->ever_connected = FALSE;
  client->reconnect_attempt = 0;
  g_clear_error (&client->error);
  set_state (client, TEA_CLIENT_STATE_CONNECTING);
  start_attempt (client);
}

/* Gives the QUIT this long to reach the relay (it answers with CLOSE). */
#define QUIT_LINGER_US (2 * G_USEC_PER_SEC)

static void
finish_disconnect (TeaClient *client)
{
  g_cancellable_cancel (client->cancellable);
  client->reconnect_at = 0;
  client->attempt_deadline = 0;
  drop_session (client);
  close_socket (client);
  set_state (client, TEA_CLIENT_STATE_DISCONNECTED);
  arm_timer (client);
}

void
tea_client_disconnect (TeaClient *client, const char *reason)
{
  TeaMessage msg = { .type = TEA_MSG_QUIT };

  client->quitting = TRUE;
  client->reconnect_at = 0;
  if (client->conn == NULL || !client->logged_in)
    {
      finish_disconnect (client);
      return;
    }
  /* The QUIT rides the reliable stream; the relay's CLOSE ends us (see
   * lose_session), or the linger deadline does. */
  msg.quit.reason = tea_str_from (reason);
  send_message (client, &msg);
  transmit (client);
  client->attempt_deadline = g_get_monotonic_time () + QUIT_LINGER_US;
  client->step = HANDSHAKE_IDLE;
  arm_timer (client);
}

void
tea_client_reconnect_now (TeaClient *client)
{
  if (client->state != TEA_CLIENT_STATE_RECONNECTING && client->state != TEA_CLIENT_STATE_FAILED)
    return;
  /* Already trying: starting over would throw away a handshake (and a
   * session the relay made for it) that may be one datagram from done.
   * Only the wait before an attempt is skipped. */
  if (client->step != HANDSHAKE_IDLE)
    return;
  if (client->state == TEA_CLIENT_STATE_FAILED)
    set_state (client, TEA_CLIENT_STATE_RECONNECTING);
  client->reconnect_at = g_get_monotonic_time ();
  arm_timer (client);
}

gboolean
tea_client_rebind (TeaClient *client, GError **error)
{
  if (client->server_address == NULL)
    return TRUE;
  if (!open_socket (client, error))
    return FALSE;
  /* Tell the relay at once, so the path is validated before it matters. */
  if (client->conn)
    {
      tea_conn_send_ping (client->conn);
      transmit (client);
      arm_timer (client);
    }
  return TRUE;
}

void
tea_client_network_changed (TeaClient *client)
{
  g_autoptr (GError) error = NULL;

  switch (client->state)
    {
    case TEA_CLIENT_STATE_CONNECTED:
      /* The socket's source address may be gone, and after a suspend the
       * relay may have forgotten us: a fresh socket and a PING tell within
       * a round trip (a RESET brings a new session at once). */
      if (!tea_client_rebind (client, &error))
        lose_session (client, TEA_CLIENT_ERROR_NETWORK, TRUE);
      break;
    case TEA_CLIENT_STATE_RECONNECTING:
      tea_client_reconnect_now (client);
      break;
    default:
      break;
    }
}

void
tea_client_watch_network (TeaClient *client)
{
  if (client->network_watch)
    return;
  client->network_watch = tea_network_watch_new ();
  g_signal_connect_swapped (client->network_watch, "changed", G_CALLBACK (tea_client_network_changed), client);
}

TeaClientState
tea_client_get_state (TeaClient *client)
{
  return client->state;
}

const GError *
tea_client_get_error (TeaClient *client)
{
  return client->error;
}

gint64
tea_client_get_reconnect_time (TeaClient *client)
{
  return client->reconnect_at;
}

const char *
tea_client_get_nick (TeaClient *client)
{
  return client->nick;
}

const char *
tea_client_get_host (TeaClient *client)
{
  return client->host;
}

guint16
tea_client_get_port (TeaClient *client)
{
  return client->port;
}

const char *
tea_client_get_server_fingerprint (TeaClient *client)
{
  return client->server_fingerprint;
}

const TeaConnStats *
tea_client_get_conn_stats (TeaClient *client)
{
  return client->conn ? tea_conn_get_stats (client->conn) : NULL;
}

guint64
tea_client_get_session_id (TeaClient *client)
{
  return client->conn ? client->session_id : 0;
}

GStrv
tea_client_dup_rooms (TeaClient *client)
{
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();
  GHashTableIter iter;
  Room *room;

  g_hash_table_iter_init (&iter, client->rooms);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &room))
    g_strv_builder_add (builder, room->name);
  return g_strv_builder_end (builder);
}

gboolean
tea_client_in_room (TeaClient *client, const char *room)
{
  Room *r = room_by_name (client, room);
  return r != NULL && r->id != 0 && !r->abandoned;
}

guint64
tea_client_get_last_seq (TeaClient *client, const char *room)
{
  Room *r = room_by_name (client, room);
  return r ? r->last_seq : 0;
}

guint32
tea_client_join (TeaClient *client, const char *name, guint16 history)
{
  Room *room = room_by_name (client, name);

  if (room && room->abandoned)
    {
      /* Wanted again. If our PART is already on its way, this is a new
       * stay: the JOIN goes after the PART, in order. */
      room->abandoned = FALSE;
      if (room->id == 0)
        return room->join_req; /* the JOIN in flight serves */
      g_hash_table_remove (client->rooms, room->key);
    }
  room = want_room (client, name, history);
  return client->logged_in ? send_join (client, room) : 0;
}

void
tea_client_forget_room (TeaClient *client, const char *name)
{
  Room *room = room_by_name (client, name);

  if (room == NULL || room->id != 0)
    return;
  /* A JOIN on its way may still make us a member: see leave_abandoned(). */
  if (room->join_req != 0)
    room->abandoned = TRUE;
  else
    g_hash_table_remove (client->rooms, room->key);
}

static guint32
room_id_for (TeaClient *client, const char *name)
{
  Room *room = room_by_name (client, name);
  return room ? room->id : 0;
}

static guint32
send_room_text (TeaClient *client, guint8 type, const char *room, const char *text, guint8 kind)
{
  TeaMessage msg = { .type = type };

  msg.room_text.room_id = room_id_for (client, room);
  msg.room_text.text = tea_str_from (text);
  msg.room_text.kind = kind;
  if (msg.room_text.room_id == 0)
    return 0;
  return send_message (client, &msg);
}

guint32
tea_client_part (TeaClient *client, const char *room, const char *reason)
{
  return send_room_text (client, TEA_MSG_PART, room, reason, 0);
}

guint32
tea_client_say (TeaClient *client, const char *room, const char *text, TeaTextKind kind)
{
  return send_room_text (client, TEA_MSG_SAY, room, text, kind);
}

guint32
tea_client_set_topic (TeaClient *client, const char *room, const char *topic)
{
  return send_room_text (client, TEA_MSG_TOPIC, room, topic, 0);
}

guint32
tea_client_privmsg (TeaClient *client, const char *nick, const char *text, TeaTextKind kind)
{
  TeaMessage msg = { .type = TEA_MSG_PRIVMSG };

  msg.privmsg.nick = tea_str_from (nick);
  msg.privmsg.text = tea_str_from (text);
  msg.privmsg.kind = kind;
  return send_message (client, &msg);
}

guint32
tea_client_names (TeaClient *client, const char *room)
{
  TeaMessage msg = { .type = TEA_MSG_NAMES };

  msg.names.room_id = room_id_for (client, room);
  return msg.names.room_id ? send_message (client, &msg) : 0;
}

guint32
tea_client_list (TeaClient *client)
{
  TeaMessage msg = { .type = TEA_MSG_LIST };
  return send_message (client, &msg);
}

guint32
tea_client_change_nick (TeaClient *client, const char *nick)
{
  TeaMessage msg = { .type = TEA_MSG_NICK };

  msg.nick.nick = tea_str_from (nick);
  return send_message (client, &msg);
}

guint32
tea_client_edit (TeaClient *client, const char *room, guint64 seq, const char *text)
{
  TeaMessage msg = { .type = TEA_MSG_EDIT };

  msg.edit.room_id = room_id_for (client, room);
  msg.edit.seq = seq;
  msg.edit.text = tea_str_from (text);
  return msg.edit.room_id ? send_message (client, &msg) : 0;
}

guint32
tea_client_delete (TeaClient *client, const char *room, guint64 seq)
{
  TeaMessage msg = { .type = TEA_MSG_DELETE };

  msg.edit.room_id = room_id_for (client, room);
  msg.edit.seq = seq;
  return msg.edit.room_id ? send_message (client, &msg) : 0;
}
