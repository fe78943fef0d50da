#!/bin/bash
# Runs the hostile-bundle corpus: builds it (build_corpus.sh) in a scratch
# folder, or takes a built one from XJADV_CORPUS, then for every case runs
# what its expect file says and checks, for each command:
#   - the exit status, and the message in its standard error;
#   - that nothing was written outside the case's scratch folder: a fresh
#     HOME and TMPDIR that must stay empty, no office home where none was
#     given, no file of the names the hostile archives aim at (here or in
#     /tmp), and the stick itself unchanged, byte for byte;
#   - after a refused unpack, an empty destination; after a refused merge,
#     no bundle; and an office home whose ledger passes integrity_check and
#     records no more accepted bundles, and no receipt, than before.
# A case listed in known_bugs (beside this script) that fails is reported
# and not counted as a failure; one that passes is (remove it from the list).
#
# usage: run_corpus.sh [PATTERN]   (XJPACK names the binary; PATTERN, a
#        shell pattern, picks cases by name; XJADV_KEEP=1 keeps the scratch)
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
XJ=${XJPACK:?set XJPACK to the xjpack binary}
PATTERN=${1:-*}
# (on tmpfs where there is one: the corpus is many small files, fsynced)
[ -z "${TMPDIR:-}" ] && [ -w /dev/shm ] && TMPDIR=/dev/shm
SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/xjadv-XXXXXX") || exit 1
[ "${XJADV_KEEP:-0}" = 1 ] || trap 'rm -rf "$SCRATCH"' EXIT
SECONDS=0

CORPUS=${XJADV_CORPUS:-}
if [ -z "$CORPUS" ]; then
  CORPUS=$SCRATCH/corpus
  bash "$HERE/build_corpus.sh" "$CORPUS" >"$SCRATCH/build.log" 2>&1 || {
    cat "$SCRATCH/build.log" >&2
    echo "FAIL: the corpus could not be built" >&2
    exit 1
  }
  echo "corpus built in ${SECONDS}s"
fi
CORPUS=$(cd "$CORPUS" && pwd)
TOKEN=$(cat "$CORPUS/token.txt")
PW=(--passphrase-file "$CORPUS/keys/pw")
KNOWN=$(grep -v '^#' "$HERE/known_bugs" 2>/dev/null | awk 'NF {print $1}')

passed=0
failed=0
known=0
failures=()

listing() { # a listing of a folder's files with their hashes
  (cd "$1" 2>/dev/null && find . -type f -print0 | sort -z | xargs -0r sha256sum
   find . \( -type l -o -type d \) | sort) 2>/dev/null
}
accepted() { # the number of bundles a home's ledger records as accepted
  if [ -f "$1/ledger.sqlite" ]; then
    sqlite3 "$1/ledger.sqlite" 'select count(*) from accepted' 2>/dev/null || echo "?"
  else
    echo 0
  fi
}

