/* SPDX-License-Identifier: GPL-3.0-or-later */
/* fdopen, fsync and st_mtim (nanosecond modification times) are POSIX. */
#define _POSIX_C_SOURCE 200809L
#define G_LOG_DOMAIN "ct-image-folder"

#include "ct-image-folder.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <stdarg.h>

#include "ct-image-file.h"

/* Bumped whenever the cache file's layout or the decoding rules change
 * (2: labels are little-endian uint16, no longer bytes). */
#define CACHE_VERSION 2
#define CACHE_MAGIC "CTIMGFLD"
/* Pixels start on a page, so every image of a split is page-friendly. */
#define CACHE_HEADER_SIZE 4096
/* os.walk(followlinks=True) follows linked folders; a cycle stops here. */
#define MAX_FOLDER_DEPTH 64
/* A cache claiming a larger side is corrupt (train takes at most 4096). */
#define CACHE_MAX_SIDE 65536

const char * const ct_image_folder_extensions[] = {
  ".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp", NULL
};

/* The cache file's header, in host byte order: it is a cache, made and
 * read on one machine.  The labels after the pixels are little-endian
 * uint16s, read into the splits one by one. */
typedef struct
{
  char     magic[8];
  guint32  version;
  guint32  channels;
  guint32  side;
  guint32  default_side;     /* what image_size 0 means for this file list */
  guint32  n_classes;
  guint32  n_train;
  guint32  n_test;
  guint32  n_skipped;
  guint64  skipped_offset;   /* "PATH: reason\n" lines */
  guint64  skipped_length;
  guint64  file_size;
  char     key[65];          /* hex SHA-256 of the file list, sizes and times */
} CacheHeader;

G_STATIC_ASSERT (sizeof (CacheHeader) <= CACHE_HEADER_SIZE);
G_STATIC_ASSERT (G_STRUCT_OFFSET (CacheHeader, key) == CT_IMAGE_FOLDER_CACHE_KEY_OFFSET);

typedef struct
{
  char    *relative;         /* "train/cat/001.png" */
  guint16  label;
  gboolean test;
  gboolean skipped;
} Entry;

static void
entry_free (Entry *entry)
{
  g_free (entry->relative);
  g_free (entry);
}

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

static gboolean
has_image_extension (const char *name)
{
  g_autofree char *lower = g_ascii_strdown (name, -1);

  for (guint i = 0; ct_image_folder_extensions[i] != NULL; i++)
    if (g_str_has_suffix (lower, ct_image_folder_extensions[i]))
      return TRUE;

  return FALSE;
}

char *
ct_image_folder_dup_test_name (const char *dir)
{
  g_autofree char *train = g_build_filename (dir, "train", NULL);
  static const char * const names[] = { "test", "val" };

  if (!g_file_test (train, G_FILE_TEST_IS_DIR))
    return NULL;
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *test = g_build_filename (dir, names[i], NULL);

      if (g_file_test (test, G_FILE_TEST_IS_DIR))
        return g_strdup (names[i]);
    }

  return NULL;
}

/* Entry names of @path, sorted, split into folders (following links, as
 * os.scandir's is_dir() and os.walk(followlinks=True) do) and the rest. */
static gboolean
list_sorted (const char  *path,
             GPtrArray   *folders,
             GPtrArray   *files,
             GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GDir) dir = g_dir_open (path, 0, &local_error);
  const char *name;

  if (dir == NULL)
    {
      g_set_error (error, CT_DATASET_ERROR, CT_DATASET_ERROR_MISSING,
                   "%s: cannot list the folder: %s", path, local_error->message);
      return FALSE;
    }
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR))
        {
          if (folders != NULL)
            g_ptr_array_add (folders, g_strdup (name));
        }
      else if (files != NULL)
        g_ptr_array_add (files, g_strdup (name));
    }
  if (folders != NULL)
    g_ptr_array_sort (folders, compare_strings);
  if (files != NULL)
    g_ptr_array_sort (files, compare_strings);
  return TRUE;
}

/* Every folder under @relative (itself included), as os.walk visits them;
 * torchvision sorts os.walk's tuples, so by the folders' whole paths. */
