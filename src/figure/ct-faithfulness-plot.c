/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "ct-faithfulness-plot.h"

#include <math.h>

#include "ct-draw.h"
#include "ct-figure.h"
#include "ct-png.h"

#define CHART_WIDTH  640.0
#define CHART_HEIGHT 400.0
#define MAX_SERIES   4

/* Tableau's first three, as the robustness charts; random is grey. */
static const double palette[][3] = {
  { 0.12, 0.47, 0.71 }, { 1.00, 0.50, 0.05 }, { 0.17, 0.63, 0.17 },
};
static const double random_rgb[3] = { 0.50, 0.50, 0.50 };

static const char * const faithfulness_names[] = {
  [CT_FAITHFULNESS_CHART_DELETION] = "faithfulness-deletion",
  [CT_FAITHFULNESS_CHART_INSERTION] = "faithfulness-insertion",
  [CT_FAITHFULNESS_CHART_ROAD] = "faithfulness-road",
  [CT_FAITHFULNESS_CHART_AVERAGE_DROP] = "faithfulness-average-drop",
  [CT_FAITHFULNESS_CHART_INCREASE] = "faithfulness-increase",
};
G_STATIC_ASSERT (G_N_ELEMENTS (faithfulness_names) == CT_FAITHFULNESS_N_CHARTS);

static const char * const faithfulness_titles[] = {
  [CT_FAITHFULNESS_CHART_DELETION] = "Deletion AUC (lower: more faithful)",
  [CT_FAITHFULNESS_CHART_INSERTION] = "Insertion AUC (higher: more faithful)",
  [CT_FAITHFULNESS_CHART_ROAD] = "ROAD, probability change (MoRF lower, LeRF higher: more faithful)",
  [CT_FAITHFULNESS_CHART_AVERAGE_DROP] = "Average Drop (lower: more faithful)",
  [CT_FAITHFULNESS_CHART_INCREASE] = "Increase in Confidence (higher: more faithful)",
};

static const char * const faithfulness_y_labels[] = {
  [CT_FAITHFULNESS_CHART_DELETION] = "Deletion AUC",
  [CT_FAITHFULNESS_CHART_INSERTION] = "Insertion AUC",
  [CT_FAITHFULNESS_CHART_ROAD] = "Probability change",
  [CT_FAITHFULNESS_CHART_AVERAGE_DROP] = "Average Drop (%)",
  [CT_FAITHFULNESS_CHART_INCREASE] = "Images with higher confidence (%)",
};

static const char * const sanity_names[] = {
  [CT_SANITY_CHART_EPOCH0] = "sanity-epoch0",
  [CT_SANITY_CHART_CASCADE] = "sanity-cascade",
};
G_STATIC_ASSERT (G_N_ELEMENTS (sanity_names) == CT_SANITY_N_CHARTS);

const char *
ct_faithfulness_chart_to_string (CtFaithfulnessChart chart)
{
  g_return_val_if_fail (chart < CT_FAITHFULNESS_N_CHARTS, NULL);

  return faithfulness_names[chart];
}

const char *
ct_sanity_chart_to_string (CtSanityChart chart)
{
  g_return_val_if_fail (chart < CT_SANITY_N_CHARTS, NULL);

  return sanity_names[chart];
}

void
ct_faithfulness_chart_get_size (double *out_width,
                                double *out_height)
{
  if (out_width != NULL)
    *out_width = CHART_WIDTH;
  if (out_height != NULL)
    *out_height = CHART_HEIGHT;
}

/* A chart's series and axes, with the storage they point into. */
typedef struct {
  CtPlotSeries  series[MAX_SERIES];
  guint         n_series;
  double       *values;     /* per series: x, y, lo, hi, each n_points long */
  guint         n_points;
  char         *labels[MAX_SERIES];
  char         *title;
  CtPlotAxes    axes;
} Chart;

static void
chart_clear (Chart *self)
{
  g_clear_pointer (&self->values, g_free);
  g_clear_pointer (&self->title, g_free);
  for (guint s = 0; s < MAX_SERIES; s++)
    g_clear_pointer (&self->labels[s], g_free);
}

static void
chart_start (Chart       *self,
             guint        n_series,
             guint        n_points,
             const char  *run_name,
             const char  *title)
{
  *self = (Chart) { .n_series = n_series, .n_points = n_points };
  self->values = g_new0 (double, (gsize) MAX_SERIES * 4 * MAX (n_points, 1));
  self->title = g_strdup_printf ("%s: %s", run_name != NULL ? run_name : "run", title);
  self->axes = (CtPlotAxes) { .title = self->title, .y_min = NAN, .y_max = NAN };
  for (guint s = 0; s < n_series; s++)
    {
      double *x = self->values + (gsize) s * 4 * MAX (n_points, 1);
      CtPlotSeries *series = &self->series[s];

      series->x = x;
      series->y = x + n_points;
      series->lo = x + 2 * n_points;
      series->hi = x + 3 * n_points;
      series->n = 0;
    }
}

