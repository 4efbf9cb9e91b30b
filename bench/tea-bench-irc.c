/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The same workload over IRC, for InspIRCd: N clients in one channel, the
 * first S sending PRIVMSGs with the same text as the Teahouse senders.
 * Clients ask for the IRCv3 echo-message capability, so every member,
 * the sender included, receives each message, as in a Teahouse room; the
 * sender's own copy ends its flight, which keeps the loop closed.
 *
 * Closed loop matters here: InspIRCd reads at most its netbuffersize per
 * edge-triggered wakeup, so a sender that bursts open loop measures that
 * stall, not the server's capacity.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <glib/gprintf.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tea-bench-loop.h"
#include "tea-bench-tally.h"
#include "tea-bench-workload.h"
#include "tea-bench.h"

#define CHANNEL "#bench"
#define READ_CHUNK (256 * 1024)
#define MAX_LINE 1024
/* Reads per wakeup of one client before the others get their turn. */
#define MAX_READS 4
#define NS_PER_S G_GINT64_CONSTANT (1000000000)
#define SETTLE_NS (2 * NS_PER_S)
#define STALL_NS (5 * NS_PER_S)

typedef enum {
  STEP_CONNECTING,
  STEP_REGISTERING,
  STEP_JOINING,
  STEP_READY,
  STEP_DEAD,
} Step;

typedef struct _Driver Driver;

typedef struct
{
  Driver *d;
  guint index;
  int fd;
  guint8 step;
  gboolean synced;
  gboolean dirty;
  gboolean writable_wanted;
  GByteArray *out;
  gsize out_pos;
  gsize partial_len;
  char partial[MAX_LINE];
} Client;

struct _Driver
{
  TeaBenchRun *run;
  const TeaBenchOptions *options;
  TeaBenchLoop *loop;
  Client *clients;
  guint n_clients;
  GPtrArray *dirty;
  struct sockaddr_in server;
  guint n_ready;
  guint n_dead;
  guint n_synced;
  gboolean measuring;
  TeaBenchWorkload workload;
  TeaBenchTally tally;
  guint64 errors;
  guint64 sessions_lost;
  char *scratch;
  char line[MAX_LINE + 512];
};

/* ---- Output ------------------------------------------------------------- */

static void
client_printf (Client *c, const char *format, ...) G_GNUC_PRINTF (2, 3);

static void
client_write (Client *c, const char *data, gsize len)
{
  g_byte_array_append (c->out, (const guint8 *) data, len);
  if (!c->dirty)
    {
      c->dirty = TRUE;
      g_ptr_array_add (c->d->dirty, c);
    }
}

static void
client_printf (Client *c, const char *format, ...)
{
  g_autofree char *line = NULL;
  va_list args;
  int len;

  va_start (args, format);
  len = g_vasprintf (&line, format, args);
  va_end (args);
  client_write (c, line, len);
}

static void
kill_client (Client *c)
{
  Driver *d = c->d;

  if (c->step == STEP_DEAD)
    return;
  if (c->step == STEP_READY)
    d->sessions_lost++;
  c->step = STEP_DEAD;
  d->n_dead++;
  d->errors++;
  tea_bench_loop_remove (d->loop, c->fd);
}

static void
want_writable (Client *c, gboolean want)
{
  if (c->writable_wanted == want || c->step == STEP_DEAD)
    return;
  c->writable_wanted = want;
  tea_bench_loop_modify (c->d->loop, c->fd, EPOLLIN | (want ? EPOLLOUT : 0));
}

static void
flush_client (Client *c)
{
  while (c->out_pos < c->out->len && c->step != STEP_DEAD)
    {
      gssize n = send (c->fd, c->out->data + c->out_pos, c->out->len - c->out_pos, MSG_NOSIGNAL);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0 && errno == EAGAIN)
        break;
      if (n <= 0)
        {
          kill_client (c);
          return;
        }
      c->out_pos += n;
    }
  if (c->out_pos == c->out->len)
    {
      g_byte_array_set_size (c->out, 0);
      c->out_pos = 0;
    }
  want_writable (c, c->out->len > 0);
}

