/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "ct-image-file.h"

#include <math.h>
#include <string.h>

G_DEFINE_QUARK (ct-image-file-error-quark, ct_image_file_error)

/* Pillow's Resample.c keeps weights in fixed point with this many
 * fraction bits for 8-bit images (32 − 8 − 2). */
#define RESAMPLE_PRECISION_BITS 22

void
ct_raw_image_clear (CtRawImage *self)
{
  g_clear_pointer (&self->pixels, g_free);
}

/* Where output pixel (x, y) of an orientation comes from, as the
 * transposes that ImageOps.exif_transpose() picks: 2 FLIP_LEFT_RIGHT,
 * 3 ROTATE_180, 4 FLIP_TOP_BOTTOM, 5 TRANSPOSE, 6 ROTATE_270,
 * 7 TRANSVERSE, 8 ROTATE_90 (PIL's angles are counter-clockwise). */
static void
orient_source (CtOrientation  orientation,
               guint          width,
               guint          height,
               guint          x,
               guint          y,
               guint         *sx,
               guint         *sy)
{
  switch (orientation)
    {
    case 2: *sx = width - 1 - x; *sy = y; break;
    case 3: *sx = width - 1 - x; *sy = height - 1 - y; break;
    case 4: *sx = x; *sy = height - 1 - y; break;
    case 5: *sx = y; *sy = x; break;
    case 6: *sx = y; *sy = height - 1 - x; break;
    case 7: *sx = width - 1 - y; *sy = height - 1 - x; break;
    case 8: *sx = width - 1 - y; *sy = x; break;
    default: *sx = x; *sy = y; break;
    }
}

void
ct_raw_image_orient (CtRawImage    *self,
                     CtOrientation  orientation)
{
  gboolean swaps = orientation >= 5 && orientation <= 8;
  guint out_width = swaps ? self->height : self->width;
  guint out_height = swaps ? self->width : self->height;
  guint channels = self->channels;
  guint8 *turned;

  g_return_if_fail (self != NULL);

  if (orientation < 2 || orientation > 8)
    return;
  if (self->pixels == NULL)
    {
      self->width = out_width;
      self->height = out_height;
      return;
    }

  turned = g_malloc ((gsize) out_width * out_height * channels);
  for (guint y = 0; y < out_height; y++)
    for (guint x = 0; x < out_width; x++)
      {
        guint sx, sy;

        orient_source (orientation, self->width, self->height, x, y, &sx, &sy);
        memcpy (turned + ((gsize) y * out_width + x) * channels,
                self->pixels + ((gsize) sy * self->width + sx) * channels, channels);
      }

  g_free (self->pixels);
  self->pixels = turned;
  self->width = out_width;
  self->height = out_height;
}

gboolean
ct_image_file_read (const char  *path,
                    gboolean     header_only,
                    CtRawImage  *out,
                    GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *message = NULL;
  CtOrientation orientation = 1;
  const guint8 *bytes;
  gboolean ok;
  gsize size;

  g_return_val_if_fail (path != NULL && out != NULL, FALSE);

  memset (out, 0, sizeof *out);
  if (!g_file_get_contents (path, &contents, &size, &local_error))
    {
      g_set_error (error, CT_IMAGE_FILE_ERROR, CT_IMAGE_FILE_ERROR_IO,
                   "%s: cannot read: %s", path, local_error->message);
      return FALSE;
    }

  bytes = (const guint8 *) contents;
  if (size >= 8 && memcmp (bytes, "\x89PNG\r\n\x1a\n", 8) == 0)
    ok = ct_png_decode_image (bytes, size, header_only, out, &message);
  else if (size >= 3 && bytes[0] == 0xff && bytes[1] == 0xd8 && bytes[2] == 0xff)
    ok = ct_jpeg_decode_image (bytes, size, header_only, out, &orientation, &message);
  else
    {
      g_set_error (error, CT_IMAGE_FILE_ERROR, CT_IMAGE_FILE_ERROR_FORMAT,
                   "%s: not a PNG or JPEG file (%s); Camtrail reads those two formats",
                   path, size == 0 ? "the file is empty" : "unknown first bytes");
      return FALSE;
    }

  if (!ok)
    {
      g_set_error (error, CT_IMAGE_FILE_ERROR,
                   strstr (message, "more than the") != NULL ? CT_IMAGE_FILE_ERROR_TOO_LARGE
                                                            : CT_IMAGE_FILE_ERROR_CORRUPT,
                   "%s: %s", path, message);
      return FALSE;
    }

  ct_raw_image_orient (out, orientation);
  return TRUE;
}

static double
bilinear_filter (double x)
{
  x = fabs (x);
  return x < 1.0 ? 1.0 - x : 0.0;
}

/* One axis of Pillow's precompute_coeffs() and normalize_coeffs_8bpc():
 * for each output index its first input index, its count, and @ksize
 * fixed-point weights. */
