/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "ct-run.h"

static char *
make_tmpdir (void)
{
  g_autoptr(GError) error = NULL;
  char *dir = g_dir_make_tmp ("camtrail-run-XXXXXX", &error);

  g_assert_no_error (error);
  return dir;
}

static void
remove_dir (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);
      g_unlink (child);
    }
  g_rmdir (path);
}

static CtManifest *
sample_manifest (void)
{
  CtManifest *m = ct_manifest_new ();
  const char *classes[] = { "cat", "dog", NULL };

  m->arch = g_strdup ("resnet18");
  m->width = 0;
  m->input_size = 32;
  m->dataset = g_strdup ("cifar-10");
  m->dataset_path = g_strdup ("/data/cifar");
  m->classes = g_strdupv ((char **) classes);
  m->n_classes = 2;
  m->channels = 3;
  m->image_size = 32;
  m->mean[0] = 0.49f; m->mean[1] = 0.48f; m->mean[2] = 0.45f;
  m->std[0] = 0.25f; m->std[1] = 0.24f; m->std[2] = 0.26f;
  m->train_images = 50000;
  m->hyper.epochs = 20;
  m->hyper.batch_size = 128;
  m->hyper.lr = 0.1;
  m->hyper.warmup_epochs = 1.5;
  m->hyper.momentum = 0.9;
  m->hyper.nesterov = TRUE;
  m->hyper.weight_decay = 5e-4;
  m->hyper.label_smoothing = 0.15;
  m->hyper.flip = FALSE;
  m->hyper.translate = 4;
  m->hyper.lr_start = 0.25;
  m->hyper.lr_end = 0.05;
  m->hyper.bias_lr_scale = 32.0;
  m->hyper.alternate_flip = TRUE;
  m->hyper.translate_reflect = TRUE;
  m->hyper.whiten = TRUE;
  m->hyper.stem_bias_epochs = 2;
  m->hyper.stem_plain_bias = TRUE;
  m->hyper.lookahead = TRUE;
  m->hyper.tta = 1;
  m->hyper.seed = G_GUINT64_CONSTANT (18446744073709551615);
  m->n_layers = 1;
  m->layers = g_new0 (CtRunLayer, 1);
  m->layers[0].name = g_strdup ("layer4");
  m->layers[0].channels = 512;
  m->layers[0].height = 4;
  m->layers[0].width = 4;
  m->default_layer = g_strdup ("layer4");
  m->camtrail_version = g_strdup ("0.1.0");
  m->torch_version = g_strdup ("1.13.1");
  m->created = g_strdup ("2026-11-26T08:00:00Z");
  return m;
}

