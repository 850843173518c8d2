/* SPDX-License-Identifier: GPL-3.0-or-later */
/* libFuzzer target: the PNG reader, ct_png_read_rgba(), with its text
 * chunks.  The target rewrites every chunk's CRC before the file is read:
 * otherwise libpng refuses nearly every mutation at the first checksum and
 * the fuzzer never reaches the code after it. */
#include <string.h>

#include <zlib.h>

#include "ct-png.h"
#include "fuzz-common.h"

int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  fuzz_init ();
  return 0;
}

static guint32
read_be32 (const guint8 *p)
{
  return ((guint32) p[0] << 24) | ((guint32) p[1] << 16) | ((guint32) p[2] << 8) | p[3];
}

static void
fix_chunk_crcs (guint8 *png,
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

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autofree guint8 *fixed = g_memdup2 (data, size);
  g_autofree char *path = NULL;
  g_autoptr(GHashTable) text = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree guint8 *pixels = NULL;
  GHashTableIter iter;
  gpointer key, value;
  guint width = 0, height = 0;

  fix_chunk_crcs (fixed, size);
  path = fuzz_write_file ("fuzz.png", fixed, size);
  pixels = ct_png_read_rgba (path, &width, &height, &text, &error);
  if (pixels == NULL)
    {
      g_assert_error (error, CT_PNG_ERROR, error->code);
      g_assert_nonnull (strstr (error->message, "fuzz.png"));
      return 0;
    }

  g_assert_cmpuint (width, >, 0);
  g_assert_cmpuint (height, >, 0);
  fuzz_touch (pixels, (gsize) width * height * 4);
  g_hash_table_iter_init (&iter, text);
  while (g_hash_table_iter_next (&iter, &key, &value))
    g_assert_true (g_utf8_validate (key, -1, NULL) && g_utf8_validate (value, -1, NULL));

  return 0;
}
