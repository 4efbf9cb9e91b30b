/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The wire format: byte cursors, handshake packets, frames, ACK ranges and
 * application messages. Decoders are always fed exact-size heap copies, so a
 * read one byte past the end is a heap overflow that AddressSanitizer
 * reports instead of a silent read of the rest of a stack buffer.
 */
#include <string.h>

#include "tea-frame.h"
#include "tea-message.h"
#include "tea-packet.h"
#include "tea-wire.h"

#define TEST_SEED 0x7ea5eed

static guint8 *
exact_copy (const guint8 *data, gsize len)
{
  guint8 *copy = g_malloc (len);

  if (len > 0)
    memcpy (copy, data, len);
  return copy;
}

static void
fill_pattern (guint8 *buf, gsize len, guint8 seed)
{
  for (gsize i = 0; i < len; i++)
    buf[i] = (guint8) (seed + i * 37);
}

static void
assert_zeros (const guint8 *data, gsize len)
{
  for (gsize i = 0; i < len; i++)
    g_assert_cmpuint (data[i], ==, 0);
}

/* ---- Reader and writer ------------------------------------------------- */

static void
test_wire_byte_order (void)
{
  static const guint8 expected[] = {
    0xab,
    0x01, 0x02,
    0x0a, 0x0b, 0x0c, 0x0d,
    0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
  };
  guint8 buf[sizeof expected];
  TeaWriter w;
  TeaReader r;

  tea_writer_init (&w, buf, sizeof buf);
  tea_writer_u8 (&w, 0xab);
  tea_writer_u16 (&w, 0x0102);
  tea_writer_u32 (&w, 0x0a0b0c0d);
  tea_writer_u64 (&w, G_GUINT64_CONSTANT (0x0102030405060708));
  g_assert_false (w.failed);
  g_assert_cmpmem (buf, w.pos, expected, sizeof expected);

  tea_reader_init (&r, buf, sizeof buf);
  g_assert_cmpuint (tea_reader_u8 (&r), ==, 0xab);
  g_assert_cmpuint (tea_reader_u16 (&r), ==, 0x0102);
  g_assert_cmpuint (tea_reader_u32 (&r), ==, 0x0a0b0c0d);
  g_assert_cmpuint (tea_reader_u64 (&r), ==, G_GUINT64_CONSTANT (0x0102030405060708));
  g_assert_true (tea_reader_done (&r));

  /* The high bit must not be sign-extended anywhere. */
  tea_writer_init (&w, buf, sizeof buf);
  tea_writer_u64 (&w, G_GUINT64_CONSTANT (0xfedcba9876543210));
  tea_reader_init (&r, buf, 8);
  g_assert_cmpuint (tea_reader_u64 (&r), ==, G_GUINT64_CONSTANT (0xfedcba9876543210));
}

static void
test_wire_reader_sticky (void)
{
  static const guint8 data[] = { 1, 2, 3 };
  TeaReader r;

  tea_reader_init (&r, data, sizeof data);
  g_assert_cmpuint (tea_reader_u32 (&r), ==, 0);
  g_assert_true (r.failed);
  /* Three bytes are still there, but a failed reader stays failed so that
   * callers may check once at the end. */
  g_assert_cmpuint (tea_reader_u8 (&r), ==, 0);
  g_assert_null (tea_reader_bytes (&r, 0));
  g_assert_cmpuint (tea_reader_remaining (&r), ==, 0);
  g_assert_false (tea_reader_done (&r));
  g_assert_false (r.bad_utf8);

  tea_reader_init (&r, data, sizeof data);
  g_assert_cmpuint (tea_reader_u16 (&r), ==, 0x0102);
  g_assert_cmpuint (tea_reader_remaining (&r), ==, 1);
  g_assert_false (tea_reader_done (&r)); /* a byte left over */
  g_assert_cmpuint (tea_reader_u64 (&r), ==, 0);
  g_assert_true (r.failed);

  tea_reader_init (&r, NULL, 0);
  g_assert_true (tea_reader_done (&r));
  g_assert_cmpuint (tea_reader_u8 (&r), ==, 0);
  g_assert_false (tea_reader_done (&r));
}

static void
test_wire_writer_sticky (void)
{
  guint8 buf[8];
  TeaWriter w;

  memset (buf, 0xee, sizeof buf);
  tea_writer_init (&w, buf, 3);
  tea_writer_u32 (&w, 0x01020304);
  g_assert_true (w.failed);
  g_assert_cmpuint (w.pos, ==, 0);
  /* One byte would fit, but the failure sticks. */
  tea_writer_u8 (&w, 0x55);
  tea_writer_zeros (&w, 1);
  g_assert_cmpuint (w.pos, ==, 0);
  for (gsize i = 0; i < sizeof buf; i++)
    g_assert_cmpuint (buf[i], ==, 0xee);

  tea_writer_init (&w, buf, 4);
  tea_writer_u32 (&w, 0x01020304);
  g_assert_false (w.failed);
  g_assert_cmpuint (w.pos, ==, 4);
  tea_writer_u8 (&w, 0x55);
  g_assert_true (w.failed);
  g_assert_cmpuint (buf[4], ==, 0xee);
}

static void
test_wire_strings (void)
{
  g_autofree char *long_str = g_strnfill (256, 'x');
  g_autofree guint8 *buf = g_malloc (G_MAXUINT16 + 16);
  g_autofree char *dup = NULL;
  TeaWriter w;
  TeaReader r;
  TeaStr s;

  /* NULL is the empty string. */
  tea_writer_init (&w, buf, 16);
  tea_writer_str8 (&w, NULL);
  tea_writer_str16 (&w, NULL);
  g_assert_false (w.failed);
  g_assert_cmpuint (w.pos, ==, 3);
  assert_zeros (buf, 3);

  /* 255 bytes fit a u8 prefix, 256 do not. */
  tea_writer_init (&w, buf, G_MAXUINT16 + 16);
  tea_writer_str8 (&w, long_str + 1);
  g_assert_false (w.failed);
  g_assert_cmpuint (w.pos, ==, 256);
  g_assert_cmpuint (buf[0], ==, 255);
  tea_writer_str8 (&w, long_str);
  g_assert_true (w.failed);

  tea_writer_init (&w, buf, G_MAXUINT16 + 16);
  tea_writer_str16_len (&w, (const char *) buf, G_MAXUINT16 + 1);
  g_assert_true (w.failed);

  /* Reading: the TeaStr points into the data and is not NUL-terminated. */
  tea_writer_init (&w, buf, 64);
  tea_writer_str8 (&w, "Zoë");
  tea_writer_str16 (&w, "茶");
  tea_reader_init (&r, buf, w.pos);
  s = tea_reader_str8 (&r, 255);
  g_assert_true (s.str == (const char *) buf + 1);
  g_assert_cmpmem (s.str, s.len, "Zoë", strlen ("Zoë"));
  dup = tea_str_dup (s);
  g_assert_cmpstr (dup, ==, "Zoë");
  s = tea_reader_str16 (&r, 255);
  g_assert_cmpmem (s.str, s.len, "茶", strlen ("茶"));
  g_assert_true (tea_reader_done (&r));

  /* Longer than the caller allows: failed, but not a text error. */
  tea_reader_init (&r, buf, w.pos);
  s = tea_reader_str8 (&r, 3);
  g_assert_true (r.failed);
  g_assert_false (r.bad_utf8);
  g_assert_cmpuint (s.len, ==, 0);
  g_assert_nonnull (s.str);
}

static void
test_wire_strings_bad_utf8 (void)
{
  static const struct
  {
    const char *bytes;
    gsize len;
  } bad[] = {
    { "\xff", 1 },
    { "ab\xc3", 3 },             /* sequence cut short */
    { "\xc0\xaf", 2 },           /* overlong '/' */
    { "\xed\xa0\x80", 3 },       /* UTF-16 surrogate */
    { "\xf4\x90\x80\x80", 4 },   /* above U+10FFFF */
    { "a\0b", 3 },               /* embedded NUL */
  };

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      guint8 buf[16];
      TeaReader r;
      TeaStr s;

      buf[0] = bad[i].len;
      memcpy (buf + 1, bad[i].bytes, bad[i].len);
      tea_reader_init (&r, buf, 1 + bad[i].len);
      s = tea_reader_str8 (&r, 255);
      g_assert_true (r.failed);
      g_assert_true (r.bad_utf8);
      g_assert_cmpuint (s.len, ==, 0);
    }
}

static void
test_wire_string_past_end (void)
{
  static const guint8 data[] = { 5, 'a', 'b', 'c' };
  static const guint8 data16[] = { 0xff, 0xff, 'a' };
  TeaReader r;

  tea_reader_init (&r, data, sizeof data);
  tea_reader_str8 (&r, 255);
  g_assert_true (r.failed);
  g_assert_false (r.bad_utf8); /* truncation, not bad text */

  tea_reader_init (&r, data16, sizeof data16);
  tea_reader_str16 (&r, G_MAXUINT16);
  g_assert_true (r.failed);
  g_assert_false (r.bad_utf8);
}

/* ---- Handshake packets -------------------------------------------------- */

typedef gboolean (*PacketDecoder) (const guint8 *data, gsize len);

static gboolean
decode_hello (const guint8 *data, gsize len)
{
  TeaHello hello;
  return tea_hello_decode (data, len, &hello);
}

static gboolean
decode_cookie_reply (const guint8 *data, gsize len)
{
  TeaCookieReply reply;
  return tea_cookie_reply_decode (data, len, &reply);
}

static gboolean
decode_init (const guint8 *data, gsize len)
{
  TeaInit init;
  return tea_init_decode (data, len, &init);
}

static gboolean
decode_accept (const guint8 *data, gsize len)
{
  TeaAccept accept;
  return tea_accept_decode (data, len, &accept);
}

static gboolean
decode_accept_params (const guint8 *data, gsize len)
{
  TeaAcceptParams params;
  return tea_accept_params_decode (data, len, &params);
}

static gboolean
decode_reject (const guint8 *data, gsize len)
{
  TeaReject reject;
  return tea_reject_decode (data, len, &reject);
}

static gboolean
decode_reset (const guint8 *data, gsize len)
{
  TeaReset reset;
  return tea_reset_decode (data, len, &reset);
}

static gboolean
decode_session_header (const guint8 *data, gsize len)
{
  TeaSessionHeader header;
  return tea_session_header_decode (data, len, &header);
}

static void
assert_refuses_truncation (PacketDecoder decode, const guint8 *data, gsize len)
{
  g_assert_true (decode (data, len));
  for (gsize cut = 0; cut < len; cut++)
    {
      g_autofree guint8 *copy = exact_copy (data, cut);
      g_assert_false (decode (copy, cut));
    }
}

static void
assert_refuses_trailing (PacketDecoder decode, const guint8 *data, gsize len)
{
  g_autofree guint8 *longer = g_malloc0 (len + 1);

  memcpy (longer, data, len);
  g_assert_false (decode (longer, len + 1));
}

/* Wrong magic, wrong version, and every type byte but the right one. */
static void
assert_refuses_bad_header (PacketDecoder decode, const guint8 *data, gsize len)
{
  static const struct
  {
    guint index;
    guint8 value;
  } bad[] = {
    { 0, 0x00 },
    { 0, TEA_MAGIC_1 },
    { 1, 0x00 },
    { 1, TEA_MAGIC_0 },
    { 2, TEA_VERSION_NEGOTIATION },
    { 2, TEA_PROTOCOL_VERSION + 1 },
  };
  g_autofree guint8 *copy = exact_copy (data, len);

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      memcpy (copy, data, len);
      copy[bad[i].index] = bad[i].value;
      g_assert_false (decode (copy, len));
    }
  for (guint type = 0; type <= G_MAXUINT8; type++)
    {
      if (type == data[3])
        continue;
      memcpy (copy, data, len);
      copy[3] = type;
      g_assert_false (decode (copy, len));
    }
}

static void
assert_header (const guint8 *data, guint8 type)
{
  g_assert_cmpuint (data[0], ==, TEA_MAGIC_0);
  g_assert_cmpuint (data[1], ==, TEA_MAGIC_1);
  g_assert_cmpuint (data[2], ==, TEA_PROTOCOL_VERSION);
  g_assert_cmpuint (data[3], ==, type);
}

