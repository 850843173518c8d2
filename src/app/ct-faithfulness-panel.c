/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "ct-faithfulness-panel.h"

#include <glib/gi18n.h>
#include <math.h>

#include "ct-cam-method.h"
#include "ct-style.h"

struct _CtFaithfulnessPanel
{
  GtkBox          parent_instance;

  CtEngine       *engine;
  CtSession      *session;
  GSettings      *settings;
  CtFaithfulness *result;          /* (nullable) the study shown */
  CtSanity       *sanity;          /* (nullable) the sanity check of that study */
  char           *run_dir;         /* (nullable) the run of the study under way */
  gboolean        with_sanity;     /* the study under way goes on to a sanity check */
  guint           chart;           /* a CtFaithfulnessChart, or N_CHARTS + a CtSanityChart */

  GtkDropDown    *method_dropdown;
  GtkSpinButton  *images_spin;
  GtkDropDown    *baseline_dropdown;
  GtkDropDown    *chart_dropdown;
  GtkCheckButton *sanity_check;
  GtkButton      *button;
  GtkProgressBar *progress;
  GtkWidget      *area;
  GtkLabel       *sanity_label;    /* the shown sanity chart's numbers */
};

G_DEFINE_FINAL_TYPE (CtFaithfulnessPanel, ct_faithfulness_panel, GTK_TYPE_BOX)

enum {
  PROP_0,
  PROP_COMPUTING,
  N_PROPS
};

