#!/bin/bash
# The trust hierarchy from the command line: the province's root and its
# custodians, offices set up with `init`, certificates issued, installed and
# revoked; a school's bundle carrying its chain, trusted by the county from
# the root alone; and one distinct refusal for each way the chain can fail.
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
unset XJPACK_HOME
Q="$PW $WF -q"

for k in r1 r2 r3 r4 pl1 pl2 pc2 cl1 cl2 cc2 col1 col2 coc2 sc2 ol1 ol2 oc2 jc2 hc2; do
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

# A failed set-up leaves no keys behind, and may simply be run again.
printf 'short\n' >shortpw
expect 2 "the passphrase is shorter than 8 characters" \
  "$XJ" init --home h1 --code 340199 --level county --name 某区 --root root-1.stmt \
  --fingerprint "$FP" --passphrase-file shortpw $WF
absent h1/keys/office.key
absent h1/office

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
# The county's second clerk key is a stock minisign key without a
# passphrase, so that the tests can forge what a dishonest county signs.
minisign -G -W -p evil.pub -s evil.key >/dev/null || fail "minisign -G"
init county 340102 county 瑶海区教育体育局 --leader col1.pub --leader col2.pub --clerk evil.pub
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
cp -a city city.fresh
grep -qx 'deliver-policy: clerk=1 leader=1' c-city/cert-340000-000001.stmt ||
  fail "a city's bundles need a leader"
# A certificate for another office does not install here.
expect 3 "no certificate for this office (340102)" "$XJ" cert install c-city --home county
expect 0 "" "$XJ" cert issue --request county/request.stmt --scope 340102 -k cl1.key \
  -o c-county --home city $PW
expect 0 "chain: 340102 <- 3401 <- 340000 <- root" "$XJ" cert install c-county --home county
cp -a county county.fresh
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
# A home named on the command line that is no office is an error, not
# "intact".
expect 3 "nohome2 is not set up as an office" "$XJ" verify "$B" --home nohome2
# The county unpacks with its own identity from its home, records it in
# its ledger and signs a receipt.
expect 0 "receipt for the sender: county/outbox/receipts/2134000000-340102-000001" \
  "$XJ" unpack "$B" -o in-county --home county $PW
out_has "unpacked to: in-county/2134000000-340102-000001"
[ -f county/ledger.sqlite ] || fail "no ledger"
[ "$(stat -c %a county/ledger.sqlite)" = 600 ] || fail "the ledger is not 0600"
R=county/outbox/receipts/2134000000-340102-000001
grep -qx 'xjtrust/1 receipt' "$R/receipt.stmt" || fail "receipt magic"
grep -qx "bundle-sha256: $(sha256sum "$B/bundle.stmt" | cut -c1-64)" "$R/receipt.stmt" ||
  fail "the receipt names another statement"
[ -f "$R/chain/cert-3401-000001.stmt" ] || fail "the receipt carries no chain"
# Again: nothing changes, and it succeeds.
cp county/ledger.sqlite ledger.before
expect 0 "was already accepted on" "$XJ" unpack "$B" -o in-county --home county $PW
same county/ledger.sqlite ledger.before
sqlite3 county/ledger.sqlite "select event, bundle from audit" | grep -qx 'accepted|2134000000-340102-000001' ||
  fail "the audit log lacks the acceptance"
# Another county may verify the chain but does not unpack what is not its.
expect 1 "the bundle is addressed to 340102, not to this office (340103)" \
  "$XJ" unpack "$B" -o in-other --home other $PW
absent in-other/2134000000-340102-000001
# An office without a certificate for the addressee is told how to name it.
expect 3 "holds no certificate of 340199" \
  "$XJ" pack reg --to 340199 -o stick --home school $PW

# ---- a killed unpack leaves the ledger consistent, and a rerun completes ----
for delay in 0.00 0.02 0.04 0.06 0.08 0.10 0.13 0.16 0.20 0.25; do
  rm -rf ck out-k
  cp -a county.fresh ck
  "$XJ" unpack "$B" -o out-k --home ck $PW -q >/dev/null 2>&1 &
  pid=$!
  sleep "$delay"
  kill -9 "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  if [ -f ck/ledger.sqlite ]; then
    [ "$(sqlite3 ck/ledger.sqlite 'pragma integrity_check')" = ok ] ||
      fail "the ledger is damaged after a kill at ${delay}s"
    n=$(sqlite3 ck/ledger.sqlite 'select count(*) from accepted' 2>/dev/null)
    # Recorded only with the bag in place.
    if [ "$n" = 1 ]; then
      [ -f out-k/2134000000-340102-000001/tagmanifest-sha512.txt ] ||
        fail "the ledger records a bundle whose bag is not in place (${delay}s)"
    fi
  fi
  expect 0 "" "$XJ" unpack "$B" -o out-k --home ck $PW
  [ "$(sqlite3 ck/ledger.sqlite 'select count(*) from accepted')" = 1 ] ||
    fail "after a kill at ${delay}s and a rerun the bundle is not recorded once"
  [ -f out-k/2134000000-340102-000001/bagit.txt ] || fail "no bag after the rerun"
done

# A bag in place that was changed since is not recorded on a rerun: every
# file is read again against the manifest (not only the tag manifest).
B1=out-k/2134000000-340102-000001
printf 'x' >>"$B1/data/registry/students.csv"
rm -rf ck && cp -a county.fresh ck
expect 1 "holds this bundle's bag, changed since it was unpacked; nothing was recorded" \
  "$XJ" unpack "$B" -o out-k --home ck $PW
err_has "data/registry/students.csv does not match its SHA-512 in manifest-sha512.txt"
[ "$(sqlite3 ck/ledger.sqlite 'select count(*) from accepted' 2>/dev/null || echo 0)" = 0 ] ||
  fail "a changed bag was recorded"
