/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "ct-robustness-plot.h"

#include <math.h>

#include "ct-draw.h"
#include "ct-figure.h"
#include "ct-plot.h"
#include "ct-png.h"

#define CHART_WIDTH      640.0
#define MIN_CHART_HEIGHT 400.0
/* Room around the plot area, and per legend entry (ct-plot's line). */
#define CHART_CHROME     140.0
#define LEGEND_ENTRY     14.0

/* Tableau's ten; past ten, lines repeat a colour dashed. */
static const double palette[][3] = {
  { 0.12, 0.47, 0.71 }, { 1.00, 0.50, 0.05 }, { 0.17, 0.63, 0.17 },
  { 0.84, 0.15, 0.16 }, { 0.58, 0.40, 0.74 }, { 0.55, 0.34, 0.29 },
  { 0.89, 0.47, 0.76 }, { 0.50, 0.50, 0.50 }, { 0.74, 0.74, 0.13 },
  { 0.09, 0.75, 0.81 },
};

static const char * const chart_names[] = {
  [CT_ROBUSTNESS_CHART_ACCURACY] = "accuracy",
  [CT_ROBUSTNESS_CHART_CONFIDENCE_DROP] = "confidence-drop",
  [CT_ROBUSTNESS_CHART_PEARSON] = "stability-pearson",
  [CT_ROBUSTNESS_CHART_SPEARMAN] = "stability-spearman",
  [CT_ROBUSTNESS_CHART_TOP_IOU] = "stability-iou",
};

G_STATIC_ASSERT (G_N_ELEMENTS (chart_names) == CT_ROBUSTNESS_N_CHARTS);

/* One line of a chart: the perturbations it averages. */
typedef struct {
  char   *label;
  GArray *members;
} Line;

static void
line_clear (gpointer data)
{
  Line *line = data;

  g_free (line->label);
  g_array_unref (line->members);
}

const char *
ct_robustness_chart_to_string (CtRobustnessChart chart)
{
  g_return_val_if_fail (chart < CT_ROBUSTNESS_N_CHARTS, NULL);

  return chart_names[chart];
}

/* A corruption studied at several severities becomes one line; anything
 * else is a line of its own, in the order of the study. */
static GArray *
collect_lines (const CtRobustness *result)
{
  GArray *lines = g_array_new (FALSE, TRUE, sizeof (Line));
  int line_of_kind[CT_CORRUPTION_N_KINDS + 1];
  guint severities[CT_CORRUPTION_N_KINDS + 1] = { 0 };

  g_array_set_clear_func (lines, line_clear);
  for (guint k = 0; k <= CT_CORRUPTION_N_KINDS; k++)
    line_of_kind[k] = -1;
  for (guint p = 0; p < result->n_perturbations; p++)
    severities[result->perturbations[p].corruption.kind]++;

  for (guint p = 0; p < result->n_perturbations; p++)
    {
      CtCorruptionKind kind = result->perturbations[p].corruption.kind;
      Line *line;

      if (kind != CT_CORRUPTION_NONE && severities[kind] > 1 && line_of_kind[kind] >= 0)
        {
          line = &g_array_index (lines, Line, line_of_kind[kind]);
          g_array_append_val (line->members, p);
          continue;
        }

      g_array_set_size (lines, lines->len + 1);
      line = &g_array_index (lines, Line, lines->len - 1);
      line->members = g_array_new (FALSE, FALSE, sizeof (guint));
      g_array_append_val (line->members, p);
      if (kind != CT_CORRUPTION_NONE && severities[kind] > 1)
        {
          line_of_kind[kind] = lines->len - 1;
          line->label = g_strdup_printf ("c10c:%s (mean of %u)",
                                         ct_corruption_kind_to_string (kind), severities[kind]);
        }
      else
        line->label = g_strdup (result->labels[p]);
    }
  return lines;
}

