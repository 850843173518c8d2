/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ct-cam-job.h"
#include "ct-checkpoint.h"
#include "ct-image.h"
#include "ct-rng.h"
#include "ct-torch-glib.h"

/* The stream number keeps the scan's order apart from the perturbations'
 * streams and from ct_rng_sample_indices(). */
#define STREAM_MISCLASSIFIED 0x6d697363u
#define SCAN_BATCH           256

struct _CtCamSession {
  char       *run_dir;
  char       *device;
  CtManifest *manifest;
  CtDataset  *dataset;
  GArray     *epochs;
  /* Rows of one grid may be computed on several threads at once: the
   * caches are shared under the lock. */
  GMutex      lock;
  GHashTable *models;     /* epoch → CtModel */
  GHashTable *clean;      /* "epoch/image" → float[n_classes] clean logits */
};

static void
model_free (gpointer model)
{
  ct_model_free (model);
}

CtCamSession *
ct_cam_session_new (const char  *run_dir,
                    const char  *data,
                    const char  *device,
                    GError     **error)
{
  return ct_cam_session_new_full (run_dir, data, device, NULL, NULL, error);
}

CtCamSession *
ct_cam_session_new_full (const char             *run_dir,
                         const char             *data,
                         const char             *device,
                         CtDatasetProgressFunc   caching,
                         gpointer                user_data,
                         GError                **error)
{
  g_autoptr(CtCamSession) self = g_new0 (CtCamSession, 1);
  CtDatasetOptions dataset_options;

  self->run_dir = g_strdup (run_dir);
  self->device = g_strdup (device != NULL ? device : "cpu");
  g_mutex_init (&self->lock);
  self->models = g_hash_table_new_full (NULL, NULL, NULL, model_free);
  self->clean = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  self->manifest = ct_manifest_load (run_dir, error);
  if (self->manifest == NULL)
    return NULL;
  ct_manifest_dataset_options (self->manifest, &dataset_options);
  dataset_options.progress = caching;
  dataset_options.user_data = user_data;
  self->dataset = ct_dataset_load_full (data != NULL ? data : self->manifest->dataset_path,
                                        &dataset_options, error);
  if (self->dataset == NULL)
    return NULL;
  if ((int) self->dataset->n_classes != self->manifest->n_classes ||
      (int) self->dataset->test.channels != self->manifest->channels ||
      (int) self->dataset->test.height != self->manifest->image_size ||
      (int) self->dataset->test.width != self->manifest->image_size)
    {
      g_set_error (error, CT_RUN_ERROR, CT_RUN_ERROR_MISMATCH,
                   "the dataset in %s does not match run %s (%s, %d classes, %d×%d×%d)",
                   self->dataset->path, run_dir, self->manifest->dataset,
                   self->manifest->n_classes, self->manifest->channels,
                   self->manifest->image_size, self->manifest->image_size);
      return NULL;
    }
  self->epochs = ct_run_list_checkpoints (run_dir, error);
  if (self->epochs == NULL)
    return NULL;
  if (self->epochs->len == 0)
    {
      g_set_error (error, CT_RUN_ERROR, CT_RUN_ERROR_NOT_A_RUN,
                   "%s has no checkpoints yet", run_dir);
      return NULL;
    }

  return g_steal_pointer (&self);
}

void
ct_cam_session_free (CtCamSession *self)
{
  if (self == NULL)
    return;

  g_free (self->run_dir);
  g_free (self->device);
  g_clear_pointer (&self->manifest, ct_manifest_free);
  g_clear_pointer (&self->dataset, ct_dataset_free);
  g_clear_pointer (&self->epochs, g_array_unref);
  g_clear_pointer (&self->models, g_hash_table_unref);
  g_clear_pointer (&self->clean, g_hash_table_unref);
  g_mutex_clear (&self->lock);
  g_free (self);
}

const char *
ct_cam_session_get_run_dir (CtCamSession *self)
{
  return self->run_dir;
}

const CtManifest *
ct_cam_session_get_manifest (CtCamSession *self)
{
  return self->manifest;
}

const CtDataset *
ct_cam_session_get_dataset (CtCamSession *self)
{
  return self->dataset;
}

