/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The Teahouse driver: N sessions, each a real client session (HELLO,
 * COOKIE, INIT, ACCEPT with Noise NK, then LOGIN and JOIN on a TeaConn),
 * driven sans-I/O from one epoll loop over a few shared UDP sockets. The
 * sessions use the same protocol library as every Teahouse client, so the
 * relay sees exactly what real clients send, acknowledgements included.
 */
#include "config.h"

#include <sodium.h>
#include <string.h>

#include "tea-bench-loop.h"
#include "tea-bench-tally.h"
#include "tea-bench-udp.h"
#include "tea-bench-workload.h"
#include "tea-bench.h"
#include "tea-conn.h"
#include "tea-message.h"
#include "tea-noise.h"
#include "tea-packet.h"
#include "tea-random.h"
#include "tea-timer-wheel.h"
#include "tea-wire.h"

#define PROLOGUE "teahouse/1"
#define ROOM "bench"
#define HANDSHAKE_FIRST_RETRY_US (500 * 1000)
#define HANDSHAKE_MAX_RETRY_US (3 * G_USEC_PER_SEC)
/* Sessions between HELLO and ACCEPT at once: enough to keep the relay
 * busy, few enough that retransmission timers never fire spuriously. */
#define SETUP_WINDOW 256
#define NS_PER_S G_GINT64_CONSTANT (1000000000)
#define SETTLE_NS (2 * NS_PER_S)
#define STALL_NS (5 * NS_PER_S)

typedef enum {
  STEP_NEW,
  STEP_HELLO,
  STEP_INIT,
  STEP_LOGIN,
  STEP_JOIN,
  STEP_READY,
  STEP_FAILED,
} Step;

/* Only while a handshake is in progress. */
typedef struct
{
  TeaNoiseHandshake noise;
  gint64 interval_us;
  gsize init_len;
  guint8 init[TEA_MAX_DATAGRAM];
} Pending;

typedef struct _Driver Driver;

typedef struct
{
  Driver *driver;
  guint index;
  guint8 step;
  gboolean dirty;
  gboolean synced;
  guint8 token[TEA_CLIENT_TOKEN_LEN];
  Pending *pending;
  TeaConn *conn;
  guint64 session_id;
  guint32 room_id;
  guint32 next_req;
  TeaTimer timer;
} Session;

struct _Driver
{
  TeaBenchRun *run;
  const TeaBenchOptions *options;
  TeaBenchLoop *loop;
  TeaBenchUdp *udp;
  Session *sessions;
  guint n_sessions;
  GHashTable *by_id; /* session_id -> Session */
  TeaTimerWheel wheel;
  GPtrArray *dirty;
  guint8 server_key[TEA_KEY_LEN];
  gboolean have_key;
  guint next_start;
  guint handshaking;
  guint n_ready;
  guint n_failed;
  guint n_synced;
  guint handshakes_done;
  gboolean measuring;
  TeaBenchWorkload workload;
  TeaBenchTally tally;
  guint64 errors;
  guint64 gaps;
  guint64 sessions_lost;
  /* The next message's sender had no room in its send queue: the schedule
   * waits (from blocked_ns) until acknowledgements make room. */
  gboolean send_blocked;
  gint64 blocked_ns;
  gint64 send_queue_wait_ns;
  gint64 packet_ns; /* when the datagram being read was opened */
  char text[TEA_MAX_TEXT + 1];
};

static gint64
now_us (void)
{
  return tea_bench_now_ns () / 1000;
}

static Session *
session_of_timer (TeaTimer *timer)
{
  return (Session *) ((guint8 *) timer - G_STRUCT_OFFSET (Session, timer));
}

static guint
socket_of (Driver *d, Session *s)
{
  return s->index % tea_bench_udp_get_n_sockets (d->udp);
}

static void
mark_dirty (Driver *d, Session *s)
{
  if (s->dirty || s->conn == NULL)
    return;
  s->dirty = TRUE;
  g_ptr_array_add (d->dirty, s);
}

static void handle_message (const guint8 *data, gsize len, gpointer user_data);

/* ---- Handshake ---------------------------------------------------------- */

