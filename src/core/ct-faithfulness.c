/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "ct-faithfulness.h"

#include "ct-json.h"
#include "ct-stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *
ct_baseline_to_string (CtBaseline baseline)
{
  switch (baseline)
    {
    case CT_BASELINE_MEAN:
      return "mean";
    case CT_BASELINE_BLUR:
      return "blur";
    case CT_BASELINE_ZERO:
    default:
      return "zero";
    }
}

gboolean
ct_baseline_from_string (const char *name,
                         CtBaseline *out_baseline)
{
  static const CtBaseline baselines[] = { CT_BASELINE_ZERO, CT_BASELINE_MEAN, CT_BASELINE_BLUR };

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
                          const float *image,
                          const float *mean,
                          guint        channels,
                          guint        width,
                          guint        height,
                          float       *out)
{
  gsize n_pixels = (gsize) width * height;

  g_return_if_fail (out != NULL);
  g_return_if_fail (baseline == CT_BASELINE_ZERO || mean != NULL);
  g_return_if_fail (baseline != CT_BASELINE_BLUR || image != NULL);

  if (baseline == CT_BASELINE_BLUR)
    {
      ct_faithfulness_blur (image, mean, channels, width, height, out);
      return;
    }
  for (guint c = 0; c < channels; c++)
    for (gsize p = 0; p < n_pixels; p++)
      out[c * n_pixels + p] = baseline == CT_BASELINE_MEAN ? mean[c] : 0;
}

/* RISE's gkern(11, 5) is gaussian_filter(impulse, 5): SciPy's 1-D filter
 * along each axis in turn, so the 2-D kernel is the outer product of the
 * 1-D filter of an impulse at the centre.  SciPy's 1-D kernel: exp(−x²/2σ²)
 * for |x| ≤ ⌊4σ + ½⌋, normalised; "reflect" edges mirror about the half
 * pixel (… b a | a b …), so an index j reads the signal at j mod 22, folded
 * back when past 10. */
void
ct_faithfulness_blur_kernel (double out[CT_BLUR_KERNEL_SIZE])
{
  const int size = CT_BLUR_KERNEL_SIZE, centre = CT_BLUR_KERNEL_SIZE / 2;
  const double sigma = 5;
  const int radius = (int) (4 * sigma + 0.5);
  double weights[2 * 20 + 1], sum = 0;

  g_assert (radius == 20);
  for (int k = -radius; k <= radius; k++)
    sum += weights[k + radius] = exp (-0.5 * k * k / (sigma * sigma));
  for (int i = 0; i < size; i++)
    {
      out[i] = 0;
      for (int k = -radius; k <= radius; k++)
        {
          int j = ((i + k) % (2 * size) + 2 * size) % (2 * size);

          if (j >= size)
            j = 2 * size - 1 - j;
          if (j == centre)
            out[i] += weights[k + radius] / sum;
        }
    }
}

