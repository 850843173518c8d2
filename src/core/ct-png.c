/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "ct-png.h"
#include "ct-image-file.h"

#include <setjmp.h>
#include <string.h>

#include <png.h>

/* A hostile header can claim a billion-pixel image; refuse it before
 * allocating.  16384² RGBA is 1 GiB, far beyond any figure we make. */
#define CT_PNG_MAX_SIDE 16384

/* Deflate cannot expand data by more than about 1032:1, so image data
 * smaller than 1/1032 of what the header claims cannot fill the image. */
#define DEFLATE_MAX_RATIO 1032

G_DEFINE_QUARK (ct-png-error-quark, ct_png_error)

/* libpng reports errors through a callback that must not return; it keeps
 * the message here and jumps back to the setjmp in the caller. */
typedef struct
{
  char message[256];
} PngErrorState;

static void
png_error_cb (png_structp     png,
              png_const_charp message)
{
  PngErrorState *state = png_get_error_ptr (png);

  g_strlcpy (state->message, message, sizeof state->message);
  png_longjmp (png, 1);
}

static void
png_warning_cb (png_structp     png,
                png_const_charp message)
{
  g_debug ("libpng: %s", message);
}

/* Writing ---------------------------------------------------------------- */

static void
write_to_byte_array_cb (png_structp png,
                        png_bytep   data,
                        png_size_t  length)
{
  g_byte_array_append (png_get_io_ptr (png), data, length);
}

static void
flush_nothing_cb (png_structp png)
{
}

static guint8
unpremultiply (guint32 channel,
               guint32 alpha)
{
  return (guint8) MIN (255, (channel * 255 + alpha / 2) / alpha);
}

static void
argb32_row_to_rgba (const guint32 *src,
                    guint8        *dst,
                    guint          width)
{
  for (guint x = 0; x < width; x++)
    {
      guint32 pixel = src[x];
      guint32 alpha = pixel >> 24;

      if (alpha == 0)
        {
          memset (dst + 4 * x, 0, 4);
          continue;
        }

      dst[4 * x + 0] = unpremultiply ((pixel >> 16) & 0xff, alpha);
      dst[4 * x + 1] = unpremultiply ((pixel >> 8) & 0xff, alpha);
      dst[4 * x + 2] = unpremultiply (pixel & 0xff, alpha);
      dst[4 * x + 3] = (guint8) alpha;
    }
}

static gboolean
is_ascii (const char *str)
{
  for (const char *p = str; *p != '\0'; p++)
    if ((guchar) *p >= 0x80)
      return FALSE;

  return TRUE;
}

/* PNG keywords are Latin-1; ours arrive as UTF-8. */
static char *
keyword_to_latin1 (const char *key)
{
  g_autofree char *latin1 = NULL;
  gsize len;

  latin1 = g_convert (key, -1, "ISO-8859-1", "UTF-8", NULL, &len, NULL);
  if (latin1 == NULL || len < 1 || len > 79)
    return NULL;

  return g_steal_pointer (&latin1);
}

/* Runs libpng on buffers the caller owns, so a longjmp out of libpng leaks
 * nothing, and no local here changes between setjmp and the jump. */
static gboolean
encode_png (guint        width,
            guint        height,
            png_bytep   *rows,
            png_textp    texts,
            int          n_texts,
            GByteArray  *out,
            char       **out_message)
{
  PngErrorState state = { "" };
  png_structp png;
  png_infop info = NULL;

  png = png_create_write_struct (PNG_LIBPNG_VER_STRING, &state,
                                 png_error_cb, png_warning_cb);
  if (png == NULL)
    {
      *out_message = g_strdup ("cannot create the PNG encoder");
      return FALSE;
    }

  /* Made before setjmp, so the jump never sees it change. */
  info = png_create_info_struct (png);

  if (setjmp (png_jmpbuf (png)))
    {
      png_destroy_write_struct (&png, &info);
      *out_message = g_strdup (state.message);
      return FALSE;
    }

  if (info == NULL)
    png_error (png, "cannot create the PNG info");

  png_set_write_fn (png, out, write_to_byte_array_cb, flush_nothing_cb);
  png_set_IHDR (png, info, width, height, 8, PNG_COLOR_TYPE_RGB_ALPHA,
                PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
                PNG_FILTER_TYPE_DEFAULT);
  if (n_texts > 0)
    png_set_text (png, info, texts, n_texts);
  png_write_info (png, info);
  png_write_image (png, rows);
  png_write_end (png, info);

  png_destroy_write_struct (&png, &info);
  return TRUE;
}

