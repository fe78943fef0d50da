// Feeds bytes to minisign's secret-key file parser (formats/minisign.h),
// and an unencrypted record on to keys::SigningKey::Open (encrypted ones
// would need scrypt: too slow to fuzz). Asserts that the record written
// again with EncodeSecretKeyFile and the same comment gives the input's
// bytes (with its final LF), and that a key that opens signs a message its
// own public key verifies.
#include <cstdint>

#include "formats/minisign.h"
#include "fuzz_util.h"
#include "keys/signing_key.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  using namespace xj;
  namespace ms = formats::minisign;
  std::string_view text = fuzz::AsText(data, size);

  Result<SecretBuffer> record = ms::ParseSecretKeyFile(text);
  if (!record.ok()) return 0;
  FUZZ_CHECK(record->size() == ms::kSecretKeySize);
  std::string_view first = text.substr(0, text.find('\n'));
  std::string encoded = ms::EncodeSecretKeyFile(
      record->span(), first.substr(ms::kUntrustedPrefix.size()));
  FUZZ_CHECK(encoded == text || encoded == std::string(text) + "\n");

  if (keys::SigningKey::IsProtected(record->span())) return 0;
  Result<keys::SigningKey> key = keys::SigningKey::Open(record->span(), {});
  if (!key.ok()) return 0;
  std::array<std::uint8_t, 64> sig = key->Sign(AsBytes("fuzz"));
  FUZZ_CHECK(keys::VerifyEd25519(key->public_key(), AsBytes("fuzz"), sig));
  return 0;
}
