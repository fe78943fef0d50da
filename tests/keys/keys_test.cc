// Pins the primitives against known answers (the age X25519 derivation of
// crypto-formats §1.8, minisign's secret-key layout) and both AEAD backends
// against each other.
#include <doctest/doctest.h>

#include <cstring>

#include "formats/base64.h"
#include "keys/crypto.h"
#include "keys/signing_key.h"
#include "keys/x25519_identity.h"
#include "support/test_util.h"

namespace xj::keys {
namespace {

using test::Hex;

TEST_CASE("X25519 and HKDF reproduce the age known-answer derivation") {
  Bytes id =
      Hex("ca1626252c53cf1a4dc46695e7fcc46594cb4ccadedb6712dfda0753f3ae355e");
  std::uint8_t pk[32];
  X25519Base(id.data(), pk);
  CHECK(ToHex(ByteSpan(pk)) ==
        "36dcec3f5f24739a0c8b36cbb4ffa25729a94a51d41fb205a37419fe7f5adb2a");
  Bytes eph(32, 0x45);
  std::uint8_t share[32], shared[32];
  X25519Base(eph.data(), share);
  CHECK(ToHex(ByteSpan(share)) ==
        "3286894cd2845a6db6a28fbf0677605f80e5a62385bf4e10a790ae5fde36736b");
  REQUIRE(X25519(eph.data(), pk, shared));
  CHECK(ToHex(ByteSpan(shared)) ==
        "71275870b9295242970d8a0f7f73957c2f1061a442e793e8ce8c2461669c567e");
  std::uint8_t salt[64];
  std::memcpy(salt, share, 32);
  std::memcpy(salt + 32, pk, 32);
  std::uint8_t wrap[32];
  HkdfSha256(ByteSpan(shared), ByteSpan(salt), "age-encryption.org/v1/X25519",
             wrap);
  CHECK(ToHex(ByteSpan(wrap)) ==
        "ffc1e74518fffdfa288fa25e647777596ef77fbe254adc416b7990800fd9adcc");
  Bytes file_key = ToBytes("YELLOW SUBMARINE");
  std::uint8_t hmac_key[32], payload_key[32];
  HkdfSha256(file_key, {}, "header", hmac_key);
  CHECK(ToHex(ByteSpan(hmac_key)) ==
        "a4bf3b9f4e908993e678eb71e558faedac5829d1d632c50225217c066fec77d2");
  HkdfSha256(file_key, Bytes(16, 0x4e), "payload", payload_key);
  CHECK(ToHex(ByteSpan(payload_key)) ==
        "a6a34445de8e40ea4f788e640b7757614474ece9d6066e36132696cd02ccf846");
}

TEST_CASE("X25519 refuses low-order points") {
  Bytes secret(32, 0x45), zero(32, 0);
  std::uint8_t out[32];
  CHECK_FALSE(X25519(secret.data(), zero.data(), out));
}

TEST_CASE("both ChaCha20-Poly1305 backends give the age payload vector") {
  Bytes key =
      Hex("a6a34445de8e40ea4f788e640b7757614474ece9d6066e36132696cd02ccf846");
  std::uint8_t nonce[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  for (AeadBackend b : {AeadBackend::kSodium, AeadBackend::kOpenSsl}) {
    CAPTURE(static_cast<int>(b));
    Result<ChaChaPoly> aead = ChaChaPoly::Create(key, b);
    REQUIRE(aead.ok());
    Bytes ct(12 + 16);
    aead->Seal(nonce, AsBytes("hello world\n"), ct.data());
    CHECK(ToHex(ct) ==
          "53bab8c0993ad886c22666fc1cdc8f2e2d086763a8ff7e39a6d21e77");
    Bytes pt(12);
    CHECK(aead->Open(nonce, ct, pt.data()));
    CHECK(AsChars(pt) == "hello world\n");
    ct[3] ^= 1;
    CHECK_FALSE(aead->Open(nonce, ct, pt.data()));
    CHECK(pt == Bytes(12, 0));  // nothing unauthenticated left behind
    CHECK_FALSE(aead->Open(nonce, Bytes(15), pt.data()));
  }
}

TEST_CASE("the AEAD backends agree on a full 64 KiB chunk") {
  Bytes key = test::Pattern(32, 7), data = test::Pattern(65536, 9);
  std::uint8_t nonce[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5, 0};
  Bytes a(65552), b(65552);
  ChaChaPoly::Create(key, AeadBackend::kSodium)->Seal(nonce, data, a.data());
  ChaChaPoly::Create(key, AeadBackend::kOpenSsl)->Seal(nonce, data, b.data());
  CHECK(a == b);
}

TEST_CASE("hashers match their published digests") {
  Hasher sha256(Hasher::Algorithm::kSha256);
  sha256.Update(AsBytes("abc"));
  CHECK(ToHex(sha256.Finish()) ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  Hasher sha512(Hasher::Algorithm::kSha512);
  sha512.Update(AsBytes("ab"));
  sha512.Update(AsBytes("c"));
  CHECK(ToHex(sha512.Finish()).substr(0, 32) ==
        "ddaf35a193617abacc417349ae204131");
  Hasher blake(Hasher::Algorithm::kBlake2b512);
  blake.Update(AsBytes("abc"));
  CHECK(ToHex(blake.Finish()).substr(0, 32) ==
        "ba80a53f981c4d0d6a2797b69f12f6e9");
}

TEST_CASE("scrypt matches the age passphrase known answer") {
  Bytes salt = ToBytes("age-encryption.org/v1/scrypt");
  Bytes s16(16, 0x53);
  salt.insert(salt.end(), s16.begin(), s16.end());
  std::uint8_t out[32];
  REQUIRE(Scrypt(AsBytes("password"), salt, 10, 8, 1, out).ok());
  CHECK(ToHex(ByteSpan(out)) ==
        "da2e57082e06a013cb9b8120ce83f21c21aff706641faa8b0ab58c184fae4266");
}

// minisign's secret key layout, from a fixed seed, key id and salt; stock
// minisign 0.11 opened this key and made byte-identical signatures with it.
constexpr std::string_view kKatRecordB64 =
    "RWRTY0IyICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8AAAgAAAAAAAAAAAEAAAAAko"
    "1pCD9sDNRpgsvZGkjSUAmZPoocOUgJRjaDi1uLGaFbV9tQbuQcRPVvCAcOsUOZRbmt31ADFYOo"
    "YtTlDPZPRi6XL1Do+GESkQyniy5oFAcmbMMhJ8TWecy8By+dTIi+j1c2xwA/UEc=";

Bytes Seed() {
  Bytes seed(32);
  for (int i = 0; i < 32; ++i) seed[i] = static_cast<std::uint8_t>(i);
  return seed;
}
KeyId KatKeyId() { return {1, 2, 3, 4, 5, 6, 7, 8}; }
Bytes KatSalt() {
  Bytes salt(32);
  for (int i = 0; i < 32; ++i) salt[i] = static_cast<std::uint8_t>(0x20 + i);
  return salt;
}

TEST_CASE("sealing a signing key reproduces minisign's known-answer record") {
  Result<SigningKey> key = SigningKey::FromSeed(Seed(), KatKeyId());
  REQUIRE(key.ok());
  CHECK(ToHex(key->public_key()) ==
        "03a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8");
  Result<SecretBuffer> record = key->SealWithSalt(
      AsBytes("test-password"), KdfLimits{524288, 16777216}, KatSalt());
  REQUIRE(record.ok());
  // Compared as base64 so the vector stays readable.
  std::string got =
      formats::EncodeBase64(record->span(), formats::Base64::kPadded);
  CHECK(got == kKatRecordB64);
}

TEST_CASE("opening a signing key checks the passphrase and the key halves") {
  Result<SigningKey> key = SigningKey::FromSeed(Seed(), KatKeyId());
  Result<SecretBuffer> record = key->SealWithSalt(
      AsBytes("test-password"), KdfLimits{524288, 16777216}, KatSalt());
  REQUIRE(record.ok());
  CHECK(SigningKey::IsProtected(record->span()));
  Result<SigningKey> opened =
      SigningKey::Open(record->span(), AsBytes("test-password"));
  REQUIRE(opened.ok());
  CHECK(opened->key_id() == KatKeyId());
  CHECK(opened->public_key() == key->public_key());
  CHECK_FAILS_WITH(SigningKey::Open(record->span(), AsBytes("test-passwore")),
                   Code::kWrongPassphrase, "wrong passphrase");
  Bytes bad(record->data(), record->data() + record->size());
  bad[2] = 'X';
  CHECK_FAILS_WITH(SigningKey::Open(bad, {}), Code::kBadKey,
                   "unknown key derivation");
  Bytes huge(record->data(), record->data() + record->size());
  huge[38 + 5] = 0x40;  // opslimit and memlimit of 2^46
  huge[46 + 5] = 0x40;
  CHECK_FAILS_WITH(SigningKey::Open(huge, AsBytes("x")), Code::kBadKey,
                   "scrypt limits");
}

TEST_CASE(
    "an unprotected minisign key (minisign -G -W) opens without a passphrase") {
  Result<SigningKey> key = SigningKey::FromSeed(Seed(), KatKeyId());
  REQUIRE(key.ok());
  // minisign -W leaves kdf, salt, limits and checksum all zero.
  Bytes record(158, 0);
  std::memcpy(record.data(), "Ed\0\0B2", 6);
  std::memcpy(record.data() + 54, KatKeyId().data(), 8);
  Bytes sk = Seed();
  sk.insert(sk.end(), key->public_key().begin(), key->public_key().end());
  std::memcpy(record.data() + 62, sk.data(), 64);
  CHECK_FALSE(SigningKey::IsProtected(record));
  Result<SigningKey> plain = SigningKey::Open(record, {});
  REQUIRE(plain.ok());
  CHECK(plain->public_key() == key->public_key());
  record[62 + 40] ^= 1;  // damage the public half
  CHECK_FAILS_WITH(SigningKey::Open(record, {}), Code::kBadKey,
                   "public half does not match");
}

TEST_CASE("work factors map to scrypt N = 2^wf, r = 8, p = 1") {
  KdfLimits l = KdfLimits::ForWorkFactor(18);
  CHECK(l.opslimit == 8388608);
  CHECK(l.memlimit == 268435456);
}

TEST_CASE("key names are stable: id and fingerprint") {
  X25519PublicKey pk;
  std::memcpy(
      pk.data(),
      Hex("36dcec3f5f24739a0c8b36cbb4ffa25729a94a51d41fb205a37419fe7f5adb2a")
          .data(),
      32);
  KeyNames n = NamesForIdentity(pk);
  CHECK(n.key_id.size() == 16);
  CHECK(n.fingerprint.size() == 64 + 15);
  KeyNames s = NamesForSigningKey(KatKeyId(), pk);
  CHECK(s.key_id == "0807060504030201");
}

}  // namespace
}  // namespace xj::keys
