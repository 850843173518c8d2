/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "ct-study-job.h"

#include <errno.h>
#include <glib/gstdio.h>

#include "ct-figure.h"
#include "ct-robustness-job.h"
#include "ct-shard.h"
#include "ct-stats.h"
#include "ct-torch.h"

#define DEFAULT_BATCH 64

typedef struct {
  CtCamSession         *session;
  const CtStudyRequest *request;
  char                 *key;
  char                 *parts_dir;
  char                 *figures_dir;
  GArray               *perturbations;   /* the paper's */
  GArray               *corruptions;     /* c10c:all, when asked */
  GArray               *grid_images;     /* the seeded random images of the figures */
  guint                 n_batches;
  GTimer               *timer;
  CtStudyProgress       report;
  CtStudyProgressFunc   progress;
  gpointer              user_data;
  GCancellable         *cancellable;
  gboolean              writer;          /* rank 0, or one process: reads and writes the parts */
} Study;

static void
study_clear (Study *self)
{
  g_free (self->key);
  g_free (self->parts_dir);
  g_free (self->figures_dir);
  g_clear_pointer (&self->perturbations, g_array_unref);
  g_clear_pointer (&self->corruptions, g_array_unref);
  g_clear_pointer (&self->grid_images, g_array_unref);
  g_clear_pointer (&self->timer, g_timer_destroy);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Study, study_clear)

/* @from_disk: the part was read back, not measured. */
static void
step_done (Study      *self,
           guint       steps,
           gboolean    from_disk,
           const char *part)
{
  self->report.step += steps;
  if (from_disk)
    self->report.resumed_steps += steps;
  self->report.part = part;
  self->report.seconds = g_timer_elapsed (self->timer, NULL);
  if (self->progress != NULL)
    self->progress (&self->report, self->user_data);
}

char *
ct_study_dup_key (CtCamSession         *session,
                  const CtStudyRequest *request)
{
  const CtManifest *manifest = ct_cam_session_get_manifest (session);
  g_autoptr(GString) key = g_string_new ("camtrail study 1");

  g_string_append_printf (key, "; run %s; arch %s; dataset %s; epochs",
                          ct_cam_session_get_run_dir (session), manifest->arch,
                          ct_cam_session_get_dataset (session)->path != NULL
                            ? ct_cam_session_get_dataset (session)->path : manifest->dataset);
  for (guint e = 0; e < request->n_epochs; e++)
    g_string_append_printf (key, "%s%d", e > 0 ? "," : " ", request->epochs[e]);
  g_string_append_printf (key, "; images %u; seed %" G_GUINT64_FORMAT "; rounds %d; method %s; "
                          "layer %s; perturbations %s",
                          request->n_images, request->seed, CT_STUDY_ROUNDS,
                          ct_cam_method_to_string (request->method),
                          request->layer != NULL ? request->layer : manifest->default_layer,
                          CT_STUDY_PERTURBATIONS);
  return g_string_free (g_steal_pointer (&key), FALSE);
}

char *
ct_study_dup_command (const char           *run,
                      const char           *data,
                      const char           *out,
                      const CtStudyRequest *request)
{
  g_autoptr(GString) command = g_string_new ("camtrail-cli study --run ");
  g_autofree char *quoted_run = g_shell_quote (run);
  g_autofree char *quoted_out = g_shell_quote (out);

  g_string_append (command, quoted_run);
  if (data != NULL)
    {
      g_autofree char *quoted = g_shell_quote (data);

      g_string_append_printf (command, " --data %s", quoted);
    }
  g_string_append_printf (command, " --out %s --epochs ", quoted_out);
  for (guint e = 0; e < request->n_epochs; e++)
    g_string_append_printf (command, "%s%d", e > 0 ? "," : "", request->epochs[e]);
  g_string_append_printf (command, " --images %u --seed %" G_GUINT64_FORMAT " --method %s",
                          request->n_images, request->seed,
                          ct_cam_method_to_string (request->method));
  if (request->layer != NULL)
    {
      g_autofree char *quoted = g_shell_quote (request->layer);

      g_string_append_printf (command, " --layer %s", quoted);
    }
  if (request->c10c)
    g_string_append (command, " --c10c");
  if (request->n_faithfulness_methods > 0)
    {
      g_string_append (command, " --methods ");
      for (guint m = 0; m < request->n_faithfulness_methods; m++)
        g_string_append_printf (command, "%s%s", m > 0 ? "," : "",
                                ct_cam_method_to_string (request->faithfulness_methods[m]));
    }
  if (request->sanity)
    g_string_append (command, " --sanity");
  if (request->batch_size != 0)
    g_string_append_printf (command, " --batch-size %u", request->batch_size);
  return g_string_free (g_steal_pointer (&command), FALSE);
}


