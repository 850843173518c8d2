/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <glib.h>
#include <math.h>
#include <string.h>

#include "ct-corrupt.h"
#include "ct-perturb.h"
#include "ct-rng.h"

/* The CIFAR-10-C corruptions on tiny images whose results are worked by
 * hand from make_cifar_c.py's formulas, plus the properties that hold
 * whatever the image: normalised kernels, noise statistics, determinism. */

#define EPS 1e-6

static void
corrupt (CtCorruptionKind  kind,
         guint             severity,
         float            *image,
         guint             channels,
         guint             height,
         guint             width)
{
  CtCorruption corruption = { kind, severity };

  ct_corruption_apply (&corruption, image, channels, height, width, 7, 0, 0);
}

static void
assert_values (const float  *actual,
               const double *expected,
               gsize         n,
               double        tolerance)
{
  for (gsize i = 0; i < n; i++)
    g_assert_cmpfloat_with_epsilon (actual[i], expected[i], tolerance);
}

/* A reproducible textured RGB image with values in [0.1, 0.9]. */
static float *
textured_image (guint height,
                guint width)
{
  gsize n = (gsize) 3 * height * width;
  float *image = g_new (float, n);
  CtRng rng;

  ct_rng_init (&rng, 99, 0, 0, 0);
  for (gsize i = 0; i < n; i++)
    image[i] = (float) (0.1 + 0.8 * ct_rng_uniform (&rng));
  return image;
}

static float *
filled (gsize n,
        float value)
{
  float *image = g_new (float, n);

  for (gsize i = 0; i < n; i++)
    image[i] = value;
  return image;
}

/* ---- names ------------------------------------------------------------ */

static void
test_names (void)
{
  static const char * const names[] = {
    "gaussian_noise", "shot_noise", "impulse_noise", "speckle_noise",
    "gaussian_blur", "defocus_blur", "brightness", "contrast", "saturate",
    "jpeg_compression", "pixelate",
  };
  static const char * const invalid[] = {
    "none", "", "blur", "gaussian_blur-", "gaussian_blur-0", "gaussian_blur-6",
    "gaussian_blur-3x", "gaussian-blur", "Gaussian_blur", "fog-1",
  };
  CtCorruptionKind kind;
  guint severity = 99;

  g_assert_cmpuint (G_N_ELEMENTS (names), ==, CT_CORRUPTION_N_KINDS);
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_assert_true (ct_corruption_kind_from_string (names[i], &kind));
      g_assert_cmpint (kind, ==, i + 1);
      g_assert_cmpstr (ct_corruption_kind_to_string (kind), ==, names[i]);
    }
  g_assert_cmpstr (ct_corruption_kind_to_string (CT_CORRUPTION_NONE), ==, "none");

  g_assert_true (ct_corruption_parse ("gaussian_blur-3", &kind, &severity));
  g_assert_cmpint (kind, ==, CT_CORRUPTION_GAUSSIAN_BLUR);
  g_assert_cmpuint (severity, ==, 3);
  g_assert_true (ct_corruption_parse ("pixelate", &kind, &severity));
  g_assert_cmpint (kind, ==, CT_CORRUPTION_PIXELATE);
  g_assert_cmpuint (severity, ==, 0);
  for (guint i = 0; i < G_N_ELEMENTS (invalid); i++)
    g_assert_false (ct_corruption_parse (invalid[i], &kind, &severity));

  {
    CtCorruption corruption = { CT_CORRUPTION_JPEG_COMPRESSION, 5 };
    CtCorruption none = { CT_CORRUPTION_NONE, 0 };
    g_autofree char *text = ct_corruption_to_string (&corruption);
    g_autofree char *none_text = ct_corruption_to_string (&none);

    g_assert_cmpstr (text, ==, "jpeg_compression-5");
    g_assert_cmpstr (none_text, ==, "none");
  }
}

/* ---- digital ---------------------------------------------------------- */

