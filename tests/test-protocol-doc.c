/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Computes the byte-level examples of docs/PROTOCOL.md section 12 with the
 * real encoders, crypto and session code, from fixed inputs, and checks the
 * document shows exactly those bytes. `--print` writes the section anew.
 */
#include <stdio.h>
#include <string.h>

#include "tea-conn.h"
#include "tea-cookie.h"
#include "tea-frame.h"
#include "tea-message.h"
#include "tea-noise.h"
#include "tea-packet.h"
#include "tea-relay-private.h"

#define MARKER "<!-- examples -->\n"

typedef struct
{
  GString *out;
  guint section;
} Doc;

static void
hex_block (Doc *doc, const guint8 *data, gsize len, gsize zero_tail)
{
  gsize shown = len - zero_tail;

  g_string_append (doc->out, "```\n");
  for (gsize i = 0; i < shown; i += 16)
    {
      g_string_append_printf (doc->out, "%04zx ", i);
      for (gsize j = i; j < MIN (i + 16, shown); j++)
        g_string_append_printf (doc->out, "%s%02x", j % 16 == 8 ? "  " : " ", data[j]);
      g_string_append_c (doc->out, '\n');
    }
  if (zero_tail)
    g_string_append_printf (doc->out, "%04zx … %zu zero bytes (padding) to offset %zu\n", shown, zero_tail, len);
  g_string_append (doc->out, "```\n\n");
}

static void
heading (Doc *doc, const char *title, const char *text)
{
  g_string_append_printf (doc->out, "### 12.%u %s\n\n", ++doc->section, title);
  if (text)
    g_string_append_printf (doc->out, "%s\n\n", text);
}

static gsize
zero_tail (const guint8 *data, gsize len)
{
  gsize n = 0;

  while (n < len && data[len - 1 - n] == 0)
    n++;
  return n;
}

static void
fill (guint8 *buf, gsize len, guint8 first)
{
  for (gsize i = 0; i < len; i++)
    buf[i] = first + i;
}

static void
message_example (Doc *doc, const char *title, const TeaMessage *msg)
{
  guint8 buf[TEA_MAX_MESSAGE];
  gsize len = tea_message_encode (msg, buf, sizeof buf);
  TeaMessage back;

  g_assert_cmpuint (len, >, 0);
  g_assert_cmpint (tea_message_decode (buf, len, &back), ==, TEA_CODE_NONE);
  g_string_append_printf (doc->out, "**%s** (%zu bytes):\n\n", title, len);
  hex_block (doc, buf, len, 0);
}

typedef struct
{
  TeaKeypair server;
  TeaKeypair client_e;
  TeaKeypair server_e;
  guint8 token[TEA_CLIENT_TOKEN_LEN];
  guint8 c2s[TEA_KEY_LEN];
  guint8 s2c[TEA_KEY_LEN];
  guint64 session_id;
} Inputs;

