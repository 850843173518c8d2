/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "ct-cam-job.h"
#include "ct-checkpoint.h"
#include "ct-faithfulness-job.h"
#include "ct-image.h"
#include "ct-import.h"
#include "ct-robustness-job.h"
#include "ct-rng.h"
#include "ct-sanity-job.h"
#include "ct-stats.h"
#include "ct-safetensors.h"
#include "ct-test-data.h"
#include "ct-test-train.h"
#include "ct-torch-glib.h"
#include "ct-train.h"

/* The engine end to end on a tiny learnable dataset in the real CIFAR-10
 * layout: runs on disk, resume, refusals, and CAM grids over checkpoints. */

static char *tmpdir;
static char *data_dir;

/* One trained run shared by the tests that only read it. */
static const char *
trained_run (void)
{
  return ct_test_trained_run (tmpdir, data_dir);
}

static void
test_train_writes_run (void)
{
  const char *run = trained_run ();
  g_autoptr(GError) error = NULL;
  g_autoptr(CtManifest) manifest = ct_manifest_load (run, &error);
  g_autoptr(GArray) metrics = ct_metrics_load (run, &error);
  g_autoptr(GArray) epochs = ct_run_list_checkpoints (run, &error);
  g_autofree char *last = ct_run_dup_checkpoint_path (run, 3);
  g_autoptr(CtSafetensors) file = ct_safetensors_load (last, &error);
  const CtEpochMetrics *final;

  g_assert_no_error (error);
  g_assert_cmpstr (manifest->arch, ==, "camtrail_net");
  g_assert_cmpstr (manifest->dataset, ==, "cifar-10");
  g_assert_cmpint (manifest->n_classes, ==, 4);
  g_assert_cmpstr (manifest->classes[3], ==, "white");
  g_assert_cmpint (manifest->channels, ==, 3);
  g_assert_cmpint (manifest->image_size, ==, 32);
  g_assert_cmpuint (manifest->train_images, ==, 512);
  g_assert_cmpuint (manifest->n_layers, >=, 2);
  g_assert_nonnull (manifest->default_layer);
  g_assert_true (manifest->mean[0] > 0.1f && manifest->mean[0] < 0.5f);

  g_assert_cmpuint (epochs->len, ==, 4);
  for (guint i = 0; i < 4; i++)
    g_assert_cmpint (g_array_index (epochs, int, i), ==, (int) i);

  g_assert_cmpuint (metrics->len, ==, 4);
  g_assert_cmpint (g_array_index (metrics, CtEpochMetrics, 0).epoch, ==, 0);
  g_assert_true (isnan (g_array_index (metrics, CtEpochMetrics, 0).train_loss));
  final = &g_array_index (metrics, CtEpochMetrics, 3);
  g_assert_cmpint (final->epoch, ==, 3);
  g_assert_cmpfloat (final->test_accuracy, >=, 0.8);
  g_assert_cmpfloat (final->seconds, >, 0.0);

  g_assert_cmpstr (ct_safetensors_get_metadata (file, "epoch"), ==, "3");
  g_assert_cmpstr (ct_safetensors_get_metadata (file, "arch"), ==, "camtrail_net");
  g_assert_nonnull (ct_safetensors_lookup (file, "head.fc.weight"));
}

static void
collect_saved_cb (const CtTrainReport *report,
                  gpointer             user_data)
{
  GArray *reported = user_data;

  /* EVALUATING reports come while each checkpoint is measured. */
  if (report->stage != CT_TRAIN_STAGE_SAVED)
    return;
  g_assert_nonnull (report->metrics);
  g_assert_cmpint (report->metrics->epoch, ==, report->epoch);
  g_array_append_val (reported, *report->metrics);
}

/* eval (ct_train_reevaluate()): every checkpoint in epoch order, each
 * reported as it is measured, with the test accuracy and loss the training
 * recorded for it in metrics.jsonl (the same weights on the same images). */
static void
test_train_reevaluate (void)
{
  const char *run = trained_run ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) recorded = ct_metrics_load (run, &error);
  g_autoptr(GArray) reported = g_array_new (FALSE, FALSE, sizeof (CtEpochMetrics));
  g_autoptr(GArray) measured = NULL;

  g_assert_no_error (error);
  measured = ct_train_reevaluate (run, NULL, collect_saved_cb, reported, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (measured);
  g_assert_cmpuint (measured->len, ==, 4);
  g_assert_cmpuint (reported->len, ==, 4);
  for (guint i = 0; i < 4; i++)
    {
      const CtEpochMetrics *m = &g_array_index (measured, CtEpochMetrics, i);
      const CtEpochMetrics *r = &g_array_index (reported, CtEpochMetrics, i);
      const CtEpochMetrics *then = &g_array_index (recorded, CtEpochMetrics, i);

      g_assert_cmpint (m->epoch, ==, (int) i);
      g_assert_cmpint (r->epoch, ==, (int) i);
      g_assert_cmpfloat (r->test_accuracy, ==, m->test_accuracy);
      g_assert_cmpfloat_with_epsilon (m->test_accuracy, then->test_accuracy, 1e-6);
      g_assert_cmpfloat_with_epsilon (m->test_loss, then->test_loss, 1e-4);
    }
}

static void
cancel_in_epoch_2_cb (const CtTrainReport *report,
                      gpointer             user_data)
{
  if (report->stage == CT_TRAIN_STAGE_TRAINING && report->epoch == 2 && report->batch->batch == 3)
    g_cancellable_cancel (user_data);
}

