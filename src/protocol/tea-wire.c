/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <string.h>

#include "tea-wire.h"

void
tea_reader_init (TeaReader *r, const guint8 *data, gsize len)
{
  r->data = data;
  r->len = len;
  r->pos = 0;
  r->failed = FALSE;
  r->bad_utf8 = FALSE;
}

static TeaStr
reader_str (TeaReader *r, gsize len, gsize max_len)
{
  TeaStr s = { "", 0 };
  const guint8 *p;

  if (len > max_len)
    {
      r->failed = TRUE;
      return s;
    }
  p = tea_reader_take_ (r, len);
  if (p == NULL)
    return s;
  /* g_utf8_validate_len rejects embedded NUL as well as bad sequences. */
  if (!g_utf8_validate_len ((const char *) p, len, NULL))
    {
      r->failed = TRUE;
      r->bad_utf8 = TRUE;
      return s;
    }
  s.str = (const char *) p;
  s.len = len;
  return s;
}

TeaStr
tea_reader_str8 (TeaReader *r, gsize max_len)
{
  gsize len = tea_reader_u8 (r);
  return reader_str (r, len, max_len);
}

TeaStr
tea_reader_str16 (TeaReader *r, gsize max_len)
{
  gsize len = tea_reader_u16 (r);
  return reader_str (r, len, max_len);
}

gboolean
tea_reader_done (const TeaReader *r)
{
  return !r->failed && r->pos == r->len;
}

void
tea_writer_init (TeaWriter *w, guint8 *data, gsize cap)
{
  w->data = data;
  w->cap = cap;
  w->pos = 0;
  w->failed = FALSE;
}

void
tea_writer_zeros (TeaWriter *w, gsize n)
{
  guint8 *p = tea_writer_take_ (w, n);
  if (p && n > 0)
    memset (p, 0, n);
}

void
tea_writer_str8 (TeaWriter *w, const char *str)
{
  gsize len = str ? strlen (str) : 0;

  if (len > G_MAXUINT8)
    {
      w->failed = TRUE;
      return;
    }
  tea_writer_u8 (w, len);
  tea_writer_bytes (w, str, len);
}

void
tea_writer_str16_len (TeaWriter *w, const char *str, gsize len)
{
  if (len > G_MAXUINT16)
    {
      w->failed = TRUE;
      return;
    }
  tea_writer_u16 (w, len);
  tea_writer_bytes (w, str, len);
}

void
tea_writer_str16 (TeaWriter *w, const char *str)
{
  tea_writer_str16_len (w, str, str ? strlen (str) : 0);
}
