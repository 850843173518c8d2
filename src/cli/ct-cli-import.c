/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>
#include <math.h>
#include <unistd.h>

#include "ct-cli.h"
#include "ct-import.h"
#include "ct-torch.h"

typedef struct {
  gboolean tty;
  gboolean quiet;
} Terminal;

static void
report_cb (const CtImportReport *report,
           gpointer              user_data)
{
  Terminal *term = user_data;
  const int width = 30;
  int filled;

  if (term->quiet)
    return;
  if (report->epoch < 0)
    {
      g_printerr ("%s\n", report->message);
      return;
    }
  if (report->metrics == NULL)
    {
      /* The bar while a checkpoint is read and measured (terminals only). */
      if (term->tty)
        {
          filled = (int) (width * report->done / MAX (report->total, 1));
          g_printerr ("\r\033[K[%.*s%*s] %u/%u  epoch %d ← %s", filled,
                      "##############################", width - filled, "",
                      report->done, report->total, report->epoch, report->file);
        }
      return;
    }
  if (term->tty)
    g_printerr ("\r\033[K");
  if (isnan (report->metrics->train_accuracy))
    g_printerr (_("[%u/%u] epoch %d  test loss %.4f  test acc %5.2f%%  ← %s → %s\n"),
                report->done, report->total, report->epoch, report->metrics->test_loss,
                100.0 * report->metrics->test_accuracy, report->file, report->message);
  else
    g_printerr (_("[%u/%u] epoch %d  train acc %5.2f%%  test loss %.4f  test acc %5.2f%%  ← %s → %s\n"),
                report->done, report->total, report->epoch, 100.0 * report->metrics->train_accuracy,
                report->metrics->test_loss, 100.0 * report->metrics->test_accuracy, report->file,
                report->message);
}

int
ct_cli_import (int    argc,
               char **argv)
{
  g_autofree char *arch = NULL;
  g_autofree char *data = NULL;
  g_autofree char *out = NULL;
  g_autofree char *epochs = NULL;
  g_auto(GStrv) files = NULL;
  int input_size = 0, threads = 0;
  gboolean train_metrics = FALSE, quiet = FALSE;
  g_autoptr(GError) error = NULL;
  Terminal term = { isatty (STDERR_FILENO), FALSE };
  CtImportOptions options = { 0 };
  int status = 0;
  const GOptionEntry entries[] = {
    { "arch", 'a', 0, G_OPTION_ARG_STRING, &arch, N_("The checkpoints' architecture: camtrail_net, resnet18 (either stem, told by the shapes), resnet18_imagenet, resnet34, resnet50 or efficientnet_b0"), N_("NAME") },
    { "data", 'd', 0, G_OPTION_ARG_FILENAME, &data, N_("Dataset directory the checkpoints were trained on, or “fashion-mnist”"), N_("PATH") },
    { "out", 'o', 0, G_OPTION_ARG_FILENAME, &out, N_("Run directory to create"), N_("DIR") },
    { "epochs", 'e', 0, G_OPTION_ARG_STRING, &epochs, N_("Epoch of each checkpoint, in order (default: the files' epoch entries, else the digits of their names)"), N_("LIST") },
    { "input-size", 0, 0, G_OPTION_ARG_INT, &input_size, N_("Side the network sees, e.g. 224 (default: the images' side)"), "N" },
    { "train-metrics", 0, 0, G_OPTION_ARG_NONE, &train_metrics, N_("Measure train accuracy and loss too"), NULL },
    { "threads", 'j', 0, G_OPTION_ARG_INT, &threads, N_("libtorch threads (default: all cores)"), "N" },
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet, N_("No progress output"), NULL },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &files, NULL, N_("CHECKPOINT…") },
    { NULL }
  };

  if (!ct_cli_parse ("import", N_("CHECKPOINT…"),
                     _("Turns checkpoints saved by a PyTorch script (safetensors, or torch.save's\n"
                       ".pt/.pth/.bin) into a run: one checkpoint per epoch, converted to\n"
                       "safetensors and measured on the dataset's test split."),
                     entries, &argc, &argv, &status))
    return status;
  /* Not shared out: its work is converting files into --out, which one
   * process must write, and one test-split pass per checkpoint. */
  if (ct_cli_dist_is_rank ())
    return ct_cli_usage_error ("import", "does not run under torchrun (WORLD_SIZE is set): it "
                               "converts checkpoint files into one run folder, which only one "
                               "process may write, and measures each once on the test split; "
                               "run it as one process, then study the run under torchrun");
  if (arch == NULL || data == NULL || out == NULL)
    return ct_cli_usage_error ("import", "--arch, --data and --out are needed");
  if (files == NULL || files[0] == NULL)
    return ct_cli_usage_error ("import", "no checkpoint given");
  if (!g_strv_contains ((const char * const *) ct_torch_list_archs (), arch))
    return ct_cli_usage_error ("import", "unknown architecture “%s”", arch);
  if (input_size < 0 || threads < 0)
    return ct_cli_usage_error ("import", "sizes and counts cannot be negative");

  options.arch = arch;
  options.data = data;
  options.out_dir = out;
  options.files = (const char * const *) files;
  options.n_files = g_strv_length (files);
  options.epochs = epochs;
  options.input_size = input_size;
  options.train_metrics = train_metrics;
  options.threads = threads;
  term.quiet = quiet;

  if (!ct_import_run (&options, report_cb, &term, NULL, &error))
    {
      if (term.tty && !quiet)
        g_printerr ("\n");
      return ct_cli_fail ("import", error);
    }
  if (!quiet)
    g_printerr (_("Imported %u checkpoints into %s\n"), options.n_files, out);
  return 0;
}
