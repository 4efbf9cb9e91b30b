/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The tutorial's plaintext clients (tests/seed/client.py) on a relay with
 * legacy support: raw sockets send exactly what that client sends (the
 * name, then "name : text", then "name : exit"), and a native member of
 * "lobby" checks what the room makes of it. Also what the legacy sockets
 * receive back: the seed's own notices, splitting at 1024 bytes, the
 * per-address budget, and that a relay without legacy support ignores
 * them all.
 */
#include <string.h>

#include "tea-names.h"
#include "tea-test-util.h"

/* The seed client reads with recv(1024); a larger buffer here would show
 * any datagram that the seed client would have cut. */
#define SEED_RECV_MAX 1024
#define RECV_BUFFER 65536

/* ---- A raw socket that speaks as the seed client ----------------------- */

typedef struct
{
  GSocket *socket;
  GSocketAddress *relay;
  GSource *source;
  char *name;
  GPtrArray *received; /* GBytes: every datagram, in order */
  gsize n_bytes;
} Legacy;

static gboolean
on_legacy_readable (GSocket *socket, GIOCondition condition, gpointer user_data)
{
  Legacy *legacy = user_data;
  g_autofree char *buffer = g_malloc (RECV_BUFFER);

  for (;;)
    {
      g_autoptr (GError) error = NULL;
      gssize n = g_socket_receive (socket, buffer, RECV_BUFFER, NULL, &error);

      if (n < 0)
        {
          /* Anything but "drained" (an ICMP error, say) is a finding. */
          g_assert_error (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK);
          break;
        }
      g_ptr_array_add (legacy->received, g_bytes_new (buffer, n));
      legacy->n_bytes += n;
    }
  return G_SOURCE_CONTINUE;
}

static Legacy *
legacy_new (guint16 port, const char *name)
{
  Legacy *legacy = g_new0 (Legacy, 1);
  g_autoptr (GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) any_port = g_inet_socket_address_new (loopback, 0);
  g_autoptr (GError) error = NULL;

  legacy->socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, &error);
  g_assert_no_error (error);
  g_socket_set_blocking (legacy->socket, FALSE);
  g_assert_true (g_socket_bind (legacy->socket, any_port, FALSE, &error));
  legacy->relay = g_inet_socket_address_new (loopback, port);
  legacy->name = g_strdup (name);
  legacy->received = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  legacy->source = g_socket_create_source (legacy->socket, G_IO_IN, NULL);
  g_source_set_callback (legacy->source, G_SOURCE_FUNC (on_legacy_readable), legacy, NULL);
  g_source_attach (legacy->source, NULL);
  return legacy;
}

static void
legacy_free (Legacy *legacy)
{
  g_source_destroy (legacy->source);
  g_source_unref (legacy->source);
  g_object_unref (legacy->socket);
  g_object_unref (legacy->relay);
  g_ptr_array_unref (legacy->received);
  g_free (legacy->name);
  g_free (legacy);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Legacy, legacy_free)

static void
legacy_send_raw (Legacy *legacy, const void *data, gsize len)
{
  g_autoptr (GError) error = NULL;

  g_assert_cmpint (g_socket_send_to (legacy->socket, legacy->relay, data, len, NULL, &error), ==, len);
  g_assert_no_error (error);
}

/* sock.sendto(name.encode('utf-8'), addr) */
static void
legacy_hello (Legacy *legacy)
{
  legacy_send_raw (legacy, legacy->name, strlen (legacy->name));
}

/* sock.sendto((name + ' : ' + string).encode('utf-8'), addr) */
static void
legacy_say (Legacy *legacy, const char *text)
{
  g_autofree char *line = g_strconcat (legacy->name, " : ", text, NULL);

  legacy_send_raw (legacy, line, strlen (line));
}

static guint
legacy_count (Legacy *legacy, const char *text)
{
  guint n = 0;

  for (guint i = 0; i < legacy->received->len; i++)
    {
      gsize len;
      const char *data = g_bytes_get_data (legacy->received->pdata[i], &len);

      if (len == strlen (text) && memcmp (data, text, len) == 0)
        n++;
    }
  return n;
}

typedef struct
{
  Legacy *legacy;
  const char *text;
} LegacyWait;

