/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <math.h>
#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <gio/gio.h>
#include <zlib.h>

#include "ct-dataset.h"
#include "ct-test-data.h"

#define CIFAR_PIXELS 3072
#define CIFAR10_RECORD (1 + CIFAR_PIXELS)
#define CIFAR100_RECORD (2 + CIFAR_PIXELS)

/* Small IDX images, deliberately not square so rows and columns cannot swap. */
#define IDX_ROWS 4
#define IDX_COLS 3

/* XDG_CACHE_HOME for the whole run: g_get_user_cache_dir() reads it once. */
static char *cache_home;

typedef struct
{
  char *dir;
} Fixture;

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  const char *template = user_data != NULL ? user_data : "camtrail-dataset-XXXXXX";

  fixture->dir = g_dir_make_tmp (template, &error);
  g_assert_no_error (error);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  user_data)
{
  ct_test_remove_tree (fixture->dir);
  g_free (fixture->dir);
}

static char *
write_file (const char   *dir,
            const char   *name,
            const guint8 *data,
            gsize         size)
{
  g_autoptr(GError) error = NULL;
  char *path = g_build_filename (dir, name, NULL);

  g_file_set_contents (path, (const char *) data, size, &error);
  g_assert_no_error (error);
  return path;
}

static void
write_bytes (const char *dir,
             const char *name,
             GByteArray *bytes)
{
  g_autofree char *path = write_file (dir, name, bytes->data, bytes->len);
}

static void
write_text (const char *dir,
            const char *name,
            const char *text)
{
  g_autofree char *path = write_file (dir, name, (const guint8 *) text, strlen (text));
}

static void
write_gz (const char *dir,
          const char *name,
          GByteArray *bytes)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  gzFile gz = gzopen (path, "wb9");

  g_assert_nonnull (gz);
  g_assert_cmpint (gzwrite (gz, bytes->data, bytes->len), ==, (int) bytes->len);
  g_assert_cmpint (gzclose (gz), ==, Z_OK);
}

static GByteArray *
read_bytes (const char *dir,
            const char *name)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_build_filename (dir, name, NULL);
  char *contents = NULL;
  gsize length = 0;

  g_file_get_contents (path, &contents, &length, &error);
  g_assert_no_error (error);
  return g_byte_array_new_take ((guint8 *) contents, length);
}

static void
assert_contains (const char *haystack,
                 const char *needle)
{
  if (strstr (haystack, needle) == NULL)
    g_error ("“%s” does not contain “%s”", haystack, needle);
}

/* Loads @dir expecting a failure whose message names @file_name and, when
 * given, the byte offset @offset. */
static void
assert_load_fails (const char     *dir,
                   CtDatasetError  code,
                   const char     *file_name,
                   gint64          offset)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CtDataset) dataset = ct_dataset_load (dir, &error);

  g_assert_null (dataset);
  g_assert_error (error, CT_DATASET_ERROR, (int) code);
  g_test_message ("%s", error->message);
  assert_contains (error->message, file_name);
  if (offset >= 0)
    {
      g_autofree char *at = g_strdup_printf ("at byte %" G_GINT64_FORMAT, offset);
      const char *found = strstr (error->message, at);

      if (found == NULL || g_ascii_isdigit (found[strlen (at)]))
        g_error ("“%s” does not contain “%s”", error->message, at);
    }
}

static CtDataset *
load_ok (const char *dir)
{
  g_autoptr(GError) error = NULL;
  CtDataset *dataset = ct_dataset_load (dir, &error);

  g_assert_no_error (error);
  g_assert_nonnull (dataset);
  return dataset;
}

static guint8
pattern_pixel (guint  seed,
               gsize  p)
{
  return (guint8) ((p * 7 + seed * 13 + (p >> 10) * 5) & 0xff);
}

/* CIFAR records whose pixels follow pattern_pixel (first_seed + r, p). */
static GByteArray *
cifar_records (guint         n,
               gboolean      cifar100,
               const guint8 *labels,
               guint         first_seed)
{
  gsize record_size = cifar100 ? CIFAR100_RECORD : CIFAR10_RECORD;
  GByteArray *bytes = g_byte_array_sized_new (n * record_size);

  g_byte_array_set_size (bytes, n * record_size);
  for (guint r = 0; r < n; r++)
    {
      guint8 *record = bytes->data + r * record_size;

      if (cifar100)
        *record++ = (guint8) (19 - r % 20);
      *record++ = labels[r];
      for (gsize p = 0; p < CIFAR_PIXELS; p++)
        record[p] = pattern_pixel (first_seed + r, p);
    }
  return bytes;
}

static void
assert_pattern_image (const CtSplit *split,
                      guint          index,
                      guint          seed)
{
  const guint8 *image = ct_split_image (split, index);

  for (gsize p = 0; p < ct_split_image_size (split); p++)
    {
      if (image[p] != pattern_pixel (seed, p))
        g_error ("image %u, byte %" G_GSIZE_FORMAT ": %u, expected %u",
                 index, p, image[p], pattern_pixel (seed, p));
    }
}

/* The split's 16-bit labels are the file's bytes, widened. */
static void
assert_labels (const CtSplit *split,
               const guint8  *expected,
               guint          n)
{
  g_assert_cmpuint (split->n_images, >=, n);
  for (guint i = 0; i < n; i++)
    g_assert_cmpuint (split->labels[i], ==, expected[i]);
}

static void
pad_with_zeros (GByteArray *bytes,
                guint       size)
{
  guint old_size = bytes->len;

  g_byte_array_set_size (bytes, size);
  memset (bytes->data + old_size, 0, size - old_size);
}

static GByteArray *
idx_images (guint32 n,
            guint32 rows,
            guint32 cols,
            guint   first_seed)
{
  GByteArray *bytes = g_byte_array_new ();
  gsize header = 16;

  ct_test_put_be32 (bytes, 0x00000803);
  ct_test_put_be32 (bytes, n);
  ct_test_put_be32 (bytes, rows);
  ct_test_put_be32 (bytes, cols);
  g_byte_array_set_size (bytes, header + (gsize) n * rows * cols);
  for (guint i = 0; i < n; i++)
    for (gsize p = 0; p < (gsize) rows * cols; p++)
      bytes->data[header + i * rows * cols + p] = pattern_pixel (first_seed + i, p);
  return bytes;
}

