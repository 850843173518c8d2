/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "ct-robustness.h"

/* The aggregation behind `camtrail-cli robustness`, on hand-made grids:
 * accuracies, intervals, heatmap stability (rotated back), corruption
 * errors, and the CSV and JSON they are written to. */

#define SIDE 4
#define N_IMAGES 2
#define N_ROUNDS 2

static void
test_parse (void)
{
  g_autoptr(GArray) list = NULL;
  g_autoptr(GArray) one = NULL;
  static const char * const invalid[] = {
    "", "noise", "noise:0", "noise:-1", "noise:x", "noise:0.1x", "rotate:0",
    "rotate-random:-5", "occlude:0", "occlude:2.5", "c10c:fog", "c10c:pixelate-6",
    "blur:1", "noise:0.1,,occlude:3",
  };
  const CtPerturb *p;

  list = ct_robustness_parse_perturbations ("noise:0.1, rotate-random:30,occlude:20,"
                                            "rotate:-15,c10c:all,c10c:contrast,"
                                            "c10c:jpeg_compression-2", NULL);
  g_assert_nonnull (list);
  g_assert_cmpuint (list->len, ==, 4 + 55 + 5 + 1);
  p = (const CtPerturb *) list->data;
  g_assert_cmpfloat (p[0].noise_sigma, ==, 0.1);
  g_assert_true (p[1].rotate_random);
  g_assert_cmpfloat (p[1].rotate_degrees, ==, 30);
  g_assert_cmpuint (p[2].occlude_count, ==, 20);
  g_assert_false (p[3].rotate_random);
  g_assert_cmpfloat (p[3].rotate_degrees, ==, -15);
  /* c10c:all runs through the kinds in order, severities 1–5 each. */
  g_assert_cmpint (p[4].corruption.kind, ==, CT_CORRUPTION_GAUSSIAN_NOISE);
  g_assert_cmpuint (p[4].corruption.severity, ==, 1);
  g_assert_cmpint (p[58].corruption.kind, ==, CT_CORRUPTION_PIXELATE);
  g_assert_cmpuint (p[58].corruption.severity, ==, 5);
  g_assert_cmpint (p[59].corruption.kind, ==, CT_CORRUPTION_CONTRAST);
  g_assert_cmpuint (p[63].corruption.severity, ==, 5);
  g_assert_cmpint (p[64].corruption.kind, ==, CT_CORRUPTION_JPEG_COMPRESSION);
  g_assert_cmpuint (p[64].corruption.severity, ==, 2);

  /* Every label reads back as the perturbation it names. */
  for (guint i = 0; i < list->len; i++)
    {
      g_autofree char *label = ct_robustness_dup_label (&p[i]);
      g_autoptr(GArray) again = ct_robustness_parse_perturbations (label, NULL);

      g_assert_nonnull (again);
      g_assert_cmpuint (again->len, ==, 1);
      g_assert_cmpmem (again->data, sizeof (CtPerturb), &p[i], sizeof (CtPerturb));
    }
  {
    g_autofree char *noise = ct_robustness_dup_label (&p[0]);
    g_autofree char *blur = ct_robustness_dup_label (&p[4 + 5 * 4 + 2]);

    g_assert_cmpstr (noise, ==, "noise:0.1");
    g_assert_cmpstr (blur, ==, "c10c:gaussian_blur-3");
  }

  for (guint i = 0; i < G_N_ELEMENTS (invalid); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GArray) rejected = ct_robustness_parse_perturbations (invalid[i], &error);

      g_assert_null (rejected);
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
    }

  one = ct_robustness_parse_perturbations ("c10c:saturate-4", NULL);
  g_assert_cmpuint (one->len, ==, 1);
}

/* The ends of each documented range (`camtrail-cli robustness --help`):
 * 0 < σ ≤ 10, N ≥ 1 (up to G_MAXINT), A > 0. */