gboolean
ct_png_write_argb32 (const char          *path,
                     guint                width,
                     guint                height,
                     gsize                stride,
                     const guint8        *data,
                     const char * const  *text_keys,
                     const char * const  *text_values,
                     GError             **error)
{
  g_autoptr(GPtrArray) keywords = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GByteArray) encoded = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *display_name = NULL;
  g_autofree char *message = NULL;
  g_autofree guint8 *rgba = NULL;
  g_autofree png_bytep *rows = NULL;
  g_autofree png_text *texts = NULL;
  guint n_texts;
  gsize row_bytes;

  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (width > 0 && height > 0, FALSE);
  g_return_val_if_fail (stride >= (gsize) width * 4, FALSE);
  g_return_val_if_fail (data != NULL, FALSE);
  g_return_val_if_fail ((text_keys == NULL) == (text_values == NULL), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  display_name = g_filename_display_name (path);

  n_texts = text_keys != NULL ? g_strv_length ((char **) text_keys) : 0;
  g_return_val_if_fail (text_values == NULL
                        || g_strv_length ((char **) text_values) == n_texts, FALSE);

  if (!g_size_checked_mul (&row_bytes, width, 4)
      || G_MAXSIZE / row_bytes < height)
    {
      g_set_error (error, CT_PNG_ERROR, CT_PNG_ERROR_FORMAT,
                   "%s: a %u×%u image is too large", display_name, width, height);
      return FALSE;
    }

  texts = g_new0 (png_text, MAX (n_texts, 1));
  for (guint i = 0; i < n_texts; i++)
    {
      char *keyword = keyword_to_latin1 (text_keys[i]);

      if (keyword == NULL || !g_utf8_validate (text_values[i], -1, NULL))
        {
          g_free (keyword);
          g_set_error (error, CT_PNG_ERROR, CT_PNG_ERROR_FORMAT,
                       "%s: the text chunk “%s” needs a key of 1–79 Latin-1"
                       " characters and a UTF-8 value", display_name, text_keys[i]);
          return FALSE;
        }
      g_ptr_array_add (keywords, keyword);

      texts[i].key = keyword;
      texts[i].text = (char *) text_values[i];
      /* tEXt holds Latin-1, so anything beyond ASCII goes to UTF-8 iTXt. */
      if (is_ascii (text_values[i]))
        {
          texts[i].compression = PNG_TEXT_COMPRESSION_NONE;
          texts[i].text_length = strlen (text_values[i]);
        }
      else
        {
          texts[i].compression = PNG_ITXT_COMPRESSION_NONE;
          texts[i].itxt_length = strlen (text_values[i]);
          texts[i].lang = (char *) "";
          texts[i].lang_key = (char *) "";
        }
    }

  rgba = g_malloc (row_bytes * height);
  rows = g_new (png_bytep, height);
  for (guint y = 0; y < height; y++)
    {
      rows[y] = rgba + y * row_bytes;
      argb32_row_to_rgba ((const guint32 *) (gconstpointer) (data + y * stride),
                          rows[y], width);
    }

  encoded = g_byte_array_new ();
  if (!encode_png (width, height, rows, texts, n_texts, encoded, &message))
    {
      g_set_error (error, CT_PNG_ERROR, CT_PNG_ERROR_FORMAT,
                   "%s: %s", display_name, message);
      return FALSE;
    }

  if (!g_file_set_contents_full (path, (const char *) encoded->data, encoded->len,
                                 G_FILE_SET_CONTENTS_CONSISTENT, 0644, &local_error))
    {
      g_set_error (error, CT_PNG_ERROR, CT_PNG_ERROR_IO,
                   "Cannot save “%s”: %s", display_name, local_error->message);
      return FALSE;
    }

  return TRUE;
}

/* Reading ---------------------------------------------------------------- */

typedef struct
{
  const guint8 *data;
  gsize         size;
  gsize         pos;
  guint64       idat_bytes;   /* compressed image data in the file */
} ReadCursor;

