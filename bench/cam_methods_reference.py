#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The comparison of bench/cam-methods.sh: for every CAM method, a grid of
checkpoints × images (5 × 8 by default, the window's grid) in Camtrail
against the same grid in a pytorch-grad-cam-style Python reimplementation
of the same method on the same weights and images.

Camtrail's side is bench/cam-latency --method M --no-floor: the engine's
CtCamSession, checkpoints preloaded, the clean images' logits cached after
the first grid, so each timed grid is the method on the 8 perturbed images
per checkpoint.  The reference's side is tests/reference/gradcam_reference.py's
cam(), written after pytorch-grad-cam's BaseCAM (forward hook, tensor hook,
one full backward() where the method uses gradients, numpy weights,
ScoreCAM's masked batches of 16 and AblationCAM's ablation layer with
batches of 32, as the library's defaults), post-processing included, on the
same 8 perturbed images per checkpoint (occlusion, noise, clip, then
normalisation, in numpy; a new seed every grid), the target being each
image's predicted class, as pytorch-grad-cam's targets=None.  Both sides
run with --threads intra-op threads.  On a shared machine the load moves
by more than the difference measured, so the two sides alternate grid by
grid: each iteration runs one Camtrail grid (a bench/cam-latency process
that loads the run, warms up with one grid and times the next) and then
one reference grid, and the ratio is the median of these paired ratios.

Prints, per method: Camtrail s, reference s (medians per grid), the median
paired ratio against the bar (≤ 0.5×), and for scorecam and ablationcam the
images per second (checkpoints × images / grid seconds) of both.  A
benchmark: it prints figures and asserts nothing.
"""

import argparse
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests", "reference"))
sys.dont_write_bytecode = True

BAR = 0.5  # Camtrail ≤ 0.5 × the reference's time, for every method
METHODS = ["gradcam", "hirescam", "gradcam-elementwise", "gradcam++", "xgradcam", "layercam",
           "eigencam", "eigengradcam", "scorecam", "ablationcam"]
SLOW = {"scorecam", "ablationcam"}


def camtrail_grid_seconds(program, args, method, iterations, warmup):
    """bench/cam-latency's median grid, in seconds."""
    command = [program, "--run", args.run, "--epochs", args.epochs, "--images", str(args.images),
               "--iterations", str(iterations), "--warmup", str(warmup),
               "--threads", str(args.threads),
               "--noise", str(args.noise), "--occlude", str(args.occlude), "--method", method,
               "--no-floor"]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    match = re.search(r"^RESULT .* median_ms=([0-9.]+) ", output, re.MULTILINE)
    if match is None:
        sys.exit(f"cam_methods_reference: no RESULT line from {' '.join(command)}:\n{output}")
    return float(match.group(1)) / 1e3


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--run", required=True)
    parser.add_argument("--cam-latency", required=True, help="the bench/cam-latency program")
    parser.add_argument("--epochs", default="0,1,2,3,4")
    parser.add_argument("--images", type=int, default=8)
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--iterations", type=int, default=3,
                        help="paired grids per method (scorecam, ablationcam: see --slow-iterations)")
    parser.add_argument("--slow-iterations", type=int, default=1,
                        help="paired grids for scorecam and ablationcam, without a warm-up grid on "
                             "either side (a grid takes minutes on a loaded machine; default 1)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--noise", type=float, default=0.1)
    parser.add_argument("--occlude", type=int, default=10)
    args = parser.parse_args()

    os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))
    import numpy as np
    import torch

    import ct_data
    import ct_models
    import gradcam_reference
    import safetensors_io
    from cam_latency_reference import normalise, perturb

    torch.set_num_threads(args.threads)
    manifest = ct_data.load_manifest(args.run)
    arch = manifest["model"]["arch"]
    layer_name = manifest["model"]["default_layer"]
    epochs = [int(e) for e in args.epochs.split(",")]
    images, _ = ct_data.load_split(manifest["dataset"]["path"], "test")
    images = images[:args.images]
    height, width = images.shape[2], images.shape[3]
    mean, std = manifest["dataset"]["mean"], manifest["dataset"]["std"]
    # Camtrail's layout for 3-channel input, so both sides run the same kernels.
    layout = torch.channels_last if images.shape[1] == 3 else torch.contiguous_format
    models = []
    for epoch in epochs:
        model = ct_models.build_from_manifest(manifest)
        model.load_state_dict(safetensors_io.load_torch(ct_data.checkpoint_path(args.run, epoch)),
                              strict=True)
        models.append(model.eval().to(memory_format=layout))
    cells = len(epochs) * len(images)

    print(f"cam_methods_reference: {arch}, layer {layer_name}, {len(epochs)} checkpoints × "
          f"{len(images)} images, noise σ={args.noise}, {args.occlude} occluded pixels, "
          f"{args.threads} threads, PyTorch {torch.__version__}; load average "
          f"{' '.join(open('/proc/loadavg').read().split()[:3])}")
    print(f"{'method':<20} {'Camtrail s':>11} {'reference s':>12} {'paired ratio':>13}  {'bar ≤ 0.5×':<10}"
          f" {'Camtrail img/s':>15} {'reference img/s':>16}")
    failures = []
    for method in args.methods.split(","):
        slow = method in SLOW
        iterations = args.slow_iterations if slow else args.iterations
        camtrail_seconds, seconds, ratios = [], [], []
        for i in range(0 if slow else -1, iterations):
            if i >= 0:
                camtrail_seconds.append(camtrail_grid_seconds(args.cam_latency, args, method, 1,
                                                              0 if slow else 1))
            rng = np.random.default_rng(i + 2)
            started = time.perf_counter()
            batch = torch.from_numpy(normalise(perturb(images, args.noise, args.occlude, rng),
                                               mean, std)).contiguous(memory_format=layout)
            for model in models:
                gradcam_reference.cam(method, model, model.get_submodule(layer_name), batch,
                                      "predicted", None, height, width)
            if i >= 0:
                seconds.append(time.perf_counter() - started)
                ratios.append(camtrail_seconds[-1] / seconds[-1])
        camtrail = float(np.median(camtrail_seconds))
        reference = float(np.median(seconds))

        ratio = float(np.median(ratios))
        verdict = "meets" if ratio <= BAR else "misses"
        if ratio > BAR:
            failures.append(method)
        rates = (f" {cells / camtrail:15.3g} {cells / reference:16.3g}" if method in SLOW else "")
        print(f"{method:<20} {camtrail:11.3f} {reference:12.3f} {ratio:12.2f}×  {verdict:<10}{rates}",
              flush=True)
    print(f"load average after: {' '.join(open('/proc/loadavg').read().split()[:3])}")
    print("bar (every method ≤ 0.5 × the reference): "
          + ("met" if not failures else f"missed by {', '.join(failures)}"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
