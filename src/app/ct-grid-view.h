/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "ct-figure.h"
#include "ct-grid.h"

G_BEGIN_DECLS

/* The epochs × images grid on screen.  It draws with ct_figure_draw(), the
 * renderer export uses, so the window shows the exported figure.  Rows of a
 * request arrive one checkpoint at a time: the rows of the previous request
 * stay visible, dimmed, until their replacements arrive. */

#define CT_TYPE_GRID_VIEW (ct_grid_view_get_type ())

G_DECLARE_FINAL_TYPE (CtGridView, ct_grid_view, CT, GRID_VIEW, GtkWidget)

GtkWidget *ct_grid_view_new          (void);

/* Starts a request of @n_rows rows: existing rows become stale. */
void       ct_grid_view_begin        (CtGridView          *self,
                                      guint                n_rows);
/* Adds rows @first_row … of the current request; takes @grid (transfer full). */
void       ct_grid_view_add_rows     (CtGridView          *self,
                                      guint                first_row,
                                      CtGrid              *grid);
/* Forgets every row (another run was opened). */
void       ct_grid_view_clear        (CtGridView          *self);

void       ct_grid_view_set_style    (CtGridView          *self,
                                      const CtFigureStyle *style);
/* Returns: (transfer none). */
const CtFigureStyle *ct_grid_view_get_style (CtGridView   *self);

/* "Best fit" (the default): the cells shrink so that the whole figure
 * fits the space the view is given, never growing past the style's size;
 * the texts keep theirs. */
void       ct_grid_view_zoom_to_fit  (CtGridView          *self);
/* Leaves best fit for cells @factor times the size drawn now (scrolling
 * beyond the view). */
void       ct_grid_view_zoom         (CtGridView          *self,
                                      double               factor);
gboolean   ct_grid_view_get_fit      (CtGridView          *self);
/* The style as drawn now: ct_grid_view_get_style() (which export uses) with
 * the cell side of the fit or the zoom, and the titles cut to the width. */
void       ct_grid_view_get_drawn_style (CtGridView       *self,
                                         CtFigureStyle    *out_style);

/* The cell the keyboard is on (arrows move it, Enter activates it, a
 * click sets it).  Returns: FALSE when there is no grid. */
gboolean   ct_grid_view_get_focus_cell (CtGridView        *self,
                                        guint             *out_row,
                                        guint             *out_image,
                                        guint             *out_round);

/* TRUE once every row of the current request has arrived. */
gboolean   ct_grid_view_is_complete  (CtGridView          *self);

/* Returns: (transfer none) (nullable): the figure as drawn now (fresh and
 * stale rows), for export and hit-testing. */
CtGrid    *ct_grid_view_get_grid     (CtGridView          *self);

/* Where the cell (@row, @image, @round) of ct_grid_view_get_grid() is drawn,
 * in widget coordinates; FALSE when there is no such cell. */
gboolean   ct_grid_view_get_cell_rect (CtGridView         *self,
                                       guint               row,
                                       guint               image,
                                       guint               round,
                                       graphene_rect_t    *out_rect);

G_END_DECLS
