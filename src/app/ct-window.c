/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <math.h>

#include "ct-cell-dialog.h"
#include "ct-chart-view.h"
#include "ct-rng.h"
#include "ct-robustness-view.h"
#include "ct-stats.h"
#include "ct-train-dialog.h"
#include "ct-window.h"

#define DEFAULT_EPOCHS "0, 1, 2, 3, last"
#define DEFAULT_IMAGE_COUNT 8
#define DEMO_RUN_NAME "fashion-demo"
/* Keeps a random pick of images apart from the perturbations' streams. */
#define STREAM_PICK_CLASS 0x636c6173u

struct _CtWindow
{
  GtkApplicationWindow parent_instance;

  GSettings      *settings;
  CtEngine       *engine;
  GCancellable   *cancellable;      /* one-shot engine jobs of the open run */

  CtRunInfo      *run;              /* (nullable) the open run */
  char           *opening_dir;      /* (nullable) a run being opened */
  GPtrArray      *run_dirs;         /* (element-type utf8) beside run_names */
  GArray         *images;           /* (element-type guint) grid columns */
  char           *epochs_spec;      /* grid rows as typed: "0, 1, 2, 3, last" */
  GArray         *epochs;           /* (element-type int) grid rows, resolved */
  guint64         generation;       /* of the newest grid request */
  guint           image_draws;      /* Random presses since the run opened */
  guint           request_source;   /* idle that coalesces control changes */
  gboolean        busy;
  guint           spinner_source;   /* timeout that shows the spinner */
  gboolean        updating;         /* models are being refilled: ignore selections */

  char           *training_dir;     /* (nullable) the run being trained */
  gboolean        open_when_saved;  /* open training_dir at its first checkpoint */
  char           *robustness_dir;   /* (nullable) the run of the study under way */
  char           *status_note;      /* (nullable) said after the status line */

  /* Template widgets. */
  GtkDropDown    *run_dropdown;
  GtkStringList  *run_names;
  GtkSpinner     *busy_spinner;
  GtkInfoBar     *error_bar;
  GtkLabel       *error_label;
  GtkRevealer    *train_revealer;
  GtkLabel       *train_label;
  GtkProgressBar *train_progress;
  GtkStack       *stack;
  GtkLabel       *empty_title;
  GtkAdjustment  *noise_adjustment;
  GtkAdjustment  *rotation_adjustment;
  GtkAdjustment  *occlude_adjustment;
  GtkAdjustment  *opacity_adjustment;
  GtkCheckButton *rotation_random_check;
  GtkSpinButton  *patch_spin;
  GtkSpinButton  *rounds_spin;
  GtkSpinButton  *seed_spin;
  GtkDropDown    *view_dropdown;
  GtkDropDown    *layer_dropdown;
  GtkStringList  *layer_names;
  GtkDropDown    *target_dropdown;
  GtkDropDown    *colormap_dropdown;
  GtkDropDown    *scale_dropdown;
  GtkEntry       *epochs_entry;
  GtkEntry       *images_entry;
  GtkSpinButton  *count_spin;
  GtkSpinButton  *misclassified_spin;
  GtkDropDown    *class_dropdown;
  GtkStringList  *class_names;
  CtGridView     *grid_view;
  CtChartView    *chart_view;
  GtkStack       *lower_stack;
  GtkEntry       *robustness_perturbations_entry;
  GtkSpinButton  *robustness_images_spin;
  GtkDropDown    *robustness_chart_dropdown;
  GtkButton      *robustness_button;
  GtkProgressBar *robustness_progress;
  CtRobustnessView *robustness_view;
  GtkLabel       *status_label;
};

enum {
  PROP_0,
  PROP_BUSY,
  PROP_TRAINING,
  PROP_ERROR,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (CtWindow, ct_window, GTK_TYPE_APPLICATION_WINDOW)

/* Settings keys that change what the engine computes; the others only
 * change how the grid is drawn. */
static const char *const compute_keys[] = {
  "noise-sigma", "rotation", "rotation-random", "occlude-pixels", "occlude-patch",
  "rounds", "seed", "layer", "target-rule", "normalisation", "view-mode", NULL
};
static const char *const style_keys[] = {
  "colormap", "overlay-opacity", "cell-size", NULL
};

/* Dropdown positions ↔ the string values of choice keys, in model order. */
static const char *const view_values[] = { "perturbed", "clean", NULL };
static const char *const target_values[] = { "predicted", "label", NULL };
static const char *const colormap_values[] = { "jet", "turbo", "viridis", "inferno", NULL };
static const char *const scale_values[] = { "image", "shared", "raw", NULL };
/* In CtRobustnessChart order, as ct_robustness_chart_to_string() names them. */
static const char *const chart_values[] = {
  "accuracy", "confidence-drop", "stability-pearson", "stability-spearman", "stability-iou", NULL
};

static void request_grid (CtWindow *self);
static void open_run_dir (CtWindow *self, const char *run_dir);

static void
show_error (CtWindow   *self,
            const char *format,
            ...) G_GNUC_PRINTF (2, 3);

static void
show_error (CtWindow   *self,
            const char *format,
            ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  g_message ("%s", message);
  gtk_label_set_text (self->error_label, message);
  gtk_info_bar_set_revealed (self->error_bar, TRUE);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ERROR]);
}

static void
hide_error (CtWindow *self)
{
  gtk_info_bar_set_revealed (self->error_bar, FALSE);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ERROR]);
}

static void
error_bar_response_cb (GtkInfoBar *bar,
                       int         response,
                       CtWindow   *self)
{
  hide_error (self);
}

/* The spinner shows work that takes long enough to notice.  A slider
 * move's grid is faster than this, and its veiled rows already show it
 * coming; a spinner there would flicker, and on two cores its animation
 * frames cost the grid about a tenth of its time (bench/ui-latency). */
#define SPINNER_DELAY_MS 300

static gboolean
show_spinner_cb (gpointer user_data)
{
  CtWindow *self = user_data;

  self->spinner_source = 0;
  gtk_spinner_set_spinning (self->busy_spinner, TRUE);
  return G_SOURCE_REMOVE;
}

static void
set_busy (CtWindow *self,
          gboolean  busy)
{
  if (self->busy == busy)
    return;
  self->busy = busy;
  g_clear_handle_id (&self->spinner_source, g_source_remove);
  if (busy)
    self->spinner_source = g_timeout_add (SPINNER_DELAY_MS, show_spinner_cb, self);
  else
    gtk_spinner_set_spinning (self->busy_spinner, FALSE);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY]);
}

/* Choice keys ↔ GtkDropDown:selected. */
static gboolean
choice_get_mapping (GValue   *value,
                    GVariant *variant,
                    gpointer  user_data)
{
  const char *const *values = user_data;
  const char *name = g_variant_get_string (variant, NULL);

  for (guint i = 0; values[i] != NULL; i++)
    if (g_str_equal (values[i], name))
      {
        g_value_set_uint (value, i);
        return TRUE;
      }
  return FALSE;
}

static GVariant *
choice_set_mapping (const GValue       *value,
                    const GVariantType *expected_type,
                    gpointer            user_data)
{
  const char *const *values = user_data;
  guint index = g_value_get_uint (value);

  if (index >= g_strv_length ((char **) values))
    return NULL;
  return g_variant_new_string (values[index]);
}

static void
bind_choice (CtWindow          *self,
             const char        *key,
             GtkDropDown       *dropdown,
             const char *const *values)
{
  g_settings_bind_with_mapping (self->settings, key, dropdown, "selected",
                                G_SETTINGS_BIND_DEFAULT,
                                choice_get_mapping, choice_set_mapping,
                                (gpointer) values, NULL);
}

/* Integer keys ↔ GtkAdjustment:value (a double). */
static gboolean
int_get_mapping (GValue   *value,
                 GVariant *variant,
                 gpointer  user_data)
{
  g_value_set_double (value, g_variant_get_int32 (variant));
  return TRUE;
}

