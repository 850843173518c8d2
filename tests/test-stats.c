/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <glib.h>
#include <math.h>

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

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/stats/t975/table", test_t975_table);
  g_test_add_func ("/stats/t975/large", test_t975_large);
  g_test_add_func ("/stats/t975/monotone", test_t975_monotone);
  g_test_add_func ("/stats/mean-ci95", test_mean_ci95);
  g_test_add_func ("/stats/mean-ci95/small", test_mean_ci95_small);
  g_test_add_func ("/stats/mean-ci95/offset", test_mean_ci95_offset);
  g_test_add_func ("/stats/percentile", test_percentile);
  g_test_add_func ("/stats/percentile/edges", test_percentile_edges);

  return g_test_run ();
}
