/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <gtk/gtk.h>
#include <glib/gstdio.h>
#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <locale.h>
#include <string.h>

#include "ct-application.h"
#include "ct-figure.h"
#include "ct-import-dialog.h"
#include "ct-png.h"
#include "ct-rng.h"
#include "ct-run.h"
#include "ct-test-data.h"
#include "ct-test-train.h"
#include "ct-test-ui.h"
#include "ct-test-wait.h"
#include "ct-test-window.h"
#include "ct-window-private.h"

/* The window's actions and settings that test-window does not drive, each
 * with the outcome it must have, checked against something other than the
 * window's own code: `camtrail-cli cam` on the same run and settings, the
 * documented seeded draws, the figure renderer with the style the settings
 * describe, a file manager registered for folders, the run on disk.
 * tests/README.md's table of window actions points here. */

static char *tmpdir;
static char *data_dir;
static char *run_dir;
static char *opened_log;
static CtWindow *window;
static GSettings *settings;

static void
activate (const char *action,
          GVariant   *parameter)
{
  ct_test_window_activate (window, action, parameter);
}

static CtGrid *
shown_grid (void)
{
  CtGrid *grid = ct_grid_view_get_grid (ct_window_get_grid_view (window));

  g_assert_nonnull (grid);
  return grid;
}

static void
open_test_run (void)
{
  activate ("win.open-run", g_variant_new_string (run_dir));
  activate ("win.set-epochs", g_variant_new_string ("0, 1, 2"));
  activate ("win.set-images", g_variant_new_string ("0, 1, 2, 3"));
}

/* ---- camtrail-cli cam on the same run: the expected outcome ------------- */

/* Runs `camtrail-cli cam` on the test run for epochs 0,1,2 with @options
 * (NULL-terminated), writing NAME.npy and NAME.json; returns the maps. */
static float *
cli_maps (const char *name,
          guint       shape[5],
          gsize      *out_n,
          ...)
{
  g_autofree char *png = g_strdup_printf ("%s/%s.png", tmpdir, name);
  g_autofree char *npy = g_strdup_printf ("%s/%s.npy", tmpdir, name);
  g_autofree char *json = g_strdup_printf ("%s/%s.json", tmpdir, name);
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_auto(CtTestResult) result = { 0 };
  const char *arg;
  va_list ap;

  g_ptr_array_add (argv, (gpointer) g_getenv ("CAMTRAIL_CLI"));
  g_assert_nonnull (argv->pdata[0]);
  for (const char *fixed[] = { "cam", "--run", run_dir, "--epochs", "0,1,2", "--threads", "2",
                               "--out", png, "--npy", npy, "--json", json, NULL },
       **p = fixed; *p != NULL; p++)
    g_ptr_array_add (argv, (gpointer) *p);
  va_start (ap, out_n);
  while ((arg = va_arg (ap, const char *)) != NULL)
    g_ptr_array_add (argv, (gpointer) arg);
  va_end (ap);
  g_ptr_array_add (argv, NULL);

  ct_test_run (&result, (const char *const *) argv->pdata, NULL, 0);
  if (result.status != 0)
    g_error ("camtrail-cli cam (%s) exited %d: %s", name, result.status, result.err);
  return ct_test_read_npy (npy, shape, out_n);
}

/* The window's grid holds exactly the maps camtrail-cli wrote. */
static void
assert_grid_equals_cli (const float *maps,
                        const guint  shape[5])
{
  CtGrid *grid = shown_grid ();
  gsize plane = (gsize) grid->height * grid->width;
  double largest = 0;

  g_assert_cmpuint (shape[0], ==, grid->n_rows);
  g_assert_cmpuint (shape[1], ==, grid->n_images);
  g_assert_cmpuint (shape[2], ==, grid->n_rounds);
  g_assert_cmpuint (shape[3], ==, grid->height);
  g_assert_cmpuint (shape[4], ==, grid->width);
  for (guint r = 0; r < grid->n_rows; r++)
    for (guint i = 0; i < grid->n_images; i++)
      for (guint k = 0; k < grid->n_rounds; k++)
        {
          const float *expected = maps + (((gsize) r * grid->n_images + i) * grid->n_rounds + k) * plane;
          const float *heatmap = ct_grid_get_cell (grid, r, i, k)->heatmap;

          for (gsize p = 0; p < plane; p++)
            largest = MAX (largest, fabs ((double) heatmap[p] - expected[p]));
        }
  g_test_message ("largest difference from camtrail-cli: %g", largest);
  g_assert_cmpfloat (largest, <, 1e-5);
}

static gboolean
maps_differ (const float *a,
             const float *b,
             gsize        n)
{
  for (gsize i = 0; i < n; i++)
    if (fabsf (a[i] - b[i]) > 1e-3f)
      return TRUE;
  return FALSE;
}

/* Explained class, target layer, normalisation and occlusion patch: each
 * setting gives the grid `camtrail-cli cam` computes with its option, and
 * maps other than the defaults'. */
