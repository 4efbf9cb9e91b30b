/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "tea-outbox.h"

typedef enum {
  HEAD_WAITING,     /* the first line is not sent (or is to be sent again) */
  HEAD_SENT,        /* sent on this session, no answer yet */
  HEAD_UNCONFIRMED, /* sent on a session that ended before the answer */
} HeadState;

struct _TeaOutbox
{
  GObject parent_instance;

  TeaClient *client;
  TeaRoom *room;
  gboolean private_conversation;
  TeaOutboxSentFunc sent;
  gpointer sent_data;

  GQueue lines;      /* TeaChatMessage, owned: the first is the one in flight */
  HeadState head;
  guint32 head_req;
  gboolean ready;
  gboolean gap_seen; /* in the catch-up under way */
  guint wait_source; /* the relay asked us to slow down */
};

G_DEFINE_FINAL_TYPE (TeaOutbox, tea_outbox, G_TYPE_OBJECT)

static TeaMessageList *
messages (TeaOutbox *outbox)
{
  return tea_room_get_messages (outbox->room);
}

static void
set_waiting (TeaOutbox *outbox, TeaChatMessage *message)
{
  tea_chat_message_set_req_id (message, 0);
  tea_chat_message_set_error (message, NULL);
  tea_chat_message_set_state (message, TEA_CHAT_MESSAGE_PENDING);
  tea_message_list_changed (messages (outbox), message);
}

/* Takes the first line off the queue; the room's list still holds it. */
static TeaChatMessage *
pop_head (TeaOutbox *outbox)
{
  TeaChatMessage *message = g_queue_pop_head (&outbox->lines);

  outbox->head = HEAD_WAITING;
  outbox->head_req = 0;
  g_object_unref (message);
  return message;
}

static void
fail_head (TeaOutbox *outbox, const char *why)
{
  TeaChatMessage *message = pop_head (outbox);

  tea_chat_message_set_state (message, TEA_CHAT_MESSAGE_FAILED);
  tea_chat_message_set_error (message, why);
  tea_message_list_changed (messages (outbox), message);
}

static void
pump (TeaOutbox *outbox)
{
  TeaChatMessage *message = g_queue_peek_head (&outbox->lines);
  TeaTextKind kind;
  const char *name;
  const char *text;
  guint32 req;

  if (message == NULL || !outbox->ready || outbox->wait_source || outbox->head != HEAD_WAITING)
    return;
  kind = tea_chat_message_get_kind (message) == TEA_CHAT_MESSAGE_ACTION ? TEA_TEXT_KIND_ACTION : TEA_TEXT_KIND_MESSAGE;
  name = tea_room_get_name (outbox->room);
  text = tea_chat_message_get_text (message);
  req = outbox->private_conversation ? tea_client_privmsg (outbox->client, name, text, kind)
                                     : tea_client_say (outbox->client, name, text, kind);
  if (req == 0)
    return; /* no session after all: the next ready or answer pumps again */
  outbox->head = HEAD_SENT;
  outbox->head_req = req;
  tea_chat_message_set_req_id (message, req);
  tea_message_list_changed (messages (outbox), message);
  outbox->sent (outbox, outbox->room, req, outbox->sent_data);
}

void
tea_outbox_push (TeaOutbox *outbox, TeaChatMessage *message)
{
  tea_message_list_set_seq (messages (outbox), message, 0);
  set_waiting (outbox, message);
  g_queue_push_tail (&outbox->lines, g_object_ref (message));
  pump (outbox);
}

void
tea_outbox_set_ready (TeaOutbox *outbox, gboolean ready)
{
  outbox->ready = ready;
  pump (outbox);
}

void
tea_outbox_session_lost (TeaOutbox *outbox)
{
  outbox->ready = FALSE;
  outbox->gap_seen = FALSE;
  g_clear_handle_id (&outbox->wait_source, g_source_remove);
  if (outbox->head == HEAD_SENT)
    outbox->head = HEAD_UNCONFIRMED;
}

void
tea_outbox_history_gap (TeaOutbox *outbox)
{
  if (outbox == NULL)
    return;
  outbox->gap_seen = TRUE;
}

