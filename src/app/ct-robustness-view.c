/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "ct-robustness-view.h"

struct _CtRobustnessView
{
  GtkWidget          parent_instance;

  CtRobustness      *result;       /* (nullable) */
  CtRobustnessChart  chart;
};

enum {
  SIGNAL_POINT_ACTIVATED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (CtRobustnessView, ct_robustness_view, GTK_TYPE_WIDGET)

GtkWidget *
ct_robustness_view_new (void)
{
  return g_object_new (CT_TYPE_ROBUSTNESS_VIEW, NULL);
}

void
ct_robustness_view_take_result (CtRobustnessView *self,
                                CtRobustness     *result)
{
  g_return_if_fail (CT_IS_ROBUSTNESS_VIEW (self));

  g_clear_pointer (&self->result, ct_robustness_free);
  self->result = result;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

CtRobustness *
ct_robustness_view_get_result (CtRobustnessView *self)
{
  g_return_val_if_fail (CT_IS_ROBUSTNESS_VIEW (self), NULL);

  return self->result;
}

void
ct_robustness_view_set_chart (CtRobustnessView  *self,
                              CtRobustnessChart  chart)
{
  g_return_if_fail (CT_IS_ROBUSTNESS_VIEW (self));
  g_return_if_fail (chart < CT_ROBUSTNESS_N_CHARTS);

  self->chart = chart;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

CtRobustnessChart
ct_robustness_view_get_chart (CtRobustnessView *self)
{
  g_return_val_if_fail (CT_IS_ROBUSTNESS_VIEW (self), CT_ROBUSTNESS_CHART_ACCURACY);

  return self->chart;
}

gboolean
ct_robustness_view_activate_at (CtRobustnessView *self,
                                double            x,
                                double            y)
{
  CtRobustnessPoint point;

  g_return_val_if_fail (CT_IS_ROBUSTNESS_VIEW (self), FALSE);

  /* The chart is drawn at the widget's size, so widget coordinates are its
   * user units. */
  if (self->result == NULL ||
      !ct_robustness_chart_hit_test (self->result, self->chart,
                                     gtk_widget_get_width (GTK_WIDGET (self)),
                                     gtk_widget_get_height (GTK_WIDGET (self)),
                                     x, y, CT_ROBUSTNESS_VIEW_HIT_RADIUS, &point))
    return FALSE;

  g_signal_emit (self, signals[SIGNAL_POINT_ACTIVATED], 0, point.epoch_index, point.perturbation);
  return TRUE;
}

static void
click_released_cb (GtkGestureClick  *gesture,
                   int               n_press,
                   double            x,
                   double            y,
                   CtRobustnessView *self)
{
  ct_robustness_view_activate_at (self, x, y);
}

static void
ct_robustness_view_snapshot (GtkWidget   *widget,
                             GtkSnapshot *snapshot)
{
  CtRobustnessView *self = CT_ROBUSTNESS_VIEW (widget);
  int width = gtk_widget_get_width (widget);
  int height = gtk_widget_get_height (widget);
  g_autoptr(PangoLayout) layout = NULL;
  cairo_t *cr;
  int text_height;

  if (width <= 0 || height <= 0)
    return;

  cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, width, height));
  cairo_set_source_rgb (cr, 1, 1, 1);
  cairo_paint (cr);
  if (self->result != NULL)
    ct_robustness_chart_draw (cr, width, height, self->result, self->chart);
  else
    {
      /* Until a study is computed, the page says what it is for. */
      layout = gtk_widget_create_pango_layout (widget,
                                               _("Compute how each checkpoint of the run holds up "
                                                 "under the perturbations above; click a point of "
                                                 "the chart to see its images in the grid."));
      pango_layout_set_width (layout, MAX (width - 48, 1) * PANGO_SCALE);
      pango_layout_set_alignment (layout, PANGO_ALIGN_CENTER);
      pango_layout_get_pixel_size (layout, NULL, &text_height);
      cairo_set_source_rgb (cr, 0.4, 0.4, 0.4);
      cairo_move_to (cr, 24, (height - text_height) / 2.0);
      pango_cairo_show_layout (cr, layout);
    }
  cairo_destroy (cr);
}

static void
ct_robustness_view_finalize (GObject *object)
{
  CtRobustnessView *self = CT_ROBUSTNESS_VIEW (object);

  g_clear_pointer (&self->result, ct_robustness_free);

  G_OBJECT_CLASS (ct_robustness_view_parent_class)->finalize (object);
}

static void
ct_robustness_view_class_init (CtRobustnessViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->finalize = ct_robustness_view_finalize;
  widget_class->snapshot = ct_robustness_view_snapshot;

  /* (epoch_index, perturbation): a point of the chart was clicked;
   * perturbation −1 is the clean accuracy. */
  signals[SIGNAL_POINT_ACTIVATED] =
    g_signal_new ("point-activated", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_UINT, G_TYPE_INT);

  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
ct_robustness_view_init (CtRobustnessView *self)
{
  GtkGesture *click = gtk_gesture_click_new ();

  self->chart = CT_ROBUSTNESS_CHART_ACCURACY;
  g_signal_connect (click, "released", G_CALLBACK (click_released_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (click));
}
