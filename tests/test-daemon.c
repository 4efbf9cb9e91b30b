/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The real teahoused program: its key on disk, chat through it, stopping
 * on SIGTERM/SIGINT with a notice to every member, reloading its
 * configuration on SIGHUP, --check-config, a state directory it cannot
 * use (read-only and full file systems too, in a private mount namespace)
 * or need not write, and its command line. Every process is started with port 0 and
 * waited for on the main context with a deadline.
 */
#include <errno.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include <gio/gunixsocketaddress.h>

#include "tea-fingerprint.h"
#include "tea-test-util.h"

/* ---- A child process and everything it printed ------------------------- */

typedef struct
{
  GSubprocess *process;
  GString *out;
  GString *err;
  guint n_reading; /* pipes not at end of file yet */
  gboolean exited;
} Child;

static void
child_setup (gpointer user_data)
{
#ifdef __linux__
  /* A failed assertion aborts the test at once, skipping every teardown:
   * the kernel then ends the children, so no daemon outlives the test. */
  prctl (PR_SET_PDEATHSIG, SIGKILL);
#endif
}

static void read_more (Child *child, GInputStream *stream);

static void
on_read (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Child *child = user_data;
  GInputStream *stream = G_INPUT_STREAM (source);
  g_autoptr (GBytes) bytes = g_input_stream_read_bytes_finish (stream, result, NULL);
  GString *buffer = stream == g_subprocess_get_stdout_pipe (child->process) ? child->out : child->err;

  if (bytes == NULL || g_bytes_get_size (bytes) == 0)
    {
      child->n_reading--;
      return;
    }
  g_string_append_len (buffer, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
  read_more (child, stream);
}

static void
read_more (Child *child, GInputStream *stream)
{
  g_input_stream_read_bytes_async (stream, 4096, G_PRIORITY_DEFAULT, NULL, on_read, child);
}

static void
on_exited (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Child *child = user_data;

  g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);
  child->exited = TRUE;
}

/* The relay's own warnings (a rejected reload) are part of what is tested,
 * so only criticals stay fatal in the child. */
/* env: extra "KEY=VALUE" strings (or NULL); fd_3: a descriptor the child
 * gets as fd 3, as systemd passes sockets (or -1). */
static Child *
child_spawn_full (const char *const *argv, const char *const *env, int fd_3)
{
  g_autoptr (GSubprocessLauncher) launcher =
    g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr (GError) error = NULL;
  Child *child = g_new0 (Child, 1);

  g_subprocess_launcher_setenv (launcher, "G_DEBUG", "gc-friendly,fatal-criticals", TRUE);
  /* Not a systemd service: no inherited state directory or sockets. */
  g_subprocess_launcher_unsetenv (launcher, "STATE_DIRECTORY");
  g_subprocess_launcher_unsetenv (launcher, "LISTEN_PID");
  g_subprocess_launcher_unsetenv (launcher, "LISTEN_FDS");
  g_subprocess_launcher_unsetenv (launcher, "NOTIFY_SOCKET");
  g_subprocess_launcher_unsetenv (launcher, "WATCHDOG_USEC");
  for (guint i = 0; env && env[i]; i++)
    {
      g_auto (GStrv) pair = g_strsplit (env[i], "=", 2);
      g_subprocess_launcher_setenv (launcher, pair[0], pair[1], TRUE);
    }
  if (fd_3 >= 0)
    g_subprocess_launcher_take_fd (launcher, dup (fd_3), 3);
  g_subprocess_launcher_set_child_setup (launcher, child_setup, NULL, NULL);
  child->process = g_subprocess_launcher_spawnv (launcher, argv, &error);
  g_assert_no_error (error);
  child->out = g_string_new (NULL);
  child->err = g_string_new (NULL);
  child->n_reading = 2;
  read_more (child, g_subprocess_get_stdout_pipe (child->process));
  read_more (child, g_subprocess_get_stderr_pipe (child->process));
  g_subprocess_wait_async (child->process, NULL, on_exited, child);
  return child;
}

static Child *
child_spawn (const char *const *argv)
{
  return child_spawn_full (argv, NULL, -1);
}

static gboolean
child_finished (gpointer user_data)
{
  Child *child = user_data;
  return child->exited && child->n_reading == 0;
}

static void
child_free (Child *child)
{
  if (!child->exited)
    g_subprocess_force_exit (child->process);
  /* Reaped, and both pipes drained, so no callback outlives the child. */
  if (!tea_test_wait (child_finished, child, 10000))
    g_error ("a child process did not go away");
  /* UBSan reports without changing the exit status. */
  if (strstr (child->err->str, "runtime error:"))
    g_error ("a child process hit undefined behaviour:\n%s", child->err->str);
  g_object_unref (child->process);
  g_string_free (child->out, TRUE);
  g_string_free (child->err, TRUE);
  g_free (child);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Child, child_free)

