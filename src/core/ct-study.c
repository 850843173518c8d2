/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "ct-study.h"

#include <gio/gio.h>
#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <stdarg.h>
#include <string.h>

#include "ct-json.h"
#include "ct-stats.h"

/* ---- the paper's numbers ---------------------------------------------- */

typedef struct {
  int    epoch;
  double train;
  double test;
} PaperAccuracy;

static const PaperAccuracy paper_accuracy[] = {
  { 1, 0.7421, 0.8778 },
  { 20, 0.9991, 0.9433 },
};

typedef struct {
  int    epoch;
  double drop;
} PaperDrop;

static const PaperDrop paper_table3[] = {
  { 1, 0.0038 }, { 2, 0.0053 }, { 3, 0.0044 }, { 20, 0.0132 },
};

gboolean
ct_study_paper_accuracy (int     epoch,
                         double *out_train,
                         double *out_test)
{
  for (gsize i = 0; i < G_N_ELEMENTS (paper_accuracy); i++)
    if (paper_accuracy[i].epoch == epoch)
      {
        *out_train = paper_accuracy[i].train;
        *out_test = paper_accuracy[i].test;
        return TRUE;
      }
  return FALSE;
}

gboolean
ct_study_paper_table3 (int     epoch,
                       double *out_drop)
{
  for (gsize i = 0; i < G_N_ELEMENTS (paper_table3); i++)
    if (paper_table3[i].epoch == epoch)
      {
        *out_drop = paper_table3[i].drop;
        return TRUE;
      }
  return FALSE;
}

/* ---- verdicts ---------------------------------------------------------- */

const char *
ct_study_verdict_to_string (CtStudyVerdict verdict)
{
  switch (verdict)
    {
    case CT_STUDY_VERDICT_SUPPORTED:
      return "supported";
    case CT_STUDY_VERDICT_NOT_SUPPORTED:
      return "not supported";
    case CT_STUDY_VERDICT_INCONCLUSIVE:
    default:
      return "inconclusive";
    }
}

CtStudyVerdict
ct_study_verdict (const CtStudyComparison *comparisons,
                  guint                    n)
{
  gboolean all_above = n > 0;

  for (guint i = 0; i < n; i++)
    {
      const CtStudyComparison *c = &comparisons[i];
      gboolean defined = c->n >= 2 && isfinite (c->mean) && isfinite (c->ci95);

      if (defined && c->mean + c->ci95 < 0)
        return CT_STUDY_VERDICT_NOT_SUPPORTED;
      if (!defined || !(c->mean - c->ci95 > 0))
        all_above = FALSE;
    }
  return all_above ? CT_STUDY_VERDICT_SUPPORTED : CT_STUDY_VERDICT_INCONCLUSIVE;
}

static const struct {
  const char *statement;
  const char *test;
} claims[CT_STUDY_N_CLAIMS] = {
  [CT_STUDY_CLAIM_CONSISTENCY] = {
    N_("Explanations grow more consistent as accuracy improves."),
    N_("Heatmap agreement (Pearson's r of the clean and the perturbed Grad-CAM, over every "
       "perturbation and round, per image) of the most accurate trained checkpoint minus that "
       "of the least accurate; and the agreement of the last pair of neighbouring checkpoints "
       "minus that of the first pair of trained ones. Both must be above 0."),
  },
  [CT_STUDY_CLAIM_NOISE_HARDEST] = {
    N_("Gaussian noise is the hardest perturbation for every checkpoint."),
    N_("For every checkpoint and every other perturbation, the confidence drop under noise "
       "minus the drop under the other perturbation (same image and round). All must be above 0."),
  },
  [CT_STUDY_CLAIM_OCCLUSION_LAST] = {
    N_("The most trained model loses the most confidence under occlusion (Table 3)."),
    N_("The confidence drop under 20 occluded pixels of the last checkpoint minus that of every "
       "other checkpoint (same images, same occlusions). All must be above 0."),
  },
  [CT_STUDY_CLAIM_EARLY_MISTAKES] = {
    N_("Most misclassifications occur in the models of epochs 1 to 3."),
    N_("Error (0 or 1 per clean image) of each checkpoint of epochs 1, 2 and 3 minus that of "
       "the last checkpoint, on the same images. All must be above 0."),
  },
  [CT_STUDY_CLAIM_ROTATION] = {
    N_("Robustness to rotation improves with accuracy."),
    N_("Under random rotation, the confidence drop and the accuracy drop (clean right minus "
       "rotated right) of the least accurate trained checkpoint minus those of the most "
       "accurate. Both must be above 0."),
  },
};

const char *
ct_study_claim_statement (CtStudyClaim claim)
{
  g_return_val_if_fail (claim < CT_STUDY_N_CLAIMS, NULL);
  return claims[claim].statement;
}

const char *
ct_study_claim_test (CtStudyClaim claim)
{
  g_return_val_if_fail (claim < CT_STUDY_N_CLAIMS, NULL);
  return claims[claim].test;
}

void
ct_study_neighbours_free (CtStudyNeighbours *self)
{
  if (self == NULL)
    return;
  g_free (self->epochs);
  g_free (self->pearson);
  g_free (self);
}

static void
clear_comparison (gpointer data)
{
  g_free (((CtStudyComparison *) data)->what);
}

void
ct_study_assessment_free (CtStudyAssessment *self)
{
  if (self == NULL)
    return;
  g_free (self->note);
  g_clear_pointer (&self->comparisons, g_array_unref);
  g_free (self);
}

/* ---- finding the paper's perturbations --------------------------------- */

static gboolean
only (const CtPerturb *p,
      gboolean         noise,
      gboolean         rotation,
      gboolean         occlusion)
{
  return (p->noise_sigma > 0) == noise && (p->rotate_degrees != 0) == rotation &&
         (p->occlude_count > 0) == occlusion && p->corruption.kind == CT_CORRUPTION_NONE;
}

int
ct_study_find_noise (const CtRobustness *robustness)
{
  for (guint p = 0; p < robustness->n_perturbations; p++)
    if (only (&robustness->perturbations[p], TRUE, FALSE, FALSE))
      return p;
  return -1;
}

int
ct_study_find_rotation (const CtRobustness *robustness)
{
  for (guint p = 0; p < robustness->n_perturbations; p++)
    if (only (&robustness->perturbations[p], FALSE, TRUE, FALSE))
      return p;
  return -1;
}

