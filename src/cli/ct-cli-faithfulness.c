/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "ct-cli.h"
#include "ct-faithfulness-plot.h"
#include "ct-faithfulness-job.h"
#include "ct-sanity-job.h"
#include "ct-shard.h"
#include "ct-spec.h"

typedef struct {
  gboolean tty;
  gboolean quiet;
  gint64   last_print;
} Terminal;

static void
progress_cb (int      epoch,
             guint    done,
             guint    n_images,
             gpointer user_data)
{
  Terminal *term = user_data;
  gint64 now = g_get_monotonic_time ();
  gboolean last = done == n_images;

  if (term->quiet)
    return;
  /* A live line on a terminal; a line every ~10 s and per epoch in a log. */
  if (!last && now - term->last_print < (term->tty ? 200000 : 10000000))
    return;
  term->last_print = now;
  g_printerr ("%sepoch %d  images %u/%u%s", term->tty ? "\r\033[K" : "", epoch, done, n_images,
              term->tty && !last ? "" : "\n");
}

static gboolean
write_outputs (const CtFaithfulness  *result,
               const char            *out,
               double                 scale,
               GError               **error)
{
  g_autofree char *csv = g_build_filename (out, "faithfulness.csv", NULL);
  g_autofree char *json = g_build_filename (out, "faithfulness.json", NULL);

  if (g_mkdir_with_parents (out, 0755) != 0)
    {
      int saved = errno;

      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
                   "Could not create %s: %s", out, g_strerror (saved));
      return FALSE;
    }
  if (!ct_faithfulness_write_csv (result, csv, error) ||
      !ct_faithfulness_write_json (result, json, error))
    return FALSE;

  for (CtFaithfulnessChart chart = 0; chart < CT_FAITHFULNESS_N_CHARTS; chart++)
    {
      g_autofree char *name = g_strconcat (ct_faithfulness_chart_to_string (chart), ".png", NULL);
      g_autofree char *path = g_build_filename (out, name, NULL);

      if (!ct_faithfulness_chart_write_png (result, chart, scale, path, error))
        return FALSE;
    }
  return TRUE;
}

static gboolean
write_sanity_charts (const CtSanity  *sanity,
                     const char      *out,
                     double           scale,
                     GError         **error)
{
  for (CtSanityChart chart = 0; chart < CT_SANITY_N_CHARTS; chart++)
    {
      g_autofree char *name = g_strconcat (ct_sanity_chart_to_string (chart), ".png", NULL);
      g_autofree char *path = g_build_filename (out, name, NULL);

      if (!ct_sanity_chart_write_png (sanity, chart, scale, path, error))
        return FALSE;
    }
  return TRUE;
}

static void
sanity_progress_cb (guint    done,
                    guint    n_images,
                    gpointer user_data)
{
  Terminal *term = user_data;

  if (term->quiet)
    return;
  g_printerr ("%ssanity check  images %u/%u%s", term->tty ? "\r\033[K" : "", done, n_images,
              term->tty && done < n_images ? "" : "\n");
}

/* --sanity: the randomisation sanity check beside the scores; under
 * torchrun every rank computes its share and rank 0 alone writes. */
