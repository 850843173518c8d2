/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Every way a user starts Camtrail, as separate processes of the built
 * binaries: `camtrail RUN_DIR`, `camtrail --demo`, a bare `camtrail`, a
 * second instance, a file manager's Open (org.freedesktop.Application.Open,
 * to a running instance and by D-Bus activation), bad arguments, --help and
 * --version, and `camtrail-cli` with each subcommand's --help.
 *
 * Runs under xvfb-run and its own session bus (dbus-run-session with
 * tests/entry-points-bus.conf, whose service directory activates the built
 * camtrail).  Each window process gets a throwaway HOME, and the test
 * follows it through what it exports on the bus: the state action
 * "app.status" (run, grid-complete, training, error) and the action
 * "app.export-figure".  Every process must end with an ordinary exit
 * status and print no sanitizer report. */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>

#include "ct-test-data.h"

#define APP_ID "io.github.camtrail.Camtrail"
#define APP_PATH "/io/github/camtrail/Camtrail"
/* Generous: the sanitizer build runs several times slower, and training
 * the demo run is part of one wait. */
#define WAIT_SECONDS 240

static char *root;          /* everything the test makes */
static char *runs;          /* root/runs: runs made by camtrail-cli */
static char *idx_data;      /* a tiny Fashion-MNIST stand-in */
static const char *child_locale = "C.UTF-8";

typedef struct {
  GSubprocess *process;
  char        *out_path;
  char        *err_path;
  gboolean     exited;
} Process;

static void
process_exited_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  Process *process = user_data;

  g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);
  process->exited = TRUE;
}

/* Starts @argv (argv[0] an environment variable naming a built binary)
 * with HOME and the XDG folders inside @home, in @cwd. */
static Process *
process_start (const char         *home,
               const char         *cwd,
               const char * const *argv)
{
  static guint counter;
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_autoptr(GPtrArray) args = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *data_home = g_build_filename (home, ".local", "share", NULL);
  g_autofree char *config_home = g_build_filename (home, ".config", NULL);
  g_autofree char *cache_home = g_build_filename (home, ".cache", NULL);
  Process *process = g_new0 (Process, 1);
  const char *binary = g_getenv (argv[0]);

  g_assert_nonnull (binary);
  g_ptr_array_add (args, (char *) binary);
  for (guint i = 1; argv[i] != NULL; i++)
    g_ptr_array_add (args, (char *) argv[i]);
  g_ptr_array_add (args, NULL);

  process->out_path = g_strdup_printf ("%s/process-%u.out", root, counter);
  process->err_path = g_strdup_printf ("%s/process-%u.err", root, counter++);
  g_subprocess_launcher_set_stdout_file_path (launcher, process->out_path);
  g_subprocess_launcher_set_stderr_file_path (launcher, process->err_path);
  g_subprocess_launcher_set_cwd (launcher, cwd);
  g_subprocess_launcher_setenv (launcher, "HOME", home, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_DATA_HOME", data_home, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_CONFIG_HOME", config_home, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_CACHE_HOME", cache_home, TRUE);
  /* Settings persist in HOME between processes, as on a desktop. */
  g_subprocess_launcher_setenv (launcher, "GSETTINGS_BACKEND", "keyfile", TRUE);
  g_subprocess_launcher_setenv (launcher, "CAMTRAIL_FASHION_MNIST_DIR", idx_data, TRUE);
  g_subprocess_launcher_setenv (launcher, "LC_ALL", child_locale, TRUE);
  /* glibc's own aborts ("double free detected") go to stderr, not the tty. */
  g_subprocess_launcher_setenv (launcher, "LIBC_FATAL_STDERR_", "1", TRUE);

  process->process = g_subprocess_launcher_spawnv (launcher, (const char * const *) args->pdata,
                                                   &error);
  g_assert_no_error (error);
  g_subprocess_wait_async (process->process, NULL, process_exited_cb, process);
  return process;
}

static char *
read_text (const char *path)
{
  char *text = NULL;

  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  return text;
}

/* Waits for @process to exit by itself and checks how: exit status
 * @status, never a signal, and no sanitizer report.  Returns: (transfer
 * full): what it printed on stderr. */
static char *
process_finish (Process *process,
                int      status)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_SECONDS * G_USEC_PER_SEC;
  char *err;

  while (!process->exited && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  if (!process->exited)
    {
      g_subprocess_force_exit (process->process);
      g_error ("%s did not exit within %d s", g_subprocess_get_identifier (process->process),
               WAIT_SECONDS);
    }
  err = read_text (process->err_path);
  if (g_subprocess_get_if_signaled (process->process))
    g_error ("killed by signal %d; its stderr:\n%s",
             g_subprocess_get_term_sig (process->process), err);
  g_assert_true (g_subprocess_get_if_exited (process->process));
  if (g_subprocess_get_exit_status (process->process) != status)
    g_error ("exit status %d instead of %d; its stderr:\n%s",
             g_subprocess_get_exit_status (process->process), status, err);
  if (strstr (err, "Sanitizer") != NULL || strstr (err, "runtime error:") != NULL)
    g_error ("sanitizer report:\n%s", err);
  if (strstr (err, "-CRITICAL **") != NULL)
    g_error ("a critical warning:\n%s", err);

  g_clear_object (&process->process);
  g_free (process->out_path);
  g_free (process->err_path);
  g_free (process);
  return err;
}

/* Runs @argv to its end with HOME @home in @cwd; returns: (transfer
 * full): its stdout. */
static char *
run_in (const char         *home,
        const char         *cwd,
        const char * const *argv,
        int                 status,
        char              **out_err)
{
  Process *process = process_start (home, cwd, argv);
  g_autofree char *out_path = g_strdup (process->out_path);
  char *err = process_finish (process, status);

  if (out_err != NULL)
    *out_err = err;
  else
    g_free (err);
  return read_text (out_path);
}

static char *
run_to_end (const char * const *argv,
            int                 status,
            char              **out_err)
{
  return run_in (root, root, argv, status, out_err);
}

static GDBusConnection *
session_bus (void)
{
  static GDBusConnection *bus;
  g_autoptr(GError) error = NULL;

  if (bus == NULL)
    bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, &error);
  g_assert_no_error (error);
  return bus;
}

