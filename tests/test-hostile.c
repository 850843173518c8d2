/* SPDX-License-Identifier: GPL-3.0-or-later */
/* memmem() and memrchr() */
#define _GNU_SOURCE

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <zlib.h>

#include "ct-dataset.h"
#include "ct-image-folder.h"
#include "ct-png.h"
#include "ct-run.h"
#include "ct-safetensors.h"
#include "ct-test-data.h"
#include "ct-torch-save.h"

/* Hostile and broken files for every parser, table-driven.  Each format has
 * a valid set of files; every table row breaks one file of it one way, and
 * a sweep cuts one file at every byte.  The parser must refuse each with an
 * error of its own domain and code whose message names the broken file,
 * without crashing, tripping a GLib critical, or allocating what the file
 * merely claims.  test-dataset.c, test-safetensors.c and test-run.c hold
 * the cases of each format's own rules; these are what a hostile or broken
 * disk adds to them, and the regressions of the bugs this table found. */

typedef enum {
  EDIT_REPLACE,       /* the file holds @bytes */
  EDIT_TRUNCATE,      /* the file keeps its first @at bytes */
  EDIT_OVERWRITE,     /* @bytes replace the file's bytes at @at (after the end of
                       * the first @find, when given; before its end when @from_end) */
  EDIT_APPEND,        /* @bytes follow the file's end */
  EDIT_SUBSTITUTE,    /* @bytes replace the first @find */
  EDIT_NEST,          /* the file holds @at "[" and as many "]" (the header of a
                       * .safetensors file) */
  EDIT_HEADER,        /* a .safetensors file of header @bytes and @at bytes of data */
  EDIT_DIRECTORY,     /* the file is a directory */
  EDIT_SYMLINK_LOOP,  /* the file is a symbolic link to itself */
} EditKind;

typedef struct {
  const char *name;
  const char *file;         /* which file of the valid set is broken */
  EditKind    kind;
  gsize       at;
  gboolean    from_end;
  const char *find;
  const char *bytes;
  gsize       n_bytes;
  gsize       pad_to;       /* zeros appended up to this size, if larger */
  gboolean    fix_crc;      /* recompute every PNG chunk's or zip entry's CRC afterwards */
  GQuark    (*domain) (void);  /* when not the format's own */
  int         code;
  const char *says;         /* a phrase the message must hold, or NULL */
  const char *names;        /* the file the message names, when not @file */
} Hostile;

#define BYTES(literal) .bytes = (literal), .n_bytes = sizeof (literal) - 1

typedef struct {
  const char     *name;
  GQuark        (*domain) (void);
  void          (*write_valid) (const char *dir);
  gboolean      (*load) (const char *dir, GError **error);
  const Hostile  *cases;
  guint           n_cases;
  const char     *sweep_file;
  /* The code cutting @data (the valid file) to @cut bytes must give, or -1
   * when the cut file is still valid. */
  int           (*sweep_code) (const guint8 *data, gsize size, gsize cut);
  /* For a large file, which cuts fall on its structure (nullable: all). */
  gboolean      (*sweep_tries) (gsize cut);
} Format;

/* XDG_CACHE_HOME for the whole run: g_get_user_cache_dir() reads it once. */
static char *cache_home;

/* Without the fsync of g_file_set_contents(): thousands of throwaway files. */
static void
set_contents (const char *path,
              const void *data,
              gsize       size)
{
  FILE *file = g_fopen (path, "wb");

  g_assert_nonnull (file);
  g_assert_cmpuint (fwrite (data, 1, size, file), ==, size);
  g_assert_cmpint (fclose (file), ==, 0);
}

static void
write_file (const char *dir,
            const char *name,
            const void *data,
            gsize       size)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autoptr(GError) error = NULL;

  set_contents (path, data, size);
}

static guint32
read_be32 (const guint8 *p)
{
  return ((guint32) p[0] << 24) | ((guint32) p[1] << 16) | ((guint32) p[2] << 8) | p[3];
}

static void
put_be32 (guint8  *p,
          guint32  value)
{
  p[0] = value >> 24;
  p[1] = value >> 16;
  p[2] = value >> 8;
  p[3] = value;
}

static GByteArray *
gzip_bytes (const guint8 *data,
            gsize         size)
{
  GByteArray *out = g_byte_array_sized_new (size + 64);
  z_stream zs = { 0 };
  guint8 buffer[4096];
  int status;

  g_assert_cmpint (deflateInit2 (&zs, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), ==, Z_OK);
  zs.next_in = (Bytef *) data;
  zs.avail_in = size;
  do
    {
      zs.next_out = buffer;
      zs.avail_out = sizeof buffer;
      status = deflate (&zs, Z_FINISH);
      g_byte_array_append (out, buffer, sizeof buffer - zs.avail_out);
    }
  while (status == Z_OK);
  g_assert_cmpint (status, ==, Z_STREAM_END);
  deflateEnd (&zs);
  return out;
}

/* CIFAR-10 and CIFAR-100 ----------------------------------------------- */

#define CIFAR_PIXELS 3072

static void
write_cifar_batch (const char *dir,
                   const char *name,
                   gsize       label_offset,
                   guint       n_records,
                   guint       first_label)
{
  gsize record = label_offset + 1 + CIFAR_PIXELS;
  g_autofree guint8 *data = g_malloc0 (n_records * record);

  for (guint r = 0; r < n_records; r++)
    {
      guint8 *p = data + r * record;

      p[label_offset] = (first_label + 9 * r) % 10;
      for (gsize i = 0; i < CIFAR_PIXELS; i++)
        p[label_offset + 1 + i] = (guint8) (i * 7 + r * 13);
    }
  write_file (dir, name, data, n_records * record);
}

static const char cifar10_names[] =
  "airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n\n";

static void
write_valid_cifar10 (const char *dir)
{
  write_cifar_batch (dir, "data_batch_1.bin", 0, 2, 0);
  write_cifar_batch (dir, "data_batch_2.bin", 0, 1, 5);
  write_cifar_batch (dir, "test_batch.bin", 0, 1, 3);
  write_file (dir, "batches.meta.txt", cifar10_names, sizeof cifar10_names - 1);
}

static void
write_valid_cifar100 (const char *dir)
{
  write_cifar_batch (dir, "train.bin", 1, 2, 0);
  write_cifar_batch (dir, "test.bin", 1, 1, 3);
}

static gboolean
load_dataset (const char  *dir,
              GError     **error)
{
  g_autoptr(CtDataset) dataset = ct_dataset_load (dir, error);

  return dataset != NULL;
}

/* A batch holds whole records; any other length is refused. */
static int
cifar10_sweep_code (const guint8 *data,
                    gsize         size,
                    gsize         cut)
{
  return cut > 0 && cut % (1 + CIFAR_PIXELS) == 0 ? -1 : CT_DATASET_ERROR_FORMAT;
}

/* Within one byte of a boundary of a record: its start, its label, its
 * three colour planes, its end. */
static gboolean
cifar_boundary (gsize cut,
                gsize label_offset)
{
  gsize record = label_offset + 1 + CIFAR_PIXELS;
  gsize planes = label_offset + 1;
  const gsize boundaries[] = { 0, label_offset, planes, planes + 1024, planes + 2048, record };
  gsize within = cut % record;

  for (guint i = 0; i < G_N_ELEMENTS (boundaries); i++)
    if (within + 1 >= boundaries[i] && within <= boundaries[i] + 1)
      return TRUE;
  return FALSE;
}

static gboolean
cifar10_sweep_tries (gsize cut)
{
  return cifar_boundary (cut, 0);
}

static gboolean
cifar100_sweep_tries (gsize cut)
{
  return cifar_boundary (cut, 1);
}

static int
cifar100_sweep_code (const guint8 *data,
                     gsize         size,
                     gsize         cut)
{
  return cut > 0 && cut % (2 + CIFAR_PIXELS) == 0 ? -1 : CT_DATASET_ERROR_FORMAT;
}

