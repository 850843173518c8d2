/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "ct-study-report.h"

#include <cairo-pdf.h>
#include <errno.h>
#include <gio/gio.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <math.h>

#include "ct-draw.h"
#include "ct-figure.h"
#include "ct-robustness-plot.h"

/* The report as a list of blocks, built once and drawn twice (HTML, PDF),
 * so the two say the same. */
typedef enum {
  BLOCK_TITLE,
  BLOCK_HEADING,
  BLOCK_SUBHEADING,
  BLOCK_PARAGRAPH,
  BLOCK_VERDICT,
  BLOCK_TABLE,
  BLOCK_FIGURE,
  BLOCK_CHART,
} BlockKind;

typedef struct {
  BlockKind           kind;
  char               *text;     /* headings, paragraphs, figure captions */
  const CtStudyTable *table;
  char               *path;     /* a figure's PNG */
  CtRobustnessChart   chart;
} Block;

static void
block_free (gpointer data)
{
  Block *block = data;

  g_free (block->text);
  g_free (block->path);
  g_free (block);
}

static Block *
add_block (GPtrArray  *blocks,
           BlockKind   kind,
           char       *text)
{
  Block *block = g_new0 (Block, 1);

  block->kind = kind;
  block->text = text;
  g_ptr_array_add (blocks, block);
  return block;
}

static void
add_table (GPtrArray  *blocks,
           GPtrArray  *tables,
           const char *name)
{
  for (guint i = 0; i < tables->len; i++)
    {
      const CtStudyTable *table = g_ptr_array_index (tables, i);

      if (g_str_equal (table->name, name))
        add_block (blocks, BLOCK_TABLE, NULL)->table = table;
    }
}

static void
add_figure (GPtrArray  *blocks,
            const char *path,
            char       *caption)
{
  if (path == NULL)
    {
      g_free (caption);
      return;
    }
  add_block (blocks, BLOCK_FIGURE, caption)->path = g_strdup (path);
}

static char *
dup_epochs (const CtStudyResult *result)
{
  g_autoptr(GString) text = g_string_new (NULL);

  for (guint e = 0; e < result->n_epochs; e++)
    g_string_append_printf (text, "%s%d", e > 0 ? "," : "", result->epochs[e]);
  return g_string_free (g_steal_pointer (&text), FALSE);
}

