/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "tea-message-row.h"
#include "tea-wrap-bin.h"
#include "tea-window.h"

#define N_COLORS 8

struct _TeaMessageRow
{
  GtkWidget parent_instance;

  TeaChatMessage *message;
  guint revision; /* the message's when bound */
  GtkLabel *avatar;
  GtkWidget *column;
  GtkWidget *header;
  GtkLabel *nick;
  GtkWidget *lock;
  GtkLabel *time;
  GtkLabel *body;
  TeaWrapBin *body_bin;
  GtkWidget *status_box;
  GtkLabel *status;
  GtkWidget *retry;
  GtkPopover *menu;
};

G_DEFINE_FINAL_TYPE (TeaMessageRow, tea_message_row, GTK_TYPE_WIDGET)

guint
tea_nick_color (const char *nick)
{
  g_autofree char *folded = g_utf8_casefold (nick ? nick : "", -1);
  return g_str_hash (folded) % N_COLORS;
}

static GRegex *
link_regex (void)
{
  static gsize once;
  static GRegex *regex;

  if (g_once_init_enter (&once))
    {
      regex = g_regex_new ("\\b(?:https?://|www\\.)[^\\s<>\"]+", G_REGEX_CASELESS | G_REGEX_OPTIMIZE, 0, NULL);
      g_once_init_leave (&once, 1);
    }
  return regex;
}

char *
tea_text_to_markup (const char *text)
{
  g_autoptr (GString) markup = g_string_new (NULL);
  g_autoptr (GMatchInfo) match = NULL;
  gsize done = 0;

  /* Escape everything; only the <a> elements made here are markup, so a
   * nick or message can never inject any. */
  g_regex_match (link_regex (), text, 0, &match);
  while (g_match_info_matches (match))
    {
      gint start, end;
      g_autofree char *url = NULL;
      g_autofree char *href = NULL;
      g_autofree char *escaped_text = NULL;
      g_autofree char *escaped_href = NULL;
      g_autofree char *before = NULL;

      g_match_info_fetch_pos (match, 0, &start, &end);
      /* Sentence punctuation after a link is not part of it. */
      while (end > start && strchr (".,;:!?)]}'", text[end - 1]))
        end--;
      url = g_strndup (text + start, end - start);
      href = g_ascii_strncasecmp (url, "www.", 4) == 0 ? g_strconcat ("https://", url, NULL) : g_strdup (url);
      before = g_markup_escape_text (text + done, start - done);
      escaped_text = g_markup_escape_text (url, -1);
      escaped_href = g_markup_escape_text (href, -1);
      g_string_append_printf (markup, "%s<a href=\"%s\">%s</a>", before, escaped_href, escaped_text);
      done = end;
      g_match_info_next (match, NULL);
    }
  {
    g_autofree char *rest = g_markup_escape_text (text + done, -1);
    g_string_append (markup, rest);
  }
  return g_string_free (g_steal_pointer (&markup), FALSE);
}

static gboolean
on_activate_link (GtkLabel *label, const char *uri, gpointer user_data)
{
  /* GIO, not gtk_show_uri: it is not deprecated, and inside the Flatpak it
   * goes through the OpenURI portal. */
  g_app_info_launch_default_for_uri_async (uri, NULL, NULL, NULL, NULL);
  return TRUE;
}

static char *
format_time (gint64 time_ms, const char *format)
{
  g_autoptr (GDateTime) local = tea_local_date_time (time_ms);

  return local ? g_date_time_format (local, format) : g_strdup ("");
}

/* Whole calendar days from a to b, across year ends too. */
static gint
calendar_days_between (GDateTime *a, GDateTime *b)
{
  GDate date_a, date_b;

  g_date_clear (&date_a, 1);
  g_date_clear (&date_b, 1);
  g_date_set_dmy (&date_a, g_date_time_get_day_of_month (a), g_date_time_get_month (a), g_date_time_get_year (a));
  g_date_set_dmy (&date_b, g_date_time_get_day_of_month (b), g_date_time_get_month (b), g_date_time_get_year (b));
  return g_date_days_between (&date_a, &date_b);
}

