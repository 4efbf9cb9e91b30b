/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * fuzz-reassembly: the receiving half of TeaConn, through its public API
 * only. A fake peer holding the session keys seals STREAM frames with
 * fuzzer-chosen seqs, lengths and FIN flags (out of order, duplicated,
 * beyond the window, past the 20480-byte message cap), replays and forges
 * packets, and moves a fake clock; the receiver's ACKs are opened and
 * checked.
 *
 * In honest mode the peer behaves like a correct sender that loses and
 * reorders: every copy of a seq carries the same bytes. Then every message
 * popped must be exactly the next one the peer composed, and a protocol
 * violation may only come from an oversized message. In hostile mode copies
 * differ and flags may be invalid; only memory safety and the caps hold.
 *
 * Input: a config byte (bit 0 honest, bit 1 a small reorder buffer), then
 * operations, see run_op().
 */
#include <string.h>

#include "fuzz-common.h"
#include "tea-conn.h"
#include "tea-frame.h"
#include "tea-noise.h"
#include "tea-packet.h"

const char fuzz_target_name[] = "fuzz-reassembly";

#define SESSION_ID G_GUINT64_CONSTANT (0x1122334455667788)
#define START_US (G_GINT64_CONSTANT (1000) * G_USEC_PER_SEC)
#define MAX_KEPT_PACKETS 32

enum { OP_STREAM, OP_REPLAY, OP_FORGE, OP_CLOCK, OP_POLL, OP_CONTROL, N_OPS };

typedef struct
{
  guint16 len;
  gboolean fin;
} FrameModel;

typedef struct
{
  TeaConn *conn;
  guint8 c2s[TEA_KEY_LEN];
  guint8 s2c[TEA_KEY_LEN];
  gint64 now;
  gboolean honest;
  guint64 next_pn;
  guint64 next_seq;     /* one past the highest seq composed so far */
  GHashTable *frames;   /* seq -> FrameModel: what the first copy carried */
  GHashTable *accepted; /* packet numbers the receiver took */
  GPtrArray *kept;      /* GBytes: packets it took, to replay and forge */
  guint64 model_seq;    /* first seq of the next message to pop */
} Harness;

static guint64 *
key_of (guint64 v)
{
  return g_memdup2 (&v, sizeof v);
}

/* Deterministic bytes per seq, so honest copies are identical. */
static void
fill_fragment (guint8 *data, guint64 seq, gsize len)
{
  for (gsize i = 0; i < len; i++)
    data[i] = (guint8) (seq * 7 + i);
}

static void
harness_init (Harness *h, guint8 config)
{
  TeaConnConfig cc;

  memset (h, 0, sizeof *h);
  memset (h->c2s, 0xc2, sizeof h->c2s);
  memset (h->s2c, 0x2c, sizeof h->s2c);
  h->now = START_US;
  h->honest = config & 1;
  tea_conn_config_init (&cc);
  if (config & 2)
    cc.max_reorder_bytes = 4096; /* reach "cannot buffer: not acknowledged" */
  h->conn = tea_conn_new (FALSE, SESSION_ID, h->s2c, h->c2s, &cc, h->now);
  h->frames = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, g_free);
  h->accepted = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  h->kept = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
}

static void
harness_clear (Harness *h)
{
  tea_conn_free (h->conn);
  g_hash_table_destroy (h->frames);
  g_hash_table_destroy (h->accepted);
  g_ptr_array_unref (h->kept);
}

