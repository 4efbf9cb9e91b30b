/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Tests for tea-noise.c: published Noise_NK_25519_ChaChaPoly_BLAKE2b vectors,
 * an independent reference of the handshake built straight on libsodium, and
 * the failure cases (tampering, replays, low-order points).
 */
#include "tea-noise.h"

#include <sodium.h>
#include <string.h>

/* ---- Helpers ------------------------------------------------------------- */

static guint8 *
unhex (const gchar *hex,
       gsize *out_len)
{
  gsize len = strlen (hex);
  guint8 *buf;

  g_assert_cmpuint (len % 2, ==, 0);
  buf = g_malloc0 (len / 2 + 1);
  for (gsize i = 0; i < len / 2; i++)
    {
      gint hi = g_ascii_xdigit_value (hex[2 * i]);
      gint lo = g_ascii_xdigit_value (hex[2 * i + 1]);

      g_assert_cmpint (hi, >=, 0);
      g_assert_cmpint (lo, >=, 0);
      buf[i] = (guint8) (hi << 4 | lo);
    }
  *out_len = len / 2;
  return buf;
}

static void
unhex_fixed (const gchar *hex,
             guint8 *out,
             gsize expected_len)
{
  gsize len;
  g_autofree guint8 *buf = unhex (hex, &len);

  g_assert_cmpuint (len, ==, expected_len);
  memcpy (out, buf, len);
}

static gboolean
is_zero (const guint8 *buf,
         gsize len)
{
  for (gsize i = 0; i < len; i++)
    if (buf[i] != 0)
      return FALSE;
  return TRUE;
}

static const guint8 test_prologue[] = "teahouse test prologue";

/* A responder with a fresh static key and an initiator that knows it. */
static void
make_pair (TeaNoiseHandshake *ini,
           TeaNoiseHandshake *resp,
           TeaKeypair *server)
{
  tea_keypair_generate (server);
  tea_noise_init_initiator (ini, test_prologue, sizeof test_prologue, server->public_key);
  tea_noise_init_responder (resp, test_prologue, sizeof test_prologue, server);
}

/* ---- Independent reference ----------------------------------------------- */

/* RFC 2104 written out with one-shot hashes over concatenated buffers, unlike
 * the streaming implementation under test. */
static void
ref_hmac (const guint8 *key,
          gsize key_len,
          const guint8 *data,
          gsize data_len,
          guint8 out[64])
{
  guint8 k0[128] = { 0 };
  guint8 inner_hash[64];
  g_autoptr (GByteArray) inner = g_byte_array_new ();
  g_autoptr (GByteArray) outer = g_byte_array_new ();

  if (key_len > sizeof k0)
    crypto_generichash (k0, 64, key, key_len, NULL, 0);
  else if (key_len > 0)
    memcpy (k0, key, key_len);

  for (gsize i = 0; i < sizeof k0; i++)
    {
      guint8 ipad = k0[i] ^ 0x36;
      guint8 opad = k0[i] ^ 0x5c;

      g_byte_array_append (inner, &ipad, 1);
      g_byte_array_append (outer, &opad, 1);
    }
  if (data_len > 0)
    g_byte_array_append (inner, data, data_len);
  crypto_generichash (inner_hash, 64, inner->data, inner->len, NULL, 0);
  g_byte_array_append (outer, inner_hash, sizeof inner_hash);
  crypto_generichash (out, 64, outer->data, outer->len, NULL, 0);
}

static void
ref_hkdf2 (const guint8 ck[64],
           const guint8 *ikm,
           gsize ikm_len,
           guint8 out1[64],
           guint8 out2[64])
{
  guint8 temp_key[64];
  guint8 one = 0x01;
  guint8 buf[65];

  ref_hmac (ck, 64, ikm, ikm_len, temp_key);
  ref_hmac (temp_key, 64, &one, 1, out1);
  memcpy (buf, out1, 64);
  buf[64] = 0x02;
  ref_hmac (temp_key, 64, buf, sizeof buf, out2);
}

typedef struct
{
  guint8 ck[64];
  guint8 h[64];
  guint8 k[32];
} RefState;

static void
ref_mix_hash (RefState *st,
              const guint8 *data,
              gsize data_len)
{
  g_autoptr (GByteArray) buf = g_byte_array_new ();

  g_byte_array_append (buf, st->h, sizeof st->h);
  if (data_len > 0)
    g_byte_array_append (buf, data, data_len);
  crypto_generichash (st->h, sizeof st->h, buf->data, buf->len, NULL, 0);
}

static void
ref_init (RefState *st,
          const guint8 *prologue,
          gsize prologue_len,
          const guint8 responder_public[32])
{
  memset (st, 0, sizeof *st);
  memcpy (st->h, "Noise_NK_25519_ChaChaPoly_BLAKE2b", 33);
  memcpy (st->ck, st->h, 64);
  ref_mix_hash (st, prologue, prologue_len);
  ref_mix_hash (st, responder_public, 32);
}

/* "e, <dh>" then the encrypted payload; dh is whatever shared secret the
 * caller wants mixed in, including a forged all-zero one. */
static gsize
ref_write (RefState *st,
           const guint8 e_public[32],
           const guint8 dh[32],
           const guint8 *payload,
           gsize payload_len,
           guint8 *out)
{
  guint8 temp_k[64];
  guint8 nonce[12] = { 0 };
  unsigned long long clen;

  memcpy (out, e_public, 32);
  ref_mix_hash (st, e_public, 32);
  ref_hkdf2 (st->ck, dh, 32, st->ck, temp_k);
  memcpy (st->k, temp_k, 32);
  crypto_aead_chacha20poly1305_ietf_encrypt (out + 32, &clen, payload, payload_len,
                                             st->h, 64, NULL, nonce, st->k);
  ref_mix_hash (st, out + 32, clen);
  return 32 + clen;
}

