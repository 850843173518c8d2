// SPDX-License-Identifier: GPL-3.0-or-later
// The C shim over libtorch: every entry point catches everything, turns it
// into a CtTorchStatus plus a malloc'd message, and never lets an exception
// cross into C.

#include "ct-torch.h"
#include "ct-torch-dist.hpp"
#include "ct-torch-models.hpp"

#include <ATen/Parallel.h>
#include <ATen/autocast_mode.h>
#include <torch/torch.h>
#include <torch/version.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <type_traits>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include <climits>
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif
#if defined(__GLIBC__)
#include <malloc.h>
#endif
#if AT_PARALLEL_OPENMP && defined(CT_HAVE_OPENMP)
#include <omp.h>
#endif

namespace {

// A failure with a status of our own choosing (MISMATCH, NOT_FINITE, …).
struct Failure : std::runtime_error {
  CtTorchStatus status;
  Failure(CtTorchStatus s, const std::string &message)
      : std::runtime_error(message), status(s) {}
};

[[noreturn]] void fail(CtTorchStatus status, const std::string &message) {
  throw Failure(status, message);
}

[[noreturn]] void invalid(const std::string &message) {
  fail(CT_TORCH_ERROR_INVALID_ARGUMENT, message);
}

void set_error(char **error, const char *message) noexcept {
  if (error != nullptr)
    *error = strdup(message != nullptr ? message : "unknown error");
}

// Runs @body, mapping every exception to a status and message.
template <typename Body>
CtTorchStatus guarded(char **error, Body &&body) noexcept {
  if (error != nullptr)
    *error = nullptr;
  try {
    body();
    return CT_TORCH_OK;
  } catch (const Failure &e) {
    set_error(error, e.what());
    return e.status;
  } catch (const std::invalid_argument &e) {
    set_error(error, e.what());
    return CT_TORCH_ERROR_INVALID_ARGUMENT;
  } catch (const ct::dist::PeerLost &e) {
    set_error(error, e.what());
    return CT_TORCH_ERROR_PEER_LOST;
  } catch (const c10::Error &e) {
    set_error(error, e.what_without_backtrace());
    return CT_TORCH_ERROR_RUNTIME;
  } catch (const std::bad_alloc &) {
    set_error(error, "out of memory");
    return CT_TORCH_ERROR_RUNTIME;
  } catch (const std::exception &e) {
    set_error(error, e.what());
    return CT_TORCH_ERROR_RUNTIME;
  } catch (...) {
    set_error(error, "unknown C++ exception in libtorch");
    return CT_TORCH_ERROR_RUNTIME;
  }
}

// For the getters that return a value instead of a status.
template <typename T, typename Body>
T guarded_value(T fallback, Body &&body) noexcept {
  try {
    return body();
  } catch (...) {
    return fallback;
  }
}

std::string shape_string(c10::IntArrayRef shape) {
  std::ostringstream s;
  s << '[';
  for (size_t i = 0; i < shape.size(); i++)
    s << (i > 0 ? ", " : "") << shape[i];
  s << ']';
  return s.str();
}

const char *dtype_name(CtTorchDtype dtype) {
  switch (dtype) {
  case CT_TORCH_DTYPE_FLOAT32:
    return "float32";
  case CT_TORCH_DTYPE_INT64:
    return "int64";
  }
  return "an unknown dtype";
}

CtTorchDtype to_ct_dtype(const torch::Tensor &t, const std::string &name) {
  if (t.scalar_type() == torch::kFloat32)
    return CT_TORCH_DTYPE_FLOAT32;
  if (t.scalar_type() == torch::kInt64)
    return CT_TORCH_DTYPE_INT64;
  fail(CT_TORCH_ERROR_RUNTIME,
       "tensor " + name + " has dtype " + std::string(c10::toString(t.scalar_type())) +
           ", which the C API cannot describe");
}

// A CPU contiguous copy of @t, described in @out (borrowing @scratch).
void describe(const std::string &name, const torch::Tensor &t, torch::Tensor &scratch,
              CtTorchTensor *out) {
  if (t.dim() > CT_TORCH_MAX_DIMS)
    fail(CT_TORCH_ERROR_RUNTIME, "tensor " + name + " has too many dimensions");
  CtTorchDtype dtype = to_ct_dtype(t, name);
  {
    torch::NoGradGuard no_grad;
    scratch = t.detach().to(torch::kCPU, t.scalar_type(), /*non_blocking=*/false, /*copy=*/true,
                            torch::MemoryFormat::Contiguous);
  }
  std::memset(out, 0, sizeof *out);
  out->name = name.c_str();
  out->dtype = dtype;
  out->n_dims = static_cast<int>(scratch.dim());
  for (int64_t d = 0; d < scratch.dim(); d++)
    out->shape[d] = scratch.size(d);
  out->data = scratch.data_ptr();
  out->n_bytes = scratch.numel() * scratch.element_size();
}

// Checks a CtTorchTensor's own consistency and wraps its data without copying.
torch::Tensor wrap(const CtTorchTensor &t) {
  std::string name = t.name != nullptr ? t.name : "(unnamed)";
  if (t.n_dims < 0 || t.n_dims > CT_TORCH_MAX_DIMS)
    invalid("tensor " + name + " has " + std::to_string(t.n_dims) + " dimensions");
  std::vector<int64_t> shape(t.shape, t.shape + t.n_dims);
  size_t numel = 1;
  for (int64_t s : shape) {
    if (s < 0)
      invalid("tensor " + name + " has a negative size");
    numel *= static_cast<size_t>(s);
  }
  torch::ScalarType type;
  switch (t.dtype) {
  case CT_TORCH_DTYPE_FLOAT32:
    type = torch::kFloat32;
    break;
  case CT_TORCH_DTYPE_INT64:
    type = torch::kInt64;
    break;
  default:
    invalid("tensor " + name + " has an unknown dtype");
  }
  size_t expected = numel * c10::elementSize(type);
  if (t.n_bytes != expected)
    invalid("tensor " + name + " holds " + std::to_string(t.n_bytes) +
            " bytes, its shape and dtype need " + std::to_string(expected));
  if (t.data == nullptr && expected > 0)
    invalid("tensor " + name + " has no data");
  return torch::from_blob(const_cast<void *>(t.data), shape, torch::TensorOptions().dtype(type));
}

// splitmix64: mixes (seed, epoch) into independent streams.
uint64_t splitmix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// Uniform integer in [0, n) from a 64-bit draw (Lemire's multiply-shift; the
// bias is below 2^-40 for the sizes used here).
uint64_t uniform_below(std::mt19937_64 &rng, uint64_t n) {
  return static_cast<uint64_t>((static_cast<unsigned __int128>(rng()) * n) >> 64);
}

// Restores the train/eval mode of a network when it goes out of scope.
class ModeGuard {
public:
  ModeGuard(torch::nn::Module &net, bool train) : net_(net), was_training_(net.is_training()) {
    if (was_training_ != train)
      net_.train(train);
  }
  ~ModeGuard() {
    if (net_.is_training() != was_training_)
      net_.train(was_training_);
  }
  ModeGuard(const ModeGuard &) = delete;
  ModeGuard &operator=(const ModeGuard &) = delete;

private:
  torch::nn::Module &net_;
  bool was_training_;
};

// bfloat16 mixed precision (PyTorch's torch.autocast) for the code in its
// scope on @device: convolutions and matrix products run in bfloat16, the
// ops autocast keeps in float32 stay there, weights and their updates stay
// float32.  Autocast state is per thread, so other threads are unaffected.
// libtorch 2.4 replaced the per-device-type functions with ones that take
// the device type; the older ones serve 1.x up to 2.3.
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
#define CT_AUTOCAST_BY_DEVICE_TYPE 1
#endif
class MixedPrecision {
public:
  MixedPrecision(bool enable, const torch::Device &device) : on_(enable), cuda_(device.is_cuda()) {
    if (!on_)
      return;
#ifdef CT_AUTOCAST_BY_DEVICE_TYPE
    c10::DeviceType type = cuda_ ? c10::DeviceType::CUDA : c10::DeviceType::CPU;
    was_enabled_ = at::autocast::is_autocast_enabled(type);
    was_dtype_ = at::autocast::get_autocast_dtype(type);
    at::autocast::set_autocast_dtype(type, at::kBFloat16);
    at::autocast::set_autocast_enabled(type, true);
#else
    was_enabled_ = cuda_ ? at::autocast::is_enabled() : at::autocast::is_cpu_enabled();
    was_dtype_ = cuda_ ? at::autocast::get_autocast_gpu_dtype() : at::autocast::get_autocast_cpu_dtype();
    if (cuda_) {
      at::autocast::set_autocast_gpu_dtype(at::kBFloat16);
      at::autocast::set_enabled(true);
    } else {
      at::autocast::set_autocast_cpu_dtype(at::kBFloat16);
      at::autocast::set_cpu_enabled(true);
    }
#endif
    at::autocast::increment_nesting();
  }
  ~MixedPrecision() {
    if (!on_)
      return;
    if (at::autocast::decrement_nesting() == 0)
      at::autocast::clear_cache();
#ifdef CT_AUTOCAST_BY_DEVICE_TYPE
    c10::DeviceType type = cuda_ ? c10::DeviceType::CUDA : c10::DeviceType::CPU;
    at::autocast::set_autocast_enabled(type, was_enabled_);
    at::autocast::set_autocast_dtype(type, was_dtype_);
#else
    if (cuda_) {
      at::autocast::set_enabled(was_enabled_);
      at::autocast::set_autocast_gpu_dtype(was_dtype_);
    } else {
      at::autocast::set_cpu_enabled(was_enabled_);
      at::autocast::set_autocast_cpu_dtype(was_dtype_);
    }
#endif
  }
  MixedPrecision(const MixedPrecision &) = delete;
  MixedPrecision &operator=(const MixedPrecision &) = delete;

private:
  bool on_;
  bool cuda_;
  bool was_enabled_ = false;
  at::ScalarType was_dtype_ = at::kBFloat16;
};

// While one is alive, glibc's malloc serves large blocks from its heap and
// keeps freed memory instead of mapping and unmapping it for every tensor.
// A training batch's activations are tens of megabytes each, above glibc's
// mmap threshold (at most 32 MiB), so by default every batch maps them
// afresh and the kernel zeroes each page again: a full CIFAR-10 run spent
// 22% of its CPU time in the kernel (90 M minor page faults), and with this
// scope camtrail_net trains 1.76× faster (293 → 516 img/s, bf16-mixed, two
// cores).  The setting is process-wide, so scopes are counted: the last one
// to close restores glibc's defaults and gives the memory back.
class LargeBatchAllocator {
public:
  LargeBatchAllocator() {
#if defined(__GLIBC__)
    std::lock_guard<std::mutex> lock(mutex());
    if (depth()++ == 0) {
      mallopt(M_MMAP_MAX, 0);
      mallopt(M_TRIM_THRESHOLD, INT_MAX);
    }
#endif
  }
  ~LargeBatchAllocator() {
#if defined(__GLIBC__)
    std::lock_guard<std::mutex> lock(mutex());
    if (--depth() == 0) {
      // Setting any of these turns glibc's dynamic mmap threshold off for
      // good, so it is fixed where the dynamic one grows to (32 MiB, and
      // twice that for trimming) rather than left at its starting 128 KiB,
      // which would map every Grad-CAM batch's activations afresh.
      mallopt(M_MMAP_MAX, 65536);
      mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024);
      mallopt(M_TRIM_THRESHOLD, 64 * 1024 * 1024);
      malloc_trim(0);
    }
#endif
  }
  LargeBatchAllocator(const LargeBatchAllocator &) = delete;
  LargeBatchAllocator &operator=(const LargeBatchAllocator &) = delete;

private:
  static std::mutex &mutex() {
    static std::mutex m;
    return m;
  }
  static int &depth() {
    static int d = 0;
    return d;
  }
};

