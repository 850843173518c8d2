/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <png.h>

#include "ct-dataset.h"
#include "ct-image-file.h"
#include "ct-image-folder.h"
#include "ct-test-data.h"

/* Image folders: the decoders' rules with hand-computed pixels, resizing
 * by hand, ImageFolder's order, the cache.  tests/reference compares the
 * same against PIL and torchvision on many more images. */

static char *cache_home;

static void
decode_png_file (const char *path,
                 CtRawImage *image)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (ct_image_file_read (path, FALSE, image, &error));
  g_assert_no_error (error);
}

/* PIL's convert("RGB"), worked out by hand for each stored format. */
static void
test_png_modes (void)
{
  g_autofree char *dir = ct_test_make_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "x.png", NULL);
  const guint8 grey8[] = { 7, 250 };
  const guint8 grey2[] = { 0x1b };                 /* 0, 1, 2, 3 */
  const guint8 grey16[] = { 0, 200, 1, 44, 0x12, 0x34 };  /* 200, 300, 4660 */
  const guint8 grey_alpha16[] = { 0x12, 0x34, 0, 1 };
  const guint8 rgb16[] = { 0xab, 0xcd, 0x01, 0x02, 0xff, 0x00 };
  const guint8 rgba8[] = { 10, 20, 30, 0 };
  const guint8 palette[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9 };
  const guint8 trns[] = { 0, 128 };
  const guint8 indices2[] = { 0x90 };              /* 2, 1, 0, 0 */

  {
    g_auto(CtRawImage) image = { 0 };

    ct_test_write_png (path, 2, 1, PNG_COLOR_TYPE_GRAY, 8, grey8, NULL, 0, NULL, 0);
    decode_png_file (path, &image);
    g_assert_cmpuint (image.channels, ==, 1);
    g_assert_cmpmem (image.pixels, 2, grey8, 2);
  }
  {
    g_auto(CtRawImage) image = { 0 };
    const guint8 expected[] = { 0, 85, 170, 255 };

    ct_test_write_png (path, 4, 1, PNG_COLOR_TYPE_GRAY, 2, grey2, NULL, 0, NULL, 0);
    decode_png_file (path, &image);
    g_assert_cmpmem (image.pixels, 4, expected, 4);
  }
  {
    /* Mode "I": clipped to 255, not its high byte. */
    g_auto(CtRawImage) image = { 0 };
    const guint8 expected[] = { 200, 255, 255 };

    ct_test_write_png (path, 3, 1, PNG_COLOR_TYPE_GRAY, 16, grey16, NULL, 0, NULL, 0);
    decode_png_file (path, &image);
    g_assert_cmpuint (image.channels, ==, 1);
    g_assert_cmpmem (image.pixels, 3, expected, 3);
  }
  {
    /* "LA;16B": the high byte, alpha dropped. */
    g_auto(CtRawImage) image = { 0 };
    const guint8 expected[] = { 0x12 };

    ct_test_write_png (path, 1, 1, PNG_COLOR_TYPE_GRAY_ALPHA, 16, grey_alpha16, NULL, 0, NULL, 0);
    decode_png_file (path, &image);
    g_assert_cmpuint (image.channels, ==, 1);
    g_assert_cmpmem (image.pixels, 1, expected, 1);
  }
  {
    g_auto(CtRawImage) image = { 0 };
    const guint8 expected[] = { 0xab, 0x01, 0xff };

    ct_test_write_png (path, 1, 1, PNG_COLOR_TYPE_RGB, 16, rgb16, NULL, 0, NULL, 0);
    decode_png_file (path, &image);
    g_assert_cmpuint (image.channels, ==, 3);
    g_assert_cmpmem (image.pixels, 3, expected, 3);
  }
  {
    /* Alpha 0 drops away: no compositing, no premultiplying. */
    g_auto(CtRawImage) image = { 0 };
    const guint8 expected[] = { 10, 20, 30 };

    ct_test_write_png (path, 1, 1, PNG_COLOR_TYPE_RGBA, 8, rgba8, NULL, 0, NULL, 0);
    decode_png_file (path, &image);
    g_assert_cmpmem (image.pixels, 3, expected, 3);
  }
  {
    g_auto(CtRawImage) image = { 0 };
    const guint8 expected[] = { 7, 8, 9, 4, 5, 6, 1, 2, 3, 1, 2, 3 };

    ct_test_write_png (path, 4, 1, PNG_COLOR_TYPE_PALETTE, 2, indices2, palette, 3, trns, 2);
    decode_png_file (path, &image);
    g_assert_cmpuint (image.channels, ==, 3);
    g_assert_cmpmem (image.pixels, 12, expected, 12);
  }

  ct_test_remove_tree (dir);
}

