/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "ct-grid.h"
#include "ct-perturb.h"

G_BEGIN_DECLS

/* How a run's robustness evolves over its checkpoints: for every (epoch,
 * perturbation), over the same test images × rounds, the accuracy and its
 * drop from clean, the confidence drops, the stability of the Grad-CAM
 * heatmap against the clean one, and for CIFAR-10-C corruptions the
 * corruption error against a baseline checkpoint.  The engine
 * (ct-robustness-job.h) fills a CtRobustnessBuilder from CAM grids; the CLI
 * and the window write and draw the CtRobustness it gives. */

/* The share of each heatmap that ct_stats_top_iou() compares. */
#define CT_ROBUSTNESS_TOP_FRACTION 0.2

typedef struct {
  double mean;
  double ci95;        /* half-width of the Student-t 95% interval; 0 when n < 2 */
  guint  n;           /* samples with a defined value */
} CtRobustnessStat;

typedef struct {
  int              epoch;
  guint            perturbation;     /* index into CtRobustness.perturbations */
  guint            n_samples;        /* images × rounds */
  double           clean_accuracy;   /* over the images, unperturbed */
  double           accuracy;         /* over images × rounds, perturbed */
  double           accuracy_drop;    /* clean_accuracy − accuracy */
  CtRobustnessStat confidence_drop;  /* p(c | clean) − p(c | perturbed) */
  CtRobustnessStat max_prob_drop;    /* max p clean − max p perturbed */
  /* Clean heatmap against the perturbed one, rotated back for rotations
   * (ct_stats_rotate_back), over the pixels both cover.  A constant map
   * has no correlation: such pairs count in top_iou only. */
  CtRobustnessStat pearson;
  CtRobustnessStat spearman;
  CtRobustnessStat top_iou;          /* top CT_ROBUSTNESS_TOP_FRACTION */
  /* The CE of the row's corruption over the severities evaluated, at this
   * epoch, against the baseline epoch; NaN for other perturbations or when
   * the baseline never errs. */
  double           ce;
  double           relative_ce;
} CtRobustnessRow;

/* One (image, round) of a row, as the row's statistics saw it. */
typedef struct {
  gboolean correct;                  /* the perturbed prediction is the label */
  double   confidence_drop;
  double   max_prob_drop;
  double   pearson;                  /* NaN where undefined */
  double   spearman;
  double   top_iou;
} CtRobustnessSample;

typedef struct {
  int    epoch;
  double clean_accuracy;
  double mce;                        /* mean CE over the corruptions evaluated; NaN without */
  double relative_mce;
} CtRobustnessEpoch;

typedef struct {
  char              *run_name;
  char              *arch;
  char              *dataset;
  char              *layer;
  char              *method;         /* ct_cam_method_to_string() */
  char              *target_rule;    /* "predicted" or "label" */
  guint64            seed;           /* images and every perturbation draw */
  guint              n_images;
  guint              n_rounds;
  guint             *image_indices;  /* n_images, test-split indices */

  int                baseline_epoch; /* the CE denominator */
  guint              n_perturbations;
  CtPerturb         *perturbations;
  char             **labels;         /* ct_robustness_dup_label() of each; NULL-terminated */

  guint              n_epochs;
  CtRobustnessEpoch *epochs;
  CtRobustnessRow   *rows;           /* n_epochs × n_perturbations, epoch-major */

  /* The samples behind the rows, for paired comparisons (the same image
   * and round between epochs or perturbations): n_row_samples per row, in
   * the order they were added (image-major, round-minor), and whether each
   * of n_clean images was right unperturbed, per epoch.  NULL (and 0) when
   * the rows were not all given the same number of samples and images. */
  guint               n_row_samples;
  CtRobustnessSample *samples;       /* n_epochs × n_perturbations × n_row_samples */
  guint               n_clean;
  gboolean           *clean_correct; /* n_epochs × n_clean */
} CtRobustness;

void             ct_robustness_free        (CtRobustness      *self);

/* Returns: (transfer none): the row of (@epoch_index, @perturbation). */
CtRobustnessRow *ct_robustness_get_row     (CtRobustness      *self,
                                            guint              epoch_index,
                                            guint              perturbation);