truncate -s -1 "$B1/data/registry/students.csv"
mkdir -p "$B1/data/registry/photos" && echo extra >"$B1/data/registry/photos/extra.jpg"
expect 1 "nothing was recorded" "$XJ" unpack "$B" -o out-k --home ck $PW
err_has "the bag holds data/registry/photos/extra.jpg, which manifest-sha512.txt does not list"
rm "$B1/data/registry/photos/extra.jpg"
echo extra >"$B1/data/extra.txt"
expect 1 "nothing was recorded" "$XJ" unpack "$B" -o out-k --home ck $PW
err_has "the bag holds \"data/extra.txt\", which a school's bag does not hold"
rm "$B1/data/extra.txt"
ln -s ../bagit.txt "$B1/data/link"
expect 1 "data/link\" in the bag is not a regular file or folder" "$XJ" unpack "$B" -o out-k --home ck $PW
rm "$B1/data/link"
expect 0 "" "$XJ" unpack "$B" -o out-k --home ck $PW
[ "$(sqlite3 ck/ledger.sqlite 'select count(*) from accepted')" = 1 ] || fail "the intact bag was not recorded"

# ---- the ledger is tamper-evident ----
# Its accepted rows are a hash chain, checked whole at every opening; the
# head is signed into every receipt, so a cut-back ledger is seen too.
R1=$(cat ck/outbox/receipts/2134000000-340102-000001/receipt.stmt)
echo "$R1" | grep -qx "ledger: 1 $(sqlite3 ck/ledger.sqlite 'select link from accepted where n=1')" ||
  fail "the receipt does not sign the ledger's head"
damaged() {  # damaged SQL MESSAGE: the home refuses to work on that ledger
  rm -rf dmg && cp -a ck dmg
  sqlite3 dmg/ledger.sqlite "$1"
  cp dmg/ledger.sqlite ledger.before
  expect 1 "the ledger dmg/ledger.sqlite is damaged: $2" "$XJ" unpack "$B" -o out-dmg --home dmg $PW
  err_has "restore it from the office's bundles and receipts as xjpack-trust(5), THE LEDGER, says"
  same dmg/ledger.sqlite ledger.before
  absent out-dmg
  expect 1 "is damaged" "$XJ" verify "$B" --home dmg
}
damaged "update accepted set signers='clerk 0000000000000000' where n=1" \
  "row 1 (bundle 2134000000-340102-000001) does not follow the row before it: it was changed"
damaged "delete from accepted where n=1" \
  "the receipt dmg/outbox/receipts/2134000000-340102-000001/receipt.stmt signed a ledger of 1 rows, and it holds 0"
damaged "update meta set value='yesterday' where key='high-water-mark'" \
  'its high-water mark "yesterday" is not a UTC time'
damaged "insert into meta values ('trust-everything', 'yes')" \
  'it holds an unknown value "trust-everything"'
damaged "update accepted set n=2 where n=1" \
  "row 1 is missing (the next is row 2, bundle 2134000000-340102-000001): a row was removed"
# Restored as xjpack-trust(5) says: the ledger and the receipts aside, the
# bundle unpacked again into the folder it went to (its bag, in place, is
# read again and recorded).
mv dmg/ledger.sqlite dmg-ledger.kept && mv dmg/outbox/receipts dmg-receipts.kept
expect 0 "receipt for the sender: dmg/outbox/receipts/2134000000-340102-000001" \
  "$XJ" unpack "$B" -o out-k --home dmg $PW
[ "$(sqlite3 dmg/ledger.sqlite 'select id from accepted')" = 2134000000-340102-000001 ] ||
  fail "the restored ledger lacks the bundle"
expect 0 "" "$XJ" verify "$B" --home dmg

# ---- streams: gaps, replays, equivocation, jumps ----
mkdir s2 s3 s4 s5 s6
expect 0 "" "$XJ" pack reg --to 340102 -o s2 --home school $PW
expect 0 "" "$XJ" pack reg --to 340102 -o s3 --home school $PW
expect 0 "bundles are missing between seq 1 and 3" \
  "$XJ" unpack s3/XJ/2134000000-340102-000003 -o in-county --home county $PW
expect 1 "replay: bundle 2134000000-340102-000002 has seq 2, and bundles of this stream up to seq 3 are already accepted" \
  "$XJ" unpack s2/XJ/2134000000-340102-000002 -o in-county --home county $PW
absent in-county/2134000000-340102-000002
# Seq 1 again, after seq 3: accepted once, stale now, and the clerk is told.
cp county/ledger.sqlite ledger.before
expect 1 "stale: bundle 2134000000-340102-000001 (seq 1) was accepted on" \
  "$XJ" unpack "$B" -o in-county --home county $PW
same county/ledger.sqlite ledger.before
# The same seq with other content: the school's counter set back.
cp school/streams/2134000000-340102 counter.kept
printf 'seq 2\nprev %s\n' "$(sha256sum s2/XJ/2134000000-340102-000002/bundle.stmt | cut -c1-64)" \
  >school/streams/2134000000-340102
expect 3 "renaming to school/outbox/2134000000-340102-000003: file exists" \
  "$XJ" pack reg --to 340102 -o s4 --home school $PW
mv school/outbox/2134000000-340102-000003 outbox3.kept
printf 'seq 2\nprev %s\n' "$(sha256sum s2/XJ/2134000000-340102-000002/bundle.stmt | cut -c1-64)" \
  >school/streams/2134000000-340102
sleep 1
expect 0 "" "$XJ" pack reg --to 340102 -o s4 --home school $PW
expect 1 "equivocation: bundle 2134000000-340102-000003 (seq 3 from 2134000000) was accepted on" \
  "$XJ" unpack s4/XJ/2134000000-340102-000003 -o in-other-place --home county $PW
