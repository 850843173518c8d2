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

/* A member {"mean": @mean, "ci95": @ci95}: a mean over images with the
 * half-width of its 95% interval, as every study's JSON writes it. */
void     ct_json_add_mean_ci95 (JsonBuilder *builder,
                                const char  *name,
                                double       mean,
                                double       ci95);

/* The CSV tables written beside the JSON files: appends a comma and
 * @value with six decimals and a decimal point whatever the locale, or
 * nothing after the comma when @value is not finite (an empty cell). */
void     ct_csv_append_number (GString    *line,
                               double      value);

/* Writes @builder's root, pretty-printed with 2-space indentation, to
 * @path atomically (a temporary file, fsync, rename). */
gboolean ct_json_write_file  (JsonBuilder *builder,
                              const char  *path,
                              GError     **error);

G_END_DECLS
