/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <string.h>

#include "tea-bench-histogram.h"

#define EXACT 128
#define SUB 64

void
tea_bench_histogram_init (TeaBenchHistogram *h)
{
  memset (h, 0, sizeof *h);
}

static guint
bucket_of (guint64 value)
{
  guint msb, shift;

  if (value < EXACT)
    return value;
  msb = 63 - __builtin_clzll (value); /* >= 7 */
  shift = msb - 6;                     /* value >> shift is in [64, 127] */
  return EXACT + (shift - 1) * SUB + (guint) ((value >> shift) - SUB);
}

/* The middle of a bucket's range of values. */
static guint64
bucket_value (guint index)
{
  guint shift;
  guint64 low;

  if (index < EXACT)
    return index;
  shift = (index - EXACT) / SUB + 1;
  low = ((guint64) ((index - EXACT) % SUB) + SUB) << shift;
  return low + ((G_GUINT64_CONSTANT (1) << shift) >> 1);
}

void
tea_bench_histogram_record (TeaBenchHistogram *h, guint64 value)
{
  h->counts[bucket_of (value)]++;
  h->total++;
  if (value > h->max)
    h->max = value;
}

guint64
tea_bench_histogram_quantile (const TeaBenchHistogram *h, double q)
{
  guint64 rank, seen = 0;

  if (h->total == 0)
    return 0;
  if (q >= 1.0)
    return h->max;
  rank = MAX (1, (guint64) ceil (q * h->total));
  for (guint i = 0; i < TEA_BENCH_HISTOGRAM_BUCKETS; i++)
    {
      seen += h->counts[i];
      if (seen >= rank)
        return MIN (bucket_value (i), h->max);
    }
  return h->max;
}
