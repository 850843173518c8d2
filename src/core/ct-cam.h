/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Post-processing of class activation maps, exactly as pytorch-grad-cam's
 * BaseCAM does for one target layer:
 *   cam = max(Σ_k α_k A^k, 0)
 *   cam = (cam − min) / (1e-7 + max(cam − min))      per image
 *   cam = bilinear resize to the input size           (cv2 INTER_LINEAR)
 *   cam = (cam − min) / (1e-7 + max(cam − min))      again
 * The torch shim returns Σ_k α_k A^k; everything after it happens here. */

#define CT_CAM_EPS 1e-7f

typedef enum {
  CT_CAM_SCALE_IMAGE,   /* per-image min-max, pytorch-grad-cam's output */
  CT_CAM_SCALE_RAW,     /* ReLU and resize only: magnitudes kept */
  CT_CAM_SCALE_SHARED,  /* ReLU and resize, then one min-max over a group (a column of epochs) */
} CtCamScale;

/* Returns: (transfer none): "image", "raw" or "shared". */
const char *ct_cam_scale_to_string   (CtCamScale   scale);
gboolean    ct_cam_scale_from_string (const char  *name,
                                      CtCamScale  *out_scale);

/* In place: x ← max(x, 0). */
void ct_cam_relu          (float       *cam,
                           gsize        n);

/* In place: x ← (x − min) / (1e-7 + max(x − min)), one min and max over all
 * @n values (in float, as NumPy does on float32). */
void ct_cam_minmax        (float       *cam,
                           gsize        n);

/* Bilinear resize with half-pixel centres and clamped borders, as OpenCV's
 * INTER_LINEAR on float32 and torch's interpolate(align_corners=False):
 * src = (dst + 0.5) · (src_size / dst_size) − 0.5, clamped to [0, size−1]. */
void ct_cam_resize        (const float *src,
                           guint        src_height,
                           guint        src_width,
                           float       *dst,
                           guint        dst_height,
                           guint        dst_width);

/* One map from the shim's weighted sum (@src_height × @src_width) to the
 * final heatmap (@dst_height × @dst_width).  CT_CAM_SCALE_IMAGE runs the
 * whole pipeline above; RAW and SHARED stop after ReLU and resize (SHARED is
 * finished by ct_cam_minmax over the group). */
void ct_cam_postprocess   (const float *weighted_sum,
                           guint        src_height,
                           guint        src_width,
                           CtCamScale   scale,
                           float       *dst,
                           guint        dst_height,
                           guint        dst_width);

/* Softmax in double precision: out[i] = exp(l[i] − max) / Σ exp(l[j] − max). */
void ct_softmax           (const float *logits,
                           guint        n,
                           float       *out);

G_END_DECLS
