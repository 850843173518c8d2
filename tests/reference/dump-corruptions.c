/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <glib.h>
#include <math.h>

#include "ct-corrupt.h"
#include "ct-npy.h"
#include "ct-rng.h"

/* Writes a few synthetic 32×32 RGB images and every CIFAR-10-C corruption
 * of them at every severity, for corruption_reference.py to compare with
 * make_cifar_c.py's functions:
 *   DIR/inputs.npy     float32 [N, 3, 32, 32], whole levels 0–255
 *   DIR/corrupted.npy  float32 [kinds, severities, N, 3, 32, 32] in [0, 1]
 * Usage: dump-corruptions DIR */

#define N_IMAGES 4
#define SIDE     32

/* Gradients, a few flat rectangles and mild noise: edges for the blurs,
 * flat areas and colours for JPEG and the HSV edits. */
static void
synthesize (guint   index,
            guint8 *pixels)
{
  gsize plane = SIDE * SIDE;
  CtRng rng;

  ct_rng_init (&rng, 2019, index, 0, 0);
  for (guint ch = 0; ch < 3; ch++)
    for (guint y = 0; y < SIDE; y++)
      for (guint x = 0; x < SIDE; x++)
        {
          double ramp = ch == 0 ? x : ch == 1 ? y : (x + y) / 2.0;

          pixels[ch * plane + y * SIDE + x] = (guint8) (40 + 4 * ramp);
        }
  for (guint r = 0; r < 3; r++)
    {
      guint left = ct_rng_below (&rng, SIDE - 8), top = ct_rng_below (&rng, SIDE - 8);
      guint w = 4 + ct_rng_below (&rng, 8), h = 4 + ct_rng_below (&rng, 8);

      for (guint ch = 0; ch < 3; ch++)
        {
          guint8 value = (guint8) ct_rng_below (&rng, 256);

          for (guint y = top; y < top + h; y++)
            for (guint x = left; x < left + w; x++)
              pixels[ch * plane + y * SIDE + x] = value;
        }
    }
  for (gsize i = 0; i < 3 * plane; i++)
    pixels[i] = (guint8) CLAMP (pixels[i] + 6.0 * ct_rng_normal (&rng), 0, 255);
}

int
main (int    argc,
      char **argv)
{
  gsize image_values = 3 * SIDE * SIDE;
  g_autofree guint8 *pixels = g_new (guint8, N_IMAGES * image_values);
  g_autofree float *inputs = g_new (float, N_IMAGES * image_values);
  g_autofree float *corrupted = g_new (float, (gsize) CT_CORRUPTION_N_KINDS *
                                             CT_CORRUPTION_N_SEVERITIES * N_IMAGES * image_values);
  g_autofree char *inputs_path = NULL;
  g_autofree char *corrupted_path = NULL;
  g_autoptr(GError) error = NULL;
  const gsize input_shape[] = { N_IMAGES, 3, SIDE, SIDE };
  const gsize corrupted_shape[] = {
    CT_CORRUPTION_N_KINDS, CT_CORRUPTION_N_SEVERITIES, N_IMAGES, 3, SIDE, SIDE,
  };
  float *out = corrupted;

  if (argc != 2)
    {
      g_printerr ("usage: dump-corruptions DIR\n");
      return 2;
    }

  for (guint i = 0; i < N_IMAGES; i++)
    synthesize (i, pixels + i * image_values);
  for (gsize i = 0; i < N_IMAGES * image_values; i++)
    inputs[i] = pixels[i];

  for (CtCorruptionKind kind = 1; kind <= CT_CORRUPTION_N_KINDS; kind++)
    for (guint severity = 1; severity <= CT_CORRUPTION_N_SEVERITIES; severity++)
      for (guint i = 0; i < N_IMAGES; i++, out += image_values)
        {
          CtCorruption corruption = { kind, severity };

          for (gsize j = 0; j < image_values; j++)
            out[j] = pixels[i * image_values + j] / 255.0f;
          ct_corruption_apply (&corruption, out, 3, SIDE, SIDE, 1, i, 0);
        }

  inputs_path = g_build_filename (argv[1], "inputs.npy", NULL);
  corrupted_path = g_build_filename (argv[1], "corrupted.npy", NULL);
  if (!ct_npy_write_f32 (inputs_path, inputs, G_N_ELEMENTS (input_shape), input_shape, &error) ||
      !ct_npy_write_f32 (corrupted_path, corrupted, G_N_ELEMENTS (corrupted_shape),
                         corrupted_shape, &error))
    {
      g_printerr ("dump-corruptions: %s\n", error->message);
      return 1;
    }
  return 0;
}
