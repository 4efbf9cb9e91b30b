/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * teahoused as an object: setup reads configuration and the key, start
 * opens the sockets and installs signal handlers, stop says goodbye.
 */
#pragma once

#include <gio/gio.h>

#include "tea-relay-config.h"

G_BEGIN_DECLS

typedef struct
{
  char *config_file;
  char *bind_address;
  char *state_dir;
  gint port;          /* outside 0-65535: not given */
  gint max_sessions;  /* -1: not given */
  gint idle_timeout;  /* -1: not given */
  gboolean legacy;
  gboolean verbose;
} TeaDaemonOptions;

#define TEA_TYPE_DAEMON (tea_daemon_get_type ())
G_DECLARE_FINAL_TYPE (TeaDaemon, tea_daemon, TEA, DAEMON, GObject)

TeaDaemon *tea_daemon_new (void);
gboolean tea_daemon_setup (TeaDaemon *daemon, const TeaDaemonOptions *options, GError **error);
gboolean tea_daemon_start (TeaDaemon *daemon, GError **error);
/* Tells every member the relay is going down, then ends the main loop. */
void tea_daemon_stop (TeaDaemon *daemon);
/* Runs until stopped; returns the exit status. */
int tea_daemon_run (TeaDaemon *daemon);
const char *tea_daemon_get_state_dir (TeaDaemon *daemon);
guint16 tea_daemon_get_port (TeaDaemon *daemon);

/* Builds the relay configuration from defaults, a file and the options;
 * --check-config uses this alone. */
gboolean tea_daemon_load_config (const TeaDaemonOptions *options,
                                 TeaRelayConfig *config,
                                 char **bind_address,
                                 guint16 *port,
                                 char **state_dir,
                                 GError **error);

G_END_DECLS
