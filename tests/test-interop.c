/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * docs/PROTOCOL.md is meant to be enough to write a compatible client. A
 * Python client was written from the document alone (tests/interop); here
 * it recomputes the document's examples and chats with our client through
 * our relay, also through 20% loss.
 */
#include <string.h>

#include "tea-test-util.h"

typedef struct
{
  GSubprocess *process;
  GDataInputStream *out;
  GOutputStream *in;
  GPtrArray *lines;
  gboolean eof;
  gboolean exited;
} Python;

static const char *
script_path (void)
{
  const char *path = g_getenv ("TEA_INTEROP_CLIENT");
  g_assert_nonnull (path);
  return path;
}

static void read_line (Python *py);

static void
on_line (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Python *py = user_data;
  char *line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (source), result, NULL, NULL);

  if (line == NULL)
    {
      py->eof = TRUE;
      return;
    }
  g_ptr_array_add (py->lines, line);
  read_line (py);
}

static void
read_line (Python *py)
{
  g_data_input_stream_read_line_async (py->out, G_PRIORITY_DEFAULT, NULL, on_line, py);
}

static void
on_python_exit (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Python *py = user_data;

  g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);
  py->exited = TRUE;
}

static Python *
python_start (const char *const *args)
{
  Python *py = g_new0 (Python, 1);
  g_autoptr (GError) error = NULL;

  py->process = g_subprocess_newv (args, G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error);
  g_assert_no_error (error);
  py->out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (py->process));
  py->in = g_subprocess_get_stdin_pipe (py->process);
  py->lines = g_ptr_array_new_with_free_func (g_free);
  read_line (py);
  g_subprocess_wait_async (py->process, NULL, on_python_exit, py);
  return py;
}

static gboolean
exited (gpointer user_data)
{
  return ((Python *) user_data)->exited;
}

static void
python_free (Python *py)
{
  if (!py->exited)
    {
      g_subprocess_force_exit (py->process);
      tea_test_wait (exited, py, 5000);
    }
  g_object_unref (py->process);
  g_object_unref (py->out);
  g_ptr_array_unref (py->lines);
  g_free (py);
}

static void
python_say (Python *py, const char *line)
{
  g_autofree char *with_newline = g_strconcat (line, "\n", NULL);
  g_assert_true (g_output_stream_write_all (py->in, with_newline, strlen (with_newline), NULL, NULL, NULL));
}

typedef struct
{
  Python *py;
  const char *needle;
} Seen;

static gboolean
python_saw (gpointer user_data)
{
  Seen *s = user_data;

  for (guint i = 0; i < s->py->lines->len; i++)
    if (strstr (s->py->lines->pdata[i], s->needle))
      return TRUE;
  return FALSE;
}

static void
python_wait_for (Python *py, const char *needle)
{
  Seen s = { py, needle };

  if (!tea_test_wait (python_saw, &s, 40000))
    {
      for (guint i = 0; i < py->lines->len; i++)
        g_printerr ("python: %s\n", (char *) py->lines->pdata[i]);
      g_error ("the Python client never printed %s", needle);
    }
}

static void
test_examples (void)
{
  g_autofree char *doc = g_test_build_filename (G_TEST_DIST, "..", "docs", "PROTOCOL.md", NULL);
  const char *args[] = { "/usr/bin/python3", script_path (), "--verify-examples", "--doc", doc, NULL };
  Python *py = python_start (args);

  g_assert_true (tea_test_wait (exited, py, 30000));
  g_assert_true (g_subprocess_get_if_exited (py->process));
  g_assert_cmpint (g_subprocess_get_exit_status (py->process), ==, 0);
  python_free (py);
}

static void
chat_with_python (const char *drop_rate)
{
  g_autoptr (TeaTestRelay) relay = tea_test_relay_new (NULL);
  g_autoptr (TeaTestPeer) bob = tea_test_peer_new (relay->port, "bob");
  g_autofree char *server = g_strdup_printf ("127.0.0.1:%u", relay->port);
  g_autofree char *long_text = g_strnfill (2500, 'z');
  g_autofree char *long_line = g_strconcat ("say ", long_text, NULL);
  /* 30 s to connect: at 20 % loss each way a handshake packet and its
   * answer both arrive only 64 % of the time, and 10 s of backoff is five
   * tries (a 1-in-200 failure). */
  const char *args[] = { "/usr/bin/python3", script_path (), "--server", server, "--nick", "py",
                         "--room", "lobby", "--drop-rate", drop_rate, "--timeout", "30", NULL };
  Python *py;

  tea_test_peer_connect (bob, "lobby");
  py = python_start (args);
  python_wait_for (py, "\"type\": \"joined\"");

  python_say (py, "say hello from python");
  python_say (py, "me waves");
  python_say (py, long_line);
  tea_test_peer_wait_count (bob, "MESSAGE", "hello from python", 1);
  tea_test_peer_wait_count (bob, "ACTION", "waves", 1);
  tea_test_peer_wait_count (bob, "MESSAGE", long_text, 1);

  tea_client_say (bob->client, "lobby", "hi python", TEA_TEXT_KIND_MESSAGE);
  tea_client_say (bob->client, "lobby", long_text, TEA_TEXT_KIND_MESSAGE);
  tea_client_privmsg (bob->client, "py", "a secret", TEA_TEXT_KIND_MESSAGE);
  python_wait_for (py, "hi python");
  python_wait_for (py, long_text);
  python_wait_for (py, "a secret");

  python_say (py, "quit");
  tea_test_peer_wait_count (bob, "QUIT", "py", 1);
  g_assert_true (tea_test_wait (exited, py, 20000));
  g_assert_true (g_subprocess_get_if_exited (py->process));
  g_assert_cmpint (g_subprocess_get_exit_status (py->process), ==, 0);
  python_free (py);
}

static void
test_chat (void)
{
  chat_with_python ("0");
}

static void
test_chat_lossy (void)
{
  chat_with_python ("0.2");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/tea/interop/examples", test_examples);
  g_test_add_func ("/tea/interop/chat", test_chat);
  g_test_add_func ("/tea/interop/chat-lossy", test_chat_lossy);
  return g_test_run ();
}
