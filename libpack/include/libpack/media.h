// The destination of a bundle: what file system it is, how much room it
// has, how large one file may be there; and volumes, the files a payload
// is split into.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/io.h"
#include "base/os.h"
#include "base/status.h"
#include "keys/crypto.h"

namespace xj::pack {

/// FAT32's largest file, and the default volume size on every file system
/// (bundles get copied to FAT32 sticks later).
inline constexpr std::uint64_t kMaxVolumeSize = (std::uint64_t{4} << 30) - 1;

struct MediaInfo {
  std::string fs_type;  ///< "vfat", "fuse.fusefat", "exfat", "ext4", ...
  bool fat = false;     ///< a FAT file system: files ≤ 4 GiB − 1
  std::optional<std::uint64_t> free_bytes;  ///< unknown on some FUSE mounts
};

/// Looks at the file system holding `dir`: statfs, then /proc/self/mountinfo
/// for the type of FUSE mounts (fusefat, exfat-fuse, ntfs-3g).
Result<MediaInfo> ProbeMedia(const std::string& dir);

/// Refuses, with the numbers, when `needed` bytes will not fit: "DIR has
/// N bytes free; WHAT needs M bytes", and the hint.
Status CheckRoom(const MediaInfo& info, const std::string& dir,
                 std::uint64_t needed, std::string_view what,
                 std::string_view hint);

/// One volume of a written payload.
struct VolumeFile {
  std::string name;  ///< "payload.tar.zst.age" or "payload.tar.zst.age.001"
  std::uint64_t size = 0;
  std::string sha512;
};

/// Writes what it is given into volumes of at most `max_size` bytes in
/// `dir` (already private and empty), hashing each as it goes. The files
/// are named .001, .002, ... while written; Finish() renames a lone volume
/// to the unnumbered name (stick::VolumeNames).
class VolumeWriter final : public Sink {
 public:
  VolumeWriter(std::string dir, std::uint64_t max_size);
  ~VolumeWriter() override;
  Status Write(ByteSpan data) override;
  Result<std::vector<VolumeFile>> Finish();
  std::uint64_t written() const { return total_; }

 private:
  Status Open();
  Status Close();

  std::string dir_;
  std::string path_;  // the volume being written
  std::uint64_t max_size_;
  os::File file_;
  std::unique_ptr<keys::Hasher> hasher_;
  std::uint64_t size_ = 0, total_ = 0;
  std::vector<VolumeFile> done_;
};

/// Reads volumes one after another as one stream.
class VolumeReader final : public Source {
 public:
  explicit VolumeReader(std::vector<std::string> paths)
      : paths_(std::move(paths)) {}
  Result<std::size_t> Read(MutableByteSpan buf) override;

 private:
  std::vector<std::string> paths_;
  std::size_t next_ = 0;
  os::File file_;
};

}  // namespace xj::pack
