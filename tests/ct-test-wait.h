/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Waiting on events in the thread-default main context, never on time: a
 * test runs the context until the state it waits for, and fails loudly,
 * naming what it waited for, if that takes longer than CT_TEST_WAIT_S
 * (far beyond any healthy run, even on a loaded machine). */

#define CT_TEST_WAIT_S 180

typedef struct {
  const char *what;
  const char *file;
  int         line;
  gint64      deadline;
  GSource    *wakeup;
} CtTestWait;

void ct_test_wait_begin   (CtTestWait *wait,
                           const char *what,
                           const char *file,
                           int         line);
/* One blocking iteration of the context; fails the test past the deadline. */
void ct_test_wait_iterate (CtTestWait *wait);
void ct_test_wait_end     (CtTestWait *wait);

/* Runs the thread-default context until @condition holds. */
#define CT_TEST_WAIT_UNTIL(condition)                                   \
  G_STMT_START {                                                        \
    CtTestWait ct_test_wait_;                                           \
    ct_test_wait_begin (&ct_test_wait_, #condition, __FILE__, __LINE__); \
    while (!(condition))                                                \
      ct_test_wait_iterate (&ct_test_wait_);                            \
    ct_test_wait_end (&ct_test_wait_);                                  \
  } G_STMT_END

/* Dispatches everything already posted to the thread-default context,
 * without waiting for more. */
void ct_test_drain_context (void);

/* Blocks until some source of the thread-default context is ready, without
 * dispatching it: a thread's post has arrived and waits there.  Fails the
 * test after CT_TEST_WAIT_S. */
void ct_test_wait_for_post (void);

G_END_DECLS
