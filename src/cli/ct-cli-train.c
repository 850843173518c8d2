/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>
#include <math.h>
#include <stdio.h>
#include <unistd.h>

#include "ct-cli.h"
#include "ct-run.h"
#include "ct-shard.h"
#include "ct-torch.h"
#include "ct-torch-glib.h"
#include "ct-stats.h"
#include "ct-train.h"

typedef struct {
  gboolean  tty;
  gboolean  quiet;
  gint64    last_print;
} Terminal;

static void
report_cb (const CtTrainReport *report,
           gpointer             user_data)
{
  Terminal *term = user_data;

  if (term->quiet)
    return;

  switch (report->stage)
    {
    case CT_TRAIN_STAGE_LOADING:
      if (report->images_total == 0)
        {
          g_printerr ("Loading %s…\n", report->message);
          break;
        }
      {
        CtCliCaching caching = { term->tty, term->quiet, term->last_print };

        ct_cli_caching_progress (report->images_done, report->images_total, &caching);
        term->last_print = caching.last_print;
        break;
      }

    case CT_TRAIN_STAGE_TRAINING:
      {
        const CtTrainProgress *p = report->batch;
        gint64 now = g_get_monotonic_time ();
        gboolean last = p->batch == p->n_batches;
        char eta[32];
        char buckets[80] = "";
        double left;

        /* A live line on a terminal; a line every ~10 s in a log. */
        if (!last && now - term->last_print < (term->tty ? 200000 : 10000000))
          return;
        term->last_print = now;
        left = (p->n_batches - p->batch) * (p->images_done / (double) p->batch) /
               MAX (p->images_per_second, 1e-9);
        ct_stats_format_duration (left, eta, sizeof eta);
        /* Under torchrun, in a log: how the gradients' allreduces went. */
        if (p->gradient_buckets > 0 && !term->tty)
          g_snprintf (buckets, sizeof buckets, "  allreduce in %zu bucket%s, %.0f%% sent during backward",
                      p->gradient_buckets, p->gradient_buckets == 1 ? "" : "s",
                      100.0 * p->buckets_overlapped);
        g_printerr ("%sepoch %d/%d  batch %zu/%zu  loss %.4f  acc %5.1f%%  %.0f img/s  lr %.4f  ETA %s%s%s",
                    term->tty ? "\r\033[K" : "",
                    report->epoch, report->epochs, p->batch, p->n_batches, p->loss,
                    100.0 * p->accuracy, p->images_per_second, p->lr, eta, buckets,
                    term->tty ? "" : "\n");
        break;
      }

    case CT_TRAIN_STAGE_INITIALISED:
      g_printerr ("%s\n", report->message);
      break;

    case CT_TRAIN_STAGE_EVALUATING:
      if (term->tty)
        g_printerr ("\r\033[Kepoch %d/%d  measuring test accuracy…", report->epoch, report->epochs);
      break;

    case CT_TRAIN_STAGE_SAVED:
      {
        const CtEpochMetrics *m = report->metrics;

        if (term->tty)
          g_printerr ("\r\033[K");
        if (m->epoch == 0)
          g_printerr ("epoch 0 (initial weights)  test loss %.4f  test acc %5.2f%%  → %s\n",
                      m->test_loss, 100.0 * m->test_accuracy, report->message);
        else
          g_printerr ("epoch %d/%d  train loss %.4f  train acc %5.2f%%  test loss %.4f  test acc %5.2f%%  %.1f s  %.0f img/s  → %s\n",
                      m->epoch, report->epochs, m->train_loss, 100.0 * m->train_accuracy,
                      m->test_loss, 100.0 * m->test_accuracy, m->seconds,
                      m->images_per_second, report->message);
        if (!isnan (m->test_accuracy_tta))
          g_printerr ("epoch %d/%d  with test-time augmentation: test loss %.4f  test acc %5.2f%%\n",
                      m->epoch, report->epochs, m->test_loss_tta, 100.0 * m->test_accuracy_tta);
        break;
      }

    default:
      break;
    }
}

/* A new run's folder name: fashion-demo for the demo, else what it trains
 * on what and when, e.g. camtrail_net-cifar-10-batches-bin-20261202-104512. */
static char *
default_run_name (gboolean    demo,
                  const char *arch,
                  const char *data)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *stamp = g_date_time_format (now, "%Y%m%d-%H%M%S");
  g_autofree char *dataset = NULL;

  if (demo)
    return g_strdup (CT_RUN_DEMO_NAME);
  if (data == NULL || g_str_equal (data, "fashion-mnist"))
    dataset = g_strdup ("fashion-mnist");
  else
    {
      g_autofree char *canonical = g_canonicalize_filename (data, NULL);

      dataset = g_path_get_basename (canonical);
    }
  return g_strdup_printf ("%s-%s-%s", arch != NULL ? arch : "camtrail_net", dataset, stamp);
}

