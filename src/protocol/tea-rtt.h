/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Round-trip estimation and retransmission timeout, RFC 6298 with the
 * ack-delay correction of RFC 9002. Times are microseconds.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* docs/PROTOCOL.md "Timers" explains these choices. */
#define TEA_RTO_INITIAL_US (500 * 1000)
#define TEA_RTO_MIN_US (200 * 1000)
#define TEA_RTO_MAX_US (3 * 1000 * 1000)
#define TEA_MAX_ACK_DELAY_US (25 * 1000)
#define TEA_TIMER_GRANULARITY_US 1000

typedef struct
{
  gint64 srtt;
  gint64 rttvar;
  gint64 min_rtt;
  gint64 latest;
  gboolean has_sample;
  guint backoff; /* consecutive timeouts; the RTO doubles with each */
} TeaRtt;

void tea_rtt_init (TeaRtt *rtt);
void tea_rtt_sample (TeaRtt *rtt, gint64 rtt_us, gint64 ack_delay_us);
/* The current timeout including backoff, clamped to [MIN, MAX]. */
gint64 tea_rtt_rto (const TeaRtt *rtt);
/* The delay after which a packet is lost if a later one was acknowledged. */
gint64 tea_rtt_loss_delay (const TeaRtt *rtt);

G_END_DECLS