static void
test_packet_hello (void)
{
  TeaHello in, out;
  guint8 buf[TEA_MAX_DATAGRAM + 64];
  gsize len;

  fill_pattern (in.client_token, TEA_CLIENT_TOKEN_LEN, 1);
  memset (buf, 0xee, sizeof buf);
  len = tea_hello_encode (&in, buf, sizeof buf);
  g_assert_cmpuint (len, ==, TEA_HANDSHAKE_PADDED_LEN);
  assert_header (buf, TEA_PACKET_HELLO);
  g_assert_cmpmem (buf + 4, TEA_CLIENT_TOKEN_LEN, in.client_token, TEA_CLIENT_TOKEN_LEN);
  assert_zeros (buf + 4 + TEA_CLIENT_TOKEN_LEN, len - 4 - TEA_CLIENT_TOKEN_LEN);

  memset (&out, 0, sizeof out);
  g_assert_true (tea_hello_decode (buf, len, &out));
  g_assert_cmpmem (out.client_token, TEA_CLIENT_TOKEN_LEN, in.client_token, TEA_CLIENT_TOKEN_LEN);

  /* The relay must never answer a HELLO shorter than its COOKIE reply
   * could amplify, so every length below the padded one is refused. */
  assert_refuses_truncation (decode_hello, buf, len);
  assert_refuses_bad_header (decode_hello, buf, len);
  g_assert_cmpuint (tea_hello_encode (&in, buf, TEA_HANDSHAKE_PADDED_LEN - 1), ==, 0);
}

static void
test_packet_cookie_reply (void)
{
  TeaCookieReply in, out;
  guint8 buf[256];
  gsize len;

  fill_pattern (in.client_token, TEA_CLIENT_TOKEN_LEN, 2);
  fill_pattern (in.cookie, TEA_COOKIE_LEN, 3);
  fill_pattern (in.server_key, TEA_KEY_LEN, 4);
  len = tea_cookie_reply_encode (&in, buf, sizeof buf);
  g_assert_cmpuint (len, ==, 4 + TEA_CLIENT_TOKEN_LEN + TEA_COOKIE_LEN + TEA_KEY_LEN);
  assert_header (buf, TEA_PACKET_COOKIE);

  memset (&out, 0, sizeof out);
  g_assert_true (tea_cookie_reply_decode (buf, len, &out));
  g_assert_cmpmem (out.client_token, TEA_CLIENT_TOKEN_LEN, in.client_token, TEA_CLIENT_TOKEN_LEN);
  g_assert_cmpmem (out.cookie, TEA_COOKIE_LEN, in.cookie, TEA_COOKIE_LEN);
  g_assert_cmpmem (out.server_key, TEA_KEY_LEN, in.server_key, TEA_KEY_LEN);

  assert_refuses_truncation (decode_cookie_reply, buf, len);
  assert_refuses_trailing (decode_cookie_reply, buf, len);
  assert_refuses_bad_header (decode_cookie_reply, buf, len);
  g_assert_cmpuint (tea_cookie_reply_encode (&in, buf, len - 1), ==, 0);
}

static void
test_packet_init (void)
{
  guint8 noise[96];
  TeaInit in = { .noise = noise, .noise_len = sizeof noise };
  TeaInit out;
  guint8 buf[TEA_MAX_DATAGRAM + 64];
  const gsize noise_at = 4 + TEA_CLIENT_TOKEN_LEN + TEA_COOKIE_LEN + 2;
  g_autofree guint8 *big = g_malloc0 (TEA_MAX_DATAGRAM);
  gsize len;

  fill_pattern (in.client_token, TEA_CLIENT_TOKEN_LEN, 5);
  fill_pattern (in.cookie, TEA_COOKIE_LEN, 6);
  fill_pattern (noise, sizeof noise, 7);
  len = tea_init_encode (&in, buf, sizeof buf);
  g_assert_cmpuint (len, ==, TEA_HANDSHAKE_PADDED_LEN);
  assert_header (buf, TEA_PACKET_INIT);
  assert_zeros (buf + noise_at + sizeof noise, len - noise_at - sizeof noise);

  memset (&out, 0, sizeof out);
  g_assert_true (tea_init_decode (buf, len, &out));
  g_assert_cmpmem (out.client_token, TEA_CLIENT_TOKEN_LEN, in.client_token, TEA_CLIENT_TOKEN_LEN);
  g_assert_cmpmem (out.cookie, TEA_COOKIE_LEN, in.cookie, TEA_COOKIE_LEN);
  g_assert_true (out.noise == buf + noise_at);
  g_assert_cmpmem (out.noise, out.noise_len, noise, sizeof noise);

  assert_refuses_truncation (decode_init, buf, len);
  assert_refuses_bad_header (decode_init, buf, len);

  /* A noise length that runs past the datagram; exactly to its end is fine. */
  buf[noise_at - 2] = (len - noise_at + 1) >> 8;
  buf[noise_at - 1] = (guint8) (len - noise_at + 1);
  g_assert_false (decode_init (buf, len));
  buf[noise_at - 2] = (len - noise_at) >> 8;
  buf[noise_at - 1] = (guint8) (len - noise_at);
  g_assert_true (decode_init (buf, len));

  /* Noise that cannot fit the datagram is not silently cut. */
  in.noise = big;
  in.noise_len = TEA_MAX_DATAGRAM;
  g_assert_cmpuint (tea_init_encode (&in, buf, TEA_MAX_DATAGRAM), ==, 0);
  in.noise_len = G_MAXUINT16 + 1;
  g_assert_cmpuint (tea_init_encode (&in, buf, sizeof buf), ==, 0);
}

static void
test_packet_accept (void)
{
  guint8 noise[48];
  TeaAccept in = { .noise = noise, .noise_len = sizeof noise };
  TeaAccept out;
  guint8 buf[256];
  const gsize noise_at = 4 + TEA_CLIENT_TOKEN_LEN + 2;
  gsize len;

  fill_pattern (in.client_token, TEA_CLIENT_TOKEN_LEN, 8);
  fill_pattern (noise, sizeof noise, 9);
  len = tea_accept_encode (&in, buf, sizeof buf);
  g_assert_cmpuint (len, ==, noise_at + sizeof noise);
  assert_header (buf, TEA_PACKET_ACCEPT);

  memset (&out, 0, sizeof out);
  g_assert_true (tea_accept_decode (buf, len, &out));
  g_assert_cmpmem (out.client_token, TEA_CLIENT_TOKEN_LEN, in.client_token, TEA_CLIENT_TOKEN_LEN);
  g_assert_cmpmem (out.noise, out.noise_len, noise, sizeof noise);

  assert_refuses_truncation (decode_accept, buf, len);
  assert_refuses_trailing (decode_accept, buf, len);
  assert_refuses_bad_header (decode_accept, buf, len);

  /* The noise length must match the datagram exactly. */
  buf[noise_at - 1] = sizeof noise + 1;
  g_assert_false (decode_accept (buf, len));
  buf[noise_at - 1] = sizeof noise - 1;
  g_assert_false (decode_accept (buf, len));
  g_assert_cmpuint (tea_accept_encode (&in, buf, len - 1), ==, 0);
}

static void
test_packet_accept_params (void)
{
  static const guint8 expected_id[] = { 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88 };
  TeaAcceptParams in = {
    .session_id = G_GUINT64_CONSTANT (0x1122334455667788),
    .idle_timeout_s = 300,
    .keepalive_s = 25,
  };
  TeaAcceptParams out;
  guint8 buf[64];
  gsize len;

  fill_pattern (in.reset_token, TEA_RESET_TOKEN_LEN, 10);
  len = tea_accept_params_encode (&in, buf, sizeof buf);
  g_assert_cmpuint (len, ==, TEA_ACCEPT_PARAMS_LEN);
  g_assert_cmpmem (buf, 8, expected_id, 8);

  memset (&out, 0, sizeof out);
  g_assert_true (tea_accept_params_decode (buf, len, &out));
  g_assert_cmpuint (out.session_id, ==, in.session_id);
  g_assert_cmpmem (out.reset_token, TEA_RESET_TOKEN_LEN, in.reset_token, TEA_RESET_TOKEN_LEN);
  g_assert_cmpuint (out.idle_timeout_s, ==, 300);
  g_assert_cmpuint (out.keepalive_s, ==, 25);

  assert_refuses_truncation (decode_accept_params, buf, len);
  /* Unlike the packets, the parameters may grow in later versions: extra
   * bytes are ignored, not refused. */
  memset (buf + len, 0xaa, 8);
  g_assert_true (decode_accept_params (buf, len + 8));

  /* Zero timers would make a session that can never be kept alive. */
  in.idle_timeout_s = 0;
  tea_accept_params_encode (&in, buf, sizeof buf);
  g_assert_false (decode_accept_params (buf, len));
  in.idle_timeout_s = 300;
  in.keepalive_s = 0;
  tea_accept_params_encode (&in, buf, sizeof buf);
  g_assert_false (decode_accept_params (buf, len));
  g_assert_cmpuint (tea_accept_params_encode (&in, buf, len - 1), ==, 0);
}

static void
test_packet_reject (void)
{
  TeaReject in = { .code = TEA_CODE_SERVER_FULL, .retry_after_ms = 0x01020304 };
  TeaReject out;
  guint8 buf[64];
  gsize len;

  fill_pattern (in.client_token, TEA_CLIENT_TOKEN_LEN, 11);
  len = tea_reject_encode (&in, buf, sizeof buf);
  g_assert_cmpuint (len, ==, 4 + TEA_CLIENT_TOKEN_LEN + 2 + 4);
  assert_header (buf, TEA_PACKET_REJECT);

  memset (&out, 0, sizeof out);
  g_assert_true (tea_reject_decode (buf, len, &out));
  g_assert_cmpmem (out.client_token, TEA_CLIENT_TOKEN_LEN, in.client_token, TEA_CLIENT_TOKEN_LEN);
  g_assert_cmpuint (out.code, ==, TEA_CODE_SERVER_FULL);
  g_assert_cmpuint (out.retry_after_ms, ==, 0x01020304);

  assert_refuses_truncation (decode_reject, buf, len);
  assert_refuses_trailing (decode_reject, buf, len);
  assert_refuses_bad_header (decode_reject, buf, len);
  g_assert_cmpuint (tea_reject_encode (&in, buf, len - 1), ==, 0);
}

static void
test_packet_reset (void)
{
  TeaReset in = { .session_id = G_GUINT64_CONSTANT (0x8877665544332211) };
  TeaReset out;
  guint8 buf[64];
  gsize len;

  fill_pattern (in.token, TEA_RESET_TOKEN_LEN, 12);
  len = tea_reset_encode (&in, buf, sizeof buf);
  g_assert_cmpuint (len, ==, TEA_RESET_LEN);
  assert_header (buf, TEA_PACKET_RESET);

  memset (&out, 0, sizeof out);
  g_assert_true (tea_reset_decode (buf, len, &out));
  g_assert_cmpuint (out.session_id, ==, in.session_id);
  g_assert_cmpmem (out.token, TEA_RESET_TOKEN_LEN, in.token, TEA_RESET_TOKEN_LEN);

  assert_refuses_truncation (decode_reset, buf, len);
  assert_refuses_trailing (decode_reset, buf, len);
  assert_refuses_bad_header (decode_reset, buf, len);
  g_assert_cmpuint (tea_reset_encode (&in, buf, len - 1), ==, 0);
}

static void
test_packet_version_negotiation (void)
{
  static const guint8 expected[] = { TEA_MAGIC_0, TEA_MAGIC_1, TEA_VERSION_NEGOTIATION, 1, TEA_PROTOCOL_VERSION };
  guint8 buf[16];
  guint8 type = 0xaa;
  gsize len;

  len = tea_version_negotiation_encode (buf, sizeof buf);
  g_assert_cmpmem (buf, len, expected, sizeof expected);
  /* A peer of ours sees it as "our magic, not our version". */
  g_assert_cmpint (tea_packet_classify (buf, len, &type), ==, TEA_PACKET_CLASS_BAD_VERSION);
  g_assert_cmpuint (type, ==, 0);
  g_assert_cmpuint (tea_version_negotiation_encode (buf, sizeof expected - 1), ==, 0);
}