static GByteArray *
idx_labels (guint32 n)
{
  GByteArray *bytes = g_byte_array_new ();

  ct_test_put_be32 (bytes, 0x00000801);
  ct_test_put_be32 (bytes, n);
  for (guint i = 0; i < n; i++)
    {
      guint8 label = (guint8) ((i * 3) % 10);

      g_byte_array_append (bytes, &label, 1);
    }
  return bytes;
}

/* A valid MNIST-style dataset: 5 train and 2 test images of 4×3. */
static void
write_idx_dataset (const char *dir,
                   gboolean    gz)
{
  g_autoptr(GByteArray) train_images = idx_images (5, IDX_ROWS, IDX_COLS, 0);
  g_autoptr(GByteArray) train_labels = idx_labels (5);
  g_autoptr(GByteArray) test_images = idx_images (2, IDX_ROWS, IDX_COLS, 100);
  g_autoptr(GByteArray) test_labels = idx_labels (2);

  if (gz)
    {
      write_gz (dir, "train-images-idx3-ubyte.gz", train_images);
      write_gz (dir, "train-labels-idx1-ubyte.gz", train_labels);
      write_gz (dir, "t10k-images-idx3-ubyte.gz", test_images);
      write_gz (dir, "t10k-labels-idx1-ubyte.gz", test_labels);
    }
  else
    {
      write_bytes (dir, "train-images-idx3-ubyte", train_images);
      write_bytes (dir, "train-labels-idx1-ubyte", train_labels);
      write_bytes (dir, "t10k-images-idx3-ubyte", test_images);
      write_bytes (dir, "t10k-labels-idx1-ubyte", test_labels);
    }
}

/* A valid CIFAR-10 dataset: 2 + 3 train records, 2 test records. */
static void
write_cifar10_dataset (const char *dir)
{
  const guint8 labels[] = { 3, 9, 0, 5, 1 };
  g_autoptr(GByteArray) batch_1 = cifar_records (2, FALSE, labels, 0);
  g_autoptr(GByteArray) batch_2 = cifar_records (3, FALSE, labels + 2, 2);
  g_autoptr(GByteArray) test = cifar_records (2, FALSE, labels, 50);

  write_bytes (dir, "data_batch_1.bin", batch_1);
  write_bytes (dir, "data_batch_2.bin", batch_2);
  write_bytes (dir, "test_batch.bin", test);
}

static void
assert_stats_match_train (const CtDataset *dataset)
{
  float mean[3];
  float std[3];

  ct_split_compute_stats (&dataset->train, mean, std);
  for (guint c = 0; c < dataset->train.channels; c++)
    {
      g_assert_cmpfloat (dataset->mean[c], ==, mean[c]);
      g_assert_cmpfloat (dataset->std[c], ==, std[c]);
    }
}

static void
test_resolve_path (void)
{
  g_autofree char *alias = NULL;
  g_autofree char *moved = NULL;
  g_autofree char *plain = ct_dataset_resolve_path ("/data/cifar");

  g_unsetenv ("CAMTRAIL_FASHION_MNIST_DIR");
  alias = ct_dataset_resolve_path ("fashion-mnist");
  g_setenv ("CAMTRAIL_FASHION_MNIST_DIR", "/srv/FashionMNIST/raw", TRUE);
  moved = ct_dataset_resolve_path ("fashion-mnist");
  g_unsetenv ("CAMTRAIL_FASHION_MNIST_DIR");

  g_assert_cmpstr (alias, ==, CT_DATASET_FASHION_MNIST_DIR);
  g_assert_cmpstr (moved, ==, "/srv/FashionMNIST/raw");
  g_assert_cmpstr (plain, ==, "/data/cifar");
}

static void
test_stats_hand (void)
{
  /* Two 1×2 images of three channels, planar: R R G G B B. */
  guint8 pixels[] = {
    0,   255,  51, 51,   0,   0,
    255, 0,    51, 51,   102, 102,
  };
  guint16 labels[] = { 0, 1 };
  CtSplit split = { 2, 3, 1, 2, pixels, labels };
  float mean[3];
  float std[3];

  ct_split_compute_stats (&split, mean, std);
  g_assert_cmpfloat_with_epsilon (mean[0], 0.5, 1e-6);
  g_assert_cmpfloat_with_epsilon (std[0], 0.5, 1e-6);
  g_assert_cmpfloat_with_epsilon (mean[1], 0.2, 1e-6);
  g_assert_cmpfloat_with_epsilon (std[1], 0.0, 1e-6);
  g_assert_cmpfloat_with_epsilon (mean[2], 0.2, 1e-6);
  g_assert_cmpfloat_with_epsilon (std[2], 0.2, 1e-6);

  g_assert_cmpuint (ct_split_image_size (&split), ==, 6);
  g_assert_true (ct_split_image (&split, 1) == pixels + 6);
}

static void
test_cifar10_load (Fixture       *fixture,
                   gconstpointer  user_data)
{
  g_autoptr(CtDataset) dataset = NULL;
  const char *names[] = { "plane", "car", "bird", "cat", "deer",
                          "dog", "frog", "horse", "ship", "lorry" };
  g_autofree char *canonical = g_canonicalize_filename (fixture->dir, NULL);

  write_cifar10_dataset (fixture->dir);
  write_text (fixture->dir, "batches.meta.txt",
              "plane\ncar\r\n\nbird\ncat\ndeer\n  \ndog\nfrog\nhorse\nship\nlorry\n\n\n");
  write_text (fixture->dir, "readme.html", "<html></html>");

  dataset = load_ok (fixture->dir);
  g_assert_cmpint (dataset->kind, ==, CT_DATASET_KIND_CIFAR10);
  g_assert_cmpstr (dataset->name, ==, "cifar-10");
  g_assert_cmpstr (dataset->path, ==, canonical);
  g_assert_cmpuint (dataset->n_classes, ==, 10);
  g_assert_cmpuint (g_strv_length (dataset->classes), ==, 10);
  for (guint i = 0; i < 10; i++)
    g_assert_cmpstr (dataset->classes[i], ==, names[i]);

  g_assert_cmpuint (dataset->train.n_images, ==, 5);
  g_assert_cmpuint (dataset->train.channels, ==, 3);
  g_assert_cmpuint (dataset->train.height, ==, 32);
  g_assert_cmpuint (dataset->train.width, ==, 32);
  g_assert_cmpuint (ct_split_image_size (&dataset->train), ==, CIFAR_PIXELS);
  assert_labels (&dataset->train, ((guint8[]) { 3, 9, 0, 5, 1 }), 5);
  for (guint i = 0; i < 5; i++)
    assert_pattern_image (&dataset->train, i, i);

  g_assert_cmpuint (dataset->test.n_images, ==, 2);
  g_assert_cmpuint (dataset->test.channels, ==, 3);
  assert_labels (&dataset->test, ((guint8[]) { 3, 9 }), 2);
  assert_pattern_image (&dataset->test, 0, 50);
  assert_pattern_image (&dataset->test, 1, 51);

  assert_stats_match_train (dataset);
}

