/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Image files of an image-folder dataset (PNG and JPEG), decoded as
 * torchvision's default loader sees them: PIL's convert("RGB"), after
 * ImageOps.exif_transpose() for JPEG.  docs/IMAGE-FOLDERS.md states the
 * rules and how close they come to PIL. */

#define CT_IMAGE_FILE_ERROR (ct_image_file_error_quark ())

typedef enum {
  CT_IMAGE_FILE_ERROR_IO,
  CT_IMAGE_FILE_ERROR_FORMAT,       /* not PNG or JPEG, or a kind of either we do not read */
  CT_IMAGE_FILE_ERROR_CORRUPT,      /* the decoder refused the data */
  CT_IMAGE_FILE_ERROR_TOO_LARGE,    /* more than CT_IMAGE_MAX_PIXELS */
} CtImageFileError;

/* PIL's Image.MAX_IMAGE_PIXELS: larger images are decompression bombs
 * to PIL (a warning, an error at twice this), and refused here. */
#define CT_IMAGE_MAX_PIXELS 89478485u

/* A decoded image: rows packed, channels interleaved (H×W×C), C 1 (grey:
 * a grey PNG, a 1-component JPEG) or 3 (RGB). */
typedef struct {
  guint   width;
  guint   height;
  guint   channels;
  guint8 *pixels;     /* NULL when only the header was read */
} CtRawImage;

/* EXIF orientations 1–8; 1 leaves the image as stored. */
typedef guint CtOrientation;

GQuark    ct_image_file_error_quark (void);

void      ct_raw_image_clear        (CtRawImage     *self);

/* Decoders of bytes in memory.  With @header_only they stop after the
 * header, leaving @out->pixels NULL.  On failure they return FALSE with
 * @out_message (transfer full) saying why. */
gboolean  ct_png_decode_image       (const guint8   *data,
                                     gsize           size,
                                     gboolean        header_only,
                                     CtRawImage     *out,
                                     char          **out_message);
gboolean  ct_jpeg_decode_image      (const guint8   *data,
                                     gsize           size,
                                     gboolean        header_only,
                                     CtRawImage     *out,
                                     CtOrientation  *out_orientation,
                                     char          **out_message);

/* The orientation (tag 0x0112 of IFD0) of a JPEG's EXIF block, the
 * payload of an APP1 marker after "Exif\0\0"; 1 when absent or invalid. */
CtOrientation ct_exif_orientation   (const guint8   *tiff,
                                     gsize           size);

/* Turns @self as ImageOps.exif_transpose() does for @orientation. */
void      ct_raw_image_orient       (CtRawImage     *self,
                                     CtOrientation   orientation);

/* Reads and decodes @path, upright: PNG or JPEG by its first bytes, not
 * its name.  Errors name the path and the reason. */
gboolean  ct_image_file_read        (const char     *path,
                                     gboolean        header_only,
                                     CtRawImage     *out,
                                     GError        **error);

/* Resizes as PIL's Image.resize(size, Image.BILINEAR) (antialiased: the
 * triangle filter widened by the scale factor, fixed-point weights, a
 * horizontal pass then a vertical one).  @dst holds @dst_width ×
 * @dst_height × @channels bytes. */
void      ct_image_resize_bilinear  (const guint8   *src,
                                     guint           src_width,
                                     guint           src_height,
                                     guint           channels,
                                     guint8         *dst,
                                     guint           dst_width,
                                     guint           dst_height);

/* torchvision's Resize(side) then CenterCrop(side) (shorter side to
 * @side, the longer to int(side × long / short); a crop whose offset
 * rounds half to even), written planar (C×side×side) into @dst with
 * @channels channels: a grey image is repeated into 3 channels when
 * @channels is 3.  An image already side×side is copied unchanged. */
void      ct_image_fit              (const CtRawImage *image,
                                     guint           side,
                                     guint           channels,
                                     guint8         *dst);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (CtRawImage, ct_raw_image_clear)

G_END_DECLS