static gboolean
legacy_got (gpointer user_data)
{
  LegacyWait *w = user_data;
  return legacy_count (w->legacy, w->text) > 0;
}

/* Waits for a datagram that is exactly text. */
static void
legacy_wait (Legacy *legacy, const char *text)
{
  LegacyWait w = { legacy, text };

  if (!tea_test_wait (legacy_got, &w, 10000))
    g_error ("legacy client %s never received “%s” (%u datagrams)", legacy->name, text, legacy->received->len);
}

typedef struct
{
  Legacy *legacy;
  gsize n;
} BytesWait;

static gboolean
legacy_got_bytes (gpointer user_data)
{
  BytesWait *w = user_data;
  return w->legacy->n_bytes >= w->n;
}

static void
legacy_wait_bytes (Legacy *legacy, gsize n)
{
  BytesWait w = { legacy, n };

  if (!tea_test_wait (legacy_got_bytes, &w, 10000))
    g_error ("legacy client %s received %" G_GSIZE_FORMAT " bytes, expected %" G_GSIZE_FORMAT,
             legacy->name, legacy->n_bytes, n);
}

/* ---- What the native member saw ---------------------------------------- */

/* Whether the peer saw exactly this event: rest is "nick text", and so
 * "nick " for an event without text. The recorded line is
 * "room seq kind nick text". */
static gboolean
saw_exactly (TeaTestPeer *peer, const char *kind, const char *rest)
{
  g_autofree char *tail = g_strdup_printf (" %s %s", kind, rest);

  for (guint i = 0; i < peer->events->len; i++)
    {
      const char *line = peer->events->pdata[i];
      const char *seq = strchr (line, ' ');
      const char *after_seq = seq ? strchr (seq + 1, ' ') : NULL;

      if (after_seq && g_str_equal (after_seq, tail))
        return TRUE;
    }
  return FALSE;
}

static void
assert_saw (TeaTestPeer *peer, const char *kind, const char *rest)
{
  g_autoptr (GString) all = g_string_new (NULL);

  if (saw_exactly (peer, kind, rest))
    return;
  for (guint i = 0; i < peer->events->len; i++)
    g_string_append_printf (all, "%s\n", (const char *) peer->events->pdata[i]);
  g_error ("expected “%s %s” among:\n%s", kind, rest, all->str);
}

typedef struct
{
  TeaTestPeer *peer;
  const char *line;
} NamesWait;

static gboolean
names_seen (gpointer user_data)
{
  NamesWait *w = user_data;

  for (guint i = 0; i < w->peer->messages->len; i++)
    if (g_str_equal (w->peer->messages->pdata[i], w->line))
      return TRUE;
  return FALSE;
}

/* Asks for the lobby's members and waits for exactly this answer, e.g.
 * "NAMES bob alice(u)"; (u) marks an unencrypted member. */
static void
assert_names (TeaTestPeer *peer, const char *line)
{
  NamesWait w = { peer, line };

  g_assert_cmpuint (tea_client_names (peer->client, "lobby"), !=, 0);
  if (!tea_test_wait (names_seen, &w, 10000))
    g_error ("%s never got “%s”", tea_client_get_nick (peer->client), line);
}

/* The member flags of room events, which the recorded lines leave out:
 * "kind nick" -> flags, the latest of each. */
static void
flags_unref (gpointer data, GClosure *closure)
{
  g_hash_table_unref (data);
}

static void
on_event_flags (TeaClient *client, const char *room, gpointer event_ptr, gpointer user_data)
{
  GHashTable *flags = user_data;
  const TeaEvent *e = event_ptr;

  g_hash_table_insert (flags, g_strdup_printf ("%u %.*s", e->kind, (int) e->nick.len, e->nick.str),
                       GUINT_TO_POINTER (e->flags));
}

static GHashTable *
record_flags (TeaTestPeer *peer)
{
  GHashTable *flags = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  g_signal_connect_data (peer->client, "event", G_CALLBACK (on_event_flags), g_hash_table_ref (flags),
                         flags_unref, 0);
  return flags;
}

static guint
flags_of (GHashTable *flags, TeaEventKind kind, const char *nick)
{
  g_autofree char *key = g_strdup_printf ("%u %s", kind, nick);
  gpointer value;

  if (!g_hash_table_lookup_extended (flags, key, NULL, &value))
    g_error ("no %s event recorded", key);
  return GPOINTER_TO_UINT (value);
}

