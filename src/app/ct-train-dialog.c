/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "ct-train-dialog.h"
#include "ct-weights.h"

struct _CtTrainDialog
{
  GtkWindow      parent_instance;

  char          *data_dir;      /* (nullable) the chosen CIFAR folder */
  char          *init_file;     /* (nullable) weights to start from (--init) */
  char          *out_dir;       /* the last get_options() result */

  GtkEntry      *name_entry;
  GtkDropDown   *dataset_dropdown;
  GtkButton     *folder_button;
  GtkDropDown   *arch_dropdown;
  GtkSpinButton *epochs_spin;
  GtkSpinButton *batch_spin;
  GtkSpinButton *lr_spin;
  GtkSpinButton *seed_spin;
  GtkButton     *init_button;
  GtkButton     *init_clear_button;
  GtkSpinButton *input_spin;
  GtkSpinButton *image_size_spin;
  GtkLabel      *error_label;
};

enum {
  SIGNAL_START,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (CtTrainDialog, ct_train_dialog, GTK_TYPE_WINDOW)

/* Every architecture the CLI knows, in its order (camtrail_net first). */
static const char *
selected_arch (CtTrainDialog *self)
{
  const char *const *archs = ct_train_list_archs ();
  guint selected = gtk_drop_down_get_selected (self->arch_dropdown);

  return selected < g_strv_length ((char **) archs) ? archs[selected] : archs[0];
}

/* The image-folder kind is the last in the list. */
static gboolean
is_image_folder (CtTrainDialog *self)
{
  GListModel *kinds = gtk_drop_down_get_model (self->dataset_dropdown);

  return gtk_drop_down_get_selected (self->dataset_dropdown) == g_list_model_get_n_items (kinds) - 1;
}

/* Each architecture brings its own tuned batch size and learning rate. */
static void
arch_selected_cb (CtTrainDialog *self)
{
  CtTrainOptions options;

  ct_train_options_init (&options, selected_arch (self));
  gtk_spin_button_set_value (self->epochs_spin, options.hyper.epochs);
  gtk_spin_button_set_value (self->batch_spin, options.hyper.batch_size);
  gtk_spin_button_set_value (self->lr_spin, options.hyper.lr);
}

/* Every dataset but the first (Fashion-MNIST, from Debian) is a folder. */
static gboolean
needs_folder (CtTrainDialog *self)
{
  return gtk_drop_down_get_selected (self->dataset_dropdown) > 0;
}

/* Start waits for a dataset: a folder where the choice needs one. */
static void
update_start (CtTrainDialog *self)
{
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "dialog.start",
                                 !needs_folder (self) || self->data_dir != NULL);
}

static void
dataset_selected_cb (CtTrainDialog *self)
{
  gtk_widget_set_sensitive (GTK_WIDGET (self->folder_button), needs_folder (self));
  gtk_widget_set_sensitive (GTK_WIDGET (self->image_size_spin), is_image_folder (self));
  update_start (self);
}

void
ct_train_dialog_set_data_dir (CtTrainDialog *self,
                              const char    *path)
{
  g_autofree char *base = g_path_get_basename (path);

  g_return_if_fail (CT_IS_TRAIN_DIALOG (self));

  g_free (self->data_dir);
  self->data_dir = g_strdup (path);
  gtk_button_set_label (self->folder_button, base);
  update_start (self);
}

void
ct_train_dialog_set_init_file (CtTrainDialog *self,
                               const char    *path)
{
  g_autofree char *base = path != NULL ? g_path_get_basename (path) : NULL;

  g_return_if_fail (CT_IS_TRAIN_DIALOG (self));

  g_free (self->init_file);
  self->init_file = g_strdup (path);
  gtk_button_set_label (self->init_button, base != NULL ? base : _("None (random)"));
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->init_button), path);
  gtk_widget_set_sensitive (GTK_WIDGET (self->init_clear_button), path != NULL);
}

static void
init_response_cb (GtkNativeDialog *chooser,
                  int              response,
                  CtTrainDialog   *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
      g_autofree char *path = g_file_get_path (file);

      if (path != NULL)
        ct_train_dialog_set_init_file (self, path);
    }
  g_object_unref (chooser);
}

static void
init_clicked_cb (CtTrainDialog *self,
                 GtkButton     *button)
{
  GtkFileChooserNative *chooser =
    gtk_file_chooser_native_new (_("Initial Weights"), GTK_WINDOW (self),
                                 GTK_FILE_CHOOSER_ACTION_OPEN, _("_Select"), _("_Cancel"));
  g_autoptr(GtkFileFilter) filter = gtk_file_filter_new ();

  gtk_file_filter_set_name (filter, _("Weights (safetensors, .pt, .pth, .bin)"));
  gtk_file_filter_add_pattern (filter, "*.safetensors");
  gtk_file_filter_add_pattern (filter, "*.pt");
  gtk_file_filter_add_pattern (filter, "*.pth");
  gtk_file_filter_add_pattern (filter, "*.bin");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (chooser), filter);
  g_signal_connect (chooser, "response", G_CALLBACK (init_response_cb), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

static void
init_clear_clicked_cb (CtTrainDialog *self,
                       GtkButton     *button)
{
  ct_train_dialog_set_init_file (self, NULL);
}

static void
folder_response_cb (GtkNativeDialog *chooser,
                    int              response,
                    CtTrainDialog   *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) folder = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
      g_autofree char *path = g_file_get_path (folder);

      if (path != NULL)
        ct_train_dialog_set_data_dir (self, path);
    }
  g_object_unref (chooser);
}

