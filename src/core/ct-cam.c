/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "ct-cam.h"

#include <math.h>
#include <string.h>

void
ct_cam_relu (float *cam,
             gsize  n)
{
  g_return_if_fail (cam != NULL || n == 0);

  /* A comparison rather than fmaxf keeps NaN as NaN, as np.maximum does. */
  for (gsize i = 0; i < n; i++)
    if (cam[i] < 0)
      cam[i] = 0;
}

void
ct_cam_minmax (float *cam,
               gsize  n)
{
  float lowest;
  float highest;
  float denominator;

  g_return_if_fail (cam != NULL || n == 0);

  if (n == 0)
    return;

  lowest = cam[0];
  for (gsize i = 1; i < n; i++)
    lowest = MIN (lowest, cam[i]);

  /* Two passes in float32 like NumPy's img − min, then img / (1e-7 + max):
   * the maximum is taken after the subtraction, with its rounding. */
  highest = cam[0] - lowest;
  for (gsize i = 0; i < n; i++)
    {
      cam[i] = cam[i] - lowest;
      highest = MAX (highest, cam[i]);
    }

  denominator = CT_CAM_EPS + highest;
  for (gsize i = 0; i < n; i++)
    cam[i] = cam[i] / denominator;
}

/* OpenCV's INTER_LINEAR taps along one axis: the first source index and the
 * weight of the next one.  Past the last pixel the weight is 0 and the index
 * is the last pixel itself, so a border sample copies that pixel. */
static void
linear_taps (guint  src_size,
             guint  dst_size,
             guint *index,
             float *weight)
{
  /* OpenCV derives the step as 1 / (dst / src) in double, then rounds each
   * source coordinate to float before flooring. */
  double scale = 1.0 / ((double) dst_size / src_size);

  for (guint d = 0; d < dst_size; d++)
    {
      float f = (float) ((d + 0.5) * scale - 0.5);
      int s = (int) floorf (f);

      f -= s;
      if (s < 0)
        s = 0, f = 0;
      if (s >= (int) src_size - 1)
        s = src_size - 1, f = 0;

      index[d] = s;
      weight[d] = f;
    }
}

void
ct_cam_resize (const float *src,
               guint        src_height,
               guint        src_width,
               float       *dst,
               guint        dst_height,
               guint        dst_width)
{
  g_autofree guint *x_index = NULL;
  g_autofree float *x_weight = NULL;
  g_autofree guint *y_index = NULL;
  g_autofree float *y_weight = NULL;
  g_autofree float *rows = NULL;

  g_return_if_fail (src != NULL && dst != NULL);
  g_return_if_fail (src_height > 0 && src_width > 0);

  if (dst_height == 0 || dst_width == 0)
    return;

  if (src_height == dst_height && src_width == dst_width)
    {
      memmove (dst, src, sizeof (float) * src_height * src_width);
      return;
    }

  x_index = g_new (guint, dst_width);
  x_weight = g_new (float, dst_width);
  y_index = g_new (guint, dst_height);
  y_weight = g_new (float, dst_height);
  linear_taps (src_width, dst_width, x_index, x_weight);
  linear_taps (src_height, dst_height, y_index, y_weight);

  /* Horizontal pass over every source row first, then the vertical blend
   * of two of them, in float32 in the same order as OpenCV. */
  rows = g_new (float, (gsize) src_height * dst_width);
  for (guint y = 0; y < src_height; y++)
    {
      const float *in = src + (gsize) y * src_width;
      float *out = rows + (gsize) y * dst_width;

      for (guint x = 0; x < dst_width; x++)
        {
          guint s = x_index[x];

          if (s + 1 < src_width)
            out[x] = in[s] * (1.0f - x_weight[x]) + in[s + 1] * x_weight[x];
          else
            out[x] = in[s];
        }
    }

  for (guint y = 0; y < dst_height; y++)
    {
      guint s = y_index[y];
      const float *row0 = rows + (gsize) s * dst_width;
      const float *row1 = rows + (gsize) MIN (s + 1, src_height - 1) * dst_width;
      float w1 = y_weight[y];
      float w0 = 1.0f - w1;
      float *out = dst + (gsize) y * dst_width;

      for (guint x = 0; x < dst_width; x++)
        out[x] = row0[x] * w0 + row1[x] * w1;
    }
}

void
ct_cam_postprocess (const float *weighted_sum,
                    guint        src_height,
                    guint        src_width,
                    CtCamScale   scale,
                    float       *dst,
                    guint        dst_height,
                    guint        dst_width)
{
  gsize n_src = (gsize) src_height * src_width;
  g_autofree float *cam = NULL;

  g_return_if_fail (weighted_sum != NULL && dst != NULL);

  cam = g_memdup2 (weighted_sum, sizeof (float) * n_src);
  ct_cam_relu (cam, n_src);
  if (scale == CT_CAM_SCALE_IMAGE)
    ct_cam_minmax (cam, n_src);

  ct_cam_resize (cam, src_height, src_width, dst, dst_height, dst_width);

  if (scale == CT_CAM_SCALE_IMAGE)
    ct_cam_minmax (dst, (gsize) dst_height * dst_width);
}

void
ct_softmax (const float *logits,
            guint        n,
            float       *out)
{
  double highest;
  double sum = 0;

  g_return_if_fail (n == 0 || (logits != NULL && out != NULL));

  if (n == 0)
    return;

  highest = logits[0];
  for (guint i = 1; i < n; i++)
    highest = MAX (highest, (double) logits[i]);

  /* Subtracting the maximum keeps every exponent ≤ 0, so nothing overflows
   * and the largest term is exactly 1. */
  for (guint i = 0; i < n; i++)
    sum += exp ((double) logits[i] - highest);

  for (guint i = 0; i < n; i++)
    out[i] = (float) (exp ((double) logits[i] - highest) / sum);
}

const char *
ct_cam_scale_to_string (CtCamScale scale)
{
  switch (scale)
    {
    case CT_CAM_SCALE_RAW:
      return "raw";
    case CT_CAM_SCALE_SHARED:
      return "shared";
    case CT_CAM_SCALE_IMAGE:
    default:
      return "image";
    }
}

gboolean
ct_cam_scale_from_string (const char *name,
                          CtCamScale *out_scale)
{
  static const CtCamScale scales[] = { CT_CAM_SCALE_IMAGE, CT_CAM_SCALE_RAW, CT_CAM_SCALE_SHARED };

  for (gsize i = 0; i < G_N_ELEMENTS (scales); i++)
    if (g_strcmp0 (name, ct_cam_scale_to_string (scales[i])) == 0)
      {
        *out_scale = scales[i];
        return TRUE;
      }
  return FALSE;
}
