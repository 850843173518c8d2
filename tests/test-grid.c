/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <glib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "ct-grid.h"
#include "ct-stats.h"

/* 2 epochs × 2 images × 2 rounds of 1×2×3 images and 3 classes, every value
 * chosen so that the exports can be checked by hand. */
static CtGrid *
make_grid (void)
{
  static const char *classes[] = { "cat", "dog", "frog", NULL };
  CtGrid *grid = ct_grid_new (2, 2, 2, 1, 2, 3, 3);

  grid->run_name = g_strdup ("tiny");
  grid->arch = g_strdup ("resnet18");
  grid->dataset = g_strdup ("cifar10");
  grid->layer = g_strdup ("layer4");
  grid->method = g_strdup ("gradcam");
  grid->target_rule = g_strdup ("predicted");
  grid->perturbation = g_strdup ("noise σ=0.10");
  grid->seed = 7;
  grid->scale = CT_CAM_SCALE_SHARED;
  grid->classes = g_strdupv ((char **) classes);

  grid->epochs[0] = 0;
  grid->epochs[1] = 3;
  grid->image_indices[0] = 17;
  grid->image_indices[1] = 42;
  grid->labels[0] = 1;
  grid->labels[1] = 0;

  for (guint row = 0; row < 2; row++)
    for (guint image = 0; image < 2; image++)
      for (guint round = 0; round < 2; round++)
        {
          CtGridCell *cell = ct_grid_get_cell (grid, row, image, round);
          guint k = (row * 2 + image) * 2 + round;

          cell->predicted = k % 3;
          cell->probability = 0.5f + 0.0625f * (k % 4);
          cell->target = (k + 1) % 3;
          cell->clean_predicted = 1;
          cell->clean_probability = 0.875f;
          /* Row 0: 0.1 0.2 0.3 0.4; row 1: 0.5 0.5 0.5 0.5. */
          cell->confidence_drop = row == 0 ? 0.1f * (image * 2 + round + 1) : 0.5f;
          cell->max_prob_drop = row == 0 ? 0.25f * (image * 2 + round) : -0.125f;
          cell->probabilities[0] = 0.25f;
          cell->probabilities[1] = 0.5f;
          cell->probabilities[2] = 0.25f;
          for (guint i = 0; i < 6; i++)
            cell->heatmap[i] = k * 10 + i;
        }

  return grid;
}

static char *
make_temp_dir (void)
{
  g_autoptr(GError) error = NULL;
  char *dir = g_dir_make_tmp ("test-grid-XXXXXX", &error);

  g_assert_no_error (error);
  return dir;
}

/* Removes @dir after checking it holds exactly @n_expected files, so a
 * leftover temporary file of an atomic write fails the test. */
static void
remove_temp_dir (const char *dir,
                 guint       n_expected)
{
  g_autoptr(GDir) listing = g_dir_open (dir, 0, NULL);
  const char *name;
  guint n = 0;

  while ((name = g_dir_read_name (listing)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);

      g_assert_cmpint (g_remove (path), ==, 0);
      n++;
    }
  g_assert_cmpuint (n, ==, n_expected);
  g_assert_cmpint (g_rmdir (dir), ==, 0);
}

