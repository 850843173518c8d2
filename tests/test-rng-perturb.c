/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <glib.h>
#include <math.h>
#include <string.h>

#include "ct-image.h"
#include "ct-perturb.h"
#include "ct-rng.h"

/* ---- ct-rng ---------------------------------------------------------- */

static void
test_rng_xoshiro_reference (void)
{
  /* The first outputs of xoshiro256** from the state {1, 2, 3, 4}; the first
   * three are worked by hand from the update rule. */
  CtRng rng = { { 1, 2, 3, 4 } };

  g_assert_cmpuint (ct_rng_next (&rng), ==, 11520);
  g_assert_cmpuint (ct_rng_next (&rng), ==, 0);
  g_assert_cmpuint (ct_rng_next (&rng), ==, 1509978240);
  g_assert_cmpuint (ct_rng_next (&rng), ==, G_GUINT64_CONSTANT (1215971899390074240));
}

static void
test_rng_deterministic (void)
{
  CtRng a, b;

  ct_rng_init (&a, 42, 7, 3, 1);
  ct_rng_init (&b, 42, 7, 3, 1);
  for (guint i = 0; i < 1000; i++)
    g_assert_cmpuint (ct_rng_next (&a), ==, ct_rng_next (&b));
}

static guint
hamming (guint64 x,
         guint64 y)
{
  return __builtin_popcountll (x ^ y);
}

static void
test_rng_nearby_streams (void)
{
  /* Tuples one step apart in every position, including the swaps that a
   * naive sum or xor of the numbers would collide on. */
  static const guint64 tuples[][4] = {
    { 0, 0, 0, 0 }, { 1, 0, 0, 0 }, { 0, 1, 0, 0 }, { 0, 0, 1, 0 },
    { 0, 0, 0, 1 }, { 0, 1, 1, 0 }, { 0, 0, 1, 1 }, { 2, 0, 0, 0 },
    { 0, 2, 0, 0 }, { 0, 0, 2, 0 }, { 0, 0, 0, 2 }, { 1, 1, 0, 0 },
  };
  guint n = G_N_ELEMENTS (tuples);
  guint64 first[G_N_ELEMENTS (tuples)];

  for (guint i = 0; i < n; i++)
    {
      CtRng rng;

      ct_rng_init (&rng, tuples[i][0], tuples[i][1], tuples[i][2], tuples[i][3]);
      first[i] = ct_rng_next (&rng);
    }

  /* Unrelated 64-bit words differ in 32 ± 4 bits; 12..52 is five σ. */
  for (guint i = 0; i < n; i++)
    for (guint j = i + 1; j < n; j++)
      {
        g_assert_cmpuint (hamming (first[i], first[j]), >=, 12);
        g_assert_cmpuint (hamming (first[i], first[j]), <=, 52);
      }
}

static void
test_rng_streams_uncorrelated (void)
{
  const guint n = 20000;
  CtRng a, b;
  double sum_xy = 0, sum_x = 0, sum_y = 0, sum_xx = 0, sum_yy = 0;
  double r;

  ct_rng_init (&a, 1, 5, 0, 3);
  ct_rng_init (&b, 1, 5, 1, 3);
  for (guint i = 0; i < n; i++)
    {
      double x = ct_rng_uniform (&a);
      double y = ct_rng_uniform (&b);

      sum_x += x;
      sum_y += y;
      sum_xx += x * x;
      sum_yy += y * y;
      sum_xy += x * y;
    }

  r = (n * sum_xy - sum_x * sum_y) /
      sqrt ((n * sum_xx - sum_x * sum_x) * (n * sum_yy - sum_y * sum_y));
  /* The correlation of independent streams has σ = 1/√n ≈ 0.007. */
  g_assert_cmpfloat (fabs (r), <, 0.04);
}

static void
test_rng_uniform (void)
{
  const guint n = 100000;
  CtRng rng;
  double sum = 0, sum_sq = 0;
  double mean, variance;

  ct_rng_init (&rng, 3, 0, 0, 0);
  for (guint i = 0; i < n; i++)
    {
      double u = ct_rng_uniform (&rng);

      g_assert_cmpfloat (u, >=, 0.0);
      g_assert_cmpfloat (u, <, 1.0);
      sum += u;
      sum_sq += u * u;
    }

  mean = sum / n;
  variance = sum_sq / n - mean * mean;
  /* σ of the mean is √(1/12n) ≈ 0.0009. */
  g_assert_cmpfloat_with_epsilon (mean, 0.5, 0.005);
  g_assert_cmpfloat_with_epsilon (variance, 1.0 / 12, 0.003);
}

static void
test_rng_uniform_bits (void)
{
  /* All 53 bits are used: u·2^53 is an integer and the low bit varies. */
  CtRng rng;
  guint odd = 0;

  ct_rng_init (&rng, 9, 9, 9, 9);
  for (guint i = 0; i < 1000; i++)
    {
      double scaled = ct_rng_uniform (&rng) * 0x1.0p53;

      g_assert_cmpfloat (scaled, ==, floor (scaled));
      odd += fmod (scaled, 2) == 1;
    }
  g_assert_cmpuint (odd, >, 400);
  g_assert_cmpuint (odd, <, 600);
}