/* Waits for the child to exit by itself; returns how long that took. */
static gint64
child_wait_exit (Child *child, guint timeout_ms)
{
  gint64 start = g_get_monotonic_time ();

  if (!tea_test_wait (child_finished, child, timeout_ms))
    g_error ("%s did not exit within %u ms; it said:\n%s%s",
             g_subprocess_get_identifier (child->process), timeout_ms, child->out->str, child->err->str);
  return (g_get_monotonic_time () - start) / 1000;
}

/* An exit status, never a death by signal (a crash). */
static int
child_status (Child *child)
{
  g_assert_true (child->exited);
  if (!g_subprocess_get_if_exited (child->process))
    g_error ("the child was killed by signal %d; it said:\n%s%s",
             g_subprocess_get_term_sig (child->process), child->out->str, child->err->str);
  return g_subprocess_get_exit_status (child->process);
}

/* Exited by itself with this status, or the test fails showing why. A
 * sanitizer's report changes the status too. */
static void
child_assert_status (Child *child, int expected)
{
  if (child_status (child) != expected)
    g_error ("teahoused exited with status %d, not %d; it printed:\n%s\nand on stderr:\n%s",
             child_status (child), expected, child->out->str, child->err->str);
}

/* Runs teahoused with these arguments to the end; NULL-terminated. */
static Child *
run_daemon (const char *first, ...) G_GNUC_NULL_TERMINATED;

static Child *
run_daemon (const char *first, ...)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  Child *child;
  va_list args;

  g_ptr_array_add (argv, (gpointer) g_getenv ("TEAHOUSED"));
  va_start (args, first);
  for (const char *arg = first; arg; arg = va_arg (args, const char *))
    g_ptr_array_add (argv, (gpointer) arg);
  va_end (args);
  g_ptr_array_add (argv, NULL);
  child = child_spawn ((const char *const *) argv->pdata);
  child_wait_exit (child, 10000);
  return child;
}

/* ---- A running daemon --------------------------------------------------- */

typedef struct
{
  Child *child;
  guint16 port;
} Daemon;

static gboolean
listening_or_exited (gpointer user_data)
{
  Daemon *daemon = user_data;
  g_autoptr (GRegex) regex = g_regex_new ("Listening on 127\\.0\\.0\\.1 port (\\d+)\\n", 0, 0, NULL);
  g_autoptr (GMatchInfo) match = NULL;

  if (g_regex_match (regex, daemon->child->err->str, 0, &match))
    {
      g_autofree char *port = g_match_info_fetch (match, 1);
      daemon->port = (guint16) g_ascii_strtoull (port, NULL, 10);
      return TRUE;
    }
  return daemon->child->exited;
}

static Daemon *
daemon_start_argv (const char *const *argv)
{
  Daemon *daemon = g_new0 (Daemon, 1);

  daemon->child = child_spawn (argv);
  if (!tea_test_wait (listening_or_exited, daemon, 10000) || daemon->port == 0)
    g_error ("teahoused did not start listening; it said:\n%s", daemon->child->err->str);
  return daemon;
}

/* config_file may be NULL. */
static Daemon *
daemon_start (const char *state_dir, const char *config_file)
{
  const char *argv[] = { g_getenv ("TEAHOUSED"), "--port", "0", "--bind", "127.0.0.1",
                         "--state-dir", state_dir, config_file ? "--config" : NULL, config_file, NULL };

  return daemon_start_argv (argv);
}

static void
daemon_free (Daemon *daemon)
{
  child_free (daemon->child);
  g_free (daemon);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Daemon, daemon_free)

static guint
count_occurrences (const char *haystack, const char *needle)
{
  guint n = 0;

  for (const char *p = strstr (haystack, needle); p; p = strstr (p + 1, needle))
    n++;
  return n;
}

typedef struct
{
  Daemon *daemon;
  const char *text;
  guint n;
} LogWait;

static gboolean
log_has (gpointer user_data)
{
  LogWait *w = user_data;
  return count_occurrences (w->daemon->child->err->str, w->text) >= w->n || w->daemon->child->exited;
}

/* Waits until the daemon has logged text n times; it must still be
 * running. */
static void
daemon_wait_log (Daemon *daemon, const char *text, guint n)
{
  LogWait w = { daemon, text, n };

  if (!tea_test_wait (log_has, &w, 10000) || count_occurrences (daemon->child->err->str, text) < n)
    g_error ("teahoused did not log “%s” %u times; it said:\n%s", text, n, daemon->child->err->str);
  g_assert_false (daemon->child->exited);
}