int
ct_study_find_occlusion (const CtRobustness *robustness,
                         guint               pixels)
{
  for (guint p = 0; p < robustness->n_perturbations; p++)
    if (only (&robustness->perturbations[p], FALSE, FALSE, TRUE) &&
        robustness->perturbations[p].occlude_count == pixels)
      return p;
  return -1;
}

/* ---- assessing the claims ---------------------------------------------- */

static void
add_comparison (CtStudyAssessment *self,
                const double      *a,
                const double      *b,
                gsize              n,
                char              *what)
{
  CtStudyComparison comparison = { what, NAN, NAN, 0 };

  ct_stats_paired_difference (a, b, n, &comparison.mean, &comparison.ci95, &comparison.n);
  g_array_append_val (self->comparisons, comparison);
}

typedef double (*SampleValue) (const CtRobustness *robustness,
                               guint               epoch_index,
                               guint               perturbation,
                               guint               sample);

static double
confidence_drop (const CtRobustness *robustness,
                 guint               e,
                 guint               p,
                 guint               s)
{
  return ct_robustness_get_samples (robustness, e, p)[s].confidence_drop;
}

/* Clean right minus perturbed right: 1 for an answer the perturbation broke. */
static double
accuracy_drop (const CtRobustness *robustness,
               guint               e,
               guint               p,
               guint               s)
{
  guint rounds = robustness->n_row_samples / robustness->n_clean;
  gboolean clean = robustness->clean_correct[(gsize) e * robustness->n_clean + s / rounds];

  return (double) !!clean - !!ct_robustness_get_samples (robustness, e, p)[s].correct;
}

static double *
dup_values (const CtRobustness *robustness,
            SampleValue         value,
            guint               e,
            guint               p)
{
  double *values = g_new (double, MAX (robustness->n_row_samples, 1));

  for (guint s = 0; s < robustness->n_row_samples; s++)
    values[s] = value (robustness, e, p, s);
  return values;
}

static void
compare_samples (CtStudyAssessment  *self,
                 const CtRobustness *robustness,
                 SampleValue         value,
                 guint               e_a,
                 guint               p_a,
                 guint               e_b,
                 guint               p_b,
                 char               *what)
{
  g_autofree double *a = dup_values (robustness, value, e_a, p_a);
  g_autofree double *b = dup_values (robustness, value, e_b, p_b);

  add_comparison (self, a, b, robustness->n_row_samples, what);
}

/* The trained checkpoints (after epoch 0) with the lowest and highest clean
 * accuracy; FALSE when there are fewer than two. */
static gboolean
find_accuracy_extremes (const CtRobustness *robustness,
                        guint              *out_least,
                        guint              *out_most)
{
  int least = -1, most = -1;

  for (guint e = 0; e < robustness->n_epochs; e++)
    {
      double accuracy = robustness->epochs[e].clean_accuracy;

      if (robustness->epochs[e].epoch < 1)
        continue;
      if (least < 0 || accuracy < robustness->epochs[least].clean_accuracy)
        least = e;
      if (most < 0 || accuracy >= robustness->epochs[most].clean_accuracy)
        most = e;
    }
  if (least < 0 ||
      !(robustness->epochs[most].clean_accuracy > robustness->epochs[least].clean_accuracy))
    return FALSE;
  *out_least = least;
  *out_most = most;
  return TRUE;
}

/* Per image, the mean heatmap agreement over every perturbation and round. */
static double *
dup_image_agreement (const CtRobustness *robustness,
                     guint               e)
{
  guint rounds = robustness->n_row_samples / robustness->n_clean;
  double *agreement = g_new (double, MAX (robustness->n_clean, 1));

  for (guint i = 0; i < robustness->n_clean; i++)
    {
      double sum = 0;
      guint n = 0;

      for (guint p = 0; p < robustness->n_perturbations; p++)
        for (guint r = 0; r < rounds; r++)
          {
            double r_value = ct_robustness_get_samples (robustness, e, p)[i * rounds + r].pearson;

            if (isfinite (r_value))
              {
                sum += r_value;
                n++;
              }
          }
      agreement[i] = n > 0 ? sum / n : NAN;
    }
  return agreement;
}

static void
assess_consistency (CtStudyAssessment       *self,
                    const CtRobustness      *robustness,
                    const CtStudyNeighbours *neighbours)
{
  guint least, most;

  if (!find_accuracy_extremes (robustness, &least, &most))
    {
      self->note = g_strdup (_("needs two trained checkpoints of different accuracy"));
      return;
    }
  {
    g_autofree double *a = dup_image_agreement (robustness, most);
    g_autofree double *b = dup_image_agreement (robustness, least);

    add_comparison (self, a, b, robustness->n_clean,
                    g_strdup_printf (_("heatmap agreement, epoch %d − epoch %d"),
                                     robustness->epochs[most].epoch,
                                     robustness->epochs[least].epoch));
  }

  if (neighbours != NULL && neighbours->n_epochs >= 3)
    {
      guint first = G_MAXUINT, last = neighbours->n_epochs - 2;

      /* The first pair of two trained checkpoints. */
      for (guint i = 0; i + 1 < neighbours->n_epochs && first == G_MAXUINT; i++)
        if (neighbours->epochs[i] >= 1)
          first = i;
      if (first != G_MAXUINT && first < last)
        add_comparison (self, &neighbours->pearson[(gsize) last * neighbours->n_images],
                        &neighbours->pearson[(gsize) first * neighbours->n_images],
                        neighbours->n_images,
                        g_strdup_printf (_("agreement of epochs %d and %d − of epochs %d and %d"),
                                         neighbours->epochs[last], neighbours->epochs[last + 1],
                                         neighbours->epochs[first], neighbours->epochs[first + 1]));
    }
}

static void
assess_noise_hardest (CtStudyAssessment  *self,
                      const CtRobustness *robustness)
{
  int noise = ct_study_find_noise (robustness);

  if (noise < 0 || robustness->n_perturbations < 2)
    {
      self->note = g_strdup (_("needs Gaussian noise and another perturbation"));
      return;
    }
  for (guint e = 0; e < robustness->n_epochs; e++)
    for (guint p = 0; p < robustness->n_perturbations; p++)
      if ((int) p != noise)
        compare_samples (self, robustness, confidence_drop, e, noise, e, p,
                         g_strdup_printf (_("epoch %d: confidence drop, %s − %s"),
                                          robustness->epochs[e].epoch,
                                          robustness->labels[noise], robustness->labels[p]));
}

