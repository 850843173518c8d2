/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "ct-run.h"
#include "ct-safetensors.h"
#include "ct-test-data.h"

/* camtrail-cli ($CAMTRAIL_CLI) when things go wrong around it: training
 * killed at random moments, a disk that fills up, a run whose checkpoints
 * disagree with its manifest.  One uninterrupted reference run is the
 * yardstick: whatever happens, resuming must end in its exact weights. */

#define EPOCHS 3
#define SEED "5"
/* Kills in all, and how many a chain of resumes takes before it may finish. */
#define MIN_KILLS 20
#define KILLS_PER_CHAIN 5

static char *tmpdir;
static char *data_dir;
static char *reference_dir;
/* One epoch, training and test, of the reference run; sizes the random
 * delays of the kills. */
static double epoch_seconds;

static const char * const train_args[] = {
  "train", "--arch", "camtrail_net", "--width", "8", "--epochs", G_STRINGIFY (EPOCHS),
  "--batch-size", "32", "--threads", "2", "--seed", SEED, "--quiet", NULL
};

/* A training in flight: its process and the file its stderr goes to. */
typedef struct {
  GPid   pid;
  char  *err_path;
} Child;

static GPtrArray *
train_argv (const char *out,
            gboolean    resume)
{
  GPtrArray *argv = g_ptr_array_new ();

  g_ptr_array_add (argv, (char *) g_getenv ("CAMTRAIL_CLI"));
  if (resume)
    {
      g_ptr_array_add (argv, (char *) "train");
      g_ptr_array_add (argv, (char *) "--resume");
      g_ptr_array_add (argv, (char *) "--threads");
      g_ptr_array_add (argv, (char *) "2");
      g_ptr_array_add (argv, (char *) "--quiet");
    }
  else
    {
      for (guint i = 0; train_args[i] != NULL; i++)
        g_ptr_array_add (argv, (char *) train_args[i]);
      g_ptr_array_add (argv, (char *) "--data");
      g_ptr_array_add (argv, (char *) data_dir);
    }
  g_ptr_array_add (argv, (char *) "--out");
  g_ptr_array_add (argv, (char *) out);
  g_ptr_array_add (argv, NULL);
  return argv;
}

/* Runs the CLI to its end; @child_setup runs in the child before exec. */
static int
run_cli_argv (char           **argv,
              GSpawnChildSetupFunc child_setup,
              gpointer         user_data,
              char           **out_err)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  int wait_status = 0;

  g_spawn_sync (NULL, argv, NULL, G_SPAWN_DEFAULT, child_setup, user_data,
                &out, out_err, &wait_status, &error);
  g_assert_no_error (error);
  if (g_test_verbose ())
    g_printerr ("%s: exit %d\n%s", argv[1], wait_status, out_err != NULL ? *out_err : "");
  return WIFEXITED (wait_status) ? WEXITSTATUS (wait_status) : -1;
}

static int
run_cli (char **out_err,
         ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  const char *arg;
  va_list ap;

  g_ptr_array_add (argv, (char *) g_getenv ("CAMTRAIL_CLI"));
  va_start (ap, out_err);
  while ((arg = va_arg (ap, const char *)) != NULL)
    g_ptr_array_add (argv, (char *) arg);
  va_end (ap);
  g_ptr_array_add (argv, NULL);
  return run_cli_argv ((char **) argv->pdata, NULL, NULL, out_err);
}

static int
count_lines (const char *text)
{
  int n = 0;

  for (const char *p = text; *p != '\0'; p++)
    n += *p == '\n';
  return n;
}

static gboolean
is_checkpoint_name (const char *name)
{
  return g_str_has_prefix (name, "epoch-") && g_str_has_suffix (name, ".safetensors");
}

/* NAME.XXXXXX, the temporary file of an atomic write of one of the run's
 * files (g_file_set_contents() names them so). */
static gboolean
is_temporary_name (const char *name)
{
  const char *dot = strrchr (name, '.');
  g_autofree char *target = NULL;

  if (dot == NULL || strlen (dot + 1) != 6)
    return FALSE;
  target = g_strndup (name, dot - name);
  return is_checkpoint_name (target) || g_str_equal (target, "manifest.json") ||
         g_str_equal (target, "metrics.jsonl") || g_str_equal (target, "optimizer.safetensors");
}

