#!/bin/bash
# pack, inspect, verify and unpack: the honest path, the outbox and the
# streams, determinism, and one distinct error for every kind of damage or
# forgery (each volume problem, edited statements, unknown signers, wrong
# identities, hostile archives, broken bags).
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
FORGE="python3 $HERE/forge_bundle.py"
export XJPACK_HOME=$SCRATCH/home

"$XJ" keygen --signing -o clerk.key $PW $WF -q >/dev/null || fail "keygen clerk"
"$XJ" keygen --signing -o stranger.key $PW $WF -q >/dev/null || fail "keygen stranger"
"$XJ" keygen --office -o county.key $PW $WF -q >/dev/null || fail "keygen county"
"$XJ" keygen --office -o city.key $PW $WF -q >/dev/null || fail "keygen city"
"$XJ" keygen --office -o other.key $PW $WF -q >/dev/null || fail "keygen other"
"$XJ" synth -o school --photos --seed 7 -q || fail "synth"
(cd school && find . -type f -exec sha256sum {} + | sort) >school.sums
mkdir stick

# ---- the honest path ----
expect 0 "the stick was read back and verified; it may be removed" \
  "$XJ" pack school --to 340102=county.pub --to 341100=city.pub -k clerk.key -o stick $PW
out_has "bundle:      2134000000-340102-000001"
out_has "volumes:     1"
B=stick/XJ/2134000000-340102-000001
keyid=$("$XJ" inspect "$B" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["signatures"][0]["key_id"])')
[ "$(ls "$B" | tr '\n' ' ')" = "README.txt bundle.stmt bundle.stmt.$keyid.minisig payload.tar.zst.age " ] ||
  fail "unexpected files on the stick: $(ls "$B")"
sed -n 2p clerk.pub | base64 -d | od -An -tx1 -j2 -N8 | tr -d ' \n' | fold -w2 | tac | tr -d '\n' |
  tr a-f A-F | grep -qx "$keyid" || fail "the signature file is not named by the clerk's key id"
head -1 "$B/bundle.stmt" | grep -qx 'xjtrust/1 bundle' || fail "statement magic"
grep -qx 'recipient: 340102' "$B/bundle.stmt" || fail "no recipient line"
grep -qx 'copy-to: 341100' "$B/bundle.stmt" || fail "no copy-to line"
grep -qx 'seq: 1' "$B/bundle.stmt" || fail "seq 1"
grep -qx 'prev: none' "$B/bundle.stmt" || fail "prev none"
# README.txt: UTF-8 with a BOM and CRLF, Chinese and English, the recovery.
head -c3 "$B/README.txt" | od -An -tx1 | grep -q 'ef bb bf' || fail "README.txt has no BOM"
grep -q $'\r$' "$B/README.txt" || fail "README.txt lines do not end CRLF"
grep -q '学籍数据包' "$B/README.txt" || fail "README.txt has no Chinese"
grep -q 'age -d -i <identity> | zstd -d | tar -x' "$B/README.txt" || fail "README.txt lacks the recovery"
grep -q "xjpack unpack XJ/2134000000-340102-000001 -o <folder> -p <sender's public key>" "$B/README.txt" ||
  fail "README.txt lacks the unpack command"
grep -q "xjpack verify XJ/2134000000-340102-000001 -p <sender's public key>" "$B/README.txt" ||
  fail "README.txt lacks the verify command"
