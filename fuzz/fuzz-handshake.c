/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * fuzz-handshake: the relay's responder side (HELLO, COOKIE, INIT, Noise
 * NK, REJECT, retransmitted INITs, stateless resets) through
 * tea_relay_receive(), with a fixed server key and a fake clock.
 *
 * To get past the cookie, INITs are built by the harness: the fuzzer picks
 * which cookie goes in (the one the relay gave this address, one it gave
 * another address, made-up bytes), which Noise message (a real one, a
 * retransmission, bytes of its own), and how the datagram is cut or padded.
 * A real INIT with a valid cookie must be answered with an ACCEPT that
 * opens; its session must then carry a packet.
 *
 * Input: a config byte (session and rate limits), then operations.
 */
#include <string.h>

#include "fuzz-net.h"
#include "tea-frame.h"

const char fuzz_target_name[] = "fuzz-handshake";

#define N_SLOTS 4

enum { OP_HELLO, OP_INIT, OP_RAW, OP_CLOCK, OP_SESSION, OP_REPLAY_INIT, N_OPS };
enum { COOKIE_OWN, COOKIE_OTHER, COOKIE_BYTES, COOKIE_ZERO, N_COOKIES };

/* One client attempt: its address, its handshake, and once accepted, the
 * session keys. */
typedef struct
{
  guint addr;
  guint attempt;
  FuzzHandshake hs;
  gboolean has_cookie;
  guint8 cookie[TEA_COOKIE_LEN];
  gboolean established;
  guint64 session_id;
  guint8 c2s[TEA_KEY_LEN];
  guint64 next_pn;
} Slot;

typedef struct
{
  FuzzNet net;
  Slot slots[N_SLOTS];
  /* The latest cookie handed to each address, whoever asked. */
  gboolean has_cookie[FUZZ_N_ADDRS];
  guint8 cookies[FUZZ_N_ADDRS][TEA_COOKIE_LEN];
} Harness;

static void
new_token (Slot *slot, guint index)
{
  /* Unique per slot and attempt, so an ACCEPT is never mistaken for
   * another slot's. */
  memset (slot->hs.token, 0, TEA_CLIENT_TOKEN_LEN);
  slot->hs.token[0] = 0xf0 | index;
  slot->hs.token[1] = slot->attempt >> 8;
  slot->hs.token[2] = slot->attempt & 0xff;
  slot->attempt++;
}

static void
harness_init (Harness *h, guint8 config_byte)
{
  TeaRelayConfig config;

  memset (h, 0, sizeof *h);
  tea_relay_config_init (&config);
  /* Small limits, so SERVER_FULL and RATE_LIMITED are reachable. */
  config.max_sessions = 1 + config_byte % 4;
  config.handshake_burst = 1 + (config_byte >> 2) % 4;
  config.handshake_rate = 1 + (config_byte >> 4) % 8;
  fuzz_net_init (&h->net, &config, 1);
  tea_relay_config_clear (&config);
  for (guint i = 0; i < N_SLOTS; i++)
    new_token (&h->slots[i], i);
}

/* Remembers cookies and ACCEPTs from what the relay just sent. */
static void
collect (Harness *h)
{
  g_autoptr (GPtrArray) output = fuzz_net_take_output (&h->net);

  for (guint i = 0; i < N_SLOTS; i++)
    {
      Slot *slot = &h->slots[i];
      TeaAcceptParams params;
      guint8 s2c[TEA_KEY_LEN];

      if (fuzz_find_cookie (output, slot->addr, slot->hs.token, slot->cookie))
        {
          slot->has_cookie = TRUE;
          h->has_cookie[slot->addr] = TRUE;
          memcpy (h->cookies[slot->addr], slot->cookie, TEA_COOKIE_LEN);
        }
      if (!slot->established && fuzz_find_accept (output, slot->addr, &slot->hs, &params, slot->c2s, s2c))
        {
          slot->established = TRUE;
          slot->session_id = params.session_id;
          slot->next_pn = 0;
        }
    }
}