static void
assess_occlusion_last (CtStudyAssessment  *self,
                       const CtRobustness *robustness)
{
  int occlusion = ct_study_find_occlusion (robustness, CT_STUDY_TABLE3_OCCLUDE);
  guint last = robustness->n_epochs - 1;

  if (occlusion < 0 || robustness->n_epochs < 2)
    {
      self->note = g_strdup (_("needs 20 occluded pixels and two checkpoints"));
      return;
    }
  for (guint e = 0; e < last; e++)
    compare_samples (self, robustness, confidence_drop, last, occlusion, e, occlusion,
                     g_strdup_printf (_("confidence drop, %s: epoch %d − epoch %d"),
                                      robustness->labels[occlusion],
                                      robustness->epochs[last].epoch,
                                      robustness->epochs[e].epoch));
}

static double *
dup_errors (const CtRobustness *robustness,
            guint               e)
{
  double *errors = g_new (double, MAX (robustness->n_clean, 1));

  for (guint i = 0; i < robustness->n_clean; i++)
    errors[i] = !robustness->clean_correct[(gsize) e * robustness->n_clean + i];
  return errors;
}

static void
assess_early_mistakes (CtStudyAssessment  *self,
                       const CtRobustness *robustness)
{
  guint last = robustness->n_epochs - 1;
  g_autofree double *last_errors = dup_errors (robustness, last);

  for (guint e = 0; e < last; e++)
    {
      int epoch = robustness->epochs[e].epoch;
      g_autofree double *errors = NULL;

      if (epoch < 1 || epoch > 3)
        continue;
      errors = dup_errors (robustness, e);
      add_comparison (self, errors, last_errors, robustness->n_clean,
                      g_strdup_printf (_("clean error, epoch %d − epoch %d"),
                                       epoch, robustness->epochs[last].epoch));
    }
  if (self->comparisons->len == 0)
    self->note = g_strdup (_("needs a checkpoint of epoch 1, 2 or 3 and a later one"));
}

static void
assess_rotation (CtStudyAssessment  *self,
                 const CtRobustness *robustness)
{
  int rotation = ct_study_find_rotation (robustness);
  guint least, most;

  if (rotation < 0 || !find_accuracy_extremes (robustness, &least, &most))
    {
      self->note = g_strdup (_("needs a rotation and two trained checkpoints of different accuracy"));
      return;
    }
  compare_samples (self, robustness, confidence_drop, least, rotation, most, rotation,
                   g_strdup_printf (_("confidence drop, %s: epoch %d − epoch %d"),
                                    robustness->labels[rotation],
                                    robustness->epochs[least].epoch,
                                    robustness->epochs[most].epoch));
  compare_samples (self, robustness, accuracy_drop, least, rotation, most, rotation,
                   g_strdup_printf (_("accuracy drop, %s: epoch %d − epoch %d"),
                                    robustness->labels[rotation],
                                    robustness->epochs[least].epoch,
                                    robustness->epochs[most].epoch));
}

CtStudyAssessment *
ct_study_assess (CtStudyClaim             claim,
                 const CtRobustness      *robustness,
                 const CtStudyNeighbours *neighbours)
{
  CtStudyAssessment *self;

  g_return_val_if_fail (claim < CT_STUDY_N_CLAIMS, NULL);
  g_return_val_if_fail (robustness != NULL && robustness->samples != NULL, NULL);
  g_return_val_if_fail (robustness->n_clean > 0, NULL);

  self = g_new0 (CtStudyAssessment, 1);
  self->claim = claim;
  self->comparisons = g_array_new (FALSE, TRUE, sizeof (CtStudyComparison));
  g_array_set_clear_func (self->comparisons, clear_comparison);

  switch (claim)
    {
    case CT_STUDY_CLAIM_CONSISTENCY:
      assess_consistency (self, robustness, neighbours);
      break;
    case CT_STUDY_CLAIM_NOISE_HARDEST:
      assess_noise_hardest (self, robustness);
      break;
    case CT_STUDY_CLAIM_OCCLUSION_LAST:
      assess_occlusion_last (self, robustness);
      break;
    case CT_STUDY_CLAIM_EARLY_MISTAKES:
      assess_early_mistakes (self, robustness);
      break;
    case CT_STUDY_CLAIM_ROTATION:
    default:
      assess_rotation (self, robustness);
      break;
    }

  self->verdict = ct_study_verdict ((const CtStudyComparison *) self->comparisons->data,
                                    self->comparisons->len);
  return self;
}

/* ---- parts on disk ------------------------------------------------------ */

static void
add_number (JsonBuilder *builder,
            double       value)
{
  if (isfinite (value))
    json_builder_add_double_value (builder, value);
  else
    json_builder_add_null_value (builder);
}

static double
read_number (JsonArray *array,
             guint      i)
{
  JsonNode *node = json_array_get_element (array, i);

  return JSON_NODE_HOLDS_NULL (node) ? NAN : json_node_get_double (node);
}

static JsonNode *
load_part (const char  *path,
           const char  *key,
           JsonParser  *parser,
           GError     **error)
{
  g_autofree char *text = NULL;
  gsize length;
  JsonNode *root;
  JsonObject *object;

  if (!g_file_get_contents (path, &text, &length, error))
    return NULL;
  if (!ct_json_parser_load (parser, text, length, error))
    {
      g_prefix_error (error, "%s: ", path);
      return NULL;
    }
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root) ||
      g_strcmp0 (json_object_get_string_member_with_default (object = json_node_get_object (root),
                                                             "key", ""), key) != 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "%s was made for other settings", path);
      return NULL;
    }
  return root;
}

static JsonArray *
get_array (JsonObject  *object,
           const char  *name,
           guint        length,
           const char  *path,
           GError     **error)
{
  JsonNode *node = json_object_get_member (object, name);
  JsonArray *array = node != NULL && JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;

  /* G_MAXUINT: any length. */
  if (array == NULL || (length != G_MAXUINT && json_array_get_length (array) != length))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "%s: “%s” is missing or has the wrong length", path, name);
      return NULL;
    }
  return array;
}

