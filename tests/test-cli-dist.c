/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "ct-run.h"
#include "ct-test-data.h"

/* camtrail-cli train under torchrun, as a user starts it: two ranks on this
 * machine over Gloo, everything on 127.0.0.1.  $CAMTRAIL_CLI names the
 * binary; torchrun comes from $PATH (Debian's python3-torch). */

static char *tmpdir;
static char *data_dir;
static char *torchrun;

typedef CtTestResult Result;
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Result, ct_test_result_clear)

/* A port nothing listens on now, on the loopback interface. */
static guint16
free_port (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                            G_SOCKET_PROTOCOL_TCP, &error);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any_port = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;

  g_assert_no_error (error);
  g_socket_bind (socket, any_port, FALSE, &error);
  g_assert_no_error (error);
  bound = g_socket_get_local_address (socket, &error);
  g_assert_no_error (error);
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
}

/* torchrun … camtrail-cli ARGS… (or /bin/sh ARGS…), two local ranks; -r 1 -t 1 avoid
 * Debian 12's torchrun crash in its default redirects. */
static GPtrArray *
torchrun_argv (const char        *log_dir,
               const char *const *cli_args)
{
  GPtrArray *args = g_ptr_array_new_with_free_func (g_free);

  g_ptr_array_add (args, g_strdup (torchrun));
  g_ptr_array_add (args, g_strdup ("--no_python"));
  g_ptr_array_add (args, g_strdup ("--nproc_per_node"));
  g_ptr_array_add (args, g_strdup ("2"));
  g_ptr_array_add (args, g_strdup ("-r"));
  g_ptr_array_add (args, g_strdup ("1"));
  g_ptr_array_add (args, g_strdup ("-t"));
  g_ptr_array_add (args, g_strdup ("1"));
  g_ptr_array_add (args, g_strdup ("--log_dir"));
  g_ptr_array_add (args, g_strdup (log_dir));
  g_ptr_array_add (args, g_strdup ("--master_addr"));
  g_ptr_array_add (args, g_strdup ("127.0.0.1"));
  g_ptr_array_add (args, g_strdup ("--master_port"));
  g_ptr_array_add (args, g_strdup_printf ("%u", free_port ()));
  if (cli_args[0] == NULL || !g_str_equal (cli_args[0], "/bin/sh"))
    g_ptr_array_add (args, g_strdup (g_getenv ("CAMTRAIL_CLI")));
  for (guint i = 0; cli_args[i] != NULL; i++)
    g_ptr_array_add (args, g_strdup (cli_args[i]));
  g_ptr_array_add (args, NULL);
  return args;
}

static void
run_torchrun (Result     *result,
              const char *log_dir,
              ...)
{
  g_autoptr(GPtrArray) cli_args = g_ptr_array_new ();
  g_autoptr(GPtrArray) args = NULL;
  const char *arg;
  va_list ap;

  va_start (ap, log_dir);
  while ((arg = va_arg (ap, const char *)) != NULL)
    g_ptr_array_add (cli_args, (char *) arg);
  va_end (ap);
  g_ptr_array_add (cli_args, NULL);
  args = torchrun_argv (log_dir, (const char *const *) cli_args->pdata);
  ct_test_run (result, (const char *const *) args->pdata, NULL, G_SPAWN_DEFAULT);
}

static void
run_cli (Result      *result,
         char       **envp,
         ...)
{
  g_autoptr(GPtrArray) args = g_ptr_array_new ();
  const char *arg;
  va_list ap;

  g_ptr_array_add (args, (char *) g_getenv ("CAMTRAIL_CLI"));
  va_start (ap, envp);
  while ((arg = va_arg (ap, const char *)) != NULL)
    g_ptr_array_add (args, (char *) arg);
  va_end (ap);
  g_ptr_array_add (args, NULL);
  ct_test_run (result, (const char *const *) args->pdata, envp, G_SPAWN_DEFAULT);
}

static gint64
json_int (JsonObject *object,
          const char *path_a,
          const char *path_b)
{
  g_assert_true (json_object_has_member (object, path_a));
  return json_object_get_int_member (json_object_get_object_member (object, path_a), path_b);
}

/* No file a killed writer leaves behind (NAME.XXXXXX) in @run. */
static void
assert_no_temporaries (const char *run)
{
  g_autoptr(GDir) dir = g_dir_open (run, 0, NULL);
  const char *name;

  g_assert_nonnull (dir);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      const char *dot = strrchr (name, '.');

      if (dot != NULL && strlen (dot + 1) == 6 && !g_str_has_suffix (name, ".jsonl"))
        g_error ("%s holds a half-written file %s", run, name);
    }
}

/* The accuracy eval --remeasure measures on the whole test set, one
 * process, for @epoch, as its stderr line prints it. */
static char *
remeasured_line (const char *err,
                 int         epoch)
{
  g_autofree char *prefix = g_strdup_printf ("epoch %d: test accuracy ", epoch);
  const char *at = strstr (err, prefix);
  const char *end;

  g_assert_nonnull (at);
  end = strchr (at, '\n');
  return g_strndup (at, end != NULL ? (gsize) (end - at) : strlen (at));
}

static void
test_train_two_ranks (void)
{
  g_autofree char *run = g_build_filename (tmpdir, "two-ranks", NULL);
  g_autofree char *ranks = g_build_filename (tmpdir, "rank-weights", NULL);
  g_autofree char *logs = g_build_filename (tmpdir, "logs-train", NULL);
  g_autofree char *manifest_path = g_build_filename (run, "manifest.json", NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(CtManifest) manifest = NULL;
  g_autoptr(GArray) metrics = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(Result) train = { 0 }, remeasure = { 0 };
  JsonObject *top;

  g_assert_cmpint (g_mkdir (ranks, 0755), ==, 0);
  run_torchrun (&train, logs, "train", "--data", data_dir, "--out", run,
                "--arch", "camtrail_net", "--width", "8", "--epochs", "2",
                "--batch-size", "32", "--threads", "1", "--seed", "7",
                "--rank-weights", ranks, "--dist-timeout", "120", NULL);
  g_assert_cmpint (train.status, ==, 0);

  /* One writer, who recorded the group. */
  manifest = ct_manifest_load (run, &error);
  g_assert_no_error (error);
  g_assert_cmpint (manifest->world_size, ==, 2);
  g_assert_cmpstr (manifest->dist_backend, ==, "gloo");
  g_assert_cmpint (manifest->hyper.batch_size, ==, 32);
  json_parser_load_from_file (parser, manifest_path, &error);
  g_assert_no_error (error);
  top = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpint (json_int (top, "distributed", "batch_per_rank"), ==, 16);

  /* Every rank holds the weights rank 0 saved, after every epoch. */
  for (int epoch = 1; epoch <= 2; epoch++)
    {
      g_autofree char *saved = ct_run_dup_checkpoint_path (run, epoch);
      g_autofree char *name0 = g_strdup_printf ("rank-0-epoch-%03d.safetensors", epoch);
      g_autofree char *name1 = g_strdup_printf ("rank-1-epoch-%03d.safetensors", epoch);
      g_autofree char *rank0 = g_build_filename (ranks, name0, NULL);
      g_autofree char *rank1 = g_build_filename (ranks, name1, NULL);

      ct_test_assert_same_weights (saved, rank0);
      ct_test_assert_same_weights (rank0, rank1);
    }

  /* The recorded accuracy is the whole test set's, as one process
   * re-measures it from the checkpoints. */
  metrics = ct_metrics_load (run, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (metrics->len, ==, 3);
  run_cli (&remeasure, NULL, "eval", "--run", run, "--remeasure", NULL);
  g_assert_cmpint (remeasure.status, ==, 0);
  for (guint i = 0; i < metrics->len; i++)
    {
      CtEpochMetrics *m = &g_array_index (metrics, CtEpochMetrics, i);
      g_autofree char *expected = g_strdup_printf ("epoch %d: test accuracy %.2f%%",
                                                   m->epoch, 100.0 * m->test_accuracy);
      g_autofree char *found = remeasured_line (remeasure.err, m->epoch);

      g_assert_cmpstr (found, ==, expected);
    }
}

/* The test accuracy metrics.jsonl records for @epoch of @run. */
static double
recorded_accuracy (const char *run,
                   int         epoch)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) metrics = ct_metrics_load (run, &error);

  g_assert_no_error (error);
  for (guint i = 0; i < metrics->len; i++)
    if (g_array_index (metrics, CtEpochMetrics, i).epoch == epoch)
      return g_array_index (metrics, CtEpochMetrics, i).test_accuracy;
  g_error ("%s records no epoch %d", run, epoch);
}

