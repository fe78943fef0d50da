#!/bin/bash
# encrypt / decrypt from the command line: round trips, stdin/stdout, and
# that a failure leaves nothing behind, with one exit code per class.
. "$(dirname "$0")/lib.sh"

"$XJ" keygen --office -o a.key $PW $WF -q >/dev/null || fail "keygen a"
"$XJ" keygen --office -o b.key $PW $WF -q >/dev/null || fail "keygen b"
A=$(grep ^age1 a.pub)
head -c 200000 /dev/urandom >plain

expect 0 "" "$XJ" encrypt plain -r "$A" -R b.pub -o two.age
expect 0 "" "$XJ" decrypt two.age -i a.key $PW -o out.a
same plain out.a
expect 0 "" "$XJ" decrypt -i b.key $PW -o out.b two.age
same plain out.b
[ "$(stat -c %a out.a)" = 600 ] || fail "plaintext output is not 0600"

# Standard input and output, armor.
"$XJ" encrypt -a -r "$A" <plain >arm.age || fail "encrypt to stdout"
head -1 arm.age | grep -q -- '-----BEGIN AGE ENCRYPTED FILE-----' || fail "not armored"
"$XJ" decrypt -i a.key $PW <arm.age >out.stdio || fail "decrypt stdin to stdout"
same plain out.stdio

# Passphrase encryption.
expect 0 "" "$XJ" encrypt --passphrase $PW $WF plain -o pw.age
expect 0 "" "$XJ" decrypt $PW pw.age -o out.pw
same plain out.pw
printf 'not the passphrase\n' >wrong
expect 4 "wrong passphrase" "$XJ" decrypt --passphrase-file wrong pw.age -o out.wrong
absent out.wrong
expect 4 "passphrase-encrypted, not encrypted to an identity" "$XJ" decrypt -i a.key $PW pw.age -o x

# No matching identity.
"$XJ" keygen --office -o c.key $PW $WF -q >/dev/null
expect 4 "no identity matches" "$XJ" decrypt -i c.key $PW two.age -o x
absent x

# Truncated, flipped, trailing data: exit 1, and no output file.
size=$(stat -c %s two.age)
head -c $((size - 100)) two.age >cut.age
expect 1 "failed authentication" "$XJ" decrypt -i a.key $PW cut.age -o out.cut
absent out.cut
head -c 150 two.age >cut2.age
expect 1 "file ends inside the age header" "$XJ" decrypt -i a.key $PW cut2.age -o out.cut2
cp two.age flipped.age
flip flipped.age 100000
expect 1 "failed authentication: the file was altered or damaged" \
  "$XJ" decrypt -i a.key $PW flipped.age -o out.flip
absent out.flip
# To stdout, a damaged file prints nothing at all.
"$XJ" decrypt -i a.key $PW flipped.age >stdout.flip 2>/dev/null && fail "decrypt of a damaged file succeeded"
[ ! -s stdout.flip ] || fail "unauthenticated plaintext reached standard output"

# Output handling.
expect 3 "out.a already exists" "$XJ" decrypt two.age -i a.key $PW -o out.a
expect 0 "" "$XJ" decrypt two.age -i a.key $PW -o out.a --force
expect 2 "is the input file" "$XJ" encrypt plain -r "$A" -o plain --force
expect 3 "opening nothing-here: no such file" "$XJ" encrypt nothing-here -r "$A" -o z.age
absent z.age
expect 4 "-r age1bad: not an age recipient" "$XJ" encrypt plain -r age1bad -o z.age
expect 1 "not an age file" "$XJ" decrypt -i a.key $PW plain -o z
expect 0 "" "$XJ" decrypt two.age -i a.key $PW -o out.json --json
out_has '"ok":true'
out_has '"bytes":200000'
expect 0 "encrypting to 2 recipient(s)" "$XJ" encrypt plain -r "$A" -R b.pub -o v.age -v --json
out_has '"verb":"encrypt"'
expect 0 "200000 bytes authenticated and written to v.out" "$XJ" decrypt v.age -i b.key $PW -o v.out -v
grep -q "authenticated" "$SCRATCH/.out" && fail "-v detail went to standard output"
expect 0 "" "$XJ" decrypt v.age -i b.key $PW -o v.out2 -v -q
[ -s "$SCRATCH/.err" ] && fail "-q did not silence -v"
expect 4 "" "$XJ" decrypt -i c.key $PW two.age -o x --json
out_has '"code":"no-identity"'
out_has '"exit":4'

# --force replaces outputs but never a secret key: that is kept aside.
cp a.key victim.key
expect 0 "kept the secret key that was there as victim.key.replaced-" \
  "$XJ" decrypt two.age -i a.key $PW -o victim.key --force
same plain victim.key
same a.key victim.key.replaced-*
expect 0 "" "$XJ" decrypt two.age -i a.key $PW -o out.a --force
ls out.a.replaced-* >/dev/null 2>&1 && fail "an ordinary output was kept aside"
expect 2 "--json needs -o FILE" "$XJ" decrypt two.age -i a.key $PW --json
out_has '"code":"invalid-argument"'

# Nothing was left behind by any of the failures above.
ls -A | grep -q '^\.xjtmp-' && fail "temporary files left behind"
done_ok
