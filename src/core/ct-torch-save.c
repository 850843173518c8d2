/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "ct-torch-save.h"

#include <math.h>
#include <stdarg.h>
#include <string.h>

#include <zlib.h>

G_DEFINE_QUARK (ct-torch-save-error-quark, ct_torch_save_error)

const char *const ct_torch_save_state_keys[] = {
  "state_dict", "model_state_dict", "model", "net", "ema", NULL
};

/* A deflated record may expand at most this much: real weights barely
 * compress (float noise), a decompression bomb expands ~1000×. */
#define MAX_INFLATE_RATIO 16
#define MAX_INFLATE_SLACK (1u << 20)
#define MAX_RECORDS       (1u << 20)

/* ---- Errors ------------------------------------------------------------- */

G_GNUC_PRINTF (4, 5)
static void
fail (GError     **error,
      int          code,
      const char  *what,
      const char  *format,
      ...)
{
  g_autofree char *message = NULL;
  va_list args;

  if (error == NULL || *error != NULL)
    return;
  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, CT_TORCH_SAVE_ERROR, code, "%s: %s", what, message);
}

/* ---- The zip archive ---------------------------------------------------- */

typedef struct {
  char   *name;
  guint16 method;
  guint64 compressed;
  guint64 size;
  guint64 data_offset;
  guint32 crc;          /* the directory's CRC-32 of the uncompressed bytes */
  gboolean crc_checked;
  GBytes *inflated;     /* deflated records, once read */
} Record;

static void
record_free (Record *record)
{
  g_free (record->name);
  g_clear_pointer (&record->inflated, g_bytes_unref);
  g_free (record);
}

static guint16
le16 (const guint8 *p)
{
  return (guint16) (p[0] | (p[1] << 8));
}

static guint32
le32 (const guint8 *p)
{
  return (guint32) p[0] | ((guint32) p[1] << 8) | ((guint32) p[2] << 16) | ((guint32) p[3] << 24);
}

static guint64
le64 (const guint8 *p)
{
  return (guint64) le32 (p) | ((guint64) le32 (p + 4) << 32);
}

/* Whether [offset, offset + length) lies inside a buffer of @size bytes. */
static gboolean
in_range (guint64 offset,
          guint64 length,
          gsize   size)
{
  return offset <= size && length <= size - offset;
}

gboolean
ct_torch_save_looks_like (const guint8 *bytes,
                          gsize         size)
{
  return size >= 4 && bytes[0] == 'P' && bytes[1] == 'K' && bytes[2] == 3 && bytes[3] == 4;
}

/* Reads the central directory into name → Record. */
static GHashTable *
read_directory (const guint8  *data,
                gsize          size,
                const char    *what,
                GError       **error)
{
  g_autoptr(GHashTable) records = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                                         (GDestroyNotify) record_free);
  guint64 n_entries, dir_size, dir_offset, pos;
  gssize eocd = -1;

  if (!ct_torch_save_looks_like (data, size))
    {
      fail (error, CT_TORCH_SAVE_ERROR_ARCHIVE, what,
            "not a zip archive (torch.save's format since PyTorch 1.6); the legacy format is not read");
      return NULL;
    }
  /* The end record is the last 22 bytes plus a comment of up to 64 KiB. */
  for (gssize i = (gssize) size - 22; i >= 0 && i >= (gssize) size - 22 - 65535; i--)
    if (le32 (data + i) == 0x06054b50)
      {
        eocd = i;
        break;
      }
  if (eocd < 0)
    {
      fail (error, CT_TORCH_SAVE_ERROR_ARCHIVE, what,
            "the zip archive has no end record: truncated?");
      return NULL;
    }
  n_entries = le16 (data + eocd + 10);
  dir_size = le32 (data + eocd + 12);
  dir_offset = le32 (data + eocd + 16);
  if (n_entries == 0xffff || dir_size == 0xffffffff || dir_offset == 0xffffffff)
    {
      guint64 z64;

      /* Zip64: a locator 20 bytes before the end record points at the
       * zip64 end record. */
      if (eocd < 20 || le32 (data + eocd - 20) != 0x07064b50 ||
          !in_range (z64 = le64 (data + eocd - 20 + 8), 56, size) || le32 (data + z64) != 0x06064b50)
        {
          fail (error, CT_TORCH_SAVE_ERROR_ARCHIVE, what, "the zip64 end record is missing or damaged");
          return NULL;
        }
      n_entries = le64 (data + z64 + 32);
      dir_size = le64 (data + z64 + 40);
      dir_offset = le64 (data + z64 + 48);
    }
  if (!in_range (dir_offset, dir_size, size) || n_entries > MAX_RECORDS)
    {
      fail (error, CT_TORCH_SAVE_ERROR_ARCHIVE, what,
            "the zip directory (%" G_GUINT64_FORMAT " entries at byte %" G_GUINT64_FORMAT
            ") lies outside the file: truncated?", n_entries, dir_offset);
      return NULL;
    }

  pos = dir_offset;
  for (guint64 i = 0; i < n_entries; i++)
    {
      g_autofree char *name = NULL;
      guint64 compressed, uncompressed, local, extra_end, name_len, extra_len, comment_len;
      guint16 flags, method;
      guint32 crc;
      Record *record;

      if (!in_range (pos, 46, size) || le32 (data + pos) != 0x02014b50)
        {
          fail (error, CT_TORCH_SAVE_ERROR_ARCHIVE, what, "zip directory entry %" G_GUINT64_FORMAT
                " is damaged", i);
          return NULL;
        }
      flags = le16 (data + pos + 8);
      method = le16 (data + pos + 10);
      crc = le32 (data + pos + 16);
      compressed = le32 (data + pos + 20);
      uncompressed = le32 (data + pos + 24);
      name_len = le16 (data + pos + 28);
      extra_len = le16 (data + pos + 30);
      comment_len = le16 (data + pos + 32);
      local = le32 (data + pos + 42);
      if (!in_range (pos + 46, name_len + extra_len + comment_len, size))
        {
          fail (error, CT_TORCH_SAVE_ERROR_ARCHIVE, what, "zip directory entry %" G_GUINT64_FORMAT
                " runs past the end of the file", i);
          return NULL;
        }
      name = g_strndup ((const char *) data + pos + 46, name_len);
      if (strlen (name) != name_len || !g_utf8_validate (name, -1, NULL))
        {
          fail (error, CT_TORCH_SAVE_ERROR_ARCHIVE, what, "zip entry %" G_GUINT64_FORMAT
                " has a name that is not UTF-8 text", i);
          return NULL;
        }
      /* Zip64 sizes and offset, in this order, for the fields set to ~0. */
      extra_end = pos + 46 + name_len + extra_len;
      for (guint64 e = pos + 46 + name_len; e + 4 <= extra_end;)
        {
          guint16 id = le16 (data + e), len = le16 (data + e + 2);
          guint64 f = e + 4;

          if (e + 4 + len > extra_end)
            break;
          if (id == 0x0001)
            {
              if (uncompressed == 0xffffffff && f + 8 <= e + 4 + len)
                uncompressed = le64 (data + f), f += 8;
              if (compressed == 0xffffffff && f + 8 <= e + 4 + len)
                compressed = le64 (data + f), f += 8;
              if (local == 0xffffffff && f + 8 <= e + 4 + len)
                local = le64 (data + f);
            }
          e += 4 + len;
        }
      pos = extra_end + comment_len;

      if ((flags & 1) != 0)
        {
          fail (error, CT_TORCH_SAVE_ERROR_ARCHIVE, what, "zip entry %s is encrypted", name);
          return NULL;
        }
      if (method != 0 && method != 8)
        {
          fail (error, CT_TORCH_SAVE_ERROR_ARCHIVE, what,
                "zip entry %s uses compression method %u; only stored and deflated entries are read",
                name, method);
          return NULL;
        }
      if (method == 0 && compressed != uncompressed)
        {
          fail (error, CT_TORCH_SAVE_ERROR_ARCHIVE, what,
                "zip entry %s is stored, yet its sizes differ (%" G_GUINT64_FORMAT " and %"
                G_GUINT64_FORMAT " bytes)", name, compressed, uncompressed);
          return NULL;
        }
      if (method == 8 && uncompressed > compressed * MAX_INFLATE_RATIO + MAX_INFLATE_SLACK)
        {
          fail (error, CT_TORCH_SAVE_ERROR_ARCHIVE, what,
                "zip entry %s would expand %" G_GUINT64_FORMAT " bytes to %" G_GUINT64_FORMAT
                ": refused as a decompression bomb", name, compressed, uncompressed);
          return NULL;
        }
      if (!in_range (local, 30, size) || le32 (data + local) != 0x04034b50)
        {
          fail (error, CT_TORCH_SAVE_ERROR_ARCHIVE, what, "zip entry %s has no local header", name);
          return NULL;
        }
      local += 30 + (guint64) le16 (data + local + 26) + le16 (data + local + 28);
      if (!in_range (local, compressed, size))
        {
          fail (error, CT_TORCH_SAVE_ERROR_ARCHIVE, what,
                "zip entry %s runs past the end of the file: truncated?", name);
          return NULL;
        }
      if (g_hash_table_contains (records, name))
        {
          fail (error, CT_TORCH_SAVE_ERROR_ARCHIVE, what, "zip entry %s appears twice", name);
          return NULL;
        }
      record = g_new0 (Record, 1);
      record->name = g_steal_pointer (&name);
      record->method = method;
      record->compressed = compressed;
      record->size = uncompressed;
      record->data_offset = local;
      record->crc = crc;
      g_hash_table_insert (records, record->name, record);
    }

  return g_steal_pointer (&records);
}

