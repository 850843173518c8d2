#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Writes the fuzzers' seed corpus, tests/fuzz/corpus/TARGET/*: small valid
files in each parser's format, framed as each target reads its input (see
the comment atop tests/fuzz/fuzz-TARGET.c).  Run it again after changing a
format; the output is deterministic."""

import gzip
import io
import json
import os
import random
import struct
import zipfile
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
rng = random.Random(6)


def write(target, name, data):
    directory = os.path.join(HERE, "corpus", target)
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, name), "wb") as f:
        f.write(data)


def cifar_record(label, coarse=None):
    prefix = bytes([coarse]) if coarse is not None else b""
    return prefix + bytes([label]) + bytes(rng.randrange(256) for _ in range(3072))


def cifar_seeds():
    write("cifar", "cifar10-1", b"\x00" + cifar_record(3))
    write("cifar", "cifar10-2-two-batches", b"\x04" + cifar_record(0) + cifar_record(9))
    names = b"red\ngreen\n\n"
    write("cifar", "cifar10-names", b"\x02" + struct.pack("<H", len(names)) + names + cifar_record(1))
    write("cifar", "cifar100-1", b"\x01" + cifar_record(42, coarse=7))
    names = "apple\npoire\nbanane\n".encode()
    write("cifar", "cifar100-names", b"\x03" + struct.pack("<H", len(names)) + names
          + cifar_record(2, coarse=0))


def gz(data):
    return gzip.compress(data, mtime=0)


def idx_seeds():
    n, rows, cols = 3, 4, 5
    images = struct.pack(">IIII", 0x803, n, rows, cols) + bytes(rng.randrange(256) for _ in range(n * rows * cols))
    labels = struct.pack(">II", 0x801, n) + bytes([0, 9, 4])
    for flags, name in ((0, "raw"), (1, "images-gz"), (2, "labels-gz"), (3, "both-gz")):
        i = gz(images) if flags & 1 else images
        l = gz(labels) if flags & 2 else labels
        write("idx", name, bytes([flags]) + struct.pack("<H", len(i)) + i + l)
    # Two gzip members back to back, as `cat a.gz b.gz` makes.
    i = gz(images[:10]) + gz(images[10:])
    write("idx", "images-two-members", b"\x01" + struct.pack("<H", len(i)) + i + labels)


def safetensors(tensors, metadata=None):
    header, data = {}, b""
    if metadata is not None:
        header["__metadata__"] = metadata
    for name, dtype, shape, payload in tensors:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + len(payload)]}
        data += payload
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + data


def safetensors_seeds():
    write("safetensors", "empty", safetensors([]))
    write("safetensors", "conv", safetensors(
        [("stem.conv.weight", "F32", [2, 1, 2, 2], struct.pack("<8f", *[0.5 * i for i in range(8)])),
         ("stem.bn.running_mean", "F32", [2], struct.pack("<2f", 0.1, -0.2)),
         ("stem.bn.num_batches_tracked", "I64", [], struct.pack("<q", 12))],
        {"format": "pt", "epoch": "3"}))
    write("safetensors", "dtypes", safetensors(
        [(d, d, [2], bytes(range(2 * s))) for d, s in
         (("F64", 8), ("F16", 2), ("BF16", 2), ("I32", 4), ("I16", 2), ("I8", 1), ("U8", 1), ("BOOL", 1))]
        + [("zero", "F32", [3, 0], b"")]))


def manifest():
    return {
        "format": "camtrail-run-1",
        "model": {"arch": "camtrail_net", "width": 8, "input_size": 32, "default_layer": "stages.1",
                  "layers": [{"name": "stages.0", "channels": 32, "height": 15, "width": 15},
                             {"name": "stages.1", "channels": 32, "height": 7, "width": 7}]},
        "dataset": {"name": "cifar-10", "path": "/data/cifar", "classes": ["red", "green", "blue", "white"],
                    "channels": 3, "image_size": 32, "mean": [0.25, 0.25, 0.3], "std": [0.2, 0.21, 0.19],
                    "train_images": 256},
        "training": {"epochs": 2, "batch_size": 64, "lr": 0.2, "warmup_epochs": 1.0, "momentum": 0.85,
                     "nesterov": True, "weight_decay": 0.0005, "label_smoothing": 0.2, "flip": True,
                     "translate": 2, "seed": "18446744073709551615"},
        "versions": {"camtrail": "0.1.0", "libtorch": "1.13.1"},
        "created": "2026-11-26T08:00:00Z",
    }


def manifest_seeds():
    m = manifest()
    write("manifest", "cifar", json.dumps(m, indent=2).encode())
    m["dataset"].update(name="fashion-mnist", channels=1, mean=[0.28], std=[0.35],
                        classes=["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                                 "Sneaker", "Bag", "Ankle boot"])
    m["model"].update(arch="resnet18", width=0, layers=[], default_layer="layer4")
    write("manifest", "fashion-grey", json.dumps(m, ensure_ascii=False).encode())


def metrics_seeds():
    lines = [{"epoch": 0, "train_loss": None, "train_accuracy": None, "test_loss": 1.386, "test_accuracy": 0.25,
              "seconds": 0.0, "images_per_second": None}]
    for epoch in (1, 2):
        lines.append({"epoch": epoch, "train_loss": 1.2 / epoch, "train_accuracy": 0.4 * epoch,
                      "test_loss": 1.1 / epoch, "test_accuracy": 0.45 * epoch, "seconds": 0.61,
                      "images_per_second": 419.7})
    write("metrics", "three-epochs", "".join(json.dumps(l) + "\n" for l in lines).encode())
    write("metrics", "blank-lines", b"\n" + json.dumps(lines[1]).encode() + b"\n\n")


def png_chunk(kind, payload):
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def png(width, height, colour_type, bit_depth, rows, extra=()):
    out = b"\x89PNG\r\n\x1a\n"
    out += png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0))
    for kind, payload in extra:
        out += png_chunk(kind, payload)
    out += png_chunk(b"IDAT", zlib.compress(b"".join(b"\x00" + r for r in rows)))
    out += png_chunk(b"tEXt", b"Software\x00Camtrail 0.1.0")
    return out + png_chunk(b"IEND", b"")


def png_seeds():
    w, h = 6, 4
    write("png", "rgba", png(w, h, 6, 8, [bytes(rng.randrange(256) for _ in range(4 * w)) for _ in range(h)],
                             extra=[(b"iTXt", b"camtrail:title\x00\x00\x00\x00\x00\xc3\xa9poque 3")]))
    write("png", "rgb", png(w, h, 2, 8, [bytes(rng.randrange(256) for _ in range(3 * w)) for _ in range(h)]))
    write("png", "grey16", png(w, h, 0, 16, [bytes(rng.randrange(256) for _ in range(2 * w)) for _ in range(h)]))
    write("png", "palette-trns", png(w, h, 3, 4, [bytes(rng.randrange(256) for _ in range(3)) for _ in range(h)],
                                     extra=[(b"PLTE", bytes(range(48))), (b"tRNS", b"\x00\x80")]))
    write("png", "grey1-ztxt", png(16, 2, 0, 1, [b"\xa5\x5a", b"\xff\x00"],
                                   extra=[(b"zTXt", b"Comment\x00\x00" + zlib.compress(b"caf\xe9"))]))


def image_png_seeds():
    w, h = 5, 3

    def rows(bytes_per_row):
        return [bytes(rng.randrange(256) for _ in range(bytes_per_row)) for _ in range(h)]

    write("image-png", "la16", png(w, h, 4, 16, rows(4 * w)))
    write("image-png", "rgba16", png(w, h, 6, 16, rows(8 * w)))
    write("image-png", "grey2", png(w, h, 0, 2, rows(2)))
    write("image-png", "grey16", png(w, h, 0, 16, rows(2 * w)))
    write("image-png", "palette-trns", png(w, h, 3, 2, rows(2),
                                           extra=[(b"PLTE", bytes(range(12))), (b"tRNS", b"\x00\x80")]))


def exif_block(orientation, big_endian=True):
    order = ">" if big_endian else "<"
    return ((b"MM" if big_endian else b"II") + struct.pack(order + "HI", 42, 8)
            + struct.pack(order + "H", 2)
            + struct.pack(order + "HHI4s", 0x010f, 2, 4, b"Cam\x00")
            + struct.pack(order + "HHIHH", 0x0112, 3, 1, orientation, 0)
            + struct.pack(order + "I", 0))


def jpeg_seeds():
    # JPEGs need an encoder; PIL is python3-pil (scripts/install-deps --tests).
    from PIL import Image

    for name, mode, options, orientation in (
            ("rgb", "RGB", {"quality": 90}, 0),
            ("grey", "L", {"quality": 75}, 0),
            ("progressive", "RGB", {"quality": 60, "progressive": True}, 0),
            ("rgb-444", "RGB", {"quality": 95, "subsampling": 0}, 0),
            ("exif6", "RGB", {"quality": 80}, 6)):
        image = Image.new(mode, (9, 6))
        image.putdata([tuple(rng.randrange(256) for _ in range(len(mode))) if len(mode) > 1
                       else rng.randrange(256) for _ in range(9 * 6)])
        if orientation:
            options = dict(options, exif=b"Exif\x00\x00" + exif_block(orientation))
        out = io.BytesIO()
        image.save(out, "JPEG", **options)
        write("jpeg", name, out.getvalue())


def exif_seeds():
    write("exif", "big-6", exif_block(6))
    write("exif", "little-8", exif_block(8, big_endian=False))


def image_cache(channels, side, labels, skipped=b""):
    """The cache file of an image folder of 4 classes (src/core/ct-image-folder.c),
    with the key fuzz-image-cache.c expects; labels (little-endian uint16s)
    are train then test."""
    n_train, n_test = labels
    key = b"0123456789abcdef" * 4 + b"\x00"
    n = n_train + n_test
    pixels = bytes(rng.randrange(256) for _ in range(n * channels * side * side))
    label_bytes = struct.pack(f"<{n}H", *(i % 4 for i in range(n)))
    skipped_offset = 4096 + len(pixels) + len(label_bytes)
    size = skipped_offset + len(skipped)
    header = struct.pack("<8s8I3Q65s", b"CTIMGFLD", 2, channels, side, side, 4, n_train, n_test,
                         skipped.count(b"\n"), skipped_offset, len(skipped), size, key)
    return header.ljust(4096, b"\x00") + pixels + label_bytes + skipped


def image_cache_seeds():
    write("image-cache", "rgb", image_cache(3, 2, (4, 2)))
    write("image-cache", "grey", image_cache(1, 3, (2, 1)))
    write("image-cache", "skipped", image_cache(3, 1, (1, 1), b"train/a/x.png: truncated\n"))


def perturb_seeds():
    write("perturb", "study", b"noise:0.1,rotate-random:30,occlude:20")
    write("perturb", "c10c-all", b"c10c:all")
    write("perturb", "mixed", b"c10c:gaussian_blur-3,rotate:-45.5,noise:0")


def epochs_seeds():
    # Checkpoint count − 1, first epoch, gaps − 1, then the list as typed.
    write("epochs", "study", b"\x04\x00\x00\x00\x00\x00" + b"0,1,2,3,last")
    write("epochs", "all", b"\x02\x01\x03\x05" + b"all")
    write("epochs", "spaces", b"\x00\x02" + b" last , 2")


def images_seeds():
    # Test-image count (big-endian, 0: no bound), then the list as typed.
    write("images", "study", b"\x27\x10" + b"12, 950 3")
    write("images", "unbounded", b"\x00\x00" + b"0,,7 7")


def target_seeds():
    # Named classes (0: classes by number only), then the rule as typed.
    write("target", "predicted", b"\x0a" + b"predicted")
    write("target", "name", b"\x0a" + b"Cat")
    write("target", "class-n", b"\x00" + b"class 3 (cat)")


def torch_save_zip(pickle, storages):
    """A torch.save archive: FOLDER/data.pkl, FOLDER/data/KEY, stored."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("archive/data.pkl", pickle)
        for key, data in storages.items():
            archive.writestr(f"archive/data/{key}", data)
        archive.writestr("archive/version", b"3\n")
    return buffer.getvalue()


