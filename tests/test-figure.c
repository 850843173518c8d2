/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "ct-draw.h"
#include "ct-figure.h"
#include "ct-png.h"

#define SIDE      8
#define HOT_Y     2
#define HOT_X     5

static const char * const classes[] = { "cat", "dog", "bird", NULL };

/* Two checkpoints × two 8×8 images, unperturbed: image 0 is black, image 1 a
 * colour checkerboard.  Every heatmap is 0 except a single 1 at (HOT_Y,
 * HOT_X).  Image 0 is predicted right at both epochs, image 1 wrong. */
static CtGrid *
make_grid (guint       n_rounds,
           const char *perturbation)
{
  CtGrid *grid = ct_grid_new (2, 2, n_rounds, 3, SIDE, SIDE, 3);

  grid->run_name = g_strdup ("tiny-run");
  grid->arch = g_strdup ("resnet18");
  grid->dataset = g_strdup ("cifar10");
  grid->layer = g_strdup ("layer4");
  grid->method = g_strdup ("gradcam");
  grid->target_rule = g_strdup ("predicted");
  grid->perturbation = g_strdup (perturbation);
  grid->seed = 7;
  grid->scale = CT_CAM_SCALE_IMAGE;
  grid->classes = g_strdupv ((char **) classes);

  grid->epochs[0] = 0;
  grid->epochs[1] = 5;
  grid->image_indices[0] = 12;
  grid->image_indices[1] = 345;
  grid->labels[0] = 0;
  grid->labels[1] = 1;

  for (guint round = 0; round < n_rounds; round++)
    {
      float *checker = ct_grid_get_image (grid, 1, round);

      for (guint c = 0; c < 3; c++)
        for (guint y = 0; y < SIDE; y++)
          for (guint x = 0; x < SIDE; x++)
            checker[(c * SIDE + y) * SIDE + x] = ((x + y + c) % 2) ? 0.9f : 0.2f;
    }

  for (guint row = 0; row < 2; row++)
    for (guint image = 0; image < 2; image++)
      for (guint round = 0; round < n_rounds; round++)
        {
          CtGridCell *cell = ct_grid_get_cell (grid, row, image, round);

          cell->heatmap[HOT_Y * SIDE + HOT_X] = 1.0f;
          cell->predicted = image == 0 ? 0 : 2;
          cell->target = cell->predicted;
          cell->probability = 0.93f;
          cell->confidence_drop = 0.12f;
        }

  return grid;
}

static const guint8 *
pixel_at (const guint8 *rgba,
          guint         width,
          guint         x,
          guint         y)
{
  return rgba + ((gsize) y * width + x) * 4;
}

static gboolean
is_white (const guint8 *p)
{
  return p[0] == 255 && p[1] == 255 && p[2] == 255;
}

/* True when some pixel in the rectangle satisfies @predicate. */
static gboolean
any_pixel (const guint8 *rgba,
           guint         width,
           guint         x0,
           guint         y0,
           guint         x1,
           guint         y1,
           gboolean    (*predicate) (const guint8 *p))
{
  for (guint y = y0; y < y1; y++)
    for (guint x = x0; x < x1; x++)
      if (predicate (pixel_at (rgba, width, x, y)))
        return TRUE;

  return FALSE;
}

static gboolean
is_dark (const guint8 *p)
{
  return p[0] < 80 && p[1] < 80 && p[2] < 80;
}

static gboolean
is_green (const guint8 *p)
{
  return p[1] > p[0] + 60 && p[1] > p[2] + 40;
}

static gboolean
is_red (const guint8 *p)
{
  return p[0] > p[1] + 80 && p[0] > p[2] + 80;
}

static gboolean
is_blue (const guint8 *p)
{
  return p[2] > p[0] + 80 && p[2] > p[1] + 80;
}

static gboolean
is_saturated (const guint8 *p)
{
  return MAX (MAX (p[0], p[1]), p[2]) - MIN (MIN (p[0], p[1]), p[2]) > 60;
}

/* The first strongly coloured pixel on row @y from @x0 rightwards. */
static const guint8 *
first_saturated (const guint8 *rgba,
                 guint         width,
                 guint         x0,
                 guint         y)
{
  for (guint x = x0; x < width; x++)
    {
      const guint8 *p = pixel_at (rgba, width, x, y);

      if (is_saturated (p))
        return p;
    }

  return NULL;
}

static void
test_style_defaults (void)
{
  CtFigureStyle style;

  ct_figure_style_init (&style);
  g_assert_cmpfloat (style.scale, ==, 1.0);
  g_assert_cmpint (style.cell_size, ==, 0);
  g_assert_cmpint (style.colormap, ==, CT_COLORMAP_JET);
  g_assert_cmpfloat (style.image_weight, ==, 0.5f);
  g_assert_true (style.show_colorbar);
}

