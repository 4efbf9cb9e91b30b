/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Stateless address-validation cookies (as DTLS HelloVerifyRequest and QUIC
 * Retry): HMAC-SHA256 over the client's address, port and a time bucket,
 * keyed by a secret that rotates every bucket. Cookies from the current and
 * the previous bucket are accepted, so one lives 60 to 120 seconds.
 */
#pragma once

#include <glib.h>

#include "tea-addr.h"
#include "tea-protocol.h"

G_BEGIN_DECLS

#define TEA_COOKIE_BUCKET_US (G_GINT64_CONSTANT (60) * G_USEC_PER_SEC)

typedef struct
{
  gint64 bucket;
  guint8 current[32];
  guint8 previous[32];
} TeaCookieJar;

void tea_cookie_jar_init (TeaCookieJar *jar, gint64 now_us);
void tea_cookie_jar_clear (TeaCookieJar *jar);
void tea_cookie_make (TeaCookieJar *jar, const TeaAddr *addr, gint64 now_us, guint8 cookie[TEA_COOKIE_LEN]);
gboolean tea_cookie_check (TeaCookieJar *jar, const TeaAddr *addr, gint64 now_us, const guint8 cookie[TEA_COOKIE_LEN]);

G_END_DECLS
