#!/bin/bash
# The whole test suite, from a fresh clone on a fresh Debian 12 machine (as
# root): installs what is missing, then three builds, each tested in full:
#
#   build       g++, the release build offices use;
#   build-asan  clang with AddressSanitizer and UndefinedBehaviorSanitizer;
#   build-fuzz  clang and libFuzzer: every fuzz target for a fixed number
#               of inputs (tests/fuzz).
#
# (The sanitizer builds use clang because it compiles them in half the time
# GCC takes with both sanitizers, which keeps CI well under its 30 minutes.)
#
# Every test's result is shown as it finishes. A build that fails does not
# stop the others. At the end one summary: per build the tests passed,
# failed and skipped, each skip with its reason, each failure; exit status
# 0 only when every build built and no test failed.
#
# The suite runs with the checkout's neighbours hidden (tests/isolate.sh):
# a test that reads outside the checkout fails here as it would in a fresh
# clone.
#
# usage: tests/run.sh
set -uo pipefail
cd "$(dirname "$0")/.."
if [ -z "${XJ_RUN_ISOLATED:-}" ]; then
  export XJ_RUN_ISOLATED=1
  exec bash tests/isolate.sh bash tests/run.sh "$@"
fi
SECONDS=0

# Line tables only (-g1): enough for backtraces and the sanitizers' reports,
# and the builds take a third less time than with full debug information.
G1=(-DCMAKE_C_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG"
    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG")
CLANG=(-DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++)
results=()

# suite DIR LABEL [CMAKE-ARGS...]: build in DIR, run its ctest.
suite() {
  local dir=$1 label=$2 status=0
  shift 2
  echo "== $label: building in $dir"
  rm -f "$dir/ctest.xml"
  tools/bootstrap.sh "$dir" "$@" || status=$?
  if [ "$status" = 0 ]; then
    echo "== $label: ctest in $dir"
    (cd "$dir" && ctest --output-on-failure -j"$(nproc)" \
      --output-junit "$PWD/ctest.xml") 2>&1 | tee "$dir/ctest.log"
  else
    echo "== $label: the build failed (exit $status): its tests do not run"
  fi
  results+=("$label=$dir=$status")
}

suite build "release build (g++)" "${G1[@]}"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
  suite build-asan "ASan+UBSan build (clang)" \
  -DXJPACK_SANITIZE=address,undefined "${G1[@]}" "${CLANG[@]}"
suite build-fuzz "libFuzzer build (clang, ASan+UBSan)" \
  -DXJPACK_FUZZ=ON "${G1[@]}" "${CLANG[@]}"

if ! command -v python3 >/dev/null; then
  echo "== no summary: python3 is missing (the first build's bootstrap installs it)"
  exit 1
fi
python3 tests/summary.py "$SECONDS" "${results[@]}"
