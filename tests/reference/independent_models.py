# SPDX-License-Identifier: GPL-3.0-or-later
"""Independent references for Camtrail's networks, for the reference checks
only.  Unlike the mirrors in ct_models.py (modules written after the C++,
so an architecture mistake there would be copied), these are:

- camtrail_net: a function written from docs/MODELS.md alone, reading the
  checkpoint's tensors by the names that page gives;
- efficientnet_b0: torchvision's own efficientnet_b0, the checkpoint's timm
  names mapped to torchvision's by the table in docs/MODELS.md;
- resnet18: torchvision's own resnet18 with the CIFAR stem (as ct_models.py,
  which already used torchvision's code for it).

build(manifest, state_dict) returns (model, layer_module_for(name)).
"""

import re

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision


def _resize(x, side):
    """docs/MODELS.md: bilinear, half-pixel centres, when the side differs."""
    if side and (x.shape[2] != side or x.shape[3] != side):
        return F.interpolate(x, size=(side, side), mode="bilinear", align_corners=False)
    return x


class _Tap(nn.Identity):
    """An identity module a forward hook can sit on: the CAM layer's output."""


# ---- camtrail_net, from docs/MODELS.md ------------------------------------

class CamtrailNetFromDocs(nn.Module):
    """The table in docs/MODELS.md, step by step.  The tensors are kept in a
    flat dict under the checkpoint's own names (a ParameterDict cannot hold
    dots), so loading checks every name and shape against the page."""

    STAGES = ("stem", "stages.0", "stages.1", "stages.2")

    def __init__(self, state, input_size):
        super().__init__()
        self.input_size = input_size
        self.names = sorted(state)
        for i, name in enumerate(self.names):
            self.register_buffer(f"t{i}", state[name].clone())
        self.taps = nn.ModuleDict({name.replace(".", "_"): _Tap() for name in self.STAGES})
        self._check_shapes()

    def t(self, name):
        return getattr(self, f"t{self.names.index(name)}")

    def _check_shapes(self):
        s, c = self.t("stem.conv.weight").shape[:2]
        w = self.t("stages.0.conv1.weight").shape[0]
        assert s == max(2, 3 * w // 8), f"stem width {s} is not max(2, 3w/8) for w = {w}"
        expected = {"stem.conv.weight": (s, c, 2, 2),
                    "stages.0.conv1.weight": (w, s, 3, 3), "stages.0.conv2.weight": (w, w, 3, 3),
                    "stages.1.conv1.weight": (4 * w, w, 3, 3), "stages.1.conv2.weight": (4 * w, 4 * w, 3, 3),
                    "stages.2.conv1.weight": (4 * w, 4 * w, 3, 3), "stages.2.conv2.weight": (4 * w, 4 * w, 3, 3)}
        for name, shape in expected.items():
            assert tuple(self.t(name).shape) == shape, f"{name}: {tuple(self.t(name).shape)}, page says {shape}"
        k, fc_in = self.t("head.fc.weight").shape
        assert fc_in == 4 * w, f"head.fc.weight takes {fc_in} features, page says {4 * w}"
        bn = ("weight", "bias", "running_mean", "running_var", "num_batches_tracked")
        names = set(expected) | {"head.fc.weight"}
        names |= {f"stem.bn.{p}" for p in bn}
        names |= {f"stages.{i}.bn{j}.{p}" for i in range(3) for j in (1, 2) for p in bn}
        assert set(self.names) == names, f"names differ from the page: {set(self.names) ^ names}"

    def bn(self, x, prefix):
        return F.batch_norm(x, self.t(prefix + ".running_mean"), self.t(prefix + ".running_var"),
                            self.t(prefix + ".weight"), self.t(prefix + ".bias"),
                            training=False, eps=1e-5)

    def forward(self, x):
        x = _resize(x, self.input_size)
        x = F.gelu(self.bn(F.conv2d(x, self.t("stem.conv.weight")), "stem.bn"))
        x = self.taps["stem"](x)
        for i in range(3):
            p = f"stages.{i}"
            x = F.conv2d(x, self.t(p + ".conv1.weight"), padding=1)
            x = F.max_pool2d(x, 2)
            x = F.gelu(self.bn(x, p + ".bn1"))
            x = F.gelu(self.bn(F.conv2d(x, self.t(p + ".conv2.weight"), padding=1), p + ".bn2"))
            x = self.taps[f"stages_{i}"](x)
        return F.linear(x.amax((2, 3)), self.t("head.fc.weight")) * (1.0 / 9.0)


# ---- efficientnet_b0: torchvision's own -----------------------------------

_DS = {"conv_dw": "block.0.0", "bn1": "block.0.1", "se.conv_reduce": "block.1.fc1",
       "se.conv_expand": "block.1.fc2", "conv_pw": "block.2.0", "bn2": "block.2.1"}
_IR = {"conv_pw": "block.0.0", "bn1": "block.0.1", "conv_dw": "block.1.0", "bn2": "block.1.1",
       "se.conv_reduce": "block.2.fc1", "se.conv_expand": "block.2.fc2",
       "conv_pwl": "block.3.0", "bn3": "block.3.1"}
_TOP = {"conv_stem": "features.0.0", "bn1": "features.0.1", "conv_head": "features.8.0",
        "bn2": "features.8.1", "classifier": "classifier.1"}


def timm_to_torchvision(name):
    """The table in docs/MODELS.md."""
    m = re.fullmatch(r"blocks\.(\d+)\.(\d+)\.(.+)\.(\w+)", name)
    if m:
        stage, block, module, leaf = int(m[1]), int(m[2]), m[3], m[4]
        table = _DS if stage == 0 else _IR
        return f"features.{stage + 1}.{block}.{table[module]}.{leaf}"
    module, leaf = name.rsplit(".", 1)
    return f"{_TOP[module]}.{leaf}"


def efficientnet_b0(state, in_channels, n_classes, input_size):
    model = torchvision.models.efficientnet_b0(num_classes=n_classes)
    if in_channels != 3:
        model.features[0][0] = nn.Conv2d(in_channels, 32, 3, 2, 1, bias=False)
    model.load_state_dict({timm_to_torchvision(k): v for k, v in state.items()}, strict=True)
    if input_size:
        model.register_forward_pre_hook(lambda module, args: (_resize(args[0], input_size),))

    def layer(name):
        if name == "conv_head":
            return model.features[8][0]
        return model.features[int(name.split(".")[1]) + 1]

    return model, layer


def resnet18(state, in_channels, n_classes, input_size):
    model = torchvision.models.resnet18(num_classes=n_classes)
    model.conv1 = nn.Conv2d(in_channels, 64, 3, 1, 1, bias=False)
    model.maxpool = nn.Identity()
    model.load_state_dict(state, strict=True)
    if input_size:
        model.register_forward_pre_hook(lambda module, args: (_resize(args[0], input_size),))
    return model, model.get_submodule


def build(manifest, state):
    """(model in eval mode, layer name → module whose output is the CAM layer)."""
    m, d = manifest["model"], manifest["dataset"]
    arch, in_channels, n_classes = m["arch"], d["channels"], len(d["classes"])
    input_size = m.get("input_size", 0)
    if arch == "camtrail_net":
        model = CamtrailNetFromDocs(state, input_size)

        def layer(name):
            return model.taps[name.replace(".", "_")]
    elif arch == "efficientnet_b0":
        model, layer = efficientnet_b0(state, in_channels, n_classes, input_size)
    elif arch == "resnet18":
        model, layer = resnet18(state, in_channels, n_classes, input_size)
    else:
        raise ValueError(f"no independent reference for {arch!r}")
    return model.eval(), layer
