/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * tea-soak: one process holding many TeaClient sessions against a relay
 * (usually through tea-netem), for build-aux/soak and build-aux/run-valgrind.
 * Sessions join two rooms each, chat, roam to a new port, leave a room and
 * come back, and now and then quit or vanish without a word and are
 * replaced by a new session. Every message each member receives is
 * counted against what it should have received while it was in the room,
 * and every interval it prints delivered / expected, with the relay's
 * memory and CPU read from /proc.
 */
#include <gio/gio.h>
#include <glib-unix.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tea-client.h"
#include "tea-fd-limit.h"
#include "tea-names.h"

#define ROOMS_PER_SESSION 2
/* A message counts as settled, expected everywhere by now, after this. */
#define SETTLE_US (20 * G_USEC_PER_SEC)
#define DRAIN_TIMEOUT_US (120 * G_USEC_PER_SEC)

typedef struct
{
  gint64 first_seen; /* 0: not a message (or not seen yet) */
  guint32 receipts;  /* members that got it while in the room */
} Seq;

/* A room in one epoch: a room the relay forgot (all its members left)
 * and made again numbers its events from 1 again. */
typedef struct
{
  GArray *seqs;         /* Seq, indexed by seq */
  GPtrArray *members;   /* Membership, every one there ever was */
} Room;

typedef struct
{
  guint64 first;
  guint64 last;
} Range;

/* One stay of one session in one room: from its own JOIN to its PART, or
 * to the last event it got before it quit or vanished. */
typedef struct
{
  guint64 join_seq;
  guint64 end_seq;  /* exclusive; 0 while still there */
  guint64 last_seq; /* the latest event it got */
  GArray *gaps;     /* Range: what the relay said it could not send */
} Membership;

typedef struct _Soak Soak;

typedef struct
{
  Soak *soak;
  guint index;
  guint generation;
  char *nick;
  TeaClient *client;
  const char *room_names[ROOMS_PER_SESSION];
  Room *rooms[ROOMS_PER_SESSION];       /* in the epoch last JOINED, or NULL */
  Membership *stays[ROOMS_PER_SESSION]; /* open memberships, or NULL */
  GHashTable *echoes;                   /* own messages seen come back */
  GHashTable *pending;                  /* req_ids of SAYs not yet answered */
  gint64 next_say, next_roam, next_part, next_churn;
  gint64 rejoin_at;                     /* a room was left; back then */
  guint parted;                         /* ... that room */
  gint64 replace_at;                    /* gone; a new session then */
  gboolean connected_once;
} Session;

typedef struct
{
  guint64 expected;
  guint64 delivered;
  guint64 marked; /* in a gap the relay reported */
} Tally;

struct _Soak
{
  /* options */
  char *host;
  guint16 port;
  guint n_sessions;
  guint n_rooms;
  gint64 duration_us;
  double say_every_s, roam_every_s, part_every_s, churn_every_s;
  guint ramp_per_s;
  gint64 report_us;
  GPid relay_pid;
  guint32 seed;

  GRand *rand;
  GMainLoop *loop;
  char **room_names;
  GHashTable *rooms;    /* "name epoch" -> Room */
  Session *sessions;
  guint n_started;
  gint64 start, end, next_report;
  gboolean draining;
  gint64 drain_deadline;
  int status;

  /* counters */
  guint64 said, said_ok, said_refused, said_offline, said_abandoned;
  guint64 refused_by_code[128]; /* TeaCode of each refusal */
  guint64 reconnects, replaced, roams, parts, disorder, double_posts, gaps;
  gint64 last_cpu_ticks, last_cpu_at;
  gint64 self_cpu_ticks;
  /* Lateness: how long after its first member each member got a message
   * (the send time is not on the wire; the first receipt is close to it). */
  gint64 max_late_us;
  guint64 late_1s, late_5s;
};

/* ---- Accounting ---------------------------------------------------------- */