/* Follows a message written by the real initiator, knowing dh. */
static void
ref_read (RefState *st,
          const guint8 *message,
          gsize message_len,
          const guint8 dh[32])
{
  guint8 temp_k[64];
  guint8 nonce[12] = { 0 };
  g_autofree guint8 *plain = g_malloc (message_len);

  ref_mix_hash (st, message, 32);
  ref_hkdf2 (st->ck, dh, 32, st->ck, temp_k);
  memcpy (st->k, temp_k, 32);
  g_assert_cmpint (crypto_aead_chacha20poly1305_ietf_decrypt (plain, NULL, NULL,
                                                              message + 32, message_len - 32,
                                                              st->h, 64, nonce, st->k),
                   ==, 0);
  ref_mix_hash (st, message + 32, message_len - 32);
}

/* ---- Published vectors --------------------------------------------------- */

typedef struct
{
  const gchar *prologue;
  const gchar *init_ephemeral;
  const gchar *init_remote_static;
  const gchar *resp_static;
  const gchar *resp_ephemeral;
  /* 0: initiator's handshake message, 1: responder's, then transport messages
   * alternating initiator -> responder, responder -> initiator. */
  const gchar *payloads[6];
  const gchar *ciphertexts[6];
  const gchar *handshake_hash; /* NULL if the source has none */
} NkVector;

#define VECTOR_KEYS \
  .init_ephemeral = "893e28b9dc6ca8d611ab664754b8ceb7bac5117349a4439a6b0569da977c464a", \
  .init_remote_static = "31e0303fd6418d2f8c0e78b91f22e8caed0fbe48656dcf4767e4834f701b8f62", \
  .resp_static = "4a3acbfdb163dec651dfa3194dece676d437029c62a408b4c5ea9114246e4893", \
  .resp_ephemeral = "bbdb4cdbd309f1a1f2e1456967fe288cadd6f712d65dc7b7793d5e63da6b375b", \
  .payloads = { \
    "4c756477696720766f6e204d69736573", \
    "4d757272617920526f746862617264", \
    "462e20412e20486179656b", \
    "4361726c204d656e676572", \
    "4a65616e2d426170746973746520536179", \
    "457567656e2042f6686d20766f6e2042617765726b", \
  }

/* "Noise_NK_25519_ChaChaPoly_BLAKE2b" from github.com/rweather/noise-c,
 * tests/vector/noise-c-basic.txt (commit ec5de2ca65b093234c82c45f47b46d19bfa912e4). */
static const NkVector vector_noise_c = {
  .prologue = "50726f6c6f677565313233", /* "Prologue123" */
  VECTOR_KEYS,
  .ciphertexts = {
    "ca35def5ae56cec33dc2036731ab14896bc4c75dbb07a61f879f8e3afa4c7944"
    "f3041e39b0c8ba56008f2d1183fea6acc9a221fce2945fd4e40396e046e0246b",
    "95ebc60d2b1fa672c1f46a8aa265ef51bfe38e7ccb39ec5be34069f144808843"
    "2281dcc1835131f305dca14525e15e95bbefa674d47a13fdf88fe9c79dfca5",
    "357e24e9f28ba22080666f7efacc01b2a0a4e358e742aeeff2aaf5",
    "8b23b34ff3169de06a39551e969ca7876cc5122a4acff74bf2ec29",
    "5c104779b6f36e59fca73ed94b0ae092eae1d76dd109caf5060aaaedba385d7076",
    "34ae0518d0cd3aa641ed372ea94935ceecd87f8c4b422ce21a33d3f6f5493891e3e915d83f",
  },
  .handshake_hash = "ae43dd84698159fea33f3638733584bedb74378bd418576f6cbfbb6702c483f7"
                    "e6ef17408a2aa6a991bd6758dff089253c571816b0340145ed34f6e1844ed03a",
};

/* "Noise_NK_25519_ChaChaPoly_BLAKE2b" from github.com/haskell-cryptography/cacophony,
 * vectors/cacophony.txt (commit 36c1e5c3a799342b226547ce9fdb3579ab60ccd3). Same
 * keys and payloads, another prologue and implementation. */
static const NkVector vector_cacophony = {
  .prologue = "4a6f686e2047616c74", /* "John Galt" */
  VECTOR_KEYS,
  .ciphertexts = {
    "ca35def5ae56cec33dc2036731ab14896bc4c75dbb07a61f879f8e3afa4c7944"
    "f3041e39b0c8ba56008f2d1183fea6ac83564ead0267b0842ec4c521ed1e1407",
    "95ebc60d2b1fa672c1f46a8aa265ef51bfe38e7ccb39ec5be34069f144808843"
    "2281dcc1835131f305dca14525e15e27d1f32294aa835e40fc18be480c1db9",
    "357e24e9f28ba22080666f7efacc01b2a0a4e358e742aeeff2aaf5",
    "8b23b34ff3169de06a39551e969ca7876cc5122a4acff74bf2ec29",
    "5c104779b6f36e59fca73ed94b0ae092eae1d76dd109caf5060aaaedba385d7076",
    "34ae0518d0cd3aa641ed372ea94935ceecd87f8c4b422ce21a33d3f6f5493891e3e915d83f",
  },
  .handshake_hash = NULL,
};

