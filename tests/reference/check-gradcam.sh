#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# End-to-end reference check of the CAM methods, TAP output.
# Usage: check-gradcam.sh CAMTRAIL_CLI PYTHON
#
# Writes a tiny CIFAR-10-layout dataset, trains tiny resnet18, camtrail_net
# and efficientnet_b0 runs with camtrail-cli, draws their heatmaps with
# `camtrail-cli cam --npy --json`, and compares them with the PyTorch eager
# reference (gradcam_reference.py) on the same checkpoints and images.
# A PYTHON without torch, torchvision or numpy is a failure, not a skip:
# scripts/install-deps installs python3-torch, python3-torchvision and
# python3-numpy.

set -u

cli=${1:?usage: check-gradcam.sh CAMTRAIL_CLI PYTHON}
python=${2:?usage: check-gradcam.sh CAMTRAIL_CLI PYTHON}
here=$(cd "$(dirname "$0")" && pwd)

methods='gradcam hirescam gradcam-elementwise gradcam++ xgradcam layercam eigencam eigengradcam'

# name|arch[@run]|train options|cam options|methods[|reference]
# (reference: gradcam_reference.py --model, "mirror" when absent: the
# mirrors in ct_models.py; "independent": independent_models.py, written
# from docs/MODELS.md and torchvision's own efficientnet_b0.  @run names a
# second run of the same architecture.)
# (Score-CAM and Ablation-CAM run a forward pass per channel and image: on
# resnet18's layer4, 512 channels, they are checked on one image of the
# last epoch.  layer4 ends in a ReLU, so Ablation-CAM zeroes channels
# there; on the other two layers it writes the reference's large negative
# values.)
passes='scorecam ablationcam'
checks="resnet18 layer4|resnet18|--epochs 1 --batch-size 32 --lr 0.01||$methods
resnet18 layer4, one image|resnet18|reuse|--images 0 --epochs last|$passes
resnet18 layer3|resnet18|reuse|--layer layer3|gradcam
camtrail_net stages.1 (default)|camtrail_net|--width 16 --epochs 2 --batch-size 32||$methods $passes
camtrail_net stem|camtrail_net|reuse|--layer stem|gradcam
camtrail_net --target label|camtrail_net|reuse|--target label|gradcam
camtrail_net --cam-scale raw|camtrail_net|reuse|--cam-scale raw|gradcam
camtrail_net --cam-scale shared|camtrail_net|reuse|--cam-scale shared|gradcam
camtrail_net --rotate 90, torchvision's rotate|camtrail_net|reuse|--rotate 90|gradcam gradcam++|independent
camtrail_net --rotate 30 --bilinear, torchvision's rotate|camtrail_net|reuse|--rotate 30 --bilinear|gradcam|independent
efficientnet_b0 blocks.2|efficientnet_b0|--epochs 1 --batch-size 32 --lr 0.01 --train-limit 64||$methods $passes
camtrail_net stages.1, from docs/MODELS.md|camtrail_net|reuse||gradcam gradcam++ eigencam scorecam|independent
camtrail_net stem, from docs/MODELS.md|camtrail_net|reuse|--layer stem --target label|gradcam|independent
efficientnet_b0 blocks.2, torchvision's|efficientnet_b0|reuse||gradcam hirescam layercam|independent
efficientnet_b0 blocks.5, torchvision's|efficientnet_b0|reuse|--layer blocks.5 --cam-scale shared|gradcam|independent
efficientnet_b0 --rotate -90 --target label, torchvision's|efficientnet_b0|reuse|--rotate -90 --target label|gradcam|independent
efficientnet_b0 --input-size 224, torchvision's|efficientnet_b0@224|--input-size 224 --epochs 1 --batch-size 32 --lr 0.01 --train-limit 64|--images 0,1,2 --epochs last|gradcam|independent"

total=0
for m in $(printf '%s\n' "$checks" | cut -d'|' -f5); do
  total=$((total + 1))
done
echo "1..$total"

if ! "$python" -c 'import numpy, torch, torchvision' >/dev/null 2>&1; then
  echo "Bail out! $python cannot import numpy, torch and torchvision: run scripts/install-deps (python3-numpy, python3-torch, python3-torchvision)"
  exit 1
fi
if [ ! -x "$cli" ]; then
  echo "Bail out! $cli is not an executable camtrail-cli"
  exit 1
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/camtrail-reference-XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM
# Keep the dataset statistics cache and Python's bytecode out of the user's
# directories and the source tree.
export XDG_CACHE_HOME="$tmp/cache" PYTHONDONTWRITEBYTECODE=1
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-2}"
# Idle OpenMP threads sleep instead of spinning: on a busy machine (a CI
# runner, parallel tests) spinning threads make every run several times slower.
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-passive}"

data="$tmp/data"
if ! "$python" -c 'import sys; sys.path.insert(0, sys.argv[1]); import ct_data; ct_data.write_quadrants(sys.argv[2], 256, 64, seed=1)' \
       "$here" "$data" >"$tmp/data.log" 2>&1; then
  echo "Bail out! could not write the synthetic dataset: $(tail -n 1 "$tmp/data.log")"
  exit 1
fi

# Prints a log's lines as TAP comments.
comment () {
  sed 's/^/# /' "$1"
}

n=0
failed=0
printf '%s\n' "$checks" > "$tmp/checks"
while IFS='|' read -r name arch_run train cam check_methods reference; do
  arch=${arch_run%@*}
  run="$tmp/run-$(printf '%s' "$arch_run" | tr @ -)"
  log="$tmp/log-$arch"

  if [ "$train" != reuse ]; then
    # shellcheck disable=SC2086 # the options are meant to split
    if ! "$cli" train --quiet --data "$data" --arch "$arch" --threads 2 \
           --train-limit 128 $train --out "$run" </dev/null >"$log" 2>&1; then
      comment "$log"
      for method in $check_methods; do
        n=$((n + 1))
        echo "not ok $n - $name $method: camtrail-cli train failed"
      done
      failed=1
      continue
    fi
  fi
  for method in $check_methods; do
    n=$((n + 1))
    log="$tmp/log-$n"
    ok=1
    # shellcheck disable=SC2086
    if ! "$cli" cam --run "$run" --epochs all --images 0,1,2,3,4,5 --threads 2 $cam \
           --method "$method" --out "$tmp/grid-$n.png" --npy "$tmp/cams-$n.npy" \
           --json "$tmp/cells-$n.json" </dev/null >"$log" 2>&1; then
      comment "$log"
      echo "not ok $n - $name $method: camtrail-cli cam failed"
      failed=1
      continue
    fi
    "$python" "$here/gradcam_reference.py" "$run" "$tmp/cams-$n.npy" "$tmp/cells-$n.json" \
      --model "${reference:-mirror}" </dev/null >"$log" 2>&1 || ok=0
    comment "$log"
    summary=$(sed -n 's/^summary: [^ ]* [^ ]* [^ ]* //p' "$log")
    if [ "$ok" = 1 ]; then
      echo "ok $n - $name $method ${summary:-}"
    else
      echo "not ok $n - $name $method ${summary:-(the reference did not finish)}"
      failed=1
    fi
  done
done < "$tmp/checks"

exit "$failed"
