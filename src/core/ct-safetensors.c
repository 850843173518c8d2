/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "ct-safetensors.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <json-glib/json-glib.h>

#include "ct-json.h"

/* A header this large is hostile, not a checkpoint: refuse before parsing. */
#define CT_SAFETENSORS_MAX_HEADER_LEN (100u * 1000u * 1000u)

#define METADATA_KEY "__metadata__"

struct _CtSafetensors
{
  /* Holds the file's bytes: every view's data points into it. */
  GBytes       *bytes;
  CtTensorView *tensors;
  guint         n_tensors;
  /* name (borrowed from tensors[i].name) → CtTensorView * */
  GHashTable   *by_name;
  /* string → string, both owned */
  GHashTable   *metadata;
};

typedef struct
{
  const char *name;
  gsize       size;
} DtypeInfo;

static const DtypeInfo dtype_infos[] = {
  [CT_DTYPE_F32]  = { "F32",  4 },
  [CT_DTYPE_F64]  = { "F64",  8 },
  [CT_DTYPE_F16]  = { "F16",  2 },
  [CT_DTYPE_BF16] = { "BF16", 2 },
  [CT_DTYPE_I64]  = { "I64",  8 },
  [CT_DTYPE_I32]  = { "I32",  4 },
  [CT_DTYPE_I16]  = { "I16",  2 },
  [CT_DTYPE_I8]   = { "I8",   1 },
  [CT_DTYPE_U8]   = { "U8",   1 },
  [CT_DTYPE_BOOL] = { "BOOL", 1 },
};

G_DEFINE_QUARK (ct-safetensors-error-quark, ct_safetensors_error)

static gboolean
dtype_is_valid (CtDtype dtype)
{
  return (guint) dtype < G_N_ELEMENTS (dtype_infos);
}

const char *
ct_dtype_to_string (CtDtype dtype)
{
  g_return_val_if_fail (dtype_is_valid (dtype), NULL);

  return dtype_infos[dtype].name;
}

gboolean
ct_dtype_from_string (const char *str,
                      CtDtype    *out_dtype)
{
  g_return_val_if_fail (str != NULL, FALSE);

  for (guint i = 0; i < G_N_ELEMENTS (dtype_infos); i++)
    {
      if (strcmp (str, dtype_infos[i].name) == 0)
        {
          if (out_dtype != NULL)
            *out_dtype = (CtDtype) i;
          return TRUE;
        }
    }

  return FALSE;
}

gsize
ct_dtype_size (CtDtype dtype)
{
  g_return_val_if_fail (dtype_is_valid (dtype), 0);

  return dtype_infos[dtype].size;
}

void
ct_safetensors_free (CtSafetensors *self)
{
  if (self == NULL)
    return;

  g_clear_pointer (&self->by_name, g_hash_table_unref);
  g_clear_pointer (&self->metadata, g_hash_table_unref);
  for (guint i = 0; i < self->n_tensors; i++)
    g_free ((char *) self->tensors[i].name);
  g_clear_pointer (&self->tensors, g_free);
  g_clear_pointer (&self->bytes, g_bytes_unref);
  g_free (self);
}

G_GNUC_PRINTF (4, 5)
static void
set_error (GError     **error,
           gint         code,
           const char  *what,
           const char  *format,
           ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  g_set_error (error, CT_SAFETENSORS_ERROR, code, "%s: %s", what, message);
}

/* The shape's element count, or FALSE when a product overflows 64 bits. */
static gboolean
shape_n_elements (const gint64 *shape,
                  guint         n_dims,
                  guint64      *out_n_elements)
{
  guint64 n = 1;

  for (guint i = 0; i < n_dims; i++)
    if (!g_uint64_checked_mul (&n, n, (guint64) shape[i]))
      return FALSE;

  *out_n_elements = n;
  return TRUE;
}

/* Reading ---------------------------------------------------------------- */

/* json-glib keeps only the last of two equal keys, so count the members as
 * the parser reports them: an object that ends up with fewer members than it
 * was given had a duplicate. */