static gboolean
run_sanity (CtCamSession            *session,
            const CtFaithfulnessRequest *request,
            const char              *data,
            const char              *device,
            const char              *out,
            double                   scale,
            Terminal                *term,
            GError                 **error)
{
  g_autofree char *csv = g_build_filename (out, "sanity.csv", NULL);
  g_autofree char *json = g_build_filename (out, "sanity.json", NULL);
  g_autoptr(CtSanity) sanity = NULL;
  CtSanityRequest sanity_request = {
    .epochs = request->epochs,
    .n_epochs = request->n_epochs,
    .n_images = request->n_images,
    .seed = request->seed,
    .layer = request->layer,
    .method = request->method,
    .data = data,
    .device = device,
    .batch_size = request->batch_size,
    .dist = request->dist,
  };

  sanity = ct_sanity_compute (session, &sanity_request, sanity_progress_cb, term, NULL, error);
  if (sanity == NULL)
    return FALSE;
  if (ct_dist_get_rank (request->dist) != 0)
    return TRUE;
  if (!ct_sanity_write_csv (sanity, csv, error) ||
      !ct_sanity_write_json (sanity, json, error) ||
      !write_sanity_charts (sanity, out, scale, error))
    return FALSE;

  g_print ("%s: randomisation sanity check, %s's maps of the true class against the untrained "
           "network and the trained one randomised from the output down (lower: the maps follow "
           "the model)\n", csv, sanity->method);
  g_print ("%5s  %-24s  %-17s  %-17s  %-17s\n", "epoch", "against", "Spearman", "SSIM",
           "top-20% IoU");
  for (guint r = 0; r < sanity->rows->len; r++)
    {
      const CtSanityRow *row = &g_array_index (sanity->rows, CtSanityRow, r);

      g_print ("%5d  %-24s  %+.3f ± %.3f     %+.3f ± %.3f     %.3f ± %.3f\n", row->epoch,
               row->against, row->spearman, row->spearman_ci95, row->ssim, row->ssim_ci95,
               row->top_iou, row->top_iou_ci95);
    }
  return TRUE;
}

static void
print_summary (const CtFaithfulness *result,
               const char           *out)
{
  g_print ("%s: faithfulness of %s at layer %s, %u images, baseline %s, %g of the pixels a step\n",
           out, result->method, result->layer, result->n_images,
           ct_baseline_to_string (result->baseline), result->step_fraction);
  g_print ("%5s  %-20s  %-17s  %-17s  %-17s  %-17s  %-17s\n", "epoch", "heatmap",
           "deletion AUC (lo)", "insertion AUC (hi)", "average drop % (lo)", "increase % (hi)",
           "ROAD (hi)");
  for (guint r = 0; r < result->rows->len; r++)
    {
      const CtFaithfulnessRow *row = &g_array_index (result->rows, CtFaithfulnessRow, r);

      g_print ("%5d  %-20s  %.4f ± %.4f   %.4f ± %.4f    %6.2f ± %5.2f       %6.2f ± %5.2f"
               "     %+.4f ± %.4f\n",
               row->epoch, row->heatmap, row->deletion, row->deletion_ci95, row->insertion,
               row->insertion_ci95, row->average_drop, row->average_drop_ci95, row->increase,
               row->increase_ci95, row->road_combined, row->road_combined_ci95);
    }
}

/* What every rank must be started with, in words for the message that
 * tells two apart: the options that decide the batches and the numbers. */
static char *
dup_summary (const char                  *run,
             const CtFaithfulnessRequest *request,
             gboolean                     sanity)
{
  g_autofree char *epochs = ct_epochs_to_string (request->epochs, request->n_epochs);

  return g_strdup_printf ("--run %s --epochs %s --images %u --seed %" G_GUINT64_FORMAT
                          " --method %s --layer %s --step %g --baseline %s --road-noise %g"
                          " --batch-size %u%s",
                          run, epochs, request->n_images, request->seed,
                          ct_cam_method_to_string (request->method),
                          request->layer != NULL ? request->layer : "(default)",
                          request->step_fraction, ct_baseline_to_string (request->baseline),
                          request->road_noise, request->batch_size, sanity ? " --sanity" : "");
}

/* The study itself, once the options are read; @dist (nullable) is the
 * torchrun group. */
