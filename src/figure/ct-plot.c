/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "ct-plot.h"

#include <math.h>
#include <string.h>

#include "ct-draw.h"

/* Lengths in user units.  The fonts and text colours are ct-draw's and the
 * sizes ct-figure.c's header, caption and tick sizes, so charts sit beside
 * figures. */
#define MIN_SIDE          50
#define MIN_AREA_SIDE     20
#define MARGIN            8
#define RIGHT_MARGIN      14
#define TITLE_FONT        12
#define TITLE_LINE        18
#define TITLE_GAP         4
#define LABEL_FONT        CT_DRAW_AXIS_LABEL_FONT
#define LABEL_LINE        CT_DRAW_AXIS_LABEL_LINE
#define TICK_FONT         CT_DRAW_TICK_FONT
#define TICK_LINE         14
#define TICK_LENGTH       4
#define TICK_LABEL_GAP    3
#define TOP_PAD           6
#define X_TICK_SPACING    60
#define Y_TICK_SPACING    40
#define X_LABEL_SPACING   10
#define X_DATA_MARGIN     0.04
#define MAX_TICKS         64
#define LINE_WIDTH        1.6
#define DOT_RADIUS        2.3
#define BAND_ALPHA        0.2
#define LEGEND_FONT       10
#define LEGEND_LINE       14
#define LEGEND_SWATCH     18
#define LEGEND_GAP        5
#define LEGEND_PAD        5
#define LEGEND_INSET      6
#define LEGEND_SAMPLES    6
#define BAR_ROW_MAX       24
#define BAR_THICKNESS     0.68
#define BAR_LABEL_GAP     6
#define BAR_VALUE_GAP     4
#define BAR_LABEL_SHARE   0.4
#define MIN_BAR_SPAN      10

static const CtDrawRgb grid_color = { 0.90, 0.91, 0.92 };
static const CtDrawRgb legend_border_color = { 0.82, 0.83, 0.85 };
static const CtDrawRgb legend_fill_color = { 1.0, 1.0, 1.0 };
/* Neutral bars and GNOME's blue accent, both clear on white. */
static const CtDrawRgb bar_color = { 0.69, 0.72, 0.76 };
static const CtDrawRgb accent_color = { 0.21, 0.52, 0.89 };

typedef enum {
  CORNER_TOP_LEFT,
  CORNER_TOP_RIGHT,
  CORNER_BOTTOM_RIGHT,
  CORNER_BOTTOM_LEFT,
  N_CORNERS
} Corner;

typedef struct {
  CtPlotArea area;
  gboolean   has_data;
  double     title_y;        /* top of the title line */
  double     x_labels_y;     /* top of the x tick labels */
  double     x_label_y;      /* top of the x axis label line */
  double     y_label_x;      /* left of the rotated y axis label line */
} Layout;

/* A coordinate moved so a line of @line_width user units along it covers
 * whole device pixels, whatever scale @cr has. */
static double
snap (cairo_t  *cr,
      double    coordinate,
      gboolean  is_x,
      double    line_width)
{
  double x = coordinate, y = coordinate;
  double device_width = line_width, zero = 0.0;
  double odd;

  cairo_user_to_device_distance (cr, &device_width, &zero);
  cairo_user_to_device (cr, &x, &y);
  odd = fmod (MAX (1.0, round (fabs (device_width))), 2.0) / 2.0;
  if (is_x)
    x = floor (x) + odd;
  else
    y = floor (y) + odd;
  cairo_device_to_user (cr, &x, &y);

  return is_x ? x : y;
}

static void
paint_background (cairo_t *cr,
                  double   width,
                  double   height)
{
  ct_draw_paint_background (cr, 0, 0, width, height);
}

static gboolean
series_has_band (const CtPlotSeries *series)
{
  return series->lo != NULL && series->hi != NULL;
}

static gboolean
point_is_finite (const CtPlotSeries *series,
                 guint               i)
{
  return isfinite (series->x[i]) && isfinite (series->y[i]);
}

static gboolean
band_is_finite (const CtPlotSeries *series,
                guint               i)
{
  return isfinite (series->x[i]) && isfinite (series->lo[i]) && isfinite (series->hi[i]);
}

static void
extend_range (double *lo,
              double *hi,
              double  value)
{
  *lo = MIN (*lo, value);
  *hi = MAX (*hi, value);
}

