/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Someone in a room, as the member list shows them.
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define TEA_TYPE_MEMBER (tea_member_get_type ())
G_DECLARE_FINAL_TYPE (TeaMember, tea_member, TEA, MEMBER, GObject)

TeaMember *tea_member_new (const char *nick, gboolean unencrypted);
const char *tea_member_get_nick (TeaMember *member);
gboolean tea_member_get_unencrypted (TeaMember *member);

G_END_DECLS
