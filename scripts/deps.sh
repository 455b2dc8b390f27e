#!/usr/bin/env bash
# Installs what building and testing supd needs, from Debian 12's packages, when missing.
# Usage: scripts/deps.sh [--fuzz] [--web]
#   --fuzz  clang and its libFuzzer runtime
#   --web   the HTTP tests' tools: promtool (Debian's prometheus, ~1 min to install) and
#           chromium (~2 min): without them those tests report SKIPPED (README, Monitoring)
set -euo pipefail
pkgs=(g++ cmake ninja-build pkg-config libuv1-dev nlohmann-json3-dev libcli11-dev doctest-dev
      libmicrohttpd-dev util-linux procps python3 curl
      scdoc groff-base man-db gzip dpkg-dev lintian systemd)  # man pages, the .deb, its checks
for arg in "$@"; do
  case "$arg" in
    --fuzz) pkgs+=(clang libclang-rt-14-dev) ;;
    --web) pkgs+=(prometheus chromium) ;;
    *) echo "usage: scripts/deps.sh [--fuzz] [--web]" >&2; exit 2 ;;
  esac
done
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
  # We want promtool, not a Prometheus server started on :9090: refuse service starts
  # while installing (policy-rc.d, which invoke-rc.d and deb-systemd-invoke obey).
  if [[ " ${missing[*]} " == *" prometheus "* && ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
