#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The PyTorch side of bench/cam-latency.sh: on the same checkpoints and test
images as bench/cam-latency, times per grid (checkpoints × images):

  (a) the floor: the forward passes alone of the perturbed images under
      torch.no_grad(), one batch per checkpoint — what a slider move needs
      at the least (src/engine/ct-cam-job.c caches the clean logits) —
      timed in PyTorch's default layout and in channels-last (Camtrail's
      layout for 3-channel input); the faster of the two is the floor;
  (b) a pytorch-grad-cam-style grid: per grid the perturbation (occlusion,
      then noise, then a clip, in numpy) and normalisation, and per
      checkpoint a forward hook on the target layer, a tensor hook for its
      gradient, one full backward() of the summed predicted-class logits
      (weight gradients included, as pytorch-grad-cam leaves them on), then
      numpy post-processing (α, ReLU, min-max), a cv2-like bilinear resize
      through interpolate, min-max again, and softmax probabilities.

The two alternate within each iteration so that a change in the machine's
load affects both alike.  With --camtrail MEDIAN,P95 (bench/cam-latency's
figures in ms) it prints the comparison with the bars.  A benchmark: it
prints figures and asserts nothing.
"""

import argparse
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests", "reference"))
sys.dont_write_bytecode = True

RESNET18_FLOOR_BAR = 1.15  # resnet18: grid ≤ 1.15 × the forward-only floor
CAMTRAIL_NET_BAR_MS = 40.0  # camtrail_net: grid median ≤ 40 ms


def perturb(images, noise, occlude, rng):
    """uint8 N×C×H×W → float32 in [0, 1]: @occlude distinct pixels set to 0
    in every channel, then N(0, noise²) per value, then a clip."""
    import numpy as np

    x = images.astype(np.float32) / np.float32(255.0)
    n, c, h, w = x.shape
    for i in range(n):
        positions = rng.choice(h * w, size=occlude, replace=False)
        x[i].reshape(c, h * w)[:, positions] = 0.0
    x += rng.normal(0.0, noise, size=x.shape).astype(np.float32)
    return np.clip(x, 0.0, 1.0)


def normalise(x, mean, std):
    import numpy as np

    mean = np.asarray(mean, dtype=np.float32).reshape(1, -1, 1, 1)
    std = np.asarray(std, dtype=np.float32).reshape(1, -1, 1, 1)
    return (x - mean) / std


def pytorch_grad_cam(model, layer, x, height, width):
    """One checkpoint's heatmaps and probabilities, pytorch-grad-cam's way."""
    import numpy as np
    import torch
    import torch.nn.functional as F

    store = {}

    def forward_hook(module, inputs, output):
        store["activations"] = output.detach()
        output.register_hook(lambda grad: store.__setitem__("gradients", grad.detach()))

    handle = layer.register_forward_hook(forward_hook)
    try:
        model.zero_grad(set_to_none=True)
        x = x.clone().requires_grad_(True)
        logits = model(x)
        targets = np.argmax(logits.detach().numpy(), axis=-1)
        loss = sum(logits[i, t] for i, t in enumerate(targets))
        loss.backward()
    finally:
        handle.remove()

    activations = store["activations"].numpy()
    gradients = store["gradients"].numpy()
    weights = np.mean(gradients, axis=(2, 3))
    cams = np.maximum((weights[:, :, None, None] * activations).sum(axis=1), 0)
    heatmaps = []
    for cam in cams:
        cam = cam - np.min(cam)
        cam = cam / (1e-7 + np.max(cam))
        t = torch.from_numpy(np.ascontiguousarray(cam, dtype=np.float32))[None, None]
        cam = F.interpolate(t, size=(height, width), mode="bilinear", align_corners=False)[0, 0].numpy()
        cam = cam - np.min(cam)
        heatmaps.append(cam / (1e-7 + np.max(cam)))
    probabilities = torch.softmax(logits.detach().double(), 1).numpy()
    return np.float32(heatmaps), probabilities


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--run", required=True)
    parser.add_argument("--data", help="dataset directory (default: the manifest's)")
    parser.add_argument("--epochs", help="checkpoints, e.g. 0,1,2,3,4 (default: the first 5)")
    parser.add_argument("--images", type=int, default=8)
    parser.add_argument("--first-image", type=int, default=0)
    parser.add_argument("--iterations", type=int, default=50)
    parser.add_argument("--gradcam-iterations", type=int,
                        help="grids timed for (b) (default: --iterations); (a) always times --iterations")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--noise", type=float, default=0.1)
    parser.add_argument("--occlude", type=int, default=10)
    parser.add_argument("--layer", help="target layer (default: the run's)")
    parser.add_argument("--camtrail", help="bench/cam-latency's grid MEDIAN,P95 in ms and, optionally, "
                        "its grid/floor RATIO measured in one process, for the comparison")
    args = parser.parse_args()

    os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))
    import numpy as np
    import torch

    import ct_data
    import ct_models
    import safetensors_io

    torch.set_num_threads(args.threads)
    manifest = ct_data.load_manifest(args.run)
    arch = manifest["model"]["arch"]
    layer_name = args.layer or manifest["model"]["default_layer"]
    if args.epochs:
        epochs = [int(e) for e in args.epochs.split(",")]
    else:
        epochs = sorted(int(name[6:9]) for name in os.listdir(args.run)
                        if name.startswith("epoch-") and name.endswith(".safetensors"))[:5]
    images, _ = ct_data.load_split(args.data or manifest["dataset"]["path"], "test")
    images = images[args.first_image:args.first_image + args.images]
    height, width = images.shape[2], images.shape[3]
    mean, std = manifest["dataset"]["mean"], manifest["dataset"]["std"]
    clean = normalise(images.astype(np.float32) / np.float32(255.0), mean, std)

    models, models_cl = [], []
    for epoch in epochs:
        for group, layout in ((models, torch.contiguous_format), (models_cl, torch.channels_last)):
            model = ct_models.build_from_manifest(manifest)
            model.load_state_dict(safetensors_io.load_torch(ct_data.checkpoint_path(args.run, epoch)),
                                  strict=True)
            group.append(model.eval().to(memory_format=layout))

    print(f"cam_latency_reference: PyTorch {torch.__version__} eager, {arch}, layer {layer_name}, "
          f"{len(epochs)} checkpoints × {len(images)} images, "
          f"noise σ={args.noise}, {args.occlude} occluded pixels, {args.threads} threads")
    gradcam_iterations = min(args.gradcam_iterations or args.iterations, args.iterations)
    floor_ms, floor_default_ms, floor_cl_ms, gradcam_ms, paired = [], [], [], [], []
    for i in range(-args.warmup, args.iterations):
        rng = np.random.default_rng(i + args.warmup + 1)

        # (a) the floor: forward passes of the perturbed batch, no autograd.
        batch = torch.from_numpy(normalise(perturb(images, args.noise, args.occlude, rng), mean, std))
        batch_cl = batch.contiguous(memory_format=torch.channels_last)
        started = time.perf_counter()
        with torch.no_grad():
            for model in models:
                model(batch)
        floor_default = time.perf_counter() - started
        started = time.perf_counter()
        with torch.no_grad():
            for model in models_cl:
                model(batch_cl)
        floor_cl = time.perf_counter() - started
        floor = min(floor_default, floor_cl)
        if i >= 0:
            floor_default_ms.append(floor_default * 1e3)
            floor_cl_ms.append(floor_cl * 1e3)

        # (b) is slow: one untimed grid, then its own count of timed ones.
        if i >= gradcam_iterations or i < -1:
            if i >= 0:
                floor_ms.append(floor * 1e3)
            continue

        # (b) a pytorch-grad-cam-style grid, perturbation included.
        started = time.perf_counter()
        perturbed = normalise(perturb(images, args.noise, args.occlude, rng), mean, std)
        batch = torch.from_numpy(np.concatenate([clean, perturbed]))
        for model in models:
            pytorch_grad_cam(model, model.get_submodule(layer_name), batch, height, width)
        gradcam = time.perf_counter() - started

        if i >= 0:
            floor_ms.append(floor * 1e3)
            gradcam_ms.append(gradcam * 1e3)
            paired.append(gradcam / floor)

    floor_median, floor_p95 = np.percentile(floor_ms, [50, 95])
    gradcam_median, gradcam_p95 = np.percentile(gradcam_ms, [50, 95])
    print(f"  (a) forward-only floor:      median {floor_median:8.1f} ms, p95 {floor_p95:8.1f} ms "
          f"over {args.iterations} grids (the faster layout of each iteration; default layout "
          f"median {np.median(floor_default_ms):.1f} ms, channels-last {np.median(floor_cl_ms):.1f} ms)")
    print(f"  (b) pytorch-grad-cam style:  median {gradcam_median:8.1f} ms, p95 {gradcam_p95:8.1f} ms "
          f"over {gradcam_iterations} grids")

    print(f"  (b) / (a), paired per iteration: median {np.median(paired):.2f}×")

    if args.camtrail:
        values = [float(v) for v in args.camtrail.split(",")]
        median, p95 = values[:2]
        in_process = values[2] if len(values) > 2 else None
        print(f"  Camtrail grid:               median {median:8.1f} ms, p95 {p95:8.1f} ms")
        print(f"  Camtrail / PyTorch floor:    median {median / floor_median:.2f}×, p95 {p95 / floor_p95:.2f}× "
              f"(two processes, one after the other)")
        if in_process is not None:
            print(f"  Camtrail / libtorch floor:   median {in_process:.2f}× (paired in one process)")
        print(f"  Camtrail / pytorch-grad-cam: median {median / gradcam_median:.2f}×, "
              f"p95 {p95 / gradcam_p95:.2f}×")
        if arch == "resnet18":
            ratio = in_process if in_process is not None else median / floor_median
            verdict = "meets" if ratio <= RESNET18_FLOOR_BAR else "misses"
            print(f"  bar (resnet18 grid ≤ {RESNET18_FLOOR_BAR} × floor): {ratio:.2f}× → {verdict} it")
        elif arch == "camtrail_net":
            verdict = "meets" if median <= CAMTRAIL_NET_BAR_MS else "misses"
            print(f"  bar (camtrail_net grid median ≤ {CAMTRAIL_NET_BAR_MS:.0f} ms): {median:.1f} ms "
                  f"→ {verdict} it")
    print(f"RESULT arch={arch} floor_median_ms={floor_median:.3f} floor_p95_ms={floor_p95:.3f} "
          f"gradcam_median_ms={gradcam_median:.3f} gradcam_p95_ms={gradcam_p95:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
