/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "ct-study.h"
#include "ct-test-data.h"

/* Hand-made study tables: 20 images × 2 rounds at epochs 0, 1, 3 and 20,
 * under the paper's five perturbations, with values chosen so that each
 * claim's answer is known. */
#define N_IMAGES 20
#define N_ROUNDS 2
#define N_SAMPLES (N_IMAGES * N_ROUNDS)

static const int epochs[] = { 0, 1, 3, 20 };
#define N_EPOCHS G_N_ELEMENTS (epochs)

enum { NOISE, ROTATE, OCCLUDE_20, OCCLUDE_5, OCCLUDE_10, N_PERTURBATIONS };

typedef enum { AS_THE_PAPER_SAYS, AGAINST_THE_PAPER } Table;

/* A small spread, so that differences have a variance. */
static double
jitter (guint s)
{
  return 0.01 * (s % 3);
}

static void
fill (Table               table,
      guint               e,
      guint               p,
      guint               s,
      CtRobustnessSample *sample)
{
  int epoch = epochs[e];
  guint image = s / N_ROUNDS, round = s % N_ROUNDS;

  sample->correct = TRUE;
  sample->confidence_drop = 0.1 + jitter (s);
  sample->max_prob_drop = 0.05;
  sample->pearson = (epoch == 20 ? 0.9 : 0.4) + jitter (s + 1);
  sample->spearman = sample->pearson;
  sample->top_iou = 0.5;

  if (table == AS_THE_PAPER_SAYS)
    {
      if (p == NOISE)
        sample->confidence_drop = 0.5 + jitter (s + 1);
      if (p == OCCLUDE_20 && epoch == 20)
        sample->confidence_drop = 0.3 + 0.002 * s;
      if (p == OCCLUDE_20 && epoch != 20)
        sample->confidence_drop = 0.1 + 0.02 * (s % 2);
      /* Epoch 1 loses confidence under rotation and breaks the answers it
       * had right in round 0. */
      if (p == ROTATE && epoch == 1)
        {
          sample->confidence_drop = 0.3 + jitter (s + 2);
          sample->correct = !(image >= 10 && round == 0) && image >= 10;
        }
      if (p == ROTATE && epoch == 1 && image < 10)
        sample->correct = FALSE;
    }
  else
    {
      /* Occlusion hurts epoch 3 more than noise; occlusion at 20 pixels
       * is the same at every epoch. */
      if (p == NOISE)
        sample->confidence_drop = 0.2 + jitter (s);
      if (p == OCCLUDE_20 && epoch == 3)
        sample->confidence_drop = 0.6 + jitter (s + 1);
      sample->pearson = 0.6 + jitter (s);
    }
}

/* Epoch 0 gets every image wrong, epochs 1 and 3 the first ten, epoch 20
 * none (as the paper says); against it, epoch 20 errs as epochs 1 and 3. */
static gboolean
clean_correct (Table table,
               guint e,
               guint image)
{
  if (epochs[e] == 0)
    return FALSE;
  if (epochs[e] == 20 && table == AS_THE_PAPER_SAYS)
    return TRUE;
  return image >= 10;
}

static CtRobustness *
make_table (Table table)
{
  g_autoptr(GArray) perturbations = ct_robustness_parse_perturbations (CT_STUDY_PERTURBATIONS, NULL);
  g_autoptr(CtRobustnessBuilder) builder = NULL;

  g_assert_cmpuint (perturbations->len, ==, N_PERTURBATIONS);
  builder = ct_robustness_builder_new (epochs, N_EPOCHS, 20,
                                       (const CtPerturb *) perturbations->data, N_PERTURBATIONS);
  for (guint e = 0; e < N_EPOCHS; e++)
    for (guint p = 0; p < N_PERTURBATIONS; p++)
      {
        gboolean clean[N_IMAGES];
        CtRobustnessSample samples[N_SAMPLES];

        for (guint i = 0; i < N_IMAGES; i++)
          clean[i] = clean_correct (table, e, i);
        for (guint s = 0; s < N_SAMPLES; s++)
          fill (table, e, p, s, &samples[s]);
        ct_robustness_builder_add_samples (builder, e, p, clean, N_IMAGES, samples, N_SAMPLES);
      }
  return ct_robustness_builder_finish (builder);
}