/* Appends (x, mean ± ci95) to series @s; a NaN mean breaks the line. */
static void
chart_add (Chart  *self,
           guint   s,
           double  x,
           double  mean,
           double  ci95)
{
  CtPlotSeries *series = &self->series[s];
  guint i = series->n++;

  g_assert (i < self->n_points);
  ((double *) series->x)[i] = x;
  ((double *) series->y)[i] = mean;
  ((double *) series->lo)[i] = isfinite (ci95) ? mean - ci95 : NAN;
  ((double *) series->hi)[i] = isfinite (ci95) ? mean + ci95 : NAN;
}

static void
chart_style (Chart        *self,
             guint         s,
             char         *label,
             const double  rgb[3],
             gboolean      dashed)
{
  self->labels[s] = label;
  self->series[s].label = label;
  for (guint c = 0; c < 3; c++)
    self->series[s].rgb[c] = rgb[c];
  self->series[s].dashed = dashed;
}

static gboolean
is_random_row (const CtFaithfulnessRow *row)
{
  return g_strcmp0 (row->heatmap, "random") == 0;
}

/* The value of @chart in @row: @second picks LeRF on the ROAD chart. */
static void
faithfulness_value (const CtFaithfulnessRow *row,
                    CtFaithfulnessChart      chart,
                    gboolean                 second,
                    double                  *out_mean,
                    double                  *out_ci95)
{
  switch (chart)
    {
    case CT_FAITHFULNESS_CHART_DELETION:
      *out_mean = row->deletion, *out_ci95 = row->deletion_ci95;
      break;
    case CT_FAITHFULNESS_CHART_INSERTION:
      *out_mean = row->insertion, *out_ci95 = row->insertion_ci95;
      break;
    case CT_FAITHFULNESS_CHART_ROAD:
      if (second)
        *out_mean = row->road_lerf, *out_ci95 = row->road_lerf_ci95;
      else
        *out_mean = row->road_morf, *out_ci95 = row->road_morf_ci95;
      break;
    case CT_FAITHFULNESS_CHART_AVERAGE_DROP:
      *out_mean = row->average_drop, *out_ci95 = row->average_drop_ci95;
      break;
    case CT_FAITHFULNESS_CHART_INCREASE:
    case CT_FAITHFULNESS_N_CHARTS:
    default:
      *out_mean = row->increase, *out_ci95 = row->increase_ci95;
      break;
    }
}

/* The method's line(s), then the random heatmaps' dashed and grey (on the
 * ROAD chart: MoRF and LeRF of each, random in the method's colours). */
static void
faithfulness_chart_init (Chart                *self,
                         const CtFaithfulness *result,
                         CtFaithfulnessChart   chart)
{
  gboolean road = chart == CT_FAITHFULNESS_CHART_ROAD;
  const char *method = result->method != NULL ? result->method : "method";
  guint per_kind = road ? 2 : 1;

  chart_start (self, 2 * per_kind, result->rows->len, result->run_name,
               faithfulness_titles[chart]);
  self->axes.x_label = "Epoch";
  self->axes.y_label = faithfulness_y_labels[chart];
  /* AUCs of a probability live in [0, 1]; the rest are fitted. */
  if (chart == CT_FAITHFULNESS_CHART_DELETION || chart == CT_FAITHFULNESS_CHART_INSERTION)
    {
      self->axes.y_min = 0;
      self->axes.y_max = 1;
    }

  for (guint k = 0; k < per_kind; k++)
    {
      const char *suffix = !road ? "" : k == 0 ? " MoRF" : " LeRF";

      chart_style (self, k, g_strconcat (method, suffix, NULL), palette[k], FALSE);
      chart_style (self, per_kind + k, g_strconcat ("random", suffix, NULL),
                   road ? palette[k] : random_rgb, TRUE);
    }

  for (guint r = 0; r < result->rows->len; r++)
    {
      const CtFaithfulnessRow *row = &g_array_index (result->rows, CtFaithfulnessRow, r);
      guint first = is_random_row (row) ? per_kind : 0;

      for (guint k = 0; k < per_kind; k++)
        {
          double mean, ci95;

          faithfulness_value (row, chart, k == 1, &mean, &ci95);
          chart_add (self, first + k, row->epoch, mean, ci95);
        }
    }
}