static void
test_contrast (void)
{
  /* Grey 2×2, mean 0.3, severity 2 (c = 0.5): (x − 0.3)·0.5 + 0.3. */
  float grey[] = { 0.0f, 0.2f, 0.4f, 0.6f };
  const double grey_expected[] = { 0.15, 0.25, 0.35, 0.45 };
  /* RGB 1×2, each channel about its own mean; severity 5 (c = 0.15). */
  float rgb[] = { 0.0f, 1.0f,   0.2f, 0.2f,   0.3f, 0.7f };
  const double rgb_expected[] = { 0.425, 0.575,   0.2, 0.2,   0.47, 0.53 };

  corrupt (CT_CORRUPTION_CONTRAST, 2, grey, 1, 2, 2);
  assert_values (grey, grey_expected, 4, EPS);
  corrupt (CT_CORRUPTION_CONTRAST, 5, rgb, 3, 1, 2);
  assert_values (rgb, rgb_expected, 6, EPS);
}

static void
test_brightness (void)
{
  /* (0.2, 0.4, 0.1): V = 0.4 → 0.5 with H and S fixed scales every
   * channel by 1.25.  Black has S = 0 and turns grey.  (0.9, 0.95, 0.5)
   * at severity 1 hits V = 1 and scales by 1/0.95. */
  float pixels[] = { 0.2f, 0.0f,   0.4f, 0.0f,   0.1f, 0.0f };
  const double expected[] = { 0.25, 0.1,   0.5, 0.1,   0.125, 0.1 };
  float bright[] = { 0.9f, 0.95f, 0.5f };
  const double bright_expected[] = { 0.9 / 0.95, 1.0, 0.5 / 0.95 };
  float grey[] = { 0.5f, 0.97f };
  const double grey_expected[] = { 0.6, 1.0 };

  corrupt (CT_CORRUPTION_BRIGHTNESS, 2, pixels, 3, 1, 2);
  assert_values (pixels, expected, 6, EPS);
  corrupt (CT_CORRUPTION_BRIGHTNESS, 1, bright, 3, 1, 1);
  assert_values (bright, bright_expected, 3, EPS);
  corrupt (CT_CORRUPTION_BRIGHTNESS, 2, grey, 1, 1, 2);
  assert_values (grey, grey_expected, 2, EPS);
}

static void
test_saturate (void)
{
  /* (0.2, 0.4, 0.1): V = 0.4, S = 0.75, H = (2 + (0.1 − 0.2)/0.3)/6, so
   * 6H = 5/3, sector 1, f = 2/3 and RGB = (V(1 − fS), V, V(1 − S)).
   * Severity 1: S = 0.225 → (0.34, 0.4, 0.31).  Severity 3: S = 1.125
   * clips to 1 → (0.4/3, 0.4, 0). */
  float weak[] = { 0.2f, 0.4f, 0.1f };
  float strong[] = { 0.2f, 0.4f, 0.1f };
  const double weak_expected[] = { 0.34, 0.4, 0.31 };
  const double strong_expected[] = { 0.4 / 3, 0.4, 0.0 };
  float grey[] = { 0.25f, 0.75f };
  const double grey_expected[] = { 0.25, 0.75 };

  corrupt (CT_CORRUPTION_SATURATE, 1, weak, 3, 1, 1);
  assert_values (weak, weak_expected, 3, EPS);
  corrupt (CT_CORRUPTION_SATURATE, 3, strong, 3, 1, 1);
  assert_values (strong, strong_expected, 3, EPS);
  /* A grey image has no saturation to change. */
  corrupt (CT_CORRUPTION_SATURATE, 5, grey, 1, 1, 2);
  assert_values (grey, grey_expected, 2, EPS);
}