/* Cuts or pads a handshake datagram as the fuzzer says. */
static gsize
shape_length (FuzzInput *in, guint8 *buf, gsize len, gsize cap)
{
  guint8 mode = fuzz_u8 (in);
  gsize wanted;

  if ((mode & 0x80) == 0)
    return len;
  wanted = fuzz_u16 (in) % (TEA_MAX_DATAGRAM + 64);
  return MIN (wanted, cap);
}

static void
op_hello (Harness *h, FuzzInput *in)
{
  Slot *slot = &h->slots[fuzz_u8 (in) % N_SLOTS];
  guint8 buf[TEA_MAX_DATAGRAM + 64] = { 0 };
  gsize len;

  /* A new attempt, maybe from elsewhere; the old session is left to
   * time out (roaming is fuzz-relay's business). */
  slot->addr = fuzz_u8 (in) % FUZZ_N_ADDRS;
  slot->established = FALSE;
  len = fuzz_build_hello (slot->hs.token, buf);
  len = shape_length (in, buf, len, sizeof buf);
  fuzz_net_send (&h->net, slot->addr, buf, len);
  collect (h);
}

static void
choose_cookie (Harness *h, Slot *slot, FuzzInput *in, guint8 cookie[TEA_COOKIE_LEN])
{
  const guint8 *bytes;
  guint other;
  gsize n;

  memset (cookie, 0, TEA_COOKIE_LEN);
  switch (fuzz_u8 (in) % N_COOKIES)
    {
    case COOKIE_OWN:
      if (slot->has_cookie)
        memcpy (cookie, slot->cookie, TEA_COOKIE_LEN);
      break;
    case COOKIE_OTHER:
      other = fuzz_u8 (in) % FUZZ_N_ADDRS;
      if (h->has_cookie[other])
        memcpy (cookie, h->cookies[other], TEA_COOKIE_LEN);
      break;
    case COOKIE_BYTES:
      n = fuzz_take (in, TEA_COOKIE_LEN, &bytes);
      memcpy (cookie, bytes, n);
      break;
    case COOKIE_ZERO:
      break;
    }
}

/* An INIT of the fuzzer's own: its noise_len and Noise bytes. */
static gsize
build_raw_init (Slot *slot, FuzzInput *in, const guint8 cookie[TEA_COOKIE_LEN], guint8 *out, gsize cap)
{
  TeaInit init = { 0 };
  const guint8 *noise;

  memcpy (init.client_token, slot->hs.token, TEA_CLIENT_TOKEN_LEN);
  memcpy (init.cookie, cookie, TEA_COOKIE_LEN);
  init.noise_len = fuzz_take (in, fuzz_u8 (in), &noise);
  init.noise = noise;
  return tea_init_encode (&init, out, cap);
}

static void
op_init (Harness *h, FuzzInput *in)
{
  guint index = fuzz_u8 (in) % N_SLOTS;
  Slot *slot = &h->slots[index];
  guint8 cookie[TEA_COOKIE_LEN];
  guint8 buf[TEA_MAX_DATAGRAM + 64] = { 0 };
  gsize len;

  choose_cookie (h, slot, in, cookie);
  if (fuzz_u8 (in) & 1)
    {
      len = build_raw_init (slot, in, cookie, buf, sizeof buf);
    }
  else
    {
      /* A new attempt: a fresh token and Noise ephemeral. */
      new_token (slot, index);
      slot->established = FALSE;
      fuzz_build_init (&slot->hs, tea_relay_get_public_key (h->net.relay), cookie);
      memcpy (buf, slot->hs.init, slot->hs.init_len);
      len = slot->hs.init_len;
    }
  len = shape_length (in, buf, len, sizeof buf);
  fuzz_net_send (&h->net, slot->addr, buf, len);
  collect (h);
}

/* The slot's last real INIT again (its ACCEPT was lost), maybe from
 * another address, maybe with one byte changed. */
