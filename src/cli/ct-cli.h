/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "ct-cam-method.h"
#include "ct-torch.h"

G_BEGIN_DECLS

/* Exit statuses: 0 success, 1 the work failed (bad data, I/O), 2 wrong usage. */
#define CT_CLI_EXIT_FAILURE 1
#define CT_CLI_EXIT_USAGE   2

int  ct_cli_train   (int argc, char **argv);
int  ct_cli_eval    (int argc, char **argv);
int  ct_cli_layers  (int argc, char **argv);
int  ct_cli_cam     (int argc, char **argv);
int  ct_cli_robustness (int argc, char **argv);
int  ct_cli_faithfulness (int argc, char **argv);
int  ct_cli_import  (int argc, char **argv);
int  ct_cli_study   (int argc, char **argv);

/* Prints "camtrail-cli COMMAND: REASON" and a hint to stderr; returns 2. */
int  ct_cli_usage_error (const char *command,
                         const char *format,
                         ...) G_GNUC_PRINTF (2, 3);
/* Prints "camtrail-cli COMMAND: MESSAGE" to stderr; returns 1.  For a
 * lost torchrun peer (CT_TORCH_ERROR_PEER_LOST) MESSAGE goes on with what
 * @command leaves behind (ct_cli_dist_lost_peer_outcome()). */
int  ct_cli_fail        (const char *command,
                         const GError *error);

/* An image folder's images cached (a CtDatasetProgressFunc, @user_data a
 * CtCliCaching): a live line on a terminal, a line every ~10 s in a log. */
typedef struct {
  gboolean tty;
  gboolean quiet;
  gint64   last_print;
} CtCliCaching;

void     ct_cli_caching_progress (guint    done,
                                  guint    total,
                                  gpointer user_data);

/* Replaces *@run, what the user typed for --run, by the run it names
 * (ct_run_resolve(): a bare name may be a run in the runs home). */
void     ct_cli_resolve_run (char **run);

/* Parses --method's value (NULL: gradcam); on a bad name prints a one-line
 * reason listing the methods and returns FALSE. */
gboolean ct_cli_parse_method (const char  *command,
                              const char  *text,
                              CtCamMethod *out_method);

/* Returns: (transfer full): --method's help text, listing the methods. */
char    *ct_cli_dup_method_help (void);

/* Parses @argv with @entries; on a parse error prints a one-line reason and
 * returns FALSE with *out_status = 2. */
gboolean ct_cli_parse   (const char      *command,
                         const char      *parameter_string,
                         const char      *summary,
                         const GOptionEntry *entries,
                         int             *argc,
                         char          ***argv,
                         int             *out_status);

/* ---- Under torchrun: the studies' ranks ------------------------------ */

/* --dist-timeout's option entry, storing into the double @variable. */
#define CT_CLI_DIST_TIMEOUT_ENTRY(variable) \
  { "dist-timeout", 0, 0, G_OPTION_ARG_DOUBLE, &(variable), N_("Under torchrun: seconds to wait for the other processes, at the start and at every exchange, before giving up (default 300)"), N_("SECONDS") }

/* Whether torchrun's environment makes this process one rank of several
 * (WORLD_SIZE set, and not 1). */
gboolean ct_cli_dist_is_rank (void);

/* Runs the command @run on @argc/@argv and returns its status.  Under
 * torchrun, when it fails before it tried to join its group (its options,
 * a missing run: anything before ct_cli_dist_join()), this rank still
 * joins and posts the reason it printed last (ct_cli_get_last_error()) at
 * the first agreement step, so every other rank stops there with it,
 * naming this rank, instead of waiting out --dist-timeout (read from
 * @argv where it is valid there, else 300 s). */
int      ct_cli_dist_main   (const char  *command,
                             int        (*run) (int argc, char **argv),
                             int          argc,
                             char       **argv);

/* The reason ct_cli_usage_error() or ct_cli_fail() printed last (borrowed;
 * NULL when none has). */
const char *ct_cli_get_last_error (void);

/* Under torchrun joins the group, waiting at most @timeout seconds:
 * *@out_dist is new, or NULL for one process.  Returns 0, or the exit
 * status to return with, having said why. */
int      ct_cli_dist_join   (const char  *command,
                             double       timeout,
                             CtDist     **out_dist);

/* Checks @timeout (--dist-timeout), gives libtorch @threads (0: all cores)
 * and, under torchrun, joins the group: *@out_dist is new, or NULL for one
 * process.  Returns 0, or the exit status to return with, having said why. */
int      ct_cli_dist_start  (const char  *command,
                             int          threads,
                             double       timeout,
                             CtDist     **out_dist);

/* A rank that cannot set up (@failure: why) posts it before it stops, so
 * that the others stop with its message at ct_cli_dist_agree() rather than
 * find it gone later.  Nothing for one process (@dist NULL). */
void     ct_cli_dist_tell_failure (CtDist     *dist,
                                   const char *failure);

/* What @command ("train", "study", …) leaves behind when another rank
 * dies or cannot be reached under torchrun, in words (static; NULL for a
 * command that does not run as a rank).  The one place for that wording. */
const char *ct_cli_dist_lost_peer_outcome (const char *command);

/* Every rank set up, with rank 0's @summary (the options that decide the
 * batches and the numbers, in words): returns 0.  Otherwise prints the
 * message every rank stops with (the failing rank's, or the two summaries)
 * and returns 1.  One process agrees with itself. */
int      ct_cli_dist_agree  (const char  *command,
                             CtDist      *dist,
                             const char  *summary);

G_END_DECLS