/* Returns: (transfer full) (nullable): app.status's a{sv}, or NULL while
 * no instance owns the name. */
static GVariant *
read_status (void)
{
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) states = NULL;
  g_autoptr(GVariant) boxed = NULL;

  reply = g_dbus_connection_call_sync (session_bus (), APP_ID, APP_PATH, "org.gtk.Actions",
                                       "Describe", g_variant_new ("(s)", "status"),
                                       G_VARIANT_TYPE ("((bgav))"),
                                       G_DBUS_CALL_FLAGS_NO_AUTO_START, 5000, NULL, NULL);
  if (reply == NULL)
    return NULL;
  g_variant_get (reply, "((bg@av))", NULL, NULL, &states);
  if (g_variant_n_children (states) != 1)
    return NULL;
  boxed = g_variant_get_child_value (states, 0);
  return g_variant_get_variant (boxed);
}

typedef struct {
  const char *run;          /* NULL: any; "": none */
  gboolean    complete;     /* the grid is drawn and no training runs */
  const char *error;        /* NULL: none shown; else a part of the message */
  const char *import;       /* NULL: any; else the folder the Import dialog offers */
} Expect;

static gboolean
status_matches (GVariant     *status,
                const Expect *expect)
{
  const char *run = "", *error = "", *import = "";
  gboolean window = FALSE, complete = FALSE, training = TRUE;

  g_variant_lookup (status, "window", "b", &window);
  g_variant_lookup (status, "run", "&s", &run);
  g_variant_lookup (status, "grid-complete", "b", &complete);
  g_variant_lookup (status, "training", "b", &training);
  g_variant_lookup (status, "error", "&s", &error);
  g_variant_lookup (status, "import", "&s", &import);
  if (!window)
    return FALSE;
  if (expect->import != NULL && g_strcmp0 (import, expect->import) != 0)
    return FALSE;
  if (expect->run != NULL && g_strcmp0 (run, expect->run) != 0)
    return FALSE;
  if (expect->complete && (!complete || training))
    return FALSE;
  if (expect->error == NULL)
    return *error == '\0';
  return strstr (error, expect->error) != NULL;
}

/* Waits until the instance's app.status matches @expect, iterating the
 * main context so that the exit of @process, if it dies, is seen. */
