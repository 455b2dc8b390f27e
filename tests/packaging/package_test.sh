#!/usr/bin/env bash
# Checks of the Debian package and what it ships, run by ctest (tests/CMakeLists.txt).
# Usage: package_test.sh CHECK BUILD_DIR SOURCE_DIR VERSION
#   deb      cpack the package from BUILD_DIR's binaries, list it, its control data and
#            conffile, `cmake --install` gives the same tree, the extracted supd runs
#   lintian  lintian on that package: no error, no warning but the kept ones
#   unit     systemd-analyze verify on the unit, installed in a scratch root
#   man      the man pages render with no groff warning
# Exit 77 (ctest SKIP_RETURN_CODE) only where a check cannot run here, with the reason.
set -euo pipefail
check=$1 build=$2 src=$3 version=$4
work=$build/packaging-test
arch=$(dpkg --print-architecture)
deb=$work/dist/supd_${version}_${arch}.deb

fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "SKIPPED: $*" >&2; exit 77; }
need() { command -v "$1" >/dev/null || fail "$1 missing (package $2): run scripts/deps.sh"; }

check_deb() {
  need cpack cmake; need dpkg-deb dpkg; need dpkg-shlibdeps dpkg-dev
  rm -rf "$work" && mkdir -p "$work"
  (cd "$work" && cpack --config "$build/CPackConfig.cmake" -B "$work/dist") >"$work/cpack.log" 2>&1 ||
    { cat "$work/cpack.log"; fail "cpack failed"; }
  [[ -f $deb ]] || { cat "$work/cpack.log"; fail "no $deb"; }
  echo "built $deb"

  # The file list: everything the issue asks for, and nothing outside the known places.
  dpkg-deb -c "$deb" | awk '{print $6}' | sed 's|^\./|/|' | sort >"$work/list"
  local want=(/usr/bin/supd /usr/bin/supctl /lib/systemd/system/supd.service
    /etc/supd/supd.json /etc/supd/conf.d/
    /usr/share/man/man8/supd.8.gz /usr/share/man/man1/supctl.1.gz
    /usr/share/man/man5/supd.json.5.gz
    /usr/share/bash-completion/completions/supctl /usr/share/zsh/vendor-completions/_supctl
    /usr/share/doc/supd/README.md /usr/share/doc/supd/changelog.gz
    /usr/share/doc/supd/copyright /usr/share/doc/supd/examples/supd.json
    /usr/share/doc/supd/examples/conf.d/10-web.json)
  for f in "${want[@]}"; do grep -qxF "$f" "$work/list" || fail "$f not in the package"; done
  local stray
  stray=$(grep -vE '^/$|^/(usr/|usr/bin/.*|usr/share/.*|etc/|etc/supd/.*|lib/|lib/systemd/.*)$' \
    "$work/list" || true)
  [[ -z $stray ]] || fail "unexpected files: $stray"
  echo "file list: ${#want[@]} required entries present, nothing stray ($(wc -l <"$work/list") entries)"

  # Control data: conffile, maintainer scripts, metadata.
  dpkg-deb -e "$deb" "$work/DEBIAN"
  [[ $(cat "$work/DEBIAN/conffiles") == /etc/supd/supd.json ]] ||
    fail "conffiles is '$(cat "$work/DEBIAN/conffiles")', want /etc/supd/supd.json"
  for s in postinst prerm postrm; do
    [[ -x $work/DEBIAN/$s ]] || fail "maintainer script $s missing or not executable"
  done
  [[ $(dpkg-deb -f "$deb" Version) == "$version" ]] || fail "Version is not $version"
  [[ $(dpkg-deb -f "$deb" Section) == admin ]] || fail "Section is not admin"
  local depends
  depends=$(dpkg-deb -f "$deb" Depends)
  for d in libuv1 libc6 adduser; do
    [[ $depends == *"$d"* ]] || fail "Depends ($depends) lacks $d"
  done
  echo "control: conffiles /etc/supd/supd.json; Depends: $depends"

  # cmake --install with prefix /usr lays out the same tree as the package.
  DESTDIR=$work/installed cmake --install "$build" --prefix /usr >"$work/install.log" 2>&1 ||
    { cat "$work/install.log"; fail "cmake --install failed"; }
  (cd "$work/installed" && find . -mindepth 1 \( -type d -printf '%p/\n' -o -printf '%p\n' \)) |
    sed 's|^\./|/|' | sort >"$work/installed.list"
  grep -v '^/$' "$work/list" | diff -u - "$work/installed.list" ||
    fail "cmake --install --prefix /usr and the package differ"
  echo "cmake --install --prefix /usr: same tree as the package"

  # The extracted package runs.
  dpkg -x "$deb" "$work/root"
  cmp "$work/root/lib/systemd/system/supd.service" "$src/systemd/supd.service" ||
    fail "the packaged unit differs from systemd/supd.service"
  local out
  out=$("$work/root/usr/bin/supd" --version)
  [[ $out == "supd $version" ]] || fail "supd --version printed '$out'"
  zcat "$work/root/usr/share/doc/supd/changelog.gz" >"$work/changelog"
  [[ $(dpkg-parsechangelog -l "$work/changelog" -S Version) == "$version" ]] ||
    fail "changelog's version is not $version"
  local conf=$work/root/etc/supd/supd.json
  if getent group supd >/dev/null; then
    "$work/root/usr/bin/supd" --check -c "$conf" || fail "supd --check on the shipped config"
  else
    # Without the package installed there is no group supd: the only error allowed is
    # that one, and the config minus socket_group must pass.
    out=$("$work/root/usr/bin/supd" --check -c "$conf" 2>&1) && fail "socket_group supd resolved?"
    [[ $(grep -c . <<<"$out") == 1 && $out == *daemon.socket_group* ]] ||
      fail "supd --check on the shipped config: $out"
    grep -v '"socket_group"' "$conf" >"$work/root/etc/supd/nogroup.json"
    "$work/root/usr/bin/supd" --check -c "$work/root/etc/supd/nogroup.json" ||
      fail "supd --check on the shipped config (without socket_group)"
    echo "no group supd here: checked the shipped config without socket_group"
  fi
  # The conf.d examples are valid when included as the shipped config includes them.
  mkdir -p "$work/examples/conf.d"
  cp "$work/root/usr/share/doc/supd/examples/conf.d/"*.json "$work/examples/conf.d/"
  echo '{ "include": ["conf.d/*.json"] }' >"$work/examples/supd.json"
  "$work/root/usr/bin/supd" --check -c "$work/examples/supd.json" ||
    fail "the conf.d examples do not pass supd --check"
  "$work/root/usr/bin/supd" --check -c "$work/root/usr/share/doc/supd/examples/supd.json" ||
    fail "examples/supd.json does not pass supd --check"
  echo "extracted supd: --version and --check pass"
}