static GPtrArray *
build_blocks (const CtStudyResult *result,
              GPtrArray           *tables)
{
  GPtrArray *blocks = g_ptr_array_new_with_free_func (block_free);
  g_autofree char *epochs = dup_epochs (result);
  /* Formatted apart so the translated messages hold a plain %s. */
  g_autofree char *seed = g_strdup_printf ("%" G_GUINT64_FORMAT, result->seed);
  guint section = 6;  /* the optional sections', after the paper's five */

  add_block (blocks, BLOCK_TITLE, g_strdup_printf (_("Camtrail study of %s"), result->run_name));
  add_block (blocks, BLOCK_PARAGRAPH,
             g_strdup_printf (_("This report re-runs the protocol of “Bridging Accuracy, "
                                "Interpretability, and Robustness … Grad-CAM Across Training "
                                "Stages” on the run %s and tests each of the paper's claims on "
                                "%u test images with 95%% intervals, where the paper judged a "
                                "handful of images by eye."),
                              result->run_name, result->n_images));

  add_block (blocks, BLOCK_HEADING, g_strdup (_("Method")));
  add_block (blocks, BLOCK_PARAGRAPH,
             g_strdup_printf (_("Run %s (%s, %s at %d px, classes from its manifest), dataset %s. "
                                "Checkpoints (epochs) %s. Dataset-level tables over %u test images "
                                "drawn with seed %s, each perturbation drawn %u "
                                "times per image; every random draw (images, noise, angles, "
                                "occluded pixels, the misclassified scan) comes from seed "
                                "%s and the image index and round, so every "
                                "checkpoint sees the same perturbed images."),
                              result->run_dir, result->arch, result->dataset, result->input_size,
                              result->dataset_path != NULL ? result->dataset_path : "",
                              epochs, result->n_images, seed, result->n_rounds, seed));
  add_block (blocks, BLOCK_PARAGRAPH,
             g_strdup_printf (_("Perturbations (in [0, 1] pixel space before normalisation, then "
                                "clipped): %s — Gaussian noise σ 0.1, a random rotation in ±30° "
                                "(nearest neighbour, corners filled with 0), and 20, 5 and 10 "
                                "occluded pixels set to 0. CAM method %s at layer %s, explaining "
                                "the predicted class; per-image min-max scaling. Confidence drop "
                                "= p(c | clean) − p(c | perturbed), c the clean prediction; the "
                                "max-probability variant beside it. Intervals are Student-t 95%% "
                                "intervals of the mean over images × rounds; differences between "
                                "checkpoints or perturbations are paired (same image, same draw)."),
                              CT_STUDY_PERTURBATIONS, result->method, result->layer));
  add_block (blocks, BLOCK_PARAGRAPH,
             g_strdup_printf (_("Software: Camtrail %s with libtorch %s (the run was trained "
                                "with libtorch %s). To re-run exactly: %s"),
                              result->camtrail_version, result->torch_version,
                              result->run_torch_version != NULL ? result->run_torch_version : "?",
                              result->command != NULL ? result->command : ""));

  add_block (blocks, BLOCK_HEADING, g_strdup (_("1. Accuracy per checkpoint")));
  add_table (blocks, tables, "accuracy");

  add_block (blocks, BLOCK_HEADING, g_strdup (_("2. Grad-CAM across training")));
  if (result->random_figure != NULL)
    add_figure (blocks, result->random_figure->path,
                g_strdup_printf (_("%u seeded random test images (seed %s), clean, at every "
                                   "checkpoint."),
                                 CT_STUDY_GRID_IMAGES, seed));
  for (guint m = 0; m < result->mistakes->len; m++)
    {
      const CtStudyMistakes *mistakes = g_ptr_array_index (result->mistakes, m);

      if (mistakes->n_images == 0)
        add_block (blocks, BLOCK_PARAGRAPH,
                   g_strdup_printf (_("Epoch %d misclassifies none of the test images."),
                                    mistakes->epoch));
      else
        add_figure (blocks, mistakes->figure,
                    g_strdup_printf (_("The first %u test images epoch %d misclassifies "
                                       "(seeded shuffled scan), at every checkpoint."),
                                     mistakes->n_images, mistakes->epoch));
    }
  add_table (blocks, tables, "misclassified");
  add_table (blocks, tables, "confusion-pairs");

  add_block (blocks, BLOCK_HEADING, g_strdup (_("3. Perturbations as the paper did them")));
  for (guint f = 0; f < result->figures->len; f++)
    {
      const CtStudyFigure *figure = g_ptr_array_index (result->figures, f);

      add_figure (blocks, figure->path,
                  g_strdup_printf (_("The same images under %s, %u rounds each."),
                                   figure->title, result->n_rounds));
    }
  add_table (blocks, tables, "perturbations");
  add_block (blocks, BLOCK_CHART, NULL)->chart = CT_ROBUSTNESS_CHART_ACCURACY;
  add_block (blocks, BLOCK_CHART, NULL)->chart = CT_ROBUSTNESS_CHART_CONFIDENCE_DROP;
  add_block (blocks, BLOCK_CHART, NULL)->chart = CT_ROBUSTNESS_CHART_PEARSON;

  add_block (blocks, BLOCK_HEADING, g_strdup (_("4. The paper's Table 3 re-done")));
  add_table (blocks, tables, "table3");
  add_table (blocks, tables, "table3-paired");

  add_block (blocks, BLOCK_HEADING, g_strdup (_("5. The paper's claims, each tested")));
  for (guint c = 0; c < CT_STUDY_N_CLAIMS; c++)
    {
      const CtStudyAssessment *assessment = result->claims[c];
      g_autofree char *verdict = NULL;

      if (assessment == NULL)
        continue;
      if (assessment->verdict == CT_STUDY_VERDICT_INCONCLUSIVE)
        verdict = g_strdup_printf (_("inconclusive at %u images"), result->n_images);
      else
        verdict = g_strdup (_(ct_study_verdict_to_string (assessment->verdict)));
      add_block (blocks, BLOCK_SUBHEADING,
                 g_strdup_printf ("(%c) %s", 'a' + c, _(ct_study_claim_statement (c))));
      add_block (blocks, BLOCK_PARAGRAPH,
                 g_strdup_printf (_("Test: %s"), _(ct_study_claim_test (c))));
      add_block (blocks, BLOCK_VERDICT,
                 assessment->note != NULL
                   ? g_strdup_printf (_("Verdict: %s (%s)."), verdict, assessment->note)
                   : g_strdup_printf (_("Verdict: %s."), verdict));
      if (c == CT_STUDY_CLAIM_CONSISTENCY)
        add_table (blocks, tables, "neighbours");
    }
  add_table (blocks, tables, "claims");

  if (result->c10c != NULL)
    {
      add_block (blocks, BLOCK_HEADING, g_strdup_printf (_("%u. CIFAR-10-C summary"), section++));
      add_table (blocks, tables, "c10c");
    }
  if (result->faithfulness != NULL && result->faithfulness->len > 0)
    {
      add_block (blocks, BLOCK_HEADING,
                 g_strdup_printf (_("%u. Faithfulness of the heatmaps"), section++));
      add_block (blocks, BLOCK_PARAGRAPH,
                 g_strdup_printf (_("Each checkpoint's heatmaps of the study's %u images, and "
                                    "seeded random heatmaps beside them as the baseline every "
                                    "number is read against: deletion and insertion AUC "
                                    "(Petsiuk et al.), %g of the pixels a step towards a zero "
                                    "baseline; Average Drop and Increase in Confidence "
                                    "(Chattopadhyay et al.); ROAD (Rong et al.) with "
                                    "imputation noise σ %g. camtrail-cli faithfulness with "
                                    "the same checkpoints, images, seed, method and layer "
                                    "gives the same numbers."),
                                  result->n_images, CT_STUDY_FAITHFULNESS_STEP,
                                  CT_STUDY_FAITHFULNESS_ROAD_NOISE));
      for (guint i = 0; i < result->faithfulness->len; i++)
        add_table (blocks, tables,
                   ((const CtStudyExtra *) g_ptr_array_index (result->faithfulness, i))->name);
    }
  if (result->sanity != NULL)
    {
      add_block (blocks, BLOCK_HEADING,
                 g_strdup_printf (_("%u. Randomisation sanity check"), section++));
      add_block (blocks, BLOCK_PARAGRAPH,
                 g_strdup_printf (_("After Adebayo et al.: %s's maps of the true class for the "
                                    "study's %u images, compared image by image with the "
                                    "untrained network's (epoch 0) and with the last "
                                    "checkpoint's layers re-randomised cumulatively from the "
                                    "output down. Maps that stay alike explain the input, not "
                                    "the model. camtrail-cli faithfulness --sanity gives the "
                                    "same numbers."),
                                  result->sanity->method, result->n_images));
      add_table (blocks, tables, "sanity");
    }
  return blocks;
}