static void
test_cifar10_batch_order (Fixture       *fixture,
                          gconstpointer  user_data)
{
  const guint8 labels[] = { 0, 1, 2, 3, 4, 5, 6, 7, 8 };
  g_autoptr(GByteArray) batch_1 = cifar_records (3, FALSE, labels, 0);
  g_autoptr(GByteArray) batch_2 = cifar_records (1, FALSE, labels + 3, 3);
  g_autoptr(GByteArray) batch_10 = cifar_records (2, FALSE, labels + 4, 4);
  g_autoptr(GByteArray) test = cifar_records (1, FALSE, labels, 9);
  g_autoptr(CtDataset) dataset = NULL;

  /* Written out of order: the load must order by batch number, not by time or bytes. */
  write_bytes (fixture->dir, "data_batch_10.bin", batch_10);
  write_bytes (fixture->dir, "data_batch_2.bin", batch_2);
  write_bytes (fixture->dir, "data_batch_1.bin", batch_1);
  write_bytes (fixture->dir, "test_batch.bin", test);

  dataset = load_ok (fixture->dir);
  g_assert_cmpuint (dataset->train.n_images, ==, 6);
  assert_labels (&dataset->train, labels, 6);
  for (guint i = 0; i < 6; i++)
    assert_pattern_image (&dataset->train, i, i);
  g_assert_cmpuint (dataset->test.n_images, ==, 1);
}

static void
test_cifar10_builtin_classes (Fixture       *fixture,
                              gconstpointer  user_data)
{
  const char *names[] = { "airplane", "automobile", "bird", "cat", "deer",
                          "dog", "frog", "horse", "ship", "truck", NULL };
  g_autoptr(CtDataset) dataset = NULL;

  write_cifar10_dataset (fixture->dir);
  dataset = load_ok (fixture->dir);
  g_assert_cmpuint (dataset->n_classes, ==, 10);
  g_assert_cmpstrv (dataset->classes, names);
}

static void
test_cifar10_stats (Fixture       *fixture,
                    gconstpointer  user_data)
{
  const guint8 labels[] = { 0, 1, 2 };
  g_autoptr(GByteArray) train = cifar_records (2, FALSE, labels, 0);
  g_autoptr(GByteArray) test = cifar_records (1, FALSE, labels, 0);
  g_autoptr(CtDataset) dataset = NULL;

  /* Constant planes: R 0 and 255, G 51 twice, B 0 and 102. */
  memset (train->data + 1, 0, 1024);
  memset (train->data + 1 + 1024, 51, 1024);
  memset (train->data + 1 + 2048, 0, 1024);
  memset (train->data + CIFAR10_RECORD + 1, 255, 1024);
  memset (train->data + CIFAR10_RECORD + 1 + 1024, 51, 1024);
  memset (train->data + CIFAR10_RECORD + 1 + 2048, 102, 1024);
  write_bytes (fixture->dir, "data_batch_1.bin", train);
  write_bytes (fixture->dir, "test_batch.bin", test);

  dataset = load_ok (fixture->dir);
  g_assert_cmpfloat_with_epsilon (dataset->mean[0], 0.5, 1e-6);
  g_assert_cmpfloat_with_epsilon (dataset->mean[1], 0.2, 1e-6);
  g_assert_cmpfloat_with_epsilon (dataset->mean[2], 0.2, 1e-6);
  g_assert_cmpfloat_with_epsilon (dataset->std[0], 0.5, 1e-6);
  g_assert_cmpfloat_with_epsilon (dataset->std[1], 0.0, 1e-6);
  g_assert_cmpfloat_with_epsilon (dataset->std[2], 0.2, 1e-6);
}

static void
test_cifar100_load (Fixture       *fixture,
                    gconstpointer  user_data)
{
  const guint8 labels[] = { 99, 0, 42, 7 };
  g_autoptr(GByteArray) train = cifar_records (3, TRUE, labels, 0);
  g_autoptr(GByteArray) test = cifar_records (1, TRUE, labels + 3, 10);
  g_autoptr(CtDataset) dataset = NULL;

  write_bytes (fixture->dir, "train.bin", train);
  write_bytes (fixture->dir, "test.bin", test);

  dataset = load_ok (fixture->dir);
  g_assert_cmpint (dataset->kind, ==, CT_DATASET_KIND_CIFAR100);
  g_assert_cmpstr (dataset->name, ==, "cifar-100");
  g_assert_cmpuint (dataset->n_classes, ==, 100);
  g_assert_cmpuint (g_strv_length (dataset->classes), ==, 100);
  g_assert_cmpstr (dataset->classes[0], ==, "apple");
  g_assert_cmpstr (dataset->classes[1], ==, "aquarium_fish");
  g_assert_cmpstr (dataset->classes[9], ==, "bottle");
  g_assert_cmpstr (dataset->classes[99], ==, "worm");
  for (guint i = 1; i < 100; i++)
    g_assert_cmpint (strcmp (dataset->classes[i - 1], dataset->classes[i]), <, 0);

  /* Fine labels, not the coarse ones stored before them. */
  g_assert_cmpuint (dataset->train.n_images, ==, 3);
  assert_labels (&dataset->train, labels, 3);
  for (guint i = 0; i < 3; i++)
    assert_pattern_image (&dataset->train, i, i);
  g_assert_cmpuint (dataset->test.n_images, ==, 1);
  g_assert_cmpuint (dataset->test.labels[0], ==, 7);
  assert_pattern_image (&dataset->test, 0, 10);
  assert_stats_match_train (dataset);
}