static void
test_settings_reach_the_maps (void)
{
  guint shape[5];
  gsize n_default, n;
  g_autofree float *defaults = NULL;
  g_autofree float *label = NULL;
  g_autofree float *layer = NULL;
  g_autofree float *raw = NULL;
  g_autofree float *shared = NULL;
  g_autofree float *patch = NULL;

  open_test_run ();
  defaults = cli_maps ("defaults", shape, &n_default, "--images", "0,1,2,3", NULL);
  assert_grid_equals_cli (defaults, shape);

  /* The tiny run classifies badly: some targets differ from the label. */
  activate ("win.target-rule", g_variant_new_string ("label"));
  g_assert_cmpstr (shown_grid ()->target_rule, ==, "label");
  label = cli_maps ("label", shape, &n, "--images", "0,1,2,3", "--target", "label", NULL);
  assert_grid_equals_cli (label, shape);
  for (guint r = 0; r < shown_grid ()->n_rows; r++)
    for (guint i = 0; i < shown_grid ()->n_images; i++)
      g_assert_cmpint (ct_grid_get_cell (shown_grid (), r, i, 0)->target, ==, shown_grid ()->labels[i]);
  activate ("win.target-rule", g_variant_new_string ("predicted"));

  activate ("win.layer", g_variant_new_string ("stem"));
  g_assert_cmpstr (shown_grid ()->layer, ==, "stem");
  layer = cli_maps ("layer", shape, &n, "--images", "0,1,2,3", "--layer", "stem", NULL);
  assert_grid_equals_cli (layer, shape);
  g_assert_true (n != n_default || maps_differ (layer, defaults, n));
  activate ("win.layer", g_variant_new_string (""));

  activate ("win.normalisation", g_variant_new_string ("raw"));
  g_assert_cmpint (shown_grid ()->scale, ==, CT_CAM_SCALE_RAW);
  raw = cli_maps ("raw", shape, &n, "--images", "0,1,2,3", "--cam-scale", "raw", NULL);
  assert_grid_equals_cli (raw, shape);
  g_assert_true (maps_differ (raw, defaults, n));
  activate ("win.normalisation", g_variant_new_string ("shared"));
  shared = cli_maps ("shared", shape, &n, "--images", "0,1,2,3", "--cam-scale", "shared", NULL);
  assert_grid_equals_cli (shared, shape);
  g_assert_true (maps_differ (shared, defaults, n));
  activate ("win.normalisation", g_variant_new_string ("image"));

  /* 12 occluded pixels in 4×4 patches cover far more than 12 pixels. */
  activate ("win.occlude-pixels", g_variant_new_int32 (12));
  activate ("win.occlude-patch", g_variant_new_int32 (4));
  g_assert_nonnull (strstr (shown_grid ()->perturbation, "4"));
  patch = cli_maps ("patch", shape, &n, "--images", "0,1,2,3", "--occlude", "12", "--patch", "4", NULL);
  assert_grid_equals_cli (patch, shape);
  activate ("win.reset-perturbation", NULL);
  assert_grid_equals_cli (defaults, shape);
}

/* ---- Which images the grid shows --------------------------------------- */

static int
count_value (void)
{
  return gtk_spin_button_get_value_as_int (window->count_spin);
}

/* The draw of the seeded sample (ct_rng_sample_indices() with the seed and
 * the draw number in the high word, as documented) that @grid shows. */
static guint
sample_drawn (CtGrid *grid,
              guint   n_test,
              int     seed)
{
  for (guint draw = 0; draw < 64; draw++)
    {
      g_autoptr(GArray) sample = ct_rng_sample_indices (n_test, grid->n_images,
                                                        (guint64) seed + ((guint64) draw << 32));

      if (memcmp (sample->data, grid->image_indices, grid->n_images * sizeof (guint)) == 0)
        return draw;
    }
  g_error ("the grid's images are none of the seeded draws");
}

/* Random images are the seeded sample the documentation names, the next
 * draw on each use, as many as the count says. */
static void
test_random_images (void)
{
  int seed = g_settings_get_int (settings, "seed");
  guint n_test, first;

  open_test_run ();
  n_test = ct_session_get_run (ct_window_get_session (window))->n_test;
  gtk_spin_button_set_value (window->count_spin, 5);
  g_assert_cmpint (count_value (), ==, 5);

  activate ("win.random-images", NULL);
  g_assert_cmpuint (shown_grid ()->n_images, ==, 5);
  first = sample_drawn (shown_grid (), n_test, seed);
  activate ("win.random-images", NULL);
  g_assert_cmpuint (shown_grid ()->n_images, ==, 5);
  g_assert_cmpuint (sample_drawn (shown_grid (), n_test, seed), ==, first + 1);

  /* Another seed, other images. */
  activate ("win.seed", g_variant_new_int32 (seed + 1));
  activate ("win.random-images", NULL);
  g_assert_cmpuint (sample_drawn (shown_grid (), n_test, seed + 1), <, 64);
  activate ("win.seed", g_variant_new_int32 (seed));
}

/* Misclassified images: those `camtrail-cli cam --misclassified-at` finds
 * with the same seed and count, in its order, each wrong at that epoch. */
