/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib-unix.h>
#include <glib/gi18n.h>

#include "tea-application.h"
#include "tea-code.h"
#include "tea-host.h"
#include "tea-link.h"
#include "tea-preferences.h"
#include "tea-portal.h"
#include "tea-window.h"

struct _TeaApplication
{
  GtkApplication parent_instance;

  GSettings *settings;
  TeaKnownServers *known;
  TeaChat *chat;
  TeaHost *host;
  TeaColorScheme *color_scheme;
  gboolean held; /* running in the background with no window */
};

G_DEFINE_FINAL_TYPE (TeaApplication, tea_application, GTK_TYPE_APPLICATION)

static TeaWindow *
get_window (TeaApplication *app)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (app));

  if (window == NULL)
    {
      window = GTK_WINDOW (tea_window_new (app));
      if (app->chat)
        tea_window_set_chat (TEA_WINDOW (window), app->chat);
    }
  return TEA_WINDOW (window);
}

static void
present (TeaApplication *app)
{
  TeaWindow *window = get_window (app);

  if (app->held)
    {
      g_application_release (G_APPLICATION (app));
      app->held = FALSE;
    }
  gtk_window_present (GTK_WINDOW (window));
}

/* ---- Notifications ----------------------------------------------------- */

static TeaNotifyLevel
room_notify_level (TeaApplication *app, TeaRoom *room)
{
  g_autoptr (GVariant) levels = g_settings_get_value (app->settings, "room-notify-levels");
  const char *level = NULL;

  if (g_variant_lookup (levels, tea_room_get_name (room), "&s", &level))
    {
      if (g_str_equal (level, "all"))
        return TEA_NOTIFY_ALL;
      if (g_str_equal (level, "off"))
        return TEA_NOTIFY_OFF;
      return TEA_NOTIFY_MENTIONS;
    }
  return g_settings_get_enum (app->settings, "notify-level");
}

static gboolean
should_notify (TeaApplication *app, TeaRoom *room, TeaChatMessage *message)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (app));
  TeaChatMessageKind kind = tea_chat_message_get_kind (message);

  if ((kind != TEA_CHAT_MESSAGE_TEXT && kind != TEA_CHAT_MESSAGE_ACTION) || tea_chat_message_get_own (message))
    return FALSE;
  /* The user is looking at it. */
  if (window && gtk_widget_get_visible (GTK_WIDGET (window)) && gtk_window_is_active (window) &&
      tea_room_get_active (room))
    return FALSE;
  switch (room_notify_level (app, room))
    {
    case TEA_NOTIFY_ALL:
      return TRUE;
    case TEA_NOTIFY_MENTIONS:
      return tea_chat_message_get_mention (message);
    case TEA_NOTIFY_OFF:
    default:
      return FALSE;
    }
}

static void
on_message_added (TeaChat *chat, TeaRoom *room, TeaChatMessage *message, gpointer user_data)
{
  TeaApplication *app = user_data;
  g_autoptr (GNotification) notification = NULL;
  g_autofree char *title = NULL;
  g_autofree char *id = NULL;

  if (!should_notify (app, room, message))
    return;
  if (tea_chat_room_is_private (chat, room))
    /* Translators: notification title for a private message; %s is who sent it */
    title = g_strdup_printf (_("%s (private message)"), tea_chat_message_get_nick (message));
  else
    /* Translators: notification title: "alice in lobby" */
    title = g_strdup_printf (_("%s in %s"), tea_chat_message_get_nick (message), tea_room_get_name (room));
  notification = g_notification_new (title);
  g_notification_set_body (notification, tea_chat_message_get_text (message));
  g_notification_set_default_action_and_target (notification, "app.open-room", "s", tea_room_get_name (room));
  if (tea_chat_message_get_mention (message))
    g_notification_set_priority (notification, G_NOTIFICATION_PRIORITY_HIGH);
  /* One notification per room: the latest replaces the earlier ones. */
  id = g_strdup_printf ("room-%s", tea_room_get_name (room));
  g_application_send_notification (G_APPLICATION (app), id, notification);
}

/* ---- Connection -------------------------------------------------------- */