static const CtStudyComparison *
comparison (const CtStudyAssessment *assessment,
            guint                    i)
{
  g_assert_cmpuint (i, <, assessment->comparisons->len);
  return &g_array_index (assessment->comparisons, CtStudyComparison, i);
}

static void
test_paper_numbers (void)
{
  double train, test, drop;

  g_assert_true (ct_study_paper_accuracy (1, &train, &test));
  g_assert_cmpfloat (train, ==, 0.7421);
  g_assert_cmpfloat (test, ==, 0.8778);
  g_assert_true (ct_study_paper_accuracy (20, &train, &test));
  g_assert_cmpfloat (test, ==, 0.9433);
  g_assert_false (ct_study_paper_accuracy (0, &train, &test));
  g_assert_true (ct_study_paper_table3 (2, &drop));
  g_assert_cmpfloat (drop, ==, 0.0053);
  g_assert_true (ct_study_paper_table3 (20, &drop));
  g_assert_cmpfloat (drop, ==, 0.0132);
  g_assert_false (ct_study_paper_table3 (4, &drop));
}

static void
test_verdict_rule (void)
{
  CtStudyComparison above = { NULL, 0.5, 0.1, 10 };
  CtStudyComparison holding_zero = { NULL, 0.05, 0.1, 10 };
  CtStudyComparison below = { NULL, -0.5, 0.1, 10 };
  CtStudyComparison single = { NULL, 0.5, 0, 1 };
  CtStudyComparison touching = { NULL, 0.1, 0.1, 10 };
  CtStudyComparison list[2];

  g_assert_cmpint (ct_study_verdict (&above, 1), ==, CT_STUDY_VERDICT_SUPPORTED);
  g_assert_cmpint (ct_study_verdict (&holding_zero, 1), ==, CT_STUDY_VERDICT_INCONCLUSIVE);
  g_assert_cmpint (ct_study_verdict (&below, 1), ==, CT_STUDY_VERDICT_NOT_SUPPORTED);
  g_assert_cmpint (ct_study_verdict (&single, 1), ==, CT_STUDY_VERDICT_INCONCLUSIVE);
  /* An interval that reaches 0 does not lie above it. */
  g_assert_cmpint (ct_study_verdict (&touching, 1), ==, CT_STUDY_VERDICT_INCONCLUSIVE);
  g_assert_cmpint (ct_study_verdict (NULL, 0), ==, CT_STUDY_VERDICT_INCONCLUSIVE);
  list[0] = above;
  list[1] = holding_zero;
  g_assert_cmpint (ct_study_verdict (list, 2), ==, CT_STUDY_VERDICT_INCONCLUSIVE);
  list[1] = below;
  g_assert_cmpint (ct_study_verdict (list, 2), ==, CT_STUDY_VERDICT_NOT_SUPPORTED);
  list[1] = above;
  g_assert_cmpint (ct_study_verdict (list, 2), ==, CT_STUDY_VERDICT_SUPPORTED);
  g_assert_cmpstr (ct_study_verdict_to_string (CT_STUDY_VERDICT_NOT_SUPPORTED), ==, "not supported");
}

