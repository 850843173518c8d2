/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "ct-stats.h"

#include <math.h>
#include <stdlib.h>

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