absent in-other-place
# A jump of more than 50 needs the override, which the audit log keeps.
printf 'seq 60\nprev %s\n' "$(sha256sum s3/XJ/2134000000-340102-000003/bundle.stmt | cut -c1-64)" \
  >school/streams/2134000000-340102
expect 0 "" "$XJ" pack reg --to 340102 -o s5 --home school $PW
expect 1 "jumps to seq 61 from the last accepted 3 (more than 50 ahead)" \
  "$XJ" unpack s5/XJ/2134000000-340102-000061 -o in-county --home county $PW
expect 0 "" "$XJ" unpack s5/XJ/2134000000-340102-000061 -o in-county --home county \
  --accept-seq-jump $PW
sqlite3 county/ledger.sqlite "select detail from audit where bundle='2134000000-340102-000061'" |
  grep -q 'override: --accept-seq-jump' || fail "the override is not in the audit log"
CHECKS=$((CHECKS + 1))

# ---- receipts, carried back down ----
mkdir -p down/XJ/receipts
cp -r county/outbox/receipts/* down/XJ/receipts/
expect 0 "2134000000-340102-000001: received by 340102" \
  "$XJ" receipt down/XJ/receipts/2134000000-340102-000001 --home school
absent school/outbox/2134000000-340102-000001
# The seq-3 receipt names the statement the county accepted, not the one
# the school's outbox holds after its counter was set back.
expect 1 "the outbox holds another bundle 2134000000-340102-000003" \
  "$XJ" receipt down/XJ/receipts/2134000000-340102-000003 --home school
rm -r school/outbox/2134000000-340102-000003
mv outbox3.kept school/outbox/2134000000-340102-000003
# A lost counter resumes 20 past the newest receipt.
rm school/streams/2134000000-340102
expect 0 "the next bundle is seq 81" "$XJ" receipt down --home school
grep -qx 'seq 80' school/streams/2134000000-340102 || fail "the counter was not restored"
absent school/outbox/2134000000-340102-000061
expect 1 "acknowledges 2134000000's bundle 2134000000-340102-000001, and this office is 340103" \
  "$XJ" receipt down/XJ/receipts/2134000000-340102-000001 --home other
cp -r down/XJ/receipts/2134000000-340102-000001 forged
sed -i 's/^received: .*/received: 2026-01-01T00:00:00Z/' forged/receipt.stmt
expect 1 "does not verify" "$XJ" receipt forged --home school

# ---- the chain, bent ----
BENT=bent/XJ/$(basename "$B")  # a bundle folder bears its id
mkdir -p bent/XJ
cp -r "$B" "$BENT"
expect 0 "" "$XJ" verify "$BENT" --home county
rm -r "$BENT"/chain
expect 1 "the bundle has no chain/ folder" "$XJ" verify "$BENT" --home county
cp -r "$B/chain" "$BENT"/chain
sed -i 's/^scope: 340102$/scope: 340103/' "$BENT/chain/cert-$SERIAL.stmt"
expect 1 "the certificate of 2134000000 (SHA-256 " "$XJ" verify "$BENT" --home other
cp "$B/chain/cert-$SERIAL.stmt" "$BENT/chain/cert-$SERIAL.stmt"
# The county's certificate, widened: its issuer's signature no longer holds.
sed -i 's/^scope: 340102$/scope: 3401/' "$BENT"/chain/cert-3401-000001.stmt
expect 1 "cert-3401-000001.stmt.$(ls "$BENT"/chain | sed -n 's/^cert-3401-000001\.stmt\.\(.*\)\.minisig$/\1/p'
).minisig: the signature by key" "$XJ" verify "$BENT" --home other
cp "$B/chain/cert-3401-000001.stmt" "$BENT"/chain/
cp "$BENT/chain/cert-3401-000001.stmt" "$BENT/chain/cert-3401-000009.stmt"
expect 1 "the file holds cert-3401-000001.stmt, so its name must be" \
  "$XJ" verify "$BENT" --home county
rm "$BENT/chain/cert-3401-000009.stmt"
ln -s root-1.stmt "$BENT"/chain/root-2.stmt
expect 1 "chain/root-2.stmt is not a regular file (a symbolic link)" \
  "$XJ" verify "$BENT" --home county
rm "$BENT"/chain/root-2.stmt
rm "$BENT"/chain/cert-3401-000001.stmt*
expect 1 "the certificate of its issuer 340102 with the keys" "$XJ" verify "$BENT" --home other

# ---- revocation ----
OLD=$(ls c-old | sed -n 's/^cert-\(340102-[0-9]*\)\.stmt$/\1/p')
expect 4 "counts no clerk signature" \
  "$XJ" cert revoke "$OLD" -k county/keys/clerk.key --home county $PW
absent county/trust/crl-340102-1.stmt
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

# ---- merge: the county merges its schools; the city checks every school ----
"$XJ" synth -o cty --level county --students 240 --seed 8 -q || fail "synth county"
[ -f cty/3134000000/school.csv ] && [ -f cty/3434000000/school.csv ] ||
  fail "the synthetic county lacks its junior and senior schools"
init junior 3134000000 school 瑶海区第1初级中学 --clerk jc2.pub
init senior 3434000000 school 瑶海区第1高级中学 --clerk hc2.pub
for sch in junior senior; do
  expect 0 "" "$XJ" cert issue --request $sch/request.stmt -k col1.key -o c-$sch --home county $PW
  expect 0 "" "$XJ" cert install c-$sch --home $sch
done
# The school's revoked certificate is replaced; the new one comes with the
# county's revocation list.
expect 0 "2134000000 already holds certificate" \
  "$XJ" cert issue --request school/request.stmt -k col1.key -o c-school2 --home county $PW