static char *
part_path (Study      *self,
           const char *format,
           ...) G_GNUC_PRINTF (2, 3);

static char *
part_path (Study      *self,
           const char *format,
           ...)
{
  g_autofree char *name = NULL;
  va_list args;

  va_start (args, format);
  name = g_strdup_vprintf (format, args);
  va_end (args);
  return g_build_filename (self->parts_dir, name, NULL);
}

/* Whether a part measured over the ranks is done: rank 0 alone holds the
 * parts, so it says (@on_disk: it found the part), and every rank skips
 * or measures it alike.  FALSE with @error when a rank is lost. */
static gboolean
shared_part_done (Study     *self,
                  gboolean   on_disk,
                  gboolean  *out_done,
                  GError   **error)
{
  guint8 done = self->writer && on_disk;

  if (!ct_shard_share_from_rank0 (self->request->dist, &done, 1, error))
    return FALSE;
  *out_done = done != 0;
  return TRUE;
}

/* ---- figures ------------------------------------------------------------ */

static CtGrid *
compute_grid (Study           *self,
              const guint     *images,
              guint            n_images,
              const CtPerturb *perturb,
              guint            rounds,
              GError         **error)
{
  CtCamRequest cam = {
    .epochs = self->request->epochs,
    .n_epochs = self->request->n_epochs,
    .images = images,
    .n_images = n_images,
    .rounds = rounds,
    .layer = self->request->layer,
    .target_rule = CT_TARGET_RULE_PREDICTED,
    .scale = CT_CAM_SCALE_IMAGE,
    .method = self->request->method,
  };

  if (perturb != NULL)
    cam.perturb = *perturb;
  else
    ct_perturb_init (&cam.perturb);
  return ct_cam_session_compute (self->session, &cam, self->cancellable, error);
}

static gboolean
write_figure (const CtGrid  *grid,
              int            cell_size,
              const char    *path,
              GError       **error)
{
  CtFigureStyle style;

  ct_figure_style_init (&style);
  style.cell_size = cell_size;
  return ct_figure_write_png (grid, &style, path, error);
}

/* A figure part: the PNG, then its marker, so a marker means a whole PNG. */
static gboolean
figure_part (Study            *self,
             const char       *name,
             const char       *title,
             const CtPerturb  *perturb,
             guint             rounds,
             int               cell_size,
             CtStudyFigure   **out_figure,
             GError          **error)
{
  g_autofree char *file = g_strconcat (name, ".png", NULL);
  g_autofree char *png = g_build_filename (self->figures_dir, file, NULL);
  g_autofree char *marker = part_path (self, "figure-%s.json", name);
  CtStudyFigure *figure;
  gboolean from_disk = ct_study_read_marker (marker, self->key, NULL) &&
                       g_file_test (png, G_FILE_TEST_EXISTS);

  if (!from_disk)
    {
      g_autoptr(CtGrid) grid = compute_grid (self, (const guint *) self->grid_images->data,
                                             self->grid_images->len, perturb, rounds, error);

      if (grid == NULL || !write_figure (grid, cell_size, png, error) ||
          !ct_study_write_marker (self->key, marker, error))
        return FALSE;
    }
  figure = g_new0 (CtStudyFigure, 1);
  figure->title = g_strdup (title);
  figure->path = g_steal_pointer (&png);
  *out_figure = figure;
  step_done (self, 1, from_disk, title);
  return TRUE;
}

