/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "tea-rtt.h"

void
tea_rtt_init (TeaRtt *rtt)
{
  rtt->srtt = 0;
  rtt->rttvar = 0;
  rtt->min_rtt = G_MAXINT64;
  rtt->latest = 0;
  rtt->has_sample = FALSE;
  rtt->backoff = 0;
}

void
tea_rtt_sample (TeaRtt *rtt, gint64 rtt_us, gint64 ack_delay_us)
{
  gint64 adjusted = rtt_us;

  if (rtt_us <= 0)
    rtt_us = adjusted = 1;
  rtt->latest = rtt_us;
  rtt->min_rtt = MIN (rtt->min_rtt, rtt_us);
  /* RFC 9002 5.3: subtract the peer's ack delay unless that would go below
   * the minimum RTT ever seen; never trust more than our agreed maximum. */
  ack_delay_us = CLAMP (ack_delay_us, 0, TEA_MAX_ACK_DELAY_US);
  if (adjusted - ack_delay_us >= rtt->min_rtt)
    adjusted -= ack_delay_us;

  if (!rtt->has_sample)
    {
      rtt->srtt = adjusted;
      rtt->rttvar = adjusted / 2;
      rtt->has_sample = TRUE;
    }
  else
    {
      gint64 err = ABS (rtt->srtt - adjusted);
      rtt->rttvar = (3 * rtt->rttvar + err) / 4;
      rtt->srtt = (7 * rtt->srtt + adjusted) / 8;
    }
  /* Karn: a fresh, unambiguous sample ends the backoff. */
  rtt->backoff = 0;
}

gint64
tea_rtt_rto (const TeaRtt *rtt)
{
  gint64 rto;

  if (!rtt->has_sample)
    rto = TEA_RTO_INITIAL_US;
  else
    rto = rtt->srtt + MAX (4 * rtt->rttvar, TEA_TIMER_GRANULARITY_US) + TEA_MAX_ACK_DELAY_US;
  rto = CLAMP (rto, TEA_RTO_MIN_US, TEA_RTO_MAX_US);
  for (guint i = 0; i < rtt->backoff && rto < TEA_RTO_MAX_US; i++)
    rto *= 2;
  return MIN (rto, TEA_RTO_MAX_US);
}

gint64
tea_rtt_loss_delay (const TeaRtt *rtt)
{
  gint64 base = rtt->has_sample ? MAX (rtt->srtt, rtt->latest) : TEA_RTO_INITIAL_US;
  /* RFC 9002 6.1.2: 9/8 of the RTT, at least the timer granularity. */
  return MAX (base * 9 / 8, TEA_TIMER_GRANULARITY_US);
}
