/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Address-validation cookies, and the compact peer addresses they are bound
 * to. Time is fake: multiples of TEA_COOKIE_BUCKET_US around a fixed start.
 */
#include <string.h>

#include "tea-addr.h"
#include "tea-cookie.h"

/* Middle of a bucket, so "one bucket later" is unambiguous. */
#define T0 (G_GINT64_CONSTANT (1000) * TEA_COOKIE_BUCKET_US + TEA_COOKIE_BUCKET_US / 2)

static TeaAddr
addr (const char *ip, guint16 port)
{
  TeaAddr a;

  g_assert_true (tea_addr_parse (&a, ip, port));
  return a;
}

/* Checks on a copy: checking rotates the jar, and each case below wants to
 * ask the same jar about one moment only. */
static gboolean
check_at (const TeaCookieJar *jar, const TeaAddr *a, gint64 now_us, const guint8 cookie[TEA_COOKIE_LEN])
{
  TeaCookieJar copy = *jar;
  gboolean ok = tea_cookie_check (&copy, a, now_us, cookie);

  tea_cookie_jar_clear (&copy);
  return ok;
}

static void
test_cookie_same_address (void)
{
  TeaCookieJar jar;
  TeaAddr a = addr ("192.0.2.10", 40000);
  guint8 cookie[TEA_COOKIE_LEN], again[TEA_COOKIE_LEN];

  tea_cookie_jar_init (&jar, T0);
  tea_cookie_make (&jar, &a, T0, cookie);
  g_assert_true (check_at (&jar, &a, T0, cookie));

  /* Stateless: the relay can make the same cookie again to compare. */
  tea_cookie_make (&jar, &a, T0 + 1, again);
  g_assert_cmpmem (again, TEA_COOKIE_LEN, cookie, TEA_COOKIE_LEN);

  tea_cookie_jar_clear (&jar);
}

static void
test_cookie_other_address (void)
{
  TeaCookieJar jar;
  TeaAddr a = addr ("192.0.2.10", 40000);
  TeaAddr other_port = addr ("192.0.2.10", 40001);
  TeaAddr other_ip = addr ("192.0.2.11", 40000);
  TeaAddr v6 = addr ("2001:db8::10", 40000);
  /* The IPv6 address whose 16 bytes equal IPv4 127.0.0.1's as stored: only
   * the family tells them apart. */
  TeaAddr v4_loop = addr ("127.0.0.1", 40000);
  TeaAddr v6_same_bytes = addr ("7f00:1::", 40000);
  guint8 cookie[TEA_COOKIE_LEN];

  g_assert_cmpmem (v4_loop.ip, sizeof v4_loop.ip, v6_same_bytes.ip, sizeof v6_same_bytes.ip);

  tea_cookie_jar_init (&jar, T0);
  tea_cookie_make (&jar, &a, T0, cookie);
  g_assert_false (check_at (&jar, &other_port, T0, cookie));
  g_assert_false (check_at (&jar, &other_ip, T0, cookie));
  g_assert_false (check_at (&jar, &v6, T0, cookie));

  tea_cookie_make (&jar, &v4_loop, T0, cookie);
  g_assert_true (check_at (&jar, &v4_loop, T0, cookie));
  g_assert_false (check_at (&jar, &v6_same_bytes, T0, cookie));
  tea_cookie_make (&jar, &v6_same_bytes, T0, cookie);
  g_assert_true (check_at (&jar, &v6_same_bytes, T0, cookie));
  g_assert_false (check_at (&jar, &v4_loop, T0, cookie));

  tea_cookie_jar_clear (&jar);
}

