/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <stdlib.h>

#include "ct-cli.h"
#include "ct-torch-glib.h"

int
ct_cli_dist_start (const char  *command,
                   int          threads,
                   double       timeout,
                   CtDist     **out_dist)
{
  g_autoptr(GError) error = NULL;
  char *message = NULL;

  *out_dist = NULL;
  if (!(timeout > 0 && timeout <= 86400))
    return ct_cli_usage_error (command, "--dist-timeout must be between 0 and 86400 seconds");
  if (!ct_torch_check (ct_torch_set_threads (threads, &message), message, &error))
    return ct_cli_fail (command, error);
  if (!ct_torch_check (ct_dist_new_from_env (timeout, out_dist, &message), message, &error))
    return ct_cli_fail (command, error);
  return 0;
}

void
ct_cli_dist_tell_failure (CtDist     *dist,
                          const char *failure)
{
  char *message = NULL;

  if (dist == NULL)
    return;
  /* A rank that posts its failure gets no message back: it stops with its own. */
  ct_dist_agree (dist, failure, NULL, &message);
  free (message);
}

int
ct_cli_dist_agree (const char *command,
                   CtDist     *dist,
                   const char *summary)
{
  g_autoptr(GError) error = NULL;
  char *message = NULL;

  if (!ct_torch_check (ct_dist_agree (dist, NULL, summary, &message), message, &error))
    return ct_cli_fail (command, error);
  return 0;
}
