/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <glib/gi18n.h>

#include "ct-import-dialog.h"
#include "ct-window-private.h"

/* Open… on a folder of checkpoints without a manifest (and `camtrail
 * FOLDER`, a file manager's Open With): the Import Checkpoints dialog, the
 * engine's import on its background thread, and the new run opened. */

typedef struct {
  CtWindow *window;     /* the engine, and so this job, ends before the window */
  GWeakRef  dialog;     /* closed dialogs are not told */
  char     *out_dir;
} ImportJob;

static void
import_job_free (ImportJob *job)
{
  g_weak_ref_clear (&job->dialog);
  g_free (job->out_dir);
  g_free (job);
}

static void
import_status_cb (CtEngine                   *engine,
                  const CtEngineImportStatus *status,
                  gpointer                    user_data)
{
  ImportJob *job = user_data;
  g_autoptr(CtImportDialog) dialog = g_weak_ref_get (&job->dialog);
  g_autofree char *text = NULL;

  if (dialog == NULL)
    return;
  if (status->epoch < 0)
    text = g_strdup (status->message);
  else if (status->test_accuracy >= 0)
    /* Translators: checkpoints done, of all; the epoch just imported; its test accuracy. */
    text = g_strdup_printf (_("%u of %u · epoch %d · test accuracy %.1f%%"), status->done,
                            status->total, status->epoch, 100.0 * status->test_accuracy);
  else
    /* Translators: checkpoints done, of all; the epoch being measured. */
    text = g_strdup_printf (_("%u of %u · measuring epoch %d…"), status->done, status->total,
                            status->epoch);
  ct_import_dialog_set_progress (CT_IMPORT_DIALOG (dialog), status->fraction, text);
}

static void
import_done_cb (CtEngine     *engine,
                const GError *error,
                gpointer      user_data)
{
  ImportJob *job = user_data;
  g_autoptr(CtImportDialog) dialog = g_weak_ref_get (&job->dialog);
  CtWindow *self = job->window;

  if (error == NULL)
    {
      if (dialog != NULL)
        gtk_window_destroy (GTK_WINDOW (dialog));
      ct_window_refresh_run_list (self, job->out_dir);
      ct_window_open_run_dir (self, job->out_dir);
    }
  else if (dialog != NULL)
    {
      ct_import_dialog_set_running (dialog, FALSE);
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        ct_import_dialog_show_error (dialog, _("Import cancelled"));
      else
        ct_import_dialog_show_error (dialog, error->message);
    }
  else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    ct_window_show_error (self, _("Could not import: %s"), error->message);
  import_job_free (job);
}

static void
dialog_start_cb (CtImportDialog *dialog,
                 CtWindow       *self)
{
  g_autofree char *runs_dir = ct_application_dup_runs_dir ();
  g_autoptr(GError) error = NULL;
  CtImportOptions options;
  ImportJob *job;

  if (!ct_import_dialog_get_options (dialog, runs_dir, &options, &error))
    {
      ct_import_dialog_show_error (dialog, error->message);
      return;
    }
  /* The run lives under the runs folder, as trained ones do. */
  if (g_mkdir_with_parents (runs_dir, 0755) != 0)
    {
      g_autofree char *message = g_strdup_printf (_("Cannot create %s: %s"), runs_dir,
                                                  g_strerror (errno));
      ct_import_dialog_show_error (dialog, message);
      return;
    }

  job = g_new0 (ImportJob, 1);
  job->window = self;
  g_weak_ref_init (&job->dialog, dialog);
  job->out_dir = g_strdup (options.out_dir);
  if (!ct_engine_import (self->engine, &options, import_status_cb, import_done_cb, job, &error))
    {
      ct_import_dialog_show_error (dialog, error->message);
      import_job_free (job);
      return;
    }
  ct_import_dialog_set_running (dialog, TRUE);
}

static void
dialog_cancel_cb (CtImportDialog *dialog,
                  CtWindow       *self)
{
  ct_engine_cancel_import (self->engine);
}

static CtImportDialog *
find_import_dialog (CtWindow *self)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWindow) toplevel = g_list_model_get_item (toplevels, i);

      if (CT_IS_IMPORT_DIALOG (toplevel) &&
          gtk_window_get_transient_for (toplevel) == GTK_WINDOW (self))
        return CT_IMPORT_DIALOG (toplevel);
    }
  return NULL;
}

gboolean
ct_window_offer_import (CtWindow   *self,
                        const char *folder)
{
  g_auto(GStrv) files = ct_import_list_checkpoints (folder);
  CtImportDialog *dialog;

  if (files == NULL)
    return FALSE;
  /* One at a time: a second Open With brings the first back. */
  dialog = find_import_dialog (self);
  if (dialog == NULL)
    {
      dialog = ct_import_dialog_new (GTK_WINDOW (self), folder, (const char * const *) files);
      g_signal_connect_object (dialog, "start", G_CALLBACK (dialog_start_cb), self, 0);
      g_signal_connect_object (dialog, "cancel", G_CALLBACK (dialog_cancel_cb), self, 0);
    }
  gtk_window_present (GTK_WINDOW (dialog));
  return TRUE;
}
