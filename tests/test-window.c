/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The real application and window on a real (virtual) display: keystrokes
 * typed with xdotool into the composer reach another client through an
 * in-process relay; rows, badges and notifications show what arrives;
 * markup in nicks and text stays text; the connection comes back after the
 * relay restarts; and the window speaks Chinese when asked.
 *
 * Runs under xvfb-run with a private session bus (GTestDBus), where a fake
 * org.gtk.Notifications service records what the app notifies.
 */
#include "config.h"

#include <glib/gi18n.h>
#include <locale.h>
#include <string.h>

#include "tea-application.h"
#include "tea-composer.h"
#include "tea-message-row.h"
#include "tea-noise.h"
#include "tea-test-util.h"
#include "tea-window.h"

typedef struct
{
  GTestDBus *bus;
  GDBusConnection *service;
  guint owner_id;
  guint object_id;
  GPtrArray *notifications; /* "title|body|action|target" */
  char *home;
  TeaKeypair relay_key;
  TeaRelay *relay;
  TeaListener *listener;
  guint16 port;
  TeaApplication *app;
} Fixture;

static Fixture fixture;

/* ---- A notification server on the private bus --------------------------- */

static const char notifications_xml[] =
  "<node><interface name='org.gtk.Notifications'>"
  "<method name='AddNotification'><arg type='s' direction='in'/><arg type='s' direction='in'/>"
  "<arg type='a{sv}' direction='in'/></method>"
  "<method name='RemoveNotification'><arg type='s' direction='in'/><arg type='s' direction='in'/></method>"
  "</interface></node>";

static void
on_notification_call (GDBusConnection *connection, const char *sender, const char *path,
                      const char *interface, const char *method, GVariant *parameters,
                      GDBusMethodInvocation *invocation, gpointer user_data)
{
  if (g_str_equal (method, "AddNotification"))
    {
      g_autoptr (GVariant) props = NULL;
      const char *app_id, *id, *title = "", *body = "", *action = "";
      g_autoptr (GVariant) target = NULL;
      g_autofree char *target_text = NULL;

      g_variant_get (parameters, "(&s&s@a{sv})", &app_id, &id, &props);
      g_variant_lookup (props, "title", "&s", &title);
      g_variant_lookup (props, "body", "&s", &body);
      g_variant_lookup (props, "default-action", "&s", &action);
      target = g_variant_lookup_value (props, "default-action-target", NULL);
      target_text = target ? g_variant_print (target, FALSE) : g_strdup ("");
      g_ptr_array_add (fixture.notifications, g_strdup_printf ("%s|%s|%s|%s", title, body, action, target_text));
    }
  g_dbus_method_invocation_return_value (invocation, NULL);
}

