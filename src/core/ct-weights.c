/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "ct-weights.h"

#include <stdlib.h>
#include <string.h>

#include "ct-torch-save.h"

G_DEFINE_QUARK (ct-weights-error-quark, ct_weights_error)

#define MAX_EPOCH 100000

struct _CtWeights
{
  CtSafetensors *safetensors;
  CtTorchSave   *torch_save;
  CtTensorView  *tensors;     /* names point into names */
  char         **names;
  GPtrArray     *widened;     /* safetensors data converted to F32 / I64 */
  guint          n_tensors;
  GHashTable    *by_name;
  gboolean       has_epoch;
  gint64         epoch;
  char          *sha256;
};

void
ct_weights_free (CtWeights *self)
{
  if (self == NULL)
    return;
  g_clear_pointer (&self->safetensors, ct_safetensors_free);
  g_clear_pointer (&self->torch_save, ct_torch_save_free);
  g_free (self->tensors);
  g_strfreev (self->names);
  g_clear_pointer (&self->widened, g_ptr_array_unref);
  g_clear_pointer (&self->by_name, g_hash_table_unref);
  g_free (self->sha256);
  g_free (self);
}

const char *
ct_weights_strip_prefix (const char *name)
{
  static const char *const prefixes[] = { "module.", "_orig_mod." };
  gboolean stripped = TRUE;

  while (stripped)
    {
      stripped = FALSE;
      for (guint i = 0; i < G_N_ELEMENTS (prefixes); i++)
        if (g_str_has_prefix (name, prefixes[i]) && name[strlen (prefixes[i])] != '\0')
          {
            name += strlen (prefixes[i]);
            stripped = TRUE;
          }
    }
  return name;
}

CtWeights *
ct_weights_load (const char  *path,
                 GError     **error)
{
  g_autoptr(CtWeights) self = g_new0 (CtWeights, 1);
  g_autoptr(GMappedFile) mapped = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) local_error = NULL;
  const guint8 *data;
  gsize size;

  mapped = g_mapped_file_new (path, FALSE, &local_error);
  if (mapped == NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  bytes = g_mapped_file_get_bytes (mapped);
  data = g_bytes_get_data (bytes, &size);
  self->sha256 = g_compute_checksum_for_data (G_CHECKSUM_SHA256, size > 0 ? data : (const guint8 *) "", size);

  /* torch.save before PyTorch 1.6 wrote a bare pickle, protocol 2. */
  if (size >= 2 && data[0] == 0x80 && data[1] == 0x02)
    {
      g_set_error (error, CT_WEIGHTS_ERROR, CT_WEIGHTS_ERROR_FORMAT,
                   "%s: the legacy torch.save format (before PyTorch 1.6) is not read; "
                   "save it again with a current PyTorch, or as safetensors", path);
      return NULL;
    }
  if (ct_torch_save_looks_like (data, size))
    {
      self->torch_save = ct_torch_save_parse (bytes, path, error);
      if (self->torch_save == NULL)
        return NULL;
      self->n_tensors = ct_torch_save_get_n_tensors (self->torch_save);
      self->has_epoch = ct_torch_save_get_epoch (self->torch_save, &self->epoch);
    }
  else
    {
      const char *epoch;

      self->safetensors = ct_safetensors_parse (bytes, path, error);
      if (self->safetensors == NULL)
        return NULL;
      self->n_tensors = ct_safetensors_get_n_tensors (self->safetensors);
      epoch = ct_safetensors_get_metadata (self->safetensors, "epoch");
      self->has_epoch = epoch != NULL && g_ascii_string_to_signed (epoch, 10, 0, G_MAXINT64,
                                                                   &self->epoch, NULL);
    }

  self->tensors = g_new0 (CtTensorView, MAX (self->n_tensors, 1));
  self->names = g_new0 (char *, self->n_tensors + 1);
  self->by_name = g_hash_table_new (g_str_hash, g_str_equal);
  self->widened = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < self->n_tensors; i++)
    {
      const CtTensorView *view = self->torch_save != NULL
                                 ? ct_torch_save_get_tensor (self->torch_save, i)
                                 : ct_safetensors_get_tensor (self->safetensors, i);
      CtTensorView *previous;

      self->tensors[i] = *view;
      /* Half, bfloat16 and double weights become float32, as torch.save's do. */
      if (view->dtype != CT_DTYPE_F32 && view->dtype != CT_DTYPE_I64)
        {
          guint8 *data = NULL;

          if (!ct_tensor_widen (view, &self->tensors[i], &data))
            {
              g_set_error (error, CT_WEIGHTS_ERROR, CT_WEIGHTS_ERROR_FORMAT,
                           "%s: tensor %s is boolean; weights are numbers", path, view->name);
              return NULL;
            }
          g_ptr_array_add (self->widened, data);
        }
      self->names[i] = g_strdup (ct_weights_strip_prefix (view->name));
      self->tensors[i].name = self->names[i];
      previous = g_hash_table_lookup (self->by_name, self->names[i]);
      if (previous != NULL)
        {
          g_set_error (error, CT_WEIGHTS_ERROR, CT_WEIGHTS_ERROR_FORMAT,
                       "%s: two tensors are named %s once the module./_orig_mod. prefixes "
                       "are removed (one of them is %s)", path, self->names[i], view->name);
          return NULL;
        }
      g_hash_table_insert (self->by_name, self->names[i], &self->tensors[i]);
    }

  return g_steal_pointer (&self);
}

