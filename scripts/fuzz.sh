#!/usr/bin/env bash
# Fuzzes the config loader: scripts/fuzz.sh [SECONDS] (default 60).
# Configures a clang build in build-fuzz/, builds fuzz_config and runs it on the seeds of
# tests/fuzz/corpus/ (new inputs go to build-fuzz/corpus/, crashes to build-fuzz/artifacts/).
# Exits non-zero if the fuzzer finds a crash, a leak, a timeout or a sanitizer report.
set -euo pipefail

seconds="${1:-60}"
case "$seconds" in
  ''|*[!0-9]*) echo "usage: $0 [SECONDS]" >&2; exit 2 ;;
esac
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$root/build-fuzz"

cmake -S "$root" -B "$build" -G Ninja \
  -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DSUPD_FUZZ=ON -DSUPD_BUILD_TESTS=OFF >/dev/null
ninja -C "$build" fuzz_config

mkdir -p "$build/corpus" "$build/artifacts"
status=0
"$build/tests/fuzz/fuzz_config" \
  -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=16384 \
  -dict="$root/tests/fuzz/config.dict" -artifact_prefix="$build/artifacts/" \
  -print_final_stats=1 \
  "$build/corpus" "$root/tests/fuzz/corpus" || status=$?
if [ "$status" -ne 0 ]; then
  echo "fuzz.sh: fuzz_config failed (status $status); inputs in $build/artifacts/" >&2
  exit 1
fi
echo "fuzz.sh: no crash in ${seconds}s"