static void
start_notification_server (void)
{
  static const GDBusInterfaceVTable vtable = { on_notification_call, NULL, NULL, { 0 } };
  g_autoptr (GDBusNodeInfo) info = g_dbus_node_info_new_for_xml (notifications_xml, NULL);
  g_autoptr (GError) error = NULL;

  fixture.service = g_dbus_connection_new_for_address_sync (g_test_dbus_get_bus_address (fixture.bus),
                                                            G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                                              G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                                            NULL, NULL, &error);
  g_assert_no_error (error);
  fixture.object_id = g_dbus_connection_register_object (fixture.service, "/org/gtk/Notifications",
                                                         info->interfaces[0], &vtable, NULL, NULL, &error);
  g_assert_no_error (error);
  g_dbus_connection_call_sync (fixture.service, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                               "org.freedesktop.DBus", "RequestName",
                               g_variant_new ("(su)", "org.gtk.Notifications", 0), NULL,
                               G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
  g_assert_no_error (error);
}

/* ---- The relay ------------------------------------------------------------ */

static void
start_relay (guint16 port)
{
  TeaRelayConfig config;
  g_autoptr (GError) error = NULL;

  tea_relay_config_init (&config);
  /* The seed's plaintext clients too: their lines are marked unencrypted. */
  config.legacy = TRUE;
  fixture.relay = tea_relay_new (&config, &fixture.relay_key, g_get_monotonic_time ());
  fixture.listener = tea_listener_new (fixture.relay);
  g_assert_true (tea_listener_listen (fixture.listener, "127.0.0.1", port, &error));
  g_assert_no_error (error);
  fixture.port = tea_listener_get_port (fixture.listener);
  tea_relay_config_clear (&config);
}

static void
stop_relay (void)
{
  g_clear_object (&fixture.listener);
  g_clear_object (&fixture.relay);
}

/* ---- Looking at the window ----------------------------------------------- */

static TeaWindow *
window (void)
{
  return TEA_WINDOW (gtk_application_get_active_window (GTK_APPLICATION (fixture.app)));
}

static TeaChat *
chat (void)
{
  return tea_application_get_chat (fixture.app);
}

static gboolean
connected_and_joined (gpointer room)
{
  TeaRoom *r;

  if (chat () == NULL || tea_client_get_state (tea_chat_get_client (chat ())) != TEA_CLIENT_STATE_CONNECTED)
    return FALSE;
  r = tea_chat_find_room (chat (), room);
  return r && tea_room_get_joined (r);
}

static void
collect (GtkWidget *widget, GType type, GPtrArray *found)
{
  if (G_TYPE_CHECK_INSTANCE_TYPE (widget, type) && gtk_widget_get_mapped (widget))
    g_ptr_array_add (found, widget);
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child; child = gtk_widget_get_next_sibling (child))
    collect (child, type, found);
}

/* The text of the visible message row showing text, or NULL. */
static const char *
shown_row_text (const char *contains)
{
  g_autoptr (GPtrArray) rows = g_ptr_array_new ();

  collect (GTK_WIDGET (window ()), TEA_TYPE_MESSAGE_ROW, rows);
  for (guint i = 0; i < rows->len; i++)
    {
      TeaChatMessage *m = tea_message_row_get_message (rows->pdata[i]);
      g_autoptr (GPtrArray) labels = g_ptr_array_new ();

      if (m == NULL || strstr (tea_chat_message_get_text (m), contains) == NULL)
        continue;
      /* What the user reads: the body label's text after markup. */
      collect (rows->pdata[i], GTK_TYPE_LABEL, labels);
      for (guint j = 0; j < labels->len; j++)
        if (gtk_widget_has_css_class (labels->pdata[j], "body"))
          return gtk_label_get_text (labels->pdata[j]);
    }
  return NULL;
}

/* Whether the row showing text marks it as sent unencrypted. */
static gboolean
row_marked_unencrypted (const char *contains)
{
  g_autoptr (GPtrArray) rows = g_ptr_array_new ();

  collect (GTK_WIDGET (window ()), TEA_TYPE_MESSAGE_ROW, rows);
  for (guint i = 0; i < rows->len; i++)
    {
      TeaChatMessage *m = tea_message_row_get_message (rows->pdata[i]);
      g_autoptr (GPtrArray) images = g_ptr_array_new ();

      if (m == NULL || strstr (tea_chat_message_get_text (m), contains) == NULL)
        continue;
      collect (rows->pdata[i], GTK_TYPE_IMAGE, images);
      for (guint j = 0; j < images->len; j++)
        if (g_strcmp0 (gtk_image_get_icon_name (images->pdata[j]), "channel-insecure-symbolic") == 0)
          return TRUE;
      return FALSE;
    }
  g_assert_not_reached ();
}

static gboolean
row_shown (gpointer text)
{
  return shown_row_text (text) != NULL;
}

static gboolean
label_with_text_shown (GtkWidget *root, const char *css_class, const char *text)
{
  g_autoptr (GPtrArray) labels = g_ptr_array_new ();

  collect (root, GTK_TYPE_LABEL, labels);
  for (guint i = 0; i < labels->len; i++)
    if ((css_class == NULL || gtk_widget_has_css_class (labels->pdata[i], css_class)) &&
        gtk_widget_get_visible (labels->pdata[i]) &&
        g_strcmp0 (gtk_label_get_text (labels->pdata[i]), text) == 0)
      return TRUE;
  return FALSE;
}

