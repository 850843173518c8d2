/* SPDX-License-Identifier: GPL-3.0-or-later */
/* libFuzzer target: the PNG reader, ct_png_read_rgba(), with its text
 * chunks.  The target rewrites every chunk's CRC before the file is read
 * (fuzz_fix_png_crcs()). */
#include <string.h>

#include "ct-png.h"
#include "fuzz-common.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

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

  fuzz_fix_png_crcs (fixed, size);
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