static const Hostile cifar10_cases[] = {
  { "empty-batch", "data_batch_1.bin", EDIT_REPLACE, BYTES (""),
    .code = CT_DATASET_ERROR_FORMAT, .says = "empty" },
  { "one-byte-more", "test_batch.bin", EDIT_APPEND, BYTES ("\0"),
    .code = CT_DATASET_ERROR_FORMAT, .says = "cut short" },
  { "label-10", "data_batch_1.bin", EDIT_OVERWRITE, .at = 0, BYTES ("\x0a"),
    .code = CT_DATASET_ERROR_LABEL, .says = "record 0" },
  { "label-255-second-record", "data_batch_1.bin", EDIT_OVERWRITE, .at = 3073, BYTES ("\xff"),
    .code = CT_DATASET_ERROR_LABEL, .says = "record 1" },
  { "label-in-second-batch", "data_batch_2.bin", EDIT_OVERWRITE, .at = 0, BYTES ("\x80"),
    .code = CT_DATASET_ERROR_LABEL },
  { "test-label", "test_batch.bin", EDIT_OVERWRITE, .at = 0, BYTES ("\x0b"),
    .code = CT_DATASET_ERROR_LABEL },
  { "fewer-class-names-than-labels", "batches.meta.txt", EDIT_REPLACE, BYTES ("cat\ndog\n"),
    .code = CT_DATASET_ERROR_LABEL, .says = "[0, 2)", .names = "data_batch_1.bin" },
  { "names-invalid-utf8", "batches.meta.txt", EDIT_REPLACE, BYTES ("cat\n\xff\xfe\n"),
    .code = CT_DATASET_ERROR_FORMAT, .says = "UTF-8" },
  { "names-nul", "batches.meta.txt", EDIT_REPLACE, BYTES ("cat\0dog\n"),
    .code = CT_DATASET_ERROR_FORMAT, .says = "UTF-8" },
  { "names-blank", "batches.meta.txt", EDIT_REPLACE, BYTES ("\n \n\t\n"),
    .code = CT_DATASET_ERROR_FORMAT, .says = "at least one" },
  { "names-directory", "batches.meta.txt", EDIT_DIRECTORY,
    .code = CT_DATASET_ERROR_MISSING },
  /* GIO falls back to the link's own size, 16 bytes: not whole records. */
  { "batch-symlink-loop", "data_batch_1.bin", EDIT_SYMLINK_LOOP,
    .code = CT_DATASET_ERROR_FORMAT },
};

static const Hostile cifar100_cases[] = {
  { "fine-label-100", "train.bin", EDIT_OVERWRITE, .at = 1, BYTES ("\x64"),
    .code = CT_DATASET_ERROR_LABEL },
  { "fine-label-255", "test.bin", EDIT_OVERWRITE, .at = 1, BYTES ("\xff"),
    .code = CT_DATASET_ERROR_LABEL },
  { "cifar10-sized-records", "train.bin", EDIT_TRUNCATE, .at = 2 * 3073,
    .code = CT_DATASET_ERROR_FORMAT, .says = "3074-byte records" },
  { "names-fewer-than-labels", "fine_label_names.txt", EDIT_REPLACE, BYTES ("apple\npear\n"),
    .code = CT_DATASET_ERROR_LABEL, .names = "train.bin" },
};

/* IDX, raw and gzipped ----------------------------------------------------- */

#define IDX_SIDE 4

static GByteArray *
idx_images (guint n,
            guint rows,
            guint cols)
{
  GByteArray *out = g_byte_array_new ();
  guint8 header[16];

  put_be32 (header, 0x803);
  put_be32 (header + 4, n);
  put_be32 (header + 8, rows);
  put_be32 (header + 12, cols);
  g_byte_array_append (out, header, sizeof header);
  for (guint i = 0; i < n * rows * cols; i++)
    {
      guint8 value = (guint8) (i * 31);

      g_byte_array_append (out, &value, 1);
    }
  return out;
}

static GByteArray *
idx_labels (guint n)
{
  GByteArray *out = g_byte_array_new ();
  guint8 header[8];

  put_be32 (header, 0x801);
  put_be32 (header + 4, n);
  g_byte_array_append (out, header, sizeof header);
  for (guint i = 0; i < n; i++)
    {
      guint8 label = (guint8) (i * 3 % 10);

      g_byte_array_append (out, &label, 1);
    }
  return out;
}

static void
write_idx_file (const char *dir,
                const char *stem,
                GByteArray *bytes,
                gboolean    gz)
{
  if (gz)
    {
      g_autoptr(GByteArray) packed = gzip_bytes (bytes->data, bytes->len);
      g_autofree char *name = g_strconcat (stem, ".gz", NULL);

      write_file (dir, name, packed->data, packed->len);
    }
  else
    {
      write_file (dir, stem, bytes->data, bytes->len);
    }
}

static void
write_idx_set (const char *dir,
               gboolean    gz)
{
  g_autoptr(GByteArray) train_images = idx_images (3, IDX_SIDE, IDX_SIDE);
  g_autoptr(GByteArray) train_labels = idx_labels (3);
  g_autoptr(GByteArray) test_images = idx_images (2, IDX_SIDE, IDX_SIDE);
  g_autoptr(GByteArray) test_labels = idx_labels (2);

  write_idx_file (dir, "train-images-idx3-ubyte", train_images, gz);
  write_idx_file (dir, "train-labels-idx1-ubyte", train_labels, gz);
  write_idx_file (dir, "t10k-images-idx3-ubyte", test_images, gz);
  write_idx_file (dir, "t10k-labels-idx1-ubyte", test_labels, gz);
}

static void
write_valid_idx (const char *dir)
{
  write_idx_set (dir, FALSE);
}

static void
write_valid_idx_gz (const char *dir)
{
  write_idx_set (dir, TRUE);
}

/* Raw IDX declares every size up front, so any cut is short. */
static int
idx_sweep_code (const guint8 *data,
                gsize         size,
                gsize         cut)
{
  return CT_DATASET_ERROR_TRUNCATED;
}

/* Under two bytes there is no gzip magic to recognise; after it, the
 * stream or its trailer ends early. */
static int
idx_gz_sweep_code (const guint8 *data,
                   gsize         size,
                   gsize         cut)
{
  return cut < 2 ? CT_DATASET_ERROR_FORMAT : CT_DATASET_ERROR_TRUNCATED;
}

static const Hostile idx_cases[] = {
  { "magic-int32-data", "train-images-idx3-ubyte", EDIT_OVERWRITE, .at = 2, BYTES ("\x0c"),
    .code = CT_DATASET_ERROR_FORMAT, .says = "magic" },
  { "magic-4-dimensions", "train-images-idx3-ubyte", EDIT_OVERWRITE, .at = 3, BYTES ("\x04"),
    .code = CT_DATASET_ERROR_FORMAT, .says = "magic" },
  { "labels-with-images-magic", "t10k-labels-idx1-ubyte", EDIT_OVERWRITE, .at = 3, BYTES ("\x03"),
    .code = CT_DATASET_ERROR_FORMAT, .says = "magic" },
  { "zero-rows", "train-images-idx3-ubyte", EDIT_OVERWRITE, .at = 8, BYTES ("\0\0\0\0"),
    .code = CT_DATASET_ERROR_FORMAT, .says = "dimension 1 is 0" },
  { "count-2^32-1", "train-images-idx3-ubyte", EDIT_OVERWRITE, .at = 4, BYTES ("\xff\xff\xff\xff"),
    .code = CT_DATASET_ERROR_TRUNCATED },
  { "rows-negative-as-int32", "train-images-idx3-ubyte", EDIT_OVERWRITE, .at = 8,
    BYTES ("\x80\0\0\0"), .code = CT_DATASET_ERROR_TRUNCATED },
  /* 65536 × 65537 is 2^32 + 65536: a 32-bit product would see one image
   * of 65536 bytes, which the file holds. */
  { "image-size-overflows-32-bits", "train-images-idx3-ubyte", EDIT_OVERWRITE, .at = 4,
    BYTES ("\0\0\0\x01\0\x01\0\0\0\x01\0\x01"), .pad_to = 16 + 65536,
    .code = CT_DATASET_ERROR_TRUNCATED, .says = "image 0 of 1 is cut short" },
  { "all-dimensions-2^32-1", "t10k-images-idx3-ubyte", EDIT_OVERWRITE, .at = 4,
    BYTES ("\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff"),
    .code = CT_DATASET_ERROR_TRUNCATED },
  { "labels-count-2^32-1", "train-labels-idx1-ubyte", EDIT_OVERWRITE, .at = 4,
    BYTES ("\xff\xff\xff\xff"), .code = CT_DATASET_ERROR_TRUNCATED },
  { "label-10", "train-labels-idx1-ubyte", EDIT_OVERWRITE, .at = 8, BYTES ("\x0a"),
    .code = CT_DATASET_ERROR_LABEL },
  { "labels-fewer-than-images", "t10k-labels-idx1-ubyte", EDIT_REPLACE,
    BYTES ("\0\0\x08\x01\0\0\0\x01\x05"), .code = CT_DATASET_ERROR_MISMATCH },
  { "test-images-of-another-size", "t10k-images-idx3-ubyte", EDIT_OVERWRITE, .at = 8,
    BYTES ("\0\0\0\x02\0\0\0\x08"), .code = CT_DATASET_ERROR_FORMAT, .says = "2×8" },
  { "images-directory", "train-images-idx3-ubyte", EDIT_DIRECTORY,
    .code = CT_DATASET_ERROR_MISSING },
  { "labels-symlink-loop", "t10k-labels-idx1-ubyte", EDIT_SYMLINK_LOOP,
    .code = CT_DATASET_ERROR_MISSING },
};

