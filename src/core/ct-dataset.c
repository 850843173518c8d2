/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "ct-dataset"

#include "ct-dataset.h"
#include "ct-image-folder.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <string.h>

#include <gio/gio.h>
#include <zlib.h>

G_DEFINE_QUARK (ct-dataset-error-quark, ct_dataset_error)

#define CIFAR_SIDE      32
#define CIFAR_CHANNELS  3
#define CIFAR_PIXELS    (CIFAR_CHANNELS * CIFAR_SIDE * CIFAR_SIDE)
/* Records read per call: under a megabyte, so the buffer stays warm. */
#define CIFAR_CHUNK_RECORDS 256

#define IDX_IMAGES_MAGIC 0x00000803u
#define IDX_LABELS_MAGIC 0x00000801u

/* Deflate cannot expand data by more than about 1032:1, so a gzip trailer
 * claiming more than that is a lie and must not size an allocation. */
#define DEFLATE_MAX_RATIO 1032
#define GUNZIP_MAX_FIRST_GUESS (256u * 1024u * 1024u)

/* Bumped whenever the cache file's keys or their meaning change. */
#define STATS_CACHE_VERSION 1
#define STATS_GROUP "stats"

static const char * const cifar10_classes[] = {
  "airplane", "automobile", "bird", "cat", "deer",
  "dog", "frog", "horse", "ship", "truck",
  NULL
};

static const char * const cifar100_classes[] = {
  "apple", "aquarium_fish", "baby", "bear", "beaver",
  "bed", "bee", "beetle", "bicycle", "bottle",
  "bowl", "boy", "bridge", "bus", "butterfly",
  "camel", "can", "castle", "caterpillar", "cattle",
  "chair", "chimpanzee", "clock", "cloud", "cockroach",
  "couch", "crab", "crocodile", "cup", "dinosaur",
  "dolphin", "elephant", "flatfish", "forest", "fox",
  "girl", "hamster", "house", "kangaroo", "keyboard",
  "lamp", "lawn_mower", "leopard", "lion", "lizard",
  "lobster", "man", "maple_tree", "motorcycle", "mountain",
  "mouse", "mushroom", "oak_tree", "orange", "orchid",
  "otter", "palm_tree", "pear", "pickup_truck", "pine_tree",
  "plain", "plate", "poppy", "porcupine", "possum",
  "rabbit", "raccoon", "ray", "road", "rocket",
  "rose", "sea", "seal", "shark", "shrew",
  "skunk", "skyscraper", "snail", "snake", "spider",
  "squirrel", "streetcar", "sunflower", "sweet_pepper", "table",
  "tank", "telephone", "television", "tiger", "tractor",
  "train", "trout", "tulip", "turtle", "wardrobe",
  "whale", "willow_tree", "wolf", "woman", "worm",
  NULL
};

static const char * const fashion_mnist_classes[] = {
  "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
  "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
  NULL
};

static const char * const mnist_classes[] = {
  "0", "1", "2", "3", "4", "5", "6", "7", "8", "9",
  NULL
};

static const char * const idx_file_stems[] = {
  "train-images-idx3-ubyte",
  "train-labels-idx1-ubyte",
  "t10k-images-idx3-ubyte",
  "t10k-labels-idx1-ubyte",
};

/* The bytes of one input file.  For a .gz file they are the decompressed
 * stream, and error offsets count in it. */
typedef struct
{
  char     *path;
  guint8   *data;
  gsize     size;
  gboolean  decompressed;
} DataFile;

static void
data_file_free (DataFile *file)
{
  g_free (file->path);
  g_free (file->data);
  g_free (file);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DataFile, data_file_free)

/* Which files make up a dataset, decided before any is read. */
typedef struct
{
  CtDatasetKind  kind;
  GPtrArray     *train_paths;   /* for IDX: images then labels */
  GPtrArray     *test_paths;
  char          *classes_path;  /* nullable: built-in names otherwise */
} Layout;

