/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>

#include "ct-run.h"
#include "ct-test-data.h"

/* camtrail-cli study end to end on a tiny run the test trains itself:
 * every section, the HTML's tables against the CSVs beside it, the
 * robustness numbers against camtrail-cli robustness for the same
 * settings, the PDF through poppler's tools, and a killed study resumed
 * to the same output.  $CAMTRAIL_CLI names the binary. */

static char *tmpdir;
static char *data_dir;
static char *run_dir;

#define IMAGES "16"
#define SEED   "3"

typedef CtTestResult Result;
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Result, ct_test_result_clear)

static void
run_argv (Result      *result,
          const char **argv)
{
  ct_test_run (result, argv, NULL, G_SPAWN_SEARCH_PATH);
}

static void
run_cli (Result *result,
         ...)
{
  g_autoptr(GPtrArray) args = g_ptr_array_new ();
  const char *arg;
  va_list ap;

  g_ptr_array_add (args, (char *) g_getenv ("CAMTRAIL_CLI"));
  va_start (ap, result);
  while ((arg = va_arg (ap, const char *)) != NULL)
    g_ptr_array_add (args, (char *) arg);
  va_end (ap);
  g_ptr_array_add (args, NULL);
  run_argv (result, (const char **) args->pdata);
}

static char *
read_text (const char *dir,
           const char *name)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autoptr(GError) error = NULL;
  char *text = NULL;

  g_file_get_contents (path, &text, NULL, &error);
  g_assert_no_error (error);
  return text;
}

static const char *
study_out (const char *name)
{
  static GHashTable *dirs;

  if (dirs == NULL)
    dirs = g_hash_table_new (g_str_hash, g_str_equal);
  if (!g_hash_table_contains (dirs, name))
    g_hash_table_insert (dirs, (char *) name, g_build_filename (tmpdir, name, NULL));
  return g_hash_table_lookup (dirs, name);
}

/* The study of the tests: 16 images, seed 3, the run's default epochs. */
static void
run_study (Result     *result,
           const char *out)
{
  run_cli (result, "study", "--run", run_dir, "--out", out, "--images", IMAGES, "--seed", SEED,
           "--threads", "2", NULL);
}

/* A finished study, computed once. */
static const char *
finished_study (void)
{
  static gboolean done;
  const char *out = study_out ("study-a");

  if (!done)
    {
      g_auto(Result) result = { 0 };

      run_study (&result, out);
      g_assert_cmpint (result.status, ==, 0);
      /* The progress bar with the time left. */
      g_assert_nonnull (strstr (result.err, "left"));
      g_assert_nonnull (strstr (result.err, "100%"));
      g_assert_nonnull (strstr (result.out, "(c) "));
      done = TRUE;
    }
  return out;
}

/* ---- CSV and HTML tables ----------------------------------------------- */

/* Rows of fields of an RFC 4180 CSV text. */
static GPtrArray *
parse_csv (const char *text)
{
  GPtrArray *rows = g_ptr_array_new_with_free_func ((GDestroyNotify) g_ptr_array_unref);
  GPtrArray *row = g_ptr_array_new_with_free_func (g_free);
  GString *field = g_string_new (NULL);
  gboolean quoted = FALSE;

  for (const char *p = text; *p != '\0'; p++)
    {
      if (quoted)
        {
          if (*p == '"' && p[1] == '"')
            g_string_append_c (field, *p++);
          else if (*p == '"')
            quoted = FALSE;
          else
            g_string_append_c (field, *p);
        }
      else if (*p == '"')
        quoted = TRUE;
      else if (*p == ',')
        g_ptr_array_add (row, g_string_free (g_steal_pointer (&field), FALSE)), field = g_string_new (NULL);
      else if (*p == '\n')
        {
          g_ptr_array_add (row, g_string_free (g_steal_pointer (&field), FALSE));
          field = g_string_new (NULL);
          g_ptr_array_add (rows, row);
          row = g_ptr_array_new_with_free_func (g_free);
        }
      else
        g_string_append_c (field, *p);
    }
  g_string_free (field, TRUE);
  g_ptr_array_unref (row);
  return rows;
}

static char *
unescape_html (const char *text,
               gsize       length)
{
  static const char *const entities[][2] = {
    { "&amp;", "&" }, { "&lt;", "<" }, { "&gt;", ">" }, { "&quot;", "\"" }, { "&#39;", "'" },
    { "&apos;", "'" },
  };
  GString *out = g_string_new (NULL);

  for (gsize i = 0; i < length; i++)
    {
      gboolean replaced = FALSE;

      for (gsize e = 0; e < G_N_ELEMENTS (entities) && !replaced; e++)
        if (strncmp (text + i, entities[e][0], strlen (entities[e][0])) == 0)
          {
            g_string_append (out, entities[e][1]);
            i += strlen (entities[e][0]) - 1;
            replaced = TRUE;
          }
      if (!replaced)
        g_string_append_c (out, text[i]);
    }
  return g_string_free (out, FALSE);
}

