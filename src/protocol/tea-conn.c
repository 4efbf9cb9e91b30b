/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The session state machine. docs/PROTOCOL.md, sections "Reliability" and
 * "Keys", is the specification this follows; the comments here only say why
 * the code is shaped the way it is.
 */

#include <sodium.h>
#include <string.h>

#include "tea-conn.h"
#include "tea-frame.h"
#include "tea-noise.h"
#include "tea-packet.h"
#include "tea-random.h"
#include "tea-replay-window.h"
#include "tea-rtt.h"

/* Receive window of the stream, in frames. A sender never has a frame in
 * flight this far beyond its lowest unacknowledged one. */
#define STREAM_WINDOW 1024
/* Loss by reordering threshold (RFC 9002 kPacketThreshold), and how far it
 * may grow when losses turn out to have been reordering (as RACK adapts). */
#define PACKET_THRESHOLD 3
#define PACKET_THRESHOLD_MAX 64
#define LOSS_DELAY_EXTRA_MAX 16
/* CLOSE is not retransmitted; it goes out in this many packets. */
#define CLOSE_REPEATS 2
#define PATH_VALIDATION_MIN_US (2 * G_USEC_PER_SEC)
#define AMPLIFICATION_FACTOR 3
#define PATH_FRAME_LEN (1 + TEA_PATH_CHALLENGE_LEN)
/* Each repeat of a challenge goes out in this many packets, so that one
 * lost packet does not cost a whole timeout (RFC 9000, 8.2.1, allows it). */
#define CHALLENGE_COPIES 2
/* Ack-eliciting packets received in order before an ACK goes out at once
 * (else within the ack delay). Every second packet, as TCP and QUIC by
 * default, made a member of a busy room send an ACK for every other
 * datagram: a third of what the relay received and opened. Eight is an
 * eighth of the sender's window (section 7.5 of PROTOCOL.md), so a sender
 * never stalls waiting for one. */
#define ACK_THRESHOLD 8
/* Room kept free in a data packet for the largest ACK frame. */
#define ACK_RESERVE (TEA_ACK_FRAME_MIN_LEN + 4 * (TEA_MAX_ACK_RANGES - 1))

typedef enum {
  FRAME_UNSENT,
  FRAME_IN_FLIGHT,
  FRAME_LOST,
  FRAME_ACKED,
} FrameState;

/* One STREAM frame of the send queue; its seq is its position. */
typedef struct
{
  GBytes *message;
  const guint8 *data; /* this fragment's bytes in message: read per send */
  guint64 last_pn;    /* the packet that carried it most recently */
  guint16 offset;
  guint16 len;
  guint8 fin;
  guint8 state;
} OutFrame;

/* An ack-eliciting packet we sent. It carried at most one contiguous run of
 * STREAM frames, which keeps this record small. */
typedef struct
{
  guint64 pn;
  gint64 time_sent;
  guint64 seq_first;
  guint16 seq_count;
  guint16 bytes;
  guint8 state;
} SentPacket;

typedef enum {
  SENT_IN_FLIGHT,
  SENT_LOST, /* kept a while: a late ack means the network reorders */
  SENT_DONE,
} SentState;

typedef struct
{
  guint8 *data;
  guint16 len;
  guint8 fin;
  gboolean present;
} InFrame;

struct _TeaConn
{
  TeaConnConfig config;
  gboolean is_client;
  guint64 session_id;
  TeaConnState state;
  guint16 close_code;
  gboolean closed_by_peer;
  guint close_repeats_left;

  /* Keys. Send: one key and its phase. Receive: the current phase's key,
   * the next one (derived ahead so an update costs no extra trial), and the
   * previous one for packets reordered across an update. */
  guint8 send_key[TEA_KEY_LEN];
  guint8 send_phase;
  gint64 send_phase_started;
  guint64 send_phase_first_pn;
  guint64 send_phase_packets;
  gboolean send_phase_acked;
  guint8 recv_key[TEA_KEY_LEN];
  guint8 recv_next_key[TEA_KEY_LEN];
  guint8 recv_prev_key[TEA_KEY_LEN];
  gboolean has_recv_prev;
  guint8 recv_phase;
  guint64 recv_phase_first_pn;
  TeaReplayWindow replay;

  /* Sending. */
  guint64 next_pn;
  OutFrame *frames;       /* ring indexed by seq & (frames_cap - 1) */
  guint frames_cap;
  guint64 frames_base;    /* lowest seq not yet acknowledged */
  guint64 frames_end;     /* next seq to queue */
  guint64 frames_unsent;  /* lowest seq never sent */
  guint64 lost_hint;      /* no LOST frame below this */
  gsize queued_bytes;
  SentPacket *sent;       /* ring of ack-eliciting packets, oldest first */
  guint sent_cap;
  guint sent_head;
  guint sent_len;
  guint in_flight;
  guint64 largest_acked;
  gboolean any_acked;
  gint64 last_ack_eliciting_sent;
  gint64 last_sent;
  gboolean ping_wanted;
  /* Client: when to PING because the relay fell silent (G_MAXINT64: not),
   * and the silence that arms it (0: none until the relay next speaks). */
  gint64 quiet_probe_at;
  gint64 quiet_interval;
  guint probes_wanted; /* ack-eliciting packets still owed after a PTO */
  TeaRtt rtt;
  guint packet_threshold;
  guint loss_delay_extra; /* eighths of an RTT added to RFC 9002's 9/8 */

  /* Receiving and acknowledging. */
  /* What we received, as ack ranges. Without loss or reordering that is
   * one range, kept here; the full set (520 bytes) is on the heap only
   * while there are holes. */
  TeaPnRange received_one;
  guint received_n;             /* 0 or 1, while received_many is NULL */
  TeaAckRanges *received_many;
  guint64 largest_received;
  gint64 largest_received_time;
  guint ack_pending;        /* ack-eliciting packets not yet acknowledged */
  gboolean ack_immediately;
  gint64 ack_deadline;
  gint64 last_received;
  guint64 recv_next_seq;
  InFrame *reorder;         /* STREAM_WINDOW slots, allocated on first need */
  gsize reorder_bytes;
  GByteArray *reassembly;
  gint64 reassembly_started;
  GQueue messages;
  TeaConnMessageFunc message_func; /* if set, instead of the queue */
  gpointer message_data;