/* Training without random augmentation, so that the ranks' batches hold
 * exactly the images of one process's batch. */
#define SAME_BATCHES "--arch", "camtrail_net", "--width", "8", "--epochs", "2", \
                     "--batch-size", "32", "--threads", "1", "--seed", "5", "--no-flip", \
                     "--translate", "0", "--precision", "fp32", "--quiet"

/* Float rounding apart, 2 ranks × 16 images with synchronised BatchNorm are
 * one process with batches of 32: the same weights after every epoch.
 * Without --sync-bn each rank normalises over its 16 images (DDP), which
 * trains another network, as good within a few points. */
static void
test_sync_bn_matches_one_process (void)
{
  g_autofree char *single = g_build_filename (tmpdir, "sync-single", NULL);
  g_autofree char *synced = g_build_filename (tmpdir, "sync-two", NULL);
  g_autofree char *plain = g_build_filename (tmpdir, "sync-plain", NULL);
  g_autofree char *logs = g_build_filename (tmpdir, "logs-sync", NULL);
  g_autoptr(CtManifest) manifest = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(Result) one = { 0 }, two = { 0 }, two_plain = { 0 };
  /* Measured on two cores, one thread per process, camtrail_net's airbench
   * recipe (its rate scaled to the batch of 32): with --sync-bn 2.3e-6
   * after epoch 1 and 6.7e-6 after epoch 2 (float rounding grows with
   * every step), without it 0.23 and 0.17 (running variances). */
  const double tolerance = 5e-3;

  run_cli (&one, NULL, "train", "--data", data_dir, "--out", single, SAME_BATCHES, NULL);
  g_assert_cmpint (one.status, ==, 0);
  run_torchrun (&two, logs, "train", "--data", data_dir, "--out", synced, SAME_BATCHES,
                "--sync-bn", "--dist-timeout", "120", NULL);
  g_assert_cmpint (two.status, ==, 0);
  run_torchrun (&two_plain, logs, "train", "--data", data_dir, "--out", plain, SAME_BATCHES,
                "--dist-timeout", "120", NULL);
  g_assert_cmpint (two_plain.status, ==, 0);

  manifest = ct_manifest_load (synced, &error);
  g_assert_no_error (error);
  g_assert_cmpint (manifest->world_size, ==, 2);
  g_assert_true (manifest->sync_bn);
  g_clear_pointer (&manifest, ct_manifest_free);
  manifest = ct_manifest_load (plain, &error);
  g_assert_no_error (error);
  g_assert_false (manifest->sync_bn);

  for (int epoch = 1; epoch <= 2; epoch++)
    {
      g_autofree char *a = ct_run_dup_checkpoint_path (single, epoch);
      g_autofree char *b = ct_run_dup_checkpoint_path (synced, epoch);
      g_autofree char *c = ct_run_dup_checkpoint_path (plain, epoch);
      g_autofree char *worst = NULL, *worst_plain = NULL;
      double synced_difference = ct_test_max_weight_difference (a, b, &worst);
      double plain_difference = ct_test_max_weight_difference (a, c, &worst_plain);

      if (g_test_verbose ())
        g_printerr ("epoch %d: --sync-bn %.3g (%s), without %.3g (%s)\n", epoch,
                    synced_difference, worst, plain_difference, worst_plain);
      g_assert_cmpfloat (synced_difference, <, tolerance);
      /* The tolerance tells the two apart. */
      g_assert_cmpfloat (plain_difference, >, tolerance);
      g_assert_cmpfloat (fabs (recorded_accuracy (plain, epoch) - recorded_accuracy (single, epoch)),
                         <=, 0.05);
    }
}

/* From the last progress line of @epoch in rank 0's log: the gradient
 * buckets a step reduces and the percentage sent during the backward pass. */
static guint
gradient_buckets (const char *err,
                  int         epoch,
                  guint      *out_percent)
{
  g_autofree char *prefix = g_strdup_printf ("epoch %d/", epoch);
  g_auto(GStrv) lines = g_strsplit (err, "\n", -1);
  const char *last = NULL;
  const char *at;
  guint n = 0;

  for (guint i = 0; lines[i] != NULL; i++)
    if (g_str_has_prefix (lines[i], prefix) && strstr (lines[i], "  batch ") != NULL)
      last = lines[i];
  g_assert_nonnull (last);
  at = strstr (last, "allreduce in ");
  if (at == NULL)
    g_error ("no gradient buckets in \"%s\"", last);
  g_assert_cmpint (sscanf (at, "allreduce in %u bucket", &n), ==, 1);
  at = strstr (at, ", ");
  g_assert_nonnull (at);
  g_assert_cmpint (sscanf (at, ", %u%% sent during backward", out_percent), ==, 1);
  return n;
}

#define BUCKET_RUN "--arch", "camtrail_net", "--width", "8", "--epochs", "2", \
                   "--batch-size", "32", "--threads", "1", "--seed", "3", "--dist-timeout", "120"

/* DDP's buckets: the gradients averaged in many small allreduces, each sent
 * by the backward pass as soon as its gradients are in, give the very same
 * weights as one allreduce of them all (two ranks: a sum of two floats is
 * the same either way). */
