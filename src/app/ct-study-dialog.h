/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "ct-study-job.h"

G_BEGIN_DECLS

/* Study…: the checkpoints, images, seed, optional sections and folder of
 * the paper's study on the open run, and its progress while it runs in the
 * background.  Emits ::start and ::stop; the window runs the engine's
 * study.  Closing it hides it: the study goes on. */

#define CT_TYPE_STUDY_DIALOG (ct_study_dialog_get_type ())

G_DECLARE_FINAL_TYPE (CtStudyDialog, ct_study_dialog, CT, STUDY_DIALOG, GtkWindow)

/* @epochs: (element-type int) the run's checkpoints, ascending; the folder
 * proposed is @run_dir/study. */
CtStudyDialog *ct_study_dialog_new          (GtkWindow      *parent,
                                             const char     *run_dir,
                                             GArray         *epochs);
const char    *ct_study_dialog_get_run_dir  (CtStudyDialog  *self);

/* Fills @request; its arrays and strings belong to the dialog until the
 * next call.  FALSE with a message the user can act on when a field is
 * wrong. */
gboolean       ct_study_dialog_get_request  (CtStudyDialog  *self,
                                             CtStudyRequest *request,
                                             GError        **error);
/* While running, the fields are locked, Start is off and Stop on. */
void           ct_study_dialog_set_running  (CtStudyDialog  *self,
                                             gboolean        running);
void           ct_study_dialog_set_progress (CtStudyDialog  *self,
                                             double          fraction,
                                             const char     *text);
/* @message: (nullable) NULL hides the error. */
void           ct_study_dialog_show_error   (CtStudyDialog  *self,
                                             const char     *message);

G_END_DECLS
