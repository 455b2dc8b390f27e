#!/usr/bin/env bash
# Installs what building and testing supd needs, from Debian 12's packages, when missing.
# Usage: scripts/deps.sh [--fuzz]   (--fuzz adds clang and its libFuzzer runtime)
set -euo pipefail
pkgs=(g++ cmake ninja-build pkg-config libuv1-dev nlohmann-json3-dev libcli11-dev doctest-dev
      util-linux procps python3
      scdoc groff-base man-db gzip dpkg-dev lintian systemd)  # man pages, the .deb, its checks
[[ "${1:-}" == "--fuzz" ]] && pkgs+=(clang libclang-rt-14-dev)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "supd: missing packages: ${missing[*]}; run as root or: sudo apt-get install ${missing[*]}" >&2
    exit 1
  fi
  echo "supd: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
