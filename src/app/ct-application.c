/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "ct-application.h"
#include "ct-import-dialog.h"
#include "ct-preferences-window.h"
#include "ct-run.h"
#include "ct-window.h"

struct _CtApplication
{
  GtkApplication  parent_instance;
  /* "app.status": what the window shows, for scripts and the entry-point
   * tests, over D-Bus (org.gtk.Actions).  See update_status(). */
  GSimpleAction  *status;
};

G_DEFINE_FINAL_TYPE (CtApplication, ct_application, GTK_TYPE_APPLICATION)

char *
ct_application_dup_runs_dir (void)
{
  return ct_run_dup_home ();
}

/* The state of the active window as an a{sv}: "window" (b: one is open),
 * "run" (s: the open run's folder, "" for none), "busy" (b: a grid is being
 * computed), "grid-complete" (b: every row of the grid is drawn),
 * "training" (b), "error" (s: the message the window shows, "" for
 * none) and "import" (s: the folder of checkpoints an Import dialog
 * offers, "" for none).  Scripts read it with `gdbus call … org.gtk.Actions.Describe
 * status` and follow it through org.gtk.Actions.Changed. */
static void
update_status (CtApplication *self)
{
  GtkWindow *active = gtk_application_get_active_window (GTK_APPLICATION (self));
  CtWindow *window = CT_IS_WINDOW (active) ? CT_WINDOW (active) : NULL;
  g_auto(GVariantDict) status = G_VARIANT_DICT_INIT (NULL);
  g_autofree char *error = NULL;
  gboolean busy = FALSE, training = FALSE, complete = FALSE;
  const char *run = NULL, *import = NULL;
  GListModel *toplevels = gtk_window_get_toplevels ();

  /* Windows notify while they are disposed too, after the grid view went. */
  if (self->status == NULL)
    return;
  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWindow) toplevel = g_list_model_get_item (toplevels, i);

      if (CT_IS_IMPORT_DIALOG (toplevel))
        import = ct_import_dialog_get_folder (CT_IMPORT_DIALOG (toplevel));
    }
  if (window != NULL)
    {
      CtGridView *grid_view = ct_window_get_grid_view (window);

      g_object_get (window, "busy", &busy, "training", &training, "error", &error, NULL);
      run = ct_window_get_run_dir (window);
      complete = !busy && grid_view != NULL && ct_grid_view_get_grid (grid_view) != NULL &&
                 ct_grid_view_is_complete (grid_view);
    }
  g_variant_dict_insert (&status, "window", "b", window != NULL);
  g_variant_dict_insert (&status, "run", "s", run != NULL ? run : "");
  g_variant_dict_insert (&status, "busy", "b", busy);
  g_variant_dict_insert (&status, "grid-complete", "b", complete);
  g_variant_dict_insert (&status, "training", "b", training);
  g_variant_dict_insert (&status, "error", "s", error != NULL ? error : "");
  g_variant_dict_insert (&status, "import", "s", import != NULL ? import : "");
  g_simple_action_set_state (self->status, g_variant_dict_end (&status));
}

static void
window_notify_cb (CtApplication *self,
                  GParamSpec    *pspec,
                  CtWindow      *window)
{
  update_status (self);
}

static CtWindow *
get_window (CtApplication *self)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));

  if (window == NULL)
    {
      window = GTK_WINDOW (ct_window_new (self));
      g_signal_connect_object (window, "notify", G_CALLBACK (window_notify_cb), self,
                               G_CONNECT_SWAPPED);
      update_status (self);
    }
  return CT_WINDOW (window);
}

static void
ct_application_activate (GApplication *app)
{
  gtk_window_present (GTK_WINDOW (get_window (CT_APPLICATION (app))));
}

static int
ct_application_handle_local_options (GApplication *app,
                                     GVariantDict *options)
{
  if (g_variant_dict_contains (options, "version"))
    {
      g_print ("camtrail %s\n", PACKAGE_VERSION);
      return 0;
    }
  return -1;
}

