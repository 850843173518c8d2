/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "ct-cell-dialog.h"
#include "ct-window-private.h"

/* The window itself: its template, lifetime and properties, the error bar
 * and spinner, the status line and the grid requests the session's changes
 * become. */

G_DEFINE_FINAL_TYPE (CtWindow, ct_window, GTK_TYPE_APPLICATION_WINDOW)

enum {
  PROP_0,
  PROP_BUSY,
  PROP_TRAINING,
  PROP_ERROR,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* Settings keys that only change how the grid is drawn. */
static const char *const style_keys[] = {
  "colormap", "overlay-opacity", "cell-size", NULL
};

void
ct_window_show_error (CtWindow   *self,
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

void
ct_window_hide_error (CtWindow *self)
{
  if (!gtk_info_bar_get_revealed (self->error_bar))
    return;
  gtk_info_bar_set_revealed (self->error_bar, FALSE);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ERROR]);
}

void
ct_window_set_entry_error (CtWindow   *self,
                           GtkEntry   *entry,
                           const char *message)
{
  if (message != NULL)
    {
      gtk_widget_add_css_class (GTK_WIDGET (entry), "error");
      ct_window_show_error (self, "%s", message);
    }
  else if (gtk_widget_has_css_class (GTK_WIDGET (entry), "error"))
    {
      gtk_widget_remove_css_class (GTK_WIDGET (entry), "error");
      ct_window_hide_error (self);
    }
}

void
ct_window_notify_training (CtWindow *self)
{
  ct_window_update_actions (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TRAINING]);
}

/* A note stays this long. */
#define NOTE_SECONDS 10

void
ct_window_hide_note (CtWindow *self)
{
  g_clear_handle_id (&self->note_source, g_source_remove);
  gtk_revealer_set_reveal_child (self->note_revealer, FALSE);
}

static gboolean
hide_note_cb (gpointer user_data)
{
  CtWindow *self = user_data;

  self->note_source = 0;
  ct_window_hide_note (self);
  return G_SOURCE_REMOVE;
}

void
ct_window_show_note (CtWindow   *self,
                     const char *text,
                     const char *button_label,
                     const char *action_name)
{
  gtk_label_set_text (self->note_label, text);
  gtk_button_set_label (self->note_button, button_label);
  gtk_actionable_set_action_name (GTK_ACTIONABLE (self->note_button), action_name);
  gtk_revealer_set_reveal_child (self->note_revealer, TRUE);
  g_clear_handle_id (&self->note_source, g_source_remove);
  self->note_source = g_timeout_add_seconds (NOTE_SECONDS, hide_note_cb, self);
}

static void
error_bar_response_cb (GtkInfoBar *bar,
                       int         response,
                       CtWindow   *self)
{
  ct_window_hide_error (self);
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
  ct_window_update_actions (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY]);
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

void
ct_window_update_status (CtWindow *self)
{
  g_autofree char *text = NULL;
  const CtRunInfo *run = ct_session_get_run (self->session);
  const CtManifest *manifest;
  CtGrid *grid = ct_grid_view_get_grid (self->grid_view);

  if (run == NULL)
    {
      gtk_label_set_text (self->status_label, "");
      return;
    }

  manifest = run->manifest;
  /* Translators: arch, dataset, number of checkpoints, target layer, perturbation. */
  text = g_strdup_printf (ngettext ("%s on %s · %u checkpoint · layer %s · %s",
                                    "%s on %s · %u checkpoints · layer %s · %s",
                                    run->epochs->len),
                          manifest->arch, manifest->dataset, run->epochs->len,
                          grid != NULL && grid->layer != NULL ? grid->layer : manifest->default_layer,
                          grid != NULL && grid->perturbation != NULL &&
                          !g_str_equal (grid->perturbation, "none")
                          ? grid->perturbation : _("no perturbation"));
  {
    /* The method, or the methods compared, and Score-CAM's progress. */
    g_autofree char *passes = ct_window_dup_passes_note (self);
    g_autofree char *methods = ct_window_dup_methods_note (self);
    g_autofree char *line = g_strjoin (" · ", text, methods,
                                       self->status_note != NULL ? self->status_note : passes,
                                       self->status_note != NULL ? passes : NULL, NULL);

    gtk_label_set_text (self->status_label, line);
  }
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

  if (grid != NULL && grid->perturbation != NULL && !g_str_equal (grid->perturbation, "none"))
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

/* Grid requests ----------------------------------------------------------- */

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
  ct_window_update_status (self);
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
    ct_window_show_error (self, _("Could not compute the heatmaps: %s"), error->message);
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
  CtCamRequest request;

  self->request_source = 0;
  if (!ct_session_build_request (self->session, &request))
    {
      set_busy (self, ct_engine_is_busy (self->engine));
      return G_SOURCE_REMOVE;
    }

  ct_window_watch_passes (self, &request);
  ct_grid_view_begin (self->grid_view, request.n_epochs);
  self->generation = ct_engine_request_grid (self->engine, &request, rows_cb, done_cb, self);
  ct_window_update_actions (self);
  return G_SOURCE_REMOVE;
}

/* A slider drag changes several values per frame; they become one request
 * once the main loop is idle.  The window is busy from the change on, so
 * whoever waits for the grid (the spinner, tests, bench/ui-latency) never
 * takes the previous grid for the new one. */
void
ct_window_request_grid (CtWindow *self)
{
  set_busy (self, TRUE);
  if (self->request_source == 0)
    self->request_source = g_idle_add_full (G_PRIORITY_HIGH_IDLE, request_grid_idle_cb, self, NULL);
}

