/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Relay keys the user has seen, pinned on first use like SSH's
 * known_hosts: a file of "host:port fingerprint" lines, shared by
 * teahouse and teahouse-cli.
 */
#pragma once

#include <glib.h>

#include "tea-protocol.h"

G_BEGIN_DECLS

typedef enum {
  TEA_KEY_CHECK_NEW,      /* never seen this server: pinned now */
  TEA_KEY_CHECK_MATCH,    /* the pinned key */
  TEA_KEY_CHECK_MISMATCH, /* a different key: refuse */
} TeaKeyCheck;

typedef struct _TeaKnownServers TeaKnownServers;

/* NULL path: $XDG_CONFIG_HOME/teahouse/known-servers */
TeaKnownServers *tea_known_servers_new (const char *path);
void tea_known_servers_free (TeaKnownServers *known);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TeaKnownServers, tea_known_servers_free)
const char *tea_known_servers_get_path (TeaKnownServers *known);

/* The pinned fingerprint for host:port, or NULL. */
const char *tea_known_servers_lookup (TeaKnownServers *known, const char *host, guint16 port);
/* Pins (or re-pins) a key and saves the file. */
gboolean tea_known_servers_remember (TeaKnownServers *known, const char *host, guint16 port,
                                     const char *fingerprint, GError **error);
gboolean tea_known_servers_forget (TeaKnownServers *known, const char *host, guint16 port, GError **error);

G_END_DECLS
