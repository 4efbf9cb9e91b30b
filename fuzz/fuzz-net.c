/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <string.h>

#include "fuzz-net.h"

#define PROLOGUE "teahouse/1"

static const char *const addr_literals[FUZZ_N_ADDRS] = {
  "192.0.2.1", "192.0.2.1", "192.0.2.2", "2001:db8::1", "2001:db8::1", "198.51.100.7",
};

static void
datagram_free (FuzzDatagram *d)
{
  g_bytes_unref (d->bytes);
  g_free (d);
}

static guint
addr_index (FuzzNet *net, const TeaAddr *addr)
{
  for (guint i = 0; i < FUZZ_N_ADDRS; i++)
    if (tea_addr_equal (&net->addrs[i], addr))
      return i;
  g_error ("the relay sent to an address nobody used");
}

/* Replies that only follow a valid cookie: the address proved it receives. */
static gboolean
proves_address (const guint8 *data, gsize len)
{
  TeaReject reject;
  guint8 type;

  if (tea_packet_classify (data, len, &type) != TEA_PACKET_CLASS_NATIVE)
    return FALSE;
  if (type == TEA_PACKET_ACCEPT)
    return TRUE;
  return tea_reject_decode (data, len, &reject) && reject.code != TEA_CODE_BAD_COOKIE;
}

static void
capture (TeaDatagram *datagrams, guint n, gpointer user_data)
{
  FuzzNet *net = user_data;

  for (guint i = 0; i < n; i++)
    {
      FuzzDatagram *d = g_new (FuzzDatagram, 1);

      g_assert_cmpuint (datagrams[i].len, >, 0);
      g_assert_cmpuint (datagrams[i].len, <=, TEA_MAX_DATAGRAM);
      d->addr = addr_index (net, &datagrams[i].addr);
      d->bytes = g_bytes_new (datagrams[i].data, datagrams[i].len);
      net->sent[d->addr] += datagrams[i].len;
      if (proves_address (datagrams[i].data, datagrams[i].len))
        net->proven[d->addr] = TRUE;
      g_ptr_array_add (net->output, d);
    }
}

static gint64
fixed_wall_clock (void)
{
  return G_GINT64_CONSTANT (1795564800000); /* 2026-11-25 00:00 UTC */
}

void
fuzz_net_init (FuzzNet *net, const TeaRelayConfig *config, guint amplification)
{
  TeaKeypair key;
  guint8 private_key[TEA_KEY_LEN];

  memset (net, 0, sizeof *net);
  for (guint i = 0; i < TEA_KEY_LEN; i++)
    private_key[i] = 0x40 + i;
  tea_keypair_from_private (&key, private_key);
  tea_relay_config_copy (&net->config, config);
  net->now = FUZZ_START_US;
  net->amplification = amplification;
  net->relay = tea_relay_new (config, &key, net->now);
  tea_relay_set_output_func (net->relay, capture, net);
  tea_relay_set_wall_clock (net->relay, fixed_wall_clock);
  net->output = g_ptr_array_new_with_free_func ((GDestroyNotify) datagram_free);
  for (guint i = 0; i < FUZZ_N_ADDRS; i++)
    g_assert_true (tea_addr_parse (&net->addrs[i], addr_literals[i], 40000 + i));
}

/* FUZZ_VERBOSE=1: what an input reached, to check that seeds do what
 * they say. */
static void
print_stats (FuzzNet *net)
{
  const TeaRelayStats *s = tea_relay_get_stats (net->relay);

  g_printerr ("sessions created %" G_GUINT64_FORMAT " ended %" G_GUINT64_FORMAT
              " rejected %" G_GUINT64_FORMAT " hellos %" G_GUINT64_FORMAT " resets %" G_GUINT64_FORMAT
              " migrations %" G_GUINT64_FORMAT " refused %" G_GUINT64_FORMAT " bad-cookie %" G_GUINT64_FORMAT
              " handshake-drops %" G_GUINT64_FORMAT " rooms %u\n",
              s->sessions_created, s->sessions_ended, s->handshakes_rejected, s->hellos, s->resets_sent,
              s->migrations, s->requests_refused, s->dropped_bad_cookie, s->dropped_handshake,
              tea_relay_get_n_rooms (net->relay));
}

void
fuzz_net_clear (FuzzNet *net)
{
  if (g_getenv ("FUZZ_VERBOSE"))
    print_stats (net);
  /* As the daemon stops: everyone is told, then everything is freed. */
  tea_relay_shutdown (net->relay, net->now);
  fuzz_net_check (net);
  g_clear_object (&net->relay);
  g_ptr_array_unref (net->output);
  tea_relay_config_clear (&net->config);
}

void
fuzz_net_check (FuzzNet *net)
{
  const TeaRelayStats *stats = tea_relay_get_stats (net->relay);
  guint n_sessions = tea_relay_get_n_sessions (net->relay);

  g_assert_cmpuint (stats->unvalidated_bytes_sent, <=, stats->unvalidated_bytes_received);
  g_assert_cmpuint (stats->sessions_created - stats->sessions_ended, ==, n_sessions);
  g_assert_cmpuint (n_sessions, <=, net->config.max_sessions);
  for (guint i = 0; i < FUZZ_N_ADDRS; i++)
    if (!net->proven[i] && !net->legacy[i])
      g_assert_cmpuint (net->sent[i], <=, net->amplification * net->received[i]);
}