static void
test_claims_supported (void)
{
  g_autoptr(CtRobustness) table = make_table (AS_THE_PAPER_SAYS);
  g_autoptr(CtStudyAssessment) consistency = NULL, noise = NULL, occlusion = NULL;
  g_autoptr(CtStudyAssessment) mistakes = NULL, rotation = NULL;
  const CtStudyComparison *c;

  g_assert_cmpint (ct_study_find_noise (table), ==, NOISE);
  g_assert_cmpint (ct_study_find_rotation (table), ==, ROTATE);
  g_assert_cmpint (ct_study_find_occlusion (table, 20), ==, OCCLUDE_20);
  g_assert_cmpint (ct_study_find_occlusion (table, 10), ==, OCCLUDE_10);
  g_assert_cmpint (ct_study_find_occlusion (table, 7), ==, -1);

  /* (a) Epoch 20 (all right) against epoch 1 (half right; epoch 3 ties and
   * comes later): per image 0.9 vs 0.4, the jitter the same. */
  consistency = ct_study_assess (CT_STUDY_CLAIM_CONSISTENCY, table, NULL);
  g_assert_cmpuint (consistency->comparisons->len, ==, 1);
  c = comparison (consistency, 0);
  g_assert_cmpfloat_with_epsilon (c->mean, 0.5, 1e-12);
  g_assert_cmpuint (c->n, ==, N_IMAGES);
  g_assert_nonnull (strstr (c->what, "epoch 20 − epoch 1"));
  g_assert_cmpint (consistency->verdict, ==, CT_STUDY_VERDICT_SUPPORTED);

  /* (b) 4 epochs × 4 other perturbations; noise 0.5 + j(s+1) against
   * 0.1 + j(s) (rotation at epoch 1: 0.3 + j(s+2)). */
  noise = ct_study_assess (CT_STUDY_CLAIM_NOISE_HARDEST, table, NULL);
  g_assert_cmpuint (noise->comparisons->len, ==, N_EPOCHS * (N_PERTURBATIONS - 1));
  c = comparison (noise, 0);
  /* Epoch 0, noise − rotation: 0.4 + mean of j(s+1) − j(s) over 40 samples:
   * s%3 = 0,1,2 → +0.01, +0.01, −0.02; 14, 13, 13 of them → +0.01·(14+13)/40 − 0.02·13/40. */
  g_assert_cmpfloat_with_epsilon (c->mean, 0.4 + (0.01 * 27 - 0.02 * 13) / 40, 1e-12);
  g_assert_cmpint (noise->verdict, ==, CT_STUDY_VERDICT_SUPPORTED);

  /* (c) Epoch 20: 0.3 + 0.002 s; the others 0.1 + 0.02 (s % 2): mean
   * difference 0.2 + 0.002 · 19.5 − 0.01 = 0.229. */
  occlusion = ct_study_assess (CT_STUDY_CLAIM_OCCLUSION_LAST, table, NULL);
  g_assert_cmpuint (occlusion->comparisons->len, ==, N_EPOCHS - 1);
  for (guint i = 0; i < N_EPOCHS - 1; i++)
    g_assert_cmpfloat_with_epsilon (comparison (occlusion, i)->mean, 0.229, 1e-12);
  g_assert_cmpint (occlusion->verdict, ==, CT_STUDY_VERDICT_SUPPORTED);

  /* (d) Epochs 1 and 3 err on 10 of 20, epoch 20 on none: mean 0.5,
   * s = √(5/19), half-width t₁₉ · s / √20 = 2.093024 · 0.512989 / 4.472136. */
  mistakes = ct_study_assess (CT_STUDY_CLAIM_EARLY_MISTAKES, table, NULL);
  g_assert_cmpuint (mistakes->comparisons->len, ==, 2);
  c = comparison (mistakes, 1);
  g_assert_nonnull (strstr (c->what, "epoch 3 − epoch 20"));
  g_assert_cmpfloat_with_epsilon (c->mean, 0.5, 1e-12);
  g_assert_cmpfloat_with_epsilon (c->ci95, 2.093024 * sqrt (5.0 / 19) / sqrt (20), 1e-6);
  g_assert_cmpint (mistakes->verdict, ==, CT_STUDY_VERDICT_SUPPORTED);

  /* (e) Epoch 1 against epoch 20 under rotation: drops 0.3 + j(s+2) vs
   * 0.1 + j(s); the accuracy drop is 1 for images 10…19 in round 0 (right
   * when clean, wrong rotated), 10 of 40 samples, and 0 at epoch 20. */
  rotation = ct_study_assess (CT_STUDY_CLAIM_ROTATION, table, NULL);
  g_assert_cmpuint (rotation->comparisons->len, ==, 2);
  c = comparison (rotation, 1);
  g_assert_cmpfloat_with_epsilon (c->mean, 10.0 / 40, 1e-12);
  g_assert_cmpint (rotation->verdict, ==, CT_STUDY_VERDICT_SUPPORTED);
}

