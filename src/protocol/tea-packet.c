/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "tea-packet.h"
#include "tea-wire.h"

#define HEADER_LEN 4

TeaPacketClass
tea_packet_classify (const guint8 *data, gsize len, guint8 *type)
{
  *type = 0;
  if (len < 3 || data[0] != TEA_MAGIC_0 || data[1] != TEA_MAGIC_1)
    return TEA_PACKET_CLASS_FOREIGN;
  if (data[2] != TEA_PROTOCOL_VERSION || len < HEADER_LEN)
    return TEA_PACKET_CLASS_BAD_VERSION;
  *type = data[3];
  return TEA_PACKET_CLASS_NATIVE;
}

static void
write_header (TeaWriter *w, guint8 type)
{
  tea_writer_u8 (w, TEA_MAGIC_0);
  tea_writer_u8 (w, TEA_MAGIC_1);
  tea_writer_u8 (w, TEA_PROTOCOL_VERSION);
  tea_writer_u8 (w, type);
}

static gboolean
read_header (TeaReader *r, guint8 type)
{
  return tea_reader_u8 (r) == TEA_MAGIC_0 &&
         tea_reader_u8 (r) == TEA_MAGIC_1 &&
         tea_reader_u8 (r) == TEA_PROTOCOL_VERSION &&
         tea_reader_u8 (r) == type && !r->failed;
}

static gsize
writer_result (const TeaWriter *w)
{
  return w->failed ? 0 : w->pos;
}

static void
read_token (TeaReader *r, guint8 *token, gsize len)
{
  const guint8 *p = tea_reader_bytes (r, len);
  if (p)
    memcpy (token, p, len);
}

/* HELLO and INIT fill the rest of the datagram with zeros: the padding is
 * what lets the relay answer an unvalidated address without amplifying. */
static void
pad_to_handshake_len (TeaWriter *w)
{
  if (w->pos < TEA_HANDSHAKE_PADDED_LEN)
    tea_writer_zeros (w, TEA_HANDSHAKE_PADDED_LEN - w->pos);
}

gsize
tea_hello_encode (const TeaHello *hello, guint8 *out, gsize cap)
{
  TeaWriter w;

  tea_writer_init (&w, out, cap);
  write_header (&w, TEA_PACKET_HELLO);
  tea_writer_bytes (&w, hello->client_token, TEA_CLIENT_TOKEN_LEN);
  pad_to_handshake_len (&w);
  return writer_result (&w);
}

gboolean
tea_hello_decode (const guint8 *data, gsize len, TeaHello *hello)
{
  TeaReader r;

  if (len < TEA_HANDSHAKE_PADDED_LEN)
    return FALSE;
  tea_reader_init (&r, data, len);
  if (!read_header (&r, TEA_PACKET_HELLO))
    return FALSE;
  read_token (&r, hello->client_token, TEA_CLIENT_TOKEN_LEN);
  return !r.failed;
}

gsize
tea_cookie_reply_encode (const TeaCookieReply *reply, guint8 *out, gsize cap)
{
  TeaWriter w;

  tea_writer_init (&w, out, cap);
  write_header (&w, TEA_PACKET_COOKIE);
  tea_writer_bytes (&w, reply->client_token, TEA_CLIENT_TOKEN_LEN);
  tea_writer_bytes (&w, reply->cookie, TEA_COOKIE_LEN);
  tea_writer_bytes (&w, reply->server_key, TEA_KEY_LEN);
  return writer_result (&w);
}

gboolean
tea_cookie_reply_decode (const guint8 *data, gsize len, TeaCookieReply *reply)
{
  TeaReader r;

  tea_reader_init (&r, data, len);
  if (!read_header (&r, TEA_PACKET_COOKIE))
    return FALSE;
  read_token (&r, reply->client_token, TEA_CLIENT_TOKEN_LEN);
  read_token (&r, reply->cookie, TEA_COOKIE_LEN);
  read_token (&r, reply->server_key, TEA_KEY_LEN);
  return tea_reader_done (&r);
}

gsize
tea_init_encode (const TeaInit *init, guint8 *out, gsize cap)
{
  TeaWriter w;

  if (init->noise_len > G_MAXUINT16)
    return 0;
  tea_writer_init (&w, out, cap);
  write_header (&w, TEA_PACKET_INIT);
  tea_writer_bytes (&w, init->client_token, TEA_CLIENT_TOKEN_LEN);
  tea_writer_bytes (&w, init->cookie, TEA_COOKIE_LEN);
  tea_writer_u16 (&w, init->noise_len);
  tea_writer_bytes (&w, init->noise, init->noise_len);
  pad_to_handshake_len (&w);
  return writer_result (&w);
}

gboolean
tea_init_decode (const guint8 *data, gsize len, TeaInit *init)
{
  TeaReader r;

  if (len < TEA_HANDSHAKE_PADDED_LEN)
    return FALSE;
  tea_reader_init (&r, data, len);
  if (!read_header (&r, TEA_PACKET_INIT))
    return FALSE;
  read_token (&r, init->client_token, TEA_CLIENT_TOKEN_LEN);
  read_token (&r, init->cookie, TEA_COOKIE_LEN);
  init->noise_len = tea_reader_u16 (&r);
  init->noise = tea_reader_bytes (&r, init->noise_len);
  return !r.failed;
}