static CtStudyMistakes *
mistakes_part (Study   *self,
               int      epoch,
               GError **error)
{
  g_autofree char *path = part_path (self, "misclassified-%03d.json", epoch);
  g_autofree char *title = g_strdup_printf ("misclassified at epoch %d", epoch);
  g_autoptr(CtStudyMistakes) mistakes = ct_study_read_mistakes (path, self->key, NULL);
  g_autoptr(GArray) images = NULL;
  g_autoptr(CtGrid) grid = NULL;
  guint row = 0;

  if (mistakes != NULL)
    {
      step_done (self, 1, TRUE, title);
      return g_steal_pointer (&mistakes);
    }

  images = ct_cam_session_find_misclassified (self->session, epoch, CT_STUDY_MISCLASSIFIED,
                                              self->request->seed, error);
  if (images == NULL)
    return NULL;
  mistakes = g_new0 (CtStudyMistakes, 1);
  mistakes->epoch = epoch;
  mistakes->n_images = images->len;
  mistakes->images = g_memdup2 (images->data, MAX (images->len, 1) * sizeof (guint));
  mistakes->labels = g_new0 (int, MAX (images->len, 1));
  mistakes->predicted = g_new0 (int, MAX (images->len, 1));
  if (images->len > 0)
    {
      g_autofree char *file = g_strdup_printf ("misclassified-%03d.png", epoch);

      grid = compute_grid (self, mistakes->images, images->len, NULL, 1, error);
      if (grid == NULL)
        return NULL;
      while (grid->epochs[row] != epoch)
        row++;
      for (guint i = 0; i < images->len; i++)
        {
          mistakes->labels[i] = grid->labels[i];
          mistakes->predicted[i] = ct_grid_get_cell (grid, row, i, 0)->predicted;
        }
      mistakes->figure = g_build_filename (self->figures_dir, file, NULL);
      if (!write_figure (grid, 0, mistakes->figure, error))
        return NULL;
    }
  if (!ct_study_write_mistakes (mistakes, self->key, path, error))
    return NULL;
  step_done (self, 1, FALSE, title);
  return g_steal_pointer (&mistakes);
}

/* ---- robustness parts ------------------------------------------------- */

typedef struct {
  Study      *study;
  guint       base;
} RobustnessProgress;

static void
robustness_progress_cb (const CtRobustnessProgress *progress,
                        gpointer                    user_data)
{
  RobustnessProgress *data = user_data;
  Study *self = data->study;

  self->report.step = data->base + progress->step;
  self->report.part = progress->perturbation;
  self->report.seconds = g_timer_elapsed (self->timer, NULL);
  if (self->progress != NULL)
    self->progress (&self->report, self->user_data);
}

/* Measures the samples of @epoch under @perturbations into @path, unless a
 * current part is there already. */
static gboolean
robustness_part (Study       *self,
                 int          epoch,
                 GArray      *perturbations,
                 guint        rounds,
                 const char  *path,
                 GError     **error)
{
  guint steps = self->n_batches * (1 + perturbations->len);
  g_autoptr(CtRobustnessBuilder) probe = NULL;
  g_autoptr(CtRobustness) result = NULL;
  CtRobustnessRequest request = {
    .epochs = &epoch,
    .n_epochs = 1,
    .baseline_epoch = epoch,
    .perturbations = (const CtPerturb *) perturbations->data,
    .n_perturbations = perturbations->len,
    .n_images = self->request->n_images,
    .rounds = rounds,
    .seed = self->request->seed,
    .batch_size = self->request->batch_size,
    .layer = self->request->layer,
    .target_rule = CT_TARGET_RULE_PREDICTED,
    .method = self->request->method,
    .dist = self->request->dist,
  };
  RobustnessProgress data = { self, self->report.step };
  gboolean done;

  probe = ct_robustness_builder_new (&epoch, 1, epoch, (const CtPerturb *) perturbations->data,
                                     perturbations->len);
  if (!shared_part_done (self, self->writer && ct_study_read_samples (path, self->key, probe, 0,
                                                                       perturbations->len, NULL),
                         &done, error))
    return FALSE;
  if (done)
    {
      step_done (self, steps, TRUE, "robustness");
      return TRUE;
    }

  result = ct_robustness_compute (self->session, &request, robustness_progress_cb, &data,
                                  self->cancellable, error);
  if (result == NULL ||
      (self->writer && !ct_study_write_samples (result, 0, self->key, path, error)))
    return FALSE;
  self->report.step = data.base + steps;
  return TRUE;
}

