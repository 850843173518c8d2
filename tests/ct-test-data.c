/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <gio/gio.h>
#include <math.h>
#include <sys/wait.h>
#include <glib/gstdio.h>

#include <stdio.h>
#include <string.h>

#include <jpeglib.h>
#include <png.h>

#include "ct-safetensors.h"
#include <zlib.h>

#include "ct-test-data.h"

#define SIDE 32
#define RECORD (1 + 3 * SIDE * SIDE)

/* Class k is a 10×10 square lit in one colour (red, green, blue, white) at a
 * random place on a dark noisy background: learnable whatever the flips and
 * shifts of augmentation, and with an obvious place for a CAM to look. */
static void
write_record (guint8  *record,
              guint    label,
              GRand   *rand)
{
  guint x0 = g_rand_int_range (rand, 0, SIDE - 10);
  guint y0 = g_rand_int_range (rand, 0, SIDE - 10);

  record[0] = label;
  for (guint c = 0; c < 3; c++)
    for (guint y = 0; y < SIDE; y++)
      for (guint x = 0; x < SIDE; x++)
        {
          gboolean inside = x >= x0 && x < x0 + 10 && y >= y0 && y < y0 + 10;
          gboolean lit = inside && (label == 3 || label == c);
          int value = (lit ? 210 : 40) + g_rand_int_range (rand, -30, 31);

          record[1 + c * SIDE * SIDE + y * SIDE + x] = CLAMP (value, 0, 255);
        }
}

static void
write_batch (const char *dir,
             const char *name,
             guint       first,
             guint       n,
             GRand      *rand)
{
  g_autofree guint8 *data = g_malloc ((gsize) n * RECORD);
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < n; i++)
    write_record (data + (gsize) i * RECORD, (first + i) % 4, rand);
  g_file_set_contents (path, (const char *) data, (gssize) n * RECORD, &error);
  g_assert_no_error (error);
}

char *
ct_test_write_squares (const char *dir,
                         guint       n_train,
                         guint       n_test,
                         guint64     seed)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed ((guint32) seed);
  g_autofree char *meta = g_build_filename (dir, "batches.meta.txt", NULL);
  g_autoptr(GError) error = NULL;
  guint half = n_train / 2;

  write_batch (dir, "data_batch_1.bin", 0, half, rand);
  write_batch (dir, "data_batch_2.bin", half, n_train - half, rand);
  write_batch (dir, "test_batch.bin", 0, n_test, rand);
  g_file_set_contents (meta, "red\ngreen\nblue\nwhite\n", -1, &error);
  g_assert_no_error (error);

  return g_strdup (dir);
}

char *
ct_test_make_tmpdir (void)
{
  g_autoptr(GError) error = NULL;
  char *dir = g_dir_make_tmp ("camtrail-test-XXXXXX", &error);

  g_assert_no_error (error);
  return dir;
}

char *
ct_test_make_squares_tmpdir (const char  *xdg_variable,
                             guint        n_train,
                             guint        n_test,
                             guint64      seed,
                             char       **data_dir)
{
  char *dir = ct_test_make_tmpdir ();

  g_setenv (xdg_variable, dir, TRUE);
  *data_dir = g_build_filename (dir, "squares", NULL);
  g_mkdir (*data_dir, 0755);
  g_free (ct_test_write_squares (*data_dir, n_train, n_test, seed));
  return dir;
}

void
ct_test_remove_tree (const char *path)
{
  g_autoptr(GDir) dir = NULL;
  const char *name;

  if (g_file_test (path, G_FILE_TEST_IS_SYMLINK) || !g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      g_unlink (path);
      return;
    }
  dir = g_dir_open (path, 0, NULL);
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      ct_test_remove_tree (child);
    }
  g_rmdir (path);
}

void
ct_test_put_be32 (GByteArray *bytes,
                  guint32     value)
{
  guint8 be[4] = { value >> 24, value >> 16, value >> 8, value };

  g_byte_array_append (bytes, be, 4);
}

/* One IDX split: 28×28 grey images, class k (0–3) a bright 10×10 square in
 * quadrant k on a dark noisy background. */
