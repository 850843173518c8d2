/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <glib.h>
#include <stdlib.h>

#include "ct-dataset.h"
#include "ct-npy.h"

/* Loads an image folder as camtrail-cli train does and writes what it
 * cached, for image_folder_reference.py to compare with torchvision:
 *   OUT/train.npy, OUT/test.npy    float32 [N, C, S, S], whole levels 0–255
 *   OUT/train-labels.npy, OUT/test-labels.npy   float32 [N]
 *   OUT/classes.txt, OUT/skipped.txt   one a line
 * Usage: dump-image-folder DIR OUT IMAGE_SIZE SKIP_BAD(0|1) */

static gboolean
write_split (const CtSplit  *split,
             const char     *out,
             const char     *name,
             GError        **error)
{
  gsize image_size = ct_split_image_size (split);
  gsize n = (gsize) split->n_images * image_size;
  g_autofree float *pixels = g_new (float, MAX (n, 1));
  g_autofree float *labels = g_new (float, MAX (split->n_images, 1));
  g_autofree char *pixels_path = g_strdup_printf ("%s/%s.npy", out, name);
  g_autofree char *labels_path = g_strdup_printf ("%s/%s-labels.npy", out, name);
  const gsize shape[] = { split->n_images, split->channels, split->height, split->width };
  const gsize label_shape[] = { split->n_images };

  for (gsize i = 0; i < n; i++)
    pixels[i] = split->pixels[i];
  for (guint i = 0; i < split->n_images; i++)
    labels[i] = split->labels[i];
  return ct_npy_write_f32 (pixels_path, pixels, 4, shape, error)
         && ct_npy_write_f32 (labels_path, labels, 1, label_shape, error);
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(CtDataset) dataset = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *classes = NULL;
  g_autofree char *skipped = NULL;
  g_autofree char *classes_path = NULL;
  g_autofree char *skipped_path = NULL;
  CtDatasetOptions options = { 0 };

  if (argc != 5)
    {
      g_printerr ("usage: dump-image-folder DIR OUT IMAGE_SIZE SKIP_BAD\n");
      return 2;
    }
  options.image_size = (guint) atoi (argv[3]);
  options.skip_bad = atoi (argv[4]) != 0;

  dataset = ct_dataset_load_full (argv[1], &options, &error);
  if (dataset == NULL)
    {
      g_printerr ("dump-image-folder: %s\n", error->message);
      return 1;
    }
  classes = g_strjoinv ("\n", dataset->classes);
  skipped = g_strjoinv ("\n", dataset->skipped);
  classes_path = g_build_filename (argv[2], "classes.txt", NULL);
  skipped_path = g_build_filename (argv[2], "skipped.txt", NULL);
  if (!write_split (&dataset->train, argv[2], "train", &error)
      || !write_split (&dataset->test, argv[2], "test", &error)
      || !g_file_set_contents (classes_path, classes, -1, &error)
      || !g_file_set_contents (skipped_path, skipped, -1, &error))
    {
      g_printerr ("dump-image-folder: %s\n", error->message);
      return 1;
    }
  return 0;
}
