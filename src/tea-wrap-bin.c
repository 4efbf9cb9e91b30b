/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "tea-wrap-bin.h"

struct _TeaWrapBin
{
  GtkWidget parent_instance;

  GtkWidget *child;
};

G_DEFINE_FINAL_TYPE (TeaWrapBin, tea_wrap_bin, GTK_TYPE_WIDGET)

static void
tea_wrap_bin_measure (GtkWidget *widget, GtkOrientation orientation, int for_size, int *minimum, int *natural,
                      int *minimum_baseline, int *natural_baseline)
{
  TeaWrapBin *bin = TEA_WRAP_BIN (widget);

  *minimum = *natural = 0;
  if (!gtk_widget_should_layout (bin->child))
    return;
  /* Any width from the child's minimum up will do: the text wraps to it.
   * GTK measures that minimum anyway before it asks for a height. */
  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    {
      gtk_widget_measure (bin->child, orientation, -1, minimum, NULL, NULL, NULL);
      *natural = *minimum;
      return;
    }
  /* A height for no width in particular (a scrolled window asks it of
   * every row, then ignores it) would lay the text out on one line and
   * again at its natural width: the width it has will do. */
  if (for_size < 0)
    for_size = gtk_widget_get_width (widget);
  if (for_size > 0)
    gtk_widget_measure (bin->child, orientation, for_size, minimum, natural, minimum_baseline, natural_baseline);
}

static void
tea_wrap_bin_size_allocate (GtkWidget *widget, int width, int height, int baseline)
{
  TeaWrapBin *bin = TEA_WRAP_BIN (widget);

  if (gtk_widget_should_layout (bin->child))
    gtk_widget_size_allocate (bin->child, &(GtkAllocation) { 0, 0, width, height }, baseline);
}

static GtkSizeRequestMode
tea_wrap_bin_get_request_mode (GtkWidget *widget)
{
  return GTK_SIZE_REQUEST_HEIGHT_FOR_WIDTH;
}

static void
tea_wrap_bin_dispose (GObject *object)
{
  g_clear_pointer (&TEA_WRAP_BIN (object)->child, gtk_widget_unparent);
  G_OBJECT_CLASS (tea_wrap_bin_parent_class)->dispose (object);
}

static void
tea_wrap_bin_class_init (TeaWrapBinClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = tea_wrap_bin_dispose;
  widget_class->measure = tea_wrap_bin_measure;
  widget_class->size_allocate = tea_wrap_bin_size_allocate;
  widget_class->get_request_mode = tea_wrap_bin_get_request_mode;
  gtk_widget_class_set_css_name (widget_class, "wrapbin");
}

static void
tea_wrap_bin_init (TeaWrapBin *bin)
{
}

GtkWidget *
tea_wrap_bin_new (GtkWidget *child)
{
  TeaWrapBin *bin;

  g_return_val_if_fail (GTK_IS_WIDGET (child), NULL);

  bin = g_object_new (TEA_TYPE_WRAP_BIN, NULL);
  bin->child = child;
  gtk_widget_set_parent (child, GTK_WIDGET (bin));
  return GTK_WIDGET (bin);
}