static void
test_manifest_round_trip (void)
{
  g_autofree char *dir = make_tmpdir ();
  g_autoptr(CtManifest) written = sample_manifest ();
  g_autoptr(CtManifest) read = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (ct_manifest_save (written, dir, &error));
  g_assert_no_error (error);
  read = ct_manifest_load (dir, &error);
  g_assert_no_error (error);

  g_assert_cmpstr (read->arch, ==, "resnet18");
  g_assert_cmpstr (read->classes[1], ==, "dog");
  g_assert_null (read->classes[2]);
  g_assert_cmpint (read->n_classes, ==, 2);
  g_assert_cmpfloat_with_epsilon (read->mean[2], 0.45f, 1e-6);
  g_assert_cmpfloat_with_epsilon (read->std[1], 0.24f, 1e-6);
  /* Every member of the recipe, each with a value no other member has. */
  g_assert_cmpint (read->hyper.epochs, ==, 20);
  g_assert_cmpint (read->hyper.batch_size, ==, 128);
  g_assert_cmpfloat (read->hyper.lr, ==, 0.1);
  g_assert_cmpfloat (read->hyper.warmup_epochs, ==, 1.5);
  g_assert_cmpfloat (read->hyper.momentum, ==, 0.9);
  g_assert_true (read->hyper.nesterov);
  g_assert_cmpfloat (read->hyper.weight_decay, ==, 5e-4);
  g_assert_cmpfloat (read->hyper.label_smoothing, ==, 0.15);
  g_assert_false (read->hyper.flip);
  g_assert_cmpint (read->hyper.translate, ==, 4);
  g_assert_cmpuint (read->hyper.seed, ==, G_GUINT64_CONSTANT (18446744073709551615));
  g_assert_cmpuint (read->n_layers, ==, 1);
  g_assert_cmpstr (read->layers[0].name, ==, "layer4");
  g_assert_cmpint (read->layers[0].height, ==, 4);
  g_assert_cmpstr (read->default_layer, ==, "layer4");
  g_assert_cmpstr (read->created, ==, "2026-11-26T08:00:00Z");
  g_assert_cmpfloat (read->hyper.lr_start, ==, 0.25);
  g_assert_cmpfloat (read->hyper.lr_end, ==, 0.05);
  g_assert_cmpfloat (read->hyper.bias_lr_scale, ==, 32.0);
  g_assert_true (read->hyper.alternate_flip);
  g_assert_true (read->hyper.translate_reflect);
  g_assert_true (read->hyper.whiten);
  g_assert_cmpint (read->hyper.stem_bias_epochs, ==, 2);
  g_assert_true (read->hyper.stem_plain_bias);
  g_assert_true (read->hyper.lookahead);
  g_assert_cmpint (read->hyper.tta, ==, 1);

  /* A manifest from before airbench's recipe has none of those members:
   * its run is read, and resumes, with the old schedule and nothing else. */
  {
    g_autofree char *path = g_build_filename (dir, "manifest.json", NULL);
    g_autofree char *text = NULL;
    g_autoptr(GRegex) added = g_regex_new ("\\s*\"(lr_start|lr_end|bias_lr_scale|alternate_flip|"
                                           "translate_reflect|whiten|stem_bias_epochs|stem_plain_bias|"
                                           "lookahead|"
                                           "tta|initial_weights)\" : [^\n]*", 0, 0, NULL);
    g_autofree char *old = NULL;
    g_autoptr(CtManifest) before = NULL;

    g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
    old = g_regex_replace_literal (added, text, -1, 0, "", 0, NULL);
    g_assert_null (strstr (old, "lookahead"));
    g_assert_null (strstr (old, "tta"));
    g_assert_true (g_file_set_contents (path, old, -1, NULL));
    before = ct_manifest_load (dir, &error);
    g_assert_no_error (error);
    g_assert_cmpfloat (before->hyper.lr_start, ==, 0.0);
    g_assert_cmpfloat (before->hyper.lr_end, ==, 0.0);
    g_assert_cmpfloat (before->hyper.bias_lr_scale, ==, 1.0);
    g_assert_false (before->hyper.alternate_flip || before->hyper.translate_reflect ||
                    before->hyper.whiten || before->hyper.stem_plain_bias ||
                    before->hyper.lookahead);
    g_assert_cmpint (before->hyper.stem_bias_epochs, ==, 0);
    g_assert_cmpint (before->hyper.tta, ==, 0);
    g_assert_cmpfloat (before->hyper.lr, ==, 0.1);
  }
  remove_dir (dir);
}

/* The recipes of the three architectures, as ct-hyperparams.c documents
 * them: what the CLI and the train dialog start from. */