enum {
  SIGNAL_ERROR,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static const char * const chart_titles[] = {
  [CT_FAITHFULNESS_CHART_DELETION] = N_("Deletion AUC"),
  [CT_FAITHFULNESS_CHART_INSERTION] = N_("Insertion AUC"),
  [CT_FAITHFULNESS_CHART_ROAD] = N_("ROAD"),
  [CT_FAITHFULNESS_CHART_AVERAGE_DROP] = N_("Average Drop"),
  [CT_FAITHFULNESS_CHART_INCREASE] = N_("Increase in Confidence"),
};
G_STATIC_ASSERT (G_N_ELEMENTS (chart_titles) == CT_FAITHFULNESS_N_CHARTS);

/* The sanity check's charts follow the faithfulness ones in the drop-down. */
static const char * const sanity_chart_titles[] = {
  [CT_SANITY_CHART_EPOCH0] = N_("Sanity: each epoch against epoch 0"),
  [CT_SANITY_CHART_CASCADE] = N_("Sanity: randomised from the output down"),
};
G_STATIC_ASSERT (G_N_ELEMENTS (sanity_chart_titles) == CT_SANITY_N_CHARTS);

#define N_CHARTS (CT_FAITHFULNESS_N_CHARTS + CT_SANITY_N_CHARTS)

/* The stem of chart @chart of the drop-down (its GSettings choice). */
static const char *
chart_to_string (guint chart)
{
  if (chart < CT_FAITHFULNESS_N_CHARTS)
    return ct_faithfulness_chart_to_string (chart);
  return ct_sanity_chart_to_string (chart - CT_FAITHFULNESS_N_CHARTS);
}

/* What deletion removes pixels to and insertion starts from, in the order
 * of CtBaseline (its names are the GSettings key's choices). */
static const char * const baseline_titles[] = {
  [CT_BASELINE_ZERO] = N_("Black"),
  [CT_BASELINE_MEAN] = N_("Dataset mean"),
  [CT_BASELINE_BLUR] = N_("Blurred image"),
};

static void
draw_chart_cb (GtkDrawingArea *area,
               cairo_t        *cr,
               int             width,
               int             height,
               gpointer        user_data)
{
  CtFaithfulnessPanel *self = user_data;
  g_autoptr(PangoLayout) layout = NULL;
  int text_height;

  ct_style_apply (GTK_WIDGET (area), cr);
  if (self->chart >= CT_FAITHFULNESS_N_CHARTS && self->sanity != NULL)
    {
      ct_sanity_chart_draw (cr, width, height, self->sanity,
                            self->chart - CT_FAITHFULNESS_N_CHARTS);
      return;
    }
  if (self->chart < CT_FAITHFULNESS_N_CHARTS && self->result != NULL)
    {
      ct_faithfulness_chart_draw (cr, width, height, self->result, self->chart);
      return;
    }

  /* Until a study is computed, the page says what it is for. */
  layout = gtk_widget_create_pango_layout (GTK_WIDGET (area),
                                           self->chart >= CT_FAITHFULNESS_N_CHARTS
                                           ? _("Turn on the sanity check and compute: each "
                                               "checkpoint's heatmaps are compared with the "
                                               "untrained network's and with those of the trained "
                                               "network randomised from the output down (Spearman, "
                                               "SSIM, top-20% IoU). Maps that stay alike explain "
                                               "the input, not the model.")
                                           : _("Compute how faithful the method's heatmaps are at "
                                               "each checkpoint of the run, beside random heatmaps: "
                                               "deletion and insertion AUC, ROAD, Average Drop and "
                                               "Increase in Confidence."));
  pango_layout_set_width (layout, MAX (width - 48, 1) * PANGO_SCALE);
  pango_layout_set_alignment (layout, PANGO_ALIGN_CENTER);
  pango_layout_get_pixel_size (layout, NULL, &text_height);
  /* A mid grey reads on the light and the dark background alike. */
  cairo_set_source_rgb (cr, 0.5, 0.5, 0.5);
  cairo_move_to (cr, 24, (height - text_height) / 2.0);
  pango_cairo_show_layout (cr, layout);
}

/* GSettings ⇄ drop-downs: a key's string is an item's position. */
static gboolean
method_get_mapping (GValue   *value,
                    GVariant *variant,
                    gpointer  user_data)
{
  CtCamMethod method;

  if (!ct_cam_method_from_string (g_variant_get_string (variant, NULL), &method))
    method = CT_CAM_METHOD_GRADCAM;
  g_value_set_uint (value, method);
  return TRUE;
}

static GVariant *
method_set_mapping (const GValue       *value,
                    const GVariantType *expected_type,
                    gpointer            user_data)
{
  guint selected = g_value_get_uint (value);

  if (selected >= CT_CAM_N_METHODS)
    return NULL;
  return g_variant_new_string (ct_cam_method_to_string (selected));
}

static gboolean
baseline_get_mapping (GValue   *value,
                      GVariant *variant,
                      gpointer  user_data)
{
  CtBaseline baseline;

  if (!ct_baseline_from_string (g_variant_get_string (variant, NULL), &baseline))
    baseline = CT_BASELINE_ZERO;
  g_value_set_uint (value, baseline);
  return TRUE;
}

static GVariant *
baseline_set_mapping (const GValue       *value,
                      const GVariantType *expected_type,
                      gpointer            user_data)
{
  guint selected = g_value_get_uint (value);

  if (selected >= G_N_ELEMENTS (baseline_titles))
    return NULL;
  return g_variant_new_string (ct_baseline_to_string (selected));
}

static gboolean
chart_get_mapping (GValue   *value,
                   GVariant *variant,
                   gpointer  user_data)
{
  const char *name = g_variant_get_string (variant, NULL);

  for (guint i = 0; i < N_CHARTS; i++)
    if (g_str_equal (chart_to_string (i), name))
      {
        g_value_set_uint (value, i);
        return TRUE;
      }
  g_value_set_uint (value, CT_FAITHFULNESS_CHART_DELETION);
  return TRUE;
}

static GVariant *
chart_set_mapping (const GValue       *value,
                   const GVariantType *expected_type,
                   gpointer            user_data)
{
  guint selected = g_value_get_uint (value);

  if (selected >= N_CHARTS)
    return NULL;
  return g_variant_new_string (chart_to_string (selected));
}

/* The spin button's value is a double, the key an int. */
static gboolean
images_get_mapping (GValue   *value,
                    GVariant *variant,
                    gpointer  user_data)
{
  g_value_set_double (value, g_variant_get_int32 (variant));
  return TRUE;
}

static GVariant *
images_set_mapping (const GValue       *value,
                    const GVariantType *expected_type,
                    gpointer            user_data)
{
  return g_variant_new_int32 ((gint32) round (g_value_get_double (value)));
}

/* "+0.123 ± 0.045", or a dash where no image defined the number. */
static char *
dup_interval (double mean,
              double ci95,
              gboolean is_signed)
{
  if (isnan (mean))
    return g_strdup ("—");
  if (isnan (ci95))
    return g_strdup_printf (is_signed ? "%+.3f" : "%.3f", mean);
  return g_strdup_printf (is_signed ? "%+.3f ± %.3f" : "%.3f ± %.3f", mean, ci95);
}

/* The numbers of the sanity chart shown, a line per point, under it. */
static void
update_sanity_label (CtFaithfulnessPanel *self)
{
  g_autoptr(GString) text = g_string_new (NULL);
  gboolean cascade = self->chart == CT_FAITHFULNESS_N_CHARTS + CT_SANITY_CHART_CASCADE;

  if (self->chart < CT_FAITHFULNESS_N_CHARTS || self->sanity == NULL)
    {
      gtk_label_set_text (self->sanity_label, "");
      gtk_widget_set_visible (GTK_WIDGET (self->sanity_label), FALSE);
      return;
    }

  for (guint r = 0; r < self->sanity->rows->len; r++)
    {
      const CtSanityRow *row = &g_array_index (self->sanity->rows, CtSanityRow, r);
      g_autofree char *spearman = NULL, *ssim = NULL, *top_iou = NULL;

      if ((row->n_randomised > 0) != cascade)
        continue;
      spearman = dup_interval (row->spearman, row->spearman_ci95, TRUE);
      ssim = dup_interval (row->ssim, row->ssim_ci95, TRUE);
      top_iou = dup_interval (row->top_iou, row->top_iou_ci95, FALSE);
      if (text->len > 0)
        g_string_append_c (text, '\n');
      if (cascade)
        /* Translators: epoch, the lowest layer group randomised, then
         * Spearman's ρ, SSIM and the top-20% IoU, each "mean ± 95% interval". */
        g_string_append_printf (text, _("Epoch %d randomised down to %s: Spearman %s, SSIM %s, "
                                        "top-20%% IoU %s"),
                                row->epoch, row->against, spearman, ssim, top_iou);
      else
        /* Translators: epoch, then Spearman's ρ, SSIM and the top-20% IoU,
         * each "mean ± 95% interval". */
        g_string_append_printf (text, _("Epoch %d against epoch 0: Spearman %s, SSIM %s, "
                                        "top-20%% IoU %s"),
                                row->epoch, spearman, ssim, top_iou);
    }
  gtk_label_set_text (self->sanity_label, text->str);
  gtk_widget_set_visible (GTK_WIDGET (self->sanity_label), TRUE);
}

static void
chart_selected_cb (CtFaithfulnessPanel *self)
{
  guint selected = gtk_drop_down_get_selected (self->chart_dropdown);

  if (selected < N_CHARTS)
    self->chart = selected;
  update_sanity_label (self);
  gtk_widget_queue_draw (self->area);
}

static void
set_computing (CtFaithfulnessPanel *self,
               const char          *run_dir)
{
  g_free (self->run_dir);
  self->run_dir = g_strdup (run_dir);
  gtk_button_set_label (self->button, run_dir != NULL ? _("Stop") : _("Compute"));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_COMPUTING]);
}

