/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A log-linear latency histogram in the spirit of HdrHistogram: exact below
 * 128 ns, then 64 buckets per power of two (under 1.6 % error), so recording
 * is a few instructions and the memory is fixed whatever the sample count.
 * The maximum is kept exactly.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define TEA_BENCH_HISTOGRAM_BUCKETS (128 + 57 * 64)

typedef struct
{
  guint64 counts[TEA_BENCH_HISTOGRAM_BUCKETS];
  guint64 total;
  guint64 max;
} TeaBenchHistogram;

void tea_bench_histogram_init (TeaBenchHistogram *h);
void tea_bench_histogram_record (TeaBenchHistogram *h, guint64 value);
/* The value at quantile q (0..1): the middle of the bucket holding the
 * ceil(q * total)-th smallest sample; the exact maximum for q = 1; 0 when
 * empty. */
guint64 tea_bench_histogram_quantile (const TeaBenchHistogram *h, double q);

G_END_DECLS
