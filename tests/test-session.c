/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <gio/gio.h>

#include "ct-session.h"

/* The session on a run made by hand (checkpoints of epochs 0, 2 and 5, a
 * test split of 100 images in 3 classes), bound to the app's settings in
 * the memory backend: what it computes is worked out beside each case. */

static CtRunInfo *
make_run (const char *run_dir)
{
  static const int epochs[] = { 0, 2, 5 };
  static const char *const classes[] = { "cat", "dog", "frog", NULL };
  CtRunInfo *run = g_new0 (CtRunInfo, 1);

  run->run_dir = g_strdup (run_dir);
  run->manifest = ct_manifest_new ();
  run->manifest->classes = g_strdupv ((char **) classes);
  run->manifest->n_classes = 3;
  run->epochs = g_array_new (FALSE, FALSE, sizeof (int));
  g_array_append_vals (run->epochs, epochs, G_N_ELEMENTS (epochs));
  run->metrics = g_array_new (FALSE, FALSE, sizeof (CtEpochMetrics));
  run->n_test = 100;
  run->test_labels = g_new0 (guint16, run->n_test);
  return run;
}

static void
count_cb (CtSession *session,
          guint     *count)
{
  (*count)++;
}

static void
assert_ints (GArray    *values,
             const int *expected,
             guint      n_expected)
{
  g_assert_nonnull (values);
  g_assert_cmpmem (values->data, values->len * sizeof (int), expected, n_expected * sizeof (int));
}