static void
layout_clear (Layout *layout)
{
  g_clear_pointer (&layout->train_paths, g_ptr_array_unref);
  g_clear_pointer (&layout->test_paths, g_ptr_array_unref);
  g_clear_pointer (&layout->classes_path, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Layout, layout_clear)

static void set_error_at (GError         **error,
                          CtDatasetError   code,
                          const char      *path,
                          gboolean         decompressed,
                          guint64          offset,
                          const char      *format,
                          ...) G_GNUC_PRINTF (6, 7);

/* Every malformed-input error reads "PATH: at byte N: what was expected". */
static void
set_error_at (GError         **error,
              CtDatasetError   code,
              const char      *path,
              gboolean         decompressed,
              guint64          offset,
              const char      *format,
              ...)
{
  g_autofree char *what = NULL;
  va_list args;

  va_start (args, format);
  what = g_strdup_vprintf (format, args);
  va_end (args);

  g_set_error (error, CT_DATASET_ERROR, code,
               "%s: at byte %" G_GUINT64_FORMAT "%s: %s",
               path, offset,
               decompressed ? " of the decompressed data" : "",
               what);
}

static guint32
read_be32 (const guint8 *p)
{
  return ((guint32) p[0] << 24) | ((guint32) p[1] << 16) | ((guint32) p[2] << 8) | p[3];
}

static guint32
read_le32 (const guint8 *p)
{
  return ((guint32) p[3] << 24) | ((guint32) p[2] << 16) | ((guint32) p[1] << 8) | p[0];
}

static gboolean
has_gzip_magic (const guint8 *p,
                gsize         size)
{
  return size >= 2 && p[0] == 0x1f && p[1] == 0x8b;
}

static gsize
gunzip_first_guess (const guint8 *in,
                    gsize         in_size)
{
  /* The trailer holds the uncompressed size modulo 2^32: exact for the
   * datasets we read, so one allocation usually suffices. */
  gsize guess = in_size >= 18 ? read_le32 (in + in_size - 4) : in_size * 4;

  guess = MIN (guess, in_size * DEFLATE_MAX_RATIO);
  guess = MIN (guess, GUNZIP_MAX_FIRST_GUESS);
  /* Slack lets inflate see the end of the stream without a second buffer. */
  return guess + 64;
}

static gboolean
set_no_memory_error (GError     **error,
                     const char  *path,
                     guint64      offset,
                     gsize        size)
{
  set_error_at (error, CT_DATASET_ERROR_FORMAT, path, FALSE, offset,
                "cannot allocate %" G_GSIZE_FORMAT " bytes for the decompressed data", size);
  return FALSE;
}

/* Allocations here use g_try_*: a small file may inflate enormously, and
 * running out of memory must be an error, not an abort. */
static gboolean
gunzip_run (z_stream      *zs,
            const guint8  *in,
            gsize          in_size,
            const char    *path,
            guint8       **out,
            gsize         *out_size,
            GError       **error)
{
  gsize capacity = gunzip_first_guess (in, in_size);
  gsize produced = 0;
  gsize fed = 0;

  *out = g_try_malloc (capacity);
  if (*out == NULL)
    return set_no_memory_error (error, path, 0, capacity);

  for (;;)
    {
      gsize consumed;
      int status;

      /* zlib counts in 32 bits, so hand over at most G_MAXUINT at a time. */
      if (zs->avail_in == 0 && fed < in_size)
        {
          zs->next_in = (Bytef *) in + fed;
          zs->avail_in = (uInt) MIN (in_size - fed, (gsize) G_MAXUINT);
          fed += zs->avail_in;
        }
      if (produced == capacity)
        {
          guint8 *grown = g_try_realloc (*out, capacity * 2);

          if (grown == NULL)
            return set_no_memory_error (error, path, fed - zs->avail_in, capacity * 2);
          *out = grown;
          capacity *= 2;
        }
      zs->next_out = *out + produced;
      zs->avail_out = (uInt) MIN (capacity - produced, (gsize) G_MAXUINT);

      status = inflate (zs, Z_NO_FLUSH);
      produced = (gsize) (zs->next_out - *out);
      consumed = fed - zs->avail_in;

      if (status == Z_STREAM_END)
        {
          if (consumed == in_size)
            break;
          /* A .gz file may hold several members back to back, as `cat a.gz b.gz` makes. */
          if (has_gzip_magic (in + consumed, in_size - consumed) && inflateReset (zs) == Z_OK)
            continue;
          set_error_at (error, CT_DATASET_ERROR_FORMAT, path, FALSE, consumed,
                        "expected the end of the file or another gzip member after the gzip stream");
          return FALSE;
        }
      if (status == Z_BUF_ERROR && consumed == in_size)
        {
          set_error_at (error, CT_DATASET_ERROR_TRUNCATED, path, FALSE, in_size,
                        "the file ends inside the gzip stream; expected more compressed data");
          return FALSE;
        }
      if (status != Z_OK && status != Z_BUF_ERROR)
        {
          set_error_at (error, CT_DATASET_ERROR_FORMAT, path, FALSE, consumed,
                        "corrupt gzip data (%s); expected a valid deflate stream",
                        zs->msg != NULL ? zs->msg : "zlib error");
          return FALSE;
        }
    }

  /* Give back the slack of the first guess or of the last doubling. */
  *out = g_realloc (*out, MAX (produced, 1));
  *out_size = produced;
  return TRUE;
}

/* Inflates a whole .gz file held in memory. */
static guint8 *
gunzip (const guint8  *in,
        gsize          in_size,
        const char    *path,
        gsize         *out_size,
        GError       **error)
{
  z_stream zs = { 0 };
  g_autofree guint8 *out = NULL;
  gboolean ok;

  if (!has_gzip_magic (in, in_size))
    {
      set_error_at (error, CT_DATASET_ERROR_FORMAT, path, FALSE, 0,
                    "expected the gzip magic bytes 1f 8b");
      return NULL;
    }

  if (inflateInit2 (&zs, 16 + MAX_WBITS) != Z_OK)
    {
      set_error_at (error, CT_DATASET_ERROR_FORMAT, path, FALSE, 0,
                    "zlib could not start decompressing (%s)",
                    zs.msg != NULL ? zs.msg : "out of memory");
      return NULL;
    }
  ok = gunzip_run (&zs, in, in_size, path, &out, out_size, error);
  inflateEnd (&zs);

  return ok ? g_steal_pointer (&out) : NULL;
}

/* Reads a file in one go; a name ending in .gz is decompressed. */
static DataFile *
data_file_read (const char  *path,
                GError     **error)
{
  g_autoptr(DataFile) file = g_new0 (DataFile, 1);
  g_autoptr(GError) local_error = NULL;
  g_autofree char *contents = NULL;
  gsize length = 0;

  file->path = g_strdup (path);
  if (!g_file_get_contents (path, &contents, &length, &local_error))
    {
      g_set_error (error, CT_DATASET_ERROR, CT_DATASET_ERROR_MISSING,
                   "%s: cannot read: %s", path, local_error->message);
      return NULL;
    }

  if (g_str_has_suffix (path, ".gz"))
    {
      file->data = gunzip ((const guint8 *) contents, length, path, &file->size, error);
      if (file->data == NULL)
        return NULL;
      file->decompressed = TRUE;
    }
  else
    {
      file->data = (guint8 *) g_steal_pointer (&contents);
      file->size = length;
    }

  return g_steal_pointer (&file);
}

/* Reads class names, one a line; blank lines and surrounding white space
 * are ignored, since the CIFAR meta files end in empty lines. */
static char **
read_class_names (const char  *path,
                  GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *contents = NULL;
  g_auto(GStrv) lines = NULL;
  const char *end = NULL;
  gsize length = 0;

  if (!g_file_get_contents (path, &contents, &length, &local_error))
    {
      g_set_error (error, CT_DATASET_ERROR, CT_DATASET_ERROR_MISSING,
                   "%s: cannot read: %s", path, local_error->message);
      return NULL;
    }
  if (!g_utf8_validate (contents, length, &end))
    {
      set_error_at (error, CT_DATASET_ERROR_FORMAT, path, FALSE, (guint64) (end - contents),
                    "expected UTF-8 text, one class name a line");
      return NULL;
    }

  lines = g_strsplit (contents, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      char *name = g_strstrip (lines[i]);

      if (*name != '\0')
        g_ptr_array_add (names, g_strdup (name));
    }
  if (names->len == 0)
    {
      set_error_at (error, CT_DATASET_ERROR_FORMAT, path, FALSE, length,
                    "expected at least one class name");
      return NULL;
    }

  g_ptr_array_add (names, NULL);
  return (char **) g_ptr_array_free (g_steal_pointer (&names), FALSE);
}

static gboolean
check_label (guint8       label,
             guint        n_classes,
             const char  *path,
             gboolean     decompressed,
             guint64      record,
             guint64      offset,
             GError     **error)
{
  if (label < n_classes)
    return TRUE;

  set_error_at (error, CT_DATASET_ERROR_LABEL, path, decompressed, offset,
                "record %" G_GUINT64_FORMAT " has label %u; expected a label in [0, %u)",
                record, label, n_classes);
  return FALSE;
}

/* Checks that a CIFAR batch file holds a whole, non-zero number of records,
 * before anything is allocated for it. */
static gboolean
count_cifar_records (const char  *path,
                     gsize        record_size,
                     gsize       *n_records,
                     GError     **error)
{
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GFileInfo) info = NULL;
  g_autoptr(GError) local_error = NULL;
  guint64 size;

  info = g_file_query_info (file, G_FILE_ATTRIBUTE_STANDARD_SIZE, G_FILE_QUERY_INFO_NONE,
                            NULL, &local_error);
  if (info == NULL)
    {
      g_set_error (error, CT_DATASET_ERROR, CT_DATASET_ERROR_MISSING,
                   "%s: cannot read: %s", path, local_error->message);
      return FALSE;
    }

  size = (guint64) g_file_info_get_size (info);
  *n_records = size / record_size;
  if (size == 0)
    {
      set_error_at (error, CT_DATASET_ERROR_FORMAT, path, FALSE, 0,
                    "the file is empty; expected at least one %" G_GSIZE_FORMAT "-byte record",
                    record_size);
      return FALSE;
    }
  if (size % record_size != 0)
    {
      set_error_at (error, CT_DATASET_ERROR_FORMAT, path, FALSE, *n_records * record_size,
                    "record %" G_GSIZE_FORMAT " is cut short after %" G_GUINT64_FORMAT " bytes; "
                    "expected a whole number of %" G_GSIZE_FORMAT "-byte records",
                    *n_records, size % record_size, record_size);
      return FALSE;
    }

  return TRUE;
}

