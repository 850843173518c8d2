/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "ct-safetensors.h"
#include "ct-test-data.h"

/* A scratch directory per test, removed with everything in it. */
typedef struct
{
  char *dir;
} Fixture;

static void
fixture_setup (Fixture       *fixture,
               gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;

  fixture->dir = g_dir_make_tmp ("test-safetensors-XXXXXX", &error);
  g_assert_no_error (error);
}

static void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  user_data)
{
  ct_test_remove_tree (fixture->dir);
  g_free (fixture->dir);
}

static guint
count_entries (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  guint n = 0;

  g_assert_nonnull (dir);
  while (g_dir_read_name (dir) != NULL)
    n++;

  return n;
}

static void
test_dtypes (void)
{
  static const char *names[] = { "F32", "F64", "F16", "BF16", "I64", "I32", "I16", "I8", "U8", "BOOL" };
  static const gsize sizes[] = { 4, 8, 2, 2, 8, 4, 2, 1, 1, 1 };
  CtDtype dtype;

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_assert_true (ct_dtype_from_string (names[i], &dtype));
      g_assert_cmpint (dtype, ==, (CtDtype) i);
      g_assert_cmpstr (ct_dtype_to_string (dtype), ==, names[i]);
      g_assert_cmpuint (ct_dtype_size (dtype), ==, sizes[i]);
    }

  g_assert_false (ct_dtype_from_string ("f32", &dtype));
  g_assert_false (ct_dtype_from_string ("", &dtype));
}

static void
test_round_trip (Fixture       *fixture,
                 gconstpointer  user_data)
{
  static const float weights[2][3] = { { 1.f, -2.5f, 3.25f }, { 0.f, 1e-8f, -1e8f } };
  static const gint64 step = G_GINT64_CONSTANT (-1234567890123);
  static const guint8 labels[5] = { 0, 9, 255, 7, 1 };
  g_autofree char *path = g_build_filename (fixture->dir, "epoch-001.safetensors", NULL);
  g_autoptr(GHashTable) metadata = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(CtSafetensors) st = NULL;
  g_autoptr(GError) error = NULL;
  CtTensorView tensors[4] = {
    { "conv.weight", CT_DTYPE_F32, 2, { 2, 3 }, weights, sizeof weights },
    { "num_batches_tracked", CT_DTYPE_I64, 0, { 0 }, &step, sizeof step },
    { "labels", CT_DTYPE_U8, 1, { 5 }, labels, sizeof labels },
    { "empty", CT_DTYPE_F32, 2, { 0, 4 }, NULL, 0 },
  };
  const CtTensorView *view;

  g_hash_table_insert (metadata, "format", "pt");
  g_hash_table_insert (metadata, "note", "σ=0.1, “quoted”\n");

  ct_safetensors_save (path, tensors, G_N_ELEMENTS (tensors), metadata, &error);
  g_assert_no_error (error);

  st = ct_safetensors_load (path, &error);
  g_assert_no_error (error);
  g_assert_nonnull (st);

  g_assert_cmpuint (ct_safetensors_get_n_tensors (st), ==, G_N_ELEMENTS (tensors));
  /* Laid out in the given order, so listed by offset in that order too. */
  for (guint i = 0; i < G_N_ELEMENTS (tensors); i++)
    {
      const CtTensorView *expected = &tensors[i];

      view = ct_safetensors_get_tensor (st, i);
      g_assert_cmpstr (view->name, ==, expected->name);
      g_assert_true (ct_safetensors_lookup (st, expected->name) == view);
      g_assert_cmpint (view->dtype, ==, expected->dtype);
      g_assert_cmpuint (view->n_dims, ==, expected->n_dims);
      for (guint d = 0; d < view->n_dims; d++)
        g_assert_cmpint (view->shape[d], ==, expected->shape[d]);
      g_assert_cmpmem (view->data, view->n_bytes, expected->data, expected->n_bytes);
    }

  /* The data area starts 8-byte aligned. */
  view = ct_safetensors_get_tensor (st, 0);
  g_assert_cmpuint (GPOINTER_TO_SIZE (view->data) % 8, ==, 0);

  g_assert_null (ct_safetensors_lookup (st, "missing"));
  g_assert_null (ct_safetensors_lookup (st, "__metadata__"));

  g_assert_cmpstr (ct_safetensors_get_metadata (st, "format"), ==, "pt");
  g_assert_cmpstr (ct_safetensors_get_metadata (st, "note"), ==, "σ=0.1, “quoted”\n");
  g_assert_null (ct_safetensors_get_metadata (st, "missing"));
  g_assert_cmpuint (g_hash_table_size (ct_safetensors_get_metadata_table (st)), ==, 2);

  /* Nothing but the file itself is left in the directory. */
  g_assert_cmpuint (count_entries (fixture->dir), ==, 1);
}

