/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Noise_NK_25519_ChaChaPoly_BLAKE2b, revision 34 of the Noise specification.
 * Names follow the spec (MixHash, MixKey, EncryptAndHash, ...) so the code can
 * be read side by side with sections 5 and 7.
 */

#include "tea-noise.h"

#include <sodium.h>
#include <string.h>

#define BLAKE2B_BLOCK_LEN 128
#define NONCE_LEN crypto_aead_chacha20poly1305_IETF_NPUBBYTES
/* Noise section 3: no message may be longer than this. */
#define NOISE_MAX_MESSAGE_LEN 65535
/* Set by tea_noise_clear () so a wiped state can never be used again. */
#define STEP_DEAD G_MAXUINT

G_STATIC_ASSERT (sizeof TEA_NOISE_PROTOCOL_NAME - 1 <= TEA_NOISE_HASH_LEN);
G_STATIC_ASSERT (TEA_NOISE_TAG_LEN == crypto_aead_chacha20poly1305_IETF_ABYTES);
G_STATIC_ASSERT (TEA_NOISE_KEY_LEN == crypto_aead_chacha20poly1305_IETF_KEYBYTES);
G_STATIC_ASSERT (TEA_NOISE_DH_LEN == crypto_scalarmult_BYTES);

static void
ensure_sodium (void)
{
  static gsize initialized = 0;

  if (g_once_init_enter (&initialized))
    {
      if (sodium_init () < 0)
        g_error ("libsodium could not be initialised");
      g_once_init_leave (&initialized, 1);
    }
}

/* ---- Primitives ---------------------------------------------------------- */

static void
encode_nonce (guint64 n,
              guint8 out[NONCE_LEN])
{
  memset (out, 0, 4);
  for (guint i = 0; i < 8; i++)
    out[4 + i] = (guint8) (n >> (8 * i));
}

void
tea_aead_seal (const guint8 key[TEA_NOISE_KEY_LEN],
               guint64 nonce,
               const guint8 *ad,
               gsize ad_len,
               const guint8 *plain,
               gsize plain_len,
               guint8 *out)
{
  guint8 npub[NONCE_LEN];

  ensure_sodium ();
  encode_nonce (nonce, npub);
  /* libsodium encrypts in place when out == plain. */
  crypto_aead_chacha20poly1305_ietf_encrypt (out, NULL, plain, plain_len,
                                             ad, ad_len, NULL, npub, key);
}

gboolean
tea_aead_open (const guint8 key[TEA_NOISE_KEY_LEN],
               guint64 nonce,
               const guint8 *ad,
               gsize ad_len,
               const guint8 *cipher,
               gsize cipher_len,
               guint8 *out)
{
  guint8 npub[NONCE_LEN];

  if (cipher_len < TEA_NOISE_TAG_LEN)
    return FALSE;

  ensure_sodium ();
  encode_nonce (nonce, npub);
  /* The tag is checked before anything is written, so out may alias cipher. */
  return crypto_aead_chacha20poly1305_ietf_decrypt (out, NULL, NULL,
                                                    cipher, cipher_len,
                                                    ad, ad_len, npub, key) == 0;
}

void
tea_noise_rekey (guint8 key[TEA_NOISE_KEY_LEN])
{
  guint8 buf[TEA_NOISE_KEY_LEN + TEA_NOISE_TAG_LEN] = { 0 };

  tea_aead_seal (key, G_MAXUINT64, NULL, 0, buf, TEA_NOISE_KEY_LEN, buf);
  memcpy (key, buf, TEA_NOISE_KEY_LEN);
  sodium_memzero (buf, sizeof buf);
}

/* HMAC (RFC 2104) over BLAKE2b-512 with a 128-byte block, as Noise section 4.3
 * requires; BLAKE2b's own keyed mode would give different bytes. The message
 * is two pieces so HKDF need not concatenate. out may alias any input. */
