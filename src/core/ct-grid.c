/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "ct-grid.h"

#include <string.h>

#include <json-glib/json-glib.h>

#include "ct-json.h"
#include "ct-npy.h"
#include "ct-stats.h"

CtGrid *
ct_grid_new (guint n_rows,
             guint n_images,
             guint n_rounds,
             guint channels,
             guint height,
             guint width,
             guint n_classes)
{
  CtGrid *self = g_new0 (CtGrid, 1);
  gsize n_cells = (gsize) n_rows * n_images * n_rounds;
  gsize image_size = (gsize) channels * height * width;

  self->n_rows = n_rows;
  self->n_images = n_images;
  self->n_rounds = n_rounds;
  self->channels = channels;
  self->height = height;
  self->width = width;
  self->n_classes = n_classes;

  self->epochs = g_new0 (int, n_rows);
  self->image_indices = g_new0 (guint, n_images);
  self->labels = g_new0 (int, n_images);
  self->images = g_new0 (float, (gsize) n_images * n_rounds * image_size);
  self->cells = g_new0 (CtGridCell, n_cells);

  for (gsize i = 0; i < n_cells; i++)
    {
      self->cells[i].probabilities = g_new0 (float, n_classes);
      self->cells[i].heatmap = g_new0 (float, (gsize) height * width);
    }

  return self;
}

void
ct_grid_free (CtGrid *self)
{
  gsize n_cells;

  if (self == NULL)
    return;

  n_cells = (gsize) self->n_rows * self->n_images * self->n_rounds;
  for (gsize i = 0; i < n_cells; i++)
    {
      g_free (self->cells[i].probabilities);
      g_free (self->cells[i].heatmap);
    }

  g_free (self->cells);
  g_free (self->images);
  g_free (self->labels);
  g_free (self->image_indices);
  g_free (self->epochs);
  g_strfreev (self->column_methods);
  g_strfreev (self->classes);
  g_free (self->run_name);
  g_free (self->arch);
  g_free (self->dataset);
  g_free (self->layer);
  g_free (self->method);
  g_free (self->target_rule);
  g_free (self->perturbation);
  g_free (self);
}

CtGridCell *
ct_grid_get_cell (CtGrid *self,
                  guint   row,
                  guint   image,
                  guint   round)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (row < self->n_rows, NULL);
  g_return_val_if_fail (image < self->n_images, NULL);
  g_return_val_if_fail (round < self->n_rounds, NULL);

  return &self->cells[((gsize) row * self->n_images + image) * self->n_rounds + round];
}

float *
ct_grid_get_image (CtGrid *self,
                   guint   image,
                   guint   round)
{
  gsize image_size;

  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (image < self->n_images, NULL);
  g_return_val_if_fail (round < self->n_rounds, NULL);

  image_size = (gsize) self->channels * self->height * self->width;
  return self->images + ((gsize) image * self->n_rounds + round) * image_size;
}

/* A grid of @n_rows rows shaped like @like, with its images and metadata. */
static CtGrid *
new_like (const CtGrid *like,
          guint         n_rows)
{
  CtGrid *self = ct_grid_new (n_rows, like->n_images, like->n_rounds, like->channels,
                              like->height, like->width, like->n_classes);

  self->run_name = g_strdup (like->run_name);
  self->arch = g_strdup (like->arch);
  self->dataset = g_strdup (like->dataset);
  self->layer = g_strdup (like->layer);
  self->method = g_strdup (like->method);
  self->target_rule = g_strdup (like->target_rule);
  self->perturbation = g_strdup (like->perturbation);
  self->seed = like->seed;
  self->scale = like->scale;
  self->classes = g_strdupv (like->classes);
  self->column_methods = g_strdupv (like->column_methods);
  memcpy (self->image_indices, like->image_indices, sizeof (guint) * like->n_images);
  memcpy (self->labels, like->labels, sizeof (int) * like->n_images);
  memcpy (self->images, like->images,
          sizeof (float) * like->n_images * like->n_rounds *
          like->channels * like->height * like->width);
  return self;
}

/* Deep-copies one cell's values; @to keeps its own arrays. */
static void
copy_cell (CtGridCell       *to,
           const CtGridCell *from,
           guint             n_classes,
           gsize             plane)
{
  float *probabilities = to->probabilities;
  float *heatmap = to->heatmap;

  *to = *from;
  to->probabilities = probabilities;
  to->heatmap = heatmap;
  memcpy (probabilities, from->probabilities, sizeof (float) * n_classes);
  memcpy (heatmap, from->heatmap, sizeof (float) * plane);
}