// Turns off requires_grad on all parameters, so that a backward pass computes
// no weight gradients; restores the flags when it goes out of scope.
class FrozenParameters {
public:
  explicit FrozenParameters(torch::nn::Module &net) {
    for (auto &p : net.parameters()) {
      if (!p.defined())
        continue;
      saved_.emplace_back(p, p.requires_grad());
      p.requires_grad_(false);
    }
  }
  ~FrozenParameters() {
    for (auto &[p, flag] : saved_)
      p.requires_grad_(flag);
  }
  FrozenParameters(const FrozenParameters &) = delete;
  FrozenParameters &operator=(const FrozenParameters &) = delete;

private:
  std::vector<std::pair<torch::Tensor, bool>> saved_;
};

// Per-channel table of (v/255 − mean)/std for every uint8 v, computed in float
// exactly as the formula reads, so a batch is normalised by lookups.
class Normaliser {
public:
  Normaliser(int64_t channels, const float *mean, const float *std) : table_(channels * 256) {
    if (mean == nullptr || std == nullptr)
      invalid("mean and std are required");
    for (int64_t c = 0; c < channels; c++) {
      if (!std::isfinite(mean[c]) || !std::isfinite(std[c]) || std[c] <= 0.0f)
        invalid("channel " + std::to_string(c) + " has mean " + std::to_string(mean[c]) +
                " and std " + std::to_string(std[c]) + ": std must be positive");
      for (int v = 0; v < 256; v++)
        table_[c * 256 + v] = (static_cast<float>(v) / 255.0f - mean[c]) / std[c];
    }
  }
  const float *channel(int64_t c) const { return table_.data() + c * 256; }

private:
  std::vector<float> table_;
};

// How many images one inference chunk holds: bounds memory, not results.
constexpr size_t kInferenceChunk = 256;

} // namespace

struct CtModel {
  std::shared_ptr<ct::Network> net;
  ct::ModelSpec spec;
  torch::Device device{torch::kCPU};
  std::vector<std::string> tensor_names;
  std::vector<torch::Tensor> tensors; // live parameters and buffers, in timm's order
  torch::Tensor scratch;              // CPU contiguous copy lent by ct_model_get_tensor
  std::vector<std::string> layer_names;
  std::vector<CtTorchLayer> layers; // names point into layer_names
  std::string default_layer;

  void refresh_state() {
    tensor_names.clear();
    tensors.clear();
    for (auto &[name, t] : ct::state_dict(*net)) {
      tensor_names.push_back(name);
      tensors.push_back(t);
    }
  }

  int64_t pixels() const { return spec.in_channels * spec.image_size * spec.image_size; }

  // Wraps n normalised float images and moves them to the model's device.
  torch::Tensor input(const float *data, size_t n) const {
    auto x = torch::from_blob(const_cast<float *>(data),
                              {static_cast<int64_t>(n), spec.in_channels, spec.image_size,
                               spec.image_size},
                              torch::kFloat32);
    return to_model(x);
  }

  // Moves a batch to the model's device, in the model's memory layout (see
  // channels_last).
  torch::Tensor to_model(const torch::Tensor &x) const {
    auto moved = x.to(device, /*non_blocking=*/false, /*copy=*/false);
    if (moved.dim() != 4)
      return moved;
    return channels_last() ? moved.contiguous(at::MemoryFormat::ChannelsLast) : moved.contiguous();
  }

  // The memory layout of weights and batches, for training and inference
  // alike: channels-last makes libtorch's oneDNN convolutions 2–3× faster on
  // the CPU (measured on 2 cores: 3×3 convolutions 400 vs 127 GFLOP/s, the
  // camtrail_net training step 2.2×, a 5 × 8 Grad-CAM grid 82 → 61 ms).
  // Values are the same; only the order of float additions differs, which
  // moves the heatmaps of ill-conditioned (untrained) maps by up to 3e-4
  // against PyTorch's default layout and by < 1e-6 against PyTorch in the
  // same layout (tests/reference, docs/ARCHITECTURE.md).
  // Channels-last only for 3-channel input: with 1-channel (Fashion-MNIST)
  // input, libtorch 1.13's oneDNN path produced NaN losses within a few
  // batches on 2 threads, which the default layout does not.
  bool channels_last() const {
    return spec.in_channels == 3;
  }

  const CtTorchLayer *find_layer(const char *name) const {
    for (auto &layer : layers)
      if (std::strcmp(layer.name, name) == 0)
        return &layer;
    return nullptr;
  }

  std::string layer_list() const {
    std::string list;
    for (auto &name : layer_names)
      list += (list.empty() ? "" : ", ") + name;
    return list;
  }
};

struct CtTrainer {
  CtModel *model;
  CtTrainConfig config;
  size_t n_train;
  size_t n_batches; // per epoch
  CtDist *dist = nullptr; // borrowed; data-parallel over it when set
  bool sync_bn = false;   // the model's BatchNorm layers synchronise over dist
  std::unique_ptr<ct::dist::GradientReducer> reducer; // with dist: the gradients' buckets
  std::vector<std::string> param_names;
  std::vector<torch::Tensor> params;
  std::unique_ptr<torch::optim::SGD> optimizer;
  std::vector<double> group_lr; // each parameter group's peak rate
  torch::Tensor stem_bias;      // with a whitened stem: its BatchNorm shift, which stops learning
  ct::BatchNorm2dImpl *plain_stem = nullptr; // with stem_plain_bias: the stem's BatchNorm, fixed
  // Lookahead: the average of every floating-point state tensor (names and
  // live tensors from the model's state dict).
  std::vector<std::string> ema_names;
  std::vector<torch::Tensor> ema_targets, ema;
  torch::Tensor scratch;     // CPU contiguous copy lent by ct_trainer_get_state_tensor
  std::string scratch_name; // and its name

  // The optimizer's per-parameter state is keyed by the TensorImpl: as its
  // address in text up to libtorch 1.x, as the pointer itself from 2.0 (the
  // CUDA PyTorch a -Dlibtorch_dir build may use).
  using StateKey = std::decay_t<decltype(std::declval<torch::optim::SGD &>().state())>::key_type;

  template <typename Key = StateKey>
  static Key state_key(const torch::Tensor &p) {
    if constexpr (std::is_same_v<Key, std::string>) {
      // What libtorch 1.x's c10::guts::to_string(impl) writes.
      std::ostringstream text;
      text << p.unsafeGetTensorImpl();
      return text.str();
    }
    else
      return p.unsafeGetTensorImpl();
  }

  // The momentum buffer of parameter @i, or an undefined tensor.
  torch::Tensor momentum_buffer(size_t i) const {
    auto &state = optimizer->state();
    auto it = state.find(state_key(params[i]));
    if (it == state.end())
      return torch::Tensor();
    return static_cast<torch::optim::SGDParamState &>(*it->second).momentum_buffer();
  }

  size_t total_steps() const { return static_cast<size_t>(config.epochs) * n_batches; }

  // The rate of 0-based step @s of the whole run as a fraction of the peak:
  // the piecewise-linear schedule lr_start → 1 (at the end of warm-up) →
  // lr_end (at the end of the last epoch), read at the middle of the step so
  // that no step of the default 0 → 1 → 0 has a zero rate.
  double lr_factor(size_t s) const {
    double total = static_cast<double>(total_steps());
    double warmup = std::min(config.warmup_epochs * n_batches, total);
    double t = s + 0.5;
    if (t < warmup)
      return config.lr_start + (1.0 - config.lr_start) * t / warmup;
    return config.lr_end + (1.0 - config.lr_end) * std::max(0.0, total - t) / (total - warmup);
  }
  double lr_at(size_t s) const { return config.lr * lr_factor(s); }

  // Lookahead after step @k (1-based over the run): every 5th step the
  // average moves towards the weights by 1 − d and the weights take it;
  // after the last step the weights take the average as it stands.
  void lookahead_step(size_t k) {
    if (!config.lookahead)
      return;
    torch::NoGradGuard no_grad;
    const size_t total = total_steps();
    if (k % 5 == 0) {
      double d = std::pow(0.95, 5) * std::pow(static_cast<double>(k) / total, 3);
      for (size_t i = 0; i < ema.size(); i++) {
        ema[i].lerp_(ema_targets[i], 1.0 - d);
        ema_targets[i].copy_(ema[i]);
      }
    }
    if (k == total)
      for (size_t i = 0; i < ema.size(); i++)
        ema_targets[i].copy_(ema[i]);
  }

  // The averages start as the weights: the first update (d = 0 at step 0)
  // would make them so anyway.
  void reset_lookahead() {
    torch::NoGradGuard no_grad;
    for (size_t i = 0; i < ema.size(); i++)
      ema[i].copy_(ema_targets[i]);
  }

  // The model outlives its trainer: its BatchNorm layers stop pointing at
  // the group, and the stem's normalises by the batch again in training.
  ~CtTrainer() {
    if (sync_bn)
      ct::dist::set_sync_batch_norm(*model->net, nullptr);
    if (plain_stem != nullptr)
      plain_stem->fixed_stats = false;
  }
};

