/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <glib.h>
#include <math.h>

#include "ct-cam-method.h"
#include "ct-rng.h"

/* Two channels on a 1 × 2 map, small enough to work out by hand:
 *   A_0 = [1, 3]     G_0 = [0.5, −0.5]
 *   A_1 = [2, −1]    G_1 = [1,   2]   */
static const float A[] = { 1, 3, 2, -1 };
static const float G[] = { 0.5f, -0.5f, 1, 2 };

static void
assert_map (CtCamMethod  method,
            const float *expected)
{
  float map[2];

  ct_cam_method_combine (method, A, G, 2, 1, 2, map);
  for (guint i = 0; i < 2; i++)
    if (fabsf (map[i] - expected[i]) > 1e-6f)
      g_error ("%s, position %u: %.9g, expected %.9g",
               ct_cam_method_to_string (method), i, map[i], expected[i]);
}

static void
test_gradcam (void)
{
  /* α = (mean G_0, mean G_1) = (0, 1.5): 0·A_0 + 1.5·A_1. */
  const float expected[] = { 3, -1.5f };

  assert_map (CT_CAM_METHOD_GRADCAM, expected);
}

static void
test_hirescam (void)
{
  /* Σ_k G_k ⊙ A_k = (0.5 + 2, −1.5 − 2). */
  const float expected[] = { 2.5f, -3.5f };

  assert_map (CT_CAM_METHOD_HIRESCAM, expected);
}

static void
test_elementwise (void)
{
  /* Σ_k max(G_k ⊙ A_k, 0) = (0.5 + 2, 0 + 0). */
  const float expected[] = { 2.5f, 0 };

  assert_map (CT_CAM_METHOD_GRADCAM_ELEMENTWISE, expected);
}

static void
test_layercam (void)
{
  /* Σ_k max(G_k, 0) ⊙ A_k = (0.5·1 + 1·2, 0·3 + 2·(−1)). */
  const float expected[] = { 2.5f, -2 };

  assert_map (CT_CAM_METHOD_LAYERCAM, expected);
}

static void
test_xgradcam (void)
{
  /* w_0 = (0.5·1 − 0.5·3) / (4 + 1e-7) = −0.25, w_1 = (2 − 2) / 1 = 0. */
  const float expected[] = { -0.25f, -0.75f };

  assert_map (CT_CAM_METHOD_XGRADCAM, expected);
}

static void
test_gradcam_plusplus (void)
{
  /* Channel 0 (Σ A = 4): only G = 0.5 counts, a = 0.25 / (0.5 + 4·0.125 + 1e-6).
   * Channel 1 (Σ A = 1): a = 1 / (2 + 1 + 1e-6) at G = 1, 4 / (8 + 8 + 1e-6) at G = 2. */
  double w0 = 0.5 * (0.25 / (0.5 + 4 * 0.125 + 1e-6));
  double w1 = 1 * (1 / (2 + 1 + 1e-6)) + 2 * (4 / (8 + 8 + 1e-6));
  const float expected[] = { w0 * 1 + w1 * 2, w0 * 3 + w1 * -1 };

  assert_map (CT_CAM_METHOD_GRADCAM_PLUSPLUS, expected);
}

/* A linear head on a global-average-pooled map, y = Σ_k W_k mean(A_k): the
 * gradient is W_k / n everywhere, so Grad-CAM is the original CAM / n
 * (Zhou et al.), HiResCAM and XGrad-CAM equal it, and LayerCAM keeps the
 * channels of positive weight. */
static void
test_linear_head_closed_form (void)
{
  enum { K = 5, H = 3, W = 4, N = H * W };
  float activations[K * N], gradients[K * N], weights[K];
  float gradcam[N], hirescam[N], xgradcam[N], layercam[N];
  CtRng rng;

  ct_rng_init (&rng, 7, 0, 0, 0);
  for (guint k = 0; k < K; k++)
    {
      weights[k] = ct_rng_uniform (&rng) * 2 - 1;
      for (guint i = 0; i < N; i++)
        {
          /* Positive, as after a ReLU, so Σ A_k is far from 0. */
          activations[k * N + i] = ct_rng_uniform (&rng) + 0.1f;
          gradients[k * N + i] = weights[k] / N;
        }
    }

  ct_cam_method_combine (CT_CAM_METHOD_GRADCAM, activations, gradients, K, H, W, gradcam);
  ct_cam_method_combine (CT_CAM_METHOD_HIRESCAM, activations, gradients, K, H, W, hirescam);
  ct_cam_method_combine (CT_CAM_METHOD_XGRADCAM, activations, gradients, K, H, W, xgradcam);
  ct_cam_method_combine (CT_CAM_METHOD_LAYERCAM, activations, gradients, K, H, W, layercam);
  for (guint i = 0; i < N; i++)
    {
      double cam = 0, positive = 0;

      for (guint k = 0; k < K; k++)
        {
          cam += weights[k] * activations[k * N + i];
          if (weights[k] > 0)
            positive += weights[k] * activations[k * N + i];
        }
      g_assert_cmpfloat_with_epsilon (gradcam[i], cam / N, 1e-6);
      g_assert_cmpfloat_with_epsilon (hirescam[i], cam / N, 1e-6);
      g_assert_cmpfloat_with_epsilon (xgradcam[i], cam / N, 1e-6);
      g_assert_cmpfloat_with_epsilon (layercam[i], positive / N, 1e-6);
    }
}

