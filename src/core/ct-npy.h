/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Writes a C-ordered little-endian float32 array in NumPy's .npy format
 * (version 1.0, header padded to a multiple of 64 bytes), atomically.
 * Errors are in G_FILE_ERROR. */
gboolean ct_npy_write_f32 (const char   *path,
                           const float  *data,
                           guint         n_dims,
                           const gsize  *shape,
                           GError      **error);

G_END_DECLS