/* ---- Real keystrokes ------------------------------------------------------ */

static gboolean
process_done (gpointer user_data)
{
  return g_subprocess_get_identifier (user_data) == NULL;
}

/* Runs xdotool while the main loop keeps going (the window must answer). */
static void
xdotool (const char *const *args)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (GSubprocess) process = NULL;

  g_ptr_array_add (argv, (gpointer) "xdotool");
  for (guint i = 0; args[i]; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);
  process = g_subprocess_newv ((const char *const *) argv->pdata, G_SUBPROCESS_FLAGS_NONE, &error);
  g_assert_no_error (error);
  g_assert_true (tea_test_wait (process_done, process, 20000));
  g_assert_true (g_subprocess_get_successful (process));
  tea_test_run_for (50);
}

static void
focus_composer (void)
{
  TeaComposer *composer = g_object_get_data (G_OBJECT (window ()), "tea-test-composer");
  g_autoptr (GPtrArray) found = g_ptr_array_new ();

  if (composer == NULL)
    {
      collect (GTK_WIDGET (window ()), TEA_TYPE_COMPOSER, found);
      g_assert_cmpuint (found->len, ==, 1);
      composer = found->pdata[0];
      g_object_set_data (G_OBJECT (window ()), "tea-test-composer", composer);
    }
  gtk_window_present (GTK_WINDOW (window ()));
  tea_composer_grab_focus (composer);
  tea_test_run_for (100);
}

static TeaComposer *
composer (void)
{
  focus_composer ();
  return g_object_get_data (G_OBJECT (window ()), "tea-test-composer");
}

static void
type_text (const char *text)
{
  const char *args[] = { "type", "--delay", "15", text, NULL };
  xdotool (args);
}

static void
press (const char *key)
{
  const char *args[] = { "key", key, NULL };
  xdotool (args);
}

/* ---- Tests ----------------------------------------------------------------- */

static void
test_type_and_send (void)
{
  g_autoptr (TeaTestPeer) bob = tea_test_peer_new (fixture.port, "bob");

  tea_test_peer_connect (bob, "lobby");
  focus_composer ();
  type_text ("hello from the window");
  press ("Return");
  tea_test_peer_wait_count (bob, "MESSAGE", "hello from the window", 1);
  g_assert_true (tea_test_wait (row_shown, "hello from the window", 5000));
  /* Sent, so the composer is empty again. */
  {
    g_autofree char *left = tea_composer_get_text (composer ());
    g_assert_cmpstr (left, ==, "");
  }

  /* Shift+Enter is a new line, not a send. */
  type_text ("first line");
  press ("shift+Return");
  type_text ("second line");
  press ("Return");
  tea_test_peer_wait_count (bob, "MESSAGE", "first line\nsecond line", 1);

  tea_client_say (bob->client, "lobby", "hi from bob", TEA_TEXT_KIND_MESSAGE);
  g_assert_true (tea_test_wait (row_shown, "hi from bob", 10000));
}

static void
test_preedit_does_not_send (void)
{
  g_autoptr (TeaTestPeer) bob = tea_test_peer_new (fixture.port, "carol");
  GtkTextView *view = tea_composer_get_text_view (composer ());

  tea_test_peer_connect (bob, "lobby");
  focus_composer ();
  type_text ("ni");
  /* An input method composing "你": Enter belongs to it, not to sending. */
  g_signal_emit_by_name (view, "preedit-changed", "你");
  press ("Return");
  tea_test_run_for (300);
  g_assert_cmpuint (tea_test_peer_count (bob, "MESSAGE", "ni"), ==, 0);
  g_signal_emit_by_name (view, "preedit-changed", "");
  press ("Return");
  tea_test_peer_wait_count (bob, "MESSAGE", "ni", 1);
}

