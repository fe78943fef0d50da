#!/bin/bash
# Runs one libFuzzer target over its seed corpus and regressions, then on
# mutations as the options say (e.g. -runs=N -seed=1). New inputs and any
# crash go to a scratch folder, removed afterwards unless a crash is kept:
# the checked-in corpus never changes.
#
# usage: run_fuzzer.sh FUZZER FUZZ-SOURCE-DIR NAME [LIBFUZZER-OPTIONS...]
set -euo pipefail
fuzzer=$1 src=$2 name=$3
shift 3
scratch=$(mktemp -d "${TMPDIR:-/tmp}/xjfuzz-$name-XXXXXX")
dirs=("$scratch/new" "$src/corpus/$name")
[ -d "$src/regressions/$name" ] && dirs+=("$src/regressions/$name")
mkdir "$scratch/new"
status=0
"$fuzzer" -artifact_prefix="$scratch/" -timeout=20 -rss_limit_mb=2560 \
  -print_final_stats=1 "$@" "${dirs[@]}" >"$scratch/log" 2>&1 || status=$?
grep -E '^#[0-9]+ +(INITED|DONE)|^stat::(number_of_executed_units|average_exec_per_sec|new_units_added)|^Done ' "$scratch/log" || true
if [ "$status" != 0 ]; then
  tail -n 60 "$scratch/log"
  echo "fuzz_$name: libFuzzer failed (exit $status); inputs kept in $scratch"
  exit "$status"
fi
rm -rf "$scratch"