static void
test_size_scales (void)
{
  g_autoptr(CtGrid) grid = make_grid (1, "none");
  CtFigureStyle style;
  int width, height, width2, height2, x, y, size, caption;

  ct_figure_style_init (&style);
  ct_figure_get_size (grid, &style, &width, &height);

  /* 8-pixel images get the minimum cell of 96. */
  ct_figure_get_cell_rect (grid, &style, 1, 1, 0, &x, &y, &size, &caption);
  g_assert_cmpint (size, ==, 96);
  g_assert_cmpint (x + size, <, width);
  g_assert_cmpint (y + size + caption, <=, height);
  g_assert_cmpint (width, >, 2 * 96);
  g_assert_cmpint (height, >, 2 * 96);

  style.scale = 2.0;
  ct_figure_get_size (grid, &style, &width2, &height2);
  g_assert_cmpint (width2, ==, 2 * width);
  g_assert_cmpint (height2, ==, 2 * height);

  ct_figure_get_cell_rect (grid, &style, 0, 0, 0, NULL, NULL, &size, NULL);
  g_assert_cmpint (size, ==, 192);

  /* An explicit cell size wins over the default. */
  style.scale = 1.0;
  style.cell_size = 150;
  ct_figure_get_cell_rect (grid, &style, 0, 0, 0, NULL, NULL, &size, NULL);
  g_assert_cmpint (size, ==, 150);
  ct_figure_get_size (grid, &style, &width2, &height2);
  g_assert_cmpint (height2, ==, height + 2 * (150 - 96));

  /* No colour bar, a narrower figure (unless the title sets the width). */
  style.cell_size = 0;
  style.show_colorbar = FALSE;
  ct_figure_get_size (grid, &style, &width2, &height2);
  g_assert_cmpint (width2, <=, width);
  g_assert_cmpint (height2, ==, height);
}

static void
test_fit_cell_size (void)
{
  g_autoptr(CtGrid) grid = make_grid (1, "none");
  CtFigureStyle style;
  int width, height, fitted_width, fitted_height;

  ct_figure_style_init (&style);
  g_assert_cmpint (ct_figure_get_cell_size (grid, &style), ==, 96);
  ct_figure_get_size (grid, &style, &width, &height);

  /* Room to spare: the natural cell, never more. */
  g_assert_cmpint (ct_figure_fit_cell_size (grid, &style, 4 * width, 4 * height), ==, 96);
  g_assert_cmpint (ct_figure_fit_cell_size (grid, &style, width, height), ==, 96);
  /* Two rows: 60 pixels less height is 30 less per cell (the height is
   * linear in the cell, 2 cells a column); one pixel less is one less. */
  g_assert_cmpint (ct_figure_fit_cell_size (grid, &style, width, height - 60), ==, 66);
  g_assert_cmpint (ct_figure_fit_cell_size (grid, &style, width, height - 1), ==, 95);
  style.cell_size = 66;
  ct_figure_get_size (grid, &style, &fitted_width, &fitted_height);
  g_assert_cmpint (fitted_height, ==, height - 60);
  /* No room at all: the smallest cell, for the scrollbars to show the rest. */
  style.cell_size = 0;
  g_assert_cmpint (ct_figure_fit_cell_size (grid, &style, 10, 10), ==, 1);
}

/* On screen a long title is cut, not allowed to widen the figure. */
static void
test_ellipsized_titles (void)
{
  g_autoptr(CtGrid) grid = make_grid (1, "none");
  g_autoptr(CtGrid) long_named = make_grid (1, "none");
  CtFigureStyle style;
  int whole, cut, short_cut, height, cut_height;

  g_free (long_named->run_name);
  long_named->run_name = g_strnfill (300, 'x');
  ct_figure_style_init (&style);
  g_assert_false (style.ellipsize_titles);
  ct_figure_get_size (long_named, &style, &whole, &height);
  style.ellipsize_titles = TRUE;
  ct_figure_get_size (long_named, &style, &cut, &cut_height);
  ct_figure_get_size (grid, &style, &short_cut, NULL);

  g_assert_cmpint (cut, <, whole);
  g_assert_cmpint (cut, ==, short_cut);
  g_assert_cmpint (cut_height, ==, height);
}