expect 0 "" "$XJ" cert install c-school2 --home school
mkdir m1 m2
expect 0 "" "$XJ" pack cty/2134000000 --to 340102 -o m1 --home school $PW
expect 0 "" "$XJ" pack cty/3134000000 --to 340102 -o m1 --home junior $PW
expect 0 "" "$XJ" pack cty/3434000000 --to 340102 -o m1 --home senior $PW
P=$(ls -d m1/XJ/2134000000-340102-*)
J=m1/XJ/3134000000-340102-000001
S=m1/XJ/3434000000-340102-000001
expect 2 "office 340102 cannot address a bundle to itself" \
  "$XJ" merge "$P" --to 340102 -o m2 --home county $PW
# Only the addressee merges; a copy-to office or a stranger cannot.
expect 1 "not to this office (340103)" "$XJ" merge "$P" "$J" "$S" --to 3401 -o m2 --home other $PW
expect 0 "it may be removed" "$XJ" merge "$P" "$J" "$S" --to 3401 -o m2 --home county $PW
out_has "children:    3 (3 schools)"
M=m2/XJ/340102-3401-000001
[ "$(grep -c '^child: ' "$M/bundle.stmt")" = 3 ] || fail "the merged statement lists no 3 children"
# The city: trusted from its root; unpacked, every school re-checked.
expect 0 "" "$XJ" verify "$M" --home city
out_has "certified:   340102 瑶海区教育体育局 (county, 3401-000001)"
# With the identity, verify checks every held school too, writing nothing
# but a work folder that goes again.
expect 0 "" "$XJ" verify "$M" --home city -i city/keys/office.key $PW
out_has "school:      3134000000, "
out_has "signed by 3134000000 瑶海区第1初级中学 (school,"
out_has "result:      complete"
[ -z "$(ls -A city/work 2>/dev/null)" ] || fail "verify left $(ls -A city/work)"
expect 2 "verify it with -i in an office home" \
  "$XJ" verify "$M" -p county/keys/clerk.pub -i city/keys/office.key $PW
expect 0 "" "$XJ" unpack "$M" -o in-city --home city $PW
out_has "school:      3134000000, "
out_has "signed by 3134000000 瑶海区第1初级中学 (school,"
out_has "school:      3434000000, "
H=in-city/340102-3401-000001
for id in "$(basename "$P")" 3134000000-340102-000001 3434000000-340102-000001; do
  [ -f "$H/data/children/$id/bundle.stmt" ] || fail "$id is not held"
  same "$H/data/children/$id/bundle.stmt" "m1/XJ/$id/bundle.stmt"
  [ -f "$H/data/children/$id/bag/data/registry/students.csv" ] || fail "$id's bag is not held"
done
head -1 "$H/data/merged/summary.csv" | grep -q '^school_code,grade,sex,status,migrant,count' ||
  fail "summary.csv header"
grep -q '"office":"340102"' "$H/data/merged/audit.json" || fail "audit.json"
# Stock tools agree with each school's own manifest inside.
(cd "$H/data/children/3134000000-340102-000001/bag" && sha512sum -c --quiet manifest-sha512.txt) ||
  fail "a held bag does not check with sha512sum"
CHECKS=$((CHECKS + 1))
# A county that edits a school's records and re-signs its own manifests is
# caught by the school's own manifest, which it cannot re-sign.
CITY_AGE=$(sed -n 's/^enc: //p' c-city/cert-340000-000001.stmt)
F=$(python3 "$HERE/forge_bundle.py" held-altered "$M" "$H" "$CITY_AGE" evil.key evil.pub forged) ||
  fail "forging a merged bundle"
cp -a city.fresh city2
expect 0 "" "$XJ" verify "$F" --home city2
expect 1 "data/registry/students.csv: not as its manifest says" \
  "$XJ" verify "$F" --home city2 -i city2/keys/office.key $PW
expect 1 "data/registry/students.csv: not as its manifest says" \
  "$XJ" unpack "$F" -o in-city2 --home city2 $PW
absent in-city2/340102-3401-000001
# The children are checked as their files are extracted; checked after the
# whole bag instead, they fail alike.
expect 1 "data/registry/students.csv: not as its manifest says" \
  "$XJ" unpack "$F" -o in-city2 --home city2 $PW --held-after-extract
absent in-city2/340102-3401-000001
# ... nor backdate its statement, so that its children are judged at a
# time of its choosing.
F3=$(python3 "$HERE/forge_bundle.py" backdated "$M" "$H" "$CITY_AGE" evil.key evil.pub forged3) ||
  fail "forging a backdated merged bundle"
expect 1 "the statement is dated 2020-01-01T00:00:00Z, before the certificate of its sender 340102 begins" \
  "$XJ" verify "$F3" --home city2
# ... nor claim more students than the schools it holds sent.
F4=$(python3 "$HERE/forge_bundle.py" records "$M" "$H" "$CITY_AGE" evil.key evil.pub forged4) ||
  fail "forging a merged bundle's record count"
expect 1 "records, the bundles it holds" "$XJ" unpack "$F4" -o in-city2 --home city2 $PW
absent in-city2/340102-3401-000001
expect 1 "records, the bundles it holds" "$XJ" unpack "$F4" -o in-city2 --home city2 $PW \
  --held-after-extract
absent in-city2/340102-3401-000001
# ... nor may it add a registry of its own beside the children it holds.
F2=$(python3 "$HERE/forge_bundle.py" merged-registry "$M" "$H" "$CITY_AGE" evil.key evil.pub forged2) ||
  fail "forging a merged bundle with a registry"
expect 1 "the bag holds \"data/registry/" \
  "$XJ" unpack "$F2" -o in-city2 --home city2 $PW
