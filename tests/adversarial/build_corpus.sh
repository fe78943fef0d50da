#!/bin/bash
# Builds the hostile-bundle corpus in OUT: honest bundles made by the real
# tool (a school's, alone and in volumes, without an office home; and a
# whole hierarchy of office homes set up with init and cert issue, with a
# school's bundles, a county's merges and a city's approved merge), then
# one hostile case per folder OUT/cases/<case>_fail/, derived from them by
# make_cases.py.
#
# usage: build_corpus.sh OUT        (XJPACK names the xjpack binary)
#
# OUT/keys/   every key (passphrase: OUT/keys/pw); the keys named s-* are
#             stock minisign keys without a passphrase, certified like any
#             other, so that make_cases.py can sign what a dishonest (but
#             certified) holder would
# OUT/homes/  office homes in known states, copied afresh for every run
# OUT/src/    the honest bundles and their unpacked bags
# OUT/cases/  the corpus (see run_corpus.sh for the expect files)
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
XJ=${XJPACK:?set XJPACK to the xjpack binary}
OUT=${1:?usage: build_corpus.sh OUT}
mkdir -p "$OUT" || exit 1
OUT=$(cd "$OUT" && pwd)
cd "$OUT" || exit 1
mkdir -p keys homes src cases work

die() {
  echo "build_corpus: $*" >&2
  exit 1
}
# run CMD...: runs it, and stops the build when it fails, with its stderr.
run() {
  "$@" >work/.out 2>work/.err || {
    cat work/.err >&2
    die "failed: $*"
  }
}

printf 'correct horse battery staple\n' >keys/pw
PW="--passphrase-file $OUT/keys/pw"
Q="$PW --work-factor 10 -q"

# ---- keys ----
for k in r1 r2 r4 r5 pl1 pl2 pc2 cl1 cc2 col1 col2 ol1 ol2 oc2 clerk; do
  run "$XJ" keygen --signing -o keys/$k.key $Q
done
for k in county city other; do
  run "$XJ" keygen --office -o keys/$k.key $Q
done
# Stock minisign keys without a passphrase: a root custodian, a city
# leader, a county clerk, the school clerks, and a forger trusted by -p.
for k in s-r3 s-cityleader s-county s-school s-junior s-forger; do
  minisign -G -W -p keys/$k.pub -s keys/$k.key >/dev/null || die "minisign -G $k"
done

# ---- honest bundles without an office home (trusted with -p) ----
export XJPACK_HOME=$OUT/homes/plain
# Photos make the payload about five age chunks long (64 KiB each).
run "$XJ" synth -o src/reg --photos --students 16 --seed 11 -q
mkdir -p src/plain src/plainvol
run "$XJ" pack src/reg --to 340102=keys/county.pub --to 341100=keys/city.pub \
  -k keys/clerk.key -o src/plain $PW -q
run "$XJ" pack src/reg --to 340102=keys/county.pub --to 341100=keys/city.pub \
  -k keys/clerk.key -o src/plainvol --volume-size 64K $PW -q
