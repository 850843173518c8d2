/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "ct-dataset.h"
#include "ct-run.h"

G_BEGIN_DECLS

/* Training a run: epoch 0 (the initial weights) and every epoch after it
 * become a checkpoint, written atomically, with a metrics line each.  A
 * killed training resumes from its last checkpoint with --resume. */

typedef enum {
  CT_PRECISION_AUTO,            /* bf16-mixed where the CPU computes bfloat16 natively and it
                                 * speeds the architecture up (not efficientnet_b0), else fp32 */
  CT_PRECISION_FP32,
  CT_PRECISION_BF16_MIXED,      /* bfloat16 autocast for forward and loss, float32 weights */
} CtPrecision;

typedef struct {
  const char *data;             /* dataset directory or alias ("fashion-mnist") */
  const char *arch;
  const char *out_dir;
  CtHyperParams hyper;          /* the recipe; ct_train_options_init() fills it for the arch */
  int         threads;          /* 0 = number of cores */
  int         input_size;       /* 0 = the dataset's image size */
  guint       image_size;       /* image folders: side the images are cached at; 0 = their own
                                 * when all are one square size, else 224 */
  gboolean    skip_bad;         /* image folders: skip unreadable images, listed in the manifest */
  int         width;            /* camtrail_net width, 0 = default */
  guint       train_limit;      /* train on the first N images only (0 = all) */
  gboolean    resume;
  const char *device;           /* "cpu" (default) or "cuda" */
  CtPrecision precision;        /* a resumed run keeps its manifest's */
  const char *init;             /* weights to start from (timm or torchvision, either format), or NULL */
  struct CtDist *dist;          /* nullable: the torchrun group to train data-parallel with
                                 * (ct_dist_new_from_env); rank 0 alone writes the run */
  gboolean    sync_bn;          /* with @dist: BatchNorm statistics over the whole group's
                                 * batch (SyncBatchNorm); a resumed run keeps its manifest's */
  gsize       bucket_cap_bytes; /* with @dist: the most bytes of gradients reduced in one
                                 * allreduce (DDP's bucket_cap_mb); 0 = DDP's 25 MiB */
  const char *rank_weights_dir; /* nullable: every rank also writes its weights after each
                                 * epoch there, as rank-R-epoch-EEE.safetensors, so that a
                                 * check can compare the ranks */
} CtTrainOptions;

/* A batch's progress, from the torch shim (ct-torch.h), which this header
 * leaves out so that the window's build never sees the shim. */
typedef struct CtTrainProgress CtTrainProgress;

typedef enum {
  CT_TRAIN_STAGE_LOADING,       /* reading the dataset; an image folder's images counted in
                                 * @images_done of @images_total while they are cached */
  CT_TRAIN_STAGE_INITIALISED,   /* --init's weights loaded: @message says what was loaded */
  CT_TRAIN_STAGE_TRAINING,      /* batch progress in @batch */
  CT_TRAIN_STAGE_EVALUATING,    /* measuring test accuracy */
  CT_TRAIN_STAGE_SAVED,         /* a checkpoint and its metrics in @metrics */
} CtTrainStage;

typedef struct {
  CtTrainStage           stage;
  int                    epoch;
  int                    epochs;
  const CtTrainProgress *batch;     /* TRAINING only */
  const CtEpochMetrics  *metrics;   /* SAVED only */
  const char            *message;   /* human-readable line */
  guint                  images_done;   /* LOADING only; 0 of 0 when not counted */
  guint                  images_total;
} CtTrainReport;

typedef void (*CtTrainReportFunc) (const CtTrainReport *report,
                                   gpointer             user_data);

/* Fills @options with the defaults for @arch (tuned for two CPU cores). */
/* The architectures the torch shim builds, for the window's drop-downs
 * (which never see the shim).  Returns: (transfer none): NULL-terminated. */
const char *const *ct_train_list_archs (void);

void     ct_train_options_init (CtTrainOptions        *options,
                                const char            *arch);

/* The offline demo run, the same for the window's first launch and
 * `camtrail-cli train --demo`: a narrow camtrail_net, 3 epochs on 30 000
 * Fashion-MNIST images (Debian's dataset-fashion-mnist), into @out_dir. */
void     ct_train_options_init_demo (CtTrainOptions   *options,
                                     const char       *out_dir);

/* Parses "auto", "fp32" or "bf16-mixed". */
gboolean ct_precision_parse     (const char            *text,
                                 CtPrecision           *out);

/* Runs the whole training.  @report (nullable) is called on this thread.
 * Cancelling stops between batches; the run then ends at its last complete
 * checkpoint and can be resumed. */
gboolean ct_train_run          (const CtTrainOptions  *options,
                                CtTrainReportFunc      report,
                                gpointer               user_data,
                                GCancellable          *cancellable,
                                GError               **error);

/* A new run's manifest: @options' architecture and hyper-parameters,
 * @dataset's classes and statistics, @model's layers.
 * Returns: (transfer full) (nullable). */
typedef struct CtModel CtModel;
CtManifest *ct_train_new_manifest (const CtTrainOptions *options,
                                   const CtDataset      *dataset,
                                   CtModel              *model,
                                   guint                 train_images,
                                   int                   input_size,
                                   GError              **error);

/* The "__metadata__" of a run's checkpoint: what it is a checkpoint of
 * (arch, dataset, classes, channels, input size) and its accuracies.
 * Returns: (transfer full) (element-type utf8 utf8). */
GHashTable *ct_train_checkpoint_metadata (const CtManifest     *manifest,
                                          const CtEpochMetrics *metrics);

/* Re-measures test loss and accuracy of every checkpoint of @run_dir (on
 * its dataset, or @data when not NULL), in epoch order, reporting each.
 * Returns: (transfer full) (element-type CtEpochMetrics). */
GArray  *ct_train_reevaluate   (const char            *run_dir,
                                const char            *data,
                                CtTrainReportFunc      report,
                                gpointer               user_data,
                                GCancellable          *cancellable,
                                GError               **error);

G_END_DECLS