GArray *
ct_cam_session_get_epochs (CtCamSession *self)
{
  return self->epochs;
}

gboolean
ct_cam_session_rescan (CtCamSession  *self,
                       GError       **error)
{
  g_autoptr(GArray) epochs = ct_run_list_checkpoints (self->run_dir, error);

  if (epochs == NULL)
    return FALSE;
  /* In place, so the array ct_cam_session_get_epochs() gave out stays valid. */
  g_array_set_size (self->epochs, 0);
  g_array_append_vals (self->epochs, epochs->data, epochs->len);
  return TRUE;
}

gboolean
ct_cam_session_has_checkpoint (CtCamSession *self,
                               int           epoch)
{
  for (guint i = 0; i < self->epochs->len; i++)
    if (g_array_index (self->epochs, int, i) == epoch)
      return TRUE;
  return FALSE;
}

static CtModel *
get_model_locked (CtCamSession  *self,
                  int            epoch,
                  GError       **error)
{
  CtModel *model = g_hash_table_lookup (self->models, GINT_TO_POINTER (epoch));
  g_autofree char *path = NULL;

  if (model != NULL)
    return model;
  if (!ct_cam_session_has_checkpoint (self, epoch))
    {
      g_set_error (error, CT_RUN_ERROR, CT_RUN_ERROR_MISMATCH,
                   "%s has no checkpoint for epoch %d", self->run_dir, epoch);
      return NULL;
    }

  model = ct_checkpoint_new_model (self->manifest, self->device, error);
  if (model == NULL)
    return NULL;
  path = ct_run_dup_checkpoint_path (self->run_dir, epoch);
  if (!ct_checkpoint_load_for_run (model, path, self->manifest, error))
    {
      ct_model_free (model);
      return NULL;
    }

  g_hash_table_insert (self->models, GINT_TO_POINTER (epoch), model);
  return model;
}

/* The model of @epoch, loaded on first use.  A model is used by one thread
 * at a time: ct_cam_session_compute() callers on several threads give each
 * a different epoch. */
static CtModel *
get_model (CtCamSession  *self,
           int            epoch,
           GError       **error)
{
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->lock);

  return get_model_locked (self, epoch, error);
}

gboolean
ct_cam_session_preload (CtCamSession  *self,
                        const int     *epochs,
                        guint          n_epochs,
                        GError       **error)
{
  for (guint i = 0; i < n_epochs; i++)
    if (get_model (self, epochs[i], error) == NULL)
      return FALSE;
  return TRUE;
}

static const CtRunLayer *
find_layer (const CtManifest  *manifest,
            const char        *name,
            GError           **error)
{
  g_autoptr(GString) names = g_string_new (NULL);

  for (guint i = 0; i < manifest->n_layers; i++)
    {
      if (g_strcmp0 (manifest->layers[i].name, name) == 0)
        return &manifest->layers[i];
      g_string_append_printf (names, "%s%s", i > 0 ? ", " : "", manifest->layers[i].name);
    }
  g_set_error (error, CT_RUN_ERROR, CT_RUN_ERROR_MISMATCH,
               "%s has no layer \"%s\"; its layers are %s", manifest->arch, name, names->str);
  return NULL;
}

static guint
argmax (const float *values,
        guint        n)
{
  guint best = 0;

  for (guint i = 1; i < n; i++)
    if (values[i] > values[best])
      best = i;
  return best;
}

/* Fills rows 0..n_images−1 of @logits with the clean images' logits at
 * @epoch: from the session's cache, or from one forward pass over @clean
 * (the normalised clean images) when any is missing.  A slider move changes
 * only the perturbed images, so it costs no clean pass at all. */