static void
progress_cb (CtEngine                         *engine,
             const CtEngineFaithfulnessStatus *status,
             gpointer                          user_data)
{
  CtFaithfulnessPanel *self = user_data;
  g_autofree char *text = NULL;

  if (status->paused)
    /* Translators: an epoch. */
    text = g_strdup_printf (_("Epoch %d · paused while the grid is computed"), status->epoch);
  else
    /* Translators: epoch, images done, images. */
    text = g_strdup_printf (_("Epoch %d · image %u of %u"), status->epoch, status->done,
                            status->n_images);
  gtk_progress_bar_set_fraction (self->progress, status->fraction);
  gtk_progress_bar_set_text (self->progress, text);
}

/* A job failed or was stopped: says so, and tells why unless stopped. */
static void
show_failure (CtFaithfulnessPanel *self,
              const char          *format,
              const GError        *error)
{
  gtk_progress_bar_set_fraction (self->progress, 0);
  gtk_progress_bar_set_text (self->progress,
                             g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)
                             ? _("Stopped") : _("Failed"));
  if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_autofree char *message = g_strdup_printf (format, error->message);

      g_signal_emit (self, signals[SIGNAL_ERROR], 0, message);
    }
}

static void
show_done (CtFaithfulnessPanel *self)
{
  g_autofree char *text = NULL;

  /* Translators: images, method, layer. */
  text = g_strdup_printf (ngettext ("Done · %u image · %s at layer %s",
                                    "Done · %u images · %s at layer %s", self->result->n_images),
                          self->result->n_images, self->result->method, self->result->layer);
  gtk_progress_bar_set_fraction (self->progress, 1);
  gtk_progress_bar_set_text (self->progress, text);
}

