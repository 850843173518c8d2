# SPDX-License-Identifier: GPL-3.0-or-later
"""Camtrail's image folders against torchvision's ImageFolder and PIL.

Usage: image_folder_reference.py DUMP_IMAGE_FOLDER DIR.  Makes image
folders in DIR (PNGs of every colour type and depth, JPEGs: baseline,
progressive, grey, CMYK, every EXIF orientation), has dump-image-folder cache
them, and compares every image with what torchvision gives for the same
folder: ImageFolder's order and labels, the loader's
ImageOps.exif_transpose(...).convert("RGB"), and Resize(S) + CenterCrop(S).
Prints TAP.

PNG pixels must be identical.  JPEG pixels are measured and printed; the
bound asserted (2 levels) is loose on purpose, the measured figure is what
docs/IMAGE-FOLDERS.md states.
"""

import os
import struct
import subprocess
import sys
import zlib

import numpy as np

try:
    from PIL import Image, ImageOps
    from torchvision import transforms
    from torchvision.datasets import ImageFolder
except ImportError as missing:
    print(f"Bail out! {missing}: run scripts/install-deps --tests "
          "(python3-pil, python3-torchvision)")
    sys.exit(1)

RNG = np.random.default_rng(14)
RESULTS = []


def check(ok, what):
    RESULTS.append((bool(ok), what))


def write_png(path, array, color_type, bit_depth):
    """A PNG written by hand, for the depths PIL cannot write (16-bit RGB,
    RGBA and grey+alpha, 2-bit grey)."""
    height, width = array.shape[:2]
    flat = array.reshape(height, width, -1)
    rows = []
    for y in range(height):
        if bit_depth == 16:
            row = flat[y].astype(">u2").tobytes()
        elif bit_depth == 8:
            row = flat[y].astype(np.uint8).tobytes()
        else:
            values = flat[y].reshape(-1)
            per_byte = 8 // bit_depth
            padded = np.zeros(-(-len(values) // per_byte) * per_byte, np.uint8)
            padded[:len(values)] = values
            row = bytes(
                sum(int(v) << (8 - bit_depth * (k + 1)) for k, v in enumerate(padded[i:i + per_byte]))
                for i in range(0, len(padded), per_byte))
        rows.append(b"\0" + row)

    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff))

    header = struct.pack(">IIBBBBB", width, height, bit_depth, color_type, 0, 0, 0)
    with open(path, "wb") as out:
        out.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
                  + chunk(b"IDAT", zlib.compress(b"".join(rows)))
                  + chunk(b"IEND", b""))


