/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "ct-train.h"

G_BEGIN_DECLS

/* Train…: dataset, architecture (every one the CLI knows), epochs, batch,
 * learning rate, seed, initial weights (--init), input size and, for image
 * folders, image size of a new run.  Emits ::start; the window starts the engine's training. */

#define CT_TYPE_TRAIN_DIALOG (ct_train_dialog_get_type ())

G_DECLARE_FINAL_TYPE (CtTrainDialog, ct_train_dialog, CT, TRAIN_DIALOG, GtkWindow)

CtTrainDialog *ct_train_dialog_new         (GtkWindow      *parent);

/* Fills @options for a run under @runs_dir; its strings belong to the
 * dialog.  FALSE with a message the user can act on when a field is wrong. */
gboolean       ct_train_dialog_get_options (CtTrainDialog  *self,
                                            const char     *runs_dir,
                                            CtTrainOptions *options,
                                            GError        **error);
/* The dataset folder and the initial weights (@path NULL: random), as the
 * choosers set them; for scripts and tests too. */
void           ct_train_dialog_set_data_dir  (CtTrainDialog *self,
                                              const char    *path);
void           ct_train_dialog_set_init_file (CtTrainDialog *self,
                                              const char    *path);
void           ct_train_dialog_show_error  (CtTrainDialog  *self,
                                            const char     *message);

G_END_DECLS
