/* SPDX-License-Identifier: GPL-3.0-or-later */
/* libFuzzer target: the IDX parser (MNIST, Fashion-MNIST), raw and gzipped,
 * through ct_dataset_load() on a directory.
 *
 * Input: byte 0 holds flags (bit 0: the images file is .gz, bit 1: the
 * labels file is .gz); bytes 1–2 give the images file's length (little
 * endian, clamped); the images file follows, then the labels file.  Train
 * and test splits get the same two files. */
#include "ct-dataset.h"
#include "fuzz-common.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

static void
write_file (const char   *stem,
            gboolean      gz,
            const guint8 *data,
            gsize         size)
{
  g_autofree char *name = g_strconcat (stem, gz ? ".gz" : "", NULL);

  g_free (fuzz_write_file (name, data, size));
}

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autoptr(CtDataset) dataset = NULL;
  g_autoptr(GError) error = NULL;
  gboolean images_gz, labels_gz;
  gsize images_size;

  if (size < 3)
    return 0;
  images_gz = data[0] & 1;
  labels_gz = data[0] & 2;
  images_size = MIN ((gsize) (data[1] | data[2] << 8), size - 3);

  fuzz_clear_dir ();
  write_file ("train-images-idx3-ubyte", images_gz, data + 3, images_size);
  write_file ("t10k-images-idx3-ubyte", images_gz, data + 3, images_size);
  write_file ("train-labels-idx1-ubyte", labels_gz, data + 3 + images_size, size - 3 - images_size);
  write_file ("t10k-labels-idx1-ubyte", labels_gz, data + 3 + images_size, size - 3 - images_size);

  dataset = ct_dataset_load (fuzz_dir (), &error);
  g_assert ((dataset == NULL) != (error == NULL));
  if (dataset != NULL)
    {
      fuzz_touch (dataset->train.pixels, dataset->train.n_images * ct_split_image_size (&dataset->train));
      fuzz_touch (dataset->test.pixels, dataset->test.n_images * ct_split_image_size (&dataset->test));
      for (guint i = 0; i < dataset->train.n_images; i++)
        g_assert_cmpuint (dataset->train.labels[i], <, dataset->n_classes);
    }
  else
    {
      g_assert_true (error->domain == CT_DATASET_ERROR);
    }

  return 0;
}