static void
send_hello (Driver *d, Session *s)
{
  TeaHello hello;
  guint8 *out = tea_bench_udp_reserve (d->udp, socket_of (d, s));

  memcpy (hello.client_token, s->token, TEA_CLIENT_TOKEN_LEN);
  tea_bench_udp_commit (d->udp, socket_of (d, s), tea_hello_encode (&hello, out, TEA_MAX_DATAGRAM));
}

static void
send_init (Driver *d, Session *s)
{
  guint8 *out = tea_bench_udp_reserve (d->udp, socket_of (d, s));

  memcpy (out, s->pending->init, s->pending->init_len);
  tea_bench_udp_commit (d->udp, socket_of (d, s), s->pending->init_len);
}

static void
arm_handshake_timer (Driver *d, Session *s)
{
  tea_timer_wheel_schedule (&d->wheel, &s->timer, now_us () + s->pending->interval_us);
}

static void
begin_hello (Driver *d, Session *s)
{
  /* The token routes replies to the session: its index, then randomness
   * so that a stale reply to an earlier attempt is still told apart. */
  s->token[0] = s->index >> 24;
  s->token[1] = s->index >> 16;
  s->token[2] = s->index >> 8;
  s->token[3] = s->index;
  tea_random_bytes (s->token + 4, TEA_CLIENT_TOKEN_LEN - 4);
  if (s->pending == NULL)
    s->pending = g_new0 (Pending, 1);
  s->pending->interval_us = HANDSHAKE_FIRST_RETRY_US;
  s->step = STEP_HELLO;
  send_hello (d, s);
  arm_handshake_timer (d, s);
}

static void
fail_session (Driver *d, Session *s)
{
  if (s->step == STEP_FAILED)
    return;
  if (s->step == STEP_HELLO || s->step == STEP_INIT)
    d->handshaking--;
  if (s->step == STEP_READY)
    d->sessions_lost++;
  s->step = STEP_FAILED;
  d->n_failed++;
  tea_timer_wheel_cancel (&d->wheel, &s->timer);
  if (s->pending)
    tea_noise_clear (&s->pending->noise);
  g_clear_pointer (&s->pending, g_free);
}

static void
start_more (Driver *d)
{
  while (d->handshaking < SETUP_WINDOW && d->next_start < d->n_sessions)
    {
      d->handshaking++;
      begin_hello (d, &d->sessions[d->next_start++]);
    }
}

static Session *
session_for_token (Driver *d, const guint8 *token)
{
  guint index = (guint) token[0] << 24 | (guint) token[1] << 16 | (guint) token[2] << 8 | token[3];
  Session *s;

  if (index >= d->n_sessions)
    return NULL;
  s = &d->sessions[index];
  return memcmp (s->token, token, TEA_CLIENT_TOKEN_LEN) == 0 ? s : NULL;
}

static gboolean
check_server_key (Driver *d, const guint8 *key)
{
  /* Pinned on first use, like any client: every COOKIE after that must
   * carry the same key. */
  if (!d->have_key)
    {
      memcpy (d->server_key, key, TEA_KEY_LEN);
      d->have_key = TRUE;
    }
  return memcmp (d->server_key, key, TEA_KEY_LEN) == 0;
}

static void
handle_cookie (Driver *d, const guint8 *data, gsize len)
{
  TeaCookieReply reply;
  TeaInit init = { 0 };
  guint8 noise[128];
  gssize noise_len;
  Session *s;

  if (!tea_cookie_reply_decode (data, len, &reply) || (s = session_for_token (d, reply.client_token)) == NULL ||
      s->step != STEP_HELLO)
    return;
  if (!check_server_key (d, reply.server_key))
    {
      d->errors++;
      fail_session (d, s);
      return;
    }
  tea_noise_init_initiator (&s->pending->noise, (const guint8 *) PROLOGUE, strlen (PROLOGUE), d->server_key);
  noise_len = tea_noise_write_message (&s->pending->noise, NULL, 0, noise, sizeof noise);
  g_assert (noise_len > 0);
  memcpy (init.client_token, s->token, TEA_CLIENT_TOKEN_LEN);
  memcpy (init.cookie, reply.cookie, TEA_COOKIE_LEN);
  init.noise = noise;
  init.noise_len = noise_len;
  s->pending->init_len = tea_init_encode (&init, s->pending->init, sizeof s->pending->init);
  s->pending->interval_us = HANDSHAKE_FIRST_RETRY_US;
  s->step = STEP_INIT;
  send_init (d, s);
  arm_handshake_timer (d, s);
}