/* The nearest of 1, 2, 5 × 10ⁿ to @raw (Heckbert's "nice numbers"). */
static double
nice_step (double raw)
{
  double power = pow (10.0, floor (log10 (raw)));
  double mantissa = raw / power;

  if (mantissa < 1.5)
    return power;
  if (mantissa < 3.0)
    return 2.0 * power;
  if (mantissa < 7.0)
    return 5.0 * power;
  return 10.0 * power;
}

/* The next nice step up: 1 → 2 → 5 → 10. */
static double
next_step (double step)
{
  double power = pow (10.0, floor (log10 (step) + 1e-9));
  double mantissa = round (step / power);

  if (mantissa < 1.5)
    return 2.0 * power;
  if (mantissa < 3.0)
    return 5.0 * power;
  return 10.0 * power;
}

/* A step giving about one tick per @spacing units of @length, never so
 * fine that the range would need more than MAX_TICKS. */
static double
step_for (double span,
          double length,
          double spacing)
{
  double step = nice_step (span / MAX (1.0, floor (length / spacing)));

  while (span / step > MAX_TICKS)
    step = next_step (step);

  return step;
}

/* A range around a single value, or [0, 1] when there is none. */
static void
widen_degenerate (double   *lo,
                  double   *hi,
                  gboolean  integer)
{
  double pad;

  if (!isfinite (*lo) || !isfinite (*hi) || *lo > *hi)
    {
      *lo = 0.0;
      *hi = 1.0;
      return;
    }
  if (*hi > *lo)
    return;

  if (integer)
    pad = 1.0;
  else
    pad = *lo != 0.0 ? 0.1 * fabs (*lo) : 0.1;
  *lo -= pad;
  *hi += pad;
}

/* "%.Nf" with enough decimals for ticks @step apart, a dot whatever the
 * locale, a real minus sign, and no "−0". */
static char *
format_tick (double   value,
             double   step,
             gboolean percent)
{
  char buffer[G_ASCII_DTOSTR_BUF_SIZE];
  g_autofree char *format = NULL;
  int decimals;

  if (fabs (value) < 1e-9 * step)
    value = 0.0;
  if (percent)
    {
      value *= 100.0;
      step *= 100.0;
    }

  decimals = MAX (0, (int) -floor (log10 (step) + 1e-9));
  format = g_strdup_printf ("%%.%df", decimals);
  g_ascii_formatd (buffer, sizeof buffer, format, value);

  return g_strdup_printf ("%s%s%s", buffer[0] == '-' ? "−" : "",
                          buffer[0] == '-' ? buffer + 1 : buffer,
                          percent ? "%" : "");
}

static double
first_tick (double min,
            double step)
{
  return ceil (min / step - 1e-9) * step;
}

static double
tick_at (double min,
         double step,
         guint  i)
{
  double tick = first_tick (min, step) + i * step;

  return fabs (tick) < 1e-9 * step ? 0.0 : tick;
}

static guint
n_ticks (double min,
         double max,
         double step)
{
  double count = floor ((max - first_tick (min, step)) / step + 1e-9) + 1.0;

  return (guint) CLAMP (count, 0.0, MAX_TICKS + 1.0);
}

static double
widest_tick_label (cairo_t  *cr,
                   double    min,
                   double    max,
                   double    step,
                   gboolean  percent)
{
  guint count = n_ticks (min, max, step);
  double widest = 0.0;

  for (guint i = 0; i < count; i++)
    {
      g_autofree char *label = format_tick (tick_at (min, step, i), step, percent);

      widest = MAX (widest, ct_draw_text_width (cr, label));
    }

  return widest;
}

static void
data_ranges (const CtPlotSeries *series,
             guint               n_series,
             double             *x_lo,
             double             *x_hi,
             double             *y_lo,
             double             *y_hi,
             gboolean           *x_integer)
{
  *x_lo = *y_lo = INFINITY;
  *x_hi = *y_hi = -INFINITY;
  *x_integer = TRUE;

  for (guint s = 0; s < n_series; s++)
    for (guint i = 0; i < series[s].n; i++)
      {
        if (point_is_finite (&series[s], i))
          {
            extend_range (x_lo, x_hi, series[s].x[i]);
            extend_range (y_lo, y_hi, series[s].y[i]);
            *x_integer = *x_integer && series[s].x[i] == floor (series[s].x[i]);
          }
        if (series_has_band (&series[s]) && band_is_finite (&series[s], i))
          {
            extend_range (y_lo, y_hi, series[s].lo[i]);
            extend_range (y_lo, y_hi, series[s].hi[i]);
          }
      }
}

