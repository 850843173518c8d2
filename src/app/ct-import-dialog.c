/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "ct-import-dialog.h"
#include "ct-train.h"
#include "ct-weights.h"

struct _CtImportDialog
{
  GtkWindow       parent_instance;

  char           *folder;
  char          **files;
  char           *data_dir;      /* (nullable) the chosen dataset folder */
  char           *out_dir;       /* the last get_options() result */
  char           *epochs;        /* the last get_options() result */
  gboolean        running;
  gboolean        inferred;
  GCancellable   *cancellable;   /* the inference thread */

  GtkEntry       *name_entry;
  GtkDropDown    *arch_dropdown;
  GtkButton      *data_button;
  GtkEntry       *epochs_entry;
  GtkSpinButton  *input_spin;
  GtkProgressBar *progress;
  GtkLabel       *error_label;
  GtkWidget      *grid;
};

enum {
  SIGNAL_START,
  SIGNAL_CANCEL,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (CtImportDialog, ct_import_dialog, GTK_TYPE_WINDOW)

static const char *
selected_arch (CtImportDialog *self)
{
  const char *const *archs = ct_train_list_archs ();
  guint selected = gtk_drop_down_get_selected (self->arch_dropdown);

  return selected < g_strv_length ((char **) archs) ? archs[selected] : archs[0];
}

static void
update_start (CtImportDialog *self)
{
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "dialog.import",
                                 !self->running && self->data_dir != NULL);
}

/* ---- What the files imply, read on a thread -------------------------- */

typedef struct {
  char *epochs;      /* (nullable) "0,1,2" */
  char *arch;        /* (nullable) the first architecture the shapes fit */
  char *problem;     /* (nullable) why the epochs could not be told */
} Inferred;

static void
inferred_free (Inferred *inferred)
{
  g_free (inferred->epochs);
  g_free (inferred->arch);
  g_free (inferred->problem);
  g_free (inferred);
}

/* The import's own rules (ct_weights_assign_epochs with nothing typed), on
 * the files' epoch entries and names; and the architecture whose names and
 * shapes the first file fits. */
static void
infer_thread (GTask        *task,
              gpointer      source,
              gpointer      task_data,
              GCancellable *cancellable)
{
  const char * const *files = task_data;
  guint n = g_strv_length ((char **) files);
  g_autofree gint64 *file_epochs = g_new0 (gint64, n);
  g_autofree int *epochs = g_new0 (int, n);
  Inferred *inferred = g_new0 (Inferred, 1);
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < n && !g_cancellable_is_cancelled (cancellable); i++)
    {
      g_autoptr(CtWeights) weights = ct_weights_load (files[i], NULL);

      if (weights == NULL || !ct_weights_get_epoch (weights, &file_epochs[i]))
        file_epochs[i] = -1;
      if (i == 0 && weights != NULL)
        for (const char *const *arch = ct_train_list_archs (); *arch != NULL; arch++)
          {
            CtWeightsShape shape;

            if (ct_weights_infer_shape (weights, *arch, &shape, NULL))
              {
                inferred->arch = g_strdup (shape.arch);
                break;
              }
          }
    }
  if (ct_weights_assign_epochs (files, n, file_epochs, NULL, epochs, &error))
    {
      GString *text = g_string_new (NULL);

      for (guint i = 0; i < n; i++)
        g_string_append_printf (text, "%s%d", i > 0 ? "," : "", epochs[i]);
      inferred->epochs = g_string_free (text, FALSE);
    }
  else
    inferred->problem = g_strdup (error->message);
  g_task_return_pointer (task, inferred, (GDestroyNotify) inferred_free);
}

static void
infer_done_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  CtImportDialog *self = CT_IMPORT_DIALOG (source);
  Inferred *inferred = g_task_propagate_pointer (G_TASK (result), NULL);
  const char *const *archs = ct_train_list_archs ();

  /* A dialog closed meanwhile has no widgets left to fill. */
  if (inferred == NULL || g_cancellable_is_cancelled (self->cancellable))
    {
      g_clear_pointer (&inferred, inferred_free);
      return;
    }
  self->inferred = TRUE;
  /* What the user typed meanwhile stays. */
  if (inferred->epochs != NULL && *gtk_editable_get_text (GTK_EDITABLE (self->epochs_entry)) == '\0')
    gtk_editable_set_text (GTK_EDITABLE (self->epochs_entry), inferred->epochs);
  if (inferred->problem != NULL)
    gtk_widget_set_tooltip_text (GTK_WIDGET (self->epochs_entry), inferred->problem);
  for (guint i = 0; inferred->arch != NULL && archs[i] != NULL; i++)
    if (g_str_equal (archs[i], inferred->arch))
      gtk_drop_down_set_selected (self->arch_dropdown, i);
  inferred_free (inferred);
}