static void
remember_rooms (TeaApplication *app)
{
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();
  g_auto (GStrv) rooms = NULL;
  GListModel *model;

  if (app->chat == NULL)
    return;
  model = tea_chat_get_rooms (app->chat);
  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr (TeaRoom) room = g_list_model_get_item (model, i);

      if (!tea_chat_room_is_private (app->chat, room))
        g_strv_builder_add (builder, tea_room_get_name (room));
    }
  rooms = g_strv_builder_end (builder);
  g_settings_set_strv (app->settings, "rooms", (const char *const *) rooms);
}

static void
on_rooms_changed (GListModel *rooms, guint position, guint removed, guint added, gpointer user_data)
{
  remember_rooms (user_data);
}

static void
drop_chat (TeaApplication *app)
{
  if (app->chat == NULL)
    return;
  g_signal_handlers_disconnect_by_data (tea_chat_get_rooms (app->chat), app);
  g_signal_handlers_disconnect_by_data (app->chat, app);
  tea_chat_disconnect (app->chat, NULL);
  g_clear_object (&app->chat);
}

static gboolean
start_hosting (TeaApplication *app, char **server)
{
  g_autoptr (GError) error = NULL;

  if (app->host == NULL)
    app->host = tea_host_new (NULL);
  if (!tea_host_start (app->host, g_settings_get_int (app->settings, "host-port"), &error))
    {
      tea_window_show_error (get_window (app), _("Cannot host a room"), error->message);
      return FALSE;
    }
  *server = g_strdup_printf ("localhost:%u", tea_host_get_port (app->host));
  return TRUE;
}

void
tea_application_start_chat (TeaApplication *app, const char *nick, const char *server, gboolean host,
                            const char *fingerprint)
{
  g_autofree char *address = NULL;
  g_autofree char *parsed_host = NULL;
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) rooms = NULL;
  guint16 port;

  if (host && !start_hosting (app, &address))
    return;
  if (!host && app->host)
    {
      tea_host_stop (app->host);
      g_clear_object (&app->host);
    }
  if (!tea_parse_server (address ? address : server, TEA_DEFAULT_PORT, &parsed_host, &port, &error))
    {
      tea_window_show_error (get_window (app), _("Cannot connect"), error->message);
      return;
    }
  drop_chat (app);
  g_settings_set_string (app->settings, "nickname", nick);
  if (!host)
    g_settings_set_string (app->settings, "server", server);
  g_settings_set_boolean (app->settings, "host-room", host);

  app->chat = tea_chat_new (parsed_host, port, nick, app->known);
  tea_client_watch_network (tea_chat_get_client (app->chat));
  {
    g_autofree char *name = g_strdup_printf ("resume-%s-%u", parsed_host, port);
    g_autofree char *path = g_build_filename (g_get_user_state_dir (), "teahouse", name, NULL);

    tea_client_set_resume_file (tea_chat_get_client (app->chat), path);
  }
  /* A link's fingerprint pins the key in advance; hosting pins our own. */
  if (fingerprint)
    tea_client_set_pinned_fingerprint (tea_chat_get_client (app->chat), fingerprint);
  else if (host)
    tea_client_set_pinned_fingerprint (tea_chat_get_client (app->chat), tea_host_get_fingerprint (app->host));
  g_signal_connect (app->chat, "message-added", G_CALLBACK (on_message_added), app);
  rooms = g_settings_get_strv (app->settings, "rooms");
  for (guint i = 0; rooms[i]; i++)
    tea_chat_join (app->chat, rooms[i]);
  if (rooms[0] == NULL)
    tea_chat_join (app->chat, "lobby");
  g_signal_connect (tea_chat_get_rooms (app->chat), "items-changed", G_CALLBACK (on_rooms_changed), app);
  tea_window_set_chat (get_window (app), app->chat);
  tea_chat_connect (app->chat);
}

/* ---- Actions ----------------------------------------------------------- */

static void
quit_activated (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  TeaApplication *app = user_data;

  drop_chat (app);
  g_application_quit (G_APPLICATION (app));
}

static void
preferences_activated (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  TeaApplication *app = user_data;
  TeaPreferences *preferences = tea_preferences_new (app->settings);

  gtk_window_set_transient_for (GTK_WINDOW (preferences), GTK_WINDOW (get_window (app)));
  gtk_window_present (GTK_WINDOW (preferences));
}

