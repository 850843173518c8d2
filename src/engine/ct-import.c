/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <glib/gi18n.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ct-checkpoint.h"
#include "ct-dataset.h"
#include "ct-import.h"
#include "ct-torch-glib.h"
#include "ct-train.h"
#include "ct-weights.h"

#define EVAL_BATCH 500

typedef struct {
  const char *path;
  int         epoch;
  char       *sha256;
} Source;

static int
compare_sources (gconstpointer a,
                 gconstpointer b)
{
  return ((const Source *) a)->epoch - ((const Source *) b)->epoch;
}

static void
source_clear (Source *source)
{
  g_free (source->sha256);
}

static void
report_line (CtImportReportFunc  report,
             gpointer            user_data,
             const CtImportReport *line)
{
  if (report != NULL)
    report (line, user_data);
}

static void
set_cancel_flag_cb (GCancellable *cancellable,
                    gpointer      flag)
{
  *(volatile int *) flag = 1;
}

static gboolean
measure (CtModel          *model,
         const CtSplit    *split,
         const CtManifest *manifest,
         GCancellable     *cancellable,
         double           *out_loss,
         double           *out_accuracy,
         GError          **error)
{
  volatile int cancel = 0;
  char *message = NULL;
  gulong handler = 0;
  gboolean ok;

  /* A cancel (the window's) stops the evaluation between batches. */
  if (cancellable != NULL)
    handler = g_cancellable_connect (cancellable, G_CALLBACK (set_cancel_flag_cb),
                                     (gpointer) &cancel, NULL);
  ok = ct_torch_check (ct_model_evaluate (model, split->pixels, split->labels, split->n_images,
                                          manifest->mean, manifest->std, EVAL_BATCH, 0, &cancel,
                                          out_loss, out_accuracy, &message),
                       message, error);
  g_cancellable_disconnect (cancellable, handler);
  if (!ok && cancel)
    {
      g_clear_error (error);
      g_cancellable_set_error_if_cancelled (cancellable, error);
    }
  return ok;
}

/* A failed or cancelled import leaves nothing behind: the checkpoints and
 * metrics it wrote go, and the folder it made. */
static void
remove_partial_run (const char *out_dir,
                    GArray     *sources)
{
  g_autofree char *metrics = g_build_filename (out_dir, "metrics.jsonl", NULL);

  for (guint i = 0; i < sources->len; i++)
    {
      g_autofree char *path = ct_run_dup_checkpoint_path (out_dir,
                                                          g_array_index (sources, Source, i).epoch);
      g_remove (path);
    }
  g_remove (metrics);
  g_rmdir (out_dir);
}