static GVariant *
int_set_mapping (const GValue       *value,
                 const GVariantType *expected_type,
                 gpointer            user_data)
{
  return g_variant_new_int32 ((gint32) lround (g_value_get_double (value)));
}

static void
bind_int (CtWindow      *self,
          const char    *key,
          GtkAdjustment *adjustment)
{
  g_settings_bind_with_mapping (self->settings, key, adjustment, "value",
                                G_SETTINGS_BIND_DEFAULT,
                                int_get_mapping, int_set_mapping, NULL, NULL);
}

static void
update_style (CtWindow *self)
{
  CtFigureStyle style;
  g_autofree char *colormap = g_settings_get_string (self->settings, "colormap");

  ct_figure_style_init (&style);
  style.cell_size = g_settings_get_int (self->settings, "cell-size");
  style.image_weight = 1.0 - g_settings_get_double (self->settings, "overlay-opacity");
  ct_colormap_from_string (colormap, &style.colormap);
  ct_grid_view_set_style (self->grid_view, &style);
}

static void
update_status (CtWindow *self)
{
  g_autofree char *text = NULL;
  const CtManifest *manifest;
  CtGrid *grid = ct_grid_view_get_grid (self->grid_view);

  if (self->run == NULL)
    {
      gtk_label_set_text (self->status_label, "");
      return;
    }

  manifest = self->run->manifest;
  /* Translators: arch, dataset, number of checkpoints, target layer, perturbation. */
  text = g_strdup_printf (ngettext ("%s on %s · %u checkpoint · layer %s · %s",
                                    "%s on %s · %u checkpoints · layer %s · %s",
                                    self->run->epochs->len),
                          manifest->arch, manifest->dataset, self->run->epochs->len,
                          grid != NULL && grid->layer != NULL ? grid->layer : manifest->default_layer,
                          grid != NULL && grid->perturbation != NULL ? grid->perturbation : _("no perturbation"));
  if (self->status_note != NULL)
    {
      g_autofree char *line = g_strconcat (text, " · ", self->status_note, NULL);

      gtk_label_set_text (self->status_label, line);
      return;
    }
  gtk_label_set_text (self->status_label, text);
}

/* The chart's confidence-drop series: one point per drawn row. */
static void
update_chart_drops (CtWindow *self)
{
  CtGrid *grid = ct_grid_view_get_grid (self->grid_view);
  g_autofree double *epochs = NULL;
  g_autofree double *mean = NULL;
  g_autofree double *ci95 = NULL;
  guint n = 0;
  g_autofree char *view = g_settings_get_string (self->settings, "view-mode");

  if (grid != NULL && g_str_equal (view, "perturbed") &&
      grid->perturbation != NULL && !g_str_equal (grid->perturbation, "none"))
    {
      epochs = g_new (double, grid->n_rows);
      mean = g_new (double, grid->n_rows);
      ci95 = g_new (double, grid->n_rows);
      for (guint row = 0; row < grid->n_rows; row++, n++)
        {
          double max_mean, max_ci;

          epochs[n] = grid->epochs[row];
          ct_grid_row_summary (grid, row, &mean[n], &ci95[n], &max_mean, &max_ci);
        }
    }
  ct_chart_view_set_drops (self->chart_view, epochs, mean, ci95, n);
}

/* Resolves the typed rows ("0, 1, 2, 3, last", "all") against the run's
 * checkpoints; epochs without one are left out. */
static gboolean
resolve_epochs (CtWindow    *self,
                const char  *spec,
                GArray     **out_epochs,
                GError     **error)
{
  g_autoptr(GArray) epochs = g_array_new (FALSE, FALSE, sizeof (int));
  g_auto(GStrv) parts = g_strsplit_set (spec, ", ", -1);
  GArray *available = self->run->epochs;
  int last = g_array_index (available, int, available->len - 1);

  for (guint i = 0; parts[i] != NULL; i++)
    {
      const char *part = parts[i];
      gint64 epoch;

      if (*part == '\0')
        continue;
      if (g_str_equal (part, "all"))
        {
          g_array_set_size (epochs, 0);
          g_array_append_vals (epochs, available->data, available->len);
          break;
        }
      if (g_str_equal (part, "last"))
        epoch = last;
      else if (!g_ascii_string_to_signed (part, 10, 0, G_MAXINT, &epoch, NULL))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       _("“%s” is not an epoch: use numbers, “last” or “all”"), part);
          return FALSE;
        }

      for (guint k = 0; k < available->len; k++)
        if (g_array_index (available, int, k) == epoch)
          {
            gboolean seen = FALSE;

            for (guint j = 0; j < epochs->len; j++)
              seen = seen || g_array_index (epochs, int, j) == epoch;
            if (!seen)
              g_array_append_val (epochs, g_array_index (available, int, k));
          }
    }

  if (epochs->len == 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("None of the epochs “%s” has a checkpoint (the run has %d to %d)"),
                   spec, g_array_index (available, int, 0), last);
      return FALSE;
    }

  *out_epochs = g_steal_pointer (&epochs);
  return TRUE;
}

static void
set_epochs_text (CtWindow *self)
{
  gtk_editable_set_text (GTK_EDITABLE (self->epochs_entry), self->epochs_spec);
}

static void
set_images_text (CtWindow *self)
{
  g_autoptr(GString) text = g_string_new (NULL);

  for (guint i = 0; i < self->images->len; i++)
    g_string_append_printf (text, "%s%u", i > 0 ? ", " : "", g_array_index (self->images, guint, i));
  gtk_editable_set_text (GTK_EDITABLE (self->images_entry), text->str);
}

static gboolean
apply_epochs (CtWindow   *self,
              const char *spec)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) epochs = NULL;

  if (self->run == NULL)
    return FALSE;
  if (!resolve_epochs (self, spec, &epochs, &error))
    {
      show_error (self, "%s", error->message);
      return FALSE;
    }

  g_free (self->epochs_spec);
  self->epochs_spec = g_strdup (spec);
  g_clear_pointer (&self->epochs, g_array_unref);
  self->epochs = g_steal_pointer (&epochs);
  set_epochs_text (self);
  request_grid (self);
  return TRUE;
}

static gboolean
apply_images (CtWindow   *self,
              const char *spec)
{
  g_autoptr(GArray) images = g_array_new (FALSE, FALSE, sizeof (guint));
  g_auto(GStrv) parts = g_strsplit_set (spec, ", ", -1);

  if (self->run == NULL)
    return FALSE;

  for (guint i = 0; parts[i] != NULL; i++)
    {
      guint64 index;

      if (*parts[i] == '\0')
        continue;
      if (!g_ascii_string_to_unsigned (parts[i], 10, 0, self->run->n_test - 1, &index, NULL))
        {
          show_error (self, _("“%s” is not a test image: use indices from 0 to %u"),
                      parts[i], self->run->n_test - 1);
          return FALSE;
        }
      g_array_append_vals (images, &(guint) { index }, 1);
    }
  if (images->len == 0)
    {
      show_error (self, _("Choose at least one image"));
      return FALSE;
    }

  g_clear_pointer (&self->images, g_array_unref);
  self->images = g_steal_pointer (&images);
  set_images_text (self);
  request_grid (self);
  return TRUE;
}

static void
epochs_entry_activate_cb (CtWindow *self,
                          GtkEntry *entry)
{
  apply_epochs (self, gtk_editable_get_text (GTK_EDITABLE (entry)));
}

static void
images_entry_activate_cb (CtWindow *self,
                          GtkEntry *entry)
{
  apply_images (self, gtk_editable_get_text (GTK_EDITABLE (entry)));
}

static void
rows_cb (CtEngine *engine,
         guint64   generation,
         guint     first_row,
         CtGrid   *grid,
         gpointer  user_data)
{
  CtWindow *self = user_data;

  if (generation != self->generation)
    {
      ct_grid_free (grid);
      return;
    }
  ct_grid_view_add_rows (self->grid_view, first_row, grid);
  update_status (self);
}

