/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "ct-corrupt.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>

#include "ct-rng.h"

/* The purpose number of the corruptions' stream, after ct-perturb.c's
 * rotation (1), occlusion (2) and noise (3), so a corruption stacked on the
 * study's perturbations draws independently of them. */
#define STREAM_CORRUPTION 4

/* The reference builds its disk on a 17×17 grid whenever the radius is at
 * most 8, which every CIFAR severity is. */
#define DISK_HALF 8
#define DISK_SIDE (2 * DISK_HALF + 1)

static const char * const kind_names[] = {
  [CT_CORRUPTION_NONE] = "none",
  [CT_CORRUPTION_GAUSSIAN_NOISE] = "gaussian_noise",
  [CT_CORRUPTION_SHOT_NOISE] = "shot_noise",
  [CT_CORRUPTION_IMPULSE_NOISE] = "impulse_noise",
  [CT_CORRUPTION_SPECKLE_NOISE] = "speckle_noise",
  [CT_CORRUPTION_GAUSSIAN_BLUR] = "gaussian_blur",
  [CT_CORRUPTION_DEFOCUS_BLUR] = "defocus_blur",
  [CT_CORRUPTION_BRIGHTNESS] = "brightness",
  [CT_CORRUPTION_CONTRAST] = "contrast",
  [CT_CORRUPTION_SATURATE] = "saturate",
  [CT_CORRUPTION_JPEG_COMPRESSION] = "jpeg_compression",
  [CT_CORRUPTION_PIXELATE] = "pixelate",
};

G_STATIC_ASSERT (G_N_ELEMENTS (kind_names) == CT_CORRUPTION_N_KINDS + 1);

/* The CIFAR rows of make_cifar_c.py, severity 1 to 5. */
static const double gaussian_noise_sigma[] = { 0.04, 0.06, 0.08, 0.09, 0.10 };
static const double shot_noise_photons[] = { 500, 250, 100, 75, 50 };
static const double impulse_noise_amount[] = { 0.01, 0.02, 0.03, 0.05, 0.07 };
static const double speckle_noise_sigma[] = { 0.06, 0.10, 0.12, 0.16, 0.20 };
static const double gaussian_blur_sigma[] = { 0.4, 0.6, 0.7, 0.8, 1.0 };
static const double defocus_radius[] = { 0.3, 0.4, 0.5, 1.0, 1.5 };
static const double defocus_alias_blur[] = { 0.4, 0.5, 0.6, 0.2, 0.1 };
static const double brightness_shift[] = { 0.05, 0.1, 0.15, 0.2, 0.3 };
static const double contrast_factor[] = { 0.75, 0.5, 0.4, 0.3, 0.15 };
static const double saturate_scale[] = { 0.3, 0.1, 1.5, 2.0, 2.5 };
static const double saturate_shift[] = { 0, 0, 0, 0.1, 0.2 };
static const int jpeg_quality[] = { 80, 65, 58, 50, 40 };
static const double pixelate_factor[] = { 0.95, 0.9, 0.85, 0.75, 0.65 };

const char *
ct_corruption_kind_to_string (CtCorruptionKind kind)
{
  g_return_val_if_fail (kind <= CT_CORRUPTION_N_KINDS, NULL);

  return kind_names[kind];
}

gboolean
ct_corruption_kind_from_string (const char       *name,
                                CtCorruptionKind *out_kind)
{
  g_return_val_if_fail (name != NULL, FALSE);

  for (guint kind = 1; kind <= CT_CORRUPTION_N_KINDS; kind++)
    if (g_str_equal (name, kind_names[kind]))
      {
        if (out_kind != NULL)
          *out_kind = kind;
        return TRUE;
      }
  return FALSE;
}

gboolean
ct_corruption_parse (const char       *text,
                     CtCorruptionKind *out_kind,
                     guint            *out_severity)
{
  const char *dash;
  g_autofree char *name = NULL;
  guint64 severity = 0;

  g_return_val_if_fail (text != NULL, FALSE);

  /* No CIFAR-10-C name has a dash; the last one starts the severity. */
  dash = strrchr (text, '-');
  if (dash != NULL)
    {
      if (!g_ascii_string_to_unsigned (dash + 1, 10, 1, CT_CORRUPTION_N_SEVERITIES,
                                       &severity, NULL))
        return FALSE;
      name = g_strndup (text, dash - text);
    }
  else
    name = g_strdup (text);

  if (!ct_corruption_kind_from_string (name, out_kind))
    return FALSE;
  if (out_severity != NULL)
    *out_severity = severity;
  return TRUE;
}

