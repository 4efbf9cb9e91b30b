/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Shared by the tests that run a real relay on loopback: the relay itself
 * (in-process, port 0), clients that record what they see, and waiting
 * on the main context for a condition with a deadline (never sleeps).
 */
#pragma once

#include <gio/gio.h>

#include "tea-client.h"
#include "tea-listener.h"
#include "tea-relay.h"

G_BEGIN_DECLS

/* Iterates the default main context until cond(user_data) holds or
 * timeout_ms pass. Returns whether it holds. */
gboolean tea_test_wait (gboolean (*cond) (gpointer user_data), gpointer user_data, guint timeout_ms);
/* Iterates for a while regardless (to prove something does NOT happen). */
void tea_test_run_for (guint ms);

typedef struct
{
  TeaRelay *relay;       /* NULL while stopped */
  TeaListener *listener; /* NULL while stopped */
  guint16 port;
  TeaKeypair key;
  TeaRelayConfig config;
} TeaTestRelay;

/* An in-process relay on a free loopback port; config NULL: defaults. */
TeaTestRelay *tea_test_relay_new (const TeaRelayConfig *config);
/* The relay gone without a word (its memory with it), as if it crashed. */
void tea_test_relay_stop (TeaTestRelay *relay);
/* A new relay with the same key and config on the same port. */
void tea_test_relay_start_again (TeaTestRelay *relay);
/* Both: a restart clients only notice by their next packet. */
void tea_test_relay_restart (TeaTestRelay *relay);
void tea_test_relay_free (TeaTestRelay *relay);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TeaTestRelay, tea_test_relay_free)

/* A client and what it saw. Lines are "room seq kind nick text", for easy
 * comparison between peers. */
typedef struct
{
  TeaClient *client;
  GPtrArray *events;   /* char *: every room event, in order */
  GPtrArray *messages; /* char *: "ERROR code detail", "OK req value", "PRIVATE from text", "NOTICE code", "NAMES n...", "GAP room first last reason" */
  GArray *error_codes; /* guint16 of ERRORs */
  guint n_said_ok;
} TeaTestPeer;

TeaTestPeer *tea_test_peer_new (guint16 port, const char *nick);
void tea_test_peer_free (TeaTestPeer *peer);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TeaTestPeer, tea_test_peer_free)
/* Connects and joins room (if not NULL), failing the test on timeout. */
void tea_test_peer_connect (TeaTestPeer *peer, const char *room);
gboolean tea_test_peer_is_connected (gpointer peer);
/* How many recorded events match kind and contain text (NULL: any). */
guint tea_test_peer_count (TeaTestPeer *peer, const char *kind, const char *text);
/* Waits until that count reaches n. */
void tea_test_peer_wait_count (TeaTestPeer *peer, const char *kind, const char *text, guint n);
void tea_test_peer_wait_error (TeaTestPeer *peer, guint16 code);
gboolean tea_test_peer_has_message (TeaTestPeer *peer, const char *prefix);
void tea_test_peer_wait_message (TeaTestPeer *peer, const char *prefix);
/* Only the MESSAGE/ACTION lines, to compare orders across peers. */
GPtrArray *tea_test_peer_chat_lines (TeaTestPeer *peer);

/* File systems that permissions cannot fake for root: a program runs in
 * private user and mount namespaces (unshare(1)) with a fresh tmpfs over
 * an existing directory, read-only or with no space left. If seed_file is
 * given, it is copied into the tmpfs first (as its basename). The program
 * sees the directory so; nothing outside the namespace changes. */
typedef enum {
  TEA_TEST_FS_READ_ONLY,
  TEA_TEST_FS_FULL,
} TeaTestFs;

/* The argv that runs argv so (free with g_strfreev). */
GStrv tea_test_fs_wrap (TeaTestFs kind, const char *dir, const char *seed_file, const char *const *argv);
/* What the wrapper prints on stderr once the file system is in place. */
#define TEA_TEST_FS_READY "teahouse-test: file system ready\n"
/* Fails the test, saying why, if stderr shows the namespace could not be
 * made: a machine that forbids namespaces cannot run the test, and that
 * must not pass unnoticed. */
void tea_test_fs_assert_ready (const char *program_stderr);

G_END_DECLS