/* ---- The dataset folder ---------------------------------------------- */

void
ct_import_dialog_set_data_dir (CtImportDialog *self,
                               const char     *path)
{
  g_autofree char *base = NULL;

  g_return_if_fail (CT_IS_IMPORT_DIALOG (self));

  g_free (self->data_dir);
  self->data_dir = g_strdup (path);
  base = g_path_get_basename (path);
  gtk_button_set_label (self->data_button, base);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->data_button), path);
  update_start (self);
}

static void
data_response_cb (GtkNativeDialog *chooser,
                  int              response,
                  CtImportDialog  *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) folder = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
      g_autofree char *path = g_file_get_path (folder);

      if (path != NULL)
        ct_import_dialog_set_data_dir (self, path);
    }
  g_object_unref (chooser);
}

static void
data_clicked_cb (CtImportDialog *self)
{
  GtkFileChooserNative *chooser =
    gtk_file_chooser_native_new (_("Dataset Folder"), GTK_WINDOW (self),
                                 GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER, _("_Select"), _("_Cancel"));

  g_signal_connect (chooser, "response", G_CALLBACK (data_response_cb), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

/* ---- The API ---------------------------------------------------------- */

gboolean
ct_import_dialog_get_options (CtImportDialog  *self,
                              const char      *runs_dir,
                              CtImportOptions *options,
                              GError         **error)
{
  const char *name = gtk_editable_get_text (GTK_EDITABLE (self->name_entry));
  const char *epochs = gtk_editable_get_text (GTK_EDITABLE (self->epochs_entry));

  g_return_val_if_fail (CT_IS_IMPORT_DIALOG (self), FALSE);

  if (*name == '\0' || strchr (name, G_DIR_SEPARATOR) != NULL || g_str_equal (name, "..") ||
      g_str_equal (name, "."))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_FILENAME,
                   _("Give the run a name that is a valid folder name"));
      return FALSE;
    }
  g_free (self->out_dir);
  self->out_dir = g_build_filename (runs_dir, name, NULL);
  if (g_file_test (self->out_dir, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS,
                   _("A run named “%s” exists already; choose another name"), name);
      return FALSE;
    }
  if (self->data_dir == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   _("Choose the folder of the dataset the checkpoints were trained on"));
      return FALSE;
    }

  g_free (self->epochs);
  self->epochs = g_strstrip (g_strdup (epochs));
  memset (options, 0, sizeof *options);
  options->arch = selected_arch (self);
  options->data = self->data_dir;
  options->out_dir = self->out_dir;
  options->files = (const char * const *) self->files;
  options->n_files = g_strv_length (self->files);
  /* Empty: the import infers them, and says so if it cannot. */
  options->epochs = *self->epochs != '\0' ? self->epochs : NULL;
  options->input_size = gtk_spin_button_get_value_as_int (self->input_spin);
  return TRUE;
}

const char *
ct_import_dialog_get_folder (CtImportDialog *self)
{
  g_return_val_if_fail (CT_IS_IMPORT_DIALOG (self), NULL);

  return self->folder;
}

gboolean
ct_import_dialog_is_inferred (CtImportDialog *self)
{
  g_return_val_if_fail (CT_IS_IMPORT_DIALOG (self), FALSE);

  return self->inferred;
}

void
ct_import_dialog_set_running (CtImportDialog *self,
                              gboolean        running)
{
  g_return_if_fail (CT_IS_IMPORT_DIALOG (self));

  self->running = running;
  /* A focused entry made insensitive never hears it lost the focus. */
  if (running)
    gtk_window_set_focus (GTK_WINDOW (self), NULL);
  gtk_widget_set_sensitive (self->grid, !running);
  gtk_widget_set_visible (GTK_WIDGET (self->progress), running);
  if (running)
    {
      gtk_widget_set_visible (GTK_WIDGET (self->error_label), FALSE);
      gtk_progress_bar_set_fraction (self->progress, 0.0);
      gtk_progress_bar_set_text (self->progress, _("Starting…"));
    }
  update_start (self);
}

void
ct_import_dialog_set_progress (CtImportDialog *self,
                               double          fraction,
                               const char     *text)
{
  g_return_if_fail (CT_IS_IMPORT_DIALOG (self));

  gtk_progress_bar_set_fraction (self->progress, CLAMP (fraction, 0.0, 1.0));
  if (text != NULL)
    gtk_progress_bar_set_text (self->progress, text);
}

void
ct_import_dialog_show_error (CtImportDialog *self,
                             const char     *message)
{
  g_return_if_fail (CT_IS_IMPORT_DIALOG (self));

  gtk_label_set_text (self->error_label, message);
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), TRUE);
}

