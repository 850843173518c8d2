# SPDX-License-Identifier: GPL-3.0-or-later
"""Checks Camtrail's CAMs against an independent PyTorch eager reference.

Usage: gradcam_reference.py RUN_DIR CAMS.npy CELLS.json [--data DIR] [--tolerance T]

CAMS.npy and CELLS.json come from `camtrail-cli cam --npy … --json …` on
unperturbed images or images turned by a fixed `--rotate` (turned here by
torchvision's own rotate), with any --method, --target and --cam-scale
(the JSON names them).  For every epoch in them, the checkpoint is loaded with
load_state_dict(strict=True) into a PyTorch model built here (torchvision's
resnet18 with the CIFAR stem, or the mirrors in ct_models.py; with --model
independent, independent_models.py: camtrail_net written from
docs/MODELS.md, torchvision's own efficientnet_b0), and the CAM
is computed the way pytorch-grad-cam does it: a forward hook on the target
layer keeps its output and a tensor hook its gradient, one full backward()
of the summed target logits (for the methods that use gradients), then in
NumPy float32 the method's map from activations and gradients (cam_maps(),
score_cam_weights() and ablation_cam_weights() below, written from
pytorch-grad-cam's get_cam_weights / get_cam_image / get_2d_projection /
AblationLayer), ReLU, per-image min-max, bilinear resize to the image size
(torch's interpolate with half-pixel centres, as cv2.resize INTER_LINEAR
upscales), min-max again.  --cam-scale raw stops after ReLU and resize;
shared then min-max scales each image's maps over all epochs together.

Prints the largest heatmap and probability differences per epoch; exits 1
when a heatmap differs by more than the tolerance (default 1e-4), a
probability by more than 1e-5, or a predicted or target class differs.
"""

import argparse
import json
import os
import re
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ct_data  # noqa: E402
import ct_models  # noqa: E402
import independent_models  # noqa: E402
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


# The sign of a singular vector is arbitrary: LAPACK's choice follows the
# signs of the Householder reflections, so inputs a rounding apart can get
# opposite signs (seen on one image in 18 at a 1.5% singular value gap).
# main() also draws the maps with the other sign and counts the images that
# match that one instead.
SVD_SIGN = 1.0


def projection(activation_batch):
    """pytorch-grad-cam's get_2d_projection: the first principal component."""
    activation_batch = activation_batch.copy()
    activation_batch[np.isnan(activation_batch)] = 0
    projections = []
    for activations in activation_batch:
        reshaped = activations.reshape(activations.shape[0], -1).transpose()
        # Centred per channel before the SVD, as the reference does.
        reshaped = reshaped - reshaped.mean(axis=0)
        _, _, vt = np.linalg.svd(reshaped, full_matrices=True)
        projections.append((reshaped @ (SVD_SIGN * vt[0, :])).reshape(activations.shape[1:]))
    return np.float32(projections)


def cam_maps(method, activations, gradients):
    """The map before ReLU of each method, N×h×w, from N×K×h×w float32 arrays."""
    if method == "gradcam":
        weights = np.mean(gradients, axis=(2, 3))
    elif method == "gradcam++":
        grads_power_2 = gradients ** 2
        grads_power_3 = grads_power_2 * gradients
        sum_activations = np.sum(activations, axis=(2, 3))
        aij = grads_power_2 / (2 * grads_power_2
                               + sum_activations[:, :, None, None] * grads_power_3 + 0.000001)
        aij = np.where(gradients != 0, aij, 0)
        weights = np.sum(np.maximum(gradients, 0) * aij, axis=(2, 3))
    elif method == "xgradcam":
        sum_activations = np.sum(activations, axis=(2, 3))
        weights = gradients * activations / (sum_activations[:, :, None, None] + 1e-7)
        weights = weights.sum(axis=(2, 3))
    elif method == "hirescam":
        return (gradients * activations).sum(axis=1)
    elif method == "gradcam-elementwise":
        return np.maximum(gradients * activations, 0).sum(axis=1)
    elif method == "layercam":
        return (np.maximum(gradients, 0) * activations).sum(axis=1)
    elif method == "eigencam":
        return projection(activations)
    elif method == "eigengradcam":
        return projection(gradients * activations)
    else:
        raise ValueError(f"unknown method {method!r}")
    return (weights[:, :, None, None] * activations).sum(axis=1)


