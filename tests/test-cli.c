/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The real teahouse-cli program against a relay in this process: a piped
 * script, what it prints, private messages, /quit, a taken nickname, no
 * server at all, pinning the server key (and a changed one), teahouse://
 * links with a fingerprint, and bad arguments. The CLI's known-servers file
 * and configuration directory are temporary, never the user's.
 */
#include <errno.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include "tea-fingerprint.h"
#include "tea-noise.h"
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
   * the kernel then ends the children too. */
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

static gboolean
child_finished (gpointer user_data)
{
  Child *child = user_data;
  return child->exited && child->n_reading == 0;
}

/* Whatever came from the network, the terminal never sees an escape. */
static void
assert_no_escape (GString *text)
{
  g_assert_null (memchr (text->str, '\033', text->len));
}

static void
child_free (Child *child)
{
  GOutputStream *input = g_subprocess_get_stdin_pipe (child->process);

  if (input && !g_output_stream_is_closed (input))
    g_output_stream_close (input, NULL, NULL);
  if (!child->exited)
    g_subprocess_force_exit (child->process);
  /* Reaped, and both pipes drained, so no callback outlives the child. */
  if (!tea_test_wait (child_finished, child, 10000))
    g_error ("a child process did not go away");
  /* UBSan reports without changing the exit status. */
  if (strstr (child->err->str, "runtime error:"))
    g_error ("a child process hit undefined behaviour:\n%s", child->err->str);
  assert_no_escape (child->out);
  assert_no_escape (child->err);
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
    g_error ("teahouse-cli did not exit within %u ms; it printed:\n%s\nand on stderr:\n%s",
             timeout_ms, child->out->str, child->err->str);
  return (g_get_monotonic_time () - start) / 1000;
}

/* An exit status, never a death by signal (a crash). */
static int
child_status (Child *child)
{
  g_assert_true (child->exited);
  if (!g_subprocess_get_if_exited (child->process))
    g_error ("teahouse-cli was killed by signal %d; it printed:\n%s\nand on stderr:\n%s",
             g_subprocess_get_term_sig (child->process), child->out->str, child->err->str);
  return g_subprocess_get_exit_status (child->process);
}

/* Exited by itself with this status, or the test fails showing why. A
 * sanitizer's report changes the status too. */
static void
child_assert_status (Child *child, int expected)
{
  if (child_status (child) != expected)
    g_error ("teahouse-cli exited with status %d, not %d; it printed:\n%s\nand on stderr:\n%s",
             child_status (child), expected, child->out->str, child->err->str);
}

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
  Child *child;
  const char *text;
  guint n;
} OutputWait;

static gboolean
output_has (gpointer user_data)
{
  OutputWait *w = user_data;
  return count_occurrences (w->child->out->str, w->text) >= w->n || w->child->exited;
}

/* Waits until the CLI has printed text n times. */
static void
child_wait_output (Child *child, const char *text, guint n)
{
  OutputWait w = { child, text, n };

  if (!tea_test_wait (output_has, &w, 10000) || count_occurrences (child->out->str, text) < n)
    g_error ("teahouse-cli did not print “%s” %u times; it printed:\n%s\nand on stderr:\n%s",
             text, n, child->out->str, child->err->str);
}

/* ---- teahouse-cli with a temporary home --------------------------------- */

typedef struct
{
  char *dir;
  char *known_servers;
  char *config_home;
} Home;

static Home *
home_new (void)
{
  Home *home = g_new0 (Home, 1);
  g_autoptr (GError) error = NULL;

  home->dir = g_dir_make_tmp ("teahouse-cli-test-XXXXXX", &error);
  g_assert_no_error (error);
  home->known_servers = g_build_filename (home->dir, "known-servers", NULL);
  home->config_home = g_build_filename (home->dir, "config", NULL);
  return home;
}

