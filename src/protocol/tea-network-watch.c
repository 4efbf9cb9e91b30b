/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "tea-network-watch.h"

/* A change comes as a burst of routes and addresses; act once it settles. */
#define SETTLE_MS 500

struct _TeaNetworkWatch
{
  GObject parent_instance;

  GNetworkMonitor *monitor;
  GCancellable *cancellable;
  GDBusConnection *system_bus;
  guint sleep_subscription;
  guint settle_source;
};

enum {
  SIGNAL_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (TeaNetworkWatch, tea_network_watch, G_TYPE_OBJECT)

static gboolean
emit_changed (gpointer user_data)
{
  TeaNetworkWatch *watch = user_data;

  watch->settle_source = 0;
  g_signal_emit (watch, signals[SIGNAL_CHANGED], 0);
  return G_SOURCE_REMOVE;
}

static void
schedule_changed (TeaNetworkWatch *watch)
{
  g_clear_handle_id (&watch->settle_source, g_source_remove);
  watch->settle_source = g_timeout_add (SETTLE_MS, emit_changed, watch);
}

static void
on_network_changed (GNetworkMonitor *monitor, gboolean available, TeaNetworkWatch *watch)
{
  if (available)
    schedule_changed (watch);
}

static void
on_prepare_for_sleep (GDBusConnection *bus, const char *sender, const char *path, const char *interface,
                      const char *signal, GVariant *parameters, gpointer user_data)
{
  gboolean going_to_sleep = TRUE;

  if (g_variant_is_of_type (parameters, G_VARIANT_TYPE ("(b)")))
    g_variant_get (parameters, "(b)", &going_to_sleep);
  if (!going_to_sleep)
    schedule_changed (user_data);
}

static void
on_system_bus (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (TeaNetworkWatch) watch = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GDBusConnection) bus = g_bus_get_finish (result, &error);

  if (bus == NULL)
    {
      /* No system bus (a sandbox, a container): the network monitor and
       * the keepalive still find a broken session. */
      g_debug ("no system bus, suspend is not watched: %s", error->message);
      return;
    }
  if (watch->cancellable == NULL)
    return; /* disposed meanwhile */
  watch->system_bus = g_steal_pointer (&bus);
  watch->sleep_subscription = g_dbus_connection_signal_subscribe (
    watch->system_bus, "org.freedesktop.login1", "org.freedesktop.login1.Manager", "PrepareForSleep",
    "/org/freedesktop/login1", NULL, G_DBUS_SIGNAL_FLAGS_NONE, on_prepare_for_sleep, watch, NULL);
}

static void
tea_network_watch_dispose (GObject *object)
{
  TeaNetworkWatch *watch = TEA_NETWORK_WATCH (object);

  g_cancellable_cancel (watch->cancellable);
  g_clear_object (&watch->cancellable);
  g_clear_handle_id (&watch->settle_source, g_source_remove);
  if (watch->monitor)
    g_signal_handlers_disconnect_by_data (watch->monitor, watch);
  g_clear_object (&watch->monitor);
  if (watch->system_bus && watch->sleep_subscription)
    g_dbus_connection_signal_unsubscribe (watch->system_bus, watch->sleep_subscription);
  watch->sleep_subscription = 0;
  g_clear_object (&watch->system_bus);
  G_OBJECT_CLASS (tea_network_watch_parent_class)->dispose (object);
}

static void
tea_network_watch_class_init (TeaNetworkWatchClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = tea_network_watch_dispose;

  signals[SIGNAL_CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                          NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
tea_network_watch_init (TeaNetworkWatch *watch)
{
  watch->cancellable = g_cancellable_new ();
  watch->monitor = g_object_ref (g_network_monitor_get_default ());
  g_signal_connect (watch->monitor, "network-changed", G_CALLBACK (on_network_changed), watch);
  g_bus_get (G_BUS_TYPE_SYSTEM, watch->cancellable, on_system_bus, g_object_ref (watch));
}

TeaNetworkWatch *
tea_network_watch_new (void)
{
  return g_object_new (TEA_TYPE_NETWORK_WATCH, NULL);
}