/* Seals frames as the peer would and hands the packet to the receiver. */
static TeaConnRecvResult
deliver (Harness *h, const guint8 *frames, gsize frames_len, guint64 pn)
{
  guint8 packet[TEA_MAX_DATAGRAM];
  TeaSessionHeader header = { .session_id = SESSION_ID, .packet_number = pn };
  gsize len = TEA_SESSION_OVERHEAD + frames_len;
  TeaConnRecvResult result;
  gboolean highest;
  g_autoptr (GBytes) copy = NULL;

  g_assert_cmpuint (len, <=, sizeof packet);
  tea_session_header_encode (&header, packet);
  tea_aead_seal (h->c2s, pn, packet, TEA_SESSION_HEADER_LEN, frames, frames_len, packet + TEA_SESSION_HEADER_LEN);
  copy = g_bytes_new (packet, len);
  result = tea_conn_receive (h->conn, packet, len, TRUE, h->now, &highest);
  if (result == TEA_CONN_RECV_OK)
    {
      g_hash_table_add (h->accepted, key_of (pn));
      if (h->kept->len < MAX_KEPT_PACKETS)
        g_ptr_array_add (h->kept, g_steal_pointer (&copy));
    }
  return result;
}

static guint64
choose_pn (Harness *h, FuzzInput *in)
{
  guint8 skip = fuzz_u8 (in);

  /* Mostly the next number; sometimes a gap, as after loss. */
  if (skip & 0x80)
    h->next_pn += skip & 0x7f;
  return h->next_pn++;
}

static guint64
choose_seq (Harness *h, FuzzInput *in)
{
  guint8 sel = fuzz_u8 (in);

  if (sel == 0xff && !h->honest)
    return fuzz_u64 (in);
  /* Around the newest seq: retransmissions below it, gaps above. */
  return h->next_seq + (sel & 0x3f) >= 16 ? h->next_seq + (sel & 0x3f) - 16 : 0;
}

/* Writes one STREAM frame for seq; returns FALSE if it does not fit. */
static gboolean
write_stream (Harness *h, TeaWriter *w, guint64 seq, guint8 flags, guint16 len)
{
  guint8 data[TEA_MAX_FRAGMENT + 100];
  FrameModel *model = g_hash_table_lookup (h->frames, &seq);

  if (h->honest)
    {
      len %= TEA_MAX_FRAGMENT + 1;
      flags &= TEA_STREAM_FLAG_FIN;
      if (model)
        {
          len = model->len;
          flags = model->fin ? TEA_STREAM_FLAG_FIN : 0;
        }
    }
  /* A hostile peer may also overstep the fragment limit a little. */
  len = MIN (len, h->honest ? TEA_MAX_FRAGMENT : TEA_MAX_FRAGMENT + 100);
  if (w->cap - w->pos < (gsize) TEA_STREAM_FRAME_OVERHEAD + len)
    return FALSE;
  if (model == NULL)
    {
      model = g_new (FrameModel, 1);
      model->len = len;
      model->fin = flags & TEA_STREAM_FLAG_FIN;
      g_hash_table_insert (h->frames, key_of (seq), model);
      if (seq >= h->next_seq && seq < G_MAXUINT64)
        h->next_seq = seq + 1;
    }
  fill_fragment (data, seq, len);
  tea_frame_write_stream (w, seq, flags, data, len);
  return TRUE;
}

static void
op_stream (Harness *h, FuzzInput *in)
{
  guint8 frames[TEA_MAX_FRAMES_LEN];
  TeaWriter w;
  guint n = 1 + fuzz_u8 (in) % 4;

  tea_writer_init (&w, frames, sizeof frames);
  for (guint i = 0; i < n; i++)
    {
      guint64 seq = choose_seq (h, in);
      guint8 flags = fuzz_u8 (in);

      if (!write_stream (h, &w, seq, flags, fuzz_u16 (in)))
        break;
    }
  if (w.pos == 0)
    tea_frame_write_ping (&w);
  deliver (h, frames, w.pos, choose_pn (h, in));
}

/* A packet the receiver already took, again: never accepted twice. */
static void
op_replay (Harness *h, FuzzInput *in)
{
  guint8 packet[TEA_MAX_DATAGRAM];
  gboolean highest;
  GBytes *bytes;
  const guint8 *data;
  gsize len;

  if (h->kept->len == 0)
    return;
  bytes = g_ptr_array_index (h->kept, fuzz_u8 (in) % h->kept->len);
  data = g_bytes_get_data (bytes, &len);
  memcpy (packet, data, len);
  g_assert_cmpint (tea_conn_receive (h->conn, packet, len, TRUE, h->now, &highest), !=, TEA_CONN_RECV_OK);
  g_assert_false (highest);
}

