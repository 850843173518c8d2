/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "ct-import.h"

G_BEGIN_DECLS

/* Import Checkpoints: what Open… offers on a folder of checkpoints without
 * a manifest.  Name of the new run, architecture, dataset, epochs (filled
 * in from what the import would infer, read off the UI thread) and input
 * size; then a progress bar while the window's engine imports.  Emits
 * ::start and ::cancel; the window runs the import (ct-window-import.c). */

#define CT_TYPE_IMPORT_DIALOG (ct_import_dialog_get_type ())

G_DECLARE_FINAL_TYPE (CtImportDialog, ct_import_dialog, CT, IMPORT_DIALOG, GtkWindow)

/* @files: the checkpoints of @folder (ct_import_list_checkpoints()). */
CtImportDialog *ct_import_dialog_new          (GtkWindow          *parent,
                                               const char         *folder,
                                               const char * const *files);

/* Fills @options for a run under @runs_dir; its strings belong to the
 * dialog.  FALSE with a message the user can act on when a field is wrong. */
gboolean        ct_import_dialog_get_options  (CtImportDialog     *self,
                                               const char         *runs_dir,
                                               CtImportOptions    *options,
                                               GError            **error);
/* The dataset folder (the chooser's choice, or a script's). */
void            ct_import_dialog_set_data_dir (CtImportDialog     *self,
                                               const char         *path);
/* Returns: (transfer none): the folder of checkpoints offered. */
const char     *ct_import_dialog_get_folder   (CtImportDialog     *self);
/* TRUE once the epochs and architecture the files imply have been looked
 * for (filled in where found). */
gboolean        ct_import_dialog_is_inferred  (CtImportDialog     *self);
/* While importing the fields are locked, the bar shows and Cancel cancels. */
void            ct_import_dialog_set_running  (CtImportDialog     *self,
                                               gboolean            running);
void            ct_import_dialog_set_progress (CtImportDialog     *self,
                                               double              fraction,
                                               const char         *text);
void            ct_import_dialog_show_error   (CtImportDialog     *self,
                                               const char         *message);
/* Returns: (nullable): the message shown, for tests. */
const char     *ct_import_dialog_get_error    (CtImportDialog     *self);

G_END_DECLS