/* Every epoch's part, in one result with the metadata ct_robustness_compute()
 * gives, baseline the last epoch. */
static CtRobustness *
assemble (Study       *self,
          GArray      *perturbations,
          guint        rounds,
          const char  *prefix,
          GError     **error)
{
  const CtStudyRequest *request = self->request;
  const CtManifest *manifest = ct_cam_session_get_manifest (self->session);
  g_autoptr(CtRobustnessBuilder) builder = NULL;
  g_autoptr(GArray) images = NULL;
  CtRobustness *result;

  for (guint p = 0; p < perturbations->len; p++)
    g_array_index (perturbations, CtPerturb, p).seed = request->seed;
  builder = ct_robustness_builder_new (request->epochs, request->n_epochs,
                                       request->epochs[request->n_epochs - 1],
                                       (const CtPerturb *) perturbations->data, perturbations->len);
  for (guint e = 0; e < request->n_epochs; e++)
    {
      g_autofree char *path = part_path (self, "%s-%03d.json", prefix, request->epochs[e]);

      if (!ct_study_read_samples (path, self->key, builder, e, perturbations->len, error))
        return NULL;
    }

  images = ct_cam_session_sample_images (self->session, request->n_images, request->seed);
  result = ct_robustness_builder_finish (builder);
  result->run_name = g_path_get_basename (ct_cam_session_get_run_dir (self->session));
  result->arch = g_strdup (manifest->arch);
  result->dataset = g_strdup (manifest->dataset);
  result->layer = g_strdup (request->layer != NULL ? request->layer : manifest->default_layer);
  result->method = g_strdup (ct_cam_method_to_string (request->method));
  result->target_rule = ct_target_rule_to_string (CT_TARGET_RULE_PREDICTED, 0, NULL);
  result->seed = request->seed;
  result->n_images = images->len;
  result->n_rounds = rounds;
  result->image_indices = g_memdup2 (images->data, MAX (images->len, 1) * sizeof (guint));
  return result;
}

/* ---- neighbouring checkpoints ---------------------------------------- */

/* Each image's agreement between neighbouring checkpoints, its batches
 * shared out over the ranks as ct-shard.h says. */
static CtStudyNeighbours *
neighbours_part (Study   *self,
                 GError **error)
{
  const CtStudyRequest *request = self->request;
  g_autofree char *path = part_path (self, "neighbours.json");
  g_autoptr(CtStudyNeighbours) neighbours = NULL;
  g_autoptr(GArray) images = NULL;
  g_autofree double *mine = NULL, *all = NULL;
  guint batch = request->batch_size > 0 ? request->batch_size : DEFAULT_BATCH;
  guint pairs = request->n_epochs - 1, slot = 0, others;
  CtShard shard;
  gboolean done;

  if (self->writer)
    neighbours = ct_study_read_neighbours (path, self->key, NULL);
  if (!shared_part_done (self, neighbours != NULL, &done, error))
    return NULL;
  if (done)
    {
      step_done (self, self->n_batches, TRUE, "neighbours");
      /* The other ranks report nothing. */
      return neighbours != NULL ? g_steal_pointer (&neighbours) : g_new0 (CtStudyNeighbours, 1);
    }

  images = ct_cam_session_sample_images (self->session, request->n_images, request->seed);
  ct_shard_init (&shard, request->dist, images->len, batch);
  mine = g_new0 (double, MAX ((gsize) ct_shard_room (&shard) * pairs, 1));
  for (guint b = 0; b < ct_shard_n_batches (&shard); b++)
    {
      guint start = ct_shard_batch_start (&shard, b);
      guint n = ct_shard_batch_count (&shard, b);
      g_autoptr(CtGrid) grid = NULL;

      if (ct_shard_batch_owner (&shard, b) != shard.rank)
        continue;
      grid = compute_grid (self, &g_array_index (images, guint, start), n, NULL, 1, error);
      if (grid == NULL)
        return NULL;
      for (guint i = 0; i < n; i++)
        for (guint e = 0; e < pairs; e++)
          mine[(gsize) (slot + i) * pairs + e] =
            ct_stats_pearson (ct_grid_get_cell (grid, e, i, 0)->heatmap,
                              ct_grid_get_cell (grid, e + 1, i, 0)->heatmap, NULL,
                              (gsize) grid->height * grid->width);
      slot += n;
      step_done (self, 1, FALSE, "neighbours");
    }
  all = ct_shard_gather (&shard, request->dist, mine, pairs, error);
  if (all == NULL)
    return NULL;
  others = ct_shard_n_batches (&shard) - ct_shard_n_batches_of (&shard, shard.rank);
  if (others > 0)
    step_done (self, others, FALSE, "neighbours");

  neighbours = g_new0 (CtStudyNeighbours, 1);
  neighbours->n_epochs = request->n_epochs;
  neighbours->epochs = g_memdup2 (request->epochs, request->n_epochs * sizeof (int));
  neighbours->n_images = images->len;
  neighbours->pearson = g_new (double, MAX ((gsize) pairs * images->len, 1));
  for (guint e = 0; e < pairs; e++)
    for (guint i = 0; i < images->len; i++)
      neighbours->pearson[(gsize) e * images->len + i] = all[(gsize) i * pairs + e];
  if (self->writer && !ct_study_write_neighbours (neighbours, self->key, path, error))
    return NULL;
  return g_steal_pointer (&neighbours);
}

