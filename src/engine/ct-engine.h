/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "ct-cam-job.h"
#include "ct-faithfulness-job.h"
#include "ct-grid.h"
#include "ct-import.h"
#include "ct-robustness-job.h"
#include "ct-sanity-job.h"
#include "ct-run.h"
#include "ct-study-job.h"
#include "ct-train.h"

G_BEGIN_DECLS

/* The engine runs everything that touches torch off the caller's thread, so
 * a window's main loop never waits on it.
 *
 * - One CAM worker thread owns the open run (a CtCamSession) and serves a
 *   queue of jobs: opening a run, Grad-CAM grids, the misclassified scan.
 *   A new grid request supersedes the older ones: queued ones are dropped
 *   and the running one is cancelled between checkpoints.
 * - One background job at a time (a training, a robustness study, an
 *   import or the paper's study, ct_engine_run_study()) runs on a thread of
 *   its own (a study opens its own CtCamSession, so the grid stays live)
 *   and pauses between steps while a grid is being computed, so the
 *   visible grid wins the two cores.
 *
 * Every callback runs in the thread-default main context of the thread that
 * created the engine (the UI thread), never after ct_engine_shutdown() or
 * the engine's finalisation. */

#define CT_TYPE_ENGINE (ct_engine_get_type ())

G_DECLARE_FINAL_TYPE (CtEngine, ct_engine, CT, ENGINE, GObject)

/* What the window needs to know about an opened run. */
typedef struct {
  char       *run_dir;
  CtManifest *manifest;
  GArray     *epochs;        /* (element-type int) epochs with a checkpoint, ascending */
  GArray     *metrics;       /* (element-type CtEpochMetrics) metrics.jsonl */
  guint       n_test;        /* images in the test split */
  guint16    *test_labels;   /* n_test true classes */
} CtRunInfo;

void       ct_run_info_free (CtRunInfo *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CtRunInfo, ct_run_info_free)

/* Called with one or more finished checkpoint rows of the newest grid
 * request: @grid holds rows @first_row … @first_row + grid->n_rows − 1 of
 * the request (all rows at once when the scale is shared per column).
 * @grid is (transfer full). */
typedef void (*CtEngineRowsFunc) (CtEngine  *engine,
                                  guint64    generation,
                                  guint      first_row,
                                  CtGrid    *grid,
                                  gpointer   user_data);

/* Called once when the newest grid request is complete (@error NULL) or has
 * failed.  Superseded requests get no callbacks at all. */
typedef void (*CtEngineDoneFunc) (CtEngine     *engine,
                                  guint64       generation,
                                  const GError *error,
                                  gpointer      user_data);

/* A snapshot of a training job, delivered on the UI thread. */
typedef struct {
  CtTrainStage   stage;
  int            epoch;              /* the epoch being trained or just saved */
  int            epochs;             /* the last epoch of the run */
  double         epoch_fraction;     /* 0…1 within @epoch (TRAINING), of an image
                                      * folder's images cached (LOADING) */
  double         run_fraction;       /* 0…1 over the whole run */
  double         images_per_second;  /* 0 when unknown */
  double         eta_seconds;        /* < 0 when unknown */
  CtEpochMetrics metrics;            /* SAVED only */
  const char    *message;            /* (nullable) human-readable line */
} CtEngineTrainStatus;

typedef void (*CtEngineTrainFunc) (CtEngine                  *engine,
                                   const CtEngineTrainStatus *status,
                                   gpointer                   user_data);

/* @error NULL on success; G_IO_ERROR_CANCELLED after
 * ct_engine_cancel_training() (the run keeps its finished checkpoints). */
typedef void (*CtEngineTrainDoneFunc) (CtEngine     *engine,
                                       const GError *error,
                                       gpointer      user_data);

/* A snapshot of a robustness study, delivered on the UI thread. */
typedef struct {
  guint       step;              /* Grad-CAM calls done, 1 … n_steps */
  guint       n_steps;
  double      fraction;          /* step / n_steps */
  double      eta_seconds;       /* < 0 when unknown; pauses for grids do not count */
  int         epoch;             /* of the call just done */
  const char *perturbation;      /* its label, or "clean" */
  gboolean    paused;            /* waiting, after @step, for grids to finish */
} CtEngineRobustnessStatus;

