/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* What a user types to choose a grid, read and written once for the command
 * line and the window alike: the list of epochs (its rows), the list of test
 * images (its columns) and the class each heatmap explains.
 *
 * Lists are separated by commas, spaces or both; empty items are skipped.
 * Errors are G_IO_ERROR_INVALID_ARGUMENT with a sentence for the user. */

typedef enum {
  CT_TARGET_RULE_PREDICTED,   /* the class predicted on the image shown (default) */
  CT_TARGET_RULE_LABEL,       /* the true class */
  CT_TARGET_RULE_CLASS,       /* one given class for every image */
} CtTargetRule;

/* The rows of a grid unless told otherwise: the study's checkpoints. */
#define CT_EPOCHS_DEFAULT "0, 1, 2, 3, last"

typedef enum {
  CT_EPOCHS_STRICT       = 0,
  /* Epochs without a checkpoint are left out rather than refused: for a
   * default list ("0, 1, 2, 3, last") on a run that has fewer epochs. */
  CT_EPOCHS_SKIP_MISSING = 1 << 0,
} CtEpochsFlags;

/* Reads @text, items being epoch numbers, "last" (the last of @available)
 * and "all" (every one of @available, in place).  Each epoch appears once,
 * where it is first named.  Without CT_EPOCHS_SKIP_MISSING an epoch that
 * is not in @available is an error.  @available: ascending, @n_available > 0.
 * Returns: (transfer full) (element-type int) (nullable): never empty. */
GArray  *ct_epochs_parse          (const char          *text,
                                   const int           *available,
                                   guint                n_available,
                                   CtEpochsFlags        flags,
                                   GError             **error);

/* Sorts @epochs (element-type int) ascending and drops repeats, so that
 * a study's charts and tables run left to right, each epoch once. */
void     ct_epochs_sort_unique    (GArray              *epochs);

/* Returns: (transfer full): "0, 1, 2", which ct_epochs_parse() reads back. */
char    *ct_epochs_to_string      (const int           *epochs,
                                   guint                n_epochs);

/* Reads @text, items being test-image indices below @n_test (no bound when
 * @n_test is 0), kept in order, repeats included.
 * Returns: (transfer full) (element-type guint) (nullable): never empty. */
GArray  *ct_images_parse          (const char          *text,
                                   guint                n_test,
                                   GError             **error);

/* Returns: (transfer full): "12, 950", which ct_images_parse() reads back. */
char    *ct_images_to_string      (const guint         *images,
                                   guint                n_images);

/* Reads "predicted", "label", a class index below @n_classes, a class name
 * of @classes (ignoring case), or "class N" as ct_target_rule_to_string()
 * writes it (with or without the name after it).  NULL means "predicted".
 * @out_class is set for CT_TARGET_RULE_CLASS only. */
gboolean ct_target_rule_parse     (const char          *text,
                                   const char *const   *classes,
                                   int                  n_classes,
                                   CtTargetRule        *out_rule,
                                   int                 *out_class,
                                   GError             **error);

/* "predicted", "label", or "class N (NAME)" (without the name when @classes
 * is NULL).  Returns: (transfer full). */
char    *ct_target_rule_to_string (CtTargetRule         rule,
                                   int                  target_class,
                                   const char *const   *classes);

G_END_DECLS
