/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <glib.h>
#include <math.h>
#include <string.h>

#include "ct-colormap.h"

/* Reference entries printed by Debian 12's python3-opencv 4.6:
 *   cv2.applyColorMap(np.arange(256, dtype=np.uint8).reshape(1, 256),
 *                      cv2.COLORMAP_JET)[0][:, ::-1]
 * and python3-matplotlib 3.6: colormaps[name](np.arange(256), bytes=True). */
typedef struct {
  guint8 index;
  guint8 rgb[3];
} Entry;

static const Entry jet_reference[] = {
  {   0, {   0,   0, 128 } },
  {   1, {   0,   0, 132 } },
  {  32, {   0,   0, 255 } },
  {  64, {   0, 128, 255 } },
  {  96, {   2, 255, 254 } },
  { 127, { 126, 255, 130 } },
  { 128, { 130, 255, 126 } },
  { 160, { 255, 252,   0 } },
  { 192, { 255, 124,   0 } },
  { 224, { 252,   0,   0 } },
  { 254, { 132,   0,   0 } },
  { 255, { 128,   0,   0 } },
};

static const Entry viridis_reference[] = {
  {   0, {  68,   1,  84 } },
  {  64, {  58,  82, 139 } },
  { 128, {  32, 144, 140 } },
  { 255, { 253, 231,  36 } },
};

static const Entry inferno_reference[] = {
  {   0, {   0,   0,   3 } },
  {  64, {  87,  15, 109 } },
  { 128, { 187,  55,  84 } },
  { 255, { 252, 254, 164 } },
};

/* cv2.COLORMAP_TURBO rounds the same float table that matplotlib truncates,
 * so its 127 is (161, 253, 61) and its 255 is (122, 4, 3): matplotlib's
 * bytes are the ones expected here. */
static const Entry turbo_reference[] = {
  {   0, {  48,  18,  59 } },
  {   1, {  49,  21,  66 } },
  {  64, {  40, 187, 235 } },
  { 127, { 161, 252,  61 } },
  { 128, { 164, 252,  59 } },
  { 192, { 250, 125,  32 } },
  { 255, { 122,   4,   2 } },
};

static void
assert_rgb (const guint8 *actual,
            const guint8 *expected)
{
  g_assert_cmpuint (actual[0], ==, expected[0]);
  g_assert_cmpuint (actual[1], ==, expected[1]);
  g_assert_cmpuint (actual[2], ==, expected[2]);
}

/* A value that quantises to @index: (index + 0.5)/255 truncates to index. */
static float
value_for_index (guint8 index)
{
  return ((float) index + 0.5f) / 255.0f;
}

static void
check_reference (CtColormap   colormap,
                 const Entry *entries,
                 gsize        n_entries)
{
  for (gsize i = 0; i < n_entries; i++)
    {
      guint8 rgb[3];

      ct_colormap_lookup (colormap, value_for_index (entries[i].index), rgb);
      assert_rgb (rgb, entries[i].rgb);
    }
}

static void
test_jet_matches_opencv (void)
{
  check_reference (CT_COLORMAP_JET, jet_reference, G_N_ELEMENTS (jet_reference));
}

static void
test_viridis_inferno_match_matplotlib (void)
{
  check_reference (CT_COLORMAP_VIRIDIS, viridis_reference,
                   G_N_ELEMENTS (viridis_reference));
  check_reference (CT_COLORMAP_INFERNO, inferno_reference,
                   G_N_ELEMENTS (inferno_reference));
}

static void
test_turbo_matches_matplotlib (void)
{
  static const guint8 turbo_127[3] = { 161, 252, 61 };
  static const guint8 turbo_255[3] = { 122, 4, 2 };
  guint8 rgb[3];

  check_reference (CT_COLORMAP_TURBO, turbo_reference, G_N_ELEMENTS (turbo_reference));

  /* The same uint8 quantisation as the other maps: 0.5 is entry 127. */
  ct_colormap_lookup (CT_COLORMAP_TURBO, 0.5f, rgb);
  assert_rgb (rgb, turbo_127);
  ct_colormap_lookup (CT_COLORMAP_TURBO, 1.0f, rgb);
  assert_rgb (rgb, turbo_255);
}

