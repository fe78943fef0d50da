#!/bin/bash
# Interoperability with Debian's stock minisign, both directions: our keys
# and signatures in minisign, minisign's keys and signatures (ED and legacy
# Ed) in xjpack, and tampering caught by both.
. "$(dirname "$0")/../cli/lib.sh"
command -v minisign >/dev/null || fail "stock minisign is not installed (apt-get install minisign)"

"$XJ" keygen --signing -o ours.key $PW $WF -q >/dev/null || fail "keygen"
head -c 300000 /dev/urandom >data

# Our signature, stock verification (prehashed only: -H).
expect 0 "" "$XJ" sign data -k ours.key $PW -t "county 340104 approved"
minisign -V -H -p ours.pub -m data >v.out 2>&1 || { cat v.out; fail "minisign -V rejected our signature"; }
grep -q "Trusted comment: county 340104 approved" v.out || fail "minisign showed another comment"
# Our secret key file, used by stock minisign (password on stdin).
sed -n 1p "$SCRATCH/pw" | minisign -S -s ours.key -m data -x stock-with-ours.sig >/dev/null 2>&1 ||
  fail "minisign -S could not use our secret key"
expect 0 "" "$XJ" sigcheck data -p ours.pub -x stock-with-ours.sig

# Stock keys and signatures, our verification.
minisign -G -W -p stock.pub -s stock.key >/dev/null 2>&1 || fail "minisign -G"
minisign -S -s stock.key -m data -x ed.sig -t "from minisign" >/dev/null 2>&1 || fail "minisign -S"
expect 0 "" "$XJ" sigcheck data -p stock.pub -x ed.sig
out_has "trusted comment: from minisign"
minisign -S -l -s stock.key -m data -x legacy.sig >/dev/null 2>&1 || fail "minisign -S -l"
expect 0 "legacy (non-prehashed) signature" "$XJ" sigcheck data -p stock.pub -x legacy.sig
expect 1 "only \"ED\" signatures are accepted" "$XJ" sigcheck data -p stock.pub -x legacy.sig -H
# A stock key with a password: we sign with it, minisign verifies.
printf 'stock-password-1\nstock-password-1\n' | minisign -G -p pw.pub -s pw.key >/dev/null 2>&1 || fail "minisign -G (password)"
printf 'stock-password-1\n' >stockpw
expect 0 "" "$XJ" sign data -k pw.key --passphrase-file stockpw -x by-stock-key.sig
minisign -V -H -p pw.pub -m data -x by-stock-key.sig >/dev/null 2>&1 || fail "minisign rejected our signature made with its key"
printf 'wrong-password\n' >wrong
expect 4 "pw.key: wrong passphrase" "$XJ" sign data -k pw.key --passphrase-file wrong -x z.sig

# Tampering is caught on both sides.
cp data data.orig
flip data 1000
minisign -V -p ours.pub -m data >/dev/null 2>&1 && fail "minisign accepted a tampered file"
expect 1 "does not match its signature" "$XJ" sigcheck data -p stock.pub -x ed.sig
cp data.orig data
sed -i 's/^trusted comment: .*/trusted comment: forged/' data.minisig
minisign -V -p ours.pub -m data >/dev/null 2>&1 && fail "minisign accepted a forged comment"
sed -i 's/^trusted comment: .*/trusted comment: forged/' ed.sig
expect 1 "the trusted comment was altered" "$XJ" sigcheck data -p stock.pub -x ed.sig
done_ok