static Seq *
room_seq (Room *room, guint64 seq)
{
  if (seq >= room->seqs->len)
    g_array_set_size (room->seqs, MAX (seq + 1, room->seqs->len * 2));
  return &g_array_index (room->seqs, Seq, seq);
}

static void
membership_free (Membership *m)
{
  g_array_unref (m->gaps);
  g_free (m);
}

static void
room_free (Room *room)
{
  g_array_unref (room->seqs);
  g_ptr_array_unref (room->members);
  g_free (room);
}

static Room *
room_for (Soak *soak, const char *name, guint64 epoch)
{
  g_autofree char *key = g_strdup_printf ("%s %" G_GUINT64_FORMAT, name, epoch);
  Room *room = g_hash_table_lookup (soak->rooms, key);

  if (room == NULL)
    {
      room = g_new0 (Room, 1);
      room->seqs = g_array_new (FALSE, TRUE, sizeof (Seq));
      room->members = g_ptr_array_new_with_free_func ((GDestroyNotify) membership_free);
      g_hash_table_insert (soak->rooms, g_steal_pointer (&key), room);
    }
  return room;
}

static Membership *
membership_new (Room *room, guint64 join_seq)
{
  Membership *m = g_new0 (Membership, 1);

  m->join_seq = m->last_seq = join_seq;
  m->gaps = g_array_new (FALSE, FALSE, sizeof (Range));
  g_ptr_array_add (room->members, m);
  return m;
}

static gint
room_index (Session *s, const char *name)
{
  for (guint i = 0; i < ROOMS_PER_SESSION; i++)
    if (g_str_equal (s->room_names[i], name))
      return i;
  return -1;
}

/* It got everything up to its last event; nothing after is owed to it. */
static void
close_stays (Session *s)
{
  for (guint i = 0; i < ROOMS_PER_SESSION; i++)
    if (s->stays[i])
      {
        s->stays[i]->end_seq = s->stays[i]->last_seq + 1;
        s->stays[i] = NULL;
      }
}

static gboolean
is_self (Session *s, TeaStr nick)
{
  return tea_names_equal (nick.str, nick.len, s->nick, -1);
}

static void
on_event (TeaClient *client, const char *room_name, gpointer event_ptr, gpointer user_data)
{
  Session *s = user_data;
  const TeaEvent *e = event_ptr;
  gint r = room_index (s, room_name);
  Membership *m;

  if (r < 0 || s->rooms[r] == NULL)
    return;
  m = s->stays[r];
  if (e->kind == TEA_EVENT_JOIN && is_self (s, e->nick) && m == NULL)
    {
      s->stays[r] = membership_new (s->rooms[r], e->seq);
      return;
    }
  if (m == NULL)
    return;
  if (e->seq <= m->last_seq)
    {
      s->soak->disorder++; /* TeaClient promises never to */
      return;
    }
  m->last_seq = e->seq;
  if (e->kind == TEA_EVENT_MESSAGE)
    {
      Seq *seq = room_seq (s->rooms[r], e->seq);

      gint64 now = g_get_monotonic_time ();

      if (seq->first_seen == 0)
        seq->first_seen = now;
      seq->receipts++;
      s->soak->max_late_us = MAX (s->soak->max_late_us, now - seq->first_seen);
      s->soak->late_1s += now - seq->first_seen > G_USEC_PER_SEC;
      s->soak->late_5s += now - seq->first_seen > 5 * G_USEC_PER_SEC;
      if (is_self (s, e->nick))
        {
          g_autofree char *text = tea_str_dup (e->text);

          /* A message posted twice would come back twice. */
          if (!g_hash_table_add (s->echoes, g_steal_pointer (&text)))
            s->soak->double_posts++;
        }
    }
  else if (e->kind == TEA_EVENT_PART && is_self (s, e->nick))
    {
      m->end_seq = e->seq;
      s->stays[r] = NULL;
    }
}

