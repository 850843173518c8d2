/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "ct-safetensors.h"

G_BEGIN_DECLS

/* PyTorch's torch.save zip format (PyTorch ≥ 1.6: .pt, .pth, .bin), read
 * without Python and without running anything.  The archive's data.pkl is
 * interpreted by a pickle machine that knows containers (dict, OrderedDict,
 * list, tuple), numbers, strings, booleans, None and tensors
 * (torch._utils._rebuild_tensor_v2 and _rebuild_parameter over the
 * torch.*Storage records) and nothing else: any other global, a class or a
 * function (os.system, argparse.Namespace, a whole nn.Module), is refused
 * with its name before anything could call it.
 *
 * libtorch 1.13's own unpickler (torch::pickle_load) cannot serve here: it
 * turns every collections.OrderedDict into None, so it fails on the
 * state_dict() of any module. */

#define CT_TORCH_SAVE_ERROR (ct_torch_save_error_quark ())

typedef enum {
  CT_TORCH_SAVE_ERROR_IO,
  CT_TORCH_SAVE_ERROR_ARCHIVE,     /* not a zip, truncated, inconsistent, a decompression bomb */
  CT_TORCH_SAVE_ERROR_PICKLE,      /* a pickle that does not parse, or not as torch.save writes it */
  CT_TORCH_SAVE_ERROR_REFUSED,     /* a global that is not a container, number, string or tensor */
  CT_TORCH_SAVE_ERROR_NO_WEIGHTS,  /* no state dict at the top or under a usual key */
} CtTorchSaveError;

typedef struct _CtTorchSave CtTorchSave;

GQuark         ct_torch_save_error_quark   (void);

/* The keys a state dict is looked for under, when the top level is not one
 * itself, in this order (NULL-terminated). */
extern const char *const ct_torch_save_state_keys[];

/* Reads @path.  Returns: (transfer full) (nullable). */
CtTorchSave   *ct_torch_save_load          (const char   *path,
                                            GError      **error);
/* The same from memory; @what names the source in error messages, which
 * all start with "@what: ". */
CtTorchSave   *ct_torch_save_parse         (GBytes       *bytes,
                                            const char   *what,
                                            GError      **error);
void           ct_torch_save_free          (CtTorchSave  *self);

/* The state dict's tensors, in the file's order: floating-point storages
 * (float, double, half, bfloat16) as F32, integer ones as I64, contiguous.
 * Returns: (transfer none). */
guint          ct_torch_save_get_n_tensors (CtTorchSave  *self);
const CtTensorView *ct_torch_save_get_tensor (CtTorchSave *self,
                                            guint         index);
/* Where the state dict was: "" for the top level, else its key. */
const char    *ct_torch_save_get_key       (CtTorchSave  *self);
/* The top-level "epoch" entry, when the file has an integer one. */
gboolean       ct_torch_save_get_epoch     (CtTorchSave  *self,
                                            gint64       *out_epoch);

/* Weights as Camtrail's models hold them: a contiguous little-endian
 * tensor @in of a floating dtype (F64, F16, BF16) becomes F32, one of an
 * integer dtype (I32, I16, I8, U8) I64, in *@out_data (g_free), described
 * by @out with @in's name; F32 and I64 are copied as they are.  BOOL
 * tensors are not weights: FALSE. */
gboolean       ct_tensor_widen             (const CtTensorView *in,
                                            CtTensorView       *out,
                                            guint8            **out_data);

/* Whether @bytes start as a zip archive does ("PK\3\4"). */
gboolean       ct_torch_save_looks_like    (const guint8 *bytes,
                                            gsize         size);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CtTorchSave, ct_torch_save_free)

G_END_DECLS
