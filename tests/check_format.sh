#!/bin/bash
# Fails when a C++ source differs from what clang-format (.clang-format)
# makes of it: the style is applied by the tool, not by review.
# usage: check_format.sh CLANG-FORMAT SOURCE-DIR
set -u
clang_format=$1
cd "$2" || exit 2
bad=0
while IFS= read -r f; do
  if ! "$clang_format" --dry-run --Werror "$f" >/dev/null 2>&1; then
    echo "not formatted: $f (run: clang-format -i $f)"
    bad=1
  fi
done < <(git ls-files '*.cc' '*.h' 2>/dev/null || find base libpack formats keys registry synth tools tests -name '*.cc' -o -name '*.h')
[ "$bad" = 0 ] && echo "source_format: all sources formatted"
exit "$bad"
