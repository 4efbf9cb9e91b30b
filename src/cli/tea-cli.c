/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>
#include <stdlib.h>

#include "tea-cli.h"
#include "tea-code.h"
#include "tea-names.h"

/* Lines waiting for the connection: a pipe may deliver all of its input
 * before the first room is joined. */
#define MAX_PENDING_LINES 10000

struct _TeaCli
{
  TeaClient *client;
  GDataInputStream *input;
  GOutputStream *output;
  GMainLoop *loop;
  GCancellable *cancellable;
  char *room;             /* the current room */
  GQueue pending_lines;   /* char *, before the room is joined */
  gboolean joining;       /* the first room's JOIN is not answered yet */
  gboolean rejoining;     /* reconnected; the current room not back yet */
  char *wanted_room;      /* asked for by /join: becomes current when joined */
  GHashTable *in_flight;  /* req ids we wait for before quitting at EOF */
  gboolean input_done;
  gboolean quit_sent;
  int status;
};

static void read_next_line (TeaCli *cli);

static void
print_line (TeaCli *cli, const char *line)
{
  g_autoptr (GString) safe = g_string_new (NULL);

  /* Names and text were checked by the relay, but a terminal must never
   * see a control character from the network (nor a bidi override that
   * reorders what follows): show them as U+FFFD. Continuation lines of a
   * multi-line message are indented, so text cannot pass itself off as
   * a line of its own ("12:00:00 <someone> ..."). */
  for (const char *p = line; *p; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (c == '\n')
        g_string_append (safe, "\n         ");
      else if ((c < 0x20 && c != '\t') || (c >= 0x7f && c <= 0x9f) ||
               (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069))
        g_string_append_unichar (safe, 0xfffd);
      else
        g_string_append_unichar (safe, c);
    }
  g_string_append_c (safe, '\n');
  g_output_stream_write_all (cli->output, safe->str, safe->len, NULL, NULL, NULL);
}

static void G_GNUC_PRINTF (2, 3)
print_notice (TeaCli *cli, const char *format, ...)
{
  g_autofree char *text = NULL;
  g_autofree char *line = NULL;
  g_autoptr (GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *stamp = g_date_time_format (now, "%H:%M:%S");
  va_list args;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);
  line = g_strdup_printf ("%s -!- %s", stamp, text);
  print_line (cli, line);
}

static char *
timestamp (guint64 time_ms)
{
  g_autoptr (GDateTime) utc = g_date_time_new_from_unix_utc (time_ms / 1000);
  g_autoptr (GDateTime) local = utc ? g_date_time_to_local (utc) : g_date_time_new_now_local ();

  return g_date_time_format (local, "%H:%M:%S");
}

char *
tea_cli_format_event (const char *room, gboolean show_room, const TeaEvent *event)
{
  g_autofree char *stamp = timestamp (event->time_ms);
  g_autofree char *prefix = show_room ? g_strdup_printf ("%s [%s]", stamp, room) : g_strdup (stamp);
  g_autofree char *nick = tea_str_dup (event->nick);
  g_autofree char *text = tea_str_dup (event->text);
  g_autofree char *notice = NULL;

  switch (event->kind)
    {
    case TEA_EVENT_MESSAGE:
      return g_strdup_printf ("%s <%s> %s", prefix, nick, text);
    case TEA_EVENT_ACTION:
      return g_strdup_printf ("%s * %s %s", prefix, nick, text);
    case TEA_EVENT_EDIT:
      /* Translators: marks a message its author corrected */
      return g_strdup_printf ("%s <%s> %s %s", prefix, nick, _("(edited)"), text);
    case TEA_EVENT_DELETE:
      return g_strdup_printf ("%s -!- %s", prefix, _("A message was deleted"));
    default:
      notice = tea_event_describe (event);
      return g_strdup_printf ("%s -!- %s", prefix, notice ? notice : "");
    }
}

static gboolean
in_several_rooms (TeaCli *cli)
{
  g_auto (GStrv) rooms = tea_client_dup_rooms (cli->client);
  return g_strv_length (rooms) > 1;
}

static void
on_event (TeaClient *client, const char *room, gpointer event_ptr, gpointer user_data)
{
  TeaCli *cli = user_data;
  const TeaEvent *event = event_ptr;
  gboolean current = cli->room && g_strcmp0 (room, cli->room) == 0;
  g_autofree char *line = tea_cli_format_event (room, !current || in_several_rooms (cli), event);

  print_line (cli, line);
  /* After our own PART, lines go to another room we are in, if any. */
  if (current && event->kind == TEA_EVENT_PART &&
      tea_names_equal (event->nick.str, event->nick.len, tea_client_get_nick (client), -1))
    {
      g_auto (GStrv) rooms = tea_client_dup_rooms (client);

      g_clear_pointer (&cli->room, g_free);
      for (guint i = 0; rooms[i]; i++)
        if (!tea_names_equal (rooms[i], -1, room, -1))
          cli->room = g_strdup (rooms[i]);
    }
}