static void
test_misclassified_images (void)
{
  g_autofree char *json = g_build_filename (tmpdir, "misclassified.json", NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autofree float *maps = NULL;
  JsonArray *images;
  CtGrid *grid;
  guint shape[5];
  gsize n;
  guint row = G_MAXUINT;

  open_test_run ();
  gtk_spin_button_set_value (window->count_spin, 3);
  gtk_spin_button_set_value (window->misclassified_spin, 1);
  /* The scan runs in the engine before the grid is asked for. */
  activate ("win.misclassified-images", NULL);
  CT_TEST_WAIT_UNTIL (ct_grid_view_get_grid (ct_window_get_grid_view (window)) != NULL &&
                      shown_grid ()->n_images != 4);
  ct_test_window_wait_idle (window);

  maps = cli_maps ("misclassified", shape, &n, "--misclassified-at", "1", "--count", "3",
                   "--seed", "0", NULL);
  json_parser_load_from_file (parser, json, &error);
  g_assert_no_error (error);
  images = json_object_get_array_member (json_node_get_object (json_parser_get_root (parser)), "images");

  grid = shown_grid ();
  g_assert_cmpuint (grid->n_images, ==, 3);
  g_assert_cmpuint (json_array_get_length (images), ==, 3);
  for (guint i = 0; i < 3; i++)
    g_assert_cmpint (grid->image_indices[i], ==,
                     json_object_get_int_member (json_array_get_object_element (images, i), "index"));
  for (guint r = 0; r < grid->n_rows; r++)
    if (grid->epochs[r] == 1)
      row = r;
  g_assert_cmpuint (row, !=, G_MAXUINT);
  for (guint i = 0; i < 3; i++)
    g_assert_cmpint (ct_grid_get_cell (grid, row, i, 0)->clean_predicted, !=, grid->labels[i]);
  assert_grid_equals_cli (maps, shape);
}

/* Add an image of a class: one more column, of that class, not shown before. */
static void
test_add_class_image (void)
{
  CtGrid *grid;
  guint before[4];

  open_test_run ();
  grid = shown_grid ();
  memcpy (before, grid->image_indices, sizeof before);
  gtk_drop_down_set_selected (window->class_dropdown, 2);
  activate ("win.add-class-image", NULL);

  grid = shown_grid ();
  g_assert_cmpuint (grid->n_images, ==, 5);
  g_assert_cmpint (grid->labels[4], ==, 2);
  for (guint i = 0; i < 4; i++)
    {
      g_assert_cmpuint (grid->image_indices[i], ==, before[i]);
      g_assert_cmpuint (grid->image_indices[4], !=, before[i]);
    }
  activate ("win.add-class-image", NULL);
  g_assert_cmpuint (shown_grid ()->n_images, ==, 6);
  g_assert_cmpint (shown_grid ()->labels[5], ==, 2);
  g_assert_cmpuint (shown_grid ()->image_indices[5], !=, shown_grid ()->image_indices[4]);
}

/* ---- How the figure is drawn and exported ------------------------------- */

/* Exports the grid to @name and reads its pixels back. */
static guint8 *
export_pixels (const char *name,
               guint      *width,
               guint      *height)
{
  g_autofree char *path = g_build_filename (tmpdir, name, NULL);
  g_autoptr(GError) error = NULL;
  guint8 *pixels;

  activate ("win.export-to", g_variant_new_string (path));
  pixels = ct_png_read_rgba (path, width, height, NULL, &error);
  g_assert_no_error (error);
  return pixels;
}

/* The figure the renderer draws for the shown grid with the style the
 * settings describe, as the test reads them. */
static guint8 *
expected_pixels (const char *name,
                 const char *colormap,
                 double      opacity,
                 double      scale,
                 guint      *width,
                 guint      *height)
{
  g_autofree char *path = g_build_filename (tmpdir, name, NULL);
  g_autoptr(GError) error = NULL;
  CtFigureStyle style = *ct_grid_view_get_style (ct_window_get_grid_view (window));

  g_assert_true (ct_colormap_from_string (colormap, &style.colormap));
  style.image_weight = 1.0 - opacity;
  style.scale = scale;
  g_assert_true (ct_figure_write_png (shown_grid (), &style, path, &error));
  g_assert_no_error (error);
  return ct_png_read_rgba (path, width, height, NULL, &error);
}

static void
assert_same_pixels (const guint8 *a,
                    guint         width_a,
                    guint         height_a,
                    const guint8 *b,
                    guint         width_b,
                    guint         height_b)
{
  g_assert_cmpuint (width_a, ==, width_b);
  g_assert_cmpuint (height_a, ==, height_b);
  g_assert_true (memcmp (a, b, (gsize) width_a * height_a * 4) == 0);
}

/* Colormap, overlay opacity and export scale: the exported file is what
 * the renderer draws with those values, and they change it. */
static void
test_figure_settings (void)
{
  g_autofree guint8 *jet = NULL, *viridis = NULL, *viridis_expected = NULL, *opaque = NULL;
  g_autofree guint8 *opaque_expected = NULL, *large = NULL, *large_expected = NULL;
  guint w1, h1, w2, h2, w3, h3, w4, h4;

  open_test_run ();
  g_settings_set_double (settings, "export-scale", 1.0);
  g_settings_set_double (settings, "overlay-opacity", 0.5);
  activate ("win.colormap", g_variant_new_string ("jet"));
  jet = export_pixels ("jet.png", &w1, &h1);

  activate ("win.colormap", g_variant_new_string ("viridis"));
  viridis = export_pixels ("viridis.png", &w2, &h2);
  viridis_expected = expected_pixels ("viridis-expected.png", "viridis", 0.5, 1.0, &w3, &h3);
  assert_same_pixels (viridis, w2, h2, viridis_expected, w3, h3);
  g_assert_cmpuint (w1, ==, w2);
  g_assert_false (memcmp (jet, viridis, (gsize) w1 * h1 * 4) == 0);

  activate ("win.overlay-opacity", g_variant_new_double (1.0));
  opaque = export_pixels ("opaque.png", &w2, &h2);
  opaque_expected = expected_pixels ("opaque-expected.png", "viridis", 1.0, 1.0, &w3, &h3);
  assert_same_pixels (opaque, w2, h2, opaque_expected, w3, h3);
  g_assert_false (memcmp (opaque, viridis, (gsize) w2 * h2 * 4) == 0);

  g_settings_set_double (settings, "export-scale", 2.0);
  large = export_pixels ("large.png", &w4, &h4);
  g_assert_cmpuint (w4, ==, 2 * w2);
  g_assert_cmpuint (h4, ==, 2 * h2);
  large_expected = expected_pixels ("large-expected.png", "viridis", 1.0, 2.0, &w3, &h3);
  assert_same_pixels (large, w4, h4, large_expected, w3, h3);

  activate ("win.colormap", g_variant_new_string ("jet"));
  activate ("win.overlay-opacity", g_variant_new_double (0.5));
}

/* The file chooser GtkFileChooserNative shows without a portal (in this
 * process), once it is on screen. */
static GtkFileChooser *
shown_file_chooser (void)
{
  return (GtkFileChooser *) ct_test_find_toplevel (GTK_TYPE_FILE_CHOOSER_DIALOG, TRUE);
}

static gboolean
chooser_in_folder (GtkFileChooser *chooser,
                   const char     *path)
{
  g_autoptr(GFile) folder = gtk_file_chooser_get_current_folder (chooser);
  g_autoptr(GFile) expected = g_file_new_for_path (path);

  return folder != NULL && g_file_equal (folder, expected);
}

/* Export… (Ctrl+E) offers a file named after the run in the run's folder,
 * and writes the figure where the user accepts. */
static void
test_export_dialog (void)
{
  g_autofree char *chosen = g_build_filename (run_dir, "chosen.png", NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *name = NULL;
  g_autofree guint8 *pixels = NULL;
  GtkFileChooser *chooser;
  guint width, height;

  open_test_run ();
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.export", NULL));
  CT_TEST_WAIT_UNTIL (shown_file_chooser () != NULL);
  chooser = shown_file_chooser ();
  name = gtk_file_chooser_get_current_name (chooser);
  g_assert_cmpstr (name, ==, "run-grid.png");

  /* The chooser reads its folder in the background; it starts in the run's.
   * Only the name is typed: the file lands there. */
  CT_TEST_WAIT_UNTIL (chooser_in_folder (chooser, run_dir));
  gtk_file_chooser_set_current_name (chooser, "chosen.png");
  gtk_dialog_response (GTK_DIALOG (chooser), GTK_RESPONSE_ACCEPT);
  CT_TEST_WAIT_UNTIL (g_file_test (chosen, G_FILE_TEST_IS_REGULAR) && shown_file_chooser () == NULL);
  pixels = ct_png_read_rgba (chosen, &width, &height, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (width, >, 0);
  g_unlink (chosen);
}

/* ---- Open… (win.open, Ctrl+O) ------------------------------------------ */

static void
copy_file (const char *from,
           const char *to)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  gsize length;

  g_file_get_contents (from, &contents, &length, &error);
  g_assert_no_error (error);
  g_file_set_contents (to, contents, length, &error);
  g_assert_no_error (error);
}

/* The test run's manifest, metrics and first @n_epochs checkpoints in a new
 * folder @dir. */
static void
copy_test_run (const char *dir,
               int         n_epochs)
{
  static const char *const files[] = { "manifest.json", "metrics.jsonl" };

  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  for (gsize i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_autofree char *from = g_build_filename (run_dir, files[i], NULL);
      g_autofree char *to = g_build_filename (dir, files[i], NULL);

      copy_file (from, to);
    }
  for (int epoch = 0; epoch < n_epochs; epoch++)
    {
      g_autofree char *from = ct_run_dup_checkpoint_path (run_dir, epoch);
      g_autofree char *to = ct_run_dup_checkpoint_path (dir, epoch);

      copy_file (from, to);
    }
}

/* Clicks the header bar's Open button and returns the chooser it shows,
 * once the chooser has read the folder it starts in, @start. */
static GtkFileChooser *
click_open (const char *start)
{
  GtkWidget *button = ct_test_find_actionable (GTK_WIDGET (window), "win.open");
  GtkFileChooser *chooser;

  g_assert_nonnull (button);
  g_assert_null (shown_file_chooser ());
  g_assert_true (gtk_widget_activate (button));
  CT_TEST_WAIT_UNTIL (shown_file_chooser () != NULL);
  chooser = shown_file_chooser ();
  g_assert_cmpint (gtk_file_chooser_get_action (chooser), ==, GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER);
  CT_TEST_WAIT_UNTIL (chooser_in_folder (chooser, start));
  return chooser;
}

static gboolean
chooser_has_chosen (GtkFileChooser *chooser,
                    GFile          *file)
{
  g_autoptr(GFile) chosen = gtk_file_chooser_get_file (chooser);

  return chosen != NULL && g_file_equal (chosen, file);
}

/* Selects @path in @chooser, as a click on it in the list does, once the
 * chooser has read the folder it lies in. */
static void
choose (GtkFileChooser *chooser,
        const char     *path)
{
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GError) error = NULL;

  g_assert_true (gtk_file_chooser_set_file (chooser, file, &error));
  g_assert_no_error (error);
  CT_TEST_WAIT_UNTIL (chooser_has_chosen (chooser, file));
}

static char *
window_error (void)
{
  char *error = NULL;

  g_object_get (window, "error", &error, NULL);
  return error;
}

static CtImportDialog *
import_dialog (void)
{
  return (CtImportDialog *) ct_test_find_toplevel (CT_TYPE_IMPORT_DIALOG, FALSE);
}

static CtImportDialog *
shown_import_dialog (void)
{
  CtImportDialog *dialog = import_dialog ();

  return dialog != NULL && gtk_widget_get_mapped (GTK_WIDGET (dialog)) ? dialog : NULL;
}

/* Open… shows a folder chooser in the runs folder.  Cancelled, it changes
 * nothing, even with a run selected; a run folder chosen opens that run:
 * the window's run and its grid's rows are the chosen copy's. */
static void
test_open_dialog (void)
{
  g_autofree char *runs = ct_application_dup_runs_dir ();
  g_autofree char *copy = g_build_filename (runs, "copied", NULL);
  g_autofree char *error = NULL;
  GtkFileChooser *chooser;
  CtGrid *grid;

  /* Two checkpoints of the test run's three: the grid tells them apart. */
  copy_test_run (copy, 2);
  open_test_run ();
  g_assert_cmpuint (shown_grid ()->n_rows, ==, 3);

  chooser = click_open (runs);
  choose (chooser, copy);
  gtk_dialog_response (GTK_DIALOG (chooser), GTK_RESPONSE_CANCEL);
  CT_TEST_WAIT_UNTIL (shown_file_chooser () == NULL);
  /* The response has been handled: nothing is being opened or offered. */
  g_assert_null (window->opening_dir);
  g_assert_null (import_dialog ());
  g_assert_cmpstr (ct_window_get_run_dir (window), ==, run_dir);

  chooser = click_open (runs);
  choose (chooser, copy);
  gtk_dialog_response (GTK_DIALOG (chooser), GTK_RESPONSE_ACCEPT);
  CT_TEST_WAIT_UNTIL (shown_file_chooser () == NULL);
  /* Handled: the copy is being opened (or, on a fast worker, open). */
  g_assert_true (g_strcmp0 (window->opening_dir, copy) == 0 ||
                 g_strcmp0 (ct_window_get_run_dir (window), copy) == 0);
  CT_TEST_WAIT_UNTIL (g_strcmp0 (ct_window_get_run_dir (window), copy) == 0);
  ct_test_window_wait_idle (window);
  error = window_error ();
  g_assert_true (error == NULL || *error == '\0');
  grid = shown_grid ();
  g_assert_cmpstr (grid->run_name, ==, "copied");
  g_assert_cmpuint (grid->n_rows, ==, 2);
  g_assert_cmpint (grid->epochs[0], ==, 0);
  g_assert_cmpint (grid->epochs[1], ==, 1);
  g_assert_null (shown_import_dialog ());

  /* Back to the test run, opened before its rows are set: the copy has no
   * epoch 2. */
  activate ("win.open-run", g_variant_new_string (run_dir));
  CT_TEST_WAIT_UNTIL (g_strcmp0 (ct_window_get_run_dir (window), run_dir) == 0);
  open_test_run ();
}

/* Open… on a folder of checkpoints without a manifest (saved by a script
 * elsewhere) presents Import Checkpoints for that folder, over the window,
 * and leaves the open run as it was. */
static void
test_open_dialog_import (void)
{
  g_autofree char *runs = ct_application_dup_runs_dir ();
  g_autofree char *folder = g_build_filename (tmpdir, "checkpoints-from-a-script", NULL);
  g_autofree char *error = NULL;
  GtkFileChooser *chooser;
  CtImportDialog *dialog;

  g_assert_cmpint (g_mkdir_with_parents (folder, 0755), ==, 0);
  for (int epoch = 0; epoch <= 1; epoch++)
    {
      g_autofree char *from = ct_run_dup_checkpoint_path (run_dir, epoch);
      g_autofree char *name = g_strdup_printf ("model_ep%d.safetensors", epoch);
      g_autofree char *to = g_build_filename (folder, name, NULL);

      copy_file (from, to);
    }
  g_assert_cmpint (g_mkdir_with_parents (runs, 0755), ==, 0);
  open_test_run ();
  g_assert_null (shown_import_dialog ());

  chooser = click_open (runs);
  choose (chooser, folder);
  gtk_dialog_response (GTK_DIALOG (chooser), GTK_RESPONSE_ACCEPT);
  CT_TEST_WAIT_UNTIL (shown_file_chooser () == NULL);
  /* Handled: the dialog has been presented. */
  g_assert_nonnull (import_dialog ());
  CT_TEST_WAIT_UNTIL (shown_import_dialog () != NULL);
  dialog = shown_import_dialog ();
  g_assert_cmpstr (ct_import_dialog_get_folder (dialog), ==, folder);
  g_assert_true (gtk_window_get_transient_for (GTK_WINDOW (dialog)) == GTK_WINDOW (window));
  /* Offered, not opened: no error, and the open run stays. */
  g_assert_null (window->opening_dir);
  error = window_error ();
  g_assert_true (error == NULL || *error == '\0');
  g_assert_cmpstr (ct_window_get_run_dir (window), ==, run_dir);

  gtk_window_destroy (GTK_WINDOW (dialog));
  ct_test_remove_tree (folder);
}

/* ---- About (app.about) --------------------------------------------------- */

typedef struct {
  GHashTable *values;    /* "name", "project_license", "developer_name", "url:TYPE", "release" */
  char       *reading;   /* (nullable) the key of the element whose text is read */
  GString    *text;
  int         depth;
} MetainfoParser;

static void
metainfo_start_cb (GMarkupParseContext  *context,
                   const char           *element,
                   const char          **names,
                   const char          **values,
                   gpointer              user_data,
                   GError              **error)
{
  MetainfoParser *parser = user_data;
  const char *type = NULL, *version = NULL;

  parser->depth++;
  for (guint i = 0; names[i] != NULL; i++)
    if (g_str_equal (names[i], "type"))
      type = values[i];
    else if (g_str_equal (names[i], "version"))
      version = values[i];
  /* The newest release comes first. */
  if (g_str_equal (element, "release") && version != NULL &&
      !g_hash_table_contains (parser->values, "release"))
    g_hash_table_insert (parser->values, g_strdup ("release"), g_strdup (version));
  if (parser->depth != 2)
    return;
  if (g_str_equal (element, "url") && type != NULL)
    parser->reading = g_strdup_printf ("url:%s", type);
  else if (g_str_equal (element, "name") || g_str_equal (element, "project_license") ||
           g_str_equal (element, "developer_name"))
    parser->reading = g_strdup (element);
  g_string_truncate (parser->text, 0);
}

static void
metainfo_end_cb (GMarkupParseContext  *context,
                 const char           *element,
                 gpointer              user_data,
                 GError              **error)
{
  MetainfoParser *parser = user_data;

  parser->depth--;
  /* The untranslated value: translations carry an xml:lang attribute and
   * come after it. */
  if (parser->reading != NULL && !g_hash_table_contains (parser->values, parser->reading))
    g_hash_table_insert (parser->values, g_steal_pointer (&parser->reading),
                         g_strstrip (g_strdup (parser->text->str)));
  g_clear_pointer (&parser->reading, g_free);
}

static void
metainfo_text_cb (GMarkupParseContext  *context,
                  const char           *text,
                  gsize                 length,
                  gpointer              user_data,
                  GError              **error)
{
  MetainfoParser *parser = user_data;

  if (parser->reading != NULL)
    g_string_append_len (parser->text, text, length);
}

/* What the built metainfo ($CAMTRAIL_METAINFO), which software centres
 * show, says of the app. */
static GHashTable *
read_metainfo (void)
{
  static const GMarkupParser callbacks = { metainfo_start_cb, metainfo_end_cb, metainfo_text_cb };
  const char *path = g_getenv ("CAMTRAIL_METAINFO");
  MetainfoParser parser = { g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free),
                            NULL, g_string_new (NULL), 0 };
  g_autoptr(GMarkupParseContext) context = g_markup_parse_context_new (&callbacks, 0, &parser, NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *xml = NULL;
  gsize length;

  g_assert_nonnull (path);
  g_file_get_contents (path, &xml, &length, &error);
  g_assert_no_error (error);
  g_markup_parse_context_parse (context, xml, length, &error);
  g_assert_no_error (error);
  g_markup_parse_context_end_parse (context, &error);
  g_assert_no_error (error);
  g_string_free (parser.text, TRUE);
  return parser.values;
}

/* The msgstr of "translator-credits" in the German catalogue's source,
 * $CAMTRAIL_PO_DIR/de.po. */
static char *
german_translator_credits (void)
{
  g_autofree char *path = g_build_filename (g_getenv ("CAMTRAIL_PO_DIR"), "de.po", NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *po = NULL;
  g_auto(GStrv) lines = NULL;

  g_assert_nonnull (g_getenv ("CAMTRAIL_PO_DIR"));
  g_file_get_contents (path, &po, NULL, &error);
  g_assert_no_error (error);
  lines = g_strsplit (po, "\n", -1);
  for (guint i = 0; lines[i] != NULL && lines[i + 1] != NULL; i++)
    if (g_str_equal (lines[i], "msgid \"translator-credits\"") &&
        g_str_has_prefix (lines[i + 1], "msgstr \"") && g_str_has_suffix (lines[i + 1], "\""))
      return g_strndup (lines[i + 1] + strlen ("msgstr \""), strlen (lines[i + 1]) - strlen ("msgstr \"\""));
  g_assert_not_reached ();
}

static GtkAboutDialog *
shown_about_dialog (void)
{
  return (GtkAboutDialog *) ct_test_find_toplevel (GTK_TYPE_ABOUT_DIALOG, TRUE);
}

/* About Camtrail (the primary menu's app.about) shows, over the app's
 * window, the name, version, website, licence and developers the metainfo
 * states, the build's version, and under LANGUAGE=de the German
 * catalogue's translator credits; closed and asked for again, the same
 * dialog comes back.  The app gets a window of its own, as it makes one
 * when started: the test's window, put in the app and taken out again,
 * kept its Stop button insensitive in /window-actions/cancel-training. */
static void
test_about (void)
{
  g_autoptr(CtApplication) app = ct_application_new ();
  g_autoptr(GHashTable) metainfo = read_metainfo ();
  g_autofree char *credits = german_translator_credits ();
  g_autofree char *locale = g_strdup (setlocale (LC_ALL, NULL));
  g_autoptr(GError) error = NULL;
  GtkAboutDialog *about;
  CtWindow *app_window;
  const char *const *authors;

  g_assert_nonnull (g_getenv ("CAMTRAIL_LOCALEDIR"));
  /* German, from the build's catalogues, as main() binds them; set while
   * the only engine, the test window's, is idle, and reset once the app's
   * window has joined its own. */
  g_setenv ("LANGUAGE", "de", TRUE);
  bindtextdomain (GETTEXT_PACKAGE, g_getenv ("CAMTRAIL_LOCALEDIR"));
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
  g_assert_nonnull (setlocale (LC_ALL, "C.UTF-8"));

  g_application_register (G_APPLICATION (app), NULL, &error);
  g_assert_no_error (error);
  app_window = ct_window_new (app);
  gtk_window_present (GTK_WINDOW (app_window));
  g_assert_true (gtk_application_get_active_window (GTK_APPLICATION (app)) == GTK_WINDOW (app_window));
  g_assert_null (shown_about_dialog ());
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (app_window), "app.about", NULL));

  CT_TEST_WAIT_UNTIL (shown_about_dialog () != NULL);
  about = shown_about_dialog ();
  g_assert_true (gtk_window_get_transient_for (GTK_WINDOW (about)) == GTK_WINDOW (app_window));
  g_assert_true (gtk_window_get_modal (GTK_WINDOW (about)));
  g_assert_cmpstr (gtk_about_dialog_get_program_name (about), ==, g_hash_table_lookup (metainfo, "name"));
  g_assert_cmpstr (gtk_about_dialog_get_version (about), ==, PACKAGE_VERSION);
  g_assert_cmpstr (gtk_about_dialog_get_version (about), ==, g_hash_table_lookup (metainfo, "release"));
  g_assert_cmpstr (gtk_about_dialog_get_website (about), ==, g_hash_table_lookup (metainfo, "url:homepage"));
  g_assert_cmpstr (gtk_about_dialog_get_logo_icon_name (about), ==, APP_ID);
  /* GTK_LICENSE_GPL_3_0 is "version 3 or later", the metainfo's SPDX name. */
  g_assert_cmpstr (g_hash_table_lookup (metainfo, "project_license"), ==, "GPL-3.0-or-later");
  g_assert_cmpint (gtk_about_dialog_get_license_type (about), ==, GTK_LICENSE_GPL_3_0);
  authors = gtk_about_dialog_get_authors (about);
  g_assert_nonnull (authors);
  g_assert_cmpstr (authors[0], ==, g_hash_table_lookup (metainfo, "developer_name"));
  g_assert_null (authors[1]);
  g_assert_cmpstr (gtk_about_dialog_get_translator_credits (about), ==, credits);

  gtk_window_close (GTK_WINDOW (about));
  CT_TEST_WAIT_UNTIL (shown_about_dialog () == NULL);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (app_window), "app.about", NULL));
  CT_TEST_WAIT_UNTIL (shown_about_dialog () != NULL);
  g_assert_true (shown_about_dialog () == about);

  gtk_window_destroy (GTK_WINDOW (about));
  /* Its engine is cancelled and joined. */
  gtk_window_destroy (GTK_WINDOW (app_window));
  g_assert_null (shown_about_dialog ());
  g_unsetenv ("LANGUAGE");
  setlocale (LC_ALL, locale);
}

