// Feeds bytes to the BagIt tag-file parsers (formats/bagit.h): as
// bag-info.txt, as a SHA-512 manifest, and as a path inside a bag. Asserts
// that bag-info.txt and a manifest that parse are written back to exactly
// their bytes, and that a path CheckPath accepts really is safe to create
// under a folder on FAT or ext4: relative, no empty, "." or ".."
// component, valid UTF-8 without controls, at most 240 characters.
#include <cstdint>

#include "base/bytes.h"
#include "formats/bagit.h"
#include "formats/utf8.h"
#include "fuzz_util.h"

namespace {

using namespace xj;
namespace bagit = formats::bagit;

void CheckSafe(std::string_view path) {
  FUZZ_CHECK(!path.empty() && path.front() != '/' && path.back() != '/');
  FUZZ_CHECK(formats::IsValidUtf8(path));
  FUZZ_CHECK(IsPlainText(path));
  std::size_t chars = 0;
  for (char c : path) chars += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  FUZZ_CHECK(chars <= 240);
  std::size_t start = 0;
  for (;;) {
    std::size_t slash = path.find('/', start);
    std::string_view part = path.substr(start, slash - start);
    FUZZ_CHECK(!part.empty() && part != "." && part != "..");
    FUZZ_CHECK(part.find_first_of(std::string_view("\\:*?\"<>|\0", 10)) ==
               std::string_view::npos);
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  std::string_view text = fuzz::AsText(data, size);

  Result<bagit::BagInfo> info = bagit::ParseBagInfo(text);
  if (info.ok()) {
    FUZZ_CHECK(bagit::SerializeBagInfo(*info) == text);
    Result<bagit::BagInfo> again =
        bagit::ParseBagInfo(bagit::SerializeBagInfo(*info));
    FUZZ_CHECK(again.ok());
  }

  auto manifest = bagit::ParseManifest(text);
  if (manifest.ok()) {
    std::string out;
    for (const auto& [path, hash] : *manifest) {
      FUZZ_CHECK(hash.size() == 128);
      out += bagit::ManifestLine(hash, path);
      if (bagit::CheckPath(path).ok()) CheckSafe(path);
    }
    FUZZ_CHECK(out == text);
  }

  if (bagit::CheckPath(text).ok()) CheckSafe(text);
  return 0;
}
