/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The relay's side of session setup: HELLO answered with a stateless
 * cookie, INIT (cookie + Noise NK message 1) answered with ACCEPT (Noise
 * message 2), and stateless resets for packets of unknown sessions.
 *
 * Nothing is allocated for an address until it echoes a valid cookie, and
 * an address that has not done so never gets more bytes than it sent.
 */
#include "config.h"

#include <sodium.h>

#include "tea-packet.h"
#include "tea-relay-private.h"

/* Noise prologue: binds the handshake to this protocol and version. */
#define PROLOGUE "teahouse/1"

typedef struct
{
  TeaAddr host;
  TeaTokenBucket bucket;
} HandshakeLimit;

static void
send_unvalidated (TeaRelay *relay, const TeaAddr *to, const guint8 *data, gsize len, gsize received)
{
  /* The amplification rule, checked where it is applied. */
  g_assert (len <= received);
  relay->stats.unvalidated_bytes_received += received;
  relay->stats.unvalidated_bytes_sent += len;
  _tea_relay_send_raw (relay, to, NULL, data, len);
}

void
_tea_relay_handle_hello (TeaRelay *relay, const TeaAddr *from, const guint8 *data, gsize len)
{
  TeaHello hello;
  TeaCookieReply reply;
  guint8 out[128];
  gsize out_len;

  if (!tea_hello_decode (data, len, &hello))
    {
      relay->stats.dropped_handshake++;
      return;
    }
  relay->stats.hellos++;
  memcpy (reply.client_token, hello.client_token, TEA_CLIENT_TOKEN_LEN);
  tea_cookie_make (&relay->cookies, from, relay->now, reply.cookie);
  memcpy (reply.server_key, relay->key.public_key, TEA_KEY_LEN);
  out_len = tea_cookie_reply_encode (&reply, out, sizeof out);
  send_unvalidated (relay, from, out, out_len, len);
}

static void
send_reject (TeaRelay *relay, const TeaAddr *to, const guint8 *client_token,
             TeaCode code, gint64 retry_after_us, gsize received, gboolean validated)
{
  TeaReject reject = { .code = code };
  guint8 out[32];
  gsize out_len;

  memcpy (reject.client_token, client_token, TEA_CLIENT_TOKEN_LEN);
  reject.retry_after_ms = retry_after_us > 0 ? (guint32) MIN (retry_after_us / 1000 + 1, G_MAXUINT32) : 0;
  out_len = tea_reject_encode (&reject, out, sizeof out);
  relay->stats.handshakes_rejected++;
  if (validated)
    _tea_relay_send_raw (relay, to, NULL, out, out_len);
  else
    send_unvalidated (relay, to, out, out_len, received);
}

static gboolean
bucket_is_full (gpointer key, gpointer value, gpointer user_data)
{
  HandshakeLimit *limit = key;
  TeaRelay *relay = user_data;
  gint64 idle = relay->now - limit->bucket.last_us;

  return limit->bucket.tokens + relay->config.handshake_rate * idle / G_USEC_PER_SEC >=
         relay->config.handshake_burst;
}

/* Per source host (any port), so one machine cannot churn sessions. The
 * table is bounded: full buckets carry no information and are dropped, and
 * if an attack from very many hosts still fills it, it starts over. */
static gboolean
handshake_allowed (TeaRelay *relay, const TeaAddr *from, gint64 *retry_after_us)
{
  TeaAddr host = *from;
  HandshakeLimit *limit;

  host.port = 0;
  limit = g_hash_table_lookup (relay->handshake_limits, &host);
  if (limit == NULL)
    {
      if (g_hash_table_size (relay->handshake_limits) >= TEA_HANDSHAKE_LIMITS_MAX)
        g_hash_table_foreach_remove (relay->handshake_limits, bucket_is_full, relay);
      if (g_hash_table_size (relay->handshake_limits) >= TEA_HANDSHAKE_LIMITS_MAX)
        g_hash_table_remove_all (relay->handshake_limits);
      limit = g_new (HandshakeLimit, 1);
      limit->host = host;
      tea_token_bucket_init (&limit->bucket, relay->config.handshake_burst, relay->now);
      g_hash_table_insert (relay->handshake_limits, &limit->host, limit);
    }
  return tea_token_bucket_take (&limit->bucket, relay->config.handshake_rate,
                                relay->config.handshake_burst, relay->now, retry_after_us);
}

void
_tea_relay_reset_token (TeaRelay *relay, guint64 session_id, guint8 token[TEA_RESET_TOKEN_LEN])
{
  guint8 id[8];

  for (guint i = 0; i < 8; i++)
    id[i] = session_id >> (56 - 8 * i);
  crypto_generichash (token, TEA_RESET_TOKEN_LEN, id, sizeof id, relay->reset_key, sizeof relay->reset_key);
}

void
_tea_relay_send_reset (TeaRelay *relay, const TeaAddr *from, guint64 session_id, gsize received)
{
  TeaReset reset = { .session_id = session_id };
  guint8 out[TEA_RESET_LEN];

  /* Strictly smaller than what came in, so resets cannot ping-pong or
   * amplify; and rate-limited as a whole. */
  if (received <= TEA_RESET_LEN ||
      !tea_token_bucket_take (&relay->reset_limit, TEA_RESET_RATE, TEA_RESET_BURST, relay->now, NULL))
    return;
  _tea_relay_reset_token (relay, session_id, reset.token);
  tea_reset_encode (&reset, out, sizeof out);
  relay->stats.resets_sent++;
  send_unvalidated (relay, from, out, sizeof out, received);
}