static void
op_replay_init (Harness *h, FuzzInput *in)
{
  Slot *slot = &h->slots[fuzz_u8 (in) % N_SLOTS];
  guint8 buf[TEA_HANDSHAKE_PADDED_LEN];
  guint addr = fuzz_u8 (in);
  guint16 at = fuzz_u16 (in);
  guint8 flip = fuzz_u8 (in);

  if (slot->hs.init_len == 0)
    return;
  memcpy (buf, slot->hs.init, slot->hs.init_len);
  buf[at % slot->hs.init_len] ^= flip;
  fuzz_net_send (&h->net, addr & 0x80 ? addr % FUZZ_N_ADDRS : slot->addr, buf, slot->hs.init_len);
  collect (h);
}

static void
op_raw (Harness *h, FuzzInput *in)
{
  guint addr = fuzz_u8 (in) % FUZZ_N_ADDRS;
  const guint8 *data;
  gsize len = fuzz_blob (in, &data);

  fuzz_net_send (&h->net, addr, data, MIN (len, TEA_MAX_DATAGRAM + 64));
  collect (h);
}

static void
op_clock (Harness *h, FuzzInput *in)
{
  guint8 unit = fuzz_u8 (in);
  gint64 step = fuzz_u16 (in);

  fuzz_net_advance (&h->net, step * (unit & 1 ? G_USEC_PER_SEC : 1000));
  collect (h);
}

/* A PING under the session keys from the slot's address: the session the
 * ACCEPT promised exists and answers (with an ACK), or has timed out. */
static void
op_session (Harness *h, FuzzInput *in)
{
  Slot *slot = &h->slots[fuzz_u8 (in) % N_SLOTS];
  guint8 packet[TEA_SESSION_OVERHEAD + 1];
  TeaSessionHeader header;
  guint64 answered_before = h->net.sent[slot->addr];

  if (!slot->established)
    return;
  header = (TeaSessionHeader) { .session_id = slot->session_id, .packet_number = slot->next_pn++ };
  tea_session_header_encode (&header, packet);
  packet[TEA_SESSION_HEADER_LEN] = TEA_FRAME_PING;
  tea_aead_seal (slot->c2s, header.packet_number, packet, TEA_SESSION_HEADER_LEN,
                 packet + TEA_SESSION_HEADER_LEN, 1, packet + TEA_SESSION_HEADER_LEN);
  fuzz_net_send (&h->net, slot->addr, packet, sizeof packet);
  fuzz_net_advance (&h->net, 30 * 1000); /* past the ack delay */
  g_assert_cmpuint (h->net.sent[slot->addr], >, answered_before);
  collect (h);
}

static void
run_op (Harness *h, FuzzInput *in)
{
  switch (fuzz_u8 (in) % N_OPS)
    {
    case OP_HELLO:
      op_hello (h, in);
      break;
    case OP_INIT:
      op_init (h, in);
      break;
    case OP_RAW:
      op_raw (h, in);
      break;
    case OP_CLOCK:
      op_clock (h, in);
      break;
    case OP_SESSION:
      op_session (h, in);
      break;
    case OP_REPLAY_INIT:
      op_replay_init (h, in);
      break;
    }
}

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  fuzz_init ();
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  FuzzInput in;
  Harness h;

  fuzz_reset_random (size);
  fuzz_input_init (&in, data, size);
  harness_init (&h, fuzz_u8 (&in));
  while (!fuzz_input_done (&in))
    run_op (&h, &in);
  fuzz_net_clear (&h.net);
  return 0;
}

/* ---- Seeds --------------------------------------------------------------- */

static void
put_hello (GByteArray *seed, guint8 slot, guint8 addr)
{
  fuzz_put_u8 (seed, OP_HELLO);
  fuzz_put_u8 (seed, slot);
  fuzz_put_u8 (seed, addr);
  fuzz_put_u8 (seed, 0); /* full length */
}

static void
put_init (GByteArray *seed, guint8 slot, guint8 cookie)
{
  fuzz_put_u8 (seed, OP_INIT);
  fuzz_put_u8 (seed, slot);
  fuzz_put_u8 (seed, cookie);
  if (cookie == COOKIE_OTHER)
    fuzz_put_u8 (seed, 2);
  fuzz_put_u8 (seed, 0); /* a real Noise message */
  fuzz_put_u8 (seed, 0); /* full length */
}