/* Reads a CIFAR batch file, whose size count_cifar_records() checked, a
 * chunk of whole records at a time into @scratch, and copies pixels and
 * labels out.  A scratch buffer that stays warm in memory halves the page
 * faults of reading a whole file and moving its records into place. */
static gboolean
read_cifar_file (const char  *path,
                 gsize        n_records,
                 gsize        label_offset,
                 guint        n_classes,
                 guint8      *scratch,
                 guint8      *pixels,
                 guint16     *labels,
                 GError     **error)
{
  const gsize record_size = label_offset + 1 + CIFAR_PIXELS;
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GFileInputStream) stream = NULL;
  g_autoptr(GError) local_error = NULL;
  gsize n_read = 0;
  gssize n_extra = 0;
  guint8 extra;

  stream = g_file_read (file, NULL, &local_error);
  if (stream == NULL)
    goto read_failed;

  for (gsize first = 0; first < n_records; first += CIFAR_CHUNK_RECORDS)
    {
      gsize n = MIN (CIFAR_CHUNK_RECORDS, n_records - first);

      if (!g_input_stream_read_all (G_INPUT_STREAM (stream), scratch, n * record_size,
                                    &n_read, NULL, &local_error))
        goto read_failed;
      /* The size was checked before: a short read means the file changed since. */
      if (n_read != n * record_size)
        {
          set_error_at (error, CT_DATASET_ERROR_TRUNCATED, path, FALSE,
                        first * record_size + n_read,
                        "the file shrank while loading; expected %" G_GSIZE_FORMAT " bytes",
                        n_records * record_size);
          return FALSE;
        }

      for (gsize r = 0; r < n; r++)
        {
          const guint8 *record = scratch + r * record_size;
          gsize index = first + r;

          if (!check_label (record[label_offset], n_classes, path, FALSE, index,
                            index * record_size + label_offset, error))
            return FALSE;
          labels[index] = record[label_offset];
          memcpy (pixels + index * CIFAR_PIXELS, record + label_offset + 1, CIFAR_PIXELS);
        }
    }

  n_extra = g_input_stream_read (G_INPUT_STREAM (stream), &extra, 1, NULL, &local_error);
  if (n_extra < 0)
    goto read_failed;
  if (n_extra > 0)
    {
      set_error_at (error, CT_DATASET_ERROR_FORMAT, path, FALSE, n_records * record_size,
                    "the file grew while loading; expected %" G_GSIZE_FORMAT " bytes",
                    n_records * record_size);
      return FALSE;
    }
  return TRUE;

read_failed:
  g_set_error (error, CT_DATASET_ERROR, CT_DATASET_ERROR_MISSING,
               "%s: cannot read: %s", path, local_error->message);
  return FALSE;
}

/* Loads a CIFAR split from its batch files.  Each record is @label_offset
 * bytes before the label used, that label, then 3072 planar pixels: the
 * layout the split keeps, so pixels copy as they are. */