static void
on_gap (TeaClient *client, const char *room_name, guint64 first, guint64 last, guint reason, gpointer user_data)
{
  Session *s = user_data;
  gint r = room_index (s, room_name);
  Range range = { first, last };

  s->soak->gaps++;
  if (r >= 0 && s->stays[r])
    g_array_append_val (s->stays[r]->gaps, range);
}

static void
on_message (TeaClient *client, gpointer msg_ptr, gpointer user_data)
{
  Session *s = user_data;
  const TeaMessage *m = msg_ptr;

  if (m->type == TEA_MSG_JOINED)
    {
      g_autofree char *name = tea_str_dup (m->joined.room);
      gint r = room_index (s, name);
      Room *room;

      if (r < 0)
        return;
      /* A new epoch: the stay in the old one ended with what it got. */
      room = room_for (s->soak, name, m->joined.epoch);
      if (s->rooms[r] != room && s->stays[r])
        {
          s->stays[r]->end_seq = s->stays[r]->last_seq + 1;
          s->stays[r] = NULL;
        }
      s->rooms[r] = room;
      return;
    }
  if ((m->type != TEA_MSG_OK && m->type != TEA_MSG_ERROR) ||
      !g_hash_table_remove (s->pending, GUINT_TO_POINTER (m->req_id)))
    return;
  if (m->type == TEA_MSG_OK)
    {
      s->soak->said_ok++;
      return;
    }
  s->soak->said_refused++;
  s->soak->refused_by_code[MIN (m->error.code, G_N_ELEMENTS (s->soak->refused_by_code) - 1)]++;
}

static void
on_state (GObject *object, GParamSpec *pspec, gpointer user_data)
{
  Session *s = user_data;
  TeaClientState state = tea_client_get_state (s->client);

  if (state == TEA_CLIENT_STATE_CONNECTED)
    s->connected_once = TRUE;
  else if (state == TEA_CLIENT_STATE_RECONNECTING)
    s->soak->reconnects++;
}

/* Messages first seen before `settled` (all if G_MAXINT64): what the
 * members were owed and what they got. */
static Tally
tally (Soak *soak, gint64 settled)
{
  Tally t = { 0 };
  g_autoptr (GArray) prefix = g_array_new (FALSE, TRUE, sizeof (guint64));
  GHashTableIter iter;
  Room *room;

  g_hash_table_iter_init (&iter, soak->rooms);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &room))
    {
      guint64 *p;
      guint64 top = room->seqs->len ? room->seqs->len - 1 : 0;

      /* p[s]: settled messages with seq <= s. */
      g_array_set_size (prefix, room->seqs->len + 1);
      p = (guint64 *) prefix->data;
      p[0] = 0;
      for (guint64 i = 1; i <= top; i++)
        {
          Seq *seq = &g_array_index (room->seqs, Seq, i);
          gboolean counts = seq->first_seen != 0 && seq->first_seen < settled;

          p[i] = p[i - 1] + counts;
          if (counts)
            t.delivered += seq->receipts;
        }
      for (guint i = 0; i < room->members->len; i++)
        {
          Membership *m = room->members->pdata[i];
          guint64 upper = m->end_seq ? MIN (m->end_seq - 1, top) : top;

          if (upper <= m->join_seq)
            continue;
          t.expected += p[upper] - p[m->join_seq];
          for (guint g = 0; g < m->gaps->len; g++)
            {
              Range *range = &g_array_index (m->gaps, Range, g);
              guint64 first = MAX (range->first, m->join_seq + 1);
              guint64 last = MIN (range->last, upper);

              if (first <= last)
                t.marked += p[last] - p[first - 1];
            }
        }
    }
  t.expected -= MIN (t.marked, t.expected);
  return t;
}

/* ---- /proc ----------------------------------------------------------------- */