static void
write_idx_split (const char *dir,
                 const char *images_name,
                 const char *labels_name,
                 guint       n,
                 GRand      *rand)
{
  g_autoptr(GByteArray) images = g_byte_array_new ();
  g_autoptr(GByteArray) labels = g_byte_array_new ();
  g_autofree char *images_path = g_build_filename (dir, images_name, NULL);
  g_autofree char *labels_path = g_build_filename (dir, labels_name, NULL);
  g_autoptr(GError) error = NULL;

  ct_test_put_be32 (images, 0x00000803);
  ct_test_put_be32 (images, n);
  ct_test_put_be32 (images, 28);
  ct_test_put_be32 (images, 28);
  ct_test_put_be32 (labels, 0x00000801);
  ct_test_put_be32 (labels, n);
  for (guint i = 0; i < n; i++)
    {
      guint8 label = i % 4;
      guint x0 = (label % 2) * 14 + g_rand_int_range (rand, 0, 5);
      guint y0 = (label / 2) * 14 + g_rand_int_range (rand, 0, 5);

      for (guint y = 0; y < 28; y++)
        for (guint x = 0; x < 28; x++)
          {
            gboolean lit = x >= x0 && x < x0 + 10 && y >= y0 && y < y0 + 10;
            guint8 pixel = (lit ? 200 : 20) + g_rand_int_range (rand, 0, 40);

            g_byte_array_append (images, &pixel, 1);
          }
      g_byte_array_append (labels, &label, 1);
    }
  g_file_set_contents (images_path, (const char *) images->data, images->len, &error);
  g_assert_no_error (error);
  g_file_set_contents (labels_path, (const char *) labels->data, labels->len, &error);
  g_assert_no_error (error);
}

char *
ct_test_write_idx_squares (const char *dir,
                           guint       n_train,
                           guint       n_test,
                           guint64     seed)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed ((guint32) seed);

  write_idx_split (dir, "train-images-idx3-ubyte", "train-labels-idx1-ubyte", n_train, rand);
  write_idx_split (dir, "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte", n_test, rand);
  return g_strdup (dir);
}

void
ct_test_assert_same_weights (const char *path_a,
                             const char *path_b)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CtSafetensors) a = ct_safetensors_load (path_a, &error);
  g_autoptr(CtSafetensors) b = NULL;

  g_assert_no_error (error);
  b = ct_safetensors_load (path_b, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (ct_safetensors_get_n_tensors (a), ==, ct_safetensors_get_n_tensors (b));
  for (guint i = 0; i < ct_safetensors_get_n_tensors (a); i++)
    {
      const CtTensorView *ta = ct_safetensors_get_tensor (a, i);
      const CtTensorView *tb = ct_safetensors_lookup (b, ta->name);

      if (tb == NULL)
        g_error ("%s has %s, %s does not", path_a, ta->name, path_b);
      g_assert_cmpint (ta->dtype, ==, tb->dtype);
      g_assert_cmpmem (ta->shape, ta->n_dims * sizeof (gint64), tb->shape, tb->n_dims * sizeof (gint64));
      if (ta->n_bytes != tb->n_bytes || memcmp (ta->data, tb->data, ta->n_bytes) != 0)
        g_error ("%s and %s differ in %s", path_a, path_b, ta->name);
    }
}

