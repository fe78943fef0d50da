#!/bin/bash
# The main job on built-in sample data: installs what is missing, builds,
# runs `xjpack demo` (the whole flow, from the province's root to the
# province's intake, on a synthetic city), then walks one school's registry
# through the file-level tools —
# the registry check (clean, then with planted mistakes), identities and
# signing keys, the signed and encrypted bundle on a stick, its inspection,
# verification and unpacking at the county, recovery with stock tools, a
# damaged stick refused — printing each step. Everything happens in a
# scratch folder that is removed at the end.
#
# usage: tools/demo.sh      (as root on a fresh Debian 12 machine)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
tools/bootstrap.sh build >/dev/null
X=$root/build/tools/xjpack

work=$(mktemp -d "${TMPDIR:-/tmp}/xjpack-demo-XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
step() { printf '\n== %s\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

printf '\n######## the whole flow: root, offices, schools, counties, city, province\n'
"$X" demo -o "$work/flow"

printf '\n######## one school without certificates: keys given by hand, stock tools\n'

step "0. a school's registry: synthetic (no real person), with last year's"
run "$X" synth -o school --previous school-last-year --seed 7 --students 120 --photos
head -c 400 school/students.csv; echo ...

step "1. the school clerk checks the registry against the schema and audit rules"
run "$X" check school --previous school-last-year

step "2. the same with mistakes planted: every one is found, personal data masked"
run "$X" synth -o flawed --previous flawed-last-year --seed 7 --students 120 \
  --defects check-digit,count-mismatch,vanished,unflagged-migrant,duplicate-row -q
"$X" check flawed --previous flawed-last-year || echo "(exit status $?: errors found)"
# Demo passphrases come from files; real users type them at the prompt.
printf 'county office demo passphrase\n' >county.pass
printf 'school clerk demo passphrase\n' >clerk.pass
export XJPACK_HOME=$work/school-office   # the school's outbox and counters

step "3. the county office makes its encryption identity; the clerk a signing key"
run "$X" keygen --office -o county.key --passphrase-file county.pass
run "$X" keygen --signing -o clerk.key --passphrase-file clerk.pass

step "4. the clerk packs the checked registry onto the stick for the county"
mkdir stick   # stands for the USB stick's mount point
run "$X" pack school --to 340102=county.pub -k clerk.key -o stick --passphrase-file clerk.pass
B=$(ls -d stick/XJ/*)
run ls -l "$B"
sed -n '1,12p' "$B/README.txt" | tr -d '\r'

step "5. anyone on the way can see what it is, and that it arrived intact"
run "$X" inspect "$B"
run "$X" verify "$B"

step "6. the county verifies who signed it and that it opens, writing nothing"
run "$X" verify "$B" -p clerk.pub -i county.key --passphrase-file county.pass

step "7. the county unpacks it: verified, decrypted in quarantine, checked, then moved"
mkdir incoming
run "$X" unpack "$B" -p clerk.pub -i county.key --passphrase-file county.pass -o incoming
cmp school/photos/"$(ls school/photos | head -1)" incoming/*/data/registry/photos/"$(ls school/photos | head -1)" &&
  echo "the photos arrived unchanged"

step "8. without xjpack: stock minisign, age, zstd and tar recover the same bag"
run minisign -V -p clerk.pub -m "$B/bundle.stmt" -x "$(ls "$B"/bundle.stmt.*.minisig)"
printf 'county office demo passphrase\n' |
  script -qec "age -d -o county-identity.txt county.key" /dev/null >/dev/null
mkdir recovered
(cd recovered && cat ../"$B"/payload.tar.zst.age* | age -d -i ../county-identity.txt | zstd -d | tar -x)
(cd recovered/* && sha512sum -c --quiet manifest-sha512.txt && echo "sha512sum -c: every file of the bag checks")
diff -r recovered incoming >/dev/null && echo "the stock tools give the same bag as xjpack unpack"

step "9. a damaged stick is refused, and nothing is unpacked"
cp -r "$B" damaged
# One bit flipped (a byte overwritten with a fixed value might have held it).
byte=$(dd if=damaged/payload.tar.zst.age bs=1 skip=5000 count=1 2>/dev/null | od -An -tu1 | tr -d ' ')
printf "$(printf '\\%03o' $((byte ^ 1)))" |
  dd of=damaged/payload.tar.zst.age bs=1 seek=5000 count=1 conv=notrunc 2>/dev/null
mkdir refused
if "$X" unpack damaged -p clerk.pub -i county.key --passphrase-file county.pass -o refused; then
  echo "demo: a damaged bundle was accepted" >&2
  exit 1
fi
[ -z "$(ls -A refused)" ] && echo "nothing was unpacked"

step "10. single files, for emergencies: encrypt, sign, check, decrypt"
run "$X" encrypt school/students.csv -R county.pub -o students.csv.age
run "$X" sign students.csv.age -k clerk.key --passphrase-file clerk.pass \
  -t "school 2134000000 census 2026-09-30"
run "$X" sigcheck students.csv.age -p clerk.pub
run "$X" decrypt students.csv.age -i county.key --passphrase-file county.pass -o received.csv
cmp school/students.csv received.csv && echo "received.csv is identical to the original"
step "done"
