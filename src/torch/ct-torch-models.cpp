// SPDX-License-Identifier: GPL-3.0-or-later
//
// The architectures behind ct-torch.h.  Every submodule is registered
// under the name timm gives it, in timm's order, so that state_dict() below
// yields exactly timm's keys and a checkpoint loads into timm.create_model().
// Stateless pieces (activations, pools) are functions in forward(): they own
// no tensors, so they cannot change the names.

#include "ct-torch-models.hpp"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <stdexcept>

namespace ct {

BatchNorm2dImpl::BatchNorm2dImpl (const torch::nn::BatchNormOptions &options_)
  : options (options_)
{
  reset ();
}

// As torch::nn::BatchNormImplBase: parameters then buffers, in this order
// (the state dict's), initialised as torch does.
void
BatchNorm2dImpl::reset ()
{
  TORCH_CHECK (options.affine () && options.track_running_stats (),
               "ct::BatchNorm2d is affine and tracks running statistics");
  weight = register_parameter ("weight", torch::ones ({ options.num_features () }));
  bias = register_parameter ("bias", torch::zeros ({ options.num_features () }));
  running_mean = register_buffer ("running_mean", torch::zeros ({ options.num_features () }));
  running_var = register_buffer ("running_var", torch::ones ({ options.num_features () }));
  num_batches_tracked = register_buffer ("num_batches_tracked", torch::tensor (0, torch::kLong));
}

void
BatchNorm2dImpl::pretty_print (std::ostream &stream) const
{
  stream << "ct::BatchNorm2d(" << options.num_features () << ", eps=" << options.eps ()
         << ", momentum=" << options.momentum ().value_or (0.0) << (sync ? ", synchronised" : "")
         << ")";
}

// torch::nn::BatchNormImplBase::forward, or @sync's in training mode.
torch::Tensor
BatchNorm2dImpl::forward (const torch::Tensor &input)
{
  TORCH_CHECK (input.dim () == 4, "expected a 4D input (got ", input.dim (), "D)");
  if (fixed_stats)
    return torch::batch_norm (input, weight, bias, running_mean, running_var, false, 0.0,
                              options.eps (), at::globalContext ().userEnabledCuDNN ());
  if (sync && is_training ())
    return sync (*this, input);
  double momentum = options.momentum ().value_or (0.0);
  if (is_training ())
    {
      TORCH_CHECK (input.numel () / input.size (1) > 1,
                   "Expected more than 1 value per channel when training, got input size ",
                   input.sizes ());
      num_batches_tracked += 1;
      if (!options.momentum ().has_value ())
        momentum = 1.0 / num_batches_tracked.item<double> ();
    }
  return torch::batch_norm (input, weight, bias, running_mean, running_var, is_training (),
                            momentum, options.eps (),
                            at::globalContext ().userEnabledCuDNN ());
}

namespace {

namespace F = torch::nn::functional;
namespace nn = torch::nn;

constexpr int64_t kMaxSide = 4096;

nn::Conv2d
make_conv (int64_t in, int64_t out, int64_t kernel, int64_t stride = 1,
           int64_t groups = 1, bool bias = false)
{
  // Symmetric k//2 padding as timm's efficientnet_b0 and torchvision's ResNet use.
  return nn::Conv2d (nn::Conv2dOptions (in, out, kernel)
                       .stride (stride)
                       .padding (kernel / 2)
                       .groups (groups)
                       .bias (bias));
}

ct::BatchNorm2d
make_bn (int64_t channels, double momentum = 0.1)
{
  return ct::BatchNorm2d (nn::BatchNorm2dOptions (channels).eps (1e-5).momentum (momentum));
}

// The common half of every network: spec, layer names, input checks, the
// optional resize, and the capture of one layer's output.
class NetworkBase : public Network
{
public:
  NetworkBase (const ModelSpec &spec, std::vector<std::string> layers)
    : spec_ (spec), layers_ (std::move (layers))
  {
    input_size_ = spec.input_size > 0 ? spec.input_size : spec.image_size;
  }