static void
say (TeaTestPeer *peer, const char *text, TeaTextKind kind)
{
  g_assert_cmpuint (tea_client_say (peer->client, "lobby", text, kind), !=, 0);
}

static TeaTestRelay *
legacy_relay_new (TeaRelayConfig *config)
{
  TeaRelayConfig defaults;
  TeaTestRelay *relay;

  if (config)
    return tea_test_relay_new (config);
  tea_relay_config_init (&defaults);
  defaults.legacy = TRUE;
  relay = tea_test_relay_new (&defaults);
  tea_relay_config_clear (&defaults);
  return relay;
}

typedef struct
{
  const guint64 *counter;
  guint64 n;
} StatWait;

static gboolean
stat_reached (gpointer user_data)
{
  StatWait *w = user_data;
  return *w->counter >= w->n;
}

/* Waits until one of the relay's counters (a field of its stats) is n. */
static void
wait_stat (const guint64 *counter, guint64 n)
{
  StatWait w = { counter, n };

  if (!tea_test_wait (stat_reached, &w, 10000))
    g_error ("a relay counter stayed at %" G_GUINT64_FORMAT ", expected %" G_GUINT64_FORMAT, *counter, n);
}

/* ---- Tests --------------------------------------------------------------- */

static void
test_join_say_exit (gconstpointer data)
{
  const char *exit_word = data;
  g_autoptr (TeaTestRelay) relay = legacy_relay_new (NULL);
  g_autoptr (TeaTestPeer) bob = tea_test_peer_new (relay->port, "bob");
  g_autoptr (Legacy) alice = legacy_new (relay->port, "alice");
  g_autoptr (GHashTable) flags = record_flags (bob);

  tea_test_peer_connect (bob, "lobby");
  legacy_hello (alice);
  tea_test_peer_wait_count (bob, "JOIN", "alice", 1);
  assert_saw (bob, "JOIN", "alice ");
  g_assert_cmpuint (flags_of (flags, TEA_EVENT_JOIN, "alice") & TEA_MEMBER_FLAG_UNENCRYPTED, !=, 0);
  assert_names (bob, "NAMES bob alice(u)");

  /* The room gets the text alone; the seed's "name : " is its framing. */
  legacy_say (alice, "你好，茶馆");
  tea_test_peer_wait_count (bob, "MESSAGE", "你好，茶馆", 1);
  assert_saw (bob, "MESSAGE", "alice 你好，茶馆");
  g_assert_cmpuint (flags_of (flags, TEA_EVENT_MESSAGE, "alice") & TEA_MEMBER_FLAG_UNENCRYPTED, !=, 0);
  /* Only the first separator frames; the rest is what she typed. */
  legacy_say (alice, "tea : coffee");
  tea_test_peer_wait_count (bob, "MESSAGE", "coffee", 1);
  assert_saw (bob, "MESSAGE", "alice tea : coffee");

  say (bob, "hi", TEA_TEXT_KIND_MESSAGE);
  legacy_wait (alice, "bob : hi");
  g_assert_cmpuint (flags_of (flags, TEA_EVENT_MESSAGE, "bob"), ==, 0);
  say (bob, "waves", TEA_TEXT_KIND_ACTION);
  legacy_wait (alice, "* bob waves");
  /* Nothing else: no echo of her own lines, no notice of her own arrival
   * (the seed server sends neither). Datagrams keep their order on
   * loopback, so an echo would have come before these. */
  g_assert_cmpuint (alice->received->len, ==, 2);

  legacy_say (alice, exit_word);
  tea_test_peer_wait_count (bob, "QUIT", "alice", 1);
  assert_saw (bob, "QUIT", "alice ");
  g_assert_cmpuint (tea_test_peer_count (bob, "MESSAGE", exit_word), ==, 0);
  g_assert_cmpuint (tea_relay_get_n_sessions (relay->relay), ==, 1);
  assert_names (bob, "NAMES bob");
}

/* The relay must agree with the seed client on whether it is still there:
 * the client leaves only after a line that is exactly "exit" in some case.
 * Otherwise it goes on, and its next line would come from an address the
 * relay no longer knows: a newcomer named after that line. */
