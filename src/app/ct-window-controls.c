/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>
#include <math.h>

#include "ct-spec.h"
#include "ct-window-private.h"

/* The controls beside the grid: bound to the session (what the grid shows)
 * or to the window's settings (how it is drawn, the study's choices), and
 * the typed fields, marked while what they hold is wrong. */

/* Dropdown positions ↔ the string values of choice properties, in model order. */
static const char *const view_values[] = { "perturbed", "clean", NULL };
static const char *const target_values[] = { "predicted", "label", NULL };
static const char *const colormap_values[] = { "jet", "turbo", "viridis", "inferno", NULL };
static const char *const scale_values[] = { "image", "shared", "raw", NULL };
/* In CtRobustnessChart order, as ct_robustness_chart_to_string() names them. */
static const char *const chart_values[] = {
  "accuracy", "confidence-drop", "stability-pearson", "stability-spearman", "stability-iou", NULL
};

/* Choice strings ↔ GtkDropDown:selected. */
static gboolean
choice_to_selected (GBinding     *binding,
                    const GValue *from,
                    GValue       *to,
                    gpointer      user_data)
{
  const char *const *values = user_data;
  const char *name = g_value_get_string (from);

  for (guint i = 0; values[i] != NULL; i++)
    if (g_strcmp0 (values[i], name) == 0)
      {
        g_value_set_uint (to, i);
        return TRUE;
      }
  return FALSE;
}

static gboolean
selected_to_choice (GBinding     *binding,
                    const GValue *from,
                    GValue       *to,
                    gpointer      user_data)
{
  const char *const *values = user_data;
  guint index = g_value_get_uint (from);

  if (index >= g_strv_length ((char **) values))
    return FALSE;
  g_value_set_string (to, values[index]);
  return TRUE;
}

static void
bind_session_choice (CtWindow          *self,
                     const char        *property,
                     GtkDropDown       *dropdown,
                     const char *const *values)
{
  g_object_bind_property_full (self->session, property, dropdown, "selected",
                               G_BINDING_BIDIRECTIONAL | G_BINDING_SYNC_CREATE,
                               choice_to_selected, selected_to_choice, (gpointer) values, NULL);
}

/* Integer properties ↔ GtkAdjustment:value (a double), rounded. */
static gboolean
int_to_double (GBinding     *binding,
               const GValue *from,
               GValue       *to,
               gpointer      user_data)
{
  g_value_set_double (to, g_value_get_int (from));
  return TRUE;
}

static gboolean
double_to_int (GBinding     *binding,
               const GValue *from,
               GValue       *to,
               gpointer      user_data)
{
  g_value_set_int (to, (int) lround (g_value_get_double (from)));
  return TRUE;
}

static void
bind_session_int (CtWindow      *self,
                  const char    *property,
                  GtkAdjustment *adjustment)
{
  g_object_bind_property_full (self->session, property, adjustment, "value",
                               G_BINDING_BIDIRECTIONAL | G_BINDING_SYNC_CREATE,
                               int_to_double, double_to_int, NULL, NULL);
}

static void
bind_session (CtWindow    *self,
              const char  *property,
              gpointer     widget,
              const char  *widget_property)
{
  g_object_bind_property (self->session, property, widget, widget_property,
                          G_BINDING_BIDIRECTIONAL | G_BINDING_SYNC_CREATE);
}

/* Choice keys of the window's own settings ↔ GtkDropDown:selected. */
static gboolean
choice_get_mapping (GValue   *value,
                    GVariant *variant,
                    gpointer  user_data)
{
  const char *const *values = user_data;
  const char *name = g_variant_get_string (variant, NULL);

  for (guint i = 0; values[i] != NULL; i++)
    if (g_str_equal (values[i], name))
      {
        g_value_set_uint (value, i);
        return TRUE;
      }
  return FALSE;
}

static GVariant *
choice_set_mapping (const GValue       *value,
                    const GVariantType *expected_type,
                    gpointer            user_data)
{
  const char *const *values = user_data;
  guint index = g_value_get_uint (value);

  if (index >= g_strv_length ((char **) values))
    return NULL;
  return g_variant_new_string (values[index]);
}

static void
bind_setting_choice (CtWindow          *self,
                     const char        *key,
                     GtkDropDown       *dropdown,
                     const char *const *values)
{
  g_settings_bind_with_mapping (self->settings, key, dropdown, "selected",
                                G_SETTINGS_BIND_DEFAULT,
                                choice_get_mapping, choice_set_mapping,
                                (gpointer) values, NULL);
}