/* The temporary files in @dir that @before (nullable) does not hold. */
static GHashTable *
list_temporaries (const char *dir,
                  GHashTable *before)
{
  GHashTable *found = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    if (is_temporary_name (name) && (before == NULL || !g_hash_table_contains (before, name)))
      g_hash_table_add (found, g_strdup (name));
  return found;
}

static guint
count_temporaries (const char *dir)
{
  g_autoptr(GHashTable) found = list_temporaries (dir, NULL);

  return g_hash_table_size (found);
}

static void
copy_file (const char *from,
           const char *to)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  gsize size = 0;

  g_file_get_contents (from, &contents, &size, &error);
  g_assert_no_error (error);
  g_file_set_contents (to, contents, size, &error);
  g_assert_no_error (error);
}

static char *
copy_run (const char *name)
{
  g_autoptr(GDir) dir = g_dir_open (reference_dir, 0, NULL);
  char *copy = g_build_filename (tmpdir, name, NULL);
  const char *entry;

  g_assert_cmpint (g_mkdir (copy, 0755), ==, 0);
  while ((entry = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *from = g_build_filename (reference_dir, entry, NULL);
      g_autofree char *to = g_build_filename (copy, entry, NULL);

      copy_file (from, to);
    }
  return copy;
}

static GBytes *
read_bytes (const char *path)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  gsize size = 0;

  g_file_get_contents (path, &contents, &size, &error);
  g_assert_no_error (error);
  return g_bytes_new_take (g_steal_pointer (&contents), size);
}

static void
assert_same_file (const char *path,
                  GBytes     *expected)
{
  g_autoptr(GBytes) found = read_bytes (path);

  if (!g_bytes_equal (found, expected))
    g_error ("%s changed", path);
}

/* The metrics hold epochs 0 to @last, each once, in order. */
static void
assert_metrics_complete (const char *run,
                         int         last)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) metrics = ct_metrics_load (run, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (metrics->len, ==, last + 1);
  for (guint i = 0; i < metrics->len; i++)
    g_assert_cmpint (g_array_index (metrics, CtEpochMetrics, i).epoch, ==, i);
}

static void
test_reference (void)
{
  g_autoptr(GPtrArray) argv = train_argv (reference_dir, FALSE);
  g_autoptr(GArray) metrics = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *err = NULL;
  gint64 start = g_get_monotonic_time ();

  g_assert_cmpint (run_cli_argv ((char **) argv->pdata, NULL, NULL, &err), ==, 0);
  metrics = ct_metrics_load (reference_dir, &error);
  g_assert_no_error (error);
  for (guint i = 1; i < metrics->len; i++)
    epoch_seconds = MAX (epoch_seconds, 2 * g_array_index (metrics, CtEpochMetrics, i).seconds);
  epoch_seconds = MAX (epoch_seconds, 0.05);
  assert_metrics_complete (reference_dir, EPOCHS);
  g_test_message ("reference run: %.1f s, an epoch about %.2f s",
                  (g_get_monotonic_time () - start) / 1e6, epoch_seconds);
}

/* Killed training ------------------------------------------------------------ */

