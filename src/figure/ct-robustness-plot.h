/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <cairo.h>
#include <glib.h>

#include "ct-robustness.h"

G_BEGIN_DECLS

/* Charts of a robustness study against epoch, drawn with ct-plot for the
 * window and the CLI alike.  Each has one line per perturbation with its
 * 95% band; a CIFAR-10-C corruption studied at several severities is one
 * line, the mean over them, without a band. */

typedef enum {
  CT_ROBUSTNESS_CHART_ACCURACY,         /* with the clean accuracy, dashed */
  CT_ROBUSTNESS_CHART_CONFIDENCE_DROP,  /* p(c | clean) − p(c | perturbed) */
  CT_ROBUSTNESS_CHART_PEARSON,          /* heatmap stability */
  CT_ROBUSTNESS_CHART_SPEARMAN,
  CT_ROBUSTNESS_CHART_TOP_IOU,
  CT_ROBUSTNESS_N_CHARTS
} CtRobustnessChart;

/* Returns: (transfer none): the chart's file-name stem, e.g.
 * "confidence-drop" or "stability-pearson". */
const char *ct_robustness_chart_to_string (CtRobustnessChart   chart);

/* The size in user units at scale 1 that fits the chart's legend. */
void        ct_robustness_chart_get_size  (const CtRobustness *result,
                                           double             *out_width,
                                           double             *out_height);

/* Draws @chart with its top-left corner at the current origin. */
void        ct_robustness_chart_draw      (cairo_t            *cr,
                                           double              width,
                                           double              height,
                                           const CtRobustness *result,
                                           CtRobustnessChart   chart);

/* A point of a chart, where ct_robustness_chart_draw() puts it. */
typedef struct {
  double x;              /* in user units of the chart */
  double y;
  guint  epoch_index;    /* into CtRobustness.epochs */
  int    perturbation;   /* into CtRobustness.perturbations; −1: the clean accuracy */
} CtRobustnessPoint;

/* Every finite point of @chart drawn at @width × @height, line by line.  A
 * line that averages a corruption's severities names its first severity's
 * perturbation.
 * Returns: (transfer full) (element-type CtRobustnessPoint): empty when the
 * chart is too small to draw. */
GArray     *ct_robustness_chart_dup_points (const CtRobustness *result,
                                            CtRobustnessChart   chart,
                                            double              width,
                                            double              height);

/* The point of @chart drawn at @width × @height nearest to (@x, @y), when
 * it lies within @radius user units (a click on the chart).  @out_point:
 * (out) (optional).  Returns: FALSE when no point is that close. */
gboolean    ct_robustness_chart_hit_test  (const CtRobustness *result,
                                           CtRobustnessChart   chart,
                                           double              width,
                                           double              height,
                                           double              x,
                                           double              y,
                                           double              radius,
                                           CtRobustnessPoint  *out_point);

/* Writes @chart at its natural size times @scale as a PNG with the
 * study's provenance in text chunks, atomically.  Errors are
 * CT_FIGURE_ERROR or CT_PNG_ERROR. */
gboolean    ct_robustness_chart_write_png (const CtRobustness *result,
                                           CtRobustnessChart   chart,
                                           double              scale,
                                           const char         *path,
                                           GError            **error);

G_END_DECLS