static void
remove_tree (const char *path)
{
  GStatBuf st;

  if (g_lstat (path, &st) != 0)
    return;
  if (S_ISDIR (st.st_mode))
    {
      g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
      const char *name;

      while (dir && (name = g_dir_read_name (dir)))
        {
          g_autofree char *child = g_build_filename (path, name, NULL);
          remove_tree (child);
        }
    }
  g_assert_cmpint (g_remove (path), ==, 0);
}

static void
home_free (Home *home)
{
  /* With --known-servers, nothing goes to the configuration directory. */
  g_assert_false (g_file_test (home->config_home, G_FILE_TEST_EXISTS));
  remove_tree (home->dir);
  g_free (home->dir);
  g_free (home->known_servers);
  g_free (home->config_home);
  g_free (home);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Home, home_free)

/* Starts teahouse-cli with these arguments (the last is the nick) and a
 * pipe for its input; with fs, under a read-only or full tmpfs at fs_dir.
 * Warnings are fatal unless the test expects some. */
static Child *
cli_start_argv (Home *home, const char *const *args, const TeaTestFs *fs, const char *fs_dir,
                gboolean expect_warnings)
{
  g_autoptr (GSubprocessLauncher) launcher =
    g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                               G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_auto (GStrv) wrapped = NULL;
  g_autoptr (GError) error = NULL;
  Child *child = g_new0 (Child, 1);

  g_ptr_array_add (argv, (gpointer) g_getenv ("TEAHOUSE_CLI"));
  g_ptr_array_add (argv, "--known-servers");
  g_ptr_array_add (argv, home->known_servers);
  for (guint i = 0; args[i]; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);
  if (fs)
    wrapped = tea_test_fs_wrap (*fs, fs_dir, NULL, (const char *const *) argv->pdata);
  if (expect_warnings)
    g_subprocess_launcher_setenv (launcher, "G_DEBUG", "gc-friendly,fatal-criticals", TRUE);

  /* Belt and braces: even a default path must land in the temporary home. */
  g_subprocess_launcher_setenv (launcher, "XDG_CONFIG_HOME", home->config_home, TRUE);
  g_subprocess_launcher_set_child_setup (launcher, child_setup, NULL, NULL);
  child->process = g_subprocess_launcher_spawnv (launcher, wrapped ? (const char *const *) wrapped
                                                                   : (const char *const *) argv->pdata, &error);
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
cli_start (Home *home, const char *first, ...) G_GNUC_NULL_TERMINATED;

static Child *
cli_start (Home *home, const char *first, ...)
{
  g_autoptr (GPtrArray) args = g_ptr_array_new ();
  va_list ap;

  va_start (ap, first);
  for (const char *arg = first; arg; arg = va_arg (ap, const char *))
    g_ptr_array_add (args, (gpointer) arg);
  va_end (ap);
  g_ptr_array_add (args, NULL);
  return cli_start_argv (home, (const char *const *) args->pdata, NULL, NULL, FALSE);
}

/* Types into the CLI, as a pipe would. */
static void
cli_write (Child *child, const char *text)
{
  g_autoptr (GError) error = NULL;

  g_output_stream_write_all (g_subprocess_get_stdin_pipe (child->process), text, strlen (text), NULL, NULL, &error);
  g_assert_no_error (error);
}

static void
cli_close_input (Child *child)
{
  g_autoptr (GError) error = NULL;

  g_output_stream_close (g_subprocess_get_stdin_pipe (child->process), NULL, &error);
  g_assert_no_error (error);
}

/* Runs a whole script through the CLI: every line answered, then it quits
 * by itself at the end of its input. */
static Child *
cli_run_script (Home *home, const char *server, const char *script, const char *extra)
{
  Child *child = extra ? cli_start (home, "--server", server, "--room", "tea", extra, "alice", NULL)
                       : cli_start (home, "--server", server, "--room", "tea", "alice", NULL);

  cli_write (child, script);
  cli_close_input (child);
  child_wait_exit (child, 15000);
  return child;
}

static char *
server_arg (guint16 port)
{
  return g_strdup_printf ("127.0.0.1:%u", port);
}

static char *
relay_fingerprint (TeaTestRelay *relay)
{
  return tea_fingerprint_from_key (tea_relay_get_public_key (relay->relay));
}

/* Whether the known-servers file has the line "127.0.0.1:PORT FINGERPRINT". */
static gboolean
known_servers_has (Home *home, guint16 port, const char *fingerprint)
{
  g_autofree char *contents = NULL;
  g_autofree char *lines = NULL;
  g_autofree char *line = g_strdup_printf ("\n127.0.0.1:%u %s\n", port, fingerprint);

  if (!g_file_get_contents (home->known_servers, &contents, NULL, NULL))
    return FALSE;
  lines = g_strconcat ("\n", contents, NULL);
  return strstr (lines, line) != NULL;
}

/* A line of output, a timestamp first: "HH:MM:SS rest". */
static void
assert_printed (Child *child, const char *rest_pattern)
{
  g_autofree char *pattern = g_strdup_printf ("^[0-2][0-9]:[0-5][0-9]:[0-6][0-9] %s$", rest_pattern);

  if (!g_regex_match_simple (pattern, child->out->str, G_REGEX_MULTILINE, 0))
    g_error ("teahouse-cli printed no line matching /%s/; it printed:\n%s", pattern, child->out->str);
}

/* A relay on a given port (0: any), with a key of its own. */
static TeaTestRelay *
relay_new_on_port (guint16 port)
{
  TeaTestRelay *t = g_new0 (TeaTestRelay, 1);
  g_autoptr (GError) error = NULL;
  TeaRelayConfig config;
  TeaKeypair key;

  tea_relay_config_init (&config);
  tea_keypair_generate (&key);
  t->relay = tea_relay_new (&config, &key, g_get_monotonic_time ());
  t->listener = tea_listener_new (t->relay);
  tea_listener_listen (t->listener, "127.0.0.1", port, &error);
  g_assert_no_error (error);
  t->port = tea_listener_get_port (t->listener);
  tea_relay_config_clear (&config);
  return t;
}

/* ---- Tests -------------------------------------------------------------- */

static void
test_script (void)
{
  g_autoptr (Home) home = home_new ();
  g_autoptr (TeaTestRelay) relay = tea_test_relay_new (NULL);
  g_autoptr (TeaTestPeer) bob = tea_test_peer_new (relay->port, "bob");
  g_autofree char *server = server_arg (relay->port);
  g_autofree char *fingerprint = relay_fingerprint (relay);
  g_autoptr (Child) cli = NULL;
  g_autoptr (GPtrArray) chat = NULL;

  tea_test_peer_connect (bob, "tea");
  cli = cli_start (home, "--server", server, "--room", "tea", "--timeout", "10", "alice", NULL);
  /* All at once, before the CLI can have joined: nothing may be lost or
   * reordered while it connects. */
  cli_write (cli, "hello from cli\n/me waves\n/topic Green tea\n/names\n");
  tea_test_peer_wait_count (bob, "MESSAGE", "alice hello from cli", 1);
  tea_test_peer_wait_count (bob, "ACTION", "alice waves", 1);
  tea_test_peer_wait_count (bob, "TOPIC", "alice Green tea", 1);
  chat = tea_test_peer_chat_lines (bob);
  g_assert_cmpuint (chat->len, ==, 2);
  g_assert_nonnull (strstr (chat->pdata[0], "MESSAGE alice hello from cli"));
  g_assert_nonnull (strstr (chat->pdata[1], "ACTION alice waves"));
  /* Once on joining, once for /names. */
  child_wait_output (cli, "In the room: ", 2);

  /* The room as the CLI prints it, while its input is still open. */
  g_assert_cmpuint (tea_client_say (bob->client, "tea", "hi from bob", TEA_TEXT_KIND_MESSAGE), !=, 0);
  child_wait_output (cli, "<bob> hi from bob", 1);
  cli_close_input (cli);
  child_wait_exit (cli, 10000);
  child_assert_status (cli, 0);
  tea_test_peer_wait_count (bob, "QUIT", "alice", 1);

  assert_printed (cli, "<alice> hello from cli");
  assert_printed (cli, "\\* alice waves");
  assert_printed (cli, "-!- alice changed the topic to: Green tea");
  assert_printed (cli, "-!- In the room: (alice bob|bob alice)");
  assert_printed (cli, "<bob> hi from bob");
  g_assert_true (strstr (cli->out->str, "<alice> hello from cli") < strstr (cli->out->str, "* alice waves"));

  /* First contact: the key is shown and pinned. */
  g_assert_nonnull (strstr (cli->err->str, fingerprint));
  g_assert_true (known_servers_has (home, relay->port, fingerprint));
}

/* The relay restarts (same key, same port): the terminal client says so,
 * holds what is typed meanwhile and sends it once its room is back. */
static void
test_relay_restart (void)
{
  g_autoptr (TeaTestRelay) relay = tea_test_relay_new (NULL);
  g_autoptr (Home) home = home_new ();
  g_autoptr (TeaTestPeer) bob = NULL;
  g_autoptr (Child) cli = NULL;
  g_autofree char *server = NULL;

  server = server_arg (relay->port);
  cli = cli_start (home, "--server", server, "--room", "tea", "alice", NULL);
  child_wait_output (cli, "In the room", 1);

  tea_relay_shutdown (relay->relay, g_get_monotonic_time ());
  child_wait_output (cli, "reconnecting", 1);
  tea_test_relay_stop (relay);
  cli_write (cli, "typed while it was down\n");
  tea_test_run_for (300);

  tea_test_relay_start_again (relay);
  bob = tea_test_peer_new (relay->port, "bob");
  tea_test_peer_connect (bob, "tea");
  tea_test_peer_wait_count (bob, "MESSAGE", "typed while it was down", 1);
  assert_printed (cli, "-!- \\[tea\\] The room was restarted; .*");
  g_assert_null (strstr (cli->out->str, "Not sent"));

  cli_write (cli, "/quit\n");
  child_wait_exit (cli, 10000);
  child_assert_status (cli, 0);
}

static void
test_private_and_quit (void)
{
  g_autoptr (Home) home = home_new ();
  g_autoptr (TeaTestRelay) relay = tea_test_relay_new (NULL);
  g_autoptr (TeaTestPeer) bob = tea_test_peer_new (relay->port, "bob");
  g_autofree char *server = server_arg (relay->port);
  g_autoptr (Child) cli = NULL;

  tea_test_peer_connect (bob, "tea");
  cli = cli_start (home, "--server", server, "--room", "tea", "alice", NULL);
  cli_write (cli, "/msg bob psst, the good oolong is back\n");
  tea_test_peer_wait_message (bob, "PRIVATE alice psst, the good oolong is back");
  /* Private, not in the room. */
  g_assert_cmpuint (tea_test_peer_count (bob, "MESSAGE", NULL), ==, 0);

  g_assert_cmpuint (tea_client_privmsg (bob->client, "alice", "save me a cup", TEA_TEXT_KIND_MESSAGE), !=, 0);
  child_wait_output (cli, "*bob* save me a cup", 1);
  assert_printed (cli, "\\*bob\\* save me a cup");

  /* /quit ends the program by itself, input still open, and the room
   * hears why. */
  cli_write (cli, "/quit off to brew\n");
  tea_test_peer_wait_count (bob, "QUIT", "alice off to brew", 1);
  child_wait_exit (cli, 10000);
  child_assert_status (cli, 0);
}

static void
test_nick_taken (void)
{
  g_autoptr (Home) home = home_new ();
  g_autoptr (TeaTestRelay) relay = tea_test_relay_new (NULL);
  g_autoptr (TeaTestPeer) bob = tea_test_peer_new (relay->port, "bob");
  g_autofree char *server = server_arg (relay->port);
  g_autoptr (Child) cli = NULL;
  gint64 took_ms;

  tea_test_peer_connect (bob, "tea");
  cli = cli_start (home, "--server", server, "--room", "tea", "bob", NULL);
  took_ms = child_wait_exit (cli, 5000);
  child_assert_status (cli, 1);
  g_assert_cmpint (took_ms, <, 5000);
  g_assert_nonnull (strstr (cli->err->str, "That nickname is already in use"));
  /* Still only the first bob in the room. */
  g_assert_cmpuint (tea_test_peer_count (bob, "JOIN", "bob"), ==, 1);
}

/* A port nobody listens on: bound, read, closed. */
static guint16
unused_port (void)
{
  g_autoptr (GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
                                             G_SOCKET_PROTOCOL_UDP, NULL);
  g_autoptr (GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr (GSocketAddress) local = NULL;
  g_autoptr (GError) error = NULL;

  g_assert_nonnull (socket);
  g_socket_bind (socket, address, FALSE, &error);
  g_assert_no_error (error);
  local = g_socket_get_local_address (socket, &error);
  g_assert_no_error (error);
  g_socket_close (socket, NULL);
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local));
}

