/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "tea-clamp.h"

struct _TeaClamp
{
  GtkWidget parent_instance;

  GtkWidget *child;
  int maximum_width;
};

enum {
  PROP_0,
  PROP_CHILD,
  PROP_MAXIMUM_WIDTH,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void tea_clamp_buildable_init (GtkBuildableIface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (TeaClamp, tea_clamp, GTK_TYPE_WIDGET,
                               G_IMPLEMENT_INTERFACE (GTK_TYPE_BUILDABLE, tea_clamp_buildable_init))

static GtkBuildableIface *parent_buildable_iface;

/* The child's width inside width: never above the maximum, never below
 * what the child needs. */
static int
child_width (TeaClamp *clamp, int width)
{
  int minimum;

  gtk_widget_measure (clamp->child, GTK_ORIENTATION_HORIZONTAL, -1, &minimum, NULL, NULL, NULL);
  return MAX (MIN (width, clamp->maximum_width), minimum);
}

static void
tea_clamp_measure (GtkWidget *widget, GtkOrientation orientation, int for_size, int *minimum, int *natural,
                   int *minimum_baseline, int *natural_baseline)
{
  TeaClamp *clamp = TEA_CLAMP (widget);

  *minimum = *natural = 0;
  if (clamp->child == NULL || !gtk_widget_should_layout (clamp->child))
    return;
  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    {
      gtk_widget_measure (clamp->child, orientation, -1, minimum, natural, NULL, NULL);
      *natural = MAX (*minimum, MIN (*natural, clamp->maximum_width));
    }
  else
    {
      gtk_widget_measure (clamp->child, orientation, for_size < 0 ? -1 : child_width (clamp, for_size),
                          minimum, natural, NULL, NULL);
    }
}

static void
tea_clamp_size_allocate (GtkWidget *widget, int width, int height, int baseline)
{
  TeaClamp *clamp = TEA_CLAMP (widget);
  int inner;

  if (clamp->child == NULL || !gtk_widget_should_layout (clamp->child))
    return;
  inner = child_width (clamp, width);
  gtk_widget_size_allocate (clamp->child, &(GtkAllocation) { (width - inner) / 2, 0, inner, height }, -1);
}

static GtkSizeRequestMode
tea_clamp_get_request_mode (GtkWidget *widget)
{
  return GTK_SIZE_REQUEST_HEIGHT_FOR_WIDTH;
}

void
tea_clamp_set_child (TeaClamp *clamp, GtkWidget *child)
{
  g_return_if_fail (TEA_IS_CLAMP (clamp));

  if (clamp->child == child)
    return;
  g_clear_pointer (&clamp->child, gtk_widget_unparent);
  if (child)
    {
      clamp->child = child;
      gtk_widget_set_parent (child, GTK_WIDGET (clamp));
    }
  g_object_notify_by_pspec (G_OBJECT (clamp), properties[PROP_CHILD]);
}

void
tea_clamp_set_maximum_width (TeaClamp *clamp, int maximum_width)
{
  g_return_if_fail (TEA_IS_CLAMP (clamp));

  if (clamp->maximum_width == maximum_width)
    return;
  clamp->maximum_width = maximum_width;
  gtk_widget_queue_resize (GTK_WIDGET (clamp));
  g_object_notify_by_pspec (G_OBJECT (clamp), properties[PROP_MAXIMUM_WIDTH]);
}

static void
tea_clamp_add_child (GtkBuildable *buildable, GtkBuilder *builder, GObject *child, const char *type)
{
  if (GTK_IS_WIDGET (child))
    tea_clamp_set_child (TEA_CLAMP (buildable), GTK_WIDGET (child));
  else
    parent_buildable_iface->add_child (buildable, builder, child, type);
}

static void
tea_clamp_buildable_init (GtkBuildableIface *iface)
{
  parent_buildable_iface = g_type_interface_peek_parent (iface);
  iface->add_child = tea_clamp_add_child;
}

static void
tea_clamp_dispose (GObject *object)
{
  g_clear_pointer (&TEA_CLAMP (object)->child, gtk_widget_unparent);
  G_OBJECT_CLASS (tea_clamp_parent_class)->dispose (object);
}

static void
tea_clamp_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  TeaClamp *clamp = TEA_CLAMP (object);

  switch (prop_id)
    {
    case PROP_CHILD:
      g_value_set_object (value, clamp->child);
      break;
    case PROP_MAXIMUM_WIDTH:
      g_value_set_int (value, clamp->maximum_width);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tea_clamp_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  TeaClamp *clamp = TEA_CLAMP (object);

  switch (prop_id)
    {
    case PROP_CHILD:
      tea_clamp_set_child (clamp, g_value_get_object (value));
      break;
    case PROP_MAXIMUM_WIDTH:
      tea_clamp_set_maximum_width (clamp, g_value_get_int (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tea_clamp_class_init (TeaClampClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = tea_clamp_dispose;
  object_class->get_property = tea_clamp_get_property;
  object_class->set_property = tea_clamp_set_property;
  widget_class->measure = tea_clamp_measure;
  widget_class->size_allocate = tea_clamp_size_allocate;
  widget_class->get_request_mode = tea_clamp_get_request_mode;

  properties[PROP_CHILD] = g_param_spec_object ("child", NULL, NULL, GTK_TYPE_WIDGET,
                                                G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_MAXIMUM_WIDTH] = g_param_spec_int ("maximum-width", NULL, NULL, 0, G_MAXINT, 420,
                                                     G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY |
                                                       G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
tea_clamp_init (TeaClamp *clamp)
{
  clamp->maximum_width = 420;
}

GtkWidget *
tea_clamp_new (void)
{
  return g_object_new (TEA_TYPE_CLAMP, NULL);
}
