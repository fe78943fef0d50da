#!/bin/bash
# The bash completion against every verb's --help: it is made from the same
# option tables, and this checks that it offers exactly what --help lists.
#
# - the installed script (the build's xjpack.bash) is what the binary makes;
# - `xjpack <TAB>` offers every verb `xjpack help` lists, and help,
#   --help, --version;
# - for every verb, and every subcommand of a verb that has them,
#   `xjpack VERB -<TAB>` offers exactly the options its --help lists, long
#   and short;
# - `xjpack VERB <TAB>` offers a verb's subcommands, exactly;
# - an option whose --help value is a FILE completes file names, one whose
#   value is a DIR (or MEDIA, BUNDLE) folder names only, one whose value
#   is anything else nothing; --option=VALUE too;
# - positional arguments complete files or folders as the synopsis says.
#
# usage: XJPACK=... XJPACK_COMPLETION=build/tools/xjpack.bash completion.sh
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
COMPLETION=${XJPACK_COMPLETION:?set XJPACK_COMPLETION to the generated script}

"$XJ" --bash-completion >made.bash || fail "xjpack --bash-completion failed"
cmp -s made.bash "$COMPLETION" || fail "$COMPLETION differs from 'xjpack --bash-completion'"
. "$COMPLETION" || fail "the completion script does not load"
complete -p xjpack | grep -q -- '-F _xjpack' || fail "no completion registered for xjpack"

# offered WORD...: what completion offers for the last word (the cursor),
# one per line, sorted.
offered() {
  COMP_WORDS=("$@")
  COMP_CWORD=$(($# - 1))
  COMP_LINE="$*"
  COMP_POINT=${#COMP_LINE}
  COMPREPLY=()
  _xjpack
  [ ${#COMPREPLY[@]} -eq 0 ] || printf '%s\n' "${COMPREPLY[@]}" | sort -u
}
same() { # same WHAT EXPECTED GOT
  CHECKS=$((CHECKS + 1))
  [ "$2" = "$3" ] && return
  diff <(printf '%s\n' "$2") <(printf '%s\n' "$3") | sed 's/^/  /' >&2
  fail "$1 (< --help, > completion)"
}
# The options a --help lists: its lines "  --name ..." or "  -k [ --name ]".
help_options() {
  sed -nE 's/^  (-([A-Za-z0-9]) \[ )?--([a-z0-9-]+)( \])?.*/--\3\n-\2/p' | grep -vx -- - | sort -u
}
# The options of a --help whose value names say KIND (FILE, DIR...).
help_valued() { # help_valued REGEX
  sed -nE "s/^  (-[A-Za-z0-9] \[ )?--([a-z0-9-]+)( \])? ($1)( .*)?$/--\2/p" | sort -u
}

verbs=$("$XJ" help | awk '/^verbs:/ { v = 1; next } v && /^  [a-z]/ { print $1 } v && /^$/ { v = 0 }')
[ -n "$verbs" ] || fail "'xjpack help' listed no verbs"
same "the verbs" "$(printf '%s\n' $verbs help --help --version | sort -u)" "$(offered xjpack '')"
same "help VERB" "$(printf '%s\n' $verbs | sort -u)" "$(offered xjpack help '')"

mkdir -p work/folder && touch work/file.key
commands=0
check_command() { # check_command VERB [SUB]: its options and values
  local help
  help=$("$XJ" "$@" --help) || fail "xjpack $* --help failed"
  same "options of '$*'" "$(help_options <<<"$help")" "$(offered xjpack "$@" -)"
  # An option that takes a FILE completes files; a folder, folders only;
  # any other value, nothing.
  local opt
  for opt in $(help_valued '[][A-Z:]*FILE' <<<"$help"); do
    same "'$* $opt' completes files" "$(printf '%s\n' work/file.key work/folder)" \
      "$(offered xjpack "$@" "$opt" work/)"
    same "'$* $opt=' completes files" "$(printf '%s\n' work/file.key work/folder)" \
      "$(offered xjpack "$@" "$opt" = work/)"
  done
  for opt in $(help_valued 'DIR|MEDIA|BUNDLE' <<<"$help"); do
    same "'$* $opt' completes folders" "work/folder" "$(offered xjpack "$@" "$opt" work/)"
  done
  for opt in $(help_valued '(N|CODE|LEVEL|NAME|HEX|TIME|REASON|SIZE|KIND)' <<<"$help"); do
    same "'$* $opt' completes nothing" "" "$(offered xjpack "$@" "$opt" work/)"
  done
  commands=$((commands + 1))
}
for verb in $verbs; do
  help=$("$XJ" "$verb" --help) || fail "xjpack $verb --help failed"
  subs=$(awk '/^subcommands:/ { s = 1; next } s && /^  [a-z]/ { print $1 } s && /^$/ { s = 0 }' <<<"$help")
  if [ -n "$subs" ]; then
    same "subcommands of '$verb'" "$(printf '%s\n' $subs --help | sort -u)" "$(offered xjpack "$verb" '')"
    for sub in $subs; do check_command "$verb" "$sub"; done
  else
    check_command "$verb"
  fi
done

# Positional arguments, as the synopses say: pack takes a folder, sign a
# file, merge bundle folders, any number, after options and their values.
same "pack DIR" "work/folder" "$(offered xjpack pack work/)"
same "sign FILE" "$(printf '%s\n' work/file.key work/folder)" "$(offered xjpack sign work/)"
same "merge BUNDLE... after -o DIR" "work/folder" \
  "$(offered xjpack merge work/folder -o work/folder --to 3401 work/)"
same "a value is not an argument" "" "$(offered xjpack merge --to work/)"
same "cert revoke SERIAL... completes nothing" "" "$(offered xjpack cert revoke 12 work/)"
echo "completion: $commands commands match their --help ($CHECKS checks)"
done_ok
