/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * bench-client: how the real desktop client copes with a big room. The
 * real TeaApplication and TeaWindow run on a (virtual) display, connected
 * to an in-process relay on loopback, in two rooms: "lobby" with a few
 * lines and "archive" with --messages lines (100,000 by default) of a
 * realistic mix: a dozen senders (so grouping varies), long wrapped lines,
 * links, /me actions, notices, mentions, edits, day separators.
 *
 * The lines go into the room's model (TeaRoom, as TeaChat adds them when
 * the relay delivers them), not through the relay: the relay keeps only
 * `backlog` (1,000) events per room and lets a sender say 2 lines a second,
 * so a room of 100,000 lines only happens to a client that stayed online
 * for months. Everything measured after the fill is the real widgets:
 *
 * - fill: time to add the lines to the room's model (its sidebar row
 *   counting them as unread);
 * - switch: from selecting the room in the sidebar until the first frame
 *   that shows it is painted (GdkFrameClock::after-paint), and until a
 *   painted frame shows its newest line; repeated (lobby and back);
 * - RSS (VmRSS, VmHWM) at each step;
 * - scrolling: the view's GtkAdjustment moved by --scroll-step pixels per
 *   frame from a tick callback, up through --scroll-rows rows of history,
 *   then a jump to the very top, a scroll down from there, and a jump back
 *   to the newest line; for each, the frame intervals (frame clock frame
 *   times) and the work per frame (before-paint to after-paint);
 * - idle: frames painted in --idle-seconds with nothing happening (a
 *   window with nothing to show should paint none).
 *
 * It prints what it finds as text, then one line of JSON that starts with
 * `{"bench": "client"`. See docs/PERFORMANCE.md.
 */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "tea-application.h"
#include "tea-message-slot.h"
#include "tea-test-util.h"
#include "tea-window.h"

/* One refresh at 60 Hz, and the interval beyond which a frame was missed. */
#define FRAME_US 16667
#define LATE_US (FRAME_US * 3 / 2)
#define SMALL_ROOM "lobby"
#define BIG_ROOM "archive"
#define OWN_NICK "bench"

static int n_messages = 100000;
static int scroll_rows = 2000;
static int scroll_step = 80;
static int n_switches = 3;
static int idle_seconds = 10;

/* ---- Figures -------------------------------------------------------------- */

typedef struct
{
  gint64 rss_kb;
  gint64 hwm_kb;
} Memory;

static Memory
read_memory (void)
{
  g_autofree char *status = NULL;
  Memory memory = { -1, -1 };

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL))
    return memory;
  for (char *line = status; line && *line; line = strchr (line, '\n') ? strchr (line, '\n') + 1 : NULL)
    {
      if (g_str_has_prefix (line, "VmRSS:"))
        memory.rss_kb = g_ascii_strtoll (line + 6, NULL, 10);
      else if (g_str_has_prefix (line, "VmHWM:"))
        memory.hwm_kb = g_ascii_strtoll (line + 6, NULL, 10);
    }
  return memory;
}

static char *
read_load (void)
{
  g_autofree char *load = NULL;
  g_auto (GStrv) fields = NULL;

  if (!g_file_get_contents ("/proc/loadavg", &load, NULL, NULL))
    return g_strdup ("");
  fields = g_strsplit (load, " ", 4);
  return g_strdup_printf ("%s %s %s", fields[0], fields[1] ? fields[1] : "", fields[1] && fields[2] ? fields[2] : "");
}

static double
ms (gint64 us)
{
  return us / 1000.0;
}

static int
compare_int64 (gconstpointer a, gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;
  return x < y ? -1 : x > y;
}

typedef struct
{
  guint n;
  double mean_ms, p50_ms, p95_ms, p99_ms, max_ms;
  guint over; /* values above the threshold given */
} Stats;

static Stats
stats_of (GArray *values, gint64 threshold_us)
{
  g_autoptr (GArray) sorted = g_array_copy (values);
  Stats s = { 0 };
  gint64 sum = 0;

  s.n = sorted->len;
  if (s.n == 0)
    return s;
  g_array_sort (sorted, compare_int64);
  for (guint i = 0; i < s.n; i++)
    {
      gint64 v = g_array_index (sorted, gint64, i);

      sum += v;
      if (v > threshold_us)
        s.over++;
    }
  s.mean_ms = ms (sum) / s.n;
  s.p50_ms = ms (g_array_index (sorted, gint64, s.n / 2));
  s.p95_ms = ms (g_array_index (sorted, gint64, MIN (s.n - 1, (s.n * 95 + 99) / 100)));
  s.p99_ms = ms (g_array_index (sorted, gint64, MIN (s.n - 1, (s.n * 99 + 99) / 100)));
  s.max_ms = ms (g_array_index (sorted, gint64, s.n - 1));
  return s;
}