/* ---- optional sections ------------------------------------------------ */

typedef struct {
  Study *study;
  guint  base;
  guint  epochs_done;
} FaithfulnessProgress;

/* Each checkpoint done is a step; between batches the progress is told
 * anyway, so that a caller may pause there. */
static void
faithfulness_progress_cb (int      epoch,
                          guint    done,
                          guint    n_images,
                          gpointer user_data)
{
  FaithfulnessProgress *data = user_data;
  Study *self = data->study;

  if (done == n_images)
    data->epochs_done++;
  self->report.step = data->base + data->epochs_done;
  self->report.part = "faithfulness";
  self->report.seconds = g_timer_elapsed (self->timer, NULL);
  if (self->progress != NULL)
    self->progress (&self->report, self->user_data);
}

/* An optional section's part: its writer's CSV, then a marker with the
 * settings, so a marker means a whole CSV of those settings. */
static CtStudyExtra *
read_extra_part (Study      *self,
                 const char *key,
                 const char *name,
                 const char *method)
{
  g_autofree char *csv_path = part_path (self, "%s.csv", name);
  g_autofree char *marker = part_path (self, "%s.json", name);
  g_autoptr(CtStudyExtra) extra = g_new0 (CtStudyExtra, 1);

  if (!ct_study_read_marker (marker, key, NULL) ||
      !g_file_get_contents (csv_path, &extra->csv, NULL, NULL))
    return NULL;
  extra->name = g_strdup (name);
  extra->method = g_strdup (method);
  return g_steal_pointer (&extra);
}

/* An optional section's part before it is measured.  When it is done (rank
 * 0 decides, from its folder) its @steps are reported as read back and
 * *@out_extra is the part: rank 0's from disk, an empty one on the other
 * ranks, which report nothing.  Otherwise *@out_extra is NULL and the part
 * is to be measured. */
static gboolean
begin_extra_part (Study         *self,
                  const char    *key,
                  const char    *name,
                  const char    *method,
                  guint          steps,
                  const char    *part,
                  CtStudyExtra **out_extra,
                  GError       **error)
{
  g_autoptr(CtStudyExtra) extra = self->writer ? read_extra_part (self, key, name, method) : NULL;
  gboolean done;

  *out_extra = NULL;
  if (!shared_part_done (self, extra != NULL, &done, error))
    return FALSE;
  if (done)
    {
      step_done (self, steps, TRUE, part);
      *out_extra = extra != NULL ? g_steal_pointer (&extra) : g_new0 (CtStudyExtra, 1);
    }
  return TRUE;
}

