/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <gio/gio.h>
#include <glib/gi18n-lib.h>
#include <string.h>

#include "ct-spec.h"

static GStrv
split_items (const char *text)
{
  g_auto(GStrv) parts = g_strsplit_set (text, ", \t", -1);
  g_autoptr(GStrvBuilder) items = g_strv_builder_new ();

  for (guint i = 0; parts[i] != NULL; i++)
    if (*parts[i] != '\0')
      g_strv_builder_add (items, parts[i]);
  return g_strv_builder_end (items);
}

static gboolean
contains_int (GArray *values,
              int     value)
{
  for (guint i = 0; i < values->len; i++)
    if (g_array_index (values, int, i) == value)
      return TRUE;
  return FALSE;
}

static void
append_once (GArray *epochs,
             int     epoch)
{
  if (!contains_int (epochs, epoch))
    g_array_append_val (epochs, epoch);
}

GArray *
ct_epochs_parse (const char     *text,
                 const int      *available,
                 guint           n_available,
                 CtEpochsFlags   flags,
                 GError        **error)
{
  g_autoptr(GArray) epochs = g_array_new (FALSE, FALSE, sizeof (int));
  g_auto(GStrv) items = NULL;
  int first, last;

  g_return_val_if_fail (text != NULL, NULL);
  g_return_val_if_fail (available != NULL && n_available > 0, NULL);

  first = available[0];
  last = available[n_available - 1];
  items = split_items (text);
  if (items[0] == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("Type at least one epoch: numbers, “last” or “all”"));
      return NULL;
    }

  for (guint i = 0; items[i] != NULL; i++)
    {
      const char *item = items[i];
      gboolean found = FALSE;
      gint64 epoch;

      if (g_str_equal (item, "all"))
        {
          for (guint k = 0; k < n_available; k++)
            append_once (epochs, available[k]);
          continue;
        }
      if (g_str_equal (item, "last"))
        epoch = last;
      else if (!g_ascii_string_to_signed (item, 10, 0, G_MAXINT, &epoch, NULL))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       _("“%s” is not an epoch: use numbers, “last” or “all”"), item);
          return NULL;
        }

      for (guint k = 0; k < n_available && !found; k++)
        found = available[k] == epoch;
      if (found)
        append_once (epochs, (int) epoch);
      else if (!(flags & CT_EPOCHS_SKIP_MISSING))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       _("The run has no checkpoint for epoch %d (its checkpoints are of epochs %d to %d)"),
                       (int) epoch, first, last);
          return NULL;
        }
    }

  if (epochs->len == 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("None of the epochs “%s” has a checkpoint (the run has epochs %d to %d)"),
                   text, first, last);
      return NULL;
    }
  return g_steal_pointer (&epochs);
}

static int
compare_ints (gconstpointer a,
              gconstpointer b)
{
  return *(const int *) a - *(const int *) b;
}

void
ct_epochs_sort_unique (GArray *epochs)
{
  guint kept = 0;

  g_return_if_fail (epochs != NULL);

  g_array_sort (epochs, compare_ints);
  for (guint i = 0; i < epochs->len; i++)
    if (kept == 0 || g_array_index (epochs, int, i) != g_array_index (epochs, int, kept - 1))
      g_array_index (epochs, int, kept++) = g_array_index (epochs, int, i);
  g_array_set_size (epochs, kept);
}

char *
ct_epochs_to_string (const int *epochs,
                     guint      n_epochs)
{
  GString *text = g_string_new (NULL);

  for (guint i = 0; i < n_epochs; i++)
    g_string_append_printf (text, "%s%d", i > 0 ? ", " : "", epochs[i]);
  return g_string_free (text, FALSE);
}

GArray *
ct_images_parse (const char  *text,
                 guint        n_test,
                 GError     **error)
{
  g_autoptr(GArray) images = g_array_new (FALSE, FALSE, sizeof (guint));
  g_auto(GStrv) items = NULL;
  guint64 max = n_test > 0 ? n_test - 1 : G_MAXUINT;

  g_return_val_if_fail (text != NULL, NULL);

  items = split_items (text);
  if (items[0] == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, _("Choose at least one image"));
      return NULL;
    }
  for (guint i = 0; items[i] != NULL; i++)
    {
      guint64 index;

      if (!g_ascii_string_to_unsigned (items[i], 10, 0, max, &index, NULL))
        {
          if (n_test > 0)
            g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                         _("“%s” is not a test image: use indices from 0 to %u"), items[i], n_test - 1);
          else
            g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                         _("“%s” is not an image index"), items[i]);
          return NULL;
        }
      g_array_append_vals (images, &(guint) { (guint) index }, 1);
    }
  return g_steal_pointer (&images);
}

char *
ct_images_to_string (const guint *images,
                     guint        n_images)
{
  GString *text = g_string_new (NULL);

  for (guint i = 0; i < n_images; i++)
    g_string_append_printf (text, "%s%u", i > 0 ? ", " : "", images[i]);
  return g_string_free (text, FALSE);
}

/* "N" or "N (anything)" with N a class index. */
static gboolean
parse_class_index (const char *text,
                   int         n_classes,
                   int        *out_class)
{
  g_autofree char *number = NULL;
  const char *end = text;
  gint64 value;

  while (g_ascii_isdigit (*end))
    end++;
  if (end == text || (*end != '\0' && !g_str_has_prefix (end, " (")))
    return FALSE;
  number = g_strndup (text, end - text);
  if (!g_ascii_string_to_signed (number, 10, 0, n_classes - 1, &value, NULL))
    return FALSE;
  *out_class = (int) value;
  return TRUE;
}

gboolean
ct_target_rule_parse (const char         *text,
                      const char *const  *classes,
                      int                 n_classes,
                      CtTargetRule       *out_rule,
                      int                *out_class,
                      GError            **error)
{
  gint64 index;

  g_return_val_if_fail (out_rule != NULL && out_class != NULL, FALSE);

  if (text == NULL || g_str_equal (text, "predicted"))
    {
      *out_rule = CT_TARGET_RULE_PREDICTED;
      return TRUE;
    }
  if (g_str_equal (text, "label"))
    {
      *out_rule = CT_TARGET_RULE_LABEL;
      return TRUE;
    }
  if (n_classes > 0 && g_ascii_string_to_signed (text, 10, 0, n_classes - 1, &index, NULL))
    {
      *out_rule = CT_TARGET_RULE_CLASS;
      *out_class = (int) index;
      return TRUE;
    }
  if (n_classes > 0 && g_str_has_prefix (text, "class ") &&
      parse_class_index (text + strlen ("class "), n_classes, out_class))
    {
      *out_rule = CT_TARGET_RULE_CLASS;
      return TRUE;
    }
  for (int c = 0; classes != NULL && c < n_classes && classes[c] != NULL; c++)
    if (g_ascii_strcasecmp (classes[c], text) == 0)
      {
        *out_rule = CT_TARGET_RULE_CLASS;
        *out_class = c;
        return TRUE;
      }

  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
               _("“%s” is neither predicted, label, a class index nor a class name"), text);
  return FALSE;
}

char *
ct_target_rule_to_string (CtTargetRule        rule,
                          int                 target_class,
                          const char *const  *classes)
{
  switch (rule)
    {
    case CT_TARGET_RULE_LABEL:
      return g_strdup ("label");
    case CT_TARGET_RULE_CLASS:
      if (classes != NULL)
        return g_strdup_printf ("class %d (%s)", target_class, classes[target_class]);
      return g_strdup_printf ("class %d", target_class);
    case CT_TARGET_RULE_PREDICTED:
    default:
      return g_strdup ("predicted");
    }
}
