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
  CT_TORCH_ERROR_PEER_LOST,         /* under torchrun: another rank died or cannot be reached */
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

/* Borrowed, static: the libtorch version its headers declare, e.g. "1.13.0". */
const char   *ct_torch_version          (void);
/* Sets libtorch's intra-op threads, for every thread that calls into the
 * shim; n ≤ 0 means the number of cores. */
CtTorchStatus ct_torch_set_threads      (int              n,
                                         char           **error);
/* The intra-op threads of torch calls made from the calling thread. */
int           ct_torch_get_threads      (void);
/* Sets the intra-op threads of torch calls made from the calling thread
 * only, e.g. so that two threads each use one core; n ≤ 0 means the number
 * of cores.  Returns false, changing nothing, where libtorch cannot (a
 * build without OpenMP, whose pool all threads share). */
bool          ct_torch_set_thread_threads (int            n);
bool          ct_torch_cuda_available   (void);
/* Whether @device ("cpu" or "cuda[:N]") computes bfloat16 natively: on the
 * CPU, the AVX512-BF16 or AMX-BF16 instructions (elsewhere libtorch emulates
 * bfloat16, slower than float32); CUDA devices answer false, for want of a
 * check that does not start a CUDA context. */
bool          ct_torch_has_native_bf16  (const char      *device);
/* Borrowed, static: NULL-terminated list of the architecture names. */
const char *const *ct_torch_list_archs  (void);

/* ---- Models ----------------------------------------------------------- */

typedef struct {
  const char *arch;         /* "camtrail_net" (default), "resnet18", "resnet18_imagenet", "resnet34", "resnet50", "efficientnet_b0" */
  int         in_channels;  /* 1 or 3 */
  int         n_classes;
  int         image_size;   /* the dataset's side: 32 for CIFAR, 28 for (Fashion-)MNIST */
  int         input_size;   /* side the network sees; the model resizes images to it
                               bilinearly as its first step (0 = image_size) */
  int         width;        /* camtrail_net only: width of the first stage, the others
                               scale with it (0 = 64, giving 64/256/256) */
  uint64_t    seed;         /* initial weights */
} CtModelConfig;

/* New model with freshly initialised weights, in training mode, on the CPU.
 * The weights depend on config->seed alone (it seeds libtorch's global
 * generator first).  Its target layers are measured here, by one dry forward
 * pass per layer. */
CtTorchStatus ct_model_new              (const CtModelConfig *config,
                                         CtModel            **out_model,
                                         char               **error);
void          ct_model_free             (CtModel             *model);
/* Moves the model to "cpu" or "cuda[:N]" (CT_TORCH_ERROR_INVALID_ARGUMENT
 * for another name, or CUDA without a usable CUDA build).  Inputs go to that
 * device and results come back to the CPU by themselves.  Move a model
 * before making a trainer for it: momentum buffers stay where they were made. */
CtTorchStatus ct_model_to_device        (CtModel             *model,
                                         const char          *device,
                                         char               **error);
int           ct_model_get_n_classes    (const CtModel       *model);

/* The state dict, named and ordered exactly as timm's state_dict() for the
 * same architecture (parameters and BatchNorm buffers, num_batches_tracked
 * as int64). */
size_t        ct_model_get_n_tensors    (const CtModel       *model);
/* Fills *out with tensor @index: a CPU contiguous copy whose name and data
 * are borrowed (until the next call on @model). */
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
/* Borrowed: the last layer whose map is at least 4×4 (the first layer when
 * none is; NULL only for a NULL model). */
const char   *ct_model_get_default_layer (const CtModel      *model);

/* Inference in eval mode on @n normalised images (n × C × S × S floats, S the
 * image size), in chunks; the model's train/eval mode is restored after.
 * @out_logits receives n × n_classes.  n = 0 does nothing. */
CtTorchStatus ct_model_forward          (CtModel             *model,
                                         const float         *input,
                                         size_t               n,
                                         float               *out_logits,
                                         char               **error);

/* What every CAM method starts from, in eval mode for @n normalised images:
 * one forward pass keeping the activation A of @layer and, when
 * @out_gradients is not NULL, the gradient of Σ_i y_i[t_i] (the pre-softmax
 * logits of the targets) with respect to A only — no weight gradients.
 * @targets (nullable) gives each image's class, −1 meaning the predicted
 * class; NULL means predicted for all.
 * @out_activations and @out_gradients (nullable) receive n × c × h × w
 * (c, h, w the layer's channels and map size), in that order whatever the
 * model's memory layout.  @out_logits (nullable) receives n × n_classes;
 * @out_targets (nullable) the class used per image.  Core's CAM methods
 * (ct-cam-method.h) make the maps from them. */