/* Whether the study of @run_dir just ended still belongs to the open run;
 * when not, the page forgets the progress. */
static gboolean
still_open (CtFaithfulnessPanel *self,
            const char          *run_dir)
{
  if (g_strcmp0 (ct_session_get_run_dir (self->session), run_dir) == 0)
    return TRUE;
  gtk_progress_bar_set_fraction (self->progress, 0);
  gtk_progress_bar_set_text (self->progress, "");
  return FALSE;
}

static void
sanity_progress_cb (CtEngine                   *engine,
                    const CtEngineSanityStatus *status,
                    gpointer                    user_data)
{
  CtFaithfulnessPanel *self = user_data;
  g_autofree char *text = NULL;

  if (status->paused)
    text = g_strdup (_("Sanity check · paused while the grid is computed"));
  else
    /* Translators: images done, images. */
    text = g_strdup_printf (_("Sanity check · image %u of %u"), status->done, status->n_images);
  gtk_progress_bar_set_fraction (self->progress, status->fraction);
  gtk_progress_bar_set_text (self->progress, text);
}

static void
sanity_done_cb (CtEngine     *engine,
                CtSanity     *result,
                const GError *error,
                gpointer      user_data)
{
  CtFaithfulnessPanel *self = user_data;
  g_autoptr(CtSanity) owned = result;
  g_autofree char *run_dir = g_strdup (self->run_dir);

  set_computing (self, NULL);
  if (error != NULL)
    {
      show_failure (self, _("Could not compute the sanity check: %s"), error);
      return;
    }
  if (!still_open (self, run_dir) || self->result == NULL)
    return;

  show_done (self);
  g_clear_pointer (&self->sanity, ct_sanity_free);
  self->sanity = g_steal_pointer (&owned);
  update_sanity_label (self);
  gtk_widget_queue_draw (self->area);
}

/* The sanity check of the study just shown, with its method, images,
 * seed and layer, as camtrail-cli faithfulness --sanity runs it. */
static gboolean
start_sanity (CtFaithfulnessPanel  *self,
              const char           *run_dir,
              GError              **error)
{
  const CtRunInfo *run = ct_session_get_run (self->session);
  CtSanityRequest request = { 0 };

  if (!ct_cam_method_from_string (self->result->method, &request.method))
    request.method = CT_CAM_METHOD_GRADCAM;
  request.epochs = (const int *) run->epochs->data;
  request.n_epochs = run->epochs->len;
  request.n_images = self->result->n_images;
  request.seed = self->result->seed;
  request.layer = self->result->layer;
  if (!ct_engine_compute_sanity (self->engine, run_dir, &request, sanity_progress_cb,
                                 sanity_done_cb, self, error))
    return FALSE;
  gtk_progress_bar_set_fraction (self->progress, 0);
  gtk_progress_bar_set_text (self->progress, _("Sanity check · loading the run…"));
  return TRUE;
}

