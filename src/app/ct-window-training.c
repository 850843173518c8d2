/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "ct-stats.h"
#include "ct-train-dialog.h"
#include "ct-window-private.h"

/* Training a run in the engine, with the progress bar under the header;
 * rows appear in the grid as epochs are saved. */

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
      if (status->epoch_fraction > 0)
        {
          /* Translators: an image folder's images decoded into its cache, in percent. */
          text = g_strdup_printf (_("Caching the images… %.0f %%"), 100.0 * status->epoch_fraction);
          gtk_progress_bar_set_fraction (self->train_progress, status->epoch_fraction);
          break;
        }
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
          ct_window_refresh_run_list (self, self->training_dir);
          ct_window_open_run_dir (self, self->training_dir);
        }
      else if (g_strcmp0 (ct_session_get_run_dir (self->session), self->training_dir) == 0)
        ct_window_refresh_run (self);
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
    ct_window_show_error (self, _("Training stopped: %s"), error->message);
  g_clear_pointer (&self->training_dir, g_free);
  self->open_when_saved = FALSE;
  ct_window_notify_training (self);
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
      ct_window_show_error (self, _("Could not start training: %s"), error->message);
      return;
    }

  g_free (self->training_dir);
  self->training_dir = g_strdup (options->out_dir);
  self->open_when_saved = open_when_saved;
  gtk_label_set_text (self->train_label, _("Starting…"));
  gtk_progress_bar_set_fraction (self->train_progress, 0);
  gtk_revealer_set_reveal_child (self->train_revealer, TRUE);
  ct_window_notify_training (self);
}

/* Whether @run_dir holds a run trained to its last epoch. */
static gboolean
run_is_complete (const char *run_dir)
{
  g_autoptr(CtManifest) manifest = ct_manifest_load (run_dir, NULL);
  g_autoptr(GArray) epochs = manifest != NULL ? ct_run_list_checkpoints (run_dir, NULL) : NULL;

  return epochs != NULL && epochs->len > 0 &&
         g_array_index (epochs, int, epochs->len - 1) >= manifest->hyper.epochs;
}

void
ct_window_open_demo (CtWindow *self)
{
  g_autofree char *runs_dir = ct_application_dup_runs_dir ();
  g_autofree char *run_dir = g_build_filename (runs_dir, CT_RUN_DEMO_NAME, NULL);
  g_autoptr(CtManifest) existing = NULL;
  g_autoptr(GArray) epochs = NULL;
  CtTrainOptions options;

  g_return_if_fail (CT_IS_WINDOW (self));

  if (run_is_complete (run_dir))
    {
      ct_window_refresh_run_list (self, run_dir);
      ct_window_open_run_dir (self, run_dir);
      return;
    }
  existing = ct_manifest_load (run_dir, NULL);
  epochs = existing != NULL ? ct_run_list_checkpoints (run_dir, NULL) : NULL;

  if (ct_engine_is_training (self->engine))
    return;
  if (g_mkdir_with_parents (runs_dir, 0755) != 0)
    {
      ct_window_show_error (self, _("Could not create %s: %s"), runs_dir, g_strerror (errno));
      return;
    }
  ct_train_options_init_demo (&options, run_dir);
  /* A demo run that was interrupted continues where it stopped. */
  options.resume = existing != NULL && epochs != NULL && epochs->len > 0;
  if (options.resume)
    {
      ct_window_refresh_run_list (self, run_dir);
      ct_window_open_run_dir (self, run_dir);
    }
  ct_window_train (self, &options, !options.resume);
}

void
ct_window_train_demo (CtWindow *self)
{
  g_autofree char *runs_dir = ct_application_dup_runs_dir ();
  g_autofree char *run_dir = g_build_filename (runs_dir, CT_RUN_DEMO_NAME, NULL);

  /* Asked for, a demo that exists is said to exist, not silently opened. */
  if (run_is_complete (run_dir))
    ct_window_show_note (self, _("The demo run is trained already: it is open"), _("_Train…"),
                         "win.train");
  ct_window_open_demo (self);
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

void
ct_window_show_train_dialog (CtWindow *self)
{
  CtTrainDialog *dialog = ct_train_dialog_new (GTK_WINDOW (self));

  g_signal_connect_swapped (dialog, "start", G_CALLBACK (train_dialog_start_cb), self);
  gtk_window_present (GTK_WINDOW (dialog));
}
