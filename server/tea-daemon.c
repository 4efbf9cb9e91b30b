/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib-unix.h>
#include <glib/gi18n.h>
#include <sodium.h>
#include <unistd.h>

#include "tea-daemon.h"
#include "tea-fingerprint.h"
#include "tea-listener.h"
#include "tea-relay.h"
#include "tea-sd-notify.h"
#include "tea-server-key.h"

#define DAEMON_GROUP "daemon"
#define SD_LISTEN_FDS_START 3

struct _TeaDaemon
{
  GObject parent_instance;

  TeaDaemonOptions options;
  TeaRelayConfig config;
  char *bind_address;
  guint16 port;
  char *state_dir;
  TeaKeypair key;
  TeaRelay *relay;
  TeaListener *listener;
  GMainLoop *loop;
  guint signal_ids[3];
  guint watchdog_id;
};

G_DEFINE_FINAL_TYPE (TeaDaemon, tea_daemon, G_TYPE_OBJECT)

static void
tea_daemon_finalize (GObject *object)
{
  TeaDaemon *daemon = TEA_DAEMON (object);

  for (guint i = 0; i < G_N_ELEMENTS (daemon->signal_ids); i++)
    g_clear_handle_id (&daemon->signal_ids[i], g_source_remove);
  g_clear_handle_id (&daemon->watchdog_id, g_source_remove);
  g_clear_object (&daemon->listener);
  g_clear_object (&daemon->relay);
  g_clear_pointer (&daemon->loop, g_main_loop_unref);
  tea_relay_config_clear (&daemon->config);
  g_free (daemon->bind_address);
  g_free (daemon->state_dir);
  g_free (daemon->options.config_file);
  g_free (daemon->options.bind_address);
  g_free (daemon->options.state_dir);
  sodium_memzero (&daemon->key, sizeof daemon->key);
  G_OBJECT_CLASS (tea_daemon_parent_class)->finalize (object);
}

static void
tea_daemon_class_init (TeaDaemonClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = tea_daemon_finalize;
}

static void
tea_daemon_init (TeaDaemon *daemon)
{
  tea_relay_config_init (&daemon->config);
  daemon->loop = g_main_loop_new (NULL, FALSE);
}

TeaDaemon *
tea_daemon_new (void)
{
  return g_object_new (TEA_TYPE_DAEMON, NULL);
}

/* systemd's StateDirectory= may list several paths separated by colons. */
static char *
default_state_dir (void)
{
  const char *env = g_getenv ("STATE_DIRECTORY");

  if (env && *env)
    {
      g_auto (GStrv) dirs = g_strsplit (env, ":", 2);
      return g_strdup (dirs[0]);
    }
  return g_strdup (DEFAULT_STATE_DIR);
}

static gboolean
load_daemon_group (GKeyFile *key_file, char **bind_address, guint16 *port, char **state_dir, GError **error)
{
  g_auto (GStrv) keys = NULL;

  if (!g_key_file_has_group (key_file, DAEMON_GROUP))
    return TRUE;
  keys = g_key_file_get_keys (key_file, DAEMON_GROUP, NULL, error);
  for (guint i = 0; keys && keys[i]; i++)
    {
      g_autoptr (GError) local_error = NULL;

      if (g_str_equal (keys[i], "port"))
        {
          gint value = g_key_file_get_integer (key_file, DAEMON_GROUP, "port", &local_error);
          if (local_error == NULL && (value < 0 || value > 65535))
            g_set_error (&local_error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                         _("“%s” must be a whole number between %.0f and %.0f"), "port", 0.0, 65535.0);
          *port = value;
        }
      else if (g_str_equal (keys[i], "bind"))
        {
          g_free (*bind_address);
          *bind_address = g_key_file_get_string (key_file, DAEMON_GROUP, "bind", &local_error);
        }
      else if (g_str_equal (keys[i], "state-dir"))
        {
          g_free (*state_dir);
          *state_dir = g_key_file_get_string (key_file, DAEMON_GROUP, "state-dir", &local_error);
        }
      else
        {
          g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_KEY_NOT_FOUND,
                       _("Unknown setting “%s” in group [%s]"), keys[i], DAEMON_GROUP);
          return FALSE;
        }
      if (local_error)
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
    }
  return keys != NULL;
}

gboolean
tea_daemon_load_config (const TeaDaemonOptions *options,
                        TeaRelayConfig *config,
                        char **bind_address,
                        guint16 *port,
                        char **state_dir,
                        GError **error)
{
  *port = TEA_DEFAULT_PORT;
  *bind_address = NULL;
  *state_dir = default_state_dir ();
  if (options->config_file)
    {
      g_autoptr (GKeyFile) key_file = g_key_file_new ();
      g_autoptr (GError) local_error = NULL;

      if (!g_key_file_load_from_file (key_file, options->config_file, G_KEY_FILE_NONE, &local_error) ||
          !load_daemon_group (key_file, bind_address, port, state_dir, &local_error) ||
          !tea_relay_config_load (config, key_file, &local_error))
        {
          g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_PARSE,
                       /* Translators: the first %s is a file name, the second why it is wrong */
                       _("Invalid configuration in “%s”: %s"), options->config_file, local_error->message);
          return FALSE;
        }
    }
  if (options->port >= 0 && options->port <= 65535)
    *port = options->port;
  if (options->bind_address)
    {
      g_free (*bind_address);
      *bind_address = g_strdup (options->bind_address);
    }
  if (options->state_dir)
    {
      g_free (*state_dir);
      *state_dir = g_strdup (options->state_dir);
    }
  if (options->max_sessions > 0)
    config->max_sessions = options->max_sessions;
  if (options->idle_timeout > 0)
    config->idle_timeout_s = options->idle_timeout;
  if (options->legacy)
    config->legacy = TRUE;
  return TRUE;
}