static void
test_rng_below (void)
{
  const guint bound = 7;
  const guint n = 70000;
  guint counts[7] = { 0 };
  double chi2 = 0;
  CtRng rng;

  ct_rng_init (&rng, 11, 0, 0, 0);
  for (guint i = 0; i < 100; i++)
    g_assert_cmpuint (ct_rng_below (&rng, 1), ==, 0);
  for (guint i = 0; i < 1000; i++)
    g_assert_cmpuint (ct_rng_below (&rng, G_MAXUINT32), <, G_MAXUINT32);

  for (guint i = 0; i < n; i++)
    {
      guint32 v = ct_rng_below (&rng, bound);

      g_assert_cmpuint (v, <, bound);
      counts[v]++;
    }

  for (guint k = 0; k < bound; k++)
    {
      double expected = (double) n / bound;

      chi2 += (counts[k] - expected) * (counts[k] - expected) / expected;
    }
  /* χ² with 6 degrees of freedom exceeds 30 with probability 4e-5. */
  g_assert_cmpfloat (chi2, <, 30);
}

static void
test_rng_below_unbiased_large_bound (void)
{
  /* With bound 3·2^30 a plain modulo would make the lower third of the range
   * twice as likely as the rest; the lower and upper halves must balance. */
  const guint32 bound = 3u << 30;
  const guint n = 60000;
  guint low = 0;
  CtRng rng;

  ct_rng_init (&rng, 12, 0, 0, 0);
  for (guint i = 0; i < n; i++)
    low += ct_rng_below (&rng, bound) < bound / 2;

  /* σ of the count is √n / 2 ≈ 122. */
  g_assert_cmpint (ABS ((int) low - (int) n / 2), <, 700);
}

/* Lemire's rule throws away the low words *below* 2^32 mod bound; one equal
 * to it is kept.  With bound 3 that threshold is 1, and the draw whose high
 * word is x = 0xAAAAAAAB gives x · 3 = 0x2_00000001: low word 1, kept,
 * result 2, after exactly one draw.  The state is set so that the first
 * output is 0xAAAAAAAB_00000000: xoshiro256** returns rotl (s1 · 5, 7) · 9,
 * so s1 = rotr (R · 9⁻¹, 7) · 5⁻¹ mod 2^64 = 0x99C3518A6E000000 (checked
 * below on a copy). */
static void
test_rng_below_threshold_kept (void)
{
  CtRng rng = { { 0, G_GUINT64_CONSTANT (0x99C3518A6E000000), 0, 0 } };
  CtRng once = rng;

  g_assert_cmpuint (ct_rng_next (&once), ==, G_GUINT64_CONSTANT (0xAAAAAAAB00000000));
  g_assert_cmpuint (ct_rng_below (&rng, 3), ==, 2);
  /* One draw and no more: the state is the copy's after one output. */
  g_assert_cmpmem (rng.s, sizeof rng.s, once.s, sizeof once.s);
}

/* Fisher–Yates from the last element down, as ct-rng.h says: for i = n … 2
 * swap element i − 1 with element j = below (i), j ∈ [0, i).  That is
 * n − 1 draws, so a caller drawing on after a shuffle gets the numbers
 * that follow the last of them (no draw for i = 1, whose only choice is
 * itself). */
static void
test_rng_shuffle_draws (void)
{
  guint values[5] = { 0, 1, 2, 3, 4 }, expected[5] = { 0, 1, 2, 3, 4 };
  CtRng rng, by_hand;

  ct_rng_init (&rng, 9, 4, 0, 0);
  by_hand = rng;
  ct_rng_shuffle (&rng, values, 5);
  for (guint i = 5; i >= 2; i--)
    {
      guint j = ct_rng_below (&by_hand, i);
      guint tmp = expected[i - 1];

      expected[i - 1] = expected[j];
      expected[j] = tmp;
    }
  g_assert_cmpmem (values, sizeof values, expected, sizeof expected);
  g_assert_cmpmem (rng.s, sizeof rng.s, by_hand.s, sizeof by_hand.s);
}

static void
test_rng_normal (void)
{
  const guint n = 100000;
  CtRng rng;
  double sum = 0, sum_sq = 0;
  guint inside = 0;
  double mean, variance;

  ct_rng_init (&rng, 5, 1, 2, 3);
  for (guint i = 0; i < n; i++)
    {
      double x = ct_rng_normal (&rng);

      g_assert_true (isfinite (x));
      sum += x;
      sum_sq += x * x;
      inside += fabs (x) < 1.959964;
    }

  mean = sum / n;
  variance = sum_sq / n - mean * mean;
  /* σ of the mean 0.003, of the variance 0.0045, of the fraction 0.0007. */
  g_assert_cmpfloat_with_epsilon (mean, 0.0, 0.02);
  g_assert_cmpfloat_with_epsilon (variance, 1.0, 0.03);
  g_assert_cmpfloat_with_epsilon ((double) inside / n, 0.95, 0.004);
}

