/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <gio/gio.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <sodium.h>

#include "tea-random.h"
#include "tea-server-key.h"

#define KEY_FILE "server.key"
#define HEADER "# Teahouse relay private key: it identifies this relay to its clients. Keep it secret.\n"

static char *
key_path (const char *state_dir)
{
  return g_build_filename (state_dir, KEY_FILE, NULL);
}

gboolean
tea_server_key_load (const char *state_dir, TeaKeypair *keypair, GError **error)
{
  g_autofree char *path = key_path (state_dir);
  g_autofree char *contents = NULL;
  g_auto (GStrv) lines = NULL;

  if (!g_file_get_contents (path, &contents, NULL, error))
    return FALSE;
  lines = g_strsplit (contents, "\n", -1);
  for (guint i = 0; lines[i]; i++)
    {
      g_autofree guchar *raw = NULL;
      gsize len = 0;

      g_strstrip (lines[i]);
      if (lines[i][0] == '\0' || lines[i][0] == '#')
        continue;
      raw = g_base64_decode (lines[i], &len);
      if (len == TEA_NOISE_DH_LEN)
        {
          tea_keypair_from_private (keypair, raw);
          sodium_memzero (raw, len);
          sodium_memzero (contents, strlen (contents));
          return TRUE;
        }
      break;
    }
  g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
               _("“%s” does not contain a Teahouse key"), path);
  return FALSE;
}

static gboolean
create_key (const char *state_dir, TeaKeypair *keypair, GError **error)
{
  g_autofree char *path = key_path (state_dir);
  g_autofree char *b64 = NULL;
  g_autofree char *contents = NULL;
  gboolean ok;

  tea_keypair_generate (keypair);
  b64 = g_base64_encode (keypair->private_key, sizeof keypair->private_key);
  contents = g_strconcat (HEADER, b64, "\n", NULL);
  ok = g_file_set_contents_full (path, contents, -1,
                                 G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE,
                                 0600, error);
  sodium_memzero (b64, strlen (b64));
  sodium_memzero (contents, strlen (contents));
  return ok;
}

gboolean
tea_server_key_load_or_create (const char *state_dir,
                               TeaKeypair *keypair,
                               gboolean *created,
                               GError **error)
{
  g_autofree char *path = key_path (state_dir);
  g_autoptr (GError) local_error = NULL;

  *created = FALSE;
  if (!tea_crypto_init ())
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED, _("No source of secure randomness"));
      return FALSE;
    }
  if (g_mkdir_with_parents (state_dir, 0700) != 0)
    {
      int saved_errno = errno;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                   _("Cannot create state directory “%s”: %s"), state_dir, g_strerror (saved_errno));
      return FALSE;
    }
  if (tea_server_key_load (state_dir, keypair, &local_error))
    return TRUE;
  if (!g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  g_clear_error (&local_error);
  if (!create_key (state_dir, keypair, &local_error))
    {
      g_set_error (error, local_error->domain, local_error->code,
                   _("Cannot write the relay key to “%s”: %s"), path, local_error->message);
      return FALSE;
    }
  *created = TRUE;
  return TRUE;
}
