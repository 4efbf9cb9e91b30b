/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <string.h>

#include "tea-timer-wheel.h"

#define BITS 8
#define MASK (TEA_TIMER_WHEEL_SLOTS - 1)

static guint64
tick_of (gint64 us)
{
  if (us <= 0)
    return 0;
  return ((guint64) us + TEA_TIMER_WHEEL_TICK_US - 1) / TEA_TIMER_WHEEL_TICK_US;
}

static void
list_push (TeaTimer **head, TeaTimer *timer)
{
  timer->next = *head;
  if (*head)
    (*head)->pprev = &timer->next;
  *head = timer;
  timer->pprev = head;
}

static void
list_unlink (TeaTimer *timer)
{
  *timer->pprev = timer->next;
  if (timer->next)
    timer->next->pprev = timer->pprev;
  timer->next = NULL;
  timer->pprev = NULL;
}

void
tea_timer_wheel_init (TeaTimerWheel *wheel, gint64 now_us)
{
  memset (wheel, 0, sizeof *wheel);
  /* The last tick that has begun, as pop_expired() counts: rounding up here
   * would push a timer due later in this tick a whole tick late. */
  wheel->now_tick = (guint64) MAX (now_us, 0) / TEA_TIMER_WHEEL_TICK_US;
}

/* Level l holds timers due within 256^(l+1) ticks, in the slot of their
 * tick's l-th digit; it is emptied into lower levels when time reaches
 * that slot (cascade). */
static void
file (TeaTimerWheel *wheel, TeaTimer *timer)
{
  guint64 tick = tick_of (timer->deadline);
  guint64 delta;
  guint level;

  if (tick <= wheel->now_tick)
    {
      list_push (&wheel->expired, timer);
      return;
    }
  delta = tick - wheel->now_tick;
  for (level = 0; level < TEA_TIMER_WHEEL_LEVELS - 1; level++)
    if (delta < (G_GUINT64_CONSTANT (1) << (BITS * (level + 1))))
      break;
  list_push (&wheel->slots[level][(tick >> (BITS * level)) & MASK], timer);
}

void
tea_timer_wheel_cancel (TeaTimerWheel *wheel, TeaTimer *timer)
{
  if (!tea_timer_is_scheduled (timer))
    return;
  list_unlink (timer);
  wheel->n_timers--;
}

void
tea_timer_wheel_schedule (TeaTimerWheel *wheel, TeaTimer *timer, gint64 deadline_us)
{
  if (deadline_us == G_MAXINT64)
    {
      tea_timer_wheel_cancel (wheel, timer);
      return;
    }
  if (tea_timer_is_scheduled (timer))
    {
      gboolean later = deadline_us >= timer->deadline;

      timer->deadline = deadline_us;
      if (later)
        return; /* re-filed lazily when its current slot comes up */
      list_unlink (timer);
    }
  else
    {
      wheel->n_timers++;
    }
  timer->deadline = deadline_us;
  file (wheel, timer);
}

static void
cascade (TeaTimerWheel *wheel, guint level, guint index)
{
  TeaTimer *list = wheel->slots[level][index];

  wheel->slots[level][index] = NULL;
  while (list)
    {
      TeaTimer *timer = list;

      list = timer->next;
      timer->next = NULL;
      timer->pprev = NULL;
      file (wheel, timer);
    }
}

static void
advance_one_tick (TeaTimerWheel *wheel)
{
  guint64 tick = ++wheel->now_tick;
  guint top;

  /* Find the highest level whose digit just rolled over, and cascade from
   * there down so timers reach level 0 before its slot is read. */
  for (top = 0; top < TEA_TIMER_WHEEL_LEVELS - 1; top++)
    if (((tick >> (BITS * top)) & MASK) != 0)
      break;
  for (guint level = top; level >= 1; level--)
    cascade (wheel, level, (tick >> (BITS * level)) & MASK);
  cascade (wheel, 0, tick & MASK);
}

/* The first tick at which a non-empty slot is cascaded, or G_MAXUINT64 if
 * every slot is empty. The expired list is not looked at. */
static guint64
next_slot_tick (const TeaTimerWheel *wheel)
{
  guint64 best = G_MAXUINT64;

  for (guint level = 0; level < TEA_TIMER_WHEEL_LEVELS; level++)
    {
      guint shift = BITS * level;
      guint64 block = wheel->now_tick >> shift;

      for (guint k = 1; k <= TEA_TIMER_WHEEL_SLOTS; k++)
        {
          guint64 start = (block + k) << shift;

          if (start >= best)
            break;
          if (wheel->slots[level][(block + k) & MASK])
            {
              best = start;
              break;
            }
        }
    }
  return best;
}

static void
advance_to (TeaTimerWheel *wheel, guint64 tick)
{
  while (wheel->now_tick < tick)
    {
      /* After a long sleep, jump over ticks whose slots are all empty
       * instead of visiting each (a fake clock may jump days). */
      if (tick - wheel->now_tick > TEA_TIMER_WHEEL_SLOTS)
        {
          /* Not next_wakeup(): timers already expired need no ticks, and
           * counting them would walk the rest of the sleep tick by tick. */
          guint64 next_tick = MIN (next_slot_tick (wheel), tick);

          if (next_tick > wheel->now_tick + 1)
            wheel->now_tick = next_tick - 1;
        }
      advance_one_tick (wheel);
    }
}

TeaTimer *
tea_timer_wheel_pop_expired (TeaTimerWheel *wheel, gint64 now_us)
{
  /* Only whole ticks that have passed are processed, so nothing fires early. */
  advance_to (wheel, (guint64) MAX (now_us, 0) / TEA_TIMER_WHEEL_TICK_US);
  while (wheel->expired)
    {
      TeaTimer *timer = wheel->expired;

      list_unlink (timer);
      if (timer->deadline > now_us)
        {
          file (wheel, timer); /* its deadline moved later meanwhile */
          if (wheel->expired == timer)
            {
              /* Due within the current tick: not yet. */
              list_unlink (timer);
              list_push (&wheel->slots[0][(wheel->now_tick + 1) & MASK], timer);
            }
          continue;
        }
      wheel->n_timers--;
      return timer;
    }
  return NULL;
}

gint64
tea_timer_wheel_next_wakeup (const TeaTimerWheel *wheel)
{
  guint64 best;

  if (wheel->n_timers == 0)
    return G_MAXINT64;
  if (wheel->expired)
    return (gint64) wheel->now_tick * TEA_TIMER_WHEEL_TICK_US;
  best = next_slot_tick (wheel);
  return best == G_MAXUINT64 ? G_MAXINT64 : (gint64) (best * TEA_TIMER_WHEEL_TICK_US);
}

guint
tea_timer_wheel_count (const TeaTimerWheel *wheel)
{
  return wheel->n_timers;
}
