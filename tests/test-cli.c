/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "ct-cam-method.h"
#include "ct-png.h"
#include "ct-rng.h"
#include "ct-run.h"
#include "ct-safetensors.h"
#include "ct-test-data.h"

/* camtrail-cli end to end, as a user runs it: exit statuses, messages,
 * and the files it writes.  $CAMTRAIL_CLI names the binary. */

static char *tmpdir;
static char *data_dir;
static char *run_dir;

typedef CtTestResult Result;
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Result, ct_test_result_clear)

static void
run_cli (Result *result,
         ...)
{
  g_autoptr(GPtrArray) args = g_ptr_array_new ();
  const char *arg;
  va_list ap;

  g_ptr_array_add (args, (char *) g_getenv ("CAMTRAIL_CLI"));
  va_start (ap, result);
  while ((arg = va_arg (ap, const char *)) != NULL)
    g_ptr_array_add (args, (char *) arg);
  va_end (ap);
  g_ptr_array_add (args, NULL);
  ct_test_run (result, (const char *const *) args->pdata, NULL, G_SPAWN_DEFAULT);
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

  {
    g_auto(Result) no_files = { 0 }, no_arch = { 0 }, bad_arch = { 0 }, init_resume = { 0 };

    run_cli (&no_files, "import", "--arch", "resnet18", "--data", "d", "--out", "o", NULL);
    g_assert_cmpint (no_files.status, ==, 2);
    g_assert_nonnull (strstr (no_files.err, "no checkpoint"));
    run_cli (&no_arch, "import", "--data", "d", "--out", "o", "a.pt", NULL);
    g_assert_cmpint (no_arch.status, ==, 2);
    run_cli (&bad_arch, "import", "--arch", "vgg16", "--data", "d", "--out", "o", "a.pt", NULL);
    g_assert_cmpint (bad_arch.status, ==, 2);
    g_assert_nonnull (strstr (bad_arch.err, "vgg16"));
    run_cli (&init_resume, "train", "--resume", "--out", "o", "--init", "a.pt", NULL);
    g_assert_cmpint (init_resume.status, ==, 2);
    g_assert_cmpint (count_lines (init_resume.err), ==, 1);
  }
}