static gboolean
collect_folders (const char  *root,
                 const char  *relative,
                 guint        depth,
                 GPtrArray   *out,
                 GError     **error)
{
  g_autoptr(GPtrArray) children = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *path = g_build_filename (root, relative, NULL);

  if (depth > MAX_FOLDER_DEPTH)
    {
      g_set_error (error, CT_DATASET_ERROR, CT_DATASET_ERROR_FORMAT,
                   "%s: folders nest more than %d deep (a link to a folder above?)",
                   path, MAX_FOLDER_DEPTH);
      return FALSE;
    }
  g_ptr_array_add (out, g_strdup (relative));
  if (!list_sorted (path, children, NULL, error))
    return FALSE;
  for (guint i = 0; i < children->len; i++)
    {
      g_autofree char *child = g_build_filename (relative, (char *) children->pdata[i], NULL);

      if (!collect_folders (root, child, depth + 1, out, error))
        return FALSE;
    }

  return TRUE;
}

GPtrArray *
ct_image_folder_list (const char   *dir,
                      const char   *split,
                      char       ***out_classes,
                      GArray       *labels,
                      GError      **error)
{
  g_autoptr(GPtrArray) classes = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) result = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *split_path = g_build_filename (dir, split, NULL);

  g_return_val_if_fail (dir != NULL && split != NULL, NULL);

  if (!list_sorted (split_path, classes, NULL, error))
    return NULL;
  if (classes->len == 0)
    {
      g_set_error (error, CT_DATASET_ERROR, CT_DATASET_ERROR_MISSING,
                   "%s: no class folders; expected %s/CLASS/IMAGE files", split_path, split);
      return NULL;
    }
  if (classes->len > CT_DATASET_MAX_CLASSES)
    {
      g_set_error (error, CT_DATASET_ERROR, CT_DATASET_ERROR_FORMAT,
                   "%s: %u class folders; Camtrail takes at most %d classes",
                   split_path, classes->len, CT_DATASET_MAX_CLASSES);
      return NULL;
    }

  for (guint label = 0; label < classes->len; label++)
    {
      g_autoptr(GPtrArray) folders = g_ptr_array_new_with_free_func (g_free);
      g_autofree char *class_relative = g_build_filename (split, (char *) classes->pdata[label], NULL);
      guint before = result->len;

      if (!collect_folders (dir, class_relative, 0, folders, error))
        return NULL;
      g_ptr_array_sort (folders, compare_strings);
      for (guint f = 0; f < folders->len; f++)
        {
          g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func (g_free);
          g_autofree char *folder_path = g_build_filename (dir, (char *) folders->pdata[f], NULL);

          if (!list_sorted (folder_path, NULL, files, error))
            return NULL;
          for (guint i = 0; i < files->len; i++)
            {
              if (!has_image_extension (files->pdata[i]))
                continue;
              g_ptr_array_add (result, g_build_filename ((char *) folders->pdata[f],
                                                         (char *) files->pdata[i], NULL));
              if (labels != NULL)
                g_array_append_val (labels, (guint16) { label });
            }
        }
      /* torchvision refuses a class folder without images, and so do we. */
      if (result->len == before)
        {
          g_set_error (error, CT_DATASET_ERROR, CT_DATASET_ERROR_MISSING,
                       "%s/%s: no image files (%s…) in this class folder",
                       split_path, (char *) classes->pdata[label], ".png, .jpg, .jpeg");
          return NULL;
        }
    }

  if (out_classes != NULL)
    {
      g_ptr_array_add (classes, NULL);
      *out_classes = (char **) g_ptr_array_free (g_steal_pointer (&classes), FALSE);
    }
  return g_steal_pointer (&result);
}

char *
ct_image_folder_dup_cache_path (const char *abs_path,
                                guint       image_size)
{
  g_autofree char *hash = g_compute_checksum_for_string (G_CHECKSUM_SHA256, abs_path, -1);
  g_autofree char *file_name = image_size != 0 ? g_strdup_printf ("%s-%u.cache", hash, image_size)
                                               : g_strconcat (hash, ".cache", NULL);

  return g_build_filename (g_get_user_cache_dir (), "camtrail", "image-folders", file_name, NULL);
}

/* Lists both splits and fingerprints them: every file's path, size and
 * modification time (to the nanosecond) go into the key. */