CtTorchStatus ct_model_layer_maps       (CtModel             *model,
                                         const char          *layer,
                                         const float         *input,
                                         size_t               n,
                                         const int           *targets,
                                         float               *out_activations,
                                         float               *out_gradients,
                                         float               *out_logits,
                                         int                 *out_targets,
                                         char               **error);

/* pytorch-grad-cam's get_2d_projection, for Eigen-CAM: for each of @n maps
 * of @channels × @height × @width values, the matrix of positions × channels
 * is centred per channel and projected on its first right singular vector:
 * out (n × height × width) = X · V[:, 0].  The SVD is LAPACK's gesdd in
 * float32 through torch.linalg.svd (full matrices), the routine NumPy's
 * svd calls, so the vector's sign, which an SVD leaves open, is the one
 * NumPy gives on the same LAPACK. */
CtTorchStatus ct_torch_project_first_component (const float  *values,
                                                size_t        n,
                                                int           channels,
                                                int           height,
                                                int           width,
                                                float        *out,
                                                char        **error);

/* Passes done of @total, for long forward-only work. */
typedef void (*CtTorchProgressFunc) (size_t  done,
                                     size_t  total,
                                     void   *user_data);

/* Score-CAM's channel scores (Wang et al., as pytorch-grad-cam's ScoreCAM):
 * each of the @channels maps of an image's activations (@activations,
 * n × channels × height × width as ct_model_layer_maps gives them) is
 * resized to the image bilinearly with align_corners=true (torch's
 * UpsamplingBilinear2d), scaled to (a − min) / (max − min + 1e-8), and
 * multiplied into the normalised image (@input); the model's logit of the
 * image's class @targets[i] (0 ≤ t < n_classes) on that masked image, in
 * eval mode, is @out_scores[i × channels + k].  The n × channels masked
 * images go through the model in batches of @batch_size (0 = 256), across
 * images; @progress (nullable) is called after each batch, and @cancel
 * (nullable) is checked before each. */
CtTorchStatus ct_model_score_cam        (CtModel             *model,
                                         const float         *input,
                                         size_t               n,
                                         const float         *activations,
                                         int                  channels,
                                         int                  height,
                                         int                  width,
                                         const int           *targets,
                                         size_t               batch_size,
                                         CtTorchProgressFunc  progress,
                                         void                *user_data,
                                         const volatile int  *cancel,
                                         float               *out_scores,
                                         char               **error);

/* Ablation-CAM's channel scores (Desai & Ramaswamy, as pytorch-grad-cam's
 * AblationCAM with its AblationLayer): for each of @n images and each
 * channel k of its activations at @layer (@activations, n × c × h × w as
 * ct_model_layer_maps gives them), the model runs on the image with that
 * layer's output replaced by the activations with channel k ablated, and
 * the logit of @targets[i] (0 ≤ t < n_classes) is @out_scores[i × c + k].
 * Ablated means set to 0 where the image's activations have the minimum 0;
 * otherwise, as the reference's batches of 32 do, to m − 1e7 (m the
 * minimum) for the first channel of each group of 32 and to 1e7 less again,
 * in float32, for each next channel of the group.  The n × c passes run in
 * batches of @batch_size (0 = 256) across images; @progress (nullable) is
 * called after each batch, and @cancel (nullable) is checked before each. */
CtTorchStatus ct_model_ablation_cam     (CtModel             *model,
                                         const char          *layer,
                                         const float         *input,
                                         size_t               n,
                                         const float         *activations,
                                         const int           *targets,
                                         size_t               batch_size,
                                         CtTorchProgressFunc  progress,
                                         void                *user_data,
                                         const volatile int  *cancel,
                                         float               *out_scores,
                                         char               **error);

/* Mean cross-entropy (no smoothing) and accuracy of the model in eval mode on
 * @n ≥ 1 uint8 C×S×S images, normalised as (x/255 − mean)/std with @mean/@std
 * (C floats each), in batches of @batch_size (0 = 256).  @tta is the
 * test-time augmentation, as airbench's tta_level: 0 the image alone; 1 the
 * mean of the logits of the image and its mirror image; 2 half of that plus
 * half the mean of the same for the image translated by (−1, −1) and by
 * (+1, +1) pixels, its border reflected (PyTorch's "reflect" padding).  The
 * loss is that of the averaged logits.  @cancel (nullable) is checked
 * between batches.  A label (@labels: @n uint16s) ≥ n_classes is
 * CT_TORCH_ERROR_INVALID_ARGUMENT. */
