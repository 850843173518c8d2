/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define CT_PNG_ERROR (ct_png_error_quark ())

typedef enum {
  CT_PNG_ERROR_IO,
  CT_PNG_ERROR_FORMAT,
} CtPngError;

GQuark   ct_png_error_quark  (void);

/* Writes an image given as Cairo's CAIRO_FORMAT_ARGB32 data (premultiplied,
 * native-endian 32-bit pixels) as an 8-bit RGBA PNG with one tEXt chunk per
 * key/value pair (@text_keys and @text_values are NULL-terminated, same
 * length, keys 1–79 Latin-1 characters; values are written as iTXt when they
 * are not plain ASCII).  Atomic: temp file, fsync, rename. */
gboolean ct_png_write_argb32 (const char          *path,
                              guint                width,
                              guint                height,
                              gsize                stride,
                              const guint8        *data,
                              const char * const  *text_keys,
                              const char * const  *text_values,
                              GError             **error);

/* Reads a PNG as 8-bit RGBA (4 bytes per pixel, rows packed) and its text
 * chunks (tEXt, zTXt, iTXt) into @out_text (nullable; key → value).
 * Returns: (transfer full) (nullable): the pixels, g_free() them. */
guint8  *ct_png_read_rgba    (const char          *path,
                              guint               *out_width,
                              guint               *out_height,
                              GHashTable         **out_text,
                              GError             **error);

G_END_DECLS
