/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "ct-run.h"

G_BEGIN_DECLS

/* camtrail-cli import: checkpoints from a PyTorch script become an ordinary
 * run.  Each file (safetensors or torch.save's zip, a state dict at the
 * top or under a usual key, with or without module./_orig_mod. prefixes)
 * is checked against the architecture, converted to epoch-NNN.safetensors
 * and measured on the dataset's test split (and train split when asked);
 * the manifest, written last, marks the run imported with each source's
 * file name and SHA-256. */

typedef struct {
  const char         *arch;          /* "resnet18" also takes the ImageNet stem, by the shapes */
  const char         *data;          /* dataset directory or alias */
  const char         *out_dir;
  const char * const *files;
  guint               n_files;
  const char         *epochs;        /* "0,1,2,3,20", or NULL: ct_weights_assign_epochs() */
  int                 input_size;    /* 0 = the dataset's image size */
  gboolean            train_metrics; /* measure the train split too */
  int                 threads;       /* 0 = number of cores */
} CtImportOptions;

typedef struct {
  guint                 done;        /* checkpoints finished */
  guint                 total;
  int                   epoch;       /* the one being imported, or just finished */
  const char           *file;
  const CtEpochMetrics *metrics;     /* when one has just finished, else NULL */
  const char           *message;     /* a line to show, or NULL */
} CtImportReport;

typedef void (*CtImportReportFunc) (const CtImportReport *report,
                                    gpointer              user_data);

gboolean ct_import_run (const CtImportOptions *options,
                        CtImportReportFunc     report,
                        gpointer               user_data,
                        GCancellable          *cancellable,
                        GError               **error);

/* The checkpoint files (.safetensors, .pt, .pth, .bin) of @dir, sorted by
 * name, when @dir holds some and no manifest: a folder to offer importing.
 * Returns: (transfer full) (nullable): NULL otherwise. */
char   **ct_import_list_checkpoints (const char *dir);

G_END_DECLS
