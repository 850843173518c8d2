/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ui-latency: what a user of the window feels.  Opens a run in the real
 * window (under Xvfb via bench/ui-latency.sh), then
 *  1. times slider moves: from a noise-σ value change to the frame that
 *     shows the last row of the new grid (median and p95);
 *  2. while the engine trains (--train-data), keeps moving the slider and
 *     records the longest gap between main-loop wake-ups of a 5 ms timer:
 *     the longest stall a user would see.
 * A benchmark: it prints figures and asserts nothing. */
#include "config.h"

#include <gtk/gtk.h>
#include <math.h>
#include <time.h>

#include "ct-window.h"

static CtWindow *window;
static gint64 last_tick;
static gint64 longest_stall;
static gboolean painted;
static gint64 frame_start;
static GArray *frame_ms;          /* (element-type double) layout + paint of each frame */

static gboolean
tick_cb (gpointer data)
{
  gint64 now = g_get_monotonic_time ();

  if (last_tick != 0)
    longest_stall = MAX (longest_stall, now - last_tick);
  last_tick = now;
  return G_SOURCE_CONTINUE;
}

static void
before_paint_cb (GdkFrameClock *clock,
                 gpointer       data)
{
  frame_start = g_get_monotonic_time ();
}

static void
after_paint_cb (GdkFrameClock *clock,
                gpointer       data)
{
  double ms = (g_get_monotonic_time () - frame_start) / 1000.0;

  g_array_append_val (frame_ms, ms);
  painted = TRUE;
}

static gboolean
grid_done (void)
{
  gboolean busy;
  CtGridView *view = ct_window_get_grid_view (window);

  g_object_get (window, "busy", &busy, NULL);
  return !busy && ct_grid_view_get_grid (view) != NULL && ct_grid_view_is_complete (view);
}

/* Iterates the main loop until the grid is complete and a frame showing it
 * has been painted; returns the time that took in ms, or −1 on timeout. */
static GArray *computed_ms;        /* (element-type double) request → grid complete */

static double
wait_for_grid_painted (gint64 start)
{
  gint64 deadline = start + 120 * G_USEC_PER_SEC;
  double computed;

  while (!grid_done ())
    {
      g_main_context_iteration (NULL, TRUE);
      if (g_get_monotonic_time () > deadline)
        return -1;
    }
  computed = (g_get_monotonic_time () - start) / 1000.0;
  g_array_append_val (computed_ms, computed);
  painted = FALSE;
  gtk_widget_queue_draw (GTK_WIDGET (ct_window_get_grid_view (window)));
  while (!painted)
    g_main_context_iteration (NULL, TRUE);
  return (g_get_monotonic_time () - start) / 1000.0;
}

static int
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return (x > y) - (x < y);
}

static void
print_summary (const char *what,
               GArray     *ms)
{
  double median, p95;

  g_array_sort (ms, compare_doubles);
  median = g_array_index (ms, double, ms->len / 2);
  p95 = g_array_index (ms, double, MIN (ms->len - 1, (guint) ceil (0.95 * ms->len) - 1));
  g_print ("%s: n=%u median %.1f ms, p95 %.1f ms, max %.1f ms\n", what, ms->len, median, p95,
           g_array_index (ms, double, ms->len - 1));
}

static double
cpu_ms (clockid_t clock)
{
  struct timespec now;

  clock_gettime (clock, &now);
  return now.tv_sec * 1e3 + now.tv_nsec / 1e6;
}

/* One timed slider move per iteration, alternating σ so every move changes
 * the grid.  Also prints the CPU time a move costs the main thread and the
 * whole process (torch included): on two cores, what the main thread
 * spends is taken from torch. */
