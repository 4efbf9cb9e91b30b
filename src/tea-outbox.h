/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Own lines on their way to one room (or one private conversation): in the
 * order they were typed, one in flight at a time, waiting while the room
 * cannot take them (disconnected, rejoining, catching up), resent when a
 * lost session's catch-up proves they never arrived, and never sent twice
 * when nobody can tell (the relay's history is gone): those are left to
 * the person, failed with Retry.
 */
#pragma once

#include "tea-client.h"
#include "tea-room.h"

G_BEGIN_DECLS

#define TEA_TYPE_OUTBOX (tea_outbox_get_type ())
G_DECLARE_FINAL_TYPE (TeaOutbox, tea_outbox, TEA, OUTBOX, GObject)

/* Emitted with each request the outbox makes, so the owner can route the
 * relay's OK or ERROR for it back here. */
typedef void (*TeaOutboxSentFunc) (TeaOutbox *outbox, TeaRoom *room, guint32 req_id, gpointer user_data);

TeaOutbox *tea_outbox_new (TeaClient *client, TeaRoom *room, gboolean private_conversation,
                           TeaOutboxSentFunc sent, gpointer user_data);

/* A new own line (already shown in the room), or a failed one retried. */
void tea_outbox_push (TeaOutbox *outbox, TeaChatMessage *message);
/* Whether the room takes lines now: connected, joined, caught up. */
void tea_outbox_set_ready (TeaOutbox *outbox, gboolean ready);
/* The session ended: a line in flight may or may not have arrived. */
void tea_outbox_session_lost (TeaOutbox *outbox);
/* A gap in the catch-up: what happened before it is unknown. */
void tea_outbox_history_gap (TeaOutbox *outbox);
/* A line of mine in the catch-up: returns the unconfirmed line it is
 * (now delivered, with its seq) or NULL. */
TeaChatMessage *tea_outbox_confirm (TeaOutbox *outbox, TeaChatMessageKind kind, const char *text, guint64 seq);
/* The catch-up is over (or there is none): a line still unconfirmed is
 * sent again if the catch-up covered it, failed otherwise; then ready. */
void tea_outbox_catch_up_done (TeaOutbox *outbox, gboolean history_covered);
/* The relay's answer to a request made for this outbox. Returns the line
 * it was about, or NULL if it is not one of ours. These, confirm and
 * history_gap accept a NULL outbox (a room without lines), as a no-op. */
TeaChatMessage *tea_outbox_handle_ok (TeaOutbox *outbox, guint32 req_id, guint64 seq);
TeaChatMessage *tea_outbox_handle_error (TeaOutbox *outbox, guint32 req_id, guint16 code, guint32 retry_after_ms,
                                         const char *text);
guint tea_outbox_get_length (TeaOutbox *outbox);

G_END_DECLS
