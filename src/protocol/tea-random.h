/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Cryptographic randomness (libsodium, which reads getrandom(2)).
 * g_random_* is a Mersenne Twister and must never pick IDs or tokens.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Initialises libsodium once; every entry point below calls it. Returns
 * FALSE if the system has no usable randomness. */
gboolean tea_crypto_init (void);
void tea_random_bytes (void *buf, gsize len);
/* Never 0, so 0 can mean "none" on the wire. */
guint64 tea_random_u64_nonzero (void);

G_END_DECLS
