/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <gio/gio.h>
#include <glib/gi18n.h>
#include <locale.h>

#include "ct-cli.h"
#include "ct-run.h"
#include "ct-text.h"
#include "ct-torch-glib.h"
#include "ct-torch.h"

typedef struct {
  const char *name;
  int       (*run) (int argc, char **argv);
  const char *summary;
} Command;

/* The reason of the last error printed, for a rank that stops before it
 * joined its torchrun group to tell the others (ct_cli_dist_main()). */
static char *last_error;

const char *
ct_cli_get_last_error (void)
{
  return last_error;
}

/* The commands that run as torchrun's ranks: a rank that stops before it
 * joins its group still tells the others why. */
static int
train_main (int argc, char **argv)
{
  return ct_cli_dist_main ("train", ct_cli_train, argc, argv);
}

static int
robustness_main (int argc, char **argv)
{
  return ct_cli_dist_main ("robustness", ct_cli_robustness, argc, argv);
}

static int
faithfulness_main (int argc, char **argv)
{
  return ct_cli_dist_main ("faithfulness", ct_cli_faithfulness, argc, argv);
}

static int
study_main (int argc, char **argv)
{
  return ct_cli_dist_main ("study", ct_cli_study, argc, argv);
}

static const Command commands[] = {
  { "train",  train_main,  N_("Train a model and keep a checkpoint per epoch") },
  { "eval",   ct_cli_eval,   N_("Print a run's per-epoch accuracy table, or re-measure it") },
  { "layers", ct_cli_layers, N_("List a run's CAM target layers and their map sizes") },
  { "cam",    ct_cli_cam,    N_("Compute a Grad-CAM grid over checkpoints and export it") },
  { "robustness", robustness_main, N_("Measure robustness and heatmap stability across epochs") },
  { "faithfulness", faithfulness_main, N_("Score how faithful a CAM method's heatmaps are across epochs") },
  { "import", ct_cli_import, N_("Turn checkpoints saved by a PyTorch script into a run") },
  { "study", study_main, N_("Re-run the paper's study with statistics into an HTML and PDF report") },
};

void
ct_cli_caching_progress (guint    done,
                         guint    total,
                         gpointer user_data)
{
  CtCliCaching *term = user_data;
  gint64 now = g_get_monotonic_time ();
  gboolean last = done == total;
  /* Each image is counted twice: its header, then its pixels. */
  guint half = total / 2;
  gboolean pixels = done >= half;

  if (term->quiet || total == 0)
    return;
  if (!last && now - term->last_print < (term->tty ? 200000 : 10000000))
    return;
  term->last_print = now;
  g_printerr (_("%scaching images: %s %u/%u%s"),
              term->tty ? "\r\033[K" : "",
              pixels ? _("decoding") : _("reading headers"),
              pixels ? done - half : done,
              half, term->tty && !last ? "" : "\n");
}

int
ct_cli_usage_error (const char *command,
                    const char *format,
                    ...)
{
  g_autofree char *reason = NULL;
  va_list args;

  va_start (args, format);
  reason = g_strdup_vprintf (format, args);
  va_end (args);
  g_printerr ("camtrail-cli %s: %s (see camtrail-cli %s --help)\n", command, reason, command);
  g_free (last_error);
  last_error = g_steal_pointer (&reason);
  return CT_CLI_EXIT_USAGE;
}

int
ct_cli_fail (const char   *command,
             const GError *error)
{
  const char *outcome = NULL;

  if (g_error_matches (error, CT_TORCH_ERROR, CT_TORCH_ERROR_PEER_LOST))
    outcome = ct_cli_dist_lost_peer_outcome (command);
  g_free (last_error);
  last_error = outcome != NULL ? g_strdup_printf ("%s; %s", error->message, outcome)
                               : g_strdup (error->message);
  g_printerr ("camtrail-cli %s: %s\n", command, last_error);
  return CT_CLI_EXIT_FAILURE;
}

gboolean
ct_cli_parse (const char          *command,
              const char          *parameter_string,
              const char          *summary,
              const GOptionEntry  *entries,
              int                 *argc,
              char              ***argv,
              int                 *out_status)
{
  g_autoptr(GOptionContext) context = g_option_context_new (parameter_string);
  g_autoptr(GError) error = NULL;

  g_option_context_set_summary (context, summary);
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  if (!g_option_context_parse (context, argc, argv, &error))
    {
      *out_status = ct_cli_usage_error (command, "%s", error->message);
      return FALSE;
    }
  return TRUE;
}

void
ct_cli_resolve_run (char **run)
{
  char *resolved;

  if (*run == NULL)
    return;
  resolved = ct_run_resolve (*run);
  g_free (*run);
  *run = resolved;
}

gboolean
ct_cli_parse_method (const char  *command,
                     const char  *text,
                     CtCamMethod *out_method)
{
  g_autofree char *names = NULL;

  if (text == NULL)
    {
      *out_method = CT_CAM_METHOD_GRADCAM;
      return TRUE;
    }
  if (ct_cam_method_from_string (text, out_method))
    return TRUE;
  names = ct_cam_method_dup_names (", ");
  ct_cli_usage_error (command, "unknown --method “%s”: expected one of %s", text, names);
  return FALSE;
}

char *
ct_cli_dup_method_help (void)
{
  g_autofree char *names = ct_cam_method_dup_names (", ");

  return g_strdup_printf (_("CAM method: %s (default gradcam)"), names);
}

static void
print_usage (void)
{
  g_print (_("Usage: camtrail-cli COMMAND [OPTION…]\n\n"
             "Watch what a CNN looks at while it learns: train with a checkpoint per\n"
             "epoch, then draw Grad-CAM heatmaps across epochs and perturbations.\n\n"
             "Commands:\n"));
  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    g_print ("  %-12s%s\n", commands[i].name, _(commands[i].summary));
  g_print (_("\nRun “camtrail-cli COMMAND --help” for a command's options.\n"
             "camtrail %s, libtorch %s\n"), PACKAGE_VERSION, ct_torch_version ());
}

int
main (int    argc,
      char **argv)
{
  const char *localedir;

  setlocale (LC_ALL, "");
  /* CAMTRAIL_LOCALEDIR points an uninstalled build at its own catalogues. */
  localedir = g_getenv ("CAMTRAIL_LOCALEDIR");
  bindtextdomain (GETTEXT_PACKAGE, localedir != NULL ? localedir : LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
  ct_text_install_print_handlers ();

  if (argc < 2)
    {
      g_printerr (_("camtrail-cli: a command is needed: train, eval, layers, cam, robustness, "
                    "faithfulness, import or study (see camtrail-cli --help)\n"));
      return CT_CLI_EXIT_USAGE;
    }
  if (g_str_equal (argv[1], "--help") || g_str_equal (argv[1], "-h") || g_str_equal (argv[1], "help"))
    {
      print_usage ();
      return 0;
    }
  if (g_str_equal (argv[1], "--version"))
    {
      g_print ("camtrail-cli %s (libtorch %s)\n", PACKAGE_VERSION, ct_torch_version ());
      return 0;
    }

  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    if (g_str_equal (argv[1], commands[i].name))
      {
        g_autofree char *prgname = g_strdup_printf ("camtrail-cli %s", commands[i].name);

        g_set_prgname (prgname);
        return commands[i].run (argc - 1, argv + 1);
      }

  g_printerr ("camtrail-cli: unknown command “%s” (see camtrail-cli --help)\n", argv[1]);
  return CT_CLI_EXIT_USAGE;
}
