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

/* ---- a small table without epoch 0 ------------------------------------- */

/* Epochs 1 and 3 (no untrained checkpoint), 2 images, 1 round, under the
 * perturbations of @list.  Clean, the more accurate checkpoint gets both
 * images right, the other one; it is epoch 1 when @first_more_accurate.
 * Per sample s of epoch index e: Pearson's r 0.8 at epoch 1 and 0.5 at
 * epoch 3 (every perturbation); confidence drops 0.2 + 0.05 s under a
 * rotation, 0.5 + 0.1 s under noise, 0.1 + 0.2 e + 0.01 s under
 * occlusion. */
static const int small_epochs[] = { 1, 3 };

static CtRobustness *
make_small (const char *list,
            gboolean    first_more_accurate)
{
  g_autoptr(GArray) perturbations = ct_robustness_parse_perturbations (list, NULL);
  g_autoptr(CtRobustnessBuilder) builder = NULL;
  const CtPerturb *perturb = (const CtPerturb *) perturbations->data;

  builder = ct_robustness_builder_new (small_epochs, 2, 3, perturb, perturbations->len);
  for (guint e = 0; e < 2; e++)
    for (guint p = 0; p < perturbations->len; p++)
      {
        gboolean more_accurate = (e == 0) == first_more_accurate;
        const gboolean clean[2] = { TRUE, more_accurate };
        CtRobustnessSample samples[2];

        for (guint s = 0; s < 2; s++)
          {
            samples[s] = (CtRobustnessSample) { TRUE, 0, 0.05, e == 0 ? 0.8 : 0.5,
                                                e == 0 ? 0.8 : 0.5, 0.5 };
            if (perturb[p].noise_sigma > 0)
              samples[s].confidence_drop = 0.5 + 0.1 * s;
            else if (perturb[p].occlude_count > 0)
              samples[s].confidence_drop = 0.1 + 0.2 * e + 0.01 * s;
            else
              samples[s].confidence_drop = 0.2 + 0.05 * s;
          }
        ct_robustness_builder_add_samples (builder, e, p, clean, 2, samples, 2);
      }
  return ct_robustness_builder_finish (builder);
}

/* Claims on a run whose first checkpoint is already trained, more or less
 * accurate than the second, with the noise after the rotation:
 * (a) compares the more accurate checkpoint with the less accurate one
 * (r 0.8 − 0.5 = 0.3 per image, or −0.3); (b) noise − rotation per epoch,
 * differences 0.3 and 0.35 (mean 0.325); (c) has no occlude:20 and says
 * so. */
static void
test_claims_no_epoch_0 (void)
{
  for (guint order = 0; order < 2; order++)
    {
      g_autoptr(CtRobustness) table = make_small ("rotate:30,noise:0.1", order == 0);
      g_autoptr(CtStudyAssessment) consistency = NULL, noise = NULL, occlusion = NULL;
      const CtStudyComparison *c;

      consistency = ct_study_assess (CT_STUDY_CLAIM_CONSISTENCY, table, NULL);
      g_assert_null (consistency->note);
      g_assert_cmpuint (consistency->comparisons->len, ==, 1);
      c = comparison (consistency, 0);
      g_assert_nonnull (strstr (c->what, order == 0 ? "epoch 1 − epoch 3" : "epoch 3 − epoch 1"));
      g_assert_cmpuint (c->n, ==, 2);
      g_assert_cmpfloat_with_epsilon (c->mean, order == 0 ? 0.3 : -0.3, 1e-12);

      noise = ct_study_assess (CT_STUDY_CLAIM_NOISE_HARDEST, table, NULL);
      g_assert_cmpuint (noise->comparisons->len, ==, 2);
      for (guint e = 0; e < 2; e++)
        {
          c = comparison (noise, e);
          g_assert_nonnull (strstr (c->what, e == 0 ? "epoch 1:" : "epoch 3:"));
          g_assert_cmpfloat_with_epsilon (c->mean, 0.325, 1e-12);
        }

      g_assert_cmpint (ct_study_find_occlusion (table, CT_STUDY_TABLE3_OCCLUDE), ==, -1);
      occlusion = ct_study_assess (CT_STUDY_CLAIM_OCCLUSION_LAST, table, NULL);
      g_assert_nonnull (occlusion->note);
      g_assert_cmpuint (occlusion->comparisons->len, ==, 0);
      g_assert_cmpint (occlusion->verdict, ==, CT_STUDY_VERDICT_INCONCLUSIVE);
    }
}