static char *
format_day (gint64 time_ms)
{
  g_autoptr (GDateTime) now = tea_local_date_time (g_get_real_time () / 1000);
  g_autoptr (GDateTime) day = tea_local_date_time (time_ms);
  gint days = day ? calendar_days_between (day, now) : 0;

  if (days == 0)
    return g_strdup (_("Today"));
  if (days == 1)
    return g_strdup (_("Yesterday"));
  /* Translators: a day separator in the chat, a g_date_time_format()
   * format ("Monday 23/11/2026"); reorder or replace the fields freely */
  /* xgettext:no-c-format */
  return g_date_time_format (day, _("%A %x"));
}

static void
set_classes (TeaMessageRow *row, const char *kind_class)
{
  static const char *kinds[] = { "text", "action", "notice", "day", "gap", "status", "mention", "own", "pending", "failed", "first", NULL };

  for (guint i = 0; kinds[i]; i++)
    gtk_widget_remove_css_class (GTK_WIDGET (row), kinds[i]);
  gtk_widget_add_css_class (GTK_WIDGET (row), kind_class);
}

static void
set_color (GtkWidget *widget, guint color)
{
  for (guint i = 0; i < N_COLORS; i++)
    {
      char name[16];

      g_snprintf (name, sizeof name, "color-%u", i);
      if (i == color)
        gtk_widget_add_css_class (widget, name);
      else
        gtk_widget_remove_css_class (widget, name);
    }
}

static void
show_avatar (TeaMessageRow *row, const char *nick, gboolean first)
{
  gunichar initial = g_unichar_toupper (g_utf8_get_char_validated (nick, -1));
  char text[8] = { 0 };

  if (initial == (gunichar) -1 || initial == (gunichar) -2 || initial == 0)
    initial = '?';
  g_unichar_to_utf8 (initial, text);
  gtk_label_set_text (row->avatar, first ? text : "");
  gtk_widget_set_opacity (GTK_WIDGET (row->avatar), first ? 1.0 : 0.0);
  set_color (GTK_WIDGET (row->avatar), tea_nick_color (nick));
}

static void
show_lock (TeaMessageRow *row, gboolean unencrypted)
{
  /* The tooltip is set only when first needed: setting one asks the X
   * server where the pointer is, a round trip for each of the 200 rows a
   * room switch creates. */
  if (unencrypted && !gtk_widget_get_has_tooltip (row->lock))
    gtk_widget_set_tooltip_text (row->lock, _("Unencrypted: sent by a client that cannot encrypt"));
  gtk_widget_set_visible (row->lock, unencrypted);
}

static void
bind_text (TeaMessageRow *row, TeaChatMessage *m)
{
  gboolean first = tea_chat_message_get_first_in_group (m);
  const char *nick = tea_chat_message_get_nick (m);
  g_autofree char *time = format_time (tea_chat_message_get_time (m), "%H:%M");
  g_autofree char *markup = NULL;

  show_avatar (row, nick, first);
  gtk_widget_set_visible (GTK_WIDGET (row->avatar), TRUE);
  gtk_widget_set_visible (row->header, first);
  gtk_label_set_text (row->nick, nick);
  set_color (GTK_WIDGET (row->nick), tea_nick_color (nick));
  gtk_label_set_text (row->time, time);
  show_lock (row, tea_chat_message_get_unencrypted (m));

  if (tea_chat_message_get_deleted (m))
    {
      markup = g_markup_printf_escaped ("<i>%s</i>", _("This message was deleted"));
    }
  else
    {
      g_autofree char *text = tea_text_to_markup (tea_chat_message_get_text (m));

      if (tea_chat_message_get_kind (m) == TEA_CHAT_MESSAGE_ACTION)
        {
          g_autofree char *who = g_markup_escape_text (nick, -1);
          markup = g_strdup_printf ("<i>%s %s</i>", who, text);
        }
      else
        {
          markup = g_steal_pointer (&text);
        }
      if (tea_chat_message_get_edited (m))
        {
          /* Translators: marks a message its author corrected */
          g_autofree char *suffix = g_markup_printf_escaped ("<span alpha=\"60%%\" size=\"small\">%s</span>",
                                                             _("(edited)"));
          g_autofree char *with = g_strconcat (markup, " ", suffix, NULL);
          g_free (markup);
          markup = g_steal_pointer (&with);
        }
    }
  gtk_label_set_markup (row->body, markup);
  gtk_label_set_xalign (row->body, 0);
  gtk_label_set_selectable (row->body, TRUE);
}

static void build_status (TeaMessageRow *row);