static void
test_hyper_params_defaults (void)
{
  CtHyperParams hyper;

  /* camtrail_net: airbench94's rate 11.5 and decay 0.0153 per 1024 summed
   * examples, divided by 1024 × (1 + 1/0.15) as airbench does, are 1.5 on
   * the mean loss and a decay per step of 0.0153 × 3/23, that is PyTorch's
   * weight_decay 0.0153 × 3/23 / 1.5 ≈ 0.00133043 at the peak rate. */
  ct_hyper_params_init (&hyper, NULL);
  g_assert_cmpint (hyper.epochs, ==, 9);
  g_assert_cmpint (hyper.batch_size, ==, 1024);
  g_assert_cmpfloat_with_epsilon (hyper.lr, 1.5, 1e-12);
  g_assert_cmpfloat_with_epsilon (hyper.weight_decay, 0.00133043478, 1e-11);
  g_assert_cmpfloat_with_epsilon (hyper.warmup_epochs, 0.23 * 9, 1e-12);
  g_assert_cmpfloat (hyper.lr_start, ==, 0.2);
  g_assert_cmpfloat (hyper.lr_end, ==, 0.07);
  g_assert_cmpfloat (hyper.momentum, ==, 0.85);
  g_assert_true (hyper.nesterov);
  g_assert_cmpfloat (hyper.bias_lr_scale, ==, 64.0);
  g_assert_cmpfloat (hyper.label_smoothing, ==, 0.2);
  g_assert_true (hyper.flip);
  g_assert_true (hyper.alternate_flip);
  g_assert_cmpint (hyper.translate, ==, 2);
  g_assert_true (hyper.translate_reflect);
  g_assert_true (hyper.whiten);
  g_assert_cmpint (hyper.stem_bias_epochs, ==, 3);
  g_assert_true (hyper.stem_plain_bias);
  g_assert_true (hyper.lookahead);
  g_assert_cmpint (hyper.tta, ==, 2);
  g_assert_cmpuint (hyper.seed, ==, 0);

  /* The rate is per image: a batch of 64 takes 64/1024 of it. */
  ct_hyper_params_set_batch_size (&hyper, 64);
  g_assert_cmpint (hyper.batch_size, ==, 64);
  g_assert_cmpfloat_with_epsilon (hyper.lr, 0.09375, 1e-12);
  g_assert_cmpfloat_with_epsilon (hyper.weight_decay, 0.00133043478, 1e-11);

  /* Fewer epochs keep the warm-up's share of the run. */
  ct_hyper_params_set_epochs (&hyper, 3);
  g_assert_cmpint (hyper.epochs, ==, 3);
  g_assert_cmpfloat_with_epsilon (hyper.warmup_epochs, 0.69, 1e-12);

  ct_hyper_params_init (&hyper, "resnet18");
  g_assert_cmpint (hyper.batch_size, ==, 128);
  g_assert_cmpfloat (hyper.lr, ==, 0.1);
  g_assert_cmpfloat (hyper.weight_decay, ==, 5e-4);
  g_assert_cmpfloat (hyper.label_smoothing, ==, 0.0);
  g_assert_cmpint (hyper.translate, ==, 4);
  g_assert_cmpfloat (hyper.momentum, ==, 0.9);
  g_assert_cmpfloat (hyper.warmup_epochs, ==, 1.0);
  g_assert_cmpfloat (hyper.bias_lr_scale, ==, 1.0);
  g_assert_false (hyper.whiten || hyper.lookahead || hyper.alternate_flip ||
                  hyper.translate_reflect);
  g_assert_cmpint (hyper.tta, ==, 0);
  /* Its rate is the batch's, whatever the batch. */
  ct_hyper_params_set_batch_size (&hyper, 256);
  g_assert_cmpfloat (hyper.lr, ==, 0.1);

  ct_hyper_params_init (&hyper, "efficientnet_b0");
  g_assert_cmpint (hyper.batch_size, ==, 128);
  g_assert_cmpfloat (hyper.lr, ==, 0.02);
  g_assert_cmpfloat (hyper.weight_decay, ==, 1e-4);
  g_assert_cmpfloat (hyper.label_smoothing, ==, 0.1);
  g_assert_cmpint (hyper.translate, ==, 4);

  /* Every ResNet, CIFAR or ImageNet stem, takes resnet18's recipe. */
  ct_hyper_params_init (&hyper, "resnet50");
  g_assert_cmpint (hyper.batch_size, ==, 128);
  g_assert_cmpfloat (hyper.lr, ==, 0.1);

  /* An architecture without a recipe of its own gets camtrail_net's. */
  ct_hyper_params_init (&hyper, "vit_tiny");
  g_assert_cmpint (hyper.batch_size, ==, 1024);
  g_assert_cmpfloat_with_epsilon (hyper.lr, 1.5, 1e-12);
}

/* Weights from elsewhere: "imported" and "training"."init" round-trip,
 * and a manifest without them has none. */
