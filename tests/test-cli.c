/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <string.h>
#include <sys/wait.h>

#include "ct-png.h"
#include "ct-test-data.h"

/* camtrail-cli end to end, as a user runs it: exit statuses, messages,
 * and the files it writes.  $CAMTRAIL_CLI names the binary. */

static char *tmpdir;
static char *data_dir;
static char *run_dir;

typedef struct {
  int   status;
  char *out;
  char *err;
} Result;

static void
result_clear (Result *result)
{
  g_free (result->out);
  g_free (result->err);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Result, result_clear)

static void
run_cli (Result *result,
         ...)
{
  g_autoptr(GPtrArray) args = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  const char *arg;
  int wait_status = 0;
  va_list ap;

  g_ptr_array_add (args, (char *) g_getenv ("CAMTRAIL_CLI"));
  va_start (ap, result);
  while ((arg = va_arg (ap, const char *)) != NULL)
    g_ptr_array_add (args, (char *) arg);
  va_end (ap);
  g_ptr_array_add (args, NULL);

  g_spawn_sync (NULL, (char **) args->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                &result->out, &result->err, &wait_status, &error);
  g_assert_no_error (error);
  result->status = WIFEXITED (wait_status) ? WEXITSTATUS (wait_status) : -1;
  if (g_test_verbose ())
    g_printerr ("exit %d\nstdout:\n%s\nstderr:\n%s\n", result->status, result->out, result->err);
}

static int
count_lines (const char *text)
{
  int n = 0;

  for (const char *p = text; *p != '\0'; p++)
    n += *p == '\n';
  return n;
}

static void
test_usage_errors (void)
{
  g_auto(Result) none = { 0 }, unknown = { 0 }, no_out = { 0 }, bad_option = { 0 };
  g_auto(Result) bad_epochs = { 0 }, two_selectors = { 0 };

  run_cli (&none, NULL);
  g_assert_cmpint (none.status, ==, 2);
  run_cli (&unknown, "frobnicate", NULL);
  g_assert_cmpint (unknown.status, ==, 2);
  g_assert_nonnull (strstr (unknown.err, "frobnicate"));

  /* Without --out a new run goes to the runs home (tests/test-entry-points.c);
   * a resumed one must say which. */
  run_cli (&no_out, "train", "--resume", "--data", data_dir, NULL);
  g_assert_cmpint (no_out.status, ==, 2);
  g_assert_nonnull (strstr (no_out.err, "--out"));
  g_assert_cmpint (count_lines (no_out.err), ==, 1);

  run_cli (&bad_option, "train", "--no-such-option", NULL);
  g_assert_cmpint (bad_option.status, ==, 2);
  g_assert_cmpint (count_lines (bad_option.err), ==, 1);

  run_cli (&bad_epochs, "train", "--epochs", "0", "--out", "x", NULL);
  g_assert_cmpint (bad_epochs.status, ==, 2);

  run_cli (&two_selectors, "cam", "--run", "x", "--out", "y.png", "--images", "1", "--random", "3", NULL);
  g_assert_cmpint (two_selectors.status, ==, 2);
  g_assert_cmpint (count_lines (two_selectors.err), ==, 1);
}

static void
test_help (void)
{
  const char *commands[] = { "train", "eval", "layers", "cam", "robustness" };

  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    {
      g_auto(Result) help = { 0 };

      run_cli (&help, commands[i], "--help", NULL);
      g_assert_cmpint (help.status, ==, 0);
      g_assert_nonnull (strstr (help.out, "Usage"));
    }
}