static const CtRobustnessStat *
row_stat (const CtRobustnessRow *row,
          CtRobustnessChart      chart)
{
  switch (chart)
    {
    case CT_ROBUSTNESS_CHART_CONFIDENCE_DROP:
      return &row->confidence_drop;
    case CT_ROBUSTNESS_CHART_PEARSON:
      return &row->pearson;
    case CT_ROBUSTNESS_CHART_SPEARMAN:
      return &row->spearman;
    case CT_ROBUSTNESS_CHART_TOP_IOU:
      return &row->top_iou;
    case CT_ROBUSTNESS_CHART_ACCURACY:
    case CT_ROBUSTNESS_N_CHARTS:
    default:
      return NULL;
    }
}

void
ct_robustness_chart_get_size (const CtRobustness *result,
                              double             *out_width,
                              double             *out_height)
{
  g_autoptr(GArray) lines = NULL;

  g_return_if_fail (result != NULL);

  lines = collect_lines (result);
  if (out_width != NULL)
    *out_width = CHART_WIDTH;
  /* One more legend entry: the accuracy chart's clean line. */
  if (out_height != NULL)
    *out_height = MAX (MIN_CHART_HEIGHT, CHART_CHROME + (lines->len + 1) * LEGEND_ENTRY);
}

static const char * const titles[] = {
  [CT_ROBUSTNESS_CHART_ACCURACY] = "Accuracy under perturbation",
  [CT_ROBUSTNESS_CHART_CONFIDENCE_DROP] = "Confidence drop p(c | clean) − p(c | perturbed)",
  [CT_ROBUSTNESS_CHART_PEARSON] = "Heatmap stability, Pearson r with the clean heatmap",
  [CT_ROBUSTNESS_CHART_SPEARMAN] = "Heatmap stability, Spearman ρ with the clean heatmap",
  [CT_ROBUSTNESS_CHART_TOP_IOU] = "Heatmap stability, IoU of the top 20% with the clean heatmap",
};

static const char * const y_labels[] = {
  [CT_ROBUSTNESS_CHART_ACCURACY] = "Test accuracy",
  [CT_ROBUSTNESS_CHART_CONFIDENCE_DROP] = "Confidence drop",
  [CT_ROBUSTNESS_CHART_PEARSON] = "Pearson r",
  [CT_ROBUSTNESS_CHART_SPEARMAN] = "Spearman ρ",
  [CT_ROBUSTNESS_CHART_TOP_IOU] = "Top-20% IoU",
};

static char *
dup_title (const CtRobustness *result,
           CtRobustnessChart   chart)
{
  return g_strdup_printf ("%s: %s", result->run_name != NULL ? result->run_name : "run",
                          titles[chart]);
}

static void
set_axes (CtRobustnessChart  chart,
          const char        *title,
          CtPlotAxes        *axes)
{
  axes->title = title;
  axes->x_label = "Epoch";
  axes->y_label = y_labels[chart];
  axes->y_percent = chart == CT_ROBUSTNESS_CHART_ACCURACY;
  /* Shares and IoUs live in [0, 1]; drops and correlations are fitted. */
  if (chart == CT_ROBUSTNESS_CHART_ACCURACY || chart == CT_ROBUSTNESS_CHART_TOP_IOU)
    {
      axes->y_min = 0;
      axes->y_max = 1;
    }
  else
    {
      axes->y_min = NAN;
      axes->y_max = NAN;
    }
}

/* A chart's series and axes, with the storage they point into. */
typedef struct {
  GArray       *lines;
  CtPlotSeries *series;     /* one per line, then the clean accuracy */
  guint         n_series;
  double       *values;
  char         *title;
  CtPlotAxes    axes;
} Chart;