static void
test_rng_sample_indices (void)
{
  /* The CLI's "--random 8 --seed 42" on a 10000-image test split picked
   * these before the sampler moved into core; it must keep picking them. */
  static const guint pinned[] = { 7638, 2005, 5186, 8932, 8831, 8755, 5145, 5404 };
  g_autoptr(GArray) sample = ct_rng_sample_indices (10000, 8, 42);
  g_autoptr(GArray) again = ct_rng_sample_indices (10000, 8, 42);
  g_autoptr(GArray) other = ct_rng_sample_indices (10000, 8, 43);
  g_autoptr(GArray) many = ct_rng_sample_indices (1000, 500, 3);
  g_autoptr(GArray) clamped = ct_rng_sample_indices (10, 50, 7);
  g_autoptr(GArray) empty = ct_rng_sample_indices (0, 5, 7);
  gboolean seen[1000] = { FALSE };
  gboolean all[10] = { FALSE };

  g_assert_cmpmem (sample->data, sample->len * sizeof (guint), pinned, sizeof pinned);
  g_assert_cmpmem (again->data, again->len * sizeof (guint),
                   sample->data, sample->len * sizeof (guint));
  g_assert_cmpuint (other->len, ==, 8);
  g_assert_true (memcmp (other->data, sample->data, sizeof pinned) != 0);

  g_assert_cmpuint (many->len, ==, 500);
  for (guint i = 0; i < many->len; i++)
    {
      guint index = g_array_index (many, guint, i);

      g_assert_cmpuint (index, <, 1000);
      g_assert_false (seen[index]);
      seen[index] = TRUE;
    }

  /* Asking for more than there are gives a permutation of all of them. */
  g_assert_cmpuint (clamped->len, ==, 10);
  for (guint i = 0; i < clamped->len; i++)
    all[g_array_index (clamped, guint, i)] = TRUE;
  for (guint i = 0; i < 10; i++)
    g_assert_true (all[i]);

  g_assert_cmpuint (empty->len, ==, 0);
}

/* ---- ct-image -------------------------------------------------------- */

static void
test_image_to_unit (void)
{
  guint8 pixels[] = { 0, 1, 127, 128, 254, 255 };
  float out[G_N_ELEMENTS (pixels)];

  ct_image_to_unit (pixels, G_N_ELEMENTS (pixels), out);
  g_assert_cmpfloat (out[0], ==, 0.0f);
  g_assert_cmpfloat (out[5], ==, 1.0f);
  for (guint i = 0; i < G_N_ELEMENTS (pixels); i++)
    g_assert_cmpfloat (out[i], ==, pixels[i] / 255.0f);
}

static void
test_image_normalize (void)
{
  /* Two images of two channels of two values. */
  float images[] = {
    0.5f, 1.0f,   0.0f, 0.25f,
    0.0f, 0.75f,  1.0f, 0.5f,
  };
  const float mean[] = { 0.5f, 0.25f };
  const float std[] = { 0.25f, 0.5f };
  const float expected[] = {
    0.0f, 2.0f,   -0.5f, 0.0f,
    -2.0f, 1.0f,  1.5f, 0.5f,
  };

  ct_image_normalize (images, 2, 2, 2, mean, std);
  for (guint i = 0; i < G_N_ELEMENTS (images); i++)
    g_assert_cmpfloat (images[i], ==, expected[i]);
}

/* ---- ct-perturb ------------------------------------------------------ */

/* A C×H×W image with values 1..255 and no zeros, so that any zero in the
 * output was put there by a perturbation. */
static guint8 *
make_image (guint   channels,
            guint   height,
            guint   width,
            guint32 seed)
{
  gsize n = (gsize) channels * height * width;
  guint8 *image = g_new (guint8, n);
  CtRng rng;

  ct_rng_init (&rng, seed, 0, 0, 0);
  for (gsize i = 0; i < n; i++)
    image[i] = 1 + ct_rng_below (&rng, 255);
  return image;
}

static float *
perturb (const CtPerturb *perturbation,
         const guint8    *image,
         guint            channels,
         guint            height,
         guint            width,
         const float     *mean,
         guint            index,
         guint            round)
{
  float *out = g_new (float, (gsize) channels * height * width);

  ct_perturb_apply (perturbation, image, channels, height, width, mean, index, round, out);
  return out;
}

static void
test_perturb_init (void)
{
  CtPerturb p;
  g_autofree char *text = NULL;

  ct_perturb_init (&p);
  g_assert_true (ct_perturb_is_identity (&p));
  g_assert_cmpuint (p.occlude_patch, ==, 1);
  g_assert_cmpint (p.occlude_fill, ==, CT_FILL_ZERO);
  g_assert_cmpint (p.rotate_interp, ==, CT_INTERP_NEAREST);
  g_assert_cmpuint (p.seed, ==, 0);
  text = ct_perturb_describe (&p);
  g_assert_cmpstr (text, ==, "none");
}

static void
test_perturb_identity (void)
{
  const guint c = 3, h = 6, w = 7;
  g_autofree guint8 *image = make_image (c, h, w, 1);
  CtPerturb p;

  ct_perturb_init (&p);
  p.seed = 99;

  for (guint variant = 0; variant < 3; variant++)
    {
      g_autofree float *out = NULL;

      /* A random rotation within ±0° and a bilinear 0° are identities too. */
      p.rotate_random = variant == 1;
      p.rotate_interp = variant == 2 ? CT_INTERP_BILINEAR : CT_INTERP_NEAREST;
      out = perturb (&p, image, c, h, w, NULL, 4, 2);
      for (gsize i = 0; i < (gsize) c * h * w; i++)
        g_assert_cmpfloat (out[i], ==, image[i] / 255.0f);
    }
}

