#!/bin/bash
# The Debian package, made by CPack from this build and tried as IT staff
# would install it (dpkg -i is not available in a container: the package is
# unpacked into a scratch root, and the installed program run from there
# with only the installed data):
#
# - xjpack_<version>_<arch>.deb and xjpack-dbgsym_<version>_<arch>.ddeb;
#   lintian reports no error and no warning in either;
# - the binary is stripped, and its debug symbols are in the dbgsym package
#   under its build id;
# - every manual page of man/, gzipped, in man1 or man5; the data files in
#   /usr/share/xjpack; README.md, changelog.gz and a machine-readable
#   copyright in /usr/share/doc/xjpack; the bash completion;
# - Depends names the shared libraries the binary needs (dpkg-shlibdeps);
# - the installed xjpack names its installed data folder in --version, its
#   completion is what it prints, and `xjpack demo` runs the whole flow.
#
# usage: XJPACK_BUILD=DIR XJPACK_SOURCE=DIR package.sh
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
BUILD=${XJPACK_BUILD:?set XJPACK_BUILD to the build folder}
SRC=${XJPACK_SOURCE:?set XJPACK_SOURCE to the source folder}
for tool in cpack dpkg-deb dpkg-shlibdeps lintian file readelf; do
  command -v "$tool" >/dev/null ||
    fail "$tool is missing (apt-get install cmake dpkg-dev lintian file binutils)"
done

version=$(sed -n 's/^set(CPACK_PACKAGE_VERSION "\(.*\)")$/\1/p' "$BUILD/CPackConfig.cmake")
[ -n "$version" ] || fail "no CPACK_PACKAGE_VERSION in $BUILD/CPackConfig.cmake"
arch=$(dpkg --print-architecture)
cpack --config "$BUILD/CPackConfig.cmake" -B "$SCRATCH/pkg" >cpack.out 2>&1 ||
  fail "cpack failed: $(tail -20 cpack.out)"
deb=$SCRATCH/pkg/xjpack_${version}_${arch}.deb
ddeb=$SCRATCH/pkg/xjpack-dbgsym_${version}_${arch}.ddeb
[ -f "$deb" ] || fail "no $(basename "$deb"): $(ls "$SCRATCH/pkg")"
[ -f "$ddeb" ] || fail "no $(basename "$ddeb"): $(ls "$SCRATCH/pkg")"
CHECKS=$((CHECKS + 2))

# lintian: no error, no warning (informational tags are listed).
lintian --pedantic -I "$deb" "$ddeb" >lintian.out 2>&1
grep -v 'running with root privileges' lintian.out | sed 's/^/  lintian: /'
if grep -qE '^[EW]: ' lintian.out; then
  fail "lintian reports errors or warnings: $(grep -E '^[EW]: ' lintian.out)"
fi
CHECKS=$((CHECKS + 1))

# Control: Depends from dpkg-shlibdeps.
depends=$(dpkg-deb -f "$deb" Depends)
for lib in libc6 libsodium23 libarchive13 libssl3 libzstd1 libsqlite3-0 libicu72 \
  libboost-program-options1.74.0 libfmt9 libstdc++6; do
  case ", $depends," in
    *", $lib ("*) CHECKS=$((CHECKS + 1)) ;;
    *) fail "Depends lacks $lib: $depends" ;;
  esac
done
[ "$(dpkg-deb -f "$deb" Package)" = xjpack ] || fail "not the package xjpack"
[ "$(dpkg-deb -f "$deb" Version)" = "$version" ] || fail "not version $version"
[ "$(dpkg-deb -f "$ddeb" Depends)" = "xjpack (= $version)" ] || fail "dbgsym does not depend on xjpack"

# Contents.
root=$SCRATCH/root
dpkg-deb -x "$deb" "$root" || fail "dpkg-deb -x"
dpkg-deb -x "$ddeb" "$root" || fail "dpkg-deb -x dbgsym"
X=$root/usr/bin/xjpack
[ -x "$X" ] || fail "no usr/bin/xjpack"
file "$X" | grep -q ', stripped' || fail "usr/bin/xjpack is not stripped: $(file "$X")"
! readelf -S "$X" | grep -q '\.debug_info' || fail "usr/bin/xjpack holds debug information"
id=$(readelf -n "$X" | sed -n 's/.*Build ID: \([0-9a-f]*\).*/\1/p')
debug=$root/usr/lib/debug/.build-id/${id:0:2}/${id:2}.debug
[ -n "$id" ] && [ -f "$debug" ] || fail "no debug symbols for build id '$id' in the dbgsym package"
readelf -S "$debug" 2>/dev/null | grep -q '\.debug_info' || fail "$debug holds no debug information"
CHECKS=$((CHECKS + 4))
for page in "$SRC"/man/*.[15]; do
  name=$(basename "$page")
  gz=$root/usr/share/man/man${name##*.}/$name.gz
  [ -f "$gz" ] || fail "no $gz"
  gzip -dc "$gz" | cmp -s - "$page" || fail "$gz is not man/$name"
  CHECKS=$((CHECKS + 1))
done
for f in registry/data/registry.xjschema registry/data/divisions.csv registry/data/divisions.LICENSE.txt \
  synth/data/zh-names.csv synth/data/zh-names.LICENSE.txt; do
  cmp -s "$root/usr/share/xjpack/${f##*/}" "$SRC/$f" || fail "usr/share/xjpack/$f differs or is missing"
  CHECKS=$((CHECKS + 1))
done
doc=$root/usr/share/doc/xjpack
cmp -s "$doc/README.md" "$SRC/README.md" || fail "no README.md in $doc"
gzip -dc "$doc/changelog.gz" | cmp -s - "$SRC/tools/package/changelog" || fail "no changelog.gz in $doc"
head -1 "$doc/copyright" | grep -qF 'Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/' ||
  fail "$doc/copyright is not machine-readable"
CHECKS=$((CHECKS + 3))

# The installed program, with only what was installed.
unset XJPACK_DATA_DIR XJPACK_HOME
expect 0 "" "$X" --version
out_has "xjpack $version"
out_has "data folder: $root/usr/share/xjpack"
out_has "schema: anhui-registry"
"$X" --bash-completion | cmp -s - "$root/usr/share/bash-completion/completions/xjpack" ||
  fail "the installed completion is not what the installed xjpack prints"
expect 0 "" "$X" demo -o "$SCRATCH/demo" -q
[ -d "$SCRATCH/demo" ] || fail "demo made no folder"
echo "package: $(basename "$deb") ($(stat -c %s "$deb") bytes), installed and run"
done_ok