run_case() {
  local case=$1 name R why problems=() home="" args=() line verb want msg
  name=$(basename "$case")
  why=$(cat "$case/README")
  R=$SCRATCH/run/$name
  mkdir -p "$R/userhome" "$R/tmp"
  local sticks=()
  local s
  for s in "$case"/bundle*/XJ/*; do sticks+=("$s"); done
  local before
  before=$(listing "$case")
  while IFS= read -r line; do
    case $line in
      "home "*)
        home=$R/office
        cp -a "$CORPUS/homes/${line#home }" "$home" || problems+=("no home ${line#home }")
        ;;
      "args "*)
        read -ra args <<<"${line#args }"
        args=("${args[@]//@/$CORPUS/}")
        ;;
    esac
  done <"$case/expect"
  while IFS= read -r line; do
    case $line in "home "* | "args "*) continue ;; esac
    verb=${line%% *}
    line=${line#* }
    want=${line%% *}
    msg=
    [ "$line" != "$want" ] && msg=${line#* }
    local cmd=() extra=()
    [ -n "$home" ] && extra+=(--home "$home")
    case $verb in
      verify | verify-strict)
        cmd=("$XJ" verify "${sticks[@]}" "${extra[@]}" "${args[@]}")
        [ "$verb" = verify-strict ] && cmd+=(--strict)
        [[ " ${args[*]} " == *" -i "* ]] && cmd+=("${PW[@]}")
        ;;
      unpack)
        rm -rf "$R/out"
        mkdir -p "$R/out"
        cmd=("$XJ" unpack "${sticks[@]}" -o "$R/out" "${extra[@]}" "${args[@]}" "${PW[@]}")
        ;;
      merge-to-*)
        rm -rf "$R/mout"
        mkdir -p "$R/mout"
        cmd=("$XJ" merge "${sticks[@]}" --to "${verb#merge-to-}" -o "$R/mout" "${extra[@]}"
             "${PW[@]}")
        ;;
      *)
        problems+=("unknown verb $verb in expect")
        continue
        ;;
    esac
    local acc_before receipts_before=0
    if [ -n "$home" ]; then
      acc_before=$(accepted "$home")
      receipts_before=$(ls "$home/outbox/receipts" 2>/dev/null | wc -l)
    fi
    local got
    (cd "$R" && env HOME="$R/userhome" TMPDIR="$R/tmp" XJPACK_HOME="$R/nohome" \
      "${cmd[@]}" >"$R/.out" 2>"$R/.err" </dev/null)
    got=$?
    local what="$verb (expected exit $want${msg:+ and \"$msg\"})"
    if [ "$got" != "$want" ]; then
      problems+=("$what: exited $got: $(head -c 600 "$R/.err")")
    elif [ -n "$msg" ] && ! grep -qF -- "$msg" "$R/.err" &&
      { [ "$want" != 0 ] || ! grep -qF -- "$msg" "$R/.out"; }; then
      problems+=("$what: message not found in: $(head -c 600 "$R/.err")")
    fi
    # Nothing written outside the scratch folder.
    [ -z "$(ls -A "$R/userhome")" ] || problems+=("$verb wrote to HOME: $(ls -A "$R/userhome")")
    [ -z "$(ls -A "$R/tmp")" ] || problems+=("$verb left files in TMPDIR: $(ls -A "$R/tmp")")
    [ ! -e "$R/nohome" ] || problems+=("$verb made an office home where none was given")
    local esc
    esc=$( (ls -d /tmp/*"$TOKEN"* "$SCRATCH"/*"$TOKEN"*
      find "$SCRATCH/run" \( -name "*$TOKEN*" -o -name 'escaped*' \)) 2>/dev/null | head -3)
    [ -z "$esc" ] || problems+=("$verb: a hostile archive wrote outside its folder: $esc")
    if [ "$want" != 0 ]; then
      if [ "$verb" = unpack ] && [ -n "$(ls -A "$R/out")" ]; then
        problems+=("a refused unpack left $(ls -A "$R/out" | head -3 | tr '\n' ' ')")
      fi
      if [[ $verb == merge-to-* ]] && find "$R/mout" -name bundle.stmt | grep -q .; then
        problems+=("a refused merge left a bundle: $(find "$R/mout" -name bundle.stmt)")
      fi
      if [ -n "$home" ]; then
        [ "$(accepted "$home")" = "$acc_before" ] ||
          problems+=("a refused $verb changed the ledger's accepted bundles")
        [ "$(ls "$home/outbox/receipts" 2>/dev/null | wc -l)" = "$receipts_before" ] ||
          problems+=("a refused $verb wrote a receipt")
      fi
    fi
    if [ -n "$home" ] && [ -f "$home/ledger.sqlite" ]; then
      [ "$(sqlite3 "$home/ledger.sqlite" 'pragma integrity_check' 2>&1)" = ok ] ||
        problems+=("the ledger fails integrity_check after $verb")
    fi
  done <"$case/expect"
  [ "$(listing "$case")" = "$before" ] || problems+=("the stick was changed")
  local is_known=0
  grep -qxF "$name" <<<"$KNOWN" && is_known=1
  if [ ${#problems[@]} = 0 ]; then
    if [ "$is_known" = 1 ]; then
      failed=$((failed + 1))
      failures+=("$name")
      echo "FAIL: $name: listed in known_bugs but behaves as expected now; remove it from the list"
    else
      passed=$((passed + 1))
    fi
  elif [ "$is_known" = 1 ]; then
    known=$((known + 1))
    echo "KNOWN BUG: $name ($why)"
    printf '    %s\n' "${problems[@]}"
  else
    failed=$((failed + 1))
    failures+=("$name")
    echo "FAIL: $name ($why)"
    printf '    %s\n' "${problems[@]}"
  fi
  rm -rf "$R"
}

for case in "$CORPUS"/cases/$PATTERN/; do
  [ -f "$case/expect" ] || continue
  run_case "${case%/}"
done
[ $((passed + failed + known)) -gt 0 ] || {
  echo "FAIL: no case matches $PATTERN"
  failed=1
}
echo "hostile corpus: $((passed + failed + known)) cases in ${SECONDS}s; $known known bug(s)"
[ "$failed" = 0 ] || echo "failed: ${failures[*]}"
echo "adversarial: $passed passed, $failed failed"
[ "$failed" = 0 ]
