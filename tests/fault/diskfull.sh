#!/bin/bash
# Disks that fill up: pack and merge onto a stick (a small tmpfs, and a
# FAT32 image mounted by fusefat) and unpack into a folder, each filled to
# several levels around what the bundle needs; and the office home itself
# full while unpack commits to its ledger and while merge works.
#
# At every level the operation either succeeds (and its bundle verifies)
# or exits 3 with a clear message, and then: nothing on the stick looks
# like a bundle that is not one (xjpack verify refuses whatever is left),
# the destination of unpack holds no bag, the source is byte for byte what
# it was, the ledger passes integrity_check and records nothing it does not
# hold, and the same operation succeeds once there is room.
#
# Two parts, two ctests: `diskfull.sh tmpfs` (fault_diskfull: tmpfs
# sticks, sticks out of inodes, unpack and merge into full folders) and
# `diskfull.sh fat32` (fault_diskfull_fat32: the FAT32 stick).
#
# Needs root (mount) and, for FAT32, /dev/fuse, fusefat and dosfstools;
# exits 77 (ctest: skipped) with the reason where they are missing.
#
# usage: diskfull.sh tmpfs|fat32
HERE=$(cd "$(dirname "$0")" && pwd)
[ -w /dev/shm ] && export TMPDIR=/dev/shm # fsync is slow on disks, and free on tmpfs
. "$HERE/lib.sh"
PART=${1:-}
case $PART in
  tmpfs | fat32) ;;
  *) fail "usage: diskfull.sh tmpfs|fat32" ;;
esac
[ "$(id -u)" = 0 ] || skip "not root: cannot mount"
if [ "$PART" = fat32 ]; then
  [ -c /dev/fuse ] || skip "FAT32: no /dev/fuse"
  command -v fusefat >/dev/null || skip "FAT32: fusefat is not installed (apt-get install fusefat)"
  command -v mkfs.vfat >/dev/null || skip "FAT32: mkfs.vfat is not installed (apt-get install dosfstools)"
fi
SECONDS=0

MOUNTS=()
cleanup() {
  local m
  for m in "${MOUNTS[@]}"; do
    fusermount -u "$m" 2>/dev/null || umount "$m" 2>/dev/null
  done
  rm -rf "$SCRATCH"
}
trap cleanup EXIT
tmpfs() { # tmpfs DIR SIZE
  mkdir -p "$1"
  mount -t tmpfs -o "size=$2" tmpfs "$1" || skip "cannot mount tmpfs"
  MOUNTS+=("$SCRATCH/$1")
}
# fill DIR FREE: a filler file leaves FREE bytes free in DIR's file system
# (as near as its blocks allow). The filler is first written until the disk
# is full (fusefat reports no free space), then cut or grown.
fill() {
  local f=$1/filler capf=$SCRATCH/.$(basename "$1").cap size now
  if [ ! -f "$capf" ]; then
    head -c 1G /dev/zero >"$f" 2>/dev/null
    stat -c %s "$f" >"$capf"
  fi
  size=$(($(cat "$capf") > $2 ? $(cat "$capf") - $2 : 0))
  now=$(stat -c %s "$f" 2>/dev/null || echo 0)
  if [ "$now" -lt "$size" ]; then
    head -c $((size - now)) /dev/zero >>"$f" 2>/dev/null
  elif [ "$now" -gt "$size" ]; then
    truncate -s "$size" "$f"
  fi
}
# room DIR: 4 MiB free (the rerun "with room").
room() { fill "$1" 4194304; }
# inodes DIR N: DIR a fresh tmpfs with room for N files and folders only.
inodes() {
  umount "$1" 2>/dev/null
  mkdir -p "$1"
  mount -t tmpfs -o "size=4M,nr_inodes=$2" tmpfs "$1" || skip "cannot mount tmpfs"
  MOUNTS+=("$SCRATCH/$1")
}
free_bytes() { echo $(($(stat -f -c '%a * %S' "$1"))); }
# full_outcome WHAT GOT: 0, or 3 with the disk named as full.
full_outcome() {
  if [ "$2" = 0 ]; then echo "$1: done"; else echo "$1: exit $2: $(head -c 160 .err)"; fi
  case $2 in
    0) return 0 ;;
    # (fusefat answers a full disk with EPERM, "operation not permitted",
    # and, for a folder it made but could not give a cluster, ENOENT: "no
    # such file or directory", accepted on FAT32 only, by FULL_EXTRA). The
    # error line is what must say it, not the hint that follows it.
    3) grep '^xjpack: error:' .err |
      grep -qiE "no space left on device|bytes free|needs [0-9]+ bytes|database or disk is full|disk I/O error|file too large|operation not permitted${FULL_EXTRA:+|$FULL_EXTRA}" ||
      fail "$1: exit 3 without saying the disk is full: $(cat .err)" ;;
    *) fail "$1 exited $2 (expected 0, or 3): $(cat .err)" ;;
  esac
  CHECKS=$((CHECKS + 1))
  return 3
}

