/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "tea-bench-loop.h"
#include "tea-bench-proc.h"

static double
ticks_to_seconds (guint64 ticks)
{
  static long hz;

  if (hz == 0)
    hz = sysconf (_SC_CLK_TCK);
  return (double) ticks / (double) hz;
}

/* utime and stime are fields 14 and 15; the command name (field 2) may
 * contain spaces, so counting starts after its closing parenthesis. */
static gboolean
read_cpu (pid_t pid, double *cpu_s)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/stat", (int) pid);
  g_autofree char *contents = NULL;
  g_auto (GStrv) fields = NULL;
  const char *rest;

  if (!g_file_get_contents (path, &contents, NULL, NULL) || (rest = strrchr (contents, ')')) == NULL)
    return FALSE;
  fields = g_strsplit (rest + 2, " ", 0);
  if (g_strv_length (fields) < 13)
    return FALSE;
  /* fields[0] is field 3 (state), so utime is fields[11]. */
  *cpu_s = ticks_to_seconds (g_ascii_strtoull (fields[11], NULL, 10) + g_ascii_strtoull (fields[12], NULL, 10));
  return TRUE;
}

/* /proc/PID/schedstat: time on a CPU, time waiting on a run queue (ns),
 * timeslices. The wait is what other programs cost us on a shared machine. */
static double
read_wait (const char *path)
{
  g_autofree char *contents = NULL;
  g_auto (GStrv) fields = NULL;

  if (!g_file_get_contents (path, &contents, NULL, NULL))
    return 0;
  fields = g_strsplit (contents, " ", 0);
  return g_strv_length (fields) >= 2 ? g_ascii_strtoull (fields[1], NULL, 10) / 1e9 : 0;
}

/* "some avg10=… avg60=… avg300=… total=MICROSECONDS" */
static double
read_cpu_pressure (void)
{
  g_autofree char *contents = NULL;
  const char *total;

  if (!g_file_get_contents ("/proc/pressure/cpu", &contents, NULL, NULL) ||
      (total = strstr (contents, "total=")) == NULL)
    return 0;
  return g_ascii_strtoull (total + strlen ("total="), NULL, 10) / 1e6;
}

static guint64
status_field_kib (const char *status, const char *name)
{
  const char *line = strstr (status, name);

  return line ? g_ascii_strtoull (line + strlen (name), NULL, 10) : 0;
}

gboolean
tea_bench_proc_sample (pid_t pid, TeaBenchProcSample *sample)
{
  g_autofree char *path = NULL;
  g_autofree char *status = NULL;

  memset (sample, 0, sizeof *sample);
  sample->wall_ns = tea_bench_now_ns ();
  if (pid <= 0 || !read_cpu (pid, &sample->cpu_s))
    return FALSE;
  path = g_strdup_printf ("/proc/%d/schedstat", (int) pid);
  sample->wait_s = read_wait (path);
  g_free (path);
  path = g_strdup_printf ("/proc/%d/status", (int) pid);
  if (!g_file_get_contents (path, &status, NULL, NULL))
    return FALSE;
  sample->rss_kib = status_field_kib (status, "\nVmRSS:");
  sample->hwm_kib = status_field_kib (status, "\nVmHWM:");
  return TRUE;
}

static double
machine_busy_seconds (void)
{
  g_autofree char *contents = NULL;
  guint64 v[8] = { 0 };

  /* cpu  user nice system idle iowait irq softirq steal */
  if (!g_file_get_contents ("/proc/stat", &contents, NULL, NULL) ||
      sscanf (contents, "cpu %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT
                        " %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT
                        " %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT,
              &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) != 8)
    return 0;
  return ticks_to_seconds (v[0] + v[1] + v[2] + v[5] + v[6] + v[7]);
}

/* /proc/net/snmp has a header line "Udp: InDatagrams NoPorts ..." and a
 * line of values in the same order. */
static guint64
udp_counter (const char *snmp, const char *name)
{
  g_auto (GStrv) lines = g_strsplit (snmp, "\n", 0);

  for (guint i = 0; lines[i] && lines[i + 1]; i++)
    {
      g_auto (GStrv) names = NULL;
      g_auto (GStrv) values = NULL;

      if (!g_str_has_prefix (lines[i], "Udp: ") || !g_str_has_prefix (lines[i + 1], "Udp: "))
        continue;
      names = g_strsplit (lines[i], " ", 0);
      values = g_strsplit (lines[i + 1], " ", 0);
      for (guint j = 0; names[j] && values[j]; j++)
        if (g_str_equal (names[j], name))
          return g_ascii_strtoull (values[j], NULL, 10);
      return 0;
    }
  return 0;
}

void
tea_bench_machine_sample (TeaBenchMachineSample *sample)
{
  g_autofree char *snmp = NULL;
  struct rusage usage;

  memset (sample, 0, sizeof *sample);
  sample->wall_ns = tea_bench_now_ns ();
  sample->busy_s = machine_busy_seconds ();
  getrusage (RUSAGE_SELF, &usage);
  sample->bench_cpu_s = usage.ru_utime.tv_sec + usage.ru_utime.tv_usec / 1e6 +
                        usage.ru_stime.tv_sec + usage.ru_stime.tv_usec / 1e6;
  sample->bench_wait_s = read_wait ("/proc/thread-self/schedstat");
  sample->pressure_s = read_cpu_pressure ();
  if (g_file_get_contents ("/proc/net/snmp", &snmp, NULL, NULL))
    {
      sample->udp_rcvbuf_errors = udp_counter (snmp, "RcvbufErrors");
      sample->udp_in_errors = udp_counter (snmp, "InErrors");
    }
}

void
tea_bench_loadavg (double load[3])
{
  load[0] = load[1] = load[2] = 0;
  if (getloadavg (load, 3) < 0)
    load[0] = load[1] = load[2] = -1;
}

guint
tea_bench_online_cpus (void)
{
  long n = sysconf (_SC_NPROCESSORS_ONLN);

  return n > 0 ? (guint) n : 1;
}