static void
test_vectors (gconstpointer data)
{
  const NkVector *v = data;
  TeaNoiseHandshake ini, resp;
  TeaKeypair resp_s, init_e, resp_e;
  guint8 key[TEA_NOISE_DH_LEN], rs[TEA_NOISE_DH_LEN];
  guint8 ini_hash[TEA_NOISE_HASH_LEN], resp_hash[TEA_NOISE_HASH_LEN];
  guint8 ini_tx[TEA_NOISE_KEY_LEN], ini_rx[TEA_NOISE_KEY_LEN];
  guint8 resp_tx[TEA_NOISE_KEY_LEN], resp_rx[TEA_NOISE_KEY_LEN];
  guint8 out[256], plain[256];
  gsize prologue_len;
  g_autofree guint8 *prologue = unhex (v->prologue, &prologue_len);

  unhex_fixed (v->resp_static, key, sizeof key);
  tea_keypair_from_private (&resp_s, key);
  unhex_fixed (v->init_remote_static, rs, sizeof rs);
  g_assert_cmpmem (resp_s.public_key, sizeof rs, rs, sizeof rs);
  unhex_fixed (v->init_ephemeral, key, sizeof key);
  tea_keypair_from_private (&init_e, key);
  unhex_fixed (v->resp_ephemeral, key, sizeof key);
  tea_keypair_from_private (&resp_e, key);

  tea_noise_init_initiator (&ini, prologue, prologue_len, rs);
  tea_noise_set_ephemeral (&ini, &init_e);
  tea_noise_init_responder (&resp, prologue, prologue_len, &resp_s);
  tea_noise_set_ephemeral (&resp, &resp_e);

  /* Each side writes its handshake message and reads the published one. */
  for (guint i = 0; i < 2; i++)
    {
      TeaNoiseHandshake *writer = i == 0 ? &ini : &resp;
      TeaNoiseHandshake *reader = i == 0 ? &resp : &ini;
      gsize payload_len, cipher_len;
      g_autofree guint8 *payload = unhex (v->payloads[i], &payload_len);
      g_autofree guint8 *cipher = unhex (v->ciphertexts[i], &cipher_len);

      g_assert_cmpint (tea_noise_write_message (writer, payload, payload_len, out, sizeof out),
                       ==, (gssize) cipher_len);
      g_assert_cmpmem (out, cipher_len, cipher, cipher_len);
      g_assert_cmpint (tea_noise_read_message (reader, cipher, cipher_len, plain, sizeof plain),
                       ==, (gssize) payload_len);
      g_assert_cmpmem (plain, payload_len, payload, payload_len);
    }

  tea_noise_get_handshake_hash (&ini, ini_hash);
  tea_noise_get_handshake_hash (&resp, resp_hash);
  g_assert_cmpmem (ini_hash, sizeof ini_hash, resp_hash, sizeof resp_hash);
  if (v->handshake_hash != NULL)
    {
      guint8 expected[TEA_NOISE_HASH_LEN];

      unhex_fixed (v->handshake_hash, expected, sizeof expected);
      g_assert_cmpmem (ini_hash, sizeof ini_hash, expected, sizeof expected);
    }

  tea_noise_split (&ini, ini_tx, ini_rx);
  tea_noise_split (&resp, resp_rx, resp_tx);
  g_assert_cmpmem (ini_tx, sizeof ini_tx, resp_rx, sizeof resp_rx);
  g_assert_cmpmem (ini_rx, sizeof ini_rx, resp_tx, sizeof resp_tx);

  /* Transport: fresh CipherStates per direction, nonces from 0, empty AD. */
  for (guint i = 2; i < 6; i++)
    {
      gboolean from_initiator = i % 2 == 0;
      guint64 nonce = (i - 2) / 2;
      gsize payload_len, cipher_len;
      g_autofree guint8 *payload = unhex (v->payloads[i], &payload_len);
      g_autofree guint8 *cipher = unhex (v->ciphertexts[i], &cipher_len);

      g_assert_cmpuint (cipher_len, ==, payload_len + TEA_NOISE_TAG_LEN);
      tea_aead_seal (from_initiator ? ini_tx : resp_tx, nonce, NULL, 0,
                     payload, payload_len, out);
      g_assert_cmpmem (out, cipher_len, cipher, cipher_len);
      g_assert_true (tea_aead_open (from_initiator ? resp_rx : ini_rx, nonce, NULL, 0,
                                    cipher, cipher_len, plain));
      g_assert_cmpmem (plain, payload_len, payload, payload_len);
    }

  tea_noise_clear (&ini);
  tea_noise_clear (&resp);
}

/* The implementation agrees with the reference above on random keys, which
 * also checks the reference before it is used to forge messages. */
static void
test_reference (void)
{
  TeaNoiseHandshake ini, resp;
  TeaKeypair server, ref_e;
  RefState ref;
  guint8 dh[32], out[128], plain[128];
  guint8 k1[64], k2[64], hash[64], tx[32], rx[32];
  const guint8 payload[] = "reference";
  gsize len;

  make_pair (&ini, &resp, &server);

  /* The reference as initiator, the real responder reads. */
  tea_keypair_generate (&ref_e);
  g_assert_cmpint (crypto_scalarmult (dh, ref_e.private_key, server.public_key), ==, 0);
  ref_init (&ref, test_prologue, sizeof test_prologue, server.public_key);
  len = ref_write (&ref, ref_e.public_key, dh, payload, sizeof payload, out);
  g_assert_cmpint (tea_noise_read_message (&resp, out, len, plain, sizeof plain),
                   ==, sizeof payload);
  g_assert_cmpmem (plain, sizeof payload, payload, sizeof payload);

  /* The real responder answers, the reference follows. */
  len = tea_noise_write_message (&resp, NULL, 0, out, sizeof out);
  g_assert_cmpint (len, ==, 48);
  g_assert_cmpint (crypto_scalarmult (dh, ref_e.private_key, out), ==, 0);
  ref_read (&ref, out, len, dh);

  tea_noise_get_handshake_hash (&resp, hash);
  g_assert_cmpmem (hash, sizeof hash, ref.h, sizeof ref.h);
  ref_hkdf2 (ref.ck, NULL, 0, k1, k2);
  tea_noise_split (&resp, rx, tx);
  g_assert_cmpmem (rx, 32, k1, 32);
  g_assert_cmpmem (tx, 32, k2, 32);

  tea_noise_clear (&ini);
  tea_noise_clear (&resp);
}

