#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Reference check of the CIFAR-10-C corruptions, TAP output.
# Usage: check-corruptions.sh DUMP_CORRUPTIONS PYTHON
#
# dump-corruptions writes synthetic images and Camtrail's corruptions of
# them; corruption_reference.py recomputes them with make_cifar_c.py's
# libraries (skimage, OpenCV, PIL) and compares.  A PYTHON without them is
# a failure, not a skip: scripts/install-deps installs them.

set -u

dump=${1:?usage: check-corruptions.sh DUMP_CORRUPTIONS PYTHON}
python=${2:?usage: check-corruptions.sh DUMP_CORRUPTIONS PYTHON}
here=$(cd "$(dirname "$0")" && pwd)

tmp=$(mktemp -d "${TMPDIR:-/tmp}/camtrail-corruptions-XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM
export PYTHONDONTWRITEBYTECODE=1

if ! "$dump" "$tmp" >"$tmp/dump.log" 2>&1; then
  echo "Bail out! dump-corruptions failed: $(tail -n 1 "$tmp/dump.log")"
  exit 1
fi
exec "$python" "$here/corruption_reference.py" "$tmp"
