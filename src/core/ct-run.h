/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>
#include <math.h>

#include "ct-dataset.h"
#include "ct-hyperparams.h"

G_BEGIN_DECLS

/* A run is a directory (see DESIGN.md, "Checkpoints and runs"):
 *   manifest.json           what was trained, on what, how
 *   epoch-NNN.safetensors   weights after epoch NNN (000 = initial weights)
 *   metrics.jsonl           one line per epoch
 *   optimizer.safetensors   momentum buffers of the last epoch, for --resume
 * This file reads and writes the JSON parts; weights live in the engine. */

#define CT_RUN_ERROR (ct_run_error_quark ())

typedef enum {
  CT_RUN_ERROR_NOT_A_RUN,   /* no manifest.json */
  CT_RUN_ERROR_FORMAT,      /* a manifest or metrics line that does not parse */
  CT_RUN_ERROR_MISMATCH,    /* resuming with options that contradict the manifest */
} CtRunError;

typedef struct {
  char   *name;
  int     channels;
  int     height;
  int     width;
} CtRunLayer;

/* A weights file from elsewhere: its name (without folders), its SHA-256,
 * and for an imported checkpoint the epoch it became. */
typedef struct {
  int     epoch;
  char   *file;
  char   *sha256;
} CtRunSource;

/* One stretch of a run's training by one group of processes: a run resumed
 * on another number of processes, or with --sync-bn, starts another. */
typedef struct {
  int       first_epoch;        /* the first epoch it trained */
  int       world_size;
  char     *backend;            /* "gloo", or NULL for one process */
  gboolean  sync_bn;
} CtRunSegment;

typedef struct {
  /* What was trained. */
  char       *arch;
  int         width;            /* camtrail_net first-stage width */
  int         input_size;       /* side the network sees */
  /* On what. */
  char       *dataset;          /* "cifar-10", "fashion-mnist", … */
  char       *dataset_path;
  char      **classes;          /* NULL-terminated */
  int         n_classes;
  int         channels;
  int         image_size;
  float       mean[3];
  float       std[3];
  guint       train_images;     /* images used per epoch (a subset when limited) */
  gboolean    skip_bad;         /* image folders: unreadable images were skipped */
  char      **skipped_images;   /* nullable, NULL-terminated: "PATH: reason" of each */
  /* How. */
  CtHyperParams hyper;
  gboolean    mixed_precision;  /* "precision": "bf16-mixed" (TRUE) or "fp32" */
  /* Where: trained by how many processes ("distributed", written only when
   * more than one); hyper.batch_size is the global batch, / world_size
   * per process. */
  int         world_size;       /* 1 for one process */
  char       *dist_backend;     /* "gloo", or NULL for one process */
  gboolean    sync_bn;          /* BatchNorm statistics over the whole group's batch */
  /* Every segment from the first (the fields above) to the last, when a
   * resume started another ("segments", written only then); 0 and NULL
   * otherwise. */
  CtRunSegment *segments;
  guint       n_segments;
  /* CAM target layers and the default one. */
  CtRunLayer *layers;
  guint       n_layers;
  char       *default_layer;
  /* Provenance. */
  CtRunSource *imported;        /* "imported": the checkpoints `camtrail-cli import` converted */
  guint       n_imported;
  CtRunSource *init;            /* "training"."init": the weights train --init started from (nullable) */
  char       *camtrail_version;
  char       *torch_version;
  char       *created;          /* ISO 8601 */
} CtManifest;

typedef struct {
  int    epoch;
  double train_loss;            /* NaN for epoch 0 */
  double train_accuracy;        /* NaN for epoch 0 */
  double test_loss;
  double test_accuracy;
  double seconds;               /* training time of the epoch, without evaluation */
  double images_per_second;
  double test_loss_tta;         /* under the recipe's test-time augmentation (CtHyperParams.tta);
                                 * NaN where not measured: never mixed with test_loss */
  double test_accuracy_tta;
} CtEpochMetrics;

/* An epoch's metrics before anything is measured: every value NaN, no
 * training time. */
#define CT_EPOCH_METRICS_INIT(e) { (e), NAN, NAN, NAN, NAN, 0.0, NAN, NAN, NAN }

GQuark      ct_run_error_quark          (void);

void        ct_run_source_free          (CtRunSource      *source);

CtManifest *ct_manifest_new             (void);
void        ct_manifest_free            (CtManifest       *self);
/* Returns: (transfer full) (nullable). */
/* Records that training goes on from @first_epoch with @world_size
 * processes over @backend (NULL for one) and @sync_bn: a segment of its
 * own unless the last one that starts before @first_epoch trained the same
 * way (the segments from @first_epoch on, left by an interrupted resume,
 * are dropped); from epoch 1, the run's own fields change instead.
 * Returns whether the manifest changed. */
gboolean    ct_manifest_add_segment     (CtManifest       *self,
                                         int               first_epoch,
                                         int               world_size,
                                         const char       *backend,
                                         gboolean          sync_bn);
CtManifest *ct_manifest_load            (const char       *run_dir,
                                         GError          **error);
gboolean    ct_manifest_save            (const CtManifest *self,
                                         const char       *run_dir,
                                         GError          **error);

/* Returns: (transfer full) (element-type CtEpochMetrics): lines in file
 * order; an absent file is an empty array. */
GArray     *ct_metrics_load             (const char       *run_dir,
                                         GError          **error);
/* Rewrites metrics.jsonl atomically with @metrics (element-type
 * CtEpochMetrics). */
gboolean    ct_metrics_save             (const char       *run_dir,
                                         GArray           *metrics,
                                         GError          **error);

/* The folder every program keeps runs in unless told otherwise (the
 * window lists it, camtrail-cli train writes there without --out). */
#define CT_RUN_DEMO_NAME "fashion-demo"

/* Returns: (transfer full): $XDG_DATA_HOME/camtrail/runs. */
char       *ct_run_dup_home             (void);
/* Resolves what a user typed for a run: @name itself when it exists, else
 * a run of that name in ct_run_dup_home() when @name is a bare name and
 * that run exists, else @name unchanged (so errors name what was typed).
 * Returns: (transfer full). */
char       *ct_run_resolve              (const char       *name);

/* Returns: (transfer full): RUN_DIR/epoch-NNN.safetensors. */
char       *ct_run_dup_checkpoint_path  (const char       *run_dir,
                                         int               epoch);
/* Returns: (transfer full) (element-type int): epochs with a checkpoint,
 * ascending. */
GArray     *ct_run_list_checkpoints     (const char       *run_dir,
                                         GError          **error);

/* The options that open the run's dataset as it was trained on: an image
 * folder at the run's image size, skipping bad images if it did. */
void        ct_manifest_dataset_options (const CtManifest *self,
                                         CtDatasetOptions *options);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CtManifest, ct_manifest_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CtRunSource, ct_run_source_free)

G_END_DECLS