typedef struct
{
  GHashTable *member_counts;  /* JsonObject * → count */
  char       *duplicate;      /* the first duplicated key seen */
} DuplicateCheck;

static void
on_object_member_cb (JsonParser     *parser,
                     JsonObject     *object,
                     const char     *member_name,
                     DuplicateCheck *check)
{
  guint count;

  count = GPOINTER_TO_UINT (g_hash_table_lookup (check->member_counts, object)) + 1;
  g_hash_table_insert (check->member_counts, object, GUINT_TO_POINTER (count));

  if (count > json_object_get_size (object) && check->duplicate == NULL)
    check->duplicate = g_strdup (member_name);
}

static void
on_object_end_cb (JsonParser     *parser,
                  JsonObject     *object,
                  DuplicateCheck *check)
{
  /* Its address may be reused by a later object once this one is freed. */
  g_hash_table_remove (check->member_counts, object);
}

static JsonNode *
parse_header_json (const char  *json,
                   gsize        json_len,
                   const char  *what,
                   GError     **error)
{
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  g_autoptr(GError) local_error = NULL;
  DuplicateCheck check = { NULL, NULL };
  JsonNode *root;

  if (!g_utf8_validate_len (json, json_len, NULL))
    {
      set_error (error, CT_SAFETENSORS_ERROR_HEADER, what,
                 "the header is not valid UTF-8 or holds a NUL byte");
      return NULL;
    }

  check.member_counts = g_hash_table_new (NULL, NULL);
  g_signal_connect (parser, "object-member", G_CALLBACK (on_object_member_cb), &check);
  g_signal_connect (parser, "object-end", G_CALLBACK (on_object_end_cb), &check);

  if (!ct_json_parser_load (parser, json, json_len, &local_error))
    {
      set_error (error, CT_SAFETENSORS_ERROR_HEADER, what,
                 "the header is not valid JSON: %s", local_error->message);
      root = NULL;
    }
  else if (check.duplicate != NULL)
    {
      set_error (error, CT_SAFETENSORS_ERROR_HEADER, what,
                 "the header has the key “%s” twice", check.duplicate);
      root = NULL;
    }
  else if (json_parser_get_root (parser) == NULL
           || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    {
      set_error (error, CT_SAFETENSORS_ERROR_HEADER, what,
                 "the header is not a JSON object");
      root = NULL;
    }
  else
    {
      root = json_parser_steal_root (parser);
    }

  g_signal_handlers_disconnect_by_data (parser, &check);
  g_hash_table_unref (check.member_counts);
  g_free (check.duplicate);

  return root;
}

/* A JSON number that is an integer literal (json-glib gives floats and
 * exponents as doubles) and not negative.  json-glib turns a literal too
 * large for 64 bits into a negative number, so that is caught here too. */
static gboolean
node_get_index (JsonNode *node,
                gint64   *out_value)
{
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64)
    return FALSE;

  *out_value = json_node_get_int (node);
  return *out_value >= 0;
}

typedef struct
{
  CtTensorView view;
  guint64      begin;
  guint64      end;
} ParsedTensor;

