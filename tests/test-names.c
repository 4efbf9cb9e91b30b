/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What a nick, a room name and chat text may contain, how names compare,
 * and the token bucket that rate-limits what people send.
 */
#include <string.h>

#include "tea-names.h"
#include "tea-protocol.h"
#include "tea-token-bucket.h"

typedef gboolean (*NameCheck) (const char *name, gsize len);

static gboolean
check (NameCheck func, const char *name)
{
  return func (name, strlen (name));
}

/* n copies of a character given as UTF-8. */
static char *
repeat (const char *unit, guint n)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < n; i++)
    g_string_append (s, unit);
  return g_string_free (s, FALSE);
}

static char *
unichar_string (gunichar c)
{
  char buf[8];
  gint len = g_unichar_to_utf8 (c, buf);

  return g_strndup (buf, len);
}

/* Limits are in characters, whatever each one takes in UTF-8. */
static void
assert_char_limit (NameCheck func, guint max_chars)
{
  static const char *const units[] = { "a", "é", "茶", "🍵" };

  for (gsize i = 0; i < G_N_ELEMENTS (units); i++)
    {
      g_autofree char *one = repeat (units[i], 1);
      g_autofree char *max = repeat (units[i], max_chars);
      g_autofree char *over = repeat (units[i], max_chars + 1);

      g_assert_true (check (func, one));
      g_assert_true (check (func, max));
      g_assert_false (check (func, over));
    }
  g_assert_false (func ("", 0));
  g_assert_false (func ("abc", 0));
}

static void
assert_name_chars (NameCheck func)
{
  static const char *const valid[] = {
    "alice", "Zoë", "李雷", "Ärger", "#茶馆", "o'brien", "x-y_z.1", "🍵", "ＡＢＣ",
  };
  static const char *const invalid[] = {
    "a b", " alice", "alice ", "a\tb", "a\nb", "a\rb",
    "茶\u3000馆",     /* ideographic space */
    "a\u00a0b",      /* no-break space */
    "a\u2028b",      /* line separator */
    "a\u2003b",      /* em space */
    "a\x01" "b", "a\x1b[31mb", "a\x7f" "b",
    "a\xc2\x85" "b", /* C1 control */
    "a\u200bb",      /* zero-width space: invisible, format character */
    "a\u202eb",      /* right-to-left override */
    "a\u0378b",      /* unassigned */
  };

  for (gsize i = 0; i < G_N_ELEMENTS (valid); i++)
    g_assert_true (check (func, valid[i]));
  for (gsize i = 0; i < G_N_ELEMENTS (invalid); i++)
    {
      g_test_message ("checking invalid name %" G_GSIZE_FORMAT, i);
      g_assert_false (check (func, invalid[i]));
    }

  /* Invalid UTF-8, and a NUL inside the given length. */
  g_assert_false (func ("\xff", 1));
  g_assert_false (func ("abc\xc3", 4));
  g_assert_false (func ("\xc0\xaf", 2));
  g_assert_false (func ("\xed\xa0\x80", 3));
  g_assert_false (func ("ab\0c", 4));
  /* Only len bytes count: a prefix is judged on its own... */
  g_assert_true (func ("alice bob", 5));
  /* ...and a length that splits a character is invalid UTF-8. */
  g_assert_false (func ("茶", 2));
}

static void
test_names_nick (void)
{
  assert_char_limit (tea_nick_is_valid, TEA_MAX_NICK_CHARS);
  assert_name_chars (tea_nick_is_valid);
}

static void
test_names_room (void)
{
  assert_char_limit (tea_room_name_is_valid, TEA_MAX_ROOM_CHARS);
  assert_name_chars (tea_room_name_is_valid);
  /* A room name of 40 characters is not a valid nick. */
  {
    g_autofree char *forty = repeat ("茶", TEA_MAX_ROOM_CHARS);
    g_assert_true (check (tea_room_name_is_valid, forty));
    g_assert_false (check (tea_nick_is_valid, forty));
  }
}

