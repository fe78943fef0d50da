#!/bin/bash
# The trust hierarchy from the command line: the province's root and its
# custodians, offices set up with `init`, certificates issued, installed and
# revoked; a school's bundle carrying its chain, trusted by the county from
# the root alone; and one distinct refusal for each way the chain can fail.
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
unset XJPACK_HOME
Q="$PW $WF -q"

for k in r1 r2 r3 r4 pl1 pl2 pc2 cl1 cl2 cc2 col1 col2 coc2 sc2 ol1 ol2 oc2; do
  "$XJ" keygen --signing -o $k.key $Q >/dev/null || fail "keygen $k"
done

# ---- the root ----
expect 2 "a root needs at least two custodians' keys" \
  "$XJ" trust init-root --province 34 -p r1.pub -o bad.stmt
absent bad.stmt
expect 2 "threshold 4" "$XJ" trust init-root --province 34 -p r1.pub -p r2.pub \
  -p r3.pub --threshold 4 -o bad.stmt
expect 2 "the province is its two-digit code" \
  "$XJ" trust init-root --province 340 -p r1.pub -p r2.pub -o bad.stmt
expect 0 "2 of the 3 custodians sign it" \
  "$XJ" trust init-root --province 34 -p r1.pub -p r2.pub -p r3.pub -o root-1.stmt
head -1 root-1.stmt | grep -qx 'xjtrust/1 root' || fail "root magic"
grep -qx 'threshold: 2' root-1.stmt || fail "threshold line"
FP=$(sha256sum root-1.stmt | cut -c1-64)
# One custodian is not enough to set up an office.
expect 0 "signed root root-1 as root" "$XJ" trust sign root-1.stmt -k r1.key $PW
expect 1 "needs the signatures root=2 and has root=1" \
  "$XJ" init --home h0 --code 340000 --level province --name 省 --root root-1.stmt \
  --fingerprint "$FP" $Q
absent h0/office
absent h0/keys/clerk.key
expect 0 "" "$XJ" trust sign root-1.stmt -k r3.key $PW
expect 3 "is already signed by key" "$XJ" trust sign root-1.stmt -k r3.key $PW
# A key that is not a custodian's signs nothing that counts; the wrong
# fingerprint installs nothing.
wrong=$(printf '%s' "$FP" | tr 0-9a-f 1-9a-f0)
expect 1 "this is not the province's root" \
  "$XJ" init --home h0 --code 340000 --level province --name 省 --root root-1.stmt \
  --fingerprint "$wrong" $Q
absent h0/office

# ---- offices ----
init() { # HOME CODE LEVEL NAME [extra keys]
  local home=$1 code=$2 level=$3 name=$4
  shift 4
  expect 0 "certificate request: $home/request.stmt" \
    "$XJ" init --home "$home" --code "$code" --level "$level" --name "$name" \
    --root root-1.stmt --fingerprint "$FP" "$@" $PW $WF
  CHECKS=$((CHECKS + 1))
}
expect 0 "office 340000 (安徽省教育厅, province) set up in prov" \
  "$XJ" init --home prov --code 340000 --level province --name 安徽省教育厅 \
  --root root-1.stmt --fingerprint "$(echo "$FP" | sed 's/..../& /g')" \
  --leader pl1.pub --leader pl2.pub --clerk pc2.pub $PW $WF
[ "$(stat -c %a prov)" = 700 ] || fail "the home is not 0700"
[ "$(stat -c %a prov/keys/clerk.key)" = 600 ] || fail "clerk.key is not 0600"
expect 3 "already set up as an office" \
  "$XJ" init --home prov --code 340000 --level province --name x \
  --root root-1.stmt --fingerprint "$FP" $Q
init city 3401 city 合肥市教育局 --leader cl1.pub --leader cl2.pub --clerk cc2.pub
init county 340102 county 瑶海区教育体育局 --leader col1.pub --leader col2.pub --clerk coc2.pub
init other 340103 county 庐阳区教育体育局 --leader ol1.pub --leader ol2.pub --clerk oc2.pub
init school 2134000000 school 瑶海区第1小学 --clerk sc2.pub
init lone 2134000009 school 单钥学校

# ---- certificates ----
# The root issues the province office's certificate; two custodians sign.
expect 0 "it still needs 1 more root signature" \
  "$XJ" cert issue --by-root --request prov/request.stmt -k r1.key -o c-prov --home prov $PW
