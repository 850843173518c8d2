/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <cairo.h>
#include <glib.h>

G_BEGIN_DECLS

/* Small Cairo charts (metrics across epochs, class probabilities) that the
 * window draws on screen and export draws into a file, like ct-figure.
 *
 * Every length and font size is in user units of the cairo_t, chosen to
 * read well at about 400 × 250 at scale 1; to draw at scale s, call
 * cairo_scale (cr, s, s) and pass the same width and height.  Each chart
 * paints a white background over (0, 0, @width, @height); a chart smaller
 * than 50 units a side, or too small for its labels, draws nothing. */

typedef struct {
  const char   *label;   /* (nullable): no legend entry when NULL */
  const double *x;       /* @n values; x and y may be NULL only when @n is 0 */
  const double *y;       /* @n values; a non-finite x or y breaks the line */
  const double *lo;      /* (nullable): with @hi, a band such as a 95% interval */
  const double *hi;      /* (nullable): both or neither; non-finite breaks it */
  guint         n;
  double        rgb[3];  /* components in [0, 1] */
  gboolean      dashed;
} CtPlotSeries;

typedef struct {
  const char *title;     /* (nullable) */
  const char *x_label;   /* (nullable) */
  const char *y_label;   /* (nullable) */
  double      y_min;     /* NaN: fitted to the data, rounded out to a tick */
  double      y_max;     /* NaN: fitted to the data, rounded out to a tick */
  gboolean    y_percent; /* y are fractions: 0.5 is labelled "50%" */
} CtPlotAxes;

/* Where ct_plot_draw_lines() puts its data: the frame of the plot in user
 * units and the data values at its edges.  Ticks are whole multiples of
 * the steps, which are 1, 2 or 5 × 10ⁿ; x_step is a whole number when every
 * x is (epochs). */
typedef struct {
  double x;
  double y;
  double width;
  double height;
  double x_min;          /* data x at the left edge */
  double x_max;          /* data x at the right edge */
  double y_min;          /* data y at the bottom edge */
  double y_max;          /* data y at the top edge */
  double x_step;
  double y_step;
} CtPlotArea;

/* Computes the layout ct_plot_draw_lines() uses for the same arguments.
 * Returns: FALSE when the chart is too small to draw anything. */
gboolean ct_plot_get_area     (double              width,
                               double              height,
                               const CtPlotAxes   *axes,
                               const CtPlotSeries *series,
                               guint               n_series,
                               CtPlotArea         *out_area);

/* Maps the data point (@x, @y) to user units of the chart. */
void     ct_plot_area_to_user (const CtPlotArea   *area,
                               double              x,
                               double              y,
                               double             *out_x,
                               double             *out_y);

/* A line chart with its top-left corner at the current origin: light grid
 * lines on round ticks, bands under lines, lines with a dot on each point,
 * and a legend in the corner that hides the fewest points.  With no finite
 * point it draws the axes and says "No data".  @series: (array length=n_series). */
void     ct_plot_draw_lines   (cairo_t            *cr,
                               double              width,
                               double              height,
                               const CtPlotAxes   *axes,
                               const CtPlotSeries *series,
                               guint               n_series);

/* Horizontal bars, one per row from the top, e.g. top-5 class
 * probabilities: label on the left, a bar of length @values[i] / @max_value
 * of the room, and the value as a percentage ("83.1%") after it.  @values
 * are fractions; a NaN value has no bar and reads "–".  @max_value ≤ 0
 * scales to the largest value.  The bar at @highlight (−1 for none), e.g.
 * the true class, is drawn in the accent colour with a bold label.
 * @title: (nullable).  @labels, @values: (array length=n). */
void     ct_plot_draw_bars    (cairo_t            *cr,
                               double              width,
                               double              height,
                               const char         *title,
                               const char * const *labels,
                               const double       *values,
                               guint               n,
                               double              max_value,
                               int                 highlight);

G_END_DECLS
