/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The relay under attack, on loopback, over real UDP sockets. Unvalidated
 * sources never get more bytes than they sent and never make the relay
 * allocate; cookies only work from the address that asked for them;
 * malformed, forged and replayed datagrams are counted by reason and
 * dropped without disturbing live sessions; knowing a session id does not
 * let anyone take the session over; session setups are rate-limited per
 * host; a full relay says so; and a member that stops reading is dropped
 * instead of growing the relay's memory; a member flooding the room is
 * refused, and the others do not notice. A hundred thousand handshake
 * attempts go through the relay's sans-IO interface, from as many
 * addresses, faster than sockets would carry them; so do peers that break
 * the stream's rules.
 *
 * Some checks look inside the relay (tea-relay-private.h): "nothing was
 * allocated for that address" is not visible from the wire.
 */
#include <stdio.h>
#include <string.h>

#include "tea-frame.h"
#include "tea-names.h"
#include "tea-packet.h"
#include "tea-random.h"
#include "tea-relay-private.h"
#include "tea-netem.h"
#include "tea-test-util.h"

#define PROLOGUE "teahouse/1"
/* INIT: header(4) client_token(8) cookie(32) noise_len(2) noise */
#define INIT_COOKIE_OFFSET (4 + TEA_CLIENT_TOKEN_LEN)
#define INIT_NOISE_LEN_OFFSET (INIT_COOKIE_OFFSET + TEA_COOKIE_LEN)
#define WAIT_MS 10000
/* Fixed, so a failure replays byte for byte. */
#define CORPUS_SEED 0x7ea5eed

/* ---- Raw sockets ------------------------------------------------------- */

/* A bare UDP socket that talks to the relay byte by byte and keeps every
 * reply, with the totals the amplification rule is about. */
typedef struct
{
  GSocket *socket;
  GSocketAddress *relay;
  guint16 relay_port;
  guint64 bytes_sent;
  guint64 bytes_received;
  GPtrArray *replies; /* GBytes, in arrival order */
  guint next;         /* the first reply raw_take () has not returned */
} RawSock;

static GSocket *
bind_loopback (void)
{
  g_autoptr (GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) local = g_inet_socket_address_new (loopback, 0);
  g_autoptr (GError) error = NULL;
  GSocket *socket;

  socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, &error);
  g_assert_no_error (error);
  g_socket_set_blocking (socket, FALSE);
  g_socket_bind (socket, local, FALSE, &error);
  g_assert_no_error (error);
  return socket;
}

static GSocketAddress *
loopback_address (guint16 port)
{
  g_autoptr (GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);

  return g_inet_socket_address_new (loopback, port);
}

static RawSock *
raw_new (guint16 relay_port)
{
  RawSock *s = g_new0 (RawSock, 1);

  s->socket = bind_loopback ();
  s->relay = loopback_address (relay_port);
  s->relay_port = relay_port;
  s->replies = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  return s;
}

static void
raw_free (RawSock *s)
{
  g_object_unref (s->socket);
  g_object_unref (s->relay);
  g_ptr_array_unref (s->replies);
  g_free (s);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RawSock, raw_free)

static void
raw_send (RawSock *s, const guint8 *data, gsize len)
{
  g_autoptr (GError) error = NULL;
  gssize n = g_socket_send_to (s->socket, s->relay, (const char *) data, len, NULL, &error);

  g_assert_no_error (error);
  g_assert_cmpint (n, ==, (gssize) len);
  s->bytes_sent += len;
}

/* Reads whatever has arrived, without blocking. */
static void
raw_drain (RawSock *s)
{
  for (;;)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (GSocketAddress) from = NULL;
      guint8 buffer[4096];
      gssize n;

      n = g_socket_receive_from (s->socket, &from, (char *) buffer, sizeof buffer, NULL, &error);
      if (n < 0)
        {
          g_assert_error (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK);
          return;
        }
      /* Only the relay's answers count: another program on this machine
       * may still be talking to whoever had this port before us. */
      if (g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (from)) != s->relay_port)
        continue;
      s->bytes_received += n;
      g_ptr_array_add (s->replies, g_bytes_new (buffer, n));
    }
}

static gboolean
raw_has_reply (gpointer user_data)
{
  RawSock *s = user_data;

  raw_drain (s);
  return s->next < s->replies->len;
}

/* The next reply, iterating the main context (where the relay runs) until
 * it comes; NULL if it does not. */
static GBytes *
raw_take (RawSock *s)
{
  if (!tea_test_wait (raw_has_reply, s, WAIT_MS))
    return NULL;
  return g_bytes_ref (s->replies->pdata[s->next++]);
}

static guint8
packet_type (GBytes *packet)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (packet, &len);

  g_assert_cmpuint (len, >=, 4);
  g_assert_cmpuint (data[0], ==, TEA_MAGIC_0);
  g_assert_cmpuint (data[1], ==, TEA_MAGIC_1);
  return data[2] == TEA_VERSION_NEGOTIATION ? 0 : data[3];
}

/* ---- Relay statistics --------------------------------------------------- */

typedef struct
{
  TeaRelay *relay;
  gsize offset;
  guint64 n;
} StatWait;

static guint64
stat_at (TeaRelay *relay, gsize offset)
{
  return *(const guint64 *) ((const guint8 *) tea_relay_get_stats (relay) + offset);
}

static gboolean
stat_reached (gpointer user_data)
{
  StatWait *w = user_data;

  return stat_at (w->relay, w->offset) >= w->n;
}

/* Waits until the relay has handled what was sent (datagrams are handled
 * when the main context runs, which is only while the test waits). */
static void
wait_stat (TeaRelay *relay, gsize offset, const char *name, guint64 n)
{
  StatWait w = { relay, offset, n };

  if (!tea_test_wait (stat_reached, &w, WAIT_MS))
    g_error ("relay stat %s is %" G_GUINT64_FORMAT ", expected %" G_GUINT64_FORMAT,
             name, stat_at (relay, offset), n);
}
#define WAIT_STAT(relay, field, n) wait_stat ((relay), G_STRUCT_OFFSET (TeaRelayStats, field), #field, (n))

static guint64
sum_drops (const TeaRelayStats *s)
{
  return s->dropped_foreign + s->dropped_bad_version + s->dropped_malformed + s->dropped_oversized +
         s->dropped_bad_cookie + s->dropped_handshake + s->dropped_unknown_session + s->dropped_replay +
         s->dropped_auth + s->dropped_legacy_budget;
}

/* No per-address state exists until an address echoes a valid cookie. */
static void
assert_nothing_allocated (TeaRelay *relay)
{
  g_assert_cmpuint (tea_relay_get_n_sessions (relay), ==, 0);
  g_assert_cmpuint (g_hash_table_size (relay->handshake_limits), ==, 0);
  g_assert_cmpuint (g_hash_table_size (relay->legacy_by_addr), ==, 0);
}

/* ---- Handshakes by hand ------------------------------------------------- */

typedef struct
{
  guint8 token[TEA_CLIENT_TOKEN_LEN];
  TeaCookieReply cookie;
  TeaNoiseHandshake noise;
  guint8 init[TEA_HANDSHAKE_PADDED_LEN];
  gsize init_len;
} Handshake;

static gsize
build_hello (const guint8 token[TEA_CLIENT_TOKEN_LEN], guint8 out[TEA_HANDSHAKE_PADDED_LEN])
{
  TeaHello hello;
  gsize len;

  memcpy (hello.client_token, token, TEA_CLIENT_TOKEN_LEN);
  len = tea_hello_encode (&hello, out, TEA_HANDSHAKE_PADDED_LEN);
  g_assert_cmpuint (len, ==, TEA_HANDSHAKE_PADDED_LEN);
  return len;
}

/* HELLO, and the COOKIE the relay made for this socket's address. */
static void
handshake_hello (Handshake *h, RawSock *s, TeaRelay *relay)
{
  guint8 hello[TEA_HANDSHAKE_PADDED_LEN];
  g_autoptr (GBytes) reply = NULL;

  tea_random_bytes (h->token, sizeof h->token);
  raw_send (s, hello, build_hello (h->token, hello));
  reply = raw_take (s);
  g_assert_nonnull (reply);
  g_assert_cmpuint (g_bytes_get_size (reply), <=, TEA_HANDSHAKE_PADDED_LEN);
  g_assert_true (tea_cookie_reply_decode (g_bytes_get_data (reply, NULL), g_bytes_get_size (reply), &h->cookie));
  g_assert_cmpmem (h->cookie.client_token, TEA_CLIENT_TOKEN_LEN, h->token, TEA_CLIENT_TOKEN_LEN);
  g_assert_cmpmem (h->cookie.server_key, TEA_KEY_LEN, tea_relay_get_public_key (relay), TEA_KEY_LEN);
}

/* A real INIT: a cookie (normally h's own) and Noise NK message 1 to the
 * key the COOKIE carried, with an empty payload, as TeaClient sends it. */
static void
handshake_build_init (Handshake *h, const guint8 cookie[TEA_COOKIE_LEN])
{
  TeaInit init = { 0 };
  guint8 noise[128];
  gssize noise_len;

  tea_noise_init_initiator (&h->noise, (const guint8 *) PROLOGUE, strlen (PROLOGUE), h->cookie.server_key);
  noise_len = tea_noise_write_message (&h->noise, NULL, 0, noise, sizeof noise);
  g_assert_cmpint (noise_len, ==, TEA_KEY_LEN + TEA_TAG_LEN);
  memcpy (init.client_token, h->token, TEA_CLIENT_TOKEN_LEN);
  memcpy (init.cookie, cookie, TEA_COOKIE_LEN);
  init.noise = noise;
  init.noise_len = noise_len;
  h->init_len = tea_init_encode (&init, h->init, sizeof h->init);
  g_assert_cmpuint (h->init_len, ==, TEA_HANDSHAKE_PADDED_LEN);
}

/* Asserts reply is the REJECT answering h with code; returns retry_after_ms. */
static guint32
assert_reject (GBytes *reply, const Handshake *h, guint16 code)
{
  TeaReject reject;

  g_assert_nonnull (reply);
  g_assert_true (tea_reject_decode (g_bytes_get_data (reply, NULL), g_bytes_get_size (reply), &reject));
  g_assert_cmpuint (g_bytes_get_size (reply), ==, 18);
  g_assert_cmpmem (reject.client_token, TEA_CLIENT_TOKEN_LEN, h->token, TEA_CLIENT_TOKEN_LEN);
  g_assert_cmpuint (reject.code, ==, code);
  return reject.retry_after_ms;
}

/* Asserts reply is the ACCEPT completing h (Noise message 2 opens with h's
 * keys); returns the session id it grants. */
static guint64
assert_accept (GBytes *reply, Handshake *h)
{
  TeaAccept accept;
  TeaAcceptParams params;
  guint8 payload[64];
  gssize n;

  g_assert_nonnull (reply);
  g_assert_cmpuint (g_bytes_get_size (reply), <=, h->init_len);
  g_assert_true (tea_accept_decode (g_bytes_get_data (reply, NULL), g_bytes_get_size (reply), &accept));
  g_assert_cmpmem (accept.client_token, TEA_CLIENT_TOKEN_LEN, h->token, TEA_CLIENT_TOKEN_LEN);
  n = tea_noise_read_message (&h->noise, accept.noise, accept.noise_len, payload, sizeof payload);
  g_assert_cmpint (n, ==, TEA_ACCEPT_PARAMS_LEN);
  g_assert_true (tea_accept_params_decode (payload, n, &params));
  g_assert_cmpuint (params.session_id, !=, 0);
  return params.session_id;
}

/* ---- 1. Amplification --------------------------------------------------- */

typedef enum {
  ABUSE_HELLO,         /* padded HELLO: a COOKIE, smaller */
  ABUSE_SHORT_HELLO,   /* unpadded HELLO: nothing */
  ABUSE_FORGED_INIT,   /* padded INIT, made-up cookie: REJECT, smaller */
  ABUSE_BAD_INIT,      /* short or inconsistent INIT: nothing */
  ABUSE_VERSION,       /* padded, unknown version: version negotiation */
  ABUSE_SHORT_VERSION, /* unpadded, unknown version: nothing */
  ABUSE_TINY_SESSION,  /* SESSION-looking, <= a RESET's size: nothing */
  ABUSE_SESSION,       /* SESSION-looking, unknown id: at most a smaller RESET */
  N_ABUSE_KINDS
} AbuseKind;

#define N_SOURCES 200
#define PER_SOURCE 5

typedef struct
{
  RawSock *sock;
  AbuseKind kind;
  guint64 session_ids[PER_SOURCE];
  gsize lens[PER_SOURCE];
} Source;

static void
fill_random (GRand *rand, guint8 *p, gsize n)
{
  for (gsize i = 0; i < n; i++)
    p[i] = g_rand_int_range (rand, 0, 256);
}

/* A version byte that is neither ours nor a negotiation reply's. */
static guint8
foreign_version (GRand *rand)
{
  return g_rand_int_range (rand, TEA_PROTOCOL_VERSION + 1, 256);
}

/* Which token a source's n-th datagram carries, so replies can be matched. */
static void
source_token (guint source, guint n, guint8 token[TEA_CLIENT_TOKEN_LEN])
{
  memset (token, 0, TEA_CLIENT_TOKEN_LEN);
  token[0] = source >> 8;
  token[1] = source & 0xff;
  token[2] = n;
  token[3] = 0xab;
}

static gsize
build_forged_init (GRand *rand, const guint8 token[TEA_CLIENT_TOKEN_LEN], guint noise_len, guint8 *out)
{
  TeaInit init;
  guint8 noise[TEA_HANDSHAKE_PADDED_LEN];

  memcpy (init.client_token, token, TEA_CLIENT_TOKEN_LEN);
  fill_random (rand, init.cookie, TEA_COOKIE_LEN);
  fill_random (rand, noise, noise_len);
  init.noise = noise;
  init.noise_len = noise_len;
  return tea_init_encode (&init, out, TEA_MAX_DATAGRAM);
}

/* Builds the n-th datagram of a source; returns its length and, for SESSION
 * lookalikes, the id it names. */
static gsize
build_abuse (GRand *rand, Source *src, guint source, guint n, guint8 *out)
{
  guint8 token[TEA_CLIENT_TOKEN_LEN];
  TeaSessionHeader header = { 0 };
  gsize len = 0;

  source_token (source, n, token);
  switch (src->kind)
    {
    case ABUSE_HELLO:
      len = build_hello (token, out);
      break;
    case ABUSE_SHORT_HELLO:
      build_hello (token, out);
      len = g_rand_int_range (rand, 4, TEA_HANDSHAKE_PADDED_LEN);
      break;
    case ABUSE_FORGED_INIT:
      len = build_forged_init (rand, token, g_rand_int_range (rand, TEA_KEY_LEN + TEA_TAG_LEN, 400), out);
      break;
    case ABUSE_BAD_INIT:
      switch (n % 3)
        {
        case 0: /* cut short of the padding */
          build_forged_init (rand, token, TEA_KEY_LEN + TEA_TAG_LEN, out);
          len = g_rand_int_range (rand, 4, TEA_HANDSHAKE_PADDED_LEN);
          break;
        case 1: /* too little Noise to be message 1 */
          len = build_forged_init (rand, token, g_rand_int_range (rand, 0, TEA_KEY_LEN + TEA_TAG_LEN), out);
          break;
        default: /* claims more Noise than the datagram holds */
          len = build_forged_init (rand, token, TEA_KEY_LEN + TEA_TAG_LEN, out);
          out[INIT_NOISE_LEN_OFFSET] = 0xff;
          out[INIT_NOISE_LEN_OFFSET + 1] = g_rand_int_range (rand, 0, 256);
          break;
        }
      break;
    case ABUSE_VERSION:
    case ABUSE_SHORT_VERSION:
      if (src->kind == ABUSE_VERSION)
        len = TEA_HANDSHAKE_PADDED_LEN;
      else
        len = g_rand_int_range (rand, 3, TEA_HANDSHAKE_PADDED_LEN);
      fill_random (rand, out, len);
      out[0] = TEA_MAGIC_0;
      out[1] = TEA_MAGIC_1;
      out[2] = foreign_version (rand);
      break;
    case ABUSE_TINY_SESSION:
    case ABUSE_SESSION:
      len = src->kind == ABUSE_TINY_SESSION ? g_rand_int_range (rand, 4, TEA_RESET_LEN + 1)
                                            : g_rand_int_range (rand, TEA_RESET_LEN + 1, TEA_MAX_DATAGRAM + 1);
      fill_random (rand, out, len);
      header.key_phase = g_rand_boolean (rand);
      header.session_id = ((guint64) g_rand_int (rand) << 32 | g_rand_int (rand)) | 1;
      header.packet_number = g_rand_int (rand);
      if (len >= TEA_SESSION_HEADER_LEN)
        {
          tea_session_header_encode (&header, out);
        }
      else
        {
          out[0] = TEA_MAGIC_0;
          out[1] = TEA_MAGIC_1;
          out[2] = TEA_PROTOCOL_VERSION;
          out[3] = TEA_PACKET_SESSION | header.key_phase;
        }
      src->session_ids[n] = header.session_id;
      break;
    case N_ABUSE_KINDS:
      g_assert_not_reached ();
    }
  src->lens[n] = len;
  return len;
}