static void
test_claims_against (void)
{
  g_autoptr(CtRobustness) table = make_table (AGAINST_THE_PAPER);
  g_autoptr(CtStudyAssessment) consistency = NULL, noise = NULL, occlusion = NULL;
  g_autoptr(CtStudyAssessment) mistakes = NULL, rotation = NULL;

  /* (a) All trained checkpoints equally accurate: no most accurate one. */
  consistency = ct_study_assess (CT_STUDY_CLAIM_CONSISTENCY, table, NULL);
  g_assert_cmpuint (consistency->comparisons->len, ==, 0);
  g_assert_nonnull (consistency->note);
  g_assert_cmpint (consistency->verdict, ==, CT_STUDY_VERDICT_INCONCLUSIVE);
  /* (b) At epoch 3 occlusion (0.6) hurts more than noise (0.2). */
  noise = ct_study_assess (CT_STUDY_CLAIM_NOISE_HARDEST, table, NULL);
  g_assert_cmpint (noise->verdict, ==, CT_STUDY_VERDICT_NOT_SUPPORTED);
  /* (c) Epoch 3 loses more under occlusion than epoch 20. */
  occlusion = ct_study_assess (CT_STUDY_CLAIM_OCCLUSION_LAST, table, NULL);
  g_assert_cmpint (occlusion->verdict, ==, CT_STUDY_VERDICT_NOT_SUPPORTED);
  /* (d) Epoch 20 errs as often as epochs 1 and 3, on the same images. */
  mistakes = ct_study_assess (CT_STUDY_CLAIM_EARLY_MISTAKES, table, NULL);
  g_assert_cmpint (mistakes->verdict, ==, CT_STUDY_VERDICT_INCONCLUSIVE);
  /* (e) All trained checkpoints equally accurate: nothing to compare. */
  rotation = ct_study_assess (CT_STUDY_CLAIM_ROTATION, table, NULL);
  g_assert_cmpuint (rotation->comparisons->len, ==, 0);
  g_assert_nonnull (rotation->note);
  g_assert_cmpint (rotation->verdict, ==, CT_STUDY_VERDICT_INCONCLUSIVE);
}

/* Neighbours 0–1, 1–3, 3–20: the last pair (3–20) against the first pair
 * of trained checkpoints (1–3). */
static CtStudyNeighbours *
make_neighbours (void)
{
  CtStudyNeighbours *self = g_new0 (CtStudyNeighbours, 1);

  self->n_epochs = N_EPOCHS;
  self->epochs = g_memdup2 (epochs, sizeof epochs);
  self->n_images = N_IMAGES;
  self->pearson = g_new (double, (N_EPOCHS - 1) * N_IMAGES);
  for (guint i = 0; i < N_IMAGES; i++)
    {
      self->pearson[0 * N_IMAGES + i] = 0.1;
      self->pearson[1 * N_IMAGES + i] = 0.3 + jitter (i);
      self->pearson[2 * N_IMAGES + i] = i == 4 ? NAN : 0.9 + jitter (i + 1);
    }
  return self;
}