static gboolean
load_cifar_split (GPtrArray  *paths,
                  gsize       label_offset,
                  guint       n_classes,
                  CtSplit    *split,
                  GError    **error)
{
  const gsize record_size = label_offset + 1 + CIFAR_PIXELS;
  g_autofree gsize *n_records = g_new0 (gsize, paths->len);
  g_autofree guint8 *scratch = NULL;
  g_autofree guint8 *pixels = NULL;
  g_autofree guint16 *labels = NULL;
  gsize total = 0;
  gsize first = 0;

  for (guint i = 0; i < paths->len; i++)
    {
      const char *path = g_ptr_array_index (paths, i);

      if (!count_cifar_records (path, record_size, &n_records[i], error))
        return FALSE;
      if (n_records[i] > G_MAXUINT - total)
        {
          set_error_at (error, CT_DATASET_ERROR_FORMAT, path, FALSE, 0,
                        "expected at most %u images in a split", G_MAXUINT);
          return FALSE;
        }
      total += n_records[i];
    }

  pixels = g_try_malloc (total * CIFAR_PIXELS);
  labels = g_try_new (guint16, total);
  if (pixels == NULL || labels == NULL)
    {
      g_set_error (error, CT_DATASET_ERROR, CT_DATASET_ERROR_FORMAT,
                   "%s: cannot allocate %" G_GSIZE_FORMAT " bytes for %" G_GSIZE_FORMAT " images",
                   (const char *) g_ptr_array_index (paths, 0), total * CIFAR_PIXELS, total);
      return FALSE;
    }

  scratch = g_malloc (CIFAR_CHUNK_RECORDS * record_size);
  for (guint i = 0; i < paths->len; i++)
    {
      if (!read_cifar_file (g_ptr_array_index (paths, i), n_records[i], label_offset, n_classes,
                            scratch, pixels + first * CIFAR_PIXELS, labels + first, error))
        return FALSE;
      first += n_records[i];
    }

  split->n_images = total;
  split->channels = CIFAR_CHANNELS;
  split->height = CIFAR_SIDE;
  split->width = CIFAR_SIDE;
  split->pixels = g_steal_pointer (&pixels);
  split->labels = g_steal_pointer (&labels);

  return TRUE;
}

/* Checks an IDX header of unsigned bytes with @n_dims dimensions (at most 3)
 * and that the file holds exactly the data it announces. */
static gboolean
parse_idx_header (const DataFile  *file,
                  guint32          magic,
                  guint            n_dims,
                  guint32         *dims,
                  GError         **error)
{
  const gsize header_size = 4 + 4 * (gsize) n_dims;
  const char *item = n_dims > 1 ? "image" : "label";
  guint64 item_size = 1;
  guint64 payload;
  guint32 found;

  if (file->size < 4)
    {
      set_error_at (error, CT_DATASET_ERROR_TRUNCATED, file->path, file->decompressed, file->size,
                    "the file ends inside the IDX magic number; expected 0x%08x", magic);
      return FALSE;
    }
  found = read_be32 (file->data);
  if (found != magic)
    {
      set_error_at (error, CT_DATASET_ERROR_FORMAT, file->path, file->decompressed, 0,
                    "bad IDX magic number 0x%08x; expected 0x%08x (unsigned bytes, %u dimension%s)",
                    found, magic, n_dims, n_dims > 1 ? "s" : "");
      return FALSE;
    }
  if (file->size < header_size)
    {
      set_error_at (error, CT_DATASET_ERROR_TRUNCATED, file->path, file->decompressed, file->size,
                    "the file ends inside the IDX header; expected %" G_GSIZE_FORMAT " header bytes",
                    header_size);
      return FALSE;
    }

  for (guint d = 0; d < n_dims; d++)
    {
      dims[d] = read_be32 (file->data + 4 + 4 * d);
      if (dims[d] == 0)
        {
          set_error_at (error, CT_DATASET_ERROR_FORMAT, file->path, file->decompressed, 4 + 4 * d,
                        "IDX dimension %u is 0; expected at least 1", d);
          return FALSE;
        }
      if (d > 0)
        item_size *= dims[d];   /* two 32-bit factors: cannot overflow 64 bits */
    }

  /* Compare in items rather than bytes: a header claiming billions of
   * images must fail here, before anything is allocated or multiplied out. */
  payload = file->size - header_size;
  if (payload / item_size < dims[0])
    {
      guint64 cut = payload / item_size;

      set_error_at (error, CT_DATASET_ERROR_TRUNCATED, file->path, file->decompressed,
                    header_size + cut * item_size,
                    "%s %" G_GUINT64_FORMAT " of %u is cut short; expected %u %ss of %"
                    G_GUINT64_FORMAT " byte%s after the %" G_GSIZE_FORMAT "-byte header",
                    item, cut, dims[0], dims[0], item, item_size, item_size > 1 ? "s" : "",
                    header_size);
      return FALSE;
    }
  if (payload != dims[0] * item_size)
    {
      set_error_at (error, CT_DATASET_ERROR_FORMAT, file->path, file->decompressed,
                    header_size + dims[0] * item_size,
                    "expected the end of the file after %u %ss; found %" G_GUINT64_FORMAT
                    " extra byte%s",
                    dims[0], item, payload - dims[0] * item_size,
                    payload - dims[0] * item_size > 1 ? "s" : "");
      return FALSE;
    }

  return TRUE;
}

/* Takes the data after the header as the split's own buffer, sparing a
 * copy of a 47 MB image file. */
static guint8 *
steal_payload (DataFile *file,
               gsize     header_size)
{
  memmove (file->data, file->data + header_size, file->size - header_size);
  file->size -= header_size;
  return g_steal_pointer (&file->data);
}

/* The split's labels are 16-bit; the IDX file's are bytes. */
static guint16 *
widen_labels (const guint8 *bytes,
              gsize         n)
{
  guint16 *labels = g_new (guint16, MAX (n, 1));

  for (gsize i = 0; i < n; i++)
    labels[i] = bytes[i];
  return labels;
}

/* Loads one IDX split from its images and labels files.  When @train is
 * given (loading the test split), images must have its size. */