/* The header and body cells of the HTML table of @name, row by row. */
static GPtrArray *
parse_html_table (const char *html,
                  const char *name)
{
  g_autofree char *start_tag = g_strdup_printf ("<table id=\"table-%s\"", name);
  const char *start = strstr (html, start_tag);
  const char *end;
  GPtrArray *rows = g_ptr_array_new_with_free_func ((GDestroyNotify) g_ptr_array_unref);

  g_assert_nonnull (start);
  end = strstr (start, "</table>");
  g_assert_nonnull (end);
  for (const char *tr = strstr (start, "<tr>"); tr != NULL && tr < end; tr = strstr (tr + 4, "<tr>"))
    {
      const char *tr_end = strstr (tr, "</tr>");
      GPtrArray *row = g_ptr_array_new_with_free_func (g_free);

      for (const char *cell = tr + 4; (cell = strstr (cell, "<t")) != NULL && cell < tr_end; )
        {
          const char *content = strchr (cell, '>') + 1;
          const char *close = strstr (content, "</t");

          if (cell[2] == 'd' || cell[2] == 'h')
            g_ptr_array_add (row, unescape_html (content, close - content));
          cell = close + 3;
        }
      g_ptr_array_add (rows, row);
    }
  return rows;
}

static void
assert_same_rows (GPtrArray  *a,
                  GPtrArray  *b,
                  const char *what)
{
  if (a->len != b->len)
    g_error ("%s: %u rows against %u", what, a->len, b->len);
  for (guint r = 0; r < a->len; r++)
    {
      GPtrArray *row_a = g_ptr_array_index (a, r), *row_b = g_ptr_array_index (b, r);

      g_assert_cmpuint (row_a->len, ==, row_b->len);
      for (guint i = 0; i < row_a->len; i++)
        if (!g_str_equal (g_ptr_array_index (row_a, i), g_ptr_array_index (row_b, i)))
          g_error ("%s row %u column %u: “%s” against “%s”", what, r, i,
                   (char *) g_ptr_array_index (row_a, i), (char *) g_ptr_array_index (row_b, i));
    }
}

static int
column (GPtrArray  *rows,
        const char *name)
{
  GPtrArray *header = g_ptr_array_index (rows, 0);

  for (guint i = 0; i < header->len; i++)
    if (g_str_equal (g_ptr_array_index (header, i), name))
      return i;
  g_error ("no column %s", name);
  return -1;
}

static const char *
cell (GPtrArray *rows,
      guint      row,
      int        column)
{
  return g_ptr_array_index ((GPtrArray *) g_ptr_array_index (rows, row), column);
}

/* ---- the cases --------------------------------------------------------- */

static const char *const tables[] = {
  "accuracy", "perturbations", "table3", "table3-paired", "neighbours", "misclassified",
  "confusion-pairs", "claims",
};