/* np.rot90 for one plane: counter-clockwise on screen. */
static guint8
rot90_source (const guint8 *plane,
              guint         size,
              guint         turns,
              guint         y,
              guint         x)
{
  guint sy = y, sx = x;

  for (guint t = 0; t < turns; t++)
    {
      /* out[y][x] = in[x][size − 1 − y] */
      guint ny = sx, nx = size - 1 - sy;

      sy = ny;
      sx = nx;
    }
  return plane[sy * size + sx];
}

static void
check_quarter_turns (guint    size,
                     CtInterp interp)
{
  const guint c = 2;
  gsize plane = (gsize) size * size;
  g_autofree guint8 *image = g_new (guint8, c * plane);
  CtPerturb p;

  for (gsize i = 0; i < c * plane; i++)
    image[i] = 10 + i;

  ct_perturb_init (&p);
  p.rotate_interp = interp;

  for (int turns = -1; turns <= 4; turns++)
    {
      g_autofree float *out = NULL;
      guint positive = (guint) ((turns + 4) % 4);

      p.rotate_degrees = 90.0 * turns;
      out = perturb (&p, image, c, size, size, NULL, 0, 0);
      for (guint ch = 0; ch < c; ch++)
        for (guint y = 0; y < size; y++)
          for (guint x = 0; x < size; x++)
            {
              guint8 expected = rot90_source (image + ch * plane, size, positive, y, x);

              g_assert_cmpfloat (out[ch * plane + y * size + x], ==, expected / 255.0f);
            }
    }
}

static void
test_perturb_rotate_quarter_turns (void)
{
  /* Odd and even sizes: for the even one the centre is between pixels and the
   * quarter turns must still land exactly on pixel centres. */
  check_quarter_turns (5, CT_INTERP_NEAREST);
  check_quarter_turns (4, CT_INTERP_NEAREST);
  check_quarter_turns (5, CT_INTERP_BILINEAR);
  check_quarter_turns (4, CT_INTERP_BILINEAR);
}

static void
test_perturb_rotate_hand_5x5 (void)
{
  /* The 5×5 case written out: np.rot90 of 0..24 (row-major). */
  static const guint8 expected[25] = {
    4, 9, 14, 19, 24,
    3, 8, 13, 18, 23,
    2, 7, 12, 17, 22,
    1, 6, 11, 16, 21,
    0, 5, 10, 15, 20,
  };
  guint8 image[25];
  float out[25];
  CtPerturb p;

  for (guint i = 0; i < 25; i++)
    image[i] = i;
  ct_perturb_init (&p);
  p.rotate_degrees = 90;
  ct_perturb_apply (&p, image, 1, 5, 5, NULL, 0, 0, out);
  for (guint i = 0; i < 25; i++)
    g_assert_cmpfloat (out[i], ==, expected[i] / 255.0f);
}

static void
test_perturb_rotate_counter_clockwise (void)
{
  /* One lit pixel right of the centre moves to above it (y points down). */
  guint8 image[9] = { 0 };
  float out[9];
  CtPerturb p;

  image[1 * 3 + 2] = 255;
  ct_perturb_init (&p);
  p.rotate_degrees = 90;
  ct_perturb_apply (&p, image, 1, 3, 3, NULL, 0, 0, out);
  for (guint i = 0; i < 9; i++)
    g_assert_cmpfloat (out[i], ==, i == 0 * 3 + 1 ? 1.0f : 0.0f);
}

static void
test_perturb_rotate_30_hand (void)
{
  /* 3×3, 30°: output (0, 0) is 1 left and 1 above the centre and samples
   * the input at (1 − cos30 + sin30, 1 − sin30 − cos30) = (0.634, −0.366). */
  guint8 image[9];
  float out[9];
  CtPerturb p;
  double sx = 1 - cos (G_PI / 6) + 0.5;
  double sy = 1 - 0.5 - cos (G_PI / 6);
  double fx = sx - floor (sx);
  double fy = sy - floor (sy);
  double expected;

  for (guint i = 0; i < 9; i++)
    image[i] = 20 * (i + 1);

  ct_perturb_init (&p);
  p.rotate_degrees = 30;
  ct_perturb_apply (&p, image, 1, 3, 3, NULL, 0, 0, out);
  /* Nearest rounds (0.634, −0.366) to (1, 0). */
  g_assert_cmpfloat (out[0], ==, image[1] / 255.0f);
  /* The centre never moves. */
  g_assert_cmpfloat (out[4], ==, image[4] / 255.0f);

  /* Bilinear: the row above the image reads as 0, so only row 0 contributes,
   * with weight fy = 0.634. */
  p.rotate_interp = CT_INTERP_BILINEAR;
  ct_perturb_apply (&p, image, 1, 3, 3, NULL, 0, 0, out);
  expected = fy * ((1 - fx) * image[0] + fx * image[1]) / 255.0;
  g_assert_cmpfloat_with_epsilon (out[0], expected, 1e-6);
  g_assert_cmpfloat_with_epsilon (out[4], image[4] / 255.0, 1e-6);
}

