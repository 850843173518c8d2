/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <gtk/gtk.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>

#include "ct-cell-dialog.h"
#include "ct-checkpoint.h"
#include "ct-import-dialog.h"
#include "ct-png.h"
#include "ct-preferences-window.h"
#include "ct-robustness-plot.h"
#include "ct-test-data.h"
#include "ct-test-train.h"
#include "ct-test-ui.h"
#include "ct-test-wait.h"
#include "ct-style.h"
#include "ct-study-dialog.h"
#include "ct-train-dialog.h"
#include "ct-window.h"

/* The real window under Xvfb on a tiny run the test trains: it is driven
 * through its actions as a user's keyboard would, rendered to pixels, and
 * closed while it trains. */

static char *tmpdir;
static char *data_dir;
static char *run_dir;
static CtWindow *window;

static gboolean
window_idle (gpointer data)
{
  CtWindow *self = data;
  gboolean busy;

  g_object_get (self, "busy", &busy, NULL);
  return !busy && ct_grid_view_get_grid (ct_window_get_grid_view (self)) != NULL &&
         ct_grid_view_is_complete (ct_window_get_grid_view (self));
}

/* Runs the main loop until @done holds, and then until GTK has drawn. */
static void
wait_for (gboolean (*done) (gpointer),
          gpointer  data)
{
  /* Blocking iterations: every state waited for arrives as a source of the
   * main context (an engine post, a redraw). */
  CT_TEST_WAIT_UNTIL (done (data));
  for (int i = 0; i < 20; i++)
    g_main_context_iteration (NULL, FALSE);
}

/* Copies the files of run @from into @to (created): a second run. */
static void
copy_run (const char *from_dir,
          const char *to_dir)
{
  g_autoptr(GDir) dir = g_dir_open (from_dir, 0, NULL);
  const char *name;

  g_assert_nonnull (dir);
  g_assert_cmpint (g_mkdir_with_parents (to_dir, 0755), ==, 0);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *from = g_build_filename (from_dir, name, NULL);
      g_autofree char *to = g_build_filename (to_dir, name, NULL);
      g_autofree char *contents = NULL;
      gsize length;

      if (!g_file_test (from, G_FILE_TEST_IS_REGULAR))
        continue;
      g_assert_true (g_file_get_contents (from, &contents, &length, NULL));
      g_assert_true (g_file_set_contents (to, contents, length, NULL));
    }
}

static void
activate (const char *action,
          GVariant   *parameter)
{
  /* GTK 4.8 does not sink a floating parameter of a widget-class action
   * (gtk_widget_class_install_action), so the test owns it. */
  g_autoptr(GVariant) owned = parameter != NULL ? g_variant_ref_sink (parameter) : NULL;

  g_assert_true (gtk_widget_activate_action_variant (GTK_WIDGET (window), action, owned));
  /* The request is issued from an idle, once per batch of changes. */
  for (int i = 0; i < 5; i++)
    g_main_context_iteration (NULL, FALSE);
  wait_for (window_idle, window);
}

/* The window as pixels (GDK_MEMORY_DEFAULT, @out_stride bytes a row), as the
 * screen shows it. */
static void
after_paint_cb (GdkFrameClock *clock,
                gboolean      *painted)
{
  *painted = TRUE;
}

static guint8 *
render_window (int   *out_width,
               int   *out_height,
               gsize *out_stride)
{
  GdkFrameClock *clock = gtk_widget_get_frame_clock (GTK_WIDGET (window));
  g_autoptr(GdkTexture) texture = NULL;
  gboolean painted = FALSE;
  gulong handler;
  guint8 *pixels;

  /* Let GTK lay out and paint the latest state first. */
  handler = g_signal_connect (clock, "after-paint", G_CALLBACK (after_paint_cb), &painted);
  gtk_widget_queue_draw (GTK_WIDGET (window));
  while (!painted)
    g_main_context_iteration (NULL, TRUE);
  g_signal_handler_disconnect (clock, handler);

  texture = ct_test_render_widget (GTK_WIDGET (window));

  g_assert_nonnull (texture);
  *out_width = gdk_texture_get_width (texture);
  *out_height = gdk_texture_get_height (texture);
  *out_stride = (gsize) *out_width * 4;
  pixels = g_malloc (*out_stride * *out_height);
  gdk_texture_download (texture, pixels, *out_stride);
  return pixels;
}

/* The rectangle of grid cell (@row, @image) in window coordinates. */
static void
cell_in_window (guint            row,
                guint            image,
                graphene_rect_t *out_rect,
                double          *out_caption_height)
{
  CtGridView *view = ct_window_get_grid_view (window);
  CtGrid *grid = ct_grid_view_get_grid (view);
  graphene_point_t origin;
  int x, y, size, caption;

  g_assert_true (ct_grid_view_get_cell_rect (view, row, image, 0, out_rect));
  ct_figure_get_cell_rect (grid, ct_grid_view_get_style (view), row, image, 0, &x, &y, &size, &caption);
  g_assert_true (gtk_widget_compute_point (GTK_WIDGET (view), GTK_WIDGET (window),
                                           &out_rect->origin, &origin));
  out_rect->origin = origin;
  *out_caption_height = caption;
}

/* Sum of |a − b| over a rectangle of two renderings. */
static double
difference (const guint8          *a,
            const guint8          *b,
            gsize                  stride,
            const graphene_rect_t *rect)
{
  double sum = 0;

  for (int y = rect->origin.y; y < rect->origin.y + rect->size.height; y++)
    for (int x = rect->origin.x; x < rect->origin.x + rect->size.width; x++)
      for (int c = 0; c < 3; c++)
        sum += abs ((int) a[y * stride + 4 * x + c] - (int) b[y * stride + 4 * x + c]);
  return sum;
}

/* Pixels clearly darker than the white background: text. */
static guint
dark_pixels (const guint8          *pixels,
             gsize                  stride,
             const graphene_rect_t *rect)
{
  guint n = 0;

  for (int y = rect->origin.y; y < rect->origin.y + rect->size.height; y++)
    for (int x = rect->origin.x; x < rect->origin.x + rect->size.width; x++)
      n += pixels[y * stride + 4 * x] + pixels[y * stride + 4 * x + 1] +
           pixels[y * stride + 4 * x + 2] < 3 * 160;
  return n;
}

static void
save_rendering (const char   *name,
                const guint8 *pixels,
                int           width,
                int           height,
                gsize         stride)
{
  g_autoptr(GBytes) bytes = g_bytes_new (pixels, stride * height);
  g_autoptr(GdkTexture) texture = gdk_memory_texture_new (width, height, GDK_MEMORY_DEFAULT,
                                                          bytes, stride);
  g_autofree char *path = g_build_filename (tmpdir, name, NULL);

  g_assert_true (gdk_texture_save_to_png (texture, path));
}

/* The first widget under @root whose action is @action_name, such as the
 * header bar's Export button for "win.export". */
static GtkWidget *
find_actionable (GtkWidget  *root,
                 const char *action_name)
{
  if (GTK_IS_ACTIONABLE (root) &&
      g_strcmp0 (gtk_actionable_get_action_name (GTK_ACTIONABLE (root)), action_name) == 0)
    return root;
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_actionable (child, action_name);

      if (found != NULL)
        return found;
    }
  return NULL;
}

/* Whether the control of @action_name can be used: GTK makes a button
 * insensitive while its action is disabled. */
static gboolean
action_usable (const char *action_name)
{
  GtkWidget *button = find_actionable (GTK_WIDGET (window), action_name);

  g_assert_nonnull (button);
  return gtk_widget_get_sensitive (button);
}

/* Whether any dropdown of the window lists @name. */
static gboolean
dropdown_lists (GtkWidget  *root,
                const char *name)
{
  if (GTK_IS_DROP_DOWN (root))
    {
      GListModel *model = gtk_drop_down_get_model (GTK_DROP_DOWN (root));

      for (guint i = 0; GTK_IS_STRING_LIST (model) && i < g_list_model_get_n_items (model); i++)
        if (g_str_equal (gtk_string_list_get_string (GTK_STRING_LIST (model), i), name))
          return TRUE;
    }
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if (dropdown_lists (child, name))
      return TRUE;
  return FALSE;
}

/* Before any run: what needs one cannot be used, and Export needs a grid. */
static void
test_window_actions_without_run (void)
{
  g_assert_null (ct_window_get_run_dir (window));
  g_assert_false (action_usable ("win.export"));
  g_assert_false (action_usable ("win.random-images"));
  g_assert_false (action_usable ("win.misclassified-images"));
  g_assert_false (action_usable ("win.add-class-image"));
  g_assert_false (action_usable ("win.compute-robustness"));
  g_assert_false (action_usable ("win.cancel-training"));
  g_assert_true (action_usable ("win.train"));
  g_assert_true (action_usable ("win.open"));
}

static void
test_window_opens_run (void)
{
  CtGrid *grid;

  activate ("win.open-run", g_variant_new_string (run_dir));
  g_assert_cmpstr (ct_window_get_run_dir (window), ==, run_dir);

  grid = ct_grid_view_get_grid (ct_window_get_grid_view (window));
  /* "0, 1, 2, 3, last" on a run of epochs 0–2 gives three rows. */
  g_assert_cmpuint (grid->n_rows, ==, 3);
  g_assert_cmpint (grid->epochs[2], ==, 2);
  g_assert_cmpuint (grid->n_images, ==, 8);
  g_assert_cmpstr (grid->perturbation, ==, "none");
  g_assert_true (action_usable ("win.export"));
  g_assert_true (action_usable ("win.random-images"));
  g_assert_true (action_usable ("win.compute-robustness"));
  g_assert_false (action_usable ("win.cancel-training"));

  activate ("win.set-images", g_variant_new_string ("0, 1, 2, 3"));
  grid = ct_grid_view_get_grid (ct_window_get_grid_view (window));
  g_assert_cmpuint (grid->n_images, ==, 4);
  g_assert_cmpuint (grid->image_indices[3], ==, 3);
}

/* The widget of the window's template with the id @id. */
static GtkWidget *
find_by_id (GtkWidget  *root,
            const char *id)
{
  if (g_strcmp0 (gtk_buildable_get_buildable_id (GTK_BUILDABLE (root)), id) == 0)
    return root;
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_by_id (child, id);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static char *
dup_error (void)
{
  char *message = NULL;

  g_object_get (window, "error", &message, NULL);
  return message;
}

/* A wrong list is marked on its field and refused, the grid unchanged;
 * the mark and the message go as soon as the field reads right. */
static void
test_window_field_errors (void)
{
  GtkWidget *epochs = find_by_id (GTK_WIDGET (window), "epochs_entry");
  GtkWidget *images = find_by_id (GTK_WIDGET (window), "images_entry");
  CtGridView *view = ct_window_get_grid_view (window);
  g_autofree char *message = NULL;

  g_assert_nonnull (epochs);
  g_assert_nonnull (images);
  g_assert_cmpuint (ct_grid_view_get_grid (view)->n_rows, ==, 3);

  /* The run has checkpoints 0 to 2: a typed 7 is an error, not left out. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.set-epochs", "s", "0, 7"));
  message = dup_error ();
  g_assert_nonnull (message);
  g_assert_nonnull (strstr (message, "epoch 7"));
  g_assert_true (gtk_widget_has_css_class (epochs, "error"));
  g_assert_cmpuint (ct_grid_view_get_grid (view)->n_rows, ==, 3);
  g_clear_pointer (&message, g_free);

  gtk_editable_set_text (GTK_EDITABLE (epochs), "0, 2");
  g_assert_false (gtk_widget_has_css_class (epochs, "error"));
  message = dup_error ();
  g_assert_null (message);
  g_signal_emit_by_name (epochs, "activate");
  for (int i = 0; i < 5; i++)
    g_main_context_iteration (NULL, FALSE);
  wait_for (window_idle, window);
  g_assert_cmpuint (ct_grid_view_get_grid (view)->n_rows, ==, 2);

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.set-images", "s", "0, 100000"));
  message = dup_error ();
  g_assert_nonnull (strstr (message, "100000"));
  g_assert_true (gtk_widget_has_css_class (images, "error"));
  g_clear_pointer (&message, g_free);
  gtk_editable_set_text (GTK_EDITABLE (images), "0, 1");
  g_assert_false (gtk_widget_has_css_class (images, "error"));
  message = dup_error ();
  g_assert_null (message);

  activate ("win.set-epochs", g_variant_new_string ("0, 1, 2"));
  activate ("win.set-images", g_variant_new_string ("0, 1, 2, 3"));
}

/* Train… offers the folder kinds, IDX (MNIST) among them, and cannot
 * start with a folder kind until a folder is chosen. */
static void
test_window_train_dialog (void)
{
  GListModel *toplevels = gtk_window_get_toplevels ();
  GtkWindow *dialog = NULL;
  GtkDropDown *datasets;
  GtkWidget *start;
  GListModel *kinds;
  gboolean idx = FALSE;

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.train", NULL));
  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWindow) toplevel = g_list_model_get_item (toplevels, i);

      if (CT_IS_TRAIN_DIALOG (toplevel))
        dialog = toplevel;
    }
  g_assert_nonnull (dialog);
  datasets = GTK_DROP_DOWN (find_by_id (GTK_WIDGET (dialog), "dataset_dropdown"));
  start = find_actionable (GTK_WIDGET (dialog), "dialog.start");
  g_assert_nonnull (start);
  kinds = gtk_drop_down_get_model (datasets);
  for (guint i = 0; i < g_list_model_get_n_items (kinds); i++)
    idx = idx || strstr (gtk_string_list_get_string (GTK_STRING_LIST (kinds), i), "IDX") != NULL;
  g_assert_true (idx);

  /* Fashion-MNIST comes from Debian: no folder needed. */
  g_assert_cmpuint (gtk_drop_down_get_selected (datasets), ==, 0);
  g_assert_true (gtk_widget_get_sensitive (start));
  for (guint i = 1; i < g_list_model_get_n_items (kinds); i++)
    {
      gtk_drop_down_set_selected (datasets, i);
      g_assert_false (gtk_widget_get_sensitive (start));
    }
  gtk_drop_down_set_selected (datasets, 0);
  g_assert_true (gtk_widget_get_sensitive (start));
  gtk_window_destroy (dialog);
}

/* The sidebar's scrollbar stays, so that it shows the controls scroll. */
static void
test_window_sidebar_scrolls (void)
{
  GtkWidget *controls = find_by_id (GTK_WIDGET (window), "controls");
  GtkWidget *scrolled = gtk_widget_get_ancestor (controls, GTK_TYPE_SCROLLED_WINDOW);

  g_assert_nonnull (scrolled);
  g_assert_false (gtk_scrolled_window_get_overlay_scrolling (GTK_SCROLLED_WINDOW (scrolled)));
}

