/* SPDX-License-Identifier: GPL-3.0-or-later */
/* libFuzzer target: the target rule of the window's Target field and of
 * `--target`, ct_target_rule_parse().  The first byte says how many of the
 * ten CIFAR-10 class names the dataset has (0: none, classes by number
 * only); the rest is the rule as typed.  A rule read must print back
 * (ct_target_rule_to_string) to one that reads the same. */
#include <gio/gio.h>

#include "ct-spec.h"
#include "fuzz-common.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

static const char *const class_names[] = {
  "airplane", "automobile", "bird", "cat", "deer",
  "dog", "frog", "horse", "ship", "truck", NULL,
};

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  g_autofree char *printed = NULL;
  g_auto(GStrv) classes = NULL;
  CtTargetRule rule, rule_again;
  int target_class = -1, class_again = -1;
  int n_classes;

  if (size < 1)
    return 0;
  n_classes = data[0] % 11;
  if (n_classes > 0)
    {
      classes = g_new0 (char *, n_classes + 1);
      for (int i = 0; i < n_classes; i++)
        classes[i] = g_strdup (class_names[i]);
    }
  else
    n_classes = 1 + data[0] / 11 % 16;   /* classes without names */
  text = g_strndup ((const char *) data + 1, size - 1);

  if (!ct_target_rule_parse (text, (const char *const *) classes, n_classes,
                             &rule, &target_class, &error))
    {
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
      return 0;
    }
  g_assert_no_error (error);
  if (rule == CT_TARGET_RULE_CLASS && (target_class < 0 || target_class >= n_classes))
    g_error ("“%s” chose class %d of %d", text, target_class, n_classes);

  printed = ct_target_rule_to_string (rule, target_class, (const char *const *) classes);
  if (!ct_target_rule_parse (printed, (const char *const *) classes, n_classes,
                             &rule_again, &class_again, &error))
    g_error ("“%s” printed as “%s”, which does not read back: %s", text, printed, error->message);
  g_assert_cmpint (rule_again, ==, rule);
  if (rule == CT_TARGET_RULE_CLASS)
    g_assert_cmpint (class_again, ==, target_class);

  return 0;
}
