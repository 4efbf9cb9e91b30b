/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What the relay does with each request on a session's stream, and how
 * room events reach members. Every refusal is an ERROR with a code.
 */
#include "config.h"

#include "tea-names.h"
#include "tea-random.h"
#include "tea-relay-private.h"

/* Pages of NAMES_REPLY / ROOMS_REPLY stay well inside one message. */
#define PAGE_BYTES (TEA_MAX_MESSAGE - 64)

static void
send_ok (TeaRelay *relay, TeaSession *session, guint32 req_id, guint64 value)
{
  TeaMessage msg = { .type = TEA_MSG_OK, .req_id = req_id };

  msg.ok.value = value;
  _tea_relay_send (relay, session, &msg);
}

static GBytes *
broadcast_bytes (TeaRelay *relay, TeaRoom *room, TeaEvent *event, TeaSession *except)
{
  TeaMessage msg = { .type = TEA_MSG_EVENT };
  GBytes *bytes;

  event->room_id = room->id;
  event->seq = ++room->seq;
  event->time_ms = _tea_relay_wall_ms (relay);
  msg.event = *event;
  /* Encoded once; every member's queue shares these bytes. */
  bytes = tea_message_encode_bytes (&msg);
  g_assert (bytes != NULL);
  _tea_room_append_backlog (room, bytes);
  for (guint i = 0; i < room->members->len; i++)
    {
      TeaSession *member = g_ptr_array_index (room->members, i);

      if (member == except)
        continue;
      if (member->conn)
        _tea_relay_send_bytes (relay, member, bytes);
      else
        _tea_relay_legacy_send_event (relay, member, event);
    }
  return bytes;
}

guint64
_tea_relay_broadcast (TeaRelay *relay, TeaRoom *room, TeaEvent *event, TeaSession *except)
{
  g_autoptr (GBytes) bytes = broadcast_bytes (relay, room, event, except);
  return event->seq;
}

static void
delete_room_if_empty (TeaRelay *relay, TeaRoom *room)
{
  if (room->members->len > 0)
    return;
  g_hash_table_remove (relay->rooms_by_id, &room->id);
  g_hash_table_remove (relay->rooms_by_key, room->key);
}

static void
leave_room (TeaRelay *relay, TeaSession *session, TeaRoom *room, guint8 kind, guint16 code, TeaStr reason)
{
  TeaEvent event = { .kind = kind, .nick = tea_str_from (session->nick), .text = reason, .code = code };

  _tea_room_remove_member (room, session);
  _tea_relay_broadcast (relay, room, &event, NULL);
  delete_room_if_empty (relay, room);
}

void
_tea_relay_leave_all_rooms (TeaRelay *relay, TeaSession *session, guint8 kind, guint16 code, TeaStr reason)
{
  while (session->memberships->len > 0)
    {
      TeaMembership *m = g_ptr_array_index (session->memberships, session->memberships->len - 1);
      leave_room (relay, session, m->room, kind, code, reason);
    }
}

static void
send_welcome (TeaRelay *relay, TeaSession *session, guint32 req_id)
{
  TeaMessage msg = { .type = TEA_MSG_WELCOME, .req_id = req_id };

  msg.welcome.nick = tea_str_from (session->nick);
  memcpy (msg.welcome.resume_token, session->resume_token, TEA_RESUME_TOKEN_LEN);
  msg.welcome.max_text = TEA_MAX_TEXT;
  msg.welcome.max_rooms = MIN (relay->config.max_rooms_per_session, G_MAXUINT16);
  msg.welcome.server_name = tea_str_from (relay->config.server_name);
  if (msg.welcome.server_name.len > G_MAXUINT8)
    msg.welcome.server_name.len = 0;
  _tea_relay_send (relay, session, &msg);
}

static void
issue_resume_token (TeaRelay *relay, TeaSession *session)
{
  tea_random_bytes (session->resume_token, TEA_RESUME_TOKEN_LEN);
  g_hash_table_insert (relay->sessions_by_token, session->resume_token, session);
}