static void
test_exit_exactly (void)
{
  g_autoptr (TeaTestRelay) relay = legacy_relay_new (NULL);
  g_autoptr (TeaTestPeer) bob = tea_test_peer_new (relay->port, "bob");
  g_autoptr (Legacy) alice = legacy_new (relay->port, "alice");

  tea_test_peer_connect (bob, "lobby");
  legacy_hello (alice);
  tea_test_peer_wait_count (bob, "JOIN", "alice", 1);
  legacy_say (alice, "exit ");
  legacy_say (alice, " EXIT");
  legacy_say (alice, "exit now");
  legacy_say (alice, "still here");
  tea_test_peer_wait_count (bob, "MESSAGE", "still here", 1);
  assert_saw (bob, "MESSAGE", "alice still here");
  assert_saw (bob, "MESSAGE", "alice exit now");
  g_assert_cmpuint (tea_test_peer_count (bob, "MESSAGE", "alice"), ==, 4);
  g_assert_cmpuint (tea_test_peer_count (bob, "QUIT", NULL), ==, 0);
  g_assert_cmpuint (tea_test_peer_count (bob, "JOIN", NULL), ==, 2);
  assert_names (bob, "NAMES bob alice(u)");
}

static void
test_notices (void)
{
  g_autoptr (TeaTestRelay) relay = legacy_relay_new (NULL);
  g_autoptr (TeaTestPeer) bob = tea_test_peer_new (relay->port, "bob");
  g_autoptr (TeaTestPeer) dave = tea_test_peer_new (relay->port, "dave");
  g_autoptr (Legacy) alice = legacy_new (relay->port, "alice");
  g_autoptr (Legacy) carol = legacy_new (relay->port, "carol");

  tea_test_peer_connect (bob, "lobby");
  legacy_hello (alice);
  tea_test_peer_wait_count (bob, "JOIN", "alice", 1);

  /* Byte for byte what the seed server says to those already there. */
  legacy_hello (carol);
  legacy_wait (alice, "carol 进入聊天室...");
  legacy_say (carol, "大家好");
  legacy_wait (alice, "carol : 大家好");
  legacy_say (carol, "exit");
  legacy_wait (alice, "carol 离开了聊天室...");
  tea_test_peer_wait_count (bob, "QUIT", "carol", 1);
  /* She heard nothing: nobody spoke while she was there. */
  g_assert_cmpuint (carol->received->len, ==, 0);

  /* Native members arrive and leave in the same words. */
  tea_test_peer_connect (dave, "lobby");
  legacy_wait (alice, "dave 进入聊天室...");
  tea_client_disconnect (dave->client, "再见");
  legacy_wait (alice, "dave 离开了聊天室...");

  /* The seed has no private messages: one arrives as a line like any. */
  g_assert_cmpuint (tea_client_privmsg (bob->client, "ALICE", "psst", TEA_TEXT_KIND_MESSAGE), !=, 0);
  legacy_wait (alice, "bob : psst");
  g_assert_cmpuint (alice->received->len, ==, 6);
}

static void
test_split (void)
{
  g_autoptr (TeaTestRelay) relay = legacy_relay_new (NULL);
  g_autoptr (TeaTestPeer) bob = tea_test_peer_new (relay->port, "bob");
  g_autoptr (Legacy) alice = legacy_new (relay->port, "alice");
  g_autoptr (GString) text = g_string_new (NULL);
  g_autoptr (GString) joined = g_string_new (NULL);
  g_autoptr (GString) long_line = g_string_new (NULL);

  tea_test_peer_connect (bob, "lobby");
  legacy_hello (alice);
  tea_test_peer_wait_count (bob, "JOIN", "alice", 1);

  /* 3000 bytes of three-byte characters: after "bob : ", every cut at
   * 1024 bytes would fall inside a character. */
  for (guint i = 0; i < 1000; i++)
    g_string_append (text, "茶");
  g_assert_cmpuint (text->len, ==, 3000);
  say (bob, text->str, TEA_TEXT_KIND_MESSAGE);
  legacy_wait_bytes (alice, strlen ("bob : ") + text->len);
  g_assert_cmpuint (alice->received->len, >=, 3);
  for (guint i = 0; i < alice->received->len; i++)
    {
      gsize len;
      const char *data = g_bytes_get_data (alice->received->pdata[i], &len);

      /* Each one alone must survive data.decode('utf-8'), or the seed's
       * receiving thread dies. */
      g_assert_cmpuint (len, >, 0);
      g_assert_cmpuint (len, <=, SEED_RECV_MAX);
      g_assert_true (g_utf8_validate_len (data, len, NULL));
      g_string_append_len (joined, data, len);
    }
  g_assert_true (g_str_has_prefix (joined->str, "bob : "));
  g_assert_cmpstr (joined->str + strlen ("bob : "), ==, text->str);

  /* The other way a line may be longer than our own datagrams. */
  for (guint i = 0; i < 500; i++)
    g_string_append (long_line, "水");
  legacy_say (alice, long_line->str);
  tea_test_peer_wait_count (bob, "MESSAGE", long_line->str, 1);
  g_string_prepend (long_line, "alice ");
  assert_saw (bob, "MESSAGE", long_line->str);
}

