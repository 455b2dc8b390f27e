#!/usr/bin/env bash
# Builds dist/supd_<version>_<arch>.deb from a Release build. Usage: packaging/make_deb.sh
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
scripts/build.sh build-release -DCMAKE_BUILD_TYPE=Release -DSUPD_BUILD_TESTS=OFF >/dev/null
version=$(build-release/daemon/supd --version | awk '{print $2}')
arch=$(dpkg --print-architecture)
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
install -D -m755 build-release/daemon/supd "$root/usr/bin/supd"
install -D -m755 build-release/cli/supctl "$root/usr/bin/supctl"
install -D -m644 systemd/supd.service "$root/lib/systemd/system/supd.service"
[[ -f cli/supctl.bash-completion ]] &&
  install -D -m644 cli/supctl.bash-completion "$root/usr/share/bash-completion/completions/supctl"
install -D -m644 README.md "$root/usr/share/doc/supd/README.md"
install -D -m644 examples/supd.json "$root/usr/share/doc/supd/examples/supd.json"
mkdir -p "$root/DEBIAN"
cat > "$root/DEBIAN/control" <<CONTROL
Package: supd
Version: $version
Architecture: $arch
Maintainer: supd developers <supd@localhost>
Depends: libuv1 (>= 1.44)
Section: admin
Priority: optional
Description: Erlang/OTP supervision trees for operating-system processes
 supd runs programs from declarative JSON child specs and restarts them by
 Erlang's strategies; supctl drives it over a Unix control socket.
CONTROL
mkdir -p dist
dpkg-deb --build --root-owner-group "$root" "dist/supd_${version}_${arch}.deb"
