#!/bin/bash
# Library messages do not name the command line: no string in base,
# formats, keys, registry or libpack names an option (--force, -p) or a
# verb ('xjpack init'). The library names a Remedy (base/status.h), and
# tools/ phrases it with its own options (tools/common/cli.cc).
# Nor does the library read the wall clock: the time comes from the caller
# (tools/, through pack::OfficeSession), so no os::NowUnix() outside tools/.
# Exempt: formats/src/bundle_readme.cc, the README written on the stick for
# people, which shows the commands to run.
#
# usage: library_words.sh SOURCE-DIR
set -u
cd "${1:?usage: library_words.sh SOURCE-DIR}" || exit 2
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  files=$(git ls-files 'base/*.cc' 'base/*.h' 'formats/*.cc' 'formats/*.h' 'keys/*.cc' 'keys/*.h' \
    'registry/*.cc' 'registry/*.h' 'libpack/*.cc' 'libpack/*.h')
else
  files=$(find base formats keys registry libpack -name '*.cc' -o -name '*.h')
fi
files=$(printf '%s\n' "$files" | grep -vxF formats/src/bundle_readme.cc)
[ -n "$files" ] || { echo "FAIL: no sources found"; exit 1; }
verbs='init|cert|keygen|encrypt|decrypt|sign|sigcheck|check|pack|merge|approve|inspect|verify|unpack|receipt|synth|demo'
# A string literal (the part of a line from its first quote) holding " --x",
# "(--x", "'--x", " -p " and the like, or "xjpack VERB".
hits=$(printf '%s\n' "$files" | tr '\n' '\0' | xargs -0 grep -nE \
  "^[^/]*\"[^\"]*([ (']--[a-z]|[ (']-[a-zA-Z][ ),]|xjpack ($verbs)\b)")
if [ -n "$hits" ]; then
  echo "FAIL: library messages name the command line; name a Remedy (base/status.h) instead:"
  printf '%s\n' "$hits"
  exit 1
fi
clock=$(printf '%s\n' "$files" | grep -vxF -e base/src/os_posix.cc -e base/include/base/os.h |
  tr '\n' '\0' | xargs -0 grep -n 'NowUnix()')
if [ -n "$clock" ]; then
  echo "FAIL: the library reads the wall clock; take the time from the caller:"
  printf '%s\n' "$clock"
  exit 1
fi
echo "library_words: $(printf '%s\n' "$files" | wc -l) sources, no message names an option or a verb, none reads the clock"
