// The cryptographic primitives xjpack is built from, over libsodium 1.0.18
// and, for the bulk paths, OpenSSL 3.
//
// Nothing here knows a file format. Every function states its sizes; keys
// and intermediate secrets are wiped before returning. The payload AEAD and
// the bulk hashes have an OpenSSL backend because it is about three times
// faster here than libsodium's portable code; both backends are tested
// against the same vectors.
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/secret.h"
#include "base/status.h"

namespace xj::keys {

// ---- hashes and MACs ----

/// HKDF-SHA-256 (RFC 5869) with a 32-byte output: PRK = HMAC(salt, ikm);
/// OKM = HMAC(PRK, info || 0x01). An empty salt is allowed.
void HkdfSha256(ByteSpan ikm, ByteSpan salt, std::string_view info,
                std::uint8_t out[32]);

/// HMAC-SHA-256 over `data` with a key of any length.
void HmacSha256(ByteSpan key, ByteSpan data, std::uint8_t out[32]);

void Sha256(ByteSpan data, std::uint8_t out[32]);

/// Incremental SHA-256 / SHA-512 (OpenSSL EVP) and BLAKE2b-512 (libsodium).
/// SHA-256 and SHA-512 of `data`, as lowercase hex.
std::string Sha256Hex(ByteSpan data);
std::string Sha512Hex(ByteSpan data);

/// BLAKE2b-512 of the parts, one after another (no allocation).
void Blake2b512(std::initializer_list<ByteSpan> parts, std::uint8_t out[64]);

class Hasher {
 public:
  enum class Algorithm { kSha256, kSha512, kBlake2b512 };
  explicit Hasher(Algorithm algorithm);
  ~Hasher();
  Hasher(const Hasher&) = delete;
  Hasher& operator=(const Hasher&) = delete;

  void Update(ByteSpan data);
  /// Writes the digest (32 or 64 bytes) into `out`. REQUIRES: called once.
  Bytes Finish();
  std::size_t digest_size() const;

 private:
  struct State;
  Algorithm algorithm_;
  std::unique_ptr<State> state_;
};

// ---- X25519 ----

/// public = X25519(secret, basepoint).
void X25519Base(const std::uint8_t secret[32], std::uint8_t public_key[32]);
/// shared = X25519(secret, point); false when the result is all zero (a
/// low-order point), which callers must treat as an error.
bool X25519(const std::uint8_t secret[32], const std::uint8_t point[32],
            std::uint8_t shared[32]);

// ---- ChaCha20-Poly1305 (RFC 8439, 12-byte nonce, empty AAD) ----

enum class AeadBackend { kSodium, kOpenSsl };

class ChaChaPoly {
 public:
  static constexpr std::size_t kTagSize = 16;
  /// The default backend for bulk data.
  static constexpr AeadBackend kDefaultBackend = AeadBackend::kOpenSsl;

  static Result<ChaChaPoly> Create(ByteSpan key, AeadBackend backend);
  ChaChaPoly(ChaChaPoly&&) noexcept;
  ChaChaPoly& operator=(ChaChaPoly&&) noexcept;
  ~ChaChaPoly();

  /// Writes plaintext.size() + 16 bytes to `out`.
  void Seal(const std::uint8_t nonce[12], ByteSpan plaintext,
            std::uint8_t* out);
  /// Writes ciphertext.size() - 16 bytes to `out`; false (and `out` wiped)
  /// when the tag does not verify or the input is shorter than a tag.
  bool Open(const std::uint8_t nonce[12], ByteSpan ciphertext,
            std::uint8_t* out);

 private:
  struct Impl;
  explicit ChaChaPoly(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

/// One-shot seal/open with the sodium backend, for small secrets (file keys).
void SealSmall(ByteSpan key, const std::uint8_t nonce[12], ByteSpan plaintext,
               std::uint8_t* out);
bool OpenSmall(ByteSpan key, const std::uint8_t nonce[12], ByteSpan ciphertext,
               std::uint8_t* out);

// ---- scrypt ----

/// scrypt(passphrase, salt, N = 2^log_n, r, p) into out.size() bytes.
/// kOutOfMemory when the memory cannot be had, kInvalidArgument for
/// parameters libsodium refuses.
Status Scrypt(ByteSpan passphrase, ByteSpan salt, int log_n, std::uint32_t r,
              std::uint32_t p, MutableByteSpan out);

/// Compares in time independent of the contents; false if sizes differ.
bool ConstantTimeEqual(ByteSpan a, ByteSpan b);

/// Fills `out` from the system CSPRNG.
void RandomBytes(MutableByteSpan out);

}  // namespace xj::keys