/* ---- Library ------------------------------------------------------------ */

const char *ct_torch_version(void) { return TORCH_VERSION; }

// A thread count as the API takes it: n ≤ 0 means the number of cores.
static int thread_count(int n) {
  return n > 0 ? n : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

CtTorchStatus ct_torch_set_threads(int n, char **error) {
  return guarded(error, [&] { at::set_num_threads(thread_count(n)); });
}

int ct_torch_get_threads(void) {
  return guarded_value(1, [] { return at::get_num_threads(); });
}

bool ct_torch_set_thread_threads(int n) {
  return guarded_value(false, [&] {
    n = thread_count(n);
#if AT_PARALLEL_OPENMP && defined(CT_HAVE_OPENMP)
    // libtorch sets a thread's OpenMP team size from the process-wide count
    // at the thread's first parallel call; get_num_threads() makes that
    // happen now, so it cannot undo the team size set after it.
    (void) at::get_num_threads();
    omp_set_num_threads(n);
    return at::get_num_threads() == n;
#else
    // Other builds share one pool among all threads.
    (void) n;
    return false;
#endif
  });
}

bool ct_torch_cuda_available(void) {
  return guarded_value(false, [] { return torch::cuda::is_available(); });
}

bool ct_torch_has_native_bf16(const char *device) {
  if (device != nullptr && std::strcmp(device, "cpu") != 0)
    return false;
#if defined(__x86_64__) || defined(__i386__)
  unsigned int eax = 0, ebx = 0, ecx = 0, edx = 0;
  // CPUID leaf 7: EDX bit 22 is AMX-BF16 (subleaf 0), EAX bit 5 AVX512-BF16
  // (subleaf 1).
  if (__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx) && (edx & (1u << 22)) != 0)
    return true;
  if (__get_cpuid_count(7, 1, &eax, &ebx, &ecx, &edx) && (eax & (1u << 5)) != 0)
    return true;
#endif
  return false;
}

const char *const *ct_torch_list_archs(void) { return ct::arch_names(); }

/* ---- Models ------------------------------------------------------------- */

// Dry forward at batch 1 for each target layer, to learn its map size.
// Layer map sizes depend only on the spec, and measuring them costs one
// forward per layer; a session loading many checkpoints measures once.
struct LayerShape {
  std::string name;
  int channels, height, width;
};

static std::string spec_key(const ct::ModelSpec &spec) {
  std::ostringstream key;
  key << spec.arch << '/' << spec.in_channels << '/' << spec.n_classes << '/' << spec.image_size
      << '/' << spec.input_size << '/' << spec.width;
  return key.str();
}

static std::vector<LayerShape> measure_layer_shapes(CtModel &m) {
  static std::mutex lock;
  static std::map<std::string, std::vector<LayerShape>> cache;
  std::string key = spec_key(m.spec);
  {
    std::lock_guard<std::mutex> guard(lock);
    auto found = cache.find(key);
    if (found != cache.end())
      return found->second;
  }

  ModeGuard eval(*m.net, false);
  torch::NoGradGuard no_grad;
  auto x = m.to_model(torch::zeros({1, m.spec.in_channels, m.spec.image_size, m.spec.image_size}));
  std::vector<LayerShape> shapes;
  for (auto &name : m.net->layer_names()) {
    torch::Tensor a;
    m.net->forward(x, name, &a);
    if (!a.defined() || a.dim() != 4)
      fail(CT_TORCH_ERROR_RUNTIME, "layer " + name + " did not give a 4-d activation");
    shapes.push_back(LayerShape{name, static_cast<int>(a.size(1)), static_cast<int>(a.size(2)),
                                static_cast<int>(a.size(3))});
  }
  std::lock_guard<std::mutex> guard(lock);
  cache[key] = shapes;
  return shapes;
}

static void measure_layers(CtModel &m) {
  std::vector<LayerShape> shapes = measure_layer_shapes(m);
  m.layer_names.clear();
  for (auto &shape : shapes)
    m.layer_names.push_back(shape.name);
  m.layers.clear();
  for (size_t i = 0; i < shapes.size(); i++)
    m.layers.push_back(CtTorchLayer{m.layer_names[i].c_str(), shapes[i].channels,
                                    shapes[i].height, shapes[i].width});
  m.default_layer.clear();
  for (auto &layer : m.layers)
    if (layer.height >= 4 && layer.width >= 4)
      m.default_layer = layer.name;
  if (m.default_layer.empty() && !m.layers.empty())
    m.default_layer = m.layers.front().name;
}

CtTorchStatus ct_model_new(const CtModelConfig *config, CtModel **out_model, char **error) {
  if (out_model != nullptr)
    *out_model = nullptr;
  return guarded(error, [&] {
    if (config == nullptr || out_model == nullptr)
      invalid("ct_model_new needs a config and an out_model");
    if (config->in_channels != 1 && config->in_channels != 3)
      invalid("in_channels is " + std::to_string(config->in_channels) + ", expected 1 or 3");
    if (config->n_classes < 2)
      invalid("n_classes is " + std::to_string(config->n_classes) + ", expected at least 2");
    if (config->image_size < 1 || config->input_size < 0 || config->width < 0)
      invalid("image_size must be positive, input_size and width not negative");

    auto m = std::make_unique<CtModel>();
    m->spec.arch = config->arch != nullptr && config->arch[0] != '\0' ? config->arch : "camtrail_net";
    m->spec.in_channels = config->in_channels;
    m->spec.n_classes = config->n_classes;
    m->spec.image_size = config->image_size;
    m->spec.input_size = config->input_size;
    m->spec.width = config->width;

    torch::manual_seed(config->seed);
    m->net = ct::make_network(m->spec);
    m->net->train(true);
    if (m->channels_last()) {
      // Restrided even where contiguous(ChannelsLast) would keep the tensor
      // as it is: a 1×1 kernel [O, I, 1, 1] or a depthwise one [C, 1, k, k]
      // counts as channels-last contiguous already, yet its strides make
      // libtorch suggest the default layout, and then the convolutions it
      // meets on 1×1 maps (efficientnet_b0's last stages at 32×32) ran in
      // NCHW on oneDNN's gemm fallback, 60× slower than the depthwise
      // kernel (as PyTorch's module.to(memory_format=...) restrides them).
      torch::NoGradGuard no_grad;
      for (auto &p : m->net->parameters())
        if (p.defined() && p.dim() == 4)
          p.set_data(at::empty_like(p.data(), at::MemoryFormat::ChannelsLast).copy_(p.data()));
    }
    m->refresh_state();
    measure_layers(*m);
    *out_model = m.release();
  });
}

void ct_model_free(CtModel *model) {
  try {
    delete model;
  } catch (...) {
  }
}

CtTorchStatus ct_model_to_device(CtModel *model, const char *device, char **error) {
  return guarded(error, [&] {
    if (model == nullptr || device == nullptr)
      invalid("ct_model_to_device needs a model and a device");
    torch::Device target(torch::kCPU);
    try {
      target = torch::Device(std::string(device));
    } catch (const c10::Error &) {
      invalid(std::string("unknown device \"") + device + "\": expected \"cpu\" or \"cuda[:N]\"");
    }
    if (target.is_cuda() && !torch::cuda::is_available())
      invalid(std::string("device \"") + device + "\" asked for, but this libtorch has no usable CUDA");
    model->net->to(target);
    model->device = target;
    model->scratch = torch::Tensor();
    model->refresh_state();
  });
}

int ct_model_get_n_classes(const CtModel *model) {
  return model != nullptr ? static_cast<int>(model->spec.n_classes) : 0;
}

size_t ct_model_get_n_tensors(const CtModel *model) {
  return model != nullptr ? model->tensors.size() : 0;
}

CtTorchStatus ct_model_get_tensor(CtModel *model, size_t index, CtTorchTensor *out, char **error) {
  return guarded(error, [&] {
    if (model == nullptr || out == nullptr)
      invalid("ct_model_get_tensor needs a model and an out tensor");
    if (index >= model->tensors.size())
      invalid("tensor index " + std::to_string(index) + " out of range (the model has " +
              std::to_string(model->tensors.size()) + ")");
    describe(model->tensor_names[index], model->tensors[index], model->scratch, out);
  });
}

CtTorchStatus ct_model_load_state(CtModel *model, const CtTorchTensor *tensors, size_t n_tensors,
                                  char **error) {
  return guarded(error, [&] {
    if (model == nullptr || (tensors == nullptr && n_tensors > 0))
      invalid("ct_model_load_state needs a model and tensors");

    std::unordered_map<std::string, size_t> given;
    for (size_t i = 0; i < n_tensors; i++) {
      if (tensors[i].name == nullptr)
        invalid("tensor " + std::to_string(i) + " has no name");
      if (!given.emplace(tensors[i].name, i).second)
        fail(CT_TORCH_ERROR_MISMATCH, std::string("tensor ") + tensors[i].name +
                                          " appears twice in the checkpoint");
    }

    // Check everything first, so a mismatch leaves the model untouched.
    std::vector<torch::Tensor> sources(model->tensors.size());
    for (size_t i = 0; i < model->tensors.size(); i++) {
      const std::string &name = model->tensor_names[i];
      const torch::Tensor &dst = model->tensors[i];
      auto it = given.find(name);
      if (it == given.end())
        fail(CT_TORCH_ERROR_MISMATCH, "tensor " + name + " missing: the checkpoint is for another "
                                      "architecture than " + model->spec.arch);
      const CtTorchTensor &src = tensors[it->second];
      CtTorchDtype expected = to_ct_dtype(dst, name);
      if (src.dtype != expected)
        fail(CT_TORCH_ERROR_MISMATCH, "checkpoint has " + name + " as " + dtype_name(src.dtype) +
                                          ", the model expects " + dtype_name(expected));
      sources[i] = wrap(src);
      if (sources[i].sizes() != dst.sizes()) {
        std::string message = "checkpoint has " + name + " of shape " +
                              shape_string(sources[i].sizes()) + ", the model expects " +
                              shape_string(dst.sizes());
        bool differs_in_classes = dst.dim() >= 1 && sources[i].dim() == dst.dim() &&
                                  dst.size(0) == model->spec.n_classes &&
                                  sources[i].sizes().slice(1) == dst.sizes().slice(1);
        message += differs_in_classes ? ": was it trained with another class count?"
                                      : ": the checkpoint is for another architecture or size";
        fail(CT_TORCH_ERROR_MISMATCH, message);
      }
    }
    if (n_tensors != model->tensors.size()) {
      std::unordered_set<std::string> known(model->tensor_names.begin(), model->tensor_names.end());
      for (size_t i = 0; i < n_tensors; i++)
        if (known.count(tensors[i].name) == 0)
          fail(CT_TORCH_ERROR_MISMATCH, std::string("unexpected tensor ") + tensors[i].name +
                                            ": the checkpoint is for another architecture than " +
                                            model->spec.arch);
    }

    torch::NoGradGuard no_grad;
    for (size_t i = 0; i < model->tensors.size(); i++)
      model->tensors[i].copy_(sources[i]);
    model->scratch = torch::Tensor();
  });
}

