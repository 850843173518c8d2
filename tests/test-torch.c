/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The C shim's models: building, state dicts, layers, inference, Grad-CAM and
 * errors, through ct-torch.h only. */
#include <glib.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ct-cam-method.h"
#include "ct-torch.h"

/* A copy of a model's state dict that outlives the borrowed pointers. */
typedef struct {
  size_t         n;
  CtTorchTensor *tensors;
} State;

static CtModel *
new_model (const char *arch,
           int         in_channels,
           int         n_classes,
           int         image_size,
           uint64_t    seed)
{
  CtModelConfig config = {
    .arch = arch,
    .in_channels = in_channels,
    .n_classes = n_classes,
    .image_size = image_size,
    .width = g_str_equal (arch, "camtrail_net") ? 8 : 0,
    .seed = seed,
  };
  CtModel *model = NULL;
  char *error = NULL;

  g_assert_cmpint (ct_model_new (&config, &model, &error), ==, CT_TORCH_OK);
  g_assert_null (error);
  g_assert_nonnull (model);
  return model;
}

static State *
state_dup (CtModel *model)
{
  State *state = g_new0 (State, 1);

  state->n = ct_model_get_n_tensors (model);
  state->tensors = g_new0 (CtTorchTensor, state->n);
  for (size_t i = 0; i < state->n; i++)
    {
      CtTorchTensor t;
      g_assert_cmpint (ct_model_get_tensor (model, i, &t, NULL), ==, CT_TORCH_OK);
      state->tensors[i] = t;
      state->tensors[i].name = g_strdup (t.name);
      state->tensors[i].data = g_memdup2 (t.data, t.n_bytes);
    }
  return state;
}

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
G_DEFINE_AUTOPTR_CLEANUP_FUNC (State, state_free)

static const CtTorchTensor *
state_find (const State *state,
            const char  *name)
{
  for (size_t i = 0; i < state->n; i++)
    if (g_str_equal (state->tensors[i].name, name))
      return &state->tensors[i];
  return NULL;
}

/* Standard-normal floats, reproducible. */
static float *
random_input (size_t   n_floats,
              guint32  seed)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (seed);
  float *data = g_new (float, n_floats);

  for (size_t i = 0; i < n_floats; i++)
    {
      double u1 = g_rand_double (rand), u2 = g_rand_double (rand);
      data[i] = (float) (sqrt (-2.0 * log (1.0 - u1)) * cos (2.0 * G_PI * u2));
    }
  return data;
}

static float *
forward (CtModel     *model,
         const float *input,
         size_t       n)
{
  float *logits = g_new (float, n * ct_model_get_n_classes (model));
  char *error = NULL;

  g_assert_cmpint (ct_model_forward (model, input, n, logits, &error), ==, CT_TORCH_OK);
  g_assert_null (error);
  return logits;
}

static void
assert_status (CtTorchStatus   status,
               CtTorchStatus   expected,
               char          **error,
               const char     *needle)
{
  g_assert_cmpint (status, ==, expected);
  g_assert_nonnull (*error);
  if (needle != NULL && strstr (*error, needle) == NULL)
    g_error ("message \"%s\" does not mention \"%s\"", *error, needle);
  g_clear_pointer (error, free);
}

static void
test_library (void)
{
  const char *const *archs = ct_torch_list_archs ();
  char *error = NULL;

  g_assert_nonnull (ct_torch_version ());
  g_assert_cmpuint (strlen (ct_torch_version ()), >, 0);
  g_assert_nonnull (archs);
  g_assert_cmpstr (archs[0], ==, "camtrail_net");
  g_assert_true (g_strv_contains ((const char *const *) archs, "resnet18"));
  g_assert_true (g_strv_contains ((const char *const *) archs, "efficientnet_b0"));
  g_assert_cmpint (ct_torch_set_threads (0, &error), ==, CT_TORCH_OK);
  g_assert_null (error);
  g_assert_cmpint (ct_torch_set_threads (1, NULL), ==, CT_TORCH_OK);
}

static gpointer
thread_threads_main (gpointer data)
{
  gboolean *set = data;

  /* A new thread starts from the process-wide count… */
  g_assert_cmpint (ct_torch_get_threads (), ==, 3);
  *set = ct_torch_set_thread_threads (1);
  if (*set)
    g_assert_cmpint (ct_torch_get_threads (), ==, 1);
  return NULL;
}

/* …and ct_torch_set_thread_threads() changes the calling thread's only,
 * which the engine relies on to give each grid row one core. */
static void
test_thread_threads (void)
{
  gboolean set = FALSE;

  g_assert_cmpint (ct_torch_set_threads (3, NULL), ==, CT_TORCH_OK);
  g_assert_cmpint (ct_torch_get_threads (), ==, 3);
  g_thread_join (g_thread_new ("thread-threads", thread_threads_main, &set));
  g_assert_cmpint (ct_torch_get_threads (), ==, 3);
  g_assert_cmpint (ct_torch_set_threads (1, NULL), ==, CT_TORCH_OK);
  if (!set)
    g_test_skip ("this libtorch has no per-thread OpenMP team size the shim can set: "
                 "the engine computes grid rows one after the other");
}

typedef struct {
  const char   *name;
  CtTorchDtype  dtype;
  int           n_dims;
  int64_t       shape0;     /* when n_dims > 0 */
} Expected;

static const Expected camtrail_expected[] = {
  { "stem.conv.weight", CT_TORCH_DTYPE_FLOAT32, 4, 3 },
  { "stem.bn.num_batches_tracked", CT_TORCH_DTYPE_INT64, 0, 0 },
  { "stages.2.bn2.running_var", CT_TORCH_DTYPE_FLOAT32, 1, 32 },
  { "head.fc.weight", CT_TORCH_DTYPE_FLOAT32, 2, 10 },
  { NULL }
};
static const Expected resnet_expected[] = {
  { "conv1.weight", CT_TORCH_DTYPE_FLOAT32, 4, 64 },
  { "layer1.0.bn1.running_mean", CT_TORCH_DTYPE_FLOAT32, 1, 64 },
  { "layer2.0.downsample.0.weight", CT_TORCH_DTYPE_FLOAT32, 4, 128 },
  { "layer4.1.bn2.num_batches_tracked", CT_TORCH_DTYPE_INT64, 0, 0 },
  { "fc.weight", CT_TORCH_DTYPE_FLOAT32, 2, 10 },
  { "fc.bias", CT_TORCH_DTYPE_FLOAT32, 1, 10 },
  { NULL }
};
/* torchvision's Bottleneck: the block's output is 4× its width. */
static const Expected resnet50_expected[] = {
  { "conv1.weight", CT_TORCH_DTYPE_FLOAT32, 4, 64 },
  { "layer1.0.conv3.weight", CT_TORCH_DTYPE_FLOAT32, 4, 256 },
  { "layer2.0.downsample.0.weight", CT_TORCH_DTYPE_FLOAT32, 4, 512 },
  { "layer4.2.bn3.num_batches_tracked", CT_TORCH_DTYPE_INT64, 0, 0 },
  { "fc.weight", CT_TORCH_DTYPE_FLOAT32, 2, 10 },
  { "fc.bias", CT_TORCH_DTYPE_FLOAT32, 1, 10 },
  { NULL }
};
static const Expected efficientnet_expected[] = {
  { "conv_stem.weight", CT_TORCH_DTYPE_FLOAT32, 4, 32 },
  { "blocks.0.0.se.conv_reduce.weight", CT_TORCH_DTYPE_FLOAT32, 4, 8 },
  { "blocks.6.0.bn3.num_batches_tracked", CT_TORCH_DTYPE_INT64, 0, 0 },
  { "classifier.weight", CT_TORCH_DTYPE_FLOAT32, 2, 10 },
  { "classifier.bias", CT_TORCH_DTYPE_FLOAT32, 1, 10 },
  { NULL }
};