/* The first pair of trained checkpoints is the first pair when the run has
 * no epoch 0: neighbours 1–3 and 3–20, r 0.3 + j(i) and 0.9 + j(i + 1):
 * the mean difference is 0.6 + (j(20) − j(0)) / 20 = 0.6 + 0.02 / 20
 * (the jitters telescope). */
static void
test_claim_neighbours_no_epoch_0 (void)
{
  static const int trained[] = { 1, 3, 20 };
  g_autoptr(CtRobustness) table = make_table (AS_THE_PAPER_SAYS);
  g_autoptr(CtStudyNeighbours) neighbours = g_new0 (CtStudyNeighbours, 1);
  g_autoptr(CtStudyAssessment) consistency = NULL;
  const CtStudyComparison *c;

  neighbours->n_epochs = 3;
  neighbours->epochs = g_memdup2 (trained, sizeof trained);
  neighbours->n_images = N_IMAGES;
  neighbours->pearson = g_new (double, 2 * N_IMAGES);
  for (guint i = 0; i < N_IMAGES; i++)
    {
      neighbours->pearson[i] = 0.3 + jitter (i);
      neighbours->pearson[N_IMAGES + i] = 0.9 + jitter (i + 1);
    }
  consistency = ct_study_assess (CT_STUDY_CLAIM_CONSISTENCY, table, neighbours);
  g_assert_cmpuint (consistency->comparisons->len, ==, 2);
  c = comparison (consistency, 1);
  g_assert_nonnull (strstr (c->what, "epochs 3 and 20 − of epochs 1 and 3"));
  g_assert_cmpuint (c->n, ==, N_IMAGES);
  g_assert_cmpfloat_with_epsilon (c->mean, 0.6 + 0.02 / N_IMAGES, 1e-12);
}

/* Occlusion found first in the list; the differences between checkpoints
 * are later − earlier on the same samples: (0.3 + 0.01 s) − (0.1 + 0.01 s)
 * = 0.2 for both. */
static void
test_epoch_differences (void)
{
  g_autoptr(CtRobustness) table = make_small ("occlude:20,noise:0.1", TRUE);
  g_autoptr(GArray) differences = NULL;
  const CtStudyComparison *c;

  g_assert_cmpint (ct_study_find_occlusion (table, CT_STUDY_TABLE3_OCCLUDE), ==, 0);
  g_assert_cmpint (ct_study_find_noise (table), ==, 1);
  differences = ct_study_dup_epoch_differences (table, 0);
  g_assert_cmpuint (differences->len, ==, 1);
  c = &g_array_index (differences, CtStudyComparison, 0);
  g_assert_cmpstr (c->what, ==, "epoch 3 − epoch 1");
  g_assert_cmpuint (c->n, ==, 2);
  g_assert_cmpfloat_with_epsilon (c->mean, 0.2, 1e-12);
  g_assert_cmpfloat_with_epsilon (c->ci95, 0, 1e-12);
}

static const CtStudyTable *
find_table (GPtrArray  *tables,
            const char *name)
{
  for (guint i = 0; i < tables->len; i++)
    {
      const CtStudyTable *table = g_ptr_array_index (tables, i);

      if (g_str_equal (table->name, name))
        return table;
    }
  g_error ("no table %s", name);
}

static const char *
cell (const CtStudyTable *table,
      guint               row,
      guint               column)
{
  g_assert_cmpuint (row, <, table->rows->len);
  return ((char **) g_ptr_array_index (table->rows, row))[column];
}

