/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "ct-engine.h"
#include "ct-figure.h"

G_BEGIN_DECLS

/* A larger view of one grid cell: the original image, its clean and
 * perturbed heatmaps, and the top-5 class probabilities as bars.  The clean
 * heatmap is computed by the engine when the dialog opens. */

#define CT_TYPE_CELL_DIALOG (ct_cell_dialog_get_type ())

G_DECLARE_FINAL_TYPE (CtCellDialog, ct_cell_dialog, CT, CELL_DIALOG, GtkWindow)

/* @grid is copied: only the cell (@row, @image, @round) is kept. */
CtCellDialog *ct_cell_dialog_new (GtkWindow           *parent,
                                  CtEngine            *engine,
                                  const CtGrid        *grid,
                                  guint                row,
                                  guint                image,
                                  guint                round,
                                  const CtFigureStyle *style);

G_END_DECLS