static guint32
read_be32 (const guint8 *p)
{
  return ((guint32) p[0] << 24) | ((guint32) p[1] << 16) | ((guint32) p[2] << 8) | p[3];
}

/* libpng allocates a chunk's buffer from the length in its header before it
 * reads the chunk, so one lying length costs up to 2 GiB: check every length
 * against the bytes that follow it first, and count the image data. */
static gboolean
scan_chunks (ReadCursor  *cursor,
             char       **out_message)
{
  gsize pos = 8;

  cursor->idat_bytes = 0;
  while (cursor->size - pos >= 12)
    {
      guint32 length = read_be32 (cursor->data + pos);
      const guint8 *type = cursor->data + pos + 4;

      if (length > cursor->size - pos - 12)
        {
          *out_message = g_strdup_printf ("the chunk at byte %" G_GSIZE_FORMAT " claims %u bytes,"
                                          " more than the %" G_GSIZE_FORMAT " left in the file",
                                          pos, length, cursor->size - pos - 12);
          return FALSE;
        }
      if (memcmp (type, "IEND", 4) == 0)
        return TRUE;
      if (memcmp (type, "IDAT", 4) == 0)
        cursor->idat_bytes += length;
      pos += 12 + (gsize) length;
    }

  *out_message = g_strdup_printf ("the file ends at byte %" G_GSIZE_FORMAT
                                  " without an IEND chunk", cursor->size);
  return FALSE;
}

static void
read_from_memory_cb (png_structp png,
                     png_bytep   data,
                     png_size_t  length)
{
  ReadCursor *cursor = png_get_io_ptr (png);

  if (length > cursor->size - cursor->pos)
    png_error (png, "the file ends early");

  memcpy (data, cursor->data + cursor->pos, length);
  cursor->pos += length;
}

/* tEXt and zTXt are Latin-1 and iTXt is UTF-8; the table holds UTF-8. */
static char *
text_to_utf8 (const char *text,
              gboolean    is_latin1)
{
  if (text == NULL)
    return g_strdup ("");

  if (is_latin1)
    {
      char *utf8 = g_convert (text, -1, "UTF-8", "ISO-8859-1", NULL, NULL, NULL);

      if (utf8 != NULL)
        return utf8;
    }

  return g_utf8_make_valid (text, -1);
}

static void
collect_text (png_structp  png,
              png_infop    info,
              GHashTable  *table)
{
  png_textp texts = NULL;
  int n_texts;

  n_texts = png_get_text (png, info, &texts, NULL);
  for (int i = 0; i < n_texts; i++)
    {
      gboolean is_latin1 = texts[i].compression < PNG_ITXT_COMPRESSION_NONE;

      g_hash_table_insert (table,
                           text_to_utf8 (texts[i].key, TRUE),
                           text_to_utf8 (texts[i].text, is_latin1));
    }
}

/* Decodes into buffers that the caller frees on both paths; the pointers
 * assigned after setjmp are volatile so their values survive the jump. */
static guint8 *
decode_png (ReadCursor  *cursor,
            guint       *out_width,
            guint       *out_height,
            GHashTable  *text,
            char       **out_message)
{
  PngErrorState state = { "" };
  png_structp png;
  png_infop info = NULL;
  guint8 * volatile pixels = NULL;
  png_bytep * volatile rows = NULL;
  png_uint_32 width, height;
  int bit_depth, color_type;

  png = png_create_read_struct (PNG_LIBPNG_VER_STRING, &state,
                                png_error_cb, png_warning_cb);
  if (png == NULL)
    {
      *out_message = g_strdup ("cannot create the PNG decoder");
      return NULL;
    }

  info = png_create_info_struct (png);

  if (setjmp (png_jmpbuf (png)))
    {
      png_destroy_read_struct (&png, &info, NULL);
      g_free (pixels);
      g_free (rows);
      *out_message = g_strdup (state.message);
      return NULL;
    }

  if (info == NULL)
    png_error (png, "cannot create the PNG info");

  png_set_read_fn (png, cursor, read_from_memory_cb);
  png_set_user_limits (png, CT_PNG_MAX_SIDE, CT_PNG_MAX_SIDE);
  png_read_info (png, info);
  png_get_IHDR (png, info, &width, &height, &bit_depth, &color_type, NULL, NULL, NULL);
  if ((guint64) width * height * png_get_channels (png, info) * bit_depth / 8
      > (cursor->idat_bytes + 1) * DEFLATE_MAX_RATIO)
    png_error (png, "the image data is too small for the size in the header");

  /* Whatever the stored format, ask libpng for 8-bit RGBA. */
  png_set_expand (png);
  png_set_strip_16 (png);
  png_set_gray_to_rgb (png);
  if (!(color_type & PNG_COLOR_MASK_ALPHA) && !png_get_valid (png, info, PNG_INFO_tRNS))
    png_set_add_alpha (png, 0xff, PNG_FILLER_AFTER);
  png_set_interlace_handling (png);
  png_read_update_info (png, info);

  if (png_get_rowbytes (png, info) != (gsize) width * 4)
    png_error (png, "cannot convert the image to 8-bit RGBA");

  pixels = g_try_malloc ((gsize) width * height * 4);
  rows = g_try_new (png_bytep, height);
  if (pixels == NULL || rows == NULL)
    png_error (png, "not enough memory for the image");
  for (png_uint_32 y = 0; y < height; y++)
    rows[y] = pixels + (gsize) y * width * 4;

  png_read_image (png, rows);
  /* Text chunks may also follow the image data. */
  png_read_end (png, info);

  collect_text (png, info, text);

  png_destroy_read_struct (&png, &info, NULL);
  g_free (rows);

  *out_width = width;
  *out_height = height;
  return pixels;
}

