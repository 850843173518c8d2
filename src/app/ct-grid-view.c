/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>

#include "ct-grid-view.h"
#include "ct-style.h"

struct _CtGridView
{
  GtkWidget      parent_instance;

  CtFigureStyle  style;
  /* One slot per row of the current request; each holds the one-row grid
   * last received for it, fresh (this request) or stale (an earlier one). */
  GPtrArray     *rows;          /* (element-type CtGrid) (nullable elements) */
  GArray        *fresh;         /* (element-type gboolean) */
  CtGrid        *figure;        /* the rows present, joined; what is drawn */
  GArray        *figure_fresh;  /* (element-type gboolean) per row of @figure */

  gboolean       fit;           /* best fit: the cells shrink to the space given */
  int            zoom_cell;     /* the cell side when not fitting, 0 = the style's */
  int            drawn_cell;    /* the cell side drawn now, 0 before the first allocation */

  guint          focus_row;     /* the cell the keyboard is on */
  guint          focus_column;  /* image × rounds + round */
};

enum {
  SIGNAL_CELL_ACTIVATED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (CtGridView, ct_grid_view, GTK_TYPE_WIDGET)

/* Zooming stops at cells this small, and at this many times the natural size. */
#define MIN_ZOOM_CELL 16
#define MAX_ZOOM      8

/* The style as drawn on screen: the user's, with the cell side that the
 * fit or the zoom gives.  Export uses the user's style as it is. */
void
ct_grid_view_get_drawn_style (CtGridView    *self,
                              CtFigureStyle *out_style)
{
  *out_style = self->style;
  /* The screen's room is for the grid: long titles are cut, not shrunk. */
  out_style->ellipsize_titles = TRUE;
  if (self->fit && self->drawn_cell > 0)
    out_style->cell_size = self->drawn_cell;
  else if (!self->fit && self->zoom_cell > 0)
    out_style->cell_size = self->zoom_cell;
}

GtkWidget *
ct_grid_view_new (void)
{
  return g_object_new (CT_TYPE_GRID_VIEW, NULL);
}

static gboolean
same_shape (const CtGrid *a,
            const CtGrid *b)
{
  /* A comparison of methods and a grid of as many images differ too. */
  return a->n_images == b->n_images && a->n_rounds == b->n_rounds &&
         (a->column_methods == NULL) == (b->column_methods == NULL) &&
         a->channels == b->channels && a->height == b->height &&
         a->width == b->width && a->n_classes == b->n_classes;
}

/* Rebuilds the drawn figure from the rows present.  Rows whose shape
 * differs from the newest row (other images were chosen) are dropped. */
static void
rebuild_figure (CtGridView *self)
{
  g_autoptr(GPtrArray) parts = g_ptr_array_new ();
  const CtGrid *reference = NULL;
  int old_width = 0, old_height = 0, width = 0, height = 0;

  g_array_set_size (self->figure_fresh, 0);
  for (guint i = 0; i < self->rows->len; i++)
    {
      const CtGrid *row = g_ptr_array_index (self->rows, i);

      if (row != NULL && g_array_index (self->fresh, gboolean, i))
        reference = row;
    }
  for (guint i = 0; i < self->rows->len; i++)
    {
      const CtGrid *row = g_ptr_array_index (self->rows, i);

      if (row == NULL)
        continue;
      if (reference == NULL)
        reference = row;
      if (same_shape (row, reference))
        {
          g_ptr_array_add (parts, (gpointer) row);
          g_array_append_val (self->figure_fresh, g_array_index (self->fresh, gboolean, i));
        }
    }

  if (self->figure != NULL)
    ct_figure_get_size (self->figure, &self->style, &old_width, &old_height);
  g_clear_pointer (&self->figure, ct_grid_free);
  if (parts->len > 0)
    {
      self->figure = ct_grid_concat ((const CtGrid *const *) parts->pdata, parts->len);
      ct_figure_get_size (self->figure, &self->style, &width, &height);
    }

  if (self->figure != NULL)
    {
      self->focus_row = MIN (self->focus_row, self->figure->n_rows - 1);
      self->focus_column = MIN (self->focus_column,
                                self->figure->n_images * self->figure->n_rounds - 1);
    }

  /* A row replacing a row of the same size only needs painting: a resize
   * would lay out the whole window (every label of the controls) again for
   * each row the engine sends. */
  if (width == old_width && height == old_height)
    gtk_widget_queue_draw (GTK_WIDGET (self));
  else
    gtk_widget_queue_resize (GTK_WIDGET (self));
}

void
ct_grid_view_begin (CtGridView *self,
                    guint       n_rows)
{
  g_return_if_fail (CT_IS_GRID_VIEW (self));

  /* Keep the old rows in place as stale stand-ins for the new ones. */
  if (n_rows < self->rows->len)
    g_ptr_array_set_size (self->rows, n_rows);
  else
    while (self->rows->len < n_rows)
      g_ptr_array_add (self->rows, NULL);
  g_array_set_size (self->fresh, n_rows);
  for (guint i = 0; i < n_rows; i++)
    g_array_index (self->fresh, gboolean, i) = FALSE;
  rebuild_figure (self);
}

void
ct_grid_view_add_rows (CtGridView *self,
                       guint       first_row,
                       CtGrid     *grid)
{
  g_autoptr(CtGrid) owned = grid;

  g_return_if_fail (CT_IS_GRID_VIEW (self));
  g_return_if_fail (grid != NULL);
  g_return_if_fail (first_row + grid->n_rows <= self->rows->len);

  for (guint r = 0; r < grid->n_rows; r++)
    {
      CtGrid *row = grid->n_rows == 1 ? g_steal_pointer (&owned) : ct_grid_dup_row (grid, r);

      g_clear_pointer (&g_ptr_array_index (self->rows, first_row + r), ct_grid_free);
      g_ptr_array_index (self->rows, first_row + r) = row;
      g_array_index (self->fresh, gboolean, first_row + r) = TRUE;
    }

  rebuild_figure (self);
}

void
ct_grid_view_clear (CtGridView *self)
{
  g_return_if_fail (CT_IS_GRID_VIEW (self));

  g_ptr_array_set_size (self->rows, 0);
  g_array_set_size (self->fresh, 0);
  rebuild_figure (self);
}

void
ct_grid_view_set_style (CtGridView          *self,
                        const CtFigureStyle *style)
{
  g_return_if_fail (CT_IS_GRID_VIEW (self));

  self->style = *style;
  gtk_widget_queue_resize (GTK_WIDGET (self));
}

const CtFigureStyle *
ct_grid_view_get_style (CtGridView *self)
{
  g_return_val_if_fail (CT_IS_GRID_VIEW (self), NULL);

  return &self->style;
}

gboolean
ct_grid_view_is_complete (CtGridView *self)
{
  g_return_val_if_fail (CT_IS_GRID_VIEW (self), FALSE);

  for (guint i = 0; i < self->fresh->len; i++)
    if (!g_array_index (self->fresh, gboolean, i))
      return FALSE;
  return TRUE;
}

CtGrid *
ct_grid_view_get_grid (CtGridView *self)
{
  g_return_val_if_fail (CT_IS_GRID_VIEW (self), NULL);

  return self->figure;
}

gboolean
ct_grid_view_get_cell_rect (CtGridView      *self,
                            guint            row,
                            guint            image,
                            guint            round,
                            graphene_rect_t *out_rect)
{
  CtFigureStyle style;
  int x, y, size, caption;

  g_return_val_if_fail (CT_IS_GRID_VIEW (self), FALSE);

  if (self->figure == NULL || row >= self->figure->n_rows ||
      image >= self->figure->n_images || round >= self->figure->n_rounds)
    return FALSE;

  ct_grid_view_get_drawn_style (self, &style);
  ct_figure_get_cell_rect (self->figure, &style, row, image, round, &x, &y, &size, &caption);
  graphene_rect_init (out_rect, x, y, size, size);
  return TRUE;
}

void
ct_grid_view_zoom_to_fit (CtGridView *self)
{
  g_return_if_fail (CT_IS_GRID_VIEW (self));

  self->fit = TRUE;
  gtk_widget_queue_resize (GTK_WIDGET (self));
}

void
ct_grid_view_zoom (CtGridView *self,
                   double      factor)
{
  CtFigureStyle style;
  int cell, natural;

  g_return_if_fail (CT_IS_GRID_VIEW (self));
  g_return_if_fail (factor > 0);

  if (self->figure == NULL)
    return;
  ct_grid_view_get_drawn_style (self, &style);
  cell = ct_figure_get_cell_size (self->figure, &style);
  natural = ct_figure_get_cell_size (self->figure, &self->style);
  self->zoom_cell = CLAMP ((int) lround (cell * factor), MIN_ZOOM_CELL, MAX_ZOOM * natural);
  self->fit = FALSE;
  gtk_widget_queue_resize (GTK_WIDGET (self));
}

gboolean
ct_grid_view_get_fit (CtGridView *self)
{
  g_return_val_if_fail (CT_IS_GRID_VIEW (self), FALSE);

  return self->fit;
}

gboolean
ct_grid_view_get_focus_cell (CtGridView *self,
                             guint      *out_row,
                             guint      *out_image,
                             guint      *out_round)
{
  g_return_val_if_fail (CT_IS_GRID_VIEW (self), FALSE);

  if (self->figure == NULL)
    return FALSE;
  *out_row = self->focus_row;
  *out_image = self->focus_column / self->figure->n_rounds;
  *out_round = self->focus_column % self->figure->n_rounds;
  return TRUE;
}

static void
move_focus_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  CtGridView *self = CT_GRID_VIEW (widget);
  int rows, columns;

