/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <pango/pangocairo.h>

#include "tea-wrap-bin.h"

/* Heights remembered across bins: a room switch makes new rows for
 * messages measured before, GTK 4.8's list view measures every row it
 * binds (200 around the view, most of them out of sight), and measuring a
 * wrapped text again is most of a frame. A text's size depends only on
 * the text, its font and the width, so that is the key; a bounded table,
 * emptied when full, is enough. */
#define MAX_REMEMBERED 8192

typedef struct
{
  char *text;
  PangoFontDescription *font;
  double resolution;
  cairo_font_options_t *options;
  int for_size; /* -1: the minimum width */
} SizeKey;

typedef struct
{
  SizeKey key;
  int minimum, natural, minimum_baseline, natural_baseline;
} RememberedSize;

struct _TeaWrapBin
{
  GtkWidget parent_instance;

  GtkWidget *child;
  char *text_key;
};

G_DEFINE_FINAL_TYPE (TeaWrapBin, tea_wrap_bin, GTK_TYPE_WIDGET)

static guint
size_key_hash (gconstpointer data)
{
  const SizeKey *key = data;

  return g_str_hash (key->text) ^ pango_font_description_hash (key->font) ^ (guint) key->for_size * 2654435761u;
}

static gboolean
size_key_equal (gconstpointer a, gconstpointer b)
{
  const SizeKey *x = a, *y = b;

  return x->for_size == y->for_size && x->resolution == y->resolution && g_str_equal (x->text, y->text) &&
         pango_font_description_equal (x->font, y->font) &&
         (x->options == y->options ||
          (x->options && y->options && cairo_font_options_equal (x->options, y->options)));
}

static void
remembered_size_free (gpointer data)
{
  RememberedSize *size = data;

  g_free (size->key.text);
  pango_font_description_free (size->key.font);
  g_clear_pointer (&size->key.options, cairo_font_options_destroy);
  g_free (size);
}

static GHashTable *
remembered_sizes (void)
{
  static GHashTable *sizes;

  if (sizes == NULL)
    sizes = g_hash_table_new_full (size_key_hash, size_key_equal, remembered_size_free, NULL);
  return sizes;
}

/* What the child's size depends on, besides its text, at for_size. */
static SizeKey
key_for (TeaWrapBin *bin, int for_size)
{
  PangoContext *context = gtk_widget_get_pango_context (bin->child);

  return (SizeKey) {
    .text = bin->text_key,
    .font = (PangoFontDescription *) pango_context_get_font_description (context),
    .resolution = pango_cairo_context_get_resolution (context),
    .options = (cairo_font_options_t *) pango_cairo_context_get_font_options (context),
    .for_size = for_size,
  };
}

static void
remember (const SizeKey *key, int minimum, int natural, int minimum_baseline, int natural_baseline)
{
  GHashTable *sizes = remembered_sizes ();
  RememberedSize *size = g_new0 (RememberedSize, 1);

  if (g_hash_table_size (sizes) >= MAX_REMEMBERED)
    g_hash_table_remove_all (sizes);
  size->key.text = g_strdup (key->text);
  size->key.font = pango_font_description_copy (key->font);
  size->key.resolution = key->resolution;
  size->key.options = key->options ? cairo_font_options_copy (key->options) : NULL;
  size->key.for_size = key->for_size;
  size->minimum = minimum;
  size->natural = natural;
  size->minimum_baseline = minimum_baseline;
  size->natural_baseline = natural_baseline;
  g_hash_table_add (sizes, size);
}

/* Measures the child, or answers from what was measured for the same text
 * before. */
static void
measure_child (TeaWrapBin *bin, GtkOrientation orientation, int for_size, int *minimum, int *natural,
               int *minimum_baseline, int *natural_baseline)
{
  SizeKey key;
  RememberedSize measured, *size;

  if (bin->text_key == NULL)
    {
      gtk_widget_measure (bin->child, orientation, for_size, minimum, natural, minimum_baseline, natural_baseline);
      return;
    }
  key = key_for (bin, orientation == GTK_ORIENTATION_HORIZONTAL ? -1 : for_size);
  size = g_hash_table_lookup (remembered_sizes (), &key);
  if (size == NULL)
    {
      int min_baseline = -1, nat_baseline = -1;

      size = &measured;
      gtk_widget_measure (bin->child, orientation, for_size, &size->minimum, &size->natural, &min_baseline,
                          &nat_baseline);
      size->minimum_baseline = min_baseline;
      size->natural_baseline = nat_baseline;
      remember (&key, size->minimum, size->natural, min_baseline, nat_baseline);
    }
  *minimum = size->minimum;
  *natural = size->natural;
  if (minimum_baseline)
    *minimum_baseline = size->minimum_baseline;
  if (natural_baseline)
    *natural_baseline = size->natural_baseline;
}

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
      measure_child (bin, orientation, -1, minimum, natural, NULL, NULL);
      *natural = *minimum;
      return;
    }
  /* A height for no width in particular (a scrolled window asks it of
   * every row, then ignores it) would lay the text out on one line and
   * again at its natural width: the width it has will do. */
  if (for_size < 0)
    for_size = gtk_widget_get_width (widget);
  if (for_size > 0)
    measure_child (bin, orientation, for_size, minimum, natural, minimum_baseline, natural_baseline);
}

static void
tea_wrap_bin_size_allocate (GtkWidget *widget, int width, int height, int baseline)
{
  TeaWrapBin *bin = TEA_WRAP_BIN (widget);
  int minimum, natural;

  if (!gtk_widget_should_layout (bin->child))
    return;
  /* A remembered size stood in for measuring the child; it is measured now
   * that it is shown, as GTK requires before allocating. */
  gtk_widget_measure (bin->child, GTK_ORIENTATION_VERTICAL, width, &minimum, &natural, NULL, NULL);
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
  TeaWrapBin *bin = TEA_WRAP_BIN (object);

  g_clear_pointer (&bin->child, gtk_widget_unparent);
  g_clear_pointer (&bin->text_key, g_free);
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

/**
 * tea_wrap_bin_set_text_key:
 * @text_key: (nullable): everything the child shows, such as a label's
 *   markup, or %NULL to measure the child every time
 *
 * Says that the child's size depends only on @text_key, the child's font
 * and the width, so that a size measured for the same key in any bin can
 * stand in for measuring this child until it is shown. Call it whenever
 * the child's content changes.
 */
void
tea_wrap_bin_set_text_key (TeaWrapBin *bin, const char *text_key)
{
  g_return_if_fail (TEA_IS_WRAP_BIN (bin));

  g_free (bin->text_key);
  bin->text_key = g_strdup (text_key);
  /* The child's own resize may not reach here: unmeasured, it still has
   * one pending, and GTK then does not pass another up. */
  gtk_widget_queue_resize (GTK_WIDGET (bin));
}
