#!/bin/bash
# Bundles on real media: a FAT32 file system (an image made by mkfs.vfat,
# mounted by fusefat without kernel support), volumes on it, free-space
# refusals and disks that fill up mid-write (small tmpfs mounts), and a pack
# killed with SIGKILL while it writes the stick.
#
# Needs root (mount), /dev/fuse, fusefat and dosfstools; exits 77 (ctest:
# skipped, with the reason) where they are missing.
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
export XJPACK_HOME=$SCRATCH/home

[ "$(id -u)" = 0 ] || skip "not root: cannot mount"
[ -c /dev/fuse ] || skip "no /dev/fuse"
command -v fusefat >/dev/null || skip "fusefat is not installed"
command -v mkfs.vfat >/dev/null || skip "dosfstools is not installed"

MOUNTS=()
cleanup() {
  local m
  for m in "${MOUNTS[@]}"; do
    fusermount -u "$m" 2>/dev/null || umount "$m" 2>/dev/null
  done
  rm -rf "$SCRATCH"
}
trap cleanup EXIT
fat() {  # fat NAME KIB: a FAT file system image mounted at NAME
  mkfs.vfat ${3:-} -C "$1.img" "$2" >/dev/null || fail "mkfs.vfat $1"
  mkdir "$1"
  fusefat -o rw+ "$1.img" "$1" >/dev/null 2>&1 || fail "fusefat $1"
  MOUNTS+=("$SCRATCH/$1")
}
tmpfs() {  # tmpfs NAME OPTIONS
  mkdir "$1"
  mount -t tmpfs -o "$2" tmpfs "$1" || skip "cannot mount tmpfs"
  MOUNTS+=("$SCRATCH/$1")
}

"$XJ" keygen --signing -o clerk.key $PW $WF -q >/dev/null || fail "keygen clerk"
"$XJ" keygen --office -o county.key $PW $WF -q >/dev/null || fail "keygen county"
"$XJ" synth -o school --photos --seed 3 -q || fail "synth"
(cd school && find . -type f -exec sha256sum {} + | sort) >school.sums
to="--to 340102=county.pub"

# ---- FAT32 ----
fat stick 80000 "-F 32"
expect 0 "it may be removed" "$XJ" pack school $to -k clerk.key -o stick $PW
out_has "(fuse.fusefat)"
B=stick/XJ/2134000000-340102-000001
expect 0 "" "$XJ" verify "$B" -p clerk.pub -i county.key $PW
mkdir out
expect 0 "" "$XJ" unpack "$B" -p clerk.pub -i county.key $PW -o out -q
# Volumes on FAT32, read back from the image after a remount.
expect 0 "" "$XJ" pack school $to -k clerk.key -o stick --volume-size 700K $PW --json
grep -q '"file_system":"fuse.fusefat"' "$SCRATCH/.out" || fail "no file system in --json"
fusermount -u stick || fail "unmount"
fusefat -o ro stick.img stick >/dev/null 2>&1 || fail "remount"
V=stick/XJ/2134000000-340102-000002
[ -f "$V/payload.tar.zst.age.001" ] || fail "no volumes on the FAT32 stick: $(ls "$V")"
expect 0 "" "$XJ" verify "$V" -p clerk.pub -i county.key $PW
out_has "result:      complete"
ls -a stick/XJ | grep -q xjtmp && fail "temporary files left on the stick"
fusermount -u stick

# ---- free space: refused before writing, with the numbers ----
fat small 3000
expect 3 "small has " "$XJ" pack school $to -k clerk.key -o small $PW
grep -qE "small has [0-9]+ bytes free \([0-9.]+ MiB\); the bundle needs [0-9]+ bytes" "$SCRATCH/.err" ||
  fail "the refusal lacks the numbers: $(cat "$SCRATCH/.err")"
[ -z "$(ls -A small)" ] || fail "a refused pack wrote to the stick: $(ls -A small)"
tmpfs tiny size=1M
expect 3 "tiny has " "$XJ" pack school $to -k clerk.key -o tiny $PW
[ -z "$(ls -A tiny)" ] || fail "a refused pack wrote to the stick"

# ---- disk full while packing: the stick runs out of files mid-write ----
tmpfs inodes size=100M,nr_inodes=5
expect 3 "no space left on device" "$XJ" pack school $to -k clerk.key -o inodes $PW
[ -z "$(ls -A inodes)" ] || fail "a failed pack left $(find inodes)"
# ... and the office home fills up while the bundle is built.
tmpfs fullhome size=2M
mkdir stick2
expect 3 "no space left on device" env XJPACK_HOME="$SCRATCH/fullhome" \
  "$XJ" pack school $to -k clerk.key -o stick2 $PW
