/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <glib.h>

#include "ct-shard.h"

/* 18 images in batches of 4 over 2 ranks, worked out by hand: batches
 * 0–3, 4–7, 8–11, 12–15, 16–17 on ranks 0, 1, 0, 1, 0; rank 0 holds
 * images 0–3, 8–11, 16–17 (10), rank 1 images 4–7, 12–15 (8). */
static void
test_two_ranks (void)
{
  CtShard shard = { .n_images = 18, .batch_size = 4, .world = 2, .rank = 1 };
  const guint owners[] = { 0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1, 0, 0 };
  const guint slots[] = { 0, 1, 2, 3, 0, 1, 2, 3, 4, 5, 6, 7, 4, 5, 6, 7, 8, 9 };

  g_assert_cmpuint (ct_shard_n_batches (&shard), ==, 5);
  g_assert_cmpuint (ct_shard_batch_start (&shard, 4), ==, 16);
  g_assert_cmpuint (ct_shard_batch_count (&shard, 3), ==, 4);
  g_assert_cmpuint (ct_shard_batch_count (&shard, 4), ==, 2);
  g_assert_cmpuint (ct_shard_batch_owner (&shard, 3), ==, 1);
  g_assert_cmpuint (ct_shard_batch_owner (&shard, 4), ==, 0);
  g_assert_cmpuint (ct_shard_n_batches_of (&shard, 0), ==, 3);
  g_assert_cmpuint (ct_shard_n_batches_of (&shard, 1), ==, 2);
  g_assert_cmpuint (ct_shard_size_of (&shard, 0), ==, 10);
  g_assert_cmpuint (ct_shard_size_of (&shard, 1), ==, 8);
  g_assert_cmpuint (ct_shard_room (&shard), ==, 10);
  for (guint i = 0; i < G_N_ELEMENTS (owners); i++)
    {
      guint slot = G_MAXUINT;

      g_assert_cmpuint (ct_shard_image_owner (&shard, i, &slot), ==, owners[i]);
      g_assert_cmpuint (slot, ==, slots[i]);
    }
}

/* More ranks than batches: 5 images in batches of 2 over 4 ranks leave
 * rank 3 without a batch, and the room is rank 0's 2. */
static void
test_idle_rank (void)
{
  CtShard shard = { .n_images = 5, .batch_size = 2, .world = 4, .rank = 3 };

  g_assert_cmpuint (ct_shard_n_batches (&shard), ==, 3);
  g_assert_cmpuint (ct_shard_n_batches_of (&shard, 3), ==, 0);
  g_assert_cmpuint (ct_shard_size_of (&shard, 2), ==, 1);
  g_assert_cmpuint (ct_shard_size_of (&shard, 3), ==, 0);
  g_assert_cmpuint (ct_shard_room (&shard), ==, 2);
}

/* One process: the gather hands its rows back as they are. */
static void
test_gather_one_process (void)
{
  CtShard shard;
  const double mine[] = { 1, 2, 3, 4, 5, 6 };
  g_autofree double *all = NULL;
  g_autoptr(GError) error = NULL;

  ct_shard_init (&shard, NULL, 3, 2);
  g_assert_cmpuint (shard.world, ==, 1);
  g_assert_cmpuint (shard.rank, ==, 0);
  all = ct_shard_gather (&shard, NULL, mine, 2, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (all, 6 * sizeof (double), mine, sizeof mine);
}

/* One process is rank 0: what it decided stays. */
static void
test_share_one_process (void)
{
  guint8 done[] = { 1, 0, 1 };
  const guint8 expected[] = { 1, 0, 1 };
  g_autoptr(GError) error = NULL;

  g_assert_true (ct_shard_share_from_rank0 (NULL, done, sizeof done, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (done, sizeof done, expected, sizeof expected);
}

/* --device under torchrun, by the rule's cases: a bare cuda is the rank's
 * own GPU (LOCAL_RANK), on rank 0 too; cpu, the default and an explicit
 * GPU stay as given, and one process keeps a bare cuda. */
static void
test_device (void)
{
  const struct {
    const char *device;
    int world_size, local_rank;
    const char *expected;
  } cases[] = {
    { "cuda", 2, 1, "cuda:1" },
    { "cuda", 4, 0, "cuda:0" },
    { "cuda", 8, 3, "cuda:3" },
    { "cuda", 1, 0, "cuda" },
    { "cpu", 2, 1, "cpu" },
    { NULL, 2, 1, NULL },
    { "cuda:2", 2, 1, "cuda:2" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *device = ct_shard_dup_device (cases[i].device, cases[i].world_size,
                                                     cases[i].local_rank);

      g_assert_cmpstr (device, ==, cases[i].expected);
    }
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/shard/two-ranks", test_two_ranks);
  g_test_add_func ("/shard/idle-rank", test_idle_rank);
  g_test_add_func ("/shard/gather-one-process", test_gather_one_process);
  g_test_add_func ("/shard/share-one-process", test_share_one_process);
  g_test_add_func ("/shard/device", test_device);
  return g_test_run ();
}
