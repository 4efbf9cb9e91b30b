/* SPDX-License-Identifier: GPL-3.0-or-later */

#include "tea-protocol.h"
#include "tea-test-link.h"

struct _TeaTestLink
{
  TeaImpairConfig config;
  GRand *rand;
  gint64 now;
  TeaConn *conns[2];
  TeaTestEndpoint endpoints[2];
  TeaImpair *paths[2]; /* what index i sends, on its way */
  gboolean capture;
  GPtrArray *captured[2];
};

TeaTestLink *
tea_test_link_new (guint32 seed, const TeaImpairConfig *config)
{
  TeaTestLink *link = g_new0 (TeaTestLink, 1);

  link->config = *config;
  link->rand = g_rand_new_with_seed (seed);
  link->now = 1000 * G_USEC_PER_SEC; /* not zero: zero means "now" to deadlines */
  for (guint i = 0; i < 2; i++)
    {
      link->paths[i] = tea_impair_new (&link->config, seed, i);
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
      tea_impair_free (link->paths[i]);
      g_ptr_array_unref (link->endpoints[i].received);
      g_ptr_array_unref (link->captured[i]);
    }
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

TeaImpairConfig *
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

static void
link_send (TeaTestLink *link, guint from, const guint8 *data, gsize len)
{
  if (link->capture)
    g_ptr_array_add (link->captured[from], g_bytes_new (data, len));
  tea_impair_push (link->paths[from], link->now, data, len, NULL);
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

static gint64
next_arrival (TeaTestLink *link, guint *from)
{
  gint64 due[2] = { tea_impair_next_due (link->paths[0]), tea_impair_next_due (link->paths[1]) };

  *from = due[1] < due[0];
  return due[*from];
}

static void
deliver_due (TeaTestLink *link)
{
  guint8 data[TEA_IMPAIR_MAX_DATAGRAM];
  gsize len;
  guint from;

  while (next_arrival (link, &from) <= link->now &&
         tea_impair_pop (link->paths[from], link->now, data, &len, NULL))
    {
      TeaConn *conn = link->conns[1 - from];
      gboolean highest;
      GBytes *msg;

      tea_conn_receive (conn, data, len, TRUE, link->now, &highest);
      while ((msg = tea_conn_pop_message (conn)))
        g_ptr_array_add (link->endpoints[1 - from].received, msg);
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
      gint64 next;
      guint from;
      gboolean progress;

      deliver_due (link);
      progress = service_endpoint (link, 0);
      progress |= service_endpoint (link, 1);
      if (done (link, user_data))
        return TRUE;

      next = MIN (tea_conn_next_deadline (link->conns[0]), tea_conn_next_deadline (link->conns[1]));
      next = MIN (next, next_arrival (link, &from));
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
