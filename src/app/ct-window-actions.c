/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "ct-cell-dialog.h"
#include "ct-rng.h"
#include "ct-window-private.h"

/* The window's actions ("win.…"), and which of them the state allows.
 * The controls' own actions ("win.noise-sigma", …) are settings actions,
 * made in ct-window.c. */

/* Keeps a random pick of images apart from the perturbations' streams. */
#define STREAM_PICK_CLASS 0x636c6173u

static void
open_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  ct_window_choose_run (CT_WINDOW (widget));
}

static void
open_run_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  g_autoptr(GFile) folder = g_file_new_for_path (g_variant_get_string (parameter, NULL));

  ct_window_open_run (CT_WINDOW (widget), folder);
}

static void
export_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  ct_window_choose_export (CT_WINDOW (widget));
}

/* Stays enabled without a grid, for scripts: it says why it cannot export. */
static void
export_to_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  ct_window_export_to (CT_WINDOW (widget), g_variant_get_string (parameter, NULL));
}

static void
train_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  ct_window_show_train_dialog (CT_WINDOW (widget));
}

static void
train_demo_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  ct_window_train_demo (CT_WINDOW (widget));
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

  ct_session_pick_random_images (self->session, gtk_spin_button_get_value_as_int (self->count_spin));
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
        ct_window_show_error (self, _("Could not scan for misclassified images: %s"), error->message);
      return;
    }
  if (images->len == 0)
    {
      ct_window_show_error (self, _("The checkpoint of epoch %d classifies every test image correctly"),
                            gtk_spin_button_get_value_as_int (self->misclassified_spin));
      return;
    }
  ct_session_set_images (self->session, (const guint *) images->data, images->len);
}

static void
misclassified_images_action (GtkWidget  *widget,
                             const char *action_name,
                             GVariant   *parameter)
{
  CtWindow *self = CT_WINDOW (widget);
  int seed;

  g_object_get (self->session, "seed", &seed, NULL);
  ct_engine_find_misclassified (self->engine,
                                gtk_spin_button_get_value_as_int (self->misclassified_spin),
                                gtk_spin_button_get_value_as_int (self->count_spin),
                                seed, self->cancellable, misclassified_cb, g_object_ref (self));
}

static void
add_class_image_action (GtkWidget  *widget,
                        const char *action_name,
                        GVariant   *parameter)
{
  CtWindow *self = CT_WINDOW (widget);
  const CtRunInfo *run = ct_session_get_run (self->session);
  guint class = gtk_drop_down_get_selected (self->class_dropdown);
  g_autoptr(GArray) order = NULL;
  int seed;

  if (class == GTK_INVALID_LIST_POSITION)
    return;

  /* A seeded random image of the class that is not in the grid yet. */
  g_object_get (self->session, "seed", &seed, NULL);
  order = ct_rng_sample_indices (run->n_test, run->n_test, (guint64) seed ^ STREAM_PICK_CLASS);
  for (guint i = 0; i < order->len; i++)
    {
      guint index = g_array_index (order, guint, i);

      if (run->test_labels[index] == class && ct_session_add_image (self->session, index))
        return;
    }
  ct_window_show_error (self, _("Every test image of this class is already in the grid"));
}

static void
set_images_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  CtWindow *self = CT_WINDOW (widget);
  g_autoptr(GError) error = NULL;

  if (!ct_session_set_images_text (self->session, g_variant_get_string (parameter, NULL), &error))
    ct_window_set_entry_error (self, self->images_entry, error->message);
  else
    ct_window_set_entry_error (self, self->images_entry, NULL);
}

static void
set_epochs_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  CtWindow *self = CT_WINDOW (widget);
  g_autoptr(GError) error = NULL;

  if (!ct_session_set_epochs_text (self->session, g_variant_get_string (parameter, NULL), &error))
    ct_window_set_entry_error (self, self->epochs_entry, error->message);
  else
    ct_window_set_entry_error (self, self->epochs_entry, NULL);
}

static void
reset_perturbation_action (GtkWidget  *widget,
                           const char *action_name,
                           GVariant   *parameter)
{
  ct_session_reset_perturbation (CT_WINDOW (widget)->session);
}

static void
compute_robustness_action (GtkWidget  *widget,
                           const char *action_name,
                           GVariant   *parameter)
{
  ct_window_toggle_robustness (CT_WINDOW (widget));
}

static void
study_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  ct_window_show_study_dialog (CT_WINDOW (widget));
}

static void
open_study_report_action (GtkWidget  *widget,
                          const char *action_name,
                          GVariant   *parameter)
{
  ct_window_open_study_report (CT_WINDOW (widget));
}

