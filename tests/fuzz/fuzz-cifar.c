/* SPDX-License-Identifier: GPL-3.0-or-later */
/* libFuzzer target: the CIFAR-10/100 binary batch parser and the class
 * names file, through ct_dataset_load() on a directory.
 *
 * Input: byte 0 holds flags (bit 0: CIFAR-100 layout, bit 1: a class names
 * file, bit 2: a second train batch); with bit 1, a little-endian 16-bit
 * length and that many bytes of class names follow; the rest is the batch
 * file, used for every split so one record reaches both. */
#include <string.h>

#include "ct-dataset.h"
#include "fuzz-common.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

static void
write_file (const char   *name,
            const guint8 *data,
            gsize         size)
{
  g_free (fuzz_write_file (name, data, size));
}

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autoptr(CtDataset) dataset = NULL;
  g_autoptr(GError) error = NULL;
  gboolean cifar100, has_names, two_batches;
  const guint8 *batch;
  gsize batch_size;

  if (size < 1)
    return 0;
  cifar100 = data[0] & 1;
  has_names = data[0] & 2;
  two_batches = data[0] & 4;
  batch = data + 1;
  batch_size = size - 1;

  fuzz_clear_dir ();
  if (has_names)
    {
      gsize names_size;

      if (batch_size < 2)
        return 0;
      names_size = MIN ((gsize) (batch[0] | batch[1] << 8), batch_size - 2);
      write_file (cifar100 ? "fine_label_names.txt" : "batches.meta.txt", batch + 2, names_size);
      batch += 2 + names_size;
      batch_size -= 2 + names_size;
    }

  if (cifar100)
    {
      write_file ("train.bin", batch, batch_size);
      write_file ("test.bin", batch, batch_size);
    }
  else
    {
      write_file ("data_batch_1.bin", batch, batch_size);
      if (two_batches)
        write_file ("data_batch_2.bin", batch, batch_size);
      write_file ("test_batch.bin", batch, batch_size);
    }

  dataset = ct_dataset_load (fuzz_dir (), &error);
  g_assert ((dataset == NULL) != (error == NULL));
  if (dataset != NULL)
    {
      fuzz_touch (dataset->train.pixels, dataset->train.n_images * ct_split_image_size (&dataset->train));
      fuzz_touch ((const guint8 *) dataset->test.labels,
                  dataset->test.n_images * sizeof *dataset->test.labels);
      for (guint i = 0; i < dataset->n_classes; i++)
        fuzz_touch ((const guint8 *) dataset->classes[i], strlen (dataset->classes[i]));
      for (guint i = 0; i < dataset->test.n_images; i++)
        g_assert_cmpuint (dataset->test.labels[i], <, dataset->n_classes);
    }
  else
    {
      g_assert_true (error->domain == CT_DATASET_ERROR);
    }

  return 0;
}