/* Whether the test's file manager has logged a whole line. */
static gboolean
file_manager_called (void)
{
  g_autofree char *logged = NULL;

  return g_file_get_contents (opened_log, &logged, NULL, NULL) && strchr (logged, '\n') != NULL;
}

/* Show in Folder opens the exported file's folder with the desktop's file
 * manager: here one the test registered for folders, which logs its
 * argument. */
static void
test_show_export_folder (void)
{
  g_autofree char *exported = g_build_filename (tmpdir, "shown", "figure.png", NULL);
  g_autofree char *folder = g_path_get_dirname (exported);
  g_autofree char *folder_uri = g_filename_to_uri (folder, NULL, NULL);
  g_autofree char *logged = NULL;

  g_assert_cmpint (g_mkdir_with_parents (folder, 0700), ==, 0);
  open_test_run ();
  activate ("win.export-to", g_variant_new_string (exported));
  g_assert_true (g_file_test (exported, G_FILE_TEST_IS_REGULAR));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.show-export-folder", NULL));

  CT_TEST_WAIT_UNTIL (file_manager_called ());
  g_file_get_contents (opened_log, &logged, NULL, NULL);
  g_strchomp (logged);
  g_test_message ("the file manager was asked for %s", logged);
  g_assert_true (g_str_equal (logged, folder_uri) || g_str_equal (logged, folder));
}

