/* SPDX-License-Identifier: GPL-3.0-or-later */
/* libFuzzer target: the PNG decoder of image folders,
 * ct_png_decode_image(), on bytes in memory, header only and whole.  The
 * target rewrites every chunk's CRC first (fuzz_fix_png_crcs()). */
#include "ct-image-file.h"
#include "fuzz-common.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autofree guint8 *fixed = g_memdup2 (data, size);
  g_autofree char *header_message = NULL;
  g_autofree char *message = NULL;
  g_auto(CtRawImage) header = { 0 };
  g_auto(CtRawImage) image = { 0 };
  gboolean header_ok, ok;

  fuzz_fix_png_crcs (fixed, size);
  header_ok = ct_png_decode_image (fixed, size, TRUE, &header, &header_message);
  ok = ct_png_decode_image (fixed, size, FALSE, &image, &message);
  if (!ok)
    {
      g_assert_nonnull (message);
      return 0;
    }

  /* A whole image has a header that reads alone, and says the same. */
  g_assert_true (header_ok);
  g_assert_null (header.pixels);
  g_assert_cmpuint (header.width, ==, image.width);
  g_assert_cmpuint (header.height, ==, image.height);
  g_assert_cmpuint (header.channels, ==, image.channels);
  g_assert_true (image.channels == 1 || image.channels == 3);
  g_assert_cmpuint ((guint64) image.width * image.height, <=, CT_IMAGE_MAX_PIXELS);
  fuzz_touch (image.pixels, (gsize) image.width * image.height * image.channels);
  return 0;
}