static void
test_markup_is_text (void)
{
  g_autoptr (TeaTestPeer) mallory = tea_test_peer_new (fixture.port, "<b>mal</b>");
  const char *evil = "<span foreground='red'>red</span> & <a href='https://evil.example'>click</a>";
  const char *shown;

  tea_test_peer_connect (mallory, "lobby");
  tea_client_say (mallory->client, "lobby", evil, TEA_TEXT_KIND_MESSAGE);
  g_assert_true (tea_test_wait (row_shown, "foreground", 10000));
  shown = shown_row_text ("foreground");
  /* Shown literally: had it been taken as markup, the text would read
   * "red & click". */
  g_assert_cmpstr (shown, ==, evil);
  g_assert_true (label_with_text_shown (GTK_WIDGET (window ()), "nick", "<b>mal</b>"));
}

static void
test_unencrypted_marked (void)
{
  g_autoptr (TeaTestPeer) grace = tea_test_peer_new (fixture.port, "grace");
  g_autoptr (GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) relay = g_inet_socket_address_new (loopback, fixture.port);
  g_autoptr (GSocket) seed = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, NULL);
  const char *lines[] = { "frank", "frank : plain as day", "frank : exit" };

  tea_test_peer_connect (grace, "lobby");
  tea_client_say (grace->client, "lobby", "sealed tight", TEA_TEXT_KIND_MESSAGE);
  g_assert_true (tea_test_wait (row_shown, "sealed tight", 10000));
  /* The seed's client: its name, then "name : text", then "name : exit". */
  for (guint i = 0; i < G_N_ELEMENTS (lines); i++)
    g_assert_cmpint (g_socket_send_to (seed, relay, lines[i], strlen (lines[i]), NULL, NULL), ==, strlen (lines[i]));
  g_assert_true (tea_test_wait (row_shown, "plain as day", 10000));
  g_assert_true (row_marked_unencrypted ("plain as day"));
  g_assert_false (row_marked_unencrypted ("sealed tight"));
}

static gboolean
badges_shown (gpointer user_data)
{
  return label_with_text_shown (GTK_WIDGET (window ()), "mention-badge", "@1") &&
         label_with_text_shown (GTK_WIDGET (window ()), "unread-badge", "2");
}

static void
test_unread_and_mention_badges (void)
{
  g_autoptr (TeaTestPeer) bob = tea_test_peer_new (fixture.port, "dave");

  tea_test_peer_connect (bob, "lobby");
  /* Look at another room; lobby's news must show in the sidebar. */
  tea_window_select_room (window (), "garden");
  tea_test_run_for (200);
  tea_client_say (bob->client, "lobby", "anyone here?", TEA_TEXT_KIND_MESSAGE);
  tea_client_say (bob->client, "lobby", "alice: tea is ready", TEA_TEXT_KIND_MESSAGE);
  g_assert_true (tea_test_wait (badges_shown, NULL, 10000));
  /* Coming back to the room reads it. */
  tea_window_select_room (window (), "lobby");
  tea_test_run_for (200);
  g_assert_false (badges_shown (NULL));
}

static gboolean
notified (gpointer user_data)
{
  for (guint i = 0; i < fixture.notifications->len; i++)
    if (strstr (fixture.notifications->pdata[i], user_data))
      return TRUE;
  return FALSE;
}

static void
test_notification_when_unfocused (void)
{
  g_autoptr (TeaTestPeer) bob = tea_test_peer_new (fixture.port, "erin");
  const char *found = NULL;

  tea_test_peer_connect (bob, "lobby");
  gtk_widget_set_visible (GTK_WIDGET (window ()), FALSE);
  tea_test_run_for (100);
  tea_client_say (bob->client, "lobby", "alice: are you there?", TEA_TEXT_KIND_MESSAGE);
  g_assert_true (tea_test_wait (notified, "are you there?", 10000));
  for (guint i = 0; i < fixture.notifications->len; i++)
    if (strstr (fixture.notifications->pdata[i], "are you there?"))
      found = fixture.notifications->pdata[i];
  /* Room and sender in the title; the default action opens that room. */
  g_assert_cmpstr (found, ==, "erin in lobby|alice: are you there?|app.open-room|'lobby'");

  tea_window_select_room (window (), "garden");
  g_action_group_activate_action (G_ACTION_GROUP (fixture.app), "open-room", g_variant_new_string ("lobby"));
  tea_test_run_for (200);
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (window ())));
  g_assert_cmpstr (tea_room_get_name (tea_window_get_room (window ())), ==, "lobby");

  /* Looking at the room: no notification for what arrives there. */
  gtk_window_present (GTK_WINDOW (window ()));
  tea_test_run_for (300);
  if (gtk_window_is_active (GTK_WINDOW (window ())))
    {
      guint before = fixture.notifications->len;

      tea_client_say (bob->client, "lobby", "alice: and now?", TEA_TEXT_KIND_MESSAGE);
      g_assert_true (tea_test_wait (row_shown, "and now?", 10000));
      g_assert_cmpuint (fixture.notifications->len, ==, before);
    }
}

