/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The command line, the measured window and the order of a run: start or
 * find the target, run the mode's driver, stop the target, print one line
 * of JSON on standard output (diagnostics go to standard error).
 */
#include "config.h"

#include <locale.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tea-bench-loop.h"
#include "tea-bench-workload.h"
#include "tea-bench.h"

/* Running or runnable this much of a window: busy. */
#define BUSY 0.75
/* ... and this much more than the other process: the bottleneck. */
#define BUSIER 0.1

G_DEFINE_QUARK (tea-bench-error-quark, tea_bench_error)

static const char *const mode_names[] = { "throughput", "rate", "idle", "handshakes", "flood" };
static const char *const system_names[] = { "teahouse", "inspircd" };

const char *
tea_bench_mode_name (TeaBenchMode mode)
{
  return mode_names[mode];
}

const char *
tea_bench_system_name (TeaBenchSystem system)
{
  return system_names[system];
}

void
tea_bench_options_init (TeaBenchOptions *o)
{
  memset (o, 0, sizeof *o);
  o->mode = TEA_BENCH_MODE_THROUGHPUT;
  o->sessions = 100;
  o->senders = 10;
  o->duration_s = 5;
  o->window = 200;
  o->size = 64;
  o->sockets = 16;
  o->room_size = 100;
  o->handshakes = 20000;
  o->handshake_window = 256;
  o->flood = 100000;
  o->relay_cpu = -1;
  o->bench_cpu = -1;
  o->timeout_s = 120;
  o->inspircd_config = g_strdup (TEA_BENCH_SOURCE_DIR "/inspircd/inspircd.conf");
}

void
tea_bench_options_clear (TeaBenchOptions *o)
{
  g_clear_pointer (&o->spawn_relay, g_free);
  g_clear_pointer (&o->relay_wrapper, g_free);
  g_clear_pointer (&o->inspircd_config, g_free);
  g_clear_pointer (&o->target, g_free);
}

static gboolean
lookup_name (const char *const *names, guint n, const char *value, guint *index)
{
  for (guint i = 0; i < n; i++)
    if (g_str_equal (names[i], value))
      {
        *index = i;
        return TRUE;
      }
  return FALSE;
}

static gboolean
check_options (TeaBenchOptions *o, const char *mode, const char *system, GError **error)
{
  guint index;

  if (mode && !lookup_name (mode_names, G_N_ELEMENTS (mode_names), mode, &index))
    return g_set_error (error, TEA_BENCH_ERROR, 0, "Unknown mode “%s”", mode), FALSE;
  if (mode)
    o->mode = index;
  if (system && !lookup_name (system_names, G_N_ELEMENTS (system_names), system, &index))
    return g_set_error (error, TEA_BENCH_ERROR, 0, "Unknown system “%s”", system), FALSE;
  if (system)
    o->system = index;
  if ((o->spawn_relay == NULL) == (o->target == NULL))
    return g_set_error (error, TEA_BENCH_ERROR, 0, "Give either --spawn-relay PATH or --target HOST:PORT"), FALSE;
  if (o->sessions < 1 || o->senders < 1 || o->senders > o->sessions)
    return g_set_error (error, TEA_BENCH_ERROR, 0, "Need 1 ≤ senders ≤ sessions"), FALSE;
  if (o->size < TEA_BENCH_MIN_SIZE || o->size > 400)
    return g_set_error (error, TEA_BENCH_ERROR, 0, "--size must be %d to 400 (IRC's line limit)", TEA_BENCH_MIN_SIZE), FALSE;
  if (o->mode == TEA_BENCH_MODE_RATE && o->rate <= 0)
    return g_set_error (error, TEA_BENCH_ERROR, 0, "--mode rate needs --rate"), FALSE;
  if (o->system == TEA_BENCH_SYSTEM_INSPIRCD && o->mode != TEA_BENCH_MODE_THROUGHPUT &&
      o->mode != TEA_BENCH_MODE_RATE && o->mode != TEA_BENCH_MODE_IDLE)
    return g_set_error (error, TEA_BENCH_ERROR, 0, "InspIRCd runs the throughput, rate and idle modes"), FALSE;
  if (o->mode == TEA_BENCH_MODE_RATE && o->window == 200)
    o->window = 100000; /* open loop: the window is only a safety net */
  return TRUE;
}

