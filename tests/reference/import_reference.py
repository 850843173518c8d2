# SPDX-License-Identifier: GPL-3.0-or-later
"""Checkpoints as PyTorch scripts write them, and checks of what
`camtrail-cli import` and `train --init` made of them.

Usage:
  import_reference.py make DIR DATASET      write the checkpoints below into DIR
  import_reference.py same-weights RUN EPOCH FILE [--classifier-differs]
      the run's epoch-EPOCH.safetensors holds exactly FILE's tensors
      (prefixes removed; with --classifier-differs all but fc.*)
  import_reference.py metrics RUN EPOCH FILE DATASET
      metrics.jsonl's test accuracy is PyTorch's on FILE's weights, its
      loss within 1e-5 relative
  import_reference.py sources RUN FILE...  the manifest names each FILE and its SHA-256

The checkpoints are torchvision's own models (weights=None, fixed seeds),
their BatchNorm statistics moved by a few training-mode passes so that
they matter, saved as users save them: torch.save of a state_dict, of a
dict wrapping it with an epoch and an optimizer, of DataParallel's
module.-prefixed names, half precision, and safetensors with torch.compile's
_orig_mod. prefix.  hostile/ holds files that must be refused.
"""

import hashlib
import json
import os
import struct
import sys
import zipfile

import numpy as np
import torch
import torch.nn.functional as F
import torchvision

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ct_data  # noqa: E402
import safetensors_io  # noqa: E402

N_CLASSES = 4


def model(arch, seed, images, n_classes=N_CLASSES):
    torch.manual_seed(seed)
    m = getattr(torchvision.models, arch)(weights=None, num_classes=n_classes)
    m.train()
    with torch.no_grad():
        for _ in range(3):
            m(images)
    return m.eval()


def save_safetensors(path, tensors):
    """The safetensors layout: u64 header length, JSON header, raw data."""
    header, blobs, offset = {}, [], 0
    for name, t in tensors.items():
        t = t.detach().contiguous()
        dtype = {torch.float32: "F32", torch.int64: "I64"}[t.dtype]
        data = t.numpy().tobytes()
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