# stick_hint WHAT: a pack that failed while writing the stick says what to
# do (the bundle waits in the outbox, to be copied to a stick with room).
stick_hint() {
  grep -q '^xjpack: hint: the stick may be full or failing.*is kept in .*/outbox/2134000000-340102-0000[0-9]*: copy that folder to' .err ||
    fail "$1: no hint of the outbox copy: $(cat .err)"
}

setup_offices
mkdir sticks
"$XJ" pack cty/2134000000 --to 340102 -o sticks --home school $PW -q || fail "pack school"
"$XJ" pack cty/3134000000 --to 340102 -o sticks --home junior $PW -q || fail "pack junior"
S=sticks/XJ/2134000000-340102-000001
J=sticks/XJ/3134000000-340102-000001
sums cty >cty.sums
sums sticks >sticks.sums
NEED=$(du -sb "$S" | cut -f1)
echo "a school's bundle: $NEED bytes"
midwrite=0 # levels at which a write failed for want of room (not refused before)

if [ "$PART" = fat32 ]; then
  # ---- pack onto a full FAT32 stick ----
  # fusefat reports no free space, so pack cannot check first: the writes
  # fail. Each level starts from a copy of one full image (fusefat does not
  # always recover from a full disk: a folder it failed to make stays as an
  # entry in which nothing can be made).
  mkfs.vfat -F 32 -C fat.img 34000 >/dev/null || fail "mkfs.vfat"
  mkdir fatstick
  fusefat -o rw+ fat.img fatstick >/dev/null 2>&1 || fail "fusefat"
  mkdir fatstick/XJ
  head -c 1G /dev/zero >fatstick/filler 2>/dev/null
  FATCAP=$(stat -c %s fatstick/filler)
  fusermount -u fatstick || fail "fusermount"
  for free in 0 4096 $((NEED / 2)) $((NEED - 2048)) $((NEED + 2048)) $((NEED + 16384)) \
    $((NEED + 65536)); do
    what="pack onto FAT32 with $free bytes free"
    cp fat.img level.img
    fusefat -o rw+ level.img fatstick >/dev/null 2>&1 || fail "fusefat"
    MOUNTS+=("$SCRATCH/fatstick")
    [ "$free" = 0 ] || truncate -s $((FATCAP - free)) fatstick/filler || fail "truncate on FAT32"
    "$XJ" pack cty/2134000000 --to 340102 -o fatstick --home school $PW -q >.out 2>.err
    if ! FULL_EXTRA="no such file or directory" full_outcome "$what" $?; then
      midwrite=$((midwrite + 1))
      stick_hint "$what"
      no_partial fatstick county.fresh
      [ "$(sums cty)" = "$(cat cty.sums)" ] || fail "$what changed the source"
      truncate -s $((FATCAP - 4194304)) fatstick/filler
      "$XJ" pack cty/2134000000 --to 340102 -o fatstick --home school $PW -q >.out 2>.err ||
        fail "$what: with room again, pack failed: $(cat .err)"
    fi
    "$XJ" verify fatstick/XJ/2134000000-340102-* --home county.fresh >.out 2>.err ||
      fail "$what: the bundle does not verify: $(cat .err)"
    if ls -a fatstick/XJ | grep -q '^\.xjtmp'; then
      # What fusefat cannot remove either (an entry it broke when the disk
      # was full) is its fault; what it can, xjpack should have removed.
      # fusefat may also loop for ever on such an entry (seen in CI, the
      # daemon at full CPU): it is given a minute, then stopped.
      left=$(ls -a fatstick/XJ | grep '^\.xjtmp')
      if ! timeout -s KILL 60 rm -rf fatstick/XJ/.xjtmp-* 2>/dev/null &&
        ! timeout -s KILL 5 ls -a fatstick/XJ >/dev/null 2>&1; then
        pkill -9 -f "level.img fatstick" || true
        fusermount -uz fatstick 2>/dev/null || true
        echo "$what: fusefat hung removing $left (an entry it broke on the full disk)"
        CHECKS=$((CHECKS + 1))
        continue
      fi
      ls -a fatstick/XJ | grep -q '^\.xjtmp' ||
        fail "$what: the rerun left $left, which could be removed"
      echo "$what: fusefat cannot remove $left (an entry it broke on the full disk)"
    fi
    fusermount -u fatstick || fail "fusermount"
    CHECKS=$((CHECKS + 1))
  done
  rm -f fat.img level.img
  [ "$midwrite" -gt 0 ] || fail "no FAT32 level made a write fail mid-way: the levels need adjusting"
  echo "fault_diskfull_fat32: ${SECONDS}s, $midwrite level(s) failed mid-write"
  done_ok
  exit 0
