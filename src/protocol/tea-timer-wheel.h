/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A hierarchical timing wheel (1 ms ticks, 4 levels of 256 slots) so that
 * re-arming a session's timer costs O(1) per packet however many sessions
 * there are. Timers are intrusive: embed a TeaTimer in what it times.
 *
 * Pushing a deadline later is free (the timer stays where it is and is filed
 * again when its old slot comes up); only an earlier deadline moves it.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define TEA_TIMER_WHEEL_LEVELS 4
#define TEA_TIMER_WHEEL_SLOTS 256
#define TEA_TIMER_WHEEL_TICK_US 1000

typedef struct _TeaTimer TeaTimer;
struct _TeaTimer
{
  TeaTimer *next;
  TeaTimer **pprev; /* NULL when not scheduled */
  gint64 deadline;  /* µs, monotonic */
};

typedef struct
{
  TeaTimer *slots[TEA_TIMER_WHEEL_LEVELS][TEA_TIMER_WHEEL_SLOTS];
  TeaTimer *expired;
  guint64 now_tick;
  guint n_timers;
} TeaTimerWheel;

void tea_timer_wheel_init (TeaTimerWheel *wheel, gint64 now_us);
/* deadline G_MAXINT64 cancels. */
void tea_timer_wheel_schedule (TeaTimerWheel *wheel, TeaTimer *timer, gint64 deadline_us);
void tea_timer_wheel_cancel (TeaTimerWheel *wheel, TeaTimer *timer);
/* One timer whose deadline has passed, unscheduled, or NULL. Call until
 * NULL. */
TeaTimer *tea_timer_wheel_pop_expired (TeaTimerWheel *wheel, gint64 now_us);
/* When to call pop_expired next (may be early, never late); G_MAXINT64 if
 * nothing is scheduled. */
gint64 tea_timer_wheel_next_wakeup (const TeaTimerWheel *wheel);
guint tea_timer_wheel_count (const TeaTimerWheel *wheel);

static inline gboolean
tea_timer_is_scheduled (const TeaTimer *timer)
{
  return timer->pprev != NULL;
}

G_END_DECLS
