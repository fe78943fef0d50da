#!/bin/bash
# Installs what building and testing xjpack needs on Debian 12 (apt-get, as
# root) when something is missing, then configures and builds.
#
# usage: tools/bootstrap.sh [BUILD-DIR [CMAKE-ARGS...]]   (default: build)
#        tools/bootstrap.sh --packages-only               (install, no build)
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  build-essential cmake pkg-config       # toolchain
  libsodium-dev libssl-dev               # crypto
  libicu-dev                             # Unicode normalisation of registry text
  libarchive-dev libzstd-dev             # bundles: the pax tar and its compression
  libsqlite3-dev sqlite3                 # the office ledger (sqlite3: tests read it)
  libboost-program-options-dev libfmt-dev
  doctest-dev zlib1g-dev                 # tests (zlib: the age test kit)
  age minisign zstd                      # interop tests and stock recovery
  fusefat fuse3 dosfstools               # bundles on a real FAT32 file system
  mandoc clang-format python3 bsdutils time  # lint, terminal tests, bench
  clang libclang-rt-14-dev               # fuzz targets: clang, libFuzzer's runtime
  dpkg-dev file lintian                  # the Debian package: shlibdeps, strip, lint
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "bootstrap: missing packages: ${missing[*]}; run as root, or install them" >&2
    exit 1
  fi
  echo "bootstrap: installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

[ "${1:-}" = --packages-only ] && exit 0

build=${1:-build}
shift || true
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
cmake --build "$build" -j"$(nproc)"