static void
test_budget (void)
{
  TeaRelayConfig config;
  g_autoptr (TeaTestRelay) relay = NULL;
  g_autoptr (TeaTestPeer) bob = NULL;
  g_autoptr (TeaTestPeer) carol = NULL;
  g_autoptr (Legacy) alice = NULL;
  g_autofree char *padding = g_strnfill (90, '.');
  const gsize line_len = strlen ("bob : line 000 ") + 90;

  tea_relay_config_init (&config);
  config.legacy = TRUE;
  config.legacy_budget = 4096;
  config.flood_burst = 1000;
  relay = legacy_relay_new (&config);
  bob = tea_test_peer_new (relay->port, "bob");
  carol = tea_test_peer_new (relay->port, "carol");
  alice = legacy_new (relay->port, "alice");
  tea_test_peer_connect (bob, "lobby");
  tea_test_peer_connect (carol, "lobby");
  legacy_hello (alice);
  tea_test_peer_wait_count (carol, "JOIN", "alice", 1);

  /* 100 lines of 105 bytes to a legacy address that stays silent. */
  for (guint i = 0; i < 100; i++)
    {
      g_autofree char *text = g_strdup_printf ("line %03u %s", i, padding);
      say (bob, text, TEA_TEXT_KIND_MESSAGE);
    }
  /* The room goes on without her. */
  tea_test_peer_wait_count (carol, "MESSAGE", "line", 100);
  /* Proving that nothing more arrives needs a while. */
  tea_test_run_for (300);
  g_assert_cmpuint (alice->n_bytes, <=, 4096);
  g_assert_cmpuint (alice->n_bytes, >, 4096 - line_len);
  g_assert_cmpuint (alice->received->len, ==, 4096 / line_len);
  {
    g_autofree char *first = g_strdup_printf ("bob : line 000 %s", padding);
    g_autofree char *last = g_strdup_printf ("bob : line %03u %s", alice->received->len - 1, padding);

    /* The first lines, whole, in order; then nothing. */
    g_assert_cmpuint (legacy_count (alice, first), ==, 1);
    g_assert_cmpuint (legacy_count (alice, last), ==, 1);
  }
  g_assert_cmpuint (tea_relay_get_stats (relay->relay)->dropped_legacy_budget, >, 0);
  g_assert_cmpuint (tea_relay_get_n_sessions (relay->relay), ==, 3);

  /* A datagram from her is proof of life: she gets another budget. */
  legacy_say (alice, "我回来了");
  tea_test_peer_wait_count (carol, "MESSAGE", "我回来了", 1);
  say (bob, "welcome back", TEA_TEXT_KIND_MESSAGE);
  legacy_wait (alice, "bob : welcome back");
  tea_relay_config_clear (&config);
}

