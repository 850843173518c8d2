/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* What the screen shows of @widget's window, as GSK renders it: the widget
 * paintable snapshotted and rendered by the window's renderer.
 * Returns: (transfer full). */
GdkTexture *ct_test_render_widget (GtkWidget *widget);

/* The first toplevel window of @type (mapped, when @mapped: on screen),
 * or NULL.  Returns: (transfer none) (nullable). */
GtkWindow  *ct_test_find_toplevel (GType     type,
                                   gboolean  mapped);

G_END_DECLS