static void
test_help (void)
{
  const char *commands[] = { "train", "eval", "layers", "cam", "robustness", "faithfulness",
                             "import", "study" };

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

/* ---- The cam command's options, each with its outcome ---------------- */

/* Runs `camtrail-cli cam` on the test run with @options (NULL-terminated,
 * at most 16) and epochs 0,1,2 × images 0–3, writing cells.json and
 * cams.npy under @name. */
static void
run_cam (const char *name,
         int         expected_status,
         Result     *result,
         ...)
{
  g_autofree char *png = g_strdup_printf ("%s/%s.png", tmpdir, name);
  g_autofree char *npy = g_strdup_printf ("%s/%s.npy", tmpdir, name);
  g_autofree char *json = g_strdup_printf ("%s/%s.json", tmpdir, name);
  const char *extra[16] = { NULL };
  const char *arg;
  guint n = 0;
  va_list ap;

  va_start (ap, result);
  while ((arg = va_arg (ap, const char *)) != NULL)
    {
      g_assert_cmpuint (n, <, G_N_ELEMENTS (extra) - 1);
      extra[n++] = arg;
    }
  va_end (ap);
  run_cli (result, "cam", "--run", run_dir, "--epochs", "0,1,2", "--images", "0,1,2,3",
           "--threads", "2", "--out", png, "--npy", npy, "--json", json,
           extra[0], extra[1], extra[2], extra[3], extra[4], extra[5], extra[6], extra[7],
           extra[8], extra[9], extra[10], extra[11], extra[12], extra[13], extra[14], NULL);
  if (result->status != expected_status)
    g_error ("cam %s: exit %d, expected %d\n%s", name, result->status, expected_status,
             result->err);
}

static char *
cam_path (const char *name,
          const char *suffix)
{
  return g_strdup_printf ("%s/%s.%s", tmpdir, name, suffix);
}

static float *
cam_heatmaps (const char *name,
              guint       shape[5],
              gsize      *n)
{
  g_autofree char *path = cam_path (name, "npy");

  return ct_test_read_npy (path, shape, n);
}

static JsonObject *
cam_cells (const char *name,
           JsonParser *parser)
{
  g_autofree char *path = cam_path (name, "json");
  g_autoptr(GError) error = NULL;

  json_parser_load_from_file (parser, path, &error);
  g_assert_no_error (error);
  return json_node_get_object (json_parser_get_root (parser));
}

static JsonObject *
cell_at (JsonObject *root,
         guint       row,
         guint       cell)
{
  JsonArray *rows = json_object_get_array_member (root, "rows");
  JsonObject *row_object = json_array_get_object_element (rows, row);

  return json_array_get_object_element (json_object_get_array_member (row_object, "cells"), cell);
}

static guint
count_cells (JsonObject *root,
             guint       row)
{
  JsonArray *rows = json_object_get_array_member (root, "rows");
  JsonObject *row_object = json_array_get_object_element (rows, row);

  return json_array_get_length (json_object_get_array_member (row_object, "cells"));
}

/* The largest difference between the class probabilities of two cells. */
static double
probabilities_distance (JsonObject *a,
                        JsonObject *b)
{
  JsonArray *pa = json_object_get_array_member (a, "probabilities");
  JsonArray *pb = json_object_get_array_member (b, "probabilities");
  double distance = 0;

  g_assert_cmpuint (json_array_get_length (pa), ==, json_array_get_length (pb));
  for (guint k = 0; k < json_array_get_length (pa); k++)
    distance = MAX (distance, fabs (json_array_get_double_element (pa, k) -
                                    json_array_get_double_element (pb, k)));
  return distance;
}

/* The largest difference between the probabilities of the same cells of two
 * cam outputs. */
static double
cams_distance (const char *name_a,
               const char *name_b)
{
  g_autoptr(JsonParser) parser_a = json_parser_new ();
  g_autoptr(JsonParser) parser_b = json_parser_new ();
  JsonObject *a = cam_cells (name_a, parser_a);
  JsonObject *b = cam_cells (name_b, parser_b);
  double distance = 0;

  for (guint row = 0; row < 3; row++)
    {
      g_assert_cmpuint (count_cells (a, row), ==, count_cells (b, row));
      for (guint i = 0; i < count_cells (a, row); i++)
        distance = MAX (distance, probabilities_distance (cell_at (a, row, i), cell_at (b, row, i)));
    }
  return distance;
}

static const char *
cam_perturbation (const char *name,
                  JsonParser *parser)
{
  return json_object_get_string_member (cam_cells (name, parser), "perturbation");
}

/* --cam-scale: image (the default) min-max scales each map; raw keeps the
 * magnitudes; shared is one min-max per column over the epochs, checked by
 * hand against raw. */
static void
test_cam_scale (void)
{
  g_auto(Result) image = { 0 }, plain = { 0 }, raw = { 0 }, shared = { 0 }, bad = { 0 };
  g_autofree float *image_maps = NULL, *plain_maps = NULL, *raw_maps = NULL, *shared_maps = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  guint shape[5], shape_raw[5];
  gsize n, n_raw, map = 32 * 32;
  guint dimmer_cells = 0, raw_cells_not_unit = 0;

  run_cam ("scale-default", 0, &plain, NULL);
  run_cam ("scale-image", 0, &image, "--cam-scale", "image", NULL);
  run_cam ("scale-raw", 0, &raw, "--cam-scale", "raw", NULL);
  run_cam ("scale-shared", 0, &shared, "--cam-scale", "shared", NULL);
  run_cam ("scale-bad", 2, &bad, "--cam-scale", "column", NULL);
  g_assert_cmpstr (json_object_get_string_member (cam_cells ("scale-shared", parser), "scale"),
                   ==, "shared");

  plain_maps = cam_heatmaps ("scale-default", shape, &n);
  image_maps = cam_heatmaps ("scale-image", shape, &n);
  raw_maps = cam_heatmaps ("scale-raw", shape_raw, &n_raw);
  shared_maps = cam_heatmaps ("scale-shared", shape, &n);
  g_assert_cmpmem (shape, sizeof shape, shape_raw, sizeof shape_raw);
  g_assert_cmpuint (shape[0], ==, 3);
  g_assert_cmpuint (shape[1], ==, 4);
  g_assert_cmpuint (shape[2], ==, 1);
  g_assert_cmpmem (plain_maps, n * sizeof (float), image_maps, n * sizeof (float));

  for (guint i = 0; i < shape[1]; i++)
    {
      double lo = G_MAXDOUBLE, hi = -G_MAXDOUBLE;

      for (guint row = 0; row < shape[0]; row++)
        {
          const float *cell = raw_maps + (row * shape[1] + i) * map;
          const float *scaled = image_maps + (row * shape[1] + i) * map;
          float cell_lo = G_MAXFLOAT, cell_hi = -G_MAXFLOAT, scaled_lo = 1, scaled_hi = 0;

          for (gsize p = 0; p < map; p++)
            {
              cell_lo = MIN (cell_lo, cell[p]);
              cell_hi = MAX (cell_hi, cell[p]);
              scaled_lo = MIN (scaled_lo, scaled[p]);
              scaled_hi = MAX (scaled_hi, scaled[p]);
            }
          lo = MIN (lo, cell_lo);
          hi = MAX (hi, cell_hi);
          /* Per image: each map spans [0, 1] unless it is flat. */
          g_assert_cmpfloat_with_epsilon (scaled_lo, 0.0, 1e-6);
          if (cell_hi > cell_lo)
            g_assert_cmpfloat_with_epsilon (scaled_hi, 1.0, 1e-4);
          raw_cells_not_unit += fabsf (cell_hi - 1.0f) > 0.01f;
        }
      for (guint row = 0; row < shape[0]; row++)
        {
          const float *in = raw_maps + (row * shape[1] + i) * map;
          const float *out = shared_maps + (row * shape[1] + i) * map;
          float row_hi = 0;

          for (gsize p = 0; p < map; p++)
            {
              double expected = (in[p] - lo) / (1e-7 + (hi - lo));

              if (fabs (out[p] - expected) > 1e-5)
                g_error ("--cam-scale shared, epoch row %u, image %u, pixel %" G_GSIZE_FORMAT
                         ": %g, by hand %g", row, i, p, out[p], expected);
              row_hi = MAX (row_hi, out[p]);
            }
          dimmer_cells += row_hi < 0.95f;
        }
    }
  /* Raw magnitudes are not min-max scaled, and in some column an epoch is
   * weaker than another: the case tells the three scales apart. */
  g_assert_cmpuint (raw_cells_not_unit, >, 0);
  g_assert_cmpuint (dimmer_cells, >, 0);
}

/* --target: which class each cell explains. */
static void
test_cam_target (void)
{
  static const struct { const char *rule; int cls; } rules[] = {
    { "predicted", -1 }, { "label", -2 }, { "2", 2 }, { "Blue", 2 }, { "white", 3 },
  };
  g_auto(Result) bad = { 0 }, out_of_range = { 0 };

  for (guint r = 0; r < G_N_ELEMENTS (rules); r++)
    {
      g_autofree char *name = g_strdup_printf ("target-%u", r);
      g_autoptr(JsonParser) parser = json_parser_new ();
      g_auto(Result) result = { 0 };
      JsonObject *root;
      JsonArray *images;

      run_cam (name, 0, &result, "--target", rules[r].rule, NULL);
      root = cam_cells (name, parser);
      images = json_object_get_array_member (root, "images");
      for (guint row = 0; row < 3; row++)
        for (guint i = 0; i < 4; i++)
          {
            JsonObject *cell = cell_at (root, row, i);
            gint64 target = json_object_get_int_member (cell, "target");

            if (rules[r].cls == -1)
              g_assert_cmpint (target, ==, json_object_get_int_member (cell, "predicted"));
            else if (rules[r].cls == -2)
              g_assert_cmpint (target, ==, json_object_get_int_member (
                                 json_array_get_object_element (images, i), "label"));
            else
              g_assert_cmpint (target, ==, rules[r].cls);
          }
    }
  run_cam ("target-bad", 2, &bad, "--target", "purple", NULL);
  run_cam ("target-range", 2, &out_of_range, "--target", "4", NULL);
}

/* Rotation: exact at multiples of 90°, so a full turn changes nothing and
 * ±180° are the same picture; bilinear differs from nearest in between;
 * a random angle is drawn per round from the seed. */
static void
test_cam_rotation (void)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_auto(Result) full = { 0 }, half = { 0 }, minus_half = { 0 }, clean = { 0 };
  g_auto(Result) nearest = { 0 }, bilinear = { 0 }, full_bilinear = { 0 };
  g_auto(Result) random1 = { 0 }, random1_again = { 0 }, random2 = { 0 }, both = { 0 };
  JsonObject *root;
  double round_distance = 0;

  run_cam ("rotate-clean", 0, &clean, NULL);
  run_cam ("rotate-360", 0, &full, "--rotate", "360", NULL);
  run_cam ("rotate-180", 0, &half, "--rotate", "180", NULL);
  run_cam ("rotate-minus-180", 0, &minus_half, "--rotate", "-180", NULL);
  run_cam ("rotate-30", 0, &nearest, "--rotate", "30", NULL);
  run_cam ("rotate-30-bilinear", 0, &bilinear, "--rotate", "30", "--bilinear", NULL);
  run_cam ("rotate-360-bilinear", 0, &full_bilinear, "--rotate", "360", "--bilinear", NULL);
  run_cam ("rotate-random-1", 0, &random1, "--rotate-random", "30", "--rounds", "3",
           "--seed", "1", NULL);
  run_cam ("rotate-random-1-again", 0, &random1_again, "--rotate-random", "30", "--rounds", "3",
           "--seed", "1", NULL);
  run_cam ("rotate-random-2", 0, &random2, "--rotate-random", "30", "--rounds", "3",
           "--seed", "2", NULL);
  run_cam ("rotate-both", 2, &both, "--rotate", "30", "--rotate-random", "30", NULL);

  g_assert_cmpstr (cam_perturbation ("rotate-180", parser), ==, "rotation 180° (nearest)");
  g_assert_cmpstr (cam_perturbation ("rotate-30-bilinear", parser), ==, "rotation 30° (bilinear)");
  g_assert_cmpstr (cam_perturbation ("rotate-random-1", parser), ==,
                   "rotation ±30° random (nearest)");

  g_assert_cmpfloat (cams_distance ("rotate-clean", "rotate-360"), <, 1e-5);
  g_assert_cmpfloat (cams_distance ("rotate-clean", "rotate-360-bilinear"), <, 1e-5);
  g_assert_cmpfloat (cams_distance ("rotate-clean", "rotate-180"), >, 1e-3);
  g_assert_cmpfloat (cams_distance ("rotate-180", "rotate-minus-180"), <, 1e-5);
  g_assert_cmpfloat (cams_distance ("rotate-30", "rotate-30-bilinear"), >, 1e-4);
  g_assert_cmpfloat (cams_distance ("rotate-random-1", "rotate-random-1-again"), ==, 0);
  g_assert_cmpfloat (cams_distance ("rotate-random-1", "rotate-random-2"), >, 1e-4);

  /* The rounds of one image are different draws. */
  root = cam_cells ("rotate-random-1", parser);
  g_assert_cmpuint (count_cells (root, 2), ==, 4 * 3);
  for (guint i = 0; i < 4; i++)
    round_distance = MAX (round_distance, probabilities_distance (cell_at (root, 2, i * 3),
                                                                  cell_at (root, 2, i * 3 + 1)));
  g_assert_cmpfloat (round_distance, >, 1e-4);
}

/* Occlusion: one patch as large as the image, or as many pixels as it has,
 * leaves every image the same flat picture, so every cell of a row sees the
 * same input; the fill decides which. */
static void
test_cam_occlusion (void)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_auto(Result) patch = { 0 }, pixels = { 0 }, mean = { 0 }, partial = { 0 }, bad_fill = { 0 };
  JsonObject *root;
  double across_images = 0;

  run_cam ("occlude-patch", 0, &patch, "--occlude", "1", "--patch", "32", NULL);
  run_cam ("occlude-pixels", 0, &pixels, "--occlude", "1024", NULL);
  run_cam ("occlude-mean", 0, &mean, "--occlude", "1", "--patch", "32", "--fill", "mean", NULL);
  run_cam ("occlude-partial", 0, &partial, "--occlude", "3", "--patch", "5", "--fill", "zero", NULL);
  run_cam ("occlude-bad-fill", 2, &bad_fill, "--occlude", "3", "--fill", "grey", NULL);

  g_assert_cmpstr (cam_perturbation ("occlude-mean", parser), ==,
                   "1 occluded 32×32 patch (mean fill)");
  g_assert_cmpstr (cam_perturbation ("occlude-partial", parser), ==, "3 occluded 5×5 patches");
  g_assert_cmpstr (cam_perturbation ("occlude-pixels", parser), ==, "1024 occluded pixels");

  for (guint f = 0; f < 3; f++)
    {
      const char *name = (const char *[]) { "occlude-patch", "occlude-pixels", "occlude-mean" }[f];

      root = cam_cells (name, parser);
      for (guint row = 0; row < 3; row++)
        for (guint i = 1; i < 4; i++)
          g_assert_cmpfloat (probabilities_distance (cell_at (root, row, 0), cell_at (root, row, i)),
                             <, 1e-5);
    }
  g_assert_cmpfloat (cams_distance ("occlude-patch", "occlude-pixels"), <, 1e-5);
  g_assert_cmpfloat (cams_distance ("occlude-patch", "occlude-mean"), >, 1e-4);

  root = cam_cells ("occlude-partial", parser);
  for (guint i = 1; i < 4; i++)
    across_images = MAX (across_images, probabilities_distance (cell_at (root, 2, 0),
                                                                cell_at (root, 2, i)));
  g_assert_cmpfloat (across_images, >, 1e-4);
}