static const Hostile idx_gz_cases[] = {
  { "not-gzip", "train-images-idx3-ubyte.gz", EDIT_REPLACE, BYTES ("\0\0\x08\x03 plain"),
    .code = CT_DATASET_ERROR_FORMAT, .says = "gzip magic" },
  { "invalid-deflate-block", "train-images-idx3-ubyte.gz", EDIT_OVERWRITE, .at = 10,
    BYTES ("\xff\xff\xff"), .code = CT_DATASET_ERROR_FORMAT, .says = "corrupt gzip data" },
  { "trailing-garbage", "t10k-labels-idx1-ubyte.gz", EDIT_APPEND, BYTES ("garbage"),
    .code = CT_DATASET_ERROR_FORMAT, .says = "another gzip member" },
  /* The trailer's size sizes the first buffer: a lie must be neither
   * believed nor fatal. */
  { "trailer-claims-4-GiB", "train-images-idx3-ubyte.gz", EDIT_OVERWRITE, .at = 4,
    .from_end = TRUE, BYTES ("\xff\xff\xff\xff"), .code = CT_DATASET_ERROR_FORMAT,
    .says = "length check" },
  { "wrong-crc", "train-labels-idx1-ubyte.gz", EDIT_OVERWRITE, .at = 8, .from_end = TRUE,
    BYTES ("\0\0\0\0"), .code = CT_DATASET_ERROR_FORMAT, .says = "data check" },
  { "empty", "t10k-images-idx3-ubyte.gz", EDIT_REPLACE, BYTES (""),
    .code = CT_DATASET_ERROR_FORMAT, .says = "gzip magic" },
};

/* safetensors ------------------------------------------------------------- */

static void
write_valid_safetensors (const char *dir)
{
  static const float a[4] = { 1.0f, -2.0f, 0.5f, 3.0f };
  static const gint64 b[1] = { 12 };
  const CtTensorView tensors[] = {
    { "stem.conv.weight", CT_DTYPE_F32, 2, { 2, 2 }, a, sizeof a },
    { "stem.bn.num_batches_tracked", CT_DTYPE_I64, 1, { 1 }, b, sizeof b },
  };
  g_autoptr(GHashTable) metadata = g_hash_table_new (g_str_hash, g_str_equal);
  g_autofree char *path = g_build_filename (dir, "model.safetensors", NULL);
  g_autoptr(GError) error = NULL;

  g_hash_table_insert (metadata, (char *) "epoch", (char *) "1");
  ct_safetensors_save (path, tensors, G_N_ELEMENTS (tensors), metadata, &error);
  g_assert_no_error (error);
}

static gboolean
load_safetensors (const char  *dir,
                  GError     **error)
{
  g_autofree char *path = g_build_filename (dir, "model.safetensors", NULL);
  g_autoptr(CtSafetensors) st = ct_safetensors_load (path, error);

  return st != NULL;
}

/* Cut anywhere, the header length, the header or the data falls short. */
static int
safetensors_sweep_code (const guint8 *data,
                        gsize         size,
                        gsize         cut)
{
  return CT_SAFETENSORS_ERROR_HEADER;
}

static const Hostile safetensors_cases[] = {
  /* A reader keeping 32 bits of the header length would see the right one. */
  { "header-length-plus-2^32", "model.safetensors", EDIT_OVERWRITE, .at = 4, BYTES ("\x01"),
    .code = CT_SAFETENSORS_ERROR_HEADER, .says = "exceeds" },
  { "header-length-2^64-1", "model.safetensors", EDIT_OVERWRITE, .at = 0,
    BYTES ("\xff\xff\xff\xff\xff\xff\xff\xff"), .code = CT_SAFETENSORS_ERROR_HEADER,
    .says = "exceeds" },
  { "header-length-0", "model.safetensors", EDIT_OVERWRITE, .at = 0,
    BYTES ("\0\0\0\0\0\0\0\0"), .code = CT_SAFETENSORS_ERROR_HEADER },
  /* 2^32 + 1 bytes of U8: a 32-bit byte count would be the 1 the offsets say. */
  { "shape-overflows-32-bits", "model.safetensors", EDIT_HEADER, .at = 8,
    BYTES ("{\"a\": {\"dtype\": \"U8\", \"shape\": [4294967297], \"data_offsets\": [0, 1]}}"),
    .code = CT_SAFETENSORS_ERROR_HEADER, .says = "spans 1 bytes" },
  { "shape-product-overflows-32-bits", "model.safetensors", EDIT_HEADER, .at = 8,
    BYTES ("{\"a\": {\"dtype\": \"F32\", \"shape\": [65536, 16384], \"data_offsets\": [0, 0]}}"),
    .code = CT_SAFETENSORS_ERROR_HEADER, .says = "4294967296" },
  { "offsets-beyond-2^63", "model.safetensors", EDIT_HEADER, .at = 8,
    BYTES ("{\"a\": {\"dtype\": \"U8\", \"shape\": [0],"
           " \"data_offsets\": [18446744073709551615, 18446744073709551615]}}"),
    .code = CT_SAFETENSORS_ERROR_HEADER },
  { "nested-100000-deep", "model.safetensors", EDIT_NEST, .at = 100000,
    .code = CT_SAFETENSORS_ERROR_HEADER, .says = "nest deeper" },
  { "nested-in-metadata", "model.safetensors", EDIT_HEADER,
    BYTES ("{\"__metadata__\": {\"a\": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
           "[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}}"),
    .code = CT_SAFETENSORS_ERROR_HEADER, .says = "nest deeper" },
  /* Found by fuzz-safetensors: json-glib unescapes a lone surrogate into
   * bytes that are not UTF-8, which the writer then refused. */
  { "name-lone-surrogate", "model.safetensors", EDIT_HEADER, .at = 1,
    BYTES ("{\"a\\udc00b\": {\"dtype\": \"U8\", \"shape\": [1], \"data_offsets\": [0, 1]}}"),
    .code = CT_SAFETENSORS_ERROR_HEADER, .says = "once unescaped" },
  { "metadata-lone-surrogate", "model.safetensors", EDIT_HEADER,
    BYTES ("{\"__metadata__\": {\"epoch\": \"\\udfffy\"}}"),
    .code = CT_SAFETENSORS_ERROR_HEADER, .says = "once unescaped" },
  { "name-invalid-utf8", "model.safetensors", EDIT_SUBSTITUTE, .find = "stem.conv",
    BYTES ("stem\xc3\x28onv"), .code = CT_SAFETENSORS_ERROR_HEADER, .says = "UTF-8" },
  { "dtype-lowercase", "model.safetensors", EDIT_SUBSTITUTE, .find = "\"F32\"",
    BYTES ("\"f32\""), .code = CT_SAFETENSORS_ERROR_DTYPE, .says = "f32" },
  { "data-gap-at-end-missing", "model.safetensors", EDIT_TRUNCATE, .at = 8,
    .from_end = TRUE, .code = CT_SAFETENSORS_ERROR_HEADER, .says = "beyond" },
  { "directory", "model.safetensors", EDIT_DIRECTORY, .code = CT_SAFETENSORS_ERROR_IO,
    .says = "is a directory" },
};

/* manifest.json ------------------------------------------------------------ */