static void
handshake_examples (Doc *doc, Inputs *in)
{
  guint8 buf[TEA_MAX_DATAGRAM], msg1[128], msg2[128], payload[64], params_bytes[TEA_ACCEPT_PARAMS_LEN];
  TeaHello hello;
  TeaCookieReply cookie;
  TeaInit init;
  TeaAccept accept;
  TeaAcceptParams params = { .session_id = in->session_id, .idle_timeout_s = 90, .keepalive_s = 25 };
  TeaReject reject = { .code = TEA_CODE_BAD_COOKIE };
  TeaReset reset = { .session_id = in->session_id };
  TeaCookieJar jar = { .bucket = 0 };
  TeaNoiseHandshake client, relay;
  TeaAddr addr;
  TeaRelayConfig config;
  TeaRelay *r;
  gssize n1, n2;
  gsize len;

  memcpy (hello.client_token, in->token, sizeof in->token);
  len = tea_hello_encode (&hello, buf, sizeof buf);
  heading (doc, "HELLO", "The client's first datagram, padded to 1200 bytes.");
  hex_block (doc, buf, len, zero_tail (buf, len));

  memset (jar.current, 0xa0, sizeof jar.current);
  memset (jar.previous, 0xa0, sizeof jar.previous);
  g_assert_true (tea_addr_parse (&addr, "192.0.2.1", 40000));
  memcpy (cookie.client_token, in->token, sizeof in->token);
  tea_cookie_make (&jar, &addr, 0, cookie.cookie);
  memcpy (cookie.server_key, in->server.public_key, TEA_KEY_LEN);
  len = tea_cookie_reply_encode (&cookie, buf, sizeof buf);
  heading (doc, "COOKIE", "The relay's static public key is the last 32 bytes.");
  hex_block (doc, buf, len, 0);

  tea_noise_init_initiator (&client, (const guint8 *) "teahouse/1", 10, in->server.public_key);
  tea_noise_set_ephemeral (&client, &in->client_e);
  n1 = tea_noise_write_message (&client, NULL, 0, msg1, sizeof msg1);
  g_assert_cmpint (n1, ==, 48);
  memcpy (init.client_token, in->token, sizeof in->token);
  memcpy (init.cookie, cookie.cookie, TEA_COOKIE_LEN);
  init.noise = msg1;
  init.noise_len = n1;
  len = tea_init_encode (&init, buf, sizeof buf);
  heading (doc, "INIT", "Noise message 1 (48 bytes: the client's ephemeral key, then the tag of "
                        "the empty payload) starts at offset 46.");
  hex_block (doc, buf, len, zero_tail (buf, len));

  tea_noise_init_responder (&relay, (const guint8 *) "teahouse/1", 10, &in->server);
  tea_noise_set_ephemeral (&relay, &in->server_e);
  g_assert_cmpint (tea_noise_read_message (&relay, msg1, n1, payload, sizeof payload), ==, 0);
  tea_relay_config_init (&config);
  r = tea_relay_new (&config, &in->server, 0);
  _tea_relay_reset_token (r, in->session_id, params.reset_token);
  tea_accept_params_encode (&params, params_bytes, sizeof params_bytes);
  n2 = tea_noise_write_message (&relay, params_bytes, sizeof params_bytes, msg2, sizeof msg2);
  g_assert_cmpint (n2, ==, 76);
  memcpy (accept.client_token, in->token, sizeof in->token);
  accept.noise = msg2;
  accept.noise_len = n2;
  len = tea_accept_encode (&accept, buf, sizeof buf);
  heading (doc, "ACCEPT", "Noise message 2 starts at offset 14. Its payload decrypts to: session_id "
                          "0102030405060708, the reset token, idle_timeout_s 90, keepalive_s 25:");
  hex_block (doc, buf, len, 0);
  g_assert_cmpint (tea_noise_read_message (&client, msg2, n2, payload, sizeof payload), ==, TEA_ACCEPT_PARAMS_LEN);
  g_assert_cmpmem (payload, TEA_ACCEPT_PARAMS_LEN, params_bytes, TEA_ACCEPT_PARAMS_LEN);
  hex_block (doc, params_bytes, sizeof params_bytes, 0);

  tea_noise_split (&client, in->c2s, in->s2c);
  heading (doc, "Session keys", "Split() gives the client → relay key, then the relay → client key:");
  hex_block (doc, in->c2s, TEA_KEY_LEN, 0);
  hex_block (doc, in->s2c, TEA_KEY_LEN, 0);
  {
    guint8 next[TEA_KEY_LEN];

    memcpy (next, in->c2s, TEA_KEY_LEN);
    tea_noise_rekey (next);
    g_string_append (doc->out, "After one key update (REKEY, section 5.4), the client → relay key is:\n\n");
    hex_block (doc, next, TEA_KEY_LEN, 0);
  }

  memcpy (reject.client_token, in->token, sizeof in->token);
  len = tea_reject_encode (&reject, buf, sizeof buf);
  heading (doc, "REJECT", "Code 107 (BAD_COOKIE), no retry delay.");
  hex_block (doc, buf, len, 0);

  _tea_relay_reset_token (r, in->session_id, reset.token);
  len = tea_reset_encode (&reset, buf, sizeof buf);
  heading (doc, "RESET", "For session 0102030405060708, from the relay with the example key.");
  hex_block (doc, buf, len, 0);

  len = tea_version_negotiation_encode (buf, sizeof buf);
  heading (doc, "Version negotiation", "The relay speaks version 1 only.");
  hex_block (doc, buf, len, 0);

  g_object_unref (r);
  tea_relay_config_clear (&config);
  tea_noise_clear (&client);
  tea_noise_clear (&relay);
}

