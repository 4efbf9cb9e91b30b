/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A UDP proxy that impairs what it forwards, in the thread-default main
 * context: each client address gets its own socket towards the upstream
 * (as a NAT gives each a mapping), each direction its own TeaImpair, and
 * the mappings can move to new ports (as a NAT rebinding does). The
 * tea-netem program and the tests that put a bad network between real
 * clients and a real relay both use it.
 */
#pragma once

#include <gio/gio.h>

#include "tea-impair.h"

G_BEGIN_DECLS

typedef enum {
  TEA_NETEM_UP,   /* client to upstream */
  TEA_NETEM_DOWN, /* upstream to client */
  TEA_NETEM_N_DIRECTIONS
} TeaNetemDirection;

#define TEA_TYPE_NETEM (tea_netem_get_type ())
G_DECLARE_FINAL_TYPE (TeaNetem, tea_netem, TEA, NETEM, GObject)

/* Listens on listen_address (port 0 picks a free one) and forwards to
 * upstream. Every random choice follows from seed. */
TeaNetem *tea_netem_new (GSocketAddress *listen_address,
                         GSocketAddress *upstream,
                         guint32 seed,
                         GError **error);
/* Tests: on 127.0.0.1, to a relay on 127.0.0.1:upstream_port. */
TeaNetem *tea_netem_new_loopback (guint16 upstream_port, guint32 seed);
guint16 tea_netem_get_port (TeaNetem *netem);

/* The impairment of one direction; change it at any time. */
TeaImpairConfig *tea_netem_get_config (TeaNetem *netem, TeaNetemDirection direction);
/* Both directions alike. */
void tea_netem_set_config (TeaNetem *netem, const TeaImpairConfig *config);
/* A total outage, both ways, while set. */
void tea_netem_set_blackout (TeaNetem *netem, gboolean blackout);

/* Every mapping moves to a new port this often (0: never), and one idle
 * this long is forgotten (0: never). */
void tea_netem_set_rebind_interval (TeaNetem *netem, guint seconds);
void tea_netem_set_mapping_timeout (TeaNetem *netem, guint seconds);
/* Every mapping moves to a new port now. */
void tea_netem_rebind (TeaNetem *netem);

const TeaImpairStats *tea_netem_get_stats (TeaNetem *netem, TeaNetemDirection direction);
/* Both directions. */
guint64 tea_netem_get_forwarded (TeaNetem *netem);
guint64 tea_netem_get_dropped (TeaNetem *netem);
guint tea_netem_get_n_mappings (TeaNetem *netem);
guint64 tea_netem_get_n_rebinds (TeaNetem *netem);
/* The counters as a small table, for people. */
char *tea_netem_format_stats (TeaNetem *netem);

/* Tests: keeps a copy (GBytes) of every datagram offered, both ways. */
void tea_netem_set_capture (TeaNetem *netem, gboolean capture);
GPtrArray *tea_netem_get_captured (TeaNetem *netem);
/* Tests: sends a datagram to every client as if from the upstream, as an
 * attacker who can spoof the relay's address would. */
void tea_netem_inject_to_clients (TeaNetem *netem, const guint8 *data, gsize len);

G_END_DECLS
