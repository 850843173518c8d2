/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <glib.h>
#include <cairo-pdf.h>
#include <glib/gstdio.h>
#include <math.h>

#include "ct-faithfulness-plot.h"
#include "ct-png.h"
#include "ct-plot.h"
#include "ct-robustness-plot.h"

/* GLib knows nothing of Cairo's types, and the figure never links GTK. */
G_DEFINE_AUTOPTR_CLEANUP_FUNC (cairo_t, cairo_destroy)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (cairo_surface_t, cairo_surface_destroy)

#define WIDTH   400
#define HEIGHT  250

/* Matplotlib's tab:blue, well away from white, grey and black in every
 * channel, so its blends with white are easy to tell apart. */
static const double series_rgb[3] = { 0.12, 0.47, 0.71 };

typedef struct {
  cairo_surface_t *surface;
  cairo_t         *cr;
  int              width;
  int              height;
} Canvas;

/* An RGB24 surface filled with @fill, so a test can tell what was drawn. */
static void
canvas_init (Canvas  *canvas,
             int      width,
             int      height,
             guint32  fill)
{
  canvas->width = width;
  canvas->height = height;
  canvas->surface = cairo_image_surface_create (CAIRO_FORMAT_RGB24, MAX (width, 1),
                                                MAX (height, 1));
  canvas->cr = cairo_create (canvas->surface);
  cairo_set_source_rgb (canvas->cr, ((fill >> 16) & 0xff) / 255.0,
                        ((fill >> 8) & 0xff) / 255.0, (fill & 0xff) / 255.0);
  cairo_paint (canvas->cr);
}

static void
canvas_finish (Canvas *canvas)
{
  g_assert_cmpint (cairo_status (canvas->cr), ==, CAIRO_STATUS_SUCCESS);
  cairo_surface_flush (canvas->surface);
}

static void
canvas_clear (Canvas *canvas)
{
  g_clear_pointer (&canvas->cr, cairo_destroy);
  g_clear_pointer (&canvas->surface, cairo_surface_destroy);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Canvas, canvas_clear)

/* The pixel as 0xRRGGBB; outside the surface reads as white. */
static guint32
pixel (const Canvas *canvas,
       int           x,
       int           y)
{
  const guint8 *data = cairo_image_surface_get_data (canvas->surface);
  int stride = cairo_image_surface_get_stride (canvas->surface);

  if (x < 0 || y < 0 || x >= canvas->width || y >= canvas->height)
    return 0xffffff;

  return ((const guint32 *) (data + (gsize) y * stride))[x] & 0xffffff;
}

static int
channel (guint32 rgb,
         guint   i)
{
  return (rgb >> (16 - 8 * i)) & 0xff;
}

static gboolean
is_close (guint32       rgb,
          const double  expected[3],
          int           tolerance)
{
  for (guint i = 0; i < 3; i++)
    if (ABS (channel (rgb, i) - (int) lround (255.0 * expected[i])) > tolerance)
      return FALSE;

  return TRUE;
}

static gboolean
is_dark (guint32 rgb)
{
  return channel (rgb, 0) < 90 && channel (rgb, 1) < 90 && channel (rgb, 2) < 90;
}

/* True when some pixel within @radius of (@x, @y) is within @tolerance of
 * @expected. */
static gboolean
near_color (const Canvas *canvas,
            double        x,
            double        y,
            int           radius,
            const double  expected[3],
            int           tolerance)
{
  for (int dy = -radius; dy <= radius; dy++)
    for (int dx = -radius; dx <= radius; dx++)
      if (is_close (pixel (canvas, (int) floor (x) + dx, (int) floor (y) + dy),
                    expected, tolerance))
        return TRUE;

  return FALSE;
}

static gboolean
any_in_rect (const Canvas *canvas,
             int           x0,
             int           y0,
             int           x1,
             int           y1,
             gboolean    (*predicate) (guint32 rgb))
{
  for (int y = y0; y < y1; y++)
    for (int x = x0; x < x1; x++)
      if (predicate (pixel (canvas, x, y)))
        return TRUE;

  return FALSE;
}

static gboolean
is_not_white (guint32 rgb)
{
  return rgb != 0xffffff;
}

static gboolean
is_series (guint32 rgb)
{
  return is_close (rgb, series_rgb, 40);
}

static gboolean
is_nice_step (double step)
{
  double mantissa = step / pow (10.0, floor (log10 (step) + 1e-9));

  return fabs (mantissa - 1.0) < 1e-9 || fabs (mantissa - 2.0) < 1e-9
         || fabs (mantissa - 5.0) < 1e-9;
}

static gboolean
is_multiple (double value,
             double step)
{
  double ratio = value / step;

  return fabs (ratio - round (ratio)) < 1e-9;
}

static CtPlotSeries
make_series (const double *x,
             const double *y,
             guint         n)
{
  CtPlotSeries series = { 0 };

  series.x = x;
  series.y = y;
  series.n = n;
  for (guint i = 0; i < 3; i++)
    series.rgb[i] = series_rgb[i];

  return series;
}

static CtPlotAxes
make_axes (double y_min,
           double y_max)
{
  CtPlotAxes axes = { 0 };

  axes.title = "Test accuracy";
  axes.x_label = "Epoch";
  axes.y_label = "Accuracy";
  axes.y_min = y_min;
  axes.y_max = y_max;
  axes.y_percent = TRUE;

  return axes;
}

/* Every point gets a dot of the series colour at its mapped position, every
 * segment is drawn between them, and nothing is drawn far from the line. */
static void
test_points_at_data_positions (void)
{
  static const double x[] = { 0, 1, 2, 3, 4 };
  static const double y[] = { 0.1, 0.5, 0.3, 0.9, 0.7 };
  CtPlotSeries series = make_series (x, y, G_N_ELEMENTS (x));
  CtPlotAxes axes = make_axes (0.0, 1.0);
  g_auto(Canvas) canvas = { 0 };
  CtPlotArea area;
  double ux, uy;

  g_assert_true (ct_plot_get_area (WIDTH, HEIGHT, &axes, &series, 1, &area));
  g_assert_cmpfloat (area.x, >, 0.0);
  g_assert_cmpfloat (area.y, >, 0.0);
  g_assert_cmpfloat (area.x + area.width, <, WIDTH);
  g_assert_cmpfloat (area.y + area.height, <, HEIGHT);
  g_assert_cmpfloat (area.y_min, ==, 0.0);
  g_assert_cmpfloat (area.y_max, ==, 1.0);
  g_assert_cmpfloat (area.x_min, <, 0.0);
  g_assert_cmpfloat (area.x_max, >, 4.0);

  /* Epochs get whole-number ticks. */
  g_assert_cmpfloat (area.x_step, ==, 1.0);
  g_assert_true (is_nice_step (area.y_step));

  ct_plot_area_to_user (&area, area.x_min, area.y_max, &ux, &uy);
  g_assert_cmpfloat_with_epsilon (ux, area.x, 1e-9);
  g_assert_cmpfloat_with_epsilon (uy, area.y, 1e-9);
  ct_plot_area_to_user (&area, area.x_max, area.y_min, &ux, &uy);
  g_assert_cmpfloat_with_epsilon (ux, area.x + area.width, 1e-9);
  g_assert_cmpfloat_with_epsilon (uy, area.y + area.height, 1e-9);

  canvas_init (&canvas, WIDTH, HEIGHT, 0x000000);
  ct_plot_draw_lines (canvas.cr, WIDTH, HEIGHT, &axes, &series, 1);
  canvas_finish (&canvas);

  /* White background, and the title in dark text above the plot. */
  g_assert_cmphex (pixel (&canvas, 1, 1), ==, 0xffffff);
  g_assert_cmphex (pixel (&canvas, WIDTH - 2, HEIGHT - 2), ==, 0xffffff);
  g_assert_true (any_in_rect (&canvas, 0, 0, WIDTH, (int) area.y, is_dark));

  for (guint i = 0; i < G_N_ELEMENTS (x); i++)
    {
      ct_plot_area_to_user (&area, x[i], y[i], &ux, &uy);
      g_assert_true (is_close (pixel (&canvas, (int) floor (ux), (int) floor (uy)),
                               series_rgb, 12));

      if (i + 1 < G_N_ELEMENTS (x))
        {
          ct_plot_area_to_user (&area, (x[i] + x[i + 1]) / 2.0, (y[i] + y[i + 1]) / 2.0,
                                &ux, &uy);
          g_assert_true (near_color (&canvas, ux, uy, 1, series_rgb, 40));
        }
    }

  ct_plot_area_to_user (&area, 0.5, 0.9, &ux, &uy);
  g_assert_false (near_color (&canvas, ux, uy, 3, series_rgb, 80));
  ct_plot_area_to_user (&area, 3.5, 0.2, &ux, &uy);
  g_assert_false (near_color (&canvas, ux, uy, 3, series_rgb, 80));
}