static gboolean
load_idx_split (const char     *images_path,
                const char     *labels_path,
                const CtSplit  *train,
                guint           n_classes,
                CtSplit        *split,
                GError        **error)
{
  g_autoptr(DataFile) images = NULL;
  g_autoptr(DataFile) labels = NULL;
  guint32 image_dims[3];
  guint32 label_dims[1];

  images = data_file_read (images_path, error);
  if (images == NULL || !parse_idx_header (images, IDX_IMAGES_MAGIC, 3, image_dims, error))
    return FALSE;
  if (train != NULL && (image_dims[1] != train->height || image_dims[2] != train->width))
    {
      set_error_at (error, CT_DATASET_ERROR_FORMAT, images_path, images->decompressed, 8,
                    "images are %u×%u; expected %u×%u as in the train split",
                    image_dims[1], image_dims[2], train->height, train->width);
      return FALSE;
    }

  labels = data_file_read (labels_path, error);
  if (labels == NULL || !parse_idx_header (labels, IDX_LABELS_MAGIC, 1, label_dims, error))
    return FALSE;
  if (label_dims[0] != image_dims[0])
    {
      set_error_at (error, CT_DATASET_ERROR_MISMATCH, labels_path, labels->decompressed, 4,
                    "the file holds %u labels; expected %u, one for each image in %s",
                    label_dims[0], image_dims[0], images_path);
      return FALSE;
    }
  for (guint32 i = 0; i < label_dims[0]; i++)
    {
      if (!check_label (labels->data[8 + i], n_classes, labels_path, labels->decompressed,
                        i, 8 + (guint64) i, error))
        return FALSE;
    }

  split->n_images = image_dims[0];
  split->channels = 1;
  split->height = image_dims[1];
  split->width = image_dims[2];
  split->pixels = steal_payload (images, 16);
  split->labels = widen_labels (labels->data + 8, label_dims[0]);

  return TRUE;
}

static GHashTable *
list_directory (const char  *path,
                GError     **error)
{
  g_autoptr(GHashTable) names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GDir) dir = NULL;
  const char *name;

  dir = g_dir_open (path, 0, &local_error);
  if (dir == NULL)
    {
      g_set_error (error, CT_DATASET_ERROR, CT_DATASET_ERROR_MISSING,
                   "%s: cannot open the dataset directory: %s", path, local_error->message);
      return NULL;
    }
  while ((name = g_dir_read_name (dir)) != NULL)
    g_hash_table_add (names, g_strdup (name));

  return g_steal_pointer (&names);
}

/* The * of data_batch_*.bin, or NULL when @name is not a train batch. */
static char *
dup_cifar_batch_id (const char *name)
{
  const char *prefix = "data_batch_";
  const char *suffix = ".bin";
  gsize length = strlen (name);

  if (!g_str_has_prefix (name, prefix) || !g_str_has_suffix (name, suffix)
      || length <= strlen (prefix) + strlen (suffix))
    return NULL;

  return g_strndup (name + strlen (prefix), length - strlen (prefix) - strlen (suffix));
}

static gboolean
is_all_digits (const char *s)
{
  for (; *s != '\0'; s++)
    {
      if (!g_ascii_isdigit (*s))
        return FALSE;
    }
  return TRUE;
}

/* Orders data_batch_2.bin before data_batch_10.bin; other names by bytes. */
static int
compare_cifar_batches (gconstpointer a,
                       gconstpointer b)
{
  const char *path_a = *(const char * const *) a;
  const char *path_b = *(const char * const *) b;
  g_autofree char *base_a = g_path_get_basename (path_a);
  g_autofree char *base_b = g_path_get_basename (path_b);
  g_autofree char *id_a = dup_cifar_batch_id (base_a);
  g_autofree char *id_b = dup_cifar_batch_id (base_b);

  if (is_all_digits (id_a) && is_all_digits (id_b))
    {
      /* Compare numbers as strings, leading zeros aside, so no length overflows. */
      const char *digits_a = id_a + strspn (id_a, "0");
      const char *digits_b = id_b + strspn (id_b, "0");
      gsize length_a = strlen (digits_a);
      gsize length_b = strlen (digits_b);
      int order;

      if (length_a != length_b)
        return length_a < length_b ? -1 : 1;
      order = strcmp (digits_a, digits_b);
      if (order != 0)
        return order;
    }

  return strcmp (base_a, base_b);
}

static gboolean
has_any_idx_file (GHashTable *names)
{
  for (guint i = 0; i < G_N_ELEMENTS (idx_file_stems); i++)
    {
      g_autofree char *gz = g_strconcat (idx_file_stems[i], ".gz", NULL);

      if (g_hash_table_contains (names, idx_file_stems[i]) || g_hash_table_contains (names, gz))
        return TRUE;
    }
  return FALSE;
}

static GPtrArray *
new_path_array (void)
{
  return g_ptr_array_new_with_free_func (g_free);
}

static char *
dup_optional_path (const char  *dir,
                   GHashTable  *names,
                   const char  *name)
{
  return g_hash_table_contains (names, name) ? g_build_filename (dir, name, NULL) : NULL;
}

static gboolean
plan_cifar10 (const char  *dir,
              GHashTable  *names,
              Layout      *layout,
              GError     **error)
{
  GHashTableIter iter;
  gpointer key;

  layout->train_paths = new_path_array ();
  g_hash_table_iter_init (&iter, names);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    {
      g_autofree char *id = dup_cifar_batch_id (key);

      if (id != NULL)
        g_ptr_array_add (layout->train_paths, g_build_filename (dir, key, NULL));
    }
  if (layout->train_paths->len == 0)
    {
      g_set_error (error, CT_DATASET_ERROR, CT_DATASET_ERROR_MISSING,
                   "%s: the train split is missing; expected data_batch_*.bin files", dir);
      return FALSE;
    }
  g_ptr_array_sort (layout->train_paths, compare_cifar_batches);

  if (!g_hash_table_contains (names, "test_batch.bin"))
    {
      g_set_error (error, CT_DATASET_ERROR, CT_DATASET_ERROR_MISSING,
                   "%s: the test split is missing; expected test_batch.bin", dir);
      return FALSE;
    }
  layout->test_paths = new_path_array ();
  g_ptr_array_add (layout->test_paths, g_build_filename (dir, "test_batch.bin", NULL));

  layout->classes_path = dup_optional_path (dir, names, "batches.meta.txt");
  return TRUE;
}

