/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "ct-robustness-plot.h"

G_BEGIN_DECLS

/* One chart of a robustness study, drawn by ct_robustness_chart_draw() over
 * the whole widget.  A click near a point emits ::point-activated with the
 * point's epoch index and perturbation (−1 for the clean accuracy). */

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

G_END_DECLS
