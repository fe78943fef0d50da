#!/bin/bash
# `xjpack demo` end to end: a synthetic city of several counties and dozens
# of schools goes from the province's root to the province's intake, every
# school's signature checked at the top, a receipt carried back down.
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"

"$XJ" demo -o flow >demo.out 2>&1 || {
  tail -30 demo.out >&2
  fail "xjpack demo failed"
}
CHECKS=$((CHECKS + 1))
has() {
  grep -qF -- "$1" demo.out || fail "the demo's output lacks '$1'"
  CHECKS=$((CHECKS + 1))
}
has "9 counties, 27 schools in city-data/"
has "38 certificates issued and installed"
has "27 school bundles on 9 county sticks"
has "children:    9 (27 schools)"
has "340102-340000-000001: a county delivers to its city 3401, which certified it; this bundle is addressed to 340000"
has "refused: nothing was unpacked or recorded"
has "it waits for a leader's approval"
has "approved: stick-province/XJ/3401-340000-000001 is in place"
has "result:      trusted: signed under the sender's certificate"
has "3401-340000-000001 was already accepted on"
has "3401-340000-000001: received by 340000"
[ "$(grep -c '^school:      ' demo.out)" = 27 ] || fail "the province did not list 27 schools"
CHECKS=$((CHECKS + 1))
[ -f flow/approval.txt ] || fail "no approval page"
sqlite3 flow/province/ledger.sqlite 'select count(*) from accepted' | grep -qx 37 ||
  fail "the province's ledger does not hold the city, 9 counties and 27 schools"
CHECKS=$((CHECKS + 1))
done_ok
