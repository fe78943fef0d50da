#!/bin/bash
# Speed and memory of pack, verify (without and with an identity) and unpack
# over one very large school (300 000 students, 128 MiB of registry CSV, and
# 2 000 photos), each beside the stock pipeline doing the same job on the
# same data in the same run, with ratios:
#
#   pack            xjpack pack          tar | zstd -T0 -3 | age -r; minisign -S
#   verify          xjpack verify        sha512sum over the volumes
#   verify -p -i    xjpack verify -p -i  minisign -V; age -d | zstd -d | tar -t
#   unpack          xjpack unpack        minisign -V; age -d | zstd -d | tar -x
#
# Then the floors: the work each row cannot skip, timed piece by piece with
# stock tools, and the best any schedule on this machine's cores could do
# with it (see the end of the output).
#
# xjpack does more than the stock pipelines in every row: pack also checks
# every record, normalises the files, builds and hashes the bag, splits,
# writes the outbox and the stick and reads the stick back; unpack also
# hashes every volume, checks the archive entry by entry and the bag
# against its manifests. Wall time is the best of RUNS runs (default 1);
# peak memory is the largest resident set of any process of the job.
#
# Why not a city's 1 GiB of CSV in one bundle: pack takes one school, and a
# single school of 2.4 million students is not valid registry data (the
# schema caps a summary cell at 100 000, and one county's ID numbers run
# out, so the check finds thousands of errors and nothing is packed).
# 300 000 is about the largest school that checks clean; the rates (MB/s)
# are what scale. STUDENTS can be raised to see where the check stops it.
#
# usage: bench/bundle_speed.sh [STUDENTS [PHOTOS [RUNS]]]
#   default 300000 students and 2000 photos, best of 3 runs
set -euo pipefail
cd "$(dirname "$0")/.."
X=$PWD/build/tools/xjpack
[ -x "$X" ] || { echo "build first: tools/bootstrap.sh" >&2; exit 1; }
for t in /usr/bin/time age age-keygen minisign zstd sha512sum; do
  command -v "$t" >/dev/null || { echo "needs $t (tools/bootstrap.sh installs it)" >&2; exit 1; }
done
students=${1:-300000}
photos=${2:-2000}
runs=${3:-3}

# In memory (tmpfs) when there is room, so the disk does not set the pace:
# about 5 times the input is written in all.
need_mb=$((students * 450 * 5 / 1048576 + photos * 40 * 5 / 1024 + 512))
base=${XJBENCH_DIR:-/dev/shm}
[ -d "$base" ] && [ "$(df -Pm "$base" | awk 'NR==2 {print $4}')" -gt "$need_mb" ] || base=${TMPDIR:-/var/tmp}
dir=$(mktemp -d "$base/xjbundle-XXXXXX")
trap 'rm -rf "$dir"' EXIT
cd "$dir"

echo "bundle speed: $(nproc) cores, data in $base, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
"$X" synth -o school --students "$students" --seed 1 -q
mkdir -p school/photos
python3 - "$photos" <<'PY'
import os, random, sys
rng = random.Random(1)
for i in range(int(sys.argv[1])):
    # a JPEG's size and entropy: 20-60 KB that do not compress
    with open(f"school/photos/{340102201000000000 + i}.jpg", "wb") as f:
        f.write(b"\xff\xd8\xff\xe0" + os.urandom(rng.randint(20000, 60000)))