/* What the relay must have counted for that datagram. */
static void
expect_counted (TeaRelayStats *expected, AbuseKind kind, gsize len)
{
  switch (kind)
    {
    case ABUSE_HELLO:
      expected->hellos++;
      break;
    case ABUSE_SHORT_HELLO:
    case ABUSE_BAD_INIT:
      expected->dropped_handshake++;
      break;
    case ABUSE_FORGED_INIT:
      expected->dropped_bad_cookie++;
      break;
    case ABUSE_VERSION:
      break;
    case ABUSE_SHORT_VERSION:
      expected->dropped_bad_version++;
      break;
    case ABUSE_TINY_SESSION:
      expected->dropped_malformed++;
      break;
    case ABUSE_SESSION:
      if (len >= TEA_SESSION_OVERHEAD)
        expected->dropped_unknown_session++;
      else
        expected->dropped_malformed++;
      break;
    case N_ABUSE_KINDS:
      g_assert_not_reached ();
    }
}

/* Replies must answer this source's own datagrams, one for one, and each
 * be smaller than what it answers. */
static void
check_source_replies (Source *src, guint source, TeaRelay *relay)
{
  GPtrArray *replies = src->sock->replies;
  guint seen = 0;

  g_assert_cmpuint (src->sock->bytes_received, <=, src->sock->bytes_sent);
  switch (src->kind)
    {
    case ABUSE_SHORT_HELLO:
    case ABUSE_BAD_INIT:
    case ABUSE_SHORT_VERSION:
    case ABUSE_TINY_SESSION:
      g_assert_cmpuint (replies->len, ==, 0);
      return;
    case ABUSE_HELLO:
    case ABUSE_FORGED_INIT:
    case ABUSE_VERSION:
      g_assert_cmpuint (replies->len, ==, PER_SOURCE);
      break;
    case ABUSE_SESSION:
      g_assert_cmpuint (replies->len, <=, PER_SOURCE);
      break;
    case N_ABUSE_KINDS:
      g_assert_not_reached ();
    }

  for (guint i = 0; i < replies->len; i++)
    {
      gsize len;
      const guint8 *data = g_bytes_get_data (replies->pdata[i], &len);
      const guint8 *token = NULL;
      TeaCookieReply cookie;
      TeaReject reject;
      TeaReset reset;
      guint8 negotiation[8];
      gsize negotiation_len;
      guint n = PER_SOURCE;

      switch (src->kind)
        {
        case ABUSE_HELLO:
          g_assert_true (tea_cookie_reply_decode (data, len, &cookie));
          g_assert_cmpmem (cookie.server_key, TEA_KEY_LEN, tea_relay_get_public_key (relay), TEA_KEY_LEN);
          token = cookie.client_token;
          break;
        case ABUSE_FORGED_INIT:
          g_assert_true (tea_reject_decode (data, len, &reject));
          g_assert_cmpuint (reject.code, ==, TEA_CODE_BAD_COOKIE);
          token = reject.client_token;
          break;
        case ABUSE_VERSION:
          negotiation_len = tea_version_negotiation_encode (negotiation, sizeof negotiation);
          g_assert_cmpmem (data, len, negotiation, negotiation_len);
          n = i;
          break;
        case ABUSE_SESSION:
          g_assert_true (tea_reset_decode (data, len, &reset));
          for (n = 0; n < PER_SOURCE; n++)
            if (src->session_ids[n] == reset.session_id)
              break;
          g_assert_cmpuint (n, <, PER_SOURCE);
          break;
        default:
          g_assert_not_reached ();
        }
      if (token)
        {
          g_assert_cmpuint (token[0] << 8 | token[1], ==, source);
          g_assert_cmpuint (token[3], ==, 0xab);
          n = token[2];
        }
      /* Which datagram it answers: exactly one reply each, never larger. */
      g_assert_cmpuint (n, <, PER_SOURCE);
      g_assert_false (seen & (1u << n));
      seen |= 1u << n;
      g_assert_cmpuint (len, <, src->lens[n]);
    }
}

#define N_FLOOD 600

/* Padded SESSION lookalikes for unknown ids, as fast as the relay takes
 * them: each may draw a RESET, but only as many as the relay's budget
 * allows, whoever asks. */
static void
reset_flood (RawSock *flood, TeaRelay *relay, guint *n_sent, TeaRelayStats *expected)
{
  guint8 out[TEA_MAX_DATAGRAM] = { 0 };

  for (guint n = 0; n < N_FLOOD; n++)
    {
      TeaSessionHeader header = { .session_id = n + 1, .packet_number = n };

      tea_session_header_encode (&header, out);
      raw_send (flood, out, sizeof out);
      expected->dropped_unknown_session++;
      (*n_sent)++;
      if (n % 64 == 63)
        {
          WAIT_STAT (relay, datagrams_received, *n_sent);
          /* Read as we go: hundreds of replies would overflow the socket's
           * receive buffer and look like replies the relay never sent. */
          raw_drain (flood);
        }
    }
  WAIT_STAT (relay, datagrams_received, *n_sent);
  raw_drain (flood);
}

static void
check_flood_replies (RawSock *flood)
{
  g_autofree gboolean *seen = g_new0 (gboolean, N_FLOOD + 1);

  for (guint i = 0; i < flood->replies->len; i++)
    {
      gsize len;
      const guint8 *data = g_bytes_get_data (flood->replies->pdata[i], &len);
      TeaReset reset;

      g_assert_true (tea_reset_decode (data, len, &reset));
      g_assert_cmpuint (reset.session_id, >=, 1);
      g_assert_cmpuint (reset.session_id, <=, N_FLOOD);
      g_assert_false (seen[reset.session_id]);
      seen[reset.session_id] = TRUE;
    }
  g_assert_cmpuint (flood->bytes_received, <, flood->bytes_sent);
}

static void
test_amplification (void)
{
  gint64 start = g_get_monotonic_time ();
  g_autoptr (TeaTestRelay) relay = tea_test_relay_new (NULL);
  g_autoptr (GRand) rand = g_rand_new_with_seed (CORPUS_SEED);
  g_autoptr (RawSock) flood = raw_new (relay->port);
  TeaRelayStats expected = { 0 };
  const TeaRelayStats *stats = tea_relay_get_stats (relay->relay);
  Source sources[N_SOURCES];
  guint64 sent = 0, received = 0, n_replies = 0;
  guint n_sent = 0;
  double elapsed_s;

  reset_flood (flood, relay->relay, &n_sent, &expected);
  assert_nothing_allocated (relay->relay);
  for (guint i = 0; i < N_SOURCES; i++)
    {
      Source *src = &sources[i];
      guint8 out[TEA_MAX_DATAGRAM];

      src->sock = raw_new (relay->port);
      src->kind = i % N_ABUSE_KINDS;
      for (guint n = 0; n < PER_SOURCE; n++)
        {
          gsize len = build_abuse (rand, src, i, n, out);

          raw_send (src->sock, out, len);
          expect_counted (&expected, src->kind, len);
          n_sent++;
        }
      /* Paced so the relay's socket buffer never overflows, and checked
       * after every source, not just at the end. */
      WAIT_STAT (relay->relay, datagrams_received, n_sent);
      assert_nothing_allocated (relay->relay);
    }
  elapsed_s = (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC;
  /* Replies are sent while the datagrams are handled; a little longer
   * shows nothing else comes (no timers were armed for anyone). */
  tea_test_run_for (200);
  assert_nothing_allocated (relay->relay);

  for (guint i = 0; i < N_SOURCES; i++)
    {
      raw_drain (sources[i].sock);
      check_source_replies (&sources[i], i, relay->relay);
      sent += sources[i].sock->bytes_sent;
      received += sources[i].sock->bytes_received;
      n_replies += sources[i].sock->replies->len;
    }
  raw_drain (flood);
  check_flood_replies (flood);
  sent += flood->bytes_sent;
  received += flood->bytes_received;
  n_replies += flood->replies->len;
  g_assert_cmpuint (stats->resets_sent, <=, TEA_RESET_BURST + TEA_RESET_RATE * elapsed_s + 1);

  /* Every datagram counted once, under the right reason. */
  g_assert_cmpuint (stats->datagrams_received, ==, n_sent);
  g_assert_cmpuint (stats->bytes_received, ==, sent);
  g_assert_cmpuint (stats->hellos, ==, expected.hellos);
  g_assert_cmpuint (stats->dropped_handshake, ==, expected.dropped_handshake);
  g_assert_cmpuint (stats->dropped_bad_cookie, ==, expected.dropped_bad_cookie);
  g_assert_cmpuint (stats->handshakes_rejected, ==, expected.dropped_bad_cookie);
  g_assert_cmpuint (stats->dropped_bad_version, ==, expected.dropped_bad_version);
  g_assert_cmpuint (stats->dropped_malformed, ==, expected.dropped_malformed);
  g_assert_cmpuint (stats->dropped_unknown_session, ==, expected.dropped_unknown_session);
  g_assert_cmpuint (stats->dropped_foreign + stats->dropped_oversized + stats->dropped_replay +
                    stats->dropped_auth + stats->dropped_legacy_budget, ==, 0);
  g_assert_cmpuint (stats->sessions_created, ==, 0);

  /* What the relay sent is what the sockets got, all of it unvalidated,
   * and less than what those addresses sent. */
  g_assert_cmpuint (stats->datagrams_sent, ==, n_replies);
  g_assert_cmpuint (stats->bytes_sent, ==, received);
  g_assert_cmpuint (stats->unvalidated_bytes_sent, ==, received);
  g_assert_cmpuint (stats->unvalidated_bytes_sent, <=, stats->unvalidated_bytes_received);
  g_assert_cmpuint (received, <, sent);
  g_test_message ("amplification: %u sources sent %" G_GUINT64_FORMAT " bytes in %u datagrams, "
                  "got %" G_GUINT64_FORMAT " bytes in %" G_GUINT64_FORMAT " replies "
                  "(%" G_GUINT64_FORMAT " resets, %u of them to the flood, in %.2f s); "
                  "unvalidated in %" G_GUINT64_FORMAT " out %" G_GUINT64_FORMAT,
                  N_SOURCES + 1, sent, n_sent, received, n_replies, stats->resets_sent,
                  flood->replies->len, elapsed_s,
                  stats->unvalidated_bytes_received, stats->unvalidated_bytes_sent);

  for (guint i = 0; i < N_SOURCES; i++)
    raw_free (sources[i].sock);
}

/* ---- 2. Cookie binding -------------------------------------------------- */

static void
test_cookie_binding (void)
{
  g_autoptr (TeaTestRelay) relay = tea_test_relay_new (NULL);
  g_autoptr (RawSock) a = raw_new (relay->port);
  g_autoptr (RawSock) b = raw_new (relay->port);
  g_autoptr (GBytes) stolen = NULL;
  g_autoptr (GBytes) welcome = NULL;
  g_autoptr (GBytes) again = NULL;
  Handshake ha, hb;
  guint8 replayed[TEA_HANDSHAKE_PADDED_LEN];

  handshake_hello (&ha, a, relay->relay);

  /* B presents A's cookie with an otherwise perfect INIT: the cookie only
   * proves that A's address receives, so B is told to start over. */
  hb = ha;
  handshake_build_init (&hb, ha.cookie.cookie);
  raw_send (b, hb.init, hb.init_len);
  stolen = raw_take (b);
  assert_reject (stolen, &hb, TEA_CODE_BAD_COOKIE);
  g_assert_cmpuint (tea_relay_get_n_sessions (relay->relay), ==, 0);
  g_assert_cmpuint (tea_relay_get_stats (relay->relay)->dropped_bad_cookie, ==, 1);

  /* Nor does A itself get anywhere with a cookie one bit off its own. */
  g_assert_cmpmem (hb.init + INIT_COOKIE_OFFSET, TEA_COOKIE_LEN, ha.cookie.cookie, TEA_COOKIE_LEN);
  for (guint bit = 0; bit < TEA_COOKIE_LEN * 8; bit++)
    {
      g_autoptr (GBytes) reply = NULL;
      guint8 flipped[TEA_HANDSHAKE_PADDED_LEN];

      memcpy (flipped, hb.init, hb.init_len);
      flipped[INIT_COOKIE_OFFSET + bit / 8] ^= 1 << (bit % 8);
      raw_send (a, flipped, hb.init_len);
      reply = raw_take (a);
      assert_reject (reply, &hb, TEA_CODE_BAD_COOKIE);
    }
  assert_nothing_allocated (relay->relay);
  g_assert_cmpuint (tea_relay_get_stats (relay->relay)->dropped_bad_cookie, ==, 1 + TEA_COOKIE_LEN * 8);

  /* The very same INIT from A is welcome. */
  memcpy (replayed, hb.init, hb.init_len);
  raw_send (a, hb.init, hb.init_len);
  welcome = raw_take (a);
  assert_accept (welcome, &hb);
  g_assert_cmpuint (tea_relay_get_n_sessions (relay->relay), ==, 1);

  /* A retransmission (A lost the ACCEPT) gets the same bytes again, not a
   * second session. */
  raw_send (a, replayed, hb.init_len);
  again = raw_take (a);
  g_assert_nonnull (again);
  g_assert_true (g_bytes_equal (again, welcome));
  g_assert_cmpuint (tea_relay_get_n_sessions (relay->relay), ==, 1);

  /* B, with a cookie of its own, replays A's Noise message: that names
   * A's session, which answers only A's address. */
  handshake_hello (&hb, b, relay->relay);
  {
    TeaInit init = { 0 };
    guint8 out[TEA_HANDSHAKE_PADDED_LEN];

    g_assert_true (tea_init_decode (replayed, sizeof replayed, &init));
    memcpy (init.client_token, hb.token, TEA_CLIENT_TOKEN_LEN);
    memcpy (init.cookie, hb.cookie.cookie, TEA_COOKIE_LEN);
    raw_send (b, out, tea_init_encode (&init, out, sizeof out));
  }
  tea_test_run_for (200);
  raw_drain (b);
  g_assert_cmpuint (b->next, ==, b->replies->len);
  /* Nor is the ACCEPT reflected at A on B's say-so. Sending nothing is
   * still a drop, and drops are counted. */
  raw_drain (a);
  g_assert_cmpuint (a->next, ==, a->replies->len);
  g_assert_cmpuint (tea_relay_get_stats (relay->relay)->dropped_handshake, ==, 1);
  g_assert_cmpuint (tea_relay_get_n_sessions (relay->relay), ==, 1);
  g_assert_cmpuint (tea_relay_get_stats (relay->relay)->sessions_created, ==, 1);
  g_assert_cmpuint (a->bytes_received, <=, a->bytes_sent);
  g_assert_cmpuint (b->bytes_received, <=, b->bytes_sent);
  tea_noise_clear (&hb.noise);
}

/* ---- A capturing forwarder ---------------------------------------------- */

/* Forwards one client's datagrams to the relay and back, keeping a copy of
 * every SESSION packet the client sent: what an eavesdropper on the path
 * would capture to replay. */
typedef struct
{
  GSocket *front;    /* the client sends here */
  GSocket *upstream; /* and the relay sees it from here */
  GSource *front_source;
  GSource *upstream_source;
  GSocketAddress *relay;
  GSocketAddress *client;
  GPtrArray *captured; /* GBytes */
} Tap;

static gboolean
on_tap_front (GSocket *socket, GIOCondition condition, gpointer user_data)
{
  Tap *tap = user_data;
  guint8 buffer[2048];
  GSocketAddress *from = NULL;
  gssize n;
  guint8 type;

  while ((n = g_socket_receive_from (socket, &from, (char *) buffer, sizeof buffer, NULL, NULL)) >= 0)
    {
      g_clear_object (&tap->client);
      tap->client = g_steal_pointer (&from);
      if (tea_packet_classify (buffer, n, &type) == TEA_PACKET_CLASS_NATIVE &&
          (type & ~1) == TEA_PACKET_SESSION)
        g_ptr_array_add (tap->captured, g_bytes_new (buffer, n));
      g_socket_send_to (tap->upstream, tap->relay, (const char *) buffer, n, NULL, NULL);
    }
  return G_SOURCE_CONTINUE;
}

static gboolean
on_tap_upstream (GSocket *socket, GIOCondition condition, gpointer user_data)
{
  Tap *tap = user_data;
  guint8 buffer[2048];
  gssize n;

  while ((n = g_socket_receive (socket, (char *) buffer, sizeof buffer, NULL, NULL)) >= 0)
    if (tap->client)
      g_socket_send_to (tap->front, tap->client, (const char *) buffer, n, NULL, NULL);
  return G_SOURCE_CONTINUE;
}

static GSource *
watch (GSocket *socket, gboolean (*func) (GSocket *, GIOCondition, gpointer), gpointer user_data)
{
  GSource *source = g_socket_create_source (socket, G_IO_IN, NULL);

  g_source_set_callback (source, G_SOURCE_FUNC (func), user_data, NULL);
  g_source_attach (source, NULL);
  return source;
}

static Tap *
tap_new (guint16 relay_port)
{
  Tap *tap = g_new0 (Tap, 1);

  tap->front = bind_loopback ();
  tap->upstream = bind_loopback ();
  tap->relay = loopback_address (relay_port);
  tap->captured = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  tap->front_source = watch (tap->front, on_tap_front, tap);
  tap->upstream_source = watch (tap->upstream, on_tap_upstream, tap);
  return tap;
}

static guint16
tap_get_port (Tap *tap)
{
  g_autoptr (GSocketAddress) local = g_socket_get_local_address (tap->front, NULL);

  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local));
}

