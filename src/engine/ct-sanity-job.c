/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "ct-run.h"
#include "ct-safetensors.h"
#include "ct-sanity-job.h"
#include "ct-shard.h"
#include "ct-stats.h"

#define BATCH_SIZE   64
#define TOP_FRACTION 0.2
/* One image's comparison as a rank sends it: Spearman's ρ, SSIM and the
 * top-20% IoU, NaN where undefined. */
#define COMPARE_DOUBLES 3

/* One comparison's per-image values. */
typedef struct {
  int     epoch;
  char   *against;
  guint   n_randomised;
  GArray *spearman;
  GArray *ssim;
  GArray *top_iou;
} Comparison;

static void
comparison_clear (gpointer data)
{
  Comparison *self = data;

  g_free (self->against);
  g_clear_pointer (&self->spearman, g_array_unref);
  g_clear_pointer (&self->ssim, g_array_unref);
  g_clear_pointer (&self->top_iou, g_array_unref);
}

static void
add_comparison (GArray     *comparisons,
                int         epoch,
                const char *against,
                guint       n_randomised)
{
  Comparison comparison = {
    .epoch = epoch,
    .against = g_strdup (against),
    .n_randomised = n_randomised,
    .spearman = g_array_new (FALSE, FALSE, sizeof (double)),
    .ssim = g_array_new (FALSE, FALSE, sizeof (double)),
    .top_iou = g_array_new (FALSE, FALSE, sizeof (double)),
  };

  g_array_append_val (comparisons, comparison);
}

/* Appends @value when it is defined (Spearman's ρ is not for a flat map). */
static void
append_defined (GArray *values,
                double  value)
{
  if (!isnan (value))
    g_array_append_val (values, value);
}

/* @a against @b into @out (COMPARE_DOUBLES). */
static void
compare (const float *a,
         const float *b,
         guint        width,
         guint        height,
         double      *out)
{
  gsize n = (gsize) width * height;

  out[0] = ct_stats_spearman (a, b, NULL, n);
  out[1] = ct_stats_ssim (a, b, width, height, 1.0);
  out[2] = ct_stats_top_iou (a, b, NULL, n, TOP_FRACTION);
}

/* Every rank's comparisons (ct-shard.h: a row of comparisons->len ×
 * COMPARE_DOUBLES per image), gathered and appended to @comparisons in the
 * order of the images, as one process appends them. */
static gboolean
gather_comparisons (const CtShard  *shard,
                    struct CtDist  *dist,
                    GArray         *comparisons,
                    const double   *mine,
                    GError        **error)
{
  guint C = comparisons->len;
  gsize row_doubles = (gsize) C * COMPARE_DOUBLES;
  g_autofree double *all = ct_shard_gather (shard, dist, mine, row_doubles, error);

  if (all == NULL)
    return FALSE;
  for (guint i = 0; i < shard->n_images; i++)
    for (guint c = 0; c < C; c++)
      {
        Comparison *comparison = &g_array_index (comparisons, Comparison, c);
        const double *d = all + i * row_doubles + (gsize) c * COMPARE_DOUBLES;

        append_defined (comparison->spearman, d[0]);
        append_defined (comparison->ssim, d[1]);
        append_defined (comparison->top_iou, d[2]);
      }
  return TRUE;
}

static void
summarise (GArray *values,
           double *out_mean,
           double *out_ci95)
{
  ct_stats_mean_ci95 ((const double *) values->data, values->len, out_mean, out_ci95);
}

/* The maps of @n_images images from @images at @epochs, explaining the
 * true class, per-image min-max scaled, unperturbed. */
static CtGrid *
compute_maps (CtCamSession          *session,
              const CtSanityRequest *request,
              const int             *epochs,
              guint                  n_epochs,
              const guint           *images,
              guint                  n_images,
              GCancellable          *cancellable,
              GError               **error)
{
  CtCamRequest cam = {
    .epochs = epochs,
    .n_epochs = n_epochs,
    .images = images,
    .n_images = n_images,
    .rounds = 1,
    .layer = request->layer,
    .target_rule = CT_TARGET_RULE_LABEL,
    .scale = CT_CAM_SCALE_IMAGE,
    .method = request->method,
  };

  ct_perturb_init (&cam.perturb);
  return ct_cam_session_compute (session, &cam, cancellable, error);
}

/* A temporary run holding the cascade's checkpoints: epoch k takes the top
 * k layer groups from epoch 0 and the rest from the trained epoch. */
typedef struct {
  char      *dir;
  GPtrArray *groups;   /* from the input to the output */
} Cascade;

