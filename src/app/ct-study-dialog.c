/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "ct-spec.h"
#include "ct-study-dialog.h"

struct _CtStudyDialog
{
  GtkWindow       parent_instance;

  char           *run_dir;
  GArray         *available;    /* (element-type int) the run's checkpoints */
  GArray         *epochs;       /* (element-type int) the last request's */
  CtCamMethod     method;       /* the last request's faithfulness method */
  char           *out_dir;      /* the last request's */

  GtkLabel       *run_label;
  GtkButton      *stop_button;
  GtkEntry       *epochs_entry;
  GtkSpinButton  *images_spin;
  GtkSpinButton  *seed_spin;
  GtkCheckButton *c10c_check;
  GtkCheckButton *faithfulness_check;
  GtkCheckButton *sanity_check;
  GtkEntry       *folder_entry;
  GtkProgressBar *progress_bar;
  GtkLabel       *error_label;
};

enum {
  SIGNAL_START,
  SIGNAL_STOP,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (CtStudyDialog, ct_study_dialog, GTK_TYPE_WINDOW)

gboolean
ct_study_dialog_get_request (CtStudyDialog   *self,
                             CtStudyRequest  *request,
                             GError         **error)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->epochs_entry));
  const char *folder = gtk_editable_get_text (GTK_EDITABLE (self->folder_entry));
  g_autofree char *trimmed = g_strstrip (g_strdup (text));
  g_autoptr(GError) local_error = NULL;
  /* As the CLI: the default list skips what the run lacks; a typed one
   * must name checkpoints that exist. */
  CtEpochsFlags flags = g_str_equal (trimmed, CT_EPOCHS_DEFAULT)
                        ? CT_EPOCHS_SKIP_MISSING : CT_EPOCHS_STRICT;
  GArray *epochs;

  g_return_val_if_fail (CT_IS_STUDY_DIALOG (self), FALSE);

  epochs = ct_epochs_parse (text, (const int *) self->available->data, self->available->len, flags,
                            &local_error);
  if (epochs == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, _("Checkpoints: %s"),
                   local_error->message);
      return FALSE;
    }
  ct_epochs_sort_unique (epochs);
  g_clear_pointer (&self->epochs, g_array_unref);
  self->epochs = epochs;
  if (epochs->len < 2)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           _("Checkpoints: a study compares at least two"));
      return FALSE;
    }
  if (*folder == '\0')
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           _("Folder: say where the report goes"));
      return FALSE;
    }
  g_free (self->out_dir);
  self->out_dir = g_strdup (folder);

  memset (request, 0, sizeof *request);
  request->epochs = (const int *) self->epochs->data;
  request->n_epochs = self->epochs->len;
  request->n_images = gtk_spin_button_get_value_as_int (self->images_spin);
  request->seed = (guint64) gtk_spin_button_get_value_as_int (self->seed_spin);
  request->method = CT_CAM_METHOD_GRADCAM;
  request->c10c = gtk_check_button_get_active (self->c10c_check);
  /* The study's own method, as camtrail-cli study --faithfulness. */
  self->method = request->method;
  if (gtk_check_button_get_active (self->faithfulness_check))
    {
      request->faithfulness_methods = &self->method;
      request->n_faithfulness_methods = 1;
    }
  request->sanity = gtk_check_button_get_active (self->sanity_check);
  request->out_dir = self->out_dir;
  return TRUE;
}

const char *
ct_study_dialog_get_run_dir (CtStudyDialog *self)
{
  g_return_val_if_fail (CT_IS_STUDY_DIALOG (self), NULL);

  return self->run_dir;
}

void
ct_study_dialog_set_running (CtStudyDialog *self,
                             gboolean       running)
{
  GtkWidget *fields[] = {
    GTK_WIDGET (self->epochs_entry), GTK_WIDGET (self->images_spin), GTK_WIDGET (self->seed_spin),
    GTK_WIDGET (self->c10c_check), GTK_WIDGET (self->faithfulness_check),
    GTK_WIDGET (self->sanity_check), GTK_WIDGET (self->folder_entry),
  };

  g_return_if_fail (CT_IS_STUDY_DIALOG (self));

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "dialog.start", !running);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "dialog.stop", running);
  /* Focus leaves a field before it is locked (a focused entry made
   * insensitive never gets its focus-out), for Stop, which the keyboard
   * wants next. */
  if (running && !gtk_widget_grab_focus (GTK_WIDGET (self->stop_button)))
    gtk_window_set_focus (GTK_WINDOW (self), NULL);
  for (guint i = 0; i < G_N_ELEMENTS (fields); i++)
    gtk_widget_set_sensitive (fields[i], !running);
}

