/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "tea-message.h"

/* Decoding only bounds strings by their prefix; the relay applies the
 * semantic limits (nick length, text size) so it can answer with a precise
 * error code instead of a generic protocol error. */
#define ANY_STR8 G_MAXUINT8
#define ANY_STR16 G_MAXUINT16

gboolean
tea_message_type_is_request (guint8 type)
{
  return type >= TEA_MSG_LOGIN && type <= TEA_MSG_QUIT;
}

static gboolean
has_req_id (guint8 type)
{
  return tea_message_type_is_request (type) ||
         (type >= TEA_MSG_OK && type <= TEA_MSG_ROOMS_REPLY);
}

static void
read_token (TeaReader *r, guint8 *token)
{
  const guint8 *p = tea_reader_bytes (r, TEA_RESUME_TOKEN_LEN);
  if (p)
    memcpy (token, p, TEA_RESUME_TOKEN_LEN);
}

/* Reads the kind-specific fields of an EVENT; see docs/PROTOCOL.md. */
static void
read_event_body (TeaReader *r, TeaEvent *ev)
{
  ev->nick = tea_reader_str8 (r, ANY_STR8);
  switch (ev->kind)
    {
    case TEA_EVENT_MESSAGE:
    case TEA_EVENT_ACTION:
      ev->flags = tea_reader_u8 (r);
      ev->text = tea_reader_str16 (r, ANY_STR16);
      break;
    case TEA_EVENT_JOIN:
      ev->flags = tea_reader_u8 (r);
      break;
    case TEA_EVENT_PART:
    case TEA_EVENT_QUIT:
    case TEA_EVENT_TOPIC:
      ev->text = tea_reader_str16 (r, ANY_STR16);
      break;
    case TEA_EVENT_TIMEOUT:
      ev->code = tea_reader_u16 (r);
      break;
    case TEA_EVENT_NICK:
      ev->new_nick = tea_reader_str8 (r, ANY_STR8);
      break;
    case TEA_EVENT_EDIT:
      ev->target = tea_reader_u64 (r);
      ev->text = tea_reader_str16 (r, ANY_STR16);
      break;
    case TEA_EVENT_DELETE:
      ev->target = tea_reader_u64 (r);
      break;
    default:
      r->failed = TRUE;
      break;
    }
}

static void
write_str8 (TeaWriter *w, TeaStr s)
{
  if (s.len > G_MAXUINT8)
    {
      w->failed = TRUE;
      return;
    }
  tea_writer_u8 (w, s.len);
  tea_writer_bytes (w, s.str, s.len);
}

static void
write_str16 (TeaWriter *w, TeaStr s)
{
  tea_writer_str16_len (w, s.str, s.len);
}

static void
write_event_body (TeaWriter *w, const TeaEvent *ev)
{
  write_str8 (w, ev->nick);
  switch (ev->kind)
    {
    case TEA_EVENT_MESSAGE:
    case TEA_EVENT_ACTION:
      tea_writer_u8 (w, ev->flags);
      write_str16 (w, ev->text);
      break;
    case TEA_EVENT_JOIN:
      tea_writer_u8 (w, ev->flags);
      break;
    case TEA_EVENT_PART:
    case TEA_EVENT_QUIT:
    case TEA_EVENT_TOPIC:
      write_str16 (w, ev->text);
      break;
    case TEA_EVENT_TIMEOUT:
      tea_writer_u16 (w, ev->code);
      break;
    case TEA_EVENT_NICK:
      write_str8 (w, ev->new_nick);
      break;
    case TEA_EVENT_EDIT:
      tea_writer_u64 (w, ev->target);
      write_str16 (w, ev->text);
      break;
    case TEA_EVENT_DELETE:
      tea_writer_u64 (w, ev->target);
      break;
    default:
      w->failed = TRUE;
      break;
    }
}

