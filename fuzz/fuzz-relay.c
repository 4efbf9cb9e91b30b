/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * fuzz-relay: the relay's whole input path. tea_relay_receive() gets
 * datagrams from several fake addresses on a fake clock, interleaved with
 * tea_relay_handle_timeouts(); everything it sends is captured.
 *
 * To reach established sessions, the harness completes real handshakes
 * with sans-IO clients built from the protocol library. A "conn" client is
 * a real TeaConn (acks, retransmissions, key updates, path responses); a
 * "raw" client seals whatever frames the fuzzer writes under the session
 * keys, and acknowledges what it gets. Requests are built from fuzzer
 * choices over a small dictionary of nicks and rooms, so LOGIN, JOIN, SAY,
 * NICK collisions, resume-token take-overs and floods all happen. Mixed
 * in: garbage datagrams, roaming to other addresses, replays, time.
 *
 * Checked after every step: the relay's accounting, session and room
 * counts, no amplification towards addresses that never received, every
 * datagram at most 1200 bytes, every message a conn client pops decodes.
 *
 * Input: a config byte (legacy mode, limits), then operations.
 */
#include <string.h>

#include "fuzz-net.h"
#include "tea-conn.h"
#include "tea-frame.h"
#include "tea-message.h"

const char fuzz_target_name[] = "fuzz-relay";

#define N_CLIENTS 3
#define N_KEPT 16
#define N_TOKENS 4
#define PUMP_ROUNDS 12

enum { OP_CONNECT, OP_REQUEST, OP_FRAMES, OP_ROAM, OP_REPLAY, OP_GARBAGE, OP_CLOCK, N_OPS };
enum { KIND_NONE, KIND_CONN, KIND_RAW };

typedef struct
{
  guint kind;
  guint addr;
  guint attempt;
  guint64 session_id;
  TeaConn *conn; /* KIND_CONN */
  /* KIND_RAW: the harness is the session layer. */
  guint8 c2s[TEA_KEY_LEN];
  guint8 s2c[TEA_KEY_LEN];
  guint8 recv_phase;
  guint64 next_pn;
  guint64 next_seq;
  TeaAckRanges received;
  gboolean ack_wanted;
  gboolean response_wanted;
  guint8 challenge[TEA_PATH_CHALLENGE_LEN];
} Client;

typedef struct
{
  FuzzNet net;
  Client clients[N_CLIENTS];
  GPtrArray *kept; /* FuzzDatagram: what clients sent, to replay */
  guint8 tokens[N_TOKENS][TEA_RESUME_TOKEN_LEN]; /* from WELCOMEs */
  guint n_tokens;
} Harness;

static const char *const nicks[] = { "alice", "bob", "Alice", "ａｌｉｃｅ", "carol", "x y", "\x1b[31m", "" };
static const char *const rooms[] = { "lobby", "茶室", "Lobby", "r2", "r3", "" };
static const char *const texts[] = { "hi", "你好 👋", "", "\x1b]0;", "line\nline", "bye" };

/* ---- Clients ------------------------------------------------------------- */

static void
client_reset (Client *c)
{
  g_clear_pointer (&c->conn, tea_conn_free);
  c->kind = KIND_NONE;
}

static void
keep (Harness *h, guint addr, const guint8 *data, gsize len)
{
  FuzzDatagram *d = g_new (FuzzDatagram, 1);

  d->addr = addr;
  d->bytes = g_bytes_new (data, len);
  if (h->kept->len == N_KEPT)
    g_ptr_array_remove_index (h->kept, 0);
  g_ptr_array_add (h->kept, d);
}

static void
client_send (Harness *h, Client *c, const guint8 *data, gsize len)
{
  keep (h, c->addr, data, len);
  fuzz_net_send (&h->net, c->addr, data, len);
}

