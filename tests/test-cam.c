/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <glib.h>
#include <math.h>
#include <string.h>

#include "ct-cam.h"

static void
assert_floats (const float *actual,
               const float *expected,
               gsize        n,
               float        epsilon)
{
  for (gsize i = 0; i < n; i++)
    if (fabsf (actual[i] - expected[i]) > epsilon)
      g_error ("value %" G_GSIZE_FORMAT ": %.9g, expected %.9g", i, actual[i], expected[i]);
}

static void
test_relu (void)
{
  float cam[] = { -2.0f, -0.0f, 0.0f, 0.5f, 3.0f };
  const float expected[] = { 0.0f, 0.0f, 0.0f, 0.5f, 3.0f };

  ct_cam_relu (cam, G_N_ELEMENTS (cam));
  assert_floats (cam, expected, G_N_ELEMENTS (cam), 0);
}

static void
test_minmax (void)
{
  float cam[] = { 1.0f, 2.0f, 3.0f, 1.5f };
  /* (x − 1) / (1e-7 + 2) in float32. */
  const float denominator = 1e-7f + 2.0f;
  const float expected[] = {
    0.0f, 1.0f / denominator, 2.0f / denominator, 0.5f / denominator,
  };

  ct_cam_minmax (cam, G_N_ELEMENTS (cam));
  assert_floats (cam, expected, G_N_ELEMENTS (cam), 0);
  /* In float32 2 + 1e-7 rounds to 2, so the maximum is exactly 1, as NumPy
   * gives; with a range of 1 the 1e-7 survives and the maximum stays below. */
  g_assert_cmpfloat (cam[2], ==, 1.0f);

  {
    float unit[] = { 0.0f, 1.0f };

    ct_cam_minmax (unit, 2);
    g_assert_cmpfloat (unit[1], ==, 1.0f / 1.0000001f);
    g_assert_cmpfloat (unit[1], <, 1.0f);
  }

  /* Neither end first: the extremes are found wherever they are. */
  {
    float middle_first[] = { 4.0f, 6.0f, 2.0f };
    const float scaled[] = { 2.0f / (4.0f + 1e-7f), 4.0f / (4.0f + 1e-7f), 0.0f };

    ct_cam_minmax (middle_first, G_N_ELEMENTS (middle_first));
    assert_floats (middle_first, scaled, G_N_ELEMENTS (scaled), 0);
  }
}

static void
test_minmax_negative (void)
{
  float cam[] = { -4.0f, 0.0f, 4.0f };
  const float expected[] = { 0.0f, 4.0f / (8.0f + 1e-7f), 8.0f / (8.0f + 1e-7f) };

  ct_cam_minmax (cam, G_N_ELEMENTS (cam));
  assert_floats (cam, expected, G_N_ELEMENTS (cam), 0);
}

static void
test_minmax_constant (void)
{
  /* 0 / (1e-7 + 0) = 0: a flat map becomes all zeros, not NaN. */
  float cam[] = { 5.0f, 5.0f, 5.0f, 5.0f };
  float single[] = { -3.0f };

  ct_cam_minmax (cam, G_N_ELEMENTS (cam));
  for (guint i = 0; i < G_N_ELEMENTS (cam); i++)
    g_assert_cmpfloat (cam[i], ==, 0.0f);
  ct_cam_minmax (single, 1);
  g_assert_cmpfloat (single[0], ==, 0.0f);
}

static void
test_resize_2x2_to_4x4 (void)
{
  /* Worked by hand: the taps along each axis are (0, w 0), (0, w .25),
   * (0, w .75), (1, w 0); torch's interpolate(align_corners=False) gives
   * the same. */
  const float src[] = { 0, 1, 2, 3 };
  const float expected[] = {
    0.0f, 0.25f, 0.75f, 1.0f,
    0.5f, 0.75f, 1.25f, 1.5f,
    1.5f, 1.75f, 2.25f, 2.5f,
    2.0f, 2.25f, 2.75f, 3.0f,
  };
  float dst[16];

  ct_cam_resize (src, 2, 2, dst, 4, 4);
  assert_floats (dst, expected, 16, 0);
}

static void
test_resize_2x2_to_3x3 (void)
{
  /* Source coordinates −1/6, 1/2, 7/6: clamped, midway, clamped. */
  const float src[] = { 0, 1, 2, 3 };
  const float expected[] = {
    0.0f, 0.5f, 1.0f,
    1.0f, 1.5f, 2.0f,
    2.0f, 2.5f, 3.0f,
  };
  float dst[9];

  ct_cam_resize (src, 2, 2, dst, 3, 3);
  assert_floats (dst, expected, 9, 1e-6f);
}

