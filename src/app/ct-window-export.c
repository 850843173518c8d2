/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "ct-window-private.h"

/* The file choosers: opening a run folder, exporting the figure. */

static void
open_response_cb (GtkNativeDialog *chooser,
                  int              response,
                  CtWindow        *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) folder = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));

      ct_window_open_run (self, folder);
    }
  g_object_unref (chooser);
}

/* Choosers start in @path when it is a folder (else where GTK likes). */
static void
start_in (GtkFileChooserNative *chooser,
          const char           *path)
{
  g_autoptr(GFile) folder = NULL;

  if (path == NULL || !g_file_test (path, G_FILE_TEST_IS_DIR))
    return;
  folder = g_file_new_for_path (path);
  gtk_file_chooser_set_current_folder (GTK_FILE_CHOOSER (chooser), folder, NULL);
}

void
ct_window_choose_run (CtWindow *self)
{
  g_autofree char *runs_dir = ct_application_dup_runs_dir ();
  GtkFileChooserNative *chooser =
    gtk_file_chooser_native_new (_("Open Run"), GTK_WINDOW (self),
                                 GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER, _("_Open"), _("_Cancel"));

  start_in (chooser, runs_dir);

  g_signal_connect (chooser, "response", G_CALLBACK (open_response_cb), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

gboolean
ct_window_export_to (CtWindow   *self,
                     const char *path)
{
  g_autoptr(GError) error = NULL;
  CtGrid *grid = ct_grid_view_get_grid (self->grid_view);
  CtFigureStyle style = *ct_grid_view_get_style (self->grid_view);
  g_autofree char *base = NULL;
  g_autofree char *text = NULL;

  if (grid == NULL || !ct_grid_view_is_complete (self->grid_view))
    {
      ct_window_show_error (self, _("Nothing to export yet: wait until every row of the grid is drawn"));
      return FALSE;
    }

  style.scale = g_settings_get_double (self->settings, "export-scale");
  if (!ct_figure_write (grid, &style, path, &error))
    {
      ct_window_show_error (self, _("Could not export %s: %s"), path, error->message);
      return FALSE;
    }

  g_free (self->exported_path);
  self->exported_path = g_strdup (path);
  base = g_path_get_basename (path);
  /* Translators: a file name. */
  text = g_strdup_printf (_("Exported %s"), base);
  ct_window_update_actions (self);
  ct_window_show_note (self, text, _("Show in _Folder"), "win.show-export-folder");
  return TRUE;
}

void
ct_window_show_export_folder (CtWindow *self)
{
  g_autoptr(GFile) file = NULL;
  g_autoptr(GFile) folder = NULL;
  g_autofree char *uri = NULL;

  if (self->exported_path == NULL)
    return;
  file = g_file_new_for_path (self->exported_path);
  folder = g_file_get_parent (file);
  uri = g_file_get_uri (folder);
  gtk_show_uri (GTK_WINDOW (self), uri, GDK_CURRENT_TIME);
}

static void
export_response_cb (GtkNativeDialog *chooser,
                    int              response,
                    CtWindow        *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
      g_autofree char *path = g_file_get_path (file);

      if (path != NULL)
        ct_window_export_to (self, path);
    }
  g_object_unref (chooser);
}

void
ct_window_choose_export (CtWindow *self)
{
  const CtRunInfo *run = ct_session_get_run (self->session);
  GtkFileChooserNative *chooser;
  g_autofree char *run_name = NULL;
  g_autofree char *name = NULL;
  static const struct { const char *label; const char *pattern; } formats[] = {
    { N_("PNG image"), "*.png" },
    { N_("SVG drawing"), "*.svg" },
    { N_("PDF document"), "*.pdf" },
  };

  chooser = gtk_file_chooser_native_new (_("Export Figure"), GTK_WINDOW (self),
                                         GTK_FILE_CHOOSER_ACTION_SAVE, _("_Export"), _("_Cancel"));
  for (guint i = 0; i < G_N_ELEMENTS (formats); i++)
    {
      g_autoptr(GtkFileFilter) filter = gtk_file_filter_new ();

      gtk_file_filter_set_name (filter, _(formats[i].label));
      gtk_file_filter_add_pattern (filter, formats[i].pattern);
      gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (chooser), filter);
    }
  /* Named after the run, as the figure's provenance is. */
  run_name = run != NULL ? g_path_get_basename (run->run_dir) : g_strdup ("camtrail");
  name = g_strdup_printf (ct_session_get_compare_images (self->session) != NULL
                          ? "%s-methods.png" : "%s-grid.png", run_name);
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (chooser), name);
  /* Beside the run, where its figures belong. */
  start_in (chooser, run != NULL ? run->run_dir : NULL);
  g_signal_connect (chooser, "response", G_CALLBACK (export_response_cb), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}
