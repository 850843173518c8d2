#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Writes an image folder (torchvision's ImageFolder layout) from CIFAR-10's
binary batches, for bench/cache-image-folder: N_TRAIN images of
data_batch_1…5 and N_TEST of test_batch as DIR/{train,test}/CLASS/NNNNN.png,
every other one a JPEG (quality 90) instead.  Needs python3-pil.

  bench/make-image-folder.py CIFAR_DIR DIR [N_TRAIN [N_TEST]]
"""

import os
import sys

from PIL import Image

RECORD = 1 + 3 * 32 * 32


def records(paths, count):
    done = 0
    for path in paths:
        with open(path, "rb") as f:
            data = f.read()
        for start in range(0, len(data), RECORD):
            if done == count:
                return
            yield data[start], data[start + 1:start + RECORD]
            done += 1


def write_split(cifar, out, split, paths, count, classes):
    for index, (label, planes) in enumerate(records([os.path.join(cifar, p) for p in paths], count)):
        folder = os.path.join(out, split, classes[label])
        os.makedirs(folder, exist_ok=True)
        image = Image.merge("RGB", [Image.frombytes("L", (32, 32), planes[c * 1024:(c + 1) * 1024])
                                    for c in range(3)])
        if index % 2:
            image.save(os.path.join(folder, f"{index:05d}.jpg"), quality=90)
        else:
            image.save(os.path.join(folder, f"{index:05d}.png"))


def main():
    cifar, out = sys.argv[1], sys.argv[2]
    n_train = int(sys.argv[3]) if len(sys.argv) > 3 else 8000
    n_test = int(sys.argv[4]) if len(sys.argv) > 4 else 2000
    with open(os.path.join(cifar, "batches.meta.txt")) as f:
        classes = [line.strip() for line in f if line.strip()]
    write_split(cifar, out, "train", [f"data_batch_{i}.bin" for i in range(1, 6)], n_train, classes)
    write_split(cifar, out, "test", ["test_batch.bin"], n_test, classes)


if __name__ == "__main__":
    main()
