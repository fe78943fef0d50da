#!/bin/bash
# The checkout stands alone: no test, tool, benchmark or build file reads
# anything beside it (a fresh clone has nothing beside it).
#
# 1. No file of the checkout names the reference folder that sits beside
#    it on the developers' machines.
# 2. The tests run with the checkout's neighbours hidden (tests/isolate.sh):
#    - under tests/run.sh the whole suite runs so, this test included; it
#      checks that the neighbours are indeed hidden;
#    - run by ctest alone, it runs the programs that read test data (the age
#      test kit, every unit test, a registry made and checked by xjpack)
#      that way itself.
#    Where neighbours cannot be hidden (not root), that part is skipped
#    (exit 77) with the reason.
#
# usage: self_contained.sh SOURCE-DIR BUILD-DIR AGE-TESTKIT XJ-TESTS XJPACK
set -u
[ $# = 5 ] || { echo "usage: self_contained.sh SOURCE-DIR BUILD-DIR AGE-TESTKIT XJ-TESTS XJPACK" >&2; exit 2; }
src=$(cd "$1" && pwd -P) build=$2 testkit=$3 xj_tests=$4 xjpack=$5
fail() { echo "FAIL: $*"; exit 1; }

# ---- 1. no file names the folder beside the checkout ----
ref="\.\./"'shared' # (spelled so that this file does not name it)
cd "$src" || exit 1
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  files=$(git ls-files)
else
  files=$(find . -type f ! -path './.git/*' ! -path './build*' | sed 's|^\./||')
fi
hits=$(printf '%s\n' "$files" | grep -v '^tests/data/age-testkit/' |
  tr '\n' '\0' | xargs -0 grep -nE "$ref" 2>/dev/null)
[ -z "$hits" ] || fail "files that reach beside the checkout:
$hits"
echo "self_contained: $(printf '%s\n' "$files" | wc -l) files, none reaches beside the checkout"

# ---- 2. run with the neighbours hidden ----
parent=$(dirname "$src")
if [ -n "${XJ_ISOLATED:-}" ]; then
  [ "$XJ_ISOLATED" = "$parent" ] || fail "XJ_ISOLATED=$XJ_ISOLATED, but the checkout's parent is $parent"
  # Every neighbour that isolate.sh did not keep visible reads as empty.
  for e in "$parent"/*; do
    [ "$e" = "$src" ] && continue
    case ":${XJ_ISOLATE_KEPT:-}:" in *":$e:"*) continue ;; esac
    if [ -d "$e" ] && [ -n "$(ls -A "$e" 2>/dev/null)" ] || [ -f "$e" ] && [ -s "$e" ]; then
      fail "$e beside the checkout is visible to the tests"
    fi
  done
  echo "self_contained: the whole suite runs with ${XJ_ISOLATE_HIDDEN:-0} neighbour(s) of the checkout hidden"
  exit 0
fi

why=
if [ "$(id -u)" != 0 ]; then
  why="not root: cannot hide the checkout's neighbours (tests/run.sh as root does)"
elif [ "$parent" = / ]; then
  why="the checkout is at the top of the file system: it has no neighbours to hide"
elif ! unshare --mount --propagation private true 2>/dev/null; then
  why="unshare --mount is not permitted here"
fi
[ -z "$why" ] || { echo "SKIP: $why"; exit 77; }

scratch=$(mktemp -d "${TMPDIR:-/tmp}/xjself-XXXXXX")
trap 'rm -rf "$scratch"' EXIT
export XJ_ISOLATE_KEEP=$build
run() { # run WHAT CMD...: CMD in isolation, its output kept for a failure
  if ! bash "$src/tests/isolate.sh" "$@" >"$scratch/out" 2>&1; then
    tail -20 "$scratch/out"
    fail "with the checkout's neighbours hidden: $* failed"
  fi
}
run "$testkit" "$src/tests/data/age-testkit"
run env -u XJ_TESTS_RAN_DIR "$xj_tests" --no-version
run "$xjpack" synth -o "$scratch/school" --seed 3 --students 40 -q
run "$xjpack" check "$scratch/school" -q
run "$xjpack" --version
echo "self_contained: the age test kit, the unit tests and a registry check pass with the checkout's neighbours hidden"
