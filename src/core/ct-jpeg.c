/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "ct-image-file.h"

#include <setjmp.h>
#include <stdio.h>
#include <string.h>

#include <jpeglib.h>
#include <jerror.h>

/* libjpeg reports errors through error_exit, which must not return: it
 * keeps the message and jumps back to the setjmp in the decoder. */
typedef struct
{
  struct jpeg_error_mgr manager;
  jmp_buf               jump;
  char                  message[JMSG_LENGTH_MAX + 64];
} JpegErrors;

static void
jpeg_error_exit_cb (j_common_ptr info)
{
  JpegErrors *errors = (JpegErrors *) info->err;

  info->err->format_message (info, errors->message);
  longjmp (errors->jump, 1);
}

/* PIL refuses a JPEG that ends early ("image file is truncated"), where
 * libjpeg would warn and fill the rest grey; other warnings (extraneous
 * bytes, say) PIL lets pass, and so do we. */
static void
jpeg_emit_message_cb (j_common_ptr info,
                      int          level)
{
  JpegErrors *errors = (JpegErrors *) info->err;

  if (level == -1 && info->err->msg_code == JWRN_JPEG_EOF)
    {
      g_strlcpy (errors->message, "the file ends inside the image data (truncated)",
                 sizeof errors->message);
      longjmp (errors->jump, 1);
    }
}

static guint16
exif_u16 (const guint8 *p,
          gboolean      big_endian)
{
  return big_endian ? (guint16) ((p[0] << 8) | p[1]) : (guint16) ((p[1] << 8) | p[0]);
}

static guint32
exif_u32 (const guint8 *p,
          gboolean      big_endian)
{
  return big_endian ? ((guint32) p[0] << 24) | ((guint32) p[1] << 16) | ((guint32) p[2] << 8) | p[3]
                    : ((guint32) p[3] << 24) | ((guint32) p[2] << 16) | ((guint32) p[1] << 8) | p[0];
}

CtOrientation
ct_exif_orientation (const guint8 *tiff,
                     gsize         size)
{
  gboolean big_endian;
  guint32 ifd;
  guint n_entries;

  if (size < 8)
    return 1;
  if (memcmp (tiff, "MM", 2) == 0)
    big_endian = TRUE;
  else if (memcmp (tiff, "II", 2) == 0)
    big_endian = FALSE;
  else
    return 1;
  if (exif_u16 (tiff + 2, big_endian) != 42)
    return 1;

  ifd = exif_u32 (tiff + 4, big_endian);
  if (ifd > size - 2)
    return 1;
  n_entries = exif_u16 (tiff + ifd, big_endian);
  for (guint i = 0; i < n_entries; i++)
    {
      gsize entry = (gsize) ifd + 2 + (gsize) i * 12;
      guint type;
      guint32 value;

      if (entry + 12 > size)
        return 1;
      if (exif_u16 (tiff + entry, big_endian) != 0x0112)
        continue;
      type = exif_u16 (tiff + entry + 2, big_endian);
      if (type == 3)
        value = exif_u16 (tiff + entry + 8, big_endian);
      else if (type == 4)
        value = exif_u32 (tiff + entry + 8, big_endian);
      else
        return 1;
      return value >= 1 && value <= 8 ? value : 1;
    }

  return 1;
}

static CtOrientation
find_orientation (j_decompress_ptr decompress)
{
  /* PIL keeps the first Exif APP1 block, and so do we. */
  for (jpeg_saved_marker_ptr marker = decompress->marker_list; marker != NULL; marker = marker->next)
    if (marker->marker == JPEG_APP0 + 1 && marker->data_length >= 6
        && memcmp (marker->data, "Exif\0\0", 6) == 0)
      return ct_exif_orientation (marker->data + 6, marker->data_length - 6);

  return 1;
}

/* a·b/255 rounded, as PIL's MULDIV255. */
static inline int
muldiv255 (int a,
           int b)
{
  int t = a * b + 128;

  return ((t >> 8) + t) >> 8;
}

/* A CMYK row as PIL makes it RGB: its JPEG decoder reads every CMYK JPEG
 * as Adobe's inverted CMYK ("CMYK;I", whatever the markers say), and
 * convert("RGB") takes R = (255 − K) − C·(255 − K)/255 for the inverted
 * values, and so on for G and B. */
static void
cmyk_row_to_rgb (const guint8 *cmyk,
                 guint8       *rgb,
                 guint         width)
{
  for (guint x = 0; x < width; x++, cmyk += 4, rgb += 3)
    {
      int nk = cmyk[3];                  /* 255 − K for K = 255 − stored */

      for (int c = 0; c < 3; c++)
        rgb[c] = (guint8) CLAMP (nk - muldiv255 (255 - cmyk[c], nk), 0, 255);
    }
}

