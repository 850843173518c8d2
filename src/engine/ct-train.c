/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ct-checkpoint.h"
#include "ct-dataset.h"
#include "ct-safetensors.h"
#include "ct-torch-glib.h"
#include "ct-train.h"

#define OPTIMIZER_NAME "optimizer.safetensors"
#define EVAL_BATCH 500

const char *const *
ct_train_list_archs (void)
{
  return ct_torch_list_archs ();
}

void
ct_train_options_init (CtTrainOptions *options,
                       const char     *arch)
{
  memset (options, 0, sizeof *options);
  options->arch = arch != NULL ? arch : "camtrail_net";
  options->data = "fashion-mnist";
  options->device = "cpu";
  ct_hyper_params_init (&options->hyper, options->arch);
}

/* What --precision auto picks: bfloat16 where the device computes it
 * natively, except for efficientnet_b0, whose depthwise convolutions
 * oneDNN runs slower in bfloat16.  Measured on two AVX512-BF16 cores with
 * short CIFAR-10 runs: efficientnet_b0 400 img/s against 551 in float32
 * (bench/train-throughput, 4096 images), resnet18 132 against 68,
 * camtrail_net 296 against 162. */
static gboolean
bf16_helps (const CtTrainOptions *options)
{
  return g_strcmp0 (options->arch, "efficientnet_b0") != 0 &&
         ct_torch_has_native_bf16 (options->device != NULL ? options->device : "cpu");
}

gboolean
ct_precision_parse (const char  *text,
                    CtPrecision *out)
{
  static const struct { const char *name; CtPrecision value; } names[] = {
    { "auto", CT_PRECISION_AUTO },
    { "fp32", CT_PRECISION_FP32 },
    { "bf16-mixed", CT_PRECISION_BF16_MIXED },
  };

  for (size_t i = 0; i < G_N_ELEMENTS (names); i++)
    if (g_strcmp0 (text, names[i].name) == 0)
      {
        *out = names[i].value;
        return TRUE;
      }
  return FALSE;
}

void
ct_train_options_init_demo (CtTrainOptions *options,
                            const char     *out_dir)
{
  ct_train_options_init (options, "camtrail_net");
  options->data = "fashion-mnist";
  options->width = 16;
  ct_hyper_params_set_epochs (&options->hyper, 3);
  /* Half airbench's batch, the rate with it: on two cores the narrow
   * network's 30 000 images took 155 s in all (89.5%) against 252 s
   * (88.3%) at 1024, whose epochs ran at 300–580 images/s against 1000. */
  ct_hyper_params_set_batch_size (&options->hyper, 512);
  options->train_limit = 30000;
  options->out_dir = out_dir;
}

/* Passes a GCancellable to the shim, which polls an int between batches. */
typedef struct {
  CtTrainReportFunc  report;
  gpointer           user_data;
  GCancellable      *cancellable;
  volatile int       cancel;
  int                epoch;
  int                epochs;
  CtDist            *dist;          /* nullable: evaluation is sharded over it */
  const char        *summary;       /* what every rank must agree on before training */
  gsize              bucket_cap_bytes; /* with @dist: the gradient buckets' size */
  gboolean           told;          /* the others need no word of this rank's failure: the
                                     * group agreed to train (a failure now shows as a peer
                                     * gone), or an agreement ended it */
} Job;

static void
job_report (Job          *job,
            CtTrainStage  stage,
            const char   *message)
{
  CtTrainReport report = { stage, job->epoch, job->epochs, NULL, NULL, message };

  if (job->report != NULL)
    job->report (&report, job->user_data);
}

static void
caching_progress_cb (guint    done,
                     guint    total,
                     gpointer user_data)
{
  Job *job = user_data;
  CtTrainReport report = { CT_TRAIN_STAGE_LOADING, job->epoch, job->epochs, NULL, NULL, NULL,
                           done, total };

  if (job->report != NULL)
    job->report (&report, job->user_data);
}

static void
batch_progress_cb (const CtTrainProgress *progress,
                   void                  *user_data)
{
  Job *job = user_data;
  CtTrainReport report = { CT_TRAIN_STAGE_TRAINING, job->epoch, job->epochs, progress, NULL, NULL };

  if (job->report != NULL)
    job->report (&report, job->user_data);
  if (g_cancellable_is_cancelled (job->cancellable))
    job->cancel = 1;
}

