/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <glib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "ct-faithfulness.h"
#include "ct-sanity.h"

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
  ct_faithfulness_baseline (CT_BASELINE_ZERO, NULL, NULL, 1, SIDE, SIDE, baseline);
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

  ct_faithfulness_baseline (CT_BASELINE_MEAN, NULL, mean, 2, 2, 1, baseline);
  g_assert_cmpfloat (baseline[1], ==, 0.4f);
  g_assert_cmpfloat (baseline[2], ==, 0.6f);
  g_assert_true (ct_baseline_from_string ("mean", &parsed));
  g_assert_cmpint (parsed, ==, CT_BASELINE_MEAN);
  g_assert_true (ct_baseline_from_string ("zero", &parsed));
  g_assert_cmpint (parsed, ==, CT_BASELINE_ZERO);
  g_assert_true (ct_baseline_from_string ("blur", &parsed));
  g_assert_cmpint (parsed, ==, CT_BASELINE_BLUR);
  g_assert_false (ct_baseline_from_string ("gray", &parsed));
}

/* RISE's gkern(11, 5): SciPy's gaussian_filter of an 11 × 11 impulse. */
static void
test_blur_kernel (void)
{
  double g[CT_BLUR_KERNEL_SIZE], sum = 0, w[41], total = 0;

  ct_faithfulness_blur_kernel (g);
  for (int i = 0; i < CT_BLUR_KERNEL_SIZE; i++)
    {
      sum += g[i];
      g_assert_cmpfloat_with_epsilon (g[i], g[CT_BLUR_KERNEL_SIZE - 1 - i], 1e-15);
    }
  g_assert_cmpfloat_with_epsilon (sum, 1, 1e-12);

  /* By hand: the centre gathers the weights at 0 and, reflected at the
   * edges (… b a | a b …), at ±11: (w0 + 2 w11) / Σ w, w_k = e^(−k²/50). */
  for (int k = -20; k <= 20; k++)
    total += w[k + 20] = exp (-k * k / 50.0);
  g_assert_cmpfloat_with_epsilon (g[5], (w[20] + 2 * w[31]) / total, 1e-15);
  /* SciPy 1.10's gaussian_filter(impulse, 5) at [5, 5], [0, 0], [5, 0]. */
  g_assert_cmpfloat_with_epsilon (g[5] * g[5], 0.008832628216191647, 1e-15);
  g_assert_cmpfloat_with_epsilon (g[0] * g[0], 0.007736635408576913, 1e-15);
  g_assert_cmpfloat_with_epsilon (g[5] * g[0], 0.008266488021414163, 1e-15);
}

/* A constant image stays constant where the kernel is inside it; at a
 * corner the padding (the mean colour) weighs (1 − (Σ_{i≥5} g_i)²). */
static void
test_blur (void)
{
  enum { S = 13 };
  float image[2 * S * S], out[2 * S * S];
  const float mean[2] = { 0.25f, 0.5f };
  double g[CT_BLUR_KERNEL_SIZE], half = 0, inside;

  for (guint p = 0; p < S * S; p++)
    {
      image[p] = 1;
      image[S * S + p] = 0.5f;   /* the mean: blurs to itself everywhere */
    }
  ct_faithfulness_baseline (CT_BASELINE_BLUR, image, mean, 2, S, S, out);
  ct_faithfulness_blur_kernel (g);
  for (int i = 5; i < CT_BLUR_KERNEL_SIZE; i++)
    half += g[i];
  inside = half * half;
  g_assert_cmpfloat_with_epsilon (out[6 * S + 6], 1, 1e-6);
  g_assert_cmpfloat_with_epsilon (out[0], inside + 0.25 * (1 - inside), 1e-6);
  g_assert_cmpfloat_with_epsilon (out[S * S - 1], out[0], 1e-6);
  for (guint p = 0; p < S * S; p++)
    g_assert_cmpfloat_with_epsilon (out[S * S + p], 0.5, 1e-6);
}

