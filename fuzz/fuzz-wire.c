/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * fuzz-wire: every decoder of src/protocol on arbitrary bytes, and what
 * decodes is encoded again and must come out the same (the decoders are
 * strict, so a decoded structure has exactly one encoding).
 *
 * Input: one byte picks the decoder, the rest is what it reads.
 *   0 packets    every handshake/RESET/SESSION-header decoder, and classify
 *   1 frames     a SESSION payload, frame by frame
 *   2 message    one stream message
 *   3 cursor     a little program of TeaReader calls over some data
 *   4 ack        packet numbers into TeaAckRanges, then an ACK frame of them
 */
#include <string.h>

#include "fuzz-common.h"
#include "tea-frame.h"
#include "tea-message.h"
#include "tea-noise.h"
#include "tea-packet.h"
#include "tea-wire.h"

const char fuzz_target_name[] = "fuzz-wire";

enum { MODE_PACKETS, MODE_FRAMES, MODE_MESSAGE, MODE_CURSOR, MODE_ACK, N_MODES };

/* ---- Packets ------------------------------------------------------------- */

/* For a packet whose layout is fixed, the encoding is the input itself. */
static void
assert_same (const guint8 *encoded, gsize encoded_len, const guint8 *data, gsize len)
{
  g_assert_cmpuint (encoded_len, ==, len);
  g_assert_cmpmem (encoded, encoded_len, data, len);
}

static void
check_hello (const guint8 *data, gsize len, gboolean *decoded)
{
  TeaHello hello;
  guint8 out[TEA_HANDSHAKE_PADDED_LEN];

  if (!tea_hello_decode (data, len, &hello))
    return;
  *decoded = TRUE;
  /* Padding is ignored on the way in and zero on the way out. */
  g_assert_cmpuint (len, >=, TEA_HANDSHAKE_PADDED_LEN);
  g_assert_cmpuint (tea_hello_encode (&hello, out, sizeof out), ==, TEA_HANDSHAKE_PADDED_LEN);
  g_assert_cmpmem (out, 4 + TEA_CLIENT_TOKEN_LEN, data, 4 + TEA_CLIENT_TOKEN_LEN);
}

static void
check_init (const guint8 *data, gsize len, gboolean *decoded)
{
  TeaInit init;
  g_autofree guint8 *out = NULL;
  gsize head, out_len;

  if (!tea_init_decode (data, len, &init))
    return;
  *decoded = TRUE;
  head = 46 + init.noise_len;
  g_assert_cmpuint (head, <=, len);
  g_assert_true (init.noise == data + 46);
  out = g_malloc (head + TEA_HANDSHAKE_PADDED_LEN);
  out_len = tea_init_encode (&init, out, head + TEA_HANDSHAKE_PADDED_LEN);
  g_assert_cmpuint (out_len, ==, MAX (head, TEA_HANDSHAKE_PADDED_LEN));
  g_assert_cmpmem (out, head, data, head);
}

static void
check_fixed_layouts (const guint8 *data, gsize len, gboolean *decoded)
{
  guint8 out[512];
  TeaCookieReply cookie;
  TeaAccept accept;
  TeaReject reject;
  TeaReset reset;

  if (tea_cookie_reply_decode (data, len, &cookie))
    {
      *decoded = TRUE;
      assert_same (out, tea_cookie_reply_encode (&cookie, out, sizeof out), data, len);
    }
  if (tea_accept_decode (data, len, &accept))
    {
      *decoded = TRUE;
      assert_same (out, tea_accept_encode (&accept, out, sizeof out), data, len);
    }
  if (tea_reject_decode (data, len, &reject))
    {
      *decoded = TRUE;
      assert_same (out, tea_reject_encode (&reject, out, sizeof out), data, len);
    }
  if (tea_reset_decode (data, len, &reset))
    {
      *decoded = TRUE;
      assert_same (out, tea_reset_encode (&reset, out, sizeof out), data, len);
    }
}