static gboolean
clean_logits (CtCamSession  *self,
              CtModel       *model,
              int            epoch,
              const guint   *images,
              guint          n_images,
              const float   *clean,
              float         *logits,
              GError       **error)
{
  guint K = self->manifest->n_classes;
  gboolean complete = TRUE;
  char *message = NULL;

  g_mutex_lock (&self->lock);
  for (guint i = 0; i < n_images && complete; i++)
    {
      g_autofree char *key = g_strdup_printf ("%d/%u", epoch, images[i]);
      const float *cached = g_hash_table_lookup (self->clean, key);

      if (cached != NULL)
        memcpy (logits + (gsize) i * K, cached, K * sizeof (float));
      else
        complete = FALSE;
    }
  g_mutex_unlock (&self->lock);
  if (complete)
    return TRUE;

  if (!ct_torch_check (ct_model_forward (model, clean, n_images, logits, &message), message, error))
    return FALSE;
  g_mutex_lock (&self->lock);
  for (guint i = 0; i < n_images; i++)
    g_hash_table_insert (self->clean, g_strdup_printf ("%d/%u", epoch, images[i]),
                         g_memdup2 (logits + (gsize) i * K, K * sizeof (float)));
  g_mutex_unlock (&self->lock);
  return TRUE;
}

/* One min-max over a column of epochs, so magnitudes compare between rows. */
static void
minmax_column (CtGrid *grid,
               guint   image,
               guint   round)
{
  gsize n = (gsize) grid->height * grid->width;
  float lo = INFINITY, hi = -INFINITY;

  for (guint row = 0; row < grid->n_rows; row++)
    {
      const float *map = ct_grid_get_cell (grid, row, image, round)->heatmap;
      for (gsize i = 0; i < n; i++)
        {
          lo = MIN (lo, map[i]);
          hi = MAX (hi, map[i]);
        }
    }
  for (guint row = 0; row < grid->n_rows; row++)
    {
      float *map = ct_grid_get_cell (grid, row, image, round)->heatmap;
      for (gsize i = 0; i < n; i++)
        map[i] = (map[i] - lo) / (CT_CAM_EPS + (hi - lo));
    }
}

/* One row's Score-CAM or Ablation-CAM passes: the request's progress, and
 * the cancellable turned into the shim's cancel flag. */
typedef struct {
  const CtCamRequest *request;
  int                 epoch;
  GCancellable       *cancellable;
  volatile int        cancel;
} ScorePasses;

static void
score_progress_cb (size_t  done,
                   size_t  total,
                   void   *user_data)
{
  ScorePasses *passes = user_data;

  if (g_cancellable_is_cancelled (passes->cancellable))
    passes->cancel = 1;
  if (passes->request->progress != NULL)
    passes->request->progress (passes->epoch, done, total, passes->request->progress_data);
}

/* The maps before ReLU (n × h × w) of the request's method from the target
 * layer's activations and gradients (n × c × h × w each; gradients NULL for
 * a method that needs none); @input, @targets and @logits (n × @n_classes)
 * are the @n images, their classes and logits, for the methods that run
 * forward passes of their own. */
static gboolean
method_maps (const CtCamRequest *request,
             CtCamMethod         method,
             int                 epoch,
             CtModel            *model,
             const CtRunLayer   *layer,
             const float        *input,
             const int          *targets,
             const float        *logits,
             guint               n_classes,
             const float        *activations,
             const float        *gradients,
             guint               n,
             float              *out,
             GCancellable       *cancellable,
             GError            **error)
{
  gsize values = (gsize) layer->channels * layer->height * layer->width;
  gsize map_size = (gsize) layer->height * layer->width;

  if (ct_cam_method_get_info (method)->passes != CT_CAM_PASSES_NONE)
    {
      g_autofree float *scores = g_new (float, (gsize) n * layer->channels);
      ScorePasses passes = { request, epoch, cancellable, 0 };
      char *message = NULL;
      CtTorchStatus status;

      if (ct_cam_method_get_info (method)->passes == CT_CAM_PASSES_MASKED_INPUT)
        status = ct_model_score_cam (model, input, n, activations, layer->channels,
                                     layer->height, layer->width, targets, 0, score_progress_cb,
                                     &passes, &passes.cancel, scores, &message);
      else
        status = ct_model_ablation_cam (model, layer->name, input, n, activations, targets, 0,
                                        score_progress_cb, &passes, &passes.cancel, scores,
                                        &message);
      if (status == CT_TORCH_ERROR_CANCELLED && g_cancellable_is_cancelled (cancellable))
        {
          free (message);
          g_cancellable_set_error_if_cancelled (cancellable, error);
          return FALSE;
        }
      if (!ct_torch_check (status, message, error))
        return FALSE;
      for (guint b = 0; b < n; b++)
        ct_cam_method_combine_scores (method, activations + b * values,
                                      scores + (gsize) b * layer->channels,
                                      logits[(gsize) b * n_classes + targets[b]], layer->channels,
                                      layer->height, layer->width, out + b * map_size);
      return TRUE;
    }

  if (ct_cam_method_get_info (method)->projects)
    {
      g_autofree float *projected = g_new (float, (gsize) n * values);
      char *message = NULL;

      for (guint b = 0; b < n; b++)
        ct_cam_method_projection_input (method, activations + b * values,
                                        gradients != NULL ? gradients + b * values : NULL,
                                        layer->channels, layer->height, layer->width,
                                        projected + b * values);
      return ct_torch_check (ct_torch_project_first_component (projected, n, layer->channels,
                                                               layer->height, layer->width,
                                                               out, &message),
                             message, error);
    }

  for (guint b = 0; b < n; b++)
    ct_cam_method_combine (method, activations + b * values,
                           gradients != NULL ? gradients + b * values : NULL,
                           layer->channels, layer->height, layer->width, out + b * map_size);
  return TRUE;
}

