/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "ct-npy.h"

#include <string.h>

/* NumPy aligns the data so readers can map it; version 1.0 stores the
 * header length in 16 bits. */
#define NPY_ALIGN          64
#define NPY_PREAMBLE_LEN   10   /* magic (6) + version (2) + header length (2) */
#define NPY_MAX_HEADER_LEN G_MAXUINT16

/* The header dict as NumPy writes it: shape as Python prints a tuple. */
static GString *
build_header (guint        n_dims,
              const gsize *shape)
{
  GString *header = g_string_new ("{'descr': '<f4', 'fortran_order': False, 'shape': (");
  gsize total;

  for (guint i = 0; i < n_dims; i++)
    {
      if (i > 0)
        g_string_append (header, ", ");
      g_string_append_printf (header, "%" G_GSIZE_FORMAT, shape[i]);
    }
  /* A one-element tuple needs its trailing comma: (5,). */
  if (n_dims == 1)
    g_string_append_c (header, ',');
  g_string_append (header, "), }");

  /* Spaces, then a newline, up to the alignment. */
  total = NPY_PREAMBLE_LEN + header->len + 1;
  g_string_append_len (header, "                                                                ",
                       (NPY_ALIGN - total % NPY_ALIGN) % NPY_ALIGN);
  g_string_append_c (header, '\n');

  return header;
}

gboolean
ct_npy_write_f32 (const char   *path,
                  const float  *data,
                  guint         n_dims,
                  const gsize  *shape,
                  GError      **error)
{
  g_autoptr(GString) header = NULL;
  g_autofree char *display_name = NULL;
  g_autofree guint8 *contents = NULL;
  gsize n_elements = 1, data_len, total;
  guint16 header_len_le;

  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (shape != NULL || n_dims == 0, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  display_name = g_filename_display_name (path);

  for (guint i = 0; i < n_dims; i++)
    {
      if (!g_size_checked_mul (&n_elements, n_elements, shape[i]))
        {
          g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                       "Cannot save “%s”: the array shape overflows", display_name);
          return FALSE;
        }
    }
  g_return_val_if_fail (data != NULL || n_elements == 0, FALSE);

  header = build_header (n_dims, shape);
  if (header->len > NPY_MAX_HEADER_LEN
      || !g_size_checked_mul (&data_len, n_elements, sizeof (float))
      || !g_size_checked_add (&total, NPY_PREAMBLE_LEN + header->len, data_len))
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                   "Cannot save “%s”: the array is too large for .npy 1.0",
                   display_name);
      return FALSE;
    }

  contents = g_try_malloc (total);
  if (contents == NULL)
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_NOMEM,
                   "Cannot save “%s”: not enough memory for %" G_GSIZE_FORMAT " bytes",
                   display_name, total);
      return FALSE;
    }

  memcpy (contents, "\x93NUMPY\x01\x00", 8);
  header_len_le = GUINT16_TO_LE ((guint16) header->len);
  memcpy (contents + 8, &header_len_le, 2);
  memcpy (contents + NPY_PREAMBLE_LEN, header->str, header->len);

#if G_BYTE_ORDER == G_LITTLE_ENDIAN
  if (data_len > 0)
    memcpy (contents + NPY_PREAMBLE_LEN + header->len, data, data_len);
#else
  for (gsize i = 0; i < n_elements; i++)
    {
      guint32 bits;

      memcpy (&bits, &data[i], 4);
      bits = GUINT32_TO_LE (bits);
      memcpy (contents + NPY_PREAMBLE_LEN + header->len + 4 * i, &bits, 4);
    }
#endif

  /* Its errors are already G_FILE_ERROR and name the file. */
  return g_file_set_contents_full (path, (const char *) contents, total,
                                   G_FILE_SET_CONTENTS_CONSISTENT, 0644, error);
}
