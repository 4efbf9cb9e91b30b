/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * teahouse-bench: a load generator for the Teahouse relay and, with the
 * same workload over IRC, for InspIRCd. See docs/PERFORMANCE.md.
 */
#pragma once

#include <glib.h>
#include <sys/types.h>

#include "tea-bench-proc.h"
#include "tea-bench-tally.h"
#include "tea-bench-workload.h"

G_BEGIN_DECLS

typedef enum {
  TEA_BENCH_SYSTEM_TEAHOUSE,
  TEA_BENCH_SYSTEM_INSPIRCD,
} TeaBenchSystem;

typedef enum {
  TEA_BENCH_MODE_THROUGHPUT, /* closed loop, as fast as the system goes */
  TEA_BENCH_MODE_RATE,       /* open loop at a target rate */
  TEA_BENCH_MODE_IDLE,       /* memory per idle session */
  TEA_BENCH_MODE_HANDSHAKES, /* full handshakes per second */
  TEA_BENCH_MODE_FLOOD,      /* initiations from many addresses: memory */
} TeaBenchMode;

typedef struct
{
  TeaBenchSystem system;
  TeaBenchMode mode;
  guint sessions;        /* N: members of the room (idle: sessions opened) */
  guint senders;         /* S: the first S members send */
  guint64 messages;      /* M per sender; 0 = as many as fit in duration */
  double duration_s;     /* sending stops after this (when messages is 0) */
  double rate;           /* rate mode: deliveries per second */
  guint window;          /* closed loop: messages in flight per sender */
  guint send_queue;      /* Teahouse: each session's send queue, in frames; 0 = the library's */
  guint size;            /* bytes of message text */
  guint sockets;         /* UDP sockets the sessions share */
  guint room_size;       /* idle mode: members per room */
  guint handshakes;      /* handshakes mode: how many */
  guint handshake_window;/* handshakes in progress at once */
  guint flood;           /* flood mode: initiations of each kind */
  double flood_rate;     /* flood mode: datagrams per second; 0 = unpaced */
  char *spawn_relay;     /* start this teahoused (or inspircd) ourselves */
  char *relay_wrapper;   /* ... under this command, e.g. valgrind */
  char *inspircd_config;
  char *target;          /* HOST:PORT of a running relay */
  gint relay_pid;        /* its pid, for CPU and memory */
  gint relay_cpu;        /* pin the spawned relay here; -1 = no */
  gint bench_cpu;        /* pin ourselves here; -1 = no */
  double timeout_s;      /* setup, sync and drain each give up after this */
  gboolean verbose;
} TeaBenchOptions;

void tea_bench_options_init (TeaBenchOptions *options);
void tea_bench_options_clear (TeaBenchOptions *options);
/* Parses the command line; FALSE with a message for the user. */
gboolean tea_bench_options_parse (TeaBenchOptions *options, int *argc, char ***argv, GError **error);
const char *tea_bench_mode_name (TeaBenchMode mode);
const char *tea_bench_system_name (TeaBenchSystem system);

/* What a run measured, printed as one JSON line. Doubles that stay NAN and
 * integers that stay -1 were not measured in this mode and print as null,
 * so every line has the same keys. */
typedef struct
{
  const char *system;
  const char *mode;
  gint64 sessions, senders, window, size;
  double rate_target;
  gint64 messages_sent, expected, deliveries;
  double duration_s, deliveries_per_s;
  double deliveries_per_relay_cpu_s; /* steadier than per wall second on a shared machine */
  gint64 loss, duplicates, out_of_order, errors, gaps, sessions_lost;
  double lat_p50_us, lat_p99_us, lat_max_us;
  gint64 saturated;
  double send_queue_wait_s; /* paced messages waited for room in a sender's send queue */
  double relay_cpu, bench_cpu, other_cpu;
  double relay_wait, bench_wait, cpu_pressure;
  const char *bottleneck; /* "relay", "bench", "both", "neither" */
  gint64 relay_rss_kib, relay_rss_peak_kib;
  double setup_s, setup_handshakes_per_s;
  gint64 handshakes, handshakes_verified;
  double handshakes_per_s, handshakes_per_relay_cpu_s;
  gint64 rss_before_kib, rss_after_kib;
  double rss_per_session_bytes;
  gint64 initiations, udp_rcvbuf_errors, alive;
  double loadavg_1m, loadavg_5m;
  gint64 cpus, relay_pid, relay_cpu_pinned, bench_cpu_pinned;
} TeaBenchReport;

void tea_bench_report_init (TeaBenchReport *report);
char *tea_bench_report_to_json (const TeaBenchReport *report);
/* Fills the delivery figures of a workload that n_receivers each got. */
void tea_bench_report_deliveries (TeaBenchReport *report,
                                  const TeaBenchTally *tally,
                                  const TeaBenchWorkload *workload,
                                  guint n_receivers,
                                  double relay_cpu_s);

/* The relay (or InspIRCd) under test. */
typedef struct
{
  TeaBenchSystem system;
  GPid pid;          /* ours to stop if spawned */
  gboolean spawned;
  char *host;
  guint16 port;
  char *workdir;     /* generated config, key and log of a spawned relay */
} TeaBenchTarget;

/* One run: options, target, what was measured so far. */
typedef struct
{
  const TeaBenchOptions *options;
  TeaBenchTarget target;
  TeaBenchReport report;
  pid_t relay_pid;   /* 0 when unknown: no CPU or memory figures */
  TeaBenchProcSample relay_begin;
  TeaBenchMachineSample machine_begin;
  double load_begin[3];
  double relay_cpu_s;  /* relay CPU time over the last window; 0 if unknown */
} TeaBenchRun;

/* Start and stop of the measured window: relay CPU, bench CPU, other
 * programs' CPU and the load average are taken over it. */
void tea_bench_run_window_begin (TeaBenchRun *run);
void tea_bench_run_window_end (TeaBenchRun *run);
/* Relay memory now (VmRSS) and at its peak; 0 when unknown. */
guint64 tea_bench_run_relay_rss_kib (TeaBenchRun *run, guint64 *peak_kib);

gboolean tea_bench_target_start (TeaBenchTarget *target, const TeaBenchOptions *options, GError **error);
void tea_bench_target_stop (TeaBenchTarget *target);
/* Pins a process (0: this one) to one CPU. */
gboolean tea_bench_pin_cpu (pid_t pid, gint cpu, GError **error);

/* The drivers. Each fills run->report. */
gboolean tea_bench_tea_run (TeaBenchRun *run, GError **error);
gboolean tea_bench_handshakes_run (TeaBenchRun *run, GError **error);
gboolean tea_bench_flood_run (TeaBenchRun *run, GError **error);
gboolean tea_bench_irc_run (TeaBenchRun *run, GError **error);

/* Everything: start the target, run the mode, stop, print the report. */
int tea_bench_main (int argc, char **argv);

GQuark tea_bench_error_quark (void);
#define TEA_BENCH_ERROR (tea_bench_error_quark ())

G_END_DECLS