static gboolean
layout_compute (Layout             *layout,
                double              width,
                double              height,
                const CtPlotAxes   *axes,
                const CtPlotSeries *series,
                guint               n_series)
{
  g_autoptr(cairo_t) cr = NULL;
  CtPlotArea *area = &layout->area;
  double x_lo, x_hi, y_lo, y_hi;
  double top, bottom, left, right;
  gboolean fit_min, fit_max;
  gboolean x_integer;

  memset (layout, 0, sizeof *layout);
  if (!(width >= MIN_SIDE && height >= MIN_SIDE))
    return FALSE;

  /* Measured unhinted on a scratch surface, as ct-figure does, so the
   * layout depends on neither the target surface nor its scale, and
   * ct_plot_get_area() needs no cairo_t. */
  cr = ct_draw_create_measure_context ();
  data_ranges (series, n_series, &x_lo, &x_hi, &y_lo, &y_hi, &x_integer);
  layout->has_data = x_lo <= x_hi;

  top = MARGIN;
  if (axes->title != NULL)
    {
      layout->title_y = top;
      top += TITLE_LINE + TITLE_GAP;
    }
  top += TOP_PAD;

  bottom = height - MARGIN;
  if (axes->x_label != NULL)
    {
      bottom -= LABEL_LINE;
      layout->x_label_y = bottom;
    }
  bottom -= TICK_LINE + TICK_LABEL_GAP + TICK_LENGTH;
  layout->x_labels_y = bottom + TICK_LENGTH + TICK_LABEL_GAP;

  area->y = round (top);
  area->height = round (bottom) - area->y;
  if (area->height < MIN_AREA_SIDE)
    return FALSE;

  /* A fixed bound is kept, a fitted one rounded out to a tick. */
  fit_min = isnan (axes->y_min);
  fit_max = isnan (axes->y_max);
  if (!fit_min)
    y_lo = axes->y_min;
  if (!fit_max)
    y_hi = axes->y_max;
  widen_degenerate (&y_lo, &y_hi, FALSE);
  area->y_step = step_for (y_hi - y_lo, area->height, Y_TICK_SPACING);
  if (fit_min)
    y_lo = floor (y_lo / area->y_step + 1e-9) * area->y_step;
  if (fit_max)
    y_hi = ceil (y_hi / area->y_step - 1e-9) * area->y_step;
  area->y_min = y_lo;
  area->y_max = y_hi;

  left = MARGIN;
  if (axes->y_label != NULL)
    {
      layout->y_label_x = left;
      left += LABEL_LINE;
    }
  ct_draw_set_font (cr, TICK_FONT, FALSE);
  left += ceil (widest_tick_label (cr, area->y_min, area->y_max, area->y_step,
                                   axes->y_percent))
          + TICK_LABEL_GAP + TICK_LENGTH;
  right = width - RIGHT_MARGIN;

  area->x = round (left);
  area->width = round (right) - area->x;
  if (area->width < MIN_AREA_SIDE)
    return FALSE;

  /* A margin on either side keeps the first and last dots off the axes. */
  widen_degenerate (&x_lo, &x_hi, x_integer);
  area->x_min = x_lo - X_DATA_MARGIN * (x_hi - x_lo);
  area->x_max = x_hi + X_DATA_MARGIN * (x_hi - x_lo);
  area->x_step = step_for (x_hi - x_lo, area->width, X_TICK_SPACING);
  if (x_integer)
    area->x_step = MAX (1.0, area->x_step);

  /* Wider steps until the labels no longer touch. */
  while (area->x_step * area->width / (area->x_max - area->x_min)
         < widest_tick_label (cr, area->x_min, area->x_max, area->x_step, FALSE)
           + X_LABEL_SPACING
         && n_ticks (area->x_min, area->x_max, area->x_step) > 2)
    area->x_step = next_step (area->x_step);

  return TRUE;
}

