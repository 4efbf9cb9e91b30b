/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "tea-token-bucket.h"

void
tea_token_bucket_init (TeaTokenBucket *bucket, double burst, gint64 now_us)
{
  bucket->tokens = burst;
  bucket->last_us = now_us;
}

gboolean
tea_token_bucket_take (TeaTokenBucket *bucket,
                       double rate,
                       double burst,
                       gint64 now_us,
                       gint64 *retry_after_us)
{
  if (now_us > bucket->last_us)
    {
      bucket->tokens = MIN (burst, bucket->tokens + rate * (now_us - bucket->last_us) / G_USEC_PER_SEC);
      bucket->last_us = now_us;
    }
  if (bucket->tokens >= 1.0)
    {
      bucket->tokens -= 1.0;
      return TRUE;
    }
  if (retry_after_us)
    *retry_after_us = rate > 0 ? (gint64) ((1.0 - bucket->tokens) * G_USEC_PER_SEC / rate) + 1 : G_MAXINT64;
  return FALSE;
}
