#!/bin/bash
# Speed and memory of `xjpack check` over a synthetic county (100 000
# students) and city (1 000 000), from one run: records checked per second
# (every CSV record of every file, and students alone), wall and CPU time,
# peak resident memory. Also how long synth took to write them.
#
# usage: bench/check_speed.sh [COUNTY-STUDENTS [CITY-STUDENTS [PROVINCE-STUDENTS]]]
#   (the province run, e.g. 10000000, is optional: about 5 GB and 3 minutes)
set -euo pipefail
cd "$(dirname "$0")/.."
X=$PWD/build/tools/xjpack
[ -x "$X" ] || { echo "build first: tools/bootstrap.sh" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "needs GNU time (apt-get install time)" >&2; exit 1; }
county=${1:-100000}
city=${2:-1000000}
province=${3:-0}
# Data in memory (tmpfs) when there is room (about 0.5 KB a student), so
# the disk does not set the pace.
need_mb=$(( (county + city + province) / 1500 + 64 ))
base=${XJBENCH_DIR:-/dev/shm}
[ -d "$base" ] && [ "$(df -Pm "$base" | awk 'NR==2 {print $4}')" -gt "$need_mb" ] || base=${TMPDIR:-/var/tmp}
dir=$(mktemp -d "$base/xjcheck-XXXXXX")
trap 'rm -rf "$dir"' EXIT

echo "check speed: $(nproc) cores, data in $base, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
printf '%-8s %10s %10s %9s %9s %13s %13s %10s\n' level students records synth-s check-s \
  records/s students/s peak-RSS
run() {
  local level=$1 code=$2 n=$3
  /usr/bin/time -f "%e" -o "$dir/synth.time" \
    "$X" synth -o "$dir/$level" --level "$level" --code "$code" --students "$n" --seed 1 -q
  local best="" rss="" line=""
  for i in 1 2 3; do
    /usr/bin/time -f "%e %U %M" -o "$dir/check.time" "$X" check "$dir/$level" --json >"$dir/out.json"
    read -r s u m <"$dir/check.time"
    if [ -z "$best" ] || awk -v a="$s" -v b="$best" 'BEGIN { exit !(a < b) }'; then
      best=$s rss=$m
    fi
    [ "$level" != county ] && break  # one run is enough at these sizes
  done
  python3 - "$dir/out.json" "$level" "$(cat "$dir/synth.time")" "$best" "$rss" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
t = d["totals"]
records = sum(t["records"].values())
students = t["records"]["students.csv"]
s = float(sys.argv[4])
print(f"{sys.argv[2]:<8} {students:>10} {records:>10} {float(sys.argv[3]):>9.2f} {s:>9.2f} "
      f"{records / s:>13,.0f} {students / s:>13,.0f} {int(sys.argv[5]) / 1024:>8.1f}M"
      + ("" if t["errors"] == 0 else f"  ({t['errors']} errors!)"))
PY
  rm -rf "${dir:?}/$level"
}
run county 340104 "$county"
run city 340100 "$city"
[ "$province" -gt 0 ] && run province 340000 "$province"
echo "target: 500 000 records a second on one core (check is single-threaded);"
echo "memory should stay flat as the data grows (only the cross-school key sets grow)"
