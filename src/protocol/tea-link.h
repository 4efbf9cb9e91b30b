/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Server addresses as people type them ("host", "host:port", "[v6]:port")
 * and teahouse://host:port/room#fingerprint links.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  char *host;
  guint16 port;
  char *room;        /* NULL if the link names none */
  char *fingerprint; /* NULL if the link pins none */
} TeaLink;

/* "host[:port]" with default_port when absent. */
gboolean tea_parse_server (const char *text, guint16 default_port, char **host, guint16 *port, GError **error);
TeaLink *tea_link_parse (const char *uri, GError **error);
char *tea_link_to_string (const TeaLink *link);
void tea_link_free (TeaLink *link);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TeaLink, tea_link_free)

G_END_DECLS