static void
test_gradient_buckets (void)
{
  g_autofree char *whole = g_build_filename (tmpdir, "buckets-one", NULL);
  g_autofree char *split = g_build_filename (tmpdir, "buckets-many", NULL);
  g_autofree char *logs = g_build_filename (tmpdir, "logs-buckets", NULL);
  g_auto(Result) one = { 0 }, many = { 0 };
  guint percent = 0;

  /* camtrail_net at width 8 holds well under DDP's first 1 MiB. */
  run_torchrun (&one, logs, "train", "--data", data_dir, "--out", whole, BUCKET_RUN, NULL);
  g_assert_cmpint (one.status, ==, 0);
  g_assert_cmpuint (gradient_buckets (one.err, 2, &percent), ==, 1);
  g_assert_cmpuint (percent, ==, 100);
  /* About 100 bytes a bucket: a parameter or a few BatchNorm vectors each. */
  run_torchrun (&many, logs, "train", "--data", data_dir, "--out", split, BUCKET_RUN,
                "--bucket-cap-mb", "0.0001", NULL);
  g_assert_cmpint (many.status, ==, 0);
  for (int epoch = 1; epoch <= 2; epoch++)
    {
      g_autofree char *a = ct_run_dup_checkpoint_path (whole, epoch);
      g_autofree char *b = ct_run_dup_checkpoint_path (split, epoch);
      guint n = gradient_buckets (many.err, epoch, &percent);

      g_test_message ("epoch %d: %u buckets, %u%% sent during backward", epoch, n, percent);
      g_assert_cmpuint (n, >, 10);
      g_assert_cmpuint (percent, ==, 100);
      ct_test_assert_same_weights (a, b);
    }
}