struct _CtCamBatch {
  const CtCamRequest    *request;        /* borrowed */
  const CtRunLayer      *layer;          /* the manifest's */
  const CtCamMethodInfo *method;
  gboolean               perturbed;
  guint                  rounds;
  guint                  n_clean;
  guint                  n_batch;        /* clean images first, then every (image, round) perturbed */
  gsize                  image_values;
  float                 *input;          /* n_batch normalised images */
  int                   *targets;        /* n_batch: the class each map explains, −1 predicted */
  float                 *shown;          /* n_clean × rounds images in [0, 1], as the grid shows them */
  int                   *labels;         /* n_clean true classes */
};

void
ct_cam_batch_free (CtCamBatch *self)
{
  if (self == NULL)
    return;

  g_free (self->input);
  g_free (self->targets);
  g_free (self->shown);
  g_free (self->labels);
  g_free (self);
}

CtCamBatch *
ct_cam_session_prepare (CtCamSession        *self,
                        const CtCamRequest  *request,
                        GError             **error)
{
  const CtManifest *m = self->manifest;
  const CtSplit *test = &self->dataset->test;
  g_autoptr(CtCamBatch) batch = NULL;
  guint C = test->channels, H = test->height, W = test->width;
  guint K = m->n_classes;

  if (request->n_epochs == 0 || request->n_images == 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "a grid needs at least one epoch and one image");
      return NULL;
    }
  for (guint i = 0; i < request->n_images; i++)
    if (request->images[i] >= test->n_images)
      {
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                     "image %u is out of range: the test split has %u images (0–%u)",
                     request->images[i], test->n_images, test->n_images - 1);
        return NULL;
      }
  if (request->target_rule == CT_TARGET_RULE_CLASS &&
      (request->target_class < 0 || request->target_class >= (int) K))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "class %d is out of range: the run has %u classes", request->target_class, K);
      return NULL;
    }
  if ((guint) request->method >= CT_CAM_N_METHODS)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "unknown CAM method %d", (int) request->method);
      return NULL;
    }
  for (guint m = 0; m < request->n_methods; m++)
    if ((guint) request->methods[m] >= CT_CAM_N_METHODS)
      {
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                     "unknown CAM method %d", (int) request->methods[m]);
        return NULL;
      }

  batch = g_new0 (CtCamBatch, 1);
  batch->request = request;
  batch->method = ct_cam_method_get_info (request->method);
  batch->layer = find_layer (m, request->layer != NULL ? request->layer : m->default_layer,
                             error);
  if (batch->layer == NULL)
    return NULL;
  batch->perturbed = !ct_perturb_is_identity (&request->perturb);
  batch->rounds = batch->perturbed ? MAX (request->rounds, 1) : 1;
  batch->n_clean = request->n_images;
  batch->n_batch = batch->perturbed ? batch->n_clean * (1 + batch->rounds) : batch->n_clean;
  batch->image_values = (gsize) C * H * W;

  batch->input = g_new (float, (gsize) batch->n_batch * batch->image_values);
  batch->targets = g_new (int, batch->n_batch);
  batch->shown = g_new (float, (gsize) batch->n_clean * batch->rounds * batch->image_values);
  batch->labels = g_new (int, batch->n_clean);
  for (guint i = 0; i < batch->n_clean; i++)
    {
      const guint8 *pixels = ct_split_image (test, request->images[i]);
      float *clean = batch->input + (gsize) i * batch->image_values;

      batch->labels[i] = test->labels[request->images[i]];
      ct_image_to_unit (pixels, batch->image_values, clean);
      for (guint r = 0; r < batch->rounds; r++)
        {
          float *shown = batch->shown + ((gsize) i * batch->rounds + r) * batch->image_values;

          if (batch->perturbed)
            {
              ct_perturb_apply (&request->perturb, pixels, C, H, W, m->mean,
                                request->images[i], r, shown);
              memcpy (batch->input + (gsize) (batch->n_clean + i * batch->rounds + r) *
                                     batch->image_values,
                      shown, batch->image_values * sizeof (float));
            }
          else
            memcpy (shown, clean, batch->image_values * sizeof (float));
        }
    }
  ct_image_normalize (batch->input, batch->n_batch, C, (gsize) H * W, m->mean, m->std);
  for (guint b = 0; b < batch->n_batch; b++)
    {
      guint image = b < batch->n_clean ? b : (b - batch->n_clean) / batch->rounds;

      switch (request->target_rule)
        {
        case CT_TARGET_RULE_LABEL:
          batch->targets[b] = batch->labels[image];
          break;
        case CT_TARGET_RULE_CLASS:
          batch->targets[b] = request->target_class;
          break;
        case CT_TARGET_RULE_PREDICTED:
        default:
          batch->targets[b] = -1;
          break;
        }
    }

  return g_steal_pointer (&batch);
}