/* ---- Training, stopped ------------------------------------------------- */

static gboolean
first_checkpoint_written (const char *dir)
{
  g_autofree char *path = ct_run_dup_checkpoint_path (dir, 1);

  return g_file_test (path, G_FILE_TEST_EXISTS);
}

static gboolean
window_training (void)
{
  gboolean training;

  g_object_get (window, "training", &training, NULL);
  return training;
}

/* Stop ends a training between batches: the run keeps its whole
 * checkpoints and nothing half-written, Train is usable again, Stop not. */
static void
test_cancel_training (void)
{
  g_autofree char *train_dir = g_build_filename (tmpdir, "stopped", NULL);
  g_autoptr(GArray) epochs = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GDir) dir = NULL;
  CtTrainOptions options;
  const char *name;

  ct_test_tiny_options (&options, data_dir, train_dir, 50);
  ct_window_train (window, &options, FALSE);
  g_assert_true (window_training ());
  g_assert_true (ct_test_window_action_usable (window, "win.cancel-training"));
  CT_TEST_WAIT_UNTIL (first_checkpoint_written (train_dir));

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.cancel-training", NULL));
  CT_TEST_WAIT_UNTIL (!window_training ());
  g_assert_false (ct_test_window_action_usable (window, "win.cancel-training"));
  g_assert_true (ct_test_window_action_usable (window, "win.train"));

  epochs = ct_run_list_checkpoints (train_dir, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (epochs->len, >=, 2);
  g_assert_cmpuint (epochs->len, <, 51);
  dir = g_dir_open (train_dir, 0, &error);
  g_assert_no_error (error);
  while ((name = g_dir_read_name (dir)) != NULL)
    g_assert_false (g_str_has_suffix (name, ".tmp"));
}

