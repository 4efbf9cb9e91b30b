/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>

#include "tea-bench.h"

typedef enum {
  FIELD_STRING,
  FIELD_INT,
  FIELD_DOUBLE,
  FIELD_BOOL,
} FieldType;

typedef struct
{
  const char *key;
  FieldType type;
  gsize offset;
} Field;

#define F(name, type) { #name, type, G_STRUCT_OFFSET (TeaBenchReport, name) }

/* The order of the JSON keys. */
static const Field fields[] = {
  F (system, FIELD_STRING),
  F (mode, FIELD_STRING),
  F (sessions, FIELD_INT),
  F (senders, FIELD_INT),
  F (window, FIELD_INT),
  F (size, FIELD_INT),
  F (rate_target, FIELD_DOUBLE),
  F (messages_sent, FIELD_INT),
  F (expected, FIELD_INT),
  F (deliveries, FIELD_INT),
  F (duration_s, FIELD_DOUBLE),
  F (deliveries_per_s, FIELD_DOUBLE),
  F (deliveries_per_relay_cpu_s, FIELD_DOUBLE),
  F (loss, FIELD_INT),
  F (duplicates, FIELD_INT),
  F (out_of_order, FIELD_INT),
  F (errors, FIELD_INT),
  F (gaps, FIELD_INT),
  F (sessions_lost, FIELD_INT),
  F (lat_p50_us, FIELD_DOUBLE),
  F (lat_p99_us, FIELD_DOUBLE),
  F (lat_max_us, FIELD_DOUBLE),
  F (saturated, FIELD_BOOL),
  F (send_queue_wait_s, FIELD_DOUBLE),
  F (relay_cpu, FIELD_DOUBLE),
  F (bench_cpu, FIELD_DOUBLE),
  F (other_cpu, FIELD_DOUBLE),
  F (relay_wait, FIELD_DOUBLE),
  F (bench_wait, FIELD_DOUBLE),
  F (cpu_pressure, FIELD_DOUBLE),
  F (bottleneck, FIELD_STRING),
  F (relay_rss_kib, FIELD_INT),
  F (relay_rss_peak_kib, FIELD_INT),
  F (setup_s, FIELD_DOUBLE),
  F (setup_handshakes_per_s, FIELD_DOUBLE),
  F (handshakes, FIELD_INT),
  F (handshakes_verified, FIELD_INT),
  F (handshakes_per_s, FIELD_DOUBLE),
  F (handshakes_per_relay_cpu_s, FIELD_DOUBLE),
  F (rss_before_kib, FIELD_INT),
  F (rss_after_kib, FIELD_INT),
  F (rss_per_session_bytes, FIELD_DOUBLE),
  F (initiations, FIELD_INT),
  F (udp_rcvbuf_errors, FIELD_INT),
  F (alive, FIELD_BOOL),
  F (loadavg_1m, FIELD_DOUBLE),
  F (loadavg_5m, FIELD_DOUBLE),
  F (cpus, FIELD_INT),
  F (relay_pid, FIELD_INT),
  F (relay_cpu_pinned, FIELD_INT),
  F (bench_cpu_pinned, FIELD_INT),
};

void
tea_bench_report_init (TeaBenchReport *report)
{
  for (guint i = 0; i < G_N_ELEMENTS (fields); i++)
    {
      gpointer field = G_STRUCT_MEMBER_P (report, fields[i].offset);

      switch (fields[i].type)
        {
        case FIELD_STRING:
          *(const char **) field = NULL;
          break;
        case FIELD_INT:
        case FIELD_BOOL:
          *(gint64 *) field = -1;
          break;
        case FIELD_DOUBLE:
          *(double *) field = NAN;
          break;
        }
    }
}

static void
append_double (GString *json, double value)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  if (!isfinite (value))
    g_string_append (json, "null");
  else if (fabs (value) >= 1e-3 && fabs (value) < 1e15)
    /* Enough digits for any figure here, without float noise. */
    g_string_append (json, g_ascii_formatd (buf, sizeof buf, "%.6g", value));
  else
    g_string_append (json, g_ascii_formatd (buf, sizeof buf, "%.17g", value));
}

static void
append_field (GString *json, const TeaBenchReport *report, const Field *f)
{
  gconstpointer field = G_STRUCT_MEMBER_P (report, f->offset);
  gint64 i;

  switch (f->type)
    {
    case FIELD_STRING:
      if (*(const char *const *) field)
        g_string_append_printf (json, "\"%s\"", *(const char *const *) field);
      else
        g_string_append (json, "null");
      break;
    case FIELD_INT:
      i = *(const gint64 *) field;
      if (i < 0)
        g_string_append (json, "null");
      else
        g_string_append_printf (json, "%" G_GINT64_FORMAT, i);
      break;
    case FIELD_BOOL:
      i = *(const gint64 *) field;
      g_string_append (json, i < 0 ? "null" : i ? "true" : "false");
      break;
    case FIELD_DOUBLE:
      append_double (json, *(const double *) field);
      break;
    }
}

char *
tea_bench_report_to_json (const TeaBenchReport *report)
{
  GString *json = g_string_new ("{");

  for (guint i = 0; i < G_N_ELEMENTS (fields); i++)
    {
      g_string_append_printf (json, "%s\"%s\":", i ? "," : "", fields[i].key);
      append_field (json, report, &fields[i]);
    }
  g_string_append_c (json, '}');
  return g_string_free (json, FALSE);
}

void
tea_bench_report_deliveries (TeaBenchReport *r,
                             const TeaBenchTally *tally,
                             const TeaBenchWorkload *workload,
                             guint n_receivers,
                             double relay_cpu_s)
{
  double seconds = (tally->last_delivery_ns - workload->start_ns) / 1e9;
  guint64 expected = workload->total_sent * (guint64) n_receivers;

  r->messages_sent = workload->total_sent;
  r->expected = expected;
  r->deliveries = tally->received;
  r->duration_s = seconds;
  r->deliveries_per_s = seconds > 0 ? tally->received / seconds : 0;
  if (relay_cpu_s > 0)
    r->deliveries_per_relay_cpu_s = tally->received / relay_cpu_s;
  r->loss = expected > tally->received ? expected - tally->received : 0;
  r->duplicates = tally->duplicates;
  r->out_of_order = tally->out_of_order;
  r->lat_p50_us = tea_bench_histogram_quantile (&tally->latency, 0.50) / 1e3;
  r->lat_p99_us = tea_bench_histogram_quantile (&tally->latency, 0.99) / 1e3;
  r->lat_max_us = tea_bench_histogram_quantile (&tally->latency, 1.0) / 1e3;
  r->saturated = workload->saturated;
}
