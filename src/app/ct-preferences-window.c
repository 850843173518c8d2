/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "ct-preferences-window.h"

struct _CtPreferencesWindow
{
  GtkWindow  parent_instance;

  GSettings *settings;
};

G_DEFINE_FINAL_TYPE (CtPreferencesWindow, ct_preferences_window, GTK_TYPE_WINDOW)

static GtkWidget *
preference_row (const char *label,
                const char *tooltip,
                GtkWidget  *control)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  GtkWidget *title = gtk_label_new_with_mnemonic (label);

  gtk_widget_set_hexpand (title, TRUE);
  gtk_label_set_xalign (GTK_LABEL (title), 0);
  gtk_label_set_mnemonic_widget (GTK_LABEL (title), control);
  gtk_widget_set_tooltip_text (control, tooltip);
  gtk_box_append (GTK_BOX (box), title);
  gtk_box_append (GTK_BOX (box), control);
  return box;
}

static void
ct_preferences_window_dispose (GObject *object)
{
  CtPreferencesWindow *self = CT_PREFERENCES_WINDOW (object);

  g_clear_object (&self->settings);

  G_OBJECT_CLASS (ct_preferences_window_parent_class)->dispose (object);
}

static void
ct_preferences_window_class_init (CtPreferencesWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ct_preferences_window_dispose;
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
ct_preferences_window_init (CtPreferencesWindow *self)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  GtkWidget *cell_size = gtk_spin_button_new_with_range (64, 512, 16);
  GtkWidget *export_scale = gtk_spin_button_new_with_range (1, 8, 0.5);

  self->settings = g_settings_new (APP_ID);
  gtk_window_set_title (GTK_WINDOW (self), _("Preferences"));
  gtk_window_set_titlebar (GTK_WINDOW (self), gtk_header_bar_new ());
  gtk_window_set_modal (GTK_WINDOW (self), TRUE);
  gtk_window_set_default_size (GTK_WINDOW (self), 360, -1);
  gtk_widget_set_margin_start (box, 18);
  gtk_widget_set_margin_end (box, 18);
  gtk_widget_set_margin_top (box, 18);
  gtk_widget_set_margin_bottom (box, 18);
  gtk_spin_button_set_digits (GTK_SPIN_BUTTON (export_scale), 1);
  g_settings_bind (self->settings, "cell-size", cell_size, "value", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "export-scale", export_scale, "value", G_SETTINGS_BIND_DEFAULT);
  gtk_box_append (GTK_BOX (box),
                  preference_row (_("_Cell size"),
                                  _("Largest side of a grid cell on screen, in pixels; the cells "
                                    "shrink so that the whole grid fits the window"),
                                  cell_size));
  gtk_box_append (GTK_BOX (box),
                  preference_row (_("_Export scale"),
                                  _("Exported figures are this many times the screen size"),
                                  export_scale));
  gtk_window_set_child (GTK_WINDOW (self), box);
}

CtPreferencesWindow *
ct_preferences_window_new (GtkWindow *parent)
{
  return g_object_new (CT_TYPE_PREFERENCES_WINDOW, "transient-for", parent, NULL);
}