static void
hide_status (TeaMessageRow *row)
{
  if (row->status_box)
    gtk_widget_set_visible (row->status_box, FALSE);
}

static void
bind_state (TeaMessageRow *row, TeaChatMessage *m)
{
  switch (tea_chat_message_get_state (m))
    {
    case TEA_CHAT_MESSAGE_PENDING:
      build_status (row);
      /* Request 0: typed while disconnected, it goes out on reconnection. */
      gtk_label_set_text (row->status, tea_chat_message_get_req_id (m) ? _("Sending…")
                                                                       : _("Waiting for the connection…"));
      gtk_widget_set_visible (row->retry, FALSE);
      gtk_widget_set_visible (row->status_box, TRUE);
      gtk_widget_add_css_class (GTK_WIDGET (row), "pending");
      break;
    case TEA_CHAT_MESSAGE_FAILED:
      {
        const char *why = tea_chat_message_get_error (m);
        /* Translators: under an own message the server did not accept or
         * never got; %s is why, e.g. "not connected" */
        g_autofree char *text = why ? g_strdup_printf (_("Not delivered: %s"), why) : g_strdup (_("Not delivered"));

        build_status (row);
        gtk_label_set_text (row->status, text);
        gtk_widget_set_visible (row->retry, TRUE);
        gtk_widget_set_visible (row->status_box, TRUE);
        gtk_widget_add_css_class (GTK_WIDGET (row), "failed");
      }
      break;
    case TEA_CHAT_MESSAGE_DELIVERED:
    default:
      hide_status (row);
      break;
    }
}

static void
bind_line (TeaMessageRow *row, TeaChatMessage *m)
{
  g_autofree char *text = NULL;

  gtk_widget_set_visible (GTK_WIDGET (row->avatar), FALSE);
  gtk_widget_set_visible (row->header, FALSE);
  hide_status (row);
  gtk_label_set_selectable (row->body, FALSE);
  if (tea_chat_message_get_kind (m) == TEA_CHAT_MESSAGE_DAY)
    {
      text = format_day (tea_chat_message_get_time (m));
      gtk_label_set_xalign (row->body, 0.5);
    }
  else
    {
      g_autofree char *time = format_time (tea_chat_message_get_time (m), "%H:%M");

      /* Translators: a notice line: the time, then what happened */
      text = g_strdup_printf (_("%s · %s"), time, tea_chat_message_get_text (m));
      gtk_label_set_xalign (row->body, 0);
    }
  gtk_label_set_text (row->body, text);
}

static void
update_accessible (TeaMessageRow *row, TeaChatMessage *m)
{
  g_autofree char *time = format_time (tea_chat_message_get_time (m), "%H:%M");
  g_autofree char *label = NULL;

  if (tea_chat_message_get_kind (m) == TEA_CHAT_MESSAGE_TEXT || tea_chat_message_get_kind (m) == TEA_CHAT_MESSAGE_ACTION)
    /* Translators: how a screen reader reads a message: who, when, what */
    label = g_strdup_printf (_("%s at %s: %s"), tea_chat_message_get_nick (m), time, tea_chat_message_get_text (m));
  else
    label = g_strdup (tea_chat_message_get_text (m));
  gtk_accessible_update_property (GTK_ACCESSIBLE (row), GTK_ACCESSIBLE_PROPERTY_LABEL, label, -1);
}

void
tea_message_row_set_message (TeaMessageRow *row, TeaChatMessage *message)
{
  static const char *kind_classes[] = { "text", "action", "notice", "day", "gap", "status" };
  TeaChatMessageKind kind;

  g_set_object (&row->message, message);
  if (message == NULL)
    return;
  row->revision = tea_chat_message_get_revision (message);
  kind = tea_chat_message_get_kind (message);
  set_classes (row, kind_classes[kind]);
  if (kind == TEA_CHAT_MESSAGE_TEXT || kind == TEA_CHAT_MESSAGE_ACTION)
    {
      bind_text (row, message);
      bind_state (row, message);
      if (tea_chat_message_get_first_in_group (message))
        gtk_widget_add_css_class (GTK_WIDGET (row), "first");
      if (tea_chat_message_get_mention (message))
        gtk_widget_add_css_class (GTK_WIDGET (row), "mention");
      if (tea_chat_message_get_own (message))
        gtk_widget_add_css_class (GTK_WIDGET (row), "own");
    }
  else
    {
      bind_line (row, message);
    }
  update_accessible (row, message);
  {
    /* The kind sets the text's font and margins. */
    g_autofree char *key = g_strdup_printf ("%s %d %s", kind_classes[kind], gtk_label_get_use_markup (row->body),
                                            gtk_label_get_label (row->body));
    tea_wrap_bin_set_text_key (row->body_bin, key);
  }
}

