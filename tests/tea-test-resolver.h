/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A GResolver for tests: one made-up name resolves to a chosen list of
 * addresses, in order, so a test can make a name's first answers
 * unusable the way a real network does (nothing listening, silence).
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define TEA_TYPE_TEST_RESOLVER (tea_test_resolver_get_type ())
G_DECLARE_FINAL_TYPE (TeaTestResolver, tea_test_resolver, TEA, TEST_RESOLVER, GResolver)

/* addresses: NULL-terminated IP literals that name resolves to. */
GResolver *tea_test_resolver_new (const char *name, const char *const *addresses);
/* Answers lookups after delay_ms (0: at once), like a slow DNS server. */
void tea_test_resolver_set_delay (TeaTestResolver *resolver, guint delay_ms);

G_END_DECLS