static void
test_report (void)
{
  const char *out = finished_study ();
  g_autofree char *html = read_text (out, "report.html");
  static const char *const sections[] = {
    "<h2>Method</h2>", "<h2>1. Accuracy per checkpoint</h2>", "<h2>2. Grad-CAM across training</h2>",
    "<h2>3. Perturbations as the paper did them</h2>", "<h2>4. The paper&apos;s Table 3 re-done</h2>",
    "<h2>5. The paper&apos;s claims, each tested</h2>",
  };
  guint images = 0;

  for (gsize i = 0; i < G_N_ELEMENTS (sections); i++)
    if (strstr (html, sections[i]) == NULL)
      g_error ("report.html lacks %s", sections[i]);
  for (char c = 'a'; c <= 'e'; c++)
    {
      g_autofree char *claim = g_strdup_printf ("<h3>(%c) ", c);

      g_assert_nonnull (strstr (html, claim));
    }
  g_assert_nonnull (strstr (html, "Verdict: "));
  /* The paper's figures beside the measured ones. */
  g_assert_nonnull (strstr (html, "<td>0.742100</td><td>0.877800</td>"));
  g_assert_nonnull (strstr (html, "0.005300"));
  /* Self-contained: every image embedded, nothing fetched. */
  for (const char *p = html; (p = strstr (p, "<img src=\"data:image/png;base64,")) != NULL; p++)
    images++;
  /* Random grid, one per early checkpoint that errs, five perturbations,
   * three charts; a checkpoint without mistakes says so instead. */
  {
    g_autofree char *misclassified = read_text (out, "misclassified.csv");
    guint erring = 0;

    for (int epoch = 1; epoch <= 3; epoch++)
      {
        g_autofree char *row = g_strdup_printf ("\n%d,", epoch);
        g_autofree char *none = g_strdup_printf ("Epoch %d misclassifies none", epoch);

        if (strstr (misclassified, row) != NULL)
          erring++;
        else
          g_assert_nonnull (strstr (html, none));
      }
    g_assert_cmpuint (erring, >=, 1);
    g_assert_cmpuint (images, ==, 1 + erring + 5 + 3);
  }
  g_assert_null (strstr (html, "src=\"http"));
  g_assert_null (strstr (html, "href=\"http"));
  g_assert_null (strstr (html, "@import"));
  /* The optional sections only when asked for. */
  g_assert_null (strstr (html, "Faithfulness of the heatmaps"));
  g_assert_null (strstr (html, "Randomisation sanity check"));
  /* The command that re-runs it, and the seed. */
  g_assert_nonnull (strstr (html, "--images 16 --seed 3"));

  for (gsize t = 0; t < G_N_ELEMENTS (tables); t++)
    {
      g_autofree char *name = g_strconcat (tables[t], ".csv", NULL);
      g_autofree char *csv = read_text (out, name);
      g_autoptr(GPtrArray) csv_rows = parse_csv (csv);
      g_autoptr(GPtrArray) html_rows = parse_html_table (html, tables[t]);

      g_assert_cmpuint (csv_rows->len, >=, 2);
      assert_same_rows (html_rows, csv_rows, name);
    }
}

/* The study's dataset-level numbers are camtrail-cli robustness's for the
 * same settings, byte for byte, and Table 3 is its occlude:20 rows. */
static void
test_same_as_robustness (void)
{
  const char *out = finished_study ();
  const char *robustness_out = study_out ("robustness");
  g_auto(Result) robustness = { 0 };
  g_autofree char *study_csv = read_text (out, "robustness.csv");
  g_autofree char *robustness_csv = NULL;
  g_autofree char *table3_csv = read_text (out, "table3.csv");
  g_autofree char *perturbations_csv = read_text (out, "perturbations.csv");
  g_autoptr(GPtrArray) rows = NULL, table3 = NULL, perturbations = NULL;
  guint found = 0;

  run_cli (&robustness, "robustness", "--run", run_dir, "--epochs", "0,1,2,3,4",
           "--perturb", "noise:0.1,rotate-random:30,occlude:20,occlude:5,occlude:10",
           "--images", IMAGES, "--rounds", "3", "--seed", SEED, "--threads", "2", "--quiet",
           "--out", robustness_out, NULL);
  g_assert_cmpint (robustness.status, ==, 0);
  robustness_csv = read_text (robustness_out, "robustness.csv");
  g_assert_cmpstr (study_csv, ==, robustness_csv);

  rows = parse_csv (robustness_csv);
  table3 = parse_csv (table3_csv);
  perturbations = parse_csv (perturbations_csv);
  g_assert_cmpuint (table3->len, ==, 1 + 5);
  for (guint r = 1; r < rows->len; r++)
    {
      if (!g_str_equal (cell (rows, r, column (rows, "perturbation")), "occlude:20"))
        continue;
      found++;
      g_assert_cmpstr (cell (table3, found, column (table3, "epoch")), ==,
                       cell (rows, r, column (rows, "epoch")));
      g_assert_cmpstr (cell (table3, found, column (table3, "confidence_drop")), ==,
                       cell (rows, r, column (rows, "confidence_drop")));
      g_assert_cmpstr (cell (table3, found, column (table3, "confidence_drop_ci95")), ==,
                       cell (rows, r, column (rows, "confidence_drop_ci95")));
    }
  g_assert_cmpuint (found, ==, 5);
  /* The perturbations table is robustness.csv's rows, in its order. */
  g_assert_cmpuint (perturbations->len, ==, rows->len);
  for (guint r = 1; r < rows->len; r++)
    for (guint c = 0; c < 4; c++)
      {
        static const char *const names[] = { "epoch", "accuracy", "confidence_drop", "pearson_ci95" };

        g_assert_cmpstr (cell (perturbations, r, column (perturbations, names[c])), ==,
                         cell (rows, r, column (rows, names[c])));
      }
}