static gboolean
reconnecting_shown (gpointer user_data)
{
  TeaClient *client = tea_chat_get_client (chat ());
  return tea_client_get_state (client) == TEA_CLIENT_STATE_RECONNECTING ||
         tea_client_get_state (client) == TEA_CLIENT_STATE_CONNECTING;
}

static void
test_relay_restart (void)
{
  guint16 port = fixture.port;
  g_autoptr (TeaTestPeer) bob = NULL;

  /* The relay goes down and comes back on the same port and key. */
  stop_relay ();
  tea_client_say (tea_chat_get_client (chat ()), "lobby", "knock knock", TEA_TEXT_KIND_MESSAGE);
  start_relay (port);
  bob = tea_test_peer_new (port, "bob");
  tea_test_peer_connect (bob, "lobby");
  tea_client_say (tea_chat_get_client (chat ()), "lobby", "anyone?", TEA_TEXT_KIND_MESSAGE);
  g_assert_true (tea_test_wait (reconnecting_shown, NULL, 10000) || connected_and_joined ("lobby"));
  g_assert_true (tea_test_wait (connected_and_joined, "lobby", 20000));
  /* The user is told what happened, in the room. */
  g_assert_true (tea_test_wait (row_shown, "restarted", 10000));
  focus_composer ();
  type_text ("back again");
  press ("Return");
  tea_test_peer_wait_count (bob, "MESSAGE", "back again", 1);
}

static void
test_keyboard_room_switching (void)
{
  g_autoptr (GPtrArray) rows = NULL;

  tea_window_select_room (window (), "lobby");
  focus_composer ();
  press ("alt+Down");
  g_assert_cmpstr (tea_room_get_name (tea_window_get_room (window ())), ==, "garden");
  press ("ctrl+Page_Up");
  g_assert_cmpstr (tea_room_get_name (tea_window_get_room (window ())), ==, "lobby");
  /* Tab in an empty composer leaves it: keyboard users are never trapped.
   * After a partial nick it completes instead. */
  {
    GtkWidget *view = GTK_WIDGET (tea_composer_get_text_view (composer ()));
    g_autofree char *completed = NULL;

    press ("Tab");
    g_assert_false (gtk_widget_has_focus (view));
    focus_composer ();
    type_text ("ali");
    press ("Tab");
    g_assert_true (gtk_widget_has_focus (view));
    completed = tea_composer_get_text (composer ());
    g_assert_cmpstr (completed, ==, "alice: ");
    tea_composer_set_text (composer (), "");
  }
}

static void
test_chinese (void)
{
  GtkWidget *welcome_window;

  /* A second window opens on the welcome page; its strings are Chinese. */
  welcome_window = GTK_WIDGET (tea_window_new (fixture.app));
  tea_window_show_welcome (TEA_WINDOW (welcome_window));
  gtk_window_present (GTK_WINDOW (welcome_window));
  tea_test_run_for (300);
  g_assert_true (label_with_text_shown (welcome_window, NULL, "欢迎使用茶馆"));
  gtk_window_destroy (GTK_WINDOW (welcome_window));
}

