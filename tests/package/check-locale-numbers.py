#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Numbers follow the locale where people read them and stay in the C locale
where programs read them.  Under de_DE.UTF-8 (compiled into a temporary
LOCPATH with localedef, so the machine needs no generated locales), a tiny
training and Grad-CAM run must write manifest.json, metrics.jsonl, the
checkpoints' safetensors metadata and the --json export with decimal points,
while `camtrail-cli eval` prints its table with decimal commas.

Usage: check-locale-numbers.py CAMTRAIL_CLI --localedir BUILD/po"""

import argparse
import json
import os
import random
import re
import struct
import subprocess
import sys
import tempfile

failures = []


def check(condition, message):
    if not condition:
        failures.append(message)
    return condition


def write_cifar(path, n, rng):
    with open(path, "wb") as f:
        for i in range(n):
            label = i % 10
            f.write(bytes([label]) + bytes((label * 25 + rng.randrange(30)) % 256 for _ in range(3072)))


def safetensors_metadata(path):
    with open(path, "rb") as f:
        (length,) = struct.unpack("<Q", f.read(8))
        return json.loads(f.read(length)).get("__metadata__", {})


def find_key(value, key):
    if isinstance(value, dict):
        if key in value:
            return value[key]
        value = list(value.values())
    if isinstance(value, list):
        for item in value:
            found = find_key(item, key)
            if found is not None:
                return found
    return None


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("cli")
    parser.add_argument("--localedir", required=True)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="camtrail-locale-") as tmp:
        locales = os.path.join(tmp, "locales")
        os.mkdir(locales)
        result = subprocess.run(["localedef", "-i", "de_DE", "-f", "UTF-8",
                                 os.path.join(locales, "de_DE.UTF-8")],
                                capture_output=True, text=True)
        if result.returncode != 0:
            print(f"FAIL: localedef de_DE.UTF-8 (Debian package 'locales'): {result.stderr.strip()}")
            return 1

        base_env = dict(os.environ, LOCPATH=locales, CAMTRAIL_LOCALEDIR=args.localedir)
        for variable in ("LANGUAGE", "LANG"):
            base_env.pop(variable, None)
        german = dict(base_env, LC_ALL="de_DE.UTF-8")
        c_locale = dict(base_env, LC_ALL="C.UTF-8")

        def cli(arguments, env):
            result = subprocess.run([args.cli] + arguments, capture_output=True, text=True,
                                    env=env, timeout=120)
            if result.returncode != 0:
                failures.append(f"camtrail-cli {' '.join(arguments)}: status {result.returncode}\n"
                                f"{result.stderr}")
            return result.stdout

        data = os.path.join(tmp, "data")
        run = os.path.join(tmp, "run")
        os.mkdir(data)
        rng = random.Random(7)
        write_cifar(os.path.join(data, "data_batch_1.bin"), 32, rng)
        write_cifar(os.path.join(data, "test_batch.bin"), 10, rng)

        # Options are given with decimal points, as scripts write them.
        cli(["train", "--data", data, "--arch", "camtrail_net", "--width", "8", "--epochs", "1",
             "--batch-size", "32", "--lr", "0.05", "--threads", "2", "--quiet", "--out", run], german)
        if failures:
            return report()

        with open(os.path.join(run, "manifest.json"), encoding="utf-8") as f:
            manifest = json.load(f)
        check(find_key(manifest, "lr") == 0.05,
              f"manifest.json: lr is {find_key(manifest, 'lr')!r}, expected 0.05 from --lr 0.05")
        with open(os.path.join(run, "metrics.jsonl"), encoding="utf-8") as f:
            metrics = [json.loads(line) for line in f if line.strip()]
        check(len(metrics) == 2, f"metrics.jsonl has {len(metrics)} lines, expected 2")

        for m in metrics:
            path = os.path.join(run, f"epoch-{m['epoch']:03d}.safetensors")
            if not check(os.path.isfile(path), f"missing {path}"):
                continue
            for key, text in safetensors_metadata(path).items():
                check("," not in text, f"{os.path.basename(path)}: metadata {key}={text!r} has a decimal comma")
            text = safetensors_metadata(path).get("test_accuracy")
            if check(text is not None, f"{path}: no test_accuracy metadata"):
                try:
                    check(abs(float(text) - m["test_accuracy"]) < 1e-6,
                          f"{path}: test_accuracy {text} differs from metrics.jsonl's {m['test_accuracy']}")
                except ValueError:
                    failures.append(f"{path}: test_accuracy {text!r} is not a C-locale number")

        # People read the eval table: the locale's decimal comma, and a point in C.
        table = cli(["eval", "--run", run], german)
        check(re.search(r"\d,\d\d%", table) and not re.search(r"\d\.\d\d%", table),
              f"eval under de_DE.UTF-8 does not print decimal commas:\n{table}")
        table = cli(["eval", "--run", run], c_locale)
        check(re.search(r"\d\.\d\d%", table), f"eval under C.UTF-8 does not print decimal points:\n{table}")

        cells = os.path.join(tmp, "cells.json")
        cli(["cam", "--run", run, "--epochs", "0,last", "--images", "0,1", "--noise", "0.1",
             "--out", os.path.join(tmp, "grid.png"), "--json", cells], german)
        if check(os.path.isfile(cells), "cam --json wrote nothing"):
            with open(cells, encoding="utf-8") as f:
                exported = json.load(f)
            check(exported.get("perturbation") == "noise σ=0.10",
                  f"cells.json: perturbation {exported.get('perturbation')!r}, expected 'noise σ=0.10'")

    return report()


def report():
    for message in failures:
        print("FAIL:", message)
    if not failures:
        print("C-locale files and locale-formatted tables OK under de_DE.UTF-8")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