static void
spawn_training (const char *run,
                Child      *child)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *manifest = g_build_filename (run, "manifest.json", NULL);
  /* A training killed before its manifest was committed left no run to
   * resume: the user starts it again, as here. */
  g_autoptr(GPtrArray) argv = train_argv (run, g_file_test (manifest, G_FILE_TEST_EXISTS));
  int err_fd;

  child->err_path = g_build_filename (tmpdir, "train-stderr.txt", NULL);
  err_fd = g_open (child->err_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  g_assert_cmpint (err_fd, >=, 0);
  g_spawn_async_with_pipes_and_fds (NULL, (const char * const *) argv->pdata, NULL,
                                    G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL,
                                    NULL, NULL, -1, -1, err_fd, NULL, NULL, 0,
                                    &child->pid, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  close (err_fd);
}

/* Polls the run directory until the kill condition holds or the child
 * exits.  Returns TRUE if it killed the child. */
static gboolean
watch_and_kill (const char *run,
                Child      *child,
                GHashTable *stale,
                GRand      *rand,
                int        *out_status)
{
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  /* Half the kills aim at a write in progress: the Nth temporary file seen.
   * The others land at a random moment of an epoch once the run has begun
   * writing, mostly while it computes. */
  gboolean aim_at_write = g_rand_boolean (rand);
  guint writes_to_skip = g_rand_int_range (rand, 0, 7);
  double delay = g_rand_double_range (rand, 0, 1.5 * epoch_seconds);
  gint64 started_writing = -1;

  for (;;)
    {
      g_autoptr(GDir) dir = g_dir_open (run, 0, NULL);
      const char *name;
      gboolean kill_now = FALSE;

      if (waitpid (child->pid, out_status, WNOHANG) == child->pid)
        return FALSE;

      while (dir != NULL && (name = g_dir_read_name (dir)) != NULL && !kill_now)
        {
          if (!is_temporary_name (name) || g_hash_table_contains (seen, name) ||
              g_hash_table_contains (stale, name))
            continue;
          g_hash_table_add (seen, g_strdup (name));
          if (started_writing < 0)
            started_writing = g_get_monotonic_time ();
          kill_now = aim_at_write && g_hash_table_size (seen) > writes_to_skip;
        }
      if (!aim_at_write && started_writing >= 0 &&
          g_get_monotonic_time () - started_writing >= delay * 1e6)
        kill_now = TRUE;

      if (kill_now)
        {
          g_assert_cmpint (kill (child->pid, SIGKILL), ==, 0);
          g_assert_cmpint (waitpid (child->pid, out_status, 0), ==, child->pid);
          return TRUE;
        }
      g_usleep (200);
    }
}

/* What must hold however a training was interrupted: each committed
 * checkpoint loads whole, and the manifest and metrics, if there, load. */
static void
assert_run_consistent (const char *run)
{
  g_autofree char *first = g_build_filename (reference_dir, "epoch-000.safetensors", NULL);
  g_autoptr(CtSafetensors) reference = ct_safetensors_load (first, NULL);
  g_autofree char *manifest_path = g_build_filename (run, "manifest.json", NULL);
  g_autoptr(GArray) epochs = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GDir) dir = g_dir_open (run, 0, NULL);
  const char *name;
  guint n_checkpoints = 0;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (run, name, NULL);
      g_autoptr(CtSafetensors) checkpoint = NULL;

      if (!is_checkpoint_name (name))
        continue;
      checkpoint = ct_safetensors_load (path, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (ct_safetensors_get_n_tensors (checkpoint), ==,
                        ct_safetensors_get_n_tensors (reference));
      n_checkpoints++;
    }

  /* Only the committed names count as checkpoints, never a temporary. */
  epochs = ct_run_list_checkpoints (run, NULL);
  g_assert_cmpuint (epochs != NULL ? epochs->len : 0, ==, n_checkpoints);

  if (g_file_test (manifest_path, G_FILE_TEST_EXISTS))
    {
      g_autoptr(CtManifest) manifest = ct_manifest_load (run, &error);
      g_autoptr(GArray) metrics = NULL;

      g_assert_no_error (error);
      metrics = ct_metrics_load (run, &error);
      g_assert_no_error (error);
    }
}