static void
hmac_blake2b (const guint8 *key,
              gsize key_len,
              const guint8 *data1,
              gsize data1_len,
              const guint8 *data2,
              gsize data2_len,
              guint8 out[TEA_NOISE_HASH_LEN])
{
  guint8 block[BLAKE2B_BLOCK_LEN] = { 0 };
  guint8 inner[TEA_NOISE_HASH_LEN];
  crypto_generichash_state state;

  ensure_sodium ();

  if (key_len > BLAKE2B_BLOCK_LEN)
    crypto_generichash (block, TEA_NOISE_HASH_LEN, key, key_len, NULL, 0);
  else if (key_len > 0)
    memcpy (block, key, key_len);

  for (gsize i = 0; i < sizeof block; i++)
    block[i] ^= 0x36;
  crypto_generichash_init (&state, NULL, 0, TEA_NOISE_HASH_LEN);
  crypto_generichash_update (&state, block, sizeof block);
  crypto_generichash_update (&state, data1, data1_len);
  crypto_generichash_update (&state, data2, data2_len);
  crypto_generichash_final (&state, inner, sizeof inner);

  for (gsize i = 0; i < sizeof block; i++)
    block[i] ^= 0x36 ^ 0x5c;
  crypto_generichash_init (&state, NULL, 0, TEA_NOISE_HASH_LEN);
  crypto_generichash_update (&state, block, sizeof block);
  crypto_generichash_update (&state, inner, sizeof inner);
  crypto_generichash_final (&state, out, TEA_NOISE_HASH_LEN);

  sodium_memzero (block, sizeof block);
  sodium_memzero (inner, sizeof inner);
  sodium_memzero (&state, sizeof state);
}

void
tea_noise_hmac (const guint8 *key,
                gsize key_len,
                const guint8 *data,
                gsize data_len,
                guint8 out[TEA_NOISE_HASH_LEN])
{
  hmac_blake2b (key, key_len, data, data_len, NULL, 0, out);
}

void
tea_noise_hkdf2 (const guint8 chaining_key[TEA_NOISE_HASH_LEN],
                 const guint8 *ikm,
                 gsize ikm_len,
                 guint8 out1[TEA_NOISE_HASH_LEN],
                 guint8 out2[TEA_NOISE_HASH_LEN])
{
  static const guint8 one = 0x01, two = 0x02;
  guint8 temp_key[TEA_NOISE_HASH_LEN];

  /* chaining_key is read only here, so out1 may alias it. */
  hmac_blake2b (chaining_key, TEA_NOISE_HASH_LEN, ikm, ikm_len, NULL, 0, temp_key);
  hmac_blake2b (temp_key, sizeof temp_key, &one, 1, NULL, 0, out1);
  hmac_blake2b (temp_key, sizeof temp_key, out1, TEA_NOISE_HASH_LEN, &two, 1, out2);
  sodium_memzero (temp_key, sizeof temp_key);
}

/* X25519; FALSE for a low-order public key, whose all-zero result an attacker
 * could predict (libsodium returns -1 for it). */
static gboolean
dh (const TeaKeypair *keypair,
    const guint8 public_key[TEA_NOISE_DH_LEN],
    guint8 out[TEA_NOISE_DH_LEN])
{
  return crypto_scalarmult (out, keypair->private_key, public_key) == 0;
}

void
tea_keypair_from_private (TeaKeypair *keypair,
                          const guint8 private_key[TEA_NOISE_DH_LEN])
{
  ensure_sodium ();
  memmove (keypair->private_key, private_key, TEA_NOISE_DH_LEN);
  /* Cannot fail: a clamped scalar times the base point is never the identity. */
  crypto_scalarmult_base (keypair->public_key, keypair->private_key);
}

void
tea_keypair_generate (TeaKeypair *keypair)
{
  ensure_sodium ();
  randombytes_buf (keypair->private_key, TEA_NOISE_DH_LEN);
  tea_keypair_from_private (keypair, keypair->private_key);
}

/* ---- SymmetricState (Noise section 5.2) ---------------------------------- */

/* out = HASH (h || data); out may alias h. */
static void
hash_after (const guint8 h[TEA_NOISE_HASH_LEN],
            const guint8 *data,
            gsize data_len,
            guint8 out[TEA_NOISE_HASH_LEN])
{
  crypto_generichash_state state;

  crypto_generichash_init (&state, NULL, 0, TEA_NOISE_HASH_LEN);
  crypto_generichash_update (&state, h, TEA_NOISE_HASH_LEN);
  crypto_generichash_update (&state, data, data_len);
  crypto_generichash_final (&state, out, TEA_NOISE_HASH_LEN);
}

static void
mix_hash (TeaNoiseHandshake *hs,
          const guint8 *data,
          gsize data_len)
{
  hash_after (hs->h, data, data_len, hs->h);
}

static void
mix_key (TeaNoiseHandshake *hs,
         const guint8 *ikm,
         gsize ikm_len)
{
  guint8 temp_k[TEA_NOISE_HASH_LEN];

  tea_noise_hkdf2 (hs->ck, ikm, ikm_len, hs->ck, temp_k);
  /* HASHLEN is 64, so temp_k is truncated to the 32-byte cipher key. */
  memcpy (hs->k, temp_k, TEA_NOISE_KEY_LEN);
  hs->has_key = TRUE;
  hs->n = 0;
  sodium_memzero (temp_k, sizeof temp_k);
}