static void
tap_free (Tap *tap)
{
  g_source_destroy (tap->front_source);
  g_source_unref (tap->front_source);
  g_source_destroy (tap->upstream_source);
  g_source_unref (tap->upstream_source);
  g_object_unref (tap->front);
  g_object_unref (tap->upstream);
  g_object_unref (tap->relay);
  g_clear_object (&tap->client);
  g_ptr_array_unref (tap->captured);
  g_free (tap);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Tap, tap_free)

/* ---- Live sessions ------------------------------------------------------ */

static void
say (TeaTestPeer *peer, const char *text)
{
  g_assert_cmpuint (tea_client_say (peer->client, "tea", text, TEA_TEXT_KIND_MESSAGE), !=, 0);
}

static TeaSession *
relay_session (TeaRelay *relay, guint64 id)
{
  TeaSession *session = g_hash_table_lookup (relay->sessions, &id);

  g_assert_nonnull (session);
  return session;
}

typedef struct
{
  TeaRelay *relay;
  guint64 session_id;
  guint64 n;
} ConnWait;

static gboolean
conn_received (gpointer user_data)
{
  ConnWait *w = user_data;
  TeaSession *session = relay_session (w->relay, w->session_id);

  return tea_conn_get_stats (session->conn)->packets_received >= w->n;
}

/* One chat line each way, seen exactly once on the other side: the
 * sessions survived whatever came before. */
static void
chat_round (TeaTestPeer *alice, TeaTestPeer *bob, guint round)
{
  g_autofree char *from_alice = g_strdup_printf ("alice-%03u|", round);
  g_autofree char *from_bob = g_strdup_printf ("bob-%03u|", round);

  say (alice, from_alice);
  say (bob, from_bob);
  tea_test_peer_wait_count (bob, "MESSAGE", from_alice, 1);
  tea_test_peer_wait_count (alice, "MESSAGE", from_bob, 1);
}

static void
assert_chat_exactly_once (TeaTestPeer *peer, guint rounds)
{
  for (guint round = 0; round < rounds; round++)
    {
      g_autofree char *from_alice = g_strdup_printf ("alice-%03u|", round);
      g_autofree char *from_bob = g_strdup_printf ("bob-%03u|", round);

      g_assert_cmpuint (tea_test_peer_count (peer, "MESSAGE", from_alice), ==, 1);
      g_assert_cmpuint (tea_test_peer_count (peer, "MESSAGE", from_bob), ==, 1);
    }
  g_assert_cmpuint (tea_test_peer_count (peer, "MESSAGE", NULL), ==, 2 * rounds);
}

/* ---- 3. Malformed corpus ------------------------------------------------ */

/* Sends and counts: how many datagrams, and how many of them are padded
 * datagrams of an unknown version (the only kind answered without being
 * counted as a drop or a HELLO). */
typedef struct
{
  guint64 n;
  guint64 n_negotiation;
} Corpus;

static void
corpus_send (Corpus *c, RawSock *s, const guint8 *data, gsize len)
{
  guint8 type;

  raw_send (s, data, len);
  c->n++;
  if (tea_packet_classify (data, len, &type) == TEA_PACKET_CLASS_BAD_VERSION && len == TEA_HANDSHAKE_PADDED_LEN)
    c->n_negotiation++;
}

/* Waits until the relay has taken in everything sent so far (with the
 * peers' own datagrams this may be a little early; counters that only the
 * attacker moves are awaited exactly where it matters). */
static void
corpus_pace (Corpus *c, TeaRelay *relay, guint64 base)
{
  WAIT_STAT (relay, datagrams_received, base + c->n);
}

static void
assert_replies_only (RawSock *s, guint max_cookies, guint max_rejects, guint max_resets, guint max_negotiations)
{
  guint cookies = 0, rejects = 0, resets = 0, negotiations = 0;

  raw_drain (s);
  for (guint i = 0; i < s->replies->len; i++)
    {
      GBytes *reply = s->replies->pdata[i];

      switch (packet_type (reply))
        {
        case TEA_PACKET_COOKIE:
          g_assert_cmpuint (g_bytes_get_size (reply), ==, 76);
          cookies++;
          break;
        case TEA_PACKET_REJECT:
          g_assert_cmpuint (g_bytes_get_size (reply), ==, 18);
          rejects++;
          break;
        case TEA_PACKET_RESET:
          g_assert_cmpuint (g_bytes_get_size (reply), ==, TEA_RESET_LEN);
          resets++;
          break;
        case 0:
          g_assert_cmpuint (g_bytes_get_size (reply), ==, 5);
          negotiations++;
          break;
        default:
          g_error ("unexpected reply of type %u", packet_type (reply));
        }
    }
  g_assert_cmpuint (cookies, <=, max_cookies);
  g_assert_cmpuint (rejects, <=, max_rejects);
  g_assert_cmpuint (resets, <=, max_resets);
  g_assert_cmpuint (negotiations, <=, max_negotiations);
  g_assert_cmpuint (s->bytes_received, <=, s->bytes_sent);
}

static void
send_truncated (Corpus *c, RawSock *s, GRand *rand)
{
  guint8 hello[TEA_HANDSHAKE_PADDED_LEN], init[TEA_HANDSHAKE_PADDED_LEN], cookie[128];
  guint8 token[TEA_CLIENT_TOKEN_LEN] = { 0 };
  TeaCookieReply reply;

  build_hello (token, hello);
  build_forged_init (rand, token, TEA_KEY_LEN + TEA_TAG_LEN, init);
  fill_random (rand, (guint8 *) &reply, sizeof reply);
  g_assert_cmpuint (tea_cookie_reply_encode (&reply, cookie, sizeof cookie), ==, 76);
  for (gsize len = 0; len <= 60; len++)
    {
      corpus_send (c, s, hello, len);
      corpus_send (c, s, init, len);
      corpus_send (c, s, cookie, len);
    }
}

/* Random bytes; half of them behind our header, to get past the first
 * check, with types the relay knows more often than chance would pick. */
static void
send_random (Corpus *c, RawSock *s, GRand *rand, TeaRelay *relay, guint64 base)
{
  static const guint8 types[] = { 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x10, 0x11 };
  guint8 out[TEA_MAX_DATAGRAM];

  for (guint i = 0; i < 4000; i++)
    {
      gsize len = g_rand_int_range (rand, 0, TEA_MAX_DATAGRAM + 1);

      /* Padded sizes, where the relay answers, get extra attention. */
      if (i % 4 == 0)
        len = TEA_HANDSHAKE_PADDED_LEN;
      fill_random (rand, out, len);
      if (len >= 4 && g_rand_boolean (rand))
        {
          out[0] = TEA_MAGIC_0;
          out[1] = TEA_MAGIC_1;
          out[2] = g_rand_int_range (rand, 0, 4) ? TEA_PROTOCOL_VERSION : out[2];
          out[3] = g_rand_boolean (rand) ? types[g_rand_int_range (rand, 0, G_N_ELEMENTS (types))] : out[3];
        }
      corpus_send (c, s, out, len);
      if (i % 64 == 63)
        corpus_pace (c, relay, base);
    }
}

/* Past what the relay's receive buffer holds (2048): cut by the kernel. */
static const gsize huge_sizes[] = { 2048, 2049, 4096, 65507 };
#define N_OVERSIZED (2000 - TEA_MAX_DATAGRAM + G_N_ELEMENTS (huge_sizes))

static void
send_oversized (Corpus *c, RawSock *s, GRand *rand, TeaRelay *relay, guint64 base)
{
  g_autofree guint8 *huge = g_malloc (65507);
  guint8 out[2000];

  for (guint i = 0; i < G_N_ELEMENTS (huge_sizes); i++)
    {
      fill_random (rand, huge, huge_sizes[i]);
      huge[0] = TEA_MAGIC_0;
      huge[1] = TEA_MAGIC_1;
      huge[2] = TEA_PROTOCOL_VERSION;
      corpus_send (c, s, huge, huge_sizes[i]);
    }
  for (gsize len = TEA_MAX_DATAGRAM + 1; len <= sizeof out; len++)
    {
      fill_random (rand, out, len);
      out[0] = TEA_MAGIC_0;
      out[1] = TEA_MAGIC_1;
      out[2] = len % 2 ? TEA_PROTOCOL_VERSION : foreign_version (rand);
      if (len % 3 == 0)
        out[3] = TEA_PACKET_HELLO; /* a padded HELLO, only too long */
      corpus_send (c, s, out, len);
      if (len % 64 == 0)
        corpus_pace (c, relay, base);
    }
}

static void
send_every_type (Corpus *c, RawSock *s, TeaRelay *relay, guint64 base)
{
  guint8 out[TEA_HANDSHAKE_PADDED_LEN] = { 0 };

  for (guint type = 0; type < 256; type++)
    {
      out[0] = TEA_MAGIC_0;
      out[1] = TEA_MAGIC_1;
      out[2] = TEA_PROTOCOL_VERSION;
      out[3] = type;
      corpus_send (c, s, out, 4);
      corpus_send (c, s, out, TEA_SESSION_OVERHEAD);
      corpus_send (c, s, out, sizeof out);
      if (type % 16 == 15)
        corpus_pace (c, relay, base);
    }
}

/* A well-formed SESSION packet for someone else's session, with a packet
 * number ahead of anything used and no way to know the key. */
static gsize
build_forged_session (GRand *rand, guint64 session_id, guint64 pn, guint8 *out)
{
  TeaSessionHeader header = { .session_id = session_id, .packet_number = pn };
  gsize len = g_rand_int_range (rand, TEA_SESSION_OVERHEAD, TEA_MAX_DATAGRAM + 1);

  header.key_phase = g_rand_boolean (rand);
  fill_random (rand, out, len);
  tea_session_header_encode (&header, out);
  return len;
}