fi

# ---- pack onto a full tmpfs stick ----
pack_onto() { # pack_onto STICK LABEL
  local stick=$1 label=$2 free
  for free in $LEVELS; do
    local what="pack onto $label with $free bytes free"
    # XJ/ made while there is room: fusefat, failing to make a folder on a
    # full disk, leaves an entry that nothing can be made in.
    rm -rf "$stick/XJ" && mkdir "$stick/XJ"
    fill "$stick" "$free"
    "$XJ" pack cty/2134000000 --to 340102 -o "$stick" --home school $PW -q >.out 2>.err
    if ! full_outcome "$what" $?; then
      grep -q "bytes free" .err || { midwrite=$((midwrite + 1)); stick_hint "$what"; }
      no_partial "$stick" county.fresh
      [ "$(sums cty)" = "$(cat cty.sums)" ] || fail "$what changed the source"
      room "$stick"
      "$XJ" pack cty/2134000000 --to 340102 -o "$stick" --home school $PW -q >.out 2>.err ||
        fail "$what: with room again, pack failed: $(cat .err)"
      # (a temporary folder of the failed run is never a bundle; the rerun
      # removes it)
      ls -a "$stick/XJ" | grep -q '^\.xjtmp' && fail "$what: the rerun left $(ls -a "$stick/XJ")"
    fi
    "$XJ" verify "$stick"/XJ/2134000000-340102-* --home county.fresh >.out 2>.err ||
      fail "$what: the bundle does not verify: $(cat .err)"
    CHECKS=$((CHECKS + 1))
  done
  rm -rf "$stick/XJ"
}
# What pack says it needs (it checks before writing, with a margin).
tmpfs stick 2M
fill stick 0
"$XJ" pack cty/2134000000 --to 340102 -o stick --home school $PW -q >.out 2>.err
WANT=$(sed -n 's/.*the bundle needs \([0-9]*\) bytes.*/\1/p' .err)
[ -n "$WANT" ] || fail "pack onto a full stick did not say what it needs: $(cat .err)"
LEVELS="0 4096 $((NEED / 2)) $((NEED + 2048)) $((WANT - 8192)) $((WANT + 8192)) $((WANT + 65536))"
pack_onto stick tmpfs
# A stick that runs out of files and folders while it is written.
for n in 3 5 8 11 14 17 20 24; do
  what="pack onto a tmpfs with room for $n files"
  inodes istick "$n"
  "$XJ" pack cty/2134000000 --to 340102 -o istick --home school $PW -q >.out 2>.err
  if ! full_outcome "$what" $?; then
    midwrite=$((midwrite + 1))
    stick_hint "$what"
    no_partial istick county.fresh
    [ "$(sums cty)" = "$(cat cty.sums)" ] || fail "$what changed the source"
    ls -a istick/XJ 2>/dev/null | grep -q '^\.xjtmp' && fail "$what left $(ls -a istick/XJ)"
  fi
