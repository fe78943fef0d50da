#include "formats/minisign.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <vector>

#include "base/bytes.h"
#include "formats/base64.h"
#include "formats/utf8.h"

namespace xj::formats::minisign {
namespace {

constexpr std::size_t kPublicKeyBytes = 42;  // "Ed" || key id || key
constexpr std::size_t kSignatureBytes = 74;  // alg || key id || signature

// Splits a file into lines on LF. A final LF is optional; a CR anywhere is
// refused with a message about Windows line ends.
Result<std::vector<std::string_view>> SplitLines(std::string_view text,
                                                 std::size_t expected,
                                                 std::string_view what) {
  if (text.find('\r') != std::string_view::npos) {
    return Error(Code::kMalformed,
                 "{} has CRLF line endings (converted on Windows?); expected "
                 "LF only",
                 what);
  }
  std::vector<std::string_view> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t nl = text.find('\n', start);
    if (nl == std::string_view::npos) nl = text.size();
    lines.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  if (lines.size() < expected) {
    return Error(Code::kTruncated, "{} has {} line(s), expected {}", what,
                 lines.size(), expected);
  }
  if (lines.size() > expected) {
    return Error(Code::kTrailingData, "{}: unexpected data after line {}", what,
                 expected);
  }
  return lines;
}

Status CheckUntrusted(std::string_view line, std::string_view what) {
  if (line.substr(0, kUntrustedPrefix.size()) != kUntrustedPrefix) {
    return Error(Code::kMalformed,
                 "{}: line 1: expected \"untrusted comment: ...\"", what);
  }
  if (line.size() + 1 > kMaxUntrustedLine) {
    return Error(Code::kMalformed, "{}: line 1: comment longer than {} bytes",
                 what, kMaxUntrustedLine - 1);
  }
  if (!IsValidUtf8(line)) {
    return Error(Code::kMalformed, "{}: line 1: not valid UTF-8", what);
  }
  return Status::Ok();
}

}  // namespace

std::string KeyIdToString(const KeyId& id) {
  // The id as a little-endian number, in 16 upper-case hex digits.
  std::array<std::uint8_t, 8> big_endian;
  std::reverse_copy(id.begin(), id.end(), big_endian.begin());
  return ToHexUpper(big_endian);
}

bool KeyIdIs(const KeyId& id, std::string_view hex) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  if (hex.size() != 2 * id.size()) return false;
  for (std::size_t i = 0; i < id.size(); ++i) {
    std::uint8_t b = id[id.size() - 1 - i];
    if (hex[2 * i] != kDigits[b >> 4] || hex[2 * i + 1] != kDigits[b & 15])
      return false;
  }
  return true;
}

Result<PublicKey> ParsePublicKeyString(std::string_view text) {
  std::uint8_t raw[kPublicKeyBytes];
  Status s = DecodeBase64Exact(text, Base64::kPadded, MutableByteSpan(raw));
  if (!s.ok()) {
    return Error(Code::kBadKey, "not a minisign public key: {}", s.message());
  }
  if (raw[0] != 'E' || raw[1] != 'd') {
    return Error(Code::kUnsupported,
                 "public key algorithm is not Ed25519 (\"Ed\")");
  }
  PublicKey key;
  std::memcpy(key.key_id.data(), raw + 2, 8);
  std::memcpy(key.key.data(), raw + 10, 32);
  return key;
}

std::string EncodePublicKeyString(const PublicKey& key) {
  std::uint8_t raw[kPublicKeyBytes] = {'E', 'd'};
  std::memcpy(raw + 2, key.key_id.data(), 8);
  std::memcpy(raw + 10, key.key.data(), 32);
  return EncodeBase64(ByteSpan(raw), Base64::kPadded);
}

Result<PublicKey> ParsePublicKeyFile(std::string_view text) {
  constexpr std::string_view what = "public key file";
  XJ_ASSIGN_OR_RETURN(auto lines, SplitLines(text, 2, what));
  XJ_RETURN_IF_ERROR(CheckUntrusted(lines[0], what));
  Result<PublicKey> key = ParsePublicKeyString(lines[1]);
  if (!key.ok()) return key.status().WithContext("line 2");
  return key;
}

std::string EncodePublicKeyFile(const PublicKey& key) {
  return fmt::format("{}minisign public key {}\n{}\n", kUntrustedPrefix,
                     KeyIdToString(key.key_id), EncodePublicKeyString(key));
}

