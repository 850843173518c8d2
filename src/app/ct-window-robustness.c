/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "ct-stats.h"
#include "ct-window-private.h"

/* The robustness study of the open run below the grid, whose points open
 * their images in the grid. */

void
ct_window_update_robustness_chart (CtWindow *self)
{
  g_autofree char *chart = g_settings_get_string (self->settings, "robustness-chart");

  for (guint i = 0; i < CT_ROBUSTNESS_N_CHARTS; i++)
    if (g_strcmp0 (ct_robustness_chart_to_string (i), chart) == 0)
      ct_robustness_view_set_chart (self->robustness_view, i);
}

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
  ct_window_update_actions (self);
  if (error != NULL)
    {
      gtk_progress_bar_set_fraction (self->robustness_progress, 0);
      gtk_progress_bar_set_text (self->robustness_progress,
                                 g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)
                                 ? _("Stopped") : _("Failed"));
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        ct_window_show_error (self, _("Could not compute the robustness study: %s"), error->message);
      return;
    }

  /* Another run opened meanwhile: the study is of no use to its charts. */
  if (g_strcmp0 (ct_session_get_run_dir (self->session), run_dir) != 0)
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
  g_autoptr(GArray) perturbations = NULL;
  g_autoptr(GError) error = NULL;
  CtRobustnessRequest request;

  if (!ct_session_build_robustness_request (self->session, &request))
    return;
  perturbations = ct_robustness_parse_perturbations (text, &error);
  if (perturbations == NULL)
    {
      g_autofree char *message = g_strdup_printf (_("Could not read the perturbations: %s"),
                                                  error->message);

      ct_window_set_entry_error (self, self->robustness_perturbations_entry, message);
      return;
    }
  ct_window_set_entry_error (self, self->robustness_perturbations_entry, NULL);

  request.perturbations = (const CtPerturb *) perturbations->data;
  request.n_perturbations = perturbations->len;
  request.n_images = g_settings_get_int (self->settings, "robustness-images");
  if (!ct_engine_compute_robustness (self->engine, ct_session_get_run_dir (self->session), &request,
                                     robustness_progress_cb, robustness_done_cb, self, &error))
    {
      ct_window_show_error (self, _("Could not start the robustness study: %s"), error->message);
      return;
    }

  self->robustness_dir = g_strdup (ct_session_get_run_dir (self->session));
  gtk_button_set_label (self->robustness_button, _("Stop"));
  gtk_progress_bar_set_fraction (self->robustness_progress, 0);
  gtk_progress_bar_set_text (self->robustness_progress, _("Loading the run…"));
  gtk_stack_set_visible_child_name (self->lower_stack, "robustness");
  ct_window_update_actions (self);
}

void
ct_window_toggle_robustness (CtWindow *self)
{
  if (ct_engine_is_computing_robustness (self->engine))
    ct_engine_cancel_robustness (self->engine);
  else
    start_robustness (self);
}

void
ct_window_forget_robustness (CtWindow *self)
{
  ct_robustness_view_take_result (self->robustness_view, NULL);
  if (self->robustness_dir == NULL)
    {
      gtk_progress_bar_set_fraction (self->robustness_progress, 0);
      gtk_progress_bar_set_text (self->robustness_progress, "");
    }
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
  if (!adjustment_holds (self->noise_adjustment, perturb->noise_sigma) ||
      !adjustment_holds (self->rotation_adjustment, perturb->rotate_degrees) ||
      !adjustment_holds (self->occlude_adjustment, perturb->occlude_count) ||
      !adjustment_holds (gtk_spin_button_get_adjustment (self->patch_spin), perturb->occlude_patch))
    return FALSE;
  return ct_session_set_perturb (self->session, perturb);
}

static void
forget_undo (CtWindow *self)
{
  g_clear_pointer (&self->undo_images, g_array_unref);
  g_clear_pointer (&self->undo_epochs, g_free);
  g_clear_pointer (&self->undo_view_mode, g_free);
  ct_window_update_actions (self);
}