static void
test_pdf (void)
{
  const char *out = finished_study ();
  g_autofree char *pdf = g_build_filename (out, "report.pdf", NULL);
  g_autofree char *prefix = g_build_filename (tmpdir, "page", NULL);
  const char *text_argv[] = { "pdftotext", "-layout", pdf, "-", NULL };
  const char *render_argv[] = { "pdftoppm", "-r", "30", "-png", pdf, prefix, NULL };
  g_auto(Result) text = { 0 }, render = { 0 };
  g_autoptr(GDir) dir = NULL;
  const char *name;
  guint pages = 0, numbered = 0;
  g_autofree char *pdftotext = g_find_program_in_path ("pdftotext");
  g_autofree char *pdftoppm = g_find_program_in_path ("pdftoppm");

  if (pdftotext == NULL || pdftoppm == NULL)
    g_error ("pdftotext and pdftoppm are needed (apt-get install poppler-utils)");

  run_argv (&text, text_argv);
  g_assert_cmpint (text.status, ==, 0);
  g_assert_nonnull (strstr (text.out, "Camtrail study of run"));
  g_assert_nonnull (strstr (text.out, "Table 3"));
  g_assert_nonnull (strstr (text.out, "Verdict:"));
  g_assert_nonnull (strstr (text.out, "0.005300"));
  for (guint page = 1; page < 100; page++)
    {
      g_autofree char *label = g_strdup_printf ("Page %u\n", page);

      numbered += strstr (text.out, label) != NULL;
    }

  run_argv (&render, render_argv);
  g_assert_cmpint (render.status, ==, 0);
  dir = g_dir_open (tmpdir, 0, NULL);
  while ((name = g_dir_read_name (dir)) != NULL)
    pages += g_str_has_prefix (name, "page") && g_str_has_suffix (name, ".png");
  g_assert_cmpuint (pages, >=, 3);
  g_assert_cmpuint (numbered, ==, pages);
}

/* Waits (polling, as the study runs in another process) for @path. */
static gboolean
wait_for_file (const char *path,
               GPid        pid)
{
  gint64 deadline = g_get_monotonic_time () + 180 * G_USEC_PER_SEC;

  while (!g_file_test (path, G_FILE_TEST_EXISTS))
    {
      if (g_get_monotonic_time () > deadline || waitpid (pid, NULL, WNOHANG) == pid)
        return FALSE;
      g_usleep (10000);
    }
  return TRUE;
}

static char *
dup_replaced (const char *text,
              const char *from,
              const char *to)
{
  g_auto(GStrv) parts = g_strsplit (text, from, -1);

  return g_strjoinv (to, parts);
}

static void
test_resume (void)
{
  const char *done = finished_study ();
  const char *out = study_out ("study-b");
  g_autofree char *part = g_build_filename (out, "parts", "robustness-002.json", NULL);
  g_autofree char *report = g_build_filename (out, "report.html", NULL);
  const char *argv[] = { g_getenv ("CAMTRAIL_CLI"), "study", "--run", run_dir, "--out", out,
                         "--images", IMAGES, "--seed", SEED, "--threads", "2", "--quiet", NULL };
  g_autoptr(GError) error = NULL;
  g_auto(Result) resumed = { 0 };
  GPid pid;

  g_spawn_async (NULL, (char **) argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL,
                 NULL, NULL, &pid, &error);
  g_assert_no_error (error);
  /* Killed in the middle: after the epoch-2 part, before the report. */
  g_assert_true (wait_for_file (part, pid));
  kill (pid, SIGKILL);
  waitpid (pid, NULL, 0);
  g_spawn_close_pid (pid);
  g_assert_false (g_file_test (report, G_FILE_TEST_EXISTS));

  run_study (&resumed, out);
  g_assert_cmpint (resumed.status, ==, 0);

  for (gsize t = 0; t < G_N_ELEMENTS (tables); t++)
    {
      g_autofree char *name = g_strconcat (tables[t], ".csv", NULL);
      g_autofree char *a = read_text (done, name);
      g_autofree char *b = read_text (out, name);

      g_assert_cmpstr (b, ==, a);
    }
  {
    g_autofree char *a = read_text (done, "robustness.csv");
    g_autofree char *b = read_text (out, "robustness.csv");
    g_autofree char *html_a = read_text (done, "report.html");
    g_autofree char *html_b = read_text (out, "report.html");
    g_autofree char *html_b_as_a = dup_replaced (html_b, out, done);

    g_assert_cmpstr (b, ==, a);
    /* The same report, but for the output folder it names. */
    g_assert_true (g_str_equal (html_b_as_a, html_a));
  }
}

/* --c10c adds the CIFAR-10-C section, whose numbers are camtrail-cli
 * robustness's with c10c:all for the same images and seed. */
