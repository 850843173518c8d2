#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Prints the directory of the benchmarks' CIFAR-10 (the binary layout), made
# once under bench/out/ from ../shared/data/cifar-10-binary.tar.xz: the full
# train split (symbolic links) and the first 1000 test images, so that the
# per-epoch test evaluation of a benchmark run stays short.  Exits with
# status 3 and says why when ../shared/data is missing.

set -eu

here=$(cd "$(dirname "$0")" && pwd)
archive="$here/../../shared/data/cifar-10-binary.tar.xz"
out="$here/out"
full="$out/cifar-10-batches-bin"
bench="$out/cifar-10-bench"
test_images=1000

if [ ! -f "$archive" ]; then
  echo "../shared/data/cifar-10-binary.tar.xz is missing (looked in $(dirname "$archive"))" >&2
  exit 3
fi

mkdir -p "$out"
if [ ! -f "$out/.cifar-10-extracted" ]; then
  echo "extracting $archive into $out…" >&2
  rm -rf "$full"
  tar xJf "$archive" -C "$out"
  touch "$out/.cifar-10-extracted"
fi

if [ ! -f "$bench/test_batch.bin" ]; then
  rm -rf "$bench"
  mkdir -p "$bench"
  for file in "$full"/data_batch_*.bin "$full/batches.meta.txt"; do
    ln -s "$file" "$bench/$(basename "$file")"
  done
  head -c $((test_images * 3073)) "$full/test_batch.bin" > "$bench/test_batch.tmp"
  mv "$bench/test_batch.tmp" "$bench/test_batch.bin"
fi

echo "$bench"