/* FALSE when the session's send queue is full (the relay has not yet
 * acknowledged what it holds): nothing was sent. */
static gboolean
queue_request (Driver *d, Session *s, TeaMessage *msg)
{
  g_autoptr (GBytes) bytes = NULL;

  if (++s->next_req == 0)
    s->next_req = 1;
  msg->req_id = s->next_req;
  bytes = tea_message_encode_bytes (msg);
  g_assert (bytes != NULL);
  if (!tea_conn_queue_message (s->conn, bytes))
    return FALSE;
  mark_dirty (d, s);
  return TRUE;
}

static void
send_request (Driver *d, Session *s, TeaMessage *msg)
{
  if (!queue_request (d, s, msg))
    d->errors++;
}

static void
send_login (Driver *d, Session *s)
{
  TeaMessage msg = { .type = TEA_MSG_LOGIN };
  char nick[32];

  g_snprintf (nick, sizeof nick, "b%u", s->index);
  msg.login.nick = tea_str_from (nick);
  msg.login.client_name = tea_str_from ("teahouse-bench/" PACKAGE_VERSION);
  s->step = STEP_LOGIN;
  send_request (d, s, &msg);
}

static void
open_conn (Driver *d, Session *s, const TeaAcceptParams *params)
{
  guint8 c2s[TEA_KEY_LEN], s2c[TEA_KEY_LEN];
  TeaConnConfig config;

  tea_noise_split (&s->pending->noise, c2s, s2c);
  tea_noise_clear (&s->pending->noise);
  g_clear_pointer (&s->pending, g_free);
  tea_conn_config_init (&config);
  if (d->options->send_queue > 0)
    config.max_queued_frames = d->options->send_queue;
  config.idle_timeout_us = (gint64) params->idle_timeout_s * G_USEC_PER_SEC;
  config.keepalive_us = (gint64) params->keepalive_s * G_USEC_PER_SEC;
  s->session_id = params->session_id;
  s->conn = tea_conn_new (TRUE, params->session_id, c2s, s2c, &config, now_us ());
  tea_conn_set_message_func (s->conn, handle_message, s);
  sodium_memzero (c2s, sizeof c2s);
  sodium_memzero (s2c, sizeof s2c);
  g_hash_table_insert (d->by_id, &s->session_id, s);
}

static void
handle_accept (Driver *d, const guint8 *data, gsize len)
{
  TeaAccept accept;
  TeaAcceptParams params;
  guint8 payload[128];
  gssize payload_len;
  Session *s;

  if (!tea_accept_decode (data, len, &accept) || (s = session_for_token (d, accept.client_token)) == NULL ||
      s->step != STEP_INIT)
    return;
  payload_len = tea_noise_read_message (&s->pending->noise, accept.noise, accept.noise_len, payload, sizeof payload);
  if (payload_len < 0 || !tea_accept_params_decode (payload, payload_len, &params))
    return; /* not genuine: wait for the real one */
  tea_timer_wheel_cancel (&d->wheel, &s->timer);
  open_conn (d, s, &params);
  d->handshaking--;
  d->handshakes_done++;
  send_login (d, s);
  start_more (d);
}

static void
handle_reject (Driver *d, const guint8 *data, gsize len)
{
  TeaReject reject;
  Session *s;

  if (!tea_reject_decode (data, len, &reject) || (s = session_for_token (d, reject.client_token)) == NULL ||
      (s->step != STEP_HELLO && s->step != STEP_INIT))
    return;
  if (reject.code == TEA_CODE_BAD_COOKIE)
    {
      begin_hello (d, s);
      return;
    }
  d->errors++;
  if (reject.code == TEA_CODE_RATE_LIMITED)
    {
      /* The relay's handshake limit was not raised: wait as told. */
      s->step = STEP_HELLO;
      tea_timer_wheel_schedule (&d->wheel, &s->timer, now_us () + reject.retry_after_ms * 1000);
      return;
    }
  fail_session (d, s);
}

