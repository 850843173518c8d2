/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "ct-dataset.h"

G_BEGIN_DECLS

/* Image folders in torchvision's ImageFolder layout (DIR/train/CLASS/…,
 * DIR/test/CLASS/… or DIR/val/CLASS/…), decoded once into a cache file
 * that the dataset's splits map.  ct_dataset_load() calls these;
 * docs/IMAGE-FOLDERS.md describes the rules. */

/* The extensions torchvision's ImageFolder accepts (IMG_EXTENSIONS),
 * compared case-insensitively with the end of a file name. */
extern const char * const ct_image_folder_extensions[];

/* Side used when the images do not all share one square size. */
#define CT_IMAGE_FOLDER_DEFAULT_SIDE 224

/* The test split's folder in @dir ("test", else "val"), or NULL when @dir
 * is not an image folder (no "train" folder beside one of them).
 * Returns: (transfer full) (nullable). */
char     *ct_image_folder_dup_test_name (const char              *dir);

/* The files of one split in ImageFolder's order, relative to @dir
 * ("train/cat/001.png"), with their labels appended to @labels
 * (nullable, element-type guint16); @classes (transfer full) receives the
 * sorted class names when not NULL.
 * Returns: (transfer full) (element-type utf8). */
GPtrArray *ct_image_folder_list         (const char              *dir,
                                         const char              *split,
                                         char                  ***classes,
                                         GArray                  *labels,
                                         GError                 **error);

/* Fills @self's classes and splits from the cache of @self->path, building
 * it first when absent or stale; @out_key (transfer full) gets the cache
 * key, a hex digest of the file list, sizes and modification times. */
gboolean  ct_image_folder_load          (CtDataset               *self,
                                         const CtDatasetOptions  *options,
                                         char                   **out_key,
                                         GError                 **error);

/* Where a cache file's header holds its key: 64 hex digits and a NUL. */
#define CT_IMAGE_FOLDER_CACHE_KEY_OFFSET 64

/* Reads the bytes of a cache file (@data, @size) into @self's splits and
 * skipped list when they are whole, made from @key for @self->n_classes
 * classes, at the side and with the skipping that @options ask for, and
 * every label is below n_classes; the splits' pixels then point into
 * @data and their labels are new copies (freed by ct_dataset_free(), or
 * by a caller that made @self itself).  FALSE (and @self unchanged)
 * otherwise, with *@reason (nullable; transfer full) saying why in a
 * phrase.  The fuzz target calls it. */
gboolean  ct_image_folder_read_cache    (CtDataset               *self,
                                         const CtDatasetOptions  *options,
                                         const char              *key,
                                         const guint8            *data,
                                         gsize                    size,
                                         char                   **reason);

/* Returns: (transfer full): the cache file of the folder @abs_path for
 * images of side @image_size (0: the folder's default side), so that each
 * size asked for keeps its own cache. */
char     *ct_image_folder_dup_cache_path (const char             *abs_path,
                                          guint                    image_size);

G_END_DECLS
