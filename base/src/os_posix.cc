// POSIX (Linux) implementation of base/os.h.
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <sstream>
#include <utility>

#include "base/os.h"

namespace xj::os {
namespace {

// Named temporary files to remove if a signal ends the process. Fixed slots
// so the handler only touches memory that is never reallocated.
constexpr int kMaxTempSlots = 16;
constexpr std::size_t kMaxTempPath = 4096;
struct TempSlot {
  std::atomic<bool> used{false};
  char path[kMaxTempPath];
};
TempSlot g_temp_slots[kMaxTempSlots];

int RegisterTemp(const std::string& path) {
  if (path.size() >= kMaxTempPath) return -1;
  for (int i = 0; i < kMaxTempSlots; ++i) {
    bool expected = false;
    // Claim a free slot: fill the path first, then publish it.
    if (!g_temp_slots[i].used.load()) {
      std::memcpy(g_temp_slots[i].path, path.c_str(), path.size() + 1);
      if (g_temp_slots[i].used.compare_exchange_strong(expected, true)) {
        return i;
      }
    }
  }
  return -1;
}

void UnregisterTemp(int slot) {
  if (slot >= 0) g_temp_slots[slot].used.store(false);
}

// The terminal whose echo was turned off, to restore on a signal.
std::atomic<int> g_tty_fd{-1};
struct termios g_tty_saved;

// Cooperative cancellation (CancellableScope).
std::atomic<int> g_cancellable{0};
std::atomic<bool> g_cancelled{false};

extern "C" void OnInterrupt(int) {
  int tty = g_tty_fd.load();
  if (tty >= 0) {
    ::tcsetattr(tty, TCSAFLUSH, &g_tty_saved);
    (void)!::write(tty, "\n", 1);
  }
  if (g_cancellable.load() > 0 && !g_cancelled.exchange(true)) {
    static const char kMsg[] =
        "\nxjpack: interrupted; stopping and removing what was half-done\n";
    (void)!::write(STDERR_FILENO, kMsg, sizeof kMsg - 1);
    return;
  }
  for (auto& slot : g_temp_slots) {
    if (slot.used.load()) unlink(slot.path);
  }
  _exit(130);
}

std::string RandomSuffix() {
  std::uint8_t r[8];
  randombytes_buf(r, sizeof r);
  return ToHex(ByteSpan(r, sizeof r));
}

std::string Reason(int err) {
  std::string s = std::strerror(err);
  if (!s.empty()) s[0] = static_cast<char>(std::tolower(s[0]));
  return s;
}

}  // namespace

Status ErrnoStatus(int err, std::string_view what) {
  Code code = Code::kIoError;
  switch (err) {
    case ENOENT:
    case ENOTDIR:
      code = Code::kNotFound;
      break;
    case EEXIST:
      code = Code::kAlreadyExists;
      break;
    case ENOSPC:
    case EDQUOT:
    case EFBIG:
      code = Code::kNoSpace;
      break;
    case ENOMEM:
      code = Code::kOutOfMemory;
      break;
    default:
      break;
  }
  std::string reason = Reason(err);
  if (err == EFBIG) reason += " for this file system";
  return Status(code, fmt::format("{}: {}", what, reason));
}

File::~File() {
  if (fd_ >= 0) ::close(fd_);
}
File::File(File&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
File& File::operator=(File&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}
Status File::Close(std::string_view name) {
  if (fd_ < 0) return Status::Ok();
  int fd = std::exchange(fd_, -1);
  if (::close(fd) != 0)
    return ErrnoStatus(errno, fmt::format("closing {}", name));
  return Status::Ok();
}
int File::Release() { return std::exchange(fd_, -1); }

Status File::Sync(std::string_view name) const {
  if (::fsync(fd_) != 0)
    return ErrnoStatus(errno, fmt::format("writing {}", name));
  return Status::Ok();
}

void File::DropCache() const {
  (void)::posix_fadvise(fd_, 0, 0, POSIX_FADV_DONTNEED);
}

bool File::IsRegular() const {
  struct stat st;
  return ::fstat(fd_, &st) == 0 && S_ISREG(st.st_mode);
}

Result<std::uint64_t> File::Size() const {
  struct stat st;
  if (::fstat(fd_, &st) != 0) return ErrnoStatus(errno, "examining a file");
  return static_cast<std::uint64_t>(st.st_size);
}

Result<std::size_t> File::ReadAt(MutableByteSpan buf,
                                 std::uint64_t offset) const {
  for (;;) {
    ssize_t n =
        ::pread(fd_, buf.data(), buf.size(), static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoStatus(errno, "reading");
    return static_cast<std::size_t>(n);
  }
}

Status File::Seek(std::uint64_t offset) const {
  if (::lseek(fd_, static_cast<off_t>(offset), SEEK_SET) < 0)
    return ErrnoStatus(errno, "reading");
  return Status::Ok();
}

Result<File> CreateNewFile(const std::string& path, unsigned mode) {
  int fd =
      ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
             static_cast<mode_t>(mode));
  if (fd < 0) return ErrnoStatus(errno, fmt::format("creating {}", path));
  return File(fd);
}

Status MakeDirectory(const std::string& path, unsigned mode) {
  if (::mkdir(path.c_str(), static_cast<mode_t>(mode)) != 0)
    return ErrnoStatus(errno, fmt::format("creating {}", path));
  return Status::Ok();
}

Result<std::string> MakeTempDirectory(std::string_view prefix) {
  const char* tmp = std::getenv("TMPDIR");
  std::string t = std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") +
                  "/" + std::string(prefix) + "XXXXXX";
  std::vector<char> buf(t.begin(), t.end());
  buf.push_back('\0');
  if (::mkdtemp(buf.data()) == nullptr)
    return ErrnoStatus(errno,
                       fmt::format("creating a folder in {}", DirName(t)));
  return std::string(buf.data());
}

void RemoveEmptyDirectory(const std::string& path) { ::rmdir(path.c_str()); }

void RemoveFile(const std::string& path) { ::unlink(path.c_str()); }

Status Rename(const std::string& from, const std::string& to) {
  if (::rename(from.c_str(), to.c_str()) != 0)
    return ErrnoStatus(errno, fmt::format("renaming {}", from));
  return Status::Ok();
}

bool IsSymbolicLink(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0 && S_ISLNK(st.st_mode);
}

void SetMode(const std::string& path, unsigned mode) {
  ::chmod(path.c_str(), static_cast<mode_t>(mode));
}

std::int64_t ProcessId() { return ::getpid(); }

bool ProcessRuns(std::int64_t pid) {
  return pid > 0 && (::kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH);
}

std::string RealPath(const std::string& path) {
  char real[PATH_MAX];
  if (::realpath(path.c_str(), real) == nullptr) return "";
  return real;
}

namespace {

// The type of the mount holding `dir`, from mountinfo (the longest mount
// point that is a prefix of its real path).
std::string MountType(const std::string& dir) {
  std::string path = RealPath(dir);
  if (path.empty()) return "";
  std::ifstream in("/proc/self/mountinfo");
  std::string line, best_type;
  std::size_t best = 0;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string id, parent, devno, root, mount;
    fields >> id >> parent >> devno >> root >> mount;
    std::string token, type;
    while (fields >> token && token != "-") {
    }
    fields >> type;
    bool prefix = path == mount || mount == "/" ||
                  (path.compare(0, mount.size(), mount) == 0 &&
                   path.size() > mount.size() && path[mount.size()] == '/');
    if (prefix && mount.size() >= best) {
      best = mount.size();
      best_type = type;
    }
  }
  return best_type;
}

}  // namespace

Result<FileSystemInfo> DescribeFileSystem(const std::string& dir) {
  constexpr long kMsdosMagic = 0x4d44;
  constexpr long kExfatMagic = 0x2011BAB0;
  constexpr long kFuseMagic = 0x65735546;
  struct statfs st;
  if (::statfs(dir.c_str(), &st) != 0) {
    return ErrnoStatus(errno,
                       fmt::format("examining the file system of {}", dir));
  }
  FileSystemInfo info;
  info.type = MountType(dir);
  long magic = static_cast<long>(st.f_type);
  info.fat = magic == kMsdosMagic || info.type == "vfat" ||
             info.type == "msdos" || info.type == "fuse.fusefat" ||
             info.type == "fusefat";
  if (info.type.empty()) {
    info.type = magic == kMsdosMagic   ? "vfat"
                : magic == kExfatMagic ? "exfat"
                : magic == kFuseMagic  ? "fuse"
                                       : "unknown";
  }
  // Some FUSE file systems (fusefat among them) report no block counts.
  if (st.f_blocks > 0) {
    info.free_bytes = static_cast<std::uint64_t>(st.f_bavail) *
                      static_cast<std::uint64_t>(st.f_bsize);
  }
  return info;
}

Result<int> RunProgram(
    const std::string& exe, const std::vector<std::string>& args,
    const std::string& dir,
    const std::vector<std::pair<std::string, std::string>>& env, bool quiet) {
  // Everything the child needs is made before fork: after it, only
  // async-signal-safe calls.
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(exe.c_str()));
  for (const std::string& a : args)
    argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) return ErrnoStatus(errno, fmt::format("starting {}", exe));
  if (pid == 0) {
    if (::chdir(dir.c_str()) != 0) ::_exit(127);
    if (quiet) {
      int null = ::open("/dev/null", O_WRONLY);
      if (null >= 0) ::dup2(null, STDOUT_FILENO);
    }
    for (const auto& [name, value] : env)
      ::setenv(name.c_str(), value.c_str(), 1);
    ::execv(exe.c_str(), argv.data());
    ::_exit(127);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR)
      return ErrnoStatus(errno, fmt::format("waiting for {}", exe));
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

