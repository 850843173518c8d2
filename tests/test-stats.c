/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <glib.h>
#include <math.h>

#include "ct-perturb.h"
#include "ct-stats.h"

static void
test_t975_table (void)
{
  g_assert_cmpfloat_with_epsilon (ct_stats_t975 (1), 12.706, 1e-3);
  g_assert_cmpfloat_with_epsilon (ct_stats_t975 (2), 4.303, 1e-3);
  g_assert_cmpfloat_with_epsilon (ct_stats_t975 (10), 2.228, 1e-3);
  g_assert_cmpfloat_with_epsilon (ct_stats_t975 (30), 2.042, 1e-3);
}

static void
test_t975_large (void)
{
  /* Reference quantiles (R's qt(0.975, df)) beyond the table. */
  static const struct {
    gsize  df;
    double t;
  } cases[] = {
    { 31, 2.039513 },
    { 40, 2.021075 },
    { 60, 2.000298 },
    { 100, 1.983972 },
    { 120, 1.979930 },
    { 1000, 1.962339 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    g_assert_cmpfloat_with_epsilon (ct_stats_t975 (cases[i].df), cases[i].t, 1e-4);

  g_assert_cmpfloat_with_epsilon (ct_stats_t975 (100), 1.984, 1e-3);
  g_assert_cmpfloat_with_epsilon (ct_stats_t975 (1000000), 1.960, 1e-3);
  g_assert_cmpfloat_with_epsilon (ct_stats_t975 (G_MAXSIZE), 1.959964, 1e-6);
}

static void
test_t975_expansion (void)
{
  /* Past the table the expansion claims better than 1e-6 (Abramowitz &
   * Stegun 26.7.5); its 1/ν³ term is still 9e-5 at ν = 31 and its 1/ν⁴
   * term 2e-6, so each term must be right.  Reference quantiles from
   * scipy 1.10's scipy.stats.t.ppf (0.975, df), to nine decimals. */
  static const struct {
    gsize  df;
    double t;
  } cases[] = {
    { 31, 2.039513446 },
    { 32, 2.036933343 },
    { 33, 2.034515297 },
    { 35, 2.030107928 },
    { 50, 2.008559110 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    g_assert_cmpfloat_with_epsilon (ct_stats_t975 (cases[i].df), cases[i].t, 1e-7);
}

static void
test_t975_monotone (void)
{
  /* Decreasing in df, also across the switch from the table at 30. */
  for (gsize df = 1; df < 5000; df++)
    g_assert_cmpfloat (ct_stats_t975 (df + 1), <, ct_stats_t975 (df));
  g_assert_true (isinf (ct_stats_t975 (0)));
}

static void
test_mean_ci95 (void)
{
  /* [1 2 3 4]: mean 2.5, s = √(5/3), half-width t₃ · s / 2. */
  const double values[] = { 1, 2, 3, 4 };
  double mean, half_width;

  ct_stats_mean_ci95 (values, 4, &mean, &half_width);
  g_assert_cmpfloat (mean, ==, 2.5);
  g_assert_cmpfloat_with_epsilon (half_width, 3.182446 * sqrt (5.0 / 3.0) / 2.0, 1e-6);
  g_assert_cmpfloat_with_epsilon (half_width, 2.054256, 1e-5);
}

static void
test_mean_ci95_small (void)
{
  const double one[] = { 0.25 };
  const double same[] = { 0.5, 0.5, 0.5 };
  const double pair[] = { 0, 1 };
  double mean = -1, half_width = -1;

  ct_stats_mean_ci95 (NULL, 0, &mean, &half_width);
  g_assert_cmpfloat (mean, ==, 0);
  g_assert_cmpfloat (half_width, ==, 0);

  ct_stats_mean_ci95 (one, 1, &mean, &half_width);
  g_assert_cmpfloat (mean, ==, 0.25);
  g_assert_cmpfloat (half_width, ==, 0);

  ct_stats_mean_ci95 (same, 3, &mean, &half_width);
  g_assert_cmpfloat (mean, ==, 0.5);
  g_assert_cmpfloat (half_width, ==, 0);

  /* s = √0.5, half-width 12.706 · √0.5 / √2 = 12.706 / 2. */
  ct_stats_mean_ci95 (pair, 2, &mean, &half_width);
  g_assert_cmpfloat (mean, ==, 0.5);
  g_assert_cmpfloat_with_epsilon (half_width, 12.706205 / 2, 1e-6);

  /* Either output may be NULL. */
  ct_stats_mean_ci95 (pair, 2, NULL, &half_width);
  ct_stats_mean_ci95 (pair, 2, &mean, NULL);
}

static void
test_mean_ci95_offset (void)
{
  /* A large common offset must not swamp a small spread. */
  const double values[] = { 1e9 + 1, 1e9 + 2, 1e9 + 3, 1e9 + 4 };
  double mean, half_width;

  ct_stats_mean_ci95 (values, 4, &mean, &half_width);
  g_assert_cmpfloat (mean, ==, 1e9 + 2.5);
  g_assert_cmpfloat_with_epsilon (half_width, 2.054256, 1e-5);
}

static void
test_mean_ci95_offset_inexact (void)
{
  /* As above, with a mean (1e9 + 7/3) that a double cannot hold: the
   * deviations no longer sum to 0 exactly, and only (x − mean)² keeps the
   * rounding out (Σ (x − mean)(x + mean), equal on paper, is off by
   * 2 · mean · Σ (x − mean), some hundreds).  Deviations −4/3, −1/3, 5/3:
   * s² = (16 + 1 + 25) / 9 / 2 = 7/3, half-width t₂ · √(7/3) / √3
   * = 4.302653 · 1.527525 / 1.732051 = 3.794583. */
  const double values[] = { 1e9 + 1, 1e9 + 2, 1e9 + 4 };
  double mean, half_width;

  ct_stats_mean_ci95 (values, 3, &mean, &half_width);
  g_assert_cmpfloat_with_epsilon (mean, 1e9 + 7.0 / 3.0, 1e-6);
  g_assert_cmpfloat_with_epsilon (half_width, 4.302653 * sqrt (7.0 / 3.0) / sqrt (3.0), 1e-5);
}

/* Differences 2, 3, 4 (the pair with a NaN left out): mean 3, s = 1,
 * half-width t(2) · 1/√3 = 4.302653 / 1.732051. */
static void
test_paired_difference (void)
{
  const double a[] = { 3, 5, NAN, 10 };
  const double b[] = { 1, 2, 4, 6 };
  double mean, half_width;
  gsize n;

  ct_stats_paired_difference (a, b, 4, &mean, &half_width, &n);
  g_assert_cmpuint (n, ==, 3);
  g_assert_cmpfloat_with_epsilon (mean, 3.0, 1e-12);
  g_assert_cmpfloat_with_epsilon (half_width, 2.484138, 1e-6);

  /* Swapped, the sign turns and the width stays. */
  ct_stats_paired_difference (b, a, 4, &mean, &half_width, NULL);
  g_assert_cmpfloat_with_epsilon (mean, -3.0, 1e-12);
  g_assert_cmpfloat_with_epsilon (half_width, 2.484138, 1e-6);

  ct_stats_paired_difference (a + 2, b + 2, 1, &mean, &half_width, &n);
  g_assert_cmpuint (n, ==, 0);
  g_assert_true (isnan (mean) && isnan (half_width));
}

static void
test_percentile (void)
{
  double values[] = { 4, 1, 3, 2 };

  /* As numpy.percentile([1, 2, 3, 4], p). */
  g_assert_cmpfloat_with_epsilon (ct_stats_percentile (values, 4, 50), 2.5, 1e-12);
  g_assert_cmpfloat_with_epsilon (ct_stats_percentile (values, 4, 95), 3.85, 1e-12);
  g_assert_cmpfloat_with_epsilon (ct_stats_percentile (values, 4, 25), 1.75, 1e-12);
  g_assert_cmpfloat (ct_stats_percentile (values, 4, 0), ==, 1);
  g_assert_cmpfloat (ct_stats_percentile (values, 4, 100), ==, 4);

  /* Sorted in place. */
  for (guint i = 0; i < 4; i++)
    g_assert_cmpfloat (values[i], ==, i + 1);
}

static void
test_percentile_edges (void)
{
  double odd[] = { 9, -1, 5 };
  double single[] = { 7 };
  double ties[] = { 2, 2, 2, 2, 8 };

  g_assert_cmpfloat (ct_stats_percentile (odd, 3, 50), ==, 5);
  g_assert_cmpfloat (ct_stats_percentile (single, 1, 50), ==, 7);
  g_assert_cmpfloat (ct_stats_percentile (single, 1, 95), ==, 7);
  g_assert_cmpfloat (ct_stats_percentile (ties, 5, 50), ==, 2);
  /* Position 0.9 · 4 = 3.6: 2 + 0.6 · 6. */
  g_assert_cmpfloat_with_epsilon (ct_stats_percentile (ties, 5, 90), 5.6, 1e-12);
  g_assert_true (isnan (ct_stats_percentile (NULL, 0, 50)));
}

static void
test_rank (void)
{
  const double values[] = { 10, 20, 20, 5, 20 };
  const double expected[] = { 2, 4, 4, 1, 4 };
  const double flat[] = { 3, 3, 3 };
  double ranks[5];

  /* The three 20s span ranks 3, 4 and 5. */
  ct_stats_rank (values, 5, ranks);
  for (guint i = 0; i < 5; i++)
    g_assert_cmpfloat (ranks[i], ==, expected[i]);
  ct_stats_rank (flat, 3, ranks);
  for (guint i = 0; i < 3; i++)
    g_assert_cmpfloat (ranks[i], ==, 2);
}

static void
test_pearson (void)
{
  const float a[] = { 1, 2, 3, 4 };
  const float doubled[] = { 2, 4, 6, 8 };
  const float reversed[] = { 8, 6, 4, 2 };
  const float flat[] = { 5, 5, 5, 5 };
  const float three_a[] = { 1, 2, 3 };
  const float three_b[] = { 1, 3, 2 };
  const float outlier_a[] = { 1, 2, 3, 100 };
  const float outlier_b[] = { 1, 2, 3, -50 };
  const guint8 mask[] = { 1, 1, 1, 0 };

  g_assert_cmpfloat_with_epsilon (ct_stats_pearson (a, doubled, NULL, 4), 1, 1e-12);
  g_assert_cmpfloat_with_epsilon (ct_stats_pearson (a, reversed, NULL, 4), -1, 1e-12);
  /* Deviations (−1, 0, 1) and (−1, 1, 0): 1 / √(2 · 2). */
  g_assert_cmpfloat_with_epsilon (ct_stats_pearson (three_a, three_b, NULL, 3), 0.5, 1e-12);
  g_assert_true (isnan (ct_stats_pearson (a, flat, NULL, 4)));
  g_assert_true (isnan (ct_stats_pearson (a, a, NULL, 1)));
  /* The mask drops the outlier. */
  g_assert_cmpfloat (ct_stats_pearson (outlier_a, outlier_b, NULL, 4), <, 0);
  g_assert_cmpfloat_with_epsilon (ct_stats_pearson (outlier_a, outlier_b, mask, 4), 1, 1e-12);
}

static void
test_spearman (void)
{
  const float a[] = { 1, 2, 3, 4 };
  const float squares[] = { 1, 4, 9, 16 };
  const float tied[] = { 1, 2, 2, 3 };
  const float flat[] = { 5, 5, 5, 5 };

  /* Monotone but not linear: ρ = 1, r < 1. */
  g_assert_cmpfloat_with_epsilon (ct_stats_spearman (a, squares, NULL, 4), 1, 1e-12);
  g_assert_cmpfloat (ct_stats_pearson (a, squares, NULL, 4), <, 0.99);
  /* Ranks (1, 2.5, 2.5, 4) against (1, 2, 3, 4): deviations (−1.5, 0, 0,
   * 1.5) and (−1.5, −0.5, 0.5, 1.5) give 4.5 / √(4.5 · 5). */
  g_assert_cmpfloat_with_epsilon (ct_stats_spearman (tied, a, NULL, 4), 4.5 / sqrt (22.5), 1e-12);
  g_assert_true (isnan (ct_stats_spearman (a, flat, NULL, 4)));
}

static void
test_top_iou (void)
{
  /* 0 … 9: the 80th percentile is 7.2, so the top 20% is {8, 9} (indices
   * 8 and 9).  In b the 9 sits at index 7, the 8 at 8: top {7, 8}.  One
   * shared of three: 1/3. */
  const float a[] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9 };
  const float b[] = { 0, 1, 2, 3, 4, 5, 6, 9, 8, 7 };
  const float flat[] = { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1 };
  const guint8 mask[] = { 1, 1, 1, 1, 1, 1, 1, 1, 1, 0 };

  g_assert_cmpfloat_with_epsilon (ct_stats_top_iou (a, b, NULL, 10, 0.2), 1 / 3.0, 1e-12);
  g_assert_cmpfloat (ct_stats_top_iou (a, a, NULL, 10, 0.2), ==, 1);
  /* A constant map is all top: 2 of 10 shared. */
  g_assert_cmpfloat_with_epsilon (ct_stats_top_iou (a, flat, NULL, 10, 0.2), 0.2, 1e-12);
  /* Without index 9 the 80th percentile of 0 … 8 is 6.4: a's top is
   * {7, 8}, b's {7, 8} as well. */
  g_assert_cmpfloat (ct_stats_top_iou (a, b, mask, 10, 0.2), ==, 1);
  g_assert_true (isnan (ct_stats_top_iou (a, b, (const guint8[10]) { 0 }, 10, 0.2)));
}

static void
test_rotate_back (void)
{
  float map[25], turned[25], back[25];
  guint8 mask[25];

  for (guint i = 0; i < 25; i++)
    map[i] = i;

  /* A quarter turn is exact both ways and loses nothing. */
  ct_perturb_rotate (map, 1, 5, 5, 90, CT_INTERP_NEAREST, turned);
  ct_stats_rotate_back (turned, 5, 5, 90, back, mask);
  for (guint i = 0; i < 25; i++)
    {
      g_assert_cmpfloat (back[i], ==, map[i]);
      g_assert_cmpuint (mask[i], ==, 1);
    }
  /* The turn moved the top-right corner (4) to the top-left. */
  g_assert_cmpfloat (turned[0], ==, 4);

  /* 45°: the corner (0, 0) samples (−0.83, −0.83), outside; the top
   * middle samples (0.59, 0.59), inside; the centre stays. */
  ct_perturb_rotate (map, 1, 5, 5, 45, CT_INTERP_NEAREST, turned);
  ct_stats_rotate_back (turned, 5, 5, 45, back, mask);
  g_assert_cmpuint (mask[0], ==, 0);
  g_assert_cmpuint (mask[24], ==, 0);
  g_assert_cmpuint (mask[2], ==, 1);
  g_assert_cmpuint (mask[12], ==, 1);
  g_assert_cmpfloat (back[12], ==, 12);
}

static void
test_corruption_error (void)
{
  const double errors[] = { 0.2, 0.4 };
  const double baseline[] = { 0.1, 0.1 };
  const double perfect[] = { 0, 0 };
  const double ces[] = { 1, 3, NAN };

  /* (0.2 + 0.4) / (0.1 + 0.1). */
  g_assert_cmpfloat_with_epsilon (ct_stats_corruption_error (errors, baseline, 2), 3, 1e-12);
  /* ((0.2 − 0.1) + (0.4 − 0.1)) / ((0.1 − 0.05) + (0.1 − 0.05)). */
  g_assert_cmpfloat_with_epsilon (ct_stats_relative_corruption_error (errors, 0.1, baseline, 0.05, 2),
                                  4, 1e-12);
  g_assert_true (isnan (ct_stats_corruption_error (errors, perfect, 2)));
  g_assert_true (isnan (ct_stats_relative_corruption_error (errors, 0.1, baseline, 0.1, 2)));
  /* The mean skips a corruption whose CE is undefined. */
  g_assert_cmpfloat (ct_stats_mean_corruption_error (ces, 3), ==, 2);
  g_assert_true (isnan (ct_stats_mean_corruption_error (ces + 2, 1)));
}

static void
test_format_duration (void)
{
  static const struct { double seconds; const char *text; } cases[] = {
    { 0, "0:00" }, { -5, "0:00" }, { 59.4, "0:59" }, { 59.5, "1:00" },
    { 754, "12:34" }, { 3599.4, "59:59" }, { 3600, "1:00:00" }, { 90061, "25:01:01" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      char buffer[32];

      ct_stats_format_duration (cases[i].seconds, buffer, sizeof buffer);
      g_assert_cmpstr (buffer, ==, cases[i].text);
    }
}

/* SSIM: constant maps by hand; other maps against scikit-image 0.19's
 * structural_similarity (which computes float32 inputs in float32). */
static void
test_ssim (void)
{
  float a[72], b[72], c[49], d[49];

  for (guint i = 0; i < 72; i++)
    {
      a[i] = (float) (i * 37 % 101) / 100.0f;
      b[i] = 0.5f * ((float) (i * 53 % 97) / 96.0f) + 0.5f * a[i];
    }
  for (guint i = 0; i < 49; i++)
    {
      c[i] = 0.2f;
      d[i] = 0.6f;
    }
  /* Constant windows: no variance, so (2 μa μb + C1) / (μa² + μb² + C1). */
  g_assert_cmpfloat_with_epsilon (ct_stats_ssim (c, d, 7, 7, 1),
                                  (2 * 0.2 * 0.6 + 1e-4) / (0.04 + 0.36 + 1e-4), 1e-6);
  g_assert_cmpfloat_with_epsilon (ct_stats_ssim (a, a, 8, 9, 1), 1, 1e-12);
  /* skimage.metrics.structural_similarity(a, b, data_range=1 or 2). */
  g_assert_cmpfloat_with_epsilon (ct_stats_ssim (a, b, 8, 9, 1), 0.7364782094955444, 1e-5);
  g_assert_cmpfloat_with_epsilon (ct_stats_ssim (a, b, 8, 9, 2), 0.7413930197556814, 1e-5);
  g_assert_cmpfloat_with_epsilon (ct_stats_ssim (a, b, 8, 9, 1), ct_stats_ssim (b, a, 8, 9, 1),
                                  1e-12);
  g_assert_true (isnan (ct_stats_ssim (a, b, 6, 12, 1)));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/stats/t975/table", test_t975_table);
  g_test_add_func ("/stats/t975/large", test_t975_large);
  g_test_add_func ("/stats/t975/expansion", test_t975_expansion);
  g_test_add_func ("/stats/t975/monotone", test_t975_monotone);
  g_test_add_func ("/stats/mean-ci95", test_mean_ci95);
  g_test_add_func ("/stats/mean-ci95/small", test_mean_ci95_small);
  g_test_add_func ("/stats/mean-ci95/offset", test_mean_ci95_offset);
  g_test_add_func ("/stats/mean-ci95/offset-inexact", test_mean_ci95_offset_inexact);
  g_test_add_func ("/stats/paired-difference", test_paired_difference);
  g_test_add_func ("/stats/percentile", test_percentile);
  g_test_add_func ("/stats/percentile/edges", test_percentile_edges);
  g_test_add_func ("/stats/rank", test_rank);
  g_test_add_func ("/stats/pearson", test_pearson);
  g_test_add_func ("/stats/spearman", test_spearman);
  g_test_add_func ("/stats/top-iou", test_top_iou);
  g_test_add_func ("/stats/rotate-back", test_rotate_back);
  g_test_add_func ("/stats/format-duration", test_format_duration);
  g_test_add_func ("/stats/corruption-error", test_corruption_error);

  g_test_add_func ("/stats/ssim", test_ssim);

  return g_test_run ();
}