static void
done_cb (CtEngine     *engine,
         guint64       generation,
         const GError *error,
         gpointer      user_data)
{
  CtWindow *self = user_data;

  if (generation != self->generation)
    return;
  if (error != NULL)
    show_error (self, _("Could not compute the heatmaps: %s"), error->message);
  /* Once a grid, not once a row: each redraw of the chart cost the main
   * thread about 1.2 ms, a fifth of its time per slider move (measured
   * with bench/ui-latency), and a row at a time it mixed rows of the new
   * request with veiled ones of the old. */
  update_chart_drops (self);
  set_busy (self, FALSE);
}

static gboolean
request_grid_idle_cb (gpointer user_data)
{
  CtWindow *self = user_data;
  g_autofree char *layer = g_settings_get_string (self->settings, "layer");
  g_autofree char *target = g_settings_get_string (self->settings, "target-rule");
  g_autofree char *scale = g_settings_get_string (self->settings, "normalisation");
  g_autofree char *view = g_settings_get_string (self->settings, "view-mode");
  CtCamRequest request = { 0 };

  self->request_source = 0;
  if (self->run == NULL || self->epochs == NULL || self->images == NULL)
    {
      set_busy (self, ct_engine_is_busy (self->engine));
      return G_SOURCE_REMOVE;
    }

  request.epochs = (const int *) self->epochs->data;
  request.n_epochs = self->epochs->len;
  request.images = (const guint *) self->images->data;
  request.n_images = self->images->len;
  ct_perturb_init (&request.perturb);
  if (g_str_equal (view, "perturbed"))
    {
      request.perturb.noise_sigma = g_settings_get_double (self->settings, "noise-sigma");
      request.perturb.rotate_degrees = g_settings_get_double (self->settings, "rotation");
      request.perturb.rotate_random = g_settings_get_boolean (self->settings, "rotation-random");
      if (request.perturb.rotate_random)
        request.perturb.rotate_degrees = fabs (request.perturb.rotate_degrees);
      request.perturb.occlude_count = g_settings_get_int (self->settings, "occlude-pixels");
      request.perturb.occlude_patch = g_settings_get_int (self->settings, "occlude-patch");
    }
  request.perturb.seed = g_settings_get_int (self->settings, "seed");
  request.rounds = ct_perturb_is_identity (&request.perturb)
                   ? 1 : (guint) g_settings_get_int (self->settings, "rounds");
  request.layer = *layer != '\0' ? layer : NULL;
  request.target_rule = g_str_equal (target, "label") ? CT_TARGET_RULE_LABEL
                                                      : CT_TARGET_RULE_PREDICTED;
  ct_cam_scale_from_string (scale, &request.scale);

  ct_grid_view_begin (self->grid_view, request.n_epochs);
  self->generation = ct_engine_request_grid (self->engine, &request, rows_cb, done_cb, self);
  return G_SOURCE_REMOVE;
}

/* A slider drag changes several values per frame; they become one request
 * once the main loop is idle.  The window is busy from the change on, so
 * whoever waits for the grid (the spinner, tests, bench/ui-latency) never
 * takes the previous grid for the new one. */
static void
request_grid (CtWindow *self)
{
  set_busy (self, TRUE);
  if (self->request_source == 0)
    self->request_source = g_idle_add_full (G_PRIORITY_HIGH_IDLE, request_grid_idle_cb, self, NULL);
}

static void
update_robustness_chart (CtWindow *self)
{
  g_autofree char *chart = g_settings_get_string (self->settings, "robustness-chart");

  for (guint i = 0; chart_values[i] != NULL; i++)
    if (g_str_equal (chart_values[i], chart))
      ct_robustness_view_set_chart (self->robustness_view, i);
}

static void
settings_changed_cb (GSettings  *settings,
                     const char *key,
                     CtWindow   *self)
{
  if (g_strv_contains (compute_keys, key))
    {
      /* A note on the perturbation the grid could not show is old news. */
      g_clear_pointer (&self->status_note, g_free);
      request_grid (self);
    }
  else if (g_strv_contains (style_keys, key))
    update_style (self);
  else if (g_str_equal (key, "robustness-chart"))
    update_robustness_chart (self);
}

/* The layer dropdown lists "Default (name, h×w)" then every layer. */
static void
fill_layers (CtWindow *self)
{
  const CtManifest *manifest = self->run->manifest;
  g_autofree char *current = g_settings_get_string (self->settings, "layer");
  guint selected = 0;

  self->updating = TRUE;
  gtk_string_list_splice (self->layer_names, 0,
                          g_list_model_get_n_items (G_LIST_MODEL (self->layer_names)), NULL);
  for (guint i = 0; i < manifest->n_layers; i++)
    if (g_strcmp0 (manifest->layers[i].name, manifest->default_layer) == 0)
      {
        g_autofree char *label = g_strdup_printf (_("Default (%s, %d×%d)"), manifest->layers[i].name,
                                                  manifest->layers[i].height, manifest->layers[i].width);
        gtk_string_list_append (self->layer_names, label);
      }
  if (g_list_model_get_n_items (G_LIST_MODEL (self->layer_names)) == 0)
    gtk_string_list_append (self->layer_names, _("Default"));
  for (guint i = 0; i < manifest->n_layers; i++)
    {
      g_autofree char *label = g_strdup_printf ("%s (%d×%d)", manifest->layers[i].name,
                                                manifest->layers[i].height, manifest->layers[i].width);

      gtk_string_list_append (self->layer_names, label);
      if (g_strcmp0 (manifest->layers[i].name, current) == 0)
        selected = i + 1;
    }
  gtk_drop_down_set_selected (self->layer_dropdown, selected);
  self->updating = FALSE;

  /* A layer saved for another architecture means the default here. */
  if (selected == 0 && *current != '\0')
    g_settings_set_string (self->settings, "layer", "");
}

static void
layer_selected_cb (CtWindow   *self,
                   GParamSpec *pspec,
                   GtkDropDown *dropdown)
{
  guint selected = gtk_drop_down_get_selected (dropdown);
  const CtManifest *manifest;

  if (self->updating || self->run == NULL || selected == GTK_INVALID_LIST_POSITION)
    return;
  manifest = self->run->manifest;
  g_settings_set_string (self->settings, "layer",
                         selected == 0 || selected > manifest->n_layers
                         ? "" : manifest->layers[selected - 1].name);
}

static void
fill_classes (CtWindow *self)
{
  gtk_string_list_splice (self->class_names, 0,
                          g_list_model_get_n_items (G_LIST_MODEL (self->class_names)),
                          (const char *const *) self->run->manifest->classes);
}

static void
pick_random_images (CtWindow *self)
{
  g_autoptr(GArray) images = NULL;
  guint count = gtk_spin_button_get_value_as_int (self->count_spin);

  if (self->run == NULL)
    return;
  /* The first pick of a run is the seed's own sample (as `camtrail-cli cam
   * --random K --seed S`); each Random press draws the next one, leaving
   * the perturbations' seed alone. */
  images = ct_rng_sample_indices (self->run->n_test, count,
                                  (guint64) g_settings_get_int (self->settings, "seed") +
                                  ((guint64) self->image_draws << 32));
  g_clear_pointer (&self->images, g_array_unref);
  self->images = g_steal_pointer (&images);
  set_images_text (self);
  request_grid (self);
}