void
ct_faithfulness_blur (const float *image,
                      const float *mean,
                      guint        channels,
                      guint        width,
                      guint        height,
                      float       *out)
{
  const int half = CT_BLUR_KERNEL_SIZE / 2;
  gsize n_pixels = (gsize) width * height;
  double g[CT_BLUR_KERNEL_SIZE];
  float kernel[CT_BLUR_KERNEL_SIZE][CT_BLUR_KERNEL_SIZE];

  g_return_if_fail (image != NULL && mean != NULL && out != NULL);

  /* RISE hands torch a float32 kernel. */
  ct_faithfulness_blur_kernel (g);
  for (int i = 0; i < CT_BLUR_KERNEL_SIZE; i++)
    for (int j = 0; j < CT_BLUR_KERNEL_SIZE; j++)
      kernel[i][j] = (float) (g[i] * g[j]);

  for (guint c = 0; c < channels; c++)
    {
      const float *plane = image + c * n_pixels;

      for (guint y = 0; y < height; y++)
        for (guint x = 0; x < width; x++)
          {
            /* Outside the image the padding is 0 once normalised: the mean. */
            double sum = 0;

            for (int dy = -half; dy <= half; dy++)
              for (int dx = -half; dx <= half; dx++)
                {
                  int yy = (int) y + dy, xx = (int) x + dx;
                  float value = yy < 0 || xx < 0 || yy >= (int) height || xx >= (int) width
                                  ? mean[c] : plane[(gsize) yy * width + xx];

                  sum += (double) kernel[dy + half][dx + half] * value;
                }
            out[c * n_pixels + (gsize) y * width + x] = (float) sum;
          }
    }
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

/* ---- ROAD ------------------------------------------------------------ */

double
ct_road_percentile_at (guint i)
{
  return 10.0 * (i + 1);
}

gsize
ct_road_keep (const float *heatmap,
              gsize        n,
              double       percentile,
              gboolean     most_relevant_first,
              guint8      *keep)
{
  g_autofree float *values = g_new (float, n);
  g_autofree double *sorted = g_new (double, n);
  double threshold;
  gsize kept = 0;

  g_return_val_if_fail (heatmap != NULL && keep != NULL && n > 0, 0);

  /* Least relevant first ranks 1 − heatmap, in float32 as torch does. */
  for (gsize p = 0; p < n; p++)
    sorted[p] = values[p] = most_relevant_first ? heatmap[p] : 1.0f - heatmap[p];
  threshold = ct_stats_percentile (sorted, n, percentile);
  for (gsize p = 0; p < n; p++)
    kept += keep[p] = values[p] < threshold;
  return kept;
}

/* The 8 neighbours and their weights in ROAD's imputation. */
static const struct {
  int dy, dx;
  double weight;
} road_neighbours[] = {
  { 1, 1, 1.0 / 12 }, { 0, 1, 1.0 / 6 }, { -1, 1, 1.0 / 12 }, { 1, -1, 1.0 / 12 },
  { 0, -1, 1.0 / 6 }, { -1, -1, 1.0 / 12 }, { 1, 0, 1.0 / 6 }, { -1, 0, 1.0 / 6 },
};

#define N_NEIGHBOURS G_N_ELEMENTS (road_neighbours)

/* ROAD's system over the pixels not kept (the unknowns), in pixel order. */
typedef struct {
  gsize         n_unknown;
  const gssize *unknown_of;   /* pixel → unknown, −1 when kept */
  const gssize *neighbours;   /* unknown × N_NEIGHBOURS → pixel, −1 outside the image */
  const double *diagonal;     /* Σ of the weights of the neighbours inside */
} RoadSystem;

/* @out = A @in, A the system's matrix. */
static void
road_apply (const RoadSystem *system,
            const double     *in,
            double           *out)
{
  for (gsize i = 0; i < system->n_unknown; i++)
    {
      double sum = system->diagonal[i] * in[i];

      for (gsize k = 0; k < N_NEIGHBOURS; k++)
        {
          gssize pixel = system->neighbours[i * N_NEIGHBOURS + k];

          if (pixel >= 0 && system->unknown_of[pixel] >= 0)
            sum -= road_neighbours[k].weight * in[system->unknown_of[pixel]];
        }
      out[i] = sum;
    }
}

/* Conjugate gradients for A x = b from @x, to ‖r‖ ≤ 1e-12 ‖b‖. */
static void
road_solve (const RoadSystem *system,
            const double     *b,
            double           *x)
{
  gsize n = system->n_unknown;
  g_autofree double *r = g_new (double, n);
  g_autofree double *d = g_new (double, n);
  g_autofree double *q = g_new (double, n);
  double rr = 0, bb = 0;

  road_apply (system, x, q);
  for (gsize i = 0; i < n; i++)
    {
      r[i] = b[i] - q[i];
      d[i] = r[i];
      rr += r[i] * r[i];
      bb += b[i] * b[i];
    }
  for (gsize iteration = 0; iteration < 10 * n + 100 && rr > 1e-24 * bb; iteration++)
    {
      double dq = 0, alpha, rr_next = 0;

      road_apply (system, d, q);
      for (gsize i = 0; i < n; i++)
        dq += d[i] * q[i];
      alpha = rr / dq;
      for (gsize i = 0; i < n; i++)
        {
          x[i] += alpha * d[i];
          r[i] -= alpha * q[i];
          rr_next += r[i] * r[i];
        }
      for (gsize i = 0; i < n; i++)
        d[i] = r[i] + rr_next / rr * d[i];
      rr = rr_next;
    }
}

gboolean
ct_road_impute (const float  *image,
                const float  *mean,
                guint         channels,
                guint         width,
                guint         height,
                const guint8 *keep,
                float        *out)
{
  gsize n_pixels = (gsize) width * height;
  g_autofree gssize *unknown_of = NULL;
  g_autofree gssize *neighbours = NULL;
  g_autofree gsize *pixel_of = NULL;
  g_autofree double *diagonal = NULL, *x = NULL, *b = NULL;
  gsize n_unknown = 0;
  RoadSystem system;

  g_return_val_if_fail (image != NULL && mean != NULL && keep != NULL && out != NULL, FALSE);

  memcpy (out, image, channels * n_pixels * sizeof (float));
  unknown_of = g_new (gssize, n_pixels);
  pixel_of = g_new (gsize, n_pixels);
  for (gsize p = 0; p < n_pixels; p++)
    {
      unknown_of[p] = keep[p] ? -1 : (gssize) n_unknown;
      if (!keep[p])
        pixel_of[n_unknown++] = p;
    }
  if (n_unknown == 0)
    return TRUE;
  if (n_unknown == n_pixels)
    {
      for (guint c = 0; c < channels; c++)
        for (gsize p = 0; p < n_pixels; p++)
          out[c * n_pixels + p] = mean[c];
      return FALSE;
    }

  /* Row i: (Σ weights inside) x_i − Σ w x_j over unknown neighbours j =
   * Σ w v_j over kept neighbours: the reference's system times −1.
   * Symmetric, and positive definite because every group of unknown pixels
   * touches a kept one. */
  neighbours = g_new (gssize, n_unknown * N_NEIGHBOURS);
  diagonal = g_new0 (double, n_unknown);
  for (gsize i = 0; i < n_unknown; i++)
    for (gsize k = 0; k < N_NEIGHBOURS; k++)
      {
        int y = (int) (pixel_of[i] / width) + road_neighbours[k].dy;
        int x0 = (int) (pixel_of[i] % width) + road_neighbours[k].dx;
        gboolean inside = y >= 0 && x0 >= 0 && y < (int) height && x0 < (int) width;

        neighbours[i * N_NEIGHBOURS + k] = inside ? (gssize) y * width + x0 : -1;
        if (inside)
          diagonal[i] += road_neighbours[k].weight;
      }
  system = (RoadSystem) { n_unknown, unknown_of, neighbours, diagonal };

  x = g_new (double, n_unknown);
  b = g_new (double, n_unknown);
  for (guint c = 0; c < channels; c++)
    {
      const float *plane = image + c * n_pixels;

      for (gsize i = 0; i < n_unknown; i++)
        {
          b[i] = 0;
          for (gsize k = 0; k < N_NEIGHBOURS; k++)
            {
              gssize pixel = neighbours[i * N_NEIGHBOURS + k];

              if (pixel >= 0 && keep[pixel])
                b[i] += road_neighbours[k].weight * plane[pixel];
            }
          x[i] = b[i] / diagonal[i];
        }
      road_solve (&system, b, x);
      for (gsize i = 0; i < n_unknown; i++)
        out[c * n_pixels + pixel_of[i]] = (float) x[i];
    }
  return TRUE;
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

gboolean
ct_faithfulness_write_csv (const CtFaithfulness  *self,
                           const char            *path,
                           GError               **error)
{
  g_autoptr(GString) text = NULL;

  g_return_val_if_fail (self != NULL && path != NULL, FALSE);

  text = g_string_new ("epoch,heatmap,images,deletion_auc,deletion_auc_ci95,insertion_auc,"
                       "insertion_auc_ci95,average_drop,average_drop_ci95,"
                       "increase_in_confidence,increase_in_confidence_ci95,road_morf,"
                       "road_morf_ci95,road_lerf,road_lerf_ci95,road_combined,"
                       "road_combined_ci95\n");
  for (guint r = 0; r < self->rows->len; r++)
    {
      const CtFaithfulnessRow *row = &g_array_index (self->rows, CtFaithfulnessRow, r);

      /* Method names hold no comma or quote (ct-cam-method.c). */
      g_string_append_printf (text, "%d,%s,%u", row->epoch, row->heatmap, row->n_images);
      ct_csv_append_number (text, row->deletion);
      ct_csv_append_number (text, row->deletion_ci95);
      ct_csv_append_number (text, row->insertion);
      ct_csv_append_number (text, row->insertion_ci95);
      ct_csv_append_number (text, row->average_drop);
      ct_csv_append_number (text, row->average_drop_ci95);
      ct_csv_append_number (text, row->increase);
      ct_csv_append_number (text, row->increase_ci95);
      ct_csv_append_number (text, row->road_morf);
      ct_csv_append_number (text, row->road_morf_ci95);
      ct_csv_append_number (text, row->road_lerf);
      ct_csv_append_number (text, row->road_lerf_ci95);
      ct_csv_append_number (text, row->road_combined);
      ct_csv_append_number (text, row->road_combined_ci95);
      g_string_append_c (text, '\n');
    }
  return g_file_set_contents_full (path, text->str, text->len,
                                   G_FILE_SET_CONTENTS_CONSISTENT, 0644, error);
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
  ct_json_add_double (builder, "road_noise", self->road_noise);
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
      ct_json_add_mean_ci95 (builder, "deletion_auc", row->deletion, row->deletion_ci95);
      ct_json_add_mean_ci95 (builder, "insertion_auc", row->insertion, row->insertion_ci95);
      ct_json_add_mean_ci95 (builder, "average_drop", row->average_drop, row->average_drop_ci95);
      ct_json_add_mean_ci95 (builder, "increase_in_confidence", row->increase, row->increase_ci95);
      ct_json_add_mean_ci95 (builder, "road_morf", row->road_morf, row->road_morf_ci95);
      ct_json_add_mean_ci95 (builder, "road_lerf", row->road_lerf, row->road_lerf_ci95);
      ct_json_add_mean_ci95 (builder, "road_combined", row->road_combined, row->road_combined_ci95);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);

  return ct_json_write_file (builder, path, error);
}