char *
ct_corruption_to_string (const CtCorruption *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  if (self->kind == CT_CORRUPTION_NONE)
    return g_strdup ("none");
  return g_strdup_printf ("%s-%u", ct_corruption_kind_to_string (self->kind), self->severity);
}

/* ---- noise ------------------------------------------------------------ */

/* Poisson(λ) by inversion, one uniform per draw so that the stream stays
 * aligned with the pixels.  O(λ) steps, and e^{−λ} is a normal double for
 * every λ here (at most 500). */
static double
poisson (CtRng  *rng,
         double  lambda)
{
  double u = ct_rng_uniform (rng);
  double p = exp (-lambda);
  double cumulative = p;
  guint k = 0;

  /* p reaches 0 far in the tail, which ends the loop should rounding keep
   * the cumulative sum below u. */
  while (u >= cumulative && p > 0)
    {
      k++;
      p *= lambda / k;
      cumulative += p;
    }
  return k;
}

static void
add_noise (CtCorruptionKind  kind,
           double            c,
           float            *image,
           gsize             n_values,
           CtRng            *rng)
{
  for (gsize i = 0; i < n_values; i++)
    {
      double x = image[i];

      switch (kind)
        {
        case CT_CORRUPTION_GAUSSIAN_NOISE:
          x += c * ct_rng_normal (rng);
          break;
        case CT_CORRUPTION_SHOT_NOISE:
          x = poisson (rng, MAX (x, 0.0) * c) / c;
          break;
        case CT_CORRUPTION_IMPULSE_NOISE:
          {
            /* skimage flips a value with probability c and makes it salt
             * or pepper with even odds: u < c/2 pepper, c/2 ≤ u < c salt. */
            double u = ct_rng_uniform (rng);

            if (u < c)
              x = u < c / 2 ? 0.0 : 1.0;
            break;
          }
        case CT_CORRUPTION_SPECKLE_NOISE:
          x += x * c * ct_rng_normal (rng);
          break;
        default:
          g_assert_not_reached ();
        }
      image[i] = (float) x;
    }
}

/* ---- blur ------------------------------------------------------------- */

/* scipy.ndimage's 'nearest' border: the edge value repeats. */
static inline guint
border_nearest (int i,
                int n)
{
  return CLAMP (i, 0, n - 1);
}

/* OpenCV's BORDER_REFLECT_101: gfedcb|abcdefgh|gfedcba. */
static inline guint
border_reflect101 (int i,
                   int n)
{
  int period = 2 * n - 2;

  if (n == 1)
    return 0;
  i = abs (i) % period;
  return i < n ? i : period - i;
}

/* Correlates a plane with the 1-D @weights (2·@radius + 1 taps, index
 * @radius at the centre) down its columns (@vertical) or along its rows,
 * reading past the edges through @border. */
static void
correlate_axis (double       *plane,
                guint         height,
                guint         width,
                const double *weights,
                int           radius,
                gboolean      vertical,
                guint       (*border) (int, int))
{
  guint length = vertical ? height : width;
  guint lines = vertical ? width : height;
  gsize step = vertical ? width : 1;
  gsize line_step = vertical ? 1 : width;
  g_autofree double *line = g_new (double, length);

  for (guint l = 0; l < lines; l++)
    {
      double *start = plane + l * line_step;

      for (guint i = 0; i < length; i++)
        line[i] = start[i * step];
      for (guint i = 0; i < length; i++)
        {
          double sum = 0;

          for (int k = -radius; k <= radius; k++)
            sum += weights[k + radius] * line[border ((int) i + k, length)];
          start[i * step] = sum;
        }
    }
}

/* skimage.filters.gaussian(multichannel=True): scipy's gaussian_filter on
 * each channel, axis 0 (down the columns) then axis 1, truncated at 4σ, in
 * double as scipy works on float64. */