static gboolean
int_get_mapping (GValue   *value,
                 GVariant *variant,
                 gpointer  user_data)
{
  g_value_set_double (value, g_variant_get_int32 (variant));
  return TRUE;
}

static GVariant *
int_set_mapping (const GValue       *value,
                 const GVariantType *expected_type,
                 gpointer            user_data)
{
  return g_variant_new_int32 ((gint32) lround (g_value_get_double (value)));
}

static void
bind_setting_int (CtWindow      *self,
                  const char    *key,
                  GtkAdjustment *adjustment)
{
  g_settings_bind_with_mapping (self->settings, key, adjustment, "value",
                                G_SETTINGS_BIND_DEFAULT,
                                int_get_mapping, int_set_mapping, NULL, NULL);
}

void
ct_window_epochs_entry_activate_cb (CtWindow *self,
                                    GtkEntry *entry)
{
  gtk_widget_activate_action (GTK_WIDGET (self), "win.set-epochs", "s",
                              gtk_editable_get_text (GTK_EDITABLE (entry)));
}

void
ct_window_images_entry_activate_cb (CtWindow *self,
                                    GtkEntry *entry)
{
  gtk_widget_activate_action (GTK_WIDGET (self), "win.set-images", "s",
                              gtk_editable_get_text (GTK_EDITABLE (entry)));
}

/* A field marked wrong is cleared as soon as what it holds reads right. */
static void
entry_changed_cb (CtWindow *self,
                  GtkEntry *entry)
{
  const CtRunInfo *run = ct_session_get_run (self->session);
  const char *text = gtk_editable_get_text (GTK_EDITABLE (entry));
  g_autoptr(GArray) parsed = NULL;

  if (!gtk_widget_has_css_class (GTK_WIDGET (entry), "error"))
    return;
  if (entry == self->robustness_perturbations_entry)
    parsed = ct_robustness_parse_perturbations (text, NULL);
  else if (run == NULL)
    return;
  else if (entry == self->epochs_entry)
    {
      if (ct_session_check_epochs_text (self->session, text, NULL))
        ct_window_set_entry_error (self, entry, NULL);
      return;
    }
  else if (entry == self->images_entry)
    parsed = ct_images_parse (text, run->n_test, NULL);
  if (parsed != NULL)
    ct_window_set_entry_error (self, entry, NULL);
}

static void
session_epochs_text_cb (CtWindow   *self,
                        GParamSpec *pspec,
                        CtSession  *session)
{
  gtk_editable_set_text (GTK_EDITABLE (self->epochs_entry), ct_session_get_epochs_text (session));
}

static void
session_images_text_cb (CtWindow   *self,
                        GParamSpec *pspec,
                        CtSession  *session)
{
  g_autofree char *text = ct_session_dup_images_text (session);

  gtk_editable_set_text (GTK_EDITABLE (self->images_entry), text);
}

/* The layer dropdown lists "Default (name, h×w)" then every layer. */
static void
fill_layers (CtWindow *self)
{
  const CtManifest *manifest = ct_session_get_run (self->session)->manifest;
  g_autofree char *current = NULL;
  guint selected = 0;

  g_object_get (self->session, "layer", &current, NULL);
  self->updating = TRUE;
  gtk_string_list_splice (self->layer_names, 0,
                          g_list_model_get_n_items (G_LIST_MODEL (self->layer_names)), NULL);
  for (guint i = 0; i < manifest->n_layers; i++)
    if (g_strcmp0 (manifest->layers[i].name, manifest->default_layer) == 0)
      {
        g_autofree char *label = g_strdup_printf (_("Default (%s, %d×%d)"), manifest->layers[i].name,
                                                  manifest->layers[i].height, manifest->layers[i].width);
        gtk_string_list_append (self->layer_names, label);
      }
  if (g_list_model_get_n_items (G_LIST_MODEL (self->layer_names)) == 0)
    gtk_string_list_append (self->layer_names, _("Default"));
  for (guint i = 0; i < manifest->n_layers; i++)
    {
      g_autofree char *label = g_strdup_printf ("%s (%d×%d)", manifest->layers[i].name,
                                                manifest->layers[i].height, manifest->layers[i].width);

      gtk_string_list_append (self->layer_names, label);
      if (g_strcmp0 (manifest->layers[i].name, current) == 0)
        selected = i + 1;
    }
  gtk_drop_down_set_selected (self->layer_dropdown, selected);
  self->updating = FALSE;

  /* A layer saved for another architecture means the default here. */
  if (selected == 0 && *current != '\0')
    g_object_set (self->session, "layer", "", NULL);
}

