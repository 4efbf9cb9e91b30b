/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Handshakes per second: complete HELLO, COOKIE, INIT, ACCEPT exchanges as
 * fast as the relay answers them, a window of them at a time.
 *
 * The relay does all of its work for each one (cookie, Noise NK responder:
 * three X25519 operations, a session). A client's share is as expensive,
 * and the benchmark has one core too, so it prepares its Noise first
 * messages before the clock starts (they depend only on the relay's key,
 * not on the cookie) and checks the ACCEPTs after it stops: during the
 * measured window it only moves bytes, and the relay is what is measured.
 */
#include "config.h"

#include <string.h>

#include "tea-bench-loop.h"
#include "tea-bench-udp.h"
#include "tea-bench.h"
#include "tea-noise.h"
#include "tea-packet.h"
#include "tea-random.h"
#include "tea-timer-wheel.h"

#define PROLOGUE "teahouse/1"
#define FIRST_RETRY_US (500 * 1000)
#define MAX_RETRY_US (3 * G_USEC_PER_SEC)
#define NS_PER_S G_GINT64_CONSTANT (1000000000)
#define NOISE_MSG1_LEN (TEA_NOISE_DH_LEN + TEA_NOISE_TAG_LEN)
#define PROBE_INDEX G_MAXUINT32

typedef enum {
  STEP_WAITING,
  STEP_HELLO,
  STEP_INIT,
  STEP_DONE,
} Step;

typedef struct
{
  guint index;
  guint8 step;
  guint8 accept_len;
  guint8 token[TEA_CLIENT_TOKEN_LEN];
  guint8 msg1[NOISE_MSG1_LEN];
  guint8 accept[128]; /* Noise message 2, checked after the clock stops */
  gint64 interval_us;
  TeaNoiseHandshake noise;
  TeaTimer timer;
} Attempt;

typedef struct
{
  TeaBenchRun *run;
  TeaBenchLoop *loop;
  TeaBenchUdp *udp;
  Attempt *attempts;
  guint n_attempts;
  guint next_start;
  guint in_progress;
  guint done;
  guint window;
  TeaTimerWheel wheel;
  guint8 server_key[TEA_KEY_LEN];
  gboolean have_key;
  gint64 last_done_ns;
  guint64 rejected;
} Driver;

static gint64
now_us (void)
{
  return tea_bench_now_ns () / 1000;
}

static void
make_token (guint8 *token, guint32 index)
{
  token[0] = index >> 24;
  token[1] = index >> 16;
  token[2] = index >> 8;
  token[3] = index;
  tea_random_bytes (token + 4, TEA_CLIENT_TOKEN_LEN - 4);
}

static void
send_hello (Driver *d, const guint8 *token, guint socket)
{
  TeaHello hello;
  guint8 *out = tea_bench_udp_reserve (d->udp, socket);

  memcpy (hello.client_token, token, TEA_CLIENT_TOKEN_LEN);
  tea_bench_udp_commit (d->udp, socket, tea_hello_encode (&hello, out, TEA_MAX_DATAGRAM));
}

static void
begin (Driver *d, Attempt *a)
{
  make_token (a->token, a->index);
  a->step = STEP_HELLO;
  a->interval_us = FIRST_RETRY_US;
  send_hello (d, a->token, a->index);
  tea_timer_wheel_schedule (&d->wheel, &a->timer, now_us () + a->interval_us);
}

static void
start_more (Driver *d)
{
  while (d->in_progress < d->window && d->next_start < d->n_attempts)
    {
      d->in_progress++;
      begin (d, &d->attempts[d->next_start++]);
    }
}

static Attempt *
attempt_for (Driver *d, const guint8 *token)
{
  guint index = (guint) token[0] << 24 | (guint) token[1] << 16 | (guint) token[2] << 8 | token[3];
  Attempt *a;

  if (index >= d->n_attempts)
    return NULL;
  a = &d->attempts[index];
  return memcmp (a->token, token, TEA_CLIENT_TOKEN_LEN) == 0 ? a : NULL;
}