static void
test_malformed (void)
{
  TeaRelayConfig config;
  g_autoptr (TeaTestRelay) relay = NULL;
  g_autoptr (Tap) tap = NULL;
  g_autoptr (TeaTestPeer) alice = NULL;
  g_autoptr (TeaTestPeer) bob = NULL;
  g_autoptr (GRand) rand = g_rand_new_with_seed (CORPUS_SEED);
  g_autoptr (RawSock) truncated = NULL;
  g_autoptr (RawSock) noise = NULL;
  g_autoptr (RawSock) oversized = NULL;
  g_autoptr (RawSock) types = NULL;
  g_autoptr (RawSock) forger = NULL;
  g_autoptr (RawSock) replayer = NULL;
  g_autoptr (GPtrArray) captured = NULL;
  const TeaRelayStats *stats;
  TeaRelayStats before;
  Corpus corpus = { 0 };
  guint64 session_id, base;
  guint8 out[TEA_MAX_DATAGRAM];
  guint rounds = 0;
  const guint n_forged = 300;
  ConnWait settled;

  tea_relay_config_init (&config);
  config.flood_burst = 1000;
  relay = tea_test_relay_new (&config);
  stats = tea_relay_get_stats (relay->relay);
  tap = tap_new (relay->port);
  alice = tea_test_peer_new (tap_get_port (tap), "alice");
  bob = tea_test_peer_new (relay->port, "bob");
  tea_test_peer_connect (alice, "tea");
  tea_test_peer_connect (bob, "tea");
  tea_test_peer_wait_count (alice, "JOIN", "bob", 1);
  chat_round (alice, bob, rounds++);
  session_id = tea_client_get_session_id (alice->client);
  g_assert_cmpuint (session_id, !=, 0);

  before = *stats;
  base = stats->datagrams_received;
  truncated = raw_new (relay->port);
  noise = raw_new (relay->port);
  oversized = raw_new (relay->port);
  types = raw_new (relay->port);
  forger = raw_new (relay->port);
  replayer = raw_new (relay->port);

  send_truncated (&corpus, truncated, rand);
  corpus_pace (&corpus, relay->relay, base);
  chat_round (alice, bob, rounds++);

  send_random (&corpus, noise, rand, relay->relay, base);
  corpus_pace (&corpus, relay->relay, base);
  chat_round (alice, bob, rounds++);

  send_oversized (&corpus, oversized, rand, relay->relay, base);
  WAIT_STAT (relay->relay, dropped_oversized, before.dropped_oversized + N_OVERSIZED);
  chat_round (alice, bob, rounds++);

  send_every_type (&corpus, types, relay->relay, base);
  corpus_pace (&corpus, relay->relay, base);
  chat_round (alice, bob, rounds++);

  /* The id of a real, busy session, with garbage after it: it fails to
   * open and is dropped, and the session goes on as if nothing came. */
  for (guint i = 0; i < n_forged; i++)
    {
      guint64 pn = i % 2 ? G_MAXUINT64 - i : (guint64) (g_rand_int (rand) | 1) << 16;

      corpus_send (&corpus, forger, out, build_forged_session (rand, session_id, pn, out));
      if (i % 64 == 63)
        corpus_pace (&corpus, relay->relay, base);
    }
  WAIT_STAT (relay->relay, dropped_auth, before.dropped_auth + n_forged);
  chat_round (alice, bob, rounds++);

  /* Replays of Alice's real packets, once the relay has had them all:
   * from her own address and from another. Neither is taken again. */
  captured = g_steal_pointer (&tap->captured);
  tap->captured = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  settled = (ConnWait) { relay->relay, session_id, captured->len };
  g_assert_true (tea_test_wait (conn_received, &settled, WAIT_MS));
  for (guint i = 0; i < captured->len; i++)
    {
      gsize len;
      const guint8 *data = g_bytes_get_data (captured->pdata[i], &len);

      g_socket_send_to (tap->upstream, tap->relay, (const char *) data, len, NULL, NULL);
      corpus.n++;
      corpus_send (&corpus, replayer, data, len);
    }
  WAIT_STAT (relay->relay, dropped_replay, before.dropped_replay + 2 * captured->len);
  for (guint i = 0; i < 5; i++)
    chat_round (alice, bob, rounds++);
  tea_test_run_for (200);

  /* Every attacking datagram was counted once, by reason; the peers' own
   * datagrams were never dropped. */
  g_assert_cmpuint (stats->datagrams_received - base, >=, corpus.n);
  g_assert_cmpuint (sum_drops (stats) - sum_drops (&before) + stats->hellos - before.hellos + corpus.n_negotiation,
                    ==, corpus.n);
  g_assert_cmpuint (stats->dropped_oversized - before.dropped_oversized, ==, N_OVERSIZED);
  g_assert_cmpuint (stats->dropped_auth - before.dropped_auth, ==, n_forged);
  g_assert_cmpuint (stats->dropped_replay - before.dropped_replay, ==, 2 * captured->len);
  g_assert_cmpuint (stats->dropped_malformed, >, before.dropped_malformed);
  g_assert_cmpuint (stats->dropped_handshake, >, before.dropped_handshake);
  g_assert_cmpuint (stats->dropped_bad_version, >, before.dropped_bad_version);
  g_assert_cmpuint (stats->dropped_unknown_session, >, before.dropped_unknown_session);
  g_assert_cmpuint (stats->dropped_foreign, >, before.dropped_foreign);
  g_assert_cmpuint (stats->unvalidated_bytes_sent, <=, stats->unvalidated_bytes_received);
  g_test_message ("malformed: %" G_GUINT64_FORMAT " datagrams (%u replays of captured packets); "
                  "drops: foreign %" G_GUINT64_FORMAT " bad-version %" G_GUINT64_FORMAT
                  " malformed %" G_GUINT64_FORMAT " oversized %" G_GUINT64_FORMAT
                  " handshake %" G_GUINT64_FORMAT " bad-cookie %" G_GUINT64_FORMAT
                  " unknown-session %" G_GUINT64_FORMAT " replay %" G_GUINT64_FORMAT
                  " auth %" G_GUINT64_FORMAT "; hellos %" G_GUINT64_FORMAT " resets %" G_GUINT64_FORMAT,
                  corpus.n, captured->len, stats->dropped_foreign, stats->dropped_bad_version,
                  stats->dropped_malformed, stats->dropped_oversized, stats->dropped_handshake,
                  stats->dropped_bad_cookie, stats->dropped_unknown_session, stats->dropped_replay,
                  stats->dropped_auth, stats->hellos, stats->resets_sent);

  /* Who got answers, and how much. */
  assert_replies_only (truncated, 0, 0, 0, 0);
  assert_replies_only (oversized, 0, 0, 0, 0);
  assert_replies_only (forger, 0, 0, 0, 0);
  assert_replies_only (replayer, 0, 0, 0, 0);
  /* Only the padded HELLO, and zero session ids of both key phases (36
   * and 1200 bytes), deserve answers. */
  assert_replies_only (types, 1, 0, 4, 0);
  assert_replies_only (noise, G_MAXUINT, G_MAXUINT, G_MAXUINT, G_MAXUINT);

  /* The session is where it was, and the chat went on, each line once. */
  g_assert_cmpuint (stats->migrations, ==, 0);
  g_assert_cmpuint (stats->sessions_created, ==, 2);
  g_assert_cmpuint (tea_relay_get_n_sessions (relay->relay), ==, 2);
  g_assert_cmpuint (tea_client_get_session_id (alice->client), ==, session_id);
  g_assert_true (tea_test_peer_is_connected (alice));
  g_assert_true (tea_test_peer_is_connected (bob));
  assert_chat_exactly_once (alice, rounds);
  assert_chat_exactly_once (bob, rounds);
  tea_relay_config_clear (&config);
}

/* ---- 4. Hijack ---------------------------------------------------------- */

static void
test_hijack (void)
{
  g_autoptr (TeaTestRelay) relay = tea_test_relay_new (NULL);
  g_autoptr (TeaTestPeer) alice = tea_test_peer_new (relay->port, "alice");
  g_autoptr (TeaTestPeer) bob = tea_test_peer_new (relay->port, "bob");
  g_autoptr (RawSock) mallory = NULL;
  g_autoptr (GRand) rand = g_rand_new_with_seed (CORPUS_SEED);
  const TeaRelayStats *stats = tea_relay_get_stats (relay->relay);
  TeaAddr home;
  guint64 session_id, next_pn, auth_before;
  guint8 out[TEA_MAX_DATAGRAM];
  guint rounds = 0, n_forged = 0;

  tea_test_peer_connect (alice, "tea");
  tea_test_peer_connect (bob, "tea");
  tea_test_peer_wait_count (alice, "JOIN", "bob", 1);
  chat_round (alice, bob, rounds++);
  session_id = tea_client_get_session_id (alice->client);
  home = relay_session (relay->relay, session_id)->addr;
  auth_before = stats->dropped_auth;

  /* Mallory knows Alice's session id (it travels in clear) and roughly
   * where her packet numbers are. Packets that would be the highest yet
   * are exactly those that could move a session, so she tries those. */
  mallory = raw_new (relay->port);
  next_pn = tea_client_get_conn_stats (alice->client)->packets_sent;
  for (guint i = 0; i < 400; i++)
    {
      guint64 pn;

      switch (i % 4)
        {
        case 0: /* just ahead, with room for what Alice sends meanwhile */
          pn = next_pn + 64 + i;
          break;
        case 1: /* would wreck her replay window, were it believed */
          pn = G_MAXUINT64 - i;
          break;
        case 2:
          pn = ((guint64) g_rand_int (rand) << 32) | g_rand_int (rand);
          break;
        default:
          pn = next_pn + 64;
          break;
        }
      raw_send (mallory, out, build_forged_session (rand, session_id, pn, out));
      n_forged++;
      if (i % 64 == 63)
        WAIT_STAT (relay->relay, dropped_auth, auth_before + n_forged);
    }
  WAIT_STAT (relay->relay, dropped_auth, auth_before + n_forged);

  /* Alice still gets her messages where she is, and talks as before. */
  for (guint i = 0; i < 5; i++)
    chat_round (alice, bob, rounds++);
  tea_test_run_for (200);
  raw_drain (mallory);
  g_assert_cmpuint (mallory->replies->len, ==, 0);
  g_assert_cmpuint (stats->dropped_auth - auth_before, ==, n_forged);
  g_assert_cmpuint (stats->migrations, ==, 0);
  g_assert_true (tea_addr_equal (&relay_session (relay->relay, session_id)->addr, &home));
  g_assert_cmpuint (tea_client_get_session_id (alice->client), ==, session_id);
  g_assert_cmpuint (tea_relay_get_n_sessions (relay->relay), ==, 2);
  assert_chat_exactly_once (alice, rounds);
  assert_chat_exactly_once (bob, rounds);
}

/* ---- 5. Handshake rate limit -------------------------------------------- */

static void
test_handshake_rate (void)
{
  TeaRelayConfig config;
  g_autoptr (TeaTestRelay) relay = NULL;
  RawSock *socks[10];
  Handshake hs[10];
  guint accepted = 0, limited = 0;
  gint first_limited = -1;
  guint32 first_retry = 0;

  tea_relay_config_init (&config);
  config.handshake_burst = 5;
  config.handshake_rate = 1;
  relay = tea_test_relay_new (&config);

  /* Ten setups from one host, as fast as round trips allow. Cookies are
   * stateless and not limited; sessions are. */
  for (guint i = 0; i < G_N_ELEMENTS (socks); i++)
    {
      socks[i] = raw_new (relay->port);
      handshake_hello (&hs[i], socks[i], relay->relay);
      handshake_build_init (&hs[i], hs[i].cookie.cookie);
    }
  for (guint i = 0; i < G_N_ELEMENTS (socks); i++)
    raw_send (socks[i], hs[i].init, hs[i].init_len);
  for (guint i = 0; i < G_N_ELEMENTS (socks); i++)
    {
      g_autoptr (GBytes) reply = raw_take (socks[i]);

      g_assert_nonnull (reply);
      if (packet_type (reply) == TEA_PACKET_ACCEPT)
        {
          assert_accept (reply, &hs[i]);
          accepted++;
        }
      else
        {
          guint32 retry = assert_reject (reply, &hs[i], TEA_CODE_RATE_LIMITED);

          /* One token a second: the wait is under a second, not zero. */
          g_assert_cmpuint (retry, >, 0);
          g_assert_cmpuint (retry, <=, 1001);
          if (first_limited < 0)
            {
              first_limited = i;
              first_retry = retry;
            }
          limited++;
        }
    }
  g_test_message ("handshake rate: %u accepted, %u rate-limited (first retry after %u ms)",
                  accepted, limited, first_retry);
  /* The burst, plus at most one token refilled while this ran. */
  g_assert_cmpuint (accepted, >=, 5);
  g_assert_cmpuint (accepted, <=, 6);
  g_assert_cmpuint (accepted + limited, ==, 10);
  g_assert_cmpuint (tea_relay_get_n_sessions (relay->relay), ==, accepted);

  /* The advice is honest: after waiting that long, the same INIT (the
   * cookie is still good) is accepted. */
  g_assert_cmpint (first_limited, >=, 0);
  tea_test_run_for (first_retry);
  raw_send (socks[first_limited], hs[first_limited].init, hs[first_limited].init_len);
  {
    g_autoptr (GBytes) reply = raw_take (socks[first_limited]);

    assert_accept (reply, &hs[first_limited]);
  }
  g_assert_cmpuint (tea_relay_get_n_sessions (relay->relay), ==, accepted + 1);

  for (guint i = 0; i < G_N_ELEMENTS (socks); i++)
    {
      tea_noise_clear (&hs[i].noise);
      raw_free (socks[i]);
    }
  tea_relay_config_clear (&config);
}

/* ---- 6. Server full ----------------------------------------------------- */

static void
test_server_full (void)
{
  TeaRelayConfig config;
  g_autoptr (TeaTestRelay) relay = NULL;
  g_autoptr (RawSock) a = NULL;
  g_autoptr (RawSock) b = NULL;
  g_autoptr (GBytes) welcome = NULL;
  Handshake ha, hb;

  tea_relay_config_init (&config);
  config.max_sessions = 1;
  relay = tea_test_relay_new (&config);
  a = raw_new (relay->port);
  b = raw_new (relay->port);

  handshake_hello (&ha, a, relay->relay);
  handshake_hello (&hb, b, relay->relay);
  handshake_build_init (&ha, ha.cookie.cookie);
  handshake_build_init (&hb, hb.cookie.cookie);
  raw_send (a, ha.init, ha.init_len);
  welcome = raw_take (a);
  assert_accept (welcome, &ha);

  /* Twice: a retransmitted INIT is refused the same way, and neither
   * leaves anything behind. */
  for (guint i = 0; i < 2; i++)
    {
      g_autoptr (GBytes) reply = NULL;

      raw_send (b, hb.init, hb.init_len);
      reply = raw_take (b);
      assert_reject (reply, &hb, TEA_CODE_SERVER_FULL);
      g_assert_cmpuint (tea_relay_get_n_sessions (relay->relay), ==, 1);
    }
  g_assert_cmpuint (tea_relay_get_stats (relay->relay)->sessions_created, ==, 1);
  tea_noise_clear (&ha.noise);
  tea_noise_clear (&hb.noise);
  tea_relay_config_clear (&config);
}

/* ---- 7. Slow reader ----------------------------------------------------- */

typedef struct
{
  const char *nick;
  guint n;
  guint16 code;
} TimeoutSeen;

static void
on_timeout_event (TeaClient *client, const char *room, gpointer event_ptr, gpointer user_data)
{
  const TeaEvent *e = event_ptr;
  TimeoutSeen *seen = user_data;

  if (e->kind == TEA_EVENT_TIMEOUT && e->nick.len == strlen (seen->nick) &&
      memcmp (e->nick.str, seen->nick, e->nick.len) == 0)
    {
      seen->n++;
      seen->code = e->code;
    }
}

typedef struct
{
  TeaRelay *relay;
  guint n;
} SessionsWait;

static gboolean
sessions_down_to (gpointer user_data)
{
  SessionsWait *w = user_data;

  return tea_relay_get_n_sessions (w->relay) <= w->n;
}

#define WAVE 32
#define MAX_WAVES 40

/* Watches one member's send queue on the relay at every turn of the main
 * loop, for as long as the session lives. */
typedef struct
{
  TeaRelay *relay;
  const char *nick;
  guint peak_frames;
  guint samples;
  GSource *source;
} QueueWatch;

static gboolean
sample_queue (gpointer user_data)
{
  QueueWatch *w = user_data;
  TeaSession *session = g_hash_table_lookup (w->relay->sessions_by_nick, w->nick);

  if (session && session->conn)
    {
      w->peak_frames = MAX (w->peak_frames, tea_conn_get_queued_frames (session->conn));
      w->samples++;
    }
  return G_SOURCE_CONTINUE;
}

static void
flood_wave (TeaTestPeer *bob, TeaTestPeer *carol, guint wave)
{
  g_autofree char *prefix = g_strdup_printf ("w%02u-", wave);

  for (guint i = 0; i < WAVE; i++)
    {
      g_autofree char *text = g_strdup_printf ("w%02u-%02u|%s", wave, i,
                                               "steeped for exactly three minutes, no more");
      say (bob, text);
    }
  /* Readers that keep up drain their queues between waves; only one
   * that never acknowledges lets its queue grow. */
  tea_test_peer_wait_count (carol, "MESSAGE", prefix, WAVE);
  tea_test_peer_wait_count (bob, "MESSAGE", prefix, WAVE);
}

/* Every message of the waves the writer saw reached the reader exactly
 * once, unless it lies in a GAP the reader was told of; returns how many
 * were in gaps. */