def noise(height, width, channels=None, high=256, dtype=np.uint8):
    shape = (height, width) if channels is None else (height, width, channels)
    # Smooth gradients plus noise, so JPEG and resizing see real content.
    base = np.add.outer(np.linspace(0, high * 0.6, height), np.linspace(0, high * 0.3, width))
    if channels is not None:
        base = base[..., None]
    values = base + RNG.integers(0, high // 4, size=shape)
    return np.clip(values, 0, high - 1).astype(dtype)


def make_mixed(root):
    """Colour and grey, PNG and JPEG, many sizes."""
    def put(relative, save):
        path = os.path.join(root, relative)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        save(path)

    # Class "Bird" sorts before "cat" (code points), "a-b" before "a/c".
    put("train/Bird/rgb.png", lambda p: Image.fromarray(noise(30, 40, 3)).save(p))
    put("train/Bird/rgba.png", lambda p: Image.fromarray(noise(45, 31, 4), "RGBA").save(p))
    put("train/Bird/a/la.png", lambda p: Image.fromarray(noise(21, 27, 2), "LA").save(p))
    put("train/Bird/a/c/p.png",
        lambda p: Image.fromarray(noise(33, 33, 3)).quantize(23).save(p))
    put("train/Bird/a-b/ptrns.png",
        lambda p: Image.fromarray(noise(26, 35, 3)).quantize(9).save(p, transparency=3))
    put("train/Bird/notes.txt", lambda p: open(p, "w").write("not an image"))
    put("train/Bird/UPPER.PNG", lambda p: Image.fromarray(noise(17, 25, 3)).save(p))
    put("train/cat/grey.png", lambda p: Image.fromarray(noise(28, 28)).save(p))
    put("train/cat/grey16.png",
        lambda p: Image.fromarray(noise(22, 29, high=700, dtype=np.uint16), "I;16").save(p))
    put("train/cat/bit1.png", lambda p: Image.fromarray(noise(19, 23)).convert("1").save(p))
    put("train/cat/grey2.png", lambda p: write_png(p, noise(18, 21, high=4), 0, 2))
    put("train/cat/rgb16.png",
        lambda p: write_png(p, noise(24, 20, 3, high=65536, dtype=np.uint16), 2, 16))
    put("train/cat/rgba16.png",
        lambda p: write_png(p, noise(20, 26, 4, high=65536, dtype=np.uint16), 6, 16))
    put("train/cat/la16.png",
        lambda p: write_png(p, noise(23, 19, 2, high=65536, dtype=np.uint16), 4, 16))
    put("train/cat/photo.jpg", lambda p: Image.fromarray(noise(36, 48, 3)).save(p, quality=90))
    put("train/cat/grey.jpg", lambda p: Image.fromarray(noise(27, 31)).save(p, quality=85))
    # PIL writes CMYK JPEGs with an Adobe marker and reads every CMYK JPEG
    # as Adobe's inverted CMYK; convert("RGB") then takes K into account.
    put("train/cat/cmyk.jpg",
        lambda p: Image.fromarray(noise(34, 30, 4), "CMYK").save(p, quality=90))
    put("test/cat/cmyk-prog.jpg",
        lambda p: Image.fromarray(noise(31, 37, 4), "CMYK").save(p, quality=80, progressive=True))
    put("train/cat/prog.jpeg",
        lambda p: Image.fromarray(noise(40, 30, 3)).save(p, quality=75, progressive=True))
    for orientation in range(1, 9):
        def save_oriented(p, o=orientation):
            exif = Image.Exif()
            exif[0x0112] = o
            Image.fromarray(noise(26, 38, 3)).save(p, quality=92, exif=exif.tobytes())
        put(f"train/cat/exif{orientation}.jpg", save_oriented)
    put("test/Bird/one.png", lambda p: Image.fromarray(noise(32, 32, 3)).save(p))
    put("test/Bird/x.jpg", lambda p: Image.fromarray(noise(44, 35, 3)).save(p, quality=80))
    put("test/cat/two.png", lambda p: Image.fromarray(noise(30, 41)).save(p))


def make_greys(root):
    """Grey only and one square size: one channel, no resizing."""
    for split, count in (("train", 3), ("val", 2)):
        for label in ("x", "y"):
            folder = os.path.join(root, split, label)
            os.makedirs(folder)
            for i in range(count):
                Image.fromarray(noise(20, 20)).save(os.path.join(folder, f"{i}.png"))
    Image.fromarray(noise(20, 20)).save(os.path.join(root, "train", "y", "z.jpg"), quality=90)


def load_npy(path):
    return np.load(path)


def dump(dump_program, folder, out, image_size):
    os.makedirs(out)
    done = subprocess.run([dump_program, folder, out, str(image_size), "0"],
                          capture_output=True, text=True)
    if done.returncode != 0:
        print(f"Bail out! dump-image-folder failed: {done.stderr.strip()}")
        sys.exit(1)
    return {name: load_npy(os.path.join(out, f"{name}.npy"))
            for name in ("train", "test", "train-labels", "test-labels")}, \
        open(os.path.join(out, "classes.txt")).read().split("\n")


def loader(path):
    with open(path, "rb") as f:
        return ImageOps.exif_transpose(Image.open(f)).convert("RGB")


def compare(dump_program, folder, out, image_size, expect_side, expect_channels, test_name):
    ours, classes = dump(dump_program, folder, out, image_size)
    side = expect_side
    pipeline = transforms.Compose([transforms.Resize(side), transforms.CenterCrop(side)])
    name = f"{os.path.basename(folder)} at image size {image_size or 'default'}"
    png_diff, cmyk_diff, jpeg_diffs = 0, 0, []
    for split, split_dir in (("train", "train"), ("test", test_name)):
        reference = ImageFolder(os.path.join(folder, split_dir), loader=loader)
        check(reference.classes == classes, f"{name} {split}: classes {classes} as ImageFolder's")
        check(len(reference.samples) == len(ours[split]),
              f"{name} {split}: {len(ours[split])} images, ImageFolder has {len(reference.samples)}")
        check(np.array_equal(ours[f"{split}-labels"], [t for _, t in reference.samples]),
              f"{name} {split}: labels in ImageFolder's order")
        check(ours[split].shape[1:] == (expect_channels, side, side),
              f"{name} {split}: images {ours[split].shape[1:]}, "
              f"expected {(expect_channels, side, side)}")
        for i, (path, _) in enumerate(reference.samples):
            image = reference.loader(path)
            if image.size != (side, side):
                image = pipeline(image)
            expected = np.asarray(image).astype(np.int32).transpose(2, 0, 1)[:expect_channels]
            diff = np.abs(ours[split][i].astype(np.int32) - expected)
            if "cmyk" in os.path.basename(path):
                cmyk_diff = max(cmyk_diff, int(diff.max()))
            if path.lower().endswith((".jpg", ".jpeg")):
                jpeg_diffs.append(diff)
            else:
                png_diff = max(png_diff, int(diff.max()))
                if diff.max() != 0:
                    print(f"# {path}: {int(diff.max())} levels from PIL's")
    check(png_diff == 0, f"{name}: every PNG identical to PIL's (max |difference| {png_diff})")
    if "mixed" in name:
        # Same libjpeg-turbo, same CMYK arithmetic: identical.
        check(cmyk_diff == 0, f"{name}: CMYK JPEGs identical to PIL's (max |difference| {cmyk_diff})")
    if jpeg_diffs:
        stacked = np.concatenate([d.reshape(-1) for d in jpeg_diffs])
        print(f"# {name}: JPEG against PIL's decoder: max |difference| {stacked.max()}, "
              f"mean {stacked.mean():.6f}, {np.count_nonzero(stacked)} of {stacked.size} values differ")
        check(stacked.max() <= 2, f"{name}: JPEG within 2 levels of PIL's (max {stacked.max()})")


def main():
    dump_program, tmp = sys.argv[1], sys.argv[2]
    mixed = os.path.join(tmp, "mixed")
    greys = os.path.join(tmp, "greys")
    make_mixed(mixed)
    make_greys(greys)
    compare(dump_program, mixed, os.path.join(tmp, "out-default"), 0, 224, 3, "test")
    compare(dump_program, mixed, os.path.join(tmp, "out-19"), 19, 19, 3, "test")
    compare(dump_program, greys, os.path.join(tmp, "out-greys"), 0, 20, 1, "val")
    compare(dump_program, greys, os.path.join(tmp, "out-greys-13"), 13, 13, 1, "val")

    print(f"1..{len(RESULTS)}")
    for number, (ok, what) in enumerate(RESULTS, 1):
        print(f"{'ok' if ok else 'not ok'} {number} - {what}")
    return 0 if all(ok for ok, _ in RESULTS) else 1


if __name__ == "__main__":
    sys.exit(main())