static void
test_quantisation (void)
{
  static const guint8 jet_0[3] = { 0, 0, 128 };
  static const guint8 jet_127[3] = { 126, 255, 130 };
  static const guint8 jet_254[3] = { 132, 0, 0 };
  static const guint8 jet_255[3] = { 128, 0, 0 };
  guint8 rgb[3];

  /* 255 · 0.5 = 127.5 truncates to 127, as np.uint8 does. */
  ct_colormap_lookup (CT_COLORMAP_JET, 0.5f, rgb);
  assert_rgb (rgb, jet_127);
  ct_colormap_lookup (CT_COLORMAP_JET, 0.999f, rgb);
  assert_rgb (rgb, jet_254);
  ct_colormap_lookup (CT_COLORMAP_JET, 1.0f, rgb);
  assert_rgb (rgb, jet_255);
  ct_colormap_lookup (CT_COLORMAP_JET, 0.0f, rgb);
  assert_rgb (rgb, jet_0);

  /* Out of range clamps, NaN is 0. */
  ct_colormap_lookup (CT_COLORMAP_JET, 3.0f, rgb);
  assert_rgb (rgb, jet_255);
  ct_colormap_lookup (CT_COLORMAP_JET, -0.5f, rgb);
  assert_rgb (rgb, jet_0);
  ct_colormap_lookup (CT_COLORMAP_JET, NAN, rgb);
  assert_rgb (rgb, jet_0);
  ct_colormap_lookup (CT_COLORMAP_JET, INFINITY, rgb);
  assert_rgb (rgb, jet_255);
}

static void
test_strings (void)
{
  CtColormap colormap = CT_COLORMAP_JET;

  g_assert_cmpstr (ct_colormap_to_string (CT_COLORMAP_JET), ==, "jet");
  g_assert_cmpstr (ct_colormap_to_string (CT_COLORMAP_VIRIDIS), ==, "viridis");
  g_assert_cmpstr (ct_colormap_to_string (CT_COLORMAP_INFERNO), ==, "inferno");
  g_assert_cmpstr (ct_colormap_to_string (CT_COLORMAP_TURBO), ==, "turbo");
  g_assert_null (ct_colormap_to_string ((CtColormap) 42));

  g_assert_true (ct_colormap_from_string ("inferno", &colormap));
  g_assert_cmpint (colormap, ==, CT_COLORMAP_INFERNO);
  g_assert_true (ct_colormap_from_string ("Viridis", &colormap));
  g_assert_cmpint (colormap, ==, CT_COLORMAP_VIRIDIS);
  g_assert_true (ct_colormap_from_string ("jet", &colormap));
  g_assert_cmpint (colormap, ==, CT_COLORMAP_JET);
  g_assert_true (ct_colormap_from_string ("TURBO", &colormap));
  g_assert_cmpint (colormap, ==, CT_COLORMAP_TURBO);

  /* Every map's name reads back as the same map. */
  for (CtColormap each = CT_COLORMAP_JET; each <= CT_COLORMAP_TURBO; each++)
    {
      g_assert_true (ct_colormap_from_string (ct_colormap_to_string (each), &colormap));
      g_assert_cmpint (colormap, ==, each);
    }
  colormap = CT_COLORMAP_JET;

  g_assert_false (ct_colormap_from_string ("parula", &colormap));
  g_assert_false (ct_colormap_from_string (NULL, &colormap));
  g_assert_cmpint (colormap, ==, CT_COLORMAP_JET);
}

/* Worked by hand: on a black image only the heatmap is left, and dividing
 * by the maximum stretches JET's dark red (128, 0, 0) and dark blue
 * (0, 0, 128) to full red and full blue. */
static void
test_overlay_black_image (void)
{
  const float image[3 * 2] = { 0 };
  const float heatmap[2] = { 1.0f, 0.0f };
  guint8 out[2 * 3];

  ct_colormap_overlay (CT_COLORMAP_JET, image, 3, heatmap, 1, 2, 0.5f, out);

  g_assert_cmpuint (out[0], ==, 255);
  g_assert_cmpuint (out[1], ==, 0);
  g_assert_cmpuint (out[2], ==, 0);
  g_assert_cmpuint (out[3], ==, 0);
  g_assert_cmpuint (out[4], ==, 0);
  g_assert_cmpuint (out[5], ==, 255);
}

