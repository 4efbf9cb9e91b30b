/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A minimal epoll loop for the load generator. GMainLoop polls every source
 * with poll(2) on each turn, which costs more than the work itself with a
 * thousand TCP peers; epoll reports only the ready ones, and epoll_pwait2
 * sleeps with nanosecond precision, which paced sending needs.
 */
#pragma once

#include <glib.h>
#include <sys/epoll.h>

G_BEGIN_DECLS

typedef struct _TeaBenchLoop TeaBenchLoop;

/* Called with the epoll events (EPOLLIN, EPOLLOUT, ...) of a ready fd. */
typedef void (*TeaBenchIoFunc) (gpointer user_data, guint32 events);

TeaBenchLoop *tea_bench_loop_new (void);
void tea_bench_loop_free (TeaBenchLoop *loop);

/* Watches fd (level-triggered) until it is removed or closed. */
void tea_bench_loop_add (TeaBenchLoop *loop, int fd, guint32 events, TeaBenchIoFunc func, gpointer user_data);
void tea_bench_loop_modify (TeaBenchLoop *loop, int fd, guint32 events);
void tea_bench_loop_remove (TeaBenchLoop *loop, int fd);

/* Waits for I/O until deadline_ns (monotonic; G_MAXINT64 for no deadline,
 * 0 to only look) and dispatches what is ready. */
void tea_bench_loop_iterate (TeaBenchLoop *loop, gint64 deadline_ns);

/* CLOCK_MONOTONIC in nanoseconds: the clock of g_get_monotonic_time, finer. */
gint64 tea_bench_now_ns (void);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TeaBenchLoop, tea_bench_loop_free)

G_END_DECLS