static void
on_gap (TeaClient *client, const char *room, guint64 first, guint64 last, guint reason, gpointer user_data)
{
  TeaCli *cli = user_data;
  g_autofree char *text = tea_gap_describe (first, last, reason);

  print_notice (cli, "[%s] %s", room, text);
}

static void
print_names (TeaCli *cli, const TeaMessage *msg)
{
  g_autoptr (GString) names = g_string_new (NULL);
  TeaReader r;
  TeaStr nick;
  guint8 flags;

  tea_reader_init (&r, msg->list.entries, msg->list.entries_len);
  while (tea_names_entry_next (&r, &nick, &flags))
    {
      if (names->len)
        g_string_append_c (names, ' ');
      g_string_append_len (names, nick.str, nick.len);
      if (flags & TEA_MEMBER_FLAG_UNENCRYPTED)
        /* Translators: after a nickname: this member's client does not encrypt */
        g_string_append_printf (names, " %s", _("(unencrypted)"));
    }
  /* Translators: followed by the list of nicknames in the room */
  print_notice (cli, _("In the room: %s"), names->str);
}

static void
print_rooms (TeaCli *cli, const TeaMessage *msg)
{
  TeaReader r;
  TeaStr room, topic;
  guint32 members;

  tea_reader_init (&r, msg->list.entries, msg->list.entries_len);
  while (tea_rooms_entry_next (&r, &room, &members, &topic))
    {
      g_autofree char *name = tea_str_dup (room);
      g_autofree char *text = tea_str_dup (topic);
      g_autofree char *count = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u member", "%u members", members), members);

      /* Translators: a room's name, its member count ("3 members"), its topic */
      print_notice (cli, _("%s (%s) %s"), name, count, text);
    }
}

static void
send_line (TeaCli *cli, const char *line);

/* Lines wait (in order, commands too) until the first room is joined, and
 * while the connection is down until the room is rejoined: sent before,
 * they would be lost. */
static gboolean
can_send_now (TeaCli *cli)
{
  return !cli->joining && !cli->rejoining && tea_client_get_state (cli->client) == TEA_CLIENT_STATE_CONNECTED;
}

static void
flush_pending_lines (TeaCli *cli)
{
  char *line;

  while (can_send_now (cli) && (line = g_queue_pop_head (&cli->pending_lines)))
    {
      send_line (cli, line);
      g_free (line);
    }
}

static void
maybe_finish (TeaCli *cli)
{
  if (!cli->input_done || cli->quit_sent || g_queue_get_length (&cli->pending_lines) > 0 ||
      g_hash_table_size (cli->in_flight) > 0)
    return;
  cli->quit_sent = TRUE;
  tea_client_disconnect (cli->client, NULL);
}

static void
on_message (TeaClient *client, gpointer msg_ptr, gpointer user_data)
{
  TeaCli *cli = user_data;
  const TeaMessage *msg = msg_ptr;
  g_autofree char *detail = NULL;
  g_autofree char *from = NULL;
  g_autofree char *text = NULL;

  switch (msg->type)
    {
    case TEA_MSG_ERROR:
      detail = tea_str_dup (msg->error.detail);
      if (*detail)
        /* Translators: an error sentence, then what it is about (e.g. a nickname) */
        print_notice (cli, C_("error and what it is about", "%s: %s"), tea_code_describe (msg->error.code), detail);
      else
        print_notice (cli, "%s", tea_code_describe (msg->error.code));
      /* Perhaps the answer to our rejoin: either way, stop holding lines
       * for it (they will be refused, visibly, rather than wait forever). */
      cli->rejoining = FALSE;
      if (cli->joining && !tea_client_in_room (cli->client, cli->room))
        {
          /* The room could not be joined: what was typed for it goes nowhere. */
          cli->joining = FALSE;
          g_queue_clear_full (&cli->pending_lines, g_free);
          g_clear_pointer (&cli->room, g_free);
        }
      break;
    case TEA_MSG_JOINED:
      {
        g_autofree char *name = tea_str_dup (msg->joined.room);

        /* The room asked for becomes current; rooms rejoined after a
         * reconnection leave the current one as it is. */
        if (cli->joining || (cli->wanted_room && tea_names_equal (name, -1, cli->wanted_room, -1)))
          {
            g_free (cli->room);
            cli->room = g_strdup (name);
            g_clear_pointer (&cli->wanted_room, g_free);
          }
        if (cli->room && tea_names_equal (name, -1, cli->room, -1))
          cli->rejoining = FALSE;
        cli->joining = FALSE;
        text = tea_str_dup (msg->joined.topic);
        if (*text)
          print_notice (cli, _("Topic of %s: %s"), name, text);
      }
      break;
    case TEA_MSG_NAMES_REPLY:
      print_names (cli, msg);
      break;
    case TEA_MSG_ROOMS_REPLY:
      print_rooms (cli, msg);
      break;
    case TEA_MSG_PRIVATE:
      {
        g_autofree char *stamp = timestamp (msg->private_msg.time_ms);
        g_autofree char *line = NULL;

        from = tea_str_dup (msg->private_msg.from);
        text = tea_str_dup (msg->private_msg.text);
        line = g_strdup_printf ("%s *%s* %s", stamp, from, text);
        print_line (cli, line);
      }
      break;
    case TEA_MSG_NOTICE:
      print_notice (cli, "%s", tea_code_describe (msg->notice.code));
      break;
    default:
      break;
    }
  g_hash_table_remove (cli->in_flight, GUINT_TO_POINTER (msg->req_id));
  flush_pending_lines (cli);
  maybe_finish (cli);
}