static void
done_cb (CtEngine       *engine,
         CtFaithfulness *result,
         const GError   *error,
         gpointer        user_data)
{
  CtFaithfulnessPanel *self = user_data;
  g_autoptr(CtFaithfulness) owned = result;
  g_autofree char *run_dir = g_strdup (self->run_dir);
  g_autoptr(GError) sanity_error = NULL;

  if (error != NULL)
    {
      set_computing (self, NULL);
      show_failure (self, _("Could not compute the faithfulness study: %s"), error);
      return;
    }

  /* Another run opened meanwhile: the study is of no use to its chart. */
  if (!still_open (self, run_dir))
    {
      set_computing (self, NULL);
      return;
    }

  g_clear_pointer (&self->result, ct_faithfulness_free);
  g_clear_pointer (&self->sanity, ct_sanity_free);
  self->result = g_steal_pointer (&owned);
  update_sanity_label (self);
  gtk_widget_queue_draw (self->area);
  if (self->with_sanity && start_sanity (self, run_dir, &sanity_error))
    return;

  set_computing (self, NULL);
  show_done (self);
  if (sanity_error != NULL)
    show_failure (self, _("Could not compute the sanity check: %s"), sanity_error);
}

/* Every checkpoint of the session's run, with its seed and layer. */
static gboolean
start (CtFaithfulnessPanel  *self,
       GError              **error)
{
  const CtRunInfo *run = ct_session_get_run (self->session);
  g_autofree char *layer = NULL;
  g_autofree char *method = g_settings_get_string (self->settings, "faithfulness-method");
  g_autofree char *baseline = g_settings_get_string (self->settings, "faithfulness-baseline");
  CtFaithfulnessRequest request = { 0 };
  int seed;

  if (run == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "no run is open");
      return FALSE;
    }
  g_object_get (self->session, "layer", &layer, "seed", &seed, NULL);
  if (!ct_cam_method_from_string (method, &request.method))
    request.method = CT_CAM_METHOD_GRADCAM;
  request.epochs = (const int *) run->epochs->data;
  request.n_epochs = run->epochs->len;
  request.n_images = g_settings_get_int (self->settings, "faithfulness-images");
  request.seed = seed;
  request.layer = layer != NULL && *layer != '\0' ? layer : NULL;
  if (!ct_baseline_from_string (baseline, &request.baseline))
    request.baseline = CT_BASELINE_ZERO;
  request.road_noise = 0.01;
  if (!ct_engine_compute_faithfulness (self->engine, run->run_dir, &request, progress_cb, done_cb,
                                       self, error))
    return FALSE;

  self->with_sanity = g_settings_get_boolean (self->settings, "faithfulness-sanity");
  set_computing (self, run->run_dir);
  gtk_progress_bar_set_fraction (self->progress, 0);
  gtk_progress_bar_set_text (self->progress, _("Loading the run…"));
  return TRUE;
}

gboolean
ct_faithfulness_panel_toggle (CtFaithfulnessPanel  *self,
                              GError              **error)
{
  g_return_val_if_fail (CT_IS_FAITHFULNESS_PANEL (self), FALSE);

  if (ct_engine_is_computing_faithfulness (self->engine))
    {
      ct_engine_cancel_faithfulness (self->engine);
      return TRUE;
    }
  if (ct_engine_is_computing_sanity (self->engine))
    {
      ct_engine_cancel_sanity (self->engine);
      return TRUE;
    }
  return start (self, error);
}

gboolean
ct_faithfulness_panel_is_computing (CtFaithfulnessPanel *self)
{
  g_return_val_if_fail (CT_IS_FAITHFULNESS_PANEL (self), FALSE);

  return self->run_dir != NULL;
}