/* Keeps what the grid shows now, for a point's Undo. */
static void
remember_for_undo (CtWindow *self)
{
  GArray *images = ct_session_get_images (self->session);
  double noise, rotation;
  gboolean random;
  int pixels, patch;

  forget_undo (self);
  self->undo_images = images != NULL ? g_array_copy (images) : NULL;
  self->undo_epochs = g_strdup (ct_session_get_epochs_text (self->session));
  g_object_get (self->session, "noise-sigma", &noise, "rotation", &rotation, "rotation-random", &random,
                "occlude-pixels", &pixels, "occlude-patch", &patch, "view-mode", &self->undo_view_mode,
                NULL);
  ct_perturb_init (&self->undo_perturb);
  self->undo_perturb.noise_sigma = noise;
  self->undo_perturb.rotate_degrees = rotation;
  self->undo_perturb.rotate_random = random;
  self->undo_perturb.occlude_count = pixels;
  self->undo_perturb.occlude_patch = patch;
}

void
ct_window_undo_point (CtWindow *self)
{
  if (self->undo_epochs == NULL)
    return;
  if (self->undo_images != NULL)
    ct_session_set_images (self->session, (const guint *) self->undo_images->data,
                           self->undo_images->len);
  ct_session_set_epochs_text (self->session, self->undo_epochs, NULL);
  ct_session_set_perturb (self->session, &self->undo_perturb);
  g_object_set (self->session, "view-mode", self->undo_view_mode, NULL);
  g_clear_pointer (&self->status_note, g_free);
  forget_undo (self);
  ct_robustness_view_clear_applied (self->robustness_view);
  ct_window_hide_note (self);
  ct_window_update_status (self);
}

/* A point of the chart opens its images in the grid: the first images of
 * the study, at the point's epoch, under the point's perturbation; a note
 * over the grid says so, with an Undo. */
void
ct_window_robustness_point_activated_cb (CtWindow         *self,
                                         guint             epoch_index,
                                         int               perturbation,
                                         CtRobustnessView *view)
{
  CtRobustness *result = ct_robustness_view_get_result (view);
  g_autofree char *note = NULL;
  g_autofree char *text = NULL;
  CtPerturb clean;
  int epoch;

  if (result == NULL || ct_session_get_epochs (self->session) == NULL)
    return;

  remember_for_undo (self);
  epoch = result->epochs[epoch_index].epoch;
  ct_session_set_images (self->session, result->image_indices,
                         MIN (result->n_images, DEFAULT_IMAGE_COUNT));
  ct_session_include_epoch (self->session, epoch, NULL);

  if (perturbation < 0)
    {
      /* The clean accuracy's point: no perturbation, which always fits. */
      ct_perturb_init (&clean);
      set_perturbation (self, &clean);
    }
  else if (!set_perturbation (self, &result->perturbations[perturbation]))
    /* Translators: a perturbation such as "c10c:fog-3". */
    note = g_strdup_printf (_("the grid's controls cannot show %s, so they keep their values"),
                            result->labels[perturbation]);

  /* Translators: number of images, epoch, perturbation such as "noise:0.1". */
  text = g_strdup_printf (ngettext ("Showing the study's first %1$u image at epoch %2$d, %3$s",
                                    "Showing the study's first %1$u images at epoch %2$d, %3$s",
                                    MIN (result->n_images, DEFAULT_IMAGE_COUNT)),
                          MIN (result->n_images, DEFAULT_IMAGE_COUNT), epoch,
                          perturbation < 0 ? _("without perturbation") : result->labels[perturbation]);
  if (note != NULL)
    {
      g_autofree char *line = g_strconcat (text, " (", note, ")", NULL);

      ct_window_show_note (self, line, _("_Undo"), "win.undo-point");
    }
  else
    ct_window_show_note (self, text, _("_Undo"), "win.undo-point");
  ct_window_update_actions (self);

  /* After the session's changes, which clear an older note. */
  g_free (self->status_note);
  self->status_note = g_steal_pointer (&note);
  ct_window_update_status (self);
}
