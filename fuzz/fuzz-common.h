/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What every fuzz target shares: the libFuzzer entry points, a cursor that
 * turns the fuzzer's bytes into choices, deterministic randomness (so a
 * crashing input crashes again when replayed), and the seed-corpus writer.
 *
 * Each target is built twice: against libFuzzer (clang, -Dfuzz=true) and
 * against fuzz-replay.c, a plain main() that the normal test suite uses to
 * replay fuzz/corpus/<target>/ and fuzz/regressions/<target>/ with gcc.
 */
#pragma once

#include <glib.h>
#include <stddef.h>
#include <stdint.h>

G_BEGIN_DECLS

/* Provided by each target. */
int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* Seeds: each target writes its starting corpus through this. */
typedef struct _FuzzSeeds FuzzSeeds;
void fuzz_seeds_add (FuzzSeeds *seeds, const char *name, GByteArray *seed);
void fuzz_target_seeds (FuzzSeeds *seeds);
/* name ("seed-...") -> GBytes, from fuzz_target_seeds(). */
GHashTable *fuzz_generate_seeds (void);
/* The target's name, e.g. "fuzz-wire" (directory names under fuzz/). */
extern const char fuzz_target_name[];

/* Once per process: deterministic randomness, warnings and criticals
 * fatal (network input must never trigger g_return_if_fail). */
void fuzz_init (void);
/* Once per input: the same randomness for the same input. */
void fuzz_reset_random (guint64 seed);

/* The fuzzer's bytes as a stream of choices. Past the end every read
 * returns zeros, so any input is a complete program. */
typedef struct
{
  const guint8 *data;
  gsize len;
  gsize pos;
} FuzzInput;

void fuzz_input_init (FuzzInput *in, const guint8 *data, gsize len);
gboolean fuzz_input_done (const FuzzInput *in);
guint8 fuzz_u8 (FuzzInput *in);
guint16 fuzz_u16 (FuzzInput *in);
guint32 fuzz_u32 (FuzzInput *in);
guint64 fuzz_u64 (FuzzInput *in);
/* Up to max bytes (fewer at the end); returns how many, *out points at them. */
gsize fuzz_take (FuzzInput *in, gsize max, const guint8 **out);
/* A u16 length, then that many bytes (clipped to what is left). */
gsize fuzz_blob (FuzzInput *in, const guint8 **out);

/* Writing seeds in the same encoding (big-endian, as fuzz_u16 reads). */
void fuzz_put_u8 (GByteArray *seed, guint8 v);
void fuzz_put_u16 (GByteArray *seed, guint16 v);
void fuzz_put_u32 (GByteArray *seed, guint32 v);
void fuzz_put_u64 (GByteArray *seed, guint64 v);
void fuzz_put_bytes (GByteArray *seed, const void *data, gsize len);
void fuzz_put_blob (GByteArray *seed, const void *data, gsize len);

G_END_DECLS
