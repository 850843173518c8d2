/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "ct-rng.h"

#include <math.h>

#define GOLDEN_GAMMA G_GUINT64_CONSTANT (0x9E3779B97F4A7C15)
/* "samp": keeps sampling apart from the perturbations' streams. */
#define STREAM_SAMPLE 0x73616d70u

/* The splitmix64 output function: a bijection on 64 bits with full
 * avalanche, so inputs that differ in one bit give unrelated outputs. */
static guint64
mix64 (guint64 z)
{
  z = (z ^ (z >> 30)) * G_GUINT64_CONSTANT (0xBF58476D1CE4E5B9);
  z = (z ^ (z >> 27)) * G_GUINT64_CONSTANT (0x94D049BB133111EB);
  return z ^ (z >> 31);
}

static guint64
splitmix64_next (guint64 *state)
{
  *state += GOLDEN_GAMMA;
  return mix64 (*state);
}

static inline guint64
rotl (guint64 x,
      int     k)
{
  return (x << k) | (x >> (64 - k));
}

void
ct_rng_init (CtRng   *self,
             guint64  seed,
             guint64  stream_a,
             guint64  stream_b,
             guint64  stream_c)
{
  guint64 key;

  g_return_if_fail (self != NULL);

  /* Each number goes through its own avalanche before it is folded in, so
   * (seed, 1, 0, 0) and (seed, 0, 1, 0) — or seeds 1 and 2 — share nothing. */
  key = mix64 (seed + GOLDEN_GAMMA);
  key = mix64 (key ^ mix64 (stream_a + 2 * GOLDEN_GAMMA));
  key = mix64 (key ^ mix64 (stream_b + 3 * GOLDEN_GAMMA));
  key = mix64 (key ^ mix64 (stream_c + 4 * GOLDEN_GAMMA));

  /* Four distinct splitmix64 outputs can never all be zero, which is the one
   * state xoshiro256** must not start from. */
  for (guint i = 0; i < G_N_ELEMENTS (self->s); i++)
    self->s[i] = splitmix64_next (&key);
}

guint64
ct_rng_next (CtRng *self)
{
  guint64 *s = self->s;
  guint64 result = rotl (s[1] * 5, 7) * 9;
  guint64 t = s[1] << 17;

  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl (s[3], 45);

  return result;
}

double
ct_rng_uniform (CtRng *self)
{
  /* The top 53 bits are the best ones of xoshiro256** and fill a double's
   * mantissa exactly. */
  return (double) (ct_rng_next (self) >> 11) * 0x1.0p-53;
}

guint32
ct_rng_below (CtRng   *self,
              guint32  bound)
{
  guint64 product;
  guint32 low;

  g_return_val_if_fail (bound > 0, 0);

  /* Lemire's multiply-and-reject: the high word of x·bound is uniform once
   * the few low words below 2^32 mod bound are thrown away. */
  product = (ct_rng_next (self) >> 32) * (guint64) bound;
  low = (guint32) product;
  if (low < bound)
    {
      guint32 threshold = (guint32) (-bound) % bound;

      while (low < threshold)
        {
          product = (ct_rng_next (self) >> 32) * (guint64) bound;
          low = (guint32) product;
        }
    }

  return (guint32) (product >> 32);
}

double
ct_rng_normal (CtRng *self)
{
  double u1 = ct_rng_uniform (self);
  double u2 = ct_rng_uniform (self);

  /* 1 − u1 lies in (0, 1], so the logarithm is always finite. */
  return sqrt (-2.0 * log (1.0 - u1)) * cos (2.0 * G_PI * u2);
}

void
ct_rng_shuffle (CtRng *self,
                guint *values,
                guint  n)
{
  for (guint i = n; i > 1; i--)
    {
      guint j = ct_rng_below (self, i);
      guint tmp = values[i - 1];

      values[i - 1] = values[j];
      values[j] = tmp;
    }
}

GArray *
ct_rng_sample_indices (guint   n,
                       guint   count,
                       guint64 seed)
{
  g_autofree guint *order = g_new (guint, n);
  GArray *sample = g_array_new (FALSE, FALSE, sizeof (guint));
  CtRng rng;

  /* The whole permutation is drawn even for a small @count: Fisher–Yates
   * from the top settles the first slots last, and the CLI's samples must
   * stay what they always were. */
  ct_rng_init (&rng, seed, STREAM_SAMPLE, 0, 0);
  for (guint i = 0; i < n; i++)
    order[i] = i;
  ct_rng_shuffle (&rng, order, n);
  g_array_append_vals (sample, order, MIN (count, n));
  return sample;
}