static void
test_no_server (void)
{
  g_autoptr (Home) home = home_new ();
  guint16 port = unused_port ();
  g_autofree char *server = server_arg (port);
  g_autofree char *where = g_strdup_printf ("127.0.0.1 port %u", port);
  g_autoptr (Child) cli = NULL;
  gint64 took_ms;

  cli = cli_start (home, "--server", server, "--timeout", "2", "alice", NULL);
  cli_write (cli, "anyone?\n");
  took_ms = child_wait_exit (cli, 6000);
  child_assert_status (cli, 1);
  /* It tried for the whole timeout and then gave up, well before the
   * default of 10 s (the margin is for start-up on a loaded machine). */
  g_assert_cmpint (took_ms, >=, 1500);
  g_assert_cmpint (took_ms, <=, 4500);
  if (strstr (cli->err->str, where) == NULL ||
      (strstr (cli->err->str, "No Teahouse server is running") == NULL &&
       strstr (cli->err->str, "does not answer") == NULL))
    g_error ("teahouse-cli did not say that no server answered at %s; it said:\n%s", where, cli->err->str);
  g_assert_false (g_file_test (home->known_servers, G_FILE_TEST_EXISTS));
}

static void
test_key_pinning (void)
{
  g_autoptr (Home) home = home_new ();
  g_autoptr (TeaTestRelay) first = relay_new_on_port (0);
  g_autoptr (TeaTestRelay) second = NULL;
  g_autoptr (TeaTestPeer) bob = tea_test_peer_new (first->port, "bob");
  g_autofree char *server = server_arg (first->port);
  g_autofree char *first_key = relay_fingerprint (first);
  g_autofree char *second_key = NULL;
  guint16 port = first->port;

  /* First contact pins the key, and says so. */
  tea_test_peer_connect (bob, "tea");
  {
    g_autoptr (Child) cli = cli_run_script (home, server, "first visit\n", NULL);

    child_assert_status (cli, 0);
    tea_test_peer_wait_count (bob, "MESSAGE", "alice first visit", 1);
    g_assert_nonnull (strstr (cli->err->str, first_key));
    g_assert_true (known_servers_has (home, port, first_key));
  }
  g_clear_pointer (&bob, tea_test_peer_free);
  g_clear_pointer (&first, tea_test_relay_free);

  /* Reinstalled, or an impostor: the same address with another key. */
  second = relay_new_on_port (port);
  second_key = relay_fingerprint (second);
  g_assert_cmpstr (first_key, !=, second_key);
  bob = tea_test_peer_new (port, "bob");
  tea_test_peer_connect (bob, "tea");
  {
    g_autoptr (Child) cli = cli_run_script (home, server, "second visit\n", NULL);

    child_assert_status (cli, 1);
    g_assert_nonnull (strstr (cli->err->str, "--accept-new-key"));
    g_assert_nonnull (strstr (cli->err->str, second_key));
    g_assert_true (known_servers_has (home, port, first_key));
    /* Refused before a session existed: nothing was said. */
    g_assert_cmpuint (tea_relay_get_stats (second->relay)->sessions_created, ==, 1);
  }
  {
    g_autoptr (Child) cli = cli_run_script (home, server, "third visit\n", "--accept-new-key");

    child_assert_status (cli, 0);
    tea_test_peer_wait_count (bob, "MESSAGE", "alice third visit", 1);
    g_assert_cmpuint (tea_test_peer_count (bob, "MESSAGE", "second visit"), ==, 0);
    g_assert_nonnull (strstr (cli->err->str, second_key));
    g_assert_true (known_servers_has (home, port, second_key));
    g_assert_false (known_servers_has (home, port, first_key));
  }
  /* Re-pinned for good: accepted silently now. */
  {
    g_autoptr (Child) cli = cli_run_script (home, server, "fourth visit\n", NULL);

    child_assert_status (cli, 0);
    tea_test_peer_wait_count (bob, "MESSAGE", "alice fourth visit", 1);
    g_assert_null (strstr (cli->err->str, TEA_FINGERPRINT_PREFIX));
  }
}