static void
layer_selected_cb (CtWindow    *self,
                   GParamSpec  *pspec,
                   GtkDropDown *dropdown)
{
  const CtRunInfo *run = ct_session_get_run (self->session);
  guint selected = gtk_drop_down_get_selected (dropdown);
  const CtManifest *manifest;

  if (self->updating || run == NULL || selected == GTK_INVALID_LIST_POSITION)
    return;
  manifest = run->manifest;
  g_object_set (self->session, "layer",
                selected == 0 || selected > manifest->n_layers
                ? "" : manifest->layers[selected - 1].name, NULL);
}

static void
fill_classes (CtWindow *self)
{
  const CtRunInfo *run = ct_session_get_run (self->session);

  gtk_string_list_splice (self->class_names, 0,
                          g_list_model_get_n_items (G_LIST_MODEL (self->class_names)),
                          (const char *const *) run->manifest->classes);
}

void
ct_window_fill_run_controls (CtWindow *self)
{
  const CtRunInfo *run = ct_session_get_run (self->session);
  const CtManifest *manifest = run->manifest;

  fill_layers (self);
  fill_classes (self);
  gtk_adjustment_set_upper (self->occlude_adjustment, (double) manifest->image_size * manifest->image_size);
  gtk_adjustment_set_upper (gtk_spin_button_get_adjustment (self->misclassified_spin),
                            g_array_index (run->epochs, int, run->epochs->len - 1));
}

void
ct_window_bind_controls (CtWindow *self)
{
  /* The controls of what the grid shows are the session's views. */
  bind_session (self, "noise-sigma", self->noise_adjustment, "value");
  bind_session (self, "rotation", self->rotation_adjustment, "value");
  bind_session (self, "rotation-random", self->rotation_random_check, "active");
  bind_session_int (self, "occlude-pixels", self->occlude_adjustment);
  bind_session_int (self, "occlude-patch", gtk_spin_button_get_adjustment (self->patch_spin));
  bind_session_int (self, "rounds", gtk_spin_button_get_adjustment (self->rounds_spin));
  bind_session_int (self, "seed", gtk_spin_button_get_adjustment (self->seed_spin));
  bind_session_choice (self, "view-mode", self->view_dropdown, view_values);
  bind_session_choice (self, "target-rule", self->target_dropdown, target_values);
  bind_session_choice (self, "normalisation", self->scale_dropdown, scale_values);
  /* How it is drawn, and the study's choices, are the window's settings. */
  g_settings_bind (self->settings, "overlay-opacity", self->opacity_adjustment, "value",
                   G_SETTINGS_BIND_DEFAULT);
  bind_setting_choice (self, "colormap", self->colormap_dropdown, colormap_values);
  g_settings_bind (self->settings, "robustness-perturbations", self->robustness_perturbations_entry,
                   "text", G_SETTINGS_BIND_DEFAULT);
  bind_setting_int (self, "robustness-images", gtk_spin_button_get_adjustment (self->robustness_images_spin));
  bind_setting_choice (self, "robustness-chart", self->robustness_chart_dropdown, chart_values);

  g_signal_connect_swapped (self->session, "notify::epochs-text", G_CALLBACK (session_epochs_text_cb), self);
  g_signal_connect_swapped (self->session, "notify::images-text", G_CALLBACK (session_images_text_cb), self);
  g_signal_connect_swapped (self->layer_dropdown, "notify::selected", G_CALLBACK (layer_selected_cb), self);
  g_signal_connect_swapped (self->epochs_entry, "changed", G_CALLBACK (entry_changed_cb), self);
  g_signal_connect_swapped (self->images_entry, "changed", G_CALLBACK (entry_changed_cb), self);
  g_signal_connect_swapped (self->robustness_perturbations_entry, "changed",
                            G_CALLBACK (entry_changed_cb), self);
  gtk_editable_set_text (GTK_EDITABLE (self->epochs_entry), ct_session_get_epochs_text (self->session));
}
