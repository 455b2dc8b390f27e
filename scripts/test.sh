#!/usr/bin/env bash
# The README's second command: install what is missing, build, and run every test.
# Usage: scripts/test.sh [--sanitize]   (--sanitize: ASan+UBSan build in build-asan/)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
# Release for the first pass (no -g: CI's build time); the sanitizer pass keeps debug info.
dir=build; extra=(-DCMAKE_BUILD_TYPE=Release)
if [[ "${1:-}" == "--sanitize" ]]; then
  # -g1: line tables and function names, all a sanitizer report needs; full -g made this
  # build ~9 of CI's 25 minutes on 2 cores.
  dir=build-asan; extra=(-DSUPD_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG=-g1)
fi
scripts/build.sh "$dir" "${extra[@]}"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
cd "$dir"
# ctest prints its summary ("N tests passed, M failed out of T") last.
ctest --output-on-failure -j "${JOBS:-$(nproc)}" --timeout 300
