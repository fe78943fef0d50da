#!/bin/bash
# sign / sigcheck from the command line.
. "$(dirname "$0")/lib.sh"

"$XJ" keygen --signing -o clerk.key $PW $WF -q >/dev/null || fail "keygen"
"$XJ" keygen --signing -o other.key $PW $WF -q >/dev/null || fail "keygen"
printf 'registry data\n' >doc

expect 0 "" "$XJ" sign doc -k clerk.key $PW
[ -f doc.minisig ] || fail "no doc.minisig"
expect 0 "" "$XJ" sigcheck doc -p clerk.pub
out_has "signature verified: key"
out_has "trusted comment: timestamp:"
expect 0 "" "$XJ" sigcheck doc -P "$(sed -n 2p clerk.pub)" --json
out_has '"algorithm":"ED"'
expect 0 "" "$XJ" sign doc -k clerk.key $PW -t "approved by the county" -x custom.sig
expect 0 "" "$XJ" sigcheck doc -p clerk.pub -x custom.sig
out_has "trusted comment: approved by the county"

expect 0 "" "$XJ" sign doc -k clerk.key $PW -x j.sig --json
out_has '"verb":"sign"'
out_has '"signature":"j.sig"'
expect 3 "doc.minisig already exists" "$XJ" sign doc -k clerk.key $PW
expect 1 "not by the given key" "$XJ" sigcheck doc -p other.pub
printf 'registry data!\n' >doc
expect 1 "the file does not match its signature" "$XJ" sigcheck doc -p clerk.pub
printf 'registry data\n' >doc
sed -i 's/^trusted comment: .*/trusted comment: approved by the city/' custom.sig
expect 1 "the trusted comment was altered" "$XJ" sigcheck doc -p clerk.pub -x custom.sig
sed -i 's/$/\r/' doc.minisig
expect 1 "CRLF line endings" "$XJ" sigcheck doc -p clerk.pub
expect 3 "missing.minisig: no such file" "$XJ" sigcheck doc -p clerk.pub -x missing.minisig

printf 'xjtrust/1 bundle\n' >stmt
expect 2 "is an xjtrust statement" "$XJ" sign stmt -k clerk.key $PW
expect 2 "reserved for trust statements" "$XJ" sign doc -k clerk.key $PW -t "xjtrust/1 x" -x t.sig
absent t.sig
absent stmt.minisig
done_ok
