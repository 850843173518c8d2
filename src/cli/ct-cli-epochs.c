/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <gio/gio.h>

#include "ct-cli.h"

/* Plain GLib, apart from the rest of the CLI, so that tests/fuzz can
 * build it without torch. */

GArray *
ct_cli_parse_epochs (const char  *text,
                     GArray      *available,
                     GError     **error)
{
  g_auto(GStrv) parts = g_strsplit (text, ",", -1);
  GArray *epochs = g_array_new (FALSE, FALSE, sizeof (int));
  int last = g_array_index (available, int, available->len - 1);

  for (guint i = 0; parts[i] != NULL; i++)
    {
      const char *part = g_strstrip (parts[i]);
      gint64 epoch;
      gboolean found = FALSE;

      if (g_str_equal (part, "all"))
        {
          g_array_append_vals (epochs, available->data, available->len);
          continue;
        }
      if (g_str_equal (part, "last"))
        epoch = last;
      else if (!g_ascii_string_to_signed (part, 10, 0, G_MAXINT, &epoch, NULL))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       "--epochs: “%s” is not an epoch number, “last” or “all”", part);
          g_array_unref (epochs);
          return NULL;
        }
      for (guint j = 0; j < available->len; j++)
        found |= g_array_index (available, int, j) == epoch;
      if (!found)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       "--epochs: the run has no checkpoint for epoch %" G_GINT64_FORMAT
                       " (it has 0–%d)", epoch, last);
          g_array_unref (epochs);
          return NULL;
        }
      g_array_append_vals (epochs, &(int) { (int) epoch }, 1);
    }
  return epochs;
}