static void
json_stats (GString *json, const char *name, Stats s)
{
  g_string_append_printf (json, "\"%s\": {\"n\": %u, \"mean_ms\": %.2f, \"p50_ms\": %.2f, \"p95_ms\": %.2f, "
                                "\"p99_ms\": %.2f, \"max_ms\": %.2f, \"over_25ms\": %u}",
                          name, s.n, s.mean_ms, s.p50_ms, s.p95_ms, s.p99_ms, s.max_ms, s.over);
}

/* ---- The application -------------------------------------------------------- */

typedef struct
{
  TeaTestRelay *relay;
  GTestDBus *bus;
  char *home;
  TeaApplication *app;
  TeaWindow *window;
  GtkListView *view;
  GtkWidget *scroller;
  GtkAdjustment *adjustment;
  GdkFrameClock *clock;

  /* Per frame, while recording. */
  gboolean recording;
  gint64 paint_started;
  GArray *frame_times; /* gint64: GdkFrameClock frame time of each painted frame */
  GArray *work;        /* gint64: before-paint to after-paint, µs */
  guint frames_painted;
  gint64 last_after_paint; /* monotonic µs */

  /* What the last painted frame showed: the lowest and highest seq of
   * rows in view (every line the bench adds has seq = its number). */
  guint64 top_seq;
  guint64 bottom_seq;
  guint rows_instantiated;
} Bench;

static Bench bench;

static gboolean
connected_and_joined (gpointer name)
{
  TeaChat *chat = tea_application_get_chat (bench.app);
  TeaRoom *room;

  if (chat == NULL || tea_client_get_state (tea_chat_get_client (chat)) != TEA_CLIENT_STATE_CONNECTED)
    return FALSE;
  room = tea_chat_find_room (chat, name);
  return room && tea_room_get_joined (room);
}

static GtkListView *
find_message_view (GtkWidget *widget)
{
  if (GTK_IS_LIST_VIEW (widget) && gtk_widget_has_css_class (widget, "messages"))
    return GTK_LIST_VIEW (widget);
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child; child = gtk_widget_get_next_sibling (child))
    {
      GtkListView *found = find_message_view (child);

      if (found)
        return found;
    }
  return NULL;
}

/* Which lines the view shows right now (rows inside the viewport). */
static void
look_at_view (void)
{
  int height = gtk_widget_get_height (bench.scroller);

  bench.top_seq = G_MAXUINT64;
  bench.bottom_seq = 0;
  bench.rows_instantiated = 0;
  for (GtkWidget *item = gtk_widget_get_first_child (GTK_WIDGET (bench.view)); item;
       item = gtk_widget_get_next_sibling (item))
    {
      GtkWidget *slot = gtk_widget_get_first_child (item);
      GtkWidget *row;
      TeaChatMessage *message;
      graphene_rect_t bounds;
      guint64 seq;

      if (slot == NULL || !TEA_IS_MESSAGE_SLOT (slot))
        continue;
      row = GTK_WIDGET (tea_message_slot_get_row (TEA_MESSAGE_SLOT (slot)));
      bench.rows_instantiated++;
      message = tea_message_row_get_message (TEA_MESSAGE_ROW (row));
      if (message == NULL || !gtk_widget_get_mapped (row) || !gtk_widget_compute_bounds (row, bench.scroller, &bounds))
        continue;
      if (bounds.origin.y + bounds.size.height <= 0 || bounds.origin.y >= height)
        continue;
      seq = tea_chat_message_get_seq (message);
      if (seq == 0)
        continue; /* a day separator */
      bench.top_seq = MIN (bench.top_seq, seq);
      bench.bottom_seq = MAX (bench.bottom_seq, seq);
    }
}

static void
on_before_paint (GdkFrameClock *clock, gpointer user_data)
{
  bench.paint_started = g_get_monotonic_time ();
}