static gboolean
torch_status_to_error (CtTorchStatus   status,
                       char           *message,
                       Job            *job,
                       GError        **error)
{
  if (status == CT_TORCH_ERROR_CANCELLED)
    {
      free (message);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                   "training cancelled during epoch %d; the run keeps its checkpoints up to epoch %d",
                   job->epoch, job->epoch - 1);
      return FALSE;
    }
  return ct_torch_check (status, message, error);
}

/* Rank 0 alone writes the run; one process is rank 0. */
static gboolean
is_writer (const Job *job)
{
  return ct_dist_get_rank (job->dist) == 0;
}

/* An agreement step of the group's setup (ct_dist_agree): every rank got
 * here without error and with the same options, or every rank stops with
 * the message of the one that did not; @last: the group trains after it. */
static gboolean
agree (Job      *job,
       gboolean  last,
       GError  **error)
{
  char *message = NULL;

  if (job->dist == NULL)
    return TRUE;
  if (!ct_torch_check (ct_dist_agree (job->dist, NULL, job->summary, &message), message, error))
    {
      job->told = TRUE;
      return FALSE;
    }
  job->told = last;
  return TRUE;
}

/* Every rank set up without error and with the same options, or every
 * rank stops with the one message that says why.  Then every rank starts
 * from rank 0's weights and trains its shard from here on, with BatchNorm
 * over its own batch or, with @sync_bn, the group's. */
static gboolean
join_group (CtModel    *model,
            CtTrainer  *trainer,
            Job        *job,
            gboolean    sync_bn,
            GError    **error)
{
  CtDist *dist = job->dist;
  char *message = NULL;

  if (dist == NULL)
    return TRUE;
  return agree (job, TRUE, error) &&
         ct_torch_check (ct_dist_broadcast_model (dist, model, &message), message, error) &&
         ct_torch_check (ct_trainer_set_dist (trainer, dist, job->bucket_cap_bytes, &message),
                         message, error) &&
         ct_torch_check (ct_trainer_set_sync_batch_norm (trainer, sync_bn, &message), message,
                         error);
}

static char *
iso8601_now (void)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();

  return g_date_time_format_iso8601 (now);
}

CtManifest *
ct_train_new_manifest (const CtTrainOptions *options,
                       const CtDataset      *dataset,
                       CtModel              *model,
                       guint                 train_images,
                       int                   input_size,
                       GError              **error)
{
  g_autoptr(CtManifest) manifest = ct_manifest_new ();
  size_t n_layers = ct_model_get_n_layers (model);

  manifest->arch = g_strdup (options->arch);
  manifest->width = options->width;
  manifest->input_size = input_size;
  manifest->dataset = g_strdup (dataset->name);
  manifest->dataset_path = g_strdup (dataset->path);
  manifest->classes = g_strdupv (dataset->classes);
  manifest->n_classes = dataset->n_classes;
  manifest->channels = dataset->train.channels;
  manifest->image_size = dataset->train.height;
  memcpy (manifest->mean, dataset->mean, sizeof manifest->mean);
  memcpy (manifest->std, dataset->std, sizeof manifest->std);
  manifest->train_images = train_images;
  manifest->hyper = options->hyper;
  manifest->skip_bad = options->skip_bad && dataset->kind == CT_DATASET_KIND_IMAGE_FOLDER;
  manifest->skipped_images = g_strdupv (dataset->skipped);
  manifest->mixed_precision =
    options->precision == CT_PRECISION_BF16_MIXED ||
    (options->precision == CT_PRECISION_AUTO && bf16_helps (options));
  manifest->layers = g_new0 (CtRunLayer, n_layers);
  manifest->n_layers = n_layers;
  for (size_t i = 0; i < n_layers; i++)
    {
      CtTorchLayer layer;
      char *message = NULL;

      if (!ct_torch_check (ct_model_get_layer (model, i, &layer, &message), message, error))
        return NULL;
      manifest->layers[i].name = g_strdup (layer.name);
      manifest->layers[i].channels = layer.channels;
      manifest->layers[i].height = layer.height;
      manifest->layers[i].width = layer.width;
    }
  manifest->default_layer = g_strdup (ct_model_get_default_layer (model));
  manifest->camtrail_version = g_strdup (PACKAGE_VERSION);
  manifest->torch_version = g_strdup (ct_torch_version ());
  manifest->created = iso8601_now ();

  return g_steal_pointer (&manifest);
}

