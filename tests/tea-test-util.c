/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <string.h>

#include "tea-noise.h"
#include "tea-test-util.h"

gboolean
tea_test_wait (gboolean (*cond) (gpointer user_data), gpointer user_data, guint timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  while (!cond (user_data))
    {
      if (g_get_monotonic_time () >= deadline)
        return FALSE;
      /* Non-blocking when something is ready; otherwise wake at least every
       * 10 ms to look at the clock. */
      if (!g_main_context_iteration (NULL, FALSE))
        g_usleep (1000);
    }
  return TRUE;
}

static gboolean
never (gpointer user_data)
{
  return FALSE;
}

void
tea_test_run_for (guint ms)
{
  tea_test_wait (never, NULL, ms);
}

static void
relay_listen (TeaTestRelay *t, guint16 port)
{
  g_autoptr (GError) error = NULL;

  t->relay = tea_relay_new (&t->config, &t->key, g_get_monotonic_time ());
  t->listener = tea_listener_new (t->relay);
  g_assert_true (tea_listener_listen (t->listener, "127.0.0.1", port, &error));
  g_assert_no_error (error);
  t->port = tea_listener_get_port (t->listener);
}

TeaTestRelay *
tea_test_relay_new (const TeaRelayConfig *config)
{
  TeaTestRelay *t = g_new0 (TeaTestRelay, 1);

  if (config)
    tea_relay_config_copy (&t->config, config);
  else
    tea_relay_config_init (&t->config);
  tea_keypair_generate (&t->key);
  relay_listen (t, 0);
  return t;
}

void
tea_test_relay_stop (TeaTestRelay *t)
{
  g_clear_object (&t->listener);
  g_clear_object (&t->relay);
}

void
tea_test_relay_start_again (TeaTestRelay *t)
{
  g_assert_null (t->relay);
  relay_listen (t, t->port);
}

void
tea_test_relay_restart (TeaTestRelay *t)
{
  tea_test_relay_stop (t);
  tea_test_relay_start_again (t);
}

void
tea_test_relay_free (TeaTestRelay *t)
{
  tea_test_relay_stop (t);
  tea_relay_config_clear (&t->config);
  g_free (t);
}

static const char *
kind_name (guint8 kind)
{
  static const char *names[] = { "?", "MESSAGE", "ACTION", "JOIN", "PART", "QUIT", "TIMEOUT",
                                 "NICK", "TOPIC", "EDIT", "DELETE" };
  return kind < G_N_ELEMENTS (names) ? names[kind] : "?";
}

static void
on_event (TeaClient *client, const char *room, gpointer event_ptr, gpointer user_data)
{
  TeaTestPeer *peer = user_data;
  const TeaEvent *e = event_ptr;
  g_autofree char *nick = tea_str_dup (e->nick);
  g_autofree char *text = tea_str_dup (e->kind == TEA_EVENT_NICK ? e->new_nick : e->text);

  g_ptr_array_add (peer->events, g_strdup_printf ("%s %" G_GUINT64_FORMAT " %s %s %s%s", room, e->seq,
                                                  kind_name (e->kind), nick, text,
                                                  e->kind == TEA_EVENT_TIMEOUT ? (e->code == 102 ? "idle" : "other") : ""));
}

static void
on_gap (TeaClient *client, const char *room, guint64 first, guint64 last, guint reason, gpointer user_data)
{
  TeaTestPeer *peer = user_data;

  g_ptr_array_add (peer->messages, g_strdup_printf ("GAP %s %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT " %u",
                                                    room, first, last, reason));
}

