/* SPDX-License-Identifier: GPL-3.0-or-later */
#define _GNU_SOURCE
#include "ct-engine.h"
#include "ct-study-report.h"
#include "ct-torch.h"

#ifdef __linux__
#include <sys/resource.h>
#include <unistd.h>
#endif

/* Threads and who owns what:
 * - The engine's own thread (the UI thread) calls the API, owns the fields
 *   marked "main thread" and runs every callback.
 * - The worker pops jobs and alone touches the CtCamSession, a local of
 *   worker_main().
 * - The background thread runs one training (ct_train_run()), one
 *   robustness study (ct_robustness_compute() over a CtCamSession of its
 *   own), one import or one paper's study (ct_study_run(), likewise) and,
 *   between steps, waits while grid jobs are pending.
 * Neither thread ever drops a reference to the engine, so it is finalised
 * on its own thread, where finalising joins them.  What they post holds
 * `guard`: one weak reference, made at creation on the engine's thread (a
 * weak reference first set on a worker while the engine is being disposed
 * would outlive it). */

/* At most ten progress reports a second reach the UI. */
#define STATUS_INTERVAL_US (G_USEC_PER_SEC / 10)

typedef enum {
  JOB_OPEN_RUN,
  JOB_REFRESH_RUN,
  JOB_FIND_MISCLASSIFIED,
  JOB_COMPUTE_GRID,
  JOB_GRID,
  JOB_STOP,
} JobKind;

typedef struct {
  CtCamRequest  request;          /* points into the copies below */
  int          *epochs;
  guint        *images;
  char         *layer;
  CtCamMethod  *methods;
} RequestCopy;

typedef struct {
  RequestCopy      *copy;
  guint64           generation;
  GCancellable     *cancellable;  /* cancelled once the request is superseded */
  CtEngineRowsFunc  rows_func;
  CtEngineDoneFunc  done_func;
  gpointer          user_data;
} GridJob;

typedef struct {
  JobKind  kind;
  GTask   *task;                  /* every kind but JOB_GRID and JOB_STOP */
  GridJob *grid;                  /* JOB_GRID */
} Job;

typedef struct {
  char *run_dir;
  char *data;
} OpenRunData;

typedef struct {
  int     epoch;
  guint   count;
  guint64 seed;
} MisclassifiedData;

/* ---- Background jobs: their base ------------------------------------- *
 *
 * A long job (a training, a robustness study, and whatever comes next) runs
 * on the background thread, one at a time.  Each kind is a BackgroundClass;
 * a job is a Background as the first member of the kind's own struct.  All
 * of them start, post, pause for grids, end and are joined by the same code
 * below; a kind writes only what it computes and what it tells. */

typedef struct _Background Background;

typedef struct {
  const char *thread_name;
  /* On the background thread: does the work, leaving a failure in
   * self->error and any result in the kind's own struct. */
  void  (*run)              (Background *self);
  /* On the engine's thread: hands a progress payload to the caller. */
  void  (*progress)         (CtEngine   *engine,
                             Background *self,
                             gpointer    payload);
  /* On the engine's thread, once the thread is joined: the job's end. */
  void  (*done)             (CtEngine   *engine,
                             Background *self);
  /* Why no other background job can start now (a sentence). */
  char *(*dup_busy_message) (Background *self);
  void  (*free)             (Background *self);
} BackgroundClass;

struct _Background {
  const BackgroundClass *klass;
  CtEngine              *engine;          /* joins the thread before it goes */
  GCancellable          *cancellable;
  GError                *error;           /* set by run() */
  gint64                 last_post;       /* background thread: the last throttled post */
};

typedef struct {
  Background             base;
  CtTrainOptions         options;           /* its strings point into the copies below */
  char                  *data;
  char                  *arch;
  char                  *out_dir;
  char                  *device;
  char                  *init;
  CtEngineTrainFunc      status_func;
  CtEngineTrainDoneFunc  done_func;
  gpointer               user_data;
  /* Trainer thread only. */
  double                 images_per_second;
  double                 seconds_per_epoch; /* of training alone; < 0 while unknown */
} Training;

typedef struct {
  Background                  base;
  char                       *run_dir;
  CtRobustnessRequest         request;      /* points into the copies below */
  int                        *epochs;
  CtPerturb                  *perturbations;
  char                       *layer;
  CtEngineRobustnessFunc      progress_func;
  CtEngineRobustnessDoneFunc  done_func;
  gpointer                    user_data;
  CtRobustness               *result;       /* set by run() */
  /* Background thread only. */
  gint64                      paused_us;    /* waiting for grids: not in the ETA */
} Study;

struct _CtEngine
{
  GObject       parent_instance;

  GMainContext *context;
  GWeakRef     *guard;            /* an atomic rc box around a weak reference to self */
  GThread      *worker;
  GAsyncQueue  *jobs;             /* (element-type Job) */
  GThreadPool  *row_helpers;      /* (nullable) share grid rows with the worker */
  int           stopping;         /* atomic: set by shutdown, read by the worker */

  /* The background job waits on grids_idle while grids_pending > 0. */
  GMutex        lock;
  GCond         grids_idle;
  guint         grids_pending;    /* grid and compute-grid jobs queued or running */

  /* Main thread. */
  gboolean      shut_down;
  guint64       generation;       /* the newest grid request's */
  GCancellable *grid_cancellable; /* the newest grid request's */
  gboolean      grid_outstanding; /* the newest request has not had done_func yet */
  GThread      *background_thread;
  Background   *background;       /* (nullable) the background job */
};

G_DEFINE_FINAL_TYPE (CtEngine, ct_engine, G_TYPE_OBJECT)

void
ct_run_info_free (CtRunInfo *self)
{
  if (self == NULL)
    return;

  g_free (self->run_dir);
  g_clear_pointer (&self->manifest, ct_manifest_free);
  g_clear_pointer (&self->epochs, g_array_unref);
  g_clear_pointer (&self->metrics, g_array_unref);
  g_free (self->test_labels);
  g_free (self);
}

/* ---- Posting to the engine's context --------------------------------- */

static void
guard_release (GWeakRef *guard)
{
  g_atomic_rc_box_release_full (guard, (GDestroyNotify) g_weak_ref_clear);
}

/* Returns: (transfer full) (nullable): the engine, while it still takes
 * callbacks. */
static CtEngine *
guard_dup_engine (GWeakRef *guard)
{
  CtEngine *self = g_weak_ref_get (guard);

  if (self != NULL && self->shut_down)
    g_clear_object (&self);
  return self;
}

/* An explicit idle source rather than g_main_context_invoke(), which runs
 * @func at once on a thread that can acquire the context, the worker
 * included. */
static void
post_to_context (CtEngine       *self,
                 GSourceFunc     func,
                 gpointer        data,
                 GDestroyNotify  notify)
{
  g_autoptr(GSource) source = g_idle_source_new ();

  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, func, data, notify);
  g_source_set_static_name (source, "[camtrail] engine post");
  g_source_attach (source, self->context);
}

static gboolean
release_cb (gpointer data)
{
  return G_SOURCE_REMOVE;
}

/* ---- Jobs ------------------------------------------------------------ */

static RequestCopy *
request_copy_new (const CtCamRequest *request)
{
  RequestCopy *copy = g_new0 (RequestCopy, 1);

  /* CtPerturb holds no pointers; the arrays and the layer are copied. */
  copy->request = *request;
  copy->epochs = g_memdup2 (request->epochs, request->n_epochs * sizeof (int));
  copy->images = g_memdup2 (request->images, request->n_images * sizeof (guint));
  copy->layer = g_strdup (request->layer);
  copy->methods = g_memdup2 (request->methods, request->n_methods * sizeof (CtCamMethod));
  copy->request.methods = copy->methods;
  copy->request.epochs = copy->epochs;
  copy->request.images = copy->images;
  copy->request.layer = copy->layer;
  return copy;
}

static void
request_copy_free (RequestCopy *copy)
{
  g_free (copy->epochs);
  g_free (copy->images);
  g_free (copy->layer);
  g_free (copy->methods);
  g_free (copy);
}

static GridJob *
grid_job_new (const CtCamRequest *request,
              guint64             generation,
              CtEngineRowsFunc    rows_func,
              CtEngineDoneFunc    done_func,
              gpointer            user_data)
{
  GridJob *grid = g_new0 (GridJob, 1);

  grid->copy = request_copy_new (request);
  grid->generation = generation;
  grid->cancellable = g_cancellable_new ();
  grid->rows_func = rows_func;
  grid->done_func = done_func;
  grid->user_data = user_data;
  return grid;
}