  /* Path validation. */
  gboolean path_validated;
  guint8 challenge[TEA_PATH_CHALLENGE_LEN];
  gint64 challenge_next_send;
  guint challenge_copies_owed; /* of the latest repeat, still to send */
  gint64 challenge_deadline;
  guint64 path_bytes_received;
  guint64 path_bytes_sent;
  TeaPathEvent path_event;
  gboolean response_pending;
  guint8 response[TEA_PATH_CHALLENGE_LEN];

  TeaConnStats stats;
};

void
tea_conn_config_init (TeaConnConfig *config)
{
  config->max_in_flight = 64;
  config->max_queued_frames = 4096;
  config->max_queued_bytes = 1024 * 1024;
  config->max_reorder_bytes = 256 * 1024;
  config->idle_timeout_us = 90 * G_USEC_PER_SEC;
  config->keepalive_us = 0;
  config->rekey_interval_us = 120 * G_USEC_PER_SEC;
  config->rekey_packets = G_GUINT64_CONSTANT (1) << 32;
  config->reassembly_timeout_us = 30 * G_USEC_PER_SEC;
}

TeaConn *
tea_conn_new (gboolean is_client,
              guint64 session_id,
              const guint8 send_key[TEA_KEY_LEN],
              const guint8 recv_key[TEA_KEY_LEN],
              const TeaConnConfig *config,
              gint64 now_us)
{
  TeaConn *conn = g_new0 (TeaConn, 1);

  conn->config = *config;
  conn->is_client = is_client;
  conn->quiet_probe_at = G_MAXINT64;
  conn->session_id = session_id;
  conn->state = TEA_CONN_OPEN;
  memcpy (conn->send_key, send_key, TEA_KEY_LEN);
  memcpy (conn->recv_key, recv_key, TEA_KEY_LEN);
  memcpy (conn->recv_next_key, recv_key, TEA_KEY_LEN);
  tea_noise_rekey (conn->recv_next_key);
  conn->send_phase_started = now_us;
  tea_replay_window_init (&conn->replay);
  tea_rtt_init (&conn->rtt);
  g_queue_init (&conn->messages);
  conn->last_received = now_us;
  conn->last_sent = now_us;
  conn->path_validated = TRUE;
  conn->ack_deadline = G_MAXINT64;
  conn->packet_threshold = PACKET_THRESHOLD;
  return conn;
}

static void
clear_reorder (TeaConn *conn)
{
  if (conn->reorder == NULL)
    return;
  for (guint i = 0; i < STREAM_WINDOW; i++)
    g_free (conn->reorder[i].data);
  g_clear_pointer (&conn->reorder, g_free);
  conn->reorder_bytes = 0;
}

void
tea_conn_free (TeaConn *conn)
{
  if (conn == NULL)
    return;
  for (guint64 seq = conn->frames_base; seq < conn->frames_end; seq++)
    g_bytes_unref (conn->frames[seq & (conn->frames_cap - 1)].message);
  g_free (conn->frames);
  g_free (conn->sent);
  g_free (conn->received_many);
  clear_reorder (conn);
  if (conn->reassembly)
    g_byte_array_unref (conn->reassembly);
  g_queue_clear_full (&conn->messages, (GDestroyNotify) g_bytes_unref);
  sodium_memzero (conn, sizeof *conn);
  g_free (conn);
}

guint64
tea_conn_get_session_id (const TeaConn *conn)
{
  return conn->session_id;
}

TeaConnState
tea_conn_get_state (const TeaConn *conn)
{
  return conn->state;
}

guint16
tea_conn_get_close_code (const TeaConn *conn)
{
  return conn->close_code;
}

gboolean
tea_conn_closed_by_peer (const TeaConn *conn)
{
  return conn->closed_by_peer;
}

const TeaConnStats *
tea_conn_get_stats (const TeaConn *conn)
{
  return &conn->stats;
}

gint64
tea_conn_get_srtt (const TeaConn *conn)
{
  return conn->rtt.has_sample ? conn->rtt.srtt : -1;
}

static void
set_closed (TeaConn *conn, guint16 code)
{
  if (conn->state == TEA_CONN_CLOSED)
    return;
  if (conn->state == TEA_CONN_OPEN)
    conn->close_code = code;
  conn->state = TEA_CONN_CLOSED;
}

void
tea_conn_abort (TeaConn *conn, guint16 code)
{
  set_closed (conn, code);
}

void
tea_conn_close (TeaConn *conn, guint16 code, gint64 now_us)
{
  if (conn->state != TEA_CONN_OPEN)
    return;
  conn->state = TEA_CONN_CLOSING;
  conn->close_code = code;
  conn->close_repeats_left = CLOSE_REPEATS;
}

/* ---- The send queue ---------------------------------------------------- */

static OutFrame *
frame_at (const TeaConn *conn, guint64 seq)
{
  return &conn->frames[seq & (conn->frames_cap - 1)];
}

static void
grow_frames (TeaConn *conn, guint needed)
{
  guint cap = conn->frames_cap ? conn->frames_cap : 16;
  OutFrame *frames;

  while (cap < needed)
    cap *= 2;
  if (cap == conn->frames_cap)
    return;
  frames = g_new (OutFrame, cap);
  for (guint64 seq = conn->frames_base; seq < conn->frames_end; seq++)
    frames[seq & (cap - 1)] = *frame_at (conn, seq);
  g_free (conn->frames);
  conn->frames = frames;
  conn->frames_cap = cap;
}

gboolean
tea_conn_queue_message (TeaConn *conn, GBytes *message)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (message, &len);
  guint n = MAX (1, (len + TEA_MAX_FRAGMENT - 1) / TEA_MAX_FRAGMENT);
  guint queued = conn->frames_end - conn->frames_base;

  g_return_val_if_fail (len <= TEA_MAX_MESSAGE, FALSE);
  if (conn->state != TEA_CONN_OPEN)
    return FALSE;
  if (queued + n > conn->config.max_queued_frames ||
      conn->queued_bytes + len > conn->config.max_queued_bytes)
    return FALSE;

  grow_frames (conn, queued + n);
  for (guint i = 0; i < n; i++)
    {
      OutFrame *f = frame_at (conn, conn->frames_end++);

      f->message = g_bytes_ref (message);
      f->offset = i * TEA_MAX_FRAGMENT;
      f->data = data ? data + f->offset : NULL; /* NULL: an empty message */
      f->len = MIN (TEA_MAX_FRAGMENT, len - f->offset);
      f->fin = i == n - 1;
      f->state = FRAME_UNSENT;
      f->last_pn = 0;
    }
  conn->queued_bytes += len;
  return TRUE;
}

