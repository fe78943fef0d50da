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

# ---- key changes are visible ----
# Impersonation: a county certifies one of its real schools' codes a second
# time, for keys it holds, and sends invented data under it (continuing
# the school's stream, which it knows).
FP=$(sha256sum root-1.stmt | cut -c1-64)
expect 0 "" "$XJ" keygen --signing -o fake2.key $PW -q
expect 0 "" "$XJ" init --home fake --code 2134003000 --level school --name 冒名学校 \
  --root root-1.stmt --fingerprint "$FP" --clerk fake2.pub $PW --work-factor 10 -q
expect 0 "2134003000 already holds certificate" \
  "$XJ" cert issue --request fake/request.stmt -k county-340111-leader1.key -o cert-fake \
  --home county-340111 $PW
expect 0 "" "$XJ" cert install cert-fake --home fake
OLD3=$(serial_of cert-school-2134003000 340111)
NEW3=$(serial_of cert-fake 340111)
cp school-2134003000/streams/2134003000-340111 fake/streams/
mkdir s5 c5 p3
expect 0 "" "$XJ" pack city-data/340111/2134003000 --to 340111 -o s5 --home fake $PW
for s in 3134003000 3434003000; do
  expect 0 "" "$XJ" pack city-data/340111/$s --to 340111 -o s5 --home school-$s $PW