static void
test_claim_neighbours (void)
{
  g_autoptr(CtRobustness) table = make_table (AS_THE_PAPER_SAYS);
  g_autoptr(CtStudyNeighbours) neighbours = make_neighbours ();
  g_autoptr(CtStudyAssessment) consistency = NULL;
  const CtStudyComparison *c;
  double expected = 0;

  consistency = ct_study_assess (CT_STUDY_CLAIM_CONSISTENCY, table, neighbours);
  g_assert_cmpuint (consistency->comparisons->len, ==, 2);
  c = comparison (consistency, 1);
  g_assert_nonnull (strstr (c->what, "epochs 3 and 20"));
  g_assert_nonnull (strstr (c->what, "epochs 1 and 3"));
  /* Image 4 has no correlation at 3–20 and leaves the pairs. */
  for (guint i = 0; i < N_IMAGES; i++)
    if (i != 4)
      expected += 0.6 + jitter (i + 1) - jitter (i);
  g_assert_cmpuint (c->n, ==, N_IMAGES - 1);
  g_assert_cmpfloat_with_epsilon (c->mean, expected / (N_IMAGES - 1), 1e-12);
  g_assert_cmpint (consistency->verdict, ==, CT_STUDY_VERDICT_SUPPORTED);
}

/* A part written and read back gives the rows it was written from; a part
 * of other settings is refused. */
static void
test_parts (void)
{
  g_autoptr(CtRobustness) table = make_table (AS_THE_PAPER_SAYS);
  g_autoptr(CtStudyNeighbours) neighbours = make_neighbours ();
  g_autoptr(CtStudyNeighbours) read = NULL;
  g_autoptr(CtRobustnessBuilder) builder = NULL;
  g_autoptr(CtRobustness) rebuilt = NULL;
  g_autofree char *dir = g_dir_make_tmp ("test-study-XXXXXX", NULL);
  g_autoptr(GError) error = NULL;
  gsize n_rows = N_EPOCHS * N_PERTURBATIONS;

  builder = ct_robustness_builder_new (epochs, N_EPOCHS, 20, table->perturbations, N_PERTURBATIONS);
  for (guint e = 0; e < N_EPOCHS; e++)
    {
      g_autofree char *name = g_strdup_printf ("epoch-%u.json", e);
      g_autofree char *path = g_build_filename (dir, name, NULL);

      g_assert_true (ct_study_write_samples (table, e, "settings A", path, &error));
      g_assert_no_error (error);
      g_assert_false (ct_study_read_samples (path, "settings B", builder, e, N_PERTURBATIONS, &error));
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
      g_clear_error (&error);
      g_assert_true (ct_study_read_samples (path, "settings A", builder, e, N_PERTURBATIONS, &error));
      g_assert_no_error (error);
    }
  rebuilt = ct_robustness_builder_finish (builder);
  g_assert_cmpmem (rebuilt->rows, n_rows * sizeof (CtRobustnessRow),
                   table->rows, n_rows * sizeof (CtRobustnessRow));
  g_assert_cmpmem (rebuilt->samples, n_rows * N_SAMPLES * sizeof (CtRobustnessSample),
                   table->samples, n_rows * N_SAMPLES * sizeof (CtRobustnessSample));

  {
    g_autofree char *path = g_build_filename (dir, "neighbours.json", NULL);

    g_assert_true (ct_study_write_neighbours (neighbours, "settings A", path, &error));
    read = ct_study_read_neighbours (path, "settings A", &error);
    g_assert_no_error (error);
    g_assert_cmpuint (read->n_epochs, ==, N_EPOCHS);
    g_assert_cmpmem (read->epochs, sizeof epochs, epochs, sizeof epochs);
    g_assert_cmpuint (read->n_images, ==, N_IMAGES);
    for (guint i = 0; i < (N_EPOCHS - 1) * N_IMAGES; i++)
      if (isnan (neighbours->pearson[i]))
        g_assert_true (isnan (read->pearson[i]));
      else
        g_assert_cmpfloat (read->pearson[i], ==, neighbours->pearson[i]);
    g_assert_null (ct_study_read_neighbours (path, "settings B", &error));
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  }
  ct_test_remove_tree (dir);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/study/paper-numbers", test_paper_numbers);
  g_test_add_func ("/study/verdict-rule", test_verdict_rule);
  g_test_add_func ("/study/claims/supported", test_claims_supported);
  g_test_add_func ("/study/claims/against", test_claims_against);
  g_test_add_func ("/study/claims/neighbours", test_claim_neighbours);
  g_test_add_func ("/study/parts", test_parts);

  return g_test_run ();
}