TeaChatMessage *
tea_message_row_get_message (TeaMessageRow *row)
{
  return row->message;
}

gboolean
tea_message_row_shows (TeaMessageRow *row, TeaChatMessage *message)
{
  return row->message == message && row->revision == tea_chat_message_get_revision (message);
}

/* ---- Actions ------------------------------------------------------------ */

static TeaWindow *
window_of (TeaMessageRow *row)
{
  return TEA_WINDOW (gtk_widget_get_ancestor (GTK_WIDGET (row), TEA_TYPE_WINDOW));
}

static void
retry_activated (GtkWidget *widget, const char *action, GVariant *parameter)
{
  TeaMessageRow *row = TEA_MESSAGE_ROW (widget);

  if (row->message && window_of (row))
    tea_window_retry_message (window_of (row), row->message);
}

static void
edit_activated (GtkWidget *widget, const char *action, GVariant *parameter)
{
  TeaMessageRow *row = TEA_MESSAGE_ROW (widget);

  if (row->message && window_of (row))
    tea_window_edit_message (window_of (row), row->message);
}

static void
delete_activated (GtkWidget *widget, const char *action, GVariant *parameter)
{
  TeaMessageRow *row = TEA_MESSAGE_ROW (widget);

  if (row->message && window_of (row))
    tea_window_delete_message (window_of (row), row->message);
}

static void
copy_activated (GtkWidget *widget, const char *action, GVariant *parameter)
{
  TeaMessageRow *row = TEA_MESSAGE_ROW (widget);

  if (row->message)
    gdk_clipboard_set_text (gtk_widget_get_clipboard (widget), tea_chat_message_get_text (row->message));
}

static void
show_menu (TeaMessageRow *row, double x, double y)
{
  g_autoptr (GMenu) menu = g_menu_new ();
  TeaChatMessageKind kind;

  if (row->message == NULL)
    return;
  kind = tea_chat_message_get_kind (row->message);
  if (kind != TEA_CHAT_MESSAGE_TEXT && kind != TEA_CHAT_MESSAGE_ACTION)
    return;
  g_menu_append (menu, _("_Copy Text"), "row.copy");
  if (tea_chat_message_get_state (row->message) == TEA_CHAT_MESSAGE_FAILED)
    g_menu_append (menu, _("_Retry"), "row.retry");
  if (window_of (row) && tea_window_can_edit (window_of (row), row->message))
    {
      g_menu_append (menu, _("_Edit"), "row.edit");
      g_menu_append (menu, _("_Delete"), "row.delete");
    }
  if (row->menu == NULL)
    {
      row->menu = GTK_POPOVER (gtk_popover_menu_new_from_model (NULL));
      gtk_widget_set_parent (GTK_WIDGET (row->menu), GTK_WIDGET (row));
      gtk_popover_set_has_arrow (row->menu, FALSE);
    }
  gtk_popover_menu_set_menu_model (GTK_POPOVER_MENU (row->menu), G_MENU_MODEL (menu));
  gtk_popover_set_pointing_to (row->menu, &(GdkRectangle) { x, y, 1, 1 });
  gtk_popover_popup (row->menu);
}

static void
on_right_click (GtkGestureClick *gesture, int n_press, double x, double y, TeaMessageRow *row)
{
  show_menu (row, x, y);
}

static void
menu_activated (GtkWidget *widget, const char *action, GVariant *parameter)
{
  show_menu (TEA_MESSAGE_ROW (widget), 24, 12);
}

/* ---- Layout ------------------------------------------------------------- */

/* The row lays out its avatar and text column itself rather than in a
 * horizontal GtkBox: asked for its height, GTK 4.8's box searches for the
 * column's width by measuring it at a dozen trial heights, each of which
 * measures every wrapped text at a dozen trial widths. That was 20 text
 * measurements a row and most of the cost of showing a room. Here each
 * child is measured once, at the width it will get. */
#define AVATAR_SPACING 12

