/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "ct-robustness.h"

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "ct-json.h"
#include "ct-stats.h"

/* The per-sample values a row collects, in this order. */
enum {
  METRIC_CONFIDENCE_DROP,
  METRIC_MAX_PROB_DROP,
  METRIC_PEARSON,
  METRIC_SPEARMAN,
  METRIC_TOP_IOU,
  N_METRICS
};

typedef struct {
  guint   clean_correct;
  guint   clean_images;
  guint   correct;
  guint   samples;
  GArray *values[N_METRICS];    /* double, NaN where undefined */
  GArray *correct_flags;        /* gboolean per sample */
  GArray *clean_flags;          /* gboolean per image */
} Accumulator;

struct _CtRobustnessBuilder {
  int         *epochs;
  guint        n_epochs;
  guint        baseline_index;
  CtPerturb   *perturbations;
  guint        n_perturbations;
  Accumulator *accumulators;    /* n_epochs × n_perturbations */
};

void
ct_robustness_free (CtRobustness *self)
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
  g_free (self->perturbations);
  g_strfreev (self->labels);
  g_free (self->epochs);
  g_free (self->rows);
  g_free (self->samples);
  g_free (self->clean_correct);
  g_free (self);
}

CtRobustnessRow *
ct_robustness_get_row (CtRobustness *self,
                       guint         epoch_index,
                       guint         perturbation)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (epoch_index < self->n_epochs, NULL);
  g_return_val_if_fail (perturbation < self->n_perturbations, NULL);

  return &self->rows[(gsize) epoch_index * self->n_perturbations + perturbation];
}

/* ---- perturbation lists ---------------------------------------------- */

static gboolean
parse_number (const char *text,
              double     *out_value)
{
  char *end = NULL;

  *out_value = g_ascii_strtod (text, &end);
  return end != text && *end == '\0' && isfinite (*out_value);
}

static void
append_corruption (GArray           *perturbations,
                   CtCorruptionKind  kind,
                   guint             severity)
{
  CtPerturb perturb;

  ct_perturb_init (&perturb);
  perturb.corruption = (CtCorruption) { kind, severity };
  g_array_append_val (perturbations, perturb);
}

static gboolean
parse_item (const char  *item,
            GArray      *perturbations,
            GError     **error)
{
  const char *colon = strchr (item, ':');
  g_autofree char *name = colon != NULL ? g_strndup (item, colon - item) : NULL;
  const char *value = colon != NULL ? colon + 1 : NULL;
  CtPerturb perturb;
  double number;

  ct_perturb_init (&perturb);

  if (g_strcmp0 (name, "c10c") == 0)
    {
      CtCorruptionKind kind;
      guint severity;

      if (g_str_equal (value, "all"))
        {
          for (kind = 1; kind <= CT_CORRUPTION_N_KINDS; kind++)
            for (severity = 1; severity <= CT_CORRUPTION_N_SEVERITIES; severity++)
              append_corruption (perturbations, kind, severity);
          return TRUE;
        }
      if (!ct_corruption_parse (value, &kind, &severity))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       "“%s”: not “all” or a CIFAR-10-C corruption (gaussian_noise, "
                       "shot_noise, impulse_noise, speckle_noise, gaussian_blur, "
                       "defocus_blur, brightness, contrast, saturate, jpeg_compression, "
                       "pixelate) with an optional severity -1 … -5", item);
          return FALSE;
        }
      if (severity != 0)
        append_corruption (perturbations, kind, severity);
      else
        for (severity = 1; severity <= CT_CORRUPTION_N_SEVERITIES; severity++)
          append_corruption (perturbations, kind, severity);
      return TRUE;
    }

  if (name == NULL || !parse_number (value, &number))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "“%s”: expected noise:SIGMA, rotate:DEG, rotate-random:A, "
                   "occlude:N or c10c:all|NAME[-SEVERITY]", item);
      return FALSE;
    }

  if (g_str_equal (name, "noise") && number > 0 && number <= 10)
    perturb.noise_sigma = number;
  else if (g_str_equal (name, "rotate") && number != 0)
    perturb.rotate_degrees = number;
  else if (g_str_equal (name, "rotate-random") && number > 0)
    {
      perturb.rotate_degrees = number;
      perturb.rotate_random = TRUE;
    }
  else if (g_str_equal (name, "occlude") && number >= 1 && number <= G_MAXINT &&
           number == floor (number))
    perturb.occlude_count = (guint) number;
  else
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "“%s”: expected noise:SIGMA (0 < σ ≤ 10), rotate:DEG (≠ 0), "
                   "rotate-random:A (A > 0), occlude:N (N ≥ 1) or c10c:…", item);
      return FALSE;
    }

  g_array_append_val (perturbations, perturb);
  return TRUE;
}

