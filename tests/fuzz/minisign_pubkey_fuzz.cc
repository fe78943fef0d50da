// Feeds bytes to minisign's public-key parsers (formats/minisign.h): as a
// key file and as the bare "RW..." key string. Asserts that a key string
// encodes back to the same text, and that a key file's key, written again
// by EncodePublicKeyFile, parses to the same key id and key; when the
// input is already in the form xjpack writes, the bytes are the same.
#include <cstdint>

#include "formats/minisign.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  using namespace xj;
  namespace ms = formats::minisign;
  std::string_view text = fuzz::AsText(data, size);

  Result<ms::PublicKey> key = ms::ParsePublicKeyString(text);
  if (key.ok()) FUZZ_CHECK(ms::EncodePublicKeyString(*key) == text);

  Result<ms::PublicKey> file = ms::ParsePublicKeyFile(text);
  if (file.ok()) {
    std::string encoded = ms::EncodePublicKeyFile(*file);
    Result<ms::PublicKey> again = ms::ParsePublicKeyFile(encoded);
    FUZZ_CHECK(again.ok());
    FUZZ_CHECK(again->key_id == file->key_id && again->key == file->key);
    // Only the untrusted comment may differ from what xjpack writes.
    std::string_view key_line = text.substr(text.find('\n') + 1);
    if (!key_line.empty() && key_line.back() == '\n') key_line.remove_suffix(1);
    FUZZ_CHECK(ms::EncodePublicKeyString(*file) == key_line);
    std::string_view ours = encoded;
    if (text.substr(0, text.find('\n')) == ours.substr(0, ours.find('\n')) &&
        text.back() == '\n') {
      FUZZ_CHECK(text == ours);
    }
  }
  return 0;
}
