// minisign signatures: making them (prehashed "ED" only) and checking them.
//
// A signature is Ed25519 over the BLAKE2b-512 of the data, plus a global
// signature over that signature and the trusted comment. Sign() verifies
// what it made with the key's public half before returning it, as minisign
// does. Stock `minisign -V` accepts every signature made here and this code
// accepts stock minisign's.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/io.h"
#include "base/status.h"
#include "formats/minisign.h"
#include "keys/signing_key.h"

namespace xj::pack::minisign {

using formats::minisign::PublicKey;
using formats::minisign::Signature;

inline constexpr std::string_view kDefaultUntrustedComment =
    "signature from xjpack secret key";

/// minisign's default trusted comment: "timestamp:<t>\tfile:<name>\thashed".
std::string DefaultTrustedComment(std::string_view file_name,
                                  std::int64_t unix_time);

/// Signs all of `in`. kInvalidArgument when the trusted comment cannot be
/// written (control characters, not UTF-8, too long).
Result<Signature> Sign(
    Source& in, const keys::SigningKey& key, std::string_view trusted_comment,
    std::string_view untrusted_comment = kDefaultUntrustedComment);

struct VerifyOptions {
  /// Accept legacy "Ed" signatures, which sign the whole data and so need it
  /// all in memory (up to `max_legacy_size`).
  bool allow_legacy = false;
  std::size_t max_legacy_size = std::size_t{1} << 30;
};

/// Checks `sig` over all of `in` under `key`. kBadSignature with a message
/// that says which part failed (key id, data signature, trusted comment);
/// kUnsupported for a legacy signature when not allowed.
Status Verify(Source& in, const PublicKey& key, const Signature& sig,
              const VerifyOptions& options = {});

/// The public key of a signing key, in minisign's form.
PublicKey PublicKeyOf(const keys::SigningKey& key);

}  // namespace xj::pack::minisign
