/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "ct-torch.h"

G_BEGIN_DECLS

/* The GLib face of the shim: its status codes become GError codes. */
#define CT_TORCH_ERROR (ct_torch_error_quark ())

GQuark   ct_torch_error_quark (void);

/* Returns TRUE for CT_TORCH_OK.  Otherwise sets @error from @status and
 * *@message (or a generic text when it is NULL) and returns FALSE.  Takes
 * ownership of *@message, which the shim allocated with malloc(), and sets
 * it to NULL. */
gboolean ct_torch_check_message (CtTorchStatus   status,
                                 char          **message,
                                 GError        **error);

/* Checks a shim call that writes its message to the variable @message:
 *   ct_torch_check (ct_model_new (&config, &model, &message), message, error)
 * A macro, because C leaves the order of a call's arguments open: a function
 * taking @message by value could read it before the call beside it set it,
 * losing the message and leaking it. */
#define ct_torch_check(status, message, error) \
  ct_torch_check_message ((status), &(message), (error))

G_END_DECLS
