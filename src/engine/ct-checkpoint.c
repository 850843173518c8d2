/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "ct-checkpoint.h"

#include "ct-safetensors.h"
#include "ct-torch-glib.h"
#include "ct-weights.h"

static CtDtype
dtype_from_torch (CtTorchDtype dtype)
{
  return dtype == CT_TORCH_DTYPE_INT64 ? CT_DTYPE_I64 : CT_DTYPE_F32;
}

/* A tensor copied out of the shim, whose own pointers are only borrowed until
 * its next call. */
typedef struct {
  char   *name;
  CtDtype dtype;
  guint   n_dims;
  gint64  shape[CT_TENSOR_MAX_DIMS];
  void   *data;
  gsize   n_bytes;
} OwnedTensor;

static void
owned_tensor_clear (OwnedTensor *tensor)
{
  g_free (tensor->name);
  g_free (tensor->data);
}

static void
own_tensor (const CtTorchTensor *src,
            OwnedTensor         *dst)
{
  dst->name = g_strdup (src->name);
  dst->dtype = dtype_from_torch (src->dtype);
  dst->n_dims = src->n_dims;
  for (int d = 0; d < src->n_dims; d++)
    dst->shape[d] = src->shape[d];
  dst->data = g_memdup2 (src->data, src->n_bytes);
  dst->n_bytes = src->n_bytes;
}

static gboolean
save_owned (GArray      *owned,
            const char  *path,
            GHashTable  *metadata,
            GError     **error)
{
  g_autofree CtTensorView *views = g_new0 (CtTensorView, MAX (owned->len, 1));

  for (guint i = 0; i < owned->len; i++)
    {
      OwnedTensor *t = &g_array_index (owned, OwnedTensor, i);

      views[i].name = t->name;
      views[i].dtype = t->dtype;
      views[i].n_dims = t->n_dims;
      memcpy (views[i].shape, t->shape, sizeof t->shape);
      views[i].data = t->data;
      views[i].n_bytes = t->n_bytes;
    }

  return ct_safetensors_save (path, views, owned->len, metadata, error);
}

/* The CAM buffers are sized from the manifest's layer list while the model
 * fills them with the maps it computes, so the two must agree: a manifest
 * whose input size was changed without its layers would overflow them. */
static gboolean
check_layers (CtModel           *model,
              const CtManifest  *manifest,
              GError           **error)
{
  size_t n = ct_model_get_n_layers (model);

  if (n != manifest->n_layers)
    {
      g_set_error (error, CT_RUN_ERROR, CT_RUN_ERROR_MISMATCH,
                   "the manifest lists %u layers, but %s at input size %d has %zu",
                   manifest->n_layers, manifest->arch, manifest->input_size, n);
      return FALSE;
    }
  for (size_t i = 0; i < n; i++)
    {
      const CtRunLayer *listed = &manifest->layers[i];
      CtTorchLayer layer;
      char *message = NULL;

      if (!ct_torch_check (ct_model_get_layer (model, i, &layer, &message), message, error))
        return FALSE;
      if (g_strcmp0 (listed->name, layer.name) != 0 || listed->channels != layer.channels ||
          listed->height != layer.height || listed->width != layer.width)
        {
          g_set_error (error, CT_RUN_ERROR, CT_RUN_ERROR_MISMATCH,
                       "the manifest lists layer %zu as %s with %d×%d×%d maps, but %s at input"
                       " size %d has %s with %d×%d×%d maps",
                       i, listed->name, listed->channels, listed->height, listed->width,
                       manifest->arch, manifest->input_size, layer.name, layer.channels,
                       layer.height, layer.width);
          return FALSE;
        }
    }
  return TRUE;
}

CtModel *
ct_checkpoint_new_model (const CtManifest  *manifest,
                         const char        *device,
                         GError           **error)
{
  CtModelConfig config = {
    .arch = manifest->arch,
    .in_channels = manifest->channels,
    .n_classes = manifest->n_classes,
    .image_size = manifest->image_size,
    .input_size = manifest->input_size,
    .width = manifest->width,
    .seed = manifest->hyper.seed,
  };
  CtModel *model = NULL;
  char *message = NULL;

  if (!ct_torch_check (ct_model_new (&config, &model, &message), message, error))
    return NULL;
  if (!check_layers (model, manifest, error) ||
      (device != NULL && g_strcmp0 (device, "cpu") != 0 &&
       !ct_torch_check (ct_model_to_device (model, device, &message), message, error)))
    {
      ct_model_free (model);
      return NULL;
    }
  return model;
}