/* MixKey (DH (keypair, public_key)); FALSE on a low-order public key. */
static gboolean
mix_dh (TeaNoiseHandshake *hs,
        const TeaKeypair *keypair,
        const guint8 public_key[TEA_NOISE_DH_LEN])
{
  guint8 shared[TEA_NOISE_DH_LEN];
  gboolean ok;

  ok = dh (keypair, public_key, shared);
  if (ok)
    mix_key (hs, shared, sizeof shared);
  sodium_memzero (shared, sizeof shared);
  return ok;
}

/* Writes len (+ 16 once keyed) bytes to out. */
static void
encrypt_and_hash (TeaNoiseHandshake *hs,
                  const guint8 *plain,
                  gsize len,
                  guint8 *out)
{
  if (hs->has_key)
    {
      tea_aead_seal (hs->k, hs->n++, hs->h, sizeof hs->h, plain, len, out);
      len += TEA_NOISE_TAG_LEN;
    }
  else
    {
      memmove (out, plain, len);
    }
  mix_hash (hs, out, len);
}

static gboolean
decrypt_and_hash (TeaNoiseHandshake *hs,
                  const guint8 *cipher,
                  gsize len,
                  guint8 *out)
{
  guint8 next_h[TEA_NOISE_HASH_LEN];

  /* MixHash (ciphertext) up front: out may overwrite cipher in place. */
  hash_after (hs->h, cipher, len, next_h);
  if (hs->has_key)
    {
      if (!tea_aead_open (hs->k, hs->n, hs->h, sizeof hs->h, cipher, len, out))
        return FALSE;
      hs->n++;
    }
  else if (len > 0)
    {
      memmove (out, cipher, len);
    }
  memcpy (hs->h, next_h, sizeof hs->h);
  return TRUE;
}

/* ---- HandshakeState (Noise section 5.3) ---------------------------------- */

static void
initialize (TeaNoiseHandshake *hs,
            gboolean initiator,
            const guint8 *prologue,
            gsize prologue_len,
            const guint8 responder_public[TEA_NOISE_DH_LEN])
{
  ensure_sodium ();
  sodium_memzero (hs, sizeof *hs);
  hs->initiator = initiator;

  /* The name fits in HASHLEN bytes, so h is the zero-padded name. */
  memcpy (hs->h, TEA_NOISE_PROTOCOL_NAME, sizeof TEA_NOISE_PROTOCOL_NAME - 1);
  memcpy (hs->ck, hs->h, sizeof hs->ck);

  mix_hash (hs, prologue, prologue_len);
  /* NK pre-message "<- s". */
  mix_hash (hs, responder_public, TEA_NOISE_DH_LEN);
}

void
tea_noise_init_initiator (TeaNoiseHandshake *hs,
                          const guint8 *prologue,
                          gsize prologue_len,
                          const guint8 responder_static[TEA_NOISE_DH_LEN])
{
  initialize (hs, TRUE, prologue, prologue_len, responder_static);
  memcpy (hs->rs, responder_static, TEA_NOISE_DH_LEN);
}

void
tea_noise_init_responder (TeaNoiseHandshake *hs,
                          const guint8 *prologue,
                          gsize prologue_len,
                          const TeaKeypair *responder_static)
{
  initialize (hs, FALSE, prologue, prologue_len, responder_static->public_key);
  hs->s = *responder_static;
}

void
tea_noise_set_ephemeral (TeaNoiseHandshake *hs,
                         const TeaKeypair *ephemeral)
{
  hs->e = *ephemeral;
  hs->has_fixed_e = TRUE;
}

/* Message 1 is the initiator's, message 2 the responder's. */
static gboolean
is_my_turn (const TeaNoiseHandshake *hs)
{
  return (hs->initiator && hs->step == 0) || (!hs->initiator && hs->step == 1);
}

static gboolean
is_peer_turn (const TeaNoiseHandshake *hs)
{
  return (!hs->initiator && hs->step == 0) || (hs->initiator && hs->step == 1);
}

/* "-> e, es" or "<- e, ee" into a scratch copy of the state; the caller keeps
 * the copy only on success so a failure leaves hs untouched. */
static gboolean
write_tokens (TeaNoiseHandshake *hs,
              const guint8 *payload,
              gsize payload_len,
              guint8 *out)
{
  if (!hs->has_fixed_e)
    tea_keypair_generate (&hs->e);

  memcpy (out, hs->e.public_key, TEA_NOISE_DH_LEN);
  mix_hash (hs, hs->e.public_key, TEA_NOISE_DH_LEN);

  /* es = DH (e, rs) for the initiator; ee = DH (e, re) for the responder. */
  if (!mix_dh (hs, &hs->e, hs->initiator ? hs->rs : hs->re))
    return FALSE;

  encrypt_and_hash (hs, payload, payload_len, out + TEA_NOISE_DH_LEN);
  hs->step++;
  return TRUE;
}

