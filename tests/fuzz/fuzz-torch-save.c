/* SPDX-License-Identifier: GPL-3.0-or-later */
/* libFuzzer target: the torch.save reader (zip directory, records, the
 * restricted pickle machine, tensor views).  The input is the file itself.
 * Whatever it accepts must describe tensors whose every byte can be read,
 * F32 or I64 only; whatever it refuses must say so in a
 * CT_TORCH_SAVE_ERROR that names the source. */
#include "ct-torch-save.h"
#include "fuzz-common.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autoptr(GBytes) bytes = g_bytes_new (data, size);
  g_autoptr(GError) error = NULL;
  g_autoptr(CtTorchSave) file = ct_torch_save_parse (bytes, "fuzz.pt", &error);

  if (file == NULL)
    {
      g_assert_error (error, CT_TORCH_SAVE_ERROR, error->code);
      g_assert_true (g_str_has_prefix (error->message, "fuzz.pt: "));
      return 0;
    }
  g_assert_nonnull (ct_torch_save_get_key (file));
  for (guint i = 0; i < ct_torch_save_get_n_tensors (file); i++)
    {
      const CtTensorView *t = ct_torch_save_get_tensor (file, i);
      gsize numel = 1;

      g_assert_true (t->dtype == CT_DTYPE_F32 || t->dtype == CT_DTYPE_I64);
      for (guint d = 0; d < t->n_dims; d++)
        numel *= (gsize) t->shape[d];
      g_assert_cmpuint (t->n_bytes, ==, numel * ct_dtype_size (t->dtype));
      g_assert_true (g_utf8_validate (t->name, -1, NULL));
      fuzz_touch (t->data, t->n_bytes);
    }
  return 0;
}