static void
test_grid_new (void)
{
  g_autoptr(CtGrid) grid = ct_grid_new (3, 4, 2, 3, 5, 6, 10);

  g_assert_cmpuint (grid->n_rows, ==, 3);
  g_assert_cmpuint (grid->n_images, ==, 4);
  g_assert_cmpuint (grid->n_rounds, ==, 2);
  g_assert_cmpuint (grid->channels, ==, 3);
  g_assert_cmpuint (grid->height, ==, 5);
  g_assert_cmpuint (grid->width, ==, 6);
  g_assert_cmpuint (grid->n_classes, ==, 10);
  g_assert_null (grid->run_name);
  g_assert_null (grid->perturbation);
  g_assert_null (grid->classes);

  /* Cells are row-major over (row, image, round). */
  g_assert_true (ct_grid_get_cell (grid, 0, 0, 0) == &grid->cells[0]);
  g_assert_true (ct_grid_get_cell (grid, 0, 0, 1) == &grid->cells[1]);
  g_assert_true (ct_grid_get_cell (grid, 0, 1, 0) == &grid->cells[2]);
  g_assert_true (ct_grid_get_cell (grid, 1, 0, 0) == &grid->cells[8]);
  g_assert_true (ct_grid_get_cell (grid, 2, 3, 1) == &grid->cells[23]);

  /* Images are (image, round) blocks of C×H×W. */
  g_assert_true (ct_grid_get_image (grid, 0, 0) == grid->images);
  g_assert_true (ct_grid_get_image (grid, 0, 1) == grid->images + 90);
  g_assert_true (ct_grid_get_image (grid, 3, 1) == grid->images + 7 * 90);

  for (guint i = 0; i < 3 * 4 * 2; i++)
    {
      g_assert_nonnull (grid->cells[i].probabilities);
      g_assert_nonnull (grid->cells[i].heatmap);
      g_assert_cmpfloat (grid->cells[i].probabilities[9], ==, 0);
      g_assert_cmpfloat (grid->cells[i].heatmap[29], ==, 0);
      g_assert_cmpfloat (grid->cells[i].confidence_drop, ==, 0);
    }
  for (guint i = 0; i < 4 * 2 * 90; i++)
    g_assert_cmpfloat (grid->images[i], ==, 0);
  for (guint i = 0; i < 3; i++)
    g_assert_cmpint (grid->epochs[i], ==, 0);

  ct_grid_free (NULL);
}

static void
test_grid_dup_row_concat (void)
{
  g_autoptr(CtGrid) grid = make_grid ();
  g_autoptr(CtGrid) row0 = NULL;
  g_autoptr(CtGrid) row1 = NULL;
  g_autoptr(CtGrid) joined = NULL;
  const CtGrid *parts[2];

  /* Split make_grid() into its two rows, then join them back. */
  row0 = ct_grid_dup_row (grid, 0);
  row1 = ct_grid_dup_row (grid, 1);
  g_assert_cmpuint (row1->n_rows, ==, 1);
  g_assert_cmpint (row1->epochs[0], ==, 3);

  parts[0] = row0;
  parts[1] = row1;
  joined = ct_grid_concat (parts, 2);

  {
    g_autoptr(CtGrid) cell = ct_grid_dup_cell (grid, 1, 1, 0);
    CtGridCell *want = ct_grid_get_cell (grid, 1, 1, 0);

    g_assert_cmpuint (cell->n_rows * cell->n_images * cell->n_rounds, ==, 1);
    g_assert_cmpint (cell->epochs[0], ==, 3);
    g_assert_cmpuint (cell->image_indices[0], ==, 42);
    g_assert_cmpint (cell->labels[0], ==, 0);
    g_assert_cmpmem (cell->images, sizeof (float) * 6, ct_grid_get_image (grid, 1, 0), sizeof (float) * 6);
    g_assert_cmpmem (cell->cells[0].heatmap, sizeof (float) * 6, want->heatmap, sizeof (float) * 6);
    g_assert_cmpfloat (cell->cells[0].probability, ==, want->probability);
  }

  g_assert_cmpuint (joined->n_rows, ==, 2);
  g_assert_cmpint (joined->epochs[0], ==, 0);
  g_assert_cmpint (joined->epochs[1], ==, 3);
  g_assert_cmpstr (joined->layer, ==, "layer4");
  g_assert_cmpstr (joined->classes[2], ==, "frog");
  g_assert_cmpuint (joined->image_indices[1], ==, 42);
  for (guint row = 0; row < 2; row++)
    for (guint image = 0; image < 2; image++)
      for (guint round = 0; round < 2; round++)
        {
          CtGridCell *want = ct_grid_get_cell (grid, row, image, round);
          CtGridCell *got = ct_grid_get_cell (joined, row, image, round);

          g_assert_cmpint (got->predicted, ==, want->predicted);
          g_assert_cmpfloat (got->confidence_drop, ==, want->confidence_drop);
          g_assert_true (got->heatmap != want->heatmap);
          g_assert_cmpmem (got->heatmap, sizeof (float) * 6, want->heatmap, sizeof (float) * 6);
          g_assert_cmpmem (got->probabilities, sizeof (float) * 3,
                           want->probabilities, sizeof (float) * 3);
        }
}