/* ---- Files -------------------------------------------------------------- */

static char *
make_tmp_dir (void)
{
  g_autoptr (GError) error = NULL;
  char *dir = g_dir_make_tmp ("teahoused-test-XXXXXX", &error);

  g_assert_no_error (error);
  return dir;
}

static void
remove_tree (const char *path)
{
  GStatBuf st;

  if (g_lstat (path, &st) != 0)
    return;
  if (S_ISDIR (st.st_mode))
    {
      g_autoptr (GDir) dir = NULL;
      const char *name;

      g_chmod (path, 0700);
      dir = g_dir_open (path, 0, NULL);
      while (dir && (name = g_dir_read_name (dir)))
        {
          g_autofree char *child = g_build_filename (path, name, NULL);
          remove_tree (child);
        }
    }
  g_assert_cmpint (g_remove (path), ==, 0);
}

static void
write_file (const char *path, const char *contents)
{
  g_autoptr (GError) error = NULL;

  g_file_set_contents (path, contents, -1, &error);
  g_assert_no_error (error);
}

static char *
read_file (const char *path)
{
  g_autoptr (GError) error = NULL;
  char *contents = NULL;

  g_file_get_contents (path, &contents, NULL, &error);
  g_assert_no_error (error);
  return contents;
}

/* ---- Tests -------------------------------------------------------------- */

static char *
show_key (const char *state_dir)
{
  g_autoptr (Child) child = run_daemon ("--show-key", "--state-dir", state_dir, NULL);

  child_assert_status (child, 0);
  g_assert_true (g_str_has_prefix (child->out->str, TEA_FINGERPRINT_PREFIX));
  g_assert_true (g_str_has_suffix (child->out->str, "\n"));
  return g_strchomp (g_strdup (child->out->str));
}

static void
say (TeaTestPeer *peer, const char *room, const char *text)
{
  g_assert_cmpuint (tea_client_say (peer->client, room, text, TEA_TEXT_KIND_MESSAGE), !=, 0);
}

static void
test_key_and_chat (void)
{
  g_autofree char *tmp = make_tmp_dir ();
  g_autofree char *state_dir = g_build_filename (tmp, "state", "nested", NULL);
  g_autofree char *key_file = g_build_filename (state_dir, "server.key", NULL);
  g_autofree char *fingerprint = NULL;
  g_autofree char *key_contents = NULL;
  g_autofree char *logged = NULL;
  GStatBuf st;

  {
    g_autoptr (Daemon) daemon = daemon_start (state_dir, NULL);
    g_autoptr (TeaTestPeer) alice = tea_test_peer_new (daemon->port, "alice");
    g_autoptr (TeaTestPeer) bob = tea_test_peer_new (daemon->port, "bob");

    /* The private key is created on first start, readable by the relay's
     * user alone (the directory too: it did not exist before). */
    g_assert_cmpint (g_stat (key_file, &st), ==, 0);
    g_assert_true (S_ISREG (st.st_mode));
    g_assert_cmpint (st.st_mode & 07777, ==, 0600);
    g_assert_cmpint (g_stat (state_dir, &st), ==, 0);
    g_assert_cmpint (st.st_mode & 077, ==, 0);
    key_contents = read_file (key_file);

    /* What the operator reads out is what clients see and pin. */
    fingerprint = show_key (state_dir);
    logged = g_strdup_printf ("Created a new relay key in %s; fingerprint %s\n", state_dir, fingerprint);
    g_assert_nonnull (strstr (daemon->child->err->str, logged));
    tea_test_peer_connect (alice, "tea");
    tea_test_peer_connect (bob, "tea");
    g_assert_cmpstr (tea_client_get_server_fingerprint (alice->client), ==, fingerprint);
    g_assert_cmpstr (tea_client_get_server_fingerprint (bob->client), ==, fingerprint);

    say (alice, "tea", "hello from alice");
    say (bob, "tea", "hello from bob");
    tea_test_peer_wait_count (bob, "MESSAGE", "alice hello from alice", 1);
    tea_test_peer_wait_count (alice, "MESSAGE", "bob hello from bob", 1);
    tea_test_peer_wait_count (alice, "JOIN", "bob", 1);
  }

  /* A restart keeps the key: pinned clients still trust the relay. */
  {
    g_autoptr (Daemon) daemon = daemon_start (state_dir, NULL);
    g_autoptr (TeaTestPeer) carol = tea_test_peer_new (daemon->port, "carol");
    g_autofree char *again = g_strdup_printf ("Relay key fingerprint %s\n", fingerprint);
    g_autofree char *contents = read_file (key_file);
    g_autofree char *shown = show_key (state_dir);

    g_assert_nonnull (strstr (daemon->child->err->str, again));
    g_assert_null (strstr (daemon->child->err->str, "Created"));
    g_assert_cmpstr (contents, ==, key_contents);
    g_assert_cmpstr (shown, ==, fingerprint);
    tea_test_peer_connect (carol, "tea");
    g_assert_cmpstr (tea_client_get_server_fingerprint (carol->client), ==, fingerprint);
    g_assert_cmpint (g_stat (key_file, &st), ==, 0);
    g_assert_cmpint (st.st_mode & 07777, ==, 0600);
  }
  remove_tree (tmp);
}