done
umount istick

# ---- unpack into a full folder ----
mkdir ref && cp -a county.fresh uref
"$XJ" unpack "$S" -o ref --home uref $PW -q || fail "reference unpack"
REF=$(sums ref/2134000000-340102-000001)
BAG=$(du -sb ref | cut -f1)
tmpfs dest 4M
for free in 0 4096 $((BAG / 2)) $((BAG + NEED / 2)) $((BAG + NEED)) $((2 * BAG + NEED)) \
  $((2 * BAG + 2 * NEED + 65536)); do
  what="unpack into a folder with $free bytes free"
  rm -rf u && cp -a county.fresh u
  rm -rf dest/out && mkdir dest/out
  fill dest "$free"
  "$XJ" unpack "$S" -o dest/out --home u $PW -q >.out 2>.err
  if ! full_outcome "$what" $?; then
    grep -qE "bytes free|needs [0-9]+ bytes" .err || midwrite=$((midwrite + 1))
    [ -z "$(ls -A dest/out)" ] || fail "$what left $(ls -A dest/out)"
    [ "$(accepted_count u 2134000000-340102-000001)" = 0 ] || fail "$what recorded the bundle"
    ledger_ok u dest/out 2134000000-340102-000001
    room dest
    "$XJ" unpack "$S" -o dest/out --home u $PW -q >.out 2>.err ||
      fail "$what: with room again, unpack failed: $(cat .err)"
  fi
  [ "$(sums dest/out/2134000000-340102-000001)" = "$REF" ] || fail "$what: the bag differs"
  [ "$(accepted_count u 2134000000-340102-000001)" = 1 ] || fail "$what: not recorded once"
  [ "$(sums sticks)" = "$(cat sticks.sums)" ] || fail "$what changed the stick"
  CHECKS=$((CHECKS + 3))
done

for n in 3 5 8 11 14 17 20 24 28; do
  what="unpack into a tmpfs with room for $n files"
  rm -rf u && cp -a county.fresh u
  inodes idest "$n"
  "$XJ" unpack "$S" -o idest --home u $PW -q >.out 2>.err
  if ! full_outcome "$what" $?; then
    midwrite=$((midwrite + 1))
    [ -z "$(ls -A idest)" ] || fail "$what left $(ls -A idest)"
    [ "$(accepted_count u 2134000000-340102-000001)" = 0 ] || fail "$what recorded the bundle"
    ledger_ok u idest 2134000000-340102-000001
  else
    [ "$(sums idest/2134000000-340102-000001)" = "$REF" ] || fail "$what: the bag differs"
  fi
done
umount idest

# ---- the office home full while unpack commits to its ledger ----
HOMESIZE=$(du -sb county.fresh | cut -f1)
tmpfs homefs 4M
for free in 0 2048 8192 16384 32768 65536 131072; do
  what="unpack with $free bytes free in the office home"
  rm -rf homefs/u out && mkdir out && cp -a county.fresh homefs/u
  fill homefs "$free"
  "$XJ" unpack "$S" -o out --home homefs/u $PW -q >.out 2>.err
  got=$?
  if ! full_outcome "$what" $got; then
    midwrite=$((midwrite + 1))
    ledger_ok homefs/u out 2134000000-340102-000001
    room homefs
    "$XJ" unpack "$S" -o out --home homefs/u $PW >.out 2>.err ||
      fail "$what: with room again, unpack failed: $(cat .err)"
  fi
  [ "$(sums out/2134000000-340102-000001)" = "$REF" ] || fail "$what: the bag differs"
  [ "$(accepted_count homefs/u 2134000000-340102-000001)" = 1 ] || fail "$what: not recorded once"
  [ -f homefs/u/outbox/receipts/2134000000-340102-000001/receipt.stmt ] ||
    fail "$what: no receipt after the rerun"
  CHECKS=$((CHECKS + 3))