static void
test_train_eval_layers (void)
{
  g_auto(Result) train = { 0 }, eval = { 0 }, remeasure = { 0 }, layers = { 0 }, resume = { 0 };

  run_cli (&train, "train", "--data", data_dir, "--arch", "camtrail_net", "--width", "8",
           "--epochs", "2", "--batch-size", "64", "--threads", "2", "--out", run_dir, NULL);
  g_assert_cmpint (train.status, ==, 0);
  g_assert_nonnull (strstr (train.err, "epoch 0 (initial weights)"));
  g_assert_nonnull (strstr (train.err, "epoch 2/2"));
  g_assert_nonnull (strstr (train.err, "img/s"));

  run_cli (&eval, "eval", "--run", run_dir, NULL);
  g_assert_cmpint (eval.status, ==, 0);
  g_assert_nonnull (strstr (eval.out, "test acc"));
  g_assert_cmpint (count_lines (eval.out), ==, 2 + 3);

  run_cli (&remeasure, "eval", "--run", run_dir, "--remeasure", NULL);
  g_assert_cmpint (remeasure.status, ==, 0);
  g_assert_nonnull (strstr (remeasure.out, "re-measured"));

  run_cli (&layers, "layers", "--run", run_dir, NULL);
  g_assert_cmpint (layers.status, ==, 0);
  g_assert_nonnull (strstr (layers.out, "* stages."));

  /* A finished run resumes to nothing to do. */
  run_cli (&resume, "train", "--resume", "--out", run_dir, NULL);
  g_assert_cmpint (resume.status, ==, 0);
}

static void
test_cam_exports (void)
{
  g_autofree char *png = g_build_filename (tmpdir, "grid.png", NULL);
  g_autofree char *npy = g_build_filename (tmpdir, "cams.npy", NULL);
  g_autofree char *json = g_build_filename (tmpdir, "cells.json", NULL);
  g_autofree char *npy_data = NULL;
  g_autofree guint8 *pixels = NULL;
  g_autoptr(GHashTable) text = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_auto(Result) cam = { 0 }, wrong = { 0 }, bad_image = { 0 };
  g_auto(Result) corrupted = { 0 }, no_severity = { 0 };
  JsonObject *root;
  gsize npy_size = 0;
  guint width = 0, height = 0;

  run_cli (&cam, "cam", "--run", run_dir, "--epochs", "0,last", "--images", "0,1,5",
           "--noise", "0.1", "--rounds", "2", "--seed", "4", "--out", png, "--npy", npy,
           "--json", json, NULL);
  g_assert_cmpint (cam.status, ==, 0);
  g_assert_nonnull (strstr (cam.out, "confidence drop"));

  pixels = ct_png_read_rgba (png, &width, &height, &text, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (width, >, 3 * 2 * 32);
  g_assert_cmpstr (g_hash_table_lookup (text, "camtrail:epochs"), ==, "0,2");
  g_assert_cmpstr (g_hash_table_lookup (text, "camtrail:images"), ==, "0,1,5");
  g_assert_cmpstr (g_hash_table_lookup (text, "camtrail:seed"), ==, "4");
  g_assert_nonnull (strstr (g_hash_table_lookup (text, "camtrail:perturbation"), "noise"));
  g_assert_true (g_str_has_prefix (g_hash_table_lookup (text, "Software"), "Camtrail"));

  g_file_get_contents (npy, &npy_data, &npy_size, &error);
  g_assert_no_error (error);
  g_assert_true (memcmp (npy_data, "\x93NUMPY", 6) == 0);
  g_assert_nonnull (strstr (npy_data + 10, "(2, 3, 2, 32, 32)"));
  g_assert_cmpuint (npy_size % 4, ==, 0);
  g_assert_cmpuint (npy_size, >, (gsize) 2 * 3 * 2 * 32 * 32 * 4);

  json_parser_load_from_file (parser, json, &error);
  g_assert_no_error (error);
  root = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (root, "rows")), ==, 2);

  run_cli (&wrong, "cam", "--run", run_dir, "--epochs", "0", "--misclassified-at", "0",
           "--count", "3", "--out", png, NULL);
  g_assert_cmpint (wrong.status, ==, 0);

  /* A CIFAR-10-C corruption is a perturbation like the others. */
  run_cli (&corrupted, "cam", "--run", run_dir, "--epochs", "last", "--images", "2",
           "--c10c", "gaussian_blur-3", "--out", png, NULL);
  g_assert_cmpint (corrupted.status, ==, 0);
  g_clear_pointer (&text, g_hash_table_unref);
  g_clear_pointer (&pixels, g_free);
  pixels = ct_png_read_rgba (png, &width, &height, &text, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (g_hash_table_lookup (text, "camtrail:perturbation"), ==, "c10c gaussian_blur-3");
  run_cli (&no_severity, "cam", "--run", run_dir, "--images", "2", "--c10c", "gaussian_blur",
           "--out", png, NULL);
  g_assert_cmpint (no_severity.status, ==, 2);

  run_cli (&bad_image, "cam", "--run", run_dir, "--images", "100000", "--out", png, NULL);
  g_assert_cmpint (bad_image.status, ==, 1);
  g_assert_nonnull (strstr (bad_image.err, "out of range"));
}

