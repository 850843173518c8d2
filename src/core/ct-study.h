/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "ct-robustness.h"
#include "ct-run.h"

G_BEGIN_DECLS

/* The paper's study re-run with statistics (camtrail-cli study): its
 * protocol, its published numbers, its claims and the rule that turns
 * measurements into a verdict on each.  The engine (ct-study-job.h)
 * measures, src/figure (ct-study-report.h) writes the report. */

/* The paper's protocol. */
#define CT_STUDY_PERTURBATIONS  "noise:0.1,rotate-random:30,occlude:20,occlude:5,occlude:10"
#define CT_STUDY_ROUNDS         3
#define CT_STUDY_IMAGES         1000   /* images of the dataset-level tables */
#define CT_STUDY_GRID_IMAGES    8      /* seeded random images of the figures */
#define CT_STUDY_MISCLASSIFIED  6      /* mistakes shown per early checkpoint */
#define CT_STUDY_TABLE3_OCCLUDE 20     /* Table 3: pixels occluded */

/* The optional faithfulness section: camtrail-cli faithfulness's
 * defaults, so its numbers are that command's for the same images, seed,
 * checkpoints, method and layer. */
#define CT_STUDY_FAITHFULNESS_STEP       0.02
#define CT_STUDY_FAITHFULNESS_ROAD_NOISE 0.01

/* Table 1 of the paper for @epoch: train and test accuracy as fractions.
 * Returns: FALSE when the paper gives none for that epoch (it gives epochs
 * 1 and 20 in the issue that asked for this; the others were not at hand). */
gboolean    ct_study_paper_accuracy (int     epoch,
                                     double *out_train,
                                     double *out_test);
/* Table 3 of the paper: the confidence drop of one image under 20
 * occluded pixels at checkpoint @epoch (1, 2, 3 and 20).
 * Returns: FALSE when the paper gives none for that epoch. */
gboolean    ct_study_paper_table3   (int     epoch,
                                     double *out_drop);

typedef enum {
  CT_STUDY_VERDICT_SUPPORTED,
  CT_STUDY_VERDICT_NOT_SUPPORTED,
  CT_STUDY_VERDICT_INCONCLUSIVE,
} CtStudyVerdict;

/* Returns: (transfer none): "supported", "not supported", "inconclusive". */
const char *ct_study_verdict_to_string (CtStudyVerdict verdict);

/* One paired comparison a claim predicts to be positive: the mean of
 * (a − b) over paired samples with its 95% half-width. */
typedef struct {
  char  *what;         /* e.g. "epoch 20 − epoch 1: confidence drop, occlude:20" */
  double mean;
  double ci95;
  gsize  n;
} CtStudyComparison;

/* The rule: SUPPORTED when every comparison's 95% interval lies above 0,
 * NOT_SUPPORTED when any lies below 0, INCONCLUSIVE otherwise (an
 * interval holding 0, a comparison of fewer than two pairs, or none). */
CtStudyVerdict ct_study_verdict     (const CtStudyComparison *comparisons,
                                     guint                    n);

typedef enum {
  CT_STUDY_CLAIM_CONSISTENCY,      /* (a) explanations grow more consistent with accuracy */
  CT_STUDY_CLAIM_NOISE_HARDEST,    /* (b) Gaussian noise is the hardest perturbation */
  CT_STUDY_CLAIM_OCCLUSION_LAST,   /* (c) the most trained model loses most under occlusion */
  CT_STUDY_CLAIM_EARLY_MISTAKES,   /* (d) most mistakes are the 1–3-epoch models' */
  CT_STUDY_CLAIM_ROTATION,         /* (e) rotation robustness improves with accuracy */
  CT_STUDY_N_CLAIMS
} CtStudyClaim;

/* Returns: (transfer none): the claim as the paper states it, and how the
 * study tests it. */
const char *ct_study_claim_statement (CtStudyClaim claim);
const char *ct_study_claim_test      (CtStudyClaim claim);