gboolean
ct_study_write_samples (const CtRobustness *robustness,
                        guint               epoch_index,
                        const char         *key,
                        const char         *path,
                        GError            **error)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  static const char *const names[] = {
    "confidence_drop", "max_prob_drop", "pearson", "spearman", "top_iou",
  };

  g_return_val_if_fail (robustness != NULL && robustness->samples != NULL, FALSE);
  g_return_val_if_fail (epoch_index < robustness->n_epochs, FALSE);

  json_builder_begin_object (builder);
  ct_json_add_string (builder, "key", key);
  ct_json_add_int (builder, "epoch", robustness->epochs[epoch_index].epoch);
  ct_json_add_string (builder, "layer", robustness->layer);
  json_builder_set_member_name (builder, "clean_correct");
  json_builder_begin_array (builder);
  for (guint i = 0; i < robustness->n_clean; i++)
    json_builder_add_boolean_value (builder,
                                    robustness->clean_correct[(gsize) epoch_index * robustness->n_clean + i]);
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "rows");
  json_builder_begin_array (builder);
  for (guint p = 0; p < robustness->n_perturbations; p++)
    {
      const CtRobustnessSample *samples = ct_robustness_get_samples (robustness, epoch_index, p);

      json_builder_begin_object (builder);
      ct_json_add_string (builder, "perturbation", robustness->labels[p]);
      json_builder_set_member_name (builder, "correct");
      json_builder_begin_array (builder);
      for (guint s = 0; s < robustness->n_row_samples; s++)
        json_builder_add_boolean_value (builder, samples[s].correct);
      json_builder_end_array (builder);
      for (gsize m = 0; m < G_N_ELEMENTS (names); m++)
        {
          json_builder_set_member_name (builder, names[m]);
          json_builder_begin_array (builder);
          for (guint s = 0; s < robustness->n_row_samples; s++)
            {
              const double values[] = {
                samples[s].confidence_drop, samples[s].max_prob_drop, samples[s].pearson,
                samples[s].spearman, samples[s].top_iou,
              };

              add_number (builder, values[m]);
            }
          json_builder_end_array (builder);
        }
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  return ct_json_write_file (builder, path, error);
}

gboolean
ct_study_read_samples (const char          *path,
                       const char          *key,
                       CtRobustnessBuilder *builder,
                       guint                epoch_index,
                       guint                n_perturbations,
                       GError             **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonNode *root = load_part (path, key, parser, error);
  JsonArray *clean, *rows;
  g_autofree gboolean *clean_correct = NULL;
  guint n_images, n_samples = 0;

  if (root == NULL)
    return FALSE;
  clean = get_array (json_node_get_object (root), "clean_correct", G_MAXUINT, path, error);
  rows = clean != NULL ? get_array (json_node_get_object (root), "rows", n_perturbations, path, error) : NULL;
  if (rows == NULL)
    return FALSE;
  n_images = json_array_get_length (clean);
  clean_correct = g_new (gboolean, MAX (n_images, 1));
  for (guint i = 0; i < n_images; i++)
    clean_correct[i] = json_array_get_boolean_element (clean, i);

  for (guint p = 0; p < n_perturbations; p++)
    {
      JsonObject *row = json_array_get_object_element (rows, p);
      JsonArray *correct, *values[5];
      g_autofree CtRobustnessSample *samples = NULL;
      static const char *const names[] = {
        "confidence_drop", "max_prob_drop", "pearson", "spearman", "top_iou",
      };

      if (row == NULL)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s: row %u is malformed", path, p + 1);
          return FALSE;
        }
      /* Every row has as many samples as the first. */
      correct = get_array (row, "correct", p == 0 ? G_MAXUINT : n_samples, path, error);
      if (correct != NULL && p == 0)
        n_samples = json_array_get_length (correct);
      if (correct == NULL)
        return FALSE;
      for (guint m = 0; m < G_N_ELEMENTS (names); m++)
        if ((values[m] = get_array (row, names[m], n_samples, path, error)) == NULL)
          return FALSE;

      samples = g_new0 (CtRobustnessSample, MAX (n_samples, 1));
      for (guint s = 0; s < n_samples; s++)
        {
          samples[s].correct = json_array_get_boolean_element (correct, s);
          samples[s].confidence_drop = read_number (values[0], s);
          samples[s].max_prob_drop = read_number (values[1], s);
          samples[s].pearson = read_number (values[2], s);
          samples[s].spearman = read_number (values[3], s);
          samples[s].top_iou = read_number (values[4], s);
        }
      ct_robustness_builder_add_samples (builder, epoch_index, p, clean_correct, n_images,
                                         samples, n_samples);
    }
  return TRUE;
}

gboolean
ct_study_write_marker (const char  *key,
                       const char  *path,
                       GError     **error)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  ct_json_add_string (builder, "key", key);
  json_builder_end_object (builder);
  return ct_json_write_file (builder, path, error);
}

gboolean
ct_study_read_marker (const char  *path,
                      const char  *key,
                      GError     **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();

  return load_part (path, key, parser, error) != NULL;
}

gboolean
ct_study_write_neighbours (const CtStudyNeighbours *neighbours,
                           const char              *key,
                           const char              *path,
                           GError                 **error)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  ct_json_add_string (builder, "key", key);
  json_builder_set_member_name (builder, "epochs");
  json_builder_begin_array (builder);
  for (guint e = 0; e < neighbours->n_epochs; e++)
    json_builder_add_int_value (builder, neighbours->epochs[e]);
  json_builder_end_array (builder);
  ct_json_add_int (builder, "images", neighbours->n_images);
  json_builder_set_member_name (builder, "pearson");
  json_builder_begin_array (builder);
  for (gsize i = 0; i < (gsize) (neighbours->n_epochs - 1) * neighbours->n_images; i++)
    add_number (builder, neighbours->pearson[i]);
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  return ct_json_write_file (builder, path, error);
}