static void
wait_for_status (Process      *process,
                 const Expect *expect)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_SECONDS * G_USEC_PER_SEC;
  g_autoptr(GVariant) status = NULL;

  for (;;)
    {
      g_clear_pointer (&status, g_variant_unref);
      status = read_status ();
      if (status != NULL && status_matches (status, expect))
        return;
      if (process != NULL && process->exited)
        {
          g_autofree char *err = read_text (process->err_path);
          GSubprocess *subprocess = process->process;

          g_error ("camtrail %s %d while the test waited for it; its stderr:\n%s",
                   g_subprocess_get_if_signaled (subprocess) ? "was killed by signal"
                                                             : "exited with status",
                   g_subprocess_get_if_signaled (subprocess)
                   ? g_subprocess_get_term_sig (subprocess)
                   : g_subprocess_get_exit_status (subprocess), err);
        }
      if (g_get_monotonic_time () > deadline)
        {
          g_autofree char *text = status != NULL ? g_variant_print (status, FALSE) : NULL;
          g_error ("waited %d s for run “%s”%s%s%s; the status is %s", WAIT_SECONDS,
                   expect->run != NULL ? expect->run : "(any)",
                   expect->complete ? " with its grid complete" : "",
                   expect->error != NULL ? " and an error about " : "",
                   expect->error != NULL ? expect->error : "",
                   text != NULL ? text : "(no instance on the bus)");
        }
      /* Polls; between polls the main context runs, which may return at
       * once, so a short pause keeps the loop from spinning. */
      while (g_main_context_iteration (NULL, FALSE))
        ;
      g_usleep (50 * 1000);
    }
}

static void
activate_action (const char *name,
                 GVariant   *parameter)
{
  g_autoptr(GVariantBuilder) parameters = g_variant_builder_new (G_VARIANT_TYPE ("av"));
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;

  if (parameter != NULL)
    g_variant_builder_add (parameters, "v", parameter);
  reply = g_dbus_connection_call_sync (session_bus (), APP_ID, APP_PATH, "org.gtk.Actions",
                                       "Activate",
                                       g_variant_new ("(sava{sv})", name, parameters, NULL),
                                       NULL, G_DBUS_CALL_FLAGS_NO_AUTO_START, 30000, NULL,
                                       &error);
  g_assert_no_error (error);
}

/* Asks the instance to quit, as Ctrl+Q does, and checks it exits with 0. */
static void
quit_and_finish (Process *process)
{
  activate_action ("quit", NULL);
  g_free (process_finish (process, 0));
}

static char *
make_home (const char *name)
{
  char *home = g_build_filename (root, name, NULL);

  g_assert_cmpint (g_mkdir_with_parents (home, 0700), ==, 0);
  return home;
}

static void
train_with_cli (const char *data,
                const char *out,
                const char *epochs,
                const char *seed)
{
  const char *argv[] = { "CAMTRAIL_CLI", "train", "--data", data, "--out", out,
                         "--epochs", epochs, "--width", "8", "--batch-size", "32",
                         "--seed", seed, "--threads", "2", "--quiet", NULL };

  g_free (run_to_end (argv, 0, NULL));
}

static gboolean
is_png (const char *path)
{
  static const guint8 signature[] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
  g_autofree char *bytes = NULL;
  gsize length = 0;

  return g_file_get_contents (path, &bytes, &length, NULL) && length > 1000 &&
         memcmp (bytes, signature, sizeof signature) == 0;
}

/* `camtrail RUN_DIR` opens that run and computes its grid; a second
 * `camtrail OTHER_RUN` (a relative path, from another folder) is forwarded
 * to it and exits 0; a file manager's Open reaches it too; afterwards a
 * bare `camtrail` reopens the last run. */