  if (self->figure == NULL)
    return;
  g_variant_get (parameter, "(ii)", &rows, &columns);
  self->focus_row = CLAMP ((int) self->focus_row + rows, 0, (int) self->figure->n_rows - 1);
  self->focus_column = CLAMP ((int) self->focus_column + columns, 0,
                              (int) (self->figure->n_images * self->figure->n_rounds) - 1);
  gtk_widget_queue_draw (widget);
}

static void
activate_focus_action (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *parameter)
{
  CtGridView *self = CT_GRID_VIEW (widget);
  guint row, image, round;

  if (ct_grid_view_get_focus_cell (self, &row, &image, &round))
    g_signal_emit (self, signals[SIGNAL_CELL_ACTIVATED], 0, row, image, round);
}

/* Fitting, the grid asks for the room of its natural cells and makes do
 * with the room of cells of one pixel (its texts): the cells shrink to
 * whatever it gets.  Zoomed, it asks for its size, and scrolls. */
static void
ct_grid_view_measure (GtkWidget      *widget,
                      GtkOrientation  orientation,
                      int             for_size,
                      int            *minimum,
                      int            *natural,
                      int            *minimum_baseline,
                      int            *natural_baseline)
{
  CtGridView *self = CT_GRID_VIEW (widget);
  CtFigureStyle style;
  int width = 0, height = 0, min_width = 0, min_height = 0;

  if (self->figure != NULL)
    {
      ct_grid_view_get_drawn_style (self, &style);
      if (self->fit)
        {
          style.cell_size = self->style.cell_size;
          ct_figure_get_size (self->figure, &style, &width, &height);
          style.cell_size = 1;
          ct_figure_get_size (self->figure, &style, &min_width, &min_height);
        }
      else
        {
          ct_figure_get_size (self->figure, &style, &width, &height);
          min_width = width;
          min_height = height;
        }
    }

  *minimum = orientation == GTK_ORIENTATION_HORIZONTAL ? min_width : min_height;
  *natural = orientation == GTK_ORIENTATION_HORIZONTAL ? width : height;
}

