/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>
#include <stdio.h>
#include <unistd.h>

#include "ct-cli.h"
#include "ct-shard.h"
#include "ct-stats.h"
#include "ct-study-job.h"
#include "ct-study-report.h"
#include "ct-torch-glib.h"

#define BAR_WIDTH 24

typedef struct {
  gboolean tty;
  gboolean quiet;
  gint64   last_print;
} Terminal;

/* A bar, the step, what is being measured and the time left, estimated
 * from the steps this run has done (parts read back cost nothing). */
static void
progress_cb (const CtStudyProgress *progress,
             gpointer               user_data)
{
  Terminal *term = user_data;
  gint64 now = g_get_monotonic_time ();
  gboolean last = progress->step >= progress->n_steps;
  guint done_here = progress->step - MIN (progress->step, progress->resumed_steps);
  char bar[BAR_WIDTH + 1];
  char left[32];
  guint filled;

  if (term->quiet)
    return;
  if (!last && now - term->last_print < (term->tty ? 200000 : 10000000))
    return;
  term->last_print = now;

  filled = (guint) ((double) BAR_WIDTH * progress->step / MAX (progress->n_steps, 1));
  for (guint i = 0; i < BAR_WIDTH; i++)
    bar[i] = i < filled ? '#' : '.';
  bar[BAR_WIDTH] = '\0';
  if (done_here > 0)
    ct_stats_format_duration (progress->seconds / done_here * (progress->n_steps - progress->step),
                              left, sizeof left);
  else
    g_strlcpy (left, "?", sizeof left);
  g_printerr ("%s[%s] %3.0f%%  %u/%u  %s  %s %s%s", term->tty ? "\r\033[K" : "", bar,
              100.0 * progress->step / MAX (progress->n_steps, 1), progress->step,
              progress->n_steps, progress->part != NULL ? progress->part : "",
              _("left"), left, term->tty && !last ? "" : "\n");
}

/* What every rank must be started with, in words for the message that
 * tells two apart: the options that decide the batches and the numbers. */
static char *
dup_summary (const char           *run,
             const CtStudyRequest *request)
{
  g_autofree char *epochs = ct_epochs_to_string (request->epochs, request->n_epochs);
  g_autoptr(GString) summary = g_string_new (NULL);

  g_string_printf (summary, "--run %s --epochs %s --images %u --seed %" G_GUINT64_FORMAT
                   " --method %s --layer %s --batch-size %u", run, epochs, request->n_images,
                   request->seed, ct_cam_method_to_string (request->method),
                   request->layer != NULL ? request->layer : "(default)", request->batch_size);
  if (request->c10c)
    g_string_append (summary, " --c10c");
  for (guint m = 0; m < request->n_faithfulness_methods; m++)
    g_string_append_printf (summary, "%s%s", m > 0 ? "," : " --methods ",
                            ct_cam_method_to_string (request->faithfulness_methods[m]));
  if (request->sanity)
    g_string_append (summary, " --sanity");
  return g_string_free (g_steal_pointer (&summary), FALSE);
}

/* The study itself, once the options are read; @dist (nullable) is the
 * torchrun group: every rank measures its share, rank 0 alone writes. */