static void
copy_options (TeaDaemonOptions *dest, const TeaDaemonOptions *src)
{
  *dest = *src;
  dest->config_file = g_strdup (src->config_file);
  dest->bind_address = g_strdup (src->bind_address);
  dest->state_dir = g_strdup (src->state_dir);
}

gboolean
tea_daemon_setup (TeaDaemon *daemon, const TeaDaemonOptions *options, GError **error)
{
  g_autofree char *fingerprint = NULL;
  gboolean created;

  copy_options (&daemon->options, options);
  if (options->verbose)
    g_log_set_debug_enabled (TRUE);
  if (!tea_daemon_load_config (options, &daemon->config, &daemon->bind_address,
                               &daemon->port, &daemon->state_dir, error))
    return FALSE;
  if (!tea_server_key_load_or_create (daemon->state_dir, &daemon->key, &created, error))
    return FALSE;
  fingerprint = tea_fingerprint_from_key (daemon->key.public_key);
  if (created)
    g_message ("Created a new relay key in %s; fingerprint %s", daemon->state_dir, fingerprint);
  else
    g_message ("Relay key fingerprint %s", fingerprint);
  if (daemon->config.legacy)
    g_warning ("Legacy clients are enabled: they are unencrypted and cannot be validated");
  daemon->relay = tea_relay_new (&daemon->config, &daemon->key, g_get_monotonic_time ());
  daemon->listener = tea_listener_new (daemon->relay);
  return TRUE;
}

static gboolean
on_stop_signal (gpointer user_data)
{
  TeaDaemon *daemon = user_data;

  g_message ("Shutting down");
  tea_daemon_stop (daemon);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_reload_signal (gpointer user_data)
{
  TeaDaemon *daemon = user_data;
  TeaRelayConfig config;
  g_autofree char *bind_address = NULL;
  g_autofree char *state_dir = NULL;
  g_autoptr (GError) error = NULL;
  guint16 port;

  tea_relay_config_init (&config);
  tea_sd_notify ("RELOADING=1");
  if (tea_daemon_load_config (&daemon->options, &config, &bind_address, &port, &state_dir, &error))
    {
      tea_relay_reconfigure (daemon->relay, &config);
      if (port != daemon->port || g_strcmp0 (bind_address, daemon->bind_address) != 0)
        g_warning ("The address and port only change on restart");
      g_message ("Configuration reloaded");
    }
  else
    {
      g_warning ("Configuration not reloaded: %s", error->message);
    }
  tea_relay_config_clear (&config);
  tea_sd_notify ("READY=1");
  return G_SOURCE_CONTINUE;
}

/* systemd socket activation (sd_listen_fds(3)), done by hand: two
 * environment variables are not worth a library. */
static GSocket *
take_activated_socket (GError **error)
{
  const char *pid = g_getenv ("LISTEN_PID");
  const char *fds = g_getenv ("LISTEN_FDS");

  if (pid == NULL || fds == NULL || g_ascii_strtoull (pid, NULL, 10) != (guint64) getpid () ||
      g_ascii_strtoull (fds, NULL, 10) < 1)
    return NULL;
  g_unsetenv ("LISTEN_PID");
  g_unsetenv ("LISTEN_FDS");
  g_unsetenv ("LISTEN_FDNAMES");
  return g_socket_new_from_fd (SD_LISTEN_FDS_START, error);
}

gboolean
tea_daemon_start (TeaDaemon *daemon, GError **error)
{
  g_autoptr (GError) activation_error = NULL;
  g_autoptr (GSocket) activated = take_activated_socket (&activation_error);

  /* Handlers first: a signal right after "Listening" must not kill us. */
  daemon->signal_ids[0] = g_unix_signal_add (SIGTERM, on_stop_signal, daemon);
  daemon->signal_ids[1] = g_unix_signal_add (SIGINT, on_stop_signal, daemon);
  daemon->signal_ids[2] = g_unix_signal_add (SIGHUP, on_reload_signal, daemon);
  if (activation_error)
    {
      g_propagate_error (error, g_steal_pointer (&activation_error));
      return FALSE;
    }
  if (activated)
    {
      if (!tea_listener_adopt_socket (daemon->listener, activated, error))
        return FALSE;
      g_message ("Listening on the socket systemd passed");
    }
  else
    {
      if (!tea_listener_listen (daemon->listener, daemon->bind_address, daemon->port, error))
        return FALSE;
      g_message ("Listening on %s port %u", daemon->bind_address ? daemon->bind_address : "all addresses",
                 tea_listener_get_port (daemon->listener));
    }
  /* Only now is the socket open: systemd may send clients our way. */
  tea_sd_notify ("READY=1");
  daemon->watchdog_id = tea_sd_watchdog_start ();
  return TRUE;
}

void
tea_daemon_stop (TeaDaemon *daemon)
{
  tea_sd_notify ("STOPPING=1");
  if (daemon->listener)
    tea_listener_shutdown (daemon->listener);
  g_main_loop_quit (daemon->loop);
}

int
tea_daemon_run (TeaDaemon *daemon)
{
  g_main_loop_run (daemon->loop);
  return 0;
}

const char *
tea_daemon_get_state_dir (TeaDaemon *daemon)
{
  return daemon->state_dir;
}

guint16
tea_daemon_get_port (TeaDaemon *daemon)
{
  return daemon->listener ? tea_listener_get_port (daemon->listener) : 0;
}