absent in-city2/340102-3401-000001
expect 1 "which a merged bundle's bag does not hold" \
  "$XJ" unpack "$F2" -o in-city2 --home city2 $PW --held-after-extract
absent in-city2/340102-3401-000001
# ... nor slip a file into a held school's chain/, nor change a held
# school's signature: what the extraction kept of the held files in memory
# is judged as the files themselves are (each way of checking fails alike).
F5=$(python3 "$HERE/forge_bundle.py" held-chain-extra "$M" "$H" "$CITY_AGE" evil.key evil.pub forged5) ||
  fail "forging a held chain folder"
F6=$(python3 "$HERE/forge_bundle.py" held-signature "$M" "$H" "$CITY_AGE" evil.key evil.pub forged6) ||
  fail "forging a held signature"
for how in "" --held-after-extract; do
  expect 1 "data/children/3134000000-340102-000001: chain/notes.txt: unexpected file in a chain folder" \
    "$XJ" unpack "$F5" -o in-city2 --home city2 $PW $how
  absent in-city2/340102-3401-000001
  expect 1 "does not verify: the statement was altered" \
    "$XJ" unpack "$F6" -o in-city2 --home city2 $PW $how
  grep -qE "data/children/3134000000-340102-000001: bundle\.stmt\.[0-9A-F]{16}\.minisig: the signature by 3134000000 clerk key" \
    "$SCRATCH/.err" || fail "the altered signature is not named with its child"
  absent in-city2/340102-3401-000001
done
expect 1 "data/children/3134000000-340102-000001: chain/notes.txt: unexpected file in a chain folder" \
  "$XJ" verify "$F5" --home city2 -i city2/keys/office.key $PW
# A school's newer census goes into the next merge; its old one cannot be
# slipped back in, nor one school's bundle held twice.
mkdir m3 m4
expect 0 "" "$XJ" pack cty/3134000000 --to 340102 -o m3 --home junior $PW
J2=m3/XJ/3134000000-340102-000002
expect 0 "" "$XJ" merge "$P" "$J2" "$S" --to 3401 -o m4 --home county $PW --json
# Each school child is reported with its own bundle and the certificate
# that signed it.
python3 - "$SCRATCH/.out" "$(basename "$P")" <<'PY' || fail "merge --json does not name each school and its signer"
import json, sys
m = json.load(open(sys.argv[1]))
assert m["ok"] and m["children"] == 3 and m["bundle"] == "340102-3401-000002", m
got = sorted((s["school"], s["bundle"], s["signer"].split(" (")[0].split(" ")[0],
              s["records"] > 0) for s in m["schools"])
want = sorted([(sys.argv[2].split("-")[0], sys.argv[2], sys.argv[2].split("-")[0], True),
               ("3134000000", "3134000000-340102-000002", "3134000000", True),
               ("3434000000", "3434000000-340102-000001", "3434000000", True)])
assert got == want, (got, want)
assert all("(school," in s["signer"] for s in m["schools"]), m["schools"]
PY
expect 1 "replay: bundle 3134000000-340102-000001 has seq 1" \
  "$XJ" merge "$P" "$J" "$S" --to 3401 -o m4 --home county $PW
expect 1 "two bundles from 3134000000" "$XJ" merge "$J2" "$J2" --to 3401 -o m4 --home county $PW
# The county's second merge holds two school bundles the city accepted in
# its first: re-sent, and the city is told.
expect 0 "340102-3401-000002 re-sends 2 of its 3 children that this office accepted before" \
  "$XJ" unpack m4/XJ/340102-3401-000002 -o in-city --home city $PW
err_has "$(basename "$P")"
err_has "3434000000-340102-000001"
out_has "school:      3134000000, "

# ---- the city merges, its leader approves, the province checks it all ----
mkdir m5
expect 0 "it waits for a leader's approval: 'xjpack approve m5/XJ/3401-340000-000001.unapproved -k LEADER.key'" \
  "$XJ" merge m4/XJ/340102-3401-000002 --to 340000 -o m5 --home city $PW
U=m5/XJ/3401-340000-000001.unapproved
absent m5/XJ/3401-340000-000001
# Nobody takes an unapproved bundle.
expect 1 "awaits a leader's approval" "$XJ" verify "$U" --home prov
expect 1 "awaits a leader's approval" "$XJ" unpack "$U" -o in-prov --home prov $PW
# The clerk's key is no leader's; a key of another office neither.
expect 2 "a leader approves with the leader's own key" \
  "$XJ" approve "$U" -k city/keys/clerk.key --yes --home city $PW
expect 4 "is not certified as a leader key of 3401" \
  "$XJ" approve "$U" -k col1.key --yes --home city $PW
expect 2 "not on a terminal" "$XJ" approve "$U" -k cl1.key --home city $PW </dev/null
touch taken.txt
expect 2 "--print taken.txt: the file exists" \
  "$XJ" approve "$U" -k cl1.key --yes --print taken.txt --home city $PW
[ -d "$U" ] || fail "a refused approve moved the bundle"
expect 0 "approved: m5/XJ/3401-340000-000001 is in place" \
  "$XJ" approve "$U" -k cl1.key --yes --print approval.txt --home city $PW
out_has "enrolled by school and grade:"
out_has "  3134000000  total "
absent "$U"
grep -q "statement SHA-256" approval.txt || fail "the paper summary lacks the fingerprint"
C=m5/XJ/3401-340000-000001
[ "$(ls "$C" | grep -c '\.minisig$')" = 2 ] || fail "the city bundle lacks two signatures"
sqlite3 city/ledger.sqlite "select event from audit where bundle='3401-340000-000001'" |
  grep -qx approved || fail "the approval is not in the city's audit log"