guint
tea_conn_get_queued_frames (const TeaConn *conn)
{
  return conn->frames_end - conn->frames_base;
}

gboolean
tea_conn_has_unacked (const TeaConn *conn)
{
  return conn->frames_end > conn->frames_base;
}

/* Drops acknowledged frames from the head of the queue. */
static void
release_acked_frames (TeaConn *conn)
{
  while (conn->frames_base < conn->frames_end)
    {
      OutFrame *f = frame_at (conn, conn->frames_base);

      if (f->state != FRAME_ACKED)
        break;
      if (f->fin) /* the last fragment ends where the message does */
        conn->queued_bytes -= MIN (conn->queued_bytes, (gsize) f->offset + f->len);
      g_bytes_unref (f->message);
      f->message = NULL;
      conn->frames_base++;
    }
  conn->lost_hint = MAX (conn->lost_hint, conn->frames_base);
  /* Idle sessions are the common case: a burst of events (a busy room, a
   * join storm) must not leave each of them holding a large ring. */
  if (conn->frames_base == conn->frames_end && conn->frames_cap > 0)
    {
      g_clear_pointer (&conn->frames, g_free);
      conn->frames_cap = 0;
    }
}

/* ---- Sent packets, acknowledgements and loss ---------------------------- */

static SentPacket *
sent_at (const TeaConn *conn, guint i)
{
  return &conn->sent[(conn->sent_head + i) & (conn->sent_cap - 1)];
}

static SentPacket *
sent_push (TeaConn *conn)
{
  if (conn->sent_len == conn->sent_cap)
    {
      guint cap = conn->sent_cap ? conn->sent_cap * 2 : 8;
      SentPacket *sent = g_new (SentPacket, cap);

      for (guint i = 0; i < conn->sent_len; i++)
        sent[i] = *sent_at (conn, i);
      g_free (conn->sent);
      conn->sent = sent;
      conn->sent_cap = cap;
      conn->sent_head = 0;
    }
  conn->in_flight++;
  return sent_at (conn, conn->sent_len++);
}

static gint64
loss_delay (const TeaConn *conn)
{
  return tea_rtt_loss_delay (&conn->rtt) * (9 + conn->loss_delay_extra) / 9;
}

static gboolean
sent_is_finished (const TeaConn *conn, const SentPacket *p, gint64 now_us)
{
  if (p->state == SENT_DONE)
    return TRUE;
  return p->state == SENT_LOST && p->time_sent + 3 * tea_rtt_rto (&conn->rtt) < now_us;
}

static void
sent_trim (TeaConn *conn, gint64 now_us)
{
  while (conn->sent_len > 0 && sent_is_finished (conn, sent_at (conn, 0), now_us))
    {
      conn->sent_head = (conn->sent_head + 1) & (conn->sent_cap - 1);
      conn->sent_len--;
    }
  /* Idle sessions are the common case; give their ring back. */
  if (conn->sent_len == 0 && conn->sent_cap > 0)
    {
      g_clear_pointer (&conn->sent, g_free);
      conn->sent_cap = 0;
      conn->sent_head = 0;
    }
}

static void
packet_acked (TeaConn *conn, SentPacket *p)
{
  for (guint i = 0; i < p->seq_count; i++)
    {
      guint64 seq = p->seq_first + i;
      OutFrame *f;

      if (seq < conn->frames_base || seq >= conn->frames_end)
        continue;
      f = frame_at (conn, seq);
      f->state = FRAME_ACKED;
    }
  if (p->pn >= conn->send_phase_first_pn)
    conn->send_phase_acked = TRUE;
  if (p->state == SENT_LOST)
    {
      /* It arrived after all: the path reorders more than we allowed. */
      conn->packet_threshold = MIN (conn->packet_threshold * 2, PACKET_THRESHOLD_MAX);
      conn->loss_delay_extra = MIN (conn->loss_delay_extra + 2, LOSS_DELAY_EXTRA_MAX);
      conn->stats.spurious_losses++;
    }
  else
    {
      conn->in_flight--;
    }
  p->state = SENT_DONE;
}

static void
packet_lost (TeaConn *conn, SentPacket *p)
{
  for (guint i = 0; i < p->seq_count; i++)
    {
      guint64 seq = p->seq_first + i;
      OutFrame *f;

      if (seq < conn->frames_base || seq >= conn->frames_end)
        continue;
      f = frame_at (conn, seq);
      /* A later copy may still be on its way; only the latest counts. */
      if (f->state == FRAME_IN_FLIGHT && f->last_pn == p->pn)
        {
          f->state = FRAME_LOST;
          conn->lost_hint = MIN (conn->lost_hint, seq);
        }
    }
  p->state = SENT_LOST;
  conn->in_flight--;
  conn->stats.packets_lost++;
}

static void
detect_lost_packets (TeaConn *conn, gint64 now_us)
{
  gint64 delay = loss_delay (conn);

  if (!conn->any_acked)
    return;
  for (guint i = 0; i < conn->sent_len; i++)
    {
      SentPacket *p = sent_at (conn, i);

      if (p->state != SENT_IN_FLIGHT)
        continue;
      if (p->pn >= conn->largest_acked)
        break;
      if (p->pn + conn->packet_threshold <= conn->largest_acked ||
          p->time_sent + delay <= now_us)
        packet_lost (conn, p);
    }
  sent_trim (conn, now_us);
}

/* A client behind a NAT that moved its mapping hears nothing more: the
 * relay sends to the old one, and cannot learn the new one before the
 * client sends. A client that is only listening would otherwise stay
 * silent until its keepalive, tens of seconds. So when the relay falls
 * silent for two PTOs after sending something ack-eliciting, the client
 * sends one PING; a relay with data in flight would have sent a probe by
 * then. Anything ack-eliciting the client sends does the same (its PTO
 * repeats it until it is acknowledged), so that disarms it. Once all of it
 * is acknowledged and the relay is still silent, the client asks again
 * after twice the wait (quiet_probe_again): the mapping can move after the
 * answer, in a pause between a room's messages, and the next message would
 * then wait for the keepalive. */
