/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "fuzz-common.h"

#include <signal.h>
#include <stdlib.h>

#include <glib/gstdio.h>
#include <zlib.h>

#include "ct-test-data.h"

static char *private_dir;

static void
remove_private_dir (void)
{
  g_autofree char *cache = g_strconcat (private_dir, "-cache", NULL);

  ct_test_remove_tree (private_dir);
  ct_test_remove_tree (cache);
}

/* GLib ends a fatal message with G_BREAKPOINT (SIGTRAP), which libFuzzer
 * does not catch; the abort it does catch saves the input that caused it. */
static void
trap_to_abort_cb (int signal_number)
{
  abort ();
}

/* Makes GLib criticals and warnings fatal, so that a g_return_if_fail()
 * hit by hostile input counts as a crash, and points the user cache (the
 * dataset statistics cache) into the private directory. */
static void
fuzz_init (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *cache = NULL;

  g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
  signal (SIGTRAP, trap_to_abort_cb);

  private_dir = g_dir_make_tmp ("camtrail-fuzz-XXXXXX", &error);
  g_assert_no_error (error);
  atexit (remove_private_dir);

  /* Outside the directory the targets empty, so the cache survives a clear. */
  cache = g_strconcat (private_dir, "-cache", NULL);
  g_setenv ("XDG_CACHE_HOME", cache, TRUE);
}

/* libFuzzer calls it once before the first input; every target links this
 * file (not a library member, which the linker could leave out). */
int LLVMFuzzerInitialize (int *argc, char ***argv);

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  fuzz_init ();
  return 0;
}

const char *
fuzz_dir (void)
{
  return private_dir;
}

void
fuzz_clear_dir (void)
{
  g_autoptr(GDir) dir = g_dir_open (private_dir, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (private_dir, name, NULL);

      ct_test_remove_tree (child);
    }
}

char *
fuzz_write_file (const char   *name,
                 const guint8 *data,
                 gsize         size)
{
  g_autoptr(GError) error = NULL;
  char *path = g_build_filename (private_dir, name, NULL);

  g_file_set_contents_full (path, (const char *) data, (gssize) size,
                            G_FILE_SET_CONTENTS_NONE, 0644, &error);
  g_assert_no_error (error);
  return path;
}

guint8
fuzz_touch (const guint8 *data,
            gsize         size)
{
  guint8 sum = 0;

  for (gsize i = 0; i < size; i++)
    sum += data[i];
  return sum;
}

static guint32
read_be32 (const guint8 *p)
{
  return ((guint32) p[0] << 24) | ((guint32) p[1] << 16) | ((guint32) p[2] << 8) | p[3];
}

void
fuzz_fix_png_crcs (guint8 *png,
                   gsize   size)
{
  gsize pos = 8;

  while (pos + 12 <= size)
    {
      guint32 length = read_be32 (png + pos);
      guint32 crc;

      if (length > size - pos - 12)
        break;
      crc = crc32 (0, png + pos + 4, 4 + length);
      png[pos + 8 + length] = crc >> 24;
      png[pos + 9 + length] = crc >> 16;
      png[pos + 10 + length] = crc >> 8;
      png[pos + 11 + length] = crc;
      pos += 12 + length;
    }
}
