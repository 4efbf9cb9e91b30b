/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What the kernel says about the relay and the machine: a process's CPU
 * time and memory from /proc/PID, the machine's busy time from /proc/stat
 * (so a report can say how much CPU *other* programs took during a run),
 * the load average, and the kernel's UDP drop counters.
 */
#pragma once

#include <glib.h>
#include <sys/types.h>

G_BEGIN_DECLS

typedef struct
{
  gint64 wall_ns;
  double cpu_s;      /* utime + stime */
  double wait_s;     /* runnable but waiting for a CPU (schedstat) */
  guint64 rss_kib;   /* VmRSS */
  guint64 hwm_kib;   /* VmHWM: peak RSS */
} TeaBenchProcSample;

typedef struct
{
  gint64 wall_ns;
  double busy_s;     /* all CPUs: time not idle or waiting for I/O */
  double bench_cpu_s;/* this process, from getrusage */
  double bench_wait_s;/* this thread, runnable but waiting for a CPU */
  double pressure_s; /* PSI: time some task waited for a CPU */
  guint64 udp_rcvbuf_errors;
  guint64 udp_in_errors;
} TeaBenchMachineSample;

/* FALSE if the process is gone or pid is 0. */
gboolean tea_bench_proc_sample (pid_t pid, TeaBenchProcSample *sample);
void tea_bench_machine_sample (TeaBenchMachineSample *sample);
void tea_bench_loadavg (double load[3]);
guint tea_bench_online_cpus (void);

G_END_DECLS
