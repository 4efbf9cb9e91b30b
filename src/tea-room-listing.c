/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "tea-room-listing.h"

struct _TeaRoomListing
{
  GObject parent_instance;

  char *name;
  char *topic;
  guint members;
  char *sort_key;   /* collation key of the case-folded name */
  char *search_key; /* case-folded name and topic, one per line */
};

G_DEFINE_FINAL_TYPE (TeaRoomListing, tea_room_listing, G_TYPE_OBJECT)

static void
tea_room_listing_finalize (GObject *object)
{
  TeaRoomListing *listing = TEA_ROOM_LISTING (object);

  g_free (listing->name);
  g_free (listing->topic);
  g_free (listing->sort_key);
  g_free (listing->search_key);
  G_OBJECT_CLASS (tea_room_listing_parent_class)->finalize (object);
}

static void
tea_room_listing_class_init (TeaRoomListingClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = tea_room_listing_finalize;
}

static void
tea_room_listing_init (TeaRoomListing *listing)
{
}

/* A TeaRoomInfo lives only while "room-list" is emitted; this is a copy. */
TeaRoomListing *
tea_room_listing_new (const TeaRoomInfo *info)
{
  TeaRoomListing *listing = g_object_new (TEA_TYPE_ROOM_LISTING, NULL);
  g_autofree char *name_folded = g_utf8_casefold (info->name, -1);
  g_autofree char *topic_folded = g_utf8_casefold (info->topic ? info->topic : "", -1);

  listing->name = g_strdup (info->name);
  listing->topic = g_strdup (info->topic ? info->topic : "");
  listing->members = info->members;
  listing->sort_key = g_utf8_collate_key (name_folded, -1);
  /* The newline keeps a search from matching across name and topic. */
  listing->search_key = g_strconcat (name_folded, "\n", topic_folded, NULL);
  return listing;
}

const char *
tea_room_listing_get_name (TeaRoomListing *listing)
{
  return listing->name;
}

const char *
tea_room_listing_get_topic (TeaRoomListing *listing)
{
  return listing->topic;
}

guint
tea_room_listing_get_members (TeaRoomListing *listing)
{
  return listing->members;
}

int
tea_room_listing_compare (TeaRoomListing *a, TeaRoomListing *b)
{
  if (a->members != b->members)
    return a->members > b->members ? -1 : 1;
  return strcmp (a->sort_key, b->sort_key);
}

gboolean
tea_room_listing_matches (TeaRoomListing *listing, const char *folded_text)
{
  return strstr (listing->search_key, folded_text) != NULL;
}