expect 1 "needs the signatures root=2 and has root=1" \
  "$XJ" cert install c-prov --home prov
expect 0 "signed cert root-000001 as root" \
  "$XJ" trust sign c-prov/cert-root-000001.stmt -k r2.key $PW
expect 0 "chain: 340000 <- root" "$XJ" cert install c-prov --home prov
expect 2 "the root certifies only the province office" \
  "$XJ" cert issue --by-root --request city/request.stmt -k r1.key -o c-x --home prov $PW
absent c-x
expect 4 "is not a key of the issuer 340000" \
  "$XJ" cert issue --request city/request.stmt --scope 3401 -k cl1.key -o c-x --home prov $PW
expect 4 "is the issuer's clerk key, not a leader key" \
  "$XJ" cert issue --request city/request.stmt --scope 3401 -k pc2.key -o c-x --home prov $PW
expect 1 "scope 3501 is outside the issuer's scope 34" \
  "$XJ" cert issue --request city/request.stmt --scope 3501 -k pl1.key -o c-x --home prov $PW
absent c-x
expect 0 "give the folder c-city to 3401" \
  "$XJ" cert issue --request city/request.stmt --scope 3401 -k pl1.key -o c-city --home prov $PW
expect 0 "chain: 3401 <- 340000 <- root" "$XJ" cert install c-city --home city
grep -qx 'deliver-policy: clerk=1 leader=1' c-city/cert-340000-000001.stmt ||
  fail "a city's bundles need a leader"
# A certificate for another office does not install here.
expect 3 "no certificate for this office (340102)" "$XJ" cert install c-city --home county
expect 0 "" "$XJ" cert issue --request county/request.stmt --scope 340102 -k cl1.key \
  -o c-county --home city $PW
expect 0 "chain: 340102 <- 3401 <- 340000 <- root" "$XJ" cert install c-county --home county
expect 0 "" "$XJ" cert issue --request other/request.stmt --scope 340103 -k cl2.key \
  -o c-other --home city $PW
expect 0 "" "$XJ" cert install c-other --home other
# Level skipping: a county certifies schools only.
expect 1 "340102 may certify school, not a county" \
  "$XJ" cert issue --request other/request.stmt --scope 340102 -k col1.key -o c-x --home county $PW
# One key per role is refused: a lost key must not stop deliveries.
expect 1 "2134000009 lists 1 clerk key(s); its policies need 1 clerk signature(s), so it needs at least 2" \
  "$XJ" cert issue --request lone/request.stmt -k col1.key -o c-x --home county $PW
# Expired, and not yet valid, certificates issue but never install.
expect 0 "" "$XJ" cert issue --request school/request.stmt -k col1.key -o c-old \
  --not-before 2020-09-01T00:00:00Z --not-after 2021-09-30T23:59:59Z --home county $PW
expect 1 "expired at 2021-09-30T23:59:59Z" "$XJ" cert install c-old --home school
expect 0 "" "$XJ" cert issue --request school/request.stmt -k col1.key -o c-early \
  --not-before 2099-09-01T00:00:00Z --not-after 2100-09-30T23:59:59Z --home county $PW
expect 1 "is not valid before 2099-09-01T00:00:00Z" "$XJ" cert install c-early --home school
# A second certificate for one office is flagged.
expect 0 "2134000000 already holds certificate" \
  "$XJ" cert issue --request school/request.stmt -k col1.key -o c-school --home county $PW
expect 0 "chain: 2134000000 <- 340102 <- 3401 <- 340000 <- root" \
  "$XJ" cert install c-school --home school
SERIAL=$(ls c-school | sed -n 's/^cert-\(340102-[0-9]*\)\.stmt$/\1/p')
[ -n "$SERIAL" ] || fail "no school certificate in c-school"

# ---- a school's bundle, trusted from the root ----
"$XJ" synth -o reg --students 60 --seed 5 -q || fail synth
mkdir stick
expect 0 "it may be removed" "$XJ" pack reg --to 340102 -o stick --home school $PW
B=stick/XJ/2134000000-340102-000001
[ -d "$B/chain" ] || fail "the bundle carries no chain/"
for f in root-1.stmt cert-root-000001.stmt cert-340000-000001.stmt \
  cert-3401-000001.stmt "cert-$SERIAL.stmt"; do
  [ -f "$B/chain/$f" ] || fail "chain/$f missing"