static int
study_run (const char     *run,
           const char     *data,
           const char     *device,
           const char     *epochs_text,
           const char     *out,
           CtStudyRequest *request,
           CtDist         *dist,
           Terminal       *term)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CtCamSession) session = NULL;
  g_autoptr(GArray) epochs = NULL;
  g_autoptr(CtStudyResult) result = NULL;
  g_autofree char *summary = NULL;
  GArray *available;

  session = ct_cam_session_new (run, data, device, &error);
  if (session == NULL)
    {
      ct_cli_dist_tell_failure (dist, error->message);
      return ct_cli_fail ("study", error);
    }

  available = ct_cam_session_get_epochs (session);
  epochs = ct_epochs_parse (epochs_text != NULL ? epochs_text : CT_EPOCHS_DEFAULT,
                            (const int *) available->data, available->len,
                            epochs_text != NULL ? CT_EPOCHS_STRICT : CT_EPOCHS_SKIP_MISSING, &error);
  if (epochs != NULL)
    ct_epochs_sort_unique (epochs);
  if (epochs == NULL || epochs->len < 2)
    {
      g_autofree char *failure = g_strconcat ("--epochs: ", epochs == NULL ? error->message
                                              : "a study compares at least two checkpoints",
                                              NULL);

      ct_cli_dist_tell_failure (dist, failure);
      return ct_cli_usage_error ("study", "%s", failure);
    }

  request->epochs = (const int *) epochs->data;
  request->n_epochs = epochs->len;
  request->out_dir = out;
  request->dist = dist;

  /* Every rank set up, with the same options (the gathers assume the same
   * batches everywhere), or every rank stops with one message. */
  summary = dup_summary (run, request);
  if (ct_cli_dist_agree ("study", dist, summary) != 0)
    return CT_CLI_EXIT_FAILURE;

  result = ct_study_run (session, request, progress_cb, term, NULL, &error);
  if (result == NULL)
    return ct_cli_fail ("study", error);
  if (ct_dist_get_rank (dist) != 0)
    return 0;
  result->command = ct_study_dup_command (run, data, out, request);
  if (!ct_study_report_write (result, out, &error))
    return ct_cli_fail ("study", error);

  g_print ("%s/report.html: study of %s, epochs", out, result->run_name);
  for (guint e = 0; e < result->n_epochs; e++)
    g_print ("%s%d", e > 0 ? "," : " ", result->epochs[e]);
  g_print (", %u images × %u rounds\n", result->n_images, result->n_rounds);
  for (guint c = 0; c < CT_STUDY_N_CLAIMS; c++)
    g_print ("(%c) %-13s %s\n", 'a' + c, ct_study_verdict_to_string (result->claims[c]->verdict),
             _(ct_study_claim_statement (c)));
  return 0;
}

