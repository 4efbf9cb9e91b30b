/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "tea-room-browser.h"
#include "tea-room-listing.h"

/* How long the relay may take to answer before we say it is slow. */
#define SLOW_ANSWER_SECONDS 10

struct _TeaRoomBrowser
{
  GtkWindow parent_instance;

  TeaChat *chat;
  gulong room_list_handler;
  guint slow_source;
  guint focus_source;
  gboolean loading;
  char *search; /* case-folded; NULL shows every room */

  GListStore *rooms; /* TeaRoomListing, as the relay sent them */
  GtkCustomFilter *filter;
  GtkSingleSelection *selection;

  GtkButton *refresh_button;
  GtkButton *join_button;
  GtkSearchEntry *search_entry;
  GtkStack *stack;
  GtkSpinner *loading_spinner;
  GtkLabel *loading_label;
  GtkListView *list_view;
};

enum {
  PROP_0,
  PROP_CHAT,
  N_PROPS
};

enum {
  SIGNAL_JOIN,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (TeaRoomBrowser, tea_room_browser, GTK_TYPE_WINDOW)

static void
update_page (TeaRoomBrowser *browser)
{
  const char *page = "rooms";

  if (browser->loading)
    page = "loading";
  else if (g_list_model_get_n_items (G_LIST_MODEL (browser->rooms)) == 0)
    page = "empty";
  else if (g_list_model_get_n_items (G_LIST_MODEL (browser->selection)) == 0)
    page = "no-results";
  gtk_stack_set_visible_child_name (browser->stack, page);
  gtk_widget_set_sensitive (GTK_WIDGET (browser->join_button),
                            !browser->loading && gtk_single_selection_get_selected_item (browser->selection));
}

static void
select_position (TeaRoomBrowser *browser, guint position)
{
  if (position >= g_list_model_get_n_items (G_LIST_MODEL (browser->selection)))
    return;
  gtk_single_selection_set_selected (browser->selection, position);
  gtk_widget_activate_action (GTK_WIDGET (browser->list_view), "list.scroll-to-item", "u", position);
}

static void
move_selection (TeaRoomBrowser *browser, int delta)
{
  guint n_items = g_list_model_get_n_items (G_LIST_MODEL (browser->selection));
  guint selected = gtk_single_selection_get_selected (browser->selection);

  if (n_items == 0)
    return;
  if (selected == GTK_INVALID_LIST_POSITION)
    select_position (browser, 0);
  else if (delta < 0 && selected > 0)
    select_position (browser, selected - 1);
  else if (delta > 0 && selected + 1 < n_items)
    select_position (browser, selected + 1);
}

static gboolean
on_slow_answer (gpointer user_data)
{
  TeaRoomBrowser *browser = user_data;

  browser->slow_source = 0;
  gtk_label_set_text (browser->loading_label,
                      _("The server has not answered yet. It may be unreachable right now."));
  return G_SOURCE_REMOVE;
}

static void
set_loading (TeaRoomBrowser *browser, gboolean loading)
{
  browser->loading = loading;
  /* A spinner spins (and the window paints every frame) even on a page
   * that is not shown: only while loading. */
  gtk_spinner_set_spinning (browser->loading_spinner, loading);
  g_clear_handle_id (&browser->slow_source, g_source_remove);
  if (loading)
    {
      gtk_label_set_text (browser->loading_label, _("Asking the server for its rooms…"));
      browser->slow_source = g_timeout_add_seconds (SLOW_ANSWER_SECONDS, on_slow_answer, browser);
    }
  update_page (browser);
}

static void
refresh (TeaRoomBrowser *browser)
{
  set_loading (browser, TRUE);
  tea_chat_list_rooms (browser->chat);
}

static void
on_room_list (TeaChat *chat, GPtrArray *infos, TeaRoomBrowser *browser)
{
  g_autoptr (GPtrArray) items = g_ptr_array_new_full (infos->len, g_object_unref);
  guint old_n_items = g_list_model_get_n_items (G_LIST_MODEL (browser->rooms));

  for (guint i = 0; i < infos->len; i++)
    g_ptr_array_add (items, tea_room_listing_new (g_ptr_array_index (infos, i)));
  /* One splice, so the view rebuilds once and not once per room. */
  g_list_store_splice (browser->rooms, 0, old_n_items, items->pdata, items->len);
  set_loading (browser, FALSE);
  select_position (browser, 0);
}

static void
join (TeaRoomBrowser *browser, TeaRoomListing *item)
{
  /* A handler may destroy the window; it must outlive the emission. */
  g_autoptr (TeaRoomBrowser) hold = g_object_ref (browser);

  g_signal_emit (browser, signals[SIGNAL_JOIN], 0, tea_room_listing_get_name (item));
  gtk_window_close (GTK_WINDOW (browser));
}

static void
join_selected (TeaRoomBrowser *browser)
{
  TeaRoomListing *item = gtk_single_selection_get_selected_item (browser->selection);

  if (item != NULL && !browser->loading)
    join (browser, item);
}

/* ---- Rows -------------------------------------------------------------- */

static GtkWidget *
row_label (const char *css_class)
{
  GtkWidget *label = gtk_label_new (NULL);

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
  gtk_label_set_single_line_mode (GTK_LABEL (label), TRUE);
  gtk_widget_add_css_class (label, css_class);
  return label;
}

static void
setup_row (GtkSignalListItemFactory *factory, GtkListItem *list_item, gpointer user_data)
{
  /* A grid, not a box: the theme spaces a rich list's boxes widely. */
  GtkGrid *grid = GTK_GRID (gtk_grid_new ());
  GtkWidget *name = row_label ("heading");
  GtkWidget *members = row_label ("dim-label");
  GtkWidget *topic = row_label ("dim-label");

  gtk_grid_set_column_spacing (grid, 12);
  gtk_grid_set_row_spacing (grid, 3);
  gtk_widget_set_hexpand (name, TRUE);
  /* The count is short: the name gives way first. */
  gtk_label_set_ellipsize (GTK_LABEL (members), PANGO_ELLIPSIZE_NONE);
  gtk_grid_attach (grid, name, 0, 0, 1, 1);
  gtk_grid_attach (grid, members, 1, 0, 1, 1);
  gtk_grid_attach (grid, topic, 0, 1, 2, 1);
  g_object_set_data (G_OBJECT (grid), "name", name);
  g_object_set_data (G_OBJECT (grid), "members", members);
  g_object_set_data (G_OBJECT (grid), "topic", topic);
  gtk_list_item_set_child (list_item, GTK_WIDGET (grid));
}

static void
bind_row (GtkSignalListItemFactory *factory, GtkListItem *list_item, gpointer user_data)
{
  TeaRoomListing *item = gtk_list_item_get_item (list_item);
  GObject *grid = G_OBJECT (gtk_list_item_get_child (list_item));
  GtkLabel *topic = g_object_get_data (grid, "topic");
  guint n = tea_room_listing_get_members (item);
  const char *topic_text = tea_room_listing_get_topic (item);
  g_autofree char *members = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u member", "%u members", n), n);

  gtk_label_set_text (g_object_get_data (grid, "name"), tea_room_listing_get_name (item));
  gtk_label_set_text (g_object_get_data (grid, "members"), members);
  gtk_label_set_text (topic, topic_text);
  gtk_widget_set_visible (GTK_WIDGET (topic), *topic_text != '\0');
  g_object_set_data (grid, "item", item);
}

static void
unbind_row (GtkSignalListItemFactory *factory, GtkListItem *list_item, gpointer user_data)
{
  g_object_set_data (G_OBJECT (gtk_list_item_get_child (list_item)), "item", NULL);
}

static int
compare_rooms (gconstpointer a, gconstpointer b, gpointer user_data)
{
  return gtk_ordering_from_cmpfunc (tea_room_listing_compare ((TeaRoomListing *) a, (TeaRoomListing *) b));
}

static gboolean
match_room (gpointer object, gpointer user_data)
{
  TeaRoomListing *item = object;
  TeaRoomBrowser *browser = user_data;

  return browser->search == NULL || tea_room_listing_matches (item, browser->search);
}

/* ---- Template callbacks ------------------------------------------------ */

static void
on_refresh_clicked (TeaRoomBrowser *browser)
{
  refresh (browser);
}

static void
on_join_clicked (TeaRoomBrowser *browser)
{
  join_selected (browser);
}

static void
on_search_changed (TeaRoomBrowser *browser)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (browser->search_entry));

  g_clear_pointer (&browser->search, g_free);
  if (*text != '\0')
    browser->search = g_utf8_casefold (text, -1);
  gtk_filter_changed (GTK_FILTER (browser->filter), GTK_FILTER_CHANGE_DIFFERENT);
  /* Enter in the search entry joins the best match. */
  select_position (browser, 0);
  update_page (browser);
}

