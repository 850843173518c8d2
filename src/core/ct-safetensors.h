/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The safetensors format (Hugging Face): an 8-byte little-endian header
 * length, a JSON header mapping names to {dtype, shape, data_offsets} plus an
 * optional "__metadata__" string map, then the raw little-endian data. */

#define CT_SAFETENSORS_ERROR (ct_safetensors_error_quark ())

typedef enum {
  CT_SAFETENSORS_ERROR_IO,
  CT_SAFETENSORS_ERROR_HEADER,   /* malformed, hostile or inconsistent header */
  CT_SAFETENSORS_ERROR_DTYPE,    /* a dtype this reader does not know */
} CtSafetensorsError;

typedef enum {
  CT_DTYPE_F32,
  CT_DTYPE_F64,
  CT_DTYPE_F16,
  CT_DTYPE_BF16,
  CT_DTYPE_I64,
  CT_DTYPE_I32,
  CT_DTYPE_I16,
  CT_DTYPE_I8,
  CT_DTYPE_U8,
  CT_DTYPE_BOOL,
} CtDtype;

#define CT_TENSOR_MAX_DIMS 8

/* A tensor described, not owned: @name and @data are borrowed. */
typedef struct {
  const char   *name;
  CtDtype       dtype;
  guint         n_dims;
  gint64        shape[CT_TENSOR_MAX_DIMS];
  const void   *data;
  gsize         n_bytes;
} CtTensorView;

typedef struct _CtSafetensors CtSafetensors;

GQuark         ct_safetensors_error_quark      (void);

const char    *ct_dtype_to_string              (CtDtype dtype);   /* "F32", … */
gboolean       ct_dtype_from_string            (const char *str,
                                                CtDtype    *out_dtype);
gsize          ct_dtype_size                   (CtDtype dtype);

/* Reads and validates the whole file: header length within the file, JSON
 * well formed, every dtype known, every shape's byte size equal to its
 * offsets' span, offsets inside the data area, no two tensors overlapping.
 * Returns: (transfer full) (nullable). */
CtSafetensors *ct_safetensors_load             (const char     *path,
                                                GError        **error);
/* The same from memory; @what names the source in error messages. */
CtSafetensors *ct_safetensors_parse            (GBytes         *bytes,
                                                const char     *what,
                                                GError        **error);
void           ct_safetensors_free             (CtSafetensors  *self);

guint          ct_safetensors_get_n_tensors    (CtSafetensors  *self);
/* Tensors in the order of their data offsets.  Returns: (transfer none). */
const CtTensorView *ct_safetensors_get_tensor  (CtSafetensors  *self,
                                                guint           index);
/* Returns: (transfer none) (nullable). */
const CtTensorView *ct_safetensors_lookup      (CtSafetensors  *self,
                                                const char     *name);
/* Returns: (transfer none) (nullable): a "__metadata__" value. */
const char    *ct_safetensors_get_metadata     (CtSafetensors  *self,
                                                const char     *key);
/* Returns: (transfer none): the whole metadata map, string → string. */
GHashTable    *ct_safetensors_get_metadata_table (CtSafetensors *self);

/* Writes @tensors (names must be unique) and @metadata (nullable,
 * string → string) to @path atomically: a temporary file in the same
 * directory, fsync, rename.  On failure (a full disk, say) @path is untouched. */
gboolean       ct_safetensors_save             (const char         *path,
                                                const CtTensorView *tensors,
                                                guint               n_tensors,
                                                GHashTable         *metadata,
                                                GError            **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CtSafetensors, ct_safetensors_free)

G_END_DECLS