# The source is untouched; the outbox keeps a copy.
(cd school && find . -type f -exec sha256sum {} + | sort) | cmp -s - school.sums || fail "pack changed the source"
[ -f home/outbox/2134000000-340102-000001/bundle.stmt ] || fail "no outbox copy"
same home/outbox/2134000000-340102-000001/payload.tar.zst.age "$B/payload.tar.zst.age"
grep -qx 'seq 1' home/streams/* || fail "the stream does not record seq 1"

expect 0 "" "$XJ" inspect "$B"
out_has "from:        2134000000"
out_has "copy to:     341100"
out_has "signed by a key that is not trusted"
expect 0 "" "$XJ" inspect "$B" -p clerk.pub --json
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["ok"] and d["verb"] == "inspect" and d["recipient"] == "340102", d
assert d["copy_to"] == ["341100"] and d["seq"] == 1 and d["records"] > 0, d
assert [s["valid"] for s in d["signatures"]] == [True], d
assert [v["state"] for v in d["volumes"]] == ["present"], d
' "$SCRATCH/.out" || fail "inspect --json"

expect 0 "" "$XJ" verify "$B"
out_has "result:      intact"
expect 0 "" "$XJ" verify "$B" -p clerk.pub
out_has "result:      trusted"
expect 0 "" "$XJ" verify "$B" -p clerk.pub -i county.key $PW --json
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["ok"] and d["level"] == "complete" and d["bag_files"] > 200, d
' "$SCRATCH/.out" || fail "verify --json"
# With an identity but no -p the contents are checked, but nothing is trusted.
expect 0 "" "$XJ" verify "$B" -i county.key $PW
out_has "result:      intact: every volume matches the statement and the decrypted bag checks (signatures not checked"
# The copy-to office can open it too; an office it is not for cannot.
expect 0 "" "$XJ" verify "$B" -p clerk.pub -i city.key $PW -q
[ ! -s "$SCRATCH/.out" ] || fail "verify -q printed: $(cat "$SCRATCH/.out")"
expect 4 "none of the identities given opens this bundle: it is addressed to 340102 (copies to 341100)" \
  "$XJ" verify "$B" -p clerk.pub -i other.key $PW
expect 1 "the bundle is signed only by unknown key(s)" "$XJ" verify "$B" -p stranger.pub
expect 1 "give the sender's public key with -p" "$XJ" verify "$B" -p stranger.pub
expect 1 "the signature claims the role clerk, but" "$XJ" verify "$B" -p leader:clerk.pub

mkdir out
expect 0 "" "$XJ" unpack "$B" -p clerk.pub -i county.key $PW -o out
out_has "unpacked to: out/2134000000-340102-000001"
bag=out/2134000000-340102-000001
(cd "$bag" && sha512sum -c --quiet manifest-sha512.txt && sha512sum -c --quiet tagmanifest-sha512.txt) ||
  fail "the unpacked bag does not check with sha512sum"
[ "$(ls "$bag" | tr '\n' ' ')" = "bag-info.txt bagit.txt data manifest-sha512.txt tagmanifest-sha512.txt " ] ||
  fail "bag layout: $(ls "$bag")"
grep -qx 'External-Identifier: 2134000000-340102-000001' "$bag/bag-info.txt" || fail "bag-info id"
grep -qx 'Source-Organization: 2134000000' "$bag/bag-info.txt" || fail "bag-info source"
grep -q '^Payload-Oxum: [0-9]*\.[0-9]*$' "$bag/bag-info.txt" || fail "bag-info oxum"
grep -q '^Bagging-Date: 20[0-9-]*$' "$bag/bag-info.txt" || fail "bag-info date"
cmp -s <(ls school/photos) <(ls "$bag/data/registry/photos") || fail "photos differ"
for f in school/photos/*; do same "$f" "$bag/data/registry/photos/$(basename "$f")"; done
[ "$(stat -c %a "$bag")" = 700 ] || fail "the bag folder is not private"
ls -A out | grep -q xjpack-work && fail "the quarantine was left behind"
expect 3 "already exists" "$XJ" unpack "$B" -p clerk.pub -i county.key $PW -o out
expect 2 "unpack trusts only signed data" "$XJ" unpack "$B" -i county.key $PW -o out2
expect 3 "nowhere: no such folder" "$XJ" unpack "$B" -p clerk.pub -i county.key $PW -o nowhere/deeper

# A second pack continues the stream: seq 2, prev = SHA-256 of the first.
mkdir stick2
expect 0 "" "$XJ" pack school --to 340102=county.pub -k clerk.key -o stick2 $PW -q
[ ! -s "$SCRATCH/.out" ] || fail "pack -q printed: $(cat "$SCRATCH/.out")"
B2=stick2/XJ/2134000000-340102-000002
grep -qx "prev: $(sha256sum "$B/bundle.stmt" | cut -d' ' -f1)" "$B2/bundle.stmt" ||
  fail "seq 2 does not chain to seq 1"
# A missing stick is refused before anything is done (no seq is used).
expect 3 "nostick: no such folder (is the stick mounted?)" \
  "$XJ" pack school --to 340102=county.pub -k clerk.key -o nostick $PW
grep -qx 'seq 2' home/streams/* || fail "a refused pack used a sequence number"

# Volumes: --volume-size splits the payload; the pieces are named .001...
mkdir split
expect 0 "" "$XJ" pack school --to 340102=county.pub -k clerk.key -o split --volume-size 1M $PW --json
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert len(d["volumes"]) > 3 and d["volumes"][0]["name"] == "payload.tar.zst.age.001", d
assert all(v["size"] == 1 << 20 for v in d["volumes"][:-1]), d
' "$SCRATCH/.out" || fail "pack --json volumes"
S=split/XJ/2134000000-340102-000003
[ "$(stat -c %s "$S/payload.tar.zst.age.001")" = 1048576 ] || fail "volume 1 is not 1 MiB"
expect 0 "" "$XJ" verify "$S" -p clerk.pub -i county.key $PW
# Spread over two sticks: verify and unpack take both folders.
mkdir -p second/XJ/2134000000-340102-000003
cp "$S/bundle.stmt" "$S"/*.minisig second/XJ/2134000000-340102-000003/
mv "$S/payload.tar.zst.age.002" "$S/payload.tar.zst.age.003" second/XJ/2134000000-340102-000003/
expect 3 "volume(s) payload.tar.zst.age.002, payload.tar.zst.age.003 of" "$XJ" verify "$S" -p clerk.pub
expect 3 "give the folders of the other sticks too" "$XJ" verify "$S" -p clerk.pub
expect 0 "" "$XJ" inspect "$S"
out_has "payload.tar.zst.age.002, 1048576 bytes, MISSING (on another stick?)"
expect 0 "" "$XJ" verify "$S" second/XJ/2134000000-340102-000003 -p clerk.pub
mkdir out3
expect 0 "" "$XJ" unpack "$S" second/XJ/2134000000-340102-000003 -p clerk.pub -i county.key $PW -o out3
cp second/XJ/2134000000-340102-000003/payload.tar.zst.age.002 "$S/"
expect 1 "volume payload.tar.zst.age.002 is in more than one of the folders given" \
  "$XJ" verify "$S" second/XJ/2134000000-340102-000003 -p clerk.pub

# ---- damage on the stick: each a distinct error ----
damaged() {  # a fresh copy of the honest bundle to damage
  rm -rf d && mkdir d && cp -r "$B" d/ && D=d/2134000000-340102-000001
}
damaged
rm "$D/payload.tar.zst.age"
expect 3 "volume(s) payload.tar.zst.age of 1 missing" "$XJ" verify "$D"
damaged
cp "$D/payload.tar.zst.age" "$D/payload.tar.zst.age.002"
expect 1 "volume payload.tar.zst.age.002 is not in the statement (an extra file)" "$XJ" verify "$D"
damaged
truncate -s -1000 "$D/payload.tar.zst.age"
expect 1 "(truncated)" "$XJ" verify "$D"
expect 1 "(truncated)" "$XJ" unpack "$D" -p clerk.pub -i county.key $PW -o out2 --json
absent out2
damaged
printf 'x' >>"$D/payload.tar.zst.age"
expect 1 "bytes, the statement says" "$XJ" verify "$D"
# A flipped byte anywhere: in the header, in the middle, in the last chunk.
size=$(stat -c %s "$B/payload.tar.zst.age")
for at in 20 200 $((size / 2)) $((size - 5)); do
  damaged
  flip "$D/payload.tar.zst.age" "$at"
  expect 1 "" "$XJ" verify "$D" -p clerk.pub -i county.key $PW
  grep -qE "does not match its SHA-512 in the statement|age header" "$SCRATCH/.err" ||
    fail "flip at $at: $(cat "$SCRATCH/.err")"
  mkdir -p o
  expect 1 "" "$XJ" unpack "$D" -p clerk.pub -i county.key $PW -o o
  [ -z "$(ls -A o)" ] || fail "a failed unpack left $(ls -A o)"
done
damaged
flip "$D/payload.tar.zst.age" $((size / 2))
expect 1 "volume payload.tar.zst.age does not match its SHA-512 in the statement: damaged or altered" \
  "$XJ" verify "$D"
# The statement edited: a count, then a volume hash to match a new payload.
damaged
sed -i 's/^records: .*/records: 1/' "$D/bundle.stmt"
expect 1 "does not verify: the statement was altered" "$XJ" verify "$D" -p clerk.pub
damaged
sed -i 's/^seq: 1$/seq: 01/' "$D/bundle.stmt"
expect 1 "bundle.stmt: line 9" "$XJ" verify "$D"
damaged
printf 'note: hello\n' >>"$D/bundle.stmt"
expect 1 "bundle.stmt: line" "$XJ" verify "$D"
damaged
sed -i 's/$/\r/' "$D/bundle.stmt"
expect 1 "bundle.stmt: carriage return: the statement was converted as text (CRLF)" "$XJ" inspect "$D"
damaged
flip "$D"/bundle.stmt.*.minisig 100
expect 1 "" "$XJ" verify "$D" -p clerk.pub
damaged
rm "$D"/bundle.stmt.*.minisig
expect 1 "the bundle is not signed" "$XJ" verify "$D" -p clerk.pub
damaged
mv "$D"/bundle.stmt.*.minisig "$D/bundle.stmt.0123456789ABCDEF.minisig"
expect 1 "the file name says key 0123456789ABCDEF" "$XJ" verify "$D" -p clerk.pub
# Unknown names, symbolic links, and folders where files belong.
damaged
touch "$D/notes.txt"
expect 1 'unexpected file "notes.txt" in the bundle folder' "$XJ" verify "$D"
damaged
touch "$D/._payload.tar.zst.age" "$D/Thumbs.db"
expect 0 "" "$XJ" verify "$D"
out_has "ignored:     $D/._payload.tar.zst.age"
damaged
mv "$D/payload.tar.zst.age" d/elsewhere && ln -s ../elsewhere "$D/payload.tar.zst.age"
expect 1 "payload.tar.zst.age is a symbolic link; a bundle holds none" "$XJ" verify "$D"
damaged
ln -s "$SCRATCH/$B" d/link
expect 1 "symbolic link" "$XJ" verify d/link
damaged
printf 'changed\r\n' >"$D/README.txt"
expect 0 "README.txt on the stick differs from what the statement says" "$XJ" verify "$D"
expect 0 "" "$XJ" verify "$D" --json
grep -q '"warnings":\["README.txt on the stick differs' "$SCRATCH/.out" || fail "no warning in --json"
damaged
head -c 1100000 /dev/zero | tr '\0' 'x' >"$D/bundle.stmt"
expect 1 "bundle.stmt is larger than a statement can be (1048576 bytes)" "$XJ" verify "$D"
damaged
mv d/2134000000-340102-000001 d/real && mkdir d/XJ && ln -s ../real d/XJ/2134000000-340102-000001
expect 1 "symbolic link" "$XJ" verify d/XJ/2134000000-340102-000001
rm -rf d/XJ && mkdir d/elsewhere && mv d/real d/elsewhere/2134000000-340102-000001 && ln -s elsewhere d/XJ
expect 1 "d/XJ is a symbolic link; a stick's folders hold none" "$XJ" verify d/XJ/2134000000-340102-000001
expect 1 "d/XJ is a symbolic link; a stick's folders hold none" "$XJ" inspect d/XJ/2134000000-340102-000001/
expect 2 "stick is a stick, not a bundle folder; give XJ/<bundle-id>: stick/XJ/2134000000-340102-000001" \
  "$XJ" verify stick
