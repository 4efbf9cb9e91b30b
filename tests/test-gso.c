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
#include "tea-test-util.h"

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

/* UDP GSO is in Linux since 4.18: only an older kernel skips these. */
static TeaGsoSender *
new_sender_or_skip (Fixture *f)
{
  TeaGsoSender *gso = tea_gso_sender_new (f->sender);

  if (gso == NULL)
    g_test_skip ("no UDP GSO in this kernel (Linux 4.18 or later)");
  return gso;
}

static void
test_trains (Fixture *f, gconstpointer data)
{
  g_autoptr (TeaGsoSender) gso = new_sender_or_skip (f);
  g_autofree TeaDatagram *d = NULL;
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
    return;
  d = g_new (TeaDatagram, 7);
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
}

static void
test_refused (Fixture *f, gconstpointer data)
{
  g_autoptr (TeaGsoSender) gso = new_sender_or_skip (f);
  g_autofree TeaDatagram *d = NULL;
  guint8 buf[2048];
  int on = 1;
  gssize n;

  if (gso == NULL)
    return;
  d = g_new (TeaDatagram, 3);
  /* Without UDP checksums the kernel refuses to segment (EINVAL), as a
   * device without checksum offload would (EIO). */
  g_assert_cmpint (setsockopt (g_socket_get_fd (f->sender), SOL_SOCKET, SO_NO_CHECK, &on, sizeof on), ==, 0);
  fill (&d[0], &f->gro_addr, 300, 'a');
  fill (&d[1], &f->plain_addr, 1200, 'b');
  fill (&d[2], &f->plain_addr, 1200, 'c');
  /* The lone datagram leaves; the train is handed back, and nothing of it
   * was sent: the caller sends it another way. */
  g_assert_cmpuint (tea_gso_sender_send (gso, d, 3), ==, 1);
  n = g_socket_receive (f->gro, (char *) buf, sizeof buf, NULL, NULL);
  g_assert_cmpint (n, ==, 300);
  g_assert_cmpuint (buf[0], ==, 'a');
  g_assert_false (g_socket_condition_timed_wait (f->plain, G_IO_IN, 100 * 1000, NULL, NULL));
}

/* A relay whose socket cannot segment still delivers its trains: the
 * listener turns GSO off and sends them one datagram each. (With
 * G_MESSAGES_DEBUG=teahoused it says so.) */
static void
test_listener_falls_back (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GSocket) socket = bound_socket (NULL);
  g_autoptr (GSocketAddress) local = g_socket_get_local_address (socket, &error);
  g_autoptr (TeaRelay) relay = NULL;
  g_autoptr (TeaListener) listener = NULL;
  g_autoptr (TeaTestPeer) alice = NULL;
  g_autoptr (TeaTestPeer) bob = NULL;
  TeaRelayConfig config;
  TeaKeypair key;
  guint16 port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local));
  int on = 1;

  g_assert_cmpint (setsockopt (g_socket_get_fd (socket), SOL_SOCKET, SO_NO_CHECK, &on, sizeof on), ==, 0);
  tea_relay_config_init (&config);
  config.flood_burst = 1000;
  tea_keypair_generate (&key);
  relay = tea_relay_new (&config, &key, g_get_monotonic_time ());
  tea_relay_config_clear (&config);
  listener = tea_listener_new (relay);
  g_assert_true (tea_listener_adopt_socket (listener, socket, &error));
  g_assert_no_error (error);

  /* Bob says 200 lines at once: they reach the relay a few dozen to a
   * datagram, and Alice's share of each wakeup leaves as a train. */
  alice = tea_test_peer_new (port, "alice");
  bob = tea_test_peer_new (port, "bob");
  tea_test_peer_connect (alice, "tea");
  tea_test_peer_connect (bob, "tea");
  for (guint i = 0; i < 200; i++)
    {
      g_autofree char *text = g_strdup_printf ("line %u %s", i, "of some length, as chat goes, to fill datagrams");

      g_assert_cmpuint (tea_client_say (bob->client, "tea", text, TEA_TEXT_KIND_MESSAGE), !=, 0);
    }
  tea_test_peer_wait_count (alice, "MESSAGE", "line", 200);
  g_assert_cmpuint (tea_test_peer_count (alice, "MESSAGE", "line 199 "), ==, 1);
  g_clear_pointer (&alice, tea_test_peer_free);
  g_clear_pointer (&bob, tea_test_peer_free);
  tea_listener_shutdown (listener);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/tea/gso/trains", Fixture, NULL, fixture_set_up, test_trains, fixture_tear_down);
  g_test_add ("/tea/gso/refused", Fixture, NULL, fixture_set_up, test_refused, fixture_tear_down);
  g_test_add_func ("/tea/gso/listener-falls-back", test_listener_falls_back);
  return g_test_run ();
}
