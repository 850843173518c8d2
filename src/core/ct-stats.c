/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "ct-stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ct-perturb.h"

/* t_{0.975} for 1 to 30 degrees of freedom, to six decimals. */
static const double t975_table[] = {
  12.706205, 4.302653, 3.182446, 2.776445, 2.570582,
  2.446912, 2.364624, 2.306004, 2.262157, 2.228139,
  2.200985, 2.178813, 2.160369, 2.144787, 2.131450,
  2.119905, 2.109816, 2.100922, 2.093024, 2.085963,
  2.079614, 2.073873, 2.068658, 2.063899, 2.059539,
  2.055529, 2.051831, 2.048407, 2.045230, 2.042272,
};

/* Φ⁻¹(0.975). */
#define Z975 1.959963984540054

double
ct_stats_t975 (gsize df)
{
  double z = Z975;
  double z2 = z * z;
  double nu = df;

  /* With no degrees of freedom the interval is unbounded. */
  if (df == 0)
    return INFINITY;

  if (df <= G_N_ELEMENTS (t975_table))
    return t975_table[df - 1];

  /* Past 30 the Cornish–Fisher expansion of t in powers of 1/ν is good to
   * better than 1e-6 (Abramowitz & Stegun 26.7.5). */
  return z
         + z * (z2 + 1) / (4 * nu)
         + z * ((5 * z2 + 16) * z2 + 3) / (96 * nu * nu)
         + z * (((3 * z2 + 19) * z2 + 17) * z2 - 15) / (384 * nu * nu * nu)
         + z * ((((79 * z2 + 776) * z2 + 1482) * z2 - 1920) * z2 - 945)
           / (92160 * nu * nu * nu * nu);
}

void
ct_stats_mean_ci95 (const double *values,
                    gsize         n,
                    double       *out_mean,
                    double       *out_half_width)
{
  double mean = 0;
  double squares = 0;

  g_return_if_fail (values != NULL || n == 0);

  for (gsize i = 0; i < n; i++)
    mean += values[i];
  if (n > 0)
    mean /= n;

  /* Deviations from the mean rather than Σx² − n·mean², which cancels badly
   * when the spread is small against the mean. */
  for (gsize i = 0; i < n; i++)
    squares += (values[i] - mean) * (values[i] - mean);

  if (out_mean != NULL)
    *out_mean = mean;
  if (out_half_width != NULL)
    *out_half_width = n < 2 ? 0 : ct_stats_t975 (n - 1) * sqrt (squares / (n - 1)) / sqrt ((double) n);
}

void
ct_stats_paired_difference (const double *a,
                            const double *b,
                            gsize         n,
                            double       *out_mean,
                            double       *out_half_width,
                            gsize        *out_n)
{
  g_autofree double *differences = g_new (double, MAX (n, 1));
  gsize counted = 0;
  double mean = NAN, half_width = NAN;

  g_return_if_fail ((a != NULL && b != NULL) || n == 0);

  for (gsize i = 0; i < n; i++)
    if (isfinite (a[i]) && isfinite (b[i]))
      differences[counted++] = a[i] - b[i];
  if (counted > 0)
    ct_stats_mean_ci95 (differences, counted, &mean, &half_width);

  if (out_mean != NULL)
    *out_mean = mean;
  if (out_half_width != NULL)
    *out_half_width = half_width;
  if (out_n != NULL)
    *out_n = counted;
}

static int
compare_doubles (const void *a,
                 const void *b)
{
  double x = *(const double *) a;
  double y = *(const double *) b;

  return (x > y) - (x < y);
}

double
ct_stats_percentile (double *values,
                     gsize   n,
                     double  p)
{
  double position;
  double fraction;
  double below, above;
  gsize index;

  g_return_val_if_fail (values != NULL || n == 0, NAN);

  if (n == 0)
    return NAN;

  qsort (values, n, sizeof (double), compare_doubles);

  position = CLAMP (p, 0.0, 100.0) / 100.0 * (n - 1);
  index = (gsize) floor (position);
  if (index >= n - 1)
    return values[n - 1];

  fraction = position - index;
  below = values[index];
  above = values[index + 1];

  /* NumPy's lerp: from the nearer end, so that the result is exact at both
   * ends and monotone in p. */
  if (fraction >= 0.5)
    return above - (above - below) * (1 - fraction);
  return below + (above - below) * fraction;
}

typedef struct {
  double value;
  gsize  index;
} Ranked;

/* By value, then by position, so that qsort's order is fully defined. */
static int
compare_ranked (const void *a,
                const void *b)
{
  const Ranked *x = a;
  const Ranked *y = b;

  if (x->value != y->value)
    return (x->value > y->value) - (x->value < y->value);
  return (x->index > y->index) - (x->index < y->index);
}

