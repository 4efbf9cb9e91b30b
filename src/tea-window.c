/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <dlfcn.h>
#include <glib/gi18n.h>

#include "tea-clamp.h"
#include "tea-composer.h"
#include "tea-member.h"
#include "tea-message-slot.h"
#include "tea-room-browser.h"
#include "tea-room-row.h"
#include "tea-switcher.h"
#include "tea-welcome.h"
#include "tea-window.h"

struct _TeaWindow
{
  GtkApplicationWindow parent_instance;

  GSettings *settings;
  TeaChat *chat;
  TeaRoom *room;
  char *pending_selection; /* a room to show once it appears */
  GtkFilter *filter;       /* presence AND search */
  char *search_key;        /* folded search text, NULL when not searching */
  gboolean stick_to_bottom;
  guint countdown_id;

  GtkWidget *search_button;
  GtkWidget *members_button;
  GtkLabel *title_label;
  GtkLabel *subtitle_label;
  GtkStack *stack;
  TeaWelcome *welcome;
  GtkLabel *key_warning_title;
  GtkLabel *key_warning_label;
  GtkWidget *refuse_key_button;
  GtkWidget *trust_button;
  GtkRevealer *banner_revealer;
  GtkWidget *banner;
  GtkSpinner *banner_spinner;
  GtkLabel *banner_label;
  GtkWidget *banner_button;
  GtkWidget *host_box;
  GtkLabel *host_label;
  GtkListBox *room_list;
  GtkEntry *join_entry;
  GtkSearchBar *search_bar;
  GtkSearchEntry *search_entry;
  GtkScrolledWindow *message_scroller;
  GtkListView *message_view;
  GtkWidget *jump_button;
  TeaComposer *composer;
  GtkRevealer *members_revealer;
  GtkLabel *members_title;
  GtkListView *member_view;
};

G_DEFINE_FINAL_TYPE (TeaWindow, tea_window, GTK_TYPE_APPLICATION_WINDOW)

static TeaApplication *
app_of (TeaWindow *window)
{
  return TEA_APPLICATION (gtk_window_get_application (GTK_WINDOW (window)));
}

/* ---- Screen readers ----------------------------------------------------- */

/* gtk_accessible_announce() arrived in GTK 4.14; we build against 4.8, so
 * look it up at run time: announcements work wherever GTK is new enough
 * (the Flatpak), and nothing breaks where it is not. */
typedef void (*AnnounceFunc) (GtkAccessible *accessible, const char *message, int priority);

static void
announce (TeaWindow *window, const char *message)
{
  static AnnounceFunc func;
  static gsize looked_up;

  if (g_once_init_enter (&looked_up))
    {
      func = (AnnounceFunc) dlsym (RTLD_DEFAULT, "gtk_accessible_announce");
      g_once_init_leave (&looked_up, 1);
    }
  if (func)
    func (GTK_ACCESSIBLE (window), message, 1 /* GTK_ACCESSIBLE_ANNOUNCEMENT_PRIORITY_MEDIUM: polite */);
}

/* ---- The message view --------------------------------------------------- */

static gboolean
filter_line (gpointer item, gpointer user_data)
{
  TeaWindow *window = user_data;
  TeaChatMessage *message = item;
  g_autofree char *text = NULL;
  g_autofree char *nick = NULL;

  if (tea_chat_message_get_is_presence (message) && !g_settings_get_boolean (window->settings, "show-joins"))
    return FALSE;
  if (window->search_key == NULL)
    return TRUE;
  if (tea_chat_message_get_kind (message) == TEA_CHAT_MESSAGE_DAY)
    return FALSE;
  text = g_utf8_casefold (tea_chat_message_get_text (message), -1);
  nick = g_utf8_casefold (tea_chat_message_get_nick (message), -1);
  return strstr (text, window->search_key) != NULL || strstr (nick, window->search_key) != NULL;
}

static gboolean
filtering (TeaWindow *window)
{
  return window->search_key != NULL || !g_settings_get_boolean (window->settings, "show-joins");
}

static void
scroll_to_bottom (TeaWindow *window)
{
  GtkAdjustment *adjustment = gtk_scrolled_window_get_vadjustment (window->message_scroller);
  guint n = g_list_model_get_n_items (G_LIST_MODEL (gtk_list_view_get_model (window->message_view)));

  if (n > 0)
    gtk_widget_activate_action (GTK_WIDGET (window->message_view), "list.scroll-to-item", "u", n - 1);
  gtk_adjustment_set_value (adjustment, gtk_adjustment_get_upper (adjustment) - gtk_adjustment_get_page_size (adjustment));
  window->stick_to_bottom = TRUE;
}

static void
show_messages (TeaWindow *window)
{
  g_autoptr (GtkSelectionModel) selection = NULL;
  GListModel *model;

  if (window->room == NULL)
    {
      gtk_list_view_set_model (window->message_view, NULL);
      return;
    }
  model = G_LIST_MODEL (g_object_ref (tea_room_get_messages (window->room)));
  /* Without a filter the room's own list goes straight to the view: a
   * room of 100,000 lines then costs nothing to show. */
  if (filtering (window))
    model = G_LIST_MODEL (gtk_filter_list_model_new (model, g_object_ref (window->filter)));
  selection = GTK_SELECTION_MODEL (gtk_no_selection_new (model));
  gtk_list_view_set_model (window->message_view, selection);
  scroll_to_bottom (window);
}