expect 2 "stick/XJ is a stick, not a bundle folder" "$XJ" inspect stick/XJ
expect 3 "school: no bundle.stmt (is this a bundle folder XJ/<id>?)" "$XJ" verify school

# ---- forged bundles: signed by a trusted key, hostile inside ----
minisign -G -W -p forger.pub -s forger.key >/dev/null || fail "minisign -G"
recipient=$(grep -o 'age1[a-z0-9]*' county.pub),$(grep -o 'age1[a-z0-9]*' city.pub)
forge() {  # forge CASE: a forged bundle in f-CASE; $F is its folder
  rm -rf "f-$1"
  F=$($FORGE "$1" "$B" "$bag" "$recipient" forger.key forger.pub "f-$1") || fail "forging $1"
}
forge same  # the forger itself is sound: an honest re-pack passes
expect 0 "" "$XJ" verify "$F" -p forger.pub -i county.key $PW
hostile() {  # hostile CASE EXIT MESSAGE: verify and unpack both refuse
  forge "$1"
  expect "$2" "$3" "$XJ" verify "$F" -p forger.pub -i county.key $PW
  rm -rf o && mkdir o
  expect "$2" "$3" "$XJ" unpack "$F" -p forger.pub -i county.key $PW -o o
  [ -z "$(ls -A o)" ] || fail "unpack of the $1 forgery left $(ls -A o)"
  [ ! -e escaped.txt ] && [ ! -e /tmp/xjpack-absolute.txt ] || fail "$1 escaped"
}
hostile traversal 1 'a "." or ".." component; nothing is extracted'
hostile absolute 1 'absolute; nothing is extracted'
hostile symlink 1 'data/link", a symbolic link; nothing is extracted'
hostile hardlink 1 'data/hard", a hard link; nothing is extracted'
hostile device 1 'data/dev", a device, FIFO or socket; nothing is extracted'
hostile directory 1 'a folder entry; nothing is extracted'
hostile duplicate 1 'bagit.txt", a name that appears twice'
hostile case-collision 1 'BAGIT.txt", a name that differs from another only in case'
hostile outside 1 'the archive holds "other-bundle/x.txt", outside the bag folder'
hostile out-of-order 1 'unexpected file "bagit.txt" in the bag'
hostile bomb 1 'more than its signed size allows'
hostile long-window 1 'Frame requires too much memory'
hostile trailing 1 'data other than zeros follows the end of the archive'
hostile missing 1 'manifest-sha512.txt lists data/registry/classes.csv, which the bag lacks (a missing file)'
hostile extra 1 'the bag holds data/registry/photos/extra.jpg, which manifest-sha512.txt does not list (an added file)'
hostile altered 1 'data/registry/students.csv does not match its SHA-512 in manifest-sha512.txt (an altered file)'
hostile no-tagmanifest 1 'the bag is incomplete: its tag manifest never came'

