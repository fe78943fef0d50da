#!/bin/bash
# Every call to the operating system goes through the OS layer
# (base/include/base/os.h, implemented in os_posix.cc), so that a
# port replaces that one file: no other product source (base, formats, keys,
# registry, libpack, synth, tools) includes a POSIX header or calls a system
# function directly (::open, ::mkdir, ::fsync, ::rename, ...), nor uses their
# flags.
#
# usage: os_layer.sh SOURCE-DIR
set -u
cd "${1:?usage: os_layer.sh SOURCE-DIR}" || exit 2
layer=base/src/os_posix.cc
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  files=$(git ls-files 'base/*.cc' 'base/*.h' 'libpack/*.cc' 'libpack/*.h' 'formats/*.cc' 'formats/*.h' \
    'keys/*.cc' 'keys/*.h' 'registry/*.cc' 'registry/*.h' 'synth/*.cc' 'synth/*.h' 'tools/*.cc' 'tools/*.h')
else
  files=$(find base libpack formats keys registry synth tools -name '*.cc' -o -name '*.h')
fi
files=$(printf '%s\n' "$files" | grep -vxF -e "$layer" -e base/include/base/os.h)
[ -n "$files" ] || { echo "FAIL: no sources found"; exit 1; }
headers='#include <(sys/[a-z_/]+|fcntl|unistd|dirent|signal|termios|pwd|grp|poll|sched|spawn|dlfcn|pthread)\.h>'
calls='::(open|openat|creat|close|read|write|pread|pwrite|lseek|fsync|fdatasync|syncfs|mkdir|rmdir|unlink|rename|renameat|link|symlink|readlink|stat|lstat|fstat|fstatat|statfs|chmod|chown|fchmod|access|realpath|mkdtemp|mkstemp|opendir|readdir|fork|execv|execvp|waitpid|kill|getpid|setenv|chdir|dup2|pipe|isatty|ioctl|posix_fadvise|mmap|munmap|sysconf)\('
flags='\b(O_(RDONLY|WRONLY|RDWR|CREAT|EXCL|NOFOLLOW|CLOEXEC|DIRECTORY|TMPFILE)|STD(IN|OUT|ERR)_FILENO|S_IS(REG|DIR|LNK))\b'
hits=$(printf '%s\n' "$files" | tr '\n' '\0' | xargs -0 grep -nE "$headers|$calls|$flags")
if [ -n "$hits" ]; then
  echo "FAIL: system calls outside the OS layer ($layer); add what is needed to base/os.h:"
  printf '%s\n' "$hits"
  exit 1
fi
echo "os_layer: $(printf '%s\n' "$files" | wc -l) sources, none calls the system but $layer"