static void
on_search_activate (TeaRoomBrowser *browser)
{
  join_selected (browser);
}

/* Escape first clears the search, then closes. */
static void
on_stop_search (TeaRoomBrowser *browser)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (browser->search_entry));

  if (*text != '\0')
    gtk_editable_set_text (GTK_EDITABLE (browser->search_entry), "");
  else
    gtk_window_close (GTK_WINDOW (browser));
}

/* The arrows move through the list while typing goes on in the entry,
 * so a room is found and joined without leaving the keyboard's home row. */
static gboolean
on_search_key_pressed (GtkEventControllerKey *controller, guint keyval, guint keycode,
                       GdkModifierType state, TeaRoomBrowser *browser)
{
  switch (keyval)
    {
    case GDK_KEY_Up:
    case GDK_KEY_KP_Up:
      move_selection (browser, -1);
      return GDK_EVENT_STOP;
    case GDK_KEY_Down:
    case GDK_KEY_KP_Down:
      move_selection (browser, 1);
      return GDK_EVENT_STOP;
    default:
      return GDK_EVENT_PROPAGATE;
    }
}

/* Tab into the list returns to the row that had the focus last, and
 * GTK 4.8 has no call to focus a given row, so after the arrows in the
 * search entry moved the selection, Enter in the list would pick another
 * room than the one highlighted. The selected row's widget is found
 * through the child the factory gave it, and focused instead. */