typedef struct
{
  TeaTestPeer *peers[2];
} PeerPair;

static gboolean
both_told (gpointer user_data)
{
  PeerPair *pair = user_data;

  for (guint i = 0; i < G_N_ELEMENTS (pair->peers); i++)
    if (tea_client_get_state (pair->peers[i]->client) != TEA_CLIENT_STATE_RECONNECTING ||
        !tea_test_peer_has_message (pair->peers[i], "NOTICE 101"))
      return FALSE;
  return TRUE;
}

static void
test_stop (gconstpointer data)
{
  int signum = GPOINTER_TO_INT (data);
  g_autofree char *tmp = make_tmp_dir ();
  g_autoptr (Daemon) daemon = daemon_start (tmp, NULL);
  g_autoptr (TeaTestPeer) alice = tea_test_peer_new (daemon->port, "alice");
  g_autoptr (TeaTestPeer) bob = tea_test_peer_new (daemon->port, "bob");
  PeerPair pair = { { alice, bob } };
  gint64 took_ms;

  tea_test_peer_connect (alice, "tea");
  tea_test_peer_connect (bob, "tea");
  say (alice, "tea", "last orders");
  tea_test_peer_wait_count (bob, "MESSAGE", "last orders", 1);

  /* Every member is told, rather than left to time out, and the service
   * manager sees a clean exit. */
  g_subprocess_send_signal (daemon->child->process, signum);
  if (!tea_test_wait (both_told, &pair, 5000))
    g_error ("the members were not told of the shutdown; teahoused said:\n%s", daemon->child->err->str);
  g_assert_error ((GError *) tea_client_get_error (alice->client), TEA_CLIENT_ERROR, 101);
  took_ms = child_wait_exit (daemon->child, 5000);
  child_assert_status (daemon->child, 0);
  g_assert_cmpint (took_ms, <, 3000);
  g_assert_nonnull (strstr (daemon->child->err->str, "Shutting down"));
  remove_tree (tmp);
}

typedef struct
{
  TeaTestPeer *peer;
  guint n;
} AnswerWait;

static gboolean
all_answered (gpointer user_data)
{
  AnswerWait *w = user_data;
  return w->peer->n_said_ok + w->peer->error_codes->len >= w->n;
}

/* Says n messages; returns how many were refused for flooding, once every
 * one was answered (each with OK or an error, never silence). */
static guint
count_floods (TeaTestPeer *peer, guint n)
{
  guint before_ok = peer->n_said_ok;
  guint before_errors = peer->error_codes->len;
  AnswerWait w = { peer, before_ok + before_errors + n };
  guint floods = 0;

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *text = g_strdup_printf ("brew %u", i);
      say (peer, "tea", text);
    }
  g_assert_true (tea_test_wait (all_answered, &w, 10000));
  for (guint i = before_errors; i < peer->error_codes->len; i++)
    if (g_array_index (peer->error_codes, guint16, i) == 11)
      floods++;
  g_assert_cmpuint (floods + (peer->n_said_ok - before_ok), ==, n);
  return floods;
}