static void
test_pixelate_blocks (void)
{
  /* 4×4 at severity 5: int(4·0.65) = 2, so BOX down averages 2×2 blocks
   * and BOX up copies each back. */
  float image[16];
  double expected[16];

  for (guint i = 0; i < 16; i++)
    image[i] = i / 16.0f;
  for (guint y = 0; y < 4; y++)
    for (guint x = 0; x < 4; x++)
      {
        guint by = y / 2 * 2, bx = x / 2 * 2;

        expected[y * 4 + x] = (image[by * 4 + bx] + image[by * 4 + bx + 1] +
                               image[(by + 1) * 4 + bx] + image[(by + 1) * 4 + bx + 1]) / 4;
      }
  corrupt (CT_CORRUPTION_PIXELATE, 5, image, 1, 4, 4);
  assert_values (image, expected, 16, EPS);
}

static void
test_pixelate_fractional (void)
{
  /* 10×10 at severity 1: int(10·0.95) = 9.  Down, output 4 has its centre
   * at 5.0 and its box (4.44, 5.56] holds the centres of inputs 4 and 5;
   * every other output holds one input.  Up (9 → 10) is nearest: outputs
   * 4 and 5 both read small pixel 4.  So rows and columns 4 and 5 merge
   * and nothing else moves: with x + 10y as the value, the column becomes
   * 4.5 and the row 45 there. */
  const double merged[] = { 0, 1, 2, 3, 4.5, 4.5, 6, 7, 8, 9 };
  float image[100];
  double expected[100];

  for (guint y = 0; y < 10; y++)
    for (guint x = 0; x < 10; x++)
      {
        image[y * 10 + x] = (x + 10.0f * y) / 100.0f;
        expected[y * 10 + x] = (merged[x] + 10 * merged[y]) / 100.0;
      }
  corrupt (CT_CORRUPTION_PIXELATE, 1, image, 1, 10, 10);
  assert_values (image, expected, 100, EPS);
}

static void
test_jpeg (void)
{
  /* A flat mid-grey has only a DC coefficient, 0 after the level shift:
   * exact.  A flat colour goes through YCbCr and back within 2 levels. */
  g_autofree float *grey = filled (3 * 16 * 16, 128 / 255.0f);
  g_autofree float *grey1 = filled (16 * 16, 128 / 255.0f);
  g_autofree float *colour = g_new (float, 3 * 16 * 16);
  g_autofree float *texture = textured_image (16, 16);
  g_autofree float *original = g_memdup2 (texture, 3 * 16 * 16 * sizeof (float));
  const float rgb[] = { 200 / 255.0f, 100 / 255.0f, 50 / 255.0f };
  double change = 0;

  for (guint i = 0; i < 3 * 16 * 16; i++)
    colour[i] = rgb[i / 256];

  corrupt (CT_CORRUPTION_JPEG_COMPRESSION, 5, grey, 3, 16, 16);
  corrupt (CT_CORRUPTION_JPEG_COMPRESSION, 5, grey1, 1, 16, 16);
  corrupt (CT_CORRUPTION_JPEG_COMPRESSION, 1, colour, 3, 16, 16);
  for (guint i = 0; i < 3 * 16 * 16; i++)
    {
      g_assert_cmpfloat (grey[i], ==, 128 / 255.0f);
      g_assert_cmpfloat_with_epsilon (colour[i], rgb[i / 256], 2.5 / 255);
    }
  for (guint i = 0; i < 16 * 16; i++)
    g_assert_cmpfloat (grey1[i], ==, 128 / 255.0f);

  /* Noise-like texture does not survive quality 40: outputs are whole
   * levels and far from the input. */
  corrupt (CT_CORRUPTION_JPEG_COMPRESSION, 5, texture, 3, 16, 16);
  for (guint i = 0; i < 3 * 16 * 16; i++)
    {
      double level = texture[i] * 255.0;

      g_assert_cmpfloat_with_epsilon (level, round (level), 1e-3);
      change += fabs (texture[i] - original[i]);
    }
  g_assert_cmpfloat (change / (3 * 16 * 16), >, 0.05);
}

