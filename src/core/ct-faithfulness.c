/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "ct-faithfulness.h"

#include "ct-json.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *
ct_baseline_to_string (CtBaseline baseline)
{
  return baseline == CT_BASELINE_MEAN ? "mean" : "zero";
}

gboolean
ct_baseline_from_string (const char *name,
                         CtBaseline *out_baseline)
{
  static const CtBaseline baselines[] = { CT_BASELINE_ZERO, CT_BASELINE_MEAN };

  for (gsize i = 0; i < G_N_ELEMENTS (baselines); i++)
    if (g_strcmp0 (name, ct_baseline_to_string (baselines[i])) == 0)
      {
        *out_baseline = baselines[i];
        return TRUE;
      }
  return FALSE;
}

void
ct_faithfulness_baseline (CtBaseline   baseline,
                          const float *mean,
                          guint        channels,
                          gsize        n_pixels,
                          float       *out)
{
  g_return_if_fail (out != NULL);
  g_return_if_fail (baseline != CT_BASELINE_MEAN || mean != NULL);

  for (guint c = 0; c < channels; c++)
    for (gsize p = 0; p < n_pixels; p++)
      out[c * n_pixels + p] = baseline == CT_BASELINE_MEAN ? mean[c] : 0;
}

typedef struct {
  float value;
  guint position;
} Ranked;

static int
compare_ranked (const void *a,
                const void *b)
{
  const Ranked *x = a;
  const Ranked *y = b;

  if (x->value != y->value)
    return x->value > y->value ? -1 : 1;
  return x->position < y->position ? -1 : x->position > y->position;
}

void
ct_faithfulness_order (const float *heatmap,
                       gsize        n,
                       guint       *out_order)
{
  g_autofree Ranked *ranked = g_new (Ranked, n);

  g_return_if_fail (heatmap != NULL || n == 0);

  for (gsize i = 0; i < n; i++)
    ranked[i] = (Ranked) { heatmap[i], (guint) i };
  qsort (ranked, n, sizeof (Ranked), compare_ranked);
  for (gsize i = 0; i < n; i++)
    out_order[i] = ranked[i].position;
}

gsize
ct_faithfulness_step (gsize  n_pixels,
                      double fraction)
{
  gsize step = (gsize) llround (fraction * n_pixels);

  return MAX (step, 1);
}

guint
ct_faithfulness_n_steps (gsize n_pixels,
                         gsize step)
{
  g_return_val_if_fail (step > 0, 0);

  return (guint) ((n_pixels + step - 1) / step);
}

void
ct_faithfulness_blend (const float *from,
                       const float *to,
                       guint        channels,
                       gsize        n_pixels,
                       const guint *order,
                       gsize        n_changed,
                       float       *out)
{
  g_return_if_fail (from != NULL && to != NULL && out != NULL);

  memcpy (out, from, sizeof (float) * channels * n_pixels);
  n_changed = MIN (n_changed, n_pixels);
  for (gsize i = 0; i < n_changed; i++)
    for (guint c = 0; c < channels; c++)
      out[c * n_pixels + order[i]] = to[c * n_pixels + order[i]];
}

double
ct_faithfulness_auc (const double *curve,
                     guint         n)
{
  double sum = 0;

  g_return_val_if_fail (curve != NULL && n >= 2, NAN);

  for (guint i = 0; i < n; i++)
    sum += curve[i];
  return (sum - curve[0] / 2 - curve[n - 1] / 2) / (n - 1);
}

void
ct_faithfulness_cam_mult (const float *image,
                          guint        channels,
                          gsize        n_pixels,
                          const float *heatmap,
                          float       *out)
{
  g_return_if_fail (image != NULL && heatmap != NULL && out != NULL);

  for (guint c = 0; c < channels; c++)
    for (gsize p = 0; p < n_pixels; p++)
      out[c * n_pixels + p] = image[c * n_pixels + p] * heatmap[p];
}

double
ct_faithfulness_drop (double y,
                      double o)
{
  return 100 * MAX (0, y - o) / y;
}

double
ct_faithfulness_increase (double y,
                          double o)
{
  return o > y ? 100 : 0;
}

static void
row_clear (gpointer data)
{
  CtFaithfulnessRow *row = data;

  g_free (row->heatmap);
}

CtFaithfulness *
ct_faithfulness_new (void)
{
  CtFaithfulness *self = g_new0 (CtFaithfulness, 1);

  self->rows = g_array_new (FALSE, TRUE, sizeof (CtFaithfulnessRow));
  g_array_set_clear_func (self->rows, row_clear);
  return self;
}