static void
test_c10c (void)
{
  const char *out = study_out ("study-c10c");
  const char *robustness_out = study_out ("robustness-c10c");
  g_auto(Result) study = { 0 }, robustness = { 0 };
  g_autofree char *html = NULL, *study_csv = NULL, *robustness_csv = NULL, *summary = NULL;
  g_autoptr(GPtrArray) rows = NULL, html_rows = NULL;

  run_cli (&study, "study", "--run", run_dir, "--out", out, "--epochs", "3,4", "--images", "4",
           "--seed", SEED, "--c10c", "--threads", "2", "--quiet", NULL);
  g_assert_cmpint (study.status, ==, 0);
  run_cli (&robustness, "robustness", "--run", run_dir, "--epochs", "3,4", "--perturb", "c10c:all",
           "--images", "4", "--rounds", "1", "--seed", SEED, "--threads", "2", "--quiet",
           "--out", robustness_out, NULL);
  g_assert_cmpint (robustness.status, ==, 0);

  study_csv = read_text (out, "c10c-robustness.csv");
  robustness_csv = read_text (robustness_out, "robustness.csv");
  g_assert_cmpstr (study_csv, ==, robustness_csv);

  html = read_text (out, "report.html");
  g_assert_nonnull (strstr (html, "<h2>6. CIFAR-10-C summary</h2>"));
  summary = read_text (out, "c10c.csv");
  rows = parse_csv (summary);
  g_assert_cmpuint (rows->len, ==, 1 + 2);
  g_assert_cmpstr (cell (rows, 1, column (rows, "epoch")), ==, "3");
  html_rows = parse_html_table (html, "c10c");
  assert_same_rows (html_rows, rows, "c10c.csv");
  /* The baseline against itself: a CE of 1 where it errs at all. */
  g_assert_true (g_str_equal (cell (rows, 2, column (rows, "mce")), "1.000000") ||
                 g_str_equal (cell (rows, 2, column (rows, "mce")), ""));
}

/* --method and --layer reach every measurement: the study's numbers are
 * camtrail-cli robustness's with the same method and layer (the
 * heatmap-stability columns differ between methods and layers), and the
 * report states them; --quiet prints no progress. */
static void
test_method_layer_quiet (void)
{
  const char *out = study_out ("study-hirescam");
  const char *robustness_out = study_out ("robustness-hirescam");
  g_autoptr(GError) error = NULL;
  g_autoptr(CtManifest) manifest = ct_manifest_load (run_dir, &error);
  g_auto(Result) study = { 0 }, robustness = { 0 };
  g_autofree char *study_csv = NULL, *robustness_csv = NULL, *html = NULL, *option = NULL;
  const char *layer = NULL;

  g_assert_no_error (error);
  /* A layer other than the default, with a map of more than one cell. */
  for (guint i = 0; i < manifest->n_layers && layer == NULL; i++)
    if (g_strcmp0 (manifest->layers[i].name, manifest->default_layer) != 0 &&
        manifest->layers[i].height * manifest->layers[i].width > 1)
      layer = manifest->layers[i].name;
  g_assert_nonnull (layer);

  run_cli (&study, "study", "--run", run_dir, "--out", out, "--epochs", "3,4", "--images", "8",
           "--seed", SEED, "--method", "hirescam", "--layer", layer, "--threads", "2", "--quiet",
           NULL);
  g_assert_cmpint (study.status, ==, 0);
  g_assert_cmpstr (study.err, ==, "");
  run_cli (&robustness, "robustness", "--run", run_dir, "--epochs", "3,4",
           "--perturb", "noise:0.1,rotate-random:30,occlude:20,occlude:5,occlude:10",
           "--images", "8", "--rounds", "3", "--seed", SEED, "--method", "hirescam",
           "--layer", layer, "--threads", "2", "--quiet", "--out", robustness_out, NULL);
  g_assert_cmpint (robustness.status, ==, 0);

  study_csv = read_text (out, "robustness.csv");
  robustness_csv = read_text (robustness_out, "robustness.csv");
  g_assert_cmpstr (study_csv, ==, robustness_csv);

  html = read_text (out, "report.html");
  /* The command that re-runs it (the layer shell-quoted) and the method section. */
  g_assert_nonnull (strstr (html, "--method hirescam --layer "));
  option = g_strdup_printf ("CAM method hirescam at layer %s,", layer);
  g_assert_nonnull (strstr (html, option));
}

/* A file's inode: every writer here replaces a file by renaming a new one
 * over it, so a file rewritten has another. */
static guint64
inode (const char *path)
{
  GStatBuf buf;

  g_assert_cmpint (g_stat (path, &buf), ==, 0);
  return buf.st_ino;
}

