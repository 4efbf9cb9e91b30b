/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * An initiation flood: F HELLOs and F INITs with forged cookies, each from
 * its own source address and port, and the relay's memory before and
 * after. The relay must keep no state for an address until it echoes a
 * valid cookie, so its RSS must not grow.
 *
 * Distinct sources come from a raw socket (root): loopback accepts any
 * 127.0.0.0/8 source. Without root, each datagram gets a fresh UDP socket,
 * which gives as many sources as the ephemeral port range holds.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tea-bench-loop.h"
#include "tea-bench.h"
#include "tea-packet.h"
#include "tea-random.h"

#define BATCH 64
#define HEADERS (sizeof (struct iphdr) + sizeof (struct udphdr))
#define NS_PER_S G_GINT64_CONSTANT (1000000000)
#define QUIET_NS (NS_PER_S / 2)

typedef struct
{
  int raw_fd; /* -1: fall back to a UDP socket per datagram */
  struct sockaddr_in relay;
  guint8 packets[BATCH][HEADERS + TEA_MAX_DATAGRAM];
  struct iovec iov[BATCH];
  struct mmsghdr msgs[BATCH];
  guint n;
  guint64 sent;
} Flood;

/* Source number i: its own address in 127.2.0.0 upwards, and a port. */
static void
source_of (guint64 i, struct sockaddr_in *source)
{
  memset (source, 0, sizeof *source);
  source->sin_family = AF_INET;
  source->sin_addr.s_addr = htonl (0x7f020000u + (guint32) i);
  source->sin_port = htons (1024 + i % 64000);
}

/* HELLO for even i, INIT with a random cookie and key for odd i. */
static gsize
make_payload (guint64 i, guint8 *out)
{
  guint8 noise[TEA_KEY_LEN + TEA_TAG_LEN];

  if (i % 2 == 0)
    {
      TeaHello hello;

      tea_random_bytes (hello.client_token, sizeof hello.client_token);
      return tea_hello_encode (&hello, out, TEA_MAX_DATAGRAM);
    }
  else
    {
      TeaInit init = { .noise = noise, .noise_len = sizeof noise };

      tea_random_bytes (init.client_token, sizeof init.client_token);
      tea_random_bytes (init.cookie, sizeof init.cookie);
      tea_random_bytes (noise, sizeof noise);
      return tea_init_encode (&init, out, TEA_MAX_DATAGRAM);
    }
}

static void
send_raw_batch (Flood *f)
{
  guint done = 0;

  while (done < f->n)
    {
      int r = sendmmsg (f->raw_fd, f->msgs + done, f->n - done, 0);

      if (r <= 0 && errno != EINTR)
        break;
      done += MAX (r, 0);
    }
  f->sent += done;
  f->n = 0;
}

static void
queue_raw (Flood *f, guint64 i)
{
  guint8 *p = f->packets[f->n];
  struct iphdr *ip = (struct iphdr *) p;
  struct udphdr *udp = (struct udphdr *) (p + sizeof *ip);
  struct sockaddr_in source;
  gsize len = make_payload (i, p + HEADERS);

  source_of (i, &source);
  memset (p, 0, HEADERS);
  /* The kernel fills in the IP checksum and total length; a zero UDP
   * checksum means "none" over IPv4. */
  ip->version = 4;
  ip->ihl = 5;
  ip->ttl = 64;
  ip->protocol = IPPROTO_UDP;
  ip->saddr = source.sin_addr.s_addr;
  ip->daddr = f->relay.sin_addr.s_addr;
  udp->source = source.sin_port;
  udp->dest = f->relay.sin_port;
  udp->len = htons (sizeof *udp + len);
  f->iov[f->n] = (struct iovec) { .iov_base = p, .iov_len = HEADERS + len };
  f->msgs[f->n].msg_hdr = (struct msghdr) {
    .msg_name = &f->relay,
    .msg_namelen = sizeof f->relay,
    .msg_iov = &f->iov[f->n],
    .msg_iovlen = 1,
  };
  if (++f->n == BATCH)
    send_raw_batch (f);
}