/* Epoch 0 has no training accuracy, and a gap in the middle stays a gap. */
static void
test_nan_breaks_line (void)
{
  static const double x[] = { 0, 1, 2, 3, 4, 5 };
  static const double y[] = { NAN, 0.2, 0.3, NAN, 0.7, 0.8 };
  CtPlotSeries series = make_series (x, y, G_N_ELEMENTS (x));
  CtPlotAxes axes = make_axes (0.0, 1.0);
  g_auto(Canvas) canvas = { 0 };
  CtPlotArea area;
  double x0, y0, x1, y1, ux, uy;

  g_assert_true (ct_plot_get_area (WIDTH, HEIGHT, &axes, &series, 1, &area));
  canvas_init (&canvas, WIDTH, HEIGHT, 0x000000);
  ct_plot_draw_lines (canvas.cr, WIDTH, HEIGHT, &axes, &series, 1);
  canvas_finish (&canvas);

  /* The segments on either side of the gap are drawn. */
  ct_plot_area_to_user (&area, 1.5, 0.25, &ux, &uy);
  g_assert_true (near_color (&canvas, ux, uy, 1, series_rgb, 40));
  ct_plot_area_to_user (&area, 4.5, 0.75, &ux, &uy);
  g_assert_true (near_color (&canvas, ux, uy, 1, series_rgb, 40));

  /* Nothing where a line from (2, 0.3) to (4, 0.7) would run, away from
   * the dots at its ends. */
  ct_plot_area_to_user (&area, 2, 0.3, &x0, &y0);
  ct_plot_area_to_user (&area, 4, 0.7, &x1, &y1);
  for (double t = 0.15; t <= 0.85; t += 0.05)
    g_assert_false (near_color (&canvas, x0 + t * (x1 - x0), y0 + t * (y1 - y0), 1,
                                series_rgb, 80));

  /* Nothing at all above epoch 0. */
  ct_plot_area_to_user (&area, 0, 0, &ux, &uy);
  g_assert_false (any_in_rect (&canvas, (int) ux - 2, (int) area.y, (int) ux + 3,
                               (int) (area.y + area.height) - 2, is_series));
}

/* The user-space row of each y tick, to keep probes off the grid lines. */
static gboolean
near_grid_line (const CtPlotArea *area,
                double            uy)
{
  for (double tick = ceil (area->y_min / area->y_step) * area->y_step;
       tick <= area->y_max + 1e-9; tick += area->y_step)
    {
      double ux, ty;

      ct_plot_area_to_user (area, 0, tick, &ux, &ty);
      if (fabs (ty - uy) < 2.5)
        return TRUE;
    }

  return FALSE;
}

/* A band is the series colour laid over white at some opacity: every
 * channel moved from white towards the series by the same fraction. */
static void
assert_translucent_series (guint32 rgb)
{
  double alpha[3];

  for (guint i = 0; i < 3; i++)
    {
      double target = 255.0 * series_rgb[i];

      alpha[i] = (255.0 - channel (rgb, i)) / (255.0 - target);
    }

  g_assert_cmpfloat (alpha[0], >, 0.05);
  g_assert_cmpfloat (alpha[0], <, 0.6);
  g_assert_cmpfloat_with_epsilon (alpha[1], alpha[0], 0.05);
  g_assert_cmpfloat_with_epsilon (alpha[2], alpha[0], 0.05);
}

static void
test_band_is_translucent (void)
{
  static const double x[] = { 0, 1, 2, 3 };
  static const double y[] = { 0.5, 0.5, 0.5, 0.5 };
  static const double lo[] = { 0.2, 0.2, 0.2, 0.2 };
  static const double hi[] = { 0.8, 0.8, 0.8, 0.8 };
  CtPlotSeries series = make_series (x, y, G_N_ELEMENTS (x));
  CtPlotAxes axes = make_axes (0.0, 1.0);
  g_auto(Canvas) canvas = { 0 };
  CtPlotArea area;
  double ux, uy, below;
  guint probes = 0;

  series.lo = lo;
  series.hi = hi;
  g_assert_true (ct_plot_get_area (WIDTH, HEIGHT, &axes, &series, 1, &area));
  canvas_init (&canvas, WIDTH, HEIGHT, 0x000000);
  ct_plot_draw_lines (canvas.cr, WIDTH, HEIGHT, &axes, &series, 1);
  canvas_finish (&canvas);

  /* Between whole epochs (no vertical grid line) and off the horizontal
   * ones: inside the band above and below the line. */
  for (double offset = 8.0; offset < 30.0 && probes < 4; offset += 3.0)
    {
      for (int side = -1; side <= 1; side += 2)
        {
          ct_plot_area_to_user (&area, side < 0 ? 0.5 : 2.5, 0.5, &ux, &uy);
          uy += side * offset;
          if (near_grid_line (&area, uy))
            continue;

          assert_translucent_series (pixel (&canvas, (int) ux, (int) uy));
          probes++;
        }
    }
  g_assert_cmpuint (probes, >=, 2);

  /* Below the band, untouched white. */
  ct_plot_area_to_user (&area, 1.5, 0.2, &ux, &below);
  for (uy = below + 4.0; near_grid_line (&area, uy); uy += 3.0)
    ;
  g_assert_cmphex (pixel (&canvas, (int) ux, (int) uy), ==, 0xffffff);
}

/* Draws one labelled series and says whether dark (legend text) pixels are
 * in the top-left and top-right quarters of the plot. */
static void
legend_corners (const double *y,
                guint         n,
                gboolean     *out_top_left,
                gboolean     *out_top_right,
                gboolean     *out_bottom_left)
{
  static const double x[] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 };
  CtPlotSeries series = make_series (x, y, n);
  CtPlotAxes axes = make_axes (0.0, 1.0);
  g_auto(Canvas) canvas = { 0 };
  CtPlotArea area;
  int left, top, middle_x, middle_y, right;

  series.label = "Test loss";
  g_assert_true (ct_plot_get_area (WIDTH, HEIGHT, &axes, &series, 1, &area));
  canvas_init (&canvas, WIDTH, HEIGHT, 0x000000);
  ct_plot_draw_lines (canvas.cr, WIDTH, HEIGHT, &axes, &series, 1);
  canvas_finish (&canvas);

  left = (int) area.x + 3;
  top = (int) area.y + 3;
  right = (int) (area.x + area.width) - 3;
  middle_x = (int) (area.x + area.width / 2.0);
  middle_y = (int) (area.y + area.height / 2.0);
  *out_top_left = any_in_rect (&canvas, left, top, middle_x, middle_y, is_dark);
  *out_top_right = any_in_rect (&canvas, middle_x, top, right, middle_y, is_dark);
  *out_bottom_left = any_in_rect (&canvas, left, middle_y, middle_x,
                                  (int) (area.y + area.height) - 3, is_dark);
}