guint8 *
ct_png_read_rgba (const char   *path,
                  guint        *out_width,
                  guint        *out_height,
                  GHashTable  **out_text,
                  GError      **error)
{
  g_autoptr(GHashTable) text = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *display_name = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *message = NULL;
  ReadCursor cursor;
  guint8 *pixels;
  guint width, height;
  gsize size;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  display_name = g_filename_display_name (path);

  if (!g_file_get_contents (path, &contents, &size, &local_error))
    {
      g_set_error (error, CT_PNG_ERROR, CT_PNG_ERROR_IO,
                   "%s: %s", display_name, local_error->message);
      return NULL;
    }

  if (size < 8 || png_sig_cmp ((png_const_bytep) contents, 0, 8) != 0)
    {
      g_set_error (error, CT_PNG_ERROR, CT_PNG_ERROR_FORMAT,
                   "%s: not a PNG file", display_name);
      return NULL;
    }

  cursor.data = (const guint8 *) contents;
  cursor.size = size;
  cursor.pos = 0;
  text = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  if (scan_chunks (&cursor, &message))
    pixels = decode_png (&cursor, &width, &height, text, &message);
  else
    pixels = NULL;
  if (pixels == NULL)
    {
      g_set_error (error, CT_PNG_ERROR, CT_PNG_ERROR_FORMAT,
                   "%s: %s", display_name, message);
      return NULL;
    }

  if (out_width != NULL)
    *out_width = width;
  if (out_height != NULL)
    *out_height = height;
  if (out_text != NULL)
    *out_text = g_steal_pointer (&text);

  return pixels;
}

/* Dataset images ---------------------------------------------------------- */

/* PIL opens a 16-bit grey PNG (without alpha) as mode "I", whose
 * convert("RGB") clips each value to [0, 255]; every other 16-bit PNG it
 * reads through a ";16B" raw mode that keeps the high byte. */
static guint8
png_sample_to_pil (const guint8 *p,
                   gboolean      sixteen,
                   gboolean      clip16)
{
  guint value;

  if (!sixteen)
    return p[0];
  value = ((guint) p[0] << 8) | p[1];
  return clip16 ? (guint8) MIN (value, 255u) : p[0];
}

/* Converts libpng's rows (1–4 channels of 8 or 16 bits) to @out's grey or
 * RGB, dropping alpha as PIL's convert("RGB") does. */
static void
png_rows_to_pil (guint8 * const *rows,
                 guint           in_channels,
                 gboolean        sixteen,
                 gboolean        clip16,
                 CtRawImage     *out)
{
  guint bytes = sixteen ? 2 : 1;

  for (guint y = 0; y < out->height; y++)
    {
      const guint8 *src = rows[y];
      guint8 *dst = out->pixels + (gsize) y * out->width * out->channels;

      for (guint x = 0; x < out->width; x++, src += in_channels * bytes)
        for (guint c = 0; c < out->channels; c++)
          *dst++ = png_sample_to_pil (src + c * bytes, sixteen, clip16);
    }
}

