/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>
#include <math.h>
#include <stdlib.h>
#include <unistd.h>

#include "ct-cam-job.h"
#include "ct-cli.h"
#include "ct-figure.h"
#include "ct-torch-glib.h"

static char *
join_ints (const int *values,
           guint      n)
{
  g_autoptr(GString) text = g_string_new (NULL);

  for (guint i = 0; i < n; i++)
    g_string_append_printf (text, "%s%d", i > 0 ? "," : "", values[i]);
  return g_string_free (g_steal_pointer (&text), FALSE);
}

typedef struct {
  gboolean tty;
  gint64   last_print;
} Passes;

/* Score-CAM's and Ablation-CAM's forward passes: a live line on a
 * terminal, a line every ~10 s and at the end of each row in a log. */
static void
passes_cb (int      epoch,
           gsize    done,
           gsize    total,
           gpointer user_data)
{
  Passes *passes = user_data;
  gint64 now = g_get_monotonic_time ();
  gboolean last = done == total;

  if (!last && now - passes->last_print < (passes->tty ? 200000 : 10000000))
    return;
  passes->last_print = now;
  g_printerr ("%sepoch %d  forward passes %" G_GSIZE_FORMAT "/%" G_GSIZE_FORMAT "%s",
              passes->tty ? "\r\033[K" : "", epoch, done, total,
              passes->tty && !last ? "" : "\n");
}

/* --method: one name, or several joined by commas for a comparison (each
 * row through each method, side by side).  Returns: (transfer full)
 * (element-type CtCamMethod) (nullable): NULL, after saying why, when a
 * name is unknown or repeated. */
static GArray *
parse_methods (const char *text)
{
  g_auto(GStrv) names = g_strsplit (text != NULL ? text : "gradcam", ",", -1);
  g_autoptr(GArray) methods = g_array_new (FALSE, FALSE, sizeof (CtCamMethod));

  for (guint i = 0; names[i] != NULL; i++)
    {
      CtCamMethod method;

      g_strstrip (names[i]);
      if (*names[i] == '\0')
        {
          ct_cli_usage_error ("cam", "--method “%s” has an empty name", text);
          return NULL;
        }
      if (!ct_cli_parse_method ("cam", names[i], &method))
        return NULL;
      for (guint j = 0; j < methods->len; j++)
        if (g_array_index (methods, CtCamMethod, j) == method)
          {
            ct_cli_usage_error ("cam", "--method names “%s” twice", names[i]);
            return NULL;
          }
      g_array_append_val (methods, method);
    }
  return g_steal_pointer (&methods);
}