typedef void (*CtEngineRobustnessFunc) (CtEngine                       *engine,
                                        const CtEngineRobustnessStatus *status,
                                        gpointer                        user_data);

/* @result: (transfer full) (nullable): the study, or NULL with @error;
 * G_IO_ERROR_CANCELLED after ct_engine_cancel_robustness(). */
typedef void (*CtEngineRobustnessDoneFunc) (CtEngine     *engine,
                                            CtRobustness *result,
                                            const GError *error,
                                            gpointer      user_data);

/* A snapshot of a study (ct-study-job.h), delivered on the UI thread. */
typedef struct {
  guint       step;              /* of n_steps, parts found on disk included */
  guint       n_steps;
  guint       resumed_steps;     /* steps found done when the study started */
  double      fraction;          /* step / n_steps */
  double      eta_seconds;       /* < 0 when unknown; from the steps measured in
                                  * this run, pauses for grids left out */
  const char *part;              /* what is being measured */
  gboolean    paused;            /* waiting, after @step, for grids to finish */
} CtEngineStudyStatus;

typedef void (*CtEngineStudyFunc) (CtEngine                  *engine,
                                   const CtEngineStudyStatus *status,
                                   gpointer                   user_data);

/* @report: (nullable) the report.html written, or NULL with @error;
 * G_IO_ERROR_CANCELLED after ct_engine_cancel_study() (the parts done so
 * far stay, and a study started again with the same request resumes). */
typedef void (*CtEngineStudyDoneFunc) (CtEngine     *engine,
                                       const char   *report,
                                       const GError *error,
                                       gpointer      user_data);
/* A snapshot of a faithfulness study, delivered on the UI thread. */
typedef struct {
  int       epoch;               /* the checkpoint under way */
  guint     done;                /* its images done of @n_images */
  guint     n_images;
  double    fraction;            /* of the whole study */
  gboolean  paused;              /* waiting for grids to finish */
} CtEngineFaithfulnessStatus;

typedef void (*CtEngineFaithfulnessFunc) (CtEngine                         *engine,
                                          const CtEngineFaithfulnessStatus *status,
                                          gpointer                          user_data);

/* @result: (transfer full) (nullable): the study, or NULL with @error;
 * G_IO_ERROR_CANCELLED after ct_engine_cancel_faithfulness(). */
typedef void (*CtEngineFaithfulnessDoneFunc) (CtEngine       *engine,
                                              CtFaithfulness *result,
                                              const GError   *error,
                                              gpointer        user_data);

/* A snapshot of a sanity check, delivered on the UI thread. */
typedef struct {
  guint     done;                /* images done of @n_images */
  guint     n_images;
  double    fraction;
  gboolean  paused;              /* waiting for grids to finish */
} CtEngineSanityStatus;

typedef void (*CtEngineSanityFunc) (CtEngine                   *engine,
                                    const CtEngineSanityStatus *status,
                                    gpointer                    user_data);

/* @result: (transfer full) (nullable): the check, or NULL with @error;
 * G_IO_ERROR_CANCELLED after ct_engine_cancel_sanity(). */
typedef void (*CtEngineSanityDoneFunc) (CtEngine     *engine,
                                        CtSanity     *result,
                                        const GError *error,
                                        gpointer      user_data);

/* Returns: (transfer full): an engine whose callbacks run in the calling
 * thread's thread-default main context. */
CtEngine  *ct_engine_new                  (void);

/* Cancels every job, drops the queue and joins the threads.  Idempotent;
 * finalisation calls it too.  No callback runs afterwards. */
void       ct_engine_shutdown             (CtEngine             *self);

/* Opens @run_dir on the worker (reads its manifest and dataset) and makes it
 * the run that grid requests refer to.  @data (nullable) overrides the
 * dataset path of the manifest. */
void       ct_engine_open_run             (CtEngine             *self,
                                           const char           *run_dir,
                                           const char           *data,
                                           GCancellable         *cancellable,
                                           GAsyncReadyCallback   callback,
                                           gpointer              user_data);
