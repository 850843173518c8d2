/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

struct CtDist;

/* How the studies share a list of images out over a torchrun group: in
 * batches of @batch_size in list order, batch b on rank b mod W.  A rank
 * keeps its images in a shard, in list order; image i sits in its owner's
 * shard at a slot.  Every rank gathers every shard and walks the images in
 * list order, so what it sums, it sums as one process does. */
typedef struct {
  guint n_images;
  guint batch_size;
  guint world;     /* W ≥ 1 */
  guint rank;
} CtShard;

/* @dist (nullable: one process) is the group (ct-torch.h). */
void      ct_shard_init           (CtShard        *self,
                                   struct CtDist  *dist,
                                   guint           n_images,
                                   guint           batch_size);
guint     ct_shard_n_batches      (const CtShard  *self);
/* The first image of batch @batch, and how many it holds. */
guint     ct_shard_batch_start    (const CtShard  *self,
                                   guint           batch);
guint     ct_shard_batch_count    (const CtShard  *self,
                                   guint           batch);
/* The rank that computes batch @batch. */
guint     ct_shard_batch_owner    (const CtShard  *self,
                                   guint           batch);
/* How many batches and images rank @rank holds. */
guint     ct_shard_n_batches_of   (const CtShard  *self,
                                   guint           rank);
guint     ct_shard_size_of        (const CtShard  *self,
                                   guint           rank);
/* The most images any rank holds (rank 0's): every rank sends that many
 * rows, so that the gather's pieces are the same size. */
guint     ct_shard_room           (const CtShard  *self);
/* The rank holding image @image (its index in the list), and its slot
 * there. */
guint     ct_shard_image_owner    (const CtShard  *self,
                                   guint           image,
                                   guint          *out_slot);
/* Every rank's @mine (ct_shard_room() rows of @row_doubles, this rank's
 * images slot by slot; the rows past its size are ignored) gathered over
 * @dist, on every rank.  Returns: (transfer full): n_images rows of
 * @row_doubles in the order of the list, bytes as sent; NULL with @error
 * when a rank is lost.  Without a group this reorders nothing. */
double   *ct_shard_gather         (const CtShard  *self,
                                   struct CtDist  *dist,
                                   const double   *mine,
                                   gsize           row_doubles,
                                   GError        **error);

/* What rank 0 alone can decide (what its disk holds) told to every rank:
 * rank 0's @n_bytes of @bytes replace every other rank's, over @dist.
 * Without a group nothing changes.  Returns FALSE with @error when a rank
 * is lost. */
gboolean  ct_shard_share_from_rank0 (struct CtDist  *dist,
                                     guint8         *bytes,
                                     gsize           n_bytes,
                                     GError        **error);

/* The device a rank computes on, from what --device says (nullable: the
 * default, cpu): one GPU per process, so under torchrun (@world_size > 1)
 * a bare "cuda" is "cuda:@local_rank" (torchrun's LOCAL_RANK), as
 * PyTorch's DDP recipes pick it.  Anything else (cpu, an explicit
 * cuda:N, one process) stays as given.  Returns: (transfer full)
 * (nullable): NULL for a NULL @device. */
char     *ct_shard_dup_device     (const char     *device,
                                   int             world_size,
                                   int             local_rank);

G_END_DECLS
