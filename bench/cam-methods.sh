#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# cam-methods.sh: every CAM method's 5 checkpoints × 8 images grid in
# Camtrail against a pytorch-grad-cam-style Python reimplementation of the
# same method on the same weights (bench/cam_methods_reference.py), then
# the time of a faithfulness study of 500 images × 5 epochs × gradcam
# (camtrail-cli faithfulness).  A benchmark: it prints figures and asserts
# nothing.  Needs CIFAR-10 from ../shared/data and skips (exit status 0)
# without it.
#
# Usage: bench/cam-methods.sh [ITERATIONS [METHODS]]
#   ITERATIONS paired grids per method (default 3; Score-CAM and Ablation-CAM
#   one each, without warm-up: a grid takes minutes on a loaded machine);
#   METHODS a comma-separated list (default all).
# Environment: CAMTRAIL_BUILD, the build directory (default build/), which
# must hold src/cli/camtrail-cli and bench/cam-latency; CT_BENCH_ARCH, the
# architecture (default camtrail_net; resnet18 works too, slowly);
# CT_BENCH_SKIP_FAITHFULNESS=1 leaves the faithfulness timing out.
#
# The run (4 quick epochs on a few CIFAR-10 images: checkpoints 0–4, whose
# quality does not matter for speed) is the one bench/cam-latency.sh makes,
# kept under bench/out/runs/.

set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
build=${CAMTRAIL_BUILD:-$root/build}
iterations=${1:-3}
methods=${2:-gradcam,hirescam,gradcam-elementwise,gradcam++,xgradcam,layercam,eigencam,eigengradcam,scorecam,ablationcam}
arch=${CT_BENCH_ARCH:-camtrail_net}
threads=2
python=/usr/bin/python3
export OMP_NUM_THREADS=$threads

echo "cam-methods: a benchmark (it prints figures; it is not a test)"
status=0
data=$("$here/prepare-data.sh") || status=$?
if [ "$status" = 3 ]; then
  echo "skipped: ../shared/data/cifar-10-binary.tar.xz is missing; this benchmark needs CIFAR-10 from ../shared/data"
  exit 0
elif [ "$status" != 0 ]; then
  echo "cam-methods: bench/prepare-data.sh failed" >&2
  exit 1
fi

cli=$build/src/cli/camtrail-cli
program=$build/bench/cam-latency
for file in "$cli" "$program"; do
  if [ ! -x "$file" ]; then
    echo "cam-methods: $file is missing: build with meson (-Dbenchmarks=true) or set CAMTRAIL_BUILD" >&2
    exit 1
  fi
done
if ! "$python" -c 'import numpy, torch' 2>/dev/null; then
  echo "cam-methods: $python cannot import numpy and torch (scripts/install-deps)" >&2
  exit 1
fi

run=$here/out/runs/cam-$arch
case $arch in
  resnet18) limit=256 ;;
  *) limit=1024 ;;
esac
if [ ! -f "$run/epoch-004.safetensors" ]; then
  echo "training $run once (4 epochs on $limit images)…"
  rm -rf "$run"
  "$cli" train --quiet --data "$data" --arch "$arch" --epochs 4 --train-limit "$limit" \
    --threads "$threads" --out "$run" </dev/null
fi

echo "uptime before: $(uptime)"
"$python" "$here/cam_methods_reference.py" --run "$run" --cam-latency "$program" \
  --epochs 0,1,2,3,4 --images 8 --iterations "$iterations" --methods "$methods" \
  --threads "$threads"

if [ "${CT_BENCH_SKIP_FAITHFULNESS:-0}" != 1 ]; then
  echo
  out=$here/out/faithfulness-$arch
  echo "faithfulness: $arch, 500 images × epochs 0–4 × gradcam, $threads threads; load average $(cut -d' ' -f1-3 /proc/loadavg)"
  started=$(date +%s.%N)
  "$cli" faithfulness --run "$run" --epochs 0,1,2,3,4 --images 500 --method gradcam \
    --threads "$threads" --quiet --out "$out" >/dev/null
  ended=$(date +%s.%N)
  echo "faithfulness: $(awk "BEGIN { printf \"%.1f\", $ended - $started }") s wall (deletion, insertion, Average Drop, Increase in Confidence, ROAD, random baseline; charts included)"
fi
echo "uptime after: $(uptime)"