static void
grid_job_free (GridJob *grid)
{
  request_copy_free (grid->copy);
  g_clear_object (&grid->cancellable);
  g_free (grid);
}

static Job *
job_new (JobKind  kind,
         GTask   *task,
         GridJob *grid)
{
  Job *job = g_new0 (Job, 1);

  job->kind = kind;
  job->task = task != NULL ? g_object_ref (task) : NULL;
  job->grid = grid;
  return job;
}

static void
job_free (Job *job)
{
  g_clear_object (&job->task);
  g_clear_pointer (&job->grid, grid_job_free);
  g_free (job);
}

static void
open_run_data_free (OpenRunData *data)
{
  g_free (data->run_dir);
  g_free (data->data);
  g_free (data);
}

/* Grids, the visible work, pause training while they are pending. */
static gboolean
job_is_grid (JobKind kind)
{
  return kind == JOB_GRID || kind == JOB_COMPUTE_GRID;
}

static void
grids_pending_add (CtEngine *self)
{
  g_mutex_lock (&self->lock);
  self->grids_pending++;
  g_mutex_unlock (&self->lock);
}

static void
grids_pending_drop (CtEngine *self)
{
  g_mutex_lock (&self->lock);
  if (--self->grids_pending == 0)
    g_cond_broadcast (&self->grids_idle);
  g_mutex_unlock (&self->lock);
}

/* ---- The worker ------------------------------------------------------ */

typedef struct {
  GWeakRef         *guard;
  guint64           generation;
  guint             first_row;
  CtGrid           *grid;         /* rows posts */
  GError           *error;        /* done posts */
  CtEngineRowsFunc  rows_func;
  CtEngineDoneFunc  done_func;
  gpointer          user_data;
} GridPost;

static void
grid_post_free (GridPost *post)
{
  guard_release (post->guard);
  g_clear_pointer (&post->grid, ct_grid_free);
  g_clear_error (&post->error);
  g_free (post);
}

static GridPost *
grid_post_new (CtEngine      *self,
               const GridJob *grid)
{
  GridPost *post = g_new0 (GridPost, 1);

  post->guard = g_atomic_rc_box_acquire (self->guard);
  post->generation = grid->generation;
  post->rows_func = grid->rows_func;
  post->done_func = grid->done_func;
  post->user_data = grid->user_data;
  return post;
}

/* Delivery re-checks the generation: the request may have been superseded
 * while the post waited in the queue. */
static gboolean
deliver_rows_cb (gpointer data)
{
  GridPost *post = data;
  g_autoptr(CtEngine) self = guard_dup_engine (post->guard);

  if (self != NULL && post->generation == self->generation && post->rows_func != NULL)
    post->rows_func (self, post->generation, post->first_row, g_steal_pointer (&post->grid),
                     post->user_data);
  return G_SOURCE_REMOVE;
}

static gboolean
deliver_done_cb (gpointer data)
{
  GridPost *post = data;
  g_autoptr(CtEngine) self = guard_dup_engine (post->guard);

  if (self != NULL && post->generation == self->generation)
    {
      self->grid_outstanding = FALSE;
      if (post->done_func != NULL)
        post->done_func (self, post->generation, post->error, post->user_data);
    }
  return G_SOURCE_REMOVE;
}

static void
post_rows (CtEngine      *self,
           const GridJob *grid,
           guint          first_row,
           CtGrid        *rows)
{
  GridPost *post = grid_post_new (self, grid);

  post->first_row = first_row;
  post->grid = rows;
  post_to_context (self, deliver_rows_cb, post, (GDestroyNotify) grid_post_free);
}

static void
post_done (CtEngine      *self,
           const GridJob *grid,
           const GError  *error)
{
  GridPost *post = grid_post_new (self, grid);

  post->error = error != NULL ? g_error_copy (error) : NULL;
  post_to_context (self, deliver_done_cb, post, (GDestroyNotify) grid_post_free);
}

static gboolean
check_open (CtCamSession  *session,
            GError       **error)
{
  if (session != NULL)
    return TRUE;
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED, "no run is open");
  return FALSE;
}

/* Training may have saved checkpoints since the run was opened. */
static gboolean
ensure_checkpoints (CtCamSession  *session,
                    const int     *epochs,
                    guint          n_epochs,
                    GError       **error)
{
  for (guint i = 0; i < n_epochs; i++)
    if (!ct_cam_session_has_checkpoint (session, epochs[i]))
      return ct_cam_session_rescan (session, error);
  return TRUE;
}

/* Nice values of the engine's threads; see lower_thread_priority(). */
#define CAM_NICE        5
#define BACKGROUND_NICE 10

static void lower_thread_priority (int nice);

/* A grid's rows shared by the CAM worker and its helpers: each takes the
 * next row nobody has taken, with a share of the worker's torch threads.
 * On two cores that is one single-threaded row per core: a core the window
 * takes for a frame then slows one row, where an OpenMP team of two would
 * wait for its preempted member at every barrier (a 5 × 8 grid took twice
 * as long in the window as in bench/cam-latency).  Where rows cannot be
 * shared, the worker takes them all, one after the other. */
typedef struct {
  CtEngine         *engine;
  CtCamSession     *session;
  const GridJob    *grid;
  const CtCamBatch *batch;       /* the images, perturbed and normalised once for every row */
  int               threads;     /* torch threads per participant */
  int            next_row;       /* atomic */
  GMutex         lock;
  GCond          finished;
  guint          helpers;        /* running; under lock */
  GError        *error;          /* the first failure; under lock */
} RowShare;

static void
share_rows (RowShare *share)
{
  const CtCamRequest *request = &share->grid->copy->request;
  int n_rows = (int) request->n_epochs;
  int row;

  while ((row = g_atomic_int_add (&share->next_row, 1)) < n_rows)
    {
      GError *error = NULL;
      CtGrid *rows = ct_cam_session_compute_rows (share->session, share->batch, (guint) row, 1,
                                                  share->grid->cancellable, &error);

      if (rows == NULL)
        {
          g_atomic_int_set (&share->next_row, n_rows);
          g_mutex_lock (&share->lock);
          if (share->error == NULL)
            share->error = g_steal_pointer (&error);
          g_mutex_unlock (&share->lock);
          g_clear_error (&error);
          return;
        }
      post_rows (share->engine, share->grid, (guint) row, rows);
    }
}

static void
row_helper_main (gpointer data,
                 gpointer user_data)
{
  RowShare *share = data;

  lower_thread_priority (CAM_NICE);
  ct_torch_set_thread_threads (share->threads);
  share_rows (share);
  g_mutex_lock (&share->lock);
  share->helpers--;
  g_cond_signal (&share->finished);
  g_mutex_unlock (&share->lock);
}

/* Whether the rows can go to several threads: each needs a model of its
 * own, so no epoch may repeat. */
static gboolean
rows_can_share (const CtCamRequest *request)
{
  for (guint i = 0; i < request->n_epochs; i++)
    for (guint j = 0; j < i; j++)
      if (request->epochs[i] == request->epochs[j])
        return FALSE;
  return TRUE;
}

/* How many threads compute @request's rows: the worker alone, or with up to
 * participants − 1 helpers, each with its share of the worker's threads
 * (set for the worker here; restore them afterwards). */
static guint
count_participants (CtEngine           *self,
                    const CtCamRequest *request,
                    int                 threads)
{
  guint participants;

  if (self->row_helpers == NULL || !rows_can_share (request))
    return 1;
  participants = MIN (request->n_epochs,
                      MIN ((guint) MAX (threads, 1),
                           1 + (guint) g_thread_pool_get_max_threads (self->row_helpers)));
  if (participants < 2 || !ct_torch_set_thread_threads (MAX (1, threads / (int) participants)))
    return 1;
  return participants;
}

static void
compute_rows (CtEngine      *self,
              CtCamSession  *session,
              const GridJob *grid,
              GError       **error)
{
  const CtCamRequest *request = &grid->copy->request;
  int threads = ct_torch_get_threads ();
  guint participants;
  g_autoptr(CtCamBatch) batch = ct_cam_session_prepare (session, request, error);
  RowShare share = { self, session, grid, batch };

  if (batch == NULL)
    return;
  /* A shared scale is one min-max over the column, so no row is final
   * before the last; one row is one call anyway. */
  if (request->scale == CT_CAM_SCALE_SHARED || request->n_epochs <= 1)
    {
      CtGrid *rows = ct_cam_session_compute_rows (session, batch, 0, request->n_epochs,
                                                  grid->cancellable, error);

      if (rows != NULL)
        post_rows (self, grid, 0, rows);
      return;
    }

  participants = count_participants (self, request, threads);
  share.threads = MAX (1, threads / (int) participants);
  g_mutex_init (&share.lock);
  g_cond_init (&share.finished);
  share.helpers = participants - 1;
  for (guint i = 1; i < participants; i++)
    g_thread_pool_push (self->row_helpers, &share, NULL);
  share_rows (&share);
  g_mutex_lock (&share.lock);
  while (share.helpers > 0)
    g_cond_wait (&share.finished, &share.lock);
  g_mutex_unlock (&share.lock);
  if (participants > 1)
    ct_torch_set_thread_threads (threads);

  g_mutex_clear (&share.lock);
  g_cond_clear (&share.finished);
  if (share.error != NULL)
    g_propagate_error (error, share.error);
}