  std::vector<std::string>
  layer_names () const override
  {
    return layers_;
  }

protected:
  // One forward pass's capture request.  The network calls it with each
  // tapped layer's output, in order from input to output.
  class Tap
  {
  public:
    Tap (const std::string &layer, torch::Tensor *captured, const torch::Tensor *replacement)
      : layer_ (layer), captured_ (captured), replacement_ (replacement) {}

    // Whether the layers before the next tap may be left out: a
    // replacement stands for a layer not reached yet, so nothing computed
    // before it is used (Ablation-CAM runs only the layers after its
    // target).  The tap is then called with an undefined tensor.
    bool
    skipping () const
    {
      return replacement_ != nullptr && !layer_.empty () && !reached_;
    }

    const torch::Tensor *
    replacement () const
    {
      return replacement_;
    }

    torch::Tensor
    operator() (const char *name, torch::Tensor a) const
    {
      if (layer_.empty () || layer_ != name)
        return a;
      reached_ = true;
      if (replacement_ != nullptr)
        return *replacement_;
      a = a.detach ().requires_grad_ (true);
      if (captured_ != nullptr)
        *captured_ = a;
      return a;
    }

  private:
    const std::string &layer_;
    torch::Tensor *captured_;
    const torch::Tensor *replacement_;
    mutable bool reached_ = false;
  };

  // Checks the batch and the layer name before any work, and resizes the
  // batch to the side the network sees when that differs from the images'.
  // When @tap skips to a replacement, the batch is only checked (against
  // the replacement's batch size): an undefined tensor comes back, nothing
  // is resized.
  torch::Tensor
  prepare (const torch::Tensor &x, const std::string &capture_layer, const Tap &tap) const
  {
    if (!capture_layer.empty ()
        && std::find (layers_.begin (), layers_.end (), capture_layer) == layers_.end ())
      throw std::invalid_argument ("unknown layer \"" + capture_layer + "\" for " + spec_.arch);
    if (x.dim () != 4 || x.size (1) != spec_.in_channels)
      throw std::invalid_argument ("expected an N×" + std::to_string (spec_.in_channels)
                                   + "×H×W batch, got " + c10::str (x.sizes ()));
    if (tap.skipping ())
      {
        if (tap.replacement ()->dim () != 4 || tap.replacement ()->size (0) != x.size (0))
          throw std::invalid_argument ("the replacement of layer " + capture_layer + " is "
                                       + c10::str (tap.replacement ()->sizes ())
                                       + ", not a batch of " + std::to_string (x.size (0)));
        return torch::Tensor ();
      }
    if (x.size (2) == input_size_ && x.size (3) == input_size_)
      return x;
    return F::interpolate (x, F::InterpolateFuncOptions ()
                                .size (std::vector<int64_t>{input_size_, input_size_})
                                .mode (torch::kBilinear)
                                .align_corners (false));
  }

  ModelSpec spec_;
  int64_t input_size_;

private:
  std::vector<std::string> layers_;
};

// ---- camtrail_net --------------------------------------------------------
//
// After Keller Jordan's airbench94: a stem, three conv groups that each halve
// the map, a global max pool and a bias-free linear head whose logits are
// scaled by a fixed temperature.  The stem is airbench's 2×2 unpadded conv
// (24 channels at the default width) + BN + GELU; the default recipe
// whitens the conv from the data and freezes it (ct_model_whiten_stem,
// docs/TRAINING.md), where airbench has a conv bias and no BN, so that every
// camtrail_net checkpoint keeps one layout.  The 2×2 stem makes the maps odd (31, 15, 7, 3 for
// 32×32 input), and that is not only airbench's shape: on libtorch 1.13's
// oneDNN a padded 3×3 stem keeping 32×32 maps trained 2.6× slower on 2 cores
// (84 against 218 img/s, same widths, batch 512, measured in PyTorch).

// airbench's BatchNorm momentum 0.6 in its convention is PyTorch's 1 − 0.6.
constexpr double kCamtrailBnMomentum = 0.4;

// As in airbench the BatchNorm scales stay at 1 (only the shifts learn): on
// CIFAR-10 in 8 epochs this gave 88.1–88.8% against 87.6–87.9% when trained.
ct::BatchNorm2d
make_camtrail_bn (int64_t channels)
{
  auto bn = make_bn (channels, kCamtrailBnMomentum);
  bn->weight.set_requires_grad (false);
  return bn;
}
// airbench scales the logits by 1/9.
constexpr double kCamtrailTemperature = 1.0 / 9.0;

class CamtrailStemImpl : public nn::Module
{
public:
  CamtrailStemImpl (int64_t in, int64_t out)
  {
    conv = register_module ("conv", nn::Conv2d (nn::Conv2dOptions (in, out, 2).bias (false)));
    bn = register_module ("bn", make_camtrail_bn (out));
  }