gboolean
ct_checkpoint_save (CtModel     *model,
                    const char  *path,
                    GHashTable  *metadata,
                    GError     **error)
{
  g_autoptr(GArray) owned = g_array_new (FALSE, TRUE, sizeof (OwnedTensor));
  size_t n = ct_model_get_n_tensors (model);

  g_array_set_clear_func (owned, (GDestroyNotify) owned_tensor_clear);
  for (size_t i = 0; i < n; i++)
    {
      CtTorchTensor tensor;
      OwnedTensor copy = { 0 };
      char *message = NULL;

      if (!ct_torch_check (ct_model_get_tensor (model, i, &tensor, &message), message, error))
        return FALSE;
      own_tensor (&tensor, &copy);
      g_array_append_val (owned, copy);
    }

  return save_owned (owned, path, metadata, error);
}

/* Turns tensor views into shim tensors; only F32 and I64 exist in our
 * models, anything else is refused by name. */
static CtTorchTensor *
views_to_torch (const CtTensorView *views,
                guint               n,
                const char         *path,
                GError            **error)
{
  g_autofree CtTorchTensor *tensors = g_new0 (CtTorchTensor, MAX (n, 1));

  for (guint i = 0; i < n; i++)
    {
      const CtTensorView *view = &views[i];

      if (view->dtype != CT_DTYPE_F32 && view->dtype != CT_DTYPE_I64)
        {
          g_set_error (error, CT_TORCH_ERROR, CT_TORCH_ERROR_MISMATCH,
                       "%s: tensor %s has dtype %s; Camtrail models hold F32 weights and I64 counters",
                       path, view->name, ct_dtype_to_string (view->dtype));
          return NULL;
        }
      tensors[i].name = view->name;
      tensors[i].dtype = view->dtype == CT_DTYPE_I64 ? CT_TORCH_DTYPE_INT64 : CT_TORCH_DTYPE_FLOAT32;
      tensors[i].n_dims = view->n_dims;
      for (guint d = 0; d < view->n_dims; d++)
        tensors[i].shape[d] = view->shape[d];
      tensors[i].data = view->data;
      tensors[i].n_bytes = view->n_bytes;
    }

  return g_steal_pointer (&tensors);
}

/* The safetensors file's tensors as shim tensors. */
static CtTorchTensor *
file_to_torch (CtSafetensors  *file,
               const char     *path,
               guint          *out_n,
               GError        **error)
{
  guint n = ct_safetensors_get_n_tensors (file);
  g_autofree CtTensorView *views = g_new0 (CtTensorView, MAX (n, 1));

  for (guint i = 0; i < n; i++)
    views[i] = *ct_safetensors_get_tensor (file, i);
  *out_n = n;
  return views_to_torch (views, n, path, error);
}

/* Loads @views into @model; a mismatch's message starts with @path. */
static gboolean
load_views (CtModel             *model,
            const CtTensorView  *views,
            guint                n,
            const char          *path,
            GError             **error)
{
  g_autofree CtTorchTensor *tensors = views_to_torch (views, n, path, error);
  g_autoptr(GError) local_error = NULL;
  char *message = NULL;

  if (tensors == NULL)
    return FALSE;
  if (!ct_torch_check (ct_model_load_state (model, tensors, n, &message), message, &local_error))
    {
      g_set_error (error, local_error->domain, local_error->code,
                   "%s: %s", path, local_error->message);
      return FALSE;
    }
  return TRUE;
}

gboolean
ct_checkpoint_load_weights (CtModel     *model,
                            CtWeights   *weights,
                            const char  *path,
                            GError     **error)
{
  guint n = ct_weights_get_n_tensors (weights);
  g_autofree CtTensorView *views = g_new0 (CtTensorView, MAX (n, 1));

  for (guint i = 0; i < n; i++)
    views[i] = *ct_weights_get_tensor (weights, i);
  return load_views (model, views, n, path, error);
}

