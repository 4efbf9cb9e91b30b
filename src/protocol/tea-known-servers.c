/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "tea-known-servers.h"

#define HEADER "# Teahouse relays whose keys you have accepted: host:port fingerprint\n"

struct _TeaKnownServers
{
  char *path;
  GHashTable *entries; /* "host:port" -> fingerprint */
};

static char *
entry_key (const char *host, guint16 port)
{
  g_autofree char *lower = g_ascii_strdown (host, -1);
  return g_strdup_printf ("%s:%u", lower, port);
}

static void
load (TeaKnownServers *known)
{
  g_autofree char *contents = NULL;
  g_auto (GStrv) lines = NULL;

  if (!g_file_get_contents (known->path, &contents, NULL, NULL))
    return;
  lines = g_strsplit (contents, "\n", -1);
  for (guint i = 0; lines[i]; i++)
    {
      g_auto (GStrv) fields = NULL;

      g_strstrip (lines[i]);
      if (lines[i][0] == '\0' || lines[i][0] == '#')
        continue;
      fields = g_strsplit_set (lines[i], " \t", 2);
      if (g_strv_length (fields) == 2)
        g_hash_table_replace (known->entries, g_strdup (fields[0]), g_strdup (g_strstrip (fields[1])));
    }
}

TeaKnownServers *
tea_known_servers_new (const char *path)
{
  TeaKnownServers *known = g_new0 (TeaKnownServers, 1);

  known->path = path ? g_strdup (path)
                     : g_build_filename (g_get_user_config_dir (), "teahouse", "known-servers", NULL);
  known->entries = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  load (known);
  return known;
}

void
tea_known_servers_free (TeaKnownServers *known)
{
  if (known == NULL)
    return;
  g_hash_table_unref (known->entries);
  g_free (known->path);
  g_free (known);
}

const char *
tea_known_servers_get_path (TeaKnownServers *known)
{
  return known->path;
}

const char *
tea_known_servers_lookup (TeaKnownServers *known, const char *host, guint16 port)
{
  g_autofree char *key = entry_key (host, port);
  return g_hash_table_lookup (known->entries, key);
}

static gint
compare_strings (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (*(const char *const *) a, *(const char *const *) b);
}

static gboolean
save (TeaKnownServers *known, GError **error)
{
  g_autoptr (GString) out = g_string_new (HEADER);
  g_autoptr (GPtrArray) keys = g_ptr_array_new ();
  g_autofree char *dir = g_path_get_dirname (known->path);
  GHashTableIter iter;
  gpointer key;

  g_hash_table_iter_init (&iter, known->entries);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_ptr_array_add (keys, key);
  g_ptr_array_sort (keys, compare_strings);
  for (guint i = 0; i < keys->len; i++)
    g_string_append_printf (out, "%s %s\n", (char *) keys->pdata[i],
                            (char *) g_hash_table_lookup (known->entries, keys->pdata[i]));
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved_errno = errno;
      g_autofree char *what = g_strdup_printf (_("Cannot create “%s”"), dir);

      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                   C_("error and its reason", "%s: %s"), what, g_strerror (saved_errno));
      return FALSE;
    }
  return g_file_set_contents_full (known->path, out->str, out->len,
                                   G_FILE_SET_CONTENTS_CONSISTENT, 0600, error);
}

gboolean
tea_known_servers_remember (TeaKnownServers *known, const char *host, guint16 port,
                            const char *fingerprint, GError **error)
{
  g_hash_table_replace (known->entries, entry_key (host, port), g_strdup (fingerprint));
  return save (known, error);
}

gboolean
tea_known_servers_forget (TeaKnownServers *known, const char *host, guint16 port, GError **error)
{
  g_autofree char *key = entry_key (host, port);

  g_hash_table_remove (known->entries, key);
  return save (known, error);
}
