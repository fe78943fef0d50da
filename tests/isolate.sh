#!/bin/bash
# Runs a command with the checkout's neighbours hidden, so that a test that
# reads outside the checkout (a file beside it, ../data/...) fails instead of
# passing on this machine and failing on a fresh clone.
#
# In a private mount namespace (unshare; needs root), every folder and file
# beside the checkout is covered by an empty read-only tmpfs or /dev/null:
# the checkout's parent shows the checkout and nothing else of use. Kept
# visible: hidden (dot) entries, which are a user's settings and tools, not
# data; entries that hold a folder of PATH, HOME or TMPDIR; and the folders
# named in XJ_ISOLATE_KEEP (colon-separated), e.g. a build folder outside
# the checkout.
#
# The command runs with XJ_ISOLATED set to the parent folder,
# XJ_ISOLATE_HIDDEN to the number of entries hidden and XJ_ISOLATE_KEPT to
# the entries kept visible (colon-separated). Where the neighbours
# cannot be hidden (not root, no unshare, the checkout at /), the command
# runs as it is, XJ_ISOLATED unset, and the reason is printed.
#
# usage: tests/isolate.sh CMD [ARGS...]
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd -P)
parent=$(dirname "$top")

if [ "${1:-}" != --inside ]; then
  [ $# -gt 0 ] || { echo "usage: tests/isolate.sh CMD [ARGS...]" >&2; exit 2; }
  why=
  if [ -n "${XJ_ISOLATED:-}" ]; then
    exec "$@" # already inside
  elif [ "$(id -u)" != 0 ]; then
    why="not root"
  elif ! command -v unshare >/dev/null; then
    why="no unshare (apt-get install util-linux)"
  elif [ "$parent" = / ]; then
    why="the checkout is at the top of the file system"
  elif ! unshare --mount --propagation private true 2>/dev/null; then
    why="unshare --mount is not permitted here"
  fi
  if [ -n "$why" ]; then
    echo "isolate: $why: the checkout's neighbours stay visible" >&2
    exec "$@"
  fi
  exec unshare --mount --propagation private -- bash "$0" --inside "$@"
fi
shift

# Inside the namespace: what must stay visible.
keep=()
IFS=: read -r -a path_dirs <<<"${PATH:-}"
keep+=("${path_dirs[@]}" "${HOME:-/}" "${TMPDIR:-/tmp}")
if [ -n "${XJ_ISOLATE_KEEP:-}" ]; then
  IFS=: read -r -a extra <<<"$XJ_ISOLATE_KEEP"
  keep+=("${extra[@]}")
fi
kept() { # kept ENTRY: some folder to keep is ENTRY or lies inside it
  local k
  for k in "${keep[@]}"; do
    [ -n "$k" ] || continue
    k=$(realpath -m "$k")
    case "$k/" in "$1"/*) return 0 ;; esac
  done
  return 1
}

# A neighbour that is a symbolic link is hidden where it points, unless that
# is inside the parent (hidden as an entry of its own), kept, or a system
# folder.
system() {
  case "$1" in
    / | /usr | /usr/* | /etc | /etc/* | /bin | /sbin | /lib | /lib* | /var | /var/* | \
      /proc | /proc/* | /sys | /sys/* | /dev | /dev/* | /run | /run/* | /opt | /opt/* | \
      /root | /home | /tmp) return 0 ;;
  esac
  return 1
}
hidden=0 visible=
shopt -s nullglob
for e in "$parent"/*; do
  [ "$e" = "$top" ] && continue
  target=$e
  if [ -L "$e" ]; then
    target=$(realpath -e "$e" 2>/dev/null) || continue # dangling: reads nothing
    case "$target/" in "$parent"/*) continue ;; esac # hidden as itself
    if system "$target" || case "$top/" in "$target"/*) true ;; *) false ;; esac; then
      visible+=${visible:+:}$e
      continue
    fi
  fi
  if kept "$target"; then
    visible+=${visible:+:}$e
    continue
  fi
  if [ -d "$target" ]; then
    mount -t tmpfs -o ro,size=4k,mode=0555 xjpack-hidden "$target"
  else
    mount --bind /dev/null "$target"
  fi
  hidden=$((hidden + 1))
done
export XJ_ISOLATED=$parent XJ_ISOLATE_HIDDEN=$hidden XJ_ISOLATE_KEPT=$visible
exec "$@"