static void
gaussian_blur (float  *image,
               guint   channels,
               guint   height,
               guint   width,
               double  sigma)
{
  int radius = (int) (4.0 * sigma + 0.5);
  gsize plane = (gsize) height * width;
  g_autofree double *weights = g_new (double, 2 * radius + 1);
  g_autofree double *values = g_new (double, plane);
  double total = 0;

  for (int k = -radius; k <= radius; k++)
    {
      weights[k + radius] = exp (-0.5 * k * k / (sigma * sigma));
      total += weights[k + radius];
    }
  for (int k = 0; k <= 2 * radius; k++)
    weights[k] /= total;

  for (guint ch = 0; ch < channels; ch++)
    {
      float *channel = image + ch * plane;

      for (gsize i = 0; i < plane; i++)
        values[i] = channel[i];
      correlate_axis (values, height, width, weights, radius, TRUE, border_nearest);
      correlate_axis (values, height, width, weights, radius, FALSE, border_nearest);
      for (gsize i = 0; i < plane; i++)
        channel[i] = (float) values[i];
    }
}

/* make_cifar_c.py's disk(): the grid points within @radius of the centre,
 * each 1/count, then cv2.GaussianBlur with a 3×3 kernel of σ @alias_blur
 * (cv2.getGaussianKernel weights, reflect-101 borders).  The reference
 * works in float32; this is the same arithmetic in double. */
static void
defocus_kernel (double radius,
                double alias_blur,
                double kernel[DISK_SIDE * DISK_SIDE])
{
  double taps[3];
  double total = 0;
  guint count = 0;

  g_assert (radius <= DISK_HALF);

  for (int y = -DISK_HALF; y <= DISK_HALF; y++)
    for (int x = -DISK_HALF; x <= DISK_HALF; x++)
      {
        gboolean inside = x * x + y * y <= radius * radius;

        kernel[(y + DISK_HALF) * DISK_SIDE + x + DISK_HALF] = inside;
        count += inside;
      }
  for (guint i = 0; i < DISK_SIDE * DISK_SIDE; i++)
    kernel[i] /= count;

  for (int k = -1; k <= 1; k++)
    {
      taps[k + 1] = exp (-0.5 * k * k / (alias_blur * alias_blur));
      total += taps[k + 1];
    }
  for (guint k = 0; k < 3; k++)
    taps[k] /= total;

  correlate_axis (kernel, DISK_SIDE, DISK_SIDE, taps, 1, FALSE, border_reflect101);
  correlate_axis (kernel, DISK_SIDE, DISK_SIDE, taps, 1, TRUE, border_reflect101);
}

/* cv2.filter2D of each channel with the disk: a correlation, anchored at
 * the centre, with reflect-101 borders.  Most of the 17×17 taps are 0. */
static void
defocus_blur (float  *image,
              guint   channels,
              guint   height,
              guint   width,
              double  radius,
              double  alias_blur)
{
  gsize plane = (gsize) height * width;
  double kernel[DISK_SIDE * DISK_SIDE];
  g_autofree double *values = g_new (double, plane);

  defocus_kernel (radius, alias_blur, kernel);

  for (guint ch = 0; ch < channels; ch++)
    {
      float *channel = image + ch * plane;

      for (gsize i = 0; i < plane; i++)
        values[i] = channel[i];
      for (guint y = 0; y < height; y++)
        for (guint x = 0; x < width; x++)
          {
            double sum = 0;

            for (int ky = -DISK_HALF; ky <= DISK_HALF; ky++)
              for (int kx = -DISK_HALF; kx <= DISK_HALF; kx++)
                {
                  double w = kernel[(ky + DISK_HALF) * DISK_SIDE + kx + DISK_HALF];

                  if (w != 0)
                    sum += w * values[(gsize) border_reflect101 ((int) y + ky, height) * width
                                      + border_reflect101 ((int) x + kx, width)];
                }
            channel[(gsize) y * width + x] = (float) sum;
          }
    }
}

/* ---- digital ---------------------------------------------------------- */

/* skimage.color.rgb2hsv for one pixel, ties between maxima resolved as its
 * successive masks do (blue over green over red). */
static void
rgb_to_hsv (const double rgb[3],
            double       hsv[3])
{
  double v = MAX (rgb[0], MAX (rgb[1], rgb[2]));
  double delta = v - MIN (rgb[0], MIN (rgb[1], rgb[2]));
  double h = 0;

  if (delta != 0)
    {
      if (rgb[0] == v)
        h = (rgb[1] - rgb[2]) / delta;
      if (rgb[1] == v)
        h = 2.0 + (rgb[2] - rgb[0]) / delta;
      if (rgb[2] == v)
        h = 4.0 + (rgb[0] - rgb[1]) / delta;
      h /= 6.0;
      h -= floor (h);
    }
  hsv[0] = h;
  hsv[1] = delta != 0 ? delta / v : 0;
  hsv[2] = v;
}