static guint errors_shown;

static void
error_notify_cb (GObject    *object,
                 GParamSpec *pspec,
                 gpointer    data)
{
  g_autofree char *message = NULL;

  g_object_get (object, "error", &message, NULL);
  if (message != NULL)
    errors_shown++;
}

static gboolean
error_count_reached (gpointer data)
{
  return errors_shown >= GPOINTER_TO_UINT (data);
}

static gboolean
run_open (gpointer data)
{
  return g_strcmp0 (ct_window_get_run_dir (window), data) == 0 && window_idle (window);
}

/* A folder that is no run, and a run whose checkpoint belongs to another
 * architecture: the window says what is wrong and keeps working. */
static void
test_window_errors (void)
{
  g_autofree char *not_a_run = g_build_filename (tmpdir, "not-a-run", NULL);
  g_autofree char *other_arch = g_build_filename (tmpdir, "other-arch", NULL);
  g_autofree char *message = NULL;
  g_autofree char *source = ct_run_dup_checkpoint_path (run_dir, 1);
  g_autofree char *target = NULL;
  g_autoptr(CtManifest) manifest = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  gulong handler;
  gsize length;

  handler = g_signal_connect (window, "notify::error", G_CALLBACK (error_notify_cb), NULL);
  errors_shown = 0;

  g_mkdir (not_a_run, 0755);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.open-run", "s", not_a_run));
  wait_for (error_count_reached, GUINT_TO_POINTER (1));
  g_object_get (window, "error", &message, NULL);
  g_assert_nonnull (strstr (message, not_a_run));
  g_assert_cmpstr (ct_window_get_run_dir (window), ==, run_dir);
  /* Refused, it does not stay in the header bar's list of runs either. */
  g_assert_false (dropdown_lists (GTK_WIDGET (window), "not-a-run"));
  g_assert_true (dropdown_lists (GTK_WIDGET (window), "run"));
  g_clear_pointer (&message, g_free);

  /* The same run, but the manifest says resnet18: its checkpoints do not fit. */
  g_mkdir (other_arch, 0755);
  manifest = ct_manifest_load (run_dir, &error);
  g_assert_no_error (error);
  g_free (manifest->arch);
  manifest->arch = g_strdup ("resnet18");
  g_assert_true (ct_manifest_save (manifest, other_arch, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (source, &contents, &length, NULL));
  target = ct_run_dup_checkpoint_path (other_arch, 0);
  g_assert_true (g_file_set_contents (target, contents, length, NULL));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.open-run", "s", other_arch));
  wait_for (error_count_reached, GUINT_TO_POINTER (2));
  g_object_get (window, "error", &message, NULL);
  g_test_message ("%s", message);
  g_assert_nonnull (strstr (message, "resnet18"));

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.open-run", "s", run_dir));
  wait_for (run_open, run_dir);
  g_signal_handler_disconnect (window, handler);
  activate ("win.set-images", g_variant_new_string ("0, 1, 2, 3"));
}

static void
test_window_noise_changes_heatmaps (void)
{
  g_autofree guint8 *clean = NULL;
  g_autofree guint8 *noisy = NULL;
  graphene_rect_t cell, caption;
  double clean_caption_height, noisy_caption_height;
  int width, height, width2, height2;
  gsize stride, stride2;
  CtGrid *grid;

  activate ("win.noise-sigma", g_variant_new_double (0.0));
  /* No perturbation, no confidence drops in the chart; the recipe's
   * test-time augmented accuracy of the last epoch as a point of its own. */
  g_assert_cmpuint (ct_chart_view_get_n_drops (ct_window_get_chart_view (window)), ==, 0);
  g_assert_cmpuint (ct_chart_view_get_n_tta (ct_window_get_chart_view (window)), ==, 1);
  clean = render_window (&width, &height, &stride);
  save_rendering ("window-clean.png", clean, width, height, stride);

  /* Busy from the change on, before the request leaves its idle: whoever
   * waits for the grid never takes the previous one for it. */
  {
    g_autoptr(GVariant) sigma = g_variant_ref_sink (g_variant_new_double (0.3));
    gboolean busy = FALSE;

    g_assert_true (gtk_widget_activate_action_variant (GTK_WIDGET (window), "win.noise-sigma",
                                                       sigma));
    g_object_get (window, "busy", &busy, NULL);
    g_assert_true (busy);
    wait_for (window_idle, window);
  }
  grid = ct_grid_view_get_grid (ct_window_get_grid_view (window));
  g_assert_nonnull (strstr (grid->perturbation, "noise σ=0.30"));
  /* The chart's drops follow the finished grid: one point per row. */
  g_assert_cmpuint (ct_chart_view_get_n_drops (ct_window_get_chart_view (window)), ==,
                    grid->n_rows);
  noisy = render_window (&width2, &height2, &stride2);
  save_rendering ("window-noise.png", noisy, width2, height2, stride2);
  g_assert_cmpint (width, ==, width2);
  g_assert_cmpint (height, ==, height2);

  /* The heatmap overlay of the last checkpoint's first image changes... */
  cell_in_window (2, 0, &cell, &noisy_caption_height);
  g_assert_cmpfloat (difference (clean, noisy, stride, &cell) / (cell.size.width * cell.size.height),
                     >, 5.0);

  /* ...and its caption gains a second line, the confidence drop "Δ…". */
  activate ("win.noise-sigma", g_variant_new_double (0.0));
  cell_in_window (0, 0, &cell, &clean_caption_height);
  activate ("win.noise-sigma", g_variant_new_double (0.3));
  cell_in_window (0, 0, &cell, &noisy_caption_height);
  g_assert_cmpfloat (noisy_caption_height, >, 1.5 * clean_caption_height);
  graphene_rect_init (&caption, cell.origin.x, cell.origin.y + cell.size.height + noisy_caption_height / 2,
                      cell.size.width, noisy_caption_height / 2);
  g_free (noisy);
  noisy = render_window (&width2, &height2, &stride2);
  g_assert_cmpuint (dark_pixels (noisy, stride2, &caption), >, 20);
  grid = ct_grid_view_get_grid (ct_window_get_grid_view (window));
  g_assert_true (isfinite (ct_grid_get_cell (grid, 0, 0, 0)->confidence_drop));
}

static void
test_window_rotation_occlusion (void)
{
  CtGrid *grid;

  activate ("win.rotation", g_variant_new_double (90.0));
  activate ("win.occlude-pixels", g_variant_new_int32 (40));
  grid = ct_grid_view_get_grid (ct_window_get_grid_view (window));
  g_assert_nonnull (strstr (grid->perturbation, "rotation 90°"));
  g_assert_nonnull (strstr (grid->perturbation, "40 occluded pixels"));

  activate ("win.rounds", g_variant_new_int32 (2));
  grid = ct_grid_view_get_grid (ct_window_get_grid_view (window));
  g_assert_cmpuint (grid->n_rounds, ==, 2);

  /* Clean view keeps the sliders but shows the unperturbed images. */
  activate ("win.view-mode", g_variant_new_string ("clean"));
  grid = ct_grid_view_get_grid (ct_window_get_grid_view (window));
  g_assert_cmpstr (grid->perturbation, ==, "none");
  activate ("win.view-mode", g_variant_new_string ("perturbed"));
}

static void
test_window_export (void)
{
  g_autofree char *png = g_build_filename (tmpdir, "export.png", NULL);
  g_autofree char *svg = g_build_filename (tmpdir, "export.svg", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) text = NULL;
  g_autofree guint8 *rgba = NULL;
  CtGridView *view = ct_window_get_grid_view (window);
  CtFigureStyle style = *ct_grid_view_get_style (view);
  int expected_width, expected_height;
  guint width, height;

  activate ("win.export-to", g_variant_new_string (png));
  rgba = ct_png_read_rgba (png, &width, &height, &text, &error);
  g_assert_no_error (error);

  /* The export scale (2 by default) times what the screen shows. */
  style.scale = 2.0;
  ct_figure_get_size (ct_grid_view_get_grid (view), &style, &expected_width, &expected_height);
  g_assert_cmpuint (width, ==, expected_width);
  g_assert_cmpuint (height, ==, expected_height);
  g_assert_cmpstr (g_hash_table_lookup (text, "Software"), ==, "Camtrail " PACKAGE_VERSION);
  g_assert_cmpstr (g_hash_table_lookup (text, "camtrail:epochs"), ==, "0,1,2");
  g_assert_cmpstr (g_hash_table_lookup (text, "camtrail:images"), ==, "0,1,2,3");
  g_assert_nonnull (strstr (g_hash_table_lookup (text, "camtrail:perturbation"), "noise σ=0.30"));

  /* A note over the grid says where it went, with a way there. */
  g_assert_true (gtk_revealer_get_reveal_child (GTK_REVEALER (find_by_id (GTK_WIDGET (window),
                                                                          "note_revealer"))));
  g_assert_nonnull (strstr (gtk_label_get_text (GTK_LABEL (find_by_id (GTK_WIDGET (window), "note_label"))),
                            "export.png"));
  g_assert_true (action_usable ("win.show-export-folder"));

  activate ("win.export-to", g_variant_new_string (svg));
  g_assert_true (g_file_test (svg, G_FILE_TEST_IS_REGULAR));
}

static gboolean
cell_dialog_shown (gpointer data)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWindow) toplevel = g_list_model_get_item (toplevels, i);

      if (g_strcmp0 (gtk_window_get_title (toplevel), data) == 0 &&
          gtk_widget_get_mapped (GTK_WIDGET (toplevel)))
        return TRUE;
    }
  return FALSE;
}

static void
test_window_cell_dialog (void)
{
  CtGridView *view = ct_window_get_grid_view (window);
  CtGrid *grid = ct_grid_view_get_grid (view);
  g_autofree char *title = g_strdup_printf ("Image %u (%s) at epoch %d", grid->image_indices[1],
                                            grid->classes[grid->labels[1]], grid->epochs[2]);
  GListModel *toplevels;
  GtkWindow *dialog = NULL;
  gboolean found = FALSE;

  g_signal_emit_by_name (view, "cell-activated", 2u, 1u, 0u);
  wait_for (cell_dialog_shown, title);

  /* Closing it while or after the engine computes its clean heatmap is safe. */
  toplevels = gtk_window_get_toplevels ();
  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWindow) toplevel = g_list_model_get_item (toplevels, i);

      if (g_strcmp0 (gtk_window_get_title (toplevel), title) == 0)
        {
          dialog = toplevel;
          g_object_add_weak_pointer (G_OBJECT (dialog), (gpointer *) &dialog);
          gtk_window_destroy (toplevel);
          found = TRUE;
        }
    }
  g_assert_true (found);
  activate ("win.set-images", g_variant_new_string ("0, 1, 2, 3"));
  /* Nothing keeps the closed dialog alive. */
  g_assert_null (dialog);
}

static gboolean
training_run_shown (gpointer data)
{
  CtGrid *grid = ct_grid_view_get_grid (ct_window_get_grid_view (window));

  return g_strcmp0 (ct_window_get_run_dir (window), data) == 0 && window_idle (window) &&
         grid != NULL && grid->n_rows == 3;
}

/* The keyboard: arrows move between cells (stopping at the edges), Enter
 * opens the cell as a click does. */
static void
test_window_grid_keyboard (void)
{
  CtGridView *view = ct_window_get_grid_view (window);
  CtGrid *grid = ct_grid_view_get_grid (view);
  g_autofree char *title = NULL;
  GListModel *toplevels;
  guint row, image, round;

  g_assert_true (gtk_widget_get_focusable (GTK_WIDGET (view)));
  g_assert_true (gtk_widget_grab_focus (GTK_WIDGET (view)));
  g_assert_true (ct_grid_view_get_focus_cell (view, &row, &image, &round));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (view), "grid.move-focus", "(ii)", -5, -5));
  g_assert_true (ct_grid_view_get_focus_cell (view, &row, &image, &round));
  g_assert_cmpuint (row, ==, 0);
  g_assert_cmpuint (image, ==, 0);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (view), "grid.move-focus", "(ii)", 1, 2));
  g_assert_true (ct_grid_view_get_focus_cell (view, &row, &image, &round));
  /* Columns are cells: each image has a cell per perturbation round. */
  g_assert_cmpuint (row, ==, 1);
  g_assert_cmpuint (image, ==, 2 / grid->n_rounds);
  g_assert_cmpuint (round, ==, 2 % grid->n_rounds);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (view), "grid.move-focus", "(ii)", 99, 99));
  g_assert_true (ct_grid_view_get_focus_cell (view, &row, &image, &round));
  g_assert_cmpuint (row, ==, grid->n_rows - 1);
  g_assert_cmpuint (image, ==, grid->n_images - 1);
  g_assert_cmpuint (round, ==, grid->n_rounds - 1);

  title = g_strdup_printf ("Image %u (%s) at epoch %d", grid->image_indices[image],
                           grid->classes[grid->labels[image]], grid->epochs[row]);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (view), "grid.activate-focus", NULL));
  wait_for (cell_dialog_shown, title);
  toplevels = gtk_window_get_toplevels ();
  for (guint i = g_list_model_get_n_items (toplevels); i > 0; i--)
    {
      g_autoptr(GtkWindow) toplevel = g_list_model_get_item (toplevels, i - 1);

      if (g_strcmp0 (gtk_window_get_title (toplevel), title) == 0)
        gtk_window_destroy (toplevel);
    }
}

/* Whether Escape closes @window: a shortcut of it (its class's binding
 * included) from a plain Escape to "window.close". */
static gboolean
closes_on_escape (GtkWidget *window)
{
  g_autoptr(GListModel) controllers = gtk_widget_observe_controllers (window);

  for (guint i = 0; i < g_list_model_get_n_items (controllers); i++)
    {
      g_autoptr(GtkEventController) controller = g_list_model_get_item (controllers, i);

      if (!GTK_IS_SHORTCUT_CONTROLLER (controller))
        continue;
      for (guint k = 0; k < g_list_model_get_n_items (G_LIST_MODEL (controller)); k++)
        {
          g_autoptr(GtkShortcut) shortcut = g_list_model_get_item (G_LIST_MODEL (controller), k);
          GtkShortcutTrigger *trigger = gtk_shortcut_get_trigger (shortcut);
          GtkShortcutAction *action = gtk_shortcut_get_action (shortcut);

          if (GTK_IS_KEYVAL_TRIGGER (trigger) &&
              gtk_keyval_trigger_get_keyval (GTK_KEYVAL_TRIGGER (trigger)) == GDK_KEY_Escape &&
              gtk_keyval_trigger_get_modifiers (GTK_KEYVAL_TRIGGER (trigger)) == 0 &&
              GTK_IS_NAMED_ACTION (action) &&
              g_strcmp0 (gtk_named_action_get_action_name (GTK_NAMED_ACTION (action)), "window.close") == 0)
            return TRUE;
        }
    }
  return FALSE;
}

