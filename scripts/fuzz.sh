#!/usr/bin/env bash
# Fuzzes every parser that takes outside input: scripts/fuzz.sh [SECONDS] [TARGET...]
# SECONDS per target (default 30); targets default to all of them:
#   config     the config loader (tests/fuzz/corpus/, config.dict)
#   request    control requests (server) and replies/NODEs (supctl)
#   sd_notify  sd_notify datagrams from children
#   units      durations, sizes, octal modes, signal names (config and protocol)
#   log_framing  line framing and JSON escaping of captured child output
# Configures a clang build in build-fuzz/, builds the targets and runs each on its seeds
# (tests/fuzz/corpus_TARGET/; new inputs go to build-fuzz/corpus_TARGET/, crashes to
# build-fuzz/artifacts/), JOBS (default 2) targets at a time. Exits non-zero if a fuzzer
# finds a crash, a leak, a timeout or a sanitizer report; a crash found becomes a unit test
# with that input.
set -euo pipefail

seconds="${1:-30}"
case "$seconds" in
  ''|*[!0-9]*) echo "usage: $0 [SECONDS] [config|request|sd_notify|units|log_framing...]" >&2; exit 2 ;;
esac
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(config request sd_notify units log_framing)
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$root/build-fuzz"
"$root/scripts/deps.sh" --fuzz  # clang and its libFuzzer runtime, when missing

cmake -S "$root" -B "$build" -G Ninja \
  -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DSUPD_FUZZ=ON -DSUPD_BUILD_TESTS=OFF >/dev/null
ninja -C "$build" -j "${JOBS:-2}" "${targets[@]/#/fuzz_}"

mkdir -p "$build/artifacts"
# One libFuzzer process per target, JOBS of them at a time (each is single-threaded); each
# writes to build-fuzz/fuzz_TARGET.log, printed when it ends.
run_one() {
  local t="$1" seeds="$root/tests/fuzz/corpus_$1" dict="$root/tests/fuzz/$1.dict" max_len=4096
  if [ "$t" = config ]; then seeds="$root/tests/fuzz/corpus"; max_len=16384; fi
  mkdir -p "$build/corpus_$t"
  "$build/tests/fuzz/fuzz_$t" \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len="$max_len" \
    -dict="$dict" -artifact_prefix="$build/artifacts/$t-" -print_final_stats=1 \
    "$build/corpus_$t" "$seeds" >"$build/fuzz_$t.log" 2>&1
}
jobs_max="${JOBS:-2}"
declare -A pid_of=()
failed=()
finish() {  # waits for target $1, prints its log's tail, records a failure
  local t="$1" status=0
  wait "${pid_of[$t]}" || status=$?
  tail -n 25 "$build/fuzz_$t.log"
  if [ "$status" -ne 0 ]; then
    echo "fuzz.sh: fuzz_$t failed (status $status); log $build/fuzz_$t.log, inputs in $build/artifacts/$t-*" >&2
    failed+=("$t")
  else
    echo "fuzz.sh: fuzz_$t: no crash in ${seconds}s"
  fi
}
running=()
for t in "${targets[@]}"; do
  if [ ${#running[@]} -ge "$jobs_max" ]; then
    finish "${running[0]}"
    running=("${running[@]:1}")
  fi
  echo "fuzz.sh: fuzz_$t for ${seconds}s"
  run_one "$t" &
  pid_of[$t]=$!
  running+=("$t")
done
for t in "${running[@]}"; do finish "$t"; done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz.sh: failures in: ${failed[*]}" >&2
  exit 1
fi
echo "fuzz.sh: no crash in ${seconds}s each: ${targets[*]}"
