/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <gio/gio.h>
#include <string.h>

#include "ct-spec.h"

/* The rules the command line and the window share, on cases worked out by
 * hand. */

static const int five[] = { 0, 1, 2, 3, 4 };
static const int gapped[] = { 0, 2, 5 };

static void
assert_epochs (GArray    *epochs,
               const int *expected,
               guint      n_expected)
{
  g_assert_nonnull (epochs);
  g_assert_cmpmem (epochs->data, epochs->len * sizeof (int), expected, n_expected * sizeof (int));
}

static void
test_epochs_items (void)
{
  static const int typed[] = { 0, 1, 2, 3, 4 };
  static const int order_kept[] = { 3, 0, 4 };
  static const int all_in_place[] = { 4, 0, 1, 2, 3 };
  static const int once_each[] = { 1, 4 };
  g_autoptr(GArray) a = ct_epochs_parse ("0, 1, 2, 3, last", five, 5, CT_EPOCHS_STRICT, NULL);
  g_autoptr(GArray) b = ct_epochs_parse ("3,0 last", five, 5, CT_EPOCHS_STRICT, NULL);
  g_autoptr(GArray) c = ct_epochs_parse ("last, all", five, 5, CT_EPOCHS_STRICT, NULL);
  g_autoptr(GArray) d = ct_epochs_parse (" 1,,1, last ,4 ", five, 5, CT_EPOCHS_STRICT, NULL);
  g_autoptr(GArray) e = ct_epochs_parse ("all", gapped, 3, CT_EPOCHS_STRICT, NULL);

  assert_epochs (a, typed, 5);
  assert_epochs (b, order_kept, 3);
  assert_epochs (c, all_in_place, 5);
  assert_epochs (d, once_each, 2);
  assert_epochs (e, gapped, 3);
}

static void
test_epochs_missing (void)
{
  static const int kept[] = { 0, 2, 5 };
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) strict = ct_epochs_parse ("0, 1, 2", gapped, 3, CT_EPOCHS_STRICT, &error);
  g_autoptr(GArray) skipped = NULL;
  g_autoptr(GArray) none = NULL;

  /* The window's default rows on a run with checkpoints 0, 2 and 5. */
  g_assert_null (strict);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "epoch 1"));
  g_clear_error (&error);

  skipped = ct_epochs_parse ("0, 1, 2, 3, last", gapped, 3, CT_EPOCHS_SKIP_MISSING, &error);
  g_assert_no_error (error);
  assert_epochs (skipped, kept, 3);

  none = ct_epochs_parse ("1, 3", gapped, 3, CT_EPOCHS_SKIP_MISSING, &error);
  g_assert_null (none);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
}

static void
test_epochs_refused (void)
{
  static const char *const wrong[] = { "", " , ", "1.5", "-1", "first", "2x", "99999999999" };

  for (guint i = 0; i < G_N_ELEMENTS (wrong); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GArray) epochs = ct_epochs_parse (wrong[i], five, 5, CT_EPOCHS_SKIP_MISSING, &error);

      g_test_message ("“%s”: %s", wrong[i], error != NULL ? error->message : "accepted");
      g_assert_null (epochs);
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
    }
}

/* "0, 1, 2, 3, last" on a run whose last epoch is 3 names 3 twice. */
static void
test_epochs_sort_unique (void)
{
  const int typed[] = { 20, 0, 3, 1, 3, 20, 2 };
  const int expected[] = { 0, 1, 2, 3, 20 };
  g_autoptr(GArray) epochs = g_array_new (FALSE, FALSE, sizeof (int));

  g_array_append_vals (epochs, typed, G_N_ELEMENTS (typed));
  ct_epochs_sort_unique (epochs);
  g_assert_cmpmem (epochs->data, epochs->len * sizeof (int), expected, sizeof expected);
}

static void
test_epochs_round_trip (void)
{
  static const int rows[] = { 4, 0, 2 };
  g_autofree char *text = ct_epochs_to_string (rows, 3);
  g_autoptr(GArray) back = NULL;

  g_assert_cmpstr (text, ==, "4, 0, 2");
  back = ct_epochs_parse (text, five, 5, CT_EPOCHS_STRICT, NULL);
  assert_epochs (back, rows, 3);
}

static void
test_images (void)
{
  static const guint expected[] = { 12, 0, 12, 999 };
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) images = ct_images_parse ("12, 0 12,999", 1000, &error);
  g_autoptr(GArray) unbounded = ct_images_parse ("100000", 0, &error);
  g_autofree char *text = NULL;
  static const char *const wrong[] = { "", ",", "1000", "-1", "a", "1e3" };

  g_assert_no_error (error);
  g_assert_nonnull (images);
  g_assert_cmpmem (images->data, images->len * sizeof (guint), expected, sizeof expected);
  g_assert_cmpuint (g_array_index (unbounded, guint, 0), ==, 100000);
  text = ct_images_to_string ((const guint *) images->data, images->len);
  g_assert_cmpstr (text, ==, "12, 0, 12, 999");

  for (guint i = 0; i < G_N_ELEMENTS (wrong); i++)
    {
      g_autoptr(GArray) none = ct_images_parse (wrong[i], 1000, &error);

      g_test_message ("“%s”: %s", wrong[i], error != NULL ? error->message : "accepted");
      g_assert_null (none);
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
      g_clear_error (&error);
    }
}

