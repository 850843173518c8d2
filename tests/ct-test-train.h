/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "ct-train.h"

G_BEGIN_DECLS

/* Training options small enough for the end-to-end suites: camtrail_net of
 * width 8 on @data_dir (a ct_test_write_squares() dataset), batches of 64,
 * lr 0.2 after half an epoch of warm-up, 2 threads, seed 7. */
void        ct_test_tiny_options (CtTrainOptions *options,
                                  const char     *data_dir,
                                  const char     *out_dir,
                                  int             epochs);

/* Trains @out_dir with ct_test_tiny_options() to the end, asserting that it
 * succeeds. */
void        ct_test_train_tiny   (const char     *data_dir,
                                  const char     *out_dir,
                                  int             epochs);

/* One run of 3 epochs, @parent/trained, shared by the tests that only read
 * it: the first call trains it on @data_dir, later calls return it.
 * Returns: (transfer none): its directory. */
const char *ct_test_trained_run  (const char     *parent,
                                  const char     *data_dir);

G_END_DECLS
