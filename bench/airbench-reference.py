#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""airbench94's recipe written out in plain PyTorch, for the CPU.

A reference for issue 19 (docs/TRAINING.md): it trains the network and
schedule of Keller Jordan's airbench94 (2024) as its paper describes them, on
CIFAR-10 in its binary layout, and prints each epoch's test accuracy and wall
time like bench/time-to-accuracy, so that Camtrail's recipe can be compared
with the original on the same cores and the same number format.  The options
switch single parts to Camtrail's way, one at a time, to measure what each
costs.  It is a benchmark helper, never used by the app or the tests.

    bench/airbench-reference.py DATA_DIR [--epochs 9.9] [--precision bf16]
        [--stem bias|bn] [--stem-lr-scale 1] [--bn-eps 1e-12] [--keep-last]
        [--stem-fp32]
    bench/airbench-reference.py DATA_DIR --stem-noise
"""
import argparse
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

MEAN = (0.4914, 0.4822, 0.4465)
STD = (0.2470, 0.2435, 0.2616)
AUTOCAST = True  # bfloat16 autocast (--precision)


def read_cifar(directory, names):
    """uint8 images [N, 3, 32, 32] and int64 labels from CIFAR-10 binary files."""
    raw = b"".join(open(os.path.join(directory, n), "rb").read() for n in names)
    records = np.frombuffer(raw, np.uint8).reshape(-1, 3073)
    labels = torch.from_numpy(records[:, 0].astype(np.int64))
    images = torch.from_numpy(records[:, 1:].copy()).view(-1, 3, 32, 32)
    return images, labels


def normalise(images):
    x = images.float() / 255
    mean = torch.tensor(MEAN).view(1, 3, 1, 1)
    std = torch.tensor(STD).view(1, 3, 1, 1)
    return ((x - mean) / std).contiguous(memory_format=torch.channels_last)


class Norm(nn.BatchNorm2d):
    """BatchNorm with its scale fixed at 1; airbench's momentum 0.6 is
    PyTorch's 0.4."""

    def __init__(self, channels, eps):
        super().__init__(channels, eps=eps, momentum=0.4)
        self.weight.requires_grad_(False)


def conv(cin, cout, k=3, padding="same", bias=False):
    c = nn.Conv2d(cin, cout, k, padding=padding, bias=bias)
    with torch.no_grad():
        if bias:
            c.bias.zero_()
        nn.init.dirac_(c.weight[: min(cin, cout)])
    return c


class Group(nn.Module):
    def __init__(self, cin, cout, eps):
        super().__init__()
        self.conv1, self.norm1 = conv(cin, cout), Norm(cout, eps)
        self.conv2, self.norm2 = conv(cout, cout), Norm(cout, eps)

    def forward(self, x):
        x = F.gelu(self.norm1(F.max_pool2d(self.conv1(x), 2)))
        return F.gelu(self.norm2(self.conv2(x)))


class Net(nn.Module):
    def __init__(self, stem, eps, stem_fp32=False):
        super().__init__()
        self.stem_fp32 = stem_fp32
        self.stem = conv(3, 24, 2, padding=0, bias=(stem == "bias"))
        self.stem_norm = Norm(24, eps) if stem == "bn" else None
        self.groups = nn.Sequential(Group(24, 64, eps), Group(64, 256, eps), Group(256, 256, eps))
        self.head = nn.Linear(256, 10, bias=False)

    def forward(self, x):
        with torch.autocast("cpu", enabled=AUTOCAST and not self.stem_fp32):
            x = self.stem(x)
            if self.stem_norm is not None:
                x = self.stem_norm(x)
            x = F.gelu(x)
        x = self.groups(x)
        return self.head(x.amax((2, 3))) / 9

    def stem_shift(self):
        return self.stem.bias if self.stem_norm is None else self.stem_norm.bias


def whiten(stem, images, eps=5e-4):
    """The stem becomes ± the eigenvectors of the 2×2 patches' second moment,
    each divided by √(λ + eps)."""
    patches = images.unfold(2, 2, 1).unfold(3, 2, 1).permute(0, 2, 3, 1, 4, 5).reshape(-1, 12).double()
    values, vectors = torch.linalg.eigh(patches.T @ patches / len(patches))
    values, vectors = values.flip(0), vectors.T.flip(0)
    filters = (vectors / (values + eps).sqrt().unsqueeze(1)).float().view(12, 3, 2, 2)
    with torch.no_grad():
        stem.weight.copy_(torch.cat([filters, -filters]))
    stem.weight.requires_grad_(False)


def stem_noise(train_x):
    """Prints, per whitened channel, the spread of the stem's output on 2000
    training images and the root-mean-square error bfloat16 autocast adds."""
    stem = nn.Conv2d(3, 24, 2, bias=False)
    whiten(stem, train_x[:2000])
    with torch.no_grad():
        exact = stem(train_x[:2000])
        with torch.autocast("cpu", dtype=torch.bfloat16):
            rounded = stem(train_x[:2000]).float()
    error = (rounded - exact).pow(2).mean((0, 2, 3)).sqrt()
    spread = exact.std((0, 2, 3))
    print("channel  spread  bf16 error  error/spread")
    for c in range(12):
        print("%7d  %6.3f  %10.4f  %12.3f" % (c, spread[c], error[c], error[c] / spread[c]))


def evaluate(net, images, labels, tta):
    def mirror(x):
        return 0.5 * (net(x) + net(x.flip(-1))) if tta >= 1 else net(x)

    def logits(x):
        out = mirror(x)
        if tta >= 2:
            padded = F.pad(x, (1,) * 4, "reflect")
            shifted = 0.5 * (mirror(padded[:, :, :32, :32]) + mirror(padded[:, :, 2:, 2:]))
            out = 0.5 * (out + shifted)
        return out.float()

    net.eval()
    correct = 0
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=AUTOCAST):
        for i in range(0, len(images), 1000):
            correct += (logits(images[i : i + 1000]).argmax(1) == labels[i : i + 1000]).sum().item()
    net.train()
    return correct / len(images)


