/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <sodium.h>

#include "tea-random.h"

gboolean
tea_crypto_init (void)
{
  static gsize initialised = 0;
  static gboolean ok = FALSE;

  if (g_once_init_enter (&initialised))
    {
      ok = sodium_init () >= 0;
      g_once_init_leave (&initialised, 1);
    }
  return ok;
}

void
tea_random_bytes (void *buf, gsize len)
{
  if (!tea_crypto_init ())
    g_error ("libsodium could not be initialised: no system randomness");
  randombytes_buf (buf, len);
}

guint64
tea_random_u64_nonzero (void)
{
  guint64 v;

  do
    tea_random_bytes (&v, sizeof v);
  while (v == 0);
  return v;
}
