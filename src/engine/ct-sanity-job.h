/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "ct-cam-job.h"
#include "ct-sanity.h"

G_BEGIN_DECLS

/* The randomisation sanity check over a run (ct-sanity.h).  For every
 * requested epoch other than 0, its maps of the seeded test images against
 * epoch 0's; for the last requested epoch, also against the cascading
 * randomisation: checkpoints in a temporary run whose k-th takes the top k
 * layer groups from epoch 0.  Maps explain the true class (the same class
 * in every model), per-image min-max scaled; compared by Spearman's ρ,
 * SSIM and top-20% IoU. */

typedef struct {
  const int   *epochs;
  guint        n_epochs;
  guint        n_images;       /* test images drawn with @seed */
  guint64      seed;
  const char  *layer;          /* nullable: the run's default layer */
  CtCamMethod  method;
  const char  *data;           /* nullable: the dataset the session was opened with */
  const char  *device;         /* nullable: "cpu" */
  guint        batch_size;     /* images per CAM call; 0: 64 */
  struct CtDist *dist;         /* nullable: the torchrun group (ct-torch.h) to share
                                * the batches out over; every rank gets the whole result */
} CtSanityRequest;

/* Images done of @n_steps (the calling rank's own, under torchrun). */
typedef void (*CtSanityProgressFunc) (guint    done,
                                      guint    n_steps,
                                      gpointer user_data);

/* With @request->dist, batch b runs on rank b mod W, exactly as one
 * process runs it, and the per-image comparisons are gathered so that
 * every rank returns the result one process would.  Every rank builds its
 * own temporary cascade run.
 * Returns: (transfer full) (nullable). */
CtSanity *ct_sanity_compute (CtCamSession           *session,
                             const CtSanityRequest  *request,
                             CtSanityProgressFunc    progress,
                             gpointer                user_data,
                             GCancellable           *cancellable,
                             GError                **error);

G_END_DECLS