static void
on_message (TeaClient *client, gpointer msg_ptr, gpointer user_data)
{
  TeaTestPeer *peer = user_data;
  const TeaMessage *m = msg_ptr;
  g_autofree char *a = NULL;
  g_autofree char *b = NULL;

  switch (m->type)
    {
    case TEA_MSG_ERROR:
      a = tea_str_dup (m->error.detail);
      g_array_append_val (peer->error_codes, m->error.code);
      g_ptr_array_add (peer->messages, g_strdup_printf ("ERROR %u %s %u", m->error.code, a, m->error.retry_after_ms));
      break;
    case TEA_MSG_OK:
      peer->n_said_ok++;
      g_ptr_array_add (peer->messages, g_strdup_printf ("OK %u %" G_GUINT64_FORMAT, m->req_id, m->ok.value));
      break;
    case TEA_MSG_PRIVATE:
      a = tea_str_dup (m->private_msg.from);
      b = tea_str_dup (m->private_msg.text);
      g_ptr_array_add (peer->messages, g_strdup_printf ("PRIVATE %s %s", a, b));
      break;
    case TEA_MSG_NOTICE:
      g_ptr_array_add (peer->messages, g_strdup_printf ("NOTICE %u", m->notice.code));
      break;
    case TEA_MSG_NAMES_REPLY:
      {
        g_autoptr (GString) s = g_string_new ("NAMES");
        TeaReader r;
        TeaStr nick;
        guint8 flags;

        tea_reader_init (&r, m->list.entries, m->list.entries_len);
        while (tea_names_entry_next (&r, &nick, &flags))
          g_string_append_printf (s, " %.*s%s", (int) nick.len, nick.str, flags ? "(u)" : "");
        g_ptr_array_add (peer->messages, g_string_free (g_steal_pointer (&s), FALSE));
      }
      break;
    case TEA_MSG_ROOMS_REPLY:
      g_ptr_array_add (peer->messages, g_strdup_printf ("ROOMS %u", m->list.count));
      break;
    case TEA_MSG_JOINED:
      a = tea_str_dup (m->joined.room);
      b = tea_str_dup (m->joined.topic);
      g_ptr_array_add (peer->messages, g_strdup_printf ("JOINED %s %s", a, b));
      break;
    default:
      break;
    }
}

TeaTestPeer *
tea_test_peer_new (guint16 port, const char *nick)
{
  TeaTestPeer *peer = g_new0 (TeaTestPeer, 1);

  peer->client = tea_client_new ("127.0.0.1", port, nick);
  peer->events = g_ptr_array_new_with_free_func (g_free);
  peer->messages = g_ptr_array_new_with_free_func (g_free);
  peer->error_codes = g_array_new (FALSE, FALSE, sizeof (guint16));
  g_signal_connect (peer->client, "event", G_CALLBACK (on_event), peer);
  g_signal_connect (peer->client, "gap", G_CALLBACK (on_gap), peer);
  g_signal_connect (peer->client, "message", G_CALLBACK (on_message), peer);
  return peer;
}

void
tea_test_peer_free (TeaTestPeer *peer)
{
  g_signal_handlers_disconnect_by_data (peer->client, peer);
  g_object_unref (peer->client);
  g_ptr_array_unref (peer->events);
  g_ptr_array_unref (peer->messages);
  g_array_unref (peer->error_codes);
  g_free (peer);
}

gboolean
tea_test_peer_is_connected (gpointer peer)
{
  return tea_client_get_state (((TeaTestPeer *) peer)->client) == TEA_CLIENT_STATE_CONNECTED;
}

typedef struct
{
  TeaTestPeer *peer;
  const char *room;
} JoinWait;

static gboolean
joined (gpointer user_data)
{
  JoinWait *w = user_data;
  return tea_client_in_room (w->peer->client, w->room);
}

void
tea_test_peer_connect (TeaTestPeer *peer, const char *room)
{
  JoinWait w = { peer, room };

  if (room)
    tea_client_join (peer->client, room, 0);
  tea_client_connect (peer->client);
  g_assert_true (tea_test_wait (tea_test_peer_is_connected, peer, 10000));
  if (room)
    g_assert_true (tea_test_wait (joined, &w, 10000));
}

static gboolean
line_matches (const char *line, const char *kind, const char *text)
{
  g_auto (GStrv) fields = g_strsplit (line, " ", 5);

  if (g_strv_length (fields) < 4)
    return FALSE;
  return (kind == NULL || g_str_equal (fields[2], kind)) &&
         (text == NULL || strstr (line + strlen (fields[0]) + strlen (fields[1]) + strlen (fields[2]) + 3, text));
}

guint
tea_test_peer_count (TeaTestPeer *peer, const char *kind, const char *text)
{
  guint n = 0;

  for (guint i = 0; i < peer->events->len; i++)
    if (line_matches (peer->events->pdata[i], kind, text))
      n++;
  return n;
}

typedef struct
{
  TeaTestPeer *peer;
  const char *kind;
  const char *text;
  guint n;
  guint16 code;
} CountWait;

static gboolean
count_reached (gpointer user_data)
{
  CountWait *w = user_data;
  return tea_test_peer_count (w->peer, w->kind, w->text) >= w->n;
}

