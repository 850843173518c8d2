/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* Preferences (Ctrl+,): the largest cell size on screen and the export
 * scale, GSettings keys both; a header bar, and Escape closes it. */

#define CT_TYPE_PREFERENCES_WINDOW (ct_preferences_window_get_type ())

G_DECLARE_FINAL_TYPE (CtPreferencesWindow, ct_preferences_window, CT, PREFERENCES_WINDOW, GtkWindow)

/* Returns: (transfer none): a modal window over @parent (nullable), owned
 * by GTK's list of toplevels until closed. */
CtPreferencesWindow *ct_preferences_window_new (GtkWindow *parent);

G_END_DECLS
