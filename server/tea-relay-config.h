/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The relay's limits and policies. Defaults are documented in
 * data/teahoused.conf, which is also the example configuration file.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  guint max_sessions;
  guint max_rooms;
  guint max_rooms_per_session;
  guint max_members_per_room;
  guint backlog;              /* room events kept for catch-up */
  gsize catch_up_bytes;       /* most backlog bytes sent on one JOIN */
  guint idle_timeout_s;
  guint keepalive_s;          /* told to clients */
  double flood_burst;         /* messages per session, then ... */
  double flood_rate;          /* ... this many per second */
  double handshake_burst;     /* session setups per source address, then ... */
  double handshake_rate;      /* ... this many per second */
  guint max_queued_frames;    /* per-session send queue before it is dropped */
  gsize max_queued_bytes;
  gboolean legacy;            /* accept the seed's plaintext clients */
  guint legacy_idle_timeout_s;
  gsize legacy_budget;        /* bytes sent to a legacy address per datagram it sends */
  char *server_name;
} TeaRelayConfig;

void tea_relay_config_init (TeaRelayConfig *config);
void tea_relay_config_clear (TeaRelayConfig *config);
void tea_relay_config_copy (TeaRelayConfig *dest, const TeaRelayConfig *src);
/* Reads the [relay] group of a key file over the current values. Unknown
 * keys and out-of-range values are errors, so a typo never goes unnoticed. */
gboolean tea_relay_config_load (TeaRelayConfig *config, GKeyFile *key_file, GError **error);

G_END_DECLS
