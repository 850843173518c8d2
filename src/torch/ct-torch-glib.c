/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <stdlib.h>

#include "ct-torch-glib.h"

G_DEFINE_QUARK (ct-torch-error-quark, ct_torch_error)

gboolean
ct_torch_check_message (CtTorchStatus   status,
                        char          **message,
                        GError        **error)
{
  char *text = *message;

  *message = NULL;
  if (status != CT_TORCH_OK)
    g_set_error_literal (error, CT_TORCH_ERROR, status,
                         text != NULL ? text : "libtorch call failed");
  free (text);
  return status == CT_TORCH_OK;
}