gboolean
tea_bench_options_parse (TeaBenchOptions *o, int *argc, char ***argv, GError **error)
{
  g_autofree char *mode = NULL;
  g_autofree char *system = NULL;
  g_autofree char *config = NULL;
  gint64 messages = 0;
  g_autoptr (GOptionContext) context = NULL;
  const GOptionEntry entries[] = {
    { "mode", 'm', 0, G_OPTION_ARG_STRING, &mode, "throughput (default), rate, idle, handshakes or flood", "MODE" },
    { "system", 0, 0, G_OPTION_ARG_STRING, &system, "teahouse (default) or inspircd", "SYSTEM" },
    { "spawn-relay", 0, 0, G_OPTION_ARG_FILENAME, &o->spawn_relay, "Start this teahoused (or inspircd) on loopback with limits raised", "PATH" },
    { "relay-wrapper", 0, 0, G_OPTION_ARG_STRING, &o->relay_wrapper, "Run the spawned relay under this command (e.g. \"valgrind --tool=callgrind\")", "COMMAND" },
    { "inspircd-config", 0, 0, G_OPTION_ARG_FILENAME, &config, "InspIRCd configuration (default: bench/inspircd/inspircd.conf)", "FILE" },
    { "target", 0, 0, G_OPTION_ARG_STRING, &o->target, "Use a running relay (its limits must be raised)", "HOST:PORT" },
    { "relay-pid", 0, 0, G_OPTION_ARG_INT, &o->relay_pid, "The running relay's pid, for CPU and memory figures", "PID" },
    { "sessions", 'N', 0, G_OPTION_ARG_INT, &o->sessions, "Members of the room; idle mode: sessions (default 100)", "N" },
    { "senders", 'S', 0, G_OPTION_ARG_INT, &o->senders, "Members that send (default 10)", "S" },
    { "messages", 'M', 0, G_OPTION_ARG_INT64, &messages, "Messages per sender (default: as many as fit in --duration)", "M" },
    { "duration", 'd', 0, G_OPTION_ARG_DOUBLE, &o->duration_s, "Seconds of sending (default 5)", "SECONDS" },
    { "rate", 'r', 0, G_OPTION_ARG_DOUBLE, &o->rate, "Rate mode: deliveries per second", "R" },
    { "window", 'w', 0, G_OPTION_ARG_INT, &o->window, "Messages in flight per sender (default 200)", "W" },
    { "send-queue", 0, 0, G_OPTION_ARG_INT, &o->send_queue, "Teahouse: each session's send queue, in frames (default: the client library's, 4096)", "FRAMES" },
    { "size", 0, 0, G_OPTION_ARG_INT, &o->size, "Bytes of text per message (default 64)", "BYTES" },
    { "sockets", 0, 0, G_OPTION_ARG_INT, &o->sockets, "UDP sockets the sessions share (default 16)", "K" },
    { "room-size", 0, 0, G_OPTION_ARG_INT, &o->room_size, "Idle mode: members per room (default 100)", "N" },
    { "handshakes", 0, 0, G_OPTION_ARG_INT, &o->handshakes, "Handshakes mode: how many (default 20000)", "H" },
    { "handshake-window", 0, 0, G_OPTION_ARG_INT, &o->handshake_window, "Handshakes in progress at once (default 256)", "W" },
    { "flood", 0, 0, G_OPTION_ARG_INT, &o->flood, "Flood mode: HELLOs, and as many forged INITs (default 100000)", "F" },
    { "flood-rate", 0, 0, G_OPTION_ARG_DOUBLE, &o->flood_rate, "Flood mode: datagrams per second (default: unpaced)", "R" },
    { "relay-cpu", 0, 0, G_OPTION_ARG_INT, &o->relay_cpu, "Pin the spawned relay to this CPU", "CPU" },
    { "bench-cpu", 0, 0, G_OPTION_ARG_INT, &o->bench_cpu, "Pin the benchmark to this CPU", "CPU" },
    { "timeout", 0, 0, G_OPTION_ARG_DOUBLE, &o->timeout_s, "Give up a phase after this many seconds (default 120)", "SECONDS" },
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &o->verbose, "Say what is happening on standard error", NULL },
    { NULL }
  };

  context = g_option_context_new (NULL);
  g_option_context_set_summary (context,
                                "Measures a Teahouse relay (or InspIRCd, over IRC, with the same workload).\n"
                                "Prints one line of JSON. See docs/PERFORMANCE.md.");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, argc, argv, error))
    return FALSE;
  if (config)
    {
      g_free (o->inspircd_config);
      o->inspircd_config = g_steal_pointer (&config);
    }
  o->messages = messages > 0 ? (guint64) messages : 0;
  if (o->spawn_relay)
    {
      /* The relay runs in its own directory: a relative path would break. */
      char *path = strchr (o->spawn_relay, '/') ? g_canonicalize_filename (o->spawn_relay, NULL)
                                                : g_find_program_in_path (o->spawn_relay);
      if (path == NULL)
        return g_set_error (error, TEA_BENCH_ERROR, 0, "No program “%s”", o->spawn_relay), FALSE;
      g_free (o->spawn_relay);
      o->spawn_relay = path;
    }
  return check_options (o, mode, system, error);
}

