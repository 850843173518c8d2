/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <stdio.h>
#include <string.h>

#include "ct-text.h"

static const struct {
  const char *utf8;
  const char *ascii;
} spellings[] = {
  { "…", "..." }, { "→", "->" }, { "←", "<-" }, { "×", "x" }, { "±", "+/-" },
  { "“", "\"" }, { "”", "\"" }, { "„", "\"" }, { "«", "\"" }, { "»", "\"" },
  { "‘", "'" }, { "’", "'" }, { "–", "-" }, { "—", "--" }, { "−", "-" },
  { "≤", "<=" }, { "≥", ">=" }, { "≈", "~" }, { "σ", "sigma" }, { "Δ", "delta" },
  { "°", " deg" }, { "·", "-" }, { "✓", "yes" }, { "✗", "no" }, { "█", "#" },
  { "░", "." }, { "\u202f", " " }, { "\u00a0", " " },
};

char *
ct_text_to_ascii (const char *utf8)
{
  GString *text;

  g_return_val_if_fail (utf8 != NULL, NULL);

  text = g_string_sized_new (strlen (utf8));
  for (const char *p = utf8; *p != '\0';)
    {
      gboolean replaced = FALSE;

      if ((guchar) *p >= 0x80)
        for (gsize i = 0; i < G_N_ELEMENTS (spellings) && !replaced; i++)
          {
            gsize length = strlen (spellings[i].utf8);

            if (strncmp (p, spellings[i].utf8, length) == 0)
              {
                g_string_append (text, spellings[i].ascii);
                p += length;
                replaced = TRUE;
              }
          }
      if (!replaced)
        g_string_append_c (text, *p++);
    }
  return g_string_free (text, FALSE);
}

char *
ct_text_for_locale (const char *utf8)
{
  const char *charset = NULL;
  g_autofree char *ascii = NULL;
  char *converted;

  g_return_val_if_fail (utf8 != NULL, NULL);

  if (g_get_charset (&charset))
    return g_strdup (utf8);
  ascii = ct_text_to_ascii (utf8);
  converted = g_convert_with_fallback (ascii, -1, charset, "UTF-8", "?", NULL, NULL, NULL);
  return converted != NULL ? converted : g_steal_pointer (&ascii);
}

static void
print_to (FILE       *stream,
          const char *utf8)
{
  g_autofree char *text = ct_text_for_locale (utf8);

  fputs (text, stream);
  fflush (stream);
}

static void
print_cb (const char *utf8)
{
  print_to (stdout, utf8);
}

static void
printerr_cb (const char *utf8)
{
  print_to (stderr, utf8);
}

void
ct_text_install_print_handlers (void)
{
  g_set_print_handler (print_cb);
  g_set_printerr_handler (printerr_cb);
}