static void
set_nick (TeaRelay *relay, TeaSession *session, const char *nick, gsize len, char *key)
{
  if (session->nick_key)
    g_hash_table_remove (relay->sessions_by_nick, session->nick_key);
  g_free (session->nick);
  g_free (session->nick_key);
  session->nick = g_strndup (nick, len);
  session->nick_key = key;
  g_hash_table_insert (relay->sessions_by_nick, session->nick_key, session);
}

/* A client that lost its session (its network went away longer than it
 * could wait) comes back with a new one and the old one's resume token:
 * the new session takes the old one's place silently, rooms and all. */
static void
take_over (TeaRelay *relay, TeaSession *session, TeaSession *old)
{
  g_hash_table_remove (relay->sessions_by_nick, old->nick_key);
  set_nick (relay, session, old->nick, strlen (old->nick), g_strdup (old->nick_key));
  session->flags = old->flags;
  while (old->memberships->len > 0)
    {
      TeaMembership *m = g_ptr_array_steal_index (old->memberships, 0);

      g_ptr_array_remove_fast (m->room->members, old);
      g_ptr_array_add (m->room->members, session);
      g_ptr_array_add (session->memberships, m);
    }
  _tea_relay_end_session (relay, old, TEA_EVENT_TIMEOUT, TEA_CODE_REPLACED, tea_str_from (NULL));
}

static void
handle_login (TeaRelay *relay, TeaSession *session, const TeaMessage *msg)
{
  static const guint8 no_token[TEA_RESUME_TOKEN_LEN] = { 0 };
  TeaSession *old = NULL;
  g_autofree char *key = NULL;

  if (session->nick)
    {
      _tea_relay_send_error (relay, session, msg->req_id, TEA_CODE_ALREADY_LOGGED_IN, NULL, 0);
      return;
    }
  if (memcmp (msg->login.resume_token, no_token, TEA_RESUME_TOKEN_LEN) != 0)
    old = g_hash_table_lookup (relay->sessions_by_token, msg->login.resume_token);
  tea_token_bucket_init (&session->flood, relay->config.flood_burst, relay->now);
  if (old && old != session && !old->doomed && old->nick)
    {
      take_over (relay, session, old);
    }
  else
    {
      if (!tea_nick_is_valid (msg->login.nick.str, msg->login.nick.len))
        {
          _tea_relay_send_error (relay, session, msg->req_id, TEA_CODE_BAD_NICK, NULL, 0);
          return;
        }
      key = tea_name_fold (msg->login.nick.str, msg->login.nick.len);
      if (g_hash_table_contains (relay->sessions_by_nick, key))
        {
          g_autofree char *nick = tea_str_dup (msg->login.nick);
          _tea_relay_send_error (relay, session, msg->req_id, TEA_CODE_NICK_TAKEN, nick, 0);
          return;
        }
      set_nick (relay, session, msg->login.nick.str, msg->login.nick.len, g_steal_pointer (&key));
    }
  issue_resume_token (relay, session);
  send_welcome (relay, session, msg->req_id);
}

/* ---- Joining and catching up ------------------------------------------- */

static void
send_gap (TeaRelay *relay, TeaSession *session, TeaRoom *room, guint64 first, guint64 last, guint8 reason)
{
  TeaMessage msg = { .type = TEA_MSG_GAP };

  msg.gap.room_id = room->id;
  msg.gap.first = first;
  msg.gap.last = last;
  msg.gap.reason = reason;
  _tea_relay_send (relay, session, &msg);
}

/* The first seq to send so that [first, last] stays within the byte budget
 * of one catch-up: a huge backlog must not overflow the joiner's queue. */
