/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "ct-study.h"

G_BEGIN_DECLS

/* The report of a study (ct-study.h), in two forms with the same content:
 * one self-contained HTML file (figures embedded as data: URIs, no
 * network, printable) and an A4 PDF drawn with Cairo (text as text, charts
 * as vectors, grid figures as the PNGs the study wrote, page numbers).
 * Both show the tables of ct_study_dup_tables(), whose CSVs lie beside. */

/* Writes the robustness charts the report shows into @figures_dir as
 * PNGs (ct_robustness_chart_write_png), for the HTML. */
gboolean ct_study_report_write_charts (const CtStudyResult *result,
                                       const char          *figures_dir,
                                       GError             **error);

/* @tables: (element-type CtStudyTable) from ct_study_dup_tables(). */
gboolean ct_study_report_write_html (const CtStudyResult *result,
                                     GPtrArray           *tables,
                                     const char          *figures_dir,
                                     const char          *path,
                                     GError             **error);

gboolean ct_study_report_write_pdf  (const CtStudyResult *result,
                                     GPtrArray           *tables,
                                     const char          *path,
                                     GError             **error);

/* Everything a finished study writes into @out_dir: the tables' CSVs,
 * robustness.csv and .json (and c10c-robustness.csv), the charts,
 * report.html and report.pdf.  The CLI and the window's Study… both call
 * it, so their reports are the same. */
gboolean ct_study_report_write     (const CtStudyResult *result,
                                     const char          *out_dir,
                                     GError             **error);

G_END_DECLS