static void
test_packet_session_header (void)
{
  static const guint8 expected[TEA_SESSION_HEADER_LEN] = {
    TEA_MAGIC_0, TEA_MAGIC_1, TEA_PROTOCOL_VERSION, TEA_PACKET_SESSION | 1,
    0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88,
    0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
  };
  TeaSessionHeader in = {
    .key_phase = 1,
    .session_id = G_GUINT64_CONSTANT (0x1122334455667788),
    .packet_number = G_GUINT64_CONSTANT (0x0102030405060708),
  };
  TeaSessionHeader out;
  guint8 packet[TEA_SESSION_OVERHEAD + 8];

  /* The header is followed by at least a tag; contents do not matter here. */
  fill_pattern (packet, sizeof packet, 13);
  tea_session_header_encode (&in, packet);
  g_assert_cmpmem (packet, TEA_SESSION_HEADER_LEN, expected, sizeof expected);

  memset (&out, 0, sizeof out);
  g_assert_true (tea_session_header_decode (packet, sizeof packet, &out));
  g_assert_cmpuint (out.key_phase, ==, 1);
  g_assert_cmpuint (out.session_id, ==, in.session_id);
  g_assert_cmpuint (out.packet_number, ==, in.packet_number);

  /* Shorter than header plus tag cannot be a SESSION packet. */
  assert_refuses_truncation (decode_session_header, packet, TEA_SESSION_OVERHEAD);

  in.key_phase = 0;
  tea_session_header_encode (&in, packet);
  g_assert_cmpuint (packet[3], ==, TEA_PACKET_SESSION);
  g_assert_true (tea_session_header_decode (packet, TEA_SESSION_OVERHEAD, &out));
  g_assert_cmpuint (out.key_phase, ==, 0);

  /* Only the low bit is the key phase. */
  in.key_phase = 3;
  tea_session_header_encode (&in, packet);
  g_assert_cmpuint (packet[3], ==, TEA_PACKET_SESSION | 1);

  for (guint type = 0; type <= G_MAXUINT8; type++)
    {
      packet[3] = type;
      g_assert_cmpint (decode_session_header (packet, TEA_SESSION_OVERHEAD), ==,
                       type == TEA_PACKET_SESSION || type == (TEA_PACKET_SESSION | 1));
    }
  packet[3] = TEA_PACKET_SESSION;
  for (guint i = 0; i < 3; i++)
    {
      packet[i] ^= 0x80;
      g_assert_false (decode_session_header (packet, TEA_SESSION_OVERHEAD));
      packet[i] ^= 0x80;
    }
}

static void
assert_classify (const char *bytes, gsize len, TeaPacketClass expected_class, guint8 expected_type)
{
  g_autofree guint8 *copy = exact_copy ((const guint8 *) bytes, len);
  guint8 type = 0xaa;

  g_assert_cmpint (tea_packet_classify (copy, len, &type), ==, expected_class);
  g_assert_cmpuint (type, ==, expected_type);
}

static void
test_packet_classify (void)
{
  guint8 type = 0xaa;

  assert_classify ("", 0, TEA_PACKET_CLASS_FOREIGN, 0);
  assert_classify ("T", 1, TEA_PACKET_CLASS_FOREIGN, 0);
  assert_classify ("TH", 2, TEA_PACKET_CLASS_FOREIGN, 0);
  assert_classify ("NICK alice\r\n", 12, TEA_PACKET_CLASS_FOREIGN, 0); /* a legacy client */
  assert_classify ("XH\x01\x10", 4, TEA_PACKET_CLASS_FOREIGN, 0);
  assert_classify ("TX\x01\x10", 4, TEA_PACKET_CLASS_FOREIGN, 0);
  assert_classify ("HT\x01\x10", 4, TEA_PACKET_CLASS_FOREIGN, 0);
  assert_classify ("TH\x02\x10", 4, TEA_PACKET_CLASS_BAD_VERSION, 0);
  assert_classify ("TH\xff\x01", 4, TEA_PACKET_CLASS_BAD_VERSION, 0);
  assert_classify ("TH\x00\x01\x01", 5, TEA_PACKET_CLASS_BAD_VERSION, 0);
  assert_classify ("TH\x01\x10", 4, TEA_PACKET_CLASS_NATIVE, TEA_PACKET_SESSION);
  assert_classify ("TH\x01\x01rest", 8, TEA_PACKET_CLASS_NATIVE, TEA_PACKET_HELLO);
  assert_classify ("TH\x01\xff", 4, TEA_PACKET_CLASS_NATIVE, 0xff);

  /* Our version but no type byte: whatever it is called, it must not be
   * native (that would read the missing type byte). */
  {
    g_autofree guint8 *copy = exact_copy ((const guint8 *) "TH\x01", 3);
    g_assert_cmpint (tea_packet_classify (copy, 3, &type), !=, TEA_PACKET_CLASS_NATIVE);
  }
}

/* ---- Frames ------------------------------------------------------------- */

static gboolean
read_frame_exact (const guint8 *data, gsize len, TeaFrame *frame, gboolean *malformed)
{
  g_autofree guint8 *copy = exact_copy (data, len);
  TeaReader r;

  /* Only for single-frame checks: stream data would point into the copy. */
  tea_reader_init (&r, copy, len);
  return tea_frame_read (&r, frame, malformed);
}

static void
test_frame_simple (void)
{
  guint8 challenge[TEA_PATH_CHALLENGE_LEN], response[TEA_PATH_CHALLENGE_LEN];
  guint8 buf[64];
  TeaWriter w;
  TeaReader r;
  TeaFrame frame;
  gboolean malformed = TRUE;

  fill_pattern (challenge, sizeof challenge, 14);
  fill_pattern (response, sizeof response, 15);
  tea_writer_init (&w, buf, sizeof buf);
  tea_frame_write_ping (&w);
  tea_frame_write_close (&w, TEA_CODE_SERVER_SHUTDOWN);
  tea_frame_write_path (&w, TEA_FRAME_PATH_CHALLENGE, challenge);
  tea_frame_write_path (&w, TEA_FRAME_PATH_RESPONSE, response);
  tea_frame_write_close (&w, 0xbeef);
  g_assert_false (w.failed);
  g_assert_cmpuint (w.pos, ==, 1 + 3 + 9 + 9 + 3);

  tea_reader_init (&r, buf, w.pos);
  g_assert_true (tea_frame_read (&r, &frame, &malformed));
  g_assert_cmpint (frame.type, ==, TEA_FRAME_PING);
  g_assert_false (malformed);
  g_assert_true (tea_frame_read (&r, &frame, &malformed));
  g_assert_cmpint (frame.type, ==, TEA_FRAME_CLOSE);
  g_assert_cmpuint (frame.close_code, ==, TEA_CODE_SERVER_SHUTDOWN);
  g_assert_true (tea_frame_read (&r, &frame, &malformed));
  g_assert_cmpint (frame.type, ==, TEA_FRAME_PATH_CHALLENGE);
  g_assert_cmpmem (frame.path_data, TEA_PATH_CHALLENGE_LEN, challenge, sizeof challenge);
  g_assert_true (tea_frame_read (&r, &frame, &malformed));
  g_assert_cmpint (frame.type, ==, TEA_FRAME_PATH_RESPONSE);
  g_assert_cmpmem (frame.path_data, TEA_PATH_CHALLENGE_LEN, response, sizeof response);
  g_assert_true (tea_frame_read (&r, &frame, &malformed));
  g_assert_cmpuint (frame.close_code, ==, 0xbeef);
  g_assert_false (tea_frame_read (&r, &frame, &malformed));
  g_assert_false (malformed);
}

static void
test_frame_stream (void)
{
  static const guint16 lens[] = { 0, 1, 2, 500, TEA_MAX_FRAGMENT - 1, TEA_MAX_FRAGMENT };
  g_autofree guint8 *data = g_malloc (TEA_MAX_FRAGMENT + 1);
  g_autofree guint8 *buf = g_malloc (TEA_MAX_FRAGMENT + 64);

  fill_pattern (data, TEA_MAX_FRAGMENT + 1, 16);
  for (gsize i = 0; i < G_N_ELEMENTS (lens); i++)
    for (guint8 flags = 0; flags <= TEA_STREAM_FLAG_FIN; flags++)
      {
        guint64 seq = G_GUINT64_CONSTANT (0xf00dcafe00000000) + i;
        TeaFrame frame;
        TeaWriter w;
        TeaReader r;
        gboolean malformed;

        tea_writer_init (&w, buf, TEA_MAX_FRAGMENT + 64);
        tea_frame_write_stream (&w, seq, flags, data, lens[i]);
        g_assert_cmpuint (w.pos, ==, TEA_STREAM_FRAME_OVERHEAD + lens[i]);

        tea_reader_init (&r, buf, w.pos);
        g_assert_true (tea_frame_read (&r, &frame, &malformed));
        g_assert_cmpint (frame.type, ==, TEA_FRAME_STREAM);
        g_assert_cmpuint (frame.stream.seq, ==, seq);
        g_assert_cmpuint (frame.stream.flags, ==, flags);
        g_assert_cmpuint (frame.stream.len, ==, lens[i]);
        g_assert_true (frame.stream.data == buf + TEA_STREAM_FRAME_OVERHEAD);
        g_assert_cmpmem (frame.stream.data, frame.stream.len, data, lens[i]);
        g_assert_true (tea_reader_done (&r));
      }
}

static void
test_frame_stream_malformed (void)
{
  g_autofree guint8 *data = g_malloc0 (TEA_MAX_FRAGMENT + 1);
  g_autofree guint8 *buf = g_malloc (TEA_MAX_FRAGMENT + 64);
  TeaFrame frame;
  TeaWriter w;
  gboolean malformed;

  /* Longer than a fragment may be, even though the bytes are all there. */
  tea_writer_init (&w, buf, TEA_MAX_FRAGMENT + 64);
  tea_frame_write_stream (&w, 1, 0, data, TEA_MAX_FRAGMENT + 1);
  g_assert_false (read_frame_exact (buf, w.pos, &frame, &malformed));
  g_assert_true (malformed);

  /* Flag bits this version does not know. */
  for (guint flag = 1; flag <= 0x80; flag <<= 1)
    {
      if (flag == TEA_STREAM_FLAG_FIN)
        continue;
      tea_writer_init (&w, buf, TEA_MAX_FRAGMENT + 64);
      tea_frame_write_stream (&w, 1, flag | TEA_STREAM_FLAG_FIN, data, 4);
      g_assert_false (read_frame_exact (buf, w.pos, &frame, &malformed));
      g_assert_true (malformed);
    }

  /* A length that runs past the payload. */
  tea_writer_init (&w, buf, TEA_MAX_FRAGMENT + 64);
  tea_frame_write_stream (&w, 1, 0, data, 10);
  g_assert_false (read_frame_exact (buf, w.pos - 1, &frame, &malformed));
  g_assert_true (malformed);
}

static void
set_ranges (TeaAckRanges *ranges, const TeaPnRange *list, guint n)
{
  g_assert_cmpuint (n, <=, TEA_ACK_RANGES_TRACKED);
  memcpy (ranges->ranges, list, n * sizeof *list);
  ranges->n_ranges = n;
}

static void
assert_ranges (const TeaAckRanges *ranges, const TeaPnRange *expected, guint n)
{
  g_assert_cmpuint (ranges->n_ranges, ==, n);
  for (guint i = 0; i < n; i++)
    {
      g_assert_cmpuint (ranges->ranges[i].hi, ==, expected[i].hi);
      g_assert_cmpuint (ranges->ranges[i].lo, ==, expected[i].lo);
    }
}

/* Encodes one ACK frame and decodes it again. */
static void
ack_round_trip (const TeaAckRanges *in, guint max_ranges, TeaAckRanges *out)
{
  guint8 buf[TEA_MAX_FRAMES_LEN];
  g_autofree guint8 *copy = NULL;
  TeaWriter w;
  TeaReader r;
  TeaFrame frame;
  gboolean malformed;

  tea_writer_init (&w, buf, sizeof buf);
  tea_frame_write_ack (&w, in, 0x01020304, max_ranges);
  g_assert_false (w.failed);
  g_assert_cmpuint (w.pos, ==, tea_frame_ack_len (in, max_ranges));

  copy = exact_copy (buf, w.pos);
  tea_reader_init (&r, copy, w.pos);
  g_assert_true (tea_frame_read (&r, &frame, &malformed));
  g_assert_cmpint (frame.type, ==, TEA_FRAME_ACK);
  g_assert_cmpuint (frame.ack.delay_us, ==, 0x01020304);
  g_assert_true (tea_reader_done (&r));
  *out = frame.ack.ranges;
}

static void
test_frame_ack_round_trip (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (TEST_SEED);

  for (guint n = 1; n <= TEA_MAX_ACK_RANGES; n++)
    for (guint rep = 0; rep < 20; rep++)
      {
        TeaPnRange list[TEA_MAX_ACK_RANGES];
        TeaAckRanges in, out;
        guint64 hi = G_GUINT64_CONSTANT (1000000000000) + g_rand_int (rand);

        /* Exercise the field limits: lengths of 0 and 65535, gaps of 1 and
         * 65535, all representable as they are. */
        for (guint i = 0; i < n; i++)
          {
            guint64 len = rep == 0 ? 0 : rep == 1 ? G_MAXUINT16 : g_rand_int_range (rand, 0, 2000);
            guint64 gap = rep == 0 ? 1 : rep == 1 ? G_MAXUINT16 : g_rand_int_range (rand, 1, 3000);

            list[i].hi = hi;
            list[i].lo = hi - len;
            hi = list[i].lo - gap - 1;
          }
        set_ranges (&in, list, n);
        ack_round_trip (&in, TEA_MAX_ACK_RANGES, &out);
        assert_ranges (&out, list, n);

        /* max_ranges keeps the highest ranges. */
        for (guint max = 1; max <= n; max++)
          {
            ack_round_trip (&in, max, &out);
            assert_ranges (&out, list, max);
          }
      }
}