/* Deep-copies row @from_row of @from into row @to_row of @to. */
static void
copy_row (CtGrid       *to,
          guint         to_row,
          const CtGrid *from,
          guint         from_row)
{
  gsize cells_per_row = (gsize) from->n_images * from->n_rounds;
  gsize plane = (gsize) from->height * from->width;

  to->epochs[to_row] = from->epochs[from_row];
  for (gsize k = 0; k < cells_per_row; k++)
    copy_cell (&to->cells[to_row * cells_per_row + k],
               &from->cells[from_row * cells_per_row + k], from->n_classes, plane);
}

CtGrid *
ct_grid_dup_row (const CtGrid *self,
                 guint         row)
{
  CtGrid *copy;

  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (row < self->n_rows, NULL);

  copy = new_like (self, 1);
  copy_row (copy, 0, self, row);
  return copy;
}

CtGrid *
ct_grid_dup_cell (const CtGrid *self,
                  guint         row,
                  guint         image,
                  guint         round)
{
  CtGrid *copy;
  gsize image_size;

  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (row < self->n_rows && image < self->n_images && round < self->n_rounds, NULL);

  copy = ct_grid_new (1, 1, 1, self->channels, self->height, self->width, self->n_classes);
  copy->run_name = g_strdup (self->run_name);
  copy->arch = g_strdup (self->arch);
  copy->dataset = g_strdup (self->dataset);
  copy->layer = g_strdup (self->layer);
  copy->method = g_strdup (self->method);
  copy->target_rule = g_strdup (self->target_rule);
  copy->perturbation = g_strdup (self->perturbation);
  copy->seed = self->seed;
  copy->scale = self->scale;
  copy->classes = g_strdupv (self->classes);
  copy->epochs[0] = self->epochs[row];
  copy->image_indices[0] = self->image_indices[image];
  copy->labels[0] = self->labels[image];
  if (self->column_methods != NULL)
    {
      /* The cell's own method, as a grid of one method. */
      g_free (copy->method);
      copy->method = g_strdup (self->column_methods[image]);
    }
  image_size = (gsize) self->channels * self->height * self->width;
  memcpy (copy->images, self->images + ((gsize) image * self->n_rounds + round) * image_size,
          sizeof (float) * image_size);
  copy_cell (copy->cells,
             &self->cells[((gsize) row * self->n_images + image) * self->n_rounds + round],
             self->n_classes, (gsize) self->height * self->width);
  return copy;
}

CtGrid *
ct_grid_concat (const CtGrid *const *parts,
                guint                n_parts)
{
  const CtGrid *first;
  CtGrid *self;
  guint n_rows = 0;
  guint row = 0;

  g_return_val_if_fail (parts != NULL && n_parts > 0, NULL);

  first = parts[0];
  for (guint i = 0; i < n_parts; i++)
    {
      g_return_val_if_fail (parts[i]->n_images == first->n_images &&
                            parts[i]->n_rounds == first->n_rounds &&
                            parts[i]->channels == first->channels &&
                            parts[i]->height == first->height &&
                            parts[i]->width == first->width &&
                            parts[i]->n_classes == first->n_classes, NULL);
      n_rows += parts[i]->n_rows;
    }

  self = new_like (first, n_rows);
  for (guint i = 0; i < n_parts; i++)
    for (guint r = 0; r < parts[i]->n_rows; r++)
      copy_row (self, row++, parts[i], r);

  return self;
}