int
ct_cli_study (int    argc,
              char **argv)
{
  g_autofree char *run = NULL, *epochs_text = NULL, *out = NULL, *layer = NULL;
  g_autofree char *data = NULL, *device = NULL, *method_text = NULL, *methods_text = NULL;
  g_autofree char *method_help = ct_cli_dup_method_help (), *rank_device = NULL;
  int n_images = CT_STUDY_IMAGES, batch_size = 0, threads = 0;
  gint64 seed = 0;
  double dist_timeout = 300.0;
  CtDist *dist = NULL;
  gboolean c10c = FALSE, quiet = FALSE, faithfulness = FALSE, sanity = FALSE;
  g_autoptr(GArray) faithfulness_methods = g_array_new (FALSE, FALSE, sizeof (CtCamMethod));
  CtStudyRequest request = { 0 };
  Terminal term = { isatty (STDERR_FILENO), FALSE, 0 };
  int status = 0;
  const GOptionEntry entries[] = {
    { "run", 'r', 0, G_OPTION_ARG_FILENAME, &run, N_("Run directory, or the name of a run in ~/.local/share/camtrail/runs (required)"), N_("DIR") },
    { "out", 'o', 0, G_OPTION_ARG_FILENAME, &out, N_("Directory for report.html, report.pdf, the CSVs and the parts (required)"), N_("DIR") },
    { "epochs", 'e', 0, G_OPTION_ARG_STRING, &epochs_text, N_("Checkpoints: epochs, “last” or “all” (default 0,1,2,3,last)"), N_("LIST") },
    { "images", 'n', 0, G_OPTION_ARG_INT, &n_images, N_("Test images of the dataset-level tables (default 1000)"), "N" },
    { "seed", 's', 0, G_OPTION_ARG_INT64, &seed, N_("Seed of the images and every perturbation draw"), "S" },
    { "c10c", 0, 0, G_OPTION_ARG_NONE, &c10c, N_("Also the CIFAR-10-C summary (every corruption and severity)"), NULL },
    { "method", 'm', 0, G_OPTION_ARG_STRING, &method_text, method_help, N_("NAME") },
    { "faithfulness", 0, 0, G_OPTION_ARG_NONE, &faithfulness, N_("Also the faithfulness of --method's heatmaps per checkpoint (deletion, insertion, Average Drop, Increase in Confidence, ROAD), as camtrail-cli faithfulness"), NULL },
    { "methods", 0, 0, G_OPTION_ARG_STRING, &methods_text, N_("Also the faithfulness of each of these CAM methods (comma-separated; implies --faithfulness)"), N_("LIST") },
    { "sanity", 0, 0, G_OPTION_ARG_NONE, &sanity, N_("Also the randomisation sanity check (Adebayo et al.)"), NULL },
    { "layer", 'l', 0, G_OPTION_ARG_STRING, &layer, N_("Target layer (default: see camtrail-cli layers)"), N_("NAME") },
    { "batch-size", 'b', 0, G_OPTION_ARG_INT, &batch_size, N_("Images per CAM call (default 64)"), "N" },
    { "data", 'd', 0, G_OPTION_ARG_FILENAME, &data, N_("Dataset (default: the run's)"), N_("PATH") },
    { "device", 0, 0, G_OPTION_ARG_STRING, &device, N_("cpu (default) or cuda"), N_("DEVICE") },
    { "threads", 'j', 0, G_OPTION_ARG_INT, &threads, N_("libtorch threads (default: all cores)"), "N" },
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet, N_("No progress output"), NULL },
    CT_CLI_DIST_TIMEOUT_ENTRY (dist_timeout),
    { NULL }
  };

  if (!ct_cli_parse ("study", NULL,
                     /* xgettext:no-c-format */
                     _("Re-runs the paper's study on a run's checkpoints: accuracy, Grad-CAM grids\n"
                       "of random and misclassified images, perturbations with 95% intervals,\n"
                       "Table 3 with paired differences, and a verdict on each of the paper's\n"
                       "claims, into report.html, report.pdf and CSVs.  Resumable: run it again\n"
                       "with the same options to continue where it stopped."),
                     entries, &argc, &argv, &status))
    return status;
  if (argc > 1)
    return ct_cli_usage_error ("study", "unexpected argument “%s”", argv[1]);
  if (run == NULL)
    return ct_cli_usage_error ("study", "--run is required");
  ct_cli_resolve_run (&run);
  if (out == NULL)
    return ct_cli_usage_error ("study", "--out is required");
  if (n_images < 2 || batch_size < 0 || seed < 0 || threads < 0)
    return ct_cli_usage_error ("study", "--images must be at least 2, other counts positive");
  if (!ct_cli_parse_method ("study", method_text, &request.method))
    return CT_CLI_EXIT_USAGE;
  if (methods_text != NULL)
    {
      g_auto(GStrv) names = g_strsplit (methods_text, ",", -1);
      gboolean named[CT_CAM_N_METHODS] = { FALSE };

      for (guint i = 0; names[i] != NULL; i++)
        {
          CtCamMethod method;

          if (!ct_cam_method_from_string (g_strstrip (names[i]), &method))
            {
              g_autofree char *known = ct_cam_method_dup_names (", ");

              return ct_cli_usage_error ("study", "--methods: unknown method “%s”: expected "
                                         "one of %s", names[i], known);
            }
          /* Each method once: one table and one CSV per method. */
          if (!named[method])
            g_array_append_val (faithfulness_methods, method);
          named[method] = TRUE;
        }
    }
  else if (faithfulness)
    g_array_append_val (faithfulness_methods, request.method);
  request.n_images = n_images;
  request.seed = seed;
  request.layer = layer;
  request.c10c = c10c;
  request.faithfulness_methods = (const CtCamMethod *) faithfulness_methods->data;
  request.n_faithfulness_methods = faithfulness_methods->len;
  request.sanity = sanity;
  request.batch_size = batch_size;

  /* Under torchrun the measurements are shared out over the ranks; rank 0
   * alone reports and writes. */
  status = ct_cli_dist_start ("study", threads, dist_timeout, &dist);
  if (status != 0)
    return status;
  term.quiet = quiet || ct_dist_get_rank (dist) != 0;
  /* One GPU per rank: torchrun's LOCAL_RANK picks it. */
  rank_device = ct_shard_dup_device (device, ct_dist_get_world_size (dist),
                                     ct_dist_get_local_rank (dist));
  status = study_run (run, data, rank_device, epochs_text, out, &request, dist, &term);
  ct_dist_free (dist);
  return status;
}