static void
about_activated (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  TeaApplication *app = user_data;
  const char *developers[] = { _("The Teahouse developers"), NULL };

  gtk_show_about_dialog (GTK_WINDOW (get_window (app)),
                         "program-name", _("Teahouse"),
                         "logo-icon-name", APPLICATION_ID,
                         "version", PACKAGE_VERSION,
                         "comments", _("Small-group chat that keeps every message, encrypted"),
                         "website", "https://github.com/teahouse/teahouse",
                         "license-type", GTK_LICENSE_GPL_3_0,
                         "authors", developers,
                         /* Translators: put your names here, one per line */
                         "translator-credits", _("translator-credits"),
                         NULL);
}

static void
open_room_activated (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  TeaApplication *app = user_data;
  const char *room = g_variant_get_string (parameter, NULL);

  present (app);
  tea_window_select_room (get_window (app), room);
  g_application_withdraw_notification (G_APPLICATION (app), room);
}

static const GActionEntry app_actions[] = {
  { "quit", quit_activated, NULL, NULL, NULL, { 0 } },
  { "preferences", preferences_activated, NULL, NULL, NULL, { 0 } },
  { "about", about_activated, NULL, NULL, NULL, { 0 } },
  { "open-room", open_room_activated, "s", NULL, NULL, { 0 } },
};

/* ---- GApplication ------------------------------------------------------ */

static gboolean
on_terminate (gpointer user_data)
{
  /* Leave properly (QUIT reaches the rooms) when the session ends. */
  quit_activated (NULL, NULL, user_data);
  return G_SOURCE_REMOVE;
}

static void
load_style (void)
{
  g_autoptr (GtkCssProvider) provider = gtk_css_provider_new ();

  /* Plain GtkApplication (unlike libadwaita's) does not load style.css. */
  gtk_css_provider_load_from_resource (provider, "/io/github/teahouse/Teahouse/style.css");
  gtk_style_context_add_provider_for_display (gdk_display_get_default (), GTK_STYLE_PROVIDER (provider),
                                              GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
}

static void
tea_application_startup (GApplication *application)
{
  TeaApplication *app = TEA_APPLICATION (application);
  GtkApplication *gtk_app = GTK_APPLICATION (application);
  const char *quit[] = { "<Control>q", NULL };
  const char *preferences[] = { "<Control>comma", NULL };

  G_APPLICATION_CLASS (tea_application_parent_class)->startup (application);
  /* Here, not in init: --help and --version must work without the schema. */
  app->settings = g_settings_new (APPLICATION_ID);
  g_action_map_add_action_entries (G_ACTION_MAP (app), app_actions, G_N_ELEMENTS (app_actions), app);
  gtk_application_set_accels_for_action (gtk_app, "app.quit", quit);
  gtk_application_set_accels_for_action (gtk_app, "app.preferences", preferences);
  tea_window_add_accels (gtk_app);
  load_style ();
  g_unix_signal_add (SIGTERM, on_terminate, app);
  g_unix_signal_add (SIGINT, on_terminate, app);
  app->color_scheme = tea_color_scheme_new (app->settings);
}

static void
tea_application_activate (GApplication *application)
{
  TeaApplication *app = TEA_APPLICATION (application);
  g_autofree char *nick = g_settings_get_string (app->settings, "nickname");
  g_autofree char *server = g_settings_get_string (app->settings, "server");

  present (app);
  /* A returning user goes straight back to their rooms. */
  if (app->chat == NULL && *nick)
    tea_application_start_chat (app, nick, server, g_settings_get_boolean (app->settings, "host-room"), NULL);
}

static void
open_link (TeaApplication *app, const char *uri)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (TeaLink) link = tea_link_parse (uri, &error);
  g_autofree char *nick = g_settings_get_string (app->settings, "nickname");
  g_autofree char *server = NULL;

  present (app);
  if (link == NULL)
    {
      tea_window_show_error (get_window (app), _("Cannot open the link"), error->message);
      return;
    }
  server = g_strdup_printf (strchr (link->host, ':') ? "[%s]:%u" : "%s:%u", link->host, link->port);
  if (link->room)
    {
      g_auto (GStrv) rooms = g_settings_get_strv (app->settings, "rooms");
      g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();
      g_auto (GStrv) updated = NULL;

      g_strv_builder_addv (builder, (const char **) rooms);
      if (!g_strv_contains ((const char *const *) rooms, link->room))
        g_strv_builder_add (builder, link->room);
      updated = g_strv_builder_end (builder);
      g_settings_set_strv (app->settings, "rooms", (const char *const *) updated);
    }
  if (*nick == '\0')
    {
      /* Nothing to connect as yet: the welcome page, prefilled. */
      g_settings_set_string (app->settings, "server", server);
      g_settings_set_boolean (app->settings, "host-room", FALSE);
      tea_window_show_welcome (get_window (app));
      return;
    }
  tea_application_start_chat (app, nick, server, FALSE, link->fingerprint);
  if (link->room)
    tea_window_select_room (get_window (app), link->room);
}