gboolean
ct_plot_get_area (double              width,
                  double              height,
                  const CtPlotAxes   *axes,
                  const CtPlotSeries *series,
                  guint               n_series,
                  CtPlotArea         *out_area)
{
  Layout layout;

  g_return_val_if_fail (axes != NULL, FALSE);
  g_return_val_if_fail (series != NULL || n_series == 0, FALSE);
  g_return_val_if_fail (out_area != NULL, FALSE);

  if (!layout_compute (&layout, width, height, axes, series, n_series))
    return FALSE;

  *out_area = layout.area;
  return TRUE;
}

void
ct_plot_area_to_user (const CtPlotArea *area,
                      double            x,
                      double            y,
                      double           *out_x,
                      double           *out_y)
{
  g_return_if_fail (area != NULL);

  if (out_x != NULL)
    *out_x = area->x + (x - area->x_min) / (area->x_max - area->x_min) * area->width;
  if (out_y != NULL)
    *out_y = area->y + (area->y_max - y) / (area->y_max - area->y_min) * area->height;
}

static void
draw_grid (cairo_t      *cr,
           const Layout *layout)
{
  const CtPlotArea *area = &layout->area;
  guint count;

  cairo_save (cr);
  ct_draw_set_color (cr, &grid_color);
  cairo_set_line_width (cr, 1.0);

  count = n_ticks (area->y_min, area->y_max, area->y_step);
  for (guint i = 0; i < count; i++)
    {
      double y;

      ct_plot_area_to_user (area, 0, tick_at (area->y_min, area->y_step, i), NULL, &y);
      y = snap (cr, y, FALSE, 1.0);
      cairo_move_to (cr, area->x, y);
      cairo_line_to (cr, area->x + area->width, y);
    }

  count = n_ticks (area->x_min, area->x_max, area->x_step);
  for (guint i = 0; i < count; i++)
    {
      double x;

      ct_plot_area_to_user (area, tick_at (area->x_min, area->x_step, i), 0, &x, NULL);
      x = snap (cr, x, TRUE, 1.0);
      cairo_move_to (cr, x, area->y);
      cairo_line_to (cr, x, area->y + area->height);
    }

  cairo_stroke (cr);
  cairo_restore (cr);
}

static void
draw_axes (cairo_t          *cr,
           const Layout     *layout,
           const CtPlotAxes *axes)
{
  const CtPlotArea *area = &layout->area;
  double left = snap (cr, area->x, TRUE, 1.0);
  double bottom = snap (cr, area->y + area->height, FALSE, 1.0);
  guint count;

  cairo_save (cr);
  ct_draw_set_color (cr, &ct_draw_secondary_color);
  cairo_set_line_width (cr, 1.0);
  cairo_move_to (cr, left, area->y);
  cairo_line_to (cr, left, bottom);
  cairo_line_to (cr, area->x + area->width, bottom);
  cairo_stroke (cr);

  ct_draw_set_font (cr, TICK_FONT, FALSE);

  count = n_ticks (area->y_min, area->y_max, area->y_step);
  for (guint i = 0; i < count; i++)
    {
      double value = tick_at (area->y_min, area->y_step, i);
      g_autofree char *label = format_tick (value, area->y_step, axes->y_percent);
      double y;

      ct_plot_area_to_user (area, 0, value, NULL, &y);
      y = snap (cr, y, FALSE, 1.0);
      cairo_move_to (cr, left - TICK_LENGTH, y);
      cairo_line_to (cr, left, y);
      cairo_stroke (cr);
      ct_draw_show_text_at (cr, label,
                            left - TICK_LENGTH - TICK_LABEL_GAP - ct_draw_text_width (cr, label),
                            ct_draw_centred_baseline (cr, y - TICK_LINE / 2.0, TICK_LINE));
    }

  count = n_ticks (area->x_min, area->x_max, area->x_step);
  for (guint i = 0; i < count; i++)
    {
      double value = tick_at (area->x_min, area->x_step, i);
      g_autofree char *label = format_tick (value, area->x_step, FALSE);
      double x;

      ct_plot_area_to_user (area, value, 0, &x, NULL);
      x = snap (cr, x, TRUE, 1.0);
      cairo_move_to (cr, x, bottom);
      cairo_line_to (cr, x, bottom + TICK_LENGTH);
      cairo_stroke (cr);
      ct_draw_show_text_at (cr, label, x - ct_draw_text_width (cr, label) / 2.0,
                            ct_draw_centred_baseline (cr, layout->x_labels_y, TICK_LINE));
    }

  cairo_restore (cr);
}

