/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "ct-image.h"

void
ct_image_to_unit (const guint8 *image,
                  gsize         n_values,
                  float        *out)
{
  g_return_if_fail (n_values == 0 || (image != NULL && out != NULL));

  /* A division rather than a multiply by 1/255, as torchvision's ToTensor
   * does, so that the values match it bit for bit. */
  for (gsize i = 0; i < n_values; i++)
    out[i] = image[i] / 255.0f;
}

void
ct_image_normalize (float       *images,
                    gsize        n_images,
                    guint        channels,
                    gsize        plane,
                    const float *mean,
                    const float *std)
{
  g_return_if_fail (n_images == 0 || channels == 0 || plane == 0 ||
                    (images != NULL && mean != NULL && std != NULL));

  for (gsize n = 0; n < n_images; n++)
    for (guint c = 0; c < channels; c++)
      {
        float *values = images + (n * channels + c) * plane;

        for (gsize i = 0; i < plane; i++)
          values[i] = (values[i] - mean[c]) / std[c];
      }
}