/* The recipe as the shim wants it: the one place where CtHyperParams
 * crosses into the shim's GLib-free CtTrainConfig. */
static void
train_config_from_manifest (const CtManifest *manifest,
                            CtTrainConfig    *config)
{
  const CtHyperParams *hyper = &manifest->hyper;

  config->epochs = hyper->epochs;
  config->batch_size = hyper->batch_size;
  config->lr = hyper->lr;
  config->warmup_epochs = hyper->warmup_epochs;
  config->lr_start = hyper->lr_start;
  config->lr_end = hyper->lr_end;
  config->momentum = hyper->momentum;
  config->nesterov = hyper->nesterov;
  config->weight_decay = hyper->weight_decay;
  config->bias_lr_scale = hyper->bias_lr_scale;
  config->label_smoothing = hyper->label_smoothing;
  config->flip = hyper->flip;
  config->alternate_flip = hyper->alternate_flip;
  config->translate = hyper->translate;
  config->translate_reflect = hyper->translate_reflect;
  config->whitened_stem = hyper->whiten;
  config->stem_bias_epochs = hyper->stem_bias_epochs;
  config->stem_plain_bias = hyper->whiten && hyper->stem_plain_bias;
  config->lookahead = hyper->lookahead;
  config->seed = hyper->seed;
  config->mixed_precision = manifest->mixed_precision;
}

GHashTable *
ct_train_checkpoint_metadata (const CtManifest     *manifest,
                     const CtEpochMetrics *metrics)
{
  GHashTable *metadata = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
  char number[G_ASCII_DTOSTR_BUF_SIZE];

  /* "format": "pt" is what safetensors.torch writes; keeps tools happy. */
  g_hash_table_insert (metadata, (char *) "format", g_strdup ("pt"));
  g_hash_table_insert (metadata, (char *) "epoch", g_strdup_printf ("%d", metrics->epoch));
  g_hash_table_insert (metadata, (char *) "arch", g_strdup (manifest->arch));
  g_hash_table_insert (metadata, (char *) "dataset", g_strdup (manifest->dataset));
  g_hash_table_insert (metadata, (char *) "num_classes", g_strdup_printf ("%d", manifest->n_classes));
  g_hash_table_insert (metadata, (char *) "in_chans", g_strdup_printf ("%d", manifest->channels));
  /* Leaves no trace in the weights' shapes, so a checkpoint says it itself. */
  g_hash_table_insert (metadata, (char *) "input_size", g_strdup_printf ("%d", manifest->input_size));
  /* Tools read these: a decimal point whatever the user's LC_NUMERIC. */
  g_hash_table_insert (metadata, (char *) "test_accuracy",
                       g_strdup (g_ascii_formatd (number, sizeof number, "%.6f", metrics->test_accuracy)));
  if (!isnan (metrics->train_accuracy))
    g_hash_table_insert (metadata, (char *) "train_accuracy",
                         g_strdup (g_ascii_formatd (number, sizeof number, "%.6f", metrics->train_accuracy)));
  g_hash_table_insert (metadata, (char *) "software", g_strdup ("camtrail " PACKAGE_VERSION));

  return metadata;
}

/* The test set's loss and accuracy with test-time augmentation @tta: each
 * rank's slice, then the whole set's. */
static gboolean
evaluate_with (CtModel          *model,
               const CtDataset  *dataset,
               const CtManifest *manifest,
               Job              *job,
               int               tta,
               double           *out_loss,
               double           *out_accuracy,
               GError          **error)
{
  const CtSplit *test = &dataset->test;
  size_t world = ct_dist_get_world_size (job->dist);
  size_t rank = ct_dist_get_rank (job->dist);
  size_t first = (size_t) test->n_images * rank / world;
  size_t count = (size_t) test->n_images * (rank + 1) / world - first;
  double loss = 0.0, accuracy = 0.0;
  /* Σ loss, correct images, images: each rank's slice, then the whole set's. */
  double totals[3] = { 0.0, 0.0, 0.0 };
  char *message = NULL;
  CtTorchStatus status = CT_TORCH_OK;

  if (count > 0)
    status = ct_model_evaluate (model, ct_split_image (test, first), test->labels + first,
                                count, manifest->mean, manifest->std, EVAL_BATCH, tta,
                                &job->cancel, &loss, &accuracy, &message);
  if (!torch_status_to_error (status, message, job, error))
    return FALSE;
  if (job->dist == NULL)
    {
      *out_loss = loss;
      *out_accuracy = accuracy;
      return TRUE;
    }
  totals[0] = loss * count;
  totals[1] = round (accuracy * count);
  totals[2] = count;
  if (!ct_torch_check (ct_dist_allreduce_sum (job->dist, totals, 3, &message), message, error))
    return FALSE;
  *out_loss = totals[0] / totals[2];
  *out_accuracy = totals[1] / totals[2];
  return TRUE;
}