static void
run_grid (CtEngine     *self,
          CtCamSession *session,
          GridJob      *grid)
{
  g_autoptr(GError) error = NULL;

  /* A job is cancelled when a newer request supersedes it, by
   * ct_engine_cancel_grids() or by shutdown: nobody wants its callbacks
   * any more, so it is skipped, or stops between rows, and posts nothing. */
  if (!g_cancellable_is_cancelled (grid->cancellable))
    {
      const CtCamRequest *request = &grid->copy->request;

      if (check_open (session, &error) &&
          ensure_checkpoints (session, request->epochs, request->n_epochs, &error))
        compute_rows (self, session, grid, &error);
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        post_done (self, grid, error);
    }
}

static CtRunInfo *
run_info_new (CtCamSession  *session,
              GError       **error)
{
  const char *run_dir = ct_cam_session_get_run_dir (session);
  const CtSplit *test = &ct_cam_session_get_dataset (session)->test;
  g_autoptr(CtRunInfo) info = g_new0 (CtRunInfo, 1);

  info->run_dir = g_strdup (run_dir);
  /* A manifest of its own: the window keeps it after the worker moves on. */
  info->manifest = ct_manifest_load (run_dir, error);
  if (info->manifest == NULL)
    return NULL;
  info->metrics = ct_metrics_load (run_dir, error);
  if (info->metrics == NULL)
    return NULL;
  info->epochs = g_array_copy (ct_cam_session_get_epochs (session));
  info->n_test = test->n_images;
  info->test_labels = g_memdup2 (test->labels, test->n_images * sizeof *test->labels);
  return g_steal_pointer (&info);
}

/* Takes @error. */
static void
task_return (GTask          *task,
             gpointer        result,
             GDestroyNotify  result_free,
             GError         *error)
{
  if (result != NULL)
    g_task_return_pointer (task, result, result_free);
  else
    g_task_return_error (task, error);
}

static void
open_run (CtCamSession **session,
          GTask         *task)
{
  const OpenRunData *data = g_task_get_task_data (task);
  GError *error = NULL;
  g_autoptr(CtCamSession) opened = ct_cam_session_new (data->run_dir, data->data, NULL, &error);
  CtRunInfo *info = opened != NULL ? run_info_new (opened, &error) : NULL;

  /* A run that fails to open leaves the open one in place. */
  if (info != NULL)
    {
      g_clear_pointer (session, ct_cam_session_free);
      *session = g_steal_pointer (&opened);
    }
  task_return (task, info, (GDestroyNotify) ct_run_info_free, error);
}

static void
refresh_run (CtCamSession *session,
             GTask        *task)
{
  GError *error = NULL;
  CtRunInfo *info = NULL;

  if (check_open (session, &error) && ct_cam_session_rescan (session, &error))
    info = run_info_new (session, &error);
  task_return (task, info, (GDestroyNotify) ct_run_info_free, error);
}

static void
find_misclassified (CtCamSession *session,
                    GTask        *task)
{
  const MisclassifiedData *data = g_task_get_task_data (task);
  GError *error = NULL;
  GArray *found = NULL;

  if (check_open (session, &error) && ensure_checkpoints (session, &data->epoch, 1, &error))
    found = ct_cam_session_find_misclassified (session, data->epoch, data->count, data->seed,
                                               &error);
  task_return (task, found, (GDestroyNotify) g_array_unref, error);
}

static void
compute_grid (CtCamSession *session,
              GTask        *task)
{
  const RequestCopy *copy = g_task_get_task_data (task);
  const CtCamRequest *request = &copy->request;
  GError *error = NULL;
  CtGrid *grid = NULL;

  if (check_open (session, &error) &&
      ensure_checkpoints (session, request->epochs, request->n_epochs, &error))
    grid = ct_cam_session_compute (session, request, g_task_get_cancellable (task), &error);
  task_return (task, grid, (GDestroyNotify) ct_grid_free, error);
}

static void
run_task (CtEngine      *self,
          CtCamSession **session,
          Job           *job)
{
  if (g_atomic_int_get (&self->stopping))
    {
      g_task_return_new_error (job->task, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                               "the engine was shut down");
      return;
    }
  if (g_task_return_error_if_cancelled (job->task))
    return;

  switch (job->kind)
    {
    case JOB_OPEN_RUN:
      open_run (session, job->task);
      break;
    case JOB_REFRESH_RUN:
      refresh_run (*session, job->task);
      break;
    case JOB_FIND_MISCLASSIFIED:
      find_misclassified (*session, job->task);
      break;
    case JOB_COMPUTE_GRID:
      compute_grid (*session, job->task);
      break;
    case JOB_GRID:
    case JOB_STOP:
    default:
      g_assert_not_reached ();
    }
}

/* Torch work runs at a lower priority than the thread that owns the
 * engine (the UI), so a busy engine cannot stall the main loop, and a
 * training or study lower still than grids, so that a grid asked for in the
 * middle of a training batch gets most of the cores before the batch ends
 * and the training pauses.  On Linux the nice value is per thread and the
 * OpenMP workers a thread starts inherit it, so this is called before the
 * thread's first torch call. */
static void
lower_thread_priority (int nice)
{
#ifdef __linux__
  setpriority (PRIO_PROCESS, (id_t) gettid (), nice);
#endif
}

static gpointer
worker_main (gpointer data)
{
  CtEngine *self = data;
  g_autoptr(CtCamSession) session = NULL;
  Job *job;

  lower_thread_priority (CAM_NICE);
  while ((job = g_async_queue_pop (self->jobs))->kind != JOB_STOP)
    {
      if (job->kind == JOB_GRID)
        run_grid (self, session, job->grid);
      else
        {
          run_task (self, &session, job);
          /* The last reference to a task may be the last one to the engine
           * (its source object), and the engine must not be finalised here,
           * on the thread it joins. */
          post_to_context (self, release_cb, g_steal_pointer (&job->task), g_object_unref);
        }
      if (job_is_grid (job->kind))
        grids_pending_drop (self);
      job_free (job);
    }
  job_free (job);

  return NULL;
}

/* ---- The background thread ------------------------------------------- */

static void
wake_background (CtEngine *self)
{
  g_mutex_lock (&self->lock);
  g_cond_broadcast (&self->grids_idle);
  g_mutex_unlock (&self->lock);
}

static gboolean
has_pending_grids (CtEngine *self)
{
  gboolean pending;

  g_mutex_lock (&self->lock);
  pending = self->grids_pending > 0;
  g_mutex_unlock (&self->lock);
  return pending;
}

/* The visible grid gets the cores: the background job pauses between
 * steps while grid jobs are queued or running. */
static void
wait_for_grids (Background *background)
{
  CtEngine *self = background->engine;

  g_mutex_lock (&self->lock);
  while (self->grids_pending > 0 && !g_cancellable_is_cancelled (background->cancellable))
    g_cond_wait (&self->grids_idle, &self->lock);
  g_mutex_unlock (&self->lock);
}

static void
background_init (Background            *background,
                 const BackgroundClass *klass,
                 CtEngine              *engine)
{
  background->klass = klass;
  background->engine = engine;
  background->cancellable = g_cancellable_new ();
  background->last_post = g_get_monotonic_time () - STATUS_INTERVAL_US;
}

static void
background_free (Background *background)
{
  g_clear_object (&background->cancellable);
  g_clear_error (&background->error);
  background->klass->free (background);
}

/* Whether a progress report should reach the UI now: at most ten a second,
 * besides those it must @always see. */
static gboolean
background_should_post (Background *background,
                        gboolean    always)
{
  gint64 now = g_get_monotonic_time ();

  if (always)
    return TRUE;
  if (now - background->last_post < STATUS_INTERVAL_US)
    return FALSE;
  background->last_post = now;
  return TRUE;
}

/* A progress post or the last post of a background job.  @job is borrowed:
 * the engine frees it only after delivering its last post (or at shutdown,
 * after which no post is delivered), and posts arrive in order. */
typedef struct {
  GWeakRef       *guard;
  Background     *job;
  gboolean        done;
  gpointer        payload;       /* progress posts */
  GDestroyNotify  payload_free;
} BackgroundPost;