static void
test_run_dir_and_second_instance (void)
{
  g_autofree char *home = make_home ("home-runs");
  g_autofree char *run_a = g_build_filename (runs, "squares-a", NULL);
  g_autofree char *run_b = g_build_filename (runs, "squares-b", NULL);
  g_autofree char *figure = g_build_filename (root, "figure-a.png", NULL);
  g_autoptr(GFile) file_a = g_file_new_for_path (run_a);
  g_autofree char *uri_a = g_file_get_uri (file_a);
  const char *first_argv[] = { "CAMTRAIL", run_a, NULL };
  const char *second_argv[] = { "CAMTRAIL", "squares-b", NULL };
  const char *bare_argv[] = { "CAMTRAIL", NULL };
  g_autoptr(GVariantBuilder) uris = g_variant_builder_new (G_VARIANT_TYPE ("as"));
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;
  Process *first, *second, *bare;

  first = process_start (home, root, first_argv);
  wait_for_status (first, &(Expect) { run_a, TRUE, NULL });
  activate_action ("export-figure", g_variant_new_string (figure));
  g_assert_true (is_png (figure));

  second = process_start (home, runs, second_argv);
  g_free (process_finish (second, 0));
  wait_for_status (first, &(Expect) { run_b, TRUE, NULL });

  g_variant_builder_add (uris, "s", uri_a);
  reply = g_dbus_connection_call_sync (session_bus (), APP_ID, APP_PATH,
                                       "org.freedesktop.Application", "Open",
                                       g_variant_new ("(asa{sv})", uris, NULL), NULL,
                                       G_DBUS_CALL_FLAGS_NO_AUTO_START, 30000, NULL, &error);
  g_assert_no_error (error);
  wait_for_status (first, &(Expect) { run_a, TRUE, NULL });
  quit_and_finish (first);

  bare = process_start (home, root, bare_argv);
  wait_for_status (bare, &(Expect) { run_a, TRUE, NULL });
  quit_and_finish (bare);
}

/* A bare `camtrail` on a fresh account shows the empty state, no error. */
static void
test_bare_fresh (void)
{
  g_autofree char *home = make_home ("home-fresh");
  const char *argv[] = { "CAMTRAIL", NULL };
  Process *process = process_start (home, root, argv);

  wait_for_status (process, &(Expect) { "", FALSE, NULL });
  quit_and_finish (process);
}

/* What is not a run is refused with a message naming it, and the window
 * stays up. */
static void
test_bad_arguments (void)
{
  g_autofree char *home = make_home ("home-bad");
  g_autofree char *empty = g_build_filename (root, "empty-folder", NULL);
  g_autofree char *picture = g_build_filename (root, "some-file.png", NULL);
  const char *arguments[] = { "/nonexistent", picture, empty };

  g_assert_cmpint (g_mkdir_with_parents (empty, 0755), ==, 0);
  g_assert_true (g_file_set_contents (picture, "\x89PNG\r\n\x1a\n", 8, NULL));

  for (guint i = 0; i < G_N_ELEMENTS (arguments); i++)
    {
      const char *argv[] = { "CAMTRAIL", arguments[i], NULL };
      g_autofree char *name = g_path_get_basename (arguments[i]);
      Process *process = process_start (home, root, argv);

      wait_for_status (process, &(Expect) { NULL, FALSE, name });
      g_assert_false (process->exited);
      quit_and_finish (process);
    }
}

/* `camtrail --demo` trains the demo run when it is missing (on the tiny IDX
 * set standing in for Fashion-MNIST) and opens it; run again, it opens the
 * existing run without training. */
static void
test_demo (void)
{
  g_autofree char *home = make_home ("home-demo");
  g_autofree char *demo = g_build_filename (home, ".local", "share", "camtrail", "runs",
                                            "fashion-demo", NULL);
  g_autofree char *last = g_build_filename (demo, "epoch-003.safetensors", NULL);
  const char *argv[] = { "CAMTRAIL", "--demo", NULL };
  GStatBuf before, after;
  Process *process;

  process = process_start (home, root, argv);
  wait_for_status (process, &(Expect) { demo, TRUE, NULL });
  quit_and_finish (process);
  g_assert_cmpint (g_stat (last, &before), ==, 0);

  process = process_start (home, root, argv);
  wait_for_status (process, &(Expect) { demo, TRUE, NULL });
  quit_and_finish (process);
  g_assert_cmpint (g_stat (last, &after), ==, 0);
  g_assert_cmpint (before.st_mtime, ==, after.st_mtime);
  g_assert_cmpint (before.st_ino, ==, after.st_ino);
}

/* A launcher or file manager with no instance running: the bus starts
 * camtrail from its service file (DBusActivatable), then delivers Open. */
