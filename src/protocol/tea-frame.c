/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "tea-frame.h"

void
tea_ack_ranges_init (TeaAckRanges *ranges)
{
  ranges->n_ranges = 0;
}

gboolean
tea_ack_ranges_contains (const TeaAckRanges *ranges, guint64 pn)
{
  for (guint i = 0; i < ranges->n_ranges; i++)
    {
      if (pn > ranges->ranges[i].hi)
        return FALSE;
      if (pn >= ranges->ranges[i].lo)
        return TRUE;
    }
  return FALSE;
}

static void
ranges_insert_at (TeaAckRanges *ranges, guint index, guint64 pn)
{
  guint n = MIN (ranges->n_ranges, TEA_ACK_RANGES_TRACKED - 1);

  if (index >= TEA_ACK_RANGES_TRACKED)
    return; /* older than anything we still track */
  memmove (&ranges->ranges[index + 1], &ranges->ranges[index],
           (n - MIN (n, index)) * sizeof (TeaPnRange));
  ranges->ranges[index].lo = ranges->ranges[index].hi = pn;
  ranges->n_ranges = n + 1;
}

static void
ranges_merge_with_next (TeaAckRanges *ranges, guint index)
{
  TeaPnRange *cur = &ranges->ranges[index];
  TeaPnRange *next = &ranges->ranges[index + 1];

  if (index + 1 >= ranges->n_ranges || next->hi + 1 < cur->lo)
    return;
  cur->lo = next->lo;
  memmove (next, next + 1, (ranges->n_ranges - index - 2) * sizeof (TeaPnRange));
  ranges->n_ranges--;
}

gboolean
tea_ack_ranges_add (TeaAckRanges *ranges, guint64 pn)
{
  guint i;

  for (i = 0; i < ranges->n_ranges; i++)
    {
      TeaPnRange *cur = &ranges->ranges[i];

      if (pn >= cur->lo && pn <= cur->hi)
        return FALSE;
      if (pn == cur->hi + 1)
        {
          cur->hi = pn;
          if (i > 0 && ranges->ranges[i - 1].lo == pn + 1)
            {
              ranges->ranges[i - 1].lo = cur->lo;
              memmove (cur, cur + 1, (ranges->n_ranges - i - 1) * sizeof (TeaPnRange));
              ranges->n_ranges--;
            }
          return TRUE;
        }
      if (pn > cur->hi)
        break;
      if (pn + 1 == cur->lo)
        {
          cur->lo = pn;
          ranges_merge_with_next (ranges, i);
          return TRUE;
        }
    }
  ranges_insert_at (ranges, i, pn);
  return TRUE;
}

static gboolean
read_ack (TeaReader *r, TeaFrame *frame)
{
  TeaAckRanges *ranges = &frame->ack.ranges;
  guint64 largest = tea_reader_u64 (r);
  guint n_more;
  guint64 first;

  frame->ack.delay_us = tea_reader_u32 (r);
  n_more = tea_reader_u8 (r);
  first = tea_reader_u16 (r);
  if (r->failed || n_more >= TEA_MAX_ACK_RANGES || first > largest)
    return FALSE;

  ranges->ranges[0].hi = largest;
  ranges->ranges[0].lo = largest - first;
  ranges->n_ranges = 1;
  for (guint i = 0; i < n_more; i++)
    {
      guint64 gap = tea_reader_u16 (r);
      guint64 len = tea_reader_u16 (r);
      guint64 prev_lo = ranges->ranges[i].lo;

      /* gap counts missing packet numbers, so at least one. */
      if (r->failed || gap == 0 || prev_lo < gap + 1 + len)
        return FALSE;
      ranges->ranges[i + 1].hi = prev_lo - gap - 1;
      ranges->ranges[i + 1].lo = ranges->ranges[i + 1].hi - len;
      ranges->n_ranges++;
    }
  return TRUE;
}