/* What ct_manifest_save() writes, less the indentation. */
static const char valid_manifest[] =
  "{\"format\": \"camtrail-run-1\",\n"
  " \"model\": {\"arch\": \"camtrail_net\", \"width\": 8, \"input_size\": 32,"
  " \"default_layer\": \"stages.1\",\n"
  "   \"layers\": [{\"name\": \"stages.0\", \"channels\": 32, \"height\": 15, \"width\": 15},\n"
  "              {\"name\": \"stages.1\", \"channels\": 32, \"height\": 7, \"width\": 7}]},\n"
  " \"dataset\": {\"name\": \"cifar-10\", \"path\": \"/data/cifar\", \"classes\": [\"cat\", \"dog\"],\n"
  "   \"channels\": 3, \"image_size\": 32, \"mean\": [0.25, 0.25, 0.3], \"std\": [0.2, 0.21, 0.19],\n"
  "   \"train_images\": 256},\n"
  " \"training\": {\"epochs\": 2, \"batch_size\": 64, \"lr\": 0.2, \"warmup_epochs\": 1.0,"
  " \"momentum\": 0.85,\n"
  "   \"nesterov\": true, \"weight_decay\": 0.0005, \"label_smoothing\": 0.2, \"flip\": true,\n"
  "   \"translate\": 2, \"seed\": \"7\"},\n"
  " \"versions\": {\"camtrail\": \"0.1.0\", \"libtorch\": \"1.13.1\"},\n"
  " \"created\": \"2026-11-26T08:00:00Z\"}\n";

static void
write_valid_manifest (const char *dir)
{
  write_file (dir, "manifest.json", valid_manifest, sizeof valid_manifest - 1);
}

static gboolean
load_manifest (const char  *dir,
               GError     **error)
{
  g_autoptr(CtManifest) manifest = ct_manifest_load (dir, error);

  return manifest != NULL;
}

/* Valid again once the closing brace is in. */
static int
manifest_sweep_code (const guint8 *data,
                     gsize         size,
                     gsize         cut)
{
  const guint8 *last_brace = memrchr (data, '}', size);

  return cut > (gsize) (last_brace - data) ? -1 : CT_RUN_ERROR_FORMAT;
}

#define MANIFEST_CASE(case_name, old, new, phrase) \
  { case_name, "manifest.json", EDIT_SUBSTITUTE, .find = (old), BYTES (new), \
    .code = CT_RUN_ERROR_FORMAT, .says = (phrase) }

static const Hostile manifest_cases[] = {
  { "empty", "manifest.json", EDIT_REPLACE, BYTES (""),
    .code = CT_RUN_ERROR_FORMAT, .says = "not an object" },
  { "array", "manifest.json", EDIT_REPLACE, BYTES ("[]"),
    .code = CT_RUN_ERROR_FORMAT, .says = "not an object" },
  { "nested-100000-deep", "manifest.json", EDIT_NEST, .at = 100000,
    .code = CT_RUN_ERROR_FORMAT, .says = "nest deeper" },
  { "directory", "manifest.json", EDIT_DIRECTORY, .code = CT_RUN_ERROR_FORMAT },
  MANIFEST_CASE ("invalid-utf8", "cifar-10", "cifar-\xff", "UTF-8"),
  MANIFEST_CASE ("nul-byte", "cifar-10", "cifar\0-10", "UTF-8"),
  MANIFEST_CASE ("no-model", "\"model\"", "\"modle\"", "\"model\" is missing"),
  MANIFEST_CASE ("class-a-number", "\"dog\"", "7", "value 1 of \"classes\" is not a UTF-8 string"),
  MANIFEST_CASE ("class-an-object", "\"cat\"", "{}", "value 0 of \"classes\" is not a UTF-8 string"),
  MANIFEST_CASE ("class-null", "\"dog\"", "null", "not a UTF-8 string"),
  /* json-glib unescapes a lone surrogate into bytes that are not UTF-8. */
  MANIFEST_CASE ("class-lone-surrogate", "\"dog\"", "\"d\\ud800g\"", "not a UTF-8 string"),
  MANIFEST_CASE ("arch-lone-surrogate", "camtrail_net", "camtrail\\udc00net",
                 "\"arch\" is not valid UTF-8"),
  MANIFEST_CASE ("no-classes", "[\"cat\", \"dog\"]", "[]", "\"classes\" is empty"),
  MANIFEST_CASE ("mean-a-string", "[0.25, 0.25, 0.3]", "[\"0.25\", 0.25, 0.3]", "\"mean\""),
  MANIFEST_CASE ("mean-an-object", "[0.25, 0.25, 0.3]", "[{}, 0.25, 0.3]", "\"mean\""),
  MANIFEST_CASE ("mean-two-values", "[0.25, 0.25, 0.3]", "[0.25, 0.25]", "has 2 values"),
  MANIFEST_CASE ("mean-beyond-float", "[0.25, 0.25, 0.3]", "[1e300, 0.25, 0.3]", "\"mean\""),
  MANIFEST_CASE ("std-zero", "[0.2, 0.21, 0.19]", "[0.2, 0, 0.19]", "positive"),
  MANIFEST_CASE ("std-infinite", "[0.2, 0.21, 0.19]", "[0.2, 1e999, 0.19]", "positive"),
  /* (int) 4294967328 is 32: the value must be refused, not truncated. */
  MANIFEST_CASE ("input-size-2^32+32", "\"input_size\": 32", "\"input_size\": 4294967328",
                 "expected 1 to 4096"),
  MANIFEST_CASE ("input-size-negative", "\"input_size\": 32", "\"input_size\": -32", "-32"),
  MANIFEST_CASE ("input-size-fraction", "\"input_size\": 32", "\"input_size\": 32.5",
                 "not an integer"),
  MANIFEST_CASE ("input-size-boolean", "\"input_size\": 32", "\"input_size\": true",
                 "not an integer"),
  MANIFEST_CASE ("input-size-beyond-64-bits", "\"input_size\": 32",
                 "\"input_size\": 18446744073709551648", "input_size"),
  MANIFEST_CASE ("width-1e300", "\"width\": 8", "\"width\": 1e300", "not an integer"),
  MANIFEST_CASE ("width-negative", "\"width\": 8", "\"width\": -8", "expected 0 to 4096"),
  MANIFEST_CASE ("layer-height-negative", "\"height\": 15", "\"height\": -15", "\"height\" is -15"),
  MANIFEST_CASE ("layer-height-huge", "\"height\": 15", "\"height\": 2147483648", "height"),
  MANIFEST_CASE ("layer-not-object", "{\"name\": \"stages.1\", \"channels\": 32, \"height\": 7,"
                 " \"width\": 7}", "7", "layer 1 is not an object"),
  MANIFEST_CASE ("channels-2", "\"channels\": 3,", "\"channels\": 2,", "expected 1 or 3"),
  MANIFEST_CASE ("channels-4", "\"channels\": 3,", "\"channels\": 4,", "expected 1 to 3"),
  MANIFEST_CASE ("image-size-0", "\"image_size\": 32", "\"image_size\": 0", "image_size"),
  MANIFEST_CASE ("train-images-negative", "\"train_images\": 256", "\"train_images\": -256",
                 "train_images"),
  MANIFEST_CASE ("epochs-0", "\"epochs\": 2", "\"epochs\": 0", "expected 1 to 10000"),
  MANIFEST_CASE ("batch-size-2^31", "\"batch_size\": 64", "\"batch_size\": 2147483648",
                 "batch_size"),
  MANIFEST_CASE ("lr-a-string", "\"lr\": 0.2", "\"lr\": \"0.2\"", "\"lr\" is missing or not a number"),
  MANIFEST_CASE ("lr-boolean", "\"lr\": 0.2", "\"lr\": true", "\"lr\""),
  MANIFEST_CASE ("lr-infinite", "\"lr\": 0.2", "\"lr\": -1e999", "not a finite number"),
  MANIFEST_CASE ("nesterov-a-number", "\"nesterov\": true", "\"nesterov\": 1", "\"nesterov\""),
  MANIFEST_CASE ("seed-letters", "\"seed\": \"7\"", "\"seed\": \"seven\"", "decimal"),
  MANIFEST_CASE ("seed-negative", "\"seed\": \"7\"", "\"seed\": \"-1\"", "decimal"),
  MANIFEST_CASE ("seed-2^64", "\"seed\": \"7\"", "\"seed\": \"18446744073709551616\"", "decimal"),
  MANIFEST_CASE ("seed-a-number", "\"seed\": \"7\"", "\"seed\": 7", "\"seed\""),
};

/* metrics.jsonl ------------------------------------------------------------ */

/* What ct_metrics_save() writes. */
static const char valid_metrics[] =
  "{\"epoch\":0,\"train_loss\":null,\"train_accuracy\":null,\"test_loss\":1.386,"
  "\"test_accuracy\":0.25,\"seconds\":0,\"images_per_second\":null}\n"
  "{\"epoch\":1,\"train_loss\":1.2,\"train_accuracy\":0.4,\"test_loss\":1.1,"
  "\"test_accuracy\":0.45,\"seconds\":0.61,\"images_per_second\":419.7}\n";

static void
write_valid_metrics (const char *dir)
{
  write_file (dir, "metrics.jsonl", valid_metrics, sizeof valid_metrics - 1);
}

