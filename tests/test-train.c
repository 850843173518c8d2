/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The C shim's trainer on a tiny learnable data set made here: 3×16×16
 * images whose class is the bright quadrant. */
#include <glib.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ct-torch.h"

enum {
  C = 3,
  S = 16,
  P = C * S * S,
  K = 4,
  N_TRAIN = 512,
  N_TEST = 256,
};

static const float mean[C] = { 0.4f, 0.4f, 0.4f };
static const float std[C] = { 0.25f, 0.25f, 0.25f };

typedef struct {
  size_t    n;
  uint8_t  *images;
  uint16_t *labels;
} Data;

static Data train_data, test_data;

static void
make_data (Data    *data,
           size_t   n,
           guint32  seed)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (seed);

  data->n = n;
  data->images = g_new (uint8_t, n * P);
  data->labels = g_new (uint16_t, n);
  for (size_t i = 0; i < n; i++)
    {
      int label = g_rand_int_range (rand, 0, K);
      int qy = label / 2, qx = label % 2;

      data->labels[i] = label;
      for (int c = 0; c < C; c++)
        for (int y = 0; y < S; y++)
          for (int x = 0; x < S; x++)
            {
              int v = g_rand_int_range (rand, 0, 140);
              if (y / (S / 2) == qy && x / (S / 2) == qx)
                v += 90;
              data->images[i * P + (c * S + y) * S + x] = v;
            }
    }
}

static CtModel *
new_model (uint64_t seed)
{
  CtModelConfig config = {
    .arch = "camtrail_net",
    .in_channels = C,
    .n_classes = K,
    .image_size = S,
    .width = 8,
    .seed = seed,
  };
  CtModel *model = NULL;

  g_assert_cmpint (ct_model_new (&config, &model, NULL), ==, CT_TORCH_OK);
  return model;
}

static CtTrainConfig
default_config (void)
{
  CtTrainConfig config = {
    .epochs = 3,
    .batch_size = 64,
    .lr = 0.2,
    .warmup_epochs = 0.5,
    .momentum = 0.9,
    .nesterov = true,
    .weight_decay = 5e-4,
    .label_smoothing = 0.1,
    .flip = true,
    .translate = 2,
    .seed = 42,
  };
  return config;
}

static CtTrainer *
new_trainer (CtModel             *model,
             const CtTrainConfig *config)
{
  CtTrainer *trainer = NULL;
  char *error = NULL;

  g_assert_cmpint (ct_trainer_new (model, config, train_data.n, &trainer, &error), ==, CT_TORCH_OK);
  g_assert_null (error);
  return trainer;
}

static CtTorchStatus
run_epoch (CtTrainer           *trainer,
           int                  epoch,
           CtTrainProgressFunc  progress,
           void                *user_data,
           const volatile int  *cancel,
           char               **error)
{
  return ct_trainer_run_epoch (trainer, epoch, train_data.images, train_data.labels, train_data.n,
                               mean, std, progress, user_data, cancel, NULL, NULL, error);
}

static void
run_epoch_ok (CtTrainer *trainer,
              int        epoch)
{
  char *error = NULL;

  g_assert_cmpint (run_epoch (trainer, epoch, NULL, NULL, NULL, &error), ==, CT_TORCH_OK);
  g_assert_null (error);
}

/* The whole state of a model or optimizer, copied out of borrowed memory. */
typedef struct {
  size_t         n;
  CtTorchTensor *tensors;
} State;

