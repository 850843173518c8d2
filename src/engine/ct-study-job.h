/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "ct-cam-job.h"
#include "ct-faithfulness-job.h"
#include "ct-sanity-job.h"
#include "ct-study.h"

G_BEGIN_DECLS

/* The paper's study on a run (ct-study.h), measured part by part into
 * @out_dir/parts: the grid figures, the misclassified scans, one part of
 * robustness samples per checkpoint (and per checkpoint for CIFAR-10-C),
 * the neighbouring checkpoints' agreement, and the optional sections'
 * (faithfulness per method, the sanity check) as the CSVs of their own
 * writers.  Each part is written
 * atomically when done; a study started again with the same settings reads
 * the parts it finds and measures the rest, and gives the same result as
 * one never stopped (the result is always assembled from the parts). */

typedef struct {
  const int   *epochs;        /* ascending, each with a checkpoint */
  guint        n_epochs;
  guint        n_images;      /* of the dataset-level tables */
  guint64      seed;
  CtCamMethod  method;
  const char  *layer;         /* nullable: the run's default layer */
  gboolean     c10c;          /* also the CIFAR-10-C summary */
  /* Also the faithfulness of these methods' heatmaps (none: no section),
   * as camtrail-cli faithfulness measures them by default. */
  const CtCamMethod *faithfulness_methods;
  guint        n_faithfulness_methods;
  gboolean     sanity;        /* also the randomisation sanity check */
  guint        batch_size;    /* images per CAM call; 0: 64 */
  const char  *out_dir;
  struct CtDist *dist;        /* nullable: the torchrun group (ct-torch.h) to share
                               * the measurements out over */
} CtStudyRequest;

typedef struct {
  guint       step;           /* of n_steps, parts found on disk included */
  guint       n_steps;
  guint       resumed_steps;  /* steps found done when the study started */
  const char *part;           /* what is being measured */
  double      seconds;        /* since this run of the study started */
} CtStudyProgress;

typedef void (*CtStudyProgressFunc) (const CtStudyProgress *progress,
                                     gpointer               user_data);

/* The settings that make a part valid, as text: a part made with another
 * key is measured again.  Returns: (transfer full). */
char          *ct_study_dup_key (CtCamSession         *session,
                                 const CtStudyRequest *request);

/* The camtrail-cli study command line that runs @request on @run (with
 * the dataset @data, nullable: the run's own) into @out, for the report's
 * method section.  Returns: (transfer full). */
char          *ct_study_dup_command (const char           *run,
                                     const char           *data,
                                     const char           *out,
                                     const CtStudyRequest *request);

/* Runs (or resumes) the study; @progress (nullable) is called on the
 * calling thread after each step.  With @request->dist, every part
 * measured over images (robustness, CIFAR-10-C, the neighbouring
 * checkpoints, faithfulness, the sanity check) runs batch b on rank
 * b mod W, exactly as one process runs it, and is gathered on every rank;
 * rank 0 alone reads and writes @request->out_dir: it tells the others
 * which of those parts it holds already, so they skip the same ones, and
 * draws the figures and the misclassified scans by itself once the shared
 * parts are done, so that no rank waits for them.  On the other ranks
 * nothing is written and the result is empty (ct_study_result_new()).
 * Returns: (transfer full) (nullable). */
CtStudyResult *ct_study_run     (CtCamSession         *session,
                                 const CtStudyRequest *request,
                                 CtStudyProgressFunc   progress,
                                 gpointer              user_data,
                                 GCancellable         *cancellable,
                                 GError              **error);

G_END_DECLS
