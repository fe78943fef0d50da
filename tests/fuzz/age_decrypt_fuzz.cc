// Feeds bytes to the age file decryptor (libpack/age.h) as a whole file,
// binary or armored, with the age test kit's X25519 identity and its
// passphrase "password" (scrypt work factor at most 10, the kit's, to keep
// runs fast). Asserts that a failure names the stage it failed at, that
// success releases exactly what it wrote, never more than the input, and
// that the plaintext encrypted again to the same identity decrypts to the
// same bytes.
#include <cstdint>

#include "base/io.h"
#include "formats/age_keys.h"
#include "fuzz_util.h"
#include "libpack/age.h"

namespace {

using namespace xj;

constexpr std::string_view kIdentity =
    "AGE-SECRET-KEY-1EGTZVFFV20835NWYV6270LXYVK2VKNX2MMDKWYKLMGR48UAWX40Q2P2LM"
    "0";

const keys::X25519Identity& Identity() {
  static const keys::X25519Identity* id = [] {
    Result<SecretBuffer> secret = formats::age::ParseIdentity(kIdentity);
    FUZZ_CHECK(secret.ok());
    Result<keys::X25519Identity> made =
        keys::X25519Identity::FromSecret(std::move(secret).value());
    FUZZ_CHECK(made.ok());
    return new keys::X25519Identity(std::move(made).value());
  }();
  return *id;
}

Status Decrypt(ByteSpan file, Bytes* plain, pack::age::Stage* stage,
               std::uint64_t* released) {
  pack::age::DecryptOptions options;
  options.max_work_factor = 10;
  pack::age::Decryptor dec(options);
  dec.AddIdentity(&Identity());
  dec.SetPassphraseCallback(
      []() { return SecretBuffer::CopyOf(AsBytes("password")); });
  MemorySource source(file);
  MemorySink sink(plain);
  Status s = dec.Decrypt(source, sink);
  *stage = dec.failed_stage();
  *released = dec.released();
  return s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  Bytes plain;
  pack::age::Stage stage;
  std::uint64_t released = 0;
  Status s = Decrypt(ByteSpan(data, size), &plain, &stage, &released);
  FUZZ_CHECK(plain.size() <= size);
  if (!s.ok()) {
    FUZZ_CHECK(stage != pack::age::Stage::kNone);
    return 0;
  }
  FUZZ_CHECK(released == plain.size());
  // Round trip through our own encryptor.
  Bytes again;
  MemorySource in(plain);
  MemorySink out(&again);
  FUZZ_CHECK(
      pack::age::EncryptToRecipients(in, out, {Identity().public_key()}).ok());
  Bytes plain2;
  std::uint64_t released2 = 0;
  FUZZ_CHECK(Decrypt(again, &plain2, &stage, &released2).ok());
  FUZZ_CHECK(plain2 == plain);
  return 0;
}