static void
flush_dirty (Driver *d)
{
  for (guint i = 0; i < d->dirty->len; i++)
    {
      Client *c = g_ptr_array_index (d->dirty, i);

      c->dirty = FALSE;
      if (c->step != STEP_CONNECTING)
        flush_client (c);
    }
  g_ptr_array_set_size (d->dirty, 0);
}

/* ---- Input -------------------------------------------------------------- */

static void
join_channel (Client *c)
{
  const TeaBenchOptions *o = c->d->options;

  c->step = STEP_JOINING;
  if (o->mode == TEA_BENCH_MODE_IDLE)
    client_printf (c, "JOIN #idle%u\r\n", c->index / MAX (o->room_size, 1));
  else
    client_printf (c, "JOIN " CHANNEL "\r\n");
}

static void
handle_privmsg_text (Client *c, const char *text, gsize len)
{
  Driver *d = c->d;
  guint sender;
  guint64 seq;
  gint64 stamp_ns;

  if (tea_bench_is_sync_text (text, len))
    {
      if (!c->synced)
        d->n_synced++;
      c->synced = TRUE;
      return;
    }
  if (!d->measuring || !tea_bench_parse_text (text, len, &sender, &seq, &stamp_ns) || sender >= d->tally.n_senders)
    return;
  tea_bench_tally_record (&d->tally, c->index, sender, seq, stamp_ns, tea_bench_now_ns ());
  if (sender == c->index)
    tea_bench_workload_echo (&d->workload, sender);
}

/* ":server 366 nick #chan :End..." and friends: the numeric, or 0. */
static guint
numeric_of (const char *command, gsize len)
{
  if (len < 4 || !g_ascii_isdigit (command[0]) || !g_ascii_isdigit (command[1]) ||
      !g_ascii_isdigit (command[2]) || command[3] != ' ')
    return 0;
  return (command[0] - '0') * 100 + (command[1] - '0') * 10 + (command[2] - '0');
}

static void
handle_numeric (Client *c, guint numeric)
{
  switch (numeric)
    {
    case 1: /* RPL_WELCOME */
      join_channel (c);
      break;
    case 366: /* RPL_ENDOFNAMES */
      if (c->step == STEP_JOINING)
        c->d->n_ready++;
      c->step = STEP_READY;
      break;
    case 422: /* no MOTD: fine */
      break;
    default:
      if (numeric >= 400 && numeric < 600)
        c->d->errors++;
      break;
    }
}

static void
handle_line (Client *c, const char *line, gsize len)
{
  const char *command = line, *end = line + len, *space, *text;

  if (len >= 5 && memcmp (line, "PING ", 5) == 0)
    {
      client_printf (c, "PONG %.*s\r\n", (int) (len - 5), line + 5);
      return;
    }
  if (len >= 6 && memcmp (line, "ERROR ", 6) == 0)
    {
      kill_client (c);
      return;
    }
  if (line[0] == ':')
    {
      if ((space = memchr (line, ' ', len)) == NULL)
        return;
      command = space + 1;
    }
  if (end - command > 8 && memcmp (command, "PRIVMSG ", 8) == 0)
    {
      text = memchr (command + 8, ':', end - command - 8);
      if (text)
        handle_privmsg_text (c, text + 1, end - text - 1);
    }
  else if (end - command > 4 && memcmp (command, "CAP ", 4) == 0 && g_strstr_len (command, end - command, " NAK "))
    {
      g_printerr ("InspIRCd refused echo-message: is the ircv3_echomessage module loaded?\n");
      kill_client (c);
    }
  else
    handle_numeric (c, numeric_of (command, end - command));
}

/* Splits a chunk into lines; a line cut at the chunk's end waits in
 * partial for the next read. */
static void
handle_chunk (Client *c, const char *data, gsize len)
{
  const char *p = data, *end = data + len;

  while (p < end && c->step != STEP_DEAD)
    {
      const char *nl = memchr (p, '\n', end - p);
      gsize n = (nl ? nl : end) - p;

      if (nl == NULL || c->partial_len > 0)
        {
          if (c->partial_len + n > sizeof c->partial)
            {
              c->d->errors++;
              c->partial_len = 0;
              return;
            }
          memcpy (c->partial + c->partial_len, p, n);
          c->partial_len += n;
          if (nl == NULL)
            return;
          p = c->partial;
          n = c->partial_len;
          c->partial_len = 0;
        }
      if (n > 0 && p[n - 1] == '\r')
        n--;
      if (n > 0)
        handle_line (c, p, n);
      p = nl + 1;
    }
}