static void
test_legend_avoids_data (void)
{
  double falling[11], rising[11], top_then_down[11];
  gboolean top_left, top_right, bottom_left;

  for (guint i = 0; i < 11; i++)
    {
      falling[i] = 1.0 - i / 10.0;
      rising[i] = i / 10.0;
      top_then_down[i] = i < 9 ? 0.9 : 0.1;
    }

  /* The preferred top-left corner when it is free… */
  legend_corners (rising, 11, &top_left, &top_right, &bottom_left);
  g_assert_true (top_left);
  g_assert_false (top_right);
  g_assert_false (bottom_left);

  /* …and the next free corner when the data run through it… */
  legend_corners (falling, 11, &top_left, &top_right, &bottom_left);
  g_assert_false (top_left);
  g_assert_true (top_right);
  g_assert_false (bottom_left);

  /* …down to the bottom-left one, the only free corner when the data run
   * along the top and end in the bottom-right corner. */
  legend_corners (top_then_down, 11, &top_left, &top_right, &bottom_left);
  g_assert_false (top_left);
  g_assert_false (top_right);
  g_assert_true (bottom_left);
}

/* Light grey grid lines (0.90, 0.91, 0.92) at the y ticks, across the
 * plot: probed at tick 0.6, left of where the data cross it. */
static void
test_grid_lines (void)
{
  static const double x[] = { 0, 1, 2, 3, 4 };
  static const double y[] = { 0.0, 0.25, 0.5, 0.75, 1.0 };
  static const double grid_rgb[3] = { 0.90, 0.91, 0.92 };
  CtPlotSeries series = make_series (x, y, 5);
  CtPlotAxes axes = make_axes (0.0, 1.0);
  g_auto(Canvas) canvas = { 0 };
  CtPlotArea area;
  double ux, uy;

  g_assert_true (ct_plot_get_area (WIDTH, HEIGHT, &axes, &series, 1, &area));
  g_assert_cmpfloat (fmod (0.6 + 1e-9, area.y_step), <, 1e-6);
  canvas_init (&canvas, WIDTH, HEIGHT, 0x000000);
  ct_plot_draw_lines (canvas.cr, WIDTH, HEIGHT, &axes, &series, 1);
  canvas_finish (&canvas);
  ct_plot_area_to_user (&area, 0.5, 0.6, &ux, &uy);
  g_assert_true (near_color (&canvas, ux, uy, 1, grid_rgb, 3));
}

/* The words pdftotext finds in the PDF of a line chart, with their boxes
 * (pdftotext -bbox: xMin, yMin, xMax, yMax in points, which are the
 * chart's user units here). */
typedef struct {
  char   *text;
  double  x_min, y_min, x_max, y_max;
} Word;

static void
word_clear (Word *word)
{
  g_free (word->text);
}

static GArray *
chart_words (const CtPlotAxes   *axes,
             const CtPlotSeries *series,
             guint               n_series)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *pdftotext = g_find_program_in_path ("pdftotext");
  g_autofree char *dir = g_dir_make_tmp ("camtrail-plot-XXXXXX", &error);
  g_autofree char *pdf = NULL;
  g_autofree char *html = NULL;
  g_autoptr(GRegex) regex = NULL;
  g_autoptr(GMatchInfo) match = NULL;
  GArray *words = g_array_new (FALSE, TRUE, sizeof (Word));
  cairo_surface_t *surface;
  cairo_t *cr;
  int wait_status;

  g_assert_no_error (error);
  g_array_set_clear_func (words, (GDestroyNotify) word_clear);
  if (pdftotext == NULL)
    g_error ("pdftotext is missing: install poppler-utils (scripts/install-deps --tests)");
  pdf = g_build_filename (dir, "chart.pdf", NULL);
  surface = cairo_pdf_surface_create (pdf, WIDTH, HEIGHT);
  cr = cairo_create (surface);
  ct_plot_draw_lines (cr, WIDTH, HEIGHT, axes, series, n_series);
  cairo_destroy (cr);
  cairo_surface_finish (surface);
  g_assert_cmpint (cairo_surface_status (surface), ==, CAIRO_STATUS_SUCCESS);
  cairo_surface_destroy (surface);
  {
    const char *argv[] = { pdftotext, "-bbox", pdf, "-", NULL };

    g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL,
                                 &html, NULL, &wait_status, &error));
    g_assert_no_error (error);
    g_assert_true (g_spawn_check_wait_status (wait_status, NULL));
  }
  g_unlink (pdf);
  g_rmdir (dir);

  regex = g_regex_new ("<word xMin=\"([0-9.]+)\" yMin=\"([0-9.]+)\" xMax=\"([0-9.]+)\" "
                       "yMax=\"([0-9.]+)\">([^<]*)</word>", 0, 0, &error);
  g_assert_no_error (error);
  g_regex_match (regex, html, 0, &match);
  while (g_match_info_matches (match))
    {
      Word word;
      char *numbers[4];

      for (guint i = 0; i < 4; i++)
        numbers[i] = g_match_info_fetch (match, i + 1);
      word.x_min = g_ascii_strtod (numbers[0], NULL);
      word.y_min = g_ascii_strtod (numbers[1], NULL);
      word.x_max = g_ascii_strtod (numbers[2], NULL);
      word.y_max = g_ascii_strtod (numbers[3], NULL);
      word.text = g_match_info_fetch (match, 5);
      g_test_message ("%s at %.1f,%.1f", word.text, word.x_min, word.y_min);
      for (guint i = 0; i < 4; i++)
        g_free (numbers[i]);
      g_array_append_val (words, word);
      g_match_info_next (match, NULL);
    }
  return words;
}

static const Word *
find_word (GArray     *words,
           const char *text)
{
  for (guint i = 0; i < words->len; i++)
    if (g_str_equal (g_array_index (words, Word, i).text, text))
      return &g_array_index (words, Word, i);
  return NULL;
}

/* ct-plot.h: y ticks are whole multiples of the step from y_min to y_max,
 * labelled with the decimals the step needs ("0.2": one), no tick
 * beyond either end. */
static void
test_tick_labels (void)
{
  static const double x[] = { 0, 1, 2, 3, 4 };
  static const double y[] = { 0.0, 0.25, 0.5, 0.75, 1.0 };
  CtPlotSeries series = make_series (x, y, 5);
  CtPlotAxes axes = make_axes (0.0, 1.0);
  g_autoptr(GArray) words = NULL;
  CtPlotArea area;
  const char * const *expected, * const *beyond;
  static const char * const tenths[] = { "0.0", "0.1", "0.2", "0.3", "0.4", "0.5", "0.6", "0.7",
                                         "0.8", "0.9", "1.0", NULL };
  static const char * const fifths[] = { "0.0", "0.2", "0.4", "0.6", "0.8", "1.0", NULL };
  static const char * const halves[] = { "0.0", "0.5", "1.0", NULL };
  static const char * const beyond_tenths[] = { "−0.1", "1.1", NULL };
  static const char * const beyond_fifths[] = { "−0.2", "1.2", NULL };
  static const char * const beyond_halves[] = { "−0.5", "1.5", NULL };

  axes.y_percent = FALSE;
  g_assert_true (ct_plot_get_area (WIDTH, HEIGHT, &axes, &series, 1, &area));
  g_test_message ("y step %g", area.y_step);
  if (fabs (area.y_step - 0.1) < 1e-12)
    expected = tenths, beyond = beyond_tenths;
  else if (fabs (area.y_step - 0.2) < 1e-12)
    expected = fifths, beyond = beyond_fifths;
  else
    {
      g_assert_cmpfloat_with_epsilon (area.y_step, 0.5, 1e-12);
      expected = halves, beyond = beyond_halves;
    }

  words = chart_words (&axes, &series, 1);
  for (guint i = 0; expected[i] != NULL; i++)
    g_assert_nonnull (find_word (words, expected[i]));
  for (guint i = 0; beyond[i] != NULL; i++)
    g_assert_null (find_word (words, beyond[i]));
  /* The y labels in order from the bottom, one per tick. */
  for (guint i = 1; expected[i] != NULL; i++)
    g_assert_cmpfloat (find_word (words, expected[i])->y_min, <,
                       find_word (words, expected[i - 1])->y_min);
}

