/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>
#include <stdlib.h>

#include "tea-daemon.h"
#include "tea-fingerprint.h"
#include "tea-i18n.h"
#include "tea-server-key.h"

/* -1 is a port number the user may type (and must be refused). */
#define PORT_NOT_GIVEN G_MININT

static int
show_key (const TeaDaemonOptions *options)
{
  TeaRelayConfig config;
  g_autofree char *bind_address = NULL;
  g_autofree char *state_dir = NULL;
  g_autofree char *fingerprint = NULL;
  g_autoptr (GError) error = NULL;
  TeaKeypair key;
  guint16 port;

  tea_relay_config_init (&config);
  if (!tea_daemon_load_config (options, &config, &bind_address, &port, &state_dir, &error) ||
      !tea_server_key_load (state_dir, &key, &error))
    {
      g_printerr ("%s\n", error->message);
      tea_relay_config_clear (&config);
      return EXIT_FAILURE;
    }
  fingerprint = tea_fingerprint_from_key (key.public_key);
  g_print ("%s\n", fingerprint);
  tea_relay_config_clear (&config);
  return EXIT_SUCCESS;
}

static int
check_config (const TeaDaemonOptions *options)
{
  TeaRelayConfig config;
  g_autofree char *bind_address = NULL;
  g_autofree char *state_dir = NULL;
  g_autoptr (GError) error = NULL;
  guint16 port;
  gboolean ok;

  tea_relay_config_init (&config);
  ok = tea_daemon_load_config (options, &config, &bind_address, &port, &state_dir, &error);
  if (ok)
    g_print ("%s\n", _("Configuration is valid"));
  else
    g_printerr ("%s\n", error->message);
  tea_relay_config_clear (&config);
  return ok ? EXIT_SUCCESS : EXIT_FAILURE;
}

static void
clear_options (TeaDaemonOptions *options)
{
  g_clear_pointer (&options->config_file, g_free);
  g_clear_pointer (&options->bind_address, g_free);
  g_clear_pointer (&options->state_dir, g_free);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (TeaDaemonOptions, clear_options)

int
main (int argc, char **argv)
{
  /* Freed on every return, --show-key and --check-config included. */
  g_auto (TeaDaemonOptions) options = { .port = PORT_NOT_GIVEN, .max_sessions = -1, .idle_timeout = -1 };
  gboolean version = FALSE, want_key = FALSE, want_check = FALSE;
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (TeaDaemon) daemon = NULL;
  g_autoptr (GError) error = NULL;
  const GOptionEntry entries[] = {
    { "port", 'p', 0, G_OPTION_ARG_INT, &options.port, N_("UDP port to listen on (default 9999)"), N_("PORT") },
    { "bind", 'b', 0, G_OPTION_ARG_STRING, &options.bind_address, N_("Listen only on this IP address"), N_("ADDRESS") },
    { "config", 'c', 0, G_OPTION_ARG_FILENAME, &options.config_file, N_("Read settings from this file"), N_("FILE") },
    { "state-dir", 0, 0, G_OPTION_ARG_FILENAME, &options.state_dir, N_("Keep the relay key here (default $STATE_DIRECTORY or /var/lib/teahouse)"), N_("DIR") },
    { "max-sessions", 0, 0, G_OPTION_ARG_INT, &options.max_sessions, N_("Maximum number of sessions at once"), N_("N") },
    { "idle-timeout", 0, 0, G_OPTION_ARG_INT, &options.idle_timeout, N_("Seconds of silence before a session ends"), N_("SECONDS") },
    { "legacy", 0, 0, G_OPTION_ARG_NONE, &options.legacy, N_("Also accept the plaintext clients of the Python tutorial Teahouse grew from (see the README). Off by default: they are unencrypted and cannot be validated, so anyone can pose as them or aim their traffic at another address"), NULL },
    { "show-key", 0, 0, G_OPTION_ARG_NONE, &want_key, N_("Print the relay key’s fingerprint and exit"), NULL },
    { "check-config", 0, 0, G_OPTION_ARG_NONE, &want_check, N_("Check the configuration and exit"), NULL },
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &options.verbose, N_("Log debugging information"), NULL },
    { "version", 0, 0, G_OPTION_ARG_NONE, &version, N_("Print the version and exit"), NULL },
    { NULL }
  };

  tea_i18n_init ();
  g_set_prgname ("teahoused");

  context = g_option_context_new (NULL);
  g_option_context_set_summary (context, _("The Teahouse chat relay."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return EXIT_FAILURE;
    }
  if (version)
    {
      g_print ("teahoused %s\n", PACKAGE_VERSION);
      return EXIT_SUCCESS;
    }
  if (options.port != PORT_NOT_GIVEN && (options.port < 0 || options.port > 65535))
    {
      g_printerr ("%s\n", _("The port must be between 0 and 65535"));
      return EXIT_FAILURE;
    }
  if (want_key)
    return show_key (&options);
  if (want_check)
    return check_config (&options);

  daemon = tea_daemon_new ();
  if (!tea_daemon_setup (daemon, &options, &error) || !tea_daemon_start (daemon, &error))
    {
      g_printerr ("teahoused: %s\n", error->message);
      return EXIT_FAILURE;
    }
  return tea_daemon_run (daemon);
}
