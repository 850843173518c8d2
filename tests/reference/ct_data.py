# SPDX-License-Identifier: GPL-3.0-or-later
"""Run directories and datasets, read with numpy for the reference checks and
benchmarks (the application reads them in C: src/core/ct-run.c and
ct-dataset.c).  Images come back as uint8 N×C×H×W, labels as uint8 N."""

import gzip
import json
import os
import re

import numpy as np

CIFAR_SIDE = 32


def load_manifest(run_dir):
    with open(os.path.join(run_dir, "manifest.json")) as f:
        return json.load(f)


def load_metrics(run_dir):
    with open(os.path.join(run_dir, "metrics.jsonl")) as f:
        return [json.loads(line) for line in f if line.strip()]


def checkpoint_path(run_dir, epoch):
    return os.path.join(run_dir, f"epoch-{epoch:03d}.safetensors")


def _read_cifar(paths, label_bytes):
    record = label_bytes + 3 * CIFAR_SIDE * CIFAR_SIDE
    chunks = []
    for path in paths:
        raw = np.fromfile(path, dtype=np.uint8)
        if raw.size % record != 0:
            raise ValueError(f"{path}: {raw.size} bytes is not a whole number of {record}-byte records")
        chunks.append(raw.reshape(-1, record))
    records = np.concatenate(chunks)
    # CIFAR-100 records are (coarse, fine, pixels): the fine label is last.
    labels = records[:, label_bytes - 1].copy()
    images = records[:, label_bytes:].reshape(-1, 3, CIFAR_SIDE, CIFAR_SIDE).copy()
    return images, labels


def _batch_key(name):
    # data_batch_2.bin before data_batch_10.bin, as ct-dataset.c sorts them.
    number = re.fullmatch(r"data_batch_0*(\d*)\.bin", name).group(1)
    return (len(number), number, name)


def _open_idx(directory, stem):
    path = os.path.join(directory, stem)
    if os.path.exists(path):
        with open(path, "rb") as f:
            return f.read()
    with gzip.open(path + ".gz", "rb") as f:
        return f.read()


def _read_idx(directory, prefix):
    images = np.frombuffer(_open_idx(directory, f"{prefix}-images-idx3-ubyte"), dtype=np.uint8)
    labels = np.frombuffer(_open_idx(directory, f"{prefix}-labels-idx1-ubyte"), dtype=np.uint8)
    n, h, w = (int.from_bytes(images[4 + 4 * i:8 + 4 * i].tobytes(), "big") for i in range(3))
    return images[16:].reshape(n, 1, h, w).copy(), labels[8:].copy()


def load_split(dataset_dir, split):
    """(images, labels) of @split ("train" or "test") of a CIFAR-10 binary,
    CIFAR-100 binary or IDX directory, in the order Camtrail indexes them."""
    names = os.listdir(dataset_dir)
    if "test_batch.bin" in names:
        if split == "test":
            return _read_cifar([os.path.join(dataset_dir, "test_batch.bin")], 1)
        batches = sorted((n for n in names if re.fullmatch(r"data_batch_\d+\.bin", n)), key=_batch_key)
        return _read_cifar([os.path.join(dataset_dir, n) for n in batches], 1)
    if "test.bin" in names and "train.bin" in names:
        return _read_cifar([os.path.join(dataset_dir, f"{split}.bin")], 2)
    return _read_idx(dataset_dir, "t10k" if split == "test" else "train")


def normalise(images, mean, std):
    """uint8 N×C×H×W → float32 (x/255 − mean)/std, computed in float32 in the
    same order as ct-image.c."""
    x = images.astype(np.float32) / np.float32(255.0)
    mean = np.asarray(mean, dtype=np.float32).reshape(1, -1, 1, 1)
    std = np.asarray(std, dtype=np.float32).reshape(1, -1, 1, 1)
    return (x - mean) / std


def write_quadrants(directory, n_train, n_test, seed=0):
    """A tiny learnable dataset in the real CIFAR-10 binary layout: 4 classes
    named in batches.meta.txt, class k a bright square in quadrant k on noise
    (the same recipe as tests/ct-test-data.c)."""
    rng = np.random.default_rng(seed)
    os.makedirs(directory, exist_ok=True)

    def batch(n, first):
        labels = (np.arange(n) + first) % 4
        pixels = 40 + rng.integers(-30, 31, size=(n, 3, CIFAR_SIDE, CIFAR_SIDE))
        for i, label in enumerate(labels):
            x0, y0 = (label % 2) * 16 + 3, (label // 2) * 16 + 3
            pixels[i, :, y0:y0 + 10, x0:x0 + 10] += 160
        records = np.concatenate([labels[:, None], pixels.reshape(n, -1)], axis=1)
        return np.clip(records, 0, 255).astype(np.uint8).tobytes()

    with open(os.path.join(directory, "data_batch_1.bin"), "wb") as f:
        f.write(batch(n_train, 0))
    with open(os.path.join(directory, "test_batch.bin"), "wb") as f:
        f.write(batch(n_test, 0))
    with open(os.path.join(directory, "batches.meta.txt"), "w") as f:
        f.write("top-left\ntop-right\nbottom-left\nbottom-right\n")