static void
flush (FuzzNet *net)
{
  tea_relay_flush (net->relay, net->now);
  fuzz_net_check (net);
}

void
fuzz_net_send (FuzzNet *net, guint addr, const guint8 *data, gsize len)
{
  /* An exact-size copy: the relay decrypts in place, and ASan sees any
   * read past the end. */
  g_autofree guint8 *copy = g_memdup2 (data, len);

  g_assert_cmpuint (addr, <, FUZZ_N_ADDRS);
  net->received[addr] += len;
  if (net->config.legacy && tea_packet_classify (data, len, &(guint8) { 0 }) != TEA_PACKET_CLASS_NATIVE)
    net->legacy[addr] = TRUE;
  tea_relay_receive (net->relay, &net->addrs[addr], copy, len, net->now);
  flush (net);
}

void
fuzz_net_advance (FuzzNet *net, gint64 us)
{
  net->now += us;
  tea_relay_handle_timeouts (net->relay, net->now);
  flush (net);
}

GPtrArray *
fuzz_net_take_output (FuzzNet *net)
{
  GPtrArray *output = net->output;

  net->output = g_ptr_array_new_with_free_func ((GDestroyNotify) datagram_free);
  return output;
}

/* ---- The client's side of the handshake ---------------------------------- */

gsize
fuzz_build_hello (const guint8 token[TEA_CLIENT_TOKEN_LEN], guint8 out[TEA_HANDSHAKE_PADDED_LEN])
{
  TeaHello hello;

  memcpy (hello.client_token, token, TEA_CLIENT_TOKEN_LEN);
  return tea_hello_encode (&hello, out, TEA_HANDSHAKE_PADDED_LEN);
}

void
fuzz_build_init (FuzzHandshake *hs, const guint8 server_key[TEA_KEY_LEN], const guint8 cookie[TEA_COOKIE_LEN])
{
  TeaInit init = { 0 };
  guint8 noise[128];
  gssize noise_len;

  tea_noise_init_initiator (&hs->noise, (const guint8 *) PROLOGUE, strlen (PROLOGUE), server_key);
  noise_len = tea_noise_write_message (&hs->noise, NULL, 0, noise, sizeof noise);
  g_assert_cmpint (noise_len, ==, TEA_KEY_LEN + TEA_TAG_LEN);
  memcpy (init.client_token, hs->token, TEA_CLIENT_TOKEN_LEN);
  memcpy (init.cookie, cookie, TEA_COOKIE_LEN);
  init.noise = noise;
  init.noise_len = noise_len;
  hs->init_len = tea_init_encode (&init, hs->init, sizeof hs->init);
  g_assert_cmpuint (hs->init_len, ==, TEA_HANDSHAKE_PADDED_LEN);
}

gboolean
fuzz_find_cookie (GPtrArray *output, guint addr, const guint8 token[TEA_CLIENT_TOKEN_LEN],
                  guint8 cookie[TEA_COOKIE_LEN])
{
  for (guint i = 0; i < output->len; i++)
    {
      FuzzDatagram *d = g_ptr_array_index (output, i);
      TeaCookieReply reply;
      gsize len;
      const guint8 *data = g_bytes_get_data (d->bytes, &len);

      if (d->addr == addr && tea_cookie_reply_decode (data, len, &reply) &&
          memcmp (reply.client_token, token, TEA_CLIENT_TOKEN_LEN) == 0)
        {
          memcpy (cookie, reply.cookie, TEA_COOKIE_LEN);
          return TRUE;
        }
    }
  return FALSE;
}

gboolean
fuzz_find_accept (GPtrArray *output, guint addr, FuzzHandshake *hs, TeaAcceptParams *params,
                  guint8 c2s[TEA_KEY_LEN], guint8 s2c[TEA_KEY_LEN])
{
  for (guint i = 0; i < output->len; i++)
    {
      FuzzDatagram *d = g_ptr_array_index (output, i);
      TeaAccept accept;
      guint8 payload[64];
      gssize n;
      gsize len;
      const guint8 *data = g_bytes_get_data (d->bytes, &len);

      if (d->addr != addr || !tea_accept_decode (data, len, &accept) ||
          memcmp (accept.client_token, hs->token, TEA_CLIENT_TOKEN_LEN) != 0 || hs->noise.step != 1)
        continue;
      /* Every ACCEPT is smaller than the INIT it answers. */
      g_assert_cmpuint (len, <=, TEA_HANDSHAKE_PADDED_LEN);
      n = tea_noise_read_message (&hs->noise, accept.noise, accept.noise_len, payload, sizeof payload);
      g_assert_cmpint (n, ==, TEA_ACCEPT_PARAMS_LEN);
      g_assert_true (tea_accept_params_decode (payload, n, params));
      g_assert_cmpuint (params->session_id, !=, 0);
      tea_noise_split (&hs->noise, c2s, s2c);
      return TRUE;
    }
  return FALSE;
}