# A clerk-only city bundle is refused: the leader's signature taken away.
CO=clerk-only/XJ/$(basename "$C")
mkdir -p clerk-only/XJ && cp -r "$C" "$CO"
rm "$CO/bundle.stmt.$(formats_keyid cl1.pub).minisig"
expect 1 "needs the signatures clerk=1 leader=1 and has clerk=1" "$XJ" verify "$CO" --home prov
# The route: a school delivers to its county, never past it. Addressed to
# the province, its bundle verifies (it is signed), and the province
# refuses to take it in, naming the route; nothing is recorded.
mkdir detour
expect 0 "" "$XJ" pack reg --to 340000 -o detour --home school $PW
cp prov/ledger.sqlite ledger.before
expect 1 "a school delivers to its county 340102, which certified it; this bundle is addressed to 340000" \
  "$XJ" unpack detour/XJ/2134000000-340000-000001 -o in-prov --home prov $PW
same prov/ledger.sqlite ledger.before
absent in-prov/2134000000-340000-000001
# A copy is read, never taken in: the school addresses its county and
# copies the city. The city reads it as a copy (its ledger says so, holds
# nothing of it as intake), signs a receipt that says "copy", and cannot
# merge it; the school's outbox waits for the county's receipt still.
mkdir copied
expect 0 "" "$XJ" pack reg --to 340102 --to 3401 -o copied --home school $PW
CB=$(ls -d copied/XJ/2134000000-340102-*)
CID=$(basename "$CB")
expect 0 "a copy: this office is a copy-to office of $CID, addressed to 340102" \
  "$XJ" unpack "$CB" -o in-city-copy --home city $PW
err_has "receipt of the copy for the sender: city/outbox/receipts/$CID"
[ "$(sqlite3 city/ledger.sqlite "select taken_as from accepted where id='$CID'")" = copy ] ||
  fail "the city's ledger does not record the copy as a copy"
sqlite3 city/ledger.sqlite "select event from audit where bundle='$CID'" | grep -qx copy ||
  fail "the city's audit log does not say copy"
grep -qx 'taken-as: copy' "city/outbox/receipts/$CID/receipt.stmt" || fail "the receipt does not say copy"
grep -qx 'by: 3401' "city/outbox/receipts/$CID/receipt.stmt" || fail "the copy's receipt names no signer"
expect 0 "" "$XJ" unpack "$CB" -o in-city-copy --home city $PW --json
out_has '"taken_as":"copy"'
mkdir m-copy
expect 1 "only its addressee 340102 may merge it, and this office is 3401" "$XJ" merge "$CB" --to 340000 -o m-copy --home city $PW
absent m-copy/XJ
expect 0 "$CID: a copy read by 3401" "$XJ" receipt "city/outbox/receipts/$CID" --home school
[ -d "school/outbox/$CID" ] || fail "a copy's receipt cleared the outbox"
expect 0 "receipt for the sender: county/outbox/receipts/$CID" \
  "$XJ" unpack "$CB" -o in-county --home county $PW
grep -qx 'taken-as: intake' "county/outbox/receipts/$CID/receipt.stmt" || fail "the intake receipt"
expect 0 "$CID: received by 340102" "$XJ" receipt "county/outbox/receipts/$CID" --home school
absent "school/outbox/$CID"
# Periods go forward: last year's census after this year's is refused,
# unless the county has agreed to take it late (logged).
Y=$(sed -n 2p reg/school.csv | tr ',' '\n' | grep -m1 -- '-09-30$')
PREV="$(( ${Y%%-*} - 1 ))-09-30"
"$XJ" synth -o reg-prev --students 20 --seed 6 --year "$(( ${Y%%-*} - 1 ))" -q || fail "synth last year"
sed -i "2s/^[0-9]\{10\}/2134000000/" reg-prev/school.csv
mkdir late
expect 0 "" "$XJ" pack reg-prev --to 340102 -o late --home school $PW
LB=$(ls -d late/XJ/2134000000-340102-*)
cp county/ledger.sqlite ledger.before
expect 1 "period backwards: bundle $(basename "$LB") is a census of the period $PREV, and this office has accepted the census of $Y from 2134000000 already" \
  "$XJ" unpack "$LB" -o in-county --home county $PW
err_has "if this office has agreed to take the period $PREV late, unpack it with --accept-period $PREV"
same county/ledger.sqlite ledger.before
expect 2 "--accept-period 2025: expected a period YYYY-09-30" \
  "$XJ" unpack "$LB" -o in-county --home county $PW --accept-period 2025
expect 0 "" "$XJ" unpack "$LB" -o in-county --home county $PW --accept-period "$PREV"
sqlite3 county/ledger.sqlite "select detail from audit where bundle='$(basename "$LB")'" |
  grep -q "override: the period $PREV taken late" || fail "the late period is not logged"