/* Seals frames as a raw client and sends them. */
static void
raw_send_frames (Harness *h, Client *c, const guint8 *frames, gsize len)
{
  guint8 packet[TEA_MAX_DATAGRAM];
  TeaSessionHeader header = { .session_id = c->session_id, .packet_number = c->next_pn++ };

  len = MIN (len, TEA_MAX_FRAMES_LEN);
  tea_session_header_encode (&header, packet);
  tea_aead_seal (c->c2s, header.packet_number, packet, TEA_SESSION_HEADER_LEN, frames, len,
                 packet + TEA_SESSION_HEADER_LEN);
  client_send (h, c, packet, TEA_SESSION_OVERHEAD + len);
}

/* The ACK (and PATH_RESPONSE) a raw client owes. */
static void
raw_answer (Harness *h, Client *c)
{
  guint8 frames[TEA_MAX_FRAMES_LEN];
  TeaWriter w;

  tea_writer_init (&w, frames, sizeof frames);
  if (c->response_wanted)
    tea_frame_write_path (&w, TEA_FRAME_PATH_RESPONSE, c->challenge);
  tea_frame_write_ack (&w, &c->received, 0, TEA_MAX_ACK_RANGES);
  c->ack_wanted = c->response_wanted = FALSE;
  if (w.pos > 0)
    raw_send_frames (h, c, frames, w.pos);
}

/* Opens a relay packet with the current or the next key (the relay
 * updates its key every two minutes). */
static gboolean
raw_open (Client *c, guint8 *packet, gsize len, const TeaSessionHeader *header)
{
  guint8 next[TEA_KEY_LEN];
  const guint8 *key = c->s2c;

  if (header->key_phase != c->recv_phase)
    {
      memcpy (next, c->s2c, TEA_KEY_LEN);
      tea_noise_rekey (next);
      key = next;
    }
  if (!tea_aead_open (key, header->packet_number, packet, TEA_SESSION_HEADER_LEN,
                      packet + TEA_SESSION_HEADER_LEN, len - TEA_SESSION_HEADER_LEN, packet + TEA_SESSION_HEADER_LEN))
    return FALSE;
  if (key == next)
    {
      memcpy (c->s2c, next, TEA_KEY_LEN);
      c->recv_phase ^= 1;
    }
  return TRUE;
}

static void
raw_receive (Client *c, guint8 *packet, gsize len, const TeaSessionHeader *header)
{
  TeaReader r;
  TeaFrame frame;
  gboolean malformed;

  if (!raw_open (c, packet, len, header))
    return;
  tea_ack_ranges_add (&c->received, header->packet_number);
  tea_reader_init (&r, packet + TEA_SESSION_HEADER_LEN, len - TEA_SESSION_OVERHEAD);
  while (tea_frame_read (&r, &frame, &malformed))
    {
      if (frame.type == TEA_FRAME_PATH_CHALLENGE)
        {
          memcpy (c->challenge, frame.path_data, TEA_PATH_CHALLENGE_LEN);
          c->response_wanted = TRUE;
        }
      if (frame.type != TEA_FRAME_ACK && frame.type != TEA_FRAME_CLOSE)
        c->ack_wanted = TRUE;
    }
  /* The relay writes only well-formed frames. */
  g_assert_false (malformed);
}

/* Every message the relay sends decodes, and is a relay message. */
static void
conn_read_messages (Harness *h, Client *c)
{
  GBytes *message;

  while ((message = tea_conn_pop_message (c->conn)))
    {
      TeaMessage msg;
      gsize len;
      const guint8 *data = g_bytes_get_data (message, &len);

      g_assert_cmpint (tea_message_decode (data, len, &msg), ==, TEA_CODE_NONE);
      g_assert_cmpuint (msg.type, >=, TEA_MSG_OK);
      if (msg.type == TEA_MSG_WELCOME)
        memcpy (h->tokens[h->n_tokens++ % N_TOKENS], msg.welcome.resume_token, TEA_RESUME_TOKEN_LEN);
      g_bytes_unref (message);
    }
}

/* ---- Routing what the relay sends ----------------------------------------- */