static void
test_frame_ack_limits (void)
{
  TeaAckRanges in, out;

  /* More tracked ranges than a frame carries: the 16 highest are sent. */
  {
    TeaPnRange list[TEA_ACK_RANGES_TRACKED];

    for (guint i = 0; i < TEA_ACK_RANGES_TRACKED; i++)
      list[i] = (TeaPnRange) { .hi = 1000 - 10 * i, .lo = 1000 - 10 * i - 3 };
    set_ranges (&in, list, TEA_ACK_RANGES_TRACKED);
    ack_round_trip (&in, TEA_ACK_RANGES_TRACKED, &out);
    assert_ranges (&out, list, TEA_MAX_ACK_RANGES);
    g_assert_cmpuint (tea_frame_ack_len (&in, TEA_ACK_RANGES_TRACKED), ==,
                      TEA_ACK_FRAME_MIN_LEN + 4 * (TEA_MAX_ACK_RANGES - 1));
  }

  /* A range longer than 65536 packets is shortened from below. */
  {
    const TeaPnRange list[] = { { .lo = 0, .hi = 1000000 } };
    const TeaPnRange expected[] = { { .lo = 1000000 - G_MAXUINT16, .hi = 1000000 } };

    set_ranges (&in, list, 1);
    ack_round_trip (&in, TEA_MAX_ACK_RANGES, &out);
    assert_ranges (&out, expected, 1);
  }

  /* A gap of 65535 still fits; 65536 ends the frame before that range. */
  {
    const TeaPnRange fits[] = {
      { .lo = 200000, .hi = 200000 },
      { .lo = 134000, .hi = 200000 - G_MAXUINT16 - 1 },
    };
    const TeaPnRange too_wide[] = {
      { .lo = 200000, .hi = 200000 },
      { .lo = 134000, .hi = 200000 - G_MAXUINT16 - 2 },
      { .lo = 100, .hi = 200 },
    };

    set_ranges (&in, fits, 2);
    ack_round_trip (&in, TEA_MAX_ACK_RANGES, &out);
    assert_ranges (&out, fits, 2);

    set_ranges (&in, too_wide, 3);
    ack_round_trip (&in, TEA_MAX_ACK_RANGES, &out);
    assert_ranges (&out, too_wide, 1);
    g_assert_cmpuint (tea_frame_ack_len (&in, TEA_MAX_ACK_RANGES), ==, TEA_ACK_FRAME_MIN_LEN);
  }

  /* Shortening a range widens the gap below it, and the gap is measured
   * from what is encoded: here 234465 - 99000 - 1 > 65535. */
  {
    const TeaPnRange list[] = {
      { .lo = 100000, .hi = 300000 },
      { .lo = 98000, .hi = 99000 },
    };
    const TeaPnRange expected[] = { { .lo = 300000 - G_MAXUINT16, .hi = 300000 } };

    set_ranges (&in, list, 2);
    ack_round_trip (&in, TEA_MAX_ACK_RANGES, &out);
    assert_ranges (&out, expected, 1);
  }

  /* A shortened range followed by a close one keeps both. */
  {
    const TeaPnRange list[] = {
      { .lo = 200000, .hi = 300000 },
      { .lo = 180000, .hi = 190000 },
    };
    const TeaPnRange expected[] = {
      { .lo = 300000 - G_MAXUINT16, .hi = 300000 },
      { .lo = 180000, .hi = 190000 },
    };

    set_ranges (&in, list, 2);
    ack_round_trip (&in, TEA_MAX_ACK_RANGES, &out);
    assert_ranges (&out, expected, 2);
  }

  /* Ranges reaching packet number 0 are representable. */
  {
    const TeaPnRange list[] = { { .lo = 5, .hi = 9 }, { .lo = 0, .hi = 3 } };

    set_ranges (&in, list, 2);
    ack_round_trip (&in, TEA_MAX_ACK_RANGES, &out);
    assert_ranges (&out, list, 2);
  }

  /* Nothing to acknowledge writes nothing. */
  {
    guint8 buf[32];
    TeaWriter w;

    tea_ack_ranges_init (&in);
    tea_writer_init (&w, buf, sizeof buf);
    tea_frame_write_ack (&w, &in, 0, TEA_MAX_ACK_RANGES);
    g_assert_cmpuint (w.pos, ==, 0);
    g_assert_cmpuint (tea_frame_ack_len (&in, TEA_MAX_ACK_RANGES), ==, 0);
  }
}

static gsize
write_raw_ack (guint8 *buf, gsize cap, guint64 largest, guint8 count, guint16 first,
               const guint16 *pairs, guint n_pairs)
{
  TeaWriter w;

  tea_writer_init (&w, buf, cap);
  tea_writer_u8 (&w, TEA_FRAME_ACK);
  tea_writer_u64 (&w, largest);
  tea_writer_u32 (&w, 0);
  tea_writer_u8 (&w, count);
  tea_writer_u16 (&w, first);
  for (guint i = 0; i < 2 * n_pairs; i++)
    tea_writer_u16 (&w, pairs[i]);
  g_assert_false (w.failed);
  return w.pos;
}

static void
assert_ack_malformed (guint64 largest, guint8 count, guint16 first, const guint16 *pairs, guint n_pairs)
{
  guint8 buf[2048];
  gsize len = write_raw_ack (buf, sizeof buf, largest, count, first, pairs, n_pairs);
  TeaFrame frame;
  gboolean malformed = FALSE;

  g_assert_false (read_frame_exact (buf, len, &frame, &malformed));
  g_assert_true (malformed);
}

static void
test_frame_ack_malformed (void)
{
  guint16 many[2 * 255];
  guint8 buf[2048];
  TeaFrame frame;
  gboolean malformed;
  gsize len;

  /* A gap counts missing packets, so 0 is impossible. */
  assert_ack_malformed (100, 1, 5, (const guint16[]) { 0, 1 }, 1);
  /* The first range below zero. */
  assert_ack_malformed (10, 0, 11, NULL, 0);
  /* A later range below zero, by its length or by its gap. */
  assert_ack_malformed (10, 1, 5, (const guint16[]) { 3, 2 }, 1);
  assert_ack_malformed (10, 1, 5, (const guint16[]) { 5, 0 }, 1);
  assert_ack_malformed (0, 1, 0, (const guint16[]) { 1, 0 }, 1);
  /* Fewer pairs than the count says. */
  assert_ack_malformed (1000, 2, 5, (const guint16[]) { 3, 2 }, 1);

  /* ...but exactly down to 0 is fine. */
  len = write_raw_ack (buf, sizeof buf, 10, 1, 5, (const guint16[]) { 3, 1 }, 1);
  g_assert_true (read_frame_exact (buf, len, &frame, &malformed));
  assert_ranges (&frame.ack.ranges, (const TeaPnRange[]) { { .lo = 5, .hi = 10 }, { .lo = 0, .hi = 1 } }, 2);
  len = write_raw_ack (buf, sizeof buf, 10, 0, 10, NULL, 0);
  g_assert_true (read_frame_exact (buf, len, &frame, &malformed));
  assert_ranges (&frame.ack.ranges, (const TeaPnRange[]) { { .lo = 0, .hi = 10 } }, 1);

  /* At most 16 ranges: a count of 15 more is the limit, whatever follows. */
  for (guint i = 0; i < G_N_ELEMENTS (many); i += 2)
    {
      many[i] = 1;
      many[i + 1] = 0;
    }
  len = write_raw_ack (buf, sizeof buf, 100000, TEA_MAX_ACK_RANGES - 1, 0, many, TEA_MAX_ACK_RANGES - 1);
  g_assert_true (read_frame_exact (buf, len, &frame, &malformed));
  g_assert_cmpuint (frame.ack.ranges.n_ranges, ==, TEA_MAX_ACK_RANGES);
  assert_ack_malformed (100000, TEA_MAX_ACK_RANGES, 0, many, TEA_MAX_ACK_RANGES);
  assert_ack_malformed (100000, 255, 0, many, 255);
}

static void
test_frame_unknown_type (void)
{
  guint8 buf[64];

  for (guint type = TEA_FRAME_STREAM + 1; type <= G_MAXUINT8; type++)
    {
      TeaFrame frame;
      gboolean malformed = FALSE;

      memset (buf, 0, sizeof buf);
      buf[0] = type;
      g_assert_false (read_frame_exact (buf, sizeof buf, &frame, &malformed));
      g_assert_true (malformed);
    }
}

static void
test_frame_padding (void)
{
  static const guint8 padded_ping[] = { 0, 0, 0, TEA_FRAME_PING, 0, 0 };
  static const guint8 only_padding[] = { 0, 0, 0, 0 };
  g_autofree guint8 *copy = exact_copy (padded_ping, sizeof padded_ping);
  TeaFrame frame;
  TeaReader r;
  gboolean malformed = TRUE;

  tea_reader_init (&r, copy, sizeof padded_ping);
  g_assert_true (tea_frame_read (&r, &frame, &malformed));
  g_assert_cmpint (frame.type, ==, TEA_FRAME_PING);
  g_assert_false (tea_frame_read (&r, &frame, &malformed));
  g_assert_false (malformed);
  g_assert_true (tea_reader_done (&r));

  g_assert_false (read_frame_exact (only_padding, sizeof only_padding, &frame, &malformed));
  g_assert_false (malformed);
  g_assert_false (read_frame_exact (NULL, 0, &frame, &malformed));
  g_assert_false (malformed);
}

static void
assert_frames_equal (const TeaFrame *a, const TeaFrame *b)
{
  g_assert_cmpint (a->type, ==, b->type);
  switch (a->type)
    {
    case TEA_FRAME_ACK:
      g_assert_cmpuint (a->ack.delay_us, ==, b->ack.delay_us);
      assert_ranges (&a->ack.ranges, b->ack.ranges.ranges, b->ack.ranges.n_ranges);
      break;
    case TEA_FRAME_CLOSE:
      g_assert_cmpuint (a->close_code, ==, b->close_code);
      break;
    case TEA_FRAME_PATH_CHALLENGE:
    case TEA_FRAME_PATH_RESPONSE:
      g_assert_cmpmem (a->path_data, TEA_PATH_CHALLENGE_LEN, b->path_data, TEA_PATH_CHALLENGE_LEN);
      break;
    case TEA_FRAME_STREAM:
      g_assert_cmpuint (a->stream.seq, ==, b->stream.seq);
      g_assert_cmpuint (a->stream.flags, ==, b->stream.flags);
      g_assert_cmpmem (a->stream.data, a->stream.len, b->stream.data, b->stream.len);
      break;
    case TEA_FRAME_PING:
    case TEA_FRAME_PADDING:
    default:
      break;
    }
}

/* Every prefix of a packet's frames decodes the frames that fit whole and
 * then ends: cleanly if the cut is on a frame boundary, as malformed if it
 * splits a frame. A frame is never half-taken, and under ASan an
 * out-of-bounds read would abort. */
