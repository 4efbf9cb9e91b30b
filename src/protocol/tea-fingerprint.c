/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <sodium.h>
#include <string.h>

#include "tea-fingerprint.h"

static char *
digest_base64url (const guint8 public_key[TEA_KEY_LEN])
{
  g_autoptr (GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);
  guint8 digest[32];
  gsize len = sizeof digest;
  char *b64;

  g_checksum_update (checksum, public_key, TEA_KEY_LEN);
  g_checksum_get_digest (checksum, digest, &len);
  b64 = g_base64_encode (digest, len);
  /* base64url without padding: safe in URLs and file names. */
  for (char *p = b64; *p; p++)
    {
      if (*p == '+')
        *p = '-';
      else if (*p == '/')
        *p = '_';
      else if (*p == '=')
        *p = '\0';
    }
  return b64;
}

char *
tea_fingerprint_from_key (const guint8 public_key[TEA_KEY_LEN])
{
  g_autofree char *digest = digest_base64url (public_key);
  return g_strconcat (TEA_FINGERPRINT_PREFIX, digest, NULL);
}

gboolean
tea_fingerprint_matches (const char *fingerprint, const guint8 public_key[TEA_KEY_LEN])
{
  g_autofree char *digest = digest_base64url (public_key);
  gsize len = strlen (digest);

  if (g_str_has_prefix (fingerprint, TEA_FINGERPRINT_PREFIX))
    fingerprint += strlen (TEA_FINGERPRINT_PREFIX);
  return strlen (fingerprint) == len && sodium_memcmp (fingerprint, digest, len) == 0;
}
