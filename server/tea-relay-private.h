/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * TeaRelay's insides, shared by tea-relay*.c and tea-room.c. Sessions and
 * rooms are plain structs, not GObjects: a relay holds hundreds of
 * thousands of sessions and each byte of a session counts.
 */
#pragma once

#include "tea-conn.h"
#include "tea-cookie.h"
#include "tea-message.h"
#include "tea-relay.h"
#include "tea-timer-wheel.h"
#include "tea-token-bucket.h"

G_BEGIN_DECLS

/* Stateless resets answer packets for sessions we do not know; a budget
 * keeps a flood of such packets from costing unbounded CPU. It is shared,
 * so it is generous: a flood that exhausts it only delays clients of a
 * restarted relay until their idle timeout (docs/SECURITY.md). */
#define TEA_RESET_BURST 1000
#define TEA_RESET_RATE 1000
/* Per-host handshake buckets kept at most (tea-relay-handshake.c). */
#define TEA_HANDSHAKE_LIMITS_MAX 4096

typedef struct _TeaRoom TeaRoom;
typedef struct _TeaSession TeaSession;

typedef struct
{
  TeaRoom *room;
  guint64 last_said_seq; /* the member's latest message, for EDIT/DELETE */
} TeaMembership;

struct _TeaSession
{
  guint64 id;
  TeaConn *conn; /* NULL for a legacy client */
  TeaAddr addr;
  TeaAddr old_addr; /* where to go back to if the new path fails */
  gboolean has_old_addr;
  GSocketAddress *socket_address;
  char *nick;     /* NULL until LOGIN */
  char *nick_key; /* folded nick, the key of sessions_by_nick */
  guint8 flags;   /* TeaMemberFlags */
  GPtrArray *memberships;
  TeaTokenBucket flood;
  guint8 resume_token[TEA_RESUME_TOKEN_LEN];
  guint8 client_ephemeral[TEA_KEY_LEN]; /* recognises a retransmitted INIT */
  guint8 *accept_packet; /* kept until the client proves it got it */
  guint16 accept_len;
  TeaTimer timer;
  gboolean dirty;
  gboolean doomed;
  guint16 doom_code;
  /* Legacy clients only. */
  gint64 legacy_last_heard;
  gsize legacy_budget;
};

struct _TeaRoom
{
  guint32 id;
  char *name;
  char *key; /* folded name */
  guint64 epoch;
  char *topic;
  guint64 seq; /* of the latest event */
  GPtrArray *members; /* TeaSession, not owned */
  /* The latest events, encoded once, for catch-up: a ring. */
  GBytes **backlog;
  guint backlog_cap;
  guint backlog_len;
  guint64 backlog_first_seq;
};

struct _TeaRelay
{
  GObject parent_instance;

  TeaRelayConfig config;
  TeaKeypair key;
  guint8 reset_key[TEA_KEY_LEN];
  TeaCookieJar cookies;

  GHashTable *sessions;             /* &id -> TeaSession, owns */
  GHashTable *sessions_by_nick;     /* nick_key -> TeaSession */
  GHashTable *sessions_by_token;    /* resume_token -> TeaSession */
  GHashTable *sessions_by_ephemeral;/* client_ephemeral -> TeaSession */
  GHashTable *legacy_by_addr;       /* &addr -> TeaSession */
  GHashTable *rooms_by_key;         /* key -> TeaRoom, owns */
  GHashTable *rooms_by_id;          /* &id -> TeaRoom */
  guint32 next_room_id;
  GHashTable *handshake_limits;     /* host -> HandshakeLimit */
  TeaTokenBucket reset_limit;

  TeaTimerWheel wheel;
  GPtrArray *dirty;  /* sessions with something to send */
  GPtrArray *doomed; /* sessions to end once the current work is done */

  TeaDatagram *outbox;
  guint outbox_len;
  TeaRelayOutputFunc output;
  gpointer output_data;
  gint64 (*wall_clock) (void);
  gint64 now;