static void
test_exif_orientation (void)
{
  const guint8 big_short_6[] = { 'M', 'M', 0, 42, 0, 0, 0, 8, 0, 2,
                                 0x01, 0x0f, 0, 2, 0, 0, 0, 4, 'A', 'B', 'C', 0,
                                 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 6, 0, 0 };
  const guint8 little_short_8[] = { 'I', 'I', 42, 0, 8, 0, 0, 0, 1, 0,
                                    0x12, 0x01, 3, 0, 1, 0, 0, 0, 8, 0, 0, 0 };
  const guint8 little_long_3[] = { 'I', 'I', 42, 0, 8, 0, 0, 0, 1, 0,
                                   0x12, 0x01, 4, 0, 1, 0, 0, 0, 3, 0, 0, 0 };
  const guint8 value_9[] = { 'M', 'M', 0, 42, 0, 0, 0, 8, 0, 1,
                             0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 9, 0, 0 };
  const guint8 bad_magic[] = { 'M', 'M', 0, 43, 0, 0, 0, 8, 0, 1,
                               0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 6, 0, 0 };
  const guint8 ifd_past_end[] = { 'M', 'M', 0, 42, 0xff, 0xff, 0xff, 0xf0 };

  g_assert_cmpuint (ct_exif_orientation (big_short_6, sizeof big_short_6), ==, 6);
  g_assert_cmpuint (ct_exif_orientation (little_short_8, sizeof little_short_8), ==, 8);
  g_assert_cmpuint (ct_exif_orientation (little_long_3, sizeof little_long_3), ==, 3);
  g_assert_cmpuint (ct_exif_orientation (value_9, sizeof value_9), ==, 1);
  g_assert_cmpuint (ct_exif_orientation (bad_magic, sizeof bad_magic), ==, 1);
  g_assert_cmpuint (ct_exif_orientation (ifd_past_end, sizeof ifd_past_end), ==, 1);
  /* The entry cut off: no orientation read past the end. */
  g_assert_cmpuint (ct_exif_orientation (big_short_6, sizeof big_short_6 - 4), ==, 1);
}