void
ct_stats_rank (const double *values,
               gsize         n,
               double       *out_ranks)
{
  g_autofree Ranked *sorted = g_new (Ranked, MAX (n, 1));

  g_return_if_fail (values != NULL || n == 0);
  g_return_if_fail (out_ranks != NULL || n == 0);

  for (gsize i = 0; i < n; i++)
    sorted[i] = (Ranked) { values[i], i };
  qsort (sorted, n, sizeof (Ranked), compare_ranked);

  for (gsize start = 0; start < n;)
    {
      gsize end = start + 1;
      double rank;

      while (end < n && sorted[end].value == sorted[start].value)
        end++;
      /* Ranks start + 1 … end share their mean. */
      rank = (start + 1 + end) / 2.0;
      for (gsize i = start; i < end; i++)
        out_ranks[sorted[i].index] = rank;
      start = end;
    }
}

/* Copies the positions that @mask keeps into two double arrays.
 * Returns: how many. */
static gsize
gather (const float  *a,
        const float  *b,
        const guint8 *mask,
        gsize         n,
        double       *out_a,
        double       *out_b)
{
  gsize kept = 0;

  for (gsize i = 0; i < n; i++)
    if (mask == NULL || mask[i] != 0)
      {
        out_a[kept] = a[i];
        out_b[kept] = b[i];
        kept++;
      }
  return kept;
}

static double
pearson (const double *a,
         const double *b,
         gsize         n)
{
  double mean_a = 0, mean_b = 0;
  double cross = 0, squares_a = 0, squares_b = 0;

  if (n < 2)
    return NAN;

  for (gsize i = 0; i < n; i++)
    {
      mean_a += a[i];
      mean_b += b[i];
    }
  mean_a /= n;
  mean_b /= n;
  for (gsize i = 0; i < n; i++)
    {
      double da = a[i] - mean_a;
      double db = b[i] - mean_b;

      cross += da * db;
      squares_a += da * da;
      squares_b += db * db;
    }

  if (squares_a == 0 || squares_b == 0)
    return NAN;
  return cross / sqrt (squares_a * squares_b);
}

double
ct_stats_pearson (const float  *a,
                  const float  *b,
                  const guint8 *mask,
                  gsize         n)
{
  g_autofree double *x = g_new (double, MAX (n, 1));
  g_autofree double *y = g_new (double, MAX (n, 1));

  g_return_val_if_fail ((a != NULL && b != NULL) || n == 0, NAN);

  return pearson (x, y, gather (a, b, mask, n, x, y));
}

double
ct_stats_spearman (const float  *a,
                   const float  *b,
                   const guint8 *mask,
                   gsize         n)
{
  g_autofree double *x = g_new (double, MAX (n, 1));
  g_autofree double *y = g_new (double, MAX (n, 1));
  g_autofree double *rank_x = g_new (double, MAX (n, 1));
  g_autofree double *rank_y = g_new (double, MAX (n, 1));
  gsize kept;

  g_return_val_if_fail ((a != NULL && b != NULL) || n == 0, NAN);

  kept = gather (a, b, mask, n, x, y);
  ct_stats_rank (x, kept, rank_x);
  ct_stats_rank (y, kept, rank_y);
  return pearson (rank_x, rank_y, kept);
}

double
ct_stats_top_iou (const float  *a,
                  const float  *b,
                  const guint8 *mask,
                  gsize         n,
                  double        fraction)
{
  g_autofree double *x = g_new (double, MAX (n, 1));
  g_autofree double *y = g_new (double, MAX (n, 1));
  g_autofree double *sorted = g_new (double, MAX (n, 1));
  double threshold_x, threshold_y;
  gsize kept, both = 0, either = 0;

  g_return_val_if_fail ((a != NULL && b != NULL) || n == 0, NAN);
  g_return_val_if_fail (fraction > 0 && fraction <= 1, NAN);

  kept = gather (a, b, mask, n, x, y);
  if (kept == 0)
    return NAN;

  /* ct_stats_percentile sorts, so it gets a copy. */
  memcpy (sorted, x, kept * sizeof (double));
  threshold_x = ct_stats_percentile (sorted, kept, 100.0 * (1.0 - fraction));
  memcpy (sorted, y, kept * sizeof (double));
  threshold_y = ct_stats_percentile (sorted, kept, 100.0 * (1.0 - fraction));

  for (gsize i = 0; i < kept; i++)
    {
      gboolean in_x = x[i] >= threshold_x;
      gboolean in_y = y[i] >= threshold_y;

      both += in_x && in_y;
      either += in_x || in_y;
    }
  return (double) both / either;
}

