/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "ct-draw.h"
#include "ct-figure.h"

#define FONT_FAMILY "sans-serif"

const CtDrawRgb ct_draw_text_color = { 0.13, 0.14, 0.16 };
const CtDrawRgb ct_draw_secondary_color = { 0.40, 0.42, 0.46 };

static const CtDrawRgb background_color = { 1.0, 1.0, 1.0 };

/* The key's address marks a cairo_t drawn in the dark palette. */
static cairo_user_data_key_t dark_key;

void
ct_figure_set_dark (cairo_t  *cr,
                    gboolean  dark)
{
  cairo_set_user_data (cr, &dark_key, dark ? &dark_key : NULL, NULL);
}

gboolean
ct_figure_is_dark (cairo_t *cr)
{
  return cairo_get_user_data (cr, &dark_key) != NULL;
}

/* Light greys become dark ones and dark light, white a near-black
 * (0.12, as GNOME's dark views), so text keeps its contrast. */
static double
palette_value (cairo_t *cr,
               double   value)
{
  return ct_figure_is_dark (cr) ? 0.12 + 0.88 * (1.0 - value) : value;
}

void
ct_draw_set_color_alpha (cairo_t         *cr,
                         const CtDrawRgb *color,
                         double           alpha)
{
  cairo_set_source_rgba (cr, palette_value (cr, color->r), palette_value (cr, color->g),
                         palette_value (cr, color->b), alpha);
}

void
ct_draw_set_color (cairo_t         *cr,
                   const CtDrawRgb *color)
{
  ct_draw_set_color_alpha (cr, color, 1.0);
}

void
ct_draw_set_hue (cairo_t         *cr,
                 const CtDrawRgb *color)
{
  cairo_set_source_rgb (cr, color->r, color->g, color->b);
}

void
ct_draw_paint_background (cairo_t *cr,
                          double   x,
                          double   y,
                          double   width,
                          double   height)
{
  ct_draw_set_color (cr, &background_color);
  cairo_rectangle (cr, x, y, width, height);
  cairo_fill (cr);
}

void
ct_draw_set_font (cairo_t *cr,
                  double   size,
                  gboolean bold)
{
  cairo_select_font_face (cr, FONT_FAMILY, CAIRO_FONT_SLANT_NORMAL,
                          bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size (cr, size);
}

double
ct_draw_text_width (cairo_t    *cr,
                    const char *text)
{
  cairo_text_extents_t extents;

  cairo_text_extents (cr, text, &extents);
  return extents.x_advance;
}

double
ct_draw_centred_baseline (cairo_t *cr,
                          double   top,
                          double   height)
{
  cairo_font_extents_t extents;

  cairo_font_extents (cr, &extents);
  return top + (height + extents.ascent - extents.descent) / 2.0;
}

void
ct_draw_show_text_at (cairo_t    *cr,
                      const char *text,
                      double      x,
                      double      baseline)
{
  cairo_move_to (cr, x, baseline);
  cairo_show_text (cr, text);
}

void
ct_draw_fit_font (cairo_t *cr,
                  double   size,
                  double   width_at_size,
                  double   max_width)
{
  if (width_at_size > max_width && width_at_size > 0.0)
    cairo_set_font_size (cr, size * max_width / width_at_size);
}

double
ct_draw_fit_text (cairo_t    *cr,
                  const char *text,
                  double      size,
                  double      max_width)
{
  double width = ct_draw_text_width (cr, text);

  if (width > max_width && width > 0.0 && max_width > 0.0)
    {
      cairo_set_font_size (cr, size * max_width / width);
      width = max_width;
    }

  return width;
}

cairo_t *
ct_draw_create_measure_context (void)
{
  g_autoptr(cairo_surface_t) scratch = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, 1, 1);
  cairo_t *cr = cairo_create (scratch);
  cairo_font_options_t *font_options = cairo_font_options_create ();

  cairo_font_options_set_hint_metrics (font_options, CAIRO_HINT_METRICS_OFF);
  cairo_set_font_options (cr, font_options);
  cairo_font_options_destroy (font_options);

  return cr;
}