/* Measures the model on the test set, and with @tta > 0 again under that
 * test-time augmentation. */
static gboolean
evaluate (CtModel          *model,
          const CtDataset  *dataset,
          const CtManifest *manifest,
          Job              *job,
          int               tta,
          CtEpochMetrics   *metrics,
          GError          **error)
{
  job_report (job, CT_TRAIN_STAGE_EVALUATING, NULL);
  return evaluate_with (model, dataset, manifest, job, 0, &metrics->test_loss,
                        &metrics->test_accuracy, error) &&
         (tta == 0 ||
          evaluate_with (model, dataset, manifest, job, tta, &metrics->test_loss_tta,
                         &metrics->test_accuracy_tta, error));
}

/* The dataset must be the one the manifest describes. */
static gboolean
check_dataset (const CtManifest *manifest,
               const CtDataset  *dataset,
               GError          **error)
{
  if ((int) dataset->n_classes != manifest->n_classes ||
      (int) dataset->train.channels != manifest->channels ||
      (int) dataset->train.height != manifest->image_size ||
      (int) dataset->train.width != manifest->image_size)
    {
      g_set_error (error, CT_RUN_ERROR, CT_RUN_ERROR_MISMATCH,
                   "the dataset in %s (%u classes, %u×%u×%u) is not the one the run was trained on "
                   "(%s: %d classes, %d×%d×%d)",
                   dataset->path, dataset->n_classes, dataset->train.channels,
                   dataset->train.height, dataset->train.width, manifest->dataset,
                   manifest->n_classes, manifest->channels, manifest->image_size,
                   manifest->image_size);
      return FALSE;
    }
  return TRUE;
}

/* The epoch whose optimizer state @path holds: 0 (a fresh optimizer) when
 * there is no file, -1 when it cannot be read. */
static int
optimizer_epoch (const char *path)
{
  g_autoptr(CtSafetensors) file = NULL;
  const char *epoch;

  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    return 0;
  file = ct_safetensors_load (path, NULL);
  epoch = file != NULL ? ct_safetensors_get_metadata (file, "epoch") : NULL;
  return epoch != NULL ? (int) g_ascii_strtoll (epoch, NULL, 10) : -1;
}

static gboolean
has_epoch (GArray *epochs,
           int     epoch)
{
  for (guint i = 0; i < epochs->len; i++)
    if (g_array_index (epochs, int, i) == epoch)
      return TRUE;
  return FALSE;
}

/* Every file of a run is written to NAME.XXXXXX and renamed, so a killed
 * training leaves such a file behind, as large as a checkpoint: remove the
 * ones named after the run's own files. */
static void
remove_stale_temporaries (const char *run_dir)
{
  g_autoptr(GDir) dir = g_dir_open (run_dir, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      const char *dot = strrchr (name, '.');
      g_autofree char *target = NULL;

      if (dot == NULL || strlen (dot + 1) != 6)
        continue;
      target = g_strndup (name, dot - name);
      if (g_str_equal (target, "manifest.json") || g_str_equal (target, "metrics.jsonl") ||
          g_str_equal (target, OPTIMIZER_NAME) ||
          (g_str_has_prefix (target, "epoch-") && g_str_has_suffix (target, ".safetensors")))
        {
          g_autofree char *path = g_build_filename (run_dir, name, NULL);

          g_unlink (path);
        }
    }
}

/* airbench's whitened stem, from the first training images: epoch 0 then
 * depends on the data as well as on the seed (the manifest says so). */
static gboolean
whiten_stem (CtModel          *model,
             const CtDataset  *dataset,
             const CtManifest *manifest,
             guint             train_images,
             GError          **error)
{
  char *message = NULL;

  if (!manifest->hyper.whiten)
    return TRUE;
  return ct_torch_check (ct_model_whiten_stem (model, dataset->train.pixels,
                                               MIN (train_images, CT_WHITEN_IMAGES),
                                               manifest->mean, manifest->std, CT_WHITEN_EPS,
                                               &message),
                         message, error);
}