gboolean
tea_frame_read (TeaReader *r, TeaFrame *frame, gboolean *malformed)
{
  const guint8 *p;

  *malformed = FALSE;
  /* Full packets that more follow end in up to a hundred bytes of it. */
  while (!r->failed && r->pos < r->len && r->data[r->pos] == TEA_FRAME_PADDING)
    r->pos++;
  if (tea_reader_remaining (r) == 0)
    return FALSE;
  frame->type = tea_reader_u8 (r);

  switch (frame->type)
    {
    case TEA_FRAME_PING:
      return TRUE;
    case TEA_FRAME_ACK:
      if (read_ack (r, frame))
        return TRUE;
      break;
    case TEA_FRAME_CLOSE:
      frame->close_code = tea_reader_u16 (r);
      if (!r->failed)
        return TRUE;
      break;
    case TEA_FRAME_PATH_CHALLENGE:
    case TEA_FRAME_PATH_RESPONSE:
      p = tea_reader_bytes (r, TEA_PATH_CHALLENGE_LEN);
      if (p)
        {
          memcpy (frame->path_data, p, TEA_PATH_CHALLENGE_LEN);
          return TRUE;
        }
      break;
    case TEA_FRAME_STREAM:
      frame->stream.seq = tea_reader_u64 (r);
      frame->stream.flags = tea_reader_u8 (r);
      frame->stream.len = tea_reader_u16 (r);
      frame->stream.data = tea_reader_bytes (r, frame->stream.len);
      if (!r->failed && frame->stream.len <= TEA_MAX_FRAGMENT &&
          (frame->stream.flags & ~TEA_STREAM_FLAG_FIN) == 0)
        return TRUE;
      break;
    default:
      break;
    }
  *malformed = TRUE;
  return FALSE;
}

void
tea_frame_write_ping (TeaWriter *w)
{
  tea_writer_u8 (w, TEA_FRAME_PING);
}

void
tea_frame_write_close (TeaWriter *w, guint16 code)
{
  tea_writer_u8 (w, TEA_FRAME_CLOSE);
  tea_writer_u16 (w, code);
}

void
tea_frame_write_path (TeaWriter *w, TeaFrameType type, const guint8 data[TEA_PATH_CHALLENGE_LEN])
{
  tea_writer_u8 (w, type);
  tea_writer_bytes (w, data, TEA_PATH_CHALLENGE_LEN);
}

/* The ranges an ACK frame can carry: each field is 16 bits, so a long range
 * is shortened (acknowledging less is always safe) and a gap too wide for
 * its field ends the frame there. Returns how many were written to out. */
static guint
ack_encodable_ranges (const TeaAckRanges *ranges, guint max_ranges, TeaPnRange *out)
{
  guint n = MIN (ranges->n_ranges, MIN (max_ranges, TEA_MAX_ACK_RANGES));

  for (guint i = 0; i < n; i++)
    {
      out[i] = ranges->ranges[i];
      if (out[i].hi - out[i].lo > G_MAXUINT16)
        out[i].lo = out[i].hi - G_MAXUINT16;
      if (i > 0 && out[i - 1].lo - out[i].hi - 1 > G_MAXUINT16)
        return i;
    }
  return n;
}

gsize
tea_frame_ack_len (const TeaAckRanges *ranges, guint max_ranges)
{
  TeaPnRange encoded[TEA_MAX_ACK_RANGES];
  guint n = ack_encodable_ranges (ranges, max_ranges, encoded);

  return n == 0 ? 0 : TEA_ACK_FRAME_MIN_LEN + 4 * (n - 1);
}

void
tea_frame_write_ack (TeaWriter *w, const TeaAckRanges *ranges, guint32 delay_us, guint max_ranges)
{
  TeaPnRange encoded[TEA_MAX_ACK_RANGES];
  guint n = ack_encodable_ranges (ranges, max_ranges, encoded);

  if (n == 0)
    return;
  tea_writer_u8 (w, TEA_FRAME_ACK);
  tea_writer_u64 (w, encoded[0].hi);
  tea_writer_u32 (w, delay_us);
  tea_writer_u8 (w, n - 1);
  tea_writer_u16 (w, encoded[0].hi - encoded[0].lo);
  for (guint i = 1; i < n; i++)
    {
      tea_writer_u16 (w, encoded[i - 1].lo - encoded[i].hi - 1);
      tea_writer_u16 (w, encoded[i].hi - encoded[i].lo);
    }
}

void
tea_frame_write_stream (TeaWriter *w, guint64 seq, guint8 flags, const guint8 *data, guint16 len)
{
  tea_writer_u8 (w, TEA_FRAME_STREAM);
  tea_writer_u64 (w, seq);
  tea_writer_u8 (w, flags);
  tea_writer_u16 (w, len);
  tea_writer_bytes (w, data, len);
}