static void
test_reload (void)
{
  g_autofree char *tmp = make_tmp_dir ();
  g_autofree char *state_dir = g_build_filename (tmp, "state", NULL);
  g_autofree char *config = g_build_filename (tmp, "teahoused.conf", NULL);
  g_autoptr (Daemon) daemon = NULL;
  g_autoptr (TeaTestPeer) alice = NULL;
  g_autoptr (TeaTestPeer) bob = NULL;
  g_autoptr (TeaTestPeer) carol = NULL;
  g_autoptr (TeaTestPeer) dave = NULL;

  /* A generous burst and almost no refill: what a session may send is
   * exactly the burst, so the counts below do not depend on timing. */
  write_file (config, "[relay]\nflood-burst=100\nflood-rate=0.01\n");
  daemon = daemon_start (state_dir, config);
  alice = tea_test_peer_new (daemon->port, "alice");
  tea_test_peer_connect (alice, "tea");
  g_assert_cmpuint (count_floods (alice, 12), ==, 0);

  /* Lowered while running: a new session gets the new burst. */
  write_file (config, "# tighter\n[relay]\nflood-burst=3\nflood-rate=0.01\n");
  g_subprocess_send_signal (daemon->child->process, SIGHUP);
  daemon_wait_log (daemon, "Configuration reloaded", 1);
  bob = tea_test_peer_new (daemon->port, "bob");
  tea_test_peer_connect (bob, "tea");
  g_assert_cmpuint (count_floods (bob, 10), ==, 7);

  /* Out of range: refused with the reason, and the running configuration
   * stays as it was (not the defaults, whose burst of 10 would let all
   * ten through). */
  write_file (config, "[relay]\nflood-burst=0\n");
  g_subprocess_send_signal (daemon->child->process, SIGHUP);
  daemon_wait_log (daemon, "Configuration not reloaded", 1);
  g_assert_nonnull (strstr (daemon->child->err->str, "flood-burst"));
  g_assert_cmpuint (count_occurrences (daemon->child->err->str, "Configuration reloaded"), ==, 1);
  carol = tea_test_peer_new (daemon->port, "carol");
  tea_test_peer_connect (carol, "tea");
  g_assert_cmpuint (count_floods (carol, 10), ==, 7);

  /* Not a key file at all: the same. */
  write_file (config, "this is not a configuration file\n");
  g_subprocess_send_signal (daemon->child->process, SIGHUP);
  daemon_wait_log (daemon, "Configuration not reloaded", 2);
  dave = tea_test_peer_new (daemon->port, "dave");
  tea_test_peer_connect (dave, "tea");
  g_assert_cmpuint (count_floods (dave, 10), ==, 7);

  /* Everyone is still connected: a reload never restarts anything. */
  g_assert_true (tea_test_peer_is_connected (alice));
  g_assert_cmpuint (tea_client_get_session_id (alice->client), !=, 0);
  say (alice, "tea", "still here");
  tea_test_peer_wait_count (dave, "MESSAGE", "alice still here", 1);
  remove_tree (tmp);
}

/* Runs --check-config on a file with these contents. */
static Child *
check_config (const char *tmp, const char *contents)
{
  g_autofree char *config = g_build_filename (tmp, "check.conf", NULL);

  write_file (config, contents);
  return run_daemon ("--config", config, "--check-config", NULL);
}

static void
assert_config_valid (const char *tmp, const char *contents)
{
  g_autoptr (Child) child = check_config (tmp, contents);

  if (child_status (child) != 0)
    g_error ("teahoused refused a valid configuration:\n%s\nIt said:\n%s", contents, child->err->str);
  g_assert_nonnull (strstr (child->out->str, "valid"));
}

/* Refused, naming what is wrong and where, without starting anything. */
static void
assert_config_invalid (const char *tmp, const char *contents, const char *culprit)
{
  g_autoptr (Child) child = check_config (tmp, contents);
  g_autofree char *config = g_build_filename (tmp, "check.conf", NULL);

  if (child_status (child) == 0)
    g_error ("teahoused accepted an invalid configuration:\n%s", contents);
  child_assert_status (child, 1);
  if (strstr (child->err->str, culprit) == NULL || strstr (child->err->str, config) == NULL)
    g_error ("teahoused refused\n%s\nwithout naming “%s” and the file; it said:\n%s",
             contents, culprit, child->err->str);
  g_assert_null (strstr (child->err->str, "Listening"));
}

/* The shipped example, every setting uncommented, must be accepted: its
 * names and default values document the real ones. */
static void
check_example (const char *tmp)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "..", "data", "teahoused.conf", NULL);
  g_autofree char *example = NULL;
  g_autoptr (GRegex) commented = g_regex_new ("^#([a-z-]+=)", G_REGEX_MULTILINE, 0, NULL);
  g_autofree char *uncommented = NULL;

  if (!g_file_get_contents (path, &example, NULL, NULL))
    {
      g_test_message ("No example configuration at %s", path);
      return;
    }
  uncommented = g_regex_replace (commented, example, -1, 0, "\\1", 0, NULL);
  g_assert_nonnull (strstr (uncommented, "\nflood-burst="));
  assert_config_valid (tmp, example);
  assert_config_valid (tmp, uncommented);
}