static void
on_scrolled (GtkAdjustment *adjustment, TeaWindow *window)
{
  double bottom = gtk_adjustment_get_upper (adjustment) - gtk_adjustment_get_page_size (adjustment);

  window->stick_to_bottom = gtk_adjustment_get_value (adjustment) >= bottom - 4;
  gtk_widget_set_visible (window->jump_button, !window->stick_to_bottom);
}

static void
on_content_grew (GtkAdjustment *adjustment, GParamSpec *pspec, TeaWindow *window)
{
  /* New lines keep the view at the bottom only if it was there. */
  if (window->stick_to_bottom)
    gtk_adjustment_set_value (adjustment, gtk_adjustment_get_upper (adjustment) - gtk_adjustment_get_page_size (adjustment));
}

static void
setup_row (GtkSignalListItemFactory *factory, GtkListItem *item, gpointer user_data)
{
  gtk_list_item_set_child (item, tea_message_slot_new ());
  gtk_list_item_set_activatable (item, FALSE);
}

static void
bind_row (GtkSignalListItemFactory *factory, GtkListItem *item, gpointer user_data)
{
  tea_message_slot_set_message (TEA_MESSAGE_SLOT (gtk_list_item_get_child (item)), gtk_list_item_get_item (item));
}

/* ---- The member list ----------------------------------------------------- */

static void
setup_member (GtkSignalListItemFactory *factory, GtkListItem *item, gpointer user_data)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *label = gtk_label_new (NULL);
  GtkWidget *lock = gtk_image_new_from_icon_name ("channel-insecure-symbolic");

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
  gtk_widget_set_hexpand (label, TRUE);
  gtk_widget_set_tooltip_text (lock, _("Unencrypted: this person’s client cannot encrypt"));
  gtk_box_append (GTK_BOX (box), label);
  gtk_box_append (GTK_BOX (box), lock);
  gtk_list_item_set_child (item, box);
}

static void
bind_member (GtkSignalListItemFactory *factory, GtkListItem *item, gpointer user_data)
{
  TeaMember *member = gtk_list_item_get_item (item);
  GtkWidget *box = gtk_list_item_get_child (item);
  GtkWidget *label = gtk_widget_get_first_child (box);
  GtkWidget *lock = gtk_widget_get_last_child (box);
  g_autofree char *accessible = NULL;

  gtk_label_set_text (GTK_LABEL (label), tea_member_get_nick (member));
  gtk_widget_set_visible (lock, tea_member_get_unencrypted (member));
  /* Translators: a screen reader's reading of an unencrypted member */
  accessible = tea_member_get_unencrypted (member) ? g_strdup_printf (_("%s, unencrypted"), tea_member_get_nick (member))
                                                   : g_strdup (tea_member_get_nick (member));
  gtk_accessible_update_property (GTK_ACCESSIBLE (box), GTK_ACCESSIBLE_PROPERTY_LABEL, accessible, -1);
}

static void
update_members_title (TeaWindow *window)
{
  guint n = window->room ? g_list_model_get_n_items (tea_room_get_members (window->room)) : 0;
  g_autofree char *text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u person", "%u people", n), n);

  gtk_label_set_text (window->members_title, text);
}

/* ---- Rooms --------------------------------------------------------------- */

static void
update_title (TeaWindow *window)
{
  const char *topic = window->room ? tea_room_get_topic (window->room) : "";
  g_autofree char *subtitle = NULL;

  if (window->room && window->chat && tea_chat_room_is_private (window->chat, window->room))
    /* Translators: the subtitle of a private conversation */
    subtitle = g_strdup (_("Private conversation"));
  else
    subtitle = g_strdup (topic);
  gtk_label_set_text (window->title_label, window->room ? tea_room_get_name (window->room) : _("Teahouse"));
  gtk_label_set_text (window->subtitle_label, subtitle);
  gtk_widget_set_visible (GTK_WIDGET (window->subtitle_label), *subtitle != '\0');
  gtk_window_set_title (GTK_WINDOW (window), window->room ? tea_room_get_name (window->room) : _("Teahouse"));
}

static void
update_room_notify_action (TeaWindow *window)
{
  static const char *levels[] = { "all", "mentions", "off" };
  GAction *action = g_action_map_lookup_action (G_ACTION_MAP (window), "room-notify");
  TeaNotifyLevel level = TEA_NOTIFY_MENTIONS;
  g_autoptr (GVariant) saved = g_settings_get_value (window->settings, "room-notify-levels");
  const char *value = NULL;

  if (window->room && g_variant_lookup (saved, tea_room_get_name (window->room), "&s", &value))
    level = g_str_equal (value, "all") ? TEA_NOTIFY_ALL : g_str_equal (value, "off") ? TEA_NOTIFY_OFF : TEA_NOTIFY_MENTIONS;
  else
    level = g_settings_get_enum (window->settings, "notify-level");
  g_simple_action_set_state (G_SIMPLE_ACTION (action), g_variant_new_string (levels[level]));
  g_simple_action_set_enabled (G_SIMPLE_ACTION (action), window->room != NULL);
}

static void
update_active (TeaWindow *window)
{
  if (window->room)
    tea_room_set_active (window->room, gtk_window_is_active (GTK_WINDOW (window)) &&
                                         gtk_widget_get_visible (GTK_WIDGET (window)));
}