static void
resend_accept (TeaRelay *relay, TeaSession *session, const TeaAddr *from)
{
  /* A retransmitted INIT: the client lost our ACCEPT. Same bytes again;
   * a new handshake would make a second session. */
  if (session->accept_packet && tea_addr_equal (from, &session->addr))
    _tea_relay_send_raw (relay, from, session->socket_address, session->accept_packet, session->accept_len);
  else
    /* Replayed from another address, or the client already uses the
     * session: nothing to answer, but every drop is counted. */
    relay->stats.dropped_handshake++;
}

static TeaConn *
make_conn (TeaRelay *relay, guint64 session_id, const TeaNoiseHandshake *hs)
{
  guint8 c2s[TEA_KEY_LEN], s2c[TEA_KEY_LEN];
  TeaConnConfig config;
  TeaConn *conn;

  tea_noise_split (hs, c2s, s2c);
  tea_conn_config_init (&config);
  config.idle_timeout_us = (gint64) relay->config.idle_timeout_s * G_USEC_PER_SEC;
  config.max_queued_frames = relay->config.max_queued_frames;
  config.max_queued_bytes = relay->config.max_queued_bytes;
  conn = tea_conn_new (FALSE, session_id, s2c, c2s, &config, relay->now);
  sodium_memzero (c2s, sizeof c2s);
  sodium_memzero (s2c, sizeof s2c);
  return conn;
}

/* Runs the responder side and sends ACCEPT; FALSE if message 1 is bad. */
static gboolean
accept_session (TeaRelay *relay, const TeaAddr *from, const TeaInit *init)
{
  TeaNoiseHandshake hs;
  TeaAcceptParams params = { 0 };
  TeaAccept accept = { 0 };
  guint8 payload[64], params_bytes[TEA_ACCEPT_PARAMS_LEN], noise[128], out[256];
  TeaSession *session;
  gssize noise_len;
  gsize out_len;

  tea_noise_init_responder (&hs, (const guint8 *) PROLOGUE, strlen (PROLOGUE), &relay->key);
  if (tea_noise_read_message (&hs, init->noise, init->noise_len, payload, sizeof payload) < 0)
    {
      tea_noise_clear (&hs);
      return FALSE;
    }

  session = _tea_relay_session_new (relay, from);
  params.session_id = session->id;
  _tea_relay_reset_token (relay, session->id, params.reset_token);
  params.idle_timeout_s = relay->config.idle_timeout_s;
  params.keepalive_s = relay->config.keepalive_s;
  tea_accept_params_encode (&params, params_bytes, sizeof params_bytes);
  noise_len = tea_noise_write_message (&hs, params_bytes, sizeof params_bytes, noise, sizeof noise);
  g_assert (noise_len > 0);
  session->conn = make_conn (relay, session->id, &hs);
  tea_noise_clear (&hs);

  memcpy (session->client_ephemeral, init->noise, TEA_KEY_LEN);
  g_hash_table_insert (relay->sessions_by_ephemeral, session->client_ephemeral, session);
  memcpy (accept.client_token, init->client_token, TEA_CLIENT_TOKEN_LEN);
  accept.noise = noise;
  accept.noise_len = noise_len;
  out_len = tea_accept_encode (&accept, out, sizeof out);
  session->accept_packet = g_memdup2 (out, out_len);
  session->accept_len = out_len;
  _tea_relay_send_raw (relay, from, session->socket_address, out, out_len);
  _tea_relay_mark_dirty (relay, session); /* arms its timers */
  return TRUE;
}

void
_tea_relay_handle_init (TeaRelay *relay, const TeaAddr *from, const guint8 *data, gsize len)
{
  TeaInit init;
  TeaSession *existing;
  gint64 retry_after = 0;

  if (!tea_init_decode (data, len, &init) || init.noise_len < TEA_KEY_LEN + TEA_TAG_LEN)
    {
      relay->stats.dropped_handshake++;
      return;
    }
  if (!tea_cookie_check (&relay->cookies, from, relay->now, init.cookie))
    {
      /* Expired or forged: tell the client to start over with HELLO. */
      relay->stats.dropped_bad_cookie++;
      send_reject (relay, from, init.client_token, TEA_CODE_BAD_COOKIE, 0, len, FALSE);
      return;
    }
  existing = g_hash_table_lookup (relay->sessions_by_ephemeral, init.noise);
  if (existing)
    {
      resend_accept (relay, existing, from);
      return;
    }
  if (!handshake_allowed (relay, from, &retry_after))
    {
      send_reject (relay, from, init.client_token, TEA_CODE_RATE_LIMITED, retry_after, len, TRUE);
      return;
    }
  if (g_hash_table_size (relay->sessions) >= relay->config.max_sessions)
    {
      send_reject (relay, from, init.client_token, TEA_CODE_SERVER_FULL, 0, len, TRUE);
      return;
    }
  if (!accept_session (relay, from, &init))
    relay->stats.dropped_handshake++;
}
