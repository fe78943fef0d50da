// Pins key files on disk: creation (exclusive, 0600, never overwritten,
// --force keeps the old key), loading (passphrases, both identity kinds),
// and a clear error for each kind of bad key file; plus the file-level
// operations that must leave nothing behind when they fail.
#include "libpack/key_files.h"

#include <doctest/doctest.h>

#include "base/os.h"
#include "formats/age_keys.h"
#include "libpack/file_crypto.h"
#include "support/test_util.h"

namespace xj::pack {
namespace {

/// A fixed passphrase, counting how often it was asked for.
class FixedPassphrase final : public PassphraseSource {
 public:
  explicit FixedPassphrase(std::string p) : p_(std::move(p)) {}
  Result<SecretBuffer> Get(std::string_view, bool) override {
    ++asked;
    return SecretBuffer::CopyOf(AsBytes(p_));
  }
  int asked = 0;

 private:
  std::string p_;
};

KeygenRequest Request(const std::string& path) {
  KeygenRequest r;
  r.secret_path = path;
  r.work_factor = 10;  // fast; the default (18) is for real keys
  r.now = 1700000000;  // 2023-11-14T22:13:20Z
  return r;
}

TEST_CASE(
    "a new signing key is written 0600 and loads back with its passphrase") {
  test::TempDir dir;
  FixedPassphrase pass("correct horse battery");
  Result<GeneratedKey> k =
      GenerateSigningKeyFiles(Request(dir / "clerk.key"), pass);
  REQUIRE_MESSAGE(k.ok(), k.status().ToString());
  CHECK(k->public_path == dir / "clerk.pub");
  CHECK(test::Mode(dir / "clerk.key") == 0600);
  CHECK(k->public_key.rfind("RW", 0) == 0);
  CHECK(k->key_id.size() == 16);
  Result<keys::SigningKey> loaded = LoadSigningKey(dir / "clerk.key", pass);
  REQUIRE(loaded.ok());
  CHECK(formats::minisign::KeyIdToString(loaded->key_id()) == k->key_id);
  Result<formats::minisign::PublicKey> pub = LoadPublicKey(dir / "clerk.pub");
  REQUIRE(pub.ok());
  CHECK(pub->key == loaded->public_key());
  FixedPassphrase wrong("incorrect horse battery");
  CHECK_FAILS_WITH(LoadSigningKey(dir / "clerk.key", wrong),
                   Code::kWrongPassphrase, "clerk.key: wrong passphrase");
}

TEST_CASE("an office identity is an age file that opens with its passphrase") {
  test::TempDir dir;
  FixedPassphrase pass("correct horse battery");
  Result<GeneratedKey> k =
      GenerateOfficeIdentityFiles(Request(dir / "office.key"), pass);
  REQUIRE_MESSAGE(k.ok(), k.status().ToString());
  CHECK(test::Mode(dir / "office.key") == 0600);
  CHECK(test::ReadFile(dir / "office.key")
            .rfind("-----BEGIN AGE ENCRYPTED FILE-----", 0) == 0);
  Result<std::vector<keys::X25519Identity>> ids =
      LoadIdentities(dir / "office.key", pass);
  REQUIRE(ids.ok());
  REQUIRE(ids->size() == 1);
  CHECK(formats::age::EncodeRecipient((*ids)[0].public_key()) == k->public_key);
  Result<std::vector<keys::X25519PublicKey>> r =
      LoadRecipients(dir / "office.pub");
  REQUIRE(r.ok());
  CHECK((*r)[0] == (*ids)[0].public_key());
  FixedPassphrase wrong("incorrect horse battery");
  CHECK_FAILS_WITH(LoadIdentities(dir / "office.key", wrong),
                   Code::kWrongPassphrase, "office.key: wrong passphrase");
}

TEST_CASE("keygen never overwrites, and --force keeps the old key aside") {
  test::TempDir dir;
  FixedPassphrase pass("correct horse battery");
  REQUIRE(GenerateSigningKeyFiles(Request(dir / "k.key"), pass).ok());
  std::string old = test::ReadFile(dir / "k.key");
  int asked = pass.asked;
  CHECK_FAILS_WITH(GenerateSigningKeyFiles(Request(dir / "k.key"), pass),
                   Code::kAlreadyExists, "k.key already exists");
  CHECK(pass.asked == asked);  // refused before asking
  CHECK(test::ReadFile(dir / "k.key") == old);
  KeygenRequest force = Request(dir / "k.key");
  force.force = true;
  Result<GeneratedKey> k = GenerateSigningKeyFiles(force, pass);
  REQUIRE(k.ok());
  REQUIRE(k->replaced.size() == 2);
  CHECK(test::ReadFile(k->replaced[0]) == old);
  CHECK(test::Mode(k->replaced[0]) == 0600);
  CHECK(test::ReadFile(dir / "k.key") != old);
}

TEST_CASE("new keys need a real passphrase and a sane work factor") {
  test::TempDir dir;
  FixedPassphrase empty(""), short_pass("1234567");
  CHECK_FAILS_WITH(GenerateSigningKeyFiles(Request(dir / "a.key"), empty),
                   Code::kInvalidArgument, "the passphrase is empty");
  CHECK_FAILS_WITH(
      GenerateOfficeIdentityFiles(Request(dir / "a.key"), short_pass),
      Code::kInvalidArgument, "shorter than 8 characters");
  KeygenRequest r = Request(dir / "a.key");
  r.work_factor = 30;
  CHECK_FAILS_WITH(GenerateSigningKeyFiles(r, empty), Code::kInvalidArgument,
                   "work factor 30 is outside 10..22");
  CHECK(test::CountEntries(dir.path()) == 0);
}

TEST_CASE(
    "bad key files are reported as such, naming the file and the problem") {
  test::TempDir dir;
  FixedPassphrase pass("correct horse battery");
  test::WriteFile(dir / "garbage.key", "hello\nworld\n");
  CHECK_FAILS_WITH(
      LoadSigningKey(dir / "garbage.key", pass), Code::kBadKey,
      "garbage.key: secret key file: line 1: expected \"untrusted comment");
  CHECK_FAILS_WITH(LoadIdentities(dir / "garbage.key", pass), Code::kBadKey,
                   "garbage.key: line 1: not an age identity");
  test::WriteFile(dir / "empty.key", "");
  CHECK_FAILS_WITH(LoadIdentities(dir / "empty.key", pass), Code::kBadKey,
                   "no identity found");
  test::WriteFile(dir / "short.pub", "untrusted comment: x\nRWQf6LRCGA9i53\n");
  CHECK_FAILS_WITH(LoadPublicKey(dir / "short.pub"), Code::kBadKey,
                   "short.pub: line 2: not a minisign public key");
  CHECK_FAILS_WITH(LoadSigningKey(dir / "nope.key", pass), Code::kNotFound,
                   "nope.key: no such file");
  // An age file that is not passphrase-protected is not an identity file.
  Result<keys::X25519Identity> id = keys::X25519Identity::Generate();
  Bytes enc;
  MemorySink sink(&enc);
  MemorySource src(AsBytes("AGE-SECRET-KEY-1..."));
  REQUIRE(age::EncryptToRecipients(src, sink, {id->public_key()}).ok());
  test::WriteFile(dir / "x25519.age", enc);
  CHECK_FAILS_WITH(LoadIdentities(dir / "x25519.age", pass), Code::kBadKey,
                   "not passphrase-protected");
}

TEST_CASE("secret keys of every kind are recognised, other files are not") {
  test::TempDir dir;
  FixedPassphrase pass("correct horse battery");
  REQUIRE(GenerateSigningKeyFiles(Request(dir / "s.key"), pass).ok());
  REQUIRE(GenerateOfficeIdentityFiles(Request(dir / "o.key"), pass).ok());
  test::WriteFile(dir / "plain.txt",
                  "# age-keygen\nAGE-SECRET-KEY-1EGTZVFFV20835NWYV6270LXYVK2"
                  "VKNX2MMDKWYKLMGR48UAWX40Q2P2LM0\n");
  test::WriteFile(dir / "data.csv", "a,b\n1,2\n");
  // Found by the key_files fuzz target's oracle: a key after 4 KiB of
  // comments loaded as an identity but was not recognised as a secret.
  test::WriteFile(dir / "long.txt",
                  "# " + std::string(5000, 'x') +
                      "\nAGE-SECRET-KEY-1EGTZVFFV20835NWYV6270LXYVK2"
                      "VKNX2MMDKWYKLMGR48UAWX40Q2P2LM0\n");
  REQUIRE(LoadIdentities(dir / "long.txt", pass).ok());
  CHECK(LooksLikeSecretKey(dir / "long.txt"));
  CHECK(LooksLikeSecretKey(dir / "s.key"));
  CHECK(LooksLikeSecretKey(dir / "o.key"));
  CHECK(LooksLikeSecretKey(dir / "plain.txt"));
  CHECK_FALSE(LooksLikeSecretKey(dir / "s.pub"));
  CHECK_FALSE(LooksLikeSecretKey(dir / "o.pub"));
  CHECK_FALSE(LooksLikeSecretKey(dir / "data.csv"));
  CHECK_FALSE(LooksLikeSecretKey(dir / "missing"));
  Result<std::string> aside = SetAsideIfSecretKey(dir / "s.key", 1700000000);
  REQUIRE(aside.ok());
  CHECK(aside->find("s.key.replaced-20231114") != std::string::npos);
  CHECK_FALSE(test::Exists(dir / "s.key"));
  CHECK(SetAsideIfSecretKey(dir / "data.csv", 1700000000)->empty());
}

TEST_CASE("a failed decryption leaves no output file") {
  test::TempDir dir;
  Result<keys::X25519Identity> id = keys::X25519Identity::Generate();
  test::WriteFile(dir / "plain", test::Pattern(300000));
  EncryptFileRequest enc;
  enc.input = dir / "plain";
  enc.output = dir / "c.age";
  enc.recipients = {id->public_key()};
  REQUIRE(EncryptFile(enc).ok());
  std::string c = test::ReadFile(dir / "c.age");
  c[c.size() - 100] ^= 1;  // damage the last chunk
  test::WriteFile(dir / "bad.age", c);
  age::Decryptor dec;
  dec.AddIdentity(&*id);
  DecryptFileRequest req{dir / "bad.age", dir / "out", false};
  CHECK_FAILS_WITH(DecryptFile(req, dec), Code::kIntegrity,
                   "failed authentication");
  CHECK_FALSE(test::Exists(dir / "out"));
  CHECK(test::CountEntries(dir.path()) == 3);  // plain, c.age, bad.age
  DecryptFileRequest good{dir / "c.age", dir / "out", false};
  REQUIRE(DecryptFile(good, dec).ok());
  CHECK(test::ReadFile(dir / "out") == test::ReadFile(dir / "plain"));
  CHECK(test::Mode(dir / "out") == 0600);
  CHECK_FAILS_WITH(DecryptFile(good, dec), Code::kAlreadyExists,
                   "out already exists");
  DecryptFileRequest same{dir / "c.age", dir / "c.age", true};
  CHECK_FAILS_WITH(DecryptFile(same, dec), Code::kInvalidArgument,
                   "is the input file");
}

TEST_CASE("sign refuses trust statements and their reserved comments") {
  test::TempDir dir;
  FixedPassphrase pass("correct horse battery");
  REQUIRE(GenerateSigningKeyFiles(Request(dir / "s.key"), pass).ok());
  keys::SigningKey key = std::move(LoadSigningKey(dir / "s.key", pass)).value();
  test::WriteFile(dir / "stmt", "xjtrust/1 bundle\nid: x\n");
  CHECK_FAILS_WITH(SignFile({dir / "stmt", "", "", false}, key),
                   Code::kInvalidArgument, "is an xjtrust statement");
  test::WriteFile(dir / "doc", "plain text\n");
  CHECK_FAILS_WITH(
      SignFile({dir / "doc", "", "xjtrust/1 bundle x", false}, key),
      Code::kInvalidArgument, "reserved for trust statements");
  CHECK_FALSE(test::Exists(dir / "doc.minisig"));
  Result<minisign::Signature> sig = SignFile({dir / "doc", "", "", false}, key);
  REQUIRE(sig.ok());
  CHECK(sig->trusted_comment.find("\tfile:doc\thashed") != std::string::npos);
  minisign::PublicKey pub = minisign::PublicKeyOf(key);
  CHECK(VerifyFileSignature({dir / "doc", "", true}, pub).ok());
  test::WriteFile(dir / "doc", "plain text!\n");
  CHECK_FAILS_WITH(VerifyFileSignature({dir / "doc", "", true}, pub),
                   Code::kBadSignature, "does not match its signature");
}

}  // namespace
}  // namespace xj::pack