/* Legend entries one under the other, each label right of its swatch:
 * the labels start at one x, do not overlap, and begin past the end of
 * their swatch. */
static void
test_legend_rows (void)
{
  static const double x[] = { 0, 1, 2, 3, 4 };
  static const double rising[] = { 0.0, 0.1, 0.2, 0.3, 0.4 };
  static const double lower[] = { 0.0, 0.05, 0.1, 0.15, 0.2 };
  CtPlotSeries series[2] = { make_series (x, rising, 5), make_series (x, lower, 5) };
  CtPlotAxes axes = make_axes (0.0, 1.0);
  g_autoptr(GArray) words = NULL;
  g_auto(Canvas) canvas = { 0 };
  const Word *alpha, *beta;
  int swatch_right = 0;

  series[0].label = "alpha";
  series[1].label = "beta";
  words = chart_words (&axes, series, 2);
  alpha = find_word (words, "alpha");
  beta = find_word (words, "beta");
  g_assert_nonnull (alpha);
  g_assert_nonnull (beta);
  g_assert_cmpfloat_with_epsilon (alpha->x_min, beta->x_min, 0.5);
  g_assert_cmpfloat (beta->y_min, >=, alpha->y_max - 0.5);

  /* The swatch, in the series' colour on the label's row, ends left of it. */
  canvas_init (&canvas, WIDTH, HEIGHT, 0x000000);
  ct_plot_draw_lines (canvas.cr, WIDTH, HEIGHT, &axes, series, 2);
  canvas_finish (&canvas);
  for (int y = (int) alpha->y_min; y <= (int) ceil (alpha->y_max); y++)
    for (int x = 0; x < (int) ceil (alpha->x_max); x++)
      if (is_close (pixel (&canvas, x, y), series_rgb, 40))
        swatch_right = MAX (swatch_right, x);
  g_assert_cmpint (swatch_right, >, 0);
  g_assert_cmpfloat (alpha->x_min, >, swatch_right);
}

/* Fitted ranges end on ticks and hold all the data and bands; one fixed
 * bound is kept as given. */
static void
test_fitted_ranges (void)
{
  static const double epochs[] = { 0, 5, 10, 15, 20 };
  static const double epochs_short[] = { 0, 1, 2 };
  static const double fractions[] = { 0.5, 1.0, 1.5, 2.0, 2.5 };
  static const double y[] = { 0.13, 0.5, 0.7, 0.8, 0.87 };
  static const double lo[] = { 0.1, 0.45, NAN, 0.75, 0.84 };
  static const double hi[] = { 0.16, 0.55, NAN, 0.85, 0.91 };
  static const double loss[] = { 3.3, 2.1, 1.2, 0.9, 0.8 };
  CtPlotSeries series = make_series (epochs, y, 5);
  CtPlotAxes axes = make_axes (NAN, NAN);
  CtPlotArea area;

  series.lo = lo;
  series.hi = hi;
  g_assert_true (ct_plot_get_area (WIDTH, HEIGHT, &axes, &series, 1, &area));
  g_assert_true (is_nice_step (area.y_step));
  g_assert_true (is_multiple (area.y_min, area.y_step));
  g_assert_true (is_multiple (area.y_max, area.y_step));
  g_assert_cmpfloat (area.y_min, <=, 0.1);
  g_assert_cmpfloat (area.y_max, >=, 0.91);
  g_assert_cmpfloat (area.y_max - area.y_min, <, 1.5);

  /* Whole epochs: whole ticks, as few as fit. */
  g_assert_true (is_nice_step (area.x_step));
  g_assert_cmpfloat (area.x_step, >=, 1.0);
  g_assert_true (is_multiple (area.x_step, 1.0));
  g_assert_cmpfloat (area.x_min, <, 0.0);
  g_assert_cmpfloat (area.x_max, >, 20.0);

  /* Three epochs would get ticks every 0.5 if x were not whole. */
  series = make_series (epochs_short, y, 3);
  g_assert_true (ct_plot_get_area (WIDTH, HEIGHT, &axes, &series, 1, &area));
  g_assert_cmpfloat (area.x_step, ==, 1.0);

  /* Fractional x may have fractional ticks. */
  series = make_series (fractions, y, 5);
  g_assert_true (ct_plot_get_area (WIDTH, HEIGHT, &axes, &series, 1, &area));
  g_assert_true (is_nice_step (area.x_step));
  g_assert_cmpfloat (area.x_step, <, 1.0);

  /* Loss from 0 up. */
  series = make_series (epochs, loss, 5);
  axes = make_axes (0.0, NAN);
  axes.y_percent = FALSE;
  g_assert_true (ct_plot_get_area (WIDTH, HEIGHT, &axes, &series, 1, &area));
  g_assert_cmpfloat (area.y_min, ==, 0.0);
  g_assert_cmpfloat (area.y_max, >=, 3.3);
  g_assert_true (is_multiple (area.y_max, area.y_step));

  /* One point: a range around it, not a division by zero. */
  series = make_series (epochs, loss, 1);
  axes = make_axes (NAN, NAN);
  g_assert_true (ct_plot_get_area (WIDTH, HEIGHT, &axes, &series, 1, &area));
  g_assert_cmpfloat (area.x_min, <, 0.0);
  g_assert_cmpfloat (area.x_max, >, 0.0);
  g_assert_cmpfloat (area.y_min, <, 3.3);
  g_assert_cmpfloat (area.y_max, >, 3.3);
}

/* Export draws at a larger scale by scaling the context: the same chart,
 * every position doubled. */
static void
test_scaled (void)
{
  static const double x[] = { 0, 1, 2, 3, 4 };
  static const double y[] = { 0.1, 0.5, 0.3, 0.9, 0.7 };
  CtPlotSeries series = make_series (x, y, G_N_ELEMENTS (x));
  CtPlotAxes axes = make_axes (0.0, 1.0);
  g_auto(Canvas) canvas = { 0 };
  CtPlotArea area;
  double ux, uy;

  g_assert_true (ct_plot_get_area (WIDTH, HEIGHT, &axes, &series, 1, &area));
  canvas_init (&canvas, 2 * WIDTH, 2 * HEIGHT, 0x000000);
  cairo_scale (canvas.cr, 2.0, 2.0);
  ct_plot_draw_lines (canvas.cr, WIDTH, HEIGHT, &axes, &series, 1);
  canvas_finish (&canvas);

  g_assert_cmphex (pixel (&canvas, 2 * WIDTH - 2, 2 * HEIGHT - 2), ==, 0xffffff);
  for (guint i = 0; i < G_N_ELEMENTS (x); i++)
    {
      ct_plot_area_to_user (&area, x[i], y[i], &ux, &uy);
      g_assert_true (is_close (pixel (&canvas, (int) floor (2 * ux), (int) floor (2 * uy)),
                               series_rgb, 12));
    }
}

/* No series, a series with nothing in it and all-NaN data draw the axes
 * and a "No data" note in the middle. */