static void
arm_quiet_probe (TeaConn *conn, gint64 now_us)
{
  if (!conn->is_client)
    return;
  conn->quiet_interval = 2 * tea_rtt_rto (&conn->rtt);
  conn->quiet_probe_at = now_us + conn->quiet_interval;
}

/* Everything the client sent is acknowledged and the relay has not spoken
 * since: the next PING after twice the last wait. The waits stop where the
 * keepalive's interval begins, so a quiet room costs a few PINGs after its
 * last message (about six at the defaults), then only keepalives. */
static void
quiet_probe_again (TeaConn *conn, gint64 now_us)
{
  if (!conn->is_client || conn->quiet_interval == 0 || conn->quiet_probe_at != G_MAXINT64)
    return;
  conn->quiet_interval *= 2;
  if (conn->config.keepalive_us <= 0 || conn->quiet_interval >= conn->config.keepalive_us)
    {
      conn->quiet_interval = 0;
      return;
    }
  conn->quiet_probe_at = now_us + conn->quiet_interval;
}

static gboolean
process_ack (TeaConn *conn, const TeaFrame *frame, gint64 now_us)
{
  const TeaAckRanges *ranges = &frame->ack.ranges;
  guint64 largest = ranges->ranges[0].hi;
  gboolean largest_newly_acked = FALSE;
  gint64 largest_sent_time = 0;

  if (largest >= conn->next_pn)
    return FALSE; /* acknowledges a packet we never sent */

  for (guint i = 0; i < conn->sent_len; i++)
    {
      SentPacket *p = sent_at (conn, i);

      if (p->state == SENT_DONE || !tea_ack_ranges_contains (ranges, p->pn))
        continue;
      if (p->pn == largest)
        {
          largest_newly_acked = TRUE;
          largest_sent_time = p->time_sent;
        }
      packet_acked (conn, p);
    }

  if (!conn->any_acked || largest > conn->largest_acked)
    {
      conn->largest_acked = largest;
      conn->any_acked = TRUE;
    }
  /* Every transmission has its own packet number, so this sample is never
   * ambiguous: that is Karn's rule by construction. */
  if (largest_newly_acked)
    tea_rtt_sample (&conn->rtt, now_us - largest_sent_time, frame->ack.delay_us);

  detect_lost_packets (conn, now_us);
  release_acked_frames (conn);
  if (conn->in_flight == 0)
    quiet_probe_again (conn, now_us);
  return TRUE;
}

/* ---- Receiving --------------------------------------------------------- */

static void
deliver_message (TeaConn *conn, const guint8 *data, gsize len)
{
  if (conn->message_func)
    conn->message_func (data, len, conn->message_data);
  else
    g_queue_push_tail (&conn->messages, g_bytes_new (data, len));
}

static void
deliver_fragment (TeaConn *conn, const guint8 *data, guint16 len, gboolean fin, gint64 now_us)
{
  if (conn->reassembly == NULL)
    {
      if (fin)
        {
          deliver_message (conn, data, len);
          return;
        }
      conn->reassembly = g_byte_array_new ();
      conn->reassembly_started = now_us;
    }
  if (conn->reassembly->len + len > TEA_MAX_MESSAGE)
    {
      tea_conn_close (conn, TEA_CODE_PROTOCOL_VIOLATION, now_us);
      return;
    }
  g_byte_array_append (conn->reassembly, data, len);
  if (fin)
    {
      g_autoptr (GByteArray) message = g_steal_pointer (&conn->reassembly);

      if (conn->message_func)
        conn->message_func (message->data, message->len, conn->message_data);
      else
        g_queue_push_tail (&conn->messages, g_byte_array_free_to_bytes (g_steal_pointer (&message)));
    }
}

static void
drain_reorder_buffer (TeaConn *conn, gint64 now_us)
{
  while (conn->reorder && conn->state == TEA_CONN_OPEN)
    {
      InFrame *slot = &conn->reorder[conn->recv_next_seq % STREAM_WINDOW];

      if (!slot->present)
        break;
      deliver_fragment (conn, slot->data, slot->len, slot->fin, now_us);
      conn->reorder_bytes -= slot->len;
      g_clear_pointer (&slot->data, g_free);
      slot->present = FALSE;
      conn->recv_next_seq++;
    }
}

/* Returns FALSE if the frame cannot be buffered now: the packet is then not
 * acknowledged, so the peer sends the frame again later. */
static gboolean
receive_stream_frame (TeaConn *conn, const TeaFrame *frame, gint64 now_us)
{
  guint64 seq = frame->stream.seq;
  InFrame *slot;

  /* Once closing (e.g. a message went over the cap), the stream is over:
   * a later fragment would otherwise finish the message that was cut,
   * and deliver it with the refused fragment missing. */
  if (conn->state != TEA_CONN_OPEN)
    return TRUE;
  if (seq < conn->recv_next_seq)
    {
      conn->stats.duplicate_frames++;
      return TRUE;
    }
  if (seq == conn->recv_next_seq)
    {
      deliver_fragment (conn, frame->stream.data, frame->stream.len,
                        frame->stream.flags & TEA_STREAM_FLAG_FIN, now_us);
      conn->recv_next_seq++;
      drain_reorder_buffer (conn, now_us);
      return TRUE;
    }
  if (seq - conn->recv_next_seq >= STREAM_WINDOW ||
      conn->reorder_bytes + frame->stream.len > conn->config.max_reorder_bytes)
    {
      conn->stats.dropped_window++;
      return FALSE;
    }
  if (conn->reorder == NULL)
    conn->reorder = g_new0 (InFrame, STREAM_WINDOW);
  slot = &conn->reorder[seq % STREAM_WINDOW];
  if (slot->present)
    {
      conn->stats.duplicate_frames++;
      return TRUE;
    }
  slot->data = g_memdup2 (frame->stream.data, frame->stream.len);
  slot->len = frame->stream.len;
  slot->fin = frame->stream.flags & TEA_STREAM_FLAG_FIN;
  slot->present = TRUE;
  conn->reorder_bytes += slot->len;
  return TRUE;
}

/* Picks the key for a packet of this phase and number: the current one, the
 * next one (the peer updated), or the previous one (reordered across an
 * update). *is_next tells the caller to rotate once the packet opened. */
