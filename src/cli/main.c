/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <gio/gunixinputstream.h>
#include <gio/gunixoutputstream.h>
#include <glib/gi18n.h>
#include <stdlib.h>

#include "tea-cli.h"
#include "tea-i18n.h"
#include "tea-link.h"

int
main (int argc, char **argv)
{
  g_autofree char *server = NULL;
  g_autofree char *room = NULL;
  g_autofree char *known_file = NULL;
  gboolean accept_new_key = FALSE, version = FALSE;
  gint timeout = 10;
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (TeaLink) link = NULL;
  g_autoptr (TeaKnownServers) known = NULL;
  g_autoptr (TeaClient) client = NULL;
  g_autoptr (TeaCli) cli = NULL;
  g_autoptr (GInputStream) input = NULL;
  g_autoptr (GOutputStream) output = NULL;
  g_autofree char *host = NULL;
  guint16 port = TEA_DEFAULT_PORT;
  const GOptionEntry entries[] = {
    { "server", 's', 0, G_OPTION_ARG_STRING, &server, N_("Server as HOST[:PORT] or a teahouse://HOST:PORT/ROOM#FINGERPRINT link (default localhost:9999)"), N_("SERVER") },
    { "room", 'r', 0, G_OPTION_ARG_STRING, &room, N_("Room to join (default lobby)"), N_("ROOM") },
    { "accept-new-key", 0, 0, G_OPTION_ARG_NONE, &accept_new_key, N_("Accept and remember a server key that differs from the one seen before"), NULL },
    { "known-servers", 0, 0, G_OPTION_ARG_FILENAME, &known_file, N_("File of trusted server keys"), N_("FILE") },
    { "timeout", 't', 0, G_OPTION_ARG_INT, &timeout, N_("Seconds to wait for the server (default 10)"), N_("SECONDS") },
    { "version", 0, 0, G_OPTION_ARG_NONE, &version, N_("Print the version and exit"), NULL },
    { NULL }
  };

  tea_i18n_init ();
  g_set_prgname ("teahouse-cli");

  /* Translators: the argument placeholder in "teahouse-cli [OPTION…] NICK" */
  context = g_option_context_new (_("NICK"));
  g_option_context_set_summary (context, _("Chat in a Teahouse room from the terminal. Type to talk; /help lists the commands."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }
  if (version)
    {
      g_print ("teahouse-cli %s\n", PACKAGE_VERSION);
      return EXIT_SUCCESS;
    }
  if (argc != 2)
    {
      g_printerr ("%s\n", _("Give your nickname: teahouse-cli [OPTION…] NICK"));
      return 2;
    }
  if (server && g_str_has_prefix (server, "teahouse:"))
    {
      link = tea_link_parse (server, &error);
      if (link)
        {
          host = g_strdup (link->host);
          port = link->port;
          if (room == NULL)
            room = g_strdup (link->room);
        }
    }
  else if (!tea_parse_server (server ? server : "localhost", TEA_DEFAULT_PORT, &host, &port, &error))
    {
      g_clear_pointer (&host, g_free);
    }
  if (host == NULL)
    {
      g_printerr ("teahouse-cli: %s\n", error->message);
      return 2;
    }

  known = tea_known_servers_new (known_file);
  client = tea_client_new (host, port, argv[1]);
  tea_client_set_known_servers (client, known);
  tea_client_set_accept_new_key (client, accept_new_key);
  tea_client_set_connect_timeout (client, MAX (timeout, 1));
  tea_client_set_client_name (client, "teahouse-cli/" PACKAGE_VERSION);
  if (link && link->fingerprint)
    tea_client_set_pinned_fingerprint (client, link->fingerprint);

  input = g_unix_input_stream_new (0, FALSE);
  output = g_unix_output_stream_new (1, FALSE);
  cli = tea_cli_new (client, room ? room : "lobby", input, output);
  return tea_cli_run (cli);
}
