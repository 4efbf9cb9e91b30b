/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <gio/gio.h>
#include <glib/gi18n-lib.h>

#include "tea-link.h"

static gboolean
invalid_server (const char *text, GError **error)
{
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
               _("“%s” is not a server address; use host or host:port"), text);
  return FALSE;
}

gboolean
tea_parse_server (const char *text, guint16 default_port, char **host, guint16 *port, GError **error)
{
  g_autoptr (GSocketConnectable) address = NULL;
  g_autofree char *parsed_host = NULL;
  guint16 parsed_port = default_port;

  if (text == NULL || *text == '\0')
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, _("No server given"));
      return FALSE;
    }
  /* A bare IPv6 address has several colons and no port. */
  if (text[0] != '[' && strchr (text, ':') != strrchr (text, ':'))
    {
      parsed_host = g_strdup (text);
    }
  else
    {
      address = g_network_address_parse (text, default_port, NULL);
      if (address == NULL)
        return invalid_server (text, error);
      parsed_host = g_strdup (g_network_address_get_hostname (G_NETWORK_ADDRESS (address)));
      parsed_port = g_network_address_get_port (G_NETWORK_ADDRESS (address));
    }
  if (parsed_port == 0 || *parsed_host == '\0')
    return invalid_server (text, error);
  *host = g_steal_pointer (&parsed_host);
  *port = parsed_port;
  return TRUE;
}

void
tea_link_free (TeaLink *link)
{
  if (link == NULL)
    return;
  g_free (link->host);
  g_free (link->room);
  g_free (link->fingerprint);
  g_free (link);
}

TeaLink *
tea_link_parse (const char *uri, GError **error)
{
  g_autoptr (GUri) parsed = g_uri_parse (uri, G_URI_FLAGS_NONE, NULL);
  g_autoptr (TeaLink) link = g_new0 (TeaLink, 1);
  const char *path;

  if (parsed == NULL || g_strcmp0 (g_uri_get_scheme (parsed), "teahouse") != 0 ||
      g_uri_get_host (parsed) == NULL || *g_uri_get_host (parsed) == '\0')
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("“%s” is not a Teahouse link (teahouse://HOST:PORT/ROOM)"), uri);
      return NULL;
    }
  link->host = g_strdup (g_uri_get_host (parsed));
  link->port = g_uri_get_port (parsed) > 0 ? g_uri_get_port (parsed) : 9999;
  path = g_uri_get_path (parsed);
  if (path && path[0] == '/' && path[1] != '\0')
    link->room = g_strdup (path + 1);
  if (g_uri_get_fragment (parsed) && *g_uri_get_fragment (parsed))
    link->fingerprint = g_strdup (g_uri_get_fragment (parsed));
  return g_steal_pointer (&link);
}

char *
tea_link_to_string (const TeaLink *link)
{
  g_autofree char *room = link->room ? g_uri_escape_string (link->room, NULL, FALSE) : NULL;
  gboolean v6 = strchr (link->host, ':') != NULL;

  return g_strdup_printf ("teahouse://%s%s%s:%u/%s%s%s", v6 ? "[" : "", link->host, v6 ? "]" : "",
                          link->port, room ? room : "", link->fingerprint ? "#" : "",
                          link->fingerprint ? link->fingerprint : "");
}