static int
avatar_width (TeaMessageRow *row)
{
  int width = 0;

  if (gtk_widget_should_layout (GTK_WIDGET (row->avatar)))
    gtk_widget_measure (GTK_WIDGET (row->avatar), GTK_ORIENTATION_HORIZONTAL, -1, NULL, &width, NULL, NULL);
  return width;
}

static int
column_x (TeaMessageRow *row)
{
  int width = avatar_width (row);

  return width > 0 ? width + AVATAR_SPACING : 0;
}

static void
tea_message_row_measure (GtkWidget *widget, GtkOrientation orientation, int for_size, int *minimum, int *natural,
                         int *minimum_baseline, int *natural_baseline)
{
  TeaMessageRow *row = TEA_MESSAGE_ROW (widget);
  int x = column_x (row);
  int column_min = 0, column_nat = 0;

  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    {
      gtk_widget_measure (row->column, orientation, -1, &column_min, &column_nat, NULL, NULL);
      *minimum = x + column_min;
      *natural = x + column_nat;
      return;
    }
  gtk_widget_measure (row->column, orientation, for_size < 0 ? -1 : MAX (for_size - x, 0), &column_min, &column_nat,
                      NULL, NULL);
  *minimum = column_min;
  *natural = column_nat;
  if (gtk_widget_should_layout (GTK_WIDGET (row->avatar)))
    {
      int avatar_min, avatar_nat;

      gtk_widget_measure (GTK_WIDGET (row->avatar), orientation, -1, &avatar_min, &avatar_nat, NULL, NULL);
      *minimum = MAX (*minimum, avatar_min);
      *natural = MAX (*natural, avatar_nat);
    }
}

static void
tea_message_row_size_allocate (GtkWidget *widget, int width, int height, int baseline)
{
  TeaMessageRow *row = TEA_MESSAGE_ROW (widget);
  int x = column_x (row);

  if (gtk_widget_should_layout (GTK_WIDGET (row->avatar)))
    {
      int avatar_height;

      gtk_widget_measure (GTK_WIDGET (row->avatar), GTK_ORIENTATION_VERTICAL, -1, NULL, &avatar_height, NULL, NULL);
      gtk_widget_size_allocate (GTK_WIDGET (row->avatar),
                                &(GtkAllocation) { 0, 0, x - AVATAR_SPACING, MIN (avatar_height, height) }, -1);
    }
  gtk_widget_size_allocate (row->column, &(GtkAllocation) { x, 0, MAX (width - x, 0), height }, -1);
  if (row->menu)
    gtk_popover_present (row->menu);
}

static GtkSizeRequestMode
tea_message_row_get_request_mode (GtkWidget *widget)
{
  return GTK_SIZE_REQUEST_HEIGHT_FOR_WIDTH;
}

/* ---- GObject ------------------------------------------------------------ */

static void
tea_message_row_dispose (GObject *object)
{
  TeaMessageRow *row = TEA_MESSAGE_ROW (object);

  g_clear_pointer ((GtkWidget **) &row->avatar, gtk_widget_unparent);
  g_clear_pointer (&row->column, gtk_widget_unparent);
  g_clear_pointer ((GtkWidget **) &row->menu, gtk_widget_unparent);
  g_clear_object (&row->message);
  G_OBJECT_CLASS (tea_message_row_parent_class)->dispose (object);
}

static void
tea_message_row_class_init (TeaMessageRowClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = tea_message_row_dispose;
  widget_class->measure = tea_message_row_measure;
  widget_class->size_allocate = tea_message_row_size_allocate;
  widget_class->get_request_mode = tea_message_row_get_request_mode;
  gtk_widget_class_set_css_name (widget_class, "messagerow");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);
  gtk_widget_class_install_action (widget_class, "row.retry", NULL, retry_activated);
  gtk_widget_class_install_action (widget_class, "row.edit", NULL, edit_activated);
  gtk_widget_class_install_action (widget_class, "row.delete", NULL, delete_activated);
  gtk_widget_class_install_action (widget_class, "row.copy", NULL, copy_activated);
  gtk_widget_class_install_action (widget_class, "row.menu", NULL, menu_activated);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_F10, GDK_SHIFT_MASK, "row.menu", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Menu, 0, "row.menu", NULL);
}