/* Compares the record's bytes with the directory's CRC-32, once, as
 * PyTorch's own reader does: a flipped bit in a stored tensor would
 * otherwise become a silently wrong weight.  Fuzzing builds compute the sum
 * but let a mismatch through, so fuzzed inputs reach the pickle machine. */
static gboolean
check_crc (Record        *record,
           const guint8  *bytes,
           const char    *what,
           GError       **error)
{
  guint32 crc;

  if (record->crc_checked)
    return TRUE;
  crc = (guint32) crc32_z (0, bytes, (z_size_t) record->size);
#ifndef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
  if (crc != record->crc)
    {
      fail (error, CT_TORCH_SAVE_ERROR_ARCHIVE, what,
            "zip entry %s fails its CRC-32 check (the directory says %08x, the bytes give %08x): "
            "the file is damaged", record->name, record->crc, crc);
      return FALSE;
    }
#endif
  record->crc_checked = TRUE;
  return TRUE;
}

/* The record's bytes, checked against their CRC-32: borrowed from @data
 * when stored, inflated (into the record, exactly its declared size) when
 * deflated. */
static const guint8 *
record_bytes (Record        *record,
              const guint8  *data,
              const char    *what,
              GError       **error)
{
  z_stream stream = { 0 };
  guint8 *out;
  int status;

  if (record->method == 0)
    return check_crc (record, data + record->data_offset, what, error) ? data + record->data_offset : NULL;
  if (record->inflated != NULL)
    return g_bytes_get_data (record->inflated, NULL);
  if (record->size > G_MAXSIZE || record->compressed > G_MAXUINT32 || record->size > G_MAXUINT32)
    {
      fail (error, CT_TORCH_SAVE_ERROR_ARCHIVE, what, "zip entry %s is too large to inflate", record->name);
      return NULL;
    }
  out = g_malloc (MAX (record->size, 1));
  if (inflateInit2 (&stream, -MAX_WBITS) != Z_OK)
    {
      g_free (out);
      fail (error, CT_TORCH_SAVE_ERROR_ARCHIVE, what, "cannot start zlib");
      return NULL;
    }
  stream.next_in = (Bytef *) data + record->data_offset;
  stream.avail_in = (uInt) record->compressed;
  stream.next_out = out;
  stream.avail_out = (uInt) record->size;
  status = inflate (&stream, Z_FINISH);
  inflateEnd (&stream);
  if (status != Z_STREAM_END || stream.total_out != record->size)
    {
      g_free (out);
      fail (error, CT_TORCH_SAVE_ERROR_ARCHIVE, what,
            "zip entry %s does not inflate to its declared %" G_GUINT64_FORMAT " bytes",
            record->name, record->size);
      return NULL;
    }
  if (!check_crc (record, out, what, error))
    {
      g_free (out);
      return NULL;
    }
  record->inflated = g_bytes_new_take (out, record->size);
  return out;
}

/* ---- The pickle machine ------------------------------------------------- */

typedef enum {
  V_NONE, V_BOOL, V_INT, V_FLOAT, V_STRING, V_BYTES, V_TUPLE, V_LIST, V_DICT,
  V_GLOBAL, V_STORAGE, V_TENSOR,
} Kind;