static gboolean
parse_tensor (const char    *name,
              JsonNode      *node,
              guint64        data_size,
              const char    *what,
              ParsedTensor  *out,
              GError       **error)
{
  JsonObject *object;
  JsonNode *dtype_node, *shape_node, *offsets_node;
  JsonArray *shape, *offsets;
  const char *dtype_str;
  guint64 n_elements, n_bytes;
  gint64 begin, end;

  memset (out, 0, sizeof *out);

  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      set_error (error, CT_SAFETENSORS_ERROR_HEADER, what,
                 "the entry of tensor “%s” is not an object", name);
      return FALSE;
    }
  object = json_node_get_object (node);

  dtype_node = json_object_get_member (object, "dtype");
  shape_node = json_object_get_member (object, "shape");
  offsets_node = json_object_get_member (object, "data_offsets");
  if (dtype_node == NULL || shape_node == NULL || offsets_node == NULL)
    {
      set_error (error, CT_SAFETENSORS_ERROR_HEADER, what,
                 "tensor “%s” lacks “%s”", name,
                 dtype_node == NULL ? "dtype" : shape_node == NULL ? "shape" : "data_offsets");
      return FALSE;
    }

  if (!JSON_NODE_HOLDS_VALUE (dtype_node)
      || json_node_get_value_type (dtype_node) != G_TYPE_STRING)
    {
      set_error (error, CT_SAFETENSORS_ERROR_HEADER, what,
                 "the dtype of tensor “%s” is not a string", name);
      return FALSE;
    }
  dtype_str = json_node_get_string (dtype_node);
  if (!ct_dtype_from_string (dtype_str, &out->view.dtype))
    {
      set_error (error, CT_SAFETENSORS_ERROR_DTYPE, what,
                 "tensor “%s” has the unknown dtype “%s”", name, dtype_str);
      return FALSE;
    }

  if (!JSON_NODE_HOLDS_ARRAY (shape_node))
    {
      set_error (error, CT_SAFETENSORS_ERROR_HEADER, what,
                 "the shape of tensor “%s” is not an array", name);
      return FALSE;
    }
  shape = json_node_get_array (shape_node);
  if (json_array_get_length (shape) > CT_TENSOR_MAX_DIMS)
    {
      set_error (error, CT_SAFETENSORS_ERROR_HEADER, what,
                 "tensor “%s” has %u dimensions, more than %u",
                 name, json_array_get_length (shape), CT_TENSOR_MAX_DIMS);
      return FALSE;
    }
  out->view.n_dims = json_array_get_length (shape);
  for (guint i = 0; i < out->view.n_dims; i++)
    {
      if (!node_get_index (json_array_get_element (shape, i), &out->view.shape[i]))
        {
          set_error (error, CT_SAFETENSORS_ERROR_HEADER, what,
                     "dimension %u of tensor “%s” is not a non-negative integer",
                     i, name);
          return FALSE;
        }
    }
  if (!shape_n_elements (out->view.shape, out->view.n_dims, &n_elements)
      || !g_uint64_checked_mul (&n_bytes, n_elements, ct_dtype_size (out->view.dtype)))
    {
      set_error (error, CT_SAFETENSORS_ERROR_HEADER, what,
                 "the shape of tensor “%s” overflows", name);
      return FALSE;
    }

  if (!JSON_NODE_HOLDS_ARRAY (offsets_node)
      || json_array_get_length (offsets = json_node_get_array (offsets_node)) != 2
      || !node_get_index (json_array_get_element (offsets, 0), &begin)
      || !node_get_index (json_array_get_element (offsets, 1), &end))
    {
      set_error (error, CT_SAFETENSORS_ERROR_HEADER, what,
                 "the data_offsets of tensor “%s” are not two non-negative integers",
                 name);
      return FALSE;
    }
  if (begin > end)
    {
      set_error (error, CT_SAFETENSORS_ERROR_HEADER, what,
                 "tensor “%s” begins at %" G_GINT64_FORMAT
                 " after its end at %" G_GINT64_FORMAT, name, begin, end);
      return FALSE;
    }
  if ((guint64) end > data_size)
    {
      set_error (error, CT_SAFETENSORS_ERROR_HEADER, what,
                 "tensor “%s” ends at %" G_GINT64_FORMAT
                 ", beyond the %" G_GUINT64_FORMAT " bytes of data",
                 name, end, data_size);
      return FALSE;
    }
  if ((guint64) (end - begin) != n_bytes)
    {
      set_error (error, CT_SAFETENSORS_ERROR_HEADER, what,
                 "tensor “%s” spans %" G_GINT64_FORMAT " bytes but its shape"
                 " and dtype need %" G_GUINT64_FORMAT, name, end - begin, n_bytes);
      return FALSE;
    }

  out->begin = begin;
  out->end = end;
  out->view.n_bytes = n_bytes;
  return TRUE;
}