static void
check_session_header (const guint8 *data, gsize len, gboolean *decoded)
{
  TeaSessionHeader header;
  guint8 out[TEA_SESSION_HEADER_LEN];

  if (!tea_session_header_decode (data, len, &header))
    return;
  *decoded = TRUE;
  g_assert_cmpuint (len, >=, TEA_SESSION_OVERHEAD);
  tea_session_header_encode (&header, out);
  g_assert_cmpmem (out, sizeof out, data, TEA_SESSION_HEADER_LEN);
}

/* ACCEPT's payload is extensible: only the known prefix must match. */
static void
check_accept_params (const guint8 *data, gsize len)
{
  TeaAcceptParams params;
  guint8 out[TEA_ACCEPT_PARAMS_LEN];

  if (!tea_accept_params_decode (data, len, &params))
    return;
  g_assert_cmpuint (params.idle_timeout_s, >, 0);
  g_assert_cmpuint (params.keepalive_s, >, 0);
  g_assert_cmpuint (tea_accept_params_encode (&params, out, sizeof out), ==, sizeof out);
  g_assert_cmpmem (out, sizeof out, data, sizeof out);
}

static void
fuzz_packets (const guint8 *data, gsize len)
{
  gboolean decoded = FALSE;
  guint8 type;
  TeaPacketClass class = tea_packet_classify (data, len, &type);

  check_hello (data, len, &decoded);
  check_init (data, len, &decoded);
  check_fixed_layouts (data, len, &decoded);
  check_session_header (data, len, &decoded);
  check_accept_params (data, len);
  /* Whatever a decoder accepts, the relay's dispatcher must see as ours. */
  if (decoded)
    g_assert_cmpint (class, ==, TEA_PACKET_CLASS_NATIVE);
}

/* ---- Frames -------------------------------------------------------------- */

static void
assert_ack_ranges_sane (const TeaAckRanges *ranges)
{
  g_assert_cmpuint (ranges->n_ranges, <=, TEA_ACK_RANGES_TRACKED);
  for (guint i = 0; i < ranges->n_ranges; i++)
    {
      g_assert_cmpuint (ranges->ranges[i].lo, <=, ranges->ranges[i].hi);
      /* Highest first, disjoint, and never two that should have merged. */
      if (i > 0)
        g_assert_cmpuint (ranges->ranges[i].hi + 1, <, ranges->ranges[i - 1].lo);
    }
}

static void
write_frame (TeaWriter *w, const TeaFrame *frame)
{
  switch (frame->type)
    {
    case TEA_FRAME_PING:
      tea_frame_write_ping (w);
      break;
    case TEA_FRAME_ACK:
      assert_ack_ranges_sane (&frame->ack.ranges);
      g_assert_cmpuint (frame->ack.ranges.n_ranges, <=, TEA_MAX_ACK_RANGES);
      tea_frame_write_ack (w, &frame->ack.ranges, frame->ack.delay_us, TEA_MAX_ACK_RANGES);
      g_assert_cmpuint (tea_frame_ack_len (&frame->ack.ranges, TEA_MAX_ACK_RANGES), ==, w->pos);
      break;
    case TEA_FRAME_CLOSE:
      tea_frame_write_close (w, frame->close_code);
      break;
    case TEA_FRAME_PATH_CHALLENGE:
    case TEA_FRAME_PATH_RESPONSE:
      tea_frame_write_path (w, frame->type, frame->path_data);
      break;
    case TEA_FRAME_STREAM:
      g_assert_cmpuint (frame->stream.len, <=, TEA_MAX_FRAGMENT);
      tea_frame_write_stream (w, frame->stream.seq, frame->stream.flags, frame->stream.data, frame->stream.len);
      break;
    default:
      g_assert_not_reached ();
    }
}

static void
fuzz_frames (const guint8 *data, gsize len)
{
  TeaReader r;
  TeaFrame frame;
  gboolean malformed;
  gsize before = 0;

  tea_reader_init (&r, data, len);
  while (tea_frame_read (&r, &frame, &malformed))
    {
      guint8 out[TEA_MAX_FRAGMENT + 64];
      TeaWriter w;
      gsize start;

      tea_writer_init (&w, out, sizeof out);
      write_frame (&w, &frame);
      g_assert_false (w.failed);
      /* The frame is the last w.pos bytes read; before it, only PADDING. */
      g_assert_cmpuint (r.pos - before, >=, w.pos);
      start = r.pos - w.pos;
      for (gsize i = before; i < start; i++)
        g_assert_cmpuint (data[i], ==, TEA_FRAME_PADDING);
      g_assert_cmpmem (out, w.pos, data + start, w.pos);
      before = r.pos;
    }
  if (!malformed)
    g_assert_cmpuint (tea_reader_remaining (&r), ==, 0);
}