static void
test_link (void)
{
  g_autoptr (Home) home = home_new ();
  g_autoptr (TeaTestRelay) relay = tea_test_relay_new (NULL);
  g_autoptr (TeaTestPeer) bob = tea_test_peer_new (relay->port, "bob");
  g_autofree char *right = relay_fingerprint (relay);
  g_autofree char *wrong = NULL;
  g_autofree char *wrong_link = NULL;
  g_autofree char *right_link = NULL;
  TeaKeypair other;

  /* A well-formed fingerprint, of some other key. */
  tea_keypair_generate (&other);
  wrong = tea_fingerprint_from_key (other.public_key);
  wrong_link = g_strdup_printf ("teahouse://127.0.0.1:%u/garden#%s", relay->port, wrong);
  right_link = g_strdup_printf ("teahouse://127.0.0.1:%u/garden#%s", relay->port, right);
  tea_test_peer_connect (bob, "garden");
  {
    g_autoptr (Child) cli = cli_start (home, "--server", wrong_link, "alice", NULL);

    cli_write (cli, "through the wrong gate\n");
    cli_close_input (cli);
    child_wait_exit (cli, 10000);
    child_assert_status (cli, 1);
    g_assert_nonnull (strstr (cli->err->str, right));
    /* A link's pin is not overridden by --accept-new-key: no such advice. */
    g_assert_null (strstr (cli->err->str, "--accept-new-key"));
    g_assert_cmpuint (tea_relay_get_stats (relay->relay)->sessions_created, ==, 1);
    g_assert_false (known_servers_has (home, relay->port, right));
  }
  {
    g_autoptr (Child) cli = cli_start (home, "--server", right_link, "alice", NULL);

    cli_write (cli, "found the garden\n");
    cli_close_input (cli);
    child_wait_exit (cli, 10000);
    child_assert_status (cli, 0);
    /* The link's room, not the default one. */
    tea_test_peer_wait_count (bob, "JOIN", "alice", 1);
    tea_test_peer_wait_count (bob, "MESSAGE", "alice found the garden", 1);
    g_assert_true (g_str_has_prefix (bob->events->pdata[bob->events->len - 1], "garden "));
  }
}