typedef enum {
  G_ORDERED_DICT,
  G_REBUILD_TENSOR,
  G_REBUILD_PARAMETER,
  G_STORAGE_TYPE,
} GlobalKind;

typedef struct Value Value;

typedef struct {
  Record  *record;
  CtDtype  dtype;
  guint64  numel;
} Storage;

typedef struct {
  Storage *storage;
  guint64  offset;
  guint    n_dims;
  gint64   shape[CT_TENSOR_MAX_DIMS];
  gint64   stride[CT_TENSOR_MAX_DIMS];
} TensorRef;

struct Value {
  Kind       kind;
  gint64     integer;       /* BOOL, INT */
  double     number;        /* FLOAT */
  char      *text;          /* STRING, BYTES */
  GPtrArray *items;         /* TUPLE, LIST; DICT: key, value, key, value… */
  GlobalKind global;
  CtDtype    dtype;         /* GLOBAL storage types */
  Storage    storage;
  TensorRef  tensor;
};

typedef struct {
  const char   *what;
  const guint8 *pickle;
  gsize         size;
  gsize         pos;
  const guint8 *file;
  GHashTable   *records;
  char         *prefix;     /* the archive's folder, with its slash */
  GPtrArray    *values;     /* owns every Value */
  GPtrArray    *stack;
  GArray       *marks;
  GHashTable   *memo;       /* index → Value */
  GHashTable   *storages;   /* key → Value (V_STORAGE), shared by the tensors of one storage */
  GError      **error;
} Machine;

static void
value_free (Value *value)
{
  g_free (value->text);
  g_clear_pointer (&value->items, g_ptr_array_unref);
  g_free (value);
}

static Value *
new_value (Machine *m,
           Kind     kind)
{
  Value *value = g_new0 (Value, 1);

  value->kind = kind;
  if (kind == V_TUPLE || kind == V_LIST || kind == V_DICT)
    value->items = g_ptr_array_new ();
  g_ptr_array_add (m->values, value);
  return value;
}

G_GNUC_PRINTF (3, 4)
static gboolean
machine_fail (Machine    *m,
              int         code,
              const char *format,
              ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  if (code == CT_TORCH_SAVE_ERROR_PICKLE)
    fail (m->error, code, m->what, "data.pkl at byte %" G_GSIZE_FORMAT ": %s", m->pos, message);
  else
    fail (m->error, code, m->what, "%s", message);
  return FALSE;
}

static const char *
kind_name (Kind kind)
{
  static const char *const names[] = {
    "None", "a boolean", "an integer", "a float", "a string", "bytes", "a tuple", "a list",
    "a dict", "a global", "a storage", "a tensor",
  };
  return names[kind];
}

static gboolean
take (Machine       *m,
      gsize          n,
      const guint8 **out)
{
  if (n > m->size - m->pos)
    return machine_fail (m, CT_TORCH_SAVE_ERROR_PICKLE, "truncated (%" G_GSIZE_FORMAT
                         " more bytes expected)", n);
  *out = m->pickle + m->pos;
  m->pos += n;
  return TRUE;
}

static void
push (Machine *m,
      Value   *value)
{
  g_ptr_array_add (m->stack, value);
}

static Value *
pop (Machine *m)
{
  guint floor = m->marks->len > 0 ? g_array_index (m->marks, guint, m->marks->len - 1) : 0;

  if (m->stack->len <= floor)
    {
      machine_fail (m, CT_TORCH_SAVE_ERROR_PICKLE, "the stack is empty");
      return NULL;
    }
  return g_ptr_array_steal_index (m->stack, m->stack->len - 1);
}

static Value *
top (Machine *m)
{
  guint floor = m->marks->len > 0 ? g_array_index (m->marks, guint, m->marks->len - 1) : 0;

  if (m->stack->len <= floor)
    {
      machine_fail (m, CT_TORCH_SAVE_ERROR_PICKLE, "the stack is empty");
      return NULL;
    }
  return g_ptr_array_index (m->stack, m->stack->len - 1);
}

/* Moves the items above the last mark into @items (NULL: drops them). */
static gboolean
pop_mark (Machine   *m,
          GPtrArray *items)
{
  guint mark;

  if (m->marks->len == 0)
    return machine_fail (m, CT_TORCH_SAVE_ERROR_PICKLE, "no mark to pop to");
  mark = g_array_index (m->marks, guint, m->marks->len - 1);
  g_array_set_size (m->marks, m->marks->len - 1);
  for (guint i = mark; i < m->stack->len; i++)
    if (items != NULL)
      g_ptr_array_add (items, g_ptr_array_index (m->stack, i));
  g_ptr_array_set_size (m->stack, mark);
  return TRUE;
}

static gboolean
push_string (Machine  *m,
             Kind      kind,
             guint64   length)
{
  const guint8 *bytes = NULL;
  Value *value;

  if (!take (m, length, &bytes))
    return FALSE;
  value = new_value (m, kind);
  value->text = g_strndup ((const char *) bytes, length);
  value->integer = (gint64) length;
  if (kind == V_STRING && (strlen (value->text) != length || !g_utf8_validate (value->text, -1, NULL)))
    return machine_fail (m, CT_TORCH_SAVE_ERROR_PICKLE, "a string that is not UTF-8 text");
  push (m, value);
  return TRUE;
}