static void
test_frame_truncation (void)
{
  guint8 payload[TEA_MAX_FRAMES_LEN];
  gboolean boundary[TEA_MAX_FRAMES_LEN + 1] = { FALSE };
  TeaFrame frames[16];
  guint8 path[TEA_PATH_CHALLENGE_LEN], data[100];
  TeaAckRanges ranges;
  TeaWriter w;
  TeaReader r;
  guint n_frames = 0;
  gsize total;
  gboolean malformed;

  tea_ack_ranges_init (&ranges);
  for (guint64 pn = 1000; pn < 1050; pn++)
    if (pn % 7 != 0)
      tea_ack_ranges_add (&ranges, pn);
  fill_pattern (path, sizeof path, 17);
  fill_pattern (data, sizeof data, 18);

  /* boundary[pos]: a cut at pos splits no frame. */
  tea_writer_init (&w, payload, sizeof payload);
  boundary[0] = TRUE;
  tea_writer_u8 (&w, TEA_FRAME_PADDING);
  boundary[w.pos] = TRUE;
  tea_writer_u8 (&w, TEA_FRAME_PADDING);
  boundary[w.pos] = TRUE;
  tea_frame_write_ping (&w);
  boundary[w.pos] = TRUE;
  tea_frame_write_ack (&w, &ranges, 250, TEA_MAX_ACK_RANGES);
  boundary[w.pos] = TRUE;
  tea_frame_write_close (&w, TEA_CODE_IDLE_TIMEOUT);
  boundary[w.pos] = TRUE;
  tea_writer_u8 (&w, TEA_FRAME_PADDING);
  boundary[w.pos] = TRUE;
  tea_frame_write_path (&w, TEA_FRAME_PATH_CHALLENGE, path);
  boundary[w.pos] = TRUE;
  tea_frame_write_stream (&w, 77, 0, data, sizeof data);
  boundary[w.pos] = TRUE;
  tea_frame_write_path (&w, TEA_FRAME_PATH_RESPONSE, path);
  boundary[w.pos] = TRUE;
  tea_frame_write_stream (&w, 78, TEA_STREAM_FLAG_FIN, NULL, 0);
  boundary[w.pos] = TRUE;
  g_assert_false (w.failed);
  total = w.pos;

  tea_reader_init (&r, payload, total);
  while (tea_frame_read (&r, &frames[n_frames], &malformed))
    n_frames++;
  g_assert_false (malformed);
  g_assert_cmpuint (n_frames, ==, 7);
  g_assert_cmpuint (frames[1].ack.ranges.n_ranges, ==, 8);

  for (gsize cut = 0; cut <= total; cut++)
    {
      g_autofree guint8 *copy = exact_copy (payload, cut);
      guint n = 0, expected_n = 0;
      TeaFrame frame;

      /* The frames that end at or before the cut. */
      tea_reader_init (&r, payload, total);
      while (tea_frame_read (&r, &frame, &malformed) && r.pos <= cut)
        expected_n++;

      tea_reader_init (&r, copy, cut);
      while (tea_frame_read (&r, &frame, &malformed))
        {
          g_assert_cmpuint (n, <, n_frames);
          assert_frames_equal (&frame, &frames[n]);
          n++;
        }
      g_assert_cmpuint (n, ==, expected_n);
      g_assert_cmpint (malformed, ==, !boundary[cut]);
    }
}

/* ---- ACK ranges --------------------------------------------------------- */

static void
test_ack_ranges_basic (void)
{
  TeaAckRanges ranges;

  tea_ack_ranges_init (&ranges);
  g_assert_false (tea_ack_ranges_contains (&ranges, 0));
  for (guint64 pn = 0; pn < 100; pn++)
    g_assert_true (tea_ack_ranges_add (&ranges, pn));
  g_assert_false (tea_ack_ranges_add (&ranges, 0));
  g_assert_false (tea_ack_ranges_add (&ranges, 99));
  assert_ranges (&ranges, (const TeaPnRange[]) { { .lo = 0, .hi = 99 } }, 1);

  /* Odd then even numbers, descending: 50 ranges would be needed, the
   * oldest ones are forgotten, then the evens merge everything left. */
  tea_ack_ranges_init (&ranges);
  for (guint64 pn = 201; pn >= 101; pn -= 2)
    tea_ack_ranges_add (&ranges, pn);
  g_assert_cmpuint (ranges.n_ranges, ==, TEA_ACK_RANGES_TRACKED);
  g_assert_true (tea_ack_ranges_contains (&ranges, 201));
  g_assert_true (tea_ack_ranges_contains (&ranges, 201 - 2 * (TEA_ACK_RANGES_TRACKED - 1)));
  g_assert_false (tea_ack_ranges_contains (&ranges, 201 - 2 * TEA_ACK_RANGES_TRACKED));
  for (guint64 pn = 200; pn > 201 - 2 * (TEA_ACK_RANGES_TRACKED - 1); pn -= 2)
    g_assert_true (tea_ack_ranges_add (&ranges, pn));
  assert_ranges (&ranges,
                 (const TeaPnRange[]) { { .lo = 201 - 2 * (TEA_ACK_RANGES_TRACKED - 1), .hi = 201 } }, 1);

  /* Full, and a packet older than everything tracked: not recorded. */
  tea_ack_ranges_init (&ranges);
  for (guint64 i = 0; i < TEA_ACK_RANGES_TRACKED; i++)
    tea_ack_ranges_add (&ranges, 1000 + 10 * i);
  g_assert_true (tea_ack_ranges_add (&ranges, 5));
  g_assert_false (tea_ack_ranges_contains (&ranges, 5));
  g_assert_cmpuint (ranges.ranges[TEA_ACK_RANGES_TRACKED - 1].lo, ==, 1000);
}

/* The documented behaviour as a model: the set of tracked packet numbers,
 * from which the lowest maximal run is dropped whenever there are more than
 * TEA_ACK_RANGES_TRACKED runs. */
#define MODEL_UNIVERSE 1024

typedef struct
{
  gboolean tracked[MODEL_UNIVERSE];
  gboolean ever[MODEL_UNIVERSE];
} RangesModel;

static guint
model_runs (const RangesModel *model, TeaPnRange *runs)
{
  guint n = 0;

  for (gint pn = MODEL_UNIVERSE - 1; pn >= 0; pn--)
    {
      if (!model->tracked[pn])
        continue;
      if (n > 0 && runs[n - 1].lo == (guint64) pn + 1)
        {
          runs[n - 1].lo = pn;
          continue;
        }
      /* Adding one packet makes at most one run more than allowed. */
      g_assert_cmpuint (n, <, TEA_ACK_RANGES_TRACKED + 1);
      runs[n++] = (TeaPnRange) { .lo = pn, .hi = pn };
    }
  return n;
}

static gboolean
model_add (RangesModel *model, guint64 pn)
{
  gboolean was = model->tracked[pn];
  TeaPnRange runs[TEA_ACK_RANGES_TRACKED + 1];
  guint n;

  model->tracked[pn] = TRUE;
  model->ever[pn] = TRUE;
  n = model_runs (model, runs);
  if (n > TEA_ACK_RANGES_TRACKED)
    for (guint64 p = runs[n - 1].lo; p <= runs[n - 1].hi; p++)
      model->tracked[p] = FALSE;
  return !was;
}

static void
assert_ranges_invariants (const TeaAckRanges *ranges)
{
  g_assert_cmpuint (ranges->n_ranges, <=, TEA_ACK_RANGES_TRACKED);
  for (guint i = 0; i < ranges->n_ranges; i++)
    {
      g_assert_cmpuint (ranges->ranges[i].lo, <=, ranges->ranges[i].hi);
      /* Highest first, with at least one missing packet between ranges. */
      if (i > 0)
        g_assert_cmpuint (ranges->ranges[i].hi + 1, <, ranges->ranges[i - 1].lo);
    }
}

static void
check_against_model (const TeaAckRanges *ranges, const RangesModel *model)
{
  TeaPnRange runs[TEA_ACK_RANGES_TRACKED + 1];
  guint n = model_runs (model, runs);

  assert_ranges_invariants (ranges);
  g_assert_cmpuint (n, <=, TEA_ACK_RANGES_TRACKED);
  assert_ranges (ranges, runs, n);
  for (guint64 pn = 0; pn < MODEL_UNIVERSE + 8; pn++)
    {
      gboolean contained = tea_ack_ranges_contains (ranges, pn);

      if (pn < MODEL_UNIVERSE)
        g_assert_cmpint (contained, ==, model->tracked[pn]);
      else
        g_assert_false (contained);
      /* Whatever is forgotten, an ACK never claims a packet not received. */
      if (contained)
        g_assert_true (model->ever[pn]);
    }
}

static guint64
next_pn (GRand *rand, guint pattern, guint i, guint span)
{
  /* Drawn once: MIN() would evaluate a g_rand call twice. */
  guint jitter = g_rand_int_range (rand, 0, 8);
  guint any = g_rand_int_range (rand, 0, span);

  switch (pattern)
    {
    case 0: /* uniformly random, many duplicates */
      return any;
    case 1: /* mostly ascending with reordering, as on a real path */
      return MIN (MODEL_UNIVERSE - 1, i / 2 + jitter);
    case 2: /* descending with holes */
      return (MODEL_UNIVERSE - 1) - MIN (MODEL_UNIVERSE - 1, i / 2 + jitter / 2);
    default: /* sparse: almost every packet its own range */
      return any / 3 * 3;
    }
}

static void
test_ack_ranges_model (void)
{
  static const guint spans[] = { 48, 100, 300, MODEL_UNIVERSE };

  for (guint seed = 0; seed < 12; seed++)
    for (guint pattern = 0; pattern < 4; pattern++)
      {
        g_autoptr (GRand) rand = g_rand_new_with_seed (TEST_SEED + seed);
        g_autofree RangesModel *model = g_new0 (RangesModel, 1);
        guint span = spans[seed % G_N_ELEMENTS (spans)];
        TeaAckRanges ranges;

        g_test_message ("seed %u pattern %u span %u", seed, pattern, span);
        tea_ack_ranges_init (&ranges);
        for (guint i = 0; i < 2 * MODEL_UNIVERSE; i++)
          {
            guint64 pn = next_pn (rand, pattern, i, span);

            g_assert_cmpint (tea_ack_ranges_add (&ranges, pn), ==, model_add (model, pn));
            if (i % 16 == 0 || i > 2 * MODEL_UNIVERSE - 40)
              check_against_model (&ranges, model);
            else
              assert_ranges_invariants (&ranges);
          }
        check_against_model (&ranges, model);
      }
}

/* ---- Messages ----------------------------------------------------------- */

typedef struct
{
  guint8 type;
  guint8 kind;
} SampleId;

static const SampleId samples[] = {
  { TEA_MSG_LOGIN, 0 },
  { TEA_MSG_JOIN, 0 },
  { TEA_MSG_PART, 0 },
  { TEA_MSG_SAY, 0 },
  { TEA_MSG_PRIVMSG, 0 },
  { TEA_MSG_TOPIC, 0 },
  { TEA_MSG_NAMES, 0 },
  { TEA_MSG_LIST, 0 },
  { TEA_MSG_NICK, 0 },
  { TEA_MSG_EDIT, 0 },
  { TEA_MSG_DELETE, 0 },
  { TEA_MSG_QUIT, 0 },
  { TEA_MSG_OK, 0 },
  { TEA_MSG_ERROR, 0 },
  { TEA_MSG_WELCOME, 0 },
  { TEA_MSG_JOINED, 0 },
  { TEA_MSG_NAMES_REPLY, 0 },
  { TEA_MSG_ROOMS_REPLY, 0 },
  { TEA_MSG_EVENT, TEA_EVENT_MESSAGE },
  { TEA_MSG_EVENT, TEA_EVENT_ACTION },
  { TEA_MSG_EVENT, TEA_EVENT_JOIN },
  { TEA_MSG_EVENT, TEA_EVENT_PART },
  { TEA_MSG_EVENT, TEA_EVENT_QUIT },
  { TEA_MSG_EVENT, TEA_EVENT_TIMEOUT },
  { TEA_MSG_EVENT, TEA_EVENT_NICK },
  { TEA_MSG_EVENT, TEA_EVENT_TOPIC },
  { TEA_MSG_EVENT, TEA_EVENT_EDIT },
  { TEA_MSG_EVENT, TEA_EVENT_DELETE },
  { TEA_MSG_PRIVATE, 0 },
  { TEA_MSG_NOTICE, 0 },
  { TEA_MSG_GAP, 0 },
};

/* Requests and their direct replies name the request; the rest do not. */
static gboolean
expects_req_id (guint8 type)
{
  return (type >= TEA_MSG_LOGIN && type <= TEA_MSG_QUIT) ||
         (type >= TEA_MSG_OK && type <= TEA_MSG_ROOMS_REPLY);
}

static const char *
long_topic (void)
{
  static char topic[301];

  /* Longer than a u8 prefix can say, so it proves the u16 prefix. */
  if (topic[0] == '\0')
    for (gsize i = 0; i < sizeof topic - 1; i++)
      topic[i] = 'a' + i % 26;
  return topic;
}

static const char *const sample_nicks[] = { "Zoë", "李雷", "bob", "Ärger", "🍵tea" };
static const char *const sample_rooms[] = { "#茶馆", "#general", "#x" };

static gsize
write_names_entries (guint8 *buf, gsize cap)
{
  TeaWriter w;

  tea_writer_init (&w, buf, cap);
  for (gsize i = 0; i < G_N_ELEMENTS (sample_nicks); i++)
    tea_names_entry_write (&w, sample_nicks[i], i % 2 ? TEA_MEMBER_FLAG_UNENCRYPTED : TEA_MEMBER_FLAG_NONE);
  g_assert_false (w.failed);
  return w.pos;
}