/* An empty grid of @n_rows rows of @batch's request, from @first_row on:
 * everything but the cells. */
static CtGrid *
grid_for_rows (CtCamSession          *self,
               const CtCamBatch      *batch,
               const CtCamMethodInfo *method,
               guint                  first_row,
               guint                  n_rows)
{
  const CtManifest *m = self->manifest;
  const CtSplit *test = &self->dataset->test;
  const CtCamRequest *request = batch->request;
  CtGrid *grid = ct_grid_new (n_rows, request->n_images, batch->rounds, test->channels,
                              test->height, test->width, m->n_classes);

  grid->run_name = g_path_get_basename (self->run_dir);
  grid->arch = g_strdup (m->arch);
  grid->dataset = g_strdup (m->dataset);
  grid->layer = g_strdup (batch->layer->name);
  grid->method = g_strdup (method->name);
  grid->target_rule = ct_target_rule_to_string (request->target_rule, request->target_class,
                                                (const char *const *) m->classes);
  grid->perturbation = ct_perturb_describe (&request->perturb);
  grid->seed = request->perturb.seed;
  grid->scale = request->scale;
  grid->classes = g_strdupv (m->classes);
  memcpy (grid->epochs, request->epochs + first_row, n_rows * sizeof (int));
  memcpy (grid->image_indices, request->images, request->n_images * sizeof (guint));
  memcpy (grid->labels, batch->labels, batch->n_clean * sizeof (int));
  for (guint i = 0; i < batch->n_clean; i++)
    for (guint r = 0; r < batch->rounds; r++)
      memcpy (ct_grid_get_image (grid, i, r),
              batch->shown + ((gsize) i * batch->rounds + r) * batch->image_values,
              batch->image_values * sizeof (float));
  return grid;
}