for b in plain plainvol; do
  mkdir -p src/$b-bag
  run "$XJ" unpack src/$b/XJ/* -p keys/clerk.pub -i keys/county.key $PW -o src/$b-bag -q
done
unset XJPACK_HOME

# ---- the hierarchy: root, province, city, two counties, two schools ----
run "$XJ" trust init-root --province 34 -p keys/r1.pub -p keys/r2.pub -p keys/s-r3.pub \
  -o src/root-1.stmt
run "$XJ" trust sign src/root-1.stmt -k keys/r1.key $PW
run "$XJ" trust sign src/root-1.stmt -k keys/r2.key $PW
FP=$(sha256sum src/root-1.stmt | cut -c1-64)
init() { # HOME CODE LEVEL NAME [keys...]
  local home=$1 code=$2 level=$3 name=$4
  shift 4
  run "$XJ" init --home "homes/$home" --code "$code" --level "$level" --name "$name" \
    --root src/root-1.stmt --fingerprint "$FP" "$@" $Q
}
init prov 340000 province 安徽省教育厅 --leader keys/pl1.pub --leader keys/pl2.pub \
  --clerk keys/pc2.pub
init city 3401 city 合肥市教育局 --leader keys/cl1.pub --leader keys/s-cityleader.pub \
  --clerk keys/cc2.pub
init county 340102 county 瑶海区教育体育局 --leader keys/col1.pub --leader keys/col2.pub \
  --clerk keys/s-county.pub
init other 340103 county 庐阳区教育体育局 --leader keys/ol1.pub --leader keys/ol2.pub \
  --clerk keys/oc2.pub
init school 2134000000 school 瑶海区第1小学 --clerk keys/s-school.pub
init junior 3134000000 school 瑶海区第1初级中学 --clerk keys/s-junior.pub
# An office that holds the root alone (no certificate yet): it judges every
# certificate of a chain from the chain itself.
init bare 340104 county 某县教育局 --leader keys/ol1.pub --leader keys/ol2.pub

run "$XJ" cert issue --by-root --request homes/prov/request.stmt -k keys/r1.key \
  -o src/c-prov --home homes/prov $PW
run "$XJ" trust sign src/c-prov/cert-root-000001.stmt -k keys/r2.key $PW
run "$XJ" cert install src/c-prov --home homes/prov
run "$XJ" cert issue --request homes/city/request.stmt --scope 3401 -k keys/pl1.key \
  -o src/c-city --home homes/prov $PW
run "$XJ" cert install src/c-city --home homes/city
for c in county:340102 other:340103; do
  run "$XJ" cert issue --request homes/${c%%:*}/request.stmt --scope ${c#*:} -k keys/cl1.key \
    -o src/c-${c%%:*} --home homes/city $PW
  run "$XJ" cert install src/c-${c%%:*} --home homes/${c%%:*}
done
for s in school junior; do
  run "$XJ" cert issue --request homes/$s/request.stmt -k keys/col1.key -o src/c-$s \
    --home homes/county $PW
  run "$XJ" cert install src/c-$s --home homes/$s
done
# Certificates for the school that never install: expired, not yet valid,
# and one that ends in twelve hours (for the inclusive not-after).
T0=$(date -u +%s)
BOUNDARY=$(date -u -d "@$((T0 + 43200))" +%Y-%m-%dT%H:%M:%SZ)
run "$XJ" cert issue --request homes/school/request.stmt -k keys/col1.key -o src/c-old \
  --not-before 2020-09-01T00:00:00Z --not-after 2021-09-30T23:59:59Z --home homes/county $PW
run "$XJ" cert issue --request homes/school/request.stmt -k keys/col1.key -o src/c-early \
  --not-before 2099-09-01T00:00:00Z --not-after 2100-09-30T23:59:59Z --home homes/county $PW
run "$XJ" cert issue --request homes/school/request.stmt -k keys/col1.key -o src/c-boundary \
  --not-before 2020-09-01T00:00:00Z --not-after "$BOUNDARY" --home homes/county $PW
echo "$BOUNDARY" >src/boundary.txt
for h in prov city county other school junior bare; do cp -a homes/$h homes/$h.fresh; done

# ---- a school's stream to its county ----
run "$XJ" synth -o src/cty --level county --students 120 --seed 8 -q
for n in 1 2 3; do
  mkdir -p src/s$n
  run "$XJ" pack src/cty/2134000000 --to 340102 -o src/s$n --home homes/school $PW -q
done
# A stream whose counter jumps: seq 53 (50 past 3, admitted) and seq 54.
cp -a homes/school homes/school.jump
for n in 52 53; do
  printf 'seq %s\nprev %s\n' "$n" "$(sha256sum src/s3/XJ/*/bundle.stmt | cut -c1-64)" \
    >homes/school.jump/streams/2134000000-340102
  mkdir -p src/jump$((n + 1))
  run "$XJ" pack src/cty/2134000000 --to 340102 -o src/jump$((n + 1)) --home homes/school.jump $PW -q
done
# The county takes in seq 1 (county.seq1), then seq 3 (county.seq3).
cp -a homes/county homes/county.seq1
mkdir -p src/s-bag
run "$XJ" unpack src/s1/XJ/* -o src/s-bag --home homes/county.seq1 $PW -q
cp -a homes/county.seq1 homes/county.seq3
run "$XJ" unpack src/s3/XJ/* -o src/s-bag --home homes/county.seq3 $PW -q

# ---- the county merges; the city takes both merges in ----
mkdir -p src/j1 src/j2 src/m1 src/m2
run "$XJ" pack src/cty/3134000000 --to 340102 -o src/j1 --home homes/junior $PW -q
run "$XJ" merge src/s3/XJ/* src/j1/XJ/* --to 3401 -o src/m1 --home homes/county $PW -q
run "$XJ" pack src/cty/3134000000 --to 340102 -o src/j2 --home homes/junior $PW -q
run "$XJ" merge src/s3/XJ/* src/j2/XJ/* --to 3401 -o src/m2 --home homes/county $PW -q
cp -a homes/city homes/city.m2
cp -a homes/city homes/city.m2only
mkdir -p src/m-bag src/m2only
run "$XJ" unpack src/m2/XJ/* -o src/m2only --home homes/city.m2only $PW -q
rm -rf src/m2only
run "$XJ" unpack src/m1/XJ/* -o src/m-bag --home homes/city.m2 $PW -q
run "$XJ" unpack src/m2/XJ/* -o src/m-bag --home homes/city.m2 $PW -q

# ---- the city merges, its leader approves ----
cp -a homes/city.m2 homes/city.c1
mkdir -p src/c1
run "$XJ" merge src/m2/XJ/* --to 340000 -o src/c1 --home homes/city.c1 $PW -q
run "$XJ" approve src/c1/XJ/3401-340000-000001.unapproved -k keys/cl1.key --yes \
  --home homes/city.c1 $PW -q

rm -rf work
python3 "$HERE/make_cases.py" "$OUT" || die "make_cases.py failed"
echo "build_corpus: $(ls cases | wc -l) cases in $OUT/cases"
