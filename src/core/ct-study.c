/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "ct-study.h"

#include <gio/gio.h>
#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>
#include <math.h>

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
