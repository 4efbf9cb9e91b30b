/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <sodium.h>

#include "tea-cookie.h"
#include "tea-random.h"
#include "tea-wire.h"

void
tea_cookie_jar_init (TeaCookieJar *jar, gint64 now_us)
{
  jar->bucket = now_us / TEA_COOKIE_BUCKET_US;
  tea_random_bytes (jar->current, sizeof jar->current);
  tea_random_bytes (jar->previous, sizeof jar->previous);
}

void
tea_cookie_jar_clear (TeaCookieJar *jar)
{
  sodium_memzero (jar, sizeof *jar);
}

static void
rotate (TeaCookieJar *jar, gint64 now_us)
{
  gint64 bucket = now_us / TEA_COOKIE_BUCKET_US;

  if (bucket <= jar->bucket)
    return;
  if (bucket == jar->bucket + 1)
    memcpy (jar->previous, jar->current, sizeof jar->current);
  else
    tea_random_bytes (jar->previous, sizeof jar->previous);
  tea_random_bytes (jar->current, sizeof jar->current);
  jar->bucket = bucket;
}

/* HMAC input: family(1) ip(16) port(2) bucket(8), see docs/PROTOCOL.md. */
static void
compute (const guint8 secret[32], const TeaAddr *addr, gint64 bucket, guint8 cookie[TEA_COOKIE_LEN])
{
  guint8 input[27];
  TeaWriter w;
  g_autoptr (GHmac) hmac = g_hmac_new (G_CHECKSUM_SHA256, secret, 32);
  gsize len = TEA_COOKIE_LEN;

  tea_writer_init (&w, input, sizeof input);
  tea_writer_u8 (&w, addr->family);
  tea_writer_bytes (&w, addr->ip, sizeof addr->ip);
  tea_writer_u16 (&w, addr->port);
  tea_writer_u64 (&w, bucket);
  g_hmac_update (hmac, input, sizeof input);
  g_hmac_get_digest (hmac, cookie, &len);
}

void
tea_cookie_make (TeaCookieJar *jar, const TeaAddr *addr, gint64 now_us, guint8 cookie[TEA_COOKIE_LEN])
{
  rotate (jar, now_us);
  compute (jar->current, addr, jar->bucket, cookie);
}

gboolean
tea_cookie_check (TeaCookieJar *jar, const TeaAddr *addr, gint64 now_us, const guint8 cookie[TEA_COOKIE_LEN])
{
  guint8 expected[TEA_COOKIE_LEN];

  rotate (jar, now_us);
  compute (jar->current, addr, jar->bucket, expected);
  if (sodium_memcmp (expected, cookie, TEA_COOKIE_LEN) == 0)
    return TRUE;
  compute (jar->previous, addr, jar->bucket - 1, expected);
  return sodium_memcmp (expected, cookie, TEA_COOKIE_LEN) == 0;
}