static void
test_off (void)
{
  g_autoptr (TeaTestRelay) relay = tea_test_relay_new (NULL);
  g_autoptr (TeaTestPeer) bob = tea_test_peer_new (relay->port, "bob");
  g_autoptr (Legacy) alice = legacy_new (relay->port, "alice");
  const TeaRelayStats *stats = tea_relay_get_stats (relay->relay);

  g_assert_false (tea_relay_get_config (relay->relay)->legacy);
  tea_test_peer_connect (bob, "lobby");
  legacy_hello (alice);
  wait_stat (&stats->dropped_foreign, 1);
  legacy_say (alice, "anyone?");
  wait_stat (&stats->dropped_foreign, 2);
  /* Silence is the answer: a reply would make the relay a reflector for
   * anyone who forges a source address. */
  tea_test_run_for (300);
  g_assert_cmpuint (alice->received->len, ==, 0);
  g_assert_cmpuint (stats->dropped_foreign, ==, 2);
  g_assert_cmpuint (stats->sessions_created, ==, 1);
  g_assert_cmpuint (tea_relay_get_n_sessions (relay->relay), ==, 1);
  g_assert_cmpuint (tea_test_peer_count (bob, "JOIN", "alice"), ==, 0);
  g_assert_cmpuint (tea_test_peer_count (bob, "MESSAGE", NULL), ==, 0);
}

static void
test_names (void)
{
  g_autoptr (TeaTestRelay) relay = legacy_relay_new (NULL);
  g_autoptr (TeaTestPeer) bob = tea_test_peer_new (relay->port, "bob");
  g_autoptr (Legacy) li = legacy_new (relay->port, "Li Lei");
  g_autoptr (Legacy) li2 = legacy_new (relay->port, "Li Lei");
  g_autoptr (Legacy) li3 = legacy_new (relay->port, "li\tlei");
  g_autoptr (Legacy) bob2 = legacy_new (relay->port, "BOB");
  g_autoptr (Legacy) blank = legacy_new (relay->port, "  ");
  g_autoptr (Legacy) longer = legacy_new (relay->port, "一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十一二三");
  const char *truncated = "一二三四五六七八九十一二三四五六七八九十一二三四五六七";

  tea_test_peer_connect (bob, "lobby");
  legacy_hello (li);
  tea_test_peer_wait_count (bob, "JOIN", "Li_Lei", 1);
  assert_saw (bob, "JOIN", "Li_Lei ");
  /* Taken: in any case, by a legacy or a native member alike. */
  legacy_hello (li2);
  legacy_wait (li, "Li_Lei~2 进入聊天室...");
  legacy_hello (li3);
  legacy_wait (li, "li_lei~3 进入聊天室...");
  legacy_hello (bob2);
  legacy_wait (li, "BOB~2 进入聊天室...");
  legacy_hello (blank);
  legacy_wait (li, "__ 进入聊天室...");
  /* Room left for a "~NN" within the longest nick. */
  legacy_hello (longer);
  tea_test_peer_wait_count (bob, "JOIN", truncated, 1);
  {
    g_autofree char *rest = g_strconcat (truncated, " ", NULL);
    assert_saw (bob, "JOIN", rest);
  }
  g_assert_cmpuint (g_utf8_strlen (truncated, -1), ==, TEA_MAX_NICK_CHARS - 3);

  /* Each still speaks as the seed does, with the name as typed. */
  legacy_say (li2, "我是第二个");
  tea_test_peer_wait_count (bob, "MESSAGE", "我是第二个", 1);
  assert_saw (bob, "MESSAGE", "Li_Lei~2 我是第二个");
  legacy_say (li3, "third");
  tea_test_peer_wait_count (bob, "MESSAGE", "third", 1);
  assert_saw (bob, "MESSAGE", "li_lei~3 third");
  {
    g_autofree char *names = g_strdup_printf ("NAMES bob Li_Lei(u) Li_Lei~2(u) li_lei~3(u) BOB~2(u) __(u) %s(u)", truncated);
    assert_names (bob, names);
  }
}

/* Even the 99th namesake of a name that fills a nick gets a valid nick;
 * after that there is no room for another number. */
