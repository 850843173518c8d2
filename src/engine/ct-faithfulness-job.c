/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <string.h>

#include "ct-cam.h"
#include "ct-faithfulness-job.h"
#include "ct-image.h"
#include "ct-rng.h"
#include "ct-shard.h"
#include "ct-stats.h"

/* Keeps the random heatmaps' draws apart from every other stream. */
#define STREAM_RANDOM_HEATMAP 0x72616e64u
#define STREAM_ROAD_NOISE     0x726f6164u
#define DEFAULT_STEP_FRACTION 0.02
#define DEFAULT_BATCH_SIZE    64

/* One image's scores of one heatmap, in this order: deletion and
 * insertion AUC, Average Drop, Increase in Confidence, ROAD's MoRF, LeRF
 * and combined. */
#define N_SCORES 7
/* An image's scores as a rank sends them: its method heatmap's, then its
 * random heatmap's. */
#define IMAGE_DOUBLES (2 * N_SCORES)

/* Per-image scores of one kind of heatmap over the epoch's images. */
typedef struct {
  GArray *deletion;
  GArray *insertion;
  GArray *drop;
  GArray *increase;
  GArray *road_morf;
  GArray *road_lerf;
  GArray *road_combined;
} Scores;

static void
scores_init (Scores *self)
{
  self->deletion = g_array_new (FALSE, FALSE, sizeof (double));
  self->insertion = g_array_new (FALSE, FALSE, sizeof (double));
  self->drop = g_array_new (FALSE, FALSE, sizeof (double));
  self->increase = g_array_new (FALSE, FALSE, sizeof (double));
  self->road_morf = g_array_new (FALSE, FALSE, sizeof (double));
  self->road_lerf = g_array_new (FALSE, FALSE, sizeof (double));
  self->road_combined = g_array_new (FALSE, FALSE, sizeof (double));
}