TeaChatMessage *
tea_outbox_confirm (TeaOutbox *outbox, TeaChatMessageKind kind, const char *text, guint64 seq)
{
  TeaChatMessage *message = outbox ? g_queue_peek_head (&outbox->lines) : NULL;

  if (message == NULL || outbox->head != HEAD_UNCONFIRMED || tea_chat_message_get_kind (message) != kind ||
      g_strcmp0 (tea_chat_message_get_text (message), text) != 0)
    return NULL;
  pop_head (outbox);
  tea_message_list_set_seq (messages (outbox), message, seq);
  tea_chat_message_set_state (message, TEA_CHAT_MESSAGE_DELIVERED);
  tea_message_list_changed (messages (outbox), message);
  return message;
}

void
tea_outbox_catch_up_done (TeaOutbox *outbox, gboolean history_covered)
{
  if (outbox->head == HEAD_UNCONFIRMED)
    {
      if (history_covered && !outbox->gap_seen)
        {
          /* The catch-up holds everything since we left, not this line. */
          outbox->head = HEAD_WAITING;
          set_waiting (outbox, g_queue_peek_head (&outbox->lines));
        }
      else
        {
          fail_head (outbox, _("the connection was lost"));
        }
    }
  outbox->gap_seen = FALSE;
  tea_outbox_set_ready (outbox, TRUE);
}

TeaChatMessage *
tea_outbox_handle_ok (TeaOutbox *outbox, guint32 req_id, guint64 seq)
{
  TeaChatMessage *message;

  if (outbox == NULL || outbox->head != HEAD_SENT || outbox->head_req != req_id)
    return NULL;
  message = pop_head (outbox);
  if (outbox->private_conversation)
    /* Private messages are not numbered: the OK is the delivery. */
    tea_chat_message_set_state (message, TEA_CHAT_MESSAGE_DELIVERED);
  else
    /* Known by its seq from now on; the room's event confirms it. */
    tea_message_list_set_seq (messages (outbox), message, seq);
  tea_message_list_changed (messages (outbox), message);
  pump (outbox);
  return message;
}

static gboolean
end_wait (gpointer user_data)
{
  TeaOutbox *outbox = user_data;

  outbox->wait_source = 0;
  pump (outbox);
  return G_SOURCE_REMOVE;
}

TeaChatMessage *
tea_outbox_handle_error (TeaOutbox *outbox, guint32 req_id, guint16 code, guint32 retry_after_ms, const char *text)
{
  TeaChatMessage *message;

  if (outbox == NULL || outbox->head != HEAD_SENT || outbox->head_req != req_id)
    return NULL;
  message = g_queue_peek_head (&outbox->lines);
  if ((code == TEA_CODE_FLOOD || code == TEA_CODE_RATE_LIMITED) && retry_after_ms > 0)
    {
      /* Lines typed during an outage leave together and meet the flood
       * limit: this one waits its turn, the rest behind it. */
      outbox->head = HEAD_WAITING;
      outbox->head_req = 0;
      set_waiting (outbox, message);
      outbox->wait_source = g_timeout_add (retry_after_ms, end_wait, outbox);
      return message;
    }
  fail_head (outbox, text);
  pump (outbox);
  return message;
}

guint
tea_outbox_get_length (TeaOutbox *outbox)
{
  return outbox->lines.length;
}

static void
tea_outbox_dispose (GObject *object)
{
  TeaOutbox *outbox = TEA_OUTBOX (object);

  g_clear_handle_id (&outbox->wait_source, g_source_remove);
  g_queue_clear_full (&outbox->lines, g_object_unref);
  g_clear_object (&outbox->room);
  g_clear_object (&outbox->client);
  G_OBJECT_CLASS (tea_outbox_parent_class)->dispose (object);
}

static void
tea_outbox_class_init (TeaOutboxClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = tea_outbox_dispose;
}

static void
tea_outbox_init (TeaOutbox *outbox)
{
  g_queue_init (&outbox->lines);
}

TeaOutbox *
tea_outbox_new (TeaClient *client, TeaRoom *room, gboolean private_conversation, TeaOutboxSentFunc sent,
                gpointer user_data)
{
  TeaOutbox *outbox = g_object_new (TEA_TYPE_OUTBOX, NULL);

  outbox->client = g_object_ref (client);
  outbox->room = g_object_ref (room);
  outbox->private_conversation = private_conversation;
  outbox->sent = sent;
  outbox->sent_data = user_data;
  return outbox;
}