/* Bilinear sampling reads a linear ramp v = x + 3y exactly at the sampled
 * point, so each output pixel of a rotated ramp is sx + 3·sy with no
 * interpolation left to trust.  On a 3×3 ramp (centre (1, 1)) the pixel
 * (0, 1), offset (−1, 0), samples (1 − cos θ, 1 − sin θ) and the pixel
 * (1, 0), offset (0, −1), samples (1 + sin θ, 1 − cos θ).  One degree past
 * each quarter turn: not a quarter turn (not copied), every weight in use;
 * at 181° (0, 1) reads (1.99985, 1.01745): 1.99985 + 3 · 1.01745 = 5.05221. */
static void
test_perturb_rotate_ramp (void)
{
  static const double angles[] = { 1, 91, 181, 271, -89 };
  float ramp[9], out[9];

  for (guint i = 0; i < 9; i++)
    ramp[i] = (float) (i % 3 + 3 * (i / 3));

  for (guint a = 0; a < G_N_ELEMENTS (angles); a++)
    {
      double radians = angles[a] * G_PI / 180;
      double s = sin (radians), c = cos (radians);

      ct_perturb_rotate (ramp, 1, 3, 3, angles[a], CT_INTERP_BILINEAR, out);
      g_assert_cmpfloat_with_epsilon (out[1 * 3 + 0], (1 - c) + 3 * (1 - s), 1e-5);
      g_assert_cmpfloat_with_epsilon (out[0 * 3 + 1], (1 + s) + 3 * (1 - c), 1e-5);
      g_assert_cmpfloat (out[4], ==, 4);
    }
  ct_perturb_rotate (ramp, 1, 3, 3, 181, CT_INTERP_BILINEAR, out);
  g_assert_cmpfloat_with_epsilon (out[3], 5.05221, 1e-5);
}

/* A 1×1 image still goes through: 51 reads as 51/255 = 0.2. */
static void
test_perturb_apply_one_pixel (void)
{
  const guint8 image[1] = { 51 };
  float out[1] = { -1 };
  CtPerturb p;

  ct_perturb_init (&p);
  ct_perturb_apply (&p, image, 1, 1, 1, NULL, 0, 0, out);
  g_assert_cmpfloat (out[0], ==, 0.2f);
}

/* The mean fill chosen but nothing occluded needs no means: no warning
 * (criticals are fatal in tests), the image as it is. */
static void
test_perturb_apply_mean_fill_unused (void)
{
  const guint8 image[4] = { 0, 51, 102, 255 };
  float out[4];
  CtPerturb p;

  ct_perturb_init (&p);
  p.occlude_fill = CT_FILL_MEAN;
  p.occlude_count = 0;
  ct_perturb_apply (&p, image, 1, 2, 2, NULL, 0, 0, out);
  g_assert_cmpfloat (out[0], ==, 0.0f);
  g_assert_cmpfloat (out[1], ==, 0.2f);
  g_assert_cmpfloat (out[2], ==, 0.4f);
  g_assert_cmpfloat (out[3], ==, 1.0f);
}

static void
test_perturb_rotate_fill (void)
{
  /* At 45° the corners of a 5×5 image come from outside it. */
  g_autofree guint8 *image = make_image (1, 5, 5, 2);
  g_autofree float *out = NULL;
  CtPerturb p;

  ct_perturb_init (&p);
  p.rotate_degrees = 45;
  out = perturb (&p, image, 1, 5, 5, NULL, 0, 0);
  g_assert_cmpfloat (out[0], ==, 0.0f);
  g_assert_cmpfloat (out[4], ==, 0.0f);
  g_assert_cmpfloat (out[20], ==, 0.0f);
  g_assert_cmpfloat (out[24], ==, 0.0f);
  g_assert_cmpfloat (out[12], ==, image[12] / 255.0f);
}

static void
test_perturb_random_angle (void)
{
  CtPerturb p;
  double sum = 0, lowest = G_MAXDOUBLE, highest = -G_MAXDOUBLE;
  const guint n = 2000;

  ct_perturb_init (&p);
  p.rotate_degrees = 30;
  g_assert_cmpfloat (ct_perturb_get_angle (&p, 5, 6), ==, 30);

  p.rotate_random = TRUE;
  p.seed = 17;
  for (guint i = 0; i < n; i++)
    {
      double angle = ct_perturb_get_angle (&p, i / 10, i % 10);

      g_assert_cmpfloat (angle, >=, -30);
      g_assert_cmpfloat (angle, <=, 30);
      g_assert_cmpfloat (angle, ==, ct_perturb_get_angle (&p, i / 10, i % 10));
      sum += angle;
      lowest = MIN (lowest, angle);
      highest = MAX (highest, angle);
    }
  /* σ of U[−30, 30] is 17.3, of the mean of 2000 draws 0.39. */
  g_assert_cmpfloat (fabs (sum / n), <, 2.0);
  g_assert_cmpfloat (lowest, <, -29);
  g_assert_cmpfloat (highest, >, 29);

  /* The angle is its own stream: noise and occlusion do not move it. */
  {
    double before = ct_perturb_get_angle (&p, 3, 1);

    p.noise_sigma = 0.3;
    p.occlude_count = 50;
    g_assert_cmpfloat (ct_perturb_get_angle (&p, 3, 1), ==, before);
  }
}

