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
# unpack checks each held child as soon as its files are extracted, on a
# thread of its own (and each held school's signatures as soon as that
# school's files are: a county's statement, which its judgement needs,
# comes after its schools), and what is left while the extracted files are
# flushed to the disk. On the disk (one run), what the held bundles add is
# how long the unpack waited for them after everything else. In memory
# (tmpfs: no disk to wait for), it is measured against the same unpack
# with --held-after-extract, which checks them only after the extraction
# and so also times the unpack without them: XJBENCH_RUNS runs of each
# (15: a shared virtual machine's speed drifts by a tenth between runs,
# and single pairs here range from -35% to +38%), taken in turn, and the
# medians.
#
# XJBENCH_FLOW=DIR reuses the city of an earlier `xjpack demo -o DIR
# --students N` (the figures' files are written into DIR).
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
if [ -n "${XJBENCH_FLOW:-}" ]; then
  cd "$XJBENCH_FLOW"
  echo "the city of $XJBENCH_FLOW, built before"
else
  start=$(date +%s)
  "$X" demo -o "$dir/flow" --students "$students" >"$dir/demo.log" 2>&1 || {
    tail -20 "$dir/demo.log" >&2
    exit 1
  }
  echo "built the city with xjpack demo in $(($(date +%s) - start)) s"
  cd "$dir/flow"
fi
C=$(ls -d stick-province/XJ/3401-340000-* | head -1)
schools=$(find city-data -name school.csv | wc -l)
size=$(cat "$C"/payload.tar.zst.age* | wc -c)
printf 'city bundle: %d schools, %d students, %.0f MiB of volumes\n' \
  "$schools" "$(sed -n 's/^records: //p' "$C/bundle.stmt")" "$(echo "$size / 1048576" | bc -l)"

rm -rf province-bench
cp -a province province-bench
rm -f province-bench/ledger.sqlite
/usr/bin/time -f "%e %M" -o t.verify "$X" verify "$C" --home province-bench -q
read -r vs vm <t.verify
printf 'verify (chain, signatures, volumes)   %7.2f s  peak %6.1f MiB\n' "$vs" "$(echo "$vm / 1024" | bc -l)"
/usr/bin/time -f "%e %M" -o t.verifyi "$X" verify "$C" --home province-bench -q \
  -i province-bench/keys/office.key --passphrase-file demo.pass
read -r ws wm <t.verifyi
printf 'verify -i (and every held bundle)     %7.2f s  peak %6.1f MiB\n' "$ws" "$(echo "$wm / 1024" | bc -l)"
# unpack checks each held child as soon as its files are extracted; with
# --held-after-extract it checks them all after the extraction (the same
# checks), which also gives the unpack without them: its total less the
# check's share that ran on past the flush (on the disk) or all of its
# check (in memory, where nothing is flushed). What the held bundles add is
# the default unpack's total less that.
unpack_run() { # HOME-COPY OUT JSON [flags]
  local home=$1 out=$2 json=$3
  shift 3
  rm -rf "$home" "$out"
  cp -a province "$home"
  rm -f "$home/ledger.sqlite"
  sync  # what earlier runs wrote is not flushed during this one
  "$X" unpack "$STICK" -o "$out" --home "$home" --passphrase-file demo.pass --json "$@" >"$json"
}
STICK=$C
cp -a province province-time
rm -f province-time/ledger.sqlite
sync
/usr/bin/time -f "%e %M %U %S" -o t.unpack "$X" unpack "$C" -o intake-bench \
  --home province-time --passphrase-file demo.pass --json >unpack.json
read -r us um uu usys <t.unpack
rm -rf intake-bench province-time
unpack_run province-after intake-after unpack-after.json --held-after-extract
rm -rf intake-after province-after
# Onto the disk the extraction waits on the disk's writes, and two runs
# differ by seconds, so what the held bundles add is not the difference of
# two totals: it is how long the unpack waited for them once all else was
# done (the check that ran on past the flush), with the machine's use of
# its cores to show that the check ran in time they would have been idle.
python3 - "$us" "$um" "$uu" "$usys" "$(nproc)" unpack.json unpack-after.json <<'PY'
import json, sys
wall, peak = float(sys.argv[1]), int(sys.argv[2]) / 1024
user, system, cores = float(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5])
cpu = user + system
d = json.load(open(sys.argv[6]))
t, a = d["seconds"], json.load(open(sys.argv[7]))["seconds"]
print(f"unpack (verify, decrypt, extract, bag) {wall:7.2f} s  peak {peak:6.1f} MiB")
print(f"  {cpu:.2f} s of CPU ({user:.2f} user, {system:.2f} system) in {wall:.2f} s on {cores} cores: the cores {100 * cpu / (wall * cores):.0f}% busy")
print(f"  held bundles ({len(d['schools'])} schools, each down to its signatures):")
print(f"    checked while the bag was extracted {t['held_early']:7.2f} s  (a thread's busy time, shared cores)")
print(f"    checked after it                  {t['held']:7.2f} s  alongside the flush to the disk ({t['flush']:.2f} s)")
print(f"  what the held bundles add: the unpack waited {t['held_beyond_flush']:.2f} s for them beyond the flush = {100 * t['held_beyond_flush'] / t['total']:.1f}%")
print(f"  (checked only after the extraction, the same unpack took {a['total']:.2f} s and waited")
print(f"   {a['held_beyond_flush']:.2f} s = {100 * a['held_beyond_flush'] / a['total']:.1f}%; unpacks onto this disk differ by seconds, so totals are not compared)")
PY
# The same from memory into memory (tmpfs), where there is no flush to
# overlap, the two orders taken in turn (RUNS of each; the medians), since
# one run in memory is short and the machine's other work shows.
if [ -d /dev/shm ] && [ "$(df -Pm /dev/shm | awk 'NR==2 {print $4}')" -gt 2048 ]; then
  mem=$(mktemp -d /dev/shm/xjmerge-XXXXXX)
  # The stick in memory too: the disk (and what the page cache happens
  # to keep of the volumes) takes no part.
  cp -a "$C" "$mem/"
  STICK=$mem/$(basename "$C")
  runs=${XJBENCH_RUNS:-15}
  for i in $(seq "$runs"); do
    unpack_run "$mem/home" "$mem/intake" "unpack-mem-$i.json"
    unpack_run "$mem/home" "$mem/intake" "unpack-mem-after-$i.json" --held-after-extract
  done
  rm -rf "$mem"
  python3 - "$runs" <<'PY'
import json, statistics, sys
n = int(sys.argv[1])
early = [json.load(open(f"unpack-mem-{i}.json"))["seconds"] for i in range(1, n + 1)]
after = [json.load(open(f"unpack-mem-after-{i}.json"))["seconds"] for i in range(1, n + 1)]
med = statistics.median
base = [a["total"] - a["held"] for a in after]
added = [100 * (e["total"] - b) / b for e, b in zip(early, base)]
late = [100 * a["held"] / b for a, b in zip(after, base)]
print(f"unpack from memory into memory (tmpfs), {n} runs of each, medians:")
print(f"  held bundles checked after the extraction: {med(a['total'] for a in after):.2f} s, of which the check {med(a['held'] for a in after):.2f} s = {med(late):.1f}% added")
print(f"  checked as the bag is extracted (the default): {med(e['total'] for e in early):.2f} s, {med(e['held'] for e in early):.2f} s of it after the extraction")
print(f"  without them (the first's total less its check) {med(base):.2f} s")
print(f"  what the held bundles add                 {med(added):5.1f}%  (each pair: {', '.join(f'{x:.1f}' for x in added)})")
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
