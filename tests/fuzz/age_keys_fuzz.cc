// Feeds bytes to age's key-string and key-file parsers
// (formats/age_keys.h): an identity file, a recipients file, and the text
// as one identity or recipient string. Asserts that every key parsed
// encodes back to the exact line it came from (keys have one spelling),
// and that a file holds as many keys as it has key lines.
#include <cstdint>

#include "formats/age_keys.h"
#include "fuzz_util.h"

namespace {

using namespace xj;

// The lines of an age key file that are not blank or comments.
std::vector<std::string_view> KeyLines(std::string_view text) {
  std::vector<std::string_view> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t nl = text.find('\n', start);
    if (nl == std::string_view::npos) nl = text.size();
    std::string_view line = text.substr(start, nl - start);
    start = nl + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || line.front() == '#') continue;
    lines.push_back(line);
  }
  return lines;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  std::string_view text = fuzz::AsText(data, size);
  namespace age = formats::age;

  Result<std::vector<SecretBuffer>> ids = age::ParseIdentityFile(text);
  if (ids.ok()) {
    std::vector<std::string_view> lines = KeyLines(text);
    FUZZ_CHECK(ids->size() == lines.size());
    for (std::size_t i = 0; i < lines.size(); ++i) {
      FUZZ_CHECK((*ids)[i].size() == 32);
      Result<SecretBuffer> encoded = age::EncodeIdentity((*ids)[i].span());
      FUZZ_CHECK(encoded.ok());
      FUZZ_CHECK(encoded->view() == lines[i]);
    }
  }
  Result<std::vector<age::X25519Key>> recipients =
      age::ParseRecipientsFile(text);
  if (recipients.ok()) {
    std::vector<std::string_view> lines = KeyLines(text);
    FUZZ_CHECK(recipients->size() == lines.size());
    for (std::size_t i = 0; i < lines.size(); ++i)
      FUZZ_CHECK(age::EncodeRecipient((*recipients)[i]) == lines[i]);
  }
  Result<age::X25519Key> recipient = age::ParseRecipient(text);
  if (recipient.ok()) FUZZ_CHECK(age::EncodeRecipient(*recipient) == text);
  Result<SecretBuffer> identity = age::ParseIdentity(text);
  if (identity.ok()) {
    Result<SecretBuffer> encoded = age::EncodeIdentity(identity->span());
    FUZZ_CHECK(encoded.ok() && encoded->view() == text);
  }
  return 0;
}
