#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# End-to-end check of `camtrail-cli import` and `train --init` against
# PyTorch, TAP output.  Usage: check-import.sh CAMTRAIL_CLI PYTHON
#
# import_reference.py writes torchvision's resnet18/34/50 as scripts save
# them (torch.save of a state_dict, a wrapped dict with DataParallel names,
# half precision, safetensors with torch.compile's prefix) and hostile
# files; each is imported or refused through the real binary, and the
# result compared with PyTorch on the original weights: the converted
# tensors exactly, the recorded test accuracy and loss, the Grad-CAM
# heatmaps within 1e-4 (gradcam_reference.py), the manifest's SHA-256s.

set -u

cli=${1:?usage: check-import.sh CAMTRAIL_CLI PYTHON}
python=${2:?usage: check-import.sh CAMTRAIL_CLI PYTHON}
here=$(cd "$(dirname "$0")" && pwd)

echo "1..19"
if ! "$python" -c 'import numpy, torch, torchvision' >/dev/null 2>&1; then
  echo "Bail out! $python cannot import numpy, torch and torchvision: run scripts/install-deps"
  exit 1
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/camtrail-import-XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM
export XDG_CACHE_HOME="$tmp/cache" PYTHONDONTWRITEBYTECODE=1
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-2}" OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-passive}"

data="$tmp/data"
ck="$tmp/ck"
ref="$here/import_reference.py"
if ! "$python" -c 'import sys; sys.path.insert(0, sys.argv[1]); import ct_data; ct_data.write_quadrants(sys.argv[2], 256, 64, seed=1)' \
       "$here" "$data" >"$tmp/log" 2>&1 ||
   ! "$python" "$ref" make "$ck" "$data" >"$tmp/log" 2>&1; then
  sed 's/^/# /' "$tmp/log"
  echo "Bail out! could not write the dataset and checkpoints"
  exit 1
fi

n=0
failed=0
# check NAME COMMAND…: one TAP line; the command's output as comments.
check () {
  name=$1
  shift
  n=$((n + 1))
  if "$@" >"$tmp/log" 2>&1 </dev/null; then
    sed 's/^/# /' "$tmp/log"
    echo "ok $n - $name"
  else
    sed 's/^/# /' "$tmp/log"
    echo "not ok $n - $name"
    failed=1
  fi
}
# refused NAME PATTERN COMMAND…: exits 1 and says PATTERN on stderr.
refused () {
  name=$1
  pattern=$2
  shift 2
  n=$((n + 1))
  "$@" >"$tmp/log" 2>&1 </dev/null
  status=$?
  sed 's/^/# /' "$tmp/log"
  if [ "$status" = 1 ] && grep -q -- "$pattern" "$tmp/log"; then
    echo "ok $n - $name"
  else
    echo "not ok $n - $name (exit $status, expected 1 and “$pattern”)"
    failed=1
  fi
}
gradcam () {
  run=$1
  shift
  "$cli" cam --run "$run" --epochs all --images 0,1,2,3,4,5 --threads 2 "$@" \
    --out "$tmp/grid.png" --npy "$tmp/cams.npy" --json "$tmp/cells.json" &&
  "$python" "$here/gradcam_reference.py" "$run" "$tmp/cams.npy" "$tmp/cells.json"
}

r18="$tmp/run-r18"
check "import resnet18 (torch.save state_dicts, ImageNet stem told by the shapes, epochs from the names)" \
  "$cli" import --arch resnet18 --data "$data" --out "$r18" --threads 2 \
    "$ck/r18/resnet18_epoch2.pt" "$ck/r18/resnet18_epoch0.pt"
check "resnet18: imported as resnet18_imagenet, epochs 0 and 2" \
  "$python" -c 'import json, os, sys; m = json.load(open(sys.argv[1] + "/manifest.json")); assert m["model"]["arch"] == "resnet18_imagenet", m["model"]["arch"]; assert sorted(f for f in os.listdir(sys.argv[1]) if f.startswith("epoch-")) == ["epoch-000.safetensors", "epoch-002.safetensors"]' "$r18"
check "resnet18: converted weights equal the files'" \
  sh -c "'$python' '$ref' same-weights '$r18' 0 '$ck/r18/resnet18_epoch0.pt' && '$python' '$ref' same-weights '$r18' 2 '$ck/r18/resnet18_epoch2.pt'"
check "resnet18: recorded test accuracy and loss are PyTorch's" \
  sh -c "'$python' '$ref' metrics '$r18' 0 '$ck/r18/resnet18_epoch0.pt' '$data' && '$python' '$ref' metrics '$r18' 2 '$ck/r18/resnet18_epoch2.pt' '$data'"