/* user + system CPU time in clock ticks, -1 if the process is gone. */
static gint64
cpu_ticks (GPid pid)
{
  g_autofree char *path = pid ? g_strdup_printf ("/proc/%d/stat", pid) : g_strdup ("/proc/self/stat");
  g_autofree char *contents = NULL;
  g_auto (GStrv) fields = NULL;
  const char *after;

  if (!g_file_get_contents (path, &contents, NULL, NULL) || (after = strrchr (contents, ')')) == NULL)
    return -1;
  /* After "pid (comm)": state is field 3, utime 14 and stime 15. */
  fields = g_strsplit (after + 2, " ", 0);
  if (g_strv_length (fields) < 13)
    return -1;
  return g_ascii_strtoll (fields[11], NULL, 10) + g_ascii_strtoll (fields[12], NULL, 10);
}

/* Resident memory in KiB, 0 if unknown. */
static guint64
rss_kib (GPid pid)
{
  g_autofree char *path = pid ? g_strdup_printf ("/proc/%d/status", pid) : g_strdup ("/proc/self/status");
  g_autofree char *contents = NULL;
  const char *line;

  if (!g_file_get_contents (path, &contents, NULL, NULL) || (line = strstr (contents, "\nVmRSS:")) == NULL)
    return 0;
  return g_ascii_strtoull (line + strlen ("\nVmRSS:"), NULL, 10);
}

/* ---- Reports -------------------------------------------------------------- */

static void
report (Soak *soak, const char *label, gint64 settled)
{
  gint64 now = g_get_monotonic_time ();
  Tally settled_tally = tally (soak, settled);
  Tally all = tally (soak, G_MAXINT64);
  guint connected = 0, in_rooms = 0;
  long hz = sysconf (_SC_CLK_TCK);
  g_autoptr (GString) relay = g_string_new (NULL);
  g_autoptr (GString) refusals = g_string_new (NULL);
  gint64 self = cpu_ticks (0);

  for (guint i = 0; i < soak->n_started; i++)
    {
      Session *s = &soak->sessions[i];

      if (s->client && tea_client_get_state (s->client) == TEA_CLIENT_STATE_CONNECTED)
        connected++;
      for (guint r = 0; s->client && r < ROOMS_PER_SESSION; r++)
        in_rooms += s->stays[r] != NULL;
    }
  /* Refusals by code: 19 (not in the room) is a SAY that crossed the
   * session's own PART; anything else deserves a look. */
  for (guint code = 0; code < G_N_ELEMENTS (soak->refused_by_code); code++)
    if (soak->refused_by_code[code])
      g_string_append_printf (refusals, "%s%u: %" G_GUINT64_FORMAT, refusals->len ? ", " : " [code ",
                              code, soak->refused_by_code[code]);
  if (refusals->len)
    g_string_append_c (refusals, ']');
  if (soak->relay_pid)
    {
      gint64 ticks = cpu_ticks (soak->relay_pid);

      if (ticks < 0)
        g_string_append (relay, "; relay: gone");
      else
        {
          double interval = (now - soak->last_cpu_at) / 1e6;
          double cpu = interval > 0 ? 100.0 * (ticks - soak->last_cpu_ticks) / hz / interval : 0;

          g_string_append_printf (relay, "; relay RSS %.1f MiB, CPU %.1f%% (%.1f s in all)",
                                  rss_kib (soak->relay_pid) / 1024.0, cpu, (double) ticks / hz);
          soak->last_cpu_ticks = ticks;
        }
    }
  g_print ("[%s %5.1f min] sessions %u/%u up, %u room stays; said %" G_GUINT64_FORMAT
           " (ok %" G_GUINT64_FORMAT ", refused %" G_GUINT64_FORMAT "%s, offline %" G_GUINT64_FORMAT
           ", abandoned %" G_GUINT64_FORMAT ")"
           "; delivered/expected %" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT " settled, %" G_GUINT64_FORMAT
           "/%" G_GUINT64_FORMAT " all; gaps %" G_GUINT64_FORMAT " (%" G_GUINT64_FORMAT " marked)"
           "; out of order %" G_GUINT64_FORMAT ", posted twice %" G_GUINT64_FORMAT "; reconnects %" G_GUINT64_FORMAT ", replaced %" G_GUINT64_FORMAT
           ", roams %" G_GUINT64_FORMAT ", parts %" G_GUINT64_FORMAT
           "; late > 1 s %" G_GUINT64_FORMAT ", > 5 s %" G_GUINT64_FORMAT ", at most %.1f s"
           "%s; load CPU %.1f%%, RSS %.1f MiB\n",
           label, (now - soak->start) / 6e7, connected, soak->n_sessions, in_rooms,
           soak->said, soak->said_ok, soak->said_refused, refusals->str, soak->said_offline, soak->said_abandoned,
           settled_tally.delivered, settled_tally.expected, all.delivered, all.expected, soak->gaps, all.marked,
           soak->disorder, soak->double_posts, soak->reconnects, soak->replaced, soak->roams, soak->parts,
           soak->late_1s, soak->late_5s, soak->max_late_us / 1e6, relay->str,
           soak->last_cpu_at ? 100.0 * (self - soak->self_cpu_ticks) / hz / ((now - soak->last_cpu_at) / 1e6) : 0,
           rss_kib (0) / 1024.0);
  fflush (stdout);
  soak->self_cpu_ticks = self;
  soak->last_cpu_at = now;
}