static GBytes *
encode (const TeaMessage *msg)
{
  GBytes *bytes = tea_message_encode_bytes (msg);
  g_assert_nonnull (bytes);
  return bytes;
}

static void
show_packet (Doc *doc, const guint8 *packet, gsize len, const guint8 key[TEA_KEY_LEN])
{
  guint8 plain[TEA_MAX_DATAGRAM];
  TeaSessionHeader header;

  g_assert_true (tea_session_header_decode (packet, len, &header));
  g_assert_true (tea_aead_open (key, header.packet_number, packet, TEA_SESSION_HEADER_LEN,
                                packet + TEA_SESSION_HEADER_LEN, len - TEA_SESSION_HEADER_LEN, plain));
  g_string_append (doc->out, "Frames (plaintext):\n\n");
  hex_block (doc, plain, len - TEA_SESSION_OVERHEAD, 0);
  g_string_append (doc->out, "The packet as sent:\n\n");
  hex_block (doc, packet, len, 0);
}

static void
session_examples (Doc *doc, Inputs *in)
{
  TeaConnConfig config;
  TeaConn *client, *relay;
  TeaMessage login = { .type = TEA_MSG_LOGIN, .req_id = 1 };
  TeaMessage welcome = { .type = TEA_MSG_WELCOME, .req_id = 1 };
  g_autoptr (GBytes) login_bytes = NULL;
  g_autoptr (GBytes) welcome_bytes = NULL;
  guint8 packet[TEA_MAX_DATAGRAM], copy[TEA_MAX_DATAGRAM];
  gsize len;
  gboolean highest;
  GBytes *got;

  tea_conn_config_init (&config);
  client = tea_conn_new (TRUE, in->session_id, in->c2s, in->s2c, &config, 1000000);
  relay = tea_conn_new (FALSE, in->session_id, in->s2c, in->c2s, &config, 1000000);

  login.login.nick = tea_str_from ("alice");
  login.login.client_name = tea_str_from ("teahouse/0.1.0");
  login_bytes = encode (&login);
  g_assert_true (tea_conn_queue_message (client, login_bytes));
  len = tea_conn_poll_transmit (client, 1000000, packet);
  heading (doc, "The first SESSION packet",
           "The client's packet number 0, key phase 0: one STREAM frame (seq 0, FIN) "
           "carrying LOGIN (req_id 1, nick \"alice\", no resume token, client "
           "\"teahouse/0.1.0\"), sealed with the client → relay key of 12.5.");
  show_packet (doc, packet, len, in->c2s);

  memcpy (copy, packet, len);
  g_assert_cmpint (tea_conn_receive (relay, copy, len, TRUE, 1000000, &highest), ==, TEA_CONN_RECV_OK);
  got = tea_conn_pop_message (relay);
  g_assert_true (g_bytes_equal (got, login_bytes));
  g_bytes_unref (got);

  welcome.welcome.nick = tea_str_from ("alice");
  fill (welcome.welcome.resume_token, TEA_RESUME_TOKEN_LEN, 0x70);
  welcome.welcome.max_text = TEA_MAX_TEXT;
  welcome.welcome.max_rooms = 20;
  welcome.welcome.server_name = tea_str_from ("teahouse");
  welcome_bytes = encode (&welcome);
  g_assert_true (tea_conn_queue_message (relay, welcome_bytes));
  len = tea_conn_poll_transmit (relay, 1000000, packet);
  heading (doc, "The relay's answer",
           "Packet number 0 of the relay → client direction: a STREAM frame with WELCOME, "
           "then an ACK of the client's packet 0 (ack delay 0).");
  show_packet (doc, packet, len, in->s2c);

  tea_conn_free (client);
  tea_conn_free (relay);
}