int
ct_cli_train (int    argc,
              char **argv)
{
  g_autofree char *data = NULL;
  g_autofree char *arch = NULL;
  g_autofree char *out = NULL;
  g_autofree char *device = NULL;
  g_autofree char *precision = NULL;
  g_autofree char *init = NULL;
  int epochs = -1, batch_size = -1, translate = -1, threads = 0, input_size = 0, width = 0;
  int train_limit = 0, image_size = 0, tta = -1;
  gboolean no_lookahead = FALSE, no_whiten = FALSE;
  gboolean skip_bad = FALSE;
  double lr = NAN, warmup = NAN, momentum = NAN, weight_decay = NAN, smoothing = NAN;
  gint64 seed = 0;
  double dist_timeout = 300.0;
  double bucket_cap_mb = 25.0;
  CtDist *dist = NULL;
  g_autofree char *rank_device = NULL;
  g_autofree char *rank_weights = NULL;
  gboolean no_nesterov = FALSE, no_flip = FALSE, resume = FALSE, quiet = FALSE, demo = FALSE;
  gboolean sync_bn = FALSE;
  g_autoptr(GError) error = NULL;
  CtTrainOptions options;
  CtPrecision parsed_precision = CT_PRECISION_AUTO;
  Terminal term = { isatty (STDERR_FILENO), FALSE, 0 };
  int status = 0;
  const GOptionEntry entries[] = {
    { "data", 'd', 0, G_OPTION_ARG_FILENAME, &data, N_("Dataset directory (CIFAR-10/100 binary, IDX, or an image folder: train/CLASS/* beside test/CLASS/* or val/CLASS/*), or “fashion-mnist” (default)"), N_("PATH") },
    { "arch", 'a', 0, G_OPTION_ARG_STRING, &arch, N_("camtrail_net (default), resnet18 (CIFAR stem), resnet18_imagenet, resnet34, resnet50 (torchvision's ImageNet stem) or efficientnet_b0"), N_("NAME") },
    { "epochs", 'e', 0, G_OPTION_ARG_INT, &epochs, N_("Epochs to train (default 9 for camtrail_net, 8 for the others); the warm-up keeps its share"), "N" },
    { "out", 'o', 0, G_OPTION_ARG_FILENAME, &out, N_("Run directory to create (default: a new one in ~/.local/share/camtrail/runs, where the window lists runs; with --demo, its fashion-demo)"), N_("DIR") },
    { "demo", 0, 0, G_OPTION_ARG_NONE, &demo, N_("The offline demo recipe (the window's demo run): a narrow camtrail_net, 3 epochs on 30 000 Fashion-MNIST images; other options override it"), NULL },
    { "resume", 0, 0, G_OPTION_ARG_NONE, &resume, N_("Continue the run in --out from its last checkpoint"), NULL },
    { "batch-size", 'b', 0, G_OPTION_ARG_INT, &batch_size, N_("Images per batch (camtrail_net: the default rate scales with it, 1.5 at 1024)"), "N" },
    { "lr", 0, 0, G_OPTION_ARG_DOUBLE, &lr, N_("Peak learning rate"), "LR" },
    { "warmup", 0, 0, G_OPTION_ARG_DOUBLE, &warmup, N_("Warm-up epochs before the linear decay"), "E" },
    { "momentum", 0, 0, G_OPTION_ARG_DOUBLE, &momentum, N_("SGD momentum"), "M" },
    { "no-nesterov", 0, 0, G_OPTION_ARG_NONE, &no_nesterov, N_("Plain instead of Nesterov momentum"), NULL },
    { "weight-decay", 0, 0, G_OPTION_ARG_DOUBLE, &weight_decay, N_("L2 weight decay"), "WD" },
    { "label-smoothing", 0, 0, G_OPTION_ARG_DOUBLE, &smoothing, N_("Cross-entropy label smoothing"), "S" },
    { "no-flip", 0, 0, G_OPTION_ARG_NONE, &no_flip, N_("No random horizontal flips"), NULL },
    { "translate", 0, 0, G_OPTION_ARG_INT, &translate, N_("Random translation of up to ±N pixels (0 = none)"), "N" },
    { "no-lookahead", 0, 0, G_OPTION_ARG_NONE, &no_lookahead, N_("camtrail_net: no lookahead averaging of the weights"), NULL },
    { "no-whiten", 0, 0, G_OPTION_ARG_NONE, &no_whiten, N_("camtrail_net: a learned stem instead of one whitened from the training images"), NULL },
    { "tta", 0, 0, G_OPTION_ARG_INT, &tta, N_("Test-time augmentation of the last epoch's extra measurement (test_accuracy_tta): 0 none, 1 mirror, 2 mirror and ±1 pixel shifts (camtrail_net's default)"), N_("LEVEL") },
    { "seed", 's', 0, G_OPTION_ARG_INT64, &seed, N_("Seed of initial weights, shuffling and augmentation"), "S" },
    { "threads", 'j', 0, G_OPTION_ARG_INT, &threads, N_("libtorch threads (default: all cores)"), "N" },
    { "input-size", 0, 0, G_OPTION_ARG_INT, &input_size, N_("Resize images to N×N inside the model (e.g. 224 for efficientnet_b0)"), "N" },
    { "image-size", 0, 0, G_OPTION_ARG_INT, &image_size, N_("Image folders: resize the shorter side to S and crop the centre S×S, as torchvision's Resize + CenterCrop (default: the images' own size when all are one square size, else 224)"), "S" },
    { "skip-bad", 0, 0, G_OPTION_ARG_NONE, &skip_bad, N_("Image folders: skip images that cannot be read (listed in the manifest) instead of stopping"), NULL },
    { "width", 0, 0, G_OPTION_ARG_INT, &width, N_("camtrail_net first-stage width (default 64: 64/256/256)"), "N" },
    { "train-limit", 0, 0, G_OPTION_ARG_INT, &train_limit, N_("Train on the first N training images only"), "N" },
    { "device", 0, 0, G_OPTION_ARG_STRING, &device, N_("cpu (default) or cuda"), N_("DEVICE") },
    { "precision", 0, 0, G_OPTION_ARG_STRING, &precision, N_("auto (default: bf16-mixed where the CPU computes bfloat16 natively, except for efficientnet_b0; else fp32), fp32 or bf16-mixed"), N_("MODE") },
    { "init", 0, 0, G_OPTION_ARG_FILENAME, &init, N_("Start from these weights (a timm or torchvision checkpoint of the same architecture, safetensors or torch.save); another class count gets a new classifier"), N_("FILE") },
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet, N_("No progress output"), NULL },
    { "rank-weights", 0, 0, G_OPTION_ARG_FILENAME, &rank_weights, N_("Every process also writes its weights after each epoch to DIR/rank-R-epoch-EEE.safetensors, to check that the ranks agree"), N_("DIR") },
    { "sync-bn", 0, 0, G_OPTION_ARG_NONE, &sync_bn, N_("Under torchrun: BatchNorm statistics over the whole group's batch, as PyTorch's SyncBatchNorm (default: each process's own, as DDP); a resumed run keeps its own"), NULL },
    { "bucket-cap-mb", 0, 0, G_OPTION_ARG_DOUBLE, &bucket_cap_mb, N_("Under torchrun: the most megabytes (MiB) of gradients averaged in one allreduce, each sent while the backward pass goes on, as DDP's bucket_cap_mb (default 25; the first bucket at most 1)"), N_("MB") },
    { "dist-timeout", 0, 0, G_OPTION_ARG_DOUBLE, &dist_timeout, N_("Under torchrun: seconds to wait for the other processes, at the start and at every step, before giving up (default 300)"), N_("SECONDS") },
    { NULL }
  };

  if (!ct_cli_parse ("train", NULL,
                     _("Trains a classifier and writes epoch-000.safetensors (the initial weights)\n"
                       "and one checkpoint per epoch, manifest.json and metrics.jsonl to --out."),
                     entries, &argc, &argv, &status))
    return status;
  if (argc > 1)
    return ct_cli_usage_error ("train", "unexpected argument “%s”", argv[1]);
  if (out == NULL && resume && !demo)
    return ct_cli_usage_error ("train", "--resume needs --out: the run to continue");
  if (arch != NULL && !g_strv_contains ((const char * const *) ct_torch_list_archs (), arch))
    return ct_cli_usage_error ("train", "unknown architecture “%s”", arch);
  if (epochs != -1 && (epochs < 1 || epochs > 10000))
    return ct_cli_usage_error ("train", "--epochs must be between 1 and 10000");
  if (batch_size != -1 && batch_size < 2)
    return ct_cli_usage_error ("train", "--batch-size must be at least 2");
  if (threads < 0 || input_size < 0 || width < 0 || train_limit < 0 || seed < 0)
    return ct_cli_usage_error ("train", "sizes, counts and the seed cannot be negative");
  if (image_size < 0 || image_size > 4096)
    return ct_cli_usage_error ("train", "--image-size must be between 1 and 4096");
  if (!isnan (lr) && !(lr > 0))
    return ct_cli_usage_error ("train", "--lr must be positive");
  if (!isnan (smoothing) && !(smoothing >= 0 && smoothing < 1))
    return ct_cli_usage_error ("train", "--label-smoothing must be in [0, 1)");
  if (translate < -1)
    return ct_cli_usage_error ("train", "--translate cannot be negative");
  if (tta < -1 || tta > 2)
    return ct_cli_usage_error ("train", "--tta must be 0, 1 or 2");
  if (precision != NULL && !ct_precision_parse (precision, &parsed_precision))
    return ct_cli_usage_error ("train", "--precision must be auto, fp32 or bf16-mixed");
  if (init != NULL && resume)
    return ct_cli_usage_error ("train", "--init starts a new run; --resume continues one");
  if (precision != NULL && resume)
    return ct_cli_usage_error ("train", "--precision cannot change a resumed run's");
  if (!(dist_timeout > 0 && dist_timeout <= 86400))
    return ct_cli_usage_error ("train", "--dist-timeout must be between 0 and 86400 seconds");
  if (!(bucket_cap_mb >= 1e-6 && bucket_cap_mb <= 1e6))
    return ct_cli_usage_error ("train", "--bucket-cap-mb must be between 0.000001 and 1000000");
  /* torchrun's variables make this process one rank of a data-parallel
   * training; without them nothing changes. */
  if (g_getenv ("WORLD_SIZE") != NULL && out == NULL)
    return ct_cli_usage_error ("train", "under torchrun, --out must name the run, the same for every rank");

  /* Without --out, runs go where the window lists them. */
  if (out == NULL)
    {
      g_autofree char *home = ct_run_dup_home ();
      g_autofree char *name = default_run_name (demo, arch, data);

      out = g_build_filename (home, name, NULL);
      if (!quiet)
        g_printerr (_("Run folder: %s\n"), out);
    }
  else if (resume)
    {
      char *resolved = ct_run_resolve (out);

      g_free (out);
      out = resolved;
    }

  /* Resuming continues with the run's own architecture and dataset unless
   * told otherwise. */
  if (resume)
    {
      g_autoptr(CtManifest) manifest = ct_manifest_load (out, &error);

      if (manifest == NULL)
        return ct_cli_fail ("train", error);
      if (arch == NULL)
        arch = g_strdup (manifest->arch);
      if (data == NULL)
        data = g_strdup (manifest->dataset_path);
      if (image_size == 0)
        image_size = manifest->image_size;
      skip_bad = skip_bad || manifest->skip_bad;
    }

  if (demo && arch != NULL && g_strcmp0 (arch, "camtrail_net") != 0)
    return ct_cli_usage_error ("train", "--demo trains camtrail_net");
  if (demo)
    ct_train_options_init_demo (&options, out);
  else
    ct_train_options_init (&options, arch);
  if (data != NULL)
    options.data = data;
  options.out_dir = out;
  if (epochs != -1)
    ct_hyper_params_set_epochs (&options.hyper, epochs);
  if (batch_size != -1)
    ct_hyper_params_set_batch_size (&options.hyper, batch_size);
  if (!isnan (lr))
    options.hyper.lr = lr;
  if (!isnan (warmup))
    options.hyper.warmup_epochs = warmup;
  if (!isnan (momentum))
    options.hyper.momentum = momentum;
  if (!isnan (weight_decay))
    options.hyper.weight_decay = weight_decay;
  if (!isnan (smoothing))
    options.hyper.label_smoothing = smoothing;
  if (translate != -1)
    options.hyper.translate = translate;
  options.hyper.nesterov = !no_nesterov;
  options.hyper.flip = !no_flip;
  if (no_lookahead)
    options.hyper.lookahead = FALSE;
  if (no_whiten)
    options.hyper.whiten = options.hyper.stem_plain_bias = FALSE;
  if (tta != -1)
    options.hyper.tta = tta;
  options.hyper.seed = seed;
  options.threads = threads;
  options.input_size = input_size;
  options.image_size = image_size;
  options.skip_bad = skip_bad;
  if (width != 0)
    options.width = width;
  if (train_limit != 0)
    options.train_limit = train_limit;
  options.resume = resume;
  if (device != NULL)
    options.device = device;
  options.precision = parsed_precision;
  options.init = init;

  status = ct_cli_dist_join ("train", dist_timeout, &dist);
  if (status != 0)
    return status;
  options.dist = dist;
  options.sync_bn = sync_bn;
  options.bucket_cap_bytes = (gsize) ceil (bucket_cap_mb * (1 << 20));
  options.rank_weights_dir = rank_weights;
  /* One GPU per process: torchrun's LOCAL_RANK picks it. */
  rank_device = ct_shard_dup_device (options.device, ct_dist_get_world_size (dist),
                                     ct_dist_get_local_rank (dist));
  options.device = rank_device;
  /* Rank 0 speaks for the group; the others report errors only. */
  term.quiet = quiet || ct_dist_get_rank (dist) != 0;

  if (!ct_train_run (&options, report_cb, &term, NULL, &error))
    {
      if (term.tty && !term.quiet)
        g_printerr ("\n");
      ct_dist_free (dist);
      return ct_cli_fail ("train", error);
    }

  ct_dist_free (dist);
  return 0;
}