static guint64
first_within_budget (TeaRelay *relay, TeaRoom *room, guint64 from, guint64 last)
{
  gsize total = 0;
  guint64 seq;

  for (seq = last; seq >= from && seq > 0; seq--)
    {
      GBytes *bytes = _tea_room_get_backlog (room, seq);

      if (bytes == NULL)
        break;
      total += g_bytes_get_size (bytes);
      if (total > relay->config.catch_up_bytes)
        break;
    }
  return seq + 1;
}

/* Sends what the joiner missed, from the seq after the last it saw (same
 * room epoch) or its requested amount of history, up to `last`. What the
 * backlog no longer holds is reported as a GAP, never skipped silently. */
static void
send_catch_up (TeaRelay *relay, TeaSession *session, TeaRoom *room,
               const TeaMessage *join, guint64 last)
{
  guint64 from, start;

  if (join->join.epoch == room->epoch && join->join.last_seq > 0)
    {
      from = MIN (join->join.last_seq + 1, last + 1);
    }
  else if (join->join.epoch != 0 && join->join.last_seq > 0)
    {
      /* A member of an earlier room of that name (the relay restarted, or
       * the room emptied): what that room had is gone, but everything of
       * this one happened while the member was away. */
      send_gap (relay, session, room, 0, 0, TEA_GAP_REASON_HISTORY_RESET);
      from = 1;
    }
  else
    {
      /* `history` events before the newest, and the newest: for a new
       * member that is its own JOIN, so it always sees where it came in. */
      from = last > join->join.history ? last - join->join.history : 1;
    }
  start = MAX (from, _tea_room_oldest_seq (room));
  start = MAX (start, first_within_budget (relay, room, start, last));
  if (start > from)
    send_gap (relay, session, room, from, start - 1, TEA_GAP_REASON_EXPIRED);
  for (guint64 seq = start; seq <= last; seq++)
    _tea_relay_send_bytes (relay, session, _tea_room_get_backlog (room, seq));
}

static void
send_names (TeaRelay *relay, TeaSession *session, guint32 req_id, TeaRoom *room)
{
  g_autofree guint8 *page = g_malloc (PAGE_BYTES);
  TeaMessage msg = { .type = TEA_MSG_NAMES_REPLY, .req_id = req_id };
  TeaWriter w;
  guint i = 0;

  msg.list.room_id = room->id;
  do
    {
      tea_writer_init (&w, page, PAGE_BYTES);
      msg.list.count = 0;
      for (; i < room->members->len; i++)
        {
          TeaSession *member = g_ptr_array_index (room->members, i);
          gsize before = w.pos;

          tea_names_entry_write (&w, member->nick, member->flags);
          if (w.failed)
            {
              w.pos = before;
              break;
            }
          msg.list.count++;
        }
      msg.list.more = i < room->members->len;
      msg.list.entries = page;
      msg.list.entries_len = w.pos;
      _tea_relay_send (relay, session, &msg);
    }
  while (msg.list.more);
}

static TeaRoom *
find_or_create_room (TeaRelay *relay, TeaSession *session, const TeaMessage *msg, const char *key)
{
  TeaRoom *room = g_hash_table_lookup (relay->rooms_by_key, key);
  g_autofree char *name = NULL;

  if (room)
    return room;
  if (g_hash_table_size (relay->rooms_by_key) >= relay->config.max_rooms)
    {
      _tea_relay_send_error (relay, session, msg->req_id, TEA_CODE_TOO_MANY_ROOMS_ON_SERVER, NULL, 0);
      return NULL;
    }
  name = tea_str_dup (msg->join.room);
  room = _tea_room_new (relay->next_room_id++, name, key, relay->config.backlog);
  g_hash_table_insert (relay->rooms_by_key, room->key, room);
  g_hash_table_insert (relay->rooms_by_id, &room->id, room);
  return room;
}