static void
background_post_free (BackgroundPost *post)
{
  guard_release (post->guard);
  if (post->payload_free != NULL)
    g_clear_pointer (&post->payload, post->payload_free);
  g_free (post);
}

static gboolean
deliver_background_cb (gpointer data)
{
  BackgroundPost *post = data;
  g_autoptr(CtEngine) self = guard_dup_engine (post->guard);
  Background *job = post->job;

  if (self == NULL || self->background != job)
    return G_SOURCE_REMOVE;

  if (!post->done)
    {
      job->klass->progress (self, job, post->payload);
      return G_SOURCE_REMOVE;
    }
  /* Joined and forgotten before the callback, so that it may start the
   * next background job. */
  self->background = NULL;
  g_thread_join (g_steal_pointer (&self->background_thread));
  job->klass->done (self, job);
  background_free (job);
  return G_SOURCE_REMOVE;
}

/* From the background thread: @payload (transfer full) for the kind's
 * progress(), or the end of the job when @payload is NULL. */
static void
background_post (Background     *background,
                 gpointer        payload,
                 GDestroyNotify  payload_free)
{
  BackgroundPost *post = g_new0 (BackgroundPost, 1);

  post->guard = g_atomic_rc_box_acquire (background->engine->guard);
  post->job = background;
  post->done = payload == NULL;
  post->payload = payload;
  post->payload_free = payload_free;
  post_to_context (background->engine, deliver_background_cb, post,
                   (GDestroyNotify) background_post_free);
}

static gpointer
background_main (gpointer data)
{
  Background *background = data;

  lower_thread_priority (BACKGROUND_NICE);
  background->klass->run (background);
  background_post (background, NULL, NULL);
  return NULL;
}

/* Joins a background thread that has finished or is about to, at
 * shutdown: its posts are no longer delivered. */
static void
join_background (CtEngine *self)
{
  Background *background = g_steal_pointer (&self->background);

  g_thread_join (g_steal_pointer (&self->background_thread));
  background_free (background);
}

static gboolean
check_background_free (CtEngine  *self,
                       GError   **error)
{
  g_autofree char *busy = NULL;

  if (self->shut_down)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_CLOSED, "the engine is shut down");
      return FALSE;
    }
  if (self->background == NULL)
    return TRUE;
  busy = self->background->klass->dup_busy_message (self->background);
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_BUSY,
               "%s; one background job runs at a time", busy);
  return FALSE;
}

/* Starts @background on its thread, or frees it and fails. */
static gboolean
start_background (CtEngine    *self,
                  Background  *background,
                  GError     **error)
{
  if (!check_background_free (self, error))
    {
      background_free (background);
      return FALSE;
    }
  self->background_thread = g_thread_try_new (background->klass->thread_name, background_main,
                                              background, error);
  if (self->background_thread == NULL)
    {
      background_free (background);
      return FALSE;
    }
  self->background = background;
  return TRUE;
}

/* Cancels the background job if it is of @klass. */
static void
cancel_background (CtEngine              *self,
                   const BackgroundClass *klass)
{
  if (self->background == NULL || self->background->klass != klass)
    return;
  g_cancellable_cancel (self->background->cancellable);
  wake_background (self);
}

static gboolean
background_is (CtEngine              *self,
               const BackgroundClass *klass)
{
  return self->background != NULL && self->background->klass == klass;
}

/* ---- Training -------------------------------------------------------- */

typedef struct {
  CtEngineTrainStatus  status;
  char                *message;
} TrainPayload;

static void
train_payload_free (TrainPayload *payload)
{
  g_free (payload->message);
  g_free (payload);
}

static void
training_free (Background *background)
{
  Training *training = (Training *) background;

  g_free (training->data);
  g_free (training->arch);
  g_free (training->out_dir);
  g_free (training->device);
  g_free (training->init);
  g_free (training);
}

/* Fills @status from @report; the rates learnt from batch progress carry
 * over to the reports without it. */
static void
training_status (Training            *training,
                 const CtTrainReport *report,
                 CtEngineTrainStatus *status)
{
  double epochs_done = 0.0;  /* of the run, fractional */

  status->stage = report->stage;
  status->epoch = report->epoch;
  status->epochs = report->epochs;
  switch (report->stage)
    {
    case CT_TRAIN_STAGE_TRAINING:
      {
        const CtTrainProgress *batch = report->batch;

        if (batch->n_batches > 0)
          status->epoch_fraction = (double) batch->batch / batch->n_batches;
        training->images_per_second = batch->images_per_second;
        if (batch->images_per_second > 0 && status->epoch_fraction > 0)
          training->seconds_per_epoch =
            batch->images_done / batch->images_per_second / status->epoch_fraction;
        epochs_done = report->epoch - 1 + status->epoch_fraction;
      }
      break;
    case CT_TRAIN_STAGE_SAVED:
      status->metrics = *report->metrics;
      if (report->metrics->epoch > 0)
        {
          training->images_per_second = report->metrics->images_per_second;
          training->seconds_per_epoch = report->metrics->seconds;
        }
      epochs_done = report->epoch;
      break;
    case CT_TRAIN_STAGE_EVALUATING:
      /* An epoch is evaluated once it is trained. */
      epochs_done = report->epoch;
      break;
    case CT_TRAIN_STAGE_LOADING:
      if (report->images_total > 0)
        status->epoch_fraction = (double) report->images_done / report->images_total;
      break;
    default:
      break;
    }

  if (report->epochs > 0)
    status->run_fraction = CLAMP (epochs_done / report->epochs, 0.0, 1.0);
  status->images_per_second = training->images_per_second;
  status->eta_seconds = -1.0;
  if (training->seconds_per_epoch >= 0)
    status->eta_seconds = MAX (report->epochs - epochs_done, 0.0) * training->seconds_per_epoch;
}

static void
train_report_cb (const CtTrainReport *report,
                 gpointer             user_data)
{
  Training *training = user_data;
  TrainPayload *payload;
  CtEngineTrainStatus status = { 0 };
  gboolean counting = report->stage == CT_TRAIN_STAGE_TRAINING
                      || (report->stage == CT_TRAIN_STAGE_LOADING
                          && report->images_done < report->images_total);

  training_status (training, report, &status);
  /* Batches and cached images come faster than anyone reads them; every
   * other stage is told. */
  if (background_should_post (&training->base, !counting))
    {
      payload = g_new0 (TrainPayload, 1);
      payload->status = status;
      payload->message = g_strdup (report->message);
      background_post (&training->base, payload, (GDestroyNotify) train_payload_free);
    }
  if (report->stage == CT_TRAIN_STAGE_TRAINING)
    wait_for_grids (&training->base);
}

static void
training_run (Background *background)
{
  Training *training = (Training *) background;

  ct_train_run (&training->options, train_report_cb, training, background->cancellable,
                &background->error);
}

static void
training_progress (CtEngine   *engine,
                   Background *background,
                   gpointer    data)
{
  Training *training = (Training *) background;
  TrainPayload *payload = data;

  if (training->status_func == NULL)
    return;
  payload->status.message = payload->message;
  training->status_func (engine, &payload->status, training->user_data);
}

static void
training_done (CtEngine   *engine,
               Background *background)
{
  Training *training = (Training *) background;

  if (training->done_func != NULL)
    training->done_func (engine, background->error, training->user_data);
}

static char *
training_dup_busy_message (Background *background)
{
  return g_strdup_printf ("%s is still training", ((Training *) background)->out_dir);
}

static const BackgroundClass training_class = {
  "ct-train", training_run, training_progress, training_done, training_dup_busy_message,
  training_free,
};

static Training *
training_new (CtEngine              *self,
              const CtTrainOptions  *options,
              CtEngineTrainFunc      status_func,
              CtEngineTrainDoneFunc  done_func,
              gpointer               user_data)
{
  Training *training = g_new0 (Training, 1);

  background_init (&training->base, &training_class, self);
  training->options = *options;
  training->data = g_strdup (options->data);
  training->arch = g_strdup (options->arch);
  training->out_dir = g_strdup (options->out_dir);
  training->device = g_strdup (options->device);
  training->options.data = training->data;
  training->options.arch = training->arch;
  training->options.out_dir = training->out_dir;
  training->options.device = training->device;
  /* Train…'s initial weights: the dialog that named them is gone. */
  training->init = g_strdup (options->init);
  training->options.init = training->init;
  training->status_func = status_func;
  training->done_func = done_func;
  training->user_data = user_data;
  training->seconds_per_epoch = -1;
  return training;
}

/* ---- Robustness studies ---------------------------------------------- */