static GtkLabel *
label_with_class (const char *css_class)
{
  GtkLabel *label = GTK_LABEL (gtk_label_new (NULL));

  gtk_widget_add_css_class (GTK_WIDGET (label), css_class);
  gtk_label_set_xalign (label, 0);
  return label;
}

static void
build_header (TeaMessageRow *row)
{
  row->header = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  row->nick = label_with_class ("nick");
  gtk_label_set_ellipsize (row->nick, PANGO_ELLIPSIZE_END);
  row->lock = gtk_image_new_from_icon_name ("channel-insecure-symbolic");
  gtk_accessible_update_property (GTK_ACCESSIBLE (row->lock), GTK_ACCESSIBLE_PROPERTY_LABEL, _("Unencrypted"), -1);
  row->time = label_with_class ("time");
  gtk_box_append (GTK_BOX (row->header), GTK_WIDGET (row->nick));
  gtk_box_append (GTK_BOX (row->header), row->lock);
  gtk_box_append (GTK_BOX (row->header), GTK_WIDGET (row->time));
}

/* Only own messages not yet delivered have a status line: it is made when
 * first needed, so the 200 rows a room switch creates do not each make a
 * button. */
static void
build_status (TeaMessageRow *row)
{
  if (row->status_box)
    return;
  row->status_box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  row->status = label_with_class ("delivery");
  gtk_label_set_wrap (row->status, TRUE);
  /* A wrapping label would otherwise shrink to its longest word. */
  gtk_label_set_width_chars (row->status, 24);
  gtk_label_set_max_width_chars (row->status, 60);
  row->retry = gtk_button_new_with_mnemonic (_("_Retry"));
  gtk_actionable_set_action_name (GTK_ACTIONABLE (row->retry), "row.retry");
  gtk_widget_add_css_class (row->retry, "flat");
  gtk_widget_add_css_class (row->retry, "small");
  gtk_box_append (GTK_BOX (row->status_box), GTK_WIDGET (row->status));
  gtk_box_append (GTK_BOX (row->status_box), row->retry);
  gtk_box_append (GTK_BOX (row->column), row->status_box);
}

static void
tea_message_row_init (TeaMessageRow *row)
{
  GtkGesture *click = gtk_gesture_click_new ();

  row->avatar = label_with_class ("avatar");
  gtk_widget_set_valign (GTK_WIDGET (row->avatar), GTK_ALIGN_START);
  gtk_label_set_xalign (row->avatar, 0.5);
  gtk_accessible_update_state (GTK_ACCESSIBLE (row->avatar), GTK_ACCESSIBLE_STATE_HIDDEN, TRUE, -1);
  build_header (row);
  row->body = label_with_class ("body");
  gtk_label_set_wrap (row->body, TRUE);
  gtk_label_set_wrap_mode (row->body, PANGO_WRAP_WORD_CHAR);
  /* GTK measures a label's minimum width before every height, and without
   * width-chars that means the text laid out one character a line, the
   * slowest thing a label does. TeaWrapBin ignores the result; sixteen
   * characters is narrower than any column the window allows, and with
   * max-width-chars the same the natural width costs no second layout. */
  gtk_label_set_width_chars (row->body, 16);
  gtk_label_set_max_width_chars (row->body, 16);
  gtk_widget_set_hexpand (GTK_WIDGET (row->body), TRUE);
  g_signal_connect (row->body, "activate-link", G_CALLBACK (on_activate_link), NULL);
  row->column = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  gtk_box_append (GTK_BOX (row->column), row->header);
  /* Measured only for its height at the width it gets (see TeaWrapBin). */
  row->body_bin = TEA_WRAP_BIN (tea_wrap_bin_new (GTK_WIDGET (row->body)));
  gtk_box_append (GTK_BOX (row->column), GTK_WIDGET (row->body_bin));
  gtk_widget_set_parent (GTK_WIDGET (row->avatar), GTK_WIDGET (row));
  gtk_widget_set_parent (row->column, GTK_WIDGET (row));

  gtk_gesture_single_set_button (GTK_GESTURE_SINGLE (click), GDK_BUTTON_SECONDARY);
  g_signal_connect (click, "pressed", G_CALLBACK (on_right_click), row);
  gtk_widget_add_controller (GTK_WIDGET (row), GTK_EVENT_CONTROLLER (click));
}

TeaMessageRow *
tea_message_row_new (void)
{
  return g_object_new (TEA_TYPE_MESSAGE_ROW, NULL);
}