/* Every dialog has a header bar and closes on Escape: Preferences, the
 * cell's and Train…. */
static void
test_window_dialogs (void)
{
  CtGridView *view = ct_window_get_grid_view (window);
  CtGrid *grid = ct_grid_view_get_grid (view);
  g_autofree char *title = g_strdup_printf ("Image %u (%s) at epoch %d", grid->image_indices[0],
                                            grid->classes[grid->labels[0]], grid->epochs[0]);
  GtkWindow *preferences = GTK_WINDOW (ct_preferences_window_new (GTK_WINDOW (window)));
  GListModel *toplevels = gtk_window_get_toplevels ();
  guint checked = 0;

  g_assert_true (GTK_IS_HEADER_BAR (gtk_window_get_titlebar (preferences)));
  g_assert_true (closes_on_escape (GTK_WIDGET (preferences)));
  gtk_window_destroy (preferences);

  g_signal_emit_by_name (view, "cell-activated", 0u, 0u, 0u);
  wait_for (cell_dialog_shown, title);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.train", NULL));
  for (guint i = g_list_model_get_n_items (toplevels); i > 0; i--)
    {
      g_autoptr(GtkWindow) toplevel = g_list_model_get_item (toplevels, i - 1);

      if (CT_IS_CELL_DIALOG (toplevel) || CT_IS_TRAIN_DIALOG (toplevel))
        {
          g_assert_true (GTK_IS_HEADER_BAR (gtk_window_get_titlebar (toplevel)));
          g_assert_true (closes_on_escape (GTK_WIDGET (toplevel)));
          gtk_window_destroy (toplevel);
          checked++;
        }
    }
  g_assert_cmpuint (checked, ==, 2);
}

/* Train the Demo Run, when the demo is trained already: it opens, and a
 * note says so (no training starts). */
static void
test_window_demo_exists (void)
{
  g_autofree char *home = ct_run_dup_home ();
  g_autofree char *demo = g_build_filename (home, CT_RUN_DEMO_NAME, NULL);
  gboolean training;

  /* The test's run, copied in as the demo. */
  copy_run (run_dir, demo);

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.train-demo", NULL));
  g_object_get (window, "training", &training, NULL);
  g_assert_false (training);
  g_assert_true (gtk_revealer_get_reveal_child (GTK_REVEALER (find_by_id (GTK_WIDGET (window),
                                                                          "note_revealer"))));
  g_assert_nonnull (strstr (gtk_label_get_text (GTK_LABEL (find_by_id (GTK_WIDGET (window), "note_label"))),
                            "demo"));
  wait_for (run_open, demo);

  activate ("win.open-run", g_variant_new_string (run_dir));
  wait_for (run_open, run_dir);
  activate ("win.set-images", g_variant_new_string ("0, 1, 2, 3"));
}

static void
test_window_rows_appear_while_training (void)
{
  g_autofree char *train_dir = g_build_filename (tmpdir, "fresh", NULL);
  GtkWidget *grid_view = GTK_WIDGET (ct_window_get_grid_view (window));
  GtkRevealer *banner = GTK_REVEALER (find_by_id (GTK_WIDGET (window), "train_revealer"));
  graphene_rect_t before, during, banner_bounds;
  CtTrainOptions options;
  int width, height;
  gsize stride;

  /* Without the slide, the banner is there at once, however short the
   * training. */
  gtk_revealer_set_transition_type (banner, GTK_REVEALER_TRANSITION_TYPE_NONE);
  g_free (render_window (&width, &height, &stride));
  g_assert_false (gtk_revealer_get_child_revealed (banner));
  g_assert_true (gtk_widget_compute_bounds (grid_view, GTK_WIDGET (window), &before));

  /* The window opens the new run at its first checkpoint and adds a row
   * for every epoch saved after it. */
  ct_test_tiny_options (&options, data_dir, train_dir, 2);
  ct_window_train (window, &options, TRUE);
  g_assert_true (action_usable ("win.cancel-training"));
  g_assert_false (action_usable ("win.train"));

  /* The training banner lies over the content: the grid does not move
   * under the pointer when it appears. */
  g_assert_true (gtk_revealer_get_child_revealed (banner));
  /* Two frames: the one under way when the banner came may predate it. */
  g_free (render_window (&width, &height, &stride));
  g_free (render_window (&width, &height, &stride));
  g_assert_true (gtk_widget_compute_bounds (grid_view, GTK_WIDGET (window), &during));
  g_assert_true (gtk_widget_compute_bounds (GTK_WIDGET (banner), GTK_WIDGET (window), &banner_bounds));
  g_test_message ("grid at y %g (height %g) before the banner, %g (%g) with it; banner y %g height %g",
                  before.origin.y, before.size.height, during.origin.y, during.size.height,
                  banner_bounds.origin.y, banner_bounds.size.height);
  g_assert_cmpfloat (during.origin.y, ==, before.origin.y);
  g_assert_cmpfloat (during.size.height, ==, before.size.height);
  g_assert_cmpfloat (banner_bounds.size.height, >, 10);
  g_assert_true (graphene_rect_intersection (&banner_bounds, &during, NULL));
  wait_for (training_run_shown, train_dir);
  /* Opening is asynchronous and the old grid is complete meanwhile: wait
   * for the run itself. */
  activate ("win.open-run", g_variant_new_string (run_dir));
  wait_for (run_open, run_dir);
}

/* ---- Study… ----------------------------------------------------------- */

static CtStudyDialog *
find_study_dialog (void)
{
  GListModel *toplevels = gtk_window_get_toplevels ();
  CtStudyDialog *found = NULL;

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWindow) toplevel = g_list_model_get_item (toplevels, i);

      if (CT_IS_STUDY_DIALOG (toplevel))
        {
          g_assert_null (found);
          found = CT_STUDY_DIALOG (toplevel);
        }
    }
  return found;
}

static gboolean
study_started (gpointer data)
{
  GtkProgressBar *bar = data;

  return gtk_progress_bar_get_fraction (bar) > 0 ||
         !ct_engine_is_studying (ct_window_get_engine (window));
}

static gboolean
study_stopped (gpointer data)
{
  return !ct_engine_is_studying (ct_window_get_engine (window));
}

static gboolean
study_reported (gpointer data)
{
  return !ct_engine_is_studying (ct_window_get_engine (window)) &&
         ct_window_get_study_report (window) != NULL;
}

static void
set_field (GtkWidget  *dialog,
           const char *id,
           const char *text)
{
  GtkWidget *field = find_by_id (dialog, id);

  g_assert_nonnull (field);
  if (GTK_IS_SPIN_BUTTON (field))
    gtk_spin_button_set_value (GTK_SPIN_BUTTON (field), g_ascii_strtod (text, NULL));
  else
    gtk_editable_set_text (GTK_EDITABLE (field), text);
}

/* Study… on the open run: a dialog with a header bar that closes on
 * Escape; Start runs the study in the engine with the dialog's settings,
 * a closed dialog leaves it running and comes back as it was; Stop stops
 * it, Start again finishes it from its parts, and a note offers the
 * report. */
static void
test_window_study (void)
{
  g_autofree char *out = g_build_filename (tmpdir, "window-study", NULL);
  g_autofree char *report = g_build_filename (out, "report.html", NULL);
  g_autofree char *csv = g_build_filename (out, "robustness.csv", NULL);
  g_autofree char *parts = g_build_filename (out, "parts", NULL);
  g_autofree char *csv_text = NULL;
  CtEngine *engine = ct_window_get_engine (window);
  GtkWidget *dialog, *start, *stop;
  GtkProgressBar *bar;
  GtkLabel *note;

  g_assert_cmpstr (ct_window_get_run_dir (window), ==, run_dir);
  g_assert_null (ct_window_get_study_report (window));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.study", NULL));
  dialog = GTK_WIDGET (find_study_dialog ());
  g_assert_nonnull (dialog);
  g_assert_true (GTK_IS_HEADER_BAR (gtk_window_get_titlebar (GTK_WINDOW (dialog))));
  g_assert_true (closes_on_escape (dialog));
  start = find_actionable (dialog, "dialog.start");
  stop = find_actionable (dialog, "dialog.stop");
  bar = GTK_PROGRESS_BAR (find_by_id (dialog, "progress_bar"));
  g_assert_true (gtk_widget_get_sensitive (start));
  g_assert_false (gtk_widget_get_sensitive (stop));
  {
    g_autofree char *proposed = g_build_filename (run_dir, "study", NULL);

    g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (find_by_id (dialog, "folder_entry"))), ==,
                     proposed);
  }

  /* A wrong field is said in the dialog, and nothing starts. */
  set_field (dialog, "epochs_entry", "0, 7");
  g_assert_true (gtk_widget_activate_action (dialog, "dialog.start", NULL));
  g_assert_false (ct_engine_is_studying (engine));
  g_assert_true (gtk_widget_get_visible (find_by_id (dialog, "error_label")));
  g_assert_nonnull (strstr (gtk_label_get_text (GTK_LABEL (find_by_id (dialog, "error_label"))), "7"));

  set_field (dialog, "epochs_entry", "0, last");
  set_field (dialog, "images_spin", "24");
  set_field (dialog, "seed_spin", "3");
  set_field (dialog, "folder_entry", out);
  g_assert_true (gtk_widget_activate_action (dialog, "dialog.start", NULL));
  g_assert_true (ct_engine_is_studying (engine));
  g_assert_false (gtk_widget_get_visible (find_by_id (dialog, "error_label")));
  g_assert_false (gtk_widget_get_sensitive (start));
  g_assert_true (gtk_widget_get_sensitive (stop));
  g_assert_false (gtk_widget_get_sensitive (find_by_id (dialog, "images_spin")));

  /* Closed, it hides; Study… shows the same dialog of the study under way. */
  gtk_window_close (GTK_WINDOW (dialog));
  g_assert_false (gtk_widget_get_visible (dialog));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.study", NULL));
  g_assert_true (GTK_WIDGET (find_study_dialog ()) == dialog);
  g_assert_true (gtk_widget_get_visible (dialog));

  wait_for (study_started, bar);
  g_assert_true (gtk_widget_activate_action (dialog, "dialog.stop", NULL));
  wait_for (study_stopped, NULL);
  g_assert_null (ct_window_get_study_report (window));
  g_assert_true (gtk_widget_get_sensitive (start));
  g_assert_true (g_file_test (parts, G_FILE_TEST_IS_DIR));
  g_assert_false (g_file_test (report, G_FILE_TEST_EXISTS));

  g_assert_true (gtk_widget_activate_action (dialog, "dialog.start", NULL));
  wait_for (study_reported, NULL);
  g_assert_cmpstr (ct_window_get_study_report (window), ==, report);
  g_assert_true (g_file_test (report, G_FILE_TEST_IS_REGULAR));
  g_assert_true (g_file_get_contents (csv, &csv_text, NULL, NULL));
  /* Epochs 0 and 2 of the run, as asked. */
  g_assert_nonnull (strstr (csv_text, "\n0,"));
  g_assert_nonnull (strstr (csv_text, "\n2,"));
  g_assert_null (strstr (csv_text, "\n1,"));
  g_assert_cmpfloat (gtk_progress_bar_get_fraction (bar), ==, 1.0);

  note = GTK_LABEL (find_by_id (GTK_WIDGET (window), "note_label"));
  g_assert_nonnull (strstr (gtk_label_get_text (note), report));
  g_assert_cmpstr (gtk_actionable_get_action_name (GTK_ACTIONABLE (find_by_id (GTK_WIDGET (window),
                                                                               "note_button"))),
                   ==, "win.open-study-report");
  gtk_window_destroy (GTK_WINDOW (dialog));
}

static gboolean
robustness_done (gpointer data)
{
  return !ct_engine_is_computing_robustness (ct_window_get_engine (window)) &&
         ct_robustness_view_get_result (ct_window_get_robustness_view (window)) != NULL;
}

typedef struct {
  guint epoch_index;
  int   perturbation;
  guint n_activated;
} Activated;

static void
point_activated_cb (CtRobustnessView *view,
                    guint             epoch_index,
                    int               perturbation,
                    Activated        *activated)
{
  activated->epoch_index = epoch_index;
  activated->perturbation = perturbation;
  activated->n_activated++;
}

/* The grid after a point was activated: the study's first images, the
 * point's epoch among its rows. */
static void
assert_grid_opened (const CtRobustness *result,
                    guint               epoch_index)
{
  CtGrid *grid = ct_grid_view_get_grid (ct_window_get_grid_view (window));
  gboolean has_epoch = FALSE;

  g_assert_cmpuint (grid->n_images, ==, 8);
  g_assert_cmpmem (grid->image_indices, 8 * sizeof (guint), result->image_indices, 8 * sizeof (guint));
  for (guint row = 0; row < grid->n_rows; row++)
    has_epoch |= grid->epochs[row] == result->epochs[epoch_index].epoch;
  g_assert_true (has_epoch);
}

static gboolean
grid_has_rows (gpointer data)
{
  CtGrid *grid = ct_grid_view_get_grid (ct_window_get_grid_view (window));

  return window_idle (window) && grid != NULL && grid->n_rows == GPOINTER_TO_UINT (data);
}

static void
wait_for_grid (void)
{
  for (int i = 0; i < 5; i++)
    g_main_context_iteration (NULL, FALSE);
  wait_for (window_idle, window);
}

/* The Robustness page computes a study of the open run in the background;
 * a click on a point of its chart opens the point's images in the grid. */
