/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <time.h>
#include <unistd.h>

#include "tea-bench-loop.h"

#define MAX_EVENTS 256

typedef struct
{
  int fd;
  TeaBenchIoFunc func;
  gpointer user_data;
} Watch;

struct _TeaBenchLoop
{
  int epoll_fd;
  GHashTable *watches; /* fd -> Watch */
  GPtrArray *removed;  /* freed after dispatch: events may still name them */
  gboolean no_pwait2;  /* kernels before 5.11, and valgrind, lack it */
  struct epoll_event events[MAX_EVENTS];
};

gint64
tea_bench_now_ns (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (gint64) ts.tv_sec * G_GINT64_CONSTANT (1000000000) + ts.tv_nsec;
}

TeaBenchLoop *
tea_bench_loop_new (void)
{
  TeaBenchLoop *loop = g_new0 (TeaBenchLoop, 1);

  loop->epoll_fd = epoll_create1 (EPOLL_CLOEXEC);
  if (loop->epoll_fd < 0)
    g_error ("epoll_create1: %s", g_strerror (errno));
  loop->watches = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, g_free);
  loop->removed = g_ptr_array_new_with_free_func (g_free);
  return loop;
}

void
tea_bench_loop_free (TeaBenchLoop *loop)
{
  if (loop == NULL)
    return;
  close (loop->epoll_fd);
  g_hash_table_destroy (loop->watches);
  g_ptr_array_unref (loop->removed);
  g_free (loop);
}

void
tea_bench_loop_add (TeaBenchLoop *loop, int fd, guint32 events, TeaBenchIoFunc func, gpointer user_data)
{
  Watch *watch = g_new (Watch, 1);
  struct epoll_event ev = { .events = events, .data.ptr = watch };

  watch->fd = fd;
  watch->func = func;
  watch->user_data = user_data;
  if (epoll_ctl (loop->epoll_fd, EPOLL_CTL_ADD, fd, &ev) < 0)
    g_error ("epoll_ctl (ADD, %d): %s", fd, g_strerror (errno));
  g_hash_table_replace (loop->watches, GINT_TO_POINTER (fd), watch);
}

void
tea_bench_loop_modify (TeaBenchLoop *loop, int fd, guint32 events)
{
  Watch *watch = g_hash_table_lookup (loop->watches, GINT_TO_POINTER (fd));
  struct epoll_event ev = { .events = events, .data.ptr = watch };

  g_return_if_fail (watch != NULL);
  if (epoll_ctl (loop->epoll_fd, EPOLL_CTL_MOD, fd, &ev) < 0)
    g_error ("epoll_ctl (MOD, %d): %s", fd, g_strerror (errno));
}

void
tea_bench_loop_remove (TeaBenchLoop *loop, int fd)
{
  Watch *watch = NULL;

  epoll_ctl (loop->epoll_fd, EPOLL_CTL_DEL, fd, NULL);
  if (!g_hash_table_steal_extended (loop->watches, GINT_TO_POINTER (fd), NULL, (gpointer *) &watch))
    return;
  watch->func = NULL;
  g_ptr_array_add (loop->removed, watch);
}

static int
wait_events (TeaBenchLoop *loop, gint64 deadline_ns)
{
  struct timespec timeout, *timeout_p = NULL;
  /* Read once: MAX evaluates its arguments twice, and a deadline passing
   * between the two readings made the wait negative, which means forever
   * (until some datagram came, 200 ms later in the rate sweep). */
  gint64 remaining = deadline_ns - tea_bench_now_ns ();
  gint64 wait = deadline_ns == G_MAXINT64 ? -1 : MAX (0, remaining);
  int n;

  if (!loop->no_pwait2)
    {
      if (wait >= 0)
        {
          timeout.tv_sec = wait / 1000000000;
          timeout.tv_nsec = wait % 1000000000;
          timeout_p = &timeout;
        }
      n = epoll_pwait2 (loop->epoll_fd, loop->events, MAX_EVENTS, timeout_p, NULL);
      if (n >= 0 || errno != ENOSYS)
        return n;
      loop->no_pwait2 = TRUE;
    }
  /* Milliseconds, rounded up: a paced sender is then up to 1 ms late,
   * which its latency figures include. */
  return epoll_wait (loop->epoll_fd, loop->events, MAX_EVENTS,
                     wait < 0 ? -1 : (int) MIN ((wait + 999999) / 1000000, G_MAXINT));
}

void
tea_bench_loop_iterate (TeaBenchLoop *loop, gint64 deadline_ns)
{
  int n = wait_events (loop, deadline_ns);

  if (n < 0 && errno != EINTR)
    g_error ("epoll_wait: %s", g_strerror (errno));
  for (int i = 0; i < n; i++)
    {
      Watch *watch = loop->events[i].data.ptr;

      if (watch->func)
        watch->func (watch->user_data, loop->events[i].events);
    }
  g_ptr_array_set_size (loop->removed, 0);
}
