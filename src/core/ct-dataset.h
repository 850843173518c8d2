/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define CT_DATASET_ERROR (ct_dataset_error_quark ())

typedef enum {
  CT_DATASET_ERROR_MISSING,    /* a required file or split is absent */
  CT_DATASET_ERROR_TRUNCATED,  /* a file ends inside a header or record */
  CT_DATASET_ERROR_FORMAT,     /* bad magic, dimensions, or a size that is not a whole number of records */
  CT_DATASET_ERROR_LABEL,      /* a label outside [0, n_classes) */
  CT_DATASET_ERROR_MISMATCH,   /* image and label files of a split disagree */
  CT_DATASET_ERROR_IMAGE,      /* an image file of an image folder cannot be decoded */
  CT_DATASET_ERROR_CACHE,      /* an image folder's cache cannot be written */
} CtDatasetError;

typedef enum {
  CT_DATASET_KIND_CIFAR10,
  CT_DATASET_KIND_CIFAR100,
  CT_DATASET_KIND_IDX,         /* MNIST, Fashion-MNIST and other IDX datasets */
  CT_DATASET_KIND_IMAGE_FOLDER, /* torchvision's ImageFolder layout of PNG and JPEG files */
} CtDatasetKind;

/* Called as the images of an image folder are read into its cache:
 * @done of @total steps (every image is read twice: its header, then its
 * pixels). */
typedef void (*CtDatasetProgressFunc) (guint    done,
                                       guint    total,
                                       gpointer user_data);

typedef struct {
  guint                  image_size;  /* image folders: side of the images; 0 = their own size
                                       * when all are one square size, else 224 */
  gboolean               skip_bad;    /* image folders: skip unreadable images (listed in
                                       * the dataset's skipped) instead of failing */
  CtDatasetProgressFunc  progress;    /* nullable */
  gpointer               user_data;
} CtDatasetOptions;

/* One split: uint8 images stored planar per image (C×H×W, as CIFAR records
 * and as torch tensors), so image i starts at pixels + i * C*H*W.  Labels
 * are 16-bit so that an image folder may have more than 256 classes
 * (ImageNet's 1000); the file formats with byte labels are widened. */
typedef struct {
  guint    n_images;
  guint    channels;
  guint    height;
  guint    width;
  guint8  *pixels;
  guint16 *labels;
} CtSplit;

/* The most classes a dataset may have: labels are guint16. */
#define CT_DATASET_MAX_CLASSES 65536

typedef struct {
  char          *path;       /* the directory it was loaded from */
  char          *name;       /* "cifar-10", "cifar-100", "fashion-mnist", "mnist" */
  CtDatasetKind  kind;
  char         **classes;    /* NULL-terminated, n_classes entries */
  guint          n_classes;
  CtSplit        train;
  CtSplit        test;
  /* Per-channel statistics of the train split in [0, 1] pixel space; only
   * the first train.channels entries are meaningful. */
  float          mean[3];
  float          std[3];
  /* Image folders: "PATH: reason" of each image skipped (options'
   * skip_bad), NULL-terminated, relative to path; NULL for other kinds. */
  char         **skipped;
  /* Image folders: the cache file both splits' pixels point into (their
   * labels are copied out of it). */
  GMappedFile   *mapping;
} CtDataset;

/* The directory the Debian package dataset-fashion-mnist installs. */
#define CT_DATASET_FASHION_MNIST_DIR "/usr/share/datasets/fashion-mnist"

GQuark     ct_dataset_error_quark   (void);

/* Loads both splits of the dataset in @path, detecting its kind from the files
 * there.  @path may also be the alias "fashion-mnist".  Mean and std come from
 * a cache in the user cache directory when the files are unchanged.
 * Returns: (transfer full): the dataset, or %NULL with @error naming the file,
 * the byte offset and what was expected. */
CtDataset *ct_dataset_load          (const char       *path,
                                     GError          **error);
/* As ct_dataset_load(), with @options (nullable: the defaults) for image
 * folders. */
CtDataset *ct_dataset_load_full     (const char              *path,
                                     const CtDatasetOptions  *options,
                                     GError                 **error);
void       ct_dataset_free          (CtDataset        *self);

/* Resolves the aliases ("fashion-mnist") to a directory: the one in
 * $CAMTRAIL_FASHION_MNIST_DIR if set (a copy elsewhere, such as
 * torchvision's FashionMNIST/raw), else CT_DATASET_FASHION_MNIST_DIR.
 * Returns: (transfer full). */
char      *ct_dataset_resolve_path  (const char       *path);

gsize      ct_split_image_size      (const CtSplit    *split);
const guint8 *ct_split_image        (const CtSplit    *split,
                                     guint             index);

/* Computes per-channel mean and std in [0, 1] over all pixels of @split
 * (population std, as torchvision tutorials compute it). */
void       ct_split_compute_stats   (const CtSplit    *split,
                                     float            *mean,
                                     float            *std);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CtDataset, ct_dataset_free)

G_END_DECLS