Result<SecretBuffer> ParseSecretKeyFile(std::string_view text) {
  constexpr std::string_view what = "secret key file";
  XJ_ASSIGN_OR_RETURN(auto lines, SplitLines(text, 2, what));
  XJ_RETURN_IF_ERROR(CheckUntrusted(lines[0], what));
  XJ_ASSIGN_OR_RETURN(SecretBuffer raw,
                      SecretBuffer::Allocate(kSecretKeySize + 3));
  Result<std::size_t> n =
      DecodeBase64Into(lines[1], Base64::kPadded, raw.mutable_span());
  if (!n.ok()) {
    return Error(Code::kBadKey, "{}: line 2: {}", what, n.status().message());
  }
  if (*n != kSecretKeySize) {
    return Error(Code::kBadKey,
                 "{}: line 2: expected {} bytes, base64 holds {}", what,
                 kSecretKeySize, *n);
  }
  raw.Resize(kSecretKeySize);
  return raw;
}

std::string EncodeSecretKeyFile(ByteSpan sealed, std::string_view comment) {
  return fmt::format("{}{}\n{}\n", kUntrustedPrefix, comment,
                     EncodeBase64(sealed, Base64::kPadded));
}

Status CheckTrustedComment(std::string_view comment) {
  if (comment.size() > kMaxTrustedComment) {
    return Error(Code::kInvalidArgument, "trusted comment longer than {} bytes",
                 kMaxTrustedComment);
  }
  if (!IsValidUtf8(comment)) {
    return Error(Code::kInvalidArgument, "trusted comment is not valid UTF-8");
  }
  for (char c : comment) {
    unsigned char u = static_cast<unsigned char>(c);
    if ((u < 0x20 && u != '\t') || u == 0x7f) {
      return Error(Code::kInvalidArgument,
                   "trusted comment holds a control character (0x{:02x})", u);
    }
  }
  return Status::Ok();
}

Result<Signature> ParseSignatureFile(std::string_view text) {
  constexpr std::string_view what = "signature file";
  XJ_ASSIGN_OR_RETURN(auto lines, SplitLines(text, 4, what));
  XJ_RETURN_IF_ERROR(CheckUntrusted(lines[0], what));
  Signature sig;
  sig.untrusted_comment = std::string(lines[0].substr(kUntrustedPrefix.size()));

  std::uint8_t raw[kSignatureBytes];
  Status s = DecodeBase64Exact(lines[1], Base64::kPadded, MutableByteSpan(raw));
  if (!s.ok())
    return Error(Code::kMalformed, "{}: line 2: {}", what, s.message());
  if (raw[0] == 'E' && raw[1] == 'D') {
    sig.algorithm = SignatureAlgorithm::kPrehashed;
  } else if (raw[0] == 'E' && raw[1] == 'd') {
    sig.algorithm = SignatureAlgorithm::kLegacy;
  } else {
    return Error(Code::kUnsupported,
                 "{}: line 2: unknown signature algorithm (expected \"ED\" or "
                 "\"Ed\")",
                 what);
  }
  std::memcpy(sig.key_id.data(), raw + 2, 8);
  std::memcpy(sig.signature.data(), raw + 10, 64);

  if (lines[2].substr(0, kTrustedPrefix.size()) != kTrustedPrefix) {
    return Error(Code::kMalformed,
                 "{}: line 3: expected \"trusted comment: ...\"", what);
  }
  sig.trusted_comment = std::string(lines[2].substr(kTrustedPrefix.size()));
  s = CheckTrustedComment(sig.trusted_comment);
  if (!s.ok())
    return Error(Code::kMalformed, "{}: line 3: {}", what, s.message());

  s = DecodeBase64Exact(lines[3], Base64::kPadded,
                        MutableByteSpan(sig.global_signature));
  if (!s.ok())
    return Error(Code::kMalformed, "{}: line 4: {}", what, s.message());
  return sig;
}

std::string EncodeSignatureFile(const Signature& sig) {
  std::uint8_t raw[kSignatureBytes] = {'E', 'D'};
  if (sig.algorithm == SignatureAlgorithm::kLegacy) raw[1] = 'd';
  std::memcpy(raw + 2, sig.key_id.data(), 8);
  std::memcpy(raw + 10, sig.signature.data(), 64);
  return fmt::format(
      "{}{}\n{}\n{}{}\n{}\n", kUntrustedPrefix, sig.untrusted_comment,
      EncodeBase64(ByteSpan(raw), Base64::kPadded), kTrustedPrefix,
      sig.trusted_comment, EncodeBase64(sig.global_signature, Base64::kPadded));
}

}  // namespace xj::formats::minisign
