/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The tutorial's own client, tests/seed/client.py, unmodified, against the
 * real teahoused --legacy, with a native member in the same room.
 *
 * The client is wired to 127.0.0.1:9999, and that port may well be taken
 * on the machine running the tests (by a real relay, even). So the whole
 * test runs in a private network namespace, where it is surely free:
 * main() first re-executes itself under unshare(1).
 */
#include <errno.h>
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include "tea-test-util.h"

#define SEED_PORT 9999
#define SEED_NAME "seed"
#define PYTHON "/usr/bin/python3"
/* Set inside the namespace; tells main() not to re-execute again. */
#define IN_NETNS_ENV "TEA_IN_NETNS"
/* The descriptor on which the inner run says it got as far as TAP. */
#define READY_FD_ENV "TEA_NETNS_READY_FD"
#define READY_FD 3

/* ---- Child processes and what they print -------------------------------- */

typedef struct
{
  GDataInputStream *stream;
  GPtrArray *lines; /* char *, without the newline */
  gboolean eof;
} Lines;

typedef struct
{
  const char *what;
  GSubprocess *process;
  Lines out;
  Lines err; /* stream NULL when merged into out */
  gboolean exited;
} Child;

static void
child_setup (gpointer user_data)
{
#ifdef __linux__
  /* A failed assertion aborts the test at once, skipping every cleanup:
   * the kernel then ends the children, so no daemon or client outlives
   * the test (nor keeps its namespace alive). */
  prctl (PR_SET_PDEATHSIG, SIGKILL);
#endif
}

static void read_next_line (Lines *lines);

static void
on_line (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Lines *lines = user_data;
  g_autoptr (GError) error = NULL;
  char *line = g_data_input_stream_read_line_finish (G_DATA_INPUT_STREAM (source), result, NULL, &error);

  if (line == NULL)
    {
      lines->eof = TRUE; /* end of file, or the pipe broke: nothing more */
      return;
    }
  g_ptr_array_add (lines->lines, line);
  read_next_line (lines);
}

static void
read_next_line (Lines *lines)
{
  g_data_input_stream_read_line_async (lines->stream, G_PRIORITY_DEFAULT, NULL, on_line, lines);
}

static void
lines_start (Lines *lines, GInputStream *pipe)
{
  lines->lines = g_ptr_array_new_with_free_func (g_free);
  if (pipe == NULL)
    {
      lines->eof = TRUE;
      return;
    }
  lines->stream = g_data_input_stream_new (pipe);
  read_next_line (lines);
}

static void
lines_clear (Lines *lines)
{
  g_clear_object (&lines->stream);
  g_clear_pointer (&lines->lines, g_ptr_array_unref);
}

static gboolean
lines_contain (Lines *lines, const char *text, gboolean whole_line)
{
  for (guint i = 0; i < lines->lines->len; i++)
    if (whole_line ? g_str_equal (lines->lines->pdata[i], text) : strstr (lines->lines->pdata[i], text) != NULL)
      return TRUE;
  return FALSE;
}

/* Everything the child printed, for failure messages. */
static char *
child_output (Child *child)
{
  g_autoptr (GString) s = g_string_new (NULL);

  g_string_append_printf (s, "---- %s printed:\n", child->what);
  for (guint i = 0; i < child->out.lines->len; i++)
    g_string_append_printf (s, "%s\n", (const char *) child->out.lines->pdata[i]);
  if (child->err.stream)
    {
      g_string_append_printf (s, "---- and on stderr:\n");
      for (guint i = 0; i < child->err.lines->len; i++)
        g_string_append_printf (s, "%s\n", (const char *) child->err.lines->pdata[i]);
    }
  return g_string_free (g_steal_pointer (&s), FALSE);
}

static void
on_exited (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Child *child = user_data;

  g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);
  child->exited = TRUE;
}

