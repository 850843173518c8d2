/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "ct-cli.h"
#include "ct-torch-glib.h"

#define DEFAULT_TIMEOUT 300.0

/* Whether this process has tried to join its group: from then on its
 * failures reach the others through the group (or the group is gone). */
static gboolean joined;

gboolean
ct_cli_dist_is_rank (void)
{
  const char *world = g_getenv ("WORLD_SIZE");

  /* As the shim reads it: unset, empty or 1 is one process. */
  return world != NULL && *world != '\0' && g_strcmp0 (world, "1") != 0;
}

int
ct_cli_dist_join (const char  *command,
                  double       timeout,
                  CtDist     **out_dist)
{
  g_autoptr(GError) error = NULL;
  char *message = NULL;

  *out_dist = NULL;
  joined = TRUE;
  if (!ct_torch_check (ct_dist_new_from_env (timeout, out_dist, &message), message, &error))
    return ct_cli_fail (command, error);
  return 0;
}

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
  return ct_cli_dist_join (command, timeout, out_dist);
}

/* --dist-timeout as @argv says it, when it does so validly; else the
 * default: the options may be what failed to parse. */
static double
scan_timeout (int    argc,
              char **argv)
{
  for (int i = 1; i < argc; i++)
    {
      const char *text = NULL;
      char *end = NULL;
      double value;

      if (g_str_equal (argv[i], "--"))
        break;
      if (g_str_equal (argv[i], "--dist-timeout") && i + 1 < argc)
        text = argv[i + 1];
      else if (g_str_has_prefix (argv[i], "--dist-timeout="))
        text = argv[i] + strlen ("--dist-timeout=");
      if (text == NULL)
        continue;
      value = g_ascii_strtod (text, &end);
      if (end != text && *end == '\0' && value > 0 && value <= 86400)
        return value;
    }
  return DEFAULT_TIMEOUT;
}

int
ct_cli_dist_main (const char  *command,
                  int        (*run) (int argc, char **argv),
                  int          argc,
                  char       **argv)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *failure = NULL;
  char *message = NULL;
  double timeout = scan_timeout (argc, argv);
  int status;

  joined = FALSE;
  status = run (argc, argv);
  if (status == 0 || joined || !ct_cli_dist_is_rank ())
    return status;

  /* Stopped before joining: the others would wait for this rank at the
   * rendezvous until their timeout.  Join, and tell them why. */
  failure = ct_cli_get_last_error () != NULL
              ? g_strdup (ct_cli_get_last_error ())
              : g_strdup_printf ("exit status %d", status);
  if (!ct_torch_check (ct_dist_tell_failure_from_env (timeout, failure, NULL, &message), message,
                       &error))
    ct_cli_fail (command, error);
  return status;
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

const char *
ct_cli_dist_lost_peer_outcome (const char *command)
{
  /* Training commits each epoch's checkpoint whole; a study each part; the
   * others write only once every rank's share is gathered. */
  if (g_strcmp0 (command, "train") == 0)
    return "the run keeps its last complete checkpoint";
  if (g_strcmp0 (command, "study") == 0)
    return "the study keeps the parts it finished, and resumes from them";
  if (g_strcmp0 (command, "robustness") == 0)
    return "nothing was written";
  if (g_strcmp0 (command, "faithfulness") == 0)
    return "the part under way (the scores, or --sanity's check after them) was not written";
  return NULL;
}