/* ---- The measured window ------------------------------------------------ */

void
tea_bench_run_window_begin (TeaBenchRun *run)
{
  tea_bench_proc_sample (run->relay_pid, &run->relay_begin);
  tea_bench_machine_sample (&run->machine_begin);
  tea_bench_loadavg (run->load_begin);
}

/* In a closed loop the slower of the two processes is the busier one:
 * it runs, or waits for a CPU, nearly all the time, while the other
 * blocks now and then for work. "both" when they are about as busy,
 * "neither" when both idle a lot (latency-bound, or paced below capacity).
 * A heuristic: the busy fractions themselves are in the report. */
static const char *
bottleneck (const TeaBenchReport *r)
{
  double relay, bench;

  if (!isfinite (r->relay_cpu))
    return NULL;
  relay = r->relay_cpu + r->relay_wait;
  bench = r->bench_cpu + r->bench_wait;
  if (relay < BUSY && bench < BUSY)
    return "neither";
  if (relay - bench >= BUSIER)
    return "relay";
  if (bench - relay >= BUSIER)
    return "bench";
  return "both";
}

void
tea_bench_run_window_end (TeaBenchRun *run)
{
  TeaBenchReport *r = &run->report;
  TeaBenchProcSample relay;
  TeaBenchMachineSample machine;
  double wall, relay_cpu_s = 0;
  double load[3];

  tea_bench_machine_sample (&machine);
  wall = (machine.wall_ns - run->machine_begin.wall_ns) / 1e9;
  if (wall <= 0)
    return;
  if (tea_bench_proc_sample (run->relay_pid, &relay) && run->relay_begin.wall_ns > 0)
    {
      relay_cpu_s = relay.cpu_s - run->relay_begin.cpu_s;
      run->relay_cpu_s = relay_cpu_s;
      r->relay_cpu = relay_cpu_s / wall;
      r->relay_wait = (relay.wait_s - run->relay_begin.wait_s) / wall;
    }
  r->bench_cpu = (machine.bench_cpu_s - run->machine_begin.bench_cpu_s) / wall;
  /* Fractions of the window spent runnable but without a CPU: how much a
   * shared machine held the relay and us back. */
  r->bench_wait = (machine.bench_wait_s - run->machine_begin.bench_wait_s) / wall;
  r->cpu_pressure = (machine.pressure_s - run->machine_begin.pressure_s) / wall;
  r->bottleneck = bottleneck (r);
  /* Whatever else ran on the machine meanwhile (other jobs, the kernel's
   * softirq work not charged to either process). */
  r->other_cpu = MAX (0, (machine.busy_s - run->machine_begin.busy_s) / wall - r->bench_cpu -
                           (isfinite (r->relay_cpu) ? r->relay_cpu : 0));
  r->udp_rcvbuf_errors = machine.udp_rcvbuf_errors - run->machine_begin.udp_rcvbuf_errors;
  /* The load average lags by design; the higher of the two ends is the
   * honest one to quote. */
  tea_bench_loadavg (load);
  r->loadavg_1m = MAX (load[0], run->load_begin[0]);
  r->loadavg_5m = MAX (load[1], run->load_begin[1]);
}