/* Lists the runs under the runs directory, plus the open one. */
static void
refresh_run_list (CtWindow   *self,
                  const char *select_dir)
{
  g_autofree char *runs_dir = ct_application_dup_runs_dir ();
  g_autoptr(GDir) dir = g_dir_open (runs_dir, 0, NULL);
  g_autoptr(GPtrArray) dirs = g_ptr_array_new_with_free_func (g_free);
  const char *name;
  guint selected = GTK_INVALID_LIST_POSITION;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (runs_dir, name, NULL);
      g_autofree char *manifest = g_build_filename (path, "manifest.json", NULL);

      if (g_file_test (manifest, G_FILE_TEST_IS_REGULAR))
        g_ptr_array_add (dirs, g_steal_pointer (&path));
    }
  /* Folders opened from elsewhere stay in the list. */
  for (guint i = 0; i < self->run_dirs->len; i++)
    if (!g_ptr_array_find_with_equal_func (dirs, self->run_dirs->pdata[i], g_str_equal, NULL))
      g_ptr_array_add (dirs, g_strdup (self->run_dirs->pdata[i]));
  if (select_dir != NULL && !g_ptr_array_find_with_equal_func (dirs, select_dir, g_str_equal, NULL))
    g_ptr_array_add (dirs, g_strdup (select_dir));
  g_ptr_array_sort (dirs, (GCompareFunc) g_strcmp0);

  self->updating = TRUE;
  g_ptr_array_set_size (self->run_dirs, 0);
  gtk_string_list_splice (self->run_names, 0,
                          g_list_model_get_n_items (G_LIST_MODEL (self->run_names)), NULL);
  for (guint i = 0; i < dirs->len; i++)
    {
      g_autofree char *base = g_path_get_basename (dirs->pdata[i]);

      g_ptr_array_add (self->run_dirs, g_strdup (dirs->pdata[i]));
      gtk_string_list_append (self->run_names, base);
      if (g_strcmp0 (dirs->pdata[i], select_dir) == 0)
        selected = i;
    }
  gtk_drop_down_set_selected (self->run_dropdown, selected);
  gtk_widget_set_visible (GTK_WIDGET (self->run_dropdown), dirs->len > 0);
  self->updating = FALSE;
}

static void
run_selected_cb (CtWindow    *self,
                 GParamSpec  *pspec,
                 GtkDropDown *dropdown)
{
  guint selected = gtk_drop_down_get_selected (dropdown);

  if (self->updating || selected == GTK_INVALID_LIST_POSITION || selected >= self->run_dirs->len)
    return;
  if (self->run != NULL && g_str_equal (self->run->run_dir, self->run_dirs->pdata[selected]))
    return;
  open_run_dir (self, self->run_dirs->pdata[selected]);
}

static void
show_run (CtWindow  *self,
          CtRunInfo *run)
{
  gboolean same_run = self->run != NULL && g_str_equal (self->run->run_dir, run->run_dir);
  g_autoptr(GError) error = NULL;

  g_clear_pointer (&self->run, ct_run_info_free);
  self->run = run;

  ct_chart_view_set_metrics (self->chart_view, run->metrics);
  if (!same_run)
    {
      self->image_draws = 0;
      ct_grid_view_clear (self->grid_view);
      fill_layers (self);
      fill_classes (self);
      gtk_adjustment_set_upper (self->occlude_adjustment,
                                (double) run->manifest->image_size * run->manifest->image_size);
      gtk_adjustment_set_upper (gtk_spin_button_get_adjustment (self->misclassified_spin),
                                g_array_index (run->epochs, int, run->epochs->len - 1));
      g_settings_set_string (self->settings, "last-run", run->run_dir);
      refresh_run_list (self, run->run_dir);
      g_free (self->epochs_spec);
      self->epochs_spec = g_strdup (DEFAULT_EPOCHS);
      gtk_stack_set_visible_child_name (self->stack, "run");
      /* A study belongs to its run. */
      ct_robustness_view_take_result (self->robustness_view, NULL);
      if (self->robustness_dir == NULL)
        {
          gtk_progress_bar_set_fraction (self->robustness_progress, 0);
          gtk_progress_bar_set_text (self->robustness_progress, "");
        }
      g_clear_pointer (&self->status_note, g_free);
    }

  g_clear_pointer (&self->epochs, g_array_unref);
  if (!resolve_epochs (self, self->epochs_spec, &self->epochs, &error))
    {
      g_free (self->epochs_spec);
      self->epochs_spec = g_strdup ("all");
      resolve_epochs (self, self->epochs_spec, &self->epochs, NULL);
    }
  set_epochs_text (self);

  if (!same_run || self->images == NULL)
    pick_random_images (self);
  else
    request_grid (self);
  update_status (self);
}

static void
open_run_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(CtWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  CtRunInfo *run = ct_engine_open_run_finish (CT_ENGINE (source), result, &error);

  if (run == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      show_error (self, _("Could not open the run %s: %s"),
                  self->opening_dir != NULL ? self->opening_dir : "", error->message);
      g_clear_pointer (&self->opening_dir, g_free);
      /* The open run stays; opening cancelled its grid. */
      request_grid (self);
      return;
    }

  g_clear_pointer (&self->opening_dir, g_free);
  hide_error (self);
  show_run (self, run);
}

static void
open_run_dir (CtWindow   *self,
              const char *run_dir)
{
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();

  g_free (self->opening_dir);
  self->opening_dir = g_strdup (run_dir);
  ct_engine_cancel_grids (self->engine);
  ct_engine_open_run (self->engine, run_dir, NULL, self->cancellable,
                      open_run_cb, g_object_ref (self));
}

static void
refresh_run_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(CtWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  CtRunInfo *run = ct_engine_refresh_run_finish (CT_ENGINE (source), result, &error);

  if (run == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        show_error (self, _("Could not reload the run: %s"), error->message);
      return;
    }
  show_run (self, run);
}

void
ct_window_open_run (CtWindow *self,
                    GFile    *directory)
{
  g_autofree char *path = NULL;

  g_return_if_fail (CT_IS_WINDOW (self));

  path = g_file_get_path (directory);
  if (path == NULL)
    {
      g_autofree char *uri = g_file_get_uri (directory);
      show_error (self, _("%s is not a local folder"), uri);
      return;
    }
  refresh_run_list (self, path);
  open_run_dir (self, path);
}

/* Training --------------------------------------------------------------- */

static void
train_status_cb (CtEngine                  *engine,
                 const CtEngineTrainStatus *status,
                 gpointer                   user_data)
{
  CtWindow *self = user_data;
  g_autofree char *text = NULL;

  switch (status->stage)
    {
    case CT_TRAIN_STAGE_LOADING:
      text = g_strdup (_("Loading the dataset…"));
      gtk_progress_bar_pulse (self->train_progress);
      break;

    case CT_TRAIN_STAGE_TRAINING:
      {
        char eta[32] = "–";

        if (status->eta_seconds >= 0)
          ct_stats_format_duration (status->eta_seconds, eta, sizeof eta);
        /* Translators: epoch, last epoch, images per second, time left. */
        text = g_strdup_printf (_("Epoch %d of %d · %.0f images/s · %s left"),
                                status->epoch, status->epochs, status->images_per_second, eta);
        gtk_progress_bar_set_fraction (self->train_progress, status->run_fraction);
      }
      break;

    case CT_TRAIN_STAGE_EVALUATING:
      text = g_strdup_printf (_("Epoch %d of %d · measuring test accuracy…"),
                              status->epoch, status->epochs);
      break;

    case CT_TRAIN_STAGE_SAVED:
      text = g_strdup_printf (_("Epoch %d saved · test accuracy %.1f%%"),
                              status->epoch, 100.0 * status->metrics.test_accuracy);
      gtk_progress_bar_set_fraction (self->train_progress, status->run_fraction);
      /* New rows appear in the grid as epochs complete. */
      if (self->open_when_saved)
        {
          self->open_when_saved = FALSE;
          refresh_run_list (self, self->training_dir);
          open_run_dir (self, self->training_dir);
        }
      else if (self->run != NULL && g_str_equal (self->run->run_dir, self->training_dir))
        ct_engine_refresh_run (self->engine, self->cancellable, refresh_run_cb, g_object_ref (self));
      break;

    default:
      break;
    }

  if (text != NULL)
    gtk_label_set_text (self->train_label, text);
}