/* ---- Messages ------------------------------------------------------------ */

static void
check_list_entries (const TeaMessage *msg)
{
  TeaReader r;
  TeaStr a, b;
  guint8 flags;
  guint32 members;
  guint n = 0;

  tea_reader_init (&r, msg->list.entries, msg->list.entries_len);
  while (msg->type == TEA_MSG_NAMES_REPLY ? tea_names_entry_next (&r, &a, &flags)
                                          : tea_rooms_entry_next (&r, &a, &members, &b))
    n++;
  g_assert_false (r.failed);
  g_assert_cmpuint (n, ==, msg->list.count);
}

static void
fuzz_message (const guint8 *data, gsize len)
{
  TeaMessage msg;
  TeaCode code = tea_message_decode (data, len, &msg);
  g_autofree guint8 *out = NULL;
  g_autoptr (GBytes) bytes = NULL;

  if (code != TEA_CODE_NONE)
    {
      g_assert_true (code == TEA_CODE_PROTOCOL || code == TEA_CODE_BAD_TEXT);
      return;
    }
  if (msg.type == TEA_MSG_NAMES_REPLY || msg.type == TEA_MSG_ROOMS_REPLY)
    check_list_entries (&msg);
  out = g_malloc (TEA_MAX_MESSAGE);
  if (len > TEA_MAX_MESSAGE)
    {
      /* Never produced by a peer (the stream caps messages); the encoder
       * refuses rather than truncates. */
      g_assert_cmpuint (tea_message_encode (&msg, out, TEA_MAX_MESSAGE), ==, 0);
      return;
    }
  assert_same (out, tea_message_encode (&msg, out, TEA_MAX_MESSAGE), data, len);
  bytes = tea_message_encode_bytes (&msg);
  g_assert_nonnull (bytes);
  g_assert_cmpmem (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), data, len);
}

/* ---- Cursor -------------------------------------------------------------- */

/* Reads one field as the program says and writes it back: a successful
 * read must consume exactly the bytes the writer produces for its value. */
static void
cursor_step (TeaReader *r, TeaWriter *w, FuzzInput *program)
{
  guint8 op = fuzz_u8 (program);
  TeaStr s;

  switch (op % 8)
    {
    case 0:
      tea_writer_u8 (w, tea_reader_u8 (r));
      break;
    case 1:
      tea_writer_u16 (w, tea_reader_u16 (r));
      break;
    case 2:
      tea_writer_u32 (w, tea_reader_u32 (r));
      break;
    case 3:
      tea_writer_u64 (w, tea_reader_u64 (r));
      break;
    case 4:
      {
        gsize n = fuzz_u8 (program);
        const guint8 *p = tea_reader_bytes (r, n);
        if (p)
          tea_writer_bytes (w, p, n);
      }
      break;
    case 5:
      s = tea_reader_str8 (r, fuzz_u8 (program));
      g_assert_true (g_utf8_validate_len (s.str, s.len, NULL));
      tea_writer_u8 (w, (guint8) s.len);
      tea_writer_bytes (w, s.str, s.len);
      break;
    case 6:
      s = tea_reader_str16 (r, fuzz_u16 (program));
      g_assert_true (g_utf8_validate_len (s.str, s.len, NULL));
      tea_writer_str16_len (w, s.str, s.len);
      break;
    default:
      g_assert_cmpuint (tea_reader_remaining (r), ==, r->failed ? 0 : r->len - r->pos);
      break;
    }
}

