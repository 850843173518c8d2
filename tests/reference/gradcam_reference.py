# SPDX-License-Identifier: GPL-3.0-or-later
"""Checks Camtrail's Grad-CAM against an independent PyTorch eager reference.

Usage: gradcam_reference.py RUN_DIR CAMS.npy CELLS.json [--data DIR] [--tolerance T]

CAMS.npy and CELLS.json come from `camtrail-cli cam --npy … --json …` on
unperturbed images, with any --target and --cam-scale.  For every epoch in them, the
checkpoint is loaded with load_state_dict(strict=True) into a PyTorch model
built here (torchvision's resnet18 with the CIFAR stem, or the mirrors in
ct_models.py), and Grad-CAM is computed the way pytorch-grad-cam does it:
a forward hook on the target layer keeps its output and a tensor hook its
gradient, one full backward() of the summed target logits, then in numpy
α = mean of the gradient over the map, cam = ReLU(Σ_k α_k A^k), per-image
min-max, bilinear resize to the image size (torch's interpolate with
half-pixel centres, as cv2.resize INTER_LINEAR upscales), min-max again.
--cam-scale raw stops after ReLU and resize; shared then min-max scales
each image's maps over all epochs together.

Prints the largest heatmap and probability differences per epoch; exits 1
when a heatmap differs by more than the tolerance (default 1e-4), a
probability by more than 1e-5, or a predicted or target class differs.
"""

import argparse
import json
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ct_data  # noqa: E402
import ct_models  # noqa: E402
import safetensors_io  # noqa: E402

PROBABILITY_TOLERANCE = 1e-5


def minmax(cam):
    """pytorch-grad-cam's scale_cam_image normalisation of one float32 map."""
    cam = cam - np.min(cam)
    return cam / (1e-7 + np.max(cam))


def resize(cam, height, width):
    """cv2.resize(cam, (width, height)) with INTER_LINEAR, for upscaling."""
    t = torch.from_numpy(np.ascontiguousarray(cam, dtype=np.float32))[None, None]
    return F.interpolate(t, size=(height, width), mode="bilinear", align_corners=False)[0, 0].numpy()


class ActivationsAndGradients:
    """Keeps the target layer's output and, after backward(), its gradient."""

    def __init__(self, layer):
        self.activations = None
        self.gradients = None
        self.handle = layer.register_forward_hook(self._forward_hook)

    def _forward_hook(self, module, inputs, output):
        self.activations = output.detach()

        def store_gradient(grad):
            self.gradients = grad.detach()

        output.register_hook(store_gradient)

    def remove(self):
        self.handle.remove()


def target_classes(rule, logits, labels):
    if rule == "predicted":
        return logits.argmax(1).tolist()
    if rule == "label":
        return [int(label) for label in labels]
    if rule.startswith("class "):
        return [int(rule.split()[1])] * logits.shape[0]
    raise ValueError(f"unknown target rule {rule!r}")


def grad_cam(model, layer_name, x, rule, labels, height, width, scale="image"):
    """Returns (heatmaps N×H×W float32, logits N×K, targets) for batch @x;
    for @scale "raw" and "shared" the maps after ReLU and resize only."""
    hooks = ActivationsAndGradients(model.get_submodule(layer_name))
    try:
        x = x.clone().requires_grad_(True)
        model.zero_grad(set_to_none=True)
        logits = model(x)
        targets = target_classes(rule, logits.detach(), labels)
        loss = sum(logits[i, t] for i, t in enumerate(targets))
        loss.backward()
        activations = hooks.activations.numpy()
        gradients = hooks.gradients.numpy()
    finally:
        hooks.remove()

    weights = np.mean(gradients, axis=(2, 3))
    cams = (weights[:, :, None, None] * activations).sum(axis=1)
    cams = np.maximum(cams, 0)
    if scale == "image":
        heatmaps = np.stack([minmax(resize(minmax(cam), height, width)) for cam in cams])
    else:
        heatmaps = np.stack([resize(cam.astype(np.float32), height, width) for cam in cams])
    return heatmaps.astype(np.float32), logits.detach().double(), targets