static void
retransmit_handshake (Driver *d, Session *s)
{
  s->pending->interval_us = MIN (s->pending->interval_us * 2, HANDSHAKE_MAX_RETRY_US);
  if (s->step == STEP_HELLO)
    send_hello (d, s);
  else
    send_init (d, s);
  arm_handshake_timer (d, s);
}

/* ---- Messages ----------------------------------------------------------- */

static void
send_join (Driver *d, Session *s)
{
  TeaMessage msg = { .type = TEA_MSG_JOIN };
  char room[48];

  if (d->options->mode == TEA_BENCH_MODE_IDLE)
    g_snprintf (room, sizeof room, "idle%u", s->index / MAX (d->options->room_size, 1));
  else
    g_strlcpy (room, ROOM, sizeof room);
  msg.join.room = tea_str_from (room);
  s->step = STEP_JOIN;
  send_request (d, s, &msg);
}

static gboolean
send_say (Driver *d, Session *s, const char *text, gsize len)
{
  TeaMessage msg = { .type = TEA_MSG_SAY };

  msg.room_text.room_id = s->room_id;
  msg.room_text.kind = TEA_TEXT_KIND_MESSAGE;
  msg.room_text.text.str = text;
  msg.room_text.text.len = len;
  return queue_request (d, s, &msg);
}

static void
handle_text (Driver *d, Session *s, const TeaStr *text)
{
  guint sender;
  guint64 seq;
  gint64 stamp_ns;

  if (tea_bench_is_sync_text (text->str, text->len))
    {
      if (!s->synced)
        d->n_synced++;
      s->synced = TRUE;
      return;
    }
  if (!d->measuring || !tea_bench_parse_text (text->str, text->len, &sender, &seq, &stamp_ns) ||
      sender >= d->tally.n_senders)
    return;
  tea_bench_tally_record (&d->tally, s->index, sender, seq, stamp_ns, d->packet_ns);
  if (sender == s->index)
    tea_bench_workload_echo (&d->workload, sender);
}

/* The text of a MESSAGE event, read without validating its strings:
 * the full decoder's UTF-8 checks cost the benchmark more than anything
 * but decryption, once per delivery, and the relay has validated the
 * text already. Anything else goes through tea_message_decode. */
static gboolean
peek_message_text (const guint8 *data, gsize len, TeaStr *text)
{
  TeaReader r;
  guint8 nick_len;
  guint16 text_len;

  tea_reader_init (&r, data, len);
  if (tea_reader_u8 (&r) != TEA_MSG_EVENT)
    return FALSE;
  tea_reader_bytes (&r, 4 + 8 + 8); /* room_id, seq, time_ms */
  if (tea_reader_u8 (&r) != TEA_EVENT_MESSAGE)
    return FALSE;
  nick_len = tea_reader_u8 (&r);
  tea_reader_bytes (&r, nick_len + 1); /* nick, flags */
  text_len = tea_reader_u16 (&r);
  text->str = (const char *) tea_reader_bytes (&r, text_len);
  text->len = text_len;
  return tea_reader_done (&r);
}

/* Each message, borrowed from the opened datagram (see open_conn). */
static void
handle_message (const guint8 *data, gsize len, gpointer user_data)
{
  Session *s = user_data;
  Driver *d = s->driver;
  TeaMessage msg;
  TeaStr text;

  if (peek_message_text (data, len, &text))
    {
      handle_text (d, s, &text);
      return;
    }
  if (tea_message_decode (data, len, &msg) != TEA_CODE_NONE)
    {
      d->errors++;
      return;
    }
  switch (msg.type)
    {
    case TEA_MSG_WELCOME:
      send_join (d, s);
      break;
    case TEA_MSG_JOINED:
      s->room_id = msg.joined.room_id;
      if (s->step == STEP_JOIN)
        d->n_ready++;
      s->step = STEP_READY;
      break;
    case TEA_MSG_EVENT:
      if (msg.event.kind == TEA_EVENT_MESSAGE)
        handle_text (d, s, &msg.event.text);
      break;
    case TEA_MSG_ERROR:
      d->errors++;
      if (s->step != STEP_READY)
        fail_session (d, s);
      break;
    case TEA_MSG_GAP:
      d->gaps++;
      break;
    case TEA_MSG_NOTICE:
      d->errors++;
      break;
    default:
      break;
    }
}