static void
test_window_robustness (void)
{
  CtRobustnessView *view = ct_window_get_robustness_view (window);
  GtkRevealer *point_note;
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  GtkLabel *status = GTK_LABEL (gtk_widget_get_template_child (GTK_WIDGET (window), CT_TYPE_WINDOW,
                                                               "status_label"));
  g_autoptr(GArray) points = NULL;
  const CtRobustnessPoint *click = NULL;
  Activated activated = { 0 };
  g_autofree guint8 *pixels = NULL;
  graphene_rect_t bounds;
  int window_width, window_height;
  gsize stride;
  CtRobustness *result;
  CtGrid *grid;
  gulong handler;
  int width, height;
  graphene_rect_t mark;
  guint dark_before, epoch_index;
  int perturbation;

  activate ("win.robustness-images", g_variant_new_int32 (16));
  activate ("win.robustness-perturbations",
            g_variant_new_string ("noise:0.1,rotate-random:30,c10c:contrast-2"));
  activate ("win.robustness-chart", g_variant_new_string ("confidence-drop"));
  activate ("win.set-epochs", g_variant_new_string ("0"));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.compute-robustness", NULL));
  g_assert_true (ct_engine_is_computing_robustness (ct_window_get_engine (window)));
  wait_for (robustness_done, NULL);

  /* Every checkpoint of the run under every perturbation, with the
   * window's seed and rounds. */
  result = ct_robustness_view_get_result (view);
  g_assert_cmpuint (result->n_images, ==, 16);
  g_assert_cmpuint (result->n_rounds, ==, g_settings_get_int (settings, "rounds"));
  g_assert_cmpuint (result->seed, ==, g_settings_get_int (settings, "seed"));
  g_assert_cmpuint (result->n_epochs, ==, 3);
  g_assert_cmpuint (result->n_perturbations, ==, 3);
  g_assert_cmpstr (result->labels[2], ==, "c10c:contrast-2");
  for (guint e = 0; e < result->n_epochs; e++)
    {
      g_assert_cmpint (result->epochs[e].epoch, ==, (int) e);
      for (guint p = 0; p < result->n_perturbations; p++)
        {
          const CtRobustnessRow *row = ct_robustness_get_row (result, e, p);

          g_assert_cmpint (row->epoch, ==, (int) e);
          g_assert_cmpuint (row->perturbation, ==, p);
          g_assert_cmpuint (row->n_samples, ==, 16 * result->n_rounds);
        }
    }
  g_assert_cmpint (ct_robustness_view_get_chart (view), ==, CT_ROBUSTNESS_CHART_CONFIDENCE_DROP);

  /* The chart is on screen, with its title and axes. */
  pixels = render_window (&window_width, &window_height, &stride);
  save_rendering ("window-robustness.png", pixels, window_width, window_height, stride);
  g_assert_true (gtk_widget_compute_bounds (GTK_WIDGET (view), GTK_WIDGET (window), &bounds));
  g_assert_cmpuint (dark_pixels (pixels, stride, &bounds), >, 500);

  /* A click a few pixels off the last epoch's noise point. */
  width = gtk_widget_get_width (GTK_WIDGET (view));
  height = gtk_widget_get_height (GTK_WIDGET (view));
  g_assert_cmpint (width, >, 0);
  points = ct_robustness_chart_dup_points (result, CT_ROBUSTNESS_CHART_CONFIDENCE_DROP, width, height);
  for (guint i = 0; i < points->len; i++)
    {
      const CtRobustnessPoint *point = &g_array_index (points, CtRobustnessPoint, i);

      if (point->epoch_index == 2 && point->perturbation == 0)
        click = point;
    }
  g_assert_nonnull (click);
  mark = GRAPHENE_RECT_INIT (bounds.origin.x + click->x - 9, bounds.origin.y + click->y - 9, 18, 18);
  dark_before = dark_pixels (pixels, stride, &mark);
  g_assert_false (ct_robustness_view_get_applied_point (view, &epoch_index, &perturbation));
  handler = g_signal_connect (view, "point-activated", G_CALLBACK (point_activated_cb), &activated);
  g_assert_false (ct_robustness_view_activate_at (view, 2, 2));
  g_assert_true (ct_robustness_view_activate_at (view, click->x + 3, click->y - 2));
  g_assert_cmpuint (activated.n_activated, ==, 1);
  g_assert_cmpuint (activated.epoch_index, ==, 2);
  wait_for_grid ();

  /* The point applied stays marked: a dark ring around it. */
  g_assert_true (ct_robustness_view_get_applied_point (view, &epoch_index, &perturbation));
  g_assert_cmpuint (epoch_index, ==, 2);
  g_assert_cmpint (perturbation, ==, activated.perturbation);
  if (activated.perturbation == 0)
    {
      g_autofree guint8 *marked = render_window (&window_width, &window_height, &stride);

      g_assert_cmpuint (dark_pixels (marked, stride, &mark), >, dark_before + 40);
    }


  /* Another line may pass through the same spot: the window follows the
   * point that was activated. */
  /* Rows "0" plus the point's epoch; the activation's setting changes and
   * its new rows reach the engine as more than one request. */
  wait_for (grid_has_rows, GUINT_TO_POINTER (2));
  assert_grid_opened (result, 2);
  grid = ct_grid_view_get_grid (ct_window_get_grid_view (window));
  if (activated.perturbation == 0)
    {
      g_assert_cmpfloat (g_settings_get_double (settings, "noise-sigma"), ==, 0.1);
      g_assert_cmpfloat (g_settings_get_double (settings, "rotation"), ==, 0.0);
      g_assert_cmpint (g_settings_get_int (settings, "occlude-pixels"), ==, 0);
      g_assert_nonnull (strstr (grid->perturbation, "noise σ=0.10"));
    }

  /* The random rotation's point sets the rotation controls. */
  g_signal_emit_by_name (view, "point-activated", 1u, 1);
  wait_for_grid ();
  assert_grid_opened (result, 1);
  g_assert_cmpfloat (g_settings_get_double (settings, "noise-sigma"), ==, 0.0);
  g_assert_cmpfloat (g_settings_get_double (settings, "rotation"), ==, 30.0);
  g_assert_true (g_settings_get_boolean (settings, "rotation-random"));

  /* The note over the grid says what the point applied, and Undo puts back
   * the grid of the point before (noise σ 0.1, no rotation). */
  point_note = GTK_REVEALER (find_by_id (GTK_WIDGET (window), "note_revealer"));
  g_assert_true (gtk_revealer_get_reveal_child (point_note));
  g_assert_nonnull (strstr (gtk_label_get_text (GTK_LABEL (find_by_id (GTK_WIDGET (window), "note_label"))),
                            result->labels[1]));
  activate ("win.undo-point", NULL);
  g_assert_false (gtk_revealer_get_reveal_child (point_note));
  /* What is shown is no longer the point's: its mark goes. */
  g_assert_false (ct_robustness_view_get_applied_point (view, &epoch_index, &perturbation));
  g_assert_cmpfloat (g_settings_get_double (settings, "noise-sigma"), ==, 0.1);
  g_assert_cmpfloat (g_settings_get_double (settings, "rotation"), ==, 0.0);
  g_assert_false (g_settings_get_boolean (settings, "rotation-random"));
  g_assert_false (action_usable ("win.undo-point"));
  g_signal_emit_by_name (view, "point-activated", 1u, 1);
  wait_for_grid ();

  /* The grid has no control for a corruption: the status line says so
   * and the sliders stay. */
  g_signal_emit_by_name (view, "point-activated", 0u, 2);
  wait_for_grid ();
  assert_grid_opened (result, 0);
  g_assert_cmpfloat (g_settings_get_double (settings, "rotation"), ==, 30.0);
  g_test_message ("%s", gtk_label_get_text (status));
  g_assert_nonnull (strstr (gtk_label_get_text (status), "c10c:contrast-2"));
  g_signal_handler_disconnect (view, handler);

  activate ("win.reset-perturbation", NULL);
  g_assert_null (strstr (gtk_label_get_text (status), "c10c:contrast-2"));

  /* By keyboard: the chart takes focus on the point applied last (epoch 0
   * of the corruption), Right and Left move along its line, Enter opens
   * the point as a click does, Up moves to another line at that epoch. */
  handler = g_signal_connect (view, "point-activated", G_CALLBACK (point_activated_cb), &activated);
  activated.n_activated = 0;
  g_assert_true (gtk_widget_get_focusable (GTK_WIDGET (view)));
  g_assert_true (gtk_widget_grab_focus (GTK_WIDGET (view)));
  g_assert_true (ct_robustness_view_get_focus_point (view, &epoch_index, &perturbation));
  g_assert_cmpuint (epoch_index, ==, 0);
  g_assert_cmpint (perturbation, ==, 2);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (view), "chart.move-focus", "(ii)", 0, 9));
  g_assert_true (ct_robustness_view_get_focus_point (view, &epoch_index, &perturbation));
  g_assert_cmpuint (epoch_index, ==, 2);
  g_assert_cmpint (perturbation, ==, 2);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (view), "chart.move-focus", "(ii)", 0, -1));
  g_assert_true (ct_robustness_view_get_focus_point (view, &epoch_index, &perturbation));
  g_assert_cmpuint (epoch_index, ==, 1);
  g_assert_cmpint (perturbation, ==, 2);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (view), "chart.activate-focus", NULL));
  g_assert_cmpuint (activated.n_activated, ==, 1);
  g_assert_cmpuint (activated.epoch_index, ==, 1);
  g_assert_cmpint (activated.perturbation, ==, 2);
  g_assert_true (ct_robustness_view_get_applied_point (view, &epoch_index, &perturbation));
  g_assert_cmpuint (epoch_index, ==, 1);
  g_assert_cmpint (perturbation, ==, 2);
  wait_for_grid ();
  assert_grid_opened (result, 1);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (view), "chart.move-focus", "(ii)", -1, 0));
  g_assert_true (ct_robustness_view_get_focus_point (view, &epoch_index, &perturbation));
  g_assert_cmpuint (epoch_index, ==, 1);
  g_assert_cmpint (perturbation, ==, 1);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (view), "chart.activate-focus", NULL));
  g_assert_cmpuint (activated.n_activated, ==, 2);
  wait_for_grid ();
  g_assert_cmpfloat (g_settings_get_double (settings, "rotation"), ==, 30.0);
  g_assert_true (g_settings_get_boolean (settings, "rotation-random"));
  g_signal_handler_disconnect (view, handler);
  activate ("win.reset-perturbation", NULL);
}

static gboolean
initial_checkpoint_written (gpointer data)
{
  g_autofree char *path = g_build_filename (data, "epoch-001.safetensors", NULL);

  return g_file_test (path, G_FILE_TEST_IS_REGULAR);
}

typedef struct {
  int width;
  int height;
} Size;

/* The window's widget at @data, a size in the window's own terms (without
 * the frame that GTK draws around it here), with its grid drawn. */
static gboolean
window_has_size (gpointer data)
{
  const Size *size = data;

  return gtk_widget_get_width (GTK_WIDGET (window)) == size->width &&
         gtk_widget_get_height (GTK_WIDGET (window)) == size->height && window_idle (window);
}

/* The side of the cells drawn now, and whether the whole figure (every
 * cell, caption and the colour bar) lies inside the grid's scrolled area. */
static int
drawn_cell_size (gboolean *out_all_visible)
{
  CtGridView *view = ct_window_get_grid_view (window);
  GtkWidget *scrolled = gtk_widget_get_ancestor (GTK_WIDGET (view), GTK_TYPE_SCROLLED_WINDOW);
  CtGrid *grid = ct_grid_view_get_grid (view);
  CtFigureStyle style;
  int area_width = gtk_widget_get_width (scrolled);
  int area_height = gtk_widget_get_height (scrolled);
  graphene_rect_t rect;
  graphene_point_t origin;
  int figure_width, figure_height, x, y, size, caption;
  double area_x, area_y;
  gboolean visible;

  /* The scrolled area must itself be inside the window, not pushed past
   * its edge by something too wide beside or below it. */
  g_assert_true (gtk_widget_compute_point (scrolled, GTK_WIDGET (window), &GRAPHENE_POINT_INIT (0, 0),
                                           &origin));
  area_x = origin.x;
  area_y = origin.y;
  visible = origin.x >= 0 && origin.y >= 0 &&
            origin.x + area_width <= gtk_widget_get_width (GTK_WIDGET (window)) &&
            origin.y + area_height <= gtk_widget_get_height (GTK_WIDGET (window));
  ct_grid_view_get_drawn_style (view, &style);
  for (guint row = 0; row < grid->n_rows; row++)
    for (guint image = 0; image < grid->n_images; image++)
      {
        g_assert_true (ct_grid_view_get_cell_rect (view, row, image, 0, &rect));
        ct_figure_get_cell_rect (grid, &style, row, image, 0, &x, &y, &size, &caption);
        g_assert_true (gtk_widget_compute_point (GTK_WIDGET (view), scrolled, &rect.origin, &origin));
        visible = visible && origin.x >= 0 && origin.y >= 0 &&
                  origin.x + rect.size.width <= area_width &&
                  origin.y + rect.size.height + caption <= area_height;
      }
  ct_figure_get_size (grid, &style, &figure_width, &figure_height);
  g_assert_true (gtk_widget_compute_point (GTK_WIDGET (view), scrolled, &GRAPHENE_POINT_INIT (0, 0),
                                           &origin));
  visible = visible && origin.x + figure_width <= area_width && origin.y + figure_height <= area_height;
  g_test_message ("window %d×%d, grid area %d×%d at (%g, %g) in it, cells of %d, figure %d×%d",
                  gtk_widget_get_width (GTK_WIDGET (window)), gtk_widget_get_height (GTK_WIDGET (window)),
                  area_width, area_height, area_x, area_y, style.cell_size, figure_width, figure_height);
  *out_all_visible = visible;
  return style.cell_size;
}

/* Best fit: at the default 1200×800 and at 800×600, every cell of five
 * checkpoints × eight images, and the colour bar, are in sight; Ctrl+plus
 * grows the cells past it (scrolling) and Ctrl+0 fits again. */
static void
test_window_grid_fits (void)
{
  g_autofree char *five_dir = g_build_filename (tmpdir, "five", NULL);
  static const Size sizes[] = { { 1200, 800 }, { 800, 600 } };
  int default_width, default_height, frame_width, frame_height;
  CtGrid *grid;
  gboolean visible;
  int fitted, zoomed;

  ct_test_train_tiny (data_dir, five_dir, 4);
  activate ("win.open-run", g_variant_new_string (five_dir));
  wait_for (run_open, five_dir);
  activate ("win.set-epochs", g_variant_new_string ("all"));
  activate ("win.set-images", g_variant_new_string ("0, 1, 2, 3, 4, 5, 6, 7"));
  grid = ct_grid_view_get_grid (ct_window_get_grid_view (window));
  g_assert_cmpuint (grid->n_rows, ==, 5);
  g_assert_cmpuint (grid->n_images, ==, 8);

  /* A default size includes the frame (client-side decorations) around the widget. */
  gtk_window_get_default_size (GTK_WINDOW (window), &default_width, &default_height);
  frame_width = default_width - gtk_widget_get_width (GTK_WIDGET (window));
  frame_height = default_height - gtk_widget_get_height (GTK_WIDGET (window));
  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      Size inside = { sizes[i].width - frame_width, sizes[i].height - frame_height };

      gtk_window_set_default_size (GTK_WINDOW (window), sizes[i].width, sizes[i].height);
      wait_for (window_has_size, &inside);
      g_free (render_window (&(int) { 0 }, &(int) { 0 }, &(gsize) { 0 }));
      fitted = drawn_cell_size (&visible);
      g_assert_true (visible);
      g_assert_cmpint (fitted, >, 1);
    }

  activate ("win.zoom-in", NULL);
  g_free (render_window (&(int) { 0 }, &(int) { 0 }, &(gsize) { 0 }));
  zoomed = drawn_cell_size (&visible);
  g_assert_cmpint (zoomed, >, fitted);
  g_assert_false (visible);
  activate ("win.zoom-fit", NULL);
  g_free (render_window (&(int) { 0 }, &(int) { 0 }, &(gsize) { 0 }));
  g_assert_cmpint (drawn_cell_size (&visible), ==, fitted);
  g_assert_true (visible);

  gtk_window_set_default_size (GTK_WINDOW (window), default_width, default_height);
  wait_for (window_has_size, &(Size) { default_width - frame_width, default_height - frame_height });
  activate ("win.open-run", g_variant_new_string (run_dir));
  wait_for (run_open, run_dir);
}