static void
deliver (Harness *h, FuzzDatagram *d)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (d->bytes, &len);
  TeaSessionHeader header;

  if (!tea_session_header_decode (data, len, &header))
    return;
  for (guint i = 0; i < N_CLIENTS; i++)
    {
      Client *c = &h->clients[i];
      g_autofree guint8 *copy = NULL;
      gboolean highest;

      if (c->kind == KIND_NONE || c->addr != d->addr || c->session_id != header.session_id)
        continue;
      /* A client there got it, so the address receives. */
      h->net.proven[d->addr] = TRUE;
      copy = g_memdup2 (data, len);
      if (c->kind == KIND_CONN)
        tea_conn_receive (c->conn, copy, len, TRUE, h->net.now, &highest);
      else
        raw_receive (c, copy, len, &header);
    }
}

static void
deliver_all (Harness *h, GPtrArray *output)
{
  for (guint i = 0; i < output->len; i++)
    deliver (h, g_ptr_array_index (output, i));
}

static gboolean
route_output (Harness *h)
{
  g_autoptr (GPtrArray) output = fuzz_net_take_output (&h->net);

  deliver_all (h, output);
  return output->len > 0;
}

static gboolean
client_transmit (Harness *h, Client *c)
{
  guint8 packet[TEA_MAX_DATAGRAM];
  gboolean any = FALSE;
  gsize len;

  if (c->kind == KIND_RAW && (c->ack_wanted || c->response_wanted))
    {
      raw_answer (h, c);
      return TRUE;
    }
  if (c->kind != KIND_CONN)
    return FALSE;
  conn_read_messages (h, c);
  for (guint i = 0; i < 16 && (len = tea_conn_poll_transmit (c->conn, h->net.now, packet)) > 0; i++)
    {
      client_send (h, c, packet, len);
      any = TRUE;
    }
  if (tea_conn_get_state (c->conn) == TEA_CONN_CLOSED)
    client_reset (c);
  return any;
}

/* Lets the relay and the clients talk until they are quiet (no time
 * passes: the clock is the fuzzer's). */
static void
pump (Harness *h)
{
  for (guint round = 0; round < PUMP_ROUNDS; round++)
    {
      gboolean busy = route_output (h);

      for (guint i = 0; i < N_CLIENTS; i++)
        busy |= client_transmit (h, &h->clients[i]);
      if (!busy)
        break;
    }
}

/* ---- Operations ---------------------------------------------------------- */

static void
start_session (Client *c, guint kind, const TeaAcceptParams *params, const guint8 *c2s, const guint8 *s2c, gint64 now)
{
  c->kind = kind;
  c->session_id = params->session_id;
  if (kind == KIND_CONN)
    {
      TeaConnConfig config;

      tea_conn_config_init (&config);
      config.keepalive_us = (gint64) params->keepalive_s * G_USEC_PER_SEC;
      c->conn = tea_conn_new (TRUE, params->session_id, c2s, s2c, &config, now);
      return;
    }
  memcpy (c->c2s, c2s, TEA_KEY_LEN);
  memcpy (c->s2c, s2c, TEA_KEY_LEN);
  c->recv_phase = 0;
  c->next_pn = c->next_seq = 0;
  tea_ack_ranges_init (&c->received);
  c->ack_wanted = c->response_wanted = FALSE;
}

/* HELLO, COOKIE, INIT, ACCEPT: a real handshake from the client's address. */
static void
op_connect (Harness *h, FuzzInput *in)
{
  guint index = fuzz_u8 (in) % N_CLIENTS;
  Client *c = &h->clients[index];
  guint kind = fuzz_u8 (in) & 1 ? KIND_RAW : KIND_CONN;
  FuzzHandshake hs = { { 0xf0 | index, c->attempt >> 8, c->attempt & 0xff } };
  guint8 hello[TEA_HANDSHAKE_PADDED_LEN], cookie[TEA_COOKIE_LEN], c2s[TEA_KEY_LEN], s2c[TEA_KEY_LEN];
  TeaAcceptParams params;
  g_autoptr (GPtrArray) reply = NULL;
  g_autoptr (GPtrArray) accept = NULL;

  client_reset (c);
  c->attempt++;
  c->addr = fuzz_u8 (in) % FUZZ_N_ADDRS;
  fuzz_net_send (&h->net, c->addr, hello, fuzz_build_hello (hs.token, hello));
  reply = fuzz_net_take_output (&h->net);
  if (!fuzz_find_cookie (reply, c->addr, hs.token, cookie))
    return;
  fuzz_build_init (&hs, tea_relay_get_public_key (h->net.relay), cookie);
  fuzz_net_send (&h->net, c->addr, hs.init, hs.init_len);
  accept = fuzz_net_take_output (&h->net);
  if (fuzz_find_accept (accept, c->addr, &hs, &params, c2s, s2c))
    start_session (c, kind, &params, c2s, s2c, h->net.now);
  tea_noise_clear (&hs.noise);
  /* What the relay sent others meanwhile still reaches them. */
  deliver_all (h, reply);
  deliver_all (h, accept);
}

