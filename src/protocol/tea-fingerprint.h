/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * How people see and compare a relay's public key: "SHA256:" and the
 * unpadded base64url of the key's SHA-256 (43 characters), like SSH.
 */
#pragma once

#include <glib.h>

#include "tea-protocol.h"

G_BEGIN_DECLS

#define TEA_FINGERPRINT_PREFIX "SHA256:"

/* "SHA256:..." */
char *tea_fingerprint_from_key (const guint8 public_key[TEA_KEY_LEN]);
/* Accepts the fingerprint with or without the prefix; compares in constant
 * time. */
gboolean tea_fingerprint_matches (const char *fingerprint, const guint8 public_key[TEA_KEY_LEN]);

G_END_DECLS