/* Rows of @batch's request with @method. */
static CtGrid *
compute_rows_with (CtCamSession          *self,
                   const CtCamBatch      *batch,
                   const CtCamMethodInfo *method,
                   guint                  first_row,
                   guint                  n_rows,
                   GCancellable          *cancellable,
                   GError               **error)
{
  const CtCamRequest *request = batch->request;
  const CtRunLayer *layer = batch->layer;
  const CtSplit *test = &self->dataset->test;
  guint K = self->manifest->n_classes;
  guint n_clean = batch->n_clean, n_batch = batch->n_batch, rounds = batch->rounds;
  gsize image_values = batch->image_values;
  gsize map_size = (gsize) layer->height * layer->width;
  gsize layer_values = (gsize) layer->channels * map_size;
  /* Clean logits come from the cache when perturbed: the CAM runs on the
   * perturbed images only. */
  gsize skip = batch->perturbed ? n_clean : 0;
  g_autoptr(CtGrid) grid = NULL;
  g_autofree float *weighted = g_new (float, (gsize) n_batch * map_size);
  g_autofree float *activations = g_new (float, (gsize) n_batch * layer_values);
  g_autofree float *gradients = NULL;
  g_autofree float *logits = g_new (float, (gsize) n_batch * K);
  g_autofree float *clean_probs = g_new (float, K);
  g_autofree int *used = g_new (int, n_batch);

  g_return_val_if_fail (first_row + n_rows <= request->n_epochs && n_rows > 0, NULL);

  if (method->needs_gradients)
    gradients = g_new (float, (gsize) n_batch * layer_values);
  grid = grid_for_rows (self, batch, method, first_row, n_rows);

  for (guint row = 0; row < n_rows; row++)
    {
      int epoch = request->epochs[first_row + row];
      CtModel *model;
      char *message = NULL;

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return NULL;
      model = get_model (self, epoch, error);
      if (model == NULL)
        return NULL;
      if (batch->perturbed &&
          !clean_logits (self, model, epoch, request->images, n_clean, batch->input, logits,
                         error))
        return NULL;
      if (!ct_torch_check (ct_model_layer_maps (model, layer->name,
                                                batch->input + skip * image_values,
                                                n_batch - skip, batch->targets + skip,
                                                activations + skip * layer_values,
                                                gradients != NULL ? gradients + skip * layer_values : NULL,
                                                logits + skip * K, used + skip, &message),
                           message, error) ||
          !method_maps (request, method->method, epoch, model, layer, batch->input + skip * image_values,
                        used + skip, logits + skip * K, K, activations + skip * layer_values,
                        gradients != NULL ? gradients + skip * layer_values : NULL,
                        n_batch - skip, weighted + skip * map_size, cancellable, error))
        return NULL;

      for (guint i = 0; i < n_clean; i++)
        {
          guint c;

          ct_softmax (logits + (gsize) i * K, K, clean_probs);
          c = argmax (clean_probs, K);
          for (guint r = 0; r < rounds; r++)
            {
              guint b = batch->perturbed ? n_clean + i * rounds + r : i;
              CtGridCell *cell = ct_grid_get_cell (grid, row, i, r);

              ct_softmax (logits + (gsize) b * K, K, cell->probabilities);
              cell->predicted = argmax (cell->probabilities, K);
              cell->probability = cell->probabilities[cell->predicted];
              cell->target = used[b];
              cell->clean_predicted = c;
              cell->clean_probability = clean_probs[c];
              cell->confidence_drop = clean_probs[c] - cell->probabilities[c];
              cell->max_prob_drop = clean_probs[c] - cell->probability;
              ct_cam_postprocess (weighted + (gsize) b * map_size, layer->height, layer->width,
                                  request->scale, cell->heatmap, test->height, test->width);
            }
        }
    }

  if (request->scale == CT_CAM_SCALE_SHARED)
    for (guint i = 0; i < request->n_images; i++)
      for (guint r = 0; r < rounds; r++)
        minmax_column (grid, i, r);

  return g_steal_pointer (&grid);
}