static void
compute_faithfulness_action (GtkWidget  *widget,
                             const char *action_name,
                             GVariant   *parameter)
{
  ct_window_toggle_faithfulness (CT_WINDOW (widget));
}

static void
show_export_folder_action (GtkWidget  *widget,
                           const char *action_name,
                           GVariant   *parameter)
{
  ct_window_show_export_folder (CT_WINDOW (widget));
}

static void
undo_point_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  ct_window_undo_point (CT_WINDOW (widget));
}

/* Each step of Ctrl+plus / Ctrl+minus scales the cells by this much. */
#define ZOOM_STEP 1.25

static void
zoom_in_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  ct_grid_view_zoom (CT_WINDOW (widget)->grid_view, ZOOM_STEP);
}

static void
zoom_out_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  ct_grid_view_zoom (CT_WINDOW (widget)->grid_view, 1 / ZOOM_STEP);
}

static void
zoom_fit_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  ct_grid_view_zoom_to_fit (CT_WINDOW (widget)->grid_view);
}

void
ct_window_update_actions (CtWindow *self)
{
  GtkWidget *widget = GTK_WIDGET (self);
  gboolean has_run = ct_session_get_run (self->session) != NULL;
  gboolean training = self->training_dir != NULL;
  gboolean has_grid = ct_grid_view_get_grid (self->grid_view) != NULL &&
                      ct_grid_view_is_complete (self->grid_view);

  gtk_widget_action_set_enabled (widget, "win.export", has_grid);
  gtk_widget_action_set_enabled (widget, "win.zoom-in", has_run);
  gtk_widget_action_set_enabled (widget, "win.zoom-out", has_run);
  gtk_widget_action_set_enabled (widget, "win.zoom-fit", has_run);
  gtk_widget_action_set_enabled (widget, "win.random-images", has_run);
  gtk_widget_action_set_enabled (widget, "win.misclassified-images", has_run);
  gtk_widget_action_set_enabled (widget, "win.add-class-image", has_run);
  gtk_widget_action_set_enabled (widget, "win.set-images", has_run);
  gtk_widget_action_set_enabled (widget, "win.set-epochs", has_run);
  gtk_widget_action_set_enabled (widget, "win.compute-robustness",
                                 has_run || self->robustness_dir != NULL);
  gtk_widget_action_set_enabled (widget, "win.study",
                                 has_run || (self->engine != NULL && ct_engine_is_studying (self->engine)));
  gtk_widget_action_set_enabled (widget, "win.open-study-report", self->study_report != NULL);
  gtk_widget_action_set_enabled (widget, "win.compute-faithfulness",
                                 has_run || (self->faithfulness_panel != NULL &&
                                             ct_faithfulness_panel_is_computing (self->faithfulness_panel)));
  gtk_widget_action_set_enabled (widget, "win.train", !training);
  gtk_widget_action_set_enabled (widget, "win.undo-point", self->undo_epochs != NULL);
  gtk_widget_action_set_enabled (widget, "win.show-export-folder", self->exported_path != NULL);
  gtk_widget_action_set_enabled (widget, "win.cancel-training", training);
}

void
ct_window_class_add_actions (GtkWidgetClass *widget_class)
{
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
  gtk_widget_class_install_action (widget_class, "win.compute-faithfulness", NULL,
                                   compute_faithfulness_action);
  gtk_widget_class_install_action (widget_class, "win.undo-point", NULL, undo_point_action);
  gtk_widget_class_install_action (widget_class, "win.study", NULL, study_action);
  gtk_widget_class_install_action (widget_class, "win.open-study-report", NULL,
                                   open_study_report_action);
  gtk_widget_class_install_action (widget_class, "win.show-export-folder", NULL,
                                   show_export_folder_action);
  gtk_widget_class_install_action (widget_class, "win.zoom-in", NULL, zoom_in_action);
  gtk_widget_class_install_action (widget_class, "win.zoom-out", NULL, zoom_out_action);
  gtk_widget_class_install_action (widget_class, "win.zoom-fit", NULL, zoom_fit_action);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_plus, GDK_CONTROL_MASK, "win.zoom-in", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_equal, GDK_CONTROL_MASK, "win.zoom-in", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_KP_Add, GDK_CONTROL_MASK, "win.zoom-in", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_minus, GDK_CONTROL_MASK, "win.zoom-out", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_KP_Subtract, GDK_CONTROL_MASK,
                                       "win.zoom-out", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_0, GDK_CONTROL_MASK, "win.zoom-fit", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_KP_0, GDK_CONTROL_MASK, "win.zoom-fit", NULL);
}