/* ---- Failure cases ------------------------------------------------------- */

static void
assert_flips_rejected (TeaNoiseHandshake *reader,
                       const guint8 *message,
                       gsize len)
{
  static const guint8 masks[] = { 0x01, 0x80, 0xff };
  g_autofree guint8 *copy = g_malloc (len + 1);
  guint8 plain[256];
  TeaNoiseHandshake before = *reader;

  for (gsize i = 0; i < len; i++)
    for (guint m = 0; m < G_N_ELEMENTS (masks); m++)
      {
        memcpy (copy, message, len);
        copy[i] ^= masks[m];
        g_assert_cmpint (tea_noise_read_message (reader, copy, len, plain, sizeof plain), ==, -1);
      }

  /* Truncated or extended messages fail too. */
  memcpy (copy, message, len);
  copy[len] = 0;
  g_assert_cmpint (tea_noise_read_message (reader, copy, 0, plain, sizeof plain), ==, -1);
  g_assert_cmpint (tea_noise_read_message (reader, copy, 47, plain, sizeof plain), ==, -1);
  g_assert_cmpint (tea_noise_read_message (reader, copy, len - 1, plain, sizeof plain), ==, -1);
  g_assert_cmpint (tea_noise_read_message (reader, copy, len + 1, plain, sizeof plain), ==, -1);

  /* Failed reads leave the state as it was. */
  g_assert_cmpmem (reader, sizeof *reader, &before, sizeof before);
  sodium_memzero (&before, sizeof before);
}

static void
test_tamper_message1 (void)
{
  TeaNoiseHandshake ini, resp;
  TeaKeypair server;
  const guint8 payload[] = "hello";
  guint8 msg[128], plain[128];
  gssize len;

  make_pair (&ini, &resp, &server);
  len = tea_noise_write_message (&ini, payload, sizeof payload, msg, sizeof msg);
  g_assert_cmpint (len, ==, 32 + sizeof payload + 16);

  assert_flips_rejected (&resp, msg, len);

  /* The genuine message still goes through afterwards. */
  g_assert_cmpint (tea_noise_read_message (&resp, msg, len, plain, sizeof plain),
                   ==, sizeof payload);
  g_assert_cmpmem (plain, sizeof payload, payload, sizeof payload);

  tea_noise_clear (&ini);
  tea_noise_clear (&resp);
}

static void
test_tamper_message2 (void)
{
  TeaNoiseHandshake ini, resp;
  TeaKeypair server;
  const guint8 payload[] = "welcome";
  guint8 msg[128], plain[128];
  guint8 a_tx[32], a_rx[32], b_tx[32], b_rx[32];
  gssize len;

  make_pair (&ini, &resp, &server);
  len = tea_noise_write_message (&ini, NULL, 0, msg, sizeof msg);
  g_assert_cmpint (tea_noise_read_message (&resp, msg, len, NULL, 0), ==, 0);
  len = tea_noise_write_message (&resp, payload, sizeof payload, msg, sizeof msg);
  g_assert_cmpint (len, ==, 32 + sizeof payload + 16);

  assert_flips_rejected (&ini, msg, len);

  g_assert_cmpint (tea_noise_read_message (&ini, msg, len, plain, sizeof plain),
                   ==, sizeof payload);
  g_assert_cmpmem (plain, sizeof payload, payload, sizeof payload);
  tea_noise_split (&ini, a_tx, a_rx);
  tea_noise_split (&resp, b_rx, b_tx);
  g_assert_cmpmem (a_tx, 32, b_rx, 32);
  g_assert_cmpmem (a_rx, 32, b_tx, 32);

  tea_noise_clear (&ini);
  tea_noise_clear (&resp);
}

static void
test_out_of_turn (void)
{
  TeaNoiseHandshake ini, resp;
  TeaKeypair server;
  guint8 msg1[64], msg2[64], other[64], plain[64];
  gssize len1, len2;

  make_pair (&ini, &resp, &server);
  memset (other, 0x42, sizeof other);

  /* The responder cannot speak first, the initiator cannot listen first. */
  g_assert_cmpint (tea_noise_write_message (&resp, NULL, 0, other, sizeof other), ==, -1);
  g_assert_cmpint (tea_noise_read_message (&ini, other, 48, plain, sizeof plain), ==, -1);

  len1 = tea_noise_write_message (&ini, NULL, 0, msg1, sizeof msg1);
  g_assert_cmpint (len1, ==, 48);
  g_assert_cmpint (tea_noise_write_message (&ini, NULL, 0, other, sizeof other), ==, -1);
  /* Its own message reflected back is not a valid answer. */
  g_assert_cmpint (tea_noise_read_message (&ini, msg1, len1, plain, sizeof plain), ==, -1);

  g_assert_cmpint (tea_noise_read_message (&resp, msg1, len1, plain, sizeof plain), ==, 0);
  /* Replay. */
  g_assert_cmpint (tea_noise_read_message (&resp, msg1, len1, plain, sizeof plain), ==, -1);

  len2 = tea_noise_write_message (&resp, NULL, 0, msg2, sizeof msg2);
  g_assert_cmpint (len2, ==, 48);
  g_assert_cmpint (tea_noise_write_message (&resp, NULL, 0, other, sizeof other), ==, -1);
  g_assert_cmpint (tea_noise_read_message (&resp, msg2, len2, plain, sizeof plain), ==, -1);

  g_assert_cmpint (tea_noise_read_message (&ini, msg2, len2, plain, sizeof plain), ==, 0);
  g_assert_cmpint (tea_noise_read_message (&ini, msg2, len2, plain, sizeof plain), ==, -1);
  g_assert_cmpint (tea_noise_write_message (&ini, NULL, 0, other, sizeof other), ==, -1);
  g_assert_cmpuint (ini.step, ==, 2);
  g_assert_cmpuint (resp.step, ==, 2);

  tea_noise_clear (&ini);
  tea_noise_clear (&resp);
}

