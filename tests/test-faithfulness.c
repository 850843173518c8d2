/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <glib.h>
#include <math.h>

#include "ct-faithfulness.h"

/* A 10 × 10 grey image whose object is its first 20 pixels (value 1, the
 * rest 0), and a "model" whose class probability is the mean of the
 * object's pixels: the curves and their areas are known by hand. */
enum { SIDE = 10, N = SIDE * SIDE, OBJECT = 20 };

static double
object_probability (const float *image)
{
  double sum = 0;

  for (guint p = 0; p < OBJECT; p++)
    sum += image[p];
  return sum / OBJECT;
}

/* The curve of deleting (or inserting) in @heatmap's order, 10 pixels a
 * step, against a black baseline, and its area. */
static double
curve_area (const float *heatmap,
            gboolean     insertion,
            double      *curve)
{
  float image[N] = { 0 }, baseline[N], step_image[N];
  guint order[N];
  gsize step = ct_faithfulness_step (N, 0.1);
  guint n_steps = ct_faithfulness_n_steps (N, step);

  g_assert_cmpuint (step, ==, 10);
  g_assert_cmpuint (n_steps, ==, 10);
  for (guint p = 0; p < OBJECT; p++)
    image[p] = 1;
  ct_faithfulness_baseline (CT_BASELINE_ZERO, NULL, 1, N, baseline);
  ct_faithfulness_order (heatmap, N, order);
  for (guint k = 0; k <= n_steps; k++)
    {
      if (insertion)
        ct_faithfulness_blend (baseline, image, 1, N, order, k * step, step_image);
      else
        ct_faithfulness_blend (image, baseline, 1, N, order, k * step, step_image);
      curve[k] = object_probability (step_image);
    }
  return ct_faithfulness_auc (curve, n_steps + 1);
}

static void
test_deletion_insertion (void)
{
  float right[N], wrong[N];
  double curve[11];

  /* The right heatmap ranks the object first, the wrong one last. */
  for (guint p = 0; p < N; p++)
    {
      right[p] = p < OBJECT ? 1.0f : 0.5f - p * 1e-3f;
      wrong[p] = p < OBJECT ? 0.0f : 1.0f - p * 1e-3f;
    }

  /* Deletion, right: 1, 0.5, then 0 → (1.5 − 0.5 − 0) / 10. */
  g_assert_cmpfloat_with_epsilon (curve_area (right, FALSE, curve), 0.1, 1e-12);
  g_assert_cmpfloat (curve[1], ==, 0.5);
  g_assert_cmpfloat (curve[2], ==, 0);
  /* Deletion, wrong: 1 for 8 steps, then 0.5, 0 → (9.5 − 0.5) / 10. */
  g_assert_cmpfloat_with_epsilon (curve_area (wrong, FALSE, curve), 0.9, 1e-12);
  /* Insertion mirrors it: right 0, 0.5, then 1 → (9.5 − 0.5) / 10. */
  g_assert_cmpfloat_with_epsilon (curve_area (right, TRUE, curve), 0.9, 1e-12);
  g_assert_cmpfloat_with_epsilon (curve_area (wrong, TRUE, curve), 0.1, 1e-12);
}

static void
test_order (void)
{
  const float heatmap[] = { 0.5f, 1, 0.5f, 0, 0.75f };
  const guint expected[] = { 1, 4, 0, 2, 3 };
  guint order[5];

  ct_faithfulness_order (heatmap, 5, order);
  for (guint i = 0; i < 5; i++)
    g_assert_cmpuint (order[i], ==, expected[i]);
}

static void
test_steps (void)
{
  /* 2% of a 32 × 32 image: 20 pixels, 52 steps (the last of 4 pixels). */
  g_assert_cmpuint (ct_faithfulness_step (1024, 0.02), ==, 20);
  g_assert_cmpuint (ct_faithfulness_n_steps (1024, 20), ==, 52);
  g_assert_cmpuint (ct_faithfulness_step (10, 0.001), ==, 1);
  g_assert_cmpuint (ct_faithfulness_n_steps (10, 1), ==, 10);
}