static guint
assert_delivered_or_gap (TeaTestPeer *reader, TeaTestPeer *writer)
{
  g_autoptr (GArray) gaps = g_array_new (FALSE, FALSE, sizeof (guint64));
  guint in_gaps = 0;

  for (guint i = 0; i < reader->messages->len; i++)
    {
      guint64 first, last;

      if (sscanf (reader->messages->pdata[i], "GAP tea %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT, &first, &last) == 2)
        {
          g_assert_cmpuint (first, <=, last);
          g_array_append_val (gaps, first);
          g_array_append_val (gaps, last);
        }
    }
  for (guint i = 0; i < writer->events->len; i++)
    {
      g_auto (GStrv) fields = g_strsplit (writer->events->pdata[i], " ", 5);
      g_autofree char *tag = NULL;
      guint64 seq;
      gboolean in_gap = FALSE;

      if (g_strv_length (fields) < 5 || !g_str_equal (fields[2], "MESSAGE") || fields[4][0] != 'w')
        continue;
      seq = g_ascii_strtoull (fields[1], NULL, 10);
      tag = g_strndup (fields[4], strcspn (fields[4], "|") + 1);
      for (guint g = 0; g < gaps->len; g += 2)
        in_gap |= seq >= g_array_index (gaps, guint64, g) && seq <= g_array_index (gaps, guint64, g + 1);
      g_assert_cmpuint (tea_test_peer_count (reader, "MESSAGE", tag), ==, in_gap ? 0 : 1);
      in_gaps += in_gap;
    }
  return in_gaps;
}

static void
test_slow_reader (void)
{
  TeaRelayConfig config;
  g_autoptr (TeaTestRelay) relay = NULL;
  g_autoptr (TeaNetem) proxy = NULL;
  g_autoptr (TeaTestPeer) alice = NULL;
  g_autoptr (TeaTestPeer) bob = NULL;
  g_autoptr (TeaTestPeer) carol = NULL;
  TimeoutSeen alice_gone = { "alice", 0, 0 };
  TimeoutSeen other_gone = { "bob", 0, 0 };
  SessionsWait two;
  QueueWatch watch = { 0 };
  guint waves = 0, n_in_gaps;
  g_autofree char *last_tag = NULL;

  tea_relay_config_init (&config);
  config.max_queued_frames = 256;
  config.max_queued_bytes = 65536;
  config.backlog = 100; /* less than she will miss */
  config.flood_burst = 1e6;
  config.flood_rate = 1e6;
  relay = tea_test_relay_new (&config);
  proxy = tea_netem_new_loopback (relay->port, 7);
  alice = tea_test_peer_new (tea_netem_get_port (proxy), "alice");
  bob = tea_test_peer_new (relay->port, "bob");
  carol = tea_test_peer_new (relay->port, "carol");
  tea_test_peer_connect (alice, "tea");
  tea_test_peer_connect (bob, "tea");
  tea_test_peer_connect (carol, "tea");
  tea_test_peer_wait_count (bob, "JOIN", "carol", 1);
  g_signal_connect (carol->client, "event", G_CALLBACK (on_timeout_event), &alice_gone);
  g_signal_connect (carol->client, "event", G_CALLBACK (on_timeout_event), &other_gone);

  /* Alice stops reading: nothing reaches her, so she acknowledges
   * nothing, and everything the relay owes her stays queued. */
  tea_netem_get_config (proxy, TEA_NETEM_DOWN)->loss = 1.0;
  watch = (QueueWatch) { relay->relay, "alice", 0, 0, g_idle_source_new () };
  g_source_set_priority (watch.source, G_PRIORITY_DEFAULT);
  g_source_set_callback (watch.source, sample_queue, &watch, NULL);
  g_source_attach (watch.source, NULL);
  while (alice_gone.n == 0 && waves < MAX_WAVES)
    flood_wave (bob, carol, waves++);
  g_source_destroy (watch.source);
  g_source_unref (watch.source);
  g_test_message ("slow reader: dropped after %u waves of %u messages; her queue on the relay "
                  "peaked at %u frames (cap %u) over %u samples",
                  waves, WAVE, watch.peak_frames, config.max_queued_frames, watch.samples);
  /* Her queue grew to the cap and never past it; then she was dropped,
   * and the room was told why. */
  g_assert_cmpuint (watch.peak_frames, <=, config.max_queued_frames);
  g_assert_cmpuint (watch.peak_frames, >, config.max_queued_frames / 2);
  g_assert_cmpuint (alice_gone.n, ==, 1);
  g_assert_cmpuint (alice_gone.code, ==, TEA_CODE_SLOW_READER);
  g_assert_null (g_hash_table_lookup (relay->relay->sessions_by_nick, "alice"));
  two = (SessionsWait) { relay->relay, 2 };
  g_assert_true (tea_test_wait (sessions_down_to, &two, WAIT_MS));
  g_assert_cmpuint (tea_relay_get_n_sessions (relay->relay), ==, 2);
  g_assert_cmpuint (tea_relay_get_stats (relay->relay)->sessions_ended, ==, 1);

  /* The others never noticed, beyond the departure. */
  for (guint i = 0; i < 3; i++)
    flood_wave (bob, carol, waves++);
  tea_test_run_for (200);
  for (guint w = 0; w < waves; w++)
    for (guint i = 0; i < WAVE; i++)
      {
        g_autofree char *tag = g_strdup_printf ("w%02u-%02u|", w, i);

        g_assert_cmpuint (tea_test_peer_count (carol, "MESSAGE", tag), ==, 1);
        g_assert_cmpuint (tea_test_peer_count (bob, "MESSAGE", tag), ==, 1);
      }
  g_assert_cmpuint (tea_test_peer_count (carol, "TIMEOUT", "alice other"), ==, 1);
  g_assert_cmpuint (tea_test_peer_count (bob, "TIMEOUT", "alice other"), ==, 1);
  g_assert_cmpuint (other_gone.n, ==, 0);
  g_assert_cmpuint (tea_test_peer_count (carol, "TIMEOUT", NULL), ==, 1);
  g_assert_true (tea_test_peer_is_connected (bob));
  g_assert_true (tea_test_peer_is_connected (carol));

  /* Her network recovers. The relay's RESET sends her client back in,
   * and what she missed comes from the backlog, or a GAP says what could
   * not: no message twice, none missing unannounced. */
  tea_netem_get_config (proxy, TEA_NETEM_DOWN)->loss = 0;
  last_tag = g_strdup_printf ("w%02u-%02u|", waves - 1, WAVE - 1);
  tea_test_peer_wait_count (alice, "MESSAGE", last_tag, 1);
  n_in_gaps = assert_delivered_or_gap (alice, bob);
  g_test_message ("slow reader back: %u of %u messages in gaps, the rest delivered once", n_in_gaps, waves * WAVE);
  g_assert_cmpuint (n_in_gaps, >, 0);
  g_assert_cmpuint (n_in_gaps, <=, waves * WAVE - config.backlog / 2);
  g_signal_handlers_disconnect_by_data (carol->client, &alice_gone);
  g_signal_handlers_disconnect_by_data (carol->client, &other_gone);
  tea_relay_config_clear (&config);
}

/* ---- The relay without sockets ------------------------------------------ */

/* The relay driven through its sans-IO interface with a fake clock: every
 * datagram it sends is captured, datagrams can come "from" any address,
 * and far more of them, far faster, than real sockets would carry. Peers
 * speak the protocol by hand (sealed SESSION packets, STREAM frames), so
 * they can also break its rules. */

typedef struct _SimPeer SimPeer;

typedef struct
{
  TeaRelay *relay;
  gint64 now;
  GPtrArray *peers; /* SimPeer, not owned */
  GArray *stray;    /* TeaDatagram: what went to no peer's session */
  TeaDatagram reply;
} Sim;

struct _SimPeer
{
  Sim *sim;
  TeaAddr addr;
  guint64 session_id;
  guint8 send_key[TEA_KEY_LEN];
  guint8 recv_key[TEA_KEY_LEN];
  guint8 recv_phase;
  guint64 next_pn;
  guint64 next_seq; /* of our stream */
  guint32 next_req;
  TeaAckRanges received;
  gboolean ack_owed;
  guint64 recv_next_seq;
  GByteArray *partial;
  GPtrArray *messages; /* GBytes: every message from the relay, in order */
  gboolean closed;
  guint16 close_code;
  guint32 room_id; /* of the latest JOINED */
};


static void peer_receive (SimPeer *p, const guint8 *data, gsize len);

static void
sim_output (TeaDatagram *datagrams, guint n_datagrams, gpointer user_data)
{
  Sim *sim = user_data;

  for (guint i = 0; i < n_datagrams; i++)
    {
      TeaDatagram copy = datagrams[i];
      SimPeer *peer = NULL;

      for (guint k = 0; k < sim->peers->len && peer == NULL; k++)
        {
          SimPeer *p = sim->peers->pdata[k];

          if (p->session_id != 0 && tea_addr_equal (&p->addr, &copy.addr))
            peer = p;
        }
      if (peer && copy.len > TEA_SESSION_OVERHEAD && (copy.data[3] & ~1) == TEA_PACKET_SESSION)
        {
          peer_receive (peer, copy.data, copy.len);
          continue;
        }
      copy.socket_address = NULL;
      g_array_append_val (sim->stray, copy);
    }
}

static Sim *
sim_new (const TeaRelayConfig *config)
{
  Sim *sim = g_new0 (Sim, 1);
  TeaRelayConfig defaults;
  TeaKeypair key;

  tea_relay_config_init (&defaults);
  tea_keypair_generate (&key);
  /* Far from zero, as a monotonic clock is. */
  sim->now = 1000 * G_USEC_PER_SEC;
  sim->relay = tea_relay_new (config ? config : &defaults, &key, sim->now);
  tea_relay_set_output_func (sim->relay, sim_output, sim);
  sim->peers = g_ptr_array_new ();
  sim->stray = g_array_new (FALSE, FALSE, sizeof (TeaDatagram));
  tea_relay_config_clear (&defaults);
  return sim;
}

static void
sim_free (Sim *sim)
{
  g_object_unref (sim->relay);
  g_ptr_array_unref (sim->peers);
  g_array_unref (sim->stray);
  g_free (sim);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Sim, sim_free)

/* One datagram in; whatever it caused goes out before this returns. */
static void
sim_receive (Sim *sim, const TeaAddr *from, const guint8 *data, gsize len)
{
  guint8 copy[TEA_MAX_DATAGRAM];

  g_assert_cmpuint (len, <=, sizeof copy);
  memcpy (copy, data, len);
  tea_relay_receive (sim->relay, from, copy, len, sim->now);
  tea_relay_flush (sim->relay, sim->now);
}

/* The only datagram the relay sent since the last look, which must be one
 * to `to`; NULL if it sent none. Valid until the next call. */
static const TeaDatagram *
sim_take_reply (Sim *sim, const TeaAddr *to)
{
  if (sim->stray->len == 0)
    return NULL;
  g_assert_cmpuint (sim->stray->len, ==, 1);
  sim->reply = g_array_index (sim->stray, TeaDatagram, 0);
  g_array_set_size (sim->stray, 0);
  g_assert_true (tea_addr_equal (&sim->reply.addr, to));
  return &sim->reply;
}

static void sim_settle (Sim *sim);

/* Moves the clock in steps of at most 100 ms, running the relay's timers
 * and letting peers acknowledge as they would. */
static void
sim_advance (Sim *sim, gint64 us)
{
  gint64 end = sim->now + us;

  while (sim->now < end)
    {
      sim->now = MIN (end, sim->now + 100 * 1000);
      tea_relay_handle_timeouts (sim->relay, sim->now);
      tea_relay_flush (sim->relay, sim->now);
      sim_settle (sim);
    }
}

/* Builds address n of a large, distinct set: IPv4 from 198.18.0.0/15 and
 * IPv6 from 2001:db8::/32 (documentation and benchmarking ranges), every
 * port in use. */
static void
sim_addr (guint n, TeaAddr *addr)
{
  memset (addr, 0, sizeof *addr);
  addr->port = 1024 + n % 64000;
  if (n % 2)
    {
      addr->family = 6;
      addr->ip[0] = 0x20;
      addr->ip[1] = 0x01;
      addr->ip[2] = 0x0d;
      addr->ip[3] = 0xb8;
      addr->ip[13] = n >> 16;
      addr->ip[14] = n >> 8;
      addr->ip[15] = n;
    }
  else
    {
      addr->family = 4;
      addr->ip[0] = 198;
      addr->ip[1] = 18 + ((n >> 16) & 1);
      addr->ip[2] = n >> 8;
      addr->ip[3] = n;
    }
}

/* ---- Peers by hand ------------------------------------------------------ */

static SimPeer *
peer_new (Sim *sim, guint n)
{
  SimPeer *p = g_new0 (SimPeer, 1);

  p->sim = sim;
  sim_addr (n, &p->addr);
  tea_ack_ranges_init (&p->received);
  p->partial = g_byte_array_new ();
  p->messages = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  g_ptr_array_add (sim->peers, p);
  return p;
}

static void
peer_free (SimPeer *p)
{
  g_ptr_array_remove (p->sim->peers, p);
  g_byte_array_unref (p->partial);
  g_ptr_array_unref (p->messages);
  g_free (p);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SimPeer, peer_free)

static void
peer_receive (SimPeer *p, const guint8 *data, gsize len)
{
  TeaSessionHeader header;
  guint8 plain[TEA_MAX_DATAGRAM];
  guint8 key[TEA_KEY_LEN];
  TeaReader r;
  TeaFrame frame;
  gboolean malformed;

  g_assert_true (tea_session_header_decode (data, len, &header));
  g_assert_cmpuint (header.session_id, ==, p->session_id);
  memcpy (key, p->recv_key, TEA_KEY_LEN);
  if (header.key_phase != p->recv_phase)
    tea_noise_rekey (key); /* the relay updated its key (section 5.4) */
  if (!tea_aead_open (key, header.packet_number, data, TEA_SESSION_HEADER_LEN,
                      data + TEA_SESSION_HEADER_LEN, len - TEA_SESSION_HEADER_LEN, plain))
    g_error ("a packet from the relay does not open");
  memcpy (p->recv_key, key, TEA_KEY_LEN);
  p->recv_phase = header.key_phase;
  tea_ack_ranges_add (&p->received, header.packet_number);

  tea_reader_init (&r, plain, len - TEA_SESSION_OVERHEAD);
  while (tea_frame_read (&r, &frame, &malformed))
    switch (frame.type)
      {
      case TEA_FRAME_PING:
        p->ack_owed = TRUE;
        break;
      case TEA_FRAME_CLOSE:
        p->closed = TRUE;
        p->close_code = frame.close_code;
        break;
      case TEA_FRAME_STREAM:
        p->ack_owed = TRUE;
        /* Nothing is lost here, so frames come in order; a lower seq is a
         * retransmission of one already taken. */
        if (frame.stream.seq < p->recv_next_seq)
          break;
        g_assert_cmpuint (frame.stream.seq, ==, p->recv_next_seq);
        p->recv_next_seq++;
        g_byte_array_append (p->partial, frame.stream.data, frame.stream.len);
        if (frame.stream.flags & TEA_STREAM_FLAG_FIN)
          {
            g_ptr_array_add (p->messages, g_bytes_new (p->partial->data, p->partial->len));
            g_byte_array_set_size (p->partial, 0);
          }
        break;
      default:
        break;
      }
  g_assert_false (malformed);
}

/* Sends frames in one SESSION packet, with an ACK of what we got. */
static void
peer_send_frames (SimPeer *p, const guint8 *frames, gsize len)
{
  guint8 packet[TEA_MAX_DATAGRAM];
  TeaSessionHeader header = { .session_id = p->session_id, .packet_number = p->next_pn++ };
  TeaWriter w;

  tea_writer_init (&w, packet + TEA_SESSION_HEADER_LEN, TEA_MAX_FRAMES_LEN);
  if (p->received.n_ranges > 0)
    tea_frame_write_ack (&w, &p->received, 0, TEA_MAX_ACK_RANGES);
  tea_writer_bytes (&w, frames, len);
  g_assert_false (w.failed);
  g_assert_cmpuint (w.pos, >, 0);
  tea_session_header_encode (&header, packet);
  tea_aead_seal (p->send_key, header.packet_number, packet, TEA_SESSION_HEADER_LEN,
                 packet + TEA_SESSION_HEADER_LEN, w.pos, packet + TEA_SESSION_HEADER_LEN);
  p->ack_owed = FALSE;
  sim_receive (p->sim, &p->addr, packet, TEA_SESSION_OVERHEAD + w.pos);
}

static void
peer_send_stream (SimPeer *p, guint64 seq, gboolean fin, const guint8 *data, gsize len)
{
  guint8 frame[TEA_STREAM_FRAME_OVERHEAD + TEA_MAX_FRAGMENT];
  TeaWriter w;

  tea_writer_init (&w, frame, sizeof frame);
  tea_frame_write_stream (&w, seq, fin ? TEA_STREAM_FLAG_FIN : 0, data, len);
  g_assert_false (w.failed);
  peer_send_frames (p, frame, w.pos);
}

/* A message on our stream, in fragments as section 6.6 says. */
static void
peer_send_message (SimPeer *p, GBytes *message)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (message, &len);
  gsize offset = 0;

  do
    {
      gsize n = MIN (len - offset, TEA_MAX_FRAGMENT);

      peer_send_stream (p, p->next_seq++, offset + n == len, data + offset, n);
      offset += n;
    }
  while (offset < len);
}

static guint32
peer_request (SimPeer *p, TeaMessage *msg)
{
  g_autoptr (GBytes) bytes = NULL;

  msg->req_id = ++p->next_req;
  bytes = tea_message_encode_bytes (msg);
  g_assert_nonnull (bytes);
  peer_send_message (p, bytes);
  return msg->req_id;
}

/* Acknowledges until nobody owes an ACK: a packet of only an ACK elicits
 * none, so this ends. */
static void
sim_settle (Sim *sim)
{
  gboolean any;

  do
    {
      any = FALSE;
      for (guint i = 0; i < sim->peers->len; i++)
        {
          SimPeer *p = sim->peers->pdata[i];

          if (p->ack_owed && !p->closed)
            {
              peer_send_frames (p, NULL, 0);
              any = TRUE;
            }
        }
    }
  while (any);
}

/* The i-th message from the relay, decoded (it points into p->messages). */
static void
peer_message (SimPeer *p, guint i, TeaMessage *msg)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (p->messages->pdata[i], &len);

  g_assert_cmpint (tea_message_decode (data, len, msg), ==, TEA_CODE_NONE);
}