/* Worked by hand: a white grey image under a zero heatmap.  heat = (0, 0,
 * 128/255), cam = 0.5·heat + 0.5 = (0.5, 0.5, 0.75098), max = 0.75098, so
 * red and green become 255 · 0.5/0.75098 = 169.77 → 169. */
static void
test_overlay_grey_image (void)
{
  const float image[2] = { 1.0f, 1.0f };
  const float heatmap[2] = { 0.0f, 0.0f };
  guint8 out[2 * 3];

  ct_colormap_overlay (CT_COLORMAP_JET, image, 1, heatmap, 1, 2, 0.5f, out);

  for (guint p = 0; p < 2; p++)
    {
      g_assert_cmpuint (out[p * 3 + 0], ==, 169);
      g_assert_cmpuint (out[p * 3 + 1], ==, 169);
      g_assert_cmpuint (out[p * 3 + 2], ==, 255);
    }
}

/* A 2×2 colour image checked against pytorch-grad-cam's formula run in
 * NumPy on float32 with OpenCV's JET (show_cam_on_image, use_rgb=True). */
static void
test_overlay_matches_numpy (void)
{
  /* C×H×W: the HWC pixels (0.2, 0.4, 0.6), (0.9, 0.1, 0.3), (0, 0, 0),
   * (0.5, 0.5, 0.5). */
  const float image[3 * 4] = {
    0.2f, 0.9f, 0.0f, 0.5f,
    0.4f, 0.1f, 0.0f, 0.5f,
    0.6f, 0.3f, 0.0f, 0.5f,
  };
  const float heatmap[4] = { 0.25f, 0.5f, 0.75f, 1.0f };
  static const guint8 expected_half[4 * 3] = {
    31, 141, 255,  222, 175, 129,
    159, 80, 0,    159, 79, 79,
  };
  static const guint8 expected_0_3[4 * 3] = {
    17, 133, 255,  178, 211, 129,
    202, 101, 0,   145, 43, 43,
  };
  guint8 out[4 * 3];

  ct_colormap_overlay (CT_COLORMAP_JET, image, 3, heatmap, 2, 2, 0.5f, out);
  for (guint i = 0; i < G_N_ELEMENTS (out); i++)
    g_assert_cmpuint (out[i], ==, expected_half[i]);

  ct_colormap_overlay (CT_COLORMAP_JET, image, 3, heatmap, 2, 2, 0.3f, out);
  for (guint i = 0; i < G_N_ELEMENTS (out); i++)
    g_assert_cmpuint (out[i], ==, expected_0_3[i]);
}

/* A black image at weight 1 leaves nothing to normalise: all zeros, not NaN. */
static void
test_overlay_all_zero (void)
{
  const float image[4] = { 0 };
  const float heatmap[4] = { 0 };
  guint8 out[4 * 3];

  memset (out, 0xaa, sizeof out);
  ct_colormap_overlay (CT_COLORMAP_JET, image, 1, heatmap, 2, 2, 1.0f, out);
  for (guint i = 0; i < G_N_ELEMENTS (out); i++)
    g_assert_cmpuint (out[i], ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/colormap/jet-matches-opencv", test_jet_matches_opencv);
  g_test_add_func ("/colormap/viridis-inferno-match-matplotlib",
                   test_viridis_inferno_match_matplotlib);
  g_test_add_func ("/colormap/turbo-matches-matplotlib", test_turbo_matches_matplotlib);
  g_test_add_func ("/colormap/quantisation", test_quantisation);
  g_test_add_func ("/colormap/strings", test_strings);
  g_test_add_func ("/colormap/overlay/black-image", test_overlay_black_image);
  g_test_add_func ("/colormap/overlay/grey-image", test_overlay_grey_image);
  g_test_add_func ("/colormap/overlay/matches-numpy", test_overlay_matches_numpy);
  g_test_add_func ("/colormap/overlay/all-zero", test_overlay_all_zero);

  return g_test_run ();
}