GArray *
ct_robustness_parse_perturbations (const char  *text,
                                   GError     **error)
{
  g_auto(GStrv) items = NULL;
  g_autoptr(GArray) perturbations = g_array_new (FALSE, FALSE, sizeof (CtPerturb));

  g_return_val_if_fail (text != NULL, NULL);

  items = g_strsplit (text, ",", -1);
  for (guint i = 0; items[i] != NULL; i++)
    if (!parse_item (g_strstrip (items[i]), perturbations, error))
      return NULL;

  if (perturbations->len == 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "no perturbation given");
      return NULL;
    }
  return g_steal_pointer (&perturbations);
}

static char *
format_number (double value)
{
  char buffer[G_ASCII_DTOSTR_BUF_SIZE];

  return g_strdup (g_ascii_formatd (buffer, sizeof buffer, "%g", value));
}

char *
ct_robustness_dup_label (const CtPerturb *perturb)
{
  g_autoptr(GPtrArray) parts = g_ptr_array_new_with_free_func (g_free);

  g_return_val_if_fail (perturb != NULL, NULL);

  if (perturb->noise_sigma > 0)
    {
      g_autofree char *sigma = format_number (perturb->noise_sigma);

      g_ptr_array_add (parts, g_strconcat ("noise:", sigma, NULL));
    }
  if (perturb->rotate_degrees != 0)
    {
      g_autofree char *angle = format_number (perturb->rotate_random
                                              ? fabs (perturb->rotate_degrees)
                                              : perturb->rotate_degrees);

      g_ptr_array_add (parts, g_strconcat (perturb->rotate_random ? "rotate-random:" : "rotate:",
                                           angle, NULL));
    }
  if (perturb->occlude_count > 0)
    g_ptr_array_add (parts, g_strdup_printf ("occlude:%u", perturb->occlude_count));
  if (perturb->corruption.kind != CT_CORRUPTION_NONE)
    {
      g_autofree char *corruption = ct_corruption_to_string (&perturb->corruption);

      g_ptr_array_add (parts, g_strconcat ("c10c:", corruption, NULL));
    }

  if (parts->len == 0)
    return g_strdup ("none");
  g_ptr_array_add (parts, NULL);
  return g_strjoinv ("+", (char **) parts->pdata);
}

/* ---- collecting ------------------------------------------------------- */

CtRobustnessBuilder *
ct_robustness_builder_new (const int       *epochs,
                           guint            n_epochs,
                           int              baseline_epoch,
                           const CtPerturb *perturbations,
                           guint            n_perturbations)
{
  CtRobustnessBuilder *self;
  gsize n_rows = (gsize) n_epochs * n_perturbations;
  guint baseline_index = G_MAXUINT;

  g_return_val_if_fail (epochs != NULL && n_epochs > 0, NULL);
  g_return_val_if_fail (perturbations != NULL && n_perturbations > 0, NULL);

  for (guint e = 0; e < n_epochs; e++)
    if (epochs[e] == baseline_epoch)
      baseline_index = e;
  g_return_val_if_fail (baseline_index != G_MAXUINT, NULL);

  self = g_new0 (CtRobustnessBuilder, 1);
  self->epochs = g_memdup2 (epochs, n_epochs * sizeof (int));
  self->n_epochs = n_epochs;
  self->baseline_index = baseline_index;
  self->perturbations = g_memdup2 (perturbations, n_perturbations * sizeof (CtPerturb));
  self->n_perturbations = n_perturbations;
  self->accumulators = g_new0 (Accumulator, n_rows);
  for (gsize r = 0; r < n_rows; r++)
    {
      for (guint m = 0; m < N_METRICS; m++)
        self->accumulators[r].values[m] = g_array_new (FALSE, FALSE, sizeof (double));
      self->accumulators[r].correct_flags = g_array_new (FALSE, FALSE, sizeof (gboolean));
      self->accumulators[r].clean_flags = g_array_new (FALSE, FALSE, sizeof (gboolean));
    }

  return self;
}