static TeaStr
choose_str (FuzzInput *in, const char *const *dict, guint n)
{
  guint8 pick = fuzz_u8 (in);
  const guint8 *bytes;
  TeaStr s;

  if (pick < n)
    return tea_str_from (dict[pick]);
  /* Bytes of the fuzzer's: maybe not UTF-8, maybe too long. */
  s.len = fuzz_take (in, pick % 64, &bytes);
  s.str = (const char *) bytes;
  return s;
}

static void
choose_token (Harness *h, FuzzInput *in, guint8 token[TEA_RESUME_TOKEN_LEN])
{
  guint8 pick = fuzz_u8 (in);

  memset (token, 0, TEA_RESUME_TOKEN_LEN);
  if (pick > 0 && h->n_tokens > 0)
    memcpy (token, h->tokens[pick % MIN (h->n_tokens, N_TOKENS)], TEA_RESUME_TOKEN_LEN);
}

static void
fill_request (Harness *h, FuzzInput *in, TeaMessage *msg)
{
  switch (msg->type)
    {
    case TEA_MSG_LOGIN:
      msg->login.nick = choose_str (in, nicks, G_N_ELEMENTS (nicks));
      choose_token (h, in, msg->login.resume_token);
      break;
    case TEA_MSG_JOIN:
      msg->join.room = choose_str (in, rooms, G_N_ELEMENTS (rooms));
      msg->join.epoch = fuzz_u8 (in) == 1 ? 0 : fuzz_u64 (in);
      msg->join.last_seq = fuzz_u8 (in);
      msg->join.history = fuzz_u8 (in);
      break;
    case TEA_MSG_PART:
    case TEA_MSG_SAY:
    case TEA_MSG_TOPIC:
      msg->room_text.room_id = fuzz_u8 (in) % 6;
      msg->room_text.kind = fuzz_u8 (in) % 3;
      msg->room_text.text = choose_str (in, texts, G_N_ELEMENTS (texts));
      break;
    case TEA_MSG_PRIVMSG:
      msg->privmsg.nick = choose_str (in, nicks, G_N_ELEMENTS (nicks));
      msg->privmsg.kind = fuzz_u8 (in) % 3;
      msg->privmsg.text = choose_str (in, texts, G_N_ELEMENTS (texts));
      break;
    case TEA_MSG_NAMES:
      msg->names.room_id = fuzz_u8 (in) % 6;
      break;
    case TEA_MSG_NICK:
      msg->nick.nick = choose_str (in, nicks, G_N_ELEMENTS (nicks));
      break;
    case TEA_MSG_EDIT:
    case TEA_MSG_DELETE:
      msg->edit.room_id = fuzz_u8 (in) % 6;
      msg->edit.seq = fuzz_u8 (in);
      msg->edit.text = choose_str (in, texts, G_N_ELEMENTS (texts));
      break;
    case TEA_MSG_QUIT:
      msg->quit.reason = choose_str (in, texts, G_N_ELEMENTS (texts));
      break;
    default:
      break;
    }
}

/* A request as the fuzzer describes it; or, for type 0, its own bytes. */
static GBytes *
build_request (Harness *h, FuzzInput *in)
{
  TeaMessage msg = { .type = fuzz_u8 (in) % (TEA_MSG_QUIT + 1) };
  const guint8 *bytes;
  GBytes *encoded;

  if (msg.type == 0)
    {
      gsize len = fuzz_blob (in, &bytes);
      return len > 0 ? g_bytes_new (bytes, len) : NULL;
    }
  msg.req_id = fuzz_u8 (in);
  fill_request (h, in, &msg);
  encoded = tea_message_encode_bytes (&msg);
  return encoded;
}

