/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <string.h>

#include "tea-protocol.h"
#include "tea-test-link.h"

typedef struct
{
  gint64 deliver_at;
  guint to;
  gsize len;
  guint8 data[TEA_MAX_DATAGRAM];
} InFlight;

struct _TeaTestLink
{
  TeaTestLinkConfig config;
  GRand *rand;
  gint64 now;
  TeaConn *conns[2];
  TeaTestEndpoint endpoints[2];
  GQueue in_flight; /* InFlight, sorted by deliver_at */
  gboolean capture;
  GPtrArray *captured[2];
};

TeaTestLink *
tea_test_link_new (guint32 seed, const TeaTestLinkConfig *config)
{
  TeaTestLink *link = g_new0 (TeaTestLink, 1);

  link->config = *config;
  link->rand = g_rand_new_with_seed (seed);
  link->now = 1000 * G_USEC_PER_SEC; /* not zero: zero means "now" to deadlines */
  g_queue_init (&link->in_flight);
  for (guint i = 0; i < 2; i++)
    {
      link->endpoints[i].received = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
      link->captured[i] = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
    }
  return link;
}

void
tea_test_link_free (TeaTestLink *link)
{
  for (guint i = 0; i < 2; i++)
    {
      tea_conn_free (link->conns[i]);
      g_ptr_array_unref (link->endpoints[i].received);
      g_ptr_array_unref (link->captured[i]);
    }
  g_queue_clear_full (&link->in_flight, g_free);
  g_rand_free (link->rand);
  g_free (link);
}

void
tea_test_link_make_pair (TeaTestLink *link,
                         const TeaConnConfig *client_config,
                         const TeaConnConfig *server_config)
{
  guint8 c2s[TEA_KEY_LEN], s2c[TEA_KEY_LEN];

  for (guint i = 0; i < TEA_KEY_LEN; i++)
    {
      c2s[i] = g_rand_int (link->rand);
      s2c[i] = g_rand_int (link->rand);
    }
  link->conns[0] = tea_conn_new (TRUE, 0x1122334455667788, c2s, s2c, client_config, link->now);
  link->conns[1] = tea_conn_new (FALSE, 0x1122334455667788, s2c, c2s, server_config, link->now);
}

TeaConn *
tea_test_link_conn (TeaTestLink *link, guint index)
{
  return link->conns[index];
}

TeaTestEndpoint *
tea_test_link_endpoint (TeaTestLink *link, guint index)
{
  return &link->endpoints[index];
}

TeaTestLinkConfig *
tea_test_link_config (TeaTestLink *link)
{
  return &link->config;
}

gint64
tea_test_link_now (TeaTestLink *link)
{
  return link->now;
}

void
tea_test_link_set_capture (TeaTestLink *link, gboolean capture)
{
  link->capture = capture;
}

GPtrArray *
tea_test_link_captured (TeaTestLink *link, guint index)
{
  return link->captured[index];
}

static gint
compare_delivery (gconstpointer a, gconstpointer b, gpointer user_data)
{
  const InFlight *x = a, *y = b;
  return x->deliver_at < y->deliver_at ? -1 : x->deliver_at > y->deliver_at;
}

static void
link_send (TeaTestLink *link, guint from, const guint8 *data, gsize len)
{
  guint copies = 1;

  if (link->capture)
    g_ptr_array_add (link->captured[from], g_bytes_new (data, len));
  if (link->config.blackout || g_rand_double (link->rand) < link->config.loss)
    return;
  if (g_rand_double (link->rand) < link->config.duplicate)
    copies = 2;
  for (guint i = 0; i < copies; i++)
    {
      InFlight *p = g_new (InFlight, 1);
      gint64 jitter = link->config.jitter_us > 0 ? g_rand_int_range (link->rand, 0, link->config.jitter_us) : 0;

      p->deliver_at = link->now + link->config.delay_us + jitter;
      p->to = 1 - from;
      p->len = len;
      memcpy (p->data, data, len);
      g_queue_insert_sorted (&link->in_flight, p, compare_delivery, NULL);
    }
}

static gboolean
service_endpoint (TeaTestLink *link, guint index)
{
  TeaConn *conn = link->conns[index];
  guint8 out[TEA_MAX_DATAGRAM];
  gsize len;
  gboolean progress = FALSE;

  if (tea_conn_next_deadline (conn) <= link->now)
    tea_conn_handle_timeout (conn, link->now);
  while ((len = tea_conn_poll_transmit (conn, link->now, out)) > 0)
    {
      g_assert_cmpuint (len, <=, TEA_MAX_DATAGRAM);
      link_send (link, index, out, len);
      progress = TRUE;
    }
  return progress;
}

static void
deliver_due (TeaTestLink *link)
{
  InFlight *p;

  while ((p = g_queue_peek_head (&link->in_flight)) && p->deliver_at <= link->now)
    {
      TeaConn *conn = link->conns[p->to];
      gboolean highest;
      GBytes *msg;

      g_queue_pop_head (&link->in_flight);
      tea_conn_receive (conn, p->data, p->len, TRUE, link->now, &highest);
      while ((msg = tea_conn_pop_message (conn)))
        g_ptr_array_add (link->endpoints[p->to].received, msg);
      g_free (p);
    }
}

gboolean
tea_test_link_run (TeaTestLink *link,
                   gint64 limit_us,
                   gboolean (*done) (TeaTestLink *link, gpointer user_data),
                   gpointer user_data)
{
  guint stuck = 0;

  limit_us += link->now;
  while (link->now <= limit_us)
    {
      InFlight *next_packet;
      gint64 next;
      gboolean progress;

      deliver_due (link);
      progress = service_endpoint (link, 0);
      progress |= service_endpoint (link, 1);
      if (done (link, user_data))
        return TRUE;

      next = MIN (tea_conn_next_deadline (link->conns[0]), tea_conn_next_deadline (link->conns[1]));
      next_packet = g_queue_peek_head (&link->in_flight);
      if (next_packet)
        next = MIN (next, next_packet->deliver_at);
      if (next == G_MAXINT64)
        return FALSE; /* nothing will ever happen again */
      if (next <= link->now)
        {
          /* Allowed once after progress (e.g. a timer handled this turn);
           * a deadline stuck in the past is a bug. */
          g_assert_cmpuint (++stuck, <, 100);
          if (!progress)
            link->now += 1;
          continue;
        }
      stuck = 0;
      link->now = next;
    }
  return FALSE;
}