static void
train_done_cb (CtEngine     *engine,
               const GError *error,
               gpointer      user_data)
{
  CtWindow *self = user_data;

  gtk_revealer_set_reveal_child (self->train_revealer, FALSE);
  if (error != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    show_error (self, _("Training stopped: %s"), error->message);
  g_clear_pointer (&self->training_dir, g_free);
  self->open_when_saved = FALSE;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TRAINING]);
}

void
ct_window_train (CtWindow             *self,
                 const CtTrainOptions *options,
                 gboolean              open_when_saved)
{
  g_autoptr(GError) error = NULL;

  g_return_if_fail (CT_IS_WINDOW (self));

  if (!ct_engine_train (self->engine, options, train_status_cb, train_done_cb, self, &error))
    {
      show_error (self, _("Could not start training: %s"), error->message);
      return;
    }

  g_free (self->training_dir);
  self->training_dir = g_strdup (options->out_dir);
  self->open_when_saved = open_when_saved;
  gtk_label_set_text (self->train_label, _("Starting…"));
  gtk_progress_bar_set_fraction (self->train_progress, 0);
  gtk_revealer_set_reveal_child (self->train_revealer, TRUE);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TRAINING]);
}

void
ct_window_open_demo (CtWindow *self)
{
  g_autofree char *runs_dir = ct_application_dup_runs_dir ();
  g_autofree char *run_dir = g_build_filename (runs_dir, DEMO_RUN_NAME, NULL);
  g_autofree char *manifest = g_build_filename (run_dir, "manifest.json", NULL);
  g_autoptr(CtManifest) existing = NULL;
  g_autoptr(GArray) epochs = NULL;
  CtTrainOptions options;

  g_return_if_fail (CT_IS_WINDOW (self));

  existing = ct_manifest_load (run_dir, NULL);
  epochs = existing != NULL ? ct_run_list_checkpoints (run_dir, NULL) : NULL;
  if (existing != NULL && epochs != NULL && epochs->len > 0 &&
      g_array_index (epochs, int, epochs->len - 1) >= existing->epochs)
    {
      refresh_run_list (self, run_dir);
      open_run_dir (self, run_dir);
      return;
    }

  if (ct_engine_is_training (self->engine))
    return;
  if (g_mkdir_with_parents (runs_dir, 0755) != 0)
    {
      show_error (self, _("Could not create %s: %s"), runs_dir, g_strerror (errno));
      return;
    }
  ct_train_options_init_demo (&options, run_dir);
  /* A demo run that was interrupted continues where it stopped. */
  options.resume = existing != NULL && epochs != NULL && epochs->len > 0;
  if (options.resume)
    {
      refresh_run_list (self, run_dir);
      open_run_dir (self, run_dir);
    }
  ct_window_train (self, &options, !options.resume);
}

static void
train_dialog_start_cb (CtWindow      *self,
                       CtTrainDialog *dialog)
{
  g_autofree char *runs_dir = ct_application_dup_runs_dir ();
  g_autoptr(GError) error = NULL;
  CtTrainOptions options;

  if (!ct_train_dialog_get_options (dialog, runs_dir, &options, &error))
    {
      ct_train_dialog_show_error (dialog, error->message);
      return;
    }
  if (g_mkdir_with_parents (runs_dir, 0755) != 0)
    {
      ct_train_dialog_show_error (dialog, g_strerror (errno));
      return;
    }
  ct_window_train (self, &options, TRUE);
  gtk_window_destroy (GTK_WINDOW (dialog));
}

/* Robustness ------------------------------------------------------------- */

static void
robustness_progress_cb (CtEngine                       *engine,
                        const CtEngineRobustnessStatus *status,
                        gpointer                        user_data)
{
  CtWindow *self = user_data;
  g_autofree char *text = NULL;
  char eta[32] = "–";

  if (status->paused)
    /* Translators: epoch, perturbation. */
    text = g_strdup_printf (_("Epoch %d · %s · paused while the grid is computed"),
                            status->epoch, status->perturbation);
  else
    {
      if (status->eta_seconds >= 0)
        ct_stats_format_duration (status->eta_seconds, eta, sizeof eta);
      /* Translators: epoch, perturbation, step, number of steps, time left. */
      text = g_strdup_printf (_("Epoch %d · %s · step %u of %u · %s left"),
                              status->epoch, status->perturbation, status->step,
                              status->n_steps, eta);
    }
  gtk_progress_bar_set_fraction (self->robustness_progress, status->fraction);
  gtk_progress_bar_set_text (self->robustness_progress, text);
}

static void
robustness_done_cb (CtEngine     *engine,
                    CtRobustness *result,
                    const GError *error,
                    gpointer      user_data)
{
  CtWindow *self = user_data;
  g_autoptr(CtRobustness) owned = result;
  g_autofree char *run_dir = g_steal_pointer (&self->robustness_dir);
  g_autofree char *text = NULL;

  gtk_button_set_label (self->robustness_button, _("Compute"));
  if (error != NULL)
    {
      gtk_progress_bar_set_fraction (self->robustness_progress, 0);
      gtk_progress_bar_set_text (self->robustness_progress,
                                 g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)
                                 ? _("Stopped") : _("Failed"));
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        show_error (self, _("Could not compute the robustness study: %s"), error->message);
      return;
    }

  /* Another run opened meanwhile: the study is of no use to its charts. */
  if (self->run == NULL || !g_str_equal (self->run->run_dir, run_dir))
    {
      gtk_progress_bar_set_fraction (self->robustness_progress, 0);
      gtk_progress_bar_set_text (self->robustness_progress, "");
      return;
    }

  /* Translators: images, rounds, layer. */
  text = g_strdup_printf (ngettext ("Done · %u image × %u rounds · layer %s",
                                    "Done · %u images × %u rounds · layer %s",
                                    owned->n_images),
                          owned->n_images, owned->n_rounds, owned->layer);
  gtk_progress_bar_set_fraction (self->robustness_progress, 1);
  gtk_progress_bar_set_text (self->robustness_progress, text);
  ct_robustness_view_take_result (self->robustness_view, g_steal_pointer (&owned));
}

/* Every checkpoint of the open run under the chosen perturbations, with the
 * seed, rounds, layer and target of the grid, so a point's images are the
 * grid's. */
static void
start_robustness (CtWindow *self)
{
  g_autofree char *text = g_settings_get_string (self->settings, "robustness-perturbations");
  g_autofree char *layer = g_settings_get_string (self->settings, "layer");
  g_autofree char *target = g_settings_get_string (self->settings, "target-rule");
  g_autoptr(GArray) perturbations = NULL;
  g_autoptr(GError) error = NULL;
  CtRobustnessRequest request = { 0 };
  GArray *epochs;

  if (self->run == NULL)
    return;
  perturbations = ct_robustness_parse_perturbations (text, &error);
  if (perturbations == NULL)
    {
      show_error (self, _("Could not read the perturbations: %s"), error->message);
      return;
    }

  epochs = self->run->epochs;
  request.epochs = (const int *) epochs->data;
  request.n_epochs = epochs->len;
  request.baseline_epoch = g_array_index (epochs, int, epochs->len - 1);
  request.perturbations = (const CtPerturb *) perturbations->data;
  request.n_perturbations = perturbations->len;
  request.n_images = g_settings_get_int (self->settings, "robustness-images");
  request.rounds = g_settings_get_int (self->settings, "rounds");
  request.seed = g_settings_get_int (self->settings, "seed");
  request.layer = *layer != '\0' ? layer : NULL;
  request.target_rule = g_str_equal (target, "label") ? CT_TARGET_RULE_LABEL
                                                      : CT_TARGET_RULE_PREDICTED;
  if (!ct_engine_compute_robustness (self->engine, self->run->run_dir, &request,
                                     robustness_progress_cb, robustness_done_cb, self, &error))
    {
      show_error (self, _("Could not start the robustness study: %s"), error->message);
      return;
    }

  self->robustness_dir = g_strdup (self->run->run_dir);
  gtk_button_set_label (self->robustness_button, _("Stop"));
  gtk_progress_bar_set_fraction (self->robustness_progress, 0);
  gtk_progress_bar_set_text (self->robustness_progress, _("Loading the run…"));
  gtk_stack_set_visible_child_name (self->lower_stack, "robustness");
}