/* A raw client's honest fragmentation of one message. */
static void
raw_send_message (Harness *h, Client *c, GBytes *message)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (message, &len);

  gsize offset = 0;

  do
    {
      guint8 frames[TEA_MAX_FRAMES_LEN];
      TeaWriter w;
      guint16 n = MIN (len - offset, TEA_MAX_FRAGMENT);

      tea_writer_init (&w, frames, sizeof frames);
      tea_frame_write_stream (&w, c->next_seq++, offset + n == len ? TEA_STREAM_FLAG_FIN : 0, data + offset, n);
      raw_send_frames (h, c, frames, w.pos);
      offset += n;
    }
  while (offset < len);
}

static void
op_request (Harness *h, FuzzInput *in)
{
  Client *c = &h->clients[fuzz_u8 (in) % N_CLIENTS];
  g_autoptr (GBytes) message = build_request (h, in);

  if (message == NULL || c->kind == KIND_NONE)
    return;
  /* A conn client never makes a message over the cap (TeaConn would
   * refuse it as a programming error); a raw client may. */
  if (c->kind == KIND_CONN && g_bytes_get_size (message) <= TEA_MAX_MESSAGE)
    tea_conn_queue_message (c->conn, message);
  else if (c->kind == KIND_RAW)
    raw_send_message (h, c, message);
}

/* Frames of the fuzzer's, sealed as a raw client. */
static void
op_frames (Harness *h, FuzzInput *in)
{
  Client *c = &h->clients[fuzz_u8 (in) % N_CLIENTS];
  const guint8 *frames;
  gsize len = fuzz_blob (in, &frames);

  if (c->kind == KIND_RAW && len > 0)
    raw_send_frames (h, c, frames, len);
}

static void
op_roam (Harness *h, FuzzInput *in)
{
  Client *c = &h->clients[fuzz_u8 (in) % N_CLIENTS];

  c->addr = fuzz_u8 (in) % FUZZ_N_ADDRS;
  if (c->kind == KIND_CONN)
    tea_conn_send_ping (c->conn); /* the next packet comes from there */
}

/* A datagram a client sent, again, from any address. */
static void
op_replay (Harness *h, FuzzInput *in)
{
  guint8 pick = fuzz_u8 (in);
  guint8 addr = fuzz_u8 (in);
  FuzzDatagram *d;
  gsize len;
  const guint8 *data;

  if (h->kept->len == 0)
    return;
  d = g_ptr_array_index (h->kept, pick % h->kept->len);
  data = g_bytes_get_data (d->bytes, &len);
  fuzz_net_send (&h->net, addr & 0x80 ? addr % FUZZ_N_ADDRS : d->addr, data, len);
}

static void
op_garbage (Harness *h, FuzzInput *in)
{
  guint addr = fuzz_u8 (in) % FUZZ_N_ADDRS;
  const guint8 *data;
  gsize len = fuzz_blob (in, &data);

  fuzz_net_send (&h->net, addr, data, MIN (len, TEA_MAX_DATAGRAM + 64));
}

static void
op_clock (Harness *h, FuzzInput *in)
{
  guint8 unit = fuzz_u8 (in);
  gint64 step = (gint64) fuzz_u16 (in) * (unit & 1 ? G_USEC_PER_SEC : 1000);

  fuzz_net_advance (&h->net, step);
  for (guint i = 0; i < N_CLIENTS; i++)
    if (h->clients[i].kind == KIND_CONN)
      tea_conn_handle_timeout (h->clients[i].conn, h->net.now);
}

static void
check_rooms (Harness *h)
{
  /* The legacy lobby is made without asking the room limit. */
  g_assert_cmpuint (tea_relay_get_n_rooms (h->net.relay), <=, h->net.config.max_rooms + (h->net.config.legacy ? 1 : 0));
}