# ---- determinism: the same input, keys and clock give the same tar ----
age-keygen -o plain.id 2>/dev/null
plain=$(age-keygen -y plain.id)
for n in 1 2; do
  mkdir -p "det$n"
  SOURCE_DATE_EPOCH=1790000000 XJPACK_HOME=$SCRATCH/dethome$n \
    "$XJ" pack school --to "340102=$plain" -k clerk.key -o "det$n" $PW -q || fail "deterministic pack $n"
  age -d -i plain.id "det$n"/XJ/*/payload.tar.zst.age | zstd -dq >"det$n.tar" || fail "stock decrypt $n"
done
same det1.tar det2.tar
cmp -s det1/XJ/*/payload.tar.zst.age det2/XJ/*/payload.tar.zst.age && fail "two encryptions are identical"
grep -qx 'created: 2026-09-21T14:13:20Z' det1/XJ/*/bundle.stmt || fail "SOURCE_DATE_EPOCH not used"
TZ=UTC tar -tvf det1.tar | awk '{print $2, $4, $5}' | sort -u | grep -qvx '0/0 2026-09-21 14:13' &&
  fail "tar owners or times vary: $(tar -tvf det1.tar | head -3)"
tar -tf det1.tar >names.txt
LC_ALL=C sort -c names.txt || fail "tar entries are not in byte order"
head -2 names.txt | grep -q '/bag-info.txt$' || fail "bag-info.txt is not first"
tail -1 names.txt | grep -q '/tagmanifest-sha512.txt$' || fail "the tag manifest is not last"