static void
test_drop_label (void)
{
  static const struct {
    double      drop;
    const char *label;
  } cases[] = {
    { 0.123, "Δ0.12" },
    { 0.0, "Δ0.00" },
    { -0.004, "Δ0.00" },
    { -0.0, "Δ0.00" },
    { -0.02, "Δ−0.02" },
    { -0.5, "Δ−0.50" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *label = ct_figure_dup_drop_label (cases[i].drop);

      g_assert_cmpstr (label, ==, cases[i].label);
    }
}

static void
test_perturbed_layout (void)
{
  g_autoptr(CtGrid) clean = make_grid (1, "none");
  g_autoptr(CtGrid) perturbed = make_grid (2, "noise σ=0.10");
  CtFigureStyle style;
  int clean_width, clean_height, width, height;
  int x0, x1, y0, caption0, y1, caption1, clean_x;

  ct_figure_style_init (&style);
  ct_figure_get_size (clean, &style, &clean_width, &clean_height);
  ct_figure_get_size (perturbed, &style, &width, &height);

  /* Rounds sit side by side; the "round r" line and the Δ line add height. */
  ct_figure_get_cell_rect (clean, &style, 0, 1, 0, &clean_x, NULL, NULL, NULL);
  ct_figure_get_cell_rect (perturbed, &style, 0, 1, 1, &x1, NULL, NULL, NULL);
  g_assert_cmpint (x1, >=, clean_x + 2 * 96);
  g_assert_cmpint (width, >=, clean_width);
  g_assert_cmpint (height, >, clean_height);

  ct_figure_get_cell_rect (perturbed, &style, 0, 0, 0, &x0, &y0, NULL, &caption0);
  ct_figure_get_cell_rect (perturbed, &style, 0, 0, 1, &x1, &y1, NULL, &caption1);
  g_assert_cmpint (x1, >=, x0 + 96);
  g_assert_cmpint (y1, ==, y0);
  ct_figure_get_cell_rect (clean, &style, 0, 0, 0, NULL, NULL, NULL, &caption1);
  g_assert_cmpint (caption0, >, caption1);
}

static void
assert_text (GHashTable *text,
             const char *key,
             const char *expected)
{
  g_assert_cmpstr (g_hash_table_lookup (text, key), ==, expected);
}

static void
test_write_png (void)
{
  g_autoptr(CtGrid) grid = make_grid (1, "none");
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) text = NULL;
  g_autofree char *dir = g_dir_make_tmp ("camtrail-figure-XXXXXX", &error);
  g_autofree char *path = NULL;
  g_autofree guint8 *rgba = NULL;
  g_autofree guint8 *overlay = NULL;
  CtFigureStyle style;
  guint width, height;
  int expected_width, expected_height;
  int x, y, size, caption;
  int last_x, last_y;
  const guint8 *p;

  g_assert_no_error (error);
  path = g_build_filename (dir, "figure.png", NULL);

  ct_figure_style_init (&style);
  g_assert_true (ct_figure_write_png (grid, &style, path, &error));
  g_assert_no_error (error);

  rgba = ct_png_read_rgba (path, &width, &height, &text, &error);
  g_assert_no_error (error);
  g_assert_nonnull (rgba);
  ct_figure_get_size (grid, &style, &expected_width, &expected_height);
  g_assert_cmpuint (width, ==, expected_width);
  g_assert_cmpuint (height, ==, expected_height);

  assert_text (text, "Software", "Camtrail " PACKAGE_VERSION);
  g_assert_nonnull (strstr (g_hash_table_lookup (text, "Title"), "tiny-run"));
  assert_text (text, "camtrail:run", "tiny-run");
  assert_text (text, "camtrail:arch", "resnet18");
  assert_text (text, "camtrail:dataset", "cifar10");
  assert_text (text, "camtrail:epochs", "0,5");
  assert_text (text, "camtrail:images", "12,345");
  assert_text (text, "camtrail:perturbation", "none");
  assert_text (text, "camtrail:method", "gradcam");
  assert_text (text, "camtrail:layer", "layer4");
  assert_text (text, "camtrail:target", "predicted");
  assert_text (text, "camtrail:scale", "image");
  assert_text (text, "camtrail:seed", "7");
  assert_text (text, "camtrail:colormap", "jet");

  /* Opaque, white background. */
  p = pixel_at (rgba, width, 1, 1);
  g_assert_true (is_white (p));
  g_assert_cmpuint (p[3], ==, 255);
  p = pixel_at (rgba, width, width - 2, height - 2);
  g_assert_true (is_white (p));

  /* The title is drawn in dark text along the top. */
  ct_figure_get_cell_rect (grid, &style, 0, 0, 0, &x, &y, &size, &caption);
  g_assert_true (any_pixel (rgba, width, 0, 0, width, y, is_dark));

  /* Every pixel of the hot spot in the lower-right cell is exactly what
   * ct_colormap_overlay() makes of it, nearest-neighbour upscaled. */
  overlay = g_malloc (SIDE * SIDE * 3);
  ct_colormap_overlay (CT_COLORMAP_JET, ct_grid_get_image (grid, 1, 0), 3,
                       ct_grid_get_cell (grid, 1, 1, 0)->heatmap, SIDE, SIDE, 0.5f,
                       overlay);
  ct_figure_get_cell_rect (grid, &style, 1, 1, 0, &last_x, &last_y, &size, &caption);
  for (guint sy = 0; sy < SIDE; sy++)
    for (guint sx = 0; sx < SIDE; sx++)
      {
        guint block = size / SIDE;

        p = pixel_at (rgba, width, last_x + sx * block + block / 2,
                      last_y + sy * block + block / 2);
        g_assert_cmpuint (p[0], ==, overlay[(sy * SIDE + sx) * 3 + 0]);
        g_assert_cmpuint (p[1], ==, overlay[(sy * SIDE + sx) * 3 + 1]);
        g_assert_cmpuint (p[2], ==, overlay[(sy * SIDE + sx) * 3 + 2]);
      }

  /* On the black image the hot spot is pure red and the rest pure blue:
   * the overlay divides by the maximum, JET's dark red, (128, 0, 0). */
  p = pixel_at (rgba, width, x + HOT_X * size / SIDE + size / (2 * SIDE),
                y + HOT_Y * size / SIDE + size / (2 * SIDE));
  g_assert_cmpuint (p[0], ==, 255);
  g_assert_cmpuint (p[1], ==, 0);
  g_assert_cmpuint (p[2], ==, 0);
  p = pixel_at (rgba, width, x + size / 2 - 10, y + size - 3);
  g_assert_cmpuint (p[0], ==, 0);
  g_assert_cmpuint (p[2], ==, 255);

  /* Right prediction under image 0 has a green tick and no red; wrong under
   * image 1 a red cross and no green. */
  g_assert_true (any_pixel (rgba, width, x, y + size, x + size, y + size + caption,
                            is_green));
  g_assert_false (any_pixel (rgba, width, x, y + size, x + size, y + size + caption,
                             is_red));
  g_assert_true (any_pixel (rgba, width, last_x, last_y + size, last_x + size,
                            last_y + size + caption, is_red));
  g_assert_false (any_pixel (rgba, width, last_x, last_y + size, last_x + size,
                             last_y + size + caption, is_green));

  /* The colour bar to the right of the last column: red at the top (1),
   * blue at the bottom (0). */
  p = first_saturated (rgba, width, last_x + size + 1, y + 3);
  g_assert_nonnull (p);
  g_assert_true (is_red (p));
  p = first_saturated (rgba, width, last_x + size + 1, last_y + size - 3);
  g_assert_nonnull (p);
  g_assert_true (is_blue (p));

  g_assert_cmpint (g_unlink (path), ==, 0);
  g_assert_cmpint (g_rmdir (dir), ==, 0);
}