static GPtrArray *
plan_entries (CtDataset  *self,
              char      **out_key,
              GError    **error)
{
  g_autoptr(GPtrArray) entries = g_ptr_array_new_with_free_func ((GDestroyNotify) entry_free);
  g_autoptr(GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);
  g_autofree char *test_name = ct_image_folder_dup_test_name (self->path);
  const char *splits[2] = { "train", test_name };
  g_auto(GStrv) test_classes = NULL;

  g_checksum_update (checksum, (const guchar *) "camtrail image folder\n", -1);
  for (guint s = 0; s < 2; s++)
    {
      g_autoptr(GArray) labels = g_array_new (FALSE, FALSE, sizeof (guint16));
      g_autoptr(GPtrArray) files = NULL;

      files = ct_image_folder_list (self->path, splits[s], s == 0 ? &self->classes : &test_classes,
                                    labels, error);
      if (files == NULL)
        return NULL;
      for (guint i = 0; i < files->len; i++)
        {
          Entry *entry = g_new0 (Entry, 1);
          g_autofree char *path = g_build_filename (self->path, (char *) files->pdata[i], NULL);
          g_autofree char *line = NULL;
          struct stat info;

          entry->relative = g_strdup (files->pdata[i]);
          entry->label = g_array_index (labels, guint16, i);
          entry->test = s == 1;
          g_ptr_array_add (entries, entry);
          /* A file that cannot be queried is refused (or skipped) when read. */
          if (g_stat (path, &info) != 0)
            memset (&info, 0, sizeof info);
          line = g_strdup_printf ("%s\n%" G_GINT64_FORMAT " %" G_GINT64_FORMAT ".%09ld\n",
                                  entry->relative, (gint64) info.st_size,
                                  (gint64) info.st_mtim.tv_sec, (long) info.st_mtim.tv_nsec);
          g_checksum_update (checksum, (const guchar *) line, -1);
        }
    }

  self->n_classes = g_strv_length (self->classes);
  if (!g_strv_equal ((const char * const *) self->classes, (const char * const *) test_classes))
    {
      g_set_error (error, CT_DATASET_ERROR, CT_DATASET_ERROR_MISMATCH,
                   "%s: the class folders of %s differ from those of train (%u against %u, "
                   "or other names); labels would not mean the same",
                   self->path, test_name, g_strv_length (test_classes), self->n_classes);
      return NULL;
    }

  *out_key = g_strdup (g_checksum_get_string (checksum));
  return g_steal_pointer (&entries);
}

static void
report (const CtDatasetOptions *options,
        guint                   done,
        guint                   total)
{
  if (options->progress != NULL)
    options->progress (done, total, options->user_data);
}

/* A bad image fails the load, or with skip_bad is listed and left out. */
static gboolean
refuse_or_skip (const CtDatasetOptions *options,
                Entry                  *entry,
                GError                 *image_error,
                GString                *skipped,
                GError                **error)
{
  if (!options->skip_bad)
    {
      g_set_error (error, CT_DATASET_ERROR, CT_DATASET_ERROR_IMAGE, "%s%s",
                   image_error->message,
                   " (--skip-bad leaves such images out)");
      return FALSE;
    }
  entry->skipped = TRUE;
  g_string_append_printf (skipped, "%s: %s\n", entry->relative,
                          strstr (image_error->message, ": ") != NULL
                          ? strstr (image_error->message, ": ") + 2 : image_error->message);
  return TRUE;
}

static gboolean
write_all (FILE        *file,
           const void  *data,
           gsize        size,
           const char  *path,
           GError     **error)
{
  if (size == 0 || fwrite (data, 1, size, file) == size)
    return TRUE;

  g_set_error (error, CT_DATASET_ERROR, CT_DATASET_ERROR_CACHE,
               "%s: cannot write the image cache: %s", path, g_strerror (errno));
  return FALSE;
}

typedef struct
{
  char *temp_path;
  FILE *file;
} TempFile;