/* The Grad-CAM agreement of neighbouring checkpoints: Pearson's r of the
 * clean heatmaps of each image at epochs[i] and epochs[i + 1]. */
typedef struct {
  guint   n_epochs;
  int    *epochs;
  guint   n_images;
  double *pearson;     /* (n_epochs − 1) × n_images, NaN where undefined */
} CtStudyNeighbours;

void        ct_study_neighbours_free (CtStudyNeighbours *self);

typedef struct {
  CtStudyClaim    claim;
  CtStudyVerdict  verdict;
  char           *note;         /* (nullable): why there is nothing to compare */
  GArray         *comparisons;  /* (element-type CtStudyComparison) */
} CtStudyAssessment;

void        ct_study_assessment_free (CtStudyAssessment *self);

/* Tests @claim on a robustness result that kept its samples (one epoch per
 * checkpoint studied, the paper's perturbations) and the neighbours'
 * agreement (nullable: claim (a) then uses the rounds alone).  Trained
 * checkpoints are those after epoch 0; "most accurate" is by clean
 * accuracy over the study's images.
 * Returns: (transfer full). */
CtStudyAssessment *ct_study_assess   (CtStudyClaim             claim,
                                      const CtRobustness      *robustness,
                                      const CtStudyNeighbours *neighbours);

/* The perturbation of @robustness that is Gaussian noise alone, a rotation
 * alone, or occlusion of @pixels alone; −1 when there is none. */
int         ct_study_find_noise      (const CtRobustness *robustness);
int         ct_study_find_rotation   (const CtRobustness *robustness);
int         ct_study_find_occlusion  (const CtRobustness *robustness,
                                      guint               pixels);

/* The first @count mistakes of one checkpoint (the paper's misclassified
 * scan) and the grid figure of them across the study's checkpoints. */
typedef struct {
  int    epoch;
  guint  n_images;
  guint *images;       /* test-split indices */
  int   *labels;
  int   *predicted;    /* at @epoch */
  char  *figure;       /* PNG file */
} CtStudyMistakes;

void        ct_study_mistakes_free   (CtStudyMistakes *self);

/* A figure of the report: a PNG file and what it shows. */
typedef struct {
  char *title;
  char *path;
} CtStudyFigure;

/* An optional section's measurement, kept as the CSV text its own writer
 * made (ct_faithfulness_write_csv, ct_sanity_write_csv): the report's
 * table is that text, so its numbers are those of camtrail-cli
 * faithfulness (and its --sanity) with the same settings. */
typedef struct {
  char *name;          /* the table's: "faithfulness-gradcam", "sanity" */
  char *method;        /* the CAM method measured */
  char *csv;           /* the CSV text, a header line and one line per row */
} CtStudyExtra;

void        ct_study_extra_free      (CtStudyExtra *self);

/* Everything a report shows, measured or read back from the parts. */
typedef struct {
  /* The settings, for the method section. */
  char              *run_dir;
  char              *run_name;
  char              *arch;
  char              *dataset;
  char              *dataset_path;
  int                input_size;
  char             **classes;          /* NULL-terminated */
  char              *layer;
  char              *method;
  guint64            seed;
  guint              n_images;         /* of the dataset-level tables */
  guint              n_rounds;
  guint              n_epochs;
  int               *epochs;
  char              *camtrail_version;
  char              *torch_version;
  char              *run_torch_version;
  char              *command;          /* (nullable): the command line that ran it */

  GArray            *metrics;          /* (element-type CtEpochMetrics) of the run */
  CtRobustness      *robustness;       /* one epoch each, the paper's perturbations, samples kept */
  CtRobustness      *c10c;             /* (nullable): CIFAR-10-C, every corruption */
  CtStudyNeighbours *neighbours;
  CtStudyAssessment *claims[CT_STUDY_N_CLAIMS];
  CtStudyFigure     *random_figure;    /* clean grid of the seeded random images */
  GPtrArray         *mistakes;         /* (element-type CtStudyMistakes) */
  GPtrArray         *figures;          /* (element-type CtStudyFigure): one per perturbation */
  GPtrArray         *faithfulness;     /* (element-type CtStudyExtra): one per method asked for */
  CtStudyExtra      *sanity;           /* (nullable): the randomisation sanity check */
} CtStudyResult;

