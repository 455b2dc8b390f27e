#!/usr/bin/env bash
# Builds dist/supd_<version>_<arch>.deb: a Release build, then CPack's DEB generator over
# the CMake install rules (packaging/install.cmake; why CPack: packaging/README.md).
# Usage: packaging/make_deb.sh [BUILD_DIR]   (default build-release/, tests off)
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-build-release}
scripts/deps.sh
scripts/build.sh "$dir" -DCMAKE_BUILD_TYPE=Release -DSUPD_BUILD_TESTS=OFF >/dev/null
rm -rf "$dir/cpack"
cpack --config "$dir/CPackConfig.cmake" -B "$dir/cpack" >"$dir/cpack.log" 2>&1 ||
  { cat "$dir/cpack.log" >&2; exit 1; }
mkdir -p dist
deb=$(find "$dir/cpack" -maxdepth 1 -name 'supd_*.deb')
mv "$deb" dist/
echo "dist/$(basename "$deb")"