static void
read_list (TeaReader *r, TeaMessage *msg)
{
  gsize start;
  TeaStr a, b;
  guint8 flags;
  guint32 members;

  msg->list.more = tea_reader_u8 (r);
  msg->list.count = tea_reader_u16 (r);
  start = r->pos;
  for (guint i = 0; i < msg->list.count && !r->failed; i++)
    {
      gboolean more;

      if (msg->type == TEA_MSG_NAMES_REPLY)
        more = tea_names_entry_next (r, &a, &flags);
      else
        more = tea_rooms_entry_next (r, &a, &members, &b);
      /* The iterators end quietly at the end of the data; here that means
       * fewer entries than count, which is malformed. */
      if (!more)
        r->failed = TRUE;
    }
  msg->list.entries = r->data + start;
  msg->list.entries_len = r->pos - start;
}

static void
read_body (TeaReader *r, TeaMessage *msg)
{
  switch (msg->type)
    {
    case TEA_MSG_LOGIN:
      msg->login.nick = tea_reader_str8 (r, ANY_STR8);
      read_token (r, msg->login.resume_token);
      msg->login.client_name = tea_reader_str8 (r, ANY_STR8);
      break;
    case TEA_MSG_JOIN:
      msg->join.room = tea_reader_str8 (r, ANY_STR8);
      msg->join.epoch = tea_reader_u64 (r);
      msg->join.last_seq = tea_reader_u64 (r);
      msg->join.history = tea_reader_u16 (r);
      break;
    case TEA_MSG_PART:
    case TEA_MSG_TOPIC:
      msg->room_text.room_id = tea_reader_u32 (r);
      msg->room_text.text = tea_reader_str16 (r, ANY_STR16);
      break;
    case TEA_MSG_SAY:
      msg->room_text.room_id = tea_reader_u32 (r);
      msg->room_text.kind = tea_reader_u8 (r);
      msg->room_text.text = tea_reader_str16 (r, ANY_STR16);
      break;
    case TEA_MSG_PRIVMSG:
      msg->privmsg.nick = tea_reader_str8 (r, ANY_STR8);
      msg->privmsg.kind = tea_reader_u8 (r);
      msg->privmsg.text = tea_reader_str16 (r, ANY_STR16);
      break;
    case TEA_MSG_NAMES:
      msg->names.room_id = tea_reader_u32 (r);
      break;
    case TEA_MSG_LIST:
      break;
    case TEA_MSG_NICK:
      msg->nick.nick = tea_reader_str8 (r, ANY_STR8);
      break;
    case TEA_MSG_EDIT:
    case TEA_MSG_DELETE:
      msg->edit.room_id = tea_reader_u32 (r);
      msg->edit.seq = tea_reader_u64 (r);
      if (msg->type == TEA_MSG_EDIT)
        msg->edit.text = tea_reader_str16 (r, ANY_STR16);
      break;
    case TEA_MSG_QUIT:
      msg->quit.reason = tea_reader_str16 (r, ANY_STR16);
      break;
    case TEA_MSG_OK:
      msg->ok.value = tea_reader_u64 (r);
      break;
    case TEA_MSG_ERROR:
      msg->error.code = tea_reader_u16 (r);
      msg->error.retry_after_ms = tea_reader_u32 (r);
      msg->error.detail = tea_reader_str8 (r, ANY_STR8);
      break;
    case TEA_MSG_WELCOME:
      msg->welcome.nick = tea_reader_str8 (r, ANY_STR8);
      read_token (r, msg->welcome.resume_token);
      msg->welcome.max_text = tea_reader_u16 (r);
      msg->welcome.max_rooms = tea_reader_u16 (r);
      msg->welcome.server_name = tea_reader_str8 (r, ANY_STR8);
      break;
    case TEA_MSG_JOINED:
      msg->joined.room_id = tea_reader_u32 (r);
      msg->joined.room = tea_reader_str8 (r, ANY_STR8);
      msg->joined.epoch = tea_reader_u64 (r);
      msg->joined.topic = tea_reader_str16 (r, ANY_STR16);
      msg->joined.join_seq = tea_reader_u64 (r);
      break;
    case TEA_MSG_NAMES_REPLY:
      msg->list.room_id = tea_reader_u32 (r);
      read_list (r, msg);
      break;
    case TEA_MSG_ROOMS_REPLY:
      read_list (r, msg);
      break;
    case TEA_MSG_EVENT:
      msg->event.room_id = tea_reader_u32 (r);
      msg->event.seq = tea_reader_u64 (r);
      msg->event.time_ms = tea_reader_u64 (r);
      msg->event.kind = tea_reader_u8 (r);
      read_event_body (r, &msg->event);
      break;
    case TEA_MSG_PRIVATE:
      msg->private_msg.time_ms = tea_reader_u64 (r);
      msg->private_msg.from = tea_reader_str8 (r, ANY_STR8);
      msg->private_msg.from_flags = tea_reader_u8 (r);
      msg->private_msg.kind = tea_reader_u8 (r);
      msg->private_msg.text = tea_reader_str16 (r, ANY_STR16);
      break;
    case TEA_MSG_NOTICE:
      msg->notice.code = tea_reader_u16 (r);
      msg->notice.detail = tea_reader_str8 (r, ANY_STR8);
      break;
    case TEA_MSG_GAP:
      msg->gap.room_id = tea_reader_u32 (r);
      msg->gap.first = tea_reader_u64 (r);
      msg->gap.last = tea_reader_u64 (r);
      msg->gap.reason = tea_reader_u8 (r);
      break;
    default:
      r->failed = TRUE;
      break;
    }
}

