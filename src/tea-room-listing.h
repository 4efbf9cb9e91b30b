/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One room as the relay lists it (name, members, topic), as an object for
 * the room browser's list model, with its sort and search keys.
 */
#pragma once

#include "tea-chat.h"

G_BEGIN_DECLS

#define TEA_TYPE_ROOM_LISTING (tea_room_listing_get_type ())
G_DECLARE_FINAL_TYPE (TeaRoomListing, tea_room_listing, TEA, ROOM_LISTING, GObject)

TeaRoomListing *tea_room_listing_new (const TeaRoomInfo *info);
const char *tea_room_listing_get_name (TeaRoomListing *listing);
const char *tea_room_listing_get_topic (TeaRoomListing *listing);
guint tea_room_listing_get_members (TeaRoomListing *listing);
/* Busiest rooms first; rooms as busy as each other by name. */
int tea_room_listing_compare (TeaRoomListing *a, TeaRoomListing *b);
/* Whether the name or topic contains folded_text (from g_utf8_casefold). */
gboolean tea_room_listing_matches (TeaRoomListing *listing, const char *folded_text);

G_END_DECLS