  // The stem runs in float32 even under bfloat16 autocast: whitened, its
  // filters take differences of neighbouring pixels scaled by up to
  // 1/√(λ + eps) ≈ 45, and bfloat16's 8-bit mantissa rounds each pixel by
  // up to 0.4% of its value first: on CIFAR-10 that made noise of 11–13% of
  // the spread of the two highest-frequency channels, 3–4% of the next four
  // (docs/TRAINING.md).  It is a 2×2 conv over 3 channels: float32 costs
  // next to nothing.
  torch::Tensor
  forward (const torch::Tensor &x)
  {
    c10::impl::ExcludeDispatchKeyGuard no_autocast (c10::autocast_dispatch_keyset);
    return torch::gelu (bn->forward (conv->forward (x.to (conv->weight.scalar_type ()))));
  }

  nn::Conv2d conv{nullptr};
  ct::BatchNorm2d bn{nullptr};
};

class ConvGroupImpl : public nn::Module
{
public:
  ConvGroupImpl (int64_t in, int64_t out)
  {
    conv1 = register_module ("conv1", make_conv (in, out, 3));
    bn1 = register_module ("bn1", make_camtrail_bn (out));
    conv2 = register_module ("conv2", make_conv (out, out, 3));
    bn2 = register_module ("bn2", make_camtrail_bn (out));

    // As airbench: the first in-channels filters start as identities, so a
    // fresh group passes its input through and training starts fast.
    torch::NoGradGuard no_grad;
    for (const auto &conv : {conv1, conv2})
      {
        auto w = conv->weight;
        nn::init::dirac_ (w.narrow (0, 0, std::min (w.size (0), w.size (1))));
      }
  }

  torch::Tensor
  forward (torch::Tensor x)
  {
    x = F::max_pool2d (conv1->forward (x), F::MaxPool2dFuncOptions (2));
    x = torch::gelu (bn1->forward (x));
    return torch::gelu (bn2->forward (conv2->forward (x)));
  }

  nn::Conv2d conv1{nullptr};
  ct::BatchNorm2d bn1{nullptr};
  nn::Conv2d conv2{nullptr};
  ct::BatchNorm2d bn2{nullptr};
};

class CamtrailHeadImpl : public nn::Module
{
public:
  CamtrailHeadImpl (int64_t in, int64_t n_classes)
  {
    fc = register_module ("fc", nn::Linear (nn::LinearOptions (in, n_classes).bias (false)));
  }

  torch::Tensor
  forward (const torch::Tensor &x)
  {
    return fc->forward (x.amax ({2, 3})) * kCamtrailTemperature;
  }

  nn::Linear fc{nullptr};
};

class CamtrailNet : public NetworkBase
{
public:
  explicit CamtrailNet (const ModelSpec &spec)
    : NetworkBase (spec, {"stem", "stages.0", "stages.1", "stages.2"})
  {
    const int64_t w = spec.width > 0 ? spec.width : 64;
    const int64_t widths[] = {w, 4 * w, 4 * w};
    const int64_t stem_width = std::max<int64_t> (2, 3 * w / 8);

    stem_ = register_module ("stem", std::make_shared<CamtrailStemImpl> (spec.in_channels, stem_width));
    auto stages = register_module ("stages", nn::ModuleList ());
    int64_t in = stem_width;
    for (int64_t out : widths)
      {
        stages_.push_back (std::make_shared<ConvGroupImpl> (in, out));
        stages->push_back (stages_.back ());
        in = out;
      }
    head_ = register_module ("head", std::make_shared<CamtrailHeadImpl> (in, spec.n_classes));
  }