void
ct_robustness_builder_free (CtRobustnessBuilder *self)
{
  if (self == NULL)
    return;

  for (gsize r = 0; r < (gsize) self->n_epochs * self->n_perturbations; r++)
    {
      for (guint m = 0; m < N_METRICS; m++)
        g_array_unref (self->accumulators[r].values[m]);
      g_array_unref (self->accumulators[r].correct_flags);
      g_array_unref (self->accumulators[r].clean_flags);
    }
  g_free (self->accumulators);
  g_free (self->perturbations);
  g_free (self->epochs);
  g_free (self);
}

static void
add_clean (Accumulator *accumulator,
           gboolean     correct)
{
  correct = !!correct;
  accumulator->clean_correct += correct;
  accumulator->clean_images++;
  g_array_append_val (accumulator->clean_flags, correct);
}

static void
add_sample (Accumulator              *accumulator,
            const CtRobustnessSample *sample)
{
  gboolean correct = !!sample->correct;

  accumulator->correct += correct;
  accumulator->samples++;
  g_array_append_val (accumulator->correct_flags, correct);
  g_array_append_val (accumulator->values[METRIC_CONFIDENCE_DROP], sample->confidence_drop);
  g_array_append_val (accumulator->values[METRIC_MAX_PROB_DROP], sample->max_prob_drop);
  g_array_append_val (accumulator->values[METRIC_PEARSON], sample->pearson);
  g_array_append_val (accumulator->values[METRIC_SPEARMAN], sample->spearman);
  g_array_append_val (accumulator->values[METRIC_TOP_IOU], sample->top_iou);
}

void
ct_robustness_builder_add_samples (CtRobustnessBuilder      *self,
                                   guint                     epoch_index,
                                   guint                     perturbation,
                                   const gboolean           *clean_correct,
                                   guint                     n_images,
                                   const CtRobustnessSample *samples,
                                   guint                     n_samples)
{
  Accumulator *accumulator;

  g_return_if_fail (self != NULL);
  g_return_if_fail (epoch_index < self->n_epochs);
  g_return_if_fail (perturbation < self->n_perturbations);
  g_return_if_fail (clean_correct != NULL || n_images == 0);
  g_return_if_fail (samples != NULL || n_samples == 0);

  accumulator = &self->accumulators[(gsize) epoch_index * self->n_perturbations + perturbation];
  for (guint i = 0; i < n_images; i++)
    add_clean (accumulator, clean_correct[i]);
  for (guint s = 0; s < n_samples; s++)
    add_sample (accumulator, &samples[s]);
}

const CtRobustnessSample *
ct_robustness_get_samples (const CtRobustness *self,
                           guint               epoch_index,
                           guint               perturbation)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (epoch_index < self->n_epochs, NULL);
  g_return_val_if_fail (perturbation < self->n_perturbations, NULL);

  if (self->samples == NULL)
    return NULL;
  return &self->samples[((gsize) epoch_index * self->n_perturbations + perturbation)
                        * self->n_row_samples];
}