static void
test_killed_training (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (20261126);
  guint kills = 0, mid_write = 0, chains = 0;
  gint64 start = g_get_monotonic_time ();

  while (kills < MIN_KILLS)
    {
      g_autofree char *name = g_strdup_printf ("killed-%u", chains++);
      g_autofree char *run = g_build_filename (tmpdir, name, NULL);
      guint chain_kills = 0;
      int status = 0;

      for (;;)
        {
          /* Left by the kill before, which this training removes. */
          g_autoptr(GHashTable) stale = list_temporaries (run, NULL);
          Child child = { 0 };

          spawn_training (run, &child);
          if (chain_kills < KILLS_PER_CHAIN &&
              watch_and_kill (run, &child, stale, rand, &status))
            {
              g_autoptr(GHashTable) left = list_temporaries (run, stale);

              kills++;
              chain_kills++;
              /* A kill during a write leaves its temporary file behind. */
              mid_write += g_hash_table_size (left) > 0;
              assert_run_consistent (run);
              g_free (child.err_path);
              continue;
            }

          if (chain_kills >= KILLS_PER_CHAIN)
            g_assert_cmpint (waitpid (child.pid, &status, 0), ==, child.pid);
          if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
            {
              g_autofree char *err = NULL;

              g_file_get_contents (child.err_path, &err, NULL, NULL);
              g_error ("%s: training after %u kills ended with status %d: %s",
                       run, chain_kills, status, err);
            }
          g_free (child.err_path);
          break;
        }

      /* Finished: the same weights as the uninterrupted run, every epoch's
       * metrics once, and no temporary file left. */
      assert_run_consistent (run);
      for (int epoch = 0; epoch <= EPOCHS; epoch++)
        {
          g_autofree char *expected = ct_run_dup_checkpoint_path (reference_dir, epoch);
          g_autofree char *found = ct_run_dup_checkpoint_path (run, epoch);

          ct_test_assert_same_weights (expected, found);
        }
      assert_metrics_complete (run, EPOCHS);
      g_assert_cmpuint (count_temporaries (run), ==, 0);
    }

  g_test_message ("%u kills in %u chains, %u during a write, %.1f s", kills, chains, mid_write,
                  (g_get_monotonic_time () - start) / 1e6);
  /* Aimed at writes in progress, some must have landed in one. */
  g_assert_cmpuint (mid_write, >=, 1);
}

/* Full disk ------------------------------------------------------------------- */

typedef struct {
  rlim_t max_file_size;
} Limit;

/* In the child before exec: writes beyond the limit fail with EFBIG instead
 * of raising SIGXFSZ, as on a disk that is full. */
static void
limit_file_size_cb (gpointer user_data)
{
  const Limit *limit = user_data;
  struct rlimit rl = { limit->max_file_size, limit->max_file_size };

  signal (SIGXFSZ, SIG_IGN);
  if (setrlimit (RLIMIT_FSIZE, &rl) != 0)
    _exit (99);
}

static int
resume_with_limit (const char  *run,
                   gsize        max_file_size,
                   char       **out_err)
{
  g_autoptr(GPtrArray) argv = train_argv (run, TRUE);
  Limit limit = { max_file_size };

  return run_cli_argv ((char **) argv->pdata, max_file_size > 0 ? limit_file_size_cb : NULL,
                       &limit, out_err);
}

static void
assert_checkpoints_unchanged (const char *run,
                              GPtrArray  *checkpoints)
{
  for (guint epoch = 0; epoch < checkpoints->len; epoch++)
    {
      g_autofree char *path = ct_run_dup_checkpoint_path (run, epoch);

      assert_same_file (path, checkpoints->pdata[epoch]);
    }
}