/* The code of the ERROR answering req_id; 0 if there is none. */
static guint16
peer_error_for (SimPeer *p, guint32 req_id)
{
  for (guint i = 0; i < p->messages->len; i++)
    {
      TeaMessage msg;

      peer_message (p, i, &msg);
      if (msg.type == TEA_MSG_ERROR && msg.req_id == req_id)
        return msg.error.code;
    }
  return 0;
}

/* The direct reply to req_id (OK, ERROR, JOINED …), if one came. */
static gboolean
peer_reply_for (SimPeer *p, guint32 req_id, TeaMessage *reply)
{
  sim_settle (p->sim);
  for (guint i = 0; i < p->messages->len; i++)
    {
      peer_message (p, i, reply);
      if (reply->req_id == req_id && reply->type >= TEA_MSG_OK && reply->type <= TEA_MSG_ROOMS_REPLY)
        return TRUE;
    }
  return FALSE;
}

/* How many events of this kind by nick the peer got; *code is the last
 * one's code (TIMEOUT). */
static guint
peer_count_events (SimPeer *p, guint8 kind, const char *nick, guint16 *code)
{
  guint n = 0;

  for (guint i = 0; i < p->messages->len; i++)
    {
      TeaMessage msg;

      peer_message (p, i, &msg);
      if (msg.type == TEA_MSG_EVENT && msg.event.kind == kind && msg.event.nick.len == strlen (nick) &&
          memcmp (msg.event.nick.str, nick, msg.event.nick.len) == 0)
        {
          n++;
          if (code)
            *code = msg.event.code;
        }
    }
  return n;
}

/* HELLO, COOKIE, INIT, ACCEPT, all in the relay's own time. */
static void
peer_handshake (SimPeer *p)
{
  Sim *sim = p->sim;
  TeaHello hello;
  TeaCookieReply cookie;
  TeaInit init = { 0 };
  TeaAccept accept;
  TeaAcceptParams params;
  TeaNoiseHandshake hs;
  guint8 out[TEA_HANDSHAKE_PADDED_LEN], noise[128], payload[64];
  const TeaDatagram *reply;
  gssize n;

  tea_random_bytes (hello.client_token, TEA_CLIENT_TOKEN_LEN);
  sim_receive (sim, &p->addr, out, tea_hello_encode (&hello, out, sizeof out));
  reply = sim_take_reply (sim, &p->addr);
  g_assert_nonnull (reply);
  g_assert_true (tea_cookie_reply_decode (reply->data, reply->len, &cookie));

  tea_noise_init_initiator (&hs, (const guint8 *) PROLOGUE, strlen (PROLOGUE), cookie.server_key);
  n = tea_noise_write_message (&hs, NULL, 0, noise, sizeof noise);
  g_assert_cmpint (n, ==, TEA_KEY_LEN + TEA_TAG_LEN);
  memcpy (init.client_token, hello.client_token, TEA_CLIENT_TOKEN_LEN);
  memcpy (init.cookie, cookie.cookie, TEA_COOKIE_LEN);
  init.noise = noise;
  init.noise_len = n;
  sim_receive (sim, &p->addr, out, tea_init_encode (&init, out, sizeof out));
  reply = sim_take_reply (sim, &p->addr);
  g_assert_nonnull (reply);
  g_assert_true (tea_accept_decode (reply->data, reply->len, &accept));
  n = tea_noise_read_message (&hs, accept.noise, accept.noise_len, payload, sizeof payload);
  g_assert_cmpint (n, ==, TEA_ACCEPT_PARAMS_LEN);
  g_assert_true (tea_accept_params_decode (payload, n, &params));
  tea_noise_split (&hs, p->send_key, p->recv_key);
  tea_noise_clear (&hs);
  p->session_id = params.session_id;
}

/* A session, logged in as nick and in room. */
static void
peer_join (SimPeer *p, const char *nick, const char *room)
{
  TeaMessage login = { .type = TEA_MSG_LOGIN };
  TeaMessage join = { .type = TEA_MSG_JOIN };
  TeaMessage msg;

  peer_handshake (p);
  login.login.nick = tea_str_from (nick);
  peer_request (p, &login);
  join.join.room = tea_str_from (room);
  peer_request (p, &join);
  sim_settle (p->sim);
  g_assert_cmpuint (p->messages->len, >=, 2);
  peer_message (p, 0, &msg);
  g_assert_cmpuint (msg.type, ==, TEA_MSG_WELCOME);
  peer_message (p, 1, &msg);
  g_assert_cmpuint (msg.type, ==, TEA_MSG_JOINED);
  p->room_id = msg.joined.room_id;
}

/* ---- 8. A hundred thousand handshakes ----------------------------------- */

static guint64
rss_kib (void)
{
  g_autofree char *status = NULL;
  const char *line;

  g_assert_true (g_file_get_contents ("/proc/self/status", &status, NULL, NULL));
  line = strstr (status, "\nVmRSS:");
  g_assert_nonnull (line);
  return g_ascii_strtoull (line + strlen ("\nVmRSS:"), NULL, 10);
}

/* Everything per address the relay has: none of it may exist for an
 * address that never echoed a valid cookie. */
static void
assert_relay_empty (TeaRelay *relay)
{
  assert_nothing_allocated (relay);
  g_assert_cmpuint (g_hash_table_size (relay->sessions_by_ephemeral), ==, 0);
  g_assert_cmpuint (g_hash_table_size (relay->sessions_by_nick), ==, 0);
  g_assert_cmpuint (g_hash_table_size (relay->sessions_by_token), ==, 0);
  g_assert_cmpuint (tea_relay_get_n_rooms (relay), ==, 0);
  g_assert_cmpuint (relay->dirty->len, ==, 0);
  g_assert_cmpuint (relay->doomed->len, ==, 0);
  /* No timer armed for anyone. */
  g_assert_cmpint (tea_relay_next_deadline (relay), ==, G_MAXINT64);
}

#define N_INITIATIONS 100000
#define N_STALE (N_INITIATIONS / 4)

typedef enum {
  INITIATION_HELLO,        /* answered with a smaller COOKIE */
  INITIATION_FORGED,       /* INIT with a made-up cookie: smaller REJECT 107 */
  INITIATION_OTHER_SOURCE, /* INIT with a cookie made for another address */
  INITIATION_STALE,        /* INIT with its own cookie, three minutes old */
  N_INITIATION_KINDS
} InitiationKind;

/* Sends one datagram from an address that never spoke before, and checks
 * the one answer it may get: to that address, smaller, of the right type. */
static void
flood_one (Sim *sim, const TeaAddr *from, const guint8 *data, gsize len, guint8 expected_type,
           guint64 *bytes_in, guint64 *bytes_out, guint8 cookie_out[TEA_COOKIE_LEN])
{
  const TeaDatagram *reply;

  sim_receive (sim, from, data, len);
  *bytes_in += len;
  reply = sim_take_reply (sim, from);
  g_assert_nonnull (reply);
  g_assert_cmpuint (reply->len, <, len);
  *bytes_out += reply->len;
  if (expected_type == TEA_PACKET_COOKIE)
    {
      TeaCookieReply cookie;

      g_assert_true (tea_cookie_reply_decode (reply->data, reply->len, &cookie));
      if (cookie_out)
        memcpy (cookie_out, cookie.cookie, TEA_COOKIE_LEN);
    }
  else
    {
      TeaReject reject;

      g_assert_true (tea_reject_decode (reply->data, reply->len, &reject));
      g_assert_cmpuint (reject.code, ==, TEA_CODE_BAD_COOKIE);
    }
}

