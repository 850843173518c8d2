/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "ct-cell-dialog.h"
#include "ct-plot.h"
#include "ct-style.h"

#define TOP_K 5
#define PANEL 224
#define CAPTION 36
#define MARGIN 16
#define BARS_HEIGHT 150

struct _CtCellDialog
{
  GtkWindow      parent_instance;

  CtGrid        *cell;          /* one row, one image, one round: the perturbed cell */
  CtGrid        *clean;         /* (nullable) the same cell without perturbation */
  gboolean       perturbed;
  CtFigureStyle  style;
  GCancellable  *cancellable;
  GtkWidget     *area;
  GtkWidget     *compare_button;
};

G_DEFINE_FINAL_TYPE (CtCellDialog, ct_cell_dialog, GTK_TYPE_WINDOW)

/* Draws @grid's image (or, with @overlay, its heatmap over it) in a square. */
static void
draw_panel (cairo_t             *cr,
            CtGrid              *grid,
            const CtFigureStyle *style,
            gboolean             overlay,
            double               x,
            const char          *title)
{
  CtFigureStyle panel_style = *style;

  cairo_save (cr);
  if (ct_figure_is_dark (cr))
    cairo_set_source_rgb (cr, 0.88, 0.88, 0.88);
  else
    cairo_set_source_rgb (cr, 0.13, 0.13, 0.13);
  cairo_select_font_face (cr, "Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD);
  cairo_set_font_size (cr, 13);
  cairo_move_to (cr, x, MARGIN + 12);
  cairo_show_text (cr, title);
  cairo_restore (cr);

  /* Image weight 1 draws the bare image through the same renderer. */
  if (!overlay)
    panel_style.image_weight = 1.0f;
  ct_figure_draw_cell (cr, grid, 0, 0, 0, &panel_style, x, MARGIN + 20, PANEL, CAPTION);
}

static void
draw_top_k (cairo_t    *cr,
            CtGrid     *grid,
            double      x,
            double      y,
            double      width,
            const char *title)
{
  CtGridCell *cell = ct_grid_get_cell (grid, 0, 0, 0);
  g_autofree guint *order = g_new (guint, grid->n_classes);
  const char *labels[TOP_K];
  double values[TOP_K];
  guint k = MIN (TOP_K, grid->n_classes);
  int highlight = -1;

  for (guint i = 0; i < grid->n_classes; i++)
    order[i] = i;
  /* A partial selection sort: the classes are few. */
  for (guint i = 0; i < k; i++)
    for (guint j = i + 1; j < grid->n_classes; j++)
      if (cell->probabilities[order[j]] > cell->probabilities[order[i]])
        {
          guint t = order[i];
          order[i] = order[j];
          order[j] = t;
        }
  for (guint i = 0; i < k; i++)
    {
      labels[i] = grid->classes[order[i]];
      values[i] = cell->probabilities[order[i]];
      if ((int) order[i] == grid->labels[0])
        highlight = i;
    }

  cairo_save (cr);
  cairo_translate (cr, x, y);
  ct_plot_draw_bars (cr, width, BARS_HEIGHT, title, labels, values, k, 1.0, highlight);
  cairo_restore (cr);
}

static void
draw_cb (GtkDrawingArea *area,
         cairo_t        *cr,
         int             width,
         int             height,
         gpointer        user_data)
{
  CtCellDialog *self = user_data;
  double x = MARGIN;
  double bars_y = MARGIN + 20 + PANEL + CAPTION + MARGIN;
  double bars_width = self->perturbed ? (width - 3 * MARGIN) / 2.0 : width - 2 * MARGIN;

  ct_style_apply (GTK_WIDGET (area), cr);
  if (ct_figure_is_dark (cr))
    cairo_set_source_rgb (cr, 0.12, 0.12, 0.12);
  else
    cairo_set_source_rgb (cr, 1, 1, 1);
  cairo_paint (cr);

  if (self->clean != NULL)
    {
      draw_panel (cr, self->clean, &self->style, FALSE, x, _("Original"));
      x += PANEL + MARGIN;
      draw_panel (cr, self->clean, &self->style, TRUE, x, _("Clean"));
      x += PANEL + MARGIN;
      draw_top_k (cr, self->clean, MARGIN, bars_y, bars_width, _("Top 5, clean"));
    }
  else
    {
      cairo_set_source_rgb (cr, 0.4, 0.4, 0.4);
      cairo_set_font_size (cr, 13);
      cairo_move_to (cr, x, MARGIN + 20 + PANEL / 2.0);
      cairo_show_text (cr, _("Computing the clean heatmap…"));
      x += 2 * (PANEL + MARGIN);
    }

  if (self->perturbed)
    {
      draw_panel (cr, self->cell, &self->style, TRUE, x, _("Perturbed"));
      draw_top_k (cr, self->cell, 2 * MARGIN + bars_width, bars_y, bars_width, _("Top 5, perturbed"));
    }
}

static void
clean_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(CtCellDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  CtGrid *clean = ct_engine_compute_grid_finish (CT_ENGINE (source), result, &error);

  if (clean == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_warning ("Could not compute the clean heatmap: %s", error->message);
      return;
    }
  /* The dialog was closed while the engine worked. */
  if (self->cancellable == NULL)
    {
      ct_grid_free (clean);
      return;
    }
  self->clean = clean;
  gtk_widget_queue_draw (self->area);
}

static void
ct_cell_dialog_dispose (GObject *object)
{
  CtCellDialog *self = CT_CELL_DIALOG (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (ct_cell_dialog_parent_class)->dispose (object);
}

static void
ct_cell_dialog_finalize (GObject *object)
{
  CtCellDialog *self = CT_CELL_DIALOG (object);

  g_clear_pointer (&self->cell, ct_grid_free);
  g_clear_pointer (&self->clean, ct_grid_free);

  G_OBJECT_CLASS (ct_cell_dialog_parent_class)->finalize (object);
}

static void
ct_cell_dialog_class_init (CtCellDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ct_cell_dialog_dispose;
  object_class->finalize = ct_cell_dialog_finalize;
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

/* The window's "Compare Methods" for this cell's image: the action is the
 * window's (win.compare-image), not this dialog's. */
static void
compare_clicked_cb (CtCellDialog *self)
{
  GtkWindow *parent = gtk_window_get_transient_for (GTK_WINDOW (self));

  if (parent != NULL && G_IS_ACTION_GROUP (parent) &&
      g_action_group_has_action (G_ACTION_GROUP (parent), "compare-image"))
    g_action_group_activate_action (G_ACTION_GROUP (parent), "compare-image",
                                    g_variant_new_uint32 (self->cell->image_indices[0]));
  gtk_window_destroy (GTK_WINDOW (self));
}

static void
ct_cell_dialog_init (CtCellDialog *self)
{
  GtkWidget *header = gtk_header_bar_new ();

  self->cancellable = g_cancellable_new ();
  self->area = gtk_drawing_area_new ();
  gtk_drawing_area_set_draw_func (GTK_DRAWING_AREA (self->area), draw_cb, self, NULL);
  self->compare_button = gtk_button_new_with_mnemonic (_("C_ompare Methods"));
  gtk_widget_set_tooltip_text (self->compare_button,
                               _("This image with each chosen method side by side, one row per epoch"));
  g_signal_connect_swapped (self->compare_button, "clicked", G_CALLBACK (compare_clicked_cb), self);
  gtk_header_bar_pack_start (GTK_HEADER_BAR (header), self->compare_button);
  gtk_window_set_titlebar (GTK_WINDOW (self), header);
  gtk_window_set_child (GTK_WINDOW (self), self->area);
}

CtCellDialog *
ct_cell_dialog_new (GtkWindow           *parent,
                    CtEngine            *engine,
                    const CtGrid        *grid,
                    guint                row,
                    guint                image,
                    guint                round,
                    const CtFigureStyle *style)
{
  CtCellDialog *self = g_object_new (CT_TYPE_CELL_DIALOG, "transient-for", parent, NULL);
  CtCamRequest request = { 0 };
  g_autofree char *title = NULL;
  int epoch = grid->epochs[row];
  guint index = grid->image_indices[image];
  int width;

  self->cell = ct_grid_dup_cell (grid, row, image, round);
  self->style = *style;
  self->perturbed = grid->perturbation != NULL && !g_str_equal (grid->perturbation, "none");

  /* Translators: test image index, its true class, epoch. */
  title = g_strdup_printf (_("Image %u (%s) at epoch %d"), index,
                           grid->classes[grid->labels[image]], epoch);
  gtk_window_set_title (GTK_WINDOW (self), title);
  width = MARGIN + (self->perturbed ? 3 : 2) * (PANEL + MARGIN);
  gtk_window_set_default_size (GTK_WINDOW (self), width,
                               MARGIN + 20 + PANEL + CAPTION + MARGIN + BARS_HEIGHT + MARGIN);

  request.epochs = &epoch;
  request.n_epochs = 1;
  request.images = &index;
  request.n_images = 1;
  ct_perturb_init (&request.perturb);
  request.rounds = 1;
  request.layer = grid->layer;
  /* The cell's own method (a comparison's column has its own). */
  if (!ct_cam_method_from_string (self->cell->method, &request.method))
    request.method = CT_CAM_METHOD_GRADCAM;
  /* The grid's own rule, a fixed class included. */
  if (!ct_target_rule_parse (grid->target_rule, (const char *const *) grid->classes, grid->n_classes,
                             &request.target_rule, &request.target_class, NULL))
    request.target_rule = CT_TARGET_RULE_PREDICTED;
  /* One image alone: a shared column scale is the per-image one. */
  request.scale = grid->scale == CT_CAM_SCALE_RAW ? CT_CAM_SCALE_RAW : CT_CAM_SCALE_IMAGE;
  ct_engine_compute_grid (engine, &request, self->cancellable, clean_cb, g_object_ref (self));

  return self;
}