static void
test_parse_bounds (void)
{
  static const char *const refused[] = {
    "noise:10.5", "occlude:2147483648", "rotate-random:0",
  };
  g_autoptr(GArray) list = ct_robustness_parse_perturbations ("noise:10,occlude:1,"
                                                              "occlude:2147483647,"
                                                              "rotate-random:0.5", NULL);
  const CtPerturb *p;

  g_assert_nonnull (list);
  g_assert_cmpuint (list->len, ==, 4);
  p = (const CtPerturb *) list->data;
  g_assert_cmpfloat (p[0].noise_sigma, ==, 10);
  g_assert_cmpuint (p[1].occlude_count, ==, 1);
  g_assert_cmpuint (p[2].occlude_count, ==, G_MAXINT);
  g_assert_true (p[3].rotate_random);
  g_assert_cmpfloat (p[3].rotate_degrees, ==, 0.5);

  for (guint i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GArray) none = ct_robustness_parse_perturbations (refused[i], &error);

      g_test_message ("“%s”", refused[i]);
      g_assert_null (none);
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
    }
}

/* A one-row grid of N_IMAGES × @rounds 4×4 cells whose heatmap is
 * value = position (a ramp), labels 0 and 1. */
static CtGrid *
make_grid (guint rounds)
{
  CtGrid *grid = ct_grid_new (1, N_IMAGES, rounds, 1, SIDE, SIDE, 2);

  for (guint i = 0; i < N_IMAGES; i++)
    {
      grid->image_indices[i] = 10 + i;
      grid->labels[i] = i;
      for (guint r = 0; r < rounds; r++)
        {
          CtGridCell *cell = ct_grid_get_cell (grid, 0, i, r);

          cell->predicted = i;
          for (guint k = 0; k < SIDE * SIDE; k++)
            cell->heatmap[k] = k;
        }
    }
  return grid;
}

/* Makes the first @wrong of the N_IMAGES × N_ROUNDS cells mispredict. */
static void
mispredict (CtGrid *grid,
            guint   wrong)
{
  for (guint s = 0; s < wrong; s++)
    {
      CtGridCell *cell = ct_grid_get_cell (grid, 0, s / N_ROUNDS, s % N_ROUNDS);

      cell->predicted = 1 - grid->labels[s / N_ROUNDS];
    }
}

enum { NOISE, ROTATE, CONTRAST_1, CONTRAST_2, N_PERTURBATIONS };

static CtRobustness *
build (void)
{
  const int epochs[] = { 0, 1 };
  CtPerturb perturbations[N_PERTURBATIONS];
  g_autoptr(CtRobustnessBuilder) builder = NULL;
  /* Wrong answers out of the 4 samples, per epoch and perturbation. */
  const guint wrong[2][N_PERTURBATIONS] = { { 0, 0, 2, 3 }, { 0, 0, 1, 2 } };

  for (guint p = 0; p < N_PERTURBATIONS; p++)
    ct_perturb_init (&perturbations[p]);
  perturbations[NOISE].noise_sigma = 0.1;
  perturbations[ROTATE].rotate_degrees = 90;
  perturbations[CONTRAST_1].corruption = (CtCorruption) { CT_CORRUPTION_CONTRAST, 1 };
  perturbations[CONTRAST_2].corruption = (CtCorruption) { CT_CORRUPTION_CONTRAST, 2 };

  builder = ct_robustness_builder_new (epochs, 2, 1, perturbations, N_PERTURBATIONS);
  for (guint e = 0; e < 2; e++)
    for (guint p = 0; p < N_PERTURBATIONS; p++)
      {
        g_autoptr(CtGrid) clean = make_grid (1);
        g_autoptr(CtGrid) perturbed = make_grid (N_ROUNDS);

        /* Epoch 0 gets image 1 wrong when clean. */
        if (e == 0)
          ct_grid_get_cell (clean, 0, 1, 0)->predicted = 0;
        mispredict (perturbed, wrong[e][p]);

        for (guint s = 0; s < N_IMAGES * N_ROUNDS; s++)
          ct_grid_get_cell (perturbed, 0, s / N_ROUNDS, s % N_ROUNDS)->confidence_drop =
            0.1f * (s + 1);

        /* The rotated image's map is the clean map turned with it: turned
         * back, it matches the clean one exactly. */
        if (p == ROTATE)
          for (guint s = 0; s < N_IMAGES * N_ROUNDS; s++)
            {
              CtGridCell *cell = ct_grid_get_cell (perturbed, 0, s / N_ROUNDS, s % N_ROUNDS);
              float turned[SIDE * SIDE];

              ct_perturb_rotate (cell->heatmap, 1, SIDE, SIDE, 90, CT_INTERP_NEAREST, turned);
              memcpy (cell->heatmap, turned, sizeof turned);
            }
        /* Contrast-2 flattens the map of image 0: no correlation there. */
        if (p == CONTRAST_2)
          memset (ct_grid_get_cell (perturbed, 0, 0, 0)->heatmap, 0, SIDE * SIDE * sizeof (float));

        ct_robustness_builder_add (builder, e, p, clean, perturbed);
      }
  return ct_robustness_builder_finish (builder);
}

