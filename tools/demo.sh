#!/bin/bash
# The main job on built-in sample data: installs what is missing, builds,
# then walks a school's registry through what the offices do with it —
# the registry check (clean, then with planted mistakes), identities and
# signing keys, encryption to the recipient office, a signature, its check,
# decryption — printing each step. Everything happens
# in a scratch folder that is removed at the end.
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

step "0. a school's registry: synthetic (no real person), with last year's"
run "$X" synth -o school --previous school-last-year --seed 7 --students 120
head -c 400 school/students.csv; echo ...

step "1. the school clerk checks the registry against the schema and audit rules"
run "$X" check school --previous school-last-year

step "2. the same with mistakes planted: every one is found, personal data masked"
run "$X" synth -o flawed --previous flawed-last-year --seed 7 --students 120 \
  --defects check-digit,count-mismatch,vanished,unflagged-migrant,duplicate-row -q
"$X" check flawed --previous flawed-last-year || echo "(exit status $?: errors found)"
cp school/students.csv students.csv
# Demo passphrases come from files; real users type them at the prompt.
printf 'county office demo passphrase\n' >county.pass
printf 'school clerk demo passphrase\n' >clerk.pass

step "3. the county office makes its encryption identity"
run "$X" keygen --office -o county.key --passphrase-file county.pass

step "4. the school clerk makes a personal signing key"
run "$X" keygen --signing -o clerk.key --passphrase-file clerk.pass

step "5. the clerk encrypts the file to the county (age)"
run "$X" encrypt students.csv -R county.pub -o students.csv.age
ls -l students.csv.age

step "6. the clerk signs the encrypted file (minisign)"
run "$X" sign students.csv.age -k clerk.key --passphrase-file clerk.pass \
  -t "school 3401040001 census 2026-09-30"

step "7. the county checks the signature"
run "$X" sigcheck students.csv.age -p clerk.pub

step "8. the county decrypts with its identity"
run "$X" decrypt students.csv.age -i county.key --passphrase-file county.pass \
  -o received.csv
cmp students.csv received.csv && echo "received.csv is identical to the original"

step "9. the same files with the stock tools (no xjpack needed)"
run minisign -V -H -p clerk.pub -m students.csv.age
printf 'county office demo passphrase\n' |
  script -qec "age -d -o county-identity.txt county.key" /dev/null >/dev/null
run age -d -i county-identity.txt -o stock.csv students.csv.age
cmp students.csv stock.csv && echo "stock age recovered the same file"

step "10. a damaged copy is refused, and nothing is written"
cp students.csv.age damaged.age
printf 'X' | dd of=damaged.age bs=1 seek=200 conv=notrunc 2>/dev/null
if "$X" decrypt damaged.age -i county.key --passphrase-file county.pass -o out.csv; then
  echo "demo: a damaged file was accepted" >&2
  exit 1
fi
[ ! -e out.csv ] && echo "no out.csv was written"
step "done"