def score_cam_weights(model, x, activations, targets, batch_size=16):
    """pytorch-grad-cam's ScoreCAM.get_cam_weights: softmax over the channels
    of the target logit on the image masked by each upsampled, min-max
    scaled activation map."""
    with torch.no_grad():
        upsample = torch.nn.UpsamplingBilinear2d(size=x.shape[-2:])
        upsampled = upsample(torch.from_numpy(activations))
        maxs = upsampled.view(upsampled.size(0), upsampled.size(1), -1).max(dim=-1)[0]
        mins = upsampled.view(upsampled.size(0), upsampled.size(1), -1).min(dim=-1)[0]
        maxs, mins = maxs[:, :, None, None], mins[:, :, None, None]
        upsampled = (upsampled - mins) / (maxs - mins + 1e-8)
        input_tensors = x[:, None, :, :] * upsampled[:, :, None, :, :]
        scores = []
        for target, tensor in zip(targets, input_tensors):
            for i in range(0, tensor.size(0), batch_size):
                batch = tensor[i: i + batch_size, :]
                scores.extend(float(o[target]) for o in model(batch))
        scores = torch.Tensor(scores).view(activations.shape[0], activations.shape[1])
        return torch.nn.Softmax(dim=-1)(scores).numpy()


class AblationLayer:
    """pytorch-grad-cam's AblationLayer as a forward hook: the target layer's
    output becomes the image's cached activations, repeated once per row,
    each row with its channel ablated in the reference's own loop."""

    def __init__(self):
        self.activations = None
        self.indices = None

    def set_next_batch(self, input_batch_index, activations, num_channels_to_ablate):
        self.activations = activations[input_batch_index, :, :, :].clone() \
            .unsqueeze(0).repeat(num_channels_to_ablate, 1, 1, 1)

    def __call__(self, module, inputs, output):
        output = self.activations
        for i in range(output.size(0)):
            if torch.min(output) == 0:
                output[i, self.indices[i], :] = 0
            else:
                output[i, self.indices[i], :] = torch.min(output) - 1e7
        return output


def ablation_cam_weights(model, layer, x, activations, targets, batch_size=32):
    """pytorch-grad-cam's AblationCAM.get_cam_weights, every channel ablated."""
    with torch.no_grad():
        outputs = model(x)
        original_scores = np.float32([float(o[t]) for t, o in zip(targets, outputs)])
        activations_tensor = torch.from_numpy(activations).contiguous()
        ablation_layer = AblationLayer()
        handle = layer.register_forward_hook(ablation_layer)
        try:
            number_of_channels = activations.shape[1]
            weights = []
            for batch_index, (target, tensor) in enumerate(zip(targets, x)):
                new_scores = []
                batch_tensor = tensor.repeat(batch_size, 1, 1, 1)
                ablation_layer.indices = np.int32(range(number_of_channels))
                for i in range(0, number_of_channels, batch_size):
                    if i + batch_size > number_of_channels:
                        batch_tensor = batch_tensor[:(number_of_channels - i)]
                    ablation_layer.set_next_batch(batch_index, activations_tensor,
                                                  batch_tensor.size(0))
                    new_scores.extend(float(o[target]) for o in model(batch_tensor))
                    ablation_layer.indices = ablation_layer.indices[batch_tensor.size(0):]
                weights.extend(new_scores)
        finally:
            handle.remove()
    weights = np.float32(weights).reshape(activations.shape[:2])
    original_scores = original_scores[:, None]
    return (original_scores - weights) / original_scores


USES_GRADIENTS = {"eigencam": False, "scorecam": False, "ablationcam": False}


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