static void
send_from_fresh_socket (Flood *f, guint64 i)
{
  guint8 payload[TEA_MAX_DATAGRAM];
  gsize len = make_payload (i, payload);
  int fd = socket (AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

  if (fd < 0)
    return;
  if (sendto (fd, payload, len, 0, (struct sockaddr *) &f->relay, sizeof f->relay) == (gssize) len)
    f->sent++;
  close (fd);
}

static void
flood (Flood *f, guint64 count, double rate)
{
  gint64 start = tea_bench_now_ns ();

  for (guint64 i = 0; i < count; i++)
    {
      if (rate > 0 && i % BATCH == 0)
        {
          gint64 due = start + (gint64) (i * 1e9 / rate);
          gint64 now = tea_bench_now_ns ();

          if (due > now)
            g_usleep ((due - now) / 1000);
        }
      if (f->raw_fd >= 0)
        queue_raw (f, i);
      else
        send_from_fresh_socket (f, i);
    }
  if (f->raw_fd >= 0 && f->n > 0)
    send_raw_batch (f);
}

/* Waits until the relay has used no CPU for a while: it has read all it
 * is going to read. */
static void
wait_quiet (TeaBenchRun *run, gint64 until_ns)
{
  TeaBenchProcSample last, now;

  if (!tea_bench_proc_sample (run->relay_pid, &last))
    return;
  while (tea_bench_now_ns () < until_ns)
    {
      g_usleep (QUIET_NS / 1000);
      if (!tea_bench_proc_sample (run->relay_pid, &now) || now.cpu_s == last.cpu_s)
        return;
      last = now;
    }
}

/* A real HELLO still gets its COOKIE. */
static gboolean
relay_answers (const struct sockaddr_in *relay)
{
  guint8 hello[TEA_MAX_DATAGRAM], reply[256];
  TeaHello h;
  struct timeval timeout = { .tv_sec = 2 };
  int fd = socket (AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  gssize n = -1;
  gsize len;

  if (fd < 0)
    return FALSE;
  tea_random_bytes (h.client_token, sizeof h.client_token);
  len = tea_hello_encode (&h, hello, sizeof hello);
  setsockopt (fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  if (sendto (fd, hello, len, 0, (const struct sockaddr *) relay, sizeof *relay) == (gssize) len)
    n = recv (fd, reply, sizeof reply, 0);
  close (fd);
  return n > 12 && reply[3] == TEA_PACKET_COOKIE && memcmp (reply + 4, h.client_token, 8) == 0;
}

gboolean
tea_bench_flood_run (TeaBenchRun *run, GError **error)
{
  const TeaBenchOptions *o = run->options;
  g_autofree Flood *f = g_new0 (Flood, 1);
  guint64 peak;

  tea_crypto_init ();
  f->relay.sin_family = AF_INET;
  f->relay.sin_port = htons (run->target.port);
  if (inet_pton (AF_INET, run->target.host, &f->relay.sin_addr) != 1)
    return g_set_error (error, TEA_BENCH_ERROR, 0, "Flood mode needs an IPv4 relay address"), FALSE;
  f->raw_fd = socket (AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
  if (f->raw_fd < 0 && o->verbose)
    g_printerr ("No raw socket (%s): one UDP socket per datagram instead\n", g_strerror (errno));

  run->report.rss_before_kib = tea_bench_run_relay_rss_kib (run, NULL);
  tea_bench_run_window_begin (run);
  flood (f, 2 * (guint64) o->flood, o->flood_rate);
  run->report.duration_s = (tea_bench_now_ns () - run->machine_begin.wall_ns) / 1e9;
  wait_quiet (run, tea_bench_now_ns () + (gint64) (o->timeout_s * NS_PER_S));
  tea_bench_run_window_end (run);
  run->report.rss_after_kib = tea_bench_run_relay_rss_kib (run, &peak);
  run->report.relay_rss_peak_kib = peak;
  run->report.initiations = f->sent;
  run->report.alive = relay_answers (&f->relay);
  if (f->raw_fd >= 0)
    close (f->raw_fd);
  return TRUE;
}