static void
test_resize_3x3_to_2x2 (void)
{
  /* Downscale by 1.5: source coordinates 0.25 and 1.75 on both axes.
   * Rows [0 1 2] [3 4 5] [6 7 8] become [.25 1.75] [3.25 4.75] [6.25 7.75];
   * then .75·row0 + .25·row1 and .25·row1 + .75·row2. */
  const float src[] = { 0, 1, 2, 3, 4, 5, 6, 7, 8 };
  const float expected[] = { 1.0f, 2.5f, 5.5f, 7.0f };
  float dst[4];

  ct_cam_resize (src, 3, 3, dst, 2, 2);
  assert_floats (dst, expected, 4, 1e-6f);
}

static void
test_resize_non_square (void)
{
  /* 1×2 → 2×4: one row, so every output row is the same. */
  const float row[] = { 0, 4 };
  const float expected_row[] = { 0, 1, 3, 4, 0, 1, 3, 4 };
  /* 3×1 → 6×1: coordinates −.25 .25 .75 1.25 1.75 2.25. */
  const float column[] = { 0, 2, 10 };
  const float expected_column[] = { 0, 0.5f, 1.5f, 4, 8, 10 };
  float dst[8];

  ct_cam_resize (row, 1, 2, dst, 2, 4);
  assert_floats (dst, expected_row, 8, 0);
  ct_cam_resize (column, 3, 1, dst, 6, 1);
  assert_floats (dst, expected_column, 6, 0);
}

/* One side kept, the other resized: 2×2 → 2×4 (coordinates along x
 * −.25 .25 .75 1.25) and 2×2 → 1×2 (the one row at y = .5, between both). */
static void
test_resize_one_side (void)
{
  const float src[] = { 0, 1, 2, 3 };
  const float wider[] = { 0, 0.25f, 0.75f, 1, 2, 2.25f, 2.75f, 3 };
  const float one_row[] = { 1, 2 };
  float dst[8];

  ct_cam_resize (src, 2, 2, dst, 2, 4);
  assert_floats (dst, wider, 8, 0);
  ct_cam_resize (src, 2, 2, dst, 1, 2);
  assert_floats (dst, one_row, 2, 0);
}

static void
test_resize_1x1 (void)
{
  const float src[] = { 0.625f };
  float dst[7 * 5];

  ct_cam_resize (src, 1, 1, dst, 7, 5);
  for (guint i = 0; i < G_N_ELEMENTS (dst); i++)
    g_assert_cmpfloat (dst[i], ==, 0.625f);
}

static void
test_resize_identity (void)
{
  float src[3 * 4];
  float dst[3 * 4];

  for (guint i = 0; i < G_N_ELEMENTS (src); i++)
    src[i] = sinf (i) * 7;
  ct_cam_resize (src, 3, 4, dst, 3, 4);
  g_assert_cmpmem (src, sizeof src, dst, sizeof dst);
}

static void
test_resize_properties (void)
{
  /* 7×7 → 32×32, as a CIFAR heatmap from a 7×7 layer would be resized. */
  float src[49];
  float dst[32 * 32];
  float lowest = G_MAXFLOAT, highest = -G_MAXFLOAT;

  for (guint i = 0; i < 49; i++)
    src[i] = cosf (i * 0.7f) + (i % 7) * 0.1f;
  for (guint i = 0; i < 49; i++)
    lowest = MIN (lowest, src[i]), highest = MAX (highest, src[i]);

  ct_cam_resize (src, 7, 7, dst, 32, 32);

  /* Border samples clamp to the outer pixels, so corners copy them. */
  g_assert_cmpfloat (dst[0], ==, src[0]);
  g_assert_cmpfloat (dst[31], ==, src[6]);
  g_assert_cmpfloat (dst[31 * 32], ==, src[42]);
  g_assert_cmpfloat (dst[32 * 32 - 1], ==, src[48]);
  /* Interpolation never leaves the source range. */
  for (guint i = 0; i < G_N_ELEMENTS (dst); i++)
    {
      g_assert_cmpfloat (dst[i], >=, lowest - 1e-6f);
      g_assert_cmpfloat (dst[i], <=, highest + 1e-6f);
    }
}