size_t ct_model_get_n_layers(const CtModel *model) {
  return model != nullptr ? model->layers.size() : 0;
}

CtTorchStatus ct_model_get_layer(const CtModel *model, size_t index, CtTorchLayer *out,
                                 char **error) {
  return guarded(error, [&] {
    if (model == nullptr || out == nullptr)
      invalid("ct_model_get_layer needs a model and an out layer");
    if (index >= model->layers.size())
      invalid("layer index " + std::to_string(index) + " out of range (the model has " +
              std::to_string(model->layers.size()) + ")");
    *out = model->layers[index];
  });
}

const char *ct_model_get_default_layer(const CtModel *model) {
  if (model == nullptr || model->default_layer.empty())
    return nullptr;
  return model->default_layer.c_str();
}

CtTorchStatus ct_model_forward(CtModel *model, const float *input, size_t n, float *out_logits,
                               char **error) {
  return guarded(error, [&] {
    if (model == nullptr || (n > 0 && (input == nullptr || out_logits == nullptr)))
      invalid("ct_model_forward needs a model, input and out_logits");
    ModeGuard eval(*model->net, false);
    torch::NoGradGuard no_grad;
    const int64_t k = model->spec.n_classes;
    for (size_t start = 0; start < n; start += kInferenceChunk) {
      size_t count = std::min(kInferenceChunk, n - start);
      auto logits = model->net->forward(model->input(input + start * model->pixels(), count));
      logits = logits.to(torch::kCPU, torch::kFloat32).contiguous();
      std::memcpy(out_logits + start * k, logits.data_ptr<float>(), count * k * sizeof(float));
    }
  });
}

CtTorchStatus ct_model_layer_maps(CtModel *model, const char *layer, const float *input, size_t n,
                                  const int *targets, float *out_activations, float *out_gradients,
                                  float *out_logits, int *out_targets, char **error) {
  return guarded(error, [&] {
    if (model == nullptr || layer == nullptr ||
        (n > 0 && (input == nullptr || out_activations == nullptr)))
      invalid("ct_model_layer_maps needs a model, a layer, input and out_activations");
    const CtTorchLayer *info = model->find_layer(layer);
    if (info == nullptr)
      invalid(std::string("unknown layer \"") + layer + "\" for " + model->spec.arch +
              ": expected one of " + model->layer_list());
    const int64_t k = model->spec.n_classes;
    if (targets != nullptr)
      for (size_t i = 0; i < n; i++)
        if (targets[i] < -1 || targets[i] >= k)
          invalid("target class " + std::to_string(targets[i]) + " of image " + std::to_string(i) +
                  " is outside 0.." + std::to_string(k - 1) + " (or -1 for the predicted class)");

    ModeGuard eval(*model->net, false);
    FrozenParameters frozen(*model->net);
    const bool with_gradients = out_gradients != nullptr;
    torch::AutoGradMode grad_mode(with_gradients);
    const size_t values = static_cast<size_t>(info->channels) * info->height * info->width;

    for (size_t start = 0; start < n; start += kInferenceChunk) {
      size_t count = std::min(kInferenceChunk, n - start);
      torch::Tensor a;
      auto logits = model->net->forward(model->input(input + start * model->pixels(), count),
                                        layer, &a);
      if (!a.defined() || a.dim() != 4 || a.size(1) != info->channels ||
          a.size(2) != info->height || a.size(3) != info->width)
        fail(CT_TORCH_ERROR_RUNTIME, std::string("layer ") + layer +
                                         " did not give the activation its size promised");

      auto chosen = logits.detach().argmax(1);
      if (targets != nullptr) {
        auto given = torch::from_blob(const_cast<int *>(targets + start),
                                      {static_cast<int64_t>(count)}, torch::kInt32)
                         .to(torch::kInt64)
                         .to(chosen.device());
        chosen = torch::where(given >= 0, given, chosen);
      }
      if (with_gradients) {
        auto y = logits.gather(1, chosen.unsqueeze(1)).sum();
        auto g = torch::autograd::grad({y}, {a})[0];
        g = g.to(torch::kCPU, torch::kFloat32).contiguous();
        std::memcpy(out_gradients + start * values, g.data_ptr<float>(),
                    count * values * sizeof(float));
      }

      torch::NoGradGuard no_grad;
      auto activations = a.detach().to(torch::kCPU, torch::kFloat32).contiguous();
      std::memcpy(out_activations + start * values, activations.data_ptr<float>(),
                  count * values * sizeof(float));
      if (out_logits != nullptr) {
        auto l = logits.detach().to(torch::kCPU, torch::kFloat32).contiguous();
        std::memcpy(out_logits + start * k, l.data_ptr<float>(), count * k * sizeof(float));
      }
      if (out_targets != nullptr) {
        auto t = chosen.to(torch::kCPU);
        auto acc = t.accessor<int64_t, 1>();
        for (size_t i = 0; i < count; i++)
          out_targets[start + i] = static_cast<int>(acc[i]);
      }
    }
  });
}

CtTorchStatus ct_model_score_cam(CtModel *model, const float *input, size_t n,
                                 const float *activations, int channels, int height, int width,
                                 const int *targets, size_t batch_size,
                                 CtTorchProgressFunc progress, void *user_data,
                                 const volatile int *cancel, float *out_scores, char **error) {
  return guarded(error, [&] {
    if (model == nullptr ||
        (n > 0 && (input == nullptr || activations == nullptr || targets == nullptr ||
                   out_scores == nullptr)))
      invalid("ct_model_score_cam needs a model, input, activations, targets and out_scores");
    if (channels < 1 || height < 1 || width < 1)
      invalid("ct_model_score_cam needs at least one channel and position");
    const int64_t k = model->spec.n_classes;
    for (size_t i = 0; i < n; i++)
      if (targets[i] < 0 || targets[i] >= k)
        invalid("target class " + std::to_string(targets[i]) + " of image " + std::to_string(i) +
                " is outside 0.." + std::to_string(k - 1));
    if (batch_size == 0)
      batch_size = kInferenceChunk;
    if (n == 0)
      return;

    ModeGuard eval(*model->net, false);
    torch::NoGradGuard no_grad;
    const int64_t side = model->spec.image_size, c = channels;
    const int64_t total = static_cast<int64_t>(n) * c;
    auto x = model->input(input, n);
    auto a = torch::from_blob(const_cast<float *>(activations),
                              {static_cast<int64_t>(n), c, height, width}, torch::kFloat32)
                 .to(x.device());
    namespace F = torch::nn::functional;
    auto masks = F::interpolate(a, F::InterpolateFuncOptions()
                                       .size(std::vector<int64_t>{side, side})
                                       .mode(torch::kBilinear)
                                       .align_corners(true));
    auto flat = masks.reshape({static_cast<int64_t>(n), c, -1});
    auto highest = std::get<0>(flat.max(-1)).unsqueeze(-1).unsqueeze(-1);
    auto lowest = std::get<0>(flat.min(-1)).unsqueeze(-1).unsqueeze(-1);
    masks = ((masks - lowest) / (highest - lowest + 1e-8)).reshape({total, 1, side, side});
    auto classes = torch::from_blob(const_cast<int *>(targets), {static_cast<int64_t>(n)},
                                    torch::kInt32)
                       .to(torch::kInt64)
                       .to(x.device());

    for (int64_t start = 0; start < total; start += static_cast<int64_t>(batch_size)) {
      if (cancel != nullptr && *cancel)
        fail(CT_TORCH_ERROR_CANCELLED, "Score-CAM cancelled");
      int64_t count = std::min(static_cast<int64_t>(batch_size), total - start);
      // Pass j masks image j / c with its channel j % c.
      auto image = torch::arange(start, start + count, torch::TensorOptions(torch::kInt64)
                                                           .device(x.device()))
                       .div(c, "floor");
      auto batch = model->to_model(x.index_select(0, image) * masks.slice(0, start, start + count));
      auto logits = model->net->forward(batch);
      auto scores = logits.gather(1, classes.index_select(0, image).unsqueeze(1))
                        .to(torch::kCPU, torch::kFloat32)
                        .contiguous();
      std::memcpy(out_scores + start, scores.data_ptr<float>(), count * sizeof(float));
      if (progress != nullptr)
        progress(static_cast<size_t>(start + count), static_cast<size_t>(total), user_data);
    }
  });
}

// pytorch-grad-cam's AblationCAM runs its passes in batches of this many.
constexpr size_t kAblationGroup = 32;
constexpr float kAblationStep = 1e7f;

