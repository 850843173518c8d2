/* SPDX-License-Identifier: GPL-3.0-or-later */
/* libFuzzer target: the metrics.jsonl reader, ct_metrics_load(), and the
 * writer on whatever the reader accepts (training appends to the metrics
 * it loaded). */
#include <math.h>
#include <string.h>

#include "ct-run.h"
#include "fuzz-common.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autoptr(GArray) metrics = NULL;
  g_autoptr(GArray) again = NULL;
  g_autoptr(GError) error = NULL;

  g_free (fuzz_write_file ("metrics.jsonl", data, size));
  metrics = ct_metrics_load (fuzz_dir (), &error);
  if (metrics == NULL)
    {
      g_assert_nonnull (error);
      g_assert_nonnull (strstr (error->message, "metrics.jsonl"));
      return 0;
    }

  if (!ct_metrics_save (fuzz_dir (), metrics, &error))
    g_error ("metrics the reader accepts cannot be saved: %s", error->message);
  again = ct_metrics_load (fuzz_dir (), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (again->len, ==, metrics->len);
  for (guint i = 0; i < metrics->len; i++)
    g_assert_cmpint (g_array_index (again, CtEpochMetrics, i).epoch, ==,
                     g_array_index (metrics, CtEpochMetrics, i).epoch);

  return 0;
}