guint64
tea_bench_run_relay_rss_kib (TeaBenchRun *run, guint64 *peak_kib)
{
  TeaBenchProcSample sample;

  if (!tea_bench_proc_sample (run->relay_pid, &sample))
    sample.rss_kib = sample.hwm_kib = 0;
  if (peak_kib)
    *peak_kib = sample.hwm_kib;
  return sample.rss_kib;
}

/* ---- A run -------------------------------------------------------------- */

static void
fill_common (TeaBenchRun *run)
{
  const TeaBenchOptions *o = run->options;
  TeaBenchReport *r = &run->report;

  r->system = tea_bench_system_name (o->system);
  r->mode = tea_bench_mode_name (o->mode);
  if (o->mode != TEA_BENCH_MODE_HANDSHAKES && o->mode != TEA_BENCH_MODE_FLOOD)
    r->sessions = o->sessions;
  if (o->mode == TEA_BENCH_MODE_THROUGHPUT || o->mode == TEA_BENCH_MODE_RATE)
    {
      r->senders = o->senders;
      r->window = o->window;
      r->size = MAX (o->size, TEA_BENCH_MIN_SIZE);
    }
  if (o->mode == TEA_BENCH_MODE_RATE)
    r->rate_target = o->rate;
  r->cpus = tea_bench_online_cpus ();
  r->relay_pid = run->relay_pid > 0 ? (gint64) run->relay_pid : -1;
  r->relay_cpu_pinned = o->relay_cpu;
  r->bench_cpu_pinned = o->bench_cpu;
}

static gboolean
run_mode (TeaBenchRun *run, GError **error)
{
  const TeaBenchOptions *o = run->options;

  if (o->system == TEA_BENCH_SYSTEM_INSPIRCD)
    return tea_bench_irc_run (run, error);
  switch (o->mode)
    {
    case TEA_BENCH_MODE_HANDSHAKES:
      return tea_bench_handshakes_run (run, error);
    case TEA_BENCH_MODE_FLOOD:
      return tea_bench_flood_run (run, error);
    default:
      return tea_bench_tea_run (run, error);
    }
}

static gboolean
run (TeaBenchRun *run, GError **error)
{
  guint64 rss, peak;

  if (!tea_bench_target_start (&run->target, run->options, error))
    return FALSE;
  run->relay_pid = run->target.spawned ? run->target.pid : run->options->relay_pid;
  if (!tea_bench_pin_cpu (0, run->options->bench_cpu, error))
    return FALSE;
  fill_common (run);
  if (!run_mode (run, error))
    return FALSE;
  rss = tea_bench_run_relay_rss_kib (run, &peak);
  if (rss > 0)
    {
      run->report.relay_rss_kib = rss;
      run->report.relay_rss_peak_kib = peak;
    }
  return TRUE;
}

int
tea_bench_main (int argc, char **argv)
{
  TeaBenchOptions options;
  TeaBenchRun state = { 0 };
  g_autoptr (GError) error = NULL;
  g_autofree char *json = NULL;
  gboolean ok;

  setlocale (LC_ALL, "");
  g_set_prgname ("teahouse-bench");
  tea_bench_options_init (&options);
  if (!tea_bench_options_parse (&options, &argc, &argv, &error))
    {
      g_printerr ("teahouse-bench: %s\n", error->message);
      tea_bench_options_clear (&options);
      return 2;
    }
  state.options = &options;
  tea_bench_report_init (&state.report);
  ok = run (&state, &error);
  tea_bench_target_stop (&state.target);
  if (ok)
    {
      json = tea_bench_report_to_json (&state.report);
      g_print ("%s\n", json);
    }
  else
    g_printerr ("teahouse-bench: %s\n", error->message);
  tea_bench_options_clear (&options);
  return ok ? EXIT_SUCCESS : EXIT_FAILURE;
}
