#!/bin/bash
# The chain of custody on the hierarchy `xjpack demo` builds (a province, a
# city, nine counties, 27 schools, every bundle delivered once): what each
# office learns of the others' revocations, and what it is shown when a
# sender's key or certificate changes.
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"

"$XJ" demo -o flow -q >demo.out 2>&1 || {
  tail -30 demo.out >&2
  fail "xjpack demo failed"
}
cd flow || fail "no demo folder"
PW="--passphrase-file demo.pass"
serial_of() { # serial_of CERT-FOLDER ISSUER: the certificate's serial
  ls "$1" | sed -n "s/^cert-\($2-[0-9]*\)\.stmt\$/\1/p"
}

# ---- revocations travel with the data (up in chain/, down in receipts) ----
# The county revokes its first school (a key compromise), the city one of
# its counties; a second below its holder's time is the rule, and times
# count in seconds.
sleep 1
SCH=$(serial_of cert-school-2134000000 340102)
expect 0 "revocation list 1 of 340102: 1 certificate(s)" \
  "$XJ" cert revoke "$SCH" --reason key-compromise -k county-340102-leader1.key \
  --home county-340102 $PW
C103=$(serial_of cert-county-340103 3401)
expect 0 "revocation list 1 of 3401: 1 certificate(s)" \
  "$XJ" cert revoke "$C103" -k city-leader1.key --home city $PW
# The county's next merge carries its list in chain/, the statement names it.
mkdir s2 c2
for s in 3134000000 3434000000; do
  expect 0 "" "$XJ" pack city-data/340102/$s --to 340102 -o s2 --home school-$s $PW
done
expect 0 "" "$XJ" merge s2/XJ/* --to 3401 -o c2 --home county-340102 $PW
C2=c2/XJ/340102-3401-000002
[ -f "$C2/chain/crl-340102-1.stmt" ] || fail "the county's merge does not carry its list"
grep -q "^crl: 340102 1 " "$C2/bundle.stmt" || fail "the statement does not name the county's list"
# The city takes it in; its receipt carries the city's list down, and the
# county learns it from the receipt.
expect 0 "learned crl-340102-1.stmt" "$XJ" unpack "$C2" -o in-city --home city $PW
R=city/outbox/receipts/340102-3401-000002
[ -f "$R/chain/crl-3401-1.stmt" ] || fail "the city's receipt does not carry its list"
expect 0 "learned crl-3401-1.stmt" "$XJ" receipt "$R" --home county-340102
[ -f county-340102/trust/crl-3401-1.stmt ] || fail "the county did not keep the city's list"
# The city revokes a second county (list 2, which carries the first
# forward); the county's next merge carries the city's list 1, older.
C104=$(serial_of cert-county-340104 3401)
expect 0 "revocation list 2 of 3401: 2 certificate(s)" \
  "$XJ" cert revoke "$C104" --reason key-compromise -k city-leader1.key --home city $PW
mkdir c3 p2
expect 0 "" "$XJ" merge s2/XJ/* --to 3401 -o c3 --home county-340102 $PW
C3=c3/XJ/340102-3401-000003
[ -f "$C3/chain/crl-3401-1.stmt" ] || fail "the county's merge does not carry the city's list 1"
expect 0 "" "$XJ" unpack "$C3" -o in-city --home city $PW
expect 0 "" "$XJ" merge "$C3" --to 340000 -o p2 --home city $PW
expect 0 "" "$XJ" approve p2/XJ/3401-340000-000002.unapproved -k city-leader1.key --yes \
  --home city $PW
P2=p2/XJ/3401-340000-000002
[ -f "$P2/chain/crl-3401-2.stmt" ] || fail "the city's bundle does not carry its list 2"
# The province learns the city's list from the city's chain, and the
# county's from the county's chain held inside; the older city list the
# county's chain carries does not roll the newer back.
expect 0 "" "$XJ" unpack "$P2" -o province-intake --home province $PW
err_has "learned crl-3401-2.stmt"
err_has "learned crl-340102-1.stmt"
absent province/trust/crl-3401-1.stmt
# What the province now refuses: the revoked school's bundle, and either
# revoked county's, wherever they turn up.
expect 1 "was revoked by 340102 (CRL 1)" \
  "$XJ" verify stick-340102/XJ/2134000000-340102-000001 --home province
expect 1 "was revoked by 3401 (CRL 2)" \
  "$XJ" verify stick-city/XJ/340104-3401-000001 --home province
expect 1 "was revoked by 3401 (CRL 2)" \
  "$XJ" verify stick-city/XJ/340103-3401-000001 --home province
# A bundle its holder took in before the revocation still checks: its
# held school is judged at the holder's time, and the revocation after it
# is reported, not fatal.
expect 0 "" "$XJ" verify stick-province/XJ/3401-340000-000001 --home province \
  -i province/keys/office.key $PW
out_has "result:      complete"
# A city bundle whose held county signed after its revocation is refused:
# a county's key revoked by its city cannot reach the province through
# the city's next merge either.
mkdir s4 c4
expect 0 "" "$XJ" pack city-data/340104/2134002000 --to 340104 -o s4 --home school-2134002000 $PW
expect 0 "" "$XJ" merge s4/XJ/* --to 3401 -o c4 --home county-340104 $PW
expect 1 "was revoked by 3401 (CRL 2)" "$XJ" unpack c4/XJ/340104-3401-000002 -o in-city --home city $PW

done_ok