/* One byte changed: the AEAD (or the replay window) refuses it. */
static void
op_forge (Harness *h, FuzzInput *in)
{
  guint8 packet[TEA_MAX_DATAGRAM];
  gboolean highest;
  GBytes *bytes;
  const guint8 *data;
  gsize len, at;
  guint8 flip;

  if (h->kept->len == 0)
    return;
  bytes = g_ptr_array_index (h->kept, fuzz_u8 (in) % h->kept->len);
  data = g_bytes_get_data (bytes, &len);
  memcpy (packet, data, len);
  at = fuzz_u16 (in) % len;
  flip = fuzz_u8 (in) | 1;
  packet[at] ^= flip;
  g_assert_cmpint (tea_conn_receive (h->conn, packet, len, TRUE, h->now, &highest), !=, TEA_CONN_RECV_OK);
}

static void
op_clock (Harness *h, FuzzInput *in)
{
  guint8 unit = fuzz_u8 (in);
  gint64 step = fuzz_u16 (in);

  h->now += step * (unit & 1 ? G_USEC_PER_SEC : 1000);
  tea_conn_handle_timeout (h->conn, h->now);
}

/* ACKs only ever name packets the receiver took. */
static void
check_ack (Harness *h, const TeaFrame *frame)
{
  for (guint i = 0; i < frame->ack.ranges.n_ranges; i++)
    {
      const TeaPnRange *range = &frame->ack.ranges.ranges[i];

      g_assert_cmpuint (range->hi - range->lo, <=, g_hash_table_size (h->accepted));
      for (guint64 pn = range->lo; pn <= range->hi; pn++)
        g_assert_true (g_hash_table_contains (h->accepted, &pn));
    }
}

static void
check_sent_packet (Harness *h, guint8 *packet, gsize len)
{
  TeaSessionHeader header;
  TeaReader r;
  TeaFrame frame;
  gboolean malformed;

  g_assert_cmpuint (len, <=, TEA_MAX_DATAGRAM);
  g_assert_true (tea_session_header_decode (packet, len, &header));
  g_assert_cmpuint (header.session_id, ==, SESSION_ID);
  /* The peer never acknowledges, so the receiver never updates its key. */
  g_assert_cmpuint (header.key_phase, ==, 0);
  g_assert_true (tea_aead_open (h->s2c, header.packet_number, packet, TEA_SESSION_HEADER_LEN,
                                packet + TEA_SESSION_HEADER_LEN, len - TEA_SESSION_HEADER_LEN,
                                packet + TEA_SESSION_HEADER_LEN));
  tea_reader_init (&r, packet + TEA_SESSION_HEADER_LEN, len - TEA_SESSION_OVERHEAD);
  while (tea_frame_read (&r, &frame, &malformed))
    if (frame.type == TEA_FRAME_ACK)
      check_ack (h, &frame);
  g_assert_false (malformed);
}

static void
op_poll (Harness *h)
{
  guint8 packet[TEA_MAX_DATAGRAM];
  gsize len;

  for (guint i = 0; i < 64 && (len = tea_conn_poll_transmit (h->conn, h->now, packet)) > 0; i++)
    check_sent_packet (h, packet, len);
}

/* PING, PATH_CHALLENGE and rarely CLOSE, around the stream. */
static void
op_control (Harness *h, FuzzInput *in)
{
  guint8 frames[64];
  guint8 challenge[TEA_PATH_CHALLENGE_LEN] = { 0 };
  TeaWriter w;
  guint8 what = fuzz_u8 (in);

  tea_writer_init (&w, frames, sizeof frames);
  tea_frame_write_ping (&w);
  if (what & 1)
    tea_frame_write_path (&w, TEA_FRAME_PATH_CHALLENGE, challenge);
  if (what == 0xff)
    tea_frame_write_close (&w, TEA_CODE_QUIT);
  deliver (h, frames, w.pos, choose_pn (h, in));
}

