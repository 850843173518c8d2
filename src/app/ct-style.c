/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "ct-figure.h"
#include "ct-style.h"

gboolean
ct_style_is_dark (GtkWidget *widget)
{
  GdkRGBA color;

  /* gtk_widget_get_color() is GTK 4.10's; 4.8 has the style context. */
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  gtk_style_context_get_color (gtk_widget_get_style_context (widget), &color);
  G_GNUC_END_IGNORE_DEPRECATIONS
  /* Rec. 709 luma of the text colour. */
  return 0.2126 * color.red + 0.7152 * color.green + 0.0722 * color.blue > 0.5;
}

void
ct_style_apply (GtkWidget *widget,
                cairo_t   *cr)
{
  ct_figure_set_dark (cr, ct_style_is_dark (widget));
}

void
ct_style_css_changed (GtkWidget         *widget,
                      GtkCssStyleChange *change)
{
  GtkWidgetClass *widget_class = g_type_class_peek (GTK_TYPE_WIDGET);

  widget_class->css_changed (widget, change);
  gtk_widget_queue_draw (widget);
}