void
ct_faithfulness_panel_forget (CtFaithfulnessPanel *self)
{
  g_return_if_fail (CT_IS_FAITHFULNESS_PANEL (self));

  g_clear_pointer (&self->result, ct_faithfulness_free);
  g_clear_pointer (&self->sanity, ct_sanity_free);
  update_sanity_label (self);
  if (self->run_dir == NULL)
    {
      gtk_progress_bar_set_fraction (self->progress, 0);
      gtk_progress_bar_set_text (self->progress, "");
    }
  gtk_widget_queue_draw (self->area);
}

CtFaithfulness *
ct_faithfulness_panel_get_result (CtFaithfulnessPanel *self)
{
  g_return_val_if_fail (CT_IS_FAITHFULNESS_PANEL (self), NULL);

  return self->result;
}

CtSanity *
ct_faithfulness_panel_get_sanity (CtFaithfulnessPanel *self)
{
  g_return_val_if_fail (CT_IS_FAITHFULNESS_PANEL (self), NULL);

  return self->sanity;
}

CtFaithfulnessChart
ct_faithfulness_panel_get_chart (CtFaithfulnessPanel *self)
{
  g_return_val_if_fail (CT_IS_FAITHFULNESS_PANEL (self), CT_FAITHFULNESS_CHART_DELETION);

  return self->chart < CT_FAITHFULNESS_N_CHARTS ? self->chart : CT_FAITHFULNESS_N_CHARTS;
}

CtSanityChart
ct_faithfulness_panel_get_sanity_chart (CtFaithfulnessPanel *self)
{
  g_return_val_if_fail (CT_IS_FAITHFULNESS_PANEL (self), CT_SANITY_N_CHARTS);

  return self->chart >= CT_FAITHFULNESS_N_CHARTS ? self->chart - CT_FAITHFULNESS_N_CHARTS
                                                 : CT_SANITY_N_CHARTS;
}

GtkLabel *
ct_faithfulness_panel_get_sanity_label (CtFaithfulnessPanel *self)
{
  g_return_val_if_fail (CT_IS_FAITHFULNESS_PANEL (self), NULL);

  return self->sanity_label;
}

GtkWidget *
ct_faithfulness_panel_get_chart_area (CtFaithfulnessPanel *self)
{
  g_return_val_if_fail (CT_IS_FAITHFULNESS_PANEL (self), NULL);

  return self->area;
}

static GtkWidget *
labelled (GtkWidget  *box,
          const char *mnemonic,
          GtkWidget  *widget)
{
  GtkWidget *label = gtk_label_new_with_mnemonic (mnemonic);

  gtk_label_set_mnemonic_widget (GTK_LABEL (label), widget);
  gtk_box_append (GTK_BOX (box), label);
  gtk_box_append (GTK_BOX (box), widget);
  return widget;
}

