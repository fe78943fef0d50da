#!/bin/bash
# The verb table, help, version and usage errors.
. "$(dirname "$0")/lib.sh"

expect 0 "" "$XJ" --version
out_has "xjpack 0."
out_has "age-encryption.org/v1"
# The commit built from, the data folder in use and its schema.
grep -qE '^commit: ([0-9a-f]{12}(-modified)?|unknown)$' .out || fail "no commit line: $(cat .out)"
DATA=$(sed -n 's/^data folder: //p' .out)
[ -f "$DATA/registry.xjschema" ] || fail "--version names no data folder with a schema: $(cat .out)"
out_has "schema: anhui-registry 20"
out_has "licence: Apache-2.0"
# Another data folder is the one named; a broken one says so, exit 3.
mkdir data2 && cp "$DATA"/* data2/
XJPACK_DATA_DIR=$SCRATCH/data2 expect 0 "" "$XJ" --version
out_has "data folder: $SCRATCH/data2"
sed -i 's/^version: .*/version: 2099.9/' data2/registry.xjschema
XJPACK_DATA_DIR=$SCRATCH/data2 expect 0 "" "$XJ" --version
out_has "schema: anhui-registry 2099.9"
rm data2/registry.xjschema
XJPACK_DATA_DIR=$SCRATCH/data2 expect 3 "" "$XJ" --version
out_has "schema: not loaded:"
out_has "registry.xjschema"
XJPACK_DATA_DIR=$SCRATCH/nowhere expect 3 "" "$XJ" --version
out_has "data folder: not found: XJPACK_DATA_DIR=$SCRATCH/nowhere is not a folder"
expect 0 "" "$XJ" help
for verb in keygen encrypt decrypt sign sigcheck; do
  out_has "  $verb "
done
for verb in keygen encrypt decrypt sign sigcheck; do
  expect 0 "" "$XJ" "$verb" --help
  out_has "usage: xjpack $verb"
  expect 0 "" "$XJ" help "$verb"
  out_has "usage: xjpack $verb"
done
expect 2 "" "$XJ"
expect 2 "did you mean 'xjpack encrypt'?" "$XJ" encrpyt
expect 2 "did you mean 'xjpack keygen'?" "$XJ" keygne
expect 2 "did you mean 'xjpack sigcheck'?" "$XJ" sigchek
expect 2 "'xjpack help' lists the verbs" "$XJ" frobnicate
expect 2 "unrecognised option '--bogus'" "$XJ" encrypt --bogus
expect 2 "say which key to make" "$XJ" keygen -o k.key
expect 2 "-o FILE is required" "$XJ" keygen --signing
expect 2 "give recipients (-r, -R) or --passphrase" "$XJ" encrypt x
expect 2 "give the public key with -p FILE or -P RW..." "$XJ" sigcheck x
expect 2 "see 'xjpack sign --help'" "$XJ" sign
done_ok
