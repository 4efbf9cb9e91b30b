/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Outer packets: the handshake packets (HELLO, COOKIE, INIT, ACCEPT, REJECT),
 * the stateless RESET, version negotiation, and the clear header of SESSION
 * packets. Layouts are in docs/PROTOCOL.md, section "Packets".
 */
#pragma once

#include <glib.h>

#include "tea-protocol.h"

G_BEGIN_DECLS

typedef enum {
  TEA_PACKET_CLASS_FOREIGN,     /* wrong magic: not ours (maybe a legacy client) */
  TEA_PACKET_CLASS_BAD_VERSION, /* our magic, a version we do not speak */
  TEA_PACKET_CLASS_NATIVE,      /* our magic and version; see type */
} TeaPacketClass;

TeaPacketClass tea_packet_classify (const guint8 *data, gsize len, guint8 *type);

typedef struct
{
  guint8 client_token[TEA_CLIENT_TOKEN_LEN];
} TeaHello;

typedef struct
{
  guint8 client_token[TEA_CLIENT_TOKEN_LEN];
  guint8 cookie[TEA_COOKIE_LEN];
  guint8 server_key[TEA_KEY_LEN];
} TeaCookieReply;

typedef struct
{
  guint8 client_token[TEA_CLIENT_TOKEN_LEN];
  guint8 cookie[TEA_COOKIE_LEN];
  const guint8 *noise; /* points into the datagram */
  gsize noise_len;
} TeaInit;

typedef struct
{
  guint8 client_token[TEA_CLIENT_TOKEN_LEN];
  const guint8 *noise;
  gsize noise_len;
} TeaAccept;

/* The plaintext inside ACCEPT's Noise payload. */
typedef struct
{
  guint64 session_id;
  guint8 reset_token[TEA_RESET_TOKEN_LEN];
  guint16 idle_timeout_s;
  guint16 keepalive_s;
} TeaAcceptParams;
#define TEA_ACCEPT_PARAMS_LEN 28

typedef struct
{
  guint8 client_token[TEA_CLIENT_TOKEN_LEN];
  guint16 code;
  guint32 retry_after_ms;
} TeaReject;

typedef struct
{
  guint64 session_id;
  guint8 token[TEA_RESET_TOKEN_LEN];
} TeaReset;
#define TEA_RESET_LEN 28

typedef struct
{
  guint8 key_phase;
  guint64 session_id;
  guint64 packet_number;
} TeaSessionHeader;

/* Encoders return the number of bytes written, or 0 if cap is too small. */
gsize tea_hello_encode (const TeaHello *hello, guint8 *out, gsize cap);
gboolean tea_hello_decode (const guint8 *data, gsize len, TeaHello *hello);

gsize tea_cookie_reply_encode (const TeaCookieReply *reply, guint8 *out, gsize cap);
gboolean tea_cookie_reply_decode (const guint8 *data, gsize len, TeaCookieReply *reply);

gsize tea_init_encode (const TeaInit *init, guint8 *out, gsize cap);
gboolean tea_init_decode (const guint8 *data, gsize len, TeaInit *init);

gsize tea_accept_encode (const TeaAccept *accept, guint8 *out, gsize cap);
gboolean tea_accept_decode (const guint8 *data, gsize len, TeaAccept *accept);

gsize tea_accept_params_encode (const TeaAcceptParams *params, guint8 *out, gsize cap);
gboolean tea_accept_params_decode (const guint8 *data, gsize len, TeaAcceptParams *params);

gsize tea_reject_encode (const TeaReject *reject, guint8 *out, gsize cap);
gboolean tea_reject_decode (const guint8 *data, gsize len, TeaReject *reject);

gsize tea_reset_encode (const TeaReset *reset, guint8 *out, gsize cap);
gboolean tea_reset_decode (const guint8 *data, gsize len, TeaReset *reset);

gsize tea_version_negotiation_encode (guint8 *out, gsize cap);

void tea_session_header_encode (const TeaSessionHeader *header, guint8 out[TEA_SESSION_HEADER_LEN]);
gboolean tea_session_header_decode (const guint8 *data, gsize len, TeaSessionHeader *header);

G_END_DECLS
