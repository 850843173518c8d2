#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Builds the libFuzzer targets into build-fuzz (clang, -Dfuzzing=true) and
# runs each for SECONDS (default 600), one after the other: the machines we
# run on have two cores, shared.  Prints executions and crashes per target
# and exits 1 if any target crashed; the inputs that crash are kept in
# build-fuzz/fuzz/TARGET/crashes.
#
#   tests/fuzz/run-fuzzers.sh [SECONDS] [TARGET…]
#
# TARGET: cifar idx safetensors manifest metrics png perturb epochs images
# target image-png jpeg exif image-cache torch-save.  Each run first replays
# the seeds in tests/fuzz/corpus/TARGET and the corpus
# grown by earlier runs; .ci/run runs every target for a few seconds.
set -eu
cd "$(dirname "$0")/../.."

seconds=${1:-600}
[ $# -gt 0 ] && shift
targets=${*:-cifar idx safetensors manifest metrics png perturb epochs images target image-png jpeg exif image-cache torch-save}

if [ ! -f build-fuzz/build.ninja ]; then
  CC=clang CXX=clang++ meson setup build-fuzz -Dfuzzing=true -Dtests=false -Dgui=false -Dbenchmarks=false
else
  # A build-fuzz from before a target was added does not know its name yet.
  meson setup --reconfigure build-fuzz >/dev/null
fi
for target in $targets; do
  names="${names:-} fuzz-$target"
done
# shellcheck disable=SC2086 # one word per target
meson compile -C build-fuzz $names

summary=""
failed=0
for target in $targets; do
  work="build-fuzz/fuzz/$target"
  mkdir -p "$work/corpus" "$work/crashes"
  log="$work/fuzz.log"
  echo "fuzz-$target: ${seconds}s, log in $log"
  # The targets that read paths write every input to a file: on tmpfs that
  # costs no disk writes and no fsync, several times more executions.
  if [ -d /dev/shm ] && [ -w /dev/shm ]; then
    tmp=/dev/shm
  else
    tmp="$PWD/$work"
  fi
  case $target in
    manifest|metrics|safetensors) dict="-dict=tests/fuzz/json.dict" ;;
    png|image-png) dict="-dict=tests/fuzz/png.dict" ;;
    *) dict="" ;;
  esac
  # The working corpus grows in build-fuzz; the seeds in the repo stay as
  # they are.  -timeout turns a hang into a crash, and -malloc_limit_mb an
  # allocation that no input of a few kilobytes can justify.  A smaller
  # quarantine of freed memory keeps millions of runs under -rss_limit_mb.
  status=0
  TMPDIR="$tmp" \
  ASAN_OPTIONS="detect_leaks=1:allocator_may_return_null=1:quarantine_size_mb=64" \
  UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
    "build-fuzz/tests/fuzz/fuzz-$target" \
      -max_total_time="$seconds" -timeout=10 -malloc_limit_mb=256 -print_final_stats=1 \
      -artifact_prefix="$work/crashes/" $dict \
      "$work/corpus" "tests/fuzz/corpus/$target" >"$log" 2>&1 || status=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  crashes=$(find "$work/crashes" -type f | wc -l)
  if [ "$status" -ne 0 ] || [ "$crashes" -gt 0 ]; then
    failed=1
    tail -n 40 "$log"
  fi
  summary="$summary$(printf '%-12s %6ss %12s executions %3s crashes (exit %s)' \
    "$target" "$seconds" "${runs:-?}" "$crashes" "$status")
"
done

printf '\n%s' "$summary"
exit "$failed"
