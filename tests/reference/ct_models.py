# SPDX-License-Identifier: GPL-3.0-or-later
"""PyTorch eager mirrors of the architectures in src/torch/ct-torch-models.cpp,
for the reference checks and the benchmarks only.

Every module carries the name the C++ registers (and timm / torchvision use),
so a Camtrail checkpoint loads with load_state_dict(strict=True): that load
is itself a check of the names, shapes and buffers.

- resnet18: torchvision's own ResNet-18 with the CIFAR stem (3×3 stride-1
  conv1, no max-pool).
- resnet18_imagenet, resnet34, resnet50: torchvision's own, unchanged.
- camtrail_net: written here after the C++ (airbench-like, GELU, 1/9 logit
  temperature).
- efficientnet_b0: written here after timm's block structure and names
  (DepthwiseSeparableConv, InvertedResidual, SqueezeExcite), without timm.
"""

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision

# Target layers from input to output, as ct-torch-models.cpp lists them.
LAYERS = {
    "camtrail_net": ["stem", "stages.0", "stages.1", "stages.2"],
    "resnet18": ["layer1", "layer2", "layer3", "layer4"],
    "resnet18_imagenet": ["layer1", "layer2", "layer3", "layer4"],
    "resnet34": ["layer1", "layer2", "layer3", "layer4"],
    "resnet50": ["layer1", "layer2", "layer3", "layer4"],
    "efficientnet_b0": [f"blocks.{i}" for i in range(7)] + ["conv_head"],
}


class InputResize(nn.Module):
    """The models' first step: a bilinear resize (half-pixel centres) to the
    side the network sees, when that differs from the images' side."""

    def __init__(self, side):
        super().__init__()
        self.side = side

    def forward(self, x):
        if self.side <= 0 or (x.shape[2] == self.side and x.shape[3] == self.side):
            return x
        return F.interpolate(x, size=(self.side, self.side), mode="bilinear", align_corners=False)


# ---- camtrail_net ------------------------------------------------------

CAMTRAIL_BN_MOMENTUM = 0.4
CAMTRAIL_TEMPERATURE = 1.0 / 9.0


def _bn(channels, momentum=0.1):
    return nn.BatchNorm2d(channels, eps=1e-5, momentum=momentum)


def _camtrail_bn(channels):
    # As in the C++ (after airbench): the scales stay frozen, only the shifts learn.
    bn = _bn(channels, CAMTRAIL_BN_MOMENTUM)
    bn.weight.requires_grad_(False)
    return bn