CtTorchStatus ct_model_ablation_cam(CtModel *model, const char *layer, const float *input,
                                    size_t n, const float *activations, const int *targets,
                                    size_t batch_size, CtTorchProgressFunc progress,
                                    void *user_data, const volatile int *cancel,
                                    float *out_scores, char **error) {
  return guarded(error, [&] {
    if (model == nullptr || layer == nullptr ||
        (n > 0 && (input == nullptr || activations == nullptr || targets == nullptr ||
                   out_scores == nullptr)))
      invalid("ct_model_ablation_cam needs a model, a layer, input, activations, targets and "
              "out_scores");
    const CtTorchLayer *info = model->find_layer(layer);
    if (info == nullptr)
      invalid(std::string("unknown layer \"") + layer + "\" for " + model->spec.arch +
              ": expected one of " + model->layer_list());
    const int64_t k = model->spec.n_classes;
    for (size_t i = 0; i < n; i++)
      if (targets[i] < 0 || targets[i] >= k)
        invalid("target class " + std::to_string(targets[i]) + " of image " + std::to_string(i) +
                " is outside 0.." + std::to_string(k - 1));
    if (batch_size == 0)
      batch_size = kInferenceChunk;
    if (n == 0)
      return;

    ModeGuard eval(*model->net, false);
    torch::NoGradGuard no_grad;
    const int64_t c = info->channels;
    const size_t values = static_cast<size_t>(c) * info->height * info->width;
    const int64_t total = static_cast<int64_t>(n) * c;

    // The value each pass writes into its channel, as AblationLayer's loop
    // over the rows of a batch of 32 leaves it.
    std::vector<float> ablated(static_cast<size_t>(total));
    for (size_t i = 0; i < n; i++) {
      const float *a = activations + i * values;
      float lowest = *std::min_element(a, a + values);
      for (int64_t channel = 0; channel < c; channel++) {
        float value = 0;
        if (lowest != 0) {
          value = lowest;
          for (size_t row = 0; row <= static_cast<size_t>(channel) % kAblationGroup; row++)
            value = value - kAblationStep;
        }
        ablated[i * c + channel] = value;
      }
    }

    auto x = model->input(input, n);
    auto a = torch::from_blob(const_cast<float *>(activations),
                              {static_cast<int64_t>(n), c, info->height, info->width},
                              torch::kFloat32)
                 .to(x.device());
    auto classes = torch::from_blob(const_cast<int *>(targets), {static_cast<int64_t>(n)},
                                    torch::kInt32)
                       .to(torch::kInt64)
                       .to(x.device());

    for (int64_t start = 0; start < total; start += static_cast<int64_t>(batch_size)) {
      if (cancel != nullptr && *cancel)
        fail(CT_TORCH_ERROR_CANCELLED, "Ablation-CAM cancelled");
      int64_t count = std::min(static_cast<int64_t>(batch_size), total - start);
      // Pass j ablates channel j % c of image j / c.
      auto image = torch::arange(start, start + count, torch::TensorOptions(torch::kInt64)
                                                           .device(x.device()))
                       .div(c, "floor");
      auto replacement = a.index_select(0, image);
      for (int64_t j = 0; j < count; j++)
        replacement[j][(start + j) % c].fill_(ablated[static_cast<size_t>(start + j)]);
      replacement = model->to_model(replacement);
      auto logits = model->net->forward(x.index_select(0, image), layer, nullptr, &replacement);
      auto scores = logits.gather(1, classes.index_select(0, image).unsqueeze(1))
                        .to(torch::kCPU, torch::kFloat32)
                        .contiguous();
      std::memcpy(out_scores + start, scores.data_ptr<float>(), count * sizeof(float));
      if (progress != nullptr)
        progress(static_cast<size_t>(start + count), static_cast<size_t>(total), user_data);
    }
  });
}

CtTorchStatus ct_torch_project_first_component(const float *values, size_t n, int channels,
                                               int height, int width, float *out, char **error) {
  return guarded(error, [&] {
    if (n > 0 && (values == nullptr || out == nullptr))
      invalid("ct_torch_project_first_component needs values and out");
    if (channels < 1 || height < 1 || width < 1)
      invalid("ct_torch_project_first_component needs at least one channel and position");
    torch::NoGradGuard no_grad;
    const int64_t positions = static_cast<int64_t>(height) * width;
    auto all = torch::from_blob(const_cast<float *>(values),
                                {static_cast<int64_t>(n), channels, positions}, torch::kFloat32);
    if (n == 0)
      return;
    // As get_2d_projection: per image positions × channels, centred per
    // channel, projected on the first right singular vector.  One batched
    // reduced SVD: LAPACK's gesdd per image as numpy's full one, so the same
    // vector with the same sign, without the positions × positions U.
    auto x = all.transpose(1, 2);
    x = x - x.mean(1, /*keepdim=*/true);
    auto vh = std::get<2>(torch::linalg_svd(x, /*full_matrices=*/false));
    auto first = vh.select(1, 0).unsqueeze(2);  // n × channels × 1
    auto projection = x.bmm(first).contiguous();
    std::memcpy(out, projection.data_ptr<float>(), n * positions * sizeof(float));
  });
}

// Normalises @count images (indices @order[0..count), or the first @count
// images when @order is NULL) into a new float batch, through the lookup table.
static torch::Tensor normalised_batch(const CtModel &m, const Normaliser &norm, const uint8_t *images,
                                      const size_t *order, size_t first, size_t count) {
  const int64_t c_n = m.spec.in_channels, side = m.spec.image_size, hw = side * side;
  auto batch = torch::empty({static_cast<int64_t>(count), c_n, side, side}, torch::kFloat32);
  float *dst = batch.data_ptr<float>();
  for (size_t i = 0; i < count; i++) {
    size_t index = order != nullptr ? order[first + i] : first + i;
    const uint8_t *src = images + index * c_n * hw;
    for (int64_t c = 0; c < c_n; c++) {
      const float *lut = norm.channel(c);
      const uint8_t *s = src + c * hw;
      float *d = dst + (i * c_n + c) * hw;
      for (int64_t p = 0; p < hw; p++)
        d[p] = lut[s[p]];
    }
  }
  return batch;
}

static void check_labels(const uint16_t *labels, size_t n, int64_t n_classes) {
  for (size_t i = 0; i < n; i++)
    if (labels[i] >= n_classes)
      invalid("label " + std::to_string(labels[i]) + " of image " + std::to_string(i) +
              " is outside 0.." + std::to_string(n_classes - 1));
}

static torch::Tensor label_batch(const uint16_t *labels, const size_t *order, size_t first,
                                 size_t count) {
  auto y = torch::empty({static_cast<int64_t>(count)}, torch::kInt64);
  int64_t *d = y.data_ptr<int64_t>();
  for (size_t i = 0; i < count; i++)
    d[i] = labels[order != nullptr ? order[first + i] : first + i];
  return y;
}

// The logits of a batch under test-time augmentation @tta (see
// ct_model_evaluate), in float32.
static torch::Tensor tta_logits(CtModel &model, const torch::Tensor &x, int tta) {
  auto logits = [&](const torch::Tensor &input) {
    return model.net->forward(model.to_model(input)).to(torch::kFloat32);
  };
  auto mirrored = [&](const torch::Tensor &input) {
    if (tta < 1)
      return logits(input);
    return 0.5 * (logits(input) + logits(input.flip({3})));
  };
  auto plain = mirrored(x);
  if (tta < 2)
    return plain;
  const int64_t side = x.size(2);
  auto padded = torch::nn::functional::pad(
      x.contiguous(), torch::nn::functional::PadFuncOptions({1, 1, 1, 1}).mode(torch::kReflect));
  // Crops at (0, 0) and (2, 2) of the padded image: the image moved by
  // (+1, +1) and by (−1, −1).
  auto down = padded.narrow(2, 0, side).narrow(3, 0, side);
  auto up = padded.narrow(2, 2, side).narrow(3, 2, side);
  return 0.5 * plain + 0.25 * (mirrored(down) + mirrored(up));
}

CtTorchStatus ct_model_evaluate(CtModel *model, const uint8_t *images, const uint16_t *labels,
                                size_t n, const float *mean, const float *std, size_t batch_size,
                                int tta, const volatile int *cancel, double *out_loss,
                                double *out_accuracy, char **error) {
  return guarded(error, [&] {
    if (model == nullptr || images == nullptr || labels == nullptr)
      invalid("ct_model_evaluate needs a model, images and labels");
    if (tta < 0 || tta > 2)
      invalid("test-time augmentation level " + std::to_string(tta) + ", expected 0, 1 or 2");
    if (n == 0)
      invalid("ct_model_evaluate got no images");
    if (batch_size == 0)
      batch_size = kInferenceChunk;
    check_labels(labels, n, model->spec.n_classes);
    Normaliser norm(model->spec.in_channels, mean, std);

    ModeGuard eval(*model->net, false);
    torch::NoGradGuard no_grad;
    LargeBatchAllocator allocator;
    double loss_sum = 0.0;
    int64_t correct = 0;
    for (size_t start = 0; start < n; start += batch_size) {
      if (cancel != nullptr && *cancel)
        fail(CT_TORCH_ERROR_CANCELLED, "evaluation cancelled");
      size_t count = std::min(batch_size, n - start);
      auto x = normalised_batch(*model, norm, images, nullptr, start, count);
      auto y = model->to_model(label_batch(labels, nullptr, start, count));
      auto logits = tta_logits(*model, x, tta);
      auto loss = torch::nn::functional::cross_entropy(
          logits, y,
          torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum));
      loss_sum += loss.item<double>();
      correct += logits.argmax(1).eq(y).sum().item<int64_t>();
    }
    if (out_loss != nullptr)
      *out_loss = loss_sum / n;
    if (out_accuracy != nullptr)
      *out_accuracy = static_cast<double>(correct) / n;
  });
}

CtTorchStatus ct_model_whiten_stem(CtModel *model, const uint8_t *images, size_t n,
                                   const float *mean, const float *std, double eps,
                                   char **error) {
  return guarded(error, [&] {
    if (model == nullptr || images == nullptr || n == 0)
      invalid("ct_model_whiten_stem needs a model and images");
    if (!(eps > 0.0) || !std::isfinite(eps))
      invalid("the whitening's eps must be finite and above 0");
    const int64_t c_n = model->spec.in_channels;
    torch::Tensor weight;
    for (size_t i = 0; i < model->tensors.size(); i++)
      if (model->tensor_names[i] == "stem.conv.weight")
        weight = model->tensors[i];
    if (!weight.defined() || weight.dim() != 4 || weight.size(1) != c_n || weight.size(2) != 2 ||
        weight.size(3) != 2)
      invalid("whitening needs a 2×2 stem convolution \"stem.conv.weight\" (camtrail_net)");

    torch::NoGradGuard no_grad;
    Normaliser norm(c_n, mean, std);
    auto moment = torch::zeros({c_n * 4, c_n * 4}, torch::kFloat64);
    int64_t n_patches = 0;
    for (size_t start = 0; start < n; start += kInferenceChunk) {
      auto x = normalised_batch(*model, norm, images, nullptr, start,
                                std::min<size_t>(kInferenceChunk, n - start));
      // Every 2×2 patch as a row of C·4 values in (channel, row, column)
      // order, the convolution weight's.
      auto patches = x.unfold(2, 2, 1).unfold(3, 2, 1).permute({0, 2, 3, 1, 4, 5}).reshape({-1, c_n * 4});
      auto p64 = patches.to(torch::kFloat64);
      moment += p64.t().mm(p64);
      n_patches += p64.size(0);
    }
    moment /= static_cast<double>(n_patches);
    auto [values, vectors] = torch::linalg_eigh(moment);  // ascending
    const int64_t k = std::min<int64_t>(weight.size(0) / 2, c_n * 4);
    auto order = torch::arange(c_n * 4 - 1, c_n * 4 - 1 - k, -1, torch::kLong);
    auto top = vectors.index_select(1, order).t();  // k × C·4, largest first
    auto scale = (values.index_select(0, order) + eps).rsqrt().unsqueeze(1);
    auto filters = (top * scale).to(torch::kFloat32).reshape({k, c_n, 2, 2});
    weight.narrow(0, 0, k).copy_(filters);
    weight.narrow(0, k, k).copy_(-filters);
  });
}