static void
test_no_data (void)
{
  static const double x[] = { 0, 1, 2 };
  static const double nans[] = { NAN, NAN, NAN };
  CtPlotSeries all_nan = make_series (x, nans, 3);
  CtPlotSeries empty = make_series (NULL, NULL, 0);
  CtPlotAxes axes = make_axes (NAN, NAN);
  const struct {
    const CtPlotSeries *series;
    guint               n_series;
  } cases[] = {
    { NULL, 0 },
    { &empty, 1 },
    { &all_nan, 1 },
  };

  all_nan.label = "Train accuracy";
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_auto(Canvas) canvas = { 0 };
      CtPlotArea area;
      int centre_x, centre_y;

      g_assert_true (ct_plot_get_area (WIDTH, HEIGHT, &axes, cases[i].series,
                                       cases[i].n_series, &area));
      g_assert_true (isfinite (area.x_min) && isfinite (area.x_max));
      g_assert_cmpfloat (area.x_max, >, area.x_min);
      g_assert_cmpfloat (area.y_max, >, area.y_min);

      canvas_init (&canvas, WIDTH, HEIGHT, 0x000000);
      ct_plot_draw_lines (canvas.cr, WIDTH, HEIGHT, &axes, cases[i].series,
                          cases[i].n_series);
      canvas_finish (&canvas);

      centre_x = (int) (area.x + area.width / 2.0);
      centre_y = (int) (area.y + area.height / 2.0);
      g_assert_true (any_in_rect (&canvas, centre_x - 30, centre_y - 8,
                                  centre_x + 30, centre_y + 8, is_not_white));
      g_assert_false (any_in_rect (&canvas, 0, 0, WIDTH, HEIGHT, is_series));
    }
}

/* Charts too small to hold anything leave the surface as it was. */
static void
test_tiny (void)
{
  static const double x[] = { 0, 1 };
  static const double y[] = { 0.2, 0.4 };
  static const char * const labels[] = { "cat", "dog" };
  static const double values[] = { 0.7, 0.3 };
  static const int sizes[][2] = { { 0, 0 }, { 1, 1 }, { 10, 10 }, { 49, 300 }, { 300, 49 },
                                  { -5, 100 } };
  CtPlotSeries series = make_series (x, y, 2);
  CtPlotAxes axes = make_axes (NAN, NAN);
  CtPlotArea area;

  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      g_auto(Canvas) canvas = { 0 };
      int width = MAX (sizes[i][0], 0), height = MAX (sizes[i][1], 0);

      g_assert_false (ct_plot_get_area (sizes[i][0], sizes[i][1], &axes, &series, 1,
                                        &area));

      canvas_init (&canvas, width, height, 0x123456);
      ct_plot_draw_lines (canvas.cr, sizes[i][0], sizes[i][1], &axes, &series, 1);
      ct_plot_draw_bars (canvas.cr, sizes[i][0], sizes[i][1], "Top 5", labels, values,
                         2, 1.0, 0);
      canvas_finish (&canvas);

      for (int py = 0; py < height; py++)
        for (int px = 0; px < width; px++)
          g_assert_cmphex (pixel (&canvas, px, py), ==, 0x123456);
    }

  /* Just above the limit, whatever fits is drawn and nothing breaks. */
  for (int side = 50; side <= 90; side += 10)
    {
      g_auto(Canvas) canvas = { 0 };

      canvas_init (&canvas, side, side, 0x123456);
      ct_plot_draw_lines (canvas.cr, side, side, &axes, &series, 1);
      ct_plot_draw_bars (canvas.cr, side, side, "Top 5", labels, values, 2, 1.0, 0);
      canvas_finish (&canvas);
    }
}

typedef struct {
  int     length;
  guint32 color;
} Bar;

/* The bars as runs of one colour at least 12 pixels long, grouped over the
 * consecutive rows they fill; text never has such runs. */
static GArray *
find_bars (const Canvas *canvas)
{
  GArray *bars = g_array_new (FALSE, TRUE, sizeof (Bar));
  gboolean in_bar = FALSE;

  for (int y = 0; y < canvas->height; y++)
    {
      Bar longest = { 0, 0 };

      for (int x = 0; x < canvas->width;)
        {
          guint32 color = pixel (canvas, x, y);
          int end = x + 1;

          while (end < canvas->width && pixel (canvas, end, y) == color)
            end++;
          if (color != 0xffffff && end - x > longest.length)
            {
              longest.length = end - x;
              longest.color = color;
            }
          x = end;
        }

      if (longest.length < 12)
        {
          in_bar = FALSE;
          continue;
        }

      if (!in_bar)
        g_array_append_val (bars, longest);
      else
        {
          Bar *bar = &g_array_index (bars, Bar, bars->len - 1);

          g_assert_cmphex (bar->color, ==, longest.color);
          g_assert_cmpint (ABS (bar->length - longest.length), <=, 1);
        }
      in_bar = TRUE;
    }

  return bars;
}

static GArray *
draw_bars (const char * const *labels,
           const double       *values,
           guint               n,
           double              max_value,
           int                 highlight)
{
  g_auto(Canvas) canvas = { 0 };

  canvas_init (&canvas, WIDTH, HEIGHT, 0x000000);
  ct_plot_draw_bars (canvas.cr, WIDTH, HEIGHT, "Top-5 classes", labels, values, n,
                     max_value, highlight);
  canvas_finish (&canvas);

  return find_bars (&canvas);
}

static void
test_bars_proportional (void)
{
  static const char * const labels[] = { "cat", "dog", "ship", "frog" };
  static const double values[] = { 0.8, 0.4, 0.2, 0.1 };
  static const double halves[] = { 0.5, 0.25 };
  static const double wholes[] = { 1.0, 0.5 };
  g_autoptr(GArray) bars = draw_bars (labels, values, 4, 1.0, 1);
  g_autoptr(GArray) relative = NULL;
  g_autoptr(GArray) absolute = NULL;
  Bar *bar = (Bar *) bars->data;

  g_assert_cmpuint (bars->len, ==, 4);
  for (guint i = 1; i < 4; i++)
    g_assert_cmpfloat (fabs (bar[i].length - bar[0].length * values[i] / values[0]), <=,
                       1.5);
  g_assert_cmpint (bar[0].length, >=, WIDTH / 3);

  /* The true class stands out; the others share one colour. */
  g_assert_cmphex (bar[1].color, !=, bar[0].color);
  g_assert_cmphex (bar[2].color, ==, bar[0].color);
  g_assert_cmphex (bar[3].color, ==, bar[0].color);

  /* No maximum: the largest value fills the room, as 1.0 does out of 1. */
  relative = draw_bars (labels, halves, 2, 0.0, -1);
  absolute = draw_bars (labels, wholes, 2, 1.0, -1);
  g_assert_cmpuint (relative->len, ==, 2);
  g_assert_cmpuint (absolute->len, ==, 2);
  for (guint i = 0; i < 2; i++)
    g_assert_cmpint (g_array_index (relative, Bar, i).length, ==,
                     g_array_index (absolute, Bar, i).length);
  g_assert_cmphex (g_array_index (relative, Bar, 0).color, ==, bar[0].color);
}

/* A bar chart with no room for a bar of a few pixels draws nothing, as a
 * line chart too small to draw does (/plot/tiny): 60 pixels wide leaves
 * none beside the label and "50%", however tall the rows. */
static void
test_bars_too_narrow (void)
{
  static const char * const labels[] = { "cat" };
  static const double values[] = { 0.5 };
  g_auto(Canvas) canvas = { 0 };

  canvas_init (&canvas, 60, 100, 0x000000);
  ct_plot_draw_bars (canvas.cr, 60, 100, NULL, labels, values, 1, 1.0, -1);
  canvas_finish (&canvas);
  for (int y = 0; y < 100; y++)
    for (int x = 0; x < 60; x++)
      g_assert_cmphex (pixel (&canvas, x, y), ==, 0x000000);
}

static void
test_bars_odd_input (void)
{
  static const char * const labels[] = { "cat", "dog", "ship", "frog" };
  static const double values[] = { 0.8, NAN, -0.3, 2.0 };
  g_autoptr(GArray) bars = NULL;
  g_autoptr(GArray) none = NULL;

  /* NaN and negative values have no bar, values over the maximum stop at
   * its length, and a highlight out of range highlights nothing. */
  bars = draw_bars (labels, values, 4, 1.0, 7);
  g_assert_cmpuint (bars->len, ==, 2);
  g_assert_cmpfloat (fabs (g_array_index (bars, Bar, 0).length
                           - 0.8 * g_array_index (bars, Bar, 1).length), <=, 1.5);
  g_assert_cmphex (g_array_index (bars, Bar, 0).color, ==,
                   g_array_index (bars, Bar, 1).color);

  none = draw_bars (NULL, NULL, 0, 1.0, -1);
  g_assert_cmpuint (none->len, ==, 0);
}

