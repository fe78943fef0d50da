#!/bin/bash
# What each part of checking the held bundles costs an unpack of a merged
# city from memory into memory (tmpfs), where there is no disk to wait for
# and the check has only the cores' idle time: the floor any check of this
# design has on this machine.
#
# It builds this checkout's xjpack again with bench/held_floor.diff applied
# (in a scratch worktree; the switch it adds, XJPACK_HELD_FLOOR, exists only
# in that build) and times the unpack, RUNS times each in turn (medians):
#
#   none        no check of the held bundles at all (--held-after-extract,
#               and then none): the unpack without them
#   handover    the extraction hands every held file over to the check's
#               thread, which does nothing with it
#   rosters     that, and each school's roster counted as it is extracted
#               (for the check of the merged summaries)
#   signatures  that, and the check's four Ed25519 verifications a school
#               (two minisign signatures, each with its global signature),
#               and nothing else
#   full        the whole check, as xjpack makes it
#
# usage: bench/held_floor.sh CITY-DIR [RUNS]
#   CITY-DIR: a folder made by `xjpack demo -o CITY-DIR --students N`
#   (bench/merge_speed.sh's city; 1 000 000 students is the issue's size)
set -euo pipefail
cd "$(dirname "$0")/.."
flow=${1:?usage: bench/held_floor.sh CITY-DIR [RUNS]}
runs=${2:-5}
flow=$(cd "$flow" && pwd)
command -v cmake >/dev/null || { echo "build first (tools/bootstrap.sh)" >&2; exit 1; }
[ "$(df -Pm /dev/shm | awk 'NR==2 {print $4}')" -gt 2048 ] ||
  { echo "needs 2 GiB free in /dev/shm" >&2; exit 1; }
work=$(mktemp -d "${XJBENCH_DIR:-/var/tmp}/xjfloor-XXXXXX")
mem=$(mktemp -d /dev/shm/xjfloor-XXXXXX)
top=$PWD
trap 'rm -rf "$mem"; git -C "$top" worktree remove --force "$work/src" 2>/dev/null || true; rm -rf "$work"' EXIT
git worktree add -q --detach "$work/src" HEAD
git -C "$work/src" apply "$top/bench/held_floor.diff"
cmake -S "$work/src" -B "$work/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$work/build" --target xjpack -j"$(nproc)" >/dev/null
X=$work/build/tools/xjpack

C=$(ls -d "$flow"/stick-province/XJ/3401-340000-* | head -1)
cp -a "$C" "$mem/"
stick=$mem/$(basename "$C")
schools=$(find "$flow/city-data" -name school.csv | wc -l)
one() { # MODE [FLAGS...]: prints the unpack's total seconds
  local mode=$1
  shift
  rm -rf "$mem/home" "$mem/intake"
  cp -a "$flow/province" "$mem/home"
  rm -f "$mem/home/ledger.sqlite"
  XJPACK_HELD_FLOOR=$mode "$X" unpack "$stick" -o "$mem/intake" --home "$mem/home" \
    --passphrase-file "$flow/demo.pass" --json "$@" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["seconds"]["total"])'
}
parts=(none handover rosters signatures full)
: >"$work/times"
for _ in $(seq "$runs"); do
  for p in "${parts[@]}"; do
    case $p in
      none) t=$(one none --held-after-extract) ;;
      full) t=$(one "") ;;
      *) t=$(one "$p") ;;
    esac
    echo "$p $t" >>"$work/times"
  done
done
echo "held check, part by part: $(nproc) cores, $(date -u +%Y-%m-%dT%H:%M:%SZ), $schools schools,"
echo "unpack from memory into memory, $runs runs of each in turn, medians (each run's total):"
python3 - "$work/times" "${parts[@]}" <<'PY'
import collections, statistics, sys
t = collections.defaultdict(list)
for line in open(sys.argv[1]):
    p, v = line.split()
    t[p].append(float(v))
base = statistics.median(t["none"])
for p in sys.argv[2:]:
    m = statistics.median(t[p])
    added = "" if p == "none" else f"{100 * (m / base - 1):+6.1f}%"
    print(f"  {p:<11} {m:6.3f} s {added:>8}   ({' '.join(f'{x:.3f}' for x in t[p])})")
PY