/* ---- blur ------------------------------------------------------------- */

static double
gaussian_tap (double sigma,
              int    radius,
              int    k)
{
  double total = 0;

  for (int j = -radius; j <= radius; j++)
    total += exp (-0.5 * j * j / (sigma * sigma));
  return exp (-0.5 * k * k / (sigma * sigma)) / total;
}

static void
assert_symmetric (const float *image,
                  guint        side)
{
  for (guint y = 0; y < side; y++)
    for (guint x = 0; x < side; x++)
      {
        float v = image[y * side + x];

        g_assert_cmpfloat_with_epsilon (v, image[x * side + y], 1e-7);
        g_assert_cmpfloat_with_epsilon (v, image[(side - 1 - y) * side + x], 1e-7);
        g_assert_cmpfloat_with_epsilon (v, image[y * side + side - 1 - x], 1e-7);
      }
}

static double
sum (const float *values,
     gsize        n)
{
  double total = 0;

  for (gsize i = 0; i < n; i++)
    total += values[i];
  return total;
}

static void
test_gaussian_blur_impulse (void)
{
  /* σ = 1 (severity 5) reaches int(4σ + 0.5) = 4 pixels: an impulse in the
   * middle of 15×15 spreads into the normalised separable kernel, w0² at
   * the centre and w0·w1 beside it. */
  float image[15 * 15] = { 0 };

  image[7 * 15 + 7] = 1;
  corrupt (CT_CORRUPTION_GAUSSIAN_BLUR, 5, image, 1, 15, 15);
  g_assert_cmpfloat_with_epsilon (sum (image, 15 * 15), 1.0, 1e-6);
  assert_symmetric (image, 15);
  g_assert_cmpfloat_with_epsilon (image[7 * 15 + 7], pow (gaussian_tap (1, 4, 0), 2), 1e-7);
  g_assert_cmpfloat_with_epsilon (image[7 * 15 + 8],
                                  gaussian_tap (1, 4, 0) * gaussian_tap (1, 4, 1), 1e-7);
  g_assert_cmpfloat (image[7 * 15 + 12], ==, 0);
}

static void
test_gaussian_blur_border (void)
{
  /* skimage's 'nearest' border repeats the edge: with an impulse in the
   * corner, the taps that fall off the image read the impulse again, so
   * the corner keeps (w0 + w1 + w2)² for σ = 0.4 (radius 2).  A reflecting
   * border would give w0² + … instead. */
  float image[9 * 9] = { 0 };
  double w = gaussian_tap (0.4, 2, 0) + gaussian_tap (0.4, 2, 1) + gaussian_tap (0.4, 2, 2);
  g_autofree float *flat = filled (3 * 5 * 7, 0.3f);

  image[0] = 1;
  corrupt (CT_CORRUPTION_GAUSSIAN_BLUR, 1, image, 1, 9, 9);
  g_assert_cmpfloat_with_epsilon (image[0], w * w, 1e-7);

  corrupt (CT_CORRUPTION_GAUSSIAN_BLUR, 5, flat, 3, 5, 7);
  for (guint i = 0; i < 3 * 5 * 7; i++)
    g_assert_cmpfloat_with_epsilon (flat[i], 0.3, 1e-6);
}

