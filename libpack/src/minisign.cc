#include "libpack/minisign.h"

#include <cstring>

#include "keys/crypto.h"

namespace xj::pack::minisign {
namespace {

using formats::minisign::KeyIdToString;
using formats::minisign::SignatureAlgorithm;

Result<Bytes> Prehash(Source& in) {
  keys::Hasher hasher(keys::Hasher::Algorithm::kBlake2b512);
  // One buffer a thread, kept: most signed files are statements of a few
  // KiB, and zeroing a fresh MiB for each of the thousands a merged bundle
  // holds cost more than checking their signatures.
  static thread_local Bytes buf(1 << 20);
  for (;;) {
    XJ_ASSIGN_OR_RETURN(std::size_t n, in.Read(buf));
    if (n == 0) break;
    hasher.Update(ByteSpan(buf.data(), n));
  }
  return hasher.Finish();
}

Bytes GlobalMessage(const std::array<std::uint8_t, 64>& sig,
                    std::string_view trusted_comment) {
  Bytes msg(sig.begin(), sig.end());
  Append(msg, trusted_comment);
  return msg;
}

}  // namespace

std::string DefaultTrustedComment(std::string_view file_name,
                                  std::int64_t unix_time) {
  return fmt::format("timestamp:{}\tfile:{}\thashed", unix_time, file_name);
}

PublicKey PublicKeyOf(const keys::SigningKey& key) {
  PublicKey pk;
  pk.key_id = key.key_id();
  pk.key = key.public_key();
  return pk;
}

Result<Signature> Sign(Source& in, const keys::SigningKey& key,
                       std::string_view trusted_comment,
                       std::string_view untrusted_comment) {
  XJ_RETURN_IF_ERROR(formats::minisign::CheckTrustedComment(trusted_comment));
  if (untrusted_comment.size() + formats::minisign::kUntrustedPrefix.size() +
              1 >
          formats::minisign::kMaxUntrustedLine ||
      untrusted_comment.find_first_of("\r\n") != std::string_view::npos) {
    return Status(Code::kInvalidArgument,
                  "untrusted comment must be one line under 1000 bytes");
  }
  XJ_ASSIGN_OR_RETURN(Bytes digest, Prehash(in));
  Signature sig;
  sig.untrusted_comment = std::string(untrusted_comment);
  sig.algorithm = SignatureAlgorithm::kPrehashed;
  sig.key_id = key.key_id();
  sig.signature = key.Sign(digest);
  sig.trusted_comment = std::string(trusted_comment);
  sig.global_signature =
      key.Sign(GlobalMessage(sig.signature, trusted_comment));

  // Check the result before anyone relies on it (a fault in memory or in
  // the key would otherwise go out as an unverifiable signature).
  if (!keys::VerifyEd25519(key.public_key(), digest, sig.signature) ||
      !keys::VerifyEd25519(key.public_key(),
                           GlobalMessage(sig.signature, trusted_comment),
                           sig.global_signature)) {
    return Status(
        Code::kInternal,
        "the signature just made does not verify; nothing was written");
  }
  return sig;
}

Status Verify(Source& in, const PublicKey& key, const Signature& sig,
              const VerifyOptions& options) {
  if (sig.key_id != key.key_id) {
    return Error(Code::kBadSignature,
                 "the signature was made by key {}, not by the given key {}",
                 KeyIdToString(sig.key_id), KeyIdToString(key.key_id));
  }
  bool data_ok;
  if (sig.algorithm == SignatureAlgorithm::kPrehashed) {
    XJ_ASSIGN_OR_RETURN(Bytes digest, Prehash(in));
    data_ok = keys::VerifyEd25519(key.key, digest, sig.signature);
  } else {
    if (!options.allow_legacy) {
      return Status(Code::kUnsupported,
                    "legacy (non-prehashed \"Ed\") signature; only \"ED\" "
                    "signatures are accepted here");
    }
    Bytes data;
    MemorySink sink(&data, options.max_legacy_size);
    Status s = Copy(in, sink);
    if (s.code() == Code::kNoSpace) {
      return Error(Code::kUnsupported,
                   "legacy (\"Ed\") signatures need the whole file in memory; "
                   "this one is larger than {} bytes",
                   options.max_legacy_size);
    }
    XJ_RETURN_IF_ERROR(s);
    data_ok = keys::VerifyEd25519(key.key, data, sig.signature);
  }
  if (!data_ok) {
    return Status(Code::kBadSignature,
                  "signature verification failed: the file does not match "
                  "its signature");
  }
  if (!keys::VerifyEd25519(key.key,
                           GlobalMessage(sig.signature, sig.trusted_comment),
                           sig.global_signature)) {
    return Status(Code::kBadSignature,
                  "trusted comment verification failed: the trusted comment "
                  "was altered");
  }
  return Status::Ok();
}

}  // namespace xj::pack::minisign