static gsize
write_rooms_entries (guint8 *buf, gsize cap)
{
  TeaWriter w;

  tea_writer_init (&w, buf, cap);
  for (gsize i = 0; i < G_N_ELEMENTS (sample_rooms); i++)
    tea_rooms_entry_write (&w, sample_rooms[i], 1000 * i + 1, i == 1 ? long_topic () : i == 2 ? "" : "茶");
  g_assert_false (w.failed);
  return w.pos;
}

static void
fill_event (TeaEvent *ev, guint8 kind)
{
  ev->room_id = 0x00c0ffee;
  ev->seq = G_GUINT64_CONSTANT (0x0000010000000001);
  ev->time_ms = G_GUINT64_CONSTANT (1700000000123);
  ev->kind = kind;
  ev->nick = tea_str_from ("李雷");
  switch (kind)
    {
    case TEA_EVENT_MESSAGE:
    case TEA_EVENT_ACTION:
      ev->flags = TEA_MEMBER_FLAG_UNENCRYPTED;
      ev->text = tea_str_from ("hello\nworld\t🍵");
      break;
    case TEA_EVENT_JOIN:
      ev->flags = TEA_MEMBER_FLAG_UNENCRYPTED;
      break;
    case TEA_EVENT_PART:
    case TEA_EVENT_QUIT:
      ev->text = tea_str_from ("bye");
      break;
    case TEA_EVENT_TOPIC:
      ev->text = tea_str_from (long_topic ());
      break;
    case TEA_EVENT_NICK:
      ev->new_nick = tea_str_from ("韩梅梅");
      break;
    case TEA_EVENT_EDIT:
      ev->target = 41;
      ev->text = tea_str_from ("fixed typo");
      break;
    case TEA_EVENT_DELETE:
      ev->target = G_MAXUINT64;
      break;
    case TEA_EVENT_TIMEOUT:
    default:
      break;
    }
}

static void
fill_sample (TeaMessage *m, guint8 type, guint8 kind)
{
  static guint8 names_entries[256];
  static guint8 rooms_entries[512];

  memset (m, 0, sizeof *m);
  m->type = type;
  if (expects_req_id (type))
    m->req_id = 0xa1b2c300u | type;
  switch (type)
    {
    case TEA_MSG_LOGIN:
      m->login.nick = tea_str_from ("Zoë");
      fill_pattern (m->login.resume_token, TEA_RESUME_TOKEN_LEN, 19);
      m->login.client_name = tea_str_from ("teahouse-cli 0.1");
      break;
    case TEA_MSG_JOIN:
      m->join.room = tea_str_from ("#茶馆");
      m->join.epoch = G_GUINT64_CONSTANT (0x0102030405060708);
      m->join.last_seq = G_MAXUINT64 - 1;
      m->join.history = 500;
      break;
    case TEA_MSG_PART:
    case TEA_MSG_TOPIC:
      m->room_text.room_id = 0xdeadbeef;
      m->room_text.text = tea_str_from ("see you — 🍵");
      break;
    case TEA_MSG_SAY:
      m->room_text.room_id = 7;
      m->room_text.kind = TEA_TEXT_KIND_ACTION;
      m->room_text.text = tea_str_from ("waves\nand\ttabs");
      break;
    case TEA_MSG_PRIVMSG:
      m->privmsg.nick = tea_str_from ("李雷");
      m->privmsg.kind = TEA_TEXT_KIND_MESSAGE;
      m->privmsg.text = tea_str_from ("hi there");
      break;
    case TEA_MSG_NAMES:
      m->names.room_id = 42;
      break;
    case TEA_MSG_NICK:
      m->nick.nick = tea_str_from ("Ärger");
      break;
    case TEA_MSG_EDIT:
    case TEA_MSG_DELETE:
      m->edit.room_id = 9;
      m->edit.seq = G_GUINT64_CONSTANT (0x8000000000000000);
      if (type == TEA_MSG_EDIT)
        m->edit.text = tea_str_from ("new text");
      break;
    case TEA_MSG_QUIT:
      m->quit.reason = tea_str_from ("gone fishing");
      break;
    case TEA_MSG_OK:
      m->ok.value = G_GUINT64_CONSTANT (0x8000000000000001);
      break;
    case TEA_MSG_ERROR:
      m->error.code = TEA_CODE_NICK_TAKEN;
      m->error.retry_after_ms = 0x01020304;
      m->error.detail = tea_str_from ("nick in use");
      break;
    case TEA_MSG_WELCOME:
      m->welcome.nick = tea_str_from ("Zoë");
      fill_pattern (m->welcome.resume_token, TEA_RESUME_TOKEN_LEN, 20);
      m->welcome.max_text = TEA_MAX_TEXT;
      m->welcome.max_rooms = 20;
      m->welcome.server_name = tea_str_from ("relay.example");
      break;
    case TEA_MSG_JOINED:
      m->joined.room_id = 0x01020304;
      m->joined.room = tea_str_from ("#茶馆");
      m->joined.epoch = 77;
      m->joined.topic = tea_str_from (long_topic ());
      m->joined.join_seq = 1234567;
      break;
    case TEA_MSG_NAMES_REPLY:
      m->list.room_id = 0x0a0b0c0d;
      m->list.more = 1;
      m->list.count = G_N_ELEMENTS (sample_nicks);
      m->list.entries = names_entries;
      m->list.entries_len = write_names_entries (names_entries, sizeof names_entries);
      break;
    case TEA_MSG_ROOMS_REPLY:
      m->list.count = G_N_ELEMENTS (sample_rooms);
      m->list.entries = rooms_entries;
      m->list.entries_len = write_rooms_entries (rooms_entries, sizeof rooms_entries);
      break;
    case TEA_MSG_EVENT:
      fill_event (&m->event, kind);
      break;
    case TEA_MSG_PRIVATE:
      m->private_msg.time_ms = G_GUINT64_CONSTANT (1700000000999);
      m->private_msg.from = tea_str_from ("韩梅梅");
      m->private_msg.from_flags = TEA_MEMBER_FLAG_UNENCRYPTED;
      m->private_msg.kind = TEA_TEXT_KIND_ACTION;
      m->private_msg.text = tea_str_from ("shrugs");
      break;
    case TEA_MSG_NOTICE:
      m->notice.code = TEA_CODE_SERVER_SHUTDOWN;
      m->notice.detail = tea_str_from ("restarting in 5 minutes");
      break;
    case TEA_MSG_GAP:
      m->gap.room_id = 3;
      m->gap.first = 10;
      m->gap.last = G_GUINT64_CONSTANT (0x0000000100000000);
      m->gap.reason = TEA_GAP_REASON_HISTORY_RESET;
      break;
    case TEA_MSG_LIST:
    default:
      break;
    }
}

/* The string fields a message of this type carries, as pointers into m. */
static guint
string_fields (TeaMessage *m, TeaStr **fields)
{
  guint n = 0;

  switch (m->type)
    {
    case TEA_MSG_LOGIN:
      fields[n++] = &m->login.nick;
      fields[n++] = &m->login.client_name;
      break;
    case TEA_MSG_JOIN:
      fields[n++] = &m->join.room;
      break;
    case TEA_MSG_PART:
    case TEA_MSG_TOPIC:
    case TEA_MSG_SAY:
      fields[n++] = &m->room_text.text;
      break;
    case TEA_MSG_PRIVMSG:
      fields[n++] = &m->privmsg.nick;
      fields[n++] = &m->privmsg.text;
      break;
    case TEA_MSG_NICK:
      fields[n++] = &m->nick.nick;
      break;
    case TEA_MSG_EDIT:
      fields[n++] = &m->edit.text;
      break;
    case TEA_MSG_QUIT:
      fields[n++] = &m->quit.reason;
      break;
    case TEA_MSG_ERROR:
      fields[n++] = &m->error.detail;
      break;
    case TEA_MSG_WELCOME:
      fields[n++] = &m->welcome.nick;
      fields[n++] = &m->welcome.server_name;
      break;
    case TEA_MSG_JOINED:
      fields[n++] = &m->joined.room;
      fields[n++] = &m->joined.topic;
      break;
    case TEA_MSG_EVENT:
      fields[n++] = &m->event.nick;
      if (m->event.kind == TEA_EVENT_NICK)
        fields[n++] = &m->event.new_nick;
      else if (m->event.kind != TEA_EVENT_JOIN && m->event.kind != TEA_EVENT_TIMEOUT &&
               m->event.kind != TEA_EVENT_DELETE)
        fields[n++] = &m->event.text;
      break;
    case TEA_MSG_PRIVATE:
      fields[n++] = &m->private_msg.from;
      fields[n++] = &m->private_msg.text;
      break;
    case TEA_MSG_NOTICE:
      fields[n++] = &m->notice.detail;
      break;
    default:
      break;
    }
  return n;
}

static void
assert_str_equal (TeaStr a, TeaStr b)
{
  g_assert_cmpmem (a.str, a.len, b.str, b.len);
}

static void
assert_events_equal (const TeaEvent *a, const TeaEvent *b)
{
  /* Fields the kind does not use are zero in the sample and must stay zero
   * after decoding. */
  g_assert_cmpuint (a->room_id, ==, b->room_id);
  g_assert_cmpuint (a->seq, ==, b->seq);
  g_assert_cmpuint (a->time_ms, ==, b->time_ms);
  g_assert_cmpuint (a->kind, ==, b->kind);
  assert_str_equal (a->nick, b->nick);
  g_assert_cmpuint (a->flags, ==, b->flags);
  assert_str_equal (a->text, b->text);
  assert_str_equal (a->new_nick, b->new_nick);
  g_assert_cmpuint (a->target, ==, b->target);
}

static void
assert_messages_equal (const TeaMessage *a, const TeaMessage *b)
{
  g_assert_cmpuint (a->type, ==, b->type);
  g_assert_cmpuint (a->req_id, ==, b->req_id);
  switch (a->type)
    {
    case TEA_MSG_LOGIN:
      assert_str_equal (a->login.nick, b->login.nick);
      g_assert_cmpmem (a->login.resume_token, TEA_RESUME_TOKEN_LEN, b->login.resume_token, TEA_RESUME_TOKEN_LEN);
      assert_str_equal (a->login.client_name, b->login.client_name);
      break;
    case TEA_MSG_JOIN:
      assert_str_equal (a->join.room, b->join.room);
      g_assert_cmpuint (a->join.epoch, ==, b->join.epoch);
      g_assert_cmpuint (a->join.last_seq, ==, b->join.last_seq);
      g_assert_cmpuint (a->join.history, ==, b->join.history);
      break;
    case TEA_MSG_PART:
    case TEA_MSG_TOPIC:
    case TEA_MSG_SAY:
      g_assert_cmpuint (a->room_text.room_id, ==, b->room_text.room_id);
      g_assert_cmpuint (a->room_text.kind, ==, b->room_text.kind);
      assert_str_equal (a->room_text.text, b->room_text.text);
      break;
    case TEA_MSG_PRIVMSG:
      assert_str_equal (a->privmsg.nick, b->privmsg.nick);
      g_assert_cmpuint (a->privmsg.kind, ==, b->privmsg.kind);
      assert_str_equal (a->privmsg.text, b->privmsg.text);
      break;
    case TEA_MSG_NAMES:
      g_assert_cmpuint (a->names.room_id, ==, b->names.room_id);
      break;
    case TEA_MSG_NICK:
      assert_str_equal (a->nick.nick, b->nick.nick);
      break;
    case TEA_MSG_EDIT:
    case TEA_MSG_DELETE:
      g_assert_cmpuint (a->edit.room_id, ==, b->edit.room_id);
      g_assert_cmpuint (a->edit.seq, ==, b->edit.seq);
      assert_str_equal (a->edit.text, b->edit.text);
      break;
    case TEA_MSG_QUIT:
      assert_str_equal (a->quit.reason, b->quit.reason);
      break;
    case TEA_MSG_OK:
      g_assert_cmpuint (a->ok.value, ==, b->ok.value);
      break;
    case TEA_MSG_ERROR:
      g_assert_cmpuint (a->error.code, ==, b->error.code);
      g_assert_cmpuint (a->error.retry_after_ms, ==, b->error.retry_after_ms);
      assert_str_equal (a->error.detail, b->error.detail);
      break;
    case TEA_MSG_WELCOME:
      assert_str_equal (a->welcome.nick, b->welcome.nick);
      g_assert_cmpmem (a->welcome.resume_token, TEA_RESUME_TOKEN_LEN, b->welcome.resume_token, TEA_RESUME_TOKEN_LEN);
      g_assert_cmpuint (a->welcome.max_text, ==, b->welcome.max_text);
      g_assert_cmpuint (a->welcome.max_rooms, ==, b->welcome.max_rooms);
      assert_str_equal (a->welcome.server_name, b->welcome.server_name);
      break;
    case TEA_MSG_JOINED:
      g_assert_cmpuint (a->joined.room_id, ==, b->joined.room_id);
      assert_str_equal (a->joined.room, b->joined.room);
      g_assert_cmpuint (a->joined.epoch, ==, b->joined.epoch);
      assert_str_equal (a->joined.topic, b->joined.topic);
      g_assert_cmpuint (a->joined.join_seq, ==, b->joined.join_seq);
      break;
    case TEA_MSG_NAMES_REPLY:
    case TEA_MSG_ROOMS_REPLY:
      g_assert_cmpuint (a->list.room_id, ==, b->list.room_id);
      g_assert_cmpuint (a->list.more, ==, b->list.more);
      g_assert_cmpuint (a->list.count, ==, b->list.count);
      g_assert_cmpmem (a->list.entries, a->list.entries_len, b->list.entries, b->list.entries_len);
      break;
    case TEA_MSG_EVENT:
      assert_events_equal (&a->event, &b->event);
      break;
    case TEA_MSG_PRIVATE:
      g_assert_cmpuint (a->private_msg.time_ms, ==, b->private_msg.time_ms);
      assert_str_equal (a->private_msg.from, b->private_msg.from);
      g_assert_cmpuint (a->private_msg.from_flags, ==, b->private_msg.from_flags);
      g_assert_cmpuint (a->private_msg.kind, ==, b->private_msg.kind);
      assert_str_equal (a->private_msg.text, b->private_msg.text);
      break;
    case TEA_MSG_NOTICE:
      g_assert_cmpuint (a->notice.code, ==, b->notice.code);
      assert_str_equal (a->notice.detail, b->notice.detail);
      break;
    case TEA_MSG_GAP:
      g_assert_cmpuint (a->gap.room_id, ==, b->gap.room_id);
      g_assert_cmpuint (a->gap.first, ==, b->gap.first);
      g_assert_cmpuint (a->gap.last, ==, b->gap.last);
      g_assert_cmpuint (a->gap.reason, ==, b->gap.reason);
      break;
    case TEA_MSG_LIST:
    default:
      break;
    }
}

