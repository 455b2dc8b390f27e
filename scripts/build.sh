#!/usr/bin/env bash
# Configures and builds supd in DIR (default build/). Extra args go to cmake.
# Usage: scripts/build.sh [DIR] [-DOPTION=...]
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-build}; shift || true
jobs=${JOBS:-$(nproc)}
cmake -S . -B "$dir" -G Ninja "$@" >/dev/null
echo "supd: building in $dir with $jobs jobs" >&2
ninja -C "$dir" -j "$jobs"
