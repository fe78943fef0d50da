#!/bin/bash
# Write errors and kills at many points of pack, merge and unpack (its
# ledger commit included), through the LD_PRELOAD shim fault_shim.c: the
# Nth write, pwrite, fsync or rename fails with EIO or ENOSPC, or the
# process is killed with SIGKILL just before it. The points: every one of
# the first few, the last few (for unpack: the ledger's commit and the
# receipt), and some in between chosen at random with a fixed seed.
#
# After each: a failure exits 3 and names the error; nothing at the
# destination looks like a bundle or bag that is not one; the source is
# byte for byte what it was; the ledger passes integrity_check and records
# a bundle only with its bag in place; and a rerun without the fault
# succeeds with the same result as a run that was never interrupted.
#
# XJFAULT_PRELOAD names the shim (with libasan before it in the ASan
# build); XJFAULT_POINTS (default 8) sets how many points of each kind.
HERE=$(cd "$(dirname "$0")" && pwd)
[ -w /dev/shm ] && export TMPDIR=/dev/shm # fsync is slow on disks, and free on tmpfs
. "$HERE/lib.sh"
SHIM=${XJFAULT_PRELOAD:?set XJFAULT_PRELOAD to the fault shim (libxjfault.so)}
for lib in ${SHIM//:/ }; do
  [ -f "$lib" ] || fail "no such library: $lib (XJFAULT_PRELOAD)"
done
POINTS=${XJFAULT_POINTS:-8}
RANDOM=6 # a fixed seed: the same points every run
SECONDS=0

setup_offices
mkdir sticks
"$XJ" pack cty/2134000000 --to 340102 -o sticks --home school $PW -q || fail "pack school"
"$XJ" pack cty/3134000000 --to 340102 -o sticks --home junior $PW -q || fail "pack junior"
S=sticks/XJ/2134000000-340102-000001
J=sticks/XJ/3134000000-340102-000001
sums cty >cty.sums
sums sticks >sticks.sums
cp -a school school.base
cp -a county county.base

# faulty N MODE CMD...: CMD with the shim acting on the Nth counted call.
faulty() {
  local n=$1 mode=$2
  shift 2
  env LD_PRELOAD="$SHIM" XJFAULT_AT="$n" XJFAULT_MODE="$mode" "$@"
}
# calls CMD...: how many calls the shim counts in CMD (which must succeed).
calls() {
  rm -f "$SCRATCH/.count"
  env LD_PRELOAD="$SHIM" XJFAULT_COUNT="$SCRATCH/.count" "$@" >/dev/null 2>&1 ||
    fail "uninterrupted: $* failed"
  cat "$SCRATCH/.count"
}
# points TOTAL: the first POINTS, the last POINTS and POINTS at random.
points() {
  local total=$1 i
  {
    for ((i = 1; i <= POINTS && i <= total; i++)); do echo $i; done
    for ((i = total - POINTS + 1; i <= total; i++)); do [ $i -gt 0 ] && echo $i; done
    for ((i = 0; i < POINTS; i++)); do echo $((RANDOM % total + 1)); done
  } | sort -nu
}
# outcome GOT: the exit status of a faulty run is 0 (the fault hit
# something that may fail), 3 with the error named, or 137 (killed).
outcome() {
  local got=$1 mode=$2 what=$3
  case $mode:$got in
    kill:137 | *:0) ;;
    # (SQLite names the errors its own way)
    eio:3) grep -qiE "input/output error|disk I/O error" .err ||
      fail "$what: exit 3 without the error: $(cat .err)" ;;
    enospc:3) grep -qiE "no space left on device|database or disk is full|disk I/O error" .err ||
      fail "$what: exit 3 without the error: $(cat .err)" ;;
    *) fail "$what exited $got (expected 3, or 0): $(cat .err)" ;;
  esac
  CHECKS=$((CHECKS + 1))
}
modes() { # the modes tried at point N: a failure (EIO or ENOSPC, in turn) and a kill
  if [ $(($1 % 2)) = 0 ]; then echo eio kill; else echo enospc kill; fi
}
# bag_data BAG: the sums of the bag's data/ (what a rerun must give again).
bag_data() {
  (cd "$1" && sha512sum -c --quiet manifest-sha512.txt >/dev/null &&
    sha512sum -c --quiet tagmanifest-sha512.txt >/dev/null) || fail "the bag $1 does not check"
  cat "$1/manifest-sha512.txt"
}