const char *
ct_import_dialog_get_error (CtImportDialog *self)
{
  g_return_val_if_fail (CT_IS_IMPORT_DIALOG (self), NULL);

  if (!gtk_widget_get_visible (GTK_WIDGET (self->error_label)))
    return NULL;
  return gtk_label_get_text (self->error_label);
}

static void
import_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  g_signal_emit (widget, signals[SIGNAL_START], 0);
}

/* Cancel stops a running import (the dialog stays, to say so); otherwise
 * it closes the dialog. */
static void
cancel_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  CtImportDialog *self = CT_IMPORT_DIALOG (widget);

  if (self->running)
    g_signal_emit (self, signals[SIGNAL_CANCEL], 0);
  else
    gtk_window_destroy (GTK_WINDOW (self));
}

static gboolean
ct_import_dialog_close_request (GtkWindow *window)
{
  CtImportDialog *self = CT_IMPORT_DIALOG (window);

  /* Closed while importing: the import stops with it. */
  if (self->running)
    g_signal_emit (self, signals[SIGNAL_CANCEL], 0);
  return GTK_WINDOW_CLASS (ct_import_dialog_parent_class)->close_request (window);
}

/* ---- Building -------------------------------------------------------- */

static void
attach_row (GtkGrid    *grid,
            int         row,
            const char *label,
            GtkWidget  *field)
{
  GtkWidget *title = gtk_label_new_with_mnemonic (label);

  gtk_label_set_xalign (GTK_LABEL (title), 0.0);
  gtk_label_set_mnemonic_widget (GTK_LABEL (title), field);
  gtk_widget_set_hexpand (field, TRUE);
  gtk_grid_attach (grid, title, 0, row, 1, 1);
  gtk_grid_attach (grid, field, 1, row, 1, 1);
}

static GtkWidget *
build_header (void)
{
  GtkWidget *header = gtk_header_bar_new ();
  GtkWidget *cancel = gtk_button_new_with_mnemonic (_("_Cancel"));
  GtkWidget *import = gtk_button_new_with_mnemonic (_("_Import"));

  gtk_header_bar_set_show_title_buttons (GTK_HEADER_BAR (header), FALSE);
  gtk_actionable_set_action_name (GTK_ACTIONABLE (cancel), "dialog.cancel");
  gtk_actionable_set_action_name (GTK_ACTIONABLE (import), "dialog.import");
  gtk_widget_add_css_class (import, "suggested-action");
  gtk_header_bar_pack_start (GTK_HEADER_BAR (header), cancel);
  gtk_header_bar_pack_end (GTK_HEADER_BAR (header), import);
  return header;
}