TeaCode
tea_message_decode (const guint8 *data, gsize len, TeaMessage *msg)
{
  TeaReader r;

  memset (msg, 0, sizeof *msg);
  tea_reader_init (&r, data, len);
  msg->type = tea_reader_u8 (&r);
  if (has_req_id (msg->type))
    msg->req_id = tea_reader_u32 (&r);
  if (r.failed)
    return TEA_CODE_PROTOCOL;
  read_body (&r, msg);
  if (r.bad_utf8)
    return TEA_CODE_BAD_TEXT;
  /* Trailing bytes are an error: they would hide a framing mistake. */
  return tea_reader_done (&r) ? TEA_CODE_NONE : TEA_CODE_PROTOCOL;
}

static void
write_body (TeaWriter *w, const TeaMessage *msg)
{
  switch (msg->type)
    {
    case TEA_MSG_LOGIN:
      write_str8 (w, msg->login.nick);
      tea_writer_bytes (w, msg->login.resume_token, TEA_RESUME_TOKEN_LEN);
      write_str8 (w, msg->login.client_name);
      break;
    case TEA_MSG_JOIN:
      write_str8 (w, msg->join.room);
      tea_writer_u64 (w, msg->join.epoch);
      tea_writer_u64 (w, msg->join.last_seq);
      tea_writer_u16 (w, msg->join.history);
      break;
    case TEA_MSG_PART:
    case TEA_MSG_TOPIC:
      tea_writer_u32 (w, msg->room_text.room_id);
      write_str16 (w, msg->room_text.text);
      break;
    case TEA_MSG_SAY:
      tea_writer_u32 (w, msg->room_text.room_id);
      tea_writer_u8 (w, msg->room_text.kind);
      write_str16 (w, msg->room_text.text);
      break;
    case TEA_MSG_PRIVMSG:
      write_str8 (w, msg->privmsg.nick);
      tea_writer_u8 (w, msg->privmsg.kind);
      write_str16 (w, msg->privmsg.text);
      break;
    case TEA_MSG_NAMES:
      tea_writer_u32 (w, msg->names.room_id);
      break;
    case TEA_MSG_LIST:
      break;
    case TEA_MSG_NICK:
      write_str8 (w, msg->nick.nick);
      break;
    case TEA_MSG_EDIT:
    case TEA_MSG_DELETE:
      tea_writer_u32 (w, msg->edit.room_id);
      tea_writer_u64 (w, msg->edit.seq);
      if (msg->type == TEA_MSG_EDIT)
        write_str16 (w, msg->edit.text);
      break;
    case TEA_MSG_QUIT:
      write_str16 (w, msg->quit.reason);
      break;
    case TEA_MSG_OK:
      tea_writer_u64 (w, msg->ok.value);
      break;
    case TEA_MSG_ERROR:
      tea_writer_u16 (w, msg->error.code);
      tea_writer_u32 (w, msg->error.retry_after_ms);
      write_str8 (w, msg->error.detail);
      break;
    case TEA_MSG_WELCOME:
      write_str8 (w, msg->welcome.nick);
      tea_writer_bytes (w, msg->welcome.resume_token, TEA_RESUME_TOKEN_LEN);
      tea_writer_u16 (w, msg->welcome.max_text);
      tea_writer_u16 (w, msg->welcome.max_rooms);
      write_str8 (w, msg->welcome.server_name);
      break;
    case TEA_MSG_JOINED:
      tea_writer_u32 (w, msg->joined.room_id);
      write_str8 (w, msg->joined.room);
      tea_writer_u64 (w, msg->joined.epoch);
      write_str16 (w, msg->joined.topic);
      tea_writer_u64 (w, msg->joined.join_seq);
      break;
    case TEA_MSG_NAMES_REPLY:
    case TEA_MSG_ROOMS_REPLY:
      if (msg->type == TEA_MSG_NAMES_REPLY)
        tea_writer_u32 (w, msg->list.room_id);
      tea_writer_u8 (w, msg->list.more);
      tea_writer_u16 (w, msg->list.count);
      tea_writer_bytes (w, msg->list.entries, msg->list.entries_len);
      break;
    case TEA_MSG_EVENT:
      tea_writer_u32 (w, msg->event.room_id);
      tea_writer_u64 (w, msg->event.seq);
      tea_writer_u64 (w, msg->event.time_ms);
      tea_writer_u8 (w, msg->event.kind);
      write_event_body (w, &msg->event);
      break;
    case TEA_MSG_PRIVATE:
      tea_writer_u64 (w, msg->private_msg.time_ms);
      write_str8 (w, msg->private_msg.from);
      tea_writer_u8 (w, msg->private_msg.from_flags);
      tea_writer_u8 (w, msg->private_msg.kind);
      write_str16 (w, msg->private_msg.text);
      break;
    case TEA_MSG_NOTICE:
      tea_writer_u16 (w, msg->notice.code);
      write_str8 (w, msg->notice.detail);
      break;
    case TEA_MSG_GAP:
      tea_writer_u32 (w, msg->gap.room_id);
      tea_writer_u64 (w, msg->gap.first);
      tea_writer_u64 (w, msg->gap.last);
      tea_writer_u8 (w, msg->gap.reason);
      break;
    default:
      w->failed = TRUE;
      break;
    }
}