static void
test_defocus_kernel (void)
{
  /* An impulse in the middle of 9×9 comes out as the kernel itself. */
  for (guint severity = 1; severity <= CT_CORRUPTION_N_SEVERITIES; severity++)
    {
      float image[9 * 9] = { 0 };

      image[4 * 9 + 4] = 1;
      corrupt (CT_CORRUPTION_DEFOCUS_BLUR, severity, image, 1, 9, 9);
      g_assert_cmpfloat_with_epsilon (sum (image, 81), 1.0, 1e-6);
      assert_symmetric (image, 9);
    }

  {
    /* Severity 1: radius 0.3 holds the centre alone, so the kernel is
     * cv2's 3×3 Gaussian of σ 0.4: g = (e, 1, e)/(1 + 2e), e = exp(−3.125). */
    float image[9 * 9] = { 0 };
    double e = exp (-0.5 / (0.4 * 0.4));
    double g0 = 1 / (1 + 2 * e), g1 = e / (1 + 2 * e);

    image[4 * 9 + 4] = 1;
    corrupt (CT_CORRUPTION_DEFOCUS_BLUR, 1, image, 1, 9, 9);
    g_assert_cmpfloat_with_epsilon (image[4 * 9 + 4], g0 * g0, 1e-7);
    g_assert_cmpfloat_with_epsilon (image[4 * 9 + 5], g0 * g1, 1e-7);
    g_assert_cmpfloat_with_epsilon (image[3 * 9 + 5], g1 * g1, 1e-7);
    g_assert_cmpfloat (image[4 * 9 + 6], ==, 0);
  }

  {
    /* Severity 4: radius 1 holds the centre and its 4 neighbours, 1/5
     * each, blurred with σ 0.2: centre 0.2·(g0² + 4·g0·g1). */
    float image[9 * 9] = { 0 };
    double e = exp (-0.5 / (0.2 * 0.2));
    double g0 = 1 / (1 + 2 * e), g1 = e / (1 + 2 * e);

    image[4 * 9 + 4] = 1;
    corrupt (CT_CORRUPTION_DEFOCUS_BLUR, 4, image, 1, 9, 9);
    g_assert_cmpfloat_with_epsilon (image[4 * 9 + 4], 0.2 * (g0 * g0 + 4 * g0 * g1), 1e-7);
    g_assert_cmpfloat_with_epsilon (image[2 * 9 + 2], 0, 1e-12);
  }

  {
    /* Severity 5: radius 1.5 holds the whole 3×3 square (1 + 1 ≤ 2.25). */
    float image[9 * 9] = { 0 };

    image[4 * 9 + 4] = 1;
    corrupt (CT_CORRUPTION_DEFOCUS_BLUR, 5, image, 1, 9, 9);
    g_assert_cmpfloat_with_epsilon (image[3 * 9 + 3], 1 / 9.0, 1e-4);
  }
}

/* ---- noise ------------------------------------------------------------ */

#define NOISE_SIDE 64
#define NOISE_VALUES (3 * NOISE_SIDE * NOISE_SIDE)

static void
moments (const float *values,
         gsize        n,
         double      *out_mean,
         double      *out_variance)
{
  double mean = sum (values, n) / n;
  double squares = 0;

  for (gsize i = 0; i < n; i++)
    squares += (values[i] - mean) * (values[i] - mean);
  *out_mean = mean;
  *out_variance = squares / (n - 1);
}

static void
test_gaussian_and_speckle_noise (void)
{
  g_autofree float *gaussian = filled (NOISE_VALUES, 0.5f);
  g_autofree float *speckle = filled (NOISE_VALUES, 0.5f);
  g_autofree float *black = filled (NOISE_VALUES, 0.0f);
  double mean, variance;

  /* Severity 3: σ = 0.08.  Speckle severity 5: σ = 0.5 · 0.20 = 0.1. */
  corrupt (CT_CORRUPTION_GAUSSIAN_NOISE, 3, gaussian, 3, NOISE_SIDE, NOISE_SIDE);
  moments (gaussian, NOISE_VALUES, &mean, &variance);
  g_assert_cmpfloat_with_epsilon (mean, 0.5, 0.005);
  g_assert_cmpfloat_with_epsilon (sqrt (variance), 0.08, 0.004);

  corrupt (CT_CORRUPTION_SPECKLE_NOISE, 5, speckle, 3, NOISE_SIDE, NOISE_SIDE);
  moments (speckle, NOISE_VALUES, &mean, &variance);
  g_assert_cmpfloat_with_epsilon (mean, 0.5, 0.005);
  g_assert_cmpfloat_with_epsilon (sqrt (variance), 0.1, 0.005);

  /* Speckle scales with the signal: black stays black. */
  corrupt (CT_CORRUPTION_SPECKLE_NOISE, 5, black, 3, NOISE_SIDE, NOISE_SIDE);
  g_assert_cmpfloat (sum (black, NOISE_VALUES), ==, 0);
}

