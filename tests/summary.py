#!/usr/bin/env python3
"""The one summary at the end of tests/run.sh: per build, its tests passed,
failed and skipped (from the JUnit file ctest wrote), then every skip with
its reason and every failure. Exit status 1 when a build failed or any test
failed or did not run for another reason than a skip.

usage: summary.py SECONDS LABEL=DIR=BUILD-STATUS...
  BUILD-STATUS is 0 when the build succeeded; DIR holds ctest.xml and
  Testing/Temporary/LastTest.log.
"""
import os
import re
import sys
import xml.etree.ElementTree as ET


def skip_reason(case):
    out = case.findtext("system-out") or ""
    for line in out.splitlines():
        if line.startswith("SKIP: "):
            return line[len("SKIP: "):]
    sk = case.find("skipped")
    msg = sk.get("message") if sk is not None else ""
    return f"({msg or 'did not run'}; the test gave no reason)"


def main():
    seconds = int(sys.argv[1])
    rows, skips, failures, notes = [], [], [], []
    ok = True
    for arg in sys.argv[2:]:
        label, build, status = arg.rsplit("=", 2)
        junit = os.path.join(build, "ctest.xml")
        if status != "0":
            ok = False
            rows.append((label, None, None, None, None))
            failures.append(f"{label}: the build failed (exit {status}); see above")
            continue
        if not os.path.exists(junit):
            ok = False
            rows.append((label, None, None, None, None))
            failures.append(f"{label}: ctest wrote no results ({junit})")
            continue
        suite = ET.parse(junit).getroot()
        n = p = f = s = 0
        for case in suite.iter("testcase"):
            n += 1
            st = case.get("status")
            name = case.get("name")
            if st == "run":
                p += 1
            elif case.find("skipped") is not None and "SKIP_RETURN_CODE" in (
                    case.find("skipped").get("message") or ""):
                s += 1
                skips.append(f"{label}: {name}: {skip_reason(case)}")
            else:
                # failed, timed out, or not run for want of a fixture or a
                # required file: none of these is a skip the test asked for
                f += 1
                why = "did not run" if st == "notrun" else "failed"
                failures.append(f"{label}: {name} {why}")
        rows.append((label, n, p, f, s))
        if f:
            ok = False
        log = os.path.join(build, "Testing", "Temporary", "LastTest.log")
        if os.path.exists(log):
            with open(log, encoding="utf-8", errors="replace") as fh:
                for line in fh:
                    if line.startswith("age testkit:"):
                        notes.append(f"{label}: {line.strip()}")

    print()
    print(f"== summary ({seconds // 60} min {seconds % 60} s)")
    width = max(len(r[0]) for r in rows)
    print(f"  {'build':<{width}}  {'tests':>6} {'passed':>6} {'failed':>6} {'skipped':>7}")
    for label, n, p, f, s in rows:
        if n is None:
            print(f"  {label:<{width}}  {'(no results)':>28}")
        else:
            print(f"  {label:<{width}}  {n:>6} {p:>6} {f:>6} {s:>7}")
    if skips:
        print("skipped:")
        for line in skips:
            print(f"  {line}")
    if notes:
        print("notes:")
        for line in notes:
            print(f"  {line}")
    if failures:
        print("failed:")
        for line in failures:
            print(f"  {line}")
    print("== all tests passed" if ok else "== FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