static void
test_road_percentile_keep (void)
{
  const float heatmap[] = { 0.1f, 0.9f, 0.5f, 0.3f };
  guint8 keep[4];

  g_assert_cmpfloat (ct_road_percentile_at (0), ==, 10);
  g_assert_cmpfloat (ct_road_percentile_at (CT_ROAD_N_PERCENTILES - 1), ==, 90);

  /* Most relevant first at 50: the threshold is 0.4, the two highest go. */
  g_assert_cmpuint (ct_road_keep (heatmap, 4, 50, TRUE, keep), ==, 2);
  g_assert_cmpmem (keep, 4, ((guint8[]) { 1, 0, 0, 1 }), 4);
  /* Least relevant first: 1 − heatmap, threshold 0.6, the two lowest go. */
  g_assert_cmpuint (ct_road_keep (heatmap, 4, 50, FALSE, keep), ==, 2);
  g_assert_cmpmem (keep, 4, ((guint8[]) { 0, 1, 1, 0 }), 4);
  /* A flat heatmap keeps nothing: every value reaches the threshold. */
  g_assert_cmpuint (ct_road_keep ((const float[]) { 0, 0, 0, 0 }, 4, 30, TRUE, keep), ==, 0);
}

static void
test_road_impute (void)
{
  enum { W = 5, H = 5 };
  float image[2 * W * H], out[2 * W * H];
  const float mean[2] = { 0.25f, 0.75f };
  guint8 keep[W * H];

  /* 3 × 3, the centre missing: (1/6 · Σ edges + 1/12 · Σ corners) / 1. */
  {
    const float small[9] = { 4, 1, 4, 1, 99, 1, 4, 1, 4 };
    const guint8 small_keep[9] = { 1, 1, 1, 1, 0, 1, 1, 1, 1 };
    float small_out[9];

    g_assert_true (ct_road_impute (small, mean, 1, 3, 3, small_keep, small_out));
    g_assert_cmpfloat_with_epsilon (small_out[4], 4.0 / 6 + 16.0 / 12, 1e-6);
    for (guint p = 0; p < 9; p++)
      if (p != 4)
        g_assert_cmpfloat (small_out[p], ==, small[p]);
  }
  /* The corner of a 3 × 3: only 3 neighbours inside, weights 1/6, 1/6, 1/12. */
  {
    const float small[9] = { 99, 1, 0, 2, 5, 0, 0, 0, 0 };
    const guint8 small_keep[9] = { 0, 1, 1, 1, 1, 1, 1, 1, 1 };
    float small_out[9];

    g_assert_true (ct_road_impute (small, mean, 1, 3, 3, small_keep, small_out));
    g_assert_cmpfloat_with_epsilon (small_out[0], (1.0 / 6 + 2.0 / 6 + 5.0 / 12) / (5.0 / 12), 1e-6);
  }

  /* A ramp x + 2y (and 3 − y in the second channel) with its inner 3 × 3
   * missing: a linear field is its own weighted neighbour mean, so the
   * solution of the coupled system is the ramp itself. */
  for (guint y = 0; y < H; y++)
    for (guint x = 0; x < W; x++)
      {
        image[y * W + x] = x + 2.0f * y;
        image[W * H + y * W + x] = 3.0f - y;
        keep[y * W + x] = !(x >= 1 && x <= 3 && y >= 1 && y <= 3);
      }
  {
    float holes[2 * W * H];

    memcpy (holes, image, sizeof holes);
    for (guint p = 0; p < W * H; p++)
      if (!keep[p])
        holes[p] = holes[W * H + p] = -50;
    g_assert_true (ct_road_impute (holes, mean, 2, W, H, keep, out));
  }
  for (guint p = 0; p < 2 * W * H; p++)
    g_assert_cmpfloat_with_epsilon (out[p], image[p], 1e-5);

  /* Nothing kept: no solution; the mean colour everywhere. */
  memset (keep, 0, sizeof keep);
  g_assert_false (ct_road_impute (image, mean, 2, W, H, keep, out));
  for (guint p = 0; p < W * H; p++)
    {
      g_assert_cmpfloat (out[p], ==, mean[0]);
      g_assert_cmpfloat (out[W * H + p], ==, mean[1]);
    }
}

/* A new result holds no rows; freeing it, and freeing NULL as the other
 * free functions of core allow, crash nothing. */