static void
test_shot_noise (void)
{
  /* Poisson(x·c)/c at severity 5 (c = 50): mean x, variance x/c = 0.01,
   * every value a multiple of 1/50. */
  g_autofree float *image = filled (NOISE_VALUES, 0.5f);
  double mean, variance;

  corrupt (CT_CORRUPTION_SHOT_NOISE, 5, image, 3, NOISE_SIDE, NOISE_SIDE);
  moments (image, NOISE_VALUES, &mean, &variance);
  g_assert_cmpfloat_with_epsilon (mean, 0.5, 0.005);
  g_assert_cmpfloat_with_epsilon (variance, 0.01, 0.0015);
  for (guint i = 0; i < NOISE_VALUES; i++)
    g_assert_cmpfloat_with_epsilon (image[i] * 50, round (image[i] * 50), 1e-4);
}

static void
test_impulse_noise (void)
{
  /* Severity 5 flips 7% of the values, to 0 or 1 with even odds. */
  g_autofree float *image = filled (NOISE_VALUES, 0.5f);
  guint pepper = 0, salt = 0;

  corrupt (CT_CORRUPTION_IMPULSE_NOISE, 5, image, 3, NOISE_SIDE, NOISE_SIDE);
  for (guint i = 0; i < NOISE_VALUES; i++)
    {
      pepper += image[i] == 0.0f;
      salt += image[i] == 1.0f;
      g_assert_true (image[i] == 0.0f || image[i] == 1.0f || image[i] == 0.5f);
    }
  g_assert_cmpfloat_with_epsilon ((pepper + salt) / (double) NOISE_VALUES, 0.07, 0.01);
  g_assert_cmpfloat_with_epsilon (salt / (double) (pepper + salt), 0.5, 0.1);
}

static void
test_severities_share_noise (void)
{
  /* One stream for every severity: gaussian severity 5 is severity 1's
   * noise scaled by 0.10/0.04 wherever neither clipped. */
  g_autofree float *weak = filled (NOISE_VALUES, 0.5f);
  g_autofree float *strong = filled (NOISE_VALUES, 0.5f);

  corrupt (CT_CORRUPTION_GAUSSIAN_NOISE, 1, weak, 3, NOISE_SIDE, NOISE_SIDE);
  corrupt (CT_CORRUPTION_GAUSSIAN_NOISE, 5, strong, 3, NOISE_SIDE, NOISE_SIDE);
  for (guint i = 0; i < NOISE_VALUES; i++)
    if (strong[i] > 0 && strong[i] < 1)
      g_assert_cmpfloat_with_epsilon (strong[i] - 0.5, (weak[i] - 0.5) * 2.5, 1e-5);
}

/* ---- whole-family properties ------------------------------------------ */

static double
distortion (CtCorruptionKind kind,
            guint            severity)
{
  g_autofree float *clean = textured_image (32, 32);
  g_autofree float *image = g_memdup2 (clean, 3 * 32 * 32 * sizeof (float));
  double total = 0;

  corrupt (kind, severity, image, 3, 32, 32);
  for (guint i = 0; i < 3 * 32 * 32; i++)
    total += (image[i] - clean[i]) * (image[i] - clean[i]);
  return total / (3 * 32 * 32);
}