static gboolean
load_metrics (const char  *dir,
              GError     **error)
{
  g_autoptr(GArray) metrics = ct_metrics_load (dir, error);

  return metrics != NULL;
}

/* Valid wherever the cut falls between records. */
static int
metrics_sweep_code (const guint8 *data,
                    gsize         size,
                    gsize         cut)
{
  return cut == 0 || data[cut - 1] == '}' || data[cut - 1] == '\n' ? -1 : CT_RUN_ERROR_FORMAT;
}

#define METRICS_CASE(case_name, old, new, phrase) \
  { case_name, "metrics.jsonl", EDIT_SUBSTITUTE, .find = (old), BYTES (new), \
    .code = CT_RUN_ERROR_FORMAT, .says = (phrase) }

static const Hostile metrics_cases[] = {
  METRICS_CASE ("epoch-an-array", "\"epoch\":1", "\"epoch\":[1]", "line 2"),
  METRICS_CASE ("epoch-a-string", "\"epoch\":1", "\"epoch\":\"1\"", "\"epoch\""),
  METRICS_CASE ("epoch-a-fraction", "\"epoch\":1", "\"epoch\":1.5", "\"epoch\""),
  METRICS_CASE ("epoch-1e300", "\"epoch\":1", "\"epoch\":1e300", "\"epoch\""),
  METRICS_CASE ("epoch-negative", "\"epoch\":1", "\"epoch\":-1", "\"epoch\""),
  METRICS_CASE ("epoch-2^32+1", "\"epoch\":1", "\"epoch\":4294967297", "\"epoch\""),
  METRICS_CASE ("epoch-true", "\"epoch\":1", "\"epoch\":true", "\"epoch\""),
  METRICS_CASE ("epoch-null", "\"epoch\":1", "\"epoch\":null", "\"epoch\""),
  METRICS_CASE ("no-epoch", "\"epoch\":1", "\"epoch_\":1", "\"epoch\""),
  METRICS_CASE ("loss-an-object", "\"test_loss\":1.1", "\"test_loss\":{}", "\"test_loss\""),
  METRICS_CASE ("loss-a-string", "\"test_loss\":1.1", "\"test_loss\":\"1.1\"", "\"test_loss\""),
  METRICS_CASE ("loss-an-array", "\"test_loss\":1.1", "\"test_loss\":[1.1]", "\"test_loss\""),
  METRICS_CASE ("line-an-array", "{\"epoch\":0", "[{\"epoch\":0", "line 1"),
  METRICS_CASE ("trailing-garbage", "419.7}", "419.7} x", "line 2"),
  METRICS_CASE ("invalid-utf8", "\"seconds\":0.61", "\"seconds\":0.61,\"\xff\":1", "UTF-8"),
  /* Lines split at NUL would drop the rest of the file unseen. */
  METRICS_CASE ("nul-byte", "}\n{\"epoch\":1", "}\n\0{\"epoch\":1", "NUL"),
  { "nested-100000-deep", "metrics.jsonl", EDIT_NEST, .at = 100000,
    .code = CT_RUN_ERROR_FORMAT, .says = "nest deeper" },
  { "directory", "metrics.jsonl", EDIT_DIRECTORY, .domain = g_file_error_quark,
    .code = G_FILE_ERROR_ISDIR },
};

/* PNG ---------------------------------------------------------------------- */

static void
write_valid_png (const char *dir)
{
  static const char * const keys[] = { "camtrail:epochs", NULL };
  static const char * const values[] = { "0,1", NULL };
  guint32 argb[5 * 3];
  g_autofree char *path = g_build_filename (dir, "figure.png", NULL);
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (argb); i++)
    argb[i] = 0xff000000u | (i * 0x10203u);
  ct_png_write_argb32 (path, 5, 3, 5 * 4, (const guint8 *) argb, keys, values, &error);
  g_assert_no_error (error);
}

static gboolean
load_png (const char  *dir,
          GError     **error)
{
  g_autofree char *path = g_build_filename (dir, "figure.png", NULL);
  g_autoptr(GHashTable) text = NULL;
  g_autofree guint8 *pixels = ct_png_read_rgba (path, NULL, NULL, &text, error);

  return pixels != NULL;
}

static int
png_sweep_code (const guint8 *data,
                gsize         size,
                gsize         cut)
{
  return CT_PNG_ERROR_FORMAT;
}

/* Rewrites each chunk's CRC, so an edit reaches the check it aims at
 * instead of libpng's checksum. */
static void
fix_png_crcs (guint8 *png,
              gsize   size)
{
  gsize pos = 8;

  while (pos + 12 <= size)
    {
      guint32 length = read_be32 (png + pos);

      if (length > size - pos - 12)
        break;
      put_be32 (png + pos + 8 + length, crc32 (0, png + pos + 4, 4 + length));
      pos += 12 + length;
    }
}

static guint32
read_le (const guint8 *p,
         guint         n)
{
  guint32 value = 0;

  for (guint i = 0; i < n; i++)
    value |= (guint32) p[i] << (8 * i);
  return value;
}

/* Rewrites each stored zip entry's CRC-32, in its directory entry and its
 * local header, so an edit of a pickle reaches the parser's check it aims at
 * instead of the checksum.  The file's last 22 bytes are its end record. */
static void
fix_zip_crcs (guint8 *zip,
              gsize   size)
{
  gsize pos, n;

  if (size < 22 || read_le (zip + size - 22, 4) != 0x06054b50)
    return;
  n = read_le (zip + size - 22 + 10, 2);
  pos = read_le (zip + size - 22 + 16, 4);
  for (gsize i = 0; i < n && pos + 46 <= size && read_le (zip + pos, 4) == 0x02014b50; i++)
    {
      gsize length = read_le (zip + pos + 20, 4), local = read_le (zip + pos + 42, 4), data;

      if (read_le (zip + pos + 10, 2) == 0 && local + 30 <= size)
        {
          data = local + 30 + read_le (zip + local + 26, 2) + read_le (zip + local + 28, 2);
          if (data <= size && length <= size - data)
            {
              guint32 crc = crc32 (0, zip + data, length);

              for (guint b = 0; b < 4; b++)
                zip[pos + 16 + b] = zip[local + 14 + b] = (crc >> (8 * b)) & 0xff;
            }
        }
      pos += 46 + read_le (zip + pos + 28, 2) + read_le (zip + pos + 30, 2) + read_le (zip + pos + 32, 2);
    }
}

/* Byte 16 is IHDR's width, 20 its height, 24 the bit depth, 25 the colour
 * type; the text chunk follows IHDR at byte 33. */
static const Hostile png_cases[] = {
  { "empty", "figure.png", EDIT_REPLACE, BYTES (""),
    .code = CT_PNG_ERROR_FORMAT, .says = "not a PNG" },
  { "gif", "figure.png", EDIT_REPLACE, BYTES ("GIF89a\x05\0\x03\0\0\0\0;"),
    .code = CT_PNG_ERROR_FORMAT, .says = "not a PNG" },
  /* libpng allocated the claimed 1.9 GB before finding the file short. */
  { "chunk-claims-1.9-GB", "figure.png", EDIT_OVERWRITE, .at = 33, BYTES ("\x71\0\0\x17"),
    .code = CT_PNG_ERROR_FORMAT, .says = "claims 1895825431 bytes" },
  { "chunk-claims-2^31-1", "figure.png", EDIT_OVERWRITE, .at = 33, BYTES ("\x7f\xff\xff\xff"),
    .code = CT_PNG_ERROR_FORMAT, .says = "claims" },
  /* A 16384² image is 1 GiB of pixels, which a few bytes of data cannot fill. */
  { "16384x16384-from-a-few-bytes", "figure.png", EDIT_OVERWRITE, .at = 16,
    BYTES ("\0\0\x40\0\0\0\x40\0"), .fix_crc = TRUE, .code = CT_PNG_ERROR_FORMAT,
    .says = "too small" },
  { "width-beyond-limit", "figure.png", EDIT_OVERWRITE, .at = 16, BYTES ("\0\x01\0\0"),
    .fix_crc = TRUE, .code = CT_PNG_ERROR_FORMAT },
  { "width-2^31", "figure.png", EDIT_OVERWRITE, .at = 16, BYTES ("\x80\0\0\0"),
    .fix_crc = TRUE, .code = CT_PNG_ERROR_FORMAT },
  { "width-0", "figure.png", EDIT_OVERWRITE, .at = 16, BYTES ("\0\0\0\0"),
    .fix_crc = TRUE, .code = CT_PNG_ERROR_FORMAT },
  { "bit-depth-3", "figure.png", EDIT_OVERWRITE, .at = 24, BYTES ("\x03"),
    .fix_crc = TRUE, .code = CT_PNG_ERROR_FORMAT },
  { "colour-type-5", "figure.png", EDIT_OVERWRITE, .at = 25, BYTES ("\x05"),
    .fix_crc = TRUE, .code = CT_PNG_ERROR_FORMAT },
  { "palette-without-plte", "figure.png", EDIT_OVERWRITE, .at = 25, BYTES ("\x03"),
    .fix_crc = TRUE, .code = CT_PNG_ERROR_FORMAT },
  { "ihdr-crc", "figure.png", EDIT_OVERWRITE, .at = 29, BYTES ("\0\0\0\0"),
    .code = CT_PNG_ERROR_FORMAT, .says = "CRC" },
  { "corrupt-zlib", "figure.png", EDIT_OVERWRITE, .find = "IDAT", .at = 0, BYTES ("\xff\xff"),
    .fix_crc = TRUE, .code = CT_PNG_ERROR_FORMAT },
  { "no-iend", "figure.png", EDIT_TRUNCATE, .at = 12, .from_end = TRUE,
    .code = CT_PNG_ERROR_FORMAT, .says = "without an IEND" },
  { "directory", "figure.png", EDIT_DIRECTORY, .code = CT_PNG_ERROR_IO },
};

