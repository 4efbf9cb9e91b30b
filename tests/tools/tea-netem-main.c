/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * tea-netem: a UDP proxy that makes a bad network in user space (the
 * kernel here has no netem). See tea-netem --help and docs/RELIABILITY.md.
 */
#include <glib-unix.h>
#include <gio/gio.h>
#include <locale.h>
#include <stdlib.h>

#include "tea-fd-limit.h"
#include "tea-netem.h"

typedef struct
{
  TeaImpairConfig config[TEA_NETEM_N_DIRECTIONS];
} Options;

typedef gboolean (*ParseFunc) (const char *value, TeaImpairConfig *config, GError **error);

static gboolean
bad_value (const char *value, const char *what, GError **error)
{
  g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "“%s” is not %s", value, what);
  return FALSE;
}

/* "0.2" or "20%". */
static gboolean
parse_probability (const char *value, double *out, GError **error)
{
  char *end;
  double p = g_ascii_strtod (value, &end);

  if (end == value)
    return bad_value (value, "a probability (0.2 or 20%)", error);
  if (*end == '%')
    {
      p /= 100;
      end++;
    }
  if (*end != '\0' || p < 0 || p > 1)
    return bad_value (value, "a probability (0.2 or 20%)", error);
  *out = p;
  return TRUE;
}

/* "50ms", "2s", "300us"; a bare number is milliseconds. */
static gboolean
parse_duration (const char *value, gint64 *out, GError **error)
{
  char *end;
  double t = g_ascii_strtod (value, &end);
  double scale;

  if (end == value || t < 0)
    return bad_value (value, "a duration (50ms, 2s)", error);
  if (*end == '\0' || g_str_equal (end, "ms"))
    scale = 1000;
  else if (g_str_equal (end, "s"))
    scale = G_USEC_PER_SEC;
  else if (g_str_equal (end, "us"))
    scale = 1;
  else
    return bad_value (value, "a duration (50ms, 2s)", error);
  *out = (gint64) (t * scale);
  return TRUE;
}

/* "1500", "64k": bytes. */
static gboolean
parse_size (const char *value, gsize *out, GError **error)
{
  char *end;
  guint64 n = g_ascii_strtoull (value, &end, 10);

  if (end == value)
    return bad_value (value, "a size in bytes (1200, 64k)", error);
  if (g_ascii_tolower (*end) == 'k')
    {
      n *= 1024;
      end++;
    }
  if (*end != '\0' || n > G_MAXSIZE)
    return bad_value (value, "a size in bytes (1200, 64k)", error);
  *out = n;
  return TRUE;
}

static gboolean
parse_loss (const char *value, TeaImpairConfig *config, GError **error)
{
  return parse_probability (value, &config->loss, error);
}

static gboolean
parse_duplicate (const char *value, TeaImpairConfig *config, GError **error)
{
  return parse_probability (value, &config->duplicate, error);
}

/* P,R[,LOSS_BAD[,LOSS_GOOD]], like netem's "loss gemodel p r 1-h 1-k". */
static gboolean
parse_burst_loss (const char *value, TeaImpairConfig *config, GError **error)
{
  g_auto (GStrv) parts = g_strsplit (value, ",", -1);
  guint n = g_strv_length (parts);

  config->burst_loss_bad = 1;
  config->burst_loss_good = 0;
  if (n < 2 || n > 4)
    return bad_value (value, "P,R[,LOSS_BAD[,LOSS_GOOD]]", error);
  return parse_probability (parts[0], &config->burst_p, error) &&
         parse_probability (parts[1], &config->burst_r, error) &&
         (n < 3 || parse_probability (parts[2], &config->burst_loss_bad, error)) &&
         (n < 4 || parse_probability (parts[3], &config->burst_loss_good, error));
}

/* P[,WINDOW] */
static gboolean
parse_reorder (const char *value, TeaImpairConfig *config, GError **error)
{
  g_auto (GStrv) parts = g_strsplit (value, ",", 2);
  guint64 window = 3;

  if (!parse_probability (parts[0], &config->reorder, error))
    return FALSE;
  if (parts[1] && !g_ascii_string_to_unsigned (parts[1], 10, 1, 1000, &window, NULL))
    return bad_value (value, "P[,WINDOW] with a window of 1 to 1000", error);
  config->reorder_window = window;
  return TRUE;
}