static char *
read_text (const char *dir,
           const char *name)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autoptr(GError) error = NULL;
  char *text = NULL;

  g_file_get_contents (path, &text, NULL, &error);
  g_assert_no_error (error);
  return text;
}

/* Rows of a robustness.csv for @epoch whose perturbation starts with
 * @prefix. */
static guint
count_rows (const char *csv,
            int         epoch,
            const char *prefix)
{
  g_auto(GStrv) lines = g_strsplit (csv, "\n", -1);
  g_autofree char *start = g_strdup_printf ("%d,%s", epoch, prefix);
  guint n = 0;

  for (guint i = 1; lines[i] != NULL; i++)
    n += g_str_has_prefix (lines[i], start);
  return n;
}

static void
run_robustness (const char *out,
                const char *perturb,
                const char *seed)
{
  g_auto(Result) result = { 0 };

  run_cli (&result, "robustness", "--run", run_dir, "--epochs", "0", "--perturb", perturb,
           "--images", "4", "--rounds", "2", "--seed", seed, "--threads", "2", "--out", out, NULL);
  g_assert_cmpint (result.status, ==, 0);
  g_assert_nonnull (strstr (result.err, "ETA"));
  g_assert_nonnull (strstr (result.out, "mCE"));
}

static void
test_robustness (void)
{
  static const char * const charts[] = {
    "accuracy.png", "confidence-drop.png", "stability-pearson.png",
    "stability-spearman.png", "stability-iou.png",
  };
  g_autofree char *all = g_build_filename (tmpdir, "robustness-all", NULL);
  g_autofree char *first = g_build_filename (tmpdir, "robustness-1", NULL);
  g_autofree char *again = g_build_filename (tmpdir, "robustness-2", NULL);
  g_autofree char *reseeded = g_build_filename (tmpdir, "robustness-3", NULL);
  g_autofree char *csv = NULL, *first_csv = NULL, *again_csv = NULL, *reseeded_csv = NULL;
  g_autofree char *first_json = NULL, *again_json = NULL;
  g_auto(GStrv) lines = NULL;
  g_auto(Result) bad = { 0 };
  const char *study = "noise:0.1,rotate-random:30,occlude:5";

  /* --epochs 0 gains the final checkpoint, epoch 2, as the CE baseline. */
  run_robustness (all, "noise:0.1,c10c:all", "5");
  csv = read_text (all, "robustness.csv");
  lines = g_strsplit (csv, "\n", -1);
  g_assert_true (g_str_has_prefix (lines[0], "epoch,perturbation,corruption,severity,samples,"
                                              "clean_accuracy,accuracy,accuracy_drop,"
                                              "confidence_drop,confidence_drop_ci95,"
                                              "max_prob_drop,max_prob_drop_ci95,pearson,"
                                              "pearson_ci95,spearman,spearman_ci95,top20_iou,"
                                              "top20_iou_ci95,heatmap_pairs,ce,relative_ce"));
  g_assert_cmpuint (g_strv_length (lines), ==, 1 + 2 * 56 + 1);
  for (int epoch = 0; epoch <= 2; epoch += 2)
    {
      g_assert_cmpuint (count_rows (csv, epoch, "c10c:"), ==, 11 * 5);
      g_assert_cmpuint (count_rows (csv, epoch, "c10c:gaussian_blur-3,gaussian_blur,3,8,"), ==, 1);
      g_assert_cmpuint (count_rows (csv, epoch, "noise:0.1,,,8,"), ==, 1);
    }
  for (guint i = 0; i < G_N_ELEMENTS (charts); i++)
    {
      g_autofree char *png = g_build_filename (all, charts[i], NULL);
      g_autoptr(GHashTable) text = NULL;
      g_autoptr(GError) error = NULL;
      g_autofree guint8 *pixels = NULL;
      guint width = 0, height = 0;

      pixels = ct_png_read_rgba (png, &width, &height, &text, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (width, >, 600);
      g_assert_cmpstr (g_hash_table_lookup (text, "camtrail:epochs"), ==, "0,2");
      g_assert_cmpstr (g_hash_table_lookup (text, "camtrail:seed"), ==, "5");
    }

  /* The same seed reproduces every number; another seed draws other
   * images and noise. */
  run_robustness (first, study, "1");
  run_robustness (again, study, "1");
  run_robustness (reseeded, study, "2");
  first_csv = read_text (first, "robustness.csv");
  again_csv = read_text (again, "robustness.csv");
  reseeded_csv = read_text (reseeded, "robustness.csv");
  first_json = read_text (first, "robustness.json");
  again_json = read_text (again, "robustness.json");
  g_assert_cmpstr (first_csv, ==, again_csv);
  g_assert_cmpstr (first_json, ==, again_json);
  g_assert_cmpstr (first_csv, !=, reseeded_csv);
  g_assert_cmpint (count_lines (first_csv), ==, 1 + 2 * 3);

  run_cli (&bad, "robustness", "--run", run_dir, "--perturb", "c10c:fog", "--out", all, NULL);
  g_assert_cmpint (bad.status, ==, 2);
  g_assert_nonnull (strstr (bad.err, "c10c:fog"));
  g_assert_cmpint (count_lines (bad.err), ==, 1);
}

static void
test_malformed_dataset (void)
{
  g_autofree char *bad = g_build_filename (tmpdir, "truncated", NULL);
  g_autofree char *test_batch = NULL;
  g_autofree char *out = g_build_filename (tmpdir, "never", NULL);
  g_autofree char *contents = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(Result) train = { 0 };
  gsize length;

  g_mkdir (bad, 0755);
  g_free (ct_test_write_squares (bad, 64, 16, 2));
  test_batch = g_build_filename (bad, "test_batch.bin", NULL);
  g_file_get_contents (test_batch, &contents, &length, &error);
  g_assert_no_error (error);
  g_file_set_contents (test_batch, contents, length - 100, &error);
  g_assert_no_error (error);

  run_cli (&train, "train", "--data", bad, "--epochs", "1", "--out", out, NULL);
  g_assert_cmpint (train.status, ==, 1);
  g_assert_nonnull (strstr (train.err, "test_batch.bin"));
  g_assert_false (g_file_test (out, G_FILE_TEST_EXISTS));
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
  run_dir = g_build_filename (tmpdir, "run", NULL);
  g_mkdir (data_dir, 0755);
  g_free (ct_test_write_squares (data_dir, 256, 64, 1));

  g_test_add_func ("/cli/usage-errors", test_usage_errors);
  g_test_add_func ("/cli/help", test_help);
  g_test_add_func ("/cli/train-eval-layers", test_train_eval_layers);
  g_test_add_func ("/cli/cam-exports", test_cam_exports);
  g_test_add_func ("/cli/robustness", test_robustness);
  g_test_add_func ("/cli/malformed-dataset", test_malformed_dataset);

  status = g_test_run ();
  ct_test_remove_tree (tmpdir);
  g_free (tmpdir);
  g_free (data_dir);
  g_free (run_dir);
  return status;
}
