# Shared helpers for the command-line tests. Each test script sources this,
# runs in its own scratch folder (removed at exit) and fails on the first
# unmet expectation, printing what was expected and what happened.
set -u
XJ=${XJPACK:?set XJPACK to the xjpack binary}
SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/xjcli-XXXXXX")
trap 'rm -rf "$SCRATCH"' EXIT
cd "$SCRATCH" || exit 1
CHECKS=0

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# skip "REASON": this test cannot run here. Exit 77, which ctest counts as
# skipped (SKIP_RETURN_CODE); tests/run.sh lists the reason in its summary.
skip() {
  echo "SKIP: $*"
  exit 77
}

# expect EXIT "STDERR-SUBSTRING" CMD...: runs CMD, checks its exit status and
# that stderr contains the substring ("" skips that check).
expect() {
  local want=$1 pattern=$2
  shift 2
  "$@" >"$SCRATCH/.out" 2>"$SCRATCH/.err"
  local got=$?
  CHECKS=$((CHECKS + 1))
  if [ "$got" != "$want" ]; then
    echo "--- stderr:" >&2
    cat "$SCRATCH/.err" >&2
    fail "$* exited $got, expected $want"
  fi
  if [ -n "$pattern" ] && ! grep -qF -- "$pattern" "$SCRATCH/.err"; then
    echo "--- stderr:" >&2
    cat "$SCRATCH/.err" >&2
    fail "$*: stderr lacks '$pattern'"
  fi
}

# out_has "SUBSTRING": the last expect's stdout contains it.
out_has() {
  grep -qF -- "$1" "$SCRATCH/.out" || {
    cat "$SCRATCH/.out" >&2
    fail "stdout lacks '$1'"
  }
}

# err_has "SUBSTRING": the last expect's stderr contains it.
err_has() {
  grep -qF -- "$1" "$SCRATCH/.err" || {
    cat "$SCRATCH/.err" >&2
    fail "stderr lacks '$1'"
  }
  CHECKS=$((CHECKS + 1))
}

same() {
  cmp -s "$1" "$2" || fail "$1 and $2 differ"
  CHECKS=$((CHECKS + 1))
}

absent() {
  [ ! -e "$1" ] || fail "$1 exists but should not"
  CHECKS=$((CHECKS + 1))
}

# flip FILE OFFSET: flips the low bit of one byte in place.
flip() {
  local byte
  byte=$(dd if="$1" bs=1 skip="$2" count=1 2>/dev/null | od -An -tu1 | tr -d ' ')
  printf "$(printf '\\%03o' $((byte ^ 1)))" |
    dd of="$1" bs=1 seek="$2" count=1 conv=notrunc 2>/dev/null
}

# with_tty "INPUT" CMD: runs CMD on a pseudo-terminal fed INPUT at once
# (for stock tools that insist on a terminal); the transcript goes to
# $SCRATCH/.tty.
with_tty() {
  local input=$1
  shift
  printf '%s' "$input" | script -qec "$*" /dev/null >"$SCRATCH/.tty" 2>&1
}

# answer_tty ANSWER... -- CMD: runs CMD on a pseudo-terminal and types each
# answer after a prompt appears; the transcript goes to $SCRATCH/.tty.
answer_tty() {
  python3 "$(dirname "${BASH_SOURCE[0]}")/answer_prompts.py" "$SCRATCH/.tty" "$@"
}

# The key id of a minisign public key file, as file names spell it.
formats_keyid() {
  sed -n 2p "$1" | base64 -d | od -An -tx1 -j2 -N8 | tr -d ' \n' | fold -w2 | tac |
    tr -d '\n' | tr a-f A-F
}

done_ok() {
  echo "$(basename "$0" .sh): $CHECKS checks passed"
}

# A passphrase file most tests share, and fast key derivation for tests.
printf 'correct horse battery staple\n' >"$SCRATCH/pw"
PW="--passphrase-file $SCRATCH/pw"
WF="--work-factor 10"