void
ct_robustness_builder_add (CtRobustnessBuilder *self,
                           guint                epoch_index,
                           guint                perturbation,
                           CtGrid              *clean,
                           CtGrid              *perturbed)
{
  const CtPerturb *perturb;
  Accumulator *accumulator;
  gsize map_size;
  g_autofree float *rotated = NULL;
  g_autofree guint8 *mask = NULL;

  g_return_if_fail (self != NULL);
  g_return_if_fail (epoch_index < self->n_epochs);
  g_return_if_fail (perturbation < self->n_perturbations);
  g_return_if_fail (clean != NULL && perturbed != NULL);
  g_return_if_fail (clean->n_rows == 1 && perturbed->n_rows == 1);
  g_return_if_fail (clean->n_images == perturbed->n_images);
  g_return_if_fail (clean->height == perturbed->height && clean->width == perturbed->width);

  perturb = &self->perturbations[perturbation];
  accumulator = &self->accumulators[(gsize) epoch_index * self->n_perturbations + perturbation];
  map_size = (gsize) perturbed->height * perturbed->width;
  rotated = g_new (float, map_size);
  mask = g_new (guint8, map_size);

  for (guint i = 0; i < perturbed->n_images; i++)
    {
      const CtGridCell *clean_cell = ct_grid_get_cell (clean, 0, i, 0);

      add_clean (accumulator, clean_cell->predicted == clean->labels[i]);

      for (guint r = 0; r < perturbed->n_rounds; r++)
        {
          const CtGridCell *cell = ct_grid_get_cell (perturbed, 0, i, r);
          double angle = ct_perturb_get_angle (perturb, perturbed->image_indices[i], r);
          const float *heatmap = cell->heatmap;
          const guint8 *compared = NULL;

          CtRobustnessSample sample = {
            .correct = cell->predicted == perturbed->labels[i],
            .confidence_drop = cell->confidence_drop,
            .max_prob_drop = cell->max_prob_drop,
          };

          /* The perturbed map is of the turned image: turn it back so that
           * each pixel compares the same object region. */
          if (angle != 0)
            {
              ct_stats_rotate_back (cell->heatmap, perturbed->height, perturbed->width,
                                    angle, rotated, mask);
              heatmap = rotated;
              compared = mask;
            }
          sample.pearson = ct_stats_pearson (clean_cell->heatmap, heatmap, compared, map_size);
          sample.spearman = ct_stats_spearman (clean_cell->heatmap, heatmap, compared, map_size);
          sample.top_iou = ct_stats_top_iou (clean_cell->heatmap, heatmap, compared, map_size,
                                             CT_ROBUSTNESS_TOP_FRACTION);
          add_sample (accumulator, &sample);
        }
    }
}

/* Mean and interval over the defined values only. */
static CtRobustnessStat
summarize (GArray *values)
{
  g_autoptr(GArray) defined = g_array_sized_new (FALSE, FALSE, sizeof (double), values->len);
  CtRobustnessStat stat = { NAN, NAN, 0 };

  for (guint i = 0; i < values->len; i++)
    if (isfinite (g_array_index (values, double, i)))
      g_array_append_val (defined, g_array_index (values, double, i));

  stat.n = defined->len;
  if (stat.n > 0)
    ct_stats_mean_ci95 ((const double *) defined->data, defined->len, &stat.mean, &stat.ci95);
  return stat;
}

static double
ratio (guint numerator,
       guint denominator)
{
  return denominator > 0 ? (double) numerator / denominator : NAN;
}

/* CE per epoch and corruption: each kind's rows, over the severities
 * evaluated, against the same rows at the baseline epoch. */