static void
build (CtImportDialog *self)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  GtkWidget *intro;
  GtkStringList *arch_names = gtk_string_list_new ((const char * const *) ct_train_list_archs ());
  g_autofree char *folder_base = g_path_get_basename (self->folder);
  g_autofree char *text = NULL;
  guint n = g_strv_length (self->files);

  gtk_window_set_title (GTK_WINDOW (self), _("Import Checkpoints"));
  gtk_window_set_modal (GTK_WINDOW (self), TRUE);
  /* The import belongs to the window's engine: it goes with the window. */
  gtk_window_set_destroy_with_parent (GTK_WINDOW (self), TRUE);
  gtk_window_set_default_size (GTK_WINDOW (self), 480, -1);
  gtk_window_set_titlebar (GTK_WINDOW (self), build_header ());

  gtk_widget_set_margin_start (box, 18);
  gtk_widget_set_margin_end (box, 18);
  gtk_widget_set_margin_top (box, 18);
  gtk_widget_set_margin_bottom (box, 18);
  text = g_strdup_printf (ngettext ("%s holds %u checkpoint but no run. Import it as a new run?",
                                    "%s holds %u checkpoints but no run. Import them as a new run?",
                                    n),
                          folder_base, n);
  intro = gtk_label_new (text);
  gtk_label_set_wrap (GTK_LABEL (intro), TRUE);
  gtk_label_set_xalign (GTK_LABEL (intro), 0.0);
  gtk_box_append (GTK_BOX (box), intro);

  self->grid = gtk_grid_new ();
  gtk_grid_set_row_spacing (GTK_GRID (self->grid), 8);
  gtk_grid_set_column_spacing (GTK_GRID (self->grid), 12);

  self->name_entry = GTK_ENTRY (gtk_entry_new ());
  gtk_editable_set_text (GTK_EDITABLE (self->name_entry), folder_base);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->name_entry),
                               _("Folder name of the new run under Camtrail's runs folder"));
  attach_row (GTK_GRID (self->grid), 0, _("_Name"), GTK_WIDGET (self->name_entry));

  self->arch_dropdown = GTK_DROP_DOWN (gtk_drop_down_new (G_LIST_MODEL (arch_names), NULL));
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->arch_dropdown),
                               _("The network the checkpoints were saved from"));
  attach_row (GTK_GRID (self->grid), 1, _("_Architecture"), GTK_WIDGET (self->arch_dropdown));

  self->data_button = GTK_BUTTON (gtk_button_new_with_label (_("Choose…")));
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->data_button),
                               _("The dataset the checkpoints were trained on: its test split is measured"));
  g_signal_connect_swapped (self->data_button, "clicked", G_CALLBACK (data_clicked_cb), self);
  attach_row (GTK_GRID (self->grid), 2, _("_Dataset"), GTK_WIDGET (self->data_button));

  self->epochs_entry = GTK_ENTRY (gtk_entry_new ());
  gtk_entry_set_placeholder_text (self->epochs_entry, _("From the files"));
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->epochs_entry),
                               _("Epoch of each checkpoint in the order of their names, such as 0,1,2,3,20"));
  attach_row (GTK_GRID (self->grid), 3, _("_Epochs"), GTK_WIDGET (self->epochs_entry));

  self->input_spin = GTK_SPIN_BUTTON (gtk_spin_button_new_with_range (0, 1024, 1));
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->input_spin),
                               _("Side the network sees, such as 224; 0: the images' own side"));
  attach_row (GTK_GRID (self->grid), 4, _("_Input size"), GTK_WIDGET (self->input_spin));
  gtk_box_append (GTK_BOX (box), self->grid);

  self->progress = GTK_PROGRESS_BAR (gtk_progress_bar_new ());
  gtk_progress_bar_set_show_text (self->progress, TRUE);
  gtk_widget_set_visible (GTK_WIDGET (self->progress), FALSE);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->progress));

  self->error_label = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_wrap (self->error_label, TRUE);
  gtk_label_set_xalign (self->error_label, 0.0);
  gtk_label_set_selectable (self->error_label, TRUE);
  gtk_widget_add_css_class (GTK_WIDGET (self->error_label), "error");
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), FALSE);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->error_label));

  gtk_window_set_child (GTK_WINDOW (self), box);
}

static void
ct_import_dialog_dispose (GObject *object)
{
  CtImportDialog *self = CT_IMPORT_DIALOG (object);

  g_cancellable_cancel (self->cancellable);

  G_OBJECT_CLASS (ct_import_dialog_parent_class)->dispose (object);
}

static void
ct_import_dialog_finalize (GObject *object)
{
  CtImportDialog *self = CT_IMPORT_DIALOG (object);

  g_clear_object (&self->cancellable);
  g_free (self->folder);
  g_strfreev (self->files);
  g_free (self->data_dir);
  g_free (self->out_dir);
  g_free (self->epochs);

  G_OBJECT_CLASS (ct_import_dialog_parent_class)->finalize (object);
}

static void
ct_import_dialog_class_init (CtImportDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->dispose = ct_import_dialog_dispose;
  object_class->finalize = ct_import_dialog_finalize;
  window_class->close_request = ct_import_dialog_close_request;

  /**
   * CtImportDialog::start:
   *
   * The user asked to import with the dialog's options.
   */
  signals[SIGNAL_START] =
    g_signal_new ("start", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  /**
   * CtImportDialog::cancel:
   *
   * The user asked to stop the running import.
   */
  signals[SIGNAL_CANCEL] =
    g_signal_new ("cancel", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  gtk_widget_class_install_action (widget_class, "dialog.import", NULL, import_action);
  gtk_widget_class_install_action (widget_class, "dialog.cancel", NULL, cancel_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "dialog.cancel", NULL);
}

static void
ct_import_dialog_init (CtImportDialog *self)
{
  self->cancellable = g_cancellable_new ();
}

CtImportDialog *
ct_import_dialog_new (GtkWindow          *parent,
                      const char         *folder,
                      const char * const *files)
{
  CtImportDialog *self = g_object_new (CT_TYPE_IMPORT_DIALOG, "transient-for", parent, NULL);
  g_autoptr(GTask) task = NULL;

  g_return_val_if_fail (folder != NULL && files != NULL && files[0] != NULL, NULL);

  self->folder = g_strdup (folder);
  self->files = g_strdupv ((char **) files);
  build (self);
  update_start (self);

  /* Reading every file is for a thread: the dialog shows at once. */
  task = g_task_new (self, self->cancellable, infer_done_cb, NULL);
  g_task_set_task_data (task, g_strdupv (self->files), (GDestroyNotify) g_strfreev);
  g_task_run_in_thread (task, infer_thread);
  return self;
}