class Evil:
    """Pickles as a call of os.system: loading it with pickle would run it."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def make(directory, dataset):
    images, _ = ct_data.load_split(dataset, "train")
    x = torch.from_numpy(ct_data.normalise(images[:32], [0.5] * 3, [0.25] * 3))
    for sub in ("r18", "r34", "r50", "hostile", "init"):
        os.makedirs(os.path.join(directory, sub), exist_ok=True)

    # resnet18, ImageNet stem: torch.save(state_dict) as most scripts do,
    # epochs in the file names.
    torch.save(model("resnet18", 1, x).state_dict(), f"{directory}/r18/resnet18_epoch0.pt")
    torch.save(model("resnet18", 2, x).state_dict(), f"{directory}/r18/resnet18_epoch2.pt")

    # resnet34: wrapped with its epoch and optimizer, DataParallel names.
    for epoch, seed in ((1, 3), (3, 4)):
        m = model("resnet34", seed, x)
        optimizer = torch.optim.SGD(m.parameters(), lr=0.1, momentum=0.9)
        torch.save({"epoch": epoch, "model_state_dict": torch.nn.DataParallel(m).state_dict(),
                    "optimizer": optimizer.state_dict(), "arch": "resnet34", "best_acc": 0.5},
                   f"{directory}/r34/ckpt-{epoch}.pth")

    # resnet50: safetensors with torch.compile's prefix, and a half-precision
    # .bin under "state_dict" with DataParallel's.
    m = model("resnet50", 5, x)
    save_safetensors(f"{directory}/r50/first.safetensors",
                     {"_orig_mod." + k: v for k, v in m.state_dict().items()})
    m = model("resnet50", 6, x)
    torch.save({"state_dict": {"module." + k: (v.half() if v.is_floating_point() else v)
                               for k, v in m.state_dict().items()}},
               f"{directory}/r50/second.bin")

    # For train --init: the same classes, and ImageNet's 1000.
    torch.save(model("resnet18", 7, x).state_dict(), f"{directory}/init/same-classes.pth")
    save_safetensors(f"{directory}/init/imagenet.safetensors", model("resnet18", 8, x, 1000).state_dict())

    sd = model("resnet18", 9, x).state_dict()
    torch.save({"state_dict": sd, "extra": Evil(f"{directory}/hostile/MARKER")},
               f"{directory}/hostile/evil.pt")
    with open(f"{directory}/r18/resnet18_epoch0.pt", "rb") as f:
        whole = f.read()
    with open(f"{directory}/hostile/truncated.pt", "wb") as f:
        f.write(whole[: len(whole) // 2])
    # One bit flipped in the middle of the largest tensor: the zip stays
    # whole and only the entry's CRC-32 tells.  PyTorch 1.13's own reader
    # skips that check and loads it; Python's zipfile refuses it.
    info = max(zipfile.ZipFile(f"{directory}/r18/resnet18_epoch0.pt").infolist(),
               key=lambda i: i.file_size)
    name_len, extra_len = struct.unpack_from("<HH", whole, info.header_offset + 26)
    flipped = bytearray(whole)
    flipped[info.header_offset + 30 + name_len + extra_len + info.file_size // 2] ^= 1
    with open(f"{directory}/hostile/bitflip.pt", "wb") as f:
        f.write(flipped)
    bad = dict(sd)
    bad["layer1.0.conv1.weight"] = torch.zeros(64, 64, 1, 1)
    torch.save(bad, f"{directory}/hostile/wrong-shape.pt")
    # A whole module instead of its state_dict: a class, refused.
    torch.save(model("resnet18", 9, x), f"{directory}/hostile/whole-module.pt")


def strip(name):
    changed = True
    while changed:
        changed = False
        for prefix in ("module.", "_orig_mod."):
            if name.startswith(prefix):
                name, changed = name[len(prefix):], True
    return name


def original_weights(path):
    if path.endswith(".safetensors"):
        tensors = safetensors_io.load_torch(path)
    else:
        obj = torch.load(path, map_location="cpu")
        if not all(torch.is_tensor(v) for v in obj.values()):
            obj = next(obj[k] for k in ("state_dict", "model_state_dict", "model", "net", "ema")
                       if k in obj)
        tensors = obj
    return {strip(k): (v.float() if v.is_floating_point() else v) for k, v in tensors.items()}


def same_weights(run, epoch, path, classifier_differs=False):
    converted = safetensors_io.load_torch(ct_data.checkpoint_path(run, int(epoch)))
    original = original_weights(path)
    compared = [k for k in original if not (classifier_differs and k.startswith("fc."))]
    if set(converted) != set(original):
        sys.exit(f"names differ: {sorted(set(converted) ^ set(original))[:5]}")
    for k in compared:
        if converted[k].shape != original[k].shape or not torch.equal(converted[k], original[k]):
            sys.exit(f"{k} differs")
    if classifier_differs and converted["fc.weight"].shape == original["fc.weight"].shape:
        sys.exit("the classifier was not replaced")
    print(f"# {len(compared)} tensors of {path} equal epoch {epoch}'s exactly")


def metrics(run, epoch, path, dataset):
    manifest = ct_data.load_manifest(run)
    arch = manifest["model"]["arch"]
    constructor = getattr(torchvision.models, arch.replace("_imagenet", ""))
    m = constructor(weights=None, num_classes=len(manifest["dataset"]["classes"]))
    m.load_state_dict(original_weights(path), strict=True)
    m.eval()
    images, labels = ct_data.load_split(dataset, "test")
    x = torch.from_numpy(ct_data.normalise(images, manifest["dataset"]["mean"], manifest["dataset"]["std"]))
    size = manifest["model"]["input_size"]
    if size != x.shape[-1]:
        x = F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False)
    with torch.no_grad():
        logits = m(x)
    y = torch.from_numpy(labels.astype(np.int64))
    accuracy = (logits.argmax(1) == y).double().mean().item()
    loss = F.cross_entropy(logits.double(), y).item()
    line = next(r for r in ct_data.load_metrics(run) if r["epoch"] == int(epoch))
    print(f"# epoch {epoch}: Camtrail acc {line['test_accuracy']:.6f} loss {line['test_loss']:.6f}, "
          f"PyTorch acc {accuracy:.6f} loss {loss:.6f}")
    if abs(line["test_accuracy"] - accuracy) > 1e-9 or abs(line["test_loss"] - loss) > 1e-5 * max(1.0, loss):
        sys.exit("the recorded test accuracy or loss is not PyTorch's")


def sources(run, paths):
    manifest = ct_data.load_manifest(run)
    recorded = {s["file"]: s["sha256"] for s in manifest.get("imported", [])}
    if "init" in manifest["training"]:
        recorded[manifest["training"]["init"]["file"]] = manifest["training"]["init"]["sha256"]
    for path in paths:
        with open(path, "rb") as f:
            digest = hashlib.sha256(f.read()).hexdigest()
        if recorded.get(os.path.basename(path)) != digest:
            sys.exit(f"{path}: the manifest records {recorded.get(os.path.basename(path))}, not {digest}")
    print(f"# the manifest names {len(paths)} sources with their SHA-256")


def main():
    command, args = sys.argv[1], sys.argv[2:]
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "2")))
    if command == "make":
        make(*args)
    elif command == "same-weights":
        same_weights(args[0], args[1], args[2], "--classifier-differs" in args)
    elif command == "metrics":
        metrics(*args)
    elif command == "sources":
        sources(args[0], args[1:])
    else:
        sys.exit(f"unknown command {command}")


if __name__ == "__main__":
    main()
