/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <glib/gi18n.h>
#include <stdio.h>
#include <unistd.h>

#include "ct-cli.h"
#include "ct-robustness-job.h"
#include "ct-robustness-plot.h"
#include "ct-shard.h"

/* The study's perturbations: noise σ 0.1, rotations in ±30°, 20 pixels. */
#define DEFAULT_PERTURBATIONS "noise:0.1,rotate-random:30,occlude:20"

typedef struct {
  gboolean tty;
  gboolean quiet;
  gint64   last_print;
} Terminal;

static void
format_duration (double  seconds,
                 char   *buffer,
                 gsize   size)
{
  int s = (int) (seconds + 0.5);

  if (s >= 3600)
    g_snprintf (buffer, size, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60);
  else
    g_snprintf (buffer, size, "%d:%02d", s / 60, s % 60);
}

static void
progress_cb (const CtRobustnessProgress *progress,
             gpointer                    user_data)
{
  Terminal *term = user_data;
  gint64 now = g_get_monotonic_time ();
  gboolean last = progress->step == progress->n_steps;
  char eta[32];

  if (term->quiet)
    return;
  /* A live line on a terminal; a line every ~10 s in a log. */
  if (!last && now - term->last_print < (term->tty ? 200000 : 10000000))
    return;
  term->last_print = now;

  format_duration (progress->seconds / progress->step * (progress->n_steps - progress->step),
                   eta, sizeof eta);
  g_printerr ("%sepoch %d  %s  step %u/%u  ETA %s%s",
              term->tty ? "\r\033[K" : "", progress->epoch, progress->perturbation,
              progress->step, progress->n_steps, eta,
              term->tty && !last ? "" : "\n");
}

static gboolean
write_outputs (const CtRobustness  *result,
               const char          *out,
               double               scale,
               GError             **error)
{
  g_autofree char *csv = g_build_filename (out, "robustness.csv", NULL);
  g_autofree char *json = g_build_filename (out, "robustness.json", NULL);

  if (g_mkdir_with_parents (out, 0755) != 0)
    {
      int saved = errno;

      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
                   "Could not create %s: %s", out, g_strerror (saved));
      return FALSE;
    }
  if (!ct_robustness_write_csv (result, csv, error) ||
      !ct_robustness_write_json (result, json, error))
    return FALSE;

  for (CtRobustnessChart chart = 0; chart < CT_ROBUSTNESS_N_CHARTS; chart++)
    {
      g_autofree char *name = g_strconcat (ct_robustness_chart_to_string (chart), ".png", NULL);
      g_autofree char *path = g_build_filename (out, name, NULL);

      if (!ct_robustness_chart_write_png (result, chart, scale, path, error))
        return FALSE;
    }
  return TRUE;
}

static void
print_summary (const CtRobustness *result,
               const char         *out)
{
  printf ("%s: robustness of %s at layer %s, %u images × %u rounds, %u perturbations, "
          "CE baseline epoch %d\n",
          out, result->arch, result->layer, result->n_images, result->n_rounds,
          result->n_perturbations, result->baseline_epoch);
  printf ("%5s  %9s  %13s  %15s  %8s  %12s\n",
          "epoch", "clean acc", "mean pert acc", "mean conf drop", "mCE", "relative mCE");
  for (guint e = 0; e < result->n_epochs; e++)
    {
      double accuracy = 0, drop = 0;

      for (guint p = 0; p < result->n_perturbations; p++)
        {
          const CtRobustnessRow *row = &result->rows[(gsize) e * result->n_perturbations + p];

          accuracy += row->accuracy / result->n_perturbations;
          drop += row->confidence_drop.mean / result->n_perturbations;
        }
      printf ("%5d  %8.2f%%  %12.2f%%  %+15.4f  %8.3f  %12.3f\n",
              result->epochs[e].epoch, 100 * result->epochs[e].clean_accuracy, 100 * accuracy,
              drop, result->epochs[e].mce, result->epochs[e].relative_mce);
    }
}

/* The study itself, once the options are read; @dist (nullable) is the
 * torchrun group. */
/* What every rank must be started with, in words for the message that
 * tells two apart: the options that decide the batches and the numbers. */
