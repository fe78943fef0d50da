#!/bin/bash
# bench/held_floor.sh builds xjpack again with bench/held_floor.diff
# applied; the patch must keep applying as the code moves, or the
# benchmark breaks unseen. Skipped (77) outside a git checkout.
# usage: bench_patch.sh SOURCE-DIR
set -u
cd "${1:?usage: bench_patch.sh SOURCE-DIR}" || exit 2
git rev-parse --is-inside-work-tree >/dev/null 2>&1 || { echo "SKIP: not a git checkout"; exit 77; }
if ! out=$(git apply --check bench/held_floor.diff 2>&1); then
  echo "FAIL: bench/held_floor.diff no longer applies; make it again against HEAD:"
  printf '%s\n' "$out"
  exit 1
fi
echo "bench_patch: bench/held_floor.diff applies"
