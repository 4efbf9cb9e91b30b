/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "tea-composer.h"
#include "tea-protocol.h"

/* The counter appears when a message gets this close to the limit. */
#define COUNTER_FROM (TEA_MAX_TEXT - 2048)

struct _TeaComposer
{
  GtkWidget parent_instance;

  TeaRoom *room;
  TeaChatMessage *editing;
  GtkWidget *box;
  GtkRevealer *edit_bar;
  GtkTextView *text_view;
  GtkLabel *placeholder;
  GtkLabel *counter;
  GtkWidget *send_button;
  gboolean has_preedit;
  gint history_index; /* -1: not browsing the history */
  GPtrArray *completions;
  guint completion_index;
  GtkTextMark *completion_start;
};

enum {
  SIGNAL_SEND,
  SIGNAL_EDIT_LAST,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (TeaComposer, tea_composer, GTK_TYPE_WIDGET)

static GtkTextBuffer *
buffer_of (TeaComposer *composer)
{
  return gtk_text_view_get_buffer (composer->text_view);
}

char *
tea_composer_get_text (TeaComposer *composer)
{
  GtkTextIter start, end;

  gtk_text_buffer_get_bounds (buffer_of (composer), &start, &end);
  return gtk_text_buffer_get_text (buffer_of (composer), &start, &end, FALSE);
}

void
tea_composer_set_text (TeaComposer *composer, const char *text)
{
  gtk_text_buffer_set_text (buffer_of (composer), text ? text : "", -1);
}

static gboolean
is_empty (TeaComposer *composer)
{
  return gtk_text_buffer_get_char_count (buffer_of (composer)) == 0;
}

static void
update_counter (TeaComposer *composer)
{
  g_autofree char *text = tea_composer_get_text (composer);
  gsize bytes = strlen (text);
  g_autofree char *label = g_strdup_printf ("%zu / %d", bytes, TEA_MAX_TEXT);

  gtk_label_set_text (composer->counter, label);
  gtk_widget_set_visible (GTK_WIDGET (composer->counter), bytes >= COUNTER_FROM);
  if (bytes > TEA_MAX_TEXT)
    gtk_widget_add_css_class (GTK_WIDGET (composer->counter), "error");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (composer->counter), "error");
  gtk_widget_set_sensitive (composer->send_button, bytes > 0 && bytes <= TEA_MAX_TEXT);
  gtk_widget_set_visible (GTK_WIDGET (composer->placeholder), bytes == 0 && !composer->has_preedit);
}

static void
reset_completion (TeaComposer *composer)
{
  g_clear_pointer (&composer->completions, g_ptr_array_unref);
  composer->completion_index = 0;
}

static void
on_buffer_changed (TeaComposer *composer)
{
  update_counter (composer);
}

static void
on_preedit_changed (GtkTextView *view, const char *preedit, TeaComposer *composer)
{
  composer->has_preedit = preedit && *preedit;
  update_counter (composer);
}

static void
send (TeaComposer *composer)
{
  g_autofree char *text = tea_composer_get_text (composer);
  g_autofree char *trimmed = g_strstrip (g_strdup (text));

  if (*trimmed == '\0' || strlen (text) > TEA_MAX_TEXT)
    return;
  if (composer->room && composer->editing == NULL)
    tea_room_remember_input (composer->room, text);
  composer->history_index = -1;
  g_signal_emit (composer, signals[SIGNAL_SEND], 0, text);
}

static void
browse_history (TeaComposer *composer, int direction)
{
  GPtrArray *history = composer->room ? tea_room_get_input_history (composer->room) : NULL;
  gint index;

  if (history == NULL || history->len == 0)
    return;
  index = composer->history_index < 0 ? (gint) history->len : composer->history_index;
  index += direction;
  if (index < 0)
    index = 0;
  if (index >= (gint) history->len)
    {
      composer->history_index = -1;
      tea_composer_set_text (composer, "");
      return;
    }
  composer->history_index = index;
  tea_composer_set_text (composer, g_ptr_array_index (history, index));
}

/* Tab completes a nick only when a partial word is right before the
 * cursor; otherwise Tab moves the focus, so keyboard users never get
 * trapped in the composer. */