check "resnet18: the manifest names the sources and their SHA-256" \
  "$python" "$ref" sources "$r18" "$ck/r18/resnet18_epoch0.pt" "$ck/r18/resnet18_epoch2.pt"
check "resnet18_imagenet Grad-CAM (layer2, default) within 1e-4 of PyTorch" gradcam "$r18"

r34="$tmp/run-r34"
check "import resnet34 (wrapped dicts, DataParallel names, epochs from the files)" \
  "$cli" import --arch resnet34 --data "$data" --out "$r34" --input-size 64 --threads 2 --quiet \
    "$ck/r34/ckpt-1.pth" "$ck/r34/ckpt-3.pth"
check "resnet34: weights and accuracy (epochs 1 and 3 from the files, input 64)" \
  sh -c "'$python' '$ref' same-weights '$r34' 3 '$ck/r34/ckpt-3.pth' && '$python' '$ref' metrics '$r34' 1 '$ck/r34/ckpt-1.pth' '$data'"
check "resnet34 Grad-CAM (layer3) within 1e-4 of PyTorch" gradcam "$r34" --layer layer3

r50="$tmp/run-r50"
check "import resnet50 (safetensors with _orig_mod., half-precision .bin, --epochs, --train-metrics)" \
  "$cli" import --arch resnet50 --data "$data" --out "$r50" --epochs 0,5 --train-metrics --threads 2 \
    "$ck/r50/first.safetensors" "$ck/r50/second.bin"
check "resnet50: weights and accuracy; train accuracy recorded" \
  sh -c "'$python' '$ref' same-weights '$r50' 0 '$ck/r50/first.safetensors' && '$python' '$ref' metrics '$r50' 5 '$ck/r50/second.bin' '$data' && grep -q '\"train_accuracy\":[0-9]' '$r50/metrics.jsonl'"
check "resnet50 Grad-CAM (layer2) within 1e-4 of PyTorch" gradcam "$r50"

refused "a pickle naming os.system (pickled as posix.system) is refused, named, and not run" "\\(os\\|posix\\)\\.system" \
  sh -c "'$cli' import --arch resnet18 --data '$data' --out '$tmp/evil' '$ck/hostile/evil.pt'; s=\$?; test ! -e '$ck/hostile/MARKER' && test ! -e '$tmp/evil/manifest.json' && exit \$s"
refused "a truncated archive is refused, named" "truncated.pt" \
  "$cli" import --arch resnet18 --data "$data" --out "$tmp/trunc" "$ck/hostile/truncated.pt"
refused "a flipped bit in a stored tensor is refused by its CRC-32, the entry named" "bitflip.pt: zip entry resnet18_epoch0/data/[0-9]* fails its CRC-32 check" \
  "$cli" import --arch resnet18 --data "$data" --out "$tmp/bitflip" "$ck/hostile/bitflip.pt"
refused "a whole nn.Module (a class) is refused, named" "torchvision.models.resnet.ResNet" \
  "$cli" import --arch resnet18 --data "$data" --out "$tmp/module" "$ck/hostile/whole-module.pt"
refused "a wrong shape names the tensor and both shapes" "layer1.0.conv1.weight of shape \[64, 64, 1, 1\], the model expects \[64, 64, 3, 3\]" \
  "$cli" import --arch resnet18 --data "$data" --out "$tmp/shape" --epochs 0 "$ck/hostile/wrong-shape.pt"

init="$tmp/run-init"
check "train --init, same classes: epoch 0 is the saved model (weights, accuracy), the manifest names it" \
  sh -c "'$cli' train --arch resnet18_imagenet --data '$data' --out '$init' --epochs 1 --train-limit 64 --batch-size 32 --threads 2 --quiet --init '$ck/init/same-classes.pth' && '$python' '$ref' same-weights '$init' 0 '$ck/init/same-classes.pth' && '$python' '$ref' metrics '$init' 0 '$ck/init/same-classes.pth' '$data' && '$python' '$ref' sources '$init' '$ck/init/same-classes.pth'"
check "train --init, 1000 classes: a new classifier, the message says so" \
  sh -c "'$cli' train --arch resnet18_imagenet --data '$data' --out '$tmp/run-init2' --epochs 1 --train-limit 64 --batch-size 32 --threads 2 --init '$ck/init/imagenet.safetensors' 2>&1 | tee /dev/stderr | grep -q 'loaded 120 tensors, new classifier 1000 → 4 classes' && '$python' '$ref' same-weights '$tmp/run-init2' 0 '$ck/init/imagenet.safetensors' --classifier-differs"

exit "$failed"