CtTorchStatus ct_model_evaluate         (CtModel             *model,
                                         const uint8_t       *images,
                                         const uint16_t      *labels,
                                         size_t               n,
                                         const float         *mean,
                                         const float         *std,
                                         size_t               batch_size,
                                         int                  tta,
                                         const volatile int  *cancel,
                                         double              *out_loss,
                                         double              *out_accuracy,
                                         char               **error);

/* ---- Training --------------------------------------------------------- */

typedef struct {
  int      epochs;            /* total epochs the schedule spans */
  int      batch_size;
  double   lr;                /* peak learning rate */
  double   warmup_epochs;     /* linear warm-up from lr × lr_start to lr, then linear decay to
                               * lr × lr_end at the end of the last epoch */
  double   lr_start;          /* 0 ≤ lr_start ≤ 1 */
  double   lr_end;            /* 0 ≤ lr_end ≤ 1 */
  double   momentum;
  bool     nesterov;
  double   weight_decay;
  double   bias_lr_scale;     /* BatchNorm shifts learn at lr × this with weight decay
                               * ÷ this (the same decay per step); 0 or 1: like the others */
  double   label_smoothing;
  bool     flip;              /* random horizontal flip */
  bool     alternate_flip;    /* with flip: each image flipped or not at random once, then
                               * the other way round every other epoch (airbench) */
  int      translate;         /* random translation of up to ± pixels (random crop) */
  bool     translate_reflect; /* the border reflected into the gap, else zero (black) */
  bool     whitened_stem;     /* camtrail_net: the stem's convolution is frozen (set by
                               * ct_model_whiten_stem) and its BatchNorm shift learns for
                               * stem_bias_epochs epochs only */
  int      stem_bias_epochs;
  bool     stem_plain_bias;   /* with whitened_stem: the stem's BatchNorm keeps its running
                               * statistics (0 and 1) in training too and its shift learns
                               * at the plain rate, so the stem is airbench's conv + bias */
  bool     lookahead;         /* airbench's lookahead: every 5th step s of S the weights and
                               * BatchNorm statistics become an average e ← d e + (1 − d) w,
                               * w ← e with d = 0.95⁵ (s/S)³, and after the last step w ← e */
  uint64_t seed;              /* shuffling and augmentation of epoch e use (seed, e) */
  bool     mixed_precision;   /* bfloat16 autocast for forward and loss; weights stay float32 */
} CtTrainConfig;

/* Tagged, so that a header can name it without including this one. */
typedef struct CtTrainProgress {
  int     epoch;
  size_t  batch;              /* 1-based, batches done */
  size_t  n_batches;
  size_t  images_done;
  double  loss;               /* running mean over the epoch so far */
  double  accuracy;           /* running train accuracy */
  double  images_per_second;
  double  lr;
  /* Under torchrun (ct_trainer_set_dist()): the buckets a step's gradients
   * are reduced in, and the share of this epoch's buckets so far that were
   * sent while the backward pass still ran (DDP's overlap).  0 and 0 in one
   * process. */
  size_t  gradient_buckets;
  double  buckets_overlapped;
} CtTrainProgress;

typedef void (*CtTrainProgressFunc) (const CtTrainProgress *progress,
                                     void                  *user_data);

/* camtrail_net's data-whitened stem (airbench): the second moment Σ of the
 * 2×2 patches of @n ≥ 1 uint8 C×S×S images, normalised as for
 * ct_model_evaluate, is decomposed as Σ = V Λ Vᵀ (eigenvalues λ₁ ≥ λ₂ ≥ …);
 * for k = 1 … K, K = min(⌊s/2⌋, 4C) with s the stem's output channels,
 * filter k becomes v_k / √(λ_k + @eps) and filter K + k its negation, so
 * the first K outputs of a patch have second moment diag(λ_k/(λ_k + eps)).
 * Filters past 2K keep their values.  A model without a 2×2
 * "stem.conv.weight" is CT_TORCH_ERROR_INVALID_ARGUMENT. */
CtTorchStatus ct_model_whiten_stem      (CtModel             *model,
                                         const uint8_t       *images,
                                         size_t               n,
                                         const float         *mean,
                                         const float         *std,
                                         double               eps,
                                         char               **error);