/* A study of epochs 0, 5 and 10 under noise and two severities of one
 * corruption, which the charts average into one line. */
static CtRobustness *
make_study (void)
{
  g_autoptr(GArray) perturbations =
    ct_robustness_parse_perturbations ("noise:0.1,c10c:contrast-1,c10c:contrast-2", NULL);
  CtRobustness *result = g_new0 (CtRobustness, 1);
  guint P = perturbations->len;

  result->run_name = g_strdup ("study");
  result->n_perturbations = P;
  result->perturbations = g_memdup2 (perturbations->data, P * sizeof (CtPerturb));
  result->labels = g_new0 (char *, P + 1);
  for (guint p = 0; p < P; p++)
    result->labels[p] = ct_robustness_dup_label (&result->perturbations[p]);
  result->n_epochs = 3;
  result->epochs = g_new0 (CtRobustnessEpoch, result->n_epochs);
  result->rows = g_new0 (CtRobustnessRow, result->n_epochs * P);
  for (guint e = 0; e < result->n_epochs; e++)
    {
      result->epochs[e].epoch = 5 * e;
      result->epochs[e].clean_accuracy = 0.5 + 0.2 * e;
      for (guint p = 0; p < P; p++)
        {
          CtRobustnessRow *row = ct_robustness_get_row (result, e, p);

          row->epoch = 5 * e;
          row->perturbation = p;
          row->accuracy = 0.3 + 0.1 * e + 0.05 * p;
          row->confidence_drop = (CtRobustnessStat) { 0.1 * (p + 1) - 0.02 * e, 0.01, 10 };
        }
    }
  return result;
}

static void
test_robustness_points (void)
{
  g_autoptr(CtRobustness) result = make_study ();
  g_autoptr(GArray) drops = NULL;
  g_autoptr(GArray) accuracy = NULL;
  g_autoptr(GArray) tiny = NULL;
  g_auto(Canvas) canvas = { 0 };
  const int width = 640, height = 400;
  CtRobustnessPoint hit;

  /* Noise, then the corruption's mean line named by its first severity. */
  drops = ct_robustness_chart_dup_points (result, CT_ROBUSTNESS_CHART_CONFIDENCE_DROP,
                                          width, height);
  g_assert_cmpuint (drops->len, ==, 6);
  for (guint i = 0; i < drops->len; i++)
    {
      const CtRobustnessPoint *point = &g_array_index (drops, CtRobustnessPoint, i);

      g_assert_cmpuint (point->epoch_index, ==, i % 3);
      g_assert_cmpint (point->perturbation, ==, i < 3 ? 0 : 1);
      if (i % 3 > 0)
        g_assert_cmpfloat (point->x, >, g_array_index (drops, CtRobustnessPoint, i - 1).x);
    }
  /* Equal steps of epochs are equal steps across. */
  g_assert_cmpfloat_with_epsilon (g_array_index (drops, CtRobustnessPoint, 1).x
                                  - g_array_index (drops, CtRobustnessPoint, 0).x,
                                  g_array_index (drops, CtRobustnessPoint, 2).x
                                  - g_array_index (drops, CtRobustnessPoint, 1).x, 1e-9);

  /* The points are where the chart draws them: noise is the first colour. */
  canvas_init (&canvas, width, height, 0x000000);
  ct_robustness_chart_draw (canvas.cr, width, height, result, CT_ROBUSTNESS_CHART_CONFIDENCE_DROP);
  canvas_finish (&canvas);
  for (guint i = 0; i < 3; i++)
    {
      const CtRobustnessPoint *point = &g_array_index (drops, CtRobustnessPoint, i);

      g_assert_true (near_color (&canvas, point->x, point->y, 1, series_rgb, 40));
    }

  /* A click near a point finds it; one far from every point, nothing. */
  for (guint i = 0; i < drops->len; i++)
    {
      const CtRobustnessPoint *point = &g_array_index (drops, CtRobustnessPoint, i);

      g_assert_true (ct_robustness_chart_hit_test (result, CT_ROBUSTNESS_CHART_CONFIDENCE_DROP,
                                                   width, height, point->x + 4, point->y - 3,
                                                   8, &hit));
      g_assert_cmpuint (hit.epoch_index, ==, point->epoch_index);
      g_assert_cmpint (hit.perturbation, ==, point->perturbation);
    }
  g_assert_false (ct_robustness_chart_hit_test (result, CT_ROBUSTNESS_CHART_CONFIDENCE_DROP,
                                                width, height, 2, 2, 8, &hit));

  /* The accuracy chart adds the clean line, which is no perturbation. */
  accuracy = ct_robustness_chart_dup_points (result, CT_ROBUSTNESS_CHART_ACCURACY, width, height);
  g_assert_cmpuint (accuracy->len, ==, 9);
  g_assert_cmpint (g_array_index (accuracy, CtRobustnessPoint, 8).perturbation, ==, -1);

  tiny = ct_robustness_chart_dup_points (result, CT_ROBUSTNESS_CHART_ACCURACY, 30, 30);
  g_assert_cmpuint (tiny->len, ==, 0);
}

/* The chart's text as pdftotext reads it from the PDF Cairo writes. */
static char *
dup_chart_text (const CtRobustness *result,
                CtRobustnessChart   chart)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *pdftotext = g_find_program_in_path ("pdftotext");
  g_autofree char *dir = g_dir_make_tmp ("camtrail-plot-XXXXXX", &error);
  g_autofree char *pdf = NULL;
  char *text = NULL;
  cairo_surface_t *surface;
  cairo_t *cr;
  int wait_status;

  g_assert_no_error (error);
  if (pdftotext == NULL)
    g_error ("pdftotext is missing: install poppler-utils (scripts/install-deps --tests)");
  pdf = g_build_filename (dir, "chart.pdf", NULL);
  surface = cairo_pdf_surface_create (pdf, 640, 400);
  cr = cairo_create (surface);
  ct_robustness_chart_draw (cr, 640, 400, result, chart);
  cairo_destroy (cr);
  cairo_surface_finish (surface);
  g_assert_cmpint (cairo_surface_status (surface), ==, CAIRO_STATUS_SUCCESS);
  cairo_surface_destroy (surface);

  {
    const char *argv[] = { pdftotext, "-raw", pdf, "-", NULL };

    g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL,
                                 &text, NULL, &wait_status, &error));
    g_assert_no_error (error);
    g_assert_true (g_spawn_check_wait_status (wait_status, NULL));
  }
  g_test_message ("%s", text);
  g_unlink (pdf);
  g_rmdir (dir);
  return text;
}

/* One style of axis labels across charts and figures (ct-draw.h): a
 * robustness chart's title and axes read in sentence case, as the figure's
 * rows ("Epoch 1") and the window's chart ("Epoch") do.  Read back from
 * the PDF Cairo writes, by pdftotext. */
static void
test_robustness_axis_labels (void)
{
  g_autoptr(CtRobustness) result = make_study ();
  g_autofree char *text = dup_chart_text (result, CT_ROBUSTNESS_CHART_CONFIDENCE_DROP);

  g_assert_nonnull (strstr (text, "Epoch"));
  g_assert_nonnull (strstr (text, "Confidence drop"));
  g_assert_null (strstr (text, "confidence drop"));
  g_assert_null (strstr (text, "epoch"));
}

/* Only a corruption studied at several severities becomes one "mean of"
 * line: two noise levels (no corruption) and one severity of brightness are
 * lines of their own, named by their labels. */