static const guint8 *
select_recv_key (TeaConn *conn, guint8 phase, guint64 pn, gboolean *is_next)
{
  *is_next = FALSE;
  if (phase == conn->recv_phase)
    return conn->recv_key;
  if (pn < conn->recv_phase_first_pn)
    return conn->has_recv_prev ? conn->recv_prev_key : NULL;
  *is_next = TRUE;
  return conn->recv_next_key;
}

static void
rotate_recv_keys (TeaConn *conn, guint64 pn)
{
  memcpy (conn->recv_prev_key, conn->recv_key, TEA_KEY_LEN);
  memcpy (conn->recv_key, conn->recv_next_key, TEA_KEY_LEN);
  tea_noise_rekey (conn->recv_next_key);
  conn->has_recv_prev = TRUE;
  conn->recv_phase ^= 1;
  conn->recv_phase_first_pn = pn;
  conn->stats.key_updates_received++;
}

static gboolean
open_packet (TeaConn *conn, guint8 *packet, gsize len, const TeaSessionHeader *header)
{
  gboolean is_next;
  const guint8 *key = select_recv_key (conn, header->key_phase, header->packet_number, &is_next);
  guint8 *payload = packet + TEA_SESSION_HEADER_LEN;

  if (key == NULL ||
      !tea_aead_open (key, header->packet_number, packet, TEA_SESSION_HEADER_LEN,
                      payload, len - TEA_SESSION_HEADER_LEN, payload))
    return FALSE;
  if (is_next)
    rotate_recv_keys (conn, header->packet_number);
  return TRUE;
}

static void
handle_path_response (TeaConn *conn, const guint8 *data)
{
  if (conn->path_validated ||
      sodium_memcmp (data, conn->challenge, TEA_PATH_CHALLENGE_LEN) != 0)
    return;
  conn->path_validated = TRUE;
  conn->path_event = TEA_PATH_EVENT_VALIDATED;
}

/* Processes the frames of an opened packet. Returns FALSE if they are
 * malformed; *accepted is FALSE if a STREAM frame could not be buffered. */
static gboolean
process_frames (TeaConn *conn, const guint8 *payload, gsize len, gint64 now_us,
                gboolean *ack_eliciting, gboolean *accepted)
{
  TeaReader r;
  TeaFrame frame;
  gboolean malformed;
  gboolean any = FALSE;

  *ack_eliciting = FALSE;
  *accepted = TRUE;
  tea_reader_init (&r, payload, len);
  while (tea_frame_read (&r, &frame, &malformed))
    {
      any = TRUE;
      switch (frame.type)
        {
        case TEA_FRAME_PING:
          *ack_eliciting = TRUE;
          break;
        case TEA_FRAME_ACK:
          if (!process_ack (conn, &frame, now_us))
            return FALSE;
          break;
        case TEA_FRAME_CLOSE:
          set_closed (conn, frame.close_code);
          conn->closed_by_peer = TRUE;
          return TRUE;
        case TEA_FRAME_PATH_CHALLENGE:
          memcpy (conn->response, frame.path_data, TEA_PATH_CHALLENGE_LEN);
          conn->response_pending = TRUE;
          *ack_eliciting = TRUE;
          break;
        case TEA_FRAME_PATH_RESPONSE:
          handle_path_response (conn, frame.path_data);
          *ack_eliciting = TRUE;
          break;
        case TEA_FRAME_STREAM:
          *ack_eliciting = TRUE;
          if (!receive_stream_frame (conn, &frame, now_us))
            *accepted = FALSE;
          break;
        default:
          g_assert_not_reached ();
        }
    }
  /* A packet must carry at least one frame that is not padding. */
  return !malformed && any;
}

static guint
received_n_ranges (const TeaConn *conn)
{
  return conn->received_many ? conn->received_many->n_ranges : conn->received_n;
}

static void
received_add (TeaConn *conn, guint64 pn)
{
  TeaPnRange *one = &conn->received_one;

  if (conn->received_many == NULL)
    {
      if (conn->received_n == 0)
        {
          one->lo = one->hi = pn;
          conn->received_n = 1;
          return;
        }
      if (pn >= one->lo && pn <= one->hi)
        return;
      if (pn == one->hi + 1)
        {
          one->hi = pn;
          return;
        }
      if (pn + 1 == one->lo)
        {
          one->lo = pn;
          return;
        }
      conn->received_many = g_new (TeaAckRanges, 1);
      tea_ack_ranges_init (conn->received_many);
      conn->received_many->ranges[0] = *one;
      conn->received_many->n_ranges = 1;
    }
  tea_ack_ranges_add (conn->received_many, pn);
  if (conn->received_many->n_ranges == 1)
    {
      /* Reordering filled the holes. */
      *one = conn->received_many->ranges[0];
      g_clear_pointer (&conn->received_many, g_free);
    }
}

static void
note_received (TeaConn *conn, guint64 pn, gboolean ack_eliciting, gint64 now_us)
{
  gboolean in_order = received_n_ranges (conn) == 0 || pn == conn->largest_received + 1;

  received_add (conn, pn);
  if (received_n_ranges (conn) == 1 || pn > conn->largest_received)
    {
      conn->largest_received = MAX (conn->largest_received, pn);
      conn->largest_received_time = now_us;
    }
  if (!ack_eliciting)
    return;
  conn->ack_pending++;
  /* Acknowledge at once when this packet is out of order or leaves a gap
   * below it (fast loss detection at the peer), or every ACK_THRESHOLD
   * packets; otherwise within the ack delay. Older holes do not count: a
   * lost ack-only packet is never sent again and would leave one forever. */
  if (!in_order || conn->ack_pending >= ACK_THRESHOLD)
    conn->ack_immediately = TRUE;
  else if (conn->ack_deadline == G_MAXINT64)
    conn->ack_deadline = now_us + TEA_MAX_ACK_DELAY_US;
}