def scale_columns(rows):
    """--cam-scale shared: one min-max per image over all epochs' maps."""
    rows = np.array(rows, dtype=np.float64)
    lo = rows.min(axis=(0, 2, 3), keepdims=True)
    hi = rows.max(axis=(0, 2, 3), keepdims=True)
    return ((rows - lo) / (1e-7 + (hi - lo))).astype(np.float32)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("run")
    parser.add_argument("npy")
    parser.add_argument("json")
    parser.add_argument("--data", help="dataset directory (default: the manifest's)")
    parser.add_argument("--tolerance", type=float, default=1e-4)
    parser.add_argument("--layout", choices=["camtrail", "default", "channels-last"],
                        default="camtrail",
                        help="PyTorch's memory layout for the reference: the one Camtrail uses "
                             "(channels-last for 3-channel input, the default layout for 1-channel; "
                             "the default), or a given one")
    args = parser.parse_args()

    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "2")))
    manifest = ct_data.load_manifest(args.run)
    with open(args.json) as f:
        cells = json.load(f)
    camtrail = np.load(args.npy)

    arch = manifest["model"]["arch"]
    layer = cells["layer"]
    scale = cells["scale"]
    if scale not in ("image", "raw", "shared") or cells["perturbation"] != "none":
        sys.exit(f"{args.json}: expected unperturbed images, "
                 f"got scale {scale!r}, perturbation {cells['perturbation']!r}")
    epochs = cells["epochs"]
    indices = [image["index"] for image in cells["images"]]
    images, labels = ct_data.load_split(args.data or manifest["dataset"]["path"], "test")
    images, labels = images[indices], labels[indices]
    if list(labels) != [image["label"] for image in cells["images"]]:
        sys.exit(f"{args.json}: the labels differ from the dataset's: wrong --data?")
    height, width = images.shape[2], images.shape[3]
    if camtrail.shape != (len(epochs), len(indices), 1, height, width):
        sys.exit(f"{args.npy}: shape {camtrail.shape}, expected "
                 f"{(len(epochs), len(indices), 1, height, width)}")
    x = torch.from_numpy(ct_data.normalise(images, manifest["dataset"]["mean"],
                                           manifest["dataset"]["std"]))
    # Camtrail runs 3-channel models channels-last (src/torch/ct-torch.cpp,
    # CtModel::channels_last): the same values, another order of float
    # additions.  The reference runs the same layout, and the other layout
    # is printed beside it as a diagnostic of PyTorch's own spread.
    if args.layout == "camtrail":
        channels_last = x.shape[1] == 3
    else:
        channels_last = args.layout == "channels-last"
    layout = torch.channels_last if channels_last else torch.contiguous_format
    other_layout = torch.contiguous_format if channels_last else torch.channels_last
    x_other = x.contiguous(memory_format=other_layout)
    x = x.contiguous(memory_format=layout)
    layout_name = "channels-last" if channels_last else "default"
    other_name = "default" if channels_last else "channels-last"

    print(f"# {arch}, layer {layer}, epochs {epochs}, images {indices}, target {cells['target']}, "
          f"scale {scale}, PyTorch {layout_name} layout")
    failures = []
    worst_heatmap = worst_probability = 0.0
    results = []
    for row, epoch in enumerate(epochs):
        model = ct_models.build_from_manifest(manifest)
        # strict=True: every name, shape and buffer of the checkpoint must be
        # the PyTorch model's (timm / torchvision naming).
        model.load_state_dict(safetensors_io.load_torch(ct_data.checkpoint_path(args.run, epoch)),
                              strict=True)
        model.eval().to(memory_format=layout)
        heatmaps, logits, targets = grad_cam(model, layer, x, cells["target"], labels, height, width,
                                             scale)
        # Not asserted: PyTorch in the other layout (libtorch's other
        # convolution kernels), as a measure of PyTorch's own spread.
        model.to(memory_format=other_layout)
        other, _, _ = grad_cam(model, layer, x_other, cells["target"], labels, height, width, scale)
        results.append((heatmaps, other, logits, targets))
    if scale == "shared":
        shared = scale_columns([r[0] for r in results])
        shared_other = scale_columns([r[1] for r in results])
        results = [(shared[i], shared_other[i], r[2], r[3]) for i, r in enumerate(results)]

    for row, epoch in enumerate(epochs):
        heatmaps, other, logits, targets = results[row]
        probabilities = torch.softmax(logits, 1).numpy()
        # Raw maps keep their magnitudes, small or large: the tolerance is
        # relative to the largest.
        tolerance = args.tolerance
        if scale == "raw":
            tolerance *= max(float(np.max(np.abs(heatmaps))), 1e-30)

        heatmap_diff = float(np.max(np.abs(heatmaps - camtrail[row, :, 0])))
        json_cells = cells["rows"][row]["cells"]
        probability_diff = max(float(np.max(np.abs(np.array(c["probabilities"]) - p)))
                               for c, p in zip(json_cells, probabilities))
        predicted = [int(c["predicted"]) for c in json_cells]
        reference_predicted = probabilities.argmax(1).tolist()
        used = [int(c["target"]) for c in json_cells]
        worst_heatmap = max(worst_heatmap, heatmap_diff)
        worst_probability = max(worst_probability, probability_diff)
        print(f"epoch {epoch:3d}: heatmap max|Δ| = {heatmap_diff:.3e}   probability max|Δ| = "
              f"{probability_diff:.3e}   predicted {predicted}"
              + ("" if predicted == reference_predicted else f" (reference {reference_predicted})"))
        print(f"           diagnostic: PyTorch in the {other_name} layout is max|Δ| = "
              f"{float(np.max(np.abs(other - camtrail[row, :, 0]))):.3e} from Camtrail, "
              f"{float(np.max(np.abs(other - heatmaps))):.3e} from PyTorch in the {layout_name} layout")

        if heatmap_diff > tolerance:
            failures.append(f"epoch {epoch}: heatmaps differ by {heatmap_diff:.3e} > {tolerance:g}")
        if probability_diff > PROBABILITY_TOLERANCE:
            failures.append(f"epoch {epoch}: probabilities differ by {probability_diff:.3e} "
                            f"> {PROBABILITY_TOLERANCE:g}")
        if predicted != reference_predicted:
            failures.append(f"epoch {epoch}: predicted {predicted}, reference {reference_predicted}")
        if used != targets:
            failures.append(f"epoch {epoch}: target classes {used}, reference {targets}")

    print(f"summary: {arch} {layer} max|Δ|={worst_heatmap:.2e} prob max|Δ|={worst_probability:.2e} "
          f"epochs={len(epochs)} images={len(indices)}")
    for failure in failures:
        print(f"FAIL: {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