guint
ct_weights_get_n_tensors (CtWeights *self)
{
  return self->n_tensors;
}

const CtTensorView *
ct_weights_get_tensor (CtWeights *self,
                       guint      index)
{
  g_return_val_if_fail (index < self->n_tensors, NULL);
  return &self->tensors[index];
}

const CtTensorView *
ct_weights_lookup (CtWeights  *self,
                   const char *name)
{
  return g_hash_table_lookup (self->by_name, name);
}

gboolean
ct_weights_get_epoch (CtWeights *self,
                      gint64    *out_epoch)
{
  if (self->has_epoch && out_epoch != NULL)
    *out_epoch = self->epoch;
  return self->has_epoch;
}

const char *
ct_weights_get_sha256 (CtWeights *self)
{
  return self->sha256;
}

/* Per architecture: its first convolution and its classifier. */
static const struct {
  const char *arch;
  const char *first_conv;
  const char *classifier_weight;
  const char *classifier_bias;
} arch_table[] = {
  { "camtrail_net", "stem.conv.weight", "head.fc.weight", NULL },
  { "resnet18", "conv1.weight", "fc.weight", "fc.bias" },
  { "resnet18_imagenet", "conv1.weight", "fc.weight", "fc.bias" },
  { "resnet34", "conv1.weight", "fc.weight", "fc.bias" },
  { "resnet50", "conv1.weight", "fc.weight", "fc.bias" },
  { "efficientnet_b0", "conv_stem.weight", "classifier.weight", "classifier.bias" },
};

static const char *
shape_text (const CtTensorView *view,
            char               *buffer,
            gsize               size)
{
  g_autoptr(GString) text = g_string_new ("[");

  for (guint d = 0; d < view->n_dims; d++)
    g_string_append_printf (text, "%s%" G_GINT64_FORMAT, d > 0 ? ", " : "", view->shape[d]);
  g_string_append_c (text, ']');
  g_strlcpy (buffer, text->str, size);
  return buffer;
}

gboolean
ct_weights_infer_shape (CtWeights      *self,
                        const char     *arch,
                        CtWeightsShape *out,
                        GError        **error)
{
  const CtTensorView *conv, *classifier;
  char shape[128];
  guint row = G_N_ELEMENTS (arch_table);

  for (guint i = 0; i < G_N_ELEMENTS (arch_table); i++)
    if (g_strcmp0 (arch, arch_table[i].arch) == 0)
      row = i;
  if (row == G_N_ELEMENTS (arch_table))
    {
      g_set_error (error, CT_WEIGHTS_ERROR, CT_WEIGHTS_ERROR_MISMATCH,
                   "unknown architecture “%s”", arch);
      return FALSE;
    }

  conv = ct_weights_lookup (self, arch_table[row].first_conv);
  classifier = ct_weights_lookup (self, arch_table[row].classifier_weight);
  if (conv == NULL || classifier == NULL)
    {
      g_set_error (error, CT_WEIGHTS_ERROR, CT_WEIGHTS_ERROR_MISMATCH,
                   "tensor %s missing: the checkpoint is not a %s (it has %u tensors, the first %s)",
                   conv == NULL ? arch_table[row].first_conv : arch_table[row].classifier_weight,
                   arch, self->n_tensors, self->n_tensors > 0 ? self->tensors[0].name : "none");
      return FALSE;
    }
  if (conv->n_dims != 4 || classifier->n_dims != 2 || classifier->shape[0] < 2 ||
      classifier->shape[0] > 100000 || (conv->shape[1] != 1 && conv->shape[1] != 3))
    {
      char other[128];

      g_set_error (error, CT_WEIGHTS_ERROR, CT_WEIGHTS_ERROR_MISMATCH,
                   "%s is %s and %s is %s: not the shapes of a %s with 1 or 3 input channels "
                   "and 2 to 100000 classes", conv->name, shape_text (conv, shape, sizeof shape),
                   classifier->name, shape_text (classifier, other, sizeof other), arch);
      return FALSE;
    }

  memset (out, 0, sizeof *out);
  out->arch = arch_table[row].arch;
  /* torchvision's ImageNet stem is a 7×7 conv1; Camtrail's resnet18 the CIFAR 3×3. */
  if (g_str_equal (arch, "resnet18") && conv->shape[2] == 7 && conv->shape[3] == 7)
    out->arch = "resnet18_imagenet";
  out->n_classes = (int) classifier->shape[0];
  out->in_channels = (int) conv->shape[1];
  if (g_str_equal (arch, "camtrail_net"))
    {
      const CtTensorView *stage = ct_weights_lookup (self, "stages.0.conv1.weight");

      out->width = stage != NULL && stage->n_dims == 4 ? (int) stage->shape[0] : 0;
    }
  out->classifier[0] = arch_table[row].classifier_weight;
  out->classifier[1] = arch_table[row].classifier_bias;
  return TRUE;
}