/* Asserts that @name in @dir_a and @dir_b hold the same bytes. */
static void
assert_same_file (const char *dir_a,
                  const char *dir_b,
                  const char *name)
{
  g_autofree char *path_a = g_build_filename (dir_a, name, NULL);
  g_autofree char *path_b = g_build_filename (dir_b, name, NULL);
  g_autofree char *a = NULL, *b = NULL;
  gsize length_a = 0, length_b = 0;
  g_autoptr(GError) error = NULL;

  g_file_get_contents (path_a, &a, &length_a, &error);
  g_assert_no_error (error);
  g_file_get_contents (path_b, &b, &length_b, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (a, length_a, b, length_b);
}

/* Every rank of @result stopped with the setup agreement's @reason, which
 * names @detail, and none as a lost peer. */
static void
assert_stopped_by_agreement (const Result *result,
                             const char   *reason,
                             const char   *detail)
{
  const char *message = strstr (result->err, reason);

  g_assert_cmpint (result->status, !=, 0);
  if (message == NULL)
    g_test_message ("torchrun's stderr: %s", result->err);
  g_assert_nonnull (message);
  g_assert_nonnull (strstr (message, detail));
  g_assert_null (strstr (result->err, "another rank has died"));
}

/* robustness under torchrun: each rank takes every other batch of 4 of
 * the 18 images (5 batches: 3 and 2), and rank 0 writes exactly what one
 * process writes. */
static void
test_robustness_two_ranks (void)
{
  g_autofree char *run = g_build_filename (tmpdir, "robustness-run", NULL);
  g_autofree char *single = g_build_filename (tmpdir, "robustness-single", NULL);
  g_autofree char *shared = g_build_filename (tmpdir, "robustness-two", NULL);
  g_autofree char *logs = g_build_filename (tmpdir, "logs-robustness", NULL);
  g_auto(Result) train = { 0 }, one = { 0 }, two = { 0 };
#define STUDY "--run", run, "--images", "18", "--batch-size", "4", "--rounds", "2", \
              "--seed", "3", "--perturb", "noise:0.1,rotate-random:30,occlude:8", \
              "--threads", "1", "--quiet"

  run_cli (&train, NULL, "train", "--data", data_dir, "--out", run, "--width", "8",
           "--epochs", "2", "--batch-size", "32", "--threads", "2", "--quiet", NULL);
  g_assert_cmpint (train.status, ==, 0);
  run_cli (&one, NULL, "robustness", STUDY, "--out", single, NULL);
  g_assert_cmpint (one.status, ==, 0);
  run_torchrun (&two, logs, "robustness", STUDY, "--out", shared, "--dist-timeout", "120", NULL);
  g_assert_cmpint (two.status, ==, 0);
#undef STUDY

  assert_same_file (single, shared, "robustness.csv");
  assert_same_file (single, shared, "robustness.json");
  /* The summary is rank 0's alone. */
  g_assert_nonnull (strstr (two.out, "relative mCE"));
  g_assert_null (strstr (strstr (two.out, "relative mCE") + 1, "relative mCE"));
}

/* robustness's ranks agree on their setup before any work: rank 1 that
 * cannot open its run, or was started with another --images, stops both
 * with its message, and nothing is written. */
static void
test_robustness_setup_agreement (void)
{
  g_autofree char *run = g_build_filename (tmpdir, "robustness-agree-run", NULL);
  g_autofree char *logs = g_build_filename (tmpdir, "logs-robustness-agree", NULL);
  g_autofree char *missing = g_build_filename (tmpdir, "no-such-robustness-run", NULL);
  g_autofree char *out = g_build_filename (tmpdir, "robustness-agree-out", NULL);
  g_autofree char *script = NULL;
  g_auto(Result) train = { 0 }, bad_run = { 0 }, other_images = { 0 };
  const char *common = "--batch-size 4 --rounds 1 --perturb noise:0.1 --threads 1 --quiet "
                       "--dist-timeout 60";

  run_cli (&train, NULL, "train", "--data", data_dir, "--out", run, "--width", "8",
           "--epochs", "1", "--batch-size", "32", "--threads", "2", "--quiet", NULL);
  g_assert_cmpint (train.status, ==, 0);

  /* Rank 1 fails at once; rank 0 must load its run and reach the
   * agreement before torchrun's agent notices rank 1 gone and ends it (as
   * in faithfulness-two-ranks). */
  g_setenv ("PET_MONITOR_INTERVAL", "45", TRUE);
  script = g_strdup_printf ("if [ \"$RANK\" = 1 ]; then r='%s'; else r='%s'; fi; "
                            "exec \"$CAMTRAIL_CLI\" robustness --run \"$r\" --images 8 "
                            "--out '%s' %s",
                            missing, run, out, common);
  run_torchrun (&bad_run, logs, "/bin/sh", "-c", script, NULL);
  g_unsetenv ("PET_MONITOR_INTERVAL");
  assert_stopped_by_agreement (&bad_run, "rank 1 of 2 failed, so every rank stops:", missing);
  g_assert_false (g_file_test (out, G_FILE_TEST_EXISTS));

  /* Rank 1 was asked for other images: the two summaries, nothing written.
   * Both ranks reach the agreement, so the agent's default check will do. */
  g_free (script);
  script = g_strdup_printf ("if [ \"$RANK\" = 1 ]; then n=6; else n=8; fi; "
                            "exec \"$CAMTRAIL_CLI\" robustness --run '%s' --images $n "
                            "--out '%s' %s",
                            run, out, common);
  run_torchrun (&other_images, logs, "/bin/sh", "-c", script, NULL);
  assert_stopped_by_agreement (&other_images, "rank 1 was started differently from rank 0",
                               "--images 6");
  g_assert_nonnull (strstr (other_images.err, "--images 8"));
  g_assert_false (g_file_test (out, G_FILE_TEST_EXISTS));
}

/* faithfulness --sanity under torchrun: each rank takes every other batch
 * of 2 of the 6 images (3 batches: 2 and 1), for the scores and for the
 * sanity check, and rank 0 writes exactly what one process writes; a rank
 * that cannot set up stops both with its message. */
static void
test_faithfulness_two_ranks (void)
{
  g_autofree char *run = g_build_filename (tmpdir, "faithfulness-run", NULL);
  g_autofree char *single = g_build_filename (tmpdir, "faithfulness-single", NULL);
  g_autofree char *shared = g_build_filename (tmpdir, "faithfulness-two", NULL);
  g_autofree char *logs = g_build_filename (tmpdir, "logs-faithfulness", NULL);
  g_autofree char *missing = g_build_filename (tmpdir, "no-such-run", NULL);
  g_autofree char *failed = g_build_filename (tmpdir, "faithfulness-failed", NULL);
  g_autofree char *script = NULL;
  g_auto(Result) train = { 0 }, one = { 0 }, two = { 0 }, bad_run = { 0 };
  const char *summary;
  gint64 start;
  double one_seconds, two_seconds;
#define STUDY "--run", run, "--images", "6", "--batch-size", "2", "--step", "0.25", \
              "--seed", "3", "--sanity", "--scale", "1", "--threads", "1", "--quiet"

  run_cli (&train, NULL, "train", "--data", data_dir, "--out", run, "--width", "8",
           "--epochs", "1", "--batch-size", "32", "--threads", "2", "--quiet", NULL);
  g_assert_cmpint (train.status, ==, 0);
  start = g_get_monotonic_time ();
  run_cli (&one, NULL, "faithfulness", STUDY, "--out", single, NULL);
  one_seconds = (g_get_monotonic_time () - start) / 1e6;
  g_assert_cmpint (one.status, ==, 0);
  start = g_get_monotonic_time ();
  run_torchrun (&two, logs, "faithfulness", STUDY, "--out", shared, "--dist-timeout", "120",
                NULL);
  two_seconds = (g_get_monotonic_time () - start) / 1e6;
  g_assert_cmpint (two.status, ==, 0);
#undef STUDY
  g_test_message ("faithfulness --sanity, 6 images: one process %.1f s, two ranks %.1f s",
                  one_seconds, two_seconds);

  assert_same_file (single, shared, "faithfulness.csv");
  assert_same_file (single, shared, "faithfulness.json");
  assert_same_file (single, shared, "sanity.csv");
  assert_same_file (single, shared, "sanity.json");
  /* The summaries are rank 0's alone. */
  summary = strstr (two.out, "deletion AUC");
  g_assert_nonnull (summary);
  g_assert_null (strstr (summary + 1, "deletion AUC"));
  summary = strstr (two.out, "randomisation sanity check");
  g_assert_nonnull (summary);
  g_assert_null (strstr (summary + 1, "randomisation sanity check"));

  /* Rank 1 cannot open its run: rank 0 stops with rank 1's message, before
   * anything is written (the agent's monitor as in setup-agreement). */
  /* Rank 1 fails at once; rank 0 must load its run and reach the
   * agreement before the agent's next check ends it: 15 s was too short
   * once, with the suite's other tests beside it, so 45 (the command then
   * ends at the agent's next check: this case takes about a minute). */
  g_setenv ("PET_MONITOR_INTERVAL", "45", TRUE);
  script = g_strdup_printf ("if [ \"$RANK\" = 1 ]; then r='%s'; else r='%s'; fi; "
                            "exec \"$CAMTRAIL_CLI\" faithfulness --run \"$r\" --images 6 "
                            "--batch-size 2 --step 0.25 --quiet --out '%s' --dist-timeout 60",
                            missing, run, failed);
  run_torchrun (&bad_run, logs, "/bin/sh", "-c", script, NULL);
  g_unsetenv ("PET_MONITOR_INTERVAL");
  assert_stopped_by_agreement (&bad_run, "rank 1 of 2 failed, so every rank stops:", missing);
  g_assert_false (g_file_test (failed, G_FILE_TEST_EXISTS));
}

/* Ranks started differently (a shell gives rank 1 other arguments): every
 * rank stops with rank 1's own message, before anything is written. */
static void
test_setup_agreement (void)
{
  g_autofree char *run = g_build_filename (tmpdir, "disagree", NULL);
  g_autofree char *logs = g_build_filename (tmpdir, "logs-agree", NULL);
  g_autofree char *missing = g_build_filename (tmpdir, "no-such-data", NULL);
  g_autofree char *script = NULL;
  g_auto(Result) bad_data = { 0 }, other_epochs = { 0 };
  const char *common = "--width 8 --batch-size 32 --threads 1 --quiet --dist-timeout 60";

  /* torchrun's agent ends the other ranks once one has failed, checking
   * every 5 s by default: time enough for rank 0 to start, read its
   * dataset and say why, even on a loaded machine. */
  g_setenv ("PET_MONITOR_INTERVAL", "15", TRUE);

  /* Rank 1 cannot read its dataset: rank 0 says so too. */
  script = g_strdup_printf ("if [ \"$RANK\" = 1 ]; then d='%s'; else d='%s'; fi; "
                            "exec \"$CAMTRAIL_CLI\" train --data \"$d\" --out '%s' --epochs 2 %s",
                            missing, data_dir, run, common);
  run_torchrun (&bad_data, logs, "/bin/sh", "-c", script, NULL);
  if (g_test_verbose ())
    g_printerr ("stderr:\n%s\n", bad_data.err);
  g_assert_cmpint (bad_data.status, !=, 0);
  g_assert_nonnull (strstr (bad_data.err, "rank 1 of 2 failed, so every rank stops:"));
  g_assert_nonnull (strstr (strstr (bad_data.err, "rank 1 of 2 failed, so every rank stops:"),
                            missing));
  g_assert_null (strstr (bad_data.err, "another rank has died"));
  g_assert_false (g_file_test (run, G_FILE_TEST_EXISTS));

  /* Rank 1 was asked for another number of epochs. */
  g_free (script);
  script = g_strdup_printf ("if [ \"$RANK\" = 1 ]; then e=3; else e=2; fi; "
                            "exec \"$CAMTRAIL_CLI\" train --data '%s' --out '%s' --epochs $e %s",
                            data_dir, run, common);
  run_torchrun (&other_epochs, logs, "/bin/sh", "-c", script, NULL);
  g_assert_cmpint (other_epochs.status, !=, 0);
  g_assert_nonnull (strstr (other_epochs.err, "rank 1 was started differently from rank 0"));
  g_assert_nonnull (strstr (other_epochs.err, "--epochs 3"));
  g_assert_false (g_file_test (run, G_FILE_TEST_EXISTS));
  g_unsetenv ("PET_MONITOR_INTERVAL");
}

/* Two ranks started by hand, as torchrun's variables make them (no agent:
 * rank 0 holds the store, as under a c10d rendezvous across hosts):
 * `$CAMTRAIL_CLI COMMAND @args0` on rank 0 and @args1 on rank 1, both
 * at once.  @result gets "STATUS0 STATUS1" on stdout and, on stderr, each
 * rank's after a "--- rank R" line; returns the seconds until both had
 * ended. */
static double
run_two_ranks (Result     *result,
               const char *command,
               const char *args0,
               const char *args1)
{
  g_autofree char *err0 = g_build_filename (tmpdir, "rank-0.err", NULL);
  g_autofree char *err1 = g_build_filename (tmpdir, "rank-1.err", NULL);
  g_autofree char *script = g_strdup_printf (
    "export WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=%u; "
    "RANK=0 LOCAL_RANK=0 \"$CAMTRAIL_CLI\" %s %s 2>'%s' & p0=$!; "
    "RANK=1 LOCAL_RANK=1 \"$CAMTRAIL_CLI\" %s %s 2>'%s' & p1=$!; "
    "wait $p0; s0=$?; wait $p1; s1=$?; echo \"$s0 $s1\"; "
    "echo '--- rank 0' >&2; cat '%s' >&2; echo '--- rank 1' >&2; cat '%s' >&2",
    free_port (), command, args0, err0, command, args1, err1, err0, err1);
  const char *argv[] = { "/bin/sh", "-c", script, NULL };
  gint64 start = g_get_monotonic_time ();
  double seconds;

  ct_test_run (result, argv, NULL, G_SPAWN_DEFAULT);
  seconds = (g_get_monotonic_time () - start) / 1e6;
  g_test_message ("%s on two ranks: both ended after %.1f s", command, seconds);
  return seconds;
}

/* Rank @rank's stderr in a run_two_ranks() result. */
static char *
rank_err (const Result *result,
          int           rank)
{
  const char *start = strstr (result->err, rank == 0 ? "--- rank 0\n" : "--- rank 1\n");
  const char *end = rank == 0 ? strstr (result->err, "--- rank 1\n") : NULL;

  g_assert_nonnull (start);
  start += strlen ("--- rank 0\n");
  return end != NULL ? g_strndup (start, end - start) : g_strdup (start);
}

/* Rank @rank of @result said @expected, with nothing else on its line:
 * one message, naming the failing rank. */
static void
assert_rank_said (const Result *result,
                  int           rank,
                  const char   *expected)
{
  g_autofree char *err = rank_err (result, rank);
  g_autofree char *line = g_strconcat (expected, "\n", NULL);

  if (strstr (err, line) == NULL)
    g_test_message ("rank %d's stderr: %s", rank, err);
  g_assert_nonnull (strstr (err, line));
}

/* A rank that stops at its options, before it joins the group, still
 * tells the others: each ends at once with its message, far within
 * --dist-timeout (the others would otherwise wait for it at the
 * rendezvous that long).  Rank 1 given an unknown option, under train;
 * rank 0, which holds the store, without --run, under robustness; rank 1
 * with --step 2, under faithfulness; rank 1 with --images 1, under study. */
static void
test_usage_error_stops_every_rank (void)
{
  g_autofree char *out = g_build_filename (tmpdir, "usage-out", NULL);
  g_autofree char *run = g_build_filename (tmpdir, "usage-run", NULL);
  g_autofree char *train_args = NULL, *robustness_args = NULL, *robustness_out = NULL;
  g_auto(Result) bad_option = { 0 }, no_run = { 0 }, train = { 0 };
  /* Seconds the ranks may take to start, read their data and stop: far
   * below the timeout they are given. */
  const double timeout = 120, bound = 60;

  train_args = g_strdup_printf ("--data '%s' --out '%s' --width 8 --epochs 1 --batch-size 32 "
                                "--threads 1 --quiet --dist-timeout %g", data_dir, out, timeout);
  {
    g_autofree char *bad_args = g_strconcat (train_args, " --no-such-option", NULL);

    g_assert_cmpfloat (run_two_ranks (&bad_option, "train", train_args, bad_args), <, bound);
  }
  /* Rank 1's own usage error, and rank 0 stopping with it. */
  g_assert_cmpstr (bad_option.out, ==, "1 2\n");
  assert_rank_said (&bad_option, 0, "camtrail-cli train: rank 1 of 2 failed, so every rank "
                                    "stops: Unknown option --no-such-option");
  assert_rank_said (&bad_option, 1, "camtrail-cli train: Unknown option --no-such-option "
                                    "(see camtrail-cli train --help)");
  g_assert_false (g_file_test (out, G_FILE_TEST_EXISTS));

  /* Rank 0 holds the store: it stays until rank 1 has read its word. */
  run_cli (&train, NULL, "train", "--data", data_dir, "--out", run, "--width", "8",
           "--epochs", "1", "--batch-size", "32", "--threads", "2", "--quiet", NULL);
  g_assert_cmpint (train.status, ==, 0);
  robustness_out = g_build_filename (tmpdir, "usage-robustness", NULL);
  robustness_args = g_strdup_printf ("--images 4 --batch-size 2 --perturb noise:0.1 --threads 1 "
                                     "--quiet --out '%s' --dist-timeout %g",
                                     robustness_out, timeout);
  {
    g_autofree char *good_args = g_strdup_printf ("--run '%s' %s", run, robustness_args);

    g_assert_cmpfloat (run_two_ranks (&no_run, "robustness", robustness_args, good_args), <,
                       bound);
  }
  g_assert_cmpstr (no_run.out, ==, "2 1\n");
  assert_rank_said (&no_run, 1, "camtrail-cli robustness: rank 0 of 2 failed, so every rank "
                                "stops: --run is required");
  assert_rank_said (&no_run, 0, "camtrail-cli robustness: --run is required "
                                "(see camtrail-cli robustness --help)");
  g_assert_false (g_file_test (robustness_out, G_FILE_TEST_EXISTS));

  /* faithfulness, rank 1 with a value out of range. */
  {
    g_autofree char *faithfulness_out = g_build_filename (tmpdir, "usage-faithfulness", NULL);
    g_autofree char *good_args = g_strdup_printf ("--run '%s' --images 4 --batch-size 2 "
                                                  "--threads 1 --quiet --out '%s' "
                                                  "--dist-timeout %g",
                                                  run, faithfulness_out, timeout);
    g_autofree char *bad_args = g_strconcat (good_args, " --step 2", NULL);
    g_auto(Result) bad_step = { 0 };

    g_assert_cmpfloat (run_two_ranks (&bad_step, "faithfulness", good_args, bad_args), <,
                       bound);
    g_assert_cmpstr (bad_step.out, ==, "1 2\n");
    assert_rank_said (&bad_step, 0, "camtrail-cli faithfulness: rank 1 of 2 failed, so every "
                                    "rank stops: --step must be in (0, 1]");
    g_assert_false (g_file_test (faithfulness_out, G_FILE_TEST_EXISTS));
  }

  /* study, rank 1 with one image. */
  {
    g_autofree char *study_out = g_build_filename (tmpdir, "usage-study", NULL);
    g_autofree char *good_args = g_strdup_printf ("--run '%s' --images 4 --batch-size 2 "
                                                  "--threads 1 --quiet --out '%s' "
                                                  "--dist-timeout %g",
                                                  run, study_out, timeout);
    g_autofree char *bad_args = g_strconcat (good_args, " --images 1", NULL);
    g_auto(Result) bad_images = { 0 };

    g_assert_cmpfloat (run_two_ranks (&bad_images, "study", good_args, bad_args), <, bound);
    g_assert_cmpstr (bad_images.out, ==, "1 2\n");
    assert_rank_said (&bad_images, 0, "camtrail-cli study: rank 1 of 2 failed, so every rank "
                                      "stops: --images must be at least 2, other counts positive");
    g_assert_false (g_file_test (study_out, G_FILE_TEST_EXISTS));
  }
}

/* --device cuda under torchrun is each rank's own GPU, cuda:LOCAL_RANK,
 * for robustness, faithfulness and study as for train.  This libtorch has no
 * CUDA: each rank's refusal names the device it was given. */
static void
test_device_per_rank (void)
{
  g_autofree char *run = g_build_filename (tmpdir, "device-run", NULL);
  g_autofree char *out = g_build_filename (tmpdir, "device-out", NULL);
  g_autofree char *args = NULL;
  g_auto(Result) train = { 0 };
  const char *commands[] = { "robustness", "faithfulness", "study" };

  run_cli (&train, NULL, "train", "--data", data_dir, "--out", run, "--width", "8",
           "--epochs", "1", "--batch-size", "32", "--threads", "2", "--quiet", NULL);
  g_assert_cmpint (train.status, ==, 0);
  args = g_strdup_printf ("--run '%s' --images 4 --batch-size 2 --threads 1 --quiet "
                          "--device cuda --out '%s' --dist-timeout 120", run, out);
  for (guint c = 0; c < G_N_ELEMENTS (commands); c++)
    {
      g_auto(Result) two = { 0 };

      run_two_ranks (&two, commands[c], args, args);
      if (g_str_equal (two.out, "0 0\n"))
        {
          g_test_message ("%s: this libtorch has CUDA, and the ranks ran", commands[c]);
          continue;
        }
      g_assert_cmpstr (two.out, ==, "1 1\n");
      for (int rank = 0; rank < 2; rank++)
        {
          g_autofree char *err = rank_err (&two, rank);
          g_autofree char *named = g_strdup_printf ("device \"cuda:%d\" asked for", rank);

          if (strstr (err, named) == NULL)
            g_test_message ("rank %d's stderr: %s", rank, err);
          g_assert_nonnull (strstr (err, named));
        }
      if (g_str_equal (commands[c], "study"))
        {
          g_autofree char *report = g_build_filename (out, "report.html", NULL);

          /* As one process does, it made its empty folders first. */
          g_assert_false (g_file_test (report, G_FILE_TEST_EXISTS));
          ct_test_remove_tree (out);
        }
      g_assert_false (g_file_test (out, G_FILE_TEST_EXISTS));
    }
}

/* import does not share its work out: under torchrun's variables every
 * rank refuses at once, saying why, and writes nothing. */
static void
test_import_refuse (void)
{
  g_autofree char *out = g_build_filename (tmpdir, "refused", NULL);
  g_auto(GStrv) envp = g_get_environ ();
  g_auto(Result) import = { 0 };

  envp = g_environ_setenv (envp, "RANK", "1", TRUE);
  envp = g_environ_setenv (envp, "WORLD_SIZE", "2", TRUE);
  envp = g_environ_setenv (envp, "MASTER_ADDR", "127.0.0.1", TRUE);
  envp = g_environ_setenv (envp, "MASTER_PORT", "1", TRUE);
  run_cli (&import, envp, "import", "--arch", "camtrail_net", "--data", data_dir, "--out", out,
           "no-such.safetensors", NULL);
  g_assert_cmpint (import.status, ==, 2);
  g_assert_nonnull (strstr (import.err, "camtrail-cli import: does not run under torchrun "
                                        "(WORLD_SIZE is set): it converts checkpoint files"));
  g_assert_false (g_file_test (out, G_FILE_TEST_EXISTS));
}

/* The children of @pid, from /proc. */
static GArray *
child_pids (GPid pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/task/%d/children", pid, pid);
  g_autofree char *text = NULL;
  g_auto(GStrv) fields = NULL;
  GArray *pids = g_array_new (FALSE, FALSE, sizeof (GPid));

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return pids;
  fields = g_strsplit (g_strstrip (text), " ", -1);
  for (guint i = 0; fields[i] != NULL; i++)
    if (*fields[i] != '\0')
      {
        GPid child = (GPid) g_ascii_strtoll (fields[i], NULL, 10);
        g_array_append_val (pids, child);
      }
  return pids;
}

/* Whether process @pid has RANK=@rank in its environment. */
static gboolean
has_rank (GPid pid,
          int  rank)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/environ", pid);
  g_autofree char *want = g_strdup_printf ("RANK=%d", rank);
  g_autofree char *environ_text = NULL;
  gsize length = 0;

  if (!g_file_get_contents (path, &environ_text, &length, NULL))
    return FALSE;
  for (gsize at = 0; at < length; at += strlen (environ_text + at) + 1)
    if (g_str_equal (environ_text + at, want))
      return TRUE;
  return FALSE;
}