/* The report's tables in their documented order, from a result made by
 * hand: the mistakes of epoch 1 (3 → 5 twice, 5 → 3 once) make two
 * confusion pairs; the neighbours' first pair has r 0.1 on all 20 images;
 * a faithfulness section's CSV becomes its table.  Freeing the result
 * frees its figure once (the claims loop stops before it). */
static void
test_tables (void)
{
  static const char *const names[] = {
    "accuracy", "perturbations", "table3", "table3-paired", "neighbours", "misclassified",
    "confusion-pairs", "claims", "faithfulness-gradcam",
  };
  static const char *const classes[] = { "c0", "c1", "c2", "c3", "c4", "c5", NULL };
  g_autoptr(CtStudyResult) result = ct_study_result_new ();
  g_autoptr(GPtrArray) tables = NULL;
  CtStudyMistakes *mistakes = g_new0 (CtStudyMistakes, 1);
  CtStudyExtra *extra = g_new0 (CtStudyExtra, 1);
  const CtStudyTable *table;

  result->robustness = make_small ("occlude:20,noise:0.1", TRUE);
  result->neighbours = make_neighbours ();
  result->classes = g_strdupv ((char **) classes);
  result->random_figure = g_new0 (CtStudyFigure, 1);
  result->random_figure->title = g_strdup ("random");
  result->random_figure->path = g_strdup ("random.png");
  mistakes->epoch = 1;
  mistakes->n_images = 3;
  mistakes->images = g_memdup2 ((const guint[]) { 7, 9, 11 }, 3 * sizeof (guint));
  mistakes->labels = g_memdup2 ((const int[]) { 3, 3, 5 }, 3 * sizeof (int));
  mistakes->predicted = g_memdup2 ((const int[]) { 5, 5, 3 }, 3 * sizeof (int));
  g_ptr_array_add (result->mistakes, mistakes);
  extra->name = g_strdup ("faithfulness-gradcam");
  extra->method = g_strdup ("gradcam");
  extra->csv = g_strdup ("epoch,heatmap,images\n3,gradcam,2\n");
  g_ptr_array_add (result->faithfulness, extra);

  tables = ct_study_dup_tables (result);
  g_assert_cmpuint (tables->len, ==, G_N_ELEMENTS (names));
  for (guint i = 0; i < tables->len; i++)
    g_assert_cmpstr (((CtStudyTable *) g_ptr_array_index (tables, i))->name, ==, names[i]);

  table = find_table (tables, "accuracy");
  g_assert_cmpuint (table->rows->len, ==, 2);
  g_assert_cmpstr (cell (table, 1, 0), ==, "3");
  /* Epoch 3 is the less accurate: 1 of 2 images. */
  g_assert_cmpstr (cell (table, 1, 3), ==, "0.500000");

  table = find_table (tables, "neighbours");
  g_assert_cmpuint (table->rows->len, ==, N_EPOCHS - 1);
  g_assert_cmpstr (cell (table, 0, 0), ==, "0");
  g_assert_cmpstr (cell (table, 0, 1), ==, "1");
  g_assert_cmpstr (cell (table, 0, 2), ==, "0.100000");
  g_assert_cmpstr (cell (table, 0, 4), ==, "20");

  table = find_table (tables, "misclassified");
  g_assert_cmpuint (table->rows->len, ==, 3);
  g_assert_cmpstr (cell (table, 2, 1), ==, "11");
  g_assert_cmpstr (cell (table, 2, 2), ==, "c5");
  g_assert_cmpstr (cell (table, 2, 3), ==, "c3");
  table = find_table (tables, "confusion-pairs");
  g_assert_cmpuint (table->rows->len, ==, 2);
  g_assert_cmpstr (cell (table, 0, 1), ==, "c3");
  g_assert_cmpstr (cell (table, 0, 2), ==, "c5");
  g_assert_cmpstr (cell (table, 0, 3), ==, "2");
  g_assert_cmpstr (cell (table, 1, 3), ==, "1");

  table = find_table (tables, "table3-paired");
  g_assert_cmpuint (table->rows->len, ==, 1);
  g_assert_cmpstr (cell (table, 0, 1), ==, "0.200000");

  table = find_table (tables, "faithfulness-gradcam");
  g_assert_cmpstr (table->columns[2], ==, "images");
  g_assert_cmpuint (table->rows->len, ==, 1);
  g_assert_cmpstr (cell (table, 0, 1), ==, "gradcam");
}

