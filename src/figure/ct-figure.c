/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "ct-figure.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#include <cairo-pdf.h>
#include <cairo-svg.h>
#include <glib/gstdio.h>

#include "ct-cam-method.h"
#include "ct-draw.h"
#include "ct-png.h"

/* All lengths below are in pixels at scale 1.  The layout multiplies them by
 * the style's scale and rounds once, so every cell starts on a whole device
 * pixel and nearest-neighbour upscaling stays crisp. */
#define MARGIN            16
#define TITLE_FONT        15
#define TITLE_LINE        22
#define SUBTITLE_FONT     11
#define SUBTITLE_LINE     16
#define TITLE_GAP         12
#define HEADER_FONT       12
#define HEADER_LINE       18
#define ROUND_FONT        10
#define ROUND_LINE        14
#define HEADER_GAP        4
#define ROW_LABEL_FONT    12
#define ROW_LABEL_GAP     12
#define CAPTION_FONT      11
#define CAPTION_LINE      16
#define CAPTION_PAD       3
#define ROUND_GAP         4
#define COLUMN_GAP        14
#define ROW_GAP           10
#define BAR_GAP           20
#define BAR_WIDTH         12
#define TICK_LENGTH       4
#define TICK_FONT         CT_DRAW_TICK_FONT
#define TICK_LABEL_GAP    3
#define BAR_LABEL_GAP     8
#define BAR_LABEL_FONT    CT_DRAW_AXIS_LABEL_FONT
#define BAR_LABEL_LINE    CT_DRAW_AXIS_LABEL_LINE
#define MIN_CELL_SIZE     96

/* Cairo's image surfaces are limited to 32767 pixels a side. */
#define MAX_SURFACE_SIDE  32767

static const CtDrawRgb right_color = { 0.10, 0.56, 0.24 };
static const CtDrawRgb wrong_color = { 0.82, 0.15, 0.18 };

static const double bar_ticks[] = { 0.0, 0.25, 0.5, 0.75, 1.0 };

typedef struct {
  double scale;
  int    cell;
  int    caption;
  int    round_gap;
  int    column_gap;
  int    row_gap;
  int    column_width;     /* all rounds of one image */
  int    grid_x;           /* top-left of the first cell */
  int    grid_y;
  int    title_y;
  int    header_y;
  int    margin;
  int    bar_x;
  int    bar_y;
  int    bar_width;
  int    bar_height;
  int    width;
  int    height;
  char  *title;
  char  *subtitle;
  gboolean ellipsize_titles;
} Layout;

G_DEFINE_QUARK (ct-figure-error-quark, ct_figure_error)

void
ct_figure_style_init (CtFigureStyle *style)
{
  g_return_if_fail (style != NULL);

  style->scale = 1.0;
  style->cell_size = 0;
  style->colormap = CT_COLORMAP_JET;
  style->image_weight = 0.5f;
  style->show_colorbar = TRUE;
  style->ellipsize_titles = FALSE;
  style->dark = FALSE;
}

static inline int
scaled (const Layout *layout,
        double        length)
{
  return (int) lround (length * layout->scale);
}

static double
style_scale (const CtFigureStyle *style)
{
  return style->scale > 0.0 ? style->scale : 1.0;
}

static gboolean
grid_is_perturbed (const CtGrid *grid)
{
  return grid->perturbation != NULL
         && grid->perturbation[0] != '\0'
         && g_strcmp0 (grid->perturbation, "none") != 0;
}

static guint
grid_rounds (const CtGrid *grid)
{
  return MAX (grid->n_rounds, 1);
}

/* The grid accessors take a mutable grid but only compute addresses. */
static const CtGridCell *
grid_cell (const CtGrid *grid,
           guint         row,
           guint         image,
           guint         round)
{
  return ct_grid_get_cell ((CtGrid *) grid, row, image, round);
}

static const char *
class_name (const CtGrid *grid,
            int           klass,
            char          fallback[32])
{
  if (klass >= 0 && (guint) klass < grid->n_classes
      && grid->classes != NULL && grid->classes[klass] != NULL)
    return grid->classes[klass];

  g_snprintf (fallback, 32, "class %d", klass);
  return fallback;
}

static char *
format_number (double value,
               const char *format)
{
  char buffer[G_ASCII_DTOSTR_BUF_SIZE];

  /* Always a dot: the same figure whatever the locale. */
  return g_strdup (g_ascii_formatd (buffer, sizeof buffer, format, value));
}

char *
ct_figure_dup_drop_label (double drop)
{
  g_autofree char *number = format_number (fabs (drop), "%.2f");

  /* A drop that rounds to zero has no sign: never "Δ−0.00" beside "Δ0.00". */
  return g_strdup_printf ("Δ%s%s", drop < 0 && !g_str_equal (number, "0.00") ? "−" : "", number);
}

static char *
row_label (const CtGrid *grid,
           guint         row)
{
  int epoch = grid->epochs != NULL ? grid->epochs[row] : (int) row;

  if (epoch == 0)
    return g_strdup ("Epoch 0 (init)");

  return g_strdup_printf ("Epoch %d", epoch);
}