/* The bytes of the message starting at model_seq, if the peer composed
 * all of it; NULL otherwise. *oversized when it exceeds the cap. */
static GByteArray *
model_next_message (Harness *h, guint64 *end, gboolean *oversized)
{
  GByteArray *message = g_byte_array_new ();
  guint8 data[TEA_MAX_FRAGMENT];

  *oversized = FALSE;
  for (guint64 seq = h->model_seq;; seq++)
    {
      FrameModel *model = g_hash_table_lookup (h->frames, &seq);

      if (model == NULL)
        break;
      fill_fragment (data, seq, model->len);
      g_byte_array_append (message, data, model->len);
      if (message->len > TEA_MAX_MESSAGE)
        {
          *oversized = TRUE;
          break;
        }
      if (model->fin)
        {
          *end = seq + 1;
          return message;
        }
    }
  g_byte_array_unref (message);
  return NULL;
}

static void
check_messages (Harness *h)
{
  GBytes *popped;

  while ((popped = tea_conn_pop_message (h->conn)))
    {
      g_assert_cmpuint (g_bytes_get_size (popped), <=, TEA_MAX_MESSAGE);
      if (h->honest)
        {
          gboolean oversized;
          guint64 end = 0;
          GByteArray *expected = model_next_message (h, &end, &oversized);

          /* Exactly the next message, in order, exactly once. */
          g_assert_nonnull (expected);
          g_assert_cmpmem (g_bytes_get_data (popped, NULL), g_bytes_get_size (popped), expected->data, expected->len);
          g_byte_array_unref (expected);
          h->model_seq = end;
        }
      g_bytes_unref (popped);
    }
}

static void
check_close (Harness *h)
{
  gboolean oversized;
  guint64 end;
  GByteArray *next;

  if (!h->honest || tea_conn_get_state (h->conn) == TEA_CONN_OPEN ||
      tea_conn_get_close_code (h->conn) != TEA_CODE_PROTOCOL_VIOLATION)
    return;
  /* An honest peer's frames are well formed: only a message over the cap
   * is a violation. */
  next = model_next_message (h, &end, &oversized);
  g_assert_true (oversized);
  g_assert_null (next);
}

static void
run_op (Harness *h, FuzzInput *in)
{
  switch (fuzz_u8 (in) % N_OPS)
    {
    case OP_STREAM:
      op_stream (h, in);
      break;
    case OP_REPLAY:
      op_replay (h, in);
      break;
    case OP_FORGE:
      op_forge (h, in);
      break;
    case OP_CLOCK:
      op_clock (h, in);
      break;
    case OP_POLL:
      op_poll (h);
      break;
    case OP_CONTROL:
      op_control (h, in);
      break;
    }
  check_messages (h);
  check_close (h);
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
  op_poll (&h);
  harness_clear (&h);
  return 0;
}

/* ---- Seeds --------------------------------------------------------------- */

static void
put_stream_op (GByteArray *seed, guint8 n, const guint8 *sels, const guint8 *flags, const guint16 *lens)
{
  fuzz_put_u8 (seed, OP_STREAM);
  fuzz_put_u8 (seed, n - 1);
  for (guint i = 0; i < n; i++)
    {
      fuzz_put_u8 (seed, sels[i]);
      fuzz_put_u8 (seed, flags[i]);
      fuzz_put_u16 (seed, lens[i]);
    }
  fuzz_put_u8 (seed, 0); /* next packet number */
}

/* One frame: sel 16 is "the next new seq". */
static void
put_fragment (GByteArray *seed, guint8 sel, gboolean fin, guint16 len)
{
  guint8 flags = fin ? TEA_STREAM_FLAG_FIN : 0;

  put_stream_op (seed, 1, &sel, &flags, &len);
}