/* [[1 2 3] [4 5 6]] turned as PIL's transposes turn it. */
static void
test_orient (void)
{
  static const struct {
    guint        orientation;
    guint        width;
    guint        height;
    const char  *pixels;
  } cases[] = {
    { 1, 3, 2, "\1\2\3\4\5\6" },
    { 2, 3, 2, "\3\2\1\6\5\4" },
    { 3, 3, 2, "\6\5\4\3\2\1" },
    { 4, 3, 2, "\4\5\6\1\2\3" },
    { 5, 2, 3, "\1\4\2\5\3\6" },
    { 6, 2, 3, "\4\1\5\2\6\3" },
    { 7, 2, 3, "\6\3\5\2\4\1" },
    { 8, 2, 3, "\3\6\2\5\1\4" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_auto(CtRawImage) image = { 3, 2, 1, g_memdup2 ("\1\2\3\4\5\6", 6) };

      ct_raw_image_orient (&image, cases[i].orientation);
      g_assert_cmpuint (image.width, ==, cases[i].width);
      g_assert_cmpuint (image.height, ==, cases[i].height);
      g_assert_cmpmem (image.pixels, 6, cases[i].pixels, 6);
    }
}

/* A JPEG of two flat 8×8 blocks stored side by side, EXIF orientation 6
 * (turn 90° clockwise to view): upright, the left block is on top. */
static void
test_jpeg_exif_and_grey (void)
{
  g_autofree char *dir = ct_test_make_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "x.jpg", NULL);
  g_autofree char *grey_path = g_build_filename (dir, "grey.jpg", NULL);
  g_autoptr(GError) error = NULL;
  guint8 pixels[8 * 16 * 3];
  guint8 grey[8 * 8];
  g_auto(CtRawImage) image = { 0 };
  g_auto(CtRawImage) grey_image = { 0 };

  for (guint y = 0; y < 8; y++)
    for (guint x = 0; x < 16; x++)
      {
        guint8 *p = pixels + (y * 16 + x) * 3;

        p[0] = x < 8 ? 200 : 20;
        p[1] = 60;
        p[2] = x < 8 ? 20 : 200;
      }
  memset (grey, 99, sizeof grey);
  ct_test_write_jpeg (path, 16, 8, 3, pixels, 100, 6);
  ct_test_write_jpeg (grey_path, 8, 8, 1, grey, 100, 0);

  g_assert_true (ct_image_file_read (path, FALSE, &image, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (image.width, ==, 8);
  g_assert_cmpuint (image.height, ==, 16);
  g_assert_cmpuint (image.channels, ==, 3);
  /* Top rows red-ish (the stored left block), bottom rows blue-ish. */
  g_assert_cmpint (abs (image.pixels[(2 * 8 + 4) * 3 + 0] - 200), <=, 3);
  g_assert_cmpint (abs (image.pixels[(2 * 8 + 4) * 3 + 2] - 20), <=, 3);
  g_assert_cmpint (abs (image.pixels[(13 * 8 + 4) * 3 + 0] - 20), <=, 3);
  g_assert_cmpint (abs (image.pixels[(13 * 8 + 4) * 3 + 2] - 200), <=, 3);

  /* Only the header: the upright size without pixels. */
  ct_raw_image_clear (&image);
  g_assert_true (ct_image_file_read (path, TRUE, &image, &error));
  g_assert_null (image.pixels);
  g_assert_cmpuint (image.width, ==, 8);
  g_assert_cmpuint (image.height, ==, 16);

  g_assert_true (ct_image_file_read (grey_path, FALSE, &grey_image, &error));
  g_assert_cmpuint (grey_image.channels, ==, 1);
  g_assert_cmpuint (grey_image.pixels[27], ==, 99);

  ct_test_remove_tree (dir);
}

/* Pillow's bilinear filter by hand.  4 → 2: scale 2, support 2, taps
 * 0–2 with weights ¾ ¾ ¼ (÷ 7/4) for the first output, 1–3 for the second:
 * (0·3 + 100·3 + 200)/7 = 71.4 and (100 + 200·3 + 255·3)/7 = 209.3.
 * 2 → 4: weights of the nearer and farther pixel ¾ and ¼, single taps at
 * the ends: 0, 50, 150, 200. */
static void
test_resize_hand (void)
{
  const guint8 four[] = { 0, 100, 200, 255 };
  const guint8 two[] = { 0, 200 };
  const guint8 down_expected[] = { 71, 209 };
  const guint8 up_expected[] = { 0, 50, 150, 200 };
  guint8 down[2], up[4], column[4];

  ct_image_resize_bilinear (four, 4, 1, 1, down, 2, 1);
  g_assert_cmpmem (down, 2, down_expected, 2);
  ct_image_resize_bilinear (two, 2, 1, 1, up, 4, 1);
  g_assert_cmpmem (up, 4, up_expected, 4);
  /* The vertical pass follows the same rule. */
  ct_image_resize_bilinear (two, 1, 2, 1, column, 1, 4);
  g_assert_cmpmem (column, 4, up_expected, 4);
}

/* CenterCrop's offset rounds half to even, as Python's round(): a 7×2
 * image cropped to 2×2 starts at column round(2.5) = 2, not 3.  A grey
 * image asked for 3 channels repeats its one. */
static void
test_fit_crop (void)
{
  g_auto(CtRawImage) image = { 7, 2, 1, g_memdup2 ("\0\1\2\3\4\5\6\12\13\14\15\16\17\20", 14) };
  const guint8 expected[] = { 2, 3, 12, 13, 2, 3, 12, 13, 2, 3, 12, 13 };
  guint8 out[12];
  g_auto(CtRawImage) wide = { 4, 2, 1, g_memdup2 ("\0\1\2\3\4\5\6\7", 8) };
  const guint8 wide_expected[] = { 1, 2, 5, 6 };
  g_auto(CtRawImage) tall = { 2, 7, 1, g_memdup2 ("\0\1\2\3\4\5\6\7\10\11\12\13\14\15", 14) };
  const guint8 tall_expected[] = { 4, 5, 6, 7 };

  ct_image_fit (&image, 2, 3, out);
  g_assert_cmpmem (out, 12, expected, 12);
  ct_image_fit (&wide, 2, 1, out);
  g_assert_cmpmem (out, 4, wide_expected, 4);
  /* Rows too: round(2.5) = 2. */
  ct_image_fit (&tall, 2, 1, out);
  g_assert_cmpmem (out, 4, tall_expected, 4);
}

static void
touch (const char *dir,
       const char *relative)
{
  g_autofree char *path = g_build_filename (dir, relative, NULL);
  g_autofree char *parent = g_path_get_dirname (path);
  const guint8 grey[] = { 128 };

  g_assert_cmpint (g_mkdir_with_parents (parent, 0755), ==, 0);
  ct_test_write_png (path, 1, 1, PNG_COLOR_TYPE_GRAY, 8, grey, NULL, 0, NULL, 0);
}

/* Classes sorted by code point; files of a class in the order of
 * sorted(os.walk(...)): folders by their whole path, so "a-b" (0x2d)
 * before "a/c" (0x2f); names sorted in each; IMG_EXTENSIONS in any case;
 * anything else left out. */
static void
test_order (void)
{
  g_autofree char *dir = ct_test_make_tmpdir ();
  const char * const files[] = {
    "train/b/z.png", "train/b/a/c/1.png", "train/b/a-b/2.png", "train/b/a/0.png",
    "train/b/B.PNG", "train/b/notes.txt", "train/b/y.JpEg", "train/b/x.webp",
    "train/a/9.png", "train/A/1.png", "train/A/10.png", "train/A/2.png",
  };
  const char * const expected[] = {
    "train/A/1.png", "train/A/10.png", "train/A/2.png",
    "train/a/9.png",
    "train/b/B.PNG", "train/b/x.webp", "train/b/y.JpEg", "train/b/z.png",
    "train/b/a/0.png", "train/b/a-b/2.png", "train/b/a/c/1.png",
  };
  const guint16 expected_labels[] = { 0, 0, 0, 1, 2, 2, 2, 2, 2, 2, 2 };
  g_autoptr(GArray) labels = g_array_new (FALSE, FALSE, sizeof (guint16));
  g_autoptr(GPtrArray) listed = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) classes = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (files); i++)
    touch (dir, files[i]);

  listed = ct_image_folder_list (dir, "train", &classes, labels, &error);
  g_assert_no_error (error);
  g_assert_cmpstrv (classes, ((const char * const[]) { "A", "a", "b", NULL }));
  g_assert_cmpuint (listed->len, ==, G_N_ELEMENTS (expected));
  for (guint i = 0; i < listed->len; i++)
    g_assert_cmpstr (listed->pdata[i], ==, expected[i]);
  g_assert_cmpmem (labels->data, labels->len * sizeof (guint16), expected_labels,
                   sizeof expected_labels);

  ct_test_remove_tree (dir);
}