static void
test_full_disk (void)
{
  g_autofree char *run = copy_run ("full-disk");
  g_autofree char *metrics_path = g_build_filename (run, "metrics.jsonl", NULL);
  g_autofree char *optimizer_path = g_build_filename (run, "optimizer.safetensors", NULL);
  g_autofree char *next = ct_run_dup_checkpoint_path (run, EPOCHS + 1);
  g_autofree char *next_name = g_path_get_basename (next);
  g_autoptr(CtManifest) manifest = NULL;
  g_autoptr(GPtrArray) checkpoints = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  g_autoptr(GBytes) optimizer = NULL;
  g_autoptr(GBytes) metrics = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *metrics_err = NULL;
  g_autofree char *checkpoint_err = NULL;
  g_autofree char *err = NULL;

  /* One epoch more to train than the reference run did. */
  manifest = ct_manifest_load (run, &error);
  g_assert_no_error (error);
  manifest->hyper.epochs = EPOCHS + 1;
  ct_manifest_save (manifest, run, &error);
  g_assert_no_error (error);

  for (int epoch = 0; epoch <= EPOCHS; epoch++)
    {
      g_autofree char *path = ct_run_dup_checkpoint_path (run, epoch);

      g_ptr_array_add (checkpoints, read_bytes (path));
    }
  optimizer = read_bytes (optimizer_path);
  metrics = read_bytes (metrics_path);

  /* No room for one more metrics line. */
  g_assert_cmpint (resume_with_limit (run, g_bytes_get_size (metrics), &metrics_err), ==, 1);
  g_assert_nonnull (strstr (metrics_err, "metrics.jsonl"));
  g_assert_nonnull (strstr (metrics_err, g_strerror (EFBIG)));
  g_assert_cmpint (count_lines (metrics_err), ==, 1);
  assert_same_file (metrics_path, metrics);
  assert_same_file (optimizer_path, optimizer);
  assert_checkpoints_unchanged (run, checkpoints);
  g_assert_false (g_file_test (next, G_FILE_TEST_EXISTS));
  g_assert_cmpuint (count_temporaries (run), ==, 0);

  /* Room for the metrics but not for a checkpoint. */
  g_assert_cmpint (resume_with_limit (run, g_bytes_get_size (checkpoints->pdata[EPOCHS]) - 1,
                                      &checkpoint_err), ==, 1);
  g_assert_nonnull (strstr (checkpoint_err, next_name));
  g_assert_nonnull (strstr (checkpoint_err, g_strerror (EFBIG)));
  g_assert_cmpint (count_lines (checkpoint_err), ==, 1);
  assert_same_file (optimizer_path, optimizer);
  assert_checkpoints_unchanged (run, checkpoints);
  g_assert_false (g_file_test (next, G_FILE_TEST_EXISTS));
  g_assert_cmpuint (count_temporaries (run), ==, 0);

  /* With room again, the run continues as if nothing had happened. */
  g_assert_cmpint (resume_with_limit (run, 0, &err), ==, 0);
  g_assert_true (g_file_test (next, G_FILE_TEST_EXISTS));
  assert_checkpoints_unchanged (run, checkpoints);
  assert_metrics_complete (run, EPOCHS + 1);
}

/* Checkpoints that disagree with their manifest --------------------------------- */

/* Rewrites every checkpoint of @run with metadata @key set to @value, or
 * without it when @value is NULL. */
/* Import -------------------------------------------------------------------- */

static char *
write_bytes (const char *name,
             GBytes     *bytes)
{
  char *path = g_build_filename (tmpdir, name, NULL);
  g_autoptr(GError) error = NULL;
  gsize size;
  const char *data = g_bytes_get_data (bytes, &size);

  g_file_set_contents (path, data, size, &error);
  g_assert_no_error (error);
  return path;
}

/* Runs `import --arch ARCH --data … --out OUT --epochs 0 FILE` and asserts
 * it fails with exit 1, says @expected, and leaves no run behind. */
static void
assert_import_refused (const char *arch,
                       const char *file,
                       const char *expected)
{
  g_autofree char *out = g_build_filename (tmpdir, "refused-import", NULL);
  g_autofree char *manifest = g_build_filename (out, "manifest.json", NULL);
  g_autofree char *err = NULL;

  g_assert_cmpint (run_cli (&err, "import", "--arch", arch, "--data", data_dir, "--out", out,
                            "--epochs", "0", "--threads", "2", file, NULL), ==, 1);
  g_assert_nonnull (strstr (err, expected));
  g_assert_nonnull (strstr (err, file));
  g_assert_false (g_file_test (manifest, G_FILE_TEST_EXISTS));
  ct_test_remove_tree (out);
}

