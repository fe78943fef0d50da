// An office's encryption identity: an X25519 key pair, as age uses it.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "base/bytes.h"
#include "base/secret.h"
#include "base/status.h"

namespace xj::keys {

using X25519PublicKey = std::array<std::uint8_t, 32>;

class X25519Identity {
 public:
  static Result<X25519Identity> Generate();
  /// REQUIRES: secret.size() == 32.
  static Result<X25519Identity> FromSecret(SecretBuffer secret);

  const X25519PublicKey& public_key() const { return public_key_; }
  const SecretBuffer& secret() const { return secret_; }

 private:
  SecretBuffer secret_;
  X25519PublicKey public_key_{};
};

/// The 16-hex-digit id and the SHA-256 fingerprint (in groups of four hex
/// digits) people use to tell keys apart. For a signing key the id is the
/// minisign key id and the fingerprint covers "Ed" || key id || public key;
/// for an office identity both come from SHA-256 of the X25519 public key.
struct KeyNames {
  std::string key_id;
  std::string fingerprint;
};
KeyNames NamesForIdentity(const X25519PublicKey& public_key);
KeyNames NamesForSigningKey(const std::array<std::uint8_t, 8>& key_id,
                            const std::array<std::uint8_t, 32>& public_key);

}  // namespace xj::keys