TeaConnRecvResult
tea_conn_receive (TeaConn *conn,
                  guint8 *packet,
                  gsize len,
                  gboolean from_current_path,
                  gint64 now_us,
                  gboolean *is_highest)
{
  TeaSessionHeader header;
  gboolean ack_eliciting, accepted;

  *is_highest = FALSE;
  if (conn->state == TEA_CONN_CLOSED)
    return TEA_CONN_RECV_CLOSED;
  if (!tea_session_header_decode (packet, len, &header) || header.session_id != conn->session_id)
    {
      conn->stats.dropped_auth++;
      return TEA_CONN_RECV_AUTH;
    }
  if (!tea_replay_window_check (&conn->replay, header.packet_number))
    {
      conn->stats.dropped_replay++;
      return TEA_CONN_RECV_REPLAY;
    }
  if (!open_packet (conn, packet, len, &header))
    {
      conn->stats.dropped_auth++;
      return TEA_CONN_RECV_AUTH;
    }
  *is_highest = tea_replay_window_update (&conn->replay, header.packet_number);
  conn->last_received = now_us;
  conn->stats.packets_received++;
  conn->stats.bytes_received += len;
  if (from_current_path && !conn->path_validated)
    conn->path_bytes_received += len;

  if (!process_frames (conn, packet + TEA_SESSION_HEADER_LEN, len - TEA_SESSION_OVERHEAD,
                       now_us, &ack_eliciting, &accepted))
    {
      tea_conn_close (conn, TEA_CODE_PROTOCOL_VIOLATION, now_us);
      return TEA_CONN_RECV_MALFORMED;
    }
  if (accepted)
    note_received (conn, header.packet_number, ack_eliciting, now_us);
  if (ack_eliciting)
    arm_quiet_probe (conn, now_us);
  return conn->state == TEA_CONN_CLOSED ? TEA_CONN_RECV_CLOSED : TEA_CONN_RECV_OK;
}

GBytes *
tea_conn_pop_message (TeaConn *conn)
{
  return g_queue_pop_head (&conn->messages);
}

void
tea_conn_set_message_func (TeaConn *conn, TeaConnMessageFunc func, gpointer user_data)
{
  conn->message_func = func;
  conn->message_data = user_data;
}

/* ---- Path validation --------------------------------------------------- */

void
tea_conn_path_changed (TeaConn *conn, guint32 bytes_received, gint64 now_us)
{
  tea_random_bytes (conn->challenge, sizeof conn->challenge);
  conn->path_validated = FALSE;
  conn->path_bytes_received = bytes_received;
  conn->path_bytes_sent = 0;
  /* The backoff grew from probes into the path that is gone (a NAT
   * rebinding black-holes everything until the peer speaks from its new
   * address); on the new one it would only delay the challenge's repeats
   * and the data's retransmission by seconds. */
  conn->rtt.backoff = 0;
  conn->challenge_next_send = now_us;
  conn->challenge_deadline = now_us + MAX (3 * tea_rtt_rto (&conn->rtt), PATH_VALIDATION_MIN_US);
  conn->path_event = TEA_PATH_EVENT_NONE;
}

gboolean
tea_conn_path_is_validated (const TeaConn *conn)
{
  return conn->path_validated;
}

TeaPathEvent
tea_conn_take_path_event (TeaConn *conn)
{
  TeaPathEvent event = conn->path_event;

  conn->path_event = TEA_PATH_EVENT_NONE;
  return event;
}

/* ---- Sending ----------------------------------------------------------- */

void
tea_conn_send_ping (TeaConn *conn)
{
  conn->ping_wanted = TRUE;
}

static void
maybe_update_send_key (TeaConn *conn, gint64 now_us)
{
  /* One update at a time: the peer must have seen this phase (we hold an
   * ack for it) before the next, or it could not tell the phases apart. */
  if (!conn->send_phase_acked)
    return;
  if (now_us - conn->send_phase_started < conn->config.rekey_interval_us &&
      conn->send_phase_packets < conn->config.rekey_packets)
    return;
  tea_noise_rekey (conn->send_key);
  conn->send_phase ^= 1;
  conn->send_phase_started = now_us;
  conn->send_phase_first_pn = conn->next_pn;
  conn->send_phase_packets = 0;
  conn->send_phase_acked = FALSE;
  conn->stats.key_updates_sent++;
}

static gboolean
ack_is_due (const TeaConn *conn, gint64 now_us)
{
  return conn->ack_pending > 0 && (conn->ack_immediately || now_us >= conn->ack_deadline);
}

/* The lowest frame that needs (re)sending, or frames_end if none. */
static guint64
first_frame_to_send (TeaConn *conn)
{
  for (guint64 seq = MAX (conn->lost_hint, conn->frames_base); seq < conn->frames_unsent; seq++)
    {
      if (frame_at (conn, seq)->state == FRAME_LOST)
        {
          conn->lost_hint = seq;
          return seq;
        }
    }
  conn->lost_hint = conn->frames_unsent;
  return conn->frames_unsent;
}

static gboolean
frame_wants_send (const TeaConn *conn, guint64 seq)
{
  if (seq >= conn->frames_end || seq >= conn->frames_base + STREAM_WINDOW)
    return FALSE;
  return seq >= conn->frames_unsent || frame_at (conn, seq)->state == FRAME_LOST;
}

/* Writes one contiguous run of STREAM frames; returns how many. */
static guint
write_stream_frames (TeaConn *conn, TeaWriter *w, guint64 first, guint64 pn)
{
  guint n = 0;

  for (guint64 seq = first; frame_wants_send (conn, seq); seq++)
    {
      OutFrame *f = frame_at (conn, seq);
      gsize before = w->pos;

      if (w->cap - w->pos < (gsize) TEA_STREAM_FRAME_OVERHEAD + f->len)
        break;
      tea_frame_write_stream (w, seq, f->fin ? TEA_STREAM_FLAG_FIN : 0, f->data, f->len);
      g_assert (!w->failed && w->pos == before + (gsize) TEA_STREAM_FRAME_OVERHEAD + f->len);
      if (f->state == FRAME_LOST)
        conn->stats.frames_retransmitted++;
      f->state = FRAME_IN_FLIGHT;
      f->last_pn = pn;
      if (seq >= conn->frames_unsent)
        conn->frames_unsent = seq + 1;
      n++;
    }
  return n;
}

static gsize
send_budget (const TeaConn *conn)
{
  guint64 allowed;

  if (conn->path_validated)
    return TEA_MAX_DATAGRAM;
  allowed = AMPLIFICATION_FACTOR * conn->path_bytes_received;
  return allowed > conn->path_bytes_sent ? MIN (allowed - conn->path_bytes_sent, TEA_MAX_DATAGRAM) : 0;
}

static gsize
writer_room (const TeaWriter *w)
{
  return w->cap - w->pos;
}

static gboolean
has_send_budget (const TeaConn *conn)
{
  return send_budget (conn) > (gsize) (TEA_SESSION_OVERHEAD + TEA_ACK_FRAME_MIN_LEN);
}

