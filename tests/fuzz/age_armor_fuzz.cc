// Feeds bytes to the age ASCII-armor reader (formats/age_armor.h). Asserts
// that what it decodes, armored again by ArmorWriter, decodes to the same
// bytes; that the writer's output is byte-exact when the input was already
// canonical (BEGIN at byte 0, LF only, nothing after END); and that
// LooksArmored holds for anything the reader accepted.
#include <cstdint>

#include "base/io.h"
#include "formats/age_armor.h"
#include "fuzz_util.h"

namespace {

using namespace xj;

// Decodes all of `armored`; false when the armor is refused.
bool Decode(ByteSpan armored, Bytes* out) {
  MemorySource source(armored);
  BufferedReader reader(&source, 4096);
  formats::age::ArmorReader armor(&reader);
  std::uint8_t buf[100];
  for (;;) {
    Result<std::size_t> n = armor.Read(MutableByteSpan(buf));
    if (!n.ok()) {
      FUZZ_CHECK(armor.failed());
      return false;
    }
    if (*n == 0) return true;
    FUZZ_CHECK(*n <= sizeof buf);
    out->insert(out->end(), buf, buf + *n);
    FUZZ_CHECK(out->size() <= armored.size());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  ByteSpan input(data, size);
  Bytes plain;
  if (!Decode(input, &plain)) return 0;
  FUZZ_CHECK(formats::age::LooksArmored(input));
  Bytes again;
  MemorySink sink(&again);
  formats::age::ArmorWriter writer(&sink);
  FUZZ_CHECK(writer.Write(plain).ok());
  FUZZ_CHECK(writer.Finish().ok());
  Bytes decoded;
  FUZZ_CHECK(Decode(again, &decoded));
  FUZZ_CHECK(decoded == plain);
  std::string_view text = fuzz::AsText(data, size);
  if (text.substr(0, formats::age::kArmorBegin.size()) ==
          formats::age::kArmorBegin &&
      text.find('\r') == std::string_view::npos &&
      text.size() >= formats::age::kArmorEnd.size() + 1 &&
      text.substr(text.size() - formats::age::kArmorEnd.size() - 1) ==
          std::string(formats::age::kArmorEnd) + "\n") {
    FUZZ_CHECK(AsChars(again) == text);
  }
  return 0;
}