/* Returns: (transfer full) (nullable). */
CtRunInfo *ct_engine_open_run_finish      (CtEngine             *self,
                                           GAsyncResult         *result,
                                           GError              **error);

/* Reloads the checkpoint list and metrics of the open run (after training
 * saved an epoch).  Same result as ct_engine_open_run(). */
void       ct_engine_refresh_run          (CtEngine             *self,
                                           GCancellable         *cancellable,
                                           GAsyncReadyCallback   callback,
                                           gpointer              user_data);
CtRunInfo *ct_engine_refresh_run_finish   (CtEngine             *self,
                                           GAsyncResult         *result,
                                           GError              **error);

/* Queues a grid for the open run; @request is copied.  Supersedes every
 * earlier request.  Returns: the request's generation (increasing). */
guint64    ct_engine_request_grid         (CtEngine             *self,
                                           const CtCamRequest   *request,
                                           CtEngineRowsFunc      rows_func,
                                           CtEngineDoneFunc      done_func,
                                           gpointer              user_data);

/* Drops every queued grid request and cancels the running one. */
void       ct_engine_cancel_grids         (CtEngine             *self);

/* TRUE while a grid request is queued or running. */
gboolean   ct_engine_is_busy              (CtEngine             *self);

/* Computes one grid for the open run as a one-shot job (a cell's detail
 * view) that neither supersedes nor is superseded by grid requests. */
void       ct_engine_compute_grid         (CtEngine             *self,
                                           const CtCamRequest   *request,
                                           GCancellable         *cancellable,
                                           GAsyncReadyCallback   callback,
                                           gpointer              user_data);
/* Returns: (transfer full) (nullable). */
CtGrid    *ct_engine_compute_grid_finish  (CtEngine             *self,
                                           GAsyncResult         *result,
                                           GError              **error);

/* The first @count test images that the checkpoint of @epoch misclassifies,
 * scanning in an order shuffled by @seed (ct_cam_session_find_misclassified). */
void       ct_engine_find_misclassified   (CtEngine             *self,
                                           int                   epoch,
                                           guint                 count,
                                           guint64               seed,
                                           GCancellable         *cancellable,
                                           GAsyncReadyCallback   callback,
                                           gpointer              user_data);
/* Returns: (transfer full) (element-type guint) (nullable). */
GArray    *ct_engine_find_misclassified_finish (CtEngine        *self,
                                                GAsyncResult    *result,
                                                GError         **error);

/* Starts training with @options (copied).  Fails at once with
 * G_IO_ERROR_BUSY while another background job (a training or a
 * robustness study) runs. */
gboolean   ct_engine_train                (CtEngine             *self,
                                           const CtTrainOptions *options,
                                           CtEngineTrainFunc     status_func,
                                           CtEngineTrainDoneFunc done_func,
                                           gpointer              user_data,
                                           GError              **error);
void       ct_engine_cancel_training      (CtEngine             *self);
gboolean   ct_engine_is_training          (CtEngine             *self);

/* Starts a robustness study of @run_dir (ct_robustness_compute() over a
 * CtCamSession of its own, on the run's dataset and the CPU) with
 * @request (copied).  @progress_func is called at most ten times a second,
 * after the last step, and whenever the study pauses for a grid.  Fails at
 * once with G_IO_ERROR_BUSY while another background job runs. */
gboolean   ct_engine_compute_robustness   (CtEngine                   *self,
                                           const char                 *run_dir,
                                           const CtRobustnessRequest  *request,
                                           CtEngineRobustnessFunc      progress_func,
                                           CtEngineRobustnessDoneFunc  done_func,
                                           gpointer                    user_data,
                                           GError                    **error);
void       ct_engine_cancel_robustness    (CtEngine                   *self);
/* TRUE from ct_engine_compute_robustness() until its done_func. */
gboolean   ct_engine_is_computing_robustness (CtEngine *self);

