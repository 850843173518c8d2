/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* The C shim over libtorch.  Pure C: this header includes only the three
 * standard headers below and compiles as C and as C++ (tests/test-torch-header
 * checks both).  It follows PyTorch's AOTInductor C shim:
 *  - typed opaque handles, one NULL-safe _free per type;
 *  - every call returns a CtTorchStatus and writes results to out_ parameters;
 *    on failure *error (when error is not NULL) receives a message the caller
 *    frees with free();
 *  - no C++ exception ever crosses into C;
 *  - a handle is used from one thread at a time.
 * Pointers marked "borrowed" stay valid until the next call on the same
 * handle; "new" results belong to the caller. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
  CT_TORCH_OK = 0,
  CT_TORCH_ERROR_INVALID_ARGUMENT,  /* unknown arch or layer, bad size, NULL where not allowed */
  CT_TORCH_ERROR_MISMATCH,          /* weights that do not fit the model: another arch or class count */
  CT_TORCH_ERROR_NOT_FINITE,        /* the training loss became NaN or infinite */
  CT_TORCH_ERROR_CANCELLED,         /* *cancel became non-zero */
  CT_TORCH_ERROR_RUNTIME,           /* anything libtorch raised */
} CtTorchStatus;

typedef enum {
  CT_TORCH_DTYPE_FLOAT32 = 0,
  CT_TORCH_DTYPE_INT64   = 1,
} CtTorchDtype;

#define CT_TORCH_MAX_DIMS 8

/* A CPU tensor described, not owned. */
typedef struct {
  const char   *name;
  CtTorchDtype  dtype;
  int           n_dims;
  int64_t       shape[CT_TORCH_MAX_DIMS];
  const void   *data;       /* contiguous, little-endian */
  size_t        n_bytes;
} CtTorchTensor;

typedef struct {
  const char *name;         /* e.g. "layer4", "blocks.5", "stages.2" */
  int         channels;
  int         height;       /* output map size for the model's image size */
  int         width;
} CtTorchLayer;

typedef struct CtModel CtModel;
typedef struct CtTrainer CtTrainer;

/* ---- Library ---------------------------------------------------------- */

/* Borrowed, static: the libtorch version, e.g. "1.13.1". */
const char   *ct_torch_version          (void);
/* Sets libtorch's intra-op threads; n ≤ 0 means the number of cores. */
CtTorchStatus ct_torch_set_threads      (int              n,
                                         char           **error);
bool          ct_torch_cuda_available   (void);
/* Borrowed, static: NULL-terminated list of the architecture names. */
const char *const *ct_torch_list_archs  (void);

/* ---- Models ----------------------------------------------------------- */

typedef struct {
  const char *arch;         /* "camtrail_net" (default), "resnet18", "efficientnet_b0" */
  int         in_channels;  /* 1 or 3 */
  int         n_classes;
  int         image_size;   /* the dataset's side: 32 for CIFAR, 28 for (Fashion-)MNIST */
  int         input_size;   /* side the network sees; the model resizes images to it
                               bilinearly as its first step (0 = image_size) */
  int         width;        /* camtrail_net only: width of the first stage, the others
                               scale with it (0 = 64, giving 64/256/256) */
  uint64_t    seed;         /* initial weights */
} CtModelConfig;

/* New model with freshly initialised weights, in training mode, on the CPU. */
CtTorchStatus ct_model_new              (const CtModelConfig *config,
                                         CtModel            **out_model,
                                         char               **error);
void          ct_model_free             (CtModel             *model);
/* Moves the model to "cpu" or "cuda[:N]". */
CtTorchStatus ct_model_to_device        (CtModel             *model,
                                         const char          *device,
                                         char               **error);
int           ct_model_get_n_classes    (const CtModel       *model);

/* The state dict, named and ordered exactly as timm's state_dict() for the
 * same architecture (parameters and BatchNorm buffers, num_batches_tracked
 * as int64). */
size_t        ct_model_get_n_tensors    (const CtModel       *model);
/* Fills *out with tensor @index; name and data are borrowed. */
CtTorchStatus ct_model_get_tensor       (CtModel             *model,
                                         size_t               index,
                                         CtTorchTensor       *out,
                                         char               **error);
/* Replaces the whole state: @tensors must hold exactly the model's names
 * with the same dtypes and shapes, or CT_TORCH_ERROR_MISMATCH names the first
 * missing, unexpected or misshapen tensor and nothing changes. */
CtTorchStatus ct_model_load_state       (CtModel             *model,
                                         const CtTorchTensor *tensors,
                                         size_t               n_tensors,
                                         char               **error);

/* Target layers for CAMs, from input to output, with their map sizes. */
size_t        ct_model_get_n_layers     (const CtModel       *model);
CtTorchStatus ct_model_get_layer        (const CtModel       *model,
                                         size_t               index,
                                         CtTorchLayer        *out,
                                         char               **error);
