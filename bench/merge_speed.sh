#!/bin/bash
# The province's side of a merged city bundle: verify and unpack of a city
# of about STUDENTS students (1 000 000 by default: about 1 500 schools in
# 9 counties), with the share of the unpack spent checking the held county
# and school bundles (every statement, signature, chain and held bag, down
# to the schools); and, with a second argument, the cross-school duplicate
# detection of the registry check over that many records.
#
# The city is built by `xjpack demo` (every office set up and certified,
# every school packed, every county merged, the city merged and approved),
# which itself takes a while at this size; the figures are measured after,
# on a fresh copy of the province's home, so nothing is "already accepted".
# Wall time is one run; peak memory is the largest resident set.
#
# unpack checks the held bundles while the extracted files are flushed to
# the disk (the check only reads them), so what the check adds to the
# unpack is the part that runs on after the flush ends. The same unpack is
# then made into memory (tmpfs), where nothing is flushed and the whole
# check is added: the share there is the check's cost against the fastest
# storage, not the disk's.
#
#   targets: checking the held bundles adds under 10% to the unpack;
#            duplicate detection over 10 M records under 60 s on one core,
#            under 2 GiB
#
# usage: bench/merge_speed.sh [STUDENTS [DUPLICATE-RECORDS]]
#   e.g. bench/merge_speed.sh 1000000 10000000
set -euo pipefail
cd "$(dirname "$0")/.."
X=$PWD/build/tools/xjpack
[ -x "$X" ] || { echo "build first (tools/bootstrap.sh)" >&2; exit 1; }
students=${1:-1000000}
dup=${2:-0}
base=${XJBENCH_DIR:-/var/tmp}
dir=$(mktemp -d "$base/xjmerge-XXXXXX")
trap 'rm -rf "$dir"' EXIT

echo "merge speed: $(nproc) cores, $(date -u +%Y-%m-%dT%H:%M:%SZ), data in $base"
start=$(date +%s)
"$X" demo -o "$dir/flow" --students "$students" >"$dir/demo.log" 2>&1 || {
  tail -20 "$dir/demo.log" >&2
  exit 1
}
echo "built the city with xjpack demo in $(($(date +%s) - start)) s"
cd "$dir/flow"
C=$(ls -d stick-province/XJ/3401-340000-* | head -1)
schools=$(find city-data -name school.csv | wc -l)
size=$(cat "$C"/payload.tar.zst.age* | wc -c)
printf 'city bundle: %d schools, %d students, %.0f MiB of volumes\n' \
  "$schools" "$(sed -n 's/^records: //p' "$C/bundle.stmt")" "$(echo "$size / 1048576" | bc -l)"

cp -a province province-bench
rm -f province-bench/ledger.sqlite
/usr/bin/time -f "%e %M" -o t.verify "$X" verify "$C" --home province-bench -q
read -r vs vm <t.verify
printf 'verify (chain, signatures, volumes)   %7.2f s  peak %6.1f MiB\n' "$vs" "$(echo "$vm / 1024" | bc -l)"
/usr/bin/time -f "%e %M" -o t.verifyi "$X" verify "$C" --home province-bench -q \
  -i province-bench/keys/office.key --passphrase-file demo.pass
read -r ws wm <t.verifyi
printf 'verify -i (and every held bundle)     %7.2f s  peak %6.1f MiB\n' "$ws" "$(echo "$wm / 1024" | bc -l)"
/usr/bin/time -f "%e %M" -o t.unpack "$X" unpack "$C" -o intake-bench \
  --home province-bench --passphrase-file demo.pass --json >unpack.json
read -r us um <t.unpack
python3 - "$us" "$um" unpack.json <<'PY'
import json, sys
d = json.load(open(sys.argv[3]))
wall, peak = float(sys.argv[1]), int(sys.argv[2]) / 1024
t = d["seconds"]
total, held, flush, beyond = t["total"], t["held"], t["flush"], t["held_beyond_flush"]
print(f"unpack (verify, decrypt, extract, bag) {wall:7.2f} s  peak {peak:6.1f} MiB")
print(f"  of which the held bundles           {held:7.2f} s  ({len(d['schools'])} schools checked down to their signatures),")
print(f"    alongside the flush to the disk     {flush:7.2f} s;")
print(f"    beyond the end of the flush         {beyond:7.2f} s  = {100 * beyond / (total - beyond):.1f}% added to the rest")
PY
# The same unpack into memory (tmpfs), where there is no flush to overlap:
# the held bundles' whole check is added.
if [ -d /dev/shm ] && [ "$(df -Pm /dev/shm | awk 'NR==2 {print $4}')" -gt 2048 ]; then
  mem=$(mktemp -d /dev/shm/xjmerge-XXXXXX)
  cp -a province "$mem/home"
  rm -f "$mem/home/ledger.sqlite"
  "$X" unpack "$C" -o "$mem/intake" --home "$mem/home" --passphrase-file demo.pass \
    --json >unpack-mem.json
  rm -rf "$mem"
  python3 - unpack-mem.json <<'PY'
import json, sys
t = json.load(open(sys.argv[1]))["seconds"]
total, held = t["total"], t["held"]
print(f"unpack into memory (tmpfs)            {total:7.2f} s")
print(f"  of which the held bundles           {held:7.2f} s  = {100 * held / (total - held):.1f}% added to the rest (no flush)")
PY
fi

if [ "$dup" -gt 0 ]; then
  # In memory when there is room (about 0.5 KB a student), so that the
  # disk does not set the pace.
  pdir=$PWD/province-data
  if [ -d /dev/shm ] && [ "$(df -Pm /dev/shm | awk 'NR==2 {print $4}')" -gt $((dup / 1500 + 1024)) ]; then
    pdir=$(mktemp -d /dev/shm/xjdup-XXXXXX)/province-data
    trap 'rm -rf "$dir" "$(dirname "$pdir")"' EXIT
  fi
  "$X" synth -o "$pdir" --level province --students "$dup" --seed 3 -q
  records=$(find "$pdir" -name students.csv -exec cat {} + | wc -l)
  /usr/bin/time -f "%e %U %S %M" -o t.check "$X" check "$pdir" -q --json >check.json || true
  read -r cs cu csys cm <t.check
  cu=$(echo "$cu + $csys" | bc -l)
  read -r keys ks < <(python3 -c '
import json, sys
t = json.load(open(sys.argv[1]))["totals"]
print(t["cross_school_keys"], t["cross_school_seconds"])' check.json)
  printf 'check of %d students in every field, with the cross-school duplicates: %.1f s (%.1f s CPU, user and system), peak %.0f MiB (one core)\n' \
    "$records" "$cs" "$cu" "$(echo "$cm / 1024" | bc -l)"
  printf '  of which comparing the %d student and ID numbers across schools: %.2f s (the keys are gathered as each school is read)\n' \
    "$keys" "$ks"
fi