static void
on_readable (Client *c)
{
  for (guint i = 0; i < MAX_READS && c->step != STEP_DEAD; i++)
    {
      gssize n = recv (c->fd, c->d->scratch, READ_CHUNK, MSG_DONTWAIT);

      if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
      if (n <= 0)
        {
          kill_client (c);
          return;
        }
      handle_chunk (c, c->d->scratch, n);
      if (n < READ_CHUNK)
        return;
    }
}

static void
on_connected (Client *c)
{
  int err = 0;
  socklen_t len = sizeof err;

  if (getsockopt (c->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err != 0)
    {
      kill_client (c);
      return;
    }
  c->step = STEP_REGISTERING;
  flush_client (c);
}

static void
on_event (gpointer user_data, guint32 events)
{
  Client *c = user_data;

  if (c->step == STEP_CONNECTING && (events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
    on_connected (c);
  if (events & (EPOLLIN | EPOLLERR | EPOLLHUP))
    on_readable (c);
  if ((events & EPOLLOUT) && c->step != STEP_CONNECTING)
    flush_client (c);
}

static gboolean
connect_client (Driver *d, Client *c, GError **error)
{
  int one = 1;

  c->fd = socket (AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (c->fd < 0)
    return g_set_error (error, TEA_BENCH_ERROR, 0, "socket: %s", g_strerror (errno)), FALSE;
  /* Measure the server, not Nagle's algorithm on our side. */
  setsockopt (c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (connect (c->fd, (struct sockaddr *) &d->server, sizeof d->server) < 0 && errno != EINPROGRESS)
    return g_set_error (error, TEA_BENCH_ERROR, 0, "connect: %s", g_strerror (errno)), FALSE;
  c->writable_wanted = TRUE;
  tea_bench_loop_add (d->loop, c->fd, EPOLLIN | EPOLLOUT, on_event, c);
  client_printf (c, "CAP REQ :echo-message\r\nNICK b%u\r\nUSER b 0 * :bench\r\nCAP END\r\n", c->index);
  return TRUE;
}

/* ---- The loop ----------------------------------------------------------- */

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
      Client *c = &d->clients[sender];
      gsize len;

      memcpy (d->line, "PRIVMSG " CHANNEL " :", strlen ("PRIVMSG " CHANNEL " :"));
      len = strlen ("PRIVMSG " CHANNEL " :");
      len += tea_bench_format_text (d->line + len, d->workload.size, sender, seq, stamp);
      memcpy (d->line + len, "\r\n", 2);
      if (c->step != STEP_DEAD)
        client_write (c, d->line, len + 2);
    }
}

typedef gboolean (*DoneFunc) (Driver *d);

static gboolean
drive (Driver *d, gint64 until_ns, DoneFunc done)
{
  while (!done (d))
    {
      gint64 deadline = until_ns;

      if (tea_bench_now_ns () >= until_ns)
        return FALSE;
      pump_workload (d);
      flush_dirty (d);
      if (d->measuring)
        deadline = MIN (deadline, tea_bench_workload_next_due (&d->workload));
      tea_bench_loop_iterate (d->loop, deadline);
    }
  flush_dirty (d);
  return TRUE;
}

static gboolean
all_set_up (Driver *d)
{
  return d->n_ready + d->n_dead >= d->n_clients;
}

static gboolean
all_synced (Driver *d)
{
  return d->n_synced + d->n_dead >= d->n_clients;
}

static gboolean
never (Driver *d)
{
  return FALSE;
}

static guint64
expected_deliveries (Driver *d)
{
  return d->workload.total_sent * (guint64) d->n_clients;
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

  for (guint i = 0; i < d->n_clients; i++)
    if (!connect_client (d, &d->clients[i], error))
      return FALSE;
  if (!drive (d, start + (gint64) (d->options->timeout_s * NS_PER_S), all_set_up) || d->n_dead > 0)
    return g_set_error (error, TEA_BENCH_ERROR, 0, "%u of %u IRC clients joined (%u failed)",
                        d->n_ready, d->n_clients, d->n_dead), FALSE;
  d->run->report.setup_s = (tea_bench_now_ns () - start) / 1e9;
  return TRUE;
}

static gboolean
synchronise (Driver *d, GError **error)
{
  client_printf (&d->clients[0], "PRIVMSG " CHANNEL " :" TEA_BENCH_SYNC_TEXT "\r\n");
  if (!drive (d, tea_bench_now_ns () + (gint64) (d->options->timeout_s * NS_PER_S), all_synced) ||
      d->n_dead > 0)
    return g_set_error (error, TEA_BENCH_ERROR, 0, "Only %u of %u clients got the start marker",
                        d->n_synced, d->n_clients), FALSE;
  return TRUE;
}

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
  tea_bench_report_deliveries (&d->run->report, &d->tally, &d->workload, d->n_clients, d->run->relay_cpu_s);
}

static gboolean
run_workload (Driver *d, GError **error)
{
  const TeaBenchOptions *o = d->options;
  double msg_rate = o->mode == TEA_BENCH_MODE_RATE ? o->rate / d->n_clients : 0;

  if (!synchronise (d, error))
    return FALSE;
  tea_bench_tally_init (&d->tally, d->n_clients, o->senders);
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

static void
run_idle (Driver *d, guint64 rss_before_kib)
{
  TeaBenchReport *r = &d->run->report;
  guint64 rss_after;

  drive (d, tea_bench_now_ns () + SETTLE_NS, never);
  tea_bench_run_window_end (d->run);
  rss_after = tea_bench_run_relay_rss_kib (d->run, NULL);
  if (d->run->relay_pid > 0)
    {
      r->rss_before_kib = rss_before_kib;
      r->rss_after_kib = rss_after;
      r->rss_per_session_bytes = ((double) rss_after - (double) rss_before_kib) * 1024.0 / d->n_ready;
    }
}

static void
driver_free (Driver *d)
{
  for (guint i = 0; i < d->n_clients; i++)
    {
      Client *c = &d->clients[i];

      if (c->fd > 0)
        {
          tea_bench_loop_remove (d->loop, c->fd);
          close (c->fd);
        }
      if (c->out)
        g_byte_array_unref (c->out);
    }
  g_free (d->clients);
  g_ptr_array_unref (d->dirty);
  tea_bench_loop_free (d->loop);
  tea_bench_workload_clear (&d->workload);
  tea_bench_tally_clear (&d->tally);
  g_free (d->scratch);
  g_free (d);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Driver, driver_free)

gboolean
tea_bench_irc_run (TeaBenchRun *run, GError **error)
{
  const TeaBenchOptions *o = run->options;
  g_autoptr (Driver) d = g_new0 (Driver, 1);
  guint64 rss_before = tea_bench_run_relay_rss_kib (run, NULL);

  d->run = run;
  d->options = o;
  d->loop = tea_bench_loop_new ();
  d->dirty = g_ptr_array_new ();
  d->scratch = g_malloc (READ_CHUNK);
  d->server.sin_family = AF_INET;
  d->server.sin_port = htons (run->target.port);
  if (inet_pton (AF_INET, run->target.host, &d->server.sin_addr) != 1)
    return g_set_error (error, TEA_BENCH_ERROR, 0, "Not an IPv4 address: %s", run->target.host), FALSE;
  d->n_clients = o->sessions;
  d->clients = g_new0 (Client, d->n_clients);
  for (guint i = 0; i < d->n_clients; i++)
    {
      d->clients[i] = (Client) { .d = d, .index = i, .fd = -1, .out = g_byte_array_new () };
    }
  if (o->mode == TEA_BENCH_MODE_IDLE)
    tea_bench_run_window_begin (run);
  if (!set_up (d, error))
    return FALSE;
  if (o->mode == TEA_BENCH_MODE_IDLE)
    run_idle (d, rss_before);
  else if (!run_workload (d, error))
    return FALSE;
  run->report.errors = d->errors;
  run->report.sessions_lost = d->sessions_lost;
  return TRUE;
}