static void
test_resize_symmetry (void)
{
  /* A left-right symmetric map stays symmetric at any size. */
  const float src[] = {
    1, 5, 1,
    2, 9, 2,
  };
  float dst[5 * 7];

  ct_cam_resize (src, 2, 3, dst, 5, 7);
  for (guint y = 0; y < 5; y++)
    for (guint x = 0; x < 7; x++)
      g_assert_cmpfloat_with_epsilon (dst[y * 7 + x], dst[y * 7 + 6 - x], 1e-6);
}

static void
test_postprocess_image (void)
{
  /* relu → [[0 0] [1 3]] → / (3 + 1e-7) → resize → min-max again. */
  const float weighted_sum[] = { -1, 0, 1, 3 };
  float expected_small[] = { 0, 0, 1, 3 };
  float expected[16];
  float dst[16];

  ct_cam_minmax (expected_small, 4);
  ct_cam_resize (expected_small, 2, 2, expected, 4, 4);
  ct_cam_minmax (expected, 16);

  ct_cam_postprocess (weighted_sum, 2, 2, CT_CAM_SCALE_IMAGE, dst, 4, 4);
  assert_floats (dst, expected, 16, 0);

  /* The corner that was 3 is the maximum, close to 1; the zeros stay 0. */
  g_assert_cmpfloat (dst[0], ==, 0.0f);
  g_assert_cmpfloat_with_epsilon (dst[15], 1.0f, 1e-6);
  /* (1, 1) is a quarter of the way down to row [1/3 1] resized: .25 · .5. */
  g_assert_cmpfloat_with_epsilon (dst[5], 0.125f, 1e-6);
}

static void
test_postprocess_raw (void)
{
  /* RAW and SHARED keep magnitudes: relu, then resize. */
  const float weighted_sum[] = { -1, 0, 2, 6 };
  const float expected[] = {
    0.0f, 0.0f, 0.0f, 0.0f,
    0.5f, 0.75f, 1.25f, 1.5f,
    1.5f, 2.25f, 3.75f, 4.5f,
    2.0f, 3.0f, 5.0f, 6.0f,
  };
  float dst[16];

  ct_cam_postprocess (weighted_sum, 2, 2, CT_CAM_SCALE_RAW, dst, 4, 4);
  assert_floats (dst, expected, 16, 1e-6f);
  ct_cam_postprocess (weighted_sum, 2, 2, CT_CAM_SCALE_SHARED, dst, 4, 4);
  assert_floats (dst, expected, 16, 1e-6f);
}

static void
test_postprocess_constant (void)
{
  /* A 1×1 layer, or a flat map, gives a constant (zero) heatmap. */
  const float one[] = { 2.5f };
  const float flat[] = { 0.5f, 0.5f, 0.5f, 0.5f };
  const float negative[] = { -1, -2, -3, -4 };
  float dst[8 * 8];

  ct_cam_postprocess (one, 1, 1, CT_CAM_SCALE_IMAGE, dst, 8, 8);
  for (guint i = 0; i < 64; i++)
    g_assert_cmpfloat (dst[i], ==, 0.0f);
  ct_cam_postprocess (flat, 2, 2, CT_CAM_SCALE_IMAGE, dst, 8, 8);
  for (guint i = 0; i < 64; i++)
    g_assert_cmpfloat (dst[i], ==, 0.0f);
  ct_cam_postprocess (negative, 2, 2, CT_CAM_SCALE_RAW, dst, 8, 8);
  for (guint i = 0; i < 64; i++)
    g_assert_cmpfloat (dst[i], ==, 0.0f);
}

static void
test_postprocess_input_untouched (void)
{
  const float weighted_sum[] = { -1, 0, 2, 6 };
  float copy[4];
  float dst[9];

  memcpy (copy, weighted_sum, sizeof copy);
  ct_cam_postprocess (weighted_sum, 2, 2, CT_CAM_SCALE_IMAGE, dst, 3, 3);
  g_assert_cmpmem (copy, sizeof copy, weighted_sum, sizeof weighted_sum);
}

static void
test_softmax (void)
{
  const float logits[] = { 1, 2, 3 };
  /* e^k / (e + e² + e³) */
  const float expected[] = { 0.09003057f, 0.24472847f, 0.66524096f };
  float out[3];

  ct_softmax (logits, 3, out);
  assert_floats (out, expected, 3, 1e-7f);
  g_assert_cmpfloat_with_epsilon (out[0] + out[1] + out[2], 1.0, 1e-6);
}