/* Before gtk_init(): GTestDBus forks a watcher process, and a fork taken
 * while GTK's threads run leaves the leak checker, at the watcher's exit,
 * blind to everything those threads held. */
static void
start_session_bus (void)
{
  /* GTestDBus unsets DISPLAY (against X11 autolaunch); xdotool needs it. */
  g_autofree char *display = g_strdup (g_getenv ("DISPLAY"));

  fixture.bus = g_test_dbus_new (G_TEST_DBUS_NONE);
  g_test_dbus_up (fixture.bus);
  g_setenv ("DISPLAY", display, TRUE);
}

static void
set_up (const char *locale_dir)
{
  g_autoptr (GSettings) settings = NULL;
  g_autoptr (GError) error = NULL;
  const char *rooms[] = { "lobby", "garden", NULL };
  g_autofree char *server = NULL;

  fixture.home = g_dir_make_tmp ("tea-window-XXXXXX", NULL);
  g_setenv ("XDG_CONFIG_HOME", fixture.home, TRUE);
  g_setenv ("XDG_DATA_HOME", fixture.home, TRUE);
  g_setenv ("XDG_STATE_HOME", fixture.home, TRUE);
  bindtextdomain (GETTEXT_PACKAGE, locale_dir);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  fixture.notifications = g_ptr_array_new_with_free_func (g_free);
  start_notification_server ();

  tea_keypair_generate (&fixture.relay_key);
  start_relay (0);

  settings = g_settings_new (APPLICATION_ID);
  server = g_strdup_printf ("127.0.0.1:%u", fixture.port);
  g_settings_set_string (settings, "nickname", "alice");
  g_settings_set_string (settings, "server", server);
  g_settings_set_strv (settings, "rooms", rooms);

  fixture.app = tea_application_new ();
  g_assert_true (g_application_register (G_APPLICATION (fixture.app), NULL, &error));
  g_assert_no_error (error);
  g_application_activate (G_APPLICATION (fixture.app));
  g_assert_true (tea_test_wait (connected_and_joined, "lobby", 20000));
  g_assert_true (tea_test_wait (connected_and_joined, "garden", 20000));
}

int
main (int argc, char **argv)
{
  g_autofree char *locale_dir = NULL;
  int status;

  if (setlocale (LC_ALL, "") == NULL)
    g_error ("the locale %s is missing (build-aux/install-deps generates zh_CN.UTF-8)", g_getenv ("LC_ALL"));
  g_test_init (&argc, &argv, NULL);
  start_session_bus ();
  gtk_init ();
  locale_dir = g_test_build_filename (G_TEST_BUILT, "..", "po", NULL);
  if (g_strcmp0 (g_getenv ("LANGUAGE"), "zh_CN") == 0)
    {
      g_test_add_func ("/tea/ui/chinese", test_chinese);
    }
  else
    {
      g_test_add_func ("/tea/ui/type-and-send", test_type_and_send);
      g_test_add_func ("/tea/ui/preedit-does-not-send", test_preedit_does_not_send);
      g_test_add_func ("/tea/ui/markup-is-text", test_markup_is_text);
      g_test_add_func ("/tea/ui/unencrypted-marked", test_unencrypted_marked);
      g_test_add_func ("/tea/ui/unread-and-mention-badges", test_unread_and_mention_badges);
      g_test_add_func ("/tea/ui/notification-when-unfocused", test_notification_when_unfocused);
      g_test_add_func ("/tea/ui/keyboard-room-switching", test_keyboard_room_switching);
      g_test_add_func ("/tea/ui/relay-restart", test_relay_restart);
    }
  set_up (locale_dir);
  status = g_test_run ();

  g_application_quit (G_APPLICATION (fixture.app));
  g_clear_object (&fixture.app);
  stop_relay ();
  g_dbus_connection_unregister_object (fixture.service, fixture.object_id);
  g_clear_object (&fixture.service);
  g_ptr_array_unref (fixture.notifications);
  /* Not g_test_dbus_down(): GTK holds the session connection until exit,
   * and GTestDBus's watcher ends the bus daemon when we exit. */
  return status;
}
