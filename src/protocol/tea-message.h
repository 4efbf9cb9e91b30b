/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Application messages: what a session's reliable stream carries. One
 * struct describes every message so encoding and decoding stay symmetric.
 * Layouts are in docs/PROTOCOL.md, section "Messages".
 */
#pragma once

#include <glib.h>

#include "tea-protocol.h"
#include "tea-wire.h"

G_BEGIN_DECLS

/* A room event as the relay numbered it. Which fields are used depends on
 * kind; see docs/PROTOCOL.md. */
typedef struct
{
  guint32 room_id;
  guint64 seq;
  guint64 time_ms; /* Unix time, milliseconds */
  guint8 kind;     /* TeaEventKind */
  TeaStr nick;
  guint8 flags;   /* TeaMemberFlags: MESSAGE, ACTION, JOIN */
  TeaStr text;    /* MESSAGE, ACTION, EDIT text; PART, QUIT reason; TOPIC */
  TeaStr new_nick; /* NICK */
  guint64 target; /* EDIT, DELETE: the seq of the edited message */
  guint16 code;   /* TIMEOUT: why the relay ended the session (TeaCode) */
} TeaEvent;

typedef struct
{
  guint8 type;     /* TeaMessageType */
  guint32 req_id;  /* requests and direct replies; 0 otherwise */
  union
  {
    struct
    {
      TeaStr nick;
      guint8 resume_token[TEA_RESUME_TOKEN_LEN];
      TeaStr client_name;
    } login;
    struct
    {
      TeaStr room;
      guint64 epoch;
      guint64 last_seq;
      guint16 history;
    } join;
    struct
    {
      guint32 room_id;
      TeaStr text;  /* SAY text, TOPIC topic, PART reason */
      guint8 kind;  /* SAY */
    } room_text;    /* SAY, TOPIC, PART */
    struct
    {
      guint32 room_id;
    } names;
    struct
    {
      TeaStr nick;
      guint8 kind;
      TeaStr text;
    } privmsg;
    struct
    {
      TeaStr nick;
    } nick;
    struct
    {
      guint32 room_id;
      guint64 seq;
      TeaStr text;
    } edit;         /* EDIT, DELETE (text unused) */
    struct
    {
      TeaStr reason;
    } quit;

    struct
    {
      guint64 value;
    } ok;
    struct
    {
      guint16 code;
      guint32 retry_after_ms;
      TeaStr detail;
    } error;
    struct
    {
      TeaStr nick;
      guint8 resume_token[TEA_RESUME_TOKEN_LEN];
      guint16 max_text;
      guint16 max_rooms;
      TeaStr server_name;
    } welcome;
    struct
    {
      guint32 room_id;
      TeaStr room;
      guint64 epoch;
      TeaStr topic;
      guint64 join_seq;
    } joined;
    struct
    {
      guint32 room_id; /* NAMES_REPLY only */
      guint8 more;
      guint16 count;
      const guint8 *entries; /* count entries, validated; see the iterators */
      gsize entries_len;
    } list;              /* NAMES_REPLY, ROOMS_REPLY */
    TeaEvent event;
    struct
    {
      guint64 time_ms;
      TeaStr from;
      guint8 from_flags;
      guint8 kind;
      TeaStr text;
    } private_msg;
    struct
    {
      guint16 code;
      TeaStr detail;
    } notice;
    struct
    {
      guint32 room_id;
      guint64 first;
      guint64 last;
      guint8 reason; /* TeaGapReason */
    } gap;
  };
} TeaMessage;

/* Returns TEA_CODE_NONE, TEA_CODE_BAD_TEXT for a string that is not valid
 * UTF-8, or TEA_CODE_PROTOCOL for anything else malformed. req_id is filled
 * in as soon as it could be read, so an error reply can name the request. */
TeaCode tea_message_decode (const guint8 *data, gsize len, TeaMessage *msg);
/* Returns the encoded length, or 0 if it does not fit or a field is too long
 * for its length prefix. */
gsize tea_message_encode (const TeaMessage *msg, guint8 *out, gsize cap);
/* Encodes into a new GBytes of exactly the right size; NULL if too long. */
GBytes *tea_message_encode_bytes (const TeaMessage *msg);

/* Entries of NAMES_REPLY and ROOMS_REPLY. */
void tea_names_entry_write (TeaWriter *w, const char *nick, guint8 flags);
gboolean tea_names_entry_next (TeaReader *r, TeaStr *nick, guint8 *flags);
void tea_rooms_entry_write (TeaWriter *w, const char *room, guint32 members, const char *topic);
gboolean tea_rooms_entry_next (TeaReader *r, TeaStr *room, guint32 *members, TeaStr *topic);

gboolean tea_message_type_is_request (guint8 type);

G_END_DECLS
