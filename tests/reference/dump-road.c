/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <glib.h>
#include <math.h>

#include "ct-faithfulness.h"
#include "ct-npy.h"
#include "ct-rng.h"

/* Writes synthetic images and heatmaps with what core's faithfulness code
 * makes of them, for road_reference.py to recompute with SciPy, NumPy and
 * torch as pytorch-grad-cam's ROAD and RISE do:
 *   DIR/images.npy    float32 [N, 3, S, S] in [0, 1]
 *   DIR/heatmaps.npy  float32 [N, S, S] in [0, 1]
 *   DIR/mean.npy      float32 [3]
 *   DIR/keep.npy      float32 [N, 2·9, S, S]: 1 kept, 0 imputed, for most
 *                     (even) and least (odd) relevant first at 10, …, 90
 *   DIR/imputed.npy   float32 [N, 2·9, 3, S, S] (ct_road_impute, no noise;
 *                     the mean colour where nothing is kept)
 *   DIR/blurred.npy   float32 [N, 3, S, S] (ct_faithfulness_blur)
 * Usage: dump-road DIR */

#define N_IMAGES 4
#define SIDE     16
#define CHANNELS 3
#define N_ROAD   (2 * CT_ROAD_N_PERCENTILES)

/* Image 0: smooth; 1: noise; 2: a heatmap with a plateau of ties at 0 (as
 * after the ReLU); 3: a heatmap with one hot spot. */
static void
synthesize (guint  index,
            float *image,
            float *heatmap)
{
  gsize plane = SIDE * SIDE;
  CtRng rng;

  ct_rng_init (&rng, 2022, index, 0, 0);
  for (guint c = 0; c < CHANNELS; c++)
    for (guint p = 0; p < plane; p++)
      {
        double x = p % SIDE, y = p / SIDE;

        image[c * plane + p] = index == 1 ? ct_rng_uniform (&rng)
                                          : 0.5 + 0.4 * sin (0.3 * x + c) * cos (0.2 * y);
      }
  for (guint p = 0; p < plane; p++)
    {
      double x = p % SIDE, y = p / SIDE, value = ct_rng_uniform (&rng);

      if (index == 2)
        value = MAX (0, value - 0.5) * 2;
      else if (index == 3)
        value = exp (-((x - 4) * (x - 4) + (y - 11) * (y - 11)) / 8);
      heatmap[p] = value;
    }
}

int
main (int   argc,
      char *argv[])
{
  gsize plane = SIDE * SIDE, values = CHANNELS * plane;
  g_autofree float *images = g_new (float, N_IMAGES * values);
  g_autofree float *heatmaps = g_new (float, N_IMAGES * plane);
  g_autofree float *keep = g_new (float, N_IMAGES * N_ROAD * plane);
  g_autofree float *imputed = g_new (float, N_IMAGES * N_ROAD * values);
  g_autofree float *blurred = g_new (float, N_IMAGES * values);
  g_autofree guint8 *mask = g_new (guint8, plane);
  const float mean[CHANNELS] = { 0.49f, 0.48f, 0.45f };
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = NULL;
  struct {
    const char *name;
    float *data;
    gsize shape[5];
    guint n_dims;
  } outputs[] = {
    { "images.npy", images, { N_IMAGES, CHANNELS, SIDE, SIDE }, 4 },
    { "heatmaps.npy", heatmaps, { N_IMAGES, SIDE, SIDE }, 3 },
    { "mean.npy", (float *) mean, { CHANNELS }, 1 },
    { "keep.npy", keep, { N_IMAGES, N_ROAD, SIDE, SIDE }, 4 },
    { "imputed.npy", imputed, { N_IMAGES, N_ROAD, CHANNELS, SIDE, SIDE }, 5 },
    { "blurred.npy", blurred, { N_IMAGES, CHANNELS, SIDE, SIDE }, 4 },
  };

  if (argc != 2)
    {
      g_printerr ("usage: dump-road DIR\n");
      return 2;
    }
  dir = g_strdup (argv[1]);

  for (guint i = 0; i < N_IMAGES; i++)
    {
      float *image = images + i * values, *heatmap = heatmaps + i * plane;

      synthesize (i, image, heatmap);
      ct_faithfulness_blur (image, mean, CHANNELS, SIDE, SIDE, blurred + i * values);
      for (guint t = 0; t < N_ROAD; t++)
        {
          ct_road_keep (heatmap, plane, ct_road_percentile_at (t / 2), t % 2 == 0, mask);
          for (gsize p = 0; p < plane; p++)
            keep[(i * N_ROAD + t) * plane + p] = mask[p];
          ct_road_impute (image, mean, CHANNELS, SIDE, SIDE, mask,
                          imputed + (i * N_ROAD + t) * values);
        }
    }

  for (gsize o = 0; o < G_N_ELEMENTS (outputs); o++)
    {
      g_autofree char *path = g_build_filename (dir, outputs[o].name, NULL);

      if (!ct_npy_write_f32 (path, outputs[o].data, outputs[o].n_dims, outputs[o].shape, &error))
        {
          g_printerr ("%s\n", error->message);
          return 1;
        }
    }
  return 0;
}