gsize
tea_accept_encode (const TeaAccept *accept, guint8 *out, gsize cap)
{
  TeaWriter w;

  if (accept->noise_len > G_MAXUINT16)
    return 0;
  tea_writer_init (&w, out, cap);
  write_header (&w, TEA_PACKET_ACCEPT);
  tea_writer_bytes (&w, accept->client_token, TEA_CLIENT_TOKEN_LEN);
  tea_writer_u16 (&w, accept->noise_len);
  tea_writer_bytes (&w, accept->noise, accept->noise_len);
  return writer_result (&w);
}

gboolean
tea_accept_decode (const guint8 *data, gsize len, TeaAccept *accept)
{
  TeaReader r;

  tea_reader_init (&r, data, len);
  if (!read_header (&r, TEA_PACKET_ACCEPT))
    return FALSE;
  read_token (&r, accept->client_token, TEA_CLIENT_TOKEN_LEN);
  accept->noise_len = tea_reader_u16 (&r);
  accept->noise = tea_reader_bytes (&r, accept->noise_len);
  return tea_reader_done (&r);
}

gsize
tea_accept_params_encode (const TeaAcceptParams *params, guint8 *out, gsize cap)
{
  TeaWriter w;

  tea_writer_init (&w, out, cap);
  tea_writer_u64 (&w, params->session_id);
  tea_writer_bytes (&w, params->reset_token, TEA_RESET_TOKEN_LEN);
  tea_writer_u16 (&w, params->idle_timeout_s);
  tea_writer_u16 (&w, params->keepalive_s);
  return writer_result (&w);
}

gboolean
tea_accept_params_decode (const guint8 *data, gsize len, TeaAcceptParams *params)
{
  TeaReader r;

  /* Later versions may append fields; ignore what we do not know. */
  tea_reader_init (&r, data, len);
  params->session_id = tea_reader_u64 (&r);
  read_token (&r, params->reset_token, TEA_RESET_TOKEN_LEN);
  params->idle_timeout_s = tea_reader_u16 (&r);
  params->keepalive_s = tea_reader_u16 (&r);
  return !r.failed && params->idle_timeout_s > 0 && params->keepalive_s > 0;
}

gsize
tea_reject_encode (const TeaReject *reject, guint8 *out, gsize cap)
{
  TeaWriter w;

  tea_writer_init (&w, out, cap);
  write_header (&w, TEA_PACKET_REJECT);
  tea_writer_bytes (&w, reject->client_token, TEA_CLIENT_TOKEN_LEN);
  tea_writer_u16 (&w, reject->code);
  tea_writer_u32 (&w, reject->retry_after_ms);
  return writer_result (&w);
}

gboolean
tea_reject_decode (const guint8 *data, gsize len, TeaReject *reject)
{
  TeaReader r;

  tea_reader_init (&r, data, len);
  if (!read_header (&r, TEA_PACKET_REJECT))
    return FALSE;
  read_token (&r, reject->client_token, TEA_CLIENT_TOKEN_LEN);
  reject->code = tea_reader_u16 (&r);
  reject->retry_after_ms = tea_reader_u32 (&r);
  return tea_reader_done (&r);
}

gsize
tea_reset_encode (const TeaReset *reset, guint8 *out, gsize cap)
{
  TeaWriter w;

  tea_writer_init (&w, out, cap);
  write_header (&w, TEA_PACKET_RESET);
  tea_writer_u64 (&w, reset->session_id);
  tea_writer_bytes (&w, reset->token, TEA_RESET_TOKEN_LEN);
  return writer_result (&w);
}

gboolean
tea_reset_decode (const guint8 *data, gsize len, TeaReset *reset)
{
  TeaReader r;

  tea_reader_init (&r, data, len);
  if (!read_header (&r, TEA_PACKET_RESET))
    return FALSE;
  reset->session_id = tea_reader_u64 (&r);
  read_token (&r, reset->token, TEA_RESET_TOKEN_LEN);
  return tea_reader_done (&r);
}

gsize
tea_version_negotiation_encode (guint8 *out, gsize cap)
{
  TeaWriter w;

  tea_writer_init (&w, out, cap);
  tea_writer_u8 (&w, TEA_MAGIC_0);
  tea_writer_u8 (&w, TEA_MAGIC_1);
  tea_writer_u8 (&w, TEA_VERSION_NEGOTIATION);
  tea_writer_u8 (&w, 1); /* number of versions that follow */
  tea_writer_u8 (&w, TEA_PROTOCOL_VERSION);
  return writer_result (&w);
}

void
tea_session_header_encode (const TeaSessionHeader *header, guint8 out[TEA_SESSION_HEADER_LEN])
{
  TeaWriter w;

  tea_writer_init (&w, out, TEA_SESSION_HEADER_LEN);
  write_header (&w, TEA_PACKET_SESSION | (header->key_phase & 1));
  tea_writer_u64 (&w, header->session_id);
  tea_writer_u64 (&w, header->packet_number);
  g_assert (!w.failed);
}

gboolean
tea_session_header_decode (const guint8 *data, gsize len, TeaSessionHeader *header)
{
  TeaReader r;
  guint8 type;

  if (len < TEA_SESSION_OVERHEAD)
    return FALSE;
  tea_reader_init (&r, data, TEA_SESSION_HEADER_LEN);
  if (tea_reader_u8 (&r) != TEA_MAGIC_0 || tea_reader_u8 (&r) != TEA_MAGIC_1 ||
      tea_reader_u8 (&r) != TEA_PROTOCOL_VERSION)
    return FALSE;
  type = tea_reader_u8 (&r);
  if ((type & ~1) != TEA_PACKET_SESSION)
    return FALSE;
  header->key_phase = type & 1;
  header->session_id = tea_reader_u64 (&r);
  header->packet_number = tea_reader_u64 (&r);
  return tea_reader_done (&r);
}