/* The same figure at scale 2 has the same pixels, twice as big, in its
 * cells. */
static void
test_write_png_scaled (void)
{
  g_autoptr(CtGrid) grid = make_grid (2, "noise σ=0.10");
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("camtrail-figure-XXXXXX", &error);
  g_autofree char *path = NULL;
  g_autofree guint8 *rgba = NULL;
  g_autoptr(GHashTable) text = NULL;
  CtFigureStyle style;
  guint width, height;
  int x, y, size;
  const guint8 *p;

  g_assert_no_error (error);
  path = g_build_filename (dir, "figure@2x.png", NULL);

  ct_figure_style_init (&style);
  style.scale = 2.0;
  style.colormap = CT_COLORMAP_VIRIDIS;
  g_assert_true (ct_figure_write_png (grid, &style, path, &error));
  g_assert_no_error (error);

  rgba = ct_png_read_rgba (path, &width, &height, &text, &error);
  g_assert_no_error (error);
  assert_text (text, "camtrail:perturbation", "noise σ=0.10");
  assert_text (text, "camtrail:colormap", "viridis");

  ct_figure_get_cell_rect (grid, &style, 0, 0, 1, &x, &y, &size, NULL);
  g_assert_cmpint (size, ==, 192);

  /* Viridis's top entry (253, 231, 36) on a black image, divided by its
   * maximum: (255, 232, 36). */
  p = pixel_at (rgba, width, x + HOT_X * 24 + 12, y + HOT_Y * 24 + 12);
  g_assert_cmpuint (p[0], ==, 255);
  g_assert_cmpuint (p[1], ==, 232);
  g_assert_cmpuint (p[2], ==, 36);

  g_assert_cmpint (g_unlink (path), ==, 0);
  g_assert_cmpint (g_rmdir (dir), ==, 0);
}

/* ct_figure_write picks the format from the name; vector files start with
 * their format's signature, and an unknown suffix is refused. */
static void
test_write_formats (void)
{
  g_autoptr(CtGrid) grid = make_grid (1, "none");
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("camtrail-figure-XXXXXX", &error);
  static const struct { const char *name; const char *magic; } files[] = {
    { "figure.png", "\x89PNG" },
    { "figure.svg", "<?xml" },
    { "figure.PDF", "%PDF-" },
  };
  CtFigureStyle style;

  g_assert_no_error (error);
  ct_figure_style_init (&style);
  for (guint i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_autofree char *path = g_build_filename (dir, files[i].name, NULL);
      g_autofree char *tmp = g_strconcat (path, ".tmp", NULL);
      g_autofree char *contents = NULL;
      gsize length;

      g_assert_true (ct_figure_write (grid, &style, path, &error));
      g_assert_no_error (error);
      g_assert_true (g_file_get_contents (path, &contents, &length, NULL));
      g_assert_cmpuint (length, >, 200);
      g_assert_true (g_str_has_prefix (contents, files[i].magic));
      g_assert_false (g_file_test (tmp, G_FILE_TEST_EXISTS));
      g_unlink (path);
    }

  {
    g_autofree char *path = g_build_filename (dir, "figure.jpg", NULL);

    g_assert_false (ct_figure_write (grid, &style, path, &error));
    g_assert_error (error, CT_FIGURE_ERROR, CT_FIGURE_ERROR_FORMAT);
    g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  }
  g_rmdir (dir);
}

/* Runs @argv, failing the test with its output unless it exits 0. */
static void
run_tool (const char * const *argv)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr(GError) error = NULL;
  int wait_status = 0;

  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err,
                &wait_status, &error);
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (wait_status, NULL))
    g_error ("%s failed:\n%s%s", argv[0], out, err);
}

/* The program that the build found for @variable (tests/meson.build sets
 * it); without it the test fails, it does not skip. */
static const char *
tool_from_env (const char *variable,
               const char *package)
{
  const char *path = g_getenv (variable);

  if (path == NULL || *path == '\0')
    g_error ("$%s is not set: install %s (scripts/install-deps --tests) and run meson setup "
             "--reconfigure", variable, package);
  return path;
}

/* Reads a PNG and lays it over white, as a viewer shows a transparent page. */
static guint8 *
read_on_white (const char *path,
               guint      *width,
               guint      *height)
{
  g_autoptr(GError) error = NULL;
  guint8 *rgba = ct_png_read_rgba (path, width, height, NULL, &error);

  g_assert_no_error (error);
  for (gsize i = 0; i < (gsize) *width * *height; i++)
    {
      guint8 *p = rgba + i * 4;

      for (guint c = 0; c < 3; c++)
        p[c] = (p[c] * p[3] + 255 * (255 - p[3]) + 127) / 255;
      p[3] = 255;
    }
  return rgba;
}

