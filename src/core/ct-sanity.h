/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The randomisation sanity check (Adebayo et al. 2018, "Sanity Checks for
 * Saliency Maps"): how much of a heatmap is the learnt model rather than
 * the input.  A trained checkpoint's maps are compared, image by image,
 * with the maps of the untrained network (the run's epoch 0) and with the
 * maps of the trained network whose layers are re-randomised cumulatively
 * from the output down ("cascading randomisation"): each step takes one
 * more group of layers from epoch 0, which is the run's own random
 * initialisation.  Maps that stay alike under randomisation explain the
 * input, not the model.  The engine computes the maps; the layer groups,
 * the result and its files are here. */

/* The layer groups of a checkpoint's tensor @names (in the model's order,
 * input to output): a name's first component, with the next one when that
 * is a block number ("stages.1", "blocks.3", "layer2.0", "conv1", "fc").
 * Returns: (transfer full) (element-type utf8): the groups in the order of
 * their first tensor. */
GPtrArray *ct_sanity_layer_groups (const char *const *names,
                                   guint              n_names);

/* Whether tensor @name belongs to @group. */
gboolean   ct_sanity_in_group     (const char        *name,
                                   const char        *group);

/* One comparison's agreement over the images, each a mean with the
 * half-width of its 95% Student-t interval over the images where it is
 * defined (Spearman's ρ is not for a constant map). */
typedef struct {
  int     epoch;          /* the trained checkpoint */
  char   *against;        /* "epoch 0", or the top group randomised down to */
  guint   n_randomised;   /* groups taken from epoch 0, from the output down; 0 for "epoch 0" */
  guint   n_images;
  double  spearman;
  double  spearman_ci95;
  double  ssim;
  double  ssim_ci95;
  double  top_iou;        /* top 20% */
  double  top_iou_ci95;
} CtSanityRow;

typedef struct {
  char    *run_name;
  char    *arch;
  char    *dataset;
  char    *layer;
  char    *method;
  guint64  seed;
  guint    n_images;
  guint   *image_indices;   /* n_images */
  GArray  *rows;            /* CtSanityRow */
} CtSanity;

/* Returns: (transfer full): empty, the strings NULL. */
CtSanity *ct_sanity_new        (void);
void      ct_sanity_free       (CtSanity        *self);

/* Columns: epoch, against, randomised_groups, images, then each score and
 * its ci95 (docs/FAITHFULNESS.md); atomically. */
gboolean  ct_sanity_write_csv  (const CtSanity  *self,
                                const char      *path,
                                GError         **error);
/* The request and the rows, atomically. */
gboolean  ct_sanity_write_json (const CtSanity  *self,
                                const char      *path,
                                GError         **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CtSanity, ct_sanity_free)

G_END_DECLS