typedef struct {
  CtEngineRobustnessStatus  status;
  char                     *perturbation;
} StudyPayload;

static void
study_payload_free (StudyPayload *payload)
{
  g_free (payload->perturbation);
  g_free (payload);
}

static void
study_free (Background *background)
{
  Study *study = (Study *) background;

  g_free (study->run_dir);
  g_free (study->epochs);
  g_free (study->perturbations);
  g_free (study->layer);
  g_clear_pointer (&study->result, ct_robustness_free);
  g_free (study);
}

static void
post_study_status (Study                      *study,
                   const CtRobustnessProgress *progress,
                   gboolean                    paused)
{
  StudyPayload *payload = g_new0 (StudyPayload, 1);
  CtEngineRobustnessStatus *status = &payload->status;
  double working = progress->seconds - study->paused_us / (double) G_USEC_PER_SEC;

  status->step = progress->step;
  status->n_steps = progress->n_steps;
  status->fraction = (double) progress->step / progress->n_steps;
  status->eta_seconds = MAX (working, 0.0) / progress->step * (progress->n_steps - progress->step);
  status->epoch = progress->epoch;
  status->paused = paused;
  payload->perturbation = g_strdup (progress->perturbation);
  background_post (&study->base, payload, (GDestroyNotify) study_payload_free);
}

static void
study_progress_cb (const CtRobustnessProgress *progress,
                   gpointer                    user_data)
{
  Study *study = user_data;
  gint64 now = g_get_monotonic_time ();

  /* Small batches come faster than anyone reads them; the last one and a
   * pause are always told. */
  if (background_should_post (&study->base, progress->step == progress->n_steps))
    post_study_status (study, progress, FALSE);

  if (has_pending_grids (study->base.engine))
    {
      post_study_status (study, progress, TRUE);
      wait_for_grids (&study->base);
      study->paused_us += g_get_monotonic_time () - now;
    }
}

static void
study_run (Background *background)
{
  Study *study = (Study *) background;
  g_autoptr(CtCamSession) session = ct_cam_session_new (study->run_dir, NULL, NULL,
                                                        &background->error);

  if (session != NULL)
    study->result = ct_robustness_compute (session, &study->request, study_progress_cb, study,
                                           background->cancellable, &background->error);
}

static void
study_progress (CtEngine   *engine,
                Background *background,
                gpointer    data)
{
  Study *study = (Study *) background;
  StudyPayload *payload = data;

  if (study->progress_func == NULL)
    return;
  payload->status.perturbation = payload->perturbation;
  study->progress_func (engine, &payload->status, study->user_data);
}

static void
study_done (CtEngine   *engine,
            Background *background)
{
  Study *study = (Study *) background;

  if (study->done_func != NULL)
    study->done_func (engine, g_steal_pointer (&study->result), background->error,
                      study->user_data);
}

static char *
study_dup_busy_message (Background *background)
{
  return g_strdup_printf ("a robustness study of %s is still running",
                          ((Study *) background)->run_dir);
}

static const BackgroundClass study_class = {
  "ct-robustness", study_run, study_progress, study_done, study_dup_busy_message, study_free,
};

static Study *
study_new (CtEngine                   *self,
           const char                 *run_dir,
           const CtRobustnessRequest  *request,
           CtEngineRobustnessFunc      progress_func,
           CtEngineRobustnessDoneFunc  done_func,
           gpointer                    user_data)
{
  Study *study = g_new0 (Study, 1);

  background_init (&study->base, &study_class, self);
  study->run_dir = g_strdup (run_dir);
  /* CtPerturb holds no pointers; the arrays and the layer are copied. */
  study->request = *request;
  study->epochs = g_memdup2 (request->epochs, request->n_epochs * sizeof (int));
  study->perturbations = g_memdup2 (request->perturbations,
                                    request->n_perturbations * sizeof (CtPerturb));
  study->layer = g_strdup (request->layer);
  study->request.epochs = study->epochs;
  study->request.perturbations = study->perturbations;
  study->request.layer = study->layer;
  study->progress_func = progress_func;
  study->done_func = done_func;
  study->user_data = user_data;
  return study;
}

/* ---- Imports (Open… on a folder of checkpoints) ----------------------- */

typedef struct {
  Background              base;
  CtImportOptions         options;          /* points into the copies below */
  char                   *arch;
  char                   *data;
  char                   *out_dir;
  char                   *epochs;
  char                  **files;
  CtEngineImportFunc      progress_func;
  CtEngineImportDoneFunc  done_func;
  gpointer                user_data;
} Import;

typedef struct {
  CtEngineImportStatus  status;
  char                 *message;
} ImportPayload;

static void
import_payload_free (ImportPayload *payload)
{
  g_free (payload->message);
  g_free (payload);
}

static void
import_free (Background *background)
{
  Import *import = (Import *) background;

  g_free (import->arch);
  g_free (import->data);
  g_free (import->out_dir);
  g_free (import->epochs);
  g_strfreev (import->files);
  g_free (import);
}

static void
import_report_cb (const CtImportReport *report,
                  gpointer              user_data)
{
  Import *import = user_data;
  ImportPayload *payload = g_new0 (ImportPayload, 1);

  /* Reports come once or twice a checkpoint: every one is told. */
  payload->status.done = report->done;
  payload->status.total = report->total;
  payload->status.epoch = report->epoch;
  payload->status.fraction = report->total > 0 ? (double) report->done / report->total : 0.0;
  if (report->metrics != NULL)
    payload->status.test_accuracy = report->metrics->test_accuracy;
  else
    payload->status.test_accuracy = -1.0;
  if (report->epoch < 0)
    payload->message = g_strdup (report->message);
  background_post (&import->base, payload, (GDestroyNotify) import_payload_free);
  wait_for_grids (&import->base);
}

static void
import_run (Background *background)
{
  Import *import = (Import *) background;

  ct_import_run (&import->options, import_report_cb, import, background->cancellable,
                 &background->error);
}

static void
import_progress (CtEngine   *engine,
                 Background *background,
                 gpointer    data)
{
  Import *import = (Import *) background;
  ImportPayload *payload = data;

  if (import->progress_func == NULL)
    return;
  payload->status.message = payload->message;
  import->progress_func (engine, &payload->status, import->user_data);
}

static void
import_done (CtEngine   *engine,
             Background *background)
{
  Import *import = (Import *) background;

  if (import->done_func != NULL)
    import->done_func (engine, background->error, import->user_data);
}

static char *
import_dup_busy_message (Background *background)
{
  return g_strdup_printf ("checkpoints are still being imported into %s",
                          ((Import *) background)->out_dir);
}

static const BackgroundClass import_class = {
  "ct-import", import_run, import_progress, import_done, import_dup_busy_message, import_free,
};

static Import *
import_new (CtEngine               *self,
            const CtImportOptions  *options,
            CtEngineImportFunc      progress_func,
            CtEngineImportDoneFunc  done_func,
            gpointer                user_data)
{
  Import *import = g_new0 (Import, 1);

  background_init (&import->base, &import_class, self);
  import->options = *options;
  import->arch = g_strdup (options->arch);
  import->data = g_strdup (options->data);
  import->out_dir = g_strdup (options->out_dir);
  import->epochs = g_strdup (options->epochs);
  import->files = g_new0 (char *, options->n_files + 1);
  for (guint i = 0; i < options->n_files; i++)
    import->files[i] = g_strdup (options->files[i]);
  import->options.arch = import->arch;
  import->options.data = import->data;
  import->options.out_dir = import->out_dir;
  import->options.epochs = import->epochs;
  import->options.files = (const char * const *) import->files;
  import->progress_func = progress_func;
  import->done_func = done_func;
  import->user_data = user_data;
  return import;
}

/* ---- The paper's study ------------------------------------------------ */

typedef struct {
  Background             base;
  char                  *run_dir;
  CtStudyRequest         request;      /* points into the copies below */
  int                   *epochs;
  CtCamMethod           *faithfulness_methods;
  char                  *layer;
  char                  *out_dir;
  CtEngineStudyFunc      progress_func;
  CtEngineStudyDoneFunc  done_func;
  gpointer               user_data;
  char                  *report;       /* set by run(): report.html */
  /* Background thread only. */
  gint64                 paused_us;    /* waiting for grids: not in the ETA */
} PaperStudy;

typedef struct {
  CtEngineStudyStatus  status;
  char                *part;
} PaperStudyPayload;

static void
paper_study_payload_free (PaperStudyPayload *payload)
{
  g_free (payload->part);
  g_free (payload);
}

