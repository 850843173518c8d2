/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "ct-perturb.h"

#include <math.h>
#include <string.h>

#include "ct-image.h"
#include "ct-rng.h"

/* The purpose numbers of the three streams: each perturbation draws from its
 * own stream so that moving one slider never changes what another does
 * (ct-corrupt.c's corruptions draw from a fourth). */
enum {
  STREAM_ROTATION = 1,
  STREAM_OCCLUSION = 2,
  STREAM_NOISE = 3,
};

void
ct_perturb_init (CtPerturb *self)
{
  g_return_if_fail (self != NULL);

  memset (self, 0, sizeof *self);
  self->rotate_interp = CT_INTERP_NEAREST;
  self->occlude_patch = 1;
  self->occlude_fill = CT_FILL_ZERO;
}

gboolean
ct_perturb_is_identity (const CtPerturb *self)
{
  g_return_val_if_fail (self != NULL, TRUE);

  return !(self->noise_sigma > 0) &&
         self->rotate_degrees == 0 &&
         self->occlude_count == 0 &&
         self->corruption.kind == CT_CORRUPTION_NONE;
}

double
ct_perturb_get_angle (const CtPerturb *self,
                      guint            image_index,
                      guint            round)
{
  CtRng rng;

  g_return_val_if_fail (self != NULL, 0);

  if (!self->rotate_random)
    return self->rotate_degrees;
  if (self->rotate_degrees == 0)
    return 0;

  ct_rng_init (&rng, self->seed, image_index, round, STREAM_ROTATION);
  return fabs (self->rotate_degrees) * (2.0 * ct_rng_uniform (&rng) - 1.0);
}

/* sin and cos of @degrees, exact at multiples of 90° so that those rotations
 * move every pixel onto a pixel centre and copy it unchanged. */
static void
exact_sincos (double  degrees,
              double *out_sin,
              double *out_cos)
{
  double reduced = fmod (degrees, 360.0);

  if (reduced < 0)
    reduced += 360.0;

  if (reduced == 0)
    *out_sin = 0, *out_cos = 1;
  else if (reduced == 90)
    *out_sin = 1, *out_cos = 0;
  else if (reduced == 180)
    *out_sin = 0, *out_cos = -1;
  else if (reduced == 270)
    *out_sin = -1, *out_cos = 0;
  else
    {
      double radians = degrees * (G_PI / 180.0);

      *out_sin = sin (radians);
      *out_cos = cos (radians);
    }
}

static inline gboolean
inside (double x,
        double y,
        guint  width,
        guint  height)
{
  return x >= 0 && x < width && y >= 0 && y < height;
}

/* Each output pixel samples the input at the inverse rotation of its offset
 * from the centre, as torchvision's rotate does through affine_grid, so a
 * positive angle turns the picture counter-clockwise on screen (y points
 * down).  Samples outside the input read as 0. */
void
ct_perturb_rotate (const float *src,
                   guint        channels,
                   guint        height,
                   guint        width,
                   double       degrees,
                   CtInterp     interp,
                   float       *dst)
{
  gsize plane = (gsize) height * width;
  double cx = (width - 1) / 2.0;
  double cy = (height - 1) / 2.0;
  double s, c;

  exact_sincos (degrees, &s, &c);

  for (guint y = 0; y < height; y++)
    for (guint x = 0; x < width; x++)
      {
        double dx = x - cx;
        double dy = y - cy;
        double sx = cx + dx * c - dy * s;
        double sy = cy + dx * s + dy * c;
        gsize at = (gsize) y * width + x;

        if (interp == CT_INTERP_NEAREST)
          {
            double nx = floor (sx + 0.5);
            double ny = floor (sy + 0.5);

            if (inside (nx, ny, width, height))
              {
                gsize from = (gsize) ny * width + (gsize) nx;

                for (guint ch = 0; ch < channels; ch++)
                  dst[ch * plane + at] = src[ch * plane + from];
              }
            else
              {
                for (guint ch = 0; ch < channels; ch++)
                  dst[ch * plane + at] = 0;
              }
          }
        else
          {
            double x0 = floor (sx);
            double y0 = floor (sy);
            double fx = sx - x0;
            double fy = sy - y0;
            double weights[4] = {
              (1 - fx) * (1 - fy), fx * (1 - fy), (1 - fx) * fy, fx * fy,
            };
            double xs[4] = { x0, x0 + 1, x0, x0 + 1 };
            double ys[4] = { y0, y0, y0 + 1, y0 + 1 };

            for (guint ch = 0; ch < channels; ch++)
              {
                const float *channel = src + ch * plane;
                double sum = 0;

                for (guint k = 0; k < 4; k++)
                  if (weights[k] != 0 && inside (xs[k], ys[k], width, height))
                    sum += weights[k] * channel[(gsize) ys[k] * width + (gsize) xs[k]];

                dst[ch * plane + at] = (float) sum;
              }
          }
      }
}

/* Picks distinct top-left corners by a partial Fisher–Yates shuffle.  The
 * i-th pick depends only on the picks before it, so raising the count keeps
 * the positions already occluded and adds new ones. */