static void
test_names_many (void)
{
  g_autoptr (TeaTestRelay) relay = legacy_relay_new (NULL);
  g_autoptr (TeaTestPeer) bob = tea_test_peer_new (relay->port, "bob");
  g_autoptr (GPtrArray) clients = g_ptr_array_new_with_free_func ((GDestroyNotify) legacy_free);
  g_autofree char *name = g_strnfill (TEA_MAX_NICK_CHARS, 'x');
  const TeaRelayStats *stats = tea_relay_get_stats (relay->relay);

  tea_test_peer_connect (bob, "lobby");
  for (guint i = 0; i < 100; i++)
    {
      Legacy *legacy = legacy_new (relay->port, name);

      g_ptr_array_add (clients, legacy);
      legacy_hello (legacy);
    }
  tea_test_peer_wait_count (bob, "JOIN", "xxx", 99);
  wait_stat (&stats->handshakes_rejected, 1);
  g_assert_cmpuint (tea_relay_get_n_sessions (relay->relay), ==, 100);
  {
    g_autofree char *last = g_strdup_printf ("%.*s~99 ", TEA_MAX_NICK_CHARS - 3, name);
    assert_saw (bob, "JOIN", last);
  }
  for (guint i = 0; i < bob->events->len; i++)
    {
      g_auto (GStrv) fields = g_strsplit (bob->events->pdata[i], " ", 5);

      if (g_str_equal (fields[2], "JOIN"))
        g_assert_true (tea_nick_is_valid (fields[3], strlen (fields[3])));
    }
}

static void
test_invalid (void)
{
  g_autoptr (TeaTestRelay) relay = legacy_relay_new (NULL);
  g_autoptr (TeaTestPeer) bob = tea_test_peer_new (relay->port, "bob");
  g_autoptr (Legacy) broken = legacy_new (relay->port, "\xe8\x8c");
  g_autoptr (Legacy) alice = legacy_new (relay->port, "alice");
  const TeaRelayStats *stats = tea_relay_get_stats (relay->relay);
  static const char cut_char[] = "alice : \xe8\x8c";
  static const char bad_byte[] = "alice : bad \xff here";
  static const char overlong[] = "alice : \xc0\xaf";

  tea_test_peer_connect (bob, "lobby");
  /* Not UTF-8 as a name: half of 茶. */
  legacy_hello (broken);
  wait_stat (&stats->dropped_foreign, 1);
  g_assert_cmpuint (tea_relay_get_n_sessions (relay->relay), ==, 1);

  legacy_hello (alice);
  tea_test_peer_wait_count (bob, "JOIN", "alice", 1);
  legacy_send_raw (alice, cut_char, sizeof cut_char - 1);
  legacy_send_raw (alice, bad_byte, sizeof bad_byte - 1);
  legacy_send_raw (alice, overlong, sizeof overlong - 1);
  wait_stat (&stats->dropped_foreign, 4);
  /* Valid UTF-8 that our text rules refuse: a terminal escape. */
  legacy_say (alice, "\033[31mred");
  wait_stat (&stats->requests_refused, 1);
  legacy_say (alice, "still here");
  tea_test_peer_wait_count (bob, "MESSAGE", "still here", 1);
  /* The member outlived its bad lines, none of which reached the room. */
  g_assert_cmpuint (tea_test_peer_count (bob, "MESSAGE", NULL), ==, 1);
  g_assert_cmpuint (tea_relay_get_n_sessions (relay->relay), ==, 2);
  g_assert_cmpuint (stats->dropped_foreign, ==, 4);
  g_assert_cmpuint (broken->received->len + alice->received->len, ==, 0);
}

typedef struct
{
  TeaTestPeer *peer;
  const char *kind;
  const char *text;
} SeenWait;

static gboolean
seen (gpointer user_data)
{
  SeenWait *w = user_data;
  return tea_test_peer_count (w->peer, w->kind, w->text) > 0;
}

