// The operating system, behind one small interface.
//
// Everything xjpack asks of the OS (files, atomic replacement, directories,
// the clock, process hardening) goes through here, so a port to another
// system replaces os_posix.cc and nothing else. Errors carry the path and the
// system's reason and map errno to the Code a caller can act on.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/bytes.h"
#include "base/io.h"
#include "base/secret.h"
#include "base/status.h"

namespace xj::os {

/// A Status for a failed system call: `what` names the operation and path
/// ("creating out.age"); the code follows errno (ENOENT → kNotFound, ENOSPC →
/// kNoSpace, EEXIST → kAlreadyExists, ...).
Status ErrnoStatus(int err, std::string_view what);

/// An owned file descriptor, closed on destruction.
class File {
 public:
  File() = default;
  explicit File(int fd) : fd_(fd) {}
  ~File();
  File(File&& other) noexcept;
  File& operator=(File&& other) noexcept;
  File(const File&) = delete;
  File& operator=(const File&) = delete;

  int fd() const { return fd_; }
  bool is_open() const { return fd_ >= 0; }
  /// Closes and reports errors from close() (which on NFS and FAT can carry
  /// deferred write errors).
  Status Close(std::string_view name);
  int Release();

  /// Flushes the file's data to the medium (fsync); `name` for errors.
  Status Sync(std::string_view name) const;
  /// Tells the OS that the file's cached pages are not needed again, so
  /// that reading it back reads the medium; best effort.
  void DropCache() const;
  /// Whether the open file is a regular file, and its size.
  bool IsRegular() const;
  Result<std::uint64_t> Size() const;
  /// Reads up to `buf.size()` bytes at `offset` without moving the file
  /// position; 0 at the end.
  Result<std::size_t> ReadAt(MutableByteSpan buf, std::uint64_t offset) const;
  /// Moves the file position to `offset` bytes from the start.
  Status Seek(std::uint64_t offset) const;

 private:
  int fd_ = -1;
};

/// A folder opened without following a symbolic link, for reading names
/// in it the same way: on a hostile stick nothing is followed.
class Dir {
 public:
  /// Fails with kRejected when `path` is a symbolic link or not a folder.
  static Result<Dir> Open(const std::string& path);
  /// Names in the folder, sorted, without "." and "..".
  Result<std::vector<std::string>> List() const;
  enum class Kind { kFile, kFolder, kLink, kOther, kMissing };
  Kind KindOf(const std::string& name) const;
  /// Opens a regular file in the folder for reading, not following links;
  /// kRejected for anything but a regular file.
  Result<File> OpenFile(const std::string& name) const;
  /// Reads a whole regular file of at most `max` bytes.
  Result<Bytes> ReadFile(const std::string& name, std::size_t max) const;
  Result<std::uint64_t> Size(const std::string& name) const;
  /// Flushes the whole file system holding the folder (syncfs): one call
  /// instead of an fsync per file when many were written.
  Status SyncFileSystem() const;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::shared_ptr<File> fd_;
};

/// The standard streams' descriptors (for FdSource, FdSink, IsTerminal).
inline constexpr int kStdin = 0, kStdout = 1, kStderr = 2;

/// Creates a new regular file for writing with `mode`: never replacing one,
/// never through a symbolic link (kAlreadyExists when the name is taken).
Result<File> CreateNewFile(const std::string& path, unsigned mode);

/// Opens an existing regular file for reading. Fails with kInvalidArgument
/// when `path` names a directory or a device.
Result<File> OpenForRead(const std::string& path);

/// Reads a whole regular file of at most `max_size` bytes.
Result<Bytes> ReadFile(const std::string& path, std::size_t max_size);
/// Reads a whole file of at most `max_size` bytes into protected memory.
Result<SecretBuffer> ReadSecretFile(const std::string& path,
                                    std::size_t max_size);
/// Reads at most `max_size` bytes of standard input into protected memory.
Result<SecretBuffer> ReadSecretStdin(std::size_t max_size);

bool Exists(const std::string& path);
bool IsDirectory(const std::string& path);
/// A regular file, not reached through a symbolic link.
bool IsRegularFile(const std::string& path);
/// Names in a folder (not "." or ".."), sorted bytewise.
Result<std::vector<std::string>> ListDirectory(const std::string& path);
/// Size of a regular file.
Result<std::uint64_t> FileSize(const std::string& path);
/// The running program's own path.
Result<std::string> ExecutablePath();
/// Creates a folder (and missing parents) with `mode`; an existing folder
/// is fine.
Status MakeDirectories(const std::string& path, unsigned mode);
/// Creates one folder with `mode` (its parent must exist; kAlreadyExists
/// when the name is taken).
Status MakeDirectory(const std::string& path, unsigned mode);
/// Makes a new private folder (0700) named PREFIX and a random suffix in
/// $TMPDIR (if set and not empty) or /tmp, and returns its path.
Result<std::string> MakeTempDirectory(std::string_view prefix);
/// Removes a folder if it is empty; does nothing otherwise.
void RemoveEmptyDirectory(const std::string& path);
/// Removes a file; best effort (for files of one's own, on the way out).
void RemoveFile(const std::string& path);
/// Renames, replacing `to` when it exists (within one file system).
Status Rename(const std::string& from, const std::string& to);
/// Whether `path` itself is a symbolic link.
bool IsSymbolicLink(const std::string& path);
/// Sets the permission bits of a file or folder; best effort.
void SetMode(const std::string& path, unsigned mode);
/// This process's id, and whether process `pid` runs on this machine.
std::int64_t ProcessId();
bool ProcessRuns(std::int64_t pid);
/// The path with every link and "." or ".." resolved ("" when it does not
/// exist).
std::string RealPath(const std::string& path);

/// The file system holding a folder: its type ("vfat", "fuse.fusefat",
/// "exfat", "ext4", ...; from the mount table, so FUSE file systems are
/// named), whether it is FAT (files of at most 4 GiB - 1), and its free
/// space where it reports one (some FUSE file systems do not).
struct FileSystemInfo {
  std::string type;
  bool fat = false;
  std::optional<std::uint64_t> free_bytes;
};
Result<FileSystemInfo> DescribeFileSystem(const std::string& dir);

/// Runs the program `exe` with `args` in the folder `dir`, with `env`
/// added to the environment and, when `quiet`, standard output discarded;
/// waits for it. Returns its exit status (128 + the signal when a signal
/// ended it).
Result<int> RunProgram(
    const std::string& exe, const std::vector<std::string>& args,
    const std::string& dir,
    const std::vector<std::pair<std::string, std::string>>& env, bool quiet);

/// True when both paths exist and name the same file.
bool SameFile(const std::string& a, const std::string& b);
/// Copies a whole file, from its start, into `sink`.
Status CopyFromStart(const File& file, Sink& sink);
bool IsTerminal(int fd);

/// A Source over a file descriptor it does not own.
class FdSource final : public Source {
 public:
  explicit FdSource(int fd) : fd_(fd) {}
  Result<std::size_t> Read(MutableByteSpan buf) override;