static gboolean
adjustment_holds (GtkAdjustment *adjustment,
                  double         value)
{
  return value >= gtk_adjustment_get_lower (adjustment) &&
         value <= gtk_adjustment_get_upper (adjustment);
}

/* Sets the perturbation controls to @perturb.  Returns: FALSE, changing
 * nothing, when they cannot express it. */
static gboolean
set_perturbation (CtWindow        *self,
                  const CtPerturb *perturb)
{
  if (perturb->corruption.kind != CT_CORRUPTION_NONE ||
      perturb->rotate_interp != CT_INTERP_NEAREST || perturb->occlude_fill != CT_FILL_ZERO ||
      !adjustment_holds (self->noise_adjustment, perturb->noise_sigma) ||
      !adjustment_holds (self->rotation_adjustment, perturb->rotate_degrees) ||
      !adjustment_holds (self->occlude_adjustment, perturb->occlude_count) ||
      !adjustment_holds (gtk_spin_button_get_adjustment (self->patch_spin), perturb->occlude_patch))
    return FALSE;

  /* One change, so one grid request. */
  g_settings_delay (self->settings);
  g_settings_set_double (self->settings, "noise-sigma", perturb->noise_sigma);
  g_settings_set_double (self->settings, "rotation", perturb->rotate_degrees);
  g_settings_set_boolean (self->settings, "rotation-random", perturb->rotate_random);
  g_settings_set_int (self->settings, "occlude-pixels", perturb->occlude_count);
  g_settings_set_int (self->settings, "occlude-patch", perturb->occlude_patch);
  g_settings_set_string (self->settings, "view-mode", "perturbed");
  g_settings_apply (self->settings);
  return TRUE;
}

/* Adds @epoch to the grid's rows unless it is there. */
static void
include_epoch (CtWindow *self,
               int       epoch)
{
  g_autoptr(GArray) epochs = g_array_copy (self->epochs);
  g_autoptr(GString) spec = g_string_new (NULL);
  guint at = 0;

  while (at < epochs->len && g_array_index (epochs, int, at) < epoch)
    at++;
  if (at < epochs->len && g_array_index (epochs, int, at) == epoch)
    return;
  g_array_insert_val (epochs, at, epoch);
  for (guint i = 0; i < epochs->len; i++)
    g_string_append_printf (spec, "%s%d", i > 0 ? ", " : "", g_array_index (epochs, int, i));
  apply_epochs (self, spec->str);
}

/* A point of the chart opens its images in the grid: the first images of
 * the study, at the point's epoch, under the point's perturbation. */
static void
robustness_point_activated_cb (CtWindow         *self,
                               guint             epoch_index,
                               int               perturbation,
                               CtRobustnessView *view)
{
  CtRobustness *result = ct_robustness_view_get_result (view);
  CtPerturb clean;

  if (result == NULL || self->run == NULL || self->epochs == NULL)
    return;

  g_clear_pointer (&self->images, g_array_unref);
  self->images = g_array_new (FALSE, FALSE, sizeof (guint));
  g_array_append_vals (self->images, result->image_indices,
                       MIN (result->n_images, DEFAULT_IMAGE_COUNT));
  set_images_text (self);
  include_epoch (self, result->epochs[epoch_index].epoch);

  g_clear_pointer (&self->status_note, g_free);
  if (perturbation < 0)
    {
      /* The clean accuracy's point: no perturbation, which always fits. */
      ct_perturb_init (&clean);
      set_perturbation (self, &clean);
    }
  else if (!set_perturbation (self, &result->perturbations[perturbation]))
    /* Translators: a perturbation such as "c10c:fog-3". */
    self->status_note = g_strdup_printf (_("the grid's controls cannot show %s, so they keep "
                                           "their values"), result->labels[perturbation]);
  request_grid (self);
  update_status (self);
}

static void
compute_robustness_action (GtkWidget  *widget,
                           const char *action_name,
                           GVariant   *parameter)
{
  CtWindow *self = CT_WINDOW (widget);

  if (ct_engine_is_computing_robustness (self->engine))
    ct_engine_cancel_robustness (self->engine);
  else
    start_robustness (self);
}

/* Actions ---------------------------------------------------------------- */

static void
open_response_cb (GtkNativeDialog *chooser,
                  int              response,
                  CtWindow        *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) folder = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));

      ct_window_open_run (self, folder);
    }
  g_object_unref (chooser);
}

static void
open_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  CtWindow *self = CT_WINDOW (widget);
  GtkFileChooserNative *chooser =
    gtk_file_chooser_native_new (_("Open Run"), GTK_WINDOW (self),
                                 GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER, _("_Open"), _("_Cancel"));

  g_signal_connect (chooser, "response", G_CALLBACK (open_response_cb), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

static void
open_run_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  g_autoptr(GFile) folder = g_file_new_for_path (g_variant_get_string (parameter, NULL));

  ct_window_open_run (CT_WINDOW (widget), folder);
}

static gboolean
export_to (CtWindow   *self,
           const char *path)
{
  g_autoptr(GError) error = NULL;
  CtGrid *grid = ct_grid_view_get_grid (self->grid_view);
  CtFigureStyle style = *ct_grid_view_get_style (self->grid_view);

  if (grid == NULL || !ct_grid_view_is_complete (self->grid_view))
    {
      show_error (self, _("Nothing to export yet: wait until every row of the grid is drawn"));
      return FALSE;
    }

  style.scale = g_settings_get_double (self->settings, "export-scale");
  if (!ct_figure_write (grid, &style, path, &error))
    {
      show_error (self, _("Could not export %s: %s"), path, error->message);
      return FALSE;
    }
  return TRUE;
}

static void
export_response_cb (GtkNativeDialog *chooser,
                    int              response,
                    CtWindow        *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
      g_autofree char *path = g_file_get_path (file);

      if (path != NULL)
        export_to (self, path);
    }
  g_object_unref (chooser);
}

static void
export_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  CtWindow *self = CT_WINDOW (widget);
  GtkFileChooserNative *chooser;
  g_autofree char *name = NULL;
  static const struct { const char *label; const char *pattern; } formats[] = {
    { N_("PNG image"), "*.png" },
    { N_("SVG drawing"), "*.svg" },
    { N_("PDF document"), "*.pdf" },
  };

  if (ct_grid_view_get_grid (self->grid_view) == NULL)
    return;

  chooser = gtk_file_chooser_native_new (_("Export Figure"), GTK_WINDOW (self),
                                         GTK_FILE_CHOOSER_ACTION_SAVE, _("_Export"), _("_Cancel"));
  for (guint i = 0; i < G_N_ELEMENTS (formats); i++)
    {
      g_autoptr(GtkFileFilter) filter = gtk_file_filter_new ();

      gtk_file_filter_set_name (filter, _(formats[i].label));
      gtk_file_filter_add_pattern (filter, formats[i].pattern);
      gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (chooser), filter);
    }
  name = g_strdup_printf ("%s-grid.png", self->run != NULL ? self->run->manifest->arch : "camtrail");
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (chooser), name);
  g_signal_connect (chooser, "response", G_CALLBACK (export_response_cb), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

static void
export_to_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  export_to (CT_WINDOW (widget), g_variant_get_string (parameter, NULL));
}