  torch::Tensor
  forward (const torch::Tensor &input, const std::string &capture_layer,
           torch::Tensor *captured, const torch::Tensor *replacement) override
  {
    const Tap tap (capture_layer, captured, replacement);
    auto x = prepare (input, capture_layer, tap);
    x = tap ("stem", tap.skipping () ? x : stem_->forward (x));
    static const char *const names[] = {"stages.0", "stages.1", "stages.2"};
    for (size_t i = 0; i < stages_.size (); i++)
      x = tap (names[i], tap.skipping () ? x : stages_[i]->forward (x));
    return head_->forward (x);
  }

private:
  std::shared_ptr<CamtrailStemImpl> stem_;
  std::vector<std::shared_ptr<ConvGroupImpl>> stages_;
  std::shared_ptr<CamtrailHeadImpl> head_;
};

// ---- ResNets --------------------------------------------------------------
//
// torchvision's ResNet-18/34/50 with torchvision's names.  "resnet18" has the
// CIFAR stem (conv1 a 3×3 stride-1 conv, no max-pool), the usual change for
// 32×32 images; "resnet18_imagenet", "resnet34" and "resnet50" keep
// torchvision's ImageNet stem (7×7 stride-2 conv1, 3×3 stride-2 max-pool),
// so that torchvision's and timm's checkpoints load as they are.

class ResBlock : public nn::Module
{
public:
  virtual torch::Tensor forward (const torch::Tensor &x) = 0;
};

nn::Sequential
make_downsample (int64_t in, int64_t out, int64_t stride)
{
  return nn::Sequential (nn::Conv2d (nn::Conv2dOptions (in, out, 1).stride (stride).bias (false)),
                         make_bn (out));
}

class BasicBlockImpl : public ResBlock
{
public:
  static constexpr int64_t kExpansion = 1;

  BasicBlockImpl (int64_t in, int64_t width, int64_t stride)
  {
    conv1 = register_module ("conv1", make_conv (in, width, 3, stride));
    bn1 = register_module ("bn1", make_bn (width));
    conv2 = register_module ("conv2", make_conv (width, width, 3));
    bn2 = register_module ("bn2", make_bn (width));
    if (stride != 1 || in != width)
      downsample = register_module ("downsample", make_downsample (in, width, stride));
  }

  torch::Tensor
  forward (const torch::Tensor &x) override
  {
    auto out = torch::relu (bn1->forward (conv1->forward (x)));
    out = bn2->forward (conv2->forward (out));
    return torch::relu (out + (downsample ? downsample->forward (x) : x));
  }

  nn::Conv2d conv1{nullptr};
  ct::BatchNorm2d bn1{nullptr};
  nn::Conv2d conv2{nullptr};
  ct::BatchNorm2d bn2{nullptr};
  nn::Sequential downsample{nullptr};
};

// torchvision's Bottleneck (ResNet V1.5: the stride on the 3×3 conv).
class BottleneckImpl : public ResBlock
{
public:
  static constexpr int64_t kExpansion = 4;

  BottleneckImpl (int64_t in, int64_t width, int64_t stride)
  {
    const int64_t out = width * kExpansion;
    conv1 = register_module ("conv1", make_conv (in, width, 1));
    bn1 = register_module ("bn1", make_bn (width));
    conv2 = register_module ("conv2", make_conv (width, width, 3, stride));
    bn2 = register_module ("bn2", make_bn (width));
    conv3 = register_module ("conv3", make_conv (width, out, 1));
    bn3 = register_module ("bn3", make_bn (out));
    if (stride != 1 || in != out)
      downsample = register_module ("downsample", make_downsample (in, out, stride));
  }

