#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# A first `meson setup` of the source tree, as scripts/quickstart runs it,
# prints no warning: a new user's first build should be clean (issue 17).
# The CMake import of libtorch used to warn about a link item it could not
# read (cmake/FindTorch.cmake), and a missing xmllint warned twice.
#
#   check-clean-setup.sh SOURCE_ROOT
set -eu
source_root=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if ! meson setup "$work/build" "$source_root" -Dtests=false -Dbenchmarks=false \
     > "$work/setup.log" 2>&1; then
  cat "$work/setup.log"
  echo "meson setup failed"
  exit 1
fi
if grep -n -i "warning" "$work/setup.log"; then
  echo "a first meson setup printed the warnings above; its whole output:"
  cat "$work/setup.log"
  exit 1
fi
echo "meson setup: $(wc -l < "$work/setup.log") lines, no warning"