static void
train_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  CtWindow *self = CT_WINDOW (widget);
  CtTrainDialog *dialog = ct_train_dialog_new (GTK_WINDOW (self));

  g_signal_connect_swapped (dialog, "start", G_CALLBACK (train_dialog_start_cb), self);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
train_demo_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  ct_window_open_demo (CT_WINDOW (widget));
}

static void
cancel_training_action (GtkWidget  *widget,
                        const char *action_name,
                        GVariant   *parameter)
{
  ct_engine_cancel_training (CT_WINDOW (widget)->engine);
}

static void
random_images_action (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *parameter)
{
  CtWindow *self = CT_WINDOW (widget);

  if (self->images != NULL)
    self->image_draws++;
  pick_random_images (self);
}

static void
misclassified_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(CtWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) images = ct_engine_find_misclassified_finish (CT_ENGINE (source), result, &error);

  if (images == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        show_error (self, _("Could not scan for misclassified images: %s"), error->message);
      return;
    }
  if (images->len == 0)
    {
      show_error (self, _("The checkpoint of epoch %d classifies every test image correctly"),
                  gtk_spin_button_get_value_as_int (self->misclassified_spin));
      return;
    }
  g_clear_pointer (&self->images, g_array_unref);
  self->images = g_steal_pointer (&images);
  set_images_text (self);
  request_grid (self);
}

static void
misclassified_images_action (GtkWidget  *widget,
                             const char *action_name,
                             GVariant   *parameter)
{
  CtWindow *self = CT_WINDOW (widget);

  if (self->run == NULL)
    return;
  ct_engine_find_misclassified (self->engine,
                                gtk_spin_button_get_value_as_int (self->misclassified_spin),
                                gtk_spin_button_get_value_as_int (self->count_spin),
                                g_settings_get_int (self->settings, "seed"),
                                self->cancellable, misclassified_cb, g_object_ref (self));
}

static void
add_class_image_action (GtkWidget  *widget,
                        const char *action_name,
                        GVariant   *parameter)
{
  CtWindow *self = CT_WINDOW (widget);
  guint class = gtk_drop_down_get_selected (self->class_dropdown);
  g_autoptr(GArray) order = NULL;

  if (self->run == NULL || class == GTK_INVALID_LIST_POSITION)
    return;

  /* A seeded random image of the class that is not in the grid yet. */
  order = ct_rng_sample_indices (self->run->n_test, self->run->n_test,
                                 (guint64) g_settings_get_int (self->settings, "seed") ^ STREAM_PICK_CLASS);
  for (guint i = 0; i < order->len; i++)
    {
      guint index = g_array_index (order, guint, i);
      gboolean chosen = FALSE;

      if (self->run->test_labels[index] != class)
        continue;
      for (guint k = 0; self->images != NULL && k < self->images->len; k++)
        chosen = chosen || g_array_index (self->images, guint, k) == index;
      if (chosen)
        continue;
      if (self->images == NULL)
        self->images = g_array_new (FALSE, FALSE, sizeof (guint));
      g_array_append_val (self->images, index);
      set_images_text (self);
      request_grid (self);
      return;
    }
  show_error (self, _("Every test image of this class is already in the grid"));
}

static void
set_images_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  apply_images (CT_WINDOW (widget), g_variant_get_string (parameter, NULL));
}

static void
set_epochs_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  apply_epochs (CT_WINDOW (widget), g_variant_get_string (parameter, NULL));
}

static void
reset_perturbation_action (GtkWidget  *widget,
                           const char *action_name,
                           GVariant   *parameter)
{
  CtWindow *self = CT_WINDOW (widget);

  g_settings_delay (self->settings);
  g_settings_reset (self->settings, "noise-sigma");
  g_settings_reset (self->settings, "rotation");
  g_settings_reset (self->settings, "rotation-random");
  g_settings_reset (self->settings, "occlude-pixels");
  g_settings_apply (self->settings);
}

static void
cell_activated_cb (CtWindow   *self,
                   guint       row,
                   guint       image,
                   guint       round,
                   CtGridView *view)
{
  CtGrid *grid = ct_grid_view_get_grid (view);
  CtCellDialog *dialog;

  if (grid == NULL || self->run == NULL)
    return;
  dialog = ct_cell_dialog_new (GTK_WINDOW (self), self->engine, grid, row, image, round,
                               ct_grid_view_get_style (view));
  gtk_window_present (GTK_WINDOW (dialog));
}

/* Lifetime --------------------------------------------------------------- */

CtGridView *
ct_window_get_grid_view (CtWindow *self)
{
  g_return_val_if_fail (CT_IS_WINDOW (self), NULL);
  return self->grid_view;
}

CtChartView *
ct_window_get_chart_view (CtWindow *self)
{
  g_return_val_if_fail (CT_IS_WINDOW (self), NULL);
  return self->chart_view;
}

CtEngine *
ct_window_get_engine (CtWindow *self)
{
  g_return_val_if_fail (CT_IS_WINDOW (self), NULL);
  return self->engine;
}

CtRobustnessView *
ct_window_get_robustness_view (CtWindow *self)
{
  g_return_val_if_fail (CT_IS_WINDOW (self), NULL);
  return self->robustness_view;
}

const char *
ct_window_get_run_dir (CtWindow *self)
{
  g_return_val_if_fail (CT_IS_WINDOW (self), NULL);
  return self->run != NULL ? self->run->run_dir : NULL;
}

static void
restore_last_run (CtWindow *self)
{
  g_autofree char *last = g_settings_get_string (self->settings, "last-run");
  g_autofree char *manifest = g_build_filename (last, "manifest.json", NULL);

  refresh_run_list (self, NULL);
  if (*last != '\0' && g_file_test (manifest, G_FILE_TEST_IS_REGULAR))
    {
      refresh_run_list (self, last);
      open_run_dir (self, last);
    }
  else if (self->run_dirs->len > 0)
    {
      g_autofree char *first = g_strdup (self->run_dirs->pdata[0]);

      refresh_run_list (self, first);
      open_run_dir (self, first);
    }
}

static gboolean
ct_window_close_request (GtkWindow *window)
{
  CtWindow *self = CT_WINDOW (window);

  g_settings_set_boolean (self->settings, "window-maximized", gtk_window_is_maximized (window));
  if (!gtk_window_is_maximized (window))
    {
      int width, height;

      gtk_window_get_default_size (window, &width, &height);
      g_settings_set_int (self->settings, "window-width", width);
      g_settings_set_int (self->settings, "window-height", height);
    }
  /* Cancels the training and the grid and joins both threads: a cancelled
   * training stops between batches and never leaves a half-written file. */
  ct_engine_shutdown (self->engine);

  return GTK_WINDOW_CLASS (ct_window_parent_class)->close_request (window);
}