static void
test_handshake_flood (void)
{
  g_autoptr (Sim) sim = sim_new (NULL);
  g_autoptr (GRand) rand = g_rand_new_with_seed (CORPUS_SEED);
  g_autofree guint8 *stale = g_malloc (N_STALE * TEA_COOKIE_LEN);
  const TeaRelayStats *stats = tea_relay_get_stats (sim->relay);
  guint8 hello[TEA_HANDSHAKE_PADDED_LEN], init[TEA_HANDSHAKE_PADDED_LEN];
  guint8 token[TEA_CLIENT_TOKEN_LEN] = { 0 };
  guint8 last_cookie[TEA_COOKIE_LEN];
  guint n_kind[N_INITIATION_KINDS] = { 0 };
  guint64 bytes_in = 0, bytes_out = 0, rss_before, rss_after;
  gint64 start;
  double elapsed_s;

  /* An INIT like any other, with a real-looking Noise message: the cookie
   * is checked first, so only the cookie changes between datagrams. */
  build_forged_init (rand, token, TEA_KEY_LEN + TEA_TAG_LEN, init);
  build_hello (token, hello);
  memset (stale, 0, N_STALE * TEA_COOKIE_LEN); /* in RSS from the start */
  rss_before = rss_kib ();
  start = g_get_monotonic_time ();

  /* Sources that will present their own cookie too late fetch it now. */
  for (guint i = 0; i < N_STALE; i++)
    {
      TeaAddr from;

      sim_addr (4 * i + INITIATION_STALE, &from);
      flood_one (sim, &from, hello, sizeof hello, TEA_PACKET_COOKIE, &bytes_in, &bytes_out,
                 stale + i * TEA_COOKIE_LEN);
    }
  /* Three minutes on, past the cookies' 60 to 120 s of life. */
  sim->now += 3 * TEA_COOKIE_BUCKET_US;

  memset (last_cookie, 0, sizeof last_cookie);
  for (guint n = 0; n < N_INITIATIONS; n++)
    {
      InitiationKind kind = n % N_INITIATION_KINDS;
      TeaAddr from;

      sim_addr (n, &from);
      memcpy (init + 4, &n, sizeof n); /* a client token of its own */
      switch (kind)
        {
        case INITIATION_HELLO:
          memcpy (hello + 4, &n, sizeof n);
          flood_one (sim, &from, hello, sizeof hello, TEA_PACKET_COOKIE, &bytes_in, &bytes_out, last_cookie);
          break;
        case INITIATION_FORGED:
          fill_random (rand, init + INIT_COOKIE_OFFSET, TEA_COOKIE_LEN);
          flood_one (sim, &from, init, sizeof init, TEA_PACKET_REJECT, &bytes_in, &bytes_out, NULL);
          break;
        case INITIATION_OTHER_SOURCE:
          /* A genuine cookie, made for the HELLO two addresses back. */
          memcpy (init + INIT_COOKIE_OFFSET, last_cookie, TEA_COOKIE_LEN);
          flood_one (sim, &from, init, sizeof init, TEA_PACKET_REJECT, &bytes_in, &bytes_out, NULL);
          break;
        case INITIATION_STALE:
          memcpy (init + INIT_COOKIE_OFFSET, stale + (n / 4) * TEA_COOKIE_LEN, TEA_COOKIE_LEN);
          flood_one (sim, &from, init, sizeof init, TEA_PACKET_REJECT, &bytes_in, &bytes_out, NULL);
          break;
        case N_INITIATION_KINDS:
          g_assert_not_reached ();
        }
      n_kind[kind]++;
      if (n % 4096 == 0)
        assert_relay_empty (sim->relay);
    }
  elapsed_s = (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC;
  rss_after = rss_kib ();

  /* Nothing was allocated for anyone, and nothing waits to happen. */
  assert_relay_empty (sim->relay);
  sim_advance (sim, 10 * G_USEC_PER_SEC);
  g_assert_cmpuint (sim->stray->len, ==, 0);
  assert_relay_empty (sim->relay);
  g_assert_cmpuint (stats->sessions_created, ==, 0);

  /* Every datagram counted, every answer smaller than what it answered. */
  g_assert_cmpuint (stats->datagrams_received, ==, N_STALE + N_INITIATIONS);
  g_assert_cmpuint (stats->hellos, ==, N_STALE + n_kind[INITIATION_HELLO]);
  g_assert_cmpuint (stats->dropped_bad_cookie, ==, N_INITIATIONS - n_kind[INITIATION_HELLO]);
  g_assert_cmpuint (stats->handshakes_rejected, ==, stats->dropped_bad_cookie);
  g_assert_cmpuint (stats->unvalidated_bytes_received, ==, bytes_in);
  g_assert_cmpuint (stats->unvalidated_bytes_sent, ==, bytes_out);
  g_assert_cmpuint (stats->bytes_sent, ==, bytes_out);
  g_assert_cmpuint (stats->unvalidated_bytes_sent, <=, stats->unvalidated_bytes_received);

  g_test_message ("handshake flood: %u initiations from as many addresses (%u HELLO, %u INIT with a "
                  "forged cookie, %u with another address's cookie, %u with a stale one, after %u "
                  "HELLOs for those) in %.2f s, %.0f a second; got %" G_GUINT64_FORMAT " bytes, "
                  "sent %" G_GUINT64_FORMAT " (%.1f %%); 0 sessions; RSS %" G_GUINT64_FORMAT
                  " kB before, %" G_GUINT64_FORMAT " kB after",
                  N_INITIATIONS, n_kind[INITIATION_HELLO], n_kind[INITIATION_FORGED],
                  n_kind[INITIATION_OTHER_SOURCE], n_kind[INITIATION_STALE], N_STALE, elapsed_s,
                  (N_INITIATIONS + N_STALE) / elapsed_s, bytes_in, bytes_out, 100.0 * bytes_out / bytes_in,
                  rss_before, rss_after);
}

/* The per-host handshake limiter is the one table an address with a valid
 * cookie (a real, reachable one; a botnet, or an IPv6 /64) can add to
 * without getting a session: here the relay is full, so every INIT is
 * refused after its bucket is taken. The table never grows past its
 * bound, and the limiter still works after churning through it. */
#define N_VALIDATED_HOSTS (3 * TEA_HANDSHAKE_LIMITS_MAX + 100)

static void
test_handshake_limits_bounded (void)
{
  TeaRelayConfig config;
  g_autoptr (Sim) sim = NULL;
  g_autoptr (GRand) rand = g_rand_new_with_seed (CORPUS_SEED);
  guint8 hello[TEA_HANDSHAKE_PADDED_LEN], init[TEA_HANDSHAKE_PADDED_LEN];
  guint8 token[TEA_CLIENT_TOKEN_LEN] = { 0 };
  guint peak = 0, limited = 0;
  guint64 rss_before;
  TeaAddr host;

  tea_relay_config_init (&config);
  config.max_sessions = 0; /* full from the start */
  sim = sim_new (&config);
  build_hello (token, hello);
  build_forged_init (rand, token, TEA_KEY_LEN + TEA_TAG_LEN, init);
  rss_before = rss_kib ();

  for (guint n = 0; n < N_VALIDATED_HOSTS; n++)
    {
      const TeaDatagram *reply;
      TeaCookieReply cookie;
      TeaReject reject;

      sim_addr (n, &host);
      sim_receive (sim, &host, hello, sizeof hello);
      reply = sim_take_reply (sim, &host);
      g_assert_true (tea_cookie_reply_decode (reply->data, reply->len, &cookie));
      memcpy (init + INIT_COOKIE_OFFSET, cookie.cookie, TEA_COOKIE_LEN);
      sim_receive (sim, &host, init, sizeof init);
      reply = sim_take_reply (sim, &host);
      g_assert_true (tea_reject_decode (reply->data, reply->len, &reject));
      g_assert_cmpuint (reject.code, ==, TEA_CODE_SERVER_FULL);
      peak = MAX (peak, g_hash_table_size (sim->relay->handshake_limits));
      g_assert_cmpuint (peak, <=, TEA_HANDSHAKE_LIMITS_MAX);
      sim->now += 100; /* 10,000 handshakes a second */
    }
  g_assert_cmpuint (tea_relay_get_n_sessions (sim->relay), ==, 0);

  /* One host, all at once, past its burst: the limiter still answers. */
  sim_addr (N_VALIDATED_HOSTS, &host);
  for (guint i = 0; i < config.handshake_burst + 1; i++)
    {
      const TeaDatagram *reply;
      TeaCookieReply cookie;
      TeaReject reject;

      host.port++;
      sim_receive (sim, &host, hello, sizeof hello);
      reply = sim_take_reply (sim, &host);
      g_assert_true (tea_cookie_reply_decode (reply->data, reply->len, &cookie));
      memcpy (init + INIT_COOKIE_OFFSET, cookie.cookie, TEA_COOKIE_LEN);
      sim_receive (sim, &host, init, sizeof init);
      reply = sim_take_reply (sim, &host);
      g_assert_true (tea_reject_decode (reply->data, reply->len, &reject));
      if (reject.code == TEA_CODE_RATE_LIMITED)
        limited++;
      else
        g_assert_cmpuint (reject.code, ==, TEA_CODE_SERVER_FULL);
    }
  g_assert_cmpuint (limited, ==, 1);
  g_test_message ("handshake limiter: %u validated hosts, at most %u buckets kept (bound %u); "
                  "RSS %" G_GUINT64_FORMAT " kB before, %" G_GUINT64_FORMAT " kB after",
                  N_VALIDATED_HOSTS, peak, TEA_HANDSHAKE_LIMITS_MAX, rss_before, rss_kib ());
  tea_relay_config_clear (&config);
}

/* ---- 9. Reassembly and reordering --------------------------------------- */

/* What a session's stream can make the relay hold for it: one partial
 * message (frames are consecutive, so there is never more than one) of at
 * most 20480 bytes for at most 30 s, and at most 256 KiB of frames that
 * arrived ahead of a gap (section 6.6). */

static guint8 *
filler (gsize len)
{
  guint8 *data = g_malloc (len);

  memset (data, 'x', len);
  return data;
}

/* A SAY of exactly `len` bytes (a message, not just its text). */
static GBytes *
say_of_size (guint32 req_id, guint32 room_id, gsize len, const char *tag)
{
  gsize overhead = 1 + 4 + 4 + 1 + 2;
  g_autofree guint8 *text = filler (len - overhead);
  TeaMessage msg = { .type = TEA_MSG_SAY, .req_id = req_id };
  GBytes *bytes;

  memcpy (text, tag, strlen (tag));
  msg.room_text.room_id = room_id;
  msg.room_text.text = (TeaStr) { (const char *) text, len - overhead };
  bytes = tea_message_encode_bytes (&msg);
  g_assert_nonnull (bytes);
  g_assert_cmpuint (g_bytes_get_size (bytes), ==, len);
  return bytes;
}

static void
test_oversized_message (void)
{
  g_autoptr (Sim) sim = sim_new (NULL);
  g_autoptr (SimPeer) alice = peer_new (sim, 1);
  g_autoptr (SimPeer) bob = peer_new (sim, 2);
  g_autoptr (GBytes) largest = NULL;
  g_autofree guint8 *fragment = filler (TEA_MAX_FRAGMENT);
  guint16 code = 0;
  guint32 req_id;

  peer_join (alice, "alice", "tea");
  peer_join (bob, "bob", "tea");

  /* The largest message there is reaches the relay whole; its text is
   * too long for a SAY, which is refused with a code, nothing more. */
  req_id = ++alice->next_req;
  largest = say_of_size (req_id, alice->room_id, TEA_MAX_MESSAGE, "largest|");
  peer_send_message (alice, largest);
  sim_settle (sim);
  g_assert_cmpuint (peer_error_for (alice, req_id), ==, TEA_CODE_MESSAGE_TOO_LONG);
  g_assert_false (alice->closed);

  /* One byte more than any message may have: fragments without FIN, up
   * to 21 000 bytes. The relay stops there and ends the session. */
  for (guint i = 0; i < TEA_MAX_MESSAGE / TEA_MAX_FRAGMENT + 1; i++)
    {
      g_assert_false (alice->closed);
      peer_send_stream (alice, alice->next_seq++, FALSE, fragment, TEA_MAX_FRAGMENT);
    }
  sim_settle (sim);
  g_assert_true (alice->closed);
  g_assert_cmpuint (alice->close_code, ==, TEA_CODE_PROTOCOL_VIOLATION);
  /* The room is told why she left. */
  g_assert_cmpuint (peer_count_events (bob, TEA_EVENT_TIMEOUT, "alice", &code), ==, 1);
  g_assert_cmpuint (code, ==, TEA_CODE_PROTOCOL_VIOLATION);
  g_assert_cmpuint (tea_relay_get_n_sessions (sim->relay), ==, 1);
  g_assert_false (bob->closed);
}

static void
test_reassembly_timeout (void)
{
  g_autoptr (Sim) sim = sim_new (NULL);
  g_autoptr (SimPeer) alice = peer_new (sim, 1);
  g_autoptr (SimPeer) bob = peer_new (sim, 2);
  g_autofree guint8 *fragment = filler (TEA_MAX_FRAGMENT);
  gint64 started, ended;
  guint16 code = 0;

  peer_join (alice, "alice", "tea");
  peer_join (bob, "bob", "tea");

  /* A message begun and never finished, fed a fragment every 5 s (well
   * within the size limit) as if that could keep it alive. */
  started = sim->now;
  while (!alice->closed && sim->now - started < 60 * G_USEC_PER_SEC)
    {
      if ((sim->now - started) % (5 * G_USEC_PER_SEC) == 0)
        peer_send_stream (alice, alice->next_seq++, FALSE, fragment, 100);
      sim_advance (sim, 100 * 1000);
    }
  ended = sim->now;
  g_assert_true (alice->closed);
  g_assert_cmpuint (alice->close_code, ==, TEA_CODE_REASSEMBLY_TIMEOUT);
  /* 30 s from its first fragment, not from its latest. */
  g_assert_cmpint (ended - started, >=, 30 * G_USEC_PER_SEC);
  g_assert_cmpint (ended - started, <=, 31 * G_USEC_PER_SEC);
  g_assert_cmpuint (peer_count_events (bob, TEA_EVENT_TIMEOUT, "alice", &code), ==, 1);
  g_assert_cmpuint (code, ==, TEA_CODE_REASSEMBLY_TIMEOUT);
  g_assert_cmpuint (tea_relay_get_n_sessions (sim->relay), ==, 1);
  g_assert_false (bob->closed);
}

/* Bob's MESSAGE events from alice, in order, must be tags 0 … n-1. */
static void
assert_messages_in_order (SimPeer *bob, guint n)
{
  guint next = 0;

  for (guint i = 0; i < bob->messages->len; i++)
    {
      TeaMessage msg;
      g_autofree char *tag = NULL;

      peer_message (bob, i, &msg);
      if (msg.type != TEA_MSG_EVENT || msg.event.kind != TEA_EVENT_MESSAGE)
        continue;
      tag = g_strdup_printf ("m%04u|", next);
      g_assert_cmpuint (msg.event.text.len, >=, strlen (tag));
      g_assert_cmpmem (msg.event.text.str, strlen (tag), tag, strlen (tag));
      next++;
    }
  g_assert_cmpuint (next, ==, n);
}

#define REORDER_WINDOW 1024 /* frames a sender may run ahead (section 6.6) */
#define REORDER_BYTES (256 * 1024)

static void
test_reorder_buffer (void)
{
  TeaRelayConfig config;
  g_autoptr (Sim) sim = NULL;
  g_autoptr (SimPeer) alice = NULL;
  g_autoptr (SimPeer) bob = NULL;
  GBytes *says[REORDER_WINDOW];
  const TeaConnStats *stats;
  guint64 gap, dropped;
  guint buffered;

  tea_relay_config_init (&config);
  config.flood_burst = 1e6;
  config.flood_rate = 1e6;
  sim = sim_new (&config);
  alice = peer_new (sim, 1);
  bob = peer_new (sim, 2);
  peer_join (alice, "alice", "tea");
  peer_join (bob, "bob", "tea");
  stats = tea_conn_get_stats (relay_session (sim->relay, alice->session_id)->conn);

  /* 1023 complete messages of 1000 bytes behind a missing first one: a
   * megabyte ahead of a gap, the most the window lets a sender send. */
  gap = alice->next_seq;
  for (guint i = 0; i < REORDER_WINDOW; i++)
    {
      g_autofree char *tag = g_strdup_printf ("m%04u|", i);

      says[i] = say_of_size (++alice->next_req, alice->room_id, TEA_MAX_FRAGMENT, tag);
    }
  for (guint i = 1; i < REORDER_WINDOW; i++)
    peer_send_stream (alice, gap + i, TRUE, g_bytes_get_data (says[i], NULL), TEA_MAX_FRAGMENT);
  /* And one past the window, which no sender may send. */
  peer_send_stream (alice, gap + REORDER_WINDOW, TRUE, g_bytes_get_data (says[1], NULL), TEA_MAX_FRAGMENT);
  sim_settle (sim);

  /* Held up to the cap; the rest refused (and not acknowledged, so a
   * real sender sends them again). */
  dropped = stats->dropped_window;
  buffered = REORDER_WINDOW - 1 - (dropped - 1);
  g_assert_cmpuint (dropped, >, 1);
  g_assert_cmpuint ((guint64) buffered * TEA_MAX_FRAGMENT, <=, REORDER_BYTES);
  g_assert_cmpuint ((guint64) (buffered + 1) * TEA_MAX_FRAGMENT, >, REORDER_BYTES);
  assert_messages_in_order (bob, 0);
  g_assert_false (alice->closed);

  /* The gap filled: what was held comes out in order, then the refused
   * frames, sent again, follow. Nothing lost, nothing twice. */
  peer_send_stream (alice, gap, TRUE, g_bytes_get_data (says[0], NULL), TEA_MAX_FRAGMENT);
  sim_settle (sim);
  assert_messages_in_order (bob, buffered + 1);
  for (guint i = buffered + 1; i < REORDER_WINDOW; i++)
    {
      peer_send_stream (alice, gap + i, TRUE, g_bytes_get_data (says[i], NULL), TEA_MAX_FRAGMENT);
      sim_settle (sim);
    }
  alice->next_seq = gap + REORDER_WINDOW;
  assert_messages_in_order (bob, REORDER_WINDOW);
  g_assert_cmpuint (stats->dropped_window, ==, dropped);
  g_assert_false (alice->closed);
  g_assert_false (bob->closed);
  g_test_message ("reorder buffer: %u frames of %u bytes held ahead of a gap, %" G_GUINT64_FORMAT
                  " refused (one of them beyond the window) until it was filled",
                  buffered, TEA_MAX_FRAGMENT, dropped);

  for (guint i = 0; i < REORDER_WINDOW; i++)
    g_bytes_unref (says[i]);
  tea_relay_config_clear (&config);
}

/* ---- 10. A flooder among friends ---------------------------------------- */

/* Mallory sends requests that would each become a room event as fast as
 * her connection carries them; Bob and Carol chat as people do. */

#define FLOOD_BURST 30
#define FLOOD_RATE 5
#define LATENCY_ROUNDS 12
#define FLOOD_OUTSTANDING 256 /* requests Mallory keeps unanswered */

typedef struct
{
  TeaTestPeer *peer;
  guint n_sent;
  guint n_say, n_topic, n_nick;
  GSource *source;
} Flooder;

static guint
flooder_answered (Flooder *f)
{
  return f->peer->n_said_ok + f->peer->error_codes->len;
}

static gboolean
flooder_run (gpointer user_data)
{
  Flooder *f = user_data;

  while (f->n_sent - flooder_answered (f) < FLOOD_OUTSTANDING)
    {
      g_autofree char *text = g_strdup_printf ("flood-%u", f->n_sent);
      guint32 req_id;

      switch (f->n_sent % 10)
        {
        case 8:
          req_id = tea_client_set_topic (f->peer->client, "tea", text);
          f->n_topic++;
          break;
        case 9:
          req_id = tea_client_change_nick (f->peer->client, f->n_nick % 2 ? "mallory" : "mallory2");
          f->n_nick++;
          break;
        default:
          req_id = tea_client_say (f->peer->client, "tea", text, TEA_TEXT_KIND_MESSAGE);
          f->n_say++;
          break;
        }
      g_assert_cmpuint (req_id, !=, 0);
      f->n_sent++;
    }
  return G_SOURCE_CONTINUE;
}

static gboolean
flooder_all_answered (gpointer user_data)
{
  Flooder *f = user_data;
  return flooder_answered (f) == f->n_sent;
}

typedef struct
{
  GHashTable *sent_at; /* tag -> gint64 *, when it was said */
  GArray *ms;          /* double: one latency per line delivered */
} Latencies;

static void
on_latency_event (TeaClient *client, const char *room, gpointer event_ptr, gpointer user_data)
{
  const TeaEvent *e = event_ptr;
  Latencies *l = user_data;
  g_autofree char *text = tea_str_dup (e->text);
  gint64 *sent;

  if (e->kind != TEA_EVENT_MESSAGE || !g_str_has_prefix (text, "lat-"))
    return;
  sent = g_hash_table_lookup (l->sent_at, text);
  g_assert_nonnull (sent);
  /* Only the other one's lines: the sender's own echo is not a delivery. */
  if (!tea_names_equal (e->nick.str, e->nick.len, tea_client_get_nick (client), -1))
    {
      double ms = (g_get_monotonic_time () - *sent) / 1000.0;
      g_array_append_val (l->ms, ms);
    }
}

/* Bob and Carol take turns, each waiting for the other's line. */
static void
converse (TeaTestPeer *bob, TeaTestPeer *carol, Latencies *l, const char *phase)
{
  for (guint i = 0; i < LATENCY_ROUNDS; i++)
    for (guint turn = 0; turn < 2; turn++)
      {
        TeaTestPeer *from = turn ? carol : bob;
        TeaTestPeer *to = turn ? bob : carol;
        char *tag = g_strdup_printf ("lat-%s-%s-%02u", phase, tea_client_get_nick (from->client), i);
        gint64 *now = g_new (gint64, 1);

        *now = g_get_monotonic_time ();
        g_hash_table_insert (l->sent_at, tag, now);
        g_assert_cmpuint (tea_client_say (from->client, "tea", tag, TEA_TEXT_KIND_MESSAGE), !=, 0);
        tea_test_peer_wait_count (to, "MESSAGE", tag, 1);
      }
}

static int
compare_doubles (gconstpointer a, gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

static void
latency_summary (GArray *ms, guint from, guint to, double *median, double *max)
{
  g_autoptr (GArray) part = g_array_new (FALSE, FALSE, sizeof (double));

  g_array_append_vals (part, &g_array_index (ms, double, from), to - from);
  g_array_sort (part, compare_doubles);
  *median = g_array_index (part, double, part->len / 2);
  *max = g_array_index (part, double, part->len - 1);
}

static void
assert_conversation_once (TeaTestPeer *peer, const char *phase)
{
  for (guint i = 0; i < LATENCY_ROUNDS; i++)
    {
      g_autofree char *from_bob = g_strdup_printf ("lat-%s-bob-%02u", phase, i);
      g_autofree char *from_carol = g_strdup_printf ("lat-%s-carol-%02u", phase, i);

      g_assert_cmpuint (tea_test_peer_count (peer, "MESSAGE", from_bob), ==, 1);
      g_assert_cmpuint (tea_test_peer_count (peer, "MESSAGE", from_carol), ==, 1);
    }
}

static void
test_flooder (void)
{
  TeaRelayConfig config;
  g_autoptr (TeaTestRelay) relay = NULL;
  g_autoptr (TeaTestPeer) mallory = NULL;
  g_autoptr (TeaTestPeer) bob = NULL;
  g_autoptr (TeaTestPeer) carol = NULL;
  g_autoptr (GPtrArray) bob_lines = NULL;
  g_autoptr (GPtrArray) carol_lines = NULL;
  Latencies l = { g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free),
                  g_array_new (FALSE, FALSE, sizeof (double)) };
  Flooder f = { 0 };
  guint quiet, floods = 0, accepted, seen;
  gint64 start;
  double elapsed_s, quiet_median, quiet_max, flood_median, flood_max;

  tea_relay_config_init (&config);
  config.flood_burst = FLOOD_BURST;
  config.flood_rate = FLOOD_RATE;
  relay = tea_test_relay_new (&config);
  mallory = tea_test_peer_new (relay->port, "mallory");
  bob = tea_test_peer_new (relay->port, "bob");
  carol = tea_test_peer_new (relay->port, "carol");
  tea_test_peer_connect (mallory, "tea");
  tea_test_peer_connect (bob, "tea");
  tea_test_peer_connect (carol, "tea");
  tea_test_peer_wait_count (mallory, "JOIN", "carol", 1);
  g_signal_connect (bob->client, "event", G_CALLBACK (on_latency_event), &l);
  g_signal_connect (carol->client, "event", G_CALLBACK (on_latency_event), &l);

  converse (bob, carol, &l, "quiet");
  quiet = l.ms->len;

  /* Mallory starts, at the priority of everything else on this loop. */
  f.peer = mallory;
  f.source = g_idle_source_new ();
  g_source_set_priority (f.source, G_PRIORITY_DEFAULT);
  g_source_set_callback (f.source, flooder_run, &f, NULL);
  start = g_get_monotonic_time ();
  g_source_attach (f.source, NULL);
  tea_test_run_for (200);
  converse (bob, carol, &l, "flood");
  g_source_destroy (f.source);
  g_source_unref (f.source);
  g_assert_true (tea_test_wait (flooder_all_answered, &f, WAIT_MS));
  elapsed_s = (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC;
  tea_test_run_for (200);

  /* Bob and Carol: every line once, and one order for the whole room,
   * Mallory's accepted lines included. Neither was refused anything. */
  assert_conversation_once (bob, "quiet");
  assert_conversation_once (carol, "quiet");
  assert_conversation_once (bob, "flood");
  assert_conversation_once (carol, "flood");
  bob_lines = tea_test_peer_chat_lines (bob);
  carol_lines = tea_test_peer_chat_lines (carol);
  g_assert_cmpuint (bob_lines->len, ==, carol_lines->len);
  for (guint i = 0; i < bob_lines->len; i++)
    g_assert_cmpstr (bob_lines->pdata[i], ==, carol_lines->pdata[i]);
  g_assert_cmpuint (bob->error_codes->len, ==, 0);
  g_assert_cmpuint (carol->error_codes->len, ==, 0);
  g_assert_true (tea_test_peer_is_connected (bob));
  g_assert_true (tea_test_peer_is_connected (carol));

  /* Mallory: every request answered, each refusal a FLOOD with the wait,
   * and no more accepted than her bucket allows, whatever the kind. */
  for (guint i = 0; i < mallory->error_codes->len; i++)
    g_assert_cmpuint (g_array_index (mallory->error_codes, guint16, i), ==, TEA_CODE_FLOOD);
  for (guint i = 0; i < mallory->messages->len; i++)
    if (g_str_has_prefix (mallory->messages->pdata[i], "ERROR "))
      {
        floods++;
        g_assert_false (g_str_has_suffix (mallory->messages->pdata[i], " 0"));
      }
  accepted = mallory->n_said_ok;
  g_assert_cmpuint (floods, >, 0);
  g_assert_cmpuint (floods + accepted, ==, f.n_sent);
  g_assert_cmpuint (accepted, <=, FLOOD_BURST + FLOOD_RATE * elapsed_s + 1);
  /* What the room saw of her is what was accepted, no more. */
  seen = tea_test_peer_count (carol, "MESSAGE", "mallory") + tea_test_peer_count (carol, "TOPIC", "mallory") +
         tea_test_peer_count (carol, "NICK", "mallory");
  g_assert_cmpuint (seen, ==, accepted);
  g_assert_cmpuint (tea_test_peer_count (bob, "MESSAGE", "mallory") + tea_test_peer_count (bob, "TOPIC", "mallory") +
                    tea_test_peer_count (bob, "NICK", "mallory"), ==, accepted);

  latency_summary (l.ms, 0, quiet, &quiet_median, &quiet_max);
  latency_summary (l.ms, quiet, l.ms->len, &flood_median, &flood_max);
  g_test_message ("flooder: %u requests in %.2f s (%.0f a second: %u SAY, %u TOPIC, %u NICK), "
                  "%u accepted, %u refused with FLOOD; the others' delivery latency over %u lines: "
                  "median %.2f ms, max %.2f ms without the flood, median %.2f ms, max %.2f ms with it",
                  f.n_sent, elapsed_s, f.n_sent / elapsed_s, f.n_say, f.n_topic, f.n_nick, accepted, floods,
                  quiet, quiet_median, quiet_max, flood_median, flood_max);

  g_signal_handlers_disconnect_by_data (bob->client, &l);
  g_signal_handlers_disconnect_by_data (carol->client, &l);
  g_hash_table_unref (l.sent_at);
  g_array_unref (l.ms);
  tea_relay_config_clear (&config);
}

/* ---- 11. Flood control covers every room event -------------------------- */

/* Every request that becomes something other members receive draws on the
 * sender's one token bucket (section 9.5). On the sans-IO relay the clock
 * stands still, so the counts are exact: a burst of 3, then nothing until
 * the clock moves. */
#define EVENT_BURST 3
#define EVENT_TRIES 5

typedef enum {
  FLOODED_SAY,
  FLOODED_PRIVMSG,
  FLOODED_EDIT,
  FLOODED_TOPIC,
  FLOODED_NICK,
  FLOODED_PART,
  N_FLOODED
} FloodedKind;

static const char *const flooded_names[] = { "SAY", "PRIVMSG", "EDIT", "TOPIC", "NICK", "PART" };

static guint32
send_flooded (SimPeer *alice, FloodedKind kind, guint i, guint32 *rooms, guint64 edit_seq)
{
  g_autofree char *text = g_strdup_printf ("%s-%u", flooded_names[kind], i);
  TeaMessage msg = { 0 };

  switch (kind)
    {
    case FLOODED_SAY:
    case FLOODED_TOPIC:
      msg.type = kind == FLOODED_SAY ? TEA_MSG_SAY : TEA_MSG_TOPIC;
      msg.room_text.room_id = alice->room_id;
      msg.room_text.text = tea_str_from (text);
      break;
    case FLOODED_PART:
      msg.type = TEA_MSG_PART;
      msg.room_text.room_id = rooms[i];
      break;
    case FLOODED_PRIVMSG:
      msg.type = TEA_MSG_PRIVMSG;
      msg.privmsg.nick = tea_str_from ("bob");
      msg.privmsg.text = tea_str_from (text);
      break;
    case FLOODED_EDIT:
      msg.type = TEA_MSG_EDIT;
      msg.edit.room_id = alice->room_id;
      msg.edit.seq = edit_seq;
      msg.edit.text = tea_str_from (text);
      break;
    case FLOODED_NICK:
      msg.type = TEA_MSG_NICK;
      msg.nick.nick = tea_str_from (text);
      break;
    case N_FLOODED:
      g_assert_not_reached ();
    }
  return peer_request (alice, &msg);
}

/* What Bob received for each of these. */
static guint
bob_received (SimPeer *bob, FloodedKind kind, guint first_message)
{
  static const guint8 event_kinds[] = { TEA_EVENT_MESSAGE, 0, TEA_EVENT_EDIT, TEA_EVENT_TOPIC, TEA_EVENT_NICK, TEA_EVENT_PART };
  guint n = 0;

  for (guint i = first_message; i < bob->messages->len; i++)
    {
      TeaMessage msg;

      peer_message (bob, i, &msg);
      if (kind == FLOODED_PRIVMSG ? msg.type == TEA_MSG_PRIVATE
                                  : msg.type == TEA_MSG_EVENT && msg.event.kind == event_kinds[kind])
        n++;
    }
  return n;
}

static void
test_flood_every_event (void)
{
  TeaRelayConfig config;
  g_autoptr (Sim) sim = NULL;
  g_autoptr (SimPeer) alice = NULL;
  g_autoptr (SimPeer) bob = NULL;
  guint32 rooms[EVENT_TRIES];
  guint64 edit_seq = 0;

  tea_relay_config_init (&config);
  config.flood_burst = EVENT_BURST;
  config.flood_rate = 1;
  sim = sim_new (&config);
  alice = peer_new (sim, 1);
  bob = peer_new (sim, 2);
  peer_join (alice, "alice", "tea");
  peer_join (bob, "bob", "tea");
  /* Rooms to leave; joining is not an event anyone else sees here. */
  for (guint i = 0; i < EVENT_TRIES; i++)
    {
      g_autofree char *name = g_strdup_printf ("room-%u", i);
      TeaMessage join = { .type = TEA_MSG_JOIN };
      TeaMessage joined;

      join.join.room = tea_str_from (name);
      peer_request (bob, &join);
      g_assert_true (peer_reply_for (alice, peer_request (alice, &join), &joined));
      g_assert_cmpuint (joined.type, ==, TEA_MSG_JOINED);
      rooms[i] = joined.joined.room_id;
    }

  for (FloodedKind kind = 0; kind < N_FLOODED; kind++)
    {
      guint32 req_ids[EVENT_TRIES];
      guint first_message = bob->messages->len;
      guint accepted = 0, refused = 0;

      /* A full bucket; for EDIT, a message to edit (which takes a token). */
      sim_advance (sim, 10 * G_USEC_PER_SEC);
      if (kind == FLOODED_EDIT)
        {
          TeaMessage ok;

          g_assert_true (peer_reply_for (alice, send_flooded (alice, FLOODED_SAY, 99, rooms, 0), &ok));
          g_assert_cmpuint (ok.type, ==, TEA_MSG_OK);
          edit_seq = ok.ok.value;
          sim_advance (sim, 10 * G_USEC_PER_SEC);
          first_message = bob->messages->len;
        }
      for (guint i = 0; i < EVENT_TRIES; i++)
        req_ids[i] = send_flooded (alice, kind, i, rooms, edit_seq);
      sim_settle (sim);
      for (guint i = 0; i < EVENT_TRIES; i++)
        {
          TeaMessage reply;

          if (!peer_reply_for (alice, req_ids[i], &reply))
            g_error ("%s %u was not answered", flooded_names[kind], i);
          if (reply.type == TEA_MSG_OK)
            {
              g_assert_cmpuint (i, <, EVENT_BURST);
              accepted++;
            }
          else
            {
              g_assert_cmpuint (reply.error.code, ==, TEA_CODE_FLOOD);
              g_assert_cmpuint (reply.error.retry_after_ms, >, 0);
              g_assert_cmpuint (reply.error.retry_after_ms, <=, 1001);
              refused++;
            }
        }
      g_assert_cmpuint (accepted, ==, EVENT_BURST);
      g_assert_cmpuint (refused, ==, EVENT_TRIES - EVENT_BURST);
      /* A nick change is an event in each of the six rooms they share. */
      g_assert_cmpuint (bob_received (bob, kind, first_message), ==,
                        kind == FLOODED_NICK ? EVENT_BURST * (1 + EVENT_TRIES) : EVENT_BURST);
    }
  /* The refused PARTs left Alice where she was. */
  g_assert_cmpuint (relay_session (sim->relay, alice->session_id)->memberships->len, ==,
                    1 + EVENT_TRIES - EVENT_BURST);

  /* A refused DELETE changes nothing either: once the wait is over, the
   * same DELETE is accepted. */
  sim_advance (sim, 10 * G_USEC_PER_SEC);
  {
    TeaMessage reply;
    TeaMessage delete = { .type = TEA_MSG_DELETE };
    guint first_message = bob->messages->len;

    for (guint i = 0; i < EVENT_BURST; i++)
      {
        g_assert_true (peer_reply_for (alice, send_flooded (alice, FLOODED_SAY, 100 + i, rooms, 0), &reply));
        g_assert_cmpuint (reply.type, ==, TEA_MSG_OK);
      }
    delete.edit.room_id = alice->room_id;
    delete.edit.seq = reply.ok.value;
    g_assert_true (peer_reply_for (alice, peer_request (alice, &delete), &reply));
    g_assert_cmpuint (reply.type, ==, TEA_MSG_ERROR);
    g_assert_cmpuint (reply.error.code, ==, TEA_CODE_FLOOD);
    sim_advance (sim, (gint64) reply.error.retry_after_ms * 1000);
    g_assert_true (peer_reply_for (alice, peer_request (alice, &delete), &reply));
    if (reply.type == TEA_MSG_ERROR)
      g_error ("the DELETE, refused for flooding, was then refused with %u", reply.error.code);
    g_assert_cmpuint (bob_received (bob, FLOODED_SAY, first_message), ==, EVENT_BURST);
    g_assert_cmpuint (peer_count_events (bob, TEA_EVENT_DELETE, relay_session (sim->relay, alice->session_id)->nick, NULL), ==, 1);
  }
  tea_relay_config_clear (&config);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/tea/abuse/amplification", test_amplification);
  g_test_add_func ("/tea/abuse/cookie-binding", test_cookie_binding);
  g_test_add_func ("/tea/abuse/malformed", test_malformed);
  g_test_add_func ("/tea/abuse/hijack", test_hijack);
  g_test_add_func ("/tea/abuse/handshake-rate", test_handshake_rate);
  g_test_add_func ("/tea/abuse/server-full", test_server_full);
  g_test_add_func ("/tea/abuse/slow-reader", test_slow_reader);
  g_test_add_func ("/tea/abuse/handshake-flood", test_handshake_flood);
  g_test_add_func ("/tea/abuse/handshake-limits-bounded", test_handshake_limits_bounded);
  g_test_add_func ("/tea/abuse/oversized-message", test_oversized_message);
  g_test_add_func ("/tea/abuse/reassembly-timeout", test_reassembly_timeout);
  g_test_add_func ("/tea/abuse/reorder-buffer", test_reorder_buffer);
  g_test_add_func ("/tea/abuse/flooder", test_flooder);
  g_test_add_func ("/tea/abuse/flood-every-event", test_flood_every_event);
  return g_test_run ();
}