ls fullhome/outbox | grep -q . && fail "a failed pack left $(ls fullhome/outbox) in the outbox"
ls -A fullhome/work | grep -q . && fail "a failed pack left its work folder"

# ---- disk full while unpacking ----
tmpfs unpack-small size=1M
expect 3 "unpacking (the volumes and the bag) needs" \
  "$XJ" unpack home/outbox/2134000000-340102-000001 -p clerk.pub -i county.key $PW -o unpack-small
[ -z "$(ls -A unpack-small)" ] || fail "a refused unpack left $(ls -A unpack-small)"
tmpfs unpack-inodes size=100M,nr_inodes=40
expect 3 "no space left on device" "$XJ" unpack home/outbox/2134000000-340102-000001 \
  -p clerk.pub -i county.key $PW -o unpack-inodes
[ -z "$(ls -A unpack-inodes)" ] || fail "a failed unpack left $(find unpack-inodes | head)"

# ---- SIGKILL while the stick is written ----
"$XJ" synth -o big --photos --students 2500 --seed 9 -q || fail "synth big"
(cd big && find . -type f -exec sha256sum {} + | sort) >big.sums
fat killed 200000 "-F 32"
"$XJ" pack big $to -k clerk.key -o killed $PW -q &
pid=$!
for _ in $(seq 600); do  # until the payload is partly on the stick
  f=$(find killed/XJ -path '*/.xjtmp-*/payload*' -size +1k 2>/dev/null | head -1)
  [ -n "$f" ] && break
  sleep 0.05
done
[ -n "$f" ] || fail "pack never wrote the stick"
kill -KILL $pid
wait $pid 2>/dev/null
ls killed/XJ | grep -v '^\.xjtmp-' | grep -q . && fail "a killed pack left $(ls killed/XJ)"
find killed/XJ -name bundle.stmt | grep -q . && fail "a killed pack left a statement on the stick"
(cd big && find . -type f -exec sha256sum {} + | sort) | cmp -s - big.sums || fail "the source changed"
CHECKS=$((CHECKS + 4))
# The next pack removes what the dead one left, and succeeds.
expect 0 "it may be removed" "$XJ" pack big $to -k clerk.key -o killed $PW
ls -a killed/XJ | grep -q xjtmp && fail "the stale temporary folder is still there"
expect 0 "" "$XJ" verify killed/XJ/* -p clerk.pub
# ---- SIGINT: the work stops and removes what it began ----
interrupt_when() {  # interrupt_when PATTERN CMD...: SIGINT once PATTERN exists
  local pattern=$1
  shift
  "$@" >/dev/null 2>"$SCRATCH/.err" &
  local pid=$! f=
  for _ in $(seq 600); do
    f=$(find . -path "$pattern" -size +1k 2>/dev/null | head -1)
    [ -n "$f" ] && break
    sleep 0.05
  done
  [ -n "$f" ] || fail "$* never reached $pattern"
  kill -INT $pid
  wait $pid
  local rc=$?
  [ "$rc" = 130 ] || fail "$* exited $rc after SIGINT, expected 130: $(cat "$SCRATCH/.err")"
  grep -qF "interrupted; stopping and removing what was half-done" "$SCRATCH/.err" ||
    fail "no word of the interruption: $(cat "$SCRATCH/.err")"
  CHECKS=$((CHECKS + 2))
}
fat interrupted 200000 "-F 32"
interrupt_when './interrupted/XJ/.xjtmp-*/payload*' "$XJ" pack big $to -k clerk.key -o interrupted $PW
[ -z "$(ls -A interrupted/XJ 2>/dev/null)" ] || fail "an interrupted pack left $(ls -A interrupted/XJ)"
ls -A home/outbox | grep -q '^\.xjtmp' && fail "an interrupted pack left a temporary outbox folder"
mkdir unpacked
bundle=$(ls -d home/outbox/2134000000-340102-* | tail -1)
interrupt_when './unpacked/.xjpack-work-*/payload*' \
  "$XJ" unpack "$bundle" -p clerk.pub -i county.key $PW -o unpacked
[ -z "$(ls -A unpacked)" ] || fail "an interrupted unpack left $(ls -A unpacked)"
done_ok
