/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <locale.h>

#include "ct-text.h"

static void
test_to_ascii (void)
{
  static const struct { const char *in; const char *out; } cases[] = {
    { "Starting…", "Starting..." },
    { "epoch 1 → run/epoch-001.safetensors", "epoch 1 -> run/epoch-001.safetensors" },
    { "8 images × 3 rounds, ±30°", "8 images x 3 rounds, +/-30 deg" },
    { "“camtrail-cli COMMAND --help”", "\"camtrail-cli COMMAND --help\"" },
    { "σ 0.1, Δ−0.25 — ✓", "sigma 0.1, delta-0.25 -- yes" },
    { "plain ASCII stays", "plain ASCII stays" },
    /* Outside the table: kept for the character-set conversion to judge. */
    { "naïve", "naïve" },
    { "", "" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *ascii = ct_text_to_ascii (cases[i].in);

      g_assert_cmpstr (ascii, ==, cases[i].out);
    }
}

static void
test_for_locale (void)
{
  g_autofree char *in_c = NULL;
  g_autofree char *in_utf8 = NULL;

  g_assert_nonnull (setlocale (LC_ALL, "C"));
  g_assert_false (g_get_charset (NULL));
  in_c = ct_text_for_locale ("naïve … → ok");
  g_assert_cmpstr (in_c, ==, "na?ve ... -> ok");

  g_assert_nonnull (setlocale (LC_ALL, "C.UTF-8"));
  g_assert_true (g_get_charset (NULL));
  in_utf8 = ct_text_for_locale ("naïve … → ok");
  g_assert_cmpstr (in_utf8, ==, "naïve … → ok");
  setlocale (LC_ALL, "C");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/text/to-ascii", test_to_ascii);
  g_test_add_func ("/text/for-locale", test_for_locale);

  return g_test_run ();
}
