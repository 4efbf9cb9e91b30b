/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <sodium.h>
#include <string.h>

#include "fuzz-common.h"
#include "tea-random.h"

/* ---- Deterministic randomness -------------------------------------------
 *
 * libsodium lets a program replace its random source before sodium_init().
 * Session ids, cookie secrets, tokens, path challenges and Noise ephemerals
 * then depend only on the input, so libFuzzer's reproducers reproduce. A
 * splitmix64 stream is plenty: nothing here needs to be unpredictable. */

static guint64 random_state;

static guint64
splitmix64 (void)
{
  guint64 z = (random_state += G_GUINT64_CONSTANT (0x9e3779b97f4a7c15));

  z = (z ^ (z >> 30)) * G_GUINT64_CONSTANT (0xbf58476d1ce4e5b9);
  z = (z ^ (z >> 27)) * G_GUINT64_CONSTANT (0x94d049bb133111eb);
  return z ^ (z >> 31);
}

static const char *
fuzz_random_name (void)
{
  return "teahouse-fuzz";
}

static uint32_t
fuzz_random_u32 (void)
{
  return (uint32_t) splitmix64 ();
}

static void
fuzz_random_buf (void *const buf, const size_t size)
{
  guint8 *p = buf;

  for (gsize i = 0; i < size; i += 8)
    {
      guint64 v = splitmix64 ();
      memcpy (p + i, &v, MIN (8, size - i));
    }
}

static struct randombytes_implementation fuzz_random = {
  .implementation_name = fuzz_random_name,
  .random = fuzz_random_u32,
  .buf = fuzz_random_buf,
};

void
fuzz_reset_random (guint64 seed)
{
  random_state = seed;
}

void
fuzz_init (void)
{
  static gboolean done = FALSE;

  if (done)
    return;
  done = TRUE;
  /* Must come before the first sodium_init(), which tea_crypto_init() does. */
  if (randombytes_set_implementation (&fuzz_random) != 0 || !tea_crypto_init ())
    g_error ("could not set up libsodium for fuzzing");
  g_log_set_always_fatal (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
}

/* ---- Input cursor ------------------------------------------------------- */

void
fuzz_input_init (FuzzInput *in, const guint8 *data, gsize len)
{
  in->data = data;
  in->len = len;
  in->pos = 0;
}

gboolean
fuzz_input_done (const FuzzInput *in)
{
  return in->pos >= in->len;
}

guint8
fuzz_u8 (FuzzInput *in)
{
  return in->pos < in->len ? in->data[in->pos++] : 0;
}

guint16
fuzz_u16 (FuzzInput *in)
{
  guint16 hi = fuzz_u8 (in);
  return (guint16) (hi << 8 | fuzz_u8 (in));
}

guint32
fuzz_u32 (FuzzInput *in)
{
  guint32 hi = fuzz_u16 (in);
  return hi << 16 | fuzz_u16 (in);
}

guint64
fuzz_u64 (FuzzInput *in)
{
  guint64 hi = fuzz_u32 (in);
  return hi << 32 | fuzz_u32 (in);
}

gsize
fuzz_take (FuzzInput *in, gsize max, const guint8 **out)
{
  gsize n = MIN (max, in->len - MIN (in->pos, in->len));

  *out = in->data + MIN (in->pos, in->len);
  in->pos += n;
  return n;
}

gsize
fuzz_blob (FuzzInput *in, const guint8 **out)
{
  return fuzz_take (in, fuzz_u16 (in), out);
}

/* ---- Seeds ------------------------------------------------------------- */

struct _FuzzSeeds
{
  GHashTable *by_name; /* char * -> GBytes */
};

void
fuzz_seeds_add (FuzzSeeds *seeds, const char *name, GByteArray *seed)
{
  char *file = g_strdup_printf ("seed-%s", name);

  g_assert (!g_hash_table_contains (seeds->by_name, file));
  g_hash_table_insert (seeds->by_name, file, g_byte_array_free_to_bytes (seed));
}

/* With the randomness reset first, so the same code makes the same bytes. */
GHashTable *
fuzz_generate_seeds (void)
{
  FuzzSeeds seeds = { g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_bytes_unref) };

  fuzz_reset_random (0);
  fuzz_target_seeds (&seeds);
  return seeds.by_name;
}

/* ---- Seed encoding ------------------------------------------------------ */


void
fuzz_put_u8 (GByteArray *seed, guint8 v)
{
  g_byte_array_append (seed, &v, 1);
}

void
fuzz_put_u16 (GByteArray *seed, guint16 v)
{
  fuzz_put_u8 (seed, v >> 8);
  fuzz_put_u8 (seed, v & 0xff);
}

void
fuzz_put_u32 (GByteArray *seed, guint32 v)
{
  fuzz_put_u16 (seed, v >> 16);
  fuzz_put_u16 (seed, v & 0xffff);
}

void
fuzz_put_u64 (GByteArray *seed, guint64 v)
{
  fuzz_put_u32 (seed, v >> 32);
  fuzz_put_u32 (seed, (guint32) v);
}

void
fuzz_put_bytes (GByteArray *seed, const void *data, gsize len)
{
  if (len > 0)
    g_byte_array_append (seed, data, len);
}

void
fuzz_put_blob (GByteArray *seed, const void *data, gsize len)
{
  g_assert (len <= G_MAXUINT16);
  fuzz_put_u16 (seed, len);
  fuzz_put_bytes (seed, data, len);
}