static void
test_cifar100_class_file (Fixture       *fixture,
                          gconstpointer  user_data)
{
  const guint8 labels[] = { 2, 0 };
  g_autoptr(GByteArray) train = cifar_records (2, TRUE, labels, 0);
  g_autoptr(GByteArray) test = cifar_records (1, TRUE, labels, 0);
  const char *names[] = { "alpha", "beta", "gamma", NULL };
  g_autoptr(CtDataset) dataset = NULL;

  write_bytes (fixture->dir, "train.bin", train);
  write_bytes (fixture->dir, "test.bin", test);
  write_text (fixture->dir, "fine_label_names.txt", "alpha\nbeta\ngamma\n");

  dataset = load_ok (fixture->dir);
  g_assert_cmpuint (dataset->n_classes, ==, 3);
  g_assert_cmpstrv (dataset->classes, names);
}

static void
test_idx_mnist (Fixture       *fixture,
                gconstpointer  user_data)
{
  const char *digits[] = { "0", "1", "2", "3", "4", "5", "6", "7", "8", "9", NULL };
  g_autoptr(CtDataset) dataset = NULL;

  write_idx_dataset (fixture->dir, FALSE);
  dataset = load_ok (fixture->dir);
  g_assert_cmpint (dataset->kind, ==, CT_DATASET_KIND_IDX);
  g_assert_cmpstr (dataset->name, ==, "mnist");
  g_assert_cmpstrv (dataset->classes, digits);
  g_assert_cmpuint (dataset->n_classes, ==, 10);

  g_assert_cmpuint (dataset->train.n_images, ==, 5);
  g_assert_cmpuint (dataset->train.channels, ==, 1);
  g_assert_cmpuint (dataset->train.height, ==, IDX_ROWS);
  g_assert_cmpuint (dataset->train.width, ==, IDX_COLS);
  assert_labels (&dataset->train, ((guint8[]) { 0, 3, 6, 9, 2 }), 5);
  for (guint i = 0; i < 5; i++)
    assert_pattern_image (&dataset->train, i, i);

  g_assert_cmpuint (dataset->test.n_images, ==, 2);
  g_assert_cmpuint (dataset->test.height, ==, IDX_ROWS);
  g_assert_cmpuint (dataset->test.width, ==, IDX_COLS);
  assert_labels (&dataset->test, ((guint8[]) { 0, 3 }), 2);
  assert_pattern_image (&dataset->test, 0, 100);
  assert_pattern_image (&dataset->test, 1, 101);
  assert_stats_match_train (dataset);
}

static void
test_idx_fashion_gz (Fixture       *fixture,
                     gconstpointer  user_data)
{
  const char *names[] = { "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                          "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot", NULL };
  g_autoptr(GByteArray) train_images = idx_images (2, 2, 2, 0);
  g_autoptr(GByteArray) train_labels = idx_labels (2);
  g_autoptr(GByteArray) test_images = idx_images (1, 2, 2, 7);
  g_autoptr(GByteArray) test_labels = idx_labels (1);
  const guint8 pixels[] = { 0, 0, 255, 255, 51, 51, 51, 51 };
  g_autoptr(CtDataset) dataset = NULL;

  memcpy (train_images->data + 16, pixels, sizeof pixels);
  write_gz (fixture->dir, "train-images-idx3-ubyte.gz", train_images);
  write_gz (fixture->dir, "train-labels-idx1-ubyte.gz", train_labels);
  write_gz (fixture->dir, "t10k-images-idx3-ubyte.gz", test_images);
  write_gz (fixture->dir, "t10k-labels-idx1-ubyte.gz", test_labels);

  dataset = load_ok (fixture->dir);
  g_assert_cmpint (dataset->kind, ==, CT_DATASET_KIND_IDX);
  g_assert_cmpstr (dataset->name, ==, "fashion-mnist");
  g_assert_cmpstrv (dataset->classes, names);
  g_assert_cmpuint (dataset->train.n_images, ==, 2);
  g_assert_cmpuint (dataset->train.height, ==, 2);
  g_assert_cmpuint (dataset->train.width, ==, 2);
  g_assert_cmpmem (dataset->train.pixels, 8, pixels, 8);
  assert_labels (&dataset->train, ((guint8[]) { 0, 3 }), 2);
  g_assert_cmpuint (dataset->test.n_images, ==, 1);
  assert_pattern_image (&dataset->test, 0, 7);

  /* In [0, 1]: 0 0 1 1 .2 .2 .2 .2, so the mean is .35 and E[x²] is .27. */
  g_assert_cmpfloat_with_epsilon (dataset->mean[0], 0.35, 1e-6);
  g_assert_cmpfloat_with_epsilon (dataset->std[0], sqrt (0.27 - 0.35 * 0.35), 1e-6);
}

static void
test_idx_classes_file (Fixture       *fixture,
                       gconstpointer  user_data)
{
  const char *names[] = { "a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", NULL };
  g_autoptr(CtDataset) dataset = NULL;

  write_idx_dataset (fixture->dir, TRUE);
  write_text (fixture->dir, "classes.txt", "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\nk\n");
  dataset = load_ok (fixture->dir);
  g_assert_cmpstr (dataset->name, ==, "mnist");
  g_assert_cmpuint (dataset->n_classes, ==, 11);
  g_assert_cmpstrv (dataset->classes, names);
}

/* A .gz file may hold several gzip members back to back.  The last one
 * here is tiny, so its size field underestimates the whole and the output
 * buffer has to grow. */
static void
test_idx_gz_members (Fixture       *fixture,
                     gconstpointer  user_data)
{
  g_autoptr(GByteArray) images = idx_images (5, IDX_ROWS, IDX_COLS, 0);
  g_autoptr(GByteArray) head = g_byte_array_new ();
  g_autoptr(GByteArray) tail = g_byte_array_new ();
  g_autoptr(GByteArray) head_gz = NULL;
  g_autoptr(GByteArray) tail_gz = NULL;
  g_autoptr(CtDataset) dataset = NULL;
  g_autofree char *raw_path = g_build_filename (fixture->dir, "train-images-idx3-ubyte", NULL);

  write_idx_dataset (fixture->dir, FALSE);
  g_remove (raw_path);

  g_byte_array_append (head, images->data, images->len - 2);
  g_byte_array_append (tail, images->data + images->len - 2, 2);
  write_gz (fixture->dir, "head.gz", head);
  write_gz (fixture->dir, "tail.gz", tail);
  head_gz = read_bytes (fixture->dir, "head.gz");
  tail_gz = read_bytes (fixture->dir, "tail.gz");
  g_byte_array_append (head_gz, tail_gz->data, tail_gz->len);
  write_bytes (fixture->dir, "train-images-idx3-ubyte.gz", head_gz);

  dataset = load_ok (fixture->dir);
  g_assert_cmpuint (dataset->train.n_images, ==, 5);
  for (guint i = 0; i < 5; i++)
    assert_pattern_image (&dataset->train, i, i);
}

static void
test_error_empty_dir (Fixture       *fixture,
                      gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CtDataset) dataset = NULL;

  write_text (fixture->dir, "notes.txt", "nothing here\n");
  dataset = ct_dataset_load (fixture->dir, &error);
  g_assert_null (dataset);
  g_assert_error (error, CT_DATASET_ERROR, CT_DATASET_ERROR_MISSING);
  assert_contains (error->message, "data_batch_*.bin");
  assert_contains (error->message, "test_batch.bin");
  assert_contains (error->message, "train.bin");
  assert_contains (error->message, "train-images-idx3-ubyte");
  assert_contains (error->message, "t10k-labels-idx1-ubyte");
}