  TeaRelayStats stats;
};

/* tea-relay.c */
TeaSession *_tea_relay_session_new (TeaRelay *relay, const TeaAddr *addr);
void _tea_relay_session_set_addr (TeaRelay *relay, TeaSession *session, const TeaAddr *addr);
/* Ends a session: tells its rooms (event kind TIMEOUT with code, or QUIT
 * with reason), removes it everywhere and frees it. */
void _tea_relay_end_session (TeaRelay *relay, TeaSession *session, guint8 kind, guint16 code, TeaStr reason);
/* Marks a session to be ended when the current operation completes. */
void _tea_relay_doom (TeaRelay *relay, TeaSession *session, guint16 code);
void _tea_relay_mark_dirty (TeaRelay *relay, TeaSession *session);
/* Re-arms a session's timer from its current deadline. */
void _tea_relay_reschedule (TeaRelay *relay, TeaSession *session);
void _tea_relay_send_raw (TeaRelay *relay, const TeaAddr *to, GSocketAddress *socket_address,
                          const guint8 *data, gsize len);
/* Queues a message on a session's reliable stream; dooms it if full. */
void _tea_relay_send (TeaRelay *relay, TeaSession *session, const TeaMessage *msg);
void _tea_relay_send_bytes (TeaRelay *relay, TeaSession *session, GBytes *bytes);
void _tea_relay_send_error (TeaRelay *relay, TeaSession *session, guint32 req_id,
                            TeaCode code, const char *detail, gint64 retry_after_us);
gint64 _tea_relay_wall_ms (TeaRelay *relay);
void _tea_relay_process_doomed (TeaRelay *relay);

/* tea-relay-handshake.c */
void _tea_relay_handle_hello (TeaRelay *relay, const TeaAddr *from, const guint8 *data, gsize len);
void _tea_relay_handle_init (TeaRelay *relay, const TeaAddr *from, const guint8 *data, gsize len);
void _tea_relay_send_reset (TeaRelay *relay, const TeaAddr *from, guint64 session_id, gsize received_len);
void _tea_relay_reset_token (TeaRelay *relay, guint64 session_id, guint8 token[TEA_RESET_TOKEN_LEN]);

/* tea-relay-requests.c */
void _tea_relay_handle_message (TeaRelay *relay, TeaSession *session, GBytes *message);
/* Numbers an event, keeps it in the backlog, sends it to every member
 * (legacy members get the seed's text form) except `except`. */
guint64 _tea_relay_broadcast (TeaRelay *relay, TeaRoom *room, TeaEvent *event, TeaSession *except);
void _tea_relay_take_over (TeaRelay *relay, TeaSession *session, TeaSession *old);
void _tea_relay_leave_all_rooms (TeaRelay *relay, TeaSession *session, guint8 kind, guint16 code, TeaStr reason);

/* tea-relay-legacy.c */
void _tea_relay_handle_legacy (TeaRelay *relay, const TeaAddr *from, const guint8 *data, gsize len);
void _tea_relay_legacy_send_event (TeaRelay *relay, TeaSession *session, const TeaEvent *event);
void _tea_relay_legacy_timeout (TeaRelay *relay, TeaSession *session, gint64 now_us);

/* tea-room.c */
TeaRoom *_tea_room_new (guint32 id, const char *name, const char *key, guint backlog_cap);
void _tea_room_free (TeaRoom *room);
void _tea_room_append_backlog (TeaRoom *room, GBytes *event);
/* The backlogged event with this seq, or NULL if it is no longer kept. */
GBytes *_tea_room_get_backlog (TeaRoom *room, guint64 seq);
guint64 _tea_room_oldest_seq (TeaRoom *room);
TeaMembership *_tea_session_find_membership (TeaSession *session, guint32 room_id);
void _tea_room_remove_member (TeaRoom *room, TeaSession *session);

G_END_DECLS
