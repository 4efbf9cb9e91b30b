/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <string.h>

#include "tea-impair.h"

/* A held-back datagram leaves after this long at the latest, so the last
 * one before a pause is late rather than lost. */
#define REORDER_MAX_HOLD_US (100 * 1000)
#define DEFAULT_REORDER_WINDOW 3
#define DEFAULT_RATE_BURST 1500
#define DEFAULT_QUEUE_LIMIT (64 * 1024)

typedef struct
{
  gint64 due;
  guint64 serial;     /* arrival order; both copies of a duplicate share it */
  gint64 hold_until;  /* while held back: released at the latest then */
  guint hold_left;    /* ... or once this many later ones have left */
  gpointer tag;
  gsize len;
  guint8 data[];
} Item;

struct _TeaImpair
{
  const TeaImpairConfig *config;
  GRand *rand;
  gboolean burst_bad;   /* Gilbert–Elliott state */
  double tokens;        /* bandwidth cap: bytes that may leave at once */
  gint64 tokens_at;
  gint64 shaper_free_at;/* when the cap will have sent all it holds */
  guint64 next_serial;
  GHashTable *released; /* tag -> guint64: its highest serial handed out */
  GQueue queue;         /* Item, by due time, then arrival */
  GQueue held;          /* Item, held back to be reordered */
  TeaImpairStats stats;
};

TeaImpair *
tea_impair_new (const TeaImpairConfig *config, guint32 seed, guint32 stream)
{
  TeaImpair *impair = g_new0 (TeaImpair, 1);
  const guint32 seeds[] = { seed, stream };

  impair->config = config;
  /* One stream per direction: the k-th datagram of a direction meets the
   * same fate whatever the other direction does meanwhile. */
  impair->rand = g_rand_new_with_seed_array (seeds, G_N_ELEMENTS (seeds));
  g_queue_init (&impair->queue);
  g_queue_init (&impair->held);
  impair->released = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  return impair;
}

void
tea_impair_free (TeaImpair *impair)
{
  g_queue_clear_full (&impair->queue, g_free);
  g_queue_clear_full (&impair->held, g_free);
  g_hash_table_unref (impair->released);
  g_rand_free (impair->rand);
  g_free (impair);
}

const TeaImpairStats *
tea_impair_get_stats (TeaImpair *impair)
{
  return &impair->stats;
}

guint64
tea_impair_stats_dropped (const TeaImpairStats *stats)
{
  guint64 n = 0;

  for (guint i = 0; i < TEA_IMPAIR_N_DROP_REASONS; i++)
    n += stats->dropped[i];
  return n;
}

const char *
tea_impair_drop_reason_name (TeaImpairDropReason reason)
{
  static const char *names[] = { "blackout", "mtu", "loss", "burst", "queue" };

  G_STATIC_ASSERT (G_N_ELEMENTS (names) == TEA_IMPAIR_N_DROP_REASONS);
  return names[reason];
}

static gboolean
chance (TeaImpair *impair, double probability)
{
  return g_rand_double (impair->rand) < probability;
}

/* Steps the Gilbert–Elliott chain, then draws loss in the new state. */
static gboolean
burst_lost (TeaImpair *impair)
{
  const TeaImpairConfig *c = impair->config;

  if (c->burst_p <= 0)
    return FALSE;
  if (impair->burst_bad ? chance (impair, c->burst_r) : chance (impair, c->burst_p))
    impair->burst_bad = !impair->burst_bad;
  return chance (impair, impair->burst_bad ? c->burst_loss_bad : c->burst_loss_good);
}

/* The bandwidth cap, a token bucket in front of a FIFO of bounded size:
 * when the datagram finishes leaving, or -1 if the queue is full. */
static gint64
shape (TeaImpair *impair, gint64 now, gsize len)
{
  const TeaImpairConfig *c = impair->config;
  double rate = c->rate;
  double burst = c->rate_burst ? c->rate_burst : DEFAULT_RATE_BURST;
  gsize limit = c->queue_limit ? c->queue_limit : DEFAULT_QUEUE_LIMIT;
  gint64 start = MAX (now, impair->shaper_free_at);
  double backlog = (start - now) * rate / G_USEC_PER_SEC;

  if (backlog + len > limit)
    return -1;
  impair->tokens = MIN (burst, impair->tokens + (start - impair->tokens_at) * rate / G_USEC_PER_SEC);
  impair->tokens_at = start;
  if (impair->tokens < len)
    {
      double wait = (len - impair->tokens) * G_USEC_PER_SEC / rate;

      start += (gint64) wait + ((gint64) wait < wait); /* rounded up */
      impair->tokens = len;
      impair->tokens_at = start;
    }
  impair->tokens -= len;
  impair->shaper_free_at = start;
  return start;
}

/* Uniform in [0, jitter). */
static gint64
jitter (TeaImpair *impair)
{
  gint64 j = MIN (impair->config->jitter_us, G_MAXINT32);
  return j > 0 ? g_rand_int_range (impair->rand, 0, j) : 0;
}

static gint
by_due (gconstpointer a, gconstpointer b)
{
  const Item *x = a, *y = b;

  if (x->due != y->due)
    return x->due < y->due ? -1 : 1;
  return x->serial < y->serial ? -1 : x->serial > y->serial;
}