  torch::Tensor
  forward (const torch::Tensor &x) override
  {
    auto y = torch::relu (bn1->forward (conv1->forward (x)));
    y = torch::relu (bn2->forward (conv2->forward (y)));
    y = bn3->forward (conv3->forward (y));
    return torch::relu (y + (downsample ? downsample->forward (x) : x));
  }

  nn::Conv2d conv1{nullptr};
  ct::BatchNorm2d bn1{nullptr};
  nn::Conv2d conv2{nullptr};
  ct::BatchNorm2d bn2{nullptr};
  nn::Conv2d conv3{nullptr};
  ct::BatchNorm2d bn3{nullptr};
  nn::Sequential downsample{nullptr};
};

const char *const kResNetLayers[] = {"layer1", "layer2", "layer3", "layer4"};

struct ResNetShape
{
  bool bottleneck;
  bool imagenet_stem;
  int64_t blocks[4];
};

class ResNet : public NetworkBase
{
public:
  ResNet (const ModelSpec &spec, const ResNetShape &shape)
    : NetworkBase (spec, {std::begin (kResNetLayers), std::end (kResNetLayers)}),
      imagenet_stem_ (shape.imagenet_stem)
  {
    conv1_ = register_module ("conv1", shape.imagenet_stem ? make_conv (spec.in_channels, 64, 7, 2)
                                                           : make_conv (spec.in_channels, 64, 3));
    bn1_ = register_module ("bn1", make_bn (64));
    const int64_t expansion = shape.bottleneck ? BottleneckImpl::kExpansion : BasicBlockImpl::kExpansion;
    int64_t in = 64;
    const int64_t widths[] = {64, 128, 256, 512};
    for (int i = 0; i < 4; i++)
      {
        auto layer = register_module (kResNetLayers[i], nn::ModuleList ());
        for (int64_t b = 0; b < shape.blocks[i]; b++)
          {
            const int64_t stride = b == 0 && i > 0 ? 2 : 1;
            std::shared_ptr<ResBlock> block;
            if (shape.bottleneck)
              block = std::make_shared<BottleneckImpl> (in, widths[i], stride);
            else
              block = std::make_shared<BasicBlockImpl> (in, widths[i], stride);
            layer->push_back (block);
            blocks_[i].push_back (block);
            in = widths[i] * expansion;
          }
      }
    fc_ = register_module ("fc", nn::Linear (in, spec.n_classes));

    // torchvision's init; nn::Linear keeps libtorch's default, which is Python's.
    torch::NoGradGuard no_grad;
    for (const auto &m : modules (false))
      {
        if (auto *conv = m->as<nn::Conv2d> ())
          nn::init::kaiming_normal_ (conv->weight, 0.0, torch::kFanOut, torch::kReLU);
        else if (auto *bn = m->as<ct::BatchNorm2d> ())
          {
            nn::init::ones_ (bn->weight);
            nn::init::zeros_ (bn->bias);
          }
      }
  }

