/* SPDX-License-Identifier: GPL-3.0-or-later */
/* libFuzzer target: the perturbation specs of `camtrail-cli robustness
 * --perturb` and the window's study, ct_robustness_parse_perturbations(),
 * and their spelling back, which must parse to the same perturbations. */
#include <gio/gio.h>
#include <string.h>

#include "ct-robustness.h"
#include "fuzz-common.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autofree char *text = g_strndup ((const char *) data, size);
  g_autoptr(GArray) perturbations = NULL;
  g_autoptr(GError) error = NULL;

  perturbations = ct_robustness_parse_perturbations (text, &error);
  if (perturbations == NULL)
    {
      /* The message quotes the bad item as typed, bytes and all. */
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
      return 0;
    }
  g_assert_no_error (error);

  for (guint i = 0; i < perturbations->len; i++)
    {
      const CtPerturb *perturb = &g_array_index (perturbations, CtPerturb, i);
      g_autofree char *label = ct_robustness_dup_label (perturb);
      g_autofree char *description = ct_perturb_describe (perturb);
      g_autoptr(GArray) again = NULL;
      g_autofree char *label_again = NULL;

      g_assert_true (g_utf8_validate (label, -1, NULL));
      g_assert_true (g_utf8_validate (description, -1, NULL));
      /* A label joins several perturbations with '+', which the parser
       * does not read; single ones spell back to themselves. */
      if (strchr (label, '+') != NULL)
        continue;
      again = ct_robustness_parse_perturbations (label, &error);
      if (again == NULL)
        g_error ("“%s” (from “%s”) does not parse back: %s", label, text, error->message);
      g_assert_cmpuint (again->len, >=, 1);
      label_again = ct_robustness_dup_label (&g_array_index (again, CtPerturb, 0));
      g_assert_cmpstr (label_again, ==, label);
    }

  return 0;
}