/* How many pixels of @a and @b differ by more than @tolerance in a
 * channel. */
static gsize
count_different (const guint8 *a,
                 const guint8 *b,
                 guint         width,
                 guint         height,
                 int           tolerance)
{
  gsize n = 0;

  for (gsize i = 0; i < (gsize) width * height; i++)
    for (guint c = 0; c < 3; c++)
      if (ABS ((int) a[i * 4 + c] - (int) b[i * 4 + c]) > tolerance)
        {
          n++;
          break;
        }
  return n;
}

/* SVG and PDF exports draw the same figure as the PNG: rendered back to
 * pixels by other programs (librsvg's rsvg-convert, poppler's pdftoppm),
 * they match the PNG but for the edges of glyphs and lines, which each
 * renderer antialiases its own way. */
static void
test_vector_renders_like_png (void)
{
  g_autoptr(CtGrid) grid = make_grid (2, "noise σ=0.10");
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("camtrail-figure-XXXXXX", &error);
  g_autofree char *png = g_build_filename (dir, "figure.png", NULL);
  g_autofree char *svg = g_build_filename (dir, "figure.svg", NULL);
  g_autofree char *pdf = g_build_filename (dir, "figure.pdf", NULL);
  g_autofree char *svg_png = g_build_filename (dir, "from-svg.png", NULL);
  g_autofree char *pdf_stem = g_build_filename (dir, "from-pdf", NULL);
  g_autofree char *pdf_png = g_strconcat (pdf_stem, ".png", NULL);
  g_autofree guint8 *expected = NULL;
  const char *rsvg_convert = tool_from_env ("RSVG_CONVERT", "librsvg2-bin");
  const char *pdftoppm = tool_from_env ("PDFTOPPM", "poppler-utils");
  const char *rendered[] = { svg_png, pdf_png };
  g_autofree char *w = NULL;
  g_autofree char *h = NULL;
  CtFigureStyle style;
  guint width = 0, height = 0;
  int fig_width, fig_height, x, y, size;
  gsize ink = 0;

  g_assert_no_error (error);
  ct_figure_style_init (&style);
  g_assert_true (ct_figure_write (grid, &style, png, &error));
  g_assert_true (ct_figure_write (grid, &style, svg, &error));
  g_assert_true (ct_figure_write (grid, &style, pdf, &error));
  g_assert_no_error (error);
  ct_figure_get_size (grid, &style, &fig_width, &fig_height);
  w = g_strdup_printf ("%d", fig_width);
  h = g_strdup_printf ("%d", fig_height);

  {
    const char *svg_argv[] = { rsvg_convert, "-w", w, "-h", h, "-o", svg_png, svg, NULL };
    const char *pdf_argv[] = { pdftoppm, "-png", "-singlefile", "-scale-to-x", w, "-scale-to-y", h,
                               pdf, pdf_stem, NULL };

    run_tool (svg_argv);
    run_tool (pdf_argv);
  }

  expected = read_on_white (png, &width, &height);
  g_assert_cmpuint (width, ==, fig_width);
  g_assert_cmpuint (height, ==, fig_height);
  for (gsize i = 0; i < (gsize) width * height; i++)
    ink += !is_white (expected + i * 4);
  /* The figure is mostly drawn, not mostly margin. */
  g_assert_cmpuint (ink, >, (gsize) width * height / 4);

  ct_figure_get_cell_rect (grid, &style, 1, 1, 1, &x, &y, &size, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (rendered); i++)
    {
      g_autofree guint8 *found = NULL;
      guint found_width = 0, found_height = 0;
      gsize different;
      const guint8 *hot_expected, *hot_found;
      guint hot_x = x + HOT_X * size / SIDE + size / SIDE / 2;
      guint hot_y = y + HOT_Y * size / SIDE + size / SIDE / 2;

      found = read_on_white (rendered[i], &found_width, &found_height);
      g_assert_cmpuint (found_width, ==, width);
      g_assert_cmpuint (found_height, ==, height);

      /* Glyph edges differ most: a few percent of the figure. */
      different = count_different (expected, found, width, height, 48);
      g_test_message ("%s: %" G_GSIZE_FORMAT " of %u pixels differ from the PNG's", rendered[i],
                      different, width * height);
      g_assert_cmpuint (different, <, (gsize) width * height / 20);

      /* The cells' pixels, but for their borders, are the same. */
      for (guint row = 0; row < 2; row++)
        for (guint image = 0; image < 2; image++)
          for (guint round = 0; round < 2; round++)
            {
              int cx, cy, csize;
              gsize cell_different = 0;

              ct_figure_get_cell_rect (grid, &style, row, image, round, &cx, &cy, &csize, NULL);
              for (int py = cy + 1; py < cy + csize - 1; py++)
                cell_different += count_different (pixel_at (expected, width, cx + 1, py),
                                                   pixel_at (found, width, cx + 1, py),
                                                   csize - 2, 1, 48);
              if (cell_different > 0)
                g_error ("%s: %" G_GSIZE_FORMAT " pixels of cell (%u, %u, %u) differ from the PNG's",
                         rendered[i], cell_different, row, image, round);
            }

      /* The hot spot of the last cell, in the heatmap's colour. */
      hot_expected = pixel_at (expected, width, hot_x, hot_y);
      hot_found = pixel_at (found, width, hot_x, hot_y);
      g_assert_true (is_red (hot_expected));
      for (guint c = 0; c < 3; c++)
        g_assert_cmpint (ABS ((int) hot_expected[c] - (int) hot_found[c]), <=, 8);
    }

  g_unlink (png);
  g_unlink (svg);
  g_unlink (pdf);
  g_unlink (svg_png);
  g_unlink (pdf_png);
  g_assert_cmpint (g_rmdir (dir), ==, 0);
}