static void
on_after_paint (GdkFrameClock *clock, gpointer user_data)
{
  gint64 now = g_get_monotonic_time ();

  bench.frames_painted++;
  bench.last_after_paint = now;
  if (bench.recording)
    {
      gint64 frame_time = gdk_frame_clock_get_frame_time (clock);
      gint64 work = now - bench.paint_started;

      g_array_append_val (bench.frame_times, frame_time);
      g_array_append_val (bench.work, work);
    }
  look_at_view ();
}

static void
start_recording (void)
{
  g_array_set_size (bench.frame_times, 0);
  g_array_set_size (bench.work, 0);
  bench.recording = TRUE;
}

/* Frame intervals: differences between the frame times of painted frames. */
static GArray *
stop_recording (void)
{
  GArray *intervals = g_array_new (FALSE, FALSE, sizeof (gint64));

  bench.recording = FALSE;
  for (guint i = 1; i < bench.frame_times->len; i++)
    {
      gint64 d = g_array_index (bench.frame_times, gint64, i) - g_array_index (bench.frame_times, gint64, i - 1);
      g_array_append_val (intervals, d);
    }
  return intervals;
}

/* ---- Lines --------------------------------------------------------------- */

static const char *nicks[] = {
  "alice", "bob", "carol", "dave", "erin", "frank", "grace",
  "小明", "李华", "Maximilian-von-Teekanne", "o'brien", "zoë",
};

static const char *words[] = {
  "tea", "oolong", "gaiwan", "steep", "leaves", "kettle", "water", "the", "a", "and", "is", "was",
  "minutes", "first", "infusion", "honey", "roasted", "Friday", "meeting", "cups", "pour", "bring",
  "darjeeling", "sencha", "puerh", "white", "peony", "green", "black", "smells", "like", "hay",
  "temperature", "degrees", "longer", "shorter", "bitter", "sweet", "floral", "notes", "today",
  "tomorrow", "who", "has", "the", "key", "to", "cupboard", "I", "think", "we", "should", "try",
  "Wuyi", "rock", "yancha", "Dong", "Ding", "Tieguanyin", "jasmine", "pearls", "matcha", "whisk",
  "supercalifragilisticexpialidocious-tea-blend", "ok", "yes", "no", "maybe", "lol", ":)",
};

static const char *chinese[] = {
  "早上好", "今天喝什么茶", "白牡丹到了", "闻起来有蜂蜜和干草的香味", "第一泡三分钟", "周五你来吗",
  "我带冻顶乌龙", "水温八十五度", "这批龙井不错", "盖碗借我用一下",
};

static char *
make_text (GRand *rand, gboolean chinese_speaker)
{
  GString *text = g_string_new (NULL);
  int roll = g_rand_int_range (rand, 0, 100);
  int n_words = roll < 60 ? g_rand_int_range (rand, 1, 12) : roll < 90 ? g_rand_int_range (rand, 12, 40)
                                                                       : g_rand_int_range (rand, 40, 250);

  for (int i = 0; i < n_words; i++)
    {
      if (i > 0)
        g_string_append_c (text, g_rand_int_range (rand, 0, 60) == 0 ? '\n' : ' ');
      if (chinese_speaker && g_rand_int_range (rand, 0, 3) > 0)
        g_string_append (text, chinese[g_rand_int_range (rand, 0, G_N_ELEMENTS (chinese))]);
      else
        g_string_append (text, words[g_rand_int_range (rand, 0, G_N_ELEMENTS (words))]);
    }
  if (g_rand_int_range (rand, 0, 10) == 0)
    g_string_append_printf (text, " https://example.org/tea/notes/%u?page=%u.", g_rand_int (rand) % 100000,
                            g_rand_int_range (rand, 1, 9));
  if (g_rand_int_range (rand, 0, 40) == 0)
    g_string_append (text, " (see www.teahouse.example/brewing)");
  return g_string_free (text, FALSE);
}

static gint64
next_time (GRand *rand, gint64 time_ms)
{
  int roll = g_rand_int_range (rand, 0, 1000);
  gint64 seconds = roll < 750 ? g_rand_int_range (rand, 5, 60)
                   : roll < 950 ? g_rand_int_range (rand, 60, 300)
                   : roll < 995 ? g_rand_int_range (rand, 300, 3600)
                                : g_rand_int_range (rand, 8 * 3600, 20 * 3600);

  return time_ms + seconds * 1000;
}