static void
test_import_hostile (void)
{
  g_autoptr(GBytes) evil = ct_test_torch_save_bytes ("os\nsystem", TRUE, FALSE);
  g_autoptr(GBytes) good = ct_test_torch_save_bytes (NULL, TRUE, FALSE);
  g_autoptr(GBytes) cut = NULL;
  g_autofree char *evil_path = write_bytes ("evil.pt", evil);
  g_autofree char *cut_path = NULL, *bomb_path = NULL, *shape_path = NULL;
  g_autofree char *checkpoint = ct_run_dup_checkpoint_path (reference_dir, EPOCHS);
  g_autofree guint8 *zeros = g_malloc0 (8 << 20);
  g_autoptr(CtSafetensors) weights = NULL;
  g_autoptr(GError) error = NULL;
  CtTestZipEntry bomb[] = { { "archive/data.pkl", zeros, 8 << 20, TRUE, 0 } };
  g_autoptr(GBytes) bomb_bytes = ct_test_zip_bytes (bomb, 1);

  /* A pickle naming os.system: refused by name, before anything runs. */
  assert_import_refused ("camtrail_net", evil_path, "os.system");

  /* A torch.save archive cut in half: its zip directory is gone. */
  cut = g_bytes_new_from_bytes (good, 0, g_bytes_get_size (good) / 2);
  cut_path = write_bytes ("cut.pt", cut);
  assert_import_refused ("camtrail_net", cut_path, "truncated");

  /* 8 MiB of zeros deflate to 8 KiB: refused before inflating. */
  bomb_path = write_bytes ("bomb.pt", bomb_bytes);
  assert_import_refused ("camtrail_net", bomb_path, "decompression bomb");

  /* Another architecture's checkpoint: the missing tensor is named. */
  assert_import_refused ("resnet18", checkpoint, "conv1.weight missing");
  assert_import_refused ("efficientnet_b0", checkpoint, "conv_stem.weight missing");

  /* One tensor of the wrong shape: named, with both shapes. */
  weights = ct_safetensors_load (checkpoint, &error);
  g_assert_no_error (error);
  {
    guint n = ct_safetensors_get_n_tensors (weights);
    g_autofree CtTensorView *views = g_new0 (CtTensorView, n);

    for (guint i = 0; i < n; i++)
      {
        views[i] = *ct_safetensors_get_tensor (weights, i);
        if (g_str_equal (views[i].name, "stages.1.conv1.weight"))
          {
            /* 32 × 8 × 3 × 3 filters kept as 16 × 8 × 3 × 3 */
            g_assert_cmpint (views[i].shape[0], ==, 32);
            views[i].shape[0] = 16;
            views[i].n_bytes /= 2;
          }
      }
    shape_path = g_build_filename (tmpdir, "shape.safetensors", NULL);
    g_assert_true (ct_safetensors_save (shape_path, views, n, NULL, &error));
  }
  assert_import_refused ("camtrail_net", shape_path,
                         "stages.1.conv1.weight of shape [16, 8, 3, 3], the model expects [32, 8, 3, 3]");

  /* The same file after a good one: refused once the first is converted,
   * and the half-made run goes (the window's import retries a name). */
  {
    g_autofree char *out = g_build_filename (tmpdir, "half-import", NULL);
    g_autofree char *err = NULL;

    g_assert_cmpint (run_cli (&err, "import", "--arch", "camtrail_net", "--data", data_dir,
                              "--out", out, "--epochs", "0,1", "--threads", "2", checkpoint,
                              shape_path, NULL), ==, 1);
    g_assert_nonnull (strstr (err, "stages.1.conv1.weight"));
    g_assert_false (g_file_test (out, G_FILE_TEST_EXISTS));
  }
}

/* The reference run's checkpoints imported: the same weights, the same
 * test accuracy, and a run eval reads. */