CtGrid *
ct_grid_join_methods (const CtGrid *const *parts,
                      const char   *const *names,
                      guint                n_parts)
{
  const CtGrid *first;
  CtGrid *self;
  gsize image_size, plane;

  g_return_val_if_fail (parts != NULL && names != NULL && n_parts > 0, NULL);

  first = parts[0];
  for (guint m = 0; m < n_parts; m++)
    g_return_val_if_fail (parts[m]->n_rows == first->n_rows &&
                          parts[m]->n_images == first->n_images &&
                          parts[m]->n_rounds == first->n_rounds &&
                          parts[m]->channels == first->channels &&
                          parts[m]->height == first->height &&
                          parts[m]->width == first->width &&
                          parts[m]->n_classes == first->n_classes, NULL);

  self = ct_grid_new (first->n_rows, first->n_images * n_parts, first->n_rounds, first->channels,
                      first->height, first->width, first->n_classes);
  self->run_name = g_strdup (first->run_name);
  self->arch = g_strdup (first->arch);
  self->dataset = g_strdup (first->dataset);
  self->layer = g_strdup (first->layer);
  {
    g_autoptr(GString) joined = g_string_new (NULL);

    for (guint m = 0; m < n_parts; m++)
      g_string_append_printf (joined, "%s%s", m > 0 ? "," : "", names[m]);
    self->method = g_string_free (g_steal_pointer (&joined), FALSE);
  }
  self->target_rule = g_strdup (first->target_rule);
  self->perturbation = g_strdup (first->perturbation);
  self->seed = first->seed;
  self->scale = first->scale;
  self->classes = g_strdupv (first->classes);
  self->column_methods = g_new0 (char *, self->n_images + 1);
  memcpy (self->epochs, first->epochs, sizeof (int) * first->n_rows);

  image_size = (gsize) first->channels * first->height * first->width;
  plane = (gsize) first->height * first->width;
  for (guint image = 0; image < first->n_images; image++)
    for (guint m = 0; m < n_parts; m++)
      {
        guint column = image * n_parts + m;

        self->column_methods[column] = g_strdup (names[m]);
        self->image_indices[column] = first->image_indices[image];
        self->labels[column] = first->labels[image];
        memcpy (self->images + (gsize) column * first->n_rounds * image_size,
                first->images + (gsize) image * first->n_rounds * image_size,
                sizeof (float) * first->n_rounds * image_size);
        for (guint row = 0; row < first->n_rows; row++)
          for (guint round = 0; round < first->n_rounds; round++)
            copy_cell (ct_grid_get_cell (self, row, column, round),
                       ct_grid_get_cell ((CtGrid *) parts[m], row, image, round),
                       first->n_classes, plane);
      }
  return self;
}

gboolean
ct_grid_write_npy (CtGrid      *self,
                   const char  *path,
                   GError     **error)
{
  gsize n_cells;
  gsize plane;
  gsize shape[5];
  g_autofree float *heatmaps = NULL;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  n_cells = (gsize) self->n_rows * self->n_images * self->n_rounds;
  plane = (gsize) self->height * self->width;

  /* Each cell owns its heatmap, so gather them into one C-ordered block;
   * the cells are already in [row, image, round] order. */
  heatmaps = g_new (float, MAX (n_cells * plane, 1));
  for (gsize i = 0; i < n_cells; i++)
    memcpy (heatmaps + i * plane, self->cells[i].heatmap, sizeof (float) * plane);

  shape[0] = self->n_rows;
  shape[1] = self->n_images;
  shape[2] = self->n_rounds;
  shape[3] = self->height;
  shape[4] = self->width;

  return ct_npy_write_f32 (path, heatmaps, G_N_ELEMENTS (shape), shape, error);
}

void
ct_grid_row_summary (CtGrid *self,
                     guint   row,
                     double *out_drop_mean,
                     double *out_drop_ci95,
                     double *out_max_drop_mean,
                     double *out_max_drop_ci95)
{
  gsize n;
  g_autofree double *drops = NULL;
  g_autofree double *max_drops = NULL;

  g_return_if_fail (self != NULL);
  g_return_if_fail (row < self->n_rows);

  n = (gsize) self->n_images * self->n_rounds;
  drops = g_new (double, MAX (n, 1));
  max_drops = g_new (double, MAX (n, 1));

  /* A row's cells are contiguous: images × rounds of them. */
  for (gsize i = 0; i < n; i++)
    {
      const CtGridCell *cell = &self->cells[(gsize) row * n + i];

      drops[i] = cell->confidence_drop;
      max_drops[i] = cell->max_prob_drop;
    }

  ct_stats_mean_ci95 (drops, n, out_drop_mean, out_drop_ci95);
  ct_stats_mean_ci95 (max_drops, n, out_max_drop_mean, out_max_drop_ci95);
}

/* The class name for @class_index, or NULL when the grid has no names or the
 * index is out of range. */
static const char *
class_name (CtGrid *self,
            int     class_index)
{
  if (self->classes == NULL || class_index < 0)
    return NULL;

  for (int i = 0; self->classes[i] != NULL; i++)
    if (i == class_index)
      return self->classes[i];

  return NULL;
}

static void
add_summary (JsonBuilder *builder,
             const char  *name,
             double       mean,
             double       ci95)
{
  json_builder_set_member_name (builder, name);
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "mean");
  json_builder_add_double_value (builder, mean);
  json_builder_set_member_name (builder, "ci95");
  json_builder_add_double_value (builder, ci95);
  json_builder_end_object (builder);
}

