/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A connection to a relay, in the thread-default main context: resolving,
 * the cookie and Noise handshakes with key pinning, signing in, joining
 * rooms, and staying connected: a lost session is replaced automatically,
 * rooms are rejoined and missed events caught up, each delivered once.
 * teahouse-cli, the desktop client, tests and tools all use it.
 */
#pragma once

#include <gio/gio.h>

#include "tea-conn.h"
#include "tea-known-servers.h"
#include "tea-message.h"

G_BEGIN_DECLS

typedef enum {
  TEA_CLIENT_STATE_DISCONNECTED,
  TEA_CLIENT_STATE_CONNECTING,
  TEA_CLIENT_STATE_CONNECTED,   /* signed in */
  TEA_CLIENT_STATE_RECONNECTING,/* lost; waiting to try again, or trying */
  TEA_CLIENT_STATE_FAILED,      /* gave up; see tea_client_get_error */
} TeaClientState;

/* Errors of TEA_CLIENT_ERROR are TeaCode values when the relay gave the
 * reason, or these when the client found it. */
typedef enum {
  TEA_CLIENT_ERROR_UNREACHABLE = 1000,
  TEA_CLIENT_ERROR_RESOLVE = 1001,
  TEA_CLIENT_ERROR_KEY_CHANGED = 1002,
  TEA_CLIENT_ERROR_NETWORK = 1003,
  TEA_CLIENT_ERROR_CONNECTION_LOST = 1004,
  TEA_CLIENT_ERROR_WRONG_KEY = 1005, /* not the key the link pinned */
} TeaClientError;

#define TEA_CLIENT_ERROR (tea_client_error_quark ())
GQuark tea_client_error_quark (void);

#define TEA_TYPE_CLIENT (tea_client_get_type ())
G_DECLARE_FINAL_TYPE (TeaClient, tea_client, TEA, CLIENT, GObject)

TeaClient *tea_client_new (const char *host, guint16 port, const char *nick);

/* Key pinning. Without a store, any key is accepted (tests only). */
void tea_client_set_known_servers (TeaClient *client, TeaKnownServers *known);
/* A fingerprint from a teahouse:// link: only this key is accepted. */
void tea_client_set_pinned_fingerprint (TeaClient *client, const char *fingerprint);
/* Accept and re-pin a key that differs from the pinned one. */
void tea_client_set_accept_new_key (TeaClient *client, gboolean accept);
/* Give up on the first connection after this long (default 10 s). */
void tea_client_set_connect_timeout (TeaClient *client, guint seconds);
void tea_client_set_client_name (TeaClient *client, const char *name);
/* Keeps the session's resume token in this file (mode 0600), so that after
 * a crash or a restart of the app the new session takes over the old one
 * instead of finding its own nick taken by it. */
void tea_client_set_resume_file (TeaClient *client, const char *path);

void tea_client_connect (TeaClient *client);
/* Sends QUIT (with an optional reason) and stops. */
void tea_client_disconnect (TeaClient *client, const char *reason);
/* Skips the wait before the next reconnection attempt. */
void tea_client_reconnect_now (TeaClient *client);
/* Moves to a new local socket (a new port), as after a network change. */
gboolean tea_client_rebind (TeaClient *client, GError **error);
/* The network changed or the computer woke up: check the session now
 * instead of at the next keepalive (or retry now if reconnecting). */
void tea_client_network_changed (TeaClient *client);
/* Calls tea_client_network_changed() by itself whenever the network
 * changes or the computer resumes (TeaNetworkWatch). For real clients;
 * tests leave it off. */
void tea_client_watch_network (TeaClient *client);

TeaClientState tea_client_get_state (TeaClient *client);
const GError *tea_client_get_error (TeaClient *client);
/* When the next reconnection attempt starts (monotonic µs), or 0. */
gint64 tea_client_get_reconnect_time (TeaClient *client);
const char *tea_client_get_nick (TeaClient *client);
const char *tea_client_get_host (TeaClient *client);
guint16 tea_client_get_port (TeaClient *client);
/* "SHA256:…" once the relay's key is known. */
const char *tea_client_get_server_fingerprint (TeaClient *client);
const TeaConnStats *tea_client_get_conn_stats (TeaClient *client);
guint64 tea_client_get_session_id (TeaClient *client);
/* Rooms joined (or being rejoined), by name. */
GStrv tea_client_dup_rooms (TeaClient *client);
gboolean tea_client_in_room (TeaClient *client, const char *room);
/* The latest event seq seen in a room (0 if none). */
guint64 tea_client_get_last_seq (TeaClient *client, const char *room);

/* Requests. Each returns its request id (0 if it could not be sent: not
 * connected, or not in that room); the answer comes as a "reply" signal. */
guint32 tea_client_join (TeaClient *client, const char *room, guint16 history);
/* Stops wanting a room that was never joined (no PART is sent). */
void tea_client_forget_room (TeaClient *client, const char *room);
guint32 tea_client_part (TeaClient *client, const char *room, const char *reason);
guint32 tea_client_say (TeaClient *client, const char *room, const char *text, TeaTextKind kind);
guint32 tea_client_privmsg (TeaClient *client, const char *nick, const char *text, TeaTextKind kind);
guint32 tea_client_set_topic (TeaClient *client, const char *room, const char *topic);
guint32 tea_client_names (TeaClient *client, const char *room);
guint32 tea_client_list (TeaClient *client);
guint32 tea_client_change_nick (TeaClient *client, const char *nick);
guint32 tea_client_edit (TeaClient *client, const char *room, guint64 seq, const char *text);
guint32 tea_client_delete (TeaClient *client, const char *room, guint64 seq);

G_END_DECLS
