/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "tea-message-slot.h"

struct _TeaMessageSlot
{
  GtkWidget parent_instance;

  /* shown is the one visible; kept has what was shown before. */
  TeaMessageRow *shown;
  TeaMessageRow *kept;
  gboolean shown_laid_out; /* allocated since it was bound */
};

G_DEFINE_FINAL_TYPE (TeaMessageSlot, tea_message_slot, GTK_TYPE_WIDGET)

static void
show_row (TeaMessageSlot *slot, TeaMessageRow *row)
{
  if (row == slot->shown)
    return;
  slot->kept = slot->shown;
  slot->shown = row;
  gtk_widget_set_visible (GTK_WIDGET (slot->kept), FALSE);
  gtk_widget_set_visible (GTK_WIDGET (slot->shown), TRUE);
}

/* A row laid out is worth keeping: the list view may well give this slot
 * its message back. One never laid out (a room switch binds each new slot
 * twice before the first frame) is simply bound again. */
static TeaMessageRow *
row_to_bind (TeaMessageSlot *slot)
{
  if (!slot->shown_laid_out)
    return slot->shown;
  if (slot->kept == NULL)
    {
      slot->kept = tea_message_row_new ();
      gtk_widget_set_visible (GTK_WIDGET (slot->kept), FALSE);
      gtk_widget_set_parent (GTK_WIDGET (slot->kept), GTK_WIDGET (slot));
    }
  return slot->kept;
}

void
tea_message_slot_set_message (TeaMessageSlot *slot, TeaChatMessage *message)
{
  TeaMessageRow *row;

  g_return_if_fail (TEA_IS_MESSAGE_SLOT (slot));
  g_return_if_fail (TEA_IS_CHAT_MESSAGE (message));

  if (tea_message_row_shows (slot->shown, message))
    return;
  if (slot->kept && tea_message_row_shows (slot->kept, message))
    {
      show_row (slot, slot->kept);
      slot->shown_laid_out = TRUE;
      return;
    }
  row = row_to_bind (slot);
  tea_message_row_set_message (row, message);
  show_row (slot, row);
  slot->shown_laid_out = FALSE;
}

TeaMessageRow *
tea_message_slot_get_row (TeaMessageSlot *slot)
{
  g_return_val_if_fail (TEA_IS_MESSAGE_SLOT (slot), NULL);

  return slot->shown;
}

static void
tea_message_slot_measure (GtkWidget *widget, GtkOrientation orientation, int for_size, int *minimum, int *natural,
                          int *minimum_baseline, int *natural_baseline)
{
  TeaMessageSlot *slot = TEA_MESSAGE_SLOT (widget);

  gtk_widget_measure (GTK_WIDGET (slot->shown), orientation, for_size, minimum, natural, minimum_baseline,
                      natural_baseline);
}

static void
tea_message_slot_size_allocate (GtkWidget *widget, int width, int height, int baseline)
{
  TeaMessageSlot *slot = TEA_MESSAGE_SLOT (widget);

  gtk_widget_size_allocate (GTK_WIDGET (slot->shown), &(GtkAllocation) { 0, 0, width, height }, baseline);
  slot->shown_laid_out = TRUE;
}

static GtkSizeRequestMode
tea_message_slot_get_request_mode (GtkWidget *widget)
{
  return GTK_SIZE_REQUEST_HEIGHT_FOR_WIDTH;
}

static void
tea_message_slot_dispose (GObject *object)
{
  TeaMessageSlot *slot = TEA_MESSAGE_SLOT (object);

  g_clear_pointer ((GtkWidget **) &slot->shown, gtk_widget_unparent);
  g_clear_pointer ((GtkWidget **) &slot->kept, gtk_widget_unparent);
  G_OBJECT_CLASS (tea_message_slot_parent_class)->dispose (object);
}

static void
tea_message_slot_class_init (TeaMessageSlotClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = tea_message_slot_dispose;
  widget_class->measure = tea_message_slot_measure;
  widget_class->size_allocate = tea_message_slot_size_allocate;
  widget_class->get_request_mode = tea_message_slot_get_request_mode;
  gtk_widget_class_set_css_name (widget_class, "messageslot");
}

static void
tea_message_slot_init (TeaMessageSlot *slot)
{
  slot->shown = tea_message_row_new ();
  gtk_widget_set_parent (GTK_WIDGET (slot->shown), GTK_WIDGET (slot));
}

GtkWidget *
tea_message_slot_new (void)
{
  return g_object_new (TEA_TYPE_MESSAGE_SLOT, NULL);
}