static void
test_new_free (void)
{
  CtFaithfulness *result = ct_faithfulness_new ();

  g_assert_nonnull (result->rows);
  g_assert_cmpuint (result->rows->len, ==, 0);
  result->run_name = g_strdup ("tiny");
  result->image_indices = g_new0 (guint, 2);
  result->n_images = 2;
  ct_faithfulness_free (result);
  ct_faithfulness_free (NULL);
}

/* The sanity check's layer groups: first component, with a block number. */
static void
test_sanity_groups (void)
{
  const char *const camtrail[] = {
    "stem.conv.weight", "stem.bn.bias", "stages.0.conv1.weight", "stages.0.bn2.running_var",
    "stages.1.conv1.weight", "stages.2.conv2.weight", "head.fc.weight",
  };
  const char *const resnet[] = {
    "conv1.weight", "bn1.weight", "layer1.0.conv1.weight", "layer1.1.bn2.bias",
    "layer4.1.conv2.weight", "fc.weight", "fc.bias",
  };
  const char *const expected_camtrail[] = { "stem", "stages.0", "stages.1", "stages.2", "head" };
  const char *const expected_resnet[] = { "conv1", "bn1", "layer1.0", "layer1.1", "layer4.1", "fc" };
  g_autoptr(GPtrArray) groups = ct_sanity_layer_groups (camtrail, G_N_ELEMENTS (camtrail));
  g_autoptr(GPtrArray) resnet_groups = ct_sanity_layer_groups (resnet, G_N_ELEMENTS (resnet));

  g_assert_cmpuint (groups->len, ==, G_N_ELEMENTS (expected_camtrail));
  for (guint i = 0; i < groups->len; i++)
    g_assert_cmpstr (g_ptr_array_index (groups, i), ==, expected_camtrail[i]);
  g_assert_cmpuint (resnet_groups->len, ==, G_N_ELEMENTS (expected_resnet));
  for (guint i = 0; i < resnet_groups->len; i++)
    g_assert_cmpstr (g_ptr_array_index (resnet_groups, i), ==, expected_resnet[i]);

  g_assert_true (ct_sanity_in_group ("stages.1.conv1.weight", "stages.1"));
  g_assert_false (ct_sanity_in_group ("stages.10.conv1.weight", "stages.1"));
  g_assert_true (ct_sanity_in_group ("fc", "fc"));
  g_assert_false (ct_sanity_in_group ("fc2.weight", "fc"));
}

/* A second component of digits is a block number only when a dot or the
 * end follows it: "blocks.2b.weight" is in group "blocks". */
static void
test_sanity_groups_not_a_block (void)
{
  const char *const names[] = { "blocks.2b.weight", "blocks.3" };
  g_autoptr(GPtrArray) groups = ct_sanity_layer_groups (names, G_N_ELEMENTS (names));

  g_assert_cmpuint (groups->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (groups, 0), ==, "blocks");
  g_assert_cmpstr (g_ptr_array_index (groups, 1), ==, "blocks.3");
}

/* The sanity check's files, from a result made by hand: the CSV line by
 * line as docs/FAITHFULNESS.md gives its columns (numbers to six
 * decimals, an undefined one empty), the JSON's request and rows (an
 * undefined number null). */
