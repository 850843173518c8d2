/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* The desktop's style for what the views draw with Cairo (the grid, the
 * charts, the cell dialog).  The dark style is read from the widget's own
 * text colour: light text means a dark style, however it was chosen (GTK's
 * prefer-dark setting, libadwaita's style manager, a dark theme). */

gboolean ct_style_is_dark (GtkWidget *widget);

/* Sets the figure library's palette on @cr to @widget's style. */
void     ct_style_apply   (GtkWidget *widget,
                           cairo_t   *cr);

/* GtkWidgetClass.css_changed for views that derive from GtkWidget and
 * draw with ct_style_apply(): a change of style (light ↔ dark) redraws
 * them, which GTK does not do for a snapshot of its own. */
void     ct_style_css_changed (GtkWidget         *widget,
                               GtkCssStyleChange *change);

G_END_DECLS
