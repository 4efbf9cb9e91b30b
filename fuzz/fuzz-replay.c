/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A main() for a fuzz target without libFuzzer, so the normal test suite
 * (gcc, and gcc with ASan in CI) replays every seed and every past finding:
 *
 *   fuzz-<target>-replay [--tap] DIR...     one test case per file in each DIR
 *   fuzz-<target>-replay --generate DIR     writes the seed corpus into DIR
 *
 * The replay also checks that the committed seeds are the ones the target's
 * generator makes today, so the corpus cannot silently drift away from the
 * protocol it is meant to exercise.
 */
#include <errno.h>
#include <string.h>
#include <glib/gstdio.h>

#include "fuzz-common.h"

static int
write_seeds (const char *dir)
{
  g_autoptr (GHashTable) seeds = fuzz_generate_seeds ();
  g_autoptr (GError) error = NULL;
  GHashTableIter iter;
  gpointer name, bytes;

  if (g_mkdir_with_parents (dir, 0755) != 0)
    g_error ("cannot create %s: %s", dir, g_strerror (errno));
  g_hash_table_iter_init (&iter, seeds);
  while (g_hash_table_iter_next (&iter, &name, &bytes))
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      gsize len;
      const char *data = g_bytes_get_data (bytes, &len);

      if (!g_file_set_contents (path, data, len, &error))
        g_error ("%s", error->message);
    }
  g_print ("%s: %u seeds written to %s\n", fuzz_target_name, g_hash_table_size (seeds), dir);
  return 0;
}

static void
replay_file (gconstpointer data)
{
  const char *path = data;
  g_autoptr (GError) error = NULL;
  g_autofree char *contents = NULL;
  gsize len;

  g_assert_true (g_file_get_contents (path, &contents, &len, &error));
  /* An exact-size heap copy: a read past the end is an ASan report. */
  {
    g_autofree guint8 *exact = g_memdup2 (contents, len);
    LLVMFuzzerTestOneInput (exact, len);
  }
}

/* Every generated seed is committed, byte for byte. */
static void
check_seeds (gconstpointer data)
{
  const char *dir = data;
  g_autoptr (GHashTable) seeds = fuzz_generate_seeds ();
  GHashTableIter iter;
  gpointer name, bytes;

  g_hash_table_iter_init (&iter, seeds);
  while (g_hash_table_iter_next (&iter, &name, &bytes))
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      g_autofree char *contents = NULL;
      gsize len = 0;

      if (!g_file_get_contents (path, &contents, &len, NULL) ||
          len != g_bytes_get_size (bytes) || memcmp (contents, g_bytes_get_data (bytes, NULL), len) != 0)
        {
          g_test_fail_printf ("%s is missing or stale; regenerate with: ninja -C _build fuzz-corpus", path);
          return;
        }
    }
}

static void
add_dir (const char *dir)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *parent = g_path_get_dirname (dir);
  g_autofree char *label = g_path_get_basename (parent); /* corpus or regressions */
  const char *name;

  if (d == NULL)
    return; /* no findings yet: nothing to replay */
  while ((name = g_dir_read_name (d)))
    if (name[0] != '.' && g_strcmp0 (name, "README") != 0)
      g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, (GCompareFunc) g_strcmp0);
  for (guint i = 0; i < names->len; i++)
    {
      const char *file = *(const char **) &names->pdata[i];
      g_autofree char *test_path = g_strdup_printf ("/tea/%s/%s/%s", fuzz_target_name, label, file);

      g_test_add_data_func_full (test_path, g_build_filename (dir, file, NULL), replay_file, g_free);
    }
  if (g_strcmp0 (label, "corpus") == 0)
    {
      g_autofree char *test_path = g_strdup_printf ("/tea/%s/seeds-current", fuzz_target_name);
      g_test_add_data_func_full (test_path, g_strdup (dir), check_seeds, g_free);
    }
}

int
main (int argc, char **argv)
{
  LLVMFuzzerInitialize (&argc, &argv);
  if (argc == 3 && g_strcmp0 (argv[1], "--generate") == 0)
    return write_seeds (argv[2]);

  g_test_init (&argc, &argv, NULL);
  for (int i = 1; i < argc; i++)
    add_dir (argv[i]);
  return g_test_run ();
}