/* The set of positions where any channel differs between @a and @b. */
static gboolean *
changed_positions (const float *a,
                   const float *b,
                   guint        channels,
                   gsize        plane,
                   guint       *out_count)
{
  gboolean *changed = g_new0 (gboolean, plane);
  guint count = 0;

  for (gsize i = 0; i < plane; i++)
    {
      for (guint ch = 0; ch < channels; ch++)
        if (a[ch * plane + i] != b[ch * plane + i])
          changed[i] = TRUE;
      count += changed[i];
    }
  *out_count = count;
  return changed;
}

static void
test_perturb_occlusion_count (void)
{
  const guint c = 3, h = 8, w = 9;
  const gsize plane = (gsize) h * w;
  static const guint counts[] = { 1, 2, 10, 40, 72, 100 };
  g_autofree guint8 *image = make_image (c, h, w, 3);
  g_autofree float *clean = NULL;
  CtPerturb p;

  ct_perturb_init (&p);
  clean = perturb (&p, image, c, h, w, NULL, 0, 0);

  for (guint k = 0; k < G_N_ELEMENTS (counts); k++)
    {
      g_autofree float *out = NULL;
      g_autofree gboolean *changed = NULL;
      guint n_changed;

      p.occlude_count = counts[k];
      out = perturb (&p, image, c, h, w, NULL, 1, 0);
      changed = changed_positions (clean, out, c, plane, &n_changed);
      g_assert_cmpuint (n_changed, ==, MIN (counts[k], plane));

      /* Every channel of an occluded pixel is 0; the rest are untouched. */
      for (gsize i = 0; i < plane; i++)
        for (guint ch = 0; ch < c; ch++)
          g_assert_cmpfloat (out[ch * plane + i], ==, changed[i] ? 0.0f : clean[ch * plane + i]);
    }
}

static void
test_perturb_occlusion_nested (void)
{
  /* Raising N keeps the pixels already occluded. */
  const guint h = 10, w = 10;
  g_autofree guint8 *image = make_image (1, h, w, 4);
  g_autofree float *five = NULL;
  g_autofree float *twenty = NULL;
  CtPerturb p;

  ct_perturb_init (&p);
  p.seed = 8;
  p.occlude_count = 5;
  five = perturb (&p, image, 1, h, w, NULL, 2, 1);
  p.occlude_count = 20;
  twenty = perturb (&p, image, 1, h, w, NULL, 2, 1);
  for (guint i = 0; i < h * w; i++)
    if (five[i] == 0)
      g_assert_cmpfloat (twenty[i], ==, 0.0f);
}

static void
test_perturb_occlusion_patch_mean (void)
{
  const guint c = 2, h = 8, w = 8;
  const gsize plane = (gsize) h * w;
  const float mean[] = { 0.25f, 0.75f };
  g_autofree guint8 *image = make_image (c, h, w, 5);
  g_autofree float *clean = NULL;
  g_autofree float *out = NULL;
  g_autofree gboolean *changed = NULL;
  guint n_changed;
  CtPerturb p;

  ct_perturb_init (&p);
  clean = perturb (&p, image, c, h, w, NULL, 0, 0);

  p.occlude_count = 1;
  p.occlude_patch = 3;
  p.occlude_fill = CT_FILL_MEAN;
  out = perturb (&p, image, c, h, w, mean, 0, 0);
  changed = changed_positions (clean, out, c, plane, &n_changed);

  /* One 3×3 square, wholly inside the image, filled with the means. */
  g_assert_cmpuint (n_changed, ==, 9);
  {
    guint top = h, left = w;

    for (guint y = 0; y < h; y++)
      for (guint x = 0; x < w; x++)
        if (changed[y * w + x])
          top = MIN (top, y), left = MIN (left, x);
    for (guint y = top; y < top + 3; y++)
      for (guint x = left; x < left + 3; x++)
        {
          g_assert_true (changed[y * w + x]);
          g_assert_cmpfloat (out[0 * plane + y * w + x], ==, 0.25f);
          g_assert_cmpfloat (out[1 * plane + y * w + x], ==, 0.75f);
        }
  }

  /* A patch as large as the image has exactly one position. */
  p.occlude_count = 3;
  p.occlude_patch = 8;
  p.occlude_fill = CT_FILL_ZERO;
  g_clear_pointer (&out, g_free);
  out = perturb (&p, image, c, h, w, NULL, 0, 0);
  for (gsize i = 0; i < c * plane; i++)
    g_assert_cmpfloat (out[i], ==, 0.0f);
}

static void
test_perturb_reproducible (void)
{
  const guint c = 3, h = 12, w = 12;
  const gsize n = (gsize) c * h * w;
  g_autofree guint8 *image = make_image (c, h, w, 6);
  g_autofree float *first = NULL;
  g_autofree float *again = NULL;
  g_autofree float *other_round = NULL;
  g_autofree float *other_image = NULL;
  g_autofree float *other_seed = NULL;
  CtPerturb p;

  ct_perturb_init (&p);
  p.seed = 1234;
  p.noise_sigma = 0.1;
  p.rotate_degrees = 30;
  p.rotate_random = TRUE;
  p.occlude_count = 10;

  first = perturb (&p, image, c, h, w, NULL, 3, 0);
  again = perturb (&p, image, c, h, w, NULL, 3, 0);
  g_assert_cmpmem (first, n * sizeof (float), again, n * sizeof (float));

  other_round = perturb (&p, image, c, h, w, NULL, 3, 1);
  other_image = perturb (&p, image, c, h, w, NULL, 4, 0);
  g_assert_true (memcmp (first, other_round, n * sizeof (float)) != 0);
  g_assert_true (memcmp (first, other_image, n * sizeof (float)) != 0);
  p.seed = 1235;
  other_seed = perturb (&p, image, c, h, w, NULL, 3, 0);
  g_assert_true (memcmp (first, other_seed, n * sizeof (float)) != 0);
}