/* skimage.color.hsv2rgb for one pixel. */
static void
hsv_to_rgb (const double hsv[3],
            double       rgb[3])
{
  double sector = floor (hsv[0] * 6.0);
  double f = hsv[0] * 6.0 - sector;
  double s = hsv[1];
  double v = hsv[2];
  double p = v * (1 - s);
  double q = v * (1 - f * s);
  double t = v * (1 - (1 - f) * s);
  const double choices[6][3] = {
    { v, t, p }, { q, v, p }, { p, v, t }, { p, q, v }, { t, p, v }, { v, p, q },
  };

  memcpy (rgb, choices[(int) sector % 6], sizeof choices[0]);
}

/* Brightness (value += @shift) and saturate (S·@scale + @shift): HSV edits
 * with the component clipped to [0, 1].  A grey image is its own V. */
static void
hsv_edit (float   *image,
          guint    channels,
          gsize    plane,
          guint    component,
          double   scale,
          double   shift)
{
  if (channels != 3)
    {
      if (component == 2)
        for (gsize i = 0; i < channels * plane; i++)
          image[i] = (float) CLAMP (image[i] * scale + shift, 0.0, 1.0);
      return;
    }

  for (gsize i = 0; i < plane; i++)
    {
      double rgb[3] = { image[i], image[plane + i], image[2 * plane + i] };
      double hsv[3];

      rgb_to_hsv (rgb, hsv);
      hsv[component] = CLAMP (hsv[component] * scale + shift, 0.0, 1.0);
      hsv_to_rgb (hsv, rgb);
      for (guint ch = 0; ch < 3; ch++)
        image[ch * plane + i] = (float) rgb[ch];
    }
}

static void
contrast (float  *image,
          guint   channels,
          gsize   plane,
          double  factor)
{
  for (guint ch = 0; ch < channels; ch++)
    {
      float *channel = image + ch * plane;
      double mean = 0;

      for (gsize i = 0; i < plane; i++)
        mean += channel[i];
      mean /= plane;
      for (gsize i = 0; i < plane; i++)
        channel[i] = (float) ((channel[i] - mean) * factor + mean);
    }
}

/* libjpeg reports a failure by calling error_exit, which by default calls
 * exit().  Compressing a valid in-memory image only fails on a bug. */
G_NORETURN static void
jpeg_error_exit (j_common_ptr info)
{
  char message[JMSG_LENGTH_MAX];

  info->err->format_message (info, message);
  g_error ("libjpeg failed on an in-memory image: %s", message);
}

/* One image of @components interleaved bytes per pixel through JPEG and
 * back, as PIL's save(quality=q) and open() do: libjpeg's defaults (4:2:0
 * chroma, islow DCT, fancy upsampling) and jpeg_set_quality(q, baseline). */
static void
jpeg_round_trip (guint8 *pixels,
                 guint   components,
                 guint   height,
                 guint   width,
                 int     quality)
{
  struct jpeg_compress_struct compress;
  struct jpeg_decompress_struct decompress;
  struct jpeg_error_mgr compress_errors, decompress_errors;
  unsigned char *buffer = NULL;
  unsigned long size = 0;
  gsize stride = (gsize) width * components;

  compress.err = jpeg_std_error (&compress_errors);
  compress_errors.error_exit = jpeg_error_exit;
  jpeg_create_compress (&compress);
  jpeg_mem_dest (&compress, &buffer, &size);
  compress.image_width = width;
  compress.image_height = height;
  compress.input_components = components;
  compress.in_color_space = components == 3 ? JCS_RGB : JCS_GRAYSCALE;
  jpeg_set_defaults (&compress);
  jpeg_set_quality (&compress, quality, TRUE);
  jpeg_start_compress (&compress, TRUE);
  while (compress.next_scanline < height)
    {
      JSAMPROW row = pixels + compress.next_scanline * stride;

      jpeg_write_scanlines (&compress, &row, 1);
    }
  jpeg_finish_compress (&compress);
  jpeg_destroy_compress (&compress);

  decompress.err = jpeg_std_error (&decompress_errors);
  decompress_errors.error_exit = jpeg_error_exit;
  jpeg_create_decompress (&decompress);
  jpeg_mem_src (&decompress, buffer, size);
  jpeg_read_header (&decompress, TRUE);
  jpeg_start_decompress (&decompress);
  while (decompress.output_scanline < height)
    {
      JSAMPROW row = pixels + decompress.output_scanline * stride;

      jpeg_read_scanlines (&decompress, &row, 1);
    }
  jpeg_finish_decompress (&decompress);
  jpeg_destroy_decompress (&decompress);
  free (buffer);
}