static void
ct_grid_view_size_allocate (GtkWidget *widget,
                            int        width,
                            int        height,
                            int        baseline)
{
  CtGridView *self = CT_GRID_VIEW (widget);
  CtFigureStyle style = self->style;

  style.ellipsize_titles = TRUE;
  if (self->fit && self->figure != NULL)
    self->drawn_cell = ct_figure_fit_cell_size (self->figure, &style, width, height);
}

static void
ct_grid_view_snapshot (GtkWidget   *widget,
                       GtkSnapshot *snapshot)
{
  CtGridView *self = CT_GRID_VIEW (widget);
  CtFigureStyle style;
  int width, height;
  cairo_t *cr;

  if (self->figure == NULL)
    return;

  ct_grid_view_get_drawn_style (self, &style);
  ct_figure_get_size (self->figure, &style, &width, &height);
  cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, width, height));
  ct_style_apply (widget, cr);
  ct_figure_draw (cr, self->figure, &style);

  /* Rows still showing an earlier request are veiled until replaced. */
  for (guint row = 0; row < self->figure->n_rows; row++)
    if (!g_array_index (self->figure_fresh, gboolean, row))
      {
        int x, y, size, caption;

        ct_figure_get_cell_rect (self->figure, &style, row, 0, 0, &x, &y, &size, &caption);
        cairo_rectangle (cr, 0, y, width, size + caption);
        /* The background's shade over them, light or dark. */
        if (ct_figure_is_dark (cr))
          cairo_set_source_rgba (cr, 0.12, 0.12, 0.12, 0.55);
        else
          cairo_set_source_rgba (cr, 1, 1, 1, 0.55);
        cairo_fill (cr);
      }

  /* The keyboard's cell, while the grid has the keyboard. */
  if (gtk_widget_has_focus (widget))
    {
      int x, y, size, caption;

      ct_figure_get_cell_rect (self->figure, &style, self->focus_row,
                               self->focus_column / self->figure->n_rounds,
                               self->focus_column % self->figure->n_rounds, &x, &y, &size, &caption);
      cairo_rectangle (cr, x - 2.5, y - 2.5, size + 5, size + caption + 5);
      cairo_set_source_rgb (cr, 0.21, 0.52, 0.89);
      cairo_set_line_width (cr, 2);
      cairo_stroke (cr);
    }
  cairo_destroy (cr);
}

