/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <gio/gio.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tea-bench-udp.h"
#include "tea-protocol.h"

#define BATCH 64
/* With UDP_GRO one read may return a whole train the relay sent with GSO
 * (up to 64 KiB, cut into datagrams of the size a control message gives). */
#define RECV_BUFFER 65536
/* Batches read per wakeup before timers and sending get their turn. */
#define MAX_BATCHES 16
/* Fan-out arrives in bursts; the default 208 KiB overflows at once. */
#define SOCKET_BUFFER_BYTES (16 * 1024 * 1024)

typedef struct
{
  TeaBenchUdp *udp;
  guint index;
  int fd;
  guint n_out;
  struct mmsghdr out[BATCH];
  struct iovec out_iov[BATCH];
  guint8 out_data[BATCH][TEA_MAX_DATAGRAM];
} Endpoint;

struct _TeaBenchUdp
{
  TeaBenchLoop *loop;
  TeaBenchUdpFunc func;
  gpointer user_data;
  Endpoint **endpoints;
  guint n_endpoints;
  guint64 send_failures;
  struct mmsghdr in[BATCH];
  struct iovec in_iov[BATCH];
  union
  {
    char buf[CMSG_SPACE (sizeof (int))];
    struct cmsghdr align;
  } in_control[BATCH];
  guint8 *in_data; /* BATCH × RECV_BUFFER */
};

static void
set_buffer (int fd, int force_option, int option)
{
  int bytes = SOCKET_BUFFER_BYTES;

  /* The FORCE variants pass rmem_max/wmem_max when we are root. */
  if (setsockopt (fd, SOL_SOCKET, force_option, &bytes, sizeof bytes) < 0)
    setsockopt (fd, SOL_SOCKET, option, &bytes, sizeof bytes);
}

/* The segment size of a datagram the kernel coalesced (UDP_GRO), or 0. */
static gsize
gro_segment_size (struct msghdr *hdr)
{
  for (struct cmsghdr *c = CMSG_FIRSTHDR (hdr); c != NULL; c = CMSG_NXTHDR (hdr, c))
    {
      int size;

      if (c->cmsg_level != SOL_UDP || c->cmsg_type != UDP_GRO)
        continue;
      memcpy (&size, CMSG_DATA (c), sizeof size);
      return size > 0 ? (gsize) size : 0;
    }
  return 0;
}

static void
deliver (TeaBenchUdp *udp, Endpoint *e, guint i)
{
  struct msghdr *hdr = &udp->in[i].msg_hdr;
  guint8 *data = udp->in_data + (gsize) i * RECV_BUFFER;
  gsize len = udp->in[i].msg_len;
  gsize segment = gro_segment_size (hdr);

  if (hdr->msg_flags & MSG_TRUNC)
    return;
  if (segment == 0)
    segment = len;
  for (gsize off = 0; off < len; off += segment)
    udp->func (udp->user_data, e->index, data + off, MIN (segment, len - off));
}

static void
on_readable (gpointer user_data, guint32 events)
{
  Endpoint *e = user_data;
  TeaBenchUdp *udp = e->udp;

  for (guint b = 0; b < MAX_BATCHES; b++)
    {
      int n;

      for (guint i = 0; i < BATCH; i++)
        udp->in[i].msg_hdr.msg_controllen = sizeof udp->in_control[i].buf;
      n = recvmmsg (e->fd, udp->in, BATCH, MSG_DONTWAIT, NULL);
      if (n <= 0)
        break; /* EAGAIN, or ECONNREFUSED while the relay is gone */
      for (int i = 0; i < n; i++)
        deliver (udp, e, i);
      if (n < BATCH)
        break;
    }
}

static Endpoint *
endpoint_new (TeaBenchUdp *udp, guint index, const struct sockaddr_in *relay, GError **error)
{
  Endpoint *e = g_new0 (Endpoint, 1);

  e->udp = udp;
  e->index = index;
  e->fd = socket (AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (e->fd < 0 || connect (e->fd, (const struct sockaddr *) relay, sizeof *relay) < 0)
    {
      int saved = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "UDP socket: %s", g_strerror (saved));
      if (e->fd >= 0)
        close (e->fd);
      g_free (e);
      return NULL;
    }
  set_buffer (e->fd, SO_RCVBUFFORCE, SO_RCVBUF);
  set_buffer (e->fd, SO_SNDBUFFORCE, SO_SNDBUF);
  /* As QUIC clients do: a train the relay sent with GSO arrives as one
   * buffer, one wakeup of the stack instead of one per datagram. Without
   * it (old kernels) the kernel cuts trains up for us. */
  setsockopt (e->fd, SOL_UDP, UDP_GRO, &(int) { 1 }, sizeof (int));
  for (guint i = 0; i < BATCH; i++)
    {
      e->out_iov[i].iov_base = e->out_data[i];
      e->out[i].msg_hdr.msg_iov = &e->out_iov[i];
      e->out[i].msg_hdr.msg_iovlen = 1;
    }
  tea_bench_loop_add (udp->loop, e->fd, EPOLLIN, on_readable, e);
  return e;
}

