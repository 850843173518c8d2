/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <cairo.h>
#include <glib.h>

G_BEGIN_DECLS

/* Drawing helpers shared by ct-figure and ct-plot: one font, one text
 * colour and one way to measure and place text, so charts sit beside
 * figures.  Internal to the figure library; not part of its API. */

/* GLib knows nothing of Cairo's types; GDK would declare these, but the
 * figure never links GTK. */
G_DEFINE_AUTOPTR_CLEANUP_FUNC (cairo_t, cairo_destroy)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (cairo_surface_t, cairo_surface_destroy)

/* One style of axis labels for every chart and figure (a chart's axes,
 * the figure's colour bar): sentence case ("Epoch", "Confidence drop",
 * "Per-image min-max"), these sizes at scale 1, the secondary text colour;
 * tick labels a size smaller. */
#define CT_DRAW_AXIS_LABEL_FONT 11
#define CT_DRAW_AXIS_LABEL_LINE 16
#define CT_DRAW_TICK_FONT       10

typedef struct {
  double r, g, b;
} CtDrawRgb;

extern const CtDrawRgb ct_draw_text_color;
extern const CtDrawRgb ct_draw_secondary_color;

/* A grey of the light palette (text, rules, backgrounds): on a cairo_t
 * set dark (ct_figure_set_dark()) it is turned around, light on dark. */
void     ct_draw_set_color         (cairo_t         *cr,
                                    const CtDrawRgb *color);
void     ct_draw_set_color_alpha   (cairo_t         *cr,
                                    const CtDrawRgb *color,
                                    double           alpha);
/* A colour that carries meaning (right, wrong, the accent): the same on
 * both palettes. */
void     ct_draw_set_hue           (cairo_t         *cr,
                                    const CtDrawRgb *color);
/* Fills the rectangle with the palette's background: white, or a dark
 * grey on a dark cairo_t. */
void     ct_draw_paint_background  (cairo_t         *cr,
                                    double           x,
                                    double           y,
                                    double           width,
                                    double           height);
void     ct_draw_set_font          (cairo_t         *cr,
                                    double           size,
                                    gboolean         bold);
double   ct_draw_text_width        (cairo_t         *cr,
                                    const char      *text);
/* The baseline that centres the current font's ascent and descent in the
 * band [top, top + height]. */
double   ct_draw_centred_baseline  (cairo_t         *cr,
                                    double           top,
                                    double           height);
void     ct_draw_show_text_at      (cairo_t         *cr,
                                    const char      *text,
                                    double           x,
                                    double           baseline);
/* Shrinks the font set on @cr (at @size) until @width_at_size fits in
 * @max_width. */
void     ct_draw_fit_font          (cairo_t         *cr,
                                    double           size,
                                    double           width_at_size,
                                    double           max_width);
/* Shrinks the font set on @cr (at @size) so @text fits in @max_width,
 * unless @max_width is not positive; returns its width at the new size. */
double   ct_draw_fit_text          (cairo_t         *cr,
                                    const char      *text,
                                    double           size,
                                    double           max_width);

/* A context on a 1×1 scratch surface with unhinted metrics, for measuring
 * text independently of the target surface and its scale.
 * Returns: (transfer full): free with cairo_destroy(). */
cairo_t *ct_draw_create_measure_context (void);

G_END_DECLS