static void
send_init (Driver *d, Attempt *a, const guint8 *cookie)
{
  TeaInit init = { 0 };
  guint8 *out = tea_bench_udp_reserve (d->udp, a->index);

  memcpy (init.client_token, a->token, TEA_CLIENT_TOKEN_LEN);
  memcpy (init.cookie, cookie, TEA_COOKIE_LEN);
  init.noise = a->msg1;
  init.noise_len = sizeof a->msg1;
  tea_bench_udp_commit (d->udp, a->index, tea_init_encode (&init, out, TEA_MAX_DATAGRAM));
}

static void
handle_cookie (Driver *d, const guint8 *data, gsize len)
{
  TeaCookieReply reply;
  Attempt *a;

  if (!tea_cookie_reply_decode (data, len, &reply))
    return;
  if (!d->have_key)
    {
      memcpy (d->server_key, reply.server_key, TEA_KEY_LEN);
      d->have_key = TRUE;
    }
  if ((a = attempt_for (d, reply.client_token)) == NULL || a->step != STEP_HELLO)
    return;
  /* The cookie is bound to our address, so INIT resends reuse it. */
  memcpy (a->accept, reply.cookie, TEA_COOKIE_LEN);
  a->step = STEP_INIT;
  a->interval_us = FIRST_RETRY_US;
  send_init (d, a, reply.cookie);
  tea_timer_wheel_schedule (&d->wheel, &a->timer, now_us () + a->interval_us);
}

static void
handle_accept (Driver *d, const guint8 *data, gsize len)
{
  TeaAccept accept;
  Attempt *a;

  if (!tea_accept_decode (data, len, &accept) || (a = attempt_for (d, accept.client_token)) == NULL ||
      a->step != STEP_INIT || accept.noise_len > sizeof a->accept)
    return;
  memcpy (a->accept, accept.noise, accept.noise_len);
  a->accept_len = accept.noise_len;
  a->step = STEP_DONE;
  tea_timer_wheel_cancel (&d->wheel, &a->timer);
  d->in_progress--;
  d->done++;
  d->last_done_ns = tea_bench_now_ns ();
  start_more (d);
}

static void
handle_reject (Driver *d, const guint8 *data, gsize len)
{
  TeaReject reject;
  Attempt *a;

  if (!tea_reject_decode (data, len, &reject) || (a = attempt_for (d, reject.client_token)) == NULL ||
      a->step == STEP_DONE)
    return;
  d->rejected++;
  /* BAD_COOKIE: start over; a limit (not raised?): try again later. */
  a->step = STEP_HELLO;
  a->interval_us = MAX (FIRST_RETRY_US, (gint64) reject.retry_after_ms * 1000);
  tea_timer_wheel_schedule (&d->wheel, &a->timer, now_us () + a->interval_us);
}

static void
on_datagram (gpointer user_data, guint socket, guint8 *data, gsize len)
{
  Driver *d = user_data;
  guint8 type;

  if (tea_packet_classify (data, len, &type) != TEA_PACKET_CLASS_NATIVE)
    return;
  if (type == TEA_PACKET_COOKIE)
    handle_cookie (d, data, len);
  else if (type == TEA_PACKET_ACCEPT)
    handle_accept (d, data, len);
  else if (type == TEA_PACKET_REJECT)
    handle_reject (d, data, len);
}

static void
handle_timers (Driver *d)
{
  TeaTimer *timer;
  gint64 now = now_us ();

  while ((timer = tea_timer_wheel_pop_expired (&d->wheel, now)))
    {
      Attempt *a = (Attempt *) ((guint8 *) timer - G_STRUCT_OFFSET (Attempt, timer));

      if (a->step == STEP_HELLO)
        send_hello (d, a->token, a->index);
      else if (a->step == STEP_INIT)
        send_init (d, a, a->accept); /* the cookie, kept there meanwhile */
      else
        continue;
      a->interval_us = MIN (a->interval_us * 2, MAX_RETRY_US);
      tea_timer_wheel_schedule (&d->wheel, &a->timer, now + a->interval_us);
    }
}

typedef gboolean (*DoneFunc) (Driver *d);

static gboolean
have_key (Driver *d)
{
  return d->have_key;
}