CtGrid *
ct_cam_session_compute_rows (CtCamSession      *self,
                             const CtCamBatch  *batch,
                             guint              first_row,
                             guint              n_rows,
                             GCancellable      *cancellable,
                             GError           **error)
{
  const CtCamRequest *request = batch->request;
  g_autoptr(GPtrArray) parts = NULL;
  g_autofree const char **names = NULL;

  g_return_val_if_fail (first_row + n_rows <= request->n_epochs && n_rows > 0, NULL);

  if (request->n_methods == 0)
    return compute_rows_with (self, batch, batch->method, first_row, n_rows, cancellable, error);

  /* A comparison: the same images, perturbed once, through each method;
   * the columns of one image stay together. */
  parts = g_ptr_array_new_with_free_func ((GDestroyNotify) ct_grid_free);
  names = g_new0 (const char *, request->n_methods + 1);
  for (guint m = 0; m < request->n_methods; m++)
    {
      const CtCamMethodInfo *method = ct_cam_method_get_info (request->methods[m]);
      CtGrid *part = compute_rows_with (self, batch, method, first_row, n_rows, cancellable,
                                        error);

      if (part == NULL)
        return NULL;
      g_ptr_array_add (parts, part);
      names[m] = method->name;
    }
  return ct_grid_join_methods ((const CtGrid *const *) parts->pdata, names, parts->len);
}

CtGrid *
ct_cam_session_compute (CtCamSession        *self,
                        const CtCamRequest  *request,
                        GCancellable        *cancellable,
                        GError             **error)
{
  g_autoptr(CtCamBatch) batch = ct_cam_session_prepare (self, request, error);

  if (batch == NULL)
    return NULL;
  return ct_cam_session_compute_rows (self, batch, 0, request->n_epochs, cancellable, error);
}

gboolean
ct_cam_session_forward (CtCamSession  *self,
                        int            epoch,
                        const float   *normalised,
                        guint          n,
                        float         *out_logits,
                        GError       **error)
{
  CtModel *model = get_model (self, epoch, error);
  char *message = NULL;

  if (model == NULL)
    return FALSE;
  return ct_torch_check (ct_model_forward (model, normalised, n, out_logits, &message), message,
                         error);
}

/* A Fisher–Yates shuffle of the test indices from (seed, @stream). */
static guint *
shuffled_indices (guint   n,
                  guint64 seed,
                  guint64 stream)
{
  guint *order = g_new (guint, n);
  CtRng rng;

  ct_rng_init (&rng, seed, stream, 0, 0);
  for (guint i = 0; i < n; i++)
    order[i] = i;
  ct_rng_shuffle (&rng, order, n);
  return order;
}

GArray *
ct_cam_session_sample_images (CtCamSession *self,
                              guint         count,
                              guint64       seed)
{
  return ct_rng_sample_indices (self->dataset->test.n_images, count, seed);
}

GArray *
ct_cam_session_find_misclassified (CtCamSession  *self,
                                   int            epoch,
                                   guint          count,
                                   guint64        seed,
                                   GError       **error)
{
  const CtSplit *test = &self->dataset->test;
  const CtManifest *m = self->manifest;
  gsize image_values = ct_split_image_size (test);
  g_autofree guint *order = shuffled_indices (test->n_images, seed, STREAM_MISCLASSIFIED);
  g_autofree float *batch = g_new (float, SCAN_BATCH * image_values);
  g_autofree float *logits = g_new (float, (gsize) SCAN_BATCH * m->n_classes);
  g_autoptr(GArray) found = g_array_new (FALSE, FALSE, sizeof (guint));
  CtModel *model = get_model (self, epoch, error);

  if (model == NULL)
    return NULL;

  for (guint start = 0; start < test->n_images && found->len < count; start += SCAN_BATCH)
    {
      guint n = MIN (SCAN_BATCH, test->n_images - start);
      char *message = NULL;

      for (guint i = 0; i < n; i++)
        ct_image_to_unit (ct_split_image (test, order[start + i]), image_values,
                          batch + (gsize) i * image_values);
      ct_image_normalize (batch, n, test->channels, (gsize) test->height * test->width,
                          m->mean, m->std);
      if (!ct_torch_check (ct_model_forward (model, batch, n, logits, &message), message, error))
        return NULL;
      for (guint i = 0; i < n && found->len < count; i++)
        {
          guint index = order[start + i];

          if (argmax (logits + (gsize) i * m->n_classes, m->n_classes) != test->labels[index])
            g_array_append_val (found, index);
        }
    }

  return g_steal_pointer (&found);
}