static void
test_manifest_sources (void)
{
  g_autofree char *dir = make_tmpdir ();
  g_autoptr(CtManifest) written = sample_manifest ();
  g_autoptr(GError) error = NULL;

  {
    g_autoptr(CtManifest) read = NULL;

    g_assert_true (ct_manifest_save (written, dir, &error));
    read = ct_manifest_load (dir, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (read->n_imported, ==, 0);
    g_assert_null (read->init);
  }

  written->n_imported = 2;
  written->imported = g_new0 (CtRunSource, 2);
  written->imported[0] = (CtRunSource) { 0, g_strdup ("a.pt"), g_strdup ("00ff") };
  written->imported[1] = (CtRunSource) { 20, g_strdup ("b.safetensors"), g_strdup ("abcd") };
  written->init = g_new0 (CtRunSource, 1);
  written->init->file = g_strdup ("imagenet.pth");
  written->init->sha256 = g_strdup ("1234");
  g_assert_true (ct_manifest_save (written, dir, &error));
  {
    g_autoptr(CtManifest) read = ct_manifest_load (dir, &error);

    g_assert_no_error (error);
    g_assert_cmpuint (read->n_imported, ==, 2);
    g_assert_cmpint (read->imported[1].epoch, ==, 20);
    g_assert_cmpstr (read->imported[1].file, ==, "b.safetensors");
    g_assert_cmpstr (read->imported[0].sha256, ==, "00ff");
    g_assert_nonnull (read->init);
    g_assert_cmpstr (read->init->file, ==, "imagenet.pth");
    g_assert_cmpstr (read->init->sha256, ==, "1234");
  }
  remove_dir (dir);
}

/* "precision" round-trips; a manifest written before it existed reads as
 * fp32; any other value is refused with the member named. */
static void
test_manifest_precision (void)
{
  g_autofree char *dir = make_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "manifest.json", NULL);
  g_autoptr(CtManifest) written = sample_manifest ();
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  char *member;

  for (int mixed = 0; mixed <= 1; mixed++)
    {
      g_autoptr(CtManifest) read = NULL;

      written->mixed_precision = mixed;
      g_assert_true (ct_manifest_save (written, dir, &error));
      g_assert_no_error (error);
      read = ct_manifest_load (dir, &error);
      g_assert_no_error (error);
      g_assert_cmpint (read->mixed_precision, ==, mixed);
    }
  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  member = strstr (text, "\"precision\":\"bf16-mixed\"");
  if (member == NULL)
    member = strstr (text, "\"precision\" : \"bf16-mixed\"");
  g_assert_nonnull (member);

  /* An older manifest: the member renamed away is as if absent. */
  memcpy (member + 1, "xrecision", 9);
  g_assert_true (g_file_set_contents (path, text, -1, NULL));
  {
    g_autoptr(CtManifest) read = ct_manifest_load (dir, &error);
    g_assert_no_error (error);
    g_assert_false (read->mixed_precision);
  }

  /* An unknown value. */
  memcpy (member + 1, "precision", 9);
  member = strstr (member, "bf16-mixed");
  memcpy (member, "fp16-mixed", 10);
  g_assert_true (g_file_set_contents (path, text, -1, NULL));
  g_assert_null (ct_manifest_load (dir, &error));
  g_assert_error (error, CT_RUN_ERROR, CT_RUN_ERROR_FORMAT);
  g_assert_nonnull (strstr (error->message, "\"precision\" is \"fp16-mixed\""));
  remove_dir (dir);
}

/* A run trained by several processes says so in "distributed"; one
 * trained by one process has no such member and reads as world size 1. */
