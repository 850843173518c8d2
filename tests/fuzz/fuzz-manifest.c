/* SPDX-License-Identifier: GPL-3.0-or-later */
/* libFuzzer target: the run manifest reader, ct_manifest_load(), and the
 * writer on whatever the reader accepts (a resumed training saves the
 * manifest it loaded). */
#include <string.h>

#include "ct-run.h"
#include "fuzz-common.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

static void
assert_utf8 (const char *text)
{
  g_assert_nonnull (text);
  g_assert_true (g_utf8_validate (text, -1, NULL));
}

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autoptr(CtManifest) manifest = NULL;
  g_autoptr(CtManifest) again = NULL;
  g_autoptr(GError) error = NULL;

  g_free (fuzz_write_file ("manifest.json", data, size));
  manifest = ct_manifest_load (fuzz_dir (), &error);
  if (manifest == NULL)
    {
      g_assert_error (error, CT_RUN_ERROR, error->code);
      g_assert_nonnull (strstr (error->message, "manifest.json"));
      return 0;
    }

  /* Names end up in messages, figures and the window: UTF-8 throughout. */
  g_assert_cmpint (g_strv_length (manifest->classes), ==, manifest->n_classes);
  for (int i = 0; i < manifest->n_classes; i++)
    assert_utf8 (manifest->classes[i]);
  for (guint i = 0; i < manifest->n_layers; i++)
    assert_utf8 (manifest->layers[i].name);
  assert_utf8 (manifest->arch);
  assert_utf8 (manifest->default_layer);
  assert_utf8 (manifest->dataset);
  assert_utf8 (manifest->dataset_path);
  assert_utf8 (manifest->created);

  if (!ct_manifest_save (manifest, fuzz_dir (), &error))
    g_error ("a manifest the reader accepts cannot be saved: %s", error->message);
  again = ct_manifest_load (fuzz_dir (), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (again->arch, ==, manifest->arch);
  g_assert_cmpint (again->n_classes, ==, manifest->n_classes);
  g_assert_cmpuint (again->n_layers, ==, manifest->n_layers);
  g_assert_cmpuint (again->hyper.seed, ==, manifest->hyper.seed);

  return 0;
}