/* PIL compresses 8-bit pixels: round to the nearest level, compress RGB
 * (3 channels) or each channel as a grey image, and come back in [0, 1]. */
static void
jpeg_compression (float  *image,
                  guint   channels,
                  guint   height,
                  guint   width,
                  int     quality)
{
  gsize plane = (gsize) height * width;
  guint components = channels == 3 ? 3 : 1;
  g_autofree guint8 *pixels = g_new (guint8, plane * components);

  for (guint first = 0; first < channels; first += components)
    {
      for (gsize i = 0; i < plane; i++)
        for (guint c = 0; c < components; c++)
          pixels[i * components + c] =
            (guint8) floor (CLAMP (image[(first + c) * plane + i], 0.0f, 1.0f) * 255.0 + 0.5);
      jpeg_round_trip (pixels, components, height, width, quality);
      for (gsize i = 0; i < plane; i++)
        for (guint c = 0; c < components; c++)
          image[(first + c) * plane + i] = pixels[i * components + c] / 255.0f;
    }
}

/* Pillow's resampling coefficients (precompute_coeffs in Resample.c) for
 * the BOX filter: output pixel i averages, with equal weights, the input
 * pixels whose centres fall within half a scaled pixel of its centre.
 * @bounds gets (first, count) per output pixel and *@out_weights (free
 * it) the returned number of weights per output pixel, from first on. */
static guint
box_coefficients (guint    in_size,
                  guint    out_size,
                  int     *bounds,
                  double **out_weights)
{
  double scale = (double) in_size / out_size;
  double filterscale = MAX (scale, 1.0);
  double support = 0.5 * filterscale;
  guint ksize = (guint) ceil (support) * 2 + 1;
  double *weights = g_new0 (double, (gsize) out_size * ksize);

  for (guint i = 0; i < out_size; i++)
    {
      double center = (i + 0.5) * scale;
      double total = 0;
      int first = MAX ((int) (center - support + 0.5), 0);
      int last = MIN ((int) (center + support + 0.5), (int) in_size);
      double *k = weights + (gsize) i * ksize;

      for (int x = 0; x < last - first; x++)
        {
          double at = (x + first - center + 0.5) / filterscale;

          /* Pillow's box_filter: the half-open interval (−½, ½]. */
          k[x] = at > -0.5 && at <= 0.5;
          total += k[x];
        }
      for (int x = 0; x < last - first && total != 0; x++)
        k[x] /= total;
      bounds[2 * i] = first;
      bounds[2 * i + 1] = last - first;
    }
  *out_weights = weights;
  return ksize;
}

/* One Pillow resize of a plane, horizontal pass then vertical, as
 * ImagingResample does, but in float where Pillow rounds each pass to
 * 8 bits. */
static void
box_resize (const float *src,
            guint        src_height,
            guint        src_width,
            float       *dst,
            guint        dst_height,
            guint        dst_width)
{
  g_autofree int *x_bounds = g_new (int, 2 * dst_width);
  g_autofree int *y_bounds = g_new (int, 2 * dst_height);
  g_autofree double *x_weights = NULL;
  g_autofree double *y_weights = NULL;
  g_autofree double *rows = g_new (double, (gsize) src_height * dst_width);
  guint x_ksize = box_coefficients (src_width, dst_width, x_bounds, &x_weights);
  guint y_ksize = box_coefficients (src_height, dst_height, y_bounds, &y_weights);

  for (guint y = 0; y < src_height; y++)
    for (guint x = 0; x < dst_width; x++)
      {
        const double *k = x_weights + (gsize) x * x_ksize;
        double sum = 0;

        for (int j = 0; j < x_bounds[2 * x + 1]; j++)
          sum += k[j] * src[(gsize) y * src_width + x_bounds[2 * x] + j];
        rows[(gsize) y * dst_width + x] = sum;
      }

  for (guint y = 0; y < dst_height; y++)
    for (guint x = 0; x < dst_width; x++)
      {
        const double *k = y_weights + (gsize) y * y_ksize;
        double sum = 0;

        for (int j = 0; j < y_bounds[2 * y + 1]; j++)
          sum += k[j] * rows[(gsize) (y_bounds[2 * y] + j) * dst_width + x];
        dst[(gsize) y * dst_width + x] = (float) sum;
      }
}

