/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* xoshiro256** seeded through splitmix64 from a seed and up to three stream
 * numbers, so that (seed, image index, round, purpose) names one independent,
 * reproducible stream on every platform. */
typedef struct {
  guint64 s[4];
} CtRng;

void    ct_rng_init     (CtRng   *self,
                         guint64  seed,
                         guint64  stream_a,
                         guint64  stream_b,
                         guint64  stream_c);
guint64 ct_rng_next     (CtRng   *self);
/* Uniform in [0, 1) with 53 random bits. */
double  ct_rng_uniform  (CtRng   *self);
/* Uniform integer in [0, bound) without modulo bias; @bound > 0. */
guint32 ct_rng_below    (CtRng   *self,
                         guint32  bound);
/* Standard normal by Box–Muller, one value per call so that a stream's
 * draws do not depend on how many came before in pairs. */
double  ct_rng_normal   (CtRng   *self);
/* Shuffles @values in place (Fisher–Yates from the last element down). */
void    ct_rng_shuffle  (CtRng   *self,
                         guint   *values,
                         guint    n);

/* A seeded sample of min(@count, @n) distinct indices in [0, @n), in draw
 * order: the start of a shuffle of 0…n−1 by the stream (@seed, "samp").
 * The CLI's --random and the window's image picker share it, so one seed
 * names the same images in both.
 * Returns: (transfer full) (element-type guint). */
GArray *ct_rng_sample_indices (guint   n,
                               guint   count,
                               guint64 seed);

G_END_DECLS
