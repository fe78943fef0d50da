#!/bin/bash
# Encryption and decryption speed and peak memory of xjpack beside stock
# age, on the same file, in one run (each figure the best of three). Prints wall time, throughput and peak
# resident memory for each, and the ratios.
#
# usage: bench/age_speed.sh [SIZE-MiB]    (default 1024; build first)
set -euo pipefail
cd "$(dirname "$0")/.."
X=$PWD/build/tools/xjpack
[ -x "$X" ] || { echo "build first: tools/bootstrap.sh" >&2; exit 1; }
command -v age >/dev/null || { echo "needs stock age (apt-get install age)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "needs GNU time (apt-get install time)" >&2; exit 1; }
mib=${1:-1024}
# In memory (tmpfs) when there is room, so the disk does not set the pace.
base=${XJBENCH_DIR:-/dev/shm}
[ -d "$base" ] && [ "$(df -Pm "$base" | awk 'NR==2 {print $4}')" -gt $((mib * 5)) ] || base=${TMPDIR:-/var/tmp}
dir=$(mktemp -d "$base/xjbench-XXXXXX")
trap 'rm -rf "$dir"' EXIT
cd "$dir"

age-keygen -o id.txt 2>/dev/null
R=$(age-keygen -y id.txt)
head -c $((mib * 1048576)) /dev/urandom >plain
sync

# best NAME OUT CMD...: runs CMD three times (removing OUT after each but
# the last) and prints the fastest run's "seconds peak-KiB". Best of three
# keeps a cold page cache or first-touch memory from deciding the figure.
best() {
  local name=$1 out=$2
  shift 2
  local i s kb best_s="" best_kb=""
  for i in 1 2 3; do
    rm -f "$out"
    /usr/bin/time -f "%e %M" -o "$name.time" "$@" >/dev/null
    read -r s kb <"$name.time"
    if [ -z "$best_s" ] || awk -v a="$s" -v b="$best_s" 'BEGIN { exit !(a < b) }'; then
      best_s=$s
      best_kb=$kb
    fi
  done
  echo "$best_s $best_kb"
}

read -r ours_enc_s ours_enc_kb < <(best ours_enc ours.age "$X" encrypt plain -r "$R" -o ours.age)
age -d -i id.txt ours.age | cmp -s plain - || { echo "age cannot read xjpack's file" >&2; exit 1; }
rm -f ours.age
read -r age_enc_s age_enc_kb < <(best age_enc stock.age age -r "$R" -o stock.age plain)
read -r ours_dec_s ours_dec_kb < <(best ours_dec out "$X" decrypt stock.age -i id.txt -o out)
cmp -s plain out || { echo "xjpack round trip differs" >&2; exit 1; }
read -r age_dec_s age_dec_kb < <(best age_dec out age -d -i id.txt -o out stock.age)
cmp -s plain out || { echo "age round trip differs" >&2; exit 1; }
rm -f out

row() {
  awk -v name="$1" -v s="$2" -v kb="$3" -v mib="$mib" \
    'BEGIN { printf "%-22s %8.2f s %9.0f MB/s %8.1f MiB\n", name, s, mib * 1.048576 / (s > 0 ? s : 0.001), kb / 1024 }'
}
echo "age speed: $mib MiB of random data in $base, $(nproc) cores, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
printf '%-22s %10s %14s %12s\n' "" "wall" "throughput" "peak RSS"
row "xjpack encrypt" "$ours_enc_s" "$ours_enc_kb"
row "age encrypt" "$age_enc_s" "$age_enc_kb"
row "xjpack decrypt" "$ours_dec_s" "$ours_dec_kb"
row "age -d" "$age_dec_s" "$age_dec_kb"
awk -v a="$age_enc_s" -v o="$ours_enc_s" -v b="$age_dec_s" -v p="$ours_dec_s" \
  'BEGIN { printf "speed ratio (age time / xjpack time): encrypt %.2fx, decrypt %.2fx\n", a / o, b / p }'
awk -v e="$ours_enc_kb" -v d="$ours_dec_kb" \
  'BEGIN { m = (e > d ? e : d) / 1024; printf "xjpack peak memory %.1f MiB (target < 32 MiB): %s\n", m, (m < 32 ? "met" : "NOT met") }'