static void
corruption_errors (CtRobustness *result,
                   guint         baseline_index)
{
  guint P = result->n_perturbations;
  g_autofree double *errors = g_new (double, P);
  g_autofree double *baseline = g_new (double, P);
  g_autofree guint *members = g_new (guint, P);

  for (guint e = 0; e < result->n_epochs; e++)
    {
      CtRobustnessEpoch *epoch = &result->epochs[e];
      double clean_error = 1 - epoch->clean_accuracy;
      double baseline_clean_error = 1 - result->epochs[baseline_index].clean_accuracy;
      double ces[CT_CORRUPTION_N_KINDS], relative_ces[CT_CORRUPTION_N_KINDS];
      guint n_kinds = 0;

      for (CtCorruptionKind kind = 1; kind <= CT_CORRUPTION_N_KINDS; kind++)
        {
          guint n = 0;
          double ce, relative_ce;

          for (guint p = 0; p < P; p++)
            if (result->perturbations[p].corruption.kind == kind)
              {
                members[n] = p;
                errors[n] = 1 - ct_robustness_get_row (result, e, p)->accuracy;
                baseline[n] = 1 - ct_robustness_get_row (result, baseline_index, p)->accuracy;
                n++;
              }
          if (n == 0)
            continue;

          ce = ct_stats_corruption_error (errors, baseline, n);
          relative_ce = ct_stats_relative_corruption_error (errors, clean_error, baseline,
                                                            baseline_clean_error, n);
          for (guint i = 0; i < n; i++)
            {
              CtRobustnessRow *row = ct_robustness_get_row (result, e, members[i]);

              row->ce = ce;
              row->relative_ce = relative_ce;
            }
          ces[n_kinds] = ce;
          relative_ces[n_kinds] = relative_ce;
          n_kinds++;
        }

      epoch->mce = ct_stats_mean_corruption_error (ces, n_kinds);
      epoch->relative_mce = ct_stats_mean_corruption_error (relative_ces, n_kinds);
    }
}

/* Copies every row's samples into @result when all rows have as many. */
static void
keep_samples (const CtRobustnessBuilder *self,
              CtRobustness              *result)
{
  gsize n_rows = (gsize) self->n_epochs * self->n_perturbations;
  guint n_samples = self->accumulators[0].samples;
  guint n_clean = self->accumulators[0].clean_images;

  for (gsize r = 0; r < n_rows; r++)
    if (self->accumulators[r].samples != n_samples ||
        self->accumulators[r].clean_images != n_clean)
      return;

  result->n_row_samples = n_samples;
  result->samples = g_new0 (CtRobustnessSample, MAX (n_rows * n_samples, 1));
  result->n_clean = n_clean;
  result->clean_correct = g_new0 (gboolean, MAX ((gsize) self->n_epochs * n_clean, 1));
  for (gsize r = 0; r < n_rows; r++)
    {
      const Accumulator *accumulator = &self->accumulators[r];
      CtRobustnessSample *samples = &result->samples[r * n_samples];

      for (guint s = 0; s < n_samples; s++)
        {
          samples[s].correct = g_array_index (accumulator->correct_flags, gboolean, s);
          samples[s].confidence_drop = g_array_index (accumulator->values[METRIC_CONFIDENCE_DROP], double, s);
          samples[s].max_prob_drop = g_array_index (accumulator->values[METRIC_MAX_PROB_DROP], double, s);
          samples[s].pearson = g_array_index (accumulator->values[METRIC_PEARSON], double, s);
          samples[s].spearman = g_array_index (accumulator->values[METRIC_SPEARMAN], double, s);
          samples[s].top_iou = g_array_index (accumulator->values[METRIC_TOP_IOU], double, s);
        }
    }
  /* Every perturbation of an epoch saw the same clean images: the first row's. */
  for (guint e = 0; e < self->n_epochs; e++)
    memcpy (&result->clean_correct[(gsize) e * n_clean],
            self->accumulators[(gsize) e * self->n_perturbations].clean_flags->data,
            n_clean * sizeof (gboolean));
}