gboolean
ct_import_run (const CtImportOptions *options,
               CtImportReportFunc     report,
               gpointer               user_data,
               GCancellable          *cancellable,
               GError               **error)
{
  g_autofree char *manifest_path = g_build_filename (options->out_dir, "manifest.json", NULL);
  g_autoptr(CtDataset) dataset = NULL;
  g_autoptr(CtManifest) manifest = NULL;
  g_autoptr(GArray) sources = g_array_new (FALSE, TRUE, sizeof (Source));
  g_autoptr(GArray) metrics = g_array_new (FALSE, TRUE, sizeof (CtEpochMetrics));
  g_autofree gint64 *file_epochs = g_new0 (gint64, MAX (options->n_files, 1));
  g_autofree int *epochs = g_new0 (int, MAX (options->n_files, 1));
  CtWeightsShape shape = { 0 };
  CtTrainOptions train;
  CtModel *model = NULL;
  char *message = NULL;
  gboolean ok = FALSE, made_dir = FALSE;
  int last_epoch = 0;

  g_array_set_clear_func (sources, (GDestroyNotify) source_clear);
  if (options->n_files == 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "no checkpoint to import");
      return FALSE;
    }
  if (g_file_test (manifest_path, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS,
                   "%s already holds a run: import into another --out", options->out_dir);
      return FALSE;
    }

  {
    CtImportReport line = { 0, options->n_files, -1, options->data, NULL, NULL };
    g_autofree char *text = g_strdup_printf (_("Loading %s…"), options->data);

    line.message = text;
    report_line (report, user_data, &line);
  }
  dataset = ct_dataset_load (options->data, error);
  if (dataset == NULL)
    return FALSE;
  if (dataset->train.width != dataset->train.height)
    {
      g_set_error (error, CT_DATASET_ERROR, CT_DATASET_ERROR_FORMAT,
                   "%s: the images are %u×%u; Camtrail's models take square images",
                   dataset->path, dataset->train.height, dataset->train.width);
      return FALSE;
    }

  /* First pass: every file reads, gives its epoch entry, and the first
   * one's shapes fix the variant and the class count. */
  for (guint i = 0; i < options->n_files; i++)
    {
      g_autoptr(CtWeights) weights = NULL;
      Source source = { options->files[i], 0, NULL };

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return FALSE;
      weights = ct_weights_load (options->files[i], error);
      if (weights == NULL)
        return FALSE;
      if (!ct_weights_get_epoch (weights, &file_epochs[i]))
        file_epochs[i] = -1;
      if (i == 0 && !ct_weights_infer_shape (weights, options->arch, &shape, error))
        {
          g_prefix_error (error, "%s: ", options->files[i]);
          return FALSE;
        }
      source.sha256 = g_strdup (ct_weights_get_sha256 (weights));
      g_array_append_val (sources, source);
    }
  if (!ct_weights_assign_epochs (options->files, options->n_files, file_epochs, options->epochs,
                                 epochs, error))
    return FALSE;
  for (guint i = 0; i < options->n_files; i++)
    {
      g_array_index (sources, Source, i).epoch = epochs[i];
      last_epoch = MAX (last_epoch, epochs[i]);
    }
  g_array_sort (sources, compare_sources);

  if (shape.n_classes != (int) dataset->n_classes || shape.in_channels != (int) dataset->train.channels)
    {
      g_set_error (error, CT_TORCH_ERROR, CT_TORCH_ERROR_MISMATCH,
                   "%s: the checkpoint's classifier (%s) has %d classes and its first convolution "
                   "%d input channels, but %s has %u classes of %u-channel images",
                   options->files[0], shape.classifier[0], shape.n_classes, shape.in_channels,
                   dataset->path, dataset->n_classes, dataset->train.channels);
      return FALSE;
    }
  if (g_strcmp0 (shape.arch, options->arch) != 0)
    {
      CtImportReport line = { 0, options->n_files, -1, options->files[0], NULL, NULL };
      g_autofree char *text = g_strdup_printf (_("%s has a 7×7 conv1: importing as %s"),
                                               options->files[0], shape.arch);

      line.message = text;
      report_line (report, user_data, &line);
    }

  if (!ct_torch_check (ct_torch_set_threads (options->threads, &message), message, error))
    return FALSE;
  {
    CtModelConfig config = {
      .arch = shape.arch,
      .in_channels = shape.in_channels,
      .n_classes = shape.n_classes,
      .image_size = (int) dataset->train.height,
      .input_size = options->input_size,
      .width = shape.width,
      .seed = 0,
    };

    if (!ct_torch_check (ct_model_new (&config, &model, &message), message, error))
      return FALSE;
  }

  /* The manifest of a run that was not trained here: no hyper-parameters. */
  ct_train_options_init (&train, shape.arch);
  train.data = options->data;
  train.out_dir = options->out_dir;
  train.width = shape.width;
  memset (&train.hyper, 0, sizeof train.hyper);
  train.hyper.epochs = MAX (last_epoch, 1);
  train.hyper.batch_size = EVAL_BATCH;
  train.hyper.bias_lr_scale = 1.0;
  train.precision = CT_PRECISION_FP32;
  manifest = ct_train_new_manifest (&train, dataset, model, dataset->train.n_images,
                                    options->input_size > 0 ? options->input_size
                                                            : (int) dataset->train.height,
                                    error);
  if (manifest == NULL)
    goto out;
  manifest->n_imported = sources->len;
  manifest->imported = g_new0 (CtRunSource, sources->len);
  for (guint i = 0; i < sources->len; i++)
    {
      Source *source = &g_array_index (sources, Source, i);

      manifest->imported[i].epoch = source->epoch;
      manifest->imported[i].file = g_path_get_basename (source->path);
      manifest->imported[i].sha256 = g_strdup (source->sha256);
    }

  made_dir = !g_file_test (options->out_dir, G_FILE_TEST_IS_DIR);
  if (g_mkdir_with_parents (options->out_dir, 0755) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   "cannot create %s: %s", options->out_dir, g_strerror (saved_errno));
      goto out;
    }

  for (guint i = 0; i < sources->len; i++)
    {
      Source *source = &g_array_index (sources, Source, i);
      g_autoptr(CtWeights) weights = NULL;
      g_autoptr(GHashTable) metadata = NULL;
      g_autofree char *path = ct_run_dup_checkpoint_path (options->out_dir, source->epoch);
      CtEpochMetrics m = CT_EPOCH_METRICS_INIT (source->epoch);
      CtImportReport line = { i, sources->len, source->epoch, source->path, NULL, NULL };

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        goto out;
      report_line (report, user_data, &line);
      weights = ct_weights_load (source->path, error);
      if (weights == NULL)
        goto out;
      /* The manifest records the hash of the first pass. */
      if (g_strcmp0 (ct_weights_get_sha256 (weights), source->sha256) != 0)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                       "%s changed while it was imported", source->path);
          goto out;
        }
      if (!ct_checkpoint_load_weights (model, weights, source->path, error))
        goto out;
      if (!measure (model, &dataset->test, manifest, cancellable, &m.test_loss, &m.test_accuracy, error) ||
          (options->train_metrics &&
           !measure (model, &dataset->train, manifest, cancellable, &m.train_loss, &m.train_accuracy, error)))
        goto out;

      /* As in training: the metrics line first, the checkpoint commits it. */
      g_array_append_val (metrics, m);
      metadata = ct_train_checkpoint_metadata (manifest, &m);
      g_hash_table_insert (metadata, (char *) "source", g_path_get_basename (source->path));
      if (!ct_metrics_save (options->out_dir, metrics, error) ||
          !ct_checkpoint_save (model, path, metadata, error))
        goto out;

      line.done = i + 1;
      line.metrics = &m;
      line.message = path;
      report_line (report, user_data, &line);
    }

  /* Last: until the manifest is in place the folder is not a run. */
  ok = ct_manifest_save (manifest, options->out_dir, error);