static void
handle_session_packet (Driver *d, guint8 *data, gsize len)
{
  TeaSessionHeader header;
  gboolean highest;
  Session *s;

  if (!tea_session_header_decode (data, len, &header) ||
      (s = g_hash_table_lookup (d->by_id, &header.session_id)) == NULL || s->conn == NULL)
    return;
  /* One clock reading per datagram, not per delivery: in this virtual
   * machine a reading costs about as much as parsing a delivery. */
  d->packet_ns = tea_bench_now_ns ();
  tea_conn_receive (s->conn, data, len, TRUE, d->packet_ns / 1000, &highest);
  if (tea_conn_get_state (s->conn) == TEA_CONN_CLOSED)
    {
      d->errors++;
      fail_session (d, s);
      return;
    }
  mark_dirty (d, s);
}

static void
on_datagram (gpointer user_data, guint socket, guint8 *data, gsize len)
{
  Driver *d = user_data;
  guint8 type;

  if (tea_packet_classify (data, len, &type) != TEA_PACKET_CLASS_NATIVE)
    return;
  switch (type)
    {
    case TEA_PACKET_COOKIE:
      handle_cookie (d, data, len);
      break;
    case TEA_PACKET_ACCEPT:
      handle_accept (d, data, len);
      break;
    case TEA_PACKET_REJECT:
      handle_reject (d, data, len);
      break;
    case TEA_PACKET_SESSION:
    case TEA_PACKET_SESSION | 1:
      handle_session_packet (d, data, len);
      break;
    default:
      break;
    }
}

/* ---- The loop ----------------------------------------------------------- */

static void
handle_timers (Driver *d)
{
  gint64 now = now_us ();
  TeaTimer *timer;

  while ((timer = tea_timer_wheel_pop_expired (&d->wheel, now)))
    {
      Session *s = session_of_timer (timer);

      if (s->step == STEP_HELLO || s->step == STEP_INIT)
        retransmit_handshake (d, s);
      else if (s->conn)
        {
          tea_conn_handle_timeout (s->conn, now);
          mark_dirty (d, s);
        }
    }
}

static void
pump_workload (Driver *d)
{
  gint64 now = tea_bench_now_ns ();
  guint sender;
  guint64 seq;
  gint64 stamp;

  if (!d->measuring)
    return;
  while (tea_bench_workload_take (&d->workload, now, &sender, &seq, &stamp))
    {
      gsize len = tea_bench_format_text (d->text, d->workload.size, sender, seq, stamp);

      if (!send_say (d, &d->sessions[sender], d->text, len))
        {
          /* The sender's own send queue is full: the relay is behind on
           * acknowledging. The message was not sent, so it is not counted
           * as sent (or as lost); like a real client (TeaOutbox) the
           * sender waits for room, and the message keeps its due time, so
           * the wait shows in the latency. */
          tea_bench_workload_take_back (&d->workload, sender, seq);
          if (!d->send_blocked)
            d->blocked_ns = now;
          d->send_blocked = TRUE;
          return;
        }
      if (d->send_blocked)
        d->send_queue_wait_ns += now - d->blocked_ns;
      d->send_blocked = FALSE;
    }
}

static void
transmit (Driver *d)
{
  gint64 now = now_us ();

  for (guint i = 0; i < d->dirty->len; i++)
    {
      Session *s = g_ptr_array_index (d->dirty, i);
      guint socket = socket_of (d, s);
      gsize len;

      s->dirty = FALSE;
      if (s->conn == NULL)
        continue;
      do
        {
          guint8 *out = tea_bench_udp_reserve (d->udp, socket);

          len = tea_conn_poll_transmit (s->conn, now, out);
          tea_bench_udp_commit (d->udp, socket, len);
        }
      while (len > 0);
      tea_timer_wheel_schedule (&d->wheel, &s->timer, tea_conn_next_deadline (s->conn));
    }
  g_ptr_array_set_size (d->dirty, 0);
  tea_bench_udp_flush (d->udp);
}