/* Curve25519 points of small order (libsodium's blacklist, plus encodings of
 * the same points above p). Any of them as a public key gives a DH result an
 * attacker knows in advance. */
static const gchar *low_order_points[] = {
  "0000000000000000000000000000000000000000000000000000000000000000",
  "0100000000000000000000000000000000000000000000000000000000000000",
  "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
  "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
  "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
  "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
  "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
};

static void
test_low_order (void)
{
  const guint8 payload[] = "forged";
  const guint8 zeros[32] = { 0 };

  for (guint p = 0; p < G_N_ELEMENTS (low_order_points); p++)
    {
      TeaNoiseHandshake ini, resp, bad;
      TeaKeypair server, ref_e;
      RefState ref;
      guint8 point[32], dh[32], msg[128], plain[128];
      gssize len;

      unhex_fixed (low_order_points[p], point, sizeof point);
      make_pair (&ini, &resp, &server);

      /* Message 1 with a low-order e, forged to be valid were the zero DH
       * output accepted: the responder must refuse it. */
      ref_init (&ref, test_prologue, sizeof test_prologue, server.public_key);
      len = ref_write (&ref, point, zeros, payload, sizeof payload, msg);
      g_assert_cmpint (tea_noise_read_message (&resp, msg, len, plain, sizeof plain), ==, -1);

      /* Message 2 likewise, from a responder that knows the real static key. */
      len = tea_noise_write_message (&ini, NULL, 0, msg, sizeof msg);
      g_assert_cmpint (len, ==, 48);
      g_assert_cmpint (crypto_scalarmult (dh, server.private_key, msg), ==, 0);
      ref_init (&ref, test_prologue, sizeof test_prologue, server.public_key);
      ref_read (&ref, msg, len, dh);
      {
        RefState honest = ref;

        len = ref_write (&ref, point, zeros, payload, sizeof payload, msg);
        g_assert_cmpint (tea_noise_read_message (&ini, msg, len, plain, sizeof plain), ==, -1);

        /* The same forgery with a real key is accepted, so it was the zero
         * DH check that refused the one above. */
        tea_keypair_generate (&ref_e);
        g_assert_cmpint (crypto_scalarmult (dh, ref_e.private_key, ini.e.public_key), ==, 0);
        len = ref_write (&honest, ref_e.public_key, dh, payload, sizeof payload, msg);
        g_assert_cmpint (tea_noise_read_message (&ini, msg, len, plain, sizeof plain),
                         ==, sizeof payload);
      }

      /* An initiator given a low-order responder key refuses to write. */
      tea_noise_init_initiator (&bad, test_prologue, sizeof test_prologue, point);
      g_assert_cmpint (tea_noise_write_message (&bad, NULL, 0, msg, sizeof msg), ==, -1);
      g_assert_cmpuint (bad.step, ==, 0);

      tea_noise_clear (&ini);
      tea_noise_clear (&resp);
      tea_noise_clear (&bad);
    }
}

static void
test_mismatch (void)
{
  TeaNoiseHandshake ini, resp;
  TeaKeypair server, other;
  guint8 msg[64], plain[64];
  gssize len;

  /* Different prologues. */
  make_pair (&ini, &resp, &server);
  tea_noise_init_initiator (&ini, (const guint8 *) "other", 5, server.public_key);
  len = tea_noise_write_message (&ini, NULL, 0, msg, sizeof msg);
  g_assert_cmpint (tea_noise_read_message (&resp, msg, len, plain, sizeof plain), ==, -1);

  /* The initiator expects another server. */
  tea_keypair_generate (&other);
  tea_noise_init_initiator (&ini, test_prologue, sizeof test_prologue, other.public_key);
  len = tea_noise_write_message (&ini, NULL, 0, msg, sizeof msg);
  g_assert_cmpint (tea_noise_read_message (&resp, msg, len, plain, sizeof plain), ==, -1);

  tea_noise_clear (&ini);
  tea_noise_clear (&resp);
}

/* ---- Round trips and buffers --------------------------------------------- */