static void
test_error_not_a_directory (Fixture       *fixture,
                            gconstpointer  user_data)
{
  g_autofree char *missing = g_build_filename (fixture->dir, "no-such-dir", NULL);

  assert_load_fails (missing, CT_DATASET_ERROR_MISSING, "no-such-dir", -1);
}

static void
test_error_missing_split (Fixture       *fixture,
                          gconstpointer  user_data)
{
  const guint8 labels[] = { 1 };
  g_autoptr(GByteArray) cifar10 = cifar_records (1, FALSE, labels, 0);
  g_autoptr(GByteArray) cifar100 = cifar_records (1, TRUE, labels, 0);
  g_autofree char *batch = g_build_filename (fixture->dir, "data_batch_1.bin", NULL);
  g_autofree char *test_batch = g_build_filename (fixture->dir, "test_batch.bin", NULL);
  g_autofree char *train = g_build_filename (fixture->dir, "train.bin", NULL);
  g_autofree char *labels_file = g_build_filename (fixture->dir, "t10k-labels-idx1-ubyte", NULL);

  write_bytes (fixture->dir, "data_batch_1.bin", cifar10);
  assert_load_fails (fixture->dir, CT_DATASET_ERROR_MISSING, "test_batch.bin", -1);

  g_remove (batch);
  write_bytes (fixture->dir, "test_batch.bin", cifar10);
  assert_load_fails (fixture->dir, CT_DATASET_ERROR_MISSING, "data_batch_*.bin", -1);
  g_remove (test_batch);

  write_bytes (fixture->dir, "train.bin", cifar100);
  assert_load_fails (fixture->dir, CT_DATASET_ERROR_MISSING, "test.bin", -1);
  g_remove (train);

  write_idx_dataset (fixture->dir, FALSE);
  g_remove (labels_file);
  assert_load_fails (fixture->dir, CT_DATASET_ERROR_MISSING, "t10k-labels-idx1-ubyte", -1);
}

static void
test_error_cifar_truncated (Fixture       *fixture,
                            gconstpointer  user_data)
{
  const guint8 labels[] = { 1, 2, 3 };
  g_autoptr(GByteArray) batch = cifar_records (3, FALSE, labels, 0);
  g_autoptr(GByteArray) cifar10_in_cifar100 = cifar_records (2, FALSE, labels, 0);

  write_cifar10_dataset (fixture->dir);
  g_byte_array_set_size (batch, 2 * CIFAR10_RECORD + 100);
  write_bytes (fixture->dir, "data_batch_2.bin", batch);
  assert_load_fails (fixture->dir, CT_DATASET_ERROR_FORMAT, "data_batch_2.bin",
                     2 * CIFAR10_RECORD);

  g_byte_array_set_size (batch, 0);
  write_bytes (fixture->dir, "data_batch_2.bin", batch);
  assert_load_fails (fixture->dir, CT_DATASET_ERROR_FORMAT, "data_batch_2.bin", 0);

  /* A CIFAR-10 record size is not a CIFAR-100 one. */
  ct_test_remove_tree (fixture->dir);
  g_mkdir (fixture->dir, 0700);
  write_bytes (fixture->dir, "train.bin", cifar10_in_cifar100);
  write_bytes (fixture->dir, "test.bin", cifar10_in_cifar100);
  assert_load_fails (fixture->dir, CT_DATASET_ERROR_FORMAT, "train.bin", CIFAR100_RECORD);
}

static void
test_error_cifar_label (Fixture       *fixture,
                        gconstpointer  user_data)
{
  const guint8 labels[] = { 1, 10, 3 };
  const guint8 fine_labels[] = { 5, 6, 100 };
  g_autoptr(GByteArray) bad = cifar_records (3, FALSE, labels, 0);
  g_autoptr(GByteArray) bad100 = cifar_records (3, TRUE, fine_labels, 0);
  g_autoptr(GByteArray) good100 = cifar_records (1, TRUE, fine_labels, 0);
  g_autoptr(GError) error = NULL;
  g_autoptr(CtDataset) dataset = NULL;

  write_cifar10_dataset (fixture->dir);
  write_bytes (fixture->dir, "test_batch.bin", bad);
  assert_load_fails (fixture->dir, CT_DATASET_ERROR_LABEL, "test_batch.bin", CIFAR10_RECORD);
  dataset = ct_dataset_load (fixture->dir, &error);
  assert_contains (error->message, "record 1 ");

  ct_test_remove_tree (fixture->dir);
  g_mkdir (fixture->dir, 0700);
  write_bytes (fixture->dir, "train.bin", bad100);
  write_bytes (fixture->dir, "test.bin", good100);
  assert_load_fails (fixture->dir, CT_DATASET_ERROR_LABEL, "train.bin", 2 * CIFAR100_RECORD + 1);
}

static void
test_error_class_file (Fixture       *fixture,
                       gconstpointer  user_data)
{
  write_cifar10_dataset (fixture->dir);
  write_text (fixture->dir, "batches.meta.txt", "\n  \n\n");
  assert_load_fails (fixture->dir, CT_DATASET_ERROR_FORMAT, "batches.meta.txt", 5);

  /* Fewer names than labels: label 9 is out of range of 5 classes. */
  write_text (fixture->dir, "batches.meta.txt", "a\nb\nc\nd\ne\n");
  assert_load_fails (fixture->dir, CT_DATASET_ERROR_LABEL, "data_batch_1.bin", CIFAR10_RECORD);
}