static void
session_changed_cb (CtWindow  *self,
                    CtSession *session)
{
  /* A note on the perturbation the grid could not show is old news. */
  g_clear_pointer (&self->status_note, g_free);
  ct_window_request_grid (self);
}

static void
settings_changed_cb (GSettings  *settings,
                     const char *key,
                     CtWindow   *self)
{
  if (g_strv_contains (style_keys, key))
    update_style (self);
  else if (g_str_equal (key, "robustness-chart"))
    ct_window_update_robustness_chart (self);
}

/* Runs -------------------------------------------------------------------- */

static void
cell_activated_cb (CtWindow   *self,
                   guint       row,
                   guint       image,
                   guint       round,
                   CtGridView *view)
{
  CtGrid *grid = ct_grid_view_get_grid (view);
  CtCellDialog *dialog;

  if (grid == NULL)
    return;
  dialog = ct_cell_dialog_new (GTK_WINDOW (self), self->engine, grid, row, image, round,
                               ct_grid_view_get_style (view));
  gtk_window_present (GTK_WINDOW (dialog));
}

/* Lifetime ---------------------------------------------------------------- */

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

CtSession *
ct_window_get_session (CtWindow *self)
{
  g_return_val_if_fail (CT_IS_WINDOW (self), NULL);
  return self->session;
}

const char *
ct_window_get_run_dir (CtWindow *self)
{
  g_return_val_if_fail (CT_IS_WINDOW (self), NULL);
  return ct_session_get_run_dir (self->session);
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
  ct_window_finalize_compare (self);
  g_clear_handle_id (&self->request_source, g_source_remove);
  g_clear_handle_id (&self->spinner_source, g_source_remove);
  g_clear_handle_id (&self->note_source, g_source_remove);
  ct_window_dispose_study (self);
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  if (self->session != NULL)
    g_signal_handlers_disconnect_by_data (self->session, self);
  gtk_widget_dispose_template (GTK_WIDGET (self), CT_TYPE_WINDOW);
  g_clear_object (&self->session);
  g_clear_object (&self->engine);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (ct_window_parent_class)->dispose (object);
}

static void
ct_window_finalize (GObject *object)
{
  CtWindow *self = CT_WINDOW (object);

  g_clear_pointer (&self->run_dirs, g_ptr_array_unref);
  g_free (self->opening_dir);
  g_free (self->training_dir);
  g_free (self->robustness_dir);
  g_free (self->status_note);
  g_clear_pointer (&self->undo_images, g_array_unref);
  g_free (self->undo_epochs);
  g_free (self->undo_view_mode);
  g_free (self->exported_path);

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
  BIND (method_dropdown);
  BIND (method_names);
  BIND (compare_menu_button);
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
  BIND (note_revealer);
  BIND (note_label);
  BIND (note_button);
#undef BIND
  gtk_widget_class_bind_template_callback (widget_class, error_bar_response_cb);
  gtk_widget_class_bind_template_callback_full (widget_class, "epochs_entry_activate_cb",
                                                G_CALLBACK (ct_window_epochs_entry_activate_cb));
  gtk_widget_class_bind_template_callback_full (widget_class, "images_entry_activate_cb",
                                                G_CALLBACK (ct_window_images_entry_activate_cb));
  gtk_widget_class_bind_template_callback (widget_class, cell_activated_cb);
  gtk_widget_class_bind_template_callback_full (widget_class, "robustness_point_activated_cb",
                                                G_CALLBACK (ct_window_robustness_point_activated_cb));

  ct_window_class_add_actions (widget_class);
}

static void
ct_window_init (CtWindow *self)
{
  static const char *const action_keys[] = {
    "noise-sigma", "rotation", "rotation-random", "occlude-pixels", "occlude-patch",
    "rounds", "seed", "target-rule", "colormap", "overlay-opacity", "normalisation",
    "view-mode", "layer", "method", "robustness-perturbations", "robustness-images", "robustness-chart",
    "faithfulness-method", "faithfulness-images", "faithfulness-baseline", "faithfulness-chart",
    "faithfulness-sanity",
    NULL
  };

  gtk_widget_init_template (GTK_WIDGET (self));

  self->settings = g_settings_new (APP_ID);
  self->session = ct_session_new (self->settings);
  self->engine = ct_engine_new ();
  self->cancellable = g_cancellable_new ();
  self->run_dirs = g_ptr_array_new_with_free_func (g_free);

  /* Every control is a setting, and every setting a window action. */
  for (guint i = 0; action_keys[i] != NULL; i++)
    {
      g_autoptr(GAction) action = g_settings_create_action (self->settings, action_keys[i]);
      g_action_map_add_action (G_ACTION_MAP (self), action);
    }

  ct_window_bind_controls (self);
  ct_window_init_compare (self);
  ct_window_init_faithfulness (self);

  gtk_window_set_default_size (GTK_WINDOW (self),
                               g_settings_get_int (self->settings, "window-width"),
                               g_settings_get_int (self->settings, "window-height"));
  if (g_settings_get_boolean (self->settings, "window-maximized"))
    gtk_window_maximize (GTK_WINDOW (self));

  g_signal_connect (self->settings, "changed", G_CALLBACK (settings_changed_cb), self);
  g_signal_connect_swapped (self->session, "changed", G_CALLBACK (session_changed_cb), self);

  update_style (self);
  ct_window_update_robustness_chart (self);
  ct_window_update_actions (self);
  gtk_stack_set_visible_child_name (self->stack, "empty");
  ct_window_init_runs (self);
}

CtWindow *
ct_window_new (CtApplication *application)
{
  return g_object_new (CT_TYPE_WINDOW, "application", application, NULL);
}
