/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>
#include <math.h>

#include "ct-cli.h"
#include "ct-run.h"
#include "ct-train.h"

static void
print_percent (double value)
{
  if (isnan (value))
    g_print ("  %8s%s", "", "–");
  else
    g_print ("  %8.2f%%", 100.0 * value);
}

static void
print_number (double value,
              int    decimals)
{
  if (isnan (value))
    g_print ("  %8s%s", "", "–");
  else
    g_print ("  %9.*f", decimals, value);
}

/* The study's Table 1: accuracy per epoch, train beside test. */
static void
print_table (const CtManifest *manifest,
             const char       *run_dir,
             GArray           *metrics,
             const char       *caption)
{
  g_print ("%s: %s on %s (%u training images per epoch, %d classes)%s\n",
           run_dir, manifest->arch, manifest->dataset, manifest->train_images,
           manifest->n_classes, caption);
  gboolean tta = FALSE;

  /* The test-time augmented accuracy in a column of its own, where any. */
  for (guint i = 0; i < metrics->len; i++)
    tta = tta || !isnan (g_array_index (metrics, CtEpochMetrics, i).test_accuracy_tta);
  g_print ("%5s  %9s  %9s  %9s  %9s  %9s%s\n",
           "epoch", "train acc", "test acc", "train loss", "test loss", "seconds",
           tta ? "    TTA acc" : "");
  for (guint i = 0; i < metrics->len; i++)
    {
      const CtEpochMetrics *m = &g_array_index (metrics, CtEpochMetrics, i);

      g_print ("%5d", m->epoch);
      print_percent (m->train_accuracy);
      print_percent (m->test_accuracy);
      print_number (m->train_loss, 4);
      print_number (m->test_loss, 4);
      print_number (m->seconds, 1);
      if (tta)
        print_percent (m->test_accuracy_tta);
      g_print ("\n");
    }
}

static void
reevaluate_cb (const CtTrainReport *report,
               gpointer             user_data)
{
  if (report->stage == CT_TRAIN_STAGE_SAVED)
    g_printerr ("epoch %d: test accuracy %.2f%%\n", report->epoch,
                100.0 * report->metrics->test_accuracy);
}

int
ct_cli_eval (int    argc,
             char **argv)
{
  g_autofree char *run = NULL;
  g_autofree char *data = NULL;
  gboolean remeasure = FALSE;
  g_autoptr(GError) error = NULL;
  g_autoptr(CtManifest) manifest = NULL;
  g_autoptr(GArray) metrics = NULL;
  int status = 0;
  const GOptionEntry entries[] = {
    { "run", 'r', 0, G_OPTION_ARG_FILENAME, &run, N_("Run directory, or the name of a run in ~/.local/share/camtrail/runs (required)"), N_("DIR") },
    { "remeasure", 0, 0, G_OPTION_ARG_NONE, &remeasure, N_("Re-measure test loss and accuracy from every checkpoint"), NULL },
    { "data", 'd', 0, G_OPTION_ARG_FILENAME, &data, N_("Dataset to re-measure on (default: the run's)"), N_("PATH") },
    { NULL }
  };

  if (!ct_cli_parse ("eval", NULL,
                     _("Prints the per-epoch train and test accuracy of a run (from metrics.jsonl,\n"
                       "or re-measured from the checkpoints with --remeasure)."),
                     entries, &argc, &argv, &status))
    return status;
  if (argc > 1)
    return ct_cli_usage_error ("eval", "unexpected argument “%s”", argv[1]);
  if (run == NULL)
    return ct_cli_usage_error ("eval", "--run is required");
  ct_cli_resolve_run (&run);

  manifest = ct_manifest_load (run, &error);
  if (manifest == NULL)
    return ct_cli_fail ("eval", error);

  if (remeasure)
    {
      metrics = ct_train_reevaluate (run, data, reevaluate_cb, NULL, NULL, &error);
      if (metrics == NULL)
        return ct_cli_fail ("eval", error);
      print_table (manifest, run, metrics, ", re-measured from the checkpoints");
    }
  else
    {
      metrics = ct_metrics_load (run, &error);
      if (metrics == NULL)
        return ct_cli_fail ("eval", error);
      print_table (manifest, run, metrics, "");
    }

  return 0;
}

int
ct_cli_layers (int    argc,
               char **argv)
{
  g_autofree char *run = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(CtManifest) manifest = NULL;
  int status = 0;
  const GOptionEntry entries[] = {
    { "run", 'r', 0, G_OPTION_ARG_FILENAME, &run, N_("Run directory, or the name of a run in ~/.local/share/camtrail/runs (required)"), N_("DIR") },
    { NULL }
  };

  if (!ct_cli_parse ("layers", NULL,
                     _("Lists the layers Grad-CAM can target, with their output map sizes; “*” marks\n"
                       "the default, the last layer whose map is at least 4×4."),
                     entries, &argc, &argv, &status))
    return status;
  if (argc > 1)
    return ct_cli_usage_error ("layers", "unexpected argument “%s”", argv[1]);
  if (run == NULL)
    return ct_cli_usage_error ("layers", "--run is required");
  ct_cli_resolve_run (&run);

  manifest = ct_manifest_load (run, &error);
  if (manifest == NULL)
    return ct_cli_fail ("layers", error);

  g_print ("%s (%s, %d×%d input)\n", run, manifest->arch, manifest->input_size,
           manifest->input_size);
  g_print ("  %-20s %8s  %s\n", "layer", "channels", "map");
  for (guint i = 0; i < manifest->n_layers; i++)
    {
      const CtRunLayer *layer = &manifest->layers[i];
      g_autofree char *map = g_strdup_printf ("%d×%d", layer->height, layer->width);

      g_print ("%s %-20s %8d  %s\n",
               g_strcmp0 (layer->name, manifest->default_layer) == 0 ? "*" : " ",
               layer->name, layer->channels, map);
    }

  return 0;
}
