#include "libpack/media.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <sstream>

#include "libpack/stick.h"

namespace xj::pack {
namespace {

constexpr long kMsdosMagic = 0x4d44;
constexpr long kExfatMagic = 0x2011BAB0;
constexpr long kFuseMagic = 0x65735546;

// The file system type of the mount holding `dir`, from mountinfo (the
// longest mount point that is a prefix of its real path).
std::string MountType(const std::string& dir) {
  char real[4096];
  if (::realpath(dir.c_str(), real) == nullptr) return "";
  std::string path = real;
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

Result<MediaInfo> ProbeMedia(const std::string& dir) {
  struct statfs st;
  if (::statfs(dir.c_str(), &st) != 0) {
    return os::ErrnoStatus(errno,
                           fmt::format("examining the file system of {}", dir));
  }
  MediaInfo info;
  info.fs_type = MountType(dir);
  long magic = static_cast<long>(st.f_type);
  info.fat = magic == kMsdosMagic || info.fs_type == "vfat" ||
             info.fs_type == "msdos" || info.fs_type == "fuse.fusefat" ||
             info.fs_type == "fusefat";
  if (info.fs_type.empty()) {
    info.fs_type = magic == kMsdosMagic   ? "vfat"
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

Status CheckRoom(const MediaInfo& info, const std::string& dir,
                 std::uint64_t needed, std::string_view what,
                 std::string_view hint) {
  if (!info.free_bytes) return Status::Ok();
  if (*info.free_bytes < needed) {
    return Error(Code::kNoSpace,
                 "{} has {} bytes free ({:.1f} MiB); {} needs {} bytes "
                 "({:.1f} MiB)",
                 dir, *info.free_bytes,
                 static_cast<double>(*info.free_bytes) / 1048576.0, what,
                 needed, static_cast<double>(needed) / 1048576.0)
        .WithHint(std::string(hint));
  }
  return Status::Ok();
}

VolumeWriter::VolumeWriter(std::string dir, std::uint64_t max_size)
    : dir_(std::move(dir)), max_size_(max_size) {}
VolumeWriter::~VolumeWriter() = default;

Status VolumeWriter::Open() {
  std::string path =
      stick::In(dir_, stick::NumberedVolumeName(done_.size() + 1));
  int fd = ::open(path.c_str(),
                  O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd < 0) return os::ErrnoStatus(errno, fmt::format("creating {}", path));
  file_ = os::File(fd);
  path_ = std::move(path);
  hasher_ = std::make_unique<keys::Hasher>(keys::Hasher::Algorithm::kSha512);
  size_ = 0;
  return Status::Ok();
}

Status VolumeWriter::Close() {
  if (!file_.is_open()) return Status::Ok();
  std::string name = stick::NumberedVolumeName(done_.size() + 1);
  if (::fsync(file_.fd()) != 0)
    return os::ErrnoStatus(errno, fmt::format("writing {}", name));
  XJ_RETURN_IF_ERROR(file_.Close(name));
  done_.push_back({name, size_, ToHex(hasher_->Finish())});
  return Status::Ok();
}

Status VolumeWriter::Write(ByteSpan data) {
  while (!data.empty()) {
    if (!file_.is_open()) XJ_RETURN_IF_ERROR(Open());
    std::size_t take = static_cast<std::size_t>(
        std::min<std::uint64_t>(data.size(), max_size_ - size_));
    os::FdSink sink(file_.fd(), path_);
    XJ_RETURN_IF_ERROR(sink.Write(data.subspan(0, take)));
    hasher_->Update(data.subspan(0, take));
    size_ += take;
    total_ += take;
    data = data.subspan(take);
    if (size_ == max_size_) XJ_RETURN_IF_ERROR(Close());
  }
  return Status::Ok();
}

Result<std::vector<VolumeFile>> VolumeWriter::Finish() {
  if (!file_.is_open() && done_.empty()) XJ_RETURN_IF_ERROR(Open());
  XJ_RETURN_IF_ERROR(Close());
  if (done_.size() == 1) {
    std::string from = stick::In(dir_, done_[0].name),
                to = stick::In(dir_, stick::kPayload);
    if (::rename(from.c_str(), to.c_str()) != 0) {
      return os::ErrnoStatus(errno, fmt::format("renaming {}", from));
    }
    done_[0].name = std::string(stick::kPayload);
  }
  return done_;
}

Result<std::size_t> VolumeReader::Read(MutableByteSpan buf) {
  for (;;) {
    if (!file_.is_open()) {
      if (next_ == paths_.size()) return std::size_t{0};
      XJ_ASSIGN_OR_RETURN(file_, os::OpenForRead(paths_[next_++]));
    }
    os::FdSource src(file_.fd());
    XJ_ASSIGN_OR_RETURN(std::size_t n, src.Read(buf));
    if (n > 0) return n;
    file_ = os::File();
  }
}

}  // namespace xj::pack