/* A comparison of two methods: column image × 2 + m is image `image` of
 * method m, cells, images and metadata copied, each column's method named,
 * the method the names joined; a row and a cell of it keep theirs. */
static void
test_grid_join_methods (void)
{
  g_autoptr(CtGrid) first = make_grid ();
  g_autoptr(CtGrid) second = make_grid ();
  g_autoptr(CtGrid) joined = NULL;
  g_autoptr(CtGrid) row = NULL;
  g_autoptr(CtGrid) cell = NULL;
  const CtGrid *parts[] = { first, second };
  const char *const names[] = { "gradcam", "layercam" };

  /* The second method's maps are the first's + 1000. */
  for (guint k = 0; k < 8; k++)
    for (guint i = 0; i < 6; i++)
      second->cells[k].heatmap[i] += 1000;
  joined = ct_grid_join_methods (parts, names, 2);

  g_assert_cmpuint (joined->n_rows, ==, 2);
  g_assert_cmpuint (joined->n_images, ==, 4);
  g_assert_cmpuint (joined->n_rounds, ==, 2);
  g_assert_cmpstr (joined->method, ==, "gradcam,layercam");
  g_assert_cmpstr (joined->layer, ==, "layer4");
  g_assert_cmpint (joined->epochs[1], ==, 3);
  g_assert_nonnull (joined->column_methods);
  g_assert_null (joined->column_methods[4]);
  for (guint image = 0; image < 2; image++)
    for (guint m = 0; m < 2; m++)
      {
        guint column = image * 2 + m;

        g_assert_cmpstr (joined->column_methods[column], ==, names[m]);
        g_assert_cmpuint (joined->image_indices[column], ==, first->image_indices[image]);
        g_assert_cmpint (joined->labels[column], ==, first->labels[image]);
        for (guint round = 0; round < 2; round++)
          {
            g_assert_cmpmem (ct_grid_get_image (joined, column, round), sizeof (float) * 6,
                             ct_grid_get_image (first, image, round), sizeof (float) * 6);
            for (guint r = 0; r < 2; r++)
              {
                CtGridCell *want = ct_grid_get_cell ((CtGrid *) parts[m], r, image, round);
                CtGridCell *got = ct_grid_get_cell (joined, r, column, round);

                g_assert_cmpint (got->predicted, ==, want->predicted);
                g_assert_cmpmem (got->heatmap, sizeof (float) * 6, want->heatmap, sizeof (float) * 6);
              }
          }
      }

  row = ct_grid_dup_row (joined, 1);
  g_assert_cmpstr (row->column_methods[3], ==, "layercam");
  cell = ct_grid_dup_cell (joined, 1, 3, 0);
  g_assert_null (cell->column_methods);
  g_assert_cmpstr (cell->method, ==, "layercam");
}

/* The metadata, epochs, image indices, labels and images of a comparison
 * come from parts[0] (ct-grid.h), whatever the later parts hold. */
static void
test_grid_join_methods_first_part (void)
{
  g_autoptr(CtGrid) first = make_grid ();
  g_autoptr(CtGrid) second = make_grid ();
  g_autoptr(CtGrid) joined = NULL;
  const CtGrid *parts[] = { first, second };
  const char *const names[] = { "gradcam", "layercam" };

  g_free (second->run_name);
  second->run_name = g_strdup ("other");
  g_free (second->perturbation);
  second->perturbation = g_strdup ("none");
  second->seed = 8;
  second->epochs[1] = 4;
  second->image_indices[1] = 43;
  second->labels[1] = 2;
  ct_grid_get_image (second, 1, 0)[0] = 0.75f;

  joined = ct_grid_join_methods (parts, names, 2);
  g_assert_cmpstr (joined->run_name, ==, "tiny");
  g_assert_cmpstr (joined->perturbation, ==, "noise σ=0.10");
  g_assert_cmpuint (joined->seed, ==, 7);
  g_assert_cmpint (joined->epochs[1], ==, 3);
  /* Columns 2 and 3 are image 1 (index 42, label 0) of both methods. */
  for (guint column = 2; column < 4; column++)
    {
      g_assert_cmpuint (joined->image_indices[column], ==, 42);
      g_assert_cmpint (joined->labels[column], ==, 0);
      g_assert_cmpfloat (ct_grid_get_image (joined, column, 0)[0], ==, 0);
    }
}