static int
faithfulness_run (const char            *run,
                  const char            *data,
                  const char            *device,
                  const char            *epochs_text,
                  CtFaithfulnessRequest *request,
                  gboolean               sanity,
                  const char            *out,
                  double                 scale,
                  CtDist                *dist,
                  Terminal              *term)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CtCamSession) session = NULL;
  g_autoptr(GArray) epochs = NULL;
  g_autoptr(CtFaithfulness) result = NULL;
  g_autofree char *summary = NULL;

  session = ct_cam_session_new (run, data, device, &error);
  if (session == NULL)
    {
      ct_cli_dist_tell_failure (dist, error->message);
      return ct_cli_fail ("faithfulness", error);
    }
  if (epochs_text != NULL)
    {
      GArray *available = ct_cam_session_get_epochs (session);

      epochs = ct_epochs_parse (epochs_text, (const int *) available->data, available->len,
                                CT_EPOCHS_STRICT, &error);
      if (epochs == NULL)
        {
          g_autofree char *failure = g_strconcat ("--epochs: ", error->message, NULL);

          ct_cli_dist_tell_failure (dist, failure);
          return ct_cli_usage_error ("faithfulness", "%s", failure);
        }
    }
  else
    epochs = g_array_copy (ct_cam_session_get_epochs (session));

  request->epochs = (const int *) epochs->data;
  request->n_epochs = epochs->len;
  request->dist = dist;

  /* Every rank set up, with the same options (the gathers assume the same
   * batches everywhere), or every rank stops with one message. */
  summary = dup_summary (run, request, sanity);
  if (ct_cli_dist_agree ("faithfulness", dist, summary) != 0)
    return CT_CLI_EXIT_FAILURE;

  result = ct_faithfulness_compute (session, request, progress_cb, term, NULL, &error);
  if (result == NULL)
    return ct_cli_fail ("faithfulness", error);
  if (ct_dist_get_rank (dist) == 0)
    {
      if (!write_outputs (result, out, scale, &error))
        return ct_cli_fail ("faithfulness", error);
      print_summary (result, out);
    }
  if (sanity && !run_sanity (session, request, data, device, out, scale, term, &error))
    return ct_cli_fail ("faithfulness", error);
  return 0;
}