def cam(method, model, layer, x, rule, labels, height, width, scale="image"):
    """Returns (heatmaps N×H×W float32, logits N×K, targets) for batch @x;
    for @scale "raw" and "shared" the maps after ReLU and resize only.
    @layer is the module whose output is the CAM layer."""
    hooks = ActivationsAndGradients(layer)
    try:
        x = x.clone().requires_grad_(True)
        model.zero_grad(set_to_none=True)
        logits = model(x)
        targets = target_classes(rule, logits.detach(), labels)
        gradients = None
        if USES_GRADIENTS.get(method, True):
            loss = sum(logits[i, t] for i, t in enumerate(targets))
            loss.backward()
            gradients = hooks.gradients.numpy()
        activations = hooks.activations.numpy()
    finally:
        hooks.remove()

    if method == "scorecam":
        weights = score_cam_weights(model, x.detach(), activations, targets)
        cams = (weights[:, :, None, None] * activations).sum(axis=1)
    elif method == "ablationcam":
        weights = ablation_cam_weights(model, layer, x.detach(),
                                       activations, targets)
        cams = (weights[:, :, None, None] * activations).sum(axis=1)
    else:
        cams = cam_maps(method, activations, gradients)
    cams = np.maximum(cams, 0)
    if scale == "image":
        heatmaps = np.stack([minmax(resize(minmax(cam), height, width)) for cam in cams])
    else:
        heatmaps = np.stack([resize(cam.astype(np.float32), height, width) for cam in cams])
    return heatmaps.astype(np.float32), logits.detach().double(), targets


def parse_rotation(perturbation):
    """(degrees, interpolation) of Camtrail's description of a fixed
    rotation ("rotation 90° (nearest)"), (0, None) for "none", None for any
    other perturbation (noise and occlusion draw from Camtrail's own RNG,
    which a reference would have to copy)."""
    if perturbation == "none":
        return 0.0, None
    match = re.fullmatch(r"rotation (-?[0-9.]+)° \((nearest|bilinear)\)", perturbation)
    if match is None:
        return None
    return float(match.group(1)), match.group(2)