/* The sum of the red, green and blue of the window's pixel (@x, @y). */
static guint
pixel_sum (const guint8 *pixels,
           gsize         stride,
           double        x,
           double        y)
{
  const guint8 *pixel = pixels + (gsize) y * stride + 4 * (gsize) x;

  return pixel[0] + pixel[1] + pixel[2];
}

static gboolean
window_is_dark (gpointer data)
{
  return ct_style_is_dark (GTK_WIDGET (window)) == GPOINTER_TO_INT (data);
}

/* Shows the page of the stack that holds @widget. */
static void
show_page_of (GtkWidget *widget)
{
  GtkWidget *child = widget;
  GtkWidget *parent;

  while ((parent = gtk_widget_get_parent (child)) != NULL && !GTK_IS_STACK (parent))
    child = parent;
  g_assert_nonnull (parent);
  gtk_stack_set_visible_child (GTK_STACK (parent), child);
}

/* The dark style (GTK's prefer-dark here; libadwaita's style manager
 * changes the same text colour) turns the grid's and the chart's
 * backgrounds dark on screen, and back; an export stays light. */
static void
test_window_dark_style (void)
{
  GtkSettings *settings = gtk_settings_get_default ();
  GtkWidget *chart_view = GTK_WIDGET (ct_window_get_chart_view (window));
  g_autofree char *png = g_build_filename (tmpdir, "dark-export.png", NULL);
  g_autoptr(GError) error = NULL;
  g_autofree guint8 *rgba = NULL;
  graphene_rect_t first, chart_bounds;
  double caption, grid_x, grid_y, chart_x, chart_y;
  guint grid_sum, chart_sum;
  int width, height;
  guint png_width, png_height;
  gsize stride;

  show_page_of (chart_view);
  for (int dark = 0; dark <= 1; dark++)
    {
      g_autofree guint8 *pixels = NULL;

      g_object_set (settings, "gtk-application-prefer-dark-theme", dark, NULL);
      wait_for (window_is_dark, GINT_TO_POINTER (dark));
      pixels = render_window (&width, &height, &stride);
      save_rendering (dark ? "window-dark.png" : "window-light.png", pixels, width, height, stride);
      /* Between the first two rows, under the first cell's caption, and in
       * the chart's left margin halfway down: background alone. */
      cell_in_window (0, 0, &first, &caption);
      g_assert_true (gtk_widget_compute_bounds (chart_view, GTK_WIDGET (window), &chart_bounds));
      grid_x = first.origin.x + first.size.width / 2;
      grid_y = first.origin.y + first.size.height + caption + 4;
      chart_x = chart_bounds.origin.x + 3;
      chart_y = chart_bounds.origin.y + chart_bounds.size.height / 2;
      grid_sum = pixel_sum (pixels, stride, grid_x, grid_y);
      chart_sum = pixel_sum (pixels, stride, chart_x, chart_y);
      g_test_message ("dark %d: grid (%g, %g) %u, chart (%g, %g) %u", dark, grid_x, grid_y,
                      grid_sum, chart_x, chart_y, chart_sum);
      if (dark)
        {
          g_assert_cmpuint (grid_sum, <, 3 * 80);
          g_assert_cmpuint (chart_sum, <, 3 * 80);
        }
      else
        {
          g_assert_cmpuint (grid_sum, >, 3 * 240);
          g_assert_cmpuint (chart_sum, >, 3 * 240);
        }
    }

  activate ("win.export-to", g_variant_new_string (png));
  rgba = ct_png_read_rgba (png, &png_width, &png_height, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (rgba[0] + rgba[1] + rgba[2], ==, 3 * 255);

  g_object_set (settings, "gtk-application-prefer-dark-theme", FALSE, NULL);
  wait_for (window_is_dark, GINT_TO_POINTER (FALSE));
}


/* Methods (issue 15) ------------------------------------------------------ */

/* `camtrail-cli cam` on the test run, epochs 0–2, with @method and
 * @images, its heatmaps read back ([epochs, images, rounds, H, W]). */
static float *
cli_heatmaps (const char *method,
              const char *images,
              guint       shape[5])
{
  g_autofree char *png = g_build_filename (tmpdir, "methods-cli.png", NULL);
  g_autofree char *npy = g_build_filename (tmpdir, "methods-cli.npy", NULL);
  const char *cli = g_getenv ("CAMTRAIL_CLI");
  g_auto(CtTestResult) result = { 0 };
  gsize n;

  g_assert_nonnull (cli);  /* tests/meson.build sets it to the built camtrail-cli */
  ct_test_run (&result, (const char *const[]) { cli, "cam", "--run", run_dir, "--epochs", "0,1,2",
                                                "--images", images, "--method", method,
                                                "--threads", "2", "--out", png, "--npy", npy,
                                                NULL },
               NULL, 0);
  g_assert_cmpint (result.status, ==, 0);
  return ct_test_read_npy (npy, shape, &n);
}

/* The largest |difference| between the grid's heatmaps and @maps (the
 * CLI's, [rows, images, 1, H, W]). */
static double
grid_distance (CtGrid      *grid,
               const float *maps)
{
  gsize plane = (gsize) grid->height * grid->width;
  double worst = 0;

  for (guint row = 0; row < grid->n_rows; row++)
    for (guint image = 0; image < grid->n_images; image++)
      {
        const float *map = ct_grid_get_cell (grid, row, image, 0)->heatmap;
        const float *expected = maps + ((gsize) row * grid->n_images + image) * plane;

        for (gsize i = 0; i < plane; i++)
          worst = MAX (worst, fabs ((double) map[i] - expected[i]));
      }
  return worst;
}

static void
clean_grid_of_four (void)
{
  activate ("win.reset-perturbation", NULL);
  activate ("win.normalisation", g_variant_new_string ("image"));
  activate ("win.target-rule", g_variant_new_string ("predicted"));
  activate ("win.set-epochs", g_variant_new_string ("0, 1, 2"));
  activate ("win.set-images", g_variant_new_string ("0, 1, 2, 3"));
}

/* The method dropdown: each method's grid is `camtrail-cli cam --method`'s
 * on the same run (and not Grad-CAM's), the choice is saved, shown, and
 * written into an export's provenance as the CLI writes it. */
static void
test_window_method (void)
{
  static const char *const methods[] = { "gradcam++", "layercam", "scorecam" };
  GtkDropDown *dropdown = GTK_DROP_DOWN (find_by_id (GTK_WIDGET (window), "method_dropdown"));
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  g_autofree char *png = g_build_filename (tmpdir, "method-export.png", NULL);
  g_autofree char *cli_png = g_build_filename (tmpdir, "methods-cli.png", NULL);
  g_autoptr(GHashTable) text = NULL;
  g_autoptr(GHashTable) cli_text = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree float *gradcam = NULL;
  guint shape[5], width, height;
  CtGrid *grid;

  clean_grid_of_four ();
  activate ("win.method", g_variant_new_string ("gradcam"));
  gradcam = cli_heatmaps ("gradcam", "0,1,2,3", shape);
  grid = ct_grid_view_get_grid (ct_window_get_grid_view (window));
  g_assert_cmpstr (grid->method, ==, "gradcam");
  g_assert_cmpfloat (grid_distance (grid, gradcam), <, 1e-5);

  for (guint i = 0; i < G_N_ELEMENTS (methods); i++)
    {
      g_autofree float *expected = cli_heatmaps (methods[i], "0,1,2,3", shape);
      CtCamMethod method;

      /* Chosen in the dropdown, as a user does. */
      g_assert_true (ct_cam_method_from_string (methods[i], &method));
      gtk_drop_down_set_selected (dropdown, method);
      for (int k = 0; k < 5; k++)
        g_main_context_iteration (NULL, FALSE);
      /* Score-CAM's passes reach the status line while it runs (said, not
       * asserted: a fast machine may finish a row between two polls). */
      {
        GtkLabel *status = GTK_LABEL (find_by_id (GTK_WIDGET (window), "status_label"));
        gboolean passes_shown = FALSE;
        CtTestWait wait;

        ct_test_wait_begin (&wait, "the window idle after a method change", __FILE__, __LINE__);
        while (!window_idle (window))
          {
            ct_test_wait_iterate (&wait);
            passes_shown |= strstr (gtk_label_get_text (status), "forward passes") != NULL;
          }
        ct_test_wait_end (&wait);
        g_test_message ("%s: forward passes shown while computing: %s", methods[i],
                        passes_shown ? "yes" : "no");
      }
      wait_for (window_idle, window);
      grid = ct_grid_view_get_grid (ct_window_get_grid_view (window));
      g_assert_cmpstr (grid->method, ==, methods[i]);
      g_assert_cmpuint (grid->n_rows * grid->n_images, ==, shape[0] * shape[1]);
      g_test_message ("%s: window vs CLI %g, vs Grad-CAM %g", methods[i],
                      grid_distance (grid, expected), grid_distance (grid, gradcam));
      g_assert_cmpfloat (grid_distance (grid, expected), <, 1e-5);
      g_assert_cmpfloat (grid_distance (grid, gradcam), >, 1e-2);
      {
        g_autofree char *saved = g_settings_get_string (settings, "method");

        g_assert_cmpstr (saved, ==, methods[i]);
      }
      g_assert_nonnull (strstr (gtk_label_get_text (GTK_LABEL (find_by_id (GTK_WIDGET (window),
                                                                             "status_label"))),
                                ct_cam_method_get_info (method)->title));
    }

  /* The export's provenance is the CLI's, method included. */
  activate ("win.export-to", g_variant_new_string (png));
  g_free (ct_png_read_rgba (png, &width, &height, &text, &error));
  g_assert_no_error (error);
  g_free (ct_png_read_rgba (cli_png, &width, &height, &cli_text, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (g_hash_table_lookup (text, "camtrail:method"), ==, "scorecam");
  g_assert_cmpstr (g_hash_table_lookup (text, "camtrail:method"), ==,
                   g_hash_table_lookup (cli_text, "camtrail:method"));

  activate ("win.method", g_variant_new_string ("gradcam"));
}

/* The check button of @name in the compare popover. */
static GtkCheckButton *
compare_check (const char *name)
{
  GtkMenuButton *button = GTK_MENU_BUTTON (find_by_id (GTK_WIDGET (window), "compare_menu_button"));
  GtkWidget *box = gtk_popover_get_child (gtk_menu_button_get_popover (button));

  for (GtkWidget *child = gtk_widget_get_first_child (box); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if (GTK_IS_CHECK_BUTTON (child) && g_str_equal (gtk_widget_get_name (child), name))
      return GTK_CHECK_BUTTON (child);
  g_assert_not_reached ();
}

/* Pixels of the figure's cell (@row, @column) sampled at the middle of
 * each heatmap pixel (side @side image pixels), from a rendering whose
 * cell square is @rect: the nearest-neighbour upscaled image gives each
 * the colour of one image pixel whatever the cell's size. */
static void
sample_cell (const guint8          *pixels,
             gsize                  stride,
             gboolean               bgra,
             const graphene_rect_t *rect,
             guint                  side,
             guint8                *out_rgb)
{
  for (guint y = 0; y < side; y++)
    for (guint x = 0; x < side; x++)
      {
        const guint8 *p = pixels + (gsize) (rect->origin.y + (y + 0.5) * rect->size.height / side) * stride
                          + 4 * (gsize) (rect->origin.x + (x + 0.5) * rect->size.width / side);
        guint8 *out = out_rgb + 3 * (y * side + x);

        /* GDK_MEMORY_DEFAULT is B, G, R, A on little-endian machines. */
        out[0] = bgra ? p[2] : p[0];
        out[1] = p[1];
        out[2] = bgra ? p[0] : p[2];
      }
}

static guint
max_rgb_difference (const guint8 *a,
                    const guint8 *b,
                    gsize         n)
{
  guint worst = 0;

  for (gsize i = 0; i < n; i++)
    worst = MAX (worst, (guint) abs ((int) a[i] - (int) b[i]));
  return worst;
}

/* Compare Methods (Ctrl+M): the focused cell's image, one column per
 * chosen method, each column the CLI's heatmaps for that method; drawn on
 * screen and exported as the same pixels; the popover's checks choose the
 * columns; Ctrl+M again goes back to the grid. */
static void
test_window_compare_methods (void)
{
  static const char *const defaults[] = {
    "gradcam", "hirescam", "gradcam++", "xgradcam", "layercam", "eigencam", NULL
  };
  const guint n_defaults = G_N_ELEMENTS (defaults) - 1;
  CtGridView *view = ct_window_get_grid_view (window);
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  g_autofree char *png = g_build_filename (tmpdir, "compare-export.png", NULL);
  g_autofree char *joined = g_strjoinv (",", (char **) defaults);
  g_autofree float *expected = NULL;
  g_autofree guint8 *screen = NULL;
  g_autofree guint8 *exported = NULL;
  g_autoptr(GHashTable) text = NULL;
  g_autoptr(GError) error = NULL;
  CtFigureStyle style;
  guint shape[5], png_width, png_height;
  int width, height;
  gsize stride;
  CtGrid *grid;
  guint8 *screen_rgb, *export_rgb, *first_rgb;
  guint differing = 0;

  clean_grid_of_four ();
  /* The keyboard on image 2 (the third column), from the first. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (view), "grid.move-focus", "(ii)", -10, -10));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (view), "grid.move-focus", "(ii)", 0, 2));
  activate ("win.compare-methods", NULL);

  grid = ct_grid_view_get_grid (view);
  g_assert_nonnull (grid->column_methods);
  g_assert_cmpuint (grid->n_rows, ==, 3);
  g_assert_cmpuint (grid->n_images, ==, n_defaults);
  for (guint m = 0; m < n_defaults; m++)
    {
      g_assert_cmpstr (grid->column_methods[m], ==, defaults[m]);
      g_assert_cmpuint (grid->image_indices[m], ==, 2);
    }
  g_assert_cmpstr (grid->method, ==, joined);
  /* [epochs, images × methods, …]: the CLI's comparison of the same image. */
  expected = cli_heatmaps (joined, "2", shape);
  g_assert_cmpuint (shape[1], ==, n_defaults);
  g_assert_cmpfloat (grid_distance (grid, expected), <, 1e-5);
  g_assert_nonnull (strstr (gtk_label_get_text (GTK_LABEL (find_by_id (GTK_WIDGET (window), "status_label"))),
                            "methods compared for image 2"));

  /* On screen and exported (at scale 1, the screen's cell size): the same
   * colour in every heatmap pixel of every cell, and the columns differ. */
  g_free (render_window (&width, &height, &stride));
  {
    /* The grid view alone, at its own size: the window's texture scales
     * the whole window, frame included, into its size. */
    g_autoptr(GdkTexture) texture = ct_test_render_widget (GTK_WIDGET (view));

    width = gdk_texture_get_width (texture);
    height = gdk_texture_get_height (texture);
    stride = (gsize) width * 4;
    screen = g_malloc (stride * height);
    gdk_texture_download (texture, screen, stride);
    save_rendering ("grid-compare.png", screen, width, height, stride);
  }
  g_settings_set_double (settings, "export-scale", 1.0);
  activate ("win.export-to", g_variant_new_string (png));
  g_settings_reset (settings, "export-scale");
  exported = ct_png_read_rgba (png, &png_width, &png_height, &text, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (g_hash_table_lookup (text, "camtrail:method"), ==, joined);
  g_assert_cmpstr (g_hash_table_lookup (text, "camtrail:images"), ==, "2,2,2,2,2,2");
  style = *ct_grid_view_get_style (view);
  screen_rgb = g_new (guint8, 3 * grid->height * grid->width);
  export_rgb = g_new (guint8, 3 * grid->height * grid->width);
  first_rgb = g_new (guint8, 3 * grid->height * grid->width);
  for (guint row = 0; row < grid->n_rows; row++)
    for (guint column = 0; column < grid->n_images; column++)
      {
        graphene_rect_t on_screen, in_file;
        int x, y, size, caption_height;

        g_assert_true (ct_grid_view_get_cell_rect (view, row, column, 0, &on_screen));
        ct_figure_get_cell_rect (grid, &style, row, column, 0, &x, &y, &size, &caption_height);
        graphene_rect_init (&in_file, x, y, size, size);
        sample_cell (screen, stride, G_BYTE_ORDER == G_LITTLE_ENDIAN, &on_screen, grid->width,
                     screen_rgb);
        sample_cell (exported, 4 * (gsize) png_width, FALSE, &in_file, grid->width, export_rgb);
        g_assert_cmpuint (max_rgb_difference (screen_rgb, export_rgb, 3 * grid->height * grid->width),
                          <=, 2);
        if (column == 0)
          memcpy (first_rgb, export_rgb, 3 * grid->height * grid->width);
        else
          differing += max_rgb_difference (first_rgb, export_rgb, 3 * grid->height * grid->width) > 16;
      }
  g_free (screen_rgb);
  g_free (export_rgb);
  g_free (first_rgb);
  g_test_message ("%u of %u cells differ from their row's Grad-CAM", differing,
                  grid->n_rows * (grid->n_images - 1));
  g_assert_cmpuint (differing, >=, grid->n_rows * (grid->n_images - 1) / 2);

  /* The popover's checks are the columns, in the table's order. */
  gtk_check_button_set_active (compare_check ("eigencam"), FALSE);
  gtk_check_button_set_active (compare_check ("ablationcam"), TRUE);
  for (int k = 0; k < 5; k++)
    g_main_context_iteration (NULL, FALSE);
  wait_for (window_idle, window);
  {
    g_auto(GStrv) saved = g_settings_get_strv (settings, "compare-methods");
    g_autofree char *saved_text = g_strjoinv (",", saved);

    g_assert_cmpstr (saved_text, ==, "gradcam,hirescam,gradcam++,xgradcam,layercam,ablationcam");
  }
  grid = ct_grid_view_get_grid (view);
  g_assert_cmpuint (grid->n_images, ==, 6);
  g_assert_cmpstr (grid->column_methods[5], ==, "ablationcam");
  g_settings_reset (settings, "compare-methods");

  /* The grid's perturbation controls perturb the comparison too. */
  activate ("win.noise-sigma", g_variant_new_double (0.2));
  grid = ct_grid_view_get_grid (view);
  g_assert_nonnull (grid->column_methods);
  g_assert_cmpuint (grid->n_images, ==, n_defaults);
  g_assert_nonnull (strstr (grid->perturbation, "noise σ=0.20"));
  g_assert_true (isfinite (ct_grid_get_cell (grid, 2, 3, 0)->confidence_drop));
  activate ("win.reset-perturbation", NULL);

  /* Ctrl+M again: the grid of four images. */
  activate ("win.compare-methods", NULL);
  grid = ct_grid_view_get_grid (view);
  g_assert_null (grid->column_methods);
  g_assert_cmpuint (grid->n_images, ==, 4);
  g_assert_cmpstr (grid->method, ==, "gradcam");
}

/* The first button under @root labelled @label (mnemonic as written). */
static GtkWidget *
find_by_label (GtkWidget  *root,
               const char *label)
{
  if (GTK_IS_BUTTON (root) && g_strcmp0 (gtk_button_get_label (GTK_BUTTON (root)), label) == 0)
    return root;
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_by_label (child, label);

      if (found != NULL)
        return found;
    }
  return NULL;
}

/* A cell dialog's Compare Methods compares that cell's image. */
static void
test_window_cell_dialog_compare (void)
{
  CtGridView *view = ct_window_get_grid_view (window);
  CtGrid *grid;
  g_autofree char *title = NULL;
  GtkWidget *button = NULL;
  GListModel *toplevels;

  clean_grid_of_four ();
  grid = ct_grid_view_get_grid (view);
  title = g_strdup_printf ("Image %u (%s) at epoch %d", grid->image_indices[3],
                           grid->classes[grid->labels[3]], grid->epochs[1]);
  g_signal_emit_by_name (view, "cell-activated", 1u, 3u, 0u);
  wait_for (cell_dialog_shown, title);
  toplevels = gtk_window_get_toplevels ();
  for (guint i = 0; i < g_list_model_get_n_items (toplevels) && button == NULL; i++)
    {
      g_autoptr(GtkWindow) toplevel = g_list_model_get_item (toplevels, i);

      if (g_strcmp0 (gtk_window_get_title (toplevel), title) == 0)
        button = find_by_label (GTK_WIDGET (toplevel), "C_ompare Methods");
    }
  g_assert_nonnull (button);
  g_signal_emit_by_name (button, "clicked");
  for (int k = 0; k < 5; k++)
    g_main_context_iteration (NULL, FALSE);
  wait_for (window_idle, window);
  grid = ct_grid_view_get_grid (view);
  g_assert_nonnull (grid->column_methods);
  g_assert_cmpuint (grid->image_indices[0], ==, 3);
  activate ("win.compare-methods", NULL);
  g_assert_null (ct_grid_view_get_grid (view)->column_methods);
}

/* `camtrail-cli cam --method` refuses a repeated or unknown name in a list
 * with one line, writing nothing. */
static void
test_window_cli_method_list_errors (void)
{
  static const char *const bad[] = { "gradcam,gradcam", "gradcam,nope", "gradcam," };
  g_autofree char *png = g_build_filename (tmpdir, "refused.png", NULL);

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_auto(CtTestResult) result = { 0 };

      ct_test_run (&result, (const char *const[]) { g_getenv ("CAMTRAIL_CLI"), "cam", "--run", run_dir,
                                                    "--images", "0", "--method", bad[i],
                                                    "--out", png, NULL },
                   NULL, 0);
      g_assert_cmpint (result.status, ==, 2);
      g_assert_nonnull (strstr (result.err, "--method"));
      g_assert_cmpuint (strchr (result.err, '\n') - result.err + 1, ==, strlen (result.err));
      g_assert_false (g_file_test (png, G_FILE_TEST_EXISTS));
    }
}

static void
refreshed_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(CtRunInfo) info = ct_engine_refresh_run_finish (CT_ENGINE (source), result, NULL);
  gboolean *refreshed = user_data;

  g_assert_nonnull (info);
  *refreshed = TRUE;
}

/* Epochs typed while another run opens: the grid request they make is the
 * old run's, and its rows must not reach the view the new run cleared (they
 * did, past its end: a CRITICAL in ct_grid_view_add_rows()).  The opening's
 * completion is held in a context of its own until the worker has posted
 * those rows, which is the order that went wrong. */
static void
test_window_epochs_typed_while_opening (void)
{
  g_autofree char *other_dir = g_build_filename (tmpdir, "run-copy", NULL);
  g_autoptr(GMainContext) opening = g_main_context_new ();
  g_autoptr(GMainContext) behind = g_main_context_new ();
  g_autoptr(GVariant) open_parameter = NULL;
  g_autoptr(GVariant) epochs_parameter = NULL;
  CtEngine *engine = ct_window_get_engine (window);
  gboolean refreshed = FALSE;
  CtGrid *grid;

  activate ("win.open-run", g_variant_new_string (run_dir));
  CT_TEST_WAIT_UNTIL (g_strcmp0 (ct_window_get_run_dir (window), run_dir) == 0);
  wait_for (window_idle, window);
  copy_run (run_dir, other_dir);

  /* Owned here, not floating: GTK 4.8 does not sink a widget-class
   * action's parameter (see activate()), and this case must not wait as
   * activate() does. */
  open_parameter = g_variant_ref_sink (g_variant_new_string (other_dir));
  epochs_parameter = g_variant_ref_sink (g_variant_new_string ("0, 1"));
  g_main_context_push_thread_default (opening);
  g_assert_true (gtk_widget_activate_action_variant (GTK_WIDGET (window), "win.open-run",
                                                     open_parameter));
  g_main_context_pop_thread_default (opening);

  /* Two rows typed for the open run, requested behind the opening. */
  g_assert_true (gtk_widget_activate_action_variant (GTK_WIDGET (window), "win.set-epochs",
                                                     epochs_parameter));
  CT_TEST_WAIT_UNTIL (ct_engine_is_busy (engine));

  /* A job queued behind that request: once it is done, the request's rows
   * are posted to the main context, not yet delivered. */
  g_main_context_push_thread_default (behind);
  ct_engine_refresh_run (engine, NULL, refreshed_cb, &refreshed);
  CT_TEST_WAIT_UNTIL (refreshed);
  g_main_context_pop_thread_default (behind);

  g_main_context_push_thread_default (opening);
  CT_TEST_WAIT_UNTIL (g_strcmp0 (ct_window_get_run_dir (window), other_dir) == 0);
  g_main_context_pop_thread_default (opening);

  /* The new run's default rows, 0, 1, 2, and none of the old request's. */
  wait_for (window_idle, window);
  grid = ct_grid_view_get_grid (ct_window_get_grid_view (window));
  g_assert_cmpuint (grid->n_rows, ==, 3);
  for (guint row = 0; row < 3; row++)
    g_assert_cmpint (grid->epochs[row], ==, (int) row);
  g_assert_cmpstr (grid->run_name, ==, "run-copy");

  /* Back to the test run: opening it leaves the window idle meanwhile. */
  activate ("win.open-run", g_variant_new_string (run_dir));
  CT_TEST_WAIT_UNTIL (g_strcmp0 (ct_window_get_run_dir (window), run_dir) == 0);
  wait_for (window_idle, window);
}

static void
test_window_close_while_training (void)
{
  g_autofree char *train_dir = g_build_filename (tmpdir, "training", NULL);
  g_autoptr(GArray) epochs = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GDir) dir = NULL;
  CtTrainOptions options;
  gboolean training;
  gint64 start;
  const char *name;

  /* The window's own objects must all be finalized once it is closed (a
   * reference cycle would keep them alive without LeakSanitizer, which
   * checks at exit, seeing anything unreachable). */
  gpointer watched[] = {
    ct_window_get_grid_view (window), ct_window_get_robustness_view (window),
    ct_window_get_engine (window), ct_window_get_session (window),
  };
  for (gsize i = 0; i < G_N_ELEMENTS (watched); i++)
    g_object_add_weak_pointer (watched[i], &watched[i]);

  ct_test_tiny_options (&options, data_dir, train_dir, 50);
  ct_window_train (window, &options, FALSE);
  g_object_get (window, "training", &training, NULL);
  g_assert_true (training);
  wait_for (initial_checkpoint_written, train_dir);

  /* Closing cancels the training between batches and joins the threads. */
  start = g_get_monotonic_time ();
  g_object_add_weak_pointer (G_OBJECT (window), (gpointer *) &window);
  gtk_window_destroy (GTK_WINDOW (window));
  while (window != NULL)
    g_main_context_iteration (NULL, FALSE);
  g_test_message ("closed in %.0f ms", (g_get_monotonic_time () - start) / 1000.0);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 30 * G_USEC_PER_SEC);

  for (int i = 0; i < 20; i++)
    g_main_context_iteration (NULL, FALSE);
  for (gsize i = 0; i < G_N_ELEMENTS (watched); i++)
    g_assert_null (watched[i]);

  /* Every checkpoint on disk is whole, and nothing half-written remains. */
  epochs = ct_run_list_checkpoints (train_dir, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (epochs->len, >=, 2);
  g_assert_cmpuint (epochs->len, <, 51);
  for (guint i = 0; i < epochs->len; i++)
    {
      g_autoptr(CtManifest) manifest = ct_manifest_load (train_dir, &error);
      g_autofree char *path = ct_run_dup_checkpoint_path (train_dir, g_array_index (epochs, int, i));
      CtModel *model;

      g_assert_no_error (error);
      model = ct_checkpoint_new_model (manifest, "cpu", &error);
      g_assert_no_error (error);
      g_assert_true (ct_checkpoint_load (model, path, manifest->arch, &error));
      g_assert_no_error (error);
      ct_model_free (model);
    }
  dir = g_dir_open (train_dir, 0, &error);
  g_assert_no_error (error);
  while ((name = g_dir_read_name (dir)) != NULL)
    g_assert_false (g_str_has_suffix (name, ".tmp"));
}

static gboolean
training_finished_on (gpointer data)
{
  gboolean training;

  g_object_get (window, "training", &training, NULL);
  return !training && run_open (data);
}

/* Train… offers every architecture the CLI knows and initial weights
 * (--init): a run trained from the dialog with the test run's last
 * checkpoint names it in its manifest, and its epoch 0 is that model (the
 * same test accuracy). */
static void
test_window_train_dialog_init (void)
{
  g_autofree char *home = ct_run_dup_home ();
  g_autofree char *trained = g_build_filename (home, "from-init", NULL);
  g_autofree char *init = ct_run_dup_checkpoint_path (run_dir, 2);
  g_autoptr(CtManifest) manifest = NULL;
  g_autoptr(GArray) before = NULL;
  g_autoptr(GArray) after = NULL;
  g_autoptr(GError) error = NULL;
  GListModel *toplevels = gtk_window_get_toplevels ();
  CtTrainDialog *dialog = NULL;
  GtkDropDown *archs;
  GListModel *arch_model;
  const char *const *known = ct_train_list_archs ();

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.train", NULL));
  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWindow) toplevel = g_list_model_get_item (toplevels, i);

      if (CT_IS_TRAIN_DIALOG (toplevel))
        dialog = CT_TRAIN_DIALOG (toplevel);
    }
  g_assert_nonnull (dialog);

  archs = GTK_DROP_DOWN (find_by_id (GTK_WIDGET (dialog), "arch_dropdown"));
  arch_model = gtk_drop_down_get_model (archs);
  g_assert_cmpuint (g_list_model_get_n_items (arch_model), ==, g_strv_length ((char **) known));
  for (guint i = 0; known[i] != NULL; i++)
    g_assert_cmpstr (gtk_string_list_get_string (GTK_STRING_LIST (arch_model), i), ==, known[i]);
  g_assert_true (g_strv_contains (known, "resnet18_imagenet"));
  g_assert_true (g_strv_contains (known, "resnet50"));

  gtk_drop_down_set_selected (archs, 0);  /* camtrail_net, as the test run */
  gtk_drop_down_set_selected (GTK_DROP_DOWN (find_by_id (GTK_WIDGET (dialog), "dataset_dropdown")), 1);
  ct_train_dialog_set_data_dir (dialog, data_dir);
  ct_train_dialog_set_init_file (dialog, init);
  gtk_editable_set_text (GTK_EDITABLE (find_by_id (GTK_WIDGET (dialog), "name_entry")), "from-init");
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (find_by_id (GTK_WIDGET (dialog), "epochs_spin")), 1);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (dialog), "dialog.start", NULL));
  wait_for (training_finished_on, trained);

  manifest = ct_manifest_load (trained, &error);
  g_assert_no_error (error);
  g_assert_nonnull (manifest->init);
  g_assert_cmpstr (manifest->init->file, ==, "epoch-002.safetensors");
  g_assert_cmpuint (strlen (manifest->init->sha256), ==, 64);
  before = ct_metrics_load (run_dir, &error);
  g_assert_no_error (error);
  after = ct_metrics_load (trained, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_array_index (after, CtEpochMetrics, 0).epoch, ==, 0);
  g_assert_cmpint (g_array_index (before, CtEpochMetrics, 2).epoch, ==, 2);
  g_assert_cmpfloat_with_epsilon (g_array_index (after, CtEpochMetrics, 0).test_accuracy,
                                  g_array_index (before, CtEpochMetrics, 2).test_accuracy, 1e-9);

  activate ("win.open-run", g_variant_new_string (run_dir));
  wait_for (run_open, run_dir);
}

