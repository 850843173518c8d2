/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "ct-cam-job.h"
#include "ct-robustness.h"

G_BEGIN_DECLS

/* A robustness study over a run's checkpoints (ct-robustness.h): for every
 * epoch, the clean grid and one grid per perturbation of the same test
 * images, from a CtCamSession, in batches. */

typedef struct {
  const int       *epochs;
  guint            n_epochs;
  int              baseline_epoch;   /* one of @epochs: the CE denominator */
  const CtPerturb *perturbations;    /* their seeds are replaced by @seed */
  guint            n_perturbations;
  guint            n_images;         /* test images drawn with @seed */
  guint            rounds;           /* perturbation draws per image */
  guint64          seed;
  guint            batch_size;       /* images per Grad-CAM call; 0: 64 */
  const char      *layer;            /* nullable: the run's default layer */
  CtTargetRule     target_rule;      /* PREDICTED or LABEL */
  CtCamMethod      method;           /* CT_CAM_METHOD_GRADCAM (0) unless set */
  struct CtDist   *dist;             /* nullable: the torchrun group (ct-torch.h) to share
                                      * the batches out over; every rank gets the whole result */
} CtRobustnessRequest;

typedef struct {
  guint       step;                  /* Grad-CAM calls done, 1 … n_steps */
  guint       n_steps;
  int         epoch;
  const char *perturbation;          /* the label of the call just done, or "clean" */
  double      seconds;               /* since the study started */
} CtRobustnessProgress;

typedef void (*CtRobustnessProgressFunc) (const CtRobustnessProgress *progress,
                                          gpointer                    user_data);

/* Runs the study.  Every random choice (the images, each perturbation's
 * draws) comes from @request->seed, so the same request on the same run
 * and machine gives the same numbers.  With @request->dist, batch b of
 * every epoch runs on rank b mod W, exactly as one process runs it, and
 * the per-image samples are gathered so that every rank returns the result
 * one process would (byte for byte in its CSV); @progress counts the
 * calling rank's own steps.  @progress (nullable) is called
 * after each Grad-CAM call, on the calling thread.
 * Returns: (transfer full) (nullable). */
CtRobustness *ct_robustness_compute (CtCamSession               *session,
                                     const CtRobustnessRequest  *request,
                                     CtRobustnessProgressFunc    progress,
                                     gpointer                    user_data,
                                     GCancellable               *cancellable,
                                     GError                    **error);

G_END_DECLS