static gboolean
parse_metadata (JsonNode    *node,
                GHashTable  *metadata,
                const char  *what,
                GError     **error)
{
  JsonObjectIter iter;
  const char *key;
  JsonNode *value;

  /* Writers that have no metadata may say so with null. */
  if (JSON_NODE_HOLDS_NULL (node))
    return TRUE;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      set_error (error, CT_SAFETENSORS_ERROR_HEADER, what,
                 "“" METADATA_KEY "” is not an object");
      return FALSE;
    }

  json_object_iter_init (&iter, json_node_get_object (node));
  while (json_object_iter_next (&iter, &key, &value))
    {
      if (!g_utf8_validate (key, -1, NULL))
        {
          set_error (error, CT_SAFETENSORS_ERROR_HEADER, what,
                     "a metadata key is not valid UTF-8 once unescaped");
          return FALSE;
        }
      if (!JSON_NODE_HOLDS_VALUE (value) || json_node_get_value_type (value) != G_TYPE_STRING)
        {
          set_error (error, CT_SAFETENSORS_ERROR_HEADER, what,
                     "the metadata value of “%s” is not a string", key);
          return FALSE;
        }
      if (!g_utf8_validate (json_node_get_string (value), -1, NULL))
        {
          set_error (error, CT_SAFETENSORS_ERROR_HEADER, what,
                     "the metadata value of “%s” is not valid UTF-8 once unescaped", key);
          return FALSE;
        }
      g_hash_table_insert (metadata, g_strdup (key), g_strdup (json_node_get_string (value)));
    }

  return TRUE;
}

static int
compare_parsed_tensors (gconstpointer a,
                        gconstpointer b)
{
  const ParsedTensor *ta = a;
  const ParsedTensor *tb = b;

  if (ta->begin != tb->begin)
    return ta->begin < tb->begin ? -1 : 1;
  if (ta->end != tb->end)
    return ta->end < tb->end ? -1 : 1;
  return strcmp (ta->view.name, tb->view.name);
}

static void
clear_parsed_tensor (gpointer data)
{
  ParsedTensor *tensor = data;

  g_clear_pointer ((char **) &tensor->view.name, g_free);
}

CtSafetensors *
ct_safetensors_parse (GBytes      *bytes,
                      const char  *what,
                      GError     **error)
{
  g_autoptr(CtSafetensors) self = NULL;
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GArray) parsed = NULL;
  const guint8 *contents;
  gsize size;
  guint64 header_len, data_size, covered_end;
  const guint8 *data;
  JsonObjectIter iter;
  const char *name;
  JsonNode *node;

  g_return_val_if_fail (bytes != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (what == NULL)
    what = "safetensors data";

  contents = g_bytes_get_data (bytes, &size);
  if (size < 8)
    {
      set_error (error, CT_SAFETENSORS_ERROR_HEADER, what,
                 "%" G_GSIZE_FORMAT " bytes are too few for the 8-byte header length",
                 size);
      return NULL;
    }

  memcpy (&header_len, contents, sizeof header_len);
  header_len = GUINT64_FROM_LE (header_len);
  if (header_len > size - 8)
    {
      set_error (error, CT_SAFETENSORS_ERROR_HEADER, what,
                 "the header length %" G_GUINT64_FORMAT " exceeds the %"
                 G_GSIZE_FORMAT " bytes that follow it", header_len, size - 8);
      return NULL;
    }
  if (header_len > CT_SAFETENSORS_MAX_HEADER_LEN)
    {
      set_error (error, CT_SAFETENSORS_ERROR_HEADER, what,
                 "the header length %" G_GUINT64_FORMAT " exceeds the limit of %u",
                 header_len, CT_SAFETENSORS_MAX_HEADER_LEN);
      return NULL;
    }

  root = parse_header_json ((const char *) contents + 8, header_len, what, error);
  if (root == NULL)
    return NULL;

  data = contents + 8 + header_len;
  data_size = size - 8 - header_len;

  self = g_new0 (CtSafetensors, 1);
  self->bytes = g_bytes_ref (bytes);
  self->metadata = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->by_name = g_hash_table_new (g_str_hash, g_str_equal);

  parsed = g_array_new (FALSE, TRUE, sizeof (ParsedTensor));
  g_array_set_clear_func (parsed, clear_parsed_tensor);

  json_object_iter_init (&iter, json_node_get_object (root));
  while (json_object_iter_next (&iter, &name, &node))
    {
      ParsedTensor tensor;

      /* The header text is valid UTF-8, but json-glib turns an escaped lone
       * surrogate such as \ud800 into bytes that are not. */
      if (!g_utf8_validate (name, -1, NULL))
        {
          set_error (error, CT_SAFETENSORS_ERROR_HEADER, what,
                     "a tensor name is not valid UTF-8 once unescaped");
          return NULL;
        }
      if (strcmp (name, METADATA_KEY) == 0)
        {
          if (!parse_metadata (node, self->metadata, what, error))
            return NULL;
          continue;
        }

      if (!parse_tensor (name, node, data_size, what, &tensor, error))
        return NULL;
      tensor.view.name = g_strdup (name);
      tensor.view.data = data + tensor.begin;
      g_array_append_val (parsed, tensor);
    }

  g_array_sort (parsed, compare_parsed_tensors);

  /* Sorted by start, a non-empty tensor overlaps an earlier one exactly when
   * it starts before the furthest end seen so far.  Empty tensors occupy no
   * bytes, so they overlap nothing. */
  covered_end = 0;
  for (guint i = 0; i < parsed->len; i++)
    {
      const ParsedTensor *tensor = &g_array_index (parsed, ParsedTensor, i);

      if (tensor->begin == tensor->end)
        continue;

      if (tensor->begin < covered_end)
        {
          set_error (error, CT_SAFETENSORS_ERROR_HEADER, what,
                     "tensor “%s” overlaps another tensor's data", tensor->view.name);
          return NULL;
        }
      covered_end = tensor->end;
    }

  self->n_tensors = parsed->len;
  self->tensors = g_new0 (CtTensorView, MAX (parsed->len, 1));
  for (guint i = 0; i < parsed->len; i++)
    {
      ParsedTensor *tensor = &g_array_index (parsed, ParsedTensor, i);

      self->tensors[i] = tensor->view;
      /* The name now belongs to self->tensors. */
      tensor->view.name = NULL;
      g_hash_table_insert (self->by_name, (char *) self->tensors[i].name, &self->tensors[i]);
    }

  return g_steal_pointer (&self);
}