static gboolean
complete_nick (TeaComposer *composer)
{
  GtkTextBuffer *buffer = buffer_of (composer);
  GtkTextIter cursor, start;
  g_autofree char *prefix = NULL;
  const char *nick;
  gboolean line_start;

  gtk_text_buffer_get_iter_at_mark (buffer, &cursor, gtk_text_buffer_get_insert (buffer));
  if (composer->completions == NULL)
    {
      start = cursor;
      while (!gtk_text_iter_starts_line (&start))
        {
          GtkTextIter prev = start;

          gtk_text_iter_backward_char (&prev);
          if (g_unichar_isspace (gtk_text_iter_get_char (&prev)))
            break;
          start = prev;
        }
      prefix = gtk_text_buffer_get_text (buffer, &start, &cursor, FALSE);
      if (*prefix == '\0' || composer->room == NULL)
        return FALSE;
      composer->completions = tea_room_complete_nick (composer->room, prefix);
      if (composer->completions->len == 0)
        {
          reset_completion (composer);
          return FALSE;
        }
      gtk_text_buffer_move_mark (buffer, composer->completion_start, &start);
    }
  gtk_text_buffer_get_iter_at_mark (buffer, &start, composer->completion_start);
  line_start = gtk_text_iter_starts_line (&start);
  nick = g_ptr_array_index (composer->completions, composer->completion_index % composer->completions->len);
  composer->completion_index++;
  /* Replacing the text would reset the completion state: keep it. */
  g_signal_handlers_block_by_func (buffer, reset_completion, composer);
  gtk_text_buffer_delete (buffer, &start, &cursor);
  gtk_text_buffer_insert (buffer, &start, nick, -1);
  /* "alice: " at the start of a line, as in chat, "alice " elsewhere. */
  gtk_text_buffer_insert (buffer, &start, line_start ? ": " : " ", -1);
  g_signal_handlers_unblock_by_func (buffer, reset_completion, composer);
  return TRUE;
}

static gboolean
on_key_pressed (GtkEventControllerKey *controller, guint keyval, guint keycode,
                GdkModifierType state, TeaComposer *composer)
{
  gboolean shift = state & GDK_SHIFT_MASK;
  gboolean ctrl = state & GDK_CONTROL_MASK;

  /* While an input method composes, Enter and arrows belong to it. */
  if (composer->has_preedit)
    return GDK_EVENT_PROPAGATE;
  switch (keyval)
    {
    case GDK_KEY_Return:
    case GDK_KEY_KP_Enter:
    case GDK_KEY_ISO_Enter:
      if (shift)
        return GDK_EVENT_PROPAGATE;
      send (composer);
      return GDK_EVENT_STOP;
    case GDK_KEY_Tab:
      if (shift || ctrl)
        return GDK_EVENT_PROPAGATE;
      return complete_nick (composer) ? GDK_EVENT_STOP : GDK_EVENT_PROPAGATE;
    case GDK_KEY_Up:
      if (ctrl)
        {
          browse_history (composer, -1);
          return GDK_EVENT_STOP;
        }
      if (is_empty (composer) && composer->editing == NULL)
        {
          g_signal_emit (composer, signals[SIGNAL_EDIT_LAST], 0);
          return GDK_EVENT_STOP;
        }
      return GDK_EVENT_PROPAGATE;
    case GDK_KEY_Down:
      if (ctrl)
        {
          browse_history (composer, 1);
          return GDK_EVENT_STOP;
        }
      return GDK_EVENT_PROPAGATE;
    case GDK_KEY_Escape:
      if (composer->editing)
        {
          tea_composer_end_edit (composer);
          tea_composer_set_text (composer, "");
          return GDK_EVENT_STOP;
        }
      return GDK_EVENT_PROPAGATE;
    default:
      return GDK_EVENT_PROPAGATE;
    }
}

void
tea_composer_set_room (TeaComposer *composer, TeaRoom *room)
{
  g_autofree char *text = NULL;
  g_autofree char *placeholder = NULL;

  if (composer->room == room)
    return;
  if (composer->room)
    {
      text = tea_composer_get_text (composer);
      tea_room_set_draft (composer->room, text);
    }
  tea_composer_end_edit (composer);
  reset_completion (composer);
  composer->history_index = -1;
  g_set_object (&composer->room, room);
  tea_composer_set_text (composer, room ? tea_room_get_draft (room) : "");
  /* Translators: the empty composer's hint; %s is the room's name */
  placeholder = room ? g_strdup_printf (_("Message %s"), tea_room_get_name (room)) : g_strdup ("");
  gtk_label_set_text (composer->placeholder, placeholder);
  gtk_accessible_update_property (GTK_ACCESSIBLE (composer->text_view), GTK_ACCESSIBLE_PROPERTY_LABEL, placeholder, -1);
}