static gboolean
plan_cifar100 (const char  *dir,
               GHashTable  *names,
               Layout      *layout,
               GError     **error)
{
  const char *split_names[] = { "train", "test" };
  const char *file_names[] = { "train.bin", "test.bin" };

  for (guint i = 0; i < G_N_ELEMENTS (file_names); i++)
    {
      if (!g_hash_table_contains (names, file_names[i]))
        {
          g_set_error (error, CT_DATASET_ERROR, CT_DATASET_ERROR_MISSING,
                       "%s: the %s split is missing; expected %s",
                       dir, split_names[i], file_names[i]);
          return FALSE;
        }
    }

  layout->train_paths = new_path_array ();
  g_ptr_array_add (layout->train_paths, g_build_filename (dir, "train.bin", NULL));
  layout->test_paths = new_path_array ();
  g_ptr_array_add (layout->test_paths, g_build_filename (dir, "test.bin", NULL));
  layout->classes_path = dup_optional_path (dir, names, "fine_label_names.txt");
  return TRUE;
}

static gboolean
plan_idx (const char  *dir,
          GHashTable  *names,
          Layout      *layout,
          GError     **error)
{
  g_autoptr(GString) missing = g_string_new (NULL);

  layout->train_paths = new_path_array ();
  layout->test_paths = new_path_array ();

  for (guint i = 0; i < G_N_ELEMENTS (idx_file_stems); i++)
    {
      g_autofree char *gz = g_strconcat (idx_file_stems[i], ".gz", NULL);
      GPtrArray *paths = i < 2 ? layout->train_paths : layout->test_paths;

      /* An uncompressed file wins: it is what a user unpacked on purpose. */
      if (g_hash_table_contains (names, idx_file_stems[i]))
        g_ptr_array_add (paths, g_build_filename (dir, idx_file_stems[i], NULL));
      else if (g_hash_table_contains (names, gz))
        g_ptr_array_add (paths, g_build_filename (dir, gz, NULL));
      else
        g_string_append_printf (missing, "%s%s[.gz]", missing->len > 0 ? ", " : "",
                                idx_file_stems[i]);
    }
  if (missing->len > 0)
    {
      g_set_error (error, CT_DATASET_ERROR, CT_DATASET_ERROR_MISSING,
                   "%s: IDX files are missing; expected %s", dir, missing->str);
      return FALSE;
    }

  layout->classes_path = dup_optional_path (dir, names, "classes.txt");
  return TRUE;
}

/* Decides the kind from the files present and which files to read. */
static gboolean
plan_layout (const char  *dir,
             GHashTable  *names,
             Layout      *layout,
             GError     **error)
{
  g_autofree char *test_name = NULL;
  GHashTableIter iter;
  gpointer key;
  gboolean has_cifar10 = g_hash_table_contains (names, "test_batch.bin");

  g_hash_table_iter_init (&iter, names);
  while (!has_cifar10 && g_hash_table_iter_next (&iter, &key, NULL))
    {
      g_autofree char *id = dup_cifar_batch_id (key);

      has_cifar10 = id != NULL;
    }

  if (has_cifar10)
    {
      layout->kind = CT_DATASET_KIND_CIFAR10;
      return plan_cifar10 (dir, names, layout, error);
    }
  if (g_hash_table_contains (names, "train.bin") || g_hash_table_contains (names, "test.bin"))
    {
      layout->kind = CT_DATASET_KIND_CIFAR100;
      return plan_cifar100 (dir, names, layout, error);
    }
  if (has_any_idx_file (names))
    {
      layout->kind = CT_DATASET_KIND_IDX;
      return plan_idx (dir, names, layout, error);
    }
  test_name = ct_image_folder_dup_test_name (dir);
  if (test_name != NULL)
    {
      layout->kind = CT_DATASET_KIND_IMAGE_FOLDER;
      return TRUE;
    }

  g_set_error (error, CT_DATASET_ERROR, CT_DATASET_ERROR_MISSING,
               "%s: no dataset found; looked for CIFAR-10 (data_batch_*.bin, test_batch.bin), "
               "CIFAR-100 (train.bin, test.bin) and IDX files (train-images-idx3-ubyte, "
               "train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte, "
               "each optionally .gz) and image folders (train/CLASS/IMAGE beside "
               "test/CLASS/IMAGE or val/CLASS/IMAGE)", dir);
  return FALSE;
}

static const char *
dataset_name (CtDatasetKind  kind,
              const char    *abs_path)
{
  g_autofree char *lower = NULL;

  switch (kind)
    {
    case CT_DATASET_KIND_CIFAR10:
      return "cifar-10";
    case CT_DATASET_KIND_CIFAR100:
      return "cifar-100";
    case CT_DATASET_KIND_IDX:
    default:
      lower = g_ascii_strdown (abs_path, -1);
      return strstr (lower, "fashion") != NULL ? "fashion-mnist" : "mnist";
    }
}

static const char * const *
builtin_classes (CtDatasetKind  kind,
                 const char    *name)
{
  switch (kind)
    {
    case CT_DATASET_KIND_CIFAR10:
      return cifar10_classes;
    case CT_DATASET_KIND_CIFAR100:
      return cifar100_classes;
    case CT_DATASET_KIND_IDX:
    default:
      return g_str_equal (name, "fashion-mnist") ? fashion_mnist_classes : mnist_classes;
    }
}

/* One entry (name, size, modification time) per file that the train
 * statistics depend on, or NULL when one cannot be queried. */
