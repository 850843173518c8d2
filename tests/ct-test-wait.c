/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "ct-test-wait.h"

static gboolean
wake_cb (gpointer user_data)
{
  return G_SOURCE_CONTINUE;
}

void
ct_test_wait_begin (CtTestWait *wait,
                    const char *what,
                    const char *file,
                    int         line)
{
  wait->what = what;
  wait->file = file;
  wait->line = line;
  wait->deadline = g_get_monotonic_time () + CT_TEST_WAIT_S * G_USEC_PER_SEC;
  /* Wakes a blocking iteration now and then, so that the deadline is seen
   * even when nothing else happens. */
  wait->wakeup = g_timeout_source_new_seconds (1);
  g_source_set_callback (wait->wakeup, wake_cb, NULL, NULL);
  g_source_set_static_name (wait->wakeup, "[camtrail-test] deadline");
  g_source_attach (wait->wakeup, g_main_context_get_thread_default ());
}

void
ct_test_wait_iterate (CtTestWait *wait)
{
  if (g_get_monotonic_time () > wait->deadline)
    g_error ("%s:%d: waited %d s for “%s”: it never happened", wait->file, wait->line,
             CT_TEST_WAIT_S, wait->what);
  g_main_context_iteration (g_main_context_get_thread_default (), TRUE);
}

void
ct_test_wait_end (CtTestWait *wait)
{
  g_source_destroy (wait->wakeup);
  g_clear_pointer (&wait->wakeup, g_source_unref);
}

void
ct_test_drain_context (void)
{
  while (g_main_context_iteration (g_main_context_get_thread_default (), FALSE))
    ;
}

void
ct_test_wait_for_post (void)
{
  GMainContext *context = g_main_context_get_thread_default ();
  gint64 deadline = g_get_monotonic_time () + CT_TEST_WAIT_S * G_USEC_PER_SEC;
  gboolean ready = FALSE;

  if (context == NULL)
    context = g_main_context_default ();
  g_assert_true (g_main_context_acquire (context));
  while (!ready)
    {
      GPollFD fds[16];
      gint priority, timeout, n_fds;

      if (g_get_monotonic_time () > deadline)
        g_error ("waited %d s for a post to the main context: none came", CT_TEST_WAIT_S);
      g_main_context_prepare (context, &priority);
      n_fds = g_main_context_query (context, priority, &timeout, fds, G_N_ELEMENTS (fds));
      g_assert_cmpint (n_fds, <=, (gint) G_N_ELEMENTS (fds));
      /* At most a second at a time, to see the deadline. */
      if (timeout < 0 || timeout > 1000)
        timeout = 1000;
      g_poll (fds, n_fds, timeout);
      ready = g_main_context_check (context, priority, fds, n_fds);
    }
  g_main_context_release (context);
}