static void
set_room (TeaWindow *window, TeaRoom *room)
{
  if (window->room == room)
    return;
  if (window->room)
    {
      tea_room_set_active (window->room, FALSE);
      g_signal_handlers_disconnect_by_data (window->room, window);
      g_signal_handlers_disconnect_by_data (tea_room_get_members (window->room), window);
    }
  g_set_object (&window->room, room);
  tea_composer_set_room (window->composer, room);
  if (room)
    {
      g_autoptr (GtkSelectionModel) members = GTK_SELECTION_MODEL (gtk_no_selection_new (g_object_ref (tea_room_get_members (room))));

      g_signal_connect_swapped (room, "notify::topic", G_CALLBACK (update_title), window);
      g_signal_connect_swapped (tea_room_get_members (room), "items-changed", G_CALLBACK (update_members_title), window);
      gtk_list_view_set_model (window->member_view, members);
    }
  else
    {
      gtk_list_view_set_model (window->member_view, NULL);
    }
  show_messages (window);
  update_title (window);
  update_members_title (window);
  update_room_notify_action (window);
  update_active (window);
}

static TeaRoomRow *
row_for_room (TeaWindow *window, const char *name)
{
  for (int i = 0;; i++)
    {
      GtkListBoxRow *row = gtk_list_box_get_row_at_index (window->room_list, i);

      if (row == NULL)
        return NULL;
      if (g_utf8_collate (tea_room_get_name (tea_room_row_get_room (TEA_ROOM_ROW (row))), name) == 0)
        return TEA_ROOM_ROW (row);
    }
}

void
tea_window_select_room (TeaWindow *window, const char *name)
{
  TeaRoomRow *row;
  TeaRoom *room = window->chat ? tea_chat_find_room (window->chat, name) : NULL;

  if (room == NULL)
    {
      g_free (window->pending_selection);
      window->pending_selection = g_strdup (name);
      return;
    }
  row = row_for_room (window, tea_room_get_name (room));
  if (row)
    gtk_list_box_select_row (window->room_list, GTK_LIST_BOX_ROW (row));
}

TeaRoom *
tea_window_get_room (TeaWindow *window)
{
  return window->room;
}

static void
on_room_selected (GtkListBox *list, GtkListBoxRow *row, TeaWindow *window)
{
  set_room (window, row ? tea_room_row_get_room (TEA_ROOM_ROW (row)) : NULL);
  if (row)
    tea_composer_grab_focus (window->composer);
}

static GtkWidget *
create_room_row (gpointer item, gpointer user_data)
{
  TeaWindow *window = user_data;

  return GTK_WIDGET (tea_room_row_new (item, tea_chat_room_is_private (window->chat, item)));
}

static void
on_rooms_changed (GListModel *rooms, guint position, guint removed, guint added, TeaWindow *window)
{
  GtkListBoxRow *selected = gtk_list_box_get_selected_row (window->room_list);

  /* A newly opened room (joined, or a private message) is where the user
   * wants to be if they asked for it; otherwise keep the current one. */
  if (window->pending_selection)
    {
      g_autofree char *name = g_steal_pointer (&window->pending_selection);
      tea_window_select_room (window, name);
    }
  else if (added == 1 && removed == 0 && g_object_get_data (G_OBJECT (window), "follow-new-room"))
    {
      gtk_list_box_select_row (window->room_list, gtk_list_box_get_row_at_index (window->room_list, position));
      g_object_set_data (G_OBJECT (window), "follow-new-room", NULL);
    }
  else if (selected == NULL && g_list_model_get_n_items (rooms) > 0)
    {
      gtk_list_box_select_row (window->room_list, gtk_list_box_get_row_at_index (window->room_list, MIN (position, g_list_model_get_n_items (rooms) - 1)));
    }
}

static void
on_join_activate (GtkEntry *entry, TeaWindow *window)
{
  g_autofree char *name = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (entry))));

  if (*name == '\0' || window->chat == NULL)
    return;
  tea_window_select_room (window, name);
  if (tea_chat_find_room (window->chat, name) == NULL)
    {
      g_object_set_data (G_OBJECT (window), "follow-new-room", GINT_TO_POINTER (1));
      tea_chat_join (window->chat, name);
    }
  gtk_editable_set_text (GTK_EDITABLE (entry), "");
}

static void
on_join_icon (GtkEntry *entry, GtkEntryIconPosition position, TeaWindow *window)
{
  on_join_activate (entry, window);
}

/* ---- Sending ------------------------------------------------------------- */

/* A line in the room, only for whoever reads it here: why something
 * typed was not done. */
static void
say_why_not (TeaWindow *window, const GError *error)
{
  g_autoptr (TeaChatMessage) hint =
    tea_chat_message_new (TEA_CHAT_MESSAGE_STATUS, 0, g_get_real_time () / 1000, NULL, error->message);

  tea_room_add_message (window->room, hint);
}

static void
on_composer_send (TeaComposer *composer, const char *text, TeaWindow *window)
{
  TeaChatMessage *editing = tea_composer_get_editing (composer);
  g_autoptr (GError) error = NULL;

  if (window->chat == NULL || window->room == NULL)
    return;
  if (editing)
    {
      if (!tea_chat_edit (window->chat, window->room, editing, text, &error))
        {
          say_why_not (window, error);
          return; /* still editing, the text kept */
        }
      tea_composer_end_edit (composer);
    }
  else if (!tea_chat_send (window->chat, window->room, text, &error))
    {
      say_why_not (window, error);
      return; /* keep the text so it can be corrected */
    }
  g_object_set_data (G_OBJECT (window), "follow-new-room", GINT_TO_POINTER (g_str_has_prefix (text, "/join ") || g_str_has_prefix (text, "/msg ")));
  tea_composer_set_text (composer, "");
  scroll_to_bottom (window);
}