static void
test_too_large (void)
{
  g_autoptr(CtGrid) grid = make_grid (1, "none");
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("camtrail-figure-XXXXXX", &error);
  g_autofree char *path = NULL;
  CtFigureStyle style;

  g_assert_no_error (error);
  path = g_build_filename (dir, "huge.png", NULL);

  ct_figure_style_init (&style);
  style.scale = 200.0;
  g_assert_false (ct_figure_write_png (grid, &style, path, &error));
  g_assert_error (error, CT_FIGURE_ERROR, CT_FIGURE_ERROR_TOO_LARGE);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));

  g_assert_cmpint (g_rmdir (dir), ==, 0);
}

/* The window draws single cells anywhere on its own surface. */
static void
test_draw_cell_at_offset (void)
{
  g_autoptr(CtGrid) grid = make_grid (1, "none");
  cairo_surface_t *surface = cairo_image_surface_create (CAIRO_FORMAT_RGB24, 200, 200);
  cairo_t *cr = cairo_create (surface);
  CtFigureStyle style;
  guint8 *data;
  int stride;
  guint32 hot;

  ct_figure_style_init (&style);
  cairo_set_source_rgb (cr, 1, 1, 1);
  cairo_paint (cr);
  ct_figure_draw_cell (cr, grid, 0, 0, 0, &style, 37.0, 21.0, 80.0, 20.0);
  g_assert_cmpint (cairo_status (cr), ==, CAIRO_STATUS_SUCCESS);
  cairo_surface_flush (surface);

  data = cairo_image_surface_get_data (surface);
  stride = cairo_image_surface_get_stride (surface);

  /* 80/8 = 10 pixels per source pixel; red hot spot, white outside. */
  hot = ((guint32 *) (data + (21 + HOT_Y * 10 + 5) * stride))[37 + HOT_X * 10 + 5];
  g_assert_cmphex (hot & 0xffffff, ==, 0xff0000);
  g_assert_cmphex (((guint32 *) (data + 10 * stride))[30] & 0xffffff, ==, 0xffffff);
  g_assert_cmphex (((guint32 *) (data + 110 * stride))[130] & 0xffffff, ==, 0xffffff);

  cairo_destroy (cr);
  cairo_surface_destroy (surface);
}

static void
assert_source_rgba (cairo_t *cr,
                    double   r,
                    double   g,
                    double   b,
                    double   a)
{
  double sr, sg, sb, sa;

  g_assert_cmpint (cairo_pattern_get_rgba (cairo_get_source (cr), &sr, &sg, &sb, &sa), ==,
                   CAIRO_STATUS_SUCCESS);
  g_assert_cmpfloat_with_epsilon (sr, r, 1e-9);
  g_assert_cmpfloat_with_epsilon (sg, g, 1e-9);
  g_assert_cmpfloat_with_epsilon (sb, b, 1e-9);
  g_assert_cmpfloat_with_epsilon (sa, a, 1e-9);
}

/* ct-draw.h's palette: a grey v of the light palette is 0.12 + 0.88 (1 − v)
 * on a dark cairo_t (white 0.12, black 1), hues are never turned, and the
 * background is white or 0.12. */
static void
test_draw_palette (void)
{
  static const CtDrawRgb grey = { 0.0, 0.25, 1.0 };
  static const CtDrawRgb hue = { 0.2, 0.5, 0.9 };
  g_autoptr(cairo_surface_t) surface = cairo_image_surface_create (CAIRO_FORMAT_RGB24, 4, 4);
  g_autoptr(cairo_t) cr = cairo_create (surface);
  guint32 painted;

  g_assert_false (ct_figure_is_dark (cr));
  cairo_set_source_rgb (cr, 0.5, 0.5, 0.5);
  ct_draw_set_color (cr, &grey);
  assert_source_rgba (cr, 0.0, 0.25, 1.0, 1.0);
  ct_draw_set_color_alpha (cr, &grey, 0.4);
  assert_source_rgba (cr, 0.0, 0.25, 1.0, 0.4);

  cairo_set_source_rgb (cr, 1, 0, 0);
  ct_draw_paint_background (cr, 0, 0, 4, 4);
  cairo_surface_flush (surface);
  painted = *(guint32 *) cairo_image_surface_get_data (surface);
  g_assert_cmphex (painted & 0xffffff, ==, 0xffffff);

  ct_figure_set_dark (cr, TRUE);
  g_assert_true (ct_figure_is_dark (cr));
  cairo_set_source_rgb (cr, 0.5, 0.5, 0.5);
  ct_draw_set_color (cr, &grey);
  assert_source_rgba (cr, 1.0, 0.78, 0.12, 1.0);
  ct_draw_set_color_alpha (cr, &grey, 0.4);
  assert_source_rgba (cr, 1.0, 0.78, 0.12, 0.4);
  ct_draw_set_hue (cr, &hue);
  assert_source_rgba (cr, 0.2, 0.5, 0.9, 1.0);

  /* Cairo keeps 0.12 as 16 bits, 7864, whose high byte is 30 (0x1e). */
  cairo_set_source_rgb (cr, 1, 0, 0);
  ct_draw_paint_background (cr, 0, 0, 4, 4);
  cairo_surface_flush (surface);
  painted = *(guint32 *) cairo_image_surface_get_data (surface);
  g_assert_cmphex (painted & 0xffffff, ==, 0x1e1e1e);

  ct_figure_set_dark (cr, FALSE);
  g_assert_false (ct_figure_is_dark (cr));
}