  torch::Tensor
  forward (const torch::Tensor &input, const std::string &capture_layer,
           torch::Tensor *captured, const torch::Tensor *replacement) override
  {
    const Tap tap (capture_layer, captured, replacement);
    auto x = prepare (input, capture_layer, tap);
    if (!tap.skipping ())
      x = torch::relu (bn1_->forward (conv1_->forward (x)));
    if (imagenet_stem_ && !tap.skipping ())
      x = F::max_pool2d (x, F::MaxPool2dFuncOptions (3).stride (2).padding (1));
    for (int i = 0; i < 4; i++)
      {
        for (const auto &block : blocks_[i])
          if (!tap.skipping ())
            x = block->forward (x);
        x = tap (kResNetLayers[i], x);
      }
    return fc_->forward (x.mean ({2, 3}));
  }

private:
  bool imagenet_stem_;
  nn::Conv2d conv1_{nullptr};
  ct::BatchNorm2d bn1_{nullptr};
  std::vector<std::shared_ptr<ResBlock>> blocks_[4];
  nn::Linear fc_{nullptr};
};

struct ResNetArch
{
  const char *name;
  ResNetShape shape;
};

constexpr ResNetArch kResNets[] = {
  {"resnet18", {false, false, {2, 2, 2, 2}}},
  {"resnet18_imagenet", {false, true, {2, 2, 2, 2}}},
  {"resnet34", {false, true, {3, 4, 6, 3}}},
  {"resnet50", {true, true, {3, 4, 6, 3}}},
};

// ---- efficientnet_b0 ----------------------------------------------------
//
// timm's efficientnet_b0 (module names, order, SE sizes, BN eps 1e-5).  Left
// out, as in timm.create_model's defaults: dropout before the classifier
// (drop_rate 0) and stochastic depth (drop_path_rate 0); neither owns a tensor.

class SqueezeExciteImpl : public nn::Module
{
public:
  SqueezeExciteImpl (int64_t channels, int64_t reduced)
  {
    conv_reduce = register_module ("conv_reduce", make_conv (channels, reduced, 1, 1, 1, true));
    conv_expand = register_module ("conv_expand", make_conv (reduced, channels, 1, 1, 1, true));
  }

  torch::Tensor
  forward (const torch::Tensor &x)
  {
    auto s = torch::silu (conv_reduce->forward (x.mean ({2, 3}, /*keepdim=*/true)));
    return x * torch::sigmoid (conv_expand->forward (s));
  }

  nn::Conv2d conv_reduce{nullptr};
  nn::Conv2d conv_expand{nullptr};
};

class EfficientBlock : public nn::Module
{
public:
  virtual torch::Tensor forward (const torch::Tensor &x) = 0;
};

// timm's DepthwiseSeparableConv: dw conv, BN, SiLU, SE, pw conv, BN.
class DepthwiseSeparableImpl : public EfficientBlock
{
public:
  DepthwiseSeparableImpl (int64_t in, int64_t out, int64_t kernel, int64_t stride)
    : has_skip_ (stride == 1 && in == out)
  {
    conv_dw = register_module ("conv_dw", make_conv (in, in, kernel, stride, in));
    bn1 = register_module ("bn1", make_bn (in));
    se = register_module ("se", std::make_shared<SqueezeExciteImpl> (in, in / 4));
    conv_pw = register_module ("conv_pw", make_conv (in, out, 1));
    bn2 = register_module ("bn2", make_bn (out));
  }

  torch::Tensor
  forward (const torch::Tensor &x) override
  {
    auto y = torch::silu (bn1->forward (conv_dw->forward (x)));
    y = bn2->forward (conv_pw->forward (se->forward (y)));
    return has_skip_ ? y + x : y;
  }

  nn::Conv2d conv_dw{nullptr};
  ct::BatchNorm2d bn1{nullptr};
  std::shared_ptr<SqueezeExciteImpl> se;
  nn::Conv2d conv_pw{nullptr};
  ct::BatchNorm2d bn2{nullptr};

private:
  bool has_skip_;
};

// timm's InvertedResidual (MBConv): pw expand, dw conv, SE, pw project.
class InvertedResidualImpl : public EfficientBlock
{
public:
  InvertedResidualImpl (int64_t in, int64_t out, int64_t kernel, int64_t stride, int64_t expand)
    : has_skip_ (stride == 1 && in == out)
  {
    const int64_t mid = in * expand;
    conv_pw = register_module ("conv_pw", make_conv (in, mid, 1));
    bn1 = register_module ("bn1", make_bn (mid));
    conv_dw = register_module ("conv_dw", make_conv (mid, mid, kernel, stride, mid));
    bn2 = register_module ("bn2", make_bn (mid));
    // The SE width follows the block's input, not its expansion (as in timm).
    se = register_module ("se", std::make_shared<SqueezeExciteImpl> (mid, in / 4));
    conv_pwl = register_module ("conv_pwl", make_conv (mid, out, 1));
    bn3 = register_module ("bn3", make_bn (out));
  }