static void
test_roundtrip (void)
{
  static const gsize sizes[] = { 0, 1, 100, 1000 };

  for (guint s = 0; s < G_N_ELEMENTS (sizes); s++)
    {
      TeaNoiseHandshake ini, resp;
      TeaKeypair server;
      gsize n = sizes[s];
      g_autofree guint8 *payload = g_malloc (n + 1);
      g_autofree guint8 *msg = g_malloc (n + 48);
      g_autofree guint8 *plain = g_malloc (n + 1);
      guint8 h1[64], h2[64], a_tx[32], a_rx[32], b_tx[32], b_rx[32];
      guint8 data[16 + 5];
      gssize len;

      randombytes_buf (payload, n + 1);
      make_pair (&ini, &resp, &server);

      len = tea_noise_write_message (&ini, payload, n, msg, n + 48);
      g_assert_cmpint (len, ==, (gssize) (n + 48));
      g_assert_cmpint (tea_noise_read_message (&resp, msg, len, plain, n), ==, (gssize) n);
      g_assert_cmpmem (plain, n, payload, n);

      len = tea_noise_write_message (&resp, payload, n, msg, n + 48);
      g_assert_cmpint (len, ==, (gssize) (n + 48));
      g_assert_cmpint (tea_noise_read_message (&ini, msg, len, plain, n), ==, (gssize) n);
      g_assert_cmpmem (plain, n, payload, n);

      tea_noise_get_handshake_hash (&ini, h1);
      tea_noise_get_handshake_hash (&resp, h2);
      g_assert_cmpmem (h1, 64, h2, 64);
      tea_noise_split (&ini, a_tx, a_rx);
      tea_noise_split (&resp, b_rx, b_tx);
      g_assert_cmpmem (a_tx, 32, b_rx, 32);
      g_assert_cmpmem (a_rx, 32, b_tx, 32);
      g_assert_false (memcmp (a_tx, a_rx, 32) == 0);

      tea_aead_seal (a_tx, 7, NULL, 0, (const guint8 *) "hello", 5, data);
      g_assert_true (tea_aead_open (b_rx, 7, NULL, 0, data, sizeof data, data));
      g_assert_cmpmem (data, 5, "hello", 5);

      tea_noise_clear (&ini);
      tea_noise_clear (&resp);
    }

  /* Same keys, fresh ephemeral: a different first message each time. */
  {
    TeaNoiseHandshake ini;
    TeaKeypair server;
    guint8 first_msg[2][64];

    tea_keypair_generate (&server);
    tea_noise_init_initiator (&ini, NULL, 0, server.public_key);
    g_assert_cmpint (tea_noise_write_message (&ini, NULL, 0, first_msg[0], 64), ==, 48);
    tea_noise_init_initiator (&ini, NULL, 0, server.public_key);
    g_assert_cmpint (tea_noise_write_message (&ini, NULL, 0, first_msg[1], 64), ==, 48);
    g_assert_false (memcmp (first_msg[0], first_msg[1], 48) == 0);
    tea_noise_clear (&ini);
  }
}

static void
test_buffers (void)
{
  TeaNoiseHandshake ini, resp, before;
  TeaKeypair server;
  const guint8 payload[10] = "0123456789";
  guint8 msg[64], plain[64];
  gssize len;

  make_pair (&ini, &resp, &server);

  /* Too small an output buffer: refused, nothing consumed. */
  before = ini;
  g_assert_cmpint (tea_noise_write_message (&ini, payload, sizeof payload, msg, 57), ==, -1);
  g_assert_cmpmem (&ini, sizeof ini, &before, sizeof before);
  len = tea_noise_write_message (&ini, payload, sizeof payload, msg, 58);
  g_assert_cmpint (len, ==, 58);

  before = resp;
  g_assert_cmpint (tea_noise_read_message (&resp, msg, len, plain, 9), ==, -1);
  g_assert_cmpmem (&resp, sizeof resp, &before, sizeof before);
  g_assert_cmpint (tea_noise_read_message (&resp, msg, len, plain, 10), ==, 10);
  g_assert_cmpmem (plain, 10, payload, 10);

  /* Longer than any Noise message may be. */
  {
    g_autofree guint8 *big = g_malloc0 (70000);

    g_assert_cmpint (tea_noise_write_message (&resp, big, 65535 - 47, big, 70000), ==, -1);
    g_assert_cmpint (tea_noise_read_message (&ini, big, 65536, big, 70000), ==, -1);
  }

  sodium_memzero (&before, sizeof before);
  tea_noise_clear (&ini);
  tea_noise_clear (&resp);
}

static void
test_clear (void)
{
  TeaNoiseHandshake ini, resp;
  TeaKeypair server;
  guint8 msg[64], plain[64];
  gssize len;

  make_pair (&ini, &resp, &server);
  len = tea_noise_write_message (&ini, NULL, 0, msg, sizeof msg);
  g_assert_cmpint (tea_noise_read_message (&resp, msg, len, plain, sizeof plain), ==, 0);

  tea_noise_clear (&resp);
  g_assert_true (is_zero (resp.s.private_key, 32));
  g_assert_true (is_zero (resp.e.private_key, 32));
  g_assert_true (is_zero (resp.ck, sizeof resp.ck));
  g_assert_true (is_zero (resp.h, sizeof resp.h));
  g_assert_true (is_zero (resp.k, sizeof resp.k));

  /* A wiped state is dead, not a fresh responder with a zero key. */
  g_assert_cmpint (tea_noise_write_message (&resp, NULL, 0, msg, sizeof msg), ==, -1);
  g_assert_cmpint (tea_noise_read_message (&resp, msg, len, plain, sizeof plain), ==, -1);

  /* This message would fool an all-zero responder state: a zero private key
   * is clamped to a usable scalar, so the DH result is not zero. */
  {
    RefState zeroed = { 0 };
    TeaKeypair attacker;
    const guint8 zero_key[32] = { 0 };
    guint8 dh[32];

    tea_keypair_generate (&attacker);
    g_assert_cmpint (crypto_scalarmult (dh, zero_key, attacker.public_key), ==, 0);
    len = ref_write (&zeroed, attacker.public_key, dh, (const guint8 *) "x", 1, msg);
    g_assert_cmpint (tea_noise_read_message (&resp, msg, len, plain, sizeof plain), ==, -1);
  }

  tea_noise_clear (&ini);
}

