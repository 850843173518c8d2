/* SPDX-License-Identifier: GPL-3.0-or-later */
/* libFuzzer target: the run manifest reader, ct_manifest_load(), and the
 * writer on whatever the reader accepts (a resumed training saves the
 * manifest it loaded). */
#include <string.h>

#include "ct-run.h"
#include "fuzz-common.h"

int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  fuzz_init ();
  return 0;
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

  g_assert_cmpint (g_strv_length (manifest->classes), ==, manifest->n_classes);
  for (guint i = 0; i < manifest->n_layers; i++)
    g_assert_nonnull (manifest->layers[i].name);

  if (!ct_manifest_save (manifest, fuzz_dir (), &error))
    g_error ("a manifest the reader accepts cannot be saved: %s", error->message);
  again = ct_manifest_load (fuzz_dir (), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (again->arch, ==, manifest->arch);
  g_assert_cmpint (again->n_classes, ==, manifest->n_classes);
  g_assert_cmpuint (again->n_layers, ==, manifest->n_layers);
  g_assert_cmpuint (again->seed, ==, manifest->seed);

  return 0;
}
