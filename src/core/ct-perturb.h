/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "ct-corrupt.h"

G_BEGIN_DECLS

/* The one implementation of the perturbations, shared by the CLI, the window
 * and the benchmarks.  All of them act in [0, 1] pixel space before
 * normalisation, in this order: rotation, occlusion, Gaussian noise, a clip
 * to [0, 1], then a CIFAR-10-C corruption (ct-corrupt.h).  Every random draw comes from a stream seeded with
 * (seed, image index, round, purpose), so each checkpoint row sees the same
 * perturbed image and changing one slider does not reshuffle the others. */

typedef enum {
  CT_INTERP_NEAREST,    /* as torchvision's RandomRotation default */
  CT_INTERP_BILINEAR,
} CtInterp;

typedef enum {
  CT_FILL_ZERO,
  CT_FILL_MEAN,         /* the dataset's per-channel mean */
} CtFill;

typedef struct {
  double   noise_sigma;      /* σ of N(0, σ²) per pixel and channel; 0 = none */
  double   rotate_degrees;   /* the fixed angle, or the bound a of U[−a, a] */
  gboolean rotate_random;
  CtInterp rotate_interp;
  guint    occlude_count;    /* N distinct positions; 0 = none */
  guint    occlude_patch;    /* side of each square patch in pixels, ≥ 1 */
  CtFill   occlude_fill;
  CtCorruption corruption;   /* kind CT_CORRUPTION_NONE = none */
  guint64  seed;
} CtPerturb;

/* Fills @self with the identity perturbation (patch 1, zero fill, nearest,
 * no corruption, seed 0). */
void     ct_perturb_init          (CtPerturb       *self);
gboolean ct_perturb_is_identity   (const CtPerturb *self);

/* Perturbs one image.  @image is uint8 C×H×W; @mean (nullable unless
 * occlude_fill is CT_FILL_MEAN) holds @channels means in [0, 1]; @out receives
 * C×H×W floats in [0, 1].  Rotation is about the centre ((W−1)/2, (H−1)/2),
 * positive angles counter-clockwise as torchvision's rotate. */
void     ct_perturb_apply         (const CtPerturb *self,
                                   const guint8    *image,
                                   guint            channels,
                                   guint            height,
                                   guint            width,
                                   const float     *mean,
                                   guint            image_index,
                                   guint            round,
                                   float           *out);

/* The angle used for (image_index, round): the fixed angle, or the seeded
 * uniform draw. */
double   ct_perturb_get_angle     (const CtPerturb *self,
                                   guint            image_index,
                                   guint            round);

/* Rotates @channels planes of @height × @width floats by @degrees as
 * ct_perturb_apply() does: about the centre, counter-clockwise, samples
 * from outside the input reading 0.  @src and @dst must not overlap. */
void     ct_perturb_rotate        (const float     *src,
                                   guint            channels,
                                   guint            height,
                                   guint            width,
                                   double           degrees,
                                   CtInterp         interp,
                                   float           *dst);

/* Returns: (transfer full): a one-line human description, e.g.
 * "noise σ=0.10, rotation ±30° random (nearest), 10 occluded pixels",
 * "rotation 30° (bilinear)", "4 occluded 3×3 patches (mean fill)",
 * "c10c gaussian_blur-3", or "none". */
char    *ct_perturb_describe      (const CtPerturb *self);

G_END_DECLS
