/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "ct-robustness-job.h"

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
  guint n_batches;

  if (!validate (request, error))
    return NULL;

  /* Fewer when the test split is smaller than asked. */
  images = ct_cam_session_sample_images (session, request->n_images, request->seed);
  n_batches = (images->len + batch_size - 1) / batch_size;

  perturbations = g_memdup2 (request->perturbations, P * sizeof (CtPerturb));
  labels = g_new0 (char *, P + 1);
  for (guint p = 0; p < P; p++)
    {
      perturbations[p].seed = request->seed;
      labels[p] = ct_robustness_dup_label (&perturbations[p]);
    }
  builder = ct_robustness_builder_new (request->epochs, request->n_epochs,
                                       request->baseline_epoch, perturbations, P);
  report.n_steps = request->n_epochs * n_batches * (1 + P);

  for (guint e = 0; e < request->n_epochs; e++)
    for (guint start = 0; start < images->len; start += batch_size)
      {
        g_autoptr(CtGrid) clean = NULL;
        CtCamRequest cam = {
          .epochs = &request->epochs[e],
          .n_epochs = 1,
          .images = &g_array_index (images, guint, start),
          .n_images = MIN (batch_size, images->len - start),
          .rounds = 1,
          .layer = request->layer,
          .target_rule = request->target_rule,
          .scale = CT_CAM_SCALE_IMAGE,
          .method = request->method,
        };

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