namespace {

template <typename Buffer>
Status ReadAllInto(int fd, const std::string& name, std::size_t max_size,
                   Buffer* buffer, std::size_t* size) {
  std::size_t got = 0;
  for (;;) {
    if (got == buffer->size()) {
      // One byte beyond the limit tells "too large" from "exactly full".
      std::uint8_t probe;
      ssize_t n = ::read(fd, &probe, 1);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return ErrnoStatus(errno, fmt::format("reading {}", name));
      if (n == 0) break;
      return Error(Code::kInvalidArgument, "{}: larger than {} bytes", name,
                   max_size);
    }
    ssize_t n = ::read(fd, buffer->data() + got, buffer->size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoStatus(errno, fmt::format("reading {}", name));
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
  }
  *size = got;
  return Status::Ok();
}

// Reads a whole file of at most `max_size` bytes into `out`, growing the
// buffer as data arrives (from the size fstat reports), so that a generous
// limit costs nothing for a small file.
Status ReadAllGrowing(int fd, const std::string& name, std::size_t max_size,
                      Bytes* out) {
  struct stat st;
  std::size_t guess = 64 * 1024;
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
    guess = static_cast<std::size_t>(st.st_size) + 1;
  out->resize(std::min(max_size, std::max<std::size_t>(guess, 1)));
  std::size_t got = 0;
  for (;;) {
    if (got == out->size()) {
      if (got == max_size) {
        std::uint8_t probe;
        ssize_t n = ::read(fd, &probe, 1);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return ErrnoStatus(errno, fmt::format("reading {}", name));
        if (n == 0) break;
        return Error(Code::kInvalidArgument, "{}: larger than {} bytes", name,
                     max_size);
      }
      out->resize(std::min(max_size, std::max<std::size_t>(got * 2, 4096)));
    }
    ssize_t n = ::read(fd, out->data() + got, out->size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoStatus(errno, fmt::format("reading {}", name));
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
  }
  out->resize(got);
  return Status::Ok();
}

}  // namespace

Result<Dir> Dir::Open(const std::string& path) {
  int fd =
      ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    if (err == ELOOP || err == ENOTDIR) {
      struct stat st;
      bool link = ::lstat(path.c_str(), &st) == 0 && S_ISLNK(st.st_mode);
      return Error(Code::kRejected, "{} is {}, not a folder", path,
                   link ? "a symbolic link" : "a file");
    }
    return ErrnoStatus(err, fmt::format("opening folder {}", path));
  }
  Dir d;
  d.path_ = path;
  d.fd_ = std::make_shared<File>(fd);
  return d;
}

namespace {

// The names in an open directory stream but "." and "..", sorted; closes
// the stream.
std::vector<std::string> SortedNames(DIR* d) {
  std::vector<std::string> names;
  while (dirent* e = ::readdir(d)) {
    std::string n = e->d_name;
    if (n != "." && n != "..") names.push_back(std::move(n));
  }
  ::closedir(d);
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace

Result<std::vector<std::string>> Dir::List() const {
  int fd = ::dup(fd_->fd());
  if (fd < 0) return ErrnoStatus(errno, fmt::format("listing {}", path_));
  DIR* d = ::fdopendir(fd);
  if (d == nullptr) {
    ::close(fd);
    return ErrnoStatus(errno, fmt::format("listing {}", path_));
  }
  ::rewinddir(d);
  return SortedNames(d);
}

Dir::Kind Dir::KindOf(const std::string& name) const {
  struct stat st;
  if (::fstatat(fd_->fd(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
    return Kind::kMissing;
  if (S_ISLNK(st.st_mode)) return Kind::kLink;
  if (S_ISREG(st.st_mode)) return Kind::kFile;
  if (S_ISDIR(st.st_mode)) return Kind::kFolder;
  return Kind::kOther;
}

Result<File> Dir::OpenFile(const std::string& name) const {
  int fd = ::openat(fd_->fd(), name.c_str(),
                    O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ELOOP) {
      return Error(Code::kRejected,
                   "{}/{} is a symbolic link; links are never followed", path_,
                   name);
    }
    return ErrnoStatus(errno, fmt::format("opening {}/{}", path_, name));
  }
  File f(fd);
  struct stat st;
  if (::fstat(fd, &st) != 0)
    return ErrnoStatus(errno, fmt::format("examining {}/{}", path_, name));
  if (!S_ISREG(st.st_mode)) {
    return Error(Code::kRejected, "{}/{} is not a regular file", path_, name);
  }
  // Back to blocking reads (O_NONBLOCK only kept a FIFO from hanging open).
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  return f;
}

Result<Bytes> Dir::ReadFile(const std::string& name, std::size_t max) const {
  XJ_ASSIGN_OR_RETURN(File f, OpenFile(name));
  Bytes data;
  XJ_RETURN_IF_ERROR(ReadAllGrowing(f.fd(), path_ + "/" + name, max, &data));
  return data;
}

Status Dir::SyncFileSystem() const {
  if (::syncfs(fd_->fd()) != 0) {
    return ErrnoStatus(errno,
                       fmt::format("flushing the file system of {}", path_));
  }
  return Status::Ok();
}

Result<std::uint64_t> Dir::Size(const std::string& name) const {
  struct stat st;
  if (::fstatat(fd_->fd(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    return ErrnoStatus(errno, fmt::format("examining {}/{}", path_, name));
  }
  return static_cast<std::uint64_t>(st.st_size);
}

Result<File> OpenForRead(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(errno, fmt::format("opening {}", path));
  File file(fd);
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    return ErrnoStatus(errno, fmt::format("examining {}", path));
  }
  if (S_ISDIR(st.st_mode)) {
    return Error(Code::kInvalidArgument, "{}: is a folder, expected a file",
                 path);
  }
  if (!S_ISREG(st.st_mode) && !S_ISFIFO(st.st_mode) && !S_ISCHR(st.st_mode)) {
    return Error(Code::kInvalidArgument, "{}: not a regular file", path);
  }
  return file;
}

Result<Bytes> ReadFile(const std::string& path, std::size_t max_size) {
  XJ_ASSIGN_OR_RETURN(File file, OpenForRead(path));
  Bytes data;
  XJ_RETURN_IF_ERROR(ReadAllGrowing(file.fd(), path, max_size, &data));
  return data;
}

Result<SecretBuffer> ReadSecretFile(const std::string& path,
                                    std::size_t max_size) {
  XJ_ASSIGN_OR_RETURN(File file, OpenForRead(path));
  XJ_ASSIGN_OR_RETURN(SecretBuffer data, SecretBuffer::Allocate(max_size));
  std::size_t size = 0;
  XJ_RETURN_IF_ERROR(ReadAllInto(file.fd(), path, max_size, &data, &size));
  data.Resize(size);
  return data;
}

Result<SecretBuffer> ReadSecretStdin(std::size_t max_size) {
  XJ_ASSIGN_OR_RETURN(SecretBuffer data, SecretBuffer::Allocate(max_size));
  std::size_t size = 0;
  XJ_RETURN_IF_ERROR(
      ReadAllInto(STDIN_FILENO, "standard input", max_size, &data, &size));
  data.Resize(size);
  return data;
}

bool Exists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

bool IsDirectory(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool IsRegularFile(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

Result<std::vector<std::string>> ListDirectory(const std::string& path) {
  DIR* d = ::opendir(path.c_str());
  if (d == nullptr) return ErrnoStatus(errno, fmt::format("listing {}", path));
  return SortedNames(d);
}

Result<std::uint64_t> FileSize(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    return ErrnoStatus(errno, fmt::format("examining {}", path));
  }
  return static_cast<std::uint64_t>(st.st_size);
}

Result<std::string> ExecutablePath() {
  char buf[4096];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n < 0) return ErrnoStatus(errno, "finding the program's own path");
  return std::string(buf, static_cast<std::size_t>(n));
}

Status MakeDirectories(const std::string& path, unsigned mode) {
  if (path.empty() || IsDirectory(path)) return Status::Ok();
  std::string parent = DirName(path);
  if (parent != path) XJ_RETURN_IF_ERROR(MakeDirectories(parent, mode));
  if (::mkdir(path.c_str(), mode) != 0 && errno != EEXIST) {
    return ErrnoStatus(errno, fmt::format("creating folder {}", path));
  }
  return Status::Ok();
}

bool SameFile(const std::string& a, const std::string& b) {
  struct stat sa, sb;
  return ::stat(a.c_str(), &sa) == 0 && ::stat(b.c_str(), &sb) == 0 &&
         sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

Status CopyFromStart(const File& file, Sink& sink) {
  if (::lseek(file.fd(), 0, SEEK_SET) != 0) {
    return ErrnoStatus(errno, "rewinding a temporary file");
  }
  FdSource source(file.fd());
  return Copy(source, sink);
}

bool IsTerminal(int fd) { return ::isatty(fd) == 1; }

namespace {
Status CancelledStatus() { return Status(Code::kCancelled, "interrupted"); }
}  // namespace

Result<std::size_t> FdSource::Read(MutableByteSpan buf) {
  for (;;) {
    if (g_cancelled.load()) return CancelledStatus();
    ssize_t n = ::read(fd_, buf.data(), buf.size());
    if (n >= 0) return static_cast<std::size_t>(n);
    if (errno != EINTR) return ErrnoStatus(errno, "reading input");
  }
}

Status FdSink::Write(ByteSpan data) {
  while (!data.empty()) {
    if (g_cancelled.load()) return CancelledStatus();
    ssize_t n = ::write(fd_, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      return ErrnoStatus(errno, name_.empty()
                                    ? std::string("writing output")
                                    : fmt::format("writing {}", name_));
    }
    data = data.subspan(static_cast<std::size_t>(n));
  }
  return Status::Ok();
}

std::string DirName(const std::string& path) {
  std::size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

std::string BaseName(const std::string& path) {
  std::size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

Status SyncDirectory(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(errno, fmt::format("opening folder {}", dir));
  File f(fd);
  // Some file systems (FUSE, some network ones) cannot sync a folder; the
  // rename is as durable as they allow, so that is not an error.
  if (::fsync(fd) != 0 && errno != EINVAL && errno != ENOTSUP) {
    return ErrnoStatus(errno, fmt::format("flushing folder {}", dir));
  }
  return Status::Ok();
}

Status RenameNoReplace(const std::string& from, const std::string& to) {
  if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(),
                  RENAME_NOREPLACE) == 0) {
    return Status::Ok();
  }
  int err = errno;
  if (err != EINVAL && err != ENOSYS) {
    return ErrnoStatus(err, fmt::format("renaming to {}", to));
  }
  // The file system cannot do it atomically; check, then rename.
  if (Exists(to)) return ErrnoStatus(EEXIST, fmt::format("renaming to {}", to));
  if (::rename(from.c_str(), to.c_str()) != 0) {
    return ErrnoStatus(errno, fmt::format("renaming to {}", to));
  }
  return Status::Ok();
}

Result<AtomicFile> AtomicFile::Create(const std::string& path, unsigned mode,
                                      Replace replace) {
  if (replace == Replace::kNever && Exists(path)) {
    return Error(Code::kAlreadyExists, "{} already exists", path)
        .WithRemedy(Remedy::kReplace);
  }
  AtomicFile out;
  out.path_ = path;
  out.replace_ = replace;
  std::string dir = DirName(path);
  int fd = ::open(dir.c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, mode);
  if (fd < 0) {
    int err = errno;
    if (err != EOPNOTSUPP && err != EISDIR && err != EINVAL) {
      return ErrnoStatus(err, fmt::format("creating {}", path));
    }
    // No anonymous files here (FAT, some FUSE): a named temporary instead.
    out.temp_path_ = dir + "/.xjtmp-" + RandomSuffix();
    fd = ::open(out.temp_path_.c_str(),
                O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
    if (fd < 0) return ErrnoStatus(errno, fmt::format("creating {}", path));
    out.slot_ = RegisterTemp(out.temp_path_);
  }
  out.file_ = File(fd);
  out.sink_ = FdSink(fd);
  return out;
}

AtomicFile::~AtomicFile() { Abort(); }

AtomicFile::AtomicFile(AtomicFile&& other) noexcept {
  *this = std::move(other);
}

AtomicFile& AtomicFile::operator=(AtomicFile&& other) noexcept {
  if (this != &other) {
    Abort();
    path_ = std::move(other.path_);
    temp_path_ = std::exchange(other.temp_path_, {});
    file_ = std::move(other.file_);
    sink_ = FdSink(file_.fd());
    replace_ = other.replace_;
    committed_ = std::exchange(other.committed_, true);
    slot_ = std::exchange(other.slot_, -1);
  }
  return *this;
}

void AtomicFile::Abort() {
  if (committed_) return;
  committed_ = true;
  file_ = File();
  if (!temp_path_.empty()) ::unlink(temp_path_.c_str());
  UnregisterTemp(std::exchange(slot_, -1));
}

Status AtomicFile::Commit() {
  if (committed_) return Status(Code::kInternal, "file committed twice");
  if (::fsync(file_.fd()) != 0) {
    Status s = ErrnoStatus(errno, fmt::format("writing {}", path_));
    Abort();
    return s;
  }
  Status s;
  if (temp_path_.empty()) {
    std::string proc = fmt::format("/proc/self/fd/{}", file_.fd());
    if (replace_ == Replace::kNever) {
      if (::linkat(AT_FDCWD, proc.c_str(), AT_FDCWD, path_.c_str(),
                   AT_SYMLINK_FOLLOW) != 0) {
        s = ErrnoStatus(errno, fmt::format("creating {}", path_));
      }
    } else {
      std::string temp = DirName(path_) + "/.xjtmp-" + RandomSuffix();
      if (::linkat(AT_FDCWD, proc.c_str(), AT_FDCWD, temp.c_str(),
                   AT_SYMLINK_FOLLOW) != 0) {
        s = ErrnoStatus(errno, fmt::format("creating {}", path_));
      } else if (::rename(temp.c_str(), path_.c_str()) != 0) {
        s = ErrnoStatus(errno, fmt::format("replacing {}", path_));
        ::unlink(temp.c_str());
      }
    }
  } else if (replace_ == Replace::kNever) {
    s = RenameNoReplace(temp_path_, path_);
  } else if (::rename(temp_path_.c_str(), path_.c_str()) != 0) {
    s = ErrnoStatus(errno, fmt::format("replacing {}", path_));
  }
  if (!s.ok()) {
    if (s.code() == Code::kAlreadyExists) {
      s = Error(Code::kAlreadyExists, "{} already exists", path_)
              .WithRemedy(Remedy::kReplace);
    }
    Abort();
    return s;
  }
  // The temporary name is gone; nothing to remove any more.
  temp_path_.clear();
  UnregisterTemp(std::exchange(slot_, -1));
  committed_ = true;
  XJ_RETURN_IF_ERROR(file_.Close(path_));
  return SyncDirectory(DirName(path_));
}

Result<File> CreateAnonymousTempFile() {
  const char* env = std::getenv("TMPDIR");
  std::string dir = (env != nullptr && env[0] == '/') ? env : "/tmp";
  int fd = ::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd >= 0) return File(fd);
  std::string name = dir + "/.xjtmp-" + RandomSuffix();
  fd = ::open(name.c_str(), O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
              0600);
  if (fd < 0) {
    return ErrnoStatus(errno,
                       fmt::format("creating a temporary file in {}", dir));
  }
  ::unlink(name.c_str());
  return File(fd);
}

void LowerThreadPriority() {
#if defined(__linux__)
  // SCHED_IDLE: the thread runs only on a core no other thread wants.
  struct sched_param none = {};
  if (::sched_setscheduler(0, SCHED_IDLE, &none) == 0) return;
  // PRIO_PROCESS with a thread id sets that thread's nice value alone.
  (void)::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), 10);
#endif
}

void HardenProcess() {
  struct rlimit none = {0, 0};
  ::setrlimit(RLIMIT_CORE, &none);
  ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

std::int64_t NowUnix() { return static_cast<std::int64_t>(std::time(nullptr)); }

namespace {
std::string FormatTime(std::int64_t unix_seconds, const char* format) {
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::size_t n = std::strftime(buf, sizeof buf, format, &tm);
  return std::string(buf, n);
}
}  // namespace

std::string FormatUtc(std::int64_t unix_seconds) {
  return FormatTime(unix_seconds, "%Y-%m-%dT%H:%M:%SZ");
}

std::string FormatUtcCompact(std::int64_t unix_seconds) {
  return FormatTime(unix_seconds, "%Y%m%dT%H%M%SZ");
}

Result<SecretBuffer> ReadPassphraseFromTerminal(std::string_view prompt,
                                                std::size_t max_size) {
  int fd = ::open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) {
    return Status(Code::kInvalidArgument,
                  "no terminal to ask for a passphrase on")
        .WithRemedy(Remedy::kPassphraseFile);
  }
  File tty(fd);
  struct termios saved;
  if (::tcgetattr(fd, &saved) != 0) {
    return ErrnoStatus(errno, "reading the terminal settings");
  }
  (void)!::write(fd, prompt.data(), prompt.size());
  g_tty_saved = saved;
  g_tty_fd.store(fd);
  struct termios quiet = saved;
  quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
  quiet.c_lflag |= ECHONL;
  ::tcsetattr(fd, TCSANOW, &quiet);
  Result<SecretBuffer> buf = SecretBuffer::Allocate(max_size);
  std::size_t n = 0;
  Status status;
  if (buf.ok()) {
    for (;;) {
      char c;
      ssize_t r = ::read(fd, &c, 1);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0 || c == '\n') break;
      if (n == max_size) {
        status = Error(Code::kInvalidArgument,
                       "passphrase longer than {} bytes", max_size);
        break;
      }
      buf->data()[n++] = static_cast<std::uint8_t>(c);
      c = 0;
    }
  }
  ::tcsetattr(fd, TCSANOW, &saved);
  g_tty_fd.store(-1);
  if (!buf.ok()) return buf.status();
  XJ_RETURN_IF_ERROR(status);
  if (n > 0 && buf->data()[n - 1] == '\r') --n;
  buf->Resize(n);
  return std::move(buf).value();
}

CancellableScope::CancellableScope() { g_cancellable.fetch_add(1); }
CancellableScope::~CancellableScope() { g_cancellable.fetch_sub(1); }
bool Cancelled() { return g_cancelled.load(); }

void InstallInterruptCleanup() {
  struct sigaction sa {};
  sa.sa_handler = OnInterrupt;
  sigemptyset(&sa.sa_mask);
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) ::sigaction(sig, &sa, nullptr);
}

}  // namespace xj::os