/* @text with every @from replaced by @to.  Returns: (transfer full). */
static char *
dup_replaced (const char *text,
              const char *from,
              const char *to)
{
  g_auto(GStrv) pieces = g_strsplit (text, from, -1);

  return g_strjoinv (to, pieces);
}

/* Every file of the study in @dir_a (parts, figures, CSVs, JSON, the
 * report) is in @dir_b with the same bytes, and @dir_b holds no other:
 * report.html and the misclassified parts byte for byte but for the
 * folder they name, and report.pdf, which records when it was
 * made, is only there. */
static void
assert_same_study (const char *dir_a,
                   const char *dir_b)
{
  const char *const subdirs[] = { "", "parts", "figures" };

  for (guint d = 0; d < G_N_ELEMENTS (subdirs); d++)
    {
      g_autofree char *sub_a = g_build_filename (dir_a, subdirs[d], NULL);
      g_autofree char *sub_b = g_build_filename (dir_b, subdirs[d], NULL);
      g_autoptr(GDir) a = g_dir_open (sub_a, 0, NULL);
      g_autoptr(GDir) b = g_dir_open (sub_b, 0, NULL);
      guint n_a = 0, n_b = 0;
      const char *name;

      g_assert_nonnull (a);
      g_assert_nonnull (b);
      while ((name = g_dir_read_name (a)) != NULL)
        {
          g_autofree char *path = g_build_filename (sub_a, name, NULL);

          n_a++;
          if (g_file_test (path, G_FILE_TEST_IS_DIR))
            continue;
          if (g_str_equal (name, "report.pdf"))
            {
              g_autofree char *other = g_build_filename (sub_b, name, NULL);

              g_assert_true (g_file_test (other, G_FILE_TEST_IS_REGULAR));
            }
          else if (g_str_equal (name, "report.html") ||
                   (g_str_has_prefix (name, "misclassified-") && g_str_has_suffix (name, ".json")))
            {
              g_autofree char *text_a = NULL, *text_b = NULL, *other = NULL;
              g_autofree char *text_b_as_a = NULL;

              other = g_build_filename (sub_b, name, NULL);
              g_assert_true (g_file_get_contents (path, &text_a, NULL, NULL));
              g_assert_true (g_file_get_contents (other, &text_b, NULL, NULL));
              text_b_as_a = dup_replaced (text_b, dir_b, dir_a);
              if (!g_str_equal (text_b_as_a, text_a))
                g_error ("%s differs from %s", other, path);
            }
          else
            {
              g_autofree char *bytes_a = NULL, *bytes_b = NULL, *other = NULL;
              gsize length_a = 0, length_b = 0;

              other = g_build_filename (sub_b, name, NULL);
              g_assert_true (g_file_get_contents (path, &bytes_a, &length_a, NULL));
              g_assert_true (g_file_get_contents (other, &bytes_b, &length_b, NULL));
              if (length_a != length_b || memcmp (bytes_a, bytes_b, length_a) != 0)
                g_error ("%s (%" G_GSIZE_FORMAT " bytes) differs from %s (%" G_GSIZE_FORMAT
                         " bytes)", other, length_b, path, length_a);
            }
        }
      while (g_dir_read_name (b) != NULL)
        n_b++;
      g_assert_cmpuint (n_b, ==, n_a);
    }
}