/* Image folders ---------------------------------------------------------------- */

/* 4 train and 4 test images of 8×8: 000.png, 001.png, 002.jpg, 003.png. */
static void
write_valid_image_folder (const char *dir)
{
  g_autofree char *written = ct_test_write_image_folder (dir, 4, 4, 8, 3);
}

/* Every cut of an image is refused: a PNG needs its IEND, and PIL (so
 * Camtrail) refuses a JPEG that ends before its EOI marker. */
static int
image_sweep_code (const guint8 *data,
                  gsize         size,
                  gsize         cut)
{
  return CT_DATASET_ERROR_IMAGE;
}

/* Byte 16 of a PNG is IHDR's width, 20 its height. */
static const Hostile image_png_cases[] = {
  { "empty", "train/blue/000.png", EDIT_REPLACE, BYTES (""),
    .code = CT_DATASET_ERROR_IMAGE, .says = "not a PNG or JPEG" },
  { "text", "train/blue/000.png", EDIT_REPLACE, BYTES ("hello"),
    .code = CT_DATASET_ERROR_IMAGE, .says = "not a PNG or JPEG" },
  /* A decompression bomb: 3.6 gigapixels claimed. */
  { "60000x60000", "train/blue/000.png", EDIT_OVERWRITE, .at = 16,
    BYTES ("\0\0\xea\x60\0\0\xea\x60"), .fix_crc = TRUE,
    .code = CT_DATASET_ERROR_IMAGE, .says = "more than the 89478485 allowed" },
  /* Under PIL's limit, yet far more than a few bytes of deflate can fill. */
  { "8000x8000-from-a-few-bytes", "train/blue/000.png", EDIT_OVERWRITE, .at = 16,
    BYTES ("\0\0\x1f\x40\0\0\x1f\x40"), .fix_crc = TRUE,
    .code = CT_DATASET_ERROR_IMAGE, .says = "too small" },
  { "chunk-claims-2^31-1", "train/blue/000.png", EDIT_OVERWRITE, .at = 33,
    BYTES ("\x7f\xff\xff\xff"), .code = CT_DATASET_ERROR_IMAGE, .says = "claims" },
  { "corrupt-zlib", "train/blue/000.png", EDIT_OVERWRITE, .find = "IDAT", .at = 0,
    BYTES ("\xff\xff"), .fix_crc = TRUE, .code = CT_DATASET_ERROR_IMAGE },
  { "ihdr-crc", "train/blue/000.png", EDIT_OVERWRITE, .at = 29, BYTES ("\0\0\0\0"),
    .code = CT_DATASET_ERROR_IMAGE, .says = "CRC" },
  { "truncated", "train/blue/000.png", EDIT_TRUNCATE, .at = 20, .from_end = TRUE,
    .code = CT_DATASET_ERROR_IMAGE },
  { "symlink-loop", "train/blue/000.png", EDIT_SYMLINK_LOOP,
    .code = CT_DATASET_ERROR_IMAGE, .says = "cannot read" },
  /* The class folder then holds a folder and no image. */
  { "directory", "train/blue/000.png", EDIT_DIRECTORY,
    .code = CT_DATASET_ERROR_MISSING, .says = "no image files", .names = "train/blue" },
};

/* SOF0's height and width follow its marker, length and precision. */
static const Hostile image_jpeg_cases[] = {
  { "60000x60000", "train/red/002.jpg", EDIT_OVERWRITE, .find = "\xff\xc0", .at = 3,
    BYTES ("\xea\x60\xea\x60"), .code = CT_DATASET_ERROR_IMAGE,
    .says = "more than the 89478485 allowed" },
  { "0x0", "train/red/002.jpg", EDIT_OVERWRITE, .find = "\xff\xc0", .at = 3,
    BYTES ("\0\0\0\0"), .code = CT_DATASET_ERROR_IMAGE },
  { "truncated-in-scan", "train/red/002.jpg", EDIT_TRUNCATE, .at = 40, .from_end = TRUE,
    .code = CT_DATASET_ERROR_IMAGE, .says = "truncated" },
  { "gif-named-jpg", "train/red/002.jpg", EDIT_REPLACE, BYTES ("GIF89a\x05\0\x03\0\0\0\0;"),
    .code = CT_DATASET_ERROR_IMAGE, .says = "not a PNG or JPEG" },
  { "soi-only", "train/red/002.jpg", EDIT_REPLACE, BYTES ("\xff\xd8\xff"),
    .code = CT_DATASET_ERROR_IMAGE },
};

/* torch.save --------------------------------------------------------------- */