/* --scale and --colormap change the figure, and its provenance says so. */
static void
test_cam_figure_options (void)
{
  g_auto(Result) plain = { 0 }, doubled = { 0 }, viridis = { 0 }, bad_map = { 0 }, bad_scale = { 0 };
  g_auto(Result) dark = { 0 };
  g_autofree char *dark_png = cam_path ("figure-dark", "png");
  g_autofree guint8 *dark_pixels = NULL;
  guint dark_width, dark_height;
  g_autofree char *plain_png = cam_path ("figure-plain", "png");
  g_autofree char *doubled_png = cam_path ("figure-doubled", "png");
  g_autofree char *viridis_png = cam_path ("figure-viridis", "png");
  g_autofree guint8 *plain_pixels = NULL, *doubled_pixels = NULL, *viridis_pixels = NULL;
  g_autoptr(GHashTable) plain_text = NULL, doubled_text = NULL, viridis_text = NULL;
  g_autoptr(GError) error = NULL;
  guint width, height, doubled_width, doubled_height, viridis_width, viridis_height;

  run_cam ("figure-plain", 0, &plain, NULL);
  run_cam ("figure-doubled", 0, &doubled, "--scale", "2", NULL);
  run_cam ("figure-viridis", 0, &viridis, "--colormap", "viridis", NULL);
  run_cam ("figure-bad-map", 2, &bad_map, "--colormap", "rainbow", NULL);
  run_cam ("figure-bad-scale", 2, &bad_scale, "--scale", "0", NULL);

  plain_pixels = ct_png_read_rgba (plain_png, &width, &height, &plain_text, &error);
  g_assert_no_error (error);
  doubled_pixels = ct_png_read_rgba (doubled_png, &doubled_width, &doubled_height, &doubled_text,
                                     &error);
  g_assert_no_error (error);
  viridis_pixels = ct_png_read_rgba (viridis_png, &viridis_width, &viridis_height, &viridis_text,
                                     &error);
  g_assert_no_error (error);

  g_assert_cmpuint (doubled_width, ==, 2 * width);
  g_assert_cmpuint (doubled_height, ==, 2 * height);
  g_assert_cmpstr (g_hash_table_lookup (plain_text, "camtrail:colormap"), ==, "jet");
  g_assert_cmpstr (g_hash_table_lookup (viridis_text, "camtrail:colormap"), ==, "viridis");
  g_assert_cmpuint (viridis_width, ==, width);
  g_assert_cmpuint (viridis_height, ==, height);
  g_assert_false (memcmp (plain_pixels, viridis_pixels, (gsize) width * height * 4) == 0);

  /* A figure is light unless --dark asks: its corner, the background, is
   * white, or the dark palette's near-black (0.12 × 255 ≈ 31). */
  run_cam ("figure-dark", 0, &dark, "--dark", NULL);
  dark_pixels = ct_png_read_rgba (dark_png, &dark_width, &dark_height, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (dark_width, ==, width);
  g_assert_cmpuint (plain_pixels[0] + plain_pixels[1] + plain_pixels[2], ==, 3 * 255);
  g_assert_cmpuint (dark_pixels[0] + dark_pixels[1] + dark_pixels[2], <, 3 * 40);
}

/* --data computes on another copy of the dataset; --device names where. */
static void
test_cam_data_device (void)
{
  g_autofree char *other = g_build_filename (tmpdir, "other-squares", NULL);
  g_autofree char *png = cam_path ("data", "png");
  g_auto(Result) same = { 0 }, elsewhere = { 0 }, beyond = { 0 }, cpu = { 0 }, cuda = { 0 };
  g_auto(Result) nowhere = { 0 };

  g_mkdir (other, 0755);
  g_free (ct_test_write_squares (other, 64, 16, 9));

  run_cam ("data-same", 0, &same, NULL);
  run_cam ("data-other", 0, &elsewhere, "--data", other, NULL);
  /* The same labels (class k at index k mod 4), other pixels. */
  g_assert_cmpfloat (cams_distance ("data-same", "data-other"), >, 1e-4);
  run_cli (&beyond, "cam", "--run", run_dir, "--images", "20", "--data", other, "--out", png, NULL);
  g_assert_cmpint (beyond.status, ==, 1);
  g_assert_nonnull (strstr (beyond.err, "16 images"));

  run_cam ("device-cpu", 0, &cpu, "--device", "cpu", NULL);
  g_assert_cmpfloat (cams_distance ("data-same", "device-cpu"), ==, 0);
  run_cli (&cuda, "cam", "--run", run_dir, "--images", "1", "--device", "cuda", "--out", png, NULL);
  if (cuda.status != 0)
    {
      /* This libtorch has no CUDA, or the machine no GPU: said, not crashed. */
      g_autofree char *message = g_ascii_strdown (cuda.err, -1);

      g_assert_cmpint (cuda.status, ==, 1);
      g_assert_nonnull (strstr (message, "cuda"));
    }
  run_cli (&nowhere, "cam", "--run", run_dir, "--images", "1", "--device", "abacus", "--out", png,
           NULL);
  g_assert_cmpint (nowhere.status, !=, 0);
  g_assert_nonnull (strstr (nowhere.err, "abacus"));
}

static CtManifest *
load_manifest (const char *run)
{
  g_autoptr(GError) error = NULL;
  CtManifest *manifest = ct_manifest_load (run, &error);

  g_assert_no_error (error);
  return manifest;
}

/* Columns chosen by --random (the seeded sampler the window shares) and
 * by --misclassified-at, and rows explained at another --layer. */
static void
test_cam_selectors (void)
{
  g_autofree char *png = cam_path ("selectors", "png");
  g_autofree char *random_json = cam_path ("random", "json");
  g_autofree char *wrong_json = cam_path ("wrong", "json");
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GArray) sample = ct_rng_sample_indices (64, 5, 12);
  g_autoptr(CtManifest) manifest = load_manifest (run_dir);
  g_auto(Result) random = { 0 }, wrong = { 0 }, layer = { 0 }, plain = { 0 }, no_layer = { 0 };
  g_autofree float *plain_maps = NULL, *layer_maps = NULL;
  const char *other_layer = NULL;
  JsonObject *root;
  JsonArray *images;
  guint shape[5];
  gsize n;

  run_cli (&random, "cam", "--run", run_dir, "--epochs", "2", "--random", "5", "--seed", "12",
           "--out", png, "--json", random_json, NULL);
  g_assert_cmpint (random.status, ==, 0);
  root = cam_cells ("random", parser);
  images = json_object_get_array_member (root, "images");
  g_assert_cmpuint (json_array_get_length (images), ==, 5);
  for (guint i = 0; i < 5; i++)
    g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (images, i), "index"),
                     ==, g_array_index (sample, guint, i));

  /* Epoch 0, untrained, gets most images wrong. */
  run_cli (&wrong, "cam", "--run", run_dir, "--epochs", "0,2", "--misclassified-at", "0",
           "--count", "3", "--seed", "2", "--out", png, "--json", wrong_json, NULL);
  g_assert_cmpint (wrong.status, ==, 0);
  root = cam_cells ("wrong", parser);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (root, "images")), ==, 3);
  g_assert_cmpuint (count_cells (root, 0), ==, 3);
  for (guint i = 0; i < 3; i++)
    g_assert_false (json_object_get_boolean_member (cell_at (root, 0, i), "correct"));

  for (guint i = 0; i < manifest->n_layers; i++)
    if (g_strcmp0 (manifest->layers[i].name, manifest->default_layer) != 0)
      other_layer = manifest->layers[i].name;
  g_assert_nonnull (other_layer);
  run_cam ("layer-default", 0, &plain, NULL);
  run_cam ("layer-other", 0, &layer, "--layer", other_layer, NULL);
  run_cam ("layer-none", 1, &no_layer, "--layer", "stages.99", NULL);
  g_assert_cmpstr (json_object_get_string_member (cam_cells ("layer-default", parser), "layer"), ==,
                   manifest->default_layer);
  g_assert_cmpstr (json_object_get_string_member (cam_cells ("layer-other", parser), "layer"), ==,
                   other_layer);
  plain_maps = cam_heatmaps ("layer-default", shape, &n);
  layer_maps = cam_heatmaps ("layer-other", shape, &n);
  g_assert_false (memcmp (plain_maps, layer_maps, n * sizeof (float)) == 0);
}