static char *
dup_summary (const char                *run,
             const char                *perturb_text,
             const CtRobustnessRequest *request)
{
  g_autofree char *epochs = ct_epochs_to_string (request->epochs, request->n_epochs);
  g_autofree char *target = ct_target_rule_to_string (request->target_rule, 0, NULL);

  return g_strdup_printf ("--run %s --epochs %s --perturb %s --images %u --rounds %u --seed %"
                          G_GUINT64_FORMAT " --method %s --layer %s --target %s --batch-size %u",
                          run, epochs, perturb_text, request->n_images, request->rounds,
                          request->seed, ct_cam_method_to_string (request->method),
                          request->layer != NULL ? request->layer : "(default)", target,
                          request->batch_size);
}

static int
robustness_run (const char          *run,
                const char          *data,
                const char          *device,
                const char          *epochs_text,
                const char          *perturb_text,
                CtRobustnessRequest *request,
                GArray              *perturbations,
                const char          *out,
                double               scale,
                CtDist              *dist,
                Terminal            *term)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CtCamSession) session = NULL;
  g_autoptr(GArray) epochs = NULL;
  g_autoptr(CtRobustness) result = NULL;
  g_autofree char *summary = NULL;
  GArray *available;
  int final;

  session = ct_cam_session_new (run, data, device, &error);
  if (session == NULL)
    {
      ct_cli_dist_tell_failure (dist, error->message);
      return ct_cli_fail ("robustness", error);
    }

  available = ct_cam_session_get_epochs (session);
  final = g_array_index (available, int, available->len - 1);
  if (epochs_text != NULL)
    {
      epochs = ct_epochs_parse (epochs_text, (const int *) available->data, available->len,
                                CT_EPOCHS_STRICT, &error);
      if (epochs == NULL)
        {
          g_autofree char *failure = g_strconcat ("--epochs: ", error->message, NULL);

          ct_cli_dist_tell_failure (dist, failure);
          return ct_cli_usage_error ("robustness", "%s", failure);
        }
      g_array_append_val (epochs, final);
    }
  else
    epochs = g_array_copy (available);
  ct_epochs_sort_unique (epochs);

  request->epochs = (const int *) epochs->data;
  request->n_epochs = epochs->len;
  request->baseline_epoch = final;
  request->perturbations = (const CtPerturb *) perturbations->data;
  request->n_perturbations = perturbations->len;
  request->dist = dist;

  /* Every rank set up, with the same options (the gather assumes the same
   * batches everywhere), or every rank stops with one message. */
  summary = dup_summary (run, perturb_text, request);
  if (ct_cli_dist_agree ("robustness", dist, summary) != 0)
    return CT_CLI_EXIT_FAILURE;

  result = ct_robustness_compute (session, request, progress_cb, term, NULL, &error);
  if (result == NULL)
    return ct_cli_fail ("robustness", error);
  if (ct_dist_get_rank (dist) != 0)
    return 0;
  if (!write_outputs (result, out, scale, &error))
    return ct_cli_fail ("robustness", error);

  print_summary (result, out);
  return 0;
}

