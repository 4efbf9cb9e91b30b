/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "tea-message-list.h"

/* A new group (name shown again) after this much silence. */
#define GROUP_GAP_MS (5 * 60 * 1000)

struct _TeaMessageList
{
  GObject parent_instance;

  GPtrArray *items;       /* TeaChatMessage, owned */
  GHashTable *positions;  /* TeaChatMessage -> index + 1 */
  GHashTable *by_seq;     /* seq -> TeaChatMessage (TEXT/ACTION only) */
  GDate last_day;
};

static void list_model_iface_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (TeaMessageList, tea_message_list, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init))

static GType
get_item_type (GListModel *model)
{
  return TEA_TYPE_CHAT_MESSAGE;
}

static guint
get_n_items (GListModel *model)
{
  return TEA_MESSAGE_LIST (model)->items->len;
}

static gpointer
get_item (GListModel *model, guint position)
{
  TeaMessageList *list = TEA_MESSAGE_LIST (model);

  if (position >= list->items->len)
    return NULL;
  return g_object_ref (g_ptr_array_index (list->items, position));
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = get_item_type;
  iface->get_n_items = get_n_items;
  iface->get_item = get_item;
}

static void
tea_message_list_finalize (GObject *object)
{
  TeaMessageList *list = TEA_MESSAGE_LIST (object);

  g_hash_table_unref (list->positions);
  g_hash_table_unref (list->by_seq);
  g_ptr_array_unref (list->items);
  G_OBJECT_CLASS (tea_message_list_parent_class)->finalize (object);
}

static void
tea_message_list_class_init (TeaMessageListClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = tea_message_list_finalize;
}

static void
tea_message_list_init (TeaMessageList *list)
{
  list->items = g_ptr_array_new_with_free_func (g_object_unref);
  list->positions = g_hash_table_new (NULL, NULL);
  list->by_seq = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  g_date_clear (&list->last_day, 1);
}

TeaMessageList *
tea_message_list_new (void)
{
  return g_object_new (TEA_TYPE_MESSAGE_LIST, NULL);
}

static gboolean
is_text (TeaChatMessage *message)
{
  TeaChatMessageKind kind = tea_chat_message_get_kind (message);
  return kind == TEA_CHAT_MESSAGE_TEXT || kind == TEA_CHAT_MESSAGE_ACTION;
}

static void
index_seq (TeaMessageList *list, TeaChatMessage *message)
{
  if (is_text (message) && tea_chat_message_get_seq (message) != 0)
    {
      guint64 *key = g_new (guint64, 1);

      *key = tea_chat_message_get_seq (message);
      g_hash_table_replace (list->by_seq, key, message);
    }
}

static void
push (TeaMessageList *list, TeaChatMessage *message)
{
  g_ptr_array_add (list->items, g_object_ref (message));
  g_hash_table_insert (list->positions, message, GUINT_TO_POINTER (list->items->len));
  index_seq (list, message);
}

static gboolean
local_day (gint64 time_ms, GDate *date)
{
  g_autoptr (GDateTime) local = tea_local_date_time (time_ms);
  gint y, m, d;

  if (local == NULL)
    return FALSE;
  g_date_time_get_ymd (local, &y, &m, &d);
  g_date_clear (date, 1);
  g_date_set_dmy (date, d, m, y);
  return TRUE;
}

/* Said by someone: text or a /me action, which group together. */
static gboolean
is_spoken (TeaChatMessage *message)
{
  TeaChatMessageKind kind = tea_chat_message_get_kind (message);
  return kind == TEA_CHAT_MESSAGE_TEXT || kind == TEA_CHAT_MESSAGE_ACTION;
}

/* Whether message starts a group after prev (NULL: nothing before it). */
static void
decide_group_after (TeaChatMessage *prev, TeaChatMessage *message)
{
  gboolean first = TRUE;

  if (prev && is_spoken (message) && is_spoken (prev) &&
      g_strcmp0 (tea_chat_message_get_nick (prev), tea_chat_message_get_nick (message)) == 0 &&
      tea_chat_message_get_time (message) - tea_chat_message_get_time (prev) < GROUP_GAP_MS)
    first = FALSE;
  tea_chat_message_set_first_in_group (message, first);
}

static void
decide_group (TeaMessageList *list, TeaChatMessage *message)
{
  decide_group_after (list->items->len ? g_ptr_array_index (list->items, list->items->len - 1) : NULL, message);
}