/* An optional section's part once measured and written by rank 0: read
 * back, as a resumed study would, so both give the same report; an empty
 * one on the other ranks. */
static CtStudyExtra *
end_extra_part (Study       *self,
                const char  *key,
                const char  *name,
                const char  *method,
                GError     **error)
{
  CtStudyExtra *extra;

  if (!self->writer)
    return g_new0 (CtStudyExtra, 1);
  extra = read_extra_part (self, key, name, method);
  if (extra == NULL)
    {
      g_autofree char *csv_path = part_path (self, "%s.csv", name);

      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "Could not read back %s", csv_path);
    }
  return extra;
}

static CtStudyExtra *
faithfulness_part (Study        *self,
                   CtCamMethod   method,
                   GError      **error)
{
  const CtStudyRequest *request = self->request;
  const char *method_name = ct_cam_method_to_string (method);
  g_autofree char *name = g_strdup_printf ("faithfulness-%s", method_name);
  g_autofree char *key = g_strdup_printf ("%s; faithfulness %s; step %g; baseline %s; "
                                          "road noise %g; batch %u", self->key, method_name,
                                          CT_STUDY_FAITHFULNESS_STEP,
                                          ct_baseline_to_string (CT_BASELINE_ZERO),
                                          CT_STUDY_FAITHFULNESS_ROAD_NOISE, request->batch_size);
  g_autofree char *csv_path = part_path (self, "%s.csv", name);
  g_autofree char *marker = part_path (self, "%s.json", name);
  CtStudyExtra *extra = NULL;
  g_autoptr(CtFaithfulness) result = NULL;
  FaithfulnessProgress data = { self, self->report.step, 0 };
  CtFaithfulnessRequest faithfulness = {
    .epochs = request->epochs,
    .n_epochs = request->n_epochs,
    .n_images = request->n_images,
    .seed = request->seed,
    .layer = request->layer,
    .method = method,
    .step_fraction = CT_STUDY_FAITHFULNESS_STEP,
    .baseline = CT_BASELINE_ZERO,
    .road_noise = CT_STUDY_FAITHFULNESS_ROAD_NOISE,
    .batch_size = request->batch_size,
    .dist = request->dist,
  };

  if (!begin_extra_part (self, key, name, method_name, request->n_epochs, name, &extra, error) ||
      extra != NULL)
    return extra;
  result = ct_faithfulness_compute (self->session, &faithfulness, faithfulness_progress_cb, &data,
                                    self->cancellable, error);
  if (result == NULL)
    return NULL;
  if (self->writer && (!ct_faithfulness_write_csv (result, csv_path, error) ||
                       !ct_study_write_marker (key, marker, error)))
    return NULL;
  self->report.step = data.base;
  step_done (self, request->n_epochs, FALSE, name);
  return end_extra_part (self, key, name, method_name, error);
}

static void
sanity_progress_cb (guint    done,
                    guint    n_steps,
                    gpointer user_data)
{
  Study *self = user_data;

  self->report.part = "sanity check";
  self->report.seconds = g_timer_elapsed (self->timer, NULL);
  if (self->progress != NULL)
    self->progress (&self->report, self->user_data);
}

static CtStudyExtra *
sanity_part (Study   *self,
             GError **error)
{
  const CtStudyRequest *request = self->request;
  const char *method_name = ct_cam_method_to_string (request->method);
  g_autofree char *key = g_strconcat (self->key, "; sanity check", NULL);
  g_autofree char *csv_path = part_path (self, "sanity.csv");
  g_autofree char *marker = part_path (self, "sanity.json");
  CtStudyExtra *extra = NULL;
  g_autoptr(CtSanity) result = NULL;
  CtSanityRequest sanity = {
    .epochs = request->epochs,
    .n_epochs = request->n_epochs,
    .n_images = request->n_images,
    .seed = request->seed,
    .layer = request->layer,
    .method = request->method,
    .data = ct_cam_session_get_dataset (self->session)->path,
    .dist = request->dist,
  };

  if (!begin_extra_part (self, key, "sanity", method_name, 1, "sanity check", &extra, error) ||
      extra != NULL)
    return extra;
  result = ct_sanity_compute (self->session, &sanity, sanity_progress_cb, self, self->cancellable,
                              error);
  if (result == NULL)
    return NULL;
  if (self->writer && (!ct_sanity_write_csv (result, csv_path, error) ||
                       !ct_study_write_marker (key, marker, error)))
    return NULL;
  step_done (self, 1, FALSE, "sanity check");
  return end_extra_part (self, key, "sanity", method_name, error);
}