static void
handle_join (TeaRelay *relay, TeaSession *session, const TeaMessage *msg)
{
  g_autofree char *key = NULL;
  TeaMessage reply = { .type = TEA_MSG_JOINED, .req_id = msg->req_id };
  TeaRoom *room;
  TeaMembership *membership = NULL;
  guint64 last;

  if (!tea_room_name_is_valid (msg->join.room.str, msg->join.room.len))
    {
      _tea_relay_send_error (relay, session, msg->req_id, TEA_CODE_BAD_ROOM_NAME, NULL, 0);
      return;
    }
  key = tea_name_fold (msg->join.room.str, msg->join.room.len);
  room = g_hash_table_lookup (relay->rooms_by_key, key);
  if (room)
    membership = _tea_session_find_membership (session, room->id);
  if (membership == NULL && session->memberships->len >= relay->config.max_rooms_per_session)
    {
      _tea_relay_send_error (relay, session, msg->req_id, TEA_CODE_TOO_MANY_ROOMS, NULL, 0);
      return;
    }
  if (membership == NULL && room && room->members->len >= relay->config.max_members_per_room)
    {
      _tea_relay_send_error (relay, session, msg->req_id, TEA_CODE_ROOM_FULL, room->name, 0);
      return;
    }
  room = find_or_create_room (relay, session, msg, key);
  if (room == NULL)
    return;

  if (membership == NULL)
    {
      TeaEvent event = { .kind = TEA_EVENT_JOIN, .nick = tea_str_from (session->nick), .flags = session->flags };

      membership = g_new0 (TeaMembership, 1);
      membership->room = room;
      g_ptr_array_add (session->memberships, membership);
      /* Numbered and sent to the others first; the joiner gets it in its
       * catch-up, right after JOINED, so everyone sees one order. */
      _tea_relay_broadcast (relay, room, &event, session);
      g_ptr_array_add (room->members, session);
    }
  last = room->seq;
  reply.joined.room_id = room->id;
  reply.joined.room = tea_str_from (room->name);
  reply.joined.epoch = room->epoch;
  reply.joined.topic = tea_str_from (room->topic);
  reply.joined.join_seq = last;
  _tea_relay_send (relay, session, &reply);
  send_catch_up (relay, session, room, msg, last);
  send_names (relay, session, 0, room);
}

/* ---- Room requests ------------------------------------------------------ */

static TeaMembership *
require_membership (TeaRelay *relay, TeaSession *session, guint32 req_id, guint32 room_id)
{
  TeaMembership *m = _tea_session_find_membership (session, room_id);

  if (m == NULL)
    _tea_relay_send_error (relay, session, req_id,
                           g_hash_table_contains (relay->rooms_by_id, &room_id) ? TEA_CODE_NOT_IN_ROOM : TEA_CODE_NO_SUCH_ROOM,
                           NULL, 0);
  return m;
}

static gboolean
check_text (TeaRelay *relay, TeaSession *session, guint32 req_id, TeaStr text)
{
  if (text.len > TEA_MAX_TEXT)
    {
      _tea_relay_send_error (relay, session, req_id, TEA_CODE_MESSAGE_TOO_LONG, NULL, 0);
      return FALSE;
    }
  if (!tea_text_is_valid (text.str, text.len, TEA_MAX_TEXT))
    {
      _tea_relay_send_error (relay, session, req_id, TEA_CODE_BAD_TEXT, NULL, 0);
      return FALSE;
    }
  return TRUE;
}

static gboolean
check_flood (TeaRelay *relay, TeaSession *session, guint32 req_id)
{
  gint64 retry_after = 0;

  if (tea_token_bucket_take (&session->flood, relay->config.flood_rate, relay->config.flood_burst,
                             relay->now, &retry_after))
    return TRUE;
  _tea_relay_send_error (relay, session, req_id, TEA_CODE_FLOOD, NULL, retry_after);
  return FALSE;
}