/* train's hyper-parameters land in the manifest; --quiet prints nothing. */
static void
test_train_hyperparameters (void)
{
  g_autofree char *run = g_build_filename (tmpdir, "run-hyper", NULL);
  g_autoptr(CtManifest) manifest = NULL;
  g_auto(Result) train = { 0 };

  run_cli (&train, "train", "--data", data_dir, "--width", "4", "--epochs", "1", "--train-limit", "64",
           "--batch-size", "32", "--threads", "2", "--lr", "0.05", "--warmup", "0.25",
           "--momentum", "0.5", "--no-nesterov", "--weight-decay", "0.001",
           "--label-smoothing", "0.1", "--no-flip", "--translate", "3", "--seed", "11", "--quiet",
           "--tta", "1", "--no-lookahead", "--no-whiten", "--out", run, NULL);
  g_assert_cmpint (train.status, ==, 0);
  g_assert_cmpstr (train.err, ==, "");
  manifest = load_manifest (run);
  g_assert_cmpint (manifest->hyper.batch_size, ==, 32);
  g_assert_cmpuint (manifest->train_images, ==, 64);
  g_assert_cmpfloat (manifest->hyper.lr, ==, 0.05);
  g_assert_cmpfloat (manifest->hyper.warmup_epochs, ==, 0.25);
  g_assert_cmpfloat (manifest->hyper.momentum, ==, 0.5);
  g_assert_false (manifest->hyper.nesterov);
  g_assert_cmpfloat (manifest->hyper.weight_decay, ==, 0.001);
  g_assert_cmpfloat (manifest->hyper.label_smoothing, ==, 0.1);
  g_assert_false (manifest->hyper.flip);
  g_assert_cmpint (manifest->hyper.translate, ==, 3);
  g_assert_cmpuint (manifest->hyper.seed, ==, 11);
  g_assert_cmpint (manifest->hyper.tta, ==, 1);
  g_assert_false (manifest->hyper.lookahead);
  g_assert_false (manifest->hyper.whiten);
}

/* A stem tensor of a run's checkpoint, copied. */
static float *
dup_stem (const char *run,
          int         epoch,
          gsize      *n_bytes)
{
  g_autofree char *path = ct_run_dup_checkpoint_path (run, epoch);
  g_autoptr(GError) error = NULL;
  CtSafetensors *file = ct_safetensors_load (path, &error);
  const CtTensorView *view;
  float *copy;

  g_assert_no_error (error);
  view = ct_safetensors_lookup (file, "stem.conv.weight");
  g_assert_nonnull (view);
  copy = g_memdup2 (view->data, view->n_bytes);
  *n_bytes = view->n_bytes;
  ct_safetensors_free (file);
  return copy;
}

/* camtrail_net's default recipe is airbench's, and says so: the manifest
 * records it and that epoch 0 depends on the training images; the stem is
 * whitened (not the seed's alone: --no-whiten's epoch 0 of the same seed
 * differs) and stays frozen; the last epoch, and only it, also has a
 * test-time augmented accuracy, which `eval` prints in a column of its own. */
static void
test_train_airbench_recipe (void)
{
  g_autofree char *run = g_build_filename (tmpdir, "run-airbench", NULL);
  g_autofree char *plain = g_build_filename (tmpdir, "run-not-whitened", NULL);
  g_autofree char *manifest_path = g_build_filename (run, "manifest.json", NULL);
  g_autofree char *manifest_text = NULL;
  g_autofree float *white0 = NULL, *white2 = NULL, *seed0 = NULL;
  g_autoptr(CtManifest) manifest = NULL;
  g_autoptr(GArray) metrics = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(Result) train = { 0 };
  g_auto(Result) train_plain = { 0 };
  g_auto(Result) eval = { 0 };
  gsize n0, n2, n_seed;

  run_cli (&train, "train", "--data", data_dir, "--width", "16", "--epochs", "2",
           "--train-limit", "128", "--batch-size", "32", "--threads", "2", "--seed", "3",
           "--quiet", "--out", run, NULL);
  g_assert_cmpint (train.status, ==, 0);
  run_cli (&train_plain, "train", "--data", data_dir, "--width", "16", "--epochs", "1",
           "--train-limit", "128", "--batch-size", "32", "--threads", "2", "--seed", "3",
           "--quiet", "--no-whiten", "--out", plain, NULL);
  g_assert_cmpint (train_plain.status, ==, 0);

  manifest = load_manifest (run);
  g_assert_true (manifest->hyper.whiten);
  g_assert_true (manifest->hyper.lookahead);
  g_assert_true (manifest->hyper.alternate_flip);
  g_assert_true (manifest->hyper.translate_reflect);
  g_assert_cmpint (manifest->hyper.tta, ==, 2);
  g_assert_cmpfloat (manifest->hyper.bias_lr_scale, ==, 64.0);
  g_assert_cmpfloat (manifest->hyper.lr_start, ==, 0.2);
  g_assert_cmpfloat (manifest->hyper.lr_end, ==, 0.07);
  /* 0.23 of the default 9 epochs' schedule, kept for 2. */
  g_assert_cmpfloat_with_epsilon (manifest->hyper.warmup_epochs, 0.46, 1e-12);
  g_assert_true (g_file_get_contents (manifest_path, &manifest_text, NULL, NULL));
  g_assert_nonnull (strstr (manifest_text, "\"initial_weights\" : \"from the seed, then the stem "
                                           "whitened from the first 128 training images\""));

  white0 = dup_stem (run, 0, &n0);
  white2 = dup_stem (run, 2, &n2);
  seed0 = dup_stem (plain, 0, &n_seed);
  g_assert_cmpmem (white0, n0, white2, n2);
  g_assert_cmpuint (n0, ==, n_seed);
  g_assert_true (memcmp (white0, seed0, n0) != 0);

  metrics = ct_metrics_load (run, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (metrics->len, ==, 3);
  g_assert_true (isnan (g_array_index (metrics, CtEpochMetrics, 0).test_accuracy_tta));
  g_assert_true (isnan (g_array_index (metrics, CtEpochMetrics, 1).test_accuracy_tta));
  g_assert_cmpfloat (g_array_index (metrics, CtEpochMetrics, 2).test_accuracy_tta, >=, 0.0);
  g_assert_cmpfloat (g_array_index (metrics, CtEpochMetrics, 2).test_loss_tta, !=,
                     g_array_index (metrics, CtEpochMetrics, 2).test_loss);

  run_cli (&eval, "eval", "--run", run, NULL);
  g_assert_cmpint (eval.status, ==, 0);
  g_assert_nonnull (strstr (eval.out, "TTA acc"));
}

/* The test accuracy of the last epoch, from `eval --remeasure`'s
 * "epoch N: test accuracy X%" lines. */
static double
remeasured_accuracy (const char *err)
{
  g_auto(GStrv) lines = g_strsplit (err, "\n", -1);
  double accuracy = -1;

  for (guint i = 0; lines[i] != NULL; i++)
    {
      const char *at = strstr (lines[i], ": test accuracy ");

      if (g_str_has_prefix (lines[i], "epoch ") && at != NULL)
        accuracy = g_ascii_strtod (at + strlen (": test accuracy "), NULL) / 100;
    }
  g_assert_cmpfloat (accuracy, >=, 0);
  return accuracy;
}

/* eval --data re-measures on another dataset: here the run's own test
 * images with every label moved on by one class.  By hand from the last
 * epoch's predictions (cam --json over the whole split): the accuracy
 * against the true labels, and against the moved ones. */
static void
test_eval_data (void)
{
  g_autofree char *moved = g_build_filename (tmpdir, "moved-labels", NULL);
  g_autofree char *json = cam_path ("eval-all", "json");
  g_autofree char *png = cam_path ("eval-all", "png");
  g_autoptr(GString) all = g_string_new ("0");
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_auto(Result) cam = { 0 }, own = { 0 }, other = { 0 };
  const char *names[] = { "data_batch_1.bin", "data_batch_2.bin", "test_batch.bin",
                          "batches.meta.txt" };
  guint right = 0, right_moved = 0, n;
  JsonObject *root;
  JsonArray *images;

  g_mkdir (moved, 0755);
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *from = g_build_filename (data_dir, names[i], NULL);
      g_autofree char *to = g_build_filename (moved, names[i], NULL);
      g_autofree char *contents = NULL;
      gsize length;

      g_file_get_contents (from, &contents, &length, &error);
      g_assert_no_error (error);
      if (g_str_equal (names[i], "test_batch.bin"))
        for (gsize record = 0; record < length; record += 1 + 3 * 32 * 32)
          contents[record] = (contents[record] + 1) % 4;
      g_file_set_contents (to, contents, length, &error);
      g_assert_no_error (error);
    }

  for (guint i = 1; i < 64; i++)
    g_string_append_printf (all, ",%u", i);
  run_cli (&cam, "cam", "--run", run_dir, "--epochs", "last", "--images", all->str, "--out", png,
           "--json", json, NULL);
  g_assert_cmpint (cam.status, ==, 0);
  root = cam_cells ("eval-all", parser);
  images = json_object_get_array_member (root, "images");
  n = json_array_get_length (images);
  g_assert_cmpuint (n, ==, 64);
  for (guint i = 0; i < n; i++)
    {
      gint64 label = json_object_get_int_member (json_array_get_object_element (images, i), "label");
      gint64 predicted = json_object_get_int_member (cell_at (root, 0, i), "predicted");

      right += predicted == label;
      right_moved += predicted == (label + 1) % 4;
    }

  run_cli (&own, "eval", "--run", run_dir, "--remeasure", NULL);
  g_assert_cmpint (own.status, ==, 0);
  run_cli (&other, "eval", "--run", run_dir, "--remeasure", "--data", moved, NULL);
  g_assert_cmpint (other.status, ==, 0);
  g_assert_cmpfloat_with_epsilon (remeasured_accuracy (own.err), (double) right / n, 1e-4);
  g_assert_cmpfloat_with_epsilon (remeasured_accuracy (other.err), (double) right_moved / n, 1e-4);
  /* The case tells the datasets apart. */
  g_assert_cmpuint (right, !=, right_moved);
}