gsize
tea_message_encode (const TeaMessage *msg, guint8 *out, gsize cap)
{
  TeaWriter w;

  tea_writer_init (&w, out, MIN (cap, TEA_MAX_MESSAGE));
  tea_writer_u8 (&w, msg->type);
  if (has_req_id (msg->type))
    tea_writer_u32 (&w, msg->req_id);
  write_body (&w, msg);
  return w.failed ? 0 : w.pos;
}

GBytes *
tea_message_encode_bytes (const TeaMessage *msg)
{
  g_autofree guint8 *buf = g_malloc (TEA_MAX_MESSAGE);
  gsize len = tea_message_encode (msg, buf, TEA_MAX_MESSAGE);

  if (len == 0)
    return NULL;
  return g_bytes_new (buf, len);
}

void
tea_names_entry_write (TeaWriter *w, const char *nick, guint8 flags)
{
  tea_writer_str8 (w, nick);
  tea_writer_u8 (w, flags);
}

gboolean
tea_names_entry_next (TeaReader *r, TeaStr *nick, guint8 *flags)
{
  if (tea_reader_remaining (r) == 0)
    return FALSE;
  *nick = tea_reader_str8 (r, ANY_STR8);
  *flags = tea_reader_u8 (r);
  return !r->failed;
}

void
tea_rooms_entry_write (TeaWriter *w, const char *room, guint32 members, const char *topic)
{
  tea_writer_str8 (w, room);
  tea_writer_u32 (w, members);
  tea_writer_str16 (w, topic);
}

gboolean
tea_rooms_entry_next (TeaReader *r, TeaStr *room, guint32 *members, TeaStr *topic)
{
  if (tea_reader_remaining (r) == 0)
    return FALSE;
  *room = tea_reader_str8 (r, ANY_STR8);
  *members = tea_reader_u32 (r);
  *topic = tea_reader_str16 (r, ANY_STR16);
  return !r->failed;
}
