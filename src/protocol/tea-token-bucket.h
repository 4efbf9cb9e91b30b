/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A token bucket: up to `burst` events at once, then `rate` per second.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  double tokens;
  gint64 last_us;
} TeaTokenBucket;

void tea_token_bucket_init (TeaTokenBucket *bucket, double burst, gint64 now_us);
/* Takes one token if there is one. Otherwise returns FALSE and, if
 * retry_after_us is given, how long until one will be there. */
gboolean tea_token_bucket_take (TeaTokenBucket *bucket,
                                double rate,
                                double burst,
                                gint64 now_us,
                                gint64 *retry_after_us);

G_END_DECLS