static gboolean
decode_png_image (ReadCursor  *cursor,
                  gboolean     header_only,
                  CtRawImage  *out,
                  char       **out_message)
{
  PngErrorState state = { "" };
  png_structp png;
  png_infop info = NULL;
  guint8 * volatile data = NULL;
  guint8 * volatile pixels = NULL;
  png_bytep * volatile rows = NULL;
  png_uint_32 width, height;
  int bit_depth, color_type;
  gboolean clip16;
  gsize row_bytes;

  png = png_create_read_struct (PNG_LIBPNG_VER_STRING, &state,
                                png_error_cb, png_warning_cb);
  if (png == NULL)
    {
      *out_message = g_strdup ("cannot create the PNG decoder");
      return FALSE;
    }

  info = png_create_info_struct (png);

  if (setjmp (png_jmpbuf (png)))
    {
      png_destroy_read_struct (&png, &info, NULL);
      g_free (data);
      g_free (pixels);
      g_free (rows);
      *out_message = g_strdup (state.message);
      return FALSE;
    }

  if (info == NULL)
    png_error (png, "cannot create the PNG info");

  png_set_read_fn (png, cursor, read_from_memory_cb);
  png_read_info (png, info);
  png_get_IHDR (png, info, &width, &height, &bit_depth, &color_type, NULL, NULL, NULL);
  if ((guint64) width * height > CT_IMAGE_MAX_PIXELS)
    {
      g_snprintf (state.message, sizeof state.message,
                  "the header claims %u×%u pixels, more than the %u allowed (a decompression bomb?)",
                  (guint) width, (guint) height, CT_IMAGE_MAX_PIXELS);
      png_longjmp (png, 1);
    }
  if ((guint64) width * height * png_get_channels (png, info) * bit_depth / 8
      > (cursor->idat_bytes + 1) * DEFLATE_MAX_RATIO)
    png_error (png, "the image data is too small for the size in the header");

  out->width = width;
  out->height = height;
  out->channels = (color_type & PNG_COLOR_MASK_COLOR) ? 3 : 1;
  out->pixels = NULL;
  clip16 = color_type == PNG_COLOR_TYPE_GRAY && bit_depth == 16;
  if (header_only)
    {
      png_destroy_read_struct (&png, &info, NULL);
      return TRUE;
    }

  /* Palette to RGB and grey below 8 bits to 8 bits (scaled, as PIL's
   * "L;2" and "L;4" are); alpha and 16-bit samples are handled above. */
  png_set_expand (png);
  png_set_interlace_handling (png);
  png_read_update_info (png, info);

  row_bytes = png_get_rowbytes (png, info);
  if (row_bytes != (gsize) width * png_get_channels (png, info) * png_get_bit_depth (png, info) / 8
      || png_get_channels (png, info) < out->channels)
    png_error (png, "cannot expand the image to 8 or 16 bits a sample");

  data = g_try_malloc (row_bytes * height);
  pixels = g_try_malloc ((gsize) width * height * out->channels);
  rows = g_try_new (png_bytep, height);
  if (data == NULL || pixels == NULL || rows == NULL)
    png_error (png, "not enough memory for the image");
  for (png_uint_32 y = 0; y < height; y++)
    rows[y] = data + (gsize) y * row_bytes;

  png_read_image (png, rows);
  png_read_end (png, NULL);

  out->pixels = pixels;
  png_rows_to_pil (rows, png_get_channels (png, info), png_get_bit_depth (png, info) == 16,
                   clip16, out);

  png_destroy_read_struct (&png, &info, NULL);
  g_free (rows);
  g_free (data);
  return TRUE;
}

gboolean
ct_png_decode_image (const guint8  *data,
                     gsize          size,
                     gboolean       header_only,
                     CtRawImage    *out,
                     char         **out_message)
{
  ReadCursor cursor = { data, size, 0, 0 };

  g_return_val_if_fail (out != NULL && out_message != NULL, FALSE);

  if (size < 8 || png_sig_cmp ((png_const_bytep) data, 0, 8) != 0)
    {
      *out_message = g_strdup ("not a PNG file");
      return FALSE;
    }

  return scan_chunks (&cursor, out_message)
         && decode_png_image (&cursor, header_only, out, out_message);
}
