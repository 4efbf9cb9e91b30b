/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "tea-test-resolver.h"

struct _TeaTestResolver
{
  GResolver parent_instance;

  char *name;
  GStrv addresses;
  guint delay_ms;
};

static GList *resolve (TeaTestResolver *resolver, const char *name, GError **error);

static gboolean
return_later (gpointer user_data)
{
  GTask *task = user_data;
  TeaTestResolver *resolver = g_task_get_source_object (task);
  GError *error = NULL;
  GList *list;

  if (!g_task_return_error_if_cancelled (task))
    {
      list = resolve (resolver, g_task_get_task_data (task), &error);
      if (list)
        g_task_return_pointer (task, list, (GDestroyNotify) g_resolver_free_addresses);
      else
        g_task_return_error (task, error);
    }
  g_object_unref (task);
  return G_SOURCE_REMOVE;
}

G_DEFINE_FINAL_TYPE (TeaTestResolver, tea_test_resolver, G_TYPE_RESOLVER)

static GList *
resolve (TeaTestResolver *resolver, const char *name, GError **error)
{
  GList *list = NULL;

  if (g_strcmp0 (name, resolver->name) != 0)
    {
      g_set_error (error, G_RESOLVER_ERROR, G_RESOLVER_ERROR_NOT_FOUND, "No such test name: %s", name);
      return NULL;
    }
  for (guint i = 0; resolver->addresses[i]; i++)
    list = g_list_append (list, g_inet_address_new_from_string (resolver->addresses[i]));
  return list;
}

static GList *
tea_test_resolver_lookup_by_name (GResolver *resolver, const char *name, GCancellable *cancellable, GError **error)
{
  return resolve (TEA_TEST_RESOLVER (resolver), name, error);
}

static void
tea_test_resolver_lookup_by_name_async (GResolver *resolver, const char *name, GCancellable *cancellable,
                                        GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr (GTask) task = g_task_new (resolver, cancellable, callback, user_data);
  GError *error = NULL;

  if (TEA_TEST_RESOLVER (resolver)->delay_ms)
    {
      g_task_set_task_data (task, g_strdup (name), g_free);
      g_timeout_add (TEA_TEST_RESOLVER (resolver)->delay_ms, return_later, g_object_ref (task));
      return;
    }
  GList *list = resolve (TEA_TEST_RESOLVER (resolver), name, &error);

  if (list)
    g_task_return_pointer (task, list, (GDestroyNotify) g_resolver_free_addresses);
  else
    g_task_return_error (task, error);
}

static GList *
tea_test_resolver_lookup_by_name_finish (GResolver *resolver, GAsyncResult *result, GError **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
tea_test_resolver_finalize (GObject *object)
{
  TeaTestResolver *resolver = TEA_TEST_RESOLVER (object);

  g_free (resolver->name);
  g_strfreev (resolver->addresses);
  G_OBJECT_CLASS (tea_test_resolver_parent_class)->finalize (object);
}

static void
tea_test_resolver_class_init (TeaTestResolverClass *klass)
{
  GResolverClass *resolver_class = G_RESOLVER_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = tea_test_resolver_finalize;
  resolver_class->lookup_by_name = tea_test_resolver_lookup_by_name;
  resolver_class->lookup_by_name_async = tea_test_resolver_lookup_by_name_async;
  resolver_class->lookup_by_name_finish = tea_test_resolver_lookup_by_name_finish;
}

static void
tea_test_resolver_init (TeaTestResolver *resolver)
{
}

GResolver *
tea_test_resolver_new (const char *name, const char *const *addresses)
{
  TeaTestResolver *resolver = g_object_new (TEA_TYPE_TEST_RESOLVER, NULL);

  resolver->name = g_strdup (name);
  resolver->addresses = g_strdupv ((GStrv) addresses);
  return G_RESOLVER (resolver);
}

void
tea_test_resolver_set_delay (TeaTestResolver *resolver, guint delay_ms)
{
  resolver->delay_ms = delay_ms;
}