static const char *
scale_description (CtCamScale scale)
{
  switch (scale)
    {
    case CT_CAM_SCALE_RAW:
      return "Raw";
    case CT_CAM_SCALE_SHARED:
      return "Shared across epochs";
    case CT_CAM_SCALE_IMAGE:
    default:
      return "Per-image min-max";
    }
}

static char *
dup_title (const CtGrid *grid)
{
  g_autoptr(GPtrArray) parts = g_ptr_array_new_with_free_func (g_free);

  g_ptr_array_add (parts, g_strdup (grid->run_name != NULL ? grid->run_name : "Camtrail"));
  if (grid->layer != NULL && grid->layer[0] != '\0')
    g_ptr_array_add (parts, g_strdup_printf ("layer %s", grid->layer));
  g_ptr_array_add (parts, g_strdup (grid_is_perturbed (grid) ? grid->perturbation
                                                             : "clean images"));
  g_ptr_array_add (parts, NULL);

  return g_strjoinv (" · ", (char **) parts->pdata);
}

/* "Grad-CAM++" for "gradcam++"; a name the table does not know as it is. */
static const char *
method_title (const char *name)
{
  CtCamMethod method;

  if (ct_cam_method_from_string (name, &method))
    return ct_cam_method_get_info (method)->title;
  return name;
}

static char *
dup_subtitle (const CtGrid *grid)
{
  g_autoptr(GPtrArray) parts = g_ptr_array_new_with_free_func (g_free);

  if (grid->arch != NULL && grid->dataset != NULL)
    g_ptr_array_add (parts, g_strdup_printf ("%s on %s", grid->arch, grid->dataset));
  else if (grid->arch != NULL || grid->dataset != NULL)
    g_ptr_array_add (parts, g_strdup (grid->arch != NULL ? grid->arch : grid->dataset));

  /* A comparison names its methods in the column headers. */
  if (grid->column_methods != NULL)
    g_ptr_array_add (parts, g_strdup_printf ("methods compared, target: %s",
                                             grid->target_rule != NULL ? grid->target_rule
                                                                       : "predicted"));
  else if (grid->method != NULL && grid->target_rule != NULL)
    g_ptr_array_add (parts, g_strdup_printf ("%s, target: %s", method_title (grid->method),
                                             grid->target_rule));
  else if (grid->method != NULL)
    g_ptr_array_add (parts, g_strdup (method_title (grid->method)));

  g_ptr_array_add (parts, g_strdup_printf ("seed %" G_GUINT64_FORMAT, grid->seed));
  g_ptr_array_add (parts, g_strdup (grid->column_methods != NULL
                                    ? "columns: method #test index"
                                    : "columns: true class #test index"));
  if (grid_is_perturbed (grid))
    g_ptr_array_add (parts, g_strdup ("Δ: confidence drop"));
  g_ptr_array_add (parts, NULL);

  return g_strjoinv (" · ", (char **) parts->pdata);
}

