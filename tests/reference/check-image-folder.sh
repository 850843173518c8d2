#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Reference check of image folders against torchvision's ImageFolder with
# PIL, TAP output.  Usage: check-image-folder.sh DUMP_IMAGE_FOLDER PYTHON
#
# image_folder_reference.py makes the images with PIL, runs
# dump-image-folder on them (with its own XDG_CACHE_HOME) and compares.  A
# PYTHON without PIL or torchvision is a failure, not a skip.

set -u

dump=${1:?usage: check-image-folder.sh DUMP_IMAGE_FOLDER PYTHON}
python=${2:?usage: check-image-folder.sh DUMP_IMAGE_FOLDER PYTHON}
here=$(cd "$(dirname "$0")" && pwd)

tmp=$(mktemp -d "${TMPDIR:-/tmp}/camtrail-image-folder-XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM
export PYTHONDONTWRITEBYTECODE=1
export XDG_CACHE_HOME="$tmp/cache"

exec "$python" "$here/image_folder_reference.py" "$dump" "$tmp"