gboolean
tea_window_can_edit (TeaWindow *window, TeaChatMessage *message)
{
  return window->room && !tea_chat_room_is_private (window->chat, window->room) &&
         tea_message_list_last_own (tea_room_get_messages (window->room)) == message;
}

static void
on_composer_edit_last (TeaComposer *composer, TeaWindow *window)
{
  TeaChatMessage *last;

  if (window->room == NULL || tea_chat_room_is_private (window->chat, window->room))
    return;
  last = tea_message_list_last_own (tea_room_get_messages (window->room));
  if (last)
    tea_composer_begin_edit (composer, last);
}

void
tea_window_retry_message (TeaWindow *window, TeaChatMessage *message)
{
  if (window->chat && window->room)
    tea_chat_retry (window->chat, window->room, message);
}

void
tea_window_edit_message (TeaWindow *window, TeaChatMessage *message)
{
  if (tea_window_can_edit (window, message))
    tea_composer_begin_edit (window->composer, message);
}

void
tea_window_delete_message (TeaWindow *window, TeaChatMessage *message)
{
  g_autoptr (GError) error = NULL;

  if (tea_window_can_edit (window, message) && !tea_chat_delete (window->chat, window->room, message, &error))
    say_why_not (window, error);
}

/* ---- The connection ------------------------------------------------------ */

static void
show_banner (TeaWindow *window, const char *text, gboolean busy, gboolean can_retry, const char *css_class)
{
  gtk_label_set_text (window->banner_label, text);
  gtk_spinner_set_spinning (window->banner_spinner, busy);
  gtk_widget_set_visible (GTK_WIDGET (window->banner_spinner), busy);
  gtk_widget_set_visible (window->banner_button, can_retry);
  gtk_widget_remove_css_class (window->banner, "error");
  if (css_class)
    gtk_widget_add_css_class (window->banner, css_class);
  gtk_revealer_set_reveal_child (window->banner_revealer, TRUE);
}

/* A spinner keeps the frame clock running, hidden or not: stop it once
 * the banner has slid away, or the window paints 60 times a second. */
static void
on_banner_revealed (TeaWindow *window)
{
  if (!gtk_revealer_get_child_revealed (window->banner_revealer))
    gtk_spinner_set_spinning (window->banner_spinner, FALSE);
}

static void update_connection (TeaWindow *window);

static gboolean
on_countdown (gpointer user_data)
{
  update_connection (user_data);
  return G_SOURCE_CONTINUE;
}

static void
show_key_warning (TeaWindow *window, const GError *error)
{
  gtk_label_set_text (window->key_warning_title, error->code == TEA_CLIENT_ERROR_KEY_CHANGED
                                                   ? _("The Server’s Identity Has Changed")
                                                   : _("The Server Is Not the One the Link Named"));
  gtk_label_set_text (window->key_warning_label, error->message);
  /* A link's pin is not overridden from here: the link itself is suspect. */
  gtk_widget_set_visible (window->trust_button, error->code == TEA_CLIENT_ERROR_KEY_CHANGED);
  gtk_stack_set_visible_child_name (window->stack, "key-warning");
  /* The safe choice has the focus (the selectable text would otherwise
   * take it, and show itself all selected). */
  gtk_widget_grab_focus (window->refuse_key_button);
}

static void
show_reconnecting (TeaWindow *window, TeaClient *client, const GError *error)
{
  gint64 at = tea_client_get_reconnect_time (client);
  gint64 left = at ? (at - g_get_monotonic_time () + G_USEC_PER_SEC - 1) / G_USEC_PER_SEC : 0;
  g_autofree char *text = NULL;

  if (left > 0)
    /* Translators: %s says why the connection was lost */
    text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%s. Reconnecting in %ld second…",
                                         "%s. Reconnecting in %ld seconds…", left),
                            error ? error->message : _("Connection lost"), (long) left);
  else
    text = g_strdup_printf (_("%s. Reconnecting…"), error ? error->message : _("Connection lost"));
  show_banner (window, text, left <= 0, left > 0, NULL);
  if (window->countdown_id == 0)
    window->countdown_id = g_timeout_add_seconds (1, on_countdown, window);
}

static void
update_connection (TeaWindow *window)
{
  TeaClient *client = window->chat ? tea_chat_get_client (window->chat) : NULL;
  const GError *error = client ? tea_client_get_error (client) : NULL;
  g_autofree char *text = NULL;

  if (client == NULL)
    return;
  if (tea_client_get_state (client) != TEA_CLIENT_STATE_RECONNECTING)
    g_clear_handle_id (&window->countdown_id, g_source_remove);
  switch (tea_client_get_state (client))
    {
    case TEA_CLIENT_STATE_CONNECTING:
      text = g_strdup_printf (_("Connecting to %s…"), tea_client_get_host (client));
      show_banner (window, text, TRUE, FALSE, NULL);
      break;
    case TEA_CLIENT_STATE_CONNECTED:
      gtk_revealer_set_reveal_child (window->banner_revealer, FALSE);
      if (g_str_equal (gtk_stack_get_visible_child_name (window->stack), "key-warning"))
        gtk_stack_set_visible_child_name (window->stack, "chat");
      break;
    case TEA_CLIENT_STATE_RECONNECTING:
      show_reconnecting (window, client, error);
      break;
    case TEA_CLIENT_STATE_FAILED:
      if (error && (error->code == TEA_CLIENT_ERROR_KEY_CHANGED || error->code == TEA_CLIENT_ERROR_WRONG_KEY))
        {
          show_key_warning (window, error);
          break;
        }
      /* Translators: %s says why */
      text = g_strdup_printf (_("Cannot connect: %s"), error ? error->message : _("unknown error"));
      show_banner (window, text, FALSE, TRUE, "error");
      break;
    case TEA_CLIENT_STATE_DISCONNECTED:
      show_banner (window, _("Disconnected"), FALSE, TRUE, NULL);
      break;
    }
}

