/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "ct-test-train.h"

void
ct_test_tiny_options (CtTrainOptions *options,
                      const char     *data_dir,
                      const char     *out_dir,
                      int             epochs)
{
  ct_train_options_init (options, "camtrail_net");
  options->data = data_dir;
  options->out_dir = out_dir;
  ct_hyper_params_set_epochs (&options->hyper, epochs);
  options->width = 8;
  options->hyper.batch_size = 64;
  options->hyper.lr = 0.2;
  options->hyper.warmup_epochs = 0.5;
  options->threads = 2;
  options->hyper.seed = 7;
}

void
ct_test_train_tiny (const char *data_dir,
                    const char *out_dir,
                    int         epochs)
{
  g_autoptr(GError) error = NULL;
  CtTrainOptions options;

  ct_test_tiny_options (&options, data_dir, out_dir, epochs);
  g_assert_true (ct_train_run (&options, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
}

const char *
ct_test_trained_run (const char *parent,
                     const char *data_dir)
{
  static char *run;

  if (run == NULL)
    {
      run = g_build_filename (parent, "trained", NULL);
      ct_test_train_tiny (data_dir, run, 3);
    }
  return run;
}