double
ct_test_max_weight_difference (const char  *path_a,
                               const char  *path_b,
                               char       **worst)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CtSafetensors) a = ct_safetensors_load (path_a, &error);
  g_autoptr(CtSafetensors) b = NULL;
  double largest = 0.0;

  g_assert_no_error (error);
  b = ct_safetensors_load (path_b, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (ct_safetensors_get_n_tensors (a), ==, ct_safetensors_get_n_tensors (b));
  for (guint i = 0; i < ct_safetensors_get_n_tensors (a); i++)
    {
      const CtTensorView *ta = ct_safetensors_get_tensor (a, i);
      const CtTensorView *tb = ct_safetensors_lookup (b, ta->name);

      if (tb == NULL)
        g_error ("%s has %s, %s does not", path_a, ta->name, path_b);
      g_assert_cmpint (ta->dtype, ==, tb->dtype);
      g_assert_cmpmem (ta->shape, ta->n_dims * sizeof (gint64), tb->shape, tb->n_dims * sizeof (gint64));
      g_assert_cmpuint (ta->n_bytes, ==, tb->n_bytes);
      if (ta->dtype != CT_DTYPE_F32)
        {
          if (memcmp (ta->data, tb->data, ta->n_bytes) != 0)
            g_error ("%s and %s differ in %s", path_a, path_b, ta->name);
          continue;
        }
      for (gsize k = 0; k < ta->n_bytes / sizeof (float); k++)
        {
          float x, y;
          double difference;

          /* Safetensors data need not be aligned for a float. */
          memcpy (&x, (const guint8 *) ta->data + k * sizeof (float), sizeof x);
          memcpy (&y, (const guint8 *) tb->data + k * sizeof (float), sizeof y);
          difference = fabs ((double) x - y) / MAX (1.0, fabs (x));
          if (!(difference <= largest))
            {
              largest = isnan (difference) ? INFINITY : difference;
              if (worst != NULL)
                {
                  g_free (*worst);
                  *worst = g_strdup (ta->name);
                }
            }
        }
    }
  return largest;
}

