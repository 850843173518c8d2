/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * cam-latency: how long one slider move takes.  Opens a run, preloads its
 * checkpoints, then times full CAM grids (checkpoints × images, Grad-CAM
 * or another --method) with a
 * perturbation whose seed changes every iteration, as dragging the noise or
 * occlusion slider does.
 *
 * Right after each grid it times the floor: libtorch forward passes alone,
 * through the shim, of the batches a slider move needs (the perturbed
 * images, one batch per checkpoint; the engine caches clean logits).  Measuring both in
 * one process, alternately, gives a grid/floor ratio that a busy machine
 * cannot skew much.  With --engine the grids go through a CtEngine, as the
 * window's do (rows shared between the worker and its helpers), from the
 * request to the done callback.  A benchmark that prints figures, not a
 * test.
 */
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>

#include "ct-cam-job.h"
#include "ct-checkpoint.h"
#include "ct-engine.h"
#include "ct-image.h"
#include "ct-stats.h"
#include "ct-torch-glib.h"

typedef struct {
  GPtrArray *models;       /* CtModel, one per checkpoint */
  float     *batch;        /* the perturbed images, normalised */
  float     *logits;
  guint      n_batch;
} Floor;

static void
floor_clear (Floor *self)
{
  g_clear_pointer (&self->models, g_ptr_array_unref);
  g_clear_pointer (&self->batch, g_free);
  g_clear_pointer (&self->logits, g_free);
}

static gboolean
floor_init (Floor             *self,
            const char        *run,
            const CtManifest  *manifest,
            const CtSplit     *test,
            const GArray      *epochs,
            guint              n_images,
            GError           **error)
{
  gsize image_values = ct_split_image_size (test);

  self->models = g_ptr_array_new_with_free_func ((GDestroyNotify) ct_model_free);
  for (guint i = 0; i < epochs->len; i++)
    {
      g_autofree char *path = ct_run_dup_checkpoint_path (run, g_array_index (epochs, int, i));
      CtModel *model = ct_checkpoint_new_model (manifest, NULL, error);

      if (model == NULL)
        return FALSE;
      g_ptr_array_add (self->models, model);
      if (!ct_checkpoint_load (model, path, manifest->arch, error))
        return FALSE;
    }
  self->n_batch = n_images;
  self->batch = g_new (float, self->n_batch * image_values);
  self->logits = g_new (float, (gsize) self->n_batch * manifest->n_classes);
  return TRUE;
}

/* The engine's batch for @perturb (see ct_cam_session_compute), then one
 * forward pass per checkpoint; returns the forward passes' milliseconds. */
static double
floor_run (Floor            *self,
           const CtManifest *manifest,
           const CtSplit    *test,
           const guint      *images,
           guint             n_images,
           const CtPerturb  *perturb,
           GError          **error)
{
  gsize image_values = ct_split_image_size (test);
  gint64 start;

  for (guint i = 0; i < n_images; i++)
    {
      const guint8 *pixels = ct_split_image (test, images[i]);

      ct_perturb_apply (perturb, pixels, test->channels, test->height, test->width, manifest->mean,
                        images[i], 0, self->batch + (gsize) i * image_values);
    }
  ct_image_normalize (self->batch, self->n_batch, test->channels,
                      (gsize) test->height * test->width, manifest->mean, manifest->std);

  start = g_get_monotonic_time ();
  for (guint m = 0; m < self->models->len; m++)
    {
      char *message = NULL;

      if (!ct_torch_check (ct_model_forward (g_ptr_array_index (self->models, m), self->batch,
                                             self->n_batch, self->logits, &message),
                           message, error))
        return -1;
    }
  return (g_get_monotonic_time () - start) / 1e3;
}

/* A grid through the engine: the first row's grid (for its labels), once
 * every row has come and the done callback has run. */
typedef struct {
  gboolean   done;
  CtGrid    *first;
  GError    *error;
} EngineGrid;

static void
engine_rows_cb (CtEngine *engine,
                guint64   generation,
                guint     first_row,
                CtGrid   *grid,
                gpointer  user_data)
{
  EngineGrid *state = user_data;

  if (first_row == 0 && state->first == NULL)
    state->first = grid;
  else
    ct_grid_free (grid);
}

static void
engine_done_cb (CtEngine     *engine,
                guint64       generation,
                const GError *error,
                gpointer      user_data)
{
  EngineGrid *state = user_data;

  state->done = TRUE;
  if (error != NULL)
    state->error = g_error_copy (error);
}

static CtGrid *
engine_grid (CtEngine            *engine,
             const CtCamRequest  *request,
             GError             **error)
{
  EngineGrid state = { 0 };

  ct_engine_request_grid (engine, request, engine_rows_cb, engine_done_cb, &state);
  while (!state.done)
    g_main_context_iteration (NULL, TRUE);
  if (state.error != NULL)
    {
      g_clear_pointer (&state.first, ct_grid_free);
      g_propagate_error (error, state.error);
      return NULL;
    }
  return state.first;
}

typedef struct {
  gboolean   done;
  CtRunInfo *info;
  GError    *error;
} EngineOpen;