/* ---- Open… on a folder of checkpoints (issue 14) ---------------------- */

static CtImportDialog *
find_import_dialog (void)
{
  return (CtImportDialog *) ct_test_find_toplevel (CT_TYPE_IMPORT_DIALOG, FALSE);
}

static gboolean
import_inferred (gpointer data)
{
  return ct_import_dialog_is_inferred (data);
}

/* The import has ended with a message in @data, or the dialog went (an
 * import that succeeded: the caller's next assertion fails). */
static gboolean
import_failed (gpointer data)
{
  if (find_import_dialog () != data)
    return TRUE;
  return !ct_engine_is_importing (ct_window_get_engine (window)) &&
         ct_import_dialog_get_error (data) != NULL;
}

/* The GtkEntry of the dialog whose placeholder is @placeholder. */
static GtkWidget *
find_entry (GtkWidget  *root,
            const char *placeholder)
{
  if (GTK_IS_ENTRY (root) &&
      g_strcmp0 (gtk_entry_get_placeholder_text (GTK_ENTRY (root)), placeholder) == 0)
    return root;
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_entry (child, placeholder);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static GtkDropDown *
find_dropdown (GtkWidget *root)
{
  if (GTK_IS_DROP_DOWN (root))
    return GTK_DROP_DOWN (root);
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkDropDown *found = find_dropdown (child);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static void
select_arch (GtkDropDown *dropdown,
             const char  *arch)
{
  GListModel *model = gtk_drop_down_get_model (dropdown);

  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    if (g_str_equal (gtk_string_list_get_string (GTK_STRING_LIST (model), i), arch))
      {
        gtk_drop_down_set_selected (dropdown, i);
        return;
      }
  g_assert_not_reached ();
}

/* Open… on a folder of checkpoints saved elsewhere (the test run's own,
 * copied without its manifest) offers the import with the epochs the files
 * imply; a wrong architecture or epoch count is said in the dialog and the
 * app goes on; the import then runs in the engine and the new run opens
 * from the runs folder, marked imported. */
static void
test_window_import_checkpoints (void)
{
  g_autofree char *folder = g_build_filename (tmpdir, "saved-by-a-script", NULL);
  g_autofree char *home = ct_run_dup_home ();
  g_autofree char *imported = g_build_filename (home, "saved-by-a-script", NULL);
  g_autoptr(CtManifest) manifest = NULL;
  g_autoptr(GError) error = NULL;
  CtImportDialog *dialog;
  GtkWidget *epochs;
  GtkDropDown *archs;
  GListModel *arch_model;
  CtGrid *grid;

  g_assert_cmpint (g_mkdir_with_parents (folder, 0755), ==, 0);
  for (int epoch = 0; epoch <= 2; epoch++)
    {
      g_autofree char *from = ct_run_dup_checkpoint_path (run_dir, epoch);
      g_autofree char *name = g_strdup_printf ("model_ep%d.safetensors", epoch);
      g_autofree char *to = g_build_filename (folder, name, NULL);
      g_autofree char *contents = NULL;
      gsize length;

      g_assert_true (g_file_get_contents (from, &contents, &length, NULL));
      g_assert_true (g_file_set_contents (to, contents, length, NULL));
    }

  g_assert_null (find_import_dialog ());
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.open-run", "s", folder));
  dialog = find_import_dialog ();
  g_assert_nonnull (dialog);
  /* Not opened as a run, so no error either. */
  g_assert_cmpstr (ct_window_get_run_dir (window), ==, run_dir);
  wait_for (import_inferred, dialog);

  epochs = find_entry (GTK_WIDGET (dialog), "From the files");
  g_assert_nonnull (epochs);
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (epochs)), ==, "0,1,2");
  archs = find_dropdown (GTK_WIDGET (dialog));
  arch_model = gtk_drop_down_get_model (archs);
  g_assert_cmpstr (gtk_string_list_get_string (GTK_STRING_LIST (arch_model),
                                               gtk_drop_down_get_selected (archs)), ==, "camtrail_net");
  /* Every architecture the CLI knows. */
  g_assert_cmpuint (g_list_model_get_n_items (arch_model), ==,
                    g_strv_length ((char **) ct_train_list_archs ()));

  /* No dataset yet: Import waits for one. */
  g_assert_false (gtk_widget_get_sensitive (find_actionable (GTK_WIDGET (dialog), "dialog.import")));
  ct_import_dialog_set_data_dir (dialog, data_dir);
  g_assert_true (gtk_widget_get_sensitive (find_actionable (GTK_WIDGET (dialog), "dialog.import")));

  /* A wrong architecture: the engine's message, in the dialog. */
  select_arch (archs, "resnet18");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (dialog), "dialog.import", NULL));
  wait_for (import_failed, dialog);
  g_assert_true (find_import_dialog () == dialog);
  g_test_message ("wrong architecture: %s", ct_import_dialog_get_error (dialog));
  g_assert_nonnull (strstr (ct_import_dialog_get_error (dialog), "model_ep0.safetensors"));
  g_assert_false (g_file_test (imported, G_FILE_TEST_EXISTS));

  /* Three files, two epochs. */
  select_arch (archs, "camtrail_net");
  gtk_editable_set_text (GTK_EDITABLE (epochs), "0,1");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (dialog), "dialog.import", NULL));
  wait_for (import_failed, dialog);
  g_assert_true (find_import_dialog () == dialog);
  g_test_message ("two epochs: %s", ct_import_dialog_get_error (dialog));
  g_assert_nonnull (strstr (ct_import_dialog_get_error (dialog), "epoch"));
  g_assert_false (g_file_test (imported, G_FILE_TEST_EXISTS));
  g_assert_true (find_import_dialog () == dialog);

  gtk_editable_set_text (GTK_EDITABLE (epochs), "0,1,2");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (dialog), "dialog.import", NULL));
  g_assert_true (ct_engine_is_importing (ct_window_get_engine (window)));
  wait_for (run_open, imported);
  g_assert_null (find_import_dialog ());

  grid = ct_grid_view_get_grid (ct_window_get_grid_view (window));
  g_assert_cmpuint (grid->n_rows, ==, 3);
  manifest = ct_manifest_load (imported, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (manifest->n_imported, ==, 3);
  g_assert_cmpstr (manifest->imported[2].file, ==, "model_ep2.safetensors");

  activate ("win.open-run", g_variant_new_string (run_dir));
  wait_for (run_open, run_dir);
}