static void
test_scorecam (void)
{
  /* softmax(0, ln 3) = (1/4, 3/4): A_0 / 4 + 3 A_1 / 4. */
  const float scores[] = { 0, logf (3) };
  const float expected[] = { 0.25f * 1 + 0.75f * 2, 0.25f * 3 + 0.75f * -1 };
  float map[2];

  ct_cam_method_combine_scores (CT_CAM_METHOD_SCORECAM, A, scores, 99, 2, 1, 2, map);
  for (guint i = 0; i < 2; i++)
    g_assert_cmpfloat_with_epsilon (map[i], expected[i], 1e-6);
}

static void
test_ablationcam (void)
{
  /* y = 4: ablating channel 0 leaves 3, channel 1 leaves 6, so the weights
   * are (4 − 3)/4 = 0.25 and (4 − 6)/4 = −0.5.  The drop is relative to y:
   * negating y and the scores keeps the weights. */
  const float scores[] = { 3, 6 };
  const float expected[] = { 0.25f * 1 - 0.5f * 2, 0.25f * 3 - 0.5f * -1 };
  const float negative_scores[] = { -3, -6 };
  float map[2];

  ct_cam_method_combine_scores (CT_CAM_METHOD_ABLATIONCAM, A, scores, 4, 2, 1, 2, map);
  for (guint i = 0; i < 2; i++)
    g_assert_cmpfloat_with_epsilon (map[i], expected[i], 1e-6);
  ct_cam_method_combine_scores (CT_CAM_METHOD_ABLATIONCAM, A, negative_scores, -4, 2, 1, 2, map);
  for (guint i = 0; i < 2; i++)
    g_assert_cmpfloat_with_epsilon (map[i], expected[i], 1e-6);
}

static void
test_projection_input (void)
{
  const float nan_activations[] = { 1, NAN, 2, -1 };
  float out[4];

  ct_cam_method_projection_input (CT_CAM_METHOD_EIGENCAM, nan_activations, NULL, 2, 1, 2, out);
  /* get_2d_projection zeroes NaNs. */
  g_assert_cmpfloat (out[0], ==, 1);
  g_assert_cmpfloat (out[1], ==, 0);
  g_assert_cmpfloat (out[3], ==, -1);

  ct_cam_method_projection_input (CT_CAM_METHOD_EIGENGRADCAM, A, G, 2, 1, 2, out);
  g_assert_cmpfloat (out[0], ==, 0.5f);
  g_assert_cmpfloat (out[1], ==, -1.5f);
  g_assert_cmpfloat (out[2], ==, 2);
  g_assert_cmpfloat (out[3], ==, -2);
}

static void
test_names (void)
{
  g_autofree char *names = ct_cam_method_dup_names (", ");
  CtCamMethod method;

  g_assert_cmpstr (names, ==, "gradcam, hirescam, gradcam-elementwise, gradcam++, xgradcam, "
                              "layercam, eigencam, eigengradcam, scorecam, ablationcam");
  for (guint i = 0; i < CT_CAM_N_METHODS; i++)
    {
      const CtCamMethodInfo *info = ct_cam_method_get_info (i);

      g_assert_cmpint (info->method, ==, i);
      g_assert_true (ct_cam_method_from_string (info->name, &method));
      g_assert_cmpint (method, ==, i);
      g_assert_nonnull (info->title);
    }
  g_assert_false (ct_cam_method_from_string ("grad-cam", &method));
  g_assert_false (ct_cam_method_from_string ("GradCAM", &method));
  g_assert_false (ct_cam_method_from_string ("", &method));
  g_assert_false (ct_cam_method_from_string (NULL, &method));

  g_assert_false (ct_cam_method_get_info (CT_CAM_METHOD_EIGENCAM)->needs_gradients);
  g_assert_true (ct_cam_method_get_info (CT_CAM_METHOD_EIGENCAM)->projects);
  g_assert_true (ct_cam_method_get_info (CT_CAM_METHOD_EIGENGRADCAM)->needs_gradients);
  g_assert_true (ct_cam_method_get_info (CT_CAM_METHOD_GRADCAM)->needs_gradients);
  g_assert_false (ct_cam_method_get_info (CT_CAM_METHOD_GRADCAM)->projects);
  g_assert_cmpint (ct_cam_method_get_info (CT_CAM_METHOD_GRADCAM)->passes, ==, CT_CAM_PASSES_NONE);
  g_assert_false (ct_cam_method_get_info (CT_CAM_METHOD_SCORECAM)->needs_gradients);
  g_assert_cmpint (ct_cam_method_get_info (CT_CAM_METHOD_SCORECAM)->passes, ==,
                   CT_CAM_PASSES_MASKED_INPUT);
  g_assert_false (ct_cam_method_get_info (CT_CAM_METHOD_ABLATIONCAM)->needs_gradients);
  g_assert_cmpint (ct_cam_method_get_info (CT_CAM_METHOD_ABLATIONCAM)->passes, ==,
                   CT_CAM_PASSES_ABLATED_CHANNEL);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/cam-method/gradcam", test_gradcam);
  g_test_add_func ("/cam-method/hirescam", test_hirescam);
  g_test_add_func ("/cam-method/gradcam-elementwise", test_elementwise);
  g_test_add_func ("/cam-method/layercam", test_layercam);
  g_test_add_func ("/cam-method/xgradcam", test_xgradcam);
  g_test_add_func ("/cam-method/gradcam++", test_gradcam_plusplus);
  g_test_add_func ("/cam-method/linear-head", test_linear_head_closed_form);
  g_test_add_func ("/cam-method/scorecam", test_scorecam);
  g_test_add_func ("/cam-method/ablationcam", test_ablationcam);
  g_test_add_func ("/cam-method/projection-input", test_projection_input);
  g_test_add_func ("/cam-method/names", test_names);

  return g_test_run ();
}
