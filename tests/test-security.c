/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What an eavesdropper sees of a chat (nothing readable), and the client's
 * side of identity: pinned keys, links that pin in advance, and resets that
 * only the relay can make. docs/SECURITY.md maps each attack to these.
 */
#include <glib/gstdio.h>
#include <string.h>

#include "tea-fingerprint.h"
#include "tea-noise.h"
#include "tea-packet.h"
#include "tea-relay-private.h"
#include "tea-test-proxy.h"
#include "tea-test-util.h"

static gboolean
bytes_contain (GBytes *haystack, const char *needle)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (haystack, &len);
  gsize n = strlen (needle);

  for (gsize i = 0; i + n <= len; i++)
    if (memcmp (data + i, needle, n) == 0)
      return TRUE;
  return FALSE;
}

static void
test_capture_shows_no_plaintext (void)
{
  g_autoptr (TeaTestRelay) relay = tea_test_relay_new (NULL);
  g_autoptr (TeaTestProxy) proxy = tea_test_proxy_new (relay->port, 1);
  g_autoptr (TeaTestPeer) alice = NULL;
  g_autoptr (TeaTestPeer) bob = NULL;
  const char *secrets[] = {
    "QuartzAlice", "QuartzBob", "QuartzBob2", "SecretRoomName", "PlaintextMessage",
    "PrivateWhisper", "TopicOfTheDay", "ActionVerb", "秘密的茶",
  };
  GPtrArray *captured;

  tea_test_proxy_set_capture (proxy, TRUE);
  alice = tea_test_peer_new (tea_test_proxy_get_port (proxy), "QuartzAlice");
  bob = tea_test_peer_new (tea_test_proxy_get_port (proxy), "QuartzBob");
  tea_test_peer_connect (alice, "SecretRoomName");
  tea_test_peer_connect (bob, "SecretRoomName");
  tea_client_say (alice->client, "SecretRoomName", "PlaintextMessage 秘密的茶", TEA_TEXT_KIND_MESSAGE);
  tea_client_say (bob->client, "SecretRoomName", "ActionVerb", TEA_TEXT_KIND_ACTION);
  tea_client_privmsg (alice->client, "QuartzBob", "PrivateWhisper", TEA_TEXT_KIND_MESSAGE);
  tea_client_set_topic (alice->client, "SecretRoomName", "TopicOfTheDay");
  tea_client_change_nick (bob->client, "QuartzBob2");
  tea_client_list (alice->client);
  tea_test_peer_wait_count (alice, "NICK", "QuartzBob2", 1);
  tea_test_peer_wait_count (bob, "TOPIC", "TopicOfTheDay", 1);
  tea_test_peer_wait_message (bob, "PRIVATE QuartzAlice PrivateWhisper");
  tea_test_peer_wait_count (bob, "MESSAGE", "PlaintextMessage", 1);

  /* Everything that crossed the wire, both ways. */
  captured = tea_test_proxy_get_captured (proxy);
  g_assert_cmpuint (captured->len, >, 10);
  for (guint i = 0; i < captured->len; i++)
    for (guint s = 0; s < G_N_ELEMENTS (secrets); s++)
      if (bytes_contain (captured->pdata[i], secrets[s]))
        g_error ("datagram %u shows “%s” in plaintext", i, secrets[s]);
  g_test_message ("%u datagrams captured; none contains a nick, room name or message", captured->len);
}

static gboolean
has_failed (gpointer peer)
{
  return tea_client_get_state (((TeaTestPeer *) peer)->client) == TEA_CLIENT_STATE_FAILED;
}

static gboolean
wait_failed_or_connected (gpointer peer)
{
  return has_failed (peer) || tea_test_peer_is_connected (peer);
}