static void
test_dbus_activation (void)
{
  g_autofree char *home = make_home ("home-activation");
  g_autofree char *data_home = g_build_filename (home, ".local", "share", NULL);
  g_autofree char *config_home = g_build_filename (home, ".config", NULL);
  g_autofree char *cache_home = g_build_filename (home, ".cache", NULL);
  g_autofree char *run_b = g_build_filename (runs, "squares-b", NULL);
  g_autoptr(GFile) file_b = g_file_new_for_path (run_b);
  g_autofree char *uri_b = g_file_get_uri (file_b);
  g_autoptr(GVariantBuilder) environment = g_variant_builder_new (G_VARIANT_TYPE ("a{ss}"));
  g_autoptr(GVariantBuilder) uris = g_variant_builder_new (G_VARIANT_TYPE ("as"));
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;
  gint64 deadline;

  g_variant_builder_add (environment, "{ss}", "HOME", home);
  g_variant_builder_add (environment, "{ss}", "XDG_DATA_HOME", data_home);
  g_variant_builder_add (environment, "{ss}", "XDG_CONFIG_HOME", config_home);
  g_variant_builder_add (environment, "{ss}", "XDG_CACHE_HOME", cache_home);
  g_variant_builder_add (environment, "{ss}", "GSETTINGS_BACKEND", "keyfile");
  reply = g_dbus_connection_call_sync (session_bus (), "org.freedesktop.DBus",
                                       "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                       "UpdateActivationEnvironment",
                                       g_variant_new ("(a{ss})", environment), NULL,
                                       G_DBUS_CALL_FLAGS_NONE, 5000, NULL, &error);
  g_assert_no_error (error);
  g_clear_pointer (&reply, g_variant_unref);

  g_variant_builder_add (uris, "s", uri_b);
  reply = g_dbus_connection_call_sync (session_bus (), APP_ID, APP_PATH,
                                       "org.freedesktop.Application", "Open",
                                       g_variant_new ("(asa{sv})", uris, NULL), NULL,
                                       G_DBUS_CALL_FLAGS_NONE, WAIT_SECONDS * 1000, NULL,
                                       &error);
  g_assert_no_error (error);
  wait_for_status (NULL, &(Expect) { run_b, TRUE, NULL });
  activate_action ("quit", NULL);

  /* The activated process is the bus's child, not ours: it is gone when
   * its name is. */
  deadline = g_get_monotonic_time () + WAIT_SECONDS * G_USEC_PER_SEC;
  for (;;)
    {
      g_autoptr(GVariant) owner = NULL;
      gboolean has_owner = TRUE;

      owner = g_dbus_connection_call_sync (session_bus (), "org.freedesktop.DBus",
                                           "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                           "NameHasOwner", g_variant_new ("(s)", APP_ID),
                                           G_VARIANT_TYPE ("(b)"), G_DBUS_CALL_FLAGS_NONE,
                                           5000, NULL, &error);
      g_assert_no_error (error);
      g_variant_get (owner, "(b)", &has_owner);
      if (!has_owner)
        break;
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (50 * 1000);
    }
}

static void
test_window_help_and_version (void)
{
  const char *version_argv[] = { "CAMTRAIL", "--version", NULL };
  const char *help_argv[] = { "CAMTRAIL", "--help", NULL };
  const char *unknown_argv[] = { "CAMTRAIL", "--no-such-option", NULL };
  g_autofree char *version = run_to_end (version_argv, 0, NULL);
  g_autofree char *help = run_to_end (help_argv, 0, NULL);
  g_autofree char *err = NULL;
  g_autofree char *unknown = run_to_end (unknown_argv, 1, &err);

  g_assert_true (g_str_has_prefix (version, "camtrail "));
  g_assert_nonnull (strstr (help, "--demo"));
  g_assert_nonnull (strstr (help, "RUN_DIR"));
  g_assert_nonnull (strstr (err, "--no-such-option"));
}

