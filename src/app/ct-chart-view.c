/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>
#include <math.h>

#include "ct-chart-view.h"
#include "ct-plot.h"
#include "ct-run.h"
#include "ct-style.h"

struct _CtChartView
{
  GtkWidget  parent_instance;

  GArray    *epochs;          /* (element-type double) metrics.jsonl epochs */
  GArray    *train_accuracy;  /* (element-type double) in [0, 1], NaN at epoch 0 */
  GArray    *test_accuracy;
  GArray    *test_accuracy_tta; /* NaN where not measured (all but the last epoch) */
  GArray    *drop_epochs;     /* (element-type double) grid rows */
  GArray    *drop_mean;
  GArray    *drop_lo;
  GArray    *drop_hi;
};

G_DEFINE_FINAL_TYPE (CtChartView, ct_chart_view, GTK_TYPE_WIDGET)

GtkWidget *
ct_chart_view_new (void)
{
  return g_object_new (CT_TYPE_CHART_VIEW, NULL);
}

void
ct_chart_view_set_metrics (CtChartView *self,
                           GArray      *metrics)
{
  g_return_if_fail (CT_IS_CHART_VIEW (self));

  g_array_set_size (self->epochs, 0);
  g_array_set_size (self->train_accuracy, 0);
  g_array_set_size (self->test_accuracy, 0);
  g_array_set_size (self->test_accuracy_tta, 0);
  for (guint i = 0; metrics != NULL && i < metrics->len; i++)
    {
      const CtEpochMetrics *line = &g_array_index (metrics, CtEpochMetrics, i);
      double epoch = line->epoch;

      g_array_append_val (self->epochs, epoch);
      g_array_append_val (self->train_accuracy, line->train_accuracy);
      g_array_append_val (self->test_accuracy, line->test_accuracy);
      g_array_append_val (self->test_accuracy_tta, line->test_accuracy_tta);
    }
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
ct_chart_view_set_drops (CtChartView  *self,
                         const double *epochs,
                         const double *mean,
                         const double *ci95,
                         guint         n)
{
  g_return_if_fail (CT_IS_CHART_VIEW (self));

  g_array_set_size (self->drop_epochs, 0);
  g_array_set_size (self->drop_mean, 0);
  g_array_set_size (self->drop_lo, 0);
  g_array_set_size (self->drop_hi, 0);
  for (guint i = 0; i < n; i++)
    {
      double lo = mean[i] - ci95[i];
      double hi = mean[i] + ci95[i];

      g_array_append_val (self->drop_epochs, epochs[i]);
      g_array_append_val (self->drop_mean, mean[i]);
      g_array_append_val (self->drop_lo, lo);
      g_array_append_val (self->drop_hi, hi);
    }
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

guint
ct_chart_view_get_n_drops (CtChartView *self)
{
  g_return_val_if_fail (CT_IS_CHART_VIEW (self), 0);

  return self->drop_epochs->len;
}

guint
ct_chart_view_get_n_tta (CtChartView *self)
{
  guint n = 0;

  g_return_val_if_fail (CT_IS_CHART_VIEW (self), 0);

  for (guint i = 0; i < self->test_accuracy_tta->len; i++)
    n += isfinite (g_array_index (self->test_accuracy_tta, double, i));
  return n;
}

static void
ct_chart_view_snapshot (GtkWidget   *widget,
                        GtkSnapshot *snapshot)
{
  CtChartView *self = CT_CHART_VIEW (widget);
  int width = gtk_widget_get_width (widget);
  int height = gtk_widget_get_height (widget);
  CtPlotSeries series[4] = { { 0 } };
  gboolean has_tta = FALSE;
  CtPlotAxes axes = { 0 };
  guint n_series = 0;
  cairo_t *cr;

  if (width <= 0 || height <= 0)
    return;

  axes.title = _("Accuracy and confidence drop per epoch");
  axes.x_label = _("Epoch");
  axes.y_label = NULL;
  axes.y_min = NAN;
  axes.y_max = NAN;
  axes.y_percent = TRUE;

  series[n_series++] = (CtPlotSeries) {
    .label = _("Train accuracy"), .x = (double *) self->epochs->data,
    .y = (double *) self->train_accuracy->data, .n = self->epochs->len,
    .rgb = { 0.15, 0.59, 0.35 }, .dashed = TRUE,
  };
  series[n_series++] = (CtPlotSeries) {
    .label = _("Test accuracy"), .x = (double *) self->epochs->data,
    .y = (double *) self->test_accuracy->data, .n = self->epochs->len,
    .rgb = { 0.21, 0.52, 0.89 },
  };
  for (guint i = 0; i < self->test_accuracy_tta->len; i++)
    has_tta = has_tta || isfinite (g_array_index (self->test_accuracy_tta, double, i));
  /* Its own series, never mixed into the plain test accuracy: usually a
   * dot at the last epoch. */
  if (has_tta)
    series[n_series++] = (CtPlotSeries) {
      .label = _("Test accuracy, test-time augmented"), .x = (double *) self->epochs->data,
      .y = (double *) self->test_accuracy_tta->data, .n = self->epochs->len,
      .rgb = { 0.57, 0.25, 0.67 },
    };
  if (self->drop_epochs->len > 0)
    series[n_series++] = (CtPlotSeries) {
      /* xgettext:no-c-format */
      .label = _("Mean confidence drop (95% interval)"),
      .x = (double *) self->drop_epochs->data, .y = (double *) self->drop_mean->data,
      .lo = (double *) self->drop_lo->data, .hi = (double *) self->drop_hi->data,
      .n = self->drop_epochs->len, .rgb = { 0.88, 0.11, 0.14 },
    };

  cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, width, height));
  ct_style_apply (widget, cr);
  ct_plot_draw_lines (cr, width, height, &axes, series, n_series);
  cairo_destroy (cr);
}

static void
ct_chart_view_finalize (GObject *object)
{
  CtChartView *self = CT_CHART_VIEW (object);

  g_clear_pointer (&self->epochs, g_array_unref);
  g_clear_pointer (&self->train_accuracy, g_array_unref);
  g_clear_pointer (&self->test_accuracy, g_array_unref);
  g_clear_pointer (&self->test_accuracy_tta, g_array_unref);
  g_clear_pointer (&self->drop_epochs, g_array_unref);
  g_clear_pointer (&self->drop_mean, g_array_unref);
  g_clear_pointer (&self->drop_lo, g_array_unref);
  g_clear_pointer (&self->drop_hi, g_array_unref);

  G_OBJECT_CLASS (ct_chart_view_parent_class)->finalize (object);
}

static void
ct_chart_view_class_init (CtChartViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->finalize = ct_chart_view_finalize;
  widget_class->snapshot = ct_chart_view_snapshot;
  widget_class->css_changed = ct_style_css_changed;
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
ct_chart_view_init (CtChartView *self)
{
  self->epochs = g_array_new (FALSE, FALSE, sizeof (double));
  self->train_accuracy = g_array_new (FALSE, FALSE, sizeof (double));
  self->test_accuracy = g_array_new (FALSE, FALSE, sizeof (double));
  self->test_accuracy_tta = g_array_new (FALSE, FALSE, sizeof (double));
  self->drop_epochs = g_array_new (FALSE, FALSE, sizeof (double));
  self->drop_mean = g_array_new (FALSE, FALSE, sizeof (double));
  self->drop_lo = g_array_new (FALSE, FALSE, sizeof (double));
  self->drop_hi = g_array_new (FALSE, FALSE, sizeof (double));
}