int
ct_cli_robustness (int    argc,
                   char **argv)
{
  g_autofree char *run = NULL, *epochs_text = NULL, *perturb_text = NULL, *out = NULL;
  g_autofree char *layer = NULL, *target = NULL, *data = NULL, *device = NULL;
  g_autofree char *method_text = NULL, *rank_device = NULL;
  g_autofree char *method_help = ct_cli_dup_method_help ();
  int n_images = 100, rounds = 1, batch_size = 0, threads = 0;
  double scale = 2.0, dist_timeout = 300.0;
  CtDist *dist = NULL;
  gint64 seed = 0;
  gboolean quiet = FALSE;
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) perturbations = NULL;
  CtTargetRule target_rule = CT_TARGET_RULE_PREDICTED;
  int target_class = 0;
  CtRobustnessRequest request = { 0 };
  Terminal term = { isatty (STDERR_FILENO), FALSE, 0 };
  int status = 0;
  const GOptionEntry entries[] = {
    { "run", 'r', 0, G_OPTION_ARG_FILENAME, &run, N_("Run directory, or the name of a run in ~/.local/share/camtrail/runs (required)"), N_("DIR") },
    { "epochs", 'e', 0, G_OPTION_ARG_STRING, &epochs_text, N_("Checkpoints: epochs, “last” or “all” (default all; the last is always added as the CE baseline)"), N_("LIST") },
    { "perturb", 'p', 0, G_OPTION_ARG_STRING, &perturb_text, N_("Perturbations: noise:SIGMA, rotate:DEG, rotate-random:A, occlude:N, c10c:all, c10c:NAME[-SEVERITY] (default " DEFAULT_PERTURBATIONS ")"), N_("LIST") },
    { "images", 'n', 0, G_OPTION_ARG_INT, &n_images, N_("Test images drawn with --seed (default 100)"), "N" },
    { "rounds", 'R', 0, G_OPTION_ARG_INT, &rounds, N_("Perturbation draws per image (default 1)"), "R" },
    { "seed", 's', 0, G_OPTION_ARG_INT64, &seed, N_("Seed of the images and every perturbation draw"), "S" },
    { "layer", 'l', 0, G_OPTION_ARG_STRING, &layer, N_("Target layer (default: see camtrail-cli layers)"), N_("NAME") },
    { "method", 'm', 0, G_OPTION_ARG_STRING, &method_text, method_help, N_("NAME") },
    { "target", 't', 0, G_OPTION_ARG_STRING, &target, N_("Class the heatmaps explain: predicted (default) or label"), N_("RULE") },
    { "batch-size", 'b', 0, G_OPTION_ARG_INT, &batch_size, N_("Images per Grad-CAM call (default 64)"), "N" },
    { "scale", 0, 0, G_OPTION_ARG_DOUBLE, &scale, N_("Chart scale factor (default 2)"), "F" },
    { "out", 'o', 0, G_OPTION_ARG_FILENAME, &out, N_("Directory for robustness.csv, robustness.json and the charts (required)"), N_("DIR") },
    { "data", 'd', 0, G_OPTION_ARG_FILENAME, &data, N_("Dataset (default: the run's)"), N_("PATH") },
    { "device", 0, 0, G_OPTION_ARG_STRING, &device, N_("cpu (default) or cuda"), N_("DEVICE") },
    { "threads", 'j', 0, G_OPTION_ARG_INT, &threads, N_("libtorch threads (default: all cores)"), "N" },
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet, N_("No progress output"), NULL },
    CT_CLI_DIST_TIMEOUT_ENTRY (dist_timeout),
    { NULL }
  };

  if (!ct_cli_parse ("robustness", NULL,
                     _("Measures, for every checkpoint, accuracy, confidence drop and Grad-CAM\n"
                       "heatmap stability under perturbations and CIFAR-10-C corruptions, with\n"
                       "corruption errors against the final checkpoint, into CSV, JSON and charts."),
                     entries, &argc, &argv, &status))
    return status;
  if (argc > 1)
    return ct_cli_usage_error ("robustness", "unexpected argument “%s”", argv[1]);
  if (run == NULL)
    return ct_cli_usage_error ("robustness", "--run is required");
  ct_cli_resolve_run (&run);
  if (out == NULL)
    return ct_cli_usage_error ("robustness", "--out is required");
  if (n_images < 1 || rounds < 1 || rounds > 64 || batch_size < 0 || seed < 0 || threads < 0)
    return ct_cli_usage_error ("robustness", "counts must be positive (--rounds at most 64)");
  if (!(scale > 0 && scale <= 8))
    return ct_cli_usage_error ("robustness", "--scale must be in (0, 8]");
  /* A study explains each image's own class, so no fixed class index. */
  if (!ct_target_rule_parse (target, NULL, 0, &target_rule, &target_class, NULL))
    return ct_cli_usage_error ("robustness", "--target must be predicted or label");
  if (!ct_cli_parse_method ("robustness", method_text, &request.method))
    return CT_CLI_EXIT_USAGE;
  perturbations = ct_robustness_parse_perturbations (perturb_text != NULL ? perturb_text
                                                                          : DEFAULT_PERTURBATIONS,
                                                     &error);
  if (perturbations == NULL)
    return ct_cli_usage_error ("robustness", "--perturb: %s", error->message);
  request.n_images = n_images;
  request.rounds = rounds;
  request.seed = seed;
  request.batch_size = batch_size;
  request.layer = layer;
  request.target_rule = target_rule;

  /* Under torchrun the batches are shared out over the ranks; rank 0 alone
   * reports and writes. */
  status = ct_cli_dist_start ("robustness", threads, dist_timeout, &dist);
  if (status != 0)
    return status;
  term.quiet = quiet || ct_dist_get_rank (dist) != 0;
  /* One GPU per rank: torchrun's LOCAL_RANK picks it. */
  rank_device = ct_shard_dup_device (device, ct_dist_get_world_size (dist),
                                     ct_dist_get_local_rank (dist));
  status = robustness_run (run, data, rank_device, epochs_text,
                           perturb_text != NULL ? perturb_text : DEFAULT_PERTURBATIONS, &request,
                           perturbations, out, scale, dist, &term);
  ct_dist_free (dist);
  return status;
}
