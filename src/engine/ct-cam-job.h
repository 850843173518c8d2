/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "ct-cam-method.h"
#include "ct-dataset.h"
#include "ct-grid.h"
#include "ct-perturb.h"
#include "ct-run.h"
#include "ct-spec.h"

G_BEGIN_DECLS

/* CAM grids over the checkpoints of one run, for any method of
 * ct-cam-method.h.  A session keeps the run's dataset and one model per
 * checkpoint in memory, so a new request (a slider move) costs one batched
 * forward, and one backward to the target layer for the methods that need
 * gradients, per checkpoint and nothing else: the clean images' logits, needed for the
 * confidence drop, are cached per (checkpoint, image). */

/* Forward passes done of @total for the row of @epoch, for a method that
 * scores channels (Score-CAM), called on the computing thread. */
typedef void (*CtCamProgressFunc) (int      epoch,
                                   gsize    done,
                                   gsize    total,
                                   gpointer user_data);

typedef struct {
  const int   *epochs;        /* rows, each with a checkpoint */
  guint        n_epochs;
  const guint *images;        /* test-split indices */
  guint        n_images;
  CtPerturb    perturb;
  guint        rounds;        /* perturbation draws per image (1 when unperturbed) */
  const char  *layer;         /* nullable: the run's default layer */
  CtTargetRule target_rule;
  int          target_class;  /* CT_TARGET_RULE_CLASS only */
  CtCamScale   scale;
  CtCamMethod  method;        /* CT_CAM_METHOD_GRADCAM (0) unless set */
  const CtCamMethod *methods; /* (nullable) a comparison: each row computed with each of
                               * these, side by side (ct_grid_join_methods()); @method
                               * is then ignored */
  guint        n_methods;
  CtCamProgressFunc progress; /* nullable */
  gpointer     progress_data;
} CtCamRequest;

typedef struct _CtCamSession CtCamSession;

/* Opens @run_dir and its dataset (@data, or the path in the manifest when
 * NULL).  @device: "cpu" or "cuda" (nullable).
 * Returns: (transfer full) (nullable). */
CtCamSession     *ct_cam_session_new            (const char          *run_dir,
                                                 const char          *data,
                                                 const char          *device,
                                                 GError             **error);
/* The same, telling @caching (nullable) as an image folder's images are
 * read into its cache (the first open of a folder, or one that changed). */
CtCamSession     *ct_cam_session_new_full       (const char           *run_dir,
                                                 const char           *data,
                                                 const char           *device,
                                                 CtDatasetProgressFunc caching,
                                                 gpointer              user_data,
                                                 GError              **error);
void              ct_cam_session_free           (CtCamSession        *self);

/* Returns: (transfer none). */
const char       *ct_cam_session_get_run_dir    (CtCamSession        *self);
const CtManifest *ct_cam_session_get_manifest   (CtCamSession        *self);
const CtDataset  *ct_cam_session_get_dataset    (CtCamSession        *self);
/* Returns: (transfer none) (element-type int): epochs with a checkpoint. */
GArray           *ct_cam_session_get_epochs     (CtCamSession        *self);

/* Whether @epoch had a checkpoint when the run was opened or last rescanned. */
gboolean          ct_cam_session_has_checkpoint (CtCamSession        *self,
                                                 int                  epoch);
/* Re-reads the run's list of checkpoints (training may have saved more);
 * loaded models stay cached. */
gboolean          ct_cam_session_rescan         (CtCamSession        *self,
                                                 GError             **error);

/* Loads the checkpoints of @epochs now rather than on first use. */
gboolean          ct_cam_session_preload        (CtCamSession        *self,
                                                 const int           *epochs,
                                                 guint                n_epochs,
                                                 GError             **error);

/* Computes the grid for @request.  Several threads may compute at once
 * when no two of their requests share an epoch (a model serves one thread
 * at a time); nothing else of the session may change meanwhile.
 * Returns: (transfer full) (nullable). */
CtGrid           *ct_cam_session_compute        (CtCamSession        *self,
                                                 const CtCamRequest  *request,
                                                 GCancellable        *cancellable,
                                                 GError             **error);

/* A request's images made ready once for all of its rows: checked,
 * perturbed and normalised, with the class each map explains.  It borrows
 * @request (and its arrays), which must outlive it; threads computing rows
 * may share it.  ct_cam_session_compute() is prepare + compute_rows.
 * Returns: (transfer full) (nullable). */
typedef struct _CtCamBatch CtCamBatch;

CtCamBatch       *ct_cam_session_prepare        (CtCamSession        *self,
                                                 const CtCamRequest  *request,
                                                 GError             **error);
void              ct_cam_batch_free             (CtCamBatch          *self);

/* Rows @first_row … @first_row + @n_rows − 1 of @batch's request, as a grid
 * of @n_rows rows (a shared scale spans these rows only); the threading
 * rule of ct_cam_session_compute() holds.
 * Returns: (transfer full) (nullable). */
CtGrid           *ct_cam_session_compute_rows   (CtCamSession        *self,
                                                 const CtCamBatch    *batch,
                                                 guint                first_row,
                                                 guint                n_rows,
                                                 GCancellable        *cancellable,
                                                 GError             **error);

/* Logits (@n × n_classes) of the checkpoint of @epoch for @n normalised
 * images (n × C × H × W), in eval mode; the threading rule of
 * ct_cam_session_compute() holds. */
gboolean          ct_cam_session_forward        (CtCamSession        *self,
                                                 int                  epoch,
                                                 const float         *normalised,
                                                 guint                n,
                                                 float               *out_logits,
                                                 GError             **error);

/* The study's way of finding mistakes: scans the test split in an order
 * shuffled by @seed (ct_rng_shuffle() of 0…n−1 drawn from the stream
 * (@seed, "misc"), tests/test-engine.c holds it to that) and returns the
 * first @count images that the checkpoint of @epoch misclassifies (fewer if
 * the split runs out).
 * Returns: (transfer full) (element-type guint). */
GArray           *ct_cam_session_find_misclassified (CtCamSession    *self,
                                                     int              epoch,
                                                     guint            count,
                                                     guint64          seed,
                                                     GError         **error);

/* A seeded sample of @count distinct test indices, in draw order.
 * Returns: (transfer full) (element-type guint). */
GArray           *ct_cam_session_sample_images  (CtCamSession        *self,
                                                 guint                count,
                                                 guint64              seed);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CtCamSession, ct_cam_session_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CtCamBatch, ct_cam_batch_free)

G_END_DECLS