static void
add_cell (CtGrid           *self,
          JsonBuilder      *builder,
          const CtGridCell *cell,
          guint             image,
          guint             round)
{
  json_builder_begin_object (builder);

  json_builder_set_member_name (builder, "image");
  json_builder_add_int_value (builder, self->image_indices[image]);
  json_builder_set_member_name (builder, "round");
  json_builder_add_int_value (builder, round);
  if (self->column_methods != NULL)
    ct_json_add_string (builder, "method", self->column_methods[image]);
  json_builder_set_member_name (builder, "predicted");
  json_builder_add_int_value (builder, cell->predicted);
  ct_json_add_string (builder, "predicted_class", class_name (self, cell->predicted));
  json_builder_set_member_name (builder, "probability");
  json_builder_add_double_value (builder, cell->probability);
  json_builder_set_member_name (builder, "target");
  json_builder_add_int_value (builder, cell->target);
  json_builder_set_member_name (builder, "correct");
  json_builder_add_boolean_value (builder, cell->predicted == self->labels[image]);
  json_builder_set_member_name (builder, "clean_predicted");
  json_builder_add_int_value (builder, cell->clean_predicted);
  json_builder_set_member_name (builder, "clean_probability");
  json_builder_add_double_value (builder, cell->clean_probability);
  json_builder_set_member_name (builder, "confidence_drop");
  json_builder_add_double_value (builder, cell->confidence_drop);
  json_builder_set_member_name (builder, "max_prob_drop");
  json_builder_add_double_value (builder, cell->max_prob_drop);

  json_builder_set_member_name (builder, "probabilities");
  json_builder_begin_array (builder);
  for (guint k = 0; k < self->n_classes; k++)
    json_builder_add_double_value (builder, cell->probabilities[k]);
  json_builder_end_array (builder);

  json_builder_end_object (builder);
}

static void
add_row (CtGrid      *self,
         JsonBuilder *builder,
         guint        row)
{
  double drop_mean, drop_ci95, max_drop_mean, max_drop_ci95;

  ct_grid_row_summary (self, row, &drop_mean, &drop_ci95, &max_drop_mean, &max_drop_ci95);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "epoch");
  json_builder_add_int_value (builder, self->epochs[row]);
  add_summary (builder, "confidence_drop", drop_mean, drop_ci95);
  add_summary (builder, "max_prob_drop", max_drop_mean, max_drop_ci95);

  json_builder_set_member_name (builder, "cells");
  json_builder_begin_array (builder);
  for (guint i = 0; i < self->n_images; i++)
    for (guint r = 0; r < self->n_rounds; r++)
      add_cell (self, builder, ct_grid_get_cell (self, row, i, r), i, r);
  json_builder_end_array (builder);

  json_builder_end_object (builder);
}

gboolean
ct_grid_write_json (CtGrid      *self,
                    const char  *path,
                    GError     **error)
{
  g_autoptr(JsonBuilder) builder = NULL;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  builder = json_builder_new ();
  json_builder_begin_object (builder);

  ct_json_add_string (builder, "run", self->run_name);
  ct_json_add_string (builder, "arch", self->arch);
  ct_json_add_string (builder, "dataset", self->dataset);
  ct_json_add_string (builder, "layer", self->layer);
  ct_json_add_string (builder, "method", self->method);
  ct_json_add_string (builder, "target", self->target_rule);
  ct_json_add_string (builder, "perturbation", self->perturbation);

  ct_json_add_seed (builder, "seed", self->seed);
  ct_json_add_string (builder, "scale", ct_cam_scale_to_string (self->scale));

  json_builder_set_member_name (builder, "classes");
  json_builder_begin_array (builder);
  for (guint k = 0; self->classes != NULL && self->classes[k] != NULL; k++)
    json_builder_add_string_value (builder, self->classes[k]);
  json_builder_end_array (builder);

  json_builder_set_member_name (builder, "epochs");
  json_builder_begin_array (builder);
  for (guint row = 0; row < self->n_rows; row++)
    json_builder_add_int_value (builder, self->epochs[row]);
  json_builder_end_array (builder);

  json_builder_set_member_name (builder, "images");
  json_builder_begin_array (builder);
  for (guint i = 0; i < self->n_images; i++)
    {
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "index");
      json_builder_add_int_value (builder, self->image_indices[i]);
      json_builder_set_member_name (builder, "label");
      json_builder_add_int_value (builder, self->labels[i]);
      ct_json_add_string (builder, "class", class_name (self, self->labels[i]));
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);

  json_builder_set_member_name (builder, "rows");
  json_builder_begin_array (builder);
  for (guint row = 0; row < self->n_rows; row++)
    add_row (self, builder, row);
  json_builder_end_array (builder);

  json_builder_end_object (builder);

  return ct_json_write_file (builder, path, error);
}
