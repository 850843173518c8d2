/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "ct-torch.h"

G_BEGIN_DECLS

/* The GLib face of the shim: its status codes become GError codes. */
#define CT_TORCH_ERROR (ct_torch_error_quark ())

GQuark   ct_torch_error_quark (void);

/* Returns TRUE for CT_TORCH_OK.  Otherwise sets @error from @status and
 * @message (or a generic text when @message is NULL) and returns FALSE.
 * Takes ownership of @message, which the shim allocated with malloc(). */
gboolean ct_torch_check       (CtTorchStatus   status,
                               char           *message,
                               GError        **error);

G_END_DECLS
