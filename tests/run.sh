#!/bin/bash
# The whole test suite, from a fresh Debian 12 machine: installs what is
# missing, builds (g++), runs every test; then builds again with clang,
# AddressSanitizer and UndefinedBehaviorSanitizer and runs every test there
# too; then builds the fuzz targets with clang and libFuzzer and runs each
# for a fixed number of inputs (tests/fuzz).
#
# (The sanitizer build uses clang because it compiles it in half the time
# GCC takes with both sanitizers, which keeps CI well under its 30 minutes;
# the release build, the one offices use, is GCC's.)
#
# usage: tests/run.sh
set -euo pipefail
cd "$(dirname "$0")/.."

run_suite() {
  local build=$1 label=$2 status=0
  echo "== $label: ctest in $build"
  (cd "$build" && ctest --output-on-failure -j"$(nproc)") >"$build/ctest.log" 2>&1 || status=$?
  if [ "$status" != 0 ]; then
    cat "$build/ctest.log"
  else
    grep -E '^[0-9]+% tests passed|^Total Test time' "$build/ctest.log"
  fi
  grep -h '^age testkit:' "$build/Testing/Temporary/LastTest.log" || true
  return "$status"
}

# Line tables only (-g1): enough for backtraces and the sanitizers' reports,
# and the builds take a third less time than with full debug information.
G1=(-DCMAKE_C_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG"
    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG")
tools/bootstrap.sh build "${G1[@]}"
run_suite build "release build"
tools/bootstrap.sh build-asan -DXJPACK_SANITIZE=address,undefined "${G1[@]}" \
  -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
  run_suite build-asan "ASan+UBSan build (clang)"
tools/bootstrap.sh build-fuzz -DXJPACK_FUZZ=ON "${G1[@]}" \
  -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++
run_suite build-fuzz "libFuzzer build (clang, ASan+UBSan)"
echo "== all tests passed"