static void
test_check_config (void)
{
  g_autofree char *tmp = make_tmp_dir ();
  g_autofree char *missing = g_build_filename (tmp, "missing.conf", NULL);

  assert_config_valid (tmp, "");
  assert_config_valid (tmp,
                       "# a small relay\n"
                       "[daemon]\nport=7777\nbind=127.0.0.1\nstate-dir=/nonexistent/teahouse\n"
                       "[relay]\nserver-name=Test relay\nmax-sessions=50\nmax-members-per-room=20\n"
                       "idle-timeout=30\nkeepalive=10\nflood-burst=5\nflood-rate=0.5\n"
                       "catch-up-bytes=65536\nlegacy=false\n");
  check_example (tmp);

  /* Unknown keys: a typo must never be ignored silently. */
  assert_config_invalid (tmp, "[relay]\nflod-burst=5\n", "flod-burst");
  assert_config_invalid (tmp, "[daemon]\ncolour=green\n", "colour");
  /* Out of range. */
  assert_config_invalid (tmp, "[relay]\nidle-timeout=1\n", "idle-timeout");
  assert_config_invalid (tmp, "[relay]\nmax-sessions=0\n", "max-sessions");
  assert_config_invalid (tmp, "[relay]\nflood-burst=-3\n", "flood-burst");
  assert_config_invalid (tmp, "[relay]\nmax-sessions=2.5\n", "max-sessions");
  assert_config_invalid (tmp, "[daemon]\nport=70000\n", "port");
  /* Not the right type. */
  assert_config_invalid (tmp, "[relay]\nflood-rate=lots\n", "flood-rate");
  assert_config_invalid (tmp, "[relay]\nlegacy=perhaps\n", "legacy");
  /* Not a key file: the file is named, and the line. */
  assert_config_invalid (tmp, "[relay]\nmax sessions 50\n", "max sessions 50");
  assert_config_invalid (tmp, "[relay\n", "relay");

  {
    g_autoptr (Child) child = run_daemon ("--config", missing, "--check-config", NULL);

    child_assert_status (child, 1);
    g_assert_nonnull (strstr (child->err->str, missing));
  }
  remove_tree (tmp);
}

/* teahoused must refuse to start, saying which directory and why (reason
 * NULL: any), and not crash. With fs, it runs with a read-only or full
 * tmpfs over fs_dir. */
static void
assert_bad_state_dir_on (const char *state_dir, const char *reason, const TeaTestFs *fs, const char *fs_dir)
{
  const char *argv[] = { g_getenv ("TEAHOUSED"), "--port", "0", "--bind", "127.0.0.1",
                         "--state-dir", state_dir, NULL };
  g_auto (GStrv) wrapped = fs ? tea_test_fs_wrap (*fs, fs_dir, NULL, argv) : NULL;
  g_autoptr (Child) child = child_spawn (wrapped ? (const char *const *) wrapped : argv);

  child_wait_exit (child, 10000);
  if (fs)
    tea_test_fs_assert_ready (child->err->str);
  if (child_status (child) == 0)
    g_error ("teahoused started with the unusable state directory %s", state_dir);
  child_assert_status (child, 1);
  if (strstr (child->err->str, state_dir) == NULL)
    g_error ("teahoused did not name %s; it said:\n%s", state_dir, child->err->str);
  if (reason && strstr (child->err->str, reason) == NULL)
    g_error ("teahoused did not say “%s”; it said:\n%s", reason, child->err->str);
  g_assert_null (strstr (child->err->str, "Listening"));
  g_assert_null (strstr (child->err->str, "CRITICAL"));
}

static void
assert_bad_state_dir (const char *state_dir)
{
  assert_bad_state_dir_on (state_dir, NULL, NULL, NULL);
}

static void
test_bad_state_dir (void)
{
  g_autofree char *tmp = make_tmp_dir ();
  g_autofree char *file = g_build_filename (tmp, "a-file", NULL);
  g_autofree char *under_file = g_build_filename (file, "state", NULL);
  g_autofree char *mount_point = g_build_filename (tmp, "mnt", NULL);
  g_autofree char *under_mount = g_build_filename (mount_point, "state", NULL);
  const TeaTestFs read_only = TEA_TEST_FS_READ_ONLY, full = TEA_TEST_FS_FULL;

  /* A regular file where a directory should be. */
  write_file (file, "not a directory\n");
  assert_bad_state_dir (under_file);
  assert_bad_state_dir (file);

  /* A read-only file system (root is stopped by it as anyone is): the
   * state directory cannot be made in it, or the key cannot be written
   * in it. A full one: the key cannot be written. */
  g_assert_cmpint (g_mkdir (mount_point, 0700), ==, 0);
  assert_bad_state_dir_on (under_mount, g_strerror (EROFS), &read_only, mount_point);
  assert_bad_state_dir_on (mount_point, g_strerror (EROFS), &read_only, mount_point);
  assert_bad_state_dir_on (under_mount, g_strerror (ENOSPC), &full, mount_point);
  assert_bad_state_dir_on (mount_point, g_strerror (ENOSPC), &full, mount_point);
  /* None of it was left behind outside the namespace. */
  g_assert_false (g_file_test (under_mount, G_FILE_TEST_EXISTS));
  remove_tree (tmp);
}