static void
ct_window_get_property (GObject    *object,
                        guint       prop_id,
                        GValue     *value,
                        GParamSpec *pspec)
{
  CtWindow *self = CT_WINDOW (object);

  switch (prop_id)
    {
    case PROP_BUSY:
      g_value_set_boolean (value, self->busy);
      break;
    case PROP_TRAINING:
      g_value_set_boolean (value, self->training_dir != NULL);
      break;
    case PROP_ERROR:
      g_value_set_string (value, gtk_info_bar_get_revealed (self->error_bar)
                                 ? gtk_label_get_text (self->error_label) : NULL);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ct_window_dispose (GObject *object)
{
  CtWindow *self = CT_WINDOW (object);

  if (self->engine != NULL)
    ct_engine_shutdown (self->engine);
  g_clear_handle_id (&self->request_source, g_source_remove);
  g_clear_handle_id (&self->spinner_source, g_source_remove);
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->engine);
  g_clear_object (&self->settings);
  gtk_widget_dispose_template (GTK_WIDGET (self), CT_TYPE_WINDOW);

  G_OBJECT_CLASS (ct_window_parent_class)->dispose (object);
}

static void
ct_window_finalize (GObject *object)
{
  CtWindow *self = CT_WINDOW (object);

  g_clear_pointer (&self->run, ct_run_info_free);
  g_clear_pointer (&self->run_dirs, g_ptr_array_unref);
  g_clear_pointer (&self->images, g_array_unref);
  g_clear_pointer (&self->epochs, g_array_unref);
  g_free (self->epochs_spec);
  g_free (self->opening_dir);
  g_free (self->training_dir);
  g_free (self->robustness_dir);
  g_free (self->status_note);

  G_OBJECT_CLASS (ct_window_parent_class)->finalize (object);
}

static void
ct_window_class_init (CtWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->dispose = ct_window_dispose;
  object_class->finalize = ct_window_finalize;
  object_class->get_property = ct_window_get_property;
  window_class->close_request = ct_window_close_request;

  properties[PROP_BUSY] =
    g_param_spec_boolean ("busy", NULL, NULL, FALSE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_TRAINING] =
    g_param_spec_boolean ("training", NULL, NULL, FALSE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  /* The message the window shows in its error bar, NULL when none. */
  properties[PROP_ERROR] =
    g_param_spec_string ("error", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (CT_TYPE_GRID_VIEW);
  g_type_ensure (CT_TYPE_CHART_VIEW);
  g_type_ensure (CT_TYPE_ROBUSTNESS_VIEW);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/camtrail/Camtrail/ct-window.ui");
#define BIND(name) gtk_widget_class_bind_template_child (widget_class, CtWindow, name)
  BIND (run_dropdown);
  BIND (run_names);
  BIND (busy_spinner);
  BIND (error_bar);
  BIND (error_label);
  BIND (train_revealer);
  BIND (train_label);
  BIND (train_progress);
  BIND (stack);
  BIND (empty_title);
  BIND (noise_adjustment);
  BIND (rotation_adjustment);
  BIND (occlude_adjustment);
  BIND (opacity_adjustment);
  BIND (rotation_random_check);
  BIND (patch_spin);
  BIND (rounds_spin);
  BIND (seed_spin);
  BIND (view_dropdown);
  BIND (layer_dropdown);
  BIND (layer_names);
  BIND (target_dropdown);
  BIND (colormap_dropdown);
  BIND (scale_dropdown);
  BIND (epochs_entry);
  BIND (images_entry);
  BIND (count_spin);
  BIND (misclassified_spin);
  BIND (class_dropdown);
  BIND (class_names);
  BIND (grid_view);
  BIND (chart_view);
  BIND (lower_stack);
  BIND (robustness_perturbations_entry);
  BIND (robustness_images_spin);
  BIND (robustness_chart_dropdown);
  BIND (robustness_button);
  BIND (robustness_progress);
  BIND (robustness_view);
  BIND (status_label);
#undef BIND
  gtk_widget_class_bind_template_callback (widget_class, error_bar_response_cb);
  gtk_widget_class_bind_template_callback (widget_class, epochs_entry_activate_cb);
  gtk_widget_class_bind_template_callback (widget_class, images_entry_activate_cb);
  gtk_widget_class_bind_template_callback (widget_class, cell_activated_cb);
  gtk_widget_class_bind_template_callback (widget_class, robustness_point_activated_cb);

  gtk_widget_class_install_action (widget_class, "win.open", NULL, open_action);
  gtk_widget_class_install_action (widget_class, "win.open-run", "s", open_run_action);
  gtk_widget_class_install_action (widget_class, "win.export", NULL, export_action);
  gtk_widget_class_install_action (widget_class, "win.export-to", "s", export_to_action);
  gtk_widget_class_install_action (widget_class, "win.train", NULL, train_action);
  gtk_widget_class_install_action (widget_class, "win.train-demo", NULL, train_demo_action);
  gtk_widget_class_install_action (widget_class, "win.cancel-training", NULL, cancel_training_action);
  gtk_widget_class_install_action (widget_class, "win.random-images", NULL, random_images_action);
  gtk_widget_class_install_action (widget_class, "win.misclassified-images", NULL,
                                   misclassified_images_action);
  gtk_widget_class_install_action (widget_class, "win.add-class-image", NULL, add_class_image_action);
  gtk_widget_class_install_action (widget_class, "win.set-images", "s", set_images_action);
  gtk_widget_class_install_action (widget_class, "win.set-epochs", "s", set_epochs_action);
  gtk_widget_class_install_action (widget_class, "win.reset-perturbation", NULL,
                                   reset_perturbation_action);
  gtk_widget_class_install_action (widget_class, "win.compute-robustness", NULL,
                                   compute_robustness_action);
}

static void
ct_window_init (CtWindow *self)
{
  static const char *const action_keys[] = {
    "noise-sigma", "rotation", "rotation-random", "occlude-pixels", "occlude-patch",
    "rounds", "seed", "target-rule", "colormap", "overlay-opacity", "normalisation",
    "view-mode", "layer", "robustness-perturbations", "robustness-images", "robustness-chart",
    NULL
  };

  gtk_widget_init_template (GTK_WIDGET (self));

  self->settings = g_settings_new (APP_ID);
  self->engine = ct_engine_new ();
  self->cancellable = g_cancellable_new ();
  self->run_dirs = g_ptr_array_new_with_free_func (g_free);
  self->epochs_spec = g_strdup (DEFAULT_EPOCHS);

  /* Every control is a setting, and every setting a window action. */
  for (guint i = 0; action_keys[i] != NULL; i++)
    {
      g_autoptr(GAction) action = g_settings_create_action (self->settings, action_keys[i]);
      g_action_map_add_action (G_ACTION_MAP (self), action);
    }

  g_settings_bind (self->settings, "noise-sigma", self->noise_adjustment, "value", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "rotation", self->rotation_adjustment, "value", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "rotation-random", self->rotation_random_check, "active",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "overlay-opacity", self->opacity_adjustment, "value",
                   G_SETTINGS_BIND_DEFAULT);
  bind_int (self, "occlude-pixels", self->occlude_adjustment);
  bind_int (self, "occlude-patch", gtk_spin_button_get_adjustment (self->patch_spin));
  bind_int (self, "rounds", gtk_spin_button_get_adjustment (self->rounds_spin));
  bind_int (self, "seed", gtk_spin_button_get_adjustment (self->seed_spin));
  bind_choice (self, "view-mode", self->view_dropdown, view_values);
  bind_choice (self, "target-rule", self->target_dropdown, target_values);
  bind_choice (self, "colormap", self->colormap_dropdown, colormap_values);
  bind_choice (self, "normalisation", self->scale_dropdown, scale_values);
  g_settings_bind (self->settings, "robustness-perturbations", self->robustness_perturbations_entry,
                   "text", G_SETTINGS_BIND_DEFAULT);
  bind_int (self, "robustness-images", gtk_spin_button_get_adjustment (self->robustness_images_spin));
  bind_choice (self, "robustness-chart", self->robustness_chart_dropdown, chart_values);

  gtk_window_set_default_size (GTK_WINDOW (self),
                               g_settings_get_int (self->settings, "window-width"),
                               g_settings_get_int (self->settings, "window-height"));
  if (g_settings_get_boolean (self->settings, "window-maximized"))
    gtk_window_maximize (GTK_WINDOW (self));

  g_signal_connect (self->settings, "changed", G_CALLBACK (settings_changed_cb), self);
  g_signal_connect_swapped (self->layer_dropdown, "notify::selected", G_CALLBACK (layer_selected_cb), self);
  g_signal_connect_swapped (self->run_dropdown, "notify::selected", G_CALLBACK (run_selected_cb), self);

  update_style (self);
  update_robustness_chart (self);
  gtk_stack_set_visible_child_name (self->stack, "empty");
  restore_last_run (self);
}

CtWindow *
ct_window_new (CtApplication *application)
{
  return g_object_new (CT_TYPE_WINDOW, "application", application, NULL);
}
