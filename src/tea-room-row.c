/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "tea-room-row.h"

struct _TeaRoomRow
{
  GtkListBoxRow parent_instance;

  TeaRoom *room;
  GtkLabel *name;
  GtkLabel *unread;
  GtkLabel *mentions;
};

G_DEFINE_FINAL_TYPE (TeaRoomRow, tea_room_row, GTK_TYPE_LIST_BOX_ROW)

static void
update (TeaRoomRow *row)
{
  guint unread = tea_room_get_unread (row->room);
  guint mentions = tea_room_get_mentions (row->room);
  g_autofree char *unread_text = g_strdup_printf ("%u", unread);
  g_autofree char *mention_text = g_strdup_printf ("@%u", mentions);
  g_autofree char *description = NULL;

  gtk_label_set_text (row->name, tea_room_get_name (row->room));
  gtk_label_set_text (row->unread, unread_text);
  gtk_widget_set_visible (GTK_WIDGET (row->unread), unread > 0);
  gtk_label_set_text (row->mentions, mention_text);
  gtk_widget_set_visible (GTK_WIDGET (row->mentions), mentions > 0);
  if (unread > 0 || mentions > 0)
    gtk_widget_add_css_class (GTK_WIDGET (row), "has-unread");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (row), "has-unread");
  gtk_widget_set_opacity (GTK_WIDGET (row->name), tea_room_get_joined (row->room) ? 1.0 : 0.55);

  {
    /* Translators: part of how a screen reader reads a room in the sidebar */
    g_autofree char *unread_words = g_strdup_printf (ngettext ("%u unread message", "%u unread messages", unread), unread);
    /* Translators: part of how a screen reader reads a room in the sidebar */
    g_autofree char *mention_words = g_strdup_printf (ngettext ("%u mention", "%u mentions", mentions), mentions);

    /* Translators: how a screen reader reads a room in the sidebar: the
     * room's name, its unread messages, its mentions of you */
    description = g_strdup_printf (C_("room row", "%s, %s, %s"), tea_room_get_name (row->room), unread_words,
                                   mention_words);
  }
  gtk_accessible_update_property (GTK_ACCESSIBLE (row), GTK_ACCESSIBLE_PROPERTY_LABEL, description, -1);
}

static void
tea_room_row_dispose (GObject *object)
{
  TeaRoomRow *row = TEA_ROOM_ROW (object);

  if (row->room)
    g_signal_handlers_disconnect_by_data (row->room, row);
  g_clear_object (&row->room);
  G_OBJECT_CLASS (tea_room_row_parent_class)->dispose (object);
}

static void
tea_room_row_class_init (TeaRoomRowClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = tea_room_row_dispose;
}

static void
tea_room_row_init (TeaRoomRow *row)
{
}

static GtkLabel *
badge (const char *css_class)
{
  GtkLabel *label = GTK_LABEL (gtk_label_new (NULL));

  gtk_widget_add_css_class (GTK_WIDGET (label), "badge");
  gtk_widget_add_css_class (GTK_WIDGET (label), css_class);
  gtk_widget_set_valign (GTK_WIDGET (label), GTK_ALIGN_CENTER);
  /* The row's label already says it. */
  gtk_accessible_update_state (GTK_ACCESSIBLE (label), GTK_ACCESSIBLE_STATE_HIDDEN, TRUE, -1);
  return label;
}

TeaRoomRow *
tea_room_row_new (TeaRoom *room, gboolean is_private)
{
  TeaRoomRow *row = g_object_new (TEA_TYPE_ROOM_ROW, NULL);
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 8);
  GtkWidget *icon = gtk_image_new_from_icon_name (is_private ? "avatar-default-symbolic" : "user-available-symbolic");

  row->room = g_object_ref (room);
  row->name = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_xalign (row->name, 0);
  gtk_label_set_ellipsize (row->name, PANGO_ELLIPSIZE_END);
  gtk_widget_set_hexpand (GTK_WIDGET (row->name), TRUE);
  row->mentions = badge ("mention-badge");
  row->unread = badge ("unread-badge");
  gtk_accessible_update_state (GTK_ACCESSIBLE (icon), GTK_ACCESSIBLE_STATE_HIDDEN, TRUE, -1);
  gtk_box_append (GTK_BOX (box), icon);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (row->name));
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (row->mentions));
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (row->unread));
  gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), box);
  g_signal_connect_swapped (room, "notify", G_CALLBACK (update), row);
  update (row);
  return row;
}

TeaRoom *
tea_room_row_get_room (TeaRoomRow *row)
{
  return row->room;
}
