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
  double   lr;                  /* peak learning rate (of a batch's mean loss) */
  double   warmup_epochs;       /* linear warm-up from lr × lr_start to lr, then linear
                                 * decay to lr × lr_end */
  double   lr_start;
  double   lr_end;
  double   momentum;
  gboolean nesterov;
  double   weight_decay;        /* PyTorch SGD's, coupled to the rate */
  double   bias_lr_scale;       /* BatchNorm shifts: rate × this, weight decay ÷ this */
  double   label_smoothing;
  gboolean flip;                /* random horizontal flip */
  gboolean alternate_flip;      /* … drawn once per image, then alternating by epoch */
  int      translate;           /* random translation of up to ± pixels */
  gboolean translate_reflect;   /* … filling the gap with the reflected border, else black */
  gboolean whiten;              /* camtrail_net: the stem is whitened from the training
                                 * images and frozen (so epoch 0 depends on the data) */
  int      stem_bias_epochs;    /* … and its BatchNorm shift learns this many epochs */
  gboolean stem_plain_bias;     /* … that BatchNorm keeps statistics 0 and 1, so its shift is
                                 * a plain bias at the plain rate, as airbench's conv bias */
  gboolean lookahead;           /* airbench's lookahead averaging of the weights */
  int      tta;                 /* test-time augmentation of the last epoch's extra
                                 * evaluation (test_accuracy_tta): 0 none, 1 mirror,
                                 * 2 mirror and ±1 pixel translations */
  guint64  seed;                /* initial weights, shuffling and augmentation */
  gboolean lr_scales_with_batch; /* not recorded: the rate is per 1024 images, as airbench's,
                                  * so ct_hyper_params_set_batch_size() scales it */
} CtHyperParams;

/* airbench's whitening: the stem is whitened from the 2×2 patches of the
 * first CT_WHITEN_IMAGES training images, eps CT_WHITEN_EPS. */
#define CT_WHITEN_IMAGES 5000
#define CT_WHITEN_EPS 5e-4

/* Fills @self with the recipe for @arch (NULL: camtrail_net), tuned for
 * two CPU cores; an unknown architecture gets camtrail_net's. */
void ct_hyper_params_init (CtHyperParams *self,
                           const char    *arch);

/* Sets the batch size; a recipe whose rate is per image (camtrail_net's,
 * like airbench's) scales the rate with it: 1.5 at 1024, 0.09375 at 64.
 * The weight decay per step scales with it too, which PyTorch's coupled
 * weight_decay then does by itself. */
void ct_hyper_params_set_batch_size (CtHyperParams *self,
                                     int            batch_size);

/* Sets the number of epochs, the warm-up keeping its share of the run. */
void ct_hyper_params_set_epochs (CtHyperParams *self,
                                 int            epochs);

G_END_DECLS