void
ct_test_write_png (const char   *path,
                   guint         width,
                   guint         height,
                   int           color_type,
                   int           bit_depth,
                   const guint8 *rows,
                   const guint8 *palette,
                   guint         n_palette,
                   const guint8 *trns,
                   guint         n_trns)
{
  FILE *file = g_fopen (path, "wb");
  png_structp png = png_create_write_struct (PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
  png_infop info = png_create_info_struct (png);
  guint channels = color_type == PNG_COLOR_TYPE_GRAY ? 1
                   : color_type == PNG_COLOR_TYPE_GRAY_ALPHA ? 2
                   : color_type == PNG_COLOR_TYPE_RGB ? 3
                   : color_type == PNG_COLOR_TYPE_RGBA ? 4 : 1;
  gsize stride = ((gsize) width * channels * bit_depth + 7) / 8;

  g_assert_nonnull (file);
  g_assert_nonnull (info);
  /* A libpng error here is a broken test: let it abort. */
  png_init_io (png, file);
  png_set_IHDR (png, info, width, height, bit_depth, color_type, PNG_INTERLACE_NONE,
                PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  if (palette != NULL)
    {
      png_color colours[256];

      for (guint i = 0; i < n_palette; i++)
        colours[i] = (png_color) { palette[3 * i], palette[3 * i + 1], palette[3 * i + 2] };
      png_set_PLTE (png, info, colours, (int) n_palette);
    }
  if (trns != NULL)
    png_set_tRNS (png, info, trns, (int) n_trns, NULL);
  png_write_info (png, info);
  for (guint y = 0; y < height; y++)
    png_write_row (png, rows + (gsize) y * stride);
  png_write_end (png, NULL);
  png_destroy_write_struct (&png, &info);
  g_assert_cmpint (fclose (file), ==, 0);
}

/* A minimal big-endian EXIF block: IFD0 with one SHORT, the orientation. */
static void
add_exif_orientation (struct jpeg_compress_struct *compress,
                      guint                        orientation)
{
  const guint8 exif[] = {
    'E', 'x', 'i', 'f', 0, 0,
    'M', 'M', 0, 42, 0, 0, 0, 8,
    0, 1,
    0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, (guint8) orientation, 0, 0,
    0, 0, 0, 0,
  };

  jpeg_write_marker (compress, JPEG_APP0 + 1, exif, sizeof exif);
}

void
ct_test_write_jpeg (const char   *path,
                    guint         width,
                    guint         height,
                    guint         channels,
                    const guint8 *pixels,
                    int           quality,
                    guint         orientation)
{
  struct jpeg_compress_struct compress;
  struct jpeg_error_mgr errors;
  FILE *file = g_fopen (path, "wb");

  g_assert_nonnull (file);
  compress.err = jpeg_std_error (&errors);
  jpeg_create_compress (&compress);
  jpeg_stdio_dest (&compress, file);
  compress.image_width = width;
  compress.image_height = height;
  compress.input_components = (int) channels;
  compress.in_color_space = channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_set_defaults (&compress);
  jpeg_set_quality (&compress, quality, TRUE);
  jpeg_start_compress (&compress, TRUE);
  if (orientation != 0)
    add_exif_orientation (&compress, orientation);
  while (compress.next_scanline < compress.image_height)
    {
      JSAMPROW row = (JSAMPROW) pixels + (gsize) compress.next_scanline * width * channels;

      jpeg_write_scanlines (&compress, &row, 1);
    }
  jpeg_finish_compress (&compress);
  jpeg_destroy_compress (&compress);
  g_assert_cmpint (fclose (file), ==, 0);
}

/* Classes in sorted order, the channel each lights (3: all). */
static const char * const folder_classes[] = { "blue", "green", "red", "white" };
static const guint folder_channels[] = { 2, 1, 0, 3 };

static void
write_folder_split (const char *dir,
                    const char *split,
                    guint       n,
                    guint       side,
                    GRand      *rand)
{
  g_autofree guint8 *pixels = g_malloc ((gsize) side * side * 3);
  guint square = MAX (side / 3, 1);

  for (guint k = 0; k < G_N_ELEMENTS (folder_classes); k++)
    {
      g_autofree char *class_dir = g_build_filename (dir, split, folder_classes[k], NULL);

      g_assert_cmpint (g_mkdir_with_parents (class_dir, 0755), ==, 0);
    }
  for (guint i = 0; i < n; i++)
    {
      guint label = i % G_N_ELEMENTS (folder_classes);
      guint x0 = g_rand_int_range (rand, 0, side - square + 1);
      guint y0 = g_rand_int_range (rand, 0, side - square + 1);
      g_autofree char *name = g_strdup_printf ("%03u.%s", i, i % 3 == 2 ? "jpg" : "png");
      g_autofree char *path = g_build_filename (dir, split, folder_classes[label], name, NULL);

      for (guint y = 0; y < side; y++)
        for (guint x = 0; x < side; x++)
          for (guint c = 0; c < 3; c++)
            {
              gboolean inside = x >= x0 && x < x0 + square && y >= y0 && y < y0 + square;
              gboolean lit = inside && (folder_channels[label] == 3 || folder_channels[label] == c);
              int value = (lit ? 210 : 40) + g_rand_int_range (rand, -30, 31);

              pixels[((gsize) y * side + x) * 3 + c] = CLAMP (value, 0, 255);
            }
      if (i % 3 == 2)
        ct_test_write_jpeg (path, side, side, 3, pixels, 90, 0);
      else
        ct_test_write_png (path, side, side, PNG_COLOR_TYPE_RGB, 8, pixels, NULL, 0, NULL, 0);
    }
}

char *
ct_test_write_image_folder (const char *dir,
                            guint       n_train,
                            guint       n_test,
                            guint       side,
                            guint64     seed)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed ((guint32) seed);

  write_folder_split (dir, "train", n_train, side, rand);
  write_folder_split (dir, "test", n_test, side, rand);
  return g_strdup (dir);
}

/* ---- torch.save archives, byte by byte ----------------------------------- */

static void
zip_put16 (GByteArray *b, guint v)
{
  guint8 x[2] = { v & 0xff, (v >> 8) & 0xff };
  g_byte_array_append (b, x, 2);
}

static void
zip_put32 (GByteArray *b, guint32 v)
{
  zip_put16 (b, v & 0xffff);
  zip_put16 (b, v >> 16);
}

GBytes *
ct_test_zip_bytes (const CtTestZipEntry *entries,
          guint        n)
{
  GByteArray *b = g_byte_array_new ();
  g_autoptr(GByteArray) dir = g_byte_array_new ();
  guint32 dir_offset;

  for (guint i = 0; i < n; i++)
    {
      guint32 offset = b->len;
      g_autofree guint8 *packed = NULL;
      gsize packed_size = entries[i].size;
      const guint8 *payload = entries[i].data;
      guint32 crc = crc32 (0, entries[i].data, entries[i].size);
      guint32 declared = entries[i].declared_size != 0 ? entries[i].declared_size : entries[i].size;
      guint16 name_len = strlen (entries[i].name);

      if (entries[i].deflate)
        {
          z_stream s = { 0 };

          packed = g_malloc (compressBound (entries[i].size) + 64);
          g_assert_cmpint (deflateInit2 (&s, 9, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY), ==, Z_OK);
          s.next_in = (Bytef *) entries[i].data;
          s.avail_in = entries[i].size;
          s.next_out = packed;
          s.avail_out = compressBound (entries[i].size) + 64;
          g_assert_cmpint (deflate (&s, Z_FINISH), ==, Z_STREAM_END);
          packed_size = s.total_out;
          deflateEnd (&s);
          payload = packed;
        }

      zip_put32 (b, 0x04034b50); zip_put16 (b, 20); zip_put16 (b, 0); zip_put16 (b, entries[i].deflate ? 8 : 0);
      zip_put16 (b, 0); zip_put16 (b, 0); zip_put32 (b, crc); zip_put32 (b, packed_size); zip_put32 (b, declared);
      zip_put16 (b, name_len); zip_put16 (b, 0);
      g_byte_array_append (b, (const guint8 *) entries[i].name, name_len);
      g_byte_array_append (b, payload, packed_size);

      zip_put32 (dir, 0x02014b50); zip_put16 (dir, 20); zip_put16 (dir, 20); zip_put16 (dir, 0);
      zip_put16 (dir, entries[i].deflate ? 8 : 0); zip_put16 (dir, 0); zip_put16 (dir, 0); zip_put32 (dir, crc);
      zip_put32 (dir, packed_size); zip_put32 (dir, declared); zip_put16 (dir, name_len); zip_put16 (dir, 0);
      zip_put16 (dir, 0); zip_put16 (dir, 0); zip_put16 (dir, 0); zip_put32 (dir, 0); zip_put32 (dir, offset);
      g_byte_array_append (dir, (const guint8 *) entries[i].name, name_len);
    }
  dir_offset = b->len;
  g_byte_array_append (b, dir->data, dir->len);
  zip_put32 (b, 0x06054b50); zip_put16 (b, 0); zip_put16 (b, 0); zip_put16 (b, n); zip_put16 (b, n);
  zip_put32 (b, dir->len); zip_put32 (b, dir_offset); zip_put16 (b, 0);
  return g_byte_array_free_to_bytes (b);
}

/* ---- Pickles as torch.save writes them ---------------------------------- */

void
ct_test_pickle_string (GString *p, const char *s)
{
  guint32 n = strlen (s);

  g_string_append_c (p, 'X');
  g_string_append_len (p, (const char *) &(guint8[4]){ n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, n >> 24 }, 4);
  g_string_append (p, s);
}

static void
pickle_int (GString *p, guint8 v)
{
  g_string_append_c (p, 'K');
  g_string_append_c (p, (char) v);
}

/* torch._utils._rebuild_tensor_v2(storage KEY of TYPE, numel, 0, shape, stride, False, OrderedDict()) */
void
ct_test_pickle_tensor (GString *p, const char *type, const char *key, guint numel,
           guint n_dims, const guint8 *shape, const guint8 *stride)
{
  g_string_append (p, "ctorch._utils\n_rebuild_tensor_v2\n(");
  g_string_append_c (p, '(');
  ct_test_pickle_string (p, "storage");
  g_string_append_printf (p, "ctorch\n%s\n", type);
  ct_test_pickle_string (p, key);
  ct_test_pickle_string (p, "cpu");
  pickle_int (p, numel);
  g_string_append (p, "tQ");
  pickle_int (p, 0);
  g_string_append_c (p, '(');
  for (guint d = 0; d < n_dims; d++)
    pickle_int (p, shape[d]);
  g_string_append_c (p, 't');
  g_string_append_c (p, '(');
  for (guint d = 0; d < n_dims; d++)
    pickle_int (p, stride[d]);
  g_string_append_c (p, 't');
  g_string_append (p, "\x89" "ccollections\nOrderedDict\n)R");
  g_string_append (p, "tR");
}

static const float torch_save_storage0[6] = { 0, 1, 2, 3, 4, 5 };
static const gint64 torch_save_storage1[1] = { 42 };

/* {"epoch": 7, PREFIX "state_dict": OrderedDict(w: 2×3 view of storage 0
 * with strides (1, 2), module._orig_mod.n: a 0-d long)} */
GBytes *
ct_test_torch_save_bytes (const char *extra_global, gboolean wrapped, gboolean deflate_pickle)
{
  g_autoptr(GString) p = g_string_new ("\x80\x02");
  const guint8 shape[2] = { 2, 3 }, stride[2] = { 1, 2 };
  CtTestZipEntry entries[3];

  if (wrapped)
    {
      g_string_append (p, "}(");
      ct_test_pickle_string (p, "epoch");
      pickle_int (p, 7);
      ct_test_pickle_string (p, "state_dict");
    }
  g_string_append (p, "ccollections\nOrderedDict\n)R(");
  ct_test_pickle_string (p, "w");
  ct_test_pickle_tensor (p, "FloatStorage", "0", 6, 2, shape, stride);
  ct_test_pickle_string (p, "module._orig_mod.n");
  ct_test_pickle_tensor (p, "LongStorage", "1", 1, 0, NULL, NULL);
  if (extra_global != NULL)
    {
      ct_test_pickle_string (p, "x");
      g_string_append_printf (p, "c%s\n(", extra_global);
      ct_test_pickle_string (p, "echo hi");
      g_string_append (p, "tR");
    }
  g_string_append (p, "u");
  /* state_dict's _metadata, set by BUILD */
  g_string_append (p, "}(");
  ct_test_pickle_string (p, "_metadata");
  g_string_append (p, "}ub");
  if (wrapped)
    g_string_append (p, "u");
  g_string_append_c (p, '.');

  entries[0] = (CtTestZipEntry) { "archive/data.pkl", (const guint8 *) p->str, p->len, deflate_pickle, 0 };
  entries[1] = (CtTestZipEntry) { "archive/data/0", (const guint8 *) torch_save_storage0, sizeof torch_save_storage0, FALSE, 0 };
  entries[2] = (CtTestZipEntry) { "archive/data/1", (const guint8 *) torch_save_storage1, sizeof torch_save_storage1, FALSE, 0 };
  return ct_test_zip_bytes (entries, 3);
}

void
ct_test_result_clear (CtTestResult *result)
{
  g_clear_pointer (&result->out, g_free);
  g_clear_pointer (&result->err, g_free);
}

void
ct_test_run (CtTestResult       *result,
             const char *const  *argv,
             char              **envp,
             GSpawnFlags         flags)
{
  g_autoptr(GError) error = NULL;
  int wait_status = 0;

  g_spawn_sync (NULL, (char **) argv, envp, flags, NULL, NULL, &result->out, &result->err,
                &wait_status, &error);
  g_assert_no_error (error);
  result->status = WIFEXITED (wait_status) ? WEXITSTATUS (wait_status) : -1;
  if (g_test_verbose ())
    g_printerr ("%s: exit %d\nstdout:\n%s\nstderr:\n%s\n", argv[0], result->status,
                result->out, result->err);
}

/* A little-endian float32 .npy as camtrail-cli writes it.
 * Returns: (transfer full): the values; @shape gets the first five
 * dimensions. */
float *
ct_test_read_npy (const char *path,
                  guint       shape[5],
                  gsize      *out_n)
{
  g_autofree char *contents = NULL;
  g_autoptr(GError) error = NULL;
  const char *dims;
  gsize length, header_length, n = 1;
  int n_dims;

  g_file_get_contents (path, &contents, &length, &error);
  g_assert_no_error (error);
  g_assert_true (memcmp (contents, "\x93NUMPY\x01\x00", 8) == 0);
  header_length = (guint8) contents[8] | (guint8) contents[9] << 8;
  g_assert_nonnull (strstr (contents + 10, "'descr': '<f4'"));
  dims = strstr (contents + 10, "'shape': (");
  g_assert_nonnull (dims);
  n_dims = sscanf (dims, "'shape': (%u, %u, %u, %u, %u)",
                   &shape[0], &shape[1], &shape[2], &shape[3], &shape[4]);
  g_assert_cmpint (n_dims, ==, 5);
  for (guint i = 0; i < 5; i++)
    n *= shape[i];
  g_assert_cmpuint (length, ==, 10 + header_length + n * sizeof (float));
  *out_n = n;
  return g_memdup2 (contents + 10 + header_length, n * sizeof (float));
}