static void
check_tensors (CtModel        *model,
               const Expected *expected,
               int             in_channels)
{
  g_autoptr (GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  size_t n = ct_model_get_n_tensors (model);

  g_assert_cmpuint (n, >, 0);
  for (size_t i = 0; i < n; i++)
    {
      CtTorchTensor t;
      size_t numel = 1;
      char *error = NULL;

      g_assert_cmpint (ct_model_get_tensor (model, i, &t, &error), ==, CT_TORCH_OK);
      g_assert_null (error);
      g_assert_nonnull (t.name);
      g_assert_true (g_hash_table_add (seen, g_strdup (t.name)));
      for (int d = 0; d < t.n_dims; d++)
        numel *= t.shape[d];
      g_assert_cmpuint (t.n_bytes, ==, numel * (t.dtype == CT_TORCH_DTYPE_INT64 ? 8 : 4));
      g_assert_true (t.data != NULL);
      if (g_str_has_suffix (t.name, "num_batches_tracked"))
        g_assert_cmpint (t.dtype, ==, CT_TORCH_DTYPE_INT64);
      else
        g_assert_cmpint (t.dtype, ==, CT_TORCH_DTYPE_FLOAT32);

      for (const Expected *e = expected; e->name != NULL; e++)
        if (g_str_equal (e->name, t.name))
          {
            g_assert_cmpint (t.dtype, ==, e->dtype);
            g_assert_cmpint (t.n_dims, ==, e->n_dims);
            if (e->n_dims > 0)
              g_assert_cmpint (t.shape[0], ==, e->shape0);
          }
      /* The stem sees the model's channel count. */
      if (i == 0)
        g_assert_cmpint (t.shape[1], ==, in_channels);
    }
  for (const Expected *e = expected; e->name != NULL; e++)
    if (!g_hash_table_contains (seen, e->name))
      g_error ("tensor %s missing", e->name);
}

static void
test_archs (void)
{
  const char *const *archs = ct_torch_list_archs ();

  for (size_t a = 0; archs[a] != NULL; a++)
    for (int in_channels = 3; in_channels >= 1; in_channels -= 2)
      {
        g_autoptr (CtModel) model = new_model (archs[a], in_channels, 10, 32, 1);
        const Expected *expected = NULL;
        g_autofree float *input = random_input (2 * in_channels * 32 * 32, 3);
        g_autofree float *logits = NULL;

        g_test_message ("%s with %d channels", archs[a], in_channels);
        g_assert_cmpint (ct_model_get_n_classes (model), ==, 10);
        if (g_str_equal (archs[a], "camtrail_net"))
          expected = camtrail_expected;
        else if (g_str_equal (archs[a], "resnet18") || g_str_equal (archs[a], "resnet18_imagenet") ||
                 g_str_equal (archs[a], "resnet34"))
          expected = resnet_expected;
        else if (g_str_equal (archs[a], "resnet50"))
          expected = resnet50_expected;
        else if (g_str_equal (archs[a], "efficientnet_b0"))
          expected = efficientnet_expected;
        else
          g_error ("no expectations for %s", archs[a]);
        check_tensors (model, expected, in_channels);
        g_assert_cmpuint (ct_model_get_n_layers (model), >, 0);
        g_assert_nonnull (ct_model_get_default_layer (model));

        logits = forward (model, input, 2);
        for (int i = 0; i < 2 * 10; i++)
          g_assert_true (isfinite (logits[i]));
      }
}

/* timm's resnet18 has 62 parameters and 3 buffers for each of its 20 BNs. */
static void
test_resnet_count (void)
{
  g_autoptr (CtModel) model = new_model ("resnet18", 3, 10, 32, 1);
  CtTorchTensor first, last;

  g_assert_cmpuint (ct_model_get_n_tensors (model), ==, 122);
  g_assert_cmpint (ct_model_get_tensor (model, 0, &first, NULL), ==, CT_TORCH_OK);
  g_assert_cmpstr (first.name, ==, "conv1.weight");
  g_assert_cmpint (ct_model_get_tensor (model, 121, &last, NULL), ==, CT_TORCH_OK);
  g_assert_cmpstr (last.name, ==, "fc.bias");

  /* As many as torchvision's state_dict() holds (python3-torchvision 0.14). */
  {
    static const struct { const char *arch; size_t n; } counts[] = {
      { "resnet18_imagenet", 122 }, { "resnet34", 218 }, { "resnet50", 320 },
    };

    for (guint i = 0; i < G_N_ELEMENTS (counts); i++)
      {
        g_autoptr (CtModel) other = new_model (counts[i].arch, 3, 10, 32, 1);

        g_assert_cmpuint (ct_model_get_n_tensors (other), ==, counts[i].n);
      }
  }
}

typedef struct {
  const char *name;
  int         channels, height, width;
} ExpectedLayer;

static void
check_layers (CtModel             *model,
              const ExpectedLayer *expected,
              size_t               n,
              const char          *default_layer)
{
  CtTorchLayer layer;
  char *error = NULL;

  g_assert_cmpuint (ct_model_get_n_layers (model), ==, n);
  for (size_t i = 0; i < n; i++)
    {
      g_assert_cmpint (ct_model_get_layer (model, i, &layer, &error), ==, CT_TORCH_OK);
      g_assert_null (error);
      g_assert_cmpstr (layer.name, ==, expected[i].name);
      g_assert_cmpint (layer.channels, ==, expected[i].channels);
      g_assert_cmpint (layer.height, ==, expected[i].height);
      g_assert_cmpint (layer.width, ==, expected[i].width);
    }
  g_assert_cmpstr (ct_model_get_default_layer (model), ==, default_layer);
  assert_status (ct_model_get_layer (model, n, &layer, &error),
                 CT_TORCH_ERROR_INVALID_ARGUMENT, &error, "out of range");
}

static void
test_layers (void)
{
  static const ExpectedLayer resnet[] = {
    { "layer1", 64, 32, 32 }, { "layer2", 128, 16, 16 },
    { "layer3", 256, 8, 8 },  { "layer4", 512, 4, 4 },
  };
  /* The 2×2 unpadded stem (3·8/8 = 3 channels at width 8) takes one pixel
   * off; each stage then halves, rounding down. */
  static const ExpectedLayer camtrail[] = {
    { "stem", 3, 31, 31 },    { "stages.0", 8, 15, 15 },
    { "stages.1", 32, 7, 7 }, { "stages.2", 32, 3, 3 },
  };
  static const ExpectedLayer camtrail_small[] = {
    { "stem", 3, 15, 15 },    { "stages.0", 8, 7, 7 },
    { "stages.1", 32, 3, 3 }, { "stages.2", 32, 1, 1 },
  };
  g_autoptr (CtModel) resnet18 = new_model ("resnet18", 3, 10, 32, 1);
  g_autoptr (CtModel) net32 = new_model ("camtrail_net", 3, 10, 32, 1);
  g_autoptr (CtModel) net16 = new_model ("camtrail_net", 1, 10, 16, 1);
  g_autoptr (CtModel) efficientnet = new_model ("efficientnet_b0", 3, 10, 32, 1);
  CtModelConfig resized = { .arch = "camtrail_net", .in_channels = 1, .n_classes = 10,
                            .image_size = 16, .input_size = 32, .width = 8 };
  g_autoptr (CtModel) net16to32 = NULL;
  const char *default_layer;
  CtTorchLayer layer, next;

  check_layers (resnet18, resnet, G_N_ELEMENTS (resnet), "layer4");
  check_layers (net32, camtrail, G_N_ELEMENTS (camtrail), "stages.1");
  check_layers (net16, camtrail_small, G_N_ELEMENTS (camtrail_small), "stages.0");

  /* The network resizes its input, so the maps follow input_size. */
  g_assert_cmpint (ct_model_new (&resized, &net16to32, NULL), ==, CT_TORCH_OK);
  check_layers (net16to32, camtrail, G_N_ELEMENTS (camtrail), "stages.1");

  /* efficientnet_b0 at 32: the default is the last map of at least 4×4. */
  default_layer = ct_model_get_default_layer (efficientnet);
  for (size_t i = 0; i < ct_model_get_n_layers (efficientnet); i++)
    {
      g_assert_cmpint (ct_model_get_layer (efficientnet, i, &layer, NULL), ==, CT_TORCH_OK);
      if (!g_str_equal (layer.name, default_layer))
        continue;
      g_assert_cmpint (layer.height, >=, 4);
      g_assert_cmpint (layer.width, >=, 4);
      g_assert_cmpint (ct_model_get_layer (efficientnet, i + 1, &next, NULL), ==, CT_TORCH_OK);
      g_assert_cmpint (next.height, <, 4);
    }
  g_assert_cmpstr (default_layer, ==, "blocks.2");
}

/* Loading one model's state into a model of another seed makes them equal. */
static void
check_round_trip (const char *arch)
{
  g_autoptr (CtModel) a = new_model (arch, 3, 10, 32, 1);
  g_autoptr (CtModel) b = new_model (arch, 3, 10, 32, 2);
  g_autofree float *input = random_input (4 * 3 * 32 * 32, 5);
  g_autofree float *logits_a = forward (a, input, 4);
  g_autofree float *logits_b = forward (b, input, 4);
  g_autofree float *logits_loaded = NULL;
  g_autoptr (State) state = state_dup (a);
  char *error = NULL;

  g_assert_true (memcmp (logits_a, logits_b, sizeof (float) * 40) != 0);
  g_assert_cmpint (ct_model_load_state (b, state->tensors, state->n, &error), ==, CT_TORCH_OK);
  g_assert_null (error);
  logits_loaded = forward (b, input, 4);
  g_assert_cmpmem (logits_a, sizeof (float) * 40, logits_loaded, sizeof (float) * 40);
}

static void
test_round_trip (void)
{
  check_round_trip ("camtrail_net");
  check_round_trip ("efficientnet_b0");
}

/* The seed alone decides the initial weights. */
static void
test_seed (void)
{
  g_autoptr (CtModel) a = new_model ("efficientnet_b0", 3, 10, 32, 9);
  g_autoptr (CtModel) b = new_model ("efficientnet_b0", 3, 10, 32, 9);
  g_autoptr (State) state_a = state_dup (a);
  g_autoptr (State) state_b = state_dup (b);

  g_assert_cmpuint (state_a->n, ==, state_b->n);
  for (size_t i = 0; i < state_a->n; i++)
    g_assert_cmpmem (state_a->tensors[i].data, state_a->tensors[i].n_bytes,
                     state_b->tensors[i].data, state_b->tensors[i].n_bytes);
}

static void
test_load_mismatch (void)
{
  g_autoptr (CtModel) model = new_model ("resnet18", 3, 10, 32, 1);
  g_autoptr (CtModel) other = new_model ("resnet18", 3, 10, 32, 2);
  g_autoptr (CtModel) hundred = new_model ("resnet18", 3, 100, 32, 2);
  g_autoptr (CtModel) camtrail = new_model ("camtrail_net", 3, 10, 32, 2);
  g_autoptr (State) other_state = state_dup (other);
  g_autoptr (State) hundred_state = state_dup (hundred);
  g_autoptr (State) camtrail_state = state_dup (camtrail);
  g_autofree float *input = random_input (2 * 3 * 32 * 32, 7);
  g_autofree float *before = forward (model, input, 2);
  g_autofree float *after = NULL;
  g_autofree CtTorchTensor *subset = g_new (CtTorchTensor, other_state->n + 1);
  size_t n_subset = 0;
  char *error = NULL;

  /* A missing tensor late in the order: nothing before it may be copied. */
  for (size_t i = 0; i < other_state->n; i++)
    if (!g_str_equal (other_state->tensors[i].name, "layer4.0.conv1.weight"))
      subset[n_subset++] = other_state->tensors[i];
  g_assert_cmpuint (n_subset, ==, other_state->n - 1);
  assert_status (ct_model_load_state (model, subset, n_subset, &error),
                 CT_TORCH_ERROR_MISMATCH, &error, "layer4.0.conv1.weight missing");

  assert_status (ct_model_load_state (model, hundred_state->tensors, hundred_state->n, &error),
                 CT_TORCH_ERROR_MISMATCH, &error, "another class count");
  assert_status (ct_model_load_state (model, hundred_state->tensors, hundred_state->n, &error),
                 CT_TORCH_ERROR_MISMATCH, &error, "fc.weight of shape [100, 512]");
  assert_status (ct_model_load_state (model, camtrail_state->tensors, camtrail_state->n, &error),
                 CT_TORCH_ERROR_MISMATCH, &error, "another architecture");

  /* One tensor too many. */
  memcpy (subset, other_state->tensors, sizeof (CtTorchTensor) * other_state->n);
  subset[other_state->n] = camtrail_state->tensors[0];
  assert_status (ct_model_load_state (model, subset, other_state->n + 1, &error),
                 CT_TORCH_ERROR_MISMATCH, &error, "unexpected tensor stem.conv.weight");

  /* The same name twice. */
  subset[other_state->n] = other_state->tensors[0];
  assert_status (ct_model_load_state (model, subset, other_state->n + 1, &error),
                 CT_TORCH_ERROR_MISMATCH, &error, "twice");

  /* A wrong dtype. */
  for (size_t i = 0; i < other_state->n; i++)
    if (subset[i].dtype == CT_TORCH_DTYPE_INT64)
      {
        subset[i].dtype = CT_TORCH_DTYPE_FLOAT32;
        subset[i].n_bytes = 4;
        break;
      }
  assert_status (ct_model_load_state (model, subset, other_state->n, &error),
                 CT_TORCH_ERROR_MISMATCH, &error, "int64");

  /* A size that does not match the shape. */
  memcpy (subset, other_state->tensors, sizeof (CtTorchTensor) * other_state->n);
  subset[other_state->n - 1].n_bytes -= 4;
  assert_status (ct_model_load_state (model, subset, other_state->n, &error),
                 CT_TORCH_ERROR_INVALID_ARGUMENT, &error, "bytes");

  assert_status (ct_model_load_state (model, NULL, 0, &error),
                 CT_TORCH_ERROR_MISMATCH, &error, "conv1.weight missing");

  after = forward (model, input, 2);
  g_assert_cmpmem (before, sizeof (float) * 20, after, sizeof (float) * 20);
}

/* Grad-CAM the engine's way: the shim's activations and gradients of
 * resnet18's layer4 (512 × 4 × 4 at 32×32), core's map. */
static CtTorchStatus
layer4_cam (CtModel     *model,
            CtCamMethod  method,
            const float *input,
            size_t       n,
            const int   *targets,
            float       *out_maps,
            float       *out_logits,
            int         *out_targets,
            char       **error)
{
  enum { C = 512, H = 4, W = 4 };
  g_autofree float *activations = g_new (float, n * C * H * W);
  g_autofree float *gradients = g_new (float, n * C * H * W);
  CtTorchStatus status;

  status = ct_model_layer_maps (model, "layer4", input, n, targets, activations, gradients,
                                out_logits, out_targets, error);
  if (status != CT_TORCH_OK)
    return status;
  for (size_t i = 0; i < n; i++)
    ct_cam_method_combine (method, activations + i * C * H * W, gradients + i * C * H * W,
                           C, H, W, out_maps + i * H * W);
  return CT_TORCH_OK;
}

/* Zhou et al.'s CAM identity: resnet18 ends layer4 → global average pool →
 * fc, so Grad-CAM's α_k is fc.weight[c, k] / (h·w) and Σ_xy Σ_k α_k A^k_xy
 * equals logit_c − fc.bias[c], for any target c.  The gradient is the same
 * at every position, so HiResCAM and XGrad-CAM equal Grad-CAM. */
static void
test_grad_cam_identity (void)
{
  enum { N = 3, K = 10, H = 4, W = 4 };
  g_autoptr (CtModel) model = new_model ("resnet18", 3, K, 32, 4);
  g_autoptr (State) state = state_dup (model);
  const CtTorchTensor *bias_tensor = state_find (state, "fc.bias");
  const float *bias;
  g_autofree float *input = random_input (N * 3 * 32 * 32, 11);
  g_autofree float *plain_logits = forward (model, input, N);
  float weighted[N * H * W], logits[N * K];
  float weighted_argmax[N * H * W], logits_argmax[N * K];
  int predicted[N], used[N], explicit_targets[N];
  char *error = NULL;

  g_assert_nonnull (bias_tensor);
  bias = bias_tensor->data;

  /* Predicted class, by NULL targets. */
  g_assert_cmpint (layer4_cam (model, CT_CAM_METHOD_GRADCAM, input, N, NULL, weighted, logits,
                               predicted, &error), ==, CT_TORCH_OK);
  g_assert_null (error);
  for (int i = 0; i < N; i++)
    {
      int argmax = 0;
      double sum = 0.0, expected;

      for (int c = 1; c < K; c++)
        if (logits[i * K + c] > logits[i * K + argmax])
          argmax = c;
      g_assert_cmpint (predicted[i], ==, argmax);
      for (int c = 0; c < K; c++)
        g_assert_cmpfloat_with_epsilon (logits[i * K + c], plain_logits[i * K + c],
                                        1e-4 * (1.0 + fabs (plain_logits[i * K + c])));
      for (int p = 0; p < H * W; p++)
        sum += weighted[i * H * W + p];
      expected = logits[i * K + argmax] - bias[argmax];
      g_assert_cmpfloat_with_epsilon (sum, expected, 1e-3 * (fabs (logits[i * K + argmax]) + fabs (bias[argmax])) + 1e-6);
      explicit_targets[i] = argmax;
    }

  /* −1 means predicted, and an explicit argmax gives the same maps. */
  {
    int minus_one[N] = { -1, -1, -1 };
    g_assert_cmpint (layer4_cam (model, CT_CAM_METHOD_GRADCAM, input, N, minus_one,
                                 weighted_argmax, logits_argmax, used, &error), ==, CT_TORCH_OK);
    g_assert_cmpmem (weighted, sizeof weighted, weighted_argmax, sizeof weighted_argmax);
    g_assert_cmpmem (predicted, sizeof predicted, used, sizeof used);
    g_assert_cmpint (layer4_cam (model, CT_CAM_METHOD_GRADCAM, input, N, explicit_targets,
                                 weighted_argmax, NULL, NULL, &error), ==, CT_TORCH_OK);
    g_assert_cmpmem (weighted, sizeof weighted, weighted_argmax, sizeof weighted_argmax);
  }

  /* Any other target obeys the identity too. */
  for (int i = 0; i < N; i++)
    explicit_targets[i] = (predicted[i] + 3 + i) % K;
  g_assert_cmpint (layer4_cam (model, CT_CAM_METHOD_GRADCAM, input, N, explicit_targets,
                               weighted, logits, used, &error), ==, CT_TORCH_OK);
  for (int i = 0; i < N; i++)
    {
      int c = explicit_targets[i];
      double sum = 0.0;

      g_assert_cmpint (used[i], ==, c);
      for (int p = 0; p < H * W; p++)
        sum += weighted[i * H * W + p];
      g_assert_cmpfloat_with_epsilon (sum, logits[i * K + c] - bias[c],
                                      1e-3 * (fabs (logits[i * K + c]) + fabs (bias[c])) + 1e-6);
    }

  /* A gradient constant over the map: HiResCAM and XGrad-CAM are Grad-CAM. */
  {
    const CtCamMethod same[] = { CT_CAM_METHOD_HIRESCAM, CT_CAM_METHOD_XGRADCAM };

    for (guint m = 0; m < G_N_ELEMENTS (same); m++)
      {
        float other[N * H * W];
        float range = 0;

        g_assert_cmpint (layer4_cam (model, same[m], input, N, explicit_targets, other, NULL,
                                     NULL, &error), ==, CT_TORCH_OK);
        for (int p = 0; p < N * H * W; p++)
          range = MAX (range, fabsf (weighted[p]));
        g_assert_cmpfloat (range, >, 0);
        for (int p = 0; p < N * H * W; p++)
          g_assert_cmpfloat_with_epsilon (other[p], weighted[p], 1e-5 * range);
      }
  }
}

/* Every layer of every arch gives a map of the promised size. */
static void
test_grad_cam_layers (void)
{
  const char *const *archs = ct_torch_list_archs ();

  for (size_t a = 0; archs[a] != NULL; a++)
    {
      g_autoptr (CtModel) model = new_model (archs[a], 3, 10, 32, 1);
      g_autofree float *input = random_input (2 * 3 * 32 * 32, 13);

      for (size_t l = 0; l < ct_model_get_n_layers (model); l++)
        {
          CtTorchLayer layer;
          g_autofree float *activations = NULL;
          g_autofree float *gradients = NULL;
          size_t size;
          gboolean any_nonzero = FALSE;

          g_assert_cmpint (ct_model_get_layer (model, l, &layer, NULL), ==, CT_TORCH_OK);
          size = 2 * (size_t) layer.channels * layer.height * layer.width;
          /* One float of guard after the maps. */
          activations = g_new (float, size + 1);
          gradients = g_new (float, size + 1);
          activations[size] = gradients[size] = 12345.0f;
          g_assert_cmpint (ct_model_layer_maps (model, layer.name, input, 2, NULL, activations,
                                                gradients, NULL, NULL, NULL), ==, CT_TORCH_OK);
          g_assert_cmpfloat (activations[size], ==, 12345.0f);
          g_assert_cmpfloat (gradients[size], ==, 12345.0f);
          for (size_t i = 0; i < size; i++)
            {
              g_assert_true (isfinite (activations[i]) && isfinite (gradients[i]));
              any_nonzero |= gradients[i] != 0.0f;
            }
          g_assert_true (any_nonzero);

          /* Without gradients (Eigen-CAM): the same activations. */
          {
            g_autofree float *alone = g_new (float, size);

            g_assert_cmpint (ct_model_layer_maps (model, layer.name, input, 2, NULL, alone, NULL,
                                                  NULL, NULL, NULL), ==, CT_TORCH_OK);
            g_assert_cmpmem (alone, size * sizeof (float), activations, size * sizeof (float));
          }
        }
    }
}

static void
test_grad_cam_errors (void)
{
  g_autoptr (CtModel) model = new_model ("resnet18", 3, 10, 32, 1);
  g_autofree float *input = random_input (2 * 3 * 32 * 32, 17);
  g_autofree float *weighted = g_new (float, 2 * 512 * 16);
  int bad_targets[2] = { 0, 10 };
  char *error = NULL;

  assert_status (ct_model_layer_maps (model, "layer9", input, 2, NULL, weighted, NULL, NULL, NULL, &error),
                 CT_TORCH_ERROR_INVALID_ARGUMENT, &error, "layer9");
  assert_status (ct_model_layer_maps (model, "layer9", input, 2, NULL, weighted, NULL, NULL, NULL, &error),
                 CT_TORCH_ERROR_INVALID_ARGUMENT, &error, "layer4");
  assert_status (ct_model_layer_maps (model, "layer4", input, 2, bad_targets, weighted, NULL, NULL, NULL,
                                    &error),
                 CT_TORCH_ERROR_INVALID_ARGUMENT, &error, "target class 10");
  assert_status (ct_model_layer_maps (model, NULL, input, 2, NULL, weighted, NULL, NULL, NULL, &error),
                 CT_TORCH_ERROR_INVALID_ARGUMENT, &error, NULL);
  assert_status (ct_model_layer_maps (model, "layer4", NULL, 2, NULL, weighted, NULL, NULL, NULL, &error),
                 CT_TORCH_ERROR_INVALID_ARGUMENT, &error, NULL);
  /* No message asked for. */
  g_assert_cmpint (ct_model_layer_maps (model, "nope", input, 2, NULL, weighted, NULL, NULL, NULL, NULL),
                   ==, CT_TORCH_ERROR_INVALID_ARGUMENT);
  /* And the model still works. */
  g_assert_cmpint (ct_model_layer_maps (model, "layer4", input, 2, NULL, weighted, NULL, NULL, NULL, NULL),
                   ==, CT_TORCH_OK);
}

/* Eigen-CAM's projection on closed forms.  Positions × channels
 * [[1, 2], [2, 4], [3, 6]] centre to [[−1, −2], [0, 0], [1, 2]], of rank 1
 * along (1, 2)/√5: the projection is ±(−√5, 0, √5).  A second image of two
 * uncorrelated channels, the second with the larger spread, projects onto
 * that channel's centred values. */
static void
test_project_first_component (void)
{
  /* channels × positions, per image */
  const float values[] = {
    1, 2, 3,    2, 4, 6,
    1, 1, 1,    0, 5, 10,
  };
  float out[6];
  char *error = NULL;
  float sign;

  g_assert_cmpint (ct_torch_project_first_component (values, 2, 2, 1, 3, out, &error), ==,
                   CT_TORCH_OK);
  g_assert_null (error);
  g_assert_cmpfloat_with_epsilon (fabsf (out[0]), sqrtf (5), 1e-5);
  g_assert_cmpfloat_with_epsilon (out[1], 0, 1e-5);
  g_assert_cmpfloat_with_epsilon (out[2], -out[0], 1e-5);
  sign = out[3] < 0 ? -1 : 1;
  g_assert_cmpfloat_with_epsilon (out[3], sign * 5, 1e-5);
  g_assert_cmpfloat_with_epsilon (out[4], 0, 1e-5);
  g_assert_cmpfloat_with_epsilon (out[5], -sign * 5, 1e-5);

  assert_status (ct_torch_project_first_component (values, 1, 0, 1, 3, out, &error),
                 CT_TORCH_ERROR_INVALID_ARGUMENT, &error, "channel");
  assert_status (ct_torch_project_first_component (NULL, 1, 2, 1, 3, out, &error),
                 CT_TORCH_ERROR_INVALID_ARGUMENT, &error, NULL);
}

typedef struct {
  size_t calls;
  size_t last_done;
  size_t total;
  int    cancel_after;
  volatile int cancel;
} Passes;

static void
passes_cb (size_t done,
           size_t total,
           void  *user_data)
{
  Passes *passes = user_data;

  g_assert_cmpuint (done, >, passes->last_done);
  passes->calls++;
  passes->last_done = done;
  passes->total = total;
  if (passes->cancel_after > 0 && passes->calls == (size_t) passes->cancel_after)
    passes->cancel = 1;
}

/* Score-CAM's scores on cases that need no reference: a flat map masks the
 * whole image to 0, so its score is the logit of a zero image; a map's
 * score does not change under a → 2a + 5 (the masks are min-max scaled);
 * batches across images give what one pass at a time gives. */
static void
test_score_cam (void)
{
  enum { N = 2, C = 3, H = 2, W = 2, K = 10, S = 32 };
  g_autoptr (CtModel) model = new_model ("camtrail_net", 3, K, S, 1);
  g_autofree float *input = random_input (N * 3 * S * S, 19);
  g_autofree float *zeros = g_new0 (float, 3 * S * S);
  g_autofree float *zero_logits = forward (model, zeros, 1);
  const float activations[N * C * H * W] = {
    /* image 0: flat, a ramp, the ramp doubled plus 5 */
    0.3f, 0.3f, 0.3f, 0.3f,   0, 1, 2, 3,   5, 7, 9, 11,
    /* image 1: a single peak, flat, a ramp */
    0, 0, 4, 0,   -2, -2, -2, -2,   3, 2, 1, 0,
  };
  const int targets[N] = { 4, 7 };
  float scores[N * C], one_by_one[N * C];
  Passes passes = { 0 };
  char *error = NULL;

  g_assert_cmpint (ct_model_score_cam (model, input, N, activations, C, H, W, targets, 0,
                                       passes_cb, &passes, &passes.cancel, scores, &error),
                   ==, CT_TORCH_OK);
  g_assert_null (error);
  g_assert_cmpuint (passes.total, ==, N * C);
  g_assert_cmpuint (passes.last_done, ==, N * C);
  g_assert_cmpfloat_with_epsilon (scores[0], zero_logits[targets[0]], 1e-5);
  g_assert_cmpfloat_with_epsilon (scores[1 * C + 1], zero_logits[targets[1]], 1e-5);
  g_assert_cmpfloat_with_epsilon (scores[2], scores[1], 1e-5);
  g_assert_cmpfloat (fabsf (scores[1] - scores[0]), >, 1e-4);

  memset (&passes, 0, sizeof passes);
  g_assert_cmpint (ct_model_score_cam (model, input, N, activations, C, H, W, targets, 1,
                                       passes_cb, &passes, NULL, one_by_one, NULL),
                   ==, CT_TORCH_OK);
  g_assert_cmpuint (passes.calls, ==, N * C);
  for (int i = 0; i < N * C; i++)
    g_assert_cmpfloat_with_epsilon (one_by_one[i], scores[i], 1e-5);

  /* Cancelled between batches. */
  memset (&passes, 0, sizeof passes);
  passes.cancel_after = 2;
  assert_status (ct_model_score_cam (model, input, N, activations, C, H, W, targets, 1,
                                     passes_cb, &passes, &passes.cancel, scores, &error),
                 CT_TORCH_ERROR_CANCELLED, &error, "cancelled");
  g_assert_cmpuint (passes.calls, ==, 2);

  {
    const int bad[N] = { 4, -1 };

    assert_status (ct_model_score_cam (model, input, N, activations, C, H, W, bad, 0, NULL,
                                       NULL, NULL, scores, &error),
                   CT_TORCH_ERROR_INVALID_ARGUMENT, &error, "target class -1");
  }
}

/* Ablation-CAM on resnet18's layer4, a ReLU output (minimum 0, so channels
 * are zeroed) followed by global average pooling and fc: zeroing channel k
 * lowers the target logit by exactly fc.weight[t, k] · mean(A_k). */
static void
test_ablation_cam (void)
{
  /* 16 × 16 images (a 2 × 2 layer4): 1024 passes of resnet18 stay quick. */
  enum { N = 2, C = 512, H = 2, W = 2, K = 10 };
  g_autoptr (CtModel) model = new_model ("resnet18", 3, K, 16, 5);
  g_autoptr (State) state = state_dup (model);
  const float *fc = state_find (state, "fc.weight")->data;
  g_autofree float *input = random_input (N * 3 * 16 * 16, 23);
  g_autofree float *activations = g_new (float, N * C * H * W);
  g_autofree float *scores = g_new (float, N * C);
  float logits[N * K];
  int used[N];
  Passes passes = { 0 };
  char *error = NULL;

  g_assert_cmpint (ct_model_layer_maps (model, "layer4", input, N, NULL, activations, NULL,
                                        logits, used, &error), ==, CT_TORCH_OK);
  g_assert_cmpint (ct_model_ablation_cam (model, "layer4", input, N, activations, used, 100,
                                          passes_cb, &passes, &passes.cancel, scores, &error),
                   ==, CT_TORCH_OK);
  g_assert_null (error);
  g_assert_cmpuint (passes.last_done, ==, N * C);
  for (int i = 0; i < N; i++)
    {
      const float *a = activations + (gsize) i * C * H * W;
      float y = logits[i * K + used[i]];
      float lowest = a[0];

      for (int p = 1; p < C * H * W; p++)
        lowest = MIN (lowest, a[p]);
      g_assert_cmpfloat (lowest, ==, 0);
      for (int k = 0; k < C; k++)
        {
          double mean = 0;

          for (int p = 0; p < H * W; p++)
            mean += a[k * H * W + p];
          mean /= H * W;
          g_assert_cmpfloat_with_epsilon (scores[i * C + k], y - fc[used[i] * C + k] * mean,
                                          1e-4 * (1 + fabsf (y)));
        }
    }

  assert_status (ct_model_ablation_cam (model, "layer9", input, N, activations, used, 0, NULL,
                                        NULL, NULL, scores, &error),
                 CT_TORCH_ERROR_INVALID_ARGUMENT, &error, "layer9");
}

/* Inference in chunks gives what one image at a time gives. */
static void
test_forward_batches (void)
{
  enum { N = 300, K = 10, P = 1 * 16 * 16 };
  g_autoptr (CtModel) model = new_model ("camtrail_net", 1, K, 16, 1);
  g_autofree float *input = random_input (N * P, 19);
  g_autofree float *all = forward (model, input, N);
  const size_t picks[] = { 0, 1, 255, 256, 299 };

  for (size_t j = 0; j < G_N_ELEMENTS (picks); j++)
    {
      size_t i = picks[j];
      g_autofree float *one = forward (model, input + i * P, 1);

      for (int c = 0; c < K; c++)
        g_assert_cmpfloat_with_epsilon (all[i * K + c], one[c], 1e-4 * (1.0 + fabs (one[c])));
    }
  /* Zero images is no work, and no error. */
  g_assert_cmpint (ct_model_forward (model, NULL, 0, NULL, NULL), ==, CT_TORCH_OK);
}

/* ct_model_evaluate normalises (x/255 − mean)/std and reports the mean
 * cross-entropy and accuracy of the eval-mode logits. */
static void
test_evaluate (void)
{
  enum { N = 70, K = 10, C = 3, S = 16, P = C * S * S };
  g_autoptr (CtModel) model = new_model ("camtrail_net", C, K, S, 1);
  g_autoptr (GRand) rand = g_rand_new_with_seed (23);
  const float mean[C] = { 0.5f, 0.4f, 0.3f }, std[C] = { 0.25f, 0.2f, 0.3f };
  g_autofree uint8_t *images = g_new (uint8_t, N * P);
  g_autofree float *floats = g_new (float, N * P);
  g_autofree float *logits = NULL;
  uint16_t labels[N];
  double loss = 0.0, expected_loss = 0.0, accuracy = 0.0;
  int correct = 0;
  int cancel = 1;
  char *error = NULL;

  for (int i = 0; i < N * P; i++)
    {
      images[i] = g_rand_int_range (rand, 0, 256);
      floats[i] = ((float) images[i] / 255.0f - mean[(i / (S * S)) % C]) / std[(i / (S * S)) % C];
    }
  for (int i = 0; i < N; i++)
    labels[i] = g_rand_int_range (rand, 0, K);

  logits = forward (model, floats, N);
  for (int i = 0; i < N; i++)
    {
      double max = -INFINITY, sum = 0.0;
      int argmax = 0;

      for (int c = 0; c < K; c++)
        if (logits[i * K + c] > max)
          {
            max = logits[i * K + c];
            argmax = c;
          }
      for (int c = 0; c < K; c++)
        sum += exp (logits[i * K + c] - max);
      expected_loss += (max + log (sum) - logits[i * K + labels[i]]) / N;
      correct += argmax == labels[i];
    }

  g_assert_cmpint (ct_model_evaluate (model, images, labels, N, mean, std, 32, 0, NULL,
                                      &loss, &accuracy, &error), ==, CT_TORCH_OK);
  g_assert_null (error);
  g_assert_cmpfloat_with_epsilon (loss, expected_loss, 1e-4 * expected_loss);
  g_assert_cmpfloat_with_epsilon (accuracy, (double) correct / N, 1e-9);

  assert_status (ct_model_evaluate (model, images, labels, N, mean, std, 32, 0, &cancel,
                                    &loss, &accuracy, &error),
                 CT_TORCH_ERROR_CANCELLED, &error, "cancelled");
  labels[5] = K;
  assert_status (ct_model_evaluate (model, images, labels, N, mean, std, 32, 0, NULL,
                                    &loss, &accuracy, &error),
                 CT_TORCH_ERROR_INVALID_ARGUMENT, &error, "label 10");
  labels[5] = 0;
  assert_status (ct_model_evaluate (model, images, labels, N, NULL, std, 32, 0, NULL,
                                    &loss, &accuracy, &error),
                 CT_TORCH_ERROR_INVALID_ARGUMENT, &error, "mean");
}

/* Test-time augmentation by its documented rule, from plain forward passes
 * on images flipped and shifted here: level 1 averages the logits of the
 * image and its mirror image, level 2 takes half of that and a quarter of
 * the same for the image moved by (+1, +1) and by (−1, −1) with its border
 * reflected. */
static float
pixel_at (const float *image,
          int          c,
          int          y,
          int          x,
          int          side)
{
  /* PyTorch's "reflect": −1 reads 1, side reads side − 2. */
  y = y < 0 ? -y : y >= side ? 2 * (side - 1) - y : y;
  x = x < 0 ? -x : x >= side ? 2 * (side - 1) - x : x;
  return image[(c * side + y) * side + x];
}

static void
test_evaluate_tta (void)
{
  enum { N = 24, K = 10, C = 3, S = 16, P = C * S * S, VIEWS = 6 };
  g_autoptr (CtModel) model = new_model ("camtrail_net", C, K, S, 4);
  g_autoptr (GRand) rand = g_rand_new_with_seed (31);
  const float mean[C] = { 0.5f, 0.4f, 0.3f }, std[C] = { 0.25f, 0.2f, 0.3f };
  g_autofree uint8_t *images = g_new (uint8_t, N * P);
  g_autofree float *floats = g_new (float, N * P);
  /* View v of image i at (v × N + i): plain, mirror, moved (+1, +1), its
   * mirror, moved (−1, −1), its mirror. */
  g_autofree float *views = g_new (float, VIEWS * N * P);
  g_autofree float *logits = NULL;
  uint16_t labels[N];
  double plain_loss = 0.0;

  for (int i = 0; i < N * P; i++)
    {
      images[i] = g_rand_int_range (rand, 0, 256);
      floats[i] = ((float) images[i] / 255.0f - mean[(i / (S * S)) % C]) / std[(i / (S * S)) % C];
    }
  for (int i = 0; i < N; i++)
    labels[i] = g_rand_int_range (rand, 0, K);
  for (int v = 0; v < VIEWS; v++)
    for (int i = 0; i < N; i++)
      for (int c = 0; c < C; c++)
        for (int y = 0; y < S; y++)
          for (int x = 0; x < S; x++)
            {
              int shift = v < 2 ? 0 : v < 4 ? 1 : -1;
              int sx = v % 2 == 1 ? S - 1 - x : x;
              views[(size_t) (v * N + i) * P + (c * S + y) * S + x] =
                pixel_at (floats + i * P, c, y - shift, sx - shift, S);
            }
  logits = forward (model, views, VIEWS * N);

  for (int level = 0; level <= 2; level++)
    {
      static const double weights[3][VIEWS] = {
        { 1.0, 0, 0, 0, 0, 0 },
        { 0.5, 0.5, 0, 0, 0, 0 },
        { 0.25, 0.25, 0.125, 0.125, 0.125, 0.125 },
      };
      double loss = 0.0, accuracy = 0.0, expected_loss = 0.0;
      int correct = 0;
      char *error = NULL;

      for (int i = 0; i < N; i++)
        {
          double averaged[K], max = -INFINITY, sum = 0.0;
          int argmax = 0;

          for (int k = 0; k < K; k++)
            {
              averaged[k] = 0.0;
              for (int v = 0; v < VIEWS; v++)
                averaged[k] += weights[level][v] * logits[(v * N + i) * K + k];
              if (averaged[k] > max)
                {
                  max = averaged[k];
                  argmax = k;
                }
            }
          for (int k = 0; k < K; k++)
            sum += exp (averaged[k] - max);
          expected_loss += (max + log (sum) - averaged[labels[i]]) / N;
          correct += argmax == labels[i];
        }
      g_assert_cmpint (ct_model_evaluate (model, images, labels, N, mean, std, 10, level, NULL,
                                          &loss, &accuracy, &error), ==, CT_TORCH_OK);
      g_assert_null (error);
      g_test_message ("level %d: loss %.6f (expected %.6f), accuracy %.3f", level, loss,
                      expected_loss, accuracy);
      g_assert_cmpfloat_with_epsilon (loss, expected_loss, 1e-5 * expected_loss);
      g_assert_cmpfloat_with_epsilon (accuracy, (double) correct / N, 1e-9);
      /* Each level is a different measurement. */
      if (level > 0)
        g_assert_cmpfloat (fabs (loss - plain_loss), >, 1e-4);
      else
        plain_loss = loss;
    }
  {
    double loss, accuracy;
    char *error = NULL;

    assert_status (ct_model_evaluate (model, images, labels, N, mean, std, 10, 3, NULL,
                                      &loss, &accuracy, &error),
                   CT_TORCH_ERROR_INVALID_ARGUMENT, &error, "augmentation level 3");
  }
}

/* The whitened stem, on smooth images whose 2×2 patches are strongly
 * correlated: the first 4C filters map the patches to outputs whose second
 * moment is diag(λ/(λ + eps)), the identity for an eps far below every λ;
 * the next 4C are their negations. */
static void
test_whiten_stem (void)
{
  enum { N = 40, C = 3, S = 12, P = C * S * S, D = C * 4 };
  CtModelConfig config = {
    .arch = "camtrail_net", .in_channels = C, .n_classes = 10, .image_size = S,
    .width = 64, /* a stem of ⌊3 · 64 / 8⌋ = 24 = 2 · 4C filters */
    .seed = 3,
  };
  const float mean[C] = { 0.5f, 0.5f, 0.5f }, std[C] = { 0.25f, 0.25f, 0.25f };
  g_autoptr (GRand) rand = g_rand_new_with_seed (5);
  g_autofree uint8_t *images = g_new (uint8_t, N * P);
  CtModel *model = NULL;
  CtTorchTensor weight = { 0 };
  g_autofree float *w = NULL;
  double raw[D][D] = { { 0 } }, white[D][D] = { { 0 } };
  double largest_raw_off_diagonal = 0.0;
  long count = 0;
  char *error = NULL;

  /* A ramp per image and channel, plus a little noise. */
  for (int i = 0; i < N; i++)
    for (int c = 0; c < C; c++)
      {
        double base = g_rand_double_range (rand, 40, 200), slope = g_rand_double_range (rand, -6, 6);

        for (int y = 0; y < S; y++)
          for (int x = 0; x < S; x++)
            images[i * P + (c * S + y) * S + x] =
              (uint8_t) CLAMP (base + slope * (x + y) + g_rand_int_range (rand, -8, 9), 0, 255);
      }

  g_assert_cmpint (ct_model_new (&config, &model, NULL), ==, CT_TORCH_OK);
  g_assert_cmpint (ct_model_whiten_stem (model, images, N, mean, std, 1e-9, &error), ==, CT_TORCH_OK);
  g_assert_null (error);
  for (size_t t = 0; t < ct_model_get_n_tensors (model); t++)
    {
      g_assert_cmpint (ct_model_get_tensor (model, t, &weight, NULL), ==, CT_TORCH_OK);
      if (g_str_equal (weight.name, "stem.conv.weight"))
        break;
    }
  g_assert_cmpstr (weight.name, ==, "stem.conv.weight");
  g_assert_cmpint (weight.shape[0], ==, 2 * D);
  w = g_memdup2 (weight.data, weight.n_bytes);
  for (int k = 0; k < D; k++)
    for (int j = 0; j < D; j++)
      g_assert_cmpfloat (w[(D + k) * D + j], ==, -w[k * D + j]);

  for (int i = 0; i < N; i++)
    for (int y = 0; y + 1 < S; y++)
      for (int x = 0; x + 1 < S; x++)
        {
          double patch[D], out[D];

          /* (channel, row, column): the convolution weight's order. */
          for (int c = 0; c < C; c++)
            for (int dy = 0; dy < 2; dy++)
              for (int dx = 0; dx < 2; dx++)
                patch[c * 4 + dy * 2 + dx] =
                  (images[i * P + (c * S + y + dy) * S + x + dx] / 255.0 - mean[c]) / std[c];
          for (int k = 0; k < D; k++)
            {
              out[k] = 0.0;
              for (int j = 0; j < D; j++)
                out[k] += w[k * D + j] * patch[j];
            }
          for (int a = 0; a < D; a++)
            for (int b = 0; b < D; b++)
              {
                raw[a][b] += patch[a] * patch[b];
                white[a][b] += out[a] * out[b];
              }
          count++;
        }
  for (int a = 0; a < D; a++)
    for (int b = 0; b < D; b++)
      {
        raw[a][b] /= count;
        white[a][b] /= count;
      }
  for (int a = 0; a < D; a++)
    for (int b = 0; b < D; b++)
      {
        if (a != b)
          largest_raw_off_diagonal = MAX (largest_raw_off_diagonal,
                                          fabs (raw[a][b]) / sqrt (raw[a][a] * raw[b][b]));
        g_assert_cmpfloat_with_epsilon (white[a][b], a == b ? 1.0 : 0.0, 1e-3);
      }
  /* The patches were far from white to begin with. */
  g_assert_cmpfloat (largest_raw_off_diagonal, >, 0.9);

  assert_status (ct_model_whiten_stem (model, images, N, mean, std, 0.0, &error),
                 CT_TORCH_ERROR_INVALID_ARGUMENT, &error, "eps");
  ct_model_free (model);
  model = new_model ("resnet18", C, 10, S, 1);
  assert_status (ct_model_whiten_stem (model, images, N, mean, std, 5e-4, &error),
                 CT_TORCH_ERROR_INVALID_ARGUMENT, &error, "stem.conv.weight");
  ct_model_free (model);
}

/* camtrail_net's groups start as airbench's: a convolution's first
 * min(out, in) filters are identities (dirac), so a fresh group passes its
 * input map's channels through. */
static void
test_dirac_init (void)
{
  g_autoptr (CtModel) model = new_model ("camtrail_net", 3, 10, 16, 8);
  int checked = 0;

  for (size_t t = 0; t < ct_model_get_n_tensors (model); t++)
    {
      CtTorchTensor tensor;
      const float *w;
      int out, in;

      g_assert_cmpint (ct_model_get_tensor (model, t, &tensor, NULL), ==, CT_TORCH_OK);
      if (!g_str_has_prefix (tensor.name, "stages.") || !g_str_has_suffix (tensor.name, ".weight") ||
          strstr (tensor.name, ".conv") == NULL)
        continue;
      w = tensor.data;
      out = tensor.shape[0];
      in = tensor.shape[1];
      g_assert_cmpint (tensor.shape[2], ==, 3);
      for (int o = 0; o < MIN (out, in); o++)
        for (int i = 0; i < in; i++)
          for (int tap = 0; tap < 9; tap++)
            g_assert_cmpfloat (w[(o * in + i) * 9 + tap], ==, (o == i && tap == 4) ? 1.0f : 0.0f);
      /* The other filters are random. */
      if (out > in)
        g_assert_cmpfloat (fabsf (w[in * in * 9]) + fabsf (w[in * in * 9 + 1]), >, 0.0f);
      checked++;
    }
  g_assert_cmpint (checked, ==, 6);
}

/* Labels above a byte's range pick their own logits: 256 and 299 of 300
 * classes are not read as 0 and 43; 300 is refused. */
static void
test_evaluate_many_classes (void)
{
  enum { N = 4, K = 300, C = 3, S = 16, P = C * S * S };
  g_autoptr (CtModel) model = new_model ("camtrail_net", C, K, S, 2);
  const float mean[C] = { 0.5f, 0.5f, 0.5f }, std[C] = { 0.25f, 0.25f, 0.25f };
  g_autofree uint8_t *images = g_new (uint8_t, N * P);
  g_autofree float *floats = g_new (float, N * P);
  g_autofree float *logits = NULL;
  uint16_t labels[N] = { 0, 255, 256, 299 };
  double loss = 0.0, expected_loss = 0.0, accuracy = 0.0;
  char *error = NULL;

  for (int i = 0; i < N * P; i++)
    {
      images[i] = (uint8_t) (i * 37 % 251);
      floats[i] = ((float) images[i] / 255.0f - 0.5f) / 0.25f;
    }
  logits = forward (model, floats, N);
  for (int i = 0; i < N; i++)
    {
      double max = -INFINITY, sum = 0.0;

      for (int c = 0; c < K; c++)
        max = MAX (max, logits[i * K + c]);
      for (int c = 0; c < K; c++)
        sum += exp (logits[i * K + c] - max);
      expected_loss += (max + log (sum) - logits[i * K + labels[i]]) / N;
    }

  g_assert_cmpint (ct_model_evaluate (model, images, labels, N, mean, std, 0, 0, NULL,
                                      &loss, &accuracy, &error), ==, CT_TORCH_OK);
  g_assert_null (error);
  g_assert_cmpfloat_with_epsilon (loss, expected_loss, 1e-4 * expected_loss);
  labels[3] = K;
  assert_status (ct_model_evaluate (model, images, labels, N, mean, std, 0, 0, NULL,
                                    &loss, &accuracy, &error),
                 CT_TORCH_ERROR_INVALID_ARGUMENT, &error, "label 300");
}

static void
test_errors (void)
{
  CtModelConfig config = { .arch = "resnet18", .in_channels = 3, .n_classes = 10,
                           .image_size = 32 };
  CtModel *model = (CtModel *) &config;
  CtTorchTensor tensor;
  CtTorchLayer layer;
  char *error = NULL;

  assert_status (ct_model_new (NULL, &model, &error), CT_TORCH_ERROR_INVALID_ARGUMENT, &error, NULL);
  g_assert_null (model);
  g_assert_cmpint (ct_model_new (NULL, NULL, NULL), ==, CT_TORCH_ERROR_INVALID_ARGUMENT);

  config.arch = "vgg16";
  assert_status (ct_model_new (&config, &model, &error),
                 CT_TORCH_ERROR_INVALID_ARGUMENT, &error, "vgg16");
  g_assert_null (model);
  config.arch = "resnet18";
  config.in_channels = 2;
  assert_status (ct_model_new (&config, &model, &error),
                 CT_TORCH_ERROR_INVALID_ARGUMENT, &error, "in_channels");
  config.in_channels = 3;
  config.n_classes = 0;
  assert_status (ct_model_new (&config, &model, &error),
                 CT_TORCH_ERROR_INVALID_ARGUMENT, &error, "n_classes");
  config.n_classes = 10;
  config.image_size = 0;
  assert_status (ct_model_new (&config, &model, &error),
                 CT_TORCH_ERROR_INVALID_ARGUMENT, &error, NULL);
  config.image_size = 32;

  /* NULL handles never crash. */
  ct_model_free (NULL);
  ct_trainer_free (NULL);
  g_assert_cmpint (ct_model_get_n_classes (NULL), ==, 0);
  g_assert_cmpuint (ct_model_get_n_tensors (NULL), ==, 0);
  g_assert_cmpuint (ct_model_get_n_layers (NULL), ==, 0);
  g_assert_null (ct_model_get_default_layer (NULL));
  assert_status (ct_model_get_tensor (NULL, 0, &tensor, &error),
                 CT_TORCH_ERROR_INVALID_ARGUMENT, &error, NULL);
  assert_status (ct_model_get_layer (NULL, 0, &layer, &error),
                 CT_TORCH_ERROR_INVALID_ARGUMENT, &error, NULL);
  assert_status (ct_model_forward (NULL, NULL, 1, NULL, &error),
                 CT_TORCH_ERROR_INVALID_ARGUMENT, &error, NULL);
  assert_status (ct_model_to_device (NULL, "cpu", &error),
                 CT_TORCH_ERROR_INVALID_ARGUMENT, &error, NULL);

  g_assert_cmpint (ct_model_new (&config, &model, &error), ==, CT_TORCH_OK);
  assert_status (ct_model_get_tensor (model, 1000, &tensor, &error),
                 CT_TORCH_ERROR_INVALID_ARGUMENT, &error, "out of range");
  assert_status (ct_model_get_tensor (model, 0, NULL, &error),
                 CT_TORCH_ERROR_INVALID_ARGUMENT, &error, NULL);
  assert_status (ct_model_to_device (model, "abacus", &error),
                 CT_TORCH_ERROR_INVALID_ARGUMENT, &error, "abacus");
  if (!ct_torch_cuda_available ())
    assert_status (ct_model_to_device (model, "cuda", &error),
                   CT_TORCH_ERROR_INVALID_ARGUMENT, &error, "CUDA");
  g_assert_cmpint (ct_model_to_device (model, "cpu", &error), ==, CT_TORCH_OK);
  g_assert_null (error);
  g_assert_cmpuint (ct_model_get_n_tensors (model), ==, 122);
  ct_model_free (model);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  /* One thread: meson runs suites side by side, and spinning OpenMP threads
   * on a busy machine are many times slower than one. */
  ct_torch_set_threads (1, NULL);

  g_test_add_func ("/torch/library", test_library);
  g_test_add_func ("/torch/thread-threads", test_thread_threads);
  g_test_add_func ("/torch/archs", test_archs);
  g_test_add_func ("/torch/resnet-count", test_resnet_count);
  g_test_add_func ("/torch/layers", test_layers);
  g_test_add_func ("/torch/seed", test_seed);
  g_test_add_func ("/torch/round-trip", test_round_trip);
  g_test_add_func ("/torch/load-mismatch", test_load_mismatch);
  g_test_add_func ("/torch/grad-cam/identity", test_grad_cam_identity);
  g_test_add_func ("/torch/grad-cam/layers", test_grad_cam_layers);
  g_test_add_func ("/torch/grad-cam/errors", test_grad_cam_errors);
  g_test_add_func ("/torch/project-first-component", test_project_first_component);
  g_test_add_func ("/torch/score-cam", test_score_cam);
  g_test_add_func ("/torch/ablation-cam", test_ablation_cam);
  g_test_add_func ("/torch/forward-batches", test_forward_batches);
  g_test_add_func ("/torch/evaluate", test_evaluate);
  g_test_add_func ("/torch/evaluate-many-classes", test_evaluate_many_classes);
  g_test_add_func ("/torch/evaluate-tta", test_evaluate_tta);
  g_test_add_func ("/torch/whiten-stem", test_whiten_stem);
  g_test_add_func ("/torch/dirac-init", test_dirac_init);
  g_test_add_func ("/torch/errors", test_errors);
  return g_test_run ();
}
