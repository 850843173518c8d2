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

/* Members for a JsonBuilder inside an object: a NULL string and a
 * non-finite double are written as null; a seed above G_MAXINT64 (JSON-GLib
 * writes signed integers only) as its exact decimal string. */
void     ct_json_add_string  (JsonBuilder *builder,
                              const char  *name,
                              const char  *value);
void     ct_json_add_int     (JsonBuilder *builder,
                              const char  *name,
                              gint64       value);
void     ct_json_add_double  (JsonBuilder *builder,
                              const char  *name,
                              double       value);
void     ct_json_add_seed    (JsonBuilder *builder,
                              const char  *name,
                              guint64      seed);

/* Writes @builder's root, pretty-printed with 2-space indentation, to
 * @path atomically (a temporary file, fsync, rename). */
gboolean ct_json_write_file  (JsonBuilder *builder,
                              const char  *path,
                              GError     **error);

G_END_DECLS
