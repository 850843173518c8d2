/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* How faithful a heatmap is to the model, per image; the engine runs the
 * forward passes, everything else is here.  Images are C × H × W floats in
 * [0, 1] pixel space (before normalisation), heatmaps H × W in [0, 1].
 *
 * Deletion and insertion (Petsiuk et al. 2018, RISE's CausalMetric): the
 * pixels are changed in heatmap order, highest first, @step of them at a
 * time, from the image towards the baseline (deletion) or from the
 * baseline towards the image (insertion); the class probability after
 * 0, 1, …, n_steps steps is averaged by the trapezoidal rule over evenly
 * spaced points, as RISE's auc(). */

typedef enum {
  CT_BASELINE_ZERO,   /* black */
  CT_BASELINE_MEAN,   /* the dataset's mean colour: 0 once normalised */
} CtBaseline;

/* Returns: (transfer none): "zero" or "mean". */
const char *ct_baseline_to_string   (CtBaseline   baseline);
gboolean    ct_baseline_from_string (const char  *name,
                                     CtBaseline  *out_baseline);

/* Fills @out (C × H × W) with the baseline image. */
void   ct_faithfulness_baseline (CtBaseline    baseline,
                                 const float  *mean,
                                 guint         channels,
                                 gsize         n_pixels,
                                 float        *out);

/* The positions of @heatmap's @n values in decreasing order, ties in
 * increasing position (a stable order; RISE's np.argsort is not stable,
 * so where many pixels tie, at 0 after the ReLU, its order among them is
 * NumPy's quicksort's). */
void   ct_faithfulness_order    (const float  *heatmap,
                                 gsize         n,
                                 guint        *out_order);

/* Pixels changed per step: @fraction of @n_pixels, rounded, at least 1. */
gsize  ct_faithfulness_step     (gsize         n_pixels,
                                 double        fraction);
/* Steps to change every pixel, ⌈n_pixels / step⌉; the curve has one more
 * point than steps. */
guint  ct_faithfulness_n_steps  (gsize         n_pixels,
                                 gsize         step);

/* Step @k's image: @from with the first min(k · step, n_pixels) pixels of
 * @order (every channel) taken from @to. */
void   ct_faithfulness_blend    (const float  *from,
                                 const float  *to,
                                 guint         channels,
                                 gsize         n_pixels,
                                 const guint  *order,
                                 gsize         n_changed,
                                 float        *out);

/* RISE's auc(): (Σ y − y_0/2 − y_last/2) / (n − 1) for @n ≥ 2 points. */
double ct_faithfulness_auc      (const double *curve,
                                 guint         n);

/* Chattopadhyay et al.'s explanation map: the image times the heatmap,
 * pixel by pixel, in every channel. */
void   ct_faithfulness_cam_mult (const float  *image,
                                 guint         channels,
                                 gsize         n_pixels,
                                 const float  *heatmap,
                                 float        *out);

/* One image's Average Drop term, 100 · max(0, y − o) / y, and Increase in
 * Confidence term, 100 when o > y and 0 otherwise, for the class
 * probability y on the image and o on its explanation map. */
double ct_faithfulness_drop     (double        y,
                                 double        o);
double ct_faithfulness_increase (double        y,
                                 double        o);

/* ---- A study's result ------------------------------------------------- */

/* One checkpoint's scores for one kind of heatmap, each a mean over the
 * images with the half-width of its 95% Student-t interval. */
typedef struct {
  int     epoch;
  char   *heatmap;            /* the method's name, or "random" (the baseline row) */
  guint   n_images;
  double  deletion;           /* AUC: lower is more faithful */
  double  deletion_ci95;
  double  insertion;          /* AUC: higher is more faithful */
  double  insertion_ci95;
  double  average_drop;       /* %: lower is more faithful */
  double  average_drop_ci95;
  double  increase;           /* % of images: higher is more faithful */
  double  increase_ci95;
} CtFaithfulnessRow;

typedef struct {
  char        *run_name;
  char        *arch;
  char        *dataset;
  char        *layer;
  char        *method;
  char        *target_rule;
  CtBaseline   baseline;
  double       step_fraction;
  guint64      seed;
  guint        n_images;
  guint       *image_indices;   /* n_images */
  GArray      *rows;            /* CtFaithfulnessRow, two per epoch: the method's, then random */
} CtFaithfulness;

/* Returns: (transfer full): empty, the strings NULL. */
CtFaithfulness *ct_faithfulness_new        (void);
void            ct_faithfulness_free       (CtFaithfulness  *self);

/* Columns: epoch, heatmap, images, then each score and its ci95
 * (docs/FAITHFULNESS.md); atomically. */
gboolean        ct_faithfulness_write_csv  (const CtFaithfulness *self,
                                            const char           *path,
                                            GError              **error);
/* The request (run, layer, method, baseline, step, seed, images) and the
 * rows, atomically. */
gboolean        ct_faithfulness_write_json (const CtFaithfulness *self,
                                            const char           *path,
                                            GError              **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CtFaithfulness, ct_faithfulness_free)

G_END_DECLS