static void
paper_study_free (Background *background)
{
  PaperStudy *study = (PaperStudy *) background;

  g_free (study->run_dir);
  g_free (study->epochs);
  g_free (study->faithfulness_methods);
  g_free (study->layer);
  g_free (study->out_dir);
  g_free (study->report);
  g_free (study);
}

/* The time left is estimated from the steps measured in this run: parts
 * read back from disk cost nothing, and pauses for grids are not work. */
static void
post_paper_study_status (PaperStudy            *study,
                         const CtStudyProgress *progress,
                         gboolean               paused)
{
  PaperStudyPayload *payload = g_new0 (PaperStudyPayload, 1);
  CtEngineStudyStatus *status = &payload->status;
  guint measured = progress->step - MIN (progress->step, progress->resumed_steps);
  double working = progress->seconds - study->paused_us / (double) G_USEC_PER_SEC;

  status->step = progress->step;
  status->n_steps = progress->n_steps;
  status->resumed_steps = progress->resumed_steps;
  status->fraction = (double) progress->step / MAX (progress->n_steps, 1);
  status->eta_seconds = -1.0;
  if (progress->step >= progress->n_steps)
    status->eta_seconds = 0.0;
  else if (measured > 0)
    status->eta_seconds = MAX (working, 0.0) / measured * (progress->n_steps - progress->step);
  status->paused = paused;
  payload->part = g_strdup (progress->part);
  background_post (&study->base, payload, (GDestroyNotify) paper_study_payload_free);
}

static void
paper_study_progress_cb (const CtStudyProgress *progress,
                         gpointer               user_data)
{
  PaperStudy *study = user_data;
  gint64 now = g_get_monotonic_time ();

  if (background_should_post (&study->base, progress->step >= progress->n_steps))
    post_paper_study_status (study, progress, FALSE);

  if (has_pending_grids (study->base.engine))
    {
      post_paper_study_status (study, progress, TRUE);
      wait_for_grids (&study->base);
      study->paused_us += g_get_monotonic_time () - now;
    }
}

static void
paper_study_run (Background *background)
{
  PaperStudy *study = (PaperStudy *) background;
  g_autoptr(CtCamSession) session = ct_cam_session_new (study->run_dir, NULL, NULL,
                                                        &background->error);
  g_autoptr(CtStudyResult) result = NULL;

  if (session == NULL)
    return;
  result = ct_study_run (session, &study->request, paper_study_progress_cb, study,
                         background->cancellable, &background->error);
  if (result == NULL)
    return;
  result->command = ct_study_dup_command (study->run_dir, NULL, study->out_dir, &study->request);
  if (ct_study_report_write (result, study->out_dir, &background->error))
    study->report = g_build_filename (study->out_dir, "report.html", NULL);
}

static void
paper_study_progress (CtEngine   *engine,
                      Background *background,
                      gpointer    data)
{
  PaperStudy *study = (PaperStudy *) background;
  PaperStudyPayload *payload = data;

  if (study->progress_func == NULL)
    return;
  payload->status.part = payload->part;
  study->progress_func (engine, &payload->status, study->user_data);
}

static void
paper_study_done (CtEngine   *engine,
                  Background *background)
{
  PaperStudy *study = (PaperStudy *) background;

  if (study->done_func != NULL)
    study->done_func (engine, study->report, background->error, study->user_data);
}

static char *
paper_study_dup_busy_message (Background *background)
{
  return g_strdup_printf ("a study of %s is still running", ((PaperStudy *) background)->run_dir);
}

static const BackgroundClass paper_study_class = {
  "ct-study", paper_study_run, paper_study_progress, paper_study_done,
  paper_study_dup_busy_message, paper_study_free,
};

static PaperStudy *
paper_study_new (CtEngine              *self,
                 const char            *run_dir,
                 const CtStudyRequest  *request,
                 CtEngineStudyFunc      progress_func,
                 CtEngineStudyDoneFunc  done_func,
                 gpointer               user_data)
{
  PaperStudy *study = g_new0 (PaperStudy, 1);

  background_init (&study->base, &paper_study_class, self);
  study->run_dir = g_strdup (run_dir);
  study->request = *request;
  study->epochs = g_memdup2 (request->epochs, request->n_epochs * sizeof (int));
  study->faithfulness_methods = g_memdup2 (request->faithfulness_methods,
                                           request->n_faithfulness_methods * sizeof (CtCamMethod));
  study->layer = g_strdup (request->layer);
  study->out_dir = g_strdup (request->out_dir);
  study->request.epochs = study->epochs;
  study->request.faithfulness_methods = study->faithfulness_methods;
  study->request.layer = study->layer;
  study->request.out_dir = study->out_dir;
  study->progress_func = progress_func;
  study->done_func = done_func;
  study->user_data = user_data;
  return study;
}

/* ---- Faithfulness studies -------------------------------------------- */

typedef struct {
  Background                    base;
  char                         *run_dir;
  CtFaithfulnessRequest         request;      /* points into the copies below */
  int                          *epochs;
  char                         *layer;
  CtEngineFaithfulnessFunc      progress_func;
  CtEngineFaithfulnessDoneFunc  done_func;
  gpointer                      user_data;
  CtFaithfulness               *result;       /* set by run() */
  /* Background thread only. */
  int                           epoch;        /* the epoch under way, and its index */
  guint                         epoch_index;
} Faithfulness;

static void
faithfulness_free (Background *background)
{
  Faithfulness *job = (Faithfulness *) background;

  g_free (job->run_dir);
  g_free (job->epochs);
  g_free (job->layer);
  g_clear_pointer (&job->result, ct_faithfulness_free);
  g_free (job);
}

static void
post_faithfulness_status (Faithfulness *job,
                          guint         done,
                          guint         n_images,
                          gboolean      paused)
{
  CtEngineFaithfulnessStatus *status = g_new0 (CtEngineFaithfulnessStatus, 1);
  guint n_epochs = MAX (job->request.n_epochs, 1);

  status->epoch = job->epoch;
  status->done = done;
  status->n_images = n_images;
  status->fraction = (job->epoch_index + (double) done / MAX (n_images, 1)) / n_epochs;
  status->paused = paused;
  background_post (&job->base, status, g_free);
}

static void
faithfulness_progress_cb (int      epoch,
                          guint    done,
                          guint    n_images,
                          gpointer user_data)
{
  Faithfulness *job = user_data;

  if (epoch != job->epoch)
    {
      /* The study goes through the epochs in the request's order. */
      for (guint e = 0; e < job->request.n_epochs; e++)
        if (job->request.epochs[e] == epoch)
          job->epoch_index = e;
      job->epoch = epoch;
    }
  if (background_should_post (&job->base, done == n_images))
    post_faithfulness_status (job, done, n_images, FALSE);

  if (has_pending_grids (job->base.engine))
    {
      post_faithfulness_status (job, done, n_images, TRUE);
      wait_for_grids (&job->base);
    }
}

static void
faithfulness_run (Background *background)
{
  Faithfulness *job = (Faithfulness *) background;
  g_autoptr(CtCamSession) session = ct_cam_session_new (job->run_dir, NULL, NULL,
                                                        &background->error);

  if (session != NULL)
    job->result = ct_faithfulness_compute (session, &job->request, faithfulness_progress_cb, job,
                                           background->cancellable, &background->error);
}

static void
faithfulness_progress (CtEngine   *engine,
                       Background *background,
                       gpointer    data)
{
  Faithfulness *job = (Faithfulness *) background;

  if (job->progress_func != NULL)
    job->progress_func (engine, data, job->user_data);
}

static void
faithfulness_done (CtEngine   *engine,
                   Background *background)
{
  Faithfulness *job = (Faithfulness *) background;

  if (job->done_func != NULL)
    job->done_func (engine, g_steal_pointer (&job->result), background->error, job->user_data);
}

static char *
faithfulness_dup_busy_message (Background *background)
{
  return g_strdup_printf ("a faithfulness study of %s is still running",
                          ((Faithfulness *) background)->run_dir);
}

static const BackgroundClass faithfulness_class = {
  "ct-faithfulness", faithfulness_run, faithfulness_progress, faithfulness_done,
  faithfulness_dup_busy_message, faithfulness_free,
};

static Faithfulness *
faithfulness_new (CtEngine                     *self,
                  const char                   *run_dir,
                  const CtFaithfulnessRequest  *request,
                  CtEngineFaithfulnessFunc      progress_func,
                  CtEngineFaithfulnessDoneFunc  done_func,
                  gpointer                      user_data)
{
  Faithfulness *job = g_new0 (Faithfulness, 1);

  background_init (&job->base, &faithfulness_class, self);
  job->run_dir = g_strdup (run_dir);
  job->request = *request;
  job->epochs = g_memdup2 (request->epochs, request->n_epochs * sizeof (int));
  job->layer = g_strdup (request->layer);
  job->request.epochs = job->epochs;
  job->request.layer = job->layer;
  job->progress_func = progress_func;
  job->done_func = done_func;
  job->user_data = user_data;
  job->epoch = request->n_epochs > 0 ? request->epochs[0] : 0;
  return job;
}