static gboolean
focus_selected_row (gpointer user_data)
{
  TeaRoomBrowser *browser = user_data;
  gpointer selected = gtk_single_selection_get_selected_item (browser->selection);
  GtkWidget *child;

  browser->focus_source = 0;
  for (child = gtk_widget_get_first_child (GTK_WIDGET (browser->list_view));
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *row = gtk_widget_get_first_child (child);

      if (row != NULL && selected != NULL && g_object_get_data (G_OBJECT (row), "item") == selected)
        {
          gtk_widget_grab_focus (child);
          break;
        }
    }
  return G_SOURCE_REMOVE;
}

/* Not at once: the list is still moving the focus to its own choice. */
static void
on_list_focus_enter (TeaRoomBrowser *browser)
{
  if (browser->focus_source == 0)
    browser->focus_source = g_idle_add (focus_selected_row, browser);
}

/* GTK 4.8 list views move Tab from row to row, through every room;
 * Tab leaves the list instead, as it does in later GTK. */
static gboolean
on_list_key_pressed (GtkEventControllerKey *controller, guint keyval, guint keycode,
                     GdkModifierType state, TeaRoomBrowser *browser)
{
  if (keyval == GDK_KEY_ISO_Left_Tab || (keyval == GDK_KEY_Tab && (state & GDK_SHIFT_MASK)))
    return gtk_widget_grab_focus (GTK_WIDGET (browser->search_entry));
  if (keyval == GDK_KEY_Tab || keyval == GDK_KEY_KP_Tab)
    return gtk_widget_grab_focus (GTK_WIDGET (browser->refresh_button));
  return GDK_EVENT_PROPAGATE;
}

static void
on_list_activate (GtkListView *list_view, guint position, TeaRoomBrowser *browser)
{
  g_autoptr (TeaRoomListing) item = g_list_model_get_item (G_LIST_MODEL (browser->selection), position);

  if (item != NULL)
    join (browser, item);
}

/* ---- GObject and GtkWidget --------------------------------------------- */

/* Asks afresh each time the window is shown: rooms come and go. */
static void
tea_room_browser_map (GtkWidget *widget)
{
  GTK_WIDGET_CLASS (tea_room_browser_parent_class)->map (widget);
  refresh (TEA_ROOM_BROWSER (widget));
}

static void
tea_room_browser_constructed (GObject *object)
{
  TeaRoomBrowser *browser = TEA_ROOM_BROWSER (object);

  G_OBJECT_CLASS (tea_room_browser_parent_class)->constructed (object);
  browser->room_list_handler = g_signal_connect (browser->chat, "room-list", G_CALLBACK (on_room_list), browser);
}

static void
tea_room_browser_dispose (GObject *object)
{
  TeaRoomBrowser *browser = TEA_ROOM_BROWSER (object);

  if (browser->chat != NULL)
    g_clear_signal_handler (&browser->room_list_handler, browser->chat);
  /* The template's widgets are gone after this; the models may outlive it. */
  if (browser->selection != NULL)
    g_signal_handlers_disconnect_by_data (browser->selection, browser);
  g_clear_object (&browser->chat);
  g_clear_handle_id (&browser->slow_source, g_source_remove);
  g_clear_handle_id (&browser->focus_source, g_source_remove);
  gtk_widget_dispose_template (GTK_WIDGET (object), TEA_TYPE_ROOM_BROWSER);
  G_OBJECT_CLASS (tea_room_browser_parent_class)->dispose (object);
}

static void
tea_room_browser_finalize (GObject *object)
{
  TeaRoomBrowser *browser = TEA_ROOM_BROWSER (object);

  g_free (browser->search);
  g_clear_object (&browser->rooms);
  g_clear_object (&browser->filter);
  g_clear_object (&browser->selection);
  G_OBJECT_CLASS (tea_room_browser_parent_class)->finalize (object);
}