CtStudyResult *ct_study_result_new  (void);
void        ct_study_result_free     (CtStudyResult *self);
void        ct_study_figure_free     (CtStudyFigure *self);

/* Paired differences of the confidence drop under @perturbation between
 * each checkpoint and the one before it (later − earlier), over the same
 * images and draws.
 * Returns: (transfer full) (element-type CtStudyComparison). */
GArray     *ct_study_dup_epoch_differences (const CtRobustness *robustness,
                                            guint               perturbation);

/* A table of the report: the same strings go into its CSV file, the HTML
 * and the PDF, so the three never disagree. */
typedef struct {
  char      *name;      /* file stem: "accuracy" → accuracy.csv */
  char      *title;
  char      *caption;   /* (nullable) */
  char     **columns;   /* NULL-terminated */
  GPtrArray *rows;      /* (element-type GStrv), each as long as @columns */
} CtStudyTable;

void        ct_study_table_free      (CtStudyTable *self);

/* The report's tables, in the order the report shows them: accuracy,
 * perturbations, table3, table3-paired, neighbours, misclassified,
 * confusion-pairs, claims, and c10c, faithfulness-METHOD (one per method)
 * and sanity when measured.
 * Returns: (transfer full) (element-type CtStudyTable). */
GPtrArray  *ct_study_dup_tables      (const CtStudyResult *result);

/* Writes @table as NAME.csv in @dir (RFC 4180 quoting), atomically. */
gboolean    ct_study_table_write_csv (const CtStudyTable *table,
                                      const char         *dir,
                                      GError            **error);

/* The mistakes part of one checkpoint. */
gboolean         ct_study_write_mistakes (const CtStudyMistakes *mistakes,
                                          const char            *key,
                                          const char            *path,
                                          GError               **error);
/* Returns: (transfer full) (nullable). */
CtStudyMistakes *ct_study_read_mistakes  (const char            *path,
                                          const char            *key,
                                          GError               **error);

/* A study's parts on disk: each written atomically once measured, and
 * read back by a resumed study.  A part made for other settings (images,
 * rounds, seed, perturbations, method, layer) is refused with
 * G_IO_ERROR_INVALID_DATA and measured again. */

/* Writes the samples of epoch @epoch_index of @robustness (which must keep
 * them) with the settings in @key (free text that names them). */
gboolean    ct_study_write_samples   (const CtRobustness *robustness,
                                      guint               epoch_index,
                                      const char         *key,
                                      const char         *path,
                                      GError            **error);
/* Adds the samples saved at @path to @builder as epoch @epoch_index. */
gboolean    ct_study_read_samples    (const char          *path,
                                      const char          *key,
                                      CtRobustnessBuilder *builder,
                                      guint                epoch_index,
                                      guint                n_perturbations,
                                      GError             **error);

/* A part with nothing but its key: a figure written beside it is done. */
gboolean    ct_study_write_marker    (const char  *key,
                                      const char  *path,
                                      GError     **error);
gboolean    ct_study_read_marker     (const char  *path,
                                      const char  *key,
                                      GError     **error);

gboolean    ct_study_write_neighbours (const CtStudyNeighbours *neighbours,
                                       const char              *key,
                                       const char              *path,
                                       GError                 **error);
/* Returns: (transfer full) (nullable). */
CtStudyNeighbours *ct_study_read_neighbours (const char  *path,
                                             const char  *key,
                                             GError     **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CtStudyNeighbours, ct_study_neighbours_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CtStudyMistakes, ct_study_mistakes_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CtStudyResult, ct_study_result_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CtStudyTable, ct_study_table_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CtStudyAssessment, ct_study_assessment_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CtStudyExtra, ct_study_extra_free)

G_END_DECLS
