/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * An in-process simulated network for tests: two TeaConn endpoints joined
 * by a link that loses, duplicates, delays and reorders datagrams (the
 * same TeaImpair model as tea-netem, both directions alike), driven by a
 * fake clock. Deterministic for a given seed.
 */
#pragma once

#include "tea-conn.h"
#include "tea-impair.h"

G_BEGIN_DECLS

typedef struct _TeaTestLink TeaTestLink;

/* Messages each side received, in order. */
typedef struct
{
  GPtrArray *received; /* GBytes */
} TeaTestEndpoint;

TeaTestLink *tea_test_link_new (guint32 seed, const TeaImpairConfig *config);
void tea_test_link_free (TeaTestLink *link);
/* Makes a matching client (index 0) and server (index 1) pair. */
void tea_test_link_make_pair (TeaTestLink *link,
                              const TeaConnConfig *client_config,
                              const TeaConnConfig *server_config);
TeaConn *tea_test_link_conn (TeaTestLink *link, guint index);
TeaTestEndpoint *tea_test_link_endpoint (TeaTestLink *link, guint index);
/* Applies to both directions; change it at any time. */
TeaImpairConfig *tea_test_link_config (TeaTestLink *link);
gint64 tea_test_link_now (TeaTestLink *link);
/* Captured datagrams sent by index (when capture is on). */
void tea_test_link_set_capture (TeaTestLink *link, gboolean capture);
GPtrArray *tea_test_link_captured (TeaTestLink *link, guint index);

/* Runs the simulation until done(user_data) or until the fake clock passes
 * limit_us. Returns TRUE if done. Fails the test if an endpoint asks to be
 * woken in the past without making progress (a timer bug). */
gboolean tea_test_link_run (TeaTestLink *link,
                            gint64 limit_us,
                            gboolean (*done) (TeaTestLink *link, gpointer user_data),
                            gpointer user_data);

G_END_DECLS