static double
font_size (cairo_t *cr)
{
  cairo_matrix_t matrix;

  cairo_get_font_matrix (cr, &matrix);
  return matrix.yy;
}

/* The text helpers: the font size set, shrunk by the ratio of the widths
 * only when the text is too wide, the baseline that centres ascent and
 * descent in a band, text drawn where it is placed, and unhinted metrics
 * for measuring. */
static void
test_draw_text (void)
{
  g_autoptr(cairo_surface_t) surface = cairo_image_surface_create (CAIRO_FORMAT_RGB24, 200, 60);
  g_autoptr(cairo_t) cr = cairo_create (surface);
  g_autoptr(cairo_t) measure = ct_draw_create_measure_context ();
  cairo_font_options_t *options = cairo_font_options_create ();
  cairo_font_extents_t extents;
  const guint8 *data;
  double baseline, width;
  gboolean inked = FALSE;
  int stride;

  ct_draw_set_font (cr, 20, FALSE);
  g_assert_cmpfloat_with_epsilon (font_size (cr), 20.0, 1e-9);

  /* ct_draw_fit_font: 200 wide at 20 into 100 is size 10; what fits stays. */
  ct_draw_fit_font (cr, 20, 100, 150);
  g_assert_cmpfloat_with_epsilon (font_size (cr), 20.0, 1e-9);
  ct_draw_fit_font (cr, 20, 200, 100);
  g_assert_cmpfloat_with_epsilon (font_size (cr), 10.0, 1e-9);

  /* ct_draw_fit_text: a third of the width is a third of the size. */
  ct_draw_set_font (cr, 30, FALSE);
  width = ct_draw_text_width (cr, "Camtrail");
  g_assert_cmpfloat (width, >, 30.0);
  g_assert_cmpfloat_with_epsilon (ct_draw_fit_text (cr, "Camtrail", 30, 2 * width), width, 1e-9);
  g_assert_cmpfloat_with_epsilon (font_size (cr), 30.0, 1e-9);
  g_assert_cmpfloat_with_epsilon (ct_draw_fit_text (cr, "Camtrail", 30, 0.0), width, 1e-9);
  g_assert_cmpfloat_with_epsilon (font_size (cr), 30.0, 1e-9);
  g_assert_cmpfloat_with_epsilon (ct_draw_fit_text (cr, "Camtrail", 30, width / 3), width / 3,
                                  1e-9);
  g_assert_cmpfloat_with_epsilon (font_size (cr), 10.0, 1e-9);

  /* The band [10, 50]: as much room above the ascent as below the descent. */
  ct_draw_set_font (cr, 20, FALSE);
  cairo_font_extents (cr, &extents);
  baseline = ct_draw_centred_baseline (cr, 10, 40);
  g_assert_cmpfloat_with_epsilon ((baseline - extents.ascent) - 10,
                                  50 - (baseline + extents.descent), 1e-9);

  /* Black text on white, at x 20: ink right of 20, none left of 18. */
  cairo_set_source_rgb (cr, 1, 1, 1);
  cairo_paint (cr);
  cairo_set_source_rgb (cr, 0, 0, 0);
  ct_draw_show_text_at (cr, "MMM", 20, baseline);
  cairo_surface_flush (surface);
  data = cairo_image_surface_get_data (surface);
  stride = cairo_image_surface_get_stride (surface);
  for (int y = 0; y < 60; y++)
    for (int x = 0; x < 200; x++)
      {
        gboolean ink = (((const guint32 *) (data + y * stride))[x] & 0xffffff) != 0xffffff;

        if (ink)
          g_assert_cmpint (x, >=, 18);
        inked |= ink;
      }
  g_assert_true (inked);

  cairo_get_font_options (measure, options);
  g_assert_cmpint (cairo_font_options_get_hint_metrics (options), ==, CAIRO_HINT_METRICS_OFF);
  cairo_font_options_destroy (options);
}

/* The figure's text as pdftotext reads it from its PDF export. */
static char *
dup_pdf_text (const CtGrid *grid)
{
  g_autofree char *pdftotext = g_find_program_in_path ("pdftotext");
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("camtrail-figure-XXXXXX", &error);
  g_autofree char *path = NULL;
  CtFigureStyle style;
  char *text = NULL;
  int wait_status;

  g_assert_no_error (error);
  if (pdftotext == NULL)
    g_error ("pdftotext is missing: install poppler-utils (scripts/install-deps --tests)");
  path = g_build_filename (dir, "figure.pdf", NULL);
  ct_figure_style_init (&style);
  g_assert_true (ct_figure_write (grid, &style, path, &error));
  g_assert_no_error (error);
  {
    const char *argv[] = { pdftotext, "-raw", path, "-", NULL };

    g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_STDERR_TO_DEV_NULL, NULL,
                                 NULL, &text, NULL, &wait_status, &error));
    g_assert_no_error (error);
    g_assert_true (g_spawn_check_wait_status (wait_status, NULL));
  }
  g_unlink (path);
  g_rmdir (dir);
  g_test_message ("%s", text);
  return text;
}

