#include "formats/age_keys.h"

#include <cstring>

#include "formats/bech32.h"

namespace xj::formats::age {
namespace {

constexpr std::string_view kRecipientHrp = "age";
constexpr std::string_view kIdentityHrp = "AGE-SECRET-KEY-";

bool StartsWith(std::string_view s, std::string_view p) {
  return s.substr(0, p.size()) == p;
}

// Calls `each(line_number, line)` for every line that is not blank or a
// comment, with a CR before the LF removed.
template <typename F>
Status ForEachKeyLine(std::string_view text, F each) {
  int line_no = 0;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t nl = text.find('\n', start);
    if (nl == std::string_view::npos) nl = text.size();
    std::string_view line = text.substr(start, nl - start);
    start = nl + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || line.front() == '#') continue;
    XJ_RETURN_IF_ERROR(each(line_no, line));
  }
  return Status::Ok();
}

}  // namespace

std::string EncodeRecipient(const X25519Key& public_key) {
  return EncodeBech32(kRecipientHrp, public_key, /*upper=*/false);
}

Result<X25519Key> ParseRecipient(std::string_view text) {
  if (!StartsWith(text, "age1")) {
    return Error(Code::kBadKey, "not an age recipient: expected \"age1...\"");
  }
  Result<Bech32> decoded = DecodeBech32(text);
  if (!decoded.ok()) {
    return Error(Code::kBadKey, "not an age recipient: {}",
                 decoded.status().message());
  }
  // Told apart by the human-readable part (what comes before the last
  // "1"), not by how the text begins: an X25519 recipient's data may well
  // begin "tag" (one key in about 33 000 does).
  if (decoded->hrp == "age1pq" || decoded->hrp == "age1tag") {
    return Error(Code::kUnsupported,
                 "post-quantum and hardware-tag recipients are not supported");
  }
  if (decoded->hrp != kRecipientHrp) {
    return Error(Code::kUnsupported,
                 "age plugin recipients (\"{}1...\") are not supported",
                 decoded->hrp);
  }
  if (decoded->data.size() != 32) {
    return Error(Code::kBadKey, "age recipient holds {} bytes, expected 32",
                 decoded->data.size());
  }
  X25519Key key;
  std::memcpy(key.data(), decoded->data.data(), 32);
  return key;
}

Result<SecretBuffer> EncodeIdentity(ByteSpan secret) {
  std::string text = EncodeBech32(kIdentityHrp, secret, /*upper=*/true);
  Result<SecretBuffer> out = SecretBuffer::CopyOf(AsBytes(text));
  Wipe(text.data(), text.size());
  return out;
}

Result<SecretBuffer> ParseIdentity(std::string_view text) {
  if (StartsWith(text, "AGE-SECRET-KEY-PQ-1")) {
    return Error(Code::kUnsupported,
                 "post-quantum identities (AGE-SECRET-KEY-PQ-1...) are not "
                 "supported");
  }
  if (StartsWith(text, "AGE-PLUGIN-")) {
    return Error(Code::kUnsupported, "age plugin identities are not supported");
  }
  if (!StartsWith(text, "AGE-SECRET-KEY-1")) {
    return Error(Code::kBadKey,
                 "not an age identity: expected \"AGE-SECRET-KEY-1...\"");
  }
  Result<Bech32> decoded = DecodeBech32(text);
  if (!decoded.ok()) {
    return Error(Code::kBadKey, "not an age identity: {}",
                 decoded.status().message());
  }
  Bech32 value = std::move(decoded).value();
  Status s;
  if (value.hrp != kIdentityHrp) {
    s = Error(Code::kBadKey, "not an age identity: must be uppercase");
  } else if (value.data.size() != 32) {
    s = Error(Code::kBadKey, "age identity holds {} bytes, expected 32",
              value.data.size());
  }
  Result<SecretBuffer> out =
      s.ok() ? SecretBuffer::CopyOf(value.data) : Result<SecretBuffer>(s);
  Wipe(value.data.data(), value.data.size());
  return out;
}

Result<std::vector<SecretBuffer>> ParseIdentityFile(std::string_view text) {
  std::vector<SecretBuffer> identities;
  XJ_RETURN_IF_ERROR(
      ForEachKeyLine(text, [&](int line_no, std::string_view line) {
        Result<SecretBuffer> id = ParseIdentity(line);
        if (!id.ok())
          return id.status().WithContext(fmt::format("line {}", line_no));
        identities.push_back(std::move(id).value());
        return Status::Ok();
      }));
  if (identities.empty()) {
    return Error(Code::kBadKey,
                 "no identity found (expected a line "
                 "\"AGE-SECRET-KEY-1...\")");
  }
  return identities;
}

Result<std::vector<X25519Key>> ParseRecipientsFile(std::string_view text) {
  std::vector<X25519Key> recipients;
  XJ_RETURN_IF_ERROR(
      ForEachKeyLine(text, [&](int line_no, std::string_view line) {
        Result<X25519Key> r = ParseRecipient(line);
        if (!r.ok())
          return r.status().WithContext(fmt::format("line {}", line_no));
        recipients.push_back(*r);
        return Status::Ok();
      }));
  if (recipients.empty()) {
    return Error(Code::kBadKey,
                 "no recipient found (expected a line "
                 "\"age1...\")");
  }
  return recipients;
}

}  // namespace xj::formats::age