/* ---- Training ----------------------------------------------------------- */

static void check_train_config(const CtTrainConfig &c, const ct::ModelSpec &spec) {
  if (c.epochs < 1)
    invalid("epochs is " + std::to_string(c.epochs) + ", expected at least 1");
  if (c.batch_size < 2)
    invalid("batch_size is " + std::to_string(c.batch_size) +
            ", expected at least 2 (BatchNorm needs two images)");
  if (!std::isfinite(c.lr) || c.lr < 0.0)
    invalid("the learning rate must be finite and not negative");
  if (!std::isfinite(c.warmup_epochs) || c.warmup_epochs < 0.0)
    invalid("warmup_epochs must be finite and not negative");
  if (!(c.lr_start >= 0.0 && c.lr_start <= 1.0) || !(c.lr_end >= 0.0 && c.lr_end <= 1.0))
    invalid("lr_start and lr_end must be in [0, 1]");
  if (!(c.bias_lr_scale >= 0.0) || !std::isfinite(c.bias_lr_scale))
    invalid("bias_lr_scale must be finite and not negative");
  if (c.stem_bias_epochs < 0)
    invalid("stem_bias_epochs must not be negative");
  if (c.stem_plain_bias && !c.whitened_stem)
    invalid("stem_plain_bias needs a whitened stem");
  if (!std::isfinite(c.momentum) || c.momentum < 0.0)
    invalid("momentum must be finite and not negative");
  if (c.nesterov && c.momentum <= 0.0)
    invalid("Nesterov momentum needs a momentum above 0");
  if (!std::isfinite(c.weight_decay) || c.weight_decay < 0.0)
    invalid("weight_decay must be finite and not negative");
  if (!(c.label_smoothing >= 0.0 && c.label_smoothing < 1.0))
    invalid("label_smoothing must be in [0, 1)");
  if (c.translate < 0 || c.translate >= spec.image_size)
    invalid("translate is " + std::to_string(c.translate) + ", expected 0.." +
            std::to_string(spec.image_size - 1));
}

CtTorchStatus ct_trainer_new(CtModel *model, const CtTrainConfig *config, size_t n_train_images,
                             CtTrainer **out_trainer, char **error) {
  if (out_trainer != nullptr)
    *out_trainer = nullptr;
  return guarded(error, [&] {
    if (model == nullptr || config == nullptr || out_trainer == nullptr)
      invalid("ct_trainer_new needs a model, a config and an out_trainer");
    check_train_config(*config, model->spec);
    if (n_train_images < 2)
      invalid("training needs at least 2 images");

    auto t = std::make_unique<CtTrainer>();
    t->model = model;
    t->config = *config;
    t->n_train = n_train_images;
    size_t b = static_cast<size_t>(config->batch_size);
    // A last batch of one image is dropped: BatchNorm cannot train on it.
    t->n_batches = n_train_images / b + (n_train_images % b >= 2 ? 1 : 0);

    std::unordered_set<c10::TensorImpl *> is_param;
    for (auto &p : model->net->parameters())
      if (p.defined())
        is_param.insert(p.unsafeGetTensorImpl());
    for (size_t i = 0; i < model->tensors.size(); i++)
      if (is_param.count(model->tensors[i].unsafeGetTensorImpl()) > 0) {
        t->param_names.push_back(model->tensor_names[i]);
        t->params.push_back(model->tensors[i]);
      }
    if (t->params.size() != is_param.size())
      fail(CT_TORCH_ERROR_RUNTIME, "the state dict does not list every parameter");

    if (config->whitened_stem) {
      for (size_t i = 0; i < t->params.size(); i++) {
        if (t->param_names[i] == "stem.conv.weight")
          t->params[i].set_requires_grad(false);
        else if (t->param_names[i] == "stem.bn.bias")
          t->stem_bias = t->params[i];
      }
      if (!t->stem_bias.defined())
        invalid("a whitened stem needs camtrail_net's \"stem.bn.bias\"");
      // airbench's stem is the conv plus a bias: the stem's BatchNorm keeps
      // its statistics 0 and 1 in training too, and its shift, the bias,
      // learns at the plain rate.
      if (config->stem_plain_bias)
        for (auto &module : model->net->modules(/*include_self=*/false))
          if (auto *bn = module->as<ct::BatchNorm2dImpl>())
            if (bn->bias.unsafeGetTensorImpl() == t->stem_bias.unsafeGetTensorImpl())
              t->plain_stem = bn;
      if (t->plain_stem != nullptr)
        t->plain_stem->fixed_stats = true;
    }

    // Weight decay applies to every parameter, BatchNorm and biases included,
    // as plain torch.optim.SGD(model.parameters(), ...) does; BatchNorm's
    // shifts form a group of their own when bias_lr_scale ≠ 1 (airbench).
    std::unordered_set<c10::TensorImpl *> is_shift;
    const double bias_lr_scale = config->bias_lr_scale > 0.0 ? config->bias_lr_scale : 1.0;
    if (bias_lr_scale != 1.0)
      for (auto &module : model->net->modules(/*include_self=*/false))
        if (auto *bn = module->as<ct::BatchNorm2dImpl>())
          if (bn->bias.defined() && bn != t->plain_stem)
            is_shift.insert(bn->bias.unsafeGetTensorImpl());
    std::vector<torch::Tensor> others, shifts;
    for (auto &p : t->params)
      (is_shift.count(p.unsafeGetTensorImpl()) > 0 ? shifts : others).push_back(p);
    auto options = torch::optim::SGDOptions(config->lr)
                       .momentum(config->momentum)
                       .nesterov(config->nesterov)
                       .weight_decay(config->weight_decay);
    std::vector<torch::optim::OptimizerParamGroup> groups;
    groups.emplace_back(others, std::make_unique<torch::optim::SGDOptions>(options));
    t->group_lr.push_back(config->lr);
    if (!shifts.empty()) {
      auto scaled = options;
      scaled.lr(config->lr * bias_lr_scale).weight_decay(config->weight_decay / bias_lr_scale);
      groups.emplace_back(shifts, std::make_unique<torch::optim::SGDOptions>(scaled));
      t->group_lr.push_back(config->lr * bias_lr_scale);
    }
    t->optimizer = std::make_unique<torch::optim::SGD>(std::move(groups), options);

    if (config->lookahead)
      for (size_t i = 0; i < model->tensors.size(); i++)
        if (model->tensors[i].is_floating_point()) {
          t->ema_names.push_back(model->tensor_names[i]);
          t->ema_targets.push_back(model->tensors[i]);
          t->ema.push_back(model->tensors[i].detach().clone());
        }
    *out_trainer = t.release();
  });
}

void ct_trainer_free(CtTrainer *trainer) {
  try {
    delete trainer;
  } catch (...) {
  }
}

size_t ct_trainer_get_n_state_tensors(const CtTrainer *trainer) {
  return guarded_value<size_t>(0, [&] {
    if (trainer == nullptr)
      return size_t(0);
    size_t count = trainer->ema.size();
    for (size_t i = 0; i < trainer->params.size(); i++)
      count += trainer->momentum_buffer(i).defined() ? 1 : 0;
    return count;
  });
}

CtTorchStatus ct_trainer_get_state_tensor(CtTrainer *trainer, size_t index, CtTorchTensor *out,
                                          char **error) {
  return guarded(error, [&] {
    if (trainer == nullptr || out == nullptr)
      invalid("ct_trainer_get_state_tensor needs a trainer and an out tensor");
    size_t seen = 0;
    for (size_t i = 0; i < trainer->params.size(); i++) {
      auto buffer = trainer->momentum_buffer(i);
      if (!buffer.defined())
        continue;
      if (seen++ == index) {
        trainer->scratch_name = "momentum_buffer." + trainer->param_names[i];
        describe(trainer->scratch_name, buffer, trainer->scratch, out);
        return;
      }
    }
    if (index - seen < trainer->ema.size()) {
      size_t i = index - seen;
      trainer->scratch_name = "lookahead." + trainer->ema_names[i];
      describe(trainer->scratch_name, trainer->ema[i], trainer->scratch, out);
      return;
    }
    invalid("state tensor index " + std::to_string(index) + " out of range (the optimizer has " +
            std::to_string(seen + trainer->ema.size()) + ")");
  });
}

