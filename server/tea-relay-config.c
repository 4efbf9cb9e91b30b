/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "tea-relay-config.h"

#define GROUP "relay"

void
tea_relay_config_init (TeaRelayConfig *config)
{
  config->max_sessions = 10000;
  config->max_rooms = 1000;
  config->max_rooms_per_session = 20;
  config->max_members_per_room = 1000;
  config->backlog = 1000;
  config->catch_up_bytes = 256 * 1024;
  config->idle_timeout_s = 90;
  config->keepalive_s = 25;
  config->flood_burst = 10;
  config->flood_rate = 2;
  config->handshake_burst = 5;
  config->handshake_rate = 20;
  config->max_queued_frames = 4096;
  config->max_queued_bytes = 1024 * 1024;
  config->legacy = FALSE;
  config->legacy_idle_timeout_s = 600;
  config->legacy_budget = 16 * 1024;
  config->server_name = g_strdup ("teahouse");
}

void
tea_relay_config_clear (TeaRelayConfig *config)
{
  g_clear_pointer (&config->server_name, g_free);
}

void
tea_relay_config_copy (TeaRelayConfig *dest, const TeaRelayConfig *src)
{
  *dest = *src;
  dest->server_name = g_strdup (src->server_name);
}

typedef enum {
  KEY_UINT,
  KEY_SIZE,
  KEY_DOUBLE,
  KEY_BOOLEAN,
  KEY_STRING,
} KeyType;

typedef struct
{
  const char *name;
  KeyType type;
  gsize offset;
  double min;
  double max;
} KeySpec;

#define SPEC(name, type, field, min, max) { name, type, G_STRUCT_OFFSET (TeaRelayConfig, field), min, max }

static const KeySpec keys[] = {
  SPEC ("max-sessions", KEY_UINT, max_sessions, 1, 10000000),
  SPEC ("max-rooms", KEY_UINT, max_rooms, 1, 1000000),
  SPEC ("max-rooms-per-session", KEY_UINT, max_rooms_per_session, 1, 10000),
  SPEC ("max-members-per-room", KEY_UINT, max_members_per_room, 2, 1000000),
  SPEC ("backlog", KEY_UINT, backlog, 0, 1000000),
  SPEC ("catch-up-bytes", KEY_SIZE, catch_up_bytes, 0, 64.0 * 1024 * 1024),
  SPEC ("idle-timeout", KEY_UINT, idle_timeout_s, 5, 86400),
  SPEC ("keepalive", KEY_UINT, keepalive_s, 1, 3600),
  SPEC ("flood-burst", KEY_DOUBLE, flood_burst, 1, 1e9),
  SPEC ("flood-rate", KEY_DOUBLE, flood_rate, 0.01, 1e9),
  SPEC ("handshake-burst", KEY_DOUBLE, handshake_burst, 1, 1e9),
  SPEC ("handshake-rate", KEY_DOUBLE, handshake_rate, 0.01, 1e9),
  SPEC ("max-queued-frames", KEY_UINT, max_queued_frames, 64, 10000000),
  SPEC ("max-queued-bytes", KEY_SIZE, max_queued_bytes, 65536, 1024.0 * 1024 * 1024),
  SPEC ("legacy", KEY_BOOLEAN, legacy, 0, 1),
  SPEC ("legacy-idle-timeout", KEY_UINT, legacy_idle_timeout_s, 5, 86400),
  SPEC ("legacy-budget", KEY_SIZE, legacy_budget, 1024, 64.0 * 1024 * 1024),
  SPEC ("server-name", KEY_STRING, server_name, 0, 0),
};

static const KeySpec *
find_key (const char *name)
{
  for (gsize i = 0; i < G_N_ELEMENTS (keys); i++)
    if (g_str_equal (keys[i].name, name))
      return &keys[i];
  return NULL;
}

static gboolean
load_key (TeaRelayConfig *config, GKeyFile *key_file, const KeySpec *spec, GError **error)
{
  gpointer field = G_STRUCT_MEMBER_P (config, spec->offset);
  g_autoptr (GError) local_error = NULL;
  double value = 0;

  switch (spec->type)
    {
    case KEY_BOOLEAN:
      *(gboolean *) field = g_key_file_get_boolean (key_file, GROUP, spec->name, &local_error);
      break;
    case KEY_STRING:
      g_free (*(char **) field);
      *(char **) field = g_key_file_get_string (key_file, GROUP, spec->name, &local_error);
      break;
    default:
      value = g_key_file_get_double (key_file, GROUP, spec->name, &local_error);
      if (local_error == NULL && (value < spec->min || value > spec->max ||
                                  (spec->type != KEY_DOUBLE && value != (guint64) value)))
        {
          if (spec->type == KEY_DOUBLE)
            g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                         /* Translators: a configuration value is out of range */
                         _("“%s” must be a number between %g and %g"),
                         spec->name, spec->min, spec->max);
          else
            g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                         /* Translators: a configuration value is out of range */
                         _("“%s” must be a whole number between %.0f and %.0f"),
                         spec->name, spec->min, spec->max);
          return FALSE;
        }
      if (spec->type == KEY_UINT)
        *(guint *) field = (guint) value;
      else if (spec->type == KEY_SIZE)
        *(gsize *) field = (gsize) value;
      else
        *(double *) field = value;
      break;
    }
  if (local_error)
    {
      g_propagate_prefixed_error (error, g_steal_pointer (&local_error), "%s: ", spec->name);
      return FALSE;
    }
  return TRUE;
}

gboolean
tea_relay_config_load (TeaRelayConfig *config, GKeyFile *key_file, GError **error)
{
  g_auto (GStrv) names = NULL;

  if (!g_key_file_has_group (key_file, GROUP))
    return TRUE;
  names = g_key_file_get_keys (key_file, GROUP, NULL, error);
  if (names == NULL)
    return FALSE;
  for (guint i = 0; names[i]; i++)
    {
      const KeySpec *spec = find_key (names[i]);

      if (spec == NULL)
        {
          g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_KEY_NOT_FOUND,
                       _("Unknown setting “%s” in group [%s]"), names[i], GROUP);
          return FALSE;
        }
      if (!load_key (config, key_file, spec, error))
        return FALSE;
    }
  return TRUE;
}