/* `camtrail RUN_DIR` opens that run, as GNOME apps open files (a folder
 * of checkpoints without a manifest gets the Import dialog); a second
 * invocation reaches the running instance here too. */
static int
ct_application_command_line (GApplication            *app,
                             GApplicationCommandLine *command_line)
{
  GVariantDict *options = g_application_command_line_get_options_dict (command_line);
  g_auto(GStrv) arguments = NULL;
  CtWindow *window = get_window (CT_APPLICATION (app));

  /* "^aay" copies the strings, which the GStrv then owns; "^a&ay" would
   * borrow them from the options dictionary, and freeing them here was a
   * double free when the dictionary went (issue 13). */
  g_variant_dict_lookup (options, G_OPTION_REMAINING, "^aay", &arguments);
  if (arguments != NULL)
    for (guint i = 0; arguments[i] != NULL; i++)
      {
        g_autoptr(GFile) file = g_application_command_line_create_file_for_arg (command_line,
                                                                                 arguments[i]);
        ct_window_open_run (window, file);
      }
  else if (g_variant_dict_contains (options, "demo"))
    ct_window_open_demo (window);

  gtk_window_present (GTK_WINDOW (window));
  /* An Import dialog may have come up: it is no window property. */
  update_status (CT_APPLICATION (app));
  return 0;
}

/* A file manager's "Open With" and D-Bus activation (org.freedesktop.Application.Open)
 * arrive here; a command line arrives in ct_application_command_line(). */
static void
ct_application_open (GApplication  *app,
                     GFile        **files,
                     int            n_files,
                     const char    *hint)
{
  CtWindow *window = get_window (CT_APPLICATION (app));

  for (int i = 0; i < n_files; i++)
    ct_window_open_run (window, files[i]);
  gtk_window_present (GTK_WINDOW (window));
  update_status (CT_APPLICATION (app));
}

static void
quit_activated_cb (GSimpleAction *action,
                   GVariant      *parameter,
                   gpointer       user_data)
{
  GtkApplication *app = user_data;
  GList *windows = gtk_application_get_windows (app);

  /* Closing the windows, rather than g_application_quit(), lets each one
   * cancel and join its engine first. */
  while (windows != NULL)
    {
      GList *next = windows->next;

      gtk_window_destroy (windows->data);
      windows = next;
    }
}

static void
about_activated_cb (GSimpleAction *action,
                    GVariant      *parameter,
                    gpointer       user_data)
{
  static const char *developers[] = { "The Camtrail developers", NULL };
  GtkApplication *app = user_data;

  gtk_show_about_dialog (gtk_application_get_active_window (app),
                         "program-name", _("Camtrail"),
                         "logo-icon-name", APP_ID,
                         "version", PACKAGE_VERSION,
                         "comments", _("Watch what a neural network looks at while it learns"),
                         "website", "https://github.com/camtrail/camtrail",
                         "license-type", GTK_LICENSE_GPL_3_0,
                         "authors", developers,
                         "translator-credits", _("translator-credits"),
                         NULL);
}

static void
preferences_activated_cb (GSimpleAction *action,
                          GVariant      *parameter,
                          gpointer       user_data)
{
  GtkApplication *app = user_data;

  gtk_window_present (GTK_WINDOW (ct_preferences_window_new (gtk_application_get_active_window (app))));
}

/* Exports the active window's figure to the path in @parameter, as
 * Export… does; for scripts: `gapplication action APP_ID export-figure
 * "'/tmp/grid.png'"`.  Failures show in the window and in app.status. */
static void
export_figure_activated_cb (GSimpleAction *action,
                            GVariant      *parameter,
                            gpointer       user_data)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (user_data));

  /* The parameter is ours to pass on: GTK 4.8's widget actions do not sink
   * a floating one, which would leak. */
  if (window != NULL)
    gtk_widget_activate_action_variant (GTK_WIDGET (window), "win.export-to", parameter);
}

