/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "ct-test-wait.h"
#include "ct-test-window.h"

gboolean
ct_test_window_idle (CtWindow *window)
{
  CtGridView *view = ct_window_get_grid_view (window);
  gboolean busy;

  g_object_get (window, "busy", &busy, NULL);
  return !busy && ct_grid_view_get_grid (view) != NULL && ct_grid_view_is_complete (view);
}

void
ct_test_window_wait_idle (CtWindow *window)
{
  CT_TEST_WAIT_UNTIL (ct_test_window_idle (window));
  /* Let GTK lay out and draw what the grid now holds (a bounded number of
   * iterations: an animation could keep the context busy for ever). */
  for (int i = 0; i < 20; i++)
    g_main_context_iteration (NULL, FALSE);
}

void
ct_test_window_activate (CtWindow   *window,
                         const char *action,
                         GVariant   *parameter)
{
  /* GTK 4.8 does not sink a floating parameter of a widget-class action
   * (gtk_widget_class_install_action), so the caller's reference is owned
   * here. */
  g_autoptr(GVariant) owned = parameter != NULL ? g_variant_ref_sink (parameter) : NULL;

  g_assert_true (gtk_widget_activate_action_variant (GTK_WIDGET (window), action, owned));
  /* The request is issued from an idle, once per batch of changes. */
  for (int i = 0; i < 5; i++)
    g_main_context_iteration (NULL, FALSE);
  ct_test_window_wait_idle (window);
}

GtkWidget *
ct_test_find_actionable (GtkWidget  *root,
                         const char *action_name)
{
  if (GTK_IS_ACTIONABLE (root) &&
      g_strcmp0 (gtk_actionable_get_action_name (GTK_ACTIONABLE (root)), action_name) == 0)
    return root;
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = ct_test_find_actionable (child, action_name);

      if (found != NULL)
        return found;
    }
  return NULL;
}

gboolean
ct_test_window_action_usable (CtWindow   *window,
                              const char *action_name)
{
  GtkWidget *button = ct_test_find_actionable (GTK_WIDGET (window), action_name);

  if (button == NULL)
    g_error ("no control of the window has the action %s", action_name);
  return gtk_widget_get_sensitive (button);
}
