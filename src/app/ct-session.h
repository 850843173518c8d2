/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "ct-engine.h"

G_BEGIN_DECLS

/* What the user is looking at: the open run, its grid's rows (checkpoints)
 * and columns (test images), the perturbation, the target layer and rule,
 * the heatmap scale and the CAM method.  The window's controls, the cell
 * dialog and the robustness view bind to it; it builds the engine's
 * requests.  Its choices are GSettings keys of the same names, bound in
 * one place (ct_session_new()); the run, rows and columns are not saved.
 *
 * ::changed is emitted whenever what the engine would compute changes (a
 * property above, the run, the rows or the columns); style and view
 * changes that need no new computation do not emit it. */

#define CT_TYPE_SESSION (ct_session_get_type ())

G_DECLARE_FINAL_TYPE (CtSession, ct_session, CT, SESSION, GObject)

/* @settings (nullable): the app's settings, bound both ways to the
 * properties of the same names.
 * Returns: (transfer full). */
CtSession       *ct_session_new                (GSettings         *settings);

/* Makes @run (transfer full) the session's run.  A new run gets the default
 * rows and a random pick of @n_images columns; the same run reloaded
 * (training saved an epoch) keeps both.  Returns: whether @run is another
 * run than the previous one. */
gboolean         ct_session_set_run            (CtSession         *self,
                                                CtRunInfo         *run,
                                                guint              n_images);
/* Returns: (transfer none) (nullable). */
const CtRunInfo *ct_session_get_run            (CtSession         *self);
/* Returns: (transfer none) (nullable). */
const char      *ct_session_get_run_dir        (CtSession         *self);

/* Rows: ct_epochs_parse() of @text against the run's checkpoints, strict
 * but for CT_EPOCHS_DEFAULT, which leaves out the epochs the run lacks. */
gboolean         ct_session_set_epochs_text    (CtSession         *self,
                                                const char        *text,
                                                GError           **error);
/* Whether ct_session_set_epochs_text() would take @text, changing nothing. */
gboolean         ct_session_check_epochs_text  (CtSession         *self,
                                                const char        *text,
                                                GError           **error);
/* Adds @epoch to the rows, in ascending order among them, unless it is there. */
gboolean         ct_session_include_epoch      (CtSession         *self,
                                                int                epoch,
                                                GError           **error);
/* Returns: (transfer none): the rows as typed ("0, 1, 2, 3, last"). */
const char      *ct_session_get_epochs_text    (CtSession         *self);
/* Returns: (transfer none) (nullable) (element-type int): the rows resolved. */
GArray          *ct_session_get_epochs         (CtSession         *self);

/* Columns: ct_images_parse() of @text against the run's test split. */
gboolean         ct_session_set_images_text    (CtSession         *self,
                                                const char        *text,
                                                GError           **error);
void             ct_session_set_images         (CtSession         *self,
                                                const guint       *images,
                                                guint              n_images);
/* Appends @image unless it is a column already.  Returns: whether it was added. */
gboolean         ct_session_add_image          (CtSession         *self,
                                                guint              image);
/* Draws @count columns: the seed's own sample first (as `camtrail-cli cam
 * --random K --seed S`), the next sample on each later call for the run. */
void             ct_session_pick_random_images (CtSession         *self,
                                                guint              count);
/* Returns: (transfer none) (nullable) (element-type guint). */
GArray          *ct_session_get_images         (CtSession         *self);
/* Returns: (transfer full): the columns as ct_images_parse() reads them. */
char            *ct_session_dup_images_text    (CtSession         *self);

/* The perturbation the grid applies: none while the view mode is "clean". */
void             ct_session_get_perturb        (CtSession         *self,
                                                CtPerturb         *out_perturb);
/* Sets every perturbation property from @perturb and the view mode to
 * "perturbed", as one change.  Returns: FALSE, changing nothing, for what
 * the properties cannot express (corruptions, bilinear rotation, mean fill). */
gboolean         ct_session_set_perturb        (CtSession         *self,
                                                const CtPerturb   *perturb);
/* Every perturbation property back to its default, as one change. */
void             ct_session_reset_perturbation (CtSession         *self);

/* Compares methods: the grid shows @images (one, or a few) with each of
 * the session's "compare-methods" side by side (request.methods) until
 * ct_session_stop_comparing(), other columns or another run; "comparing"
 * says which. */
void             ct_session_compare_methods    (CtSession         *self,
                                                const guint       *images,
                                                guint              n_images);
void             ct_session_stop_comparing     (CtSession         *self);
/* Returns: (transfer none) (nullable) (element-type guint): the images
 * compared, NULL when not comparing. */
GArray          *ct_session_get_compare_images (CtSession         *self);

/* Fills @out_request for the grid; its arrays and strings are the
 * session's, valid until the session next changes.  Returns: FALSE when
 * there is no run yet. */
gboolean         ct_session_build_request      (CtSession         *self,
                                                CtCamRequest      *out_request);
/* Fills the session's part of a robustness study of every checkpoint:
 * epochs, baseline, rounds, seed, layer and target rule, borrowed as for
 * ct_session_build_request().  Returns: FALSE when there is no run. */
gboolean         ct_session_build_robustness_request (CtSession           *self,
                                                      CtRobustnessRequest *out_request);

G_END_DECLS