gboolean
ct_checkpoint_load_init (CtModel      *model,
                         const char   *arch,
                         const char   *path,
                         char        **out_message,
                         CtRunSource **out_source,
                         GError      **error)
{
  g_autoptr(CtWeights) weights = ct_weights_load (path, error);
  g_autoptr(GArray) views = g_array_new (FALSE, TRUE, sizeof (CtTensorView));
  g_autoptr(GArray) owned = g_array_new (FALSE, TRUE, sizeof (OwnedTensor));
  CtWeightsShape shape;
  int n_classes = ct_model_get_n_classes (model);
  gboolean new_classifier;
  guint n_loaded = 0;

  g_array_set_clear_func (owned, (GDestroyNotify) owned_tensor_clear);
  if (weights == NULL || !ct_weights_infer_shape (weights, arch, &shape, error))
    return FALSE;
  if (g_strcmp0 (shape.arch, arch) != 0)
    {
      g_set_error (error, CT_TORCH_ERROR, CT_TORCH_ERROR_MISMATCH,
                   "%s holds a %s (its shapes say so), not a %s: train with --arch %s",
                   path, shape.arch, arch, shape.arch);
      return FALSE;
    }

  /* Another class count: the model's own fresh classifier replaces the file's. */
  new_classifier = shape.n_classes != n_classes;
  for (guint i = 0; i < ct_weights_get_n_tensors (weights); i++)
    {
      const CtTensorView *view = ct_weights_get_tensor (weights, i);

      if (new_classifier && (g_strcmp0 (view->name, shape.classifier[0]) == 0 ||
                             g_strcmp0 (view->name, shape.classifier[1]) == 0))
        continue;
      g_array_append_val (views, *view);
      n_loaded++;
    }
  if (new_classifier)
    for (size_t i = 0; i < ct_model_get_n_tensors (model); i++)
      {
        CtTorchTensor tensor;
        OwnedTensor copy = { 0 };
        char *message = NULL;

        if (!ct_torch_check (ct_model_get_tensor (model, i, &tensor, &message), message, error))
          return FALSE;
        if (g_strcmp0 (tensor.name, shape.classifier[0]) != 0 &&
            g_strcmp0 (tensor.name, shape.classifier[1]) != 0)
          continue;
        own_tensor (&tensor, &copy);
        g_array_append_val (owned, copy);
      }
  for (guint i = 0; i < owned->len; i++)
    {
      OwnedTensor *t = &g_array_index (owned, OwnedTensor, i);
      CtTensorView view = { t->name, t->dtype, t->n_dims, { 0 }, t->data, t->n_bytes };

      memcpy (view.shape, t->shape, sizeof t->shape);
      g_array_append_val (views, view);
    }

  if (!load_views (model, (CtTensorView *) views->data, views->len, path, error))
    return FALSE;

  if (new_classifier)
    *out_message = g_strdup_printf (_("loaded %u tensors, new classifier %d → %d classes"),
                                    n_loaded, shape.n_classes, n_classes);
  else
    *out_message = g_strdup_printf (_("loaded %u tensors"), n_loaded);
  *out_source = g_new0 (CtRunSource, 1);
  (*out_source)->file = g_path_get_basename (path);
  (*out_source)->sha256 = g_strdup (ct_weights_get_sha256 (weights));
  return TRUE;
}

gboolean
ct_checkpoint_load (CtModel     *model,
                    const char  *path,
                    const char  *expected_arch,
                    GError     **error)
{
  g_autoptr(CtSafetensors) file = ct_safetensors_load (path, error);
  g_autofree CtTensorView *views = NULL;
  const char *arch;
  guint n;

  if (file == NULL)
    return FALSE;

  arch = ct_safetensors_get_metadata (file, "arch");
  if (expected_arch != NULL && arch != NULL && g_strcmp0 (arch, expected_arch) != 0)
    {
      g_set_error (error, CT_TORCH_ERROR, CT_TORCH_ERROR_MISMATCH,
                   "%s is a checkpoint of %s, not of %s", path, arch, expected_arch);
      return FALSE;
    }

  n = ct_safetensors_get_n_tensors (file);
  views = g_new0 (CtTensorView, MAX (n, 1));
  for (guint i = 0; i < n; i++)
    views[i] = *ct_safetensors_get_tensor (file, i);
  return load_views (model, views, n, path, error);
}