static void
on_message_added (TeaChat *chat, TeaRoom *room, TeaChatMessage *message, TeaWindow *window)
{
  g_autofree char *text = NULL;

  if (room != window->room || tea_chat_message_get_own (message) ||
      (tea_chat_message_get_kind (message) != TEA_CHAT_MESSAGE_TEXT &&
       tea_chat_message_get_kind (message) != TEA_CHAT_MESSAGE_ACTION))
    return;
  /* Translators: read out to screen reader users when a message arrives:
   * the sender's nickname, then the message */
  text = g_strdup_printf (C_("screen reader", "%s: %s"), tea_chat_message_get_nick (message),
                          tea_chat_message_get_text (message));
  announce (window, text);
}

static void
update_host (TeaWindow *window)
{
  g_autofree char *addresses = tea_application_dup_host_addresses (app_of (window));

  gtk_label_set_text (window->host_label, addresses ? addresses : "");
  gtk_widget_set_visible (window->host_box, addresses != NULL);
}

void
tea_window_set_chat (TeaWindow *window, TeaChat *chat)
{
  if (window->chat)
    {
      g_signal_handlers_disconnect_by_data (window->chat, window);
      g_signal_handlers_disconnect_by_data (tea_chat_get_rooms (window->chat), window);
    }
  set_room (window, NULL);
  g_set_object (&window->chat, chat);
  gtk_list_box_bind_model (window->room_list, chat ? tea_chat_get_rooms (chat) : NULL,
                           create_room_row, window, NULL);
  if (chat == NULL)
    return;
  g_signal_connect (tea_chat_get_rooms (chat), "items-changed", G_CALLBACK (on_rooms_changed), window);
  g_signal_connect_swapped (chat, "notify::state", G_CALLBACK (update_connection), window);
  g_signal_connect (chat, "message-added", G_CALLBACK (on_message_added), window);
  if (g_list_model_get_n_items (tea_chat_get_rooms (chat)) > 0)
    gtk_list_box_select_row (window->room_list, gtk_list_box_get_row_at_index (window->room_list, 0));
  gtk_stack_set_visible_child_name (window->stack, "chat");
  update_connection (window);
  update_host (window);
}

void
tea_window_show_welcome (TeaWindow *window)
{
  g_autofree char *nick = g_settings_get_string (window->settings, "nickname");
  g_autofree char *server = g_settings_get_string (window->settings, "server");

  tea_welcome_set_values (window->welcome, nick, server);
  gtk_stack_set_visible_child_name (window->stack, "welcome");
  tea_welcome_focus (window->welcome);
}

void
tea_window_show_error (TeaWindow *window, const char *title, const char *message)
{
  /* Translators: what failed, then why, e.g. "Cannot connect: the name cannot be found" */
  g_autofree char *text = g_strdup_printf (C_("error and its reason", "%s: %s"), title, message);

  if (g_str_equal (gtk_stack_get_visible_child_name (window->stack), "welcome"))
    tea_welcome_show_error (window->welcome, text);
  else
    show_banner (window, text, FALSE, FALSE, "error");
}

static void
on_welcome_connect (TeaWelcome *welcome, const char *nick, const char *server, gboolean host, TeaWindow *window)
{
  tea_application_start_chat (app_of (window), nick, server, host, NULL);
}

/* ---- Search ------------------------------------------------------------- */

static void
refilter (TeaWindow *window)
{
  gtk_filter_changed (window->filter, GTK_FILTER_CHANGE_DIFFERENT);
  show_messages (window);
}

static void
on_search_changed (GtkSearchEntry *entry, TeaWindow *window)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (entry));

  g_clear_pointer (&window->search_key, g_free);
  if (*text)
    window->search_key = g_utf8_casefold (text, -1);
  refilter (window);
}

static void
on_stop_search (GtkSearchEntry *entry, TeaWindow *window)
{
  gtk_search_bar_set_search_mode (window->search_bar, FALSE);
  tea_composer_grab_focus (window->composer);
}

/* ---- Actions ------------------------------------------------------------ */

static void
step_room (TeaWindow *window, int direction, gboolean unread_only)
{
  GtkListBoxRow *selected = gtk_list_box_get_selected_row (window->room_list);
  int n = window->chat ? g_list_model_get_n_items (tea_chat_get_rooms (window->chat)) : 0;
  int current = selected ? gtk_list_box_row_get_index (selected) : -1;

  for (int step = 1; step <= n; step++)
    {
      int index = ((current + direction * step) % n + n) % n;
      GtkListBoxRow *row = gtk_list_box_get_row_at_index (window->room_list, index);

      if (!unread_only || tea_room_get_unread (tea_room_row_get_room (TEA_ROOM_ROW (row))) > 0)
        {
          gtk_list_box_select_row (window->room_list, row);
          tea_composer_grab_focus (window->composer);
          return;
        }
    }
  gtk_widget_error_bell (GTK_WIDGET (window));
}

