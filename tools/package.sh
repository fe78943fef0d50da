#!/bin/bash
# Builds the Debian package of xjpack for amd64 or arm64, checks it with
# lintian, and tries it: unpacked into a scratch root, the installed xjpack
# runs `xjpack demo` (the whole flow) with only its installed data, and the
# build's age test kit runs. arm64 is cross-built on an amd64 Debian 12
# machine (crossbuild-essential-arm64 and the :arm64 development packages
# through multiarch) and run under qemu-aarch64 (qemu-user).
#
# Installs what is missing with apt-get (as root), or names the packages to
# install. Writes the packages to dist/ and prints what it did.
#
# usage: tools/package.sh [amd64|arm64]   (default: this machine's)
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD
host=$(dpkg --print-architecture)
arch=${1:-$host}
die() { echo "package: error: $*" >&2; exit 1; }
say() { printf '\n== %s\n' "$*"; }
case $arch in
  amd64 | arm64) ;;
  -h | --help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) die "unknown architecture '$arch': amd64 or arm64" ;;
esac
cross=
if [ "$arch" != "$host" ]; then
  [ "$host" = amd64 ] && [ "$arch" = arm64 ] ||
    die "cross-building for $arch on $host is not supported: build on amd64, or on $arch itself"
  cross=1
fi

# ---- what the build needs ----
tools/bootstrap.sh --packages-only
need=()
have() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "ok installed"; }
if [ -n "$cross" ]; then
  libs=(libsodium-dev libssl-dev libicu-dev libarchive-dev libzstd-dev libsqlite3-dev
        libboost-program-options-dev libfmt-dev zlib1g-dev)
  for p in crossbuild-essential-arm64 qemu-user qemu-user-binfmt binfmt-support; do
    have "$p" || need+=("$p")
  done
  for p in "${libs[@]}"; do have "$p:arm64" || need+=("$p:arm64"); done
fi
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    die "missing: ${need[*]}; as root: dpkg --add-architecture arm64 && apt-get update && apt-get install ${need[*]}"
  fi
  if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    echo "package: adding the arm64 architecture (dpkg --add-architecture arm64)"
    dpkg --add-architecture arm64
  fi
  echo "package: installing ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null ||
    die "apt-get install ${need[*]} failed"
fi
if [ -n "$cross" ]; then
  command -v aarch64-linux-gnu-g++ >/dev/null ||
    die "no aarch64-linux-gnu-g++: apt-get install crossbuild-essential-arm64"
  command -v qemu-aarch64 >/dev/null || die "no qemu-aarch64: apt-get install qemu-user"
  # xjpack demo runs xjpack as child processes: the kernel must hand arm64
  # programs to qemu (binfmt_misc, registered by qemu-user-binfmt).
  if [ ! -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ]; then
    [ -e /proc/sys/fs/binfmt_misc/register ] ||
      mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc 2>/dev/null || true
    update-binfmts --enable qemu-aarch64 >/dev/null 2>&1 || true
  fi
  [ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ] ||
    die "arm64 programs cannot start programs here: binfmt_misc has no qemu-aarch64 handler (apt-get install qemu-user-binfmt binfmt-support; needs root and a kernel with binfmt_misc)"
fi

# ---- build and package ----
# Only what the package holds, and the age test kit: not the unit tests
# and fuzz replays (CMAKE_SKIP_INSTALL_ALL_DEPENDENCY: CPack's install does
# not build everything first).
build=build-package-$arch
args=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_SKIP_INSTALL_ALL_DEPENDENCY=ON)
[ -n "$cross" ] && args+=(-DCMAKE_TOOLCHAIN_FILE="$top/cmake/aarch64-linux-gnu.cmake")
say "building for $arch in $build"
cmake -S . -B "$build" "${args[@]}" >/dev/null
cmake --build "$build" -j"$(nproc)" --target xjpack xjpack_completion xjpack_man1 \
  xjpack_man5 xjpack_changelog age_testkit
say "packaging (CPack DEB)"
rm -f "$build"/xjpack*_"$arch".deb "$build"/xjpack-dbgsym*_"$arch".ddeb
# (dpkg-shlibdeps reads the dependencies of the target's libraries)
(cd "$build" && DEB_HOST_ARCH=$arch cpack -G DEB)
version=$(sed -n 's/^set(CPACK_PACKAGE_VERSION "\(.*\)")$/\1/p' "$build/CPackConfig.cmake")
deb=xjpack_${version}_$arch.deb
ddeb=xjpack-dbgsym_${version}_$arch.ddeb
[ -f "$build/$deb" ] && [ -f "$build/$ddeb" ] || die "CPack made no $deb and $ddeb"
mkdir -p dist
cp "$build/$deb" "$build/$ddeb" dist/

say "lintian"
lintian --pedantic -I "dist/$deb" "dist/$ddeb" 2>&1 | grep -v 'running with root privileges' | tee "$build/lintian.out" || true
if grep -qE '^[EW]: ' "$build/lintian.out"; then
  die "lintian reports errors or warnings in dist/$deb or dist/$ddeb"
fi
echo "lintian: no error, no warning"

# ---- try it ----
run=()
[ -n "$cross" ] && run=(qemu-aarch64)
scratch=$(mktemp -d "${TMPDIR:-/tmp}/xjpack-package-XXXXXX")
trap 'rm -rf "$scratch"' EXIT
root=$scratch/root
dpkg-deb -x "dist/$deb" "$root"
X=$root/usr/bin/xjpack
say "the installed xjpack (${run[*]:-native}): --version"
file -b "$X"
env -u XJPACK_DATA_DIR -u XJPACK_HOME "${run[@]}" "$X" --version
say "the installed xjpack: xjpack demo"
start=$SECONDS
env -u XJPACK_DATA_DIR -u XJPACK_HOME "${run[@]}" "$X" demo -o "$scratch/demo" >"$scratch/demo.log" 2>&1 ||
  { tail -30 "$scratch/demo.log"; die "xjpack demo failed (its output is above)"; }
grep -E '^== [0-9]+\.' "$scratch/demo.log" | tail -4
echo "demo: $(grep -cE '^== [0-9]+\.' "$scratch/demo.log") steps in $((SECONDS - start)) s"
say "the age test kit (C2SP/CCTV), built for $arch"
"${run[@]}" "$build/tests/age_testkit" tests/data/age-testkit | tail -1

say "done"
echo "dist/$deb ($(stat -c %s "dist/$deb") bytes): $(dpkg-deb -f "dist/$deb" Depends)"
echo "dist/$ddeb ($(stat -c %s "dist/$ddeb") bytes)"