static void
test_resume_matches_uninterrupted (void)
{
  g_autofree char *straight = g_build_filename (tmpdir, "straight", NULL);
  g_autofree char *resumed = g_build_filename (tmpdir, "resumed", NULL);
  g_autofree char *a = ct_run_dup_checkpoint_path (straight, 2);
  g_autofree char *b = ct_run_dup_checkpoint_path (resumed, 2);
  g_autofree char *b1 = ct_run_dup_checkpoint_path (resumed, 1);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) metrics = NULL;
  CtTrainOptions options;

  ct_test_tiny_options (&options, data_dir, straight, 2);
  g_assert_true (ct_train_run (&options, NULL, NULL, NULL, &error));
  g_assert_no_error (error);

  /* Killed in the middle of epoch 2: epoch 1 is the last checkpoint. */
  ct_test_tiny_options (&options, data_dir, resumed, 2);
  g_assert_false (ct_train_run (&options, cancel_in_epoch_2_cb, cancellable, cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  g_assert_true (g_file_test (b1, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (b, G_FILE_TEST_EXISTS));

  /* Running again without --resume refuses to overwrite the run. */
  g_assert_false (ct_train_run (&options, NULL, NULL, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS);
  g_clear_error (&error);

  options.resume = TRUE;
  g_assert_true (ct_train_run (&options, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  ct_test_assert_same_weights (a, b);

  metrics = ct_metrics_load (resumed, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (metrics->len, ==, 3);
}

static CtModel *
new_model (const char *arch,
           int         width,
           int         n_classes)
{
  CtModelConfig config = { arch, 3, n_classes, 32, 0, width, 1 };
  CtModel *model = NULL;
  char *message = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (ct_torch_check (ct_model_new (&config, &model, &message), message, &error));
  return model;
}

static void
test_refuses_other_architecture (void)
{
  g_autofree char *path = ct_run_dup_checkpoint_path (trained_run (), 3);
  g_autoptr(GError) error = NULL;
  CtModel *wider = new_model ("camtrail_net", 16, 4);
  CtModel *more_classes = new_model ("camtrail_net", 8, 10);
  CtModel *resnet = new_model ("resnet18", 0, 4);

  g_assert_false (ct_checkpoint_load (wider, path, "camtrail_net", &error));
  g_assert_error (error, CT_TORCH_ERROR, CT_TORCH_ERROR_MISMATCH);
  g_assert_nonnull (strstr (error->message, path));
  g_clear_error (&error);

  g_assert_false (ct_checkpoint_load (more_classes, path, "camtrail_net", &error));
  g_assert_error (error, CT_TORCH_ERROR, CT_TORCH_ERROR_MISMATCH);
  g_clear_error (&error);

  g_assert_false (ct_checkpoint_load (resnet, path, "resnet18", &error));
  g_assert_error (error, CT_TORCH_ERROR, CT_TORCH_ERROR_MISMATCH);
  g_assert_nonnull (strstr (error->message, "camtrail_net"));
  g_clear_error (&error);

  /* Without the metadata check the shim still refuses by tensor names. */
  g_assert_false (ct_checkpoint_load (resnet, path, NULL, &error));
  g_assert_error (error, CT_TORCH_ERROR, CT_TORCH_ERROR_MISMATCH);

  ct_model_free (wider);
  ct_model_free (more_classes);
  ct_model_free (resnet);
}

static gboolean
is_classifier (const char *name)
{
  return g_strcmp0 (name, "head.fc.weight") == 0;
}

/* train --init (ct-checkpoint.h): from a checkpoint of 4 classes into a
 * model of 10, every tensor but the classifier (camtrail_net's is
 * head.fc.weight alone, without a bias) is the file's and the classifier
 * keeps the model's own fresh weights; into a model of 4, every tensor is the
 * file's.  The message counts the file's tensors loaded; the source names
 * the file and its SHA-256. */
static void
test_checkpoint_init (void)
{
  g_autofree char *path = ct_run_dup_checkpoint_path (trained_run (), 3);
  g_autoptr(GError) error = NULL;
  g_autoptr(CtSafetensors) file = ct_safetensors_load (path, &error);
  g_autofree char *contents = NULL;
  g_autofree char *sha256 = NULL;
  g_autoptr(GHashTable) fresh = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                       (GDestroyNotify) g_bytes_unref);
  gsize length;
  guint n_file;

  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (path, &contents, &length, &error));
  sha256 = g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *) contents, length);
  n_file = ct_safetensors_get_n_tensors (file);
  g_assert_nonnull (ct_safetensors_lookup (file, "head.fc.weight"));
  g_assert_null (ct_safetensors_lookup (file, "head.fc.bias"));

  for (int n_classes = 10; n_classes >= 4; n_classes -= 6)
    {
      CtModel *model = new_model ("camtrail_net", 8, n_classes);
      g_autofree char *message = NULL;
      g_autofree char *expected = NULL;
      g_autoptr(CtRunSource) source = NULL;
      guint n_classifier = 0;

      g_hash_table_remove_all (fresh);
      for (size_t i = 0; i < ct_model_get_n_tensors (model); i++)
        {
          CtTorchTensor tensor;
          char *torch_message = NULL;

          g_assert_true (ct_torch_check (ct_model_get_tensor (model, i, &tensor, &torch_message),
                                         torch_message, &error));
          g_hash_table_insert (fresh, g_strdup (tensor.name),
                               g_bytes_new (tensor.data, tensor.n_bytes));
        }

      g_assert_true (ct_checkpoint_load_init (model, "camtrail_net", path, &message, &source,
                                              &error));
      g_assert_no_error (error);
      if (n_classes == 10)
        expected = g_strdup_printf ("loaded %u tensors, new classifier 4 → 10 classes", n_file - 1);
      else
        expected = g_strdup_printf ("loaded %u tensors", n_file);
      g_assert_cmpstr (message, ==, expected);
      g_assert_cmpstr (source->file, ==, "epoch-003.safetensors");
      g_assert_cmpstr (source->sha256, ==, sha256);

      g_assert_cmpuint (ct_model_get_n_tensors (model), ==, n_file);
      for (size_t i = 0; i < ct_model_get_n_tensors (model); i++)
        {
          CtTorchTensor tensor;
          char *torch_message = NULL;
          GBytes *before;

          g_assert_true (ct_torch_check (ct_model_get_tensor (model, i, &tensor, &torch_message),
                                         torch_message, &error));
          if (n_classes == 10 && is_classifier (tensor.name))
            {
              before = g_hash_table_lookup (fresh, tensor.name);
              g_assert_cmpmem (tensor.data, tensor.n_bytes, g_bytes_get_data (before, NULL),
                               g_bytes_get_size (before));
              n_classifier++;
            }
          else
            {
              const CtTensorView *view = ct_safetensors_lookup (file, tensor.name);

              g_assert_nonnull (view);
              g_assert_cmpmem (tensor.data, tensor.n_bytes, view->data, view->n_bytes);
            }
        }
      g_assert_cmpuint (n_classifier, ==, n_classes == 10 ? 1 : 0);
      ct_model_free (model);
    }
}

static void
test_nan_loss_keeps_run (void)
{
  g_autofree char *run = g_build_filename (tmpdir, "diverging", NULL);
  g_autofree char *first = ct_run_dup_checkpoint_path (run, 1);
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) epochs = NULL;
  g_autoptr(GDir) dir = NULL;
  const char *name;
  CtTrainOptions options;

  ct_test_tiny_options (&options, data_dir, run, 2);
  options.hyper.lr = 1e12;
  g_assert_false (ct_train_run (&options, NULL, NULL, NULL, &error));
  g_assert_error (error, CT_TORCH_ERROR, CT_TORCH_ERROR_NOT_FINITE);
  g_assert_nonnull (strstr (error->message, "epoch 1"));
  g_clear_error (&error);

  epochs = ct_run_list_checkpoints (run, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (epochs->len, ==, 1);
  g_assert_false (g_file_test (first, G_FILE_TEST_EXISTS));

  /* Nothing half-written is left behind. */
  dir = g_dir_open (run, 0, &error);
  g_assert_no_error (error);
  while ((name = g_dir_read_name (dir)) != NULL)
    g_assert_true (g_str_equal (name, "manifest.json") || g_str_equal (name, "metrics.jsonl") ||
                   g_str_equal (name, "epoch-000.safetensors"));
}

static void
test_cam_grid (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CtCamSession) session = ct_cam_session_new (trained_run (), NULL, NULL, &error);
  g_autoptr(CtGrid) clean = NULL;
  g_autoptr(CtGrid) noisy = NULL;
  const int epochs[] = { 0, 3 };
  const guint images[] = { 0, 1, 2, 7 };
  gsize map = 32 * 32;
  CtCamRequest request = { 0 };

  g_assert_no_error (error);
  request.epochs = epochs;
  request.n_epochs = G_N_ELEMENTS (epochs);
  request.images = images;
  request.n_images = G_N_ELEMENTS (images);
  request.rounds = 3;
  ct_perturb_init (&request.perturb);

  clean = ct_cam_session_compute (session, &request, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (clean->n_rows, ==, 2);
  g_assert_cmpmem (clean->epochs, 2 * sizeof (int), epochs, sizeof epochs);
  g_assert_cmpmem (clean->image_indices, 4 * sizeof (guint), images, sizeof images);
  /* Unperturbed, each column shows its test image as it is, in [0, 1]. */
  for (guint i = 0; i < 4; i++)
    {
      const CtSplit *test = &ct_cam_session_get_dataset (session)->test;
      const guint8 *pixels = ct_split_image (test, images[i]);
      const float *shown = ct_grid_get_image (clean, i, 0);

      for (gsize p = 0; p < 3 * map; p++)
        g_assert_cmpfloat_with_epsilon (shown[p], pixels[p] / 255.0f, 1e-6);
    }
  g_assert_cmpuint (clean->n_rounds, ==, 1);
  g_assert_cmpint (clean->labels[3], ==, 3);
  for (guint row = 0; row < 2; row++)
    for (guint i = 0; i < 4; i++)
      {
        CtGridCell *cell = ct_grid_get_cell (clean, row, i, 0);
        float lo = 1, hi = 0;

        g_assert_cmpfloat (cell->confidence_drop, ==, 0.0f);
        g_assert_cmpint (cell->predicted, ==, cell->clean_predicted);
        g_assert_cmpint (cell->target, ==, cell->predicted);
        for (gsize p = 0; p < map; p++)
          {
            lo = MIN (lo, cell->heatmap[p]);
            hi = MAX (hi, cell->heatmap[p]);
          }
        g_assert_cmpfloat (lo, >=, 0.0f);
        g_assert_cmpfloat (hi, <=, 1.0f);
      }
  /* The trained model gets the coloured squares right. */
  for (guint i = 0; i < 4; i++)
    g_assert_cmpint (ct_grid_get_cell (clean, 1, i, 0)->predicted, ==, clean->labels[i]);

  request.perturb.noise_sigma = 0.3;
  request.perturb.seed = 5;
  noisy = ct_cam_session_compute (session, &request, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (noisy->n_rounds, ==, 3);
  g_assert_nonnull (strstr (noisy->perturbation, "noise"));
  for (guint row = 0; row < 2; row++)
    for (guint i = 0; i < 4; i++)
      for (guint r = 0; r < 3; r++)
        {
          CtGridCell *cell = ct_grid_get_cell (noisy, row, i, r);
          CtGridCell *base = ct_grid_get_cell (clean, row, i, 0);

          g_assert_cmpint (cell->clean_predicted, ==, base->predicted);
          g_assert_cmpfloat_with_epsilon (cell->clean_probability, base->probability, 1e-5);
          g_assert_cmpfloat_with_epsilon (cell->confidence_drop,
                                          cell->clean_probability - cell->probabilities[cell->clean_predicted],
                                          1e-6);
        }
  /* A full turn is a perturbation that changes no pixel: the perturbed
   * path gives the clean probabilities and heatmaps. */
  {
    g_autoptr(CtGrid) turned = NULL;

    request.perturb.noise_sigma = 0;
    request.perturb.rotate_degrees = 360;
    turned = ct_cam_session_compute (session, &request, NULL, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (turned->n_rounds, ==, 3);
    for (guint row = 0; row < 2; row++)
      for (guint i = 0; i < 4; i++)
        for (guint r = 0; r < 3; r++)
          {
            CtGridCell *cell = ct_grid_get_cell (turned, row, i, r);
            CtGridCell *base = ct_grid_get_cell (clean, row, i, 0);

            g_assert_cmpfloat_with_epsilon (cell->confidence_drop, 0.0f, 1e-5);
            for (guint k = 0; k < 4; k++)
              g_assert_cmpfloat_with_epsilon (cell->probabilities[k], base->probabilities[k], 1e-5);
            for (gsize p = 0; p < map; p++)
              g_assert_cmpfloat_with_epsilon (cell->heatmap[p], base->heatmap[p], 1e-4);
          }
    request.perturb.rotate_degrees = 0;
    request.perturb.noise_sigma = 0.3;
  }

  /* Rounds differ from each other: the noise is seeded per round. */
  g_assert_true (memcmp (ct_grid_get_image (noisy, 0, 0), ct_grid_get_image (noisy, 0, 1),
                         3 * map * sizeof (float)) != 0);

  request.layer = "no.such.layer";
  g_assert_null (ct_cam_session_compute (session, &request, NULL, &error));
  g_assert_error (error, CT_RUN_ERROR, CT_RUN_ERROR_MISMATCH);
  g_assert_nonnull (strstr (error->message, "stages"));
}

/* --cam-scale shared, computed by hand from the raw maps: each column (an
 * image and a round) is min-max scaled over all its rows together,
 * (c − min) / (1e-7 + max − min), so an epoch whose map is weaker stays
 * darker than the strongest epoch of the column. */
static void
assert_shared_scale (CtCamSession *session,
                     CtCamRequest *request)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CtGrid) raw = NULL;
  g_autoptr(CtGrid) shared = NULL;
  gsize map = 32 * 32;
  guint dimmer_cells = 0;

  request->scale = CT_CAM_SCALE_RAW;
  raw = ct_cam_session_compute (session, request, NULL, &error);
  g_assert_no_error (error);
  request->scale = CT_CAM_SCALE_SHARED;
  shared = ct_cam_session_compute (session, request, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (shared->scale, ==, CT_CAM_SCALE_SHARED);

  for (guint i = 0; i < raw->n_images; i++)
    for (guint r = 0; r < raw->n_rounds; r++)
      {
        double lo = G_MAXDOUBLE, hi = -G_MAXDOUBLE;

        for (guint row = 0; row < raw->n_rows; row++)
          for (gsize p = 0; p < map; p++)
            {
              lo = MIN (lo, ct_grid_get_cell (raw, row, i, r)->heatmap[p]);
              hi = MAX (hi, ct_grid_get_cell (raw, row, i, r)->heatmap[p]);
            }
        /* Raw maps are ReLU'd magnitudes, not already in [0, 1]. */
        g_assert_cmpfloat (hi - lo, >, 0.0);
        for (guint row = 0; row < raw->n_rows; row++)
          {
            const float *in = ct_grid_get_cell (raw, row, i, r)->heatmap;
            const float *out = ct_grid_get_cell (shared, row, i, r)->heatmap;
            float row_hi = 0;

            for (gsize p = 0; p < map; p++)
              {
                double expected = (in[p] - lo) / (1e-7 + (hi - lo));

                if (fabs (out[p] - expected) > 1e-5)
                  g_error ("shared scale of row %u, image %u, round %u, pixel %" G_GSIZE_FORMAT
                           ": %g, by hand %g", row, i, r, p, out[p], expected);
                row_hi = MAX (row_hi, out[p]);
              }
            dimmer_cells += row_hi < 0.95f;
          }
      }
  /* Otherwise the case could not tell shared from per-image scaling. */
  g_assert_cmpuint (dimmer_cells, >, 0);
}

static void
test_cam_shared_scale (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CtCamSession) session = ct_cam_session_new (trained_run (), NULL, NULL, &error);
  const int epochs[] = { 0, 1, 3 };
  const guint images[] = { 0, 1, 2, 7 };
  CtCamRequest request = { 0 };

  g_assert_no_error (error);
  request.epochs = epochs;
  request.n_epochs = G_N_ELEMENTS (epochs);
  request.images = images;
  request.n_images = G_N_ELEMENTS (images);
  ct_perturb_init (&request.perturb);
  assert_shared_scale (session, &request);

  /* Perturbed: each round is a column of its own. */
  request.rounds = 2;
  request.perturb.noise_sigma = 0.2;
  request.perturb.seed = 3;
  assert_shared_scale (session, &request);
}

/* A class given by number, the first and the last included; others are
 * refused. */
static void
test_cam_target_class (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CtCamSession) session = ct_cam_session_new (trained_run (), NULL, NULL, &error);
  const int epochs[] = { 0, 3 };
  const guint images[] = { 0, 1, 2, 3 };
  const int refused[] = { -1, 4 };
  CtCamRequest request = { 0 };

  g_assert_no_error (error);
  request.epochs = epochs;
  request.n_epochs = G_N_ELEMENTS (epochs);
  request.images = images;
  request.n_images = G_N_ELEMENTS (images);
  request.target_rule = CT_TARGET_RULE_CLASS;
  ct_perturb_init (&request.perturb);
  for (int k = 0; k < 4; k += 3)
    {
      g_autoptr(CtGrid) grid = NULL;

      request.target_class = k;
      grid = ct_cam_session_compute (session, &request, NULL, &error);
      g_assert_no_error (error);
      g_assert_true (g_str_has_prefix (grid->target_rule, k == 0 ? "class 0 (red)" : "class 3 (white)"));
      for (guint row = 0; row < 2; row++)
        for (guint i = 0; i < 4; i++)
          g_assert_cmpint (ct_grid_get_cell (grid, row, i, 0)->target, ==, k);
    }
  for (guint i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      request.target_class = refused[i];
      g_assert_null (ct_cam_session_compute (session, &request, NULL, &error));
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
      g_clear_error (&error);
    }
}

/* The misclassified scan's order, as ct-cam-job.h documents it: a
 * Fisher–Yates shuffle of 0…n−1 (ct_rng_shuffle) drawn from the stream
 * (seed, "misc"); the answer is the first @count images in that order that
 * the checkpoint gets wrong.  Which images are wrong comes from a plain
 * grid over the whole test split. */
#define STREAM_MISCLASSIFIED 0x6d697363u  /* "misc" */

static void
test_misclassified_order (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CtCamSession) session = ct_cam_session_new (trained_run (), NULL, NULL, &error);
  g_autoptr(GArray) all = g_array_new (FALSE, FALSE, sizeof (guint));
  g_autoptr(GArray) expected = g_array_new (FALSE, FALSE, sizeof (guint));
  g_autoptr(GArray) in_index_order = g_array_new (FALSE, FALSE, sizeof (guint));
  g_autoptr(GArray) found = NULL;
  g_autoptr(CtGrid) grid = NULL;
  g_autofree guint *order = NULL;
  g_autofree gboolean *wrong = NULL;
  const int epoch0[] = { 0 };
  const guint64 seed = 3;
  const guint count = 5;
  CtCamRequest request = { 0 };
  guint n;
  CtRng rng;

  g_assert_no_error (error);
  n = ct_cam_session_get_dataset (session)->test.n_images;
  for (guint i = 0; i < n; i++)
    g_array_append_val (all, i);
  request.epochs = epoch0;
  request.n_epochs = 1;
  request.images = (const guint *) all->data;
  request.n_images = n;
  ct_perturb_init (&request.perturb);
  grid = ct_cam_session_compute (session, &request, NULL, &error);
  g_assert_no_error (error);
  wrong = g_new0 (gboolean, n);
  for (guint i = 0; i < n; i++)
    {
      wrong[i] = ct_grid_get_cell (grid, 0, i, 0)->predicted != grid->labels[i];
      if (wrong[i] && in_index_order->len < count)
        g_array_append_val (in_index_order, i);
    }

  order = g_new (guint, n);
  for (guint i = 0; i < n; i++)
    order[i] = i;
  ct_rng_init (&rng, seed, STREAM_MISCLASSIFIED, 0, 0);
  ct_rng_shuffle (&rng, order, n);
  for (guint i = 0; i < n && expected->len < count; i++)
    if (wrong[order[i]])
      g_array_append_val (expected, order[i]);
  g_assert_cmpuint (expected->len, ==, count);
  /* Otherwise the case could not tell a shuffled scan from a plain one. */
  g_assert_false (memcmp (expected->data, in_index_order->data, count * sizeof (guint)) == 0);

  found = ct_cam_session_find_misclassified (session, 0, count, seed, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (found->data, found->len * sizeof (guint),
                   expected->data, expected->len * sizeof (guint));
}

/* Asking for as many mistakes as there are images, the split runs out:
 * all of them come back, in the scan's order, and no more; at the untrained
 * and the trained epoch, for several seeds (so that each scan starts on a
 * different image). */
static void
test_misclassified_runs_out (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CtCamSession) session = ct_cam_session_new (trained_run (), NULL, NULL, &error);
  g_autoptr(GArray) all = g_array_new (FALSE, FALSE, sizeof (guint));
  g_autoptr(CtGrid) grid = NULL;
  g_autofree guint *order = NULL;
  const int epochs[] = { 0, 3 };
  CtCamRequest request = { 0 };
  guint n;

  g_assert_no_error (error);
  n = ct_cam_session_get_dataset (session)->test.n_images;
  for (guint i = 0; i < n; i++)
    g_array_append_val (all, i);
  request.epochs = epochs;
  request.n_epochs = G_N_ELEMENTS (epochs);
  request.images = (const guint *) all->data;
  request.n_images = n;
  ct_perturb_init (&request.perturb);
  grid = ct_cam_session_compute (session, &request, NULL, &error);
  g_assert_no_error (error);

  order = g_new (guint, n);
  for (guint row = 0; row < G_N_ELEMENTS (epochs); row++)
    for (guint64 seed = 1; seed <= 6; seed++)
      {
        g_autoptr(GArray) expected = g_array_new (FALSE, FALSE, sizeof (guint));
        g_autoptr(GArray) found = NULL;
        CtRng rng;

        for (guint i = 0; i < n; i++)
          order[i] = i;
        ct_rng_init (&rng, seed, STREAM_MISCLASSIFIED, 0, 0);
        ct_rng_shuffle (&rng, order, n);
        for (guint i = 0; i < n; i++)
          if (ct_grid_get_cell (grid, row, order[i], 0)->predicted != grid->labels[order[i]])
            g_array_append_val (expected, order[i]);
        if (epochs[row] == 3)
          g_assert_cmpuint (expected->len, <, n / 4);

        found = ct_cam_session_find_misclassified (session, epochs[row], n, seed, &error);
        g_assert_no_error (error);
        g_assert_cmpmem (found->data, found->len * sizeof (guint),
                         expected->data, expected->len * sizeof (guint));
      }
}

