#!/usr/bin/env bash
# Checks the verb manual pages against the binary:
#  - every verb that `xjpack help` lists has a page xjpack-VERB.1;
#  - every long option that `xjpack VERB --help` prints appears in the page
#    (written as \-\-name);
#  - every long option a page lists in OPTIONS (a .TP tag) is one that
#    `xjpack VERB --help` prints;
#  - a verb with subcommands (its --help lists them under "subcommands:")
#    is checked with the options of every `xjpack VERB SUB --help`, and its
#    page names each subcommand.
# usage: options_match_help.sh XJPACK MANDIR
set -u

if [[ $# -ne 2 ]]; then
  echo "usage: options_match_help.sh XJPACK MANDIR" >&2
  exit 2
fi
xjpack=$1
mandir=$2

# The long options in text, one per line, as --name.
long_options() {
  grep -oE -- '--[a-z][a-z-]*' | sort -u
}

# The roff spelling of an option: --pass-file -> \-\-pass\-file.
roff() {
  printf '%s' "$1" | sed 's/-/\\-/g'
}

# The long options in the tags of a page's OPTIONS section, as --name.
page_options() {
  awk '
    /^\.SH/ { in_opts = ($0 ~ /^\.SH "?OPTIONS"?$/); next }
    in_opts && /^\.TP/ { tag = 1; next }
    in_opts && tag { print; tag = 0 }
  ' "$1" | sed 's/\\-/-/g' | long_options
}

verbs=$("$xjpack" help | awk '/^verbs:/ { v = 1; next }
                              v && /^  [a-z]/ { print $1 }
                              v && /^$/ { v = 0 }')
if [[ -z $verbs ]]; then
  echo "options_match_help: '$xjpack help' listed no verbs" >&2
  exit 1
fi

failed=0
checked=0
for verb in $verbs; do
  page=$mandir/xjpack-$verb.1
  if [[ ! -f $page ]]; then
    echo "options_match_help: verb '$verb' has no page $page" >&2
    failed=1
    continue
  fi
  if ! help=$("$xjpack" "$verb" --help); then
    echo "options_match_help: 'xjpack $verb --help' failed" >&2
    failed=1
    continue
  fi
  # A verb with subcommands ("xjpack cert issue"): its options are those of
  # every subcommand, all described in the verb's one page.
  subs=$(printf '%s\n' "$help" | awk '/^subcommands:/ { s = 1; next }
                                      s && /^  [a-z]/ { print $1 }
                                      s && /^$/ { s = 0 }')
  for sub in $subs; do
    if ! sub_help=$("$xjpack" "$verb" "$sub" --help); then
      echo "options_match_help: 'xjpack $verb $sub --help' failed" >&2
      failed=1
      continue
    fi
    help=$(printf '%s\n%s\n' "$help" "$sub_help")
    if ! grep -qF -- "$(roff "$sub")" "$page"; then
      echo "options_match_help: $page does not describe '$verb $sub'" >&2
      failed=1
    fi
  done
  help_opts=$(printf '%s\n' "$help" | long_options)

  missing=()
  for opt in $help_opts; do
    if ! grep -qF -- "$(roff "$opt")" "$page"; then
      missing+=("$opt")
    fi
  done
  if [[ ${#missing[@]} -ne 0 ]]; then
    echo "options_match_help: $page lacks ${missing[*]}" \
         "(printed by 'xjpack $verb --help')" >&2
    failed=1
  fi

  extra=()
  for opt in $(page_options "$page"); do
    if ! grep -qxF -- "$opt" <<<"$help_opts"; then
      extra+=("$opt")
    fi
  done
  if [[ ${#extra[@]} -ne 0 ]]; then
    echo "options_match_help: $page lists ${extra[*]} in OPTIONS," \
         "which 'xjpack $verb --help' does not print" >&2
    failed=1
  fi
  checked=$((checked + 1))
done

if [[ $failed -ne 0 ]]; then
  exit 1
fi
echo "options_match_help: $checked verb pages match --help"