/* A state directory that holds the key need not be writable: read-only
 * (systemd's ReadOnlyPaths=, a read-only image) or full, the relay starts
 * with the key it has. */
static void
test_state_dir_with_key (gconstpointer data)
{
  TeaTestFs fs = GPOINTER_TO_INT (data);
  g_autofree char *tmp = make_tmp_dir ();
  g_autofree char *key_dir = g_build_filename (tmp, "key", NULL);
  g_autofree char *key_file = g_build_filename (key_dir, "server.key", NULL);
  g_autofree char *mount_point = g_build_filename (tmp, "mnt", NULL);
  g_autofree char *fingerprint = NULL;
  g_autofree char *logged = NULL;
  g_autofree char *key_b64 = NULL;
  g_autofree char *key_text = NULL;
  g_autofree char *shown = NULL;
  const char *argv[] = { g_getenv ("TEAHOUSED"), "--port", "0", "--bind", "127.0.0.1",
                         "--state-dir", mount_point, NULL };
  g_auto (GStrv) wrapped = NULL;
  TeaKeypair key;

  /* A key made elsewhere, as a backup restored by the operator. */
  tea_keypair_generate (&key);
  key_b64 = g_base64_encode (key.private_key, sizeof key.private_key);
  key_text = g_strdup_printf ("# restored\n%s\n", key_b64);
  g_assert_cmpint (g_mkdir (key_dir, 0700), ==, 0);
  write_file (key_file, key_text);
  g_assert_cmpint (g_chmod (key_file, 0600), ==, 0);
  fingerprint = tea_fingerprint_from_key (key.public_key);
  shown = show_key (key_dir);
  g_assert_cmpstr (shown, ==, fingerprint);
  logged = g_strdup_printf ("Relay key fingerprint %s\n", fingerprint);
  g_assert_cmpint (g_mkdir (mount_point, 0700), ==, 0);
  wrapped = tea_test_fs_wrap (fs, mount_point, key_file, argv);
  {
    g_autoptr (Daemon) daemon = daemon_start_argv ((const char *const *) wrapped);
    g_autoptr (TeaTestPeer) alice = tea_test_peer_new (daemon->port, "alice");

    tea_test_fs_assert_ready (daemon->child->err->str);
    g_assert_nonnull (strstr (daemon->child->err->str, logged));
    tea_test_peer_connect (alice, "tea");
    g_assert_cmpstr (tea_client_get_server_fingerprint (alice->client), ==, fingerprint);
    g_subprocess_send_signal (daemon->child->process, SIGTERM);
    child_wait_exit (daemon->child, 5000);
    child_assert_status (daemon->child, 0);
  }
  remove_tree (tmp);
}

static void
test_command_line (void)
{
  {
    g_autoptr (Child) child = run_daemon ("--version", NULL);

    child_assert_status (child, 0);
    g_assert_true (g_str_has_prefix (child->out->str, "teahoused "));
  }
  {
    g_autoptr (Child) child = run_daemon ("--help", NULL);

    child_assert_status (child, 0);
    g_assert_nonnull (strstr (child->out->str, "--state-dir"));
    g_assert_nonnull (strstr (child->out->str, "--check-config"));
  }
  {
    g_autoptr (Child) child = run_daemon ("--no-such-option", NULL);

    child_assert_status (child, 1);
    g_assert_nonnull (strstr (child->err->str, "--no-such-option"));
  }
  {
    g_autoptr (Child) child = run_daemon ("--port", "70000", "--check-config", NULL);

    child_assert_status (child, 1);
    g_assert_nonnull (strstr (child->err->str, "port"));
  }
}

/* ---- systemd ---------------------------------------------------------- */

typedef struct
{
  GSocket *socket;
  GString *received;
} Notify;

static gboolean
notified (gpointer user_data)
{
  Notify *n = ((gpointer *) user_data)[0];
  const char *state = ((gpointer *) user_data)[1];
  char buffer[512];
  gssize len;

  while ((len = g_socket_receive (n->socket, buffer, sizeof buffer - 1, NULL, NULL)) > 0)
    {
      buffer[len] = '\0';
      g_string_append_printf (n->received, "%s\n", buffer);
    }
  return strstr (n->received->str, state) != NULL;
}

static void
wait_notified (Notify *n, const char *state)
{
  gpointer args[2] = { n, (gpointer) state };

  if (!tea_test_wait (notified, args, 10000))
    g_error ("no %s from teahoused; got:\n%s", state, n->received->str);
}