static void
test_severity_monotone (void)
{
  for (CtCorruptionKind kind = 1; kind <= CT_CORRUPTION_N_KINDS; kind++)
    {
      double previous = 0;

      for (guint severity = 1; severity <= CT_CORRUPTION_N_SEVERITIES; severity++)
        {
          double d = distortion (kind, severity);

          if (g_test_verbose ())
            g_printerr ("%s-%u: %g\n", ct_corruption_kind_to_string (kind), severity, d);
          g_assert_cmpfloat (d, >, 0);
          /* Saturate is two ladders in the reference: severities 1–2
           * desaturate (×0.3, ×0.1), 3–5 oversaturate (×1.5 … ×2.5 + 0.2),
           * and on vivid colours ×0.3 moves more than ×2.5 (S clips at 1). */
          if (kind != CT_CORRUPTION_SATURATE || severity != 3)
            g_assert_cmpfloat (d, >, previous);
          previous = d;
        }
    }
}

static void
test_identities (void)
{
  /* A flat image is a fixed point of blurs, pixelate and contrast; NONE
   * changes nothing; the output always stays in [0, 1]. */
  static const CtCorruptionKind flat_fixed[] = {
    CT_CORRUPTION_GAUSSIAN_BLUR, CT_CORRUPTION_DEFOCUS_BLUR,
    CT_CORRUPTION_CONTRAST, CT_CORRUPTION_PIXELATE,
  };
  g_autofree float *texture = textured_image (8, 8);
  g_autofree float *copy = g_memdup2 (texture, 3 * 8 * 8 * sizeof (float));

  for (guint i = 0; i < G_N_ELEMENTS (flat_fixed); i++)
    for (guint severity = 1; severity <= CT_CORRUPTION_N_SEVERITIES; severity++)
      {
        g_autofree float *flat = filled (3 * 6 * 5, 0.375f);

        corrupt (flat_fixed[i], severity, flat, 3, 6, 5);
        for (guint j = 0; j < 3 * 6 * 5; j++)
          g_assert_cmpfloat_with_epsilon (flat[j], 0.375, 1e-6);
      }

  corrupt (CT_CORRUPTION_NONE, 0, copy, 3, 8, 8);
  g_assert_cmpmem (copy, 3 * 8 * 8 * sizeof (float), texture, 3 * 8 * 8 * sizeof (float));

  for (CtCorruptionKind kind = 1; kind <= CT_CORRUPTION_N_KINDS; kind++)
    {
      g_autofree float *image = g_memdup2 (texture, 3 * 8 * 8 * sizeof (float));

      corrupt (kind, 5, image, 3, 8, 8);
      for (guint j = 0; j < 3 * 8 * 8; j++)
        g_assert_true (image[j] >= 0 && image[j] <= 1);
    }
}

static void
test_determinism (void)
{
  static const CtCorruptionKind random_kinds[] = {
    CT_CORRUPTION_GAUSSIAN_NOISE, CT_CORRUPTION_SHOT_NOISE,
    CT_CORRUPTION_IMPULSE_NOISE, CT_CORRUPTION_SPECKLE_NOISE,
  };
  gsize size = 3 * 16 * 16 * sizeof (float);
  g_autofree float *texture = textured_image (16, 16);

  for (guint i = 0; i < G_N_ELEMENTS (random_kinds); i++)
    {
      CtCorruption corruption = { random_kinds[i], 5 };
      g_autofree float *a = g_memdup2 (texture, size);
      g_autofree float *b = g_memdup2 (texture, size);
      g_autofree float *other_image = g_memdup2 (texture, size);
      g_autofree float *other_round = g_memdup2 (texture, size);
      g_autofree float *other_seed = g_memdup2 (texture, size);

      ct_corruption_apply (&corruption, a, 3, 16, 16, 5, 2, 1);
      ct_corruption_apply (&corruption, b, 3, 16, 16, 5, 2, 1);
      ct_corruption_apply (&corruption, other_image, 3, 16, 16, 5, 3, 1);
      ct_corruption_apply (&corruption, other_round, 3, 16, 16, 5, 2, 2);
      ct_corruption_apply (&corruption, other_seed, 3, 16, 16, 6, 2, 1);
      g_assert_cmpmem (a, size, b, size);
      g_assert_true (memcmp (a, other_image, size) != 0);
      g_assert_true (memcmp (a, other_round, size) != 0);
      g_assert_true (memcmp (a, other_seed, size) != 0);
    }
}