static Child *
child_spawn (GSubprocessLauncher *launcher, const char *what, const char *const *argv)
{
  Child *child = g_new0 (Child, 1);
  g_autoptr (GError) error = NULL;

  child->what = what;
  g_subprocess_launcher_set_child_setup (launcher, child_setup, NULL, NULL);
  child->process = g_subprocess_launcher_spawnv (launcher, argv, &error);
  if (child->process == NULL)
    g_error ("could not start %s (%s): %s", what, argv[0], error->message);
  lines_start (&child->out, g_subprocess_get_stdout_pipe (child->process));
  lines_start (&child->err, g_subprocess_get_stderr_pipe (child->process));
  g_subprocess_wait_async (child->process, NULL, on_exited, child);
  return child;
}

static gboolean
child_finished (gpointer user_data)
{
  Child *child = user_data;
  return child->exited && child->out.eof && child->err.eof;
}

static void
child_free (Child *child)
{
  if (!child->exited)
    g_subprocess_force_exit (child->process);
  /* Reaped (no zombie) and its pipes drained, so no callback outlives
   * this struct. */
  if (!tea_test_wait (child_finished, child, 10000))
    g_error ("%s did not go away", child->what);
  g_object_unref (child->process);
  lines_clear (&child->out);
  lines_clear (&child->err);
  g_free (child);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Child, child_free)

/* Waits for the child to exit by itself and returns its exit status; a
 * death by signal is a failure. */
static int
child_wait_status (Child *child, guint timeout_ms)
{
  if (!tea_test_wait (child_finished, child, timeout_ms))
    {
      g_autofree char *output = child_output (child);
      g_error ("%s did not exit within %u ms\n%s", child->what, timeout_ms, output);
    }
  if (!g_subprocess_get_if_exited (child->process))
    {
      g_autofree char *output = child_output (child);
      g_error ("%s was killed by signal %d\n%s", child->what, g_subprocess_get_term_sig (child->process), output);
    }
  return g_subprocess_get_exit_status (child->process);
}

typedef struct
{
  Child *child;
  const char *text;
  gboolean whole_line;
} OutputWait;

static gboolean
printed_or_exited (gpointer user_data)
{
  OutputWait *w = user_data;
  return lines_contain (&w->child->out, w->text, w->whole_line) || child_finished (w->child);
}

/* Waits until the child prints text (a whole line of stdout, or part of
 * one); fails at once if it exits first. */
static void
child_wait_output (Child *child, const char *text, gboolean whole_line)
{
  OutputWait w = { child, text, whole_line };

  if (!tea_test_wait (printed_or_exited, &w, 10000) || !lines_contain (&child->out, text, whole_line))
    {
      g_autofree char *output = child_output (child);
      g_error ("%s never printed “%s”\n%s", child->what, text, output);
    }
}

/* A line typed at the seed client. */
static void
child_type (Child *child, const char *line)
{
  GOutputStream *stdin_pipe = g_subprocess_get_stdin_pipe (child->process);
  g_autofree char *with_newline = g_strconcat (line, "\n", NULL);
  g_autoptr (GError) error = NULL;

  g_assert_true (g_output_stream_write_all (stdin_pipe, with_newline, strlen (with_newline), NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (g_output_stream_flush (stdin_pipe, NULL, &error));
}

/* ---- The processes of this test ----------------------------------------- */

static const char *
getenv_or_fail (const char *name)
{
  const char *value = g_getenv (name);

  if (value == NULL || *value == '\0')
    g_error ("%s is not set; run this test with “meson test”", name);
  return value;
}

static Child *
daemon_start (const char *state_dir)
{
  g_autoptr (GSubprocessLauncher) launcher =
    g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_MERGE);
  g_autofree char *port = g_strdup_printf ("%u", SEED_PORT);
  const char *argv[] = { getenv_or_fail ("TEAHOUSED"), "--legacy", "--port", port,
                         "--state-dir", state_dir, "--verbose", NULL };
  g_autofree char *listening = g_strdup_printf ("Listening on all addresses port %u", SEED_PORT);
  Child *daemon;

  /* --legacy warns, as it should; that must not abort it. */
  g_subprocess_launcher_setenv (launcher, "G_DEBUG", "gc-friendly,fatal-criticals", TRUE);
  /* Not a systemd service: no inherited state directory or sockets. */
  g_subprocess_launcher_unsetenv (launcher, "STATE_DIRECTORY");
  g_subprocess_launcher_unsetenv (launcher, "LISTEN_PID");
  g_subprocess_launcher_unsetenv (launcher, "LISTEN_FDS");
  daemon = child_spawn (launcher, "teahoused", argv);
  child_wait_output (daemon, listening, FALSE);
  return daemon;
}

static Child *
seed_start (void)
{
  g_autoptr (GSubprocessLauncher) launcher =
    g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                               G_SUBPROCESS_FLAGS_STDERR_PIPE);
  const char *argv[] = { PYTHON, "-u", getenv_or_fail ("TEA_SEED_CLIENT"), NULL };

  /* Its prints are compared byte for byte, whatever the locale. */
  g_subprocess_launcher_setenv (launcher, "PYTHONIOENCODING", "utf-8", TRUE);
  return child_spawn (launcher, "the seed client", argv);
}

