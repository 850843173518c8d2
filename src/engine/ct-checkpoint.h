/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "ct-run.h"
#include "ct-torch.h"
#include "ct-weights.h"

G_BEGIN_DECLS

/* Model weights and optimizer state ⇄ safetensors files.  Weights keep
 * timm's state_dict() names, so `timm.create_model(arch).load_state_dict(
 * safetensors.torch.load_file(path))` loads a Camtrail checkpoint. */

/* A new model of the architecture, sizes and seed @manifest describes,
 * moved to @device ("cpu" when NULL); its weights are the seed's initial
 * ones until a checkpoint is loaded.
 * Returns: (transfer full) (nullable). */
CtModel *ct_checkpoint_new_model     (const CtManifest *manifest,
                                      const char       *device,
                                      GError          **error);

/* Writes the model's whole state dict to @path atomically, with @metadata
 * (nullable, string → string) in the "__metadata__" block. */
gboolean ct_checkpoint_save          (CtModel     *model,
                                      const char  *path,
                                      GHashTable  *metadata,
                                      GError     **error);

/* Loads @path into @model.  A file for another architecture or class count is
 * refused (CT_TORCH_ERROR_MISMATCH) with the model unchanged.  The metadata
 * value of "arch", when present, must equal @expected_arch (nullable). */
gboolean ct_checkpoint_load          (CtModel     *model,
                                      const char  *path,
                                      const char  *expected_arch,
                                      GError     **error);

/* Loads checkpoint @path of the run @manifest describes into @model, as
 * ct_checkpoint_load() does, after refusing (CT_TORCH_ERROR_MISMATCH) a file
 * whose metadata names another architecture, class count, number of input
 * channels or input size than @manifest. */
gboolean ct_checkpoint_load_for_run  (CtModel          *model,
                                      const char       *path,
                                      const CtManifest *manifest,
                                      GError          **error);

/* Loads weights from elsewhere (ct-weights.h: either format, prefixes
 * removed) into @model, all names and shapes exactly; a mismatch names the
 * tensor and both shapes, after @path. */
gboolean ct_checkpoint_load_weights  (CtModel     *model,
                                      CtWeights   *weights,
                                      const char  *path,
                                      GError     **error);

/* train --init: loads the weights file @path, a checkpoint of @arch in
 * either format, into @model.  When its class count differs from the
 * model's, the model keeps its own freshly initialised classifier.
 * *@out_message says what was loaded ("loaded 358 tensors, new classifier
 * 1000 → 10 classes"); *@out_source names the file and its SHA-256 for the
 * manifest.  A file of another architecture or variant is
 * CT_TORCH_ERROR_MISMATCH. */
gboolean ct_checkpoint_load_init     (CtModel      *model,
                                      const char   *arch,
                                      const char   *path,
                                      char        **out_message,
                                      CtRunSource **out_source,
                                      GError      **error);

/* The trainer's momentum buffers, with "epoch" in the metadata. */
gboolean ct_checkpoint_save_optimizer (CtTrainer  *trainer,
                                       const char *path,
                                       int         epoch,
                                       GError    **error);
/* Loads the optimizer state when the file exists and was written for
 * @epoch; sets *out_loaded accordingly.  A missing file is not an error. */
gboolean ct_checkpoint_load_optimizer (CtTrainer  *trainer,
                                       const char *path,
                                       int         epoch,
                                       gboolean   *out_loaded,
                                       GError    **error);

G_END_DECLS