static void
test_cookie_lifetime (void)
{
  TeaCookieJar jar;
  TeaAddr a = addr ("2001:db8::1", 9999);
  guint8 cookie[TEA_COOKIE_LEN];
  const gint64 bucket_start = T0 - TEA_COOKIE_BUCKET_US / 2;

  tea_cookie_jar_init (&jar, T0);
  tea_cookie_make (&jar, &a, T0, cookie);

  /* The rest of this bucket and all of the next (previous secret)... */
  g_assert_true (check_at (&jar, &a, bucket_start + TEA_COOKIE_BUCKET_US - 1, cookie));
  g_assert_true (check_at (&jar, &a, T0 + TEA_COOKIE_BUCKET_US, cookie));
  g_assert_true (check_at (&jar, &a, bucket_start + 2 * TEA_COOKIE_BUCKET_US - 1, cookie));
  /* ...but not the one after, whether or not the jar saw the bucket in
   * between. */
  g_assert_false (check_at (&jar, &a, bucket_start + 2 * TEA_COOKIE_BUCKET_US, cookie));
  g_assert_false (check_at (&jar, &a, T0 + 2 * TEA_COOKIE_BUCKET_US, cookie));
  g_assert_false (check_at (&jar, &a, T0 + G_GINT64_CONSTANT (50) * TEA_COOKIE_BUCKET_US, cookie));

  g_assert_true (tea_cookie_check (&jar, &a, T0 + TEA_COOKIE_BUCKET_US, cookie));
  g_assert_false (tea_cookie_check (&jar, &a, T0 + 2 * TEA_COOKIE_BUCKET_US, cookie));
  /* Once rotated past, going back in time does not revive it. */
  g_assert_false (tea_cookie_check (&jar, &a, T0, cookie));

  /* A cookie made late in a bucket still lives a full bucket after. */
  tea_cookie_jar_init (&jar, T0);
  tea_cookie_make (&jar, &a, bucket_start + TEA_COOKIE_BUCKET_US - 1, cookie);
  g_assert_true (check_at (&jar, &a, bucket_start + 2 * TEA_COOKIE_BUCKET_US - 1, cookie));
  g_assert_false (check_at (&jar, &a, bucket_start + 2 * TEA_COOKIE_BUCKET_US, cookie));

  /* A cookie made after the jar rotated belongs to the new bucket. */
  tea_cookie_jar_init (&jar, T0);
  tea_cookie_make (&jar, &a, T0 + 3 * TEA_COOKIE_BUCKET_US, cookie);
  g_assert_true (check_at (&jar, &a, T0 + 4 * TEA_COOKIE_BUCKET_US, cookie));
  g_assert_false (check_at (&jar, &a, T0 + 5 * TEA_COOKIE_BUCKET_US, cookie));

  tea_cookie_jar_clear (&jar);
}

static void
test_cookie_tampered (void)
{
  TeaCookieJar jar;
  TeaAddr a = addr ("198.51.100.7", 1);
  guint8 cookie[TEA_COOKIE_LEN];
  guint8 zeros[TEA_COOKIE_LEN] = { 0 };

  tea_cookie_jar_init (&jar, T0);
  tea_cookie_make (&jar, &a, T0, cookie);
  for (guint bit = 0; bit < 8 * TEA_COOKIE_LEN; bit++)
    {
      cookie[bit / 8] ^= 1 << (bit % 8);
      g_assert_false (check_at (&jar, &a, T0, cookie));
      g_assert_false (check_at (&jar, &a, T0 + TEA_COOKIE_BUCKET_US, cookie));
      cookie[bit / 8] ^= 1 << (bit % 8);
    }
  g_assert_true (check_at (&jar, &a, T0, cookie));
  g_assert_false (check_at (&jar, &a, T0, zeros));

  tea_cookie_jar_clear (&jar);
}