static void
draw_labels (cairo_t          *cr,
             const Layout     *layout,
             const CtPlotAxes *axes,
             double            width)
{
  const CtPlotArea *area = &layout->area;
  double text;

  cairo_save (cr);

  if (axes->title != NULL)
    {
      ct_draw_set_color (cr, &ct_draw_text_color);
      ct_draw_set_font (cr, TITLE_FONT, TRUE);
      ct_draw_fit_text (cr, axes->title, TITLE_FONT, width - 2 * MARGIN);
      ct_draw_show_text_at (cr, axes->title, MARGIN,
                            ct_draw_centred_baseline (cr, layout->title_y, TITLE_LINE));
    }

  ct_draw_set_color (cr, &ct_draw_secondary_color);
  ct_draw_set_font (cr, LABEL_FONT, FALSE);

  if (axes->x_label != NULL)
    {
      text = ct_draw_fit_text (cr, axes->x_label, LABEL_FONT, area->width);
      ct_draw_show_text_at (cr, axes->x_label, area->x + (area->width - text) / 2.0,
                            ct_draw_centred_baseline (cr, layout->x_label_y, LABEL_LINE));
    }

  /* The y label reads bottom to top, centred on the plot. */
  if (axes->y_label != NULL)
    {
      ct_draw_set_font (cr, LABEL_FONT, FALSE);
      text = ct_draw_fit_text (cr, axes->y_label, LABEL_FONT, area->height);
      cairo_translate (cr, layout->y_label_x, area->y + area->height / 2.0);
      cairo_rotate (cr, -G_PI / 2.0);
      ct_draw_show_text_at (cr, axes->y_label, -text / 2.0,
                            ct_draw_centred_baseline (cr, 0, LABEL_LINE));
    }

  cairo_restore (cr);
}

static void
set_series_source (cairo_t            *cr,
                   const CtPlotSeries *series,
                   double              alpha)
{
  cairo_set_source_rgba (cr, series->rgb[0], series->rgb[1], series->rgb[2], alpha);
}

/* One filled polygon per run of finite band values: along hi, back along
 * lo. */
static void
draw_band (cairo_t            *cr,
           const CtPlotArea   *area,
           const CtPlotSeries *series)
{
  guint start = 0;

  set_series_source (cr, series, BAND_ALPHA);
  while (start < series->n)
    {
      guint end;

      if (!band_is_finite (series, start))
        {
          start++;
          continue;
        }
      for (end = start; end < series->n && band_is_finite (series, end); end++)
        ;

      for (guint i = start; i < end; i++)
        {
          double x, y;

          ct_plot_area_to_user (area, series->x[i], series->hi[i], &x, &y);
          cairo_line_to (cr, x, y);
        }
      for (guint i = end; i-- > start;)
        {
          double x, y;

          ct_plot_area_to_user (area, series->x[i], series->lo[i], &x, &y);
          cairo_line_to (cr, x, y);
        }
      cairo_close_path (cr);
      cairo_fill (cr);

      start = end;
    }
}

static void
draw_line (cairo_t            *cr,
           const CtPlotArea   *area,
           const CtPlotSeries *series)
{
  static const double dashes[] = { 6.0, 3.0 };
  gboolean drawing = FALSE;

  cairo_save (cr);
  set_series_source (cr, series, 1.0);
  cairo_set_line_width (cr, LINE_WIDTH);
  cairo_set_line_join (cr, CAIRO_LINE_JOIN_ROUND);
  cairo_set_line_cap (cr, CAIRO_LINE_CAP_ROUND);
  if (series->dashed)
    cairo_set_dash (cr, dashes, G_N_ELEMENTS (dashes), 0.0);

  /* A non-finite point ends the sub-path, so the gap stays a gap. */
  for (guint i = 0; i < series->n; i++)
    {
      double x, y;

      if (!point_is_finite (series, i))
        {
          drawing = FALSE;
          continue;
        }

      ct_plot_area_to_user (area, series->x[i], series->y[i], &x, &y);
      if (drawing)
        cairo_line_to (cr, x, y);
      else
        cairo_move_to (cr, x, y);
      drawing = TRUE;
    }
  cairo_stroke (cr);

  for (guint i = 0; i < series->n; i++)
    {
      double x, y;

      if (!point_is_finite (series, i))
        continue;

      ct_plot_area_to_user (area, series->x[i], series->y[i], &x, &y);
      cairo_new_sub_path (cr);
      cairo_arc (cr, x, y, DOT_RADIUS, 0.0, 2.0 * G_PI);
    }
  cairo_fill (cr);

  cairo_restore (cr);
}