/* A file manager for folders, registered in this test's own XDG folders:
 * it appends its argument to @opened_log. */
static void
register_file_manager (void)
{
  g_autofree char *apps = g_build_filename (tmpdir, "applications", NULL);
  g_autofree char *config = g_build_filename (tmpdir, "config", NULL);
  g_autofree char *script = g_build_filename (tmpdir, "file-manager", NULL);
  g_autofree char *desktop = g_build_filename (apps, "camtrail-test-files.desktop", NULL);
  g_autofree char *mimeapps = g_build_filename (config, "mimeapps.list", NULL);
  g_autofree char *script_text =
    g_strdup_printf ("#!/bin/sh\nprintf '%%s\\n' \"$1\" >> '%s'\n", opened_log);
  g_autofree char *desktop_text =
    g_strdup_printf ("[Desktop Entry]\nType=Application\nName=Test files\nExec=%s %%u\n"
                     "MimeType=inode/directory;\nNoDisplay=true\n", script);
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (g_mkdir_with_parents (apps, 0700), ==, 0);
  g_assert_cmpint (g_mkdir_with_parents (config, 0700), ==, 0);
  g_file_set_contents (script, script_text, -1, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_chmod (script, 0700), ==, 0);
  g_file_set_contents (desktop, desktop_text, -1, &error);
  g_assert_no_error (error);
  g_file_set_contents (mimeapps, "[Default Applications]\ninode/directory=camtrail-test-files.desktop\n",
                       -1, &error);
  g_assert_no_error (error);
  g_setenv ("XDG_CONFIG_HOME", config, TRUE);
}

