/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Frames: the content of a SESSION packet once it is opened. Layouts are in
 * docs/PROTOCOL.md, section "Frames".
 */
#pragma once

#include <glib.h>

#include "tea-protocol.h"
#include "tea-wire.h"

G_BEGIN_DECLS

/* An inclusive range of packet numbers. */
typedef struct
{
  guint64 lo;
  guint64 hi;
} TeaPnRange;

/* Disjoint ranges, highest first. Used both for what a receiver has seen
 * and for a decoded ACK frame. */
#define TEA_ACK_RANGES_TRACKED 32
typedef struct
{
  TeaPnRange ranges[TEA_ACK_RANGES_TRACKED];
  guint n_ranges;
} TeaAckRanges;

void tea_ack_ranges_init (TeaAckRanges *ranges);
/* Records pn; returns FALSE if it was already there. When more than
 * TEA_ACK_RANGES_TRACKED ranges would exist, the oldest is forgotten. */
gboolean tea_ack_ranges_add (TeaAckRanges *ranges, guint64 pn);
gboolean tea_ack_ranges_contains (const TeaAckRanges *ranges, guint64 pn);

typedef struct
{
  TeaFrameType type;
  union
  {
    struct
    {
      guint32 delay_us;
      TeaAckRanges ranges;
    } ack;
    guint16 close_code;
    guint8 path_data[TEA_PATH_CHALLENGE_LEN];
    struct
    {
      guint64 seq;
      guint8 flags;
      guint16 len;
      const guint8 *data; /* points into the packet */
    } stream;
  };
} TeaFrame;

/* Reads the next frame. Returns FALSE at the end of the payload or on a
 * malformed frame; *malformed tells which. Runs of PADDING are skipped. */
gboolean tea_frame_read (TeaReader *r, TeaFrame *frame, gboolean *malformed);

void tea_frame_write_ping (TeaWriter *w);
void tea_frame_write_close (TeaWriter *w, guint16 code);
void tea_frame_write_path (TeaWriter *w, TeaFrameType type, const guint8 data[TEA_PATH_CHALLENGE_LEN]);
/* Writes as many ranges as fit in max_ranges (and in the writer). */
void tea_frame_write_ack (TeaWriter *w, const TeaAckRanges *ranges, guint32 delay_us, guint max_ranges);
gsize tea_frame_ack_len (const TeaAckRanges *ranges, guint max_ranges);
void tea_frame_write_stream (TeaWriter *w, guint64 seq, guint8 flags, const guint8 *data, guint16 len);

G_END_DECLS
