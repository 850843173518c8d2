/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "ct-faithfulness-panel.h"
#include "ct-session.h"
#include "ct-study-dialog.h"
#include "ct-window.h"

G_BEGIN_DECLS

typedef struct _CtCamPassCount CtCamPassCount;

/* Shared by the files of CtWindow, one concern each (as GNOME Text
 * Editor's editor-window*.c): ct-window.c (template, lifetime, grid
 * requests), ct-window-controls.c, ct-window-runs.c, ct-window-actions.c,
 * ct-window-training.c, ct-window-robustness.c, ct-window-study.c and
 * ct-window-export.c.  What the user looks at
 * is the session's; the window holds widgets and the state of its jobs. */

/* Columns a robustness point opens in the grid, at most. */
#define DEFAULT_IMAGE_COUNT 8

struct _CtWindow
{
  GtkApplicationWindow parent_instance;

  GSettings      *settings;
  CtSession      *session;          /* what the user looks at */
  CtEngine       *engine;
  GCancellable   *cancellable;      /* one-shot engine jobs of the open run */

  char           *opening_dir;      /* (nullable) a run being opened */
  GPtrArray      *run_dirs;         /* (element-type utf8) beside run_names */
  guint64         generation;       /* of the newest grid request */
  guint           request_source;   /* idle that coalesces session changes */
  gboolean        busy;
  guint           spinner_source;   /* timeout that shows the spinner */
  gboolean        updating;         /* models are being refilled: ignore selections */

  char           *training_dir;     /* (nullable) the run being trained */
  gboolean        open_when_saved;  /* open training_dir at its first checkpoint */
  char           *robustness_dir;   /* (nullable) the run of the study under way */
  char           *status_note;      /* (nullable) said after the status line */

  /* What the last robustness point replaced, for its Undo. */
  GArray         *undo_images;      /* (nullable) (element-type guint) */
  char           *undo_epochs;      /* (nullable) NULL: nothing to undo */
  CtPerturb       undo_perturb;
  char           *undo_view_mode;
  guint           note_source;      /* hides the note over the grid */
  char           *exported_path;    /* (nullable) the last figure exported */
  CtStudyDialog  *study_dialog;     /* (nullable) Study…, kept while its study runs */
  char           *study_report;     /* (nullable) the last study's report.html */

  /* Template widgets. */
  GtkDropDown    *run_dropdown;
  GtkStringList  *run_names;
  GtkSpinner     *busy_spinner;
  GtkInfoBar     *error_bar;
  GtkLabel       *error_label;
  GtkRevealer    *train_revealer;
  GtkLabel       *train_label;
  GtkProgressBar *train_progress;
  GtkStack       *stack;
  GtkLabel       *empty_title;
  GtkAdjustment  *noise_adjustment;
  GtkAdjustment  *rotation_adjustment;
  GtkAdjustment  *occlude_adjustment;
  GtkAdjustment  *opacity_adjustment;
  GtkCheckButton *rotation_random_check;
  GtkSpinButton  *patch_spin;
  GtkSpinButton  *rounds_spin;
  GtkSpinButton  *seed_spin;
  GtkDropDown    *view_dropdown;
  GtkDropDown    *layer_dropdown;
  GtkStringList  *layer_names;
  GtkDropDown    *method_dropdown;
  GtkStringList  *method_names;
  GtkMenuButton  *compare_menu_button;
  GtkDropDown    *target_dropdown;
  GtkDropDown    *colormap_dropdown;
  GtkDropDown    *scale_dropdown;
  GtkEntry       *epochs_entry;
  GtkEntry       *images_entry;
  GtkSpinButton  *count_spin;
  GtkSpinButton  *misclassified_spin;
  GtkDropDown    *class_dropdown;
  GtkStringList  *class_names;
  CtGridView     *grid_view;
  CtChartView    *chart_view;
  GtkStack       *lower_stack;
  GtkEntry       *robustness_perturbations_entry;
  GtkSpinButton  *robustness_images_spin;
  GtkDropDown    *robustness_chart_dropdown;
  GtkButton      *robustness_button;
  GtkProgressBar *robustness_progress;
  CtRobustnessView *robustness_view;
  CtFaithfulnessPanel *faithfulness_panel;  /* built in code, not in the template */
  GtkLabel       *status_label;
  GtkRevealer    *note_revealer;
  GtkLabel       *note_label;
  GtkButton      *note_button;

  /* ct-window-compare.c */
  GtkCheckButton *compare_checks[CT_CAM_N_METHODS];
  CtCamPassCount *passes;           /* Score-CAM's passes of the running grid */
  guint           passes_source;    /* polls them while a grid runs */
};

/* ct-window.c */
void     ct_window_show_error        (CtWindow   *self,
                                      const char *format,
                                      ...) G_GNUC_PRINTF (2, 3);