CtStudyNeighbours *
ct_study_read_neighbours (const char  *path,
                          const char  *key,
                          GError     **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(CtStudyNeighbours) self = NULL;
  JsonNode *root = load_part (path, key, parser, error);
  JsonObject *object;
  JsonArray *epochs, *pearson;
  gint64 n_images;

  if (root == NULL)
    return NULL;
  object = json_node_get_object (root);
  n_images = json_object_get_int_member_with_default (object, "images", -1);
  epochs = get_array (object, "epochs", G_MAXUINT, path, error);
  if (epochs == NULL)
    return NULL;
  if (json_array_get_length (epochs) < 2 || n_images < 1)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s: too few epochs or images", path);
      return NULL;
    }
  self = g_new0 (CtStudyNeighbours, 1);
  self->n_epochs = json_array_get_length (epochs);
  self->n_images = n_images;
  pearson = get_array (object, "pearson", (self->n_epochs - 1) * self->n_images, path, error);
  if (pearson == NULL)
    return NULL;
  self->epochs = g_new (int, self->n_epochs);
  for (guint e = 0; e < self->n_epochs; e++)
    self->epochs[e] = json_array_get_int_element (epochs, e);
  self->pearson = g_new (double, (gsize) (self->n_epochs - 1) * self->n_images);
  for (gsize i = 0; i < (gsize) (self->n_epochs - 1) * self->n_images; i++)
    self->pearson[i] = read_number (pearson, i);
  return g_steal_pointer (&self);
}

/* ---- the result --------------------------------------------------------- */

void
ct_study_mistakes_free (CtStudyMistakes *self)
{
  if (self == NULL)
    return;
  g_free (self->images);
  g_free (self->labels);
  g_free (self->predicted);
  g_free (self->figure);
  g_free (self);
}

void
ct_study_figure_free (CtStudyFigure *self)
{
  if (self == NULL)
    return;
  g_free (self->title);
  g_free (self->path);
  g_free (self);
}

CtStudyResult *
ct_study_result_new (void)
{
  CtStudyResult *self = g_new0 (CtStudyResult, 1);

  self->mistakes = g_ptr_array_new_with_free_func ((GDestroyNotify) ct_study_mistakes_free);
  self->figures = g_ptr_array_new_with_free_func ((GDestroyNotify) ct_study_figure_free);
  self->faithfulness = g_ptr_array_new_with_free_func ((GDestroyNotify) ct_study_extra_free);
  return self;
}

void
ct_study_result_free (CtStudyResult *self)
{
  if (self == NULL)
    return;
  g_free (self->run_dir);
  g_free (self->run_name);
  g_free (self->arch);
  g_free (self->dataset);
  g_free (self->dataset_path);
  g_strfreev (self->classes);
  g_free (self->layer);
  g_free (self->method);
  g_free (self->epochs);
  g_free (self->camtrail_version);
  g_free (self->torch_version);
  g_free (self->run_torch_version);
  g_free (self->command);
  g_clear_pointer (&self->metrics, g_array_unref);
  g_clear_pointer (&self->robustness, ct_robustness_free);
  g_clear_pointer (&self->c10c, ct_robustness_free);
  g_clear_pointer (&self->neighbours, ct_study_neighbours_free);
  for (guint c = 0; c < CT_STUDY_N_CLAIMS; c++)
    g_clear_pointer (&self->claims[c], ct_study_assessment_free);
  g_clear_pointer (&self->random_figure, ct_study_figure_free);
  g_clear_pointer (&self->mistakes, g_ptr_array_unref);
  g_clear_pointer (&self->figures, g_ptr_array_unref);
  g_clear_pointer (&self->faithfulness, g_ptr_array_unref);
  g_clear_pointer (&self->sanity, ct_study_extra_free);
  g_free (self);
}

void
ct_study_extra_free (CtStudyExtra *self)
{
  if (self == NULL)
    return;
  g_free (self->name);
  g_free (self->method);
  g_free (self->csv);
  g_free (self);
}

GArray *
ct_study_dup_epoch_differences (const CtRobustness *robustness,
                                guint               perturbation)
{
  GArray *differences = g_array_new (FALSE, TRUE, sizeof (CtStudyComparison));

  g_return_val_if_fail (robustness != NULL && robustness->samples != NULL, differences);
  g_return_val_if_fail (perturbation < robustness->n_perturbations, differences);

  g_array_set_clear_func (differences, clear_comparison);
  for (guint e = 1; e < robustness->n_epochs; e++)
    {
      g_autofree double *later = dup_values (robustness, confidence_drop, e, perturbation);
      g_autofree double *earlier = dup_values (robustness, confidence_drop, e - 1, perturbation);
      CtStudyComparison comparison = { NULL, NAN, NAN, 0 };

      comparison.what = g_strdup_printf (_("epoch %d − epoch %d"), robustness->epochs[e].epoch,
                                         robustness->epochs[e - 1].epoch);
      ct_stats_paired_difference (later, earlier, robustness->n_row_samples,
                                  &comparison.mean, &comparison.ci95, &comparison.n);
      g_array_append_val (differences, comparison);
    }
  return differences;
}

/* ---- tables ------------------------------------------------------------- */

void
ct_study_table_free (CtStudyTable *self)
{
  if (self == NULL)
    return;
  g_free (self->name);
  g_free (self->title);
  g_free (self->caption);
  g_strfreev (self->columns);
  g_clear_pointer (&self->rows, g_ptr_array_unref);
  g_free (self);
}

static CtStudyTable *
table_new (const char *name,
           const char *title,
           const char *caption,
           ...)
{
  CtStudyTable *self = g_new0 (CtStudyTable, 1);
  g_autoptr(GPtrArray) columns = g_ptr_array_new ();
  const char *column;
  va_list args;

  self->name = g_strdup (name);
  self->title = g_strdup (title);
  self->caption = g_strdup (caption);
  va_start (args, caption);
  while ((column = va_arg (args, const char *)) != NULL)
    g_ptr_array_add (columns, g_strdup (column));
  va_end (args);
  g_ptr_array_add (columns, NULL);
  self->columns = (char **) g_ptr_array_free (g_steal_pointer (&columns), FALSE);
  self->rows = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);
  return self;
}

/* Adds a row of the strings given, each taken (transfer full). */
static void
table_add (CtStudyTable *self,
           ...)
{
  guint n = g_strv_length (self->columns);
  char **row = g_new0 (char *, n + 1);
  va_list args;

  va_start (args, self);
  for (guint i = 0; i < n; i++)
    row[i] = va_arg (args, char *);
  va_end (args);
  g_ptr_array_add (self->rows, row);
}

