/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The load generator's UDP side: a few sockets connected to the relay,
 * shared by many sessions (the relay finds sessions by id, not address),
 * read with recvmmsg and written with sendmmsg in batches.
 */
#pragma once

#include <glib.h>

#include "tea-bench-loop.h"

G_BEGIN_DECLS

typedef struct _TeaBenchUdp TeaBenchUdp;

/* One datagram received on socket `socket`. data may be modified. */
typedef void (*TeaBenchUdpFunc) (gpointer user_data, guint socket, guint8 *data, gsize len);

TeaBenchUdp *tea_bench_udp_new (TeaBenchLoop *loop,
                                const char *host,
                                guint16 port,
                                guint n_sockets,
                                TeaBenchUdpFunc func,
                                gpointer user_data,
                                GError **error);
void tea_bench_udp_free (TeaBenchUdp *udp);
guint tea_bench_udp_get_n_sockets (TeaBenchUdp *udp);

/* A buffer of TEA_MAX_DATAGRAM bytes for the next datagram on socket;
 * commit sends it (in a batch). A commit of 0 bytes cancels. */
guint8 *tea_bench_udp_reserve (TeaBenchUdp *udp, guint socket);
void tea_bench_udp_commit (TeaBenchUdp *udp, guint socket, gsize len);
/* Sends every datagram still batched. */
void tea_bench_udp_flush (TeaBenchUdp *udp);
/* Datagrams the kernel refused to send (full buffers). */
guint64 tea_bench_udp_get_send_failures (TeaBenchUdp *udp);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TeaBenchUdp, tea_bench_udp_free)

G_END_DECLS
