/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <glib.h>
#include <stdlib.h>

#include "ct-dataset.h"

/* Caches an image folder as camtrail-cli train does, then opens it again
 * from the cache, and prints both times.  Run it under /usr/bin/time -v for
 * the peak memory (bench/README.md).
 *   cache-image-folder DIR [IMAGE_SIZE] */

/* The cache's pages count in the resident set once touched, but they are
 * the file's (RssFile), given back under pressure; what the process itself
 * holds is RssAnon. */
static void
print_memory (void)
{
  g_autofree char *status = NULL;
  g_auto(GStrv) lines = NULL;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL))
    return;
  lines = g_strsplit (status, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    if (g_str_has_prefix (lines[i], "VmHWM") || g_str_has_prefix (lines[i], "RssAnon")
        || g_str_has_prefix (lines[i], "RssFile"))
      g_print ("%s\n", lines[i]);
}

int
main (int    argc,
      char **argv)
{
  CtDatasetOptions options = { 0 };
  g_autoptr(CtDataset) built = NULL;
  g_autoptr(CtDataset) again = NULL;
  g_autoptr(GError) error = NULL;
  gint64 start;
  double build_seconds;

  if (argc < 2 || argc > 3)
    {
      g_printerr ("usage: cache-image-folder DIR [IMAGE_SIZE]\n");
      return 2;
    }
  options.image_size = argc == 3 ? (guint) atoi (argv[2]) : 0;

  start = g_get_monotonic_time ();
  built = ct_dataset_load_full (argv[1], &options, &error);
  if (built == NULL)
    {
      g_printerr ("cache-image-folder: %s\n", error->message);
      return 1;
    }
  build_seconds = (g_get_monotonic_time () - start) / 1e6;
  g_print ("after caching, the cache still mapped:\n");
  print_memory ();
  g_clear_pointer (&built, ct_dataset_free);

  start = g_get_monotonic_time ();
  again = ct_dataset_load_full (argv[1], &options, &error);
  if (again == NULL)
    {
      g_printerr ("cache-image-folder: %s\n", error->message);
      return 1;
    }
  g_print ("%u train + %u test images, %ux%ux%u: cached in %.2f s, opened from the cache in %.2f s\n",
           again->train.n_images, again->test.n_images, again->train.channels,
           again->train.height, again->train.width, build_seconds,
           (g_get_monotonic_time () - start) / 1e6);
  g_print ("after opening it again:\n");
  print_memory ();
  return 0;
}