static gsize
seal (TeaConn *conn, guint8 *out, gsize payload_len)
{
  TeaSessionHeader header = {
    .key_phase = conn->send_phase,
    .session_id = conn->session_id,
    .packet_number = conn->next_pn,
  };

  tea_session_header_encode (&header, out);
  tea_aead_seal (conn->send_key, conn->next_pn, out, TEA_SESSION_HEADER_LEN,
                 out + TEA_SESSION_HEADER_LEN, payload_len, out + TEA_SESSION_HEADER_LEN);
  conn->next_pn++;
  conn->send_phase_packets++;
  return TEA_SESSION_OVERHEAD + payload_len;
}

static gsize
poll_close (TeaConn *conn, guint8 *out)
{
  TeaWriter w;

  tea_writer_init (&w, out + TEA_SESSION_HEADER_LEN, TEA_MAX_FRAMES_LEN);
  tea_frame_write_close (&w, conn->close_code);
  if (--conn->close_repeats_left == 0)
    conn->state = TEA_CONN_CLOSED;
  return seal (conn, out, w.pos);
}

static guint32
ack_delay_us (const TeaConn *conn, gint64 now_us)
{
  return (guint32) CLAMP (now_us - conn->largest_received_time, 0, G_MAXUINT32);
}

static gboolean
has_sendable_frames (const TeaConn *conn)
{
  guint64 seq;

  if (conn->in_flight >= conn->config.max_in_flight)
    return FALSE;
  for (seq = MAX (conn->lost_hint, conn->frames_base); seq < conn->frames_unsent; seq++)
    if (frame_at (conn, seq)->state == FRAME_LOST)
      break;
  if (!frame_wants_send (conn, seq))
    return FALSE;
  /* Only if it fits what an unvalidated path lets us send. */
  return send_budget (conn) >= (gsize) TEA_SESSION_OVERHEAD + ACK_RESERVE +
                                 TEA_STREAM_FRAME_OVERHEAD + frame_at (conn, seq)->len;
}

/* A packet that more STREAM frames follow at once goes out at the full
 * 1200 bytes: the relay sends such trains to one peer with UDP GSO, which
 * wants segments of one size (all but the last). Zeros are PADDING frames. */
static void
pad_to_full (TeaWriter *w)
{
  memset (w->data + w->pos, 0, w->cap - w->pos);
  w->pos = w->cap;
}

/* The room the ACK this packet will carry takes: none if nothing awaits
 * one. Reserving room for the largest ACK instead left 76 bytes of every
 * data packet empty, most of a frame of chat. */
static gsize
ack_frame_len (const TeaConn *conn)
{
  if (conn->ack_pending == 0)
    return 0;
  return TEA_ACK_FRAME_MIN_LEN + 4 * (MIN (received_n_ranges (conn), TEA_MAX_ACK_RANGES) - 1);
}

/* Something to send now (budget permitting), whatever the timers say. */
static gboolean
has_frames_due (const TeaConn *conn)
{
  return conn->ack_immediately || conn->response_pending || conn->ping_wanted || conn->probes_wanted > 0 ||
         (!conn->path_validated && conn->challenge_copies_owed > 0) || has_sendable_frames (conn);
}

/* While a path is unvalidated, every packet on it carries the challenge,
 * not only the timer's repeats. Held to three times what it received, the
 * relay may have no budget left for a repeat, and a client with nothing in
 * flight that received only ACKs since it last sent would stay silent
 * until its keepalive. The challenge makes each packet ack-eliciting: the
 * client answers it (its PTO repeats the answer until acknowledged), and
 * the answer validates the path and restores the budget. */
static gboolean
challenge_is_due (const TeaConn *conn, gint64 now_us)
{
  return !conn->path_validated && (now_us >= conn->challenge_next_send || has_frames_due (conn));
}

gsize
tea_conn_poll_transmit (TeaConn *conn, gint64 now_us, guint8 *out)
{
  TeaWriter w;
  gsize budget;
  gboolean ack_eliciting = FALSE;
  gboolean alone = FALSE; /* a challenge that another copy follows */
  guint n_stream = 0;
  guint64 first = 0;
  guint64 pn = conn->next_pn;
  gsize len;

  if (conn->state == TEA_CONN_CLOSED)
    return 0;
  if (conn->state == TEA_CONN_CLOSING)
    return poll_close (conn, out);

  maybe_update_send_key (conn, now_us);
  if (!has_send_budget (conn))
    return 0;
  budget = send_budget (conn);
  tea_writer_init (&w, out + TEA_SESSION_HEADER_LEN, budget - TEA_SESSION_OVERHEAD);

  /* Under a small anti-amplification budget not everything fits: each
   * frame is written only if it does, and the rest waits. */
  if (conn->response_pending && writer_room (&w) >= PATH_FRAME_LEN)
    {
      tea_frame_write_path (&w, TEA_FRAME_PATH_RESPONSE, conn->response);
      conn->response_pending = FALSE;
      ack_eliciting = TRUE;
    }
  if (challenge_is_due (conn, now_us) && writer_room (&w) >= PATH_FRAME_LEN)
    {
      tea_frame_write_path (&w, TEA_FRAME_PATH_CHALLENGE, conn->challenge);
      ack_eliciting = TRUE;
      if (now_us >= conn->challenge_next_send)
        {
          conn->challenge_next_send = now_us + tea_rtt_rto (&conn->rtt);
          conn->challenge_copies_owed = CHALLENGE_COPIES;
        }
      if (conn->challenge_copies_owed > 0)
        conn->challenge_copies_owed--;
      /* A copy still to follow goes first, alone: it fits the smallest
       * budget, and the next packet takes the ACK in what remains. */
      alone = conn->challenge_copies_owed > 0;
    }
  if (!alone && has_sendable_frames (conn))
    {
      gsize reserve = ack_frame_len (conn);

      first = first_frame_to_send (conn);
      /* Leave room for the ACK so data packets always carry one. */
      w.cap -= reserve;
      n_stream = write_stream_frames (conn, &w, first, pn);
      w.cap += reserve;
      ack_eliciting |= n_stream > 0;
    }
  if ((conn->ping_wanted || conn->probes_wanted > 0) && !ack_eliciting && writer_room (&w) >= 1)
    {
      tea_frame_write_ping (&w);
      ack_eliciting = TRUE;
    }
  conn->ping_wanted = FALSE;
  if (ack_eliciting && conn->probes_wanted > 0)
    conn->probes_wanted--;

  if (!alone && conn->ack_pending > 0 && (ack_eliciting || ack_is_due (conn, now_us)) &&
      writer_room (&w) >= TEA_ACK_FRAME_MIN_LEN)
    {
      guint max_ranges = 1 + (writer_room (&w) - TEA_ACK_FRAME_MIN_LEN) / 4;
      const TeaAckRanges *ranges = conn->received_many;
      TeaAckRanges one;

      if (ranges == NULL)
        {
          one.n_ranges = conn->received_n;
          one.ranges[0] = conn->received_one;
          ranges = &one;
        }
      tea_frame_write_ack (&w, ranges, ack_delay_us (conn, now_us), MIN (max_ranges, TEA_MAX_ACK_RANGES));
      conn->ack_pending = 0;
      conn->ack_immediately = FALSE;
      conn->ack_deadline = G_MAXINT64;
    }
  if (w.pos == 0)
    return 0;
  g_assert (!w.failed);
  if (n_stream > 0 && conn->path_validated && has_sendable_frames (conn))
    pad_to_full (&w);

  len = seal (conn, out, w.pos);
  if (ack_eliciting)
    {
      SentPacket *p = sent_push (conn);

      p->pn = pn;
      p->time_sent = now_us;
      p->seq_first = first;
      p->seq_count = n_stream;
      p->bytes = len;
      p->state = SENT_IN_FLIGHT;
      conn->last_ack_eliciting_sent = now_us;
      conn->quiet_probe_at = G_MAXINT64;
    }
  conn->last_sent = now_us;
  conn->stats.packets_sent++;
  conn->stats.bytes_sent += len;
  if (!conn->path_validated)
    conn->path_bytes_sent += len;
  return len;
}

