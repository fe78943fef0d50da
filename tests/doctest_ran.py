#!/usr/bin/env python3
"""Every unit test case runs exactly once under ctest, and no entry runs none.

doctest_discover_tests turns each TEST_CASE of xj_tests into a ctest entry
that runs `xj_tests --test-case=NAME`. A name ctest mangles (a ';' splits
it into two entries) matches no test case: doctest would run nothing and
pass. tests/test_main.cc makes such a run fail, and records in
XJ_TESTS_RAN_DIR which test cases each entry ran.

  doctest_ran.py reset DIR
      before the entries (ctest FIXTURES_SETUP): empties DIR.
  doctest_ran.py check DIR XJ_TESTS CTEST TESTS_BUILD_DIR
      after them (FIXTURES_CLEANUP):
      - the ctest entries that run XJ_TESTS are as many as the test cases
        it defines, and each entry's filter names one of them;
      - every entry that ran executed exactly one test case, the one it
        names;
      - when every entry ran (the whole suite), every defined test case was
        executed exactly once.
"""
import collections
import json
import os
import shutil
import subprocess
import sys


def fail(msg):
    print(f"doctest_ran: FAIL: {msg}")
    sys.exit(1)


def defined_cases(xj_tests):
    out = subprocess.run([xj_tests, "--list-test-cases", "--no-version"],
                         check=True, capture_output=True, text=True).stdout
    names = [l for l in out.splitlines()
             if l and not l.startswith("[doctest]") and not l.startswith("=====")]
    return names


def entries(ctest, build_dir, xj_tests):
    out = subprocess.run([ctest, "--show-only=json-v1"], cwd=build_dir,
                         check=True, capture_output=True, text=True).stdout
    found = []
    for t in json.loads(out)["tests"]:
        cmd = t.get("command") or []
        if not cmd or os.path.realpath(cmd[0]) != os.path.realpath(xj_tests):
            continue
        filters = [a.split("=", 1)[1] for a in cmd[1:]
                   if a.startswith("--test-case=")]
        # doctest_discover_tests escapes commas (doctest splits filters on
        # them): the filter, unescaped, is the name.
        found.append((t["name"], filters[0].replace("\\,", ",") if filters else ""))
    return found


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "reset":
        shutil.rmtree(sys.argv[2], ignore_errors=True)
        os.makedirs(sys.argv[2])
        return
    if len(sys.argv) != 6 or sys.argv[1] != "check":
        print(__doc__)
        sys.exit(2)
    ran_dir, xj_tests, ctest, build_dir = sys.argv[2:]

    defined = defined_cases(xj_tests)
    dup = [n for n, c in collections.Counter(defined).items() if c > 1]
    if dup:
        fail(f"test cases defined twice: {dup}")
    ents = entries(ctest, build_dir, xj_tests)
    by_filter = {f for _, f in ents}
    stray = [name for name, f in ents if f not in set(defined)]
    if stray:
        fail(f"ctest entries that name no test case (a ';' or other "
             f"character ctest splits on?): {stray}")
    if len(ents) != len(defined):
        missing = [n for n in defined if n not in by_filter]
        fail(f"{len(defined)} test cases defined, {len(ents)} ctest entries; "
             f"without an entry: {missing}")

    runs = []
    for f in sorted(os.listdir(ran_dir)):
        with open(os.path.join(ran_dir, f), encoding="utf-8") as fh:
            lines = fh.read().splitlines()
        if not lines or not lines[0].startswith("filter:"):
            fail(f"{f}: not a record of a run")
        runs.append((lines[0][len("filter:"):], lines[1:]))
    for filt, names in runs:
        if not names:
            fail(f"the entry for \"{filt}\" ran no test case")
        if len(names) != 1 or names[0] != filt.replace("\\,", ","):
            fail(f"the entry for \"{filt}\" ran {len(names)} test cases: {names}")
    if not runs:
        fail(f"no xj_tests entry recorded a run in {ran_dir}")
    if len(runs) < len(ents):
        print(f"doctest_ran: {len(runs)} of {len(ents)} entries ran (a partial "
              f"run): each ran exactly the test case it names")
        return
    executed = collections.Counter(n for _, names in runs for n in names)
    never = [n for n in defined if executed[n] == 0]
    twice = [n for n, c in executed.items() if c > 1]
    if never or twice or sum(executed.values()) != len(defined):
        fail(f"{len(defined)} test cases defined, {sum(executed.values())} "
             f"executed; never: {never}; more than once: {twice}")
    print(f"doctest_ran: {len(defined)} test cases defined, "
          f"{len(ents)} ctest entries, each case executed once")


if __name__ == "__main__":
    main()