static void
test_grid_row_summary (void)
{
  g_autoptr(CtGrid) grid = make_grid ();
  double mean, ci95, max_mean, max_ci95;

  /* Row 0: drops 0.1..0.4, s = √(0.05/3); max drops 0, .25, .5, .75. */
  ct_grid_row_summary (grid, 0, &mean, &ci95, &max_mean, &max_ci95);
  g_assert_cmpfloat_with_epsilon (mean, 0.25, 1e-6);
  g_assert_cmpfloat_with_epsilon (ci95, ct_stats_t975 (3) * sqrt (0.05 / 3) / 2, 1e-6);
  g_assert_cmpfloat_with_epsilon (max_mean, 0.375, 1e-12);
  g_assert_cmpfloat_with_epsilon (max_ci95, ct_stats_t975 (3) * sqrt (0.3125 / 3) / 2, 1e-12);

  /* Row 1 is constant. */
  ct_grid_row_summary (grid, 1, &mean, &ci95, &max_mean, &max_ci95);
  g_assert_cmpfloat (mean, ==, 0.5);
  g_assert_cmpfloat (ci95, ==, 0);
  g_assert_cmpfloat (max_mean, ==, -0.125);
  g_assert_cmpfloat (max_ci95, ==, 0);
}

static JsonObject *
array_object (JsonArray *array,
              guint      index)
{
  g_assert_cmpuint (index, <, json_array_get_length (array));
  return json_array_get_object_element (array, index);
}

