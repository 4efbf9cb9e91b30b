/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "tea-code.h"

const char *
tea_code_describe (guint code)
{
  switch ((TeaCode) code)
    {
    case TEA_CODE_NONE:
      return _("No error");
    case TEA_CODE_PROTOCOL:
      return _("The request was malformed");
    case TEA_CODE_MESSAGE_TOO_LONG:
      return _("The message is too long");
    case TEA_CODE_BAD_TEXT:
      return _("The text contains characters that cannot be sent");
    case TEA_CODE_BAD_NICK:
      return _("Nicknames are 1 to 30 characters, without spaces");
    case TEA_CODE_NICK_TAKEN:
      return _("That nickname is already in use");
    case TEA_CODE_BAD_ROOM_NAME:
      return _("Room names are 1 to 40 characters, without spaces");
    case TEA_CODE_NO_SUCH_ROOM:
      return _("There is no such room");
    case TEA_CODE_NO_SUCH_NICK:
      return _("Nobody with that nickname is connected");
    case TEA_CODE_TOO_MANY_ROOMS:
      return _("You are in too many rooms; leave one first");
    case TEA_CODE_SERVER_FULL:
      return _("The server is full");
    case TEA_CODE_FLOOD:
      return _("You are sending messages too fast; wait a moment");
    case TEA_CODE_RATE_LIMITED:
      return _("Too many connection attempts; wait a moment");
    case TEA_CODE_NOT_LOGGED_IN:
      return _("Not signed in yet");
    case TEA_CODE_ALREADY_LOGGED_IN:
      return _("Already signed in");
    case TEA_CODE_ROOM_FULL:
      return _("The room is full");
    case TEA_CODE_TOO_MANY_ROOMS_ON_SERVER:
      return _("The server has reached its limit of rooms");
    case TEA_CODE_CANNOT_EDIT:
      return _("Only your latest message in a room can be changed");
    case TEA_CODE_TOPIC_TOO_LONG:
      return _("The topic is too long");
    case TEA_CODE_NOT_IN_ROOM:
      return _("You are not in that room");
    case TEA_CODE_UNKNOWN_REQUEST:
      return _("The server does not understand this request");
    case TEA_CODE_QUIT:
      /* Translators: why a session ended: the person chose to quit */
      return _("Left the chat");
    case TEA_CODE_SERVER_SHUTDOWN:
      return _("The server is shutting down");
    case TEA_CODE_IDLE_TIMEOUT:
      return _("The connection timed out");
    case TEA_CODE_PROTOCOL_VIOLATION:
      return _("The connection broke the protocol");
    case TEA_CODE_SLOW_READER:
      return _("The connection could not keep up with the room");
    case TEA_CODE_REPLACED:
      return _("Replaced by a newer connection");
    case TEA_CODE_REASSEMBLY_TIMEOUT:
      return _("A message arrived incompletely");
    case TEA_CODE_BAD_COOKIE:
      return _("The server did not recognize the connection attempt");
    case TEA_CODE_UNSUPPORTED_VERSION:
      return _("The server speaks a different version of the protocol");
    case TEA_CODE_SESSION_UNKNOWN:
      return _("The server no longer knows this connection");
    }
  return _("Unknown error");
}

static char *
dup_str (TeaStr s)
{
  return g_strndup (s.str ? s.str : "", s.len);
}

static char *
describe_departure (const char *nick, const TeaEvent *event)
{
  g_autofree char *reason = dup_str (event->text);

  if (event->kind == TEA_EVENT_PART)
    return *reason ? g_strdup_printf (_("%s left the room (%s)"), nick, reason)
                   : g_strdup_printf (_("%s left the room"), nick);
  return *reason ? g_strdup_printf (_("%s quit (%s)"), nick, reason)
                 : g_strdup_printf (_("%s quit"), nick);
}

char *
tea_event_describe (const TeaEvent *event)
{
  g_autofree char *nick = dup_str (event->nick);

  switch (event->kind)
    {
    case TEA_EVENT_JOIN:
      return g_strdup_printf (_("%s joined the room"), nick);
    case TEA_EVENT_PART:
    case TEA_EVENT_QUIT:
      return describe_departure (nick, event);
    case TEA_EVENT_TIMEOUT:
      if (event->code == TEA_CODE_IDLE_TIMEOUT)
        /* Translators: someone's connection went silent and the server dropped them */
        return g_strdup_printf (_("%s timed out"), nick);
      /* Translators: a nickname, then the reason as a sentence, e.g.
       * "The connection could not keep up with the room" */
      return g_strdup_printf (_("%s was disconnected. %s."), nick, tea_code_describe (event->code));
    case TEA_EVENT_NICK:
      {
        g_autofree char *new_nick = dup_str (event->new_nick);
        return g_strdup_printf (_("%s is now known as %s"), nick, new_nick);
      }
    case TEA_EVENT_TOPIC:
      {
        g_autofree char *topic = dup_str (event->text);
        if (*topic == '\0')
          return g_strdup_printf (_("%s cleared the topic"), nick);
        return g_strdup_printf (_("%s changed the topic to: %s"), nick, topic);
      }
    default:
      return NULL;
    }
}

char *
tea_gap_describe (guint64 first, guint64 last, guint8 reason)
{
  if (reason == TEA_GAP_REASON_HISTORY_RESET)
    return g_strdup (_("The room was restarted; messages sent while you were away may be missing"));
  if (first == last)
    return g_strdup (_("One message was lost while you were away"));
  /* %lu, not G_GUINT64_FORMAT: xgettext cannot see through macros. */
  return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                       "%lu message was lost while you were away",
                                       "%lu messages were lost while you were away",
                                       (gulong) (last - first + 1)),
                          (gulong) (last - first + 1));
}
