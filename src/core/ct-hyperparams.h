/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A training's recipe, one struct for everyone who holds one: the CLI's
 * options and the train dialog fill it (CtTrainOptions.hyper), the
 * manifest records it ("training" in manifest.json, CtManifest.hyper) and
 * the engine hands it to the torch shim, whose own CtTrainConfig stays
 * free of GLib at the C boundary. */
typedef struct {
  int      epochs;              /* total epochs the schedule spans */
  int      batch_size;
  double   lr;                  /* peak learning rate */
  double   warmup_epochs;       /* linear warm-up to lr, then linear decay to 0 */
  double   momentum;
  gboolean nesterov;
  double   weight_decay;
  double   label_smoothing;
  gboolean flip;                /* random horizontal flip */
  int      translate;           /* random translation of up to ± pixels */
  guint64  seed;                /* initial weights, shuffling and augmentation */
} CtHyperParams;

/* Fills @self with the recipe for @arch (NULL: camtrail_net), tuned for
 * two CPU cores; an unknown architecture gets camtrail_net's. */
void ct_hyper_params_init (CtHyperParams *self,
                           const char    *arch);

G_END_DECLS
