#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# ui-latency.sh: the window's latency as a user feels it, on the issue's
# setting: the default network, a 5 × 8 grid (checkpoints 0, 1, 2, 3 and
# the last; 8 images).  Prints the time from a noise-σ change to the frame
# showing the grid's last row (median, p95), idle and while the engine
# trains, and the longest main-loop stall during training.  A benchmark:
# it asserts nothing.
#
# Usage: bench/ui-latency.sh RUN_DIR [ITERATIONS]
#   RUN_DIR a run of the default network with at least 4 epochs, e.g. the
#   one `camtrail-cli train --data CIFAR_DIR --out runs/cifar-net` makes.
# Environment: CAMTRAIL_BUILD (default build/).  Needs CIFAR-10 from
# ../shared/data for the training phase (skipped without it).

set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
build=${CAMTRAIL_BUILD:-$root/build}
run=${1:?usage: bench/ui-latency.sh RUN_DIR [ITERATIONS]}
iterations=${2:-30}

export OMP_NUM_THREADS=2 OMP_WAIT_POLICY=passive
export GSETTINGS_SCHEMA_DIR="$build/data" GSETTINGS_BACKEND=memory
# Xvfb has no GPU: GTK would render with GL on llvmpipe, two software
# threads competing with torch for the two cores.  Cairo is the cheapest.
export GTK_A11Y=none NO_AT_BRIDGE=1 GSK_RENDERER=cairo

echo "ui-latency: a benchmark (it prints figures; it is not a test)"
train_args=""
if data=$("$here/prepare-data.sh" 2>/dev/null); then
  out=$(mktemp -d)
  trap 'rm -rf "$out"' EXIT
  train_args="--train-data $data --train-out $out/training"
else
  echo "(no ../shared/data: the while-training phase is skipped)"
fi

# shellcheck disable=SC2086
xvfb-run -a -s "-screen 0 1600x1200x24" dbus-run-session -- \
  "$build/bench/ui-latency" --run "$run" --iterations "$iterations" $train_args