static void
next_room_activated (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  step_room (TEA_WINDOW (user_data), 1, FALSE);
}

static void
previous_room_activated (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  step_room (TEA_WINDOW (user_data), -1, FALSE);
}

static void
next_unread_activated (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  step_room (TEA_WINDOW (user_data), 1, TRUE);
}

static void
previous_unread_activated (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  step_room (TEA_WINDOW (user_data), -1, TRUE);
}

static void
on_switcher_chosen (TeaSwitcher *switcher, TeaRoom *room, TeaWindow *window)
{
  tea_window_select_room (window, tea_room_get_name (room));
  tea_composer_grab_focus (window->composer);
}

static void
switcher_activated (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  TeaWindow *window = TEA_WINDOW (user_data);
  TeaSwitcher *switcher;

  if (window->chat == NULL)
    return;
  switcher = tea_switcher_new (tea_chat_get_rooms (window->chat));
  gtk_window_set_transient_for (GTK_WINDOW (switcher), GTK_WINDOW (window));
  g_signal_connect_object (switcher, "room-chosen", G_CALLBACK (on_switcher_chosen), window, 0);
  gtk_window_present (GTK_WINDOW (switcher));
}

static void
on_browser_join (TeaRoomBrowser *browser, const char *room, TeaWindow *window)
{
  gtk_editable_set_text (GTK_EDITABLE (window->join_entry), room);
  on_join_activate (window->join_entry, window);
}

static void
browse_rooms_activated (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  TeaWindow *window = TEA_WINDOW (user_data);
  TeaRoomBrowser *browser;

  if (window->chat == NULL)
    return;
  browser = tea_room_browser_new (window->chat);
  gtk_window_set_transient_for (GTK_WINDOW (browser), GTK_WINDOW (window));
  gtk_window_set_modal (GTK_WINDOW (browser), TRUE);
  g_signal_connect_object (browser, "join", G_CALLBACK (on_browser_join), window, 0);
  gtk_window_present (GTK_WINDOW (browser));
}

static void
join_room_activated (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  gtk_widget_grab_focus (GTK_WIDGET (TEA_WINDOW (user_data)->join_entry));
}

static void
leave_room_activated (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  TeaWindow *window = TEA_WINDOW (user_data);

  if (window->chat && window->room)
    tea_chat_part (window->chat, window->room, NULL);
}

static void
jump_to_bottom_activated (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  scroll_to_bottom (TEA_WINDOW (user_data));
}

static void
show_welcome_activated (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  tea_window_show_welcome (TEA_WINDOW (user_data));
}

static void
retry_connection_activated (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  TeaWindow *window = TEA_WINDOW (user_data);

  if (window->chat)
    tea_client_reconnect_now (tea_chat_get_client (window->chat));
}

static void
trust_new_key_activated (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  TeaWindow *window = TEA_WINDOW (user_data);
  TeaClient *client = window->chat ? tea_chat_get_client (window->chat) : NULL;

  if (client == NULL)
    return;
  tea_client_set_accept_new_key (client, TRUE);
  tea_client_reconnect_now (client);
  gtk_stack_set_visible_child_name (window->stack, "chat");
}

static void
room_notify_changed (GSimpleAction *action, GVariant *value, gpointer user_data)
{
  TeaWindow *window = user_data;
  g_autoptr (GVariant) saved = g_settings_get_value (window->settings, "room-notify-levels");
  GVariantBuilder builder;
  GVariantIter iter;
  const char *room, *level;

  if (window->room == NULL)
    return;
  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a{ss}"));
  g_variant_iter_init (&iter, saved);
  while (g_variant_iter_next (&iter, "{&s&s}", &room, &level))
    if (g_strcmp0 (room, tea_room_get_name (window->room)) != 0)
      g_variant_builder_add (&builder, "{ss}", room, level);
  g_variant_builder_add (&builder, "{ss}", tea_room_get_name (window->room), g_variant_get_string (value, NULL));
  g_settings_set_value (window->settings, "room-notify-levels", g_variant_builder_end (&builder));
  g_simple_action_set_state (action, value);
}

static const GActionEntry window_actions[] = {
  { "room-notify", NULL, "s", "'mentions'", room_notify_changed, { 0 } },
  { "next-room", next_room_activated, NULL, NULL, NULL, { 0 } },
  { "previous-room", previous_room_activated, NULL, NULL, NULL, { 0 } },
  { "next-unread", next_unread_activated, NULL, NULL, NULL, { 0 } },
  { "previous-unread", previous_unread_activated, NULL, NULL, NULL, { 0 } },
  { "switcher", switcher_activated, NULL, NULL, NULL, { 0 } },
  { "browse-rooms", browse_rooms_activated, NULL, NULL, NULL, { 0 } },
  { "join-room", join_room_activated, NULL, NULL, NULL, { 0 } },
  { "leave-room", leave_room_activated, NULL, NULL, NULL, { 0 } },
  { "jump-to-bottom", jump_to_bottom_activated, NULL, NULL, NULL, { 0 } },
  { "show-welcome", show_welcome_activated, NULL, NULL, NULL, { 0 } },
  { "retry-connection", retry_connection_activated, NULL, NULL, NULL, { 0 } },
  { "trust-new-key", trust_new_key_activated, NULL, NULL, NULL, { 0 } },
};

