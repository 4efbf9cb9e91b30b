/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "tea-switcher.h"

struct _TeaSwitcher
{
  GtkWindow parent_instance;

  GListModel *rooms;
  guint focus_source;
  char *search; /* case-folded; NULL shows every room */
  GtkCustomFilter *filter;
  GtkSingleSelection *selection;

  GtkSearchEntry *search_entry;
  GtkStack *stack;
  GtkListView *list_view;
};

enum {
  PROP_0,
  PROP_ROOMS,
  N_PROPS
};

enum {
  SIGNAL_ROOM_CHOSEN,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (TeaSwitcher, tea_switcher, GTK_TYPE_WINDOW)

static void
choose (TeaSwitcher *switcher, TeaRoom *room)
{
  /* A handler may destroy the window; it must outlive the emission. */
  g_autoptr (TeaSwitcher) hold = g_object_ref (switcher);

  g_signal_emit (switcher, signals[SIGNAL_ROOM_CHOSEN], 0, room);
  gtk_window_close (GTK_WINDOW (switcher));
}

static void
select_position (TeaSwitcher *switcher, guint position)
{
  if (position >= g_list_model_get_n_items (G_LIST_MODEL (switcher->selection)))
    return;
  gtk_single_selection_set_selected (switcher->selection, position);
  gtk_widget_activate_action (GTK_WIDGET (switcher->list_view), "list.scroll-to-item", "u", position);
}

static void
move_selection (TeaSwitcher *switcher, int delta)
{
  guint n_items = g_list_model_get_n_items (G_LIST_MODEL (switcher->selection));
  guint selected = gtk_single_selection_get_selected (switcher->selection);

  if (n_items == 0)
    return;
  if (selected == GTK_INVALID_LIST_POSITION)
    select_position (switcher, 0);
  else if (delta < 0 && selected > 0)
    select_position (switcher, selected - 1);
  else if (delta > 0 && selected + 1 < n_items)
    select_position (switcher, selected + 1);
}

static void
update_page (TeaSwitcher *switcher)
{
  gboolean empty = g_list_model_get_n_items (G_LIST_MODEL (switcher->selection)) == 0;

  gtk_stack_set_visible_child_name (switcher->stack, empty ? "empty" : "rooms");
}

/* ---- Rows -------------------------------------------------------------- */

static GtkWidget *
badge (const char *css_class)
{
  GtkWidget *label = gtk_label_new (NULL);

  gtk_widget_add_css_class (label, "badge");
  gtk_widget_add_css_class (label, css_class);
  gtk_widget_set_valign (label, GTK_ALIGN_CENTER);
  return label;
}

static void
update_row (GtkWidget *box, GParamSpec *pspec, TeaRoom *room)
{
  GtkLabel *name = g_object_get_data (G_OBJECT (box), "name");
  GtkLabel *unread = g_object_get_data (G_OBJECT (box), "unread");
  GtkWidget *mention = g_object_get_data (G_OBJECT (box), "mention");
  guint n_unread = tea_room_get_unread (room);
  g_autofree char *count = g_strdup_printf ("%u", n_unread);
  g_autofree char *description = NULL;

  gtk_label_set_text (name, tea_room_get_name (room));
  gtk_label_set_text (unread, count);
  gtk_widget_set_visible (GTK_WIDGET (unread), n_unread > 0);
  gtk_widget_set_visible (mention, tea_room_get_mentions (room) > 0);
  /* The badge shows a bare number; a screen reader says what it counts. */
  description = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u unread message", "%u unread messages",
                                              n_unread),
                                 n_unread);
  gtk_accessible_update_property (GTK_ACCESSIBLE (unread), GTK_ACCESSIBLE_PROPERTY_LABEL, description, -1);
}

static void
setup_row (GtkSignalListItemFactory *factory, GtkListItem *list_item, gpointer user_data)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *name = gtk_label_new (NULL);
  GtkWidget *mention = badge ("mention-badge");
  GtkWidget *unread = badge ("unread-badge");

  gtk_widget_set_margin_top (box, 6);
  gtk_widget_set_margin_bottom (box, 6);
  gtk_widget_set_margin_start (box, 12);
  gtk_widget_set_margin_end (box, 12);
  gtk_label_set_xalign (GTK_LABEL (name), 0);
  gtk_label_set_ellipsize (GTK_LABEL (name), PANGO_ELLIPSIZE_END);
  gtk_widget_set_hexpand (name, TRUE);
  /* Translators: the marker on a room where someone mentioned you */
  gtk_label_set_text (GTK_LABEL (mention), C_("mention marker", "@"));
  gtk_widget_set_tooltip_text (mention, _("Someone mentioned you"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (mention),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("Someone mentioned you"),
                                  -1);
  gtk_box_append (GTK_BOX (box), name);
  gtk_box_append (GTK_BOX (box), mention);
  gtk_box_append (GTK_BOX (box), unread);
  g_object_set_data (G_OBJECT (box), "name", name);
  g_object_set_data (G_OBJECT (box), "mention", mention);
  g_object_set_data (G_OBJECT (box), "unread", unread);
  gtk_list_item_set_child (list_item, box);
}