# ---- unpack, and its ledger commit ----
rm -rf ref && mkdir ref && cp -a county.base uref
"$XJ" unpack "$S" -o ref --home uref $PW -q || fail "reference unpack"
REF_BAG=$(bag_data ref/2134000000-340102-000001)
cp -a county.base u && mkdir uo
total=$(calls "$XJ" unpack "$S" -o uo --home u $PW -q)
rm -rf u uo
echo "unpack: $total calls"
for n in $(points "$total"); do
  for mode in $(modes "$n"); do
    what="unpack with call $n: $mode"
    rm -rf u uo && cp -a county.base u && mkdir uo
    faulty "$n" "$mode" "$XJ" unpack "$S" -o uo --home u $PW -q >.out 2>.err
    outcome $? "$mode" "$what"
    [ "$(sums sticks)" = "$(cat sticks.sums)" ] || fail "$what changed the stick"
    ledger_ok u uo 2134000000-340102-000001
    for d in uo/*; do # whatever is in place is the whole bag
      [ -e "$d" ] || continue
      [ "$(bag_data "$d")" = "$REF_BAG" ] || fail "$what left a bag that differs: $d"
    done
    "$XJ" unpack "$S" -o uo --home u $PW >.out 2>.err || fail "$what: the rerun failed: $(cat .err)"
    [ "$(bag_data uo/2134000000-340102-000001)" = "$REF_BAG" ] || fail "$what: the rerun's bag differs"
    [ "$(accepted_count u 2134000000-340102-000001)" = 1 ] || fail "$what: not recorded once after the rerun"
    # The receipt is there after the rerun, even when the fault came after
    # the ledger's commit (the rerun writes a missing one), and no
    # half-written one stays.
    [ -f u/outbox/receipts/2134000000-340102-000001/receipt.stmt ] ||
      fail "$what: no receipt after the rerun"
    ls -A u/outbox/receipts | grep -q 'xjtmp' && fail "$what: a half-written receipt stays"
    # (the rerun removes the quarantine of a killed run, also when it only
    # completes what that run had put in place)
    ls -A uo | grep -q '^\.xjpack-work' && fail "$what: the rerun left a work folder"
    CHECKS=$((CHECKS + 4))
  done
done

# ---- the receipt, after the ledger's commit: the second rename of an
# unpack (the first puts the bag in place) moves the receipt into the outbox
for mode in kill eio int; do
  what="unpack stopped at its second rename ($mode)"
  rm -rf u uo && cp -a county.base u && mkdir uo
  env LD_PRELOAD="$SHIM" XJFAULT_OPS=rename XJFAULT_AT=2 XJFAULT_MODE="$mode" \
    "$XJ" unpack "$S" -o uo --home u $PW -q >.out 2>.err
  got=$?
  # (an interruption that comes with the last step lets the work complete)
  case $mode:$got in
    kill:137 | int:130 | int:0 | eio:3) ;;
    *) fail "$what exited $got: $(cat .err)" ;;
  esac
  ledger_ok u uo 2134000000-340102-000001
  "$XJ" unpack "$S" -o uo --home u $PW >.out 2>.err || fail "$what: the rerun failed: $(cat .err)"
  [ "$(accepted_count u 2134000000-340102-000001)" = 1 ] || fail "$what: not recorded once after the rerun"
  [ -f u/outbox/receipts/2134000000-340102-000001/receipt.stmt ] ||
    fail "$what: no receipt after the rerun"
  ls -A u/outbox/receipts | grep -q 'xjtmp' && fail "$what: a half-written receipt stays"
  CHECKS=$((CHECKS + 2))
done

# ---- pack ----
cp -a school.base p && mkdir ps
total=$(calls "$XJ" pack cty/2134000000 --to 340102 -o ps --home p $PW -q)
rm -rf p ps
echo "pack: $total calls"
for n in $(points "$total"); do
  for mode in $(modes "$n"); do
    what="pack with call $n: $mode"
    rm -rf p ps && cp -a school.base p && mkdir ps
    faulty "$n" "$mode" "$XJ" pack cty/2134000000 --to 340102 -o ps --home p $PW -q >.out 2>.err
    outcome $? "$mode" "$what"
    [ "$(sums cty)" = "$(cat cty.sums)" ] || fail "$what changed the source"
    no_partial ps county.base
    "$XJ" pack cty/2134000000 --to 340102 -o ps --home p $PW -q >.out 2>.err ||
      fail "$what: the rerun failed: $(cat .err)"
    ls -a ps/XJ | grep -q '^\.xjtmp' && fail "$what: the rerun left a temporary folder"
    ls -a p/outbox | grep -q '^\.xjtmp' && fail "$what: the rerun left a temporary outbox folder"
    # The rerun's bundle, unpacked, holds the same registry.
    b=$(ls -d ps/XJ/2134000000-340102-* | tail -1)
    rm -rf pu pk && mkdir pu && cp -a county.base pk
    "$XJ" unpack "$b" -o pu --home pk $PW -q >.out 2>.err || fail "$what: the rerun's bundle: $(cat .err)"
    [ "$(bag_data pu/"$(basename "$b")")" = "$REF_BAG" ] || fail "$what: the rerun's bag differs"
    CHECKS=$((CHECKS + 3))
  done
done

# ---- a stream's first pack, stopped right after it took its number ----
# (the second rename of a pack: the first commits the number to the home)
for mode in kill int eio; do
  what="a first pack stopped at its second rename ($mode)"
  rm -rf p ps && cp -a school.fresh p && mkdir ps
  env LD_PRELOAD="$SHIM" XJFAULT_OPS=rename XJFAULT_AT=2 XJFAULT_MODE="$mode" \
    "$XJ" pack cty/2134000000 --to 340102 -o ps --home p $PW -q >.out 2>.err
  got=$?
  case $mode:$got in
    kill:137 | int:130 | eio:3) ;;
    *) fail "$what exited $got: $(cat .err)" ;;
  esac
  no_partial ps county.base
  # The number was taken but nothing left the home under it: the rerun
  # opens the stream at seq 1 again.
  "$XJ" pack cty/2134000000 --to 340102 -o ps --home p $PW -q >.out 2>.err ||
    fail "$what: the rerun failed: $(cat .err)"
  [ -d ps/XJ/2134000000-340102-000001 ] || fail "$what: the rerun is not seq 1: $(ls ps/XJ)"
  CHECKS=$((CHECKS + 3))
done

# ---- merge ----
rm -rf mref && mkdir mref && cp -a county.base mh
"$XJ" merge "$S" "$J" --to 3401 -o mref --home mh $PW -q || fail "reference merge"
REF_CHILDREN=$(grep '^child: ' mref/XJ/340102-3401-000001/bundle.stmt)
rm -rf mh && cp -a county.base m && mkdir ms
total=$(calls "$XJ" merge "$S" "$J" --to 3401 -o ms --home m $PW -q)
rm -rf m ms
echo "merge: $total calls"
for n in $(points "$total"); do
  for mode in $(modes "$n"); do
    what="merge with call $n: $mode"
    rm -rf m ms && cp -a county.base m && mkdir ms
    faulty "$n" "$mode" "$XJ" merge "$S" "$J" --to 3401 -o ms --home m $PW -q >.out 2>.err
    outcome $? "$mode" "$what"
    [ "$(sums sticks)" = "$(cat sticks.sums)" ] || fail "$what changed the children's stick"
    no_partial ms city.fresh
    if [ -f m/ledger.sqlite ]; then
      [ "$(sqlite3 m/ledger.sqlite 'pragma integrity_check')" = ok ] || fail "$what: the ledger is damaged"
    fi
    "$XJ" merge "$S" "$J" --to 3401 -o ms --home m $PW -q >.out 2>.err ||
      fail "$what: the rerun failed: $(cat .err)"
    b=$(ls -d ms/XJ/340102-3401-* | tail -1)
    [ "$(grep '^child: ' "$b/bundle.stmt")" = "$REF_CHILDREN" ] || fail "$what: the rerun holds other children"
    "$XJ" verify "$b" --home city.fresh >.out 2>.err || fail "$what: the rerun's bundle: $(cat .err)"
    ls -A m/work 2>/dev/null | grep -q . && fail "$what: the rerun left its work folder"
    CHECKS=$((CHECKS + 3))
  done
done
echo "fault_shim: ${SECONDS}s"
done_ok