def main():
    global AUTOCAST
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data")
    parser.add_argument("--epochs", type=float, default=9.9)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--precision", choices=["bf16", "fp32"], default="bf16")
    parser.add_argument("--stem", choices=["bias", "bn"], default="bias")
    parser.add_argument("--stem-lr-scale", type=float, default=1.0,
                        help="the stem shift's rate over the others' (airbench 1, Camtrail 64)")
    parser.add_argument("--bn-eps", type=float, default=1e-12)
    parser.add_argument("--keep-last", action="store_true", help="train on the last, partial batch too")
    parser.add_argument("--stem-fp32", action="store_true",
                        help="the stem in float32 under bfloat16 autocast (as Camtrail's)")
    parser.add_argument("--stem-noise", action="store_true",
                        help="only print what bfloat16 does to the whitened stem's channels")
    parser.add_argument("--threads", type=int, default=0)
    args = parser.parse_args()
    AUTOCAST = args.precision == "bf16"
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    started = time.monotonic()

    train_u8, train_y = read_cifar(args.data, ["data_batch_%d.bin" % i for i in range(1, 6)])
    test_u8, test_y = read_cifar(args.data, ["test_batch.bin"])
    train_x, test_x = normalise(train_u8), normalise(test_u8)
    if args.stem_noise:
        return stem_noise(train_x)

    batch, momentum = 1024, 0.85
    kilostep = 1024 * (1 + 1 / (1 - momentum))
    lr = 11.5 / kilostep
    wd = 0.0153 * batch / kilostep
    bias_lr = lr * 64

    net = Net(args.stem, args.bn_eps, args.stem_fp32).to(memory_format=torch.channels_last)
    whiten(net.stem, train_x[:5000])
    stem_shift = net.stem_shift()
    norm_biases = [p for n, p in net.named_parameters() if "norm" in n and p.requires_grad and p is not stem_shift]
    others = [p for n, p in net.named_parameters() if p.requires_grad and all(p is not q for q in norm_biases)]
    others = [p for p in others if p is not stem_shift]
    stem_lr = lr * args.stem_lr_scale
    groups = [dict(params=norm_biases, lr=bias_lr, weight_decay=wd / bias_lr),
              dict(params=[stem_shift], lr=stem_lr, weight_decay=wd / stem_lr),
              dict(params=others, lr=lr, weight_decay=wd / lr)]
    optimiser = torch.optim.SGD(groups, lr=lr, momentum=momentum, nesterov=True)
    peak = [g["lr"] for g in optimiser.param_groups]

    n = len(train_x)
    per_epoch = n // batch + (1 if args.keep_last and n % batch else 0)
    total = math.ceil(per_epoch * args.epochs)
    warmup = int(total * 0.23)

    def factor(step):
        if step < warmup:
            return 0.2 + 0.8 * step / warmup
        return 1.0 - 0.93 * (step - warmup) / (total - warmup)

    ema = {k: v.clone() for k, v in net.state_dict().items()}

    def lookahead(decay):
        for k, v in net.state_dict().items():
            if v.is_floating_point():
                ema[k].lerp_(v, 1 - decay)
                v.copy_(ema[k])

    flipped = torch.where((torch.rand(n) < 0.5).view(-1, 1, 1, 1), train_x.flip(-1), train_x)
    padded = F.pad(flipped, (2,) * 4, "reflect")
    step = 0
    print("epoch  train_loss  train_acc  test_acc  wall_s", flush=True)
    for epoch in range(math.ceil(args.epochs)):
        stem_shift.requires_grad_(epoch < 3)
        # A random crop of the reflect-padded images: a shift by −2..2 each way.
        dx, dy = torch.randint(0, 5, (n,)), torch.randint(0, 5, (n,))
        images = torch.empty_like(flipped)
        for sy in range(5):
            for sx in range(5):
                chosen = ((dx == sx) & (dy == sy)).nonzero().squeeze(1)
                images[chosen] = padded[chosen, :, sy : sy + 32, sx : sx + 32]
        if epoch % 2 == 1:
            images = images.flip(-1)
        images = images.contiguous(memory_format=torch.channels_last)
        order = torch.randperm(n)
        loss_sum, correct, seen = 0.0, 0, 0
        for b in range(per_epoch):
            index = order[b * batch : (b + 1) * batch]
            x, y = images[index], train_y[index]
            for g, p in zip(optimiser.param_groups, peak):
                g["lr"] = p * factor(step)
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=AUTOCAST):
                out = net(x)
                loss = F.cross_entropy(out.float(), y, label_smoothing=0.2, reduction="none").sum()
            optimiser.zero_grad(set_to_none=True)
            loss.backward()
            optimiser.step()
            step += 1
            loss_sum += loss.item()
            correct += (out.argmax(1) == y).sum().item()
            seen += len(y)
            if step % 5 == 0:
                lookahead(0.95 ** 5 * (step / total) ** 3)
            if step >= total:
                lookahead(1.0)
                break
        accuracy = evaluate(net, test_x, test_y, 0)
        print("%5d  %10.4f  %9.4f  %8.4f  %6.0f" % (epoch + 1, loss_sum / seen, correct / seen, accuracy,
                                                    time.monotonic() - started), flush=True)
    tta = evaluate(net, test_x, test_y, 2)
    print("final: test_acc %.4f  tta %.4f  steps %d  wall %.0f s" % (accuracy, tta, step, time.monotonic() - started))


if __name__ == "__main__":
    sys.exit(main())
