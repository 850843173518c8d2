/* SPDX-License-Identifier: GPL-3.0-or-later */
/* libFuzzer target: the JPEG decoder of image folders,
 * ct_jpeg_decode_image() with its EXIF orientation, on bytes in memory,
 * header only and whole, then turned upright. */
#include "ct-image-file.h"
#include "fuzz-common.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autofree char *header_message = NULL;
  g_autofree char *message = NULL;
  g_auto(CtRawImage) header = { 0 };
  g_auto(CtRawImage) image = { 0 };
  CtOrientation header_orientation = 0, orientation = 0;
  gboolean header_ok, ok;

  header_ok = ct_jpeg_decode_image (data, size, TRUE, &header, &header_orientation,
                                    &header_message);
  /* A few hundred bytes may declare up to CT_IMAGE_MAX_PIXELS (PIL's
   * limit, kept on purpose): 63496 × 768 took 9 s to decode under ASan, and
   * libFuzzer reports such an input as a slow unit.  Past 4 megapixels only
   * the header is fuzzed; the limit itself is test-hostile's (a JPEG
   * declaring 60000 × 60000). */
  if (header_ok && (guint64) header.width * header.height > (1u << 22))
    return 0;
  ok = ct_jpeg_decode_image (data, size, FALSE, &image, &orientation, &message);
  if (!ok)
    {
      g_assert_nonnull (message);
      return 0;
    }

  g_assert_true (header_ok);
  g_assert_null (header.pixels);
  g_assert_cmpuint (header.width, ==, image.width);
  g_assert_cmpuint (header.height, ==, image.height);
  g_assert_cmpuint (header_orientation, ==, orientation);
  g_assert_true (orientation >= 1 && orientation <= 8);
  g_assert_true (image.channels == 1 || image.channels == 3);
  g_assert_cmpuint ((guint64) image.width * image.height, <=, CT_IMAGE_MAX_PIXELS);
  fuzz_touch (image.pixels, (gsize) image.width * image.height * image.channels);

  ct_raw_image_orient (&image, orientation);
  if (orientation >= 5)
    g_assert_cmpuint (image.width, ==, header.height);
  else
    g_assert_cmpuint (image.width, ==, header.width);
  fuzz_touch (image.pixels, (gsize) image.width * image.height * image.channels);
  return 0;
}