static void
test_grid_json (void)
{
  g_autoptr(CtGrid) grid = make_grid ();
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *dir = make_temp_dir ();
  g_autofree char *path = g_build_filename (dir, "grid.json", NULL);
  JsonObject *root;
  JsonArray *array;
  JsonObject *row, *cell, *summary;
  GStatBuf info;

  g_assert_true (ct_grid_write_json (grid, path, &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_stat (path, &info), ==, 0);
  g_assert_cmpint (info.st_mode & 0777, ==, 0644);

  json_parser_load_from_file (parser, path, &error);
  g_assert_no_error (error);
  root = json_node_get_object (json_parser_get_root (parser));

  g_assert_cmpstr (json_object_get_string_member (root, "run"), ==, "tiny");
  g_assert_cmpstr (json_object_get_string_member (root, "arch"), ==, "resnet18");
  g_assert_cmpstr (json_object_get_string_member (root, "dataset"), ==, "cifar10");
  g_assert_cmpstr (json_object_get_string_member (root, "layer"), ==, "layer4");
  g_assert_cmpstr (json_object_get_string_member (root, "method"), ==, "gradcam");
  g_assert_cmpstr (json_object_get_string_member (root, "target"), ==, "predicted");
  g_assert_cmpstr (json_object_get_string_member (root, "perturbation"), ==, "noise σ=0.10");
  g_assert_cmpint (json_object_get_int_member (root, "seed"), ==, 7);
  g_assert_cmpstr (json_object_get_string_member (root, "scale"), ==, "shared");

  array = json_object_get_array_member (root, "classes");
  g_assert_cmpuint (json_array_get_length (array), ==, 3);
  g_assert_cmpstr (json_array_get_string_element (array, 2), ==, "frog");

  array = json_object_get_array_member (root, "epochs");
  g_assert_cmpuint (json_array_get_length (array), ==, 2);
  g_assert_cmpint (json_array_get_int_element (array, 0), ==, 0);
  g_assert_cmpint (json_array_get_int_element (array, 1), ==, 3);

  array = json_object_get_array_member (root, "images");
  g_assert_cmpuint (json_array_get_length (array), ==, 2);
  g_assert_cmpint (json_object_get_int_member (array_object (array, 1), "index"), ==, 42);
  g_assert_cmpint (json_object_get_int_member (array_object (array, 1), "label"), ==, 0);
  g_assert_cmpstr (json_object_get_string_member (array_object (array, 1), "class"), ==, "cat");
  g_assert_cmpstr (json_object_get_string_member (array_object (array, 0), "class"), ==, "dog");

  array = json_object_get_array_member (root, "rows");
  g_assert_cmpuint (json_array_get_length (array), ==, 2);

  row = array_object (array, 0);
  g_assert_cmpint (json_object_get_int_member (row, "epoch"), ==, 0);
  summary = json_object_get_object_member (row, "confidence_drop");
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (summary, "mean"), 0.25, 1e-6);
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (summary, "ci95"),
                                  ct_stats_t975 (3) * sqrt (0.05 / 3) / 2, 1e-6);
  summary = json_object_get_object_member (row, "max_prob_drop");
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (summary, "mean"), 0.375, 1e-12);

  row = array_object (array, 1);
  g_assert_cmpint (json_object_get_int_member (row, "epoch"), ==, 3);
  summary = json_object_get_object_member (row, "confidence_drop");
  g_assert_cmpfloat (json_object_get_double_member (summary, "mean"), ==, 0.5);
  g_assert_cmpfloat (json_object_get_double_member (summary, "ci95"), ==, 0);

  /* Row 1, image 1 (index 42), round 1: k = 7. */
  array = json_object_get_array_member (row, "cells");
  g_assert_cmpuint (json_array_get_length (array), ==, 4);
  cell = array_object (array, 3);
  g_assert_cmpint (json_object_get_int_member (cell, "image"), ==, 42);
  g_assert_cmpint (json_object_get_int_member (cell, "round"), ==, 1);
  g_assert_cmpint (json_object_get_int_member (cell, "predicted"), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (cell, "predicted_class"), ==, "dog");
  g_assert_cmpfloat (json_object_get_double_member (cell, "probability"), ==, 0.6875);
  g_assert_cmpint (json_object_get_int_member (cell, "target"), ==, 2);
  /* Predicted 1, label of image 42 is 0. */
  g_assert_false (json_object_get_boolean_member (cell, "correct"));
  g_assert_cmpint (json_object_get_int_member (cell, "clean_predicted"), ==, 1);
  g_assert_cmpfloat (json_object_get_double_member (cell, "clean_probability"), ==, 0.875);
  g_assert_cmpfloat (json_object_get_double_member (cell, "confidence_drop"), ==, 0.5);
  g_assert_cmpfloat (json_object_get_double_member (cell, "max_prob_drop"), ==, -0.125);
  {
    JsonArray *probabilities = json_object_get_array_member (cell, "probabilities");

    g_assert_cmpuint (json_array_get_length (probabilities), ==, 3);
    g_assert_cmpfloat (json_array_get_double_element (probabilities, 1), ==, 0.5);
  }

  /* Row 0, image 17, round 1: k = 1, predicted 1 = its label 1. */
  array = json_object_get_array_member (array_object (json_object_get_array_member (root, "rows"), 0),
                                        "cells");
  cell = array_object (array, 1);
  g_assert_cmpint (json_object_get_int_member (cell, "image"), ==, 17);
  g_assert_true (json_object_get_boolean_member (cell, "correct"));
  /* A float such as 0.2f reads back as the same float. */
  g_assert_cmpfloat ((float) json_object_get_double_member (cell, "confidence_drop"), ==, 0.2f);

  remove_temp_dir (dir, 1);
}