void
ct_faithfulness_free (CtFaithfulness *self)
{
  if (self == NULL)
    return;
  g_free (self->run_name);
  g_free (self->arch);
  g_free (self->dataset);
  g_free (self->layer);
  g_free (self->method);
  g_free (self->target_rule);
  g_free (self->image_indices);
  g_array_unref (self->rows);
  g_free (self);
}

static void
append_number (GString *line,
               double   value)
{
  char buffer[G_ASCII_DTOSTR_BUF_SIZE];

  g_string_append_c (line, ',');
  if (isfinite (value))
    g_string_append (line, g_ascii_formatd (buffer, sizeof buffer, "%.6f", value));
}

gboolean
ct_faithfulness_write_csv (const CtFaithfulness  *self,
                           const char            *path,
                           GError               **error)
{
  g_autoptr(GString) text = NULL;

  g_return_val_if_fail (self != NULL && path != NULL, FALSE);

  text = g_string_new ("epoch,heatmap,images,deletion_auc,deletion_auc_ci95,insertion_auc,"
                       "insertion_auc_ci95,average_drop,average_drop_ci95,"
                       "increase_in_confidence,increase_in_confidence_ci95\n");
  for (guint r = 0; r < self->rows->len; r++)
    {
      const CtFaithfulnessRow *row = &g_array_index (self->rows, CtFaithfulnessRow, r);

      /* Method names hold no comma or quote (ct-cam-method.c). */
      g_string_append_printf (text, "%d,%s,%u", row->epoch, row->heatmap, row->n_images);
      append_number (text, row->deletion);
      append_number (text, row->deletion_ci95);
      append_number (text, row->insertion);
      append_number (text, row->insertion_ci95);
      append_number (text, row->average_drop);
      append_number (text, row->average_drop_ci95);
      append_number (text, row->increase);
      append_number (text, row->increase_ci95);
      g_string_append_c (text, '\n');
    }
  return g_file_set_contents_full (path, text->str, text->len,
                                   G_FILE_SET_CONTENTS_CONSISTENT, 0644, error);
}

static void
add_score (JsonBuilder *builder,
           const char  *name,
           double       mean,
           double       ci95)
{
  json_builder_set_member_name (builder, name);
  json_builder_begin_object (builder);
  ct_json_add_double (builder, "mean", mean);
  ct_json_add_double (builder, "ci95", ci95);
  json_builder_end_object (builder);
}

gboolean
ct_faithfulness_write_json (const CtFaithfulness  *self,
                            const char            *path,
                            GError               **error)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  g_return_val_if_fail (self != NULL && path != NULL, FALSE);

  json_builder_begin_object (builder);
  ct_json_add_string (builder, "run", self->run_name);
  ct_json_add_string (builder, "arch", self->arch);
  ct_json_add_string (builder, "dataset", self->dataset);
  ct_json_add_string (builder, "layer", self->layer);
  ct_json_add_string (builder, "method", self->method);
  ct_json_add_string (builder, "target", self->target_rule);
  ct_json_add_string (builder, "baseline", ct_baseline_to_string (self->baseline));
  ct_json_add_double (builder, "step_fraction", self->step_fraction);
  ct_json_add_seed (builder, "seed", self->seed);
  json_builder_set_member_name (builder, "images");
  json_builder_begin_array (builder);
  for (guint i = 0; i < self->n_images; i++)
    json_builder_add_int_value (builder, self->image_indices[i]);
  json_builder_end_array (builder);

  json_builder_set_member_name (builder, "rows");
  json_builder_begin_array (builder);
  for (guint r = 0; r < self->rows->len; r++)
    {
      const CtFaithfulnessRow *row = &g_array_index (self->rows, CtFaithfulnessRow, r);

      json_builder_begin_object (builder);
      ct_json_add_int (builder, "epoch", row->epoch);
      ct_json_add_string (builder, "heatmap", row->heatmap);
      ct_json_add_int (builder, "images", row->n_images);
      add_score (builder, "deletion_auc", row->deletion, row->deletion_ci95);
      add_score (builder, "insertion_auc", row->insertion, row->insertion_ci95);
      add_score (builder, "average_drop", row->average_drop, row->average_drop_ci95);
      add_score (builder, "increase_in_confidence", row->increase, row->increase_ci95);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);

  return ct_json_write_file (builder, path, error);
}