static void
test_names_text (void)
{
  g_autofree char *max = g_strnfill (TEA_MAX_TEXT, 'x');

  g_assert_true (tea_text_is_valid ("hello", 5, TEA_MAX_TEXT));
  g_assert_true (tea_text_is_valid ("line\nline\tcell", 14, TEA_MAX_TEXT));
  g_assert_true (tea_text_is_valid ("茶 🍵 a\u00a0b", strlen ("茶 🍵 a\u00a0b"), TEA_MAX_TEXT));
  g_assert_false (tea_text_is_valid ("", 0, TEA_MAX_TEXT));

  /* Terminal clients print text as it is: no escape sequences, no other C0
   * or C1 controls, no DEL. Newline and tab are the exceptions. */
  for (gunichar c = 1; c < 0x20; c++)
    {
      char text[4] = { 'a', (char) c, 'b', 0 };

      g_assert_cmpint (tea_text_is_valid (text, 3, TEA_MAX_TEXT), ==, c == '\n' || c == '\t');
    }
  g_assert_false (tea_text_is_valid ("\x1b[2J", 4, TEA_MAX_TEXT));
  g_assert_false (tea_text_is_valid ("\x7f", 1, TEA_MAX_TEXT));
  for (gunichar c = 0x80; c <= 0xa0; c++)
    {
      g_autofree char *s = unichar_string (c);

      g_assert_cmpint (tea_text_is_valid (s, strlen (s), TEA_MAX_TEXT), ==, c == 0xa0);
    }

  /* Invalid UTF-8 and NUL. */
  g_assert_false (tea_text_is_valid ("\xff", 1, TEA_MAX_TEXT));
  g_assert_false (tea_text_is_valid ("a\0b", 3, TEA_MAX_TEXT));

  /* max_bytes counts bytes, not characters. */
  g_assert_true (tea_text_is_valid (max, TEA_MAX_TEXT, TEA_MAX_TEXT));
  g_assert_false (tea_text_is_valid (max, TEA_MAX_TEXT, TEA_MAX_TEXT - 1));
  g_assert_true (tea_text_is_valid ("é", 2, 2));
  g_assert_false (tea_text_is_valid ("é", 2, 1));
}

static void
test_names_reason (void)
{
  g_autofree char *topic = g_strnfill (TEA_MAX_TOPIC + 1, 't');

  /* Reasons and topics may be empty: "/part" without a reason. */
  g_assert_true (tea_reason_is_valid ("", 0, TEA_MAX_REASON));
  g_assert_true (tea_reason_is_valid ("bye\tnow", 7, TEA_MAX_REASON));
  g_assert_false (tea_reason_is_valid ("\x1b", 1, TEA_MAX_REASON));
  g_assert_false (tea_reason_is_valid ("a\rb", 3, TEA_MAX_REASON));
  g_assert_false (tea_reason_is_valid ("\xc2\x9b", 2, TEA_MAX_REASON)); /* CSI as C1 */
  g_assert_true (tea_reason_is_valid (topic, TEA_MAX_TOPIC, TEA_MAX_TOPIC));
  g_assert_false (tea_reason_is_valid (topic, TEA_MAX_TOPIC + 1, TEA_MAX_TOPIC));
}

static char *
fold (const char *name)
{
  return tea_name_fold (name, strlen (name));
}

static void
assert_same_name (const char *a, const char *b)
{
  g_autofree char *fa = fold (a);
  g_autofree char *fb = fold (b);

  g_assert_cmpstr (fa, ==, fb);
}

static void
assert_different_names (const char *a, const char *b)
{
  g_autofree char *fa = fold (a);
  g_autofree char *fb = fold (b);

  g_assert_cmpstr (fa, !=, fb);
}

static void
test_names_fold (void)
{
  g_autofree char *prefix = tea_name_fold ("ABCDEF", 3);
  g_autofree char *chinese = fold ("茶馆张伟");
  g_autofree char *abc = fold ("ＡＢＣ");

  assert_same_name ("Ärger", "äRGER");
  /* Precomposed and decomposed Ä are one name. */
  assert_same_name ("Ärger", "A\u0308rger");
  /* Fullwidth letters are the ASCII ones. */
  assert_same_name ("ＡＢＣ", "abc");
  g_assert_cmpstr (abc, ==, "abc");
  /* Compatibility forms that normalise to upper case are folded again. */
  assert_same_name ("\U0001d400lice", "alice"); /* mathematical bold A */
  assert_same_name ("\u212a", "k");             /* Kelvin sign */
  assert_same_name ("\ufb01sh", "FISH");        /* fi ligature */
  assert_same_name ("ΣΊΣΥΦΟΣ", "σίσυφος");

  /* Full case folding maps ß to "ss", so "Straße", "STRASSE" and "strasse"
   * are one nick. That is what we want: they look alike to people, and
   * letting both exist would allow impersonation. */
  assert_same_name ("ß", "SS");
  assert_same_name ("Straße", "STRASSE");
  assert_same_name ("Straße", "strasse");

  /* Scripts without case are unchanged. */
  g_assert_cmpstr (chinese, ==, "茶馆张伟");

  /* Different names stay different. */
  assert_different_names ("alice", "alicia");
  assert_different_names ("茶", "荼");
  assert_different_names ("a", "ä");

  g_assert_cmpstr (prefix, ==, "abc");

  /* The comparison built on the fold, with and without lengths. */
  g_assert_true (tea_names_equal ("Ärger", -1, "äRGER", -1));
  g_assert_false (tea_names_equal ("ＡＢＣdef", -1, "abcXYZ", -1));
  g_assert_true (tea_names_equal ("ＡＢＣdef", strlen ("ＡＢＣ"), "abcXYZ", 3));
  g_assert_false (tea_names_equal ("alice", -1, "alicia", -1));
}

/* ---- Token bucket ------------------------------------------------------- */