/* ---- the study ---------------------------------------------------------- */

/* The grid figures and the misclassified scans, rank 0's alone. */
static gboolean
figure_parts (Study          *self,
              CtStudyResult  *result,
              GError        **error)
{
  const CtStudyRequest *request = self->request;
  CtStudyFigure *figure = NULL;

  if (!figure_part (self, "random", "random test images, clean", NULL, 1, 0, &figure, error))
    return FALSE;
  result->random_figure = figure;
  for (guint e = 0; e < request->n_epochs; e++)
    if (request->epochs[e] >= 1 && request->epochs[e] <= 3)
      {
        CtStudyMistakes *mistakes = mistakes_part (self, request->epochs[e], error);

        if (mistakes == NULL)
          return FALSE;
        g_ptr_array_add (result->mistakes, mistakes);
      }
  for (guint p = 0; p < self->perturbations->len; p++)
    {
      const CtPerturb *perturb = &g_array_index (self->perturbations, CtPerturb, p);
      g_autofree char *label = ct_robustness_dup_label (perturb);
      g_autofree char *name = g_strdelimit (g_strdup_printf ("perturbed-%s", label), ":.", '-');

      if (!figure_part (self, name, label, perturb, CT_STUDY_ROUNDS, 64, &figure, error))
        return FALSE;
      g_ptr_array_add (result->figures, figure);
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

static gboolean
validate (CtCamSession         *session,
          const CtStudyRequest *request,
          GError              **error)
{
  if (request->n_epochs < 2 || request->n_images < 2 || request->out_dir == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "a study needs two checkpoints, two images and an output folder");
      return FALSE;
    }
  for (guint e = 0; e < request->n_epochs; e++)
    if (!ct_cam_session_has_checkpoint (session, request->epochs[e]) ||
        (e > 0 && request->epochs[e] <= request->epochs[e - 1]))
      {
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                     "epoch %d has no checkpoint in %s, or the epochs are not ascending",
                     request->epochs[e], ct_cam_session_get_run_dir (session));
        return FALSE;
      }
  return TRUE;
}