static void
test_no_metadata (Fixture       *fixture,
                  gconstpointer  user_data)
{
  g_autofree char *path = g_build_filename (fixture->dir, "a.safetensors", NULL);
  g_autoptr(GHashTable) empty = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(CtSafetensors) st = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  gsize len;

  ct_safetensors_save (path, NULL, 0, empty, &error);
  g_assert_no_error (error);

  /* An empty metadata map is left out altogether. */
  g_file_get_contents (path, &contents, &len, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (contents, len, "\x08\0\0\0\0\0\0\0{}      ", 16);

  st = ct_safetensors_load (path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (ct_safetensors_get_n_tensors (st), ==, 0);
  g_assert_nonnull (ct_safetensors_get_metadata_table (st));
  g_assert_cmpuint (g_hash_table_size (ct_safetensors_get_metadata_table (st)), ==, 0);
}

/* The exact bytes of a tiny file, written out by hand from the format's
 * description, so a reader and a writer that agree on a mistake still fail. */
static void
test_exact_bytes (Fixture       *fixture,
                  gconstpointer  user_data)
{
  static const char expected[] =
    "\x50\0\0\0\0\0\0\0"
    "{\"__metadata__\":{\"k\":\"v\"},"
    "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}"
    " "
    "\x00\x00\x80\x3f"
    "\x00\x00\x00\xc0";
  static const float values[2] = { 1.f, -2.f };
  g_autofree char *path = g_build_filename (fixture->dir, "tiny.safetensors", NULL);
  g_autoptr(GHashTable) metadata = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  CtTensorView tensor = { "a", CT_DTYPE_F32, 1, { 2 }, values, sizeof values };
  gsize len;

  g_hash_table_insert (metadata, "k", "v");

  ct_safetensors_save (path, &tensor, 1, metadata, &error);
  g_assert_no_error (error);

  g_file_get_contents (path, &contents, &len, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (contents, len, expected, sizeof expected - 1);
}

/* Overwriting goes through a rename, so the old contents are replaced whole. */
static void
test_overwrite (Fixture       *fixture,
                gconstpointer  user_data)
{
  g_autofree char *path = g_build_filename (fixture->dir, "w.safetensors", NULL);
  g_autoptr(CtSafetensors) st = NULL;
  g_autoptr(GError) error = NULL;
  gint32 first[4] = { 1, 2, 3, 4 };
  gint16 second = -7;
  CtTensorView a = { "a", CT_DTYPE_I32, 1, { 4 }, first, sizeof first };
  CtTensorView b = { "b", CT_DTYPE_I16, 0, { 0 }, &second, sizeof second };

  ct_safetensors_save (path, &a, 1, NULL, &error);
  g_assert_no_error (error);
  ct_safetensors_save (path, &b, 1, NULL, &error);
  g_assert_no_error (error);

  st = ct_safetensors_load (path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (ct_safetensors_get_n_tensors (st), ==, 1);
  g_assert_null (ct_safetensors_lookup (st, "a"));
  g_assert_cmpint (*(const gint16 *) ct_safetensors_lookup (st, "b")->data, ==, -7);
  g_assert_cmpuint (count_entries (fixture->dir), ==, 1);
}

static void
test_save_missing_dir (Fixture       *fixture,
                       gconstpointer  user_data)
{
  g_autofree char *missing = g_build_filename (fixture->dir, "no-such-dir", NULL);
  g_autofree char *path = g_build_filename (missing, "x.safetensors", NULL);
  g_autoptr(GError) error = NULL;
  float value = 1.f;
  CtTensorView tensor = { "x", CT_DTYPE_F32, 1, { 1 }, &value, sizeof value };

  g_assert_false (ct_safetensors_save (path, &tensor, 1, NULL, &error));
  g_assert_error (error, CT_SAFETENSORS_ERROR, CT_SAFETENSORS_ERROR_IO);
  g_assert_nonnull (strstr (error->message, path));

  g_assert_false (g_file_test (missing, G_FILE_TEST_EXISTS));
  g_assert_cmpuint (count_entries (fixture->dir), ==, 0);
}

static void
test_save_rejects (Fixture       *fixture,
                   gconstpointer  user_data)
{
  g_autofree char *path = g_build_filename (fixture->dir, "bad.safetensors", NULL);
  float values[6] = { 0 };
  CtTensorView duplicate[2] = {
    { "w", CT_DTYPE_F32, 1, { 2 }, values, 8 },
    { "w", CT_DTYPE_F32, 1, { 4 }, values, 16 },
  };
  CtTensorView wrong_size = { "w", CT_DTYPE_F32, 2, { 2, 3 }, values, 20 };
  CtTensorView negative = { "w", CT_DTYPE_F32, 1, { -1 }, values, 0 };
  CtTensorView reserved = { "__metadata__", CT_DTYPE_U8, 1, { 1 }, values, 1 };
  CtTensorView no_data = { "w", CT_DTYPE_U8, 1, { 1 }, NULL, 1 };
  struct {
    const CtTensorView *tensors;
    guint               n_tensors;
  } cases[] = {
    { duplicate, 2 },
    { &wrong_size, 1 },
    { &negative, 1 },
    { &reserved, 1 },
    { &no_data, 1 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;

      g_assert_false (ct_safetensors_save (path, cases[i].tensors, cases[i].n_tensors,
                                           NULL, &error));
      g_assert_error (error, CT_SAFETENSORS_ERROR, CT_SAFETENSORS_ERROR_HEADER);
      g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
    }
}

static void
test_load_missing (Fixture       *fixture,
                   gconstpointer  user_data)
{
  g_autofree char *path = g_build_filename (fixture->dir, "none.safetensors", NULL);
  g_autoptr(CtSafetensors) st = NULL;
  g_autoptr(GError) error = NULL;

  st = ct_safetensors_load (path, &error);
  g_assert_null (st);
  g_assert_error (error, CT_SAFETENSORS_ERROR, CT_SAFETENSORS_ERROR_IO);
  g_assert_nonnull (strstr (error->message, path));
}

static void
test_load_hostile_file (Fixture       *fixture,
                        gconstpointer  user_data)
{
  g_autofree char *path = g_build_filename (fixture->dir, "evil.safetensors", NULL);
  g_autoptr(CtSafetensors) st = NULL;
  g_autoptr(GError) error = NULL;

  g_file_set_contents (path, "\xff\xff\xff\xff\xff\xff\xff\x7f{}", 10, &error);
  g_assert_no_error (error);

  st = ct_safetensors_load (path, &error);
  g_assert_null (st);
  g_assert_error (error, CT_SAFETENSORS_ERROR, CT_SAFETENSORS_ERROR_HEADER);
  g_assert_nonnull (strstr (error->message, path));
}

/* Hostile or broken headers, parsed from memory ------------------------- */

/* The file for @header followed by @data_len zero bytes of data. */
static GBytes *
make_file (const char *header,
           gsize       header_len,
           gsize       data_len)
{
  guint64 len_le = GUINT64_TO_LE ((guint64) header_len);
  guint8 *contents = g_malloc0 (8 + header_len + data_len);

  memcpy (contents, &len_le, 8);
  memcpy (contents + 8, header, header_len);

  return g_bytes_new_take (contents, 8 + header_len + data_len);
}

typedef struct
{
  const char *test_name;
  const char *header;
  gsize       data_len;
  gint        code;
} HostileHeader;

static const HostileHeader hostile_headers[] = {
  { "not-json", "{\"a\": {\"dtype\": ", 0, CT_SAFETENSORS_ERROR_HEADER },
  { "not-object", "[1, 2, 3]", 0, CT_SAFETENSORS_ERROR_HEADER },
  { "string-root", "\"hello\"", 0, CT_SAFETENSORS_ERROR_HEADER },
  { "empty-header", "", 0, CT_SAFETENSORS_ERROR_HEADER },
  { "entry-not-object", "{\"a\": [1]}", 0, CT_SAFETENSORS_ERROR_HEADER },
  { "missing-dtype", "{\"a\": {\"shape\": [1], \"data_offsets\": [0, 4]}}", 4,
    CT_SAFETENSORS_ERROR_HEADER },
  { "missing-shape", "{\"a\": {\"dtype\": \"F32\", \"data_offsets\": [0, 4]}}", 4,
    CT_SAFETENSORS_ERROR_HEADER },
  { "missing-offsets", "{\"a\": {\"dtype\": \"F32\", \"shape\": [1]}}", 4,
    CT_SAFETENSORS_ERROR_HEADER },
  { "dtype-not-string", "{\"a\": {\"dtype\": 4, \"shape\": [1], \"data_offsets\": [0, 4]}}", 4,
    CT_SAFETENSORS_ERROR_HEADER },
  { "shape-not-array", "{\"a\": {\"dtype\": \"F32\", \"shape\": \"1\", \"data_offsets\": [0, 4]}}", 4,
    CT_SAFETENSORS_ERROR_HEADER },
  { "offsets-not-array", "{\"a\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": 0}}", 4,
    CT_SAFETENSORS_ERROR_HEADER },
  { "offsets-strings", "{\"a\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [\"0\", \"4\"]}}", 4,
    CT_SAFETENSORS_ERROR_HEADER },
  { "offsets-one", "{\"a\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [4]}}", 4,
    CT_SAFETENSORS_ERROR_HEADER },
  { "offsets-three", "{\"a\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, 4, 8]}}", 8,
    CT_SAFETENSORS_ERROR_HEADER },
  { "offsets-negative", "{\"a\": {\"dtype\": \"U8\", \"shape\": [0], \"data_offsets\": [-4, -4]}}", 4,
    CT_SAFETENSORS_ERROR_HEADER },
  { "negative-dim", "{\"a\": {\"dtype\": \"F32\", \"shape\": [-1], \"data_offsets\": [0, 4]}}", 4,
    CT_SAFETENSORS_ERROR_HEADER },
  { "float-dim", "{\"a\": {\"dtype\": \"F32\", \"shape\": [1.0], \"data_offsets\": [0, 4]}}", 4,
    CT_SAFETENSORS_ERROR_HEADER },
  { "exponent-dim", "{\"a\": {\"dtype\": \"U8\", \"shape\": [4e0], \"data_offsets\": [0, 4]}}", 4,
    CT_SAFETENSORS_ERROR_HEADER },
  { "bool-dim", "{\"a\": {\"dtype\": \"U8\", \"shape\": [true], \"data_offsets\": [0, 1]}}", 4,
    CT_SAFETENSORS_ERROR_HEADER },
  { "huge-dim", "{\"a\": {\"dtype\": \"U8\", \"shape\": [99999999999999999999], \"data_offsets\": [0, 1]}}", 4,
    CT_SAFETENSORS_ERROR_HEADER },
  { "shape-overflow",
    "{\"a\": {\"dtype\": \"U8\", \"shape\": [4294967296, 4294967296, 2], \"data_offsets\": [0, 0]}}", 4,
    CT_SAFETENSORS_ERROR_HEADER },
  { "bytes-overflow",
    "{\"a\": {\"dtype\": \"F64\", \"shape\": [2305843009213693952], \"data_offsets\": [0, 0]}}", 4,
    CT_SAFETENSORS_ERROR_HEADER },
  { "too-many-dims",
    "{\"a\": {\"dtype\": \"U8\", \"shape\": [1,1,1,1,1,1,1,1,1], \"data_offsets\": [0, 1]}}", 4,
    CT_SAFETENSORS_ERROR_HEADER },
  { "unknown-dtype", "{\"a\": {\"dtype\": \"F8_E4M3\", \"shape\": [1], \"data_offsets\": [0, 1]}}", 4,
    CT_SAFETENSORS_ERROR_DTYPE },
  { "begin-after-end", "{\"a\": {\"dtype\": \"U8\", \"shape\": [0], \"data_offsets\": [4, 0]}}", 4,
    CT_SAFETENSORS_ERROR_HEADER },
  { "end-beyond-data", "{\"a\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8]}}", 4,
    CT_SAFETENSORS_ERROR_HEADER },
  { "size-mismatch", "{\"a\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 4]}}", 8,
    CT_SAFETENSORS_ERROR_HEADER },
  { "overlap",
    "{\"a\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8]},"
    " \"b\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [4, 12]}}", 12,
    CT_SAFETENSORS_ERROR_HEADER },
  { "same-span",
    "{\"a\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, 4]},"
    " \"b\": {\"dtype\": \"I32\", \"shape\": [1], \"data_offsets\": [0, 4]}}", 4,
    CT_SAFETENSORS_ERROR_HEADER },
  { "contained",
    "{\"a\": {\"dtype\": \"U8\", \"shape\": [16], \"data_offsets\": [0, 16]},"
    " \"b\": {\"dtype\": \"U8\", \"shape\": [2], \"data_offsets\": [4, 6]}}", 16,
    CT_SAFETENSORS_ERROR_HEADER },
  { "metadata-not-object", "{\"__metadata__\": [\"a\"]}", 0, CT_SAFETENSORS_ERROR_HEADER },
  { "metadata-number", "{\"__metadata__\": {\"epoch\": 3}}", 0, CT_SAFETENSORS_ERROR_HEADER },
  { "metadata-nested", "{\"__metadata__\": {\"a\": {\"b\": \"c\"}}}", 0, CT_SAFETENSORS_ERROR_HEADER },
  { "duplicate-name",
    "{\"a\": {\"dtype\": \"U8\", \"shape\": [1], \"data_offsets\": [0, 1]},"
    " \"a\": {\"dtype\": \"U8\", \"shape\": [1], \"data_offsets\": [1, 2]}}", 2,
    CT_SAFETENSORS_ERROR_HEADER },
  { "duplicate-field",
    "{\"a\": {\"dtype\": \"U8\", \"dtype\": \"I8\", \"shape\": [1], \"data_offsets\": [0, 1]}}", 1,
    CT_SAFETENSORS_ERROR_HEADER },
  { "duplicate-metadata", "{\"__metadata__\": {}, \"__metadata__\": {}}", 0,
    CT_SAFETENSORS_ERROR_HEADER },
};

static void
test_hostile_header (gconstpointer user_data)
{
  const HostileHeader *hostile = user_data;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(CtSafetensors) st = NULL;
  g_autoptr(GError) error = NULL;

  bytes = make_file (hostile->header, strlen (hostile->header), hostile->data_len);
  st = ct_safetensors_parse (bytes, "hostile.safetensors", &error);
  g_assert_null (st);
  g_assert_error (error, CT_SAFETENSORS_ERROR, hostile->code);
  g_assert_true (g_str_has_prefix (error->message, "hostile.safetensors: "));
  g_test_message ("%s", error->message);
}

static void
assert_parse_fails (GBytes *bytes)
{
  g_autoptr(CtSafetensors) st = NULL;
  g_autoptr(GError) error = NULL;

  st = ct_safetensors_parse (bytes, "mem", &error);
  g_assert_null (st);
  g_assert_error (error, CT_SAFETENSORS_ERROR, CT_SAFETENSORS_ERROR_HEADER);
  g_assert_true (g_str_has_prefix (error->message, "mem: "));
  g_test_message ("%s", error->message);
}

static void
test_too_short (void)
{
  for (gsize len = 0; len < 8; len++)
    {
      g_autoptr(GBytes) bytes = g_bytes_new ("\0\0\0\0\0\0\0\0", len);

      assert_parse_fails (bytes);
    }
}

static void
test_header_longer_than_file (void)
{
  static const guint64 lengths[] = { 3, 100, G_MAXUINT32, G_MAXINT64, G_MAXUINT64 };

  for (guint i = 0; i < G_N_ELEMENTS (lengths); i++)
    {
      guint64 len_le = GUINT64_TO_LE (lengths[i]);
      guint8 contents[10] = { 0 };
      g_autoptr(GBytes) bytes = NULL;

      memcpy (contents, &len_le, 8);
      memcpy (contents + 8, "{}", 2);
      bytes = g_bytes_new (contents, sizeof contents);

      assert_parse_fails (bytes);
    }
}

/* Even a file that really is that long is refused before its header is
 * parsed.  The zeroed pages are never touched, so this costs no memory. */
static void
test_header_too_large (void)
{
  gsize header_len = 100u * 1000u * 1000u + 8;
  guint64 len_le = GUINT64_TO_LE ((guint64) header_len);
  guint8 *contents = g_malloc0 (8 + header_len);
  g_autoptr(GBytes) bytes = NULL;

  memcpy (contents, &len_le, 8);
  bytes = g_bytes_new_take (contents, 8 + header_len);

  assert_parse_fails (bytes);
}

static void
test_invalid_utf8 (void)
{
  static const char header[] = "{\"\xff\": {\"dtype\": \"U8\", \"shape\": [0], \"data_offsets\": [0, 0]}}";
  g_autoptr(GBytes) bytes = make_file (header, sizeof header - 1, 0);

  assert_parse_fails (bytes);
}

static void
test_nul_in_header (void)
{
  static const char header[] = "{}\0      ";
  g_autoptr(GBytes) bytes = make_file (header, sizeof header - 1, 0);

  assert_parse_fails (bytes);
}

/* Legal but unusual: space padding, a zero-size tensor anywhere, an empty
 * header, unused bytes after the last tensor, null metadata. */
static void
test_lenient (void)
{
  static const char header[] =
    "{\"__metadata__\": null,"
    " \"z\": {\"dtype\": \"BOOL\", \"shape\": [3, 0], \"data_offsets\": [2, 2]},"
    " \"b\": {\"dtype\": \"BF16\", \"shape\": [1], \"data_offsets\": [2, 4]},"
    " \"a\": {\"dtype\": \"I8\", \"shape\": [1, 2], \"data_offsets\": [0, 2]}}"
    "          ";
  g_autoptr(GBytes) bytes = make_file (header, sizeof header - 1, 6);
  g_autoptr(CtSafetensors) st = NULL;
  g_autoptr(GError) error = NULL;
  const CtTensorView *view;

  st = ct_safetensors_parse (bytes, "mem", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (ct_safetensors_get_n_tensors (st), ==, 3);

  /* Sorted by offset: the empty tensor at 2 goes before "b" at [2, 4). */
  g_assert_cmpstr (ct_safetensors_get_tensor (st, 0)->name, ==, "a");
  g_assert_cmpstr (ct_safetensors_get_tensor (st, 1)->name, ==, "z");
  g_assert_cmpstr (ct_safetensors_get_tensor (st, 2)->name, ==, "b");

  view = ct_safetensors_lookup (st, "z");
  g_assert_cmpint (view->dtype, ==, CT_DTYPE_BOOL);
  g_assert_cmpuint (view->n_dims, ==, 2);
  g_assert_cmpint (view->shape[0], ==, 3);
  g_assert_cmpint (view->shape[1], ==, 0);
  g_assert_cmpuint (view->n_bytes, ==, 0);

  view = ct_safetensors_lookup (st, "b");
  g_assert_true ((const guint8 *) view->data
                 == (const guint8 *) g_bytes_get_data (bytes, NULL) + 8 + sizeof header - 1 + 2);
  g_assert_cmpuint (g_hash_table_size (ct_safetensors_get_metadata_table (st)), ==, 0);
}

static void
test_empty_header (void)
{
  g_autoptr(GBytes) bytes = make_file ("{}", 2, 0);
  g_autoptr(CtSafetensors) st = NULL;
  g_autoptr(GError) error = NULL;

  st = ct_safetensors_parse (bytes, "mem", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (ct_safetensors_get_n_tensors (st), ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/safetensors/dtypes", test_dtypes);
  g_test_add ("/safetensors/round-trip", Fixture, NULL,
              fixture_setup, test_round_trip, fixture_teardown);
  g_test_add ("/safetensors/no-metadata", Fixture, NULL,
              fixture_setup, test_no_metadata, fixture_teardown);
  g_test_add ("/safetensors/exact-bytes", Fixture, NULL,
              fixture_setup, test_exact_bytes, fixture_teardown);
  g_test_add ("/safetensors/overwrite", Fixture, NULL,
              fixture_setup, test_overwrite, fixture_teardown);
  g_test_add ("/safetensors/save/missing-dir", Fixture, NULL,
              fixture_setup, test_save_missing_dir, fixture_teardown);
  g_test_add ("/safetensors/save/rejects", Fixture, NULL,
              fixture_setup, test_save_rejects, fixture_teardown);
  g_test_add ("/safetensors/load/missing", Fixture, NULL,
              fixture_setup, test_load_missing, fixture_teardown);
  g_test_add ("/safetensors/load/hostile-file", Fixture, NULL,
              fixture_setup, test_load_hostile_file, fixture_teardown);

  g_test_add_func ("/safetensors/hostile/too-short", test_too_short);
  g_test_add_func ("/safetensors/hostile/header-longer-than-file", test_header_longer_than_file);
  g_test_add_func ("/safetensors/hostile/header-too-large", test_header_too_large);
  g_test_add_func ("/safetensors/hostile/invalid-utf8", test_invalid_utf8);
  g_test_add_func ("/safetensors/hostile/nul-in-header", test_nul_in_header);
  for (guint i = 0; i < G_N_ELEMENTS (hostile_headers); i++)
    {
      g_autofree char *test_path = g_strconcat ("/safetensors/hostile/",
                                                hostile_headers[i].test_name, NULL);

      g_test_add_data_func (test_path, &hostile_headers[i], test_hostile_header);
    }

  g_test_add_func ("/safetensors/lenient", test_lenient);
  g_test_add_func ("/safetensors/empty-header", test_empty_header);

  return g_test_run ();
}
