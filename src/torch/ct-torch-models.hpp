// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// The architectures behind ct-torch.h, as libtorch modules whose registered
// names reproduce timm's state_dict() keys.  C++ only; nothing here crosses
// into C.

#include <torch/torch.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace ct {

struct ModelSpec {
  std::string arch;        // "camtrail_net", "resnet18", "efficientnet_b0"
  int64_t in_channels = 3; // 1 or 3
  int64_t n_classes = 10;
  int64_t image_size = 32; // the dataset's side
  int64_t input_size = 0;  // side the network sees (0 = image_size); resized bilinearly inside forward
  int64_t width = 0;       // camtrail_net: first stage width (0 = 64)
};

// Every network's BatchNorm: torch's BatchNorm2d (the same tensors,
// registered in the same order, and the same torch::batch_norm call),
// whose training-mode forward can be handed to a synchronised version
// (SyncBatchNorm: statistics over every process's batch) by setting sync.
// Its own module rather than a subclass of torch::nn::BatchNorm2dImpl,
// whose base's pretty_print libtorch 1.13 does not export.  models.cpp
// knows nothing of processes.
class BatchNorm2dImpl : public torch::nn::Cloneable<BatchNorm2dImpl> {
public:
  using Sync = std::function<torch::Tensor(BatchNorm2dImpl &, const torch::Tensor &)>;

  explicit BatchNorm2dImpl(const torch::nn::BatchNormOptions &options);
  void reset() override;
  void pretty_print(std::ostream &stream) const override;
  torch::Tensor forward(const torch::Tensor &input);

  torch::nn::BatchNormOptions options;
  torch::Tensor weight, bias, running_mean, running_var, num_batches_tracked;
  Sync sync; // empty: plain BatchNorm
  bool fixed_stats = false; // in training too: normalise by the running statistics, kept as they are
};
TORCH_MODULE(BatchNorm2d);

class Network : public torch::nn::Module {
public:
  // Logits for a normalised N×C×S×S batch (S = image_size).  When
  // capture_layer names a layer, the network replaces that layer's output A
  // by A.detach().requires_grad_(true), stores it in *captured and continues
  // from it: a gradient with respect to *captured then runs through the
  // layers after A only.  With a replacement, the layer's output is
  // *replacement instead (a tensor of A's shape; Ablation-CAM's ablated
  // activations), nothing is captured, and the layers before it are not
  // run (x gives only the batch size).  Throws std::invalid_argument for
  // an unknown layer.
  virtual torch::Tensor forward(const torch::Tensor &x,
                                const std::string &capture_layer = std::string(),
                                torch::Tensor *captured = nullptr,
                                const torch::Tensor *replacement = nullptr) = 0;

  // CAM target layers from input to output (e.g. "layer1".."layer4").
  virtual std::vector<std::string> layer_names() const = 0;
};

// Throws std::invalid_argument for an unknown arch or an unusable spec.
// Some parameters are frozen (requires_grad false: camtrail_net's BatchNorm
// scales, as in airbench); they never get a gradient, so an optimizer skips
// them and holds no momentum buffer for them.
std::shared_ptr<Network> make_network(const ModelSpec &spec);

// NULL-terminated, static.
const char *const *arch_names();

// The state dict in timm's order: for every module in registration order, its
// own parameters then its own buffers, names joined with '.'.  The tensors
// are the network's own (not copies): copy into them under a NoGradGuard to load.
std::vector<std::pair<std::string, torch::Tensor>> state_dict(Network &net);

} // namespace ct
