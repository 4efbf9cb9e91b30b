/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One end of an established session, without I/O: packet protection and
 * key updates, the replay window, acknowledgements, loss recovery and
 * retransmission, the ordered reliable message stream, path validation,
 * keepalive and idle timeout. The relay and the client feed it datagrams
 * and the clock, and ask it for datagrams to send; tests drive it through
 * simulated links with a fake clock.
 */
#pragma once

#include <glib.h>

#include "tea-protocol.h"

G_BEGIN_DECLS

typedef struct _TeaConn TeaConn;

typedef struct
{
  guint max_in_flight;      /* ack-eliciting packets awaiting an ack */
  guint max_queued_frames;  /* send queue cap, in STREAM frames */
  gsize max_queued_bytes;   /* send queue cap, in payload bytes */
  gsize max_reorder_bytes;  /* out-of-order receive buffer cap */
  gint64 idle_timeout_us;   /* nothing received for this long: closed */
  gint64 keepalive_us;      /* send a PING when idle this long; 0 = never */
  gint64 rekey_interval_us; /* update the send key this often */
  guint64 rekey_packets;    /* ... or after this many packets */
  gint64 reassembly_timeout_us;
} TeaConnConfig;

void tea_conn_config_init (TeaConnConfig *config);

typedef enum {
  TEA_CONN_OPEN,
  TEA_CONN_CLOSING, /* sending CLOSE */
  TEA_CONN_CLOSED,
} TeaConnState;

typedef enum {
  TEA_CONN_RECV_OK,
  TEA_CONN_RECV_REPLAY,   /* packet number seen before or too old */
  TEA_CONN_RECV_AUTH,     /* failed to open: forged, corrupted, wrong key */
  TEA_CONN_RECV_MALFORMED,/* opened but the frames were malformed: closed */
  TEA_CONN_RECV_CLOSED,   /* the session is over */
} TeaConnRecvResult;

typedef enum {
  TEA_PATH_EVENT_NONE,
  TEA_PATH_EVENT_VALIDATED,
  TEA_PATH_EVENT_FAILED,
} TeaPathEvent;

typedef struct
{
  guint64 packets_sent;
  guint64 packets_received;
  guint64 bytes_sent;
  guint64 bytes_received;
  guint64 frames_retransmitted;
  guint64 packets_lost;
  guint64 spurious_losses; /* declared lost, then acknowledged */
  guint64 dropped_replay;
  guint64 dropped_auth;
  guint64 dropped_window; /* a STREAM frame beyond what we buffer */
  guint64 duplicate_frames;
  guint64 key_updates_sent;
  guint64 key_updates_received;
  guint64 ptos;
} TeaConnStats;

TeaConn *tea_conn_new (gboolean is_client,
                       guint64 session_id,
                       const guint8 send_key[TEA_KEY_LEN],
                       const guint8 recv_key[TEA_KEY_LEN],
                       const TeaConnConfig *config,
                       gint64 now_us);
void tea_conn_free (TeaConn *conn);

guint64 tea_conn_get_session_id (const TeaConn *conn);
TeaConnState tea_conn_get_state (const TeaConn *conn);
/* Why the session ended (a TeaCode), once closing or closed. */
guint16 tea_conn_get_close_code (const TeaConn *conn);
/* TRUE if the close came from the peer's CLOSE frame. */
gboolean tea_conn_closed_by_peer (const TeaConn *conn);
const TeaConnStats *tea_conn_get_stats (const TeaConn *conn);
gint64 tea_conn_get_srtt (const TeaConn *conn);

/* Opens and processes one SESSION packet addressed to this session. The
 * packet is decrypted in place. from_current_path says whether it came
 * from the address the owner currently sends to (it counts towards the
 * anti-amplification budget while that path is being validated).
 * *is_highest is set when it authenticated and carried the highest packet
 * number seen so far: only such a packet may move the session to a new
 * address. */
TeaConnRecvResult tea_conn_receive (TeaConn *conn,
                                    guint8 *packet,
                                    gsize len,
                                    gboolean from_current_path,
                                    gint64 now_us,
                                    gboolean *is_highest);

/* The next complete message that arrived, in order; NULL if none. */
GBytes *tea_conn_pop_message (TeaConn *conn);

/* A complete message, borrowed: data is valid only during the call. */
typedef void (*TeaConnMessageFunc) (const guint8 *data, gsize len, gpointer user_data);
/* From now on complete messages go to func, in order, during
 * tea_conn_receive, instead of being copied for tea_conn_pop_message: for
 * a receiver that reads each message once and keeps nothing of it (the
 * load generator: a copy and a queue entry per delivery cost it more than
 * parsing). func may queue messages on conn or close it, not free it. */
void tea_conn_set_message_func (TeaConn *conn, TeaConnMessageFunc func, gpointer user_data);

/* Queues a message for reliable, ordered delivery (fragmented if needed).
 * Returns FALSE if the send queue is full: the peer is not keeping up. */
gboolean tea_conn_queue_message (TeaConn *conn, GBytes *message);
guint tea_conn_get_queued_frames (const TeaConn *conn);
/* TRUE while queued messages have not all been acknowledged. */
gboolean tea_conn_has_unacked (const TeaConn *conn);

/* Writes the next datagram to send into out (TEA_MAX_DATAGRAM bytes) and
 * returns its length, or 0 if there is nothing to send now. */
gsize tea_conn_poll_transmit (TeaConn *conn, gint64 now_us, guint8 *out);
/* The earliest time handle_timeout wants to run; G_MAXINT64 for never. */
gint64 tea_conn_next_deadline (const TeaConn *conn);
void tea_conn_handle_timeout (TeaConn *conn, gint64 now_us);

/* Begins closing: CLOSE frames carry code to the peer. */
void tea_conn_close (TeaConn *conn, guint16 code, gint64 now_us);
/* Ends at once without telling the peer (e.g. after a stateless reset). */
void tea_conn_abort (TeaConn *conn, guint16 code);

/* The owner now sends to a new, unvalidated address: challenge it, and
 * until it answers send it at most three times what it sent us. */
void tea_conn_path_changed (TeaConn *conn, guint32 bytes_received, gint64 now_us);
gboolean tea_conn_path_is_validated (const TeaConn *conn);
TeaPathEvent tea_conn_take_path_event (TeaConn *conn);

/* Tests: send a PING now (forces an ack-eliciting packet). */
void tea_conn_send_ping (TeaConn *conn);

G_END_DECLS