static char **
dup_fingerprint (GPtrArray *paths)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  for (guint i = 0; i < paths->len; i++)
    {
      const char *path = g_ptr_array_index (paths, i);
      g_autoptr(GFile) file = g_file_new_for_path (path);
      g_autoptr(GFileInfo) info = NULL;
      g_autofree char *base = g_path_get_basename (path);
      g_autofree char *entry = NULL;

      info = g_file_query_info (file,
                                G_FILE_ATTRIBUTE_STANDARD_SIZE ","
                                G_FILE_ATTRIBUTE_TIME_MODIFIED ","
                                G_FILE_ATTRIBUTE_TIME_MODIFIED_USEC,
                                G_FILE_QUERY_INFO_NONE, NULL, NULL);
      if (info == NULL)
        return NULL;

      entry = g_strdup_printf ("%s %" G_GOFFSET_FORMAT " %" G_GUINT64_FORMAT ".%06u",
                               base, g_file_info_get_size (info),
                               g_file_info_get_attribute_uint64 (info, G_FILE_ATTRIBUTE_TIME_MODIFIED),
                               g_file_info_get_attribute_uint32 (info, G_FILE_ATTRIBUTE_TIME_MODIFIED_USEC));
      g_strv_builder_add (builder, entry);
    }

  return g_strv_builder_end (builder);
}

static char *
dup_stats_cache_path (const char *abs_path)
{
  g_autofree char *hash = g_compute_checksum_for_string (G_CHECKSUM_SHA256, abs_path, -1);
  g_autofree char *file_name = g_strconcat (hash, ".ini", NULL);

  return g_build_filename (g_get_user_cache_dir (), "camtrail", "stats", file_name, NULL);
}

static gboolean
stats_cache_lookup (const char         *cache_path,
                    const char * const *fingerprint,
                    guint               channels,
                    float              *mean,
                    float              *std)
{
  g_autoptr(GKeyFile) key_file = g_key_file_new ();
  g_auto(GStrv) stored = NULL;
  g_autofree double *stored_mean = NULL;
  g_autofree double *stored_std = NULL;
  gsize n_mean = 0;
  gsize n_std = 0;

  if (!g_key_file_load_from_file (key_file, cache_path, G_KEY_FILE_NONE, NULL)
      || g_key_file_get_integer (key_file, STATS_GROUP, "version", NULL) != STATS_CACHE_VERSION)
    return FALSE;

  stored = g_key_file_get_string_list (key_file, STATS_GROUP, "files", NULL, NULL);
  if (stored == NULL || !g_strv_equal ((const char * const *) stored, fingerprint))
    return FALSE;

  stored_mean = g_key_file_get_double_list (key_file, STATS_GROUP, "mean", &n_mean, NULL);
  stored_std = g_key_file_get_double_list (key_file, STATS_GROUP, "std", &n_std, NULL);
  if (stored_mean == NULL || stored_std == NULL || n_mean != channels || n_std != channels)
    return FALSE;

  /* Written as negations so that NaN fails too. */
  for (guint c = 0; c < channels; c++)
    {
      if (!(stored_mean[c] >= 0.0 && stored_mean[c] <= 1.0)
          || !(stored_std[c] >= 0.0 && stored_std[c] <= 0.5))
        return FALSE;
    }

  for (guint c = 0; c < channels; c++)
    {
      mean[c] = (float) stored_mean[c];
      std[c] = (float) stored_std[c];
    }
  return TRUE;
}

/* A cache that cannot be written only costs time on the next load. */
static void
stats_cache_store (const char         *cache_path,
                   const char         *abs_path,
                   const char * const *fingerprint,
                   guint               channels,
                   const float        *mean,
                   const float        *std)
{
  g_autoptr(GKeyFile) key_file = g_key_file_new ();
  g_autoptr(GError) local_error = NULL;
  g_autofree char *dir = g_path_get_dirname (cache_path);
  double mean_values[3];
  double std_values[3];

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      g_debug ("Not caching dataset statistics: cannot create %s: %s", dir, g_strerror (errno));
      return;
    }

  for (guint c = 0; c < channels; c++)
    {
      mean_values[c] = mean[c];
      std_values[c] = std[c];
    }
  g_key_file_set_integer (key_file, STATS_GROUP, "version", STATS_CACHE_VERSION);
  g_key_file_set_string (key_file, STATS_GROUP, "path", abs_path);
  g_key_file_set_string_list (key_file, STATS_GROUP, "files", fingerprint,
                              g_strv_length ((char **) fingerprint));
  g_key_file_set_double_list (key_file, STATS_GROUP, "mean", mean_values, channels);
  g_key_file_set_double_list (key_file, STATS_GROUP, "std", std_values, channels);

  if (!g_key_file_save_to_file (key_file, cache_path, &local_error))
    g_debug ("Not caching dataset statistics: %s", local_error->message);
}

static void
load_stats (CtDataset  *self,
            char      **fingerprint)
{
  g_autofree char *cache_path = dup_stats_cache_path (self->path);
  guint channels = self->train.channels;

  if (fingerprint != NULL
      && stats_cache_lookup (cache_path, (const char * const *) fingerprint, channels,
                             self->mean, self->std))
    return;

  ct_split_compute_stats (&self->train, self->mean, self->std);
  if (fingerprint != NULL)
    stats_cache_store (cache_path, self->path, (const char * const *) fingerprint,
                       channels, self->mean, self->std);
}

CtDataset *
ct_dataset_load (const char  *path,
                 GError     **error)
{
  return ct_dataset_load_full (path, NULL, error);
}

