/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <png.h>

#include "ct-npy.h"
#include "ct-png.h"

typedef struct
{
  char *dir;
} Fixture;

static void
fixture_setup (Fixture       *fixture,
               gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;

  fixture->dir = g_dir_make_tmp ("test-png-npy-XXXXXX", &error);
  g_assert_no_error (error);
}

static void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  user_data)
{
  g_autoptr(GDir) dir = g_dir_open (fixture->dir, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (fixture->dir, name, NULL);

      g_remove (path);
    }
  g_rmdir (fixture->dir);
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

static gboolean
memory_contains (const char *haystack,
                 gsize       haystack_len,
                 const char *needle,
                 gsize       needle_len)
{
  for (gsize i = 0; i + needle_len <= haystack_len; i++)
    if (memcmp (haystack + i, needle, needle_len) == 0)
      return TRUE;

  return FALSE;
}

/* PNG -------------------------------------------------------------------- */

#define ARGB(a, r, g, b) (((guint32) (a) << 24) | ((r) << 16) | ((g) << 8) | (b))

static void
test_png_round_trip (Fixture       *fixture,
                     gconstpointer  user_data)
{
  /* Two rows of three pixels, with a row stride wider than the pixels as
   * Cairo may use.  Each pixel's expected straight RGBA is beside it. */
  enum { WIDTH = 3, HEIGHT = 2, STRIDE_PIXELS = 4 };
  static const guint32 argb[HEIGHT][STRIDE_PIXELS] = {
    { ARGB (255, 255, 0, 0), ARGB (128, 64, 32, 0), ARGB (0, 0x11, 0x22, 0x33), 0xdeadbeef },
    { ARGB (1, 1, 0, 1), ARGB (51, 51, 25, 0), ARGB (255, 255, 255, 255), 0xdeadbeef },
  };
  static const guint8 expected[HEIGHT * WIDTH * 4] = {
    255, 0, 0, 255,      128, 64, 0, 128,    0, 0, 0, 0,
    255, 0, 255, 1,      255, 125, 0, 51,    255, 255, 255, 255,
  };
  static const char * const keys[] = { "Software", "Title", "Caption", NULL };
  static const char * const values[] = { "Camtrail", "σ=0.1", "", NULL };
  g_autofree char *path = g_build_filename (fixture->dir, "figure.png", NULL);
  g_autoptr(GHashTable) text = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree guint8 *pixels = NULL;
  g_autofree char *contents = NULL;
  guint width = 0, height = 0;
  gsize len;

  ct_png_write_argb32 (path, WIDTH, HEIGHT, STRIDE_PIXELS * 4, (const guint8 *) argb,
                       keys, values, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (count_entries (fixture->dir), ==, 1);

  pixels = ct_png_read_rgba (path, &width, &height, &text, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (width, ==, WIDTH);
  g_assert_cmpuint (height, ==, HEIGHT);
  g_assert_cmpmem (pixels, WIDTH * HEIGHT * 4, expected, sizeof expected);

  g_assert_cmpuint (g_hash_table_size (text), ==, 3);
  g_assert_cmpstr (g_hash_table_lookup (text, "Software"), ==, "Camtrail");
  g_assert_cmpstr (g_hash_table_lookup (text, "Title"), ==, "σ=0.1");
  g_assert_cmpstr (g_hash_table_lookup (text, "Caption"), ==, "");

  /* ASCII stays in tEXt; the value beyond ASCII went to iTXt as UTF-8. */
  g_file_get_contents (path, &contents, &len, &error);
  g_assert_no_error (error);
  g_assert_true (memory_contains (contents, len, "tEXtSoftware\0Camtrail", 21));
  g_assert_true (memory_contains (contents, len, "iTXtTitle", 9));
  g_assert_true (memory_contains (contents, len, "σ=0.1", strlen ("σ=0.1")));
}

static void
test_png_no_text (Fixture       *fixture,
                  gconstpointer  user_data)
{
  static const guint32 argb[1] = { ARGB (255, 10, 20, 30) };
  g_autofree char *path = g_build_filename (fixture->dir, "plain.png", NULL);
  g_autoptr(GError) error = NULL;
  g_autofree guint8 *pixels = NULL;
  guint width, height;

  ct_png_write_argb32 (path, 1, 1, 4, (const guint8 *) argb, NULL, NULL, &error);
  g_assert_no_error (error);

  pixels = ct_png_read_rgba (path, &width, &height, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (pixels, 4, "\x0a\x14\x1e\xff", 4);
}

static void
test_png_bad_key (Fixture       *fixture,
                  gconstpointer  user_data)
{
  static const guint32 argb[1] = { 0 };
  static const char * const keys[] = { "", NULL };
  static const char * const values[] = { "x", NULL };
  g_autofree char *path = g_build_filename (fixture->dir, "bad.png", NULL);
  g_autoptr(GError) error = NULL;

  g_assert_false (ct_png_write_argb32 (path, 1, 1, 4, (const guint8 *) argb,
                                       keys, values, &error));
  g_assert_error (error, CT_PNG_ERROR, CT_PNG_ERROR_FORMAT);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
}

static void
test_png_write_missing_dir (Fixture       *fixture,
                            gconstpointer  user_data)
{
  static const guint32 argb[1] = { 0 };
  g_autofree char *path = g_build_filename (fixture->dir, "no-such-dir", "a.png", NULL);
  g_autoptr(GError) error = NULL;

  g_assert_false (ct_png_write_argb32 (path, 1, 1, 4, (const guint8 *) argb,
                                       NULL, NULL, &error));
  g_assert_error (error, CT_PNG_ERROR, CT_PNG_ERROR_IO);
  g_assert_nonnull (strstr (error->message, path));
  g_assert_cmpuint (count_entries (fixture->dir), ==, 0);
}

static void
test_png_read_missing (Fixture       *fixture,
                       gconstpointer  user_data)
{
  g_autofree char *path = g_build_filename (fixture->dir, "missing.png", NULL);
  g_autoptr(GHashTable) text = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree guint8 *pixels = NULL;
  guint width, height;

  pixels = ct_png_read_rgba (path, &width, &height, &text, &error);
  g_assert_null (pixels);
  g_assert_null (text);
  g_assert_error (error, CT_PNG_ERROR, CT_PNG_ERROR_IO);
  g_assert_nonnull (strstr (error->message, path));
}

static void
assert_read_fails (const char *path)
{
  g_autoptr(GHashTable) text = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree guint8 *pixels = NULL;
  guint width, height;

  pixels = ct_png_read_rgba (path, &width, &height, &text, &error);
  g_assert_null (pixels);
  g_assert_null (text);
  g_assert_error (error, CT_PNG_ERROR, CT_PNG_ERROR_FORMAT);
  g_assert_nonnull (strstr (error->message, path));
  g_test_message ("%s", error->message);
}

static void
test_png_read_garbage (Fixture       *fixture,
                       gconstpointer  user_data)
{
  static const char nonsense[] = "\x89PNG\r\n\x1a\n\0\0\0\x0dIHDRgarbagegarbage";
  g_autofree char *path = g_build_filename (fixture->dir, "garbage.png", NULL);
  g_autoptr(GError) error = NULL;

  g_file_set_contents (path, "this is not a PNG at all", -1, &error);
  g_assert_no_error (error);
  assert_read_fails (path);

  g_file_set_contents (path, "", 0, &error);
  g_assert_no_error (error);
  assert_read_fails (path);

  /* A valid signature and then nonsense goes through libpng's error path. */
  g_file_set_contents (path, nonsense, sizeof nonsense - 1, &error);
  g_assert_no_error (error);
  assert_read_fails (path);
}

static void
test_png_read_truncated (Fixture       *fixture,
                         gconstpointer  user_data)
{
  static guint32 argb[16 * 16];
  g_autofree char *path = g_build_filename (fixture->dir, "cut.png", NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  gsize len;

  for (guint i = 0; i < G_N_ELEMENTS (argb); i++)
    argb[i] = ARGB (255, i % 256, (i * 7) % 256, (i * 13) % 256);
  ct_png_write_argb32 (path, 16, 16, 16 * 4, (const guint8 *) argb, NULL, NULL, &error);
  g_assert_no_error (error);

  g_file_get_contents (path, &contents, &len, &error);
  g_assert_no_error (error);
  g_file_set_contents (path, contents, len / 2, &error);
  g_assert_no_error (error);

  assert_read_fails (path);
}

/* Files in other PNG formats, made with libpng's simplified API. */
static void
write_simple_png (const char   *path,
                  guint32       format,
                  guint         width,
                  guint         height,
                  gconstpointer pixels,
                  gconstpointer colormap,
                  guint         colormap_entries)
{
  png_image image;

  memset (&image, 0, sizeof image);
  image.version = PNG_IMAGE_VERSION;
  image.width = width;
  image.height = height;
  image.format = format;
  image.colormap_entries = colormap_entries;

  g_assert_true (png_image_write_to_file (&image, path, FALSE, pixels, 0, colormap));
  png_image_free (&image);
}

static void
test_png_read_formats (Fixture       *fixture,
                       gconstpointer  user_data)
{
  static const guint8 grey[2] = { 0, 200 };
  static const guint16 grey16[2] = { 0, 65535 };
  static const guint8 indices[3] = { 2, 0, 1 };
  static const guint8 palette[3 * 4] = {
    10, 20, 30, 255,   40, 50, 60, 128,   70, 80, 90, 0,
  };
  g_autofree char *path = g_build_filename (fixture->dir, "format.png", NULL);
  g_autoptr(GError) error = NULL;
  guint width, height;

  {
    g_autofree guint8 *pixels = NULL;

    write_simple_png (path, PNG_FORMAT_GRAY, 2, 1, grey, NULL, 0);
    pixels = ct_png_read_rgba (path, &width, &height, NULL, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (width, ==, 2);
    g_assert_cmpmem (pixels, 8, "\0\0\0\xff\xc8\xc8\xc8\xff", 8);
  }

  {
    g_autofree guint8 *pixels = NULL;

    write_simple_png (path, PNG_FORMAT_LINEAR_Y, 1, 2, grey16, NULL, 0);
    pixels = ct_png_read_rgba (path, &width, &height, NULL, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (height, ==, 2);
    g_assert_cmpmem (pixels, 8, "\0\0\0\xff\xff\xff\xff\xff", 8);
  }

  {
    g_autofree guint8 *pixels = NULL;
    static const guint8 expected[3 * 4] = {
      70, 80, 90, 0,   10, 20, 30, 255,   40, 50, 60, 128,
    };

    write_simple_png (path, PNG_FORMAT_RGBA_COLORMAP, 3, 1, indices, palette, 3);
    pixels = ct_png_read_rgba (path, &width, &height, NULL, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (width, ==, 3);
    g_assert_cmpmem (pixels, 12, expected, sizeof expected);
  }
}

/* NPY -------------------------------------------------------------------- */

/* The expected file: preamble, dict, spaces to 64-byte alignment, newline,
 * data.  Spelled out here rather than computed by the code under test. */
static GByteArray *
expected_npy (const char   *dict,
              guint         n_spaces,
              const guint8 *data,
              gsize         data_len)
{
  GByteArray *bytes = g_byte_array_new ();
  guint16 header_len = strlen (dict) + n_spaces + 1;
  guint8 len_le[2] = { header_len & 0xff, header_len >> 8 };

  g_byte_array_append (bytes, (const guint8 *) "\x93NUMPY\x01\x00", 8);
  g_byte_array_append (bytes, len_le, 2);
  g_byte_array_append (bytes, (const guint8 *) dict, strlen (dict));
  for (guint i = 0; i < n_spaces; i++)
    g_byte_array_append (bytes, (const guint8 *) " ", 1);
  g_byte_array_append (bytes, (const guint8 *) "\n", 1);
  g_assert_cmpuint (bytes->len % 64, ==, 0);
  g_byte_array_append (bytes, data, data_len);

  return bytes;
}

static void
assert_file_equals (const char *path,
                    GByteArray *expected)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  gsize len;

  g_file_get_contents (path, &contents, &len, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (contents, len, expected->data, expected->len);
}

static void
test_npy_2d (Fixture       *fixture,
             gconstpointer  user_data)
{
  static const float values[6] = { 0.f, 1.f, -2.f, 0.5f, 1e-3f, 3e38f };
  static const guint8 data_le[24] = {
    0x00, 0x00, 0x00, 0x00,   0x00, 0x00, 0x80, 0x3f,   0x00, 0x00, 0x00, 0xc0,
    0x00, 0x00, 0x00, 0x3f,   0x6f, 0x12, 0x83, 0x3a,   0xe6, 0xb1, 0x61, 0x7f,
  };
  static const gsize shape[2] = { 2, 3 };
  g_autofree char *path = g_build_filename (fixture->dir, "cams.npy", NULL);
  g_autoptr(GByteArray) expected = NULL;
  g_autoptr(GError) error = NULL;

  ct_npy_write_f32 (path, values, 2, shape, &error);
  g_assert_no_error (error);

  expected = expected_npy ("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }",
                           58, data_le, sizeof data_le);
  assert_file_equals (path, expected);
  g_assert_cmpuint (count_entries (fixture->dir), ==, 1);
}

static void
test_npy_1d (Fixture       *fixture,
             gconstpointer  user_data)
{
  static const float values[5] = { 1.f, 2.f, 3.f, 4.f, 5.f };
  static const guint8 data_le[20] = {
    0x00, 0x00, 0x80, 0x3f,   0x00, 0x00, 0x00, 0x40,   0x00, 0x00, 0x40, 0x40,
    0x00, 0x00, 0x80, 0x40,   0x00, 0x00, 0xa0, 0x40,
  };
  static const gsize shape[1] = { 5 };
  g_autofree char *path = g_build_filename (fixture->dir, "probs.npy", NULL);
  g_autoptr(GByteArray) expected = NULL;
  g_autoptr(GError) error = NULL;

  ct_npy_write_f32 (path, values, 1, shape, &error);
  g_assert_no_error (error);

  expected = expected_npy ("{'descr': '<f4', 'fortran_order': False, 'shape': (5,), }",
                           60, data_le, sizeof data_le);
  assert_file_equals (path, expected);
}

static void
test_npy_scalar_and_empty (Fixture       *fixture,
                           gconstpointer  user_data)
{
  static const float value = 1.f;
  static const gsize empty_shape[3] = { 4, 0, 2 };
  g_autofree char *path = g_build_filename (fixture->dir, "x.npy", NULL);
  g_autoptr(GByteArray) expected = NULL;
  g_autoptr(GError) error = NULL;

  ct_npy_write_f32 (path, &value, 0, NULL, &error);
  g_assert_no_error (error);
  expected = expected_npy ("{'descr': '<f4', 'fortran_order': False, 'shape': (), }",
                           62, (const guint8 *) "\x00\x00\x80\x3f", 4);
  assert_file_equals (path, expected);
  g_clear_pointer (&expected, g_byte_array_unref);

  ct_npy_write_f32 (path, NULL, 3, empty_shape, &error);
  g_assert_no_error (error);
  expected = expected_npy ("{'descr': '<f4', 'fortran_order': False, 'shape': (4, 0, 2), }",
                           55, NULL, 0);
  assert_file_equals (path, expected);
}

static void
test_npy_missing_dir (Fixture       *fixture,
                      gconstpointer  user_data)
{
  static const float value = 1.f;
  static const gsize shape[1] = { 1 };
  g_autofree char *path = g_build_filename (fixture->dir, "no-such-dir", "a.npy", NULL);
  g_autoptr(GError) error = NULL;

  g_assert_false (ct_npy_write_f32 (path, &value, 1, shape, &error));
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
  g_assert_cmpuint (count_entries (fixture->dir), ==, 0);
}

static void
test_npy_overflow (Fixture       *fixture,
                   gconstpointer  user_data)
{
  static const gsize shape[2] = { G_MAXSIZE / 2, 4 };
  g_autofree char *path = g_build_filename (fixture->dir, "huge.npy", NULL);
  g_autoptr(GError) error = NULL;

  g_assert_false (ct_npy_write_f32 (path, NULL, 2, shape, &error));
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(name, func) \
  g_test_add (name, Fixture, NULL, fixture_setup, func, fixture_teardown)

  ADD ("/png/round-trip", test_png_round_trip);
  ADD ("/png/no-text", test_png_no_text);
  ADD ("/png/bad-key", test_png_bad_key);
  ADD ("/png/write-missing-dir", test_png_write_missing_dir);
  ADD ("/png/read-missing", test_png_read_missing);
  ADD ("/png/read-garbage", test_png_read_garbage);
  ADD ("/png/read-truncated", test_png_read_truncated);
  ADD ("/png/read-formats", test_png_read_formats);
  ADD ("/npy/2d", test_npy_2d);
  ADD ("/npy/1d", test_npy_1d);
  ADD ("/npy/scalar-and-empty", test_npy_scalar_and_empty);
  ADD ("/npy/missing-dir", test_npy_missing_dir);
  ADD ("/npy/overflow", test_npy_overflow);

#undef ADD

  return g_test_run ();
}
