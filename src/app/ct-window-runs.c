/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "ct-window-private.h"

/* The runs: those listed in the header bar, and opening one, which becomes
 * the session's run once the engine has read it. */

void
ct_window_refresh_run_list (CtWindow   *self,
                            const char *select_dir)
{
  g_autofree char *runs_dir = ct_application_dup_runs_dir ();
  g_autoptr(GDir) dir = g_dir_open (runs_dir, 0, NULL);
  g_autoptr(GPtrArray) dirs = g_ptr_array_new_with_free_func (g_free);
  const char *name;
  guint selected = GTK_INVALID_LIST_POSITION;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (runs_dir, name, NULL);
      g_autofree char *manifest = g_build_filename (path, "manifest.json", NULL);

      if (g_file_test (manifest, G_FILE_TEST_IS_REGULAR))
        g_ptr_array_add (dirs, g_steal_pointer (&path));
    }
  /* Folders opened from elsewhere stay in the list. */
  for (guint i = 0; i < self->run_dirs->len; i++)
    if (!g_ptr_array_find_with_equal_func (dirs, self->run_dirs->pdata[i], g_str_equal, NULL))
      g_ptr_array_add (dirs, g_strdup (self->run_dirs->pdata[i]));
  if (select_dir != NULL && !g_ptr_array_find_with_equal_func (dirs, select_dir, g_str_equal, NULL))
    g_ptr_array_add (dirs, g_strdup (select_dir));
  g_ptr_array_sort (dirs, (GCompareFunc) g_strcmp0);

  self->updating = TRUE;
  g_ptr_array_set_size (self->run_dirs, 0);
  gtk_string_list_splice (self->run_names, 0,
                          g_list_model_get_n_items (G_LIST_MODEL (self->run_names)), NULL);
  for (guint i = 0; i < dirs->len; i++)
    {
      g_autofree char *base = g_path_get_basename (dirs->pdata[i]);

      g_ptr_array_add (self->run_dirs, g_strdup (dirs->pdata[i]));
      gtk_string_list_append (self->run_names, base);
      if (g_strcmp0 (dirs->pdata[i], select_dir) == 0)
        selected = i;
    }
  gtk_drop_down_set_selected (self->run_dropdown, selected);
  gtk_widget_set_visible (GTK_WIDGET (self->run_dropdown), dirs->len > 0);
  self->updating = FALSE;
}

static void
run_selected_cb (CtWindow    *self,
                 GParamSpec  *pspec,
                 GtkDropDown *dropdown)
{
  guint selected = gtk_drop_down_get_selected (dropdown);

  if (self->updating || selected == GTK_INVALID_LIST_POSITION || selected >= self->run_dirs->len)
    return;
  if (g_strcmp0 (ct_session_get_run_dir (self->session), self->run_dirs->pdata[selected]) == 0)
    return;
  ct_window_open_run_dir (self, self->run_dirs->pdata[selected]);
}

static void
show_run (CtWindow  *self,
          CtRunInfo *run)
{
  const CtRunInfo *opened;

  ct_chart_view_set_metrics (self->chart_view, run->metrics);
  /* The same run reloaded keeps its grid, rows and columns. */
  if (!ct_session_set_run (self->session, run, gtk_spin_button_get_value_as_int (self->count_spin)))
    {
      ct_window_update_status (self);
      return;
    }

  opened = ct_session_get_run (self->session);
  /* Rows requested while the run was opening are the old run's, for the
   * cleared view's rows: the engine must drop them, or they land past its
   * end before the new run's request supersedes them. */
  ct_engine_cancel_grids (self->engine);
  ct_grid_view_clear (self->grid_view);
  ct_window_fill_run_controls (self);
  g_settings_set_string (self->settings, "last-run", opened->run_dir);
  ct_window_refresh_run_list (self, opened->run_dir);
  gtk_stack_set_visible_child_name (self->stack, "run");
  ct_window_forget_robustness (self);
  ct_faithfulness_panel_forget (self->faithfulness_panel);
  g_clear_pointer (&self->status_note, g_free);
  ct_window_update_status (self);
  ct_window_update_actions (self);
}

static void
open_run_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(CtWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  CtRunInfo *run = ct_engine_open_run_finish (CT_ENGINE (source), result, &error);
  guint index;

  if (run == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      ct_window_show_error (self, _("Could not open the run %s: %s"),
                            self->opening_dir != NULL ? self->opening_dir : "", error->message);
      /* A folder that is not a run leaves the list; the open run stays. */
      if (self->opening_dir != NULL &&
          g_ptr_array_find_with_equal_func (self->run_dirs, self->opening_dir, g_str_equal, &index))
        g_ptr_array_remove_index (self->run_dirs, index);
      g_clear_pointer (&self->opening_dir, g_free);
      ct_window_refresh_run_list (self, ct_session_get_run_dir (self->session));
      /* Opening cancelled the open run's grid. */
      ct_window_request_grid (self);
      return;
    }

  g_clear_pointer (&self->opening_dir, g_free);
  ct_window_hide_error (self);
  show_run (self, run);
}

void
ct_window_open_run_dir (CtWindow   *self,
                        const char *run_dir)
{
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();

  g_free (self->opening_dir);
  self->opening_dir = g_strdup (run_dir);
  ct_engine_cancel_grids (self->engine);
  ct_engine_open_run (self->engine, run_dir, NULL, self->cancellable,
                      open_run_cb, g_object_ref (self));
}

static void
refresh_run_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(CtWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  CtRunInfo *run = ct_engine_refresh_run_finish (CT_ENGINE (source), result, &error);

  if (run == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        ct_window_show_error (self, _("Could not reload the run: %s"), error->message);
      return;
    }
  show_run (self, run);
}

void
ct_window_refresh_run (CtWindow *self)
{
  ct_engine_refresh_run (self->engine, self->cancellable, refresh_run_cb, g_object_ref (self));
}

void
ct_window_open_run (CtWindow *self,
                    GFile    *directory)
{
  g_autofree char *path = NULL;

  g_return_if_fail (CT_IS_WINDOW (self));

  path = g_file_get_path (directory);
  if (path == NULL)
    {
      g_autofree char *uri = g_file_get_uri (directory);
      ct_window_show_error (self, _("%s is not a local folder"), uri);
      return;
    }
  /* Checkpoints from elsewhere: a run only once imported. */
  if (ct_window_offer_import (self, path))
    return;
  ct_window_refresh_run_list (self, path);
  ct_window_open_run_dir (self, path);
}

static void
restore_last_run (CtWindow *self)
{
  g_autofree char *last = g_settings_get_string (self->settings, "last-run");
  g_autofree char *manifest = g_build_filename (last, "manifest.json", NULL);

  ct_window_refresh_run_list (self, NULL);
  if (*last != '\0' && g_file_test (manifest, G_FILE_TEST_IS_REGULAR))
    {
      ct_window_refresh_run_list (self, last);
      ct_window_open_run_dir (self, last);
    }
  else if (self->run_dirs->len > 0)
    {
      g_autofree char *first = g_strdup (self->run_dirs->pdata[0]);

      ct_window_refresh_run_list (self, first);
      ct_window_open_run_dir (self, first);
    }
}


void
ct_window_init_runs (CtWindow *self)
{
  g_signal_connect_swapped (self->run_dropdown, "notify::selected", G_CALLBACK (run_selected_cb), self);
  restore_last_run (self);
}