/* --methods and --sanity add their sections, whose numbers are camtrail-cli
 * faithfulness's (and its --sanity's) for the same settings, byte for
 * byte, in the CSVs and the HTML alike, and in the PDF; each is a part a
 * second run reads back rather than measures. */
static void
test_faithfulness_sanity (void)
{
  const char *out = study_out ("study-faithfulness");
  const char *gradcam_out = study_out ("faithfulness-gradcam");
  const char *hirescam_out = study_out ("faithfulness-hirescam");
  g_autofree char *part = g_build_filename (out, "parts", "faithfulness-hirescam.csv", NULL);
  g_autofree char *sanity_part = g_build_filename (out, "parts", "sanity.csv", NULL);
  g_auto(Result) study = { 0 }, again = { 0 }, gradcam = { 0 }, hirescam = { 0 };
  g_autofree char *html = NULL;
  static const char *const pairs[][3] = {
    { "faithfulness-gradcam.csv", "faithfulness-gradcam", "faithfulness.csv" },
    { "faithfulness-hirescam.csv", "faithfulness-hirescam", "faithfulness.csv" },
    { "sanity.csv", "sanity", "sanity.csv" },
  };
  guint64 part_inode, sanity_inode;

  run_cli (&study, "study", "--run", run_dir, "--out", out, "--epochs", "0,3,4", "--images", "4",
           "--seed", SEED, "--methods", "gradcam,hirescam,gradcam", "--sanity",
           "--threads", "2", "--quiet", NULL);
  g_assert_cmpint (study.status, ==, 0);
  run_cli (&gradcam, "faithfulness", "--run", run_dir, "--epochs", "0,3,4", "--images", "4",
           "--seed", SEED, "--method", "gradcam", "--sanity", "--threads", "2", "--quiet",
           "--out", gradcam_out, NULL);
  g_assert_cmpint (gradcam.status, ==, 0);
  run_cli (&hirescam, "faithfulness", "--run", run_dir, "--epochs", "0,3,4", "--images", "4",
           "--seed", SEED, "--method", "hirescam", "--threads", "2", "--quiet",
           "--out", hirescam_out, NULL);
  g_assert_cmpint (hirescam.status, ==, 0);

  html = read_text (out, "report.html");
  g_assert_nonnull (strstr (html, "<h2>6. Faithfulness of the heatmaps</h2>"));
  g_assert_nonnull (strstr (html, "<h2>7. Randomisation sanity check</h2>"));
  /* A method named twice is measured and shown once. */
  g_assert_nonnull (strstr (html, "--methods gradcam,hirescam --sanity"));
  {
    const char *first = strstr (html, "<table id=\"table-faithfulness-gradcam\"");

    g_assert_nonnull (first);
    g_assert_null (strstr (first + 1, "<table id=\"table-faithfulness-gradcam\""));
  }
  for (gsize i = 0; i < G_N_ELEMENTS (pairs); i++)
    {
      g_autofree char *study_csv = read_text (out, pairs[i][0]);
      g_autofree char *cli_csv = read_text (i == 1 ? hirescam_out : gradcam_out, pairs[i][2]);
      g_autoptr(GPtrArray) rows = parse_csv (study_csv);
      g_autoptr(GPtrArray) html_rows = parse_html_table (html, pairs[i][1]);

      g_assert_cmpstr (study_csv, ==, cli_csv);
      /* Two checkpoints (and epoch 0) with their random rows, or the
       * sanity check's comparisons. */
      g_assert_cmpuint (rows->len, >=, 3);
      assert_same_rows (html_rows, rows, pairs[i][0]);
    }

  /* The PDF draws the same blocks: both sections, as text. */
  {
    g_autofree char *pdf = g_build_filename (out, "report.pdf", NULL);
    const char *text_argv[] = { "pdftotext", pdf, "-", NULL };
    g_auto(Result) text = { 0 };

    run_argv (&text, text_argv);
    g_assert_cmpint (text.status, ==, 0);
    g_assert_nonnull (strstr (text.out, "Faithfulness of the heatmaps"));
    g_assert_nonnull (strstr (text.out, "Randomisation sanity check"));
    g_assert_nonnull (strstr (text.out, "road_combined"));
  }

  /* Run again: the parts are read back, not measured. */
  part_inode = inode (part);
  sanity_inode = inode (sanity_part);
  run_cli (&again, "study", "--run", run_dir, "--out", out, "--epochs", "0,3,4", "--images", "4",
           "--seed", SEED, "--methods", "gradcam,hirescam,gradcam", "--sanity",
           "--threads", "2", "--quiet", NULL);
  g_assert_cmpint (again.status, ==, 0);
  g_assert_cmpuint (inode (part), ==, part_inode);
  g_assert_cmpuint (inode (sanity_part), ==, sanity_inode);
}