CtSafetensors *
ct_safetensors_load (const char  *path,
                     GError     **error)
{
  g_autoptr(GMappedFile) mapped = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *display_name = NULL;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  display_name = g_filename_display_name (path);

  /* Mapping a directory fails with "No such device", which helps nobody. */
  if (g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, CT_SAFETENSORS_ERROR, CT_SAFETENSORS_ERROR_IO,
                   "%s: is a directory, not a safetensors file", display_name);
      return NULL;
    }

  /* Mapping keeps a 45 MB checkpoint out of the heap; our writers replace
   * files by rename, so the mapped inode is never truncated under us. */
  mapped = g_mapped_file_new (path, FALSE, &local_error);
  if (mapped == NULL)
    {
      g_set_error (error, CT_SAFETENSORS_ERROR, CT_SAFETENSORS_ERROR_IO,
                   "%s: %s", display_name, local_error->message);
      return NULL;
    }
  bytes = g_mapped_file_get_bytes (mapped);

  return ct_safetensors_parse (bytes, display_name, error);
}

guint
ct_safetensors_get_n_tensors (CtSafetensors *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->n_tensors;
}

const CtTensorView *
ct_safetensors_get_tensor (CtSafetensors *self,
                           guint          index)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (index < self->n_tensors, NULL);

  return &self->tensors[index];
}

const CtTensorView *
ct_safetensors_lookup (CtSafetensors *self,
                       const char    *name)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (name != NULL, NULL);

  return g_hash_table_lookup (self->by_name, name);
}

const char *
ct_safetensors_get_metadata (CtSafetensors *self,
                             const char    *key)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (key != NULL, NULL);

  return g_hash_table_lookup (self->metadata, key);
}

GHashTable *
ct_safetensors_get_metadata_table (CtSafetensors *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->metadata;
}

/* Writing ---------------------------------------------------------------- */