static void
test_softmax_sums_to_one (void)
{
  float logits[10];
  float out[10];
  double sum = 0;

  for (guint i = 0; i < 10; i++)
    logits[i] = sinf (i * 1.3f) * 20;
  ct_softmax (logits, 10, out);
  for (guint i = 0; i < 10; i++)
    {
      g_assert_cmpfloat (out[i], >=, 0.0f);
      sum += out[i];
    }
  g_assert_cmpfloat_with_epsilon (sum, 1.0, 1e-6);
}

static void
test_softmax_extreme (void)
{
  const float huge[] = { 1e30f, 0, -1e30f };
  const float equal[] = { 1000, 1000 };
  const float spread[] = { 800, 0 };
  float out[3];

  ct_softmax (huge, 3, out);
  g_assert_cmpfloat (out[0], ==, 1.0f);
  g_assert_cmpfloat (out[1], ==, 0.0f);
  g_assert_cmpfloat (out[2], ==, 0.0f);

  ct_softmax (equal, 2, out);
  g_assert_cmpfloat (out[0], ==, 0.5f);
  g_assert_cmpfloat (out[1], ==, 0.5f);

  /* e^−800 underflows to 0 rather than making NaN of the sum. */
  ct_softmax (spread, 2, out);
  g_assert_cmpfloat (out[0], ==, 1.0f);
  g_assert_cmpfloat (out[1], ==, 0.0f);

  /* One class is certain (out[0] is 1 already: clear it first). */
  out[0] = 0.0f;
  ct_softmax (huge, 1, out);
  g_assert_cmpfloat (out[0], ==, 1.0f);
}

/* The --cam-scale names, both ways; anything else is refused. */
static void
test_scale_names (void)
{
  static const char * const names[] = { "image", "raw", "shared" };
  static const CtCamScale scales[] = { CT_CAM_SCALE_IMAGE, CT_CAM_SCALE_RAW, CT_CAM_SCALE_SHARED };
  CtCamScale scale;

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      scale = (CtCamScale) -1;
      g_assert_true (ct_cam_scale_from_string (names[i], &scale));
      g_assert_cmpint (scale, ==, scales[i]);
      g_assert_cmpstr (ct_cam_scale_to_string (scales[i]), ==, names[i]);
    }
  scale = CT_CAM_SCALE_RAW;
  g_assert_false (ct_cam_scale_from_string ("column", &scale));
  g_assert_false (ct_cam_scale_from_string ("", &scale));
  g_assert_false (ct_cam_scale_from_string (NULL, &scale));
  g_assert_cmpint (scale, ==, CT_CAM_SCALE_RAW);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/cam/relu", test_relu);
  g_test_add_func ("/cam/minmax", test_minmax);
  g_test_add_func ("/cam/minmax-negative", test_minmax_negative);
  g_test_add_func ("/cam/minmax-constant", test_minmax_constant);
  g_test_add_func ("/cam/resize/2x2-to-4x4", test_resize_2x2_to_4x4);
  g_test_add_func ("/cam/resize/2x2-to-3x3", test_resize_2x2_to_3x3);
  g_test_add_func ("/cam/resize/3x3-to-2x2", test_resize_3x3_to_2x2);
  g_test_add_func ("/cam/resize/non-square", test_resize_non_square);
  g_test_add_func ("/cam/resize/one-side", test_resize_one_side);
  g_test_add_func ("/cam/resize/1x1", test_resize_1x1);
  g_test_add_func ("/cam/resize/identity", test_resize_identity);
  g_test_add_func ("/cam/resize/properties", test_resize_properties);
  g_test_add_func ("/cam/resize/symmetry", test_resize_symmetry);
  g_test_add_func ("/cam/postprocess/image", test_postprocess_image);
  g_test_add_func ("/cam/postprocess/raw", test_postprocess_raw);
  g_test_add_func ("/cam/postprocess/constant", test_postprocess_constant);
  g_test_add_func ("/cam/postprocess/input-untouched", test_postprocess_input_untouched);
  g_test_add_func ("/cam/softmax", test_softmax);
  g_test_add_func ("/cam/scale-names", test_scale_names);
  g_test_add_func ("/cam/softmax/sums-to-one", test_softmax_sums_to_one);
  g_test_add_func ("/cam/softmax/extreme", test_softmax_extreme);

  return g_test_run ();
}