/* RFC 4180: a field with a comma, a quote or a line break is quoted, its
 * quotes doubled; the others are written as they are. */
static void
test_table_csv (void)
{
  g_autofree char *dir = g_dir_make_tmp ("test-study-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "quoted.csv", NULL);
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;
  CtStudyTable *table = g_new0 (CtStudyTable, 1);

  table->name = g_strdup ("quoted");
  table->columns = g_strsplit ("a|b,c|d", "|", -1);
  table->rows = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);
  g_ptr_array_add (table->rows, g_strsplit ("say \"hi\"|plain|two\nlines", "|", -1));
  g_assert_true (ct_study_table_write_csv (table, dir, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (path, &text, NULL, &error));
  g_assert_cmpstr (text, ==, "a,\"b,c\",d\n\"say \"\"hi\"\"\",plain,\"two\nlines\"\n");
  ct_study_table_free (table);
  ct_test_remove_tree (dir);
}

/* The mistakes part reads back as written, each array in its place; a
 * part whose arrays disagree in length, or a samples part read for more
 * perturbations than it holds, is refused as invalid. */
static void
test_mistakes_part (void)
{
  g_autofree char *dir = g_dir_make_tmp ("test-study-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "mistakes.json", NULL);
  g_autofree char *bad = g_build_filename (dir, "bad.json", NULL);
  g_autofree char *samples = g_build_filename (dir, "samples.json", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(CtStudyMistakes) read = NULL;
  g_autoptr(CtRobustness) table = make_table (AS_THE_PAPER_SAYS);
  g_autoptr(CtRobustnessBuilder) builder = NULL;
  CtStudyMistakes mistakes = {
    1, 2, (guint[]) { 7, 9 }, (int[]) { 1, 2 }, (int[]) { 3, 4 }, (char *) "m.png",
  };

  g_assert_true (ct_study_write_mistakes (&mistakes, "settings A", path, &error));
  g_assert_no_error (error);
  read = ct_study_read_mistakes (path, "settings A", &error);
  g_assert_no_error (error);
  g_assert_nonnull (read);
  g_assert_cmpint (read->epoch, ==, 1);
  g_assert_cmpstr (read->figure, ==, "m.png");
  g_assert_cmpuint (read->n_images, ==, 2);
  g_assert_cmpmem (read->images, 2 * sizeof (guint), mistakes.images, 2 * sizeof (guint));
  g_assert_cmpmem (read->labels, 2 * sizeof (int), mistakes.labels, 2 * sizeof (int));
  g_assert_cmpmem (read->predicted, 2 * sizeof (int), mistakes.predicted, 2 * sizeof (int));

  g_assert_true (g_file_set_contents (bad, "{\"key\": \"settings A\", \"images\": [1, 2], "
                                      "\"labels\": [1], \"predicted\": [1, 2]}", -1, NULL));
  g_assert_null (ct_study_read_mistakes (bad, "settings A", &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_clear_error (&error);

  g_assert_true (ct_study_write_samples (table, 0, "settings A", samples, &error));
  g_assert_no_error (error);
  builder = ct_robustness_builder_new (epochs, N_EPOCHS, 20, table->perturbations, N_PERTURBATIONS);
  g_assert_false (ct_study_read_samples (samples, "settings A", builder, 0, N_PERTURBATIONS - 1,
                                         &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
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
  g_test_add_func ("/study/claims/no-epoch-0", test_claims_no_epoch_0);
  g_test_add_func ("/study/claims/neighbours-no-epoch-0", test_claim_neighbours_no_epoch_0);
  g_test_add_func ("/study/epoch-differences", test_epoch_differences);
  g_test_add_func ("/study/tables", test_tables);
  g_test_add_func ("/study/table-csv", test_table_csv);
  g_test_add_func ("/study/parts/mistakes", test_mistakes_part);

  return g_test_run ();
}