static void
test_rows (void)
{
  g_autoptr(CtRobustness) result = build ();
  const CtRobustnessRow *noise = ct_robustness_get_row (result, 0, NOISE);
  const CtRobustnessRow *rotate = ct_robustness_get_row (result, 0, ROTATE);
  const CtRobustnessRow *flat = ct_robustness_get_row (result, 1, CONTRAST_2);

  g_assert_cmpint (result->baseline_epoch, ==, 1);
  g_assert_cmpstr (result->labels[ROTATE], ==, "rotate:90");
  g_assert_cmpuint (noise->n_samples, ==, 4);
  g_assert_cmpfloat (noise->clean_accuracy, ==, 0.5);
  g_assert_cmpfloat (noise->accuracy, ==, 1);
  g_assert_cmpfloat (noise->accuracy_drop, ==, -0.5);
  g_assert_cmpfloat (result->epochs[0].clean_accuracy, ==, 0.5);
  g_assert_cmpfloat (result->epochs[1].clean_accuracy, ==, 1);

  /* Drops 0.1 … 0.4: mean 0.25, s = 0.129099, t₃ = 3.182446. */
  g_assert_cmpfloat_with_epsilon (noise->confidence_drop.mean, 0.25, 1e-6);
  g_assert_cmpfloat_with_epsilon (noise->confidence_drop.ci95,
                                  3.182446 * sqrt (0.05 / 3) / 2, 1e-6);
  g_assert_cmpuint (noise->confidence_drop.n, ==, 4);

  /* Unchanged maps, and turned maps turned back, agree perfectly. */
  for (guint i = 0; i < 2; i++)
    {
      const CtRobustnessRow *row = i == 0 ? noise : rotate;

      g_assert_cmpfloat_with_epsilon (row->pearson.mean, 1, 1e-9);
      g_assert_cmpfloat_with_epsilon (row->spearman.mean, 1, 1e-9);
      g_assert_cmpfloat (row->top_iou.mean, ==, 1);
      g_assert_cmpuint (row->pearson.n, ==, 4);
    }

  /* The flat map has no correlation but an IoU: the ramp's top 20% are 4
   * of the 16 positions (≥ 12), the flat map's all 16: 4/16. */
  g_assert_cmpuint (flat->pearson.n, ==, 3);
  g_assert_cmpuint (flat->spearman.n, ==, 3);
  g_assert_cmpuint (flat->top_iou.n, ==, 4);
  g_assert_cmpfloat_with_epsilon (flat->top_iou.mean, (3 + 0.25) / 4, 1e-9);
}

static void
test_corruption_errors (void)
{
  g_autoptr(CtRobustness) result = build ();
  const CtRobustnessRow *c1 = ct_robustness_get_row (result, 0, CONTRAST_1);
  const CtRobustnessRow *c2 = ct_robustness_get_row (result, 0, CONTRAST_2);
  const CtRobustnessRow *base = ct_robustness_get_row (result, 1, CONTRAST_1);

  /* Errors at epoch 0: 0.5 and 0.75; at the baseline, epoch 1: 0.25 and
   * 0.5.  CE = 1.25 / 0.75.  Relative, with clean errors 0.5 and 0:
   * (0 + 0.25) / (0.25 + 0.5). */
  g_assert_cmpfloat_with_epsilon (c1->ce, 1.25 / 0.75, 1e-12);
  g_assert_cmpfloat (c2->ce, ==, c1->ce);
  g_assert_cmpfloat_with_epsilon (c1->relative_ce, 1 / 3.0, 1e-12);
  g_assert_cmpfloat_with_epsilon (base->ce, 1, 1e-12);
  g_assert_cmpfloat_with_epsilon (base->relative_ce, 1, 1e-12);
  g_assert_cmpfloat_with_epsilon (result->epochs[0].mce, 1.25 / 0.75, 1e-12);
  g_assert_cmpfloat_with_epsilon (result->epochs[0].relative_mce, 1 / 3.0, 1e-12);
  g_assert_true (isnan (ct_robustness_get_row (result, 0, NOISE)->ce));
  g_assert_true (isnan (ct_robustness_get_row (result, 0, ROTATE)->relative_ce));
}

