/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "tea-member.h"

struct _TeaMember
{
  GObject parent_instance;

  char *nick;
  gboolean unencrypted;
};

enum {
  PROP_0,
  PROP_NICK,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (TeaMember, tea_member, G_TYPE_OBJECT)

static void
tea_member_finalize (GObject *object)
{
  g_free (TEA_MEMBER (object)->nick);
  G_OBJECT_CLASS (tea_member_parent_class)->finalize (object);
}

static void
tea_member_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  switch (prop_id)
    {
    case PROP_NICK:
      g_value_set_string (value, TEA_MEMBER (object)->nick);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tea_member_class_init (TeaMemberClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = tea_member_finalize;
  object_class->get_property = tea_member_get_property;
  properties[PROP_NICK] = g_param_spec_string ("nick", NULL, NULL, NULL,
                                               G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
tea_member_init (TeaMember *member)
{
}

TeaMember *
tea_member_new (const char *nick, gboolean unencrypted)
{
  TeaMember *member = g_object_new (TEA_TYPE_MEMBER, NULL);

  member->nick = g_strdup (nick);
  member->unencrypted = unencrypted;
  return member;
}

const char *
tea_member_get_nick (TeaMember *member)
{
  return member->nick;
}

gboolean
tea_member_get_unencrypted (TeaMember *member)
{
  return member->unencrypted;
}