static void
fuzz_cursor (const guint8 *data, gsize len)
{
  FuzzInput program;
  TeaReader r;
  TeaWriter w;
  guint8 *out = g_malloc (len + 3);
  const guint8 *prog;
  gsize prog_len;

  fuzz_input_init (&program, data, len);
  prog_len = fuzz_take (&program, fuzz_u8 (&program), &prog);
  fuzz_input_init (&program, prog, prog_len);
  data += MIN (len, 1 + prog_len);
  len -= MIN (len, 1 + prog_len);
  tea_reader_init (&r, data, len);
  while (!fuzz_input_done (&program))
    {
      gsize before = r.pos;
      gboolean was_failed = r.failed;

      tea_writer_init (&w, out, len + 3);
      cursor_step (&r, &w, &program);
      g_assert_cmpuint (r.pos, <=, r.len);
      g_assert_true (!r.bad_utf8 || r.failed);
      if (was_failed)
        g_assert_true (r.failed); /* sticky */
      if (r.failed)
        {
          g_assert_cmpuint (tea_reader_remaining (&r), ==, 0);
          g_assert_false (tea_reader_done (&r));
          continue;
        }
      g_assert_false (w.failed);
      g_assert_cmpmem (out, w.pos, data + before, r.pos - before);
    }
  g_free (out);
}

/* ---- ACK ranges ---------------------------------------------------------- */

/* Every number inside a tracked range was really added: an ACK built from
 * them must never acknowledge a packet that did not arrive. */
static void
assert_ranges_match_model (const TeaAckRanges *ranges, GHashTable *added)
{
  assert_ack_ranges_sane (ranges);
  for (guint i = 0; i < ranges->n_ranges; i++)
    for (guint64 pn = ranges->ranges[i].lo;; pn++)
      {
        g_assert_true (g_hash_table_contains (added, &pn));
        if (pn == ranges->ranges[i].hi)
          break;
      }
}

static void
check_ack_frame (const TeaAckRanges *ranges, guint max_ranges, guint32 delay)
{
  guint8 out[TEA_ACK_FRAME_MIN_LEN + 4 * TEA_MAX_ACK_RANGES];
  TeaWriter w;
  TeaReader r;
  TeaFrame frame;
  gboolean malformed;

  tea_writer_init (&w, out, sizeof out);
  tea_frame_write_ack (&w, ranges, delay, max_ranges);
  g_assert_false (w.failed);
  g_assert_cmpuint (w.pos, ==, tea_frame_ack_len (ranges, max_ranges));
  if (ranges->n_ranges == 0)
    {
      g_assert_cmpuint (w.pos, ==, 0);
      return;
    }
  tea_reader_init (&r, out, w.pos);
  g_assert_true (tea_frame_read (&r, &frame, &malformed));
  g_assert_cmpint (frame.type, ==, TEA_FRAME_ACK);
  g_assert_cmpuint (frame.ack.delay_us, ==, delay);
  g_assert_cmpuint (frame.ack.ranges.ranges[0].hi, ==, ranges->ranges[0].hi);
  for (guint i = 0; i < frame.ack.ranges.n_ranges; i++)
    {
      g_assert_true (tea_ack_ranges_contains (ranges, frame.ack.ranges.ranges[i].lo));
      g_assert_true (tea_ack_ranges_contains (ranges, frame.ack.ranges.ranges[i].hi));
      /* Within one tracked range, so everything between was received too. */
      for (guint j = 0; j < ranges->n_ranges; j++)
        if (ranges->ranges[j].lo <= frame.ack.ranges.ranges[i].hi && frame.ack.ranges.ranges[i].hi <= ranges->ranges[j].hi)
          g_assert_cmpuint (frame.ack.ranges.ranges[i].lo, >=, ranges->ranges[j].lo);
    }
}