static void
remove_state_dir (char *dir)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  while (d && (name = g_dir_read_name (d)))
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      g_unlink (path);
    }
  g_rmdir (dir);
  g_free (dir);
}

typedef char StateDir;
G_DEFINE_AUTOPTR_CLEANUP_FUNC (StateDir, remove_state_dir)

static void
test_seed_client (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (StateDir) state_dir = g_dir_make_tmp ("teahouse-seed-XXXXXX", &error);
  g_autoptr (Child) daemon = NULL;
  g_autoptr (Child) seed = NULL;
  g_autoptr (TeaTestPeer) bob = NULL;
  g_autofree char *banner = NULL;

  g_assert_no_error (error);
  daemon = daemon_start (state_dir);
  bob = tea_test_peer_new (SEED_PORT, "bob");
  tea_test_peer_connect (bob, "lobby");
  seed = seed_start ();

  /* Its two threads race: the receiving one sends the name, the sending
   * one the lines typed. Each step waits until the previous one took
   * effect, or a line could overtake the name and become the name. */
  child_type (seed, SEED_NAME);
  tea_test_peer_wait_count (bob, "JOIN", SEED_NAME, 1);
  tea_client_names (bob->client, "lobby");
  tea_test_peer_wait_message (bob, "NAMES bob " SEED_NAME "(u)");

  child_type (seed, "你好，茶馆");
  tea_test_peer_wait_count (bob, "MESSAGE", SEED_NAME " 你好，茶馆", 1);

  g_assert_cmpuint (tea_client_say (bob->client, "lobby", "欢迎 seed", TEA_TEXT_KIND_MESSAGE), !=, 0);
  child_wait_output (seed, "bob : 欢迎 seed", TRUE);

  child_type (seed, "exit");
  tea_test_peer_wait_count (bob, "QUIT", SEED_NAME, 1);
  /* It leaves by itself, cleanly: nothing on stderr (a traceback from a
   * thread would not change the exit status). */
  g_assert_cmpint (child_wait_status (seed, 10000), ==, 0);
  g_assert_cmpuint (seed->err.lines->len, ==, 0);
  /* What a user of it saw: its banner and prompt, then bob's line; never
   * its own lines echoed, nor a notice of its own arrival. */
  g_assert_cmpuint (seed->out.lines->len, ==, 3);
  banner = g_strdup_printf ("请输入你的名称:-----------------%s------------------", SEED_NAME);
  g_assert_cmpstr (seed->out.lines->pdata[1], ==, banner);
  g_assert_cmpstr (seed->out.lines->pdata[2], ==, "bob : 欢迎 seed");
  g_assert_cmpuint (tea_test_peer_count (bob, "MESSAGE", "exit"), ==, 0);

  g_subprocess_send_signal (daemon->process, SIGTERM);
  g_assert_cmpint (child_wait_status (daemon, 10000), ==, 0);
  tea_test_peer_wait_message (bob, "NOTICE 101");
}

/* ---- Into a private network namespace ----------------------------------- */

/* Reaps what the inner run left behind when it died mid-test: its
 * children, ended by their parent-death signal and handed to us. */
static void
reap_orphans (void)
{
  for (;;)
    {
      if (waitpid (-1, NULL, 0) > 0 || errno == EINTR)
        continue;
      g_assert_cmpint (errno, ==, ECHILD);
      return;
    }
}