/* Parses a comma-separated list of perturbations, each one of
 *   noise:SIGMA  rotate:DEG  rotate-random:A  occlude:N
 *   c10c:all  c10c:NAME  c10c:NAME-SEVERITY
 * ("c10c:all" is the 11 corruptions × 5 severities, "c10c:NAME" its 5
 * severities), with ct_perturb_init()'s defaults otherwise (seed 0).
 * Returns: (transfer full) (element-type CtPerturb) (nullable): NULL with
 * G_IO_ERROR_INVALID_ARGUMENT naming the bad item. */
GArray          *ct_robustness_parse_perturbations (const char       *text,
                                                    GError          **error);

/* Returns: (transfer full): the spelling ct_robustness_parse_perturbations()
 * reads back, e.g. "noise:0.1", "rotate-random:30", "c10c:pixelate-2";
 * several perturbations in one are joined by '+'. */
char            *ct_robustness_dup_label   (const CtPerturb   *perturb);

/* One row per (epoch, perturbation), as CSV with a header:
 *   epoch, perturbation, corruption, severity, samples, clean_accuracy,
 *   accuracy, accuracy_drop, confidence_drop, confidence_drop_ci95,
 *   max_prob_drop, max_prob_drop_ci95, pearson, pearson_ci95, spearman,
 *   spearman_ci95, top20_iou, top20_iou_ci95, heatmap_pairs, ce,
 *   relative_ce
 * heatmap_pairs counts the pairs with a defined correlation; an undefined
 * number is an empty field.  Atomic. */
gboolean         ct_robustness_write_csv   (const CtRobustness *self,
                                            const char         *path,
                                            GError            **error);
/* The same rows with their sample counts, the per-epoch mCE, the images
 * and the request, as JSON; an undefined number is null.  Atomic. */
gboolean         ct_robustness_write_json  (const CtRobustness *self,
                                            const char         *path,
                                            GError            **error);

/* Collects the per-image samples while the grids come in. */
typedef struct _CtRobustnessBuilder CtRobustnessBuilder;

/* @baseline_epoch must be one of @epochs.  The perturbations are copied
 * with their seeds, which must be the ones the grids were computed with:
 * a random rotation's angle is drawn again to rotate the heatmap back. */
CtRobustnessBuilder *ct_robustness_builder_new    (const int           *epochs,
                                                   guint                n_epochs,
                                                   int                  baseline_epoch,
                                                   const CtPerturb     *perturbations,
                                                   guint                n_perturbations);
void                 ct_robustness_builder_free   (CtRobustnessBuilder *self);

/* Adds a batch of images at epoch @epochs[@epoch_index] under
 * @perturbation: @clean is the one-row unperturbed grid of those images,
 * @perturbed the one-row grid of the same images under the perturbation,
 * both with the same layer, size and scale. */
void                 ct_robustness_builder_add    (CtRobustnessBuilder *self,
                                                   guint                epoch_index,
                                                   guint                perturbation,
                                                   CtGrid              *clean,
                                                   CtGrid              *perturbed);

/* Adds samples computed before (a study's saved part): @n_images clean
 * verdicts and @n_samples samples, as ct_robustness_builder_add() would
 * have collected them from the grids. */
void                 ct_robustness_builder_add_samples (CtRobustnessBuilder      *self,
                                                        guint                     epoch_index,
                                                        guint                     perturbation,
                                                        const gboolean           *clean_correct,
                                                        guint                     n_images,
                                                        const CtRobustnessSample *samples,
                                                        guint                     n_samples);

/* Returns: (transfer none): the samples of (@epoch_index, @perturbation),
 * n_row_samples of them, or NULL when the result keeps none. */
const CtRobustnessSample *ct_robustness_get_samples (const CtRobustness *self,
                                                     guint               epoch_index,
                                                     guint               perturbation);

/* Means, intervals and corruption errors of everything added.  The
 * metadata fields (run_name … image_indices) are left for the caller.
 * Returns: (transfer full). */
CtRobustness        *ct_robustness_builder_finish (CtRobustnessBuilder *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CtRobustness, ct_robustness_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CtRobustnessBuilder, ct_robustness_builder_free)

G_END_DECLS