static void
test_target_rule (void)
{
  static const char *const classes[] = { "airplane", "automobile", "bird", "cat", NULL };
  static const struct {
    const char  *text;
    CtTargetRule rule;
    int          target_class;
  } cases[] = {
    { NULL, CT_TARGET_RULE_PREDICTED, -1 },
    { "predicted", CT_TARGET_RULE_PREDICTED, -1 },
    { "label", CT_TARGET_RULE_LABEL, -1 },
    { "3", CT_TARGET_RULE_CLASS, 3 },
    { "0", CT_TARGET_RULE_CLASS, 0 },
    { "Bird", CT_TARGET_RULE_CLASS, 2 },
    { "class 1", CT_TARGET_RULE_CLASS, 1 },
    { "class 3 (cat)", CT_TARGET_RULE_CLASS, 3 },
  };
  static const char *const wrong[] = { "", "4", "-1", "dog", "class 9", "class", "class 1x" };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      CtTargetRule rule = -1;
      int target_class = -1;

      g_assert_true (ct_target_rule_parse (cases[i].text, classes, 4, &rule, &target_class, &error));
      g_assert_no_error (error);
      g_assert_cmpint (rule, ==, cases[i].rule);
      g_assert_cmpint (target_class, ==, cases[i].target_class);
    }
  for (guint i = 0; i < G_N_ELEMENTS (wrong); i++)
    {
      g_autoptr(GError) error = NULL;
      CtTargetRule rule;
      int target_class;

      g_test_message ("“%s”", wrong[i]);
      g_assert_false (ct_target_rule_parse (wrong[i], classes, 4, &rule, &target_class, &error));
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
    }
}

/* The ends of the ranges: the first class by name, a two-digit index in
 * the "class N" form (a hundred classes, no names: "class 10" is 10, in
 * base ten), and a model of one class, whose "class 0" is class 0. */
static void
test_target_rule_edges (void)
{
  static const char *const classes[] = { "airplane", "automobile", "bird", "cat", NULL };
  g_autoptr(GError) error = NULL;
  CtTargetRule rule = -1;
  int target_class = -1;

  g_assert_true (ct_target_rule_parse ("AIRPLANE", classes, 4, &rule, &target_class, &error));
  g_assert_no_error (error);
  g_assert_cmpint (rule, ==, CT_TARGET_RULE_CLASS);
  g_assert_cmpint (target_class, ==, 0);

  rule = -1, target_class = -1;
  g_assert_true (ct_target_rule_parse ("class 10", NULL, 100, &rule, &target_class, &error));
  g_assert_no_error (error);
  g_assert_cmpint (rule, ==, CT_TARGET_RULE_CLASS);
  g_assert_cmpint (target_class, ==, 10);

  target_class = -1;
  g_assert_true (ct_target_rule_parse ("class 99 (x)", NULL, 100, &rule, &target_class, &error));
  g_assert_no_error (error);
  g_assert_cmpint (target_class, ==, 99);

  rule = -1, target_class = -1;
  g_assert_true (ct_target_rule_parse ("class 0", NULL, 1, &rule, &target_class, &error));
  g_assert_no_error (error);
  g_assert_cmpint (rule, ==, CT_TARGET_RULE_CLASS);
  g_assert_cmpint (target_class, ==, 0);
  g_assert_false (ct_target_rule_parse ("class 1", NULL, 1, &rule, &target_class, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
}

static void
test_target_rule_round_trip (void)
{
  static const char *const classes[] = { "airplane", "automobile", "bird", "cat", NULL };
  g_autofree char *predicted = ct_target_rule_to_string (CT_TARGET_RULE_PREDICTED, 0, classes);
  g_autofree char *label = ct_target_rule_to_string (CT_TARGET_RULE_LABEL, 0, classes);
  g_autofree char *named = ct_target_rule_to_string (CT_TARGET_RULE_CLASS, 3, classes);
  g_autofree char *bare = ct_target_rule_to_string (CT_TARGET_RULE_CLASS, 2, NULL);
  CtTargetRule rule;
  int target_class = -1;

  g_assert_cmpstr (predicted, ==, "predicted");
  g_assert_cmpstr (label, ==, "label");
  g_assert_cmpstr (named, ==, "class 3 (cat)");
  g_assert_cmpstr (bare, ==, "class 2");
  g_assert_true (ct_target_rule_parse (named, classes, 4, &rule, &target_class, NULL));
  g_assert_cmpint (rule, ==, CT_TARGET_RULE_CLASS);
  g_assert_cmpint (target_class, ==, 3);
  g_assert_true (ct_target_rule_parse (label, classes, 4, &rule, &target_class, NULL));
  g_assert_cmpint (rule, ==, CT_TARGET_RULE_LABEL);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/spec/epochs/items", test_epochs_items);
  g_test_add_func ("/spec/epochs/missing", test_epochs_missing);
  g_test_add_func ("/spec/epochs/refused", test_epochs_refused);
  g_test_add_func ("/spec/epochs/round-trip", test_epochs_round_trip);
  g_test_add_func ("/spec/epochs/sort-unique", test_epochs_sort_unique);
  g_test_add_func ("/spec/images", test_images);
  g_test_add_func ("/spec/target-rule", test_target_rule);
  g_test_add_func ("/spec/target-rule/edges", test_target_rule_edges);
  g_test_add_func ("/spec/target-rule/round-trip", test_target_rule_round_trip);
  return g_test_run ();
}