/* Adds n lines to room as TeaChat would; returns how long it took. */
static gint64
fill_room (TeaRoom *room, int n, guint32 seed)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (seed);
  /* About 385 s between lines on average: start far enough back that the
   * last line is about now. */
  gint64 time_ms = g_get_real_time () / 1000 - (gint64) n * 385 * 1000;
  const char *nick = nicks[0];
  gint64 start = g_get_monotonic_time ();

  for (int i = 1; i <= n; i++)
    {
      g_autoptr (TeaChatMessage) message = NULL;
      int roll = g_rand_int_range (rand, 0, 1000);

      time_ms = next_time (rand, time_ms);
      /* Most lines continue the conversation of whoever spoke last. */
      if (g_rand_int_range (rand, 0, 100) < 40)
        nick = g_rand_int_range (rand, 0, 20) == 0 ? OWN_NICK : nicks[g_rand_int_range (rand, 0, G_N_ELEMENTS (nicks))];
      if (roll < 50)
        {
          const char *who = nicks[g_rand_int_range (rand, 0, G_N_ELEMENTS (nicks))];
          g_autofree char *text = NULL;

          switch (roll % 4)
            {
            case 0:
              text = g_strdup_printf ("%s joined", who);
              break;
            case 1:
              text = g_strdup_printf ("%s left (Gone to make tea)", who);
              break;
            case 2:
              text = g_strdup_printf ("%s is now known as %s_", who, who);
              break;
            default:
              text = g_strdup_printf ("%s set the topic: Tasting notes, brewing tips and the Friday tea run", who);
              break;
            }
          message = tea_chat_message_new (TEA_CHAT_MESSAGE_NOTICE, i, time_ms, who, text);
          tea_chat_message_set_is_presence (message, roll % 4 != 3);
        }
      else
        {
          g_autofree char *text = make_text (rand, g_str_equal (nick, "小明") || g_str_equal (nick, "李华"));
          gboolean own = g_str_equal (nick, OWN_NICK);

          if (!own && g_rand_int_range (rand, 0, 50) == 0)
            {
              g_autofree char *with = g_strconcat (OWN_NICK ": ", text, NULL);
              g_free (text);
              text = g_steal_pointer (&with);
            }
          message = tea_chat_message_new (roll < 90 ? TEA_CHAT_MESSAGE_ACTION : TEA_CHAT_MESSAGE_TEXT, i, time_ms,
                                          nick, text);
          tea_chat_message_set_own (message, own);
          if (!own)
            tea_chat_message_set_mention (message, tea_text_mentions (text, OWN_NICK));
          tea_chat_message_set_unencrypted (message, g_rand_int_range (rand, 0, 100) == 0);
          if (g_rand_int_range (rand, 0, 200) == 0)
            tea_chat_message_mark_edited (message, "(corrected) the water should be 85 °C, not boiling");
          else if (g_rand_int_range (rand, 0, 500) == 0)
            tea_chat_message_mark_deleted (message);
        }
      tea_room_add_message (room, message);
    }
  return g_get_monotonic_time () - start;
}

/* ---- Steps ----------------------------------------------------------------- */

static gboolean
painted_since (gpointer since)
{
  return bench.last_after_paint > *(gint64 *) since;
}

/* Lets the window settle: iterates until no frame was painted for 300 ms.
 * A window that keeps painting with nothing to show is a bug: say so. */
static void
settle (const char *after)
{
  gint64 start = g_get_monotonic_time ();
  guint frames = bench.frames_painted;

  while (g_get_monotonic_time () < start + 10 * G_USEC_PER_SEC)
    {
      guint before = bench.frames_painted;

      tea_test_run_for (300);
      if (bench.frames_painted == before)
        return;
    }
  g_printerr ("bench-client: the window still paints 10 s after %s (%u frames)\n", after,
              bench.frames_painted - frames);
}

typedef struct
{
  const char *room;
  double select_ms;      /* select_row() returning: the synchronous work */
  double first_paint_ms; /* the first frame painted after it */
  double newest_ms;      /* the first painted frame showing the room's newest line */
  guint frames;          /* frames painted until then */
} Switch;

static gboolean
newest_shown (gpointer last_seq)
{
  return bench.bottom_seq != 0 && bench.bottom_seq == *(guint64 *) last_seq;
}