/* ---- charts ------------------------------------------------------------- */

static char *
dup_chart_path (const char        *figures_dir,
                CtRobustnessChart  chart)
{
  g_autofree char *name = g_strconcat (ct_robustness_chart_to_string (chart), ".png", NULL);

  return g_build_filename (figures_dir, name, NULL);
}

gboolean
ct_study_report_write_charts (const CtStudyResult *result,
                              const char          *figures_dir,
                              GError             **error)
{
  for (CtRobustnessChart chart = 0; chart < CT_ROBUSTNESS_N_CHARTS; chart++)
    {
      g_autofree char *path = dup_chart_path (figures_dir, chart);

      if (!ct_robustness_chart_write_png (result->robustness, chart, 1.5, path, error))
        return FALSE;
    }
  return TRUE;
}

/* ---- HTML --------------------------------------------------------------- */

static void
append_escaped (GString    *html,
                const char *text)
{
  g_autofree char *escaped = g_markup_escape_text (text, -1);

  g_string_append (html, escaped);
}

static gboolean
append_image (GString     *html,
              const char  *path,
              const char  *alt,
              GError     **error)
{
  g_autofree char *contents = NULL;
  g_autofree char *encoded = NULL;
  gsize length;

  if (!g_file_get_contents (path, &contents, &length, error))
    return FALSE;
  encoded = g_base64_encode ((const guchar *) contents, length);
  g_string_append (html, "<img src=\"data:image/png;base64,");
  g_string_append (html, encoded);
  g_string_append (html, "\" alt=\"");
  append_escaped (html, alt);
  g_string_append (html, "\">");
  return TRUE;
}