static void
run_op (Harness *h, FuzzInput *in)
{
  switch (fuzz_u8 (in) % N_OPS)
    {
    case OP_CONNECT:
      op_connect (h, in);
      break;
    case OP_REQUEST:
      op_request (h, in);
      break;
    case OP_FRAMES:
      op_frames (h, in);
      break;
    case OP_ROAM:
      op_roam (h, in);
      break;
    case OP_REPLAY:
      op_replay (h, in);
      break;
    case OP_GARBAGE:
      op_garbage (h, in);
      break;
    case OP_CLOCK:
      op_clock (h, in);
      break;
    }
  pump (h);
  check_rooms (h);
}

static void
kept_free (gpointer data)
{
  FuzzDatagram *d = data;

  g_bytes_unref (d->bytes);
  g_free (d);
}

static void
harness_init (Harness *h, guint8 config_byte)
{
  TeaRelayConfig config;

  memset (h, 0, sizeof *h);
  tea_relay_config_init (&config);
  config.legacy = config_byte & 1;
  config.max_sessions = 2 + (config_byte >> 1) % 4;
  config.max_rooms = 2 + (config_byte >> 3) % 2;
  config.max_rooms_per_session = 2;
  config.max_members_per_room = 3;
  config.backlog = 8;
  config.catch_up_bytes = config_byte & 0x10 ? 256 : 4096;
  config.flood_burst = 3;
  config.flood_rate = 1;
  config.idle_timeout_s = config_byte & 0x20 ? 5 : 90;
  config.max_queued_frames = config_byte & 0x40 ? 16 : 256;
  config.legacy_budget = 2048;
  fuzz_net_init (&h->net, &config, 3);
  tea_relay_config_clear (&config);
  h->kept = g_ptr_array_new_with_free_func (kept_free);
}

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  fuzz_init ();
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  FuzzInput in;
  Harness h;

  fuzz_reset_random (size);
  fuzz_input_init (&in, data, size);
  harness_init (&h, fuzz_u8 (&in));
  while (!fuzz_input_done (&in))
    run_op (&h, &in);
  fuzz_net_clear (&h.net);
  for (guint i = 0; i < N_CLIENTS; i++)
    client_reset (&h.clients[i]);
  g_ptr_array_unref (h.kept);
  return 0;
}

/* ---- Seeds --------------------------------------------------------------- */

static void
put_connect (GByteArray *seed, guint8 client, guint8 raw, guint8 addr)
{
  fuzz_put_u8 (seed, OP_CONNECT);
  fuzz_put_u8 (seed, client);
  fuzz_put_u8 (seed, raw);
  fuzz_put_u8 (seed, addr);
}

static void
put_login (GByteArray *seed, guint8 client, guint8 nick, guint8 token)
{
  fuzz_put_u8 (seed, OP_REQUEST);
  fuzz_put_u8 (seed, client);
  fuzz_put_u8 (seed, TEA_MSG_LOGIN);
  fuzz_put_u8 (seed, 1);
  fuzz_put_u8 (seed, nick);
  fuzz_put_u8 (seed, token);
}

static void
put_join (GByteArray *seed, guint8 client, guint8 room)
{
  fuzz_put_u8 (seed, OP_REQUEST);
  fuzz_put_u8 (seed, client);
  fuzz_put_u8 (seed, TEA_MSG_JOIN);
  fuzz_put_u8 (seed, 2);
  fuzz_put_u8 (seed, room);
  fuzz_put_u8 (seed, 1);  /* epoch 0 */
  fuzz_put_u8 (seed, 0);  /* last seq */
  fuzz_put_u8 (seed, 10); /* history */
}

static void
put_say (GByteArray *seed, guint8 client, guint8 room_id, guint8 text)
{
  fuzz_put_u8 (seed, OP_REQUEST);
  fuzz_put_u8 (seed, client);
  fuzz_put_u8 (seed, TEA_MSG_SAY);
  fuzz_put_u8 (seed, 3);
  fuzz_put_u8 (seed, room_id);
  fuzz_put_u8 (seed, 0);
  fuzz_put_u8 (seed, text);
}

