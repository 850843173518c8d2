/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "ct-json.h"

#include <math.h>

/* The offset of the first bracket nested deeper than @max_depth, or -1.
 * Brackets inside strings do not count; the parser judges the rest. */
static gssize
find_too_deep (const char *data,
               gsize       length,
               guint       max_depth)
{
  gboolean in_string = FALSE;
  guint depth = 0;

  for (gsize i = 0; i < length; i++)
    {
      char c = data[i];

      if (in_string)
        {
          if (c == '\\')
            i++;
          else if (c == '"')
            in_string = FALSE;
        }
      else if (c == '"')
        {
          in_string = TRUE;
        }
      else if (c == '[' || c == '{')
        {
          if (++depth > max_depth)
            return (gssize) i;
        }
      else if ((c == ']' || c == '}') && depth > 0)
        {
          depth--;
        }
    }

  return -1;
}

gboolean
ct_json_parser_load (JsonParser  *parser,
                     const char  *data,
                     gsize        length,
                     GError     **error)
{
  gssize too_deep;

  g_return_val_if_fail (JSON_IS_PARSER (parser), FALSE);
  g_return_val_if_fail (data != NULL || length == 0, FALSE);

  too_deep = find_too_deep (data, length, CT_JSON_MAX_DEPTH);
  if (too_deep >= 0)
    {
      g_set_error (error, JSON_PARSER_ERROR, JSON_PARSER_ERROR_PARSE,
                   "at byte %" G_GSSIZE_FORMAT ": arrays and objects nest deeper than %u levels",
                   too_deep, CT_JSON_MAX_DEPTH);
      return FALSE;
    }

  return json_parser_load_from_data (parser, data != NULL ? data : "", (gssize) length, error);
}

void
ct_json_add_string (JsonBuilder *builder,
                    const char  *name,
                    const char  *value)
{
  json_builder_set_member_name (builder, name);
  if (value != NULL)
    json_builder_add_string_value (builder, value);
  else
    json_builder_add_null_value (builder);
}

void
ct_json_add_int (JsonBuilder *builder,
                 const char  *name,
                 gint64       value)
{
  json_builder_set_member_name (builder, name);
  json_builder_add_int_value (builder, value);
}

void
ct_json_add_mean_ci95 (JsonBuilder *builder,
                       const char  *name,
                       double       mean,
                       double       ci95)
{
  json_builder_set_member_name (builder, name);
  json_builder_begin_object (builder);
  ct_json_add_double (builder, "mean", mean);
  ct_json_add_double (builder, "ci95", ci95);
  json_builder_end_object (builder);
}

void
ct_csv_append_number (GString *line,
                      double   value)
{
  char buffer[G_ASCII_DTOSTR_BUF_SIZE];

  g_string_append_c (line, ',');
  if (isfinite (value))
    g_string_append (line, g_ascii_formatd (buffer, sizeof buffer, "%.6f", value));
}

void
ct_json_add_double (JsonBuilder *builder,
                    const char  *name,
                    double       value)
{
  json_builder_set_member_name (builder, name);
  if (isfinite (value))
    json_builder_add_double_value (builder, value);
  else
    json_builder_add_null_value (builder);
}

void
ct_json_add_seed (JsonBuilder *builder,
                  const char  *name,
                  guint64      seed)
{
  if (seed <= G_MAXINT64)
    {
      ct_json_add_int (builder, name, (gint64) seed);
    }
  else
    {
      g_autofree char *text = g_strdup_printf ("%" G_GUINT64_FORMAT, seed);

      ct_json_add_string (builder, name, text);
    }
}

gboolean
ct_json_write_file (JsonBuilder  *builder,
                    const char   *path,
                    GError      **error)
{
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = json_builder_get_root (builder);
  g_autofree char *text = NULL;
  gsize length;

  json_generator_set_root (generator, root);
  json_generator_set_pretty (generator, TRUE);
  json_generator_set_indent (generator, 2);
  text = json_generator_to_data (generator, &length);

  return g_file_set_contents_full (path, text, length,
                                   G_FILE_SET_CONTENTS_CONSISTENT, 0644, error);
}
