/* SPDX-License-Identifier: GPL-3.0-or-later */
/* libFuzzer target: the epoch lists of the window's rows and of
 * `camtrail-cli cam/robustness/faithfulness --epochs`, ct_epochs_parse().  The first byte says how
 * many checkpoints the run has (1–16) and the next ones their gaps; the
 * rest is the list as typed. */
#include <gio/gio.h>

#include "ct-spec.h"
#include "fuzz-common.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

static gboolean
contains (GArray *epochs,
          int     epoch)
{
  for (guint i = 0; i < epochs->len; i++)
    if (g_array_index (epochs, int, i) == epoch)
      return TRUE;
  return FALSE;
}

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autoptr(GArray) available = g_array_new (FALSE, FALSE, sizeof (int));
  g_autoptr(GArray) epochs = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  guint n_available;
  int epoch = 0;

  if (size < 1)
    return 0;
  n_available = data[0] % 16 + 1;
  if (size < 1 + n_available)
    return 0;
  for (guint i = 0; i < n_available; i++)
    {
      epoch += i == 0 ? data[1] % 4 : 1 + data[1 + i] % 8;
      g_array_append_val (available, epoch);
    }
  text = g_strndup ((const char *) data + 1 + n_available, size - 1 - n_available);

  epochs = ct_epochs_parse (text, (const int *) available->data, available->len,
                            data[0] & 0x80 ? CT_EPOCHS_SKIP_MISSING : CT_EPOCHS_STRICT, &error);
  if (epochs == NULL)
    {
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
      return 0;
    }
  g_assert_cmpuint (epochs->len, >, 0);
  g_assert_no_error (error);
  /* Every epoch chosen is one the run has. */
  for (guint i = 0; i < epochs->len; i++)
    if (!contains (available, g_array_index (epochs, int, i)))
      g_error ("“%s” chose epoch %d, which the run does not have", text,
               g_array_index (epochs, int, i));

  return 0;
}