/* The samples behind the rows come back in order, and feeding them to a
 * new builder gives the same rows: what a resumed study relies on. */
static void
test_samples (void)
{
  g_autoptr(CtRobustness) result = build ();
  g_autoptr(CtRobustnessBuilder) again = NULL;
  g_autoptr(CtRobustness) rebuilt = NULL;
  const CtRobustnessSample *contrast = ct_robustness_get_samples (result, 0, CONTRAST_1);
  const CtRobustnessSample *noise = ct_robustness_get_samples (result, 1, NOISE);
  const int epochs[] = { 0, 1 };

  g_assert_cmpuint (result->n_row_samples, ==, N_IMAGES * N_ROUNDS);
  g_assert_cmpuint (result->n_clean, ==, N_IMAGES);
  /* Epoch 0 gets image 1 wrong when clean; epoch 1 none. */
  g_assert_true (result->clean_correct[0] && !result->clean_correct[1]);
  g_assert_true (result->clean_correct[2] && result->clean_correct[3]);
  /* Contrast-1 at epoch 0: the first two samples wrong. */
  g_assert_false (contrast[0].correct || contrast[1].correct);
  g_assert_true (contrast[2].correct && contrast[3].correct);
  for (guint s = 0; s < N_IMAGES * N_ROUNDS; s++)
    g_assert_cmpfloat_with_epsilon (noise[s].confidence_drop, 0.1 * (s + 1), 1e-6);
  g_assert_true (isnan (ct_robustness_get_samples (result, 1, CONTRAST_2)[0].pearson));

  again = ct_robustness_builder_new (epochs, 2, 1, result->perturbations, N_PERTURBATIONS);
  for (guint e = 0; e < 2; e++)
    for (guint p = 0; p < N_PERTURBATIONS; p++)
      ct_robustness_builder_add_samples (again, e, p, &result->clean_correct[e * N_IMAGES],
                                         N_IMAGES, ct_robustness_get_samples (result, e, p),
                                         result->n_row_samples);
  rebuilt = ct_robustness_builder_finish (again);
  g_assert_cmpmem (rebuilt->rows, 2 * N_PERTURBATIONS * sizeof (CtRobustnessRow),
                   result->rows, 2 * N_PERTURBATIONS * sizeof (CtRobustnessRow));
  g_assert_cmpmem (rebuilt->epochs, 2 * sizeof (CtRobustnessEpoch),
                   result->epochs, 2 * sizeof (CtRobustnessEpoch));
  g_assert_cmpmem (rebuilt->samples, 2 * N_PERTURBATIONS * N_IMAGES * N_ROUNDS * sizeof (CtRobustnessSample),
                   result->samples, 2 * N_PERTURBATIONS * N_IMAGES * N_ROUNDS * sizeof (CtRobustnessSample));
}