/* The study's robustness settings, with --data @data (nullable), computed
 * by camtrail-cli robustness into @out. */
static char *
robustness_csv (const char *out,
                const char *data)
{
  g_auto(Result) result = { 0 };

  run_cli (&result, "robustness", "--run", run_dir, "--epochs", "0,4",
           "--perturb", "noise:0.1,rotate-random:30,occlude:20,occlude:5,occlude:10",
           "--images", "8", "--rounds", "3", "--seed", SEED, "--threads", "2", "--quiet",
           "--out", out, data != NULL ? "--data" : NULL, data, NULL);
  g_assert_cmpint (result.status, ==, 0);
  return read_text (out, "robustness.csv");
}

/* A device refused with one line naming @name, before any report. */
static void
assert_device_refused (const Result *result,
                       const char   *out,
                       const char   *name)
{
  g_autofree char *report = g_build_filename (out, "report.html", NULL);
  g_autofree char *message = g_ascii_strdown (result->err, -1);

  g_test_message ("--device %s: %s", name, result->err);
  g_assert_cmpint (result->status, ==, 1);
  g_assert_nonnull (strstr (message, name));
  g_assert_true (strchr (result->err, '\n') == result->err + strlen (result->err) - 1);
  g_assert_false (g_file_test (report, G_FILE_TEST_EXISTS));
}

/* --batch-size, --data and --device.  Images go through the CAM calls in
 * batches of --batch-size: the progress counts one step per figure (the
 * random one and five perturbed), then per epoch and batch one for the
 * clean images and one per perturbation, then one per batch of the
 * neighbouring-checkpoints part; 8 images, epochs 0 and 4: batches of 64
 * (one batch) give 1 + 5 + 2 × 1 × 6 + 1 = 19 steps, of 3 (three batches)
 * 1 + 5 + 2 × 3 × 6 + 3 = 45, and the same numbers.  --device cpu is the
 * default; cuda runs only where libtorch has CUDA, else it is refused in
 * one line, as an unknown device is.  --data measures another copy of the
 * dataset (the same labels, other pixels): camtrail-cli robustness's
 * numbers on that copy, not the run's, even in a folder holding a study of
 * the run's own dataset. */
static void
test_batch_data_device (void)
{
  const char *out = study_out ("study-options");
  const char *batched_out = study_out ("study-batch-3");
  const char *cuda_out = study_out ("study-cuda");
  g_autofree char *other = g_build_filename (tmpdir, "other-squares", NULL);
  g_auto(Result) plain = { 0 }, batched = { 0 }, elsewhere = { 0 }, cuda = { 0 }, abacus = { 0 };
  g_autofree char *plain_csv = NULL, *plain_table3 = NULL, *batched_csv = NULL;
  g_autofree char *batched_table3 = NULL, *other_csv = NULL, *robustness_other = NULL;

  run_cli (&plain, "study", "--run", run_dir, "--out", out, "--epochs", "0,4", "--images", "8",
           "--seed", SEED, "--threads", "2", NULL);
  g_assert_cmpint (plain.status, ==, 0);
  g_assert_nonnull (strstr (plain.err, " 19/19 "));
  plain_csv = read_text (out, "robustness.csv");
  plain_table3 = read_text (out, "table3.csv");

  run_cli (&batched, "study", "--run", run_dir, "--out", batched_out, "--epochs", "0,4",
           "--images", "8", "--seed", SEED, "--threads", "2", "--batch-size", "3",
           "--device", "cpu", NULL);
  g_assert_cmpint (batched.status, ==, 0);
  g_assert_nonnull (strstr (batched.err, " 45/45 "));
  {
    g_autofree char *html = read_text (batched_out, "report.html");

    /* The report's re-run command keeps the batch size. */
    g_assert_nonnull (strstr (html, " --batch-size 3"));
  }
  batched_csv = read_text (batched_out, "robustness.csv");
  batched_table3 = read_text (batched_out, "table3.csv");
  g_assert_cmpstr (batched_csv, ==, plain_csv);
  g_assert_cmpstr (batched_table3, ==, plain_table3);

  run_cli (&cuda, "study", "--run", run_dir, "--out", cuda_out, "--epochs", "0,4", "--images", "8",
           "--seed", SEED, "--threads", "2", "--device", "cuda", "--quiet", NULL);
  if (cuda.status != 0)
    assert_device_refused (&cuda, cuda_out, "cuda");
  else
    {
      g_autofree char *report = g_build_filename (cuda_out, "report.html", NULL);

      g_test_message ("this libtorch has CUDA: the study ran there");
      g_assert_true (g_file_test (report, G_FILE_TEST_IS_REGULAR));
    }
  run_cli (&abacus, "study", "--run", run_dir, "--out", cuda_out, "--epochs", "0,4",
           "--images", "8", "--seed", SEED, "--threads", "2", "--device", "abacus", "--quiet",
           NULL);
  assert_device_refused (&abacus, cuda_out, "abacus");

  g_mkdir (other, 0755);
  g_free (ct_test_write_squares (other, 64, 64, 9));
  robustness_other = robustness_csv (study_out ("robustness-other-squares"), other);
  run_cli (&elsewhere, "study", "--run", run_dir, "--out", out, "--epochs", "0,4", "--images", "8",
           "--seed", SEED, "--threads", "2", "--data", other, "--quiet", NULL);
  g_assert_cmpint (elsewhere.status, ==, 0);
  other_csv = read_text (out, "robustness.csv");
  g_assert_cmpstr (other_csv, ==, robustness_other);
  g_assert_cmpstr (other_csv, !=, plain_csv);
  {
    g_autofree char *html = read_text (out, "report.html");
    g_autofree char *quoted = g_shell_quote (other);
    g_autofree char *expected = g_strdup_printf (" --data %s --out ", quoted);
    g_autofree char *escaped = g_markup_escape_text (expected, -1);

    /* The report's re-run command measures the same copy again. */
    g_assert_nonnull (strstr (html, escaped));
  }
}

