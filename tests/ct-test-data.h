/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A tiny learnable dataset in the real CIFAR-10 binary layout: 32×32 RGB,
 * 4 classes named in batches.meta.txt (red, green, blue, white), class k =
 * a square lit in that colour at a random place on noise.  Train records are split over two batch files.
 * Returns: (transfer full): @dir. */
char *ct_test_write_squares (const char *dir,
                               guint       n_train,
                               guint       n_test,
                               guint64     seed);

/* Appends @value big-endian, as IDX headers store their numbers. */
void  ct_test_put_be32 (GByteArray *bytes,
                        guint32     value);
/* A tiny learnable dataset in the real IDX layout (as Fashion-MNIST):
 * 28×28 grey, 4 classes, class k a bright square in quadrant k.
 * Returns: (transfer full): @dir. */
char *ct_test_write_idx_squares (const char *dir,
                                 guint       n_train,
                                 guint       n_test,
                                 guint64     seed);
/* Returns: (transfer full): a new temporary directory; removed by
 * ct_test_remove_tree(). */
char *ct_test_make_tmpdir     (void);
/* Removes @path, a file or a whole directory tree; links are removed, not
 * followed. */
void  ct_test_remove_tree     (const char *path);

/* Asserts that the safetensors files @path_a and @path_b hold the same
 * tensors: names, dtypes, shapes and every byte. */
void  ct_test_assert_same_weights (const char *path_a,
                                   const char *path_b);
/* The largest |a − b| over the float32 tensors of the safetensors files
 * @path_a and @path_b, relative to max(1, |a|); asserts that they hold the
 * same names, dtypes and shapes, and the same bytes in other tensors (the
 * step counters).  @worst (nullable) receives the tensor's name. */
double ct_test_max_weight_difference (const char  *path_a,
                                      const char  *path_b,
                                      char       **worst);

/* A new temporary directory, as ct_test_make_tmpdir(), that the environment
 * variable @xdg_variable (such as "XDG_CACHE_HOME") is set to, so what the
 * code under test keeps there stays inside the test, holding a squares/
 * dataset from ct_test_write_squares().
 * Returns: (transfer full): the directory; @data_dir gets (transfer full)
 * its squares/. */
char *ct_test_make_squares_tmpdir (const char  *xdg_variable,
                                   guint        n_train,
                                   guint        n_test,
                                   guint64      seed,
                                   char       **data_dir);

/* Writes a PNG with libpng: @color_type and @bit_depth as PNG_COLOR_TYPE_*
 * and 1–16, @rows packed as the PNG stores them (16-bit samples
 * big-endian), @palette (nullable) @n_palette RGB triples, @trns
 * (nullable) @n_trns palette alphas. */
void  ct_test_write_png  (const char   *path,
                          guint         width,
                          guint         height,
                          int           color_type,
                          int           bit_depth,
                          const guint8 *rows,
                          const guint8 *palette,
                          guint         n_palette,
                          const guint8 *trns,
                          guint         n_trns);
/* Writes a JPEG with libjpeg at @quality from @pixels (H×W×@channels, 1 or
 * 3), with an EXIF block holding @orientation when it is not 0. */
void  ct_test_write_jpeg (const char   *path,
                          guint         width,
                          guint         height,
                          guint         channels,
                          const guint8 *pixels,
                          int           quality,
                          guint         orientation);
/* A tiny learnable image folder: DIR/train/CLASS/N.png and DIR/test/…, 4
 * classes (blue, green, red, white), @side² RGB images, class k a square
 * lit in its colour on noise; every third image a JPEG instead.
 * Returns: (transfer full): @dir. */
char *ct_test_write_image_folder (const char *dir,
                                  guint       n_train,
                                  guint       n_test,
                                  guint       side,
                                  guint64     seed);
/* A zip entry for ct_test_zip_bytes(): stored, or deflated with a
 * declared size of its own (0: the real one). */
typedef struct {
  const char   *name;
  const guint8 *data;
  gsize         size;
  gboolean      deflate;
  guint64       declared_size;
} CtTestZipEntry;

/* Returns: (transfer full): a zip archive of @entries, as PyTorch writes them. */
GBytes *ct_test_zip_bytes        (const CtTestZipEntry *entries,
                                  guint                 n);
/* Pickle pieces as torch.save writes them (protocol 2): a BINUNICODE
 * string, and torch._utils._rebuild_tensor_v2 of a view (@n_dims sizes and
 * strides) of storage KEY of TYPE ("FloatStorage") holding @numel elements. */
void    ct_test_pickle_string    (GString              *pickle,
                                  const char           *text);
void    ct_test_pickle_tensor    (GString              *pickle,
                                  const char           *type,
                                  const char           *key,
                                  guint                 numel,
                                  guint                 n_dims,
                                  const guint8         *shape,
                                  const guint8         *stride);
/* Returns: (transfer full): a torch.save file of an OrderedDict state dict
 * {"w": 2×3 float view of [0 … 5] with strides (1, 2), "module._orig_mod.n":
 * a 0-d long 42} with state_dict's _metadata; @wrapped puts it under
 * "state_dict" beside "epoch": 7; @extra_global ("os\nsystem", nullable)
 * adds "x": a call of that global on "echo hi"; @deflate_pickle deflates
 * data.pkl. */
GBytes *ct_test_torch_save_bytes (const char           *extra_global,
                                  gboolean              wrapped,
                                  gboolean              deflate_pickle);

/* A program run to its end: its exit status (−1 when a signal ended it),
 * stdout and stderr. */
typedef struct {
  int   status;
  char *out;
  char *err;
} CtTestResult;

void  ct_test_result_clear (CtTestResult *result);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (CtTestResult, ct_test_result_clear)

/* Runs @argv (NULL-terminated) with @envp (NULL: this process's) and
 * @flags (G_SPAWN_SEARCH_PATH for a program by name) and waits for it;
 * fails the test when it cannot start.  With --verbose the outcome is
 * printed. */
void  ct_test_run          (CtTestResult       *result,
                            const char *const  *argv,
                            char              **envp,
                            GSpawnFlags         flags);

/* A little-endian float32 .npy of five dimensions, as camtrail-cli writes
 * its maps; fails the test on anything else.
 * Returns: (transfer full): the values; @shape gets the dimensions. */
float *ct_test_read_npy (const char *path,
                         guint       shape[5],
                         gsize      *out_n);

G_END_DECLS