/* Starts torchrun with @args (with PET_MONITOR_INTERVAL=@monitor_interval
 * unless NULL), kills rank 1 with SIGKILL once @first exists, and waits
 * for the launcher, which must fail.  Returns its stderr. */
static char *
kill_rank1_once (GPtrArray  *args,
                 const char *first,
                 const char *monitor_interval)
{
  g_autoptr(GError) error = NULL;
  GPid launcher = 0, victim = 0;
  int err_fd = -1, wait_status = 0;
  gint64 deadline;
  pid_t ended = 0;
  char *err = NULL;

  if (monitor_interval != NULL)
    g_setenv ("PET_MONITOR_INTERVAL", monitor_interval, TRUE);
  g_spawn_async_with_pipes (NULL, (char **) args->pdata, NULL, G_SPAWN_DO_NOT_REAP_CHILD, NULL,
                            NULL, &launcher, NULL, NULL, &err_fd, &error);
  if (monitor_interval != NULL)
    g_unsetenv ("PET_MONITOR_INTERVAL");
  g_assert_no_error (error);
  deadline = g_get_monotonic_time () + 180 * G_USEC_PER_SEC;
  while (!g_file_test (first, G_FILE_TEST_EXISTS))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_assert_cmpint (waitpid (launcher, &wait_status, WNOHANG), ==, 0);
      g_usleep (20000);
    }
  while (victim == 0)
    {
      g_autoptr(GArray) children = child_pids (launcher);

      for (guint i = 0; i < children->len; i++)
        if (has_rank (g_array_index (children, GPid, i), 1))
          victim = g_array_index (children, GPid, i);
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
    }
  g_assert_cmpint (kill (victim, SIGKILL), ==, 0);
  while ((ended = waitpid (launcher, &wait_status, WNOHANG)) == 0)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (20000);
    }
  g_assert_cmpint (ended, ==, launcher);
  g_assert_false (WIFEXITED (wait_status) && WEXITSTATUS (wait_status) == 0);
  {
    g_autoptr(GIOChannel) channel = g_io_channel_unix_new (err_fd);

    g_io_channel_set_close_on_unref (channel, TRUE);
    g_io_channel_read_to_end (channel, &err, NULL, &error);
    g_assert_no_error (error);
  }
  return err;
}