static void
engine_opened_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  EngineOpen *state = user_data;

  state->info = ct_engine_open_run_finish (CT_ENGINE (source), result, &state->error);
  state->done = TRUE;
}

static CtEngine *
engine_open (const char  *run,
             const char  *data,
             GError     **error)
{
  g_autoptr(CtEngine) engine = ct_engine_new ();
  EngineOpen state = { 0 };

  ct_engine_open_run (engine, run, data, NULL, engine_opened_cb, &state);
  while (!state.done)
    g_main_context_iteration (NULL, TRUE);
  if (state.info == NULL)
    {
      g_propagate_error (error, state.error);
      return NULL;
    }
  ct_run_info_free (state.info);
  return g_steal_pointer (&engine);
}

int
main (int    argc,
      char **argv)
{
  g_autofree char *run = NULL, *data = NULL, *layer = NULL, *device = NULL;
  g_autofree char *epochs_text = NULL, *method_text = NULL;
  int n_images = 8, iterations = 50, warmup = 3, threads = 2, occlude = 10, first_image = 0;
  double noise = 0.1;
  gboolean no_floor = FALSE, use_engine = FALSE;
  g_autoptr(CtEngine) engine = NULL;
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(CtCamSession) session = NULL;
  g_autoptr(GArray) epochs = NULL;
  g_autofree guint *images = NULL;
  g_autofree double *grid_ms = NULL;
  g_autofree double *floor_ms = NULL;
  g_autofree double *ratios = NULL;
  Floor floor_state = { 0 };
  const CtManifest *manifest;
  const CtSplit *test;
  CtCamRequest request = { 0 };
  char *message = NULL;
  gint64 start;
  double preload_ms, lowest;
  const GOptionEntry entries[] = {
    { "run", 'r', 0, G_OPTION_ARG_FILENAME, &run, "Run directory (required)", "DIR" },
    { "data", 'd', 0, G_OPTION_ARG_FILENAME, &data, "Dataset (default: the run's)", "PATH" },
    { "epochs", 'e', 0, G_OPTION_ARG_STRING, &epochs_text, "Checkpoints, e.g. 0,1,2,3,4 (default: the first 5)", "LIST" },
    { "images", 'n', 0, G_OPTION_ARG_INT, &n_images, "Images per grid (default 8)", "N" },
    { "first-image", 0, 0, G_OPTION_ARG_INT, &first_image, "First test index; the grid shows the next N (default 0)", "I" },
    { "iterations", 'i', 0, G_OPTION_ARG_INT, &iterations, "Timed grids (default 50)", "N" },
    { "warmup", 'w', 0, G_OPTION_ARG_INT, &warmup, "Untimed grids first (default 3)", "N" },
    { "noise", 0, 0, G_OPTION_ARG_DOUBLE, &noise, "Gaussian noise σ (default 0.1)", "SIGMA" },
    { "occlude", 0, 0, G_OPTION_ARG_INT, &occlude, "Occluded pixels (default 10)", "N" },
    { "layer", 'l', 0, G_OPTION_ARG_STRING, &layer, "Target layer (default: the run's)", "NAME" },
    { "method", 'm', 0, G_OPTION_ARG_STRING, &method_text, "CAM method (default gradcam)", "NAME" },
    { "threads", 'j', 0, G_OPTION_ARG_INT, &threads, "libtorch threads (default 2)", "N" },
    { "device", 0, 0, G_OPTION_ARG_STRING, &device, "cpu (default) or cuda", "DEVICE" },
    { "no-floor", 0, 0, G_OPTION_ARG_NONE, &no_floor, "Time the grids only, not the forward-only floor", NULL },
    { "engine", 0, 0, G_OPTION_ARG_NONE, &use_engine, "Time grids through the engine, as the window asks for them", NULL },
    { NULL }
  };

  setlocale (LC_ALL, "");
  context = g_option_context_new (NULL);
  g_option_context_set_summary (context,
                                "Times CAM grids of a run as slider moves would request them,\n"
                                "and the forward passes alone of the same batches (the floor).\n"
                                "A benchmark: it prints figures and asserts nothing.");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("cam-latency: %s\n", error->message);
      return 2;
    }
  if (run == NULL || n_images < 1 || iterations < 1 || warmup < 0 || threads < 0 ||
      occlude < 0 || first_image < 0 || noise < 0)
    {
      g_printerr ("cam-latency: --run is required; counts must be positive\n");
      return 2;
    }
  if (method_text != NULL && !ct_cam_method_from_string (method_text, &request.method))
    {
      g_autofree char *names = ct_cam_method_dup_names (", ");

      g_printerr ("cam-latency: unknown --method %s: expected one of %s\n", method_text, names);
      return 2;
    }
  if (device != NULL && g_strcmp0 (device, "cpu") != 0)
    no_floor = TRUE;  /* The floor's own models stay on the CPU. */
  if (use_engine && device != NULL && g_strcmp0 (device, "cpu") != 0)
    {
      g_printerr ("cam-latency: --engine computes on the CPU; leave --device out\n");
      return 2;
    }

  if (!ct_torch_check (ct_torch_set_threads (threads, &message), message, &error))
    goto fail;
  session = ct_cam_session_new (run, data, device, &error);
  if (session == NULL)
    goto fail;
  manifest = ct_cam_session_get_manifest (session);
  test = &ct_cam_session_get_dataset (session)->test;

  epochs = g_array_new (FALSE, FALSE, sizeof (int));
  if (epochs_text != NULL)
    {
      g_auto(GStrv) parts = g_strsplit (epochs_text, ",", -1);

      for (guint i = 0; parts[i] != NULL; i++)
        {
          int epoch = atoi (parts[i]);
          g_array_append_val (epochs, epoch);
        }
    }
  else
    {
      GArray *available = ct_cam_session_get_epochs (session);

      g_array_append_vals (epochs, available->data, MIN (available->len, 5));
    }

  images = g_new (guint, n_images);
  for (int i = 0; i < n_images; i++)
    images[i] = first_image + i;

  start = g_get_monotonic_time ();
  if (!ct_cam_session_preload (session, (const int *) epochs->data, epochs->len, &error))
    goto fail;
  preload_ms = (g_get_monotonic_time () - start) / 1e3;
  /* The engine loads its own models during the untimed grids. */
  if (use_engine && (engine = engine_open (run, data, &error)) == NULL)
    goto fail;
  if (!no_floor && !floor_init (&floor_state, run, manifest, test, epochs, n_images, &error))
    goto fail;

  request.epochs = (const int *) epochs->data;
  request.n_epochs = epochs->len;
  request.images = images;
  request.n_images = n_images;
  ct_perturb_init (&request.perturb);
  request.perturb.noise_sigma = noise;
  request.perturb.occlude_count = occlude;
  request.rounds = 1;
  request.layer = layer;
  request.target_rule = CT_TARGET_RULE_PREDICTED;
  request.scale = CT_CAM_SCALE_IMAGE;

  grid_ms = g_new (double, iterations);
  floor_ms = g_new (double, iterations);
  ratios = g_new (double, iterations);
  for (int i = -warmup; i < iterations; i++)
    {
      g_autoptr(CtGrid) grid = NULL;
      double grid_time, floor_time = 0;

      /* A new seed per grid: every iteration perturbs afresh, as a slider
       * move does, so nothing can be reused from the previous grid. */
      request.perturb.seed = (guint64) (i + warmup + 1);
      start = g_get_monotonic_time ();
      if (engine != NULL)
        grid = engine_grid (engine, &request, &error);
      else
        grid = ct_cam_session_compute (session, &request, NULL, &error);
      if (grid == NULL)
        goto fail;
      grid_time = (g_get_monotonic_time () - start) / 1e3;
      if (!no_floor)
        {
          floor_time = floor_run (&floor_state, manifest, test, images, n_images,
                                  &request.perturb, &error);
          if (floor_time < 0)
            goto fail;
        }
      if (i >= 0)
        {
          grid_ms[i] = grid_time;
          floor_ms[i] = floor_time;
          ratios[i] = grid_time / MAX (floor_time, 1e-9);
        }
      if (i == -warmup)
        printf ("cam-latency: %s, layer %s, %u checkpoints × %d images "
                "perturbation: %s, %d threads%s\n",
                manifest->arch, grid->layer, epochs->len, n_images, grid->perturbation, threads,
                engine != NULL ? ", through the engine" : "");
    }

  lowest = grid_ms[0];
  for (int i = 1; i < iterations; i++)
    lowest = MIN (lowest, grid_ms[i]);
  printf ("  preload of %u checkpoints: %.1f ms\n", epochs->len, preload_ms);
  {
    double median = ct_stats_percentile (grid_ms, iterations, 50.0);
    double p95 = ct_stats_percentile (grid_ms, iterations, 95.0);

    printf ("  grid:  median %8.1f ms, p95 %8.1f ms, min %8.1f ms over %d grids (%d untimed first)\n",
            median, p95, lowest, iterations, warmup);
    printf ("RESULT arch=%s checkpoints=%u images=%d iterations=%d median_ms=%.3f p95_ms=%.3f\n",
            manifest->arch, epochs->len, n_images, iterations, median, p95);
  }
  if (!no_floor)
    {
      double median = ct_stats_percentile (floor_ms, iterations, 50.0);
      double p95 = ct_stats_percentile (floor_ms, iterations, 95.0);
      double ratio_median = ct_stats_percentile (ratios, iterations, 50.0);
      double ratio_p95 = ct_stats_percentile (ratios, iterations, 95.0);

      printf ("  floor: median %8.1f ms, p95 %8.1f ms (libtorch forward passes alone, same batches)\n",
              median, p95);
      printf ("  grid / floor, paired per iteration: median %.2f×, p95 %.2f×\n",
              ratio_median, ratio_p95);
      printf ("RESULT floor_median_ms=%.3f floor_p95_ms=%.3f ratio_median=%.3f ratio_p95=%.3f\n",
              median, p95, ratio_median, ratio_p95);
    }
  floor_clear (&floor_state);
  return 0;

fail:
  floor_clear (&floor_state);
  g_printerr ("cam-latency: %s\n", error->message);
  return 1;
}