/* Borrowed: the last layer whose map is at least 4×4. */
const char   *ct_model_get_default_layer (const CtModel      *model);

/* Inference in eval mode on @n normalised images (n × C × S × S floats, S the
 * image size).  @out_logits receives n × n_classes. */
CtTorchStatus ct_model_forward          (CtModel             *model,
                                         const float         *input,
                                         size_t               n,
                                         float               *out_logits,
                                         char               **error);

/* Grad-CAM in eval mode for @n normalised images: one forward pass keeping
 * the activation A of @layer, then the gradient of Σ_i y_i[t_i] (the
 * pre-softmax logits of the targets) with respect to A only — no weight
 * gradients.  @targets (nullable) gives each image's class, −1 meaning the
 * predicted class; NULL means predicted for all.
 * @out_weighted (n × h × w, h and w the layer's map size) receives
 * Σ_k α_k A^k with α_k the spatial mean of ∂y/∂A^k, before any ReLU.
 * @out_logits (nullable) receives n × n_classes; @out_targets (nullable) the
 * class used per image. */
CtTorchStatus ct_model_grad_cam         (CtModel             *model,
                                         const char          *layer,
                                         const float         *input,
                                         size_t               n,
                                         const int           *targets,
                                         float               *out_weighted,
                                         float               *out_logits,
                                         int                 *out_targets,
                                         char               **error);

/* Mean cross-entropy (no smoothing) and accuracy of the model in eval mode on
 * uint8 C×H×W images, normalised with @mean/@std, in batches. */
CtTorchStatus ct_model_evaluate         (CtModel             *model,
                                         const uint8_t       *images,
                                         const uint8_t       *labels,
                                         size_t               n,
                                         const float         *mean,
                                         const float         *std,
                                         size_t               batch_size,
                                         const volatile int  *cancel,
                                         double              *out_loss,
                                         double              *out_accuracy,
                                         char               **error);

/* ---- Training --------------------------------------------------------- */

typedef struct {
  int      epochs;            /* total epochs the schedule spans */
  int      batch_size;
  double   lr;                /* peak learning rate */
  double   warmup_epochs;     /* linear warm-up from 0 to lr, then linear decay to 0 at the end */
  double   momentum;
  bool     nesterov;
  double   weight_decay;
  double   label_smoothing;
  bool     flip;              /* random horizontal flip */
  int      translate;         /* random translation of up to ± pixels, zero padded (random crop) */
  uint64_t seed;              /* shuffling and augmentation of epoch e use (seed, e) */
} CtTrainConfig;

typedef struct {
  int     epoch;
  size_t  batch;              /* 1-based, batches done */
  size_t  n_batches;
  size_t  images_done;
  double  loss;               /* running mean over the epoch so far */
  double  accuracy;           /* running train accuracy */
  double  images_per_second;
  double  lr;
} CtTrainProgress;

typedef void (*CtTrainProgressFunc) (const CtTrainProgress *progress,
                                     void                  *user_data);

/* A trainer borrows @model, which must outlive it. */
CtTorchStatus ct_trainer_new            (CtModel             *model,
                                         const CtTrainConfig *config,
                                         size_t               n_train_images,
                                         CtTrainer          **out_trainer,
                                         char               **error);
void          ct_trainer_free           (CtTrainer           *trainer);

/* Optimizer state (momentum buffers) so that a resumed run continues exactly;
 * names are "momentum_buffer." + parameter name. */
size_t        ct_trainer_get_n_state_tensors (const CtTrainer *trainer);
CtTorchStatus ct_trainer_get_state_tensor (CtTrainer         *trainer,
                                          size_t             index,
                                          CtTorchTensor     *out,
                                          char             **error);
CtTorchStatus ct_trainer_load_state     (CtTrainer           *trainer,
                                         const CtTorchTensor *tensors,
                                         size_t               n_tensors,
                                         char               **error);

/* Trains one epoch (1-based @epoch) over @n uint8 C×H×W images: shuffled and
 * augmented from (seed, epoch), normalised with @mean/@std.  Calls @progress
 * (nullable) after every batch; checks @cancel (nullable) between batches.
 * A non-finite loss stops with CT_TORCH_ERROR_NOT_FINITE naming the batch. */
CtTorchStatus ct_trainer_run_epoch      (CtTrainer           *trainer,
                                         int                  epoch,
                                         const uint8_t       *images,
                                         const uint8_t       *labels,
                                         size_t               n,
                                         const float         *mean,
                                         const float         *std,
                                         CtTrainProgressFunc  progress,
                                         void                *user_data,
                                         const volatile int  *cancel,
                                         double              *out_loss,
                                         double              *out_accuracy,
                                         char               **error);

#ifdef __cplusplus
}
#endif