void     ct_window_hide_error        (CtWindow   *self);
/* Marks @entry as holding a wrong value (with the message in the error
 * bar), or, with @message NULL, as right again. */
void     ct_window_set_entry_error   (CtWindow   *self,
                                      GtkEntry   *entry,
                                      const char *message);
void     ct_window_notify_training   (CtWindow   *self);
/* Shows @text over the grid for a few seconds, with a button for
 * @action_name labelled @button_label (with a mnemonic). */
void     ct_window_show_note         (CtWindow   *self,
                                      const char *text,
                                      const char *button_label,
                                      const char *action_name);
void     ct_window_hide_note         (CtWindow   *self);
void     ct_window_request_grid      (CtWindow   *self);
void     ct_window_update_status     (CtWindow   *self);

/* ct-window-runs.c */
/* Lists the runs under the runs directory plus the open ones, selecting @select_dir. */
void     ct_window_refresh_run_list  (CtWindow   *self,
                                      const char *select_dir);
/* Opens @run_dir in the engine; it becomes the session's run once read. */
void     ct_window_open_run_dir      (CtWindow   *self,
                                      const char *run_dir);
/* Reloads the open run (training saved an epoch). */
void     ct_window_refresh_run       (CtWindow   *self);
/* Lists the runs and opens the last one (or the first listed). */
void     ct_window_init_runs         (CtWindow   *self);

/* ct-window-controls.c */
void     ct_window_bind_controls     (CtWindow   *self);
/* Fills the controls that depend on the run (layers, classes, ranges). */
void     ct_window_fill_run_controls (CtWindow   *self);
void     ct_window_epochs_entry_activate_cb (CtWindow *self,
                                             GtkEntry *entry);
void     ct_window_images_entry_activate_cb (CtWindow *self,
                                             GtkEntry *entry);

/* ct-window-actions.c */
void     ct_window_class_add_actions (GtkWidgetClass *widget_class);
/* Enables each action whose state allows it (a run, a grid, a job). */
void     ct_window_update_actions    (CtWindow   *self);

/* ct-window-export.c */
void     ct_window_choose_run        (CtWindow   *self);
void     ct_window_choose_export     (CtWindow   *self);
gboolean ct_window_export_to         (CtWindow   *self,
                                      const char *path);
/* Shows the folder of the last figure exported, in the file manager. */
void     ct_window_show_export_folder (CtWindow  *self);

/* ct-window-training.c */
void     ct_window_show_train_dialog (CtWindow   *self);
/* "Train the Demo Run": opens the demo, training it first where needed,
 * and says so when it was trained already. */
void     ct_window_train_demo        (CtWindow   *self);

/* ct-window-compare.c: the CAM method, and the Compare Methods view (the
 * grid with one column per method for the focused image). */
void     ct_window_init_compare      (CtWindow   *self);
/* After the engine's shutdown: nothing reports passes any more. */
void     ct_window_finalize_compare  (CtWindow   *self);
/* Gives @request (the session's) a progress report of Score-CAM's and
 * Ablation-CAM's forward passes, shown in the status line while it runs. */
void     ct_window_watch_passes      (CtWindow     *self,
                                      CtCamRequest *request);
/* "forward passes 40% of epoch 2" while Score-CAM runs, or NULL.
 * Returns: (transfer full) (nullable). */
char    *ct_window_dup_passes_note   (CtWindow   *self);
/* The grid's method ("Grad-CAM++"), or which image the methods are
 * compared for.  Returns: (transfer full). */
char    *ct_window_dup_methods_note  (CtWindow   *self);

/* ct-window-import.c */
/* Offers the Import Checkpoints dialog when @folder holds checkpoints but
 * no manifest; FALSE (nothing shown) otherwise. */
gboolean ct_window_offer_import      (CtWindow   *self,
                                      const char *folder);

/* ct-window-robustness.c */
void     ct_window_toggle_robustness (CtWindow   *self);
/* The run changed: a study belongs to its run. */
void     ct_window_forget_robustness (CtWindow   *self);
void     ct_window_update_robustness_chart (CtWindow *self);
/* Puts back what the last robustness point replaced in the grid. */
void     ct_window_undo_point        (CtWindow   *self);
void     ct_window_robustness_point_activated_cb (CtWindow         *self,
                                                  guint             epoch_index,
                                                  int               perturbation,
                                                  CtRobustnessView *view);

/* ct-window-study.c */
/* Study…: the dialog of the study under way, or a new one for the open run. */
void     ct_window_show_study_dialog (CtWindow   *self);
/* Opens the last study's report.html with the default browser. */
void     ct_window_open_study_report (CtWindow   *self);
void     ct_window_dispose_study     (CtWindow   *self);
/* ct-window-faithfulness.c */
void     ct_window_init_faithfulness   (CtWindow   *self);
void     ct_window_toggle_faithfulness (CtWindow   *self);

G_END_DECLS