/* ---- Sessions -------------------------------------------------------------- */

/* Uniform in [0.5, 1.5] x mean, from now; never if mean is 0. */
static gint64
next_time (Soak *soak, double mean_s)
{
  if (mean_s <= 0)
    return G_MAXINT64;
  return g_get_monotonic_time () + (gint64) (mean_s * g_rand_double_range (soak->rand, 0.5, 1.5) * G_USEC_PER_SEC);
}

static void
session_start (Session *s)
{
  Soak *soak = s->soak;

  g_free (s->nick);
  s->nick = s->generation ? g_strdup_printf ("s%04ug%u", s->index, s->generation) : g_strdup_printf ("s%04u", s->index);
  s->client = tea_client_new (soak->host, soak->port, s->nick);
  tea_client_set_connect_timeout (s->client, 120);
  g_signal_connect (s->client, "event", G_CALLBACK (on_event), s);
  g_signal_connect (s->client, "gap", G_CALLBACK (on_gap), s);
  g_signal_connect (s->client, "message", G_CALLBACK (on_message), s);
  g_signal_connect (s->client, "notify::state", G_CALLBACK (on_state), s);
  for (guint r = 0; r < ROOMS_PER_SESSION; r++)
    {
      tea_client_join (s->client, s->room_names[r], 0);
      s->rooms[r] = NULL;
    }
  tea_client_connect (s->client);
  s->echoes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  s->pending = g_hash_table_new (NULL, NULL);
  s->next_say = next_time (soak, soak->say_every_s);
  s->next_roam = next_time (soak, soak->roam_every_s);
  s->next_part = next_time (soak, soak->part_every_s);
  s->next_churn = next_time (soak, soak->churn_every_s);
  s->rejoin_at = s->replace_at = 0;
  s->connected_once = FALSE;
}

/* Quits (politely) or vanishes (as after a crash: the relay times it
 * out); either way a new session takes its place a little later. */
static void
session_end (Session *s, gboolean polite)
{
  close_stays (s);
  g_signal_handlers_disconnect_by_data (s->client, s);
  if (polite)
    tea_client_disconnect (s->client, "soak");
  g_clear_object (&s->client);
  g_clear_pointer (&s->echoes, g_hash_table_unref);
  /* Said on a session that is now gone: the user would see these as not
   * delivered (or delivered, if the relay had them: they count then). */
  s->soak->said_abandoned += g_hash_table_size (s->pending);
  g_clear_pointer (&s->pending, g_hash_table_unref);
}