# The province: every county and school statement re-checked, down to who
# signed which records.
expect 0 "" "$XJ" verify "$C" --home prov
out_has "certified:   3401 合肥市教育局 (city, 340000-000001)"
expect 0 "" "$XJ" verify "$C" --home prov -i prov/keys/office.key $PW --json
out_has '"level":"complete"'
out_has '"school":"3434000000"'
cp -a prov prov-after  # as it was before the unpack, for a second one
expect 0 "" "$XJ" unpack "$C" -o in-prov --home prov $PW --json
out_has '"school":"2134000000"'
out_has '"school":"3434000000"'
out_has '"signer":"3134000000 瑶海区第1初级中学 (school,'
# The times: the held bundles were checked while the bag was extracted,
# the rest while the extracted files were flushed, and what they added
# beyond the flush is at most what they took.
cp "$SCRATCH/.out" unpack-early.json
python3 - "$SCRATCH/.out" <<'PY' || fail "unpack --json: seconds"
import json, sys
t = json.load(open(sys.argv[1]))["seconds"]
assert set(t) == {"total", "held_early", "held", "flush", "held_beyond_flush"}, t
# (what is left after the extraction may take under a millisecond)
assert 0 <= t["held"] <= t["total"] and 0 <= t["flush"] <= t["total"], t
assert 0 <= t["held_early"] <= t["total"], t
assert 0 <= t["held_beyond_flush"] <= t["held"], t
PY
# Checked only after the whole bag is extracted, the same schools and
# signers come out, and nothing was checked early.
expect 0 "" "$XJ" unpack "$C" -o in-prov-after --home prov-after $PW --json --held-after-extract
python3 - unpack-early.json "$SCRATCH/.out" <<'PY' || fail "unpack --held-after-extract differs"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:])
assert a["schools"] == b["schools"] and len(a["schools"]) == 3, (a["schools"], b["schools"])
assert b["seconds"]["held_early"] == 0 and b["seconds"]["held"] > 0, b["seconds"]
PY
[ -f in-prov/3401-340000-000001/data/children/340102-3401-000002/bag/data/children/3134000000-340102-000002/bag/data/registry/students.csv ] ||
  fail "the province does not hold the school's records"

# ---- the cross-school audit ----
# A primary school records a transfer out to the junior school, which
# records no transfer in; the senior school sends nothing this time.
cp -r cty audit-data
row=$(grep -m1 ',27,' cty/3134000000/changes.csv || true)
junior_student=$(sed -n 2p cty/3134000000/students.csv | cut -d, -f1)
printf '2026-0900,%s,27,2025-11-08,,3134000000,,,,瑶教基〔2025〕52号,2025-11-05,340102\r\n' \
  "$junior_student" >>audit-data/2134000000/changes.csv
sed -i 's/^transferred-out,,,\([0-9]*\)/echo "transferred-out,,,$((\1 + 1))"/e' audit-data/2134000000/summary.csv
expect 0 "" "$XJ" check audit-data/2134000000
mkdir m6 m7
expect 0 "" "$XJ" pack audit-data/2134000000 --to 340102 -o m6 --home school $PW
expect 0 "" "$XJ" pack audit-data/3134000000 --to 340102 -o m6 --home junior $PW
expect 1 "the cross-school audit found 1 error(s); nothing was merged (a strict merge)" \
  "$XJ" merge m6/XJ/* --to 3401 -o m7 --home county --strict $PW
grep -q "school 2134000000 records a transfer out to 3134000000, which records no transfer in \[merge.transfer-in-missing\]" .err ||
  fail "the unmatched transfer is not reported"
grep -q "3434000000 (瑶海区第1高级中学, school) is certified by this office and sent nothing \[merge.missing\]" .err ||
  fail "the school that sent nothing is not reported"
CHECKS=$((CHECKS + 2))
absent m7/XJ
# Without --strict the merge goes, and the findings travel in audit.json.
expect 0 "[merge.transfer-in-missing]" "$XJ" merge m6/XJ/* --to 3401 -o m7 --home county $PW
out_has "audit:       1 error(s), 1 warning(s)"
# ... and in the signed statement, which every reader shows.
M7=$(ls -d m7/XJ/340102-3401-*)
for l in 'audit: 1 1' 'audit-rule: merge.missing 0 1' \
  'audit-rule: merge.transfer-in-missing 1 0' 'audit-silent: 3434000000'; do
  grep -qx "$l" "$M7/bundle.stmt" || fail "the statement lacks '$l'"
done
expect 0 "" "$XJ" verify "$M7" --home city
out_has "audit:       1 error, 1 warning"
out_has "  error    merge.transfer-in-missing × 1"
out_has "  warning  merge.missing × 1"
out_has "sent nothing: 3434000000"
expect 0 "" "$XJ" inspect "$M7" --home city --json
out_has '"audit":{"errors":1,"warnings":1,"rules":[{"rule":"merge.missing","errors":0,"warnings":1},{"rule":"merge.transfer-in-missing","errors":1,"warnings":0}],"sent_nothing":["3434000000"],"signs_anew":[]}'
# The reverse: the senior school records a transfer in from the junior
# school, which records no transfer out; and one primary student is also
# registered at the junior school (packed with --allow-errors, as its own
# check finds the grade and the missing guardian).
senior_student=$(sed -n 2p cty/3434000000/students.csv | cut -d, -f1)
printf '2026-0901,%s,13,2025-11-08,3134000000,,,,,瑶教基〔2025〕53号,2025-11-05,340102\r\n' \
  "$senior_student" >>audit-data/3434000000/changes.csv
sed -i 's/^transferred-in,,,\([0-9]*\)/echo "transferred-in,,,$((\1 + 1))"/e' audit-data/3434000000/summary.csv
sed -n 2p audit-data/2134000000/students.csv >>audit-data/3134000000/students.csv
mkdir m9 m10
expect 0 "" "$XJ" pack audit-data/3434000000 --to 340102 -o m9 --home senior $PW
expect 0 "" "$XJ" pack audit-data/3134000000 --to 340102 -o m9 --home junior $PW \
  --allow-errors "a test of the county's audit"
cp -r m6/XJ/2134000000-340102-* m9/XJ/
expect 0 "[merge.transfer-out-missing]" "$XJ" merge m9/XJ/* --to 3401 -o m10 --home county $PW
grep -q "school 3434000000 records a transfer in from 3134000000, which records no transfer out" .err ||
  fail "the reverse transfer is not reported"
grep -q "\[duplicate.across-schools\]" .err || fail "the student in two schools is not reported"
CHECKS=$((CHECKS + 2))

# ---- the audit reaches the leader and the province ----
# (on copies of the city and province homes: the streams below go on
# from the homes as they were)
rm -rf city-a prov-a && cp -a city city-a && cp -a prov prov-a
M10=$(ls -d m10/XJ/340102-3401-*)
E10=$(sed -n 's/^audit: \([0-9]*\) .*/\1/p' "$M10/bundle.stmt")
[ "${E10:-0}" -gt 0 ] || fail "the county's merge signs no audit errors"
expect 1 "the audit signed in $(basename "$M10") found $E10 error(s), and no leader's signature gives a reason for them: refused (strict)" \
  "$XJ" unpack "$M10" -o in-city-a --home city-a --strict $PW
