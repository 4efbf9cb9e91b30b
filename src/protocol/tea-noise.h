/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Noise_NK_25519_ChaChaPoly_BLAKE2b (Noise revision 34) on libsodium, and the
 * transport AEAD that SESSION packets use after the handshake.
 *
 * The handshake state is a plain struct so the relay can answer thousands of
 * INITs per second without allocating.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define TEA_NOISE_DH_LEN 32
#define TEA_NOISE_HASH_LEN 64
#define TEA_NOISE_KEY_LEN 32
#define TEA_NOISE_TAG_LEN 16
#define TEA_NOISE_PROTOCOL_NAME "Noise_NK_25519_ChaChaPoly_BLAKE2b"

typedef struct
{
  guint8 public_key[TEA_NOISE_DH_LEN];
  guint8 private_key[TEA_NOISE_DH_LEN];
} TeaKeypair;

typedef struct
{
  guint8 ck[TEA_NOISE_HASH_LEN];
  guint8 h[TEA_NOISE_HASH_LEN];
  guint8 k[TEA_NOISE_KEY_LEN];
  gboolean has_key;
  guint64 n;
  TeaKeypair s;  /* responder's static keypair (responder only) */
  TeaKeypair e;  /* own ephemeral */
  gboolean has_fixed_e;
  guint8 rs[TEA_NOISE_DH_LEN]; /* remote static (initiator only) */
  guint8 re[TEA_NOISE_DH_LEN]; /* remote ephemeral */
  gboolean initiator;
  guint step; /* messages processed so far: 0, 1, 2 */
} TeaNoiseHandshake;

void tea_keypair_generate (TeaKeypair *keypair);
void tea_keypair_from_private (TeaKeypair *keypair,
                               const guint8 private_key[TEA_NOISE_DH_LEN]);

void tea_noise_init_initiator (TeaNoiseHandshake *hs,
                               const guint8 *prologue,
                               gsize prologue_len,
                               const guint8 responder_static[TEA_NOISE_DH_LEN]);
void tea_noise_init_responder (TeaNoiseHandshake *hs,
                               const guint8 *prologue,
                               gsize prologue_len,
                               const TeaKeypair *responder_static);
/* For test vectors only: use this ephemeral instead of a random one. */
void tea_noise_set_ephemeral (TeaNoiseHandshake *hs,
                              const TeaKeypair *ephemeral);

/* Writes the next handshake message (initiator: "-> e, es"; responder:
 * "<- e, ee") with the payload encrypted. Returns the message length
 * (32 + payload_len + 16) or -1 if out_cap is too small or it is not this
 * side's turn. */
gssize tea_noise_write_message (TeaNoiseHandshake *hs,
                                const guint8 *payload,
                                gsize payload_len,
                                guint8 *out,
                                gsize out_cap);
/* Reads the peer's next handshake message. Returns the payload length, or -1
 * if the message is malformed, fails authentication, the DH result is all
 * zeros (low-order point), or it is not the peer's turn. */
gssize tea_noise_read_message (TeaNoiseHandshake *hs,
                               const guint8 *message,
                               gsize message_len,
                               guint8 *payload_out,
                               gsize payload_cap);
/* After both messages: the two transport keys (Noise Split()). */
void tea_noise_split (const TeaNoiseHandshake *hs,
                      guint8 initiator_to_responder[TEA_NOISE_KEY_LEN],
                      guint8 responder_to_initiator[TEA_NOISE_KEY_LEN]);
void tea_noise_get_handshake_hash (const TeaNoiseHandshake *hs,
                                   guint8 out[TEA_NOISE_HASH_LEN]);
/* Wipes all secrets (sodium_memzero). */
void tea_noise_clear (TeaNoiseHandshake *hs);

/* ChaCha20-Poly1305 (IETF) with the Noise nonce encoding: 32 zero bits then
 * the 64-bit counter little-endian. out must hold plain_len + 16 bytes and may
 * alias plain. */
void tea_aead_seal (const guint8 key[TEA_NOISE_KEY_LEN],
                    guint64 nonce,
                    const guint8 *ad,
                    gsize ad_len,
                    const guint8 *plain,
                    gsize plain_len,
                    guint8 *out);
/* Returns FALSE (and leaves out unspecified) if authentication fails. out
 * must hold cipher_len - 16 bytes and may alias cipher. */
gboolean tea_aead_open (const guint8 key[TEA_NOISE_KEY_LEN],
                        guint64 nonce,
                        const guint8 *ad,
                        gsize ad_len,
                        const guint8 *cipher,
                        gsize cipher_len,
                        guint8 *out);
/* Noise REKEY(k): first 32 bytes of ENCRYPT(k, 2^64-1, "", 32 zero bytes). */
void tea_noise_rekey (guint8 key[TEA_NOISE_KEY_LEN]);

/* BLAKE2b-512 HMAC and HKDF exactly as Noise section 4.3 defines them. */
void tea_noise_hmac (const guint8 *key,
                     gsize key_len,
                     const guint8 *data,
                     gsize data_len,
                     guint8 out[TEA_NOISE_HASH_LEN]);
void tea_noise_hkdf2 (const guint8 chaining_key[TEA_NOISE_HASH_LEN],
                      const guint8 *ikm,
                      gsize ikm_len,
                      guint8 out1[TEA_NOISE_HASH_LEN],
                      guint8 out2[TEA_NOISE_HASH_LEN]);

G_END_DECLS