static CtDataset *
load (const char *dir,
      guint       image_size,
      gboolean    skip_bad)
{
  CtDatasetOptions options = { image_size, skip_bad, NULL, NULL };
  g_autoptr(GError) error = NULL;
  CtDataset *dataset = ct_dataset_load_full (dir, &options, &error);

  g_assert_no_error (error);
  g_assert_nonnull (dataset);
  return dataset;
}

static void
write_flat (const char *dir,
            const char *relative,
            guint       side,
            guint8      value)
{
  g_autofree char *path = g_build_filename (dir, relative, NULL);
  g_autofree char *parent = g_path_get_dirname (path);
  g_autofree guint8 *pixels = g_malloc ((gsize) side * side * 3);

  for (gsize i = 0; i < (gsize) side * side * 3; i++)
    pixels[i] = (guint8) (value + i % 3);
  g_assert_cmpint (g_mkdir_with_parents (parent, 0755), ==, 0);
  ct_test_write_png (path, side, side, PNG_COLOR_TYPE_RGB, 8, pixels, NULL, 0, NULL, 0);
}

static void
cache_identity (const char *dir,
                guint       image_size,
                guint64    *inode,
                gint64     *mtime)
{
  g_autofree char *canonical = g_canonicalize_filename (dir, NULL);
  g_autofree char *cache = ct_image_folder_dup_cache_path (canonical, image_size);
  GStatBuf info;

  g_assert_cmpint (g_stat (cache, &info), ==, 0);
  *inode = info.st_ino;
  *mtime = info.st_mtime;
}

/* Pixels, labels and sizes from a hand-made folder; a second load maps
 * the same cache file; a changed image rebuilds it. */
static void
test_cache (void)
{
  g_autofree char *dir = ct_test_make_tmpdir ();
  g_autoptr(CtDataset) first = NULL;
  g_autoptr(CtDataset) second = NULL;
  g_autoptr(CtDataset) third = NULL;
  g_autoptr(CtDataset) small = NULL;
  guint64 inode, inode_again, inode_rebuilt;
  gint64 mtime, mtime_again;

  write_flat (dir, "train/cat/1.png", 8, 10);
  write_flat (dir, "train/cat/0.png", 8, 20);
  write_flat (dir, "train/dog/0.png", 8, 30);
  write_flat (dir, "test/cat/0.png", 8, 40);
  write_flat (dir, "test/dog/0.png", 8, 50);

  first = load (dir, 0, FALSE);
  g_assert_cmpint (first->kind, ==, CT_DATASET_KIND_IMAGE_FOLDER);
  g_assert_cmpuint (first->n_classes, ==, 2);
  g_assert_cmpuint (first->train.n_images, ==, 3);
  g_assert_cmpuint (first->test.n_images, ==, 2);
  g_assert_cmpuint (first->train.channels, ==, 3);
  g_assert_cmpuint (first->train.height, ==, 8);   /* their own size */
  g_assert_cmpuint (first->train.labels[0], ==, 0);
  g_assert_cmpuint (first->train.labels[2], ==, 1);
  g_assert_cmpuint (first->test.labels[1], ==, 1);
  /* Planar: image 0 is cat/0.png (20, 21, 22 per channel). */
  g_assert_cmpuint (ct_split_image (&first->train, 0)[0], ==, 20);
  g_assert_cmpuint (ct_split_image (&first->train, 0)[64], ==, 21);
  g_assert_cmpuint (ct_split_image (&first->train, 0)[128], ==, 22);
  g_assert_cmpuint (ct_split_image (&first->train, 1)[0], ==, 10);
  g_assert_cmpuint (ct_split_image (&first->test, 1)[191], ==, 52);
  g_assert_cmpfloat_with_epsilon (first->mean[0], 20 / 255.0, 1e-6);
  g_assert_nonnull (first->mapping);
  g_assert_cmpstrv (first->skipped, ((const char * const[]) { NULL }));
  cache_identity (dir, 0, &inode, &mtime);

  second = load (dir, 0, FALSE);
  cache_identity (dir, 0, &inode_again, &mtime_again);
  g_assert_cmpuint (inode_again, ==, inode);
  g_assert_cmpint (mtime_again, ==, mtime);
  g_assert_cmpuint (ct_split_image (&second->train, 1)[0], ==, 10);

  /* Same name, other pixels: the file's size or time changes the key. */
  write_flat (dir, "train/cat/1.png", 8, 90);
  third = load (dir, 0, FALSE);
  cache_identity (dir, 0, &inode_rebuilt, &mtime_again);
  g_assert_cmpuint (inode_rebuilt, !=, inode);
  g_assert_cmpuint (ct_split_image (&third->train, 1)[0], ==, 90);
  /* The first dataset's mapping still reads the old file. */
  g_assert_cmpuint (ct_split_image (&first->train, 1)[0], ==, 10);

  small = load (dir, 4, FALSE);
  g_assert_cmpuint (small->train.height, ==, 4);
  g_assert_cmpuint (ct_split_image (&small->train, 1)[0], ==, 90);
  /* Each size keeps its own cache: the 4-pixel one did not replace the
   * folder's own size, and both are used again as they are. */
  cache_identity (dir, 4, &inode, &mtime);
  g_clear_pointer (&third, ct_dataset_free);
  g_clear_pointer (&small, ct_dataset_free);
  third = load (dir, 0, FALSE);
  small = load (dir, 4, FALSE);
  cache_identity (dir, 0, &inode_again, &mtime_again);
  g_assert_cmpuint (inode_again, ==, inode_rebuilt);
  cache_identity (dir, 4, &inode_again, &mtime_again);
  g_assert_cmpuint (inode_again, ==, inode);
  g_assert_cmpuint (third->train.height, ==, 8);
  g_assert_cmpuint (small->train.height, ==, 4);

  ct_test_remove_tree (dir);
}