static void
test_changed_key_refused (void)
{
  g_autofree char *dir = g_dir_make_tmp ("tea-known-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "known-servers", NULL);
  g_autoptr (TeaKnownServers) known = tea_known_servers_new (path);
  g_autoptr (TeaTestRelay) first = tea_test_relay_new (NULL);
  g_autoptr (TeaTestPeer) peer = tea_test_peer_new (first->port, "alice");
  g_autofree char *pinned = NULL;
  guint16 port = first->port;
  const GError *error;

  /* First contact: the key is pinned. */
  tea_client_set_known_servers (peer->client, known);
  tea_test_peer_connect (peer, NULL);
  pinned = g_strdup (tea_known_servers_lookup (known, "127.0.0.1", port));
  g_assert_nonnull (pinned);
  g_assert_cmpstr (pinned, ==, tea_client_get_server_fingerprint (peer->client));
  g_clear_pointer (&peer, tea_test_peer_free);
  g_clear_pointer (&first, tea_test_relay_free);

  /* Someone else answers at that address with another key. */
  {
    TeaRelayConfig config;
    TeaKeypair other;
    g_autoptr (TeaRelay) impostor = NULL;
    g_autoptr (TeaListener) listener = NULL;
    g_autoptr (GError) listen_error = NULL;

    tea_relay_config_init (&config);
    tea_keypair_generate (&other);
    impostor = tea_relay_new (&config, &other, g_get_monotonic_time ());
    listener = tea_listener_new (impostor);
    g_assert_true (tea_listener_listen (listener, "127.0.0.1", port, &listen_error));

    peer = tea_test_peer_new (port, "alice");
    tea_client_set_known_servers (peer->client, known);
    tea_client_connect (peer->client);
    g_assert_true (tea_test_wait (wait_failed_or_connected, peer, 10000));
    error = tea_client_get_error (peer->client);
    g_assert_error ((GError *) error, TEA_CLIENT_ERROR, TEA_CLIENT_ERROR_KEY_CHANGED);
    /* The user is told why, and which key is now offered. */
    g_assert_nonnull (strstr (error->message, tea_client_get_server_fingerprint (peer->client)));
    g_assert_cmpuint (tea_relay_get_n_sessions (impostor), ==, 0);
    g_assert_cmpstr (tea_known_servers_lookup (known, "127.0.0.1", port), ==, pinned);
    g_clear_pointer (&peer, tea_test_peer_free);

    /* Only an explicit choice accepts it, and re-pins. */
    peer = tea_test_peer_new (port, "alice");
    tea_client_set_known_servers (peer->client, known);
    tea_client_set_accept_new_key (peer->client, TRUE);
    tea_test_peer_connect (peer, NULL);
    g_assert_cmpstr (tea_known_servers_lookup (known, "127.0.0.1", port), !=, pinned);
    g_clear_pointer (&peer, tea_test_peer_free);
    tea_relay_config_clear (&config);
  }
  g_unlink (path);
  g_rmdir (dir);
}

static void
test_link_pins_in_advance (void)
{
  g_autoptr (TeaTestRelay) relay = tea_test_relay_new (NULL);
  g_autoptr (TeaTestPeer) wrong = tea_test_peer_new (relay->port, "alice");
  g_autoptr (TeaTestPeer) right = tea_test_peer_new (relay->port, "alice");
  g_autofree char *fingerprint = tea_fingerprint_from_key (tea_relay_get_public_key (relay->relay));

  tea_client_set_pinned_fingerprint (wrong->client, "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
  tea_client_connect (wrong->client);
  g_assert_true (tea_test_wait (has_failed, wrong, 10000));
  g_assert_error ((GError *) tea_client_get_error (wrong->client), TEA_CLIENT_ERROR, TEA_CLIENT_ERROR_WRONG_KEY);

  /* With or without the prefix, as a link carries it. */
  tea_client_set_pinned_fingerprint (right->client, fingerprint + strlen ("SHA256:"));
  tea_test_peer_connect (right, "tea");
}

static gboolean
session_changed (gpointer user_data)
{
  TeaTestPeer *peer = ((gpointer *) user_data)[0];
  guint64 *old = ((gpointer *) user_data)[1];

  return tea_test_peer_is_connected (peer) && tea_client_get_session_id (peer->client) != *old;
}

static void
test_forged_reset_ignored (void)
{
  g_autoptr (TeaTestRelay) relay = tea_test_relay_new (NULL);
  g_autoptr (TeaTestProxy) proxy = tea_test_proxy_new (relay->port, 1);
  g_autoptr (TeaTestPeer) alice = tea_test_peer_new (tea_test_proxy_get_port (proxy), "alice");
  g_autoptr (TeaTestPeer) bob = tea_test_peer_new (relay->port, "bob");
  TeaReset reset = { 0 };
  guint8 out[TEA_RESET_LEN];
  guint64 session;
  gpointer wait[2];

  tea_test_peer_connect (alice, "tea");
  tea_test_peer_connect (bob, "tea");
  session = tea_client_get_session_id (alice->client);

  /* The session id travels in clear; an attacker spoofing the relay's
   * address sends resets with guessed tokens. They change nothing. */
  reset.session_id = session;
  for (guint i = 0; i < 100; i++)
    {
      memset (reset.token, i, sizeof reset.token);
      tea_reset_encode (&reset, out, sizeof out);
      tea_test_proxy_inject_to_clients (proxy, out, sizeof out);
    }
  tea_client_say (bob->client, "tea", "still there?", TEA_TEXT_KIND_MESSAGE);
  tea_test_peer_wait_count (alice, "MESSAGE", "still there?", 1);
  g_assert_cmpuint (tea_client_get_session_id (alice->client), ==, session);
  g_assert_cmpint (tea_client_get_state (alice->client), ==, TEA_CLIENT_STATE_CONNECTED);

  /* The relay's own token (only it can compute it) does end the session:
   * the check above is what stopped the forgeries. */
  _tea_relay_reset_token (relay->relay, session, reset.token);
  tea_reset_encode (&reset, out, sizeof out);
  tea_test_proxy_inject_to_clients (proxy, out, sizeof out);
  wait[0] = alice;
  wait[1] = &session;
  g_assert_true (tea_test_wait (session_changed, wait, 10000));
}

/* The resume token cannot be kept (here a file stands where its directory
 * should be): the client says so in its log, and works on. Run in a
 * subprocess so that the warning, fatal in tests, can be let through and
 * read back. */
static void
test_resume_file_unwritable (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr (GError) error = NULL;
      g_autofree char *tmp = g_dir_make_tmp ("teahouse-resume-XXXXXX", &error);
      g_autofree char *blocker = g_build_filename (tmp, "state", NULL);
      g_autofree char *resume = g_build_filename (blocker, "resume-alice", NULL);
      g_autoptr (TeaTestRelay) relay = tea_test_relay_new (NULL);
      g_autoptr (TeaTestPeer) alice = tea_test_peer_new (relay->port, "alice");
      g_autoptr (TeaTestPeer) bob = tea_test_peer_new (relay->port, "bob");

      g_assert_no_error (error);
      g_assert_true (g_file_set_contents (blocker, "not a directory\n", -1, NULL));
      g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
      tea_client_set_resume_file (alice->client, resume);
      tea_test_peer_connect (alice, "tea");
      tea_test_peer_connect (bob, "tea");
      g_assert_cmpuint (tea_client_say (alice->client, "tea", "no token kept", TEA_TEXT_KIND_MESSAGE), !=, 0);
      tea_test_peer_wait_count (bob, "MESSAGE", "alice no token kept", 1);
      g_assert_false (g_file_test (resume, G_FILE_TEST_EXISTS));
      g_assert_cmpint (g_remove (blocker), ==, 0);
      g_assert_cmpint (g_rmdir (tmp), ==, 0);
      return;
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  g_test_trap_assert_stderr ("*WARNING*Could not keep the resume token*state*Not a directory*");
  g_test_trap_assert_stderr_unmatched ("*CRITICAL*");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/tea/security/capture-shows-no-plaintext", test_capture_shows_no_plaintext);
  g_test_add_func ("/tea/security/changed-key-refused", test_changed_key_refused);
  g_test_add_func ("/tea/security/link-pins-in-advance", test_link_pins_in_advance);
  g_test_add_func ("/tea/security/forged-reset-ignored", test_forged_reset_ignored);
  g_test_add_func ("/tea/security/resume-file-unwritable", test_resume_file_unwritable);
  return g_test_run ();
}