int
ct_cli_cam (int    argc,
            char **argv)
{
  g_autofree char *run = NULL, *epochs_text = NULL, *images_text = NULL, *layer = NULL;
  g_autofree char *out = NULL, *npy = NULL, *json = NULL, *target = NULL;
  g_autofree char *scale_text = NULL, *colormap_text = NULL, *fill = NULL, *device = NULL;
  g_autofree char *data = NULL, *c10c = NULL, *method_text = NULL;
  g_autofree char *one_method_help = ct_cli_dup_method_help ();
  /* Translators: after the list of CAM methods. */
  g_autofree char *method_help = g_strdup_printf (_("%s; several joined by commas, e.g. gradcam,layercam, "
                                                    "compare them side by side (columns image × method)"),
                                                  one_method_help);
  g_autoptr(GArray) methods = NULL;
  int random_count = 0, misclassified_at = -1, count = 8, occlude = 0, patch = 1;
  int rounds = 1, threads = 0;
  double noise = 0.0, rotate = NAN, rotate_random = NAN, print_scale = 1.0;
  gint64 seed = 0;
  gboolean bilinear = FALSE, dark = FALSE;
  g_autoptr(GError) error = NULL;
  g_autoptr(CtCamSession) session = NULL;
  g_autoptr(GArray) epochs = NULL;
  g_autoptr(GArray) images = NULL;
  GArray *available;
  g_autoptr(CtGrid) grid = NULL;
  const CtManifest *manifest;
  CtCamRequest request = { 0 };
  CtCorruption corruption = { CT_CORRUPTION_NONE, 0 };
  CtFigureStyle style;
  Passes passes = { isatty (STDERR_FILENO), 0 };
  CtCliCaching caching = { isatty (STDERR_FILENO), FALSE, 0 };
  char *message = NULL;
  int status = 0, selectors;
  const GOptionEntry entries[] = {
    { "run", 'r', 0, G_OPTION_ARG_FILENAME, &run, N_("Run directory, or the name of a run in ~/.local/share/camtrail/runs (required)"), N_("DIR") },
    { "epochs", 'e', 0, G_OPTION_ARG_STRING, &epochs_text, N_("Rows: epochs, “last” or “all” (default 0,1,2,3,last)"), N_("LIST") },
    { "images", 'i', 0, G_OPTION_ARG_STRING, &images_text, N_("Columns: test-split indices, e.g. 12,950"), N_("LIST") },
    { "random", 0, 0, G_OPTION_ARG_INT, &random_count, N_("Columns: K test images drawn with --seed"), "K" },
    { "misclassified-at", 0, 0, G_OPTION_ARG_INT, &misclassified_at, N_("Columns: the first --count test images (seeded order) this epoch gets wrong"), N_("EPOCH") },
    { "count", 'n', 0, G_OPTION_ARG_INT, &count, N_("Images for --misclassified-at (default 8)"), "K" },
    { "noise", 0, 0, G_OPTION_ARG_DOUBLE, &noise, N_("Gaussian noise σ in [0, 1] pixel units"), N_("SIGMA") },
    { "rotate", 0, 0, G_OPTION_ARG_DOUBLE, &rotate, N_("Rotate by a fixed angle in degrees"), N_("DEG") },
    { "rotate-random", 0, 0, G_OPTION_ARG_DOUBLE, &rotate_random, N_("Rotate by an angle drawn uniformly in [−A, A]"), "A" },
    { "bilinear", 0, 0, G_OPTION_ARG_NONE, &bilinear, N_("Bilinear instead of nearest-neighbour rotation"), NULL },
    { "occlude", 0, 0, G_OPTION_ARG_INT, &occlude, N_("Occlude N distinct random pixels (or patches)"), "N" },
    { "patch", 0, 0, G_OPTION_ARG_INT, &patch, N_("Side of each occluded patch (default 1)"), "P" },
    { "fill", 0, 0, G_OPTION_ARG_STRING, &fill, N_("Occlusion fill: zero (default) or mean"), N_("FILL") },
    { "c10c", 0, 0, G_OPTION_ARG_STRING, &c10c, N_("A CIFAR-10-C corruption after the other perturbations, e.g. gaussian_blur-3"), N_("NAME-SEVERITY") },
    { "rounds", 'R', 0, G_OPTION_ARG_INT, &rounds, N_("Perturbation draws per image, side by side"), "R" },
    { "seed", 's', 0, G_OPTION_ARG_INT64, &seed, N_("Seed of every random draw"), "S" },
    { "layer", 'l', 0, G_OPTION_ARG_STRING, &layer, N_("Target layer (default: see camtrail-cli layers)"), N_("NAME") },
    { "method", 'm', 0, G_OPTION_ARG_STRING, &method_text, method_help, N_("NAME") },
    { "target", 't', 0, G_OPTION_ARG_STRING, &target, N_("Class to explain: predicted (default), label, or a class index or name"), N_("RULE") },
    { "cam-scale", 0, 0, G_OPTION_ARG_STRING, &scale_text, N_("image (per-image min-max, default), raw, or shared (one scale per column)"), N_("SCALE") },
    { "colormap", 0, 0, G_OPTION_ARG_STRING, &colormap_text, N_("jet (default), viridis, inferno or turbo"), N_("NAME") },
    { "scale", 0, 0, G_OPTION_ARG_DOUBLE, &print_scale, N_("Figure scale factor, e.g. 3 for print"), "F" },
    { "dark", 0, 0, G_OPTION_ARG_NONE, &dark, N_("Draw the figure light on dark (figures are light by default)"), NULL },
    { "out", 'o', 0, G_OPTION_ARG_FILENAME, &out, N_("PNG figure to write (required)"), N_("FILE") },
    { "npy", 0, 0, G_OPTION_ARG_FILENAME, &npy, N_("Also write heatmaps [epochs, images, rounds, H, W] as .npy"), N_("FILE") },
    { "json", 0, 0, G_OPTION_ARG_FILENAME, &json, N_("Also write per-cell predictions and confidence drops as JSON"), N_("FILE") },
    { "data", 'd', 0, G_OPTION_ARG_FILENAME, &data, N_("Dataset (default: the run's)"), N_("PATH") },
    { "device", 0, 0, G_OPTION_ARG_STRING, &device, N_("cpu (default) or cuda"), N_("DEVICE") },
    { "threads", 'j', 0, G_OPTION_ARG_INT, &threads, N_("libtorch threads (default: all cores)"), "N" },
    { NULL }
  };

  if (!ct_cli_parse ("cam", NULL,
                     _("Draws CAM heatmaps (Grad-CAM or another --method) for test images (columns) at several checkpoints\n"
                       "(rows), optionally perturbed, into a PNG figure with its provenance."),
                     entries, &argc, &argv, &status))
    return status;
  if (argc > 1)
    return ct_cli_usage_error ("cam", "unexpected argument “%s”", argv[1]);
  if (run == NULL)
    return ct_cli_usage_error ("cam", "--run is required");
  ct_cli_resolve_run (&run);
  if (out == NULL)
    return ct_cli_usage_error ("cam", "--out is required");
  selectors = (images_text != NULL) + (random_count > 0) + (misclassified_at >= 0);
  if (selectors != 1)
    return ct_cli_usage_error ("cam", "choose the images with exactly one of --images, --random or --misclassified-at");
  if (!isnan (rotate) && !isnan (rotate_random))
    return ct_cli_usage_error ("cam", "--rotate and --rotate-random exclude each other");
  if (noise < 0 || noise > 10)
    return ct_cli_usage_error ("cam", "--noise must be in [0, 10]");
  if (occlude < 0 || patch < 1 || rounds < 1 || rounds > 64 || count < 1 || seed < 0 || threads < 0)
    return ct_cli_usage_error ("cam", "counts must be positive (--rounds at most 64)");
  if (!(print_scale > 0 && print_scale <= 16))
    return ct_cli_usage_error ("cam", "--scale must be in (0, 16]");
  if (fill != NULL && !g_str_equal (fill, "zero") && !g_str_equal (fill, "mean"))
    return ct_cli_usage_error ("cam", "--fill must be zero or mean");
  if (c10c != NULL &&
      (!ct_corruption_parse (c10c, &corruption.kind, &corruption.severity) || corruption.severity == 0))
    return ct_cli_usage_error ("cam", "--c10c: “%s” is not a CIFAR-10-C corruption with its severity, "
                               "e.g. gaussian_blur-3", c10c);

  ct_figure_style_init (&style);
  style.scale = print_scale;
  style.dark = dark;
  if (colormap_text != NULL && !ct_colormap_from_string (colormap_text, &style.colormap))
    return ct_cli_usage_error ("cam", "unknown colormap “%s”", colormap_text);
  methods = parse_methods (method_text);
  if (methods == NULL)
    return CT_CLI_EXIT_USAGE;
  request.method = g_array_index (methods, CtCamMethod, 0);
  if (methods->len > 1)
    {
      request.methods = (const CtCamMethod *) methods->data;
      request.n_methods = methods->len;
    }
  request.scale = CT_CAM_SCALE_IMAGE;
  if (scale_text != NULL && !ct_cam_scale_from_string (scale_text, &request.scale))
    return ct_cli_usage_error ("cam", "--cam-scale must be image, raw or shared");

  if (!ct_torch_check (ct_torch_set_threads (threads, &message), message, &error))
    return ct_cli_fail ("cam", error);
  session = ct_cam_session_new_full (run, data, device, ct_cli_caching_progress, &caching, &error);
  if (session == NULL)
    return ct_cli_fail ("cam", error);
  manifest = ct_cam_session_get_manifest (session);

  if (!ct_target_rule_parse (target, (const char *const *) manifest->classes, manifest->n_classes,
                             &request.target_rule, &request.target_class, &error))
    return ct_cli_usage_error ("cam", "--target: %s", error->message);

  available = ct_cam_session_get_epochs (session);
  epochs = ct_epochs_parse (epochs_text != NULL ? epochs_text : CT_EPOCHS_DEFAULT,
                            (const int *) available->data, available->len,
                            epochs_text != NULL ? CT_EPOCHS_STRICT : CT_EPOCHS_SKIP_MISSING, &error);
  if (epochs == NULL)
    return ct_cli_usage_error ("cam", "--epochs: %s", error->message);

  if (images_text != NULL)
    {
      /* Indices beyond the test split are the session's to refuse, with the run's size. */
      images = ct_images_parse (images_text, 0, &error);
      if (images == NULL)
        return ct_cli_usage_error ("cam", "--images: %s", error->message);
    }
  else if (random_count > 0)
    images = ct_cam_session_sample_images (session, random_count, seed);
  else
    images = ct_cam_session_find_misclassified (session, misclassified_at, count, seed, &error);
  if (images == NULL)
    return ct_cli_fail ("cam", error);
  if (images->len == 0)
    {
      g_printerr ("camtrail-cli cam: epoch %d misclassifies no test image\n", misclassified_at);
      return CT_CLI_EXIT_FAILURE;
    }

  ct_perturb_init (&request.perturb);
  request.perturb.noise_sigma = noise;
  if (!isnan (rotate))
    request.perturb.rotate_degrees = rotate;
  if (!isnan (rotate_random))
    {
      request.perturb.rotate_degrees = rotate_random;
      request.perturb.rotate_random = TRUE;
    }
  request.perturb.rotate_interp = bilinear ? CT_INTERP_BILINEAR : CT_INTERP_NEAREST;
  request.perturb.occlude_count = occlude;
  request.perturb.occlude_patch = patch;
  request.perturb.occlude_fill = g_strcmp0 (fill, "mean") == 0 ? CT_FILL_MEAN : CT_FILL_ZERO;
  request.perturb.corruption = corruption;
  request.perturb.seed = seed;
  request.rounds = rounds;
  request.epochs = (const int *) epochs->data;
  request.n_epochs = epochs->len;
  request.images = (const guint *) images->data;
  request.n_images = images->len;
  request.layer = layer;
  request.progress = passes_cb;
  request.progress_data = &passes;

  grid = ct_cam_session_compute (session, &request, NULL, &error);
  if (grid == NULL)
    return ct_cli_fail ("cam", error);

  if (!ct_figure_write_png (grid, &style, out, &error) ||
      (npy != NULL && !ct_grid_write_npy (grid, npy, &error)) ||
      (json != NULL && !ct_grid_write_json (grid, json, &error)))
    return ct_cli_fail ("cam", error);

  {
    g_autofree char *rows = join_ints (request.epochs, request.n_epochs);

    if (request.n_methods > 0)
      g_print ("%s: methods %s compared on %s at layer %s, epochs %s, %u images × %u methods × %u rounds, "
               "perturbation: %s\n",
               out, grid->method, grid->arch, grid->layer, rows, images->len, request.n_methods,
               grid->n_rounds, grid->perturbation);
    else
      g_print ("%s: %s of %s at layer %s, epochs %s, %u images × %u rounds, perturbation: %s\n",
               out, ct_cam_method_get_info (request.method)->title, grid->arch, grid->layer, rows,
               grid->n_images, grid->n_rounds, grid->perturbation);
  }
  if (!ct_perturb_is_identity (&request.perturb))
    {
      g_print ("%5s  %-24s  %-24s\n", "epoch", "confidence drop (95% CI)", "max-prob drop (95% CI)");
      for (guint row = 0; row < grid->n_rows; row++)
        {
          double drop, drop_ci, max_drop, max_drop_ci;

          ct_grid_row_summary (grid, row, &drop, &drop_ci, &max_drop, &max_drop_ci);
          g_print ("%5d  %+.4f ± %.4f          %+.4f ± %.4f\n",
                   grid->epochs[row], drop, drop_ci, max_drop, max_drop_ci);
        }
    }

  return 0;
}