def rotate(images, degrees, interpolation):
    """uint8 N×C×H×W → the same turned by @degrees with torchvision's own
    rotate (counter-clockwise on screen, about the centre, zero padding
    outside: fill=None, since a fill blends in a sampled mask that would
    dim the border's bilinear samples a second time), on
    the [0, 1] pixels as Camtrail perturbs them (bilinear), back on the 0–255
    scale for normalise()."""
    if interpolation is None:
        return images
    import torchvision.transforms.functional as TF
    from torchvision.transforms import InterpolationMode

    if interpolation == "nearest":
        # Nearest picks pixels: the uint8 values move unchanged.
        return TF.rotate(torch.from_numpy(images), degrees,
                         interpolation=InterpolationMode.NEAREST).numpy()
    unit = torch.from_numpy(images.astype(np.float32) / np.float32(255.0))
    turned = TF.rotate(unit, degrees, interpolation=InterpolationMode.BILINEAR)
    return turned.numpy() * np.float32(255.0)


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
    parser.add_argument("--model", choices=["mirror", "independent"], default="mirror",
                        help="mirror: ct_models.py's modules, written after the C++ (the default); "
                             "independent: independent_models.py, written from docs/MODELS.md "
                             "and torchvision's own models")
    args = parser.parse_args()

    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "2")))
    manifest = ct_data.load_manifest(args.run)
    with open(args.json) as f:
        cells = json.load(f)
    camtrail = np.load(args.npy)

    arch = manifest["model"]["arch"]
    layer = cells["layer"]
    method = cells["method"]
    scale = cells["scale"]
    if scale not in ("image", "raw", "shared"):
        sys.exit(f"{args.json}: unknown scale {scale!r}")
    rotation = parse_rotation(cells["perturbation"])
    if rotation is None:
        sys.exit(f"{args.json}: expected unperturbed or rotated images, "
                 f"got perturbation {cells['perturbation']!r}")
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
    x = torch.from_numpy(ct_data.normalise(rotate(images, *rotation), manifest["dataset"]["mean"],
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

    print(f"# {method}, {arch} ({args.model} reference), layer {layer}, epochs {epochs}, images {indices}, target {cells['target']}, "
          f"scale {scale}, PyTorch {layout_name} layout")
    failures = []
    worst_heatmap = worst_probability = 0.0
    results = []
    for row, epoch in enumerate(epochs):
        state = safetensors_io.load_torch(ct_data.checkpoint_path(args.run, epoch))
        if args.model == "independent":
            model, layer_module = independent_models.build(manifest, state)
            target_layer = layer_module(layer)
        else:
            model = ct_models.build_from_manifest(manifest)
            # strict=True: every name, shape and buffer of the checkpoint must be
            # the PyTorch model's (timm / torchvision naming).
            model.load_state_dict(state, strict=True)
            target_layer = model.get_submodule(layer)
        model.eval().to(memory_format=layout)
        heatmaps, logits, targets = cam(method, model, target_layer, x, cells["target"], labels,
                                        height, width, scale)
        # Not asserted: PyTorch in the other layout (libtorch's other
        # convolution kernels), as a measure of PyTorch's own spread; for
        # Grad-CAM only, which keeps the check's time within its timeout.
        other = None
        if method == "gradcam":
            model.to(memory_format=other_layout)
            other, _, _ = cam(method, model, target_layer, x_other, cells["target"], labels, height,
                              width, scale)
        flipped = None
        if method in ("eigencam", "eigengradcam") and scale == "image":
            global SVD_SIGN
            SVD_SIGN = -1.0
            flipped, _, _ = cam(method, model, target_layer, x, cells["target"], labels,
                                height, width, scale)
            SVD_SIGN = 1.0
        results.append((heatmaps, other, logits, targets, flipped))
    if scale == "shared":
        shared = scale_columns([r[0] for r in results])
        shared_other = (scale_columns([r[1] for r in results]) if method == "gradcam"
                        else [None] * len(results))
        results = [(shared[i], shared_other[i], r[2], r[3], None) for i, r in enumerate(results)]

    sign_flips = 0
    for row, epoch in enumerate(epochs):
        heatmaps, other, logits, targets, flipped = results[row]
        # An image whose map matches the reference's with the singular
        # vector's other sign is compared with that one, and counted.
        if flipped is not None:
            heatmaps = heatmaps.copy()
            for i in range(len(heatmaps)):
                if (np.max(np.abs(flipped[i] - camtrail[row, i, 0]))
                        < np.max(np.abs(heatmaps[i] - camtrail[row, i, 0]))):
                    heatmaps[i] = flipped[i]
                    sign_flips += 1
                    print(f"epoch {epoch:3d}: image {indices[i]} matches the reference with the "
                          "first singular vector's other sign")
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
        if other is not None:
            print(f"           diagnostic: PyTorch in the {other_name} layout is max|Δ| = "
                  f"{float(np.max(np.abs(other - camtrail[row, :, 0]))):.3e} from Camtrail, "
                  f"{float(np.max(np.abs(other - heatmaps))):.3e} from PyTorch in the {layout_name} "
                  "layout")

        if heatmap_diff > tolerance:
            failures.append(f"epoch {epoch}: heatmaps differ by {heatmap_diff:.3e} > {tolerance:g}")
        if probability_diff > PROBABILITY_TOLERANCE:
            failures.append(f"epoch {epoch}: probabilities differ by {probability_diff:.3e} "
                            f"> {PROBABILITY_TOLERANCE:g}")
        if predicted != reference_predicted:
            failures.append(f"epoch {epoch}: predicted {predicted}, reference {reference_predicted}")
        if used != targets:
            failures.append(f"epoch {epoch}: target classes {used}, reference {targets}")

    # A sign convention of Camtrail's own (not LAPACK's) would flip most.
    if sign_flips * 2 > len(epochs) * len(indices):
        failures.append(f"{sign_flips} of {len(epochs) * len(indices)} maps match only with the "
                        "singular vector's other sign")
    print(f"summary: {arch} {layer} {method} max|Δ|={worst_heatmap:.2e} prob max|Δ|={worst_probability:.2e} "
          f"epochs={len(epochs)} images={len(indices)}"
          + (f" sign-flips={sign_flips}" if sign_flips else ""))
    for failure in failures:
        print(f"FAIL: {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