/* A metadata value that is present and is not @expected. */
static gboolean
metadata_disagrees (CtSafetensors *file,
                    const char    *key,
                    const char    *expected,
                    const char   **out_found)
{
  *out_found = ct_safetensors_get_metadata (file, key);
  return *out_found != NULL && g_strcmp0 (*out_found, expected) != 0;
}

gboolean
ct_checkpoint_load_for_run (CtModel           *model,
                            const char        *path,
                            const CtManifest  *manifest,
                            GError           **error)
{
  g_autoptr(CtSafetensors) file = ct_safetensors_load (path, error);
  g_autofree char *n_classes = g_strdup_printf ("%d", manifest->n_classes);
  g_autofree char *channels = g_strdup_printf ("%d", manifest->channels);
  g_autofree char *input_size = g_strdup_printf ("%d", manifest->input_size);
  const struct { const char *key, *expected, *what; } fields[] = {
    { "arch", manifest->arch, "architecture" },
    { "num_classes", n_classes, "class count" },
    { "in_chans", channels, "input channels" },
    { "input_size", input_size, "input size" },
  };

  if (file == NULL)
    return FALSE;
  /* Checked before the weights: the input size leaves no trace in their
   * shapes, and the others give a clearer message here than a shape would. */
  for (guint i = 0; i < G_N_ELEMENTS (fields); i++)
    {
      const char *found;

      if (metadata_disagrees (file, fields[i].key, fields[i].expected, &found))
        {
          g_set_error (error, CT_TORCH_ERROR, CT_TORCH_ERROR_MISMATCH,
                       "%s disagrees with the run's manifest.json: its %s is %s, the manifest's %s",
                       path, fields[i].what, found, fields[i].expected);
          return FALSE;
        }
    }

  return ct_checkpoint_load (model, path, manifest->arch, error);
}

gboolean
ct_checkpoint_save_optimizer (CtTrainer  *trainer,
                              const char *path,
                              int         epoch,
                              GError    **error)
{
  g_autoptr(GArray) owned = g_array_new (FALSE, TRUE, sizeof (OwnedTensor));
  g_autoptr(GHashTable) metadata = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
  size_t n = ct_trainer_get_n_state_tensors (trainer);

  g_array_set_clear_func (owned, (GDestroyNotify) owned_tensor_clear);
  for (size_t i = 0; i < n; i++)
    {
      CtTorchTensor tensor;
      OwnedTensor copy = { 0 };
      char *message = NULL;

      if (!ct_torch_check (ct_trainer_get_state_tensor (trainer, i, &tensor, &message), message, error))
        return FALSE;
      own_tensor (&tensor, &copy);
      g_array_append_val (owned, copy);
    }

  g_hash_table_insert (metadata, (char *) "epoch", g_strdup_printf ("%d", epoch));
  g_hash_table_insert (metadata, (char *) "content", g_strdup ("camtrail optimizer state"));

  return save_owned (owned, path, metadata, error);
}

gboolean
ct_checkpoint_load_optimizer (CtTrainer  *trainer,
                              const char *path,
                              int         epoch,
                              gboolean   *out_loaded,
                              GError    **error)
{
  g_autoptr(CtSafetensors) file = NULL;
  g_autofree CtTorchTensor *tensors = NULL;
  const char *saved_epoch;
  char *message = NULL;
  guint n = 0;

  *out_loaded = FALSE;
  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    return TRUE;

  file = ct_safetensors_load (path, error);
  if (file == NULL)
    return FALSE;

  saved_epoch = ct_safetensors_get_metadata (file, "epoch");
  if (saved_epoch == NULL || g_ascii_strtoll (saved_epoch, NULL, 10) != epoch)
    return TRUE;

  tensors = file_to_torch (file, path, &n, error);
  if (tensors == NULL)
    return FALSE;
  if (!ct_torch_check (ct_trainer_load_state (trainer, tensors, n, &message), message, error))
    return FALSE;

  *out_loaded = TRUE;
  return TRUE;
}