static void
cascade_clear (Cascade *self)
{
  if (self->dir != NULL)
    {
      g_autoptr(GDir) listing = g_dir_open (self->dir, 0, NULL);
      const char *name;

      while (listing != NULL && (name = g_dir_read_name (listing)) != NULL)
        {
          g_autofree char *path = g_build_filename (self->dir, name, NULL);

          g_unlink (path);
        }
      g_rmdir (self->dir);
      g_clear_pointer (&self->dir, g_free);
    }
  g_clear_pointer (&self->groups, g_ptr_array_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Cascade, cascade_clear)

static gboolean
cascade_make (Cascade     *self,
              const char  *run_dir,
              int          epoch,
              GError     **error)
{
  g_autofree char *trained_path = ct_run_dup_checkpoint_path (run_dir, epoch);
  g_autofree char *initial_path = ct_run_dup_checkpoint_path (run_dir, 0);
  g_autofree char *manifest_path = g_build_filename (run_dir, "manifest.json", NULL);
  g_autofree char *manifest = NULL;
  g_autofree char *copy = NULL;
  g_autofree const char **names = NULL;
  g_autoptr(CtSafetensors) trained = NULL;
  g_autoptr(CtSafetensors) initial = NULL;
  g_autofree CtTensorView *views = NULL;
  guint n;
  gsize length;

  trained = ct_safetensors_load (trained_path, error);
  if (trained == NULL)
    return FALSE;
  initial = ct_safetensors_load (initial_path, error);
  if (initial == NULL)
    return FALSE;
  n = ct_safetensors_get_n_tensors (trained);
  names = g_new (const char *, n);
  views = g_new (CtTensorView, n);
  for (guint i = 0; i < n; i++)
    names[i] = ct_safetensors_get_tensor (trained, i)->name;
  self->groups = ct_sanity_layer_groups (names, n);

  self->dir = g_dir_make_tmp ("camtrail-sanity-XXXXXX", error);
  if (self->dir == NULL)
    return FALSE;
  copy = g_build_filename (self->dir, "manifest.json", NULL);
  if (!g_file_get_contents (manifest_path, &manifest, &length, error) ||
      !g_file_set_contents (copy, manifest, length, error))
    return FALSE;

  for (guint k = 1; k <= self->groups->len; k++)
    {
      g_autofree char *path = ct_run_dup_checkpoint_path (self->dir, k);

      for (guint i = 0; i < n; i++)
        {
          const CtTensorView *view = ct_safetensors_get_tensor (trained, i);
          gboolean randomised = FALSE;

          for (guint g = self->groups->len - k; g < self->groups->len && !randomised; g++)
            randomised = ct_sanity_in_group (view->name, g_ptr_array_index (self->groups, g));
          if (randomised)
            {
              const CtTensorView *other = ct_safetensors_lookup (initial, view->name);

              if (other == NULL || other->n_bytes != view->n_bytes)
                {
                  g_set_error (error, CT_RUN_ERROR, CT_RUN_ERROR_MISMATCH,
                               "%s and %s differ in tensor %s", trained_path, initial_path,
                               view->name);
                  return FALSE;
                }
              view = other;
            }
          views[i] = *view;
        }
      if (!ct_safetensors_save (path, views, n, ct_safetensors_get_metadata_table (trained),
                                error))
        return FALSE;
    }
  return TRUE;
}

CtSanity *
ct_sanity_compute (CtCamSession           *session,
                   const CtSanityRequest  *request,
                   CtSanityProgressFunc    progress,
                   gpointer                user_data,
                   GCancellable           *cancellable,
                   GError                **error)
{
  const CtManifest *manifest = ct_cam_session_get_manifest (session);
  const char *run_dir = ct_cam_session_get_run_dir (session);
  g_autoptr(CtSanity) result = NULL;
  g_autoptr(GArray) images = NULL;
  g_autoptr(GArray) trained_epochs = g_array_new (FALSE, FALSE, sizeof (int));
  g_autoptr(GArray) comparisons = g_array_new (FALSE, TRUE, sizeof (Comparison));
  g_autoptr(GArray) cascade_epochs = g_array_new (FALSE, FALSE, sizeof (int));
  g_autoptr(CtCamSession) cascade_session = NULL;
  g_auto(Cascade) cascade = { NULL, NULL };
  g_autofree double *mine = NULL;
  guint batch_size = request->batch_size > 0 ? request->batch_size : BATCH_SIZE;
  CtShard shard;
  guint n_steps, done = 0;
  int last;

  g_array_set_clear_func (comparisons, comparison_clear);
  for (guint e = 0; e < request->n_epochs; e++)
    if (request->epochs[e] != 0)
      g_array_append_val (trained_epochs, request->epochs[e]);
  if (trained_epochs->len == 0 || request->n_images == 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "a sanity check needs a trained epoch (not only 0) and an image");
      return NULL;
    }
  last = g_array_index (trained_epochs, int, trained_epochs->len - 1);

  if (!cascade_make (&cascade, run_dir, last, error))
    return NULL;
  cascade_session = ct_cam_session_new (cascade.dir, request->data, request->device, error);
  if (cascade_session == NULL)
    return NULL;
  for (guint k = 1; k <= cascade.groups->len; k++)
    {
      int step = k;

      g_array_append_val (cascade_epochs, step);
    }

  for (guint e = 0; e < trained_epochs->len; e++)
    add_comparison (comparisons, g_array_index (trained_epochs, int, e), "epoch 0", 0);
  for (guint k = 1; k <= cascade.groups->len; k++)
    add_comparison (comparisons, last,
                    g_ptr_array_index (cascade.groups, cascade.groups->len - k), k);

  images = ct_cam_session_sample_images (session, request->n_images, request->seed);
  ct_shard_init (&shard, request->dist, images->len, batch_size);
  n_steps = ct_shard_size_of (&shard, shard.rank);
  mine = g_new0 (double, (gsize) ct_shard_room (&shard) * comparisons->len * COMPARE_DOUBLES);
  result = ct_sanity_new ();

  for (guint b = 0; b < ct_shard_n_batches (&shard); b++)
    {
      guint n = ct_shard_batch_count (&shard, b);
      const guint *batch = &g_array_index (images, guint, ct_shard_batch_start (&shard, b));
      g_autoptr(GArray) epochs = g_array_new (FALSE, FALSE, sizeof (int));
      g_autoptr(CtGrid) trained = NULL;
      g_autoptr(CtGrid) randomised = NULL;
      int zero = 0;
      guint last_row;

      if (ct_shard_batch_owner (&shard, b) != shard.rank)
        continue;
      g_array_append_val (epochs, zero);
      g_array_append_vals (epochs, trained_epochs->data, trained_epochs->len);
      trained = compute_maps (session, request, (const int *) epochs->data, epochs->len, batch, n,
                              cancellable, error);
      if (trained == NULL)
        return NULL;
      randomised = compute_maps (cascade_session, request, (const int *) cascade_epochs->data,
                                 cascade_epochs->len, batch, n, cancellable, error);
      if (randomised == NULL)
        return NULL;
      if (result->layer == NULL)
        result->layer = g_strdup (trained->layer);

      last_row = trained_epochs->len;
      for (guint i = 0; i < n; i++)
        {
          const float *untrained = ct_grid_get_cell (trained, 0, i, 0)->heatmap;
          const float *final = ct_grid_get_cell (trained, last_row, i, 0)->heatmap;
          double *out = mine + (gsize) (done + i) * comparisons->len * COMPARE_DOUBLES;

          for (guint e = 0; e < trained_epochs->len; e++)
            compare (untrained, ct_grid_get_cell (trained, 1 + e, i, 0)->heatmap, trained->width,
                     trained->height, out + (gsize) e * COMPARE_DOUBLES);
          for (guint k = 0; k < cascade.groups->len; k++)
            compare (final, ct_grid_get_cell (randomised, k, i, 0)->heatmap, trained->width,
                     trained->height, out + (gsize) (trained_epochs->len + k) * COMPARE_DOUBLES);
        }
      done += n;
      if (progress != NULL)
        progress (done, n_steps, user_data);
    }

  if (!gather_comparisons (&shard, request->dist, comparisons, mine, error))
    return NULL;
  /* A rank without a batch never saw the layer's name. */
  if (result->layer == NULL)
    result->layer = g_strdup (request->layer != NULL ? request->layer : manifest->default_layer);
  result->run_name = g_path_get_basename (run_dir);
  result->arch = g_strdup (manifest->arch);
  result->dataset = g_strdup (manifest->dataset);
  result->method = g_strdup (ct_cam_method_to_string (request->method));
  result->seed = request->seed;
  result->n_images = images->len;
  result->image_indices = g_memdup2 (images->data, images->len * sizeof (guint));
  for (guint c = 0; c < comparisons->len; c++)
    {
      Comparison *comparison = &g_array_index (comparisons, Comparison, c);
      CtSanityRow row = { 0 };

      row.epoch = comparison->epoch;
      row.against = g_strdup (comparison->against);
      row.n_randomised = comparison->n_randomised;
      row.n_images = images->len;
      summarise (comparison->spearman, &row.spearman, &row.spearman_ci95);
      summarise (comparison->ssim, &row.ssim, &row.ssim_ci95);
      summarise (comparison->top_iou, &row.top_iou, &row.top_iou_ci95);
      g_array_append_val (result->rows, row);
    }
  return g_steal_pointer (&result);
}
