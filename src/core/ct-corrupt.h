/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The CIFAR-10-C corruptions (Hendrycks & Dietterich, ICLR 2019) at their
 * five CIFAR severities, named as the published data set names them, so
 * that numbers measured here compare with published ones.  They follow the
 * reference make_cifar_c.py:
 *
 *   gaussian_noise    x + N(0, c²), c = .04 .06 .08 .09 .10
 *   shot_noise        Poisson(x·c) / c, c = 500 250 100 75 50
 *   impulse_noise     skimage's salt and pepper: each value, with
 *                     probability c = .01 .02 .03 .05 .07, becomes 0 or 1
 *   speckle_noise     x + x·N(0, c²), c = .06 .10 .12 .16 .20
 *   gaussian_blur     skimage's gaussian (scipy, truncate 4, 'nearest'
 *                     borders), σ = .4 .6 .7 .8 1
 *   defocus_blur      cv2.filter2D (reflect-101 borders) with disk(r, a):
 *                     a 17×17 aliased disk of radius r blurred by
 *                     cv2.GaussianBlur 3×3 of σ a; (r, a) = (.3, .4)
 *                     (.4, .5) (.5, .6) (1, .2) (1.5, .1)
 *   brightness        skimage HSV, V ← clip(V + c), c = .05 .1 .15 .2 .3
 *   contrast          (x − m)·c + m with m the channel's mean,
 *                     c = .75 .5 .4 .3 .15
 *   saturate          skimage HSV, S ← clip(S·a + b),
 *                     (a, b) = (.3, 0) (.1, 0) (1.5, 0) (2, .1) (2.5, .2)
 *   jpeg_compression  a libjpeg round trip as PIL saves it: baseline,
 *                     4:2:0, quality 80 65 58 50 40
 *   pixelate          PIL's BOX resize to ⌊side·c⌋ and back,
 *                     c = .95 .9 .85 .75 .65
 *
 * All act on C×H×W floats in [0, 1] and clip to [0, 1].  Where this
 * differs from the reference (it keeps floats where the published files
 * were quantised to uint8; grey images; Pillow's fixed-point arithmetic)
 * is documented in docs/ROBUSTNESS.md. */

typedef enum {
  CT_CORRUPTION_NONE,
  CT_CORRUPTION_GAUSSIAN_NOISE,
  CT_CORRUPTION_SHOT_NOISE,
  CT_CORRUPTION_IMPULSE_NOISE,
  CT_CORRUPTION_SPECKLE_NOISE,
  CT_CORRUPTION_GAUSSIAN_BLUR,
  CT_CORRUPTION_DEFOCUS_BLUR,
  CT_CORRUPTION_BRIGHTNESS,
  CT_CORRUPTION_CONTRAST,
  CT_CORRUPTION_SATURATE,
  CT_CORRUPTION_JPEG_COMPRESSION,
  CT_CORRUPTION_PIXELATE,
} CtCorruptionKind;

/* The kinds other than NONE run from 1 to CT_CORRUPTION_N_KINDS. */
#define CT_CORRUPTION_N_KINDS      11
#define CT_CORRUPTION_N_SEVERITIES 5

typedef struct {
  CtCorruptionKind kind;
  guint            severity;   /* 1–5; ignored for CT_CORRUPTION_NONE */
} CtCorruption;

/* Returns: (transfer none): the CIFAR-10-C name, e.g. "gaussian_blur", or
 * "none". */
const char *ct_corruption_kind_to_string   (CtCorruptionKind    kind);
gboolean    ct_corruption_kind_from_string (const char         *name,
                                            CtCorruptionKind   *out_kind);

/* Parses "NAME" or "NAME-SEVERITY" (e.g. "gaussian_blur-3"); a bare NAME
 * gives *out_severity = 0, meaning every severity.  NONE is not a name. */
gboolean    ct_corruption_parse            (const char         *text,
                                            CtCorruptionKind   *out_kind,
                                            guint              *out_severity);

/* Returns: (transfer full): "NAME-SEVERITY", e.g. "gaussian_blur-3", or
 * "none". */
char       *ct_corruption_to_string        (const CtCorruption *self);

/* Corrupts @image (@channels × @height × @width floats in [0, 1]) in place.
 * The random kinds draw from the stream (@seed, @image_index, @round,
 * corruption), one draw per value in C×H×W order, the same stream for every
 * kind and severity: severities of one image differ by their parameter,
 * not by their noise.  Brightness and saturate work in HSV on 3 channels;
 * any other channel count is grey, its own V with no hue or saturation. */
void        ct_corruption_apply            (const CtCorruption *self,
                                            float              *image,
                                            guint               channels,
                                            guint               height,
                                            guint               width,
                                            guint64             seed,
                                            guint               image_index,
                                            guint               round);

G_END_DECLS