static void
seed_in_order (FuzzSeeds *seeds)
{
  GByteArray *seed = g_byte_array_new ();

  fuzz_put_u8 (seed, 1);
  put_fragment (seed, 16, TRUE, 42);
  put_fragment (seed, 16, FALSE, 1000);
  put_fragment (seed, 16, FALSE, 1000);
  put_fragment (seed, 16, TRUE, 500);
  fuzz_put_u8 (seed, OP_POLL);
  fuzz_seeds_add (seeds, "in-order", seed);
}

/* seqs 2, 1, 0 of one message in one packet, then a duplicate of 1. */
static void
seed_reversed (FuzzSeeds *seeds)
{
  static const guint8 sels[] = { 18, 17, 16 };
  static const guint8 flags[] = { TEA_STREAM_FLAG_FIN, 0, 0 };
  static const guint16 lens[] = { 10, 1000, 1000 };
  GByteArray *seed = g_byte_array_new ();

  fuzz_put_u8 (seed, 1);
  put_stream_op (seed, 3, sels, flags, lens);
  put_fragment (seed, 14, FALSE, 0);
  fuzz_put_u8 (seed, OP_REPLAY);
  fuzz_put_u8 (seed, 0);
  fuzz_put_u8 (seed, OP_FORGE);
  fuzz_put_u8 (seed, 0);
  fuzz_put_u16 (seed, 30);
  fuzz_put_u8 (seed, 1);
  fuzz_put_u8 (seed, OP_POLL);
  fuzz_seeds_add (seeds, "reversed", seed);
}

/* 21 full fragments without FIN: over the 20480-byte cap. */
static void
seed_oversized (FuzzSeeds *seeds)
{
  GByteArray *seed = g_byte_array_new ();

  fuzz_put_u8 (seed, 1);
  for (guint i = 0; i < 21; i++)
    put_fragment (seed, 16, FALSE, 1000);
  put_fragment (seed, 16, TRUE, 1);
  fuzz_put_u8 (seed, OP_POLL);
  fuzz_seeds_add (seeds, "oversized", seed);
}

/* A partial message left for 31 s: the reassembly timeout closes it. */
static void
seed_timeout (FuzzSeeds *seeds)
{
  GByteArray *seed = g_byte_array_new ();

  fuzz_put_u8 (seed, 3);
  put_fragment (seed, 16, FALSE, 1000);
  put_fragment (seed, 30, TRUE, 1000); /* a gap: buffered out of order */
  fuzz_put_u8 (seed, OP_CONTROL);
  fuzz_put_u8 (seed, 1);
  fuzz_put_u8 (seed, 0x85); /* skip 5 packet numbers */
  fuzz_put_u8 (seed, OP_CLOCK);
  fuzz_put_u8 (seed, 1);
  fuzz_put_u16 (seed, 31);
  fuzz_put_u8 (seed, OP_POLL);
  fuzz_seeds_add (seeds, "timeout", seed);
}

/* Hostile: an absolute seq far away, invalid flags, a frame too long. */
static void
seed_hostile (FuzzSeeds *seeds)
{
  GByteArray *seed = g_byte_array_new ();

  fuzz_put_u8 (seed, 0);
  put_fragment (seed, 16, FALSE, 300);
  fuzz_put_u8 (seed, OP_STREAM);
  fuzz_put_u8 (seed, 1);
  fuzz_put_u8 (seed, 0xff);
  fuzz_put_u64 (seed, G_GUINT64_CONSTANT (1) << 40);
  fuzz_put_u8 (seed, 0x03);
  fuzz_put_u16 (seed, 200);
  fuzz_put_u8 (seed, 16);
  fuzz_put_u8 (seed, 1);
  fuzz_put_u16 (seed, 7);
  fuzz_put_u8 (seed, 0);
  fuzz_put_u8 (seed, OP_POLL);
  fuzz_seeds_add (seeds, "hostile", seed);
}

void
fuzz_target_seeds (FuzzSeeds *seeds)
{
  seed_in_order (seeds);
  seed_reversed (seeds);
  seed_oversized (seeds);
  seed_timeout (seeds);
  seed_hostile (seeds);
}
