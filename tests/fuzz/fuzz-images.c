/* SPDX-License-Identifier: GPL-3.0-or-later */
/* libFuzzer target: the image lists of the window's columns and of
 * `camtrail-cli cam/robustness/faithfulness --images`, ct_images_parse().
 * The first two bytes say how many test images the dataset has (0: no
 * bound); the rest is the list as typed.  What it reads must be in range,
 * and print back (ct_images_to_string) to a list that reads the same. */
#include <gio/gio.h>

#include "ct-spec.h"
#include "fuzz-common.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autoptr(GArray) images = NULL;
  g_autoptr(GArray) again = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  g_autofree char *printed = NULL;
  guint n_test;

  if (size < 2)
    return 0;
  n_test = (guint) data[0] << 8 | data[1];
  text = g_strndup ((const char *) data + 2, size - 2);

  images = ct_images_parse (text, n_test, &error);
  if (images == NULL)
    {
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
      g_assert_nonnull (error->message);
      return 0;
    }
  g_assert_no_error (error);
  g_assert_cmpuint (images->len, >, 0);
  if (n_test > 0)
    for (guint i = 0; i < images->len; i++)
      if (g_array_index (images, guint, i) >= n_test)
        g_error ("“%s” chose image %u of %u", text, g_array_index (images, guint, i), n_test);

  printed = ct_images_to_string ((const guint *) images->data, images->len);
  again = ct_images_parse (printed, n_test, &error);
  if (again == NULL)
    g_error ("“%s” printed as “%s”, which does not read back: %s", text, printed, error->message);
  g_assert_cmpuint (again->len, ==, images->len);
  g_assert_cmpmem (again->data, again->len * sizeof (guint), images->data, images->len * sizeof (guint));

  return 0;
}
