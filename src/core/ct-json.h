/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* Nothing Camtrail reads nests deeper than a few levels. */
#define CT_JSON_MAX_DEPTH 64

/* json_parser_load_from_data() for untrusted text: json-glib 1.6 parses
 * arrays and objects by recursion, so a few hundred kilobytes of "[" overflow
 * the stack.  Text that nests deeper than CT_JSON_MAX_DEPTH is refused
 * first, with JSON_PARSER_ERROR_PARSE and the byte offset. */
gboolean ct_json_parser_load (JsonParser  *parser,
                              const char  *data,
                              gsize        length,
                              GError     **error);

G_END_DECLS
