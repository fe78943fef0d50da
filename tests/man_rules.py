#!/usr/bin/env python3
"""The man pages document exactly the rules of the table (registry/rules.h).

Reads the table from `xjpack check --rules --json` and compares it with
the RULES section of xjpack-check(1) (each entry: .TP, the id or ids, then
"Error" or "Warning") and the AUDIT section of xjpack-merge(1) (each
bullet: the id, then "(error)" or "(warning)"). Fails, naming each
difference, when a rule is undocumented, documented but not in the table,
or documented with another severity. Also checks the Chinese listing:
the same ids, 错误/警告, the Chinese titles.

usage: man_rules.py XJPACK SOURCE-DIR
"""
import json
import os
import re
import subprocess
import sys


def listing(xjpack, *args, lang="C.UTF-8"):
    env = dict(os.environ, LC_ALL=lang)
    return subprocess.run([xjpack, "check", "--rules", *args], env=env,
                          check=True, capture_output=True, text=True).stdout


def unescape(token):
    return token.replace("\\-", "-")


def section(lines, name, page):
    try:
        a = lines.index(".SH " + name)
    except ValueError:
        sys.exit(f"FAIL: {page} has no .SH {name}")
    b = next((i for i in range(a + 1, len(lines)) if lines[i].startswith(".SH ")),
             len(lines))
    return lines[a + 1:b]


def ids_of(line):
    if line.startswith(".B "):
        return [unescape(line[3:])]
    if line.startswith(".BR "):
        tokens = re.findall(r'"[^"]*"|\S+', line[4:])
        return [unescape(t) for t in tokens if not t.startswith('"')]
    return []


def check_page(path):
    """id -> (severity, line) for xjpack-check(1)'s RULES."""
    lines = open(path, encoding="utf-8").read().split("\n")
    found, problems = {}, []
    body = section(lines, "RULES", path)
    i = 0
    while i < len(body):
        if body[i] == ".TP":
            j, ids = i + 1, []
            while j < len(body) and ids_of(body[j]):
                ids += ids_of(body[j])
                j += 1
            m = re.match(r"(Error|Warning)\b", body[j] if j < len(body) else "")
            if ids and not m:
                problems.append(f"{path}: {', '.join(ids)}: the entry does not "
                                f"begin with Error or Warning")
            for rid in ids:
                sev = m.group(1).lower() if m else "?"
                if rid in found and found[rid] != sev:
                    problems.append(f"{path}: {rid} is documented twice, as "
                                    f"{found[rid]} and {sev}")
                found[rid] = sev
            i = j
            continue
        i += 1
    return found, problems


def merge_page(path):
    """id -> severity for xjpack-merge(1)'s AUDIT bullets."""
    lines = open(path, encoding="utf-8").read().split("\n")
    found, problems = {}, []
    body = section(lines, "AUDIT", path)
    for i, line in enumerate(body):
        ids = ids_of(line)
        if len(ids) == 1 and ids[0].startswith("merge."):
            m = re.match(r"\((error|warning)\)", body[i + 1])
            if not m:
                problems.append(f"{path}: {ids[0]}: not followed by (error) "
                                f"or (warning)")
            found[ids[0]] = m.group(1) if m else "?"
    return found, problems


def main():
    xjpack, src = sys.argv[1], sys.argv[2]
    table = {r["id"]: r for r in json.loads(listing(xjpack, "--json"))["rules"]}
    if len(table) < 90:
        sys.exit(f"FAIL: the table lists {len(table)} rules; expected about 100")
    checked, problems = check_page(os.path.join(src, "man/xjpack-check.1"))
    merged, more = merge_page(os.path.join(src, "man/xjpack-merge.1"))
    problems += more
    documented = {**checked, **merged}
    for rid, rule in table.items():
        page = "xjpack-merge.1" if rid.startswith("merge.") else "xjpack-check.1"
        if rid not in documented:
            problems.append(f"{rid} ({rule['severity']}) is not documented in "
                            f"man/{page}")
        elif documented[rid] != rule["severity"]:
            problems.append(f"{rid}: man/{page} says {documented[rid]}, the "
                            f"table {rule['severity']}")
    for rid in sorted(set(documented) - set(table)):
        problems.append(f"{rid} is documented but is not a rule of the table")
    # The Chinese listing: the same rules, in the reader's words.
    zh = [l.split("\t") for l in listing(xjpack, lang="zh_CN.UTF-8").splitlines()]
    if [r[0] for r in zh] != list(table):
        problems.append("the Chinese listing has other rules than the table")
    for rid, sev, title in zh:
        want = {"error": "错误", "warning": "警告"}[table[rid]["severity"]]
        if sev != want or title != table[rid]["title_zh"]:
            problems.append(f"Chinese listing of {rid}: {sev} {title}")
    en = [l.split("\t") for l in listing(xjpack).splitlines()]
    if [(r[0], r[1], r[2]) for r in en] != [
            (rid, r["severity"], r["title_en"]) for rid, r in table.items()]:
        problems.append("the English listing differs from the table")
    if problems:
        print("FAIL: the man pages and the table of rules disagree:")
        for p in problems:
            print("  " + p)
        sys.exit(1)
    print(f"man_rules: {len(table)} rules, each documented once with its "
          f"severity ({len(checked)} in xjpack-check.1, {len(merged)} in "
          f"xjpack-merge.1)")


main()