static void
on_server_key (TeaClient *client, const char *fingerprint, gboolean first_time, gpointer user_data)
{
  g_autofree char *text = NULL;

  if (first_time)
    /* Translators: %s is a host, %u a port, the last %s a key fingerprint */
    text = g_strdup_printf (_("The server %s port %u is new to this computer. Its key is %s; it has been "
                              "remembered, and a different key will be refused."),
                            tea_client_get_host (client), tea_client_get_port (client), fingerprint);
  else
    text = g_strdup_printf (_("The new key %s of server %s port %u has been accepted and remembered."),
                            fingerprint, tea_client_get_host (client), tea_client_get_port (client));
  g_printerr ("%s\n", text);
}

static void
on_state (GObject *object, GParamSpec *pspec, gpointer user_data)
{
  TeaCli *cli = user_data;
  TeaClient *client = TEA_CLIENT (object);
  const GError *error = tea_client_get_error (client);

  switch (tea_client_get_state (client))
    {
    case TEA_CLIENT_STATE_CONNECTED:
      /* Translators: %s is the server's address */
      print_notice (cli, _("Connected to %s"), tea_client_get_host (client));
      flush_pending_lines (cli);
      break;
    case TEA_CLIENT_STATE_RECONNECTING:
      if (error)
        print_notice (cli, _("Connection lost (%s); reconnecting…"), error->message);
      else
        print_notice (cli, "%s", _("Connection lost; reconnecting…"));
      /* Answers to what was in flight will not come: the room's catch-up
       * shows what arrived. */
      if (g_hash_table_size (cli->in_flight) > 0)
        print_notice (cli, "%s", _("What you sent just before may not have arrived; it shows in the room if it did"));
      g_hash_table_remove_all (cli->in_flight);
      cli->rejoining = cli->room != NULL;
      break;
    case TEA_CLIENT_STATE_FAILED:
      g_printerr ("teahouse-cli: %s\n", error ? error->message : _("Connection failed"));
      if (error && error->code == TEA_CLIENT_ERROR_KEY_CHANGED)
        g_printerr ("%s\n", _("If you trust the new key, run again with --accept-new-key."));
      cli->status = EXIT_FAILURE;
      g_main_loop_quit (cli->loop);
      break;
    case TEA_CLIENT_STATE_DISCONNECTED:
      g_main_loop_quit (cli->loop);
      break;
    case TEA_CLIENT_STATE_CONNECTING:
      break;
    }
}

static void
track (TeaCli *cli, guint32 req_id)
{
  if (req_id)
    g_hash_table_add (cli->in_flight, GUINT_TO_POINTER (req_id));
}

/* Splits "/cmd rest" into the command and the rest (possibly empty). */
static char *
split_command (const char *line, const char **rest)
{
  const char *space = strchr (line, ' ');

  *rest = space ? space + 1 : "";
  while (**rest == ' ')
    (*rest)++;
  return space ? g_strndup (line + 1, space - line - 1) : g_strdup (line + 1);
}

static void
print_help (TeaCli *cli)
{
  print_notice (cli, "%s", _("Commands: /join ROOM, /part [REASON], /nick NAME, /msg NICK TEXT, "
                             "/me ACTION, /topic [TEXT], /names, /list, /quit [REASON]"));
}