void
tea_message_list_append (TeaMessageList *list, TeaChatMessage *message)
{
  guint before = list->items->len;
  GDate day;

  if (tea_chat_message_get_time (message) > 0 && local_day (tea_chat_message_get_time (message), &day) &&
      (!g_date_valid (&list->last_day) || g_date_compare (&day, &list->last_day) != 0))
    {
      g_autoptr (TeaChatMessage) separator =
        tea_chat_message_new (TEA_CHAT_MESSAGE_DAY, 0, tea_chat_message_get_time (message), NULL, NULL);

      list->last_day = day;
      push (list, separator);
    }
  decide_group (list, message);
  push (list, message);
  g_list_model_items_changed (G_LIST_MODEL (list), before, 0, list->items->len - before);
}

static guint
position_of (TeaMessageList *list, TeaChatMessage *message)
{
  return GPOINTER_TO_UINT (g_hash_table_lookup (list->positions, message));
}

void
tea_message_list_changed (TeaMessageList *list, TeaChatMessage *message)
{
  guint position = position_of (list, message);

  if (position == 0)
    return;
  g_list_model_items_changed (G_LIST_MODEL (list), position - 1, 1, 1);
}

void
tea_message_list_set_seq (TeaMessageList *list, TeaChatMessage *message, guint64 seq)
{
  guint64 old = tea_chat_message_get_seq (message);

  if (old != 0 && g_hash_table_lookup (list->by_seq, &old) == message)
    g_hash_table_remove (list->by_seq, &old);
  tea_chat_message_set_seq (message, seq);
  index_seq (list, message);
}

void
tea_message_list_move_to_end (TeaMessageList *list, TeaChatMessage *message)
{
  guint position = position_of (list, message);
  g_autoptr (TeaChatMessage) keep = g_object_ref (message);

  if (position == 0)
    return;
  if (position == list->items->len)
    {
      tea_message_list_changed (list, message);
      return;
    }
  /* Rare (own messages only), so the O(n) renumbering is fine. Each
   * signal is emitted when the array already matches it: views (and the
   * filter models between) read the model while handling it. */
  g_ptr_array_remove_index (list->items, position - 1);
  for (guint i = position - 1; i < list->items->len; i++)
    g_hash_table_insert (list->positions, g_ptr_array_index (list->items, i), GUINT_TO_POINTER (i + 1));
  g_hash_table_remove (list->positions, message);
  g_list_model_items_changed (G_LIST_MODEL (list), position - 1, 1, 0);
  /* The line that followed may now start a group (or end one). */
  {
    TeaChatMessage *next = g_ptr_array_index (list->items, position - 1);
    TeaChatMessage *before = position >= 2 ? g_ptr_array_index (list->items, position - 2) : NULL;
    gboolean was_first = tea_chat_message_get_first_in_group (next);

    decide_group_after (before, next);
    if (tea_chat_message_get_first_in_group (next) != was_first)
      g_list_model_items_changed (G_LIST_MODEL (list), position - 1, 1, 1);
  }
  decide_group (list, message);
  push (list, message);
  g_list_model_items_changed (G_LIST_MODEL (list), list->items->len - 1, 0, 1);
}

void
tea_message_list_forget_seqs (TeaMessageList *list)
{
  g_hash_table_remove_all (list->by_seq);
}

TeaChatMessage *
tea_message_list_find_seq (TeaMessageList *list, guint64 seq)
{
  return g_hash_table_lookup (list->by_seq, &seq);
}

TeaChatMessage *
tea_message_list_find_req (TeaMessageList *list, guint32 req_id)
{
  /* Pending messages are few and recent: look from the end. */
  for (guint i = list->items->len; i > 0; i--)
    {
      TeaChatMessage *m = g_ptr_array_index (list->items, i - 1);

      if (tea_chat_message_get_req_id (m) == req_id && tea_chat_message_get_own (m))
        return m;
    }
  return NULL;
}

TeaChatMessage *
tea_message_list_last_own (TeaMessageList *list)
{
  for (guint i = list->items->len; i > 0; i--)
    {
      TeaChatMessage *m = g_ptr_array_index (list->items, i - 1);

      if (is_text (m) && tea_chat_message_get_own (m) && !tea_chat_message_get_deleted (m) &&
          tea_chat_message_get_state (m) == TEA_CHAT_MESSAGE_DELIVERED)
        return m;
    }
  return NULL;
}

guint
tea_message_list_get_n_items_fast (TeaMessageList *list)
{
  return list->items->len;
}

TeaChatMessage *
tea_message_list_get (TeaMessageList *list, guint position)
{
  return position < list->items->len ? g_ptr_array_index (list->items, position) : NULL;
}