out:
  /* Only a folder the import made is known to hold nothing else. */
  if (!ok && made_dir)
    remove_partial_run (options->out_dir, sources);
  ct_model_free (model);
  return ok;
}

/* g_ptr_array_sort() passes pointers to the elements. */
static int
compare_paths (gconstpointer a,
               gconstpointer b)
{
  return strcmp (*(char * const *) a, *(char * const *) b);
}

static gboolean
is_checkpoint_name (const char *name)
{
  static const char *const suffixes[] = { ".safetensors", ".pt", ".pth", ".bin" };

  for (guint i = 0; i < G_N_ELEMENTS (suffixes); i++)
    if (g_str_has_suffix (name, suffixes[i]) && strlen (name) > strlen (suffixes[i]))
      return TRUE;
  return FALSE;
}

char **
ct_import_list_checkpoints (const char *dir)
{
  g_autofree char *manifest = g_build_filename (dir, "manifest.json", NULL);
  g_autoptr(GDir) listing = NULL;
  g_autoptr(GPtrArray) files = NULL;
  const char *name;

  if (g_file_test (manifest, G_FILE_TEST_EXISTS))
    return NULL;
  listing = g_dir_open (dir, 0, NULL);
  if (listing == NULL)
    return NULL;
  files = g_ptr_array_new_with_free_func (g_free);
  while ((name = g_dir_read_name (listing)) != NULL)
    {
      g_autofree char *path = NULL;

      if (!is_checkpoint_name (name))
        continue;
      path = g_build_filename (dir, name, NULL);
      if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
        g_ptr_array_add (files, g_steal_pointer (&path));
    }
  if (files->len == 0)
    return NULL;
  g_ptr_array_sort (files, compare_paths);
  g_ptr_array_add (files, NULL);
  return (char **) g_ptr_array_free (g_steal_pointer (&files), FALSE);
}