CtTorchStatus ct_trainer_load_state(CtTrainer *trainer, const CtTorchTensor *tensors,
                                    size_t n_tensors, char **error) {
  return guarded(error, [&] {
    if (trainer == nullptr || (tensors == nullptr && n_tensors > 0))
      invalid("ct_trainer_load_state needs a trainer and tensors");
    static const std::string prefix = "momentum_buffer.";
    std::unordered_map<std::string, size_t> param_index;
    for (size_t i = 0; i < trainer->param_names.size(); i++)
      param_index.emplace(trainer->param_names[i], i);

    static const std::string ema_prefix = "lookahead.";
    std::unordered_map<std::string, size_t> ema_index;
    for (size_t i = 0; i < trainer->ema_names.size(); i++)
      ema_index.emplace(trainer->ema_names[i], i);
    std::vector<torch::Tensor> ema_sources(trainer->ema.size());

    std::vector<torch::Tensor> sources(trainer->params.size());
    for (size_t i = 0; i < n_tensors; i++) {
      std::string name = tensors[i].name != nullptr ? tensors[i].name : "";
      if (name.compare(0, ema_prefix.size(), ema_prefix) == 0) {
        auto found = ema_index.find(name.substr(ema_prefix.size()));
        if (found == ema_index.end())
          fail(CT_TORCH_ERROR_MISMATCH,
               "unexpected optimizer tensor \"" + name + "\": " +
                   (trainer->ema.empty() ? "this training has no lookahead"
                                         : "expected lookahead.<state tensor name>"));
        if (ema_sources[found->second].defined())
          fail(CT_TORCH_ERROR_MISMATCH, "optimizer tensor " + name + " appears twice");
        if (tensors[i].dtype != CT_TORCH_DTYPE_FLOAT32)
          fail(CT_TORCH_ERROR_MISMATCH, "optimizer tensor " + name + " is " +
                                            dtype_name(tensors[i].dtype) + ", expected float32");
        auto src = wrap(tensors[i]);
        if (src.sizes() != trainer->ema[found->second].sizes())
          fail(CT_TORCH_ERROR_MISMATCH, "optimizer tensor " + name + " has shape " +
                                            shape_string(src.sizes()) + ", the tensor has " +
                                            shape_string(trainer->ema[found->second].sizes()));
        ema_sources[found->second] = src;
        continue;
      }
      auto it = name.compare(0, prefix.size(), prefix) == 0
                    ? param_index.find(name.substr(prefix.size()))
                    : param_index.end();
      if (it == param_index.end())
        fail(CT_TORCH_ERROR_MISMATCH, "unexpected optimizer tensor \"" + name +
                                          "\": expected momentum_buffer.<parameter name>");
      if (sources[it->second].defined())
        fail(CT_TORCH_ERROR_MISMATCH, "optimizer tensor " + name + " appears twice");
      if (tensors[i].dtype != CT_TORCH_DTYPE_FLOAT32)
        fail(CT_TORCH_ERROR_MISMATCH, "optimizer tensor " + name + " is " +
                                          dtype_name(tensors[i].dtype) + ", expected float32");
      auto src = wrap(tensors[i]);
      const auto &p = trainer->params[it->second];
      if (src.sizes() != p.sizes())
        fail(CT_TORCH_ERROR_MISMATCH, "optimizer tensor " + name + " has shape " +
                                          shape_string(src.sizes()) + ", the parameter has " +
                                          shape_string(p.sizes()));
      sources[it->second] = src;
    }

    // Replace the whole state: a parameter without a buffer in @tensors
    // starts its momentum afresh, as it did in the run that saved them.
    torch::NoGradGuard no_grad;
    auto &state = trainer->optimizer->state();
    for (size_t i = 0; i < trainer->params.size(); i++) {
      const auto &p = trainer->params[i];
      auto key = CtTrainer::state_key(p);
      if (!sources[i].defined()) {
        state.erase(key);
        continue;
      }
      auto buffer = torch::empty_like(p, torch::MemoryFormat::Preserve);
      buffer.copy_(sources[i]);
      auto param_state = std::make_unique<torch::optim::SGDParamState>();
      param_state->momentum_buffer(buffer);
      state[key] = std::move(param_state);
    }
    // Lookahead's averages: a state without them starts them from the weights.
    for (size_t i = 0; i < trainer->ema.size(); i++)
      trainer->ema[i].copy_(ema_sources[i].defined() ? ema_sources[i] : trainer->ema_targets[i]);
    trainer->scratch = torch::Tensor();
  });
}

// Source index of output index @i of a side-@side line moved by @d: PyTorch's
// "reflect" padding past either end (−1 reads 1), or −1 (zero) without it.
static int64_t moved_index(int64_t i, int64_t d, int64_t side, bool reflect) {
  int64_t s = i - d;
  if (s >= 0 && s < side)
    return s;
  if (!reflect)
    return -1;
  return s < 0 ? -s : 2 * (side - 1) - s;
}

// Whether image @index is flipped in @epoch under alternate_flip: a coin
// from (seed, index) for odd epochs, the other side for even ones.
static bool alternate_flip(const CtTrainConfig &config, size_t index, int epoch) {
  bool odd = (splitmix64(config.seed ^ splitmix64(0x200000000ULL + index)) >> 63) != 0;
  return odd != (epoch % 2 == 0);
}

// One batch of augmented, normalised images: for each image, in the order of
// the epoch's permutation, a flip (with p ½, or alternate_flip's) then a
// shift by (dx, dy) in [−t, t]², pixels shifted in from outside being 0
// (black) before normalisation, as a random crop of the zero-padded image,
// or with translate_reflect the reflected border, as a crop of the
// reflect-padded image.
static torch::Tensor augmented_batch(const CtModel &m, const CtTrainConfig &config, int epoch,
                                     const Normaliser &norm, const uint8_t *images,
                                     const size_t *order, size_t count, std::mt19937_64 &rng) {
  const int64_t c_n = m.spec.in_channels, side = m.spec.image_size, hw = side * side;
  const int64_t t = config.translate;
  auto batch = torch::empty({static_cast<int64_t>(count), c_n, side, side}, torch::kFloat32);
  float *dst = batch.data_ptr<float>();
  std::vector<int64_t> rows(side), cols(side);
  for (size_t i = 0; i < count; i++) {
    const uint8_t *src = images + order[i] * c_n * hw;
    bool flip = config.flip && (rng() >> 63) != 0;
    if (config.flip && config.alternate_flip)
      flip = alternate_flip(config, order[i], epoch);
    int64_t dx = 0, dy = 0;
    if (t > 0) {
      dx = static_cast<int64_t>(uniform_below(rng, 2 * t + 1)) - t;
      dy = static_cast<int64_t>(uniform_below(rng, 2 * t + 1)) - t;
    }
    // Output (x, y) shows the shifted image's column c = x, or side − 1 − x
    // when flipped; that column reads source column c − dx, row y − dy.
    for (int64_t y = 0; y < side; y++)
      rows[y] = moved_index(y, dy, side, config.translate_reflect);
    for (int64_t x = 0; x < side; x++)
      cols[x] = moved_index(flip ? side - 1 - x : x, dx, side, config.translate_reflect);
    for (int64_t c = 0; c < c_n; c++) {
      const float *lut = norm.channel(c);
      const float zero = lut[0];
      const uint8_t *plane = src + c * hw;
      float *d = dst + (i * c_n + c) * hw;
      for (int64_t y = 0; y < side; y++) {
        float *row = d + y * side;
        if (rows[y] < 0) {
          std::fill(row, row + side, zero);
          continue;
        }
        const uint8_t *s = plane + rows[y] * side;
        for (int64_t x = 0; x < side; x++)
          row[x] = cols[x] < 0 ? zero : lut[s[cols[x]]];
      }
    }
  }
  return batch;
}

// DistributedSampler's share of @order for @rank of @world: the order
// padded to a multiple of @world by repeating its start, then every
// @world-th index from @rank on.
static std::vector<size_t> rank_shard(const std::vector<size_t> &order, int rank, int world) {
  size_t w = static_cast<size_t>(world);
  size_t per_rank = (order.size() + w - 1) / w;
  std::vector<size_t> shard;
  shard.reserve(per_rank);
  for (size_t k = 0; k < per_rank; k++)
    shard.push_back(order[(static_cast<size_t>(rank) + k * w) % order.size()]);
  return shard;
}

struct BatchTotals {
  double loss_sum; // Σ loss × images
  int64_t correct;
  size_t count;
};

// The batch's totals as the tensor the reducer sums over the ranks.
static torch::Tensor totals_tensor(const BatchTotals &mine) {
  return torch::tensor({static_cast<float>(mine.loss_sum), static_cast<float>(mine.correct),
                        static_cast<float>(mine.count)});
}

// The group's totals, from the reducer's sum.
static BatchTotals group_totals(const torch::Tensor &summed) {
  auto totals = summed.to(torch::kCPU, torch::kFloat64);
  const double *v = totals.data_ptr<double>();
  return {v[0], static_cast<int64_t>(std::llround(v[1])), static_cast<size_t>(std::llround(v[2]))};
}

// Rank 0's BatchNorm running statistics for every rank, in one broadcast
// (the step counters agree already: every rank takes the same steps).
static void share_rank0_buffers(CtTrainer &t) {
  torch::NoGradGuard no_grad;
  std::unordered_set<c10::TensorImpl *> is_param;
  for (auto &p : t.params)
    is_param.insert(p.unsafeGetTensorImpl());
  std::vector<torch::Tensor> buffers, pieces;
  for (auto &tensor : t.model->tensors)
    if (is_param.count(tensor.unsafeGetTensorImpl()) == 0 && tensor.is_floating_point()) {
      buffers.push_back(tensor);
      pieces.push_back(tensor.reshape({-1}));
    }
  if (buffers.empty())
    return;
  auto flat = torch::cat(pieces);
  ct::dist::broadcast_from_rank0(*t.dist, flat, "sharing BatchNorm statistics");
  int64_t offset = 0;
  for (auto &b : buffers) {
    b.copy_(flat.narrow(0, offset, b.numel()).view(b.sizes()));
    offset += b.numel();
  }
}

