/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "ct-shard.h"

#include <string.h>

#include "ct-torch-glib.h"

void
ct_shard_init (CtShard       *self,
               struct CtDist *dist,
               guint          n_images,
               guint          batch_size)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (batch_size > 0);

  self->n_images = n_images;
  self->batch_size = batch_size;
  self->world = ct_dist_get_world_size (dist);
  self->rank = ct_dist_get_rank (dist);
}

guint
ct_shard_n_batches (const CtShard *self)
{
  return (self->n_images + self->batch_size - 1) / self->batch_size;
}

guint
ct_shard_batch_start (const CtShard *self,
                      guint          batch)
{
  return batch * self->batch_size;
}

guint
ct_shard_batch_count (const CtShard *self,
                      guint          batch)
{
  guint start = ct_shard_batch_start (self, batch);

  return start < self->n_images ? MIN (self->batch_size, self->n_images - start) : 0;
}

guint
ct_shard_batch_owner (const CtShard *self,
                      guint          batch)
{
  return batch % self->world;
}

guint
ct_shard_n_batches_of (const CtShard *self,
                       guint          rank)
{
  guint n = 0;

  for (guint b = 0; b < ct_shard_n_batches (self); b++)
    n += ct_shard_batch_owner (self, b) == rank;
  return n;
}

guint
ct_shard_size_of (const CtShard *self,
                  guint          rank)
{
  guint size = 0;

  for (guint b = 0; b < ct_shard_n_batches (self); b++)
    if (ct_shard_batch_owner (self, b) == rank)
      size += ct_shard_batch_count (self, b);
  return size;
}

guint
ct_shard_room (const CtShard *self)
{
  guint room = 0;

  for (guint r = 0; r < self->world; r++)
    room = MAX (room, ct_shard_size_of (self, r));
  return room;
}

guint
ct_shard_image_owner (const CtShard *self,
                      guint          image,
                      guint         *out_slot)
{
  guint batch = image / self->batch_size;
  guint owner = ct_shard_batch_owner (self, batch);
  guint slot = image - ct_shard_batch_start (self, batch);

  for (guint b = 0; b < batch; b++)
    if (ct_shard_batch_owner (self, b) == owner)
      slot += ct_shard_batch_count (self, b);
  if (out_slot != NULL)
    *out_slot = slot;
  return owner;
}

double *
ct_shard_gather (const CtShard  *self,
                 struct CtDist  *dist,
                 const double   *mine,
                 gsize           row_doubles,
                 GError        **error)
{
  gsize piece = (gsize) ct_shard_room (self) * row_doubles;
  g_autofree double *all = g_new (double, MAX (piece * self->world, 1));
  g_autofree guint *offsets = g_new0 (guint, self->world);
  double *ordered = g_new (double, MAX ((gsize) self->n_images * row_doubles, 1));
  char *message = NULL;

  /* Without a group this copies @mine: one process takes the same path. */
  if (!ct_torch_check (ct_dist_all_gather (dist, mine, piece * sizeof (double), all, &message),
                       message, error))
    {
      g_free (ordered);
      return NULL;
    }
  /* ct_shard_image_owner() batch by batch, in one pass. */
  for (guint b = 0; b < ct_shard_n_batches (self); b++)
    {
      guint owner = ct_shard_batch_owner (self, b);
      gsize count = ct_shard_batch_count (self, b);

      memcpy (ordered + (gsize) ct_shard_batch_start (self, b) * row_doubles,
              all + owner * piece + (gsize) offsets[owner] * row_doubles,
              count * row_doubles * sizeof (double));
      offsets[owner] += count;
    }
  return ordered;
}

gboolean
ct_shard_share_from_rank0 (struct CtDist  *dist,
                           guint8         *bytes,
                           gsize           n_bytes,
                           GError        **error)
{
  g_autofree guint8 *all = NULL;
  char *message = NULL;

  if (dist == NULL)
    return TRUE;
  all = g_malloc (MAX (n_bytes * ct_dist_get_world_size (dist), 1));
  if (!ct_torch_check (ct_dist_all_gather (dist, bytes, n_bytes, all, &message), message, error))
    return FALSE;
  memcpy (bytes, all, n_bytes);
  return TRUE;
}

char *
ct_shard_dup_device (const char *device,
                     int         world_size,
                     int         local_rank)
{
  if (world_size > 1 && g_strcmp0 (device, "cuda") == 0)
    return g_strdup_printf ("cuda:%d", local_rank);
  return g_strdup (device);
}