static void
temp_file_clear (TempFile *temp)
{
  if (temp->file != NULL)
    fclose (temp->file);
  if (temp->temp_path != NULL)
    g_unlink (temp->temp_path);
  g_free (temp->temp_path);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (TempFile, temp_file_clear)

/* Reads every header (sizes, grey or not), decides the side, then decodes
 * the images one at a time into a temporary file renamed into place: only
 * one image is ever in memory. */
static gboolean
build_cache (CtDataset               *self,
             const CtDatasetOptions  *options,
             GPtrArray               *entries,
             const char              *key,
             const char              *cache_path,
             GError                 **error)
{
  g_auto(TempFile) temp = { NULL, NULL };
  g_autoptr(GString) skipped = g_string_new (NULL);
  g_autoptr(GArray) train_labels = g_array_new (FALSE, FALSE, sizeof (guint16));
  g_autoptr(GArray) test_labels = g_array_new (FALSE, FALSE, sizeof (guint16));
  GArray *labels[2] = { train_labels, test_labels };
  g_autofree char *dir = g_path_get_dirname (cache_path);
  g_autofree guint8 *fitted = NULL;
  CacheHeader header = { 0 };
  guint total = entries->len * 2;
  guint first_width = 0, first_height = 0;
  gboolean same_size = TRUE;
  gboolean all_grey = TRUE;
  gsize image_size;
  guint16 little_endian;
  int fd;

  for (guint i = 0; i < entries->len; i++)
    {
      Entry *entry = entries->pdata[i];
      g_autofree char *path = g_build_filename (self->path, entry->relative, NULL);
      g_autoptr(GError) image_error = NULL;
      g_auto(CtRawImage) image = { 0 };

      report (options, i, total);
      if (!ct_image_file_read (path, TRUE, &image, &image_error))
        {
          if (!refuse_or_skip (options, entry, image_error, skipped, error))
            return FALSE;
          continue;
        }
      if (first_width == 0)
        {
          first_width = image.width;
          first_height = image.height;
        }
      same_size = same_size && image.width == first_width && image.height == first_height;
      all_grey = all_grey && image.channels == 1;
    }

  memcpy (header.magic, CACHE_MAGIC, sizeof header.magic);
  header.version = CACHE_VERSION;
  header.default_side = same_size && first_width == first_height && first_width > 0
                        ? first_width : CT_IMAGE_FOLDER_DEFAULT_SIDE;
  header.side = options->image_size != 0 ? options->image_size : header.default_side;
  header.channels = all_grey ? 1 : 3;
  header.n_classes = self->n_classes;
  g_strlcpy (header.key, key, sizeof header.key);
  image_size = (gsize) header.channels * header.side * header.side;
  fitted = g_malloc (image_size);

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      g_set_error (error, CT_DATASET_ERROR, CT_DATASET_ERROR_CACHE,
                   "%s: cannot create the image cache folder: %s", dir, g_strerror (errno));
      return FALSE;
    }
  temp.temp_path = g_strconcat (cache_path, ".XXXXXX", NULL);
  fd = g_mkstemp_full (temp.temp_path, O_RDWR, 0600);
  if (fd < 0)
    {
      g_set_error (error, CT_DATASET_ERROR, CT_DATASET_ERROR_CACHE,
                   "%s: cannot create the image cache: %s", temp.temp_path, g_strerror (errno));
      g_clear_pointer (&temp.temp_path, g_free);
      return FALSE;
    }
  temp.file = fdopen (fd, "w+b");
  if (temp.file == NULL || fseek (temp.file, CACHE_HEADER_SIZE, SEEK_SET) != 0)
    {
      if (temp.file == NULL)
        close (fd);
      g_set_error (error, CT_DATASET_ERROR, CT_DATASET_ERROR_CACHE,
                   "%s: cannot write the image cache: %s", temp.temp_path, g_strerror (errno));
      return FALSE;
    }

  /* Train images first, then test: entries are in that order. */
  for (guint i = 0; i < entries->len; i++)
    {
      Entry *entry = entries->pdata[i];
      g_autofree char *path = g_build_filename (self->path, entry->relative, NULL);
      g_autoptr(GError) image_error = NULL;
      g_auto(CtRawImage) image = { 0 };

      report (options, entries->len + i, total);
      if (entry->skipped)
        continue;
      if (!ct_image_file_read (path, FALSE, &image, &image_error))
        {
          if (!refuse_or_skip (options, entry, image_error, skipped, error))
            return FALSE;
          continue;
        }
      ct_image_fit (&image, header.side, header.channels, fitted);
      if (!write_all (temp.file, fitted, image_size, temp.temp_path, error))
        return FALSE;
      little_endian = GUINT16_TO_LE (entry->label);
      g_array_append_val (labels[entry->test], little_endian);
    }
  report (options, total, total);

  header.n_train = labels[0]->len;
  header.n_test = labels[1]->len;
  if (header.n_train == 0 || header.n_test == 0)
    {
      g_set_error (error, CT_DATASET_ERROR, CT_DATASET_ERROR_IMAGE,
                   "%s: no readable images left in the %s split", self->path,
                   header.n_train == 0 ? "train" : "test");
      return FALSE;
    }
  for (const char *p = skipped->str; *p != '\0'; p++)
    header.n_skipped += *p == '\n';
  header.skipped_offset = CACHE_HEADER_SIZE + (guint64) (header.n_train + header.n_test) * image_size
                          + (guint64) (header.n_train + header.n_test) * sizeof (guint16);
  header.skipped_length = skipped->len;
  header.file_size = header.skipped_offset + skipped->len;

  if (!write_all (temp.file, labels[0]->data, labels[0]->len * sizeof (guint16), temp.temp_path,
                  error)
      || !write_all (temp.file, labels[1]->data, labels[1]->len * sizeof (guint16), temp.temp_path,
                     error)
      || !write_all (temp.file, skipped->str, skipped->len, temp.temp_path, error))
    return FALSE;
  if (fseek (temp.file, 0, SEEK_SET) != 0
      || !write_all (temp.file, &header, sizeof header, temp.temp_path, error))
    return FALSE;
  if (fflush (temp.file) != 0 || fsync (fileno (temp.file)) != 0 || fclose (temp.file) != 0)
    {
      temp.file = NULL;
      g_set_error (error, CT_DATASET_ERROR, CT_DATASET_ERROR_CACHE,
                   "%s: cannot write the image cache: %s", temp.temp_path, g_strerror (errno));
      return FALSE;
    }
  temp.file = NULL;
  if (g_rename (temp.temp_path, cache_path) != 0)
    {
      g_set_error (error, CT_DATASET_ERROR, CT_DATASET_ERROR_CACHE,
                   "%s: cannot rename the image cache into place: %s", cache_path,
                   g_strerror (errno));
      return FALSE;
    }
  g_clear_pointer (&temp.temp_path, g_free);
  return TRUE;
}