void
tea_composer_begin_edit (TeaComposer *composer, TeaChatMessage *message)
{
  GtkTextIter end;

  g_set_object (&composer->editing, message);
  tea_composer_set_text (composer, tea_chat_message_get_text (message));
  gtk_text_buffer_get_end_iter (buffer_of (composer), &end);
  gtk_text_buffer_place_cursor (buffer_of (composer), &end);
  gtk_revealer_set_reveal_child (composer->edit_bar, TRUE);
  gtk_widget_grab_focus (GTK_WIDGET (composer->text_view));
}

void
tea_composer_end_edit (TeaComposer *composer)
{
  g_clear_object (&composer->editing);
  gtk_revealer_set_reveal_child (composer->edit_bar, FALSE);
}

TeaChatMessage *
tea_composer_get_editing (TeaComposer *composer)
{
  return composer->editing;
}

GtkTextView *
tea_composer_get_text_view (TeaComposer *composer)
{
  return composer->text_view;
}

gboolean
tea_composer_grab_focus (TeaComposer *composer)
{
  return gtk_widget_grab_focus (GTK_WIDGET (composer->text_view));
}

static void
on_send_clicked (GtkButton *button, TeaComposer *composer)
{
  send (composer);
  gtk_widget_grab_focus (GTK_WIDGET (composer->text_view));
}

static void
on_emoji_clicked (GtkButton *button, TeaComposer *composer)
{
  gtk_widget_activate_action (GTK_WIDGET (composer->text_view), "misc.insert-emoji", NULL);
}

static void
on_cancel_edit (GtkButton *button, TeaComposer *composer)
{
  tea_composer_end_edit (composer);
  tea_composer_set_text (composer, "");
  gtk_widget_grab_focus (GTK_WIDGET (composer->text_view));
}

/* ---- GObject ----------------------------------------------------------- */

static void
tea_composer_dispose (GObject *object)
{
  TeaComposer *composer = TEA_COMPOSER (object);

  g_clear_pointer (&composer->box, gtk_widget_unparent);
  g_clear_object (&composer->room);
  g_clear_object (&composer->editing);
  reset_completion (composer);
  G_OBJECT_CLASS (tea_composer_parent_class)->dispose (object);
}

