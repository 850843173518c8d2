/* SPDX-License-Identifier: GPL-3.0-or-later */
/* libFuzzer target: the safetensors reader (header and data), and the
 * writer on whatever the reader accepts: saving and loading again must give
 * the same tensors. */
#include <string.h>

#include "ct-safetensors.h"
#include "fuzz-common.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

static void
assert_same_tensors (CtSafetensors *a,
                     CtSafetensors *b)
{
  g_assert_cmpuint (ct_safetensors_get_n_tensors (a), ==, ct_safetensors_get_n_tensors (b));
  for (guint i = 0; i < ct_safetensors_get_n_tensors (a); i++)
    {
      const CtTensorView *ta = ct_safetensors_get_tensor (a, i);
      const CtTensorView *tb = ct_safetensors_lookup (b, ta->name);

      g_assert_nonnull (tb);
      g_assert_cmpint (ta->dtype, ==, tb->dtype);
      g_assert_cmpuint (ta->n_dims, ==, tb->n_dims);
      g_assert_cmpmem (ta->shape, ta->n_dims * sizeof ta->shape[0],
                       tb->shape, tb->n_dims * sizeof tb->shape[0]);
      g_assert_cmpmem (ta->data, ta->n_bytes, tb->data, tb->n_bytes);
    }
  g_assert_cmpuint (g_hash_table_size (ct_safetensors_get_metadata_table (a)), ==,
                    g_hash_table_size (ct_safetensors_get_metadata_table (b)));
}

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autoptr(GBytes) bytes = g_bytes_new (data, size);
  g_autoptr(CtSafetensors) st = NULL;
  g_autoptr(CtSafetensors) again = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree CtTensorView *views = NULL;
  g_autofree char *path = NULL;
  GHashTableIter iter;
  gpointer key, value;
  guint n;

  st = ct_safetensors_parse (bytes, "fuzz.safetensors", &error);
  if (st == NULL)
    {
      g_assert_error (error, CT_SAFETENSORS_ERROR, error->code);
      g_assert_true (g_str_has_prefix (error->message, "fuzz.safetensors: "));
      return 0;
    }

  n = ct_safetensors_get_n_tensors (st);
  views = g_new0 (CtTensorView, MAX (n, 1));
  for (guint i = 0; i < n; i++)
    {
      views[i] = *ct_safetensors_get_tensor (st, i);
      fuzz_touch (views[i].data, views[i].n_bytes);
      g_assert_true (ct_safetensors_lookup (st, views[i].name) == ct_safetensors_get_tensor (st, i));
    }
  g_hash_table_iter_init (&iter, ct_safetensors_get_metadata_table (st));
  while (g_hash_table_iter_next (&iter, &key, &value))
    g_assert_true (g_utf8_validate (key, -1, NULL) && g_utf8_validate (value, -1, NULL));

  path = g_build_filename (fuzz_dir (), "round-trip.safetensors", NULL);
  if (!ct_safetensors_save (path, views, n, ct_safetensors_get_metadata_table (st), &error))
    g_error ("a file the reader accepts cannot be saved: %s", error->message);
  again = ct_safetensors_load (path, &error);
  g_assert_no_error (error);
  assert_same_tensors (st, again);

  return 0;
}
