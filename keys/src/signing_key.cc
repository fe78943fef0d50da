#include "keys/signing_key.h"

#include <sodium.h>

#include <cstring>

#include "keys/crypto.h"

namespace xj::keys {
namespace {

// Offsets in the 158-byte record (minisign.h SeckeyStruct).
constexpr std::size_t kRecordSize = 158;
constexpr std::size_t kKdfAlgOff = 2, kChkAlgOff = 4, kSaltOff = 6;
constexpr std::size_t kOpsOff = 38, kMemOff = 46, kKeyIdOff = 54;
constexpr std::size_t kSecretOff = 62, kChecksumOff = 126;
constexpr std::size_t kSealedOff = kKeyIdOff, kSealedSize = 104;

// The largest scrypt memory a key file may ask for: minisign's own maximum
// setting needs 1 GiB; anything far beyond is a hostile or damaged file.
constexpr std::uint64_t kMaxKeyMemory = std::uint64_t{2} << 30;

void PutLe64(std::uint8_t* p, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<std::uint8_t>(v >> (8 * i));
}
std::uint64_t GetLe64(const std::uint8_t* p) {
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = v << 8 | p[i];
  return v;
}

// libsodium's pickparams (crypto_pwhash_scryptsalsa208sha256, 1.0.18):
// how minisign's stored limits become scrypt's N, r and p.
void PickParams(std::uint64_t opslimit, std::uint64_t memlimit, int* log_n,
                std::uint32_t* r, std::uint32_t* p) {
  if (opslimit < 32768) opslimit = 32768;
  *r = 8;
  std::uint64_t max_n;
  if (opslimit < memlimit / 32) {
    *p = 1;
    max_n = opslimit / (*r * 4);
    for (*log_n = 1; *log_n < 63; *log_n += 1) {
      if ((std::uint64_t{1} << *log_n) > max_n / 2) break;
    }
  } else {
    max_n = memlimit / (std::uint64_t{*r} * 128);
    for (*log_n = 1; *log_n < 63; *log_n += 1) {
      if ((std::uint64_t{1} << *log_n) > max_n / 2) break;
    }
    std::uint64_t max_rp = (opslimit / 4) / (std::uint64_t{1} << *log_n);
    if (max_rp > 0x3fffffff) max_rp = 0x3fffffff;
    *p = static_cast<std::uint32_t>(max_rp) / *r;
  }
}

Status KeyStream(ByteSpan passphrase, const std::uint8_t* salt,
                 std::uint64_t opslimit, std::uint64_t memlimit,
                 MutableByteSpan out) {
  int log_n;
  std::uint32_t r, p;
  PickParams(opslimit, memlimit, &log_n, &r, &p);
  std::uint64_t memory = std::uint64_t{128} * r << std::min(log_n, 40);
  if (log_n > 30 || memory > kMaxKeyMemory || p == 0 || p > 64) {
    return Error(Code::kBadKey,
                 "the key's scrypt limits (opslimit {}, memlimit {}) are "
                 "unreasonable; the file is damaged or hostile",
                 opslimit, memlimit);
  }
  return Scrypt(passphrase, ByteSpan(salt, 32), log_n, r, p, out);
}

void Checksum(const std::uint8_t* record, std::uint8_t out[32]) {
  crypto_generichash_state st;
  crypto_generichash_init(&st, nullptr, 0, 32);
  crypto_generichash_update(&st, record, 2);                // "Ed"
  crypto_generichash_update(&st, record + kKeyIdOff, 8);    // key id
  crypto_generichash_update(&st, record + kSecretOff, 64);  // secret key
  crypto_generichash_final(&st, out, 32);
  sodium_memzero(&st, sizeof st);
}

}  // namespace

KdfLimits KdfLimits::ForWorkFactor(int log_n) {
  // See PickParams: memlimit = 2^log_n·1024 and opslimit = 2^log_n·32 give
  // N = 2^log_n, r = 8, p = 1.
  return {std::uint64_t{32} << log_n, std::uint64_t{1024} << log_n};
}

Result<SigningKey> SigningKey::Generate() {
  XJ_RETURN_IF_ERROR(InitSodium());
  SigningKey key;
  XJ_ASSIGN_OR_RETURN(key.secret_, SecretBuffer::Allocate(64));
  crypto_sign_keypair(key.public_key_.data(), key.secret_.data());
  RandomBytes(key.key_id_);
  return key;
}

Result<SigningKey> SigningKey::FromSeed(ByteSpan seed, const KeyId& key_id) {
  XJ_RETURN_IF_ERROR(InitSodium());
  if (seed.size() != 32)
    return Status(Code::kInternal, "seed must be 32 bytes");
  SigningKey key;
  XJ_ASSIGN_OR_RETURN(key.secret_, SecretBuffer::Allocate(64));
  crypto_sign_seed_keypair(key.public_key_.data(), key.secret_.data(),
                           seed.data());
  key.key_id_ = key_id;
  return key;
}

bool SigningKey::IsProtected(ByteSpan record) {
  return record.size() == kRecordSize && record[kKdfAlgOff] == 'S' &&
         record[kKdfAlgOff + 1] == 'c';
}

Result<SigningKey> SigningKey::Open(ByteSpan record, ByteSpan passphrase) {
  XJ_RETURN_IF_ERROR(InitSodium());
  if (record.size() != kRecordSize) {
    return Error(Code::kBadKey, "secret key record is {} bytes, expected {}",
                 record.size(), kRecordSize);
  }
  if (record[0] != 'E' || record[1] != 'd') {
    return Error(Code::kBadKey, "secret key is not an Ed25519 (\"Ed\") key");
  }
  bool is_protected = IsProtected(record);
  if (!is_protected &&
      (record[kKdfAlgOff] != 0 || record[kKdfAlgOff + 1] != 0)) {
    return Error(Code::kBadKey, "secret key uses an unknown key derivation");
  }
  if (record[kChkAlgOff] != 'B' || record[kChkAlgOff + 1] != '2') {
    return Error(Code::kBadKey, "secret key uses an unknown checksum");
  }
  XJ_ASSIGN_OR_RETURN(SecretBuffer plain, SecretBuffer::CopyOf(record));
  if (is_protected) {
    XJ_ASSIGN_OR_RETURN(SecretBuffer stream,
                        SecretBuffer::Allocate(kSealedSize));
    XJ_RETURN_IF_ERROR(KeyStream(
        passphrase, record.data() + kSaltOff, GetLe64(record.data() + kOpsOff),
        GetLe64(record.data() + kMemOff), stream.mutable_span()));
    for (std::size_t i = 0; i < kSealedSize; ++i) {
      plain.data()[kSealedOff + i] ^= stream.data()[i];
    }
    std::uint8_t sum[32];
    Checksum(plain.data(), sum);
    if (sodium_memcmp(sum, plain.data() + kChecksumOff, 32) != 0) {
      return Status(Code::kWrongPassphrase, "wrong passphrase");
    }
  }
  // Unprotected keys from `minisign -G -W` carry an all-zero checksum, so
  // the consistency check below is what catches damage for them.
  SigningKey key;
  std::memcpy(key.key_id_.data(), plain.data() + kKeyIdOff, 8);
  XJ_ASSIGN_OR_RETURN(key.secret_, SecretBuffer::CopyOf(ByteSpan(
                                       plain.data() + kSecretOff, 64)));
  std::uint8_t derived_pk[32];
  XJ_ASSIGN_OR_RETURN(SecretBuffer check, SecretBuffer::Allocate(64));
  crypto_sign_seed_keypair(derived_pk, check.data(), key.secret_.data());
  if (std::memcmp(derived_pk, key.secret_.data() + 32, 32) != 0) {
    return Status(Code::kBadKey,
                  "secret key is damaged: its public half does not match");
  }
  std::memcpy(key.public_key_.data(), derived_pk, 32);
  return key;
}

Result<SecretBuffer> SigningKey::Seal(ByteSpan passphrase,
                                      const KdfLimits& limits) const {
  std::uint8_t salt[32];
  RandomBytes(salt);
  return SealWithSalt(passphrase, limits, salt);
}

Result<SecretBuffer> SigningKey::SealWithSalt(ByteSpan passphrase,
                                              const KdfLimits& limits,
                                              ByteSpan salt) const {
  XJ_ASSIGN_OR_RETURN(SecretBuffer record, SecretBuffer::Allocate(kRecordSize));
  std::uint8_t* r = record.data();
  std::memcpy(r, "EdScB2", 6);
  std::memcpy(r + kSaltOff, salt.data(), 32);
  PutLe64(r + kOpsOff, limits.opslimit);
  PutLe64(r + kMemOff, limits.memlimit);
  std::memcpy(r + kKeyIdOff, key_id_.data(), 8);
  std::memcpy(r + kSecretOff, secret_.data(), 64);
  Checksum(r, r + kChecksumOff);  // over the plaintext, before the XOR
  XJ_ASSIGN_OR_RETURN(SecretBuffer stream, SecretBuffer::Allocate(kSealedSize));
  XJ_RETURN_IF_ERROR(KeyStream(passphrase, r + kSaltOff, limits.opslimit,
                               limits.memlimit, stream.mutable_span()));
  for (std::size_t i = 0; i < kSealedSize; ++i)
    r[kSealedOff + i] ^= stream.data()[i];
  return record;
}

std::array<std::uint8_t, 64> SigningKey::Sign(ByteSpan message) const {
  std::array<std::uint8_t, 64> sig;
  crypto_sign_detached(sig.data(), nullptr, message.data(), message.size(),
                       secret_.data());
  return sig;
}

bool VerifyEd25519(const Ed25519PublicKey& key, ByteSpan message,
                   const std::array<std::uint8_t, 64>& signature) {
  if (InitSodium().code() != Code::kOk) return false;
  return crypto_sign_verify_detached(signature.data(), message.data(),
                                     message.size(), key.data()) == 0;
}

}  // namespace xj::keys
