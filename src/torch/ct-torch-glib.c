/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <stdlib.h>

#include "ct-torch-glib.h"

G_DEFINE_QUARK (ct-torch-error-quark, ct_torch_error)

gboolean
ct_torch_check (CtTorchStatus   status,
                char           *message,
                GError        **error)
{
  if (status == CT_TORCH_OK)
    {
      free (message);
      return TRUE;
    }

  g_set_error_literal (error, CT_TORCH_ERROR, status,
                       message != NULL ? message : "libtorch call failed");
  free (message);
  return FALSE;
}