static void
handle_say (TeaRelay *relay, TeaSession *session, const TeaMessage *msg)
{
  TeaMembership *m = require_membership (relay, session, msg->req_id, msg->room_text.room_id);
  TeaEvent event = { .nick = tea_str_from (session->nick), .flags = session->flags, .text = msg->room_text.text };

  if (m == NULL || !check_text (relay, session, msg->req_id, msg->room_text.text))
    return;
  if (msg->room_text.kind > TEA_TEXT_KIND_ACTION)
    {
      _tea_relay_send_error (relay, session, msg->req_id, TEA_CODE_PROTOCOL, NULL, 0);
      return;
    }
  if (!check_flood (relay, session, msg->req_id))
    return;
  event.kind = msg->room_text.kind == TEA_TEXT_KIND_ACTION ? TEA_EVENT_ACTION : TEA_EVENT_MESSAGE;
  /* OK first: the sender learns the seq before the event arrives and can
   * turn its pending row into the delivered one. */
  send_ok (relay, session, msg->req_id, m->room->seq + 1);
  m->last_said_seq = _tea_relay_broadcast (relay, m->room, &event, NULL);
}

static void
handle_part (TeaRelay *relay, TeaSession *session, const TeaMessage *msg)
{
  TeaMembership *m = require_membership (relay, session, msg->req_id, msg->room_text.room_id);

  if (m == NULL)
    return;
  if (!tea_reason_is_valid (msg->room_text.text.str, msg->room_text.text.len, TEA_MAX_REASON))
    {
      _tea_relay_send_error (relay, session, msg->req_id, TEA_CODE_BAD_TEXT, NULL, 0);
      return;
    }
  /* A PART is a room event (and lets the next JOIN be one). */
  if (!check_flood (relay, session, msg->req_id))
    return;
  send_ok (relay, session, msg->req_id, 0);
  {
    /* The leaver sees its own PART too: the last event of the room for it. */
    TeaRoom *room = m->room;
    TeaEvent event = { .kind = TEA_EVENT_PART, .nick = tea_str_from (session->nick), .text = msg->room_text.text };

    _tea_relay_broadcast (relay, room, &event, NULL);
    _tea_room_remove_member (room, session);
    delete_room_if_empty (relay, room);
  }
}

static void
handle_topic (TeaRelay *relay, TeaSession *session, const TeaMessage *msg)
{
  TeaMembership *m = require_membership (relay, session, msg->req_id, msg->room_text.room_id);
  TeaEvent event = { .kind = TEA_EVENT_TOPIC, .nick = tea_str_from (session->nick), .text = msg->room_text.text };

  if (m == NULL)
    return;
  if (msg->room_text.text.len > TEA_MAX_TOPIC)
    {
      _tea_relay_send_error (relay, session, msg->req_id, TEA_CODE_TOPIC_TOO_LONG, NULL, 0);
      return;
    }
  if (!tea_reason_is_valid (msg->room_text.text.str, msg->room_text.text.len, TEA_MAX_TOPIC))
    {
      _tea_relay_send_error (relay, session, msg->req_id, TEA_CODE_BAD_TEXT, NULL, 0);
      return;
    }
  if (!check_flood (relay, session, msg->req_id))
    return;
  g_free (m->room->topic);
  m->room->topic = tea_str_dup (msg->room_text.text);
  send_ok (relay, session, msg->req_id, 0);
  _tea_relay_broadcast (relay, m->room, &event, NULL);
}

static void
handle_names (TeaRelay *relay, TeaSession *session, const TeaMessage *msg)
{
  TeaMembership *m = require_membership (relay, session, msg->req_id, msg->names.room_id);

  if (m)
    send_names (relay, session, msg->req_id, m->room);
}