static const GActionEntry app_actions[] = {
  { "quit", quit_activated_cb },
  { "export-figure", export_figure_activated_cb, "s" },
  { "about", about_activated_cb },
  { "preferences", preferences_activated_cb },
};

static void
ct_application_startup (GApplication *app)
{
  static const struct { const char *action; const char *accels[2]; } shortcuts[] = {
    { "app.quit", { "<Control>q", NULL } },
    { "app.preferences", { "<Control>comma", NULL } },
    { "window.close", { "<Control>w", NULL } },
    { "win.open", { "<Control>o", NULL } },
    { "win.export", { "<Control>e", NULL } },
    { "win.train", { "<Control>t", NULL } },
    { "win.random-images", { "<Control>r", NULL } },
    { "win.reset-perturbation", { "<Control>0", NULL } },
    { "win.compute-robustness", { "<Control><Shift>r", NULL } },
    { "win.compare-methods", { "<Control>m", NULL } },
    { "win.study", { "<Control><Shift>s", NULL } },
    { "win.compute-faithfulness", { "<Control><Shift>f", NULL } },
  };

  CtApplication *self = CT_APPLICATION (app);

  G_APPLICATION_CLASS (ct_application_parent_class)->startup (app);

  g_action_map_add_action_entries (G_ACTION_MAP (app), app_actions,
                                   G_N_ELEMENTS (app_actions), app);
  for (guint i = 0; i < G_N_ELEMENTS (shortcuts); i++)
    gtk_application_set_accels_for_action (GTK_APPLICATION (app), shortcuts[i].action,
                                           shortcuts[i].accels);

  /* Read-only: its state changes with the window, never by activation. */
  self->status = g_simple_action_new_stateful ("status", NULL,
                                               g_variant_new_array (G_VARIANT_TYPE ("{sv}"),
                                                                    NULL, 0));
  g_simple_action_set_enabled (self->status, FALSE);
  g_action_map_add_action (G_ACTION_MAP (app), G_ACTION (self->status));
  update_status (self);
  g_signal_connect_swapped (app, "window-removed", G_CALLBACK (update_status), self);
  g_signal_connect_swapped (app, "notify::active-window", G_CALLBACK (update_status), self);
  /* A dialog opening or closing (Import Checkpoints) changes it too. */
  g_signal_connect_object (gtk_window_get_toplevels (), "items-changed",
                           G_CALLBACK (update_status), self, G_CONNECT_SWAPPED);
}

static void
ct_application_dispose (GObject *object)
{
  CtApplication *self = CT_APPLICATION (object);

  g_clear_object (&self->status);

  G_OBJECT_CLASS (ct_application_parent_class)->dispose (object);
}

static void
ct_application_class_init (CtApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  object_class->dispose = ct_application_dispose;
  app_class->activate = ct_application_activate;
  app_class->startup = ct_application_startup;
  app_class->command_line = ct_application_command_line;
  app_class->open = ct_application_open;
  app_class->handle_local_options = ct_application_handle_local_options;
}

static void
ct_application_init (CtApplication *self)
{
  static const GOptionEntry options[] = {
    { "demo", 0, 0, G_OPTION_ARG_NONE, NULL,
      N_("Open the Fashion-MNIST demo run, training it first if it is missing"), NULL },
    { "version", 0, 0, G_OPTION_ARG_NONE, NULL, N_("Show the version and exit"), NULL },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, NULL, NULL, N_("[RUN_DIR…]") },
    { NULL }
  };

  g_application_add_main_option_entries (G_APPLICATION (self), options);
}

CtApplication *
ct_application_new (void)
{
  return g_object_new (CT_TYPE_APPLICATION,
                       "application-id", APP_ID,
                       "flags", G_APPLICATION_HANDLES_COMMAND_LINE | G_APPLICATION_HANDLES_OPEN,
                       "resource-base-path", "/io/github/camtrail/Camtrail",
                       NULL);
}