static void
session_act (Session *s, gint64 now)
{
  Soak *soak = s->soak;
  gboolean up = tea_client_get_state (s->client) == TEA_CLIENT_STATE_CONNECTED;

  if (now >= s->next_say)
    {
      guint r = g_rand_int_range (soak->rand, 0, ROOMS_PER_SESSION);
      g_autofree char *text = g_strdup_printf ("%s says %" G_GUINT64_FORMAT, s->nick, soak->said);
      guint32 req = up && s->stays[r] ? tea_client_say (s->client, s->room_names[r], text, TEA_TEXT_KIND_MESSAGE) : 0;

      s->next_say = next_time (soak, soak->say_every_s);
      if (req)
        {
          soak->said++;
          g_hash_table_add (s->pending, GUINT_TO_POINTER (req));
        }
      else
        {
          soak->said_offline++;
        }
    }
  if (now >= s->next_roam)
    {
      s->next_roam = next_time (soak, soak->roam_every_s);
      if (up && tea_client_rebind (s->client, NULL))
        soak->roams++;
    }
  if (now >= s->next_part && s->rejoin_at == 0)
    {
      guint r = g_rand_int_range (soak->rand, 0, ROOMS_PER_SESSION);

      s->next_part = next_time (soak, soak->part_every_s);
      if (up && s->stays[r] && tea_client_part (s->client, s->room_names[r], "back soon"))
        {
          soak->parts++;
          s->parted = r;
          s->rejoin_at = now + g_rand_int_range (soak->rand, 2, 10) * G_USEC_PER_SEC;
        }
    }
  /* Back once the relay has confirmed the leaving (its PART event). */
  if (s->rejoin_at && now >= s->rejoin_at && up && s->stays[s->parted] == NULL &&
      !tea_client_in_room (s->client, s->room_names[s->parted]))
    {
      tea_client_join (s->client, s->room_names[s->parted], 0);
      s->rejoin_at = 0;
    }
  if (now >= s->next_churn && s->connected_once)
    {
      session_end (s, g_rand_boolean (soak->rand));
      s->replace_at = now + 5 * G_USEC_PER_SEC;
    }
}

static void
stop_all (Soak *soak)
{
  for (guint i = 0; i < soak->n_started; i++)
    if (soak->sessions[i].client)
      session_end (&soak->sessions[i], TRUE);
}

static gboolean
on_tick (gpointer user_data)
{
  Soak *soak = user_data;
  gint64 now = g_get_monotonic_time ();

  if (soak->draining)
    {
      Tally all = tally (soak, G_MAXINT64);

      if (all.delivered == all.expected || now >= soak->drain_deadline)
        {
          report (soak, "final", G_MAXINT64);
          soak->status = all.delivered == all.expected && soak->disorder == 0 && soak->double_posts == 0
                           ? EXIT_SUCCESS : EXIT_FAILURE;
          g_main_loop_quit (soak->loop);
          return G_SOURCE_REMOVE;
        }
      return G_SOURCE_CONTINUE;
    }
  while (soak->n_started < soak->n_sessions &&
         soak->n_started < (now - soak->start) * soak->ramp_per_s / G_USEC_PER_SEC + 1)
    session_start (&soak->sessions[soak->n_started++]);
  for (guint i = 0; i < soak->n_started; i++)
    {
      Session *s = &soak->sessions[i];

      if (s->client)
        session_act (s, now);
      else if (now >= s->replace_at)
        {
          s->generation++;
          soak->replaced++;
          session_start (s);
        }
    }
  if (now >= soak->next_report)
    {
      report (soak, "soak", now - SETTLE_US);
      soak->next_report += soak->report_us;
    }
  if (now >= soak->end)
    {
      /* Nothing new from now on; wait for what is on its way. */
      g_print ("[stop] no new messages; waiting for every member to have everything\n");
      soak->draining = TRUE;
      soak->drain_deadline = now + DRAIN_TIMEOUT_US;
    }
  return G_SOURCE_CONTINUE;
}