static Switch
switch_to (const char *name)
{
  TeaRoom *room = tea_chat_find_room (tea_application_get_chat (bench.app), name);
  TeaMessageList *list = tea_room_get_messages (room);
  guint64 last_seq = 0;
  Switch s = { name, -1, -1, -1, 0 };
  guint frames_before = bench.frames_painted;
  gint64 start, selected;

  for (guint i = tea_message_list_get_n_items_fast (list); i > 0 && last_seq == 0; i--)
    last_seq = tea_chat_message_get_seq (tea_message_list_get (list, i - 1));
  start = g_get_monotonic_time ();
  tea_window_select_room (bench.window, name);
  selected = g_get_monotonic_time ();
  g_assert_true (tea_window_get_room (bench.window) == room);
  s.select_ms = ms (selected - start);
  bench.bottom_seq = 0;
  if (tea_test_wait (painted_since, &selected, 10000))
    s.first_paint_ms = ms (bench.last_after_paint - start);
  if (last_seq == 0 || tea_test_wait (newest_shown, &last_seq, 10000))
    s.newest_ms = ms (bench.last_after_paint - start);
  s.frames = bench.frames_painted - frames_before;
  return s;
}

typedef struct
{
  const char *name;
  guint rows;       /* lines passed */
  guint ticks;      /* frames the adjustment was moved in */
  double duration_ms;
  double reached_ms; /* for jumps: until the target line was painted */
  Stats intervals;
  Stats work;
  Memory memory;
} Scroll;

typedef struct
{
  int step;         /* pixels per frame; negative is up */
  guint64 from_seq; /* where it started */
  guint target_rows;
  guint ticks;
  gboolean done;
} ScrollState;

static guint
rows_from (guint64 from_seq, int step)
{
  if (step < 0)
    return bench.top_seq != G_MAXUINT64 && bench.top_seq < from_seq ? from_seq - bench.top_seq : 0;
  return bench.bottom_seq > from_seq ? bench.bottom_seq - from_seq : 0;
}

static gboolean
scroll_tick (GtkWidget *widget, GdkFrameClock *clock, gpointer user_data)
{
  ScrollState *state = user_data;
  double value = gtk_adjustment_get_value (bench.adjustment);
  double lower = gtk_adjustment_get_lower (bench.adjustment);
  double top = gtk_adjustment_get_upper (bench.adjustment) - gtk_adjustment_get_page_size (bench.adjustment);
  double next = CLAMP (value + state->step, lower, top);

  if (rows_from (state->from_seq, state->step) >= state->target_rows || next == value || state->ticks >= 20000)
    {
      state->done = TRUE;
      return G_SOURCE_REMOVE;
    }
  gtk_adjustment_set_value (bench.adjustment, next);
  state->ticks++;
  return G_SOURCE_CONTINUE;
}

static gboolean
scroll_done (gpointer state)
{
  return ((ScrollState *) state)->done;
}

static Scroll
scroll_through (const char *name, int step, guint rows)
{
  ScrollState state = { step, 0, rows, 0, FALSE };
  g_autoptr (GArray) intervals = NULL;
  Scroll s = { name, 0 };
  gint64 start;

  look_at_view ();
  state.from_seq = step < 0 ? bench.top_seq : bench.bottom_seq;
  start_recording ();
  start = g_get_monotonic_time ();
  gtk_widget_add_tick_callback (GTK_WIDGET (bench.view), scroll_tick, &state, NULL);
  g_assert_true (tea_test_wait (scroll_done, &state, 600000));
  s.duration_ms = ms (g_get_monotonic_time () - start);
  intervals = stop_recording ();
  s.rows = rows_from (state.from_seq, step);
  s.ticks = state.ticks;
  s.reached_ms = -1;
  s.intervals = stats_of (intervals, LATE_US);
  s.work = stats_of (bench.work, LATE_US);
  s.memory = read_memory ();
  return s;
}

static gboolean
seq_shown (gpointer seq)
{
  guint64 want = *(guint64 *) seq;
  return bench.top_seq <= want && want <= bench.bottom_seq;
}

/* Jumps to the first line (the adjustment set to its lower end, as a drag
 * of the scrollbar to the top does) or to the newest (win.jump-to-bottom,
 * Ctrl+End), and watches the frames for a second. */
static Scroll
jump (const char *name, gboolean to_top, guint64 target_seq)
{
  g_autoptr (GArray) intervals = NULL;
  Scroll s = { name, 0 };
  gint64 start;

  start_recording ();
  start = g_get_monotonic_time ();
  bench.top_seq = G_MAXUINT64;
  bench.bottom_seq = 0;
  if (to_top)
    gtk_adjustment_set_value (bench.adjustment, gtk_adjustment_get_lower (bench.adjustment));
  else
    g_action_group_activate_action (G_ACTION_GROUP (bench.window), "jump-to-bottom", NULL);
  s.reached_ms = tea_test_wait (seq_shown, &target_seq, 10000) ? ms (bench.last_after_paint - start) : -1;
  tea_test_run_for (1000);
  s.duration_ms = ms (g_get_monotonic_time () - start);
  intervals = stop_recording ();
  s.intervals = stats_of (intervals, LATE_US);
  s.work = stats_of (bench.work, LATE_US);
  s.memory = read_memory ();
  return s;
}

