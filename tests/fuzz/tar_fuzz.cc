// Feeds bytes as a tar archive to the reader bundles use (libpack/tar.h),
// with the limits unpack derives from a statement's bag-oxum (here a bag of
// 16 files and 1 MiB): walks every entry, reads all its data, and checks
// the end (only zeros may follow). Asserts that no entry yields more bytes
// than its header declared, that every accepted name passes the bag path
// check, is unique and within the limits, and that an archive that reads
// cleanly, written again by TarWriter, reads back to the same entries and
// contents.
#include <cstdint>
#include <set>
#include <utility>
#include <vector>

#include "base/io.h"
#include "formats/bagit.h"
#include "fuzz_util.h"
#include "libpack/tar.h"

namespace {

using namespace xj;

constexpr std::uint64_t kOctets = 1 << 20, kFiles = 16, kTagFiles = 4;

pack::TarLimits UnpackLimits() {
  pack::TarLimits limits;
  limits.max_files = kFiles + kTagFiles;
  limits.max_total =
      kOctets + (kFiles + 8) * (3 * 512 + 256) + (std::uint64_t{16} << 20);
  return limits;
}

using Entries = std::vector<std::pair<std::string, Bytes>>;

// Reads the whole archive; false when the reader refuses it.
bool ReadAll(ByteSpan archive, Entries* entries) {
  pack::TarLimits limits = UnpackLimits();
  MemorySource source(archive);
  Result<std::unique_ptr<pack::TarReader>> tar =
      pack::TarReader::Open(&source, limits);
  if (!tar.ok()) return false;
  std::set<std::string> names;
  std::uint64_t total = 0;
  Bytes buf(1 << 16);
  pack::TarEntry e;
  for (;;) {
    Result<bool> more = (*tar)->Next(&e);
    if (!more.ok()) return false;
    if (!*more) break;
    FUZZ_CHECK(formats::bagit::CheckPath(e.path).ok());
    FUZZ_CHECK(names.insert(e.path).second);
    FUZZ_CHECK(names.size() <= limits.max_files);
    FUZZ_CHECK(e.size <= limits.max_file_size);
    total += e.size;
    FUZZ_CHECK(total <= limits.max_total);
    Bytes content;
    for (;;) {
      Result<std::size_t> n = (*tar)->Read(buf);
      if (!n.ok()) return false;
      if (*n == 0) break;
      content.insert(content.end(), buf.begin(), buf.begin() + *n);
      FUZZ_CHECK(content.size() <= e.size);
    }
    // A short entry is the caller's to refuse ("cut short").
    if (content.size() != e.size) return false;
    entries->emplace_back(e.path, std::move(content));
  }
  return (*tar)->Finish().ok();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  Entries entries;
  if (!ReadAll(ByteSpan(data, size), &entries)) return 0;

  Bytes rewritten;
  MemorySink sink(&rewritten);
  Result<std::unique_ptr<pack::TarWriter>> writer =
      pack::TarWriter::Create(&sink, 1767225600);
  FUZZ_CHECK(writer.ok());
  for (const auto& [path, content] : entries) {
    FUZZ_CHECK((*writer)->Begin(path, content.size()).ok());
    FUZZ_CHECK((*writer)->Data(content).ok());
  }
  FUZZ_CHECK((*writer)->Finish().ok());
  Entries again;
  FUZZ_CHECK(ReadAll(rewritten, &again));
  FUZZ_CHECK(again == entries);
  return 0;
}
