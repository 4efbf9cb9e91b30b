/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Sending with UDP generic segmentation offload (Linux UDP_SEGMENT): a run
 * of datagrams to one peer, all of one size but the last, leaves in one
 * send as one buffer the kernel cuts into datagrams as late as it can (on
 * loopback, a receiver with UDP_GRO even gets it whole). The relay's
 * trains to one member are such runs: TeaConn pads a packet that more
 * follow to the full 1200 bytes. The only code here that works on the
 * socket's file descriptor; GLib has no way to pass the control message.
 */
#pragma once

#include <gio/gio.h>

#include "tea-relay.h"

G_BEGIN_DECLS

typedef struct _TeaGsoSender TeaGsoSender;

/* NULL where the kernel or the socket cannot segment (not Linux, too old,
 * not UDP). */
TeaGsoSender *tea_gso_sender_new (GSocket *socket);
void tea_gso_sender_free (TeaGsoSender *sender);

/* Sends datagrams[0 .. n) on the socket. Returns how many were dealt with:
 * sent, or dropped as a full buffer or an unreachable peer drops them (the
 * sessions retransmit). Fewer than n only when the kernel refused to
 * segment (e.g. EIO from a device without checksum offload): the sender is
 * then of no more use and the caller sends the rest another way. */
guint tea_gso_sender_send (TeaGsoSender *sender, const TeaDatagram *datagrams, guint n);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TeaGsoSender, tea_gso_sender_free)

G_END_DECLS