/* ---- Output ------------------------------------------------------------------ */

static void
print_scroll (Scroll *s)
{
  g_print ("%-12s %u lines in %u frames, %.0f ms", s->name, s->rows, s->ticks, s->duration_ms);
  if (s->reached_ms >= 0)
    g_print (", target painted after %.1f ms", s->reached_ms);
  g_print ("\n             frame interval p50 %.1f / p95 %.1f / p99 %.1f / max %.1f ms, %u of %u over 25 ms\n"
           "             work per frame p50 %.1f / p95 %.1f / p99 %.1f / max %.1f ms\n",
           s->intervals.p50_ms, s->intervals.p95_ms, s->intervals.p99_ms, s->intervals.max_ms, s->intervals.over,
           s->intervals.n, s->work.p50_ms, s->work.p95_ms, s->work.p99_ms, s->work.max_ms);
}

static void
json_scroll (GString *json, Scroll *s)
{
  g_string_append_printf (json, "\"%s\": {\"rows\": %u, \"ticks\": %u, \"duration_ms\": %.1f, \"reached_ms\": %.1f, ",
                          s->name, s->rows, s->ticks, s->duration_ms, s->reached_ms);
  json_stats (json, "interval", s->intervals);
  g_string_append (json, ", ");
  json_stats (json, "work", s->work);
  g_string_append_printf (json, ", \"rss_kb\": %" G_GINT64_FORMAT "}", s->memory.rss_kb);
}

/* ---- Main -------------------------------------------------------------------- */

static void
set_up (void)
{
  g_autoptr (GSettings) settings = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *server = NULL;
  g_autofree char *display = g_strdup (g_getenv ("DISPLAY"));
  const char *rooms[] = { SMALL_ROOM, BIG_ROOM, NULL };

  bench.home = g_dir_make_tmp ("tea-bench-XXXXXX", NULL);
  g_setenv ("XDG_CONFIG_HOME", bench.home, TRUE);
  g_setenv ("XDG_DATA_HOME", bench.home, TRUE);
  g_setenv ("XDG_STATE_HOME", bench.home, TRUE);
  /* A private session bus: nothing of the user's is touched. GTestDBus
   * unsets DISPLAY; GTK needs it back. */
  bench.bus = g_test_dbus_new (G_TEST_DBUS_NONE);
  g_test_dbus_up (bench.bus);
  g_setenv ("DISPLAY", display, TRUE);

  bench.relay = tea_test_relay_new (NULL);
  settings = g_settings_new (APPLICATION_ID);
  server = g_strdup_printf ("127.0.0.1:%u", bench.relay->port);
  g_settings_set_string (settings, "nickname", OWN_NICK);
  g_settings_set_string (settings, "server", server);
  g_settings_set_strv (settings, "rooms", rooms);

  bench.app = tea_application_new ();
  g_assert_true (g_application_register (G_APPLICATION (bench.app), NULL, &error));
  g_assert_no_error (error);
  g_application_activate (G_APPLICATION (bench.app));
  g_assert_true (tea_test_wait (connected_and_joined, (gpointer) SMALL_ROOM, 20000));
  g_assert_true (tea_test_wait (connected_and_joined, (gpointer) BIG_ROOM, 20000));

  bench.window = TEA_WINDOW (gtk_application_get_active_window (GTK_APPLICATION (bench.app)));
  bench.view = find_message_view (GTK_WIDGET (bench.window));
  g_assert_nonnull (bench.view);
  bench.scroller = gtk_widget_get_parent (GTK_WIDGET (bench.view));
  g_assert_true (GTK_IS_SCROLLED_WINDOW (bench.scroller));
  bench.adjustment = gtk_scrollable_get_vadjustment (GTK_SCROLLABLE (bench.view));
  bench.clock = gtk_widget_get_frame_clock (GTK_WIDGET (bench.window));
  g_assert_nonnull (bench.clock);
  bench.frame_times = g_array_new (FALSE, FALSE, sizeof (gint64));
  bench.work = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_signal_connect (bench.clock, "before-paint", G_CALLBACK (on_before_paint), NULL);
  g_signal_connect (bench.clock, "after-paint", G_CALLBACK (on_after_paint), NULL);
}