static void
test_writers (void)
{
  g_autoptr(CtRobustness) result = build ();
  g_autofree char *dir = g_dir_make_tmp ("camtrail-robustness-XXXXXX", NULL);
  g_autofree char *csv = g_build_filename (dir, "robustness.csv", NULL);
  g_autofree char *json = g_build_filename (dir, "robustness.json", NULL);
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;
  g_auto(GStrv) header = NULL;
  g_auto(GStrv) noise = NULL;
  g_auto(GStrv) contrast = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonObject *root, *row;
  JsonArray *rows;

  result->run_name = g_strdup ("tiny");
  result->seed = 3;
  result->n_images = N_IMAGES;
  result->n_rounds = N_ROUNDS;
  result->image_indices = g_new (guint, N_IMAGES);
  result->image_indices[0] = 10;
  result->image_indices[1] = 11;

  g_assert_true (ct_robustness_write_csv (result, csv, &error));
  g_assert_no_error (error);
  g_file_get_contents (csv, &text, NULL, &error);
  g_assert_no_error (error);
  lines = g_strsplit (text, "\n", -1);
  /* Header, 2 epochs × 4 perturbations, and the empty string after the
   * last newline. */
  g_assert_cmpuint (g_strv_length (lines), ==, 1 + 8 + 1);
  header = g_strsplit (lines[0], ",", -1);
  g_assert_cmpuint (g_strv_length (header), ==, 21);
  g_assert_cmpstr (header[0], ==, "epoch");
  g_assert_cmpstr (header[8], ==, "confidence_drop");
  g_assert_cmpstr (header[16], ==, "top20_iou");
  g_assert_cmpstr (header[19], ==, "ce");
  noise = g_strsplit (lines[1], ",", -1);
  g_assert_cmpuint (g_strv_length (noise), ==, 21);
  g_assert_cmpstr (noise[0], ==, "0");
  g_assert_cmpstr (noise[1], ==, "noise:0.1");
  g_assert_cmpstr (noise[2], ==, "");
  g_assert_cmpstr (noise[8], ==, "0.250000");
  g_assert_cmpstr (noise[19], ==, "");
  contrast = g_strsplit (lines[4], ",", -1);
  g_assert_cmpstr (contrast[1], ==, "c10c:contrast-2");
  g_assert_cmpstr (contrast[2], ==, "contrast");
  g_assert_cmpstr (contrast[3], ==, "2");
  g_assert_cmpstr (contrast[19], ==, "1.666667");

  g_assert_true (ct_robustness_write_json (result, json, &error));
  g_assert_no_error (error);
  json_parser_load_from_file (parser, json, &error);
  g_assert_no_error (error);
  root = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpstr (json_object_get_string_member (root, "run"), ==, "tiny");
  g_assert_cmpint (json_object_get_int_member (root, "baseline_epoch"), ==, 1);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (root, "images")), ==, 2);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (root, "perturbations")),
                    ==, N_PERTURBATIONS);
  rows = json_object_get_array_member (root, "rows");
  g_assert_cmpuint (json_array_get_length (rows), ==, 8);
  row = json_array_get_object_element (rows, 0);
  g_assert_true (json_object_get_null_member (row, "ce"));
  g_assert_cmpfloat_with_epsilon (
    json_object_get_double_member (json_object_get_object_member (row, "confidence_drop"), "mean"),
    0.25, 1e-6);
  g_assert_cmpfloat_with_epsilon (
    json_object_get_double_member (json_array_get_object_element (
      json_object_get_array_member (root, "epochs"), 0), "mce"),
    1.25 / 0.75, 1e-9);

  g_unlink (csv);
  g_unlink (json);
  g_rmdir (dir);
}

/* The CSV is readable by all, as every export is (test-grid checks the
 * JSON writer the same way): 0644 under the usual umask 022. */
static void
test_csv_mode (void)
{
  g_autoptr(CtRobustness) result = build ();
  g_autofree char *dir = g_dir_make_tmp ("camtrail-robustness-XXXXXX", NULL);
  g_autofree char *csv = g_build_filename (dir, "robustness.csv", NULL);
  g_autoptr(GError) error = NULL;
  GStatBuf info;

  g_assert_true (ct_robustness_write_csv (result, csv, &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_stat (csv, &info), ==, 0);
  g_assert_cmpint (info.st_mode & 07777, ==, 0644);

  g_unlink (csv);
  g_rmdir (dir);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/robustness/parse", test_parse);
  g_test_add_func ("/robustness/parse/bounds", test_parse_bounds);
  g_test_add_func ("/robustness/rows", test_rows);
  g_test_add_func ("/robustness/corruption-errors", test_corruption_errors);
  g_test_add_func ("/robustness/samples", test_samples);
  g_test_add_func ("/robustness/writers", test_writers);
  g_test_add_func ("/robustness/csv-mode", test_csv_mode);

  return g_test_run ();
}