static void
write_valid_torch_save (const char *dir)
{
  g_autoptr(GBytes) bytes = ct_test_torch_save_bytes (NULL, TRUE, FALSE);

  write_file (dir, "model.pt", g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
}

static gboolean
load_torch_save (const char  *dir,
                 GError     **error)
{
  g_autofree char *path = g_build_filename (dir, "model.pt", NULL);
  g_autoptr(CtTorchSave) file = ct_torch_save_load (path, error);

  return file != NULL;
}

/* Cut anywhere, the zip's end record (its last 22 bytes) is gone. */
static int
torch_save_sweep_code (const guint8 *data,
                       gsize         size,
                       gsize         cut)
{
  return CT_TORCH_SAVE_ERROR_ARCHIVE;
}

/* Edits keep every record's size, and .fix_crc rewrites the CRC-32s, so
 * the zip stays whole and the pickle or the tensors are what is hostile.
 * "(1" is MARK, POP_MARK: padding. */
static const Hostile torch_save_cases[] = {
  { "os-system", "model.pt", EDIT_SUBSTITUTE, .find = "collections\nOrderedDict\n",
    BYTES ("os\nsystem\n(1(1(1(1(1(1(1"), .fix_crc = TRUE, .code = CT_TORCH_SAVE_ERROR_REFUSED, .says = "os.system" },
  { "builtins-eval", "model.pt", EDIT_SUBSTITUTE, .find = "torch._utils\n_rebuild_tensor_v2\n",
    BYTES ("builtins\neval\n(1(1(1(1(1(1(1(1(1"), .fix_crc = TRUE, .code = CT_TORCH_SAVE_ERROR_REFUSED,
    .says = "builtins.eval" },
  { "storage-longer-than-record", "model.pt", EDIT_SUBSTITUTE, .find = "cpuK\x06",
    BYTES ("cpuK\x07"), .fix_crc = TRUE, .code = CT_TORCH_SAVE_ERROR_ARCHIVE, .says = "holds 24 bytes" },
  { "view-past-storage", "model.pt", EDIT_SUBSTITUTE, .find = "(K\x02K\x03t",
    BYTES ("(K\x02K\x04t"), .fix_crc = TRUE, .code = CT_TORCH_SAVE_ERROR_PICKLE, .says = "reaches element" },
  /* The storage key after "FloatStorage\nX" and its 4-byte length. */
  { "missing-record", "model.pt", EDIT_OVERWRITE, .find = "FloatStorage\nX", .at = 4,
    BYTES ("9"), .fix_crc = TRUE, .code = CT_TORCH_SAVE_ERROR_ARCHIVE, .says = "archive/data/9" },
  { "unknown-opcode", "model.pt", EDIT_SUBSTITUTE, .find = "\x80\x02}",
    BYTES ("\x80\x02\xfe"), .fix_crc = TRUE, .code = CT_TORCH_SAVE_ERROR_PICKLE, .says = "opcode 0xfe" },
  /* The first directory entry's compressed size, 16 bytes after its signature. */
  { "stored-sizes-differ", "model.pt", EDIT_OVERWRITE, .find = "PK\x01\x02", .at = 16,
    BYTES ("\xff\xff\xff\x7f"), .code = CT_TORCH_SAVE_ERROR_ARCHIVE, .says = "stored" },
  /* Storage 1's one int64, 42, follows its name in its local header; it
   * becomes 43 and the CRC-32 stays 42's. */
  { "tensor-crc", "model.pt", EDIT_OVERWRITE, .find = "archive/data/1", .at = 0, BYTES ("\x2b"),
    .code = CT_TORCH_SAVE_ERROR_ARCHIVE, .says = "archive/data/1 fails its CRC-32 check" },
  { "pickle-crc", "model.pt", EDIT_SUBSTITUTE, .find = "\x80\x02}", BYTES ("\x80\x02]"),
    .code = CT_TORCH_SAVE_ERROR_ARCHIVE, .says = "archive/data.pkl fails its CRC-32 check" },
  { "legacy-pickle", "model.pt", EDIT_REPLACE, BYTES ("\x80\x02}q\x00."),
    .code = CT_TORCH_SAVE_ERROR_ARCHIVE, .says = "not a zip" },
  { "empty", "model.pt", EDIT_REPLACE, BYTES (""), .code = CT_TORCH_SAVE_ERROR_ARCHIVE },
  { "directory", "model.pt", EDIT_DIRECTORY, .code = CT_TORCH_SAVE_ERROR_IO },
};

/* The formats ---------------------------------------------------------------- */

static const Format formats[] = {
  { "cifar10", ct_dataset_error_quark, write_valid_cifar10, load_dataset,
    cifar10_cases, G_N_ELEMENTS (cifar10_cases), "data_batch_1.bin", cifar10_sweep_code,
    cifar10_sweep_tries },
  { "cifar100", ct_dataset_error_quark, write_valid_cifar100, load_dataset,
    cifar100_cases, G_N_ELEMENTS (cifar100_cases), "train.bin", cifar100_sweep_code,
    cifar100_sweep_tries },
  { "idx", ct_dataset_error_quark, write_valid_idx, load_dataset,
    idx_cases, G_N_ELEMENTS (idx_cases), "train-images-idx3-ubyte", idx_sweep_code },
  { "idx-labels", ct_dataset_error_quark, write_valid_idx, load_dataset,
    NULL, 0, "t10k-labels-idx1-ubyte", idx_sweep_code },
  { "idx-gz", ct_dataset_error_quark, write_valid_idx_gz, load_dataset,
    idx_gz_cases, G_N_ELEMENTS (idx_gz_cases), "train-images-idx3-ubyte.gz", idx_gz_sweep_code },
  { "safetensors", ct_safetensors_error_quark, write_valid_safetensors, load_safetensors,
    safetensors_cases, G_N_ELEMENTS (safetensors_cases), "model.safetensors",
    safetensors_sweep_code },
  { "manifest", ct_run_error_quark, write_valid_manifest, load_manifest,
    manifest_cases, G_N_ELEMENTS (manifest_cases), "manifest.json", manifest_sweep_code },
  { "metrics", ct_run_error_quark, write_valid_metrics, load_metrics,
    metrics_cases, G_N_ELEMENTS (metrics_cases), "metrics.jsonl", metrics_sweep_code },
  { "png", ct_png_error_quark, write_valid_png, load_png,
    png_cases, G_N_ELEMENTS (png_cases), "figure.png", png_sweep_code },
  { "image-folder-png", ct_dataset_error_quark, write_valid_image_folder, load_dataset,
    image_png_cases, G_N_ELEMENTS (image_png_cases), "train/blue/000.png", image_sweep_code },
  { "image-folder-jpeg", ct_dataset_error_quark, write_valid_image_folder, load_dataset,
    image_jpeg_cases, G_N_ELEMENTS (image_jpeg_cases), "train/red/002.jpg", image_sweep_code },
  { "torch-save", ct_torch_save_error_quark, write_valid_torch_save, load_torch_save,
    torch_save_cases, G_N_ELEMENTS (torch_save_cases), "model.pt", torch_save_sweep_code },
};

/* Running them ---------------------------------------------------------------- */

static char *
make_valid_dir (const Format *format)
{
  g_autoptr(GError) error = NULL;
  char *dir = g_dir_make_tmp ("camtrail-hostile-XXXXXX", &error);

  g_assert_no_error (error);
  format->write_valid (dir);
  return dir;
}

static GByteArray *
read_whole (const char *path)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  gsize size = 0;

  g_file_get_contents (path, &contents, &size, &error);
  g_assert_no_error (error);
  return g_byte_array_new_take ((guint8 *) g_steal_pointer (&contents), size);
}

static gsize
find_bytes (GByteArray *bytes,
            const char *needle,
            gsize       needle_len)
{
  const guint8 *found = memmem (bytes->data, bytes->len, needle, needle_len);

  g_assert_nonnull (found);
  return found - bytes->data;
}

static void
frame_safetensors (GByteArray   *out,
                   const guint8 *header,
                   gsize         header_len,
                   gsize         data_len)
{
  guint64 len_le = GUINT64_TO_LE ((guint64) header_len);
  g_autofree guint8 *zeros = g_malloc0 (MAX (data_len, 1));

  g_byte_array_set_size (out, 0);
  g_byte_array_append (out, (const guint8 *) &len_le, 8);
  g_byte_array_append (out, header, header_len);
  g_byte_array_append (out, zeros, data_len);
}

/* Breaks @hostile->file in @dir as the row says. */
static void
apply_edit (const char    *dir,
            const Hostile *hostile)
{
  g_autofree char *path = g_build_filename (dir, hostile->file, NULL);
  g_autoptr(GByteArray) bytes = NULL;
  g_autoptr(GError) error = NULL;
  gsize at;

  switch (hostile->kind)
    {
    case EDIT_DIRECTORY:
      g_unlink (path);
      g_assert_cmpint (g_mkdir (path, 0755), ==, 0);
      return;
    case EDIT_SYMLINK_LOOP:
      g_unlink (path);
      g_assert_cmpint (symlink (hostile->file, path), ==, 0);
      return;
    default:
      break;
    }

  bytes = g_file_test (path, G_FILE_TEST_EXISTS) ? read_whole (path) : g_byte_array_new ();
  switch (hostile->kind)
    {
    case EDIT_REPLACE:
      g_byte_array_set_size (bytes, 0);
      g_byte_array_append (bytes, (const guint8 *) hostile->bytes, hostile->n_bytes);
      break;
    case EDIT_TRUNCATE:
      g_assert_cmpuint (hostile->at, <, bytes->len);
      g_byte_array_set_size (bytes, hostile->from_end ? bytes->len - hostile->at : hostile->at);
      break;
    case EDIT_OVERWRITE:
      at = hostile->at;
      if (hostile->find != NULL)
        at += find_bytes (bytes, hostile->find, strlen (hostile->find)) + strlen (hostile->find);
      if (hostile->from_end)
        at = bytes->len - at;
      g_assert_cmpuint (at + hostile->n_bytes, <=, bytes->len);
      memcpy (bytes->data + at, hostile->bytes, hostile->n_bytes);
      break;
    case EDIT_APPEND:
      g_byte_array_append (bytes, (const guint8 *) hostile->bytes, hostile->n_bytes);
      break;
    case EDIT_SUBSTITUTE:
      at = find_bytes (bytes, hostile->find, strlen (hostile->find));
      g_byte_array_remove_range (bytes, at, strlen (hostile->find));
      g_array_insert_vals ((GArray *) bytes, at, hostile->bytes, hostile->n_bytes);
      break;
    case EDIT_NEST:
      {
        g_autofree char *text = g_strnfill (2 * hostile->at, ']');

        memset (text, '[', hostile->at);
        if (g_str_has_suffix (hostile->file, ".safetensors"))
          frame_safetensors (bytes, (const guint8 *) text, 2 * hostile->at, 0);
        else
          {
            g_byte_array_set_size (bytes, 0);
            g_byte_array_append (bytes, (const guint8 *) text, 2 * hostile->at);
          }
      }
      break;
    case EDIT_HEADER:
      frame_safetensors (bytes, (const guint8 *) hostile->bytes, hostile->n_bytes, hostile->at);
      break;
    case EDIT_DIRECTORY:
    case EDIT_SYMLINK_LOOP:
    default:
      g_assert_not_reached ();
    }

  if (hostile->pad_to > bytes->len)
    {
      gsize old_len = bytes->len;

      g_byte_array_set_size (bytes, hostile->pad_to);
      memset (bytes->data + old_len, 0, hostile->pad_to - old_len);
    }
  if (hostile->fix_crc && bytes->len >= 4 && memcmp (bytes->data, "PK\3\4", 4) == 0)
    fix_zip_crcs (bytes->data, bytes->len);
  else if (hostile->fix_crc)
    fix_png_crcs (bytes->data, bytes->len);

  set_contents (path, bytes->data, bytes->len);
}

