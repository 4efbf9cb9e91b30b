/* SPDX-License-Identifier: GPL-3.0-or-later */
#define _GNU_SOURCE /* sendmmsg */
#include "config.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <string.h>
#include <sys/socket.h>

#include "tea-gso.h"

/* The relay's outbox holds 64 datagrams. */
#define MAX_DATAGRAMS 64
/* Linux before 6.3 takes at most 64 segments a send; 32 full datagrams
 * (38,400 bytes) also stay well inside one 64 KiB UDP datagram. */
#define MAX_SEGMENTS 32

typedef union
{
  char buf[CMSG_SPACE (sizeof (guint16))];
  struct cmsghdr align;
} Control;

typedef union
{
  struct sockaddr_in v4;
  struct sockaddr_in6 v6;
} Name;

struct _TeaGsoSender
{
  int fd;
  gboolean ipv6; /* an IPv4 peer is then addressed as ::ffff:a.b.c.d */
  struct mmsghdr msgs[MAX_DATAGRAMS];
  guint first[MAX_DATAGRAMS]; /* each message's first datagram */
  struct iovec iov[MAX_DATAGRAMS];
  Name names[MAX_DATAGRAMS];
  Control control[MAX_DATAGRAMS];
};

TeaGsoSender *
tea_gso_sender_new (GSocket *socket)
{
#ifdef UDP_SEGMENT
  TeaGsoSender *sender;
  int fd = g_socket_get_fd (socket);
  int size = 0;
  socklen_t len = sizeof size;

  /* Reading the option tells whether the kernel knows it at all. */
  if (g_socket_get_socket_type (socket) != G_SOCKET_TYPE_DATAGRAM ||
      getsockopt (fd, SOL_UDP, UDP_SEGMENT, &size, &len) < 0)
    return NULL;
  sender = g_new0 (TeaGsoSender, 1);
  sender->fd = fd;
  sender->ipv6 = g_socket_get_family (socket) == G_SOCKET_FAMILY_IPV6;
  return sender;
#else
  return NULL;
#endif
}

void
tea_gso_sender_free (TeaGsoSender *sender)
{
  g_free (sender);
}

static socklen_t
write_name (const TeaGsoSender *sender, const TeaAddr *addr, Name *name)
{
  memset (name, 0, sizeof *name);
  if (addr->family == 4 && !sender->ipv6)
    {
      name->v4.sin_family = AF_INET;
      name->v4.sin_port = g_htons (addr->port);
      memcpy (&name->v4.sin_addr, addr->ip, 4);
      return sizeof name->v4;
    }
  name->v6.sin6_family = AF_INET6;
  name->v6.sin6_port = g_htons (addr->port);
  if (addr->family == 4)
    {
      name->v6.sin6_addr.s6_addr[10] = 0xff;
      name->v6.sin6_addr.s6_addr[11] = 0xff;
      memcpy (&name->v6.sin6_addr.s6_addr[12], addr->ip, 4);
    }
  else
    memcpy (&name->v6.sin6_addr, addr->ip, 16);
  return sizeof name->v6;
}

/* How many datagrams from d on make one send: same peer, the size of the
 * first, the last maybe shorter. */
static guint
train_length (const TeaDatagram *d, guint n)
{
  guint k = 1;

  while (k < n && k < MAX_SEGMENTS && d[k - 1].len == d[0].len && d[k].len <= d[0].len &&
         tea_addr_equal (&d[k].addr, &d[0].addr))
    k++;
  return k;
}

static void
set_segment_size (struct msghdr *hdr, Control *control, guint16 size)
{
  struct cmsghdr *cmsg;

  hdr->msg_control = control->buf;
  hdr->msg_controllen = sizeof control->buf;
  cmsg = CMSG_FIRSTHDR (hdr);
  cmsg->cmsg_level = SOL_UDP;
  cmsg->cmsg_type = UDP_SEGMENT;
  cmsg->cmsg_len = CMSG_LEN (sizeof size);
  memcpy (CMSG_DATA (cmsg), &size, sizeof size);
}

/* Fills one message per train; returns how many. */
static guint
build_messages (TeaGsoSender *sender, const TeaDatagram *datagrams, guint n)
{
  guint m = 0;

  for (guint i = 0; i < n; m++)
    {
      guint k = train_length (datagrams + i, n - i);
      struct msghdr *hdr = &sender->msgs[m].msg_hdr;

      memset (hdr, 0, sizeof *hdr);
      for (guint j = i; j < i + k; j++)
        {
          sender->iov[j].iov_base = (void *) datagrams[j].data;
          sender->iov[j].iov_len = datagrams[j].len;
        }
      hdr->msg_name = &sender->names[m];
      hdr->msg_namelen = write_name (sender, &datagrams[i].addr, &sender->names[m]);
      hdr->msg_iov = &sender->iov[i];
      hdr->msg_iovlen = k;
      if (k > 1)
        set_segment_size (hdr, &sender->control[m], datagrams[i].len);
      sender->first[m] = i;
      i += k;
    }
  return m;
}

guint
tea_gso_sender_send (TeaGsoSender *sender, const TeaDatagram *datagrams, guint n)
{
  guint m, done = 0;

  g_return_val_if_fail (n <= MAX_DATAGRAMS, 0);
  m = build_messages (sender, datagrams, n);
  while (done < m)
    {
      int r = sendmmsg (sender->fd, sender->msgs + done, m - done, MSG_DONTWAIT);

      if (r > 0)
        {
          done += r;
          continue;
        }
      if (errno == EINTR)
        continue;
      /* The device or the path cannot segment: stop using GSO. */
      if (sender->msgs[done].msg_hdr.msg_control != NULL &&
          (errno == EIO || errno == EINVAL || errno == EMSGSIZE))
        return sender->first[done];
      /* A full buffer or an unreachable peer: this message is lost, as
       * on a network, and must not hold back the others. */
      done++;
    }
  return n;
}