/* Measures the untrained model and commits epoch 0, its metrics line before
 * its checkpoint as for every epoch (see ct_train_run()). */
static gboolean
save_initial_epoch (CtModel          *model,
                    const CtDataset  *dataset,
                    const CtManifest *manifest,
                    const char       *out_dir,
                    Job              *job,
                    GArray          **out_metrics,
                    GError          **error)
{
  g_autofree char *path = ct_run_dup_checkpoint_path (out_dir, 0);
  g_autoptr(GArray) metrics = g_array_new (FALSE, TRUE, sizeof (CtEpochMetrics));
  g_autoptr(GHashTable) metadata = NULL;
  CtEpochMetrics initial = CT_EPOCH_METRICS_INIT (0);
  CtTrainReport saved = { CT_TRAIN_STAGE_SAVED, 0, job->epochs, NULL, &initial, path };

  if (!evaluate (model, dataset, manifest, job, 0, &initial, error))
    return FALSE;
  g_array_append_val (metrics, initial);
  metadata = ct_train_checkpoint_metadata (manifest, &initial);
  if (is_writer (job) &&
      (!ct_metrics_save (out_dir, metrics, error) ||
       !ct_checkpoint_save (model, path, metadata, error)))
    return FALSE;

  if (job->report != NULL)
    job->report (&saved, job->user_data);
  *out_metrics = g_steal_pointer (&metrics);
  return TRUE;
}

/* What every rank of a group must be started with, in words for the
 * message that tells two apart. */
static char *
dup_summary (const CtTrainOptions *options)
{
  const CtHyperParams *h = &options->hyper;

  /* The buckets too: ranks that split the gradients differently would
   * pair allreduces of different sizes. */
  return g_strdup_printf ("%s --out %s --data %s --arch %s --epochs %d --batch-size %d "
                          "--seed %" G_GUINT64_FORMAT " --lr %g --bucket-cap-mb %g%s%s",
                          options->resume ? "--resume" : "a new run", options->out_dir,
                          options->data, options->arch, h->epochs, h->batch_size,
                          (guint64) h->seed, h->lr,
                          options->bucket_cap_bytes / (double) (1 << 20),
                          options->sync_bn ? " --sync-bn" : "",
                          options->init != NULL ? " --init" : "");
}

static gboolean train_run (const CtTrainOptions *options, CtTrainReportFunc report,
                           gpointer user_data, GCancellable *cancellable, Job *job,
                           GError **error);

gboolean
ct_train_run (const CtTrainOptions  *options,
              CtTrainReportFunc      report,
              gpointer               user_data,
              GCancellable          *cancellable,
              GError               **error)
{
  g_autofree char *summary = dup_summary (options);
  g_autoptr(GError) local_error = NULL;
  Job job = { report, user_data, cancellable, 0, 0, options->hyper.epochs, options->dist, summary,
              options->bucket_cap_bytes, FALSE };

  if (train_run (options, report, user_data, cancellable, &job, &local_error))
    return TRUE;
  /* Failed before the group agreed: the others wait for this rank's word
   * at that step, and stop with this message rather than "peer died". */
  if (options->dist != NULL && !job.told)
    {
      char *message = NULL;

      ct_dist_agree (options->dist, local_error->message, NULL, &message);
      free (message);
    }
  g_propagate_error (error, g_steal_pointer (&local_error));
  return FALSE;
}

