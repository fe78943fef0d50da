#!/bin/bash
# keygen: files, modes, no overwriting, --force, prompts, --json, and the
# errors for bad key files.
. "$(dirname "$0")/lib.sh"

expect 0 "" "$XJ" keygen --signing -o clerk.key $PW $WF
out_has "public key:  RW"
out_has "key id:"
out_has "fingerprint:"
[ "$(stat -c %a clerk.key)" = 600 ] || fail "clerk.key mode $(stat -c %a clerk.key)"
head -1 clerk.pub | grep -q '^untrusted comment: minisign public key ' || fail "clerk.pub comment"

expect 3 "clerk.key already exists" "$XJ" keygen --signing -o clerk.key $PW $WF
expect 3 "use --force to replace it" "$XJ" keygen --signing -o clerk.key $PW $WF
old=$(cat clerk.key)
expect 0 "kept the replaced file as clerk.key.replaced-" "$XJ" keygen --signing -o clerk.key $PW $WF --force
ls clerk.key.replaced-* >/dev/null || fail "no replaced key kept"
[ "$(cat clerk.key.replaced-*)" = "$old" ] || fail "replaced key altered"
[ "$(stat -c %a clerk.key.replaced-*)" = 600 ] || fail "replaced key mode"

expect 0 "N = 2^10, r = 8, p = 1, 1 MiB" "$XJ" keygen --signing -o pubpath.key --public elsewhere.pub $PW $WF -v
[ -f elsewhere.pub ] || fail "--public ignored"
absent pubpath.pub
expect 2 "must differ" "$XJ" keygen --signing -o same.key --public same.key $PW $WF
expect 0 "" "$XJ" keygen --office -o office.key $PW $WF --json
out_has '"type":"office"'
out_has '"public_key":"age1'
grep -q '^age1' office.pub || fail "office.pub has no recipient"
[ "$(stat -c %a office.key)" = 600 ] || fail "office.key mode"

# Passphrases: too short, empty, and from the terminal without echo.
printf 'short\n' >short
expect 2 "shorter than 8 characters" "$XJ" keygen --signing -o s.key --passphrase-file short $WF
absent s.key
absent s.pub
printf 'from standard input\n' | "$XJ" keygen --signing -o stdin.key --passphrase-file - $WF -q >/dev/null ||
  fail "keygen with the passphrase on standard input"
printf 'from standard input\n' | "$XJ" sign clerk.pub -k stdin.key --passphrase-file - -x stdin.sig ||
  fail "the key made with a passphrase from standard input does not open with it"
expect 2 "the passphrase is empty" "$XJ" keygen --signing -o s.key --passphrase-file /dev/null $WF
answer_tty sesame-street-42 sesame-street-42 -- "$XJ" keygen --signing -o tty.key $WF
[ -f tty.key ] || { cat "$SCRATCH/.tty"; fail "keygen on a terminal made no key"; }
grep -q "Passphrase for the new signing key" "$SCRATCH/.tty" || fail "no prompt shown"
grep -q "sesame-street-42" "$SCRATCH/.tty" && fail "the passphrase was echoed"
answer_tty sesame-street-42 sesame-street-43 -- "$XJ" keygen --signing -o tty2.key $WF
grep -q "the two passphrases differ" "$SCRATCH/.tty" || fail "mismatch not reported"
absent tty2.key
printf 'sesame-street-42\n' >tty.pw
expect 0 "" "$XJ" sign clerk.pub -k tty.key --passphrase-file tty.pw
expect 2 "no terminal to ask for a passphrase" setsid -w "$XJ" keygen --signing -o nt.key $WF

# Bad key files: each kind named.
printf 'hello\n' >junk.key
expect 4 "junk.key: secret key file" "$XJ" sign clerk.pub -k junk.key $PW -x j.sig
expect 4 "junk.key: line 1: not an age identity" "$XJ" decrypt -i junk.key clerk.pub
printf 'untrusted comment: x\nRWQf6LRCGA9i53mlYecO4IzT\n' >junk.pub
expect 4 "junk.pub: line 2: not a minisign public key" "$XJ" sigcheck clerk.pub -p junk.pub
printf 'wrong passphrase!\n' >wrong
expect 4 "office.key: wrong passphrase" "$XJ" decrypt -i office.key --passphrase-file wrong clerk.pub
expect 4 "clerk.key: wrong passphrase" "$XJ" sign clerk.pub -k clerk.key --passphrase-file wrong
expect 3 "missing.key: no such file" "$XJ" sign clerk.pub -k missing.key $PW
done_ok