CtRobustness *
ct_robustness_builder_finish (CtRobustnessBuilder *self)
{
  CtRobustness *result;
  guint P;

  g_return_val_if_fail (self != NULL, NULL);

  P = self->n_perturbations;
  result = g_new0 (CtRobustness, 1);
  result->baseline_epoch = self->epochs[self->baseline_index];
  result->n_perturbations = P;
  result->perturbations = g_memdup2 (self->perturbations, P * sizeof (CtPerturb));
  result->labels = g_new0 (char *, P + 1);
  for (guint p = 0; p < P; p++)
    result->labels[p] = ct_robustness_dup_label (&self->perturbations[p]);
  result->n_epochs = self->n_epochs;
  result->epochs = g_new0 (CtRobustnessEpoch, self->n_epochs);
  result->rows = g_new0 (CtRobustnessRow, (gsize) self->n_epochs * P);

  for (guint e = 0; e < self->n_epochs; e++)
    {
      guint clean_correct = 0, clean_images = 0;

      for (guint p = 0; p < P; p++)
        {
          Accumulator *accumulator = &self->accumulators[(gsize) e * P + p];
          CtRobustnessRow *row = ct_robustness_get_row (result, e, p);

          row->epoch = self->epochs[e];
          row->perturbation = p;
          row->n_samples = accumulator->samples;
          row->clean_accuracy = ratio (accumulator->clean_correct, accumulator->clean_images);
          row->accuracy = ratio (accumulator->correct, accumulator->samples);
          row->accuracy_drop = row->clean_accuracy - row->accuracy;
          row->confidence_drop = summarize (accumulator->values[METRIC_CONFIDENCE_DROP]);
          row->max_prob_drop = summarize (accumulator->values[METRIC_MAX_PROB_DROP]);
          row->pearson = summarize (accumulator->values[METRIC_PEARSON]);
          row->spearman = summarize (accumulator->values[METRIC_SPEARMAN]);
          row->top_iou = summarize (accumulator->values[METRIC_TOP_IOU]);
          row->ce = NAN;
          row->relative_ce = NAN;
          /* Every perturbation of an epoch saw the same clean images. */
          clean_correct += accumulator->clean_correct;
          clean_images += accumulator->clean_images;
        }

      result->epochs[e].epoch = self->epochs[e];
      result->epochs[e].clean_accuracy = ratio (clean_correct, clean_images);
    }

  corruption_errors (result, self->baseline_index);
  keep_samples (self, result);
  return result;
}

/* ---- writers ---------------------------------------------------------- */

gboolean
ct_robustness_write_csv (const CtRobustness  *self,
                         const char          *path,
                         GError             **error)
{
  g_autoptr(GString) text = NULL;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  text = g_string_new ("epoch,perturbation,corruption,severity,samples,clean_accuracy,"
                       "accuracy,accuracy_drop,confidence_drop,confidence_drop_ci95,"
                       "max_prob_drop,max_prob_drop_ci95,pearson,pearson_ci95,spearman,"
                       "spearman_ci95,top20_iou,top20_iou_ci95,heatmap_pairs,ce,"
                       "relative_ce\n");

  for (gsize r = 0; r < (gsize) self->n_epochs * self->n_perturbations; r++)
    {
      const CtRobustnessRow *row = &self->rows[r];
      const CtCorruption *corruption = &self->perturbations[row->perturbation].corruption;

      /* Labels never hold a comma or a quote (ct_robustness_dup_label). */
      g_string_append_printf (text, "%d,%s", row->epoch, self->labels[row->perturbation]);
      if (corruption->kind != CT_CORRUPTION_NONE)
        g_string_append_printf (text, ",%s,%u", ct_corruption_kind_to_string (corruption->kind),
                                corruption->severity);
      else
        g_string_append (text, ",,");
      g_string_append_printf (text, ",%u", row->n_samples);
      ct_csv_append_number (text, row->clean_accuracy);
      ct_csv_append_number (text, row->accuracy);
      ct_csv_append_number (text, row->accuracy_drop);
      ct_csv_append_number (text, row->confidence_drop.mean);
      ct_csv_append_number (text, row->confidence_drop.ci95);
      ct_csv_append_number (text, row->max_prob_drop.mean);
      ct_csv_append_number (text, row->max_prob_drop.ci95);
      ct_csv_append_number (text, row->pearson.mean);
      ct_csv_append_number (text, row->pearson.ci95);
      ct_csv_append_number (text, row->spearman.mean);
      ct_csv_append_number (text, row->spearman.ci95);
      ct_csv_append_number (text, row->top_iou.mean);
      ct_csv_append_number (text, row->top_iou.ci95);
      g_string_append_printf (text, ",%u", row->pearson.n);
      ct_csv_append_number (text, row->ce);
      ct_csv_append_number (text, row->relative_ce);
      g_string_append_c (text, '\n');
    }

  return g_file_set_contents_full (path, text->str, text->len,
                                   G_FILE_SET_CONTENTS_CONSISTENT, 0644, error);
}