static void
frame_examples (Doc *doc)
{
  guint8 buf[256];
  TeaWriter w;
  TeaAckRanges ranges;
  guint8 challenge[TEA_PATH_CHALLENGE_LEN];

  tea_ack_ranges_init (&ranges);
  for (guint64 pn = 0; pn <= 20; pn++)
    if (pn != 5 && pn != 6 && pn != 7 && pn != 15)
      tea_ack_ranges_add (&ranges, pn);
  tea_writer_init (&w, buf, sizeof buf);
  tea_frame_write_ack (&w, &ranges, 1500, TEA_MAX_ACK_RANGES);
  heading (doc, "Frames", "An ACK of packets 0–4, 8–14 and 16–20, sent 1.5 ms after packet 20 "
                          "arrived: largest 20, ack delay 1500, 2 more ranges, first range 4 "
                          "(16–20), then gap 1 (15 is missing) and length 6 (8–14), then gap 3 "
                          "(5–7 are missing) and length 4 (0–4).");
  hex_block (doc, buf, w.pos, 0);

  fill (challenge, sizeof challenge, 0x50);
  tea_writer_init (&w, buf, sizeof buf);
  tea_frame_write_ping (&w);
  tea_frame_write_path (&w, TEA_FRAME_PATH_CHALLENGE, challenge);
  tea_frame_write_close (&w, TEA_CODE_SERVER_SHUTDOWN);
  g_string_append (doc->out, "PING, then PATH_CHALLENGE with data 50 51 … 57, then CLOSE with code 101:\n\n");
  hex_block (doc, buf, w.pos, 0);
}

static void
request_examples (Doc *doc)
{
  TeaMessage m;

  heading (doc, "Requests", "As they appear in a stream message.");
  m = (TeaMessage) { .type = TEA_MSG_JOIN, .req_id = 2 };
  m.join.room = tea_str_from ("茶室");
  m.join.history = 50;
  message_example (doc, "JOIN room \"茶室\", first join, 50 events of history", &m);
  m = (TeaMessage) { .type = TEA_MSG_JOIN, .req_id = 7 };
  m.join.room = tea_str_from ("lobby");
  m.join.epoch = G_GUINT64_CONSTANT (0x1122334455667788);
  m.join.last_seq = 42;
  message_example (doc, "JOIN room \"lobby\" again after a reconnect: epoch 1122334455667788, last seen 42", &m);
  m = (TeaMessage) { .type = TEA_MSG_SAY, .req_id = 3 };
  m.room_text.room_id = 1;
  m.room_text.text = tea_str_from ("你好 👋");
  message_example (doc, "SAY in room 1: \"你好 👋\"", &m);
  m.room_text.kind = TEA_TEXT_KIND_ACTION;
  m.room_text.text = tea_str_from ("pours tea");
  m.req_id = 4;
  message_example (doc, "SAY an action (/me pours tea)", &m);
  m = (TeaMessage) { .type = TEA_MSG_PART, .req_id = 5 };
  m.room_text.room_id = 1;
  m.room_text.text = tea_str_from ("bye");
  message_example (doc, "PART room 1, reason \"bye\"", &m);
  m = (TeaMessage) { .type = TEA_MSG_PRIVMSG, .req_id = 6 };
  m.privmsg.nick = tea_str_from ("bob");
  m.privmsg.text = tea_str_from ("psst");
  message_example (doc, "PRIVMSG to bob: \"psst\"", &m);
  m = (TeaMessage) { .type = TEA_MSG_TOPIC, .req_id = 8 };
  m.room_text.room_id = 1;
  m.room_text.text = tea_str_from ("Oolong");
  message_example (doc, "TOPIC of room 1: \"Oolong\"", &m);
  m = (TeaMessage) { .type = TEA_MSG_NAMES, .req_id = 9 };
  m.names.room_id = 1;
  message_example (doc, "NAMES of room 1", &m);
  m = (TeaMessage) { .type = TEA_MSG_LIST, .req_id = 10 };
  message_example (doc, "LIST", &m);
  m = (TeaMessage) { .type = TEA_MSG_NICK, .req_id = 11 };
  m.nick.nick = tea_str_from ("alice2");
  message_example (doc, "NICK alice2", &m);
  m = (TeaMessage) { .type = TEA_MSG_EDIT, .req_id = 12 };
  m.edit.room_id = 1;
  m.edit.seq = 43;
  m.edit.text = tea_str_from ("fixed");
  message_example (doc, "EDIT message 43 of room 1 to \"fixed\"", &m);
  m = (TeaMessage) { .type = TEA_MSG_DELETE, .req_id = 13 };
  m.edit.room_id = 1;
  m.edit.seq = 43;
  message_example (doc, "DELETE message 43 of room 1", &m);
  m = (TeaMessage) { .type = TEA_MSG_QUIT, .req_id = 14 };
  m.quit.reason = tea_str_from ("good night");
  message_example (doc, "QUIT, reason \"good night\"", &m);
}