/* A trainer borrows @model, which must outlive it.  Its SGD applies weight
 * decay to every parameter (BatchNorm and biases too), as
 * torch.optim.SGD(model.parameters(), ...) does.  An epoch has
 * ⌊n/batch⌋ batches, plus the partial last one if it holds at least two
 * images (BatchNorm cannot train on one).  The learning rate of step s
 * (0-based over the whole run) is the schedule of CtTrainConfig read at
 * s + ½, so no step has a rate of exactly 0.
 * @n_train_images (≥ 2) is the size of every epoch. */
CtTorchStatus ct_trainer_new            (CtModel             *model,
                                         const CtTrainConfig *config,
                                         size_t               n_train_images,
                                         CtTrainer          **out_trainer,
                                         char               **error);
void          ct_trainer_free           (CtTrainer           *trainer);

/* Optimizer state (momentum buffers, and with lookahead its averages) so
 * that a resumed run continues exactly; names are "momentum_buffer." +
 * parameter name, in state-dict order, then "lookahead." + state-dict name
 * for every floating-point tensor.  A parameter has no buffer before its
 * first step, so a new trainer has lookahead's averages only (the initial
 * weights); a loaded state without them starts them from the weights.  A state tensor's name and data are borrowed (until the next call
 * on @trainer).  Loading replaces the whole state: @tensors may be a subset,
 * the parameters missing from it start without a buffer; an unknown name or
 * a wrong shape is CT_TORCH_ERROR_MISMATCH and changes nothing. */
size_t        ct_trainer_get_n_state_tensors (const CtTrainer *trainer);
CtTorchStatus ct_trainer_get_state_tensor (CtTrainer         *trainer,
                                          size_t             index,
                                          CtTorchTensor     *out,
                                          char             **error);
CtTorchStatus ct_trainer_load_state     (CtTrainer           *trainer,
                                         const CtTorchTensor *tensors,
                                         size_t               n_tensors,
                                         char               **error);

/* Trains one epoch (1-based @epoch, at most config->epochs) over the
 * trainer's n_train_images uint8 C×S×S images (@n must equal it): shuffled
 * and augmented from (seed, epoch) alone, normalised with @mean/@std, so an
 * epoch run after loading the model and optimizer state saved at the end of
 * the previous one gives bit-identical weights on the CPU (libtorch's global
 * generator is reseeded from (seed, epoch) too).  Calls @progress (nullable)
 * after every batch; checks @cancel (nullable) between batches.  On
 * CT_TORCH_ERROR_CANCELLED and CT_TORCH_ERROR_NOT_FINITE (which names the
 * batch) the model is left mid-epoch: do not save it. */
CtTorchStatus ct_trainer_run_epoch      (CtTrainer           *trainer,
                                         int                  epoch,
                                         const uint8_t       *images,
                                         const uint16_t      *labels,
                                         size_t               n,
                                         const float         *mean,
                                         const float         *std,
                                         CtTrainProgressFunc  progress,
                                         void                *user_data,
                                         const volatile int  *cancel,
                                         double              *out_loss,
                                         double              *out_accuracy,
                                         char               **error);

/* ---- Several processes (torchrun) ------------------------------------- */

/* A group of processes training one model data-parallel, over libtorch's
 * c10d with the Gloo backend (CPU tensors; CUDA ones are staged through the
 * CPU).  Made from torchrun's environment: RANK, WORLD_SIZE, LOCAL_RANK,
 * MASTER_ADDR, MASTER_PORT (GLOO_SOCKET_IFNAME picks the interface Gloo
 * listens on; with a loopback MASTER_ADDR it listens on 127.0.0.1 only). */
typedef struct CtDist CtDist;

/* *out_dist: new, or NULL (and CT_TORCH_OK) where WORLD_SIZE is unset or 1,
 * so a single process runs as before.  Joining the others and every later
 * collective wait at most @timeout_seconds; a rank that cannot connect
 * gets CT_TORCH_ERROR_RUNTIME with a message naming its rank and the
 * endpoint.  A collective (here and below) whose peer died or stayed silent
 * gets CT_TORCH_ERROR_PEER_LOST with a message naming the rank and the
 * step, and not what that leaves behind: the caller knows (a checkpoint,
 * finished parts, nothing written).  A malformed variable is
 * CT_TORCH_ERROR_INVALID_ARGUMENT naming it. */
CtTorchStatus ct_dist_new_from_env      (double               timeout_seconds,
                                         CtDist             **out_dist,
                                         char               **error);