static void
test_usage (void)
{
  g_auto(Result) no_out = { 0 }, few_images = { 0 }, one_epoch = { 0 }, no_run = { 0 };
  g_auto(Result) bad_method = { 0 };

  run_cli (&no_out, "study", "--run", run_dir, NULL);
  g_assert_cmpint (no_out.status, ==, 2);
  g_assert_nonnull (strstr (no_out.err, "--out"));
  run_cli (&few_images, "study", "--run", run_dir, "--out", tmpdir, "--images", "1", NULL);
  g_assert_cmpint (few_images.status, ==, 2);
  run_cli (&one_epoch, "study", "--run", run_dir, "--out", tmpdir, "--epochs", "2", NULL);
  g_assert_cmpint (one_epoch.status, ==, 2);
  g_assert_nonnull (strstr (one_epoch.err, "two checkpoints"));
  /* An unknown faithfulness method is refused before anything is measured. */
  run_cli (&bad_method, "study", "--run", run_dir, "--out", tmpdir, "--methods", "gradcam,nosuch",
           NULL);
  g_assert_cmpint (bad_method.status, ==, 2);
  g_assert_nonnull (strstr (bad_method.err, "--methods: unknown method “nosuch”"));
  g_assert_true (strchr (bad_method.err, '\n') == bad_method.err + strlen (bad_method.err) - 1);
  run_cli (&no_run, "study", "--run", "/nonexistent/run", "--out", tmpdir, NULL);
  g_assert_cmpint (no_run.status, ==, 1);
  g_assert_nonnull (strstr (no_run.err, "/nonexistent/run"));
}

int
main (int    argc,
      char **argv)
{
  g_auto(Result) train = { 0 };
  int status;

  g_test_init (&argc, &argv, NULL);
  g_assert_nonnull (g_getenv ("CAMTRAIL_CLI"));
  tmpdir = ct_test_make_tmpdir ();
  g_setenv ("XDG_CACHE_HOME", tmpdir, TRUE);
  data_dir = g_build_filename (tmpdir, "squares", NULL);
  run_dir = g_build_filename (tmpdir, "run", NULL);
  g_mkdir (data_dir, 0755);
  g_free (ct_test_write_squares (data_dir, 256, 64, 1));
  run_cli (&train, "train", "--data", data_dir, "--arch", "camtrail_net", "--width", "8",
           "--epochs", "4", "--batch-size", "64", "--threads", "2", "--quiet", "--out", run_dir, NULL);
  g_assert_cmpint (train.status, ==, 0);

  g_test_add_func ("/cli-study/report", test_report);
  g_test_add_func ("/cli-study/same-as-robustness", test_same_as_robustness);
  g_test_add_func ("/cli-study/pdf", test_pdf);
  g_test_add_func ("/cli-study/resume", test_resume);
  g_test_add_func ("/cli-study/c10c", test_c10c);
  g_test_add_func ("/cli-study/method-layer-quiet", test_method_layer_quiet);
  g_test_add_func ("/cli-study/faithfulness-sanity", test_faithfulness_sanity);
  g_test_add_func ("/cli-study/batch-data-device", test_batch_data_device);
  g_test_add_func ("/cli-study/usage", test_usage);

  status = g_test_run ();
  ct_test_remove_tree (tmpdir);
  return status;
}
