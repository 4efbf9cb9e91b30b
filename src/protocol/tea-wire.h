/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Bounds-checked cursors over wire bytes. All integers are big-endian.
 * A reader or writer that runs past its end becomes "failed" and stays so;
 * callers check once at the end instead of after every field.
 */
#pragma once

#include <glib.h>
#include <string.h>

G_BEGIN_DECLS

typedef struct
{
  const guint8 *data;
  gsize len;
  gsize pos;
  gboolean failed;
  gboolean bad_utf8; /* failed because a string was not valid UTF-8 */
} TeaReader;

typedef struct
{
  guint8 *data;
  gsize cap;
  gsize pos;
  gboolean failed;
} TeaWriter;

/* A string field as read: points into the datagram, not NUL-terminated. */
typedef struct
{
  const char *str;
  gsize len;
} TeaStr;

void tea_reader_init (TeaReader *r, const guint8 *data, gsize len);

/* The fixed-size readers are inline for the same reason as the writers
 * below: every client reads several per frame of every datagram. */
static inline const guint8 *
tea_reader_take_ (TeaReader *r, gsize n)
{
  const guint8 *p;

  if (r->failed || r->len - r->pos < n)
    {
      r->failed = TRUE;
      return NULL;
    }
  p = r->data + r->pos;
  r->pos += n;
  return p;
}

static inline guint8
tea_reader_u8 (TeaReader *r)
{
  const guint8 *p = tea_reader_take_ (r, 1);
  return p ? p[0] : 0;
}

static inline guint16
tea_reader_u16 (TeaReader *r)
{
  const guint8 *p = tea_reader_take_ (r, 2);
  return p ? (guint16) (p[0] << 8 | p[1]) : 0;
}

static inline guint32
tea_reader_u32 (TeaReader *r)
{
  const guint8 *p = tea_reader_take_ (r, 4);
  return p ? (guint32) p[0] << 24 | (guint32) p[1] << 16 | (guint32) p[2] << 8 | p[3] : 0;
}

static inline guint64
tea_reader_u64 (TeaReader *r)
{
  const guint8 *p = tea_reader_take_ (r, 8);
  guint64 v = 0;

  for (guint i = 0; p && i < 8; i++)
    v = v << 8 | p[i];
  return v;
}

static inline const guint8 *
tea_reader_bytes (TeaReader *r, gsize n)
{
  return tea_reader_take_ (r, n);
}

/* A length-prefixed string (u8 or u16 prefix). Fails unless valid UTF-8
 * without NUL bytes, and at most max_len bytes. */
TeaStr tea_reader_str8 (TeaReader *r, gsize max_len);
TeaStr tea_reader_str16 (TeaReader *r, gsize max_len);
static inline gsize
tea_reader_remaining (const TeaReader *r)
{
  return r->failed ? 0 : r->len - r->pos;
}

/* TRUE when every field read fit and nothing is left over. */
gboolean tea_reader_done (const TeaReader *r);

void tea_writer_init (TeaWriter *w, guint8 *data, gsize cap);

/* The fixed-size writers are inline: the relay calls them for every frame
 * of every datagram, and as calls into another file they cost more than
 * the bytes they write (docs/PERFORMANCE.md). */
static inline guint8 *
tea_writer_take_ (TeaWriter *w, gsize n)
{
  guint8 *p;

  if (w->failed || w->cap - w->pos < n)
    {
      w->failed = TRUE;
      return NULL;
    }
  p = w->data + w->pos;
  w->pos += n;
  return p;
}

static inline void
tea_writer_u8 (TeaWriter *w, guint8 v)
{
  guint8 *p = tea_writer_take_ (w, 1);
  if (p)
    p[0] = v;
}

static inline void
tea_writer_u16 (TeaWriter *w, guint16 v)
{
  guint8 *p = tea_writer_take_ (w, 2);
  if (p)
    {
      p[0] = v >> 8;
      p[1] = v;
    }
}

static inline void
tea_writer_u32 (TeaWriter *w, guint32 v)
{
  guint8 *p = tea_writer_take_ (w, 4);
  if (p)
    {
      p[0] = v >> 24;
      p[1] = v >> 16;
      p[2] = v >> 8;
      p[3] = v;
    }
}

static inline void
tea_writer_u64 (TeaWriter *w, guint64 v)
{
  tea_writer_u32 (w, v >> 32);
  tea_writer_u32 (w, (guint32) v);
}

static inline void
tea_writer_bytes (TeaWriter *w, const void *bytes, gsize n)
{
  guint8 *p = tea_writer_take_ (w, n);
  if (p && n > 0)
    memcpy (p, bytes, n);
}

void tea_writer_zeros (TeaWriter *w, gsize n);
/* NULL writes an empty string. Fails if longer than the prefix can say. */
void tea_writer_str8 (TeaWriter *w, const char *str);
void tea_writer_str16 (TeaWriter *w, const char *str);
void tea_writer_str16_len (TeaWriter *w, const char *str, gsize len);

static inline TeaStr
tea_str_from (const char *s)
{
  TeaStr str = { s, s ? strlen (s) : 0 };
  return str;
}

/* A NUL-terminated copy. */
static inline char *
tea_str_dup (TeaStr s)
{
  return g_strndup (s.str ? s.str : "", s.len);
}

G_END_DECLS
