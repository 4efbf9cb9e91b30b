/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One direction of an impaired network path, without I/O or a clock of its
 * own: what netem would do to each datagram (loss, Gilbert–Elliott burst
 * loss, duplication, delay and jitter, reordering, a bandwidth cap with a
 * bounded queue, an MTU) and the queue of what is still on its way. The
 * kernel here has no netem; this stands in for it. tea-netem (a UDP proxy),
 * the tests' proxy and the tests' simulated link all use it, so there is
 * one model of a bad network. Every random choice comes from a seed.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define TEA_IMPAIR_MAX_DATAGRAM 65536

typedef struct
{
  double loss;            /* probability a datagram is lost */
  /* Gilbert–Elliott burst loss: a two-state Markov chain stepped once per
   * datagram; off while burst_p is 0. */
  double burst_p;         /* good -> bad */
  double burst_r;         /* bad -> good */
  double burst_loss_good; /* loss probability in the good state (1 - k) */
  double burst_loss_bad;  /* loss probability in the bad state (1 - h) */
  double duplicate;       /* probability it is delivered twice */
  double reorder;         /* probability it is held back until ... */
  guint reorder_window;   /* ... this many later ones went ahead (0: 3) */
  gint64 delay_us;        /* base one-way delay */
  gint64 jitter_us;       /* extra uniform delay, which also reorders */
  guint64 rate;           /* bandwidth cap in bytes per second; 0: none */
  gsize rate_burst;       /* token bucket depth in bytes (0: 1500) */
  gsize queue_limit;      /* bytes waiting for the cap (0: 64 KiB) */
  gsize mtu;              /* larger datagrams are dropped; 0: none */
  gboolean blackout;      /* drop everything while set */
} TeaImpairConfig;

typedef enum {
  TEA_IMPAIR_DROP_BLACKOUT,
  TEA_IMPAIR_DROP_MTU,
  TEA_IMPAIR_DROP_LOSS,
  TEA_IMPAIR_DROP_BURST,
  TEA_IMPAIR_DROP_QUEUE,
  TEA_IMPAIR_N_DROP_REASONS
} TeaImpairDropReason;

typedef struct
{
  guint64 received;  /* datagrams offered */
  guint64 forwarded; /* datagrams handed out, duplicates included */
  guint64 bytes_forwarded;
  guint64 dropped[TEA_IMPAIR_N_DROP_REASONS];
  guint64 duplicated;
  guint64 reordered; /* handed out after a later one with the same tag */
} TeaImpairStats;

typedef struct _TeaImpair TeaImpair;

/* config is read at every decision, so its owner may change it at any time
 * (a blackout, say); it must outlive the TeaImpair. */
TeaImpair *tea_impair_new (const TeaImpairConfig *config, guint32 seed, guint32 stream);
void tea_impair_free (TeaImpair *impair);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TeaImpair, tea_impair_free)

/* Offers a datagram at time now_us: it is dropped, or queued once or twice
 * until its time comes. tag is the caller's (whose datagram it is). */
void tea_impair_push (TeaImpair *impair, gint64 now_us, const guint8 *data, gsize len, gpointer tag);
/* When the next datagram is due; G_MAXINT64 if none is queued. */
gint64 tea_impair_next_due (TeaImpair *impair);
/* Copies the next datagram due at now_us into out, which holds
 * TEA_IMPAIR_MAX_DATAGRAM bytes; FALSE if none is due. */
gboolean tea_impair_pop (TeaImpair *impair, gint64 now_us, guint8 *out, gsize *len, gpointer *tag);
/* Drops whatever is queued with this tag (its sender went away). */
void tea_impair_forget (TeaImpair *impair, gpointer tag);
const TeaImpairStats *tea_impair_get_stats (TeaImpair *impair);
guint64 tea_impair_stats_dropped (const TeaImpairStats *stats);
const char *tea_impair_drop_reason_name (TeaImpairDropReason reason);

G_END_DECLS