static void
run_command (TeaCli *cli, const char *line)
{
  const char *rest;
  g_autofree char *command = split_command (line, &rest);
  const char *room = cli->room;

  if (g_str_equal (command, "join") && *rest)
    {
      g_free (cli->wanted_room);
      cli->wanted_room = g_strdup (rest);
      track (cli, tea_client_join (cli->client, rest, 0));
    }
  else if (g_str_equal (command, "part") && room)
    track (cli, tea_client_part (cli->client, room, rest));
  else if (g_str_equal (command, "nick") && *rest)
    track (cli, tea_client_change_nick (cli->client, rest));
  else if (g_str_equal (command, "msg") && strchr (rest, ' '))
    {
      g_autofree char *nick = g_strndup (rest, strchr (rest, ' ') - rest);
      track (cli, tea_client_privmsg (cli->client, nick, strchr (rest, ' ') + 1, TEA_TEXT_KIND_MESSAGE));
    }
  else if (g_str_equal (command, "me") && *rest && room)
    track (cli, tea_client_say (cli->client, room, rest, TEA_TEXT_KIND_ACTION));
  else if (g_str_equal (command, "topic") && room)
    track (cli, tea_client_set_topic (cli->client, room, rest));
  else if (g_str_equal (command, "names") && room)
    track (cli, tea_client_names (cli->client, room));
  else if (g_str_equal (command, "list"))
    track (cli, tea_client_list (cli->client));
  else if (g_str_equal (command, "help"))
    print_help (cli);
  else if (g_str_equal (command, "quit"))
    {
      cli->quit_sent = TRUE;
      tea_client_disconnect (cli->client, rest);
    }
  else
    print_help (cli);
}

static void
send_line (TeaCli *cli, const char *line)
{
  if (line[0] == '/' && line[1] != '/')
    run_command (cli, line);
  else if (cli->room)
    {
      guint32 req = tea_client_say (cli->client, cli->room, line[0] == '/' ? line + 1 : line, TEA_TEXT_KIND_MESSAGE);

      if (req == 0)
        print_notice (cli, "%s", _("Not sent: not connected to that room right now"));
      track (cli, req);
    }
  else
    print_notice (cli, "%s", _("Join a room first: /join ROOM"));
}

static void
on_line (GObject *source, GAsyncResult *result, gpointer user_data)
{
  TeaCli *cli = user_data;
  g_autoptr (GError) error = NULL;
  gsize len;
  g_autofree char *line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (source), result, &len, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (line == NULL)
    {
      if (error)
        print_notice (cli, _("Cannot read input: %s"), error->message);
      cli->input_done = TRUE;
      maybe_finish (cli);
      return;
    }
  g_strchomp (line);
  if (*line && can_send_now (cli) && g_queue_is_empty (&cli->pending_lines))
    send_line (cli, line);
  else if (*line && g_queue_get_length (&cli->pending_lines) < MAX_PENDING_LINES)
    g_queue_push_tail (&cli->pending_lines, g_steal_pointer (&line));
  read_next_line (cli);
}

static void
read_next_line (TeaCli *cli)
{
  g_data_input_stream_read_line_async (cli->input, G_PRIORITY_DEFAULT, cli->cancellable, on_line, cli);
}

TeaCli *
tea_cli_new (TeaClient *client, const char *room, GInputStream *input, GOutputStream *output)
{
  TeaCli *cli = g_new0 (TeaCli, 1);

  cli->client = g_object_ref (client);
  cli->input = g_data_input_stream_new (input);
  cli->output = g_object_ref (output);
  cli->loop = g_main_loop_new (NULL, FALSE);
  cli->cancellable = g_cancellable_new ();
  cli->in_flight = g_hash_table_new (NULL, NULL);
  cli->room = g_strdup (room);
  cli->joining = room != NULL;
  g_queue_init (&cli->pending_lines);
  if (room)
    tea_client_join (client, room, 20);
  g_signal_connect (client, "event", G_CALLBACK (on_event), cli);
  g_signal_connect (client, "gap", G_CALLBACK (on_gap), cli);
  g_signal_connect (client, "message", G_CALLBACK (on_message), cli);
  g_signal_connect (client, "server-key", G_CALLBACK (on_server_key), cli);
  g_signal_connect (client, "notify::state", G_CALLBACK (on_state), cli);
  return cli;
}

void
tea_cli_free (TeaCli *cli)
{
  g_cancellable_cancel (cli->cancellable);
  g_signal_handlers_disconnect_by_data (cli->client, cli);
  g_object_unref (cli->client);
  g_object_unref (cli->input);
  g_object_unref (cli->output);
  g_object_unref (cli->cancellable);
  g_main_loop_unref (cli->loop);
  g_hash_table_unref (cli->in_flight);
  g_queue_clear_full (&cli->pending_lines, g_free);
  g_free (cli->room);
  g_free (cli->wanted_room);
  g_free (cli);
}

int
tea_cli_run (TeaCli *cli)
{
  tea_client_watch_network (cli->client);
  tea_client_connect (cli->client);
  read_next_line (cli);
  g_main_loop_run (cli->loop);
  return cli->status;
}