static gboolean
all_done (Driver *d)
{
  return d->done == d->n_attempts;
}

static gboolean
drive (Driver *d, gint64 until_ns, DoneFunc done)
{
  while (!done (d))
    {
      gint64 wakeup = tea_timer_wheel_next_wakeup (&d->wheel);

      if (tea_bench_now_ns () >= until_ns)
        return FALSE;
      tea_bench_udp_flush (d->udp);
      tea_bench_loop_iterate (d->loop, MIN (until_ns, wakeup == G_MAXINT64 ? G_MAXINT64 : wakeup * 1000));
      handle_timers (d);
    }
  return TRUE;
}

/* One HELLO for the relay's key, so the first messages can be made. */
static gboolean
learn_key (Driver *d, gint64 until_ns, GError **error)
{
  guint8 token[TEA_CLIENT_TOKEN_LEN];

  make_token (token, PROBE_INDEX);
  send_hello (d, token, 0);
  if (!drive (d, until_ns, have_key))
    return g_set_error (error, TEA_BENCH_ERROR, 0, "The relay sent no COOKIE"), FALSE;
  return TRUE;
}

static void
prepare (Driver *d)
{
  for (guint i = 0; i < d->n_attempts; i++)
    {
      Attempt *a = &d->attempts[i];
      gssize len;

      a->index = i;
      tea_noise_init_initiator (&a->noise, (const guint8 *) PROLOGUE, strlen (PROLOGUE), d->server_key);
      len = tea_noise_write_message (&a->noise, NULL, 0, a->msg1, sizeof a->msg1);
      g_assert (len == NOISE_MSG1_LEN);
    }
}

static guint
verify (Driver *d)
{
  guint verified = 0;

  for (guint i = 0; i < d->n_attempts; i++)
    {
      Attempt *a = &d->attempts[i];
      TeaAcceptParams params;
      guint8 payload[64];
      gssize len;

      if (a->step != STEP_DONE)
        continue;
      len = tea_noise_read_message (&a->noise, a->accept, a->accept_len, payload, sizeof payload);
      if (len >= 0 && tea_accept_params_decode (payload, len, &params))
        verified++;
    }
  return verified;
}

static void
driver_free (Driver *d)
{
  for (guint i = 0; i < d->n_attempts; i++)
    tea_noise_clear (&d->attempts[i].noise);
  g_free (d->attempts);
  tea_bench_udp_free (d->udp);
  tea_bench_loop_free (d->loop);
  g_free (d);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Driver, driver_free)

gboolean
tea_bench_handshakes_run (TeaBenchRun *run, GError **error)
{
  const TeaBenchOptions *o = run->options;
  g_autoptr (Driver) d = g_new0 (Driver, 1);
  gint64 deadline = tea_bench_now_ns () + (gint64) (o->timeout_s * NS_PER_S);
  gint64 start;
  double seconds;

  tea_crypto_init ();
  d->run = run;
  d->n_attempts = MAX (o->handshakes, 1);
  d->window = MAX (o->handshake_window, 1);
  d->attempts = g_new0 (Attempt, d->n_attempts);
  tea_timer_wheel_init (&d->wheel, now_us ());
  d->loop = tea_bench_loop_new ();
  d->udp = tea_bench_udp_new (d->loop, run->target.host, run->target.port, o->sockets, on_datagram, d, error);
  if (d->udp == NULL || !learn_key (d, deadline, error))
    return FALSE;
  prepare (d);

  tea_bench_run_window_begin (run);
  start = tea_bench_now_ns ();
  start_more (d);
  drive (d, start + (gint64) (o->timeout_s * NS_PER_S), all_done);
  tea_bench_run_window_end (run);

  seconds = (d->last_done_ns - start) / 1e9;
  run->report.handshakes = d->done;
  run->report.handshakes_per_s = seconds > 0 ? d->done / seconds : 0;
  if (run->relay_cpu_s > 0)
    run->report.handshakes_per_relay_cpu_s = d->done / run->relay_cpu_s;
  run->report.duration_s = seconds;
  run->report.errors = d->rejected + (d->n_attempts - d->done);
  run->report.handshakes_verified = verify (d);
  return TRUE;
}