check_lintian() {
  need lintian lintian
  [[ -f $deb ]] || fail "no $deb (the packaging_deb test builds it)"
  # Kept tags, one per line with the reason in packaging/README.md.
  local kept args=()
  kept=$(sed '/^#/d;/^$/d' "$src/packaging/lintian-kept-tags" | paste -sd, -)
  [[ -n $kept ]] && args=(--suppress-tags "$kept")
  lintian --fail-on error,warning "${args[@]}" --display-info "$deb" ||
    fail "lintian reported errors or warnings (kept: $kept)"
  echo "lintian: no errors, no warnings but the kept ones ($kept)"
}

check_unit() {
  need systemd-analyze systemd
  [[ -f $deb ]] || fail "no $deb (the packaging_deb test builds it)"
  # Verify the unit as installed, without installing: a scratch root holding the
  # extracted package plus the host's units (the targets supd.service is ordered
  # against), so that ExecStart/ExecReload resolve; man looks for Documentation= pages
  # in the scratch root's man directory.
  local root=$work/unit-root
  rm -rf "$root" && dpkg -x "$deb" "$root"
  [[ -d /lib/systemd/system ]] || skip "no /lib/systemd/system on this host"
  cp -an /lib/systemd/system/. "$root/lib/systemd/system/"
  local out rc=0
  out=$(SYSTEMD_LOG_LEVEL=notice MANPATH=$root/usr/share/man \
    systemd-analyze verify --man=yes --root="$root" /lib/systemd/system/supd.service 2>&1) ||
    rc=$?
  if [[ $rc -ne 0 && $out == *"Failed to initialize manager"* ]]; then
    skip "systemd-analyze cannot start its manager here: $out"
  fi
  [[ $rc -eq 0 && -z $out ]] || fail "systemd-analyze verify (rc $rc): $out"
  echo "systemd-analyze verify --man=yes: clean"
}

check_man() {
  need groff groff-base; need man man-db
  local pages=(supd.8 supctl.1 supd.json.5)
  for p in "${pages[@]}"; do
    local f=$build/man/$p
    [[ -f $f && -f $f.gz ]] || fail "$f(.gz) not built (scdoc missing? run scripts/deps.sh)"
    cmp -s "$f" <(zcat "$f.gz") || fail "$f.gz is not $f"
    local out
    out=$(groff -ww -mandoc -z "$f" 2>&1) || fail "groff failed on $p: $out"
    [[ -z $out ]] || fail "groff warnings on $p: $out"
    out=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$f.gz" 2>&1 >/dev/null) ||
      fail "man -l failed on $p: $out"
    [[ -z $out ]] || fail "man -l warnings on $p: $out"
  done
  echo "man pages render without warnings: ${pages[*]}"
}

case $check in
  deb) check_deb ;;
  lintian) check_lintian ;;
  unit) check_unit ;;
  man) check_man ;;
  *) fail "unknown check $check" ;;
esac
