/* SPDX-License-Identifier: GPL-3.0-or-later */
/* libFuzzer target: the EXIF reader, ct_exif_orientation(), on the TIFF
 * block that follows "Exif\0\0" in a JPEG's APP1 marker. */
#include "ct-image-file.h"
#include "fuzz-common.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  /* A copy of exactly @size bytes, so any read past it is caught. */
  g_autofree guint8 *copy = g_memdup2 (data, size);
  CtOrientation orientation = ct_exif_orientation (copy, size);

  g_assert_true (orientation >= 1 && orientation <= 8);
  return 0;
}
