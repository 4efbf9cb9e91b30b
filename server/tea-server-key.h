/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The relay's long-term identity: an X25519 key pair kept in its state
 * directory (server.key, mode 0600), made on first start.
 */
#pragma once

#include <glib.h>

#include "tea-noise.h"

G_BEGIN_DECLS

gboolean tea_server_key_load_or_create (const char *state_dir,
                                        TeaKeypair *keypair,
                                        gboolean *created,
                                        GError **error);
/* Reads an existing key without creating anything (--show-key). */
gboolean tea_server_key_load (const char *state_dir, TeaKeypair *keypair, GError **error);

G_END_DECLS