static guint
n_legend_entries (const CtPlotSeries *series,
                  guint               n_series)
{
  guint n = 0;

  for (guint s = 0; s < n_series; s++)
    n += series[s].label != NULL;

  return n;
}

/* How many points of the lines, and samples along their segments, fall in
 * the rectangle: the legend goes where this is smallest. */
static guint
count_covered (const CtPlotArea   *area,
               const CtPlotSeries *series,
               guint               n_series,
               double              x0,
               double              y0,
               double              x1,
               double              y1)
{
  guint covered = 0;

  for (guint s = 0; s < n_series; s++)
    for (guint i = 0; i < series[s].n; i++)
      {
        double ax, ay, bx, by;

        if (!point_is_finite (&series[s], i))
          continue;

        ct_plot_area_to_user (area, series[s].x[i], series[s].y[i], &ax, &ay);
        covered += ax >= x0 && ax <= x1 && ay >= y0 && ay <= y1;

        if (i + 1 >= series[s].n || !point_is_finite (&series[s], i + 1))
          continue;

        ct_plot_area_to_user (area, series[s].x[i + 1], series[s].y[i + 1], &bx, &by);
        for (guint k = 1; k < LEGEND_SAMPLES; k++)
          {
            double t = (double) k / LEGEND_SAMPLES;
            double x = ax + t * (bx - ax), y = ay + t * (by - ay);

            covered += x >= x0 && x <= x1 && y >= y0 && y <= y1;
          }
      }

  return covered;
}

static void
draw_legend (cairo_t            *cr,
             const CtPlotArea   *area,
             const CtPlotSeries *series,
             guint               n_series)
{
  static const double dashes[] = { 6.0, 3.0 };
  guint n_entries = n_legend_entries (series, n_series);
  double text = 0.0;
  double box_width, box_height, left, top;
  guint best_covered = G_MAXUINT;
  guint row = 0;

  if (n_entries == 0)
    return;

  cairo_save (cr);
  ct_draw_set_font (cr, LEGEND_FONT, FALSE);
  for (guint s = 0; s < n_series; s++)
    if (series[s].label != NULL)
      text = MAX (text, ct_draw_text_width (cr, series[s].label));

  box_width = ceil (2 * LEGEND_PAD + LEGEND_SWATCH + LEGEND_GAP + text);
  box_height = 2 * LEGEND_PAD + n_entries * LEGEND_LINE;
  if (box_width > area->width - 2 * LEGEND_INSET
      || box_height > area->height - 2 * LEGEND_INSET)
    {
      cairo_restore (cr);
      return;
    }

  left = top = 0.0;
  for (Corner corner = CORNER_TOP_LEFT; corner < N_CORNERS; corner++)
    {
      gboolean is_left = corner == CORNER_TOP_LEFT || corner == CORNER_BOTTOM_LEFT;
      gboolean is_top = corner == CORNER_TOP_LEFT || corner == CORNER_TOP_RIGHT;
      double x = is_left ? area->x + LEGEND_INSET
                         : area->x + area->width - LEGEND_INSET - box_width;
      double y = is_top ? area->y + LEGEND_INSET
                        : area->y + area->height - LEGEND_INSET - box_height;
      guint covered = count_covered (area, series, n_series, x - DOT_RADIUS,
                                     y - DOT_RADIUS, x + box_width + DOT_RADIUS,
                                     y + box_height + DOT_RADIUS);

      if (covered < best_covered)
        {
          best_covered = covered;
          left = x;
          top = y;
        }
    }

  /* Mostly opaque, so it reads even where every corner has data. */
  left = snap (cr, left, TRUE, 1.0);
  top = snap (cr, top, FALSE, 1.0);
  cairo_rectangle (cr, left, top, box_width, box_height);
  ct_draw_set_color_alpha (cr, &legend_fill_color, 0.88);
  cairo_fill_preserve (cr);
  ct_draw_set_color (cr, &legend_border_color);
  cairo_set_line_width (cr, 1.0);
  cairo_stroke (cr);

  for (guint s = 0; s < n_series; s++)
    {
      double y, x;

      if (series[s].label == NULL)
        continue;

      y = top + LEGEND_PAD + row * LEGEND_LINE;
      x = left + LEGEND_PAD;
      set_series_source (cr, &series[s], 1.0);
      cairo_set_line_width (cr, LINE_WIDTH);
      if (series[s].dashed)
        cairo_set_dash (cr, dashes, G_N_ELEMENTS (dashes), 0.0);
      cairo_move_to (cr, x, y + LEGEND_LINE / 2.0);
      cairo_line_to (cr, x + LEGEND_SWATCH, y + LEGEND_LINE / 2.0);
      cairo_stroke (cr);
      cairo_set_dash (cr, NULL, 0, 0.0);
      cairo_arc (cr, x + LEGEND_SWATCH / 2.0, y + LEGEND_LINE / 2.0, DOT_RADIUS, 0.0,
                 2.0 * G_PI);
      cairo_fill (cr);

      ct_draw_set_color (cr, &ct_draw_text_color);
      ct_draw_show_text_at (cr, series[s].label, x + LEGEND_SWATCH + LEGEND_GAP,
                            ct_draw_centred_baseline (cr, y, LEGEND_LINE));
      row++;
    }

  cairo_restore (cr);
}

