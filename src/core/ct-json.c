/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "ct-json.h"

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