static void
reply_examples (Doc *doc)
{
  TeaMessage m;
  guint8 entries[256];
  TeaWriter w;

  heading (doc, "Relay messages", NULL);
  m = (TeaMessage) { .type = TEA_MSG_OK, .req_id = 3 };
  m.ok.value = 43;
  message_example (doc, "OK for request 3: the event will be seq 43", &m);
  m = (TeaMessage) { .type = TEA_MSG_ERROR, .req_id = 1 };
  m.error.code = TEA_CODE_NICK_TAKEN;
  m.error.detail = tea_str_from ("alice");
  message_example (doc, "ERROR for request 1: NICK_TAKEN, detail \"alice\"", &m);
  m = (TeaMessage) { .type = TEA_MSG_ERROR, .req_id = 9 };
  m.error.code = TEA_CODE_FLOOD;
  m.error.retry_after_ms = 501;
  message_example (doc, "ERROR for request 9: FLOOD, retry after 501 ms", &m);
  m = (TeaMessage) { .type = TEA_MSG_JOINED, .req_id = 2 };
  m.joined.room_id = 1;
  m.joined.room = tea_str_from ("茶室");
  m.joined.epoch = G_GUINT64_CONSTANT (0x1122334455667788);
  m.joined.topic = tea_str_from ("Oolong");
  m.joined.join_seq = 42;
  message_example (doc, "JOINED room 1 \"茶室\", epoch 1122334455667788, topic \"Oolong\", catch-up ends at 42", &m);
  tea_writer_init (&w, entries, sizeof entries);
  tea_names_entry_write (&w, "alice", 0);
  tea_names_entry_write (&w, "seed", TEA_MEMBER_FLAG_UNENCRYPTED);
  m = (TeaMessage) { .type = TEA_MSG_NAMES_REPLY, .req_id = 0 };
  m.list.room_id = 1;
  m.list.count = 2;
  m.list.entries = entries;
  m.list.entries_len = w.pos;
  message_example (doc, "NAMES_REPLY (after a JOIN, so req_id 0): alice, and seed (unencrypted)", &m);
  tea_writer_init (&w, entries, sizeof entries);
  tea_rooms_entry_write (&w, "lobby", 3, "");
  m = (TeaMessage) { .type = TEA_MSG_ROOMS_REPLY, .req_id = 10 };
  m.list.count = 1;
  m.list.entries = entries;
  m.list.entries_len = w.pos;
  message_example (doc, "ROOMS_REPLY: lobby, 3 members, no topic", &m);
  m = (TeaMessage) { .type = TEA_MSG_PRIVATE };
  m.private_msg.time_ms = G_GUINT64_CONSTANT (1795564800000);
  m.private_msg.from = tea_str_from ("alice");
  m.private_msg.text = tea_str_from ("psst");
  message_example (doc, "PRIVATE from alice: \"psst\" (2026-11-25 00:00 UTC)", &m);
  m = (TeaMessage) { .type = TEA_MSG_NOTICE };
  m.notice.code = TEA_CODE_SERVER_SHUTDOWN;
  message_example (doc, "NOTICE SERVER_SHUTDOWN", &m);
  m = (TeaMessage) { .type = TEA_MSG_GAP };
  m.gap.room_id = 1;
  m.gap.first = 43;
  m.gap.last = 99;
  m.gap.reason = TEA_GAP_REASON_EXPIRED;
  message_example (doc, "GAP in room 1: events 43–99 are no longer kept", &m);
}

