#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Reference check of ROAD's imputation and RISE's blurred baseline, TAP
# output.  Usage: check-road.sh DUMP_ROAD PYTHON
#
# dump-road writes synthetic images, heatmaps and what core makes of them;
# road_reference.py recomputes them with SciPy (spsolve, gaussian_filter)
# and torch.  A PYTHON without them is a failure, not a skip:
# scripts/install-deps --tests installs python3-scipy and python3-torch.

set -u

dump=${1:?usage: check-road.sh DUMP_ROAD PYTHON}
python=${2:?usage: check-road.sh DUMP_ROAD PYTHON}
here=$(cd "$(dirname "$0")" && pwd)

tmp=$(mktemp -d "${TMPDIR:-/tmp}/camtrail-road-XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM
export PYTHONDONTWRITEBYTECODE=1

if ! "$python" -c 'import numpy, scipy, torch' >/dev/null 2>&1; then
  echo "Bail out! $python cannot import numpy, scipy and torch: run scripts/install-deps --tests"
  exit 1
fi
if ! "$dump" "$tmp" >"$tmp/dump.log" 2>&1; then
  echo "Bail out! dump-road failed: $(tail -n 1 "$tmp/dump.log")"
  exit 1
fi
"$python" "$here/road_reference.py" "$tmp"