/* A cache whose label lies, or that was cut short, is rebuilt, not used. */
static void
test_corrupt_cache (void)
{
  g_autofree char *dir = ct_test_make_tmpdir ();
  g_autofree char *canonical = NULL;
  g_autofree char *cache = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *rebuilt = NULL;
  g_autoptr(GError) error = NULL;
  gsize length, rebuilt_length;

  write_flat (dir, "train/a/0.png", 4, 10);
  write_flat (dir, "train/b/0.png", 4, 30);
  write_flat (dir, "test/a/0.png", 4, 50);
  write_flat (dir, "test/b/0.png", 4, 70);
  ct_dataset_free (load (dir, 0, FALSE));
  canonical = g_canonicalize_filename (dir, NULL);
  cache = ct_image_folder_dup_cache_path (canonical, 0);

  /* Header, 4 images of 3×4×4, then the labels as little-endian uint16s:
   * train 0, 1, test 0, 1. */
  g_file_get_contents (cache, &contents, &length, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (length, ==, 4096 + 4 * 48 + 4 * 2);
  g_assert_cmpmem (contents + 4096 + 4 * 48, 8, "\0\0\1\0\0\0\1\0", 8);
  contents[4096 + 4 * 48 + 2] = (char) 200;
  g_file_set_contents (cache, contents, length, &error);
  g_assert_no_error (error);
  {
    g_autoptr(CtDataset) dataset = load (dir, 0, FALSE);

    g_assert_cmpuint (dataset->train.labels[1], ==, 1);
  }

  /* Label 257: its low byte alone would be a valid class. */
  contents[4096 + 4 * 48 + 2] = 1;
  contents[4096 + 4 * 48 + 3] = 1;
  g_file_set_contents (cache, contents, length, &error);
  g_assert_no_error (error);
  {
    g_autoptr(CtDataset) dataset = load (dir, 0, FALSE);

    g_assert_cmpuint (dataset->train.labels[1], ==, 1);
  }
  g_file_get_contents (cache, &rebuilt, &rebuilt_length, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (rebuilt + 4096 + 4 * 48, 8, "\0\0\1\0\0\0\1\0", 8);
  contents[4096 + 4 * 48 + 2] = 1;
  contents[4096 + 4 * 48 + 3] = 0;

  g_file_set_contents (cache, contents, length - 3, &error);
  g_assert_no_error (error);
  {
    g_autoptr(CtDataset) dataset = load (dir, 0, FALSE);

    g_assert_cmpuint (dataset->test.n_images, ==, 2);
    g_assert_cmpuint (ct_split_image (&dataset->test, 1)[0], ==, 70);
  }

  ct_test_remove_tree (dir);
}

/* Reads @bytes as the cache of a 2-class folder with @key and returns
 * why it cannot be used (NULL when it can). */
static char *
cache_reason (GByteArray *bytes,
              gsize       length,
              const char *key,
              guint       image_size)
{
  CtDatasetOptions options = { image_size, FALSE, NULL, NULL };
  CtDataset probe = { .n_classes = 2 };
  char *reason = NULL;

  if (ct_image_folder_read_cache (&probe, &options, key, bytes->data, length, &reason))
    {
      g_assert_null (reason);
      g_free (probe.train.labels);
      g_free (probe.test.labels);
      g_strfreev (probe.skipped);
      return NULL;
    }
  g_assert_null (probe.train.pixels);
  g_assert_nonnull (reason);
  return reason;
}

/* Each way a cache cannot be used says why (what the rebuild logs). */
static void
test_cache_reasons (void)
{
  g_autofree char *dir = ct_test_make_tmpdir ();
  g_autofree char *canonical = NULL;
  g_autofree char *cache = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *key = NULL;
  g_autoptr(GByteArray) bytes = g_byte_array_new ();
  g_autoptr(GError) error = NULL;
  gsize length;
  static const struct {
    gsize       at;          /* the byte changed (G_MAXSIZE: none) */
    guint8      value;       /* its new value; 0: its lowest bit flipped */
    gsize       cut;         /* bytes left off the end */
    guint       image_size;
    const char *says;
  } cases[] = {
    { G_MAXSIZE, 0, 0, 0, NULL },                 /* untouched: usable */
    { 0, 'X', 0, 0, "not an image cache" },
    { 8, 9, 0, 0, "cache version 9, this one reads 2" },
    /* The key's first hex digit, whatever the run made it (writing 'f'
     * changed nothing one run in 16, when it was 'f' already). */
    { CT_IMAGE_FOLDER_CACHE_KEY_OFFSET, 0, 0, 0, "files changed" },
    { G_MAXSIZE, 0, 3, 0, "cut short" },
    { G_MAXSIZE, 0, 0, 6, "its images are 4 pixels square, 6 were asked for" },
    /* train image 1's label (little-endian uint16) becomes 2 of 2 classes */
    { 4096 + 4 * 48 + 2, 2, 0, 0, "train image 1 has label 2 of 2 classes" },
  };

  write_flat (dir, "train/a/0.png", 4, 10);
  write_flat (dir, "train/b/0.png", 4, 30);
  write_flat (dir, "test/a/0.png", 4, 50);
  write_flat (dir, "test/b/0.png", 4, 70);
  ct_dataset_free (load (dir, 0, FALSE));
  canonical = g_canonicalize_filename (dir, NULL);
  cache = ct_image_folder_dup_cache_path (canonical, 0);
  g_file_get_contents (cache, &contents, &length, &error);
  g_assert_no_error (error);
  key = g_strndup (contents + CT_IMAGE_FOLDER_CACHE_KEY_OFFSET, 64);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *reason = NULL;

      g_byte_array_set_size (bytes, 0);
      g_byte_array_append (bytes, (const guint8 *) contents, length);
      if (cases[i].at != G_MAXSIZE && cases[i].value == 0)
        bytes->data[cases[i].at] ^= 1;
      else if (cases[i].at != G_MAXSIZE)
        bytes->data[cases[i].at] = cases[i].value;
      reason = cache_reason (bytes, length - cases[i].cut, key, cases[i].image_size);
      if (cases[i].says == NULL)
        g_assert_null (reason);
      else if (reason == NULL || strstr (reason, cases[i].says) == NULL)
        g_error ("case %u: expected “%s”, got “%s”", i, cases[i].says, reason);
    }

  ct_test_remove_tree (dir);
}

/* A cache written by version 1 (byte labels) is rebuilt, not misread. */
static void
test_old_version_cache (void)
{
  g_autofree char *dir = ct_test_make_tmpdir ();
  g_autofree char *canonical = NULL;
  g_autofree char *cache = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *rebuilt = NULL;
  g_autoptr(GByteArray) old = g_byte_array_new ();
  g_autoptr(GError) error = NULL;
  const guint32 version = 1;
  const guint64 old_size = 4096 + 4 * 48 + 4;
  gsize length, rebuilt_length;

  write_flat (dir, "train/a/0.png", 4, 10);
  write_flat (dir, "train/b/0.png", 4, 30);
  write_flat (dir, "test/a/0.png", 4, 50);
  write_flat (dir, "test/b/0.png", 4, 70);
  ct_dataset_free (load (dir, 0, FALSE));
  canonical = g_canonicalize_filename (dir, NULL);
  cache = ct_image_folder_dup_cache_path (canonical, 0);
  g_file_get_contents (cache, &contents, &length, &error);
  g_assert_no_error (error);

  /* Version 1's layout: the same header and pixels, a byte a label.  The
   * header's version is at byte 8, the skipped lines' offset at 40 and
   * the file's size at 56 (host order). */
  g_byte_array_append (old, (const guint8 *) contents, 4096 + 4 * 48);
  g_byte_array_append (old, (const guint8 *) "\0\1\0\1", 4);
  memcpy (old->data + 8, &version, sizeof version);
  memcpy (old->data + 40, &old_size, sizeof old_size);
  memcpy (old->data + 56, &old_size, sizeof old_size);
  g_file_set_contents (cache, (const char *) old->data, old->len, &error);
  g_assert_no_error (error);
  {
    g_autoptr(CtDataset) dataset = load (dir, 0, FALSE);

    g_assert_cmpuint (dataset->train.labels[0], ==, 0);
    g_assert_cmpuint (dataset->train.labels[1], ==, 1);
    g_assert_cmpuint (dataset->test.labels[1], ==, 1);
    g_assert_cmpuint (ct_split_image (&dataset->test, 1)[0], ==, 70);
  }
  g_file_get_contents (cache, &rebuilt, &rebuilt_length, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (rebuilt, rebuilt_length, contents, length);

  ct_test_remove_tree (dir);
}

static int
compare_names (gconstpointer a,
               gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

/* More classes than a byte holds: 300, named so that code-point order is
 * neither creation nor numeric order ("Class-1" < "Class-101" < "class-0"),
 * one 2×2 image each in train and test whose red and green encode the
 * class's number.  Labels are the sorted positions and survive the cache. */
static void
test_many_classes (void)
{
  enum { N_CLASSES = 300, SIDE = 2, IMAGE = 3 * SIDE * SIDE };
  g_autofree char *dir = ct_test_make_tmpdir ();
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) sorted = NULL;
  g_autoptr(CtDataset) first = NULL;
  g_autoptr(CtDataset) second = NULL;
  g_autofree char *canonical = NULL;
  g_autofree char *cache = NULL;
  guint64 inode, inode_again;
  gint64 mtime, mtime_again;
  GStatBuf info;

  for (guint k = 0; k < N_CLASSES; k++)
    {
      guint8 pixels[IMAGE];
      char *name = g_strdup_printf ("%s-%u", k % 2 == 1 ? "Class" : "class", k);

      g_ptr_array_add (names, name);
      for (guint split = 0; split < 2; split++)
        {
          g_autofree char *path = g_build_filename (dir, split == 0 ? "train" : "test", name,
                                                    "0.png", NULL);
          g_autofree char *parent = g_path_get_dirname (path);

          for (guint p = 0; p < SIDE * SIDE; p++)
            {
              pixels[3 * p] = k & 0xff;
              pixels[3 * p + 1] = k >> 8;
              pixels[3 * p + 2] = split;
            }
          g_assert_cmpint (g_mkdir_with_parents (parent, 0755), ==, 0);
          ct_test_write_png (path, SIDE, SIDE, PNG_COLOR_TYPE_RGB, 8, pixels, NULL, 0, NULL, 0);
        }
    }
  /* Borrowed names: only @names frees them. */
  sorted = g_ptr_array_new ();
  g_ptr_array_extend (sorted, names, NULL, NULL);
  g_ptr_array_sort (sorted, compare_names);

  first = load (dir, 0, FALSE);
  canonical = g_canonicalize_filename (dir, NULL);
  cache = ct_image_folder_dup_cache_path (canonical, 0);
  g_assert_cmpint (g_stat (cache, &info), ==, 0);
  g_assert_cmpint (info.st_size, ==, 4096 + 2 * N_CLASSES * IMAGE + 2 * N_CLASSES * 2);
  cache_identity (dir, 0, &inode, &mtime);
  second = load (dir, 0, FALSE);
  /* The second load read the first's cache, not a new one. */
  cache_identity (dir, 0, &inode_again, &mtime_again);
  g_assert_cmpuint (inode_again, ==, inode);
  g_assert_cmpint (mtime_again, ==, mtime);

  for (guint d = 0; d < 2; d++)
    {
      const CtDataset *dataset = d == 0 ? first : second;

      g_assert_cmpuint (dataset->n_classes, ==, N_CLASSES);
      g_assert_cmpuint (dataset->train.n_images, ==, N_CLASSES);
      g_assert_cmpuint (dataset->test.n_images, ==, N_CLASSES);
      for (guint i = 0; i < N_CLASSES; i++)
        {
          const char *name = sorted->pdata[i];
          guint k = (guint) atoi (strchr (name, '-') + 1);

          g_assert_cmpstr (dataset->classes[i], ==, name);
          for (guint split = 0; split < 2; split++)
            {
              const CtSplit *s = split == 0 ? &dataset->train : &dataset->test;
              const guint8 *image = ct_split_image (s, i);

              g_assert_cmpuint (s->labels[i], ==, i);
              g_assert_cmpuint (image[0] + 256 * image[SIDE * SIDE], ==, k);
              g_assert_cmpuint (image[2 * SIDE * SIDE], ==, split);
            }
        }
    }
  g_assert_cmpuint (second->test.labels[N_CLASSES - 1], ==, 299);

  ct_test_remove_tree (dir);
}

/* Mixed sizes: 224 by default; every image grey: one channel. */
static void
test_default_size_and_grey (void)
{
  g_autofree char *dir = ct_test_make_tmpdir ();
  g_autofree char *grey_dir = ct_test_make_tmpdir ();
  g_autoptr(CtDataset) mixed = NULL;
  g_autoptr(CtDataset) grey = NULL;
  const guint8 value[] = { 77 };

  write_flat (dir, "train/a/0.png", 8, 10);
  write_flat (dir, "train/b/0.png", 12, 10);
  write_flat (dir, "val/a/0.png", 8, 10);
  write_flat (dir, "val/b/0.png", 8, 10);
  mixed = load (dir, 0, FALSE);
  g_assert_cmpuint (mixed->train.height, ==, CT_IMAGE_FOLDER_DEFAULT_SIDE);
  g_assert_cmpuint (mixed->test.n_images, ==, 2);

  for (guint i = 0; i < 4; i++)
    {
      g_autofree char *path = g_strdup_printf ("%s/%s/%c/0.png", grey_dir,
                                               i < 2 ? "train" : "test", 'a' + i % 2);
      g_autofree char *parent = g_path_get_dirname (path);

      g_assert_cmpint (g_mkdir_with_parents (parent, 0755), ==, 0);
      ct_test_write_png (path, 1, 1, PNG_COLOR_TYPE_GRAY, 8, value, NULL, 0, NULL, 0);
    }
  grey = load (grey_dir, 0, FALSE);
  g_assert_cmpuint (grey->train.channels, ==, 1);
  g_assert_cmpuint (grey->train.height, ==, 1);
  g_assert_cmpuint (grey->train.pixels[1], ==, 77);

  ct_test_remove_tree (dir);
  ct_test_remove_tree (grey_dir);
}

/* A broken image is refused with its path and reason; with skip_bad it is
 * left out and listed, and that cache is not used without skip_bad. */
static void
test_bad_image (void)
{
  g_autofree char *dir = ct_test_make_tmpdir ();
  g_autofree char *bad = g_build_filename (dir, "train", "a", "1.png", NULL);
  g_autofree char *bmp = g_build_filename (dir, "train", "b", "1.bmp", NULL);
  g_autoptr(CtDataset) skipping = NULL;
  g_autoptr(GError) error = NULL;
  CtDatasetOptions strict = { 0 };

  write_flat (dir, "train/a/0.png", 4, 10);
  write_flat (dir, "train/b/0.png", 4, 10);
  write_flat (dir, "test/a/0.png", 4, 10);
  write_flat (dir, "test/b/0.png", 4, 10);
  g_assert_true (g_file_set_contents (bad, "\x89PNG\r\n\x1a\n\0\0", 10, NULL));

  g_assert_null (ct_dataset_load_full (dir, &strict, &error));
  g_assert_error (error, CT_DATASET_ERROR, CT_DATASET_ERROR_IMAGE);
  g_assert_nonnull (strstr (error->message, bad));
  g_assert_nonnull (strstr (error->message, "--skip-bad"));
  g_clear_error (&error);

  skipping = load (dir, 0, TRUE);
  g_assert_cmpuint (skipping->train.n_images, ==, 2);
  g_assert_cmpuint (g_strv_length (skipping->skipped), ==, 1);
  g_assert_true (g_str_has_prefix (skipping->skipped[0], "train/a/1.png: "));

  /* The cache that left it out is not taken for a strict load. */
  g_assert_null (ct_dataset_load_full (dir, &strict, &error));
  g_assert_error (error, CT_DATASET_ERROR, CT_DATASET_ERROR_IMAGE);
  g_clear_error (&error);

  /* A format torchvision lists but Camtrail does not read. */
  g_assert_cmpint (g_unlink (bad), ==, 0);
  g_assert_true (g_file_set_contents (bmp, "BM\0\0\0\0", 6, NULL));
  g_assert_null (ct_dataset_load_full (dir, &strict, &error));
  g_assert_error (error, CT_DATASET_ERROR, CT_DATASET_ERROR_IMAGE);
  g_assert_nonnull (strstr (error->message, "1.bmp: not a PNG or JPEG"));

  ct_test_remove_tree (dir);
}

static void
test_layout_errors (void)
{
  g_autofree char *dir = ct_test_make_tmpdir ();
  g_autofree char *empty = g_build_filename (dir, "train", "c", NULL);
  g_autoptr(GError) error = NULL;

  write_flat (dir, "train/a/0.png", 4, 10);
  write_flat (dir, "train/b/0.png", 4, 10);
  write_flat (dir, "test/a/0.png", 4, 10);
  write_flat (dir, "test/c/0.png", 4, 10);

  g_assert_null (ct_dataset_load (dir, &error));
  g_assert_error (error, CT_DATASET_ERROR, CT_DATASET_ERROR_MISMATCH);
  g_assert_nonnull (strstr (error->message, "class folders of test differ"));
  g_clear_error (&error);

  g_assert_cmpint (g_mkdir (empty, 0755), ==, 0);
  g_assert_null (ct_dataset_load (dir, &error));
  g_assert_error (error, CT_DATASET_ERROR, CT_DATASET_ERROR_MISSING);
  g_assert_nonnull (strstr (error->message, "train/c: no image files"));

  ct_test_remove_tree (dir);
}

/* The shared test folder loads as ImageFolder would label it. */
static void
test_shared_folder (void)
{
  g_autofree char *dir = ct_test_make_tmpdir ();
  g_autoptr(CtDataset) dataset = NULL;

  g_free (ct_test_write_image_folder (dir, 12, 8, 16, 5));
  dataset = load (dir, 0, FALSE);
  g_assert_cmpstrv (dataset->classes, ((const char * const[]) { "blue", "green", "red", "white", NULL }));
  g_assert_cmpuint (dataset->train.n_images, ==, 12);
  g_assert_cmpuint (dataset->test.n_images, ==, 8);
  g_assert_cmpuint (dataset->train.height, ==, 16);
  g_assert_cmpuint (dataset->train.labels[0], ==, 0);
  g_assert_cmpuint (dataset->train.labels[11], ==, 3);

  ct_test_remove_tree (dir);
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GError) error = NULL;
  int status;

  /* Before anything asks GLib for the cache directory, which it remembers. */
  cache_home = g_dir_make_tmp ("camtrail-cache-XXXXXX", &error);
  g_assert_no_error (error);
  g_setenv ("XDG_CACHE_HOME", cache_home, TRUE);

  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/image-file/png-modes", test_png_modes);
  g_test_add_func ("/image-file/exif-orientation", test_exif_orientation);
  g_test_add_func ("/image-file/orient", test_orient);
  g_test_add_func ("/image-file/jpeg-exif-grey", test_jpeg_exif_and_grey);
  g_test_add_func ("/image-file/resize-hand", test_resize_hand);
  g_test_add_func ("/image-file/fit-crop", test_fit_crop);
  g_test_add_func ("/image-folder/order", test_order);
  g_test_add_func ("/image-folder/cache", test_cache);
  g_test_add_func ("/image-folder/corrupt-cache", test_corrupt_cache);
  g_test_add_func ("/image-folder/cache-reasons", test_cache_reasons);
  g_test_add_func ("/image-folder/old-version-cache", test_old_version_cache);
  g_test_add_func ("/image-folder/many-classes", test_many_classes);
  g_test_add_func ("/image-folder/default-size-grey", test_default_size_and_grey);
  g_test_add_func ("/image-folder/bad-image", test_bad_image);
  g_test_add_func ("/image-folder/layout-errors", test_layout_errors);
  g_test_add_func ("/image-folder/shared-folder", test_shared_folder);

  status = g_test_run ();

  ct_test_remove_tree (cache_home);
  return status;
}