static void
chart_init (Chart              *self,
            const CtRobustness *result,
            CtRobustnessChart   chart)
{
  guint E = result->n_epochs;

  self->lines = collect_lines (result);
  self->series = g_new0 (CtPlotSeries, self->lines->len + 1);
  self->n_series = 0;
  /* Per series: x, y, lo, hi. */
  self->values = g_new (double, (gsize) (self->lines->len + 1) * 4 * E);
  self->title = dup_title (result, chart);
  set_axes (chart, self->title, &self->axes);

  for (guint l = 0; l < self->lines->len; l++)
    {
      const Line *line = &g_array_index (self->lines, Line, l);
      CtPlotSeries *s = &self->series[self->n_series++];
      double *x = self->values + (gsize) l * 4 * E;
      double *y = x + E, *lo = y + E, *hi = lo + E;
      gboolean band = line->members->len == 1 && chart != CT_ROBUSTNESS_CHART_ACCURACY;

      for (guint e = 0; e < E; e++)
        {
          double total = 0;
          guint counted = 0;

          for (guint m = 0; m < line->members->len; m++)
            {
              guint p = g_array_index (line->members, guint, m);
              const CtRobustnessRow *row = &result->rows[(gsize) e * result->n_perturbations + p];
              const CtRobustnessStat *stat = row_stat (row, chart);
              double value = stat != NULL ? stat->mean : row->accuracy;

              if (isfinite (value))
                {
                  total += value;
                  counted++;
                }
              if (band)
                {
                  lo[e] = stat->mean - stat->ci95;
                  hi[e] = stat->mean + stat->ci95;
                }
            }
          x[e] = result->epochs[e].epoch;
          y[e] = counted > 0 ? total / counted : NAN;
        }

      s->label = line->label;
      s->x = x;
      s->y = y;
      s->lo = band ? lo : NULL;
      s->hi = band ? hi : NULL;
      s->n = E;
      for (guint c = 0; c < 3; c++)
        s->rgb[c] = palette[l % G_N_ELEMENTS (palette)][c];
      s->dashed = l / G_N_ELEMENTS (palette) % 2 == 1;
    }

  if (chart == CT_ROBUSTNESS_CHART_ACCURACY)
    {
      CtPlotSeries *s = &self->series[self->n_series++];
      double *x = self->values + (gsize) self->lines->len * 4 * E;
      double *y = x + E;

      for (guint e = 0; e < E; e++)
        {
          x[e] = result->epochs[e].epoch;
          y[e] = result->epochs[e].clean_accuracy;
        }
      *s = (CtPlotSeries) { .label = "clean", .x = x, .y = y, .n = E, .dashed = TRUE };
    }
}

static void
chart_clear (Chart *self)
{
  g_clear_pointer (&self->lines, g_array_unref);
  g_clear_pointer (&self->series, g_free);
  g_clear_pointer (&self->values, g_free);
  g_clear_pointer (&self->title, g_free);
}

void
ct_robustness_chart_draw (cairo_t            *cr,
                          double              width,
                          double              height,
                          const CtRobustness *result,
                          CtRobustnessChart   chart)
{
  Chart data;

  g_return_if_fail (cr != NULL);
  g_return_if_fail (result != NULL);
  g_return_if_fail (chart < CT_ROBUSTNESS_N_CHARTS);

  chart_init (&data, result, chart);
  ct_plot_draw_lines (cr, width, height, &data.axes, data.series, data.n_series);
  chart_clear (&data);
}

GArray *
ct_robustness_chart_dup_points (const CtRobustness *result,
                                CtRobustnessChart   chart,
                                double              width,
                                double              height)
{
  GArray *points = g_array_new (FALSE, FALSE, sizeof (CtRobustnessPoint));
  CtPlotArea area;
  Chart data;

  g_return_val_if_fail (result != NULL, points);
  g_return_val_if_fail (chart < CT_ROBUSTNESS_N_CHARTS, points);

  chart_init (&data, result, chart);
  if (ct_plot_get_area (width, height, &data.axes, data.series, data.n_series, &area))
    for (guint s = 0; s < data.n_series; s++)
      {
        const CtPlotSeries *series = &data.series[s];
        /* The series after the lines is the clean accuracy. */
        int perturbation = s < data.lines->len
                           ? (int) g_array_index (g_array_index (data.lines, Line, s).members, guint, 0)
                           : -1;

        for (guint e = 0; e < series->n; e++)
          {
            CtRobustnessPoint point = { .epoch_index = e, .perturbation = perturbation };

            if (!isfinite (series->x[e]) || !isfinite (series->y[e]))
              continue;
            ct_plot_area_to_user (&area, series->x[e], series->y[e], &point.x, &point.y);
            g_array_append_val (points, point);
          }
      }
  chart_clear (&data);
  return points;
}