static gsize
encode_sample (gsize index, TeaMessage *msg, guint8 *buf, gsize cap)
{
  gsize len;

  fill_sample (msg, samples[index].type, samples[index].kind);
  len = tea_message_encode (msg, buf, cap);
  g_assert_cmpuint (len, >, 0);
  return len;
}

static void
test_message_samples_complete (void)
{
  /* Guards the corpus itself: every type and event kind has a sample. */
  for (guint type = 0; type <= G_MAXUINT8; type++)
    {
      gboolean known = (type >= TEA_MSG_LOGIN && type <= TEA_MSG_QUIT) ||
                       (type >= TEA_MSG_OK && type <= TEA_MSG_GAP);
      gboolean found = FALSE;

      for (gsize i = 0; i < G_N_ELEMENTS (samples); i++)
        found |= samples[i].type == type;
      g_assert_cmpint (found, ==, known);
      g_assert_cmpint (tea_message_type_is_request (type), ==, type >= TEA_MSG_LOGIN && type <= TEA_MSG_QUIT);
    }
  for (guint kind = TEA_EVENT_MESSAGE; kind <= TEA_EVENT_DELETE; kind++)
    {
      gboolean found = FALSE;

      for (gsize i = 0; i < G_N_ELEMENTS (samples); i++)
        found |= samples[i].type == TEA_MSG_EVENT && samples[i].kind == kind;
      g_assert_true (found);
    }
}

static void
test_message_round_trip (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (samples); i++)
    {
      g_autofree guint8 *buf = g_malloc (TEA_MAX_MESSAGE);
      g_autofree guint8 *again = g_malloc (TEA_MAX_MESSAGE);
      g_autofree guint8 *copy = NULL;
      TeaMessage in, out;
      gsize len;

      len = encode_sample (i, &in, buf, TEA_MAX_MESSAGE);
      g_test_message ("type 0x%02x kind %u: %" G_GSIZE_FORMAT " bytes", in.type, samples[i].kind, len);
      g_assert_cmpuint (buf[0], ==, in.type);
      if (expects_req_id (in.type))
        {
          static const guint8 be[] = { 0xa1, 0xb2, 0xc3 };
          g_assert_cmpmem (buf + 1, 3, be, 3);
          g_assert_cmpuint (buf[4], ==, in.type);
        }

      copy = exact_copy (buf, len);
      g_assert_cmpint (tea_message_decode (copy, len, &out), ==, TEA_CODE_NONE);
      assert_messages_equal (&in, &out);

      /* Decoding loses nothing: encoding the result gives the same bytes. */
      g_assert_cmpuint (tea_message_encode (&out, again, TEA_MAX_MESSAGE), ==, len);
      g_assert_cmpmem (again, len, buf, len);

      /* A buffer one byte short fails instead of truncating. */
      for (gsize cap = 0; cap < len; cap++)
        g_assert_cmpuint (tea_message_encode (&in, again, cap), ==, 0);
    }
}

static void
test_message_no_req_id (void)
{
  static const guint8 types[] = { TEA_MSG_EVENT, TEA_MSG_PRIVATE, TEA_MSG_NOTICE, TEA_MSG_GAP };

  /* Unsolicited messages have no req_id on the wire: one set by mistake is
   * not encoded and does not come back. */
  for (gsize i = 0; i < G_N_ELEMENTS (types); i++)
    {
      guint8 with[256], without[256];
      TeaMessage msg, out;
      gsize len;

      fill_sample (&msg, types[i], TEA_EVENT_MESSAGE);
      len = tea_message_encode (&msg, without, sizeof without);
      msg.req_id = 99;
      g_assert_cmpuint (tea_message_encode (&msg, with, sizeof with), ==, len);
      g_assert_cmpmem (with, len, without, len);
      g_assert_cmpint (tea_message_decode (with, len, &out), ==, TEA_CODE_NONE);
      g_assert_cmpuint (out.req_id, ==, 0);
    }
}

static void
check_names_entries (const TeaMessage *msg)
{
  TeaReader r;
  TeaStr nick;
  guint8 flags;

  g_assert_cmpuint (msg->list.count, ==, G_N_ELEMENTS (sample_nicks));
  tea_reader_init (&r, msg->list.entries, msg->list.entries_len);
  for (gsize i = 0; i < G_N_ELEMENTS (sample_nicks); i++)
    {
      g_assert_true (tea_names_entry_next (&r, &nick, &flags));
      g_assert_cmpmem (nick.str, nick.len, sample_nicks[i], strlen (sample_nicks[i]));
      g_assert_cmpuint (flags, ==, i % 2 ? TEA_MEMBER_FLAG_UNENCRYPTED : TEA_MEMBER_FLAG_NONE);
    }
  g_assert_false (tea_names_entry_next (&r, &nick, &flags));
  g_assert_true (tea_reader_done (&r));
}

static void
check_rooms_entries (const TeaMessage *msg)
{
  TeaReader r;
  TeaStr room, topic;
  guint32 members;

  g_assert_cmpuint (msg->list.count, ==, G_N_ELEMENTS (sample_rooms));
  tea_reader_init (&r, msg->list.entries, msg->list.entries_len);
  for (gsize i = 0; i < G_N_ELEMENTS (sample_rooms); i++)
    {
      const char *expected_topic = i == 1 ? long_topic () : i == 2 ? "" : "茶";

      g_assert_true (tea_rooms_entry_next (&r, &room, &members, &topic));
      g_assert_cmpmem (room.str, room.len, sample_rooms[i], strlen (sample_rooms[i]));
      g_assert_cmpuint (members, ==, 1000 * i + 1);
      g_assert_cmpmem (topic.str, topic.len, expected_topic, strlen (expected_topic));
    }
  g_assert_false (tea_rooms_entry_next (&r, &room, &members, &topic));
  g_assert_true (tea_reader_done (&r));
}

static void
test_message_lists (void)
{
  guint8 buf[1024];
  TeaMessage in, out;
  gsize len;

  fill_sample (&in, TEA_MSG_NAMES_REPLY, 0);
  len = tea_message_encode (&in, buf, sizeof buf);
  g_assert_cmpint (tea_message_decode (buf, len, &out), ==, TEA_CODE_NONE);
  g_assert_cmpuint (out.list.room_id, ==, 0x0a0b0c0d);
  g_assert_cmpuint (out.list.more, ==, 1);
  check_names_entries (&out);

  fill_sample (&in, TEA_MSG_ROOMS_REPLY, 0);
  len = tea_message_encode (&in, buf, sizeof buf);
  g_assert_cmpint (tea_message_decode (buf, len, &out), ==, TEA_CODE_NONE);
  g_assert_cmpuint (out.list.more, ==, 0);
  check_rooms_entries (&out);

  /* An empty list. */
  memset (&in, 0, sizeof in);
  in.type = TEA_MSG_ROOMS_REPLY;
  in.req_id = 5;
  len = tea_message_encode (&in, buf, sizeof buf);
  g_assert_cmpuint (len, ==, 1 + 4 + 1 + 2);
  g_assert_cmpint (tea_message_decode (buf, len, &out), ==, TEA_CODE_NONE);
  g_assert_cmpuint (out.list.count, ==, 0);
  g_assert_cmpuint (out.list.entries_len, ==, 0);
}

static void
test_message_list_count_mismatch (void)
{
  guint8 buf[1024];
  TeaMessage msg, out;
  gsize len;

  /* Fewer entries than the count says, ending exactly after an entry: the
   * count is part of the framing, so this is malformed. */
  for (guint8 type = TEA_MSG_NAMES_REPLY; type <= TEA_MSG_ROOMS_REPLY; type++)
    {
      fill_sample (&msg, type, 0);
      msg.list.count++;
      len = tea_message_encode (&msg, buf, sizeof buf);
      g_assert_cmpint (tea_message_decode (buf, len, &out), ==, TEA_CODE_PROTOCOL);

      /* More entries than the count: trailing bytes. */
      fill_sample (&msg, type, 0);
      msg.list.count--;
      len = tea_message_encode (&msg, buf, sizeof buf);
      g_assert_cmpint (tea_message_decode (buf, len, &out), ==, TEA_CODE_PROTOCOL);
    }
}

static void
test_message_truncated (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (samples); i++)
    {
      guint8 buf[1024];
      TeaMessage msg, out;
      gsize len = encode_sample (i, &msg, buf, sizeof buf);

      /* A cut never lands inside a string's bytes without also cutting the
       * string short, so the answer is always a protocol error. */
      for (gsize cut = 0; cut < len; cut++)
        {
          g_autofree guint8 *copy = exact_copy (buf, cut);
          TeaCode code = tea_message_decode (copy, cut, &out);

          if (code != TEA_CODE_PROTOCOL)
            g_test_message ("type 0x%02x kind %u cut at %" G_GSIZE_FORMAT " of %" G_GSIZE_FORMAT,
                            samples[i].type, samples[i].kind, cut, len);
          g_assert_cmpint (code, ==, TEA_CODE_PROTOCOL);
        }
    }
}

static void
test_message_trailing (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (samples); i++)
    {
      guint8 buf[1024];
      TeaMessage msg, out;
      gsize len = encode_sample (i, &msg, buf, sizeof buf - 4);

      for (gsize extra = 1; extra <= 4; extra++)
        {
          g_autofree guint8 *copy = NULL;

          buf[len + extra - 1] = extra == 1 ? 0 : 'x';
          copy = exact_copy (buf, len + extra);
          g_assert_cmpint (tea_message_decode (copy, len + extra, &out), ==, TEA_CODE_PROTOCOL);
        }
    }
}