void          ct_dist_free              (CtDist              *dist);
/* A NULL group is one process: rank 0 of 1. */
int           ct_dist_get_rank          (const CtDist        *dist);
int           ct_dist_get_world_size    (const CtDist        *dist);
/* The process's index on its host (torchrun's LOCAL_RANK): its GPU. */
int           ct_dist_get_local_rank    (const CtDist        *dist);
/* Borrowed, static: "gloo" (NULL for a NULL group). */
const char   *ct_dist_get_backend       (const CtDist        *dist);
/* Sums @n doubles over all ranks, in place (a NULL group leaves them). */
CtTorchStatus ct_dist_allreduce_sum     (CtDist              *dist,
                                         double              *values,
                                         size_t               n,
                                         char               **error);
/* A setup's agreement, collective: each rank passes either @failure (its
 * own error, nullable) or @summary (what it is about to do: options that
 * must be the same on every rank).  CT_TORCH_OK when every rank is ready
 * with rank 0's summary; otherwise CT_TORCH_ERROR_RUNTIME with the message
 * every rank stops with: the failing rank's error, naming it, or the two
 * summaries that differ.  A rank that passes @failure only posts it, and
 * gets CT_TORCH_OK.  A NULL group agrees with itself. */
CtTorchStatus ct_dist_agree             (CtDist              *dist,
                                         const char          *failure,
                                         const char          *summary,
                                         char               **error);
/* For a process that failed before it joined its group (a usage error,
 * a missing --run): under torchrun's environment joins the group, waiting
 * at most @timeout_seconds, and posts @failure at the first agreement
 * step, where every other rank stops with it (ct_dist_agree()) instead of
 * waiting out its timeout; *@out_told (nullable) true.  Without torchrun's
 * variables (WORLD_SIZE unset or 1) nothing, *@out_told false.  A rank
 * that cannot join gets CT_TORCH_ERROR_RUNTIME, as ct_dist_new_from_env. */
CtTorchStatus ct_dist_tell_failure_from_env (double           timeout_seconds,
                                         const char          *failure,
                                         bool                *out_told,
                                         char               **error);
/* Every rank's @n_bytes at @mine (the same count on every rank), side by
 * side in rank order, into @out (world size × @n_bytes), on every rank: the
 * bytes as they are, so doubles (−0, NaN) arrive exactly.  A NULL group
 * copies @mine. */
CtTorchStatus ct_dist_all_gather        (CtDist              *dist,
                                         const void          *mine,
                                         size_t               n_bytes,
                                         void                *out,
                                         char               **error);
/* Gives every rank rank 0's parameters and buffers. */
CtTorchStatus ct_dist_broadcast_model   (CtDist              *dist,
                                         CtModel             *model,
                                         char               **error);
/* Makes @trainer (not yet run) train data-parallel over @dist, which must
 * outlive it (NULL: one process again).  Each epoch, every rank shuffles
 * the same global permutation from (seed, epoch), pads it by repeating its
 * start to a multiple of the world size W and takes every W-th index from
 * its rank on (torch's DistributedSampler); its batches hold
 * config->batch_size / W images (a batch size not divisible by W is
 * CT_TORCH_ERROR_INVALID_ARGUMENT).  As PyTorch's DDP, the gradients are
 * summed over the ranks and divided by W in buckets of at most
 * @bucket_cap_bytes (0: DDP's 25 MiB; the first at most 1 MiB), each sent
 * as soon as the backward pass has made all of its gradients, so the
 * reduction overlaps the rest of the backward pass; the batch's loss and
 * correct count are summed alongside.  After each step every
 * rank takes rank 0's BatchNorm buffers (DDP's broadcast_buffers), so all
 * ranks hold identical weights.  Augmentation draws differ per rank.  The
 * epoch's loss, accuracy and progress are the whole group's. */
CtTorchStatus ct_trainer_set_dist       (CtTrainer           *trainer,
                                         CtDist              *dist,
                                         size_t               bucket_cap_bytes,
                                         char               **error);
/* With @sync, the model's BatchNorm layers normalise training batches with
 * the statistics of the whole group's batch (PyTorch's SyncBatchNorm): each
 * layer gathers every rank's per-channel mean, variance and count in one
 * allreduce, whose backward sums the gradients over the ranks, and moves
 * its running statistics towards the global mean and unbiased variance, so
 * W ranks × B images train as one process with W·B.  Needs
 * ct_trainer_set_dist() first; the model's layers are plain again when
 * @sync is false or the trainer is freed. */
CtTorchStatus ct_trainer_set_sync_batch_norm (CtTrainer      *trainer,
                                         bool                 sync,
                                         char               **error);

#ifdef __cplusplus
}
#endif
