/* SPDX-License-Identifier: GPL-3.0-or-later */
/* libFuzzer target: the image-folder cache reader,
 * ct_image_folder_read_cache(), on the bytes of a cache file for a folder
 * of 4 classes.  The target writes the key it expects into the input's
 * header first, so that mutations reach the checks after the key. */
#include <string.h>

#include "ct-image-folder.h"
#include "fuzz-common.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

#define KEY "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void
check_split (const CtSplit *split,
             guint          n_classes)
{
  g_assert_cmpuint (split->n_images, >, 0);
  g_assert_true (split->channels == 1 || split->channels == 3);
  g_assert_cmpuint (split->height, ==, split->width);
  for (guint i = 0; i < split->n_images; i++)
    {
      g_assert_cmpuint (split->labels[i], <, n_classes);
      fuzz_touch (ct_split_image (split, i), ct_split_image_size (split));
    }
}

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autofree guint8 *copy = g_memdup2 (data, size);
  CtDataset dataset = { 0 };
  /* The cache's own side, skipped images allowed: what reaches the most checks. */
  CtDatasetOptions options = { 0, TRUE, NULL, NULL };
  g_autofree char *reason = NULL;

  if (size >= CT_IMAGE_FOLDER_CACHE_KEY_OFFSET + sizeof KEY)
    memcpy (copy + CT_IMAGE_FOLDER_CACHE_KEY_OFFSET, KEY, sizeof KEY);
  dataset.n_classes = 4;
  if (!ct_image_folder_read_cache (&dataset, &options, KEY, copy, size, &reason))
    {
      g_assert_true (reason != NULL && reason[0] != '\0');
      g_assert_null (dataset.skipped);
      g_assert_null (dataset.train.pixels);
      g_assert_null (dataset.train.labels);
      return 0;
    }

  check_split (&dataset.train, dataset.n_classes);
  check_split (&dataset.test, dataset.n_classes);
  g_assert_cmpuint (dataset.train.channels, ==, dataset.test.channels);
  g_assert_nonnull (dataset.skipped);
  g_strfreev (dataset.skipped);
  /* The labels are copies; the pixels point into the input. */
  g_free (dataset.train.labels);
  g_free (dataset.test.labels);
  return 0;
}
