/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Clients of the tutorial we grew from (the seed's client.py): plaintext
 * UTF-8 datagrams, first the name, then "name : text" lines; "exit" leaves.
 * They join room "lobby" as unencrypted members and receive "nick : text"
 * and the seed's own notices. They cannot be validated, so this is off by
 * default, and what we send to each address is capped.
 */
#include "config.h"

#include <string.h>

#include "tea-names.h"
#include "tea-relay-private.h"

#define LEGACY_ROOM "lobby"
/* The seed client reads with recv(1024). */
#define LEGACY_MAX_DATAGRAM 1024
/* The seed server's notices, byte for byte: they are that client's protocol,
 * not our user interface, so they are not translated. */
#define LEGACY_JOINED " 进入聊天室..."
#define LEGACY_LEFT " 离开了聊天室..."

static void
legacy_send_text (TeaRelay *relay, TeaSession *session, const char *text)
{
  const char *p = text;
  gsize left = strlen (text);

  while (left > 0)
    {
      gsize n = MIN (left, LEGACY_MAX_DATAGRAM);

      /* Split only between characters, so each datagram decodes alone. */
      if (n < left)
        while (n > 0 && (p[n] & 0xc0) == 0x80)
          n--;
      if (session->legacy_budget < n)
        {
          relay->stats.dropped_legacy_budget++;
          return;
        }
      session->legacy_budget -= n;
      _tea_relay_send_raw (relay, &session->addr, session->socket_address, (const guint8 *) p, n);
      p += n;
      left -= n;
    }
}

void
_tea_relay_legacy_send_event (TeaRelay *relay, TeaSession *session, const TeaEvent *event)
{
  g_autofree char *nick = tea_str_dup (event->nick);
  g_autofree char *body = tea_str_dup (event->text);
  g_autofree char *line = NULL;

  switch (event->kind)
    {
    case TEA_EVENT_MESSAGE:
      line = g_strconcat (nick, " : ", body, NULL);
      break;
    case TEA_EVENT_ACTION:
      line = g_strconcat ("* ", nick, " ", body, NULL);
      break;
    case TEA_EVENT_JOIN:
      line = g_strconcat (nick, LEGACY_JOINED, NULL);
      break;
    case TEA_EVENT_PART:
    case TEA_EVENT_QUIT:
    case TEA_EVENT_TIMEOUT:
      line = g_strconcat (nick, LEGACY_LEFT, NULL);
      break;
    default:
      return; /* the seed has no words for the rest */
    }
  legacy_send_text (relay, session, line);
}

/* The seed sends any name; ours must be a valid, unique nick. Spaces become
 * underscores, and a taken name gets a number. */
static char *
legacy_nick (TeaRelay *relay, const char *name)
{
  g_autoptr (GString) nick = g_string_new (NULL);
  guint chars = 0;

  for (const char *p = name; *p && chars < TEA_MAX_NICK_CHARS - 3; p = g_utf8_next_char (p), chars++)
    {
      gunichar c = g_utf8_get_char (p);
      g_string_append_unichar (nick, g_unichar_isprint (c) && !g_unichar_isspace (c) ? c : '_');
    }
  if (nick->len == 0)
    g_string_append (nick, "guest");
  /* The name itself, then up to "~99": the three characters left free
   * above, so every candidate is a valid nick. */
  for (guint n = 1; n < 100; n++)
    {
      g_autofree char *candidate = n == 1 ? g_strdup (nick->str) : g_strdup_printf ("%s~%u", nick->str, n);
      g_autofree char *key = tea_name_fold (candidate, strlen (candidate));

      if (!g_hash_table_contains (relay->sessions_by_nick, key))
        return g_steal_pointer (&candidate);
    }
  return NULL;
}

static TeaRoom *
lobby (TeaRelay *relay)
{
  g_autofree char *key = tea_name_fold (LEGACY_ROOM, strlen (LEGACY_ROOM));
  TeaRoom *room = g_hash_table_lookup (relay->rooms_by_key, key);

  if (room == NULL)
    {
      room = _tea_room_new (relay->next_room_id++, LEGACY_ROOM, key, relay->config.backlog);
      g_hash_table_insert (relay->rooms_by_key, room->key, room);
      g_hash_table_insert (relay->rooms_by_id, &room->id, room);
    }
  return room;
}

static void
legacy_register (TeaRelay *relay, const TeaAddr *from, const char *name)
{
  g_autofree char *nick = NULL;
  TeaSession *session;
  TeaRoom *room;
  TeaMembership *membership;
  TeaEvent event = { .kind = TEA_EVENT_JOIN, .flags = TEA_MEMBER_FLAG_UNENCRYPTED };

  room = g_hash_table_size (relay->sessions) < relay->config.max_sessions ? lobby (relay) : NULL;
  nick = legacy_nick (relay, name);
  if (room == NULL || nick == NULL || room->members->len >= relay->config.max_members_per_room)
    {
      relay->stats.handshakes_rejected++;
      return;
    }
  session = _tea_relay_session_new (relay, from);
  session->flags = TEA_MEMBER_FLAG_UNENCRYPTED;
  session->nick = g_steal_pointer (&nick);
  session->nick_key = tea_name_fold (session->nick, strlen (session->nick));
  g_hash_table_insert (relay->sessions_by_nick, session->nick_key, session);
  g_hash_table_insert (relay->legacy_by_addr, &session->addr, session);
  session->legacy_last_heard = relay->now;
  session->legacy_budget = relay->config.legacy_budget;
  tea_token_bucket_init (&session->flood, relay->config.flood_burst, relay->now);

  membership = g_new0 (TeaMembership, 1);
  membership->room = room;
  g_ptr_array_add (session->memberships, membership);
  event.nick = tea_str_from (session->nick);
  _tea_relay_broadcast (relay, room, &event, NULL);
  g_ptr_array_add (room->members, session);
  _tea_relay_reschedule (relay, session);
}

/* "name : text" as the seed client sends it; the text after the first
 * separator, or the whole line if there is none. */
static const char *
legacy_text (const char *line)
{
  const char *sep = strstr (line, " : ");
  return sep ? sep + 3 : line;
}

static void
legacy_say (TeaRelay *relay, TeaSession *session, const char *line)
{
  g_autofree char *text = g_strdup (legacy_text (line));
  TeaMembership *m = g_ptr_array_index (session->memberships, 0);
  TeaEvent event = { .kind = TEA_EVENT_MESSAGE, .flags = session->flags };

  /* Exactly the seed client's own test, before any trimming: after
   * "exit " it stays, and its next line must not make a newcomer. */
  if (g_ascii_strcasecmp (text, "exit") == 0)
    {
      _tea_relay_end_session (relay, session, TEA_EVENT_QUIT, TEA_CODE_QUIT, tea_str_from (NULL));
      return;
    }
  g_strchomp (text);
  /* No error codes reach a seed client: what breaks the rules is dropped
   * and counted. */
  if (!tea_text_is_valid (text, strlen (text), TEA_MAX_TEXT) ||
      !tea_token_bucket_take (&session->flood, relay->config.flood_rate, relay->config.flood_burst, relay->now, NULL))
    {
      relay->stats.requests_refused++;
      return;
    }
  event.nick = tea_str_from (session->nick);
  event.text = tea_str_from (text);
  m->last_said_seq = _tea_relay_broadcast (relay, m->room, &event, session);
}

void
_tea_relay_handle_legacy (TeaRelay *relay, const TeaAddr *from, const guint8 *data, gsize len)
{
  TeaSession *session = g_hash_table_lookup (relay->legacy_by_addr, from);
  g_autofree char *line = NULL;

  if (len == 0 || !g_utf8_validate_len ((const char *) data, len, NULL))
    {
      relay->stats.dropped_foreign++;
      return;
    }
  line = g_strndup ((const char *) data, len);
  if (session == NULL)
    {
      legacy_register (relay, from, line);
      return;
    }
  session->legacy_last_heard = relay->now;
  session->legacy_budget = relay->config.legacy_budget;
  legacy_say (relay, session, line);
  if (g_hash_table_lookup (relay->legacy_by_addr, from) == session)
    _tea_relay_reschedule (relay, session);
}

void
_tea_relay_legacy_timeout (TeaRelay *relay, TeaSession *session, gint64 now_us)
{
  if (now_us - session->legacy_last_heard >= (gint64) relay->config.legacy_idle_timeout_s * G_USEC_PER_SEC)
    _tea_relay_end_session (relay, session, TEA_EVENT_TIMEOUT, TEA_CODE_IDLE_TIMEOUT, tea_str_from (NULL));
  else
    _tea_relay_reschedule (relay, session);
}