/* train's --precision, --input-size and --device, each seen in the run. */
static void
test_train_options (void)
{
  g_autofree char *fp32 = g_build_filename (tmpdir, "run-fp32-40", NULL);
  g_autofree char *bf16 = g_build_filename (tmpdir, "run-bf16", NULL);
  g_autofree char *never = g_build_filename (tmpdir, "run-never", NULL);
  g_autofree char *png = cam_path ("input-size", "png");
  g_autofree char *npy = cam_path ("input-size", "npy");
  g_autofree float *maps = NULL;
  g_autoptr(CtManifest) base = load_manifest (run_dir);
  g_autoptr(CtManifest) fp32_manifest = NULL;
  g_autoptr(CtManifest) bf16_manifest = NULL;
  g_auto(Result) train_fp32 = { 0 }, train_bf16 = { 0 }, bad = { 0 }, cuda = { 0 }, cam = { 0 };
  guint shape[5];
  gsize n;

  run_cli (&train_fp32, "train", "--data", data_dir, "--width", "4", "--epochs", "1",
           "--train-limit", "64", "--threads", "2", "--precision", "fp32", "--input-size", "40",
           "--out", fp32, NULL);
  g_assert_cmpint (train_fp32.status, ==, 0);
  fp32_manifest = load_manifest (fp32);
  g_assert_false (fp32_manifest->mixed_precision);
  g_assert_cmpint (fp32_manifest->input_size, ==, 40);
  g_assert_cmpint (fp32_manifest->image_size, ==, 32);
  /* camtrail_net's maps, by hand: a 2×2 unpadded stem (side − 1), then
   * halved (rounding down) by each further stage. */
  g_assert_cmpint (base->input_size, ==, 32);
  g_assert_cmpuint (fp32_manifest->n_layers, ==, base->n_layers);
  for (guint i = 0, side = 39; i < fp32_manifest->n_layers; i++, side /= 2)
    {
      g_assert_cmpint (fp32_manifest->layers[i].height, ==, side);
      g_assert_cmpint (base->layers[i].height, ==, 31 >> i);
    }
  /* Heatmaps still come at the image's size. */
  run_cli (&cam, "cam", "--run", fp32, "--epochs", "1", "--images", "0", "--out", png,
           "--npy", npy, NULL);
  g_assert_cmpint (cam.status, ==, 0);
  maps = ct_test_read_npy (npy, shape, &n);
  g_assert_cmpuint (shape[3], ==, 32);
  g_assert_cmpuint (shape[4], ==, 32);

  run_cli (&train_bf16, "train", "--data", data_dir, "--width", "4", "--epochs", "1",
           "--train-limit", "64", "--threads", "2", "--precision", "bf16-mixed", "--out", bf16, NULL);
  g_assert_cmpint (train_bf16.status, ==, 0);
  bf16_manifest = load_manifest (bf16);
  g_assert_true (bf16_manifest->mixed_precision);

  run_cli (&bad, "train", "--data", data_dir, "--precision", "fp16", "--out", never, NULL);
  g_assert_cmpint (bad.status, ==, 2);
  g_assert_nonnull (strstr (bad.err, "--precision"));

  run_cli (&cuda, "train", "--data", data_dir, "--width", "4", "--epochs", "1", "--train-limit", "64",
           "--device", "cuda", "--out", never, NULL);
  if (cuda.status != 0)
    {
      g_autofree char *message = g_ascii_strdown (cuda.err, -1);

      /* This libtorch has no CUDA, or the machine no GPU: said, not crashed. */
      g_assert_cmpint (cuda.status, ==, 1);
      g_assert_nonnull (strstr (message, "cuda"));
    }
}

/* train --demo: the window's demo recipe on Debian's Fashion-MNIST, here
 * cut to one epoch on a few images (other options override the recipe). */
static void
test_train_demo (void)
{
  g_autofree char *demo = g_build_filename (tmpdir, "demo", NULL);
  g_autoptr(CtManifest) manifest = NULL;
  g_auto(Result) train = { 0 };

  run_cli (&train, "train", "--demo", "--epochs", "1", "--train-limit", "256", "--threads", "2",
           "--out", demo, NULL);
  if (train.status != 0)
    g_error ("train --demo failed (is dataset-fashion-mnist installed? scripts/install-deps):\n%s",
             train.err);
  manifest = load_manifest (demo);
  g_assert_cmpstr (manifest->arch, ==, "camtrail_net");
  g_assert_cmpint (manifest->width, ==, 16);
  g_assert_cmpstr (manifest->dataset, ==, "fashion-mnist");
  g_assert_cmpint (manifest->channels, ==, 1);
  g_assert_cmpint (manifest->image_size, ==, 28);
  g_assert_cmpint (manifest->n_classes, ==, 10);
  g_assert_cmpuint (manifest->train_images, ==, 256);
  g_assert_cmpint (manifest->hyper.epochs, ==, 1);
}

/* Every method of core's table draws through `cam --method`, is named in
 * the PNG's provenance and the JSON, and changes the heatmaps. */
