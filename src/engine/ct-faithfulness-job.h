/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "ct-cam-job.h"
#include "ct-faithfulness.h"

G_BEGIN_DECLS

/* A faithfulness study over a run's checkpoints (ct-faithfulness.h): for
 * every epoch, the method's heatmaps of the same seeded test images, and
 * beside them seeded uniform random heatmaps as the baseline every number
 * is read against, scored by deletion and insertion AUC, Average Drop,
 * Increase in Confidence and ROAD.  The class is the one each checkpoint predicts
 * on the clean image, its probability the softmax's. */

typedef struct {
  const int   *epochs;
  guint        n_epochs;
  guint        n_images;        /* test images drawn with @seed */
  guint64      seed;            /* the images and the random heatmaps */
  const char  *layer;           /* nullable: the run's default layer */
  CtCamMethod  method;
  double       step_fraction;   /* pixels per deletion/insertion step; 0: 0.02 */
  CtBaseline   baseline;
  double       road_noise;      /* σ of ROAD's imputation noise, normalised units
                                 * (the reference's 0.01); 0: none */
  guint        batch_size;      /* images per CAM call; 0: 64 */
  struct CtDist *dist;          /* nullable: the torchrun group (ct-torch.h) to share
                                 * the batches out over; every rank gets the whole result */
} CtFaithfulnessRequest;

/* Images done of the epoch's @n_images (the calling rank's own, under
 * torchrun). */
typedef void (*CtFaithfulnessProgressFunc) (int      epoch,
                                            guint    done,
                                            guint    n_images,
                                            gpointer user_data);

/* Runs the study; @progress (nullable) is called after each batch of
 * images, on the calling thread.  With @request->dist, batch b of every
 * epoch runs on rank b mod W, exactly as one process runs it (the random
 * heatmaps and ROAD's noise are drawn per image), and the per-image scores
 * are gathered so that every rank returns the result one process would
 * (byte for byte in its CSV and JSON).
 * Returns: (transfer full) (nullable). */
CtFaithfulness *ct_faithfulness_compute (CtCamSession                 *session,
                                         const CtFaithfulnessRequest  *request,
                                         CtFaithfulnessProgressFunc    progress,
                                         gpointer                      user_data,
                                         GCancellable                 *cancellable,
                                         GError                      **error);

G_END_DECLS