static void
bind_row (GtkSignalListItemFactory *factory, GtkListItem *list_item, gpointer user_data)
{
  TeaRoom *room = gtk_list_item_get_item (list_item);
  GtkWidget *box = gtk_list_item_get_child (list_item);

  /* Counts change while the switcher is open when messages arrive. */
  g_signal_connect_object (room, "notify", G_CALLBACK (update_row), box, G_CONNECT_SWAPPED);
  update_row (box, NULL, room);
  g_object_set_data (G_OBJECT (box), "item", room);
}

static void
unbind_row (GtkSignalListItemFactory *factory, GtkListItem *list_item, gpointer user_data)
{
  TeaRoom *room = gtk_list_item_get_item (list_item);
  GtkWidget *box = gtk_list_item_get_child (list_item);

  g_signal_handlers_disconnect_by_func (room, update_row, box);
  g_object_set_data (G_OBJECT (box), "item", NULL);
}

static gboolean
match_room (gpointer object, gpointer user_data)
{
  TeaSwitcher *switcher = user_data;
  g_autofree char *name = NULL;

  if (switcher->search == NULL)
    return TRUE;
  name = g_utf8_casefold (tea_room_get_name (TEA_ROOM (object)), -1);
  return strstr (name, switcher->search) != NULL;
}

/* ---- Template callbacks ------------------------------------------------ */

static void
on_search_changed (TeaSwitcher *switcher)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (switcher->search_entry));

  g_clear_pointer (&switcher->search, g_free);
  if (*text != '\0')
    switcher->search = g_utf8_casefold (text, -1);
  gtk_filter_changed (GTK_FILTER (switcher->filter), GTK_FILTER_CHANGE_DIFFERENT);
  /* Typing more makes the best match the first one. */
  select_position (switcher, 0);
}

static void
on_search_activate (TeaSwitcher *switcher)
{
  TeaRoom *room = gtk_single_selection_get_selected_item (switcher->selection);

  if (room != NULL)
    choose (switcher, room);
}

static void
on_stop_search (TeaSwitcher *switcher)
{
  gtk_window_close (GTK_WINDOW (switcher));
}

