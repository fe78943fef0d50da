// minisign's text files: public keys, secret keys and signatures.
//
// Layouts from minisign 0.11 (the Debian 12 version), read strictly: exact
// line prefixes, canonical padded base64, exact decoded sizes, LF line ends
// (a CR is reported as a Windows conversion), nothing after the last line
// but one optional LF. The crypto that gives these bytes meaning is in
// keys/ (secret keys) and libpack/minisign.h (signatures).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/secret.h"
#include "base/status.h"

namespace xj::formats::minisign {

inline constexpr std::string_view kUntrustedPrefix = "untrusted comment: ";
inline constexpr std::string_view kTrustedPrefix = "trusted comment: ";
inline constexpr std::size_t kMaxUntrustedLine = 1024;   // with its LF
inline constexpr std::size_t kMaxTrustedComment = 8173;  // bytes after prefix
inline constexpr std::size_t kSecretKeySize = 158;

using KeyId = std::array<std::uint8_t, 8>;

/// A key id as minisign 0.12 shows it: the 8 bytes read as a little-endian
/// 64-bit number, 16 uppercase hex digits.
std::string KeyIdToString(const KeyId& id);
/// Whether `hex` is KeyIdToString(id), compared without making that string.
bool KeyIdIs(const KeyId& id, std::string_view hex);

struct PublicKey {
  KeyId key_id{};
  std::array<std::uint8_t, 32> key{};
};

/// Parses the base64 key line ("RW..."), as passed inline with -P.
Result<PublicKey> ParsePublicKeyString(std::string_view text);
std::string EncodePublicKeyString(const PublicKey& key);
/// Parses a public key file: comment line, key line, optional final LF.
Result<PublicKey> ParsePublicKeyFile(std::string_view text);
std::string EncodePublicKeyFile(const PublicKey& key);

/// Parses a secret key file into its 158 raw bytes (still sealed if it is
/// encrypted), in protected memory. Checks framing and size only.
Result<SecretBuffer> ParseSecretKeyFile(std::string_view text);
/// A secret key file for 158 already-sealed bytes.
std::string EncodeSecretKeyFile(ByteSpan sealed, std::string_view comment);

enum class SignatureAlgorithm { kLegacy /* "Ed" */, kPrehashed /* "ED" */ };

struct Signature {
  std::string untrusted_comment;  ///< text after "untrusted comment: "
  SignatureAlgorithm algorithm = SignatureAlgorithm::kPrehashed;
  KeyId key_id{};
  std::array<std::uint8_t, 64> signature{};
  std::string trusted_comment;  ///< text after "trusted comment: "
  std::array<std::uint8_t, 64> global_signature{};
};

Result<Signature> ParseSignatureFile(std::string_view text);
std::string EncodeSignatureFile(const Signature& sig);

/// Checks a trusted comment can be written: one line of valid UTF-8 with no
/// control character but TAB, at most kMaxTrustedComment bytes.
Status CheckTrustedComment(std::string_view comment);

}  // namespace xj::formats::minisign