static gboolean
check_tensor_for_save (const CtTensorView  *tensor,
                       GHashTable          *seen_names,
                       const char          *what,
                       GError             **error)
{
  guint64 n_elements, n_bytes;

  if (tensor->name == NULL || !g_utf8_validate (tensor->name, -1, NULL))
    {
      set_error (error, CT_SAFETENSORS_ERROR_HEADER, what,
                 "a tensor name is missing or not UTF-8");
      return FALSE;
    }
  if (strcmp (tensor->name, METADATA_KEY) == 0)
    {
      set_error (error, CT_SAFETENSORS_ERROR_HEADER, what,
                 "“" METADATA_KEY "” is reserved and cannot name a tensor");
      return FALSE;
    }
  if (!g_hash_table_add (seen_names, (char *) tensor->name))
    {
      set_error (error, CT_SAFETENSORS_ERROR_HEADER, what,
                 "the tensor name “%s” is used twice", tensor->name);
      return FALSE;
    }
  if (!dtype_is_valid (tensor->dtype))
    {
      set_error (error, CT_SAFETENSORS_ERROR_DTYPE, what,
                 "tensor “%s” has the unknown dtype %d", tensor->name, (int) tensor->dtype);
      return FALSE;
    }
  if (tensor->n_dims > CT_TENSOR_MAX_DIMS)
    {
      set_error (error, CT_SAFETENSORS_ERROR_HEADER, what,
                 "tensor “%s” has %u dimensions, more than %u",
                 tensor->name, tensor->n_dims, CT_TENSOR_MAX_DIMS);
      return FALSE;
    }
  for (guint i = 0; i < tensor->n_dims; i++)
    {
      if (tensor->shape[i] < 0)
        {
          set_error (error, CT_SAFETENSORS_ERROR_HEADER, what,
                     "dimension %u of tensor “%s” is negative", i, tensor->name);
          return FALSE;
        }
    }
  if (!shape_n_elements (tensor->shape, tensor->n_dims, &n_elements)
      || !g_uint64_checked_mul (&n_bytes, n_elements, ct_dtype_size (tensor->dtype))
      || n_bytes != tensor->n_bytes)
    {
      set_error (error, CT_SAFETENSORS_ERROR_HEADER, what,
                 "tensor “%s” has %" G_GSIZE_FORMAT " bytes, which does not match"
                 " its shape and dtype", tensor->name, tensor->n_bytes);
      return FALSE;
    }
  if (tensor->n_bytes > 0 && tensor->data == NULL)
    {
      set_error (error, CT_SAFETENSORS_ERROR_HEADER, what,
                 "tensor “%s” has no data", tensor->name);
      return FALSE;
    }

  return TRUE;
}

static gboolean
check_metadata_for_save (GHashTable  *metadata,
                         const char  *what,
                         GError     **error)
{
  GHashTableIter iter;
  gpointer key, value;

  if (metadata == NULL)
    return TRUE;

  g_hash_table_iter_init (&iter, metadata);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      if (key == NULL || value == NULL
          || !g_utf8_validate (key, -1, NULL) || !g_utf8_validate (value, -1, NULL))
        {
          set_error (error, CT_SAFETENSORS_ERROR_HEADER, what,
                     "a metadata key or value is missing or not UTF-8");
          return FALSE;
        }
    }

  return TRUE;
}

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

