/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "ct-robustness-job.h"

#include <stdlib.h>

#include "ct-shard.h"

/* Images per Grad-CAM call: a whole test sample at once would hold every
 * activation of N × rounds images in memory. */
#define DEFAULT_BATCH 64

static gboolean
validate (const CtRobustnessRequest  *request,
          GError                    **error)
{
  gboolean has_baseline = FALSE;

  if (request->n_epochs == 0 || request->n_perturbations == 0 ||
      request->n_images == 0 || request->rounds == 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "a robustness study needs at least one epoch, perturbation, image and round");
      return FALSE;
    }
  for (guint e = 0; e < request->n_epochs; e++)
    has_baseline |= request->epochs[e] == request->baseline_epoch;
  if (!has_baseline)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "the baseline epoch %d is not among the epochs studied",
                   request->baseline_epoch);
      return FALSE;
    }
  if (request->target_rule != CT_TARGET_RULE_PREDICTED &&
      request->target_rule != CT_TARGET_RULE_LABEL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "a robustness study explains the predicted class or the label");
      return FALSE;
    }
  for (guint p = 0; p < request->n_perturbations; p++)
    if (ct_perturb_is_identity (&request->perturbations[p]))
      {
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                     "perturbation %u changes nothing", p + 1);
        return FALSE;
      }
  return TRUE;
}

/* What a rank sends of each of its images (a row, ct-shard.h): per epoch
 * its clean verdict, then per epoch × perturbation × round its sample as
 * six doubles. */
#define SAMPLE_DOUBLES 6

static gsize
row_doubles (const CtRobustnessRequest *request)
{
  guint E = request->n_epochs, P = request->n_perturbations, R = request->rounds;

  return E + (gsize) E * P * R * SAMPLE_DOUBLES;
}

static void
pack_rows (const CtRobustness        *local,
           const CtRobustnessRequest *request,
           double                    *out)
{
  guint E = local->n_epochs, P = local->n_perturbations, R = request->rounds;
  gsize size = row_doubles (request);

  for (guint i = 0; i < local->n_clean; i++)
    {
      double *row = out + i * size;

      for (guint e = 0; e < E; e++)
        row[e] = local->clean_correct[(gsize) e * local->n_clean + i];
      for (gsize r = 0; r < (gsize) E * P; r++)
        for (guint k = 0; k < R; k++)
          {
            const CtRobustnessSample *sample =
              &local->samples[r * local->n_row_samples + (gsize) i * R + k];
            double *d = row + E + (r * R + k) * SAMPLE_DOUBLES;

            d[0] = sample->correct ? 1.0 : 0.0;
            d[1] = sample->confidence_drop;
            d[2] = sample->max_prob_drop;
            d[3] = sample->pearson;
            d[4] = sample->spearman;
            d[5] = sample->top_iou;
          }
    }
}

/* Every rank's rows, added to @builder batch by batch in the order one
 * process adds them, so the statistics sum the same numbers in the same
 * order. */
static gboolean
gather_rows (const CtShard             *shard,
             CtRobustnessBuilder       *builder,
             const CtRobustness        *local,
             const CtRobustnessRequest *request,
             GError                   **error)
{
  guint E = request->n_epochs, P = request->n_perturbations, R = request->rounds;
  gsize size = row_doubles (request);
  g_autofree double *mine = g_new0 (double, MAX (ct_shard_room (shard) * size, 1));
  g_autofree double *all = NULL;

  if (local != NULL)
    pack_rows (local, request, mine);
  all = ct_shard_gather (shard, request->dist, mine, size, error);
  if (all == NULL)
    return FALSE;

  for (guint b = 0; b < ct_shard_n_batches (shard); b++)
    {
      guint count = ct_shard_batch_count (shard, b);
      const double *rows = all + ct_shard_batch_start (shard, b) * size;

      for (guint e = 0; e < E; e++)
        {
          g_autofree gboolean *clean = g_new (gboolean, count);
          g_autofree CtRobustnessSample *samples = g_new (CtRobustnessSample, (gsize) count * R);

          for (guint i = 0; i < count; i++)
            clean[i] = rows[i * size + e] != 0.0;
          for (guint p = 0; p < P; p++)
            {
              for (guint i = 0; i < count; i++)
                for (guint k = 0; k < R; k++)
                  {
                    const double *d = rows + i * size + E
                                      + (((gsize) e * P + p) * R + k) * SAMPLE_DOUBLES;
                    CtRobustnessSample *sample = &samples[(gsize) i * R + k];

                    sample->correct = d[0] != 0.0;
                    sample->confidence_drop = d[1];
                    sample->max_prob_drop = d[2];
                    sample->pearson = d[3];
                    sample->spearman = d[4];
                    sample->top_iou = d[5];
                  }
              ct_robustness_builder_add_samples (builder, e, p, clean, count, samples, count * R);
            }
        }
    }
  return TRUE;
}