static void
tea_application_open (GApplication *application, GFile **files, int n_files, const char *hint)
{
  for (int i = 0; i < n_files; i++)
    {
      g_autofree char *uri = g_file_get_uri (files[i]);
      open_link (TEA_APPLICATION (application), uri);
    }
}

static void
tea_application_shutdown (GApplication *application)
{
  TeaApplication *app = TEA_APPLICATION (application);

  drop_chat (app);
  if (app->host)
    tea_host_stop (app->host);
  G_APPLICATION_CLASS (tea_application_parent_class)->shutdown (application);
}

static void
tea_application_finalize (GObject *object)
{
  TeaApplication *app = TEA_APPLICATION (object);

  g_clear_object (&app->chat);
  g_clear_object (&app->host);
  g_clear_object (&app->color_scheme);
  g_clear_object (&app->settings);
  g_clear_pointer (&app->known, tea_known_servers_free);
  G_OBJECT_CLASS (tea_application_parent_class)->finalize (object);
}

static int
tea_application_handle_local_options (GApplication *application, GVariantDict *options)
{
  if (g_variant_dict_contains (options, "version"))
    {
      g_print ("teahouse %s\n", PACKAGE_VERSION);
      return 0;
    }
  return -1;
}

static void
tea_application_class_init (TeaApplicationClass *klass)
{
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  app_class->handle_local_options = tea_application_handle_local_options;
  G_OBJECT_CLASS (klass)->finalize = tea_application_finalize;
  app_class->startup = tea_application_startup;
  app_class->activate = tea_application_activate;
  app_class->open = tea_application_open;
  app_class->shutdown = tea_application_shutdown;
}

static void
tea_application_init (TeaApplication *app)
{
  static const GOptionEntry entries[] = {
    { "version", 0, 0, G_OPTION_ARG_NONE, NULL, N_("Print the version and exit"), NULL },
    { NULL }
  };

  app->known = tea_known_servers_new (NULL);
  g_application_add_main_option_entries (G_APPLICATION (app), entries);
  /* Translators: the argument placeholder in "teahouse [OPTION…] [LINK…]" */
  g_application_set_option_context_parameter_string (G_APPLICATION (app), _("[LINK…]"));
  g_application_set_option_context_summary (G_APPLICATION (app),
                                            _("Chat in small groups. LINK is a teahouse://HOST:PORT/ROOM#FINGERPRINT "
                                              "link to open."));
}

TeaApplication *
tea_application_new (void)
{
  return g_object_new (TEA_TYPE_APPLICATION,
                       "application-id", APPLICATION_ID,
                       "flags", G_APPLICATION_HANDLES_OPEN,
                       "resource-base-path", "/io/github/teahouse/Teahouse",
                       NULL);
}

GSettings *
tea_application_get_settings (TeaApplication *app)
{
  return app->settings;
}

TeaChat *
tea_application_get_chat (TeaApplication *app)
{
  return app->chat;
}

TeaKnownServers *
tea_application_get_known_servers (TeaApplication *app)
{
  return app->known;
}

char *
tea_application_dup_host_addresses (TeaApplication *app)
{
  g_auto (GStrv) addresses = NULL;

  if (app->host == NULL || tea_host_get_port (app->host) == 0)
    return NULL;
  addresses = tea_host_dup_addresses (app->host);
  return g_strjoinv (", ", addresses);
}

/* Called by the window when it is closed: keep running if asked to. */
gboolean
tea_application_window_closing (TeaApplication *app)
{
  if (!g_settings_get_boolean (app->settings, "run-in-background") || app->chat == NULL)
    return FALSE;
  if (!app->held)
    {
      g_application_hold (G_APPLICATION (app));
      app->held = TRUE;
      tea_portal_request_background ();
    }
  return TRUE;
}
