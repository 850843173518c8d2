#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# cam-latency.sh: the latency of one slider move (a full Grad-CAM grid of
# 5 checkpoints × 8 perturbed images) in Camtrail's engine, against
# PyTorch eager on the same checkpoints and images.  A benchmark: it prints
# figures and asserts nothing.  Needs CIFAR-10 from ../shared/data and skips
# (exit status 0) without it.
#
# Usage: bench/cam-latency.sh [ITERATIONS]
#   ITERATIONS timed grids per architecture (default: camtrail_net 50,
#   resnet18 20: a resnet18 grid takes seconds on two cores); the slow
#   pytorch-grad-cam-style reference times a quarter of them (at least 5).
# Environment: CAMTRAIL_BUILD, the build directory (default build/), which
# must hold src/cli/camtrail-cli and bench/cam-latency.
#
# The runs (resnet18 and camtrail_net, 4 quick epochs on a few CIFAR-10
# images: checkpoints 0–4, whose quality does not matter for latency) are
# made once and kept under bench/out/runs/.

set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
build=${CAMTRAIL_BUILD:-$root/build}
iterations=${1:-}
threads=2
python=/usr/bin/python3
export OMP_NUM_THREADS=$threads

echo "cam-latency: a benchmark (it prints figures; it is not a test)"
status=0
data=$("$here/prepare-data.sh") || status=$?
if [ "$status" = 3 ]; then
  echo "skipped: ../shared/data/cifar-10-binary.tar.xz is missing; this benchmark needs CIFAR-10 from ../shared/data"
  exit 0
elif [ "$status" != 0 ]; then
  echo "cam-latency: bench/prepare-data.sh failed" >&2
  exit 1
fi

cli=$build/src/cli/camtrail-cli
program=$build/bench/cam-latency
for file in "$cli" "$program"; do
  if [ ! -x "$file" ]; then
    echo "cam-latency: $file is missing: build with meson (-Dbenchmarks=true) or set CAMTRAIL_BUILD" >&2
    exit 1
  fi
done
if ! "$python" -c 'import numpy, torch, torchvision' 2>/dev/null; then
  echo "cam-latency: $python cannot import numpy, torch and torchvision (scripts/install-deps)" >&2
  exit 1
fi

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg); OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-(default)}"
for arch in resnet18 camtrail_net; do
  run=$here/out/runs/cam-$arch
  case $arch in
    resnet18) limit=256 n=${iterations:-20} ;;
    *) limit=1024 n=${iterations:-50} ;;
  esac
  n_reference=$((n / 4 > 5 ? n / 4 : (n < 5 ? n : 5)))
  if [ ! -f "$run/epoch-004.safetensors" ]; then
    echo "training $run once (4 epochs on $limit images)…"
    rm -rf "$run"
    "$cli" train --quiet --data "$data" --arch "$arch" --epochs 4 --train-limit "$limit" \
      --threads "$threads" --out "$run" </dev/null
  fi

  echo
  log=$here/out/cam-latency-$arch.log
  "$program" --run "$run" --epochs 0,1,2,3,4 --images 8 --iterations "$n" \
    --threads "$threads" --noise 0.1 --occlude 10 | tee "$log"
  median=$(sed -n 's/^RESULT .* median_ms=\([0-9.]*\) .*/\1/p' "$log")
  p95=$(sed -n 's/^RESULT .* p95_ms=\([0-9.]*\).*/\1/p' "$log")
  ratio=$(sed -n 's/^RESULT .* ratio_median=\([0-9.]*\) .*/\1/p' "$log")
  "$python" "$here/cam_latency_reference.py" --run "$run" --epochs 0,1,2,3,4 --images 8 \
    --iterations "$n" --gradcam-iterations "$n_reference" --threads "$threads" --noise 0.1 --occlude 10 \
    --camtrail "$median,$p95${ratio:+,$ratio}"
done
echo
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