static void
test_token_bucket_burst_then_rate (void)
{
  const gint64 t0 = 1000 * G_USEC_PER_SEC;
  TeaTokenBucket bucket;
  guint taken = 0;

  tea_token_bucket_init (&bucket, 5, t0);
  for (guint i = 0; i < 5; i++)
    g_assert_true (tea_token_bucket_take (&bucket, 2, 5, t0, NULL));
  g_assert_false (tea_token_bucket_take (&bucket, 2, 5, t0, NULL));

  /* 2 per second: quarter-second steps add exactly 0.5 token each, so
   * there is no rounding to blur the count. */
  for (gint64 t = t0 + G_USEC_PER_SEC / 4; t <= t0 + 10 * G_USEC_PER_SEC; t += G_USEC_PER_SEC / 4)
    taken += tea_token_bucket_take (&bucket, 2, 5, t, NULL);
  g_assert_cmpuint (taken, ==, 20);
}

static void
test_token_bucket_retry_after (void)
{
  const gint64 t0 = 50 * G_USEC_PER_SEC;
  static const double rates[] = { 0.5, 1, 2, 3, 7, 1000 };

  for (gsize i = 0; i < G_N_ELEMENTS (rates); i++)
    {
      TeaTokenBucket bucket, probe;
      gint64 retry = -1, t = t0;

      tea_token_bucket_init (&bucket, 1, t0);
      g_assert_true (tea_token_bucket_take (&bucket, rates[i], 1, t0, &retry));
      g_assert_cmpint (retry, ==, -1); /* untouched on success */

      /* Repeatedly: refused, told when, and that time is right to within
       * the rounding of one microsecond. */
      for (guint round = 0; round < 5; round++)
        {
          g_assert_false (tea_token_bucket_take (&bucket, rates[i], 1, t, &retry));
          g_assert_cmpint (retry, >, 0);
          g_assert_cmpint (retry, <=, (gint64) (G_USEC_PER_SEC / rates[i]) + 1);
          if (retry > 2)
            {
              probe = bucket;
              g_assert_false (tea_token_bucket_take (&probe, rates[i], 1, t + retry - 2, NULL));
            }
          probe = bucket;
          g_assert_true (tea_token_bucket_take (&probe, rates[i], 1, t + retry, NULL));
          /* Asking a bit later gives a shorter wait. */
          if (retry > 10)
            {
              gint64 later;

              probe = bucket;
              g_assert_false (tea_token_bucket_take (&probe, rates[i], 1, t + retry / 2, &later));
              g_assert_cmpint (later, <=, retry - retry / 2 + 1);
              g_assert_cmpint (later, >=, retry - retry / 2 - 1);
            }
          t += retry;
          g_assert_true (tea_token_bucket_take (&bucket, rates[i], 1, t, NULL));
        }
    }
}

static void
test_token_bucket_cap (void)
{
  const gint64 t0 = 7 * G_USEC_PER_SEC;
  const gint64 hour = G_GINT64_CONSTANT (3600) * G_USEC_PER_SEC;
  TeaTokenBucket bucket;
  gint64 retry = 0;

  tea_token_bucket_init (&bucket, 3, t0);
  g_assert_true (tea_token_bucket_take (&bucket, 10, 3, t0, NULL));

  /* An idle hour refills to the burst, not to 36000 tokens. */
  for (guint i = 0; i < 3; i++)
    g_assert_true (tea_token_bucket_take (&bucket, 10, 3, t0 + hour, NULL));
  g_assert_false (tea_token_bucket_take (&bucket, 10, 3, t0 + hour, &retry));
  g_assert_cmpint (retry, >, 0);
  g_assert_cmpint (retry, <=, G_USEC_PER_SEC / 10 + 1);

  /* A clock that steps back adds nothing and breaks nothing. */
  g_assert_false (tea_token_bucket_take (&bucket, 10, 3, t0, NULL));
  g_assert_true (tea_token_bucket_take (&bucket, 10, 3, t0 + hour + G_USEC_PER_SEC / 10 + 1, NULL));

  /* Rate 0: a burst and then never again. */
  tea_token_bucket_init (&bucket, 1, t0);
  g_assert_true (tea_token_bucket_take (&bucket, 0, 1, t0, NULL));
  g_assert_false (tea_token_bucket_take (&bucket, 0, 1, t0 + hour, &retry));
  g_assert_cmpint (retry, ==, G_MAXINT64);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/tea/names/nick", test_names_nick);
  g_test_add_func ("/tea/names/room", test_names_room);
  g_test_add_func ("/tea/names/text", test_names_text);
  g_test_add_func ("/tea/names/reason", test_names_reason);
  g_test_add_func ("/tea/names/fold", test_names_fold);
  g_test_add_func ("/tea/names/token-bucket/burst-then-rate", test_token_bucket_burst_then_rate);
  g_test_add_func ("/tea/names/token-bucket/retry-after", test_token_bucket_retry_after);
  g_test_add_func ("/tea/names/token-bucket/cap", test_token_bucket_cap);

  return g_test_run ();
}