static void
test_cli_help (void)
{
  static const char *const commands[] = { "train", "eval", "layers", "cam", "robustness",
                                          "faithfulness", "import", "study" };
  const char *bare_argv[] = { "CAMTRAIL_CLI", NULL };
  const char *help_argv[] = { "CAMTRAIL_CLI", "--help", NULL };
  const char *version_argv[] = { "CAMTRAIL_CLI", "--version", NULL };
  const char *unknown_argv[] = { "CAMTRAIL_CLI", "frobnicate", NULL };
  g_autofree char *bare_err = NULL;
  g_autofree char *unknown_err = NULL;
  g_autofree char *bare = run_to_end (bare_argv, 2, &bare_err);
  g_autofree char *help = run_to_end (help_argv, 0, NULL);
  g_autofree char *version = run_to_end (version_argv, 0, NULL);
  g_autofree char *unknown = run_to_end (unknown_argv, 2, &unknown_err);

  /* Without a command: one line saying why, on stderr. */
  g_assert_cmpstr (bare, ==, "");
  g_assert_cmpuint (strlen (bare_err), >, 0);
  g_assert_true (strchr (bare_err, '\n') == bare_err + strlen (bare_err) - 1);
  g_assert_nonnull (strstr (unknown_err, "frobnicate"));
  g_assert_true (g_str_has_prefix (version, "camtrail-cli "));
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    {
      const char *argv[] = { "CAMTRAIL_CLI", commands[i], "--help", NULL };
      g_autofree char *usage = g_strdup_printf ("camtrail-cli %s", commands[i]);
      g_autofree char *text = run_to_end (argv, 0, NULL);

      g_assert_nonnull (strstr (help, commands[i]));
      g_assert_nonnull (strstr (text, "Usage:"));
      g_assert_nonnull (strstr (text, usage));
    }
}

/* One home for runs: `camtrail-cli train` without --out writes into
 * ~/.local/share/camtrail/runs, the other subcommands find a run there by
 * its name, and the window lists and opens it. */
static void
test_runs_home (void)
{
  g_autofree char *home = make_home ("home-runs-home");
  g_autofree char *squares = g_build_filename (root, "squares", NULL);
  g_autofree char *runs_home = g_build_filename (home, ".local", "share", "camtrail", "runs",
                                                 NULL);
  const char *train_argv[] = { "CAMTRAIL_CLI", "train", "--data", squares, "--epochs", "1",
                               "--width", "8", "--batch-size", "32", "--threads", "2", NULL };
  const char *window_argv[] = { "CAMTRAIL", NULL };
  g_autofree char *err = NULL;
  g_autofree char *out = run_in (home, root, train_argv, 0, &err);
  g_autoptr(GDir) dir = g_dir_open (runs_home, 0, NULL);
  g_autofree char *run = NULL;
  g_autofree char *table = NULL;
  const char *name;
  Process *window;

  g_assert_nonnull (dir);
  name = g_dir_read_name (dir);
  g_assert_nonnull (name);
  g_assert_true (g_str_has_prefix (name, "camtrail_net-squares-"));
  g_assert_null (g_dir_read_name (dir));
  run = g_build_filename (runs_home, name, NULL);
  g_assert_nonnull (strstr (err, run));

  {
    const char *eval_argv[] = { "CAMTRAIL_CLI", "eval", "--run", name, NULL };

    table = run_in (home, root, eval_argv, 0, NULL);
    g_assert_true (g_str_has_prefix (table, run));
  }

  window = process_start (home, root, window_argv);
  wait_for_status (window, &(Expect) { run, TRUE, NULL });
  quit_and_finish (window);
}

/* Without a UTF-8 locale, "…", "→", "“ ”" come out as ASCII, never '?'. */
static void
test_ascii_locale (void)
{
  const char *cli_argv[] = { "CAMTRAIL_CLI", "--help", NULL };
  const char *cam_argv[] = { "CAMTRAIL_CLI", "cam", "--help", NULL };
  const char *window_argv[] = { "CAMTRAIL", "--help", NULL };
  g_autofree char *cli = NULL, *cam = NULL, *window = NULL;

  child_locale = "C";
  cli = run_to_end (cli_argv, 0, NULL);
  cam = run_to_end (cam_argv, 0, NULL);
  window = run_to_end (window_argv, 0, NULL);
  child_locale = "C.UTF-8";

  g_assert_nonnull (strstr (cli, "[OPTION...]"));
  g_assert_nonnull (strstr (cli, "\"camtrail-cli COMMAND --help\""));
  g_assert_nonnull (strstr (window, "[RUN_DIR...]"));
  g_assert_null (strchr (cli, '?'));
  g_assert_null (strchr (cam, '?'));
  g_assert_null (strchr (window, '?'));
}