/* Why the known-servers file cannot be written. */
typedef enum {
  STORE_READ_ONLY = TEA_TEST_FS_READ_ONLY,
  STORE_FULL = TEA_TEST_FS_FULL,
  STORE_NOT_A_DIRECTORY, /* its directory is a regular file */
} StoreTrouble;

/* The known-servers file cannot be written. The chat goes on, the user is
 * told the key could not be remembered and why, and is never told that it
 * was. */
static void
test_known_servers_unwritable (gconstpointer data)
{
  StoreTrouble trouble = GPOINTER_TO_INT (data);
  TeaTestFs fs = (TeaTestFs) trouble;
  const char *reason = g_strerror (trouble == STORE_READ_ONLY ? EROFS : trouble == STORE_FULL ? ENOSPC : ENOTDIR);
  g_autoptr (Home) home = home_new ();
  g_autoptr (TeaTestRelay) relay = tea_test_relay_new (NULL);
  g_autoptr (TeaTestPeer) bob = tea_test_peer_new (relay->port, "bob");
  g_autofree char *server = server_arg (relay->port);
  g_autofree char *store = g_build_filename (home->dir, "store", NULL);
  const char *args[] = { "--server", server, "--room", "tea", "alice", NULL };
  g_autoptr (Child) cli = NULL;

  if (trouble == STORE_NOT_A_DIRECTORY)
    g_assert_true (g_file_set_contents (store, "a file\n", -1, NULL));
  else
    g_assert_cmpint (g_mkdir (store, 0700), ==, 0);
  g_free (home->known_servers);
  home->known_servers = g_build_filename (store, "known-servers", NULL);
  tea_test_peer_connect (bob, "tea");
  cli = cli_start_argv (home, args, trouble == STORE_NOT_A_DIRECTORY ? NULL : &fs, store, TRUE);
  cli_write (cli, "pinned or not, here I am\n");
  cli_close_input (cli);
  child_wait_exit (cli, 15000);
  if (trouble != STORE_NOT_A_DIRECTORY)
    tea_test_fs_assert_ready (cli->err->str);
  child_assert_status (cli, 0);
  tea_test_peer_wait_count (bob, "MESSAGE", "alice pinned or not, here I am", 1);

  if (strstr (cli->err->str, "Could not remember the server key") == NULL ||
      strstr (cli->err->str, store) == NULL || strstr (cli->err->str, reason) == NULL)
    g_error ("teahouse-cli did not say that it could not remember the key in %s (%s); it said:\n%s",
             store, reason, cli->err->str);
  g_assert_null (strstr (cli->err->str, "has been remembered"));
  g_assert_null (strstr (cli->err->str, "CRITICAL"));
  g_test_message ("teahouse-cli said: %s", strstr (cli->err->str, "Could not remember"));
  g_assert_false (g_file_test (home->known_servers, G_FILE_TEST_EXISTS));
}