static void
build_controls (CtFaithfulnessPanel *self)
{
  /* What to compute, then what to show and how far it is: in one row the
   * controls outgrow a window beside the sidebar. */
  GtkWidget *row = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *show_row = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  g_autoptr(GtkStringList) methods = gtk_string_list_new (NULL);
  g_autoptr(GtkStringList) charts = gtk_string_list_new (NULL);
  g_autoptr(GtkStringList) baselines = gtk_string_list_new (NULL);

  for (guint m = 0; m < CT_CAM_N_METHODS; m++)
    gtk_string_list_append (methods, ct_cam_method_get_info (m)->title);
  for (guint c = 0; c < CT_FAITHFULNESS_N_CHARTS; c++)
    gtk_string_list_append (charts, _(chart_titles[c]));
  for (guint c = 0; c < CT_SANITY_N_CHARTS; c++)
    gtk_string_list_append (charts, _(sanity_chart_titles[c]));
  for (guint b = 0; b < G_N_ELEMENTS (baseline_titles); b++)
    gtk_string_list_append (baselines, _(baseline_titles[b]));

  gtk_widget_set_margin_start (row, 6);
  gtk_widget_set_margin_end (row, 6);
  gtk_widget_set_margin_start (show_row, 6);
  gtk_widget_set_margin_end (show_row, 6);
  self->method_dropdown = GTK_DROP_DOWN (labelled (row, _("_Method"),
                                                   gtk_drop_down_new (G_LIST_MODEL (g_object_ref (methods)), NULL)));
  self->images_spin = GTK_SPIN_BUTTON (labelled (row, _("_Images"),
                                                 gtk_spin_button_new_with_range (1, 10000, 10)));
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->images_spin),
                               _("Test images drawn with the seed, the same at every checkpoint"));
  self->baseline_dropdown = GTK_DROP_DOWN (labelled (row, _("_Baseline"),
                                                     gtk_drop_down_new (G_LIST_MODEL (g_object_ref (baselines)), NULL)));
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->baseline_dropdown),
                               _("What deletion turns pixels into and insertion starts from"));
  self->sanity_check = GTK_CHECK_BUTTON (gtk_check_button_new_with_mnemonic (_("Sanit_y check")));
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->sanity_check),
                               _("After the scores, compare each checkpoint's heatmaps with the "
                                 "untrained network's and with the trained network randomised "
                                 "from the output down (Adebayo et al.)"));
  gtk_box_append (GTK_BOX (row), GTK_WIDGET (self->sanity_check));
  self->button = GTK_BUTTON (gtk_button_new_with_label (_("Compute")));
  gtk_actionable_set_action_name (GTK_ACTIONABLE (self->button), "win.compute-faithfulness");
  gtk_box_append (GTK_BOX (row), GTK_WIDGET (self->button));
  gtk_box_append (GTK_BOX (self), row);

  self->chart_dropdown = GTK_DROP_DOWN (labelled (show_row, _("C_hart"),
                                                  gtk_drop_down_new (G_LIST_MODEL (g_object_ref (charts)), NULL)));
  self->progress = GTK_PROGRESS_BAR (gtk_progress_bar_new ());
  gtk_progress_bar_set_show_text (self->progress, TRUE);
  gtk_progress_bar_set_text (self->progress, "");
  gtk_widget_set_hexpand (GTK_WIDGET (self->progress), TRUE);
  gtk_widget_set_valign (GTK_WIDGET (self->progress), GTK_ALIGN_CENTER);
  gtk_box_append (GTK_BOX (show_row), GTK_WIDGET (self->progress));
  gtk_box_append (GTK_BOX (self), show_row);

  self->area = gtk_drawing_area_new ();
  gtk_widget_set_vexpand (self->area, TRUE);
  gtk_widget_set_size_request (self->area, -1, 120);
  gtk_drawing_area_set_draw_func (GTK_DRAWING_AREA (self->area), draw_chart_cb, self, NULL);
  gtk_box_append (GTK_BOX (self), self->area);

  /* Selectable, so that the keyboard reaches the numbers and they copy. */
  self->sanity_label = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_selectable (self->sanity_label, TRUE);
  gtk_label_set_xalign (self->sanity_label, 0);
  gtk_label_set_wrap (self->sanity_label, TRUE);
  gtk_widget_add_css_class (GTK_WIDGET (self->sanity_label), "numeric");
  gtk_widget_set_margin_start (GTK_WIDGET (self->sanity_label), 12);
  gtk_widget_set_margin_end (GTK_WIDGET (self->sanity_label), 12);
  gtk_widget_set_margin_bottom (GTK_WIDGET (self->sanity_label), 6);
  gtk_widget_set_visible (GTK_WIDGET (self->sanity_label), FALSE);
  gtk_box_append (GTK_BOX (self), GTK_WIDGET (self->sanity_label));
}