  torch::Tensor
  forward (const torch::Tensor &x) override
  {
    auto y = torch::silu (bn1->forward (conv_pw->forward (x)));
    y = torch::silu (bn2->forward (conv_dw->forward (y)));
    y = bn3->forward (conv_pwl->forward (se->forward (y)));
    return has_skip_ ? y + x : y;
  }

  nn::Conv2d conv_pw{nullptr};
  ct::BatchNorm2d bn1{nullptr};
  nn::Conv2d conv_dw{nullptr};
  ct::BatchNorm2d bn2{nullptr};
  std::shared_ptr<SqueezeExciteImpl> se;
  nn::Conv2d conv_pwl{nullptr};
  ct::BatchNorm2d bn3{nullptr};

private:
  bool has_skip_;
};

struct StageArgs
{
  int64_t kernel, stride, expand, channels, repeats;
};

// EfficientNet-B0's seven stages; stage 0 is depthwise-separable.
constexpr StageArgs kB0Stages[] = {
  {3, 1, 1, 16, 1},
  {3, 2, 6, 24, 2},
  {5, 2, 6, 40, 2},
  {3, 2, 6, 80, 3},
  {5, 1, 6, 112, 3},
  {5, 2, 6, 192, 4},
  {3, 1, 6, 320, 1},
};

class EfficientNetB0 : public NetworkBase
{
public:
  explicit EfficientNetB0 (const ModelSpec &spec)
    : NetworkBase (spec, {"blocks.0", "blocks.1", "blocks.2", "blocks.3", "blocks.4",
                          "blocks.5", "blocks.6", "conv_head"})
  {
    constexpr int64_t stem_width = 32, head_width = 1280;
    conv_stem_ = register_module ("conv_stem", make_conv (spec.in_channels, stem_width, 3, 2));
    bn1_ = register_module ("bn1", make_bn (stem_width));

    auto blocks = register_module ("blocks", nn::ModuleList ());
    int64_t in = stem_width;
    for (const auto &stage : kB0Stages)
      {
        nn::ModuleList stage_list;
        stages_.emplace_back ();
        for (int64_t r = 0; r < stage.repeats; r++)
          {
            const int64_t stride = r == 0 ? stage.stride : 1;
            std::shared_ptr<EfficientBlock> block;
            if (stage.expand == 1)
              block = std::make_shared<DepthwiseSeparableImpl> (in, stage.channels, stage.kernel, stride);
            else
              block = std::make_shared<InvertedResidualImpl> (in, stage.channels, stage.kernel, stride,
                                                              stage.expand);
            stage_list->push_back (block);
            stages_.back ().push_back (block);
            in = stage.channels;
          }
        blocks->push_back (stage_list);
      }

    conv_head_ = register_module ("conv_head", make_conv (in, head_width, 1));
    bn2_ = register_module ("bn2", make_bn (head_width));
    classifier_ = register_module ("classifier", nn::Linear (head_width, spec.n_classes));

    // timm's _init_weight_goog.
    torch::NoGradGuard no_grad;
    for (const auto &m : modules (false))
      {
        if (auto *conv = m->as<nn::Conv2d> ())
          {
            const auto &w = conv->weight;
            const int64_t fan_out = w.size (0) * w.size (2) * w.size (3) / conv->options.groups ();
            w.normal_ (0.0, std::sqrt (2.0 / static_cast<double> (fan_out)));
            if (conv->bias.defined ())
              conv->bias.zero_ ();
          }
        else if (auto *bn = m->as<ct::BatchNorm2d> ())
          {
            bn->weight.fill_ (1.0);
            bn->bias.zero_ ();
          }
        else if (auto *linear = m->as<nn::Linear> ())
          {
            const double range = 1.0 / std::sqrt (static_cast<double> (linear->weight.size (0)));
            linear->weight.uniform_ (-range, range);
            linear->bias.zero_ ();
          }
      }
  }

