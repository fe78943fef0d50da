#!/bin/bash
# Runs every fuzz target (or those named) for longer than the ctest does,
# each for SECONDS, starting from its seed corpus and regressions; the
# corpus grows in a scratch folder, never in the checkout. Prints per
# target the executions, executions per second, coverage (cov: edges,
# ft: features), corpus size and crashes; crashing inputs are kept in the
# scratch folder, whose path is printed.
#
# usage: tests/fuzz/run_long.sh [-b BUILD-DIR] [-j JOBS] [SECONDS [TARGET...]]
#   BUILD-DIR  a build configured with -DXJPACK_FUZZ=ON (default build-fuzz;
#              made with tools/bootstrap.sh when missing)
#   JOBS       targets fuzzed at once (default 1; the machine has 2 cores)
#   SECONDS    per target (default 60)
set -euo pipefail
src=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$src/../.." && pwd)
build=build-fuzz jobs=1
while getopts "b:j:" opt; do
  case $opt in
    b) build=$OPTARG ;;
    j) jobs=$OPTARG ;;
    *) sed -n '2,14p' "$0" >&2; exit 2 ;;
  esac
done
shift $((OPTIND - 1))
seconds=${1:-60}
shift || true
case $build in /*) ;; *) build=$top/$build ;; esac
if [ ! -d "$build" ]; then
  (cd "$top" && tools/bootstrap.sh "$build" -DXJPACK_FUZZ=ON \
    -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++)
fi
targets=("$@")
if [ ${#targets[@]} = 0 ]; then
  for f in "$src"/*_fuzz.cc; do
    n=$(basename "$f" _fuzz.cc)
    targets+=("$n")
  done
fi
work=${FUZZ_WORK:-$(mktemp -d "${TMPDIR:-/tmp}/xjfuzz-long-XXXXXX")}
echo "fuzzing ${#targets[@]} target(s) for ${seconds}s each in $work"

run_one() {
  local n=$1 dir=$work/$1
  mkdir -p "$dir/corpus" "$dir/artifacts"
  local dirs=("$dir/corpus" "$src/corpus/$n")
  [ -d "$src/regressions/$n" ] && dirs+=("$src/regressions/$n")
  "$build/tests/fuzz/${n}_fuzz" -max_total_time="$seconds" -timeout=20 \
    -rss_limit_mb=2560 -max_len=65536 -print_final_stats=1 \
    -artifact_prefix="$dir/artifacts/" "${dirs[@]}" >"$dir/log" 2>&1 || true
}

running=0
for n in "${targets[@]}"; do
  [ -x "$build/tests/fuzz/${n}_fuzz" ] || { echo "no fuzzer $n in $build" >&2; exit 2; }
  run_one "$n" &
  running=$((running + 1))
  if [ "$running" -ge "$jobs" ]; then
    wait -n
    running=$((running - 1))
  fi
done
wait

printf '%-18s %12s %9s %7s %8s %7s %s\n' target executions exec/s cov ft corpus crashes
for n in "${targets[@]}"; do
  log=$work/$n/log
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n1 || true)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n1 || true)
  last=$(grep -E '^#[0-9]+' "$log" | tail -n1 || true)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
  corp=$(sed -n 's/.* corp: \([0-9]*\).*/\1/p' <<<"$last")
  crashes=$(find "$work/$n/artifacts" -type f | wc -l)
  printf '%-18s %12s %9s %7s %8s %7s %s\n' "$n" "${execs:-?}" "${rate:-?}" \
    "${cov:-?}" "${ft:-?}" "${corp:-?}" "$crashes"
  find "$work/$n/artifacts" -type f -printf '    %p\n'
done