static void
test_import_round_trip (void)
{
  g_autofree char *out = g_build_filename (tmpdir, "imported", NULL);
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GArray) reference = NULL, imported = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(CtManifest) manifest = NULL;
  g_autofree char *err = NULL;

  g_ptr_array_add (argv, g_strdup (g_getenv ("CAMTRAIL_CLI")));
  for (const char *const *a = (const char *const[]) { "import", "--arch", "camtrail_net", "--quiet",
                                                       "--threads", "2", "--out", NULL }; *a != NULL; a++)
    g_ptr_array_add (argv, g_strdup (*a));
  g_ptr_array_add (argv, g_strdup (out));
  g_ptr_array_add (argv, g_strdup ("--data"));
  g_ptr_array_add (argv, g_strdup (data_dir));
  for (int epoch = EPOCHS; epoch >= 0; epoch--)
    g_ptr_array_add (argv, ct_run_dup_checkpoint_path (reference_dir, epoch));
  g_ptr_array_add (argv, NULL);
  /* Camtrail's own checkpoints carry their epoch in the metadata. */
  g_assert_cmpint (run_cli_argv ((char **) argv->pdata, NULL, NULL, &err), ==, 0);

  manifest = ct_manifest_load (out, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (manifest->n_imported, ==, EPOCHS + 1);
  g_assert_cmpint (manifest->imported[0].epoch, ==, 0);
  g_assert_cmpstr (manifest->imported[0].file, ==, "epoch-000.safetensors");
  g_assert_cmpuint (strlen (manifest->imported[0].sha256), ==, 64);
  reference = ct_metrics_load (reference_dir, &error);
  imported = ct_metrics_load (out, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (imported->len, ==, reference->len);
  for (int epoch = 0; epoch <= EPOCHS; epoch++)
    {
      g_autofree char *a = ct_run_dup_checkpoint_path (reference_dir, epoch);
      g_autofree char *b = ct_run_dup_checkpoint_path (out, epoch);

      ct_test_assert_same_weights (a, b);
      g_assert_cmpfloat (g_array_index (imported, CtEpochMetrics, epoch).test_accuracy, ==,
                         g_array_index (reference, CtEpochMetrics, epoch).test_accuracy);
    }
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_cli (&err, "eval", "--run", out, NULL), ==, 0);
}

static void
set_checkpoint_metadata (const char *run,
                         const char *key,
                         const char *value)
{
  for (int epoch = 0; epoch <= EPOCHS; epoch++)
    {
      g_autofree char *path = ct_run_dup_checkpoint_path (run, epoch);
      g_autoptr(GError) error = NULL;
      g_autoptr(CtSafetensors) file = ct_safetensors_load (path, &error);
      g_autoptr(GHashTable) metadata = NULL;
      g_autofree CtTensorView *views = NULL;
      GHashTableIter iter;
      gpointer old_key, old_value;
      guint n;

      g_assert_no_error (error);
      n = ct_safetensors_get_n_tensors (file);
      views = g_new (CtTensorView, n);
      for (guint i = 0; i < n; i++)
        views[i] = *ct_safetensors_get_tensor (file, i);
      metadata = g_hash_table_new (g_str_hash, g_str_equal);
      g_hash_table_iter_init (&iter, ct_safetensors_get_metadata_table (file));
      while (g_hash_table_iter_next (&iter, &old_key, &old_value))
        g_hash_table_insert (metadata, old_key, old_value);
      if (value != NULL)
        g_hash_table_insert (metadata, (char *) key, (char *) value);
      else
        g_hash_table_remove (metadata, key);
      /* The views point into the mapped old file, which the rename keeps. */
      ct_safetensors_save (path, views, n, metadata, &error);
      g_assert_no_error (error);
    }
}

typedef struct {
  const char *name;
  const char *key;            /* checkpoint metadata to change, or NULL */
  const char *value;          /* its new value, NULL to remove it */
  void      (*edit_manifest) (CtManifest *manifest, const char *run);
  const char *says;
  gboolean    every_command;  /* eval --remeasure and train --resume too, not only cam */
} Disagreement;

static void
more_classes_cb (CtManifest *manifest,
                 const char *run)
{
  g_autofree char *data = g_build_filename (run, "five-classes", NULL);
  g_autofree char *names = g_build_filename (data, "batches.meta.txt", NULL);
  g_autoptr(GError) error = NULL;

  /* A dataset that agrees with the edited manifest, so only the checkpoints
   * are left to disagree. */
  g_assert_cmpint (g_mkdir (data, 0755), ==, 0);
  g_free (ct_test_write_squares (data, 64, 16, 1));
  g_file_set_contents (names, "red\ngreen\nblue\nwhite\nblack\n", -1, &error);
  g_assert_no_error (error);
  g_free (manifest->dataset_path);
  manifest->dataset_path = g_canonicalize_filename (data, NULL);
  g_strfreev (manifest->classes);
  manifest->classes = g_strsplit ("red green blue white black", " ", -1);
  manifest->n_classes = 5;
}