/* study under torchrun: the measurements over images (robustness, the
 * neighbouring checkpoints, faithfulness, the sanity check) take every
 * other batch of 2 of the 6 images on each rank, and rank 0 writes exactly
 * the study one process writes.  Resumed on two ranks, with parts gone
 * from rank 0's folder, the ranks measure only those again, alike.  A rank
 * killed in the middle stops the other with a message, leaving whole parts
 * only, from which one process finishes the same study. */
static void
test_study_two_ranks (void)
{
  g_autofree char *run = g_build_filename (tmpdir, "study-run", NULL);
  g_autofree char *single = g_build_filename (tmpdir, "study-single", NULL);
  g_autofree char *shared = g_build_filename (tmpdir, "study-two", NULL);
  g_autofree char *killed = g_build_filename (tmpdir, "study-killed", NULL);
  g_autofree char *logs = g_build_filename (tmpdir, "logs-study", NULL);
  g_autofree char *first = g_build_filename (killed, "parts", "robustness-000.json", NULL);
  g_autofree char *killed_parts = g_build_filename (killed, "parts", NULL);
  g_autofree char *killed_report = g_build_filename (killed, "report.html", NULL);
  g_autofree char *err = NULL;
  g_auto(Result) train = { 0 }, one = { 0 }, two = { 0 }, again = { 0 }, resumed = { 0 };
  g_autoptr(GPtrArray) args = NULL;
  const char *summary;
#define STUDY "--run", run, "--images", "6", "--batch-size", "2", "--seed", "3", \
              "--methods", "gradcam", "--sanity", "--threads", "1", "--quiet"

  run_cli (&train, NULL, "train", "--data", data_dir, "--out", run, "--width", "8",
           "--epochs", "2", "--batch-size", "32", "--threads", "2", "--quiet", NULL);
  g_assert_cmpint (train.status, ==, 0);
  run_cli (&one, NULL, "study", STUDY, "--out", single, NULL);
  g_assert_cmpint (one.status, ==, 0);
  run_torchrun (&two, logs, "study", STUDY, "--out", shared, "--dist-timeout", "120", NULL);
  if (two.status != 0)
    g_test_message ("torchrun's stderr: %s", two.err);
  g_assert_cmpint (two.status, ==, 0);
  assert_same_study (single, shared);
  /* The summary is rank 0's alone. */
  summary = strstr (two.out, "report.html: study of");
  g_assert_nonnull (summary);
  g_assert_null (strstr (summary + 1, "report.html: study of"));

  /* Rank 0 alone knows which parts its folder holds. */
  {
    const char *const gone[] = { "robustness-001.json", "neighbours.json",
                                 "faithfulness-gradcam.json", "report.html" };

    for (guint i = 0; i < G_N_ELEMENTS (gone); i++)
      {
        g_autofree char *path = g_build_filename (shared, i + 1 < G_N_ELEMENTS (gone) ? "parts"
                                                                                  : "", gone[i],
                                                  NULL);

        g_assert_cmpint (g_remove (path), ==, 0);
      }
  }
  run_torchrun (&again, logs, "study", STUDY, "--out", shared, "--dist-timeout", "120", NULL);
  if (again.status != 0)
    g_test_message ("torchrun's stderr: %s", again.err);
  g_assert_cmpint (again.status, ==, 0);
  assert_same_study (single, shared);

  /* Rank 1 dies once the first part is written.  torchrun's agent would
   * end rank 0 at its next check, maybe before rank 0 says why. */
  {
    const char *cli_args[] = { "study", STUDY, "--out", killed, "--dist-timeout", "60", NULL };

    args = torchrun_argv (logs, cli_args);
  }
#undef STUDY
  err = kill_rank1_once (args, first, "15");
  if (strstr (err, "another rank has died or cannot be reached") == NULL)
    g_test_message ("torchrun's stderr: %s", err);
  g_assert_nonnull (strstr (err, "camtrail-cli study: rank 0 of 2"));
  g_assert_nonnull (strstr (err, "another rank has died or cannot be reached"));
  /* What a study leaves behind, not training's checkpoint. */
  g_assert_nonnull (strstr (err, "; the study keeps the parts it finished, and resumes from them"));
  g_assert_null (strstr (err, "last complete checkpoint"));
  g_assert_false (g_file_test (killed_report, G_FILE_TEST_EXISTS));
  assert_no_temporaries (killed);
  assert_no_temporaries (killed_parts);

  /* What was written is whole: one process finishes the same study. */
  run_cli (&resumed, NULL, "study", "--run", run, "--images", "6", "--batch-size", "2",
           "--seed", "3", "--methods", "gradcam", "--sanity", "--threads", "2", "--quiet",
           "--out", killed, NULL);
  g_assert_cmpint (resumed.status, ==, 0);
  assert_same_study (single, killed);
}

