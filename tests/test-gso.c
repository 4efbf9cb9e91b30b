/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The relay's UDP GSO sender on loopback: trains to one peer arrive as the
 * datagrams they were, cut by the kernel for a plain socket and whole, with
 * the segment size, for a socket that asked for UDP_GRO.
 */
#include <gio/gio.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <string.h>
#include <sys/socket.h>

#include "tea-gso.h"

typedef struct
{
  GSocket *sender;
  GSocket *plain; /* reads datagrams one by one */
  GSocket *gro;   /* asked for UDP_GRO */
  TeaAddr plain_addr;
  TeaAddr gro_addr;
} Fixture;

static GSocket *
bound_socket (TeaAddr *addr)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) any = g_inet_socket_address_new (loopback, 0);
  g_autoptr (GSocketAddress) local = NULL;
  GSocket *socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, &error);

  g_assert_no_error (error);
  g_assert_true (g_socket_bind (socket, any, TRUE, &error));
  g_assert_no_error (error);
  g_socket_set_timeout (socket, 5);
  local = g_socket_get_local_address (socket, &error);
  g_assert_no_error (error);
  if (addr)
    g_assert_true (tea_addr_from_socket_address (addr, local));
  return socket;
}

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  f->sender = bound_socket (NULL);
  f->plain = bound_socket (&f->plain_addr);
  f->gro = bound_socket (&f->gro_addr);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  g_clear_object (&f->sender);
  g_clear_object (&f->plain);
  g_clear_object (&f->gro);
}

static void
fill (TeaDatagram *d, const TeaAddr *to, guint16 len, guint8 mark)
{
  memset (d, 0, sizeof *d);
  d->addr = *to;
  d->len = len;
  memset (d->data, mark, len);
}

static void
test_trains (Fixture *f, gconstpointer data)
{
  g_autoptr (TeaGsoSender) gso = tea_gso_sender_new (f->sender);
  TeaDatagram *d = g_new (TeaDatagram, 7);
  guint8 buf[8192];
  struct iovec iov = { buf, sizeof buf };
  union
  {
    char buf[CMSG_SPACE (sizeof (int))];
    struct cmsghdr align;
  } control;
  struct msghdr hdr = { .msg_iov = &iov, .msg_iovlen = 1 };
  int on = 1;
  int segment = 0;
  gssize n;

  if (gso == NULL)
    {
      g_test_skip ("no UDP GSO in this kernel");
      g_free (d);
      return;
    }
  g_assert_cmpint (setsockopt (g_socket_get_fd (f->gro), SOL_UDP, UDP_GRO, &on, sizeof on), ==, 0);
  /* Three to the plain socket (the last shorter), one alone, three to
   * the GRO socket: the sender makes three sends of them. */
  fill (&d[0], &f->plain_addr, 1200, 'a');
  fill (&d[1], &f->plain_addr, 1200, 'b');
  fill (&d[2], &f->plain_addr, 300, 'c');
  fill (&d[3], &f->plain_addr, 1200, 'd');
  fill (&d[4], &f->gro_addr, 1200, 'e');
  fill (&d[5], &f->gro_addr, 1200, 'f');
  fill (&d[6], &f->gro_addr, 1000, 'g');
  g_assert_cmpuint (tea_gso_sender_send (gso, d, 7), ==, 7);

  for (guint i = 0; i < 4; i++)
    {
      g_autoptr (GError) error = NULL;

      n = g_socket_receive (f->plain, (char *) buf, sizeof buf, NULL, &error);
      g_assert_no_error (error);
      g_assert_cmpint (n, ==, d[i].len);
      g_assert_cmpuint (buf[0], ==, d[i].data[0]);
      g_assert_cmpuint (buf[n - 1], ==, d[i].data[0]);
    }

  /* One read: the whole train, and the size to cut it at. */
  g_assert_true (g_socket_condition_timed_wait (f->gro, G_IO_IN, 5 * G_USEC_PER_SEC, NULL, NULL));
  hdr.msg_control = control.buf;
  hdr.msg_controllen = sizeof control.buf;
  n = recvmsg (g_socket_get_fd (f->gro), &hdr, 0);
  g_assert_cmpint (n, ==, 1200 + 1200 + 1000);
  for (struct cmsghdr *c = CMSG_FIRSTHDR (&hdr); c; c = CMSG_NXTHDR (&hdr, c))
    if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_GRO)
      memcpy (&segment, CMSG_DATA (c), sizeof segment);
  g_assert_cmpint (segment, ==, 1200);
  g_assert_cmpuint (buf[0], ==, 'e');
  g_assert_cmpuint (buf[1200], ==, 'f');
  g_assert_cmpuint (buf[2400], ==, 'g');
  g_assert_cmpuint (buf[3399], ==, 'g');
  g_free (d);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/tea/gso/trains", Fixture, NULL, fixture_set_up, test_trains, fixture_tear_down);
  return g_test_run ();
}