static void
test_robustness_legend (void)
{
  g_autoptr(GArray) perturbations =
    ct_robustness_parse_perturbations ("noise:0.1,noise:0.2,c10c:brightness-3", NULL);
  g_autoptr(CtRobustness) result = g_new0 (CtRobustness, 1);
  g_autofree char *text = NULL;
  g_autoptr(GArray) points = NULL;
  guint P;

  g_assert_nonnull (perturbations);
  P = perturbations->len;
  result->run_name = g_strdup ("study");
  result->n_perturbations = P;
  result->perturbations = g_memdup2 (perturbations->data, P * sizeof (CtPerturb));
  result->labels = g_new0 (char *, P + 1);
  for (guint p = 0; p < P; p++)
    result->labels[p] = ct_robustness_dup_label (&result->perturbations[p]);
  result->n_epochs = 2;
  result->epochs = g_new0 (CtRobustnessEpoch, result->n_epochs);
  result->rows = g_new0 (CtRobustnessRow, result->n_epochs * P);
  for (guint e = 0; e < result->n_epochs; e++)
    {
      result->epochs[e].epoch = e;
      result->epochs[e].clean_accuracy = 0.8;
      for (guint p = 0; p < P; p++)
        {
          CtRobustnessRow *row = ct_robustness_get_row (result, e, p);

          row->epoch = e;
          row->perturbation = p;
          row->accuracy = 0.5;
          row->confidence_drop = (CtRobustnessStat) { 0.1 * (p + 1), 0.01, 10 };
        }
    }

  text = dup_chart_text (result, CT_ROBUSTNESS_CHART_CONFIDENCE_DROP);
  for (guint p = 0; p < P; p++)
    g_assert_nonnull (strstr (text, result->labels[p]));
  g_assert_null (strstr (text, "mean of"));

  /* Three lines of two epochs each. */
  points = ct_robustness_chart_dup_points (result, CT_ROBUSTNESS_CHART_CONFIDENCE_DROP, 640, 400);
  g_assert_cmpuint (points->len, ==, 6);
  for (guint i = 0; i < points->len; i++)
    g_assert_cmpint (g_array_index (points, CtRobustnessPoint, i).perturbation, ==, i / 2);
}

/* A chart's PNG: @scale pixels to a unit of ct_robustness_chart_get_size(),
 * and the study it shows in its text chunks. */
