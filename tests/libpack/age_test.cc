// Pins age encryption and decryption: byte-exact known answers, round trips
// at every chunk boundary with both AEAD backends, and one distinct error
// (code and message) for each way a file can be wrong.
#include "libpack/age.h"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include "base/io.h"
#include "formats/age_keys.h"
#include "formats/base64.h"
#include "keys/crypto.h"
#include "support/test_util.h"

namespace xj::pack::age {
namespace {

std::string Sha256Hex(ByteSpan data) {
  std::uint8_t d[32];
  keys::Sha256(data, d);
  return ToHex(ByteSpan(d));
}

keys::X25519Identity CctvIdentity() {
  Result<SecretBuffer> s = formats::age::ParseIdentity(
      "AGE-SECRET-KEY-"
      "1EGTZVFFV20835NWYV6270LXYVK2VKNX2MMDKWYKLMGR48UAWX40Q2P2LM0");
  return std::move(keys::X25519Identity::FromSecret(std::move(s).value()))
      .value();
}

FixedRandomness Kat() {
  FixedRandomness f;
  f.file_key = ToBytes("YELLOW SUBMARINE");
  f.nonce = Bytes(16, 0x4e);
  f.ephemeral = {Bytes(32, 0x45)};
  f.scrypt_salt = Bytes(16, 0x53);
  return f;
}

Bytes EncryptTo(ByteSpan plain, const std::vector<keys::X25519PublicKey>& to,
                EncryptOptions opt = {}) {
  Bytes out;
  MemorySink sink(&out);
  MemorySource src(plain);
  Status s = EncryptToRecipients(src, sink, to, opt);
  REQUIRE_MESSAGE(s.ok(), s.ToString());
  return out;
}

struct Outcome {
  Status status;
  Stage stage;
  Bytes plain;
};

Outcome DecryptWith(ByteSpan file, const keys::X25519Identity* id,
                    const char* passphrase = nullptr, DecryptOptions opt = {}) {
  Decryptor dec(opt);
  if (id) dec.AddIdentity(id);
  if (passphrase) {
    dec.SetPassphraseCallback(
        [=]() { return SecretBuffer::CopyOf(AsBytes(passphrase)); });
  }
  Outcome o;
  MemorySink sink(&o.plain);
  MemorySource src(file);
  o.status = dec.Decrypt(src, sink);
  o.stage = dec.failed_stage();
  return o;
}

TEST_CASE("X25519 encryption with fixed randomness is byte-exact") {
  keys::X25519Identity id = CctvIdentity();
  FixedRandomness k = Kat();
  EncryptOptions opt;
  opt.fixed = &k;
  Bytes file = EncryptTo(AsBytes("hello world\n"), {id.public_key()}, opt);
  CHECK(file.size() == 212);
  CHECK(Sha256Hex(file) ==
        "32dcb2ab7e8834350ee017325f65601a46b7d7cc010a175051b9be04d7646da9");
  opt.armor = true;
  Bytes armored = EncryptTo(AsBytes("hello world\n"), {id.public_key()}, opt);
  CHECK(AsChars(armored) ==
        "-----BEGIN AGE ENCRYPTED FILE-----\n"
        "YWdlLWVuY3J5cHRpb24ub3JnL3YxCi0+IFgyNTUxOSBNb2FKVE5LRVdtMjJvbysv\n"
        "Qm5kZ1g0RGxwaU9GdjA0UXA1Q3VYOTQyYzJzCnJIcXg1U3RxYkNRclMwdmVsZGhu\n"
        "SGF2ZDJLMzA1ZGtaMnJUMit3S0QxbVkKLS0tIGl4MU82bGw2Z3JocXRvUW8zZHJj\n"
        "dENmZmZ6YjQrblIwR2VhOGF5eWQ3U28KTk5OTk5OTk5OTk5OTk5OTlO6uMCZOtiG\n"
        "wiZm/Bzcjy4tCGdjqP9+OabSHnc=\n"
        "-----END AGE ENCRYPTED FILE-----\n");
}

TEST_CASE("passphrase encryption with fixed randomness is byte-exact") {
  FixedRandomness k = Kat();
  EncryptOptions opt;
  opt.fixed = &k;
  Bytes out;
  MemorySink sink(&out);
  MemorySource src(AsBytes("hello world\n"));
  REQUIRE(EncryptWithPassphrase(src, sink, AsBytes("password"), 10, opt).ok());
  CHECK(Sha256Hex(out) ==
        "d62d8ba13358d16e00837b356ad39a334bee210b97fffd98b98dd7c03a4c46f3");
  Outcome o = DecryptWith(out, nullptr, "password");
  REQUIRE(o.status.ok());
  CHECK(AsChars(o.plain) == "hello world\n");
}

TEST_CASE("files of every size around chunk boundaries round-trip") {
  keys::X25519Identity a = CctvIdentity();
  Result<keys::X25519Identity> b = keys::X25519Identity::Generate();
  for (std::size_t n : {0, 1, 65535, 65536, 65537, 131072, 16 * 65536,
                        17 * 65536, 17 * 65536 + 1, 40 * 65536 + 5}) {
    for (keys::AeadBackend be :
         {keys::AeadBackend::kSodium, keys::AeadBackend::kOpenSsl}) {
      CAPTURE(n);
      Bytes plain = test::Pattern(n, static_cast<std::uint32_t>(n));
      EncryptOptions eo;
      eo.backend = be;
      eo.armor = n % 2 == 1;
      Bytes file = EncryptTo(plain, {a.public_key(), b->public_key()}, eo);
      std::size_t chunks = n == 0 ? 1 : (n + 65535) / 65536;
      if (!eo.armor)
        CHECK(file.size() == 22 + 2 * 98 + 48 + 16 + n + 16 * chunks);
      // Decrypt with the other backend: the formats, not the code, agree.
      DecryptOptions d;
      d.backend = be == keys::AeadBackend::kSodium ? keys::AeadBackend::kOpenSsl
                                                   : keys::AeadBackend::kSodium;
      Outcome o = DecryptWith(file, &*b, nullptr, d);
      REQUIRE_MESSAGE(o.status.ok(), o.status.ToString());
      CHECK(o.plain == plain);
    }
  }
}

class SlowSource final : public Source {
 public:
  explicit SlowSource(ByteSpan data) : data_(data) {}
  Result<std::size_t> Read(MutableByteSpan buf) override {
    std::size_t n =
        std::min<std::size_t>({buf.size(), 1000, data_.size() - pos_});
    std::copy_n(data_.begin() + static_cast<long>(pos_), n, buf.begin());
    pos_ += n;
    return n;
  }