/* Refused before anything happens, with status 2 for a usage error. */
static void
assert_usage_error (const char *first, ...) G_GNUC_NULL_TERMINATED;

static void
assert_usage_error (const char *first, ...)
{
  g_autoptr (Home) home = home_new ();
  g_autoptr (Child) cli = NULL;
  va_list args;
  const char *a[6] = { NULL };
  guint n = 0;

  va_start (args, first);
  for (const char *arg = first; arg && n < G_N_ELEMENTS (a) - 1; arg = va_arg (args, const char *))
    a[n++] = arg;
  va_end (args);
  cli = cli_start (home, a[0], a[1], a[2], a[3], a[4], NULL);
  child_wait_exit (cli, 5000);
  if (child_status (cli) != 2 || cli->err->len == 0)
    g_error ("teahouse-cli %s %s %s: status %d, stderr:\n%s", a[0], a[1] ? a[1] : "", a[2] ? a[2] : "",
             child_status (cli), cli->err->str);
  g_assert_false (g_file_test (home->known_servers, G_FILE_TEST_EXISTS));
}

static void
test_bad_arguments (void)
{
  assert_usage_error ("--server", "127.0.0.1:notaport", "alice", NULL);
  assert_usage_error ("--server", "127.0.0.1:0", "alice", NULL);
  assert_usage_error ("--server", "teahouse:///garden", "alice", NULL);
  assert_usage_error ("--server", "127.0.0.1", NULL);
  assert_usage_error ("--no-such-option", "alice", NULL);
}


