/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "ct-cam.h"

G_BEGIN_DECLS

/* The result of one CAM request: rows are checkpoints (epochs), columns are
 * images × rounds.  The engine fills it, the figure renderer draws it, and the
 * exporters below write it.  Everything is owned by the grid. */

typedef struct {
  int    predicted;          /* argmax of the perturbed image's probabilities */
  float  probability;        /* p(predicted | perturbed) */
  int    target;             /* the class the heatmap explains */
  int    clean_predicted;    /* c: argmax on the clean image at this checkpoint */
  float  clean_probability;  /* p(c | clean) */
  float  confidence_drop;    /* p(c | clean) − p(c | perturbed) */
  float  max_prob_drop;      /* max p clean − max p perturbed */
  float *probabilities;      /* n_classes softmax of the perturbed image */
  float *heatmap;            /* height × width in the grid's scale */
} CtGridCell;

typedef struct {
  char       *run_name;
  char       *arch;
  char       *dataset;
  char       *layer;          /* the target layer the maps come from */
  char       *method;         /* ct_cam_method_to_string(): "gradcam", "hirescam", …; a
                               * comparison's methods joined by commas, "gradcam,layercam" */
  char       *target_rule;    /* "predicted", "label", or "class N" */
  char       *perturbation;   /* ct_perturb_describe() */
  guint64     seed;
  CtCamScale  scale;

  guint       n_rows;         /* checkpoints */
  guint       n_images;
  guint       n_rounds;       /* 1 when unperturbed */
  guint       channels;
  guint       height;
  guint       width;
  guint       n_classes;
  char      **classes;        /* NULL-terminated */

  int        *epochs;         /* n_rows */
  guint      *image_indices;  /* n_images, indices into the test split */
  int        *labels;         /* n_images, true classes */
  char      **column_methods; /* (nullable) n_images + NULL: a comparison of methods
                               * (ct_grid_join_methods()), each column's method name */
  float      *images;         /* n_images × n_rounds × C×H×W perturbed, in [0, 1] */
  CtGridCell *cells;          /* n_rows × n_images × n_rounds, row-major */
} CtGrid;

/* Returns: (transfer full): a grid with every array allocated and zeroed and
 * the string fields NULL, @classes included (set it with g_strdupv()). */
CtGrid     *ct_grid_new        (guint n_rows,
                                guint n_images,
                                guint n_rounds,
                                guint channels,
                                guint height,
                                guint width,
                                guint n_classes);
void        ct_grid_free       (CtGrid *self);

/* Returns: (transfer none). */
CtGridCell *ct_grid_get_cell   (CtGrid *self,
                                guint   row,
                                guint   image,
                                guint   round);
/* Returns: (transfer none): the perturbed image shown in (image, round). */
float      *ct_grid_get_image  (CtGrid *self,
                                guint   image,
                                guint   round);

/* Joins the rows of @parts, in order, into one grid: the window receives a
 * request's checkpoint rows one at a time and exports them as one figure.
 * Every part must come from the same request (same images, rounds, sizes
 * and classes); the images and metadata are taken from @parts[0].
 * Returns: (transfer full). */
CtGrid     *ct_grid_concat     (const CtGrid *const *parts,
                                guint                n_parts);

/* Returns: (transfer full): row @row of @self alone, with its images and
 * metadata. */
CtGrid     *ct_grid_dup_row    (const CtGrid        *self,
                                guint                row);

/* Returns: (transfer full): the one cell (@row, @image, @round) as a
 * 1 × 1 × 1 grid, with its image and metadata. */
CtGrid     *ct_grid_dup_cell   (const CtGrid        *self,
                                guint                row,
                                guint                image,
                                guint                round);

/* A comparison of methods: the grids of one request computed with each
 * method of @names (@parts[m] with @names[m]) side by side, column
 * image × @n_parts + m holding image `image` of @parts[m].  Every part must
 * have the same rows, images and sizes; metadata come from @parts[0], the
 * method is the names joined by commas.
 * Returns: (transfer full). */
CtGrid     *ct_grid_join_methods (const CtGrid *const *parts,
                                  const char   *const *names,
                                  guint                n_parts);

/* Heatmaps as float32 [epochs, images, rounds, H, W] in NumPy's .npy. */
gboolean    ct_grid_write_npy  (CtGrid      *self,
                                const char  *path,
                                GError     **error);
/* Per-cell predictions, probabilities, labels and confidence drops, plus the
 * request (run, layer, perturbation, seed) and per-row mean confidence drop
 * with its 95% interval, as JSON, atomically. */
gboolean    ct_grid_write_json (CtGrid      *self,
                                const char  *path,
                                GError     **error);

/* Per-row (checkpoint) mean of confidence_drop over images and rounds, and
 * the 95% half-width; likewise for max_prob_drop. */
void        ct_grid_row_summary (CtGrid *self,
                                 guint   row,
                                 double *out_drop_mean,
                                 double *out_drop_ci95,
                                 double *out_max_drop_mean,
                                 double *out_max_drop_ci95);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CtGrid, ct_grid_free)

G_END_DECLS