static void
put_clock (GByteArray *seed, guint8 seconds, guint16 amount)
{
  fuzz_put_u8 (seed, OP_CLOCK);
  fuzz_put_u8 (seed, seconds);
  fuzz_put_u16 (seed, amount);
}

/* Two conn clients chat in a room; one roams and comes back. */
static void
seed_chat (FuzzSeeds *seeds)
{
  GByteArray *seed = g_byte_array_new ();

  fuzz_put_u8 (seed, 0x00);
  put_connect (seed, 0, 0, 0);
  put_connect (seed, 1, 0, 3);
  put_login (seed, 0, 0, 0);
  put_login (seed, 1, 1, 0);
  put_join (seed, 0, 0);
  put_join (seed, 1, 2); /* "Lobby" is "lobby" */
  put_say (seed, 0, 1, 1);
  put_say (seed, 1, 1, 0);
  fuzz_put_u8 (seed, OP_ROAM);
  fuzz_put_u8 (seed, 0);
  fuzz_put_u8 (seed, 1);
  put_say (seed, 0, 1, 5);
  put_clock (seed, 0, 300);
  put_clock (seed, 1, 3);
  fuzz_seeds_add (seeds, "chat", seed);
}

/* A raw client logs in, a conn client takes its place with its resume
 * token; raw frames, a replay, garbage and the idle timeout follow. */
static void
seed_takeover (FuzzSeeds *seeds)
{
  GByteArray *seed = g_byte_array_new ();
  static const guint8 frames[] = { 0x01, 0x04, 1, 2, 3, 4, 5, 6, 7, 8, 0x00, 0x00 };

  fuzz_put_u8 (seed, 0x26); /* five sessions, 5 s idle timeout */
  put_connect (seed, 0, 1, 1);
  put_connect (seed, 1, 0, 2);
  put_login (seed, 1, 4, 0);
  put_login (seed, 0, 0, 0);
  put_join (seed, 0, 1);
  put_login (seed, 2, 1, 1);
  put_connect (seed, 2, 0, 4);
  put_login (seed, 2, 1, 1);
  fuzz_put_u8 (seed, OP_FRAMES);
  fuzz_put_u8 (seed, 0);
  fuzz_put_blob (seed, frames, sizeof frames);
  fuzz_put_u8 (seed, OP_REPLAY);
  fuzz_put_u8 (seed, 0);
  fuzz_put_u8 (seed, 0x85);
  fuzz_put_u8 (seed, OP_GARBAGE);
  fuzz_put_u8 (seed, 5);
  fuzz_put_blob (seed, "THOMAS", 6);
  put_clock (seed, 1, 10);
  fuzz_seeds_add (seeds, "takeover", seed);
}

/* Legacy mode, a flood, and a QUIT. */
static void
seed_legacy_flood (FuzzSeeds *seeds)
{
  GByteArray *seed = g_byte_array_new ();

  fuzz_put_u8 (seed, 0x41);
  fuzz_put_u8 (seed, OP_GARBAGE);
  fuzz_put_u8 (seed, 5);
  fuzz_put_blob (seed, "seed", 4);
  put_connect (seed, 0, 0, 0);
  put_login (seed, 0, 1, 0);
  put_join (seed, 0, 0);
  for (guint i = 0; i < 6; i++)
    put_say (seed, 0, 1, i % 3);
  fuzz_put_u8 (seed, OP_GARBAGE);
  fuzz_put_u8 (seed, 5);
  fuzz_put_blob (seed, "seed : hello", 12);
  fuzz_put_u8 (seed, OP_REQUEST);
  fuzz_put_u8 (seed, 0);
  fuzz_put_u8 (seed, TEA_MSG_QUIT);
  fuzz_put_u8 (seed, 9);
  fuzz_put_u8 (seed, 5);
  fuzz_seeds_add (seeds, "legacy-flood", seed);
}

void
fuzz_target_seeds (FuzzSeeds *seeds)
{
  seed_chat (seeds);
  seed_takeover (seeds);
  seed_legacy_flood (seeds);
}
