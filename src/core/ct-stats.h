/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Mean of @n values and the half-width of its two-sided 95% confidence
 * interval from Student's t with n−1 degrees of freedom (0 when n < 2). */
void   ct_stats_mean_ci95       (const double *values,
                                 gsize         n,
                                 double       *out_mean,
                                 double       *out_half_width);

/* The 0.975 quantile of Student's t with @df degrees of freedom. */
double ct_stats_t975            (gsize         df);

/* Median and the p-th percentile (linear interpolation, as NumPy's default)
 * of @n values; @values is sorted in place. */
double ct_stats_percentile      (double       *values,
                                 gsize         n,
                                 double        p);

G_END_DECLS