static void
test_message_bad_text (void)
{
  static const TeaStr poison[] = {
    { "\xff", 1 },
    { "ab\xc3", 3 },
    { "\xc0\xaf", 2 },
    { "\xed\xa0\x80", 3 },
    { "\xf4\x90\x80\x80", 4 },
    { "ok\x80", 3 },
    { "a\0b", 3 }, /* embedded NUL */
    { "\0", 1 },
  };
  guint n_checked = 0;

  for (gsize i = 0; i < G_N_ELEMENTS (samples); i++)
    {
      TeaMessage sample;
      TeaStr *fields[4];
      guint n_fields;

      fill_sample (&sample, samples[i].type, samples[i].kind);
      n_fields = string_fields (&sample, fields);
      for (guint f = 0; f < n_fields; f++)
        for (gsize p = 0; p < G_N_ELEMENTS (poison); p++)
          {
            TeaMessage msg = sample, out;
            TeaStr *msg_fields[4];
            guint8 buf[1024];
            g_autofree guint8 *copy = NULL;
            gsize len;

            string_fields (&msg, msg_fields);
            *msg_fields[f] = poison[p];
            /* The encoder trusts its caller; only the decoder checks. */
            len = tea_message_encode (&msg, buf, sizeof buf);
            g_assert_cmpuint (len, >, 0);
            copy = exact_copy (buf, len);
            g_assert_cmpint (tea_message_decode (copy, len, &out), ==, TEA_CODE_BAD_TEXT);
            /* ...and the error reply can still name the request. */
            g_assert_cmpuint (out.type, ==, msg.type);
            g_assert_cmpuint (out.req_id, ==, msg.req_id);
            n_checked++;
          }
    }
  g_assert_cmpuint (n_checked, >=, 30 * G_N_ELEMENTS (poison));
}

static void
test_message_list_bad_text (void)
{
  static const guint8 bad_nick[] = { 3, 'a', 0, 'b' };
  static const guint8 bad_room[] = { 2, 0xc3, 0x28 };
  guint8 entries[64], buf[256];
  TeaMessage msg, out;
  TeaWriter w;
  gsize len;

  memset (&msg, 0, sizeof msg);
  msg.type = TEA_MSG_NAMES_REPLY;
  msg.req_id = 1234;
  tea_writer_init (&w, entries, sizeof entries);
  tea_names_entry_write (&w, "ok", 0);
  tea_writer_bytes (&w, bad_nick, sizeof bad_nick);
  tea_writer_u8 (&w, 0);
  msg.list.count = 2;
  msg.list.entries = entries;
  msg.list.entries_len = w.pos;
  len = tea_message_encode (&msg, buf, sizeof buf);
  g_assert_cmpint (tea_message_decode (buf, len, &out), ==, TEA_CODE_BAD_TEXT);
  g_assert_cmpuint (out.req_id, ==, 1234);

  msg.type = TEA_MSG_ROOMS_REPLY;
  tea_writer_init (&w, entries, sizeof entries);
  tea_writer_bytes (&w, bad_room, sizeof bad_room);
  tea_writer_u32 (&w, 1);
  tea_writer_str16 (&w, "topic");
  msg.list.count = 1;
  msg.list.entries_len = w.pos;
  len = tea_message_encode (&msg, buf, sizeof buf);
  g_assert_cmpint (tea_message_decode (buf, len, &out), ==, TEA_CODE_BAD_TEXT);
  g_assert_cmpuint (out.req_id, ==, 1234);
}

static void
test_message_unknown (void)
{
  static const guint8 unknown_types[] = { 0x00, 0x0d, 0x0e, 0x10, 0x7f, 0x8a, 0x90, 0xff };
  static const guint8 unknown_kinds[] = { 0, TEA_EVENT_DELETE + 1, 0x80, 0xff };
  guint8 buf[256];
  TeaMessage msg, out;
  gsize len;

  g_assert_cmpint (tea_message_decode (NULL, 0, &out), ==, TEA_CODE_PROTOCOL);
  for (gsize i = 0; i < G_N_ELEMENTS (unknown_types); i++)
    {
      memset (buf, 0, sizeof buf);
      buf[0] = unknown_types[i];
      for (gsize n = 1; n <= 12; n++)
        {
          g_autofree guint8 *copy = exact_copy (buf, n);
          g_assert_cmpint (tea_message_decode (copy, n, &out), ==, TEA_CODE_PROTOCOL);
        }
      memset (&msg, 0, sizeof msg);
      msg.type = unknown_types[i];
      g_assert_cmpuint (tea_message_encode (&msg, buf, sizeof buf), ==, 0);
    }

  /* An EVENT whose kind this version does not know: the body cannot be
   * parsed, so it is a protocol error, not something to skip. */
  fill_sample (&msg, TEA_MSG_EVENT, TEA_EVENT_TIMEOUT);
  len = tea_message_encode (&msg, buf, sizeof buf);
  g_assert_cmpuint (buf[1 + 4 + 8 + 8], ==, TEA_EVENT_TIMEOUT);
  for (gsize i = 0; i < G_N_ELEMENTS (unknown_kinds); i++)
    {
      buf[1 + 4 + 8 + 8] = unknown_kinds[i];
      g_assert_cmpint (tea_message_decode (buf, len, &out), ==, TEA_CODE_PROTOCOL);
      msg.event.kind = unknown_kinds[i];
      g_assert_cmpuint (tea_message_encode (&msg, buf + 128, 128), ==, 0);
    }
}

static void
test_message_prefix_past_end (void)
{
  guint8 buf[256];
  TeaMessage msg, out;
  gsize len;

  /* NICK: type(1) req_id(4) str8. */
  fill_sample (&msg, TEA_MSG_NICK, 0);
  len = tea_message_encode (&msg, buf, sizeof buf);
  g_assert_cmpuint (buf[5], ==, msg.nick.nick.len);
  buf[5]++;
  g_assert_cmpint (tea_message_decode (buf, len, &out), ==, TEA_CODE_PROTOCOL);
  g_assert_cmpuint (out.req_id, ==, msg.req_id);
  buf[5] = 0xff;
  g_assert_cmpint (tea_message_decode (buf, len, &out), ==, TEA_CODE_PROTOCOL);

  /* QUIT: type(1) req_id(4) str16. */
  fill_sample (&msg, TEA_MSG_QUIT, 0);
  len = tea_message_encode (&msg, buf, sizeof buf);
  g_assert_cmpuint (buf[6], ==, msg.quit.reason.len);
  buf[6]++;
  g_assert_cmpint (tea_message_decode (buf, len, &out), ==, TEA_CODE_PROTOCOL);
  buf[5] = buf[6] = 0xff;
  g_assert_cmpint (tea_message_decode (buf, len, &out), ==, TEA_CODE_PROTOCOL);

  /* A shorter prefix leaves bytes over: also malformed, not bad text. */
  fill_sample (&msg, TEA_MSG_QUIT, 0);
  len = tea_message_encode (&msg, buf, sizeof buf);
  buf[6]--;
  g_assert_cmpint (tea_message_decode (buf, len, &out), ==, TEA_CODE_PROTOCOL);
}

static void
test_message_too_long (void)
{
  g_autofree char *long_nick = g_strnfill (256, 'n');
  g_autofree char *text = g_strnfill (TEA_MAX_MESSAGE, 't');
  g_autofree guint8 *buf = g_malloc (2 * TEA_MAX_MESSAGE);
  g_autoptr (GBytes) bytes = NULL;
  /* SAY: type(1) req_id(4) room_id(4) kind(1) str16(2 + text). */
  const gsize say_overhead = 12;
  TeaMessage msg;

  /* A str8 longer than 255 bytes cannot be encoded; 255 can. */
  memset (&msg, 0, sizeof msg);
  msg.type = TEA_MSG_NICK;
  msg.nick.nick = (TeaStr) { long_nick, 256 };
  g_assert_cmpuint (tea_message_encode (&msg, buf, TEA_MAX_MESSAGE), ==, 0);
  g_assert_null (tea_message_encode_bytes (&msg));
  msg.nick.nick.len = 255;
  g_assert_cmpuint (tea_message_encode (&msg, buf, TEA_MAX_MESSAGE), ==, 1 + 4 + 1 + 255);

  fill_sample (&msg, TEA_MSG_LOGIN, 0);
  msg.login.client_name = (TeaStr) { long_nick, 256 };
  g_assert_cmpuint (tea_message_encode (&msg, buf, TEA_MAX_MESSAGE), ==, 0);

  fill_sample (&msg, TEA_MSG_EVENT, TEA_EVENT_NICK);
  msg.event.new_nick = (TeaStr) { long_nick, 256 };
  g_assert_cmpuint (tea_message_encode (&msg, buf, TEA_MAX_MESSAGE), ==, 0);

  /* Exactly TEA_MAX_MESSAGE is the largest message there is. */
  fill_sample (&msg, TEA_MSG_SAY, 0);
  msg.room_text.text = (TeaStr) { text, TEA_MAX_MESSAGE - say_overhead };
  bytes = tea_message_encode_bytes (&msg);
  g_assert_nonnull (bytes);
  g_assert_cmpuint (g_bytes_get_size (bytes), ==, TEA_MAX_MESSAGE);
  g_clear_pointer (&bytes, g_bytes_unref);

  /* One byte more fails, even with a larger buffer. */
  msg.room_text.text.len++;
  g_assert_null (tea_message_encode_bytes (&msg));
  g_assert_cmpuint (tea_message_encode (&msg, buf, 2 * TEA_MAX_MESSAGE), ==, 0);

  /* And encode_bytes gives exactly the encoded size for small messages. */
  fill_sample (&msg, TEA_MSG_PRIVMSG, 0);
  bytes = tea_message_encode_bytes (&msg);
  g_assert_nonnull (bytes);
  g_assert_cmpuint (g_bytes_get_size (bytes), ==, tea_message_encode (&msg, buf, TEA_MAX_MESSAGE));
  g_assert_cmpmem (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), buf, g_bytes_get_size (bytes));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/tea/wire/byte-order", test_wire_byte_order);
  g_test_add_func ("/tea/wire/reader-sticky", test_wire_reader_sticky);
  g_test_add_func ("/tea/wire/writer-sticky", test_wire_writer_sticky);
  g_test_add_func ("/tea/wire/strings", test_wire_strings);
  g_test_add_func ("/tea/wire/strings-bad-utf8", test_wire_strings_bad_utf8);
  g_test_add_func ("/tea/wire/string-past-end", test_wire_string_past_end);

  g_test_add_func ("/tea/wire/packet/hello", test_packet_hello);
  g_test_add_func ("/tea/wire/packet/cookie", test_packet_cookie_reply);
  g_test_add_func ("/tea/wire/packet/init", test_packet_init);
  g_test_add_func ("/tea/wire/packet/accept", test_packet_accept);
  g_test_add_func ("/tea/wire/packet/accept-params", test_packet_accept_params);
  g_test_add_func ("/tea/wire/packet/reject", test_packet_reject);
  g_test_add_func ("/tea/wire/packet/reset", test_packet_reset);
  g_test_add_func ("/tea/wire/packet/version-negotiation", test_packet_version_negotiation);
  g_test_add_func ("/tea/wire/packet/session-header", test_packet_session_header);
  g_test_add_func ("/tea/wire/packet/classify", test_packet_classify);

  g_test_add_func ("/tea/wire/frame/simple", test_frame_simple);
  g_test_add_func ("/tea/wire/frame/stream", test_frame_stream);
  g_test_add_func ("/tea/wire/frame/stream-malformed", test_frame_stream_malformed);
  g_test_add_func ("/tea/wire/frame/ack-round-trip", test_frame_ack_round_trip);
  g_test_add_func ("/tea/wire/frame/ack-limits", test_frame_ack_limits);
  g_test_add_func ("/tea/wire/frame/ack-malformed", test_frame_ack_malformed);
  g_test_add_func ("/tea/wire/frame/unknown-type", test_frame_unknown_type);
  g_test_add_func ("/tea/wire/frame/padding", test_frame_padding);
  g_test_add_func ("/tea/wire/frame/truncation", test_frame_truncation);

  g_test_add_func ("/tea/wire/ack-ranges/basic", test_ack_ranges_basic);
  g_test_add_func ("/tea/wire/ack-ranges/model", test_ack_ranges_model);

  g_test_add_func ("/tea/wire/message/samples-complete", test_message_samples_complete);
  g_test_add_func ("/tea/wire/message/round-trip", test_message_round_trip);
  g_test_add_func ("/tea/wire/message/no-req-id", test_message_no_req_id);
  g_test_add_func ("/tea/wire/message/lists", test_message_lists);
  g_test_add_func ("/tea/wire/message/list-count-mismatch", test_message_list_count_mismatch);
  g_test_add_func ("/tea/wire/message/truncated", test_message_truncated);
  g_test_add_func ("/tea/wire/message/trailing", test_message_trailing);
  g_test_add_func ("/tea/wire/message/bad-text", test_message_bad_text);
  g_test_add_func ("/tea/wire/message/list-bad-text", test_message_list_bad_text);
  g_test_add_func ("/tea/wire/message/unknown", test_message_unknown);
  g_test_add_func ("/tea/wire/message/prefix-past-end", test_message_prefix_past_end);
  g_test_add_func ("/tea/wire/message/too-long", test_message_too_long);

  return g_test_run ();
}
