/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  CT_COLORMAP_JET,       /* OpenCV's COLORMAP_JET, pytorch-grad-cam's default */
  CT_COLORMAP_VIRIDIS,   /* perceptually uniform, colour-blind friendly */
  CT_COLORMAP_INFERNO,
  CT_COLORMAP_TURBO,     /* Google's Turbo: a smoother, perceptually saner jet */
} CtColormap;

/* Returns: (transfer none) (nullable): "jet", "viridis", "inferno", "turbo". */
const char *ct_colormap_to_string   (CtColormap  colormap);
gboolean    ct_colormap_from_string (const char *name,
                                     CtColormap *out_colormap);

/* The colour of @value in [0, 1], looked up as OpenCV does: the value is
 * quantised to uint8 (truncating 255·v, as np.uint8(255 * mask)) and mapped
 * through a 256-entry table.  @out_rgb receives 3 bytes. */
void        ct_colormap_lookup      (CtColormap  colormap,
                                     float       value,
                                     guint8     *out_rgb);

/* pytorch-grad-cam's show_cam_on_image(img, mask, use_rgb=True,
 * image_weight=@image_weight): heat = colormap(mask)/255,
 * cam = (1 − w)·heat + w·img, cam /= max(cam), out = uint8(255·cam).
 * @image is C×H×W in [0, 1] (C = 1 is shown as grey), @heatmap H×W in [0, 1];
 * @out_rgb receives H×W×3 bytes. */
void        ct_colormap_overlay     (CtColormap   colormap,
                                     const float *image,
                                     guint        channels,
                                     const float *heatmap,
                                     guint        height,
                                     guint        width,
                                     float        image_weight,
                                     guint8      *out_rgb);

G_END_DECLS