static void
draw_no_data (cairo_t          *cr,
              const CtPlotArea *area)
{
  const char *note = "No data";
  double width;

  cairo_save (cr);
  ct_draw_set_color (cr, &ct_draw_secondary_color);
  ct_draw_set_font (cr, LABEL_FONT, FALSE);
  width = ct_draw_fit_text (cr, note, LABEL_FONT, area->width);
  ct_draw_show_text_at (cr, note, area->x + (area->width - width) / 2.0,
                        ct_draw_centred_baseline (cr,
                                                  area->y + area->height / 2.0 - LABEL_LINE / 2.0,
                                                  LABEL_LINE));
  cairo_restore (cr);
}

void
ct_plot_draw_lines (cairo_t            *cr,
                    double              width,
                    double              height,
                    const CtPlotAxes   *axes,
                    const CtPlotSeries *series,
                    guint               n_series)
{
  Layout layout;
  const CtPlotArea *area = &layout.area;

  g_return_if_fail (cr != NULL);
  g_return_if_fail (axes != NULL);
  g_return_if_fail (series != NULL || n_series == 0);
  for (guint s = 0; s < n_series; s++)
    g_return_if_fail (series[s].n == 0 || (series[s].x != NULL && series[s].y != NULL));

  if (!layout_compute (&layout, width, height, axes, series, n_series))
    return;

  cairo_save (cr);
  paint_background (cr, width, height);
  draw_grid (cr, &layout);

  /* A fixed y range may cut the data: keep lines off the labels, but
   * let a dot on the edge show whole. */
  cairo_save (cr);
  cairo_rectangle (cr, area->x - DOT_RADIUS - 1, area->y - DOT_RADIUS - 1,
                   area->width + 2 * DOT_RADIUS + 2, area->height + 2 * DOT_RADIUS + 2);
  cairo_clip (cr);
  /* Every band under every line, so no band hides another series. */
  for (guint s = 0; s < n_series; s++)
    if (series_has_band (&series[s]))
      draw_band (cr, area, &series[s]);
  for (guint s = 0; s < n_series; s++)
    draw_line (cr, area, &series[s]);
  cairo_restore (cr);

  draw_axes (cr, &layout, axes);
  draw_labels (cr, &layout, axes, width);

  if (layout.has_data)
    draw_legend (cr, area, series, n_series);
  else
    draw_no_data (cr, area);

  cairo_restore (cr);
}

static char *
format_percent (double value)
{
  char buffer[G_ASCII_DTOSTR_BUF_SIZE];

  if (!isfinite (value))
    return g_strdup ("–");

  return g_strdup_printf ("%s%%", g_ascii_formatd (buffer, sizeof buffer, "%.1f",
                                                   100.0 * value));
}