static void
tea_composer_class_init (TeaComposerClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = tea_composer_dispose;
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "composer");

  /**
   * TeaComposer::send:
   * @text: what the user wrote
   *
   * Enter was pressed (or the send button): the window sends, or edits.
   */
  signals[SIGNAL_SEND] = g_signal_new ("send", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                       NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  /**
   * TeaComposer::edit-last:
   *
   * Up in an empty composer: the user wants to edit their last message.
   */
  signals[SIGNAL_EDIT_LAST] = g_signal_new ("edit-last", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                            NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static GtkWidget *
icon_button (const char *icon, const char *tooltip)
{
  GtkWidget *button = gtk_button_new_from_icon_name (icon);

  gtk_widget_set_tooltip_text (button, tooltip);
  gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL, tooltip, -1);
  gtk_widget_set_valign (button, GTK_ALIGN_END);
  return button;
}

static GtkWidget *
build_edit_bar (TeaComposer *composer)
{
  GtkWidget *bar = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *label = gtk_label_new (_("Editing your message. Escape cancels."));
  GtkWidget *cancel = icon_button ("window-close-symbolic", _("Cancel Editing"));

  gtk_widget_add_css_class (bar, "edit-bar");
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_widget_set_hexpand (label, TRUE);
  gtk_widget_add_css_class (cancel, "flat");
  g_signal_connect (cancel, "clicked", G_CALLBACK (on_cancel_edit), composer);
  gtk_box_append (GTK_BOX (bar), label);
  gtk_box_append (GTK_BOX (bar), cancel);
  composer->edit_bar = GTK_REVEALER (gtk_revealer_new ());
  gtk_revealer_set_child (composer->edit_bar, bar);
  return GTK_WIDGET (composer->edit_bar);
}

static GtkWidget *
build_text_view (TeaComposer *composer)
{
  GtkWidget *scroller = gtk_scrolled_window_new ();
  GtkWidget *overlay = gtk_overlay_new ();
  GtkEventController *keys = gtk_event_controller_key_new ();

  composer->text_view = GTK_TEXT_VIEW (gtk_text_view_new ());
  gtk_text_view_set_wrap_mode (composer->text_view, GTK_WRAP_WORD_CHAR);
  gtk_text_view_set_accepts_tab (composer->text_view, FALSE);
  gtk_text_view_set_top_margin (composer->text_view, 8);
  gtk_text_view_set_bottom_margin (composer->text_view, 8);
  gtk_text_view_set_left_margin (composer->text_view, 10);
  gtk_text_view_set_right_margin (composer->text_view, 10);
  /* Capture phase: Enter must be seen before the text view inserts it; the
   * preedit check above hands it back to an input method in use. */
  gtk_event_controller_set_propagation_phase (keys, GTK_PHASE_CAPTURE);
  g_signal_connect (keys, "key-pressed", G_CALLBACK (on_key_pressed), composer);
  gtk_widget_add_controller (GTK_WIDGET (composer->text_view), keys);
  g_signal_connect (composer->text_view, "preedit-changed", G_CALLBACK (on_preedit_changed), composer);
  g_signal_connect_swapped (buffer_of (composer), "changed", G_CALLBACK (on_buffer_changed), composer);
  g_signal_connect_swapped (buffer_of (composer), "changed", G_CALLBACK (reset_completion), composer);
  {
    GtkTextIter start;

    gtk_text_buffer_get_start_iter (buffer_of (composer), &start);
    composer->completion_start = gtk_text_buffer_create_mark (buffer_of (composer), NULL, &start, TRUE);
  }

  composer->placeholder = GTK_LABEL (gtk_label_new (NULL));
  gtk_widget_add_css_class (GTK_WIDGET (composer->placeholder), "placeholder");
  gtk_widget_set_halign (GTK_WIDGET (composer->placeholder), GTK_ALIGN_START);
  gtk_widget_set_valign (GTK_WIDGET (composer->placeholder), GTK_ALIGN_CENTER);
  gtk_widget_set_can_target (GTK_WIDGET (composer->placeholder), FALSE);
  gtk_accessible_update_state (GTK_ACCESSIBLE (composer->placeholder), GTK_ACCESSIBLE_STATE_HIDDEN, TRUE, -1);
  gtk_overlay_set_child (GTK_OVERLAY (overlay), GTK_WIDGET (composer->text_view));
  gtk_overlay_add_overlay (GTK_OVERLAY (overlay), GTK_WIDGET (composer->placeholder));

  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scroller), GTK_POLICY_NEVER, GTK_POLICY_AUTOMATIC);
  gtk_scrolled_window_set_propagate_natural_height (GTK_SCROLLED_WINDOW (scroller), TRUE);
  gtk_scrolled_window_set_max_content_height (GTK_SCROLLED_WINDOW (scroller), 160);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scroller), overlay);
  gtk_widget_set_hexpand (scroller, TRUE);
  gtk_widget_add_css_class (scroller, "entry-frame");
  return scroller;
}

static void
tea_composer_init (TeaComposer *composer)
{
  GtkWidget *row = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *emoji = icon_button ("face-smile-symbolic", _("Insert Emoji"));

  composer->history_index = -1;
  composer->box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  gtk_widget_set_parent (composer->box, GTK_WIDGET (composer));
  gtk_box_append (GTK_BOX (composer->box), build_edit_bar (composer));

  gtk_widget_add_css_class (emoji, "flat");
  g_signal_connect (emoji, "clicked", G_CALLBACK (on_emoji_clicked), composer);
  composer->counter = GTK_LABEL (gtk_label_new (NULL));
  gtk_widget_add_css_class (GTK_WIDGET (composer->counter), "counter");
  gtk_widget_set_valign (GTK_WIDGET (composer->counter), GTK_ALIGN_END);
  composer->send_button = icon_button ("document-send-symbolic", _("Send"));
  gtk_widget_add_css_class (composer->send_button, "suggested-action");
  gtk_widget_add_css_class (composer->send_button, "circular");
  g_signal_connect (composer->send_button, "clicked", G_CALLBACK (on_send_clicked), composer);

  gtk_box_append (GTK_BOX (row), emoji);
  gtk_box_append (GTK_BOX (row), build_text_view (composer));
  gtk_box_append (GTK_BOX (row), GTK_WIDGET (composer->counter));
  gtk_box_append (GTK_BOX (row), composer->send_button);
  gtk_widget_add_css_class (row, "composer-row");
  gtk_box_append (GTK_BOX (composer->box), row);
  update_counter (composer);
}