static gboolean
storage_dtype (const char *name,
               CtDtype    *out)
{
  static const struct { const char *name; CtDtype dtype; } types[] = {
    { "FloatStorage", CT_DTYPE_F32 }, { "DoubleStorage", CT_DTYPE_F64 },
    { "HalfStorage", CT_DTYPE_F16 }, { "BFloat16Storage", CT_DTYPE_BF16 },
    { "LongStorage", CT_DTYPE_I64 }, { "IntStorage", CT_DTYPE_I32 },
    { "ShortStorage", CT_DTYPE_I16 }, { "CharStorage", CT_DTYPE_I8 },
    { "ByteStorage", CT_DTYPE_U8 }, { "BoolStorage", CT_DTYPE_BOOL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (types); i++)
    if (g_str_equal (name, types[i].name))
      {
        *out = types[i].dtype;
        return TRUE;
      }
  return FALSE;
}

/* The only globals a checkpoint may name; anything else is refused here,
 * by name, before it could be called. */
static gboolean
push_global (Machine    *m,
             const char *module,
             const char *name)
{
  Value *value = new_value (m, V_GLOBAL);

  if (g_str_equal (module, "collections") && g_str_equal (name, "OrderedDict"))
    value->global = G_ORDERED_DICT;
  else if (g_str_equal (module, "torch._utils") && g_str_equal (name, "_rebuild_tensor_v2"))
    value->global = G_REBUILD_TENSOR;
  else if (g_str_equal (module, "torch._utils") && g_str_equal (name, "_rebuild_parameter"))
    value->global = G_REBUILD_PARAMETER;
  else if (g_str_equal (module, "torch") && storage_dtype (name, &value->dtype))
    value->global = G_STORAGE_TYPE;
  else
    return machine_fail (m, CT_TORCH_SAVE_ERROR_REFUSED,
                         "the pickle names %s.%s, which is not a tensor, number, string or "
                         "container: refused (nothing in the file was run)", module, name);
  push (m, value);
  return TRUE;
}

static gboolean
int_tuple (Value  *value,
           guint  *out_n,
           gint64 *out)
{
  if (value->kind != V_TUPLE || value->items->len > CT_TENSOR_MAX_DIMS)
    return FALSE;
  for (guint i = 0; i < value->items->len; i++)
    {
      Value *item = g_ptr_array_index (value->items, i);

      if (item->kind != V_INT || item->integer < 0)
        return FALSE;
      out[i] = item->integer;
    }
  *out_n = value->items->len;
  return TRUE;
}

/* _rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks[, metadata]) */
static Value *
rebuild_tensor (Machine *m,
                Value   *args)
{
  Value *storage, *offset, *tensor;
  guint n_dims = 0, n_strides = 0;
  gint64 shape[CT_TENSOR_MAX_DIMS], stride[CT_TENSOR_MAX_DIMS];
  guint64 last;

  if (args->kind != V_TUPLE || args->items->len < 4)
    {
      machine_fail (m, CT_TORCH_SAVE_ERROR_PICKLE, "_rebuild_tensor_v2 takes a tuple of 6 or 7");
      return NULL;
    }
  storage = g_ptr_array_index (args->items, 0);
  offset = g_ptr_array_index (args->items, 1);
  if (storage->kind != V_STORAGE || offset->kind != V_INT || offset->integer < 0 ||
      !int_tuple (g_ptr_array_index (args->items, 2), &n_dims, shape) ||
      !int_tuple (g_ptr_array_index (args->items, 3), &n_strides, stride) || n_dims != n_strides)
    {
      machine_fail (m, CT_TORCH_SAVE_ERROR_PICKLE,
                    "_rebuild_tensor_v2 wants a storage, an offset, and sizes and strides of "
                    "up to %d non-negative integers", CT_TENSOR_MAX_DIMS);
      return NULL;
    }

  /* The last element the view reaches must lie inside the storage. */
  last = (guint64) offset->integer;
  for (guint d = 0; d < n_dims; d++)
    {
      if (shape[d] == 0)
        {
          last = 0;
          break;
        }
      if ((guint64) (shape[d] - 1) > G_MAXUINT32 || (guint64) stride[d] > G_MAXUINT32)
        {
          machine_fail (m, CT_TORCH_SAVE_ERROR_PICKLE, "a tensor with a size or stride beyond 2^32");
          return NULL;
        }
      last += (guint64) (shape[d] - 1) * (guint64) stride[d];
    }
  if (last >= storage->storage.numel && !(last == 0 && storage->storage.numel == 0))
    {
      machine_fail (m, CT_TORCH_SAVE_ERROR_PICKLE,
                    "a tensor reaches element %" G_GUINT64_FORMAT " of a storage of %" G_GUINT64_FORMAT,
                    last, storage->storage.numel);
      return NULL;
    }

  tensor = new_value (m, V_TENSOR);
  tensor->tensor.storage = &storage->storage;
  tensor->tensor.offset = (guint64) offset->integer;
  tensor->tensor.n_dims = n_dims;
  memcpy (tensor->tensor.shape, shape, sizeof shape);
  memcpy (tensor->tensor.stride, stride, sizeof stride);
  return tensor;
}

static gboolean
do_reduce (Machine *m)
{
  Value *args = pop (m), *callable = args != NULL ? pop (m) : NULL, *result = NULL;

  if (callable == NULL)
    return FALSE;
  if (callable->kind != V_GLOBAL || args->kind != V_TUPLE)
    return machine_fail (m, CT_TORCH_SAVE_ERROR_PICKLE, "REDUCE on %s", kind_name (callable->kind));

  switch (callable->global)
    {
    case G_ORDERED_DICT:
      if (args->items->len != 0)
        return machine_fail (m, CT_TORCH_SAVE_ERROR_PICKLE, "OrderedDict with arguments");
      result = new_value (m, V_DICT);
      break;
    case G_REBUILD_TENSOR:
      result = rebuild_tensor (m, args);
      break;
    case G_REBUILD_PARAMETER:
      if (args->items->len < 1 || ((Value *) g_ptr_array_index (args->items, 0))->kind != V_TENSOR)
        return machine_fail (m, CT_TORCH_SAVE_ERROR_PICKLE, "_rebuild_parameter without a tensor");
      result = g_ptr_array_index (args->items, 0);
      break;
    case G_STORAGE_TYPE:
      return machine_fail (m, CT_TORCH_SAVE_ERROR_PICKLE, "a storage type called");
    }
  if (result == NULL)
    return FALSE;
  push (m, result);
  return TRUE;
}

/* ('storage', torch.XStorage, key, location, numel): the record data/KEY. */
static gboolean
do_persistent_id (Machine *m)
{
  Value *pid = pop (m), *type, *key, *numel, *value;
  g_autofree char *name = NULL;
  Record *record;
  gsize element;

  if (pid == NULL)
    return FALSE;
  if (pid->kind != V_TUPLE || pid->items->len != 5 ||
      ((Value *) g_ptr_array_index (pid->items, 0))->kind != V_STRING ||
      !g_str_equal (((Value *) g_ptr_array_index (pid->items, 0))->text, "storage"))
    return machine_fail (m, CT_TORCH_SAVE_ERROR_PICKLE,
                         "a persistent id that is not ('storage', type, key, location, size)");
  type = g_ptr_array_index (pid->items, 1);
  key = g_ptr_array_index (pid->items, 2);
  numel = g_ptr_array_index (pid->items, 4);
  if (type->kind != V_GLOBAL || type->global != G_STORAGE_TYPE || key->kind != V_STRING ||
      numel->kind != V_INT || numel->integer < 0)
    return machine_fail (m, CT_TORCH_SAVE_ERROR_PICKLE, "a storage reference with a wrong type, key or size");

  value = g_hash_table_lookup (m->storages, key->text);
  if (value != NULL)
    {
      if (value->storage.dtype != type->dtype)
        return machine_fail (m, CT_TORCH_SAVE_ERROR_PICKLE, "storage %s is read as two types", key->text);
      push (m, value);
      return TRUE;
    }

  name = g_strconcat (m->prefix, "data/", key->text, NULL);
  record = g_hash_table_lookup (m->records, name);
  element = ct_dtype_size (type->dtype);
  if (record == NULL)
    return machine_fail (m, CT_TORCH_SAVE_ERROR_ARCHIVE, "the archive has no record %s", name);
  if ((guint64) numel->integer > record->size / element)
    return machine_fail (m, CT_TORCH_SAVE_ERROR_ARCHIVE,
                         "record %s holds %" G_GUINT64_FORMAT " bytes, its storage needs %"
                         G_GUINT64_FORMAT " elements of %" G_GSIZE_FORMAT,
                         name, record->size, (guint64) numel->integer, element);

  value = new_value (m, V_STORAGE);
  value->storage.record = record;
  value->storage.dtype = type->dtype;
  value->storage.numel = (guint64) numel->integer;
  g_hash_table_insert (m->storages, g_strdup (key->text), value);
  push (m, value);
  return TRUE;
}

static gboolean
memo_put (Machine *m,
          guint64  index)
{
  Value *value = top (m);

  if (value == NULL)
    return FALSE;
  if (index > G_MAXUINT32)
    return machine_fail (m, CT_TORCH_SAVE_ERROR_PICKLE, "a memo index beyond 2^32");
  g_hash_table_insert (m->memo, GUINT_TO_POINTER ((guint) index), value);
  return TRUE;
}

static gboolean
memo_get (Machine *m,
          guint64  index)
{
  Value *value = index <= G_MAXUINT32 ? g_hash_table_lookup (m->memo, GUINT_TO_POINTER ((guint) index)) : NULL;

  if (value == NULL)
    return machine_fail (m, CT_TORCH_SAVE_ERROR_PICKLE, "memo entry %" G_GUINT64_FORMAT " was never stored", index);
  push (m, value);
  return TRUE;
}

static gboolean
push_int (Machine *m,
          gint64   integer)
{
  Value *value = new_value (m, V_INT);

  value->integer = integer;
  push (m, value);
  return TRUE;
}

/* LONG1 / LONG4: little-endian two's complement of up to 8 bytes. */
static gboolean
push_long (Machine *m,
           guint64  n)
{
  const guint8 *bytes = NULL;
  guint64 value = 0;

  if (n > 8)
    return machine_fail (m, CT_TORCH_SAVE_ERROR_PICKLE, "an integer of %" G_GUINT64_FORMAT " bytes", n);
  if (!take (m, n, &bytes))
    return FALSE;
  for (guint i = 0; i < n; i++)
    value |= (guint64) bytes[i] << (8 * i);
  if (n > 0 && n < 8 && (bytes[n - 1] & 0x80) != 0)
    value |= ~(guint64) 0 << (8 * n);
  return push_int (m, (gint64) value);
}

static gboolean
add_items (Machine *m,
           gboolean dict)
{
  g_autoptr(GPtrArray) items = g_ptr_array_new ();
  Value *target;

  if (!pop_mark (m, items) || (target = top (m)) == NULL)
    return FALSE;
  if (target->kind != (dict ? V_DICT : V_LIST))
    return machine_fail (m, CT_TORCH_SAVE_ERROR_PICKLE, "%s on %s", dict ? "SETITEMS" : "APPENDS",
                         kind_name (target->kind));
  if (dict && items->len % 2 != 0)
    return machine_fail (m, CT_TORCH_SAVE_ERROR_PICKLE, "SETITEMS with an odd count");
  for (guint i = 0; i < items->len; i++)
    g_ptr_array_add (target->items, g_ptr_array_index (items, i));
  return TRUE;
}

static gboolean
run (Machine *m,
     Value  **out_result)
{
  while (TRUE)
    {
      const guint8 *op = NULL, *arg = NULL;
      Value *value;

      if (!take (m, 1, &op))
        return FALSE;
      switch (*op)
        {
        case 0x80: /* PROTO */
          if (!take (m, 1, &arg))
            return FALSE;
          break;
        case 0x95: /* FRAME */
          if (!take (m, 8, &arg))
            return FALSE;
          break;
        case '.': /* STOP */
          if ((value = pop (m)) == NULL)
            return FALSE;
          *out_result = value;
          return TRUE;
        case '(': /* MARK */
          g_array_append_val (m->marks, m->stack->len);
          break;
        case 'N':
          push (m, new_value (m, V_NONE));
          break;
        case 0x88: /* NEWTRUE */
        case 0x89: /* NEWFALSE */
          value = new_value (m, V_BOOL);
          value->integer = *op == 0x88;
          push (m, value);
          break;
        case 'K': /* BININT1 */
          if (!take (m, 1, &arg))
            return FALSE;
          push_int (m, arg[0]);
          break;
        case 'M': /* BININT2 */
          if (!take (m, 2, &arg))
            return FALSE;
          push_int (m, le16 (arg));
          break;
        case 'J': /* BININT */
          if (!take (m, 4, &arg))
            return FALSE;
          push_int (m, (gint32) le32 (arg));
          break;
        case 0x8a: /* LONG1 */
          if (!take (m, 1, &arg) || !push_long (m, arg[0]))
            return FALSE;
          break;
        case 0x8b: /* LONG4 */
          if (!take (m, 4, &arg) || !push_long (m, le32 (arg)))
            return FALSE;
          break;
        case 'G': /* BINFLOAT, big-endian */
          {
            guint64 bits = 0;

            if (!take (m, 8, &arg))
              return FALSE;
            for (guint i = 0; i < 8; i++)
              bits = (bits << 8) | arg[i];
            value = new_value (m, V_FLOAT);
            memcpy (&value->number, &bits, sizeof bits);
            push (m, value);
            break;
          }
        case 'X': /* BINUNICODE */
          if (!take (m, 4, &arg) || !push_string (m, V_STRING, le32 (arg)))
            return FALSE;
          break;
        case 0x8c: /* SHORT_BINUNICODE */
          if (!take (m, 1, &arg) || !push_string (m, V_STRING, arg[0]))
            return FALSE;
          break;
        case 0x8d: /* BINUNICODE8 */
          if (!take (m, 8, &arg) || !push_string (m, V_STRING, le64 (arg)))
            return FALSE;
          break;
        case 'T': /* BINSTRING */
          if (!take (m, 4, &arg) || !push_string (m, V_BYTES, le32 (arg)))
            return FALSE;
          break;
        case 'U': /* SHORT_BINSTRING */
        case 'C': /* SHORT_BINBYTES */
          if (!take (m, 1, &arg) || !push_string (m, V_BYTES, arg[0]))
            return FALSE;
          break;
        case 'B': /* BINBYTES */
          if (!take (m, 4, &arg) || !push_string (m, V_BYTES, le32 (arg)))
            return FALSE;
          break;
        case '}': /* EMPTY_DICT */
          push (m, new_value (m, V_DICT));
          break;
        case ']': /* EMPTY_LIST */
          push (m, new_value (m, V_LIST));
          break;
        case ')': /* EMPTY_TUPLE */
          push (m, new_value (m, V_TUPLE));
          break;
        case 't': /* TUPLE */
          value = new_value (m, V_TUPLE);
          if (!pop_mark (m, value->items))
            return FALSE;
          push (m, value);
          break;
        case 0x85: /* TUPLE1 */
        case 0x86: /* TUPLE2 */
        case 0x87: /* TUPLE3 */
          {
            guint n = *op - 0x84;
            Value *items[3];

            for (guint i = n; i > 0; i--)
              if ((items[i - 1] = pop (m)) == NULL)
                return FALSE;
            value = new_value (m, V_TUPLE);
            for (guint i = 0; i < n; i++)
              g_ptr_array_add (value->items, items[i]);
            push (m, value);
            break;
          }
        case 'a': /* APPEND */
          {
            Value *item = pop (m), *list = item != NULL ? top (m) : NULL;

            if (list == NULL)
              return FALSE;
            if (list->kind != V_LIST)
              return machine_fail (m, CT_TORCH_SAVE_ERROR_PICKLE, "APPEND on %s", kind_name (list->kind));
            g_ptr_array_add (list->items, item);
            break;
          }
        case 'e': /* APPENDS */
          if (!add_items (m, FALSE))
            return FALSE;
          break;
        case 's': /* SETITEM */
          {
            Value *item = pop (m), *key = item != NULL ? pop (m) : NULL, *dict = key != NULL ? top (m) : NULL;

            if (dict == NULL)
              return FALSE;
            if (dict->kind != V_DICT)
              return machine_fail (m, CT_TORCH_SAVE_ERROR_PICKLE, "SETITEM on %s", kind_name (dict->kind));
            g_ptr_array_add (dict->items, key);
            g_ptr_array_add (dict->items, item);
            break;
          }
        case 'u': /* SETITEMS */
          if (!add_items (m, TRUE))
            return FALSE;
          break;
        case 'c': /* GLOBAL: "module\nname\n" */
          {
            const char *start = (const char *) m->pickle + m->pos;
            const char *end = memchr (start, '\n', m->size - m->pos);
            const char *end2 = end != NULL ? memchr (end + 1, '\n', m->size - m->pos - (end + 1 - start)) : NULL;
            g_autofree char *module = NULL, *name = NULL;

            if (end2 == NULL)
              return machine_fail (m, CT_TORCH_SAVE_ERROR_PICKLE, "a truncated GLOBAL");
            module = g_strndup (start, end - start);
            name = g_strndup (end + 1, end2 - end - 1);
            m->pos += end2 + 1 - start;
            if (!g_utf8_validate (module, -1, NULL) || !g_utf8_validate (name, -1, NULL))
              return machine_fail (m, CT_TORCH_SAVE_ERROR_PICKLE, "a GLOBAL that is not UTF-8 text");
            if (!push_global (m, module, name))
              return FALSE;
            break;
          }
        case 0x93: /* STACK_GLOBAL */
          {
            Value *name = pop (m), *module = name != NULL ? pop (m) : NULL;

            if (module == NULL)
              return FALSE;
            if (module->kind != V_STRING || name->kind != V_STRING)
              return machine_fail (m, CT_TORCH_SAVE_ERROR_PICKLE, "STACK_GLOBAL without two strings");
            if (!push_global (m, module->text, name->text))
              return FALSE;
            break;
          }
        case 'R': /* REDUCE */
          if (!do_reduce (m))
            return FALSE;
          break;
        case 'b': /* BUILD: only an OrderedDict's attributes (state_dict's _metadata), dropped */
          {
            Value *state = pop (m), *object = state != NULL ? top (m) : NULL;

            if (object == NULL)
              return FALSE;
            if (object->kind != V_DICT)
              return machine_fail (m, CT_TORCH_SAVE_ERROR_PICKLE, "BUILD on %s", kind_name (object->kind));
            break;
          }
        case 'Q': /* BINPERSID */
          if (!do_persistent_id (m))
            return FALSE;
          break;
        case 'q': /* BINPUT */
          if (!take (m, 1, &arg) || !memo_put (m, arg[0]))
            return FALSE;
          break;
        case 'r': /* LONG_BINPUT */
          if (!take (m, 4, &arg) || !memo_put (m, le32 (arg)))
            return FALSE;
          break;
        case 0x94: /* MEMOIZE */
          if (!memo_put (m, g_hash_table_size (m->memo)))
            return FALSE;
          break;
        case 'h': /* BINGET */
          if (!take (m, 1, &arg) || !memo_get (m, arg[0]))
            return FALSE;
          break;
        case 'j': /* LONG_BINGET */
          if (!take (m, 4, &arg) || !memo_get (m, le32 (arg)))
            return FALSE;
          break;
        case '0': /* POP */
          if (pop (m) == NULL)
            return FALSE;
          break;
        case '1': /* POP_MARK */
          if (!pop_mark (m, NULL))
            return FALSE;
          break;
        case '2': /* DUP */
          if ((value = top (m)) == NULL)
            return FALSE;
          push (m, value);
          break;
        default:
          m->pos--;
          return machine_fail (m, CT_TORCH_SAVE_ERROR_PICKLE,
                               "pickle opcode 0x%02x is not one torch.save writes for weights: refused",
                               *op);
        }
    }
}

/* ---- The state dict ----------------------------------------------------- */

struct _CtTorchSave
{
  GBytes       *bytes;
  CtTensorView *tensors;
  guint         n_tensors;
  guint         n_allocated;
  GPtrArray    *buffers;    /* the converted data, owned */
  char         *key;
  gboolean      has_epoch;
  gint64        epoch;
};

void
ct_torch_save_free (CtTorchSave *self)
{
  if (self == NULL)
    return;
  for (guint i = 0; i < self->n_allocated; i++)
    g_free ((char *) self->tensors[i].name);
  g_free (self->tensors);
  g_clear_pointer (&self->buffers, g_ptr_array_unref);
  g_clear_pointer (&self->bytes, g_bytes_unref);
  g_free (self->key);
  g_free (self);
}

static Value *
dict_lookup (Value      *dict,
             const char *key)
{
  for (guint i = 0; i + 1 < dict->items->len; i += 2)
    {
      Value *k = g_ptr_array_index (dict->items, i);

      if (k->kind == V_STRING && g_str_equal (k->text, key))
        return g_ptr_array_index (dict->items, i + 1);
    }
  return NULL;
}

/* A non-empty dict of string keys whose values are all tensors. */
static gboolean
is_state_dict (Value *value)
{
  if (value == NULL || value->kind != V_DICT || value->items->len == 0)
    return FALSE;
  for (guint i = 0; i + 1 < value->items->len; i += 2)
    if (((Value *) g_ptr_array_index (value->items, i))->kind != V_STRING ||
        ((Value *) g_ptr_array_index (value->items, i + 1))->kind != V_TENSOR)
      return FALSE;
  return TRUE;
}

static double
element_as_double (const guint8 *p,
                   CtDtype       dtype)
{
  switch (dtype)
    {
    case CT_DTYPE_F32: { float f; memcpy (&f, p, 4); return f; }
    case CT_DTYPE_F64: { double d; memcpy (&d, p, 8); return d; }
    case CT_DTYPE_BF16: { guint32 bits = (guint32) le16 (p) << 16; float f; memcpy (&f, &bits, 4); return f; }
    case CT_DTYPE_F16:
      {
        guint16 h = le16 (p);
        int exponent = (h >> 10) & 0x1f, mantissa = h & 0x3ff;
        double value;

        if (exponent == 0)
          value = ldexp (mantissa, -24);
        else if (exponent == 31)
          value = mantissa != 0 ? NAN : INFINITY;
        else
          value = ldexp (mantissa + 1024, exponent - 25);
        return (h & 0x8000) != 0 ? -value : value;
      }
    default:
      return 0.0;
    }
}

static gint64
element_as_int (const guint8 *p,
                CtDtype       dtype)
{
  switch (dtype)
    {
    case CT_DTYPE_I64: return (gint64) le64 (p);
    case CT_DTYPE_I32: return (gint32) le32 (p);
    case CT_DTYPE_I16: return (gint16) le16 (p);
    case CT_DTYPE_I8: return (gint8) p[0];
    case CT_DTYPE_U8: return p[0];
    default: return 0;
    }
}

static gboolean
is_floating (CtDtype dtype)
{
  return dtype == CT_DTYPE_F32 || dtype == CT_DTYPE_F64 || dtype == CT_DTYPE_F16 ||
         dtype == CT_DTYPE_BF16;
}

/* Element @p of @from, as F32 or I64 (by @from's kind) at @dst. */
static void
widen_element (const guint8 *p,
               CtDtype       from,
               guint8       *dst)
{
  if (is_floating (from))
    {
      float f;

      if (from == CT_DTYPE_F32)
        memcpy (&f, p, 4);
      else
        f = (float) element_as_double (p, from);
      memcpy (dst, &f, 4);
    }
  else
    {
      gint64 v = element_as_int (p, from);

      memcpy (dst, &v, 8);
    }
}

gboolean
ct_tensor_widen (const CtTensorView *in,
                 CtTensorView       *out,
                 guint8            **out_data)
{
  gsize element = ct_dtype_size (in->dtype), numel = in->n_bytes / element;

  if (in->dtype == CT_DTYPE_BOOL)
    return FALSE;
  *out = *in;
  out->dtype = is_floating (in->dtype) ? CT_DTYPE_F32 : CT_DTYPE_I64;
  out->n_bytes = numel * ct_dtype_size (out->dtype);
  *out_data = g_malloc (MAX (out->n_bytes, 1));
  for (gsize i = 0; i < numel; i++)
    widen_element ((const guint8 *) in->data + i * element, in->dtype,
                   *out_data + i * ct_dtype_size (out->dtype));
  out->data = *out_data;
  return TRUE;
}

/* Gathers a (possibly strided) tensor into a contiguous F32 or I64 copy. */
static gboolean
materialise (CtTorchSave  *self,
             Machine      *m,
             const char   *name,
             TensorRef    *ref,
             CtTensorView *out)
{
  CtDtype from = ref->storage->dtype;
  gboolean floating = is_floating (from);
  gsize element = ct_dtype_size (from);
  const guint8 *base;
  guint64 numel = 1;
  guint8 *data;
  gint64 index[CT_TENSOR_MAX_DIMS] = { 0 };

  if (from == CT_DTYPE_BOOL)
    return machine_fail (m, CT_TORCH_SAVE_ERROR_PICKLE, "tensor %s is boolean; weights are numbers", name);
  base = record_bytes (ref->storage->record, m->file, m->what, m->error);
  if (base == NULL)
    return FALSE;
  for (guint d = 0; d < ref->n_dims; d++)
    numel *= (guint64) ref->shape[d];

  out->name = g_strdup (name);
  out->dtype = floating ? CT_DTYPE_F32 : CT_DTYPE_I64;
  out->n_dims = ref->n_dims;
  memcpy (out->shape, ref->shape, sizeof ref->shape);
  out->n_bytes = numel * ct_dtype_size (out->dtype);
  data = g_malloc (MAX (out->n_bytes, 1));
  g_ptr_array_add (self->buffers, data);
  out->data = data;

  for (guint64 i = 0; i < numel; i++)
    {
      guint64 at = ref->offset;
      const guint8 *p;

      for (guint d = 0; d < ref->n_dims; d++)
        at += (guint64) index[d] * (guint64) ref->stride[d];
      p = base + at * element;
      widen_element (p, from, data + i * ct_dtype_size (out->dtype));
      for (guint d = ref->n_dims; d > 0; d--)
        if (++index[d - 1] < ref->shape[d - 1])
          break;
        else
          index[d - 1] = 0;
    }
  return TRUE;
}

static void
describe_keys (GString *text,
               Value   *dict)
{
  for (guint i = 0; i + 1 < dict->items->len && i < 40; i += 2)
    {
      Value *k = g_ptr_array_index (dict->items, i);

      g_string_append (text, i > 0 ? ", " : "");
      g_string_append (text, k->kind == V_STRING ? k->text : kind_name (k->kind));
    }
}

CtTorchSave *
ct_torch_save_parse (GBytes      *bytes,
                     const char  *what,
                     GError     **error)
{
  g_autoptr(CtTorchSave) self = g_new0 (CtTorchSave, 1);
  g_autoptr(GHashTable) records = NULL;
  g_autoptr(GPtrArray) values = g_ptr_array_new_with_free_func ((GDestroyNotify) value_free);
  g_autoptr(GPtrArray) stack = g_ptr_array_new ();
  g_autoptr(GArray) marks = g_array_new (FALSE, FALSE, sizeof (guint));
  g_autoptr(GHashTable) memo = g_hash_table_new (NULL, NULL);
  g_autoptr(GHashTable) storages = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autofree char *prefix = NULL;
  GHashTableIter iter;
  gpointer key;
  const guint8 *data;
  gsize size;
  Record *pickle = NULL, *byteorder = NULL;
  Value *root = NULL, *state = NULL, *epoch;
  Machine m = { 0 };

  self->bytes = g_bytes_ref (bytes);
  self->buffers = g_ptr_array_new_with_free_func (g_free);
  data = g_bytes_get_data (bytes, &size);
  records = read_directory (data, size, what, error);
  if (records == NULL)
    return NULL;

  /* torch.save writes FOLDER/data.pkl, FOLDER/data/KEY, FOLDER/version. */
  g_hash_table_iter_init (&iter, records);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    {
      const char *slash = strchr (key, '/');

      if (slash != NULL && g_str_equal (slash, "/data.pkl"))
        {
          if (pickle != NULL)
            {
              fail (error, CT_TORCH_SAVE_ERROR_ARCHIVE, what, "the archive holds two data.pkl records");
              return NULL;
            }
          pickle = g_hash_table_lookup (records, key);
          prefix = g_strndup (key, slash + 1 - (const char *) key);
        }
    }
  if (pickle == NULL)
    {
      fail (error, CT_TORCH_SAVE_ERROR_ARCHIVE, what,
            "a zip archive without FOLDER/data.pkl: not written by torch.save");
      return NULL;
    }
  {
    g_autofree char *name = g_strconcat (prefix, "byteorder", NULL);

    byteorder = g_hash_table_lookup (records, name);
  }
  if (byteorder != NULL)
    {
      const guint8 *order = record_bytes (byteorder, data, what, error);

      if (order == NULL)
        return NULL;
      if (byteorder->size != 6 || memcmp (order, "little", 6) != 0)
        {
          fail (error, CT_TORCH_SAVE_ERROR_ARCHIVE, what, "written on a big-endian machine: not read");
          return NULL;
        }
    }

  m.what = what;
  m.pickle = record_bytes (pickle, data, what, error);
  if (m.pickle == NULL)
    return NULL;
  m.size = pickle->size;
  m.file = data;
  m.records = records;
  m.prefix = prefix;
  m.values = values;
  m.stack = stack;
  m.marks = marks;
  m.memo = memo;
  m.storages = storages;
  m.error = error;
  if (!run (&m, &root))
    return NULL;

  if (is_state_dict (root))
    {
      state = root;
      self->key = g_strdup ("");
    }
  else if (root->kind == V_DICT)
    {
      for (guint i = 0; ct_torch_save_state_keys[i] != NULL && state == NULL; i++)
        if (is_state_dict (dict_lookup (root, ct_torch_save_state_keys[i])))
          {
            state = dict_lookup (root, ct_torch_save_state_keys[i]);
            self->key = g_strdup (ct_torch_save_state_keys[i]);
          }
      epoch = dict_lookup (root, "epoch");
      if (epoch != NULL && epoch->kind == V_INT)
        {
          self->has_epoch = TRUE;
          self->epoch = epoch->integer;
        }
    }
  if (state == NULL)
    {
      g_autoptr(GString) keys = g_string_new (NULL);
      g_autofree char *usual = g_strjoinv (", ", (char **) ct_torch_save_state_keys);

      if (root->kind == V_DICT)
        describe_keys (keys, root);
      fail (error, CT_TORCH_SAVE_ERROR_NO_WEIGHTS, what,
            "no state dict (a dict of tensors) at the top level or under %s; the file holds %s%s%s",
            usual, kind_name (root->kind), keys->len > 0 ? " with keys " : "", keys->str);
      return NULL;
    }

  self->n_tensors = 0;
  self->n_allocated = state->items->len / 2;
  self->tensors = g_new0 (CtTensorView, self->n_allocated);
  for (guint i = 0; i + 1 < state->items->len; i += 2)
    {
      Value *k = g_ptr_array_index (state->items, i);
      Value *t = g_ptr_array_index (state->items, i + 1);

      if (!materialise (self, &m, k->text, &t->tensor, &self->tensors[self->n_tensors]))
        return NULL;
      self->n_tensors++;
    }

  return g_steal_pointer (&self);
}

CtTorchSave *
ct_torch_save_load (const char  *path,
                    GError     **error)
{
  g_autoptr(GMappedFile) mapped = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) local_error = NULL;

  mapped = g_mapped_file_new (path, FALSE, &local_error);
  if (mapped == NULL)
    {
      g_set_error (error, CT_TORCH_SAVE_ERROR, CT_TORCH_SAVE_ERROR_IO, "%s", local_error->message);
      return NULL;
    }
  bytes = g_mapped_file_get_bytes (mapped);
  return ct_torch_save_parse (bytes, path, error);
}

guint
ct_torch_save_get_n_tensors (CtTorchSave *self)
{
  return self->n_tensors;
}

const CtTensorView *
ct_torch_save_get_tensor (CtTorchSave *self,
                          guint        index)
{
  g_return_val_if_fail (index < self->n_tensors, NULL);
  return &self->tensors[index];
}

const char *
ct_torch_save_get_key (CtTorchSave *self)
{
  return self->key;
}

gboolean
ct_torch_save_get_epoch (CtTorchSave *self,
                         gint64      *out_epoch)
{
  if (self->has_epoch && out_epoch != NULL)
    *out_epoch = self->epoch;
  return self->has_epoch;
}