/* ---- Timers ------------------------------------------------------------ */

static gint64
earliest_loss_time (const TeaConn *conn)
{
  if (!conn->any_acked)
    return G_MAXINT64;
  for (guint i = 0; i < conn->sent_len; i++)
    {
      const SentPacket *p = sent_at (conn, i);

      if (p->state != SENT_IN_FLIGHT)
        continue;
      if (p->pn >= conn->largest_acked)
        break;
      return p->time_sent + loss_delay (conn);
    }
  return G_MAXINT64;
}

static gint64
pto_deadline (const TeaConn *conn)
{
  if (conn->in_flight == 0)
    return G_MAXINT64;
  return conn->last_ack_eliciting_sent + tea_rtt_rto (&conn->rtt);
}

static gint64
keepalive_deadline (const TeaConn *conn)
{
  if (conn->config.keepalive_us <= 0 || conn->in_flight > 0)
    return G_MAXINT64;
  return conn->last_ack_eliciting_sent + conn->config.keepalive_us;
}


gint64
tea_conn_next_deadline (const TeaConn *conn)
{
  gint64 deadline;

  if (conn->state == TEA_CONN_CLOSED)
    return G_MAXINT64;
  if (conn->state == TEA_CONN_CLOSING)
    return 0;
  /* Something to send now, unless the anti-amplification budget of an
   * unvalidated path is spent: then only the peer's packets can help. */
  if (has_frames_due (conn) && has_send_budget (conn))
    return 0;

  deadline = conn->last_received + conn->config.idle_timeout_us;
  deadline = MIN (deadline, earliest_loss_time (conn));
  deadline = MIN (deadline, pto_deadline (conn));
  if (!conn->path_validated)
    deadline = MIN (deadline, conn->challenge_deadline);
  if (has_send_budget (conn))
    {
      if (conn->ack_pending > 0)
        deadline = MIN (deadline, conn->ack_deadline);
      deadline = MIN (deadline, keepalive_deadline (conn));
      deadline = MIN (deadline, conn->quiet_probe_at);
      if (!conn->path_validated)
        deadline = MIN (deadline, conn->challenge_next_send);
    }
  if (conn->reassembly)
    deadline = MIN (deadline, conn->reassembly_started + conn->config.reassembly_timeout_us);
  return deadline;
}

/* RFC 9002's probe timeout, in RFC 6298's shape: back off, resend the
 * oldest unacknowledged packet's frames, and send two ack-eliciting packets
 * (the second a PING if there is nothing else) so that one lost ack does not
 * cost a whole backed-off timeout. */
static void
on_probe_timeout (TeaConn *conn, gint64 now_us)
{
  conn->stats.ptos++;
  conn->rtt.backoff++;
  for (guint i = 0; i < conn->sent_len; i++)
    {
      SentPacket *p = sent_at (conn, i);

      if (p->state != SENT_IN_FLIGHT)
        continue;
      packet_lost (conn, p);
      conn->stats.packets_lost--; /* a probe, not a detected loss */
      break;
    }
  sent_trim (conn, now_us);
  /* Restart the timer from now, so a backed-off probe is not sent at once. */
  conn->last_ack_eliciting_sent = now_us;
  conn->probes_wanted = 2;
}

void
tea_conn_handle_timeout (TeaConn *conn, gint64 now_us)
{
  if (conn->state != TEA_CONN_OPEN)
    return;
  if (now_us - conn->last_received >= conn->config.idle_timeout_us)
    {
      set_closed (conn, TEA_CODE_IDLE_TIMEOUT);
      return;
    }
  if (conn->reassembly && now_us - conn->reassembly_started >= conn->config.reassembly_timeout_us)
    {
      tea_conn_close (conn, TEA_CODE_REASSEMBLY_TIMEOUT, now_us);
      return;
    }
  if (!conn->path_validated && now_us >= conn->challenge_deadline)
    {
      /* The owner goes back to the old address, which was validated. */
      conn->path_validated = TRUE;
      conn->path_event = TEA_PATH_EVENT_FAILED;
    }
  if (earliest_loss_time (conn) <= now_us)
    detect_lost_packets (conn, now_us);
  if (pto_deadline (conn) <= now_us)
    on_probe_timeout (conn, now_us);
  if (keepalive_deadline (conn) <= now_us || conn->quiet_probe_at <= now_us)
    conn->ping_wanted = TRUE;
  if (conn->ack_pending > 0 && now_us >= conn->ack_deadline)
    conn->ack_immediately = TRUE;
}
