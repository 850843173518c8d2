/* SPDX-License-Identifier: GPL-3.0-or-later */
/* camtrail-screenshot: opens a run in the real window, sets the controls
 * given on the command line (GSettings keys), waits until every row is
 * drawn and saves what the screen shows as a PNG.  scripts/screenshot runs
 * it under Xvfb for the README and the AppStream metainfo.  Not a test. */
#include "config.h"

#include <gtk/gtk.h>

#include "ct-test-ui.h"
#include "ct-window.h"

static gboolean
grid_done (CtWindow *window)
{
  CtGridView *view = ct_window_get_grid_view (window);
  gboolean busy;

  g_object_get (window, "busy", &busy, NULL);
  return !busy && ct_grid_view_get_grid (view) != NULL && ct_grid_view_is_complete (view);
}

static void
settle (CtWindow *window)
{
  gint64 deadline = g_get_monotonic_time () + 300 * G_USEC_PER_SEC;

  for (int i = 0; i < 10; i++)
    g_main_context_iteration (NULL, FALSE);
  while (!grid_done (window) && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  for (int i = 0; i < 50; i++)
    g_main_context_iteration (NULL, FALSE);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GSettings) settings = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  g_autoptr(GFile) run = NULL;
  CtWindow *window;

  if (argc < 3)
    {
      g_printerr ("usage: camtrail-screenshot RUN_DIR OUT.png [KEY=VALUE…] [images=LIST]\n");
      return 2;
    }

  gtk_init ();
  settings = g_settings_new (APP_ID);
  window = ct_window_new (NULL);
  gtk_window_set_default_size (GTK_WINDOW (window), 1360, 860);
  gtk_window_present (GTK_WINDOW (window));

  run = g_file_new_for_commandline_arg (argv[1]);
  ct_window_open_run (window, run);
  settle (window);

  for (int i = 3; i < argc; i++)
    {
      g_auto(GStrv) pair = g_strsplit (argv[i], "=", 2);
      g_autoptr(GVariant) value = NULL;
      g_autoptr(GVariant) current = NULL;

      if (pair[1] == NULL)
        {
          g_printerr ("camtrail-screenshot: expected KEY=VALUE, got %s\n", argv[i]);
          return 2;
        }
      if (g_str_equal (pair[0], "images") || g_str_equal (pair[0], "epochs"))
        {
          gtk_widget_activate_action (GTK_WIDGET (window),
                                      g_str_equal (pair[0], "images") ? "win.set-images" : "win.set-epochs",
                                      "s", pair[1]);
          settle (window);
          continue;
        }
      current = g_settings_get_value (settings, pair[0]);
      value = g_variant_parse (g_variant_get_type (current), pair[1], NULL, NULL, NULL);
      if (value == NULL || !g_settings_set_value (settings, pair[0], value))
        {
          g_printerr ("camtrail-screenshot: cannot set %s to %s\n", pair[0], pair[1]);
          return 2;
        }
      settle (window);
    }

  texture = ct_test_render_widget (GTK_WIDGET (window));
  if (texture == NULL || !gdk_texture_save_to_png (texture, argv[2]))
    {
      g_printerr ("camtrail-screenshot: could not save %s\n", argv[2]);
      return 1;
    }
  gtk_window_destroy (GTK_WINDOW (window));
  return 0;
}