static void
test_sanity_writers (void)
{
  g_autoptr(CtSanity) result = ct_sanity_new ();
  g_autofree char *dir = g_dir_make_tmp ("camtrail-sanity-XXXXXX", NULL);
  g_autofree char *csv = g_build_filename (dir, "sanity.csv", NULL);
  g_autofree char *json = g_build_filename (dir, "sanity.json", NULL);
  g_autofree char *text = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  const CtSanityRow rows[] = {
    { 3, g_strdup ("epoch 0"), 0, 2, 0.25, 0.5, 0.125, NAN, 1, 0 },
    { 3, g_strdup ("head"), 1, 2, -0.5, 0, 0.75, 0.1, 0.2, 0.3 },
  };
  JsonObject *root, *row;
  JsonArray *array;
  GStatBuf info;

  result->run_name = g_strdup ("tiny");
  result->arch = g_strdup ("resnet18");
  result->layer = g_strdup ("stages.3");
  result->method = g_strdup ("gradcam");
  result->seed = 5;
  result->n_images = 2;
  result->image_indices = g_new (guint, 2);
  result->image_indices[0] = 3;
  result->image_indices[1] = 8;
  g_array_append_vals (result->rows, rows, 2);

  g_assert_true (ct_sanity_write_csv (result, csv, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (csv, &text, NULL, &error));
  g_assert_cmpstr (text, ==,
                   "epoch,against,randomised_groups,images,spearman,spearman_ci95,"
                   "ssim,ssim_ci95,top20_iou,top20_iou_ci95\n"
                   "3,epoch 0,0,2,0.250000,0.500000,0.125000,,1.000000,0.000000\n"
                   "3,head,1,2,-0.500000,0.000000,0.750000,0.100000,0.200000,0.300000\n");
  g_assert_cmpint (g_stat (csv, &info), ==, 0);
  g_assert_cmpint (info.st_mode & 07777, ==, 0644);

  g_assert_true (ct_sanity_write_json (result, json, &error));
  g_assert_no_error (error);
  json_parser_load_from_file (parser, json, &error);
  g_assert_no_error (error);
  root = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpstr (json_object_get_string_member (root, "run"), ==, "tiny");
  g_assert_cmpstr (json_object_get_string_member (root, "arch"), ==, "resnet18");
  g_assert_true (json_object_get_null_member (root, "dataset"));
  g_assert_cmpstr (json_object_get_string_member (root, "layer"), ==, "stages.3");
  g_assert_cmpstr (json_object_get_string_member (root, "method"), ==, "gradcam");
  g_assert_cmpstr (json_object_get_string_member (root, "target"), ==, "label");
  g_assert_cmpint (json_object_get_int_member (root, "seed"), ==, 5);
  array = json_object_get_array_member (root, "images");
  g_assert_cmpuint (json_array_get_length (array), ==, 2);
  g_assert_cmpint (json_array_get_int_element (array, 1), ==, 8);
  array = json_object_get_array_member (root, "rows");
  g_assert_cmpuint (json_array_get_length (array), ==, 2);
  row = json_array_get_object_element (array, 0);
  g_assert_cmpstr (json_object_get_string_member (row, "against"), ==, "epoch 0");
  g_assert_true (json_object_get_null_member (json_object_get_object_member (row, "ssim"), "ci95"));
  row = json_array_get_object_element (array, 1);
  g_assert_cmpint (json_object_get_int_member (row, "epoch"), ==, 3);
  g_assert_cmpstr (json_object_get_string_member (row, "against"), ==, "head");
  g_assert_cmpint (json_object_get_int_member (row, "randomised_groups"), ==, 1);
  g_assert_cmpint (json_object_get_int_member (row, "images"), ==, 2);
  g_assert_cmpfloat (json_object_get_double_member (json_object_get_object_member (row, "spearman"),
                                                    "mean"), ==, -0.5);
  g_assert_cmpfloat (json_object_get_double_member (json_object_get_object_member (row, "ssim"),
                                                    "ci95"), ==, 0.1);
  g_assert_cmpfloat (json_object_get_double_member (json_object_get_object_member (row, "top20_iou"),
                                                    "mean"), ==, 0.2);

  g_assert_cmpint (g_unlink (csv), ==, 0);
  g_assert_cmpint (g_unlink (json), ==, 0);
  g_assert_cmpint (g_rmdir (dir), ==, 0);
  ct_sanity_free (NULL);
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
  g_test_add_func ("/faithfulness/blur-kernel", test_blur_kernel);
  g_test_add_func ("/faithfulness/blur", test_blur);
  g_test_add_func ("/faithfulness/road-percentile-keep", test_road_percentile_keep);
  g_test_add_func ("/faithfulness/road-impute", test_road_impute);
  g_test_add_func ("/faithfulness/new-free", test_new_free);
  g_test_add_func ("/faithfulness/sanity-groups", test_sanity_groups);
  g_test_add_func ("/faithfulness/sanity-groups/not-a-block", test_sanity_groups_not_a_block);
  g_test_add_func ("/faithfulness/sanity-writers", test_sanity_writers);

  return g_test_run ();
}