static void
test_kill_rank_then_resume_alone (void)
{
  g_autofree char *run = g_build_filename (tmpdir, "killed", NULL);
  g_autofree char *logs = g_build_filename (tmpdir, "logs-kill", NULL);
  g_autofree char *first = NULL;
  g_autofree char *err = NULL;
  g_autoptr(GPtrArray) args = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(CtManifest) manifest = NULL;
  g_autoptr(GArray) epochs = NULL;
  g_auto(Result) resume = { 0 }, eval = { 0 };
  guint committed = 0;

  first = ct_run_dup_checkpoint_path (run, 1);
  {
    const char *cli_args[] = { "train", "--data", data_dir, "--out", run, "--arch", "camtrail_net",
                               "--width", "8", "--epochs", "6", "--batch-size", "32",
                               "--threads", "1", "--seed", "3", "--dist-timeout", "60", NULL };

    args = torchrun_argv (logs, cli_args);
  }
  /* Once epoch 1 is committed, rank 1 dies.  The launcher and rank 0 end,
   * saying why, well before the 60 s timeout would: rank 0 sees the
   * connection close. */
  err = kill_rank1_once (args, first, NULL);
  if (g_test_verbose ())
    g_printerr ("stderr:\n%s\n", err);
  g_assert_nonnull (strstr (err, "camtrail-cli train: rank 0 of 2"));
  g_assert_nonnull (strstr (err, "another rank has died or cannot be reached"));
  g_assert_nonnull (strstr (err, "; the run keeps its last complete checkpoint"));

  /* Nothing half-written; the run ends at a complete checkpoint, which one
   * process continues to the end. */
  assert_no_temporaries (run);
  epochs = ct_run_list_checkpoints (run, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (epochs->len, >=, 2);
  g_assert_cmpuint (epochs->len, <, 7);
  committed = epochs->len;
  run_cli (&resume, NULL, "train", "--resume", "--out", run, "--threads", "2", "--quiet", NULL);
  g_assert_cmpint (resume.status, ==, 0);
  manifest = ct_manifest_load (run, &error);
  g_assert_no_error (error);
  /* The run was created by two ranks and goes on with one. */
  g_assert_cmpint (manifest->world_size, ==, 2);
  g_assert_cmpuint (manifest->n_segments, ==, 2);
  g_assert_cmpint (manifest->segments[0].first_epoch, ==, 1);
  g_assert_cmpint (manifest->segments[0].world_size, ==, 2);
  g_assert_cmpstr (manifest->segments[0].backend, ==, "gloo");
  g_assert_cmpint (manifest->segments[1].world_size, ==, 1);
  g_assert_null (manifest->segments[1].backend);
  g_assert_cmpint (manifest->segments[1].first_epoch, >=, 2);
  g_assert_cmpint (manifest->segments[1].first_epoch, <=, (int) committed);
  g_array_unref (epochs);
  epochs = ct_run_list_checkpoints (run, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (epochs->len, ==, 7);
  run_cli (&eval, NULL, "eval", "--run", run, NULL);
  g_assert_cmpint (eval.status, ==, 0);
}

/* A rank whose peers never come ends with a message naming it and the
 * endpoint, after the timeout, and writes nothing. */
static void
test_cannot_connect (void)
{
  g_autofree char *run = g_build_filename (tmpdir, "alone", NULL);
  g_autofree char *port = g_strdup_printf ("%u", free_port ());
  g_autofree char *endpoint = g_strdup_printf ("127.0.0.1:%s", port);
  g_auto(GStrv) envp = g_get_environ ();
  g_auto(Result) alone = { 0 };

  envp = g_environ_setenv (envp, "RANK", "1", TRUE);
  envp = g_environ_setenv (envp, "WORLD_SIZE", "2", TRUE);
  envp = g_environ_setenv (envp, "MASTER_ADDR", "127.0.0.1", TRUE);
  envp = g_environ_setenv (envp, "MASTER_PORT", port, TRUE);
  run_cli (&alone, envp, "train", "--data", data_dir, "--out", run, "--width", "8",
           "--epochs", "1", "--batch-size", "32", "--dist-timeout", "3", NULL);
  g_assert_cmpint (alone.status, ==, 1);
  g_assert_nonnull (strstr (alone.err, "rank 1 of 2 could not join the others at"));
  g_assert_nonnull (strstr (alone.err, endpoint));
  g_assert_false (g_file_test (run, G_FILE_TEST_EXISTS));
}

int
main (int    argc,
      char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  g_assert_nonnull (g_getenv ("CAMTRAIL_CLI"));
  torchrun = g_find_program_in_path ("torchrun");
  if (torchrun == NULL)
    {
      g_printerr ("SKIP: torchrun is not installed (Debian's python3-torch has it: "
                  "scripts/install-deps --tests)\n");
      return 77;
    }
  tmpdir = ct_test_make_tmpdir ();
  g_setenv ("XDG_CACHE_HOME", tmpdir, TRUE);
  data_dir = g_build_filename (tmpdir, "squares", NULL);
  g_mkdir (data_dir, 0755);
  /* 65 test images: no slice of them has the whole set's accuracy but 0 or 1. */
  g_free (ct_test_write_squares (data_dir, 256, 65, 1));

  g_test_add_func ("/cli-dist/train-two-ranks", test_train_two_ranks);
  g_test_add_func ("/cli-dist/sync-bn-matches-one-process", test_sync_bn_matches_one_process);
  g_test_add_func ("/cli-dist/gradient-buckets", test_gradient_buckets);
  g_test_add_func ("/cli-dist/robustness-two-ranks", test_robustness_two_ranks);
  g_test_add_func ("/cli-dist/robustness-setup-agreement", test_robustness_setup_agreement);
  g_test_add_func ("/cli-dist/faithfulness-two-ranks", test_faithfulness_two_ranks);
  g_test_add_func ("/cli-dist/setup-agreement", test_setup_agreement);
  g_test_add_func ("/cli-dist/usage-error-stops-every-rank", test_usage_error_stops_every_rank);
  g_test_add_func ("/cli-dist/device-per-rank", test_device_per_rank);
  g_test_add_func ("/cli-dist/study-two-ranks", test_study_two_ranks);
  g_test_add_func ("/cli-dist/import-refuse", test_import_refuse);
  g_test_add_func ("/cli-dist/kill-rank-then-resume-alone", test_kill_rank_then_resume_alone);
  g_test_add_func ("/cli-dist/cannot-connect", test_cannot_connect);
  status = g_test_run ();

  ct_test_remove_tree (tmpdir);
  g_free (tmpdir);
  g_free (data_dir);
  g_free (torchrun);
  return status;
}