static void
test_manifest_distributed (void)
{
  g_autofree char *dir = make_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "manifest.json", NULL);
  g_autoptr(CtManifest) written = sample_manifest ();
  g_autoptr(CtManifest) single = NULL;
  g_autoptr(CtManifest) read = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *distributed;
  g_autofree char *text = NULL;

  g_assert_true (ct_manifest_save (written, dir, &error));
  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  g_assert_null (strstr (text, "distributed"));
  single = ct_manifest_load (dir, &error);
  g_assert_no_error (error);
  g_assert_cmpint (single->world_size, ==, 1);
  g_assert_null (single->dist_backend);

  written->world_size = 4;
  written->dist_backend = g_strdup ("gloo");
  g_assert_true (ct_manifest_save (written, dir, &error));
  read = ct_manifest_load (dir, &error);
  g_assert_no_error (error);
  g_assert_cmpint (read->world_size, ==, 4);
  g_assert_cmpstr (read->dist_backend, ==, "gloo");
  /* 128 images per step over 4 processes. */
  g_assert_true (json_parser_load_from_file (parser, path, &error));
  distributed = json_object_get_object_member (json_node_get_object (json_parser_get_root (parser)),
                                               "distributed");
  g_assert_nonnull (distributed);
  g_assert_cmpint (json_object_get_int_member (distributed, "batch_per_rank"), ==, 32);
  remove_dir (dir);
}

static void
test_manifest_errors (void)
{
  g_autofree char *dir = make_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "manifest.json", NULL);
  g_autoptr(GError) error = NULL;

  g_assert_null (ct_manifest_load (dir, &error));
  g_assert_error (error, CT_RUN_ERROR, CT_RUN_ERROR_NOT_A_RUN);
  g_clear_error (&error);

  g_file_set_contents (path, "{ \"model\": ", -1, NULL);
  g_assert_null (ct_manifest_load (dir, &error));
  g_assert_error (error, CT_RUN_ERROR, CT_RUN_ERROR_FORMAT);
  g_assert_nonnull (strstr (error->message, path));
  g_clear_error (&error);

  g_file_set_contents (path, "{ \"model\": { \"arch\": 3 } }", -1, NULL);
  g_assert_null (ct_manifest_load (dir, &error));
  g_assert_error (error, CT_RUN_ERROR, CT_RUN_ERROR_FORMAT);
  g_assert_nonnull (strstr (error->message, "\""));
  remove_dir (dir);
}