/* ---- Epoch numbers -------------------------------------------------------- */

/* The runs of decimal digits in @path's file name, its extension left out. */
static GArray *
digit_runs (const char *path)
{
  g_autofree char *base = g_path_get_basename (path);
  GArray *runs = g_array_new (FALSE, FALSE, sizeof (gint64));
  char *dot = strrchr (base, '.');

  if (dot != NULL && dot != base)
    *dot = '\0';
  for (const char *p = base; *p != '\0';)
    {
      if (g_ascii_isdigit (*p))
        {
          gint64 value = 0;

          for (; g_ascii_isdigit (*p); p++)
            value = value > MAX_EPOCH ? value : value * 10 + (*p - '0');
          g_array_append_val (runs, value);
        }
      else
        p++;
    }
  return runs;
}

static gboolean
epochs_from_names (const char * const *paths,
                   guint               n,
                   int                *out)
{
  g_autoptr(GPtrArray) runs = g_ptr_array_new_with_free_func ((GDestroyNotify) g_array_unref);
  guint length, varying = G_MAXUINT;

  for (guint i = 0; i < n; i++)
    g_ptr_array_add (runs, digit_runs (paths[i]));
  length = ((GArray *) g_ptr_array_index (runs, 0))->len;
  if (length == 0)
    return FALSE;
  for (guint i = 1; i < n; i++)
    if (((GArray *) g_ptr_array_index (runs, i))->len != length)
      return FALSE;

  if (n == 1)
    {
      if (length != 1)
        return FALSE;
      varying = 0;
    }
  else
    for (guint k = 0; k < length; k++)
      {
        gboolean differs = FALSE;

        for (guint i = 1; i < n; i++)
          differs |= g_array_index ((GArray *) g_ptr_array_index (runs, i), gint64, k) !=
                     g_array_index ((GArray *) g_ptr_array_index (runs, 0), gint64, k);
        if (differs && varying != G_MAXUINT)
          return FALSE;
        if (differs)
          varying = k;
      }
  if (varying == G_MAXUINT)
    return FALSE;
  for (guint i = 0; i < n; i++)
    {
      gint64 value = g_array_index ((GArray *) g_ptr_array_index (runs, i), gint64, varying);

      if (value > MAX_EPOCH)
        return FALSE;
      out[i] = (int) value;
    }
  return TRUE;
}

static gboolean
parse_typed (const char  *typed,
             guint        n,
             int         *out,
             GError     **error)
{
  g_auto(GStrv) parts = g_strsplit (typed, ",", -1);
  guint count = g_strv_length (parts);

  if (count != n)
    {
      g_set_error (error, CT_WEIGHTS_ERROR, CT_WEIGHTS_ERROR_EPOCHS,
                   "--epochs lists %u epochs for %u checkpoints", count, n);
      return FALSE;
    }
  for (guint i = 0; i < n; i++)
    {
      guint64 value;

      if (!g_ascii_string_to_unsigned (g_strstrip (parts[i]), 10, 0, MAX_EPOCH, &value, NULL))
        {
          g_set_error (error, CT_WEIGHTS_ERROR, CT_WEIGHTS_ERROR_EPOCHS,
                       "--epochs: “%s” is not an epoch number from 0 to %d", parts[i], MAX_EPOCH);
          return FALSE;
        }
      out[i] = (int) value;
    }
  return TRUE;
}

gboolean
ct_weights_assign_epochs (const char * const *paths,
                          guint               n,
                          const gint64       *file_epochs,
                          const char         *typed,
                          int                *out,
                          GError            **error)
{
  const char *source;
  gboolean all_in_files = n > 0;

  g_return_val_if_fail (n > 0, FALSE);

  for (guint i = 0; i < n; i++)
    all_in_files &= file_epochs[i] >= 0 && file_epochs[i] <= MAX_EPOCH;

  if (typed != NULL)
    {
      if (!parse_typed (typed, n, out, error))
        return FALSE;
      source = "--epochs";
    }
  else if (all_in_files)
    {
      for (guint i = 0; i < n; i++)
        out[i] = (int) file_epochs[i];
      source = "the files' epoch entries";
    }
  else if (epochs_from_names (paths, n, out))
    source = "the digits of the file names";
  else
    {
      g_set_error (error, CT_WEIGHTS_ERROR, CT_WEIGHTS_ERROR_EPOCHS,
                   "cannot tell the checkpoints' epochs: not every file has an epoch entry, and "
                   "no single run of digits in the file names numbers them; pass --epochs "
                   "(e.g. --epochs 0,1,2,3,20), one per checkpoint in order");
      return FALSE;
    }

  for (guint i = 0; i < n; i++)
    for (guint j = i + 1; j < n; j++)
      if (out[i] == out[j])
        {
          g_set_error (error, CT_WEIGHTS_ERROR, CT_WEIGHTS_ERROR_EPOCHS,
                       "%s and %s both get epoch %d from %s; pass --epochs, one per checkpoint",
                       paths[i], paths[j], out[i], source);
          return FALSE;
        }
  return TRUE;
}