gssize
tea_noise_write_message (TeaNoiseHandshake *hs,
                         const guint8 *payload,
                         gsize payload_len,
                         guint8 *out,
                         gsize out_cap)
{
  TeaNoiseHandshake scratch;
  gsize len;
  gboolean ok;

  if (!is_my_turn (hs))
    return -1;
  if (payload_len > NOISE_MAX_MESSAGE_LEN - TEA_NOISE_DH_LEN - TEA_NOISE_TAG_LEN)
    return -1;
  /* Both NK messages are encrypted: es / ee always precedes the payload. */
  len = TEA_NOISE_DH_LEN + payload_len + TEA_NOISE_TAG_LEN;
  if (out_cap < len)
    return -1;

  scratch = *hs;
  ok = write_tokens (&scratch, payload, payload_len, out);
  if (ok)
    *hs = scratch;
  sodium_memzero (&scratch, sizeof scratch);
  return ok ? (gssize) len : -1;
}

/* Mirror of write_tokens (): es = DH (s, re) for the responder, ee = DH (e, re)
 * for the initiator. */
static gboolean
read_tokens (TeaNoiseHandshake *hs,
             const guint8 *message,
             gsize message_len,
             guint8 *payload_out)
{
  memcpy (hs->re, message, TEA_NOISE_DH_LEN);
  mix_hash (hs, hs->re, TEA_NOISE_DH_LEN);

  if (!mix_dh (hs, hs->initiator ? &hs->e : &hs->s, hs->re))
    return FALSE;

  if (!decrypt_and_hash (hs, message + TEA_NOISE_DH_LEN,
                         message_len - TEA_NOISE_DH_LEN, payload_out))
    return FALSE;

  hs->step++;
  return TRUE;
}

gssize
tea_noise_read_message (TeaNoiseHandshake *hs,
                        const guint8 *message,
                        gsize message_len,
                        guint8 *payload_out,
                        gsize payload_cap)
{
  TeaNoiseHandshake scratch;
  gsize payload_len;
  gboolean ok;

  if (!is_peer_turn (hs))
    return -1;
  if (message_len < TEA_NOISE_DH_LEN + TEA_NOISE_TAG_LEN ||
      message_len > NOISE_MAX_MESSAGE_LEN)
    return -1;
  payload_len = message_len - TEA_NOISE_DH_LEN - TEA_NOISE_TAG_LEN;
  if (payload_cap < payload_len)
    return -1;

  /* A forged or corrupted message must not spoil the handshake for the
   * genuine one that may still arrive, so work on a copy. */
  scratch = *hs;
  ok = read_tokens (&scratch, message, message_len, payload_out);
  if (ok)
    *hs = scratch;
  sodium_memzero (&scratch, sizeof scratch);
  return ok ? (gssize) payload_len : -1;
}

void
tea_noise_split (const TeaNoiseHandshake *hs,
                 guint8 initiator_to_responder[TEA_NOISE_KEY_LEN],
                 guint8 responder_to_initiator[TEA_NOISE_KEY_LEN])
{
  guint8 temp_k1[TEA_NOISE_HASH_LEN];
  guint8 temp_k2[TEA_NOISE_HASH_LEN];

  if (G_UNLIKELY (hs->step != 2))
    {
      /* Fail closed: keys nobody knows rather than stale or zero ones. */
      randombytes_buf (initiator_to_responder, TEA_NOISE_KEY_LEN);
      randombytes_buf (responder_to_initiator, TEA_NOISE_KEY_LEN);
      g_return_if_reached ();
    }

  tea_noise_hkdf2 (hs->ck, NULL, 0, temp_k1, temp_k2);
  memcpy (initiator_to_responder, temp_k1, TEA_NOISE_KEY_LEN);
  memcpy (responder_to_initiator, temp_k2, TEA_NOISE_KEY_LEN);
  sodium_memzero (temp_k1, sizeof temp_k1);
  sodium_memzero (temp_k2, sizeof temp_k2);
}

void
tea_noise_get_handshake_hash (const TeaNoiseHandshake *hs,
                              guint8 out[TEA_NOISE_HASH_LEN])
{
  memcpy (out, hs->h, TEA_NOISE_HASH_LEN);
}

void
tea_noise_clear (TeaNoiseHandshake *hs)
{
  sodium_memzero (hs, sizeof *hs);
  /* An all-zero state would pass for a fresh responder whose (clamped) zero
   * private key still works, so mark it unusable instead. */
  hs->step = STEP_DEAD;
}
