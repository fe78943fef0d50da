/* An LD_PRELOAD shim for fault injection: it counts the calls a process
 * makes to write, pwrite, fsync and rename (each family selectable) and
 * makes the Nth such call fail with EIO or ENOSPC, or kills the process
 * with SIGKILL just before it.
 *
 * Environment:
 *   XJFAULT_OPS    the families counted, comma-separated: write (write,
 *                  writev, pwrite, pwrite64, pwritev), fsync (fsync,
 *                  fdatasync), rename (rename, renameat, renameat2).
 *                  Default: write,fsync,rename.
 *   XJFAULT_AT     the 1-based number of the counted call to act on; unset
 *                  or 0: count only.
 *   XJFAULT_MODE   eio (default), enospc, kill, or int (SIGINT is raised
 *                  and the call goes on: an interruption at that point).
 *   XJFAULT_STICKY 1: every counted call from the Nth on fails (a disk that
 *                  stays broken), not only the Nth.
 *   XJFAULT_COUNT  a file to which the process appends, at exit, the number
 *                  of counted calls it made (to size a sweep).
 *
 * Writes and syncs are counted only on regular files and folders (so that
 * messages to a terminal or a pipe always get out); renames always.
 *
 * Built without sanitizers. With an AddressSanitizer binary, libasan must
 * come first in LD_PRELOAD and this shim after it: ASan's interceptors then
 * call on into the shim, which calls on into libc. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

enum { F_WRITE = 1, F_FSYNC = 2, F_RENAME = 4 };

static int families = F_WRITE | F_FSYNC | F_RENAME;
static long at;
static int mode_errno = EIO;
static int mode_kill;
static int mode_int;
static int sticky;
static const char* count_file;
static atomic_long counted;
static int ready;

static void init(void) {
  const char* ops = getenv("XJFAULT_OPS");
  if (ops && *ops) {
    families = 0;
    if (strstr(ops, "write")) families |= F_WRITE;
    if (strstr(ops, "fsync")) families |= F_FSYNC;
    if (strstr(ops, "rename")) families |= F_RENAME;
  }
  const char* n = getenv("XJFAULT_AT");
  at = n ? atol(n) : 0;
  const char* m = getenv("XJFAULT_MODE");
  if (m && strcmp(m, "enospc") == 0)
    mode_errno = ENOSPC;
  else if (m && strcmp(m, "kill") == 0)
    mode_kill = 1;
  else if (m && strcmp(m, "int") == 0)
    mode_int = 1;
  const char* s = getenv("XJFAULT_STICKY");
  sticky = s && strcmp(s, "1") == 0;
  count_file = getenv("XJFAULT_COUNT");
  ready = 1;
}

__attribute__((constructor)) static void shim_start(void) { init(); }

__attribute__((destructor)) static void shim_end(void) {
  if (!count_file) return;
  int fd = open(count_file, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return;
  char line[32];
  int len = snprintf(line, sizeof line, "%ld\n", atomic_load(&counted));
  ssize_t (*real_write)(int, const void*, size_t) = dlsym(RTLD_NEXT, "write");
  if (real_write && len > 0) (void)!real_write(fd, line, (size_t)len);
  close(fd);
}

static int on_file(int fd) {
  struct stat st;
  if (fstat(fd, &st) != 0) return 0;
  return S_ISREG(st.st_mode) || S_ISDIR(st.st_mode);
}

/* 1: fail this call (errno set); 0: let it through. Never returns when the
 * mode is kill and the call is the chosen one. */
static int fault(int family, int fd) {
  if (!ready) init();
  if (!(families & family)) return 0;
  if (fd >= 0 && !on_file(fd)) return 0;
  long n = atomic_fetch_add(&counted, 1) + 1;
  if (at <= 0 || n < at || (n > at && !sticky)) return 0;
  if (mode_kill) {
    kill(getpid(), SIGKILL);
    pause();
  }
  if (mode_int) {
    kill(getpid(), SIGINT);
    return 0;
  }
  errno = mode_errno;
  return 1;
}

#define REAL(name)                      \
  static __typeof__(&name) real_##name; \
  if (!real_##name) real_##name = (__typeof__(&name))dlsym(RTLD_NEXT, #name);

ssize_t write(int fd, const void* buf, size_t count) {
  REAL(write);
  if (fault(F_WRITE, fd)) return -1;
  return real_write(fd, buf, count);
}

ssize_t writev(int fd, const struct iovec* iov, int iovcnt) {
  REAL(writev);
  if (fault(F_WRITE, fd)) return -1;
  return real_writev(fd, iov, iovcnt);
}

ssize_t pwrite(int fd, const void* buf, size_t count, off_t offset) {
  REAL(pwrite);
  if (fault(F_WRITE, fd)) return -1;
  return real_pwrite(fd, buf, count, offset);
}

ssize_t pwrite64(int fd, const void* buf, size_t count, off64_t offset) {
  REAL(pwrite64);
  if (fault(F_WRITE, fd)) return -1;
  return real_pwrite64(fd, buf, count, offset);
}

ssize_t pwritev(int fd, const struct iovec* iov, int iovcnt, off_t offset) {
  REAL(pwritev);
  if (fault(F_WRITE, fd)) return -1;
  return real_pwritev(fd, iov, iovcnt, offset);
}

int fsync(int fd) {
  REAL(fsync);
  if (fault(F_FSYNC, fd)) return -1;
  return real_fsync(fd);
}

int fdatasync(int fd) {
  REAL(fdatasync);
  if (fault(F_FSYNC, fd)) return -1;
  return real_fdatasync(fd);
}

int rename(const char* from, const char* to) {
  REAL(rename);
  if (fault(F_RENAME, -1)) return -1;
  return real_rename(from, to);
}

int renameat(int fromdir, const char* from, int todir, const char* to) {
  REAL(renameat);
  if (fault(F_RENAME, -1)) return -1;
  return real_renameat(fromdir, from, todir, to);
}

int renameat2(int fromdir, const char* from, int todir, const char* to,
              unsigned int flags) {
  REAL(renameat2);
  if (fault(F_RENAME, -1)) return -1;
  return real_renameat2(fromdir, from, todir, to, flags);
}