static void
append_table_html (GString            *html,
                   const CtStudyTable *table)
{
  g_string_append_printf (html, "<table id=\"table-%s\" data-csv=\"%s.csv\">\n<caption>",
                          table->name, table->name);
  append_escaped (html, table->title);
  g_string_append_printf (html, " <a href=\"%s.csv\">(%s.csv)</a>", table->name, table->name);
  if (table->caption != NULL)
    {
      g_string_append (html, "<br><small>");
      append_escaped (html, table->caption);
      g_string_append (html, "</small>");
    }
  g_string_append (html, "</caption>\n<thead><tr>");
  for (guint i = 0; table->columns[i] != NULL; i++)
    {
      g_string_append (html, "<th>");
      append_escaped (html, table->columns[i]);
      g_string_append (html, "</th>");
    }
  g_string_append (html, "</tr></thead>\n<tbody>\n");
  for (guint r = 0; r < table->rows->len; r++)
    {
      char **row = g_ptr_array_index (table->rows, r);

      g_string_append (html, "<tr>");
      for (guint i = 0; row[i] != NULL; i++)
        {
          g_string_append (html, "<td>");
          append_escaped (html, row[i]);
          g_string_append (html, "</td>");
        }
      g_string_append (html, "</tr>\n");
    }
  g_string_append (html, "</tbody></table>\n");
}

static const char style_sheet[] =
  "body{font-family:sans-serif;max-width:60em;margin:2em auto;padding:0 1em;color:#222}"
  "table{border-collapse:collapse;margin:1em 0;font-size:.8em}"
  "caption{text-align:left;font-weight:bold;margin-bottom:.3em}"
  "caption small{font-weight:normal}"
  "th,td{border:1px solid #bbb;padding:.2em .4em;text-align:right}"
  "th{background:#eee}"
  "figure{margin:1em 0}figure img{max-width:100%;height:auto}"
  ".verdict{font-weight:bold}"
  "@media print{body{max-width:none}figure,table{page-break-inside:avoid}}";

gboolean
ct_study_report_write_html (const CtStudyResult *result,
                            GPtrArray           *tables,
                            const char          *figures_dir,
                            const char          *path,
                            GError             **error)
{
  g_autoptr(GPtrArray) blocks = build_blocks (result, tables);
  g_autoptr(GString) html = g_string_new ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
                                          "<meta charset=\"utf-8\">\n<title>");

  append_escaped (html, ((Block *) g_ptr_array_index (blocks, 0))->text);
  g_string_append_printf (html, "</title>\n<meta name=\"generator\" content=\"Camtrail %s\">\n"
                          "<style>%s</style>\n</head>\n<body>\n", PACKAGE_VERSION, style_sheet);

  for (guint b = 0; b < blocks->len; b++)
    {
      const Block *block = g_ptr_array_index (blocks, b);

      switch (block->kind)
        {
        case BLOCK_TITLE:
        case BLOCK_HEADING:
        case BLOCK_SUBHEADING:
          {
            int level = block->kind == BLOCK_TITLE ? 1 : block->kind == BLOCK_HEADING ? 2 : 3;

            g_string_append_printf (html, "<h%d>", level);
            append_escaped (html, block->text);
            g_string_append_printf (html, "</h%d>\n", level);
          }
          break;
        case BLOCK_PARAGRAPH:
        case BLOCK_VERDICT:
          g_string_append (html, block->kind == BLOCK_VERDICT ? "<p class=\"verdict\">" : "<p>");
          append_escaped (html, block->text);
          g_string_append (html, "</p>\n");
          break;
        case BLOCK_TABLE:
          append_table_html (html, block->table);
          break;
        case BLOCK_FIGURE:
        case BLOCK_CHART:
          {
            g_autofree char *chart_path = NULL;
            const char *image = block->path;
            const char *caption = block->text;

            if (block->kind == BLOCK_CHART)
              {
                image = chart_path = dup_chart_path (figures_dir, block->chart);
                caption = ct_robustness_chart_to_string (block->chart);
              }
            g_string_append (html, "<figure>");
            if (!append_image (html, image, caption, error))
              return FALSE;
            g_string_append (html, "<figcaption>");
            append_escaped (html, caption);
            g_string_append (html, "</figcaption></figure>\n");
          }
          break;
        }
    }
  g_string_append (html, "</body>\n</html>\n");
  return g_file_set_contents_full (path, html->str, html->len,
                                   G_FILE_SET_CONTENTS_CONSISTENT, 0644, error);
}