CtStudyResult *
ct_study_run (CtCamSession         *session,
              const CtStudyRequest *request,
              CtStudyProgressFunc   progress,
              gpointer              user_data,
              GCancellable         *cancellable,
              GError              **error)
{
  const CtManifest *manifest;
  g_auto(Study) self = { 0 };
  g_autoptr(CtStudyResult) result = NULL;
  guint batch, n_early = 0;
  gboolean alone;

  if (!validate (session, request, error))
    return NULL;

  manifest = ct_cam_session_get_manifest (session);
  self.session = session;
  self.request = request;
  self.key = ct_study_dup_key (session, request);
  self.parts_dir = g_build_filename (request->out_dir, "parts", NULL);
  self.figures_dir = g_build_filename (request->out_dir, "figures", NULL);
  self.perturbations = ct_robustness_parse_perturbations (CT_STUDY_PERTURBATIONS, error);
  if (request->c10c)
    self.corruptions = ct_robustness_parse_perturbations ("c10c:all", error);
  self.grid_images = ct_cam_session_sample_images (session, CT_STUDY_GRID_IMAGES, request->seed);
  self.timer = g_timer_new ();
  self.progress = progress;
  self.user_data = user_data;
  self.cancellable = cancellable;
  self.writer = ct_dist_get_rank (request->dist) == 0;
  batch = request->batch_size > 0 ? request->batch_size : DEFAULT_BATCH;
  {
    g_autoptr(GArray) images = ct_cam_session_sample_images (session, request->n_images, request->seed);

    self.n_batches = (images->len + batch - 1) / batch;
  }
  for (guint e = 0; e < request->n_epochs; e++)
    n_early += request->epochs[e] >= 1 && request->epochs[e] <= 3;
  for (guint p = 0; p < self.perturbations->len; p++)
    g_array_index (self.perturbations, CtPerturb, p).seed = request->seed;

  self.report.n_steps = 1 + n_early + self.perturbations->len
                        + request->n_epochs * self.n_batches * (1 + self.perturbations->len)
                        + (self.corruptions != NULL
                             ? request->n_epochs * self.n_batches * (1 + self.corruptions->len) : 0)
                        + self.n_batches
                        + request->n_faithfulness_methods * request->n_epochs
                        + (request->sanity ? 1 : 0);
  if (self.writer && (!make_dir (self.parts_dir, error) || !make_dir (self.figures_dir, error)))
    return NULL;

  result = ct_study_result_new ();

  /* The figures first: a researcher sees them soonest.  Under torchrun
   * rank 0 draws them alone, after the shared parts, so that no rank waits
   * for it at an exchange. */
  alone = ct_dist_get_world_size (request->dist) == 1;
  if (alone && !figure_parts (&self, result, error))
    return NULL;

  for (guint e = 0; e < request->n_epochs; e++)
    {
      g_autofree char *path = part_path (&self, "robustness-%03d.json", request->epochs[e]);

      if (!robustness_part (&self, request->epochs[e], self.perturbations, CT_STUDY_ROUNDS, path, error))
        return NULL;
    }
  for (guint e = 0; self.corruptions != NULL && e < request->n_epochs; e++)
    {
      g_autofree char *path = part_path (&self, "c10c-%03d.json", request->epochs[e]);

      if (!robustness_part (&self, request->epochs[e], self.corruptions, 1, path, error))
        return NULL;
    }
  result->neighbours = neighbours_part (&self, error);
  if (result->neighbours == NULL)
    return NULL;
  for (guint m = 0; m < request->n_faithfulness_methods; m++)
    {
      CtStudyExtra *extra = faithfulness_part (&self, request->faithfulness_methods[m], error);

      if (extra == NULL)
        return NULL;
      g_ptr_array_add (result->faithfulness, extra);
    }
  if (request->sanity && (result->sanity = sanity_part (&self, error)) == NULL)
    return NULL;
  if (!self.writer)
    return ct_study_result_new ();
  if (!alone && !figure_parts (&self, result, error))
    return NULL;

  result->robustness = assemble (&self, self.perturbations, CT_STUDY_ROUNDS, "robustness", error);
  if (result->robustness == NULL)
    return NULL;
  if (self.corruptions != NULL &&
      (result->c10c = assemble (&self, self.corruptions, 1, "c10c", error)) == NULL)
    return NULL;
  for (CtStudyClaim c = 0; c < CT_STUDY_N_CLAIMS; c++)
    result->claims[c] = ct_study_assess (c, result->robustness, result->neighbours);

  result->run_dir = g_strdup (ct_cam_session_get_run_dir (session));
  result->run_name = g_path_get_basename (result->run_dir);
  result->arch = g_strdup (manifest->arch);
  result->dataset = g_strdup (manifest->dataset);
  result->dataset_path = g_strdup (ct_cam_session_get_dataset (session)->path);
  result->input_size = manifest->input_size;
  result->classes = g_strdupv (manifest->classes);
  result->layer = g_strdup (result->robustness->layer);
  result->method = g_strdup (ct_cam_method_to_string (request->method));
  result->seed = request->seed;
  result->n_images = result->robustness->n_images;
  result->n_rounds = CT_STUDY_ROUNDS;
  result->n_epochs = request->n_epochs;
  result->epochs = g_memdup2 (request->epochs, request->n_epochs * sizeof (int));
  result->camtrail_version = g_strdup (PACKAGE_VERSION);
  result->torch_version = g_strdup (ct_torch_version ());
  result->run_torch_version = g_strdup (manifest->torch_version);
  result->metrics = ct_metrics_load (result->run_dir, error);
  if (result->metrics == NULL)
    return NULL;
  return g_steal_pointer (&result);
}
