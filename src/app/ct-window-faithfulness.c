/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "ct-window-private.h"

/* The Faithfulness page below the grid (CtFaithfulnessPanel): the window
 * gives it the engine, the session and the settings, and routes its
 * action, its errors and its state. */

static void
faithfulness_error_cb (CtWindow            *self,
                       const char          *message,
                       CtFaithfulnessPanel *panel)
{
  ct_window_show_error (self, "%s", message);
}

void
ct_window_init_faithfulness (CtWindow *self)
{
  GtkWidget *panel = ct_faithfulness_panel_new (self->engine, self->session, self->settings);

  self->faithfulness_panel = CT_FAITHFULNESS_PANEL (panel);
  gtk_stack_add_titled (self->lower_stack, panel, "faithfulness", _("Faithfulness"));
  g_signal_connect_object (panel, "error", G_CALLBACK (faithfulness_error_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (panel, "notify::computing", G_CALLBACK (ct_window_update_actions), self,
                           G_CONNECT_SWAPPED);
}

void
ct_window_toggle_faithfulness (CtWindow *self)
{
  g_autoptr(GError) error = NULL;

  if (!ct_faithfulness_panel_toggle (self->faithfulness_panel, &error))
    {
      ct_window_show_error (self, _("Could not start the faithfulness study: %s"), error->message);
      return;
    }
  gtk_stack_set_visible_child_name (self->lower_stack, "faithfulness");
}

CtFaithfulnessPanel *
ct_window_get_faithfulness_panel (CtWindow *self)
{
  g_return_val_if_fail (CT_IS_WINDOW (self), NULL);

  return self->faithfulness_panel;
}