 private:
  ByteSpan data_;
  std::size_t pos_ = 0;
};

TEST_CASE("short reads from the source change nothing") {
  keys::X25519Identity id = CctvIdentity();
  Bytes plain = test::Pattern(3 * 65536, 3);
  Bytes via_slow;
  {
    MemorySink sink(&via_slow);
    SlowSource src(plain);
    REQUIRE(EncryptToRecipients(src, sink, {id.public_key()}).ok());
  }
  Decryptor dec;
  dec.AddIdentity(&id);
  Bytes out;
  MemorySink sink(&out);
  SlowSource src(via_slow);
  REQUIRE(dec.Decrypt(src, sink).ok());
  CHECK(out == plain);
}

TEST_CASE("decryption failures are distinct: code, stage and message") {
  keys::X25519Identity id = CctvIdentity();
  Result<keys::X25519Identity> other = keys::X25519Identity::Generate();
  Bytes plain = test::Pattern(200000, 5);
  Bytes file = EncryptTo(plain, {id.public_key()});
  const std::size_t header = 22 + 98 + 48;  // through the MAC line

  SUBCASE("wrong passphrase") {
    Bytes pw;
    MemorySink sink(&pw);
    MemorySource src(plain);
    REQUIRE(
        EncryptWithPassphrase(src, sink, AsBytes("correct horse"), 10).ok());
    Outcome o = DecryptWith(pw, nullptr, "incorrect horse");
    CHECK_FAILS_WITH(o.status, Code::kWrongPassphrase, "wrong passphrase");
    CHECK(o.stage == Stage::kUnwrap);
    CHECK(o.plain.empty());
  }
  SUBCASE("a broken armor line is reported as such") {
    // The armor's second line (inside the header) gets a character that is
    // not base64: the armor names its line; it is not "header larger than
    // 1048576 bytes", which is what the header reader once made of it.
    EncryptOptions armored;
    armored.armor = true;
    Bytes asc = EncryptTo(plain, {id.public_key()}, armored);
    std::size_t second = std::string_view(AsChars(asc)).find('\n') + 1;
    asc[second + 5] = '!';
    Outcome o = DecryptWith(asc, &id);
    CHECK(o.status.code() == Code::kMalformed);
    CHECK(o.status.message().find("armor: line 2") != std::string::npos);
    CHECK(o.status.message().find("header larger") == std::string::npos);
    CHECK(o.plain.empty());
  }
  SUBCASE("no matching identity") {
    Outcome o = DecryptWith(file, &*other);
    CHECK_FAILS_WITH(o.status, Code::kNoIdentity,
                     "no identity matches: the file is encrypted to X25519");
    CHECK(o.stage == Stage::kUnwrap);
  }
  SUBCASE("truncated at a chunk boundary") {
    Bytes cut(file.begin(), file.begin() + header + 16 + 2 * 65552);
    Outcome o = DecryptWith(cut, &id);
    CHECK_FAILS_WITH(o.status, Code::kTruncated,
                     "ends after chunk 1 without a final chunk");
    CHECK(o.stage == Stage::kPayload);
  }
  SUBCASE("truncated inside the header or the nonce") {
    CHECK_FAILS_WITH(
        DecryptWith(Bytes(file.begin(), file.begin() + 100), &id).status,
        Code::kTruncated, "ends inside the age header");
    CHECK_FAILS_WITH(
        DecryptWith(Bytes(file.begin(), file.begin() + header + 5), &id).status,
        Code::kTruncated, "ends 5 bytes after the header");
    CHECK_FAILS_WITH(
        DecryptWith(Bytes(file.begin(), file.begin() + header + 16 + 10), &id)
            .status,
        Code::kTruncated, "ends inside chunk 0");
  }
  SUBCASE("a flipped payload byte") {
    Outcome o = DecryptWith(test::FlipByte(file, header + 16 + 70000), &id);
    CHECK_FAILS_WITH(o.status, Code::kIntegrity,
                     "chunk 1 (bytes 65736–131287) failed authentication");
    CHECK(o.plain.size() == 65536);  // only what authenticated, in order
  }
  SUBCASE("a flipped payload byte, named as the caller names places") {
    DecryptOptions opt;
    std::vector<std::pair<std::uint64_t, std::uint64_t>> asked;
    opt.place = [&](std::uint64_t first, std::uint64_t last) {
      asked.emplace_back(first, last);
      return fmt::format("volume 2 from {}", first - 65536);
    };
    Outcome o = DecryptWith(test::FlipByte(file, header + 16 + 70000), &id,
                            nullptr, opt);
    CHECK_FAILS_WITH(o.status, Code::kIntegrity,
                     "chunk 1 (volume 2 from 200) failed authentication");
    REQUIRE(asked.size() == 1);
    CHECK(asked[0].first == header + 16 + 65552);
    CHECK(asked[0].second == header + 16 + 2 * 65552 - 1);
    // Armored input's offsets are in the decoded bytes: not the caller's.
    EncryptOptions armored;
    armored.armor = true;
    Bytes text =
        EncryptTo(test::Pattern(3 * 65536, 4), {id.public_key()}, armored);
    std::string t(AsChars(text));
    std::size_t at = t.find('\n', t.size() / 2);
    t[at - 1] = t[at - 1] == 'A' ? 'B' : 'A';
    asked.clear();
    CHECK_FAILS_WITH(DecryptWith(ToBytes(t), &id, nullptr, opt).status,
                     Code::kIntegrity, "(bytes ");
    CHECK(asked.empty());
  }
  SUBCASE("a header MAC that does not match") {
    std::string text(AsChars(file).substr(0, header));
    std::size_t mac_at = text.rfind("--- ") + 4;
    Bytes mac = *formats::DecodeBase64(text.substr(mac_at, 43),
                                       formats::Base64::kUnpadded);
    mac[7] ^= 0x80;
    text.replace(mac_at, 43,
                 formats::EncodeBase64(mac, formats::Base64::kUnpadded));
    Bytes bad = ToBytes(text);
    bad.insert(bad.end(), file.begin() + header, file.end());
    Outcome o = DecryptWith(bad, &id);
    CHECK_FAILS_WITH(o.status, Code::kIntegrity, "header MAC mismatch");
    CHECK(o.stage == Stage::kMac);
    CHECK(o.plain.empty());
  }
  SUBCASE("non-canonical base64 in the header") {
    std::string text(AsChars(file).substr(0, header));
    // The share's last character carries two unused bits; set one.
    static const std::string kAlphabet =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::size_t last = text.find('\n', 22) - 1;
    text[last] = kAlphabet[kAlphabet.find(text[last]) | 1];
    Bytes bad = ToBytes(text);
    bad.insert(bad.end(), file.begin() + header, file.end());
    Outcome o = DecryptWith(bad, &id);
    CHECK_FAILS_WITH(o.status, Code::kMalformed,
                     "header line 2: X25519 stanza: ephemeral share: base64 is "
                     "not canonical");
    CHECK(o.stage == Stage::kHeader);
  }
  SUBCASE("trailing data after the final chunk") {
    // A full-size final chunk followed by more: the chunk authenticates as
    // final, so what follows is trailing data.
    Bytes whole = EncryptTo(test::Pattern(2 * 65536, 2), {id.public_key()});
    whole.insert(whole.end(), 20, 'x');
    Outcome o = DecryptWith(whole, &id);
    CHECK_FAILS_WITH(o.status, Code::kTrailingData,
                     "data after the final chunk (chunk 1, which ends at byte");
    CHECK(o.stage == Stage::kPayload);
    DecryptOptions opt;
    opt.place = [](std::uint64_t first, std::uint64_t last) {
      return fmt::format("<{} {}>", first, last);
    };
    std::uint64_t end = whole.size() - 20 - 1;
    CHECK_FAILS_WITH(DecryptWith(whole, &id, nullptr, opt).status,
                     Code::kTrailingData,
                     fmt::format("(chunk 1, which ends at <{} {}>)", end, end));
    // After a short final chunk the extra bytes break its tag instead.
    Bytes bad = file;
    bad.push_back('x');
    CHECK_FAILS_WITH(DecryptWith(bad, &id).status, Code::kIntegrity,
                     "the last in the file, failed authentication");
  }
}

TEST_CASE("an empty final chunk is refused unless the whole file is empty") {
  // Built by hand with the known file key and nonce: a full non-final chunk
  // followed by an empty final one, which no correct writer produces.
  keys::X25519Identity id = CctvIdentity();
  FixedRandomness k = Kat();
  EncryptOptions opt;
  opt.fixed = &k;
  Bytes file = EncryptTo(AsBytes("x"), {id.public_key()}, opt);
  REQUIRE(file.size() == 168 + 16 + 1 + 16);
  file.resize(168 + 16);  // keep header and nonce
  std::uint8_t key[32];
  keys::HkdfSha256(k.file_key, k.nonce, "payload", key);
  Result<keys::ChaChaPoly> aead =
      keys::ChaChaPoly::Create(ByteSpan(key), keys::AeadBackend::kSodium);
  std::uint8_t n0[12] = {}, n1[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1};
  Bytes chunk0(65552), chunk1(16);
  aead->Seal(n0, test::Pattern(65536), chunk0.data());
  aead->Seal(n1, {}, chunk1.data());
  file.insert(file.end(), chunk0.begin(), chunk0.end());
  file.insert(file.end(), chunk1.begin(), chunk1.end());
  Outcome o = DecryptWith(file, &id);
  CHECK_FAILS_WITH(o.status, Code::kMalformed,
                   "chunk 1 is an empty final chunk");
  CHECK(o.stage == Stage::kPayload);
}

TEST_CASE("unknown stanza types are skipped for files, refused for bundles") {
  keys::X25519Identity id = CctvIdentity();
  Bytes file = EncryptTo(AsBytes("data"), {id.public_key()});
  // Put a foreign stanza in front; the MAC then fails, so check only the
  // stanza handling: with rejection on, it stops at the stanza.
  std::string text(AsChars(file));
  text.insert(22, "-> mlkem768x25519 abc\n\n");
  DecryptOptions strict;
  strict.reject_unknown_stanzas = true;
  Outcome o = DecryptWith(ToBytes(text), &id, nullptr, strict);
  CHECK_FAILS_WITH(
      o.status, Code::kUnsupported,
      "header line 2: unknown recipient stanza type \"mlkem768x25519\"");
  Outcome lenient = DecryptWith(ToBytes(text), &id);
  CHECK_FAILS_WITH(lenient.status, Code::kIntegrity, "header MAC mismatch");

  std::string only_foreign =
      "age-encryption.org/v1\n-> mlkem768x25519 abc\n\n--- "
      "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n";
  Outcome none = DecryptWith(AsBytes(only_foreign), &id);
  CHECK_FAILS_WITH(
      none.status, Code::kNoIdentity,
      "encrypted to mlkem768x25519, none of which xjpack supports");
}

TEST_CASE("a passphrase file is refused when identities were expected") {
  Bytes pw;
  MemorySink sink(&pw);
  MemorySource src(AsBytes("x"));
  REQUIRE(
      EncryptWithPassphrase(src, sink, AsBytes("long passphrase"), 10).ok());
  keys::X25519Identity id = CctvIdentity();
  CHECK_FAILS_WITH(DecryptWith(pw, &id).status, Code::kNoIdentity,
                   "passphrase-encrypted, not encrypted to an identity");
}

TEST_CASE("scrypt work factors above the limit are refused before any work") {
  Bytes pw;
  MemorySink sink(&pw);
  MemorySource src(AsBytes("x"));
  REQUIRE(
      EncryptWithPassphrase(src, sink, AsBytes("long passphrase"), 12).ok());
  DecryptOptions opt;
  opt.max_work_factor = 11;
  CHECK_FAILS_WITH(DecryptWith(pw, nullptr, "long passphrase", opt).status,
                   Code::kMalformed, "work factor 12 is above the limit of 11");
  CHECK_FAILS_WITH(EncryptWithPassphrase(src, sink, AsBytes("p"), 23),
                   Code::kInvalidArgument, "outside 10..22");
}

}  // namespace
}  // namespace xj::pack::age