static void
test_systemd_notify (void)
{
  g_autofree char *dir = make_tmp_dir ();
  g_autofree char *path = g_build_filename (dir, "notify", NULL);
  g_autofree char *notify_env = g_strconcat ("NOTIFY_SOCKET=", path, NULL);
  g_autoptr (GSocketAddress) address = g_unix_socket_address_new (path);
  g_autoptr (GError) error = NULL;
  Notify n = { NULL, g_string_new (NULL) };
  const char *env[] = { notify_env, "WATCHDOG_USEC=200000", NULL };
  const char *argv[] = { g_getenv ("TEAHOUSED"), "--port", "0", "--bind", "127.0.0.1",
                         "--state-dir", dir, NULL };
  g_autoptr (Child) child = NULL;

  n.socket = g_socket_new (G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_DATAGRAM, 0, &error);
  g_assert_no_error (error);
  g_socket_set_blocking (n.socket, FALSE);
  g_assert_true (g_socket_bind (n.socket, address, FALSE, &error));
  child = child_spawn_full (argv, env, -1);
  /* Ready once listening, then watchdog pings at half the interval, the
   * reload bracketed, and STOPPING on the way out. */
  wait_notified (&n, "READY=1");
  wait_notified (&n, "WATCHDOG=1");
  kill (g_ascii_strtoll (g_subprocess_get_identifier (child->process), NULL, 10), SIGHUP);
  wait_notified (&n, "RELOADING=1");
  g_subprocess_send_signal (child->process, SIGTERM);
  wait_notified (&n, "STOPPING=1");
  child_wait_exit (child, 10000);
  child_assert_status (child, 0);
  g_object_unref (n.socket);
  g_string_free (n.received, TRUE);
  remove_tree (dir);
}

static void
test_socket_activation (void)
{
  g_autofree char *dir = make_tmp_dir ();
  g_autoptr (GError) error = NULL;
  g_autoptr (GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, &error);
  g_autoptr (GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr (GSocketAddress) bound = NULL;
  g_autofree char *script = NULL;
  g_autoptr (Child) child = NULL;
  g_autoptr (TeaTestPeer) alice = NULL;
  guint16 port;

  /* What systemd does with teahoused.socket: a bound socket as fd 3,
   * LISTEN_FDS=1 and LISTEN_PID set to the service's own pid. */
  g_assert_true (g_socket_bind (socket, address, TRUE, &error));
  bound = g_socket_get_local_address (socket, &error);
  port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  script = g_strdup_printf ("LISTEN_PID=$$ LISTEN_FDS=1 exec \"%s\" --state-dir \"%s\"", g_getenv ("TEAHOUSED"), dir);
  {
    const char *argv[] = { "/bin/sh", "-c", script, NULL };
    child = child_spawn_full (argv, NULL, g_socket_get_fd (socket));
  }
  g_object_unref (g_steal_pointer (&socket)); /* only the daemon has it now */
  alice = tea_test_peer_new (port, "alice");
  tea_test_peer_connect (alice, "lobby");
  g_assert_nonnull (strstr (child->err->str, "socket systemd passed"));
  g_subprocess_send_signal (child->process, SIGTERM);
  child_wait_exit (child, 10000);
  child_assert_status (child, 0);
  remove_tree (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_assert_nonnull (g_getenv ("TEAHOUSED"));
  g_test_add_func ("/tea/daemon/key-and-chat", test_key_and_chat);
  g_test_add_data_func ("/tea/daemon/stop/sigterm", GINT_TO_POINTER (SIGTERM), test_stop);
  g_test_add_data_func ("/tea/daemon/stop/sigint", GINT_TO_POINTER (SIGINT), test_stop);
  g_test_add_func ("/tea/daemon/reload", test_reload);
  g_test_add_func ("/tea/daemon/check-config", test_check_config);
  g_test_add_func ("/tea/daemon/bad-state-dir", test_bad_state_dir);
  g_test_add_data_func ("/tea/daemon/state-dir-with-key/read-only", GINT_TO_POINTER (TEA_TEST_FS_READ_ONLY),
                        test_state_dir_with_key);
  g_test_add_data_func ("/tea/daemon/state-dir-with-key/full", GINT_TO_POINTER (TEA_TEST_FS_FULL),
                        test_state_dir_with_key);
  g_test_add_func ("/tea/daemon/command-line", test_command_line);
  g_test_add_func ("/tea/daemon/systemd-notify", test_systemd_notify);
  g_test_add_func ("/tea/daemon/socket-activation", test_socket_activation);
  return g_test_run ();
}