static guint
resample_coefficients (guint     in_size,
                       guint     out_size,
                       guint   **out_bounds,
                       gint32  **out_weights)
{
  double scale = (double) in_size / out_size;
  double filterscale = MAX (scale, 1.0);
  double support = 1.0 * filterscale;
  double ss = 1.0 / filterscale;
  guint ksize = (guint) ceil (support) * 2 + 1;
  g_autofree double *weights = g_new0 (double, ksize);
  guint *bounds = g_new (guint, (gsize) out_size * 2);
  gint32 *fixed = g_new0 (gint32, (gsize) out_size * ksize);

  for (guint xx = 0; xx < out_size; xx++)
    {
      double center = (xx + 0.5) * scale;
      double sum = 0.0;
      /* Truncations toward zero, as Pillow's (int) casts. */
      int xmin = (int) (center - support + 0.5);
      int xmax = (int) (center + support + 0.5);

      xmin = MAX (xmin, 0);
      xmax = MIN (xmax, (int) in_size) - xmin;
      for (int x = 0; x < xmax; x++)
        {
          weights[x] = bilinear_filter ((x + xmin - center + 0.5) * ss);
          sum += weights[x];
        }
      for (int x = 0; x < xmax; x++)
        {
          double w = sum != 0.0 ? weights[x] / sum : weights[x];

          fixed[(gsize) xx * ksize + x] = (gint32) (w < 0 ? -0.5 + w * (1 << RESAMPLE_PRECISION_BITS)
                                                          : 0.5 + w * (1 << RESAMPLE_PRECISION_BITS));
        }
      bounds[xx * 2] = (guint) xmin;
      bounds[xx * 2 + 1] = (guint) MAX (xmax, 0);
    }

  *out_bounds = bounds;
  *out_weights = fixed;
  return ksize;
}

static guint8
clip8 (gint64 sum)
{
  gint64 value = sum >> RESAMPLE_PRECISION_BITS;

  return (guint8) CLAMP (value, 0, 255);
}

void
ct_image_resize_bilinear (const guint8 *src,
                          guint         src_width,
                          guint         src_height,
                          guint         channels,
                          guint8       *dst,
                          guint         dst_width,
                          guint         dst_height)
{
  g_autofree guint *bounds_x = NULL;
  g_autofree guint *bounds_y = NULL;
  g_autofree gint32 *weights_x = NULL;
  g_autofree gint32 *weights_y = NULL;
  g_autofree guint8 *between = NULL;
  const guint8 *rows = src;
  guint ksize_x, ksize_y;

  g_return_if_fail (src != NULL && dst != NULL);
  g_return_if_fail (src_width > 0 && src_height > 0 && dst_width > 0 && dst_height > 0);

  ksize_x = resample_coefficients (src_width, dst_width, &bounds_x, &weights_x);
  ksize_y = resample_coefficients (src_height, dst_height, &bounds_y, &weights_y);

  /* The horizontal pass first, as Pillow does; each pass rounds to 8 bits. */
  if (dst_width != src_width)
    {
      between = g_new (guint8, (gsize) dst_width * src_height * channels);
      for (guint y = 0; y < src_height; y++)
        for (guint xx = 0; xx < dst_width; xx++)
          for (guint c = 0; c < channels; c++)
            {
              const gint32 *k = weights_x + (gsize) xx * ksize_x;
              const guint8 *row = src + (gsize) y * src_width * channels;
              gint64 sum = 1 << (RESAMPLE_PRECISION_BITS - 1);

              for (guint x = 0; x < bounds_x[xx * 2 + 1]; x++)
                sum += (gint64) row[(bounds_x[xx * 2] + x) * channels + c] * k[x];
              between[((gsize) y * dst_width + xx) * channels + c] = clip8 (sum);
            }
      rows = between;
    }

  if (dst_height == src_height)
    {
      memcpy (dst, rows, (gsize) dst_width * dst_height * channels);
      return;
    }
  for (guint yy = 0; yy < dst_height; yy++)
    for (guint x = 0; x < dst_width * channels; x++)
      {
        const gint32 *k = weights_y + (gsize) yy * ksize_y;
        gint64 sum = 1 << (RESAMPLE_PRECISION_BITS - 1);

        for (guint y = 0; y < bounds_y[yy * 2 + 1]; y++)
          sum += (gint64) rows[(gsize) (bounds_y[yy * 2] + y) * dst_width * channels + x] * k[y];
        dst[(gsize) yy * dst_width * channels + x] = clip8 (sum);
      }
}

void
ct_image_fit (const CtRawImage *image,
              guint             side,
              guint             channels,
              guint8           *dst)
{
  g_autofree guint8 *resized = NULL;
  const guint8 *pixels = image->pixels;
  guint short_side = MIN (image->width, image->height);
  guint long_side = MAX (image->width, image->height);
  /* torchvision: int(size * long / short), in Python's float arithmetic. */
  guint new_long = (guint) ((double) side * long_side / short_side);
  guint width = image->width <= image->height ? side : new_long;
  guint height = image->width <= image->height ? new_long : side;
  guint top, left;
  gsize plane = (gsize) side * side;

  g_return_if_fail (image != NULL && image->pixels != NULL && dst != NULL);
  g_return_if_fail (channels == image->channels || (channels == 3 && image->channels == 1));

  if (width != image->width || height != image->height)
    {
      resized = g_new (guint8, (gsize) width * height * image->channels);
      ct_image_resize_bilinear (image->pixels, image->width, image->height, image->channels,
                                resized, width, height);
      pixels = resized;
    }

  /* CenterCrop: int(round((h − side) / 2)), Python's round to even. */
  top = (guint) nearbyint ((height - side) / 2.0);
  left = (guint) nearbyint ((width - side) / 2.0);

  for (guint c = 0; c < channels; c++)
    {
      guint from = image->channels == 1 ? 0 : c;

      for (guint y = 0; y < side; y++)
        for (guint x = 0; x < side; x++)
          dst[c * plane + (gsize) y * side + x] =
            pixels[((gsize) (top + y) * width + left + x) * image->channels + from];
    }
}
