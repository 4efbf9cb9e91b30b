/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * TeaMessageSlot in a real window: a message given back to a slot shows
 * again from the row kept laid out, never a stale copy, and a slot bound
 * twice before it was laid out makes no second row.
 */
#include "config.h"

#include <gtk/gtk.h>
#include <string.h>

#include "tea-message-slot.h"
#include "tea-test-util.h"

typedef struct
{
  GtkWindow *window;
  TeaMessageSlot *slot;
  guint frames;
} Fixture;

static void
collect_labels (GtkWidget *widget, GPtrArray *found)
{
  if (GTK_IS_LABEL (widget))
    g_ptr_array_add (found, widget);
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child; child = gtk_widget_get_next_sibling (child))
    collect_labels (child, found);
}

/* What the user reads in the slot: its visible row's body text. */
static const char *
shown_text (Fixture *f)
{
  g_autoptr (GPtrArray) labels = g_ptr_array_new ();
  GtkWidget *row = GTK_WIDGET (tea_message_slot_get_row (f->slot));

  g_assert_true (gtk_widget_get_visible (row));
  collect_labels (row, labels);
  for (guint i = 0; i < labels->len; i++)
    if (gtk_widget_has_css_class (labels->pdata[i], "body"))
      return gtk_label_get_text (labels->pdata[i]);
  g_assert_not_reached ();
}

/* The slot's rows, and how many of them are visible (always one). */
static guint
n_rows (Fixture *f)
{
  guint n = 0, visible = 0;

  for (GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (f->slot)); child;
       child = gtk_widget_get_next_sibling (child))
    {
      g_assert_true (TEA_IS_MESSAGE_ROW (child));
      n++;
      visible += gtk_widget_get_visible (child);
    }
  g_assert_cmpuint (visible, ==, 1);
  return n;
}

static void
on_after_paint (GdkFrameClock *clock, Fixture *f)
{
  f->frames++;
}

/* Waits for a frame to lay out and paint what changed. */
static void
lay_out (Fixture *f)
{
  guint before = f->frames;

  gtk_widget_queue_draw (GTK_WIDGET (f->window));
  while (f->frames == before)
    g_main_context_iteration (NULL, TRUE);
}

static TeaChatMessage *
text_message (guint64 seq, const char *text)
{
  TeaChatMessage *m = tea_chat_message_new (TEA_CHAT_MESSAGE_TEXT, seq, g_get_real_time () / 1000, "alice", text);

  tea_chat_message_set_first_in_group (m, TRUE);
  return m;
}

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  f->window = GTK_WINDOW (gtk_window_new ());
  gtk_window_set_default_size (f->window, 500, 200);
  f->slot = TEA_MESSAGE_SLOT (tea_message_slot_new ());
  gtk_window_set_child (f->window, GTK_WIDGET (f->slot));
  gtk_window_present (f->window);
  while (gtk_widget_get_frame_clock (GTK_WIDGET (f->window)) == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_signal_connect (gtk_widget_get_frame_clock (GTK_WIDGET (f->window)), "after-paint", G_CALLBACK (on_after_paint), f);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  gtk_window_destroy (f->window);
  tea_test_run_for (50);
}

static void
test_given_back (Fixture *f, gconstpointer data)
{
  g_autoptr (TeaChatMessage) a = text_message (1, "first line, about oolong");
  g_autoptr (TeaChatMessage) b = text_message (2, "second line, about sencha");
  TeaMessageRow *row_a, *row_b;

  tea_message_slot_set_message (f->slot, a);
  lay_out (f);
  row_a = tea_message_slot_get_row (f->slot);
  g_assert_cmpstr (shown_text (f), ==, "first line, about oolong");

  tea_message_slot_set_message (f->slot, b);
  lay_out (f);
  row_b = tea_message_slot_get_row (f->slot);
  g_assert_true (row_b != row_a);
  g_assert_cmpstr (shown_text (f), ==, "second line, about sencha");

  /* Given back, a shows from the row that had it, and b's is kept. */
  tea_message_slot_set_message (f->slot, a);
  g_assert_true (tea_message_slot_get_row (f->slot) == row_a);
  g_assert_true (tea_message_row_get_message (row_a) == a);
  lay_out (f);
  g_assert_cmpstr (shown_text (f), ==, "first line, about oolong");
  tea_message_slot_set_message (f->slot, b);
  g_assert_true (tea_message_slot_get_row (f->slot) == row_b);
  lay_out (f);
  g_assert_cmpstr (shown_text (f), ==, "second line, about sencha");
  g_assert_cmpuint (n_rows (f), ==, 2);

  /* A third message goes to the kept row, and the shown one is kept. */
  {
    g_autoptr (TeaChatMessage) c = text_message (3, "third line, about pu-erh");

    tea_message_slot_set_message (f->slot, c);
    g_assert_true (tea_message_slot_get_row (f->slot) == row_a);
    lay_out (f);
    g_assert_cmpstr (shown_text (f), ==, "third line, about pu-erh");
    g_assert_cmpuint (n_rows (f), ==, 2);
  }
}

static void
test_changed_while_kept (Fixture *f, gconstpointer data)
{
  g_autoptr (TeaChatMessage) a = text_message (1, "the water at 100 °C");
  g_autoptr (TeaChatMessage) b = text_message (2, "and steep it for five minutes");

  tea_message_slot_set_message (f->slot, a);
  lay_out (f);
  tea_message_slot_set_message (f->slot, b);
  lay_out (f);

  /* Edited while its row was kept out of sight: the kept row is stale. */
  tea_chat_message_mark_edited (a, "the water at 85 °C");
  tea_message_slot_set_message (f->slot, a);
  lay_out (f);
  g_assert_true (g_str_has_prefix (shown_text (f), "the water at 85 °C"));
  g_assert_nonnull (strstr (shown_text (f), "(edited)"));

  tea_chat_message_mark_deleted (b);
  tea_message_slot_set_message (f->slot, b);
  lay_out (f);
  g_assert_cmpstr (shown_text (f), ==, "This message was deleted");
  g_assert_cmpuint (n_rows (f), ==, 2);
}

static void
test_not_laid_out (Fixture *f, gconstpointer data)
{
  g_autoptr (TeaChatMessage) a = text_message (1, "bound first");
  g_autoptr (TeaChatMessage) b = text_message (2, "bound again before any frame");

  /* As a room switch does to each new slot: nothing to keep yet. */
  tea_message_slot_set_message (f->slot, a);
  tea_message_slot_set_message (f->slot, b);
  g_assert_cmpuint (n_rows (f), ==, 1);
  lay_out (f);
  g_assert_cmpstr (shown_text (f), ==, "bound again before any frame");
  /* The same message again changes nothing. */
  tea_message_slot_set_message (f->slot, b);
  g_assert_cmpuint (n_rows (f), ==, 1);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  gtk_init ();
  g_test_add ("/tea/slot/given-back", Fixture, NULL, fixture_set_up, test_given_back, fixture_tear_down);
  g_test_add ("/tea/slot/changed-while-kept", Fixture, NULL, fixture_set_up, test_changed_while_kept,
              fixture_tear_down);
  g_test_add ("/tea/slot/not-laid-out", Fixture, NULL, fixture_set_up, test_not_laid_out, fixture_tear_down);
  return g_test_run ();
}
