/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <string.h>

#include "tea-names.h"

static gboolean
is_name_char (gunichar c)
{
  return g_unichar_isprint (c) && !g_unichar_isspace (c);
}

static gboolean
name_is_valid (const char *name, gsize len, guint max_chars)
{
  const char *p = name;
  const char *end = name + len;
  guint n = 0;

  if (len == 0 || !g_utf8_validate_len (name, len, NULL))
    return FALSE;
  while (p < end)
    {
      if (!is_name_char (g_utf8_get_char (p)) || ++n > max_chars)
        return FALSE;
      p = g_utf8_next_char (p);
    }
  return TRUE;
}

gboolean
tea_nick_is_valid (const char *nick, gsize len)
{
  return name_is_valid (nick, len, 30);
}

gboolean
tea_room_name_is_valid (const char *room, gsize len)
{
  return name_is_valid (room, len, 40);
}

static gboolean
is_forbidden_control (gunichar c)
{
  if (c == '\n' || c == '\t')
    return FALSE;
  return c < 0x20 || (c >= 0x7f && c <= 0x9f);
}

gboolean
tea_reason_is_valid (const char *text, gsize len, gsize max_bytes)
{
  const char *p = text;
  const char *end = text + len;

  if (len > max_bytes || !g_utf8_validate_len (text, len, NULL))
    return FALSE;
  for (; p < end; p = g_utf8_next_char (p))
    if (is_forbidden_control (g_utf8_get_char (p)))
      return FALSE;
  return TRUE;
}

gboolean
tea_text_is_valid (const char *text, gsize len, gsize max_bytes)
{
  return len > 0 && tea_reason_is_valid (text, len, max_bytes);
}

char *
tea_name_fold (const char *name, gsize len)
{
  /* NFKC can turn a compatibility form into an upper-case letter (e.g.
   * U+1D400 into "A"), so fold again after normalising. */
  g_autofree char *folded = g_utf8_casefold (name, len);
  g_autofree char *normal = g_utf8_normalize (folded, -1, G_NORMALIZE_NFKC);
  g_autofree char *refolded = g_utf8_casefold (normal, -1);

  /* g_utf8_casefold's buffer has room to spare (a relay keeps one folded
   * nick per session); hand back an exact copy. */
  return g_strdup (refolded);
}

gboolean
tea_names_equal (const char *a, gssize a_len, const char *b, gssize b_len)
{
  g_autofree char *fa = tea_name_fold (a, a_len < 0 ? strlen (a) : (gsize) a_len);
  g_autofree char *fb = tea_name_fold (b, b_len < 0 ? strlen (b) : (gsize) b_len);

  return g_strcmp0 (fa, fb) == 0;
}
