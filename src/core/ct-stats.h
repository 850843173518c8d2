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

/* Paired difference of @a and @b: the mean of a_i − b_i over the @n pairs
 * where both are finite, with its Student-t 95% half-width (as
 * ct_stats_mean_ci95); *@out_n (nullable) gets the pairs counted.  NaN mean
 * and half-width when no pair counts. */
void   ct_stats_paired_difference (const double *a,
                                   const double *b,
                                   gsize         n,
                                   double       *out_mean,
                                   double       *out_half_width,
                                   gsize        *out_n);

/* The 0.975 quantile of Student's t with @df degrees of freedom. */
double ct_stats_t975            (gsize         df);

/* Median and the p-th percentile (linear interpolation, as NumPy's default)
 * of @n values; @values is sorted in place. */
double ct_stats_percentile      (double       *values,
                                 gsize         n,
                                 double        p);

/* Ranks of @n values from 1 for the smallest, ties sharing the mean of the
 * ranks they span (scipy.stats.rankdata's "average"). */
void   ct_stats_rank            (const double *values,
                                 gsize         n,
                                 double       *out_ranks);

/* Agreement of two heatmaps of @n values, over the positions where @mask
 * is non-zero (all of them when @mask is NULL).
 *
 * Pearson's r; NaN when fewer than two positions count or either map is
 * constant over them. */
double ct_stats_pearson         (const float  *a,
                                 const float  *b,
                                 const guint8 *mask,
                                 gsize         n);
/* Spearman's ρ: Pearson's r of the average ranks; NaN as Pearson's. */
double ct_stats_spearman        (const float  *a,
                                 const float  *b,
                                 const guint8 *mask,
                                 gsize         n);
/* Intersection over union of the two maps' top @fraction (0.2 for the
 * top 20%): each map's positions at or above its (1 − @fraction) quantile
 * (ct_stats_percentile), so values tied at the threshold all count and a
 * constant map is all top.  NaN when no position counts. */
double ct_stats_top_iou         (const float  *a,
                                 const float  *b,
                                 const guint8 *mask,
                                 gsize         n,
                                 double        fraction);

/* The mean structural similarity of two @height × @width maps as
 * scikit-image's structural_similarity (Wang et al. 2004) with its
 * defaults: a 7 × 7 uniform window, sample covariances (× 49/48),
 * K1 0.01, K2 0.03, the given @data_range, averaged over the positions
 * whose window lies inside the maps.  NaN when a side is under 7. */
double ct_stats_ssim            (const float  *a,
                                 const float  *b,
                                 guint         width,
                                 guint         height,
                                 double        data_range);

/* Undoes the rotation of an image for its heatmap: turns @map (@height ×
 * @width) by −@degrees with ct_perturb_rotate(), nearest neighbour, so
 * each position lines up with the same object region in the unrotated
 * image.  @out_mask (nullable) gets 1 where the sample came from inside the
 * map and 0 where it fell outside (the corners the rotation cut off), for
 * the comparisons above. */
void   ct_stats_rotate_back     (const float  *map,
                                 guint         height,
                                 guint         width,
                                 double        degrees,
                                 float        *out_map,
                                 guint8       *out_mask);

/* Corruption error of one corruption (Hendrycks & Dietterich 2019):
 * CE = Σ_s E_s / Σ_s E^base_s over @n severities, E the top-1 error; NaN
 * when the baseline never errs. */
double ct_stats_corruption_error          (const double *errors,
                                           const double *baseline_errors,
                                           gsize         n);
/* Relative CE: Σ_s (E_s − E_clean) / Σ_s (E^base_s − E^base_clean), the
 * degradation against the baseline's; NaN when the baseline's is 0. */
double ct_stats_relative_corruption_error (const double *errors,
                                           double        clean_error,
                                           const double *baseline_errors,
                                           double        baseline_clean_error,
                                           gsize         n);
/* Mean CE (or relative mCE) over corruptions: the mean of the finite
 * values of @errors, NaN when there are none. */
double ct_stats_mean_corruption_error     (const double *errors,
                                           gsize         n);

/* A duration as a clock reads: "m:ss", or "h:mm:ss" from an hour on
 * (rounded to the second, negative as 0).  Writes into @buffer of @size. */
void ct_stats_format_duration (double  seconds,
                               char   *buffer,
                               gsize   size);

G_END_DECLS
