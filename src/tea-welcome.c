/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "tea-clamp.h"
#include "tea-link.h"
#include "tea-names.h"
#include "tea-welcome.h"

struct _TeaWelcome
{
  GtkWidget parent_instance;

  GtkEntry *nick_entry;
  GtkEntry *server_entry;
  GtkLabel *error_label;
  GtkButton *connect_button;
  GtkButton *host_button;
};

enum {
  SIGNAL_CONNECT,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (TeaWelcome, tea_welcome, GTK_TYPE_WIDGET)

static const char *
entry_text (GtkEntry *entry)
{
  return gtk_editable_get_text (GTK_EDITABLE (entry));
}

static const char *
server_text (TeaWelcome *welcome)
{
  const char *server = entry_text (welcome->server_entry);
  return *server ? server : "localhost:9999";
}

static gboolean
nick_ok (TeaWelcome *welcome)
{
  const char *nick = entry_text (welcome->nick_entry);
  return tea_nick_is_valid (nick, strlen (nick));
}

static void
on_changed (TeaWelcome *welcome)
{
  const char *nick = entry_text (welcome->nick_entry);
  gboolean valid = nick_ok (welcome);

  gtk_widget_set_sensitive (GTK_WIDGET (welcome->connect_button), valid);
  gtk_widget_set_sensitive (GTK_WIDGET (welcome->host_button), valid);
  if (*nick && !valid)
    tea_welcome_show_error (welcome, _("Nicknames are 1 to 30 characters, without spaces"));
  else
    gtk_widget_set_visible (GTK_WIDGET (welcome->error_label), FALSE);
}

static void
emit_connect (TeaWelcome *welcome, gboolean host)
{
  g_autofree char *parsed_host = NULL;
  g_autoptr (GError) error = NULL;
  guint16 port;

  if (!nick_ok (welcome))
    return;
  if (!host && !tea_parse_server (server_text (welcome), TEA_DEFAULT_PORT, &parsed_host, &port, &error))
    {
      tea_welcome_show_error (welcome, error->message);
      return;
    }
  g_signal_emit (welcome, signals[SIGNAL_CONNECT], 0, entry_text (welcome->nick_entry),
                 server_text (welcome), host);
}

static void
on_connect_clicked (TeaWelcome *welcome)
{
  emit_connect (welcome, FALSE);
}

static void
on_host_clicked (TeaWelcome *welcome)
{
  emit_connect (welcome, TRUE);
}

static void
tea_welcome_dispose (GObject *object)
{
  GtkWidget *child;

  gtk_widget_dispose_template (GTK_WIDGET (object), TEA_TYPE_WELCOME);
  /* The scrolled window is not bound to a field, so the template leaves it. */
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (object))))
    gtk_widget_unparent (child);
  G_OBJECT_CLASS (tea_welcome_parent_class)->dispose (object);
}

static void
tea_welcome_class_init (TeaWelcomeClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = tea_welcome_dispose;
  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/teahouse/Teahouse/tea-welcome.ui");
  gtk_widget_class_bind_template_child (widget_class, TeaWelcome, nick_entry);
  gtk_widget_class_bind_template_child (widget_class, TeaWelcome, server_entry);
  gtk_widget_class_bind_template_child (widget_class, TeaWelcome, error_label);
  gtk_widget_class_bind_template_child (widget_class, TeaWelcome, connect_button);
  gtk_widget_class_bind_template_child (widget_class, TeaWelcome, host_button);
  gtk_widget_class_bind_template_callback (widget_class, on_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_connect_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_host_clicked);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  g_type_ensure (TEA_TYPE_CLAMP);

  /**
   * TeaWelcome::connect:
   * @nick: the nickname
   * @server: host or host:port (ignored when hosting)
   * @host: whether to host a room on this computer
   *
   * The user chose how to start.
   */
  signals[SIGNAL_CONNECT] = g_signal_new ("connect", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                          NULL, NULL, NULL, G_TYPE_NONE, 3,
                                          G_TYPE_STRING, G_TYPE_STRING, G_TYPE_BOOLEAN);
}

static void
tea_welcome_init (TeaWelcome *welcome)
{
  gtk_widget_init_template (GTK_WIDGET (welcome));
  on_changed (welcome);
}

void
tea_welcome_set_values (TeaWelcome *welcome, const char *nick, const char *server)
{
  gtk_editable_set_text (GTK_EDITABLE (welcome->nick_entry), nick ? nick : "");
  gtk_editable_set_text (GTK_EDITABLE (welcome->server_entry), server ? server : "");
  on_changed (welcome);
}

void
tea_welcome_show_error (TeaWelcome *welcome, const char *message)
{
  gtk_label_set_text (welcome->error_label, message);
  gtk_widget_set_visible (GTK_WIDGET (welcome->error_label), TRUE);
}

void
tea_welcome_focus (TeaWelcome *welcome)
{
  gtk_widget_grab_focus (GTK_WIDGET (welcome->nick_entry));
}