static void
sanity_chart_init (Chart          *self,
                   const CtSanity *result,
                   CtSanityChart   chart)
{
  g_autofree char *title = NULL;
  int last_epoch = 0;
  static const char * const labels[] = { "Spearman ρ", "SSIM", "Top-20% IoU" };

  for (guint r = 0; r < result->rows->len; r++)
    {
      const CtSanityRow *row = &g_array_index (result->rows, CtSanityRow, r);

      if (row->n_randomised > 0)
        last_epoch = row->epoch;
    }
  if (chart == CT_SANITY_CHART_EPOCH0)
    title = g_strdup_printf ("%s's maps against epoch 0's (lower: they follow the training)",
                             result->method != NULL ? result->method : "method");
  else
    title = g_strdup_printf ("epoch %d's maps against the model randomised from the output down",
                             last_epoch);
  chart_start (self, 3, result->rows->len, result->run_name, title);
  self->axes.x_label = chart == CT_SANITY_CHART_EPOCH0 ? "Epoch"
                                                       : "Layer groups randomised from the output";
  self->axes.y_label = "Similarity";
  for (guint s = 0; s < 3; s++)
    chart_style (self, s, g_strdup (labels[s]), palette[s], FALSE);

  for (guint r = 0; r < result->rows->len; r++)
    {
      const CtSanityRow *row = &g_array_index (result->rows, CtSanityRow, r);
      gboolean cascade = row->n_randomised > 0;
      double x = cascade ? (double) row->n_randomised : (double) row->epoch;

      if (cascade != (chart == CT_SANITY_CHART_CASCADE))
        continue;
      chart_add (self, 0, x, row->spearman, row->spearman_ci95);
      chart_add (self, 1, x, row->ssim, row->ssim_ci95);
      chart_add (self, 2, x, row->top_iou, row->top_iou_ci95);
    }
}

void
ct_faithfulness_chart_draw (cairo_t              *cr,
                            double                width,
                            double                height,
                            const CtFaithfulness *result,
                            CtFaithfulnessChart   chart)
{
  Chart data;

  g_return_if_fail (cr != NULL);
  g_return_if_fail (result != NULL);
  g_return_if_fail (chart < CT_FAITHFULNESS_N_CHARTS);

  faithfulness_chart_init (&data, result, chart);
  ct_plot_draw_lines (cr, width, height, &data.axes, data.series, data.n_series);
  chart_clear (&data);
}

void
ct_sanity_chart_draw (cairo_t        *cr,
                      double          width,
                      double          height,
                      const CtSanity *result,
                      CtSanityChart   chart)
{
  Chart data;

  g_return_if_fail (cr != NULL);
  g_return_if_fail (result != NULL);
  g_return_if_fail (chart < CT_SANITY_N_CHARTS);

  sanity_chart_init (&data, result, chart);
  ct_plot_draw_lines (cr, width, height, &data.axes, data.series, data.n_series);
  chart_clear (&data);
}

gboolean
ct_faithfulness_chart_get_area (const CtFaithfulness *result,
                                CtFaithfulnessChart   chart,
                                double                width,
                                double                height,
                                CtPlotArea           *out_area)
{
  Chart data;
  gboolean ok;

  g_return_val_if_fail (result != NULL, FALSE);
  g_return_val_if_fail (chart < CT_FAITHFULNESS_N_CHARTS, FALSE);

  faithfulness_chart_init (&data, result, chart);
  ok = ct_plot_get_area (width, height, &data.axes, data.series, data.n_series, out_area);
  chart_clear (&data);
  return ok;
}

gboolean
ct_sanity_chart_get_area (const CtSanity *result,
                          CtSanityChart   chart,
                          double          width,
                          double          height,
                          CtPlotArea     *out_area)
{
  Chart data;
  gboolean ok;

  g_return_val_if_fail (result != NULL, FALSE);
  g_return_val_if_fail (chart < CT_SANITY_N_CHARTS, FALSE);

  sanity_chart_init (&data, result, chart);
  ok = ct_plot_get_area (width, height, &data.axes, data.series, data.n_series, out_area);
  chart_clear (&data);
  return ok;
}

/* What both studies' PNGs say about where they come from. */
typedef struct {
  const char *title;
  const char *run_name;
  const char *arch;
  const char *dataset;
  const char *layer;
  const char *method;
  guint64     seed;
  guint       n_images;
  const char *chart;
} Provenance;

