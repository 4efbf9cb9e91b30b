/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The protocol carries codes; these turn them into words in the user's
 * language. Shared by every client so they say the same thing.
 */
#pragma once

#include <glib.h>

#include "tea-message.h"

G_BEGIN_DECLS

/* A sentence for an error or session-ending code. */
const char *tea_code_describe (guint code);
/* A sentence for a room notice (join, part, quit, timeout, nick, topic,
 * gap), or NULL for a message, action, edit or delete. */
char *tea_event_describe (const TeaEvent *event);
/* "Messages … were lost" for a GAP. */
char *tea_gap_describe (guint64 first, guint64 last, guint8 reason);

G_END_DECLS