/* ---- PDF ---------------------------------------------------------------- */

/* A4 in points, and the margins. */
#define PAGE_WIDTH   595.276
#define PAGE_HEIGHT  841.890
#define MARGIN       50.0
#define TEXT_WIDTH   (PAGE_WIDTH - 2 * MARGIN)
#define BOTTOM       (PAGE_HEIGHT - MARGIN)

typedef struct {
  cairo_t *cr;
  double   y;
  int      page;
} Pdf;

static void
finish_page (Pdf *pdf)
{
  g_autofree char *number = g_strdup_printf (_("Page %d"), pdf->page);

  ct_draw_set_font (pdf->cr, 8, FALSE);
  ct_draw_set_color (pdf->cr, &ct_draw_secondary_color);
  ct_draw_show_text_at (pdf->cr, number, (PAGE_WIDTH - ct_draw_text_width (pdf->cr, number)) / 2,
                        PAGE_HEIGHT - MARGIN / 2);
  cairo_show_page (pdf->cr);
  pdf->page++;
  pdf->y = MARGIN;
}

static void
need (Pdf    *pdf,
      double  height)
{
  if (pdf->y + height > BOTTOM && pdf->y > MARGIN)
    finish_page (pdf);
}

/* Draws @text wrapped at word boundaries to the text width. */
static void
pdf_text (Pdf        *pdf,
          const char *text,
          double      size,
          gboolean    bold,
          double      space_after)
{
  g_auto(GStrv) words = g_strsplit (text, " ", -1);
  g_autoptr(GString) line = g_string_new (NULL);
  double line_height = size * 1.35;

  ct_draw_set_font (pdf->cr, size, bold);
  for (guint i = 0; words[i] != NULL; i++)
    {
      g_autofree char *trial = line->len > 0 ? g_strconcat (line->str, " ", words[i], NULL)
                                             : g_strdup (words[i]);

      if (line->len > 0 && ct_draw_text_width (pdf->cr, trial) > TEXT_WIDTH)
        {
          need (pdf, line_height);
          ct_draw_set_font (pdf->cr, size, bold);
          ct_draw_set_color (pdf->cr, &ct_draw_text_color);
          ct_draw_show_text_at (pdf->cr, line->str, MARGIN, pdf->y + size);
          pdf->y += line_height;
          g_string_assign (line, words[i]);
        }
      else
        g_string_assign (line, trial);
    }
  if (line->len > 0)
    {
      need (pdf, line_height);
      ct_draw_set_font (pdf->cr, size, bold);
      ct_draw_set_color (pdf->cr, &ct_draw_text_color);
      ct_draw_show_text_at (pdf->cr, line->str, MARGIN, pdf->y + size);
      pdf->y += line_height;
    }
  pdf->y += space_after;
}