/* The layer list still says what input size 32 gives: the CAM buffers sized
 * from it overflowed once the model computed the maps of input size 64. */
static void
larger_input_cb (CtManifest *manifest,
                 const char *run)
{
  manifest->input_size = 64;
}

static const Disagreement disagreements[] = {
  { "checkpoint-of-resnet18", "arch", "resnet18", NULL, "resnet18" },
  { "checkpoint-of-5-classes", "num_classes", "5", NULL, "class count is 5" },
  { "checkpoint-of-1-channel", "in_chans", "1", NULL, "input channels is 1" },
  { "checkpoint-of-input-64", "input_size", "64", NULL, "input size is 64", TRUE },
  { "manifest-of-5-classes", NULL, NULL, more_classes_cb, "class count is 4" },
  /* Without the metadata, as other tools write checkpoints, the shapes tell:
   * the shim's own message must reach the user. */
  { "manifest-of-5-classes-unlabelled", "num_classes", NULL, more_classes_cb, "of shape" },
  { "manifest-of-input-64", NULL, NULL, larger_input_cb, "input size 64", TRUE },
};

static void
test_disagreement (gconstpointer user_data)
{
  const Disagreement *d = user_data;
  g_autofree char *run = copy_run (d->name);
  g_autofree char *png = g_build_filename (run, "grid.png", NULL);
  g_autofree char *cam_err = NULL;
  g_autofree char *eval_err = NULL;
  g_autofree char *train_err = NULL;

  if (d->key != NULL)
    set_checkpoint_metadata (run, d->key, d->value);
  if (d->edit_manifest != NULL)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(CtManifest) manifest = ct_manifest_load (run, &error);

      g_assert_no_error (error);
      d->edit_manifest (manifest, run);
      ct_manifest_save (manifest, run, &error);
      g_assert_no_error (error);
    }

  g_assert_cmpint (run_cli (&cam_err, "cam", "--run", run, "--epochs", "0,last", "--images", "0,1",
                            "--out", png, NULL), ==, 1);
  g_assert_nonnull (strstr (cam_err, d->says));
  g_assert_cmpint (count_lines (cam_err), ==, 1);
  g_assert_false (g_file_test (png, G_FILE_TEST_EXISTS));
  /* Each loads checkpoints its own way; one CLI start costs a second. */
  if (!d->every_command)
    return;

  g_assert_cmpint (run_cli (&eval_err, "eval", "--run", run, "--remeasure", NULL), ==, 1);
  g_assert_nonnull (strstr (eval_err, d->says));

  g_assert_cmpint (run_cli (&train_err, "train", "--resume", "--out", run, NULL), ==, 1);
  g_assert_nonnull (strstr (train_err, d->says));
}

int
main (int    argc,
      char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  g_assert_nonnull (g_getenv ("CAMTRAIL_CLI"));
  tmpdir = ct_test_make_tmpdir ();
  g_setenv ("XDG_CACHE_HOME", tmpdir, TRUE);
  data_dir = g_build_filename (tmpdir, "squares", NULL);
  reference_dir = g_build_filename (tmpdir, "reference", NULL);
  g_mkdir (data_dir, 0755);
  g_free (ct_test_write_squares (data_dir, 256, 64, 1));

  /* The tests after the first compare with its run. */
  g_test_add_func ("/cli-faults/reference", test_reference);
  g_test_add_func ("/cli-faults/killed-training", test_killed_training);
  g_test_add_func ("/cli-faults/full-disk", test_full_disk);
  g_test_add_func ("/cli-faults/import-hostile", test_import_hostile);
  g_test_add_func ("/cli-faults/import-round-trip", test_import_round_trip);
  for (guint i = 0; i < G_N_ELEMENTS (disagreements); i++)
    {
      g_autofree char *path = g_strdup_printf ("/cli-faults/disagreement/%s", disagreements[i].name);

      g_test_add_data_func (path, &disagreements[i], test_disagreement);
    }

  status = g_test_run ();
  ct_test_remove_tree (tmpdir);
  g_free (tmpdir);
  g_free (data_dir);
  g_free (reference_dir);
  return status;
}
