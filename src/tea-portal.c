/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>
#include <gtk/gtk.h>

#include "tea-portal.h"

#define PORTAL_NAME "org.freedesktop.portal.Desktop"
#define PORTAL_PATH "/org/freedesktop/portal/desktop"
#define APPEARANCE "org.freedesktop.appearance"

/* org.freedesktop.appearance color-scheme values. */
enum {
  SYSTEM_NO_PREFERENCE = 0,
  SYSTEM_PREFER_DARK = 1,
};

struct _TeaColorScheme
{
  GObject parent_instance;

  GSettings *settings;
  GDBusProxy *portal;
  GCancellable *cancellable;
  guint32 system;
  gboolean dark;
};

G_DEFINE_FINAL_TYPE (TeaColorScheme, tea_color_scheme, G_TYPE_OBJECT)

static void
apply (TeaColorScheme *scheme)
{
  switch (g_settings_get_enum (scheme->settings, "color-scheme"))
    {
    case 1:
      scheme->dark = FALSE;
      break;
    case 2:
      scheme->dark = TRUE;
      break;
    default:
      scheme->dark = scheme->system == SYSTEM_PREFER_DARK;
      break;
    }
  g_object_set (gtk_settings_get_default (), "gtk-application-prefer-dark-theme", scheme->dark, NULL);
}

static void
take_system_value (TeaColorScheme *scheme, GVariant *value)
{
  g_autoptr (GVariant) v = value ? g_variant_ref (value) : NULL;

  /* Read() wraps the value in one more variant than SettingChanged. */
  while (v && g_variant_is_of_type (v, G_VARIANT_TYPE_VARIANT))
    {
      GVariant *inner = g_variant_get_variant (v);

      g_variant_unref (v);
      v = inner;
    }
  if (v && g_variant_is_of_type (v, G_VARIANT_TYPE_UINT32))
    scheme->system = g_variant_get_uint32 (v);
  apply (scheme);
}

static void
on_setting_changed (GDBusProxy *proxy, const char *sender, const char *signal, GVariant *parameters,
                    gpointer user_data)
{
  const char *ns, *key;
  g_autoptr (GVariant) value = NULL;

  if (!g_str_equal (signal, "SettingChanged"))
    return;
  g_variant_get (parameters, "(&s&sv)", &ns, &key, &value);
  if (g_str_equal (ns, APPEARANCE) && g_str_equal (key, "color-scheme"))
    take_system_value (user_data, value);
}

static void
on_read (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GVariant) reply = g_dbus_proxy_call_finish (G_DBUS_PROXY (source), result, NULL);
  g_autoptr (GVariant) value = NULL;

  if (reply == NULL)
    return; /* no portal, or an old one: light it is */
  g_variant_get (reply, "(v)", &value);
  take_system_value (user_data, value);
}

static void
on_proxy (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GError) error = NULL;
  GDBusProxy *proxy = g_dbus_proxy_new_for_bus_finish (result, &error);
  TeaColorScheme *scheme;

  if (proxy == NULL)
    return;
  scheme = user_data;
  scheme->portal = proxy;
  g_signal_connect (proxy, "g-signal", G_CALLBACK (on_setting_changed), scheme);
  g_dbus_proxy_call (proxy, "Read", g_variant_new ("(ss)", APPEARANCE, "color-scheme"),
                     G_DBUS_CALL_FLAGS_NONE, 2000, scheme->cancellable, on_read, scheme);
}

static void
tea_color_scheme_finalize (GObject *object)
{
  TeaColorScheme *scheme = TEA_COLOR_SCHEME (object);

  g_cancellable_cancel (scheme->cancellable);
  g_clear_object (&scheme->cancellable);
  g_clear_object (&scheme->portal);
  g_clear_object (&scheme->settings);
  G_OBJECT_CLASS (tea_color_scheme_parent_class)->finalize (object);
}

static void
tea_color_scheme_class_init (TeaColorSchemeClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = tea_color_scheme_finalize;
}

static void
tea_color_scheme_init (TeaColorScheme *scheme)
{
  scheme->cancellable = g_cancellable_new ();
}

TeaColorScheme *
tea_color_scheme_new (GSettings *settings)
{
  TeaColorScheme *scheme = g_object_new (TEA_TYPE_COLOR_SCHEME, NULL);

  scheme->settings = g_object_ref (settings);
  g_signal_connect_object (settings, "changed::color-scheme", G_CALLBACK (apply), scheme, G_CONNECT_SWAPPED);
  apply (scheme);
  g_dbus_proxy_new_for_bus (G_BUS_TYPE_SESSION, G_DBUS_PROXY_FLAGS_DO_NOT_LOAD_PROPERTIES, NULL,
                            PORTAL_NAME, PORTAL_PATH, "org.freedesktop.portal.Settings",
                            scheme->cancellable, on_proxy, scheme);
  return scheme;
}

gboolean
tea_color_scheme_is_dark (TeaColorScheme *scheme)
{
  return scheme->dark;
}

void
tea_portal_request_background (void)
{
  g_autoptr (GDBusConnection) bus = NULL;
  GVariantBuilder options;

  if (!g_file_test ("/.flatpak-info", G_FILE_TEST_EXISTS))
    return;
  bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, NULL);
  if (bus == NULL)
    return;
  g_variant_builder_init (&options, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&options, "{sv}", "reason",
                         g_variant_new_string (_("Receive messages and notifications while the window is closed")));
  /* The answer comes as a Response signal; nothing depends on it: if it is
   * refused, the system may stop us, as it would have anyway. */
  g_dbus_connection_call (bus, PORTAL_NAME, PORTAL_PATH, "org.freedesktop.portal.Background",
                          "RequestBackground", g_variant_new ("(sa{sv})", "", &options), NULL,
                          G_DBUS_CALL_FLAGS_NONE, -1, NULL, NULL, NULL);
}