static gint64
next_deadline_ns (Driver *d, gint64 until_ns)
{
  gint64 wakeup = tea_timer_wheel_next_wakeup (&d->wheel);
  gint64 deadline = until_ns;

  if (wakeup != G_MAXINT64)
    deadline = MIN (deadline, wakeup * 1000);
  /* While blocked, the acknowledgement that makes room wakes us. */
  if (d->measuring && !d->send_blocked)
    deadline = MIN (deadline, tea_bench_workload_next_due (&d->workload));
  return deadline;
}

typedef gboolean (*DoneFunc) (Driver *d);

/* Runs the loop until done says so (TRUE) or until_ns passes (FALSE). */
static gboolean
drive (Driver *d, gint64 until_ns, DoneFunc done)
{
  while (!done (d))
    {
      if (tea_bench_now_ns () >= until_ns)
        return FALSE;
      pump_workload (d);
      transmit (d);
      tea_bench_loop_iterate (d->loop, next_deadline_ns (d, until_ns));
      handle_timers (d);
    }
  transmit (d);
  return TRUE;
}

static gboolean
all_set_up (Driver *d)
{
  return d->n_ready + d->n_failed == d->n_sessions;
}

static gboolean
all_synced (Driver *d)
{
  return d->n_synced + d->n_failed >= d->n_sessions;
}

static gboolean
never (Driver *d)
{
  return FALSE;
}

static guint64
expected_deliveries (Driver *d)
{
  return d->workload.total_sent * (guint64) d->n_sessions;
}

static gboolean
all_delivered (Driver *d)
{
  return tea_bench_workload_finished (&d->workload, tea_bench_now_ns ()) &&
         d->tally.received >= expected_deliveries (d);
}

/* ---- Phases ------------------------------------------------------------- */

static gboolean
set_up (Driver *d, GError **error)
{
  gint64 start = tea_bench_now_ns ();
  gint64 deadline = start + (gint64) (d->options->timeout_s * NS_PER_S);
  double seconds;

  start_more (d);
  if (!drive (d, deadline, all_set_up) || d->n_failed > 0)
    {
      g_set_error (error, TEA_BENCH_ERROR, 0, "%u of %u sessions set up (%u failed, %" G_GUINT64_FORMAT " errors)",
                   d->n_ready, d->n_sessions, d->n_failed, d->errors);
      return FALSE;
    }
  seconds = (tea_bench_now_ns () - start) / 1e9;
  d->run->report.setup_s = seconds;
  d->run->report.setup_handshakes_per_s = d->handshakes_done / seconds;
  return TRUE;
}

/* Session 0 says a marker; once everyone has it, every JOIN broadcast of
 * the setup has been delivered too (the room is ordered), so the
 * measurement starts on a quiet relay. */
static gboolean
synchronise (Driver *d, GError **error)
{
  gint64 deadline = tea_bench_now_ns () + (gint64) (d->options->timeout_s * NS_PER_S);

  if (!send_say (d, &d->sessions[0], TEA_BENCH_SYNC_TEXT, strlen (TEA_BENCH_SYNC_TEXT)))
    d->errors++;
  if (!drive (d, deadline, all_synced))
    {
      g_set_error (error, TEA_BENCH_ERROR, 0, "Only %u of %u sessions got the start marker", d->n_synced, d->n_sessions);
      return FALSE;
    }
  return TRUE;
}

/* Drains until everything arrived, or nothing has for STALL_NS. */
static void
drain (Driver *d)
{
  gint64 deadline = tea_bench_now_ns () + (gint64) (d->options->timeout_s * NS_PER_S);

  while (!all_delivered (d) && tea_bench_now_ns () < deadline)
    {
      guint64 before = d->tally.received;

      drive (d, MIN (deadline, tea_bench_now_ns () + STALL_NS), all_delivered);
      if (d->tally.received == before && tea_bench_workload_finished (&d->workload, tea_bench_now_ns ()))
        break;
    }
}