static void
folder_clicked_cb (CtTrainDialog *self,
                   GtkButton     *button)
{
  GtkFileChooserNative *chooser =
    gtk_file_chooser_native_new (_("Dataset Folder"), GTK_WINDOW (self),
                                 GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER, _("_Select"), _("_Cancel"));

  g_signal_connect (chooser, "response", G_CALLBACK (folder_response_cb), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

gboolean
ct_train_dialog_get_options (CtTrainDialog  *self,
                             const char     *runs_dir,
                             CtTrainOptions *options,
                             GError        **error)
{
  const char *name = gtk_editable_get_text (GTK_EDITABLE (self->name_entry));
  gboolean folder = needs_folder (self);

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
  if (folder && self->data_dir == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   _("Choose the folder of the dataset"));
      return FALSE;
    }

  ct_train_options_init (options, selected_arch (self));
  options->data = folder ? self->data_dir : "fashion-mnist";
  options->out_dir = self->out_dir;
  ct_hyper_params_set_epochs (&options->hyper, gtk_spin_button_get_value_as_int (self->epochs_spin));
  options->hyper.batch_size = gtk_spin_button_get_value_as_int (self->batch_spin);
  options->hyper.lr = gtk_spin_button_get_value (self->lr_spin);
  options->hyper.seed = gtk_spin_button_get_value_as_int (self->seed_spin);
  options->input_size = gtk_spin_button_get_value_as_int (self->input_spin);
  if (is_image_folder (self))
    options->image_size = gtk_spin_button_get_value_as_int (self->image_size_spin);
  options->init = self->init_file;
  /* camtrail_net's width is no field here: weights to start from bring theirs. */
  if (self->init_file != NULL && g_str_equal (options->arch, "camtrail_net"))
    {
      g_autoptr(CtWeights) weights = ct_weights_load (self->init_file, error);
      CtWeightsShape shape;

      if (weights == NULL || !ct_weights_infer_shape (weights, options->arch, &shape, error))
        return FALSE;
      options->width = shape.width;
    }
  return TRUE;
}

void
ct_train_dialog_show_error (CtTrainDialog *self,
                            const char    *message)
{
  gtk_label_set_text (self->error_label, message);
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), TRUE);
}

static void
start_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  g_signal_emit (widget, signals[SIGNAL_START], 0);
}

static void
ct_train_dialog_finalize (GObject *object)
{
  CtTrainDialog *self = CT_TRAIN_DIALOG (object);

  g_free (self->data_dir);
  g_free (self->init_file);
  g_free (self->out_dir);

  G_OBJECT_CLASS (ct_train_dialog_parent_class)->finalize (object);
}

static void
ct_train_dialog_dispose (GObject *object)
{
  gtk_widget_dispose_template (GTK_WIDGET (object), CT_TYPE_TRAIN_DIALOG);

  G_OBJECT_CLASS (ct_train_dialog_parent_class)->dispose (object);
}

static void
ct_train_dialog_class_init (CtTrainDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ct_train_dialog_dispose;
  object_class->finalize = ct_train_dialog_finalize;

  /**
   * CtTrainDialog::start:
   *
   * The user asked to train with the dialog's options.
   */
  signals[SIGNAL_START] =
    g_signal_new ("start", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/camtrail/Camtrail/ct-train-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, CtTrainDialog, name_entry);
  gtk_widget_class_bind_template_child (widget_class, CtTrainDialog, dataset_dropdown);
  gtk_widget_class_bind_template_child (widget_class, CtTrainDialog, folder_button);
  gtk_widget_class_bind_template_child (widget_class, CtTrainDialog, arch_dropdown);
  gtk_widget_class_bind_template_child (widget_class, CtTrainDialog, epochs_spin);
  gtk_widget_class_bind_template_child (widget_class, CtTrainDialog, batch_spin);
  gtk_widget_class_bind_template_child (widget_class, CtTrainDialog, lr_spin);
  gtk_widget_class_bind_template_child (widget_class, CtTrainDialog, seed_spin);
  gtk_widget_class_bind_template_child (widget_class, CtTrainDialog, init_button);
  gtk_widget_class_bind_template_child (widget_class, CtTrainDialog, init_clear_button);
  gtk_widget_class_bind_template_child (widget_class, CtTrainDialog, input_spin);
  gtk_widget_class_bind_template_child (widget_class, CtTrainDialog, image_size_spin);
  gtk_widget_class_bind_template_child (widget_class, CtTrainDialog, error_label);
  gtk_widget_class_bind_template_callback (widget_class, folder_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, init_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, init_clear_clicked_cb);

  gtk_widget_class_install_action (widget_class, "dialog.start", NULL, start_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
ct_train_dialog_init (CtTrainDialog *self)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *name = g_date_time_format (now, "run-%Y%m%d-%H%M%S");

  gtk_widget_init_template (GTK_WIDGET (self));
  {
    g_autoptr(GtkStringList) archs = gtk_string_list_new (ct_train_list_archs ());

    gtk_drop_down_set_model (self->arch_dropdown, G_LIST_MODEL (archs));
  }
  gtk_editable_set_text (GTK_EDITABLE (self->name_entry), name);
  g_signal_connect_swapped (self->arch_dropdown, "notify::selected", G_CALLBACK (arch_selected_cb), self);
  g_signal_connect_swapped (self->dataset_dropdown, "notify::selected",
                            G_CALLBACK (dataset_selected_cb), self);
  arch_selected_cb (self);
  dataset_selected_cb (self);
}

CtTrainDialog *
ct_train_dialog_new (GtkWindow *parent)
{
  return g_object_new (CT_TYPE_TRAIN_DIALOG, "transient-for", parent, NULL);
}