/* A number cell as every CSV of Camtrail writes it (ct_csv_append_number),
 * so the HTML and PDF show the CSV's strings. */
static char *
number (double value)
{
  g_autoptr(GString) cell = g_string_new (NULL);

  ct_csv_append_number (cell, value);
  return g_strdup (cell->str + 1);
}

static const CtEpochMetrics *
find_metrics (const CtStudyResult *result,
              int                  epoch)
{
  const CtEpochMetrics *found = NULL;

  /* The last line of an epoch wins, as a resumed training rewrites it. */
  for (guint i = 0; result->metrics != NULL && i < result->metrics->len; i++)
    if (g_array_index (result->metrics, CtEpochMetrics, i).epoch == epoch)
      found = &g_array_index (result->metrics, CtEpochMetrics, i);
  return found;
}

static const char *
class_name (const CtStudyResult *result,
            int                  index)
{
  if (result->classes != NULL && index >= 0 && (guint) index < g_strv_length (result->classes))
    return result->classes[index];
  return "?";
}

static CtStudyTable *
accuracy_table (const CtStudyResult *result)
{
  CtStudyTable *table = table_new ("accuracy", _("Accuracy per checkpoint (the paper's Table 1)"),
                                   _("Train and test accuracy from the run's metrics.jsonl; "
                                     "clean accuracy over the study's images; the paper's "
                                     "figures where it gives them."),
                                   "epoch", "train_accuracy", "test_accuracy", "study_images_accuracy",
                                   "paper_train_accuracy", "paper_test_accuracy", NULL);

  for (guint e = 0; e < result->robustness->n_epochs; e++)
    {
      int epoch = result->robustness->epochs[e].epoch;
      const CtEpochMetrics *metrics = find_metrics (result, epoch);
      double paper_train = NAN, paper_test = NAN;

      ct_study_paper_accuracy (epoch, &paper_train, &paper_test);
      table_add (table, g_strdup_printf ("%d", epoch),
                 number (metrics != NULL ? metrics->train_accuracy : NAN),
                 number (metrics != NULL ? metrics->test_accuracy : NAN),
                 number (result->robustness->epochs[e].clean_accuracy),
                 number (paper_train), number (paper_test));
    }
  return table;
}

static CtStudyTable *
perturbation_table (const CtRobustness *robustness,
                    const char         *name,
                    const char         *title)
{
  CtStudyTable *table = table_new (name, title,
                                   _("Over the study's images × rounds: accuracy under the "
                                     "perturbation, confidence drop p(c | clean) − p(c | perturbed) "
                                     "and the max-probability drop with 95% half-widths, and the "
                                     "heatmap stability (Pearson's r and top-20% IoU of the clean "
                                     "and the perturbed Grad-CAM) with 95% half-widths."),
                                   "epoch", "perturbation", "samples", "clean_accuracy", "accuracy",
                                   "confidence_drop", "confidence_drop_ci95", "max_prob_drop",
                                   "max_prob_drop_ci95", "pearson", "pearson_ci95", "top20_iou",
                                   "top20_iou_ci95", NULL);

  for (guint e = 0; e < robustness->n_epochs; e++)
    for (guint p = 0; p < robustness->n_perturbations; p++)
      {
        const CtRobustnessRow *row = &robustness->rows[(gsize) e * robustness->n_perturbations + p];

        table_add (table, g_strdup_printf ("%d", row->epoch), g_strdup (robustness->labels[p]),
                   g_strdup_printf ("%u", row->n_samples), number (row->clean_accuracy),
                   number (row->accuracy), number (row->confidence_drop.mean),
                   number (row->confidence_drop.ci95), number (row->max_prob_drop.mean),
                   number (row->max_prob_drop.ci95), number (row->pearson.mean),
                   number (row->pearson.ci95), number (row->top_iou.mean),
                   number (row->top_iou.ci95));
      }
  return table;
}

static void
add_table3 (const CtStudyResult *result,
            GPtrArray           *tables)
{
  const CtRobustness *robustness = result->robustness;
  int occlusion = ct_study_find_occlusion (robustness, CT_STUDY_TABLE3_OCCLUDE);
  CtStudyTable *table, *paired;
  g_autoptr(GArray) differences = NULL;

  if (occlusion < 0)
    return;
  table = table_new ("table3", _("The paper's Table 3 re-done: confidence drop under 20 occluded pixels"),
                     /* xgettext:no-c-format */
                     _("Mean over the study's images and rounds with its 95% half-width, beside the "
                       "paper's value for one image."),
                     "epoch", "confidence_drop", "confidence_drop_ci95", "samples", "paper_one_image",
                     NULL);
  for (guint e = 0; e < robustness->n_epochs; e++)
    {
      const CtRobustnessRow *row = ct_robustness_get_row ((CtRobustness *) robustness, e, occlusion);
      double paper = NAN;

      ct_study_paper_table3 (row->epoch, &paper);
      table_add (table, g_strdup_printf ("%d", row->epoch), number (row->confidence_drop.mean),
                 number (row->confidence_drop.ci95), g_strdup_printf ("%u", row->confidence_drop.n),
                 number (paper));
    }
  g_ptr_array_add (tables, table);

  paired = table_new ("table3-paired", _("Table 3: paired differences between checkpoints"),
                      /* xgettext:no-c-format */
                      _("Later minus earlier checkpoint, on the same images and the same occluded "
                        "pixels, with the 95% half-width of the mean difference."),
                      "comparison", "difference", "difference_ci95", "pairs", NULL);
  differences = ct_study_dup_epoch_differences (robustness, occlusion);
  for (guint i = 0; i < differences->len; i++)
    {
      const CtStudyComparison *c = &g_array_index (differences, CtStudyComparison, i);

      table_add (paired, g_strdup (c->what), number (c->mean), number (c->ci95),
                 g_strdup_printf ("%" G_GSIZE_FORMAT, c->n));
    }
  g_ptr_array_add (tables, paired);
}