static void
test_perturb_round_moves_occlusion (void)
{
  const guint h = 16, w = 16;
  g_autofree guint8 *image = make_image (1, h, w, 7);
  g_autofree float *round0 = NULL;
  g_autofree float *round1 = NULL;
  guint same = 0;
  CtPerturb p;

  ct_perturb_init (&p);
  p.occlude_count = 10;
  round0 = perturb (&p, image, 1, h, w, NULL, 0, 0);
  round1 = perturb (&p, image, 1, h, w, NULL, 0, 1);
  for (guint i = 0; i < h * w; i++)
    same += round0[i] == 0 && round1[i] == 0;
  /* Two draws of 10 of 256 share 0.4 positions on average. */
  g_assert_cmpuint (same, <, 10);
}

static void
test_perturb_noise_statistics (void)
{
  const guint c = 3, h = 64, w = 64;
  const gsize n = (gsize) c * h * w;
  const double sigma = 0.1;
  g_autofree guint8 *image = g_new (guint8, n);
  g_autofree float *out = NULL;
  double x = 128 / 255.0;
  double sum = 0, sum_sq = 0, mean, std;
  CtPerturb p;

  memset (image, 128, n);
  ct_perturb_init (&p);
  p.noise_sigma = sigma;
  p.seed = 21;
  out = perturb (&p, image, c, h, w, NULL, 0, 0);

  for (gsize i = 0; i < n; i++)
    {
      sum += out[i];
      sum_sq += (out[i] - x) * (out[i] - x);
    }
  mean = sum / n;
  std = sqrt (sum_sq / n - (mean - x) * (mean - x));
  /* n = 12288: σ of the mean is 0.0009, of the standard deviation 0.0006;
   * clipping at 0 and 1 is five σ away and does not matter. */
  g_assert_cmpfloat_with_epsilon (mean, x, 0.005);
  g_assert_cmpfloat_with_epsilon (std, sigma, 0.005);
}

static void
test_perturb_noise_clipped (void)
{
  const guint c = 3, h = 16, w = 16;
  const gsize n = (gsize) c * h * w;
  g_autofree guint8 *image = make_image (c, h, w, 8);
  g_autofree float *out = NULL;
  guint zeros = 0, ones = 0;
  CtPerturb p;

  ct_perturb_init (&p);
  p.noise_sigma = 1.0;
  p.rotate_degrees = 20;
  p.rotate_interp = CT_INTERP_BILINEAR;
  out = perturb (&p, image, c, h, w, NULL, 0, 0);
  for (gsize i = 0; i < n; i++)
    {
      g_assert_cmpfloat (out[i], >=, 0.0f);
      g_assert_cmpfloat (out[i], <=, 1.0f);
      zeros += out[i] == 0.0f;
      ones += out[i] == 1.0f;
    }
  g_assert_cmpuint (zeros, >, 0);
  g_assert_cmpuint (ones, >, 0);
}

static void
test_perturb_noise_keeps_occlusion (void)
{
  /* Occluded pixels are found as the places where occlusion+noise differs
   * from noise alone; they must be the positions occluded without noise. */
  const guint c = 2, h = 12, w = 12;
  const gsize plane = (gsize) h * w;
  g_autofree guint8 *image = g_new (guint8, c * plane);
  g_autofree float *clean = NULL;
  g_autofree float *occluded = NULL;
  g_autofree gboolean *expected = NULL;
  guint n_expected;
  static const double sigmas[] = { 0.05, 0.1 };
  CtPerturb p;
  CtRng rng;

  /* Values in [0.6, 1] so that noise of σ ≤ 0.1 never clips them to 0. */
  ct_rng_init (&rng, 1, 0, 0, 0);
  for (gsize i = 0; i < c * plane; i++)
    image[i] = 153 + ct_rng_below (&rng, 103);

  ct_perturb_init (&p);
  p.seed = 5;
  clean = perturb (&p, image, c, h, w, NULL, 2, 3);
  p.occlude_count = 15;
  occluded = perturb (&p, image, c, h, w, NULL, 2, 3);
  expected = changed_positions (clean, occluded, c, plane, &n_expected);
  g_assert_cmpuint (n_expected, ==, 15);

  for (guint k = 0; k < G_N_ELEMENTS (sigmas); k++)
    {
      g_autofree float *noisy = NULL;
      g_autofree float *noisy_occluded = NULL;
      g_autofree gboolean *changed = NULL;
      guint n_changed;

      p.noise_sigma = sigmas[k];
      p.occlude_count = 0;
      noisy = perturb (&p, image, c, h, w, NULL, 2, 3);
      p.occlude_count = 15;
      noisy_occluded = perturb (&p, image, c, h, w, NULL, 2, 3);
      changed = changed_positions (noisy, noisy_occluded, c, plane, &n_changed);
      g_assert_cmpuint (n_changed, ==, 15);
      g_assert_cmpmem (changed, plane * sizeof (gboolean), expected, plane * sizeof (gboolean));
    }
}