def torch_save_seeds():
    # OrderedDict(w=2×3 float view of storage 0, n=0-d long of storage 1),
    # with state_dict's _metadata set by BUILD, as torch.save writes it.
    tensor = (b"ctorch._utils\n_rebuild_tensor_v2\n((X\x07\x00\x00\x00storagectorch\n%sStorage\n"
              b"X\x01\x00\x00\x00%sX\x03\x00\x00\x00cpuK%stQK\x00%s\x89"
              b"ccollections\nOrderedDict\n)RtR")
    w = tensor % (b"Float", b"0", b"\x06", b"K\x02K\x03\x86K\x03K\x01\x86")
    n = tensor % (b"Long", b"1", b"\x01", b")q\x05h\x05")
    state = (b"ccollections\nOrderedDict\n)R(X\x01\x00\x00\x00w" + w + b"X\x01\x00\x00\x00n" + n
             + b"u}X\x09\x00\x00\x00_metadata}sb")
    storages = {"0": struct.pack("<6f", 0, 1, 2, 3, 4, 5), "1": struct.pack("<q", 42)}
    write("torch-save", "state-dict", torch_save_zip(b"\x80\x02" + state + b".", storages))
    wrapped = (b"\x80\x02}(X\x05\x00\x00\x00epochK\x07X\x0a\x00\x00\x00state_dict" + state
               + b"X\x09\x00\x00\x00optimizer}u.")
    write("torch-save", "wrapped", torch_save_zip(wrapped, storages))
    half = (b"\x80\x02}(X\x01\x00\x00\x00h"
            + tensor % (b"Half", b"0", b"\x04", b"K\x04\x85K\x01\x85") + b"u.")
    write("torch-save", "half", torch_save_zip(half, {"0": struct.pack("<4e", 1, -2, 0.5, 65504)}))


cifar_seeds()
idx_seeds()
safetensors_seeds()
manifest_seeds()
metrics_seeds()
png_seeds()
image_png_seeds()
jpeg_seeds()
exif_seeds()
image_cache_seeds()
perturb_seeds()
epochs_seeds()
images_seeds()
target_seeds()
torch_save_seeds()