/* Locals that change after setjmp are volatile or set before it. */
gboolean
ct_jpeg_decode_image (const guint8   *data,
                      gsize           size,
                      gboolean        header_only,
                      CtRawImage     *out,
                      CtOrientation  *out_orientation,
                      char          **out_message)
{
  struct jpeg_decompress_struct decompress;
  JpegErrors errors;
  guint8 * volatile pixels = NULL;
  guint8 * volatile cmyk_row = NULL;
  gboolean cmyk;
  gsize stride;

  g_return_val_if_fail (out != NULL && out_message != NULL, FALSE);

  if (size < 3 || data[0] != 0xff || data[1] != 0xd8 || data[2] != 0xff)
    {
      *out_message = g_strdup ("not a JPEG file");
      return FALSE;
    }

  memset (&decompress, 0, sizeof decompress);
  errors.message[0] = '\0';
  decompress.err = jpeg_std_error (&errors.manager);
  errors.manager.error_exit = jpeg_error_exit_cb;
  errors.manager.emit_message = jpeg_emit_message_cb;
  if (setjmp (errors.jump))
    {
      jpeg_destroy_decompress (&decompress);
      g_free (pixels);
      g_free (cmyk_row);
      *out_message = g_strdup (errors.message);
      return FALSE;
    }

  jpeg_create_decompress (&decompress);
  jpeg_mem_src (&decompress, data, size);
  jpeg_save_markers (&decompress, JPEG_APP0 + 1, 0xffff);
  jpeg_read_header (&decompress, TRUE);

  if ((guint64) decompress.image_width * decompress.image_height > CT_IMAGE_MAX_PIXELS)
    {
      g_snprintf (errors.message, sizeof errors.message,
                  "the header claims %u×%u pixels, more than the %u allowed (a decompression bomb?)",
                  (guint) decompress.image_width, (guint) decompress.image_height,
                  CT_IMAGE_MAX_PIXELS);
      longjmp (errors.jump, 1);
    }
  switch (decompress.jpeg_color_space)
    {
    case JCS_GRAYSCALE:
      out->channels = 1;
      break;
    case JCS_YCbCr:
    case JCS_RGB:
      out->channels = 3;
      decompress.out_color_space = JCS_RGB;
      break;
    case JCS_CMYK:
    case JCS_YCCK:
      /* libjpeg turns YCCK into CMYK; cmyk_row_to_rgb() makes it RGB. */
      out->channels = 3;
      decompress.out_color_space = JCS_CMYK;
      break;
    default:
      g_strlcpy (errors.message, "a JPEG of an unknown colour space; grey, RGB, CMYK and YCCK "
                 "JPEGs are read", sizeof errors.message);
      longjmp (errors.jump, 1);
    }
  out->width = decompress.image_width;
  out->height = decompress.image_height;
  out->pixels = NULL;
  if (out_orientation != NULL)
    *out_orientation = find_orientation (&decompress);
  if (header_only)
    {
      jpeg_destroy_decompress (&decompress);
      return TRUE;
    }

  /* libjpeg's defaults are PIL's: islow DCT, fancy upsampling. */
  jpeg_start_decompress (&decompress);
  cmyk = decompress.out_color_space == JCS_CMYK;
  if (decompress.output_components != (cmyk ? 4 : (int) out->channels))
    {
      g_strlcpy (errors.message, "libjpeg gave an unexpected number of components",
                 sizeof errors.message);
      longjmp (errors.jump, 1);
    }
  stride = (gsize) out->width * out->channels;
  pixels = g_try_malloc (stride * out->height);
  if (pixels == NULL)
    {
      g_strlcpy (errors.message, "not enough memory for the image", sizeof errors.message);
      longjmp (errors.jump, 1);
    }
  if (cmyk)
    {
      cmyk_row = g_try_malloc ((gsize) out->width * 4);
      if (cmyk_row == NULL)
        {
          g_strlcpy (errors.message, "not enough memory for the image", sizeof errors.message);
          longjmp (errors.jump, 1);
        }
    }
  while (decompress.output_scanline < decompress.output_height)
    {
      guint8 *rgb = pixels + decompress.output_scanline * stride;
      JSAMPROW row = cmyk ? cmyk_row : rgb;

      jpeg_read_scanlines (&decompress, &row, 1);
      if (cmyk)
        cmyk_row_to_rgb (cmyk_row, rgb, out->width);
    }
  g_free (cmyk_row);
  cmyk_row = NULL;
  jpeg_finish_decompress (&decompress);
  jpeg_destroy_decompress (&decompress);

  out->pixels = pixels;
  return TRUE;
}