void
tea_window_add_accels (GtkApplication *app)
{
  static const struct
  {
    const char *action;
    const char *accels[3];
  } accels[] = {
    { "win.search", { "<Control>f", NULL } },
    { "win.switcher", { "<Control>k", NULL } },
    { "win.join-room", { "<Control>j", NULL } },
    { "win.browse-rooms", { "<Control><Shift>l", NULL } },
    { "win.show-members", { "<Control><Shift>m", NULL } },
    { "win.jump-to-bottom", { "<Control>End", NULL } },
    { "win.previous-room", { "<Alt>Up", "<Control>Page_Up", NULL } },
    { "win.next-room", { "<Alt>Down", "<Control>Page_Down", NULL } },
    { "win.previous-unread", { "<Alt><Shift>Up", NULL } },
    { "win.next-unread", { "<Alt><Shift>Down", NULL } },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (accels); i++)
    gtk_application_set_accels_for_action (app, accels[i].action, accels[i].accels);
}

/* ---- GObject ------------------------------------------------------------ */

static gboolean
tea_window_close_request (GtkWindow *gtk_window)
{
  TeaWindow *window = TEA_WINDOW (gtk_window);
  int width, height;

  gtk_window_get_default_size (gtk_window, &width, &height);
  g_settings_set_int (window->settings, "window-width", width);
  g_settings_set_int (window->settings, "window-height", height);
  g_settings_set_boolean (window->settings, "window-maximized", gtk_window_is_maximized (gtk_window));
  if (tea_application_window_closing (app_of (window)))
    {
      gtk_widget_set_visible (GTK_WIDGET (window), FALSE);
      return TRUE;
    }
  return GTK_WINDOW_CLASS (tea_window_parent_class)->close_request (gtk_window);
}

static void
tea_window_dispose (GObject *object)
{
  TeaWindow *window = TEA_WINDOW (object);

  g_clear_handle_id (&window->countdown_id, g_source_remove);
  if (window->chat)
    {
      g_signal_handlers_disconnect_by_data (window->chat, window);
      g_signal_handlers_disconnect_by_data (tea_chat_get_rooms (window->chat), window);
    }
  if (window->room)
    {
      g_signal_handlers_disconnect_by_data (window->room, window);
      g_signal_handlers_disconnect_by_data (tea_room_get_members (window->room), window);
    }
  g_clear_object (&window->room);
  g_clear_object (&window->chat);
  /* GtkWindow lets go of its own children; disposing the template first
   * would pull them out from under it. */
  gtk_window_set_child (GTK_WINDOW (window), NULL);
  gtk_window_set_titlebar (GTK_WINDOW (window), NULL);
  gtk_widget_dispose_template (GTK_WIDGET (window), TEA_TYPE_WINDOW);
  G_OBJECT_CLASS (tea_window_parent_class)->dispose (object);
}

static void
tea_window_finalize (GObject *object)
{
  TeaWindow *window = TEA_WINDOW (object);

  g_clear_object (&window->filter);
  g_clear_object (&window->settings);
  g_free (window->search_key);
  g_free (window->pending_selection);
  G_OBJECT_CLASS (tea_window_parent_class)->finalize (object);
}

static void
tea_window_class_init (TeaWindowClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = tea_window_dispose;
  G_OBJECT_CLASS (klass)->finalize = tea_window_finalize;
  GTK_WINDOW_CLASS (klass)->close_request = tea_window_close_request;

  g_type_ensure (TEA_TYPE_CLAMP);
  g_type_ensure (TEA_TYPE_WELCOME);
  g_type_ensure (TEA_TYPE_COMPOSER);
  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/teahouse/Teahouse/tea-window.ui");
  gtk_widget_class_bind_template_child (widget_class, TeaWindow, search_button);
  gtk_widget_class_bind_template_child (widget_class, TeaWindow, members_button);
  gtk_widget_class_bind_template_child (widget_class, TeaWindow, title_label);
  gtk_widget_class_bind_template_child (widget_class, TeaWindow, subtitle_label);
  gtk_widget_class_bind_template_child (widget_class, TeaWindow, stack);
  gtk_widget_class_bind_template_child (widget_class, TeaWindow, welcome);
  gtk_widget_class_bind_template_child (widget_class, TeaWindow, key_warning_title);
  gtk_widget_class_bind_template_child (widget_class, TeaWindow, key_warning_label);
  gtk_widget_class_bind_template_child (widget_class, TeaWindow, refuse_key_button);
  gtk_widget_class_bind_template_child (widget_class, TeaWindow, trust_button);
  gtk_widget_class_bind_template_child (widget_class, TeaWindow, banner_revealer);
  gtk_widget_class_bind_template_child (widget_class, TeaWindow, banner);
  gtk_widget_class_bind_template_child (widget_class, TeaWindow, banner_spinner);
  gtk_widget_class_bind_template_child (widget_class, TeaWindow, banner_label);
  gtk_widget_class_bind_template_child (widget_class, TeaWindow, banner_button);
  gtk_widget_class_bind_template_child (widget_class, TeaWindow, host_box);
  gtk_widget_class_bind_template_child (widget_class, TeaWindow, host_label);
  gtk_widget_class_bind_template_child (widget_class, TeaWindow, room_list);
  gtk_widget_class_bind_template_child (widget_class, TeaWindow, join_entry);
  gtk_widget_class_bind_template_child (widget_class, TeaWindow, search_bar);
  gtk_widget_class_bind_template_child (widget_class, TeaWindow, search_entry);
  gtk_widget_class_bind_template_child (widget_class, TeaWindow, message_scroller);
  gtk_widget_class_bind_template_child (widget_class, TeaWindow, message_view);
  gtk_widget_class_bind_template_child (widget_class, TeaWindow, jump_button);
  gtk_widget_class_bind_template_child (widget_class, TeaWindow, composer);
  gtk_widget_class_bind_template_child (widget_class, TeaWindow, members_revealer);
  gtk_widget_class_bind_template_child (widget_class, TeaWindow, members_title);
  gtk_widget_class_bind_template_child (widget_class, TeaWindow, member_view);
  gtk_widget_class_bind_template_callback (widget_class, on_welcome_connect);
  gtk_widget_class_bind_template_callback (widget_class, on_room_selected);
  gtk_widget_class_bind_template_callback (widget_class, on_join_activate);
  gtk_widget_class_bind_template_callback (widget_class, on_join_icon);
  gtk_widget_class_bind_template_callback (widget_class, on_search_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_stop_search);
  gtk_widget_class_bind_template_callback (widget_class, on_composer_send);
  gtk_widget_class_bind_template_callback (widget_class, on_composer_edit_last);

}

