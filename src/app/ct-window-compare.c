/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "ct-window-private.h"

/* The CAM method of the grid, and the Compare Methods view: the same grid
 * (rows are epochs, the same perturbation controls) with one column per
 * chosen method for the image the keyboard is on, computed by the engine
 * as one request and drawn by the one figure renderer, so Export writes
 * what is on screen. */

/* Method names in CtCamMethod order: the dropdown's positions. */
static const char *method_values[CT_CAM_N_METHODS + 1];

/* Score-CAM's and Ablation-CAM's forward passes of the running grid,
 * written by the engine's threads and read by the window's poll.  The
 * window owns it and frees it after the engine has joined its threads. */
struct _CtCamPassCount
{
  int epoch;     /* atomic */
  int done;      /* atomic */
  int total;     /* atomic, 0: none counted yet */
};

/* How often the status line shows the passes: a Score-CAM row of a small
 * run takes seconds. */
#define PASSES_POLL_MS 250

static void
passes_cb (int      epoch,
           gsize    done,
           gsize    total,
           gpointer user_data)
{
  CtCamPassCount *passes = user_data;

  g_atomic_int_set (&passes->epoch, epoch);
  g_atomic_int_set (&passes->done, (int) MIN (done, G_MAXINT));
  g_atomic_int_set (&passes->total, (int) MIN (total, G_MAXINT));
}

char *
ct_window_dup_passes_note (CtWindow *self)
{
  int total = self->passes != NULL ? g_atomic_int_get (&self->passes->total) : 0;

  if (self->passes_source == 0 || total == 0)
    return NULL;
  /* Translators: percent of the forward passes, and the epoch of the row. */
  return g_strdup_printf (_("forward passes %d%% of epoch %d"),
                          (int) (100.0 * g_atomic_int_get (&self->passes->done) / total),
                          g_atomic_int_get (&self->passes->epoch));
}

static gboolean
poll_passes_cb (gpointer user_data)
{
  CtWindow *self = user_data;

  if (!self->busy)
    {
      self->passes_source = 0;
      ct_window_update_status (self);
      return G_SOURCE_REMOVE;
    }
  ct_window_update_status (self);
  return G_SOURCE_CONTINUE;
}

static gboolean
runs_passes (CtCamMethod method)
{
  return ct_cam_method_get_info (method)->passes != CT_CAM_PASSES_NONE;
}

void
ct_window_watch_passes (CtWindow     *self,
                        CtCamRequest *request)
{
  gboolean slow = request->n_methods == 0 && runs_passes (request->method);

  for (guint m = 0; m < request->n_methods; m++)
    slow |= runs_passes (request->methods[m]);
  g_atomic_int_set (&self->passes->total, 0);
  if (!slow)
    return;
  request->progress = passes_cb;
  request->progress_data = self->passes;
  if (self->passes_source == 0)
    self->passes_source = g_timeout_add (PASSES_POLL_MS, poll_passes_cb, self);
}

char *
ct_window_dup_methods_note (CtWindow *self)
{
  CtGrid *grid = ct_grid_view_get_grid (self->grid_view);
  g_autofree char *name = NULL;
  CtCamMethod method;

  if (grid != NULL && grid->column_methods != NULL)
    /* Translators: the test image whose heatmaps the methods' columns show. */
    return g_strdup_printf (_("methods compared for image %u"), grid->image_indices[0]);
  if (grid != NULL)
    name = g_strdup (grid->method);
  else
    g_object_get (self->session, "method", &name, NULL);
  if (!ct_cam_method_from_string (name, &method))
    method = CT_CAM_METHOD_GRADCAM;
  return g_strdup (_(ct_cam_method_get_info (method)->title));
}

/* The method dropdown ---------------------------------------------------- */

static gboolean
method_to_selected (GBinding     *binding,
                    const GValue *from,
                    GValue       *to,
                    gpointer      user_data)
{
  CtCamMethod method;

  if (!ct_cam_method_from_string (g_value_get_string (from), &method))
    return FALSE;
  g_value_set_uint (to, method);
  return TRUE;
}

static gboolean
selected_to_method (GBinding     *binding,
                    const GValue *from,
                    GValue       *to,
                    gpointer      user_data)
{
  guint selected = g_value_get_uint (from);

  if (selected >= CT_CAM_N_METHODS)
    return FALSE;
  g_value_set_string (to, method_values[selected]);
  return TRUE;
}

/* The compare popover ------------------------------------------------------ */

/* The checked methods, in the table's order, become the setting. */
static void
compare_check_toggled_cb (CtWindow       *self,
                          GtkCheckButton *check)
{
  g_autoptr(GStrvBuilder) builder = NULL;
  g_auto(GStrv) names = NULL;

  if (self->updating)
    return;
  builder = g_strv_builder_new ();
  for (guint m = 0; m < CT_CAM_N_METHODS; m++)
    if (gtk_check_button_get_active (self->compare_checks[m]))
      g_strv_builder_add (builder, method_values[m]);
  names = g_strv_builder_end (builder);
  g_object_set (self->session, "compare-methods", names, NULL);
}

static void
session_compare_methods_cb (CtWindow   *self,
                            GParamSpec *pspec,
                            CtSession  *session)
{
  g_auto(GStrv) names = NULL;

  g_object_get (session, "compare-methods", &names, NULL);
  self->updating = TRUE;
  for (guint m = 0; m < CT_CAM_N_METHODS; m++)
    gtk_check_button_set_active (self->compare_checks[m],
                                 names != NULL && g_strv_contains ((const char *const *) names,
                                                                   method_values[m]));
  self->updating = FALSE;
}