/* Cancel while importing: the dialog says so, and nothing is left of the
 * run. */
static void
test_window_import_cancel (void)
{
  g_autofree char *folder = g_build_filename (tmpdir, "saved-by-a-script", NULL);
  g_autofree char *home = ct_run_dup_home ();
  g_autofree char *target = g_build_filename (home, "cancelled", NULL);
  CtImportDialog *dialog;
  GtkWidget *name;

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.open-run", "s", folder));
  dialog = find_import_dialog ();
  g_assert_nonnull (dialog);
  wait_for (import_inferred, dialog);
  name = find_entry (GTK_WIDGET (dialog), NULL);
  g_assert_nonnull (name);
  gtk_editable_set_text (GTK_EDITABLE (name), "cancelled");
  ct_import_dialog_set_data_dir (dialog, data_dir);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (dialog), "dialog.import", NULL));
  g_assert_true (ct_engine_is_importing (ct_window_get_engine (window)));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (dialog), "dialog.cancel", NULL));
  wait_for (import_failed, dialog);
  g_assert_true (find_import_dialog () == dialog);
  g_assert_cmpstr (ct_import_dialog_get_error (dialog), ==, "Import cancelled");
  g_assert_false (g_file_test (target, G_FILE_TEST_EXISTS));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (dialog), "dialog.cancel", NULL));
  g_assert_null (find_import_dialog ());
  g_assert_cmpstr (ct_window_get_run_dir (window), ==, run_dir);
}

static gboolean
faithfulness_done (gpointer data)
{
  CtFaithfulnessPanel *panel = ct_window_get_faithfulness_panel (window);

  return !ct_engine_is_computing_faithfulness (ct_window_get_engine (window)) &&
         !ct_faithfulness_panel_is_computing (panel) &&
         ct_faithfulness_panel_get_result (panel) != NULL;
}

static gboolean
faithfulness_stopped (gpointer data)
{
  return !ct_engine_is_computing_faithfulness (ct_window_get_engine (window)) &&
         !ct_faithfulness_panel_is_computing (ct_window_get_faithfulness_panel (window));
}

/* The Faithfulness page computes a study of every checkpoint of the open
 * run in the background with the chosen method, images and baseline, and draws the
 * chosen chart; Compute again while it runs stops it. */
