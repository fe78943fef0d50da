// age's key strings and key files.
//
// A recipient is "age1" + Bech32 of an X25519 public key (lowercase); an
// identity is "AGE-SECRET-KEY-1" + Bech32 of the secret scalar (uppercase),
// as stock age 1.1.1 requires. An identity file holds identities one per
// line; blank lines and lines starting with '#' are comments.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/secret.h"
#include "base/status.h"

namespace xj::formats::age {

using X25519Key = std::array<std::uint8_t, 32>;

std::string EncodeRecipient(const X25519Key& public_key);
/// Parses "age1..."; kBadKey with the reason otherwise (post-quantum and
/// plugin recipients are kUnsupported).
Result<X25519Key> ParseRecipient(std::string_view text);

/// "AGE-SECRET-KEY-1..." for a 32-byte secret, in protected memory.
Result<SecretBuffer> EncodeIdentity(ByteSpan secret);
/// Parses one identity string into 32 secret bytes.
Result<SecretBuffer> ParseIdentity(std::string_view text);

/// Parses an identity file's text: at least one identity, comments allowed,
/// LF or CRLF line ends. Messages name the line ("line 3: ...").
Result<std::vector<SecretBuffer>> ParseIdentityFile(std::string_view text);

/// Parses a recipients file (-R): "age1..." lines and comments.
Result<std::vector<X25519Key>> ParseRecipientsFile(std::string_view text);

}  // namespace xj::formats::age
