#!/usr/bin/env bash
# Lints manual pages with mandoc: any warning or error fails.
# usage: lint.sh MANDOC PAGE...
set -u

if [[ $# -lt 2 ]]; then
  echo "usage: lint.sh MANDOC PAGE..." >&2
  exit 2
fi
mandoc=$1
shift

bad=0
for page in "$@"; do
  out=$("$mandoc" -Tlint -W warning "$page" 2>&1)
  status=$?
  if [[ -n $out || $status -ne 0 ]]; then
    [[ -n $out ]] && printf '%s\n' "$out"
    echo "man_lint: $page: mandoc exit status $status" >&2
    bad=$((bad + 1))
  fi
done

if [[ $bad -ne 0 ]]; then
  echo "man_lint: $bad of $# pages have problems" >&2
  exit 1
fi
echo "man_lint: $# pages clean"
