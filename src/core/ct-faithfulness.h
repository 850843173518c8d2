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
  CT_BASELINE_BLUR,   /* the image blurred as RISE's substrate: 11 × 11, σ 5 */
} CtBaseline;

/* Returns: (transfer none): "zero", "mean" or "blur". */
const char *ct_baseline_to_string   (CtBaseline   baseline);
gboolean    ct_baseline_from_string (const char  *name,
                                     CtBaseline  *out_baseline);

/* Fills @out (C × H × W) with the baseline image: for zero and mean,
 * the same for every image; for blur, @image blurred (ct_faithfulness_blur). */
void   ct_faithfulness_baseline (CtBaseline    baseline,
                                 const float  *image,
                                 const float  *mean,
                                 guint         channels,
                                 guint         width,
                                 guint         height,
                                 float        *out);

/* RISE's blur: its gkern(11, 5), SciPy's gaussian_filter (σ 5, truncated
 * at 4σ, "reflect" edges) of an 11 × 11 unit impulse, which is the outer
 * product of ct_faithfulness_blur_kernel(); and torch's conv2d with it,
 * padding 5 with zeros in normalised space, which is @mean's colour in
 * pixel space (the kernel sums to 1).  @image and @out are C × H × W. */
#define CT_BLUR_KERNEL_SIZE 11
void   ct_faithfulness_blur_kernel (double       out[CT_BLUR_KERNEL_SIZE]);
void   ct_faithfulness_blur        (const float *image,
                                    const float *mean,
                                    guint        channels,
                                    guint        width,
                                    guint        height,
                                    float       *out);

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

/* ---- ROAD ------------------------------------------------------------ */

/* ROAD (Rong et al. 2022) as pytorch-grad-cam's ROADMostRelevantFirst and
 * ROADLeastRelevantFirst, averaged over the percentiles 10, 20, …, 90
 * (ROAD…Average), the score being the class probability after imputation
 * minus before (ClassifierOutputSoftmaxTarget).  Most relevant first at
 * percentile p imputes the pixels whose heatmap value is not below the
 * heatmap's p-th percentile (NumPy's, ct_stats_percentile()); least relevant
 * first does the same with 1 − heatmap. */
#define CT_ROAD_N_PERCENTILES 9

/* The percentile of the i-th threshold: 10 · (i + 1). */
double ct_road_percentile_at (guint        i);

/* Sets @keep[p] to 1 for the pixels kept, 0 for those to impute.
 * Returns: the number kept. */
gsize  ct_road_keep         (const float  *heatmap,
                             gsize         n,
                             double        percentile,
                             gboolean      most_relevant_first,
                             guint8       *keep);

/* ROAD's noisy linear imputation without its noise: every pixel not kept
 * becomes the weighted mean of its 8 neighbours inside the image (weight
 * 1/6 across an edge, 1/12 across a corner), kept or imputed themselves,
 * solved for all of them at once per channel (conjugate gradients to a
 * relative residual of 1e-12, where the reference solves the same sparse
 * system directly).  Kept pixels are copied.  When no pixel is kept the
 * system has no solution (the reference's is NaN: pytorch-grad-cam
 * warns and scores a NaN image); then every pixel becomes @mean's colour,
 * the image the model sees as 0, and it returns FALSE. */
gboolean ct_road_impute     (const float  *image,
                             const float  *mean,
                             guint         channels,
                             guint         width,
                             guint         height,
                             const guint8 *keep,
                             float        *out);

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
  double  road_morf;          /* probability change, most relevant first: lower is more faithful */
  double  road_morf_ci95;
  double  road_lerf;          /* least relevant first: higher is more faithful */
  double  road_lerf_ci95;
  double  road_combined;      /* (lerf − morf) / 2, ROADCombined: higher is more faithful */
  double  road_combined_ci95;
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
  double       road_noise;      /* ROAD's imputation noise, σ in normalised units */
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