done
grep -qx "sender-ref: $(sha256sum "$B/chain/cert-$SERIAL.stmt" | cut -c1-64)" "$B/bundle.stmt" ||
  fail "sender-ref is not the school certificate's SHA-256"
grep -qx 'root-version: 1' "$B/bundle.stmt" || fail "root-version"
# The county trusts it from its root alone: no -p.
expect 0 "" "$XJ" verify "$B" --home county
out_has "certified:   2134000000 瑶海区第1小学 (school, $SERIAL)"
out_has "  under:     340102 瑶海区教育体育局 (county, 3401-000001)"
out_has "result:      trusted: signed under the sender's certificate"
expect 0 "" "$XJ" verify "$B" --home county --json
out_has '"level":"trusted"'
out_has '"trust":"chain"'
# Without an office home, only intact.
expect 0 "" env -u XJPACK_HOME HOME="$SCRATCH/nohome" "$XJ" verify "$B"
out_has "result:      intact"
[ ! -e "$SCRATCH/nohome" ] || fail "verify created a home"
# The county unpacks with its own identity from its home.
expect 0 "" "$XJ" unpack "$B" -o in-county --home county $PW
out_has "unpacked to: in-county/2134000000-340102-000001"
# Another county may verify the chain but does not unpack what is not its.
expect 1 "the bundle is addressed to 340102, not to this office (340103)" \
  "$XJ" unpack "$B" -o in-other --home other $PW
absent in-other/2134000000-340102-000001
# An office without a certificate for the addressee is told how to name it.
expect 3 "holds no certificate of 340199" \
  "$XJ" pack reg --to 340199 -o stick --home school $PW

# ---- the chain, bent ----
cp -r "$B" bent
expect 0 "" "$XJ" verify bent --home county
rm -r bent/chain
expect 1 "the bundle has no chain/ folder" "$XJ" verify bent --home county
cp -r "$B/chain" bent/chain
sed -i 's/^scope: 340102$/scope: 340103/' "bent/chain/cert-$SERIAL.stmt"
expect 1 "the certificate of 2134000000 (SHA-256 " "$XJ" verify bent --home county
cp "$B/chain/cert-$SERIAL.stmt" "bent/chain/cert-$SERIAL.stmt"
# The county's certificate, widened: its issuer's signature no longer holds.
sed -i 's/^scope: 340102$/scope: 3401/' bent/chain/cert-3401-000001.stmt
expect 1 "cert-3401-000001.stmt.$(ls bent/chain | sed -n 's/^cert-3401-000001\.stmt\.\(.*\)\.minisig$/\1/p'
).minisig: the signature by key" "$XJ" verify bent --home county
cp "$B/chain/cert-3401-000001.stmt" bent/chain/
cp "bent/chain/cert-3401-000001.stmt" "bent/chain/cert-3401-000009.stmt"
expect 1 "the file holds cert-3401-000001.stmt, so its name must be" \
  "$XJ" verify bent --home county
rm "bent/chain/cert-3401-000009.stmt"
ln -s root-1.stmt bent/chain/root-2.stmt
expect 1 "chain/root-2.stmt is not a regular file (a symbolic link)" \
  "$XJ" verify bent --home county
rm bent/chain/root-2.stmt
rm bent/chain/cert-3401-000001.stmt*
expect 1 "the certificate of its issuer 340102 with the keys" "$XJ" verify bent --home county

# ---- revocation ----
expect 0 "revocation list 1 of 340102: 1 certificate(s), 0 key(s)" \
  "$XJ" cert revoke "$SERIAL" -k col1.key --home county $PW
expect 1 "was revoked by 340102 (CRL 1)" "$XJ" verify "$B" --home county
expect 1 "was revoked by 340102 (CRL 1)" "$XJ" unpack "$B" -o in-again --home county $PW
absent in-again/2134000000-340102-000001
expect 2 "is not a certificate 340102 issued" \
  "$XJ" cert revoke 3401-000001 -k col1.key --home county $PW
# The city learns of it when the county's list travels up (here by hand).
expect 0 "" "$XJ" verify "$B" --home city
cp county/trust/crl-340102-1.stmt* "$B/chain/"
expect 1 "is not listed in the statement's crl lines" "$XJ" verify "$B" --home city

done_ok
