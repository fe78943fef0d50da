#include "libpack/media.h"

#include "libpack/stick.h"

namespace xj::pack {

Result<MediaInfo> ProbeMedia(const std::string& dir) {
  XJ_ASSIGN_OR_RETURN(os::FileSystemInfo fs, os::DescribeFileSystem(dir));
  MediaInfo info;
  info.fs_type = std::move(fs.type);
  info.fat = fs.fat;
  info.free_bytes = fs.free_bytes;
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
  XJ_ASSIGN_OR_RETURN(file_, os::CreateNewFile(path, 0644));
  path_ = std::move(path);
  hasher_ = std::make_unique<keys::Hasher>(keys::Hasher::Algorithm::kSha512);
  size_ = 0;
  return Status::Ok();
}

Status VolumeWriter::Close() {
  if (!file_.is_open()) return Status::Ok();
  std::string name = stick::NumberedVolumeName(done_.size() + 1);
  XJ_RETURN_IF_ERROR(file_.Sync(name));
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
    XJ_RETURN_IF_ERROR(os::Rename(from, to));
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