static void
occlude (const CtPerturb *self,
         guint            channels,
         guint            height,
         guint            width,
         const float     *mean,
         guint            image_index,
         guint            round,
         float           *image)
{
  gsize plane = (gsize) height * width;
  guint patch = CLAMP (self->occlude_patch, 1, MIN (height, width));
  guint span_x = width - patch + 1;
  guint span_y = height - patch + 1;
  guint n_positions = span_x * span_y;
  guint count = MIN (self->occlude_count, n_positions);
  g_autofree guint32 *positions = g_new (guint32, n_positions);
  CtRng rng;

  for (guint i = 0; i < n_positions; i++)
    positions[i] = i;

  ct_rng_init (&rng, self->seed, image_index, round, STREAM_OCCLUSION);

  for (guint i = 0; i < count; i++)
    {
      guint j = i + ct_rng_below (&rng, n_positions - i);
      guint32 picked = positions[j];
      guint left = picked % span_x;
      guint top = picked / span_x;

      positions[j] = positions[i];
      positions[i] = picked;

      for (guint ch = 0; ch < channels; ch++)
        {
          float fill = self->occlude_fill == CT_FILL_MEAN ? mean[ch] : 0.0f;

          for (guint y = top; y < top + patch; y++)
            for (guint x = left; x < left + patch; x++)
              image[ch * plane + (gsize) y * width + x] = fill;
        }
    }
}

void
ct_perturb_apply (const CtPerturb *self,
                  const guint8    *image,
                  guint            channels,
                  guint            height,
                  guint            width,
                  const float     *mean,
                  guint            image_index,
                  guint            round,
                  float           *out)
{
  gsize n_values = (gsize) channels * height * width;
  double angle;

  g_return_if_fail (self != NULL);
  g_return_if_fail (image != NULL || n_values == 0);
  g_return_if_fail (out != NULL || n_values == 0);
  g_return_if_fail (self->occlude_fill != CT_FILL_MEAN ||
                    self->occlude_count == 0 || mean != NULL);

  if (n_values == 0)
    return;

  angle = ct_perturb_get_angle (self, image_index, round);
  if (angle != 0)
    {
      g_autofree float *unit = g_new (float, n_values);

      ct_image_to_unit (image, n_values, unit);
      ct_perturb_rotate (unit, channels, height, width, angle, self->rotate_interp, out);
    }
  else
    {
      ct_image_to_unit (image, n_values, out);
    }

  if (self->occlude_count > 0)
    occlude (self, channels, height, width, mean, image_index, round, out);

  if (self->noise_sigma > 0)
    {
      CtRng rng;

      ct_rng_init (&rng, self->seed, image_index, round, STREAM_NOISE);
      for (gsize i = 0; i < n_values; i++)
        out[i] = (float) (out[i] + self->noise_sigma * ct_rng_normal (&rng));
    }

  for (gsize i = 0; i < n_values; i++)
    out[i] = CLAMP (out[i], 0.0f, 1.0f);

  ct_corruption_apply (&self->corruption, out, channels, height, width,
                       self->seed, image_index, round);
}

/* Numbers in descriptions use '.' whatever the locale, since they also end
 * up in exported JSON. */
static char *
format_number (double      value,
               const char *format)
{
  char buffer[G_ASCII_DTOSTR_BUF_SIZE];

  return g_strdup (g_ascii_formatd (buffer, sizeof buffer, format, value));
}

char *
ct_perturb_describe (const CtPerturb *self)
{
  g_autoptr(GPtrArray) parts = g_ptr_array_new_with_free_func (g_free);

  g_return_val_if_fail (self != NULL, NULL);

  if (ct_perturb_is_identity (self))
    return g_strdup ("none");

  if (self->noise_sigma > 0)
    {
      double hundredths = self->noise_sigma * 100;
      /* Two decimals read best ("0.10"), but must not hide a finer σ. */
      const char *format = fabs (hundredths - round (hundredths)) < 1e-9 ? "%.2f" : "%g";
      g_autofree char *sigma = format_number (self->noise_sigma, format);

      g_ptr_array_add (parts, g_strdup_printf ("noise σ=%s", sigma));
    }

  if (self->rotate_degrees != 0)
    {
      const char *interp = self->rotate_interp == CT_INTERP_BILINEAR ? "bilinear" : "nearest";

      if (self->rotate_random)
        {
          g_autofree char *bound = format_number (fabs (self->rotate_degrees), "%g");

          g_ptr_array_add (parts, g_strdup_printf ("rotation ±%s° random (%s)", bound, interp));
        }
      else
        {
          g_autofree char *angle = format_number (self->rotate_degrees, "%g");

          g_ptr_array_add (parts, g_strdup_printf ("rotation %s° (%s)", angle, interp));
        }
    }

  if (self->occlude_count > 0)
    {
      guint patch = MAX (self->occlude_patch, 1);
      const char *fill = self->occlude_fill == CT_FILL_MEAN ? " (mean fill)" : "";
      const char *plural = self->occlude_count == 1 ? "" : "s";

      if (patch == 1)
        g_ptr_array_add (parts, g_strdup_printf ("%u occluded pixel%s%s",
                                                 self->occlude_count, plural, fill));
      else
        g_ptr_array_add (parts, g_strdup_printf ("%u occluded %u×%u patch%s%s",
                                                 self->occlude_count, patch, patch,
                                                 self->occlude_count == 1 ? "" : "es", fill));
    }

  if (self->corruption.kind != CT_CORRUPTION_NONE)
    {
      g_autofree char *corruption = ct_corruption_to_string (&self->corruption);

      g_ptr_array_add (parts, g_strdup_printf ("c10c %s", corruption));
    }

  g_ptr_array_add (parts, NULL);
  return g_strjoinv (", ", (char **) parts->pdata);
}
