# SPDX-License-Identifier: GPL-3.0-or-later
"""Checks core's ROAD imputation and RISE blur against references written
from their definitions, TAP output.

Usage: road_reference.py DIR   (DIR written by dump-road)

- ROAD (pytorch-grad-cam's metrics/road.py, after Rong et al.'s code):
  RemoveMostRelevantFirst keeps the pixels whose heatmap value is below
  np.percentile(heatmap, p), RemoveLeastRelevantFirst does the same with
  1 − heatmap (in float32, as the torch tensor is); NoisyLinearImputer sets
  up, per missing pixel, −(Σ weights of the neighbours inside) on the
  diagonal, the weight of each missing neighbour off it, and minus the
  weighted known neighbours on the right-hand side (edges 1/6, corners
  1/12), and solves it with SciPy's spsolve.  Its noise is left out here
  (noise=0); Camtrail draws its own.
- RISE's blur: gkern(11, 5) = scipy.ndimage.gaussian_filter of an impulse,
  applied per channel by torch's conv2d with zero padding 5 to the
  normalised image (here: the image minus the mean, std 1).
"""

import os
import sys

import numpy as np
import torch
import torch.nn.functional as F
from scipy.ndimage import gaussian_filter
from scipy.sparse import lil_matrix
from scipy.sparse.linalg import spsolve

NEIGHBOURS = [((1, 1), 1 / 12), ((0, 1), 1 / 6), ((-1, 1), 1 / 12), ((1, -1), 1 / 12),
              ((0, -1), 1 / 6), ((-1, -1), 1 / 12), ((1, 0), 1 / 6), ((-1, 0), 1 / 6)]
PERCENTILES = [10, 20, 30, 40, 50, 60, 70, 80, 90]
TOLERANCE = 1e-5


def keep_mask(heatmap, percentile, most_relevant_first):
    values = heatmap if most_relevant_first else (1 - torch.from_numpy(heatmap)).numpy()
    threshold = np.percentile(values, percentile)
    return np.float32(values < threshold)


def impute(image, keep):
    """image C×H×W, keep H×W (1 kept): the linear imputation, no noise."""
    channels, height, width = image.shape
    flat_keep = keep.reshape(-1)
    flat = image.reshape(channels, -1)
    missing = np.flatnonzero(flat_keep == 0)
    index_of = {int(p): i for i, p in enumerate(missing)}
    a = lil_matrix((len(missing), len(missing)))
    b = np.zeros((len(missing), channels))
    for i, p in enumerate(missing):
        y, x = divmod(int(p), width)
        inside = 0.0
        for (dy, dx), weight in NEIGHBOURS:
            yy, xx = y + dy, x + dx
            if not (0 <= yy < height and 0 <= xx < width):
                continue
            inside += weight
            q = yy * width + xx
            if flat_keep[q] > 0.5:
                b[i] -= weight * flat[:, q]
            else:
                a[i, index_of[q]] = weight
        a[i, i] = -inside
    solution = spsolve(a.tocsc(), b).reshape(len(missing), channels)
    out = flat.copy()
    out[:, missing] = solution.T
    return out.reshape(image.shape)


def blur(image, mean):
    impulse = np.zeros((11, 11))
    impulse[5, 5] = 1
    kernel = torch.from_numpy(gaussian_filter(impulse, 5).astype(np.float32))
    channels = image.shape[0]
    weights = torch.zeros(channels, channels, 11, 11)
    for c in range(channels):
        weights[c, c] = kernel
    normalised = torch.from_numpy(image - mean[:, None, None]).unsqueeze(0)
    out = F.conv2d(normalised, weights, padding=5)[0].numpy()
    return out + mean[:, None, None]


def main():
    directory = sys.argv[1]

    def load(name):
        return np.load(os.path.join(directory, name))

    images, heatmaps, mean = load("images.npy"), load("heatmaps.npy"), load("mean.npy")
    keep, imputed, blurred = load("keep.npy"), load("imputed.npy"), load("blurred.npy")
    n = images.shape[0]
    print(f"1..{2 * n + 1}")
    failed = 0
    test = 0
    for i in range(n):
        mask_diff = 0
        worst = 0.0
        for t in range(2 * len(PERCENTILES)):
            mask = keep_mask(heatmaps[i], PERCENTILES[t // 2], t % 2 == 0)
            mask_diff += int(np.sum(mask != keep[i, t]))
            if mask.sum() == 0:
                # Nothing kept: the reference's system is singular (spsolve
                # warns, NaN); Camtrail documents the mean colour instead.
                reference = np.broadcast_to(mean[:, None, None], images[i].shape)
            else:
                reference = impute(images[i].astype(np.float64), mask)
            worst = max(worst, float(np.max(np.abs(reference - imputed[i, t]))))
        test += 1
        ok = mask_diff == 0
        failed += not ok
        print(f"{'ok' if ok else 'not ok'} {test} - image {i}: ROAD masks at 10…90, both orders: "
              f"{mask_diff} pixels differ")
        test += 1
        ok = worst <= TOLERANCE
        failed += not ok
        print(f"{'ok' if ok else 'not ok'} {test} - image {i}: imputed images max|Δ| = {worst:.2e} "
              f"(spsolve; tolerance {TOLERANCE:g})")
    worst = max(float(np.max(np.abs(blur(images[i], mean) - blurred[i]))) for i in range(n))
    test += 1
    ok = worst <= TOLERANCE
    failed += not ok
    print(f"{'ok' if ok else 'not ok'} {test} - RISE blur max|Δ| = {worst:.2e} (tolerance {TOLERANCE:g})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
