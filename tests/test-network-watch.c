/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * TeaNetworkWatch hears logind's PrepareForSleep on the system bus: a
 * private bus stands in for it, with a fake logind on it.
 */
#include "config.h"

#include "tea-network-watch.h"
#include "tea-test-util.h"

static void
on_changed (TeaNetworkWatch *watch, guint *n_changed)
{
  (*n_changed)++;
}

static gboolean
changed_once (gpointer n_changed)
{
  return *(guint *) n_changed >= 1;
}

static gboolean
name_owned (gpointer owned)
{
  return *(gboolean *) owned;
}

static void
on_name_acquired (GDBusConnection *bus, const char *name, gpointer owned)
{
  *(gboolean *) owned = TRUE;
}

static void
emit_prepare_for_sleep (GDBusConnection *logind, gboolean going_to_sleep)
{
  g_autoptr (GError) error = NULL;

  g_dbus_connection_emit_signal (logind, NULL, "/org/freedesktop/login1", "org.freedesktop.login1.Manager",
                                 "PrepareForSleep", g_variant_new ("(b)", going_to_sleep), &error);
  g_assert_no_error (error);
}

/* Going to sleep says nothing; waking up is one "changed". */
static void
test_resume (void)
{
  g_autoptr (GTestDBus) bus = g_test_dbus_new (G_TEST_DBUS_NONE);
  g_autoptr (GDBusConnection) logind = NULL;
  g_autoptr (TeaNetworkWatch) watch = NULL;
  g_autoptr (GError) error = NULL;
  gboolean owned = FALSE;
  guint n_changed = 0;
  guint owner;

  g_test_dbus_up (bus);
  g_setenv ("DBUS_SYSTEM_BUS_ADDRESS", g_test_dbus_get_bus_address (bus), TRUE);
  logind = g_dbus_connection_new_for_address_sync (g_test_dbus_get_bus_address (bus),
                                                   G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                                     G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                                   NULL, NULL, &error);
  g_assert_no_error (error);
  owner = g_bus_own_name_on_connection (logind, "org.freedesktop.login1", G_BUS_NAME_OWNER_FLAGS_NONE,
                                        on_name_acquired, NULL, &owned, NULL);
  g_assert_true (tea_test_wait (name_owned, &owned, 5000));

  watch = tea_network_watch_new ();
  g_signal_connect (watch, "changed", G_CALLBACK (on_changed), &n_changed);
  tea_test_run_for (300); /* the watch is on the bus */
  emit_prepare_for_sleep (logind, TRUE);
  tea_test_run_for (800);
  g_assert_cmpuint (n_changed, ==, 0);
  emit_prepare_for_sleep (logind, FALSE);
  g_assert_true (tea_test_wait (changed_once, &n_changed, 5000));
  tea_test_run_for (800);
  g_assert_cmpuint (n_changed, ==, 1);

  g_clear_object (&watch);
  g_bus_unown_name (owner);
  g_dbus_connection_close_sync (logind, NULL, NULL);
  g_test_dbus_down (bus);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/tea/network-watch/resume", test_resume);
  return g_test_run ();
}
