/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A TeaRelay on a fake network for the relay fuzz targets: a fixed server
 * key, a fake clock, a handful of fake addresses, every datagram the relay
 * sends captured, and the invariants that must hold after each step
 * (accounting, session counts, no amplification towards addresses that
 * have not proven they receive).
 */
#pragma once

#include "fuzz-common.h"
#include "tea-noise.h"
#include "tea-packet.h"
#include "tea-relay.h"

G_BEGIN_DECLS

#define FUZZ_N_ADDRS 6
#define FUZZ_START_US (G_GINT64_CONSTANT (1000) * G_USEC_PER_SEC)

typedef struct
{
  guint addr; /* index into FuzzNet.addrs */
  GBytes *bytes;
} FuzzDatagram;

typedef struct
{
  TeaRelay *relay;
  TeaRelayConfig config;
  gint64 now;
  TeaAddr addrs[FUZZ_N_ADDRS];
  guint64 received[FUZZ_N_ADDRS];
  guint64 sent[FUZZ_N_ADDRS];
  /* An address has proven it receives once the relay answers it after a
   * valid cookie, or once a client there got the relay's packets. */
  gboolean proven[FUZZ_N_ADDRS];
  gboolean legacy[FUZZ_N_ADDRS]; /* sent plaintext: the legacy budget applies */
  guint amplification;           /* what an unproven address may get, × received */
  GPtrArray *output;             /* FuzzDatagram, since the last take */
} FuzzNet;

void fuzz_net_init (FuzzNet *net, const TeaRelayConfig *config, guint amplification);
void fuzz_net_clear (FuzzNet *net);
/* One datagram from addrs[addr]; then flush and check. */
void fuzz_net_send (FuzzNet *net, guint addr, const guint8 *data, gsize len);
void fuzz_net_advance (FuzzNet *net, gint64 us);
/* What the relay sent since the last call; the caller owns it. */
GPtrArray *fuzz_net_take_output (FuzzNet *net);
void fuzz_net_check (FuzzNet *net);

/* A client's side of the handshake, built from the protocol library. */
typedef struct
{
  guint8 token[TEA_CLIENT_TOKEN_LEN];
  TeaNoiseHandshake noise;
  guint8 init[TEA_HANDSHAKE_PADDED_LEN];
  gsize init_len;
} FuzzHandshake;

gsize fuzz_build_hello (const guint8 token[TEA_CLIENT_TOKEN_LEN], guint8 out[TEA_HANDSHAKE_PADDED_LEN]);
/* A real INIT (Noise NK message 1 to the relay's key) into hs->init. */
void fuzz_build_init (FuzzHandshake *hs, const guint8 server_key[TEA_KEY_LEN], const guint8 cookie[TEA_COOKIE_LEN]);
/* The COOKIE for token in output sent to addr, if any. */
gboolean fuzz_find_cookie (GPtrArray *output, guint addr, const guint8 token[TEA_CLIENT_TOKEN_LEN],
                           guint8 cookie[TEA_COOKIE_LEN]);
/* The ACCEPT for hs in output to addr, opened: the session's parameters
 * and keys. An ACCEPT that carries hs's token but does not open fails. */
gboolean fuzz_find_accept (GPtrArray *output, guint addr, FuzzHandshake *hs, TeaAcceptParams *params,
                           guint8 c2s[TEA_KEY_LEN], guint8 s2c[TEA_KEY_LEN]);

G_END_DECLS