/* ---- AEAD, rekey, HMAC, HKDF --------------------------------------------- */

static void
test_aead (void)
{
  guint8 key[32], ad[20], plain[100], cipher[116], copy[116], out[116];
  guint8 nonce_bytes[12] = { 0, 0, 0, 0, 0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01 };
  const guint64 nonce = G_GUINT64_CONSTANT (0x0102030405060708);

  randombytes_buf (key, sizeof key);
  randombytes_buf (ad, sizeof ad);
  randombytes_buf (plain, sizeof plain);

  /* The nonce is 32 zero bits then the counter little-endian. */
  tea_aead_seal (key, nonce, ad, sizeof ad, plain, sizeof plain, cipher);
  crypto_aead_chacha20poly1305_ietf_encrypt (out, NULL, plain, sizeof plain, ad, sizeof ad,
                                             NULL, nonce_bytes, key);
  g_assert_cmpmem (cipher, sizeof cipher, out, sizeof out);

  g_assert_true (tea_aead_open (key, nonce, ad, sizeof ad, cipher, sizeof cipher, out));
  g_assert_cmpmem (out, sizeof plain, plain, sizeof plain);

  /* Any flipped ciphertext or tag byte. */
  for (gsize i = 0; i < sizeof cipher; i++)
    {
      memcpy (copy, cipher, sizeof copy);
      copy[i] ^= 0x01;
      g_assert_false (tea_aead_open (key, nonce, ad, sizeof ad, copy, sizeof copy, out));
    }
  /* Any flipped AD byte, or missing AD. */
  for (gsize i = 0; i < sizeof ad; i++)
    {
      ad[i] ^= 0x80;
      g_assert_false (tea_aead_open (key, nonce, ad, sizeof ad, cipher, sizeof cipher, out));
      ad[i] ^= 0x80;
    }
  g_assert_false (tea_aead_open (key, nonce, NULL, 0, cipher, sizeof cipher, out));
  /* Wrong nonce, including the same counter big-endian, and wrong key. */
  g_assert_false (tea_aead_open (key, nonce + 1, ad, sizeof ad, cipher, sizeof cipher, out));
  g_assert_false (tea_aead_open (key, GUINT64_SWAP_LE_BE (nonce), ad, sizeof ad,
                                 cipher, sizeof cipher, out));
  key[0] ^= 1;
  g_assert_false (tea_aead_open (key, nonce, ad, sizeof ad, cipher, sizeof cipher, out));
  key[0] ^= 1;
  /* Shorter than a tag. */
  g_assert_false (tea_aead_open (key, nonce, ad, sizeof ad, cipher, 15, out));
  g_assert_false (tea_aead_open (key, nonce, ad, sizeof ad, cipher, 0, out));

  /* In place, both ways. */
  memcpy (copy, plain, sizeof plain);
  tea_aead_seal (key, nonce, ad, sizeof ad, copy, sizeof plain, copy);
  g_assert_cmpmem (copy, sizeof copy, cipher, sizeof cipher);
  g_assert_true (tea_aead_open (key, nonce, ad, sizeof ad, copy, sizeof copy, copy));
  g_assert_cmpmem (copy, sizeof plain, plain, sizeof plain);

  /* Empty plaintext is just a tag. */
  tea_aead_seal (key, 0, NULL, 0, NULL, 0, out);
  g_assert_true (tea_aead_open (key, 0, NULL, 0, out, 16, copy));
  g_assert_false (tea_aead_open (key, 1, NULL, 0, out, 16, copy));
}

static void
test_rekey (void)
{
  guint8 key[32], expected[48], nonce_bytes[12];
  const guint8 zeros[32] = { 0 };

  for (guint round = 0; round < 4; round++)
    {
      randombytes_buf (key, sizeof key);
      /* ENCRYPT (k, 2^64 - 1, "", zeros)[:32], straight from libsodium. */
      memset (nonce_bytes, 0, 4);
      memset (nonce_bytes + 4, 0xff, 8);
      crypto_aead_chacha20poly1305_ietf_encrypt (expected, NULL, zeros, sizeof zeros, NULL, 0,
                                                 NULL, nonce_bytes, key);
      tea_noise_rekey (key);
      g_assert_cmpmem (key, sizeof key, expected, 32);
    }
}

