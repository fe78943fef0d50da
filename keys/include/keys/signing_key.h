// A person's signing key: Ed25519, in minisign's secret key layout.
//
// The 158-byte secret key record is minisign's: algorithm tags, scrypt salt
// and limits, then key id, secret key and BLAKE2b checksum, the last three
// XORed with scrypt output when the key is protected. Seal() makes that
// record; Open() checks the checksum (a mismatch is a wrong passphrase) and
// that the secret and public halves belong together.
#pragma once

#include <array>
#include <cstdint>

#include "base/bytes.h"
#include "base/secret.h"
#include "base/status.h"

namespace xj::keys {

using KeyId = std::array<std::uint8_t, 8>;
using Ed25519PublicKey = std::array<std::uint8_t, 32>;

/// minisign's scrypt limits as stored in the key file. libsodium turns them
/// into N, r = 8, p.
struct KdfLimits {
  std::uint64_t opslimit = 0;
  std::uint64_t memlimit = 0;

  /// Limits that give N = 2^log_n, r = 8, p = 1 (128·2^log_n bytes of
  /// memory: 256 MiB at the default 18, which a 1 GiB office machine can
  /// spare).
  static KdfLimits ForWorkFactor(int log_n);
};

inline constexpr int kDefaultWorkFactor = 18;
inline constexpr int kMinWorkFactor = 10;
inline constexpr int kMaxWorkFactor = 22;

class SigningKey {
 public:
  static Result<SigningKey> Generate();
  /// A key from a fixed seed and key id, for known-answer tests.
  static Result<SigningKey> FromSeed(ByteSpan seed, const KeyId& key_id);

  /// True when the record's secret part is scrypt-protected.
  static bool IsProtected(ByteSpan record);
  /// Opens a 158-byte record. `passphrase` is ignored for an unprotected
  /// record. kWrongPassphrase when the checksum does not match; kBadKey when
  /// the record is inconsistent or names unknown algorithms.
  static Result<SigningKey> Open(ByteSpan record, ByteSpan passphrase);

  /// The 158-byte record protected with `passphrase` (random salt).
  Result<SecretBuffer> Seal(ByteSpan passphrase, const KdfLimits& limits) const;
  /// Same, with a given 32-byte salt, for known-answer tests.
  Result<SecretBuffer> SealWithSalt(ByteSpan passphrase,
                                    const KdfLimits& limits,
                                    ByteSpan salt) const;

  const KeyId& key_id() const { return key_id_; }
  const Ed25519PublicKey& public_key() const { return public_key_; }

  /// Ed25519 signature of `message`.
  std::array<std::uint8_t, 64> Sign(ByteSpan message) const;

 private:
  KeyId key_id_{};
  Ed25519PublicKey public_key_{};
  SecretBuffer secret_;  // libsodium layout: seed || public key
};

/// Ed25519 verification (libsodium: rejects non-canonical encodings and
/// small-order points).
bool VerifyEd25519(const Ed25519PublicKey& key, ByteSpan message,
                   const std::array<std::uint8_t, 64>& signature);

}  // namespace xj::keys