static void
test_cookie_two_relays (void)
{
  TeaCookieJar relay_a, relay_b;
  TeaAddr a = addr ("203.0.113.5", 5555);
  guint8 from_a[TEA_COOKIE_LEN], from_b[TEA_COOKIE_LEN];

  tea_cookie_jar_init (&relay_a, T0);
  tea_cookie_jar_init (&relay_b, T0);
  tea_cookie_make (&relay_a, &a, T0, from_a);
  tea_cookie_make (&relay_b, &a, T0, from_b);

  g_assert_cmpint (memcmp (from_a, from_b, TEA_COOKIE_LEN), !=, 0);
  g_assert_false (check_at (&relay_b, &a, T0, from_a));
  g_assert_false (check_at (&relay_a, &a, T0, from_b));
  /* Not through the previous secret either. */
  g_assert_false (check_at (&relay_b, &a, T0 + TEA_COOKIE_BUCKET_US, from_a));
  g_assert_true (check_at (&relay_a, &a, T0 + TEA_COOKIE_BUCKET_US, from_a));

  tea_cookie_jar_clear (&relay_a);
  tea_cookie_jar_clear (&relay_b);
}

/* ---- Addresses ---------------------------------------------------------- */

static void
assert_addr_string (const char *ip, guint16 port, guint8 family, const char *expected)
{
  TeaAddr a = addr (ip, port);
  g_autofree char *str = tea_addr_to_string (&a);

  g_assert_cmpuint (a.family, ==, family);
  g_assert_cmpuint (a.port, ==, port);
  g_assert_cmpstr (str, ==, expected);
}

static void
test_addr_parse (void)
{
  static const guint8 v4_bytes[16] = { 192, 0, 2, 1 };
  static const guint8 v6_loop[16] = { [15] = 1 };
  static const char *const bad[] = {
    "", "999.1.1.1", "192.0.2", "[::1]", "::1:", "example.org", "192.0.2.1:80", "1::2::3",
  };
  TeaAddr a;

  assert_addr_string ("192.0.2.1", 9999, 4, "192.0.2.1:9999");
  assert_addr_string ("::1", 9999, 6, "[::1]:9999");
  assert_addr_string ("2001:db8::1", 443, 6, "[2001:db8::1]:443");
  assert_addr_string ("2001:DB8:0:0:0:0:0:1", 0, 6, "[2001:db8::1]:0");
  assert_addr_string ("255.255.255.255", 65535, 4, "255.255.255.255:65535");

  /* IPv4 uses the first four bytes; the rest must be zero so that equal
   * addresses hash equally. */
  g_assert_true (tea_addr_parse (&a, "192.0.2.1", 1));
  g_assert_cmpmem (a.ip, sizeof a.ip, v4_bytes, sizeof v4_bytes);
  g_assert_true (tea_addr_parse (&a, "::1", 1));
  g_assert_cmpmem (a.ip, sizeof a.ip, v6_loop, sizeof v6_loop);

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    g_assert_false (tea_addr_parse (&a, bad[i], 1));
}

static void
test_addr_equal_hash (void)
{
  TeaAddr a = addr ("192.0.2.1", 1000);
  TeaAddr a_again = addr ("192.0.2.1", 1000);
  TeaAddr other_port = addr ("192.0.2.1", 1001);
  TeaAddr other_host = addr ("192.0.2.2", 1000);
  TeaAddr v6 = addr ("::ffff:192.0.2.1", 1000);
  g_autoptr (GHashTable) table = g_hash_table_new ((GHashFunc) tea_addr_hash, (GEqualFunc) tea_addr_equal);

  g_assert_true (tea_addr_equal (&a, &a_again));
  g_assert_cmpuint (tea_addr_hash (&a), ==, tea_addr_hash (&a_again));
  g_assert_cmpuint (tea_addr_host_hash (&a), ==, tea_addr_host_hash (&a_again));

  /* Another port: another peer, the same host. */
  g_assert_false (tea_addr_equal (&a, &other_port));
  g_assert_true (tea_addr_same_host (&a, &other_port));
  g_assert_cmpuint (tea_addr_host_hash (&a), ==, tea_addr_host_hash (&other_port));

  g_assert_false (tea_addr_equal (&a, &other_host));
  g_assert_false (tea_addr_same_host (&a, &other_host));

  /* An IPv4-mapped IPv6 address is kept as IPv6: a different peer. */
  g_assert_cmpuint (v6.family, ==, 6);
  g_assert_false (tea_addr_equal (&a, &v6));
  g_assert_false (tea_addr_same_host (&a, &v6));

  /* Usable as a hash table key. */
  g_hash_table_add (table, &a);
  g_assert_true (g_hash_table_contains (table, &a_again));
  g_assert_false (g_hash_table_contains (table, &other_port));
  g_assert_false (g_hash_table_contains (table, &v6));
}