  torch::Tensor
  forward (const torch::Tensor &input, const std::string &capture_layer,
           torch::Tensor *captured, const torch::Tensor *replacement) override
  {
    const Tap tap (capture_layer, captured, replacement);
    static const char *const names[] = {"blocks.0", "blocks.1", "blocks.2", "blocks.3",
                                        "blocks.4", "blocks.5", "blocks.6"};
    auto x = prepare (input, capture_layer, tap);
    if (!tap.skipping ())
      x = torch::silu (bn1_->forward (conv_stem_->forward (x)));
    for (size_t i = 0; i < stages_.size (); i++)
      {
        for (const auto &block : stages_[i])
          if (!tap.skipping ())
            x = block->forward (x);
        x = tap (names[i], x);
      }
    x = tap ("conv_head", tap.skipping () ? x : conv_head_->forward (x));
    x = torch::silu (bn2_->forward (x));
    return classifier_->forward (x.mean ({2, 3}));
  }

private:
  nn::Conv2d conv_stem_{nullptr};
  ct::BatchNorm2d bn1_{nullptr};
  std::vector<std::vector<std::shared_ptr<EfficientBlock>>> stages_;
  nn::Conv2d conv_head_{nullptr};
  ct::BatchNorm2d bn2_{nullptr};
  nn::Linear classifier_{nullptr};
};

void
check_range (const char *what, int64_t value, int64_t min, int64_t max)
{
  if (value < min || value > max)
    throw std::invalid_argument (std::string (what) + " must be in [" + std::to_string (min) + ", "
                                 + std::to_string (max) + "], got " + std::to_string (value));
}

} // namespace

std::shared_ptr<Network>
make_network (const ModelSpec &spec)
{
  if (spec.in_channels != 1 && spec.in_channels != 3)
    throw std::invalid_argument ("in_channels must be 1 or 3, got " + std::to_string (spec.in_channels));
  check_range ("n_classes", spec.n_classes, 2, 100000);
  check_range ("image_size", spec.image_size, 1, kMaxSide);
  if (spec.input_size != 0)
    check_range ("input_size", spec.input_size, 1, kMaxSide);

  const int64_t side = spec.input_size > 0 ? spec.input_size : spec.image_size;
  if (spec.arch == "camtrail_net")
    {
      // Three 2×2 max-pools need at least 8 pixels to leave a 1×1 map.
      check_range ("camtrail_net's input side", side, 8, kMaxSide);
      if (spec.width != 0)
        check_range ("width", spec.width, 2, 1024);
      return std::make_shared<CamtrailNet> (spec);
    }
  for (const auto &resnet : kResNets)
    if (spec.arch == resnet.name)
      return std::make_shared<ResNet> (spec, resnet.shape);
  if (spec.arch == "efficientnet_b0")
    return std::make_shared<EfficientNetB0> (spec);
  throw std::invalid_argument ("unknown architecture \"" + spec.arch + "\"");
}

const char *const *
arch_names ()
{
  static const char *const names[] = {"camtrail_net",     "resnet18", "resnet18_imagenet",
                                      "resnet34",         "resnet50", "efficientnet_b0",
                                      nullptr};
  return names;
}

std::vector<std::pair<std::string, torch::Tensor>>
state_dict (Network &net)
{
  std::vector<std::pair<std::string, torch::Tensor>> entries;
  for (const auto &item : net.named_modules ())
    {
      const std::string &prefix = item.key ();
      auto add = [&] (const std::string &name, const torch::Tensor &tensor) {
        // libtorch registers an undefined "bias" for bias-free convs and linears.
        if (tensor.defined ())
          entries.emplace_back (prefix.empty () ? name : prefix + "." + name, tensor);
      };
      for (const auto &param : item.value ()->named_parameters (/*recurse=*/false))
        add (param.key (), param.value ());
      for (const auto &buffer : item.value ()->named_buffers (/*recurse=*/false))
        add (buffer.key (), buffer.value ());
    }
  return entries;
}

} // namespace ct