static char *
build_header_json (const CtTensorView *tensors,
                   guint               n_tensors,
                   GHashTable         *metadata,
                   gsize              *out_len)
{
  g_autoptr(JsonBuilder) builder = json_builder_new_immutable ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  guint64 offset = 0;

  json_builder_begin_object (builder);

  if (metadata != NULL && g_hash_table_size (metadata) > 0)
    {
      g_autofree gpointer *keys = NULL;
      guint n_keys;

      /* Sorted keys make the same checkpoint produce the same bytes. */
      keys = g_hash_table_get_keys_as_array (metadata, &n_keys);
      qsort (keys, n_keys, sizeof *keys, compare_strings);

      json_builder_set_member_name (builder, METADATA_KEY);
      json_builder_begin_object (builder);
      for (guint i = 0; i < n_keys; i++)
        {
          json_builder_set_member_name (builder, keys[i]);
          json_builder_add_string_value (builder, g_hash_table_lookup (metadata, keys[i]));
        }
      json_builder_end_object (builder);
    }

  for (guint i = 0; i < n_tensors; i++)
    {
      const CtTensorView *tensor = &tensors[i];

      json_builder_set_member_name (builder, tensor->name);
      json_builder_begin_object (builder);

      json_builder_set_member_name (builder, "dtype");
      json_builder_add_string_value (builder, ct_dtype_to_string (tensor->dtype));

      json_builder_set_member_name (builder, "shape");
      json_builder_begin_array (builder);
      for (guint d = 0; d < tensor->n_dims; d++)
        json_builder_add_int_value (builder, tensor->shape[d]);
      json_builder_end_array (builder);

      json_builder_set_member_name (builder, "data_offsets");
      json_builder_begin_array (builder);
      json_builder_add_int_value (builder, offset);
      json_builder_add_int_value (builder, offset + tensor->n_bytes);
      json_builder_end_array (builder);

      json_builder_end_object (builder);
      offset += tensor->n_bytes;
    }

  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);

  return json_generator_to_data (generator, out_len);
}

gboolean
ct_safetensors_save (const char          *path,
                     const CtTensorView  *tensors,
                     guint                n_tensors,
                     GHashTable          *metadata,
                     GError             **error)
{
  g_autoptr(GHashTable) seen_names = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *display_name = NULL;
  g_autofree char *header = NULL;
  g_autofree guint8 *contents = NULL;
  gsize header_len, padded_len, total, pos;
  guint64 header_len_le;

  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (tensors != NULL || n_tensors == 0, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  display_name = g_filename_display_name (path);

  seen_names = g_hash_table_new (g_str_hash, g_str_equal);
  total = 0;
  for (guint i = 0; i < n_tensors; i++)
    {
      if (!check_tensor_for_save (&tensors[i], seen_names, display_name, error))
        return FALSE;
      if (!g_size_checked_add (&total, total, tensors[i].n_bytes))
        {
          set_error (error, CT_SAFETENSORS_ERROR_HEADER, display_name,
                     "the tensors are too large to write");
          return FALSE;
        }
    }
  if (!check_metadata_for_save (metadata, display_name, error))
    return FALSE;

  header = build_header_json (tensors, n_tensors, metadata, &header_len);

  /* Pad with spaces so the data area starts 8-byte aligned, as the
   * reference implementation does, and readers can map tensors in place. */
  padded_len = (header_len + 7) & ~(gsize) 7;

  if (!g_size_checked_add (&total, total, 8 + padded_len))
    {
      set_error (error, CT_SAFETENSORS_ERROR_HEADER, display_name,
                 "the tensors are too large to write");
      return FALSE;
    }

  /* One buffer for the whole file, so the atomic write is a single call;
   * a failed allocation is an error, not an abort. */
  contents = g_try_malloc (MAX (total, 1));
  if (contents == NULL)
    {
      set_error (error, CT_SAFETENSORS_ERROR_IO, display_name,
                 "not enough memory for %" G_GSIZE_FORMAT " bytes", total);
      return FALSE;
    }

  header_len_le = GUINT64_TO_LE ((guint64) padded_len);
  memcpy (contents, &header_len_le, 8);
  memcpy (contents + 8, header, header_len);
  memset (contents + 8 + header_len, ' ', padded_len - header_len);
  pos = 8 + padded_len;
  for (guint i = 0; i < n_tensors; i++)
    {
      if (tensors[i].n_bytes > 0)
        memcpy (contents + pos, tensors[i].data, tensors[i].n_bytes);
      pos += tensors[i].n_bytes;
    }
  g_assert (pos == total);

  if (!g_file_set_contents_full (path, (const char *) contents, total,
                                 G_FILE_SET_CONTENTS_CONSISTENT, 0644, &local_error))
    {
      g_set_error (error, CT_SAFETENSORS_ERROR, CT_SAFETENSORS_ERROR_IO,
                   "Cannot save “%s”: %s", display_name, local_error->message);
      return FALSE;
    }

  return TRUE;
}
