#!/bin/bash
# check and synth from the command line: exit codes, human and JSON output,
# trees of schools in GB18030, and planted defects matching the answer key.
. "$(dirname "$0")/lib.sh"

# answer_key_matches JSON KEY: the check's findings are exactly the key's.
answer_key_matches() {
  python3 - "$1" "$2" <<'PY' || fail "findings differ from the answer key $2"
import csv, json, sys
d = json.load(open(sys.argv[1]))
got = sorted((f["severity"], f["file"], f["line"], f["field"], f["rule"]) for f in d["findings"])
want = sorted((r["severity"], r["file"], int(r["line"]), r["field"], r["rule"])
              for r in csv.DictReader(open(sys.argv[2])))
if got != want:
    print("extra:", [g for g in got if g not in want][:10])
    print("missing:", [w for w in want if w not in got][:10])
    sys.exit(1)
print("answer key matched:", len(got), "findings")
PY
  CHECKS=$((CHECKS + 1))
}

expect 0 "wrote 1 school(s)" "$XJ" synth -o school --previous prev --seed 2
expect 0 "" "$XJ" check school --previous prev
out_has "checked 1 school"
out_has "0 errors, 0 warnings"
expect 0 "" "$XJ" check school --json
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["ok"] and d["schema"]["id"]=="anhui-registry" and len(d["schema"]["sha256"])==64' "$SCRATCH/.out" ||
  fail "the JSON result is not a clean check"

# A county in GB18030 with every defect: exit 1, and exactly the answer key.
expect 0 "planted" "$XJ" synth -o county --previous county-prev --level county --code 340104 \
  --seed 4 --gb18030 --photos --defects all --answer-key key.csv
first=$(ls county/*/students.csv | head -1)
iconv -f UTF-8 -t UTF-8 "$first" >/dev/null 2>&1 && fail "$first is UTF-8, not GB18030"
iconv -f GB18030 -t UTF-8 "$first" >/dev/null || fail "$first is not GB18030"
expect 1 "" "$XJ" check county --previous county-prev --json
cp "$SCRATCH/.out" county.json
answer_key_matches county.json key.csv
grep -q '"gb18030_files":' county.json || fail "no GB18030 count in the totals"
# Personal values are masked on standard output.
expect 1 "" "$XJ" check county --previous county-prev
grep -q '\*\*\*\*' "$SCRATCH/.out" || fail "no masked values in the report"
for id in $(cut -d, -f9 county/*/students.csv | iconv -f GB18030 -t UTF-8 | grep -E '^[0-9]{17}' | head -50); do
  grep -q "$id" "$SCRATCH/.out" && fail "an ID number appears unmasked in the report"
done
# --encoding utf-8 refuses the GB18030 files, naming one.
expect 1 "" "$XJ" check county --encoding utf-8
out_has "bytes that are not valid UTF-8"
out_has "[csv.malformed]"

# A city-level tree.
expect 0 "" "$XJ" synth -o city --level city --code 341100 --seed 5 --defects all --answer-key city.key -q
expect 1 "" "$XJ" check city --json
cp "$SCRATCH/.out" city.json
answer_key_matches city.json city.key

# -q prints errors only; a GB18030 school of any size parses (no hang).
expect 0 "" "$XJ" synth -o gbschool --gb18030 --defects unflagged-migrant,bad-phone --answer-key gb.key -q
expect 1 "" timeout 60 "$XJ" check gbschool -q
out_has "[phone.format]"
grep -q "warning:" "$SCRATCH/.out" && fail "-q printed a warning"
grep -q "^checked" "$SCRATCH/.out" && fail "-q printed the summary"
expect 3 "gb.key already exists" "$XJ" synth -o gbschool2 --defects bad-phone --answer-key gb.key
[ -e gbschool2 ] && fail "synth wrote a registry before refusing its answer key"

# Errors that stop the check before it starts.
expect 3 "no such folder" "$XJ" check nowhere
expect 3 "" "$XJ" check nowhere --json
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["ok"] is False' "$SCRATCH/.out" 2>/dev/null ||
  python3 -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1]) if l.strip()]' "$SCRATCH/.out" ||
  fail "check --json on failure is not JSON"
mkdir empty
expect 3 "no school.csv in this folder" "$XJ" check empty
expect 2 "unknown encoding" "$XJ" check school --encoding latin1
expect 2 "the registry folder DIR is required" "$XJ" check
expect 3 "is not empty" "$XJ" synth -o school
expect 2 "defect vanished needs --previous" "$XJ" synth -o x1 --defects vanished
expect 2 "unknown level" "$XJ" synth -o x2 --level planet
expect 0 "" "$XJ" synth --list-defects
out_has "duplicate-across-schools"
printf 'xjschema/2\n' >bad.xjschema
expect 1 "line 1: expected \"xjschema/1\"" "$XJ" check school --schema bad.xjschema
done_ok