TeaBenchUdp *
tea_bench_udp_new (TeaBenchLoop *loop,
                   const char *host,
                   guint16 port,
                   guint n_sockets,
                   TeaBenchUdpFunc func,
                   gpointer user_data,
                   GError **error)
{
  g_autoptr (TeaBenchUdp) udp = g_new0 (TeaBenchUdp, 1);
  struct sockaddr_in relay = { .sin_family = AF_INET, .sin_port = htons (port) };

  udp->loop = loop;
  udp->func = func;
  udp->user_data = user_data;
  if (inet_pton (AF_INET, host, &relay.sin_addr) != 1)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "Not an IPv4 address: %s", host);
      return NULL;
    }
  udp->in_data = g_malloc ((gsize) BATCH * RECV_BUFFER);
  for (guint i = 0; i < BATCH; i++)
    {
      udp->in_iov[i].iov_base = udp->in_data + (gsize) i * RECV_BUFFER;
      udp->in_iov[i].iov_len = RECV_BUFFER;
      udp->in[i].msg_hdr.msg_iov = &udp->in_iov[i];
      udp->in[i].msg_hdr.msg_iovlen = 1;
      udp->in[i].msg_hdr.msg_control = udp->in_control[i].buf;
    }
  udp->endpoints = g_new0 (Endpoint *, MAX (n_sockets, 1));
  for (guint i = 0; i < MAX (n_sockets, 1); i++)
    {
      udp->endpoints[i] = endpoint_new (udp, i, &relay, error);
      if (udp->endpoints[i] == NULL)
        return NULL;
      udp->n_endpoints++;
    }
  return g_steal_pointer (&udp);
}

void
tea_bench_udp_free (TeaBenchUdp *udp)
{
  if (udp == NULL)
    return;
  for (guint i = 0; i < udp->n_endpoints; i++)
    {
      tea_bench_loop_remove (udp->loop, udp->endpoints[i]->fd);
      close (udp->endpoints[i]->fd);
      g_free (udp->endpoints[i]);
    }
  g_free (udp->endpoints);
  g_free (udp->in_data);
  g_free (udp);
}

guint
tea_bench_udp_get_n_sockets (TeaBenchUdp *udp)
{
  return udp->n_endpoints;
}

static void
flush_endpoint (TeaBenchUdp *udp, Endpoint *e)
{
  guint sent = 0;

  while (sent < e->n_out)
    {
      int r = sendmmsg (e->fd, e->out + sent, e->n_out - sent, MSG_DONTWAIT);

      if (r <= 0)
        {
          /* A full buffer or a refusal: the datagram is lost, as on a
           * network; the protocol retransmits. */
          udp->send_failures++;
          sent++;
          continue;
        }
      sent += r;
    }
  e->n_out = 0;
}

guint8 *
tea_bench_udp_reserve (TeaBenchUdp *udp, guint socket)
{
  Endpoint *e = udp->endpoints[socket % udp->n_endpoints];

  if (e->n_out == BATCH)
    flush_endpoint (udp, e);
  return e->out_data[e->n_out];
}

void
tea_bench_udp_commit (TeaBenchUdp *udp, guint socket, gsize len)
{
  Endpoint *e = udp->endpoints[socket % udp->n_endpoints];

  if (len == 0)
    return;
  g_assert (len <= TEA_MAX_DATAGRAM);
  e->out_iov[e->n_out].iov_len = len;
  e->n_out++;
}

void
tea_bench_udp_flush (TeaBenchUdp *udp)
{
  for (guint i = 0; i < udp->n_endpoints; i++)
    if (udp->endpoints[i]->n_out > 0)
      flush_endpoint (udp, udp->endpoints[i]);
}

guint64
tea_bench_udp_get_send_failures (TeaBenchUdp *udp)
{
  return udp->send_failures;
}