static void
layout_clear (Layout *layout)
{
  g_clear_pointer (&layout->title, g_free);
  g_clear_pointer (&layout->subtitle, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Layout, layout_clear)

static int
effective_cell_size (const CtGrid        *grid,
                     const CtFigureStyle *style)
{
  if (style->cell_size > 0)
    return style->cell_size;

  return MAX (MIN_CELL_SIZE, 4 * (int) MAX (grid->height, grid->width));
}

static int
caption_lines (const CtGrid *grid)
{
  return grid_is_perturbed (grid) ? 2 : 1;
}

/* Measures the texts at scale 1 on a scratch surface with unhinted metrics
 * and multiplies, so the size does not depend on the surface the figure is
 * later drawn on and grows exactly with the scale. */
static void
layout_compute (Layout              *layout,
                const CtGrid        *grid,
                const CtFigureStyle *style)
{
  g_autoptr(cairo_t) cr = ct_draw_create_measure_context ();
  guint n_rounds = grid_rounds (grid);
  double label_width = 0.0;
  double title_width;
  int content_width;
  int grid_width;
  int grid_height;
  int bar_extra = 0;

  memset (layout, 0, sizeof *layout);
  layout->scale = style_scale (style);
  layout->title = dup_title (grid);
  layout->subtitle = dup_subtitle (grid);

  layout->margin = scaled (layout, MARGIN);
  layout->cell = MAX (1, scaled (layout, effective_cell_size (grid, style)));
  layout->caption = scaled (layout, CAPTION_PAD + caption_lines (grid) * CAPTION_LINE);
  layout->round_gap = scaled (layout, ROUND_GAP);
  layout->column_gap = scaled (layout, COLUMN_GAP);
  layout->row_gap = scaled (layout, ROW_GAP);
  layout->column_width = n_rounds * layout->cell + (n_rounds - 1) * layout->round_gap;

  ct_draw_set_font (cr, ROW_LABEL_FONT, TRUE);
  for (guint row = 0; row < grid->n_rows; row++)
    {
      g_autofree char *label = row_label (grid, row);

      label_width = MAX (label_width, ct_draw_text_width (cr, label));
    }

  layout->title_y = layout->margin;
  layout->header_y = layout->title_y
                     + scaled (layout, TITLE_LINE + SUBTITLE_LINE + TITLE_GAP);
  layout->grid_x = layout->margin + scaled (layout, ceil (label_width) + ROW_LABEL_GAP);
  layout->grid_y = layout->header_y + scaled (layout, HEADER_LINE + HEADER_GAP);
  if (n_rounds > 1)
    layout->grid_y += scaled (layout, ROUND_LINE);

  grid_width = grid->n_images * layout->column_width
               + (grid->n_images > 0 ? grid->n_images - 1 : 0) * layout->column_gap;
  grid_height = grid->n_rows * (layout->cell + layout->caption)
                + (grid->n_rows > 0 ? grid->n_rows - 1 : 0) * layout->row_gap;

  if (style->show_colorbar)
    {
      double tick_width = 0.0;

      ct_draw_set_font (cr, TICK_FONT, FALSE);
      for (guint i = 0; i < G_N_ELEMENTS (bar_ticks); i++)
        {
          g_autofree char *tick = format_number (bar_ticks[i], "%g");

          tick_width = MAX (tick_width, ct_draw_text_width (cr, tick));
        }

      layout->bar_x = layout->grid_x + grid_width + scaled (layout, BAR_GAP);
      layout->bar_y = layout->grid_y;
      layout->bar_width = scaled (layout, BAR_WIDTH);
      /* From the top of the first cell to the bottom of the last image, so
       * the bar lines up with the pictures rather than their captions. */
      layout->bar_height = MAX (layout->cell, grid_height - layout->caption);
      bar_extra = scaled (layout, BAR_GAP + BAR_WIDTH + TICK_LENGTH + TICK_LABEL_GAP
                                  + ceil (tick_width) + BAR_LABEL_GAP + BAR_LABEL_LINE);
    }

  content_width = layout->grid_x + grid_width + bar_extra + layout->margin;

  layout->ellipsize_titles = style->ellipsize_titles;
  if (!style->ellipsize_titles)
    {
      ct_draw_set_font (cr, TITLE_FONT, TRUE);
      title_width = ct_draw_text_width (cr, layout->title);
      ct_draw_set_font (cr, SUBTITLE_FONT, FALSE);
      title_width = MAX (title_width, ct_draw_text_width (cr, layout->subtitle));
      content_width = MAX (content_width, 2 * layout->margin + scaled (layout, ceil (title_width)));
    }

  layout->width = content_width;
  layout->height = layout->grid_y + grid_height + layout->margin;
}

static int
cell_x (const Layout *layout,
        guint         image,
        guint         round)
{
  return layout->grid_x + image * (layout->column_width + layout->column_gap)
         + round * (layout->cell + layout->round_gap);
}

static int
cell_y (const Layout *layout,
        guint         row)
{
  return layout->grid_y + row * (layout->cell + layout->caption + layout->row_gap);
}

void
ct_figure_get_size (const CtGrid        *grid,
                    const CtFigureStyle *style,
                    int                 *out_width,
                    int                 *out_height)
{
  g_auto(Layout) layout = { 0 };

  g_return_if_fail (grid != NULL);
  g_return_if_fail (style != NULL);

  layout_compute (&layout, grid, style);

  if (out_width != NULL)
    *out_width = layout.width;
  if (out_height != NULL)
    *out_height = layout.height;
}

int
ct_figure_get_cell_size (const CtGrid        *grid,
                         const CtFigureStyle *style)
{
  g_return_val_if_fail (grid != NULL && style != NULL, 0);

  return effective_cell_size (grid, style);
}

int
ct_figure_fit_cell_size (const CtGrid        *grid,
                         const CtFigureStyle *style,
                         int                  width,
                         int                  height)
{
  CtFigureStyle trial;
  int low = 1, high;

  g_return_val_if_fail (grid != NULL && style != NULL, 1);

  /* The figure grows with the cell: the largest that fits, by bisection. */
  trial = *style;
  high = effective_cell_size (grid, style);
  while (low < high)
    {
      int middle = low + (high - low + 1) / 2;
      int figure_width, figure_height;

      trial.cell_size = middle;
      ct_figure_get_size (grid, &trial, &figure_width, &figure_height);
      if (figure_width <= width && figure_height <= height)
        low = middle;
      else
        high = middle - 1;
    }
  return low;
}

void
ct_figure_get_cell_rect (const CtGrid        *grid,
                         const CtFigureStyle *style,
                         guint                row,
                         guint                image,
                         guint                round,
                         int                 *out_x,
                         int                 *out_y,
                         int                 *out_size,
                         int                 *out_caption_height)
{
  g_auto(Layout) layout = { 0 };

  g_return_if_fail (grid != NULL);
  g_return_if_fail (style != NULL);

  layout_compute (&layout, grid, style);

  if (out_x != NULL)
    *out_x = cell_x (&layout, image, round);
  if (out_y != NULL)
    *out_y = cell_y (&layout, row);
  if (out_size != NULL)
    *out_size = layout.cell;
  if (out_caption_height != NULL)
    *out_caption_height = layout.caption;
}

/* Wraps packed RGB bytes in an RGB24 surface for Cairo to scale. */
static cairo_surface_t *
surface_from_rgb (const guint8 *rgb,
                  guint         width,
                  guint         height)
{
  cairo_surface_t *surface = cairo_image_surface_create (CAIRO_FORMAT_RGB24, width, height);
  int stride = cairo_image_surface_get_stride (surface);
  guint8 *data;

  if (cairo_surface_status (surface) != CAIRO_STATUS_SUCCESS)
    return surface;

  cairo_surface_flush (surface);
  data = cairo_image_surface_get_data (surface);
  for (guint y = 0; y < height; y++)
    {
      guint32 *line = (guint32 *) (data + (gsize) y * stride);

      for (guint x = 0; x < width; x++)
        {
          const guint8 *p = rgb + ((gsize) y * width + x) * 3;

          line[x] = ((guint32) p[0] << 16) | ((guint32) p[1] << 8) | p[2];
        }
    }
  cairo_surface_mark_dirty (surface);

  return surface;
}

/* @surface with each pixel repeated @factor_x × @factor_y times. */
static cairo_surface_t *
dup_enlarged (cairo_surface_t *surface,
              int              factor_x,
              int              factor_y)
{
  int width = cairo_image_surface_get_width (surface);
  int height = cairo_image_surface_get_height (surface);
  int stride = cairo_image_surface_get_stride (surface);
  const guint8 *data = cairo_image_surface_get_data (surface);
  cairo_surface_t *large = cairo_image_surface_create (cairo_image_surface_get_format (surface),
                                                       width * factor_x, height * factor_y);
  int large_stride = cairo_image_surface_get_stride (large);
  guint8 *large_data = cairo_image_surface_get_data (large);

  cairo_surface_flush (surface);
  cairo_surface_flush (large);
  for (int y = 0; y < height * factor_y; y++)
    {
      const guint32 *from = (const guint32 *) (data + (gsize) (y / factor_y) * stride);
      guint32 *to = (guint32 *) (large_data + (gsize) y * large_stride);

      for (int x = 0; x < width * factor_x; x++)
        to[x] = from[x / factor_x];
    }
  cairo_surface_mark_dirty (large);
  return large;
}

/* Paints @surface stretched over the rectangle with crisp, unblended
 * pixels. */
static void
paint_pixels (cairo_t         *cr,
              cairo_surface_t *surface,
              double           x,
              double           y,
              double           width,
              double           height)
{
  int surface_width = cairo_image_surface_get_width (surface);
  int surface_height = cairo_image_surface_get_height (surface);
  cairo_surface_t *enlarged = NULL;

  if (surface_width <= 0 || surface_height <= 0)
    return;

  /* An SVG keeps no filter with its images (Cairo 1.16), and viewers
   * smooth them: enlarged beforehand to about the device size, the pixels
   * stay crisp whatever the viewer does. */
  if (cairo_surface_get_type (cairo_get_target (cr)) == CAIRO_SURFACE_TYPE_SVG)
    {
      double device_width = width, device_height = height;
      int factor_x, factor_y;

      cairo_user_to_device_distance (cr, &device_width, &device_height);
      factor_x = CLAMP ((int) ceil (fabs (device_width) / surface_width), 1, 32);
      factor_y = CLAMP ((int) ceil (fabs (device_height) / surface_height), 1, 32);
      enlarged = dup_enlarged (surface, factor_x, factor_y);
      surface = enlarged;
      surface_width *= factor_x;
      surface_height *= factor_y;
    }

  cairo_save (cr);
  cairo_rectangle (cr, x, y, width, height);
  cairo_clip (cr);
  cairo_translate (cr, x, y);
  cairo_scale (cr, width / surface_width, height / surface_height);
  cairo_set_source_surface (cr, surface, 0, 0);
  cairo_pattern_set_filter (cairo_get_source (cr), CAIRO_FILTER_NEAREST);
  cairo_pattern_set_extend (cairo_get_source (cr), CAIRO_EXTEND_PAD);
  cairo_paint (cr);
  cairo_restore (cr);
  g_clear_pointer (&enlarged, cairo_surface_destroy);
}

/* A tick or a cross drawn as strokes, so it needs no glyph from the font;
 * @em is the font size, the mark is 0.8 em wide. */
static void
draw_verdict_mark (cairo_t  *cr,
                   gboolean  right,
                   double    x,
                   double    baseline,
                   double    em)
{
  cairo_save (cr);
  cairo_set_line_width (cr, 0.14 * em);
  cairo_set_line_cap (cr, CAIRO_LINE_CAP_ROUND);
  cairo_set_line_join (cr, CAIRO_LINE_JOIN_ROUND);

  if (right)
    {
      ct_draw_set_hue (cr, &right_color);
      cairo_move_to (cr, x + 0.08 * em, baseline - 0.36 * em);
      cairo_line_to (cr, x + 0.30 * em, baseline - 0.08 * em);
      cairo_line_to (cr, x + 0.76 * em, baseline - 0.70 * em);
    }
  else
    {
      ct_draw_set_hue (cr, &wrong_color);
      cairo_move_to (cr, x + 0.12 * em, baseline - 0.64 * em);
      cairo_line_to (cr, x + 0.66 * em, baseline - 0.10 * em);
      cairo_move_to (cr, x + 0.66 * em, baseline - 0.64 * em);
      cairo_line_to (cr, x + 0.12 * em, baseline - 0.10 * em);
    }

  cairo_stroke (cr);
  cairo_restore (cr);
}

static void
draw_cell_caption (cairo_t             *cr,
                   const CtGrid        *grid,
                   const CtGridCell    *cell,
                   guint                image,
                   const CtFigureStyle *style,
                   double               x,
                   double               y,
                   double               width,
                   double               height)
{
  int n_lines = caption_lines (grid);
  double line_height = height / n_lines;
  double font_size = MIN (CAPTION_FONT * style_scale (style), 0.72 * line_height);
  gboolean right = grid->labels != NULL && cell->predicted == grid->labels[image];
  char fallback[32];
  g_autofree char *probability = format_number (cell->probability, "%.2f");
  g_autofree char *text = g_strdup_printf ("%s %s ",
                                           class_name (grid, cell->predicted, fallback),
                                           probability);
  double mark_width;
  double total_width;
  double baseline;
  double left;

  if (font_size <= 0.0)
    return;

  ct_draw_set_font (cr, font_size, FALSE);
  mark_width = 0.8 * font_size;
  total_width = ct_draw_text_width (cr, text) + mark_width;
  if (total_width > width)
    {
      font_size *= width / total_width;
      cairo_set_font_size (cr, font_size);
      mark_width = 0.8 * font_size;
      total_width = width;
    }

  baseline = ct_draw_centred_baseline (cr, y, line_height);
  left = x + (width - total_width) / 2.0;
  ct_draw_set_color (cr, &ct_draw_text_color);
  ct_draw_show_text_at (cr, text, left, baseline);
  draw_verdict_mark (cr, right, left + total_width - mark_width, baseline, font_size);

  if (n_lines > 1)
    {
      g_autofree char *drop = ct_figure_dup_drop_label (cell->confidence_drop);
      double drop_width;

      ct_draw_set_font (cr, font_size, FALSE);
      drop_width = ct_draw_text_width (cr, drop);
      ct_draw_fit_font (cr, font_size, drop_width, width);
      drop_width = MIN (drop_width, width);
      ct_draw_set_color (cr, &ct_draw_secondary_color);
      ct_draw_show_text_at (cr, drop, x + (width - drop_width) / 2.0,
                            ct_draw_centred_baseline (cr, y + line_height, line_height));
    }
}

void
ct_figure_draw_cell (cairo_t             *cr,
                     const CtGrid        *grid,
                     guint                row,
                     guint                image,
                     guint                round,
                     const CtFigureStyle *style,
                     double               x,
                     double               y,
                     double               size,
                     double               caption_height)
{
  const CtGridCell *cell;
  const float *pixels;
  g_autofree guint8 *overlay = NULL;
  g_autoptr(cairo_surface_t) surface = NULL;

  g_return_if_fail (cr != NULL);
  g_return_if_fail (grid != NULL);
  g_return_if_fail (style != NULL);
  g_return_if_fail (row < grid->n_rows);
  g_return_if_fail (image < grid->n_images);
  g_return_if_fail (round < grid->n_rounds);

  cell = grid_cell (grid, row, image, round);
  pixels = ct_grid_get_image ((CtGrid *) grid, image, round);

  cairo_save (cr);

  if (cell->heatmap != NULL && pixels != NULL && grid->height > 0 && grid->width > 0
      && (grid->channels == 1 || grid->channels == 3))
    {
      overlay = g_malloc ((gsize) grid->height * grid->width * 3);
      ct_colormap_overlay (style->colormap, pixels, grid->channels, cell->heatmap,
                           grid->height, grid->width, style->image_weight, overlay);
      surface = surface_from_rgb (overlay, grid->width, grid->height);
      paint_pixels (cr, surface, x, y, size, size);
    }

  if (caption_height > 0.0)
    draw_cell_caption (cr, grid, cell, image, style, x, y + size, size, caption_height);

  cairo_restore (cr);
}

/* @text cut to @max_width in the current font, ending in "…" where cut.
 * Returns: (transfer full). */
static char *
dup_ellipsized (cairo_t    *cr,
                const char *text,
                double      max_width)
{
  g_autoptr(GString) cut = g_string_new (text);

  if (ct_draw_text_width (cr, text) <= max_width)
    return g_string_free (g_steal_pointer (&cut), FALSE);
  g_string_append (cut, "…");
  while (cut->len > strlen ("…") && ct_draw_text_width (cr, cut->str) > max_width)
    {
      const char *end = cut->str + cut->len - strlen ("…");
      const char *previous = g_utf8_find_prev_char (cut->str, end);

      g_string_erase (cut, previous - cut->str, end - previous);
    }
  return g_string_free (g_steal_pointer (&cut), FALSE);
}

static void
draw_title_line (cairo_t      *cr,
                 const Layout *layout,
                 const char   *text,
                 double        y)
{
  g_autofree char *shown = layout->ellipsize_titles
                           ? dup_ellipsized (cr, text, layout->width - 2 * layout->margin)
                           : g_strdup (text);

  ct_draw_show_text_at (cr, shown, layout->margin, y);
}

static void
draw_titles (cairo_t      *cr,
             const Layout *layout)
{
  double y = layout->title_y;

  ct_draw_set_color (cr, &ct_draw_text_color);
  ct_draw_set_font (cr, TITLE_FONT * layout->scale, TRUE);
  draw_title_line (cr, layout, layout->title,
                   ct_draw_centred_baseline (cr, y, scaled (layout, TITLE_LINE)));

  y += scaled (layout, TITLE_LINE);
  ct_draw_set_color (cr, &ct_draw_secondary_color);
  ct_draw_set_font (cr, SUBTITLE_FONT * layout->scale, FALSE);
  draw_title_line (cr, layout, layout->subtitle,
                   ct_draw_centred_baseline (cr, y, scaled (layout, SUBTITLE_LINE)));
}

static void
draw_column_headers (cairo_t      *cr,
                     const CtGrid *grid,
                     const Layout *layout)
{
  guint n_rounds = grid_rounds (grid);
  double header_line = scaled (layout, HEADER_LINE);
  double font_size = HEADER_FONT * layout->scale;

  for (guint image = 0; image < grid->n_images; image++)
    {
      char fallback[32];
      /* A comparison's columns are methods; the class is in the captions. */
      const char *name = grid->column_methods != NULL
                         ? method_title (grid->column_methods[image])
                         : class_name (grid, grid->labels != NULL ? grid->labels[image] : -1,
                                       fallback);
      g_autofree char *name_space = g_strdup_printf ("%s ", name);
      g_autofree char *index = g_strdup_printf ("#%u", grid->image_indices != NULL
                                                       ? grid->image_indices[image]
                                                       : image);
      double x = cell_x (layout, image, 0);
      double name_width;
      double index_width;
      double size = font_size;
      double baseline;
      double left;

      /* Measure both parts at the full size, then shrink them together so a
       * long class name never spills into the next column. */
      ct_draw_set_font (cr, font_size, TRUE);
      name_width = ct_draw_text_width (cr, name_space);
      ct_draw_set_font (cr, font_size, FALSE);
      index_width = ct_draw_text_width (cr, index);
      if (name_width + index_width > layout->column_width)
        {
          size *= layout->column_width / (name_width + index_width);
          name_width *= size / font_size;
          index_width *= size / font_size;
        }

      left = x + (layout->column_width - name_width - index_width) / 2.0;
      ct_draw_set_font (cr, size, TRUE);
      baseline = ct_draw_centred_baseline (cr, layout->header_y, header_line);
      ct_draw_set_color (cr, &ct_draw_text_color);
      ct_draw_show_text_at (cr, name_space, left, baseline);
      ct_draw_set_font (cr, size, FALSE);
      ct_draw_set_color (cr, &ct_draw_secondary_color);
      ct_draw_show_text_at (cr, index, left + name_width, baseline);

      if (n_rounds < 2)
        continue;

      ct_draw_set_font (cr, ROUND_FONT * layout->scale, FALSE);
      for (guint round = 0; round < n_rounds; round++)
        {
          g_autofree char *label = g_strdup_printf ("round %u", round + 1);
          double label_width = ct_draw_text_width (cr, label);

          ct_draw_show_text_at (cr, label,
                                cell_x (layout, image, round) + (layout->cell - label_width) / 2.0,
                                ct_draw_centred_baseline (cr, layout->header_y + header_line,
                                                          scaled (layout, ROUND_LINE)));
        }
    }
}

static void
draw_row_labels (cairo_t      *cr,
                 const CtGrid *grid,
                 const Layout *layout)
{
  double right = layout->grid_x - scaled (layout, ROW_LABEL_GAP);

  ct_draw_set_color (cr, &ct_draw_text_color);
  ct_draw_set_font (cr, ROW_LABEL_FONT * layout->scale, TRUE);
  for (guint row = 0; row < grid->n_rows; row++)
    {
      g_autofree char *label = row_label (grid, row);

      ct_draw_show_text_at (cr, label, right - ct_draw_text_width (cr, label),
                            ct_draw_centred_baseline (cr, cell_y (layout, row), layout->cell));
    }
}

static void
draw_colorbar_label (cairo_t      *cr,
                     const char   *label,
                     const Layout *layout,
                     double        x)
{
  double width;

  cairo_save (cr);
  ct_draw_set_color (cr, &ct_draw_secondary_color);
  ct_draw_set_font (cr, BAR_LABEL_FONT * layout->scale, FALSE);
  width = ct_draw_text_width (cr, label);
  ct_draw_fit_font (cr, BAR_LABEL_FONT * layout->scale, width, layout->bar_height);
  width = MIN (width, layout->bar_height);
  cairo_translate (cr, x, layout->bar_y + layout->bar_height / 2.0);
  cairo_rotate (cr, -G_PI / 2.0);
  ct_draw_show_text_at (cr, label, -width / 2.0,
                        ct_draw_centred_baseline (cr, 0, scaled (layout, BAR_LABEL_LINE)));
  cairo_restore (cr);
}

static void
draw_colorbar (cairo_t             *cr,
               const CtGrid        *grid,
               const CtFigureStyle *style,
               const Layout        *layout)
{
  g_autoptr(cairo_surface_t) ramp = NULL;
  guint8 rgb[256 * 3];
  double line_width = MAX (1.0, layout->scale);
  double tick_right = layout->bar_x + layout->bar_width + scaled (layout, TICK_LENGTH);
  double tick_label_width = 0.0;
  double label_x;

  /* Top row is 1, bottom row 0; (i + 0.5)/255 quantises to exactly entry i. */
  for (guint i = 0; i < 256; i++)
    ct_colormap_lookup (style->colormap, (255 - i + 0.5f) / 255.0f, rgb + i * 3);
  ramp = surface_from_rgb (rgb, 1, 256);
  paint_pixels (cr, ramp, layout->bar_x, layout->bar_y, layout->bar_width, layout->bar_height);

  cairo_save (cr);
  ct_draw_set_color (cr, &ct_draw_text_color);
  cairo_set_line_width (cr, line_width);
  cairo_rectangle (cr, layout->bar_x - line_width / 2.0, layout->bar_y - line_width / 2.0,
                   layout->bar_width + line_width, layout->bar_height + line_width);
  cairo_stroke (cr);

  ct_draw_set_font (cr, TICK_FONT * layout->scale, FALSE);
  for (guint i = 0; i < G_N_ELEMENTS (bar_ticks); i++)
    {
      g_autofree char *tick = format_number (bar_ticks[i], "%g");
      double y = layout->bar_y + (1.0 - bar_ticks[i]) * layout->bar_height;
      cairo_font_extents_t extents;

      /* Snap the hairline to the pixel grid so it stays one pixel wide. */
      y = floor (y) + 0.5 * fmod (line_width, 2.0);
      cairo_move_to (cr, layout->bar_x + layout->bar_width, y);
      cairo_line_to (cr, tick_right, y);
      cairo_stroke (cr);

      cairo_font_extents (cr, &extents);
      ct_draw_show_text_at (cr, tick, tick_right + scaled (layout, TICK_LABEL_GAP),
                            y + (extents.ascent - extents.descent) / 2.0);
      tick_label_width = MAX (tick_label_width, ct_draw_text_width (cr, tick));
    }

  /* The scale's name reads bottom to top beside the ticks. */
  label_x = tick_right + scaled (layout, TICK_LABEL_GAP + BAR_LABEL_GAP) + tick_label_width;
  draw_colorbar_label (cr, scale_description (grid->scale), layout, label_x);
  cairo_restore (cr);
}

void
ct_figure_draw (cairo_t             *cr,
                const CtGrid        *grid,
                const CtFigureStyle *style)
{
  g_auto(Layout) layout = { 0 };

  g_return_if_fail (cr != NULL);
  g_return_if_fail (grid != NULL);
  g_return_if_fail (style != NULL);

  layout_compute (&layout, grid, style);

  cairo_save (cr);

  ct_draw_paint_background (cr, 0, 0, layout.width, layout.height);

  draw_titles (cr, &layout);
  draw_column_headers (cr, grid, &layout);
  draw_row_labels (cr, grid, &layout);

  for (guint row = 0; row < grid->n_rows; row++)
    for (guint image = 0; image < grid->n_images; image++)
      for (guint round = 0; round < grid->n_rounds; round++)
        ct_figure_draw_cell (cr, grid, row, image, round, style,
                             cell_x (&layout, image, round), cell_y (&layout, row),
                             layout.cell, layout.caption);

  if (style->show_colorbar)
    draw_colorbar (cr, grid, style, &layout);

  cairo_restore (cr);
}

static char *
join_ints (const int *values,
           guint      n)
{
  GString *text = g_string_new (NULL);

  for (guint i = 0; i < n; i++)
    g_string_append_printf (text, i > 0 ? ",%d" : "%d", values[i]);

  return g_string_free (text, FALSE);
}

static char *
join_uints (const guint *values,
            guint        n)
{
  GString *text = g_string_new (NULL);

  for (guint i = 0; i < n; i++)
    g_string_append_printf (text, i > 0 ? ",%u" : "%u", values[i]);

  return g_string_free (text, FALSE);
}

static gboolean
set_cairo_error (cairo_status_t   status,
                 const char      *what,
                 GError         **error)
{
  g_set_error (error, CT_FIGURE_ERROR, CT_FIGURE_ERROR_CAIRO,
               "Could not %s: %s", what, cairo_status_to_string (status));
  return FALSE;
}

gboolean
ct_figure_write_png (const CtGrid        *grid,
                     const CtFigureStyle *style,
                     const char          *path,
                     GError             **error)
{
  g_autoptr(cairo_surface_t) surface = NULL;
  g_autoptr(cairo_t) cr = NULL;
  g_autofree char *title = NULL;
  g_autofree char *epochs = NULL;
  g_autofree char *images = NULL;
  g_autofree char *seed = NULL;
  const char *colormap = ct_colormap_to_string (style->colormap);
  cairo_status_t status;
  int width;
  int height;

  g_return_val_if_fail (grid != NULL, FALSE);
  g_return_val_if_fail (style != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  ct_figure_get_size (grid, style, &width, &height);
  if (width > MAX_SURFACE_SIDE || height > MAX_SURFACE_SIDE)
    {
      g_set_error (error, CT_FIGURE_ERROR, CT_FIGURE_ERROR_TOO_LARGE,
                   "The figure would be %d × %d pixels, more than the %d a side "
                   "an image can have; lower the scale or the cell size",
                   width, height, MAX_SURFACE_SIDE);
      return FALSE;
    }

  surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, width, height);
  status = cairo_surface_status (surface);
  if (status != CAIRO_STATUS_SUCCESS)
    return set_cairo_error (status, "create the figure's image", error);

  cr = cairo_create (surface);
  ct_figure_set_dark (cr, style->dark);
  ct_figure_draw (cr, grid, style);
  status = cairo_status (cr);
  if (status != CAIRO_STATUS_SUCCESS)
    return set_cairo_error (status, "draw the figure", error);
  cairo_surface_flush (surface);

  title = dup_title (grid);
  epochs = join_ints (grid->epochs, grid->epochs != NULL ? grid->n_rows : 0);
  images = join_uints (grid->image_indices,
                       grid->image_indices != NULL ? grid->n_images : 0);
  seed = g_strdup_printf ("%" G_GUINT64_FORMAT, grid->seed);

  {
    const char * const keys[] = {
      "Software",
      "Title",
      "camtrail:run",
      "camtrail:arch",
      "camtrail:dataset",
      "camtrail:epochs",
      "camtrail:images",
      "camtrail:perturbation",
      "camtrail:method",
      "camtrail:layer",
      "camtrail:target",
      "camtrail:scale",
      "camtrail:seed",
      "camtrail:colormap",
      NULL
    };
    const char * const values[] = {
      "Camtrail " PACKAGE_VERSION,
      title,
      grid->run_name != NULL ? grid->run_name : "",
      grid->arch != NULL ? grid->arch : "",
      grid->dataset != NULL ? grid->dataset : "",
      epochs,
      images,
      grid->perturbation != NULL ? grid->perturbation : "none",
      grid->method != NULL ? grid->method : "",
      grid->layer != NULL ? grid->layer : "",
      grid->target_rule != NULL ? grid->target_rule : "",
      ct_cam_scale_to_string (grid->scale),
      seed,
      colormap != NULL ? colormap : "",
      NULL
    };

    return ct_png_write_argb32 (path, width, height,
                                cairo_image_surface_get_stride (surface),
                                cairo_image_surface_get_data (surface),
                                keys, values, error);
  }
}

/* Vector figures: the same drawing on an SVG or PDF surface, written to a
 * temporary file and renamed so a failed export never leaves half a file. */
static gboolean
write_vector (const CtGrid        *grid,
              const CtFigureStyle *style,
              const char          *path,
              gboolean             pdf,
              GError             **error)
{
  g_autofree char *tmp_path = g_strconcat (path, ".tmp", NULL);
  cairo_surface_t *surface;
  cairo_status_t status;
  cairo_t *cr;
  int width;
  int height;

  ct_figure_get_size (grid, style, &width, &height);
  surface = pdf ? cairo_pdf_surface_create (tmp_path, width, height)
                : cairo_svg_surface_create (tmp_path, width, height);
  if (pdf)
    {
      g_autofree char *title = dup_title (grid);

      cairo_pdf_surface_set_metadata (surface, CAIRO_PDF_METADATA_TITLE, title);
      cairo_pdf_surface_set_metadata (surface, CAIRO_PDF_METADATA_CREATOR, "Camtrail " PACKAGE_VERSION);
      if (grid->perturbation != NULL)
        cairo_pdf_surface_set_metadata (surface, CAIRO_PDF_METADATA_SUBJECT, grid->perturbation);
    }
  cr = cairo_create (surface);
  ct_figure_set_dark (cr, style->dark);
  ct_figure_draw (cr, grid, style);
  cairo_destroy (cr);
  cairo_surface_finish (surface);
  status = cairo_surface_status (surface);
  cairo_surface_destroy (surface);

  if (status != CAIRO_STATUS_SUCCESS)
    {
      g_unlink (tmp_path);
      g_set_error (error, CT_FIGURE_ERROR, CT_FIGURE_ERROR_CAIRO,
                   "Could not write %s: %s", path, cairo_status_to_string (status));
      return FALSE;
    }
  if (g_rename (tmp_path, path) != 0)
    {
      int saved = errno;

      g_unlink (tmp_path);
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
                   "Could not write %s: %s", path, g_strerror (saved));
      return FALSE;
    }
  return TRUE;
}

gboolean
ct_figure_write (const CtGrid        *grid,
                 const CtFigureStyle *style,
                 const char          *path,
                 GError             **error)
{
  g_autofree char *lower = NULL;

  g_return_val_if_fail (grid != NULL, FALSE);
  g_return_val_if_fail (style != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  lower = g_ascii_strdown (path, -1);
  if (g_str_has_suffix (lower, ".svg"))
    return write_vector (grid, style, path, FALSE, error);
  if (g_str_has_suffix (lower, ".pdf"))
    return write_vector (grid, style, path, TRUE, error);
  if (g_str_has_suffix (lower, ".png"))
    return ct_figure_write_png (grid, style, path, error);

  g_set_error (error, CT_FIGURE_ERROR, CT_FIGURE_ERROR_FORMAT,
               "Cannot tell the format of %s: name it .png, .svg or .pdf", path);
  return FALSE;
}