static gboolean
train_run (const CtTrainOptions  *options,
           CtTrainReportFunc      report,
           gpointer               user_data,
           GCancellable          *cancellable,
           Job                   *job,
           GError               **error)
{
  g_autoptr(CtDataset) dataset = NULL;
  g_autoptr(CtManifest) manifest = NULL;
  g_autoptr(GArray) metrics = NULL;
  g_autofree char *optimizer_path = g_build_filename (options->out_dir, OPTIMIZER_NAME, NULL);
  CtModel *model = NULL;
  CtTrainer *trainer = NULL;
  CtTrainConfig config = { 0 };
  CtRunSource *init = NULL;
  /* One process normalises over the whole batch anyway. */
  gboolean sync_bn = options->sync_bn && options->dist != NULL;
  guint train_images;
  int first_epoch = 1;
  char *message = NULL;
  gboolean ok = FALSE;

  CtDatasetOptions dataset_options = {
    options->image_size, options->skip_bad, caching_progress_cb, job
  };

  job_report (job, CT_TRAIN_STAGE_LOADING, options->data);
  dataset = ct_dataset_load_full (options->data, &dataset_options, error);
  if (dataset == NULL)
    return FALSE;
  /* A resumed run passes its manifest's image size whatever its kind. */
  if (!options->resume && dataset->kind != CT_DATASET_KIND_IMAGE_FOLDER
      && (options->image_size != 0 || options->skip_bad))
    {
      g_set_error (error, CT_DATASET_ERROR, CT_DATASET_ERROR_FORMAT,
                   "%s is not an image folder; an image size and skipping bad images "
                   "apply to image folders only", dataset->path);
      return FALSE;
    }
  /* The models take square images: a non-square IDX set would be read past
   * the end of its pixels. */
  if (dataset->train.width != dataset->train.height)
    {
      g_set_error (error, CT_DATASET_ERROR, CT_DATASET_ERROR_FORMAT,
                   "%s: the images are %u×%u; Camtrail's models take square images",
                   dataset->path, dataset->train.height, dataset->train.width);
      return FALSE;
    }
  train_images = dataset->train.n_images;
  if (options->train_limit > 0 && options->train_limit < train_images)
    train_images = options->train_limit;

  if (!ct_torch_check (ct_torch_set_threads (options->threads, &message), message, error))
    return FALSE;

  if (options->resume)
    {
      g_autoptr(GArray) epochs = NULL;

      manifest = ct_manifest_load (options->out_dir, error);
      if (manifest == NULL)
        return FALSE;
      if (g_strcmp0 (manifest->arch, options->arch) != 0)
        {
          g_set_error (error, CT_RUN_ERROR, CT_RUN_ERROR_MISMATCH,
                       "%s was trained as %s; cannot resume it as %s",
                       options->out_dir, manifest->arch, options->arch);
          return FALSE;
        }
      if (!check_dataset (manifest, dataset, error))
        return FALSE;
      epochs = ct_run_list_checkpoints (options->out_dir, error);
      if (epochs == NULL)
        return FALSE;
      if (is_writer (job))
        remove_stale_temporaries (options->out_dir);
      train_images = MIN (manifest->train_images, dataset->train.n_images);
      job->epochs = manifest->hyper.epochs;
      sync_bn = options->dist != NULL && (options->sync_bn || manifest->sync_bn);

      model = ct_checkpoint_new_model (manifest, options->device, error);
      if (model == NULL)
        return FALSE;
      train_config_from_manifest (manifest, &config);

      /* Killed before epoch 0 was committed: the manifest's seed gives the
       * same initial weights again. */
      if (epochs->len == 0)
        {
          if (!whiten_stem (model, dataset, manifest, train_images, error) ||
              !ct_torch_check (ct_trainer_new (model, &config, train_images, &trainer, &message),
                               message, error) ||
              !join_group (model, trainer, job, sync_bn, error) ||
              !save_initial_epoch (model, dataset, manifest, options->out_dir, job, &metrics,
                                   error))
            goto out;
        }
      else
        {
          g_autofree char *path = NULL;
          gboolean loaded = FALSE;
          int last = g_array_index (epochs, int, epochs->len - 1);

          /* The optimizer state is saved after its epoch's checkpoint, so one
           * killed in between leaves the state of the epoch before: continue
           * from that epoch, which redoes the last one exactly. */
          if (last > 0 && optimizer_epoch (optimizer_path) == last - 1 &&
              has_epoch (epochs, last - 1))
            last--;

          path = ct_run_dup_checkpoint_path (options->out_dir, last);
          if (!ct_checkpoint_load_for_run (model, path, manifest, error) ||
              !ct_torch_check (ct_trainer_new (model, &config, train_images, &trainer, &message),
                               message, error) ||
              !join_group (model, trainer, job, sync_bn, error))
            goto out;
          if (last > 0 &&
              !ct_checkpoint_load_optimizer (trainer, optimizer_path, last, &loaded, error))
            goto out;
          if (last > 0 && !loaded)
            g_warning ("%s: no optimizer state for epoch %d; momentum restarts from zero",
                       options->out_dir, last);

          metrics = ct_metrics_load (options->out_dir, error);
          if (metrics == NULL)
            goto out;
          for (guint i = metrics->len; i > 0; i--)
            if (g_array_index (metrics, CtEpochMetrics, i - 1).epoch > last)
              g_array_remove_index (metrics, i - 1);
          first_epoch = last + 1;
        }
    }
  else
    {
      g_autofree char *manifest_path = g_build_filename (options->out_dir, "manifest.json", NULL);
      CtModelConfig model_config = {
        .arch = options->arch,
        .in_channels = dataset->train.channels,
        .n_classes = dataset->n_classes,
        .image_size = dataset->train.height,
        .input_size = options->input_size,
        .width = options->width,
        .seed = options->hyper.seed,
      };

      /* Nothing is written before every rank has read its dataset. */
      if (!agree (job, FALSE, error))
        return FALSE;
      if (is_writer (job) && g_file_test (manifest_path, G_FILE_TEST_EXISTS))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS,
                       "%s already holds a run: pass --resume to continue it, or another --out",
                       options->out_dir);
          return FALSE;
        }
      if (is_writer (job) && g_mkdir_with_parents (options->out_dir, 0755) != 0)
        {
          int saved_errno = errno;
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                       "cannot create %s: %s", options->out_dir, g_strerror (saved_errno));
          return FALSE;
        }
      /* Left by a training killed before it committed its manifest. */
      if (is_writer (job))
        remove_stale_temporaries (options->out_dir);

      if (!ct_torch_check (ct_model_new (&model_config, &model, &message), message, error))
        return FALSE;
      if (options->init != NULL)
        {
          g_autofree char *loaded = NULL;

          if (!ct_checkpoint_load_init (model, options->arch, options->init, &loaded, &init, error))
            goto out;
          job_report (job, CT_TRAIN_STAGE_INITIALISED, loaded);
        }
      if (options->device != NULL && g_strcmp0 (options->device, "cpu") != 0 &&
          !ct_torch_check (ct_model_to_device (model, options->device, &message), message, error))
        goto out;

      manifest = ct_train_new_manifest (options, dataset, model, train_images,
                                        options->input_size > 0 ? options->input_size
                                                                : (int) dataset->train.height,
                                        error);
      if (manifest == NULL)
        goto out;
      manifest->init = g_steal_pointer (&init);
      /* Whitening would overwrite the stem the given weights bring, and
       * only camtrail_net has airbench's stem. */
      if (manifest->init != NULL || g_strcmp0 (options->arch, "camtrail_net") != 0)
        manifest->hyper.whiten = manifest->hyper.stem_plain_bias = FALSE;
      manifest->world_size = ct_dist_get_world_size (options->dist);
      manifest->dist_backend = g_strdup (ct_dist_get_backend (options->dist));
      manifest->sync_bn = sync_bn;
      if (is_writer (job) && !ct_manifest_save (manifest, options->out_dir, error))
        goto out;

      train_config_from_manifest (manifest, &config);
      if (!whiten_stem (model, dataset, manifest, train_images, error) ||
          !ct_torch_check (ct_trainer_new (model, &config, train_images, &trainer, &message),
                           message, error) ||
          !join_group (model, trainer, job, sync_bn, error))
        goto out;

      if (!save_initial_epoch (model, dataset, manifest, options->out_dir, job, &metrics, error))
        goto out;
    }

  /* A resumed run records who trains it from here on, once all agreed. */
  if (options->resume &&
      ct_manifest_add_segment (manifest, first_epoch, ct_dist_get_world_size (options->dist),
                               ct_dist_get_backend (options->dist), sync_bn) &&
      is_writer (job) && !ct_manifest_save (manifest, options->out_dir, error))
    goto out;

  for (int epoch = first_epoch; epoch <= manifest->hyper.epochs; epoch++)
    {
      g_autofree char *path = ct_run_dup_checkpoint_path (options->out_dir, epoch);
      g_autoptr(GHashTable) metadata = NULL;
      CtEpochMetrics m = CT_EPOCH_METRICS_INIT (epoch);
      CtTorchStatus status;
      gint64 start;

      job->epoch = epoch;
      start = g_get_monotonic_time ();
      status = ct_trainer_run_epoch (trainer, epoch, dataset->train.pixels, dataset->train.labels,
                                     train_images, manifest->mean, manifest->std,
                                     batch_progress_cb, job, &job->cancel,
                                     &m.train_loss, &m.train_accuracy, &message);
      if (!torch_status_to_error (status, message, job, error))
        goto out;
      m.seconds = (g_get_monotonic_time () - start) / 1e6;
      m.images_per_second = train_images / MAX (m.seconds, 1e-9);

      /* Test-time augmentation costs several evaluations: the last epoch's
       * only (`camtrail-cli eval` measures every checkpoint). */
      if (!evaluate (model, dataset, manifest, job,
                     epoch == manifest->hyper.epochs ? manifest->hyper.tta : 0, &m, error))
        goto out;

      /* The checkpoint's rename commits the epoch.  Its metrics line goes
       * before it (a resume drops the lines past the last checkpoint) and
       * the optimizer state after it (a resume from a state one epoch
       * behind redoes that epoch), so a training killed anywhere resumes
       * to the result of an uninterrupted one. */
      g_array_append_val (metrics, m);
      metadata = ct_train_checkpoint_metadata (manifest, &m);
      if (is_writer (job) &&
          (!ct_metrics_save (options->out_dir, metrics, error) ||
           !ct_checkpoint_save (model, path, metadata, error) ||
           !ct_checkpoint_save_optimizer (trainer, optimizer_path, epoch, error)))
        goto out;
      if (options->rank_weights_dir != NULL)
        {
          g_autofree char *name = g_strdup_printf ("rank-%d-epoch-%03d.safetensors",
                                                   ct_dist_get_rank (options->dist), epoch);
          g_autofree char *rank_path = g_build_filename (options->rank_weights_dir, name, NULL);

          if (!ct_checkpoint_save (model, rank_path, metadata, error))
            goto out;
        }

      {
        CtTrainReport saved = { CT_TRAIN_STAGE_SAVED, epoch, job->epochs, NULL, &m, path };
        if (report != NULL)
          report (&saved, user_data);
      }
    }

  ok = TRUE;