static void
fuzz_ack (const guint8 *data, gsize len)
{
  FuzzInput in;
  TeaAckRanges ranges;
  g_autoptr (GHashTable) added = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  guint64 base;

  fuzz_input_init (&in, data, len);
  base = fuzz_u64 (&in);
  tea_ack_ranges_init (&ranges);
  while (!fuzz_input_done (&in))
    {
      guint8 op = fuzz_u8 (&in);
      guint64 delta = fuzz_u16 (&in);
      /* Packet numbers never reach 2^64 - 1 (PROTOCOL.md 5.3). */
      guint64 pn = MIN (base, G_MAXUINT64 - 1 - delta) + delta;
      gboolean was_there = tea_ack_ranges_contains (&ranges, pn);

      if (op & 0x80)
        base = pn;
      g_assert_cmpint (tea_ack_ranges_add (&ranges, pn), ==, !was_there);
      g_hash_table_add (added, g_memdup2 (&pn, sizeof pn));
      /* Kept, unless it is older than all 32 tracked ranges. */
      g_assert_true (tea_ack_ranges_contains (&ranges, pn) ||
                     (ranges.n_ranges == TEA_ACK_RANGES_TRACKED && pn < ranges.ranges[TEA_ACK_RANGES_TRACKED - 1].lo));
      if (op & 0x40)
        check_ack_frame (&ranges, 1 + op % TEA_MAX_ACK_RANGES, fuzz_u32 (&in));
    }
  assert_ranges_match_model (&ranges, added);
  check_ack_frame (&ranges, TEA_MAX_ACK_RANGES, 0);
}

/* ---- Entry points -------------------------------------------------------- */

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  fuzz_init ();
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  if (size == 0)
    return 0;
  switch (data[0] % N_MODES)
    {
    case MODE_PACKETS:
      fuzz_packets (data + 1, size - 1);
      break;
    case MODE_FRAMES:
      fuzz_frames (data + 1, size - 1);
      break;
    case MODE_MESSAGE:
      fuzz_message (data + 1, size - 1);
      break;
    case MODE_CURSOR:
      fuzz_cursor (data + 1, size - 1);
      break;
    case MODE_ACK:
      fuzz_ack (data + 1, size - 1);
      break;
    }
  return 0;
}

/* ---- Seeds --------------------------------------------------------------- */

static void
add_seed (FuzzSeeds *seeds, const char *name, guint8 mode, const guint8 *data, gsize len)
{
  GByteArray *seed = g_byte_array_new ();

  fuzz_put_u8 (seed, mode);
  fuzz_put_bytes (seed, data, len);
  fuzz_seeds_add (seeds, name, seed);
}

static void
seed_packets (FuzzSeeds *seeds)
{
  static const guint8 token[TEA_CLIENT_TOKEN_LEN] = { 0xc0, 0xc1, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7 };
  guint8 out[TEA_HANDSHAKE_PADDED_LEN], noise[TEA_KEY_LEN + TEA_TAG_LEN];
  TeaHello hello;
  TeaCookieReply cookie;
  TeaInit init = { .noise = noise, .noise_len = sizeof noise };
  TeaAccept accept = { .noise = noise, .noise_len = sizeof noise };
  TeaReject reject = { .code = TEA_CODE_RATE_LIMITED, .retry_after_ms = 501 };
  TeaReset reset = { .session_id = 0x0102030405060708 };
  TeaSessionHeader header = { .key_phase = 1, .session_id = 0x0102030405060708, .packet_number = 42 };

  memcpy (hello.client_token, token, sizeof token);
  add_seed (seeds, "packet-hello", MODE_PACKETS, out, tea_hello_encode (&hello, out, sizeof out));
  memcpy (cookie.client_token, token, sizeof token);
  memset (cookie.cookie, 0xcc, sizeof cookie.cookie);
  memset (cookie.server_key, 0x5e, sizeof cookie.server_key);
  add_seed (seeds, "packet-cookie", MODE_PACKETS, out, tea_cookie_reply_encode (&cookie, out, sizeof out));
  memset (noise, 0xe1, sizeof noise);
  memcpy (init.client_token, token, sizeof token);
  memcpy (init.cookie, cookie.cookie, sizeof init.cookie);
  add_seed (seeds, "packet-init", MODE_PACKETS, out, tea_init_encode (&init, out, sizeof out));
  memcpy (accept.client_token, token, sizeof token);
  add_seed (seeds, "packet-accept", MODE_PACKETS, out, tea_accept_encode (&accept, out, sizeof out));
  memcpy (reject.client_token, token, sizeof token);
  add_seed (seeds, "packet-reject", MODE_PACKETS, out, tea_reject_encode (&reject, out, sizeof out));
  memset (reset.token, 0x7e, sizeof reset.token);
  add_seed (seeds, "packet-reset", MODE_PACKETS, out, tea_reset_encode (&reset, out, sizeof out));
  memset (out, 0xab, sizeof out);
  tea_session_header_encode (&header, out);
  add_seed (seeds, "packet-session", MODE_PACKETS, out, TEA_SESSION_OVERHEAD + 10);
  add_seed (seeds, "packet-version", MODE_PACKETS, out, tea_version_negotiation_encode (out, sizeof out));
}