static void
pdf_table (Pdf                *pdf,
           const CtStudyTable *table)
{
  guint n = g_strv_length (table->columns);
  g_autofree double *widths = g_new0 (double, n);
  double size = 7, total = 0, padding = 8, row_height;

  pdf_text (pdf, table->title, 9, TRUE, 2);
  if (table->caption != NULL)
    pdf_text (pdf, table->caption, 7, FALSE, 2);

  /* Column widths at 7 pt; the whole table shrinks to the text width. */
  for (guint i = 0; i < n; i++)
    {
      ct_draw_set_font (pdf->cr, size, TRUE);
      widths[i] = ct_draw_text_width (pdf->cr, table->columns[i]);
      ct_draw_set_font (pdf->cr, size, FALSE);
      for (guint r = 0; r < table->rows->len; r++)
        widths[i] = MAX (widths[i], ct_draw_text_width (pdf->cr, ((char **) g_ptr_array_index (table->rows, r))[i]));
      total += widths[i] + padding;
    }
  if (total > TEXT_WIDTH)
    {
      size *= TEXT_WIDTH / total;
      for (guint i = 0; i < n; i++)
        widths[i] *= TEXT_WIDTH / total;
      padding *= TEXT_WIDTH / total;
    }
  row_height = size * 1.5;

  for (int r = -1; r < (int) table->rows->len; r++)
    {
      char **cells = r < 0 ? table->columns : g_ptr_array_index (table->rows, r);
      double x = MARGIN;

      need (pdf, row_height);
      ct_draw_set_font (pdf->cr, size, r < 0);
      ct_draw_set_color (pdf->cr, &ct_draw_text_color);
      for (guint i = 0; i < n; i++)
        {
          ct_draw_show_text_at (pdf->cr, cells[i], x, pdf->y + size);
          x += widths[i] + padding;
        }
      pdf->y += row_height;
      if (r < 0)
        {
          cairo_set_line_width (pdf->cr, 0.5);
          cairo_move_to (pdf->cr, MARGIN, pdf->y - size * 0.2);
          cairo_line_to (pdf->cr, MARGIN + MIN (TEXT_WIDTH, total), pdf->y - size * 0.2);
          cairo_stroke (pdf->cr);
        }
    }
  pdf->y += 10;
}

static gboolean
pdf_figure (Pdf         *pdf,
            const char  *path,
            const char  *caption,
            GError     **error)
{
  g_autoptr(cairo_surface_t) image = cairo_image_surface_create_from_png (path);
  double width, height, scale;

  if (cairo_surface_status (image) != CAIRO_STATUS_SUCCESS)
    {
      g_set_error (error, CT_FIGURE_ERROR, CT_FIGURE_ERROR_CAIRO, "Could not read %s: %s",
                   path, cairo_status_to_string (cairo_surface_status (image)));
      return FALSE;
    }
  width = cairo_image_surface_get_width (image);
  height = cairo_image_surface_get_height (image);
  /* Pixels at 96 dpi, shrunk to the text width and to most of a page. */
  scale = MIN (0.75, MIN (TEXT_WIDTH / width, (BOTTOM - MARGIN - 60) / height));
  need (pdf, height * scale + 30);
  cairo_save (pdf->cr);
  cairo_translate (pdf->cr, MARGIN, pdf->y);
  cairo_scale (pdf->cr, scale, scale);
  cairo_set_source_surface (pdf->cr, image, 0, 0);
  cairo_paint (pdf->cr);
  cairo_restore (pdf->cr);
  pdf->y += height * scale + 4;
  pdf_text (pdf, caption, 8, FALSE, 8);
  return TRUE;
}

static void
pdf_chart (Pdf                 *pdf,
           const CtStudyResult *result,
           CtRobustnessChart    chart)
{
  double width, height, scale;

  ct_robustness_chart_get_size (result->robustness, &width, &height);
  scale = TEXT_WIDTH / width;
  need (pdf, height * scale + 10);
  cairo_save (pdf->cr);
  cairo_translate (pdf->cr, MARGIN, pdf->y);
  cairo_scale (pdf->cr, scale, scale);
  ct_robustness_chart_draw (pdf->cr, width, height, result->robustness, chart);
  cairo_restore (pdf->cr);
  pdf->y += height * scale + 10;
}