typedef void (*DrawFunc) (cairo_t *cr, double width, double height, gconstpointer result,
                          guint chart);

static gboolean
write_png (DrawFunc          draw,
           gconstpointer     result,
           guint             chart,
           const Provenance *provenance,
           double            scale,
           const char       *path,
           GError          **error)
{
  g_autoptr(cairo_surface_t) surface = NULL;
  g_autoptr(cairo_t) cr = NULL;
  g_autofree char *seed = g_strdup_printf ("%" G_GUINT64_FORMAT, provenance->seed);
  g_autofree char *images = g_strdup_printf ("%u", provenance->n_images);
  cairo_status_t status;

  surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, (int) ceil (CHART_WIDTH * scale),
                                        (int) ceil (CHART_HEIGHT * scale));
  status = cairo_surface_status (surface);
  if (status == CAIRO_STATUS_SUCCESS)
    {
      cr = cairo_create (surface);
      cairo_scale (cr, scale, scale);
      draw (cr, CHART_WIDTH, CHART_HEIGHT, result, chart);
      status = cairo_status (cr);
    }
  if (status != CAIRO_STATUS_SUCCESS)
    {
      g_set_error (error, CT_FIGURE_ERROR, CT_FIGURE_ERROR_CAIRO,
                   "Could not draw the chart %s: %s", provenance->chart,
                   cairo_status_to_string (status));
      return FALSE;
    }
  cairo_surface_flush (surface);

  {
    const char * const keys[] = {
      "Software", "Title", "camtrail:run", "camtrail:arch", "camtrail:dataset",
      "camtrail:layer", "camtrail:method", "camtrail:seed", "camtrail:images",
      "camtrail:chart", NULL
    };
    const char * const values[] = {
      "Camtrail " PACKAGE_VERSION,
      provenance->title,
      provenance->run_name != NULL ? provenance->run_name : "",
      provenance->arch != NULL ? provenance->arch : "",
      provenance->dataset != NULL ? provenance->dataset : "",
      provenance->layer != NULL ? provenance->layer : "",
      provenance->method != NULL ? provenance->method : "",
      seed,
      images,
      provenance->chart,
      NULL
    };

    return ct_png_write_argb32 (path, cairo_image_surface_get_width (surface),
                                cairo_image_surface_get_height (surface),
                                cairo_image_surface_get_stride (surface),
                                cairo_image_surface_get_data (surface), keys, values, error);
  }
}

static void
draw_faithfulness_cb (cairo_t       *cr,
                      double         width,
                      double         height,
                      gconstpointer  result,
                      guint          chart)
{
  ct_faithfulness_chart_draw (cr, width, height, result, chart);
}

static void
draw_sanity_cb (cairo_t       *cr,
                double         width,
                double         height,
                gconstpointer  result,
                guint          chart)
{
  ct_sanity_chart_draw (cr, width, height, result, chart);
}

gboolean
ct_faithfulness_chart_write_png (const CtFaithfulness  *result,
                                 CtFaithfulnessChart    chart,
                                 double                 scale,
                                 const char            *path,
                                 GError               **error)
{
  Chart data;
  Provenance provenance;
  gboolean ok;

  g_return_val_if_fail (result != NULL, FALSE);
  g_return_val_if_fail (chart < CT_FAITHFULNESS_N_CHARTS, FALSE);
  g_return_val_if_fail (scale > 0, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  faithfulness_chart_init (&data, result, chart);
  provenance = (Provenance) {
    data.title, result->run_name, result->arch, result->dataset, result->layer,
    result->method, result->seed, result->n_images, faithfulness_names[chart],
  };
  ok = write_png (draw_faithfulness_cb, result, chart, &provenance, scale, path, error);
  chart_clear (&data);
  return ok;
}

gboolean
ct_sanity_chart_write_png (const CtSanity  *result,
                           CtSanityChart    chart,
                           double           scale,
                           const char      *path,
                           GError         **error)
{
  Chart data;
  Provenance provenance;
  gboolean ok;

  g_return_val_if_fail (result != NULL, FALSE);
  g_return_val_if_fail (chart < CT_SANITY_N_CHARTS, FALSE);
  g_return_val_if_fail (scale > 0, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  sanity_chart_init (&data, result, chart);
  provenance = (Provenance) {
    data.title, result->run_name, result->arch, result->dataset, result->layer,
    result->method, result->seed, result->n_images, sanity_names[chart],
  };
  ok = write_png (draw_sanity_cb, result, chart, &provenance, scale, path, error);
  chart_clear (&data);
  return ok;
}
