# Shared by the fault-injection tests: the helpers of tests/cli/lib.sh
# (scratch folder, expect, fail), a small hierarchy of office homes, and
# the checks that every interrupted or failed operation must pass.
FAULT_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$FAULT_HERE/../cli/lib.sh"
unset XJPACK_HOME
Q="$PW $WF -q"

# setup_offices: a root, the province, a city, a county and two of its
# schools, set up with init and certified as trust.sh does; the registry of
# both schools in cty/. Copies of each home as set up: HOME.fresh.
setup_offices() {
  local k
  for k in r1 r2 pl1 pl2 pc2 cl1 cl2 cc2 col1 col2 coc2 sc2 jc2; do
    "$XJ" keygen --signing -o $k.key $Q >/dev/null || fail "keygen $k"
  done
  "$XJ" trust init-root --province 34 -p r1.pub -p r2.pub -o root-1.stmt >/dev/null 2>&1 ||
    fail "init-root"
  for k in r1 r2; do
    "$XJ" trust sign root-1.stmt -k $k.key $PW >/dev/null 2>&1 || fail "trust sign $k"
  done
  local fp
  fp=$(sha256sum root-1.stmt | cut -c1-64)
  office() { # HOME CODE LEVEL NAME [keys...]
    local home=$1 code=$2 level=$3 name=$4
    shift 4
    "$XJ" init --home "$home" --code "$code" --level "$level" --name "$name" \
      --root root-1.stmt --fingerprint "$fp" "$@" $Q >/dev/null 2>&1 || fail "init $home"
  }
  office prov 340000 province 安徽省教育厅 --leader pl1.pub --leader pl2.pub --clerk pc2.pub
  office city 3401 city 合肥市教育局 --leader cl1.pub --leader cl2.pub --clerk cc2.pub
  office county 340102 county 瑶海区教育体育局 --leader col1.pub --leader col2.pub --clerk coc2.pub
  office school 2134000000 school 瑶海区第1小学 --clerk sc2.pub
  office junior 3134000000 school 瑶海区第1初级中学 --clerk jc2.pub
  issue() { # ISSUER-HOME SUBJECT-HOME KEY [args...]: issued and installed
    local by=$1 to=$2 key=$3
    shift 3
    "$XJ" cert issue --request "$to/request.stmt" -k "$key" -o "c-$to" --home "$by" "$@" $PW \
      >/dev/null 2>&1 || fail "cert issue for $to"
    [ "$to" != prov ] || "$XJ" trust sign c-prov/cert-root-000001.stmt -k r2.key $PW \
      >/dev/null 2>&1 || fail "sign prov"
    "$XJ" cert install "c-$to" --home "$to" >/dev/null 2>&1 || fail "cert install $to"
    cp -a "$to" "$to.fresh"
  }
  issue prov prov r1.key --by-root
  issue prov city pl1.key --scope 3401
  issue city county cl1.key --scope 340102
  issue county school col1.key
  issue county junior col1.key
  "$XJ" synth -o cty --level county --students 60 --seed 8 -q || fail "synth"
}

# sums DIR: a listing of every file under DIR with its SHA-256.
sums() {
  (cd "$1" && find . -type f -print0 | sort -z | xargs -0r sha256sum)
}

# no_partial STICK HOME: every bundle folder left on the stick either is a
# complete bundle that verifies with HOME's identity, or has no statement
# and is refused by verify; nothing else (but .xjtmp-* of a dead writer).
no_partial() {
  local stick=$1 home=$2 d
  [ -d "$stick/XJ" ] || return 0
  for d in "$stick"/XJ/*; do
    [ -e "$d" ] || continue
    case $(basename "$d") in
      .xjtmp-* | receipts) continue ;;
    esac
    if [ -f "$d/bundle.stmt" ]; then
      "$XJ" verify "$d" --home "$home" >/dev/null 2>"$SCRATCH/.verr" ||
        fail "a bundle with a statement was left that does not verify: $d: $(cat "$SCRATCH/.verr")"
    elif "$XJ" verify "$d" >/dev/null 2>&1; then
      fail "verify accepts the folder left behind: $d"
    fi
  done
  CHECKS=$((CHECKS + 1))
}

# ledger_ok HOME OUT ID: the ledger (if any) passes integrity_check, and
# records bundle ID as accepted at most once, and only when its bag is in
# place under OUT.
ledger_ok() {
  local home=$1 out=$2 id=$3 n
  [ -f "$home/ledger.sqlite" ] || return 0
  [ "$(sqlite3 "$home/ledger.sqlite" 'pragma integrity_check' 2>&1)" = ok ] ||
    fail "the ledger of $home fails integrity_check"
  n=$(accepted_count "$home" "$id")
  case $n in
    0) ;;
    1) [ -f "$out/$id/tagmanifest-sha512.txt" ] ||
         fail "the ledger records $id as accepted, and its bag is not in $out" ;;
    *) fail "the ledger records $id $n times" ;;
  esac
  CHECKS=$((CHECKS + 1))
}

# accepted_count HOME ID
# (0 too when the ledger or its table was never made)
accepted_count() {
  local n=
  [ -f "$1/ledger.sqlite" ] &&
    n=$(sqlite3 "$1/ledger.sqlite" "select count(*) from accepted where id = '$2'" 2>/dev/null)
  echo "${n:-0}"
}
