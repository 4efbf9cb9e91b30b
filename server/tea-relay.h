/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The relay: rooms, sessions and the protocol's server side, without I/O.
 * Datagrams go in with tea_relay_receive(); datagrams to send come out
 * through the output function, in batches. The caller owns the clock and
 * the sockets (TeaListener in the daemon and the desktop app, a fake clock
 * in tests and fuzzers), so one relay can run anywhere.
 */
#pragma once

#include <gio/gio.h>

#include "tea-addr.h"
#include "tea-noise.h"
#include "tea-protocol.h"
#include "tea-relay-config.h"

G_BEGIN_DECLS

typedef struct
{
  TeaAddr addr;
  GSocketAddress *socket_address; /* borrowed; may be NULL */
  guint16 len;
  guint8 data[TEA_MAX_DATAGRAM];
} TeaDatagram;

/* Datagrams to send now; valid only during the call. */
typedef void (*TeaRelayOutputFunc) (TeaDatagram *datagrams, guint n_datagrams, gpointer user_data);

typedef struct
{
  guint64 datagrams_received;
  guint64 datagrams_sent;
  guint64 bytes_received;
  guint64 bytes_sent;
  /* Bytes exchanged with addresses that had not proven they receive at
   * their address (HELLO, bad INITs): sent must never exceed received. */
  guint64 unvalidated_bytes_received;
  guint64 unvalidated_bytes_sent;
  guint64 hellos;
  guint64 sessions_created;
  guint64 sessions_ended;
  guint64 handshakes_rejected;
  guint64 resets_sent;
  guint64 migrations;
  /* Counted drops, by reason. */
  guint64 dropped_foreign;
  guint64 dropped_bad_version;
  guint64 dropped_malformed;
  guint64 dropped_oversized;
  guint64 dropped_bad_cookie;
  guint64 dropped_handshake;
  guint64 dropped_unknown_session;
  guint64 dropped_replay;
  guint64 dropped_auth;
  guint64 dropped_legacy_budget;
  guint64 requests_refused; /* answered with ERROR */
} TeaRelayStats;

#define TEA_TYPE_RELAY (tea_relay_get_type ())
G_DECLARE_FINAL_TYPE (TeaRelay, tea_relay, TEA, RELAY, GObject)

TeaRelay *tea_relay_new (const TeaRelayConfig *config, const TeaKeypair *server_key, gint64 now_us);
void tea_relay_set_output_func (TeaRelay *relay,
                                TeaRelayOutputFunc func,
                                gpointer user_data);
/* Tests and fuzzers: a fixed wall clock (Unix ms) for event timestamps. */
void tea_relay_set_wall_clock (TeaRelay *relay, gint64 (*now_ms) (void));
/* Applies a new configuration (SIGHUP); limits apply to what comes next. */
void tea_relay_reconfigure (TeaRelay *relay, const TeaRelayConfig *config);
const TeaRelayConfig *tea_relay_get_config (TeaRelay *relay);

/* Handles one datagram; data may be modified (decrypted in place). */
void tea_relay_receive (TeaRelay *relay, const TeaAddr *from, guint8 *data, gsize len, gint64 now_us);
/* A datagram too large for any Teahouse peer arrived (cut by the socket). */
void tea_relay_count_oversized (TeaRelay *relay);
/* Sends what became ready; call after a batch of receives or timeouts. */
void tea_relay_flush (TeaRelay *relay, gint64 now_us);
gint64 tea_relay_next_deadline (TeaRelay *relay);
void tea_relay_handle_timeouts (TeaRelay *relay, gint64 now_us);
/* Tells every member the relay is going down and closes every session. */
void tea_relay_shutdown (TeaRelay *relay, gint64 now_us);

const TeaRelayStats *tea_relay_get_stats (TeaRelay *relay);
guint tea_relay_get_n_sessions (TeaRelay *relay);
guint tea_relay_get_n_rooms (TeaRelay *relay);
const guint8 *tea_relay_get_public_key (TeaRelay *relay);

G_END_DECLS