/* `camtrail FOLDER` on checkpoints saved by a script (no manifest) offers
 * the Import dialog rather than an error, as a file manager's Open With of
 * that folder on the running instance does; closing it leaves the window
 * as it was. */
static void
test_checkpoint_folder (void)
{
  g_autofree char *home = make_home ("home-checkpoints");
  g_autofree char *folder = g_build_filename (root, "checkpoints-from-a-script", NULL);
  g_autofree char *run_a = g_build_filename (runs, "squares-a", NULL);
  g_autoptr(GFile) file = g_file_new_for_path (folder);
  g_autofree char *uri = g_file_get_uri (file);
  const char *argv[] = { "CAMTRAIL", folder, NULL };
  g_autoptr(GVariantBuilder) uris = g_variant_builder_new (G_VARIANT_TYPE ("as"));
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;
  Process *process;

  g_assert_cmpint (g_mkdir_with_parents (folder, 0755), ==, 0);
  for (int epoch = 0; epoch <= 1; epoch++)
    {
      g_autofree char *name = g_strdup_printf ("epoch-%03d.safetensors", epoch);
      g_autofree char *from = g_build_filename (run_a, name, NULL);
      g_autofree char *to = g_strdup_printf ("%s/ckpt_%d.pt", folder, epoch);
      g_autofree char *contents = NULL;
      gsize length;

      g_assert_true (g_file_get_contents (from, &contents, &length, NULL));
      g_assert_true (g_file_set_contents (to, contents, length, NULL));
    }

  process = process_start (home, root, argv);
  wait_for_status (process, &(Expect) { "", FALSE, NULL, folder });
  quit_and_finish (process);

  /* Open With on a running instance. */
  {
    const char *run_argv[] = { "CAMTRAIL", run_a, NULL };

    process = process_start (home, root, run_argv);
  }
  wait_for_status (process, &(Expect) { run_a, TRUE, NULL, "" });
  g_variant_builder_add (uris, "s", uri);
  reply = g_dbus_connection_call_sync (session_bus (), APP_ID, APP_PATH,
                                       "org.freedesktop.Application", "Open",
                                       g_variant_new ("(asa{sv})", uris, NULL), NULL,
                                       G_DBUS_CALL_FLAGS_NO_AUTO_START, 30000, NULL, &error);
  g_assert_no_error (error);
  wait_for_status (process, &(Expect) { run_a, FALSE, NULL, folder });
  quit_and_finish (process);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  g_autofree char *squares = NULL;
  g_autofree char *run_a = NULL;
  g_autofree char *run_b = NULL;
  int status;

  g_test_init (&argc, &argv, NULL);

  root = g_dir_make_tmp ("camtrail-entry-XXXXXX", &error);
  g_assert_no_error (error);
  runs = g_build_filename (root, "runs", NULL);
  squares = g_build_filename (root, "squares", NULL);
  idx_data = g_build_filename (root, "idx-squares", NULL);
  g_mkdir (runs, 0755);
  g_mkdir (squares, 0755);
  g_mkdir (idx_data, 0755);
  g_free (ct_test_write_squares (squares, 128, 16, 3));
  g_free (ct_test_write_idx_squares (idx_data, 96, 16, 5));
  run_a = g_build_filename (runs, "squares-a", NULL);
  run_b = g_build_filename (runs, "squares-b", NULL);
  train_with_cli (squares, run_a, "1", "1");
  train_with_cli (squares, run_b, "1", "2");

  g_test_add_func ("/entry-points/cli/help", test_cli_help);
  g_test_add_func ("/entry-points/window/help-and-version", test_window_help_and_version);
  g_test_add_func ("/entry-points/ascii-locale", test_ascii_locale);
  g_test_add_func ("/entry-points/runs-home", test_runs_home);
  g_test_add_func ("/entry-points/window/bare-fresh", test_bare_fresh);
  g_test_add_func ("/entry-points/window/run-dir-and-second-instance",
                   test_run_dir_and_second_instance);
  g_test_add_func ("/entry-points/window/bad-arguments", test_bad_arguments);
  g_test_add_func ("/entry-points/window/demo", test_demo);
  g_test_add_func ("/entry-points/window/dbus-activation", test_dbus_activation);
  g_test_add_func ("/entry-points/window/checkpoint-folder", test_checkpoint_folder);

  status = g_test_run ();
  ct_test_remove_tree (root);
  return status;
}