int
main (int   argc,
      char *argv[])
{
  int status;

  g_setenv ("GSK_RENDERER", "cairo", TRUE);
  g_setenv ("GTK_A11Y", "none", TRUE);
  g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);
  /* Runs and the file manager live under this test's XDG folders, set
   * before GLib reads them. */
  tmpdir = ct_test_make_squares_tmpdir ("XDG_DATA_HOME", 512, 64, 3, &data_dir);
  opened_log = g_build_filename (tmpdir, "opened.log", NULL);
  register_file_manager ();
  gtk_test_init (&argc, &argv, NULL);

  run_dir = g_build_filename (tmpdir, "run", NULL);
  ct_test_train_tiny (data_dir, run_dir, 2);

  settings = g_settings_new (APP_ID);
  window = ct_window_new (NULL);
  gtk_window_set_default_size (GTK_WINDOW (window), 1400, 1000);
  gtk_window_present (GTK_WINDOW (window));

  g_test_add_func ("/window-actions/settings-reach-the-maps", test_settings_reach_the_maps);
  g_test_add_func ("/window-actions/random-images", test_random_images);
  g_test_add_func ("/window-actions/misclassified-images", test_misclassified_images);
  g_test_add_func ("/window-actions/add-class-image", test_add_class_image);
  g_test_add_func ("/window-actions/figure-settings", test_figure_settings);
  g_test_add_func ("/window-actions/file-chooser/export", test_export_dialog);
  g_test_add_func ("/window-actions/file-chooser/open", test_open_dialog);
  g_test_add_func ("/window-actions/file-chooser/open-import", test_open_dialog_import);
  g_test_add_func ("/window-actions/about", test_about);
  g_test_add_func ("/window-actions/show-export-folder", test_show_export_folder);
  g_test_add_func ("/window-actions/cancel-training", test_cancel_training);
  status = g_test_run ();

  gtk_window_destroy (GTK_WINDOW (window));
  g_object_unref (settings);
  if (g_getenv ("CT_TEST_KEEP") == NULL)
    ct_test_remove_tree (tmpdir);
  return status;
}