static void
test_auc (void)
{
  const double flat[] = { 1, 1, 1 };
  const double ramp[] = { 0, 0.5, 1 };
  const double two[] = { 0, 1 };

  g_assert_cmpfloat (ct_faithfulness_auc (flat, 3), ==, 1);
  g_assert_cmpfloat (ct_faithfulness_auc (ramp, 3), ==, 0.5);
  g_assert_cmpfloat (ct_faithfulness_auc (two, 2), ==, 0.5);
}

static void
test_blend_channels (void)
{
  const float from[] = { 1, 2, 3,   4, 5, 6 };
  const float to[] = { -1, -2, -3,   -4, -5, -6 };
  const guint order[] = { 2, 0, 1 };
  float out[6];

  ct_faithfulness_blend (from, to, 2, 3, order, 2, out);
  g_assert_cmpfloat (out[0], ==, -1);
  g_assert_cmpfloat (out[1], ==, 2);
  g_assert_cmpfloat (out[2], ==, -3);
  g_assert_cmpfloat (out[3], ==, -4);
  g_assert_cmpfloat (out[4], ==, 5);
  g_assert_cmpfloat (out[5], ==, -6);
  /* More than every pixel is every pixel. */
  ct_faithfulness_blend (from, to, 2, 3, order, 7, out);
  for (guint i = 0; i < 6; i++)
    g_assert_cmpfloat (out[i], ==, to[i]);
}

static void
test_cam_mult_and_confidence (void)
{
  const float image[] = { 1, 0.5f,   0.25f, 1 };
  const float heatmap[] = { 0.5f, 1 };
  const float mean[] = { 0.4f, 0.6f };
  float out[4], baseline[4];
  CtBaseline parsed;

  ct_faithfulness_cam_mult (image, 2, 2, heatmap, out);
  g_assert_cmpfloat (out[0], ==, 0.5f);
  g_assert_cmpfloat (out[1], ==, 0.5f);
  g_assert_cmpfloat (out[2], ==, 0.125f);
  g_assert_cmpfloat (out[3], ==, 1);

  /* 100 · max(0, y − o) / y; 100 when o > y. */
  g_assert_cmpfloat_with_epsilon (ct_faithfulness_drop (0.8, 0.6), 25, 1e-12);
  g_assert_cmpfloat (ct_faithfulness_drop (0.8, 0.9), ==, 0);
  g_assert_cmpfloat (ct_faithfulness_increase (0.8, 0.9), ==, 100);
  g_assert_cmpfloat (ct_faithfulness_increase (0.8, 0.8), ==, 0);

  ct_faithfulness_baseline (CT_BASELINE_MEAN, mean, 2, 2, baseline);
  g_assert_cmpfloat (baseline[1], ==, 0.4f);
  g_assert_cmpfloat (baseline[2], ==, 0.6f);
  g_assert_true (ct_baseline_from_string ("mean", &parsed));
  g_assert_cmpint (parsed, ==, CT_BASELINE_MEAN);
  g_assert_true (ct_baseline_from_string ("zero", &parsed));
  g_assert_cmpint (parsed, ==, CT_BASELINE_ZERO);
  g_assert_false (ct_baseline_from_string ("blur", &parsed));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/faithfulness/deletion-insertion", test_deletion_insertion);
  g_test_add_func ("/faithfulness/order", test_order);
  g_test_add_func ("/faithfulness/steps", test_steps);
  g_test_add_func ("/faithfulness/auc", test_auc);
  g_test_add_func ("/faithfulness/blend-channels", test_blend_channels);
  g_test_add_func ("/faithfulness/cam-mult-and-confidence", test_cam_mult_and_confidence);

  return g_test_run ();
}