/* ---- Sanity checks --------------------------------------------------- */

typedef struct {
  Background                base;
  char                     *run_dir;
  CtSanityRequest           request;      /* points into the copies below */
  int                      *epochs;
  char                     *layer;
  CtEngineSanityFunc        progress_func;
  CtEngineSanityDoneFunc    done_func;
  gpointer                  user_data;
  CtSanity                 *result;       /* set by run() */
} Sanity;

static void
sanity_free (Background *background)
{
  Sanity *job = (Sanity *) background;

  g_free (job->run_dir);
  g_free (job->epochs);
  g_free (job->layer);
  g_clear_pointer (&job->result, ct_sanity_free);
  g_free (job);
}

static void
post_sanity_status (Sanity   *job,
                    guint     done,
                    guint     n_images,
                    gboolean  paused)
{
  CtEngineSanityStatus *status = g_new0 (CtEngineSanityStatus, 1);

  status->done = done;
  status->n_images = n_images;
  status->fraction = (double) done / MAX (n_images, 1);
  status->paused = paused;
  background_post (&job->base, status, g_free);
}

static void
sanity_progress_cb (guint    done,
                    guint    n_images,
                    gpointer user_data)
{
  Sanity *job = user_data;

  if (background_should_post (&job->base, done == n_images))
    post_sanity_status (job, done, n_images, FALSE);

  if (has_pending_grids (job->base.engine))
    {
      post_sanity_status (job, done, n_images, TRUE);
      wait_for_grids (&job->base);
    }
}

static void
sanity_run (Background *background)
{
  Sanity *job = (Sanity *) background;
  g_autoptr(CtCamSession) session = ct_cam_session_new (job->run_dir, NULL, NULL,
                                                        &background->error);

  if (session != NULL)
    job->result = ct_sanity_compute (session, &job->request, sanity_progress_cb, job,
                                     background->cancellable, &background->error);
}

static void
sanity_progress (CtEngine   *engine,
                 Background *background,
                 gpointer    data)
{
  Sanity *job = (Sanity *) background;

  if (job->progress_func != NULL)
    job->progress_func (engine, data, job->user_data);
}

static void
sanity_done (CtEngine   *engine,
             Background *background)
{
  Sanity *job = (Sanity *) background;

  if (job->done_func != NULL)
    job->done_func (engine, g_steal_pointer (&job->result), background->error, job->user_data);
}

static char *
sanity_dup_busy_message (Background *background)
{
  return g_strdup_printf ("a sanity check of %s is still running",
                          ((Sanity *) background)->run_dir);
}

static const BackgroundClass sanity_class = {
  "ct-sanity", sanity_run, sanity_progress, sanity_done, sanity_dup_busy_message, sanity_free,
};

static Sanity *
sanity_new (CtEngine               *self,
            const char             *run_dir,
            const CtSanityRequest  *request,
            CtEngineSanityFunc      progress_func,
            CtEngineSanityDoneFunc  done_func,
            gpointer                user_data)
{
  Sanity *job = g_new0 (Sanity, 1);

  background_init (&job->base, &sanity_class, self);
  job->run_dir = g_strdup (run_dir);
  job->request = *request;
  job->epochs = g_memdup2 (request->epochs, request->n_epochs * sizeof (int));
  job->layer = g_strdup (request->layer);
  job->request.epochs = job->epochs;
  job->request.layer = job->layer;
  /* Its own session is of the run's dataset on the CPU, in one process. */
  job->request.data = NULL;
  job->request.device = NULL;
  job->request.dist = NULL;
  job->progress_func = progress_func;
  job->done_func = done_func;
  job->user_data = user_data;
  return job;
}

/* ---- The object ------------------------------------------------------ */

static void
ct_engine_dispose (GObject *object)
{
  ct_engine_shutdown (CT_ENGINE (object));

  G_OBJECT_CLASS (ct_engine_parent_class)->dispose (object);
}

static void
ct_engine_finalize (GObject *object)
{
  CtEngine *self = CT_ENGINE (object);

  g_async_queue_unref (self->jobs);
  g_clear_object (&self->grid_cancellable);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->grids_idle);
  guard_release (self->guard);
  g_main_context_unref (self->context);

  G_OBJECT_CLASS (ct_engine_parent_class)->finalize (object);
}

static void
ct_engine_class_init (CtEngineClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = ct_engine_dispose;
  object_class->finalize = ct_engine_finalize;
}

static void
ct_engine_init (CtEngine *self)
{
  self->context = g_main_context_ref_thread_default ();
  self->guard = g_atomic_rc_box_new0 (GWeakRef);
  g_weak_ref_init (self->guard, self);
  g_mutex_init (&self->lock);
  g_cond_init (&self->grids_idle);
  self->jobs = g_async_queue_new ();
  if (g_get_num_processors () > 1)
    self->row_helpers = g_thread_pool_new (row_helper_main, self, (int) g_get_num_processors () - 1,
                                           FALSE, NULL);
  self->worker = g_thread_new ("ct-cam-worker", worker_main, self);
}

CtEngine *
ct_engine_new (void)
{
  return g_object_new (CT_TYPE_ENGINE, NULL);
}

void
ct_engine_shutdown (CtEngine *self)
{
  Job *job;

  g_return_if_fail (CT_IS_ENGINE (self));

  if (self->shut_down)
    return;
  self->shut_down = TRUE;
  self->grid_outstanding = FALSE;
  g_atomic_int_set (&self->stopping, TRUE);

  if (self->grid_cancellable != NULL)
    g_cancellable_cancel (self->grid_cancellable);
  if (self->background != NULL)
    g_cancellable_cancel (self->background->cancellable);
  wake_background (self);

  /* Queued tasks complete, cancelled; queued grids just go. */
  while ((job = g_async_queue_try_pop (self->jobs)) != NULL)
    {
      if (job->task != NULL)
        g_task_return_new_error (job->task, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                 "the engine was shut down");
      if (job_is_grid (job->kind))
        grids_pending_drop (self);
      job_free (job);
    }
  g_async_queue_push (self->jobs, job_new (JOB_STOP, NULL, NULL));
  g_thread_join (g_steal_pointer (&self->worker));
  /* Idle by now: the worker waits for its helpers. */
  if (self->row_helpers != NULL)
    g_thread_pool_free (g_steal_pointer (&self->row_helpers), FALSE, TRUE);

  if (self->background != NULL)
    join_background (self);
}

static void
queue_task (CtEngine *self,
            JobKind   kind,
            GTask    *task)
{
  if (self->shut_down)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CLOSED, "the engine is shut down");
      return;
    }
  if (job_is_grid (kind))
    grids_pending_add (self);
  g_async_queue_push (self->jobs, job_new (kind, task, NULL));
}

void
ct_engine_open_run (CtEngine            *self,
                    const char          *run_dir,
                    const char          *data,
                    GCancellable        *cancellable,
                    GAsyncReadyCallback  callback,
                    gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  OpenRunData *open_data;

  g_return_if_fail (CT_IS_ENGINE (self));
  g_return_if_fail (run_dir != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, ct_engine_open_run);
  open_data = g_new0 (OpenRunData, 1);
  open_data->run_dir = g_strdup (run_dir);
  open_data->data = g_strdup (data);
  g_task_set_task_data (task, open_data, (GDestroyNotify) open_run_data_free);
  queue_task (self, JOB_OPEN_RUN, task);
}