double
ct_stats_ssim (const float *a,
               const float *b,
               guint        width,
               guint        height,
               double       data_range)
{
  enum { WINDOW = 7, HALF = WINDOW / 2 };
  const double n = WINDOW * WINDOW, covariance_norm = n / (n - 1);
  const double c1 = (0.01 * data_range) * (0.01 * data_range);
  const double c2 = (0.03 * data_range) * (0.03 * data_range);
  double sum = 0;

  g_return_val_if_fail (a != NULL && b != NULL, NAN);

  if (width < WINDOW || height < WINDOW)
    return NAN;
  for (guint y = HALF; y < height - HALF; y++)
    for (guint x = HALF; x < width - HALF; x++)
      {
        double sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
        double ua, ub, va, vb, vab;

        for (guint wy = y - HALF; wy <= y + HALF; wy++)
          for (guint wx = x - HALF; wx <= x + HALF; wx++)
            {
              double va_ = a[(gsize) wy * width + wx], vb_ = b[(gsize) wy * width + wx];

              sa += va_;
              sb += vb_;
              saa += va_ * va_;
              sbb += vb_ * vb_;
              sab += va_ * vb_;
            }
        ua = sa / n;
        ub = sb / n;
        va = covariance_norm * (saa / n - ua * ua);
        vb = covariance_norm * (sbb / n - ub * ub);
        vab = covariance_norm * (sab / n - ua * ub);
        sum += (2 * ua * ub + c1) * (2 * vab + c2) /
               ((ua * ua + ub * ub + c1) * (va + vb + c2));
      }
  return sum / ((double) (width - 2 * HALF) * (height - 2 * HALF));
}

void
ct_stats_rotate_back (const float *map,
                      guint        height,
                      guint        width,
                      double       degrees,
                      float       *out_map,
                      guint8      *out_mask)
{
  gsize n = (gsize) height * width;

  g_return_if_fail (map != NULL || n == 0);
  g_return_if_fail (out_map != NULL || n == 0);

  ct_perturb_rotate (map, 1, height, width, -degrees, CT_INTERP_NEAREST, out_map);

  if (out_mask != NULL)
    {
      /* Rotated the same way, a plane of ones reads 0 exactly where the
       * samples fell outside. */
      g_autofree float *ones = g_new (float, MAX (n, 1));
      g_autofree float *inside = g_new (float, MAX (n, 1));

      for (gsize i = 0; i < n; i++)
        ones[i] = 1;
      ct_perturb_rotate (ones, 1, height, width, -degrees, CT_INTERP_NEAREST, inside);
      for (gsize i = 0; i < n; i++)
        out_mask[i] = inside[i] != 0;
    }
}

double
ct_stats_corruption_error (const double *errors,
                           const double *baseline_errors,
                           gsize         n)
{
  double total = 0, baseline = 0;

  g_return_val_if_fail ((errors != NULL && baseline_errors != NULL) || n == 0, NAN);

  for (gsize i = 0; i < n; i++)
    {
      total += errors[i];
      baseline += baseline_errors[i];
    }
  return baseline != 0 ? total / baseline : NAN;
}

double
ct_stats_relative_corruption_error (const double *errors,
                                    double        clean_error,
                                    const double *baseline_errors,
                                    double        baseline_clean_error,
                                    gsize         n)
{
  double total = 0, baseline = 0;

  g_return_val_if_fail ((errors != NULL && baseline_errors != NULL) || n == 0, NAN);

  for (gsize i = 0; i < n; i++)
    {
      total += errors[i] - clean_error;
      baseline += baseline_errors[i] - baseline_clean_error;
    }
  return baseline != 0 ? total / baseline : NAN;
}

double
ct_stats_mean_corruption_error (const double *errors,
                                gsize         n)
{
  double total = 0;
  gsize counted = 0;

  g_return_val_if_fail (errors != NULL || n == 0, NAN);

  for (gsize i = 0; i < n; i++)
    if (isfinite (errors[i]))
      {
        total += errors[i];
        counted++;
      }
  return counted > 0 ? total / counted : NAN;
}

void
ct_stats_format_duration (double  seconds,
                          char   *buffer,
                          gsize   size)
{
  gint64 s = seconds > 0 ? (gint64) (seconds + 0.5) : 0;

  if (s >= 3600)
    g_snprintf (buffer, size, "%" G_GINT64_FORMAT ":%02d:%02d", s / 3600, (int) (s / 60 % 60), (int) (s % 60));
  else
    g_snprintf (buffer, size, "%d:%02d", (int) (s / 60), (int) (s % 60));
}
