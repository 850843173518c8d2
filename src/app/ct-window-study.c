/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "ct-stats.h"
#include "ct-study-dialog.h"
#include "ct-window-private.h"

/* Study…: the paper's study of the open run as the engine's background
 * job, its settings and progress in a dialog that may be closed while it
 * runs; when done, a note offers to open the report. */

static void
destroy_dialog (CtWindow *self)
{
  CtStudyDialog *dialog = g_steal_pointer (&self->study_dialog);

  if (dialog == NULL)
    return;
  g_object_remove_weak_pointer (G_OBJECT (dialog), (gpointer *) &self->study_dialog);
  gtk_window_destroy (GTK_WINDOW (dialog));
}

static void
study_progress_cb (CtEngine                  *engine,
                   const CtEngineStudyStatus *status,
                   gpointer                   user_data)
{
  CtWindow *self = user_data;
  g_autofree char *text = NULL;
  char eta[32] = "–";

  if (self->study_dialog == NULL)
    return;
  if (status->paused)
    /* Translators: step, number of steps, what is being measured. */
    text = g_strdup_printf (_("Step %u of %u · %s · paused while the grid is computed"),
                            status->step, status->n_steps, status->part);
  else
    {
      if (status->eta_seconds >= 0)
        ct_stats_format_duration (status->eta_seconds, eta, sizeof eta);
      /* Translators: step, number of steps, what is being measured, time left. */
      text = g_strdup_printf (_("Step %u of %u · %s · %s left"), status->step, status->n_steps,
                              status->part, eta);
    }
  ct_study_dialog_set_progress (self->study_dialog, status->fraction, text);
}

static void
study_done_cb (CtEngine     *engine,
               const char   *report,
               const GError *error,
               gpointer      user_data)
{
  CtWindow *self = user_data;
  gboolean cancelled = error != NULL && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_autofree char *text = NULL;

  if (self->study_dialog != NULL)
    {
      ct_study_dialog_set_running (self->study_dialog, FALSE);
      if (error != NULL)
        {
          ct_study_dialog_set_progress (self->study_dialog, 0,
                                        cancelled ? _("Stopped: Start continues where it stopped")
                                                  : _("Failed"));
          if (!cancelled)
            ct_study_dialog_show_error (self->study_dialog, error->message);
        }
      else
        ct_study_dialog_set_progress (self->study_dialog, 1, _("Done"));
    }
  if (error != NULL)
    {
      if (!cancelled)
        ct_window_show_error (self, _("The study stopped: %s"), error->message);
      ct_window_update_actions (self);
      return;
    }

  g_free (self->study_report);
  self->study_report = g_strdup (report);
  ct_window_update_actions (self);
  /* Translators: the path of report.html. */
  text = g_strdup_printf (_("The study is done: %s"), report);
  ct_window_show_note (self, text, _("_Open Report"), "win.open-study-report");
}

static void
study_dialog_start_cb (CtWindow      *self,
                       CtStudyDialog *dialog)
{
  g_autoptr(GError) error = NULL;
  CtStudyRequest request;

  if (!ct_study_dialog_get_request (dialog, &request, &error) ||
      !ct_engine_run_study (self->engine, ct_study_dialog_get_run_dir (dialog), &request,
                            study_progress_cb, study_done_cb, self, &error))
    {
      ct_study_dialog_show_error (dialog, error->message);
      return;
    }
  ct_study_dialog_show_error (dialog, NULL);
  ct_study_dialog_set_running (dialog, TRUE);
  ct_study_dialog_set_progress (dialog, 0, _("Loading the run…"));
  ct_window_update_actions (self);
}

static void
study_dialog_stop_cb (CtWindow      *self,
                      CtStudyDialog *dialog)
{
  ct_engine_cancel_study (self->engine);
}

void
ct_window_show_study_dialog (CtWindow *self)
{
  const CtRunInfo *run = ct_session_get_run (self->session);
  gboolean studying = ct_engine_is_studying (self->engine);

  /* The dialog of a study under way, or of the open run, is kept. */
  if (self->study_dialog != NULL && !studying &&
      (run == NULL || g_strcmp0 (ct_study_dialog_get_run_dir (self->study_dialog), run->run_dir) != 0))
    destroy_dialog (self);
  if (self->study_dialog == NULL)
    {
      if (run == NULL)
        return;
      self->study_dialog = ct_study_dialog_new (GTK_WINDOW (self), run->run_dir, run->epochs);
      /* Whoever destroys it, the window forgets it. */
      g_object_add_weak_pointer (G_OBJECT (self->study_dialog), (gpointer *) &self->study_dialog);
      g_signal_connect_swapped (self->study_dialog, "start", G_CALLBACK (study_dialog_start_cb), self);
      g_signal_connect_swapped (self->study_dialog, "stop", G_CALLBACK (study_dialog_stop_cb), self);
    }
  gtk_window_present (GTK_WINDOW (self->study_dialog));
}

void
ct_window_open_study_report (CtWindow *self)
{
  g_autoptr(GFile) file = NULL;
  g_autofree char *uri = NULL;

  if (self->study_report == NULL)
    return;
  file = g_file_new_for_path (self->study_report);
  uri = g_file_get_uri (file);
  gtk_show_uri (GTK_WINDOW (self), uri, GDK_CURRENT_TIME);
}

void
ct_window_dispose_study (CtWindow *self)
{
  destroy_dialog (self);
  g_clear_pointer (&self->study_report, g_free);
}

const char *
ct_window_get_study_report (CtWindow *self)
{
  g_return_val_if_fail (CT_IS_WINDOW (self), NULL);

  return self->study_report;
}
