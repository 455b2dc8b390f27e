#!/usr/bin/env bash
# The README's first command: install what is missing, build, and run supd on the example
# tree in examples/ (in the foreground; Ctrl-C stops the tree and supd).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
scripts/build.sh build >/dev/null
echo "supd: running the example tree (examples/supd.json); in another shell try:" >&2
echo "  build/cli/supctl --socket /tmp/supd-example/supd.sock status" >&2
echo "Ctrl-C stops it." >&2
exec build/daemon/supd -c examples/supd.json "$@"