done
# The county's own merge audit says so (an error it cannot leave out of
# its signed statement).
expect 0 "now signs with key" "$XJ" merge s5/XJ/* --to 3401 -o c5 --home county-340111 $PW
err_has "school 2134003000 now signs with key $(formats_keyid fake/keys/clerk.pub)"
err_has "under certificate $NEW3 (2134003000-340111-000002); it signed with key"
err_has "under certificate $OLD3 until "
err_has "and that certificate was neither revoked nor expired: whoever holds the new one may sign in its name [merge.cert-changed]"
C5=c5/XJ/340111-3401-000002
grep -qx "audit-rule: merge.cert-changed 1 0" "$C5/bundle.stmt" ||
  fail "the merge's statement does not sign the certificate change"
grep -qx "audit-changed: 2134003000" "$C5/bundle.stmt" ||
  fail "the merge's statement does not name the school whose certificate changed"
expect 0 "" "$XJ" verify "$C5" --home city
out_has "signs anew:  2134003000 (another certificate or key)"
# The city is shown it when it takes the bundle in, from its own ledger.
cp -a city city-strict
# (strict, it refuses the audit's error first)
expect 1 "the audit signed in 340111-3401-000002 found 1 error(s), and no leader's signature gives a reason for them" \
  "$XJ" unpack "$C5" -o in-city-s --home city-strict --strict $PW
expect 0 "school 2134003000 now signs with key" "$XJ" unpack "$C5" -o in-city --home city $PW
err_has "under certificate $NEW3 (2134003000-340111-000002)"
[ "$(sqlite3 city/ledger.sqlite "select cert from accepted where id='2134003000-340111-000002'")" = "$NEW3" ] ||
  fail "the city's ledger does not remember the certificate that signed the school's bundle"
# The city's receipt, carried down, lists who signed each school's
# bundle: the real school sees what was sent in its name, under a
# certificate that is not its own.
R5=city/outbox/receipts/340111-3401-000002
grep -qx "signed-by: 2134003000-340111-000002 $NEW3 $(formats_keyid fake/keys/clerk.pub)" "$R5/receipt.stmt" ||
  fail "the receipt does not say who signed the school's bundle"
expect 1 "3401 took in bundle 2134003000-340111-000002 in this office's name, signed under certificate $NEW3 with key $(formats_keyid fake/keys/clerk.pub), which is not this office's" \
  "$XJ" receipt "$R5" --home school-2134003000
err_has "tell the province and the office that issued your certificate at once"
expect 0 "it held this office's:" "$XJ" receipt "$R5" --home school-3134003000
err_has "3134003000-340111-000002 signed under this office's certificate $(serial_of cert-school-3134003000 340111) with key $(formats_keyid school-3134003000/keys/clerk.pub)"
expect 1 "the receipt acknowledges 340111's bundle 340111-3401-000002, and this office is 2134000000" \
  "$XJ" receipt "$R5" --home school-2134000000
# ... its merge signs it again, its leader sees it before the question and
# gives a reason, and the province's strict intake still refuses the
# change: the old certificate still counts.
expect 0 "[merge.cert-changed]" "$XJ" merge "$C5" --to 340000 -o p3 --home city $PW
U3=p3/XJ/3401-340000-000003.unapproved
expect 1 "a leader approves it only by giving the reason" \
  "$XJ" approve "$U3" -k city-leader1.key --yes --home city $PW
out_has "  error    merge.cert-changed × 1"
out_has "signs anew:  2134003000"
expect 0 "" "$XJ" approve "$U3" -k city-leader1.key --yes --allow-errors "已电话核实" --home city $PW
cp province/ledger.sqlite ledger.before
expect 1 "school 2134003000 now signs with key" \
  "$XJ" unpack p3/XJ/3401-340000-000003 -o province-intake --home province --strict $PW
err_has "refused (strict)"
err_has "xjpack cert revoke SERIAL --reason superseded"
same province/ledger.sqlite ledger.before
# A renewal done as it should be: the county revokes the school's old
# certificate (superseded) and certifies the school's own request again.
# Noted, and a strict reader takes it.
OLD4=$(serial_of cert-school-2134004000 340121)
expect 0 "" "$XJ" cert revoke "$OLD4" --reason superseded -k county-340121-leader1.key \
  --home county-340121 $PW
expect 0 "" "$XJ" cert issue --request school-2134004000/request.stmt \
  -k county-340121-leader1.key -o cert-renewed --home county-340121 $PW
expect 0 "" "$XJ" cert install cert-renewed --home school-2134004000
NEW4=$(serial_of cert-renewed 340121)
mkdir s6 c6
for s in 2134004000 3134004000 3434004000; do
  expect 0 "" "$XJ" pack city-data/340121/$s --to 340121 -o s6 --home school-$s $PW
done
expect 0 "[merge.key-changed]" "$XJ" merge s6/XJ/* --to 3401 -o c6 --home county-340121 $PW
err_has "school 2134004000 now signs with"
err_has "under certificate $NEW4"
err_has "and the old certificate $OLD4 was revoked by 340121 at "
expect 0 "school 2134004000 now signs with" \
  "$XJ" unpack c6/XJ/340121-3401-000002 -o in-city --home city-strict --strict $PW

# ---- the province's school list ----
# The province signed it a county at a time (the demo's first steps); it
# came down with the certificates.
[ -f county-340122/trust/schools-340122-1.stmt ] || fail "the county did not get its school list"
grep -qx "school: 2134005000 21 $(sed -n 2p city-data/340122/2134005000/school.csv | cut -d, -f2)" \
  province/trust/schools-340122-1.stmt || fail "the list does not name the school"
[ -f city/outbox/receipts/340111-3401-000002/chain/schools-340111-1.stmt ] ||
  fail "the city's receipt to a county does not carry the county's school list"
# Signed again unchanged, nothing new; a new school makes the county's
# next version; a bad row is named by its line, and nothing is signed.
expect 0 "0 list(s) signed, 9 unchanged" \
  "$XJ" trust schools schools.csv -k province-leader1.key --home province $PW
cp schools.csv schools2.csv
echo "2134000001,瑶海区第2小学,340102,21" >>schools2.csv
expect 0 "school list of county 340102: version 2, 4 school(s)" \
  "$XJ" trust schools schools2.csv -k province-leader1.key --home province $PW
echo "3134000009,坏行,340102,21" >>schools2.csv
expect 1 "schools2.csv:30: school_type \"21\": expected the code's first two digits, 31" \
  "$XJ" trust schools schools2.csv -k province-leader1.key --home province $PW
absent province/trust/schools-340102-3.stmt
expect 1 "only the province office publishes the school list, and this office is 3401" \
  "$XJ" trust schools schools.csv -k city-leader1.key --home city $PW
# A ghost school: a county certifies a code no school has.
expect 0 "" "$XJ" init --home ghost --code 2134099999 --level school --name 幽灵学校 \
  --root root-1.stmt --fingerprint "$FP" --clerk fake2.pub $PW --work-factor 10 -q
expect 1 "school 2134099999 is not on the province's school list (county 340122 version 1): 340122 certified a code no school has" \
  "$XJ" cert issue --request ghost/request.stmt -k county-340122-leader1.key -o cert-ghost \
  --home county-340122 $PW
absent cert-ghost
# One school, two counties: a county certifies another county's school
# (which its own county's list does not hold).
expect 0 "" "$XJ" init --home twice --code 2134007000 --level school --name 重复学校 \
  --root root-1.stmt --fingerprint "$FP" --clerk fake2.pub $PW --work-factor 10 -q
expect 1 "school 2134007000 is not on the province's school list (county 340123 version 1)" \
  "$XJ" cert issue --request twice/request.stmt -k county-340123-leader1.key -o cert-twice \
  --home county-340123 $PW
# A county that hides its list from itself certifies both; what they send
# is refused above it, where the list is held.
rm county-340122/trust/schools-340122-* county-340123/trust/schools-340123-*
expect 0 "" "$XJ" cert issue --request ghost/request.stmt -k county-340122-leader1.key \
  -o cert-ghost --home county-340122 $PW
expect 0 "" "$XJ" cert install cert-ghost --home ghost
expect 0 "" "$XJ" cert issue --request twice/request.stmt -k county-340123-leader1.key \
  -o cert-twice --home county-340123 $PW
expect 0 "" "$XJ" cert install cert-twice --home twice
"$XJ" synth -o ghost-data --students 20 --seed 9 -q || fail synth
cp -r ghost-data twice-data
sed -i "2s/^[0-9]\{10\}/2134099999/" ghost-data/school.csv
sed -i "2s/^[0-9]\{10\}/2134007000/" twice-data/school.csv
mkdir s7 c7 s8 c8
expect 0 "" "$XJ" pack ghost-data --to 340122 -o s7 --home ghost $PW
expect 0 "" "$XJ" merge s7/XJ/* --to 3401 -o c7 --home county-340122 $PW
expect 1 "school 2134099999 is not on the province's school list (county 340122 version 1): 340122 certified a code no school has" \
  "$XJ" unpack c7/XJ/340122-3401-000002 -o in-city --home city $PW
absent in-city/340122-3401-000002
expect 0 "" "$XJ" pack twice-data --to 340123 -o s8 --home twice $PW
expect 0 "" "$XJ" merge s8/XJ/* --to 3401 -o c8 --home county-340123 $PW
expect 1 "school 2134007000 is on the province's school list under county 340124, and 340123 certified it (scope 340123): a school has one county" \
  "$XJ" unpack c8/XJ/340123-3401-000002 -o in-city --home city $PW

# An office without the lists still counts a school once: a city that
# holds none merges the county that certified another county's school
# beside that county, and is refused.
cp -a city city-nolist
rm city-nolist/trust/schools-*
mkdir c9
expect 0 "" "$XJ" unpack c8/XJ/340123-3401-000002 -o in-city-nolist --home city-nolist $PW
expect 1 "this merge holds school 2134007000 twice: bundle 2134007000-340124-000001 (in 340124-3401-000001) and bundle 2134007000-340123-000001 (in 340123-3401-000002); a school is counted once" \
  "$XJ" merge stick-city/XJ/340124-3401-000001 c8/XJ/340123-3401-000002 --to 340000 -o c9 \
  --home city-nolist $PW
absent c9/XJ
# The schools on the lists that sent nothing are signed into a merge.
mkdir c10
expect 0 "" "$XJ" merge s6/XJ/3134004000-340121-000002 --to 3401 -o c10 --home county-340121 $PW
err_has "3434004000 (长丰县第1高级中学, school) is certified by this office and sent nothing [merge.missing]"
grep -qx "audit-silent: 3434004000" c10/XJ/340121-3401-000003/bundle.stmt ||
  fail "the merge does not sign the school that sent nothing"
# A city's merge names the schools on its counties' lists that no bundle
# holds, though it certifies none of them.
mkdir p4
expect 0 "" "$XJ" merge c6/XJ/340121-3401-000002 --to 340000 -o p4 --home city $PW
err_has "2134000000 (瑶海区第1小学, school) is on the province's school list of county 340102 and sent nothing [merge.missing]"
grep -qx "audit-silent: 2134000000" p4/XJ/3401-340000-000004.unapproved/bundle.stmt ||
  fail "the city's merge does not sign the listed school that sent nothing"

done_ok