static void
put_session (GByteArray *seed, guint8 slot)
{
  fuzz_put_u8 (seed, OP_SESSION);
  fuzz_put_u8 (seed, slot);
}

/* HELLO, COOKIE, INIT, ACCEPT, then a packet in the session. */
static void
seed_complete (FuzzSeeds *seeds)
{
  GByteArray *seed = g_byte_array_new ();

  fuzz_put_u8 (seed, 0x03);
  put_hello (seed, 0, 0);
  put_init (seed, 0, COOKIE_OWN);
  put_session (seed, 0);
  /* The ACCEPT was lost: the same INIT again gets the same ACCEPT. */
  fuzz_put_u8 (seed, OP_REPLAY_INIT);
  fuzz_put_u8 (seed, 0);
  fuzz_put_u8 (seed, 0);
  fuzz_put_u16 (seed, 0);
  fuzz_put_u8 (seed, 0);
  put_session (seed, 0);
  fuzz_seeds_add (seeds, "complete", seed);
}

/* One session allowed, a burst of one: SERVER_FULL, RATE_LIMITED, a
 * cookie from another address, and an expired one. */
static void
seed_refusals (FuzzSeeds *seeds)
{
  GByteArray *seed = g_byte_array_new ();

  fuzz_put_u8 (seed, 0x00);
  put_hello (seed, 0, 0);
  put_hello (seed, 1, 1);
  put_hello (seed, 2, 2);
  put_init (seed, 0, COOKIE_OWN);
  put_init (seed, 1, COOKIE_OWN);
  put_init (seed, 2, COOKIE_OWN);
  put_init (seed, 2, COOKIE_OWN);
  put_init (seed, 3, COOKIE_OTHER);
  fuzz_put_u8 (seed, OP_CLOCK);
  fuzz_put_u8 (seed, 1);
  fuzz_put_u16 (seed, 200);
  put_init (seed, 2, COOKIE_OWN);
  fuzz_seeds_add (seeds, "refusals", seed);
}

/* Short and long HELLOs, a bad version, a stray SESSION packet, an INIT
 * with a Noise message of the fuzzer's. */
static void
seed_malformed (FuzzSeeds *seeds)
{
  GByteArray *seed = g_byte_array_new ();
  guint8 datagram[TEA_HANDSHAKE_PADDED_LEN] = { 0x54, 0x48, 0x02, 0x01 };

  fuzz_put_u8 (seed, 0x0f);
  fuzz_put_u8 (seed, OP_HELLO);
  fuzz_put_u8 (seed, 0);
  fuzz_put_u8 (seed, 0);
  fuzz_put_u8 (seed, 0x80);
  fuzz_put_u16 (seed, 1199);
  fuzz_put_u8 (seed, OP_RAW);
  fuzz_put_u8 (seed, 3);
  fuzz_put_blob (seed, datagram, sizeof datagram);
  datagram[2] = TEA_PROTOCOL_VERSION;
  datagram[3] = TEA_PACKET_SESSION;
  memset (datagram + 4, 0x11, 60);
  fuzz_put_u8 (seed, OP_RAW);
  fuzz_put_u8 (seed, 4);
  fuzz_put_blob (seed, datagram, 64);
  put_hello (seed, 1, 5);
  fuzz_put_u8 (seed, OP_INIT);
  fuzz_put_u8 (seed, 1);
  fuzz_put_u8 (seed, COOKIE_OWN);
  fuzz_put_u8 (seed, 1); /* the fuzzer's Noise bytes */
  fuzz_put_u8 (seed, 48);
  fuzz_put_bytes (seed, datagram + 4, 48);
  fuzz_put_u8 (seed, 0);
  fuzz_seeds_add (seeds, "malformed", seed);
}

void
fuzz_target_seeds (FuzzSeeds *seeds)
{
  seed_complete (seeds);
  seed_refusals (seeds);
  seed_malformed (seeds);
}