/* Sets *@reason (nullable) to why a cache cannot be used; returns FALSE. */
G_GNUC_PRINTF (2, 3)
static gboolean
unusable (char       **reason,
          const char  *format,
          ...)
{
  va_list args;

  if (reason == NULL)
    return FALSE;
  va_start (args, format);
  *reason = g_strdup_vprintf (format, args);
  va_end (args);
  return FALSE;
}

gboolean
ct_image_folder_read_cache (CtDataset              *self,
                            const CtDatasetOptions *options,
                            const char             *key,
                            const guint8           *data,
                            gsize                   size,
                            char                  **reason)
{
  const CacheHeader *header = (const CacheHeader *) data;
  CtSplit *splits[2] = { &self->train, &self->test };
  g_autofree guint16 *train_labels = NULL;
  g_autofree guint16 *test_labels = NULL;
  guint16 *labels[2];
  guint counts[2];
  guint64 image_size, n_images, pixels_size, labels_end;
  guint64 offset;
  guint side;

  g_return_val_if_fail (self != NULL && options != NULL && key != NULL, FALSE);

  if (data == NULL || size < CACHE_HEADER_SIZE || memcmp (header->magic, CACHE_MAGIC, 8) != 0)
    return unusable (reason, "not an image cache (no header)");
  if (header->version != CACHE_VERSION)
    return unusable (reason, "made by another version of Camtrail (cache version %u, this one reads %u)",
                     header->version, CACHE_VERSION);
  if (header->key[64] != '\0' || strcmp (header->key, key) != 0)
    return unusable (reason, "the folder's files changed since it was made");
  if (header->file_size != size)
    return unusable (reason, "it holds %" G_GSIZE_FORMAT " bytes, its header says %" G_GUINT64_FORMAT
                     ": cut short or overwritten", size, header->file_size);
  if (header->n_classes != self->n_classes)
    return unusable (reason, "made for %u classes, the folder has %u", header->n_classes, self->n_classes);
  side = options->image_size != 0 ? options->image_size : header->default_side;
  if (header->side == 0 || header->side > CACHE_MAX_SIDE || header->side != side)
    return unusable (reason, "its images are %u pixels square, %u were asked for", header->side, side);
  if (header->n_skipped > 0 && !options->skip_bad)
    return unusable (reason, "it skipped %u unreadable images and skipping was not asked for",
                     header->n_skipped);
  if ((header->channels != 1 && header->channels != 3) || header->n_train == 0 || header->n_test == 0)
    return unusable (reason, "damaged header (%u channels, %u train and %u test images)",
                     header->channels, header->n_train, header->n_test);

  /* Every size from the header is checked against the file before use. */
  image_size = (guint64) header->channels * header->side * header->side;
  n_images = (guint64) header->n_train + header->n_test;
  if (!g_uint64_checked_mul (&pixels_size, n_images, image_size)
      || pixels_size > size - CACHE_HEADER_SIZE
      || n_images > (size - CACHE_HEADER_SIZE - pixels_size) / sizeof (guint16))
    return unusable (reason, "damaged header: %" G_GUINT64_FORMAT " images do not fit in %" G_GSIZE_FORMAT
                     " bytes", n_images, size);
  labels_end = CACHE_HEADER_SIZE + pixels_size + n_images * sizeof (guint16);
  if (header->skipped_offset != labels_end || header->skipped_length != size - labels_end)
    return unusable (reason, "damaged header: the skipped images' list is not where the labels end");

  /* The labels are copied out (2 bytes an image), so that they are aligned
   * and in host order whatever the pixels' size and the machine. */
  counts[0] = header->n_train;
  counts[1] = header->n_test;
  labels[0] = train_labels = g_new (guint16, counts[0]);
  labels[1] = test_labels = g_new (guint16, counts[1]);
  offset = CACHE_HEADER_SIZE + pixels_size;
  for (guint s = 0; s < 2; s++)
    for (guint i = 0; i < counts[s]; i++, offset += sizeof (guint16))
      {
        guint16 little_endian;

        memcpy (&little_endian, data + offset, sizeof little_endian);
        labels[s][i] = GUINT16_FROM_LE (little_endian);
        if (labels[s][i] >= self->n_classes)
          return unusable (reason, "damaged: %s image %u has label %u of %u classes",
                           s == 0 ? "train" : "test", i, labels[s][i], self->n_classes);
      }

  offset = CACHE_HEADER_SIZE;
  for (guint s = 0; s < 2; s++)
    {
      splits[s]->n_images = counts[s];
      splits[s]->channels = header->channels;
      splits[s]->height = header->side;
      splits[s]->width = header->side;
      splits[s]->pixels = (guint8 *) data + offset;
      offset += counts[s] * image_size;
    }
  self->train.labels = g_steal_pointer (&train_labels);
  self->test.labels = g_steal_pointer (&test_labels);
  if (header->n_skipped > 0)
    {
      g_autofree char *text = g_strndup ((const char *) data + labels_end, header->skipped_length);

      g_strchomp (text);
      self->skipped = g_strsplit (text, "\n", -1);
    }
  else
    self->skipped = g_new0 (char *, 1);

  return TRUE;
}

