// What the check of held bundles reads of an extracted bag: the files on
// the disk, or what the extraction kept of them as it wrote them.
//
// An extraction hashes every file it writes; for the small files of a held
// child (statements, signatures, chain files, tag files) it may also keep
// the bytes, so that checking the child reads the very bytes that were
// hashed instead of opening a dozen files a school again. Every answer a
// kept view cannot give from memory (a file it did not keep, a path outside
// the part it covers, anything missing) comes from the disk, as it would
// without it, so both views fail the same way on the same tree.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/os.h"
#include "base/status.h"

namespace xj::pack {

/// One folder, as os::Dir: names sorted, links never followed.
class Folder {
 public:
  virtual ~Folder() = default;
  virtual Result<std::vector<std::string>> List() const = 0;
  virtual os::Dir::Kind KindOf(const std::string& name) const = 0;
  /// A whole regular file of at most `max` bytes (kInvalidArgument when
  /// larger, as os::Dir::ReadFile).
  virtual Result<Bytes> ReadFile(const std::string& name,
                                 std::size_t max) const = 0;
  virtual const std::string& path() const = 0;
};

/// Paths are full paths, as the os:: functions take them.
class FileView {
 public:
  virtual ~FileView() = default;
  /// As os::Dir::Open: kRejected for a link or anything but a folder.
  virtual Result<std::unique_ptr<Folder>> Open(const std::string& path) const;
  /// As os::ReadFile.
  virtual Result<Bytes> ReadFile(const std::string& path,
                                 std::size_t max) const;
  /// As os::IsDirectory, os::ListDirectory and os::FileSize.
  virtual bool IsDirectory(const std::string& path) const;
  virtual Result<std::vector<std::string>> List(const std::string& path) const;
  virtual Result<std::uint64_t> Size(const std::string& path) const;
};

/// The disk itself.
const FileView& DiskFiles();

/// What an extraction wrote, by path relative to the bag: each file's size,
/// and the bytes of those it kept. Keys and bytes are views of strings the
/// caller keeps (the files handed over, not copies of them).
using PathSizes = std::map<std::string_view, std::uint64_t, std::less<>>;
using PathBytes = std::map<std::string_view, std::string_view, std::less<>>;

/// The files an extraction wrote below `root` + "/" + `scope` (paths
/// relative to `root`), each with its size, and the bytes of those it
/// kept. Below the scope, what is a folder is answered from the paths
/// written alone (the archive makes no empty folder); files not kept are
/// read from the disk, and what is outside the scope is the disk's. Both
/// maps must outlive the view.
class KeptFiles : public FileView {
 public:
  KeptFiles(std::string root, std::string scope, const PathSizes& sizes,
            const PathBytes& bytes);
  Result<std::unique_ptr<Folder>> Open(const std::string& path) const override;
  Result<Bytes> ReadFile(const std::string& path,
                         std::size_t max) const override;
  bool IsDirectory(const std::string& path) const override;
  Result<std::vector<std::string>> List(const std::string& path) const override;
  Result<std::uint64_t> Size(const std::string& path) const override;

  /// `path` relative to the root when the view covers it (one spelling:
  /// no doubled or trailing slashes), else false.
  bool Covers(const std::string& path, std::string* rel) const;
  /// What the extraction wrote at `rel`: a file, a folder (a file below
  /// it), or kMissing (then the disk is asked).
  os::Dir::Kind KindOfRel(const std::string& rel) const;
  /// The names just below the folder `rel`; empty if none were written.
  std::vector<std::string> ListRel(const std::string& rel) const;
  /// The kept bytes of the file `rel`, or null.
  const std::string_view* BytesOf(const std::string& rel) const;

 private:
  std::string root_, scope_;
  const PathSizes& sizes_;
  const PathBytes& bytes_;
};

}  // namespace xj::pack
