/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>
#include <stdlib.h>

#include "ct-figure.h"
#include "ct-robustness-view.h"
#include "ct-style.h"

struct _CtRobustnessView
{
  GtkWidget          parent_instance;

  CtRobustness      *result;       /* (nullable) */
  CtRobustnessChart  chart;
  /* Points are named by (epoch index, perturbation), which outlive a
   * resize: the keyboard's, and the one last activated. */
  guint              focus_epoch;
  int                focus_perturbation;
  gboolean           has_applied;
  guint              applied_epoch;
  int                applied_perturbation;
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
  self->has_applied = FALSE;
  self->focus_epoch = 0;
  self->focus_perturbation = -1;
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

/* Returns: (transfer full): the points of the chart as drawn now. */
static GArray *
dup_points (CtRobustnessView *self)
{
  if (self->result == NULL)
    return g_array_new (FALSE, FALSE, sizeof (CtRobustnessPoint));
  return ct_robustness_chart_dup_points (self->result, self->chart,
                                         gtk_widget_get_width (GTK_WIDGET (self)),
                                         gtk_widget_get_height (GTK_WIDGET (self)));
}

static const CtRobustnessPoint *
find_point (GArray *points,
            guint   epoch_index,
            int     perturbation)
{
  for (guint i = 0; i < points->len; i++)
    {
      const CtRobustnessPoint *point = &g_array_index (points, CtRobustnessPoint, i);

      if (point->epoch_index == epoch_index && point->perturbation == perturbation)
        return point;
    }
  return NULL;
}

/* The keyboard's point, or the first point when it names none of @points. */
static const CtRobustnessPoint *
focus_point (CtRobustnessView *self,
             GArray           *points)
{
  const CtRobustnessPoint *point = find_point (points, self->focus_epoch, self->focus_perturbation);

  if (point == NULL && points->len > 0)
    point = &g_array_index (points, CtRobustnessPoint, 0);
  return point;
}

gboolean
ct_robustness_view_get_focus_point (CtRobustnessView *self,
                                    guint            *out_epoch_index,
                                    int              *out_perturbation)
{
  g_autoptr(GArray) points = NULL;
  const CtRobustnessPoint *point;

  g_return_val_if_fail (CT_IS_ROBUSTNESS_VIEW (self), FALSE);

  points = dup_points (self);
  point = focus_point (self, points);
  if (point == NULL)
    return FALSE;
  *out_epoch_index = point->epoch_index;
  *out_perturbation = point->perturbation;
  return TRUE;
}

gboolean
ct_robustness_view_get_applied_point (CtRobustnessView *self,
                                      guint            *out_epoch_index,
                                      int              *out_perturbation)
{
  g_return_val_if_fail (CT_IS_ROBUSTNESS_VIEW (self), FALSE);

  if (!self->has_applied)
    return FALSE;
  *out_epoch_index = self->applied_epoch;
  *out_perturbation = self->applied_perturbation;
  return TRUE;
}

void
ct_robustness_view_clear_applied (CtRobustnessView *self)
{
  g_return_if_fail (CT_IS_ROBUSTNESS_VIEW (self));

  self->has_applied = FALSE;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

/* The lines of the chart in the order it draws them: their perturbations. */
static GArray *
dup_lines (GArray *points)
{
  GArray *lines = g_array_new (FALSE, FALSE, sizeof (int));

  for (guint i = 0; i < points->len; i++)
    {
      int perturbation = g_array_index (points, CtRobustnessPoint, i).perturbation;
      gboolean seen = FALSE;

      for (guint k = 0; k < lines->len && !seen; k++)
        seen = g_array_index (lines, int, k) == perturbation;
      if (!seen)
        g_array_append_val (lines, perturbation);
    }
  return lines;
}

/* Left and Right move along the keyboard's line, from epoch to epoch; Up
 * and Down move to the next line's point nearest in epoch. */
static void
move_focus_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  CtRobustnessView *self = CT_ROBUSTNESS_VIEW (widget);
  g_autoptr(GArray) points = dup_points (self);
  g_autoptr(GArray) lines = NULL;
  const CtRobustnessPoint *from = focus_point (self, points);
  const CtRobustnessPoint *best = NULL;
  int line = 0, epochs, line_steps;

  if (from == NULL)
    return;
  g_variant_get (parameter, "(ii)", &line_steps, &epochs);
  lines = dup_lines (points);
  while (g_array_index (lines, int, line) != from->perturbation)
    line++;
  line = CLAMP (line + line_steps, 0, (int) lines->len - 1);

  for (guint i = 0; i < points->len; i++)
    {
      const CtRobustnessPoint *point = &g_array_index (points, CtRobustnessPoint, i);
      int target = CLAMP ((int) from->epoch_index + epochs, 0, (int) self->result->n_epochs - 1);

      if (point->perturbation != g_array_index (lines, int, line))
        continue;
      /* Along a line: the nearest point in the direction of the move (a
       * line may miss epochs whose value is not finite). */
      if (best == NULL || abs ((int) point->epoch_index - target) < abs ((int) best->epoch_index - target))
        best = point;
    }
  if (best == NULL)
    return;
  self->focus_epoch = best->epoch_index;
  self->focus_perturbation = best->perturbation;
  gtk_widget_queue_draw (widget);
}

static void
activate_focus_action (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *parameter)
{
  CtRobustnessView *self = CT_ROBUSTNESS_VIEW (widget);
  guint epoch_index;
  int perturbation;

  if (ct_robustness_view_get_focus_point (self, &epoch_index, &perturbation))
    g_signal_emit (self, signals[SIGNAL_POINT_ACTIVATED], 0, epoch_index, perturbation);
}

/* However it was activated (click, keyboard, or a program), the point
 * applied stays marked and takes the keyboard. */
static void
point_activated (CtRobustnessView *self,
                 guint             epoch_index,
                 int               perturbation)
{
  self->has_applied = TRUE;
  self->applied_epoch = epoch_index;
  self->applied_perturbation = perturbation;
  self->focus_epoch = epoch_index;
  self->focus_perturbation = perturbation;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
ring_point (cairo_t                 *cr,
            const CtRobustnessPoint *point,
            double                   radius,
            double                   line_width,
            const double             rgb[3])
{
  cairo_new_path (cr);
  cairo_arc (cr, point->x, point->y, radius, 0, 2 * G_PI);
  cairo_set_source_rgb (cr, rgb[0], rgb[1], rgb[2]);
  cairo_set_line_width (cr, line_width);
  cairo_stroke (cr);
}

/* The applied point (a ring in the text's shade) and, while the chart has the keyboard,
 * the keyboard's point (the focus blue of the grid's cells). */
static void
draw_marks (CtRobustnessView *self,
            cairo_t          *cr)
{
  static const double applied_rgb[2][3] = { { 0.1, 0.1, 0.1 }, { 0.92, 0.92, 0.92 } };
  static const double focus_rgb[3] = { 0.21, 0.52, 0.89 };
  g_autoptr(GArray) points = dup_points (self);
  const CtRobustnessPoint *point;

  if (self->has_applied &&
      (point = find_point (points, self->applied_epoch, self->applied_perturbation)) != NULL)
    ring_point (cr, point, 6.5, 2.5, applied_rgb[ct_figure_is_dark (cr)]);
  if (gtk_widget_has_focus (GTK_WIDGET (self)) && (point = focus_point (self, points)) != NULL)
    ring_point (cr, point, 10.0, 2.0, focus_rgb);
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
  ct_style_apply (widget, cr);
  if (self->result != NULL)
    {
      ct_robustness_chart_draw (cr, width, height, self->result, self->chart);
      draw_marks (self, cr);
    }
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
      /* A mid grey reads on the light and the dark background alike. */
      cairo_set_source_rgb (cr, 0.5, 0.5, 0.5);
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
  widget_class->css_changed = ct_style_css_changed;

  /* (epoch_index, perturbation): a point of the chart was clicked;
   * perturbation −1 is the clean accuracy. */
  signals[SIGNAL_POINT_ACTIVATED] =
    g_signal_new_class_handler ("point-activated", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_FIRST,
                                G_CALLBACK (point_activated), NULL, NULL, NULL,
                                G_TYPE_NONE, 2, G_TYPE_UINT, G_TYPE_INT);

  /* Arrows move between points, Enter opens one, as a click does. */
  gtk_widget_class_install_action (widget_class, "chart.move-focus", "(ii)", move_focus_action);
  gtk_widget_class_install_action (widget_class, "chart.activate-focus", NULL, activate_focus_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Up, 0, "chart.move-focus", "(ii)", -1, 0);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Down, 0, "chart.move-focus", "(ii)", 1, 0);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Left, 0, "chart.move-focus", "(ii)", 0, -1);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Right, 0, "chart.move-focus", "(ii)", 0, 1);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Return, 0, "chart.activate-focus", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_KP_Enter, 0, "chart.activate-focus", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_space, 0, "chart.activate-focus", NULL);

  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
ct_robustness_view_init (CtRobustnessView *self)
{
  GtkGesture *click = gtk_gesture_click_new ();

  self->chart = CT_ROBUSTNESS_CHART_ACCURACY;
  self->focus_perturbation = -1;
  gtk_widget_set_focusable (GTK_WIDGET (self), TRUE);
  g_signal_connect (self, "notify::has-focus", G_CALLBACK (gtk_widget_queue_draw), NULL);
  g_signal_connect (click, "released", G_CALLBACK (click_released_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (click));
}