static void
test_error_idx_truncated_header (Fixture       *fixture,
                                 gconstpointer  user_data)
{
  g_autoptr(GByteArray) images = idx_images (5, IDX_ROWS, IDX_COLS, 0);

  write_idx_dataset (fixture->dir, FALSE);

  g_byte_array_set_size (images, 10);
  write_bytes (fixture->dir, "train-images-idx3-ubyte", images);
  assert_load_fails (fixture->dir, CT_DATASET_ERROR_TRUNCATED, "train-images-idx3-ubyte", 10);

  g_byte_array_set_size (images, 2);
  write_bytes (fixture->dir, "train-images-idx3-ubyte", images);
  assert_load_fails (fixture->dir, CT_DATASET_ERROR_TRUNCATED, "train-images-idx3-ubyte", 2);

  g_byte_array_set_size (images, 0);
  write_bytes (fixture->dir, "train-images-idx3-ubyte", images);
  assert_load_fails (fixture->dir, CT_DATASET_ERROR_TRUNCATED, "train-images-idx3-ubyte", 0);
}

static void
test_error_idx_bad_magic (Fixture       *fixture,
                          gconstpointer  user_data)
{
  g_autoptr(GByteArray) images = idx_images (5, IDX_ROWS, IDX_COLS, 0);
  g_autoptr(GByteArray) labels = idx_labels (2);
  g_autoptr(GError) error = NULL;
  g_autoptr(CtDataset) dataset = NULL;

  write_idx_dataset (fixture->dir, FALSE);
  images->data[3] = 0x04;
  write_bytes (fixture->dir, "train-images-idx3-ubyte", images);
  assert_load_fails (fixture->dir, CT_DATASET_ERROR_FORMAT, "train-images-idx3-ubyte", 0);
  dataset = ct_dataset_load (fixture->dir, &error);
  assert_contains (error->message, "0x00000804");
  assert_contains (error->message, "0x00000803");

  /* Images and labels swapped. */
  write_idx_dataset (fixture->dir, FALSE);
  labels->data[3] = 0x03;
  write_bytes (fixture->dir, "t10k-labels-idx1-ubyte", labels);
  assert_load_fails (fixture->dir, CT_DATASET_ERROR_FORMAT, "t10k-labels-idx1-ubyte", 0);
}

static void
test_error_idx_zero_dimension (Fixture       *fixture,
                               gconstpointer  user_data)
{
  g_autoptr(GByteArray) images = idx_images (2, IDX_ROWS, IDX_COLS, 0);
  g_autoptr(GByteArray) labels = idx_labels (0);

  write_idx_dataset (fixture->dir, FALSE);
  memset (images->data + 8, 0, 4);
  write_bytes (fixture->dir, "t10k-images-idx3-ubyte", images);
  assert_load_fails (fixture->dir, CT_DATASET_ERROR_FORMAT, "t10k-images-idx3-ubyte", 8);

  write_idx_dataset (fixture->dir, FALSE);
  write_bytes (fixture->dir, "t10k-labels-idx1-ubyte", labels);
  assert_load_fails (fixture->dir, CT_DATASET_ERROR_FORMAT, "t10k-labels-idx1-ubyte", 4);
}

static void
test_error_idx_size_mismatch (Fixture       *fixture,
                              gconstpointer  user_data)
{
  /* Same number of pixels, transposed: still not the train size. */
  g_autoptr(GByteArray) images = idx_images (2, IDX_COLS, IDX_ROWS, 0);

  write_idx_dataset (fixture->dir, FALSE);
  write_bytes (fixture->dir, "t10k-images-idx3-ubyte", images);
  assert_load_fails (fixture->dir, CT_DATASET_ERROR_FORMAT, "t10k-images-idx3-ubyte", 8);
}

static void
test_error_idx_count_mismatch (Fixture       *fixture,
                               gconstpointer  user_data)
{
  g_autoptr(GByteArray) labels = idx_labels (4);
  g_autoptr(GError) error = NULL;
  g_autoptr(CtDataset) dataset = NULL;

  write_idx_dataset (fixture->dir, TRUE);
  write_gz (fixture->dir, "train-labels-idx1-ubyte.gz", labels);
  assert_load_fails (fixture->dir, CT_DATASET_ERROR_MISMATCH, "train-labels-idx1-ubyte.gz", 4);
  dataset = ct_dataset_load (fixture->dir, &error);
  assert_contains (error->message, "decompressed");
  assert_contains (error->message, "train-images-idx3-ubyte.gz");
}

static void
test_error_idx_truncated_data (Fixture       *fixture,
                               gconstpointer  user_data)
{
  g_autoptr(GByteArray) images = idx_images (5, IDX_ROWS, IDX_COLS, 0);
  g_autoptr(GByteArray) labels = idx_labels (5);
  const gsize image_size = IDX_ROWS * IDX_COLS;

  write_idx_dataset (fixture->dir, FALSE);
  g_byte_array_set_size (images, 16 + 3 * image_size + 5);
  write_bytes (fixture->dir, "train-images-idx3-ubyte", images);
  assert_load_fails (fixture->dir, CT_DATASET_ERROR_TRUNCATED, "train-images-idx3-ubyte",
                     16 + 3 * image_size);

  write_idx_dataset (fixture->dir, FALSE);
  g_byte_array_set_size (labels, 8 + 3);
  write_bytes (fixture->dir, "train-labels-idx1-ubyte", labels);
  assert_load_fails (fixture->dir, CT_DATASET_ERROR_TRUNCATED, "train-labels-idx1-ubyte", 8 + 3);

  /* Bytes past the announced data are not silently ignored either. */
  write_idx_dataset (fixture->dir, FALSE);
  g_byte_array_set_size (labels, 8 + 5);
  g_byte_array_append (labels, (const guint8 *) "\1", 1);
  write_bytes (fixture->dir, "train-labels-idx1-ubyte", labels);
  assert_load_fails (fixture->dir, CT_DATASET_ERROR_FORMAT, "train-labels-idx1-ubyte", 8 + 5);
}