static void
test_hmac_known (void)
{
  /* RFC 4231 test cases 1, 2 and 6 run through HMAC-BLAKE2b-512; expected
   * values from CPython's hmac.new (key, msg, hashlib.blake2b), an unrelated
   * implementation with the same 128-byte block. */
  static const struct
  {
    const gchar *key;
    const gchar *data;
    const gchar *mac;
  } cases[] = {
    { "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b",
      "4869205468657265", /* "Hi There" */
      "358a6a184924894fc34bee5680eedf57d84a37bb38832f288e3b27dc63a98cc8"
      "c91e76da476b508bc6b2d408a248857452906e4a20b48c6b4b55d2df0fe1dd24" },
    { "4a656665", /* "Jefe" */
      "7768617420646f2079612077616e7420666f72206e6f7468696e673f",
      "6ff884f8ddc2a6586b3c98a4cd6ebdf14ec10204b6710073eb5865ade37a2643"
      "b8807c1335d107ecdb9ffeaeb6828c4625ba172c66379efcd222c2de11727ab4" },
    { NULL, /* 131 bytes of 0xaa: longer than a block, hashed first */
      "54657374205573696e67204c6172676572205468616e20426c6f636b2d53697a"
      "65204b6579202d2048617368204b6579204669727374",
      "a54b2943b2a20227d41ca46c0945af09bc1faefb2f49894c23aebc557fb79c48"
      "89dca74408dc865086667aedee4a3185c53a49c80b814c4c5813ea0c8b38a8f8" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      gsize key_len, data_len;
      g_autofree guint8 *key = NULL;
      g_autofree guint8 *data = unhex (cases[i].data, &data_len);
      guint8 expected[64], out[64];

      if (cases[i].key != NULL)
        {
          key = unhex (cases[i].key, &key_len);
        }
      else
        {
          key_len = 131;
          key = g_malloc (key_len);
          memset (key, 0xaa, key_len);
        }
      unhex_fixed (cases[i].mac, expected, sizeof expected);
      tea_noise_hmac (key, key_len, data, data_len, out);
      g_assert_cmpmem (out, sizeof out, expected, sizeof expected);
    }
}

static void
test_hmac_reference (void)
{
  static const gsize key_lens[] = { 0, 1, 32, 64, 127, 128, 129, 300 };
  static const gsize data_lens[] = { 0, 1, 64, 65, 127, 128, 129, 1000 };
  guint8 key[300], data[1000], out[64], expected[64], keyed[64];

  randombytes_buf (key, sizeof key);
  randombytes_buf (data, sizeof data);

  for (guint k = 0; k < G_N_ELEMENTS (key_lens); k++)
    for (guint d = 0; d < G_N_ELEMENTS (data_lens); d++)
      {
        tea_noise_hmac (key, key_lens[k], data, data_lens[d], out);
        ref_hmac (key, key_lens[k], data, data_lens[d], expected);
        g_assert_cmpmem (out, sizeof out, expected, sizeof expected);
      }

  /* Not BLAKE2b's keyed mode. */
  crypto_generichash (keyed, sizeof keyed, data, 32, key, 32);
  tea_noise_hmac (key, 32, data, 32, out);
  g_assert_false (memcmp (out, keyed, sizeof out) == 0);

  /* out may alias the key or the data. */
  memcpy (out, data, 64);
  tea_noise_hmac (key, 64, out, 64, out);
  ref_hmac (key, 64, data, 64, expected);
  g_assert_cmpmem (out, sizeof out, expected, sizeof expected);
  memcpy (out, key, 64);
  tea_noise_hmac (out, 64, data, 10, out);
  ref_hmac (key, 64, data, 10, expected);
  g_assert_cmpmem (out, sizeof out, expected, sizeof expected);
}

static void
test_hkdf (void)
{
  static const gsize ikm_lens[] = { 0, 32, 100 };
  guint8 ck[64], ikm[100], out1[64], out2[64], exp1[64], exp2[64];

  randombytes_buf (ck, sizeof ck);
  randombytes_buf (ikm, sizeof ikm);

  for (guint i = 0; i < G_N_ELEMENTS (ikm_lens); i++)
    {
      tea_noise_hkdf2 (ck, ikm_lens[i] ? ikm : NULL, ikm_lens[i], out1, out2);
      ref_hkdf2 (ck, ikm, ikm_lens[i], exp1, exp2);
      g_assert_cmpmem (out1, 64, exp1, 64);
      g_assert_cmpmem (out2, 64, exp2, 64);
    }
}

/* MixKey writes the new chaining key over the old one. */
static void
test_hkdf_alias (void)
{
  guint8 ck[64], saved[64], ikm[32], out2[64], exp1[64], exp2[64];

  randombytes_buf (ck, sizeof ck);
  randombytes_buf (ikm, sizeof ikm);
  memcpy (saved, ck, sizeof ck);

  ref_hkdf2 (saved, ikm, sizeof ikm, exp1, exp2);
  tea_noise_hkdf2 (ck, ikm, sizeof ikm, ck, out2);
  g_assert_cmpmem (ck, 64, exp1, 64);
  g_assert_cmpmem (out2, 64, exp2, 64);
}

int
main (int argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_assert_cmpint (sodium_init (), >=, 0);

  g_test_add_data_func ("/tea/noise/vectors/noise-c", &vector_noise_c, test_vectors);
  g_test_add_data_func ("/tea/noise/vectors/cacophony", &vector_cacophony, test_vectors);
  g_test_add_func ("/tea/noise/reference", test_reference);
  g_test_add_func ("/tea/noise/tamper/message1", test_tamper_message1);
  g_test_add_func ("/tea/noise/tamper/message2", test_tamper_message2);
  g_test_add_func ("/tea/noise/out-of-turn", test_out_of_turn);
  g_test_add_func ("/tea/noise/low-order", test_low_order);
  g_test_add_func ("/tea/noise/mismatch", test_mismatch);
  g_test_add_func ("/tea/noise/roundtrip", test_roundtrip);
  g_test_add_func ("/tea/noise/buffers", test_buffers);
  g_test_add_func ("/tea/noise/clear", test_clear);
  g_test_add_func ("/tea/noise/aead", test_aead);
  g_test_add_func ("/tea/noise/rekey", test_rekey);
  g_test_add_func ("/tea/noise/hmac/known", test_hmac_known);
  g_test_add_func ("/tea/noise/hmac/reference", test_hmac_reference);
  g_test_add_func ("/tea/noise/hkdf", test_hkdf);
  g_test_add_func ("/tea/noise/hkdf/alias", test_hkdf_alias);

  return g_test_run ();
}