static void
handle_list (TeaRelay *relay, TeaSession *session, const TeaMessage *msg)
{
  g_autofree guint8 *page = g_malloc (PAGE_BYTES);
  g_autoptr (GPtrArray) rooms = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer room_ptr;
  TeaMessage reply = { .type = TEA_MSG_ROOMS_REPLY, .req_id = msg->req_id };
  TeaWriter w;
  guint i = 0;

  g_hash_table_iter_init (&iter, relay->rooms_by_key);
  while (g_hash_table_iter_next (&iter, NULL, &room_ptr))
    g_ptr_array_add (rooms, room_ptr);
  do
    {
      tea_writer_init (&w, page, PAGE_BYTES);
      reply.list.count = 0;
      for (; i < rooms->len; i++)
        {
          TeaRoom *room = g_ptr_array_index (rooms, i);
          gsize before = w.pos;

          tea_rooms_entry_write (&w, room->name, room->members->len, room->topic);
          if (w.failed)
            {
              w.pos = before;
              break;
            }
          reply.list.count++;
        }
      reply.list.more = i < rooms->len;
      reply.list.entries = page;
      reply.list.entries_len = w.pos;
      _tea_relay_send (relay, session, &reply);
    }
  while (reply.list.more);
}

static void
handle_nick (TeaRelay *relay, TeaSession *session, const TeaMessage *msg)
{
  g_autofree char *key = NULL;
  g_autofree char *old_nick = NULL;
  TeaSession *holder;

  if (!tea_nick_is_valid (msg->nick.nick.str, msg->nick.nick.len))
    {
      _tea_relay_send_error (relay, session, msg->req_id, TEA_CODE_BAD_NICK, NULL, 0);
      return;
    }
  key = tea_name_fold (msg->nick.nick.str, msg->nick.nick.len);
  holder = g_hash_table_lookup (relay->sessions_by_nick, key);
  if (holder && holder != session)
    {
      g_autofree char *nick = tea_str_dup (msg->nick.nick);
      _tea_relay_send_error (relay, session, msg->req_id, TEA_CODE_NICK_TAKEN, nick, 0);
      return;
    }
  /* One event in every room of the session. */
  if (!check_flood (relay, session, msg->req_id))
    return;
  old_nick = g_strdup (session->nick);
  set_nick (relay, session, msg->nick.nick.str, msg->nick.nick.len, g_steal_pointer (&key));
  send_ok (relay, session, msg->req_id, 0);
  for (guint i = 0; i < session->memberships->len; i++)
    {
      TeaMembership *m = g_ptr_array_index (session->memberships, i);
      TeaEvent event = { .kind = TEA_EVENT_NICK, .nick = tea_str_from (old_nick), .new_nick = tea_str_from (session->nick) };

      _tea_relay_broadcast (relay, m->room, &event, NULL);
    }
}

static void
handle_privmsg (TeaRelay *relay, TeaSession *session, const TeaMessage *msg)
{
  g_autofree char *key = NULL;
  TeaSession *target;
  TeaMessage delivery = { .type = TEA_MSG_PRIVATE };

  if (!check_text (relay, session, msg->req_id, msg->privmsg.text))
    return;
  key = tea_name_fold (msg->privmsg.nick.str, msg->privmsg.nick.len);
  target = g_hash_table_lookup (relay->sessions_by_nick, key);
  if (target == NULL || target->doomed)
    {
      g_autofree char *nick = tea_str_dup (msg->privmsg.nick);
      _tea_relay_send_error (relay, session, msg->req_id, TEA_CODE_NO_SUCH_NICK, nick, 0);
      return;
    }
  if (msg->privmsg.kind > TEA_TEXT_KIND_ACTION)
    {
      _tea_relay_send_error (relay, session, msg->req_id, TEA_CODE_PROTOCOL, NULL, 0);
      return;
    }
  if (!check_flood (relay, session, msg->req_id))
    return;
  delivery.private_msg.time_ms = _tea_relay_wall_ms (relay);
  delivery.private_msg.from = tea_str_from (session->nick);
  delivery.private_msg.from_flags = session->flags;
  delivery.private_msg.kind = msg->privmsg.kind;
  delivery.private_msg.text = msg->privmsg.text;
  if (target->conn)
    {
      _tea_relay_send (relay, target, &delivery);
    }
  else
    {
      TeaEvent as_event = { .kind = TEA_EVENT_MESSAGE, .nick = delivery.private_msg.from, .text = msg->privmsg.text };
      _tea_relay_legacy_send_event (relay, target, &as_event);
    }
  send_ok (relay, session, msg->req_id, 0);
}

