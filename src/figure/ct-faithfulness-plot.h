/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <cairo.h>
#include <glib.h>

#include "ct-faithfulness.h"
#include "ct-plot.h"
#include "ct-sanity.h"

G_BEGIN_DECLS

/* Charts of a faithfulness study and of its randomisation sanity check
 * against epoch, drawn with ct-plot for the window and the CLI alike (one
 * renderer for screen and export).  A faithfulness chart has one line for
 * the method and one, dashed and grey, for the random heatmaps, each with
 * its 95% band; the ROAD chart has most- and least-relevant-first lines
 * for both.  The sanity charts have one line per similarity (Spearman,
 * SSIM, top-20% IoU) with its band: against epoch 0 over the epochs, and
 * against the cascading randomisation over the groups randomised. */

typedef enum {
  CT_FAITHFULNESS_CHART_DELETION,
  CT_FAITHFULNESS_CHART_INSERTION,
  CT_FAITHFULNESS_CHART_ROAD,
  CT_FAITHFULNESS_CHART_AVERAGE_DROP,
  CT_FAITHFULNESS_CHART_INCREASE,
  CT_FAITHFULNESS_N_CHARTS
} CtFaithfulnessChart;

typedef enum {
  CT_SANITY_CHART_EPOCH0,    /* x: epoch; each epoch's maps against epoch 0's */
  CT_SANITY_CHART_CASCADE,   /* x: groups randomised from the output down */
  CT_SANITY_N_CHARTS
} CtSanityChart;

/* Returns: (transfer none): the chart's file-name stem, e.g.
 * "faithfulness-deletion" or "sanity-cascade". */
const char *ct_faithfulness_chart_to_string (CtFaithfulnessChart chart);
const char *ct_sanity_chart_to_string       (CtSanityChart       chart);

/* The size in user units at scale 1. */
void        ct_faithfulness_chart_get_size  (double *out_width,
                                             double *out_height);

/* Draws @chart with its top-left corner at the current origin. */
void        ct_faithfulness_chart_draw      (cairo_t              *cr,
                                             double                width,
                                             double                height,
                                             const CtFaithfulness *result,
                                             CtFaithfulnessChart   chart);
void        ct_sanity_chart_draw            (cairo_t              *cr,
                                             double                width,
                                             double                height,
                                             const CtSanity       *result,
                                             CtSanityChart         chart);

/* Where the draw functions put the data at @width × @height (ct_plot_area_to_user()).
 * Returns: FALSE when the chart is too small to draw. */
gboolean    ct_faithfulness_chart_get_area  (const CtFaithfulness *result,
                                             CtFaithfulnessChart   chart,
                                             double                width,
                                             double                height,
                                             CtPlotArea           *out_area);
gboolean    ct_sanity_chart_get_area        (const CtSanity       *result,
                                             CtSanityChart         chart,
                                             double                width,
                                             double                height,
                                             CtPlotArea           *out_area);

/* Write @chart at its natural size times @scale as a PNG with the study's
 * provenance in text chunks, atomically.  Errors are CT_FIGURE_ERROR or
 * CT_PNG_ERROR. */
gboolean    ct_faithfulness_chart_write_png (const CtFaithfulness *result,
                                             CtFaithfulnessChart   chart,
                                             double                scale,
                                             const char           *path,
                                             GError              **error);
gboolean    ct_sanity_chart_write_png       (const CtSanity       *result,
                                             CtSanityChart         chart,
                                             double                scale,
                                             const char           *path,
                                             GError              **error);

G_END_DECLS
