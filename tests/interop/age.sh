#!/bin/bash
# Interoperability with Debian's stock age, both directions: X25519 (one and
# several recipients), passphrases, armor, sizes around chunk boundaries, and
# tampered files rejected by both.
. "$(dirname "$0")/../cli/lib.sh"
command -v age >/dev/null || fail "stock age is not installed (apt-get install age)"

"$XJ" keygen --office -o office.key $PW $WF -q >/dev/null || fail "keygen"
# Stock age opens the passphrase-protected identity (it asks on a terminal).
with_tty $'correct horse battery staple\n' age -d -o identity.txt office.key
grep -q '^AGE-SECRET-KEY-1' identity.txt || { cat "$SCRATCH/.tty"; fail "age -d could not open the office identity"; }
age-keygen -o stock.key 2>/dev/null
STOCK=$(age-keygen -y stock.key)

for n in 0 1 65535 65536 65537 131072 200000; do
  head -c "$n" /dev/urandom >p$n
  # ours -> stock
  "$XJ" encrypt p$n -R office.pub -r "$STOCK" -o ours$n.age || fail "encrypt $n"
  age -d -i identity.txt ours$n.age >d1.$n || fail "age -d of our $n-byte file"
  same p$n d1.$n
  age -d -i stock.key ours$n.age >d2.$n || fail "age -d (second recipient) $n"
  same p$n d2.$n
  "$XJ" encrypt -a p$n -R office.pub -o ours$n.asc || fail "encrypt -a $n"
  age -d -i identity.txt ours$n.asc >d3.$n || fail "age -d of our armored $n"
  same p$n d3.$n
  # stock -> ours
  age -R office.pub -o stock$n.age p$n || fail "age -e $n"
  "$XJ" decrypt -i office.key $PW stock$n.age -o e1.$n || fail "our decrypt of age's $n"
  same p$n e1.$n
  age -a -R office.pub -o stock$n.asc p$n
  "$XJ" decrypt -i office.key $PW stock$n.asc -o e2.$n || fail "our decrypt of age's armored $n"
  same p$n e2.$n
  "$XJ" decrypt -i stock.key ours$n.age -o e3.$n || fail "age-keygen identity $n"
  same p$n e3.$n
done

# Passphrases: ours -> stock, stock -> ours.
"$XJ" encrypt --passphrase $PW $WF p200000 -o ourpw.age || fail "encrypt -p"
with_tty $'correct horse battery staple\n' age -d -o stockout ourpw.age
same p200000 stockout
with_tty $'correct horse battery staple\ncorrect horse battery staple\n' age -p -o stockpw.age p200000
[ -s stockpw.age ] || { cat "$SCRATCH/.tty"; fail "age -p made nothing"; }
expect 0 "" "$XJ" decrypt $PW stockpw.age -o ourpwout
same p200000 ourpwout

# Tampered files are rejected on both sides.
cp ours200000.age t1.age
flip t1.age 70000
age -d -i identity.txt t1.age >/dev/null 2>&1 && fail "stock age accepted our tampered file"
cp stock200000.age t2.age
flip t2.age 70000
expect 1 "failed authentication" "$XJ" decrypt -i office.key $PW t2.age -o x
absent x
head -c 150000 stock200000.age >t3.age
expect 1 "" "$XJ" decrypt -i office.key $PW t3.age -o x
absent x
head -c 150000 ours200000.age >t4.age
age -d -i identity.txt t4.age >/dev/null 2>&1 && fail "stock age accepted our truncated file"
done_ok