static CtStudyTable *
neighbours_table (const CtStudyNeighbours *neighbours)
{
  CtStudyTable *table = table_new ("neighbours", _("Grad-CAM agreement of neighbouring checkpoints"),
                                   /* xgettext:no-c-format */
                                   _("Pearson's r of the clean heatmaps of the same image at two "
                                     "neighbouring checkpoints, mean over the study's images with "
                                     "its 95% half-width."),
                                   "epoch_a", "epoch_b", "pearson", "pearson_ci95", "images", NULL);

  for (guint i = 0; i + 1 < neighbours->n_epochs; i++)
    {
      const double *values = &neighbours->pearson[(gsize) i * neighbours->n_images];
      g_autofree double *defined = g_new (double, neighbours->n_images);
      double mean = NAN, ci95 = NAN;
      gsize n = 0;

      for (guint k = 0; k < neighbours->n_images; k++)
        if (isfinite (values[k]))
          defined[n++] = values[k];
      if (n > 0)
        ct_stats_mean_ci95 (defined, n, &mean, &ci95);
      table_add (table, g_strdup_printf ("%d", neighbours->epochs[i]),
                 g_strdup_printf ("%d", neighbours->epochs[i + 1]), number (mean), number (ci95),
                 g_strdup_printf ("%" G_GSIZE_FORMAT, n));
    }
  return table;
}

static void
add_mistakes (const CtStudyResult *result,
              GPtrArray           *tables)
{
  CtStudyTable *list = table_new ("misclassified", _("Misclassified images (the paper's scan)"),
                                  _("The first images each early checkpoint gets wrong, scanning "
                                    "the test split in the study's seeded shuffled order."),
                                  "epoch", "image", "label", "predicted", NULL);
  CtStudyTable *pairs = table_new ("confusion-pairs", _("Confusion pairs of the misclassified images"),
                                   _("Each true class → predicted class among them, with its count, "
                                     "in order of first appearance."),
                                   "epoch", "label", "predicted", "count", NULL);

  for (guint m = 0; m < result->mistakes->len; m++)
    {
      const CtStudyMistakes *mistakes = g_ptr_array_index (result->mistakes, m);

      for (guint i = 0; i < mistakes->n_images; i++)
        {
          guint count = 0;
          gboolean seen = FALSE;

          table_add (list, g_strdup_printf ("%d", mistakes->epoch),
                     g_strdup_printf ("%u", mistakes->images[i]),
                     g_strdup (class_name (result, mistakes->labels[i])),
                     g_strdup (class_name (result, mistakes->predicted[i])));
          for (guint k = 0; k < mistakes->n_images; k++)
            if (mistakes->labels[k] == mistakes->labels[i] &&
                mistakes->predicted[k] == mistakes->predicted[i])
              {
                seen |= k < i;
                count++;
              }
          if (!seen)
            table_add (pairs, g_strdup_printf ("%d", mistakes->epoch),
                       g_strdup (class_name (result, mistakes->labels[i])),
                       g_strdup (class_name (result, mistakes->predicted[i])),
                       g_strdup_printf ("%u", count));
        }
    }
  g_ptr_array_add (tables, list);
  g_ptr_array_add (tables, pairs);
}

static CtStudyTable *
claims_table (const CtStudyResult *result)
{
  CtStudyTable *table = table_new ("claims", _("The paper's claims, each tested"),
                                   /* xgettext:no-c-format */
                                   _("Each comparison is a paired difference that the claim predicts "
                                     "to be positive, with its 95% half-width. Supported: every "
                                     "interval above 0; not supported: one below 0; inconclusive "
                                     "otherwise, at this many images."),
                                   "claim", "statement", "verdict", "comparison", "difference",
                                   "difference_ci95", "pairs", NULL);

  for (guint c = 0; c < CT_STUDY_N_CLAIMS; c++)
    {
      const CtStudyAssessment *assessment = result->claims[c];
      char letter[2] = { (char) ('a' + c), 0 };

      if (assessment == NULL)
        continue;
      if (assessment->comparisons->len == 0)
        table_add (table, g_strdup (letter), g_strdup (_(ct_study_claim_statement (c))),
                   g_strdup (ct_study_verdict_to_string (assessment->verdict)),
                   g_strdup (assessment->note != NULL ? assessment->note : ""),
                   g_strdup (""), g_strdup (""), g_strdup ("0"));
      for (guint i = 0; i < assessment->comparisons->len; i++)
        {
          const CtStudyComparison *comparison = &g_array_index (assessment->comparisons,
                                                                CtStudyComparison, i);

          table_add (table, g_strdup (letter), g_strdup (_(ct_study_claim_statement (c))),
                     g_strdup (ct_study_verdict_to_string (assessment->verdict)),
                     g_strdup (comparison->what), number (comparison->mean),
                     number (comparison->ci95),
                     g_strdup_printf ("%" G_GSIZE_FORMAT, comparison->n));
        }
    }
  return table;
}

static CtStudyTable *
c10c_table (const CtRobustness *c10c)
{
  CtStudyTable *table = table_new ("c10c", _("CIFAR-10-C summary"),
                                   _("Mean corruption error (mCE) and relative mCE over every "
                                     "CIFAR-10-C corruption and severity Camtrail implements "
                                     "(c10c:all), against the last checkpoint (Hendrycks & "
                                     "Dietterich 2019)."),
                                   "epoch", "clean_accuracy", "mce", "relative_mce", NULL);

  for (guint e = 0; e < c10c->n_epochs; e++)
    table_add (table, g_strdup_printf ("%d", c10c->epochs[e].epoch),
               number (c10c->epochs[e].clean_accuracy), number (c10c->epochs[e].mce),
               number (c10c->epochs[e].relative_mce));
  return table;
}

/* The table of an optional section: its CSV's lines, whose writers put
 * no comma or quote inside a field (method names, layer groups, numbers). */
static CtStudyTable *
extra_table (const CtStudyExtra *extra,
             const char         *title,
             const char         *caption)
{
  CtStudyTable *table = g_new0 (CtStudyTable, 1);
  g_auto(GStrv) lines = g_strsplit (extra->csv, "\n", -1);
  guint n_columns;

  table->name = g_strdup (extra->name);
  table->title = g_strdup (title);
  table->caption = g_strdup (caption);
  table->columns = g_strsplit (lines[0], ",", -1);
  table->rows = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);
  n_columns = g_strv_length (table->columns);
  for (guint i = 1; lines[i] != NULL; i++)
    {
      char **row;

      if (*lines[i] == '\0')
        continue;
      row = g_strsplit (lines[i], ",", -1);
      /* A row as long as the header, as every table's. */
      if (g_strv_length (row) != n_columns)
        {
          g_strfreev (row);
          continue;
        }
      g_ptr_array_add (table->rows, row);
    }
  return table;
}