CtRunInfo *
ct_engine_open_run_finish (CtEngine      *self,
                           GAsyncResult  *result,
                           GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_async_result_is_tagged (result, ct_engine_open_run), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

void
ct_engine_refresh_run (CtEngine            *self,
                       GCancellable        *cancellable,
                       GAsyncReadyCallback  callback,
                       gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (CT_IS_ENGINE (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, ct_engine_refresh_run);
  queue_task (self, JOB_REFRESH_RUN, task);
}

CtRunInfo *
ct_engine_refresh_run_finish (CtEngine      *self,
                              GAsyncResult  *result,
                              GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_async_result_is_tagged (result, ct_engine_refresh_run), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

guint64
ct_engine_request_grid (CtEngine           *self,
                        const CtCamRequest *request,
                        CtEngineRowsFunc    rows_func,
                        CtEngineDoneFunc    done_func,
                        gpointer            user_data)
{
  GridJob *grid;

  g_return_val_if_fail (CT_IS_ENGINE (self), 0);
  g_return_val_if_fail (request != NULL, 0);

  if (self->grid_cancellable != NULL)
    g_cancellable_cancel (self->grid_cancellable);
  self->generation++;
  if (self->shut_down)
    return self->generation;

  grid = grid_job_new (request, self->generation, rows_func, done_func, user_data);
  g_set_object (&self->grid_cancellable, grid->cancellable);
  self->grid_outstanding = TRUE;
  grids_pending_add (self);
  g_async_queue_push (self->jobs, job_new (JOB_GRID, NULL, grid));
  return self->generation;
}

void
ct_engine_cancel_grids (CtEngine *self)
{
  g_return_if_fail (CT_IS_ENGINE (self));

  if (self->grid_cancellable != NULL)
    g_cancellable_cancel (self->grid_cancellable);
  g_clear_object (&self->grid_cancellable);
  /* A generation that no request has: every post still on its way is stale. */
  self->generation++;
  self->grid_outstanding = FALSE;
}

gboolean
ct_engine_is_busy (CtEngine *self)
{
  g_return_val_if_fail (CT_IS_ENGINE (self), FALSE);

  return self->grid_outstanding;
}

void
ct_engine_compute_grid (CtEngine            *self,
                        const CtCamRequest  *request,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (CT_IS_ENGINE (self));
  g_return_if_fail (request != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, ct_engine_compute_grid);
  g_task_set_task_data (task, request_copy_new (request), (GDestroyNotify) request_copy_free);
  queue_task (self, JOB_COMPUTE_GRID, task);
}

CtGrid *
ct_engine_compute_grid_finish (CtEngine      *self,
                               GAsyncResult  *result,
                               GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_async_result_is_tagged (result, ct_engine_compute_grid), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

void
ct_engine_find_misclassified (CtEngine            *self,
                              int                  epoch,
                              guint                count,
                              guint64              seed,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  MisclassifiedData *data;

  g_return_if_fail (CT_IS_ENGINE (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, ct_engine_find_misclassified);
  data = g_new0 (MisclassifiedData, 1);
  data->epoch = epoch;
  data->count = count;
  data->seed = seed;
  g_task_set_task_data (task, data, g_free);
  queue_task (self, JOB_FIND_MISCLASSIFIED, task);
}

GArray *
ct_engine_find_misclassified_finish (CtEngine      *self,
                                     GAsyncResult  *result,
                                     GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_async_result_is_tagged (result, ct_engine_find_misclassified), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

gboolean
ct_engine_train (CtEngine              *self,
                 const CtTrainOptions  *options,
                 CtEngineTrainFunc      status_func,
                 CtEngineTrainDoneFunc  done_func,
                 gpointer               user_data,
                 GError               **error)
{
  Training *training;

  g_return_val_if_fail (CT_IS_ENGINE (self), FALSE);
  g_return_val_if_fail (options != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  /* Busy is told before anything of @options is read: a caller may pass
   * options it is about to free, knowing a busy engine takes nothing. */
  if (!check_background_free (self, error))
    return FALSE;
  training = training_new (self, options, status_func, done_func, user_data);
  return start_background (self, &training->base, error);
}

void
ct_engine_cancel_training (CtEngine *self)
{
  g_return_if_fail (CT_IS_ENGINE (self));

  cancel_background (self, &training_class);
}

gboolean
ct_engine_is_training (CtEngine *self)
{
  g_return_val_if_fail (CT_IS_ENGINE (self), FALSE);

  return background_is (self, &training_class);
}

gboolean
ct_engine_compute_robustness (CtEngine                   *self,
                              const char                 *run_dir,
                              const CtRobustnessRequest  *request,
                              CtEngineRobustnessFunc      progress_func,
                              CtEngineRobustnessDoneFunc  done_func,
                              gpointer                    user_data,
                              GError                    **error)
{
  Study *study;

  g_return_val_if_fail (CT_IS_ENGINE (self), FALSE);
  g_return_val_if_fail (run_dir != NULL, FALSE);
  g_return_val_if_fail (request != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!check_background_free (self, error))
    return FALSE;
  study = study_new (self, run_dir, request, progress_func, done_func, user_data);
  return start_background (self, &study->base, error);
}

void
ct_engine_cancel_robustness (CtEngine *self)
{
  g_return_if_fail (CT_IS_ENGINE (self));

  cancel_background (self, &study_class);
}

gboolean
ct_engine_is_computing_robustness (CtEngine *self)
{
  g_return_val_if_fail (CT_IS_ENGINE (self), FALSE);

  return background_is (self, &study_class);
}

gboolean
ct_engine_import (CtEngine               *self,
                  const CtImportOptions  *options,
                  CtEngineImportFunc      progress_func,
                  CtEngineImportDoneFunc  done_func,
                  gpointer                user_data,
                  GError                **error)
{
  Import *import;

  g_return_val_if_fail (CT_IS_ENGINE (self), FALSE);
  g_return_val_if_fail (options != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!check_background_free (self, error))
    return FALSE;
  import = import_new (self, options, progress_func, done_func, user_data);
  return start_background (self, &import->base, error);
}

void
ct_engine_cancel_import (CtEngine *self)
{
  g_return_if_fail (CT_IS_ENGINE (self));

  cancel_background (self, &import_class);
}

gboolean
ct_engine_is_importing (CtEngine *self)
{
  g_return_val_if_fail (CT_IS_ENGINE (self), FALSE);

  return background_is (self, &import_class);
}

gboolean
ct_engine_run_study (CtEngine               *self,
                     const char             *run_dir,
                     const CtStudyRequest   *request,
                     CtEngineStudyFunc       progress_func,
                     CtEngineStudyDoneFunc   done_func,
                     gpointer                user_data,
                     GError                **error)
{
  PaperStudy *study;

  g_return_val_if_fail (CT_IS_ENGINE (self), FALSE);
  g_return_val_if_fail (run_dir != NULL, FALSE);
  g_return_val_if_fail (request != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!check_background_free (self, error))
    return FALSE;
  study = paper_study_new (self, run_dir, request, progress_func, done_func, user_data);
  return start_background (self, &study->base, error);
}

void
ct_engine_cancel_study (CtEngine *self)
{
  g_return_if_fail (CT_IS_ENGINE (self));

  cancel_background (self, &paper_study_class);
}

gboolean
ct_engine_is_studying (CtEngine *self)
{
  g_return_val_if_fail (CT_IS_ENGINE (self), FALSE);

  return background_is (self, &paper_study_class);
}

gboolean
ct_engine_compute_faithfulness (CtEngine                     *self,
                                const char                   *run_dir,
                                const CtFaithfulnessRequest  *request,
                                CtEngineFaithfulnessFunc      progress_func,
                                CtEngineFaithfulnessDoneFunc  done_func,
                                gpointer                      user_data,
                                GError                      **error)
{
  Faithfulness *job;

  g_return_val_if_fail (CT_IS_ENGINE (self), FALSE);
  g_return_val_if_fail (run_dir != NULL, FALSE);
  g_return_val_if_fail (request != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!check_background_free (self, error))
    return FALSE;
  job = faithfulness_new (self, run_dir, request, progress_func, done_func, user_data);
  return start_background (self, &job->base, error);
}

void
ct_engine_cancel_faithfulness (CtEngine *self)
{
  g_return_if_fail (CT_IS_ENGINE (self));

  cancel_background (self, &faithfulness_class);
}

gboolean
ct_engine_is_computing_faithfulness (CtEngine *self)
{
  g_return_val_if_fail (CT_IS_ENGINE (self), FALSE);

  return background_is (self, &faithfulness_class);
}

gboolean
ct_engine_compute_sanity (CtEngine                *self,
                          const char              *run_dir,
                          const CtSanityRequest   *request,
                          CtEngineSanityFunc       progress_func,
                          CtEngineSanityDoneFunc   done_func,
                          gpointer                 user_data,
                          GError                 **error)
{
  Sanity *job;

  g_return_val_if_fail (CT_IS_ENGINE (self), FALSE);
  g_return_val_if_fail (run_dir != NULL, FALSE);
  g_return_val_if_fail (request != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!check_background_free (self, error))
    return FALSE;
  job = sanity_new (self, run_dir, request, progress_func, done_func, user_data);
  return start_background (self, &job->base, error);
}

void
ct_engine_cancel_sanity (CtEngine *self)
{
  g_return_if_fail (CT_IS_ENGINE (self));

  cancel_background (self, &sanity_class);
}

gboolean
ct_engine_is_computing_sanity (CtEngine *self)
{
  g_return_val_if_fail (CT_IS_ENGINE (self), FALSE);

  return background_is (self, &sanity_class);
}
