#include "keys/x25519_identity.h"

#include <cstring>

#include "keys/crypto.h"

namespace xj::keys {

Result<X25519Identity> X25519Identity::Generate() {
  XJ_ASSIGN_OR_RETURN(SecretBuffer secret, SecretBuffer::Allocate(32));
  RandomBytes(secret.mutable_span());
  return FromSecret(std::move(secret));
}

Result<X25519Identity> X25519Identity::FromSecret(SecretBuffer secret) {
  if (secret.size() != 32) {
    return Status(Code::kInternal, "X25519 secret must be 32 bytes");
  }
  X25519Identity id;
  id.secret_ = std::move(secret);
  X25519Base(id.secret_.data(), id.public_key_.data());
  return id;
}

KeyNames NamesForIdentity(const X25519PublicKey& public_key) {
  std::uint8_t digest[32];
  Sha256(public_key, digest);
  return {ToHexUpper(ByteSpan(digest, 8)), GroupedHex(ByteSpan(digest, 32))};
}

KeyNames NamesForSigningKey(const std::array<std::uint8_t, 8>& key_id,
                            const std::array<std::uint8_t, 32>& public_key) {
  std::uint8_t blob[42] = {'E', 'd'};
  std::memcpy(blob + 2, key_id.data(), 8);
  std::memcpy(blob + 10, public_key.data(), 32);
  std::uint8_t digest[32];
  Sha256(ByteSpan(blob), digest);
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = v << 8 | key_id[i];
  return {fmt::format("{:016X}", v), GroupedHex(ByteSpan(digest, 32))};
}

}  // namespace xj::keys