static void
enqueue (TeaImpair *impair, Item *item)
{
  GList *l;

  /* From the tail: most datagrams are due after everything queued. */
  for (l = impair->queue.tail; l && by_due (l->data, item) > 0; l = l->prev)
    ;
  if (l)
    g_queue_insert_after (&impair->queue, l, item);
  else
    g_queue_push_head (&impair->queue, item);
}

/* Whether the datagram is lost before it enters the path, and why. */
static gboolean
lost (TeaImpair *impair, gsize len, TeaImpairDropReason *reason)
{
  const TeaImpairConfig *c = impair->config;

  if (c->blackout)
    *reason = TEA_IMPAIR_DROP_BLACKOUT;
  else if (c->mtu && len > c->mtu)
    *reason = TEA_IMPAIR_DROP_MTU;
  else if (chance (impair, c->loss))
    *reason = TEA_IMPAIR_DROP_LOSS;
  else if (burst_lost (impair))
    *reason = TEA_IMPAIR_DROP_BURST;
  else
    return FALSE;
  return TRUE;
}

void
tea_impair_push (TeaImpair *impair, gint64 now_us, const guint8 *data, gsize len, gpointer tag)
{
  const TeaImpairConfig *c = impair->config;
  TeaImpairDropReason reason;
  guint copies = 1;
  guint64 serial;

  g_return_if_fail (len <= TEA_IMPAIR_MAX_DATAGRAM);
  impair->stats.received++;
  if (lost (impair, len, &reason))
    {
      impair->stats.dropped[reason]++;
      return;
    }
  if (chance (impair, c->duplicate))
    {
      copies = 2;
      impair->stats.duplicated++;
    }
  serial = impair->next_serial++;
  for (guint i = 0; i < copies; i++)
    {
      gint64 leaves = c->rate ? shape (impair, now_us, len) : now_us;
      Item *item;

      if (leaves < 0)
        {
          impair->stats.dropped[TEA_IMPAIR_DROP_QUEUE]++;
          continue;
        }
      item = g_malloc (sizeof (Item) + len);
      item->due = leaves + c->delay_us + jitter (impair);
      item->serial = serial;
      item->tag = tag;
      item->len = len;
      memcpy (item->data, data, len);
      if (c->reorder > 0 && chance (impair, c->reorder))
        {
          item->hold_left = c->reorder_window ? c->reorder_window : DEFAULT_REORDER_WINDOW;
          item->hold_until = item->due + REORDER_MAX_HOLD_US;
          g_queue_push_tail (&impair->held, item);
        }
      else
        {
          enqueue (impair, item);
        }
    }
}

static void
release_held (TeaImpair *impair, GList *link, gint64 now)
{
  Item *item = link->data;

  g_queue_delete_link (&impair->held, link);
  item->due = MAX (item->due, now);
  enqueue (impair, item);
}

/* Held datagrams whose time is up rejoin the queue. */
static void
release_expired (TeaImpair *impair, gint64 now)
{
  GList *next;

  for (GList *l = impair->held.head; l; l = next)
    {
      next = l->next;
      if (((Item *) l->data)->hold_until <= now)
        release_held (impair, l, now);
    }
}

/* One that arrived after them has left: held datagrams it overtook count
 * it, and rejoin the queue once enough have. */
static void
overtaken (TeaImpair *impair, guint64 serial, gint64 now)
{
  GList *next;

  for (GList *l = impair->held.head; l; l = next)
    {
      Item *item = l->data;

      next = l->next;
      if (item->serial < serial && --item->hold_left == 0)
        release_held (impair, l, now);
    }
}

/* Reordered: one of the same sender's that came later already left. */
static void
note_release (TeaImpair *impair, Item *item)
{
  guint64 *highest = g_hash_table_lookup (impair->released, item->tag);

  if (highest == NULL)
    {
      highest = g_new (guint64, 1);
      *highest = item->serial;
      g_hash_table_insert (impair->released, item->tag, highest);
    }
  else if (item->serial < *highest)
    impair->stats.reordered++;
  else
    *highest = item->serial;
}

gint64
tea_impair_next_due (TeaImpair *impair)
{
  Item *head = g_queue_peek_head (&impair->queue);
  gint64 next = head ? head->due : G_MAXINT64;

  for (GList *l = impair->held.head; l; l = l->next)
    next = MIN (next, ((Item *) l->data)->hold_until);
  return next;
}

gboolean
tea_impair_pop (TeaImpair *impair, gint64 now_us, guint8 *out, gsize *len, gpointer *tag)
{
  Item *item;

  release_expired (impair, now_us);
  item = g_queue_peek_head (&impair->queue);
  if (item == NULL || item->due > now_us)
    return FALSE;
  g_queue_pop_head (&impair->queue);
  memcpy (out, item->data, item->len);
  *len = item->len;
  if (tag)
    *tag = item->tag;
  impair->stats.forwarded++;
  impair->stats.bytes_forwarded += item->len;
  note_release (impair, item);
  overtaken (impair, item->serial, now_us);
  g_free (item);
  return TRUE;
}

static void
forget_in (GQueue *queue, gpointer tag)
{
  GList *next;

  for (GList *l = queue->head; l; l = next)
    {
      next = l->next;
      if (((Item *) l->data)->tag == tag)
        {
          g_free (l->data);
          g_queue_delete_link (queue, l);
        }
    }
}

void
tea_impair_forget (TeaImpair *impair, gpointer tag)
{
  forget_in (&impair->queue, tag);
  forget_in (&impair->held, tag);
  g_hash_table_remove (impair->released, tag);
}