static void
test_error_idx_absurd_count (Fixture       *fixture,
                             gconstpointer  user_data)
{
  g_autoptr(GByteArray) images = g_byte_array_new ();
  g_autoptr(GByteArray) labels = g_byte_array_new ();

  write_idx_dataset (fixture->dir, FALSE);

  /* 2^31 images of 2^16 × 2^16 in a 100-byte file. */
  ct_test_put_be32 (images, 0x00000803);
  ct_test_put_be32 (images, 0x80000000u);
  ct_test_put_be32 (images, 0x10000);
  ct_test_put_be32 (images, 0x10000);
  pad_with_zeros (images, 100);
  write_bytes (fixture->dir, "train-images-idx3-ubyte", images);
  assert_load_fails (fixture->dir, CT_DATASET_ERROR_TRUNCATED, "train-images-idx3-ubyte", 16);

  write_idx_dataset (fixture->dir, FALSE);
  ct_test_put_be32 (labels, 0x00000801);
  ct_test_put_be32 (labels, 0xffffffffu);
  pad_with_zeros (labels, 100);
  write_bytes (fixture->dir, "t10k-labels-idx1-ubyte", labels);
  assert_load_fails (fixture->dir, CT_DATASET_ERROR_TRUNCATED, "t10k-labels-idx1-ubyte", 100);
}

static void
test_error_idx_label (Fixture       *fixture,
                      gconstpointer  user_data)
{
  g_autoptr(GByteArray) labels = idx_labels (2);
  g_autoptr(GError) error = NULL;
  g_autoptr(CtDataset) dataset = NULL;

  write_idx_dataset (fixture->dir, FALSE);
  labels->data[8 + 1] = 10;
  write_bytes (fixture->dir, "t10k-labels-idx1-ubyte", labels);
  assert_load_fails (fixture->dir, CT_DATASET_ERROR_LABEL, "t10k-labels-idx1-ubyte", 9);
  dataset = ct_dataset_load (fixture->dir, &error);
  assert_contains (error->message, "record 1 ");
  assert_contains (error->message, "label 10");
}

static void
test_error_gz_corrupt (Fixture       *fixture,
                       gconstpointer  user_data)
{
  g_autoptr(GByteArray) images = idx_images (5, IDX_ROWS, IDX_COLS, 0);
  g_autoptr(GByteArray) compressed = NULL;
  g_autoptr(GByteArray) corrupt = NULL;
  const char *name = "train-images-idx3-ubyte.gz";

  write_idx_dataset (fixture->dir, TRUE);
  compressed = read_bytes (fixture->dir, name);

  /* The first deflate block header after the 10-byte gzip header: block
   * type 3 is reserved, so inflate stops at once. */
  corrupt = g_byte_array_new ();
  g_byte_array_append (corrupt, compressed->data, compressed->len);
  corrupt->data[10] = 0xff;
  write_bytes (fixture->dir, name, corrupt);
  assert_load_fails (fixture->dir, CT_DATASET_ERROR_FORMAT, name, -1);

  /* A wrong CRC in the trailer: the data inflate but do not check out. */
  g_byte_array_set_size (corrupt, 0);
  g_byte_array_append (corrupt, compressed->data, compressed->len);
  corrupt->data[compressed->len - 8] ^= 0x55;
  write_bytes (fixture->dir, name, corrupt);
  assert_load_fails (fixture->dir, CT_DATASET_ERROR_FORMAT, name, -1);

  /* Cut in the middle of the stream. */
  g_byte_array_set_size (corrupt, compressed->len / 2);
  write_bytes (fixture->dir, name, corrupt);
  assert_load_fails (fixture->dir, CT_DATASET_ERROR_TRUNCATED, name, compressed->len / 2);

  /* Not gzip at all. */
  write_bytes (fixture->dir, name, images);
  assert_load_fails (fixture->dir, CT_DATASET_ERROR_FORMAT, name, 0);

  /* Trailing garbage after a complete member. */
  g_byte_array_set_size (corrupt, 0);
  g_byte_array_append (corrupt, compressed->data, compressed->len);
  g_byte_array_append (corrupt, (const guint8 *) "junk", 4);
  write_bytes (fixture->dir, name, corrupt);
  assert_load_fails (fixture->dir, CT_DATASET_ERROR_FORMAT, name, compressed->len);
}

static char *
dup_stats_dir (void)
{
  return g_build_filename (cache_home, "camtrail", "stats", NULL);
}

/* The cache file whose "path" key names @dir, or NULL. */
static char *
find_cache_file (const char *dir)
{
  g_autofree char *stats_dir = dup_stats_dir ();
  g_autofree char *canonical = g_canonicalize_filename (dir, NULL);
  g_autoptr(GDir) listing = g_dir_open (stats_dir, 0, NULL);
  const char *name;

  while (listing != NULL && (name = g_dir_read_name (listing)) != NULL)
    {
      g_autofree char *path = g_build_filename (stats_dir, name, NULL);
      g_autoptr(GKeyFile) key_file = g_key_file_new ();
      g_autofree char *stored = NULL;

      if (!g_key_file_load_from_file (key_file, path, G_KEY_FILE_NONE, NULL))
        continue;
      stored = g_key_file_get_string (key_file, "stats", "path", NULL);
      if (g_strcmp0 (stored, canonical) == 0)
        return g_steal_pointer (&path);
    }
  return NULL;
}

static void
set_cached_means (const char *cache_path,
                  double      value)
{
  g_autoptr(GKeyFile) key_file = g_key_file_new ();
  g_autoptr(GError) error = NULL;
  double values[3] = { value, value, value };

  g_key_file_load_from_file (key_file, cache_path, G_KEY_FILE_KEEP_COMMENTS, &error);
  g_assert_no_error (error);
  g_key_file_set_double_list (key_file, "stats", "mean", values, 3);
  g_key_file_save_to_file (key_file, cache_path, &error);
  g_assert_no_error (error);
}