static void
assert_socket_round_trip (const char *ip, guint16 port)
{
  TeaAddr a = addr (ip, port), back;
  g_autoptr (GSocketAddress) sa = tea_addr_to_socket_address (&a);
  g_autoptr (GSocketAddress) from_gio = g_inet_socket_address_new_from_string (ip, port);
  GInetAddress *inet;

  g_assert_true (G_IS_INET_SOCKET_ADDRESS (sa));
  g_assert_cmpuint (g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (sa)), ==, port);
  inet = g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (sa));
  g_assert_cmpint (g_inet_address_get_family (inet), ==,
                   a.family == 4 ? G_SOCKET_FAMILY_IPV4 : G_SOCKET_FAMILY_IPV6);
  g_assert_true (g_inet_address_equal (inet, g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (from_gio))));

  memset (&back, 0xaa, sizeof back);
  g_assert_true (tea_addr_from_socket_address (&back, sa));
  g_assert_true (tea_addr_equal (&back, &a));
  g_assert_cmpuint (tea_addr_hash (&back), ==, tea_addr_hash (&a));

  /* Built by GIO rather than by us, as received datagrams are. */
  memset (&back, 0xaa, sizeof back);
  g_assert_true (tea_addr_from_socket_address (&back, from_gio));
  g_assert_true (tea_addr_equal (&back, &a));
}

static void
test_addr_socket_address (void)
{
  TeaAddr mapped = addr ("::ffff:192.0.2.1", 443), back;
  TeaAddr v4 = addr ("192.0.2.1", 443);
  g_autoptr (GSocketAddress) sa = tea_addr_to_socket_address (&mapped);
  g_autoptr (GSocketAddress) from_gio = g_inet_socket_address_new_from_string ("::ffff:192.0.2.1", 443);

  assert_socket_round_trip ("192.0.2.1", 9999);
  assert_socket_round_trip ("127.0.0.1", 1);
  assert_socket_round_trip ("::1", 9999);
  assert_socket_round_trip ("2001:db8:85a3::8a2e:370:7334", 65535);

  /* A v4-mapped address survives our own round trip as IPv6... */
  g_assert_true (tea_addr_from_socket_address (&back, sa));
  g_assert_true (tea_addr_equal (&back, &mapped));
  /* ...while GIO turns a native v4-mapped address into plain IPv4, so a
   * dual-stack socket reports IPv4 peers as family 4. */
  g_assert_true (tea_addr_from_socket_address (&back, from_gio));
  g_assert_true (tea_addr_equal (&back, &v4));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/tea/cookie/same-address", test_cookie_same_address);
  g_test_add_func ("/tea/cookie/other-address", test_cookie_other_address);
  g_test_add_func ("/tea/cookie/lifetime", test_cookie_lifetime);
  g_test_add_func ("/tea/cookie/tampered", test_cookie_tampered);
  g_test_add_func ("/tea/cookie/two-relays", test_cookie_two_relays);
  g_test_add_func ("/tea/cookie/addr/parse", test_addr_parse);
  g_test_add_func ("/tea/cookie/addr/equal-hash", test_addr_equal_hash);
  g_test_add_func ("/tea/cookie/addr/socket-address", test_addr_socket_address);

  return g_test_run ();
}
