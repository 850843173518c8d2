/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "ct-robustness-plot.h"

G_BEGIN_DECLS

/* One chart of a robustness study, drawn by ct_robustness_chart_draw() over
 * the whole widget.  A click near a point, or Enter on the keyboard's
 * point, emits ::point-activated with the point's epoch index and
 * perturbation (−1 for the clean accuracy); the point stays marked. */

#define CT_TYPE_ROBUSTNESS_VIEW (ct_robustness_view_get_type ())

G_DECLARE_FINAL_TYPE (CtRobustnessView, ct_robustness_view, CT, ROBUSTNESS_VIEW, GtkWidget)

/* How close to a point, in pixels, a click must be to activate it. */
#define CT_ROBUSTNESS_VIEW_HIT_RADIUS 8.0

GtkWidget         *ct_robustness_view_new         (void);

/* @result: (transfer full) (nullable): NULL shows a hint instead. */
void               ct_robustness_view_take_result (CtRobustnessView  *self,
                                                   CtRobustness      *result);
/* Returns: (transfer none) (nullable). */
CtRobustness      *ct_robustness_view_get_result  (CtRobustnessView  *self);

void               ct_robustness_view_set_chart   (CtRobustnessView  *self,
                                                   CtRobustnessChart  chart);
CtRobustnessChart  ct_robustness_view_get_chart   (CtRobustnessView  *self);

/* What a click at (@x, @y), in widget coordinates, does: emits
 * ::point-activated for the nearest point within
 * CT_ROBUSTNESS_VIEW_HIT_RADIUS.  Returns: whether there was one. */
gboolean           ct_robustness_view_activate_at (CtRobustnessView  *self,
                                                   double             x,
                                                   double             y);

/* The point the keyboard is on (arrows move it, Enter activates it): the
 * last one activated, else the chart's first.  Returns: FALSE without
 * points. */
gboolean           ct_robustness_view_get_focus_point   (CtRobustnessView *self,
                                                         guint            *out_epoch_index,
                                                         int              *out_perturbation);
/* The point last activated, marked on the chart until the result changes
 * or ct_robustness_view_clear_applied().  Returns: FALSE when none is. */
gboolean           ct_robustness_view_get_applied_point (CtRobustnessView *self,
                                                         guint            *out_epoch_index,
                                                         int              *out_perturbation);
void               ct_robustness_view_clear_applied     (CtRobustnessView *self);

G_END_DECLS
