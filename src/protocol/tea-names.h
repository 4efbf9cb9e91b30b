/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What makes a valid nick, room name or chat text, and how names compare.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* 1-30 characters, each printable and not white space. */
gboolean tea_nick_is_valid (const char *nick, gsize len);
/* 1-40 characters, each printable and not white space. */
gboolean tea_room_name_is_valid (const char *room, gsize len);
/* Non-empty, at most max_bytes, no control characters except newline and
 * tab (terminal clients print text as it is, so ESC must never get through). */
gboolean tea_text_is_valid (const char *text, gsize len, gsize max_bytes);
/* Free-form text that may be empty: reasons, topics. */
gboolean tea_reason_is_valid (const char *text, gsize len, gsize max_bytes);
/* The key two names compare by: case-folded, then NFKC-normalised, so
 * "Ärger" and "äRGER" and fullwidth "ＡＢＣ" and "abc" collide. */
char *tea_name_fold (const char *name, gsize len);
/* Whether two names are the same person or room (see tea_name_fold). */
gboolean tea_names_equal (const char *a, gssize a_len, const char *b, gssize b_len);

G_END_DECLS
