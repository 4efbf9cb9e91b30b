/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "tea-random.h"
#include "tea-relay-private.h"

TeaRoom *
_tea_room_new (guint32 id, const char *name, const char *key, guint backlog_cap)
{
  TeaRoom *room = g_new0 (TeaRoom, 1);

  room->id = id;
  room->name = g_strdup (name);
  room->key = g_strdup (key);
  /* A random epoch tells a client whose last_seq came from an earlier room
   * of the same name (say, before a relay restart) that numbering restarted. */
  room->epoch = tea_random_u64_nonzero ();
  room->topic = g_strdup ("");
  room->members = g_ptr_array_new ();
  room->backlog_cap = backlog_cap;
  room->backlog_first_seq = 1;
  return room;
}

void
_tea_room_free (TeaRoom *room)
{
  for (guint i = 0; i < room->backlog_len; i++)
    g_bytes_unref (room->backlog[(room->backlog_first_seq + i) % room->backlog_cap]);
  g_free (room->backlog);
  g_ptr_array_unref (room->members);
  g_free (room->name);
  g_free (room->key);
  g_free (room->topic);
  g_free (room);
}

void
_tea_room_append_backlog (TeaRoom *room, GBytes *event)
{
  guint64 seq = room->backlog_first_seq + room->backlog_len;

  if (room->backlog_cap == 0)
    return;
  if (room->backlog == NULL)
    room->backlog = g_new0 (GBytes *, room->backlog_cap);
  if (room->backlog_len == room->backlog_cap)
    {
      g_bytes_unref (room->backlog[room->backlog_first_seq % room->backlog_cap]);
      room->backlog_first_seq++;
      room->backlog_len--;
    }
  room->backlog[seq % room->backlog_cap] = g_bytes_ref (event);
  room->backlog_len++;
}

guint64
_tea_room_oldest_seq (TeaRoom *room)
{
  return room->backlog_len > 0 ? room->backlog_first_seq : room->seq + 1;
}

GBytes *
_tea_room_get_backlog (TeaRoom *room, guint64 seq)
{
  if (seq < room->backlog_first_seq || seq >= room->backlog_first_seq + room->backlog_len)
    return NULL;
  return room->backlog[seq % room->backlog_cap];
}

TeaMembership *
_tea_session_find_membership (TeaSession *session, guint32 room_id)
{
  for (guint i = 0; i < session->memberships->len; i++)
    {
      TeaMembership *m = g_ptr_array_index (session->memberships, i);

      if (m->room->id == room_id)
        return m;
    }
  return NULL;
}

void
_tea_room_remove_member (TeaRoom *room, TeaSession *session)
{
  g_ptr_array_remove_fast (room->members, session);
  for (guint i = 0; i < session->memberships->len; i++)
    {
      TeaMembership *m = g_ptr_array_index (session->memberships, i);

      if (m->room == room)
        {
          g_ptr_array_remove_index_fast (session->memberships, i);
          break;
        }
    }
}