static void
assert_refused (const Format *format,
                const char   *dir,
                const char   *file,
                GQuark        domain,
                int           code,
                const char   *says,
                gboolean      show)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *base = g_path_get_basename (file);

  g_assert_false (format->load (dir, &error));
  g_assert_nonnull (error);
  if (error->domain != domain || error->code != code || strstr (error->message, base) == NULL ||
      (says != NULL && strstr (error->message, says) == NULL))
    g_error ("%s: expected %s %d naming %s%s%s; got %s %d: %s",
             file, g_quark_to_string (domain), code, base,
             says != NULL ? " and saying " : "", says != NULL ? says : "",
             g_quark_to_string (error->domain), error->code, error->message);
  if (show)
    g_test_message ("%s", error->message);
}

static void
test_valid (gconstpointer user_data)
{
  const Format *format = user_data;
  g_autofree char *dir = make_valid_dir (format);
  g_autoptr(GError) error = NULL;

  /* Every failure below is the edit's doing, not the fixture's. */
  g_assert_true (format->load (dir, &error));
  g_assert_no_error (error);
  ct_test_remove_tree (dir);
}

typedef struct {
  const Format  *format;
  const Hostile *hostile;
} Case;

static void
test_case (gconstpointer user_data)
{
  const Case *c = user_data;
  g_autofree char *dir = make_valid_dir (c->format);
  GQuark domain = c->hostile->domain != NULL ? c->hostile->domain () : c->format->domain ();

  apply_edit (dir, c->hostile);
  assert_refused (c->format, dir, c->hostile->names != NULL ? c->hostile->names : c->hostile->file,
                  domain, c->hostile->code, c->hostile->says,
                  TRUE);
  ct_test_remove_tree (dir);
}

/* Cuts the sweep file at every byte, or every boundary of its structure,
 * from empty to one byte short. */
static void
test_sweep (gconstpointer user_data)
{
  const Format *format = user_data;
  g_autofree char *dir = make_valid_dir (format);
  g_autofree char *path = g_build_filename (dir, format->sweep_file, NULL);
  g_autoptr(GByteArray) valid = read_whole (path);
  guint n_refused = 0;

  for (gsize cut = 0; cut < valid->len; cut++)
    {
      g_autoptr(GError) error = NULL;
      int code = format->sweep_code (valid->data, valid->len, cut);

      if (format->sweep_tries != NULL && !format->sweep_tries (cut))
        continue;
      set_contents (path, valid->data, cut);
      if (code < 0)
        {
          if (!format->load (dir, &error))
            g_error ("%s cut to %zu bytes is valid, yet: %s", format->sweep_file, cut, error->message);
          continue;
        }
      assert_refused (format, dir, format->sweep_file, format->domain (), code, NULL, FALSE);
      n_refused++;
    }
  g_test_message ("%s: %u cuts of its %u bytes refused", format->sweep_file, n_refused, valid->len);
  ct_test_remove_tree (dir);
}

/* The image-folder cache ------------------------------------------------------- */

/* Labels a hostile cache stores for train image 1 of the 4 classes of
 * write_valid_image_folder(): the class count, one whose low byte alone
 * is a valid class, the largest. */
static const guint16 hostile_cache_labels[] = { 4, 0x0100, 0xffff };

/* A cache whose label is not below the class count is refused by its
 * reader, and the load rebuilds it rather than trust it. */
static void
test_image_cache_label (gconstpointer user_data)
{
  const guint16 label = GPOINTER_TO_UINT (user_data);
  const guint16 little_endian = GUINT16_TO_LE (label);
  const CtDatasetOptions options = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(GByteArray) hostile = NULL;
  g_autoptr(GByteArray) rebuilt = NULL;
  g_autoptr(CtDataset) dataset = NULL;
  g_autofree char *dir = g_dir_make_tmp ("camtrail-hostile-XXXXXX", &error);
  g_autofree char *canonical = NULL;
  g_autofree char *cache = NULL;
  g_autofree char *key = NULL;
  CtDataset probe = { .n_classes = 4 };
  gsize label_offset;

  g_assert_no_error (error);
  write_valid_image_folder (dir);
  g_assert_true (load_dataset (dir, &error));
  g_assert_no_error (error);
  canonical = g_canonicalize_filename (dir, NULL);
  cache = ct_image_folder_dup_cache_path (canonical, 0);
  hostile = read_whole (cache);
  key = g_strndup ((const char *) hostile->data + CT_IMAGE_FOLDER_CACHE_KEY_OFFSET, 64);

  /* The untouched cache reads: what fails below is the label's doing. */
  g_assert_true (ct_image_folder_read_cache (&probe, &options, key, hostile->data, hostile->len, NULL));
  g_assert_cmpuint (probe.train.labels[1], ==, 1);
  g_clear_pointer (&probe.train.labels, g_free);
  g_clear_pointer (&probe.test.labels, g_free);
  g_clear_pointer (&probe.skipped, g_strfreev);
  probe = (CtDataset) { .n_classes = 4 };

  /* 4 + 4 images, then their labels (uint16 each), no skipped lines. */
  label_offset = hostile->len - 8 * sizeof (guint16) + 1 * sizeof (guint16);
  memcpy (hostile->data + label_offset, &little_endian, sizeof little_endian);
  g_assert_false (ct_image_folder_read_cache (&probe, &options, key, hostile->data, hostile->len, NULL));
  g_assert_null (probe.train.labels);
  g_assert_null (probe.train.pixels);
  g_assert_null (probe.skipped);

  set_contents (cache, hostile->data, hostile->len);
  dataset = ct_dataset_load (dir, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (dataset->train.labels[1], ==, 1);
  rebuilt = read_whole (cache);
  g_assert_cmpuint (rebuilt->len, ==, hostile->len);
  g_assert_cmpuint (rebuilt->data[label_offset], ==, 1);
  g_assert_cmpuint (rebuilt->data[label_offset + 1], ==, 0);
  g_test_message ("%s: train label 1 stored as %u of 4 classes: refused, rebuilt",
                  cache, label);
  ct_test_remove_tree (dir);
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GPtrArray) cases = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  int status;

  /* Before anything asks GLib for the cache directory, which it remembers. */
  cache_home = g_dir_make_tmp ("camtrail-cache-XXXXXX", &error);
  g_assert_no_error (error);
  g_setenv ("XDG_CACHE_HOME", cache_home, TRUE);

  g_test_init (&argc, &argv, NULL);

  for (guint f = 0; f < G_N_ELEMENTS (formats); f++)
    {
      const Format *format = &formats[f];
      g_autofree char *valid_path = g_strdup_printf ("/hostile/%s/valid", format->name);
      g_autofree char *sweep_path = g_strdup_printf ("/hostile/%s/cuts", format->name);

      g_test_add_data_func (valid_path, format, test_valid);
      g_test_add_data_func (sweep_path, format, test_sweep);
      for (guint i = 0; i < format->n_cases; i++)
        {
          Case *c = g_new (Case, 1);
          g_autofree char *path = g_strdup_printf ("/hostile/%s/%s", format->name,
                                                   format->cases[i].name);

          c->format = format;
          c->hostile = &format->cases[i];
          g_ptr_array_add (cases, c);
          g_test_add_data_func (path, c, test_case);
        }
    }

  for (guint i = 0; i < G_N_ELEMENTS (hostile_cache_labels); i++)
    {
      g_autofree char *path = g_strdup_printf ("/hostile/image-folder-cache/label-%u",
                                               hostile_cache_labels[i]);

      g_test_add_data_func (path, GUINT_TO_POINTER (hostile_cache_labels[i]),
                            test_image_cache_label);
    }

  status = g_test_run ();

  ct_test_remove_tree (cache_home);
  g_free (cache_home);
  return status;
}