static void
test_cam_methods (void)
{
  g_autofree char *png = g_build_filename (tmpdir, "method.png", NULL);
  g_autofree char *gradcam_npy = NULL;
  g_auto(Result) bad = { 0 };

  for (guint m = 0; m < CT_CAM_N_METHODS; m++)
    {
      const char *name = ct_cam_method_to_string (m);
      g_autofree char *npy = g_strdup_printf ("%s/method-%u.npy", tmpdir, m);
      g_autofree char *json = g_strdup_printf ("%s/method-%u.json", tmpdir, m);
      g_autofree char *npy_data = NULL;
      g_autoptr(GHashTable) text = NULL;
      g_autoptr(JsonParser) parser = json_parser_new ();
      g_autoptr(GError) error = NULL;
      g_autofree guint8 *pixels = NULL;
      g_auto(Result) cam = { 0 };
      guint width = 0, height = 0;
      gsize npy_size = 0;

      run_cli (&cam, "cam", "--run", run_dir, "--epochs", "last", "--images", "0,1,5",
               "--method", name, "--threads", "2", "--out", png, "--npy", npy, "--json", json,
               NULL);
      g_assert_cmpint (cam.status, ==, 0);
      g_assert_nonnull (strstr (cam.out, ct_cam_method_get_info (m)->title));

      pixels = ct_png_read_rgba (png, &width, &height, &text, &error);
      g_assert_no_error (error);
      g_assert_cmpstr (g_hash_table_lookup (text, "camtrail:method"), ==, name);

      json_parser_load_from_file (parser, json, &error);
      g_assert_no_error (error);
      g_assert_cmpstr (json_object_get_string_member (json_node_get_object (json_parser_get_root (parser)),
                                                      "method"), ==, name);

      g_file_get_contents (npy, &npy_data, &npy_size, &error);
      g_assert_no_error (error);
      if (m == CT_CAM_METHOD_GRADCAM)
        gradcam_npy = g_steal_pointer (&npy_data);
      else if (m != CT_CAM_METHOD_XGRADCAM)
        /* (XGrad-CAM may equal Grad-CAM where a channel's gradient is flat.) */
        g_assert_true (memcmp (npy_data, gradcam_npy, npy_size) != 0);
    }

  run_cli (&bad, "cam", "--run", run_dir, "--images", "0", "--method", "grad-cam",
           "--out", png, NULL);
  g_assert_cmpint (bad.status, ==, 2);
  g_assert_nonnull (strstr (bad.err, "grad-cam"));
  g_assert_nonnull (strstr (bad.err, "gradcam++"));
  g_assert_cmpint (count_lines (bad.err), ==, 1);
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

  /* Another method: named in the JSON and the charts. */
  {
    g_autofree char *dir = g_build_filename (tmpdir, "robustness-layercam", NULL);
    g_autofree char *json = g_build_filename (dir, "robustness.json", NULL);
    g_autofree char *png = g_build_filename (dir, "accuracy.png", NULL);
    g_autoptr(JsonParser) parser = json_parser_new ();
    g_autoptr(GHashTable) text = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree guint8 *pixels = NULL;
    g_auto(Result) result = { 0 }, unknown = { 0 };
    guint width = 0, height = 0;

    run_cli (&result, "robustness", "--run", run_dir, "--epochs", "0", "--perturb", "noise:0.1",
             "--images", "4", "--method", "layercam", "--threads", "2", "--quiet", "--out", dir,
             NULL);
    g_assert_cmpint (result.status, ==, 0);
    json_parser_load_from_file (parser, json, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (json_object_get_string_member (json_node_get_object (json_parser_get_root (parser)),
                                                    "method"), ==, "layercam");
    pixels = ct_png_read_rgba (png, &width, &height, &text, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (g_hash_table_lookup (text, "camtrail:method"), ==, "layercam");

    run_cli (&unknown, "robustness", "--run", run_dir, "--method", "nope", "--out", dir, NULL);
    g_assert_cmpint (unknown.status, ==, 2);
    g_assert_cmpint (count_lines (unknown.err), ==, 1);
  }
}

/* robustness's --layer, --target, --scale, --batch-size, --data,
 * --device and --quiet, each seen in what it writes. */
static void
test_robustness_options (void)
{
  g_autofree char *plain = g_build_filename (tmpdir, "robustness-plain", NULL);
  g_autofree char *options = g_build_filename (tmpdir, "robustness-options", NULL);
  g_autofree char *other = g_build_filename (tmpdir, "robustness-squares", NULL);
  g_autofree char *plain_chart = g_build_filename (plain, "accuracy.png", NULL);
  g_autofree char *options_chart = g_build_filename (options, "accuracy.png", NULL);
  g_autofree char *plain_json = NULL, *options_json = NULL;
  g_autofree char *plain_csv = NULL, *options_csv = NULL;
  g_autoptr(CtManifest) manifest = load_manifest (run_dir);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autofree guint8 *pixels = NULL;
  g_auto(Result) first = { 0 }, second = { 0 }, bad_target = { 0 }, cuda = { 0 };
  const char *other_layer = NULL;
  guint plain_width = 0, options_width = 0, height = 0;
  JsonObject *root;

  g_mkdir (other, 0755);
  g_free (ct_test_write_squares (other, 64, 16, 9));
  for (guint i = 0; i < manifest->n_layers; i++)
    if (g_strcmp0 (manifest->layers[i].name, manifest->default_layer) != 0)
      other_layer = manifest->layers[i].name;

  run_cli (&first, "robustness", "--run", run_dir, "--epochs", "0", "--perturb", "noise:0.1",
           "--images", "4", "--seed", "3", "--threads", "2", "--out", plain, NULL);
  g_assert_cmpint (first.status, ==, 0);
  g_assert_cmpstr (first.err, !=, "");
  run_cli (&second, "robustness", "--run", run_dir, "--epochs", "0", "--perturb", "noise:0.1",
           "--images", "4", "--seed", "3", "--threads", "2", "--layer", other_layer,
           "--target", "label", "--scale", "1", "--batch-size", "3", "--data", other, "--quiet",
           "--out", options, NULL);
  g_assert_cmpint (second.status, ==, 0);
  g_assert_cmpstr (second.err, ==, "");

  plain_json = g_build_filename (plain, "robustness.json", NULL);
  options_json = g_build_filename (options, "robustness.json", NULL);
  json_parser_load_from_file (parser, plain_json, &error);
  g_assert_no_error (error);
  root = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpstr (json_object_get_string_member (root, "layer"), ==, manifest->default_layer);
  g_assert_cmpstr (json_object_get_string_member (root, "target"), ==, "predicted");
  json_parser_load_from_file (parser, options_json, &error);
  g_assert_no_error (error);
  root = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpstr (json_object_get_string_member (root, "layer"), ==, other_layer);
  g_assert_cmpstr (json_object_get_string_member (root, "target"), ==, "label");

  /* The default chart scale is 2. */
  pixels = ct_png_read_rgba (plain_chart, &plain_width, &height, NULL, &error);
  g_assert_no_error (error);
  g_clear_pointer (&pixels, g_free);
  pixels = ct_png_read_rgba (options_chart, &options_width, &height, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (plain_width, ==, 2 * options_width);

  /* Another dataset's pixels give other numbers. */
  plain_csv = read_text (plain, "robustness.csv");
  options_csv = read_text (options, "robustness.csv");
  g_assert_cmpstr (plain_csv, !=, options_csv);

  run_cli (&bad_target, "robustness", "--run", run_dir, "--target", "3", "--out", options, NULL);
  g_assert_cmpint (bad_target.status, ==, 2);

  run_cli (&cuda, "robustness", "--run", run_dir, "--epochs", "0", "--perturb", "noise:0.1",
           "--images", "2", "--device", "cuda", "--quiet", "--out", options, NULL);
  if (cuda.status != 0)
    {
      g_autofree char *message = g_ascii_strdown (cuda.err, -1);

      /* This libtorch has no CUDA, or the machine no GPU: said, not crashed. */
      g_assert_cmpint (cuda.status, ==, 1);
      g_assert_nonnull (strstr (message, "cuda"));
    }
}

/* A chart the faithfulness command wrote: at --scale's size, with its
 * provenance, and not blank: some pixels of the method's line colour
 * (Tableau's blue, ct-faithfulness-plot.c) on the white background.  The
 * background is at least a third of it: over the test's handful of images
 * the sanity charts' confidence bands can cover half the plot (49% white
 * with today's recipe). */
static void
assert_faithfulness_chart (const char *dir,
                           const char *chart,
                           guint       expected_width,
                           const char *method)
{
  g_autofree char *name = g_strconcat (chart, ".png", NULL);
  g_autofree char *png = g_build_filename (dir, name, NULL);
  g_autoptr(GHashTable) text = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree guint8 *pixels = NULL;
  guint width = 0, height = 0, white = 0, blue = 0;

  pixels = ct_png_read_rgba (png, &width, &height, &text, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (width, ==, expected_width);
  g_assert_cmpuint (height, ==, expected_width * 400 / 640);
  g_assert_cmpstr (g_hash_table_lookup (text, "camtrail:chart"), ==, chart);
  g_assert_cmpstr (g_hash_table_lookup (text, "camtrail:method"), ==, method);
  g_assert_cmpstr (g_hash_table_lookup (text, "camtrail:seed"), ==, "3");
  for (gsize p = 0; p < (gsize) width * height; p++)
    {
      const guint8 *rgba = pixels + 4 * p;

      white += rgba[0] == 255 && rgba[1] == 255 && rgba[2] == 255;
      blue += abs (rgba[0] - 31) < 12 && abs (rgba[1] - 120) < 12 && abs (rgba[2] - 181) < 12;
    }
  g_assert_cmpuint (white, >, (gsize) width * height / 3);
  g_assert_cmpuint (blue, >, 20);
}

/* A small faithfulness study: the files and charts, a method row and a
 * random row per epoch, the same numbers for the same seed, bad options
 * refused. */
static void
test_faithfulness (void)
{
  g_autofree char *out = g_build_filename (tmpdir, "faithfulness", NULL);
  g_autofree char *again = g_build_filename (tmpdir, "faithfulness-again", NULL);
  g_autofree char *csv = NULL, *again_csv = NULL;
  g_auto(GStrv) lines = NULL;
  g_auto(Result) first = { 0 }, second = { 0 }, bad_baseline = { 0 }, bad_step = { 0 };
  g_auto(Result) blurred = { 0 }, bad_noise = { 0 }, sane = { 0 }, bad_scale = { 0 };
  g_autofree char *sanity_out = g_build_filename (tmpdir, "faithfulness-sanity", NULL);
  g_autofree char *sanity_csv = NULL;
  g_autofree char *blur_out = g_build_filename (tmpdir, "faithfulness-blur", NULL);
  g_autofree char *blur_csv = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *json = g_build_filename (out, "faithfulness.json", NULL);
  JsonObject *root;

  run_cli (&first, "faithfulness", "--run", run_dir, "--epochs", "0,last", "--images", "4",
           "--step", "0.1", "--method", "layercam", "--seed", "3", "--threads", "2", "--quiet",
           "--out", out, NULL);
  g_assert_cmpint (first.status, ==, 0);
  g_assert_nonnull (strstr (first.out, "deletion AUC"));
  csv = read_text (out, "faithfulness.csv");
  lines = g_strsplit (csv, "\n", -1);
  g_assert_cmpstr (lines[0], ==, "epoch,heatmap,images,deletion_auc,deletion_auc_ci95,"
                                 "insertion_auc,insertion_auc_ci95,average_drop,"
                                 "average_drop_ci95,increase_in_confidence,"
                                 "increase_in_confidence_ci95,road_morf,road_morf_ci95,"
                                 "road_lerf,road_lerf_ci95,road_combined,road_combined_ci95");
  g_assert_cmpuint (g_strv_length (lines), ==, 1 + 2 * 2 + 1);
  /* ROAD: probability changes in [−1, 1]; the combined score is
   * (lerf − morf) / 2 image by image, so also of the means. */
  for (guint r = 1; r <= 4; r++)
    {
      g_auto(GStrv) cells = g_strsplit (lines[r], ",", -1);
      double morf = g_ascii_strtod (cells[11], NULL), lerf = g_ascii_strtod (cells[13], NULL);

      g_assert_cmpuint (g_strv_length (cells), ==, 17);
      g_assert_cmpfloat (fabs (morf), <=, 1);
      g_assert_cmpfloat (fabs (lerf), <=, 1);
      g_assert_cmpfloat_with_epsilon (g_ascii_strtod (cells[15], NULL), (lerf - morf) / 2, 2e-6);
    }
  g_assert_true (g_str_has_prefix (lines[1], "0,layercam,4,"));
  g_assert_true (g_str_has_prefix (lines[2], "0,random,4,"));
  g_assert_true (g_str_has_prefix (lines[3], "2,layercam,4,"));

  json_parser_load_from_file (parser, json, &error);
  g_assert_no_error (error);
  root = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpstr (json_object_get_string_member (root, "method"), ==, "layercam");
  g_assert_cmpstr (json_object_get_string_member (root, "baseline"), ==, "zero");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (root, "rows")), ==, 4);
  assert_faithfulness_chart (out, "faithfulness-deletion", 1280, "layercam");
  assert_faithfulness_chart (out, "faithfulness-insertion", 1280, "layercam");
  assert_faithfulness_chart (out, "faithfulness-road", 1280, "layercam");
  assert_faithfulness_chart (out, "faithfulness-average-drop", 1280, "layercam");
  assert_faithfulness_chart (out, "faithfulness-increase", 1280, "layercam");

  run_cli (&second, "faithfulness", "--run", run_dir, "--epochs", "0,last", "--images", "4",
           "--step", "0.1", "--method", "layercam", "--seed", "3", "--threads", "2", "--quiet",
           "--out", again, NULL);
  g_assert_cmpint (second.status, ==, 0);
  again_csv = read_text (again, "faithfulness.csv");
  g_assert_cmpstr (csv, ==, again_csv);

  /* RISE's blurred baseline: other deletion and insertion curves, the
   * same ROAD and explanation-map scores (they do not use the baseline). */
  run_cli (&blurred, "faithfulness", "--run", run_dir, "--epochs", "0,last", "--images", "4",
           "--step", "0.1", "--method", "layercam", "--seed", "3", "--threads", "2", "--quiet",
           "--baseline", "blur", "--out", blur_out, NULL);
  g_assert_cmpint (blurred.status, ==, 0);
  blur_csv = read_text (blur_out, "faithfulness.csv");
  {
    g_auto(GStrv) blur_lines = g_strsplit (blur_csv, "\n", -1);
    g_auto(GStrv) zero_cells = g_strsplit (lines[3], ",", -1);
    g_auto(GStrv) blur_cells = g_strsplit (blur_lines[3], ",", -1);

    g_assert_cmpstr (zero_cells[3], !=, blur_cells[3]);
    for (guint c = 7; c < 17; c++)
      g_assert_cmpstr (zero_cells[c], ==, blur_cells[c]);
  }

  /* --sanity: the last epoch against epoch 0, then randomised from the
   * output down group by group; randomising every group gives epoch 0's
   * network itself, so the last row repeats the "epoch 0" row exactly. */
  run_cli (&sane, "faithfulness", "--run", run_dir, "--epochs", "0,last", "--images", "4",
           "--step", "0.5", "--seed", "3", "--threads", "2", "--quiet", "--sanity",
           "--scale", "1", "--out", sanity_out, NULL);
  g_assert_cmpint (sane.status, ==, 0);
  assert_faithfulness_chart (sanity_out, "faithfulness-deletion", 640, "gradcam");
  assert_faithfulness_chart (sanity_out, "sanity-epoch0", 640, "gradcam");
  assert_faithfulness_chart (sanity_out, "sanity-cascade", 640, "gradcam");
  g_assert_nonnull (strstr (sane.out, "randomisation sanity check"));
  sanity_csv = read_text (sanity_out, "sanity.csv");
  {
    g_auto(GStrv) rows = g_strsplit (sanity_csv, "\n", -1);
    const char *const groups[] = { "head", "stages.2", "stages.1", "stages.0", "stem" };
    const char *epoch0, *all;

    g_assert_cmpstr (rows[0], ==, "epoch,against,randomised_groups,images,spearman,"
                                  "spearman_ci95,ssim,ssim_ci95,top20_iou,top20_iou_ci95");
    g_assert_cmpuint (g_strv_length (rows), ==, 1 + 1 + 5 + 1);
    g_assert_true (g_str_has_prefix (rows[1], "2,epoch 0,0,4,"));
    for (guint g = 0; g < G_N_ELEMENTS (groups); g++)
      {
        g_autofree char *prefix = g_strdup_printf ("2,%s,%u,4,", groups[g], g + 1);

        g_assert_true (g_str_has_prefix (rows[2 + g], prefix));
      }
    epoch0 = strchr (strchr (strchr (strchr (rows[1], ',') + 1, ',') + 1, ',') + 1, ',');
    all = strchr (strchr (strchr (strchr (rows[6], ',') + 1, ',') + 1, ',') + 1, ',');
    g_assert_cmpstr (epoch0, ==, all);
  }

  run_cli (&bad_noise, "faithfulness", "--run", run_dir, "--road-noise", "-1", "--out", out,
           NULL);
  g_assert_cmpint (bad_noise.status, ==, 2);
  g_assert_cmpint (count_lines (bad_noise.err), ==, 1);
  run_cli (&bad_baseline, "faithfulness", "--run", run_dir, "--baseline", "gray", "--out", out,
           NULL);
  g_assert_cmpint (bad_baseline.status, ==, 2);
  g_assert_cmpint (count_lines (bad_baseline.err), ==, 1);
  run_cli (&bad_step, "faithfulness", "--run", run_dir, "--step", "0", "--out", out, NULL);
  g_assert_cmpint (bad_step.status, ==, 2);
  g_assert_cmpint (count_lines (bad_step.err), ==, 1);
  run_cli (&bad_scale, "faithfulness", "--run", run_dir, "--scale", "0", "--out", out, NULL);
  g_assert_cmpint (bad_scale.status, ==, 2);
  g_assert_nonnull (strstr (bad_scale.err, "--scale"));
  g_assert_cmpint (count_lines (bad_scale.err), ==, 1);
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

static JsonObject *
dup_json_object (const char *dir,
                 const char *name,
                 JsonParser *parser)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autoptr(GError) error = NULL;

  json_parser_load_from_file (parser, path, &error);
  g_assert_no_error (error);
  return json_node_get_object (json_parser_get_root (parser));
}

/* An image folder, as ImageFolder lays it out: trained for an epoch at
 * --image-size, drawn by cam at that size with ImageFolder's labels (and
 * with the caching told when cam --data names a folder not cached yet); a
 * broken image stops train with its path, or with --skip-bad is left out,
 * listed in the manifest, and the run still opens. */
static void
test_image_folder (void)
{
  g_autofree char *folder = g_build_filename (tmpdir, "pictures", NULL);
  g_autofree char *run = g_build_filename (tmpdir, "pictures-run", NULL);
  g_autofree char *skip_run = g_build_filename (tmpdir, "pictures-skip-run", NULL);
  g_autofree char *never = g_build_filename (tmpdir, "pictures-never", NULL);
  g_autofree char *figure = g_build_filename (tmpdir, "pictures.png", NULL);
  g_autofree char *json = g_build_filename (tmpdir, "pictures.json", NULL);
  g_autofree char *broken = NULL;
  g_autoptr(JsonParser) manifest_parser = json_parser_new ();
  g_autoptr(JsonParser) skip_parser = json_parser_new ();
  g_autoptr(JsonParser) cells_parser = json_parser_new ();
  g_auto(Result) train = { 0 }, cam = { 0 }, strict = { 0 }, skipping = { 0 }, skip_cam = { 0 };
  g_auto(Result) not_folder = { 0 }, cam_uncached = { 0 }, cam_cached = { 0 };
  g_autofree char *copy = g_build_filename (tmpdir, "pictures-copy", NULL);
  JsonObject *dataset, *cells;
  JsonArray *images, *skipped;
  guint width = 0, height = 0;
  g_autofree guint8 *pixels = NULL;
  g_autoptr(GError) error = NULL;

  g_free (ct_test_write_image_folder (folder, 24, 8, 20, 4));
  run_cli (&train, "train", "--data", folder, "--image-size", "16", "--epochs", "1",
           "--width", "8", "--batch-size", "8", "--threads", "2", "--out", run, NULL);
  g_assert_cmpint (train.status, ==, 0);
  g_assert_nonnull (strstr (train.err, "caching images"));
  dataset = json_object_get_object_member (dup_json_object (run, "manifest.json", manifest_parser),
                                           "dataset");
  g_assert_cmpstr (json_object_get_string_member (dataset, "name"), ==, "pictures");
  g_assert_cmpint (json_object_get_int_member (dataset, "image_size"), ==, 16);
  g_assert_cmpint (json_object_get_int_member (dataset, "channels"), ==, 3);
  g_assert_cmpint (json_array_get_length (json_object_get_array_member (dataset, "classes")), ==, 4);
  g_assert_false (json_object_has_member (dataset, "skipped_images"));

  /* Test image 7 is test/white/007.jpg: white is class 3. */
  run_cli (&cam, "cam", "--run", run, "--images", "0,7", "--out", figure, "--json", json,
           "--threads", "2", NULL);
  g_assert_cmpint (cam.status, ==, 0);
  pixels = ct_png_read_rgba (figure, &width, &height, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (width, >, 0);
  cells = dup_json_object (tmpdir, "pictures.json", cells_parser);
  images = json_object_get_array_member (cells, "images");
  g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (images, 0), "label"), ==, 0);
  g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (images, 1), "label"), ==, 3);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (images, 1), "class"),
                   ==, "white");

  /* cam on a copy of the folder, not cached yet: it says it caches, as
   * train does. */
  g_free (ct_test_write_image_folder (copy, 24, 8, 20, 4));
  run_cli (&cam_uncached, "cam", "--run", run, "--data", copy, "--images", "0,7", "--out", figure,
           "--threads", "2", NULL);
  g_assert_cmpint (cam_uncached.status, ==, 0);
  g_assert_nonnull (strstr (cam_uncached.err, "caching images: decoding 32/32"));
  run_cli (&cam_cached, "cam", "--run", run, "--data", copy, "--images", "0,7", "--out", figure,
           "--threads", "2", NULL);
  g_assert_cmpint (cam_cached.status, ==, 0);
  g_assert_null (strstr (cam_cached.err, "caching images"));

  broken = g_build_filename (folder, "train", "red", "zzz.png", NULL);
  g_file_set_contents (broken, "\x89PNG\r\n\x1a\n", 8, &error);
  g_assert_no_error (error);
  run_cli (&strict, "train", "--data", folder, "--image-size", "16", "--epochs", "1",
           "--out", never, NULL);
  g_assert_cmpint (strict.status, ==, 1);
  g_assert_nonnull (strstr (strict.err, broken));
  g_assert_false (g_file_test (never, G_FILE_TEST_EXISTS));

  run_cli (&skipping, "train", "--data", folder, "--image-size", "16", "--epochs", "1",
           "--width", "8", "--batch-size", "8", "--threads", "2", "--skip-bad", "--quiet",
           "--out", skip_run, NULL);
  g_assert_cmpint (skipping.status, ==, 0);
  dataset = json_object_get_object_member (dup_json_object (skip_run, "manifest.json", skip_parser),
                                           "dataset");
  g_assert_true (json_object_get_boolean_member (dataset, "skip_bad"));
  g_assert_cmpint (json_object_get_int_member (dataset, "train_images"), ==, 24);
  skipped = json_object_get_array_member (dataset, "skipped_images");
  g_assert_cmpint (json_array_get_length (skipped), ==, 1);
  g_assert_true (g_str_has_prefix (json_array_get_string_element (skipped, 0), "train/red/zzz.png: "));
  /* The run reopens its folder as trained: skipping, at 16. */
  run_cli (&skip_cam, "cam", "--run", skip_run, "--images", "1", "--out", figure, "--threads", "2",
           NULL);
  g_assert_cmpint (skip_cam.status, ==, 0);

  /* The image options of another kind of dataset are an error, not ignored. */
  run_cli (&not_folder, "train", "--data", data_dir, "--image-size", "16", "--out", never, NULL);
  g_assert_cmpint (not_folder.status, ==, 1);
  g_assert_nonnull (strstr (not_folder.err, "not an image folder"));
  g_assert_false (g_file_test (never, G_FILE_TEST_EXISTS));
}