/* The arrows move through the list while typing goes on in the entry. */
static gboolean
on_search_key_pressed (GtkEventControllerKey *controller, guint keyval, guint keycode,
                       GdkModifierType state, TeaSwitcher *switcher)
{
  switch (keyval)
    {
    case GDK_KEY_Up:
    case GDK_KEY_KP_Up:
      move_selection (switcher, -1);
      return GDK_EVENT_STOP;
    case GDK_KEY_Down:
    case GDK_KEY_KP_Down:
      move_selection (switcher, 1);
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
  TeaSwitcher *switcher = user_data;
  gpointer selected = gtk_single_selection_get_selected_item (switcher->selection);
  GtkWidget *child;

  switcher->focus_source = 0;
  for (child = gtk_widget_get_first_child (GTK_WIDGET (switcher->list_view));
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
on_list_focus_enter (TeaSwitcher *switcher)
{
  if (switcher->focus_source == 0)
    switcher->focus_source = g_idle_add (focus_selected_row, switcher);
}

/* GTK 4.8 list views move Tab from row to row, through every room;
 * Tab leaves the list instead, as it does in later GTK, and the search
 * entry is the only other place to go. */
static gboolean
on_list_key_pressed (GtkEventControllerKey *controller, guint keyval, guint keycode,
                     GdkModifierType state, TeaSwitcher *switcher)
{
  if (keyval != GDK_KEY_Tab && keyval != GDK_KEY_KP_Tab && keyval != GDK_KEY_ISO_Left_Tab)
    return GDK_EVENT_PROPAGATE;
  return gtk_widget_grab_focus (GTK_WIDGET (switcher->search_entry));
}

static void
on_list_activate (GtkListView *list_view, guint position, TeaSwitcher *switcher)
{
  g_autoptr (TeaRoom) room = g_list_model_get_item (G_LIST_MODEL (switcher->selection), position);

  if (room != NULL)
    choose (switcher, room);
}

/* ---- GObject ----------------------------------------------------------- */

static void
setup_model (TeaSwitcher *switcher)
{
  GtkFilterListModel *filtered;
  GtkListItemFactory *factory = gtk_signal_list_item_factory_new ();

  switcher->filter = gtk_custom_filter_new (match_room, switcher, NULL);
  filtered = gtk_filter_list_model_new (g_object_ref (switcher->rooms),
                                        g_object_ref (GTK_FILTER (switcher->filter)));
  switcher->selection = gtk_single_selection_new (G_LIST_MODEL (filtered));
  /* Rooms are joined and left while the switcher is open, too. */
  g_signal_connect_swapped (switcher->selection, "items-changed", G_CALLBACK (update_page), switcher);

  g_signal_connect (factory, "setup", G_CALLBACK (setup_row), NULL);
  g_signal_connect (factory, "bind", G_CALLBACK (bind_row), NULL);
  g_signal_connect (factory, "unbind", G_CALLBACK (unbind_row), NULL);
  gtk_list_view_set_factory (switcher->list_view, factory);
  gtk_list_view_set_model (switcher->list_view, GTK_SELECTION_MODEL (switcher->selection));
  g_object_unref (factory);
  update_page (switcher);
}

static void
tea_switcher_constructed (GObject *object)
{
  TeaSwitcher *switcher = TEA_SWITCHER (object);

  G_OBJECT_CLASS (tea_switcher_parent_class)->constructed (object);
  setup_model (switcher);
}

static void
tea_switcher_dispose (GObject *object)
{
  TeaSwitcher *switcher = TEA_SWITCHER (object);

  g_clear_handle_id (&switcher->focus_source, g_source_remove);
  gtk_widget_dispose_template (GTK_WIDGET (object), TEA_TYPE_SWITCHER);
  /* Stop following the rooms now: the page to update is gone. */
  if (switcher->selection != NULL)
    g_signal_handlers_disconnect_by_data (switcher->selection, switcher);
  g_clear_object (&switcher->selection);
  g_clear_object (&switcher->filter);
  g_clear_object (&switcher->rooms);
  G_OBJECT_CLASS (tea_switcher_parent_class)->dispose (object);
}

static void
tea_switcher_finalize (GObject *object)
{
  TeaSwitcher *switcher = TEA_SWITCHER (object);

  g_free (switcher->search);
  G_OBJECT_CLASS (tea_switcher_parent_class)->finalize (object);
}

static void
tea_switcher_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  TeaSwitcher *switcher = TEA_SWITCHER (object);

  switch (prop_id)
    {
    case PROP_ROOMS:
      g_value_set_object (value, switcher->rooms);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tea_switcher_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  TeaSwitcher *switcher = TEA_SWITCHER (object);

  switch (prop_id)
    {
    case PROP_ROOMS:
      switcher->rooms = g_value_dup_object (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tea_switcher_class_init (TeaSwitcherClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = tea_switcher_constructed;
  object_class->dispose = tea_switcher_dispose;
  object_class->finalize = tea_switcher_finalize;
  object_class->get_property = tea_switcher_get_property;
  object_class->set_property = tea_switcher_set_property;

  /**
   * TeaSwitcher:rooms:
   *
   * The rooms to choose from, a GListModel of TeaRoom.
   */
  properties[PROP_ROOMS] = g_param_spec_object ("rooms", NULL, NULL, G_TYPE_LIST_MODEL,
                                                G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                                                G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * TeaSwitcher::room-chosen:
   * @room: the TeaRoom to show
   *
   * The user picked a room; the window closes after this.
   */
  signals[SIGNAL_ROOM_CHOSEN] = g_signal_new ("room-chosen", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                              NULL, NULL, NULL, G_TYPE_NONE, 1, TEA_TYPE_ROOM);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/teahouse/Teahouse/tea-switcher.ui");
  gtk_widget_class_bind_template_child (widget_class, TeaSwitcher, search_entry);
  gtk_widget_class_bind_template_child (widget_class, TeaSwitcher, stack);
  gtk_widget_class_bind_template_child (widget_class, TeaSwitcher, list_view);
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
tea_switcher_init (TeaSwitcher *switcher)
{
  gtk_widget_init_template (GTK_WIDGET (switcher));
}

TeaSwitcher *
tea_switcher_new (GListModel *rooms)
{
  g_return_val_if_fail (G_IS_LIST_MODEL (rooms), NULL);

  return g_object_new (TEA_TYPE_SWITCHER, "rooms", rooms, NULL);
}