/* make_cifar_c.py resizes to int(32·c) a side with PIL's BOX filter and
 * back; here each side scales by c on its own, int() truncating alike. */
static void
pixelate (float  *image,
          guint   channels,
          guint   height,
          guint   width,
          double  factor)
{
  guint small_height = MAX ((guint) (height * factor), 1);
  guint small_width = MAX ((guint) (width * factor), 1);
  gsize plane = (gsize) height * width;
  g_autofree float *small = g_new (float, (gsize) small_height * small_width);

  for (guint ch = 0; ch < channels; ch++)
    {
      box_resize (image + ch * plane, height, width, small, small_height, small_width);
      box_resize (small, small_height, small_width, image + ch * plane, height, width);
    }
}

void
ct_corruption_apply (const CtCorruption *self,
                     float              *image,
                     guint               channels,
                     guint               height,
                     guint               width,
                     guint64             seed,
                     guint               image_index,
                     guint               round)
{
  gsize plane = (gsize) height * width;
  gsize n_values = channels * plane;
  guint s;
  CtRng rng;

  g_return_if_fail (self != NULL);
  g_return_if_fail (self->kind <= CT_CORRUPTION_N_KINDS);
  g_return_if_fail (self->kind == CT_CORRUPTION_NONE ||
                    (self->severity >= 1 && self->severity <= CT_CORRUPTION_N_SEVERITIES));
  g_return_if_fail (image != NULL || n_values == 0);

  if (self->kind == CT_CORRUPTION_NONE || n_values == 0)
    return;

  s = self->severity - 1;
  ct_rng_init (&rng, seed, image_index, round, STREAM_CORRUPTION);

  switch (self->kind)
    {
    case CT_CORRUPTION_GAUSSIAN_NOISE:
      add_noise (self->kind, gaussian_noise_sigma[s], image, n_values, &rng);
      break;
    case CT_CORRUPTION_SHOT_NOISE:
      add_noise (self->kind, shot_noise_photons[s], image, n_values, &rng);
      break;
    case CT_CORRUPTION_IMPULSE_NOISE:
      add_noise (self->kind, impulse_noise_amount[s], image, n_values, &rng);
      break;
    case CT_CORRUPTION_SPECKLE_NOISE:
      add_noise (self->kind, speckle_noise_sigma[s], image, n_values, &rng);
      break;
    case CT_CORRUPTION_GAUSSIAN_BLUR:
      gaussian_blur (image, channels, height, width, gaussian_blur_sigma[s]);
      break;
    case CT_CORRUPTION_DEFOCUS_BLUR:
      defocus_blur (image, channels, height, width, defocus_radius[s], defocus_alias_blur[s]);
      break;
    case CT_CORRUPTION_BRIGHTNESS:
      hsv_edit (image, channels, plane, 2, 1.0, brightness_shift[s]);
      break;
    case CT_CORRUPTION_CONTRAST:
      contrast (image, channels, plane, contrast_factor[s]);
      break;
    case CT_CORRUPTION_SATURATE:
      hsv_edit (image, channels, plane, 1, saturate_scale[s], saturate_shift[s]);
      break;
    case CT_CORRUPTION_JPEG_COMPRESSION:
      jpeg_compression (image, channels, height, width, jpeg_quality[s]);
      break;
    case CT_CORRUPTION_PIXELATE:
      pixelate (image, channels, height, width, pixelate_factor[s]);
      break;
    case CT_CORRUPTION_NONE:
    default:
      g_assert_not_reached ();
    }

  for (gsize i = 0; i < n_values; i++)
    image[i] = CLAMP (image[i], 0.0f, 1.0f);
}