static void
test_perturb_describe (void)
{
  CtPerturb p;
  char *text;

  ct_perturb_init (&p);
  p.noise_sigma = 0.1;
  p.rotate_degrees = 30;
  p.occlude_count = 10;
  text = ct_perturb_describe (&p);
  g_assert_cmpstr (text, ==, "noise σ=0.10, rotation 30° (nearest), 10 occluded pixels");
  g_free (text);

  ct_perturb_init (&p);
  p.rotate_degrees = 30;
  p.rotate_random = TRUE;
  text = ct_perturb_describe (&p);
  g_assert_cmpstr (text, ==, "rotation ±30° random (nearest)");
  g_free (text);

  ct_perturb_init (&p);
  p.rotate_degrees = -12.5;
  p.rotate_interp = CT_INTERP_BILINEAR;
  text = ct_perturb_describe (&p);
  g_assert_cmpstr (text, ==, "rotation -12.5° (bilinear)");
  g_free (text);

  ct_perturb_init (&p);
  p.noise_sigma = 0.125;
  p.occlude_count = 1;
  text = ct_perturb_describe (&p);
  g_assert_cmpstr (text, ==, "noise σ=0.125, 1 occluded pixel");
  g_free (text);

  ct_perturb_init (&p);
  p.occlude_count = 4;
  p.occlude_patch = 3;
  p.occlude_fill = CT_FILL_MEAN;
  text = ct_perturb_describe (&p);
  g_assert_cmpstr (text, ==, "4 occluded 3×3 patches (mean fill)");
  g_free (text);
}

/* One patch is "patch", not "patches"; one pixel was checked above. */
static void
test_perturb_describe_one_patch (void)
{
  CtPerturb p;
  g_autofree char *text = NULL;

  ct_perturb_init (&p);
  p.occlude_count = 1;
  p.occlude_patch = 2;
  text = ct_perturb_describe (&p);
  g_assert_cmpstr (text, ==, "1 occluded 2×2 patch");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/rng/xoshiro-reference", test_rng_xoshiro_reference);
  g_test_add_func ("/rng/deterministic", test_rng_deterministic);
  g_test_add_func ("/rng/nearby-streams", test_rng_nearby_streams);
  g_test_add_func ("/rng/streams-uncorrelated", test_rng_streams_uncorrelated);
  g_test_add_func ("/rng/uniform", test_rng_uniform);
  g_test_add_func ("/rng/uniform-bits", test_rng_uniform_bits);
  g_test_add_func ("/rng/below", test_rng_below);
  g_test_add_func ("/rng/below-large-bound", test_rng_below_unbiased_large_bound);
  g_test_add_func ("/rng/below-threshold-kept", test_rng_below_threshold_kept);
  g_test_add_func ("/rng/shuffle-draws", test_rng_shuffle_draws);
  g_test_add_func ("/rng/normal", test_rng_normal);
  g_test_add_func ("/rng/sample-indices", test_rng_sample_indices);

  g_test_add_func ("/image/to-unit", test_image_to_unit);
  g_test_add_func ("/image/normalize", test_image_normalize);

  g_test_add_func ("/perturb/init", test_perturb_init);
  g_test_add_func ("/perturb/identity", test_perturb_identity);
  g_test_add_func ("/perturb/rotate/quarter-turns", test_perturb_rotate_quarter_turns);
  g_test_add_func ("/perturb/rotate/hand-5x5", test_perturb_rotate_hand_5x5);
  g_test_add_func ("/perturb/rotate/counter-clockwise", test_perturb_rotate_counter_clockwise);
  g_test_add_func ("/perturb/rotate/30-hand", test_perturb_rotate_30_hand);
  g_test_add_func ("/perturb/rotate/ramp", test_perturb_rotate_ramp);
  g_test_add_func ("/perturb/rotate/fill", test_perturb_rotate_fill);
  g_test_add_func ("/perturb/rotate/random-angle", test_perturb_random_angle);
  g_test_add_func ("/perturb/occlusion/count", test_perturb_occlusion_count);
  g_test_add_func ("/perturb/occlusion/nested", test_perturb_occlusion_nested);
  g_test_add_func ("/perturb/occlusion/patch-mean", test_perturb_occlusion_patch_mean);
  g_test_add_func ("/perturb/occlusion/round", test_perturb_round_moves_occlusion);
  g_test_add_func ("/perturb/reproducible", test_perturb_reproducible);
  g_test_add_func ("/perturb/noise/statistics", test_perturb_noise_statistics);
  g_test_add_func ("/perturb/noise/clipped", test_perturb_noise_clipped);
  g_test_add_func ("/perturb/noise/keeps-occlusion", test_perturb_noise_keeps_occlusion);
  g_test_add_func ("/perturb/describe", test_perturb_describe);
  g_test_add_func ("/perturb/describe/one-patch", test_perturb_describe_one_patch);
  g_test_add_func ("/perturb/apply/one-pixel", test_perturb_apply_one_pixel);
  g_test_add_func ("/perturb/apply/mean-fill-unused", test_perturb_apply_mean_fill_unused);

  return g_test_run ();
}