static void
test_session_rows_and_columns (void)
{
  static const int default_rows[] = { 0, 2, 5 };
  static const int typed_rows[] = { 5, 0 };
  static const int included[] = { 0, 2, 5 };
  static const guint columns[] = { 7, 99 };
  g_autoptr(CtSession) session = ct_session_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *images_text = NULL;
  guint changes = 0;

  g_signal_connect (session, "changed", G_CALLBACK (count_cb), &changes);
  g_assert_true (ct_session_set_run (session, make_run ("/runs/a"), 4));
  g_assert_cmpuint (changes, ==, 1);

  /* "0, 1, 2, 3, last" on checkpoints 0, 2, 5: the missing 1 and 3 are left out. */
  g_assert_cmpstr (ct_session_get_epochs_text (session), ==, "0, 1, 2, 3, last");
  assert_ints (ct_session_get_epochs (session), default_rows, 3);
  /* Four distinct random columns below 100. */
  g_assert_cmpuint (ct_session_get_images (session)->len, ==, 4);

  /* Typed rows are strict: epoch 1 has no checkpoint, and nothing changes. */
  g_assert_false (ct_session_set_epochs_text (session, "0, 1", &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_cmpuint (changes, ==, 1);
  assert_ints (ct_session_get_epochs (session), default_rows, 3);

  /* The default list typed back is the default list, not a strict one. */
  g_assert_true (ct_session_check_epochs_text (session, "0, 1, 2, 3, last", NULL));
  g_assert_false (ct_session_check_epochs_text (session, "0, 1, 2, 3", NULL));
  g_assert_true (ct_session_set_epochs_text (session, "0, 1, 2, 3, last", &error));
  g_assert_no_error (error);
  assert_ints (ct_session_get_epochs (session), default_rows, 3);

  g_assert_true (ct_session_set_epochs_text (session, "last 0", &error));
  g_assert_no_error (error);
  assert_ints (ct_session_get_epochs (session), typed_rows, 2);
  /* The default list set again and these rows: two changes more. */
  g_assert_cmpuint (changes, ==, 3);

  /* An epoch joins the rows in ascending order (as a robustness point adds it). */
  g_assert_true (ct_session_set_epochs_text (session, "0, 5", NULL));
  g_assert_true (ct_session_include_epoch (session, 2, NULL));
  assert_ints (ct_session_get_epochs (session), included, 3);
  g_assert_cmpstr (ct_session_get_epochs_text (session), ==, "0, 2, 5");

  g_assert_false (ct_session_set_images_text (session, "7, 100", &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_true (ct_session_set_images_text (session, "7 99", NULL));
  g_assert_cmpmem (ct_session_get_images (session)->data, 2 * sizeof (guint), columns, sizeof columns);
  g_assert_false (ct_session_add_image (session, 99));
  g_assert_true (ct_session_add_image (session, 3));
  images_text = ct_session_dup_images_text (session);
  g_assert_cmpstr (images_text, ==, "7, 99, 3");

  /* The same run reloaded (an epoch saved) keeps rows and columns. */
  changes = 0;
  g_assert_false (ct_session_set_run (session, make_run ("/runs/a"), 4));
  g_assert_cmpstr (ct_session_get_epochs_text (session), ==, "0, 2, 5");
  g_assert_cmpuint (ct_session_get_images (session)->len, ==, 3);
  /* Another run starts over. */
  g_assert_true (ct_session_set_run (session, make_run ("/runs/b"), 2));
  g_assert_cmpstr (ct_session_get_epochs_text (session), ==, "0, 1, 2, 3, last");
  g_assert_cmpuint (ct_session_get_images (session)->len, ==, 2);
}

static void
test_session_request (void)
{
  g_autoptr(CtSession) session = ct_session_new (NULL);
  CtRobustnessRequest study;
  CtCamRequest request;
  CtPerturb perturb;
  guint changes = 0;

  g_assert_false (ct_session_build_request (session, &request));
  ct_session_set_run (session, make_run ("/runs/a"), 3);
  g_signal_connect (session, "changed", G_CALLBACK (count_cb), &changes);

  g_object_set (session, "rounds", 4, "seed", 11, "target-rule", "label",
                "normalisation", "shared", "layer", "stages.2", NULL);
  g_assert_true (ct_session_build_request (session, &request));
  g_assert_cmpuint (request.n_epochs, ==, 3);
  g_assert_cmpuint (request.n_images, ==, 3);
  /* No perturbation: one round, whatever the rounds say. */
  g_assert_true (ct_perturb_is_identity (&request.perturb));
  g_assert_cmpuint (request.rounds, ==, 1);
  g_assert_cmpint (request.perturb.seed, ==, 11);
  g_assert_cmpint (request.target_rule, ==, CT_TARGET_RULE_LABEL);
  g_assert_cmpint (request.scale, ==, CT_CAM_SCALE_SHARED);
  g_assert_cmpstr (request.layer, ==, "stages.2");

  /* A perturbation set at once is one change; a random rotation of −30 is ±30. */
  changes = 0;
  ct_perturb_init (&perturb);
  perturb.noise_sigma = 0.1;
  perturb.rotate_degrees = -30;
  perturb.rotate_random = TRUE;
  perturb.occlude_count = 20;
  perturb.occlude_patch = 2;
  g_assert_true (ct_session_set_perturb (session, &perturb));
  g_assert_cmpuint (changes, ==, 1);
  g_assert_true (ct_session_build_request (session, &request));
  g_assert_cmpuint (request.rounds, ==, 4);
  g_assert_cmpfloat (request.perturb.noise_sigma, ==, 0.1);
  g_assert_cmpfloat (request.perturb.rotate_degrees, ==, 30);
  g_assert_cmpuint (request.perturb.occlude_count, ==, 20);
  g_assert_cmpuint (request.perturb.occlude_patch, ==, 2);

  /* The clean view computes no perturbation, keeping the values. */
  g_object_set (session, "view-mode", "clean", NULL);
  g_assert_true (ct_session_build_request (session, &request));
  g_assert_true (ct_perturb_is_identity (&request.perturb));
  g_object_set (session, "view-mode", "perturbed", NULL);

  /* What the controls cannot show is refused, changing nothing. */
  changes = 0;
  perturb.occlude_fill = CT_FILL_MEAN;
  g_assert_false (ct_session_set_perturb (session, &perturb));
  g_assert_cmpuint (changes, ==, 0);

  /* The study: every checkpoint, the last as baseline, the grid's choices. */
  g_assert_true (ct_session_build_robustness_request (session, &study));
  g_assert_cmpuint (study.n_epochs, ==, 3);
  g_assert_cmpint (study.baseline_epoch, ==, 5);
  g_assert_cmpuint (study.rounds, ==, 4);
  g_assert_cmpuint (study.seed, ==, 11);
  g_assert_cmpint (study.target_rule, ==, CT_TARGET_RULE_LABEL);
}

static void
test_session_settings (void)
{
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  g_autoptr(CtSession) session = NULL;
  CtPerturb perturb;
  guint changes = 0;
  double noise;

  /* Settings → session, as the window opens. */
  g_settings_set_double (settings, "noise-sigma", 0.2);
  g_settings_set_int (settings, "occlude-patch", 3);
  session = ct_session_new (settings);
  g_object_get (session, "noise-sigma", &noise, NULL);
  g_assert_cmpfloat (noise, ==, 0.2);

  /* Session → settings. */
  ct_perturb_init (&perturb);
  perturb.occlude_count = 9;
  perturb.occlude_patch = 4;
  g_assert_true (ct_session_set_perturb (session, &perturb));
  g_assert_cmpint (g_settings_get_int (settings, "occlude-pixels"), ==, 9);
  g_assert_cmpint (g_settings_get_int (settings, "occlude-patch"), ==, 4);
  g_assert_cmpfloat (g_settings_get_double (settings, "noise-sigma"), ==, 0);

  /* The reset is every perturbation key, the patch size included, as one change. */
  g_signal_connect (session, "changed", G_CALLBACK (count_cb), &changes);
  g_settings_set_double (settings, "rotation", 45);
  changes = 0;
  ct_session_reset_perturbation (session);
  g_assert_cmpuint (changes, ==, 1);
  g_assert_cmpint (g_settings_get_int (settings, "occlude-pixels"), ==, 0);
  g_assert_cmpint (g_settings_get_int (settings, "occlude-patch"), ==, 1);
  g_assert_cmpfloat (g_settings_get_double (settings, "rotation"), ==, 0);
}

/* The method and Compare Methods: the request carries the method, and
 * while comparing the compared image with each chosen method (unknown and
 * repeated names left out, none: the grid's own); choosing methods only
 * recomputes a comparison; another run ends it. */
static void
test_session_methods (void)
{
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  g_autoptr(CtSession) session = ct_session_new (settings);
  const char *const chosen[] = { "layercam", "nope", "gradcam", "layercam", NULL };
  const char *const unknown[] = { "nope", NULL };
  CtCamRequest request;
  guint changes = 0;
  guint image = 2;

  ct_session_set_run (session, make_run ("/runs/a"), 3);
  g_signal_connect (session, "changed", G_CALLBACK (count_cb), &changes);

  g_settings_set_string (settings, "method", "gradcam++");
  g_assert_cmpuint (changes, ==, 1);
  g_assert_true (ct_session_build_request (session, &request));
  g_assert_cmpint (request.method, ==, CT_CAM_METHOD_GRADCAM_PLUSPLUS);
  g_assert_cmpuint (request.n_methods, ==, 0);
  g_assert_cmpuint (request.n_images, ==, 3);
  {
    CtRobustnessRequest study;

    g_assert_true (ct_session_build_robustness_request (session, &study));
    g_assert_cmpint (study.method, ==, CT_CAM_METHOD_GRADCAM_PLUSPLUS);
  }

  /* Not comparing: the methods are only remembered. */
  changes = 0;
  g_settings_set_strv (settings, "compare-methods", chosen);
  g_assert_cmpuint (changes, ==, 0);

  ct_session_compare_methods (session, &image, 1);
  g_assert_cmpuint (changes, ==, 1);
  g_assert_true (ct_session_build_request (session, &request));
  g_assert_cmpuint (request.n_images, ==, 1);
  g_assert_cmpuint (request.images[0], ==, 2);
  g_assert_cmpuint (request.n_methods, ==, 2);
  g_assert_cmpint (request.methods[0], ==, CT_CAM_METHOD_LAYERCAM);
  g_assert_cmpint (request.methods[1], ==, CT_CAM_METHOD_GRADCAM);

  changes = 0;
  g_settings_set_strv (settings, "compare-methods", unknown);
  g_assert_cmpuint (changes, ==, 1);
  g_assert_true (ct_session_build_request (session, &request));
  g_assert_cmpuint (request.n_methods, ==, 1);
  g_assert_cmpint (request.methods[0], ==, CT_CAM_METHOD_GRADCAM_PLUSPLUS);

  ct_session_stop_comparing (session);
  g_assert_true (ct_session_build_request (session, &request));
  g_assert_cmpuint (request.n_methods, ==, 0);
  g_assert_cmpuint (request.n_images, ==, 3);

  /* Other columns are the grid again. */
  ct_session_compare_methods (session, &image, 1);
  g_assert_true (ct_session_set_images_text (session, "0, 1", NULL));
  g_assert_null (ct_session_get_compare_images (session));

  ct_session_compare_methods (session, &image, 1);
  ct_session_set_run (session, make_run ("/runs/b"), 2);
  g_assert_null (ct_session_get_compare_images (session));
  g_settings_reset (settings, "method");
  g_settings_reset (settings, "compare-methods");
}

int
main (int   argc,
      char *argv[])
{
  g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/session/rows-and-columns", test_session_rows_and_columns);
  g_test_add_func ("/session/request", test_session_request);
  g_test_add_func ("/session/settings", test_session_settings);
  g_test_add_func ("/session/methods", test_session_methods);
  return g_test_run ();
}