static GArray *
time_slider_moves (guint iterations)
{
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  GArray *ms = g_array_new (FALSE, FALSE, sizeof (double));
  double main_start = cpu_ms (CLOCK_THREAD_CPUTIME_ID);
  double process_start = cpu_ms (CLOCK_PROCESS_CPUTIME_ID);

  for (guint i = 0; i < iterations; i++)
    {
      gint64 start = g_get_monotonic_time ();
      double elapsed;

      g_settings_set_double (settings, "noise-sigma", 0.05 + 0.01 * (i % 20));
      elapsed = wait_for_grid_painted (start);
      if (elapsed < 0)
        {
          g_printerr ("ui-latency: a grid took over two minutes; giving up\n");
          break;
        }
      g_array_append_val (ms, elapsed);
    }
  if (ms->len > 0)
    g_print ("CPU time per move: main thread %.1f ms, whole process %.1f ms\n",
             (cpu_ms (CLOCK_THREAD_CPUTIME_ID) - main_start) / ms->len,
             (cpu_ms (CLOCK_PROCESS_CPUTIME_ID) - process_start) / ms->len);
  return ms;
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *run = NULL;
  g_autofree char *train_data = NULL;
  g_autofree char *train_out = NULL;
  g_autofree char *images = NULL;
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) idle = NULL;
  g_autoptr(GArray) training = NULL;
  g_autoptr(GSettings) settings = NULL;
  int iterations = 30;
  int train_limit = 10000;
  g_autofree char *epochs = NULL;
  GOptionEntry entries[] = {
    { "run", 'r', 0, G_OPTION_ARG_FILENAME, &run, "Run directory to open (required)", "DIR" },
    { "epochs", 'e', 0, G_OPTION_ARG_STRING, &epochs, "Grid rows (default 0,1,2,3,last)", "LIST" },
    { "images", 0, 0, G_OPTION_ARG_STRING, &images, "Grid columns (default 8 random)", "LIST" },
    { "iterations", 'i', 0, G_OPTION_ARG_INT, &iterations, "Timed slider moves per phase (default 30)", "N" },
    { "train-data", 0, 0, G_OPTION_ARG_FILENAME, &train_data, "Train on this dataset during phase 2", "DIR" },
    { "train-out", 0, 0, G_OPTION_ARG_FILENAME, &train_out, "Run directory phase 2 trains into", "DIR" },
    { "train-limit", 0, 0, G_OPTION_ARG_INT, &train_limit, "Training images per epoch (default 10000)", "N" },
    { NULL }
  };

  context = g_option_context_new ("— time the Camtrail window");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error) || run == NULL)
    {
      g_printerr ("ui-latency: %s\n", error != NULL ? error->message : "--run is required");
      return 2;
    }

  gtk_init ();
  settings = g_settings_new (APP_ID);
  g_settings_set_double (settings, "noise-sigma", 0.0);

  window = ct_window_new (NULL);
  gtk_window_set_default_size (GTK_WINDOW (window), 1400, 1000);
  gtk_window_present (GTK_WINDOW (window));
  frame_ms = g_array_new (FALSE, FALSE, sizeof (double));
  computed_ms = g_array_new (FALSE, FALSE, sizeof (double));
  g_signal_connect (gtk_widget_get_frame_clock (GTK_WIDGET (window)), "before-paint",
                    G_CALLBACK (before_paint_cb), NULL);
  g_signal_connect (gtk_widget_get_frame_clock (GTK_WIDGET (window)), "after-paint",
                    G_CALLBACK (after_paint_cb), NULL);

  {
    g_autoptr(GFile) folder = g_file_new_for_path (run);
    gint64 start = g_get_monotonic_time ();

    ct_window_open_run (window, folder);
    /* Opening loads the dataset and the checkpoints: not a slider move. */
    g_print ("open run and first grid: %.0f ms\n", wait_for_grid_painted (start));
  }
  if (epochs != NULL)
    {
      gtk_widget_activate_action (GTK_WIDGET (window), "win.set-epochs", "s", epochs);
      wait_for_grid_painted (g_get_monotonic_time ());
    }
  if (images != NULL)
    {
      gtk_widget_activate_action (GTK_WIDGET (window), "win.set-images", "s", images);
      wait_for_grid_painted (g_get_monotonic_time ());
    }
  {
    CtGrid *grid = ct_grid_view_get_grid (ct_window_get_grid_view (window));
    g_print ("grid: %u checkpoints × %u images, %s, layer %s\n",
             grid->n_rows, grid->n_images, grid->arch, grid->layer);
  }

  g_array_set_size (frame_ms, 0);
  g_array_set_size (computed_ms, 0);
  idle = time_slider_moves (iterations);
  print_summary ("slider move → last row painted (idle)", idle);
  print_summary ("slider move → last row received from the engine (idle)", computed_ms);
  print_summary ("one frame: layout + paint + render (idle)", frame_ms);

  if (train_data != NULL && train_out != NULL)
    {
      CtTrainOptions options;
      guint source;

      ct_train_options_init (&options, "camtrail_net");
      options.data = train_data;
      options.out_dir = train_out;
      ct_hyper_params_set_epochs (&options.hyper, 2);
      options.train_limit = train_limit;
      ct_window_train (window, &options, FALSE);

      last_tick = 0;
      longest_stall = 0;
      source = g_timeout_add (5, tick_cb, NULL);
      training = time_slider_moves (iterations);
      g_source_remove (source);
      print_summary ("slider move → last row painted (while training)", training);
      g_print ("longest main-loop stall while training: %.1f ms (5 ms timer)\n",
               longest_stall / 1000.0);
      ct_engine_cancel_training (ct_window_get_engine (window));
    }

  gtk_window_destroy (GTK_WINDOW (window));
  return 0;
}