static gboolean
on_interrupt (gpointer user_data)
{
  Soak *soak = user_data;

  soak->end = g_get_monotonic_time ();
  return G_SOURCE_CONTINUE;
}

/* ---- main ------------------------------------------------------------------ */

int
main (int argc, char **argv)
{
  Soak soak = { .n_sessions = 1000, .say_every_s = 20, .roam_every_s = 300, .part_every_s = 300,
                .churn_every_s = 600, .ramp_per_s = 50, .seed = 1 };
  g_autofree char *server = NULL;
  gint sessions = 1000, rooms = 0, ramp = 50, relay_pid = 0, report_s = 60;
  double minutes = 10, seconds = 0;
  gint64 seed = 1;
  g_autoptr (GOptionContext) context = g_option_context_new ("— many chatting sessions against a relay");
  g_autoptr (GSocketConnectable) address = NULL;
  g_autoptr (GError) error = NULL;
  guint64 fd_limit;
  const GOptionEntry entries[] = {
    { "server", 's', 0, G_OPTION_ARG_STRING, &server, "The relay (or tea-netem in front of it)", "HOST:PORT" },
    { "sessions", 'n', 0, G_OPTION_ARG_INT, &sessions, "Sessions at once (default 1000)", "N" },
    { "rooms", 0, 0, G_OPTION_ARG_INT, &rooms, "Rooms (default: one per 20 sessions); each session is in 2", "N" },
    { "minutes", 'm', 0, G_OPTION_ARG_DOUBLE, &minutes, "How long to run (default 10)", "M" },
    { "seconds", 0, 0, G_OPTION_ARG_DOUBLE, &seconds, "How long to run, in seconds (instead of --minutes)", "S" },
    { "say-every", 0, 0, G_OPTION_ARG_DOUBLE, &soak.say_every_s, "Each session says something about this often (default 20 s)", "S" },
    { "roam-every", 0, 0, G_OPTION_ARG_DOUBLE, &soak.roam_every_s, "... moves to a new port (default 300 s; 0: never)", "S" },
    { "part-every", 0, 0, G_OPTION_ARG_DOUBLE, &soak.part_every_s, "... leaves a room and comes back (default 300 s; 0: never)", "S" },
    { "churn-every", 0, 0, G_OPTION_ARG_DOUBLE, &soak.churn_every_s, "... quits or vanishes, and a new session takes its place (default 600 s; 0: never)", "S" },
    { "ramp", 0, 0, G_OPTION_ARG_INT, &ramp, "Sessions started per second (default 50)", "N" },
    { "report-every", 0, 0, G_OPTION_ARG_INT, &report_s, "Seconds between reports (default 60)", "S" },
    { "relay-pid", 0, 0, G_OPTION_ARG_INT, &relay_pid, "Report this process's memory and CPU", "PID" },
    { "seed", 0, 0, G_OPTION_ARG_INT64, &seed, "Seed for the sessions' choices (default 1)", "N" },
    { NULL }
  };

  setlocale (LC_ALL, "");
  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_set_description (context,
                                    "Prints a line every interval and a final one once every member has\n"
                                    "everything (or two minutes after the end); exits 0 only if delivered\n"
                                    "equals expected and nothing came out of order or twice.\n");
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("tea-soak: %s\n", error->message);
      return EXIT_FAILURE;
    }
  if (server == NULL || sessions < 1 || rooms < 0 || ramp < 1 || report_s < 1 || seed < 0 || seed > G_MAXUINT32)
    {
      g_printerr ("tea-soak: --server HOST:PORT is needed, and the numbers must be positive (see --help)\n");
      return EXIT_FAILURE;
    }
  address = g_network_address_parse (server, 0, &error);
  if (address == NULL || g_network_address_get_port (G_NETWORK_ADDRESS (address)) == 0)
    {
      g_printerr ("tea-soak: “%s” is not HOST:PORT\n", server);
      return EXIT_FAILURE;
    }
  fd_limit = tea_raise_fd_limit ();
  if (fd_limit < (guint64) sessions + 64)
    {
      g_printerr ("tea-soak: %d sessions need %d open files, the limit is %" G_GUINT64_FORMAT " (ulimit -n)\n",
                  sessions, sessions + 64, fd_limit);
      return EXIT_FAILURE;
    }

  soak.host = g_strdup (g_network_address_get_hostname (G_NETWORK_ADDRESS (address)));
  soak.port = g_network_address_get_port (G_NETWORK_ADDRESS (address));
  soak.n_sessions = sessions;
  soak.n_rooms = rooms ? rooms : MAX (1, sessions / 20);
  soak.ramp_per_s = ramp;
  soak.report_us = (gint64) report_s * G_USEC_PER_SEC;
  soak.relay_pid = relay_pid;
  soak.duration_us = (gint64) ((seconds > 0 ? seconds : minutes * 60) * G_USEC_PER_SEC);
  soak.rand = g_rand_new_with_seed (seed);
  soak.loop = g_main_loop_new (NULL, FALSE);
  soak.status = EXIT_FAILURE;
  soak.rooms = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) room_free);
  soak.room_names = g_new0 (char *, soak.n_rooms + 1);
  for (guint r = 0; r < soak.n_rooms; r++)
    soak.room_names[r] = g_strdup_printf ("room%03u", r);
  soak.sessions = g_new0 (Session, soak.n_sessions);
  for (guint i = 0; i < soak.n_sessions; i++)
    {
      Session *s = &soak.sessions[i];

      s->soak = &soak;
      s->index = i;
      /* Two different rooms, spread so that rooms mix. */
      s->room_names[0] = soak.room_names[i % soak.n_rooms];
      s->room_names[1] = soak.room_names[(i / soak.n_rooms + i + 1) % soak.n_rooms];
      if (s->room_names[1] == s->room_names[0])
        s->room_names[1] = soak.room_names[(i + 1) % soak.n_rooms];
    }

  g_print ("[start] %u sessions in %u rooms against %s port %u for %.1f min; each says something every ~%g s, "
           "roams every ~%g s, leaves a room every ~%g s, is replaced every ~%g s\n",
           soak.n_sessions, soak.n_rooms, soak.host, soak.port, soak.duration_us / 6e7, soak.say_every_s,
           soak.roam_every_s, soak.part_every_s, soak.churn_every_s);
  fflush (stdout);
  soak.start = g_get_monotonic_time ();
  soak.end = soak.start + soak.duration_us;
  soak.next_report = soak.start + soak.report_us;
  soak.last_cpu_at = soak.start;
  soak.self_cpu_ticks = cpu_ticks (0);
  soak.last_cpu_ticks = relay_pid ? MAX (cpu_ticks (relay_pid), 0) : 0;
  g_timeout_add (200, on_tick, &soak);
  g_unix_signal_add (SIGINT, on_interrupt, &soak);
  g_unix_signal_add (SIGTERM, on_interrupt, &soak);
  g_main_loop_run (soak.loop);

  /* Goodbyes, given a moment to leave. */
  stop_all (&soak);
  {
    GMainContext *context_default = g_main_context_default ();
    gint64 linger = g_get_monotonic_time () + G_USEC_PER_SEC;

    while (g_get_monotonic_time () < linger)
      if (!g_main_context_iteration (context_default, FALSE))
        g_usleep (1000);
  }

  g_hash_table_unref (soak.rooms);
  g_strfreev (soak.room_names);
  for (guint i = 0; i < soak.n_sessions; i++)
    g_free (soak.sessions[i].nick);
  g_free (soak.sessions);
  g_free (soak.host);
  g_rand_free (soak.rand);
  g_main_loop_unref (soak.loop);
  return soak.status;
}
