/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "ct-safetensors.h"

G_BEGIN_DECLS

/* Weights from elsewhere (camtrail-cli import, train --init): a state dict
 * in safetensors or torch.save's zip format, its names freed of the
 * wrappers' prefixes, the architecture variant and class count its shapes
 * imply, and the epoch numbering of a list of checkpoint files. */

#define CT_WEIGHTS_ERROR (ct_weights_error_quark ())

typedef enum {
  CT_WEIGHTS_ERROR_FORMAT,     /* duplicate names once unwrapped, a legacy file */
  CT_WEIGHTS_ERROR_MISMATCH,   /* tensors that fit no variant of the architecture */
  CT_WEIGHTS_ERROR_EPOCHS,     /* epoch numbers that are ambiguous, repeated or miscounted */
} CtWeightsError;

typedef struct _CtWeights CtWeights;

GQuark       ct_weights_error_quark   (void);

/* Reads @path by its first bytes: a zip is torch.save's format
 * (ct-torch-save.h), anything else must be safetensors.  Every name loses
 * its leading "module." (DataParallel, DistributedDataParallel) and
 * "_orig_mod." (torch.compile) prefixes, in any order and number.
 * Returns: (transfer full) (nullable). */
CtWeights   *ct_weights_load          (const char   *path,
                                       GError      **error);
void         ct_weights_free          (CtWeights    *self);

guint        ct_weights_get_n_tensors (CtWeights    *self);
/* Returns: (transfer none): names are the unwrapped ones. */
const CtTensorView *ct_weights_get_tensor (CtWeights *self,
                                       guint         index);
/* Returns: (transfer none) (nullable). */
const CtTensorView *ct_weights_lookup (CtWeights    *self,
                                       const char   *name);
/* The epoch the file itself gives: a top-level "epoch" integer of a
 * torch.save dict, or a safetensors "epoch" metadata value. */
gboolean     ct_weights_get_epoch     (CtWeights    *self,
                                       gint64       *out_epoch);
/* Returns: (transfer none): the file's lowercase hex SHA-256. */
const char  *ct_weights_get_sha256    (CtWeights    *self);

/* @name without its leading "module." and "_orig_mod." prefixes.
 * Returns: (transfer none): a pointer into @name. */
const char  *ct_weights_strip_prefix  (const char   *name);

/* What the shapes say about a checkpoint for @arch: the architecture to
 * build (only "resnet18" has two stems: a 7×7 conv1 makes it
 * "resnet18_imagenet"), the class count (the classifier's rows), the input
 * channels (the first convolution's), and camtrail_net's width.  The names
 * of the classifier's weight and bias come back too, for --init.  An arch
 * this table does not know, or a checkpoint without the first convolution
 * or the classifier, is CT_WEIGHTS_ERROR_MISMATCH naming what is missing. */
typedef struct {
  const char *arch;            /* static */
  int         n_classes;
  int         in_channels;
  int         width;           /* camtrail_net only, else 0 */
  const char *classifier[2];   /* static: weight, bias (NULL when bias-free) */
} CtWeightsShape;

gboolean     ct_weights_infer_shape   (CtWeights      *self,
                                       const char     *arch,
                                       CtWeightsShape *out,
                                       GError        **error);

/* The epochs of @n checkpoint files, in their order: @typed (nullable, a
 * comma-separated list such as "0,1,2,3,20", as --epochs) when given, else
 * the files' own epochs when every file has one (@file_epochs[i] < 0: it
 * has none), else the digits of the file names (the one run of digits that
 * differs between them, or a lone run in a single name).  Numbers must be
 * distinct and at most 100000; when no rule is unambiguous the error says
 * so and asks for --epochs.  @out receives @n epochs. */
gboolean     ct_weights_assign_epochs (const char * const *paths,
                                       guint               n,
                                       const gint64       *file_epochs,
                                       const char         *typed,
                                       int                *out,
                                       GError            **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CtWeights, ct_weights_free)

G_END_DECLS