absent in-city-a
mkdir m-audit
expect 0 "" "$XJ" merge "$M10" --to 340000 -o m-audit --home city-a $PW
U11=$(ls -d m-audit/XJ/*.unapproved)
E11=$(sed -n 's/^audit: \([0-9]*\) .*/\1/p' "$U11/bundle.stmt")
# The leader sees the audit before anything, and cannot approve its
# errors without saying why.
expect 1 "the audit of $(basename "${U11%.unapproved}") found $E11 error(s); a leader approves it only by giving the reason" \
  "$XJ" approve "$U11" -k cl1.key --yes --home city-a $PW
err_has "approve with --allow-errors REASON"
out_has "  error    duplicate.across-schools × "
[ -d "$U11" ] || fail "a refused approval moved the bundle"
WHY="两校重复学籍已核实，由县局限期更正"
expect 0 "approved:" "$XJ" approve "$U11" -k cl1.key --yes --allow-errors "$WHY" --home city-a $PW
out_has "errors allowed by the leader, because: $WHY"
C11=${U11%.unapproved}
sqlite3 city-a/ledger.sqlite "select detail from audit where event='approved' and bundle='$(basename "$C11")'" |
  grep -qF "audit errors allowed: $WHY" || fail "the reason is not in the city's audit log"
# The province sees the audit and the signed reason, and its --strict
# lets it through because a leader signed the reason.
expect 0 "" "$XJ" verify "$C11" --home prov-a
out_has "audit:       $E11 error"
out_has "allows the audit's errors, because: $WHY"
expect 0 "" "$XJ" unpack "$C11" -o in-prov-a --home prov-a --strict $PW
out_has "errors allowed by the leader, because: $WHY"

# An office whose clock is more than a day behind what it has accepted
# signs nothing.
cp -a county county-clock
sqlite3 county-clock/ledger.sqlite \
  "update meta set value='2099-01-01T00:00:00Z' where key='high-water-mark'"
mkdir m8
expect 1 "is more than a day behind the newest statement this office has accepted (2099-01-01T00:00:00Z)" \
  "$XJ" merge m6/XJ/* --to 3401 -o m8 --home county-clock $PW
absent m8/XJ

# ---- the root rotates: version 2, signed by version 1's custodians and
# its own; the province office's certificate re-issued by the new keys ----
expect 0 "wrote root-2.stmt (unsigned)" \
  "$XJ" trust rotate -p r1.pub -p r2.pub -p r4.pub -o root-2.stmt --home prov
grep -qx 'version: 2' root-2.stmt || fail "the rotation is not version 2"
for k in r1 r4; do
  expect 0 "" "$XJ" trust sign root-2.stmt -k $k.key $PW
done
expect 1 "root-2.stmt (root version 2, by version 1's keys) needs the signatures root=2 and has root=1" \
  "$XJ" trust add-root root-2.stmt --home prov
expect 0 "" "$XJ" trust sign root-2.stmt -k r3.key $PW
expect 0 "root version 2 installed" "$XJ" trust add-root root-2.stmt --home prov
expect 3 "root version 2 is already installed" "$XJ" trust add-root root-2.stmt --home prov
# The province office's old certificate was signed by custodians 1 and 3;
# custodian 3 is gone from version 2.
expect 0 "it still needs 1 more root signature" \
  "$XJ" cert issue --by-root --request prov/request.stmt -k r4.key -o c-prov2 --home prov $PW
expect 0 "" "$XJ" trust sign c-prov2/cert-root-000002.stmt -k r1.key $PW
expect 0 "chain: 340000 <- root" "$XJ" cert install c-prov2 --home prov
# The city's bundle, made under version 1, still checks at the province.
expect 0 "" "$XJ" verify "$C" --home prov
# A new office set up with version 1 learns version 2 from the chain its
# certificate comes with.
init huaibei 3402 city 淮北市教育局 --leader cl1.pub --leader cl2.pub --clerk cc2.pub
expect 0 "" "$XJ" cert issue --request huaibei/request.stmt --scope 3402 -k pl2.key -o c-huaibei --home prov $PW
[ -f c-huaibei/root-2.stmt ] || fail "the chain does not carry root version 2"
expect 0 "chain: 3402 <- 340000 <- root" "$XJ" cert install c-huaibei --home huaibei
[ -f huaibei/trust/root-2.stmt ] || fail "the new office did not learn root version 2"
# The city learns version 2 and the province's new certificate from the
# receipt of its next delivery, and keeps working under them.
mkdir m11
expect 0 "" "$XJ" merge m10/XJ/340102-3401-000004 --to 340000 -o m11 --home city $PW
expect 0 "" "$XJ" approve m11/XJ/3401-340000-000002.unapproved -k cl1.key --yes --allow-errors "the duplicates are being corrected" --home city $PW
expect 0 "" "$XJ" unpack m11/XJ/3401-340000-000002 -o in-prov2 --home prov $PW
expect 0 "learned root-2.stmt" "$XJ" receipt prov/outbox/receipts/3401-340000-000002 --home city
[ -f city/trust/cert-root-000002.stmt ] || fail "the city did not learn the province's new certificate"
expect 0 "" "$XJ" verify m11/XJ/3401-340000-000002 --home city

done_ok