/* After a reconnection the current room stays the one the person chose,
 * whichever room is rejoined last. */
static void
test_room_after_reconnect (void)
{
  g_autoptr (TeaTestRelay) relay = tea_test_relay_new (NULL);
  g_autoptr (Home) home = home_new ();
  g_autoptr (TeaTestPeer) bob = NULL;
  g_autoptr (Child) cli = NULL;
  g_autofree char *server = NULL;
  const char *first = "tea";
  const char *second = "coffee";
  g_autofree char *join = g_strdup_printf ("/join %s\n", second);

  server = server_arg (relay->port);
  cli = cli_start (home, "--server", server, "--room", first, "alice", NULL);
  child_wait_output (cli, "In the room", 1);
  cli_write (cli, join);
  child_wait_output (cli, "In the room", 2);
  cli_write (cli, "before\n");
  child_wait_output (cli, "before", 1);

  tea_relay_shutdown (relay->relay, g_get_monotonic_time ());
  child_wait_output (cli, "reconnecting", 1);
  tea_test_relay_restart (relay);
  child_wait_output (cli, "In the room", 4);
  bob = tea_test_peer_new (relay->port, "bob");
  tea_test_peer_connect (bob, first);
  tea_client_join (bob->client, second, 0);
  tea_test_run_for (300);
  cli_write (cli, "after\n");
  tea_test_peer_wait_count (bob, "MESSAGE", "after", 1);
  /* Both lines went to the room she chose last, before and after. */
  {
    g_autoptr (GPtrArray) lines = tea_test_peer_chat_lines (bob);
    g_autofree char *before_in = g_strdup_printf ("%s ", second);
    guint n_after = 0;

    for (guint i = 0; i < lines->len; i++)
      if (strstr (lines->pdata[i], " after"))
        {
          n_after++;
          g_assert_true (g_str_has_prefix (lines->pdata[i], before_in));
        }
    g_assert_cmpuint (n_after, ==, 1);
  }
  cli_write (cli, "/quit\n");
  child_wait_exit (cli, 10000);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  /* A CLI that exits early must fail its test, not kill it by SIGPIPE. */
  signal (SIGPIPE, SIG_IGN);
  g_assert_nonnull (g_getenv ("TEAHOUSE_CLI"));
  g_test_add_func ("/tea/cli/script", test_script);
  g_test_add_func ("/tea/cli/private-and-quit", test_private_and_quit);
  g_test_add_func ("/tea/cli/relay-restart", test_relay_restart);
  g_test_add_func ("/tea/cli/room-after-reconnect", test_room_after_reconnect);
  g_test_add_func ("/tea/cli/nick-taken", test_nick_taken);
  g_test_add_func ("/tea/cli/no-server", test_no_server);
  g_test_add_func ("/tea/cli/key-pinning", test_key_pinning);
  g_test_add_func ("/tea/cli/link", test_link);
  g_test_add_func ("/tea/cli/bad-arguments", test_bad_arguments);
  g_test_add_data_func ("/tea/cli/known-servers-unwritable/read-only", GINT_TO_POINTER (STORE_READ_ONLY),
                        test_known_servers_unwritable);
  g_test_add_data_func ("/tea/cli/known-servers-unwritable/full", GINT_TO_POINTER (STORE_FULL),
                        test_known_servers_unwritable);
  g_test_add_data_func ("/tea/cli/known-servers-unwritable/not-a-directory", GINT_TO_POINTER (STORE_NOT_A_DIRECTORY),
                        test_known_servers_unwritable);
  return g_test_run ();
}