static void
add_stat (JsonBuilder            *builder,
          const char             *name,
          const CtRobustnessStat *stat)
{
  json_builder_set_member_name (builder, name);
  json_builder_begin_object (builder);
  ct_json_add_double (builder, "mean", stat->mean);
  ct_json_add_double (builder, "ci95", stat->ci95);
  ct_json_add_int (builder, "n", stat->n);
  json_builder_end_object (builder);
}

static void
add_perturbations (const CtRobustness *self,
                   JsonBuilder        *builder)
{
  json_builder_set_member_name (builder, "perturbations");
  json_builder_begin_array (builder);
  for (guint p = 0; p < self->n_perturbations; p++)
    {
      const CtCorruption *corruption = &self->perturbations[p].corruption;
      g_autofree char *description = ct_perturb_describe (&self->perturbations[p]);

      json_builder_begin_object (builder);
      ct_json_add_string (builder, "label", self->labels[p]);
      ct_json_add_string (builder, "description", description);
      if (corruption->kind != CT_CORRUPTION_NONE)
        {
          ct_json_add_string (builder, "corruption", ct_corruption_kind_to_string (corruption->kind));
          ct_json_add_int (builder, "severity", corruption->severity);
        }
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
}

static void
add_rows (const CtRobustness *self,
          JsonBuilder        *builder)
{
  json_builder_set_member_name (builder, "rows");
  json_builder_begin_array (builder);
  for (gsize r = 0; r < (gsize) self->n_epochs * self->n_perturbations; r++)
    {
      const CtRobustnessRow *row = &self->rows[r];

      json_builder_begin_object (builder);
      ct_json_add_int (builder, "epoch", row->epoch);
      ct_json_add_string (builder, "perturbation", self->labels[row->perturbation]);
      ct_json_add_int (builder, "samples", row->n_samples);
      ct_json_add_double (builder, "clean_accuracy", row->clean_accuracy);
      ct_json_add_double (builder, "accuracy", row->accuracy);
      ct_json_add_double (builder, "accuracy_drop", row->accuracy_drop);
      add_stat (builder, "confidence_drop", &row->confidence_drop);
      add_stat (builder, "max_prob_drop", &row->max_prob_drop);
      add_stat (builder, "pearson", &row->pearson);
      add_stat (builder, "spearman", &row->spearman);
      add_stat (builder, "top20_iou", &row->top_iou);
      ct_json_add_double (builder, "ce", row->ce);
      ct_json_add_double (builder, "relative_ce", row->relative_ce);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
}

gboolean
ct_robustness_write_json (const CtRobustness  *self,
                          const char          *path,
                          GError             **error)
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

  ct_json_add_seed (builder, "seed", self->seed);
  ct_json_add_int (builder, "rounds", self->n_rounds);
  ct_json_add_double (builder, "top_fraction", CT_ROBUSTNESS_TOP_FRACTION);
  ct_json_add_int (builder, "baseline_epoch", self->baseline_epoch);
  json_builder_set_member_name (builder, "images");
  json_builder_begin_array (builder);
  for (guint i = 0; i < self->n_images; i++)
    json_builder_add_int_value (builder, self->image_indices[i]);
  json_builder_end_array (builder);

  add_perturbations (self, builder);

  json_builder_set_member_name (builder, "epochs");
  json_builder_begin_array (builder);
  for (guint e = 0; e < self->n_epochs; e++)
    {
      json_builder_begin_object (builder);
      ct_json_add_int (builder, "epoch", self->epochs[e].epoch);
      ct_json_add_double (builder, "clean_accuracy", self->epochs[e].clean_accuracy);
      ct_json_add_double (builder, "mce", self->epochs[e].mce);
      ct_json_add_double (builder, "relative_mce", self->epochs[e].relative_mce);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);

  add_rows (self, builder);
  json_builder_end_object (builder);

  return ct_json_write_file (builder, path, error);
}