CtRobustness *
ct_robustness_compute (CtCamSession               *session,
                       const CtRobustnessRequest  *request,
                       CtRobustnessProgressFunc    progress,
                       gpointer                    user_data,
                       GCancellable               *cancellable,
                       GError                    **error)
{
  const CtManifest *manifest = ct_cam_session_get_manifest (session);
  guint P = request->n_perturbations;
  guint batch_size = request->batch_size > 0 ? request->batch_size : DEFAULT_BATCH;
  g_autoptr(GArray) images = NULL;
  g_autofree CtPerturb *perturbations = NULL;
  g_auto(GStrv) labels = NULL;
  g_autoptr(CtRobustnessBuilder) builder = NULL;
  g_autoptr(GTimer) timer = g_timer_new ();
  g_autofree char *layer = NULL;
  CtRobustnessProgress report = { 0 };
  CtRobustness *result;
  CtShard shard;
  guint my_batches;

  if (!validate (request, error))
    return NULL;

  /* Fewer when the test split is smaller than asked. */
  images = ct_cam_session_sample_images (session, request->n_images, request->seed);
  ct_shard_init (&shard, request->dist, images->len, batch_size);

  perturbations = g_memdup2 (request->perturbations, P * sizeof (CtPerturb));
  labels = g_new0 (char *, P + 1);
  for (guint p = 0; p < P; p++)
    {
      perturbations[p].seed = request->seed;
      labels[p] = ct_robustness_dup_label (&perturbations[p]);
    }
  builder = ct_robustness_builder_new (request->epochs, request->n_epochs,
                                       request->baseline_epoch, perturbations, P);
  my_batches = ct_shard_n_batches_of (&shard, shard.rank);
  report.n_steps = request->n_epochs * my_batches * (1 + P);

  for (guint e = 0; e < request->n_epochs; e++)
    for (guint b = 0; b < ct_shard_n_batches (&shard); b++)
      {
        g_autoptr(CtGrid) clean = NULL;
        CtCamRequest cam = {
          .epochs = &request->epochs[e],
          .n_epochs = 1,
          .images = &g_array_index (images, guint, ct_shard_batch_start (&shard, b)),
          .n_images = ct_shard_batch_count (&shard, b),
          .rounds = 1,
          .layer = request->layer,
          .target_rule = request->target_rule,
          .scale = CT_CAM_SCALE_IMAGE,
          .method = request->method,
        };

        if (ct_shard_batch_owner (&shard, b) != shard.rank)
          continue;
        report.epoch = request->epochs[e];
        ct_perturb_init (&cam.perturb);
        clean = ct_cam_session_compute (session, &cam, cancellable, error);
        if (clean == NULL)
          return NULL;
        if (layer == NULL)
          layer = g_strdup (clean->layer);
        report.step++;
        report.perturbation = "clean";
        report.seconds = g_timer_elapsed (timer, NULL);
        if (progress != NULL)
          progress (&report, user_data);

        for (guint p = 0; p < P; p++)
          {
            g_autoptr(CtGrid) perturbed = NULL;

            cam.perturb = perturbations[p];
            cam.rounds = request->rounds;
            perturbed = ct_cam_session_compute (session, &cam, cancellable, error);
            if (perturbed == NULL)
              return NULL;
            ct_robustness_builder_add (builder, e, p, clean, perturbed);
            report.step++;
            report.perturbation = labels[p];
            report.seconds = g_timer_elapsed (timer, NULL);
            if (progress != NULL)
              progress (&report, user_data);
          }
      }

  if (shard.world > 1)
    {
      /* This rank's samples, then everyone's in one process's order. */
      g_autoptr(CtRobustness) local = my_batches > 0 ? ct_robustness_builder_finish (builder)
                                                     : NULL;

      g_clear_pointer (&builder, ct_robustness_builder_free);
      builder = ct_robustness_builder_new (request->epochs, request->n_epochs,
                                           request->baseline_epoch, perturbations, P);
      if (!gather_rows (&shard, builder, local, request, error))
        return NULL;
      /* A rank without a batch never saw the layer's name. */
      if (layer == NULL)
        layer = g_strdup (request->layer != NULL ? request->layer : manifest->default_layer);
    }

  result = ct_robustness_builder_finish (builder);
  result->run_name = g_path_get_basename (ct_cam_session_get_run_dir (session));
  result->arch = g_strdup (manifest->arch);
  result->dataset = g_strdup (manifest->dataset);
  result->layer = g_steal_pointer (&layer);
  result->method = g_strdup (ct_cam_method_to_string (request->method));
  result->target_rule = ct_target_rule_to_string (request->target_rule, 0, NULL);
  result->seed = request->seed;
  result->n_images = images->len;
  result->n_rounds = request->rounds;
  result->image_indices = g_memdup2 (images->data, images->len * sizeof (guint));
  return result;
}