gboolean
ct_robustness_chart_hit_test (const CtRobustness *result,
                              CtRobustnessChart   chart,
                              double              width,
                              double              height,
                              double              x,
                              double              y,
                              double              radius,
                              CtRobustnessPoint  *out_point)
{
  g_autoptr(GArray) points = NULL;
  double best = radius * radius;
  gboolean found = FALSE;

  g_return_val_if_fail (result != NULL, FALSE);
  g_return_val_if_fail (chart < CT_ROBUSTNESS_N_CHARTS, FALSE);

  points = ct_robustness_chart_dup_points (result, chart, width, height);
  for (guint i = 0; i < points->len; i++)
    {
      const CtRobustnessPoint *point = &g_array_index (points, CtRobustnessPoint, i);
      double distance = (point->x - x) * (point->x - x) + (point->y - y) * (point->y - y);

      if (distance <= best)
        {
          best = distance;
          found = TRUE;
          if (out_point != NULL)
            *out_point = *point;
        }
    }
  return found;
}

static gboolean
set_cairo_error (cairo_status_t   status,
                 GError         **error)
{
  g_set_error (error, CT_FIGURE_ERROR, CT_FIGURE_ERROR_CAIRO,
               "Could not draw the robustness chart: %s", cairo_status_to_string (status));
  return FALSE;
}

gboolean
ct_robustness_chart_write_png (const CtRobustness  *result,
                               CtRobustnessChart    chart,
                               double               scale,
                               const char          *path,
                               GError             **error)
{
  g_autoptr(cairo_surface_t) surface = NULL;
  g_autoptr(cairo_t) cr = NULL;
  g_autoptr(GString) epochs = g_string_new (NULL);
  g_autofree char *title = NULL;
  g_autofree char *perturbations = NULL;
  g_autofree char *seed = NULL;
  double width, height;
  cairo_status_t status;

  g_return_val_if_fail (result != NULL, FALSE);
  g_return_val_if_fail (chart < CT_ROBUSTNESS_N_CHARTS, FALSE);
  g_return_val_if_fail (scale > 0, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  ct_robustness_chart_get_size (result, &width, &height);
  surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, (int) ceil (width * scale),
                                        (int) ceil (height * scale));
  status = cairo_surface_status (surface);
  if (status != CAIRO_STATUS_SUCCESS)
    return set_cairo_error (status, error);

  cr = cairo_create (surface);
  cairo_scale (cr, scale, scale);
  ct_robustness_chart_draw (cr, width, height, result, chart);
  status = cairo_status (cr);
  if (status != CAIRO_STATUS_SUCCESS)
    return set_cairo_error (status, error);
  cairo_surface_flush (surface);

  for (guint e = 0; e < result->n_epochs; e++)
    g_string_append_printf (epochs, "%s%d", e > 0 ? "," : "", result->epochs[e].epoch);
  title = dup_title (result, chart);
  perturbations = g_strjoinv (",", result->labels);
  seed = g_strdup_printf ("%" G_GUINT64_FORMAT, result->seed);

  {
    const char * const keys[] = {
      "Software",
      "Title",
      "camtrail:run",
      "camtrail:arch",
      "camtrail:dataset",
      "camtrail:layer",
      "camtrail:method",
      "camtrail:target",
      "camtrail:epochs",
      "camtrail:perturbations",
      "camtrail:seed",
      "camtrail:chart",
      NULL
    };
    const char * const values[] = {
      "Camtrail " PACKAGE_VERSION,
      title,
      result->run_name != NULL ? result->run_name : "",
      result->arch != NULL ? result->arch : "",
      result->dataset != NULL ? result->dataset : "",
      result->layer != NULL ? result->layer : "",
      result->method != NULL ? result->method : "",
      result->target_rule != NULL ? result->target_rule : "",
      epochs->str,
      perturbations,
      seed,
      ct_robustness_chart_to_string (chart),
      NULL
    };

    return ct_png_write_argb32 (path, cairo_image_surface_get_width (surface),
                                cairo_image_surface_get_height (surface),
                                cairo_image_surface_get_stride (surface),
                                cairo_image_surface_get_data (surface),
                                keys, values, error);
  }
}