static void
test_robustness_write_png (void)
{
  g_autoptr(CtRobustness) result = make_study ();
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("camtrail-plot-XXXXXX", &error);
  g_autofree char *path = NULL;
  g_autofree guint8 *rgba = NULL;
  g_autoptr(GHashTable) text = NULL;
  g_autofree char *labels = NULL;
  double width, height;
  guint png_width, png_height;

  g_assert_no_error (error);
  result->arch = g_strdup ("camtrail_net");
  result->dataset = g_strdup ("cifar-10");
  result->layer = g_strdup ("stages.2");
  result->method = g_strdup ("gradcam");
  result->target_rule = g_strdup ("predicted");
  result->seed = 11;
  path = g_build_filename (dir, "chart.png", NULL);
  ct_robustness_chart_get_size (result, &width, &height);
  g_assert_true (ct_robustness_chart_write_png (result, CT_ROBUSTNESS_CHART_CONFIDENCE_DROP, 2.0,
                                                path, &error));
  g_assert_no_error (error);
  rgba = ct_png_read_rgba (path, &png_width, &png_height, &text, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (png_width, ==, (guint) ceil (2 * width));
  g_assert_cmpuint (png_height, ==, (guint) ceil (2 * height));

  labels = g_strjoinv (",", result->labels);
  g_assert_cmpstr (g_hash_table_lookup (text, "camtrail:run"), ==, "study");
  g_assert_cmpstr (g_hash_table_lookup (text, "camtrail:arch"), ==, "camtrail_net");
  g_assert_cmpstr (g_hash_table_lookup (text, "camtrail:dataset"), ==, "cifar-10");
  g_assert_cmpstr (g_hash_table_lookup (text, "camtrail:layer"), ==, "stages.2");
  g_assert_cmpstr (g_hash_table_lookup (text, "camtrail:method"), ==, "gradcam");
  g_assert_cmpstr (g_hash_table_lookup (text, "camtrail:target"), ==, "predicted");
  g_assert_cmpstr (g_hash_table_lookup (text, "camtrail:epochs"), ==, "0,5,10");
  g_assert_cmpstr (g_hash_table_lookup (text, "camtrail:perturbations"), ==, labels);
  g_assert_cmpstr (g_hash_table_lookup (text, "camtrail:seed"), ==, "11");
  g_assert_cmpstr (g_hash_table_lookup (text, "camtrail:chart"), ==,
                   ct_robustness_chart_to_string (CT_ROBUSTNESS_CHART_CONFIDENCE_DROP));
  g_unlink (path);
  g_rmdir (dir);
}

static const double grey_rgb[3] = { 0.5, 0.5, 0.5 };

/* Epochs 0, 5 and 10: the method's deletion AUC 0.6, 0.4, 0.2 ± 0.1, the
 * random heatmaps' 0.75 ± 0.02 throughout. */
static CtFaithfulness *
make_faithfulness (void)
{
  CtFaithfulness *result = ct_faithfulness_new ();

  result->run_name = g_strdup ("study");
  result->method = g_strdup ("gradcam");
  for (guint e = 0; e < 3; e++)
    {
      CtFaithfulnessRow method = { 0 }, random = { 0 };

      method.epoch = random.epoch = 5 * e;
      method.heatmap = g_strdup ("gradcam");
      random.heatmap = g_strdup ("random");
      method.deletion = 0.6 - 0.2 * e;
      method.deletion_ci95 = 0.1;
      random.deletion = 0.75;
      random.deletion_ci95 = 0.02;
      method.insertion = 0.3;
      random.insertion = 0.35;
      method.road_morf = -0.3 + 0.05 * e;
      method.road_lerf = 0.1;
      random.road_morf = -0.1;
      random.road_lerf = -0.1;
      g_array_append_val (result->rows, method);
      g_array_append_val (result->rows, random);
    }
  return result;
}

/* Faithfulness and sanity charts' PNGs: @scale pixels to a unit of
 * ct_faithfulness_chart_get_size(), titled "RUN: what the chart shows". */
static void
test_faithfulness_write_png (void)
{
  g_autoptr(CtFaithfulness) faithfulness = make_faithfulness ();
  g_autoptr(CtSanity) sanity = ct_sanity_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("camtrail-plot-XXXXXX", &error);
  g_autofree char *path = NULL;
  CtSanityRow row = { 0 };
  double width, height;

  g_assert_no_error (error);
  path = g_build_filename (dir, "chart.png", NULL);
  ct_faithfulness_chart_get_size (&width, &height);
  sanity->run_name = g_strdup ("sane");
  sanity->method = g_strdup ("gradcam");
  row.epoch = 5;
  row.against = g_strdup ("epoch 0");
  row.spearman = 0.3;
  g_array_append_val (sanity->rows, row);

  for (guint i = 0; i < 2; i++)
    {
      g_autofree guint8 *rgba = NULL;
      g_autoptr(GHashTable) text = NULL;
      guint png_width, png_height;

      if (i == 0)
        g_assert_true (ct_faithfulness_chart_write_png (faithfulness, CT_FAITHFULNESS_CHART_DELETION,
                                                        2.0, path, &error));
      else
        g_assert_true (ct_sanity_chart_write_png (sanity, CT_SANITY_CHART_EPOCH0, 2.0, path,
                                                  &error));
      g_assert_no_error (error);
      rgba = ct_png_read_rgba (path, &png_width, &png_height, &text, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (png_width, ==, (guint) ceil (2 * width));
      g_assert_cmpuint (png_height, ==, (guint) ceil (2 * height));
      if (i == 0)
        {
          g_assert_cmpstr (g_hash_table_lookup (text, "Title"), ==,
                           "study: Deletion AUC (lower: more faithful)");
          g_assert_cmpstr (g_hash_table_lookup (text, "camtrail:chart"), ==,
                           "faithfulness-deletion");
        }
      else
        {
          g_assert_cmpstr (g_hash_table_lookup (text, "Title"), ==,
                           "sane: gradcam's maps against epoch 0's (lower: they follow the training)");
          g_assert_cmpstr (g_hash_table_lookup (text, "camtrail:chart"), ==, "sanity-epoch0");
        }
      g_unlink (path);
    }
  g_rmdir (dir);
}

/* Hand-made rows land where the chart's area says: the method's deletion
 * AUCs in its colour, the random row in grey, the 95% band translucent
 * over its interval and not beyond it. */
static void
test_faithfulness_chart (void)
{
  g_autoptr(CtFaithfulness) result = make_faithfulness ();
  g_auto(Canvas) canvas = { 0 };
  const int width = 640, height = 400;
  CtPlotArea area;
  double ux, uy, outside;
  guint probes = 0;

  g_assert_true (ct_faithfulness_chart_get_area (result, CT_FAITHFULNESS_CHART_DELETION,
                                                 width, height, &area));
  g_assert_cmpfloat (area.y_min, ==, 0.0);
  g_assert_cmpfloat (area.y_max, ==, 1.0);
  g_assert_cmpfloat (area.x_min, <, 0.0);
  g_assert_cmpfloat (area.x_max, >, 10.0);
  canvas_init (&canvas, width, height, 0x000000);
  ct_faithfulness_chart_draw (canvas.cr, width, height, result, CT_FAITHFULNESS_CHART_DELETION);
  canvas_finish (&canvas);

  for (guint e = 0; e < 3; e++)
    {
      ct_plot_area_to_user (&area, 5 * e, 0.6 - 0.2 * e, &ux, &uy);
      g_assert_true (near_color (&canvas, ux, uy, 1, series_rgb, 40));
      ct_plot_area_to_user (&area, 5 * e, 0.75, &ux, &uy);
      g_assert_true (near_color (&canvas, ux, uy, 1, grey_rgb, 12));
    }

  /* At epoch 2.5 the line is at 0.5 and its band [0.4, 0.6]: inside it,
   * off the line, the blue is laid over white; past 0.6, white. */
  for (double value = 0.44; value <= 0.56 && probes < 4; value += 0.03)
    {
      ct_plot_area_to_user (&area, 2.5, value, &ux, &uy);
      if (fabs (value - 0.5) < 0.02 || near_grid_line (&area, uy))
        continue;
      assert_translucent_series (pixel (&canvas, (int) ux, (int) uy));
      probes++;
    }
  g_assert_cmpuint (probes, >=, 2);
  ct_plot_area_to_user (&area, 2.5, 0.6, &ux, &outside);
  for (uy = outside - 4.0; near_grid_line (&area, uy); uy -= 3.0)
    ;
  g_assert_cmphex (pixel (&canvas, (int) ux, (int) uy), ==, 0xffffff);

  /* ROAD: most relevant first in the method's colour, at its own values. */
  canvas_clear (&canvas);
  g_assert_true (ct_faithfulness_chart_get_area (result, CT_FAITHFULNESS_CHART_ROAD,
                                                 width, height, &area));
  canvas_init (&canvas, width, height, 0x000000);
  ct_faithfulness_chart_draw (canvas.cr, width, height, result, CT_FAITHFULNESS_CHART_ROAD);
  canvas_finish (&canvas);
  for (guint e = 0; e < 3; e++)
    {
      ct_plot_area_to_user (&area, 5 * e, -0.3 + 0.05 * e, &ux, &uy);
      g_assert_true (near_color (&canvas, ux, uy, 1, series_rgb, 40));
    }
  g_assert_cmpstr (ct_faithfulness_chart_to_string (CT_FAITHFULNESS_CHART_ROAD), ==,
                   "faithfulness-road");
}

/* The sanity charts: against epoch 0 over the epochs; the cascade over the
 * number of groups randomised, not the epoch. */
static void
test_sanity_chart (void)
{
  g_autoptr(CtSanity) result = ct_sanity_new ();
  g_auto(Canvas) canvas = { 0 };
  const int width = 640, height = 400;
  static const struct { int epoch; const char *against; guint k; double spearman; } rows[] = {
    { 5, "epoch 0", 0, 0.3 }, { 10, "epoch 0", 0, 0.1 },
    { 10, "head", 1, 0.8 }, { 10, "stages.1", 2, 0.5 }, { 10, "stem", 3, 0.2 },
  };
  CtPlotArea area;
  double ux, uy;

  result->run_name = g_strdup ("study");
  result->method = g_strdup ("gradcam");
  for (guint r = 0; r < G_N_ELEMENTS (rows); r++)
    {
      CtSanityRow row = { 0 };

      row.epoch = rows[r].epoch;
      row.against = g_strdup (rows[r].against);
      row.n_randomised = rows[r].k;
      row.spearman = rows[r].spearman;
      row.spearman_ci95 = 0.05;
      row.ssim = -0.5;
      row.top_iou = 1.0;
      g_array_append_val (result->rows, row);
    }

  for (CtSanityChart chart = 0; chart < CT_SANITY_N_CHARTS; chart++)
    {
      gboolean cascade = chart == CT_SANITY_CHART_CASCADE;

      g_assert_true (ct_sanity_chart_get_area (result, chart, width, height, &area));
      if (cascade)
        g_assert_cmpfloat (area.x_max, <, 5.0);
      else
        g_assert_cmpfloat (area.x_min, >, 1.0);
      canvas_init (&canvas, width, height, 0x000000);
      ct_sanity_chart_draw (canvas.cr, width, height, result, chart);
      canvas_finish (&canvas);
      for (guint r = 0; r < G_N_ELEMENTS (rows); r++)
        {
          if ((rows[r].k > 0) != cascade)
            continue;
          ct_plot_area_to_user (&area, cascade ? (double) rows[r].k : (double) rows[r].epoch,
                                rows[r].spearman,
                                &ux, &uy);
          g_assert_true (near_color (&canvas, ux, uy, 1, series_rgb, 40));
        }
      canvas_clear (&canvas);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/plot/lines/points-at-data-positions", test_points_at_data_positions);
  g_test_add_func ("/plot/lines/nan-breaks-line", test_nan_breaks_line);
  g_test_add_func ("/plot/lines/band-is-translucent", test_band_is_translucent);
  g_test_add_func ("/plot/lines/legend-avoids-data", test_legend_avoids_data);
  g_test_add_func ("/plot/lines/tick-labels", test_tick_labels);
  g_test_add_func ("/plot/lines/legend-rows", test_legend_rows);
  g_test_add_func ("/plot/lines/grid-lines", test_grid_lines);
  g_test_add_func ("/plot/lines/fitted-ranges", test_fitted_ranges);
  g_test_add_func ("/plot/lines/scaled", test_scaled);
  g_test_add_func ("/plot/lines/no-data", test_no_data);
  g_test_add_func ("/plot/tiny", test_tiny);
  g_test_add_func ("/plot/bars/proportional", test_bars_proportional);
  g_test_add_func ("/plot/bars/odd-input", test_bars_odd_input);
  g_test_add_func ("/plot/bars/too-narrow", test_bars_too_narrow);
  g_test_add_func ("/plot/robustness/points", test_robustness_points);
  g_test_add_func ("/plot/robustness/axis-labels", test_robustness_axis_labels);
  g_test_add_func ("/plot/robustness/legend", test_robustness_legend);
  g_test_add_func ("/plot/robustness/write-png", test_robustness_write_png);
  g_test_add_func ("/plot/faithfulness/chart", test_faithfulness_chart);
  g_test_add_func ("/plot/faithfulness/sanity", test_sanity_chart);
  g_test_add_func ("/plot/faithfulness/write-png", test_faithfulness_write_png);

  return g_test_run ();
}