/* ---- in CtPerturb ----------------------------------------------------- */

static void
test_perturb_member (void)
{
  CtPerturb perturb;
  g_autofree char *alone = NULL;
  g_autofree char *stacked = NULL;

  ct_perturb_init (&perturb);
  g_assert_cmpint (perturb.corruption.kind, ==, CT_CORRUPTION_NONE);
  g_assert_true (ct_perturb_is_identity (&perturb));

  perturb.corruption = (CtCorruption) { CT_CORRUPTION_GAUSSIAN_BLUR, 3 };
  g_assert_false (ct_perturb_is_identity (&perturb));
  alone = ct_perturb_describe (&perturb);
  g_assert_cmpstr (alone, ==, "c10c gaussian_blur-3");

  perturb.corruption = (CtCorruption) { CT_CORRUPTION_CONTRAST, 2 };
  perturb.noise_sigma = 0.1;
  stacked = ct_perturb_describe (&perturb);
  g_assert_cmpstr (stacked, ==, "noise σ=0.10, c10c contrast-2");
}

static void
test_perturb_apply (void)
{
  /* The corruption comes after the study's perturbations, on their
   * clipped output, with the perturbation's seed, image and round. */
  guint8 pixels[3 * 8 * 8];
  float direct[3 * 8 * 8], through[3 * 8 * 8];
  CtPerturb perturb;

  for (guint i = 0; i < sizeof pixels; i++)
    pixels[i] = (guint8) (i * 37 % 256);

  ct_perturb_init (&perturb);
  perturb.noise_sigma = 0.05;
  perturb.occlude_count = 3;
  perturb.seed = 11;
  ct_perturb_apply (&perturb, pixels, 3, 8, 8, NULL, 4, 2, direct);
  perturb.corruption = (CtCorruption) { CT_CORRUPTION_SHOT_NOISE, 2 };
  ct_corruption_apply (&perturb.corruption, direct, 3, 8, 8, 11, 4, 2);

  ct_perturb_apply (&perturb, pixels, 3, 8, 8, NULL, 4, 2, through);
  g_assert_cmpmem (direct, sizeof direct, through, sizeof through);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/corrupt/names", test_names);
  g_test_add_func ("/corrupt/contrast", test_contrast);
  g_test_add_func ("/corrupt/brightness", test_brightness);
  g_test_add_func ("/corrupt/saturate", test_saturate);
  g_test_add_func ("/corrupt/pixelate-blocks", test_pixelate_blocks);
  g_test_add_func ("/corrupt/pixelate-fractional", test_pixelate_fractional);
  g_test_add_func ("/corrupt/jpeg", test_jpeg);
  g_test_add_func ("/corrupt/gaussian-blur-impulse", test_gaussian_blur_impulse);
  g_test_add_func ("/corrupt/gaussian-blur-border", test_gaussian_blur_border);
  g_test_add_func ("/corrupt/defocus-kernel", test_defocus_kernel);
  g_test_add_func ("/corrupt/gaussian-speckle-noise", test_gaussian_and_speckle_noise);
  g_test_add_func ("/corrupt/shot-noise", test_shot_noise);
  g_test_add_func ("/corrupt/impulse-noise", test_impulse_noise);
  g_test_add_func ("/corrupt/severities-share-noise", test_severities_share_noise);
  g_test_add_func ("/corrupt/severity-monotone", test_severity_monotone);
  g_test_add_func ("/corrupt/identities", test_identities);
  g_test_add_func ("/corrupt/determinism", test_determinism);
  g_test_add_func ("/corrupt/perturb-member", test_perturb_member);
  g_test_add_func ("/corrupt/perturb-apply", test_perturb_apply);

  return g_test_run ();
}