static void
state_free (State *state)
{
  for (size_t i = 0; i < state->n; i++)
    {
      g_free ((char *) state->tensors[i].name);
      g_free ((void *) state->tensors[i].data);
    }
  g_free (state->tensors);
  g_free (state);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CtModel, ct_model_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CtTrainer, ct_trainer_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (State, state_free)

static void
state_add (State               *state,
           const CtTorchTensor *t)
{
  CtTorchTensor *copy = &state->tensors[state->n++];

  *copy = *t;
  copy->name = g_strdup (t->name);
  copy->data = g_memdup2 (t->data, t->n_bytes);
}

static State *
model_state (CtModel *model)
{
  State *state = g_new0 (State, 1);
  size_t n = ct_model_get_n_tensors (model);

  state->tensors = g_new0 (CtTorchTensor, n);
  for (size_t i = 0; i < n; i++)
    {
      CtTorchTensor t;
      g_assert_cmpint (ct_model_get_tensor (model, i, &t, NULL), ==, CT_TORCH_OK);
      state_add (state, &t);
    }
  return state;
}

static State *
optimizer_state (CtTrainer *trainer)
{
  State *state = g_new0 (State, 1);
  size_t n = ct_trainer_get_n_state_tensors (trainer);

  state->tensors = g_new0 (CtTorchTensor, n);
  for (size_t i = 0; i < n; i++)
    {
      CtTorchTensor t;
      g_assert_cmpint (ct_trainer_get_state_tensor (trainer, i, &t, NULL), ==, CT_TORCH_OK);
      state_add (state, &t);
    }
  return state;
}

static gboolean
states_equal (const State *a,
              const State *b)
{
  if (a->n != b->n)
    return FALSE;
  for (size_t i = 0; i < a->n; i++)
    if (!g_str_equal (a->tensors[i].name, b->tensors[i].name)
        || a->tensors[i].n_bytes != b->tensors[i].n_bytes
        || memcmp (a->tensors[i].data, b->tensors[i].data, a->tensors[i].n_bytes) != 0)
      return FALSE;
  return TRUE;
}

typedef struct {
  int    calls;
  int    epoch;
  size_t last_batch;
  size_t last_images;
  size_t n_batches;
  int    cancel_at;       /* 0: never */
  int    cancel;
} Progress;

static void
progress_cb (const CtTrainProgress *progress,
             void                  *user_data)
{
  Progress *p = user_data;

  g_assert_cmpint (progress->epoch, ==, p->epoch);
  g_assert_cmpuint (progress->batch, ==, p->last_batch + 1);
  g_assert_cmpuint (progress->images_done, >, p->last_images);
  g_assert_cmpuint (progress->batch, <=, progress->n_batches);
  g_assert_true (isfinite (progress->loss) && progress->loss > 0.0);
  g_assert_cmpfloat (progress->accuracy, >=, 0.0);
  g_assert_cmpfloat (progress->accuracy, <=, 1.0);
  g_assert_cmpfloat (progress->images_per_second, >, 0.0);
  g_assert_cmpfloat (progress->lr, >, 0.0);
  p->calls++;
  p->last_batch = progress->batch;
  p->last_images = progress->images_done;
  p->n_batches = progress->n_batches;
  if (p->cancel_at != 0 && (int) progress->batch == p->cancel_at)
    p->cancel = 1;
}

/* Three epochs learn the quadrants far above chance (0.25). */
static void
test_learns (void)
{
  g_autoptr (CtModel) model = new_model (1);
  CtTrainConfig config = default_config ();
  g_autoptr (CtTrainer) trainer = NULL;
  double loss, accuracy, before;
  char *error = NULL;

  /* Flips would swap the left and right quadrants' classes. */
  config.flip = false;
  trainer = new_trainer (model, &config);

  g_assert_cmpint (ct_model_evaluate (model, test_data.images, test_data.labels, test_data.n,
                                      mean, std, 100, 0, NULL, &loss, &before, &error), ==, CT_TORCH_OK);
  for (int epoch = 1; epoch <= config.epochs; epoch++)
    {
      Progress progress = { .epoch = epoch };
      double train_loss, train_accuracy;

      g_assert_cmpint (ct_trainer_run_epoch (trainer, epoch, train_data.images, train_data.labels,
                                             train_data.n, mean, std, progress_cb, &progress,
                                             NULL, &train_loss, &train_accuracy, &error),
                       ==, CT_TORCH_OK);
      g_assert_null (error);
      g_assert_cmpint (progress.calls, ==, N_TRAIN / 64);
      g_assert_cmpuint (progress.n_batches, ==, N_TRAIN / 64);
      g_assert_cmpuint (progress.last_images, ==, N_TRAIN);
      g_assert_true (isfinite (train_loss));
      g_test_message ("epoch %d: train loss %.3f accuracy %.3f", epoch, train_loss, train_accuracy);
    }
  g_assert_cmpint (ct_model_evaluate (model, test_data.images, test_data.labels, test_data.n,
                                      mean, std, 100, 0, NULL, &loss, &accuracy, &error), ==, CT_TORCH_OK);
  g_test_message ("test accuracy %.3f before, %.3f after; loss %.3f", before, accuracy, loss);
  g_assert_cmpfloat (accuracy, >=, 0.8);
}

/* bfloat16 mixed precision learns as well, repeats itself bit for bit,
 * computes something else than float32 (so autocast is really on), and
 * keeps float32 weights. */
static void
test_mixed_precision (void)
{
  CtTrainConfig config = default_config ();
  State *states[3] = { NULL };
  double loss, accuracy = 0.0;

  config.flip = false;
  for (int run = 0; run < 3; run++)
    {
      g_autoptr (CtModel) model = new_model (1);
      g_autoptr (CtTrainer) trainer = NULL;

      config.mixed_precision = run < 2;
      trainer = new_trainer (model, &config);
      for (int epoch = 1; epoch <= config.epochs; epoch++)
        run_epoch_ok (trainer, epoch);
      states[run] = model_state (model);
      if (run == 0)
        g_assert_cmpint (ct_model_evaluate (model, test_data.images, test_data.labels, test_data.n,
                                            mean, std, 100, 0, NULL, &loss, &accuracy, NULL),
                         ==, CT_TORCH_OK);
    }
  g_test_message ("bf16-mixed: test accuracy %.3f, loss %.3f", accuracy, loss);
  g_assert_cmpfloat (accuracy, >=, 0.8);
  g_assert_true (states_equal (states[0], states[1]));
  g_assert_false (states_equal (states[0], states[2]));
  for (size_t i = 0; i < states[0]->n; i++)
    if (!g_str_has_suffix (states[0]->tensors[i].name, "num_batches_tracked"))
      g_assert_cmpint (states[0]->tensors[i].dtype, ==, CT_TORCH_DTYPE_FLOAT32);
  for (int run = 0; run < 3; run++)
    state_free (states[run]);
}

/* The same seeds give bit-identical weights; another data seed does not. */
static void
test_deterministic (void)
{
  CtTrainConfig config = default_config ();
  State *states[3] = { NULL };

  config.epochs = 1;
  for (int run = 0; run < 3; run++)
    {
      g_autoptr (CtModel) model = new_model (3);
      g_autoptr (CtTrainer) trainer = NULL;

      config.seed = run < 2 ? 42 : 43;
      trainer = new_trainer (model, &config);
      run_epoch_ok (trainer, 1);
      states[run] = model_state (model);
    }
  g_assert_true (states_equal (states[0], states[1]));
  g_assert_false (states_equal (states[0], states[2]));
  for (int run = 0; run < 3; run++)
    state_free (states[run]);
}

/* Intra-op threads do not break determinism either (a few batches only:
 * two threads on a busy machine are slow). */
static void
test_deterministic_threads (void)
{
  CtTrainConfig config = default_config ();
  State *states[2] = { NULL };

  config.epochs = 1;
  g_assert_cmpint (ct_torch_set_threads (2, NULL), ==, CT_TORCH_OK);
  for (int run = 0; run < 2; run++)
    {
      g_autoptr (CtModel) model = new_model (3);
      g_autoptr (CtTrainer) trainer = NULL;

      g_assert_cmpint (ct_trainer_new (model, &config, 192, &trainer, NULL), ==, CT_TORCH_OK);
      g_assert_cmpint (ct_trainer_run_epoch (trainer, 1, train_data.images, train_data.labels, 192,
                                             mean, std, NULL, NULL, NULL, NULL, NULL, NULL),
                       ==, CT_TORCH_OK);
      states[run] = model_state (model);
    }
  g_assert_cmpint (ct_torch_set_threads (1, NULL), ==, CT_TORCH_OK);
  g_assert_true (states_equal (states[0], states[1]));
  for (int run = 0; run < 2; run++)
    state_free (states[run]);
}

/* Two epochs straight equal one epoch, a save of the model and optimizer
 * state, a load into fresh objects (of another init seed) and epoch two. */
static void
test_resume (void)
{
  CtTrainConfig config = default_config ();
  g_autoptr (State) straight = NULL;
  g_autoptr (State) saved_model = NULL;
  g_autoptr (State) saved_optimizer = NULL;
  g_autoptr (State) resumed = NULL;
  char *error = NULL;

  config.epochs = 2;
  {
    g_autoptr (CtModel) model = new_model (5);
    g_autoptr (CtTrainer) trainer = new_trainer (model, &config);

    g_assert_cmpuint (ct_trainer_get_n_state_tensors (trainer), ==, 0);
    run_epoch_ok (trainer, 1);
    run_epoch_ok (trainer, 2);
    straight = model_state (model);
  }
  {
    g_autoptr (CtModel) model = new_model (5);
    g_autoptr (CtTrainer) trainer = new_trainer (model, &config);

    run_epoch_ok (trainer, 1);
    saved_model = model_state (model);
    saved_optimizer = optimizer_state (trainer);
  }
  g_assert_cmpuint (saved_optimizer->n, >, 0);
  for (size_t i = 0; i < saved_optimizer->n; i++)
    {
      g_assert_true (g_str_has_prefix (saved_optimizer->tensors[i].name, "momentum_buffer."));
      g_assert_cmpint (saved_optimizer->tensors[i].dtype, ==, CT_TORCH_DTYPE_FLOAT32);
    }
  g_assert_cmpstr (saved_optimizer->tensors[0].name, ==, "momentum_buffer.stem.conv.weight");
  {
    g_autoptr (CtModel) model = new_model (6);
    g_autoptr (CtTrainer) trainer = new_trainer (model, &config);

    g_assert_cmpint (ct_model_load_state (model, saved_model->tensors, saved_model->n, &error),
                     ==, CT_TORCH_OK);
    g_assert_null (error);
    g_assert_cmpint (ct_trainer_load_state (trainer, saved_optimizer->tensors, saved_optimizer->n,
                                            &error), ==, CT_TORCH_OK);
    g_assert_null (error);
    g_assert_cmpuint (ct_trainer_get_n_state_tensors (trainer), ==, saved_optimizer->n);
    run_epoch_ok (trainer, 2);
    resumed = model_state (model);
  }
  g_assert_true (states_equal (straight, resumed));
}

/* airbench's recipe as the camtrail_net default uses it, at this data's
 * scale: whitened and frozen stem whose shift learns in epoch 1 only,
 * BatchNorm shifts at 64× the rate, the 0.2 → 1 → 0.07 triangle,
 * alternating flips, reflected translations and lookahead. */
static CtTrainConfig
airbench_config (void)
{
  CtTrainConfig config = default_config ();

  config.lr_start = 0.2;
  config.lr_end = 0.07;
  config.momentum = 0.85;
  config.bias_lr_scale = 64.0;
  config.alternate_flip = true;
  config.translate_reflect = true;
  config.whitened_stem = true;
  config.stem_bias_epochs = 1;
  config.stem_plain_bias = true;
  config.lookahead = true;
  return config;
}

static CtModel *
new_whitened_model (uint64_t seed)
{
  CtModel *model = new_model (seed);

  g_assert_cmpint (ct_model_whiten_stem (model, train_data.images, 200, mean, std, 5e-4, NULL),
                   ==, CT_TORCH_OK);
  return model;
}

static const CtTorchTensor *
find_tensor (const State *state,
             const char  *name)
{
  for (size_t i = 0; i < state->n; i++)
    if (g_str_equal (state->tensors[i].name, name))
      return &state->tensors[i];
  g_error ("no tensor %s", name);
  return NULL;
}

/* The whole recipe resumes exactly: two epochs straight equal one, a save
 * of weights and optimizer state (lookahead's averages included), a load
 * into fresh objects and the second; the frozen stem stays the whitened
 * one, the stem's shift stops learning after its epoch. */
static void
test_resume_airbench (void)
{
  CtTrainConfig config = airbench_config ();
  g_autoptr (State) initial = NULL;
  g_autoptr (State) after_one = NULL;
  g_autoptr (State) straight = NULL;
  g_autoptr (State) saved_optimizer = NULL;
  g_autoptr (State) resumed = NULL;
  size_t n_lookahead = 0;
  char *error = NULL;

  config.epochs = 2;
  {
    g_autoptr (CtModel) model = new_whitened_model (5);
    g_autoptr (CtTrainer) trainer = new_trainer (model, &config);

    initial = model_state (model);
    /* A new trainer's state: lookahead's averages only, the weights. */
    {
      g_autoptr (State) fresh = optimizer_state (trainer);

      g_assert_cmpuint (fresh->n, >, 0);
      for (size_t i = 0; i < fresh->n; i++)
        g_assert_true (g_str_has_prefix (fresh->tensors[i].name, "lookahead."));
    }
    run_epoch_ok (trainer, 1);
    after_one = model_state (model);
    saved_optimizer = optimizer_state (trainer);
    run_epoch_ok (trainer, 2);
    straight = model_state (model);
  }
  for (size_t i = 0; i < saved_optimizer->n; i++)
    n_lookahead += g_str_has_prefix (saved_optimizer->tensors[i].name, "lookahead.");
  g_assert_cmpuint (n_lookahead, >, 0);
  g_assert_cmpuint (n_lookahead, <, saved_optimizer->n);
  {
    const CtTorchTensor *a = find_tensor (initial, "stem.conv.weight");
    const CtTorchTensor *b = find_tensor (straight, "stem.conv.weight");
    const CtTorchTensor *shift0 = find_tensor (initial, "stem.bn.bias");
    const CtTorchTensor *shift1 = find_tensor (after_one, "stem.bn.bias");

    g_assert_cmpmem (a->data, a->n_bytes, b->data, b->n_bytes);
    g_assert_true (memcmp (shift0->data, shift1->data, shift0->n_bytes) != 0);
  }
  {
    g_autoptr (CtModel) model = new_model (6);
    g_autoptr (CtTrainer) trainer = new_trainer (model, &config);

    g_assert_cmpint (ct_model_load_state (model, after_one->tensors, after_one->n, &error),
                     ==, CT_TORCH_OK);
    g_assert_cmpint (ct_trainer_load_state (trainer, saved_optimizer->tensors, saved_optimizer->n,
                                            &error), ==, CT_TORCH_OK);
    g_assert_null (error);
    run_epoch_ok (trainer, 2);
    resumed = model_state (model);
  }
  g_assert_true (states_equal (straight, resumed));

  /* Without lookahead's averages the resumed run is another one. */
  {
    g_autoptr (CtModel) model = new_model (6);
    g_autoptr (CtTrainer) trainer = new_trainer (model, &config);
    g_autoptr (State) other = NULL;

    g_assert_cmpint (ct_model_load_state (model, after_one->tensors, after_one->n, NULL),
                     ==, CT_TORCH_OK);
    g_assert_cmpint (ct_trainer_load_state (trainer, saved_optimizer->tensors,
                                            saved_optimizer->n - n_lookahead, NULL),
                     ==, CT_TORCH_OK);
    run_epoch_ok (trainer, 2);
    other = model_state (model);
    g_assert_false (states_equal (straight, other));
  }
}

/* Lookahead by its rule: an epoch of exactly 5 steps ends, at its 5th and
 * last step, with the average d w₀ + (1 − d) w₅, d = 0.95⁵ (5/5)³, where w₅
 * are the weights (and BatchNorm statistics) the same steps give without
 * lookahead; with a rate of 0 the weights stay, and so does their average. */
static void
test_lookahead (void)
{
  enum { N = 5 * 64 };
  CtTrainConfig config = default_config ();
  State *states[4] = { NULL };
  const double d = pow (0.95, 5);
  double largest_move = 0.0;

  config.epochs = 1;
  config.flip = false;
  for (int run = 0; run < 3; run++)
    {
      g_autoptr (CtModel) model = new_model (9);
      g_autoptr (CtTrainer) trainer = NULL;

      config.lookahead = run > 0;
      if (run == 2)
        config.lr = config.weight_decay = 0.0;
      g_assert_cmpint (ct_trainer_new (model, &config, N, &trainer, NULL), ==, CT_TORCH_OK);
      if (run == 0)
        states[3] = model_state (model);
      g_assert_cmpint (ct_trainer_run_epoch (trainer, 1, train_data.images, train_data.labels, N,
                                             mean, std, NULL, NULL, NULL, NULL, NULL, NULL),
                       ==, CT_TORCH_OK);
      states[run] = model_state (model);
    }

  for (size_t t = 0; t < states[0]->n; t++)
    {
      const CtTorchTensor *w0 = &states[3]->tensors[t], *w5 = &states[0]->tensors[t];
      const CtTorchTensor *averaged = &states[1]->tensors[t], *still = &states[2]->tensors[t];
      gboolean is_parameter = strstr (w0->name, "running_") == NULL;

      if (w0->dtype != CT_TORCH_DTYPE_FLOAT32)
        {
          g_assert_cmpmem (averaged->data, averaged->n_bytes, w5->data, w5->n_bytes);
          continue;
        }
      for (size_t i = 0; i < w0->n_bytes / sizeof (float); i++)
        {
          double a = ((const float *) w0->data)[i], b = ((const float *) w5->data)[i];
          double expected = d * a + (1.0 - d) * b;

          g_assert_cmpfloat_with_epsilon (((const float *) averaged->data)[i], expected,
                                          1e-5 * (1.0 + fabs (expected)));
          largest_move = MAX (largest_move, fabs (b - expected));
          if (is_parameter)
            g_assert_cmpfloat (((const float *) still->data)[i], ==, a);
        }
    }
  /* The average is not the last weights. */
  g_assert_cmpfloat (largest_move, >, 1e-3);
  for (int run = 0; run < 4; run++)
    state_free (states[run]);
}

/* The stem BatchNorm's running mean or variance after @epochs epochs of one
 * batch each on @images (@n of them) at a rate of 0: the weights stay, so
 * each epoch's statistic is that of the same convolution on that epoch's
 * augmented images. */
static float *
stem_statistic (const uint8_t       *images,
                size_t               n,
                const CtTrainConfig *base,
                int                  epochs,
                const char          *name,
                size_t              *out_n)
{
  g_autoptr (CtModel) model = new_model (11);
  g_autoptr (CtTrainer) trainer = NULL;
  g_autoptr (State) state = NULL;
  g_autofree uint16_t *labels = g_new0 (uint16_t, n);
  CtTrainConfig config = *base;
  const CtTorchTensor *t;

  config.epochs = epochs;
  config.batch_size = n;
  config.lr = config.weight_decay = 0.0;
  g_assert_cmpint (ct_trainer_new (model, &config, n, &trainer, NULL), ==, CT_TORCH_OK);
  for (int epoch = 1; epoch <= epochs; epoch++)
    g_assert_cmpint (ct_trainer_run_epoch (trainer, epoch, images, labels, n, mean, std, NULL,
                                           NULL, NULL, NULL, NULL, NULL), ==, CT_TORCH_OK);
  state = model_state (model);
  t = find_tensor (state, name);
  *out_n = t->n_bytes / sizeof (float);
  return g_memdup2 (t->data, t->n_bytes);
}

/* The stem runs in float32 under bfloat16 autocast (whitened, it would
 * amplify bfloat16's rounding of the pixels): its BatchNorm statistics
 * after a step are the same bits with and without mixed precision, where
 * the next layer's, which runs in bfloat16, differ. */
static void
test_stem_float32 (void)
{
  enum { N = 64 };
  CtTrainConfig config = default_config ();
  const char *names[] = { "stem.bn.running_var", "stages.0.bn1.running_var" };

  config.flip = false;
  config.translate = 0;
  for (size_t k = 0; k < G_N_ELEMENTS (names); k++)
    {
      g_autofree float *plain = NULL, *mixed = NULL;
      size_t n = 0;

      config.mixed_precision = false;
      plain = stem_statistic (train_data.images, N, &config, 1, names[k], &n);
      config.mixed_precision = true;
      mixed = stem_statistic (train_data.images, N, &config, 1, names[k], &n);
      if (k == 0)
        g_assert_cmpmem (plain, n * sizeof (float), mixed, n * sizeof (float));
      else
        g_assert_true (memcmp (plain, mixed, n * sizeof (float)) != 0);
    }
}

/* One step of @base (one epoch of batch_size images in one batch) from the
 * same model, once at bias_lr_scale 1 and once at 64: the state before, and
 * after each. */
static void
one_step_at_two_scales (const CtTrainConfig *base,
                        gboolean             whitened,
                        State              **before,
                        State               *after[2])
{
  CtTrainConfig config = *base;

  for (int run = 0; run < 2; run++)
    {
      g_autoptr (CtModel) model = whitened ? new_whitened_model (13) : new_model (13);
      g_autoptr (CtTrainer) trainer = NULL;

      config.bias_lr_scale = run == 0 ? 1.0 : 64.0;
      g_assert_cmpint (ct_trainer_new (model, &config, config.batch_size, &trainer, NULL), ==,
                       CT_TORCH_OK);
      if (run == 0)
        *before = model_state (model);
      g_assert_cmpint (ct_trainer_run_epoch (trainer, 1, train_data.images, train_data.labels,
                                             config.batch_size, mean, std, NULL, NULL, NULL, NULL,
                                             NULL, NULL),
                       ==, CT_TORCH_OK);
      after[run] = model_state (model);
    }
}

/* bias_lr_scale by its rule, over one step (so every gradient is the same):
 * BatchNorm shifts move 64 times as far with a scale of 64 as with 1 (no
 * weight decay), everything else the same distance. */
static void
test_bias_lr_scale (void)
{
  enum { N = 64 };
  CtTrainConfig config = default_config ();
  State *before = NULL, *after[2] = { NULL };
  int shifts = 0;

  config.epochs = 1;
  config.batch_size = N;
  config.weight_decay = 0.0;
  one_step_at_two_scales (&config, FALSE, &before, after);
  for (size_t t = 0; t < before->n; t++)
    {
      const char *name = before->tensors[t].name;
      gboolean shift = strstr (name, "bn") != NULL && g_str_has_suffix (name, ".bias");
      const float *w0 = before->tensors[t].data, *w1 = after[0]->tensors[t].data;
      const float *w64 = after[1]->tensors[t].data;

      if (before->tensors[t].dtype != CT_TORCH_DTYPE_FLOAT32 || strstr (name, "running_") != NULL)
        continue;
      shifts += shift;
      for (size_t i = 0; i < before->tensors[t].n_bytes / sizeof (float); i++)
        {
          double expected = (shift ? 64.0 : 1.0) * (w1[i] - w0[i]);

          g_assert_cmpfloat_with_epsilon (w64[i] - w0[i], expected, 1e-4 * fabs (expected) + 1e-6);
        }
    }
  g_assert_cmpint (shifts, ==, 7);
  state_free (before);
  state_free (after[0]);
  state_free (after[1]);
}

/* stem_plain_bias makes the whitened stem airbench's conv + bias: its
 * BatchNorm's statistics stay 0 and 1 through training (the other layers'
 * move), and over one step its shift moves as far with bias_lr_scale 64 as
 * with 1, where the other six shifts move 64 times as far. */
static void
test_stem_plain_bias (void)
{
  enum { N = 64 };
  CtTrainConfig config = default_config ();
  State *before = NULL, *after[2] = { NULL };

  config.epochs = 1;
  config.batch_size = N;
  config.weight_decay = 0.0;
  config.whitened_stem = true;
  config.stem_bias_epochs = 1;
  config.stem_plain_bias = true;
  one_step_at_two_scales (&config, TRUE, &before, after);
  for (int run = 0; run < 2; run++)
    {
      const CtTorchTensor *running_mean = find_tensor (after[run], "stem.bn.running_mean");
      const CtTorchTensor *running_var = find_tensor (after[run], "stem.bn.running_var");
      const CtTorchTensor *other = find_tensor (after[run], "stages.0.bn1.running_var");
      const float *m = running_mean->data, *v = running_var->data, *o = other->data;
      float moved = 0.0f;

      for (size_t c = 0; c < running_var->n_bytes / sizeof (float); c++)
        {
          g_assert_cmpfloat (m[c], ==, 0.0f);
          g_assert_cmpfloat (v[c], ==, 1.0f);
        }
      for (size_t c = 0; c < other->n_bytes / sizeof (float); c++)
        moved = MAX (moved, fabsf (o[c] - 1.0f));
      g_assert_cmpfloat (moved, >, 1e-3);
    }
  {
    const float *w0 = find_tensor (before, "stem.bn.bias")->data;
    const float *w1 = find_tensor (after[0], "stem.bn.bias")->data;
    const float *w64 = find_tensor (after[1], "stem.bn.bias")->data;
    const float *s0 = find_tensor (before, "stages.0.bn1.bias")->data;
    const float *s1 = find_tensor (after[0], "stages.0.bn1.bias")->data;
    const float *s64 = find_tensor (after[1], "stages.0.bn1.bias")->data;
    double stem_moved = 0.0;

    for (size_t c = 0; c < find_tensor (before, "stem.bn.bias")->n_bytes / sizeof (float); c++)
      {
        g_assert_cmpfloat_with_epsilon (w64[c] - w0[c], w1[c] - w0[c], 1e-4 * fabs (w1[c] - w0[c]) + 1e-7);
        stem_moved = MAX (stem_moved, fabs (w1[c] - w0[c]));
      }
    g_assert_cmpfloat (stem_moved, >, 1e-5);
    for (size_t c = 0; c < find_tensor (before, "stages.0.bn1.bias")->n_bytes / sizeof (float); c++)
      {
        double expected = 64.0 * (s1[c] - s0[c]);

        g_assert_cmpfloat_with_epsilon (s64[c] - s0[c], expected, 1e-4 * fabs (expected) + 1e-6);
      }
  }
  state_free (before);
  state_free (after[0]);
  state_free (after[1]);
}

/* Reflected shifts: on images of one flat colour a reflected border is the
 * same colour, so every augmented image is flat and the stem's outputs are
 * the same everywhere: a batch variance of 0, a running variance of
 * 0.6 × 1 + 0.4 × 0 (momentum 0.4).  Black borders make it larger. */
static void
test_reflect_translate (void)
{
  enum { N = 32 };
  g_autofree uint8_t *flat = g_malloc (N * P);
  CtTrainConfig config = default_config ();
  g_autofree float *reflected = NULL, *black = NULL;
  size_t n = 0;
  float largest = 0.0f;

  memset (flat, 200, N * P);
  config.flip = false;
  config.translate = 2;
  config.translate_reflect = true;
  reflected = stem_statistic (flat, N, &config, 1, "stem.bn.running_var", &n);
  config.translate_reflect = false;
  black = stem_statistic (flat, N, &config, 1, "stem.bn.running_var", &n);
  for (size_t c = 0; c < n; c++)
    {
      g_assert_cmpfloat_with_epsilon (reflected[c], 0.6, 1e-6);
      largest = MAX (largest, black[c]);
    }
  g_assert_cmpfloat (largest, >, 0.6 + 1e-3);
}

/* Alternating flips: each image is seen one way in epoch 1 and the other in
 * epoch 2, so the stem's batch means μ₁ + μ₂ of those epochs (read off the
 * running mean: r₁ = 0.4 μ₁, r₂ = 0.6 r₁ + 0.4 μ₂) equal the batch mean of
 * all images plus that of all their mirror images, each taken without
 * flips; some, not all, images are flipped in epoch 1.  Random flips break
 * the sum. */
static void
test_alternate_flip (void)
{
  enum { N = 64 };
  g_autofree uint8_t *mirrored = g_malloc (N * P);
  CtTrainConfig config = default_config ();
  g_autofree float *plain = NULL, *flipped = NULL, *one = NULL, *two = NULL;
  g_autofree float *random_one = NULL, *random_two = NULL;
  size_t n = 0;
  double off_plain = 0.0, off_flipped = 0.0, off_random = 0.0;

  for (size_t i = 0; i < N; i++)
    for (int c = 0; c < C; c++)
      for (int y = 0; y < S; y++)
        for (int x = 0; x < S; x++)
          mirrored[i * P + (c * S + y) * S + x] = train_data.images[i * P + (c * S + y) * S + S - 1 - x];
  config.translate = 0;
  config.flip = false;
  plain = stem_statistic (train_data.images, N, &config, 1, "stem.bn.running_mean", &n);
  flipped = stem_statistic (mirrored, N, &config, 1, "stem.bn.running_mean", &n);
  config.flip = true;
  config.alternate_flip = true;
  one = stem_statistic (train_data.images, N, &config, 1, "stem.bn.running_mean", &n);
  two = stem_statistic (train_data.images, N, &config, 2, "stem.bn.running_mean", &n);
  config.alternate_flip = false;
  random_one = stem_statistic (train_data.images, N, &config, 1, "stem.bn.running_mean", &n);
  random_two = stem_statistic (train_data.images, N, &config, 2, "stem.bn.running_mean", &n);
  for (size_t c = 0; c < n; c++)
    {
      double sum = (one[c] + (two[c] - 0.6 * one[c])) / 0.4;
      double expected = (plain[c] + flipped[c]) / 0.4;
      double random_sum = (random_one[c] + (random_two[c] - 0.6 * random_one[c])) / 0.4;

      g_assert_cmpfloat_with_epsilon (sum, expected, 1e-4 * (1.0 + fabs (expected)));
      off_plain = MAX (off_plain, fabs (one[c] - plain[c]));
      off_flipped = MAX (off_flipped, fabs (one[c] - flipped[c]));
      off_random = MAX (off_random, fabs (random_sum - expected));
    }
  g_assert_cmpfloat (off_plain, >, 1e-4);
  g_assert_cmpfloat (off_flipped, >, 1e-4);
  g_assert_cmpfloat (off_random, >, 1e-3);
}

static void
test_optimizer_state_errors (void)
{
  g_autoptr (CtModel) model = new_model (1);
  CtTrainConfig config = default_config ();
  g_autoptr (CtTrainer) trainer = new_trainer (model, &config);
  g_autoptr (State) saved = NULL;
  CtTorchTensor bad, t;
  char *error = NULL;

  run_epoch_ok (trainer, 1);
  saved = optimizer_state (trainer);

  bad = saved->tensors[0];
  bad.name = "momentum_buffer.nonexistent.weight";
  g_assert_cmpint (ct_trainer_load_state (trainer, &bad, 1, &error), ==, CT_TORCH_ERROR_MISMATCH);
  g_assert_nonnull (strstr (error, "nonexistent"));
  g_clear_pointer (&error, free);

  bad = saved->tensors[0];
  bad.name = saved->tensors[1].name;
  g_assert_cmpint (ct_trainer_load_state (trainer, &bad, 1, &error), ==, CT_TORCH_ERROR_MISMATCH);
  g_assert_nonnull (strstr (error, "shape"));
  g_clear_pointer (&error, free);

  /* A rejected load changed nothing. */
  {
    g_autoptr (State) again = optimizer_state (trainer);
    g_assert_true (states_equal (saved, again));
  }

  /* A subset is accepted: the others start afresh. */
  g_assert_cmpint (ct_trainer_load_state (trainer, saved->tensors, 2, &error), ==, CT_TORCH_OK);
  g_assert_cmpuint (ct_trainer_get_n_state_tensors (trainer), ==, 2);
  g_assert_cmpint (ct_trainer_get_state_tensor (trainer, 2, &t, &error), ==,
                   CT_TORCH_ERROR_INVALID_ARGUMENT);
  g_clear_pointer (&error, free);
}

static void
test_not_finite (void)
{
  g_autoptr (CtModel) model = new_model (1);
  CtTrainConfig config = default_config ();
  g_autoptr (CtTrainer) trainer = NULL;
  CtTorchStatus status = CT_TORCH_OK;
  char *error = NULL;

  config.lr = 1e6;
  config.warmup_epochs = 0;
  trainer = new_trainer (model, &config);
  for (int epoch = 1; epoch <= config.epochs && status == CT_TORCH_OK; epoch++)
    status = run_epoch (trainer, epoch, NULL, NULL, NULL, &error);
  g_assert_cmpint (status, ==, CT_TORCH_ERROR_NOT_FINITE);
  g_test_message ("%s", error);
  g_assert_nonnull (strstr (error, "lower the learning rate"));
  g_assert_nonnull (strstr (error, "batch"));
  free (error);
}

static void
test_cancel (void)
{
  g_autoptr (CtModel) model = new_model (1);
  CtTrainConfig config = default_config ();
  g_autoptr (CtTrainer) trainer = new_trainer (model, &config);
  Progress progress = { .epoch = 1, .cancel_at = 2 };
  int cancel_now = 1;
  char *error = NULL;

  g_assert_cmpint (run_epoch (trainer, 1, progress_cb, &progress, &progress.cancel, &error),
                   ==, CT_TORCH_ERROR_CANCELLED);
  g_assert_cmpint (progress.calls, ==, 2);
  g_assert_nonnull (strstr (error, "cancelled"));
  g_clear_pointer (&error, free);

  /* A flag set before the start stops before any batch. */
  progress = (Progress) { .epoch = 1 };
  g_assert_cmpint (run_epoch (trainer, 1, progress_cb, &progress, &cancel_now, &error),
                   ==, CT_TORCH_ERROR_CANCELLED);
  g_assert_cmpint (progress.calls, ==, 0);
  g_clear_pointer (&error, free);
}

/* A last batch of one image is dropped (BatchNorm cannot train on it), a
 * last batch of two or more is kept. */
static void
test_partial_batches (void)
{
  const size_t sizes[] = { 64 * 3 + 1, 64 * 3 + 2, 64 * 3 };
  const size_t expected[] = { 3, 4, 3 };
  const size_t images[] = { 64 * 3, 64 * 3 + 2, 64 * 3 };

  for (size_t i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      g_autoptr (CtModel) model = new_model (1);
      CtTrainConfig config = default_config ();
      g_autoptr (CtTrainer) trainer = NULL;
      Progress progress = { .epoch = 1 };
      char *error = NULL;

      config.epochs = 1;
      g_assert_cmpint (ct_trainer_new (model, &config, sizes[i], &trainer, &error), ==, CT_TORCH_OK);
      g_assert_cmpint (ct_trainer_run_epoch (trainer, 1, train_data.images, train_data.labels,
                                             sizes[i], mean, std, progress_cb, &progress, NULL,
                                             NULL, NULL, &error), ==, CT_TORCH_OK);
      g_assert_cmpuint (progress.n_batches, ==, expected[i]);
      g_assert_cmpuint (progress.calls, ==, expected[i]);
      g_assert_cmpuint (progress.last_images, ==, images[i]);
    }
}

/* A CAM's backward pass freezes the weights only for itself: training still works. */
static void
test_train_after_grad_cam (void)
{
  g_autoptr (CtModel) model = new_model (1);
  CtTrainConfig config = default_config ();
  g_autoptr (CtTrainer) trainer = new_trainer (model, &config);
  g_autofree float *input = g_new0 (float, 2 * P);
  CtTorchLayer layer;
  g_autofree float *activations = NULL;
  g_autofree float *gradients = NULL;
  g_autoptr (State) before = model_state (model);
  g_autoptr (State) after = NULL;

  g_assert_cmpint (ct_model_get_layer (model, ct_model_get_n_layers (model) - 1, &layer, NULL),
                   ==, CT_TORCH_OK);
  g_assert_cmpstr (layer.name, ==, "stages.2");
  activations = g_new (float, 2 * (gsize) layer.channels * layer.height * layer.width);
  gradients = g_new (float, 2 * (gsize) layer.channels * layer.height * layer.width);
  g_assert_cmpint (ct_model_layer_maps (model, "stages.2", input, 2, NULL, activations, gradients,
                                        NULL, NULL, NULL), ==, CT_TORCH_OK);
  run_epoch_ok (trainer, 1);
  after = model_state (model);
  g_assert_false (states_equal (before, after));
}

static void
test_errors (void)
{
  g_autoptr (CtModel) model = new_model (1);
  CtTrainConfig config = default_config ();
  g_autoptr (CtTrainer) trainer = NULL;
  CtTrainer *none = (CtTrainer *) &config;
  g_autofree uint16_t *labels = g_memdup2 (train_data.labels, train_data.n * sizeof (uint16_t));
  char *error = NULL;

  g_assert_cmpint (ct_trainer_new (model, NULL, 10, &none, &error), ==,
                   CT_TORCH_ERROR_INVALID_ARGUMENT);
  g_assert_null (none);
  g_clear_pointer (&error, free);
  g_assert_cmpint (ct_trainer_new (NULL, &config, 10, &none, NULL), ==,
                   CT_TORCH_ERROR_INVALID_ARGUMENT);

  config.batch_size = 1;
  g_assert_cmpint (ct_trainer_new (model, &config, 10, &none, &error), ==,
                   CT_TORCH_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error, "batch_size"));
  g_clear_pointer (&error, free);
  config = default_config ();
  config.momentum = 0.0;
  g_assert_cmpint (ct_trainer_new (model, &config, 10, &none, &error), ==,
                   CT_TORCH_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error, "Nesterov"));
  g_clear_pointer (&error, free);
  config = default_config ();
  config.translate = S;
  g_assert_cmpint (ct_trainer_new (model, &config, 10, &none, &error), ==,
                   CT_TORCH_ERROR_INVALID_ARGUMENT);
  g_clear_pointer (&error, free);

  config = default_config ();
  trainer = new_trainer (model, &config);
  g_assert_cmpint (run_epoch (trainer, 0, NULL, NULL, NULL, &error), ==,
                   CT_TORCH_ERROR_INVALID_ARGUMENT);
  g_clear_pointer (&error, free);
  g_assert_cmpint (run_epoch (trainer, config.epochs + 1, NULL, NULL, NULL, &error), ==,
                   CT_TORCH_ERROR_INVALID_ARGUMENT);
  g_clear_pointer (&error, free);
  g_assert_cmpint (ct_trainer_run_epoch (trainer, 1, train_data.images, train_data.labels,
                                         train_data.n - 1, mean, std, NULL, NULL, NULL, NULL,
                                         NULL, &error), ==, CT_TORCH_ERROR_INVALID_ARGUMENT);
  g_clear_pointer (&error, free);
  labels[7] = K;
  g_assert_cmpint (ct_trainer_run_epoch (trainer, 1, train_data.images, labels, train_data.n,
                                         mean, std, NULL, NULL, NULL, NULL, NULL, &error), ==,
                   CT_TORCH_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error, "label 4"));
  g_clear_pointer (&error, free);
  g_assert_cmpint (ct_trainer_run_epoch (NULL, 1, NULL, NULL, 0, NULL, NULL, NULL, NULL, NULL,
                                         NULL, NULL, NULL), ==, CT_TORCH_ERROR_INVALID_ARGUMENT);
  g_assert_cmpuint (ct_trainer_get_n_state_tensors (NULL), ==, 0);
}