static void
report_workload (Driver *d)
{
  TeaBenchReport *r = &d->run->report;

  tea_bench_report_deliveries (r, &d->tally, &d->workload, d->n_sessions, d->run->relay_cpu_s);
  if (d->send_blocked) /* the drain gave up first */
    d->send_queue_wait_ns += tea_bench_now_ns () - d->blocked_ns;
  r->send_queue_wait_s = d->send_queue_wait_ns / 1e9;
}

static gboolean
run_workload (Driver *d, GError **error)
{
  const TeaBenchOptions *o = d->options;
  double msg_rate = o->mode == TEA_BENCH_MODE_RATE ? o->rate / d->n_sessions : 0;

  if (!synchronise (d, error))
    return FALSE;
  tea_bench_tally_init (&d->tally, d->n_sessions, o->senders);
  tea_bench_workload_init (&d->workload, o->senders, o->window, o->size, o->messages, msg_rate,
                           o->messages ? 0 : (gint64) (o->duration_s * NS_PER_S));
  tea_bench_run_window_begin (d->run);
  tea_bench_workload_start (&d->workload, tea_bench_now_ns ());
  d->measuring = TRUE;
  drain (d);
  tea_bench_run_window_end (d->run);
  d->measuring = FALSE;
  report_workload (d);
  return TRUE;
}

static gboolean
run_idle (Driver *d, guint64 rss_before_kib)
{
  TeaBenchReport *r = &d->run->report;
  guint64 rss_after;

  /* Let acknowledgements and NAMES replies finish before measuring. */
  drive (d, tea_bench_now_ns () + SETTLE_NS, never);
  tea_bench_run_window_end (d->run);
  rss_after = tea_bench_run_relay_rss_kib (d->run, NULL);
  if (d->run->relay_pid > 0)
    {
      r->rss_before_kib = rss_before_kib;
      r->rss_after_kib = rss_after;
      r->rss_per_session_bytes = ((double) rss_after - (double) rss_before_kib) * 1024.0 / d->n_ready;
    }
  return TRUE;
}

static void
driver_free (Driver *d)
{
  for (guint i = 0; i < d->n_sessions; i++)
    {
      Session *s = &d->sessions[i];

      tea_conn_free (s->conn);
      if (s->pending)
        tea_noise_clear (&s->pending->noise);
      g_free (s->pending);
    }
  g_free (d->sessions);
  g_hash_table_destroy (d->by_id);
  g_ptr_array_unref (d->dirty);
  tea_bench_udp_free (d->udp);
  tea_bench_loop_free (d->loop);
  tea_bench_workload_clear (&d->workload);
  tea_bench_tally_clear (&d->tally);
  g_free (d);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Driver, driver_free)

gboolean
tea_bench_tea_run (TeaBenchRun *run, GError **error)
{
  g_autoptr (Driver) d = g_new0 (Driver, 1);
  const TeaBenchOptions *o = run->options;
  guint64 rss_before = tea_bench_run_relay_rss_kib (run, NULL);

  tea_crypto_init ();
  d->run = run;
  d->options = o;
  d->n_sessions = o->sessions;
  d->sessions = g_new0 (Session, d->n_sessions);
  for (guint i = 0; i < d->n_sessions; i++)
    {
      d->sessions[i].driver = d;
      d->sessions[i].index = i;
    }
  d->by_id = g_hash_table_new (g_int64_hash, g_int64_equal);
  d->dirty = g_ptr_array_new ();
  tea_timer_wheel_init (&d->wheel, now_us ());
  d->loop = tea_bench_loop_new ();
  d->udp = tea_bench_udp_new (d->loop, run->target.host, run->target.port, MIN (o->sockets, d->n_sessions),
                              on_datagram, d, error);
  /* Idle mode measures over the setup too: its CPU and load figures
   * are those of opening the sessions. */
  if (o->mode == TEA_BENCH_MODE_IDLE)
    tea_bench_run_window_begin (run);
  if (d->udp == NULL || !set_up (d, error))
    return FALSE;
  if (o->mode == TEA_BENCH_MODE_IDLE)
    run_idle (d, rss_before);
  else if (!run_workload (d, error))
    return FALSE;
  run->report.errors = d->errors;
  run->report.gaps = d->gaps;
  run->report.sessions_lost = d->sessions_lost;
  return TRUE;
}