static void
test_grid_json_sparse (void)
{
  /* No strings, no class names, a seed beyond gint64. */
  g_autoptr(CtGrid) grid = ct_grid_new (1, 1, 1, 1, 1, 1, 2);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *dir = make_temp_dir ();
  g_autofree char *path = g_build_filename (dir, "sparse.json", NULL);
  JsonObject *root, *cell;

  grid->seed = G_MAXUINT64;
  g_assert_true (ct_grid_write_json (grid, path, &error));
  g_assert_no_error (error);
  json_parser_load_from_file (parser, path, &error);
  g_assert_no_error (error);
  root = json_node_get_object (json_parser_get_root (parser));

  g_assert_true (json_object_get_null_member (root, "run"));
  g_assert_true (json_object_get_null_member (root, "perturbation"));
  g_assert_cmpstr (json_object_get_string_member (root, "seed"), ==, "18446744073709551615");
  g_assert_cmpstr (json_object_get_string_member (root, "scale"), ==, "image");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (root, "classes")), ==, 0);
  g_assert_true (json_object_get_null_member (array_object (json_object_get_array_member (root, "images"), 0),
                                              "class"));
  cell = array_object (json_object_get_array_member (array_object (json_object_get_array_member (root, "rows"), 0),
                                                     "cells"), 0);
  g_assert_true (json_object_get_null_member (cell, "predicted_class"));
  g_assert_true (json_object_get_boolean_member (cell, "correct"));

  remove_temp_dir (dir, 1);
}

static void
test_grid_json_error (void)
{
  g_autoptr(CtGrid) grid = make_grid ();
  g_autoptr(GError) error = NULL;

  g_assert_false (ct_grid_write_json (grid, "/nonexistent-dir/grid.json", &error));
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
}

static void
test_grid_npy (void)
{
  g_autoptr(CtGrid) grid = make_grid ();
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = make_temp_dir ();
  g_autofree char *path = g_build_filename (dir, "heatmaps.npy", NULL);
  g_autofree char *contents = NULL;
  g_autofree char *header = NULL;
  const gsize n_values = 2 * 2 * 2 * 2 * 3;
  gsize length;
  guint16 header_length;

  g_assert_true (ct_grid_write_npy (grid, path, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (path, &contents, &length, &error));
  g_assert_no_error (error);

  g_assert_cmpmem (contents, 6, "\x93NUMPY", 6);
  g_assert_cmpint (contents[6], ==, 1);
  g_assert_cmpint (contents[7], ==, 0);
  header_length = (guint8) contents[8] | ((guint8) contents[9] << 8);
  g_assert_cmpuint ((10 + header_length) % 64, ==, 0);
  g_assert_cmpuint (length, ==, 10 + header_length + n_values * sizeof (float));

  header = g_strndup (contents + 10, header_length);
  g_assert_nonnull (strstr (header, "'descr': '<f4'"));
  g_assert_nonnull (strstr (header, "'fortran_order': False"));
  g_assert_nonnull (strstr (header, "'shape': (2, 2, 2, 2, 3)"));
  g_assert_cmpint (header[header_length - 1], ==, '\n');

  /* The data are the heatmaps in (epoch, image, round, y, x) order, and
   * make_grid put k·10 + i in cell k at position i. */
  for (gsize j = 0; j < n_values; j++)
    {
      guint32 bits;
      float value;

      memcpy (&bits, contents + 10 + header_length + j * 4, 4);
      bits = GUINT32_FROM_LE (bits);
      memcpy (&value, &bits, 4);
      g_assert_cmpfloat (value, ==, (j / 6) * 10 + j % 6);
    }

  remove_temp_dir (dir, 1);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/grid/new", test_grid_new);
  g_test_add_func ("/grid/dup-row-concat", test_grid_dup_row_concat);
  g_test_add_func ("/grid/join-methods", test_grid_join_methods);
  g_test_add_func ("/grid/join-methods/first-part", test_grid_join_methods_first_part);
  g_test_add_func ("/grid/row-summary", test_grid_row_summary);
  g_test_add_func ("/grid/json", test_grid_json);
  g_test_add_func ("/grid/json-sparse", test_grid_json_sparse);
  g_test_add_func ("/grid/json-error", test_grid_json_error);
  g_test_add_func ("/grid/npy", test_grid_npy);

  return g_test_run ();
}