static void
scores_clear (Scores *self)
{
  g_clear_pointer (&self->deletion, g_array_unref);
  g_clear_pointer (&self->insertion, g_array_unref);
  g_clear_pointer (&self->drop, g_array_unref);
  g_clear_pointer (&self->increase, g_array_unref);
  g_clear_pointer (&self->road_morf, g_array_unref);
  g_clear_pointer (&self->road_lerf, g_array_unref);
  g_clear_pointer (&self->road_combined, g_array_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Scores, scores_clear)

/* Appends one image's N_SCORES @values. */
static void
scores_append (Scores       *self,
               const double *values)
{
  g_array_append_val (self->deletion, values[0]);
  g_array_append_val (self->insertion, values[1]);
  g_array_append_val (self->drop, values[2]);
  g_array_append_val (self->increase, values[3]);
  g_array_append_val (self->road_morf, values[4]);
  g_array_append_val (self->road_lerf, values[5]);
  g_array_append_val (self->road_combined, values[6]);
}

static void
mean_ci (GArray *values,
         double *out_mean,
         double *out_ci95)
{
  ct_stats_mean_ci95 ((const double *) values->data, values->len, out_mean, out_ci95);
}

static void
add_row (CtFaithfulness *result,
         int             epoch,
         const char     *heatmap,
         Scores         *scores)
{
  CtFaithfulnessRow row = { 0 };

  row.epoch = epoch;
  row.heatmap = g_strdup (heatmap);
  row.n_images = scores->deletion->len;
  mean_ci (scores->deletion, &row.deletion, &row.deletion_ci95);
  mean_ci (scores->insertion, &row.insertion, &row.insertion_ci95);
  mean_ci (scores->drop, &row.average_drop, &row.average_drop_ci95);
  mean_ci (scores->increase, &row.increase, &row.increase_ci95);
  mean_ci (scores->road_morf, &row.road_morf, &row.road_morf_ci95);
  mean_ci (scores->road_lerf, &row.road_lerf, &row.road_lerf_ci95);
  mean_ci (scores->road_combined, &row.road_combined, &row.road_combined_ci95);
  g_array_append_val (result->rows, row);
}

/* ROAD's image for threshold @t (most relevant first for even @t): the
 * pixels ranked above the percentile imputed, plus noise of σ @noise in
 * normalised units drawn from (seed, image, t), the same for every
 * heatmap of the image. */
static void
road_image (const float      *image,
            const float      *heatmap,
            const CtManifest *manifest,
            guint             channels,
            guint             width,
            guint             height,
            guint             t,
            double            noise,
            guint64           seed,
            guint             image_index,
            guint8           *keep,
            float            *out)
{
  gsize n_pixels = (gsize) width * height;
  CtRng rng;

  ct_road_keep (heatmap, n_pixels, ct_road_percentile_at (t / 2), t % 2 == 0, keep);
  ct_road_impute (image, manifest->mean, channels, width, height, keep, out);
  if (noise <= 0)
    return;
  ct_rng_init (&rng, seed, image_index, STREAM_ROAD_NOISE, t);
  for (guint c = 0; c < channels; c++)
    for (gsize p = 0; p < n_pixels; p++)
      if (!keep[p])
        out[c * n_pixels + p] += (float) (noise * manifest->std[c] * ct_rng_normal (&rng));
}

/* Scores one image's @heatmap for class @c into @out (N_SCORES): the
 * deletion and insertion curves, the explanation map and ROAD's images go
 * through the model in one batch. */
static gboolean
score_heatmap (CtCamSession                *session,
               int                          epoch,
               const CtManifest            *manifest,
               const CtFaithfulnessRequest *request,
               guint                        image_index,
               const float                 *image,
               const float                 *baseline,
               const float                 *heatmap,
               guint                        channels,
               guint                        width,
               guint                        height,
               gsize                        step,
               guint                        n_steps,
               int                          c,
               double                       y,
               double                      *out,
               GError                     **error)
{
  gsize n_pixels = (gsize) width * height;
  gsize values = channels * n_pixels;
  guint n_points = n_steps + 1;
  guint n_road = 2 * CT_ROAD_N_PERCENTILES;
  guint n_passes = 2 * n_points + 1 + n_road;
  g_autofree guint8 *keep = g_new (guint8, n_pixels);
  double morf = 0, lerf = 0;
  guint K = manifest->n_classes;
  g_autofree guint *order = g_new (guint, n_pixels);
  g_autofree float *batch = g_new (float, (gsize) n_passes * values);
  g_autofree float *logits = g_new (float, (gsize) n_passes * K);
  g_autofree float *probabilities = g_new (float, K);
  g_autofree double *deletion = g_new (double, n_points);
  g_autofree double *insertion = g_new (double, n_points);
  double o;

  ct_faithfulness_order (heatmap, n_pixels, order);
  for (guint k = 0; k < n_points; k++)
    {
      ct_faithfulness_blend (image, baseline, channels, n_pixels, order, k * step,
                             batch + (gsize) k * values);
      ct_faithfulness_blend (baseline, image, channels, n_pixels, order, k * step,
                             batch + (gsize) (n_points + k) * values);
    }
  ct_faithfulness_cam_mult (image, channels, n_pixels, heatmap,
                            batch + (gsize) (2 * n_points) * values);
  for (guint t = 0; t < n_road; t++)
    road_image (image, heatmap, manifest, channels, width, height, t, request->road_noise,
                request->seed, image_index, keep,
                batch + (gsize) (2 * n_points + 1 + t) * values);
  ct_image_normalize (batch, n_passes, channels, n_pixels, manifest->mean, manifest->std);
  if (!ct_cam_session_forward (session, epoch, batch, n_passes, logits, error))
    return FALSE;

  for (guint k = 0; k < n_points; k++)
    {
      ct_softmax (logits + (gsize) k * K, K, probabilities);
      deletion[k] = probabilities[c];
      ct_softmax (logits + (gsize) (n_points + k) * K, K, probabilities);
      insertion[k] = probabilities[c];
    }
  ct_softmax (logits + (gsize) (2 * n_points) * K, K, probabilities);
  o = probabilities[c];
  for (guint t = 0; t < n_road; t++)
    {
      ct_softmax (logits + (gsize) (2 * n_points + 1 + t) * K, K, probabilities);
      /* ROAD's score: the probability after imputation minus before. */
      if (t % 2 == 0)
        morf += (probabilities[c] - y) / CT_ROAD_N_PERCENTILES;
      else
        lerf += (probabilities[c] - y) / CT_ROAD_N_PERCENTILES;
    }

  out[0] = ct_faithfulness_auc (deletion, n_points);
  out[1] = ct_faithfulness_auc (insertion, n_points);
  out[2] = ct_faithfulness_drop (y, o);
  out[3] = ct_faithfulness_increase (y, o);
  out[4] = morf;
  out[5] = lerf;
  out[6] = (lerf - morf) / 2;
  return TRUE;
}

/* Every rank's scores (ct-shard.h: a row of n_epochs × IMAGE_DOUBLES per
 * image), gathered and appended to each epoch's rows in the order of the
 * images, as one process appends them, so the means and intervals sum the
 * same numbers in the same order. */
static gboolean
gather_rows (CtFaithfulness               *result,
             const CtFaithfulnessRequest  *request,
             const CtShard                *shard,
             const double                 *mine,
             GError                      **error)
{
  gsize row_doubles = (gsize) request->n_epochs * IMAGE_DOUBLES;
  const char *method = ct_cam_method_to_string (request->method);
  g_autofree double *all = ct_shard_gather (shard, request->dist, mine, row_doubles, error);

  if (all == NULL)
    return FALSE;
  for (guint e = 0; e < request->n_epochs; e++)
    {
      g_auto(Scores) method_scores = { 0 };
      g_auto(Scores) random_scores = { 0 };

      scores_init (&method_scores);
      scores_init (&random_scores);
      for (guint i = 0; i < shard->n_images; i++)
        {
          const double *values = all + i * row_doubles + (gsize) e * IMAGE_DOUBLES;

          scores_append (&method_scores, values);
          scores_append (&random_scores, values + N_SCORES);
        }
      add_row (result, request->epochs[e], method, &method_scores);
      add_row (result, request->epochs[e], "random", &random_scores);
    }
  return TRUE;
}

CtFaithfulness *
ct_faithfulness_compute (CtCamSession                 *session,
                         const CtFaithfulnessRequest  *request,
                         CtFaithfulnessProgressFunc    progress,
                         gpointer                      user_data,
                         GCancellable                 *cancellable,
                         GError                      **error)
{
  const CtManifest *manifest = ct_cam_session_get_manifest (session);
  const CtSplit *test = &ct_cam_session_get_dataset (session)->test;
  guint channels = test->channels;
  gsize n_pixels = (gsize) test->height * test->width;
  double step_fraction = request->step_fraction > 0 ? request->step_fraction
                                                    : DEFAULT_STEP_FRACTION;
  guint batch_size = request->batch_size > 0 ? request->batch_size : DEFAULT_BATCH_SIZE;
  gsize step = ct_faithfulness_step (n_pixels, step_fraction);
  guint n_steps = ct_faithfulness_n_steps (n_pixels, step);
  g_autoptr(CtFaithfulness) result = NULL;
  g_autoptr(GArray) images = NULL;
  g_autofree float *baseline = g_new (float, channels * n_pixels);
  g_autofree float *random = g_new (float, n_pixels);
  g_autofree double *mine = NULL;
  const char *method = ct_cam_method_to_string (request->method);
  CtShard shard;
  guint n_mine;

  if (request->n_epochs == 0 || request->n_images == 0 || !(step_fraction <= 1))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "a faithfulness study needs an epoch, an image and a step in (0, 1]");
      return NULL;
    }

  images = ct_cam_session_sample_images (session, request->n_images, request->seed);

  result = ct_faithfulness_new ();
  result->run_name = g_path_get_basename (ct_cam_session_get_run_dir (session));
  result->arch = g_strdup (manifest->arch);
  result->dataset = g_strdup (manifest->dataset);
  result->method = g_strdup (method);
  result->target_rule = g_strdup ("predicted");
  result->baseline = request->baseline;
  result->step_fraction = step_fraction;
  result->road_noise = request->road_noise;
  result->seed = request->seed;
  result->n_images = images->len;
  result->image_indices = g_memdup2 (images->data, images->len * sizeof (guint));

  ct_shard_init (&shard, request->dist, images->len, batch_size);
  n_mine = ct_shard_size_of (&shard, shard.rank);
  mine = g_new0 (double, (gsize) ct_shard_room (&shard) * request->n_epochs * IMAGE_DOUBLES);

  for (guint e = 0; e < request->n_epochs; e++)
    {
      int epoch = request->epochs[e];
      guint done = 0;

      for (guint b = 0; b < ct_shard_n_batches (&shard); b++)
        {
          g_autoptr(CtGrid) grid = NULL;
          CtCamRequest cam = {
            .epochs = &epoch,
            .n_epochs = 1,
            .images = &g_array_index (images, guint, ct_shard_batch_start (&shard, b)),
            .n_images = ct_shard_batch_count (&shard, b),
            .rounds = 1,
            .layer = request->layer,
            .target_rule = CT_TARGET_RULE_PREDICTED,
            .scale = CT_CAM_SCALE_IMAGE,
            .method = request->method,
          };

          if (ct_shard_batch_owner (&shard, b) != shard.rank)
            continue;
          ct_perturb_init (&cam.perturb);
          grid = ct_cam_session_compute (session, &cam, cancellable, error);
          if (grid == NULL)
            return NULL;
          if (result->layer == NULL)
            result->layer = g_strdup (grid->layer);

          for (guint i = 0; i < cam.n_images; i++)
            {
              const CtGridCell *cell = ct_grid_get_cell (grid, 0, i, 0);
              const float *image = ct_grid_get_image (grid, i, 0);
              double *scores = mine + ((gsize) (done + i) * request->n_epochs + e) * IMAGE_DOUBLES;
              CtRng rng;

              if (g_cancellable_set_error_if_cancelled (cancellable, error))
                return NULL;
              ct_rng_init (&rng, request->seed, cam.images[i], STREAM_RANDOM_HEATMAP, 0);
              for (gsize p = 0; p < n_pixels; p++)
                random[p] = (float) ct_rng_uniform (&rng);
              ct_faithfulness_baseline (request->baseline, image, manifest->mean, channels,
                                        test->width, test->height, baseline);
              if (!score_heatmap (session, epoch, manifest, request, cam.images[i], image,
                                  baseline, cell->heatmap, channels, test->width, test->height,
                                  step, n_steps, cell->predicted, cell->probability,
                                  scores, error) ||
                  !score_heatmap (session, epoch, manifest, request, cam.images[i], image,
                                  baseline, random, channels, test->width, test->height, step,
                                  n_steps, cell->predicted, cell->probability,
                                  scores + N_SCORES, error))
                return NULL;
            }
          done += cam.n_images;
          if (progress != NULL)
            progress (epoch, done, n_mine, user_data);
        }
    }

  if (!gather_rows (result, request, &shard, mine, error))
    return NULL;
  /* A rank without a batch never saw the layer's name. */
  if (result->layer == NULL)
    result->layer = g_strdup (request->layer != NULL ? request->layer : manifest->default_layer);
  return g_steal_pointer (&result);
}
