/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "ct-engine.h"
#include "ct-faithfulness-plot.h"
#include "ct-session.h"

G_BEGIN_DECLS

/* The Faithfulness page below the grid: a CAM method, a number of test
 * images and a chart to show; Compute runs a faithfulness study of every
 * checkpoint of the session's run in the engine's background (progress,
 * paused while the grid is computed, Stop cancels), and the chart is drawn
 * by ct_faithfulness_chart_draw(), as camtrail-cli faithfulness writes it.
 * With the sanity check on, Compute goes on to the randomisation sanity
 * check (ct_engine_compute_sanity()) with the study's method, images, seed
 * and layer, as camtrail-cli faithfulness --sanity does; its charts are
 * drawn by ct_sanity_chart_draw() and its numbers, each with its 95%
 * interval, listed under them.  Its choices are the GSettings keys
 * faithfulness-method, -images, -baseline, -chart and -sanity. */

#define CT_TYPE_FAITHFULNESS_PANEL (ct_faithfulness_panel_get_type ())

G_DECLARE_FINAL_TYPE (CtFaithfulnessPanel, ct_faithfulness_panel, CT, FAITHFULNESS_PANEL, GtkBox)

/* @engine, @session and @settings are kept (references). */
GtkWidget      *ct_faithfulness_panel_new          (CtEngine            *engine,
                                                    CtSession           *session,
                                                    GSettings           *settings);

/* Starts a study of the session's run, or stops the one under way.
 * Returns: FALSE, with @error, when none could start. */
gboolean        ct_faithfulness_panel_toggle       (CtFaithfulnessPanel *self,
                                                    GError             **error);
gboolean        ct_faithfulness_panel_is_computing (CtFaithfulnessPanel *self);
/* The run changed: a study belongs to its run. */
void            ct_faithfulness_panel_forget       (CtFaithfulnessPanel *self);

/* Returns: (transfer none) (nullable): the study shown. */
CtFaithfulness *ct_faithfulness_panel_get_result   (CtFaithfulnessPanel *self);
/* Returns: (transfer none) (nullable): its sanity check. */
CtSanity       *ct_faithfulness_panel_get_sanity   (CtFaithfulnessPanel *self);
/* The chart chosen: a faithfulness chart, CT_FAITHFULNESS_N_CHARTS when
 * it is a sanity chart; the sanity chart, CT_SANITY_N_CHARTS when not. */
CtFaithfulnessChart ct_faithfulness_panel_get_chart (CtFaithfulnessPanel *self);
CtSanityChart   ct_faithfulness_panel_get_sanity_chart (CtFaithfulnessPanel *self);
/* Returns: (transfer none): the label listing the sanity chart's numbers. */
GtkLabel       *ct_faithfulness_panel_get_sanity_label (CtFaithfulnessPanel *self);
/* Returns: (transfer none): the chart's drawing area. */
GtkWidget      *ct_faithfulness_panel_get_chart_area (CtFaithfulnessPanel *self);

G_END_DECLS
