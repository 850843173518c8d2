/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* uint8 planar image (C×H×W) to float in [0, 1]. */
void ct_image_to_unit   (const guint8 *image,
                         gsize         n_values,
                         float        *out);

/* In place: x ← (x − mean[c]) / std[c] for @n_images planar images of
 * @channels × @plane values each, as the models expect. */
void ct_image_normalize (float        *images,
                         gsize         n_images,
                         guint         channels,
                         gsize         plane,
                         const float  *mean,
                         const float  *std);

G_END_DECLS