GPtrArray *
ct_study_dup_tables (const CtStudyResult *result)
{
  GPtrArray *tables = g_ptr_array_new_with_free_func ((GDestroyNotify) ct_study_table_free);

  g_return_val_if_fail (result != NULL && result->robustness != NULL, tables);

  g_ptr_array_add (tables, accuracy_table (result));
  g_ptr_array_add (tables, perturbation_table (result->robustness, "perturbations",
                                               _("Perturbations as the paper did them")));
  add_table3 (result, tables);
  if (result->neighbours != NULL)
    g_ptr_array_add (tables, neighbours_table (result->neighbours));
  add_mistakes (result, tables);
  g_ptr_array_add (tables, claims_table (result));
  if (result->c10c != NULL)
    g_ptr_array_add (tables, c10c_table (result->c10c));
  for (guint i = 0; result->faithfulness != NULL && i < result->faithfulness->len; i++)
    {
      const CtStudyExtra *extra = g_ptr_array_index (result->faithfulness, i);
      g_autofree char *title = g_strdup_printf (_("Faithfulness of %s's heatmaps"), extra->method);

      g_ptr_array_add (tables, extra_table (extra, title,
                                            _("Per checkpoint, the method's heatmaps and seeded "
                                              "random ones (the baseline): deletion AUC (lower is "
                                              "more faithful), insertion AUC (higher), Average "
                                              "Drop % (lower), Increase in Confidence % (higher), "
                                              "ROAD (combined: higher); means with 95% "
                                              "half-widths over the images.")));
    }
  if (result->sanity != NULL)
    g_ptr_array_add (tables, extra_table (result->sanity, _("Randomisation sanity check"),
                                          _("Agreement of each trained checkpoint's maps with "
                                            "the untrained network's (epoch 0) and with the "
                                            "last checkpoint randomised from the output down: "
                                            "Spearman's ρ, SSIM and top-20% IoU, means with 95% "
                                            "half-widths. Lower means the maps follow the "
                                            "model.")));
  return tables;
}

static void
append_csv_field (GString    *text,
                  const char *field)
{
  if (strpbrk (field, ",\"\r\n") == NULL)
    {
      g_string_append (text, field);
      return;
    }
  g_string_append_c (text, '"');
  for (const char *p = field; *p != '\0'; p++)
    {
      if (*p == '"')
        g_string_append_c (text, '"');
      g_string_append_c (text, *p);
    }
  g_string_append_c (text, '"');
}

gboolean
ct_study_table_write_csv (const CtStudyTable *table,
                          const char         *dir,
                          GError            **error)
{
  g_autoptr(GString) text = g_string_new (NULL);
  g_autofree char *name = g_strconcat (table->name, ".csv", NULL);
  g_autofree char *path = g_build_filename (dir, name, NULL);

  for (guint i = 0; table->columns[i] != NULL; i++)
    {
      if (i > 0)
        g_string_append_c (text, ',');
      append_csv_field (text, table->columns[i]);
    }
  g_string_append_c (text, '\n');
  for (guint r = 0; r < table->rows->len; r++)
    {
      char **row = g_ptr_array_index (table->rows, r);

      for (guint i = 0; row[i] != NULL; i++)
        {
          if (i > 0)
            g_string_append_c (text, ',');
          append_csv_field (text, row[i]);
        }
      g_string_append_c (text, '\n');
    }
  return g_file_set_contents_full (path, text->str, text->len,
                                   G_FILE_SET_CONTENTS_CONSISTENT, 0644, error);
}

/* ---- the mistakes part ----------------------------------------------- */

gboolean
ct_study_write_mistakes (const CtStudyMistakes *mistakes,
                         const char            *key,
                         const char            *path,
                         GError               **error)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  const char *names[] = { "images", "labels", "predicted" };

  json_builder_begin_object (builder);
  ct_json_add_string (builder, "key", key);
  ct_json_add_int (builder, "epoch", mistakes->epoch);
  ct_json_add_string (builder, "figure", mistakes->figure);
  for (guint m = 0; m < G_N_ELEMENTS (names); m++)
    {
      json_builder_set_member_name (builder, names[m]);
      json_builder_begin_array (builder);
      for (guint i = 0; i < mistakes->n_images; i++)
        json_builder_add_int_value (builder, m == 0 ? (gint64) mistakes->images[i]
                                             : m == 1 ? mistakes->labels[i]
                                             : mistakes->predicted[i]);
      json_builder_end_array (builder);
    }
  json_builder_end_object (builder);
  return ct_json_write_file (builder, path, error);
}

CtStudyMistakes *
ct_study_read_mistakes (const char  *path,
                        const char  *key,
                        GError     **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(CtStudyMistakes) self = NULL;
  JsonNode *root = load_part (path, key, parser, error);
  JsonObject *object;
  JsonArray *images, *labels, *predicted;

  if (root == NULL)
    return NULL;
  object = json_node_get_object (root);
  if ((images = get_array (object, "images", G_MAXUINT, path, error)) == NULL ||
      (labels = get_array (object, "labels", json_array_get_length (images), path, error)) == NULL ||
      (predicted = get_array (object, "predicted", json_array_get_length (images), path, error)) == NULL)
    return NULL;
  self = g_new0 (CtStudyMistakes, 1);
  self->epoch = json_object_get_int_member_with_default (object, "epoch", -1);
  self->figure = g_strdup (json_object_get_string_member_with_default (object, "figure", ""));
  self->n_images = json_array_get_length (images);
  self->images = g_new (guint, MAX (self->n_images, 1));
  self->labels = g_new (int, MAX (self->n_images, 1));
  self->predicted = g_new (int, MAX (self->n_images, 1));
  for (guint i = 0; i < self->n_images; i++)
    {
      self->images[i] = json_array_get_int_element (images, i);
      self->labels[i] = json_array_get_int_element (labels, i);
      self->predicted[i] = json_array_get_int_element (predicted, i);
    }
  return g_steal_pointer (&self);
}