static void
test_cache_used_and_invalidated (Fixture       *fixture,
                                 gconstpointer  user_data)
{
  g_autofree char *batch_path = g_build_filename (fixture->dir, "data_batch_2.bin", NULL);
  g_autofree char *cache_path = NULL;
  g_autoptr(GFile) batch_file = g_file_new_for_path (batch_path);
  g_autoptr(GFileInfo) info = NULL;
  g_autoptr(GError) error = NULL;
  const guint8 labels[] = { 4, 4, 4, 4 };
  g_autoptr(GByteArray) bigger = cifar_records (4, FALSE, labels, 30);
  float true_mean[3];
  guint64 mtime;

  write_cifar10_dataset (fixture->dir);

  /* First load computes and stores. */
  {
    g_autoptr(CtDataset) dataset = load_ok (fixture->dir);

    assert_stats_match_train (dataset);
    memcpy (true_mean, dataset->mean, sizeof true_mean);
  }
  cache_path = find_cache_file (fixture->dir);
  g_assert_nonnull (cache_path);
  g_assert_true (g_str_has_prefix (cache_path, cache_home));

  /* Unchanged files: the stored values are used, even a planted one. */
  set_cached_means (cache_path, 0.125);
  {
    g_autoptr(CtDataset) dataset = load_ok (fixture->dir);

    for (guint c = 0; c < 3; c++)
      g_assert_cmpfloat (dataset->mean[c], ==, 0.125f);
  }

  /* A new modification time (same size, same bytes) invalidates it. */
  info = g_file_query_info (batch_file, G_FILE_ATTRIBUTE_TIME_MODIFIED,
                            G_FILE_QUERY_INFO_NONE, NULL, &error);
  g_assert_no_error (error);
  mtime = g_file_info_get_attribute_uint64 (info, G_FILE_ATTRIBUTE_TIME_MODIFIED);
  g_file_set_attribute_uint64 (batch_file, G_FILE_ATTRIBUTE_TIME_MODIFIED, mtime - 100,
                               G_FILE_QUERY_INFO_NONE, NULL, &error);
  g_assert_no_error (error);
  {
    g_autoptr(CtDataset) dataset = load_ok (fixture->dir);

    for (guint c = 0; c < 3; c++)
      g_assert_cmpfloat (dataset->mean[c], ==, true_mean[c]);
  }

  /* So does a change of size, and the new values are cached. */
  set_cached_means (cache_path, 0.125);
  write_bytes (fixture->dir, "data_batch_2.bin", bigger);
  {
    g_autoptr(CtDataset) dataset = load_ok (fixture->dir);

    g_assert_cmpuint (dataset->train.n_images, ==, 6);
    g_assert_cmpfloat (dataset->mean[0], !=, 0.125f);
    assert_stats_match_train (dataset);
  }
  {
    g_autoptr(CtDataset) dataset = load_ok (fixture->dir);

    assert_stats_match_train (dataset);
  }

  /* A damaged cache file is recomputed, not trusted. */
  g_file_set_contents (cache_path, "[stats]\nversion=1\nmean=nan;x\n", -1, &error);
  g_assert_no_error (error);
  {
    g_autoptr(CtDataset) dataset = load_ok (fixture->dir);

    assert_stats_match_train (dataset);
  }
  set_cached_means (cache_path, 0.125);
  {
    g_autoptr(CtDataset) dataset = load_ok (fixture->dir);

    g_assert_cmpfloat (dataset->mean[0], ==, 0.125f);
  }
}

static void
test_cache_write_failure (Fixture       *fixture,
                          gconstpointer  user_data)
{
  g_autofree char *stats_dir = dup_stats_dir ();
  g_autofree char *camtrail_dir = g_build_filename (cache_home, "camtrail", NULL);
  g_autoptr(CtDataset) dataset = NULL;

  /* A plain file where the cache directory should be: nothing can be written. */
  ct_test_remove_tree (camtrail_dir);
  g_mkdir_with_parents (cache_home, 0700);
  write_text (cache_home, "camtrail", "in the way");

  write_idx_dataset (fixture->dir, FALSE);
  dataset = load_ok (fixture->dir);
  assert_stats_match_train (dataset);

  g_assert_false (g_file_test (stats_dir, G_FILE_TEST_EXISTS));
  ct_test_remove_tree (camtrail_dir);
}

static void
add_fixture_test (const char *path,
                  void      (*test) (Fixture *, gconstpointer))
{
  g_test_add (path, Fixture, NULL, fixture_set_up, test, fixture_tear_down);
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

  g_test_add_func ("/dataset/resolve-path", test_resolve_path);
  g_test_add_func ("/dataset/stats/hand", test_stats_hand);
  add_fixture_test ("/dataset/cifar10/load", test_cifar10_load);
  add_fixture_test ("/dataset/cifar10/batch-order", test_cifar10_batch_order);
  add_fixture_test ("/dataset/cifar10/builtin-classes", test_cifar10_builtin_classes);
  add_fixture_test ("/dataset/cifar10/stats", test_cifar10_stats);
  add_fixture_test ("/dataset/cifar100/load", test_cifar100_load);
  add_fixture_test ("/dataset/cifar100/class-file", test_cifar100_class_file);
  add_fixture_test ("/dataset/idx/mnist", test_idx_mnist);
  g_test_add ("/dataset/idx/fashion-gz", Fixture, "camtrail-Fashion-XXXXXX",
              fixture_set_up, test_idx_fashion_gz, fixture_tear_down);
  add_fixture_test ("/dataset/idx/classes-file", test_idx_classes_file);
  add_fixture_test ("/dataset/idx/gz-members", test_idx_gz_members);
  add_fixture_test ("/dataset/error/empty-dir", test_error_empty_dir);
  add_fixture_test ("/dataset/error/not-a-directory", test_error_not_a_directory);
  add_fixture_test ("/dataset/error/missing-split", test_error_missing_split);
  add_fixture_test ("/dataset/error/cifar-truncated", test_error_cifar_truncated);
  add_fixture_test ("/dataset/error/cifar-label", test_error_cifar_label);
  add_fixture_test ("/dataset/error/class-file", test_error_class_file);
  add_fixture_test ("/dataset/error/idx-truncated-header", test_error_idx_truncated_header);
  add_fixture_test ("/dataset/error/idx-bad-magic", test_error_idx_bad_magic);
  add_fixture_test ("/dataset/error/idx-zero-dimension", test_error_idx_zero_dimension);
  add_fixture_test ("/dataset/error/idx-size-mismatch", test_error_idx_size_mismatch);
  add_fixture_test ("/dataset/error/idx-count-mismatch", test_error_idx_count_mismatch);
  add_fixture_test ("/dataset/error/idx-truncated-data", test_error_idx_truncated_data);
  add_fixture_test ("/dataset/error/idx-absurd-count", test_error_idx_absurd_count);
  add_fixture_test ("/dataset/error/idx-label", test_error_idx_label);
  add_fixture_test ("/dataset/error/gz-corrupt", test_error_gz_corrupt);
  add_fixture_test ("/dataset/cache/used-and-invalidated", test_cache_used_and_invalidated);
  add_fixture_test ("/dataset/cache/write-failure", test_cache_write_failure);

  status = g_test_run ();

  ct_test_remove_tree (cache_home);
  g_free (cache_home);
  return status;
}
