/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "ct-window.h"

G_BEGIN_DECLS

/* Driving a CtWindow as a keyboard user would, shared by the window suites:
 * every wait runs the main loop until a state (ct-test-wait.h), never for a
 * time. */

/* Whether the window is idle with a complete grid. */
gboolean   ct_test_window_idle            (CtWindow   *window);

/* Runs the main loop until ct_test_window_idle(), then lets GTK draw. */
void       ct_test_window_wait_idle       (CtWindow   *window);

/* Activates @action (a floating @parameter is sunk) and waits until the
 * window is idle again. */
void       ct_test_window_activate        (CtWindow   *window,
                                           const char *action,
                                           GVariant   *parameter);

/* The first widget under @root whose action is @action_name, or NULL. */
GtkWidget *ct_test_find_actionable        (GtkWidget  *root,
                                           const char *action_name);

/* Whether the control of @action_name can be used (GTK makes a button
 * insensitive while its action is disabled); fails when no control has it. */
gboolean   ct_test_window_action_usable   (CtWindow   *window,
                                           const char *action_name);

G_END_DECLS