static gboolean
parse_delay (const char *value, TeaImpairConfig *config, GError **error)
{
  return parse_duration (value, &config->delay_us, error);
}

static gboolean
parse_jitter (const char *value, TeaImpairConfig *config, GError **error)
{
  return parse_duration (value, &config->jitter_us, error);
}

/* "1mbit", "256kbit", "100kB" (per second). */
static gboolean
parse_rate (const char *value, TeaImpairConfig *config, GError **error)
{
  static const struct
  {
    const char *unit;
    double bytes;
  } units[] = {
    { "bit", 1 / 8.0 }, { "kbit", 1000 / 8.0 }, { "mbit", 1e6 / 8 }, { "gbit", 1e9 / 8 },
    { "B", 1 }, { "kB", 1000 }, { "MB", 1e6 },
  };
  char *end;
  double n = g_ascii_strtod (value, &end);

  for (guint i = 0; end != value && n > 0 && i < G_N_ELEMENTS (units); i++)
    if (g_str_equal (end, units[i].unit))
      {
        config->rate = MAX (1, (guint64) (n * units[i].bytes));
        return TRUE;
      }
  return bad_value (value, "a rate (1mbit, 256kbit, 100kB)", error);
}

static gboolean
parse_rate_burst (const char *value, TeaImpairConfig *config, GError **error)
{
  return parse_size (value, &config->rate_burst, error);
}

static gboolean
parse_queue (const char *value, TeaImpairConfig *config, GError **error)
{
  return parse_size (value, &config->queue_limit, error);
}

static gboolean
parse_mtu (const char *value, TeaImpairConfig *config, GError **error)
{
  return parse_size (value, &config->mtu, error);
}

static const struct
{
  const char *name;
  ParseFunc parse;
} impairments[] = {
  { "--loss", parse_loss },
  { "--burst-loss", parse_burst_loss },
  { "--duplicate", parse_duplicate },
  { "--reorder", parse_reorder },
  { "--delay", parse_delay },
  { "--jitter", parse_jitter },
  { "--rate", parse_rate },
  { "--rate-burst", parse_rate_burst },
  { "--queue", parse_queue },
  { "--mtu", parse_mtu },
};

/* Every impairment option takes VALUE (both directions), up:VALUE or
 * down:VALUE. */
static gboolean
on_impairment (const char *option_name, const char *value, gpointer data, GError **error)
{
  Options *options = data;
  guint first = 0, last = TEA_NETEM_N_DIRECTIONS;

  if (g_str_has_prefix (value, "up:"))
    {
      value += 3;
      last = TEA_NETEM_UP + 1;
    }
  else if (g_str_has_prefix (value, "down:"))
    {
      value += 5;
      first = TEA_NETEM_DOWN;
    }
  for (guint i = 0; i < G_N_ELEMENTS (impairments); i++)
    if (g_str_equal (option_name, impairments[i].name))
      {
        for (guint d = first; d < last; d++)
          if (!impairments[i].parse (value, &options->config[d], error))
            {
              g_prefix_error (error, "%s: ", option_name);
              return FALSE;
            }
        return TRUE;
      }
  g_assert_not_reached ();
}

static GSocketAddress *
resolve (const char *host_and_port, gboolean literal, GError **error)
{
  g_autoptr (GSocketConnectable) connectable = g_network_address_parse (host_and_port, 0, error);
  g_autoptr (GResolver) resolver = NULL;
  GNetworkAddress *address;
  GList *ips;
  GSocketAddress *result;

  if (connectable == NULL)
    return NULL;
  address = G_NETWORK_ADDRESS (connectable);
  if (g_network_address_get_port (address) == 0 && !literal)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "“%s” has no port", host_and_port);
      return NULL;
    }
  if (literal)
    {
      g_autoptr (GInetAddress) ip = g_inet_address_new_from_string (g_network_address_get_hostname (address));

      if (ip == NULL)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "“%s” is not an IP address and port", host_and_port);
          return NULL;
        }
      return g_inet_socket_address_new (ip, g_network_address_get_port (address));
    }
  resolver = g_resolver_get_default ();
  ips = g_resolver_lookup_by_name (resolver, g_network_address_get_hostname (address), NULL, error);
  if (ips == NULL)
    return NULL;
  result = g_inet_socket_address_new (ips->data, g_network_address_get_port (address));
  g_resolver_free_addresses (ips);
  return result;
}