CtTorchStatus ct_trainer_run_epoch(CtTrainer *trainer, int epoch, const uint8_t *images,
                                   const uint16_t *labels, size_t n, const float *mean,
                                   const float *std, CtTrainProgressFunc progress,
                                   void *user_data, const volatile int *cancel, double *out_loss,
                                   double *out_accuracy, char **error) {
  return guarded(error, [&] {
    if (trainer == nullptr || images == nullptr || labels == nullptr)
      invalid("ct_trainer_run_epoch needs a trainer, images and labels");
    const CtTrainConfig &config = trainer->config;
    CtModel &m = *trainer->model;
    if (epoch < 1 || epoch > config.epochs)
      invalid("epoch " + std::to_string(epoch) + " is outside the schedule's 1.." +
              std::to_string(config.epochs));
    if (n != trainer->n_train)
      invalid("the epoch got " + std::to_string(n) + " images, the trainer was made for " +
              std::to_string(trainer->n_train));
    check_labels(labels, n, m.spec.n_classes);
    Normaliser norm(m.spec.in_channels, mean, std);

    // Data order and augmentation come from (seed, epoch) alone; torch's own
    // generator (dropout, if any) is reseeded from them too, so a run resumed
    // at any epoch repeats the uninterrupted one exactly.
    uint64_t stream = splitmix64(config.seed ^ splitmix64(static_cast<uint64_t>(epoch)));
    std::mt19937_64 rng(stream);
    torch::manual_seed(splitmix64(stream));
    std::vector<size_t> order(n);
    for (size_t i = 0; i < n; i++)
      order[i] = i;
    for (size_t i = n - 1; i > 0; i--)
      std::swap(order[i], order[uniform_below(rng, i + 1)]);
    const int world = trainer->dist != nullptr ? ct::dist::world_size(*trainer->dist) : 1;
    if (world > 1) {
      int rank = ct::dist::rank(*trainer->dist);
      order = rank_shard(order, rank, world);
      rng.seed(splitmix64(stream ^ splitmix64(0x100000000ULL + static_cast<uint64_t>(rank))));
    }
    const size_t n_local = order.size();

    // The whitened stem's shift learns in the first stem_bias_epochs epochs.
    if (trainer->stem_bias.defined())
      trainer->stem_bias.set_requires_grad(epoch <= config.stem_bias_epochs);

    ModeGuard train(*m.net, true);
    LargeBatchAllocator allocator;
    const size_t batch_size = static_cast<size_t>(config.batch_size / world);
    const size_t first_step = static_cast<size_t>(epoch - 1) * trainer->n_batches;
    auto ce_options = torch::nn::functional::CrossEntropyFuncOptions().label_smoothing(
        config.label_smoothing);
    auto started = std::chrono::steady_clock::now();
    const uint64_t sent_before = trainer->reducer ? trainer->reducer->n_sent() : 0;
    const uint64_t overlapped_before = trainer->reducer ? trainer->reducer->n_sent_in_backward() : 0;
    double loss_sum = 0.0;
    int64_t correct = 0;
    size_t done = 0;

    for (size_t b = 0; b < trainer->n_batches; b++) {
      if (cancel != nullptr && *cancel)
        fail(CT_TORCH_ERROR_CANCELLED,
             "training cancelled in epoch " + std::to_string(epoch) + " before batch " +
                 std::to_string(b + 1) + ": the model is mid-epoch and must not be saved");
      size_t first = b * batch_size;
      size_t count = std::min(batch_size, n_local - first);
      double lr = trainer->lr_at(first_step + b);
      auto &groups = trainer->optimizer->param_groups();
      for (size_t g = 0; g < groups.size(); g++)
        static_cast<torch::optim::SGDOptions &>(groups[g].options())
            .lr(trainer->group_lr[g] * trainer->lr_factor(first_step + b));

      auto x = m.to_model(
          augmented_batch(m, config, epoch, norm, images, order.data() + first, count, rng));
      auto y = m.to_model(label_batch(labels, order.data(), first, count));

      for (auto &p : trainer->params)
        p.mutable_grad() = torch::Tensor();
      torch::Tensor logits, loss;
      {
        MixedPrecision autocast(config.mixed_precision, m.device);
        logits = m.net->forward(x);
        loss = torch::nn::functional::cross_entropy(logits, y, ce_options);
      }
      double loss_value = loss.item<double>();
      auto check_finite = [&] {
        if (std::isfinite(loss_value))
          return;
        std::ostringstream message;
        message << "loss became " << (std::isnan(loss_value) ? "nan" : "infinite") << " at epoch "
                << epoch << " batch " << b + 1 << " (learning rate " << lr
                << "): lower the learning rate";
        fail(CT_TORCH_ERROR_NOT_FINITE, message.str());
      };
      BatchTotals totals = {loss_value * count,
                            logits.detach().argmax(1).eq(y).sum().item<int64_t>(), count};
      if (world == 1) {
        check_finite();
        loss.backward();
      } else {
        // The gradients are averaged over the ranks in buckets sent while
        // the backward pass runs (DDP); the totals go first.  Every rank
        // sees the group's loss, so all of them stop together.
        trainer->reducer->begin(totals_tensor(totals));
        try {
          loss.backward();
        } catch (...) {
          trainer->reducer->abandon();
          throw;
        }
        totals = group_totals(trainer->reducer->finish());
        loss_value = totals.loss_sum / totals.count;
        check_finite();
      }
      trainer->optimizer->step();
      if (world > 1)
        share_rank0_buffers(*trainer);
      trainer->lookahead_step(first_step + b + 1);

      loss_sum += totals.loss_sum;
      correct += totals.correct;
      done += totals.count;
      if (progress != nullptr) {
        double seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        CtTrainProgress p = {};
        p.epoch = epoch;
        p.batch = b + 1;
        p.n_batches = trainer->n_batches;
        p.images_done = done;
        p.loss = loss_sum / done;
        p.accuracy = static_cast<double>(correct) / done;
        p.images_per_second = seconds > 0.0 ? done / seconds : 0.0;
        p.lr = lr;
        if (trainer->reducer) {
          uint64_t sent = trainer->reducer->n_sent() - sent_before;
          p.gradient_buckets = trainer->reducer->n_buckets();
          p.buckets_overlapped =
              sent > 0 ? (trainer->reducer->n_sent_in_backward() - overlapped_before) /
                             static_cast<double>(sent)
                       : 0.0;
        }
        progress(&p, user_data);
      }
    }
    if (out_loss != nullptr)
      *out_loss = done > 0 ? loss_sum / done : 0.0;
    if (out_accuracy != nullptr)
      *out_accuracy = done > 0 ? static_cast<double>(correct) / done : 0.0;
  });
}

/* ---- Several processes (torchrun) --------------------------------------- */

CtTorchStatus ct_dist_new_from_env(double timeout_seconds, CtDist **out_dist, char **error) {
  if (out_dist != nullptr)
    *out_dist = nullptr;
  return guarded(error, [&] {
    if (out_dist == nullptr)
      invalid("ct_dist_new_from_env needs an out_dist");
    *out_dist = ct::dist::from_env(timeout_seconds);
  });
}

void ct_dist_free(CtDist *dist) { ct::dist::destroy(dist); }

int ct_dist_get_rank(const CtDist *dist) { return dist != nullptr ? ct::dist::rank(*dist) : 0; }

int ct_dist_get_world_size(const CtDist *dist) {
  return dist != nullptr ? ct::dist::world_size(*dist) : 1;
}

int ct_dist_get_local_rank(const CtDist *dist) {
  return dist != nullptr ? ct::dist::local_rank(*dist) : 0;
}

const char *ct_dist_get_backend(const CtDist *dist) {
  return dist != nullptr ? ct::dist::backend(*dist) : nullptr;
}

CtTorchStatus ct_dist_allreduce_sum(CtDist *dist, double *values, size_t n, char **error) {
  return guarded(error, [&] {
    if (values == nullptr && n > 0)
      invalid("ct_dist_allreduce_sum needs values");
    if (dist == nullptr || n == 0)
      return;
    auto t = torch::from_blob(values, {static_cast<int64_t>(n)}, torch::kFloat64);
    ct::dist::allreduce_sum(*dist, t, "summing results");
  });
}

CtTorchStatus ct_dist_agree(CtDist *dist, const char *failure, const char *summary,
                            char **error) {
  return guarded(error, [&] {
    if (dist == nullptr)
      return;
    std::string stop = ct::dist::agree(*dist, failure != nullptr ? failure : "",
                                       summary != nullptr ? summary : "");
    if (!stop.empty())
      fail(CT_TORCH_ERROR_RUNTIME, stop);
  });
}

CtTorchStatus ct_dist_tell_failure_from_env(double timeout_seconds, const char *failure,
                                            bool *out_told, char **error) {
  if (out_told != nullptr)
    *out_told = false;
  return guarded(error, [&] {
    if (failure == nullptr || *failure == '\0')
      invalid("ct_dist_tell_failure_from_env needs the failure");
    bool told = ct::dist::tell_failure_from_env(timeout_seconds, failure);
    if (out_told != nullptr)
      *out_told = told;
  });
}

CtTorchStatus ct_dist_all_gather(CtDist *dist, const void *mine, size_t n_bytes, void *out,
                                 char **error) {
  return guarded(error, [&] {
    if ((mine == nullptr || out == nullptr) && n_bytes > 0)
      invalid("ct_dist_all_gather needs its bytes and room for everyone's");
    if (n_bytes == 0)
      return;
    if (dist == nullptr) {
      std::memcpy(out, mine, n_bytes);
      return;
    }
    auto input = torch::from_blob(const_cast<void *>(mine), {static_cast<int64_t>(n_bytes)},
                                  torch::kUInt8);
    auto all = ct::dist::all_gather_bytes(*dist, input, "gathering results");
    std::memcpy(out, all.data_ptr(), all.numel());
  });
}

CtTorchStatus ct_dist_broadcast_model(CtDist *dist, CtModel *model, char **error) {
  return guarded(error, [&] {
    if (model == nullptr)
      invalid("ct_dist_broadcast_model needs a model");
    if (dist == nullptr)
      return;
    torch::NoGradGuard no_grad;
    for (size_t i = 0; i < model->tensors.size(); i++)
      ct::dist::broadcast_from_rank0(*dist, model->tensors[i],
                                     "taking rank 0's " + model->tensor_names[i]);
  });
}

CtTorchStatus ct_trainer_set_dist(CtTrainer *trainer, CtDist *dist, size_t bucket_cap_bytes,
                                  char **error) {
  return guarded(error, [&] {
    if (trainer == nullptr)
      invalid("ct_trainer_set_dist needs a trainer");
    size_t world = dist != nullptr ? static_cast<size_t>(ct::dist::world_size(*dist)) : 1;
    size_t batch = static_cast<size_t>(trainer->config.batch_size);
    if (batch % world != 0 || batch / world < 2)
      invalid("the batch size " + std::to_string(batch) + " does not split into " +
              std::to_string(world) + " ranks of at least 2 images each: pass a multiple of " +
              std::to_string(2 * world));
    size_t per_rank = batch / world;
    size_t shard = (trainer->n_train + world - 1) / world;
    // As for one process: a last batch of one image is dropped.
    size_t n_batches = shard / per_rank + (shard % per_rank >= 2 ? 1 : 0);
    if (n_batches == 0)
      invalid("each of the " + std::to_string(world) + " ranks would get " + std::to_string(shard) +
              " image, too few to train on");
    if (trainer->sync_bn)
      ct::dist::set_sync_batch_norm(*trainer->model->net, dist);
    trainer->sync_bn = trainer->sync_bn && dist != nullptr;
    trainer->reducer.reset();
    if (dist != nullptr)
      trainer->reducer =
          std::make_unique<ct::dist::GradientReducer>(*dist, trainer->params, bucket_cap_bytes);
    trainer->dist = dist;
    trainer->n_batches = n_batches;
  });
}

CtTorchStatus ct_trainer_set_sync_batch_norm(CtTrainer *trainer, bool sync, char **error) {
  return guarded(error, [&] {
    if (trainer == nullptr)
      invalid("ct_trainer_set_sync_batch_norm needs a trainer");
    if (sync && trainer->dist == nullptr)
      invalid("synchronised BatchNorm needs a group of processes (ct_trainer_set_dist first)");
    ct::dist::set_sync_batch_norm(*trainer->model->net, sync ? trainer->dist : nullptr);
    trainer->sync_bn = sync;
  });
}