void
ct_study_dialog_set_progress (CtStudyDialog *self,
                              double         fraction,
                              const char    *text)
{
  g_return_if_fail (CT_IS_STUDY_DIALOG (self));

  gtk_progress_bar_set_fraction (self->progress_bar, fraction);
  gtk_progress_bar_set_text (self->progress_bar, text);
}

void
ct_study_dialog_show_error (CtStudyDialog *self,
                            const char    *message)
{
  g_return_if_fail (CT_IS_STUDY_DIALOG (self));

  gtk_label_set_text (self->error_label, message != NULL ? message : "");
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), message != NULL);
}

static void
start_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  g_signal_emit (widget, signals[SIGNAL_START], 0);
}

static void
stop_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  g_signal_emit (widget, signals[SIGNAL_STOP], 0);
}

static void
ct_study_dialog_finalize (GObject *object)
{
  CtStudyDialog *self = CT_STUDY_DIALOG (object);

  g_free (self->run_dir);
  g_clear_pointer (&self->available, g_array_unref);
  g_clear_pointer (&self->epochs, g_array_unref);
  g_free (self->out_dir);

  G_OBJECT_CLASS (ct_study_dialog_parent_class)->finalize (object);
}

static void
ct_study_dialog_dispose (GObject *object)
{
  gtk_widget_dispose_template (GTK_WIDGET (object), CT_TYPE_STUDY_DIALOG);

  G_OBJECT_CLASS (ct_study_dialog_parent_class)->dispose (object);
}

static void
ct_study_dialog_class_init (CtStudyDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ct_study_dialog_dispose;
  object_class->finalize = ct_study_dialog_finalize;

  /**
   * CtStudyDialog::start:
   *
   * The user asked to run (or resume) the study with the dialog's settings.
   */
  signals[SIGNAL_START] =
    g_signal_new ("start", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  /**
   * CtStudyDialog::stop:
   *
   * The user asked to stop the study under way.
   */
  signals[SIGNAL_STOP] =
    g_signal_new ("stop", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/camtrail/Camtrail/ct-study-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, CtStudyDialog, run_label);
  gtk_widget_class_bind_template_child (widget_class, CtStudyDialog, stop_button);
  gtk_widget_class_bind_template_child (widget_class, CtStudyDialog, epochs_entry);
  gtk_widget_class_bind_template_child (widget_class, CtStudyDialog, images_spin);
  gtk_widget_class_bind_template_child (widget_class, CtStudyDialog, seed_spin);
  gtk_widget_class_bind_template_child (widget_class, CtStudyDialog, c10c_check);
  gtk_widget_class_bind_template_child (widget_class, CtStudyDialog, faithfulness_check);
  gtk_widget_class_bind_template_child (widget_class, CtStudyDialog, sanity_check);
  gtk_widget_class_bind_template_child (widget_class, CtStudyDialog, folder_entry);
  gtk_widget_class_bind_template_child (widget_class, CtStudyDialog, progress_bar);
  gtk_widget_class_bind_template_child (widget_class, CtStudyDialog, error_label);

  gtk_widget_class_install_action (widget_class, "dialog.start", NULL, start_action);
  gtk_widget_class_install_action (widget_class, "dialog.stop", NULL, stop_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
ct_study_dialog_init (CtStudyDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  gtk_editable_set_text (GTK_EDITABLE (self->epochs_entry), CT_EPOCHS_DEFAULT);
  ct_study_dialog_set_running (self, FALSE);
}

CtStudyDialog *
ct_study_dialog_new (GtkWindow  *parent,
                     const char *run_dir,
                     GArray     *epochs)
{
  CtStudyDialog *self = g_object_new (CT_TYPE_STUDY_DIALOG, "transient-for", parent, NULL);
  g_autofree char *folder = g_build_filename (run_dir, "study", NULL);
  g_autofree char *name = g_path_get_basename (run_dir);
  g_autofree char *text = NULL;

  self->run_dir = g_strdup (run_dir);
  self->available = g_array_ref (epochs);
  /* Translators: the run's folder name. */
  text = g_strdup_printf (_("The paper's study of the run “%s”: accuracy, Grad-CAM across "
                            "training, perturbations with 95%% intervals and a verdict on "
                            "each claim, into report.html and report.pdf."), name);
  gtk_label_set_text (self->run_label, text);
  gtk_editable_set_text (GTK_EDITABLE (self->folder_entry), folder);
  return self;
}