static void
ct_faithfulness_panel_dispose (GObject *object)
{
  CtFaithfulnessPanel *self = CT_FAITHFULNESS_PANEL (object);

  /* The engine calls back with self: its study must not outlive us. */
  if (self->engine != NULL && self->run_dir != NULL)
    {
      ct_engine_cancel_faithfulness (self->engine);
      ct_engine_cancel_sanity (self->engine);
    }
  g_clear_object (&self->engine);
  g_clear_object (&self->session);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (ct_faithfulness_panel_parent_class)->dispose (object);
}

static void
ct_faithfulness_panel_finalize (GObject *object)
{
  CtFaithfulnessPanel *self = CT_FAITHFULNESS_PANEL (object);

  g_clear_pointer (&self->result, ct_faithfulness_free);
  g_clear_pointer (&self->sanity, ct_sanity_free);
  g_free (self->run_dir);

  G_OBJECT_CLASS (ct_faithfulness_panel_parent_class)->finalize (object);
}

static void
ct_faithfulness_panel_get_property (GObject    *object,
                                    guint       prop_id,
                                    GValue     *value,
                                    GParamSpec *pspec)
{
  CtFaithfulnessPanel *self = CT_FAITHFULNESS_PANEL (object);

  switch (prop_id)
    {
    case PROP_COMPUTING:
      g_value_set_boolean (value, self->run_dir != NULL);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ct_faithfulness_panel_class_init (CtFaithfulnessPanelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = ct_faithfulness_panel_dispose;
  object_class->finalize = ct_faithfulness_panel_finalize;
  object_class->get_property = ct_faithfulness_panel_get_property;

  properties[PROP_COMPUTING] = g_param_spec_boolean ("computing", NULL, NULL, FALSE,
                                                     G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* A study failed; the argument is a sentence for the user. */
  signals[SIGNAL_ERROR] = g_signal_new ("error", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                        NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
ct_faithfulness_panel_init (CtFaithfulnessPanel *self)
{
  gtk_orientable_set_orientation (GTK_ORIENTABLE (self), GTK_ORIENTATION_VERTICAL);
  gtk_box_set_spacing (GTK_BOX (self), 6);
  build_controls (self);
}

GtkWidget *
ct_faithfulness_panel_new (CtEngine  *engine,
                           CtSession *session,
                           GSettings *settings)
{
  CtFaithfulnessPanel *self;

  g_return_val_if_fail (CT_IS_ENGINE (engine), NULL);
  g_return_val_if_fail (CT_IS_SESSION (session), NULL);
  g_return_val_if_fail (G_IS_SETTINGS (settings), NULL);

  self = g_object_new (CT_TYPE_FAITHFULNESS_PANEL, NULL);
  self->engine = g_object_ref (engine);
  self->session = g_object_ref (session);
  self->settings = g_object_ref (settings);
  g_settings_bind_with_mapping (settings, "faithfulness-method", self->method_dropdown, "selected",
                                G_SETTINGS_BIND_DEFAULT, method_get_mapping, method_set_mapping,
                                NULL, NULL);
  g_settings_bind_with_mapping (settings, "faithfulness-images", self->images_spin, "value",
                                G_SETTINGS_BIND_DEFAULT, images_get_mapping, images_set_mapping,
                                NULL, NULL);
  g_settings_bind_with_mapping (settings, "faithfulness-baseline", self->baseline_dropdown, "selected",
                                G_SETTINGS_BIND_DEFAULT, baseline_get_mapping, baseline_set_mapping,
                                NULL, NULL);
  g_settings_bind_with_mapping (settings, "faithfulness-chart", self->chart_dropdown, "selected",
                                G_SETTINGS_BIND_DEFAULT, chart_get_mapping, chart_set_mapping,
                                NULL, NULL);
  g_settings_bind (settings, "faithfulness-sanity", self->sanity_check, "active",
                   G_SETTINGS_BIND_DEFAULT);
  g_signal_connect_swapped (self->chart_dropdown, "notify::selected",
                            G_CALLBACK (chart_selected_cb), self);
  chart_selected_cb (self);
  return GTK_WIDGET (self);
}