static void
event_examples (Doc *doc)
{
  TeaMessage m = { .type = TEA_MSG_EVENT };

  heading (doc, "Events", "All in room 1 at 2026-11-25 00:00:00 UTC (time_ms 1795564800000).");
  m.event.room_id = 1;
  m.event.time_ms = G_GUINT64_CONSTANT (1795564800000);
  m.event.seq = 43;
  m.event.kind = TEA_EVENT_MESSAGE;
  m.event.nick = tea_str_from ("alice");
  m.event.text = tea_str_from ("你好 👋");
  message_example (doc, "43 MESSAGE from alice: \"你好 👋\"", &m);
  m.event.seq = 44;
  m.event.kind = TEA_EVENT_JOIN;
  m.event.nick = tea_str_from ("seed");
  m.event.flags = TEA_MEMBER_FLAG_UNENCRYPTED;
  m.event.text = tea_str_from (NULL);
  message_example (doc, "44 JOIN of seed, an unencrypted (legacy) member", &m);
  m.event.seq = 45;
  m.event.kind = TEA_EVENT_TIMEOUT;
  m.event.flags = 0;
  m.event.code = TEA_CODE_IDLE_TIMEOUT;
  message_example (doc, "45 TIMEOUT of seed, code 102 (idle)", &m);
  m.event.seq = 46;
  m.event.kind = TEA_EVENT_NICK;
  m.event.nick = tea_str_from ("alice");
  m.event.new_nick = tea_str_from ("alice2");
  message_example (doc, "46 NICK alice → alice2", &m);
  m.event.seq = 47;
  m.event.kind = TEA_EVENT_EDIT;
  m.event.nick = tea_str_from ("alice2");
  m.event.target = 43;
  m.event.text = tea_str_from ("fixed");
  message_example (doc, "47 EDIT by alice2 of message 43 to \"fixed\"", &m);
}

static char *
generate (void)
{
  Doc doc = { g_string_new (NULL), 0 };
  Inputs in = { .session_id = G_GUINT64_CONSTANT (0x0102030405060708) };
  guint8 priv[TEA_KEY_LEN];

  fill (priv, sizeof priv, 0x01);
  tea_keypair_from_private (&in.server, priv);
  fill (priv, sizeof priv, 0x21);
  tea_keypair_from_private (&in.client_e, priv);
  fill (priv, sizeof priv, 0x41);
  tea_keypair_from_private (&in.server_e, priv);
  fill (in.token, sizeof in.token, 0xc0);

  handshake_examples (&doc, &in);
  session_examples (&doc, &in);
  frame_examples (&doc);
  request_examples (&doc);
  reply_examples (&doc);
  event_examples (&doc);
  return g_string_free (doc.out, FALSE);
}

static void
test_examples_match (void)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "..", "docs", "PROTOCOL.md", NULL);
  g_autofree char *contents = NULL;
  g_autofree char *expected = generate ();
  g_autoptr (GError) error = NULL;
  const char *examples;

  g_assert_true (g_file_get_contents (path, &contents, NULL, &error));
  g_assert_no_error (error);
  examples = strstr (contents, MARKER);
  g_assert_nonnull (examples);
  examples += strlen (MARKER);
  if (g_strcmp0 (examples, expected) != 0)
    {
      g_test_message ("docs/PROTOCOL.md section 12 differs from the code; regenerate with "
                      "test-protocol-doc --print");
      g_assert_cmpstr (examples, ==, expected);
    }
}

int
main (int argc, char **argv)
{
  if (argc > 1 && g_str_equal (argv[1], "--print"))
    {
      g_autofree char *text = generate ();
      /* Not g_print: it would convert the UTF-8 to the locale's charset. */
      fputs (text, stdout);
      return 0;
    }
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/tea/protocol-doc/examples-match", test_examples_match);
  return g_test_run ();
}
