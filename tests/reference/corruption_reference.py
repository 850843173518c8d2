# SPDX-License-Identifier: GPL-3.0-or-later
"""Camtrail's CIFAR-10-C corruptions against the reference libraries.

Usage: corruption_reference.py DIR, where DIR holds dump-corruptions's
inputs.npy and corrupted.npy.  Prints TAP, one line per corruption.

The reference functions restate make_cifar_c.py (Hendrycks & Dietterich
2019) with the libraries it calls: skimage for gaussian_blur and the HSV
edits, OpenCV for the defocus disk, PIL for JPEG and pixelate.  Each returns
floats in [0, 1] before the published data set's uint8 cast.

Deterministic corruptions must agree to float32 precision, except where
Camtrail documents a difference: pixelate stays in float where Pillow rounds
each resampling pass to 8 bits (at most 2 levels apart).  Random ones
cannot agree value by value (different generators), so their change from
the clean image must agree in distribution: mean and spread, and for
impulse noise the share of values flipped.
"""

import io
import sys

import numpy as np

try:
    import cv2
    from PIL import Image
    from skimage import color
    from skimage.filters import gaussian
except ImportError as missing:
    print(f"Bail out! {missing}: run scripts/install-deps "
          "(python3-opencv, python3-pil, python3-skimage)")
    sys.exit(1)

SEVERITIES = {
    "gaussian_noise": [0.04, 0.06, 0.08, 0.09, 0.10],
    "shot_noise": [500, 250, 100, 75, 50],
    "impulse_noise": [0.01, 0.02, 0.03, 0.05, 0.07],
    "speckle_noise": [0.06, 0.10, 0.12, 0.16, 0.20],
    "gaussian_blur": [0.4, 0.6, 0.7, 0.8, 1.0],
    "defocus_blur": [(0.3, 0.4), (0.4, 0.5), (0.5, 0.6), (1, 0.2), (1.5, 0.1)],
    "brightness": [0.05, 0.1, 0.15, 0.2, 0.3],
    "contrast": [0.75, 0.5, 0.4, 0.3, 0.15],
    "saturate": [(0.3, 0), (0.1, 0), (1.5, 0), (2, 0.1), (2.5, 0.2)],
    "jpeg_compression": [80, 65, 58, 50, 40],
    "pixelate": [0.95, 0.9, 0.85, 0.75, 0.65],
}
# ct-corrupt.h's order of kinds.
KINDS = list(SEVERITIES)
RANDOM = {"gaussian_noise", "shot_noise", "impulse_noise", "speckle_noise"}
# Largest allowed difference in [0, 1] units for the deterministic kinds.
TOLERANCE = {"pixelate": 2.01 / 255}
FLOAT_TOLERANCE = 2e-6


def disk(radius, alias_blur):
    grid = np.arange(-8, 9)
    xs, ys = np.meshgrid(grid, grid)
    aliased = np.array(xs ** 2 + ys ** 2 <= radius ** 2, dtype=np.float32)
    aliased /= aliased.sum()
    return cv2.GaussianBlur(aliased, ksize=(3, 3), sigmaX=alias_blur)


def reference(kind, c, image, rng):
    """@image: uint8 H×W×3.  Returns float H×W×3 in [0, 1]."""
    x = image / 255.0
    if kind == "gaussian_noise":
        out = x + rng.normal(size=x.shape, scale=c)
    elif kind == "shot_noise":
        out = rng.poisson(x * c) / c
    elif kind == "impulse_noise":
        flipped = rng.random(x.shape) < c
        salted = rng.random(x.shape) < 0.5
        out = x.copy()
        out[flipped & salted] = 1
        out[flipped & ~salted] = 0
    elif kind == "speckle_noise":
        out = x + x * rng.normal(size=x.shape, scale=c)
    elif kind == "gaussian_blur":
        out = gaussian(x, sigma=c, channel_axis=-1)
    elif kind == "defocus_blur":
        kernel = disk(*c)
        out = np.stack([cv2.filter2D(x[:, :, d], -1, kernel) for d in range(3)], axis=-1)
    elif kind == "brightness":
        hsv = color.rgb2hsv(x)
        hsv[:, :, 2] = np.clip(hsv[:, :, 2] + c, 0, 1)
        out = color.hsv2rgb(hsv)
    elif kind == "contrast":
        means = x.mean(axis=(0, 1), keepdims=True)
        out = (x - means) * c + means
    elif kind == "saturate":
        hsv = color.rgb2hsv(x)
        hsv[:, :, 1] = np.clip(hsv[:, :, 1] * c[0] + c[1], 0, 1)
        out = color.hsv2rgb(hsv)
    elif kind == "jpeg_compression":
        buffer = io.BytesIO()
        Image.fromarray(image).save(buffer, "JPEG", quality=c)
        out = np.asarray(Image.open(buffer)) / 255.0
    elif kind == "pixelate":
        small = int(32 * c)
        resized = Image.fromarray(image).resize((small, small), Image.BOX)
        out = np.asarray(resized.resize((32, 32), Image.BOX)) / 255.0
    else:
        raise ValueError(kind)
    return np.clip(out, 0, 1)


def compare_random(kind, ours, refs, clean):
    """Returns a failure message or None."""
    ours_change = (ours - clean).ravel()
    refs_change = (refs - clean).ravel()
    if kind == "impulse_noise":
        # Camtrail's values are float32, the clean image float64.
        share = np.mean(np.abs(ours_change) > 1e-6)
        ref_share = np.mean(np.abs(refs_change) > 1e-6)
        if abs(share - ref_share) > 0.01:
            return f"flipped share {share:.4f} vs {ref_share:.4f}"
        return None
    spread, ref_spread = ours_change.std(), refs_change.std()
    if abs(spread - ref_spread) > 0.05 * ref_spread:
        return f"spread {spread:.5f} vs {ref_spread:.5f}"
    if abs(ours_change.mean() - refs_change.mean()) > 0.1 * ref_spread:
        return f"mean change {ours_change.mean():.5f} vs {refs_change.mean():.5f}"
    return None


def main():
    folder = sys.argv[1]
    inputs = np.load(f"{folder}/inputs.npy").astype(np.uint8).transpose(0, 2, 3, 1)
    corrupted = np.load(f"{folder}/corrupted.npy").transpose(0, 1, 2, 4, 5, 3)
    rng = np.random.default_rng(2019)
    clean = inputs / 255.0

    print(f"1..{len(KINDS)}")
    failed = False
    for k, kind in enumerate(KINDS):
        problems = []
        for s, c in enumerate(SEVERITIES[kind]):
            ours = corrupted[k, s].astype(np.float64)
            refs = np.stack([reference(kind, c, image, rng) for image in inputs])
            if kind in RANDOM:
                problem = compare_random(kind, ours, refs, clean)
                if problem:
                    problems.append(f"severity {s + 1}: {problem}")
                continue
            worst = np.abs(ours - refs).max()
            if worst > TOLERANCE.get(kind, FLOAT_TOLERANCE):
                problems.append(f"severity {s + 1}: max |difference| {worst:.3g} "
                                f"({worst * 255:.2f} levels)")
        if problems:
            failed = True
            print(f"not ok {k + 1} - {kind}")
            for problem in problems:
                print(f"# {problem}")
        else:
            print(f"ok {k + 1} - {kind}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