gboolean
ct_study_report_write_pdf (const CtStudyResult *result,
                           GPtrArray           *tables,
                           const char          *path,
                           GError             **error)
{
  g_autoptr(GPtrArray) blocks = build_blocks (result, tables);
  g_autofree char *tmp_path = g_strconcat (path, ".tmp", NULL);
  g_autoptr(cairo_surface_t) surface = cairo_pdf_surface_create (tmp_path, PAGE_WIDTH, PAGE_HEIGHT);
  Pdf pdf = { NULL, MARGIN, 1 };
  cairo_status_t status;

  cairo_pdf_surface_set_metadata (surface, CAIRO_PDF_METADATA_TITLE,
                                  ((Block *) g_ptr_array_index (blocks, 0))->text);
  cairo_pdf_surface_set_metadata (surface, CAIRO_PDF_METADATA_CREATOR, "Camtrail " PACKAGE_VERSION);
  pdf.cr = cairo_create (surface);
  /* Unhinted metrics: hinting rounds each advance to a whole point, and a
   * column measured so overlaps the next in every PDF viewer. */
  {
    cairo_font_options_t *options = cairo_font_options_create ();

    cairo_font_options_set_hint_metrics (options, CAIRO_HINT_METRICS_OFF);
    cairo_font_options_set_hint_style (options, CAIRO_HINT_STYLE_NONE);
    cairo_set_font_options (pdf.cr, options);
    cairo_font_options_destroy (options);
  }

  for (guint b = 0; b < blocks->len; b++)
    {
      const Block *block = g_ptr_array_index (blocks, b);

      switch (block->kind)
        {
        case BLOCK_TITLE:
          pdf_text (&pdf, block->text, 18, TRUE, 8);
          break;
        case BLOCK_HEADING:
          /* A heading stays with what follows it. */
          need (&pdf, 200);
          pdf.y += 6;
          pdf_text (&pdf, block->text, 13, TRUE, 4);
          break;
        case BLOCK_SUBHEADING:
          need (&pdf, 40);
          pdf_text (&pdf, block->text, 10.5, TRUE, 2);
          break;
        case BLOCK_PARAGRAPH:
          pdf_text (&pdf, block->text, 9, FALSE, 5);
          break;
        case BLOCK_VERDICT:
          pdf_text (&pdf, block->text, 9, TRUE, 6);
          break;
        case BLOCK_TABLE:
          pdf_table (&pdf, block->table);
          break;
        case BLOCK_FIGURE:
          if (!pdf_figure (&pdf, block->path, block->text, error))
            {
              cairo_destroy (pdf.cr);
              cairo_surface_finish (surface);
              g_unlink (tmp_path);
              return FALSE;
            }
          break;
        case BLOCK_CHART:
          pdf_chart (&pdf, result, block->chart);
          break;
        }
    }
  finish_page (&pdf);
  cairo_destroy (pdf.cr);
  cairo_surface_finish (surface);
  status = cairo_surface_status (surface);
  if (status != CAIRO_STATUS_SUCCESS)
    {
      g_unlink (tmp_path);
      g_set_error (error, CT_FIGURE_ERROR, CT_FIGURE_ERROR_CAIRO, "Could not write %s: %s",
                   path, cairo_status_to_string (status));
      return FALSE;
    }
  if (g_rename (tmp_path, path) != 0)
    {
      int saved = errno;

      g_unlink (tmp_path);
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
                   "Could not write %s: %s", path, g_strerror (saved));
      return FALSE;
    }
  return TRUE;
}

static gboolean
make_dir (const char  *path,
          GError     **error)
{
  if (g_mkdir_with_parents (path, 0755) != 0)
    {
      int saved = errno;

      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
                   "Could not create %s: %s", path, g_strerror (saved));
      return FALSE;
    }
  return TRUE;
}

gboolean
ct_study_report_write (const CtStudyResult  *result,
                       const char           *out_dir,
                       GError              **error)
{
  g_autoptr(GPtrArray) tables = ct_study_dup_tables (result);
  g_autofree char *figures = g_build_filename (out_dir, "figures", NULL);
  g_autofree char *robustness_csv = g_build_filename (out_dir, "robustness.csv", NULL);
  g_autofree char *robustness_json = g_build_filename (out_dir, "robustness.json", NULL);
  g_autofree char *html = g_build_filename (out_dir, "report.html", NULL);
  g_autofree char *pdf = g_build_filename (out_dir, "report.pdf", NULL);

  if (!make_dir (figures, error))
    return FALSE;
  for (guint i = 0; i < tables->len; i++)
    if (!ct_study_table_write_csv (g_ptr_array_index (tables, i), out_dir, error))
      return FALSE;
  if (!ct_robustness_write_csv (result->robustness, robustness_csv, error) ||
      !ct_robustness_write_json (result->robustness, robustness_json, error))
    return FALSE;
  if (result->c10c != NULL)
    {
      g_autofree char *c10c_csv = g_build_filename (out_dir, "c10c-robustness.csv", NULL);

      if (!ct_robustness_write_csv (result->c10c, c10c_csv, error))
        return FALSE;
    }
  return ct_study_report_write_charts (result, figures, error) &&
         ct_study_report_write_html (result, tables, figures, html, error) &&
         ct_study_report_write_pdf (result, tables, pdf, error);
}