void
ct_plot_draw_bars (cairo_t            *cr,
                   double              width,
                   double              height,
                   const char         *title,
                   const char * const *labels,
                   const double       *values,
                   guint               n,
                   double              max_value,
                   int                 highlight)
{
  g_autoptr(cairo_t) measure = NULL;
  double top = MARGIN;
  double label_width = 0.0;
  double value_width;
  double row_height;
  double bar_x;
  double span;

  g_return_if_fail (cr != NULL);
  g_return_if_fail (n == 0 || (labels != NULL && values != NULL));

  if (!(width >= MIN_SIDE && height >= MIN_SIDE))
    return;

  if (title != NULL)
    top += TITLE_LINE + TITLE_GAP;

  if (!(max_value > 0.0))
    {
      max_value = 0.0;
      for (guint i = 0; i < n; i++)
        if (isfinite (values[i]))
          max_value = MAX (max_value, values[i]);
      if (!(max_value > 0.0))
        max_value = 1.0;
    }

  /* Labels as wide as the widest, up to a share of the chart; room after
   * the bars for the widest value a bar can show. */
  measure = ct_draw_create_measure_context ();
  ct_draw_set_font (measure, LABEL_FONT, TRUE);
  for (guint i = 0; i < n; i++)
    if (labels[i] != NULL)
      label_width = MAX (label_width, ct_draw_text_width (measure, labels[i]));
  label_width = ceil (MIN (label_width, BAR_LABEL_SHARE * width));
  ct_draw_set_font (measure, LABEL_FONT, FALSE);
  {
    g_autofree char *widest = format_percent (MAX (1.0, max_value));

    value_width = ceil (ct_draw_text_width (measure, widest));
  }

  bar_x = MARGIN + label_width + BAR_LABEL_GAP;
  span = floor (width - MARGIN - value_width - BAR_VALUE_GAP - bar_x);
  row_height = n > 0 ? MIN (BAR_ROW_MAX, floor ((height - MARGIN - top) / n)) : 0.0;
  if (span < MIN_BAR_SPAN || (n > 0 && row_height < 1.0))
    return;

  cairo_save (cr);
  paint_background (cr, width, height);

  if (title != NULL)
    {
      ct_draw_set_color (cr, &ct_draw_text_color);
      ct_draw_set_font (cr, TITLE_FONT, TRUE);
      ct_draw_fit_text (cr, title, TITLE_FONT, width - 2 * MARGIN);
      ct_draw_show_text_at (cr, title, MARGIN, ct_draw_centred_baseline (cr, MARGIN, TITLE_LINE));
    }

  if (n == 0)
    {
      CtPlotArea area = { MARGIN, top, width - 2 * MARGIN, height - MARGIN - top };

      draw_no_data (cr, &area);
    }

  for (guint i = 0; i < n; i++)
    {
      gboolean highlighted = highlight >= 0 && (guint) highlight == i;
      double y = top + i * row_height;
      double thickness = MAX (1.0, round (BAR_THICKNESS * row_height));
      double value = isfinite (values[i]) ? CLAMP (values[i] / max_value, 0.0, 1.0) : 0.0;
      double length = round (value * span);
      g_autofree char *text = format_percent (values[i]);

      if (labels[i] != NULL)
        {
          double text_width_now;

          ct_draw_set_color (cr, &ct_draw_text_color);
          ct_draw_set_font (cr, LABEL_FONT, highlighted);
          text_width_now = ct_draw_fit_text (cr, labels[i], LABEL_FONT, label_width);
          ct_draw_show_text_at (cr, labels[i], MARGIN + label_width - text_width_now,
                                ct_draw_centred_baseline (cr, y, row_height));
        }

      /* Whole units, so a bar's end is crisp on screen. */
      if (length > 0.0)
        {
          if (highlighted)
            ct_draw_set_hue (cr, &accent_color);
          else
            ct_draw_set_color (cr, &bar_color);
          cairo_rectangle (cr, bar_x, y + round ((row_height - thickness) / 2.0),
                           length, thickness);
          cairo_fill (cr);
        }

      ct_draw_set_color (cr, &ct_draw_secondary_color);
      ct_draw_set_font (cr, LABEL_FONT, FALSE);
      ct_draw_show_text_at (cr, text, bar_x + length + BAR_VALUE_GAP,
                            ct_draw_centred_baseline (cr, y, row_height));
    }

  cairo_restore (cr);
}