/* A snapshot of an import (ct_import_run()), delivered on the UI thread. */
typedef struct {
  guint       done;           /* checkpoints finished */
  guint       total;
  int         epoch;          /* the one under way or just finished; < 0 for a message */
  double      fraction;       /* done / total */
  double      test_accuracy;  /* of the one just finished, else < 0 */
  const char *message;        /* (nullable) a line to show */
} CtEngineImportStatus;

typedef void (*CtEngineImportFunc)     (CtEngine                   *engine,
                                        const CtEngineImportStatus *status,
                                        gpointer                    user_data);
/* @error NULL on success; G_IO_ERROR_CANCELLED after ct_engine_cancel_import(). */
typedef void (*CtEngineImportDoneFunc) (CtEngine                   *engine,
                                        const GError               *error,
                                        gpointer                    user_data);

/* Imports checkpoints into a new run as `camtrail-cli import` does, on the
 * background thread, with @options (copied).  Fails at once with
 * G_IO_ERROR_BUSY while another background job runs. */
gboolean   ct_engine_import               (CtEngine                   *self,
                                           const CtImportOptions      *options,
                                           CtEngineImportFunc          progress_func,
                                           CtEngineImportDoneFunc      done_func,
                                           gpointer                    user_data,
                                           GError                    **error);
void       ct_engine_cancel_import        (CtEngine                   *self);
gboolean   ct_engine_is_importing         (CtEngine                   *self);

/* Runs (or resumes) the paper's study of @run_dir into request->out_dir
 * (ct_study_run() over a CtCamSession of its own, on the run's dataset and
 * the CPU) and writes its report (ct_study_report_write()); @request is
 * copied.  Pauses between steps while a grid is computed, telling
 * @progress_func so.  Fails at once with G_IO_ERROR_BUSY while another
 * background job runs. */
gboolean   ct_engine_run_study            (CtEngine                   *self,
                                           const char                 *run_dir,
                                           const CtStudyRequest       *request,
                                           CtEngineStudyFunc           progress_func,
                                           CtEngineStudyDoneFunc       done_func,
                                           gpointer                    user_data,
                                           GError                    **error);
void       ct_engine_cancel_study         (CtEngine                   *self);
/* TRUE from ct_engine_run_study() until its done_func. */
gboolean   ct_engine_is_studying          (CtEngine                   *self);

/* Starts a faithfulness study of @run_dir (ct_faithfulness_compute() over
 * a CtCamSession of its own) with @request (copied), as a robustness
 * study runs: on the background thread, pausing while grids are computed,
 * @progress_func at most ten times a second, after each epoch and at each
 * pause.  Fails at once with G_IO_ERROR_BUSY while another background
 * job runs. */
gboolean   ct_engine_compute_faithfulness (CtEngine                     *self,
                                           const char                   *run_dir,
                                           const CtFaithfulnessRequest  *request,
                                           CtEngineFaithfulnessFunc      progress_func,
                                           CtEngineFaithfulnessDoneFunc  done_func,
                                           gpointer                      user_data,
                                           GError                      **error);
void       ct_engine_cancel_faithfulness  (CtEngine                     *self);
/* TRUE from ct_engine_compute_faithfulness() until its done_func. */
gboolean   ct_engine_is_computing_faithfulness (CtEngine *self);

/* Starts the randomisation sanity check of @run_dir (ct_sanity_compute()
 * over a CtCamSession of its own, on the run's dataset and the CPU) with
 * @request (copied; its data, device and dist are not used), as a
 * faithfulness study runs: on the background thread, pausing while grids
 * are computed.  Fails at once with G_IO_ERROR_BUSY while another
 * background job runs. */
gboolean   ct_engine_compute_sanity       (CtEngine                     *self,
                                           const char                   *run_dir,
                                           const CtSanityRequest        *request,
                                           CtEngineSanityFunc            progress_func,
                                           CtEngineSanityDoneFunc        done_func,
                                           gpointer                      user_data,
                                           GError                      **error);
void       ct_engine_cancel_sanity        (CtEngine                     *self);
/* TRUE from ct_engine_compute_sanity() until its done_func. */
gboolean   ct_engine_is_computing_sanity  (CtEngine                     *self);

G_END_DECLS