/* Maps @cache_path and reads it (ct_image_folder_read_cache()); FALSE,
 * and nothing set, when it cannot be used; *@reason (nullable) then says
 * why, unless there is no cache file at all. */
static gboolean
map_cache (CtDataset              *self,
           const CtDatasetOptions *options,
           const char             *key,
           const char             *cache_path,
           char                  **reason)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GMappedFile) mapping = g_mapped_file_new (cache_path, FALSE, &error);

  if (mapping == NULL)
    {
      if (!g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        unusable (reason, "%s", error->message);
      return FALSE;
    }
  if (!ct_image_folder_read_cache (self, options, key,
                                   (const guint8 *) g_mapped_file_get_contents (mapping),
                                   g_mapped_file_get_length (mapping), reason))
    return FALSE;

  self->mapping = g_steal_pointer (&mapping);
  return TRUE;
}

gboolean
ct_image_folder_load (CtDataset               *self,
                      const CtDatasetOptions  *options,
                      char                   **out_key,
                      GError                 **error)
{
  static const CtDatasetOptions defaults = { 0 };
  g_autoptr(GPtrArray) entries = NULL;
  g_autofree char *cache_path = NULL;
  g_autofree char *key = NULL;
  g_autofree char *reason = NULL;

  g_return_val_if_fail (self != NULL && self->path != NULL, FALSE);

  if (options == NULL)
    options = &defaults;

  entries = plan_entries (self, &key, error);
  if (entries == NULL)
    return FALSE;

  cache_path = ct_image_folder_dup_cache_path (self->path, options->image_size);
  if (!map_cache (self, options, key, cache_path, &reason))
    {
      /* A cache is disposable: an unusable one is rebuilt, and why is
       * logged (G_MESSAGES_DEBUG=all). */
      if (reason != NULL)
        g_debug ("Rebuilding the image cache %s of %s: %s", cache_path, self->path, reason);
      g_clear_pointer (&reason, g_free);
      if (!build_cache (self, options, entries, key, cache_path, error))
        return FALSE;
      if (!map_cache (self, options, key, cache_path, &reason))
        {
          g_set_error (error, CT_DATASET_ERROR, CT_DATASET_ERROR_CACHE,
                       "%s: the image cache just written cannot be read back: %s", cache_path,
                       reason != NULL ? reason : "it is gone");
          return FALSE;
        }
    }

  *out_key = g_steal_pointer (&key);
  return TRUE;
}
