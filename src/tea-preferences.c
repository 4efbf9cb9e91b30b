/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "tea-link.h"
#include "tea-names.h"
#include "tea-preferences.h"

struct _TeaPreferences
{
  GtkWindow parent_instance;

  GSettings *settings;

  GtkListBox *connection_list;
  GtkListBox *notifications_list;
  GtkListBox *appearance_list;
  GtkEntry *nick_entry;
  GtkLabel *nick_error;
  GtkEntry *server_entry;
  GtkLabel *server_error;
  GtkDropDown *notify_dropdown;
  GtkSwitch *background_switch;
  GtkSwitch *joins_switch;
  GtkDropDown *style_dropdown;
};

enum {
  PROP_0,
  PROP_SETTINGS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (TeaPreferences, tea_preferences, GTK_TYPE_WINDOW)

/* The drop-downs' items in order, as the nicks of the enum keys they set. */
static const char * const notify_levels[] = { "all", "mentions", "off", NULL };
static const char * const color_schemes[] = { "default", "light", "dark", NULL };

/* ---- Mappings between settings and widgets ----------------------------- */

static gboolean
enum_to_position (GValue *value, GVariant *variant, gpointer user_data)
{
  const char * const *nicks = user_data;
  const char *nick = g_variant_get_string (variant, NULL);

  for (guint i = 0; nicks[i] != NULL; i++)
    {
      if (g_str_equal (nicks[i], nick))
        {
          g_value_set_uint (value, i);
          return TRUE;
        }
    }
  return FALSE;
}

static GVariant *
position_to_enum (const GValue *value, const GVariantType *expected_type, gpointer user_data)
{
  const char * const *nicks = user_data;
  guint position = g_value_get_uint (value);

  /* GTK_INVALID_LIST_POSITION: the drop-down lost its model, as it does
   * when it is torn down. */
  if (position >= g_strv_length ((char **) nicks))
    return NULL;
  return g_variant_new_string (nicks[position]);
}

static gboolean
string_to_text (GValue *value, GVariant *variant, gpointer user_data)
{
  g_value_set_string (value, g_variant_get_string (variant, NULL));
  return TRUE;
}

static gboolean
nick_is_valid (const char *nick)
{
  return tea_nick_is_valid (nick, strlen (nick));
}

static gboolean
server_is_valid (const char *server, GError **error)
{
  g_autofree char *host = NULL;
  guint16 port;

  return tea_parse_server (server, TEA_DEFAULT_PORT, &host, &port, error);
}

/* A nickname or server that cannot work is never saved, or the next start
 * would use it; the entry shows what is wrong instead. Returning NULL
 * leaves the setting as it was. */
static GVariant *
text_to_nick (const GValue *value, const GVariantType *expected_type, gpointer user_data)
{
  const char *nick = g_value_get_string (value);

  return nick_is_valid (nick) ? g_variant_new_string (nick) : NULL;
}

static GVariant *
text_to_server (const GValue *value, const GVariantType *expected_type, gpointer user_data)
{
  const char *server = g_value_get_string (value);

  return server_is_valid (server, NULL) ? g_variant_new_string (server) : NULL;
}

/* ---- Showing what is wrong with an entry ------------------------------- */

static void
show_entry_error (GtkEntry *entry, GtkLabel *label, const char *message)
{
  GtkWidget *widget = GTK_WIDGET (entry);

  gtk_widget_set_visible (GTK_WIDGET (label), message != NULL);
  if (message != NULL)
    {
      gtk_label_set_text (label, message);
      gtk_widget_add_css_class (widget, "error");
      gtk_accessible_update_state (GTK_ACCESSIBLE (entry),
                                   GTK_ACCESSIBLE_STATE_INVALID, GTK_ACCESSIBLE_INVALID_TRUE,
                                   -1);
    }
  else
    {
      gtk_widget_remove_css_class (widget, "error");
      gtk_accessible_reset_state (GTK_ACCESSIBLE (entry), GTK_ACCESSIBLE_STATE_INVALID);
    }
}

static void
on_nick_changed (TeaPreferences *preferences)
{
  const char *nick = gtk_editable_get_text (GTK_EDITABLE (preferences->nick_entry));

  /* An empty entry is someone about to type, not a mistake. */
  if (*nick != '\0' && !nick_is_valid (nick))
    show_entry_error (preferences->nick_entry, preferences->nick_error,
                      _("Nicknames are 1 to 30 characters, without spaces"));
  else
    show_entry_error (preferences->nick_entry, preferences->nick_error, NULL);
}

static void
on_server_changed (TeaPreferences *preferences)
{
  const char *server = gtk_editable_get_text (GTK_EDITABLE (preferences->server_entry));
  g_autoptr (GError) error = NULL;

  if (*server != '\0' && !server_is_valid (server, &error))
    show_entry_error (preferences->server_entry, preferences->server_error, error->message);
  else
    show_entry_error (preferences->server_entry, preferences->server_error, NULL);
}

/* ---- GObject ----------------------------------------------------------- */

/* Lines between rows, but none under the last: the frame closes the list,
 * and the list's own separators would draw a second, square line there. */
static void
add_separator (GtkListBoxRow *row, GtkListBoxRow *before, gpointer user_data)
{
  if (before != NULL && gtk_list_box_row_get_header (row) == NULL)
    gtk_list_box_row_set_header (row, gtk_separator_new (GTK_ORIENTATION_HORIZONTAL));
}

static void
bind_settings (TeaPreferences *preferences)
{
  GSettings *settings = preferences->settings;

  g_settings_bind_with_mapping (settings, "nickname", preferences->nick_entry, "text",
                                G_SETTINGS_BIND_DEFAULT, string_to_text, text_to_nick, NULL, NULL);
  g_settings_bind_with_mapping (settings, "server", preferences->server_entry, "text",
                                G_SETTINGS_BIND_DEFAULT, string_to_text, text_to_server, NULL, NULL);
  g_settings_bind_with_mapping (settings, "notify-level", preferences->notify_dropdown, "selected",
                                G_SETTINGS_BIND_DEFAULT, enum_to_position, position_to_enum,
                                (gpointer) notify_levels, NULL);
  g_settings_bind (settings, "run-in-background", preferences->background_switch, "active",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (settings, "show-joins", preferences->joins_switch, "active", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind_with_mapping (settings, "color-scheme", preferences->style_dropdown, "selected",
                                G_SETTINGS_BIND_DEFAULT, enum_to_position, position_to_enum,
                                (gpointer) color_schemes, NULL);
}

static void
tea_preferences_constructed (GObject *object)
{
  TeaPreferences *preferences = TEA_PREFERENCES (object);

  G_OBJECT_CLASS (tea_preferences_parent_class)->constructed (object);
  bind_settings (preferences);
}

static void
tea_preferences_dispose (GObject *object)
{
  TeaPreferences *preferences = TEA_PREFERENCES (object);

  /* Unbinding first stops the widgets' teardown from writing settings. */
  if (preferences->settings != NULL)
    {
      g_settings_unbind (preferences->nick_entry, "text");
      g_settings_unbind (preferences->server_entry, "text");
      g_settings_unbind (preferences->notify_dropdown, "selected");
      g_settings_unbind (preferences->background_switch, "active");
      g_settings_unbind (preferences->joins_switch, "active");
      g_settings_unbind (preferences->style_dropdown, "selected");
      g_clear_object (&preferences->settings);
    }
  gtk_widget_dispose_template (GTK_WIDGET (object), TEA_TYPE_PREFERENCES);
  G_OBJECT_CLASS (tea_preferences_parent_class)->dispose (object);
}

static void
tea_preferences_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  TeaPreferences *preferences = TEA_PREFERENCES (object);

  switch (prop_id)
    {
    case PROP_SETTINGS:
      g_value_set_object (value, preferences->settings);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tea_preferences_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  TeaPreferences *preferences = TEA_PREFERENCES (object);

  switch (prop_id)
    {
    case PROP_SETTINGS:
      preferences->settings = g_value_dup_object (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tea_preferences_class_init (TeaPreferencesClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = tea_preferences_constructed;
  object_class->dispose = tea_preferences_dispose;
  object_class->get_property = tea_preferences_get_property;
  object_class->set_property = tea_preferences_set_property;

  /**
   * TeaPreferences:settings:
   *
   * The application's settings, which every control reads and writes.
   */
  properties[PROP_SETTINGS] = g_param_spec_object ("settings", NULL, NULL, G_TYPE_SETTINGS,
                                                   G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                                                   G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/teahouse/Teahouse/tea-preferences.ui");
  gtk_widget_class_bind_template_child (widget_class, TeaPreferences, connection_list);
  gtk_widget_class_bind_template_child (widget_class, TeaPreferences, notifications_list);
  gtk_widget_class_bind_template_child (widget_class, TeaPreferences, appearance_list);
  gtk_widget_class_bind_template_child (widget_class, TeaPreferences, nick_entry);
  gtk_widget_class_bind_template_child (widget_class, TeaPreferences, nick_error);
  gtk_widget_class_bind_template_child (widget_class, TeaPreferences, server_entry);
  gtk_widget_class_bind_template_child (widget_class, TeaPreferences, server_error);
  gtk_widget_class_bind_template_child (widget_class, TeaPreferences, notify_dropdown);
  gtk_widget_class_bind_template_child (widget_class, TeaPreferences, background_switch);
  gtk_widget_class_bind_template_child (widget_class, TeaPreferences, joins_switch);
  gtk_widget_class_bind_template_child (widget_class, TeaPreferences, style_dropdown);
  gtk_widget_class_bind_template_callback (widget_class, on_nick_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_server_changed);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
tea_preferences_init (TeaPreferences *preferences)
{
  gtk_widget_init_template (GTK_WIDGET (preferences));
  gtk_list_box_set_header_func (preferences->connection_list, add_separator, NULL, NULL);
  gtk_list_box_set_header_func (preferences->notifications_list, add_separator, NULL, NULL);
  gtk_list_box_set_header_func (preferences->appearance_list, add_separator, NULL, NULL);
}

TeaPreferences *
tea_preferences_new (GSettings *settings)
{
  g_return_val_if_fail (G_IS_SETTINGS (settings), NULL);

  return g_object_new (TEA_TYPE_PREFERENCES, "settings", settings, NULL);
}