out:
  ct_run_source_free (init);
  ct_trainer_free (trainer);
  ct_model_free (model);
  return ok;
}

GArray *
ct_train_reevaluate (const char         *run_dir,
                     const char         *data,
                     CtTrainReportFunc   report,
                     gpointer            user_data,
                     GCancellable       *cancellable,
                     GError            **error)
{
  g_autoptr(CtManifest) manifest = ct_manifest_load (run_dir, error);
  g_autoptr(CtDataset) dataset = NULL;
  g_autoptr(GArray) epochs = NULL;
  g_autoptr(GArray) results = NULL;
  CtDatasetOptions dataset_options;
  CtModel *model = NULL;
  Job job = { report, user_data, cancellable, 0, 0, 0 };

  if (manifest == NULL)
    return NULL;
  ct_manifest_dataset_options (manifest, &dataset_options);
  dataset = ct_dataset_load_full (data != NULL ? data : manifest->dataset_path, &dataset_options,
                                  error);
  if (dataset == NULL || !check_dataset (manifest, dataset, error))
    return NULL;
  epochs = ct_run_list_checkpoints (run_dir, error);
  if (epochs == NULL)
    return NULL;
  model = ct_checkpoint_new_model (manifest, NULL, error);
  if (model == NULL)
    return NULL;

  results = g_array_new (FALSE, TRUE, sizeof (CtEpochMetrics));
  job.epochs = manifest->hyper.epochs;
  for (guint i = 0; i < epochs->len; i++)
    {
      int epoch = g_array_index (epochs, int, i);
      g_autofree char *path = ct_run_dup_checkpoint_path (run_dir, epoch);
      CtEpochMetrics m = CT_EPOCH_METRICS_INIT (epoch);

      m.seconds = NAN; /* not a training */

      job.epoch = epoch;
      if (g_cancellable_set_error_if_cancelled (cancellable, error) ||
          !ct_checkpoint_load_for_run (model, path, manifest, error) ||
          !evaluate (model, dataset, manifest, &job, manifest->hyper.tta, &m, error))
        {
          ct_model_free (model);
          return NULL;
        }
      g_array_append_val (results, m);
      {
        CtTrainReport done = { CT_TRAIN_STAGE_SAVED, epoch, job.epochs, NULL, &m, path };
        if (report != NULL)
          report (&done, user_data);
      }
    }

  ct_model_free (model);
  return g_steal_pointer (&results);
}