static void
test_idle_timeout (void)
{
  TeaRelayConfig config;
  g_autoptr (TeaTestRelay) relay = NULL;
  g_autoptr (TeaTestPeer) bob = NULL;
  g_autoptr (Legacy) alice = NULL;
  g_autoptr (Legacy) carol = NULL;
  SeenWait w;
  gint64 start;

  tea_relay_config_init (&config);
  config.legacy = TRUE;
  config.legacy_idle_timeout_s = 2;
  relay = legacy_relay_new (&config);
  bob = tea_test_peer_new (relay->port, "bob");
  alice = legacy_new (relay->port, "alice");
  carol = legacy_new (relay->port, "carol");
  tea_test_peer_connect (bob, "lobby");
  legacy_hello (carol);
  tea_test_peer_wait_count (bob, "JOIN", "carol", 1);
  start = g_get_monotonic_time ();
  legacy_hello (alice);
  tea_test_peer_wait_count (bob, "JOIN", "alice", 1);

  /* Alice falls silent (the seed client has no keepalive) while carol
   * keeps talking, more often than the timeout. */
  w = (SeenWait) { bob, "TIMEOUT", "alice idle" };
  for (guint i = 0; !tea_test_wait (seen, &w, 500); i++)
    {
      g_autofree char *text = g_strdup_printf ("still here %u", i);

      g_assert_cmpuint (i, <, 20);
      legacy_say (carol, text);
    }
  g_assert_cmpint (g_get_monotonic_time () - start, >=, 2 * G_USEC_PER_SEC);
  assert_saw (bob, "TIMEOUT", "alice idle");
  legacy_wait (carol, "alice 离开了聊天室...");
  g_assert_cmpuint (tea_test_peer_count (bob, "TIMEOUT", "carol"), ==, 0);
  g_assert_cmpuint (tea_relay_get_n_sessions (relay->relay), ==, 2);
  tea_relay_config_clear (&config);
}

static void
discard_output (TeaDatagram *datagrams, guint n_datagrams, gpointer user_data)
{
}

/* The idle timeout over its whole configurable range, on a fake clock:
 * the member stays until the timeout, and not a moment longer. */
static void
test_idle_timeout_range (gconstpointer data)
{
  guint timeout_s = GPOINTER_TO_UINT (data);
  gint64 t0 = 1000 * G_USEC_PER_SEC;
  gint64 timeout_us = (gint64) timeout_s * G_USEC_PER_SEC;
  TeaRelayConfig config;
  TeaKeypair key;
  g_autoptr (TeaRelay) relay = NULL;
  TeaAddr from;
  char name[] = "alice";

  tea_relay_config_init (&config);
  config.legacy = TRUE;
  config.legacy_idle_timeout_s = timeout_s;
  tea_keypair_generate (&key);
  relay = tea_relay_new (&config, &key, t0);
  tea_relay_set_output_func (relay, discard_output, NULL);
  g_assert_true (tea_addr_parse (&from, "127.0.0.1", 40000));
  tea_relay_receive (relay, &from, (guint8 *) name, strlen (name), t0);
  tea_relay_flush (relay, t0);
  g_assert_cmpuint (tea_relay_get_n_sessions (relay), ==, 1);
  g_assert_cmpint (tea_relay_next_deadline (relay), <=, t0 + timeout_us);

  tea_relay_handle_timeouts (relay, t0 + timeout_us - G_USEC_PER_SEC);
  g_assert_cmpuint (tea_relay_get_n_sessions (relay), ==, 1);
  tea_relay_handle_timeouts (relay, t0 + timeout_us + G_USEC_PER_SEC);
  g_assert_cmpuint (tea_relay_get_n_sessions (relay), ==, 0);
  tea_relay_config_clear (&config);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_data_func ("/tea/legacy/join-say-exit/lower", "exit", test_join_say_exit);
  g_test_add_data_func ("/tea/legacy/join-say-exit/upper", "EXIT", test_join_say_exit);
  g_test_add_data_func ("/tea/legacy/join-say-exit/mixed", "Exit", test_join_say_exit);
  g_test_add_func ("/tea/legacy/exit-exactly", test_exit_exactly);
  g_test_add_func ("/tea/legacy/notices", test_notices);
  g_test_add_func ("/tea/legacy/split", test_split);
  g_test_add_func ("/tea/legacy/budget", test_budget);
  g_test_add_func ("/tea/legacy/off", test_off);
  g_test_add_func ("/tea/legacy/names", test_names);
  g_test_add_func ("/tea/legacy/names-many", test_names_many);
  g_test_add_func ("/tea/legacy/invalid", test_invalid);
  g_test_add_func ("/tea/legacy/idle-timeout", test_idle_timeout);
  g_test_add_data_func ("/tea/legacy/idle-timeout-range/default", GUINT_TO_POINTER (600), test_idle_timeout_range);
  g_test_add_data_func ("/tea/legacy/idle-timeout-range/two-hours", GUINT_TO_POINTER (7200), test_idle_timeout_range);
  g_test_add_data_func ("/tea/legacy/idle-timeout-range/a-day", GUINT_TO_POINTER (86400), test_idle_timeout_range);
  return g_test_run ();
}