/* Runs this program again as
 *   unshare --net --map-root-user sh -c 'ip link set lo up && exec "$0" "$@"' argv0 args...
 * with its TAP output passing straight through, and returns its status. */
static int
run_in_netns (int argc, char **argv)
{
  g_autoptr (GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_autoptr (GPtrArray) args = g_ptr_array_new ();
  g_autoptr (GSubprocess) inner = NULL;
  g_autoptr (GError) error = NULL;
  const char *const unshare[] = { "unshare", "--net", "--map-root-user",
                                  "sh", "-c", "ip link set lo up && exec \"$0\" \"$@\"" };
  int ready[2];
  char byte;
  gssize n;

#ifdef __linux__
  /* Orphans of the inner run become ours, not zombies of an init that
   * (in a container) may never reap them. */
  prctl (PR_SET_CHILD_SUBREAPER, 1);
#endif
  for (guint i = 0; i < G_N_ELEMENTS (unshare); i++)
    g_ptr_array_add (args, (gpointer) unshare[i]);
  for (int i = 0; i < argc; i++)
    g_ptr_array_add (args, argv[i]);
  g_ptr_array_add (args, NULL);

  /* Only the inner run can say whether it got as far as TAP: a byte on
   * this pipe. Without it, what failed was entering the namespace. */
  if (!g_unix_open_pipe (ready, FD_CLOEXEC, &error))
    g_error ("pipe: %s", error->message);
  g_subprocess_launcher_take_fd (launcher, ready[1], READY_FD);
  g_subprocess_launcher_setenv (launcher, IN_NETNS_ENV, "1", TRUE);
  g_subprocess_launcher_setenv (launcher, READY_FD_ENV, G_STRINGIFY (READY_FD), TRUE);
  inner = g_subprocess_launcher_spawnv (launcher, (const char *const *) args->pdata, &error);
  /* Drops our copy of the write end, so the read sees end of file when
   * the inner run closes its copy or dies. */
  g_clear_object (&launcher);
  if (inner == NULL)
    {
      g_print ("Bail out! Could not run unshare to make a private network namespace: %s\n", error->message);
      close (ready[0]);
      return EXIT_FAILURE;
    }
  do
    n = read (ready[0], &byte, 1);
  while (n < 0 && errno == EINTR);
  close (ready[0]);
  g_subprocess_wait (inner, NULL, NULL);
  reap_orphans ();
  if (n != 1)
    {
      /* Plain ASCII: TAP readers and any locale can take it. */
      g_print ("Bail out! Could not enter a private network namespace with "
               "'unshare --net --map-root-user sh -c \"ip link set lo up && ...\"' (%s %d); "
               "see its error on stderr. This test needs user namespaces.\n",
               g_subprocess_get_if_signaled (inner) ? "killed by signal" : "exit status",
               g_subprocess_get_if_signaled (inner) ? g_subprocess_get_term_sig (inner)
                                                     : g_subprocess_get_exit_status (inner));
      return EXIT_FAILURE;
    }
  if (g_subprocess_get_if_signaled (inner))
    return 128 + g_subprocess_get_term_sig (inner);
  return g_subprocess_get_exit_status (inner);
}

/* Tells the outer run that the namespace works. */
static void
signal_ready (void)
{
  const char *fd_string = g_getenv (READY_FD_ENV);
  int fd = fd_string ? atoi (fd_string) : -1;

  if (fd >= 0)
    {
      g_assert_cmpint (write (fd, "1", 1), ==, 1);
      close (fd);
    }
  g_unsetenv (READY_FD_ENV);
}

int
main (int argc, char **argv)
{
  if (g_getenv (IN_NETNS_ENV) == NULL)
    return run_in_netns (argc, argv);
  /* Typing at a client that died must fail the test with a message, not
   * kill it silently. */
  signal (SIGPIPE, SIG_IGN);
  g_test_init (&argc, &argv, NULL);
  signal_ready ();
  g_test_add_func ("/tea/legacy/seed-client", test_seed_client);
  return g_test_run ();
}