static void
click_released_cb (GtkGestureClick *gesture,
                   int              n_press,
                   double           x,
                   double           y,
                   CtGridView      *self)
{
  if (self->figure == NULL)
    return;

  for (guint row = 0; row < self->figure->n_rows; row++)
    for (guint image = 0; image < self->figure->n_images; image++)
      for (guint round = 0; round < self->figure->n_rounds; round++)
        {
          graphene_rect_t rect;

          ct_grid_view_get_cell_rect (self, row, image, round, &rect);
          if (graphene_rect_contains_point (&rect, &GRAPHENE_POINT_INIT (x, y)))
            {
              self->focus_row = row;
              self->focus_column = image * self->figure->n_rounds + round;
              gtk_widget_grab_focus (GTK_WIDGET (self));
              g_signal_emit (self, signals[SIGNAL_CELL_ACTIVATED], 0, row, image, round);
              return;
            }
        }
}

static void
ct_grid_view_finalize (GObject *object)
{
  CtGridView *self = CT_GRID_VIEW (object);

  g_clear_pointer (&self->rows, g_ptr_array_unref);
  g_clear_pointer (&self->fresh, g_array_unref);
  g_clear_pointer (&self->figure_fresh, g_array_unref);
  g_clear_pointer (&self->figure, ct_grid_free);

  G_OBJECT_CLASS (ct_grid_view_parent_class)->finalize (object);
}

static void
ct_grid_view_class_init (CtGridViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->finalize = ct_grid_view_finalize;
  widget_class->measure = ct_grid_view_measure;
  widget_class->size_allocate = ct_grid_view_size_allocate;
  widget_class->snapshot = ct_grid_view_snapshot;
  widget_class->css_changed = ct_style_css_changed;

  /**
   * CtGridView::cell-activated:
   * @row: row of ct_grid_view_get_grid()
   * @image: column
   * @round: perturbation round
   *
   * A cell was clicked.
   */
  signals[SIGNAL_CELL_ACTIVATED] =
    g_signal_new ("cell-activated", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 3, G_TYPE_UINT, G_TYPE_UINT, G_TYPE_UINT);

  /* Arrows move between cells, Enter opens one, as a click does. */
  gtk_widget_class_install_action (widget_class, "grid.move-focus", "(ii)", move_focus_action);
  gtk_widget_class_install_action (widget_class, "grid.activate-focus", NULL, activate_focus_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Up, 0, "grid.move-focus", "(ii)", -1, 0);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Down, 0, "grid.move-focus", "(ii)", 1, 0);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Left, 0, "grid.move-focus", "(ii)", 0, -1);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Right, 0, "grid.move-focus", "(ii)", 0, 1);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Return, 0, "grid.activate-focus", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_KP_Enter, 0, "grid.activate-focus", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_space, 0, "grid.activate-focus", NULL);

  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
ct_grid_view_init (CtGridView *self)
{
  GtkGesture *click = gtk_gesture_click_new ();

  self->rows = g_ptr_array_new_with_free_func ((GDestroyNotify) ct_grid_free);
  self->fresh = g_array_new (FALSE, TRUE, sizeof (gboolean));
  self->figure_fresh = g_array_new (FALSE, TRUE, sizeof (gboolean));
  ct_figure_style_init (&self->style);
  self->fit = TRUE;
  gtk_widget_set_focusable (GTK_WIDGET (self), TRUE);
  g_signal_connect (self, "notify::has-focus", G_CALLBACK (gtk_widget_queue_draw), NULL);

  g_signal_connect (click, "released", G_CALLBACK (click_released_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (click));
}