static void
test_window_faithfulness (void)
{
  CtFaithfulnessPanel *panel = ct_window_get_faithfulness_panel (window);
  GtkWidget *area = ct_faithfulness_panel_get_chart_area (panel);
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  g_autofree guint8 *pixels = NULL;
  graphene_rect_t bounds;
  int window_width, window_height;
  gsize stride;
  CtFaithfulness *result;

  activate ("win.faithfulness-images", g_variant_new_int32 (6));
  activate ("win.faithfulness-method", g_variant_new_string ("layercam"));
  activate ("win.faithfulness-baseline", g_variant_new_string ("blur"));
  activate ("win.faithfulness-chart", g_variant_new_string ("faithfulness-insertion"));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.compute-faithfulness", NULL));
  g_assert_true (ct_engine_is_computing_faithfulness (ct_window_get_engine (window)));
  g_assert_true (ct_faithfulness_panel_is_computing (panel));
  wait_for (faithfulness_done, NULL);

  /* Every checkpoint of the run, a method row and a random row each, with
   * the window's seed and the page's method and images. */
  result = ct_faithfulness_panel_get_result (panel);
  g_assert_cmpuint (result->n_images, ==, 6);
  g_assert_cmpstr (result->method, ==, "layercam");
  g_assert_cmpint (result->baseline, ==, CT_BASELINE_BLUR);
  g_assert_cmpuint (result->seed, ==, g_settings_get_int (settings, "seed"));
  g_assert_cmpuint (result->rows->len, ==, 2 * 3);
  for (guint r = 0; r < result->rows->len; r++)
    {
      const CtFaithfulnessRow *row = &g_array_index (result->rows, CtFaithfulnessRow, r);

      g_assert_cmpint (row->epoch, ==, (int) r / 2);
      g_assert_cmpstr (row->heatmap, ==, r % 2 == 0 ? "layercam" : "random");
    }
  g_assert_cmpint (ct_faithfulness_panel_get_chart (panel), ==, CT_FAITHFULNESS_CHART_INSERTION);

  /* The chart is on screen: its title, axes and lines. */
  pixels = render_window (&window_width, &window_height, &stride);
  save_rendering ("window-faithfulness.png", pixels, window_width, window_height, stride);
  g_assert_true (gtk_widget_compute_bounds (area, GTK_WIDGET (window), &bounds));
  g_assert_cmpfloat (bounds.size.width, >, 100);
  g_assert_cmpuint (dark_pixels (pixels, stride, &bounds), >, 500);

  /* Compute while it runs is Stop: the study ends cancelled, the chart
   * keeps the last one. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.compute-faithfulness", NULL));
  g_assert_true (ct_faithfulness_panel_is_computing (panel));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.compute-faithfulness", NULL));
  wait_for (faithfulness_stopped, NULL);
  g_assert_true (ct_faithfulness_panel_get_result (panel) == result);
}

static gboolean
sanity_done (gpointer data)
{
  CtFaithfulnessPanel *panel = ct_window_get_faithfulness_panel (window);

  return !ct_engine_is_computing_faithfulness (ct_window_get_engine (window)) &&
         !ct_engine_is_computing_sanity (ct_window_get_engine (window)) &&
         !ct_faithfulness_panel_is_computing (panel) &&
         ct_faithfulness_panel_get_sanity (panel) != NULL;
}

/* Whether a line's colour (not the white background, the grey axes and
 * text or a pale band) lies within @radius pixels of (@x, @y). */
static gboolean
coloured_near (const guint8 *pixels,
               gsize         stride,
               int           width,
               int           height,
               double        x,
               double        y,
               int           radius)
{
  for (int dy = -radius; dy <= radius; dy++)
    for (int dx = -radius; dx <= radius; dx++)
      {
        int px = (int) round (x) + dx, py = (int) round (y) + dy;
        const guint8 *p;
        int lo, hi;

        if (px < 0 || py < 0 || px >= width || py >= height)
          continue;
        p = pixels + py * stride + 4 * px;
        lo = MIN (p[0], MIN (p[1], p[2]));
        hi = MAX (p[0], MAX (p[1], p[2]));
        if (hi - lo > 80)
          return TRUE;
      }
  return FALSE;
}

/* A number the page shows (three decimals; a mean "—" and an interval
 * left out where undefined) against the CLI's CSV field (six decimals,
 * empty where undefined). */
static void
assert_shown (const char *shown,
              const char *csv,
              gboolean    is_interval)
{
  if (*csv == '\0')
    {
      g_assert_cmpstr (shown, ==, is_interval ? "" : "—");
      return;
    }
  g_assert_nonnull (shown);
  g_assert_cmpfloat_with_epsilon (g_ascii_strtod (shown, NULL), g_ascii_strtod (csv, NULL),
                                  0.0005 + 1e-9);
}

/* With the sanity check on, Compute goes on from the scores to the
 * randomisation sanity check: the page's numbers, each chart's lines and
 * the listed values are those camtrail-cli faithfulness --sanity writes
 * for the same run, method, images, seed and layer. */
static void
test_window_faithfulness_sanity (void)
{
  CtFaithfulnessPanel *panel = ct_window_get_faithfulness_panel (window);
  GtkWidget *area = ct_faithfulness_panel_get_chart_area (panel);
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  g_autofree char *out = g_build_filename (tmpdir, "sanity-cli", NULL);
  g_autofree char *csv_path = g_build_filename (out, "sanity.csv", NULL);
  g_autofree char *json_path = g_build_filename (out, "sanity.json", NULL);
  g_autofree char *seed = NULL;
  g_autofree char *csv = NULL;
  g_auto(GStrv) lines = NULL;
  g_auto(CtTestResult) cli = { 0 };
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GRegex) epoch0_line = NULL, cascade_line = NULL;
  JsonObject *request;
  JsonArray *images;
  CtSanity *sanity;
  guint n_cascade = 0;

  activate ("win.faithfulness-images", g_variant_new_int32 (4));
  activate ("win.faithfulness-method", g_variant_new_string ("gradcam"));
  activate ("win.faithfulness-chart", g_variant_new_string ("sanity-epoch0"));
  activate ("win.faithfulness-sanity", NULL);
  g_assert_true (g_settings_get_boolean (settings, "faithfulness-sanity"));
  g_assert_cmpint (ct_faithfulness_panel_get_sanity_chart (panel), ==, CT_SANITY_CHART_EPOCH0);
  g_assert_null (ct_faithfulness_panel_get_sanity (panel));
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (ct_faithfulness_panel_get_sanity_label (panel))));

  /* Scores first, then the check; Compute while it runs stops the check. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.compute-faithfulness", NULL));
  g_assert_true (ct_engine_is_computing_faithfulness (ct_window_get_engine (window)));
  /* Waited for without drawing after it, so that the check is still early. */
  CT_TEST_WAIT_UNTIL (ct_engine_is_computing_sanity (ct_window_get_engine (window)));
  g_assert_true (ct_faithfulness_panel_is_computing (panel));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.compute-faithfulness", NULL));
  wait_for (faithfulness_stopped, NULL);
  g_assert_false (ct_engine_is_computing_sanity (ct_window_get_engine (window)));
  g_assert_null (ct_faithfulness_panel_get_sanity (panel));
  g_assert_nonnull (ct_faithfulness_panel_get_result (panel));

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.compute-faithfulness", NULL));
  wait_for (sanity_done, NULL);
  sanity = ct_faithfulness_panel_get_sanity (panel);
  g_assert_cmpstr (sanity->method, ==, "gradcam");
  g_assert_cmpuint (sanity->n_images, ==, 4);

  /* The CLI on the same run and options. */
  seed = g_strdup_printf ("%d", g_settings_get_int (settings, "seed"));
  ct_test_run (&cli, (const char *const[]) { g_getenv ("CAMTRAIL_CLI"), "faithfulness",
                                             "--run", run_dir, "--images", "4", "--seed", seed,
                                             "--method", "gradcam", "--layer", sanity->layer,
                                             "--sanity", "--quiet", "--out", out, NULL },
               NULL, 0);
  g_assert_cmpint (cli.status, ==, 0);
  g_assert_true (json_parser_load_from_file (parser, json_path, &error));
  g_assert_no_error (error);
  request = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpstr (json_object_get_string_member (request, "layer"), ==, sanity->layer);
  g_assert_cmpint (json_object_get_int_member (request, "seed"), ==, sanity->seed);
  images = json_object_get_array_member (request, "images");
  g_assert_cmpuint (json_array_get_length (images), ==, sanity->n_images);
  for (guint i = 0; i < sanity->n_images; i++)
    g_assert_cmpint (json_array_get_int_element (images, i), ==, sanity->image_indices[i]);

  /* Every row of sanity.csv is the page's, in its order. */
  g_assert_true (g_file_get_contents (csv_path, &csv, NULL, &error));
  g_assert_no_error (error);
  lines = g_strsplit (g_strchomp (csv), "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 1 + sanity->rows->len);
  /* Two trained epochs against epoch 0, then the cascade. */
  g_assert_cmpuint (sanity->rows->len, >, 2);
  for (guint r = 0; r < sanity->rows->len; r++)
    {
      const CtSanityRow *row = &g_array_index (sanity->rows, CtSanityRow, r);
      g_auto(GStrv) field = g_strsplit (lines[1 + r], ",", -1);
      const double values[] = { row->spearman, row->spearman_ci95, row->ssim, row->ssim_ci95,
                                row->top_iou, row->top_iou_ci95 };

      g_assert_cmpuint (g_strv_length (field), ==, 10);
      g_assert_cmpint (row->epoch, ==, atoi (field[0]));
      g_assert_cmpstr (row->against, ==, field[1]);
      g_assert_cmpuint (row->n_randomised, ==, atoi (field[2]));
      g_assert_cmpuint (row->n_images, ==, atoi (field[3]));
      for (guint v = 0; v < G_N_ELEMENTS (values); v++)
        if (*field[4 + v] == '\0')
          g_assert_true (isnan (values[v]));
        else
          g_assert_cmpfloat_with_epsilon (values[v], g_ascii_strtod (field[4 + v], NULL),
                                          5e-7 + 1e-9);
      n_cascade += row->n_randomised > 0;
    }
  g_assert_cmpuint (n_cascade, >, 0);

  /* Each sanity chart: its lines through the CLI's points, and the listed
   * numbers the CLI's. */
  epoch0_line = g_regex_new ("^Epoch (\\d+) against epoch 0: Spearman (\\S+)(?: ± (\\S+))?, "
                             "SSIM (\\S+)(?: ± (\\S+))?, top-20% IoU (\\S+)(?: ± (\\S+))?$",
                             0, 0, &error);
  g_assert_no_error (error);
  cascade_line = g_regex_new ("^Epoch (\\d+) randomised down to (\\S+): Spearman (\\S+)(?: ± (\\S+))?, "
                              "SSIM (\\S+)(?: ± (\\S+))?, top-20% IoU (\\S+)(?: ± (\\S+))?$",
                              0, 0, &error);
  g_assert_no_error (error);
  for (CtSanityChart chart = 0; chart < CT_SANITY_N_CHARTS; chart++)
    {
      gboolean cascade = chart == CT_SANITY_CHART_CASCADE;
      GtkLabel *label = ct_faithfulness_panel_get_sanity_label (panel);
      g_autofree guint8 *pixels = NULL;
      g_autofree char *name = g_strdup_printf ("window-%s.png", ct_sanity_chart_to_string (chart));
      g_auto(GStrv) shown = NULL;
      graphene_rect_t bounds;
      int window_width, window_height;
      gsize stride;
      CtPlotArea plot;
      guint line = 0;

      activate ("win.faithfulness-chart", g_variant_new_string (ct_sanity_chart_to_string (chart)));
      g_assert_cmpint (ct_faithfulness_panel_get_sanity_chart (panel), ==, chart);
      pixels = render_window (&window_width, &window_height, &stride);
      save_rendering (name, pixels, window_width, window_height, stride);
      g_assert_true (gtk_widget_compute_bounds (area, GTK_WIDGET (window), &bounds));
      g_assert_true (ct_sanity_chart_get_area (sanity, chart, bounds.size.width,
                                               bounds.size.height, &plot));
      g_assert_true (gtk_widget_get_visible (GTK_WIDGET (label)));
      shown = g_strsplit (gtk_label_get_text (label), "\n", -1);

      for (guint r = 0; r < sanity->rows->len; r++)
        {
          g_auto(GStrv) field = g_strsplit (lines[1 + r], ",", -1);
          g_autoptr(GMatchInfo) match = NULL;
          g_autofree char *epoch = NULL;
          guint k = atoi (field[2]);
          double x = cascade ? (double) k : (double) atoi (field[0]);
          guint first;

          if ((k > 0) != cascade)
            continue;
          for (guint v = 0; v < 3; v++)
            {
              double ux, uy;

              ct_plot_area_to_user (&plot, x, g_ascii_strtod (field[4 + 2 * v], NULL), &ux, &uy);
              /* The screen's fonts move the plot by a few pixels from where
               * ct_sanity_chart_get_area() measures it; a wrong value is
               * tens of pixels away. */
              g_assert_true (coloured_near (pixels, stride, window_width, window_height,
                                            bounds.origin.x + ux, bounds.origin.y + uy, 6));
            }

          g_assert_nonnull (shown[line]);
          g_test_message ("%s", shown[line]);
          g_assert_true (g_regex_match (cascade ? cascade_line : epoch0_line, shown[line], 0,
                                        &match));
          epoch = g_match_info_fetch (match, 1);
          g_assert_cmpstr (epoch, ==, field[0]);
          if (cascade)
            {
              g_autofree char *group = g_match_info_fetch (match, 2);

              g_assert_cmpstr (group, ==, field[1]);
            }
          first = cascade ? 3 : 2;
          for (guint v = 0; v < 6; v++)
            {
              g_autofree char *number = g_match_info_fetch (match, first + v);

              assert_shown (number, field[4 + v], v % 2 == 1);
            }
          line++;
        }
      g_assert_cmpuint (line, >, 0);
      g_assert_cmpuint (g_strv_length (shown), ==, line);
    }

  /* Back to a faithfulness chart: the numbers go. */
  activate ("win.faithfulness-chart", g_variant_new_string ("faithfulness-deletion"));
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (ct_faithfulness_panel_get_sanity_label (panel))));
  activate ("win.faithfulness-sanity", NULL);
  g_assert_false (g_settings_get_boolean (settings, "faithfulness-sanity"));
}

int
main (int   argc,
      char *argv[])
{
  int status;

  g_setenv ("GSK_RENDERER", "cairo", TRUE);
  g_setenv ("GTK_A11Y", "none", TRUE);
  g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);
  gtk_test_init (&argc, &argv, NULL);

  /* The window lists runs under $XDG_DATA_HOME: keep it inside the test. */
  tmpdir = ct_test_make_squares_tmpdir ("XDG_DATA_HOME", 512, 64, 3, &data_dir);
  run_dir = g_build_filename (tmpdir, "run", NULL);
  ct_test_train_tiny (data_dir, run_dir, 2);

  window = ct_window_new (NULL);
  gtk_window_set_default_size (GTK_WINDOW (window), 1400, 1000);
  gtk_window_present (GTK_WINDOW (window));

  g_test_add_func ("/window/actions-without-run", test_window_actions_without_run);
  g_test_add_func ("/window/opens-run", test_window_opens_run);
  g_test_add_func ("/window/field-errors", test_window_field_errors);
  g_test_add_func ("/window/sidebar-scrolls", test_window_sidebar_scrolls);
  g_test_add_func ("/window/train-dialog", test_window_train_dialog);
  g_test_add_func ("/window/train-dialog-init", test_window_train_dialog_init);
  g_test_add_func ("/window/import-checkpoints", test_window_import_checkpoints);
  g_test_add_func ("/window/import-cancel", test_window_import_cancel);
  g_test_add_func ("/window/errors", test_window_errors);
  g_test_add_func ("/window/noise-changes-heatmaps", test_window_noise_changes_heatmaps);
  g_test_add_func ("/window/rotation-occlusion", test_window_rotation_occlusion);
  g_test_add_func ("/window/export", test_window_export);
  g_test_add_func ("/window/cell-dialog", test_window_cell_dialog);
  g_test_add_func ("/window/grid-keyboard", test_window_grid_keyboard);
  g_test_add_func ("/window/dialogs", test_window_dialogs);
  g_test_add_func ("/window/demo-exists", test_window_demo_exists);
  g_test_add_func ("/window/rows-appear-while-training", test_window_rows_appear_while_training);
  g_test_add_func ("/window/robustness", test_window_robustness);
  g_test_add_func ("/window/study", test_window_study);
  g_test_add_func ("/window/faithfulness", test_window_faithfulness);
  g_test_add_func ("/window/faithfulness-sanity", test_window_faithfulness_sanity);
  g_test_add_func ("/window/grid-fits", test_window_grid_fits);
  g_test_add_func ("/window/dark-style", test_window_dark_style);
  g_test_add_func ("/window/method", test_window_method);
  g_test_add_func ("/window/compare-methods", test_window_compare_methods);
  g_test_add_func ("/window/cell-dialog-compare", test_window_cell_dialog_compare);
  g_test_add_func ("/window/cli-method-list-errors", test_window_cli_method_list_errors);
  g_test_add_func ("/window/epochs-typed-while-opening", test_window_epochs_typed_while_opening);
  g_test_add_func ("/window/close-while-training", test_window_close_while_training);
  status = g_test_run ();

  if (g_getenv ("CT_TEST_KEEP") == NULL)
    ct_test_remove_tree (tmpdir);
  return status;
}
