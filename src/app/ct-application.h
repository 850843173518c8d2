/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define CT_TYPE_APPLICATION (ct_application_get_type ())

G_DECLARE_FINAL_TYPE (CtApplication, ct_application, CT, APPLICATION, GtkApplication)

CtApplication *ct_application_new            (void);

/* Returns: (transfer full): $XDG_DATA_HOME/camtrail/runs, where the window
 * lists runs and trains new ones. */
char          *ct_application_dup_runs_dir   (void);

G_END_DECLS