static void
seed_frames (FuzzSeeds *seeds)
{
  /* PROTOCOL.md 12.11: an ACK of 0-4, 8-14 and 16-20; PING, PATH_CHALLENGE
   * and CLOSE; then a STREAM frame and PADDING. */
  static const guint8 ack[] = {
    0x02, 0, 0, 0, 0, 0, 0, 0, 0x14, 0, 0, 0x05, 0xdc, 0x02, 0, 0x04, 0, 0x01, 0, 0x06, 0, 0x03, 0, 0x04,
  };
  static const guint8 mixed[] = {
    0x01, 0x04, 0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57, 0x05, 1, 2, 3, 4, 5, 6, 7, 8, 0x03, 0x00, 0x65,
    0x06, 0, 0, 0, 0, 0, 0, 0, 0x07, 0x01, 0x00, 0x03, 'a', 'b', 'c', 0x00, 0x00,
  };

  add_seed (seeds, "frames-ack", MODE_FRAMES, ack, sizeof ack);
  add_seed (seeds, "frames-mixed", MODE_FRAMES, mixed, sizeof mixed);
}

static void
seed_message (FuzzSeeds *seeds, const char *name, const TeaMessage *msg)
{
  g_autoptr (GBytes) bytes = tea_message_encode_bytes (msg);
  g_autofree char *full = g_strconcat ("message-", name, NULL);

  g_assert_nonnull (bytes);
  add_seed (seeds, full, MODE_MESSAGE, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
}

static void
seed_requests (FuzzSeeds *seeds)
{
  TeaMessage msg = { .type = TEA_MSG_LOGIN, .req_id = 1 };

  msg.login.nick = tea_str_from ("alice");
  msg.login.client_name = tea_str_from ("teahouse/0.1.0");
  seed_message (seeds, "login", &msg);
  msg = (TeaMessage) { .type = TEA_MSG_JOIN, .req_id = 2 };
  msg.join.room = tea_str_from ("茶室");
  msg.join.history = 50;
  seed_message (seeds, "join", &msg);
  msg = (TeaMessage) { .type = TEA_MSG_SAY, .req_id = 3 };
  msg.room_text.room_id = 1;
  msg.room_text.text = tea_str_from ("你好 👋");
  seed_message (seeds, "say", &msg);
  msg = (TeaMessage) { .type = TEA_MSG_PRIVMSG, .req_id = 4 };
  msg.privmsg.nick = tea_str_from ("bob");
  msg.privmsg.text = tea_str_from ("psst");
  seed_message (seeds, "privmsg", &msg);
  msg = (TeaMessage) { .type = TEA_MSG_EDIT, .req_id = 5 };
  msg.edit.room_id = 1;
  msg.edit.seq = 43;
  msg.edit.text = tea_str_from ("fixed");
  seed_message (seeds, "edit", &msg);
  msg = (TeaMessage) { .type = TEA_MSG_QUIT, .req_id = 6 };
  msg.quit.reason = tea_str_from ("good night");
  seed_message (seeds, "quit", &msg);
}

static void
seed_replies (FuzzSeeds *seeds)
{
  guint8 entries[64];
  TeaWriter w;
  TeaMessage msg = { .type = TEA_MSG_WELCOME, .req_id = 1 };

  msg.welcome.nick = tea_str_from ("alice");
  msg.welcome.max_text = TEA_MAX_TEXT;
  msg.welcome.max_rooms = 20;
  msg.welcome.server_name = tea_str_from ("teahouse");
  seed_message (seeds, "welcome", &msg);
  msg = (TeaMessage) { .type = TEA_MSG_ERROR, .req_id = 9 };
  msg.error.code = TEA_CODE_FLOOD;
  msg.error.retry_after_ms = 501;
  msg.error.detail = tea_str_from ("alice");
  seed_message (seeds, "error", &msg);
  tea_writer_init (&w, entries, sizeof entries);
  tea_names_entry_write (&w, "alice", 0);
  tea_names_entry_write (&w, "seed", TEA_MEMBER_FLAG_UNENCRYPTED);
  msg = (TeaMessage) { .type = TEA_MSG_NAMES_REPLY };
  msg.list.room_id = 1;
  msg.list.count = 2;
  msg.list.entries = entries;
  msg.list.entries_len = w.pos;
  seed_message (seeds, "names", &msg);
  tea_writer_init (&w, entries, sizeof entries);
  tea_rooms_entry_write (&w, "lobby", 3, "Oolong");
  msg = (TeaMessage) { .type = TEA_MSG_ROOMS_REPLY, .req_id = 10 };
  msg.list.count = 1;
  msg.list.entries = entries;
  msg.list.entries_len = w.pos;
  seed_message (seeds, "rooms", &msg);
}

static void
seed_events (FuzzSeeds *seeds)
{
  static const guint8 kinds[] = {
    TEA_EVENT_MESSAGE, TEA_EVENT_JOIN, TEA_EVENT_PART, TEA_EVENT_TIMEOUT, TEA_EVENT_NICK, TEA_EVENT_EDIT, TEA_EVENT_DELETE,
  };

  for (guint i = 0; i < G_N_ELEMENTS (kinds); i++)
    {
      TeaMessage msg = { .type = TEA_MSG_EVENT };
      g_autofree char *name = g_strdup_printf ("event-%u", kinds[i]);

      msg.event = (TeaEvent) { .room_id = 1, .seq = 43 + i, .time_ms = G_GUINT64_CONSTANT (1795564800000),
                               .kind = kinds[i], .nick = tea_str_from ("alice"), .text = tea_str_from ("fixed"),
                               .new_nick = tea_str_from ("alice2"), .target = 43, .code = TEA_CODE_IDLE_TIMEOUT };
      seed_message (seeds, name, &msg);
    }
}

static void
seed_cursor_and_ack (FuzzSeeds *seeds)
{
  /* Program: u8 u16 u32 u64 bytes(3) str8(max 8) str16(max 300) remaining;
   * then data for it. */
  static const guint8 cursor[] = {
    10, 0, 1, 2, 3, 4, 3, 5, 8, 6, 1,
    0xab, 0x01, 0x02, 0x0a, 0x0b, 0x0c, 0x0d, 1, 2, 3, 4, 5, 6, 7, 8, 'x', 'y', 'z',
    5, 'a', 'l', 'i', 'c', 'e', 0, 6, 0xe8, 0x8c, 0xb6, 0xe5, 0xae, 0xa4,
  };
  /* Base 0, then 0-4, 8-14 (one ACK on the way), 16-20, and a final ACK. */
  GByteArray *ack = g_byte_array_new ();
  static const guint16 pns[] = { 0, 1, 2, 3, 4, 8, 9, 10, 11, 12, 13, 14, 16, 17, 18, 19, 20 };

  add_seed (seeds, "cursor", MODE_CURSOR, cursor, sizeof cursor);
  fuzz_put_u8 (ack, MODE_ACK);
  fuzz_put_u64 (ack, 1000);
  for (guint i = 0; i < G_N_ELEMENTS (pns); i++)
    {
      fuzz_put_u8 (ack, i == 10 ? 0x43 : 0);
      fuzz_put_u16 (ack, pns[i]);
      if (i == 10)
        fuzz_put_u32 (ack, 1500);
    }
  fuzz_seeds_add (seeds, "ack", ack);
}

void
fuzz_target_seeds (FuzzSeeds *seeds)
{
  seed_packets (seeds);
  seed_frames (seeds);
  seed_requests (seeds);
  seed_replies (seeds);
  seed_events (seeds);
  seed_cursor_and_ack (seeds);
}