done
echo "(the home holds $HOMESIZE bytes)"

# ---- merge: the stick full, and the home full while it works ----
mkdir mref && cp -a county.fresh mh
"$XJ" merge "$S" "$J" --to 3401 -o mref --home mh $PW -q || fail "reference merge"
M=mref/XJ/340102-3401-000001
MNEED=$(du -sb "$M" | cut -f1)
REF_CHILDREN=$(grep '^child: ' "$M/bundle.stmt")
tmpfs mstick 2M
tmpfs mhome 8M
merge_check() { # WHAT STICK HOME
  local what=$1 stick=$2 home=$3
  if ! full_outcome "$what" "$4"; then
    [ "$(sums sticks)" = "$(cat sticks.sums)" ] || fail "$what changed the children's stick"
    no_partial "$stick" city.fresh
    if [ -f "$home/ledger.sqlite" ]; then
      [ "$(sqlite3 "$home/ledger.sqlite" 'pragma integrity_check')" = ok ] || fail "$what: the ledger is damaged"
    fi
    room mstick
    room mhome
    "$XJ" merge "$S" "$J" --to 3401 -o "$stick" --home "$home" $PW -q >.out 2>.err ||
      fail "$what: with room again, merge failed: $(cat .err)"
  fi
  local b
  b=$(ls -d "$stick"/XJ/340102-3401-* | tail -1)
  [ "$(grep '^child: ' "$b/bundle.stmt")" = "$REF_CHILDREN" ] || fail "$what: other children"
  "$XJ" verify "$b" --home city.fresh >.out 2>.err || fail "$what: $(cat .err)"
  CHECKS=$((CHECKS + 2))
}
fill mstick 0
"$XJ" merge "$S" "$J" --to 3401 -o mstick --home mh $PW -q >.out 2>.err
MWANT=$(sed -n 's/.*the bundle needs \([0-9]*\) bytes.*/\1/p' .err)
[ -n "$MWANT" ] || fail "merge onto a full stick did not say what it needs: $(cat .err)"
for free in 0 $((MNEED / 2)) $((MWANT - 8192)) $((MWANT + 8192)) $((MWANT + 65536)); do
  what="merge onto a stick with $free bytes free"
  rm -rf m mstick/XJ && cp -a county.fresh m
  fill mstick "$free"
  "$XJ" merge "$S" "$J" --to 3401 -o mstick --home m $PW -q >.out 2>.err
  got=$?
  [ "$got" = 3 ] && ! grep -q "bytes free" .err && midwrite=$((midwrite + 1))
  merge_check "$what" mstick m "$got"
done
for free in 16384 131072 524288 1048576 2097152; do
  what="merge with $free bytes free in the office home"
  rm -rf mhome/m ms && mkdir ms && cp -a county.fresh mhome/m
  fill mhome "$free"
  "$XJ" merge "$S" "$J" --to 3401 -o ms --home mhome/m $PW -q >.out 2>.err
  got=$?
  [ "$got" = 3 ] && midwrite=$((midwrite + 1))
  merge_check "$what" ms mhome/m "$got"
done
# A stick that runs out of files and folders while the merge writes it.
for n in 4 9 14 19; do
  what="merge onto a tmpfs with room for $n files"
  rm -rf m && cp -a county.fresh m
  inodes imstick "$n"
  "$XJ" merge "$S" "$J" --to 3401 -o imstick --home m $PW -q >.out 2>.err
  got=$?
  [ "$got" = 3 ] && midwrite=$((midwrite + 1))
  umount imstick && inodes imstick 200
  merge_check "$what" imstick m "$got"
done
umount imstick
# The levels must have made writes fail, not only refusals made up front.
[ "$midwrite" -gt 0 ] || fail "no level made a write fail mid-way: the levels need adjusting"
echo "fault_diskfull: ${SECONDS}s, $midwrite level(s) failed mid-write"
done_ok