# ---- recovery with stock tools only ----
rm -rf rec && mkdir rec
(cd rec && cat ../det1/XJ/*/payload.tar.zst.age* | age -d -i ../plain.id | zstd -d | tar -x) ||
  fail "stock recovery failed"
(cd rec/* && sha512sum -c --quiet manifest-sha512.txt && sha512sum -c --quiet tagmanifest-sha512.txt) ||
  fail "sha512sum -c fails on the recovered bag"
mkdir ud
expect 0 "" "$XJ" unpack det1/XJ/* -p clerk.pub -i plain.id -o ud -q
diff -r rec ud >/dev/null || fail "stock recovery and unpack give different bags"
sig=$(ls det1/XJ/*/bundle.stmt.*.minisig)
minisign -Vq -p clerk.pub -m det1/XJ/*/bundle.stmt -x "$sig" || fail "stock minisign rejects the statement signature"
# Split volumes recover the same way, joined in name order.
rm -rf rec2 && mkdir rec2 det3
SOURCE_DATE_EPOCH=1790000000 XJPACK_HOME=$SCRATCH/dethome3 \
  "$XJ" pack school --to "340102=$plain" -k clerk.key -o det3 --volume-size 512K $PW -q || fail "split pack"
(cd rec2 && cat ../det3/XJ/*/payload.tar.zst.age.* | age -d -i ../plain.id | zstd -d | tar -x) ||
  fail "stock recovery of split volumes failed"