static void
test_find_misclassified (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CtCamSession) session = ct_cam_session_new (trained_run (), NULL, NULL, &error);
  g_autoptr(GArray) wrong = NULL;
  g_autoptr(GArray) again = NULL;
  g_autoptr(CtGrid) grid = NULL;
  const int epoch0[] = { 0 };
  CtCamRequest request = { 0 };

  g_assert_no_error (error);
  wrong = ct_cam_session_find_misclassified (session, 0, 5, 3, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (wrong->len, ==, 5);
  again = ct_cam_session_find_misclassified (session, 0, 5, 3, &error);
  g_assert_cmpmem (wrong->data, wrong->len * sizeof (guint), again->data, again->len * sizeof (guint));

  request.epochs = epoch0;
  request.n_epochs = 1;
  request.images = (const guint *) wrong->data;
  request.n_images = wrong->len;
  ct_perturb_init (&request.perturb);
  grid = ct_cam_session_compute (session, &request, NULL, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < wrong->len; i++)
    g_assert_cmpint (ct_grid_get_cell (grid, 0, i, 0)->predicted, !=, grid->labels[i]);
}

/* The baseline epoch (the CE denominator) may be any of the epochs
 * studied, the first one too; one that is not studied is refused. */
static void
test_robustness_baseline_first (void)
{
  static const int epochs[] = { 0, 3 };
  g_autoptr(GError) error = NULL;
  g_autoptr(CtCamSession) session = ct_cam_session_new (trained_run (), NULL, NULL, &error);
  g_autoptr(GArray) perturbations = ct_robustness_parse_perturbations ("noise:0.1", &error);
  g_autoptr(CtRobustness) result = NULL;
  g_autoptr(CtRobustness) refused = NULL;
  CtRobustnessRequest request = { 0 };

  g_assert_no_error (error);
  request.epochs = epochs;
  request.n_epochs = G_N_ELEMENTS (epochs);
  request.baseline_epoch = 0;
  request.perturbations = (const CtPerturb *) perturbations->data;
  request.n_perturbations = perturbations->len;
  request.n_images = 4;
  request.rounds = 1;
  request.seed = 5;
  request.target_rule = CT_TARGET_RULE_PREDICTED;
  result = ct_robustness_compute (session, &request, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (result);
  g_assert_cmpuint (result->n_epochs, ==, 2);
  g_assert_cmpint (result->epochs[0].epoch, ==, 0);
  g_assert_cmpint (result->epochs[1].epoch, ==, 3);

  request.baseline_epoch = 2;
  refused = ct_robustness_compute (session, &request, NULL, NULL, NULL, &error);
  g_assert_null (refused);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
}

typedef struct {
  GPtrArray    *lines;       /* "done/total epoch file metrics? message?" */
  GCancellable *cancel_at_measure;
} ImportRecord;

static void
record_import_cb (const CtImportReport *report,
                  gpointer              user_data)
{
  ImportRecord *record = user_data;
  g_autofree char *file = report->file != NULL ? g_path_get_basename (report->file) : NULL;

  g_ptr_array_add (record->lines, g_strdup_printf ("%u/%u %d %s%s%s", report->done, report->total,
                                                   report->epoch, file,
                                                   report->metrics != NULL ? " metrics" : "",
                                                   report->message != NULL ? " message" : ""));
  /* The line just before a checkpoint is loaded and measured. */
  if (record->cancel_at_measure != NULL && report->epoch >= 0 && report->metrics == NULL)
    g_cancellable_cancel (record->cancel_at_measure);
}

/* Two of the trained run's checkpoints imported, given in reverse order,
 * train split measured too: the run that comes out, the reports on the
 * way, and the cancellable left as it was given. */
static void
test_import_run (void)
{
  const char *run = trained_run ();
  g_autofree char *out = g_build_filename (tmpdir, "imported", NULL);
  g_autofree char *epoch1 = ct_run_dup_checkpoint_path (run, 1);
  g_autofree char *epoch3 = ct_run_dup_checkpoint_path (run, 3);
  g_autofree char *imported1 = ct_run_dup_checkpoint_path (out, 1);
  g_autofree char *imported3 = ct_run_dup_checkpoint_path (out, 3);
  const char *files[] = { epoch3, epoch1 };
  CtImportOptions options = {
    .arch = "camtrail_net", .data = data_dir, .out_dir = out, .files = files, .n_files = 2,
    .train_metrics = TRUE, .threads = 2,
  };
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func (g_free);
  ImportRecord record = { lines, NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(CtManifest) manifest = NULL;
  g_autoptr(GArray) recorded = NULL, imported = NULL;
  g_autofree char *data_name = g_path_get_basename (data_dir);
  g_autofree char *loading = g_strdup_printf ("0/2 -1 %s message", data_name);
  const char *const expected[] = {
    loading,
    "0/2 1 epoch-001.safetensors", "1/2 1 epoch-001.safetensors metrics message",
    "1/2 3 epoch-003.safetensors", "2/2 3 epoch-003.safetensors metrics message",
  };
  GStatBuf st;
  mode_t mask = umask (022);

  umask (mask);
  g_assert_true (ct_import_run (&options, record_import_cb, &record, cancellable, &error));
  g_assert_no_error (error);

  /* Every report in order: loading, then each epoch started and done. */
  g_assert_cmpuint (lines->len, ==, G_N_ELEMENTS (expected));
  for (guint i = 0; i < lines->len; i++)
    g_assert_cmpstr (lines->pdata[i], ==, expected[i]);
  /* Measuring disconnects from the cancellable it was given. */
  g_assert_false (g_signal_has_handler_pending (cancellable,
                                                g_signal_lookup ("cancelled", G_TYPE_CANCELLABLE),
                                                0, FALSE));

  /* A folder made as mkdir -p makes it. */
  g_assert_cmpint (g_stat (out, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 07777, ==, 0755 & ~mask);

  manifest = ct_manifest_load (out, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (manifest->n_imported, ==, 2);
  g_assert_cmpint (manifest->imported[0].epoch, ==, 1);
  g_assert_cmpstr (manifest->imported[0].file, ==, "epoch-001.safetensors");
  g_assert_cmpint (manifest->imported[1].epoch, ==, 3);
  /* Not trained here: no training hyper-parameters, the last epoch's count. */
  g_assert_cmpint (manifest->hyper.epochs, ==, 3);
  g_assert_cmpfloat (manifest->hyper.lr, ==, 0.0);
  g_assert_false (manifest->hyper.flip);
  g_assert_cmpint (manifest->hyper.translate, ==, 0);

  /* The weights as they were, the test metrics as the training recorded
   * them, and the train split measured. */
  ct_test_assert_same_weights (epoch1, imported1);
  ct_test_assert_same_weights (epoch3, imported3);
  recorded = ct_metrics_load (run, &error);
  g_assert_no_error (error);
  imported = ct_metrics_load (out, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (imported->len, ==, 2);
  for (guint i = 0; i < 2; i++)
    {
      const CtEpochMetrics *m = &g_array_index (imported, CtEpochMetrics, i);
      const CtEpochMetrics *then = &g_array_index (recorded, CtEpochMetrics, 1 + 2 * i);

      g_assert_cmpint (m->epoch, ==, then->epoch);
      g_assert_cmpfloat_with_epsilon (m->test_accuracy, then->test_accuracy, 1e-6);
      g_assert_cmpfloat_with_epsilon (m->test_loss, then->test_loss, 1e-4);
      g_assert_cmpfloat (m->train_accuracy, >=, 0.0);
      g_assert_cmpfloat (m->train_accuracy, <=, 1.0);
      g_assert_cmpfloat (m->train_loss, >, 0.0);
    }
  ct_test_remove_tree (out);
}

/* Cancelled while a checkpoint is measured: a cancel error, not the
 * evaluation's, and nothing left behind. */
static void
test_import_cancel (void)
{
  const char *run = trained_run ();
  g_autofree char *out = g_build_filename (tmpdir, "import-cancelled", NULL);
  g_autofree char *epoch2 = ct_run_dup_checkpoint_path (run, 2);
  const char *files[] = { epoch2 };
  CtImportOptions options = {
    .arch = "camtrail_net", .data = data_dir, .out_dir = out, .files = files, .n_files = 1,
    .threads = 2,
  };
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func (g_free);
  ImportRecord record = { lines, cancellable };
  g_autoptr(GError) error = NULL;

  g_assert_false (ct_import_run (&options, record_import_cb, &record, cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpstr (lines->pdata[lines->len - 1], ==, "0/1 2 epoch-002.safetensors");
  g_assert_false (g_file_test (out, G_FILE_TEST_EXISTS));
}

/* A folder offered for importing: its checkpoint files by name, nothing
 * else; none for a run, an empty folder or a missing one. */
static void
test_import_list_checkpoints (void)
{
  g_autofree char *dir = g_build_filename (tmpdir, "to-import", NULL);
  g_autofree char *sub = g_build_filename (dir, "sub.pth", NULL);
  g_autofree char *missing = g_build_filename (tmpdir, "not-there", NULL);
  const char *names[] = { "model.bin", "b.safetensors", ".pt", "notes.txt", "a.pt", "c.pt.txt" };
  const char *expected[] = { "a.pt", "b.safetensors", "model.bin" };
  g_auto(GStrv) listed = NULL;
  g_auto(GStrv) none = NULL;
  g_auto(GStrv) of_run = NULL;

  g_assert_cmpint (g_mkdir_with_parents (sub, 0755), ==, 0);
  none = ct_import_list_checkpoints (dir);
  g_assert_null (none);
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *path = g_build_filename (dir, names[i], NULL);

      g_assert_true (g_file_set_contents (path, "x", 1, NULL));
    }
  listed = ct_import_list_checkpoints (dir);
  g_assert_nonnull (listed);
  g_assert_cmpuint (g_strv_length (listed), ==, G_N_ELEMENTS (expected));
  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    {
      g_autofree char *path = g_build_filename (dir, expected[i], NULL);

      g_assert_cmpstr (listed[i], ==, path);
    }
  g_assert_null (ct_import_list_checkpoints (missing));
  of_run = ct_import_list_checkpoints (trained_run ());
  g_assert_null (of_run);
  ct_test_remove_tree (dir);
}

/* Softmax probability of class @c of one normalised-in-place image set. */
static void
class_probabilities (CtCamSession *session,
                     int           epoch,
                     float        *images,
                     guint         n,
                     int           c,
                     double       *out)
{
  const CtManifest *manifest = ct_cam_session_get_manifest (session);
  const CtSplit *test = &ct_cam_session_get_dataset (session)->test;
  guint K = manifest->n_classes;
  g_autofree float *logits = g_new (float, (gsize) n * K);
  g_autofree float *p = g_new (float, K);
  g_autoptr(GError) error = NULL;

  ct_image_normalize (images, n, test->channels, (gsize) test->width * test->height,
                      manifest->mean, manifest->std);
  g_assert_true (ct_cam_session_forward (session, epoch, images, n, logits, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < n; i++)
    {
      ct_softmax (logits + (gsize) i * K, K, p);
      out[i] = p[c];
    }
}

/* One image's explanation-map and ROAD scores, worked out from the
 * documented rules (ct-faithfulness.h) with the core's pieces: the image
 * times its heatmap for Average Drop and Increase in Confidence; for ROAD
 * the mean over the nine percentiles of the probability after imputing
 * the most (or least) relevant pixels, minus before, without noise. */
static void
test_faithfulness_one_image (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CtCamSession) session = ct_cam_session_new (trained_run (), NULL, NULL, &error);
  const CtManifest *manifest = ct_cam_session_get_manifest (session);
  const CtSplit *test = &ct_cam_session_get_dataset (session)->test;
  gsize n_pixels = (gsize) test->width * test->height;
  gsize values = test->channels * n_pixels;
  int epoch = 3;
  CtFaithfulnessRequest request = {
    .epochs = &epoch, .n_epochs = 1, .n_images = 1, .seed = 11,
    .method = CT_CAM_METHOD_GRADCAM, .step_fraction = 0.5, .baseline = CT_BASELINE_ZERO,
  };
  g_autoptr(CtFaithfulness) result = NULL;
  g_autoptr(GArray) images = NULL;
  g_autoptr(CtGrid) grid = NULL;
  CtCamRequest cam = {
    .epochs = &epoch, .n_epochs = 1, .rounds = 1, .target_rule = CT_TARGET_RULE_PREDICTED,
    .scale = CT_CAM_SCALE_IMAGE, .method = CT_CAM_METHOD_GRADCAM,
  };
  g_autofree float *batch = g_new (float, (1 + 2 * CT_ROAD_N_PERCENTILES) * values);
  g_autofree guint8 *keep = g_new (guint8, n_pixels);
  double p[1 + 2 * CT_ROAD_N_PERCENTILES];
  const CtFaithfulnessRow *row;
  const CtGridCell *cell;
  const float *image;
  double y, morf = 0, lerf = 0;

  g_assert_no_error (error);
  result = ct_faithfulness_compute (session, &request, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  images = ct_cam_session_sample_images (session, 1, 11);
  g_assert_cmpuint (result->n_images, ==, 1);
  g_assert_cmpuint (result->image_indices[0], ==, g_array_index (images, guint, 0));
  g_assert_cmpfloat (result->step_fraction, ==, 0.5);
  g_assert_cmpstr (result->method, ==, "gradcam");

  cam.images = (const guint *) images->data;
  cam.n_images = 1;
  ct_perturb_init (&cam.perturb);
  grid = ct_cam_session_compute (session, &cam, NULL, &error);
  g_assert_no_error (error);
  cell = ct_grid_get_cell (grid, 0, 0, 0);
  image = ct_grid_get_image (grid, 0, 0);
  y = cell->probability;
  g_assert_cmpstr (result->layer, ==, grid->layer);

  ct_faithfulness_cam_mult (image, test->channels, n_pixels, cell->heatmap, batch);
  for (guint i = 0; i < CT_ROAD_N_PERCENTILES; i++)
    for (guint most = 0; most < 2; most++)
      {
        ct_road_keep (cell->heatmap, n_pixels, ct_road_percentile_at (i), most == 0, keep);
        ct_road_impute (image, manifest->mean, test->channels, test->width, test->height, keep,
                        batch + (1 + 2 * i + most) * values);
      }
  class_probabilities (session, epoch, batch, 1 + 2 * CT_ROAD_N_PERCENTILES, cell->predicted, p);
  for (guint i = 0; i < CT_ROAD_N_PERCENTILES; i++)
    {
      morf += (p[1 + 2 * i] - y) / CT_ROAD_N_PERCENTILES;
      lerf += (p[2 + 2 * i] - y) / CT_ROAD_N_PERCENTILES;
    }

  g_assert_cmpuint (result->rows->len, ==, 2);
  row = &g_array_index (result->rows, CtFaithfulnessRow, 0);
  g_test_message ("y %.6f, explanation map %.6f, MoRF %.6f, LeRF %.6f", y, p[0], morf, lerf);
  g_assert_cmpstr (row->heatmap, ==, "gradcam");
  g_assert_cmpint (row->epoch, ==, 3);
  g_assert_cmpuint (row->n_images, ==, 1);
  g_assert_cmpfloat_with_epsilon (row->average_drop, ct_faithfulness_drop (y, p[0]), 1e-3);
  g_assert_cmpfloat (row->increase, ==, ct_faithfulness_increase (y, p[0]));
  g_assert_cmpfloat_with_epsilon (row->road_morf, morf, 1e-5);
  g_assert_cmpfloat_with_epsilon (row->road_lerf, lerf, 1e-5);
  g_assert_cmpfloat_with_epsilon (row->road_combined, (lerf - morf) / 2, 1e-5);
}

/* The mean of @n values, NaN ones left out, as the sanity rows count them. */
static double
defined_mean (const double *values,
              guint         n)
{
  g_autoptr(GArray) defined = g_array_new (FALSE, FALSE, sizeof (double));
  double mean, ci95;

  for (guint i = 0; i < n; i++)
    if (!isnan (values[i]))
      g_array_append_val (defined, values[i]);
  ct_stats_mean_ci95 ((const double *) defined->data, defined->len, &mean, &ci95);
  return mean;
}

/* The sanity check's "epoch 0" rows from the maps themselves: each trained
 * epoch's true-class map against epoch 0's, image by image (Spearman, SSIM,
 * top-20% IoU), over images in two batches; the cascade's groups from the
 * output down, its last row (every group from epoch 0: epoch 0's network)
 * the same numbers as the last epoch's row. */
static void
test_sanity_rows (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CtCamSession) session = ct_cam_session_new (trained_run (), NULL, NULL, &error);
  static const int epochs[] = { 0, 1, 3 };
  static const char *const groups[] = { "head", "stages.2", "stages.1", "stages.0", "stem" };
  CtSanityRequest request = {
    .epochs = epochs, .n_epochs = 3, .n_images = 3, .seed = 5,
    .method = CT_CAM_METHOD_GRADCAM, .batch_size = 2,
  };
  g_autoptr(CtSanity) result = NULL;
  g_autoptr(GArray) images = NULL;
  g_autoptr(CtGrid) grid = NULL;
  CtCamRequest cam = {
    .epochs = epochs, .n_epochs = 3, .rounds = 1, .target_rule = CT_TARGET_RULE_LABEL,
    .scale = CT_CAM_SCALE_IMAGE, .method = CT_CAM_METHOD_GRADCAM,
  };

  g_assert_no_error (error);
  result = ct_sanity_compute (session, &request, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  images = ct_cam_session_sample_images (session, 3, 5);
  g_assert_cmpuint (result->n_images, ==, 3);
  for (guint i = 0; i < 3; i++)
    g_assert_cmpuint (result->image_indices[i], ==, g_array_index (images, guint, i));

  cam.images = (const guint *) images->data;
  cam.n_images = 3;
  ct_perturb_init (&cam.perturb);
  grid = ct_cam_session_compute (session, &cam, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (result->layer, ==, grid->layer);

  g_assert_cmpuint (result->rows->len, ==, 2 + G_N_ELEMENTS (groups));
  for (guint e = 0; e < 2; e++)
    {
      const CtSanityRow *row = &g_array_index (result->rows, CtSanityRow, e);
      const CtSanityRow *all = &g_array_index (result->rows, CtSanityRow, result->rows->len - 1);
      double spearman[3], ssim[3], iou[3];

      for (guint i = 0; i < 3; i++)
        {
          const float *a = ct_grid_get_cell (grid, 0, i, 0)->heatmap;
          const float *b = ct_grid_get_cell (grid, 1 + e, i, 0)->heatmap;
          gsize n = (gsize) grid->width * grid->height;

          spearman[i] = ct_stats_spearman (a, b, NULL, n);
          ssim[i] = ct_stats_ssim (a, b, grid->width, grid->height, 1.0);
          iou[i] = ct_stats_top_iou (a, b, NULL, n, 0.2);
        }
      g_test_message ("epoch %d against 0: %.6f %.6f %.6f", epochs[1 + e], row->spearman,
                      row->ssim, row->top_iou);
      g_assert_cmpint (row->epoch, ==, epochs[1 + e]);
      g_assert_cmpstr (row->against, ==, "epoch 0");
      g_assert_cmpuint (row->n_randomised, ==, 0);
      g_assert_cmpuint (row->n_images, ==, 3);
      g_assert_cmpfloat_with_epsilon (row->spearman, defined_mean (spearman, 3), 1e-4);
      g_assert_cmpfloat_with_epsilon (row->ssim, defined_mean (ssim, 3), 1e-4);
      g_assert_cmpfloat_with_epsilon (row->top_iou, defined_mean (iou, 3), 1e-4);
      if (e == 1)
        {
          g_assert_cmpfloat_with_epsilon (all->spearman, row->spearman, 1e-4);
          g_assert_cmpfloat_with_epsilon (all->ssim, row->ssim, 1e-4);
          g_assert_cmpfloat_with_epsilon (all->top_iou, row->top_iou, 1e-4);
        }
    }
  for (guint g = 0; g < G_N_ELEMENTS (groups); g++)
    {
      const CtSanityRow *row = &g_array_index (result->rows, CtSanityRow, 2 + g);

      g_assert_cmpint (row->epoch, ==, 3);
      g_assert_cmpstr (row->against, ==, groups[g]);
      g_assert_cmpuint (row->n_randomised, ==, g + 1);
      g_assert_false (isnan (row->spearman));
    }
}

int
main (int    argc,
      char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  tmpdir = ct_test_make_squares_tmpdir ("XDG_CACHE_HOME", 512, 128, 1, &data_dir);

  g_test_add_func ("/engine/train/writes-run", test_train_writes_run);
  g_test_add_func ("/engine/train/resume-matches-uninterrupted", test_resume_matches_uninterrupted);
  g_test_add_func ("/engine/checkpoint/refuses-other-architecture", test_refuses_other_architecture);
  g_test_add_func ("/engine/checkpoint/init", test_checkpoint_init);
  g_test_add_func ("/engine/train/nan-loss-keeps-run", test_nan_loss_keeps_run);
  g_test_add_func ("/engine/train/reevaluate", test_train_reevaluate);
  g_test_add_func ("/engine/import/run", test_import_run);
  g_test_add_func ("/engine/import/cancel", test_import_cancel);
  g_test_add_func ("/engine/import/list-checkpoints", test_import_list_checkpoints);
  g_test_add_func ("/engine/faithfulness/one-image", test_faithfulness_one_image);
  g_test_add_func ("/engine/sanity/rows", test_sanity_rows);
  g_test_add_func ("/engine/robustness/baseline-first", test_robustness_baseline_first);
  g_test_add_func ("/engine/cam/grid", test_cam_grid);
  g_test_add_func ("/engine/cam/shared-scale", test_cam_shared_scale);
  g_test_add_func ("/engine/cam/target-class", test_cam_target_class);
  g_test_add_func ("/engine/cam/find-misclassified", test_find_misclassified);
  g_test_add_func ("/engine/cam/misclassified-order", test_misclassified_order);
  g_test_add_func ("/engine/cam/misclassified-runs-out", test_misclassified_runs_out);

  status = g_test_run ();
  ct_test_remove_tree (tmpdir);
  g_free (tmpdir);
  g_free (data_dir);
  return status;
}