static void
tea_room_browser_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  TeaRoomBrowser *browser = TEA_ROOM_BROWSER (object);

  switch (prop_id)
    {
    case PROP_CHAT:
      g_value_set_object (value, browser->chat);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tea_room_browser_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  TeaRoomBrowser *browser = TEA_ROOM_BROWSER (object);

  switch (prop_id)
    {
    case PROP_CHAT:
      browser->chat = g_value_dup_object (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tea_room_browser_class_init (TeaRoomBrowserClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = tea_room_browser_constructed;
  object_class->dispose = tea_room_browser_dispose;
  object_class->finalize = tea_room_browser_finalize;
  object_class->get_property = tea_room_browser_get_property;
  object_class->set_property = tea_room_browser_set_property;
  widget_class->map = tea_room_browser_map;

  /**
   * TeaRoomBrowser:chat:
   *
   * The connection whose relay's rooms are listed.
   */
  properties[PROP_CHAT] = g_param_spec_object ("chat", NULL, NULL, TEA_TYPE_CHAT,
                                               G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                                               G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * TeaRoomBrowser::join:
   * @name: the room's name
   *
   * The user picked a room to join; the window closes after this.
   */
  signals[SIGNAL_JOIN] = g_signal_new ("join", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                       NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/teahouse/Teahouse/tea-room-browser.ui");
  gtk_widget_class_bind_template_child (widget_class, TeaRoomBrowser, refresh_button);
  gtk_widget_class_bind_template_child (widget_class, TeaRoomBrowser, join_button);
  gtk_widget_class_bind_template_child (widget_class, TeaRoomBrowser, search_entry);
  gtk_widget_class_bind_template_child (widget_class, TeaRoomBrowser, stack);
  gtk_widget_class_bind_template_child (widget_class, TeaRoomBrowser, loading_spinner);
  gtk_widget_class_bind_template_child (widget_class, TeaRoomBrowser, loading_label);
  gtk_widget_class_bind_template_child (widget_class, TeaRoomBrowser, list_view);
  gtk_widget_class_bind_template_callback (widget_class, on_refresh_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_join_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_search_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_search_activate);
  gtk_widget_class_bind_template_callback (widget_class, on_stop_search);
  gtk_widget_class_bind_template_callback (widget_class, on_search_key_pressed);
  gtk_widget_class_bind_template_callback (widget_class, on_list_activate);
  gtk_widget_class_bind_template_callback (widget_class, on_list_focus_enter);
  gtk_widget_class_bind_template_callback (widget_class, on_list_key_pressed);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
setup_model (TeaRoomBrowser *browser)
{
  GtkSorter *sorter = GTK_SORTER (gtk_custom_sorter_new (compare_rooms, NULL, NULL));
  GtkSortListModel *sorted;
  GtkFilterListModel *filtered;
  GtkListItemFactory *factory = gtk_signal_list_item_factory_new ();

  browser->rooms = g_list_store_new (TEA_TYPE_ROOM_LISTING);
  browser->filter = gtk_custom_filter_new (match_room, browser, NULL);
  sorted = gtk_sort_list_model_new (g_object_ref (G_LIST_MODEL (browser->rooms)), sorter);
  filtered = gtk_filter_list_model_new (G_LIST_MODEL (sorted), g_object_ref (GTK_FILTER (browser->filter)));
  browser->selection = gtk_single_selection_new (G_LIST_MODEL (filtered));
  g_signal_connect_swapped (browser->selection, "notify::selected-item", G_CALLBACK (update_page), browser);

  g_signal_connect (factory, "setup", G_CALLBACK (setup_row), NULL);
  g_signal_connect (factory, "bind", G_CALLBACK (bind_row), NULL);
  g_signal_connect (factory, "unbind", G_CALLBACK (unbind_row), NULL);
  gtk_list_view_set_factory (browser->list_view, factory);
  gtk_list_view_set_model (browser->list_view, GTK_SELECTION_MODEL (browser->selection));
  g_object_unref (factory);
}

static void
tea_room_browser_init (TeaRoomBrowser *browser)
{
  gtk_widget_init_template (GTK_WIDGET (browser));
  /* Typing while the list has focus goes on searching. */
  gtk_search_entry_set_key_capture_widget (browser->search_entry, GTK_WIDGET (browser));
  setup_model (browser);
  browser->loading = TRUE;
  update_page (browser);
}

TeaRoomBrowser *
tea_room_browser_new (TeaChat *chat)
{
  g_return_val_if_fail (TEA_IS_CHAT (chat), NULL);

  return g_object_new (TEA_TYPE_ROOM_BROWSER, "chat", chat, NULL);
}