PY
csv=$(cat school/*.csv | wc -c)
input=$(du -sb school | cut -f1)
printf 'input: %d students, %.0f MiB of CSV, %d photos, %.0f MiB in all\n' \
  "$students" "$(echo "$csv / 1048576" | bc -l)" "$photos" "$(echo "$input / 1048576" | bc -l)"

printf 'pw for the benchmark\n' >pw
"$X" keygen --signing -o clerk.key --passphrase-file pw --work-factor 10 -q >/dev/null
minisign -G -W -p stock.pub -s stock.key >/dev/null
age-keygen -o id.txt 2>/dev/null
recipient=$(age-keygen -y id.txt)

# best SECONDS-VAR RSS-VAR CMD...: runs CMD $runs times (after `prepare`),
# keeping the best wall time and the largest peak memory (KiB).
best() {
  local -n s_out=$1 m_out=$2
  shift 2
  s_out="" m_out=0
  for _ in $(seq "$runs"); do
    prepare
    /usr/bin/time -f "%e %M" -o time.txt "$@" >/dev/null
    read -r s m <time.txt
    if [ -z "$s_out" ] || awk -v a="$s" -v b="$s_out" 'BEGIN { exit !(a < b) }'; then s_out=$s; fi
    if [ "$m" -gt "$m_out" ]; then m_out=$m; fi
  done
}
row() {  # row NAME BYTES OURS-S OURS-KIB STOCK-NAME STOCK-S STOCK-KIB
  awk -v n="$1" -v b="$2" -v s="$3" -v m="$4" -v sn="$5" -v ss="$6" -v sm="$7" 'BEGIN {
    printf "%-14s %8.2f s %7.0f MB/s %6.1f MiB | %-22s %8.2f s %7.0f MB/s %6.1f MiB | %5.2fx\n",
      n, s, b / s / 1e6, m / 1024, sn, ss, b / ss / 1e6, sm / 1024, ss / s }'
}
printf '%-14s %10s %12s %10s | %-22s %10s %12s %10s | %s\n' job ours rate peak stock stock rate peak \
  "speed (>1: ours faster)"

# ---- pack ----
prepare() { rm -rf stick home stock && mkdir -p stick stock; }
best ps pm env XJPACK_HOME="$dir/home" SOURCE_DATE_EPOCH=1790000000 \
  "$X" pack school --to "340102=$recipient" -k clerk.key -o stick --passphrase-file pw --json
# The phases of the last pack, from its --json: the registry check, and the
# rest (bag, tar, zstd, age, signing; writing and reading back the stick).
prepare
env XJPACK_HOME="$dir/home" SOURCE_DATE_EPOCH=1790000000 \
  "$X" pack school --to "340102=$recipient" -k clerk.key -o stick --passphrase-file pw --json >pack.json
read -r check_s rest_s < <(python3 -c '
import json, sys
t = json.load(open(sys.argv[1]))["seconds"]
print(t["check"], t["build"] + t["media"])' pack.json)
bundle=$(ls -d stick/XJ/*)
keep_bundle=$dir/kept && rm -rf "$keep_bundle" && cp -r "$bundle" "$keep_bundle"
prepare() { rm -f stock/payload.tar.zst.age stock/payload.tar.zst.age.minisig; }
best ss sm bash -c "tar -cf - -C '$dir' school | zstd -q -T0 -3 | age -r '$recipient' >stock/payload.tar.zst.age &&
  minisign -S -s stock.key -m stock/payload.tar.zst.age >/dev/null </dev/null"
row pack "$input" "$ps" "$pm" "tar|zstd|age; minisign" "$ss" "$sm"
awk -v c="$check_s" -v r="$rest_s" -v csv="$csv" -v inp="$input" -v ss="$ss" 'BEGIN {
  printf "  of which:    check %.2f s (%.0f MB/s of CSV); the rest %.2f s (%.0f MB/s, %.2fx stock)\n",
    c, csv / c / 1e6, r, inp / r / 1e6, ss / r }'
volumes=$(cat "$keep_bundle"/payload.tar.zst.age* | wc -c)

# ---- verify, no identity ----
prepare() { :; }
best vs vm "$X" verify "$keep_bundle" -q
best hs hm sha512sum "$keep_bundle"/payload.tar.zst.age*
row verify "$volumes" "$vs" "$vm" "sha512sum" "$hs" "$hm"

# ---- verify with -p and -i ----
best cs cm "$X" verify "$keep_bundle" -p clerk.pub -i id.txt -q
best ds dm bash -c "minisign -Vq -p stock.pub -m stock/payload.tar.zst.age &&
  age -d -i id.txt stock/payload.tar.zst.age | zstd -dq | tar -tf - >/dev/null"
row "verify -p -i" "$input" "$cs" "$cm" "minisign; age|zstd|tar -t" "$ds" "$dm"

# ---- unpack ----
prepare() { rm -rf out stockout && mkdir out stockout; }
best us um "$X" unpack "$keep_bundle" -p clerk.pub -i id.txt -o out -q
best xs xm bash -c "minisign -Vq -p stock.pub -m stock/payload.tar.zst.age &&
  age -d -i id.txt stock/payload.tar.zst.age | zstd -dq | tar -xf - -C stockout"
row unpack "$input" "$us" "$um" "minisign; age|zstd|tar -x" "$xs" "$xm"
echo "rates are of the input size (of the volumes for verify); compressed payload $((volumes / 1048576)) MiB"
echo "targets: pack and unpack at least as fast as stock (>= 1.00x), verify at least 0.80x"
echo "of sha512sum, every peak under 128 MiB"

# ---- floors: what the format asks for, piece by piece ----
# Each piece of work pack and unpack cannot skip, timed alone on one core
# with a stock tool (CPU seconds, best of $runs): SHA-512 of every file (the
# bag's manifest) and of the volumes (the statement; pack hashes them once
# written and again read back from the stick), zstd at xjpack's level, age's
# ChaCha20-Poly1305, and the registry check. No schedule on $(nproc) cores
# can beat their sum divided by the cores; for unpack the volumes' hash
# comes first on its own (authenticate before decrypting: one volume is one
# SHA-512 stream, which no second core can share).
cpu() {  # cpu VAR CMD...: the best user+system seconds of CMD
  local -n c_out=$1
  shift
  c_out=""
  for _ in $(seq "$runs"); do
    /usr/bin/time -f "%U %S" -o cpu.txt "$@" >/dev/null 2>&1
    local t
    t=$(awk '{print $1 + $2}' cpu.txt)
    if [ -z "$c_out" ] || awk -v a="$t" -v b="$c_out" 'BEGIN { exit !(a < b) }'; then c_out=$t; fi
  done
}
tar -cf plain.tar -C "$dir" school
cat "$keep_bundle"/payload.tar.zst.age* >payload.age
zstd -q -1 -T1 -c plain.tar >plain.tar.zst
cpu f_hash_in bash -c "find school -type f -print0 | xargs -0 openssl dgst -sha512"
cpu f_hash_vol openssl dgst -sha512 payload.age
cpu f_zstd zstd -q -1 -T1 -c plain.tar
cpu f_age age -r "$recipient" -o /dev/null plain.tar.zst
cpu f_check "$X" check school -q
cpu f_unzstd zstd -q -d -c plain.tar.zst
age -r "$recipient" -o plain.tar.zst.age plain.tar.zst
cpu f_unage age -d -i id.txt -o /dev/null plain.tar.zst.age
awk -v hi="$f_hash_in" -v hv="$f_hash_vol" -v z="$f_zstd" -v a="$f_age" -v c="$f_check" \
    -v uz="$f_unzstd" -v ua="$f_unage" -v n="$(nproc)" -v ss="$ss" -v xs="$xs" \
    -v ps="$ps" -v us="$us" 'BEGIN {
  pack = hi + 2 * hv + z + a + c
  printf "floor, pack:   sha512 files %.2f + volumes 2 x %.2f + zstd %.2f + age %.2f + check %.2f\n", hi, hv, z, a, c
  printf "               = %.2f CPU s; on %d cores at best %.2f s = %.2fx stock (measured %.2fx)\n", pack, n, pack / n, ss / (pack / n), ss / ps
  printf "               without the check: at best %.2f s = %.2fx stock\n", (pack - c) / n, ss / ((pack - c) / n)
  unpack = hv + (ua + uz + hi) / n
  printf "floor, unpack: sha512 volumes %.2f, then (age -d %.2f + zstd -d %.2f + sha512 files %.2f) / %d\n", hv, ua, uz, hi, n
  printf "               = at best %.2f s = %.2fx stock (measured %.2fx)\n", unpack, xs / unpack, xs / us }'
echo "(floors leave out reading and writing files, tar, and the bag and statement checks)"