static GtkWidget *
build_compare_popover (CtWindow *self)
{
  GtkWidget *popover = gtk_popover_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  GtkWidget *heading = gtk_label_new (_("Methods to Compare"));

  gtk_widget_add_css_class (heading, "heading");
  gtk_label_set_xalign (GTK_LABEL (heading), 0);
  gtk_box_append (GTK_BOX (box), heading);
  for (guint m = 0; m < CT_CAM_N_METHODS; m++)
    {
      const CtCamMethodInfo *info = ct_cam_method_get_info (m);
      GtkWidget *check = gtk_check_button_new_with_label (_(info->title));

      /* Found by tests and by scripts/screenshot under the name the CLI uses. */
      gtk_widget_set_name (check, info->name);
      if (info->passes != CT_CAM_PASSES_NONE)
        gtk_widget_set_tooltip_text (check, _("A forward pass per channel: slow"));
      self->compare_checks[m] = GTK_CHECK_BUTTON (check);
      g_signal_connect_swapped (check, "toggled", G_CALLBACK (compare_check_toggled_cb), self);
      gtk_box_append (GTK_BOX (box), check);
    }
  gtk_popover_set_child (GTK_POPOVER (popover), box);
  return popover;
}

/* The action ---------------------------------------------------------------- */

/* The test image of the cell the keyboard is on (a click sets it too). */
static gboolean
focused_image (CtWindow *self,
               guint    *out_index)
{
  CtGrid *grid = ct_grid_view_get_grid (self->grid_view);
  guint row, image, round;

  if (grid == NULL || !ct_grid_view_get_focus_cell (self->grid_view, &row, &image, &round))
    return FALSE;
  *out_index = grid->image_indices[image];
  return TRUE;
}

static void
compare_change_state_cb (GSimpleAction *action,
                         GVariant      *value,
                         gpointer       user_data)
{
  CtWindow *self = user_data;
  guint image;

  if (!g_variant_get_boolean (value))
    ct_session_stop_comparing (self->session);
  else if (focused_image (self, &image))
    ct_session_compare_methods (self->session, &image, 1);
  /* The state follows the session (session_comparing_cb). */
}

static void
compare_activate_cb (GSimpleAction *action,
                     GVariant      *parameter,
                     gpointer       user_data)
{
  g_autoptr(GVariant) state = g_action_get_state (G_ACTION (action));

  g_action_change_state (G_ACTION (action),
                         g_variant_new_boolean (!g_variant_get_boolean (state)));
}

/* win.compare-image(u): compares test image @u (a cell dialog's button). */
static void
compare_image_activate_cb (GSimpleAction *action,
                           GVariant      *parameter,
                           gpointer       user_data)
{
  CtWindow *self = user_data;
  const CtRunInfo *run = ct_session_get_run (self->session);
  guint image = g_variant_get_uint32 (parameter);

  if (run == NULL || image >= run->n_test)
    {
      ct_window_show_error (self, _("Cannot compare methods for image %u: the test split has %u images"),
                            image, run != NULL ? run->n_test : 0);
      return;
    }
  ct_session_compare_methods (self->session, &image, 1);
}

static void
session_comparing_cb (CtWindow   *self,
                      GParamSpec *pspec,
                      CtSession  *session)
{
  GAction *action = g_action_map_lookup_action (G_ACTION_MAP (self), "compare-methods");
  gboolean comparing;

  g_object_get (session, "comparing", &comparing, NULL);
  g_simple_action_set_state (G_SIMPLE_ACTION (action), g_variant_new_boolean (comparing));
}

static void
session_run_cb (CtWindow   *self,
                GParamSpec *pspec,
                CtSession  *session)
{
  gboolean has_run = ct_session_get_run (session) != NULL;

  g_simple_action_set_enabled (G_SIMPLE_ACTION (g_action_map_lookup_action (G_ACTION_MAP (self),
                                                                            "compare-methods")),
                               has_run);
  g_simple_action_set_enabled (G_SIMPLE_ACTION (g_action_map_lookup_action (G_ACTION_MAP (self),
                                                                            "compare-image")),
                               has_run);
}

void
ct_window_init_compare (CtWindow *self)
{
  const GActionEntry entries[] = {
    { "compare-methods", compare_activate_cb, NULL, "false", compare_change_state_cb, { 0 } },
    { "compare-image", compare_image_activate_cb, "u", NULL, NULL, { 0 } },
  };

  self->passes = g_new0 (CtCamPassCount, 1);
  for (guint m = 0; m < CT_CAM_N_METHODS; m++)
    {
      method_values[m] = ct_cam_method_to_string (m);
      gtk_string_list_append (self->method_names, _(ct_cam_method_get_info (m)->title));
    }
  g_object_bind_property_full (self->session, "method", self->method_dropdown, "selected",
                               G_BINDING_BIDIRECTIONAL | G_BINDING_SYNC_CREATE,
                               method_to_selected, selected_to_method, NULL, NULL);

  gtk_menu_button_set_popover (self->compare_menu_button, build_compare_popover (self));
  session_compare_methods_cb (self, NULL, self->session);

  g_action_map_add_action_entries (G_ACTION_MAP (self), entries, G_N_ELEMENTS (entries), self);
  session_run_cb (self, NULL, self->session);
  g_signal_connect_swapped (self->session, "notify::compare-methods",
                            G_CALLBACK (session_compare_methods_cb), self);
  g_signal_connect_swapped (self->session, "notify::comparing", G_CALLBACK (session_comparing_cb), self);
  g_signal_connect_swapped (self->session, "notify::run-dir", G_CALLBACK (session_run_cb), self);
}

void
ct_window_finalize_compare (CtWindow *self)
{
  /* The engine has joined its threads (dispose): nobody writes it any more. */
  g_clear_handle_id (&self->passes_source, g_source_remove);
  g_clear_pointer (&self->passes, g_free);
}