int
ct_cli_faithfulness (int    argc,
                     char **argv)
{
  g_autofree char *run = NULL, *epochs_text = NULL, *out = NULL, *layer = NULL;
  g_autofree char *data = NULL, *device = NULL, *method_text = NULL, *baseline_text = NULL;
  g_autofree char *method_help = ct_cli_dup_method_help (), *rank_device = NULL;
  int n_images = 500, batch_size = 0, threads = 0;
  double step = 0.02;
  double road_noise = 0.01;
  double scale = 2.0;
  gint64 seed = 0;
  gboolean quiet = FALSE, sanity = FALSE;
  double dist_timeout = 300.0;
  CtDist *dist = NULL;
  CtFaithfulnessRequest request = { 0 };
  Terminal term = { isatty (STDERR_FILENO), FALSE, 0 };
  int status = 0;
  const GOptionEntry entries[] = {
    { "run", 'r', 0, G_OPTION_ARG_FILENAME, &run, N_("Run directory (required)"), N_("DIR") },
    { "epochs", 'e', 0, G_OPTION_ARG_STRING, &epochs_text, N_("Checkpoints: epochs, “last” or “all” (default all)"), N_("LIST") },
    { "images", 'n', 0, G_OPTION_ARG_INT, &n_images, N_("Test images drawn with --seed (default 500)"), "N" },
    { "seed", 's', 0, G_OPTION_ARG_INT64, &seed, N_("Seed of the images and the random heatmaps"), "S" },
    { "method", 'm', 0, G_OPTION_ARG_STRING, &method_text, method_help, N_("NAME") },
    { "layer", 'l', 0, G_OPTION_ARG_STRING, &layer, N_("Target layer (default: see camtrail-cli layers)"), N_("NAME") },
    { "step", 0, 0, G_OPTION_ARG_DOUBLE, &step, N_("Fraction of the pixels deleted or inserted a step (default 0.02)"), "F" },
    { "baseline", 0, 0, G_OPTION_ARG_STRING, &baseline_text, N_("What deleted pixels become: zero (default), mean or blur"), N_("FILL") },
    { "road-noise", 0, 0, G_OPTION_ARG_DOUBLE, &road_noise, N_("Noise of ROAD's imputation, σ in normalised units (default 0.01)"), N_("SIGMA") },
    { "sanity", 0, 0, G_OPTION_ARG_NONE, &sanity, N_("Also the randomisation sanity check (sanity.csv, sanity.json and its charts)"), NULL },
    { "batch-size", 'b', 0, G_OPTION_ARG_INT, &batch_size, N_("Images per CAM call (default 64)"), "N" },
    { "scale", 0, 0, G_OPTION_ARG_DOUBLE, &scale, N_("Chart scale factor (default 2)"), "F" },
    { "out", 'o', 0, G_OPTION_ARG_FILENAME, &out, N_("Directory for faithfulness.csv, faithfulness.json and the charts (required)"), N_("DIR") },
    { "data", 'd', 0, G_OPTION_ARG_FILENAME, &data, N_("Dataset (default: the run's)"), N_("PATH") },
    { "device", 0, 0, G_OPTION_ARG_STRING, &device, N_("cpu (default) or cuda"), N_("DEVICE") },
    { "threads", 'j', 0, G_OPTION_ARG_INT, &threads, N_("libtorch threads (default: all cores)"), "N" },
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet, N_("No progress output"), NULL },
    CT_CLI_DIST_TIMEOUT_ENTRY (dist_timeout),
    { NULL }
  };

  if (!ct_cli_parse ("faithfulness", NULL,
                     _("Scores, for every checkpoint, how faithful a CAM method's heatmaps are:\n"
                       "deletion and insertion AUC, Average Drop, Increase in Confidence and\n"
                       "ROAD, beside random heatmaps, into CSV, JSON and charts; with --sanity also\n"
                       "the randomisation sanity check."),
                     entries, &argc, &argv, &status))
    return status;
  if (argc > 1)
    return ct_cli_usage_error ("faithfulness", "unexpected argument “%s”", argv[1]);
  if (run == NULL)
    return ct_cli_usage_error ("faithfulness", "--run is required");
  ct_cli_resolve_run (&run);
  if (out == NULL)
    return ct_cli_usage_error ("faithfulness", "--out is required");
  if (n_images < 1 || batch_size < 0 || seed < 0 || threads < 0)
    return ct_cli_usage_error ("faithfulness", "counts must be positive");
  if (!(step > 0 && step <= 1))
    return ct_cli_usage_error ("faithfulness", "--step must be in (0, 1]");
  if (!ct_cli_parse_method ("faithfulness", method_text, &request.method))
    return CT_CLI_EXIT_USAGE;
  request.baseline = CT_BASELINE_ZERO;
  if (baseline_text != NULL && !ct_baseline_from_string (baseline_text, &request.baseline))
    return ct_cli_usage_error ("faithfulness", "--baseline must be zero, mean or blur");
  if (!(road_noise >= 0 && road_noise <= 1))
    return ct_cli_usage_error ("faithfulness", "--road-noise must be in [0, 1]");
  if (!(scale > 0 && scale <= 8))
    return ct_cli_usage_error ("faithfulness", "--scale must be in (0, 8]");
  request.n_images = n_images;
  request.seed = seed;
  request.layer = layer;
  request.step_fraction = step;
  request.road_noise = road_noise;
  request.batch_size = batch_size;

  /* Under torchrun the batches are shared out over the ranks; rank 0 alone
   * reports and writes. */
  status = ct_cli_dist_start ("faithfulness", threads, dist_timeout, &dist);
  if (status != 0)
    return status;
  term.quiet = quiet || ct_dist_get_rank (dist) != 0;
  /* One GPU per rank: torchrun's LOCAL_RANK picks it. */
  rank_device = ct_shard_dup_device (device, ct_dist_get_world_size (dist),
                                     ct_dist_get_local_rank (dist));
  status = faithfulness_run (run, data, rank_device, epochs_text, &request, sanity, out, scale, dist,
                             &term);
  ct_dist_free (dist);
  return status;
}