void
tea_test_peer_wait_count (TeaTestPeer *peer, const char *kind, const char *text, guint n)
{
  CountWait w = { peer, kind, text, n, 0 };

  if (!tea_test_wait (count_reached, &w, 20000))
    g_error ("%s saw %u %s events with “%s”, expected %u",
             tea_client_get_nick (peer->client), tea_test_peer_count (peer, kind, text),
             kind ? kind : "any", text ? text : "", n);
}

static gboolean
error_seen (gpointer user_data)
{
  CountWait *w = user_data;

  for (guint i = 0; i < w->peer->error_codes->len; i++)
    if (g_array_index (w->peer->error_codes, guint16, i) == w->code)
      return TRUE;
  return FALSE;
}

void
tea_test_peer_wait_error (TeaTestPeer *peer, guint16 code)
{
  CountWait w = { peer, NULL, NULL, 0, code };

  if (!tea_test_wait (error_seen, &w, 10000))
    g_error ("%s never got error %u", tea_client_get_nick (peer->client), code);
}

gboolean
tea_test_peer_has_message (TeaTestPeer *peer, const char *prefix)
{
  for (guint i = 0; i < peer->messages->len; i++)
    if (g_str_has_prefix (peer->messages->pdata[i], prefix))
      return TRUE;
  return FALSE;
}

typedef struct
{
  TeaTestPeer *peer;
  const char *prefix;
} MessageWait;

static gboolean
message_seen (gpointer user_data)
{
  MessageWait *w = user_data;
  return tea_test_peer_has_message (w->peer, w->prefix);
}

void
tea_test_peer_wait_message (TeaTestPeer *peer, const char *prefix)
{
  MessageWait w = { peer, prefix };

  if (!tea_test_wait (message_seen, &w, 10000))
    g_error ("%s never got a message starting “%s”", tea_client_get_nick (peer->client), prefix);
}

GPtrArray *
tea_test_peer_chat_lines (TeaTestPeer *peer)
{
  GPtrArray *lines = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i < peer->events->len; i++)
    if (line_matches (peer->events->pdata[i], "MESSAGE", NULL) || line_matches (peer->events->pdata[i], "ACTION", NULL))
      g_ptr_array_add (lines, g_strdup (peer->events->pdata[i]));
  return lines;
}

/* $1 the directory, $2 the kind, $3 the seed file or "", then the program.
 * A full tmpfs is filled to the last block and checked to be so. */
static const char fs_script[] =
  "set -e\n"
  "dir=$1 kind=$2 seed=$3\n"
  "shift 3\n"
  "mount -t tmpfs -o size=16k,mode=0700 teahouse-test \"$dir\"\n"
  "if [ -n \"$seed\" ]; then cp \"$seed\" \"$dir/\"; fi\n"
  "case $kind in\n"
  "  read-only) mount -o remount,ro \"$dir\" ;;\n"
  "  full) cat /dev/zero > \"$dir/filler\" 2>/dev/null || true\n"
  "        [ \"$(df --output=avail \"$dir\" | tail -n 1)\" -eq 0 ] ;;\n"
  "esac\n"
  "printf 'teahouse-test: file system ready\\n' >&2\n"
  "exec \"$@\"\n";

GStrv
tea_test_fs_wrap (TeaTestFs kind, const char *dir, const char *seed_file, const char *const *argv)
{
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();
  const char *const prefix[] = { "unshare", "--user", "--map-root-user", "--mount", "sh", "-c", fs_script, "sh" };

  g_assert_true (g_file_test (dir, G_FILE_TEST_IS_DIR));
  for (guint i = 0; i < G_N_ELEMENTS (prefix); i++)
    g_strv_builder_add (builder, prefix[i]);
  g_strv_builder_add (builder, dir);
  g_strv_builder_add (builder, kind == TEA_TEST_FS_READ_ONLY ? "read-only" : "full");
  g_strv_builder_add (builder, seed_file ? seed_file : "");
  g_strv_builder_addv (builder, (const char **) argv);
  return g_strv_builder_end (builder);
}

void
tea_test_fs_assert_ready (const char *program_stderr)
{
  if (strstr (program_stderr, TEA_TEST_FS_READY) == NULL)
    g_error ("Could not give the program a read-only or full file system with "
             "'unshare --user --map-root-user --mount' and a tmpfs; this test needs user and "
             "mount namespaces (run as root, or enable unprivileged user namespaces). It said:\n%s",
             program_stderr);
}