static void
setup_message_view (TeaWindow *window)
{
  GtkListItemFactory *factory = gtk_signal_list_item_factory_new ();
  GtkAdjustment *adjustment = gtk_scrolled_window_get_vadjustment (window->message_scroller);

  g_signal_connect (factory, "setup", G_CALLBACK (setup_row), window);
  g_signal_connect (factory, "bind", G_CALLBACK (bind_row), window);
  gtk_list_view_set_factory (window->message_view, factory);
  g_object_unref (factory);
  g_signal_connect (adjustment, "value-changed", G_CALLBACK (on_scrolled), window);
  g_signal_connect (adjustment, "notify::upper", G_CALLBACK (on_content_grew), window);
  window->filter = GTK_FILTER (gtk_custom_filter_new (filter_line, window, NULL));

  factory = gtk_signal_list_item_factory_new ();
  g_signal_connect (factory, "setup", G_CALLBACK (setup_member), window);
  g_signal_connect (factory, "bind", G_CALLBACK (bind_member), window);
  gtk_list_view_set_factory (window->member_view, factory);
  g_object_unref (factory);
}

static void
setup_actions (TeaWindow *window)
{
  g_autoptr (GAction) members = g_settings_create_action (window->settings, "show-members");
  g_autoptr (GPropertyAction) search = g_property_action_new ("search", window->search_bar, "search-mode-enabled");

  g_action_map_add_action_entries (G_ACTION_MAP (window), window_actions, G_N_ELEMENTS (window_actions), window);
  g_action_map_add_action (G_ACTION_MAP (window), members);
  g_action_map_add_action (G_ACTION_MAP (window), G_ACTION (search));
  g_settings_bind (window->settings, "show-members", window->members_revealer, "reveal-child", G_SETTINGS_BIND_GET);
  g_signal_connect_swapped (window->settings, "changed::show-joins", G_CALLBACK (refilter), window);
  g_signal_connect_swapped (window->settings, "changed::room-notify-levels", G_CALLBACK (update_room_notify_action), window);
  g_signal_connect_swapped (window->settings, "changed::notify-level", G_CALLBACK (update_room_notify_action), window);
}

static void
on_page_changed (TeaWindow *window)
{
  gboolean chat = g_strcmp0 (gtk_stack_get_visible_child_name (window->stack), "chat") == 0;

  /* Search and the member list mean nothing on the welcome page. */
  gtk_widget_set_visible (window->search_button, chat);
  gtk_widget_set_visible (window->members_button, chat);
  if (!chat)
    {
      gtk_label_set_text (window->title_label, _("Teahouse"));
      gtk_widget_set_visible (GTK_WIDGET (window->subtitle_label), FALSE);
    }
  else
    {
      update_title (window);
    }
}

static void
tea_window_init (TeaWindow *window)
{
  gtk_widget_init_template (GTK_WIDGET (window));
  window->settings = g_settings_new (APPLICATION_ID);
  window->stick_to_bottom = TRUE;
  gtk_search_bar_connect_entry (window->search_bar, GTK_EDITABLE (window->search_entry));
  setup_message_view (window);
  setup_actions (window);
  g_signal_connect_swapped (window->stack, "notify::visible-child-name", G_CALLBACK (on_page_changed), window);
  g_signal_connect_swapped (window->banner_revealer, "notify::child-revealed", G_CALLBACK (on_banner_revealed), window);
  on_page_changed (window);
  g_signal_connect_swapped (window, "notify::is-active", G_CALLBACK (update_active), window);
  g_signal_connect_swapped (window, "notify::visible", G_CALLBACK (update_active), window);
  gtk_window_set_default_size (GTK_WINDOW (window), g_settings_get_int (window->settings, "window-width"),
                               g_settings_get_int (window->settings, "window-height"));
  if (g_settings_get_boolean (window->settings, "window-maximized"))
    gtk_window_maximize (GTK_WINDOW (window));
  update_room_notify_action (window);
}

TeaWindow *
tea_window_new (TeaApplication *app)
{
  TeaWindow *window = g_object_new (TEA_TYPE_WINDOW, "application", app, NULL);

  if (tea_application_get_chat (app) == NULL)
    tea_window_show_welcome (window);
  return window;
}
