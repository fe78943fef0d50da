// Tar as bundles use it (xjpack-bundle(5)): POSIX pax (restricted: plain
// ustar headers unless a name needs more), regular files only, owner 0,
// mode 0644, one fixed modification time, written in the order given. The
// reader refuses everything else before a byte of the entry is used:
// links, devices, directories as entries, absolute or ".." paths, names
// repeated or differing only in case, sparse files, and more files or bytes
// than the caller allows.
#pragma once

#include <cstdint>
#include <memory>
#include <set>
#include <string>

#include "base/io.h"
#include "base/status.h"

namespace xj::pack {

class TarWriter {
 public:
  static Result<std::unique_ptr<TarWriter>> Create(Sink* out,
                                                   std::int64_t mtime);
  ~TarWriter();
  /// Starts an entry of `size` bytes; its data follows with Data().
  Status Begin(const std::string& path, std::uint64_t size);
  Status Data(ByteSpan data);
  /// Ends the archive (the end-of-archive blocks). Call once.
  Status Finish();

  struct Impl;

 private:
  explicit TarWriter(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

struct TarLimits {
  std::uint64_t max_files = 1000000;
  std::string max_files_why;  // where max_files comes from, for the message
  std::uint64_t max_file_size = std::uint64_t{1} << 32;
  std::uint64_t max_total = std::uint64_t{1} << 40;
};

struct TarEntry {
  std::string path;
  std::uint64_t size = 0;
};

class TarReader {
 public:
  static Result<std::unique_ptr<TarReader>> Open(Source* in,
                                                 const TarLimits& limits);
  ~TarReader();
  /// The next entry, checked; false at the end of the archive.
  Result<bool> Next(TarEntry* entry);
  /// Data of the current entry; 0 at its end.
  Result<std::size_t> Read(MutableByteSpan buf);
  /// After Next() said the end: reads the source to its end and fails with
  /// kTrailingData unless only zeros follow the end-of-archive blocks.
  Status Finish();

  struct Impl;

 private:
  explicit TarReader(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace xj::pack