/* The title names the run, the layer when there is one and the
 * perturbation; the subtitle "ARCH on DATASET", or whichever of the two is
 * known, and the method's title with the target rule when there is one. */
static void
test_titles (void)
{
  g_autoptr(CtGrid) grid = make_grid (1, "none");
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("camtrail-figure-XXXXXX", &error);
  g_autofree char *path = g_build_filename (dir, "figure.png", NULL);
  g_autoptr(GHashTable) text = NULL;
  g_autofree guint8 *rgba = NULL;
  g_autofree char *full = NULL;
  g_autofree char *partial = NULL;
  CtFigureStyle style;
  guint width, height;

  g_assert_no_error (error);
  full = dup_pdf_text (grid);
  g_assert_nonnull (strstr (full, "tiny-run · layer layer4 · clean images"));
  g_assert_nonnull (strstr (full, "resnet18 on cifar10 · Grad-CAM, target: predicted · seed 7"));
  /* Every column's header; clean images have no Δ line. */
  g_assert_nonnull (strstr (full, "#12"));
  g_assert_nonnull (strstr (full, "#345"));
  g_assert_null (strstr (full, "Δ"));

  /* An empty layer is no layer; an architecture without a dataset and a
   * method without a target rule are named alone. */
  g_free (grid->layer);
  grid->layer = g_strdup ("");
  g_clear_pointer (&grid->dataset, g_free);
  g_clear_pointer (&grid->target_rule, g_free);
  partial = dup_pdf_text (grid);
  g_assert_nonnull (strstr (partial, "tiny-run · clean images"));
  g_assert_null (strstr (partial, "layer"));
  g_assert_nonnull (strstr (partial, "resnet18 · Grad-CAM · seed 7"));
  g_assert_null (strstr (partial, "target"));

  ct_figure_style_init (&style);
  g_assert_true (ct_figure_write_png (grid, &style, path, &error));
  g_assert_no_error (error);
  rgba = ct_png_read_rgba (path, &width, &height, &text, &error);
  g_assert_no_error (error);
  assert_text (text, "Title", "tiny-run · clean images");
  assert_text (text, "camtrail:layer", "");
  assert_text (text, "camtrail:target", "");
  /* The background covers the whole figure, its first row too. */
  g_assert_true (is_white (pixel_at (rgba, width, 0, 0)));
  g_assert_cmpuint (pixel_at (rgba, width, 0, 0)[3], ==, 255);
  g_assert_true (is_white (pixel_at (rgba, width, width - 1, 0)));
  g_unlink (path);
  g_rmdir (dir);
}

/* Perturbed cells add the Δ line of their confidence drop (0.12). */
static void
test_perturbed_text (void)
{
  g_autoptr(CtGrid) grid = make_grid (2, "noise σ=0.10");
  g_autofree char *text = dup_pdf_text (grid);

  g_assert_nonnull (strstr (text, "Δ0.12"));
}

/* The natural cell is 4 pixels a source pixel (ct-figure.c), never below
 * 96: 32-pixel images get 128, 8-pixel ones 96. */
static void
test_cell_size_of_large_images (void)
{
  g_autoptr(CtGrid) grid = ct_grid_new (1, 1, 1, 3, 32, 32, 3);
  g_autoptr(CtGrid) wide = ct_grid_new (1, 1, 1, 3, 20, 30, 3);
  CtFigureStyle style;

  ct_figure_style_init (&style);
  g_assert_cmpint (ct_figure_get_cell_size (grid, &style), ==, 128);
  g_assert_cmpint (ct_figure_get_cell_size (wide, &style), ==, 120);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/figure/style-defaults", test_style_defaults);
  g_test_add_func ("/figure/size-scales", test_size_scales);
  g_test_add_func ("/figure/fit-cell-size", test_fit_cell_size);
  g_test_add_func ("/figure/drop-label", test_drop_label);
  g_test_add_func ("/figure/ellipsized-titles", test_ellipsized_titles);
  g_test_add_func ("/figure/perturbed-layout", test_perturbed_layout);
  g_test_add_func ("/figure/write-png", test_write_png);
  g_test_add_func ("/figure/write-png-scaled", test_write_png_scaled);
  g_test_add_func ("/figure/write-formats", test_write_formats);
  g_test_add_func ("/figure/vector-renders-like-png", test_vector_renders_like_png);
  g_test_add_func ("/figure/too-large", test_too_large);
  g_test_add_func ("/figure/draw-cell-at-offset", test_draw_cell_at_offset);
  g_test_add_func ("/figure/titles", test_titles);
  g_test_add_func ("/figure/perturbed-text", test_perturbed_text);
  g_test_add_func ("/figure/cell-size-of-large-images", test_cell_size_of_large_images);
  g_test_add_func ("/figure/draw/palette", test_draw_palette);
  g_test_add_func ("/figure/draw/text", test_draw_text);

  return g_test_run ();
}