/* The throw-away home directory (the client keeps its resume file there). */
static void
remove_tree (const char *path)
{
  g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir && (name = g_dir_read_name (dir)))
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
        remove_tree (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}

static void
tear_down (void)
{
  g_signal_handlers_disconnect_by_func (bench.clock, on_before_paint, NULL);
  g_signal_handlers_disconnect_by_func (bench.clock, on_after_paint, NULL);
  g_action_group_activate_action (G_ACTION_GROUP (bench.app), "quit", NULL);
  tea_test_run_for (200);
  g_clear_object (&bench.app);
  g_clear_pointer (&bench.relay, tea_test_relay_free);
  g_clear_pointer (&bench.frame_times, g_array_unref);
  g_clear_pointer (&bench.work, g_array_unref);
  /* Not g_test_dbus_down(): GTK keeps its session connection until exit,
   * and down() would wait for it to go. */
  g_test_dbus_stop (bench.bus);
  g_clear_object (&bench.bus);
  remove_tree (bench.home);
  g_clear_pointer (&bench.home, g_free);
}

int
main (int argc, char **argv)
{
  GOptionEntry entries[] = {
    { "messages", 'n', 0, G_OPTION_ARG_INT, &n_messages, "Lines in the big room (100000)", "N" },
    { "scroll-rows", 0, 0, G_OPTION_ARG_INT, &scroll_rows, "Lines to scroll through (2000)", "N" },
    { "scroll-step", 0, 0, G_OPTION_ARG_INT, &scroll_step, "Pixels scrolled per frame (80)", "PX" },
    { "switches", 0, 0, G_OPTION_ARG_INT, &n_switches, "Times to switch to the big room (3)", "N" },
    { "idle-seconds", 0, 0, G_OPTION_ARG_INT, &idle_seconds, "Seconds to count idle frames (10)", "S" },
    { NULL }
  };
  g_autoptr (GOptionContext) context = g_option_context_new ("- the desktop client with a big room");
  g_autoptr (GError) error = NULL;
  g_autoptr (GString) json = g_string_new (NULL);
  g_autoptr (GArray) switches = g_array_new (FALSE, FALSE, sizeof (Switch));
  g_autofree char *load_start = read_load ();
  g_autofree char *load_end = NULL;
  TeaRoom *big;
  Memory at_start, after_fill, after_switch = { -1, -1 }, at_end;
  Scroll scrolls[4];
  guint idle_frames;
  gint64 fill_us;
  guint lines, rows_after_switch = 0;
  int width, height, scale;
  const char *renderer;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }
  if (n_messages < 100 || scroll_rows < 1 || scroll_step == 0 || n_switches < 1 || idle_seconds < 1)
    {
      g_printerr ("--messages must be at least 100, the others positive\n");
      return 2;
    }
  gtk_init ();
  /* GTK fades the text cursor in and out from a tick callback, painting
   * every frame for 10 s after each keystroke or focus change: that would
   * hide what switching and scrolling cost, and the window never idles. */
  g_object_set (gtk_settings_get_default (), "gtk-cursor-blink", FALSE, NULL);
  set_up ();
  settle ("start");
  at_start = read_memory ();

  /* The big room fills while the small one is shown. */
  fill_room (tea_chat_find_room (tea_application_get_chat (bench.app), SMALL_ROOM), 50, 7);
  big = tea_chat_find_room (tea_application_get_chat (bench.app), BIG_ROOM);
  fill_us = fill_room (big, n_messages, 42);
  lines = tea_message_list_get_n_items_fast (tea_room_get_messages (big));
  settle ("filling");
  after_fill = read_memory ();

  for (int i = 0; i < n_switches; i++)
    {
      Switch s = switch_to (BIG_ROOM);

      g_array_append_val (switches, s);
      settle ("switching to the big room");
      if (i == 0)
        {
          after_switch = read_memory ();
          rows_after_switch = bench.rows_instantiated;
        }
      s = switch_to (SMALL_ROOM);
      g_array_append_val (switches, s);
      settle ("switching to the small room");
    }
  switch_to (BIG_ROOM);
  settle ("switching to the big room");

  scrolls[0] = scroll_through ("scroll_up", -ABS (scroll_step), scroll_rows);
  settle ("scroll up");
  scrolls[1] = jump ("jump_top", TRUE, 1);
  settle ("jump top");
  scrolls[2] = scroll_through ("scroll_down", ABS (scroll_step), scroll_rows);
  settle ("scroll down");
  scrolls[3] = jump ("jump_bottom", FALSE, n_messages);
  settle ("jump bottom");
  /* Idle: connected, the big room shown, nothing arriving. The overlay
   * scrollbar fades out a second or so after the last scroll, painting
   * as it goes: count from after that. */
  tea_test_run_for (3000);
  idle_frames = bench.frames_painted;
  tea_test_run_for (idle_seconds * 1000);
  idle_frames = bench.frames_painted - idle_frames;
  at_end = read_memory ();
  load_end = read_load ();

  width = gtk_widget_get_width (GTK_WIDGET (bench.window));
  height = gtk_widget_get_height (GTK_WIDGET (bench.window));
  scale = gtk_widget_get_scale_factor (GTK_WIDGET (bench.window));
  renderer = G_OBJECT_TYPE_NAME (gtk_native_get_renderer (GTK_NATIVE (bench.window)));

  /* Text for people. */
  g_print ("Teahouse desktop client, %d messages (%u lines with day separators), window %d×%d at scale %d, %s\n",
           n_messages, lines, width, height, scale, renderer);
  g_print ("load average %s at start, %s at end\n", load_start, load_end);
  g_print ("fill         %.0f ms (%.2f µs a line)\n", ms (fill_us), (double) fill_us / n_messages);
  for (guint i = 0; i < switches->len; i++)
    {
      Switch *s = &g_array_index (switches, Switch, i);
      g_print ("switch to %-8s select %.1f ms, first frame painted %.1f ms, newest line painted %.1f ms (%u frames)\n",
               s->room, s->select_ms, s->first_paint_ms, s->newest_ms, s->frames);
    }
  g_print ("rows with widgets after the switch: %u\n", rows_after_switch);
  g_print ("RSS          start %.1f MB, after fill %.1f MB, after switch %.1f MB, end %.1f MB; peak %.1f MB\n",
           at_start.rss_kb / 1024.0, after_fill.rss_kb / 1024.0, after_switch.rss_kb / 1024.0,
           at_end.rss_kb / 1024.0, at_end.hwm_kb / 1024.0);
  for (guint i = 0; i < G_N_ELEMENTS (scrolls); i++)
    print_scroll (&scrolls[i]);
  g_print ("idle         %u frames painted in %d s\n", idle_frames, idle_seconds);

  /* And one line for programs. */
  g_string_append_printf (json, "{\"bench\": \"client\", \"messages\": %d, \"lines\": %u, \"window\": [%d, %d], "
                                "\"scale\": %d, \"renderer\": \"%s\", \"load_start\": \"%s\", \"load_end\": \"%s\", "
                                "\"fill_ms\": %.1f, \"switch\": [",
                          n_messages, lines, width, height, scale, renderer, load_start, load_end, ms (fill_us));
  for (guint i = 0; i < switches->len; i++)
    {
      Switch *s = &g_array_index (switches, Switch, i);
      g_string_append_printf (json, "%s{\"room\": \"%s\", \"select_ms\": %.2f, \"first_paint_ms\": %.2f, "
                                    "\"newest_ms\": %.2f, \"frames\": %u}",
                              i ? ", " : "", s->room, s->select_ms, s->first_paint_ms, s->newest_ms, s->frames);
    }
  g_string_append_printf (json, "], \"rows_instantiated\": %u, \"rss_kb\": {\"start\": %" G_GINT64_FORMAT
                                ", \"after_fill\": %" G_GINT64_FORMAT ", \"after_switch\": %" G_GINT64_FORMAT
                                ", \"end\": %" G_GINT64_FORMAT ", \"peak\": %" G_GINT64_FORMAT "}",
                          rows_after_switch, at_start.rss_kb, after_fill.rss_kb, after_switch.rss_kb, at_end.rss_kb,
                          at_end.hwm_kb);
  for (guint i = 0; i < G_N_ELEMENTS (scrolls); i++)
    {
      g_string_append (json, ", ");
      json_scroll (json, &scrolls[i]);
    }
  g_string_append_printf (json, ", \"idle\": {\"seconds\": %d, \"frames\": %u}}", idle_seconds, idle_frames);
  g_print ("%s\n", json->str);

  tear_down ();
  return 0;
}