static void
test_metrics_round_trip (void)
{
  g_autofree char *dir = make_tmpdir ();
  g_autoptr(GArray) metrics = g_array_new (FALSE, TRUE, sizeof (CtEpochMetrics));
  g_autoptr(GArray) read = NULL;
  g_autoptr(GArray) empty = NULL;
  g_autoptr(GError) error = NULL;
  CtEpochMetrics m0 = { 0, NAN, NAN, 2.30, 0.10, 0.0, NAN, NAN, NAN };
  CtEpochMetrics m1 = { 1, 1.5, 0.45, 1.2, 0.55, 201.5, 248.1, 1.1, 0.57 };
  g_autofree char *path = g_build_filename (dir, "metrics.jsonl", NULL);
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;
  const CtEpochMetrics *r;

  empty = ct_metrics_load (dir, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (empty->len, ==, 0);

  g_array_append_val (metrics, m0);
  g_array_append_val (metrics, m1);
  g_assert_true (ct_metrics_save (dir, metrics, &error));
  read = ct_metrics_load (dir, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (read->len, ==, 2);
  r = &g_array_index (read, CtEpochMetrics, 0);
  g_assert_true (isnan (r->train_loss));
  g_assert_cmpfloat (r->test_accuracy, ==, 0.10);
  r = &g_array_index (read, CtEpochMetrics, 1);
  g_assert_cmpint (r->epoch, ==, 1);
  g_assert_cmpfloat (r->seconds, ==, 201.5);
  g_assert_cmpfloat (r->test_loss_tta, ==, 1.1);
  g_assert_cmpfloat (r->test_accuracy_tta, ==, 0.57);
  /* Test-time augmentation only where measured: epoch 0's line has none. */
  r = &g_array_index (read, CtEpochMetrics, 0);
  g_assert_true (isnan (r->test_accuracy_tta) && isnan (r->test_loss_tta));
  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  lines = g_strsplit (text, "\n", -1);
  g_assert_null (strstr (lines[0], "tta"));
  g_assert_nonnull (strstr (lines[1], "\"test_accuracy_tta\":0.56999999999999995"));
  remove_dir (dir);
}

static void
test_list_checkpoints (void)
{
  g_autofree char *dir = make_tmpdir ();
  const char *names[] = { "epoch-010.safetensors", "epoch-002.safetensors", "epoch-000.safetensors",
                          "epoch-003.safetensors.XYZ12", "epoch-abc.safetensors", "notes.txt" };
  g_autoptr(GArray) epochs = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = ct_run_dup_checkpoint_path ("/runs/a", 7);

  g_assert_cmpstr (path, ==, "/runs/a/epoch-007.safetensors");
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *file = g_build_filename (dir, names[i], NULL);
      g_file_set_contents (file, "x", 1, NULL);
    }
  epochs = ct_run_list_checkpoints (dir, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (epochs->len, ==, 3);
  g_assert_cmpint (g_array_index (epochs, int, 0), ==, 0);
  g_assert_cmpint (g_array_index (epochs, int, 1), ==, 2);
  g_assert_cmpint (g_array_index (epochs, int, 2), ==, 10);
  remove_dir (dir);
}

/* One home for runs: $XDG_DATA_HOME/camtrail/runs; a bare name finds a
 * run there, anything that exists or looks like a path is kept. */
static void
test_run_home (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *data_home = g_dir_make_tmp ("camtrail-run-home-XXXXXX", &error);
  g_autofree char *expected_home = NULL;
  g_autofree char *home = NULL;
  g_autofree char *camtrail_dir = NULL;
  g_autofree char *demo = NULL;
  g_autofree char *local = NULL;
  g_autofree char *cwd = g_get_current_dir ();
  g_autofree char *found = NULL, *missing = NULL, *relative = NULL, *here = NULL;

  g_assert_no_error (error);
  g_setenv ("XDG_DATA_HOME", data_home, TRUE);
  g_assert_cmpstr (g_get_user_data_dir (), ==, data_home);
  expected_home = g_build_filename (data_home, "camtrail", "runs", NULL);
  home = ct_run_dup_home ();
  g_assert_cmpstr (home, ==, expected_home);
  camtrail_dir = g_path_get_dirname (home);

  demo = g_build_filename (home, CT_RUN_DEMO_NAME, NULL);
  g_assert_cmpint (g_mkdir_with_parents (demo, 0755), ==, 0);
  found = ct_run_resolve (CT_RUN_DEMO_NAME);
  g_assert_cmpstr (found, ==, demo);
  missing = ct_run_resolve ("no-such-run");
  g_assert_cmpstr (missing, ==, "no-such-run");
  relative = ct_run_resolve ("./" CT_RUN_DEMO_NAME);
  g_assert_cmpstr (relative, ==, "./" CT_RUN_DEMO_NAME);

  /* A folder of that name where the user is wins over the home's. */
  g_assert_cmpint (g_chdir (data_home), ==, 0);
  local = g_build_filename (data_home, CT_RUN_DEMO_NAME, NULL);
  g_assert_cmpint (g_mkdir (local, 0755), ==, 0);
  here = ct_run_resolve (CT_RUN_DEMO_NAME);
  g_assert_cmpstr (here, ==, CT_RUN_DEMO_NAME);
  g_assert_cmpint (g_chdir (cwd), ==, 0);

  g_rmdir (local);
  g_rmdir (demo);
  g_rmdir (home);
  g_rmdir (camtrail_dir);
  g_rmdir (data_home);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/run/manifest/round-trip", test_manifest_round_trip);
  g_test_add_func ("/run/manifest/precision", test_manifest_precision);
  g_test_add_func ("/run/hyper-params/defaults", test_hyper_params_defaults);
  g_test_add_func ("/run/manifest/sources", test_manifest_sources);
  g_test_add_func ("/run/manifest/distributed", test_manifest_distributed);
  g_test_add_func ("/run/manifest/errors", test_manifest_errors);
  g_test_add_func ("/run/metrics/round-trip", test_metrics_round_trip);
  g_test_add_func ("/run/checkpoints/list", test_list_checkpoints);
  g_test_add_func ("/run/home", test_run_home);
  return g_test_run ();
}