diff -r rec rec2 >/dev/null || fail "split and whole payloads hold different bags"

# ---- the registry check gates the pack ----
"$XJ" synth -o bad --defects bad-phone --answer-key bad.key -q || fail "synth bad"
mkdir stick3
expect 1 "the registry has 1 error(s); nothing was packed" \
  "$XJ" pack bad --to 340102=county.pub -k clerk.key -o stick3 $PW
[ -z "$(ls -A stick3)" ] || fail "a refused pack wrote to the stick"
expect 0 "" "$XJ" pack bad --to 340102=county.pub -k clerk.key -o stick3 $PW \
  --allow-errors "the phone is being confirmed with the family"
A=$(ls -d stick3/XJ/*)
grep -qx 'allow-errors: 1' "$A/bundle.stmt" || fail "allow-errors not in the statement"
mkdir out4
expect 0 "" "$XJ" unpack "$A" -p clerk.pub -i county.key $PW -o out4 -q
grep -qx 'XJ-Allow-Errors: the phone is being confirmed with the family' out4/*/bag-info.txt ||
  fail "the reason is not in bag-info.txt"
grep -q '^error,students.csv,' out4/*/data/check/findings.csv || fail "no findings in the bag"

expect 2 "--allow-errors: the reason must be one line of plain text: value begins or ends with a space" \
  "$XJ" pack bad --to 340102=county.pub -k clerk.key -o stick3 $PW --allow-errors "trailing "
expect 2 "--allow-errors: the reason must be one line of plain text: value holds a control" \
  "$XJ" pack bad --to 340102=county.pub -k clerk.key -o stick3 $PW --allow-errors $'two\nlines'
# OS litter among the photos stays out of the bag.
touch school/photos/Thumbs.db school/photos/.DS_Store
mkdir stick4
expect 0 "" "$XJ" pack school --to 340102=county.pub -k clerk.key -o stick4 $PW -q
mkdir out5
expect 0 "" "$XJ" unpack stick4/XJ/* -p clerk.pub -i county.key $PW -o out5 -q
ls -A out5/*/data/registry/photos | grep -qE 'Thumbs|DS_Store' && fail "litter went into the bag"
rm school/photos/Thumbs.db school/photos/.DS_Store
# Two photos whose names differ only in (Unicode) case: the recipient would
# refuse the bundle, so pack refuses it before it takes a seq, and nothing
# reaches the stick.
p1=$(ls school/photos | head -1)
cp "school/photos/$p1" "school/photos/É.jpg"
cp "school/photos/$p1" "school/photos/é.jpg"
mkdir stick5
expect 1 "differ only in case" "$XJ" pack school --to 340102=county.pub -k clerk.key -o stick5 $PW
[ -z "$(ls -A stick5)" ] || fail "a refused pack wrote to the stick"
rm "school/photos/É.jpg" "school/photos/é.jpg"
# A bundle folder reached through a symbolic link is refused, however the
# path is spelled.
ln -s "$(basename "$B")" "$(dirname "$B")/alias"
expect 1 "is a symbolic link" "$XJ" verify "$(dirname "$B")/alias/./." -p clerk.pub
expect 1 "is a symbolic link" "$XJ" verify "$(dirname "$B")/alias/" -p clerk.pub
rm "$(dirname "$B")/alias"
# A stale temporary folder in the outbox (a killed pack) is removed.
mkdir -p home/outbox/.xjtmp-999999-2134000000-340102-000099
expect 0 "" "$XJ" pack school --to 340102=county.pub -k clerk.key -o stick4 $PW -q
absent home/outbox/.xjtmp-999999-2134000000-340102-000099

# ---- usage errors ----
expect 2 "--to 340102: expected OFFICE=RECIPIENT" "$XJ" pack school --to 340102 -k clerk.key -o stick $PW
expect 2 "-k KEY is required" "$XJ" pack school --to 340102=county.pub -o stick
expect 2 "office 340102 is named twice" \
  "$XJ" pack school --to 340102=county.pub --to 340102=city.pub -k clerk.key -o stick $PW
expect 2 "the volume size must be 64 KiB to 4294967295 bytes" \
  "$XJ" pack school --to 340102=county.pub -k clerk.key -o stick --volume-size 5G $PW
expect 2 "--volume-size 17179869185G: too large" \
  "$XJ" pack school --to 340102=county.pub -k clerk.key -o stick --volume-size 17179869185G $PW
expect 2 "--allow-errors needs a reason" \
  "$XJ" pack bad --to 340102=county.pub -k clerk.key -o stick3 $PW --allow-errors ""
expect 2 "--volume-size -1: expected a size like 700M" \
  "$XJ" pack school --to 340102=county.pub -k clerk.key -o stick --volume-size -1 $PW
expect 2 "SOURCE_DATE_EPOCH=0: a time before 2001" env SOURCE_DATE_EPOCH=0 \
  "$XJ" pack school --to 340102=county.pub -k clerk.key -o stick $PW
# Problems with the request come before the passphrase (none is given here)
# and before a sequence number is taken.
cat county.pub city.pub >two.pub
cp -r home/streams streams.before
expect 2 "office 340102 needs exactly one age recipient, not 2" \
  "$XJ" pack school --to 340102=two.pub -k clerk.key -o stick --passphrase-file /dev/null
diff -r streams.before home/streams >/dev/null || fail "a refused pack changed the streams"
expect 2 '"34x" is not an office code' \
  "$XJ" pack school --to 34x=county.pub -k clerk.key -o stick --passphrase-file /dev/null
expect 2 "SOURCE_DATE_EPOCH=\"yesterday\"" env SOURCE_DATE_EPOCH=yesterday \
  "$XJ" pack school --to 340102=county.pub -k clerk.key -o stick $PW
done_ok
