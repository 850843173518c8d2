/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* Train and test accuracy per epoch (from metrics.jsonl) and the mean
 * confidence drop of the grid's images per checkpoint, with its 95%
 * interval, drawn by ct_plot_draw_lines(). */

#define CT_TYPE_CHART_VIEW (ct_chart_view_get_type ())

G_DECLARE_FINAL_TYPE (CtChartView, ct_chart_view, CT, CHART_VIEW, GtkWidget)

GtkWidget *ct_chart_view_new         (void);

/* @metrics: (element-type CtEpochMetrics) (nullable), copied. */
void       ct_chart_view_set_metrics (CtChartView  *self,
                                      GArray       *metrics);

/* Mean confidence drop per epoch; @n 0 hides the series.  Copied. */
void       ct_chart_view_set_drops   (CtChartView  *self,
                                      const double *epochs,
                                      const double *mean,
                                      const double *ci95,
                                      guint         n);
/* How many epochs the confidence-drop series has (0: hidden). */
guint      ct_chart_view_get_n_drops (CtChartView  *self);
/* How many epochs have a test-time augmented accuracy, each a point of its
 * own series (usually the last epoch only). */
guint      ct_chart_view_get_n_tta   (CtChartView  *self);

G_END_DECLS