 private:
  int fd_;
};

/// A Sink over a file descriptor it does not own.
class FdSink final : public Sink {
 public:
  /// `name` (which must outlive the sink) is what errors call the file;
  /// without one, "output".
  explicit FdSink(int fd, std::string_view name = {}) : fd_(fd), name_(name) {}
  Status Write(ByteSpan data) override;

 private:
  int fd_;
  std::string_view name_;
};

/// How an output file may treat an existing file of the same name.
enum class Replace { kNever, kAllowed };

/// A file that appears under its final name only once complete.
///
/// Create() makes an anonymous file (O_TMPFILE) in the destination's folder,
/// or where the file system cannot, a temporary `.xjtmp-*` file there.
/// Commit() flushes it to disk, gives it its final name (refusing to replace
/// an existing file unless Replace::kAllowed), and flushes the folder. If the
/// AtomicFile dies uncommitted, or the process is interrupted, nothing is left
/// behind under any name.
class AtomicFile {
 public:
  static Result<AtomicFile> Create(const std::string& path, unsigned mode,
                                   Replace replace);
  AtomicFile() = default;
  ~AtomicFile();
  AtomicFile(AtomicFile&& other) noexcept;
  AtomicFile& operator=(AtomicFile&& other) noexcept;
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  int fd() const { return file_.fd(); }
  Sink& sink() { return sink_; }
  const std::string& path() const { return path_; }
  Status Commit();
  void Abort();

 private:
  std::string path_;       // final name
  std::string temp_path_;  // named temporary, empty for O_TMPFILE
  File file_;
  FdSink sink_{-1};
  Replace replace_ = Replace::kNever;
  bool committed_ = false;
  int slot_ = -1;  // interrupt-cleanup registration of temp_path_
};

/// An unnamed temporary file (deleted by the OS when closed, even on crash)
/// in $TMPDIR or /tmp, for spooling plaintext that may not be released yet.
Result<File> CreateAnonymousTempFile();

/// Renames `from` to `to`, refusing to replace `to`.
Status RenameNoReplace(const std::string& from, const std::string& to);
/// Flushes a folder's entries (after a rename or create in it).
Status SyncDirectory(const std::string& dir);
/// The folder part of a path ("." when there is none).
std::string DirName(const std::string& path);
/// The last component of a path.
std::string BaseName(const std::string& path);

/// Lowers the calling thread's scheduling priority (on Linux, where each
/// thread has its own: SCHED_IDLE, else nice 10), so that work done on the
/// side takes only the time the other threads leave; best effort. Threads
/// it starts inherit it.
void LowerThreadPriority();

/// Turns off core dumps and ptrace attachment by other users' processes so
/// secrets in memory do not end up on disk (RLIMIT_CORE 0, PR_SET_DUMPABLE 0).
void HardenProcess();

/// Asks on the controlling terminal (/dev/tty) with echo off and reads one
/// line into protected memory; the terminal is restored even if a signal
/// ends the process meanwhile. kInvalidArgument when there is no terminal.
Result<SecretBuffer> ReadPassphraseFromTerminal(std::string_view prompt,
                                                std::size_t max_size);

/// Seconds since the Unix epoch, UTC.
std::int64_t NowUnix();
/// RFC 3339 UTC time "2026-11-28T09:30:00Z".
std::string FormatUtc(std::int64_t unix_seconds);
/// A compact UTC time for file names: "20261128T093000Z".
std::string FormatUtcCompact(std::int64_t unix_seconds);

/// Installs SIGINT/SIGTERM/SIGHUP handlers that remove registered temporary
/// files and exit with status 130 — unless a CancellableScope is open.
void InstallInterruptCleanup();

/// While one is open, the first interrupting signal does not end the
/// process: it only sets a flag, and every FdSource read and FdSink write
/// from then on fails with kCancelled, so the work unwinds and removes its
/// folders as on any error. A second signal ends the process at once.
class CancellableScope {
 public:
  CancellableScope();
  ~CancellableScope();
  CancellableScope(const CancellableScope&) = delete;
  CancellableScope& operator=(const CancellableScope&) = delete;
};

/// Whether an interrupting signal arrived inside a CancellableScope.
bool Cancelled();

}  // namespace xj::os
