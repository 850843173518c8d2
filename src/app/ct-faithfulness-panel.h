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
 * Its choices are the GSettings keys faithfulness-method, -images and
 * -chart. */

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
CtFaithfulnessChart ct_faithfulness_panel_get_chart (CtFaithfulnessPanel *self);
/* Returns: (transfer none): the chart's drawing area. */
GtkWidget      *ct_faithfulness_panel_get_chart_area (CtFaithfulnessPanel *self);

G_END_DECLS
