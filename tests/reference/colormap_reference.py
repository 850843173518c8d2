#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every entry of Camtrail's colormaps against the libraries they come from.

Usage: colormap_reference.py DUMP_COLORMAP

Runs dump-colormap (ct_colormap_lookup() at each of the 256 byte levels)
and compares, entry by entry, jet with OpenCV's cv2.applyColorMap
(COLORMAP_JET, BGR turned to RGB: what pytorch-grad-cam draws) and viridis,
inferno and turbo with matplotlib's tables as bytes (what imshow draws).
TAP output, one check per colormap; a missing library is a failure.
"""

import subprocess
import sys

import numpy as np

try:
    import cv2
    import matplotlib
except ImportError as error:
    print("1..4")
    print(f"Bail out! {error}: scripts/install-deps --tests installs python3-opencv "
          "and python3-matplotlib")
    sys.exit(1)


def reference(name):
    if name == "jet":
        ramp = np.arange(256, dtype=np.uint8).reshape(1, 256)
        return cv2.applyColorMap(ramp, cv2.COLORMAP_JET)[0][:, ::-1].astype(int)
    return matplotlib.colormaps[name](np.arange(256), bytes=True)[:, :3].astype(int)


def main():
    lines = subprocess.run([sys.argv[1]], check=True, capture_output=True,
                           text=True).stdout.split("\n")
    ours = {}
    for line in filter(None, lines):
        name, level, r, g, b = line.split()
        ours.setdefault(name, np.zeros((256, 3), dtype=int))[int(level)] = (int(r), int(g), int(b))
    names = ["jet", "viridis", "inferno", "turbo"]
    print(f"1..{len(names)}")
    failed = False
    for n, name in enumerate(names, 1):
        if name not in ours:
            print(f"not ok {n} - {name}: not in dump-colormap's output")
            failed = True
            continue
        wrong = np.nonzero((ours[name] != reference(name)).any(axis=1))[0]
        if len(wrong):
            level = wrong[0]
            print(f"not ok {n} - {name}: {len(wrong)} of 256 levels differ, first {level}: "
                  f"{tuple(ours[name][level])} vs {tuple(reference(name)[level])}")
            failed = True
        else:
            print(f"ok {n} - {name}: all 256 levels equal the reference")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
