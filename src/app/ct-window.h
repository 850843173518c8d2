/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "ct-application.h"
#include "ct-chart-view.h"
#include "ct-engine.h"
#include "ct-faithfulness-panel.h"
#include "ct-grid-view.h"
#include "ct-robustness-view.h"
#include "ct-session.h"
#include "ct-train.h"

G_BEGIN_DECLS

/* The main window: a run's epochs × images grid with the perturbation and
 * Grad-CAM controls beside it and, below, the training chart or the run's
 * robustness study, whose points open their images in the grid.  Every
 * control is a GSettings key, exposed as a window action of the same name
 * ("win.noise-sigma", …), so keyboard, tests and benchmarks drive it alike.
 * Torch work happens in the window's CtEngine, never on this thread. */

#define CT_TYPE_WINDOW (ct_window_get_type ())

G_DECLARE_FINAL_TYPE (CtWindow, ct_window, CT, WINDOW, GtkApplicationWindow)

CtWindow   *ct_window_new           (CtApplication *application);

/* Opens the run in @directory (asynchronously; errors appear in the window). */
void        ct_window_open_run      (CtWindow      *self,
                                     GFile         *directory);
/* Opens the Fashion-MNIST demo run, training it first if it is missing. */
void        ct_window_open_demo     (CtWindow      *self);

/* Trains a run with @options in the engine, with the progress bar; with
 * @open_when_saved the window opens the run at its first checkpoint. */
void        ct_window_train         (CtWindow             *self,
                                     const CtTrainOptions *options,
                                     gboolean              open_when_saved);

/* Returns: (transfer none). */
CtGridView *ct_window_get_grid_view (CtWindow      *self);
/* Returns: (transfer none). */
CtChartView *ct_window_get_chart_view (CtWindow *self);
/* Returns: (transfer none). */
CtRobustnessView *ct_window_get_robustness_view (CtWindow *self);
CtFaithfulnessPanel *ct_window_get_faithfulness_panel (CtWindow *self);
/* Returns: (transfer none). */
CtEngine   *ct_window_get_engine    (CtWindow      *self);
/* Returns: (transfer none): what the window shows. */
CtSession  *ct_window_get_session   (CtWindow      *self);
/* Returns: (transfer none) (nullable): the open run's directory. */
const char *ct_window_get_run_dir   (CtWindow      *self);
/* Returns: (transfer none) (nullable): the report.html of the last study
 * Study… ran to its end. */
const char *ct_window_get_study_report (CtWindow   *self);

G_END_DECLS