int
main (int argc, char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  /* One thread: meson runs suites side by side, and spinning OpenMP threads
   * on a busy machine are many times slower than one. */
  ct_torch_set_threads (1, NULL);
  make_data (&train_data, N_TRAIN, 1);
  make_data (&test_data, N_TEST, 2);

  g_test_add_func ("/train/learns", test_learns);
  g_test_add_func ("/train/deterministic", test_deterministic);
  g_test_add_func ("/train/mixed-precision", test_mixed_precision);
  g_test_add_func ("/train/deterministic-threads", test_deterministic_threads);
  g_test_add_func ("/train/resume", test_resume);
  g_test_add_func ("/train/resume-airbench", test_resume_airbench);
  g_test_add_func ("/train/lookahead", test_lookahead);
  g_test_add_func ("/train/bias-lr-scale", test_bias_lr_scale);
  g_test_add_func ("/train/stem-plain-bias", test_stem_plain_bias);
  g_test_add_func ("/train/stem-float32", test_stem_float32);
  g_test_add_func ("/train/reflect-translate", test_reflect_translate);
  g_test_add_func ("/train/alternate-flip", test_alternate_flip);
  g_test_add_func ("/train/optimizer-state-errors", test_optimizer_state_errors);
  g_test_add_func ("/train/not-finite", test_not_finite);
  g_test_add_func ("/train/cancel", test_cancel);
  g_test_add_func ("/train/partial-batches", test_partial_batches);
  g_test_add_func ("/train/after-grad-cam", test_train_after_grad_cam);
  g_test_add_func ("/train/errors", test_errors);
  status = g_test_run ();

  g_free (train_data.images);
  g_free (train_data.labels);
  g_free (test_data.images);
  g_free (test_data.labels);
  return status;
}
