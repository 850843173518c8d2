/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <cairo.h>
#include <glib.h>

#include "ct-colormap.h"
#include "ct-grid.h"

G_BEGIN_DECLS

#define CT_FIGURE_ERROR (ct_figure_error_quark ())

typedef enum {
  CT_FIGURE_ERROR_CAIRO,      /* Cairo refused to create or draw the surface */
  CT_FIGURE_ERROR_TOO_LARGE,  /* larger than an image surface can be */
  CT_FIGURE_ERROR_FORMAT,     /* a file name that is not .png, .svg or .pdf */
} CtFigureError;

GQuark   ct_figure_error_quark (void);

/* The one figure renderer: the window draws its grid cells with
 * ct_figure_draw_cell() and export draws whole figures with ct_figure_draw(),
 * so what is on screen and what is in a paper are the same pixels. */

typedef struct {
  double     scale;          /* 1 = 96 dpi-ish screen size; 2–4 for print */
  int        cell_size;      /* side of an image cell in pixels at scale 1 (0 = 4 × image side, ≥ 96) */
  CtColormap colormap;
  float      image_weight;   /* 0.5 as pytorch-grad-cam's show_cam_on_image */
  gboolean   show_colorbar;
  gboolean   ellipsize_titles; /* cut the title lines to the figure's width rather than widen it
                                * (on screen; exports keep them whole) */
  gboolean   dark;           /* a file in the dark palette (ct_figure_set_dark()); the
                              * window's views follow the desktop's style instead */
} CtFigureStyle;

void     ct_figure_style_init (CtFigureStyle       *style);

/* Whether everything this library draws on @cr (figures, cells, charts,
 * robustness charts) uses the dark palette: light text on a dark
 * background, for a desktop in the dark style.  Heatmaps, series and
 * right/wrong marks keep their colours.  Off unless set: exports are
 * light. */
void     ct_figure_set_dark   (cairo_t             *cr,
                               gboolean             dark);
gboolean ct_figure_is_dark    (cairo_t             *cr);

/* Size in pixels of the whole figure for @grid. */
void     ct_figure_get_size   (const CtGrid        *grid,
                               const CtFigureStyle *style,
                               int                 *out_width,
                               int                 *out_height);

/* A cell's confidence drop as its caption shows it, "Δ0.12" or "Δ−0.03",
 * to two decimals.  Returns: (transfer full). */
char    *ct_figure_dup_drop_label (double               drop);

/* The side of an image cell that @style gives (its cell_size, or the
 * default for the grid's images), in pixels at scale 1. */
int      ct_figure_get_cell_size (const CtGrid        *grid,
                                  const CtFigureStyle *style);

/* "Best fit": the largest cell side, at most ct_figure_get_cell_size() and
 * at least 1, with which the whole figure fits @width × @height pixels;
 * only the cells shrink, the texts keep their size. */
int      ct_figure_fit_cell_size (const CtGrid        *grid,
                                  const CtFigureStyle *style,
                                  int                  width,
                                  int                  height);

/* Where ct_figure_draw() puts the cell (@row, @image, @round): the
 * top-left corner and side of its image square in pixels, and the height of
 * the caption under it; for hit-testing and for tests. */
void     ct_figure_get_cell_rect (const CtGrid        *grid,
                                  const CtFigureStyle *style,
                                  guint                row,
                                  guint                image,
                                  guint                round,
                                  int                 *out_x,
                                  int                 *out_y,
                                  int                 *out_size,
                                  int                 *out_caption_height);

/* Draws the whole figure with its top-left corner at the current origin:
 * epoch labels on the left, true class above each column (and the round
 * when perturbed), cells with prediction and probability under them marked
 * right (✓, green) or wrong (✗, red), and a colour bar. */
void     ct_figure_draw       (cairo_t             *cr,
                               const CtGrid        *grid,
                               const CtFigureStyle *style);

/* Draws one cell (overlay image plus its caption) in the square at (x, y)
 * of side @size, caption below it in @caption_height. */
void     ct_figure_draw_cell  (cairo_t             *cr,
                               const CtGrid        *grid,
                               guint                row,
                               guint                image,
                               guint                round,
                               const CtFigureStyle *style,
                               double               x,
                               double               y,
                               double               size,
                               double               caption_height);

/* Renders the figure into a PNG with tEXt provenance: Software, run, arch,
 * dataset, epochs, images, perturbation, method, layer, target, scale, seed,
 * colormap.  Errors are CT_FIGURE_ERROR or CT_PNG_ERROR. */
gboolean ct_figure_write_png  (const CtGrid        *grid,
                               const CtFigureStyle *style,
                               const char          *path,
                               GError             **error);

/* Writes the figure in the format its name says: .png (ct_figure_write_png),
 * .svg or .pdf (vector, same drawing; the PDF carries title and creator). */
gboolean ct_figure_write      (const CtGrid        *grid,
                               const CtFigureStyle *style,
                               const char          *path,
                               GError             **error);

G_END_DECLS