/* 300 classes, more than a byte label holds: train and cam through the
 * binary; class-299 (the last in code-point order) keeps its label. */
static void
test_image_folder_many_classes (void)
{
  enum { N_CLASSES = 300, SIDE = 4 };
  g_autofree char *folder = g_build_filename (tmpdir, "many-classes", NULL);
  g_autofree char *run = g_build_filename (tmpdir, "many-classes-run", NULL);
  g_autofree char *figure = g_build_filename (tmpdir, "many-classes.png", NULL);
  g_autofree char *json = g_build_filename (tmpdir, "many-classes.json", NULL);
  g_autoptr(JsonParser) manifest_parser = json_parser_new ();
  g_autoptr(JsonParser) cells_parser = json_parser_new ();
  g_auto(Result) train = { 0 }, cam = { 0 };
  JsonObject *dataset, *image;
  JsonArray *classes;

  for (guint k = 0; k < N_CLASSES; k++)
    for (guint split = 0; split < 2; split++)
      {
        g_autofree char *name = g_strdup_printf ("class-%03u", k);
        g_autofree char *class_dir = g_build_filename (folder, split == 0 ? "train" : "test",
                                                       name, NULL);
        g_autofree char *path = g_build_filename (class_dir, "0.png", NULL);
        guint8 pixels[SIDE * SIDE * 3];

        for (guint p = 0; p < sizeof pixels; p++)
          pixels[p] = (guint8) (k * 7 + p * 13 + split * 50);
        g_assert_cmpint (g_mkdir_with_parents (class_dir, 0755), ==, 0);
        ct_test_write_png (path, SIDE, SIDE, PNG_COLOR_TYPE_RGB, 8, pixels, NULL, 0, NULL, 0);
      }

  run_cli (&train, "train", "--data", folder, "--image-size", "16", "--epochs", "1",
           "--width", "8", "--batch-size", "32", "--threads", "2", "--quiet", "--out", run, NULL);
  g_assert_cmpint (train.status, ==, 0);
  dataset = json_object_get_object_member (dup_json_object (run, "manifest.json", manifest_parser),
                                           "dataset");
  classes = json_object_get_array_member (dataset, "classes");
  g_assert_cmpint (json_array_get_length (classes), ==, N_CLASSES);
  g_assert_cmpstr (json_array_get_string_element (classes, 299), ==, "class-299");

  run_cli (&cam, "cam", "--run", run, "--images", "299", "--out", figure, "--json", json,
           "--threads", "2", NULL);
  g_assert_cmpint (cam.status, ==, 0);
  image = json_array_get_object_element (
      json_object_get_array_member (dup_json_object (tmpdir, "many-classes.json", cells_parser),
                                    "images"), 0);
  g_assert_cmpint (json_object_get_int_member (image, "label"), ==, 299);
  g_assert_cmpstr (json_object_get_string_member (image, "class"), ==, "class-299");
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
  g_test_add_func ("/cli/cam-scale", test_cam_scale);
  g_test_add_func ("/cli/cam-target", test_cam_target);
  g_test_add_func ("/cli/cam-rotation", test_cam_rotation);
  g_test_add_func ("/cli/cam-occlusion", test_cam_occlusion);
  g_test_add_func ("/cli/cam-figure-options", test_cam_figure_options);
  g_test_add_func ("/cli/cam-data-device", test_cam_data_device);
  g_test_add_func ("/cli/cam-selectors", test_cam_selectors);
  g_test_add_func ("/cli/eval-data", test_eval_data);
  g_test_add_func ("/cli/train-options", test_train_options);
  g_test_add_func ("/cli/train-hyperparameters", test_train_hyperparameters);
  g_test_add_func ("/cli/train-airbench-recipe", test_train_airbench_recipe);
  g_test_add_func ("/cli/train-demo", test_train_demo);
  g_test_add_func ("/cli/cam-methods", test_cam_methods);
  g_test_add_func ("/cli/robustness", test_robustness);
  g_test_add_func ("/cli/robustness-options", test_robustness_options);
  g_test_add_func ("/cli/faithfulness", test_faithfulness);
  g_test_add_func ("/cli/malformed-dataset", test_malformed_dataset);
  g_test_add_func ("/cli/image-folder", test_image_folder);
  g_test_add_func ("/cli/image-folder-many-classes", test_image_folder_many_classes);

  status = g_test_run ();
  ct_test_remove_tree (tmpdir);
  g_free (tmpdir);
  g_free (data_dir);
  g_free (run_dir);
  return status;
}