static void
handle_edit (TeaRelay *relay, TeaSession *session, const TeaMessage *msg)
{
  TeaMembership *m = require_membership (relay, session, msg->req_id, msg->edit.room_id);
  TeaEvent event = { .nick = tea_str_from (session->nick), .target = msg->edit.seq };

  if (m == NULL)
    return;
  /* Only one's own latest message in the room: an edit is a correction,
   * not a way to rewrite history others have answered. */
  if (msg->edit.seq == 0 || msg->edit.seq != m->last_said_seq)
    {
      _tea_relay_send_error (relay, session, msg->req_id, TEA_CODE_CANNOT_EDIT, NULL, 0);
      return;
    }
  if (msg->type == TEA_MSG_EDIT)
    {
      if (!check_text (relay, session, msg->req_id, msg->edit.text))
        return;
      event.kind = TEA_EVENT_EDIT;
      event.text = msg->edit.text;
    }
  else
    {
      event.kind = TEA_EVENT_DELETE;
    }
  if (!check_flood (relay, session, msg->req_id))
    return;
  /* Only now that it is accepted: a refused DELETE changes nothing. */
  if (event.kind == TEA_EVENT_DELETE)
    m->last_said_seq = 0;
  send_ok (relay, session, msg->req_id, m->room->seq + 1);
  _tea_relay_broadcast (relay, m->room, &event, NULL);
}

static void
handle_quit (TeaRelay *relay, TeaSession *session, const TeaMessage *msg)
{
  TeaStr reason = msg->quit.reason;

  if (!tea_reason_is_valid (reason.str, reason.len, TEA_MAX_REASON))
    reason = tea_str_from (NULL);
  _tea_relay_end_session (relay, session, TEA_EVENT_QUIT, TEA_CODE_QUIT, reason);
}

void
_tea_relay_handle_message (TeaRelay *relay, TeaSession *session, GBytes *message)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (message, &len);
  TeaMessage msg;
  TeaCode code = tea_message_decode (data, len, &msg);

  if (!tea_message_type_is_request (msg.type))
    {
      /* Not something a client may send at all: a broken or hostile peer. */
      _tea_relay_doom (relay, session, TEA_CODE_PROTOCOL_VIOLATION);
      return;
    }
  if (code != TEA_CODE_NONE)
    {
      _tea_relay_send_error (relay, session, msg.req_id, code, NULL, 0);
      return;
    }
  if (session->nick == NULL && msg.type != TEA_MSG_LOGIN)
    {
      _tea_relay_send_error (relay, session, msg.req_id, TEA_CODE_NOT_LOGGED_IN, NULL, 0);
      return;
    }
  switch ((TeaMessageType) msg.type)
    {
    case TEA_MSG_LOGIN:
      handle_login (relay, session, &msg);
      break;
    case TEA_MSG_JOIN:
      handle_join (relay, session, &msg);
      break;
    case TEA_MSG_PART:
      handle_part (relay, session, &msg);
      break;
    case TEA_MSG_SAY:
      handle_say (relay, session, &msg);
      break;
    case TEA_MSG_PRIVMSG:
      handle_privmsg (relay, session, &msg);
      break;
    case TEA_MSG_TOPIC:
      handle_topic (relay, session, &msg);
      break;
    case TEA_MSG_NAMES:
      handle_names (relay, session, &msg);
      break;
    case TEA_MSG_LIST:
      handle_list (relay, session, &msg);
      break;
    case TEA_MSG_NICK:
      handle_nick (relay, session, &msg);
      break;
    case TEA_MSG_EDIT:
    case TEA_MSG_DELETE:
      handle_edit (relay, session, &msg);
      break;
    case TEA_MSG_QUIT:
      handle_quit (relay, session, &msg);
      break;
    default:
      g_assert_not_reached ();
    }
}