def _conv(cin, cout, kernel, stride=1, groups=1, bias=False):
    return nn.Conv2d(cin, cout, kernel, stride=stride, padding=kernel // 2, groups=groups, bias=bias)


class CamtrailStem(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, 2, bias=False)
        self.bn = _camtrail_bn(cout)

    def forward(self, x):
        return F.gelu(self.bn(self.conv(x)))


class CamtrailConvGroup(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.conv1 = _conv(cin, cout, 3)
        self.bn1 = _camtrail_bn(cout)
        self.conv2 = _conv(cout, cout, 3)
        self.bn2 = _camtrail_bn(cout)
        with torch.no_grad():
            for conv in (self.conv1, self.conv2):
                w = conv.weight
                nn.init.dirac_(w[: min(w.shape[0], w.shape[1])])

    def forward(self, x):
        x = F.max_pool2d(self.conv1(x), 2)
        x = F.gelu(self.bn1(x))
        return F.gelu(self.bn2(self.conv2(x)))


class CamtrailHead(nn.Module):
    def __init__(self, cin, n_classes):
        super().__init__()
        self.fc = nn.Linear(cin, n_classes, bias=False)

    def forward(self, x):
        return self.fc(x.amax((2, 3))) * CAMTRAIL_TEMPERATURE


class CamtrailNet(nn.Module):
    def __init__(self, in_channels=3, n_classes=10, width=0, input_size=0):
        super().__init__()
        w = width if width > 0 else 64
        stem_width = max(2, 3 * w // 8)
        self.resize = InputResize(input_size)
        self.stem = CamtrailStem(in_channels, stem_width)
        self.stages = nn.ModuleList()
        cin = stem_width
        for cout in (w, 4 * w, 4 * w):
            self.stages.append(CamtrailConvGroup(cin, cout))
            cin = cout
        self.head = CamtrailHead(cin, n_classes)

    def forward(self, x):
        x = self.stem(self.resize(x))
        for stage in self.stages:
            x = stage(x)
        return self.head(x)


# ---- resnet18 (CIFAR stem) ---------------------------------------------

def resnet18(in_channels=3, n_classes=10, input_size=0):
    model = torchvision.models.resnet18(num_classes=n_classes)
    model.conv1 = nn.Conv2d(in_channels, 64, 3, 1, 1, bias=False)
    model.maxpool = nn.Identity()
    if input_size > 0:
        resize = InputResize(input_size)
        model.register_forward_pre_hook(lambda module, args: (resize(args[0]),))
    return model


def torchvision_resnet(arch, in_channels=3, n_classes=10, input_size=0):
    """torchvision's own ResNet with its ImageNet stem, as Camtrail's
    resnet18_imagenet, resnet34 and resnet50."""
    constructor = {"resnet18_imagenet": torchvision.models.resnet18,
                   "resnet34": torchvision.models.resnet34,
                   "resnet50": torchvision.models.resnet50}[arch]
    model = constructor(weights=None, num_classes=n_classes)
    if in_channels != 3:
        model.conv1 = nn.Conv2d(in_channels, 64, 7, 2, 3, bias=False)
    if input_size > 0:
        resize = InputResize(input_size)
        model.register_forward_pre_hook(lambda module, args: (resize(args[0]),))
    return model


# ---- efficientnet_b0 (timm names) --------------------------------------

class SqueezeExcite(nn.Module):
    def __init__(self, channels, reduced):
        super().__init__()
        self.conv_reduce = _conv(channels, reduced, 1, bias=True)
        self.conv_expand = _conv(reduced, channels, 1, bias=True)

    def forward(self, x):
        s = F.silu(self.conv_reduce(x.mean((2, 3), keepdim=True)))
        return x * torch.sigmoid(self.conv_expand(s))


class DepthwiseSeparableConv(nn.Module):
    def __init__(self, cin, cout, kernel, stride):
        super().__init__()
        self.has_skip = stride == 1 and cin == cout
        self.conv_dw = _conv(cin, cin, kernel, stride, groups=cin)
        self.bn1 = _bn(cin)
        self.se = SqueezeExcite(cin, cin // 4)
        self.conv_pw = _conv(cin, cout, 1)
        self.bn2 = _bn(cout)

    def forward(self, x):
        y = F.silu(self.bn1(self.conv_dw(x)))
        y = self.bn2(self.conv_pw(self.se(y)))
        return y + x if self.has_skip else y


class InvertedResidual(nn.Module):
    def __init__(self, cin, cout, kernel, stride, expand):
        super().__init__()
        mid = cin * expand
        self.has_skip = stride == 1 and cin == cout
        self.conv_pw = _conv(cin, mid, 1)
        self.bn1 = _bn(mid)
        self.conv_dw = _conv(mid, mid, kernel, stride, groups=mid)
        self.bn2 = _bn(mid)
        # timm sizes the SE from the block's input (se_ratio 0.25 / expansion).
        self.se = SqueezeExcite(mid, cin // 4)
        self.conv_pwl = _conv(mid, cout, 1)
        self.bn3 = _bn(cout)

    def forward(self, x):
        y = F.silu(self.bn1(self.conv_pw(x)))
        y = F.silu(self.bn2(self.conv_dw(y)))
        y = self.bn3(self.conv_pwl(self.se(y)))
        return y + x if self.has_skip else y


# kernel, stride, expansion, channels, repeats
B0_STAGES = [
    (3, 1, 1, 16, 1),
    (3, 2, 6, 24, 2),
    (5, 2, 6, 40, 2),
    (3, 2, 6, 80, 3),
    (5, 1, 6, 112, 3),
    (5, 2, 6, 192, 4),
    (3, 1, 6, 320, 1),
]


class EfficientNetB0(nn.Module):
    def __init__(self, in_channels=3, n_classes=10, input_size=0):
        super().__init__()
        self.resize = InputResize(input_size)
        self.conv_stem = _conv(in_channels, 32, 3, 2)
        self.bn1 = _bn(32)
        # Sequentials of Sequentials, as timm: "blocks.3" is a module whose
        # output a forward hook sees.
        self.blocks = nn.Sequential()
        cin = 32
        for kernel, stride, expand, cout, repeats in B0_STAGES:
            stage = nn.Sequential()
            for r in range(repeats):
                s = stride if r == 0 else 1
                if expand == 1:
                    stage.append(DepthwiseSeparableConv(cin, cout, kernel, s))
                else:
                    stage.append(InvertedResidual(cin, cout, kernel, s, expand))
                cin = cout
            self.blocks.append(stage)
        self.conv_head = _conv(cin, 1280, 1)
        self.bn2 = _bn(1280)
        self.classifier = nn.Linear(1280, n_classes)

    def forward(self, x):
        x = F.silu(self.bn1(self.conv_stem(self.resize(x))))
        x = self.blocks(x)
        x = F.silu(self.bn2(self.conv_head(x)))
        return self.classifier(x.mean((2, 3)))


def build(arch, in_channels, n_classes, input_size=0, width=0):
    """A fresh model of @arch in eval mode.  @input_size is the side the
    network sees (0 or the image side: no resize)."""
    if arch == "camtrail_net":
        model = CamtrailNet(in_channels, n_classes, width, input_size)
    elif arch == "resnet18":
        model = resnet18(in_channels, n_classes, input_size)
    elif arch == "efficientnet_b0":
        model = EfficientNetB0(in_channels, n_classes, input_size)
    elif arch in ("resnet18_imagenet", "resnet34", "resnet50"):
        model = torchvision_resnet(arch, in_channels, n_classes, input_size)
    else:
        raise ValueError(f"unknown architecture {arch!r}")
    return model.eval()


def build_from_manifest(manifest):
    m, d = manifest["model"], manifest["dataset"]
    return build(m["arch"], d["channels"], len(d["classes"]),
                 m.get("input_size", 0), m.get("width", 0))