static char *
describe (const TeaImpairConfig *c)
{
  GString *s = g_string_new (NULL);

  if (c->loss)
    g_string_append_printf (s, " loss %g%%", c->loss * 100);
  if (c->burst_p)
    g_string_append_printf (s, " burst-loss p=%g r=%g bad=%g good=%g", c->burst_p, c->burst_r,
                            c->burst_loss_bad, c->burst_loss_good);
  if (c->duplicate)
    g_string_append_printf (s, " duplicate %g%%", c->duplicate * 100);
  if (c->reorder)
    g_string_append_printf (s, " reorder %g%% window %u", c->reorder * 100, c->reorder_window);
  if (c->delay_us || c->jitter_us)
    g_string_append_printf (s, " delay %.1f ms + 0-%.1f ms", c->delay_us / 1000.0, c->jitter_us / 1000.0);
  if (c->rate)
    g_string_append_printf (s, " rate %" G_GUINT64_FORMAT " B/s", c->rate);
  if (c->mtu)
    g_string_append_printf (s, " mtu %" G_GSIZE_FORMAT, c->mtu);
  if (s->len == 0)
    g_string_append (s, " none");
  return g_string_free (s, FALSE);
}

static gboolean
on_quit (gpointer loop)
{
  g_main_loop_quit (loop);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_toggle_blackout (gpointer user_data)
{
  TeaNetem *netem = user_data;
  gboolean blackout = !tea_netem_get_config (netem, TEA_NETEM_UP)->blackout;

  tea_netem_set_blackout (netem, blackout);
  g_print ("tea-netem: %s\n", blackout ? "outage begins" : "outage ends");
  return G_SOURCE_CONTINUE;
}

int
main (int argc, char **argv)
{
  Options options = { 0 };
  g_autofree char *listen = NULL;
  g_autofree char *upstream = NULL;
  gint64 seed = -1;
  gint rebind = 0, mapping_timeout = 120;
  gboolean stats = FALSE;
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (GSocketAddress) listen_address = NULL;
  g_autoptr (GSocketAddress) upstream_address = NULL;
  g_autoptr (TeaNetem) netem = NULL;
  g_autoptr (GMainLoop) loop = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *up = NULL;
  g_autofree char *down = NULL;
  GOptionGroup *group;
  const GOptionEntry entries[] = {
    { "listen", 'l', 0, G_OPTION_ARG_STRING, &listen, "Where clients send (port 0: any free port)", "ADDR:PORT" },
    { "upstream", 'u', 0, G_OPTION_ARG_STRING, &upstream, "Where to forward (the relay; the first address HOST resolves to)", "HOST:PORT" },
    { "rebind", 0, 0, G_OPTION_ARG_INT, &rebind, "Move each mapping to a new port every N seconds, as a NAT does (default: never)", "N" },
    { "mapping-timeout", 0, 0, G_OPTION_ARG_INT, &mapping_timeout, "Forget a mapping idle this long (default 120)", "SECONDS" },
    { "seed", 0, 0, G_OPTION_ARG_INT64, &seed, "Seed for every random choice (default: from the clock, printed)", "N" },
    { "stats", 0, 0, G_OPTION_ARG_NONE, &stats, "Print the counters when stopped (SIGINT, SIGTERM)", NULL },
    { NULL }
  };
  const GOptionEntry impairment_entries[] = {
    { "loss", 0, 0, G_OPTION_ARG_CALLBACK, on_impairment, "Independent loss (0.05 or 5%)", "P" },
    { "burst-loss", 0, 0, G_OPTION_ARG_CALLBACK, on_impairment, "Gilbert–Elliott burst loss: good→bad P, bad→good R, loss in the bad (default 1) and good (default 0) states", "P,R[,BAD[,GOOD]]" },
    { "duplicate", 0, 0, G_OPTION_ARG_CALLBACK, on_impairment, "Duplication probability", "P" },
    { "reorder", 0, 0, G_OPTION_ARG_CALLBACK, on_impairment, "Hold a datagram back, with probability P, until WINDOW later ones (default 3) went ahead, 100 ms at most", "P[,WINDOW]" },
    { "delay", 0, 0, G_OPTION_ARG_CALLBACK, on_impairment, "Fixed one-way delay (50ms, 1s)", "TIME" },
    { "jitter", 0, 0, G_OPTION_ARG_CALLBACK, on_impairment, "Extra delay, uniform from 0 to TIME (reorders too)", "TIME" },
    { "rate", 0, 0, G_OPTION_ARG_CALLBACK, on_impairment, "Bandwidth cap (1mbit, 256kbit, 100kB per second)", "RATE" },
    { "rate-burst", 0, 0, G_OPTION_ARG_CALLBACK, on_impairment, "Token bucket depth of the cap (default 1500)", "BYTES" },
    { "queue", 0, 0, G_OPTION_ARG_CALLBACK, on_impairment, "Bytes waiting for the cap before tail drop (default 64k)", "BYTES" },
    { "mtu", 0, 0, G_OPTION_ARG_CALLBACK, on_impairment, "Drop datagrams larger than this", "BYTES" },
    { NULL }
  };

  setlocale (LC_ALL, "");
  context = g_option_context_new ("— a UDP proxy that impairs what it forwards");
  g_option_context_set_summary (context, "Impairments take VALUE for both directions, or up:VALUE or down:VALUE\n"
                                         "(up is client → upstream); give one twice to set both ways apart.");
  group = g_option_group_new ("tea-netem", NULL, NULL, &options, NULL);
  g_option_group_add_entries (group, entries);
  g_option_group_add_entries (group, impairment_entries);
  g_option_context_set_main_group (context, group);
  g_option_context_set_description (context,
                                    "SIGUSR1 starts or ends a total outage (both directions). Example:\n"
                                    "  tea-netem --listen 127.0.0.1:9998 --upstream 127.0.0.1:9999 \\\n"
                                    "    --loss 5% --burst-loss 0.01,0.3 --jitter 40ms --rebind 30 --seed 1 --stats\n");
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("tea-netem: %s\n", error->message);
      return EXIT_FAILURE;
    }
  if (listen == NULL || upstream == NULL || rebind < 0 || mapping_timeout < 0 || seed > G_MAXUINT32)
    {
      g_printerr ("tea-netem: --listen ADDR:PORT and --upstream HOST:PORT are needed (see --help)\n");
      return EXIT_FAILURE;
    }
  if (seed < 0)
    seed = g_get_real_time () & G_MAXUINT32;
  listen_address = resolve (listen, TRUE, &error);
  if (listen_address)
    upstream_address = resolve (upstream, FALSE, &error);
  if (upstream_address == NULL)
    {
      g_printerr ("tea-netem: %s\n", error->message);
      return EXIT_FAILURE;
    }
  tea_raise_fd_limit ();
  netem = tea_netem_new (listen_address, upstream_address, seed, &error);
  if (netem == NULL)
    {
      g_printerr ("tea-netem: cannot listen on %s: %s\n", listen, error->message);
      return EXIT_FAILURE;
    }
  for (guint d = 0; d < TEA_NETEM_N_DIRECTIONS; d++)
    *tea_netem_get_config (netem, d) = options.config[d];
  tea_netem_set_rebind_interval (netem, rebind);
  tea_netem_set_mapping_timeout (netem, mapping_timeout);

  up = describe (&options.config[TEA_NETEM_UP]);
  down = describe (&options.config[TEA_NETEM_DOWN]);
  {
    GInetAddress *ip = g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (upstream_address));
    g_autofree char *upstream_ip = g_inet_address_to_string (ip);

    /* Scripts read the port from this line. */
    g_print ("tea-netem: listening on port %u, forwarding to %s port %u, seed %" G_GINT64_FORMAT "\n"
             "tea-netem: up:%s; down:%s; rebind %s%d s\n",
             tea_netem_get_port (netem), upstream_ip,
             g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (upstream_address)), seed,
             up, down, rebind ? "every " : "never ", rebind);
  }

  loop = g_main_loop_new (NULL, FALSE);
  g_unix_signal_add (SIGINT, on_quit, loop);
  g_unix_signal_add (SIGTERM, on_quit, loop);
  g_unix_signal_add (SIGUSR1, on_toggle_blackout, netem);
  g_main_loop_run (loop);

  if (stats)
    {
      g_autofree char *table = tea_netem_format_stats (netem);
      g_print ("%s", table);
    }
  return EXIT_SUCCESS;
}
