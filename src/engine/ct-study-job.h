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
 * calling thread after each step.
 * Returns: (transfer full) (nullable). */
CtStudyResult *ct_study_run     (CtCamSession         *session,
                                 const CtStudyRequest *request,
                                 CtStudyProgressFunc   progress,
                                 gpointer              user_data,
                                 GCancellable         *cancellable,
                                 GError              **error);

G_END_DECLS