CtDataset *
ct_dataset_load_full (const char              *path,
                      const CtDatasetOptions  *options,
                      GError                 **error)
{
  g_autoptr(CtDataset) self = NULL;
  g_autoptr(GHashTable) names = NULL;
  g_auto(Layout) layout = { 0 };
  g_auto(GStrv) fingerprint = NULL;
  g_autofree char *resolved = NULL;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  self = g_new0 (CtDataset, 1);
  resolved = ct_dataset_resolve_path (path);
  self->path = g_canonicalize_filename (resolved, NULL);

  names = list_directory (self->path, error);
  if (names == NULL || !plan_layout (self->path, names, &layout, error))
    return NULL;

  self->kind = layout.kind;
  if (self->kind == CT_DATASET_KIND_IMAGE_FOLDER)
    {
      g_autofree char *key = NULL;

      self->name = g_path_get_basename (self->path);
      if (!ct_image_folder_load (self, options, &key, error))
        return NULL;
      /* The cache's key fingerprints the files the statistics come from. */
      fingerprint = g_new0 (char *, 2);
      fingerprint[0] = g_strdup_printf ("%s %u %u", key, self->train.channels, self->train.height);
      load_stats (self, fingerprint);
      return g_steal_pointer (&self);
    }
  self->name = g_strdup (dataset_name (self->kind, self->path));

  /* Taken before reading, so a file changed during the load is not cached
   * under its new fingerprint with statistics of its old contents. */
  fingerprint = dup_fingerprint (layout.train_paths);

  if (layout.classes_path != NULL)
    {
      self->classes = read_class_names (layout.classes_path, error);
      if (self->classes == NULL)
        return NULL;
    }
  else
    {
      self->classes = g_strdupv ((char **) builtin_classes (self->kind, self->name));
    }
  self->n_classes = g_strv_length (self->classes);

  if (self->kind == CT_DATASET_KIND_IDX)
    {
      if (!load_idx_split (g_ptr_array_index (layout.train_paths, 0),
                           g_ptr_array_index (layout.train_paths, 1),
                           NULL, self->n_classes, &self->train, error)
          || !load_idx_split (g_ptr_array_index (layout.test_paths, 0),
                              g_ptr_array_index (layout.test_paths, 1),
                              &self->train, self->n_classes, &self->test, error))
        return NULL;
    }
  else
    {
      /* CIFAR-100 records carry the coarse label first; the fine one is used. */
      gsize label_offset = self->kind == CT_DATASET_KIND_CIFAR100 ? 1 : 0;

      if (!load_cifar_split (layout.train_paths, label_offset, self->n_classes, &self->train, error)
          || !load_cifar_split (layout.test_paths, label_offset, self->n_classes, &self->test, error))
        return NULL;
    }

  load_stats (self, fingerprint);

  return g_steal_pointer (&self);
}


void
ct_dataset_free (CtDataset *self)
{
  if (self == NULL)
    return;

  g_free (self->path);
  g_free (self->name);
  g_strfreev (self->classes);
  g_strfreev (self->skipped);
  /* A mapping owns the splits' pixels; labels are always the dataset's own. */
  if (self->mapping != NULL)
    g_mapped_file_unref (self->mapping);
  else
    {
      g_free (self->train.pixels);
      g_free (self->test.pixels);
    }
  g_free (self->train.labels);
  g_free (self->test.labels);
  g_free (self);
}

char *
ct_dataset_resolve_path (const char *path)
{
  g_return_val_if_fail (path != NULL, NULL);

  if (g_str_equal (path, "fashion-mnist"))
    {
      const char *elsewhere = g_getenv ("CAMTRAIL_FASHION_MNIST_DIR");

      return g_strdup (elsewhere != NULL && *elsewhere != '\0' ? elsewhere
                                                              : CT_DATASET_FASHION_MNIST_DIR);
    }

  return g_strdup (path);
}

gsize
ct_split_image_size (const CtSplit *split)
{
  g_return_val_if_fail (split != NULL, 0);

  return (gsize) split->channels * split->height * split->width;
}

const guint8 *
ct_split_image (const CtSplit *split,
                guint          index)
{
  g_return_val_if_fail (split != NULL, NULL);
  g_return_val_if_fail (index < split->n_images, NULL);

  return split->pixels + index * ct_split_image_size (split);
}

#define STATS_BLOCK 1024

/* Adds STATS_BLOCK bytes and their squares.  The fixed trip count lets GCC
 * vectorise this at -O2; 32-bit sums cannot overflow: 1024 × 255² < 2^32. */
static void
accumulate_block (const guint8 *p,
                  guint32      *sum,
                  guint32      *sum_sq)
{
  guint32 block_sum = 0;
  guint32 block_sum_sq = 0;

  for (guint k = 0; k < STATS_BLOCK; k++)
    {
      block_sum += p[k];
      block_sum_sq += (guint32) p[k] * p[k];
    }
  *sum = block_sum;
  *sum_sq = block_sum_sq;
}

static void
accumulate_bytes (const guint8 *p,
                  gsize         n,
                  guint64      *sum,
                  guint64      *sum_sq)
{
  for (; n >= STATS_BLOCK; p += STATS_BLOCK, n -= STATS_BLOCK)
    {
      guint32 block_sum;
      guint32 block_sum_sq;

      accumulate_block (p, &block_sum, &block_sum_sq);
      *sum += block_sum;
      *sum_sq += block_sum_sq;
    }
  for (gsize k = 0; k < n; k++)
    {
      *sum += p[k];
      *sum_sq += (guint32) p[k] * p[k];
    }
}

void
ct_split_compute_stats (const CtSplit *split,
                        float         *mean,
                        float         *std)
{
  gsize plane;
  gsize image_size;

  g_return_if_fail (split != NULL);
  g_return_if_fail (mean != NULL && std != NULL);

  plane = (gsize) split->height * split->width;
  image_size = ct_split_image_size (split);

  for (guint c = 0; c < split->channels; c++)
    {
      guint64 sum = 0;
      guint64 sum_sq = 0;
      double count = (double) split->n_images * (double) plane;
      double m;
      double variance;

      if (count == 0)
        {
          mean[c] = 0.0f;
          std[c] = 0.0f;
          continue;
        }

      for (guint i = 0; i < split->n_images; i++)
        accumulate_bytes (split->pixels + i * image_size + c * plane, plane, &sum, &sum_sq);

      /* The sums are exact integers, so E[x²] − E[x]² loses nothing that
       * matters at the 1e-7 precision of a float. */
      m = (double) sum / count;
      variance = MAX ((double) sum_sq / count - m * m, 0.0);
      mean[c] = (float) (m / 255.0);
      std[c] = (float) (sqrt (variance) / 255.0);
    }
}
